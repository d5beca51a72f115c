//! Dossier exports: the definitions on hand-made edge cases, agreement with an independent (slow,
//! obviously correct) computation over a generated file, bad rows with their line numbers, and
//! the file forms (Vietnamese headers, `--columns`, `;`, BOM, CRLF, quoted line breaks, XLSX).

use parindex_domain::dossiers::{day_of, Counts, Dim, TimeError, TimesProblem};
use parindex_interchange::dossiers::{
    generate, parse_column_map, scan_file, BadRow, GenOptions, LayoutProblem, RowProblem, Scan,
    ScanOptions, ScanProblem, GEN_LATE_PER_MILLE, OVERDUE_HEADER,
};
use parindex_interchange::xlsx_read::XlsxError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HEADER: &str =
    "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status";

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn opts(dims: &[Dim], as_of: jiff::civil::Date, threads: usize) -> ScanOptions {
    ScanOptions {
        dims: dims.to_vec(),
        as_of_day: day_of(as_of),
        threads,
        columns: Vec::new(),
        spool_overdue: true,
    }
}

fn overdue_codes(scan: &Scan) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    scan.overdue.as_ref().unwrap().write_csv(&mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(OVERDUE_HEADER));
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        out.push((f[1].to_string(), f[0].to_string()));
    }
    out.sort();
    out
}

#[test]
fn the_definitions_on_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        // Closed before the due date: early.
        "E1,so-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-15T17:00:00+07:00,,2021-03-14T23:59:59+07:00,closed",
        // Closed at 23:59 on the due date (after the due hour): on time.
        "T1,so-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-15T17:00:00+07:00,,2021-03-15T23:59:00+07:00,closed",
        // 00:01 the next day: late.
        "L1,so-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-15T17:00:00+07:00,,2021-03-16T00:01:00+07:00,closed",
        // 17:30 UTC on the due date is 00:30 the next day in Hà Nội: late.
        "L2,so-tu-phap,1.001,province,3,2021-03-10T01:00:00Z,2021-03-15,,2021-03-15T17:30:00Z,closed",
        // 16:59 UTC on the due date is 23:59 local: on time. Naive local times.
        "T2,so-tu-phap,1.001,province,3,2021-03-10 08:00,2021-03-15,,2021-03-15T16:59:00Z,closed",
        // Due today (the as-of date), never closed: pending, not overdue.
        "P1,so-tu-phap,1.001,province,,2021-03-29T08:00:00+07:00,2021-03-31,,,in_progress",
        // Due before the as-of date, never closed (a result, but not closed in the software):
        // pending overdue.
        "O1,so-tu-phap,1.001,province,,2021-03-01T08:00:00+07:00,2021-03-30,2021-03-29T10:00:00+07:00,,result_ready",
        // Received on 31 March at 20:00 UTC: 1 April locally, so it belongs to April.
        "A1,so-tu-phap,1.001,province,,2021-03-31T20:00:00Z,2021-04-05,,2021-04-02T09:00:00+07:00,closed",
    ];
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let f = write(dir.path(), "edge.csv", text.as_bytes());
    let as_of = jiff::civil::date(2021, 3, 31);
    for threads in [1, 2, 3] {
        let scan = scan_file(&f, &opts(&[Dim::Agency, Dim::Month], as_of, threads)).unwrap();
        assert_eq!(scan.bad_rows, 0, "{:?}", scan.bad);
        assert_eq!(scan.groups.len(), 2);
        let march = &scan.groups[0];
        assert_eq!(march.key, vec!["so-tu-phap", "2021-03"]);
        assert_eq!(
            march.counts,
            Counts {
                received: 7,
                resolved: 5,
                early: 1,
                on_time: 2,
                late: 2,
                pending: 2,
                pending_overdue: 1,
                // Five of the seven at online level 3; the pending two give none.
                online: Some(5),
            }
        );
        assert_eq!(scan.groups[1].key, vec!["so-tu-phap", "2021-04"]);
        assert_eq!(scan.groups[1].counts.early, 1);
        assert_eq!(
            overdue_codes(&scan),
            vec![
                ("L1".to_string(), "late".to_string()),
                ("L2".to_string(), "late".to_string()),
                ("O1".to_string(), "pending_overdue".to_string())
            ]
        );
    }
    // The day after, P1 is overdue too.
    let scan = scan_file(&f, &opts(&[Dim::Agency], jiff::civil::date(2021, 4, 1), 1)).unwrap();
    assert_eq!(scan.total.pending_overdue, 2);
}

#[test]
fn bad_rows_are_reported_with_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}\n").into_bytes();
    let good = "G,so-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-15,,2021-03-12T09:00:00+07:00,closed\n";
    let bad: &[&[u8]] = &[
        // line 3: bad date
        b"B1,so-tu-phap,1.001,province,3,2021-02-30T08:00:00+07:00,2021-03-15,,,x\n",
        // line 5: due before received
        b"B2,so-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-09,,,x\n",
        // line 7: closed before received
        b"B3,so-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-15,,2021-03-10T07:59:00+07:00,x\n",
        // line 9: unknown level
        b"B4,so-tu-phap,1.001,federal,3,2021-03-10T08:00:00+07:00,2021-03-15,,,x\n",
        // line 11: wrong column count
        b"B5,so-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00\n",
        // line 13: invalid UTF-8 in the agency
        b"B6,s\xff-tu-phap,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-15,,,x\n",
    ];
    for b in bad {
        text.extend_from_slice(good.as_bytes());
        text.extend_from_slice(b);
    }
    text.extend_from_slice(good.as_bytes());
    let f = write(dir.path(), "bad.csv", &text);
    for threads in [1, 2, 4] {
        let scan = scan_file(
            &f,
            &opts(&[Dim::Agency], jiff::civil::date(2021, 4, 1), threads),
        )
        .unwrap();
        assert_eq!(scan.rows, 7, "the good rows are counted");
        assert_eq!(scan.bad_rows, 6);
        let bad = |line: u64, column: Option<&'static str>, reason: RowProblem| BadRow {
            line,
            column,
            reason,
        };
        assert_eq!(
            scan.bad,
            vec![
                bad(
                    3,
                    Some("received_at"),
                    RowProblem::Time(TimeError::NotATime {
                        value: "2021-02-30T08:00:00+07:00".into()
                    })
                ),
                bad(
                    5,
                    Some("due_at"),
                    RowProblem::Times(TimesProblem::DueBeforeReceived)
                ),
                bad(
                    7,
                    Some("closed_at"),
                    RowProblem::Times(TimesProblem::ClosedBeforeReceived)
                ),
                bad(
                    9,
                    Some("level"),
                    RowProblem::UnknownLevel {
                        value: "federal".into()
                    }
                ),
                bad(
                    11,
                    None,
                    RowProblem::ColumnCount {
                        found: 6,
                        expected: 10
                    }
                ),
                bad(13, Some("agency"), RowProblem::NotUtf8),
            ]
        );
    }
}

/// An independent computation: the csv crate, jiff's time-zone conversion, a BTreeMap.
fn independent(path: &Path, as_of: jiff::civil::Date) -> BTreeMap<(String, String), Counts> {
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let local = |s: &str| -> Option<jiff::civil::DateTime> {
        if s.is_empty() {
            return None;
        }
        let ts: jiff::Timestamp = s.parse().unwrap();
        Some(tz.to_datetime(ts))
    };
    let mut out: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(path).unwrap();
    for rec in rdr.records() {
        let r = rec.unwrap();
        let received = local(&r[5]).unwrap();
        let due = local(&r[6]).unwrap().date();
        let closed = local(&r[8]).map(|d| d.date());
        let c = out
            .entry((r[1].to_string(), received.strftime("%Y-%m").to_string()))
            .or_default();
        c.received += 1;
        // Online: levels 3 and 4 (the generator writes the level as a digit, or nothing).
        if matches!(&r[4], "3" | "4") {
            c.online = c.online.map(|n| n + 1);
        }
        match closed {
            Some(d) => {
                c.resolved += 1;
                if d < due {
                    c.early += 1
                } else if d == due {
                    c.on_time += 1
                } else {
                    c.late += 1
                }
            }
            None => {
                c.pending += 1;
                if due < as_of {
                    c.pending_overdue += 1
                }
            }
        }
    }
    out
}

#[test]
fn agrees_with_an_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    generate(
        &GenOptions {
            rows: 30_000,
            seed: 7,
            month: None,
            late_per_mille: GEN_LATE_PER_MILLE,
        },
        &mut f,
    )
    .unwrap();
    drop(f);
    let as_of = jiff::civil::date(2021, 9, 1);
    let expected = independent(&path, as_of);
    for threads in [1, 2, 5] {
        let scan = scan_file(&path, &opts(&[Dim::Agency, Dim::Month], as_of, threads)).unwrap();
        assert_eq!(scan.bad_rows, 0, "{:?}", scan.bad);
        assert_eq!(scan.rows, 30_000);
        let got: BTreeMap<(String, String), Counts> = scan
            .groups
            .iter()
            .map(|g| ((g.key[0].clone(), g.key[1].clone()), g.counts))
            .collect();
        assert_eq!(got, expected, "threads = {threads}");
        let overdue = scan.overdue.as_ref().unwrap().count;
        assert_eq!(overdue, scan.total.late + scan.total.pending_overdue);
    }
    // The generated file has a few per cent late and some never closed.
    let total: Counts = expected.values().fold(Counts::default(), |mut a, c| {
        a.merge(c);
        a
    });
    assert!(total.late * 100 / total.received >= 1 && total.late * 100 / total.received <= 6);
    assert!(total.pending > 0 && total.early > 0);
    // The same seed gives the same file.
    let mut a = Vec::new();
    let mut b = Vec::new();
    let g = GenOptions {
        rows: 500,
        seed: 3,
        month: None,
        late_per_mille: GEN_LATE_PER_MILLE,
    };
    generate(&g, &mut a).unwrap();
    generate(&g, &mut b).unwrap();
    assert_eq!(a, b);
}

#[test]
fn other_groupings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    generate(
        &GenOptions {
            rows: 5_000,
            seed: 11,
            month: parindex_domain::dossiers::Month::parse("2021-06"),
            late_per_mille: GEN_LATE_PER_MILLE,
        },
        &mut f,
    )
    .unwrap();
    drop(f);
    let as_of = jiff::civil::date(2021, 7, 5);
    let by_level = scan_file(&path, &opts(&[Dim::Level], as_of, 2)).unwrap();
    let levels: Vec<&str> = by_level.groups.iter().map(|g| g.key[0].as_str()).collect();
    assert_eq!(levels, vec!["commune", "district", "province"]);
    let by_proc = scan_file(&path, &opts(&[Dim::Procedure], as_of, 2)).unwrap();
    assert!(by_proc.groups.len() > 50);
    let sum = by_proc.groups.iter().fold(Counts::default(), |mut a, g| {
        a.merge(&g.counts);
        a
    });
    assert_eq!(sum, by_level.total);
    assert!(by_level.groups.iter().all(|g| g.counts.consistent()));
    let months = scan_file(&path, &opts(&[Dim::Month], as_of, 2)).unwrap();
    assert_eq!(months.groups.len(), 1, "a generated month");
    assert_eq!(months.groups[0].key, vec!["2021-06"]);
}

#[test]
fn vietnamese_headers_semicolons_bom_crlf_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}Mã hồ sơ;Cơ quan;Thủ tục;Cấp;Mức độ;Ngày tiếp nhận;Ngày hẹn trả;Ngày có kết quả;Ngày kết thúc;Trạng thái;Ghi chú\r\n\
        X1;\"Sở Tư pháp\";\"Cấp phiếu; lý lịch \"\"tư pháp\"\"\";Tỉnh;Mức độ 3;2021-03-10T08:00:00+07:00;2021-03-15;;2021-03-16T08:00:00+07:00;Đã trả;ghi chú\r\n\
        X2;Sở Tư pháp;Chứng thực;cấp tỉnh;;2021-03-10 08:00;2021-03-15;;;Đang xử lý;\r\n";
    let f = write(dir.path(), "vi.csv", text.as_bytes());
    let scan = scan_file(
        &f,
        &opts(
            &[Dim::Agency, Dim::Procedure],
            jiff::civil::date(2021, 4, 1),
            2,
        ),
    )
    .unwrap();
    assert_eq!(scan.bad_rows, 0, "{:?}", scan.bad);
    let keys: Vec<Vec<String>> = scan.groups.iter().map(|g| g.key.clone()).collect();
    assert_eq!(
        keys,
        vec![
            vec!["Sở Tư pháp".to_string(), "Chứng thực".to_string()],
            vec![
                "Sở Tư pháp".to_string(),
                "Cấp phiếu; lý lịch \"tư pháp\"".to_string()
            ],
        ]
    );
    assert_eq!(scan.total.late, 1);
    assert_eq!(scan.total.pending_overdue, 1);

    // Another export's names, mapped with --columns; a quoted line break forces the careful
    // sequential reader, with the same line numbers.
    let text = "Số HS,Đơn vị xử lý,TTHC,Cấp,Nhận lúc,Hạn,Xong lúc,Kết thúc lúc\n\
        Y1,huyen-yen-the,\"Đăng ký\nkhai sinh\",commune,2021-05-03T08:00:00+07:00,2021-05-04,,2021-05-04T10:00:00+07:00\n\
        Y2,huyen-yen-the,Khai tử,commune,2021-05-03T08:00:00+07:00,2021-05-01,,\n";
    let f = write(dir.path(), "other.csv", text.as_bytes());
    let mut o = opts(&[Dim::Agency], jiff::civil::date(2021, 6, 1), 2);
    o.columns = parse_column_map(
        "code=Số HS,agency=Đơn vị xử lý,procedure=TTHC,received_at=Nhận lúc,due_at=Hạn,result_at=Xong lúc,closed_at=Kết thúc lúc",
    )
    .unwrap();
    let scan = scan_file(&f, &o).unwrap();
    assert_eq!(scan.threads, 1, "read sequentially");
    assert_eq!(scan.rows, 1);
    assert_eq!(scan.total.on_time, 1);
    assert_eq!(scan.bad.len(), 1);
    assert_eq!(
        scan.bad[0],
        BadRow {
            line: 4,
            column: Some("due_at"),
            reason: RowProblem::Times(TimesProblem::DueBeforeReceived),
        }
    );
    // A missing required column is an error naming the header line.
    let f = write(dir.path(), "missing.csv", b"code,agency\nA,b\n");
    let e = scan_file(&f, &o).unwrap_err();
    assert_eq!(e.line, Some(1), "{e}");
    let e = scan_file(&f, &opts(&[Dim::Agency], jiff::civil::date(2021, 6, 1), 1)).unwrap_err();
    let ScanProblem::Layout(problems) = &e.kind else {
        panic!("{e}")
    };
    assert!(
        problems.iter().any(|p| matches!(
            p,
            LayoutProblem::Missing {
                field: "procedure",
                ..
            }
        )),
        "{e}"
    );
}

#[test]
fn reads_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    let row = [
        "Z1",
        "so-tu-phap",
        "1.001",
        "province",
        "3",
        "2021-03-10T08:00:00+07:00",
        "2021-03-15",
        "",
        "2021-03-17 09:00",
        "closed",
    ];
    for (c, v) in row.iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    wb.save(&path).unwrap();
    let scan = scan_file(
        &path,
        &opts(&[Dim::Agency], jiff::civil::date(2021, 4, 1), 2),
    )
    .unwrap();
    assert_eq!(scan.rows, 1);
    assert_eq!(scan.total.late, 1);
}

#[test]
fn hostile_workbooks_are_refused_by_the_dossier_reader() {
    let dir = tempfile::tempdir().unwrap();
    for c in parindex_interchange::hostile::corpus()
        .iter()
        .filter(|c| c.ext == "xlsx")
    {
        let path = write(dir.path(), &c.file_name(), &c.bytes);
        let res = scan_file(
            &path,
            &opts(&[Dim::Agency], jiff::civil::date(2021, 4, 1), 2),
        );
        // No case is a dossier export: each is refused, with the file named.
        let e = res
            .err()
            .unwrap_or_else(|| panic!("{} was read", c.file_name()));
        assert!(e.to_string().contains(&c.file_name()), "{e}");
    }
    // The dimension bomb under a real header: refused at the far cell, in both languages.
    use parindex_interchange::hostile::{text_cell, workbook};
    use parindex_interchange::xlsx_read::column_name;
    let header: String = HEADER
        .split(',')
        .enumerate()
        .map(|(i, h)| text_cell(&format!("{}1", column_name(i as u32 + 1)), h))
        .collect();
    let bomb = workbook(
        &format!(
            r#"<sheetData><row r="1">{header}</row><row r="1048576">{}</row></sheetData>"#,
            text_cell("XFD1048576", "z")
        ),
        None,
    );
    let path = write(dir.path(), "bomb.xlsx", &bomb);
    let e = scan_file(
        &path,
        &opts(&[Dim::Agency], jiff::civil::date(2021, 4, 1), 2),
    )
    .unwrap_err();
    assert!(
        matches!(&e.kind, ScanProblem::Xlsx(XlsxError::TooManyColumns { cell, .. }) if cell == "XFD1048576"),
        "{e}"
    );
}

/// Formula injection (issue 9): an agency and a procedure written as formulas in the one-stop
/// shop's export come out of `dossiers stats --csv` and the late list (`--late`) guarded by an
/// apostrophe; the spool read back for the import keeps them exactly as they were.
#[test]
fn formulas_in_a_dossier_file_stay_text_in_what_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "=HYPERLINK(\"http://x\"),=so-tu-phap,@SUM(1),province,3,2021-03-10T08:00:00+07:00,2021-03-15T17:00:00+07:00,,2021-03-16T00:01:00+07:00,-closed",
        "-0.25,+so-tai-chinh,1.001,province,3,2021-03-10T08:00:00+07:00,2021-03-15T17:00:00+07:00,,2021-03-17T00:01:00+07:00,closed",
    ];
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let f = write(dir.path(), "evil.csv", text.as_bytes());
    let scan = scan_file(&f, &opts(&[Dim::Agency], jiff::civil::date(2021, 3, 31), 1)).unwrap();
    assert_eq!(scan.bad_rows, 0, "{:?}", scan.bad);
    let inert = |c: &str| {
        !matches!(c.chars().next(), Some('=' | '+' | '@' | '\t' | '\r'))
            && c.strip_prefix('-')
                .is_none_or(|r| r.parse::<rust_decimal::Decimal>().is_ok())
    };
    let cells = |bytes: Vec<u8>| -> Vec<String> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice())
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    let mut stats = Vec::new();
    parindex_interchange::dossiers::stats_csv(&scan, &mut stats).unwrap();
    let stats = cells(stats);
    assert!(stats.iter().all(|c| inert(c)), "{stats:?}");
    assert!(stats.contains(&"'=so-tu-phap".to_string()), "{stats:?}");
    assert!(stats.contains(&"'+so-tai-chinh".to_string()), "{stats:?}");

    let spool = scan.overdue.as_ref().unwrap();
    let mut late = Vec::new();
    spool.write_csv(&mut late).unwrap();
    let late = cells(late);
    assert!(late.iter().all(|c| inert(c)), "{late:?}");
    for guarded in [
        "'=HYPERLINK(\"http://x\")",
        "'@SUM(1)",
        "'-closed",
        "'=so-tu-phap",
    ] {
        assert!(late.contains(&guarded.to_string()), "{guarded}: {late:?}");
    }
    assert!(
        late.contains(&"-0.25".to_string()),
        "a number stays: {late:?}"
    );
    // What the import stores is the file's text, unguarded.
    let mut back = spool.reader().next_batch(10).unwrap();
    back.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(back[1].code, "=HYPERLINK(\"http://x\")");
    assert_eq!(back[1].agency, "=so-tu-phap");
    assert_eq!(back[1].procedure, "@SUM(1)");
}

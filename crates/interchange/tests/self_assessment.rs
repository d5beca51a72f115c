//! The self-scoring summary table: written as XLSX in the provinces' layout, printable on A4,
//! read back equal; a table of another criteria set is refused with row numbers.

use parindex_domain::assessment::{self_score, Appraisal, Item};
use parindex_domain::edition::{Edition, NodeCode};
use parindex_domain::rules::ScoreInput;
use parindex_interchange::edition::edition_from_toml;
use parindex_interchange::self_assessment::{
    build_summary, import_items, read_summary_xlsx, write_summary_xlsx, SummaryHeader,
    FIGURE_HEADER, HEADERS,
};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::io::Read;

fn department() -> Edition {
    edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap()
}

fn district() -> Edition {
    edition_from_toml(
        include_str!("../../../data/samples/district-2021.toml"),
        "district-2021.toml",
    )
    .unwrap()
}

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn items(e: &Edition) -> BTreeMap<NodeCode, Item> {
    let declared = [
        ("1.1.1", ScoreInput::Choice("late".into())),
        ("1.1.2", ScoreInput::Number(dec!(100))),
        ("1.2", ScoreInput::YesNo(true)),
        ("1.3", ScoreInput::Points(dec!(2.5))),
        ("1.6", ScoreInput::Count(1)),
        ("2.2", ScoreInput::Number(dec!(96.5))),
        ("2.3", ScoreInput::Number(dec!(40))),
        ("2.6", ScoreInput::Count(2)),
        ("5.1", ScoreInput::Number(dec!(80.78))),
    ];
    let mut out = BTreeMap::new();
    for (c, input) in declared {
        let n = e.node(&code(c)).unwrap();
        let mut i = Item::new(code(c));
        i.self_score = Some(self_score(n, &input).unwrap());
        i.input = Some(input);
        out.insert(code(c), i);
    }
    let i = out.get_mut(&code("1.1.1")).unwrap();
    // A bullet as people type it: written guarded ('-), read back without the guard.
    i.explanation = "- Kế hoạch ban hành chậm do chờ hướng dẫn".into();
    i.note = "Bản giấy gửi kèm".into();
    i.appraisal1 = Some(Appraisal {
        score: dec!(1),
        comment: String::new(),
        by: "thamdinh".into(),
        at: String::new(),
    });
    out.get_mut(&code("1.3")).unwrap().note = "Đã kiểm tra 4/5 đơn vị".into();
    out
}

fn header() -> SummaryHeader {
    SummaryHeader {
        round_name: "Xác định Chỉ số CCHC các sở, ban, ngành năm 2021 (MẪU)".into(),
        unit_name: "Sở Tư pháp".into(),
        edition_name: "Bộ tiêu chí (MẪU)".into(),
        sample: true,
    }
}

fn evidence() -> BTreeMap<String, Vec<String>> {
    let mut ev = BTreeMap::new();
    ev.insert(
        "1.1.1".to_string(),
        vec![
            "Kế hoạch CCHC năm 2021 số 12/KH-STP ngày 20/01/2021 (Sở Tư pháp)".to_string(),
            "ke-hoach.pdf".to_string(),
        ],
    );
    ev
}

#[test]
fn export_then_import_is_equal() {
    let e = department();
    let items = items(&e);
    let table = build_summary(header(), &e, &items, &evidence());
    // Subtotals and the total.
    let row = |c: &str| table.rows.iter().find(|r| r.code == code(c)).unwrap();
    assert_eq!(row("1.1").self_score, Some(dec!(3)), "1 + 2");
    assert_eq!(
        row("1").self_score,
        Some(dec!(8.5)),
        "3 + 2 + 2.5 + bonus 1"
    );
    assert_eq!(row("2").self_score, Some(dec!(9.8)), "6 + 4.8 − 1");
    assert_eq!(row("1.1.1").appraised, Some(dec!(1)));
    assert_eq!(row("1").appraised, Some(dec!(1)));
    assert_eq!(table.total.max, Some(dec!(100)));
    assert_eq!(
        table.total.self_score,
        Some(dec!(8.5) + dec!(9.8) + dec!(4.039))
    );
    let bytes = write_summary_xlsx(&table).unwrap();
    // In the file, no text cell starts a formula (issue 9): the bullet carries its apostrophe.
    {
        use calamine::{Data, Reader, Xlsx};
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let name = wb.sheet_names()[0].clone();
        let texts: Vec<String> = wb
            .worksheet_range(&name)
            .unwrap()
            .used_cells()
            .filter_map(|c| match c.2 {
                Data::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        assert!(
            texts.iter().any(|t| t.starts_with("'- Kế hoạch")),
            "{texts:?}"
        );
        assert!(
            texts.iter().all(|t| !t.starts_with(['=', '+', '@', '-'])),
            "{texts:?}"
        );
    }
    let read = read_summary_xlsx(&bytes, "tu-cham.xlsx", &e).unwrap();
    assert_eq!(read.rows, table.rows, "every line reads back equal");
    assert_eq!(read.total, Some(table.total.clone()));
    assert_eq!(
        read.row_numbers[0], 8,
        "title lines, header and (1)…(7) above"
    );
    // Taken in, the lines give back the same declared figures, explanations and notes.
    let imported = import_items("tu-cham.xlsx", &e, &read, &items).unwrap();
    for i in &imported {
        let cur = items.get(&i.code);
        assert_eq!(
            i.input.as_ref(),
            cur.and_then(|c| c.input.as_ref()),
            "{}",
            i.code
        );
        assert_eq!(
            i.explanation,
            cur.map(|c| c.explanation.clone()).unwrap_or_default()
        );
        assert_eq!(i.note, cur.map(|c| c.note.clone()).unwrap_or_default());
    }
    // Into a fresh unit: manual, choice, yes/no and bonus/penalty scores find their figures,
    // and the figures behind bands and proportions are in their own column.
    let fresh = import_items("tu-cham.xlsx", &e, &read, &BTreeMap::new()).unwrap();
    for i in &fresh {
        let cur = items.get(&i.code);
        assert_eq!(
            i.input.as_ref(),
            cur.and_then(|c| c.input.as_ref()),
            "{}",
            i.code
        );
        assert_eq!(i.self_score, cur.and_then(|c| c.self_score), "{}", i.code);
    }
}

/// The row of `c` in a table.
fn row_of<'a>(
    t: &'a mut parindex_interchange::self_assessment::SummaryTable,
    c: &str,
) -> &'a mut parindex_interchange::self_assessment::SummaryRow {
    t.rows.iter_mut().find(|r| r.code == code(c)).unwrap()
}

#[test]
fn the_figure_behind_a_band_item_goes_out_and_comes_back() {
    let e = department();
    // 1.1.2: bands on a rate, ≥ 100 % → 2, 80–100 % → 1, < 80 % → 0; declared 90 %.
    let node = e.node(&code("1.1.2")).unwrap();
    let mut items = BTreeMap::new();
    let mut item = Item::new(code("1.1.2"));
    item.input = Some(ScoreInput::Number(dec!(90)));
    item.self_score = Some(self_score(node, &ScoreInput::Number(dec!(90))).unwrap());
    items.insert(code("1.1.2"), item);
    let table = build_summary(header(), &e, &items, &BTreeMap::new());
    assert_eq!(HEADERS[7], FIGURE_HEADER);
    let bytes = write_summary_xlsx(&table).unwrap();
    // In the file: column (8) holds 90 on the band item's line, beside its score of 1.
    {
        use calamine::{Data, Reader, Xlsx};
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let name = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&name).unwrap();
        let line = range
            .rows()
            .find(|r| r.first() == Some(&Data::String("1.1.2".into())))
            .unwrap();
        assert_eq!(line[7], Data::Float(90.0), "{line:?}");
        assert_eq!(line[3], Data::Float(1.0), "{line:?}");
        assert!(range
            .rows()
            .any(|r| r.iter().any(|c| c == &Data::String(FIGURE_HEADER.into()))));
    }
    let read = read_summary_xlsx(&bytes, "t.xlsx", &e).unwrap();
    assert!(read.has_figures);
    assert_eq!(read.rows, table.rows);
    let mut back = table.clone();
    let line = row_of(&mut back, "1.1.2");
    assert_eq!((line.figure, line.takes_figure), (Some(dec!(90)), true));
    assert!(!row_of(&mut back, "1.3").takes_figure, "a points item");
    assert!(!row_of(&mut back, "1.1").takes_figure, "a subtotal");

    // 60 % typed over the 90, the score left empty: the figure is taken, the score follows.
    let line = row_of(&mut back, "1.1.2");
    line.figure = Some(dec!(60));
    line.self_score = None;
    let changed = write_summary_xlsx(&back).unwrap();
    let read = read_summary_xlsx(&changed, "t.xlsx", &e).unwrap();
    let imported = import_items("t.xlsx", &e, &read, &items).unwrap();
    let i = imported.iter().find(|i| i.code == code("1.1.2")).unwrap();
    assert_eq!(i.input, Some(ScoreInput::Number(dec!(60))));
    assert_eq!(i.self_score, Some(dec!(0)), "below 80 %: no point");
    // The score typed as the figure gives it is fine too (60 → 0, 85 → 1).
    for (figure, score) in [(dec!(60), dec!(0)), (dec!(85), dec!(1))] {
        let line = row_of(&mut back, "1.1.2");
        line.figure = Some(figure);
        line.self_score = Some(score);
        let read = read_summary_xlsx(&write_summary_xlsx(&back).unwrap(), "t.xlsx", &e).unwrap();
        let imported = import_items("t.xlsx", &e, &read, &items).unwrap();
        let i = imported.iter().find(|i| i.code == code("1.1.2")).unwrap();
        assert_eq!(
            (i.input.clone(), i.self_score),
            (Some(ScoreInput::Number(figure)), Some(score))
        );
    }
    // The figure and the score both emptied: the item is no longer scored.
    let line = row_of(&mut back, "1.1.2");
    line.figure = None;
    line.self_score = None;
    let read = read_summary_xlsx(&write_summary_xlsx(&back).unwrap(), "t.xlsx", &e).unwrap();
    let imported = import_items("t.xlsx", &e, &read, &items).unwrap();
    let i = imported.iter().find(|i| i.code == code("1.1.2")).unwrap();
    assert_eq!((i.input.clone(), i.self_score), (None, None));
}

#[test]
fn a_figure_that_does_not_fit_is_refused_at_its_row_and_column() {
    use parindex_domain::assessment::ItemError;
    use parindex_domain::rules::RuleError;
    use parindex_interchange::ReadProblem;
    let e = department();
    let mut table = build_summary(header(), &e, &BTreeMap::new(), &BTreeMap::new());
    // 60 % gives 0 on 1.1.2, not the 1 typed beside it.
    row_of(&mut table, "1.1.2").figure = Some(dec!(60));
    row_of(&mut table, "1.1.2").self_score = Some(dec!(1));
    // A score typed for a proportional item without its figure.
    row_of(&mut table, "2.3").self_score = Some(dec!(6));
    // A negative rate on a proportional item (the rule refuses it).
    row_of(&mut table, "5.1").figure = Some(dec!(-5));
    let bytes = write_summary_xlsx(&table).unwrap();
    let read = read_summary_xlsx(&bytes, "t.xlsx", &e).unwrap();
    let err = import_items("t.xlsx", &e, &read, &BTreeMap::new()).unwrap_err();
    let at = |c: &str| {
        let n = read.row_numbers[read.rows.iter().position(|r| r.code == code(c)).unwrap()];
        err.problems
            .iter()
            .find(|p| p.row == Some(n))
            .unwrap_or_else(|| panic!("{c} (row {n}): {err}"))
    };
    let p = at("1.1.2");
    assert_eq!(p.column.as_deref(), Some("Điểm tự đánh giá"));
    assert_eq!(
        p.read_kind(),
        Some(&ReadProblem::FigureGivesOther {
            code: "1.1.2".into(),
            figure: dec!(60),
            score: dec!(0),
            typed: dec!(1)
        })
    );
    let p = at("2.3");
    assert_eq!(p.column.as_deref(), Some("Điểm tự đánh giá"));
    assert_eq!(
        p.read_kind(),
        Some(&ReadProblem::FromAFigure { code: "2.3".into() })
    );
    let p = at("5.1");
    assert_eq!(p.column.as_deref(), Some(FIGURE_HEADER));
    assert!(
        matches!(p.read_kind(), Some(ReadProblem::Score { code, problem: ItemError::Rule(RuleError::Negative(_)) }) if code == "5.1"),
        "{p}"
    );
    assert_eq!(err.problems.len(), 3, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("the figure 60 gives 0 points, not 1"),
        "{text}"
    );

    // Text in the figure column: refused by the reader at its row and column; a rate's `%`
    // and a decimal comma are read as the web form reads them.
    // Every cell written as text, as a person may type it.
    let book = |lines: &[[&str; 8]]| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, line) in lines.iter().enumerate() {
            for (c, v) in line.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    };
    let err = read_summary_xlsx(
        &book(&[HEADERS, ["1.1.2", "Tỷ lệ", "2", "", "", "", "", "nhiều"]]),
        "t.xlsx",
        &e,
    )
    .unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(
        (p.row, p.column.as_deref()),
        (Some(2), Some(FIGURE_HEADER)),
        "{err}"
    );
    assert!(
        matches!(p.read_kind(), Some(ReadProblem::Number(_))),
        "{err}"
    );
    let lines = [
        HEADERS,
        ["2.2", "Tỷ lệ", "8", "", "", "", "", "96,5 %"],
        ["2.3", "Tỷ lệ", "6", "", "", "", "", "40%"],
        // A figure on a points item.
        ["1.3", "Điểm", "3", "", "", "", "", "3"],
    ];
    let read = read_summary_xlsx(&book(&lines), "t.xlsx", &e).unwrap();
    let err = import_items("t.xlsx", &e, &read, &BTreeMap::new()).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!((p.row, p.column.as_deref()), (Some(4), Some(FIGURE_HEADER)));
    assert_eq!(
        p.read_kind(),
        Some(&ReadProblem::FigureNotTaken { code: "1.3".into() })
    );
    let read = read_summary_xlsx(&book(&lines[..3]), "t.xlsx", &e).unwrap();
    let imported = import_items("t.xlsx", &e, &read, &BTreeMap::new()).unwrap();
    let got: Vec<(String, Option<ScoreInput>, Option<rust_decimal::Decimal>)> = imported
        .iter()
        .map(|i| (i.code.to_string(), i.input.clone(), i.self_score))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "2.2".into(),
                Some(ScoreInput::Number(dec!(96.5))),
                Some(dec!(6))
            ),
            (
                "2.3".into(),
                Some(ScoreInput::Number(dec!(40))),
                Some(dec!(4.8))
            ),
        ]
    );
}

#[test]
fn a_seven_column_table_still_reads_with_the_current_figures() {
    let e = department();
    let node = e.node(&code("2.2")).unwrap();
    let mut current = BTreeMap::new();
    let mut item = Item::new(code("2.2"));
    item.input = Some(ScoreInput::Number(dec!(96.5)));
    item.self_score = Some(self_score(node, &ScoreInput::Number(dec!(96.5))).unwrap());
    current.insert(code("2.2"), item);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADERS[..7].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "2.2").unwrap();
    ws.write_string(1, 1, "Tỷ lệ").unwrap();
    ws.write_number(1, 2, 8.0).unwrap();
    ws.write_number(1, 3, 6.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let read = read_summary_xlsx(&bytes, "old.xlsx", &e).unwrap();
    assert!(!read.has_figures);
    // The current figure gives the score: kept.
    let imported = import_items("old.xlsx", &e, &read, &current).unwrap();
    assert_eq!(
        imported[0].input,
        Some(ScoreInput::Number(dec!(96.5))),
        "{imported:?}"
    );
    // No figure to give it: refused, pointing at the figure column.
    let err = import_items("old.xlsx", &e, &read, &BTreeMap::new()).unwrap_err();
    assert_eq!(
        err.read_kinds().next(),
        Some(&parindex_interchange::ReadProblem::FromAFigure { code: "2.2".into() })
    );
    assert!(err.to_string().contains("Số liệu kê khai"), "{err}");
}

#[test]
fn printable_on_a4_with_the_header_repeated() {
    let e = department();
    let bytes = write_summary_xlsx(&build_summary(header(), &e, &items(&e), &evidence())).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(sheet.contains("paperSize=\"9\""), "A4");
    assert!(sheet.contains("orientation=\"landscape\""));
    assert!(
        sheet.contains("fitToHeight=\"0\""),
        "one page wide, as long as needed"
    );
    assert!(sheet.contains("<oddFooter>"));
    let mut wb = String::new();
    zip.by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut wb)
        .unwrap();
    assert!(
        wb.contains("_xlnm.Print_Titles"),
        "the header repeats on every page"
    );
    let mut shared = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut shared)
        .unwrap();
    for h in HEADERS {
        assert!(shared.contains(h), "{h}");
    }
    assert!(shared.contains("MẪU"), "a sample is labelled as such");
}

#[test]
fn a_table_of_another_criteria_set_is_refused_with_row_numbers() {
    let dept = department();
    let dist = district();
    let bytes = write_summary_xlsx(&build_summary(
        header(),
        &dist,
        &BTreeMap::new(),
        &BTreeMap::new(),
    ))
    .unwrap();
    let err = read_summary_xlsx(&bytes, "huyen.xlsx", &dept).unwrap_err();
    let text = err.to_string();
    // District area 6 does not exist for departments; 1.1 differs in max (3 vs 4).
    assert!(
        text.contains("6 is not a criterion of sample-department-2021"),
        "{text}"
    );
    assert!(
        text.contains("column 'Điểm tối đa'") && text.contains("another criteria set"),
        "{text}"
    );
    assert!(err.problems.iter().all(|p| p.row.is_some()), "{text}");
    // Not a summary table at all.
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "Hello").unwrap();
    let err = read_summary_xlsx(&wb.save_to_buffer().unwrap(), "x.xlsx", &dept).unwrap_err();
    assert!(
        matches!(
            err.read_kinds().next(),
            Some(parindex_interchange::ReadProblem::NoSummaryHeader { .. })
        ),
        "{err}"
    );
    assert!(read_summary_xlsx(b"not a workbook", "x.xlsx", &dept).is_err());
}

#[test]
fn scores_a_rule_cannot_give_are_refused() {
    let e = department();
    let mut table = build_summary(header(), &e, &BTreeMap::new(), &BTreeMap::new());
    let set = |t: &mut parindex_interchange::self_assessment::SummaryTable, c: &str, v| {
        t.rows
            .iter_mut()
            .find(|r| r.code == code(c))
            .unwrap()
            .self_score = Some(v);
    };
    set(&mut table, "1.3", dec!(2.5)); // manual, fine
    set(&mut table, "1.4", dec!(1.2)); // off the 0.5 step
    set(&mut table, "1.1.1", dec!(1.5)); // no option gives 1.5
    set(&mut table, "2.5", dec!(3)); // survey-scored
    set(&mut table, "1.2", dec!(2)); // yes
    let bytes = write_summary_xlsx(&table).unwrap();
    let read = read_summary_xlsx(&bytes, "t.xlsx", &e).unwrap();
    let err = import_items("t.xlsx", &e, &read, &BTreeMap::new()).unwrap_err();
    use parindex_domain::assessment::ItemError;
    use parindex_domain::rules::RuleError;
    use parindex_interchange::ReadProblem;
    let kinds: Vec<&ReadProblem> = err.read_kinds().collect();
    assert!(
        kinds.iter().any(|k| matches!(k, ReadProblem::Score { code, problem }
            if code == "1.4" && matches!(problem, ItemError::OffStep { .. } | ItemError::Rule(RuleError::OffStep { .. })))),
        "{err}"
    );
    assert!(kinds.contains(&&ReadProblem::NoAnswerGives {
        code: "1.1.1".into(),
        score: dec!(1.5)
    }));
    assert!(kinds.contains(&&ReadProblem::NotSelfScored { code: "2.5".into() }));
    assert_eq!(kinds.len(), 3, "1.3 and 1.2 are fine: {err}");
    assert!(err
        .problems
        .iter()
        .all(|p| p.row.is_some() && p.column.as_deref() == Some("Điểm tự đánh giá")));
}

//! Entry points of the fuzz targets (`fuzz/fuzz_targets/*.rs`, run with `cargo fuzz`), kept in
//! the library so that the committed seed corpus (`fuzz/corpus/<target>/`) is replayed as an
//! ordinary test on the stable toolchain (`tests/fuzz_corpus.rs`). Each takes arbitrary bytes,
//! must never panic, abort or allocate past the readers' limits, and checks what it can of the
//! result (a refusal names its file; rows stay within the limits they were read under).

use crate::dossiers::{scan_csv, scan_csv_careful, scan_xlsx, Scan, ScanOptions};
use crate::xlsx_read::{self, XlsxLimits};
use parindex_domain::edition::Edition;
use parindex_domain::units::Unit;
use std::collections::BTreeSet;
use std::io::Cursor;
use std::sync::OnceLock;

/// The first byte picks the format (and for tables the reader); the rest is the file.
fn split(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((k, rest)) => (*k, rest),
        None => (0, data),
    }
}

fn edition_2020() -> &'static Edition {
    static E: OnceLock<Edition> = OnceLock::new();
    E.get_or_init(|| {
        crate::edition::edition_from_toml(
            include_str!("../../../data/editions/par-2020-province.toml"),
            "par-2020-province.toml",
        )
        .unwrap_or_else(|e| panic!("the bundled edition reads: {e}"))
    })
}

fn department_2021() -> &'static Edition {
    static E: OnceLock<Edition> = OnceLock::new();
    E.get_or_init(|| {
        crate::edition::edition_from_toml(
            include_str!("../../../data/samples/department-2021.toml"),
            "department-2021.toml",
        )
        .unwrap_or_else(|e| panic!("the bundled sample reads: {e}"))
    })
}

fn check_error(e: &crate::ImportError, file: &str) {
    assert_eq!(e.file, file, "a refusal names its file");
    assert!(!e.problems.is_empty(), "a refusal says why");
}

/// The raw XLSX reader under the table limits: every row within the limits.
pub fn xlsx(data: &[u8]) {
    let limits = XlsxLimits::TABLE;
    if let Ok(sheets) = xlsx_read::read_all(Cursor::new(data), limits) {
        assert!(sheets.len() <= limits.max_sheets);
        let mut grid = 0u64;
        for (_, rows) in &sheets {
            for (n, cells) in rows {
                assert!(*n >= 1 && *n <= u64::from(limits.max_rows));
                assert!(cells.len() <= limits.max_columns as usize);
                grid += cells.len() as u64;
            }
        }
        assert!(grid <= limits.max_grid_cells);
    }
}

/// The data tables: results, units, subjects, targets, observations, criteria, as CSV or XLSX.
pub fn tables(data: &[u8]) {
    let (k, body) = split(data);
    let xlsx = k & 1 == 1;
    let file = if xlsx { "table.xlsx" } else { "table.csv" };
    let text = std::str::from_utf8(body);
    let known: BTreeSet<String> = ["bac-giang", "phu-tho", "quang-ninh"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let is_known = |s: &str| known.contains(s);
    let res: Result<(), crate::ImportError> = match (k >> 1) % 7 {
        0 => {
            let r = if xlsx {
                crate::results::results_from_xlsx(
                    Cursor::new(body),
                    file,
                    edition_2020(),
                    &is_known,
                )
            } else {
                match text {
                    Ok(t) => crate::results::results_from_csv(t, file, edition_2020(), &is_known),
                    Err(_) => return,
                }
            };
            r.map(|_| ())
        }
        1 => {
            let r: Result<Vec<Unit>, _> = if xlsx {
                crate::units::units_from_xlsx(Cursor::new(body), file, &known)
            } else {
                match text {
                    Ok(t) => crate::units::units_from_csv(t, file, &known),
                    Err(_) => return,
                }
            };
            r.map(|_| ())
        }
        2 => if xlsx {
            crate::subjects::subjects_from_xlsx(Cursor::new(body), file)
        } else {
            match text {
                Ok(t) => crate::subjects::subjects_from_csv(t, file),
                Err(_) => return,
            }
        }
        .map(|_| ()),
        3 => if xlsx {
            crate::targets::targets_from_xlsx(Cursor::new(body), file)
        } else {
            match text {
                Ok(t) => crate::targets::targets_from_csv(t, file),
                Err(_) => return,
            }
        }
        .map(|_| ()),
        4 => crate::indicators::observations_from_bytes(body, file, &|_| {
            Some(parindex_domain::indicators::Measure::Ratio)
        })
        .map(|_| ()),
        5 => match text {
            Ok(t) if !xlsx => crate::edition::criteria_from_csv(t, file).map(|_| ()),
            _ => crate::read_table_bytes(file, body, XlsxLimits::SMALL_TABLE).map(|_| ()),
        },
        _ => crate::read_table_bytes(file, body, XlsxLimits::TABLE).map(|_| ()),
    };
    if let Err(e) = res {
        check_error(&e, file);
    }
}

/// An edition as TOML, JSON or XLSX.
pub fn edition(data: &[u8]) {
    let (k, body) = split(data);
    let res = match k % 3 {
        0 => match std::str::from_utf8(body) {
            Ok(t) => crate::edition::edition_from_toml(t, "e.toml").map_err(|e| (e, "e.toml")),
            Err(_) => return,
        },
        1 => match std::str::from_utf8(body) {
            Ok(t) => crate::edition::edition_from_json(t, "e.json").map_err(|e| (e, "e.json")),
            Err(_) => return,
        },
        _ => crate::edition::edition_from_xlsx(Cursor::new(body), "e.xlsx")
            .map_err(|e| (e, "e.xlsx")),
    };
    match res {
        Ok(e) => {
            // What is read is valid by the domain's own rules.
            assert!(e.validate().is_empty(), "{:?}", e.validate());
        }
        Err((e, f)) => check_error(&e, f),
    }
}

/// The improvement plan as TOML or JSON.
pub fn plan(data: &[u8]) {
    let (k, body) = split(data);
    let Ok(t) = std::str::from_utf8(body) else {
        return;
    };
    let (res, f) = if k & 1 == 0 {
        (crate::plan::plan_from_toml(t, "p.toml"), "p.toml")
    } else {
        (crate::plan::plan_from_json(t, "p.json"), "p.json")
    };
    if let Err(e) = res {
        check_error(&e, f);
    }
}

/// The self-scoring summary table, read against the sample department criteria set.
pub fn self_assessment(data: &[u8]) {
    let e = department_2021();
    match crate::self_assessment::read_summary_xlsx(data, "s.xlsx", e) {
        Ok(read) => {
            if let Err(err) =
                crate::self_assessment::import_items("s.xlsx", e, &read, &Default::default())
            {
                check_error(&err, "s.xlsx");
            }
        }
        Err(err) => check_error(&err, "s.xlsx"),
    }
}

fn scratch(ext: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "parindex-fuzz-{}-{}.{ext}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn opts(threads: usize) -> ScanOptions {
    ScanOptions {
        dims: vec![
            parindex_domain::dossiers::Dim::Agency,
            parindex_domain::dossiers::Dim::Month,
        ],
        as_of_day: parindex_domain::dossiers::day_of(jiff::civil::date(2021, 8, 15)),
        threads,
        columns: Vec::new(),
        spool_overdue: false,
    }
}

fn summary(s: &Scan) -> (u64, u64, String, String) {
    (
        s.rows,
        s.bad_rows,
        format!("{:?}", s.total),
        format!("{:?}", s.groups),
    )
}

/// The dossier reader: the parallel fast path (3 threads) against the careful sequential reader
/// (the csv crate) as a differential oracle — same counts, or both refuse.
pub fn dossiers_csv(data: &[u8]) {
    let path = scratch("csv");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let fast = scan_csv(&path, &opts(3));
    let careful = scan_csv_careful(&path, &opts(1));
    let _ = std::fs::remove_file(&path);
    match (fast, careful) {
        (Ok(a), Ok(b)) => assert_eq!(summary(&a), summary(&b), "fast and careful readers differ"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "one reader refused: fast {:?}, careful {:?}",
            a.map(|s| summary(&s)),
            b.map(|s| summary(&s))
        ),
    }
}

/// The dossier reader on a workbook.
pub fn dossiers_xlsx(data: &[u8]) {
    let path = scratch("xlsx");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let res = scan_xlsx(&path, &opts(1));
    let _ = std::fs::remove_file(&path);
    if let Err(e) = res {
        assert!(!e.kind.to_string().is_empty());
    }
}

/// The JSON batch of `POST /api/v1/dossiers` ([`crate::dossiers::read_batch`]), with a small
/// maximum so that the limit is reached: never more dossiers than the maximum, and every
/// dossier either refused with a reason or read within the limits (code and agency given,
/// texts at most [`crate::dossiers::TEXT_MAX`] bytes, the times in order).
pub fn dossiers_json(data: &[u8]) {
    use crate::dossiers::{read_batch, BatchProblem, TEXT_MAX};
    const MAX: usize = 50;
    let as_of = parindex_domain::dossiers::day_of(jiff::civil::date(2021, 8, 15));
    match read_batch(data, MAX) {
        Ok(rows) => {
            assert!(rows.len() <= MAX);
            for r in &rows {
                if let Ok(d) = r.check(as_of) {
                    assert!(!d.code.is_empty() && !d.agency.is_empty());
                    assert!(d.code.len() <= 4 * TEXT_MAX && d.procedure.len() <= 4 * TEXT_MAX);
                    assert!(d.row.due.days >= d.row.received.days);
                    assert_eq!(d.row.month, d.row.received.month());
                }
            }
        }
        Err(BatchProblem::TooMany { max }) => assert_eq!(max, MAX),
        Err(_) => {}
    }
}

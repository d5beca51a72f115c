use super::*;
use crate::hostile::{self, text_cell, workbook, Expect};
use jiff::civil::Date;
use std::io::Cursor;

fn open(bytes: &[u8], limits: XlsxLimits) -> Result<Vec<SheetRows>, XlsxError> {
    read_all(Cursor::new(bytes), limits)
}

fn case(name: &str, ext: &str) -> hostile::Case {
    hostile::corpus()
        .iter()
        .find(|c| c.name == name && c.ext == ext)
        .cloned()
        .unwrap_or_else(|| panic!("no case {name}.{ext}"))
}

#[test]
fn cell_references_and_column_names() {
    assert_eq!(parse_ref("A1"), Some((1, 1)));
    assert_eq!(parse_ref("xfd1048576"), Some((1_048_576, 16_384)));
    assert_eq!(parse_ref("AA10"), Some((10, 27)));
    for bad in [
        "",
        "A",
        "1",
        "A0",
        "1A",
        "A1B",
        "AAAAAAAA1",
        "A99999999999",
        "Ä1",
    ] {
        assert_eq!(parse_ref(bad), None, "{bad}");
    }
    assert_eq!(column_name(1), "A");
    assert_eq!(column_name(26), "Z");
    assert_eq!(column_name(27), "AA");
    assert_eq!(column_name(16_384), "XFD");
}

#[test]
fn a_workbook_written_by_a_spreadsheet_writer_reads_back() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Kết quả").unwrap();
    ws.write_string(0, 0, "Tỉnh").unwrap();
    ws.write_string(0, 1, "Điểm").unwrap();
    ws.write_string(1, 0, "Bắc Giang & <Hà Nội>").unwrap();
    ws.write_number(1, 1, 85.58).unwrap();
    ws.write_boolean(2, 3, true).unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2021, 8, 15).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    ws.write_datetime_with_format(3, 0, &date, &fmt).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let sheets = open(&bytes, XlsxLimits::SMALL_TABLE).unwrap();
    assert_eq!(sheets[0].0, "Kết quả");
    let rows = &sheets[0].1;
    assert_eq!(rows[0].0, 1);
    assert_eq!(
        rows[0].1,
        vec![Value::Text("Tỉnh".into()), Value::Text("Điểm".into())]
    );
    assert_eq!(rows[1].1[0], Value::Text("Bắc Giang & <Hà Nội>".into()));
    assert_eq!(rows[1].1[1], Value::Number(85.58));
    // Row 3: empty cells before the last one are filled.
    assert_eq!(rows[2].0, 3);
    assert_eq!(
        rows[2].1,
        vec![Value::Empty, Value::Empty, Value::Empty, Value::Bool(true)]
    );
    assert_eq!(
        rows[3].1[0],
        Value::DateTime(Date::constant(2021, 8, 15).at(0, 0, 0, 0))
    );
}

#[test]
fn the_issue_s_dimension_bomb_is_refused_naming_sheet_cell_and_limit() {
    let c = case("dimension-bomb", "xlsx");
    assert!(
        c.bytes.len() < 2_500,
        "the bomb is small: {}",
        c.bytes.len()
    );
    for limits in [
        XlsxLimits::SMALL_TABLE,
        XlsxLimits::TABLE,
        XlsxLimits::DOSSIERS,
    ] {
        let e = open(&c.bytes, limits).unwrap_err();
        // A small table stops at the row, a dossier export (all of Excel's rows) at the column.
        match &e {
            XlsxError::TooManyColumns { sheet, cell, .. } => {
                assert_eq!(sheet, "Sheet1");
                assert_eq!(cell, "XFD1048576");
                assert!(e.to_string().contains("XFD1048576"), "{e}");
            }
            XlsxError::TooManyRows { sheet, row, limit } => {
                assert_eq!(sheet, "Sheet1");
                assert_eq!(*row, 1_048_576);
                assert_eq!(*limit, limits.max_rows);
                assert!(e.to_string().contains("row 1048576"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.is_limit());
    }
}

#[test]
fn zip_bombs_are_refused_before_inflating_them() {
    let e = open(&case("zip-bomb-ratio", "xlsx").bytes, XlsxLimits::TABLE).unwrap_err();
    assert!(matches!(e, XlsxError::RatioTooHigh { .. }), "{e:?}");
    // The lying entry declares 1 KiB: reading stops at the declared size.
    let e = open(
        &case("zip-bomb-lying-size", "xlsx").bytes,
        XlsxLimits::DOSSIERS,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            XlsxError::SizeMismatch { .. } | XlsxError::Zip(_) | XlsxError::Xml { .. }
        ),
        "{e:?}"
    );
    let e = open(&case("zip-bomb-nested", "xlsx").bytes, XlsxLimits::TABLE).unwrap_err();
    assert!(
        matches!(e, XlsxError::NotWorkbook | XlsxError::RatioTooHigh { .. }),
        "{e:?}"
    );
    let e = open(
        &case("zip-overlapping-entries", "xlsx").bytes,
        XlsxLimits::TABLE,
    )
    .unwrap_err();
    assert!(matches!(e, XlsxError::OverlappingEntries), "{e:?}");
}

#[test]
fn the_total_inflated_is_bounded_across_parts() {
    // Four sheets of 3 MiB each (ratio ~ 1, random-ish digits) against a 8 MiB budget.
    let mut limits = XlsxLimits::TABLE;
    limits.max_total_bytes = 8 * MIB;
    let mut row = String::from("<sheetData>");
    let mut x: u64 = 1;
    while row.len() < 3 * MIB as usize {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        row.push_str(&format!("<!--{x:x}-->"));
    }
    row.push_str("</sheetData>");
    let bytes = workbook(&row, None);
    // One sheet read four times through the same workbook stays within one budget.
    let mut wb = Workbook::open(Cursor::new(&bytes), limits).unwrap();
    let mut err = None;
    for _ in 0..4 {
        if let Err(e) = wb.read_sheet("Sheet1") {
            err = Some(e);
            break;
        }
    }
    assert!(
        matches!(err, Some(XlsxError::TotalTooLarge { .. })),
        "{err:?}"
    );
}

#[test]
fn shared_strings_are_counted_never_reserved() {
    let e = open(
        &case("million-shared-strings", "xlsx").bytes,
        XlsxLimits::SMALL_TABLE,
    )
    .unwrap_err();
    assert_eq!(e, XlsxError::TooManySharedStrings { limit: 200_000 });
    // A declared count of ten trillion reserves nothing: the one string reads.
    let rows = open(
        &case("shared-strings-count-lie", "xlsx").bytes,
        XlsxLimits::TABLE,
    )
    .unwrap();
    assert_eq!(rows[0].1[0].1, vec![Value::Text("a".into())]);
    let e = open(
        &case("shared-string-index-out-of-range", "xlsx").bytes,
        XlsxLimits::TABLE,
    )
    .unwrap_err();
    assert!(matches!(e, XlsxError::BadCell { .. }), "{e:?}");
}

#[test]
fn columns_rows_cells_and_depth_are_limited() {
    let e = open(&case("columns-100000", "xlsx").bytes, XlsxLimits::TABLE).unwrap_err();
    assert!(
        matches!(&e, XlsxError::TooManyColumns { cell, limit: 1024, .. } if cell == "AMK1"),
        "{e:?}"
    );
    let e = open(&case("far-row", "xlsx").bytes, XlsxLimits::DOSSIERS).unwrap_err();
    assert!(
        matches!(e, XlsxError::TooManyRows { row: 2_000_000, .. }),
        "{e:?}"
    );
    let e = open(&case("column-past-xfd", "xlsx").bytes, XlsxLimits::DOSSIERS).unwrap_err();
    assert!(matches!(e, XlsxError::TooManyColumns { .. }), "{e:?}");
    let e = open(&case("bad-cell-reference", "xlsx").bytes, XlsxLimits::TABLE).unwrap_err();
    assert!(matches!(e, XlsxError::BadCell { .. }), "{e:?}");
    let e = open(&case("deep-xml", "xlsx").bytes, XlsxLimits::TABLE).unwrap_err();
    assert!(matches!(e, XlsxError::TooDeep { limit: 64, .. }), "{e:?}");
    for limits in [XlsxLimits::SMALL_TABLE, XlsxLimits::DOSSIERS] {
        let e = open(&case("huge-token", "xlsx").bytes, limits).unwrap_err();
        assert!(matches!(e, XlsxError::TokenTooLarge { .. }), "{e:?}");
    }
    let e = open(&case("huge-single-cell", "xlsx").bytes, XlsxLimits::TABLE).unwrap_err();
    assert!(
        matches!(&e, XlsxError::CellTooLong { cell, limit: 32_767, .. } if cell == "A1"),
        "{e:?}"
    );
    // Cells: 3 cells against a limit of 2.
    let mut limits = XlsxLimits::TABLE;
    limits.max_cells = 2;
    let three = workbook(
        &format!(
            "<sheetData><row r=\"1\">{}{}{}</row></sheetData>",
            text_cell("A1", "a"),
            text_cell("B1", "b"),
            text_cell("C1", "c")
        ),
        None,
    );
    assert!(matches!(
        open(&three, limits).unwrap_err(),
        XlsxError::TooManyCells { limit: 2, .. }
    ));
    // The grid: a cell in column 300 on each of 10 rows against 2,000 cells.
    let mut limits = XlsxLimits::TABLE;
    limits.max_grid_cells = 2_000;
    let mut sheet = String::from("<sheetData>");
    for r in 1..=10 {
        sheet.push_str(&format!(
            "<row r=\"{r}\">{}</row>",
            text_cell(&format!("KN{r}"), "x")
        ));
    }
    sheet.push_str("</sheetData>");
    assert!(matches!(
        open(&workbook(&sheet, None), limits).unwrap_err(),
        XlsxError::GridTooLarge { limit: 2_000, .. }
    ));
}

#[test]
fn foreign_files_are_named_for_what_they_are() {
    let e = |n: &str| open(&case(n, "xlsx").bytes, XlsxLimits::TABLE).unwrap_err();
    assert_eq!(e("really-xls"), XlsxError::OldExcel);
    assert_eq!(e("really-ods"), XlsxError::OpenDocument);
    assert_eq!(e("zip-of-something-else"), XlsxError::NotWorkbook);
    assert_eq!(e("not-a-zip"), XlsxError::NotZip);
    assert_eq!(e("empty"), XlsxError::Empty);
    assert!(matches!(e("truncated-zip"), XlsxError::Zip(_)));
    assert!(matches!(e("invalid-utf8"), XlsxError::Xml { .. }));
    assert!(matches!(e("bad-cell-values"), XlsxError::BadCell { .. }));
}

#[test]
fn benign_oddities_read_as_a_spreadsheet_shows_them() {
    let rows = |n: &str| open(&case(n, "xlsx").bytes, XlsxLimits::TABLE).unwrap();
    // Formulas: the cached value, never the formula; a formula without one is empty.
    let f = rows("formulas");
    assert_eq!(
        f[0].1[0].1,
        vec![Value::Text("click".into()), Value::Number(2.0)]
    );
    // Merged cells: the value is in the top-left cell.
    let m = rows("merged-cells");
    assert_eq!(m[0].1[0].1, vec![Value::Text("merged".into())]);
    assert_eq!(m[0].1[1].1, vec![Value::Empty, Value::Text("b".into())]);
    // Dates stored as numbers: built-in and custom date formats are dates, 60 is no date.
    let d = rows("dates-as-numbers");
    let cells = &d[0].1[0].1;
    assert_eq!(
        cells[0],
        Value::DateTime(Date::constant(2021, 8, 15).at(0, 0, 0, 0))
    );
    assert_eq!(
        cells[1],
        Value::DateTime(Date::constant(2021, 8, 15).at(12, 0, 0, 0))
    );
    assert_eq!(cells[2], Value::Number(44423.0));
    assert_eq!(cells[3], Value::Duration(60.0));
    // An empty sheet has no rows.
    assert!(rows("empty-sheet")[0].1.is_empty());
    // `_x0000_` escapes decode (the table readers then refuse the control character).
    assert_eq!(rows("nul-bytes")[0].1[1].1[1], Value::Text("a\0b".into()));
}

#[test]
fn serial_numbers_follow_excel_s_two_date_systems() {
    let d = |s, w| serial_to_datetime(s, w).map(|dt| dt.date());
    assert_eq!(d(1.0, false), Some(Date::constant(1900, 1, 1)));
    assert_eq!(d(59.0, false), Some(Date::constant(1900, 2, 28)));
    assert_eq!(d(60.0, false), None);
    assert_eq!(d(61.0, false), Some(Date::constant(1900, 3, 1)));
    assert_eq!(d(0.0, true), Some(Date::constant(1904, 1, 1)));
    assert_eq!(d(-1.0, false), None);
    assert_eq!(d(f64::NAN, false), None);
    assert_eq!(d(1e300, false), None);
}

#[test]
fn every_refused_case_is_refused_by_the_table_reader_and_every_readable_one_read() {
    for c in hostile::corpus().iter() {
        let res = crate::read_table_bytes(&c.file_name(), &c.bytes, XlsxLimits::TABLE);
        match (c.expect, &res) {
            (Expect::Refused, Err(e)) => {
                assert!(!e.problems.is_empty(), "{}", c.file_name());
                assert_eq!(e.file, c.file_name());
            }
            (Expect::Readable, Ok(_)) => {}
            _ => panic!("{}: expected {:?}, got {res:?}", c.file_name(), c.expect),
        }
    }
}

#[test]
fn csv_oddities() {
    let read = |n: &str| {
        let c = case(n, "csv");
        crate::read_table_bytes(&c.file_name(), &c.bytes, XlsxLimits::TABLE)
    };
    assert_eq!(read("bom").unwrap(), 1);
    assert_eq!(read("cr-only-lines").unwrap(), 2);
    let e = read("nul-bytes").unwrap_err();
    assert_eq!(
        e.read_kinds().next(),
        Some(&crate::ReadProblem::ControlCharacter {
            row: 2,
            column: "B".into(),
            code: 0
        }),
        "{e}"
    );
    let e = read("huge-single-cell").unwrap_err();
    assert!(
        matches!(
            e.read_kinds().next(),
            Some(crate::ReadProblem::CellTooLong { max: 32767, .. })
        ),
        "{e}"
    );
    assert!(read("invalid-utf8")
        .unwrap_err()
        .to_string()
        .contains("UTF-8"));
}

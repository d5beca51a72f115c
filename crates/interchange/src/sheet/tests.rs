//! The shared writer read back with calamine: header, numbers, dates, guarded text, names.

use super::*;
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use jiff::civil::date;
use rust_decimal_macros::dec;
use std::io::Cursor;

fn read_back(bytes: Vec<u8>, name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook");
    let range = wb.worksheet_range(name).expect("the sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

#[test]
fn a_sheet_reads_back_with_its_header_numbers_and_dates() {
    let mut s = Sheet::new(
        "Nhiệm vụ",
        vec!["Mã".into(), "Điểm".into(), "Hạn".into(), "Ghi chú".into()],
    );
    s.rows.push(vec![
        Cell::from("1.1"),
        Cell::Dec(dec!(85.58)),
        Cell::Date(date(2021, 8, 15)),
        Cell::from("=HYPERLINK(\"x\")"),
    ]);
    s.rows.push(vec![
        Cell::from("1.2"),
        Cell::Int(7),
        Cell::Empty,
        Cell::Bool(true),
    ]);
    let rows = read_back(xlsx_bytes(&[s]).expect("written"), "Nhiệm vụ");

    assert_eq!(
        rows[0],
        vec![
            Data::String("Mã".into()),
            Data::String("Điểm".into()),
            Data::String("Hạn".into()),
            Data::String("Ghi chú".into()),
        ]
    );
    assert_eq!(rows[1][0], Data::String("1.1".into()));
    // A decimal is a number, and reads back as exactly the decimal written.
    assert_eq!(rows[1][1], Data::Float(85.58));
    // A date is a date (a serial day number with a date format), 15/08/2021.
    match &rows[1][2] {
        Data::DateTime(x) => {
            assert!(x.is_datetime());
            assert_eq!(x.as_f64(), 44423.0);
        }
        other => panic!("not a date: {other:?}"),
    }
    // Text a spreadsheet would run as a formula carries its guarding apostrophe.
    assert_eq!(rows[1][3], Data::String("'=HYPERLINK(\"x\")".into()));
    assert_eq!(rows[2][1], Data::Float(7.0));
    assert_eq!(rows[2][2], Data::Empty);
    assert_eq!(rows[2][3], Data::Bool(true));
}

/// A decimal cell is a number shown with 2 decimals (`8,50` as on the pages), not text.
#[test]
fn a_decimal_is_a_number_shown_with_two_decimals() {
    use std::io::Read;
    let mut s = Sheet::new("S", vec!["Điểm".into()]);
    s.rows.push(vec![Cell::Dec(dec!(8.5))]);
    let bytes = xlsx_bytes(&[s]).expect("written");
    let rows = read_back(bytes.clone(), "S");
    assert_eq!(rows[1][0], Data::Float(8.5));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .expect("the styles")
        .read_to_string(&mut styles)
        .expect("text");
    assert!(
        styles.contains(&format!("formatCode=\"{DECIMAL_FORMAT}\"")),
        "{styles}"
    );
    assert_eq!(DECIMAL_FORMAT, "0.00");
}

#[test]
fn a_preamble_puts_the_header_below_it() {
    let mut s = Sheet::with_columns("Tổng hợp", &[("Lĩnh vực", 9.0), ("Tên", 45.0)]);
    s.preamble = vec!["BÁO CÁO".into(), "Ủy ban".into()];
    s.rows
        .push(vec![Cell::from("A"), Cell::Wrapped("Một lĩnh vực".into())]);
    assert_eq!(s.header_row(), 3);
    let rows = read_back(xlsx_bytes(&[s]).expect("written"), "Tổng hợp");
    assert_eq!(rows[0][0], Data::String("BÁO CÁO".into()));
    assert_eq!(rows[1][0], Data::String("Ủy ban".into()));
    assert_eq!(rows[3][0], Data::String("Lĩnh vực".into()));
    assert_eq!(rows[4][1], Data::String("Một lĩnh vực".into()));
}

#[test]
fn an_exact_decimal_without_an_exact_number_stays_text() {
    let mut s = Sheet::new("S", vec!["x".into()]);
    let d = dec!(0.1234567890123456789);
    s.rows.push(vec![Cell::Dec(d)]);
    let rows = read_back(xlsx_bytes(&[s]).expect("written"), "S");
    assert_eq!(rows[1][0], Data::String(d.to_string()));
}

#[test]
fn sheet_names_are_valid_and_unique() {
    let mut taken = BTreeSet::new();
    assert_eq!(sheet_name("Nhiệm vụ", &mut taken), "Nhiệm vụ");
    assert_eq!(sheet_name("nhiệm vụ", &mut taken), "nhiệm vụ 2");
    assert_eq!(sheet_name("a/b:c", &mut taken), "a-b-c");
    assert_eq!(sheet_name("", &mut taken), "Sheet");
    let long = "x".repeat(40);
    assert_eq!(sheet_name(&long, &mut taken), "x".repeat(28));
}

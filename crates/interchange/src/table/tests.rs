use super::*;
use parindex_domain::score::NumberProblem;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

proptest! {
    #[test]
    fn decimals_of_up_to_15_digits_survive_a_spreadsheet_number(
        m in -999_999_999_999i64..999_999_999_999, scale in 0u32..6
    ) {
        let d = Decimal::new(m, scale);
        let f = decimal_to_f64(d);
        prop_assert!(f.is_some(), "{d} has no exact f64");
        prop_assert_eq!(f.and_then(f64_to_decimal), Some(d));
    }
}

#[test]
fn spreadsheet_floats_read_as_the_decimal_shown() {
    assert_eq!(f64_to_decimal(85.58), Some(dec!(85.58)));
    assert_eq!(f64_to_decimal(56.93), Some(dec!(56.93)));
    assert_eq!(f64_to_decimal(66.5), Some(dec!(66.5)));
    assert_eq!(f64_to_decimal(0.1 + 0.2), Some(dec!(0.3)));
    assert_eq!(f64_to_decimal(13.0), Some(dec!(13)));
    assert_eq!(f64_to_decimal(-0.25), Some(dec!(-0.25)));
    assert_eq!(f64_to_decimal(f64::NAN), None);
    assert_eq!(decimal_to_f64(dec!(85.58)), Some(85.58));
    assert_eq!(
        decimal_to_f64(dec!(1.2345678901234567)),
        None,
        "17 significant digits cannot survive a spreadsheet number"
    );
}

#[test]
fn booleans_and_dates() {
    for t in ["yes", "TRUE", "1", "x", "X", "có", "Co"] {
        assert_eq!(parse_bool(t), Ok(true), "{t}");
    }
    for t in ["no", "false", "0", "", "không", "khong"] {
        assert_eq!(parse_bool(t), Ok(false), "{t}");
    }
    assert!(parse_bool("maybe").is_err());
    assert_eq!(
        parse_date("15/01/2021").map(|d| d.to_string()),
        Ok("2021-01-15".into())
    );
    assert_eq!(
        parse_date("5/1/2021").map(|d| d.to_string()),
        Ok("2021-01-05".into())
    );
    assert_eq!(
        parse_date("2021-01-15").map(|d| d.to_string()),
        Ok("2021-01-15".into())
    );
    assert!(parse_date("31/02/2021").is_err());
    assert!(parse_date("2021").is_err());
    assert!(parse_date("15/01/21").is_err());
}

#[test]
fn csv_delimiter_is_sniffed_and_bom_skipped() {
    let s = csv_sheet("\u{feff}Mã;Tổng điểm\nbac-giang;85,58\n;\n").unwrap();
    assert_eq!(s.headers, vec!["Mã", "Tổng điểm"]);
    assert_eq!(s.rows.len(), 1, "a blank row is dropped");
    assert_eq!(s.rows[0].number, 2);
    assert_eq!(cell_decimal(&s.rows[0].cells[1]), Ok(Some(dec!(85.58))));
}

#[test]
fn numbers_in_text_cells() {
    assert_eq!(
        cell_decimal(&Cell::Text(" 85,58 ".into())),
        Ok(Some(dec!(85.58)))
    );
    assert_eq!(
        cell_decimal(&Cell::Text("abc".into())),
        Err(ReadProblem::Number(NumberProblem::NotANumber {
            value: "abc".into()
        }))
    );
    assert!(matches!(
        cell_decimal(&Cell::Text("1.000,5".into())),
        Err(ReadProblem::Number(NumberProblem::MixedSeparators { .. }))
    ));
    assert_eq!(cell_u32(&Cell::Number(13.0)), Ok(Some(13)));
    assert_eq!(
        cell_u32(&Cell::Text("13.5".into())),
        Err(ReadProblem::NotWhole {
            value: "13.5".into()
        })
    );
    assert!(matches!(
        cell_u32(&Cell::Text("-1".into())),
        Err(ReadProblem::NotWhole { .. })
    ));
    assert_eq!(cell_text(&Cell::Number(1.2)), Ok(Some("1.2".into())));
}

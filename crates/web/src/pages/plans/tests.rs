use super::*;
use jiff::civil::date;

#[test]
fn deadlines_in_words() {
    let once = Deadline::Once {
        date: date(2021, 7, 31),
    };
    assert_eq!(deadline_words(Lang::Vi, &once), "31/07/2021");
    let monthly = Deadline::Recurring {
        every: Frequency::Monthly,
        day: 31,
        from: date(2021, 7, 1),
        until: date(2021, 12, 31),
    };
    assert_eq!(
        deadline_words(Lang::Vi, &monthly),
        "hằng tháng, ngày cuối tháng, 07/2021–12/2021"
    );
    assert_eq!(
        deadline_words(Lang::En, &monthly),
        "monthly, last day of the month, 07/2021–12/2021"
    );
    let q = Deadline::Recurring {
        every: Frequency::Quarterly,
        day: 25,
        from: date(2021, 7, 1),
        until: date(2021, 12, 31),
    };
    assert_eq!(
        deadline_words(Lang::Vi, &q),
        "hằng quý, ngày 25, 07/2021–12/2021"
    );
}

#[test]
fn holiday_lines_name_their_problems() {
    let ok = parse_holidays(
        Lang::Vi,
        "02/09/2021 Quốc khánh\n\n1/1/2022 Tết Dương lịch\n",
    )
    .unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[1].0, date(2022, 1, 1));
    let errs = parse_holidays(
        Lang::Vi,
        "02/09/2021 Quốc khánh\n31/02/2021 Sai\n03/09/2021\n2/9/2021 Lặp",
    )
    .unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].starts_with("Dòng 2:") && errs[0].contains("31/02/2021"));
    assert!(errs[1].starts_with("Dòng 3:"));
    assert!(errs[2].starts_with("Dòng 4:") && errs[2].ends_with("dòng 1"));
}

#[test]
fn path_segments_are_encoded() {
    assert_eq!(seg("II.2-a b/c"), "II.2-a%20b%2Fc");
}

#[test]
fn months_parse() {
    assert_eq!(parse_month("2021-08"), Some(date(2021, 8, 1)));
    assert_eq!(parse_month("2021-13"), None);
    assert_eq!(parse_month("x"), None);
}

//! How dates, periods and points are written in documents and messages.

use jiff::civil::Date;
use rust_decimal::Decimal;

/// `31/07/2021` (the one implementation, shared with the web pages).
pub use parindex_domain::calendar::dmy;

/// `08/2021`.
pub fn month_label((year, month): (i32, i8)) -> String {
    format!("{month:02}/{year:04}")
}

/// Place and date as Decree 30/2020/NĐ-CP writes them: `Bắc Giang, ngày 15 tháng 8 năm 2021`.
/// Days below 10 and the months January and February take a leading zero (`ngày 05 tháng 02`).
pub fn place_date(place: &str, d: Date) -> String {
    let month = if d.month() <= 2 {
        format!("{:02}", d.month())
    } else {
        d.month().to_string()
    };
    format!(
        "{place}, ngày {:02} tháng {month} năm {}",
        d.day(),
        d.year()
    )
}

/// Points with a decimal comma and always 2 decimals: `85,58`, `8,50` (`figures::points`).
pub fn points(d: Decimal) -> String {
    parindex_domain::figures::points(d, parindex_domain::figures::Style::Vi)
}

/// A percentage: `85,58 %`.
pub fn percent(d: Decimal) -> String {
    parindex_domain::figures::percent(d, parindex_domain::figures::Style::Vi)
}

/// A signed change of points: `+1,20`, `−1,20`.
pub fn signed(d: Decimal) -> String {
    parindex_domain::figures::signed(d, parindex_domain::figures::Style::Vi)
}

/// A reporting period in words: `tháng 07/2021`, `quý III/2021`, `6 tháng đầu năm 2021`,
/// `năm 2021`; `None` for a one-off deadline (`once`).
pub fn period_label(key: &str) -> Option<String> {
    if key == "once" {
        return None;
    }
    if let Some((y, rest)) = key.split_once('-') {
        if let Some(q) = rest.strip_prefix('Q') {
            let roman = match q {
                "1" => "I",
                "2" => "II",
                "3" => "III",
                "4" => "IV",
                _ => return Some(key.to_string()),
            };
            return Some(format!("quý {roman}/{y}"));
        }
        if let Some(h) = rest.strip_prefix('H') {
            return Some(match h {
                "1" => format!("6 tháng đầu năm {y}"),
                "2" => format!("6 tháng cuối năm {y}"),
                _ => key.to_string(),
            });
        }
        return Some(format!("tháng {rest}/{y}"));
    }
    Some(format!("năm {key}"))
}

/// The month a period key names (`2021-07`), if it is a monthly period.
pub fn period_month(key: &str) -> Option<(i32, i8)> {
    let (y, m) = key.split_once('-')?;
    if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((y.parse().ok()?, m.parse().ok()?))
}

/// `Người đứng đầu Sở Tài chính` when the head's name is not known.
pub fn head_of(unit: &parindex_domain::units::Unit) -> String {
    match unit.head_name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => match unit.head_title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => format!("{n} ({t})"),
            _ => n.to_string(),
        },
        _ => format!("Người đứng đầu {}", unit.name_vi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    #[test]
    fn dates_and_places() {
        assert_eq!(dmy(date(2021, 7, 31)), "31/07/2021");
        assert_eq!(
            place_date("Bắc Giang", date(2021, 8, 15)),
            "Bắc Giang, ngày 15 tháng 8 năm 2021"
        );
        assert_eq!(
            place_date("Bắc Giang", date(2021, 2, 5)),
            "Bắc Giang, ngày 05 tháng 02 năm 2021"
        );
        assert_eq!(month_label((2021, 8)), "08/2021");
        assert_eq!(points(dec!(85.580)), "85,58");
        assert_eq!(points(dec!(8.5)), "8,50");
        assert_eq!(percent(dec!(85.5)), "85,50 %");
        assert_eq!(signed(dec!(-1.2)), "−1,20");
    }

    #[test]
    fn periods_in_words() {
        assert_eq!(period_label("once"), None);
        assert_eq!(period_label("2021-07").as_deref(), Some("tháng 07/2021"));
        assert_eq!(period_label("2021-Q3").as_deref(), Some("quý III/2021"));
        assert_eq!(
            period_label("2021-H2").as_deref(),
            Some("6 tháng cuối năm 2021")
        );
        assert_eq!(period_label("2021").as_deref(), Some("năm 2021"));
        assert_eq!(period_month("2021-07"), Some((2021, 7)));
        assert_eq!(period_month("2021-Q3"), None);
        assert_eq!(period_month("once"), None);
    }
}

//! How a figure is written for a reader: one rule per kind of figure, the same on every page,
//! export and report (issue 12: "8,5" on one page and "8,50" on another).
//!
//! | kind | decimals | Vietnamese | English |
//! | --- | --- | --- | --- |
//! | points (criterion, area, total) and their gaps | 2 | `8,50` · `85,58` · `+1,20` | `8.50` |
//! | index %, rates (dossiers on time, indicators in %) | 2, then ` %` | `85,58 %` | `85.58 %` |
//! | a change of a percentage | 2, sign, `điểm %` (catalogue) | `+1,20` | `+1.20` |
//! | other measured values (indicators, numerators) | 2, thousands grouped | `1.234,50` | `1,234.50` |
//! | counts (units, dossiers, tasks, ranks; an indicator counted in dossiers, units…) | 0, thousands grouped | `1.234` | `1,234` |
//! | sizes of files | B and KB 0, MB 1, GB 2 | `1,5 MB` | `1.5 MB` |
//!
//! Rounding is half away from zero, as the published tables round. Rates take 2 decimals, not
//! 1: a rate is turned into points against thresholds such as 95 %, and 94,96 % must not read
//! "95,0 %". What a user edits is not a figure: a value put back into a form field is written
//! exactly ([`exact`]), so that sending the form unchanged stores the same number.

use rust_decimal::{Decimal, RoundingStrategy};

/// The decimals of points, percentages and measured values.
pub const DECIMALS: u32 = 2;

/// Whose way of writing numbers: a decimal comma and thousands dots (Vietnamese), or a decimal
/// point and thousands commas (English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Vi,
    En,
}

impl Style {
    fn decimal(self) -> char {
        match self {
            Style::Vi => ',',
            Style::En => '.',
        }
    }
    fn thousands(self) -> char {
        match self {
            Style::Vi => '.',
            Style::En => ',',
        }
    }
}

/// `d` rounded to `dp` decimals (half away from zero) and written with exactly `dp` decimals,
/// the whole part grouped by thousands when `group`.
fn fixed(d: Decimal, dp: u32, group: bool, style: Style) -> String {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        r = Decimal::ZERO; // no "-0,00"
    }
    r.rescale(dp);
    let s = r.abs().to_string();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::with_capacity(s.len() + 4);
    if r.is_sign_negative() {
        out.push('-');
    }
    let n = whole.len();
    for (i, c) in whole.chars().enumerate() {
        if group && i > 0 && (n - i) % 3 == 0 {
            out.push(style.thousands());
        }
        out.push(c);
    }
    if dp > 0 {
        out.push(style.decimal());
        out.push_str(frac);
    }
    out
}

/// Points of a criterion, an area or a total, or a difference of points: `85,58`, `8,50`,
/// `-1,20`.
pub fn points(d: Decimal, style: Style) -> String {
    fixed(d, DECIMALS, false, style)
}

/// A change, always signed: `+1,20`, `−1,20` (a true minus sign), `0,00`.
pub fn signed(d: Decimal, style: Style) -> String {
    let body = points(d.abs(), style);
    let zero = d.round_dp_with_strategy(DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    if zero.is_zero() {
        body
    } else if d.is_sign_negative() {
        format!("−{body}")
    } else {
        format!("+{body}")
    }
}

/// The number of a percentage, for a column headed "%": `85,58`.
pub fn pct_number(d: Decimal, style: Style) -> String {
    fixed(d, DECIMALS, true, style)
}

/// A percentage (index %, a rate): `85,58 %`.
pub fn percent(d: Decimal, style: Style) -> String {
    format!("{} %", pct_number(d, style))
}

/// A measured value (an indicator's value, a numerator, a target), thousands grouped:
/// `1.234,50`.
pub fn value(d: Decimal, style: Style) -> String {
    fixed(d, DECIMALS, true, style)
}

/// A count, thousands grouped: `19`, `1.234`.
pub fn count(n: u64, style: Style) -> String {
    fixed(Decimal::from(n), 0, true, style)
}

/// A count held as a decimal (dossiers of an indicator, units below a goal): `836`, `1.234`.
pub fn whole(d: Decimal, style: Style) -> String {
    fixed(d, 0, true, style)
}

/// A size of a file: `812 B`, `12 KB`, `1,5 MB`, `2,25 GB` (1 KB = 1024 bytes).
pub fn size(bytes: u64, style: Style) -> String {
    let k = Decimal::from(1024);
    let b = Decimal::from(bytes);
    if b < k {
        format!("{} B", count(bytes, style))
    } else if b < k * k {
        format!("{} KB", fixed(b / k, 0, true, style))
    } else if b < k * k * k {
        format!("{} MB", fixed(b / k / k, 1, true, style))
    } else {
        format!("{} GB", fixed(b / k / k / k, 2, true, style))
    }
}

/// A number as it was stored, for a form field being edited: no rounding, no grouping, no
/// trailing zeros (`8.125` stays `8,125`), so that it parses back to the same value.
pub fn exact(d: Decimal, style: Style) -> String {
    let s = d.normalize().to_string();
    match style {
        Style::Vi => s.replace('.', ","),
        Style::En => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use Style::{En, Vi};

    #[test]
    fn points_always_have_two_decimals() {
        assert_eq!(points(dec!(8.5), Vi), "8,50");
        assert_eq!(points(dec!(85.58), Vi), "85,58");
        assert_eq!(points(dec!(10), Vi), "10,00");
        assert_eq!(points(dec!(85.580), En), "85.58");
        assert_eq!(points(dec!(-1.2), Vi), "-1,20");
        assert_eq!(points(dec!(0.125), Vi), "0,13", "half away from zero");
        assert_eq!(points(dec!(-0.001), Vi), "0,00", "no negative zero");
        assert_eq!(points(dec!(1000), Vi), "1000,00", "points are not grouped");
    }

    #[test]
    fn changes_are_signed() {
        assert_eq!(signed(dec!(1.2), Vi), "+1,20");
        assert_eq!(signed(dec!(-1.2), En), "−1.20");
        assert_eq!(signed(dec!(0), Vi), "0,00");
        assert_eq!(signed(dec!(-0.001), Vi), "0,00");
    }

    #[test]
    fn percentages_have_two_decimals_and_a_sign() {
        assert_eq!(percent(dec!(85.58), Vi), "85,58 %");
        assert_eq!(percent(dec!(95), En), "95.00 %");
        assert_eq!(percent(dec!(94.956), Vi), "94,96 %", "not 95");
        assert_eq!(pct_number(dec!(7.1), Vi), "7,10");
    }

    #[test]
    fn values_and_counts_group_thousands() {
        assert_eq!(value(dec!(1234.5), Vi), "1.234,50");
        assert_eq!(value(dec!(1234.5), En), "1,234.50");
        assert_eq!(value(dec!(1234567), Vi), "1.234.567,00");
        assert_eq!(value(dec!(-1234.5), Vi), "-1.234,50");
        assert_eq!(value(dec!(12), Vi), "12,00");
        assert_eq!(count(19, Vi), "19");
        assert_eq!(count(1234, Vi), "1.234");
        assert_eq!(count(1234, En), "1,234");
        assert_eq!(count(123, En), "123");
        assert_eq!(count(0, Vi), "0");
        assert_eq!(whole(dec!(836), Vi), "836");
        assert_eq!(whole(dec!(1234), En), "1,234");
    }

    #[test]
    fn sizes() {
        assert_eq!(size(812, Vi), "812 B");
        assert_eq!(size(12 * 1024, Vi), "12 KB");
        assert_eq!(size(3 * 1024 * 1024 / 2, Vi), "1,5 MB");
        assert_eq!(size(3 * 1024 * 1024 / 2, En), "1.5 MB");
        assert_eq!(size(9 * 1024 * 1024 * 1024 / 4, Vi), "2,25 GB");
    }

    #[test]
    fn what_is_edited_is_written_exactly() {
        assert_eq!(exact(dec!(8.125), Vi), "8,125");
        assert_eq!(exact(dec!(8.50), Vi), "8,5");
        assert_eq!(exact(dec!(10), En), "10");
        assert_eq!(
            crate::score::parse_points(&exact(dec!(8.125), Vi)).ok(),
            Some(dec!(8.125))
        );
    }
}

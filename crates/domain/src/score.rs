//! Exact decimal points. Scores are `rust_decimal::Decimal`, never floating point.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Why a text is not a number of points.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberProblem {
    #[error("empty number")]
    Empty,
    /// Both `,` and `.`: a thousands separator, or a typo.
    #[error("'{value}' mixes ',' and '.'; write one decimal separator")]
    MixedSeparators { value: String },
    #[error("'{value}' is not a number")]
    NotANumber { value: String },
}

/// Parse a number of points as people write it: `85.58`, `85,58` (Vietnamese decimal comma),
/// with surrounding spaces. Thousands separators are not accepted: points never need them.
pub fn parse_points(s: &str) -> Result<Decimal, NumberProblem> {
    let t = s.trim();
    if t.is_empty() {
        return Err(NumberProblem::Empty);
    }
    if t.contains(',') && t.contains('.') {
        return Err(NumberProblem::MixedSeparators { value: t.into() });
    }
    let normal = t.replace(',', ".");
    Decimal::from_str(&normal).map_err(|_| NumberProblem::NotANumber { value: t.into() })
}

/// Round for display and comparison of published figures: 2 decimals, half away from zero.
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// `achieved / max × 100`, rounded to 2 decimals; `None` when max is zero.
pub fn index_pct(achieved: Decimal, max: Decimal) -> Option<Decimal> {
    if max.is_zero() {
        return None;
    }
    Some(round2(achieved / max * Decimal::ONE_HUNDRED))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_both_separators() {
        assert_eq!(parse_points("85,58").unwrap(), dec!(85.58));
        assert_eq!(parse_points(" 85.58 ").unwrap(), dec!(85.58));
        assert_eq!(
            parse_points("abc"),
            Err(NumberProblem::NotANumber {
                value: "abc".into()
            })
        );
        assert!(matches!(
            parse_points("1.000,5"),
            Err(NumberProblem::MixedSeparators { .. })
        ));
        assert_eq!(parse_points(""), Err(NumberProblem::Empty));
    }

    #[test]
    fn index_percent() {
        assert_eq!(index_pct(dec!(85.58), dec!(100)), Some(dec!(85.58)));
        assert_eq!(index_pct(dec!(56.93), dec!(66.5)), Some(dec!(85.61)));
        assert_eq!(index_pct(dec!(1), dec!(0)), None);
    }
}

//! Standard competition ranking ("1224"): ties share a rank and the next rank skips.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a rank comes from: computed from a complete peer set, or kept as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankSource {
    Published,
    Computed,
}

impl RankSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RankSource::Published => "published",
            RankSource::Computed => "computed",
        }
    }
}

/// Ranks of `scores` (highest first): rank = 1 + the number of strictly higher scores.
/// The result is in the input order.
pub fn competition_ranks(scores: &[Decimal]) -> Vec<u32> {
    let mut sorted: Vec<Decimal> = scores.to_vec();
    sorted.sort_by(|a, b| b.cmp(a));
    scores
        .iter()
        .map(|s| {
            // Number of scores strictly greater than s = index of the first s in descending order.
            let above = sorted.partition_point(|x| x > s);
            above as u32 + 1
        })
        .collect()
}

/// The range a published rank may take given the totals we know: at least 1 + the number of
/// known peers strictly above; when the set is complete, at most the number of peers at or above
/// (ties in rounded totals may be broken by unrounded values).
pub fn admissible_rank_range(
    total: Decimal,
    others: &[Decimal],
    complete: bool,
    peer_count: Option<u32>,
) -> (u32, u32) {
    let above = others.iter().filter(|t| **t > total).count() as u32;
    let at_or_above = others.iter().filter(|t| **t >= total).count() as u32;
    let hi = if complete {
        at_or_above + 1
    } else {
        peer_count.unwrap_or(u32::MAX)
    };
    (above + 1, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ties_share_and_next_skips() {
        let r = competition_ranks(&[dec!(90), dec!(85), dec!(85), dec!(80)]);
        assert_eq!(r, vec![1, 2, 2, 4]);
    }

    #[test]
    fn input_order_is_kept() {
        let r = competition_ranks(&[dec!(80), dec!(90), dec!(85)]);
        assert_eq!(r, vec![3, 1, 2]);
    }

    #[test]
    fn single_and_empty() {
        assert_eq!(competition_ranks(&[dec!(10)]), vec![1]);
        assert!(competition_ranks(&[]).is_empty());
    }

    #[test]
    fn all_tied() {
        assert_eq!(
            competition_ranks(&[dec!(5), dec!(5), dec!(5)]),
            vec![1, 1, 1]
        );
    }

    #[test]
    fn admissible_ranges() {
        let others = [dec!(91.04), dec!(90.51)];
        assert_eq!(
            admissible_rank_range(dec!(85.58), &others, false, Some(63)),
            (3, 63)
        );
        assert_eq!(
            admissible_rank_range(dec!(90.51), &[dec!(91.04), dec!(90.51)], true, None),
            (2, 3)
        );
    }

    proptest! {
        #[test]
        fn ranking_is_consistent_with_totals(v in proptest::collection::vec(0i64..500, 0..40)) {
            let scores: Vec<Decimal> = v.iter().map(|x| Decimal::new(*x, 1)).collect();
            let ranks = competition_ranks(&scores);
            for i in 0..scores.len() {
                for j in 0..scores.len() {
                    if scores[i] > scores[j] { prop_assert!(ranks[i] < ranks[j]); }
                    if scores[i] == scores[j] { prop_assert_eq!(ranks[i], ranks[j]); }
                }
                prop_assert!(ranks[i] >= 1 && ranks[i] as usize <= scores.len());
            }
            if !scores.is_empty() { prop_assert!(ranks.contains(&1)); }
        }
    }
}

//! Publication, corrections and the ranking.

use super::*;
use crate::edition::{Edition, NodeCode, Totals};
use crate::ranking::competition_ranks;
use crate::score::index_pct;
use crate::units::UnitType;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What publication freezes: the criteria set as it applied to each unit and each unit's final
/// leaf scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub edition: Edition,
    pub unit_types: BTreeMap<String, UnitType>,
    /// unit → code → final score.
    pub finals: BTreeMap<String, BTreeMap<String, Decimal>>,
}

/// A change to a published score: a new decision with its reference and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub id: i64,
    pub unit: String,
    pub code: NodeCode,
    pub old_score: Decimal,
    pub new_score: Decimal,
    pub reason: String,
    /// The decision's number and symbol (e.g. `125/QĐ-UBND`).
    pub decision_ref: String,
    pub decided_on: Date,
    pub by: String,
    pub at: String,
}

/// The final scores of a published round with its corrections applied (in order).
pub fn corrected_finals(
    snapshot: &Snapshot,
    corrections: &[Correction],
) -> BTreeMap<String, BTreeMap<NodeCode, Decimal>> {
    let mut out: BTreeMap<String, BTreeMap<NodeCode, Decimal>> = snapshot
        .finals
        .iter()
        .map(|(u, scores)| {
            (
                u.clone(),
                scores
                    .iter()
                    .filter_map(|(c, s)| NodeCode::parse(c).ok().map(|c| (c, *s)))
                    .collect(),
            )
        })
        .collect();
    let mut ordered: Vec<&Correction> = corrections.iter().collect();
    ordered.sort_by_key(|c| c.id);
    for c in ordered {
        out.entry(c.unit.clone())
            .or_default()
            .insert(c.code.clone(), c.new_score);
    }
    out
}

/// A unit's standing in the previous year's ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousStanding {
    pub round_id: String,
    pub year: i32,
    pub total: Decimal,
    pub pct: Decimal,
    pub rank: u32,
}

/// Points lost in one area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaLoss {
    pub code: String,
    pub title_vi: String,
    pub title_en: Option<String>,
    pub max: Option<Decimal>,
    pub achieved: Decimal,
    pub lost: Option<Decimal>,
}

/// One line of the provincial ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankingRow {
    pub unit: String,
    pub total: Decimal,
    pub max: Decimal,
    /// Index %, two decimals.
    pub pct: Decimal,
    pub rank: u32,
    /// The class's position in the bands (0 = highest) and its labels.
    pub class: Option<(usize, ClassBand)>,
    pub previous: Option<PreviousStanding>,
    /// Index % points since last year.
    pub change_pct: Option<Decimal>,
    /// Places climbed since last year (negative: fell).
    pub change_rank: Option<i64>,
    pub areas: Vec<AreaLoss>,
    /// Total points lost.
    pub lost: Decimal,
}

/// Rank the units of a round from their final leaf scores: total and index % over the criteria
/// that apply to each unit, competition ranks on the exact ratio (ties share), classes on the
/// rounded %, the change since the previous year and the points lost per area. Best first;
/// ties by unit slug.
pub fn rank_units(
    edition: &Edition,
    unit_types: &BTreeMap<String, UnitType>,
    finals: &BTreeMap<String, BTreeMap<NodeCode, Decimal>>,
    classes: &ClassBands,
    previous: &BTreeMap<String, PreviousStanding>,
) -> Vec<RankingRow> {
    struct Scored {
        unit: String,
        totals: Totals,
        edition: Edition,
        ratio: Decimal,
    }
    let mut scored: Vec<Scored> = Vec::new();
    for (unit, t) in unit_types {
        let e = scoped_edition(edition, *t);
        let empty = BTreeMap::new();
        let leaves = finals.get(unit).unwrap_or(&empty);
        let totals = e.totals(leaves);
        let ratio = if e.max_points.is_zero() {
            Decimal::ZERO
        } else {
            totals.overall.achieved / e.max_points
        };
        scored.push(Scored {
            unit: unit.clone(),
            totals,
            edition: e,
            ratio,
        });
    }
    let ratios: Vec<Decimal> = scored.iter().map(|s| s.ratio).collect();
    let ranks = competition_ranks(&ratios);
    let mut rows: Vec<RankingRow> = scored
        .into_iter()
        .zip(ranks)
        .map(|(s, rank)| {
            let max = s.edition.max_points;
            let total = s.totals.overall.achieved;
            let pct = index_pct(total, max).unwrap_or(Decimal::ZERO);
            let class = classes
                .0
                .iter()
                .enumerate()
                .find(|(_, b)| pct >= b.min_pct)
                .map(|(i, b)| (i, b.clone()));
            let prev = previous.get(&s.unit).cloned();
            let areas: Vec<AreaLoss> = s
                .edition
                .areas()
                .map(|a| {
                    let tally = s.totals.nodes.get(&a.code.to_string());
                    let achieved = tally.map(|t| t.achieved).unwrap_or(Decimal::ZERO);
                    AreaLoss {
                        code: a.code.to_string(),
                        title_vi: a.title_vi.clone(),
                        title_en: a.title_en.clone(),
                        max: a.max_points,
                        achieved,
                        lost: if is_adjustment(a) {
                            None
                        } else {
                            a.max_points.map(|m| (m - achieved).max(Decimal::ZERO))
                        },
                    }
                })
                .collect();
            RankingRow {
                lost: (max - total).max(Decimal::ZERO),
                change_pct: prev.as_ref().map(|p| pct - p.pct),
                change_rank: prev.as_ref().map(|p| i64::from(p.rank) - i64::from(rank)),
                previous: prev,
                unit: s.unit,
                total,
                max,
                pct,
                rank,
                class,
                areas,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.unit.cmp(&b.unit)));
    rows
}

// ---------------------------------------------------------------------------------------------

//! Gap analysis: where a subject lost points, how it moved since the previous edition, and what
//! it takes to reach a target rank, overall and per area, grouped by the lead agency answerable.

use crate::edition::{Edition, NodeCode};
use crate::ranking::RankSource;
use crate::results::{is_complete, node_ranks, ranked_table, PublishedResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What a rank target covers: the overall total or one area (node code).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TargetScope {
    Overall,
    Node(NodeCode),
}

impl TargetScope {
    pub fn parse(s: &str) -> Result<TargetScope, crate::edition::CodeProblem> {
        let t = s.trim();
        match crate::text::fold(t).as_str() {
            "overall" | "tong" | "tong the" | "chung" => Ok(TargetScope::Overall),
            _ => NodeCode::parse(t).map(TargetScope::Node),
        }
    }
}

impl fmt::Display for TargetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetScope::Overall => f.write_str("overall"),
            TargetScope::Node(c) => write!(f, "{c}"),
        }
    }
}

impl TryFrom<String> for TargetScope {
    type Error = crate::edition::CodeProblem;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TargetScope::parse(&s)
    }
}

impl From<TargetScope> for String {
    fn from(s: TargetScope) -> String {
        s.to_string()
    }
}

/// A rank target set against a baseline edition (e.g. "area 3 in the top 15", lead: Văn phòng UBND).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankTarget {
    /// The baseline edition the target is set against.
    pub edition_id: String,
    pub subject: String,
    pub scope: TargetScope,
    /// Reach (or stay within) this rank or better.
    pub target_rank: u32,
    /// The unit answerable for the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How many points it takes to reach a rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PointsToRank {
    /// Already at or above the rank.
    Reached,
    /// Needs this many more points, to equal `threshold` (the total of the peer now at that rank; a tie shares the rank).
    Needed {
        points: Decimal,
        threshold: Decimal,
        threshold_subject: String,
    },
    /// Cannot be told from the data we hold.
    Unknown { reason: String },
}

impl PointsToRank {
    pub fn points(&self) -> Option<Decimal> {
        match self {
            PointsToRank::Reached => Some(Decimal::ZERO),
            PointsToRank::Needed { points, .. } => Some(*points),
            PointsToRank::Unknown { .. } => None,
        }
    }
}

/// A peer's score and published rank on the scale being ranked. A peer may be known by its
/// published rank alone (`score: None`, a newspaper's "xếp thứ 7").
#[derive(Debug, Clone)]
pub struct Peer<'a> {
    pub subject: &'a str,
    pub score: Option<Decimal>,
    pub published_rank: Option<u32>,
}

/// Points `score` needs to reach rank `k` among `peers` (which exclude the subject), with ties
/// sharing the rank: the subject needs the score of the k-th best peer. When the peer set is not
/// complete, that peer must be known: its published rank must show no unknown peer above it,
/// counting the peers known only by their rank; when the k-th peer is one of those, its score is
/// unknown and so are the points.
pub fn points_to_rank(score: Decimal, peers: &[Peer<'_>], k: u32, complete: bool) -> PointsToRank {
    if k == 0 {
        return PointsToRank::Unknown {
            reason: "a target rank starts at 1".into(),
        };
    }
    let mut sorted: Vec<(&Peer<'_>, Decimal)> = peers
        .iter()
        .filter_map(|p| p.score.map(|s| (p, s)))
        .collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.subject.cmp(b.0.subject)));
    // Peers known only by their published rank.
    let rank_only: Vec<u32> = peers
        .iter()
        .filter(|p| p.score.is_none())
        .filter_map(|p| p.published_rank)
        .collect();
    let unknown = |reason: String| PointsToRank::Unknown { reason };
    let want = (k - 1) as usize;
    let mut found = None;
    for (i, (p, p_score)) in sorted.iter().enumerate() {
        // Peers above `p`: the scored ones before it, and those ranked above it by rank alone.
        let rank_only_above = match p.published_rank {
            Some(r) => rank_only.iter().filter(|x| **x < r).count(),
            None if rank_only.is_empty() => 0,
            None => {
                return unknown(format!(
                    "{} has no published rank to place it among the peers known only by theirs",
                    p.subject
                ))
            }
        };
        let position = i + rank_only_above;
        if position == want {
            found = Some((*p, *p_score, rank_only_above as u32));
            break;
        }
        if position > want {
            return unknown(format!(
                "the peer ranked {k} is known by its published rank only, not by its score"
            ));
        }
    }
    let Some((p, p_score, rank_only_above)) = found else {
        if complete {
            return PointsToRank::Reached;
        }
        return unknown(format!(
            "only {} peers' results are known; the peer ranked {k} is not",
            sorted.len()
        ));
    };
    if !complete {
        // All peers strictly above p must be known: its published rank says how many there are.
        let known_above = sorted.iter().filter(|(_, s)| *s > p_score).count() as u32
            + rank_only_above
            + u32::from(score > p_score);
        match p.published_rank {
            Some(r) if r == known_above + 1 => {}
            Some(r) => {
                return unknown(format!(
                    "{} is published {r}th but only {known_above} subjects above it are known",
                    p.subject
                ))
            }
            None => {
                return unknown(format!(
                    "the set is incomplete and {} has no published rank",
                    p.subject
                ))
            }
        }
    }
    if score >= p_score {
        PointsToRank::Reached
    } else {
        PointsToRank::Needed {
            points: p_score - score,
            threshold: p_score,
            threshold_subject: p.subject.to_string(),
        }
    }
}

/// The result in the previous edition, for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviousResult {
    pub edition_id: String,
    pub year: i32,
    /// `None` when only the rank was published.
    pub total: Option<Decimal>,
    pub rank: Option<u32>,
    /// `total - previous total`, when both are known.
    pub total_change: Option<Decimal>,
    /// Places gained (positive) or lost (negative): `previous rank - rank`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_change: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentGap {
    pub code: String,
    pub name_vi: String,
    pub max: Decimal,
    pub achieved: Option<Decimal>,
    pub lost: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaGap {
    pub code: String,
    pub title_vi: String,
    pub max: Option<Decimal>,
    pub score: Option<Decimal>,
    pub lost: Option<Decimal>,
    pub rank: Option<u32>,
    pub rank_source: Option<RankSource>,
    pub target_rank: Option<u32>,
    /// Places to climb to reach the target (0 when reached).
    pub places_to_target: Option<u32>,
    pub points_to_target: Option<PointsToRank>,
    pub lead_agency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionGap {
    pub code: String,
    pub title_vi: String,
    pub max: Decimal,
    pub score: Decimal,
    pub lost: Decimal,
    pub lead_agency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadAgencyGap {
    /// The unit slug, or `None` for items no agency answers for yet.
    pub lead_agency: Option<String>,
    /// Points lost on the most detailed scored items it answers for; `None` (JSON `null`, "—"
    /// on pages) when none of them has a known score: unknown, not zero.
    pub points_lost: Option<Decimal>,
    /// Areas it answers for that are below their target rank.
    pub areas_below_target: Vec<String>,
    /// Criteria it answers for, most points lost first.
    pub criteria: Vec<String>,
}

/// The gap report for one subject in one edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapReport {
    pub edition_id: String,
    pub subject: String,
    /// `None` when only the subject's rank was published (then points lost and the index are
    /// unknown too: `null` in JSON, "—" on pages).
    pub total: Option<Decimal>,
    pub max: Decimal,
    pub lost: Option<Decimal>,
    pub index_pct: Option<Decimal>,
    pub rank: Option<u32>,
    pub rank_source: Option<RankSource>,
    pub target_rank: Option<u32>,
    /// Points needed to reach the target rank (0 when reached, `null` when unknown).
    pub points_to_target: Option<Decimal>,
    pub points_to_target_detail: Option<PointsToRank>,
    pub previous: Option<PreviousResult>,
    pub components: Vec<ComponentGap>,
    pub by_area: Vec<AreaGap>,
    pub by_criterion: Vec<CriterionGap>,
    pub by_lead_agency: Vec<LeadAgencyGap>,
}

/// Everything the gap analysis needs.
pub struct GapInput<'a> {
    pub edition: &'a Edition,
    pub results: &'a [PublishedResult],
    pub subject: &'a str,
    /// The overall target rank; when `None`, the overall target in `targets` is used.
    pub target_rank: Option<u32>,
    pub targets: &'a [RankTarget],
    pub previous: Option<(&'a Edition, &'a [PublishedResult])>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GapError {
    #[error("subject '{0}' has no result in this edition")]
    NoResult(String),
}

/// Compute the gap report.
pub fn analyse(input: &GapInput<'_>) -> Result<GapReport, GapError> {
    let e = input.edition;
    let me = input
        .results
        .iter()
        .find(|r| r.subject == input.subject)
        .ok_or_else(|| GapError::NoResult(input.subject.to_string()))?;
    let complete = is_complete(e, input.results);
    let table = ranked_table(e, input.results);
    let my_row = table.iter().find(|r| r.result.subject == input.subject);
    let (rank, rank_source) = my_row
        .map(|r| (r.rank, r.rank_source))
        .unwrap_or((None, None));

    let my_targets: Vec<&RankTarget> = input
        .targets
        .iter()
        .filter(|t| t.edition_id == e.id && t.subject == input.subject)
        .collect();
    let overall_target = input.target_rank.or_else(|| {
        my_targets
            .iter()
            .find(|t| t.scope == TargetScope::Overall)
            .map(|t| t.target_rank)
    });
    let peers: Vec<Peer<'_>> = input
        .results
        .iter()
        .filter(|r| r.subject != input.subject)
        .map(|r| Peer {
            subject: &r.subject,
            score: r.total,
            published_rank: r.rank,
        })
        .collect();
    let detail = overall_target.map(|k| match me.total {
        Some(total) => points_to_rank(total, &peers, k, complete),
        None => PointsToRank::Unknown {
            reason: format!("{} has a published rank but no published total", me.subject),
        },
    });

    let previous = input.previous.and_then(|(pe, pres)| {
        let r = pres.iter().find(|r| r.subject == input.subject)?;
        let prow = ranked_table(pe, pres)
            .into_iter()
            .find(|x| x.result.subject == input.subject)?;
        Some(PreviousResult {
            edition_id: pe.id.clone(),
            year: pe.year,
            total: r.total,
            rank: prow.rank,
            total_change: me.total.zip(r.total).map(|(a, b)| a - b),
            rank_change: match (prow.rank, rank) {
                (Some(a), Some(b)) => Some(i64::from(a) - i64::from(b)),
                _ => None,
            },
        })
    });

    let components = e
        .components
        .iter()
        .map(|c| {
            let achieved = me.components.get(&c.code).copied();
            ComponentGap {
                code: c.code.clone(),
                name_vi: c.name_vi.clone(),
                max: c.max_points,
                achieved,
                lost: achieved.map(|a| (c.max_points - a).max(Decimal::ZERO)),
            }
        })
        .collect();

    let area_lead = |area: &NodeCode| -> Option<String> {
        my_targets
            .iter()
            .find(|t| t.scope == TargetScope::Node(area.clone()))
            .and_then(|t| t.lead_agency.clone())
    };
    let lead_of = |code: &NodeCode| -> Option<String> {
        e.effective_lead_agency(code)
            .map(str::to_string)
            .or_else(|| area_lead(&code.area()))
    };

    let mut by_area = Vec::new();
    for a in e.areas() {
        let key = a.code.to_string();
        let score = me.node_scores.get(&key).copied();
        let ranks = node_ranks(e, input.results, &key);
        let (arank, asrc) = ranks
            .get(input.subject)
            .map(|(r, s)| (Some(*r), Some(*s)))
            .unwrap_or((None, None));
        let target = my_targets
            .iter()
            .find(|t| t.scope == TargetScope::Node(a.code.clone()))
            .map(|t| t.target_rank);
        let points_to_target = match (target, score) {
            (Some(k), Some(s)) => {
                let apeers: Vec<Peer<'_>> = input
                    .results
                    .iter()
                    .filter(|r| r.subject != input.subject)
                    .filter_map(|r| {
                        r.node_scores.get(&key).map(|v| Peer {
                            subject: &r.subject,
                            score: Some(*v),
                            published_rank: r.node_ranks.get(&key).copied(),
                        })
                    })
                    .collect();
                let acomplete = complete && apeers.len() + 1 == input.results.len();
                Some(points_to_rank(s, &apeers, k, acomplete))
            }
            _ => None,
        };
        by_area.push(AreaGap {
            code: key,
            title_vi: a.title_vi.clone(),
            max: a.max_points,
            score,
            lost: match (a.max_points, score) {
                (Some(m), Some(s)) => Some((m - s).max(Decimal::ZERO)),
                _ => None,
            },
            rank: arank,
            rank_source: asrc,
            target_rank: target,
            places_to_target: match (arank, target) {
                (Some(r), Some(t)) => Some(r.saturating_sub(t)),
                _ => None,
            },
            points_to_target,
            lead_agency: lead_of(&a.code),
        });
    }

    let mut by_criterion: Vec<CriterionGap> = e
        .criteria
        .iter()
        .filter(|n| n.code.depth() >= 2)
        .filter_map(|n| {
            let s = *me.node_scores.get(&n.code.to_string())?;
            let m = n.max_points?;
            Some(CriterionGap {
                code: n.code.to_string(),
                title_vi: n.title_vi.clone(),
                max: m,
                score: s,
                lost: (m - s).max(Decimal::ZERO),
                lead_agency: lead_of(&n.code),
            })
        })
        .collect();
    by_criterion.sort_by(|a, b| {
        b.lost.cmp(&a.lost).then_with(|| {
            NodeCode::parse(&a.code)
                .ok()
                .cmp(&NodeCode::parse(&b.code).ok())
        })
    });

    // Group by lead agency: losses counted on the most detailed scored nodes only.
    let scored: Vec<(&NodeCode, Decimal)> = e
        .criteria
        .iter()
        .filter_map(|n| {
            let s = *me.node_scores.get(&n.code.to_string())?;
            Some((&n.code, (n.max_points? - s).max(Decimal::ZERO)))
        })
        .collect();
    let mut groups: BTreeMap<Option<String>, LeadAgencyGap> = BTreeMap::new();
    let group = |g: &mut BTreeMap<Option<String>, LeadAgencyGap>, lead: Option<String>| {
        g.entry(lead.clone())
            .or_insert_with(|| LeadAgencyGap {
                lead_agency: lead,
                points_lost: None,
                areas_below_target: vec![],
                criteria: vec![],
            })
            .lead_agency
            .clone()
    };
    for (code, lost) in &scored {
        let has_scored_child = scored.iter().any(|(c, _)| code.is_ancestor_of(c));
        if !has_scored_child {
            let lead = lead_of(code);
            let k = group(&mut groups, lead);
            if let Some(g) = groups.get_mut(&k) {
                g.points_lost = Some(g.points_lost.unwrap_or(Decimal::ZERO) + *lost);
            }
        }
    }
    for c in &by_criterion {
        let k = group(&mut groups, c.lead_agency.clone());
        if let Some(g) = groups.get_mut(&k) {
            g.criteria.push(c.code.clone());
        }
    }
    for a in &by_area {
        if a.places_to_target.is_some_and(|p| p > 0) {
            let k = group(&mut groups, a.lead_agency.clone());
            if let Some(g) = groups.get_mut(&k) {
                g.areas_below_target.push(a.code.clone());
            }
        }
    }
    let mut by_lead_agency: Vec<LeadAgencyGap> = groups.into_values().collect();
    // Most points lost first; unknown losses (`None`) after every known one.
    by_lead_agency.sort_by(|a, b| {
        b.points_lost
            .cmp(&a.points_lost)
            .then_with(|| b.areas_below_target.len().cmp(&a.areas_below_target.len()))
            .then_with(|| a.lead_agency.cmp(&b.lead_agency))
    });

    Ok(GapReport {
        edition_id: e.id.clone(),
        subject: input.subject.to_string(),
        total: me.total,
        max: e.max_points,
        lost: me.total.map(|t| (e.max_points - t).max(Decimal::ZERO)),
        index_pct: me
            .total
            .and_then(|t| crate::score::index_pct(t, e.max_points)),
        rank,
        rank_source,
        target_rank: overall_target,
        points_to_target: detail.as_ref().and_then(|d| d.points()),
        points_to_target_detail: detail,
        previous,
        components,
        by_area,
        by_criterion,
        by_lead_agency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edition::{Component, CriterionNode, Level};
    use rust_decimal_macros::dec;

    fn peer(subject: &str, score: Decimal, rank: Option<u32>) -> Peer<'_> {
        Peer {
            subject,
            score: Some(score),
            published_rank: rank,
        }
    }

    #[test]
    fn needs_the_kth_peer_score_ties_share() {
        let peers = [
            peer("a", dec!(90), None),
            peer("b", dec!(85), None),
            peer("c", dec!(80), None),
        ];
        assert_eq!(
            points_to_rank(dec!(70), &peers, 2, true),
            PointsToRank::Needed {
                points: dec!(15),
                threshold: dec!(85),
                threshold_subject: "b".into()
            }
        );
        assert_eq!(
            points_to_rank(dec!(85), &peers, 2, true),
            PointsToRank::Reached,
            "a tie shares rank 2"
        );
        assert_eq!(
            points_to_rank(dec!(70), &peers, 4, true),
            PointsToRank::Reached,
            "fewer peers than k"
        );
        assert_eq!(
            points_to_rank(dec!(95), &peers, 1, true),
            PointsToRank::Reached
        );
    }

    #[test]
    fn incomplete_sets_need_the_peer_known() {
        let peers = [peer("a", dec!(90), Some(1)), peer("b", dec!(85), Some(3))];
        // b is 3rd but only a is known above it: someone unknown is in between.
        assert!(matches!(
            points_to_rank(dec!(70), &peers, 2, false),
            PointsToRank::Unknown { .. }
        ));
        let peers = [peer("a", dec!(90), Some(1)), peer("b", dec!(85), Some(2))];
        assert_eq!(
            points_to_rank(dec!(70), &peers, 2, false).points(),
            Some(dec!(15))
        );
        assert!(matches!(
            points_to_rank(dec!(70), &peers, 5, false),
            PointsToRank::Unknown { .. }
        ));
    }

    fn edition() -> Edition {
        let mut a1 = CriterionNode::new(
            NodeCode::parse("1").unwrap(),
            "Chỉ đạo điều hành",
            Some(dec!(10)),
        );
        a1.component = Some("appraisal".into());
        let c11 = CriterionNode::new(NodeCode::parse("1.1").unwrap(), "Kế hoạch", Some(dec!(4)));
        let mut c12 =
            CriterionNode::new(NodeCode::parse("1.2").unwrap(), "Sáng kiến", Some(dec!(6)));
        c12.lead_agency = Some("van-phong-ubnd-tinh".into());
        let a2 = CriterionNode::new(
            NodeCode::parse("2").unwrap(),
            "Văn bản QPPL",
            Some(dec!(10)),
        );
        Edition {
            id: "e".into(),
            name: "E".into(),
            year: 2020,
            level: Level::Province,
            methodology_ref: None,
            max_points: dec!(20),
            peer_count: Some(3),
            sample: true,
            notes: None,
            components: vec![Component {
                code: "appraisal".into(),
                name_vi: "TĐ".into(),
                name_en: None,
                max_points: dec!(20),
            }],
            criteria: vec![a1, c11, c12, a2],
        }
    }

    fn res(subject: &str, total: Decimal, scores: &[(&str, Decimal)]) -> PublishedResult {
        PublishedResult {
            edition_id: "e".into(),
            subject: subject.into(),
            total: Some(total),
            rank: None,
            components: BTreeMap::new(),
            node_scores: scores.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            node_ranks: BTreeMap::new(),
            source: None,
            published_on: None,
        }
    }

    #[test]
    fn full_report_groups_by_lead_agency() {
        let e = edition();
        let results = vec![
            res(
                "me",
                dec!(14),
                &[
                    ("1", dec!(6)),
                    ("1.1", dec!(3)),
                    ("1.2", dec!(3)),
                    ("2", dec!(8)),
                ],
            ),
            res("p", dec!(17), &[("1", dec!(9)), ("2", dec!(8))]),
            res("q", dec!(15), &[("1", dec!(7)), ("2", dec!(8))]),
        ];
        let targets = vec![
            RankTarget {
                edition_id: "e".into(),
                subject: "me".into(),
                scope: TargetScope::Overall,
                target_rank: 1,
                lead_agency: None,
                note: None,
            },
            RankTarget {
                edition_id: "e".into(),
                subject: "me".into(),
                scope: TargetScope::Node(NodeCode::parse("1").unwrap()),
                target_rank: 2,
                lead_agency: Some("so-noi-vu".into()),
                note: None,
            },
        ];
        let r = analyse(&GapInput {
            edition: &e,
            results: &results,
            subject: "me",
            target_rank: None,
            targets: &targets,
            previous: None,
        })
        .unwrap();
        assert_eq!(r.rank, Some(3));
        assert_eq!(r.rank_source, Some(RankSource::Computed));
        assert_eq!(r.target_rank, Some(1));
        assert_eq!(r.points_to_target, Some(dec!(3)));
        let a1 = &r.by_area[0];
        assert_eq!(a1.rank, Some(3));
        assert_eq!(a1.lost, Some(dec!(4)));
        assert_eq!(a1.places_to_target, Some(1));
        assert_eq!(
            a1.points_to_target.as_ref().and_then(|p| p.points()),
            Some(dec!(1))
        );
        assert_eq!(r.by_criterion[0].code, "1.2", "most points lost first");
        assert_eq!(
            r.by_criterion[0].lead_agency.as_deref(),
            Some("van-phong-ubnd-tinh")
        );
        assert_eq!(
            r.by_criterion[1].lead_agency.as_deref(),
            Some("so-noi-vu"),
            "inherits the area target's lead"
        );
        let vp = r
            .by_lead_agency
            .iter()
            .find(|g| g.lead_agency.as_deref() == Some("van-phong-ubnd-tinh"))
            .unwrap();
        assert_eq!(vp.points_lost, Some(dec!(3)));
        let snv = r
            .by_lead_agency
            .iter()
            .find(|g| g.lead_agency.as_deref() == Some("so-noi-vu"))
            .unwrap();
        assert_eq!(
            snv.points_lost,
            Some(dec!(1)),
            "area 1's loss is counted on its criteria, not twice"
        );
        assert_eq!(snv.areas_below_target, vec!["1".to_string()]);
    }

    #[test]
    fn points_lost_are_unknown_where_no_score_is_known() {
        let e = edition();
        // Area 2's rank is published, not its score: its lead agency's loss is unknown.
        let mut me = res(
            "me",
            dec!(14),
            &[("1", dec!(6)), ("1.1", dec!(3)), ("1.2", dec!(3))],
        );
        me.node_ranks.insert("2".into(), 3);
        let results = vec![
            me,
            res("p", dec!(17), &[("1", dec!(9)), ("2", dec!(8))]),
            res("q", dec!(15), &[("1", dec!(7)), ("2", dec!(8))]),
        ];
        let targets = vec![RankTarget {
            edition_id: "e".into(),
            subject: "me".into(),
            scope: TargetScope::Node(NodeCode::parse("2").unwrap()),
            target_rank: 1,
            lead_agency: Some("so-tu-phap".into()),
            note: None,
        }];
        let r = analyse(&GapInput {
            edition: &e,
            results: &results,
            subject: "me",
            target_rank: None,
            targets: &targets,
            previous: None,
        })
        .unwrap();
        let stp = r
            .by_lead_agency
            .iter()
            .find(|g| g.lead_agency.as_deref() == Some("so-tu-phap"))
            .expect("the agency whose area is below its target");
        assert_eq!(stp.areas_below_target, vec!["2".to_string()]);
        assert_eq!(stp.points_lost, None, "unknown, not zero");
        assert_eq!(
            r.by_lead_agency.last().map(|g| g.lead_agency.as_deref()),
            Some(Some("so-tu-phap")),
            "unknown losses come after the known ones"
        );
        let json = serde_json::to_value(stp).unwrap();
        assert!(json["points_lost"].is_null(), "{json}");
    }

    #[test]
    fn a_rank_without_a_total_bounds_nothing_it_cannot_know() {
        let mut e = edition();
        e.peer_count = Some(63);
        let rank_only = |s: &str, rank: u32| PublishedResult {
            total: None,
            rank: Some(rank),
            ..res(s, dec!(0), &[])
        };
        let ranked = |s: &str, total: Decimal, rank: u32| PublishedResult {
            rank: Some(rank),
            ..res(s, total, &[])
        };
        // "p" is published 1st without its score; "q" 2nd with 17; "me" 3rd with 14.
        let results = vec![
            rank_only("p", 1),
            ranked("q", dec!(17), 2),
            ranked("me", dec!(14), 3),
        ];
        let gap = |subject: &str, k: u32| {
            analyse(&GapInput {
                edition: &e,
                results: &results,
                subject,
                target_rank: Some(k),
                targets: &[],
                previous: None,
            })
            .unwrap()
        };
        let me = gap("me", 2);
        assert_eq!(me.total, Some(dec!(14)));
        assert_eq!(
            me.points_to_target,
            Some(dec!(3)),
            "q is provably 2nd: p above it is counted by its rank"
        );
        assert!(
            matches!(
                gap("me", 1).points_to_target_detail,
                Some(PointsToRank::Unknown { .. })
            ),
            "the 1st total is not known: unknown, never a guess"
        );
        let p = gap("p", 1);
        assert_eq!((p.total, p.lost, p.index_pct), (None, None, None));
        assert!(matches!(
            p.points_to_target_detail,
            Some(PointsToRank::Unknown { .. })
        ));
        let json = serde_json::to_value(&p).unwrap();
        assert!(json["total"].is_null() && json["lost"].is_null(), "{json}");
    }

    #[test]
    fn explicit_target_overrides_and_unknown_subject_errors() {
        let e = edition();
        let results = vec![
            res("me", dec!(14), &[]),
            res("p", dec!(17), &[]),
            res("q", dec!(15), &[]),
        ];
        let r = analyse(&GapInput {
            edition: &e,
            results: &results,
            subject: "me",
            target_rank: Some(2),
            targets: &[],
            previous: None,
        })
        .unwrap();
        assert_eq!(r.points_to_target, Some(dec!(1)));
        assert!(analyse(&GapInput {
            edition: &e,
            results: &results,
            subject: "zz",
            target_rank: None,
            targets: &[],
            previous: None
        })
        .is_err());
    }
}

//! Published results of an edition: per subject the total, each component, per-area scores and
//! ranks where known, the source and the publication date. The published total is authoritative.

use crate::edition::{Edition, NodeCode};
use crate::ranking::{admissible_rank_range, competition_ranks, RankSource};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Components are rounded on their own: their sum may differ from the total by this much per component.
pub const ROUNDING_TOLERANCE_PER_COMPONENT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// One subject's published result in one edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedResult {
    pub edition_id: String,
    pub subject: String,
    /// The published total; `None` when only the rank was published (a newspaper's "xếp thứ 7"
    /// without the score): the row then must carry a rank, and nothing is computed from a total
    /// it does not have.
    #[serde(default)]
    pub total: Option<Decimal>,
    /// The published rank, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Component code → points.
    #[serde(default)]
    pub components: BTreeMap<String, Decimal>,
    /// Node code (area or criterion) → points, where published.
    #[serde(default)]
    pub node_scores: BTreeMap<String, Decimal>,
    /// Node code (area) → published rank.
    #[serde(default)]
    pub node_ranks: BTreeMap<String, u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<jiff::civil::Date>,
}

/// A problem with one row (0-based index into the set) or with the set as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultProblem {
    pub row: Option<usize>,
    pub subject: Option<String>,
    pub field: String,
    pub kind: ResultProblemKind,
}

impl fmt::Display for ResultProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.subject {
            write!(f, "{s}: ")?;
        }
        write!(f, "{}: {}", self.field, self.kind)
    }
}

/// What is wrong with a published result or a set of them ([`PublishedResult::problems`],
/// [`check_set`]); the text is English, for the log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultProblemKind {
    /// A total, a component's points or a score outside `0..=max`.
    #[error("{value} is outside 0..{max}")]
    Outside { value: Decimal, max: Decimal },
    #[error("the edition has no component '{code}'")]
    UnknownComponent { code: String },
    #[error("the components add up to {sum}, which differs from the total {total} by more than {tolerance}")]
    ComponentsDisagree {
        sum: Decimal,
        total: Decimal,
        tolerance: Decimal,
    },
    /// Not a criterion code (`1`, `1.2`, `1.2.3`).
    #[error("'{code}' is not a code like 1, 1.2 or 1.2.3")]
    BadCode { code: String },
    #[error("the edition has no area or criterion {code}")]
    UnknownNode { code: String },
    /// A rank outside `1..=peers` (`peers` is the rank itself when the edition has no count).
    #[error("{rank} is outside 1..{peers}")]
    RankOutside { rank: u32, peers: u32 },
    /// A second result for a subject: both totals named, and the first one's row when the
    /// reader knows it (`first_row`: the row number a file reader shows; `None` from the
    /// domain, which sees entries, not rows).
    #[error("this subject appears twice{}: total {} there, {} here", first_row.map(|r| format!(" (first on row {r})")).unwrap_or_default(), or_dash(first_total), or_dash(total))]
    DuplicateSubject {
        first_row: Option<usize>,
        first_total: Option<Decimal>,
        total: Option<Decimal>,
    },
    /// Neither a total nor a rank: nothing was published for the subject.
    #[error("neither a total nor a rank is given")]
    NoTotalNorRank,
    #[error("belongs to edition '{edition}', not '{wanted}'")]
    OtherEdition { edition: String, wanted: String },
    #[error("{count} results for an edition that ranks {peers} subjects")]
    TooMany { count: usize, peers: u32 },
    /// A published rank better than the totals allow: `min - 1` subjects have a higher total.
    #[error("published rank {rank} contradicts the totals: {} subjects have a higher total, so the rank is at least {min}", .min - 1)]
    RankTooHigh { rank: u32, min: u32 },
    /// A published rank worse than a complete set allows.
    #[error("published rank {rank} contradicts the totals: the set is complete and only {} subjects have an equal or higher total, so the rank is at most {max}", .max - 1)]
    RankTooLow { rank: u32, max: u32 },
}

impl PublishedResult {
    /// Problems with this row against its edition.
    pub fn problems(&self, edition: &Edition) -> Vec<(String, ResultProblemKind)> {
        use ResultProblemKind as K;
        let mut out = Vec::new();
        match self.total {
            Some(total) if total < Decimal::ZERO || total > edition.max_points => out.push((
                "total".into(),
                K::Outside {
                    value: total,
                    max: edition.max_points,
                },
            )),
            None if self.rank.is_none() => out.push(("total".into(), K::NoTotalNorRank)),
            _ => {}
        }
        for (code, v) in &self.components {
            match edition.components.iter().find(|c| &c.code == code) {
                None => out.push((
                    format!("component {code}"),
                    K::UnknownComponent { code: code.clone() },
                )),
                Some(c) if *v < Decimal::ZERO || *v > c.max_points => out.push((
                    format!("component {code}"),
                    K::Outside {
                        value: *v,
                        max: c.max_points,
                    },
                )),
                _ => {}
            }
        }
        if let (false, Some(total)) = (self.components.is_empty(), self.total) {
            let sum: Decimal = self.components.values().copied().sum();
            let tolerance =
                ROUNDING_TOLERANCE_PER_COMPONENT * Decimal::from(self.components.len() as u64);
            if (sum - total).abs() > tolerance {
                out.push((
                    "total".into(),
                    K::ComponentsDisagree {
                        sum,
                        total,
                        tolerance,
                    },
                ));
            }
        }
        let check_node = |code: &str| -> Option<ResultProblemKind> {
            match NodeCode::parse(code) {
                Err(_) => Some(K::BadCode { code: code.into() }),
                Ok(c) if edition.node(&c).is_none() => Some(K::UnknownNode { code: code.into() }),
                Ok(_) => None,
            }
        };
        for (code, v) in &self.node_scores {
            if let Some(m) = check_node(code) {
                out.push((format!("score {code}"), m));
            } else if let Some(max) = NodeCode::parse(code)
                .ok()
                .and_then(|c| edition.node(&c))
                .and_then(|n| n.max_points)
            {
                if *v < Decimal::ZERO || *v > max {
                    out.push((format!("score {code}"), K::Outside { value: *v, max }));
                }
            }
        }
        for code in self.node_ranks.keys() {
            if let Some(m) = check_node(code) {
                out.push((format!("rank {code}"), m));
            }
        }
        let within = |r: u32| edition.peer_count.is_none_or(|n| r >= 1 && r <= n) && r >= 1;
        let outside = |r: u32| K::RankOutside {
            rank: r,
            peers: edition.peer_count.unwrap_or(r),
        };
        if let Some(r) = self.rank {
            if !within(r) {
                out.push(("rank".into(), outside(r)));
            }
        }
        for (code, r) in &self.node_ranks {
            if !within(*r) {
                out.push((format!("rank {code}"), outside(*r)));
            }
        }
        out
    }
}

/// Whether `results` hold every ranked subject of the edition, each with its total (ranks are
/// computed only from a complete set of totals).
pub fn is_complete(edition: &Edition, results: &[PublishedResult]) -> bool {
    edition
        .peer_count
        .is_some_and(|n| results.len() as u32 == n)
        && results.iter().all(|r| r.total.is_some())
}

/// A total or "—" when it was not published (the English messages).
fn or_dash(total: &Option<Decimal>) -> String {
    total.map_or_else(|| "—".to_string(), |t| t.to_string())
}

/// The edition's set of results after an import: the file's rows merged into what is stored
/// (a file's row replaces the stored row of its subject), or only the file's rows when
/// replacing; by subject.
pub fn after_import(
    existing: &[PublishedResult],
    incoming: &[PublishedResult],
    replace: bool,
) -> Vec<PublishedResult> {
    let mut after: BTreeMap<&str, &PublishedResult> = BTreeMap::new();
    if !replace {
        for r in existing {
            after.insert(&r.subject, r);
        }
    }
    for r in incoming {
        after.insert(&r.subject, r);
    }
    after.into_values().cloned().collect()
}

/// How many results hold a score or a rank of one of `codes` (e.g. the criteria an edition
/// change removes: those results would lose them).
pub fn referencing(results: &[PublishedResult], codes: &BTreeSet<&str>) -> usize {
    results
        .iter()
        .filter(|r| {
            r.node_scores
                .keys()
                .chain(r.node_ranks.keys())
                .any(|k| codes.contains(k.as_str()))
        })
        .count()
}

/// Every problem with a set of results for one edition: each row's own problems, duplicate
/// subjects, and published ranks that contradict the published totals.
pub fn check_set(edition: &Edition, results: &[PublishedResult]) -> Vec<ResultProblem> {
    use ResultProblemKind as K;
    let mut out = Vec::new();
    // Each subject's first entry (its index), to name the first of two.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let of_row = |i: usize, r: &PublishedResult, field: String, kind| ResultProblem {
        row: Some(i),
        subject: Some(r.subject.clone()),
        field,
        kind,
    };
    for (i, r) in results.iter().enumerate() {
        for (field, kind) in r.problems(edition) {
            out.push(of_row(i, r, field, kind));
        }
        match seen.get(r.subject.as_str()) {
            Some(&first) => out.push(of_row(
                i,
                r,
                "subject".into(),
                K::DuplicateSubject {
                    first_row: None,
                    first_total: results[first].total,
                    total: r.total,
                },
            )),
            None => {
                seen.insert(r.subject.as_str(), i);
            }
        }
        if r.edition_id != edition.id {
            out.push(of_row(
                i,
                r,
                "edition".into(),
                K::OtherEdition {
                    edition: r.edition_id.clone(),
                    wanted: edition.id.clone(),
                },
            ));
        }
    }
    if let Some(n) = edition.peer_count {
        if results.len() as u32 > n {
            out.push(ResultProblem {
                row: None,
                subject: None,
                field: "rows".into(),
                kind: K::TooMany {
                    count: results.len(),
                    peers: n,
                },
            });
        }
    }
    let complete = is_complete(edition, results);
    for (i, r) in results.iter().enumerate() {
        let (Some(rank), Some(total)) = (r.rank, r.total) else {
            continue;
        };
        let others: Vec<Decimal> = results
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(_, o)| o.total)
            .collect();
        let (lo, hi) = admissible_rank_range(total, &others, complete, edition.peer_count);
        if rank < lo {
            out.push(of_row(
                i,
                r,
                "rank".into(),
                K::RankTooHigh { rank, min: lo },
            ));
        } else if rank > hi {
            out.push(of_row(i, r, "rank".into(), K::RankTooLow { rank, max: hi }));
        }
    }
    out
}

/// One row of a ranked table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedRow {
    pub rank: Option<u32>,
    pub rank_source: Option<RankSource>,
    pub result: PublishedResult,
}

/// The ranked table: computed ranks when the set is complete, published ranks otherwise.
/// Rows with a total are ordered by total (highest first), then by subject; a row that has only
/// a published rank stands before the first row ranked below it.
pub fn ranked_table(edition: &Edition, results: &[PublishedResult]) -> Vec<RankedRow> {
    let complete = is_complete(edition, results);
    let totals: Vec<Decimal> = results.iter().filter_map(|r| r.total).collect();
    let mut computed = competition_ranks(&totals).into_iter();
    let mut rows: Vec<RankedRow> = Vec::with_capacity(results.len());
    let mut rank_only: Vec<RankedRow> = Vec::new();
    for r in results {
        let c = if r.total.is_some() {
            computed.next()
        } else {
            None
        };
        let (rank, rank_source) = match c {
            Some(c) if complete => (Some(c), Some(RankSource::Computed)),
            _ => (r.rank, r.rank.map(|_| RankSource::Published)),
        };
        let row = RankedRow {
            rank,
            rank_source,
            result: r.clone(),
        };
        if r.total.is_some() {
            rows.push(row);
        } else {
            rank_only.push(row);
        }
    }
    rows.sort_by(|a, b| {
        b.result
            .total
            .cmp(&a.result.total)
            .then_with(|| a.result.subject.cmp(&b.result.subject))
    });
    rank_only.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| a.result.subject.cmp(&b.result.subject))
    });
    for row in rank_only {
        let at = rows
            .iter()
            .position(|o| o.rank.is_some_and(|x| Some(x) > row.rank))
            .unwrap_or(rows.len());
        rows.insert(at, row);
    }
    rows
}

/// Rank of each subject on one area (node code), computed when every peer has a score for it,
/// published otherwise. Subject → (rank, source).
pub fn node_ranks(
    edition: &Edition,
    results: &[PublishedResult],
    code: &str,
) -> BTreeMap<String, (u32, RankSource)> {
    let complete =
        is_complete(edition, results) && results.iter().all(|r| r.node_scores.contains_key(code));
    let mut out = BTreeMap::new();
    if complete {
        let scores: Vec<Decimal> = results.iter().map(|r| r.node_scores[code]).collect();
        for (r, k) in results.iter().zip(competition_ranks(&scores)) {
            out.insert(r.subject.clone(), (k, RankSource::Computed));
        }
    } else {
        for r in results {
            if let Some(k) = r.node_ranks.get(code) {
                out.insert(r.subject.clone(), (*k, RankSource::Published));
            }
        }
    }
    out
}

/// Rank of each subject on one score component, computed only when the set is complete and every
/// subject has that component (components have no published ranks). Subject → rank.
pub fn component_ranks(
    edition: &Edition,
    results: &[PublishedResult],
    code: &str,
) -> BTreeMap<String, u32> {
    let complete =
        is_complete(edition, results) && results.iter().all(|r| r.components.contains_key(code));
    if !complete {
        return BTreeMap::new();
    }
    let scores: Vec<Decimal> = results.iter().map(|r| r.components[code]).collect();
    results
        .iter()
        .zip(competition_ranks(&scores))
        .map(|(r, k)| (r.subject.clone(), k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edition::{Component, Level};
    use rust_decimal_macros::dec;

    pub(crate) fn edition(peers: Option<u32>) -> Edition {
        Edition {
            id: "par-2020-province".into(),
            name: "PAR Index 2020".into(),
            year: 2020,
            level: Level::Province,
            methodology_ref: None,
            max_points: dec!(100),
            peer_count: peers,
            sample: false,
            notes: None,
            components: vec![
                Component {
                    code: "appraisal".into(),
                    name_vi: "Thẩm định".into(),
                    name_en: None,
                    max_points: dec!(66.5),
                },
                Component {
                    code: "sipas".into(),
                    name_vi: "SIPAS".into(),
                    name_en: None,
                    max_points: dec!(10),
                },
                Component {
                    code: "survey".into(),
                    name_vi: "Điều tra XHH".into(),
                    name_en: None,
                    max_points: dec!(23.5),
                },
            ],
            criteria: vec![],
        }
    }

    fn row(
        subject: &str,
        total: Decimal,
        rank: Option<u32>,
        comps: [Decimal; 3],
    ) -> PublishedResult {
        PublishedResult {
            edition_id: "par-2020-province".into(),
            subject: subject.into(),
            total: Some(total),
            rank,
            components: [
                ("appraisal", comps[0]),
                ("sipas", comps[1]),
                ("survey", comps[2]),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            node_scores: BTreeMap::new(),
            node_ranks: BTreeMap::new(),
            source: None,
            published_on: None,
        }
    }

    #[test]
    fn an_import_merges_into_the_stored_set_unless_it_replaces_it() {
        let c = [dec!(50), dec!(9), dec!(20)];
        let existing = vec![
            row("quang-ninh", dec!(91), Some(1), c),
            row("bac-giang", dec!(80), Some(13), c),
        ];
        let incoming = vec![
            row("bac-giang", dec!(85.58), Some(12), c),
            row("hai-phong", dec!(88), None, c),
        ];
        let merged: Vec<(String, Option<Decimal>)> = after_import(&existing, &incoming, false)
            .into_iter()
            .map(|r| (r.subject, r.total))
            .collect();
        assert_eq!(
            merged,
            vec![
                ("bac-giang".to_string(), Some(dec!(85.58))),
                ("hai-phong".to_string(), Some(dec!(88))),
                ("quang-ninh".to_string(), Some(dec!(91))),
            ],
            "the file's row replaces the stored one; by subject"
        );
        let replaced: Vec<String> = after_import(&existing, &incoming, true)
            .into_iter()
            .map(|r| r.subject)
            .collect();
        assert_eq!(replaced, vec!["bac-giang", "hai-phong"]);
    }

    #[test]
    fn results_referencing_removed_criteria_are_counted() {
        let c = [dec!(50), dec!(9), dec!(20)];
        let mut scored = row("bac-giang", dec!(80), None, c);
        scored.node_scores.insert("1.1".into(), dec!(1));
        let mut ranked = row("hai-phong", dec!(80), None, c);
        ranked.node_ranks.insert("2".into(), 4);
        let plain = row("quang-ninh", dec!(80), None, c);
        let all = vec![scored, ranked, plain];
        assert_eq!(referencing(&all, &BTreeSet::from(["1.1", "2"])), 2);
        assert_eq!(referencing(&all, &BTreeSet::from(["1.1"])), 1);
        assert_eq!(referencing(&all, &BTreeSet::new()), 0);
    }

    #[test]
    fn rounded_components_within_tolerance_are_accepted() {
        let e = edition(Some(63));
        // Quảng Ninh: 62.66 + 9.56 + 18.83 = 91.05 vs 91.04.
        let r = row(
            "quang-ninh",
            dec!(91.04),
            Some(1),
            [dec!(62.66), dec!(9.56), dec!(18.83)],
        );
        assert!(r.problems(&e).is_empty(), "{:?}", r.problems(&e));
        let bg = row(
            "bac-giang",
            dec!(85.58),
            Some(13),
            [dec!(56.93), dec!(9.29), dec!(19.36)],
        );
        assert!(bg.problems(&e).is_empty());
    }

    #[test]
    fn components_too_far_from_total_are_refused() {
        let e = edition(Some(63));
        let r = row(
            "x",
            dec!(85.50),
            None,
            [dec!(56.93), dec!(9.29), dec!(19.36)],
        );
        let p = r.problems(&e);
        assert!(
            p.iter().any(|(f, k)| f == "total"
                && matches!(k, ResultProblemKind::ComponentsDisagree { sum, .. } if *sum == dec!(85.58))),
            "{p:?}"
        );
    }

    #[test]
    fn a_rank_without_a_total_is_a_result_and_takes_its_place_by_rank() {
        let e = edition(Some(63));
        let c = [dec!(50), dec!(9), dec!(20)];
        let mut seventh = row("long-an", dec!(0), Some(7), c);
        seventh.total = None;
        seventh.components.clear();
        let set = vec![
            row(
                "quang-ninh",
                dec!(91.04),
                Some(1),
                [dec!(62.66), dec!(9.56), dec!(18.83)],
            ),
            seventh,
            row(
                "bac-giang",
                dec!(85.58),
                Some(13),
                [dec!(56.93), dec!(9.29), dec!(19.36)],
            ),
        ];
        assert_eq!(
            check_set(&e, &set),
            vec![],
            "a rank alone is a published result"
        );
        let order: Vec<String> = ranked_table(&e, &set)
            .into_iter()
            .map(|r| r.result.subject)
            .collect();
        assert_eq!(order, vec!["quang-ninh", "long-an", "bac-giang"]);
        let mut nothing = row("ha-noi", dec!(0), None, c);
        nothing.total = None;
        nothing.components.clear();
        assert_eq!(
            nothing.problems(&e),
            vec![("total".to_string(), ResultProblemKind::NoTotalNorRank)]
        );
        let complete_but_one_total = edition(Some(3));
        assert!(
            !is_complete(&complete_but_one_total, &set),
            "ranks are not computed without every total"
        );
    }

    #[test]
    fn rank_contradicting_totals_is_refused() {
        let e = edition(Some(63));
        let set = vec![
            row(
                "a",
                dec!(91.04),
                Some(2),
                [dec!(62.66), dec!(9.56), dec!(18.83)],
            ),
            row(
                "b",
                dec!(90.51),
                Some(1),
                [dec!(61.71), dec!(9.35), dec!(19.45)],
            ),
        ];
        let p = check_set(&e, &set);
        assert!(
            p.iter()
                .any(|x| x.subject.as_deref() == Some("b") && x.field == "rank"),
            "{p:?}"
        );
    }

    #[test]
    fn complete_set_is_computed_incomplete_is_published() {
        let mut e = edition(Some(3));
        let set = vec![
            row("a", dec!(80), Some(3), [dec!(50), dec!(10), dec!(20)]),
            row("b", dec!(90), Some(1), [dec!(60), dec!(10), dec!(20)]),
            row("c", dec!(85), Some(2), [dec!(55), dec!(10), dec!(20)]),
        ];
        assert!(check_set(&e, &set).is_empty());
        let t = ranked_table(&e, &set);
        assert_eq!(t[0].result.subject, "b");
        assert_eq!(t[0].rank_source, Some(RankSource::Computed));
        assert_eq!(
            t.iter().map(|r| r.rank.unwrap()).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        e.peer_count = Some(63);
        let t = ranked_table(&e, &set);
        assert_eq!(t[0].rank_source, Some(RankSource::Published));
        // A complete set whose published rank disagrees is refused.
        e.peer_count = Some(3);
        let mut bad = set.clone();
        bad[0].rank = Some(2);
        bad[2].rank = Some(3);
        assert!(!check_set(&e, &bad).is_empty());
    }

    #[test]
    fn component_ranks_need_a_complete_set() {
        let mut e = edition(Some(3));
        let set = vec![
            row("a", dec!(80), None, [dec!(50), dec!(10), dec!(20)]),
            row("b", dec!(90), None, [dec!(60), dec!(10), dec!(20)]),
            row("c", dec!(85), None, [dec!(55), dec!(9), dec!(21)]),
        ];
        let sipas = component_ranks(&e, &set, "sipas");
        assert_eq!(
            (sipas["a"], sipas["b"], sipas["c"]),
            (1, 1, 3),
            "ties share"
        );
        assert_eq!(component_ranks(&e, &set, "appraisal")["b"], 1);
        e.peer_count = Some(63);
        assert!(
            component_ranks(&e, &set, "sipas").is_empty(),
            "incomplete: no computed rank"
        );
        // Per-area ranks: computed from scores when complete, published otherwise.
        let mut set2 = set.clone();
        for (r, v) in set2.iter_mut().zip([dec!(5), dec!(7), dec!(6)]) {
            r.node_scores.insert("1".into(), v);
            r.node_ranks.insert("1".into(), 9);
        }
        e.peer_count = Some(3);
        let ranks = node_ranks(&e, &set2, "1");
        assert_eq!(ranks["b"], (1, RankSource::Computed));
        e.peer_count = Some(63);
        assert_eq!(node_ranks(&e, &set2, "1")["b"], (9, RankSource::Published));
    }

    #[test]
    fn duplicate_subjects_and_unknown_components() {
        let e = edition(Some(63));
        let mut r = row("a", dec!(80), None, [dec!(50), dec!(10), dec!(20)]);
        r.components.insert("impact".into(), dec!(1));
        let set = vec![r.clone(), r];
        let p = check_set(&e, &set);
        assert!(p.iter().any(|x| x.row == Some(1)
            && matches!(
                x.kind,
                ResultProblemKind::DuplicateSubject {
                    first_row: None,
                    ..
                }
            )));
        assert!(p.iter().any(|x| x.field == "component impact"
            && x.kind
                == ResultProblemKind::UnknownComponent {
                    code: "impact".into()
                }));
    }
}

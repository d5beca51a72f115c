//! Next year: carrying a round over to the next criteria set.

use super::*;
use crate::edition::{Edition, NodeCode};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How last year's leaves map onto next year's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Crosswalk {
    /// Old leaf → new leaf (same code, or by the explicit mapping).
    pub map: BTreeMap<NodeCode, NodeCode>,
    /// New leaves that several old ones were merged into.
    pub merged: BTreeMap<NodeCode, Vec<NodeCode>>,
    /// Old leaves with nothing to go to.
    pub dropped: Vec<NodeCode>,
    /// New leaves nothing maps to.
    pub new_only: Vec<NodeCode>,
}

/// What is wrong with a crosswalk ([`parse_crosswalk`], [`crosswalk`]); the text is English, for
/// the log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrosswalkProblem {
    /// A line that is not a pair of codes.
    #[error("'{line}': write old code => new code")]
    Unreadable { line: String },
    #[error("'{line}': {code} is mapped twice")]
    MappedTwice { line: String, code: NodeCode },
    /// A line with something that is not a criterion code.
    #[error("'{line}': not a code like 1, 1.2 or 1.2.3")]
    BadCode { line: String },
    /// A code mapped from or to that is not a leaf criterion of its edition.
    #[error("{code} is not a leaf criterion of {edition}")]
    NotALeaf { code: NodeCode, edition: String },
}

/// Parse an explicit mapping: one pair a line (or separated by `;`), `1.2.3 => 1.2.4`
/// (also `->`, `→`, `=`, `,`).
pub fn parse_crosswalk(text: &str) -> Result<BTreeMap<NodeCode, NodeCode>, Vec<CrosswalkProblem>> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for line in text
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let parts: Vec<&str> = line
            .split(['=', '>', '-', '→', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() != 2 {
            problems.push(CrosswalkProblem::Unreadable { line: line.into() });
            continue;
        }
        match (NodeCode::parse(parts[0]), NodeCode::parse(parts[1])) {
            (Ok(a), Ok(b)) => {
                if out.insert(a.clone(), b).is_some() {
                    problems.push(CrosswalkProblem::MappedTwice {
                        line: line.into(),
                        code: a,
                    });
                }
            }
            (Err(_), _) | (_, Err(_)) => {
                problems.push(CrosswalkProblem::BadCode { line: line.into() })
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Build the crosswalk from `old` to `new`: an explicit mapping wins, else the same code when
/// it is a leaf of the new set. Mapping sources must be leaves of the old set and targets
/// leaves of the new one.
pub fn crosswalk(
    old: &Edition,
    new: &Edition,
    explicit: &BTreeMap<NodeCode, NodeCode>,
) -> Result<Crosswalk, Vec<CrosswalkProblem>> {
    let old_leaves: BTreeSet<NodeCode> = leaves(old).iter().map(|n| n.code.clone()).collect();
    let new_leaves: BTreeSet<NodeCode> = leaves(new).iter().map(|n| n.code.clone()).collect();
    let mut problems = Vec::new();
    for (a, b) in explicit {
        if !old_leaves.contains(a) {
            problems.push(CrosswalkProblem::NotALeaf {
                code: a.clone(),
                edition: old.id.clone(),
            });
        }
        if !new_leaves.contains(b) {
            problems.push(CrosswalkProblem::NotALeaf {
                code: b.clone(),
                edition: new.id.clone(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut cw = Crosswalk::default();
    for a in &old_leaves {
        let target = explicit
            .get(a)
            .cloned()
            .or_else(|| new_leaves.contains(a).then(|| a.clone()));
        match target {
            Some(b) => {
                cw.map.insert(a.clone(), b);
            }
            None => cw.dropped.push(a.clone()),
        }
    }
    let mut sources: BTreeMap<NodeCode, Vec<NodeCode>> = BTreeMap::new();
    for (a, b) in &cw.map {
        sources.entry(b.clone()).or_default().push(a.clone());
    }
    cw.merged = sources.into_iter().filter(|(_, v)| v.len() > 1).collect();
    let targets: BTreeSet<&NodeCode> = cw.map.values().collect();
    cw.new_only = new_leaves
        .iter()
        .filter(|c| !targets.contains(c))
        .cloned()
        .collect();
    Ok(cw)
}

/// Next year's criteria set as a copy of this one: a new id and year, the year in the name
/// moved on (or added), the sample flag kept.
pub fn next_year_edition(old: &Edition, new_id: &str, year: i32) -> Edition {
    let mut e = old.clone();
    e.id = new_id.to_string();
    let old_year = old.year.to_string();
    e.name = if old.name.contains(&old_year) {
        old.name.replace(&old_year, &year.to_string())
    } else {
        format!("{} {year}", old.name)
    };
    e.year = year;
    e
}

//! Index editions and their criteria trees.
//!
//! An edition is one year's methodology at one level (a province's PAR Index, or a province's own
//! index of its departments, districts or communes): score components with their max points and a
//! tree of areas → criteria → sub-criteria, each node identified by a dotted code (`1`, `1.2`,
//! `1.2.3`). The tree is kept as a flat list ordered by code; parents are derived from codes.

use crate::rules::{ScoreInput, ScoringRule};
use crate::score::index_pct;
use crate::text::is_slug;
use crate::units::UnitType;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The level an edition assesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    Department,
    District,
    Commune,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Province,
        Level::Department,
        Level::District,
        Level::Commune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Department => "department",
            Level::District => "district",
            Level::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        let f = crate::text::fold(s);
        match f.trim() {
            "province" | "tinh" | "cap tinh" => Some(Level::Province),
            "department" | "so" | "so, nganh" => Some(Level::Department),
            "district" | "huyen" | "cap huyen" => Some(Level::District),
            "commune" | "xa" | "cap xa" => Some(Level::Commune),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a text is not a criterion code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeProblem {
    #[error("empty code")]
    Empty,
    #[error("'{value}' is not a code like 1, 1.2 or 1.2.3")]
    NotACode { value: String },
    #[error("'{value}': code parts start at 1")]
    ZeroPart { value: String },
    #[error("'{value}' is deeper than area → criterion → sub-criterion")]
    TooDeep { value: String },
}

/// A dotted criterion code: `1` (area), `1.2` (criterion), `1.2.3` (sub-criterion).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeCode(Vec<u32>);

impl NodeCode {
    pub const MAX_DEPTH: usize = 3;

    pub fn parse(s: &str) -> Result<NodeCode, CodeProblem> {
        let t = s.trim();
        if t.is_empty() {
            return Err(CodeProblem::Empty);
        }
        let value = || t.to_string();
        let mut parts = Vec::new();
        for p in t.split('.') {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 4 {
                return Err(CodeProblem::NotACode { value: value() });
            }
            let n: u32 = p
                .parse()
                .map_err(|_| CodeProblem::NotACode { value: value() })?;
            if n == 0 {
                return Err(CodeProblem::ZeroPart { value: value() });
            }
            parts.push(n);
        }
        if parts.len() > Self::MAX_DEPTH {
            return Err(CodeProblem::TooDeep { value: value() });
        }
        Ok(NodeCode(parts))
    }

    pub fn depth(&self) -> usize {
        self.0.len()
    }

    pub fn parent(&self) -> Option<NodeCode> {
        (self.0.len() > 1).then(|| NodeCode(self.0[..self.0.len() - 1].to_vec()))
    }

    /// The area (top-level node) this code belongs to.
    pub fn area(&self) -> NodeCode {
        NodeCode(vec![self.0[0]])
    }

    pub fn is_ancestor_of(&self, other: &NodeCode) -> bool {
        other.0.len() > self.0.len() && other.0.starts_with(&self.0)
    }
}

impl Ord for NodeCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for NodeCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for NodeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: Vec<String> = self.0.iter().map(|n| n.to_string()).collect();
        f.write_str(&s.join("."))
    }
}

impl TryFrom<String> for NodeCode {
    type Error = CodeProblem;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NodeCode::parse(&s)
    }
}

impl From<NodeCode> for String {
    fn from(c: NodeCode) -> String {
        c.to_string()
    }
}

/// A score component of an edition (e.g. appraisal 66.5, SIPAS 10, leader survey 23.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub code: String,
    pub name_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub max_points: Decimal,
}

/// One node of the criteria tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionNode {
    pub code: NodeCode,
    pub title_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    /// Max points; `None` where the methodology's points are not loaded yet (a skeleton).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_points: Option<Decimal>,
    /// The component this node counts towards; inherited from the parent when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Scored by a sociological survey: never self-scored.
    #[serde(default)]
    pub survey_scored: bool,
    #[serde(default)]
    pub evidence_required: bool,
    /// The unit types it applies to; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applies_to: Vec<UnitType>,
    /// The unit answerable for this node, overriding the area's lead agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<ScoringRule>,
    /// This criterion's points or rule are a sample (illustrative, not the methodology's): it is
    /// labelled "MẪU" wherever it is shown, as every criterion of a sample edition is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sample: bool,
}

impl CriterionNode {
    pub fn new(code: NodeCode, title_vi: impl Into<String>, max_points: Option<Decimal>) -> Self {
        CriterionNode {
            code,
            title_vi: title_vi.into(),
            title_en: None,
            max_points,
            component: None,
            survey_scored: false,
            evidence_required: false,
            applies_to: Vec::new(),
            lead_agency: None,
            rule: None,
            sample: false,
        }
    }
}

/// An index edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    /// Stable id, a slug such as `par-2020-province`.
    pub id: String,
    pub name: String,
    pub year: i32,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methodology_ref: Option<String>,
    pub max_points: Decimal,
    /// How many subjects are ranked (63 provinces): ranks are computed only from a complete set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_count: Option<u32>,
    /// A sample criteria set, not official: labelled as such everywhere.
    #[serde(default)]
    pub sample: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default)]
    pub components: Vec<Component>,
    #[serde(default)]
    pub criteria: Vec<CriterionNode>,
}

/// One problem found while validating an edition. `field` names where it is (e.g.
/// `criteria[1.2].max_points`); `kind` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionProblem {
    pub field: String,
    pub kind: EditionProblemKind,
}

impl fmt::Display for EditionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.kind)
    }
}

/// What is wrong with one field of an edition ([`Edition::validate`]); the text is English, for
/// the log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditionProblemKind {
    /// An id or a lead agency that is not a slug.
    #[error("'{value}' is not a slug (a-z, 0-9, -)")]
    NotSlug { value: String },
    /// A required text (name, component code, Vietnamese title) that is empty.
    #[error("empty")]
    Empty,
    #[error("{year} is not a plausible year")]
    ImplausibleYear { year: i32 },
    /// Points or a count that must be above zero.
    #[error("must be positive")]
    NotPositive,
    #[error("{points} is negative")]
    Negative { points: Decimal },
    #[error("duplicate component '{code}'")]
    DuplicateComponent { code: String },
    #[error("the components sum to {sum}, not the edition's max {max}")]
    ComponentsSum { sum: Decimal, max: Decimal },
    #[error("duplicate code {code}")]
    DuplicateCode { code: NodeCode },
    #[error("orphan: its parent {parent} is not in the tree")]
    Orphan { parent: NodeCode },
    #[error("unknown component '{code}'")]
    UnknownComponent { code: String },
    /// The node's scoring rule is unsound.
    #[error("{0}")]
    Rule(crate::rules::RuleProblem),
    /// A node's children (adjustments aside) add up to more than its max.
    #[error("its children add up to {sum}, more than its max {max}")]
    ChildrenExceed { sum: Decimal, max: Decimal },
    #[error("the areas add up to {sum}, more than the edition's max {max}")]
    AreasExceed { sum: Decimal, max: Decimal },
    /// The areas counted towards a component add up to more than its max.
    #[error("areas counted towards it add up to {sum}, more than its max {max}")]
    ComponentExceeded { sum: Decimal, max: Decimal },
    /// A warning ([`Edition::warnings`]): a node's children (adjustments aside) add up to less
    /// than its max, so the node can never reach it.
    #[error("its children add up to {sum}, less than its max {max}")]
    ChildrenShort { sum: Decimal, max: Decimal },
    /// A warning ([`Edition::warnings`]): values that no band of the node's rule covers; such a
    /// declared figure cannot be scored.
    #[error("no band covers the values {0}")]
    Uncovered(crate::rules::Uncovered),
}

fn problem(field: impl Into<String>, kind: EditionProblemKind) -> EditionProblem {
    EditionProblem {
        field: field.into(),
        kind,
    }
}

/// Achieved and max points of one node, component or the whole edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub achieved: Decimal,
    pub max: Option<Decimal>,
}

impl Tally {
    pub fn lost(&self) -> Option<Decimal> {
        self.max.map(|m| (m - self.achieved).max(Decimal::ZERO))
    }
    pub fn index_pct(&self) -> Option<Decimal> {
        self.max.and_then(|m| index_pct(self.achieved, m))
    }
}

/// Totals of a scored edition: per node (areas and criteria), per component, overall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub nodes: BTreeMap<String, Tally>,
    pub components: BTreeMap<String, Tally>,
    pub overall: Tally,
}

impl Edition {
    /// Sort the criteria by code. Call after building or editing the tree.
    pub fn sort(&mut self) {
        self.criteria.sort_by(|a, b| a.code.cmp(&b.code));
    }

    pub fn node(&self, code: &NodeCode) -> Option<&CriterionNode> {
        self.criteria.iter().find(|n| &n.code == code)
    }

    pub fn children<'a>(
        &'a self,
        code: &'a NodeCode,
    ) -> impl Iterator<Item = &'a CriterionNode> + 'a {
        self.criteria
            .iter()
            .filter(move |n| n.code.parent().as_ref() == Some(code))
    }

    pub fn areas(&self) -> impl Iterator<Item = &CriterionNode> {
        self.criteria.iter().filter(|n| n.code.depth() == 1)
    }

    /// The component a node counts towards: its own, else the nearest ancestor's.
    pub fn effective_component(&self, code: &NodeCode) -> Option<&str> {
        let mut cur = Some(code.clone());
        while let Some(c) = cur {
            if let Some(comp) = self.node(&c).and_then(|n| n.component.as_deref()) {
                return Some(comp);
            }
            cur = c.parent();
        }
        None
    }

    /// The lead agency for a node: its own, else the nearest ancestor's.
    /// Whether the node is a sample: the edition is one, or the node or one of its ancestors is
    /// marked so.
    pub fn is_sample_node(&self, code: &NodeCode) -> bool {
        self.sample
            || self
                .criteria
                .iter()
                .any(|n| n.sample && (n.code == *code || n.code.is_ancestor_of(code)))
    }

    pub fn effective_lead_agency(&self, code: &NodeCode) -> Option<&str> {
        let mut cur = Some(code.clone());
        while let Some(c) = cur {
            if let Some(a) = self.node(&c).and_then(|n| n.lead_agency.as_deref()) {
                return Some(a);
            }
            cur = c.parent();
        }
        None
    }

    /// Every problem with the edition, all at once. Empty when the edition is sound.
    pub fn validate(&self) -> Vec<EditionProblem> {
        use EditionProblemKind as K;
        let mut out = Vec::new();
        if !is_slug(&self.id) {
            out.push(problem(
                "id",
                K::NotSlug {
                    value: self.id.clone(),
                },
            ));
        }
        if self.name.trim().is_empty() {
            out.push(problem("name", K::Empty));
        }
        if !(1990..=2100).contains(&self.year) {
            out.push(problem("year", K::ImplausibleYear { year: self.year }));
        }
        if self.max_points <= Decimal::ZERO {
            out.push(problem("max_points", K::NotPositive));
        }
        if self.peer_count == Some(0) {
            out.push(problem("peer_count", K::NotPositive));
        }
        // Components.
        let mut comp_codes = BTreeSet::new();
        for (i, c) in self.components.iter().enumerate() {
            if !comp_codes.insert(c.code.as_str()) {
                out.push(problem(
                    format!("components[{i}].code"),
                    K::DuplicateComponent {
                        code: c.code.clone(),
                    },
                ));
            }
            if c.code.trim().is_empty() {
                out.push(problem(format!("components[{i}].code"), K::Empty));
            }
            if c.max_points <= Decimal::ZERO {
                out.push(problem(
                    format!("components[{}].max_points", c.code),
                    K::NotPositive,
                ));
            }
        }
        if !self.components.is_empty() {
            let sum: Decimal = self.components.iter().map(|c| c.max_points).sum();
            if sum != self.max_points {
                out.push(problem(
                    "components",
                    K::ComponentsSum {
                        sum,
                        max: self.max_points,
                    },
                ));
            }
        }
        // Nodes.
        let mut seen = BTreeSet::new();
        let codes: BTreeSet<&NodeCode> = self.criteria.iter().map(|n| &n.code).collect();
        for n in &self.criteria {
            let f = |what: &str| format!("criteria[{}].{what}", n.code);
            if !seen.insert(&n.code) {
                out.push(problem(
                    f("code"),
                    K::DuplicateCode {
                        code: n.code.clone(),
                    },
                ));
            }
            if let Some(p) = n.code.parent() {
                if !codes.contains(&p) {
                    out.push(problem(f("code"), K::Orphan { parent: p }));
                }
            }
            if n.title_vi.trim().is_empty() {
                out.push(problem(f("title_vi"), K::Empty));
            }
            if let Some(m) = n.max_points {
                if m < Decimal::ZERO {
                    out.push(problem(f("max_points"), K::Negative { points: m }));
                }
            }
            if let Some(c) = &n.component {
                if !comp_codes.contains(c.as_str()) {
                    out.push(problem(
                        f("component"),
                        K::UnknownComponent { code: c.clone() },
                    ));
                }
            }
            if let Some(a) = &n.lead_agency {
                if !is_slug(a) {
                    out.push(problem(f("lead_agency"), K::NotSlug { value: a.clone() }));
                }
            }
            if let Some(r) = &n.rule {
                for p in r.problems(n.max_points) {
                    out.push(problem(f("rule"), K::Rule(p)));
                }
            }
        }
        // Children exceeding the parent's max (adjustments are not counted).
        let mut child_sum: BTreeMap<NodeCode, Decimal> = BTreeMap::new();
        for n in &self.criteria {
            if n.rule.as_ref().is_some_and(|r| r.is_adjustment()) {
                continue;
            }
            if let (Some(p), Some(m)) = (n.code.parent(), n.max_points) {
                *child_sum.entry(p).or_default() += m;
            }
        }
        for (parent, sum) in &child_sum {
            if let Some(pm) = self.node(parent).and_then(|p| p.max_points) {
                if *sum > pm {
                    out.push(problem(
                        format!("criteria[{parent}].max_points"),
                        K::ChildrenExceed { sum: *sum, max: pm },
                    ));
                }
            }
        }
        let area_sum: Decimal = self
            .areas()
            .filter(|n| !n.rule.as_ref().is_some_and(|r| r.is_adjustment()))
            .filter_map(|n| n.max_points)
            .sum();
        if area_sum > self.max_points {
            out.push(problem(
                "criteria",
                K::AreasExceed {
                    sum: area_sum,
                    max: self.max_points,
                },
            ));
        }
        // Components: the nodes counted towards a component must not exceed it.
        let mut per_comp: BTreeMap<&str, Decimal> = BTreeMap::new();
        for n in self.criteria.iter().filter(|n| n.code.depth() == 1) {
            if let (Some(c), Some(m)) = (n.component.as_deref(), n.max_points) {
                *per_comp.entry(c).or_default() += m;
            }
        }
        for c in &self.components {
            if let Some(s) = per_comp.get(c.code.as_str()) {
                if *s > c.max_points {
                    out.push(problem(
                        format!("components[{}].max_points", c.code),
                        K::ComponentExceeded {
                            sum: *s,
                            max: c.max_points,
                        },
                    ));
                }
            }
        }
        out
    }

    /// What an edition may be saved with but should be looked at (`--strict` makes them
    /// errors): values no band of a rule covers, and children (adjustments aside) that add up
    /// to less than their parent's max. Empty for a sound, complete edition.
    pub fn warnings(&self) -> Vec<EditionProblem> {
        use EditionProblemKind as K;
        let mut out = Vec::new();
        let mut child_sum: BTreeMap<NodeCode, Decimal> = BTreeMap::new();
        for n in &self.criteria {
            if let Some(ScoringRule::Bands { bands }) = &n.rule {
                for u in crate::rules::uncovered(bands) {
                    out.push(problem(
                        format!("criteria[{}].rule", n.code),
                        K::Uncovered(u),
                    ));
                }
            }
            if n.rule.as_ref().is_some_and(|r| r.is_adjustment()) {
                continue;
            }
            if let (Some(p), Some(m)) = (n.code.parent(), n.max_points) {
                *child_sum.entry(p).or_default() += m;
            }
        }
        for (parent, sum) in &child_sum {
            if let Some(pm) = self.node(parent).and_then(|p| p.max_points) {
                if *sum < pm {
                    out.push(problem(
                        format!("criteria[{parent}].max_points"),
                        K::ChildrenShort { sum: *sum, max: pm },
                    ));
                }
            }
        }
        out
    }

    /// Score the leaves from declared inputs with each node's rule. Nodes without a rule, or
    /// without an input, are skipped; a rule error names the node.
    pub fn apply_rules(
        &self,
        inputs: &BTreeMap<NodeCode, ScoreInput>,
    ) -> Result<BTreeMap<NodeCode, Decimal>, (NodeCode, crate::rules::RuleError)> {
        let mut out = BTreeMap::new();
        for (code, input) in inputs {
            if let Some(node) = self.node(code) {
                if let Some(rule) = &node.rule {
                    let max = node.max_points.unwrap_or(Decimal::ZERO);
                    let s = rule.score(max, input).map_err(|e| (code.clone(), e))?;
                    out.insert(code.clone(), s);
                }
            }
        }
        Ok(out)
    }

    /// Totals from leaf scores. A node with a score of its own and no children keeps it; a node
    /// with children is the sum of its children (adjustments included), clamped to `0..=max`.
    /// Components sum the areas counted towards them; the overall total sums the areas.
    pub fn totals(&self, leaf_scores: &BTreeMap<NodeCode, Decimal>) -> Totals {
        let mut nodes: BTreeMap<NodeCode, Tally> = BTreeMap::new();
        // Deepest first so parents see their children.
        let mut order: Vec<&CriterionNode> = self.criteria.iter().collect();
        order.sort_by(|a, b| {
            b.code
                .depth()
                .cmp(&a.code.depth())
                .then(a.code.cmp(&b.code))
        });
        for n in order {
            let kids: Vec<&Tally> = self
                .criteria
                .iter()
                .filter(|c| c.code.parent().as_ref() == Some(&n.code))
                .filter_map(|c| nodes.get(&c.code))
                .collect();
            let raw = if !kids.is_empty() {
                Some(kids.iter().map(|k| k.achieved).sum::<Decimal>())
            } else {
                leaf_scores.get(&n.code).copied()
            };
            if let Some(raw) = raw {
                let adjustment = n.rule.as_ref().is_some_and(|r| r.is_adjustment());
                let achieved = if adjustment {
                    raw
                } else {
                    let mut v = raw.max(Decimal::ZERO);
                    if let Some(m) = n.max_points {
                        v = v.min(m);
                    }
                    v
                };
                nodes.insert(
                    n.code.clone(),
                    Tally {
                        achieved,
                        max: n.max_points,
                    },
                );
            }
        }
        let mut components: BTreeMap<String, Tally> = BTreeMap::new();
        for c in &self.components {
            let achieved: Decimal = self
                .areas()
                .filter(|a| a.component.as_deref() == Some(c.code.as_str()))
                .filter_map(|a| nodes.get(&a.code))
                .map(|t| t.achieved)
                .sum();
            components.insert(
                c.code.clone(),
                Tally {
                    achieved: achieved.min(c.max_points),
                    max: Some(c.max_points),
                },
            );
        }
        let overall_raw: Decimal = self
            .areas()
            .filter_map(|a| nodes.get(&a.code))
            .map(|t| t.achieved)
            .sum();
        let overall = Tally {
            achieved: overall_raw.max(Decimal::ZERO).min(self.max_points),
            max: Some(self.max_points),
        };
        Totals {
            nodes: nodes.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            components,
            overall,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ScoringRule;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn sample() -> Edition {
        let mut criteria = vec![
            CriterionNode::new(
                code("1"),
                "Công tác chỉ đạo, điều hành CCHC",
                Some(dec!(10)),
            ),
            CriterionNode::new(code("1.1"), "Kế hoạch CCHC", Some(dec!(4))),
            CriterionNode::new(code("1.1.1"), "Ban hành kế hoạch", Some(dec!(2))),
            CriterionNode::new(code("1.1.2"), "Mức độ hoàn thành", Some(dec!(2))),
            CriterionNode::new(code("1.2"), "Báo cáo CCHC", Some(dec!(6))),
            CriterionNode::new(code("2"), "Cải cách TTHC", Some(dec!(10))),
        ];
        criteria[0].component = Some("appraisal".into());
        criteria[5].component = Some("appraisal".into());
        Edition {
            id: "sample-2021".into(),
            name: "Mẫu".into(),
            year: 2021,
            level: Level::Department,
            methodology_ref: None,
            max_points: dec!(30),
            peer_count: None,
            sample: true,
            notes: None,
            components: vec![
                Component {
                    code: "appraisal".into(),
                    name_vi: "Thẩm định".into(),
                    name_en: None,
                    max_points: dec!(20),
                },
                Component {
                    code: "survey".into(),
                    name_vi: "Điều tra".into(),
                    name_en: None,
                    max_points: dec!(10),
                },
            ],
            criteria,
        }
    }

    #[test]
    fn codes() {
        assert_eq!(code("1.2.3").parent(), Some(code("1.2")));
        assert_eq!(code("1").parent(), None);
        assert_eq!(code("1.2.3").area(), code("1"));
        assert!(code("1.10") > code("1.9"), "codes sort numerically");
        assert!(NodeCode::parse("1.2.3.4").is_err());
        assert!(NodeCode::parse("1..2").is_err());
        assert!(NodeCode::parse("a").is_err());
        assert!(NodeCode::parse("0").is_err());
    }

    #[test]
    fn a_sound_edition_has_no_problems() {
        assert_eq!(sample().validate(), vec![]);
    }

    #[test]
    fn validation_reports_every_problem_at_once() {
        let mut e = sample();
        e.criteria
            .push(CriterionNode::new(code("1.1.1"), "again", Some(dec!(1))));
        e.criteria
            .push(CriterionNode::new(code("3.1"), "orphan", Some(dec!(1))));
        e.criteria[1].max_points = Some(dec!(3)); // children 2 + 2 > 3
        e.components[0].max_points = dec!(25); // 25 + 10 != 30
        e.criteria[4].component = Some("nope".into());
        let problems = e.validate();
        let has = |field: &str, kind: EditionProblemKind| {
            problems.iter().any(|p| p.field == field && p.kind == kind)
        };
        assert!(
            has(
                "criteria[1.1.1].code",
                EditionProblemKind::DuplicateCode {
                    code: code("1.1.1")
                }
            ),
            "{problems:?}"
        );
        assert!(
            has(
                "criteria[3.1].code",
                EditionProblemKind::Orphan { parent: code("3") }
            ),
            "{problems:?}"
        );
        assert!(
            has(
                "criteria[1.1].max_points",
                EditionProblemKind::ChildrenExceed {
                    sum: dec!(5),
                    max: dec!(3)
                }
            ),
            "{problems:?}"
        );
        assert!(
            has(
                "components",
                EditionProblemKind::ComponentsSum {
                    sum: dec!(35),
                    max: dec!(30)
                }
            ),
            "{problems:?}"
        );
        assert!(
            has(
                "criteria[1.2].component",
                EditionProblemKind::UnknownComponent {
                    code: "nope".into()
                }
            ),
            "{problems:?}"
        );
        assert!(problems.len() >= 5);
    }

    #[test]
    fn totals_sum_children_and_clamp_penalties() {
        let mut e = sample();
        let mut pen = CriterionNode::new(code("1.3"), "Trừ điểm", None);
        pen.rule = Some(ScoringRule::Penalty {
            per_unit: dec!(1),
            cap: dec!(20),
        });
        e.criteria.push(pen);
        e.sort();
        let mut leaves = BTreeMap::new();
        leaves.insert(code("1.1.1"), dec!(2));
        leaves.insert(code("1.1.2"), dec!(1.5));
        leaves.insert(code("1.2"), dec!(5));
        leaves.insert(code("2"), dec!(7.25));
        let t = e.totals(&leaves);
        assert_eq!(t.nodes["1.1"].achieved, dec!(3.5));
        assert_eq!(t.nodes["1"].achieved, dec!(8.5));
        assert_eq!(t.nodes["1"].lost(), Some(dec!(1.5)));
        assert_eq!(t.overall.achieved, dec!(15.75));
        assert_eq!(t.components["appraisal"].achieved, dec!(15.75));
        assert_eq!(t.overall.index_pct(), Some(dec!(52.50)));
        // A penalty larger than the area's points stops at zero.
        leaves.insert(code("1.3"), dec!(-20));
        let t = e.totals(&leaves);
        assert_eq!(t.nodes["1"].achieved, dec!(0));
        assert_eq!(t.overall.achieved, dec!(7.25));
    }

    #[test]
    fn inherited_component_and_lead() {
        let mut e = sample();
        e.criteria[0].lead_agency = Some("so-noi-vu".into());
        e.criteria[2].lead_agency = Some("so-tu-phap".into());
        assert_eq!(e.effective_component(&code("1.1.2")), Some("appraisal"));
        assert_eq!(e.effective_lead_agency(&code("1.1.2")), Some("so-noi-vu"));
        assert_eq!(e.effective_lead_agency(&code("1.1.1")), Some("so-tu-phap"));
    }

    proptest! {
        #[test]
        fn node_totals_never_exceed_max(scores in proptest::collection::vec(-2000i64..2000, 4)) {
            let e = sample();
            let mut leaves = BTreeMap::new();
            for (c, s) in ["1.1.1", "1.1.2", "1.2", "2"].iter().zip(scores) {
                leaves.insert(code(c), Decimal::new(s, 2));
            }
            let t = e.totals(&leaves);
            for tally in t.nodes.values() {
                if let Some(m) = tally.max {
                    prop_assert!(tally.achieved <= m && tally.achieved >= Decimal::ZERO);
                }
            }
            prop_assert!(t.overall.achieved <= e.max_points);
        }
    }

    #[test]
    fn warnings_name_uncovered_values_and_children_short_of_their_parent() {
        use crate::rules::{Band, Bound};
        let b = |v: &str, inclusive: bool| {
            Some(Bound {
                value: v.parse().unwrap(),
                inclusive,
            })
        };
        let mut e = sample();
        assert_eq!(e.warnings(), vec![], "the sample is sound and complete");
        // > 90 → 2; 70 < x < 90 → 1; nothing below 70: 90 and 0..=70 are uncovered.
        let leaf = e
            .criteria
            .iter_mut()
            .find(|n| n.code.depth() == 2)
            .expect("a criterion");
        let code = leaf.code.clone();
        leaf.rule = Some(ScoringRule::Bands {
            bands: vec![
                Band {
                    lower: b("90", false),
                    upper: None,
                    points: dec!(0),
                },
                Band {
                    lower: b("70", false),
                    upper: b("90", false),
                    points: dec!(0),
                },
            ],
        });
        let w: Vec<String> = e.warnings().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            w,
            vec![
                format!("criteria[{code}].rule: no band covers the values ≥ 0 and ≤ 70"),
                format!("criteria[{code}].rule: no band covers the values 90"),
            ]
        );
        assert_eq!(e.validate(), vec![], "warnings are not errors");
        let parent = code.parent().unwrap();
        e.criteria
            .retain(|n| n.code.parent().as_ref() != Some(&parent) || n.code == code);
        assert!(
            e.warnings()
                .iter()
                .any(|p| p.field == format!("criteria[{parent}].max_points")
                    && matches!(p.kind, EditionProblemKind::ChildrenShort { .. })),
            "{:?}",
            e.warnings()
        );
    }

    #[test]
    fn a_criterion_marked_a_sample_makes_its_subtree_one() {
        let mut e = sample();
        e.sample = false;
        let c11 = code("1.1");
        e.criteria
            .iter_mut()
            .find(|n| n.code == c11)
            .expect("1.1")
            .sample = true;
        assert!(e.is_sample_node(&c11));
        assert!(e.is_sample_node(&code("1.1.2")), "under a marked criterion");
        assert!(!e.is_sample_node(&code("1.2")) && !e.is_sample_node(&code("1")));
        e.sample = true;
        assert!(
            e.is_sample_node(&code("2")),
            "a sample edition: every criterion"
        );
    }
}

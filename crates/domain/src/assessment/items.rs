//! Items: what a unit declares for a leaf criterion and what appraisers set, checked by
//! the node's rule; and the criteria that apply to a unit.

use super::*;
use crate::edition::{CriterionNode, Edition, NodeCode, Totals};
use crate::rules::{RuleError, ScoreInput, ScoringRule};
use crate::score::parse_points;
use crate::text::{fold, nfc};
use crate::units::UnitType;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// An appraised score with the appraiser's comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    pub score: Decimal,
    #[serde(default)]
    pub comment: String,
    pub by: String,
    pub at: String,
}

/// A unit's dispute of a round-1 score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// One unit's record for one leaf criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub code: NodeCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<ScoreInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_score: Option<Decimal>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub explanation: String,
    /// How many evidence documents back this item.
    #[serde(default)]
    pub evidence: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appraisal1: Option<Appraisal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute: Option<Dispute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appraisal2: Option<Appraisal>,
}

impl Item {
    pub fn new(code: NodeCode) -> Item {
        Item {
            code,
            input: None,
            self_score: None,
            note: String::new(),
            explanation: String::new(),
            evidence: 0,
            appraisal1: None,
            dispute: None,
            appraisal2: None,
        }
    }

    /// The score that counts: round 2 where an item was disputed and settled, else round 1.
    pub fn final_score(&self) -> Option<Decimal> {
        self.appraisal2
            .as_ref()
            .or(self.appraisal1.as_ref())
            .map(|a| a.score)
    }

    /// Whether round 2 still has to settle this item.
    pub fn awaits_round2(&self) -> bool {
        self.dispute.is_some() && self.appraisal2.is_none()
    }
}

/// What a node asks the unit to declare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputKind {
    /// Points entered by hand, a multiple of `step` when there is one.
    Points {
        step: Option<Decimal>,
    },
    Choice,
    /// A number or a rate, scored by bands or in proportion to a target.
    Number,
    YesNo,
    /// A count, for bonus and penalty points.
    Count,
    /// Scored by a sociological survey: nothing to declare.
    Survey,
}

pub fn input_kind(node: &CriterionNode) -> InputKind {
    if node.survey_scored {
        return InputKind::Survey;
    }
    match &node.rule {
        None => InputKind::Points { step: None },
        Some(ScoringRule::Manual { step }) => InputKind::Points {
            step: (!step.is_zero()).then_some(*step),
        },
        Some(ScoringRule::Choice { .. }) => InputKind::Choice,
        Some(ScoringRule::Bands { .. }) | Some(ScoringRule::Proportional { .. }) => {
            InputKind::Number
        }
        Some(ScoringRule::YesNo { .. }) => InputKind::YesNo,
        Some(ScoringRule::Bonus { .. }) | Some(ScoringRule::Penalty { .. }) => InputKind::Count,
    }
}

/// Whether a node is a bonus or penalty.
pub fn is_adjustment(node: &CriterionNode) -> bool {
    node.rule.as_ref().is_some_and(|r| r.is_adjustment())
}

/// Why a declared figure or a score is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemError {
    /// Survey-scored items are not self-scored.
    Survey,
    /// The node's max points are not known yet (a skeleton edition).
    NoMax,
    /// The text could not be read as what the node expects.
    Unreadable { expected: &'static str, got: String },
    /// Points outside the allowed range.
    OutOfRange {
        got: Decimal,
        min: Decimal,
        max: Decimal,
    },
    /// Points off the rule's step.
    OffStep { got: Decimal, step: Decimal },
    /// More decimals than points ever need.
    TooPrecise(Decimal),
    /// The rule refused the input.
    Rule(RuleError),
}

impl ItemError {
    /// A message key for the interface.
    pub fn key(&self) -> &'static str {
        match self {
            ItemError::Survey => "assess.err.survey",
            ItemError::NoMax => "assess.err.no_max",
            ItemError::Unreadable { .. } => "assess.err.unreadable",
            ItemError::OutOfRange { .. } | ItemError::Rule(RuleError::OutOfRange { .. }) => {
                "assess.err.out_of_range"
            }
            ItemError::OffStep { .. } | ItemError::Rule(RuleError::OffStep { .. }) => {
                "assess.err.off_step"
            }
            ItemError::TooPrecise(_) => "assess.err.too_precise",
            ItemError::Rule(RuleError::UnknownOption(_)) => "assess.err.unknown_option",
            ItemError::Rule(RuleError::NoBand(_)) => "assess.err.no_band",
            ItemError::Rule(_) => "assess.err.rule",
        }
    }
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemError::Survey => f.write_str("survey-scored items are not self-scored"),
            ItemError::NoMax => f.write_str("the criterion's max points are not known yet"),
            ItemError::Unreadable { expected, got } => {
                write!(f, "'{got}' is not {expected}")
            }
            ItemError::OutOfRange { got, min, max } => {
                write!(f, "{got} is outside {min}..{max}")
            }
            ItemError::OffStep { got, step } => {
                write!(f, "{got} is not a multiple of the step {step}")
            }
            ItemError::TooPrecise(d) => {
                write!(f, "{d} has more than {MAX_SCALE} decimal places")
            }
            ItemError::Rule(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ItemError {}

/// Read what a unit typed for a node into the input its rule expects. Empty text is `None`.
/// Points and numbers accept a decimal comma; yes/no accepts `có`/`không`, `yes`/`no`, `1`/`0`.
pub fn parse_input(node: &CriterionNode, text: &str) -> Result<Option<ScoreInput>, ItemError> {
    let t = nfc(text);
    if t.is_empty() {
        return Ok(None);
    }
    let unreadable = |expected| ItemError::Unreadable {
        expected,
        got: t.clone(),
    };
    Ok(Some(match input_kind(node) {
        InputKind::Survey => return Err(ItemError::Survey),
        InputKind::Points { .. } => {
            ScoreInput::Points(parse_points(&t).map_err(|_| unreadable("a number of points"))?)
        }
        InputKind::Number => ScoreInput::Number(
            parse_points(t.trim_end_matches('%')).map_err(|_| unreadable("a number"))?,
        ),
        InputKind::Choice => ScoreInput::Choice(t.clone()),
        InputKind::YesNo => match fold(&t).as_str() {
            "yes" | "co" | "1" | "true" | "x" => ScoreInput::YesNo(true),
            "no" | "khong" | "0" | "false" => ScoreInput::YesNo(false),
            _ => return Err(unreadable("yes or no")),
        },
        InputKind::Count => {
            let d = parse_points(&t).map_err(|_| unreadable("a whole number"))?;
            if !d.is_integer() || d < Decimal::ZERO || d > Decimal::from(10_000) {
                return Err(unreadable("a whole number"));
            }
            let n: u32 = d
                .normalize()
                .to_string()
                .parse()
                .map_err(|_| unreadable("a whole number"))?;
            ScoreInput::Count(n)
        }
    }))
}

/// The input as the form shows it back.
pub fn input_text(input: &ScoreInput) -> String {
    match input {
        ScoreInput::Points(d) | ScoreInput::Number(d) => d.normalize().to_string(),
        ScoreInput::Choice(k) => k.clone(),
        ScoreInput::YesNo(b) => if *b { "yes" } else { "no" }.to_string(),
        ScoreInput::Count(n) => n.to_string(),
    }
}

fn check_scale(d: Decimal) -> Result<(), ItemError> {
    if d.normalize().scale() > MAX_SCALE {
        Err(ItemError::TooPrecise(d))
    } else {
        Ok(())
    }
}

/// The self-score of a node from what the unit declared: the rule's score, or the points
/// entered (within `0..max` and the step). Survey-scored nodes are refused.
pub fn self_score(node: &CriterionNode, input: &ScoreInput) -> Result<Decimal, ItemError> {
    if node.survey_scored {
        return Err(ItemError::Survey);
    }
    let adjustment = is_adjustment(node);
    let max = match (node.max_points, adjustment) {
        (Some(m), _) => m,
        (None, true) => Decimal::ZERO,
        (None, false) => return Err(ItemError::NoMax),
    };
    match &node.rule {
        None => match input {
            ScoreInput::Points(p) => {
                if *p < Decimal::ZERO || *p > max {
                    return Err(ItemError::OutOfRange {
                        got: *p,
                        min: Decimal::ZERO,
                        max,
                    });
                }
                check_scale(*p)?;
                Ok(*p)
            }
            other => Err(ItemError::Rule(RuleError::WrongInput {
                expected: "points",
                got: match other {
                    ScoreInput::Choice(_) => "a choice",
                    ScoreInput::Number(_) => "a number",
                    ScoreInput::YesNo(_) => "yes/no",
                    ScoreInput::Count(_) => "a count",
                    ScoreInput::Points(_) => "points",
                },
            })),
        },
        Some(rule) => {
            if let ScoreInput::Points(p) = input {
                check_scale(*p)?;
            }
            // Proportional scores can have many decimals: keep MAX_SCALE (half away from zero).
            rule.score(max, input).map_err(ItemError::Rule).map(|s| {
                s.round_dp_with_strategy(
                    MAX_SCALE,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                )
                .normalize()
            })
        }
    }
}

/// The range an appraised score may take: `0..=max` (bonus `0..=cap`, penalty `−cap..=0`).
pub fn appraisal_range(node: &CriterionNode) -> Option<(Decimal, Decimal)> {
    match &node.rule {
        Some(ScoringRule::Bonus { cap, .. }) => Some((Decimal::ZERO, *cap)),
        Some(ScoringRule::Penalty { cap, .. }) => Some((-*cap, Decimal::ZERO)),
        _ => node.max_points.map(|m| (Decimal::ZERO, m)),
    }
}

/// Check an appraised (or corrected) score: within [`appraisal_range`], on a manual rule's
/// step, at most [`MAX_SCALE`] decimals.
pub fn check_appraised(node: &CriterionNode, score: Decimal) -> Result<(), ItemError> {
    let (min, max) = appraisal_range(node).ok_or(ItemError::NoMax)?;
    if score < min || score > max {
        return Err(ItemError::OutOfRange {
            got: score,
            min,
            max,
        });
    }
    check_scale(score)?;
    if let Some(ScoringRule::Manual { step }) = &node.rule {
        if !step.is_zero() && !(score % *step).is_zero() {
            return Err(ItemError::OffStep {
                got: score,
                step: *step,
            });
        }
    }
    Ok(())
}

/// Whether the item claims points without the evidence its criterion requires and has no
/// explanation for it.
pub fn needs_explanation(node: &CriterionNode, item: &Item) -> bool {
    missing_evidence(node, item) && item.explanation.trim().is_empty()
}

/// Whether the item claims points without the evidence its criterion requires.
pub fn missing_evidence(node: &CriterionNode, item: &Item) -> bool {
    node.evidence_required && item.evidence == 0 && item.self_score.is_some_and(|s| !s.is_zero())
}

// ---------------------------------------------------------------------------------------------
// The criteria that apply to a unit
// ---------------------------------------------------------------------------------------------

fn applies(node: &CriterionNode, t: UnitType) -> bool {
    node.applies_to.is_empty() || node.applies_to.contains(&t)
}

/// The edition as it applies to a unit type: nodes that do not apply (with their descendants)
/// are removed, and their max points are taken off their ancestors, their component and the
/// edition's max, so that the unit's index % is over what applies to it.
pub fn scoped_edition(edition: &Edition, unit_type: UnitType) -> Edition {
    let removed: Vec<&CriterionNode> = edition
        .criteria
        .iter()
        .filter(|n| !applies(n, unit_type))
        .collect();
    if removed.is_empty() {
        return edition.clone();
    }
    let gone = |c: &NodeCode| {
        removed
            .iter()
            .any(|r| &r.code == c || r.code.is_ancestor_of(c))
    };
    let mut e = edition.clone();
    // Top-most removed nodes: take their max off the ancestors, the component and the edition.
    let tops: Vec<&CriterionNode> = removed
        .iter()
        .copied()
        .filter(|r| !removed.iter().any(|o| o.code.is_ancestor_of(&r.code)))
        .collect();
    for r in tops {
        if is_adjustment(r) {
            continue;
        }
        let Some(m) = r.max_points else { continue };
        let mut cur = r.code.parent();
        while let Some(c) = cur {
            if let Some(n) = e.criteria.iter_mut().find(|n| n.code == c) {
                if let Some(pm) = n.max_points.as_mut() {
                    *pm = (*pm - m).max(Decimal::ZERO);
                }
            }
            cur = c.parent();
        }
        if let Some(comp) = edition.effective_component(&r.code) {
            if let Some(c) = e.components.iter_mut().find(|c| c.code == comp) {
                c.max_points = (c.max_points - m).max(Decimal::ZERO);
            }
        }
        e.max_points = (e.max_points - m).max(Decimal::ZERO);
    }
    e.criteria.retain(|n| !gone(&n.code));
    e
}

/// The leaves a unit scores (nodes without children), in code order; survey-scored ones
/// included (they are scored at appraisal).
pub fn leaves(edition: &Edition) -> Vec<&CriterionNode> {
    edition
        .criteria
        .iter()
        .filter(|n| {
            !edition
                .criteria
                .iter()
                .any(|c| n.code.is_ancestor_of(&c.code))
        })
        .collect()
}

/// The leaves a unit self-scores: every leaf but survey-scored and bonus/penalty items.
pub fn self_scored_leaves(edition: &Edition) -> Vec<&CriterionNode> {
    leaves(edition)
        .into_iter()
        .filter(|n| !n.survey_scored && !is_adjustment(n))
        .collect()
}

/// The leaves a unit self-scores and has not scored yet (the unit's "items still to score":
/// its home page's figure and its assessment page's `?unscored=1`).
pub fn unscored<'a>(edition: &'a Edition, items: &BTreeMap<NodeCode, Item>) -> Vec<&'a NodeCode> {
    self_scored_leaves(edition)
        .into_iter()
        .filter(|n| items.get(&n.code).is_none_or(|i| i.self_score.is_none()))
        .map(|n| &n.code)
        .collect()
}

/// Items that block a submission, with the reason: an item not self-scored (survey items and
/// bonus/penalty items excepted), or claiming points without the required evidence and without
/// an explanation.
pub fn submission_problems(
    edition: &Edition,
    items: &BTreeMap<NodeCode, Item>,
) -> Vec<(NodeCode, SubmitProblem)> {
    let mut out = Vec::new();
    for n in leaves(edition) {
        if n.survey_scored {
            continue;
        }
        let item = items.get(&n.code);
        match item {
            None if !is_adjustment(n) => out.push((n.code.clone(), SubmitProblem::NotScored)),
            Some(i) if i.self_score.is_none() && !is_adjustment(n) => {
                out.push((n.code.clone(), SubmitProblem::NotScored))
            }
            Some(i) if needs_explanation(n, i) => {
                out.push((n.code.clone(), SubmitProblem::ExplanationMissing))
            }
            _ => {}
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmitProblem {
    NotScored,
    ExplanationMissing,
}

impl SubmitProblem {
    pub fn key(self) -> &'static str {
        match self {
            SubmitProblem::NotScored => "assess.submit.not_scored",
            SubmitProblem::ExplanationMissing => "assess.submit.explanation_missing",
        }
    }
}

/// Leaves still waiting for a final score before the round can be published: every leaf but
/// bonus and penalty items the unit did not claim.
pub fn missing_finals(edition: &Edition, items: &BTreeMap<NodeCode, Item>) -> Vec<NodeCode> {
    leaves(edition)
        .into_iter()
        .filter(|n| {
            let item = items.get(&n.code);
            let claimed = item
                .and_then(|i| i.self_score)
                .is_some_and(|s| !s.is_zero());
            let needed = !is_adjustment(n) || claimed;
            needed && item.and_then(Item::final_score).is_none()
        })
        .map(|n| n.code.clone())
        .collect()
}

/// Totals of the self-scores (survey items have none).
pub fn self_totals(edition: &Edition, items: &BTreeMap<NodeCode, Item>) -> Totals {
    let leaves: BTreeMap<NodeCode, Decimal> = items
        .iter()
        .filter_map(|(c, i)| i.self_score.map(|s| (c.clone(), s)))
        .collect();
    edition.totals(&leaves)
}

/// The final score of every leaf that has one.
pub fn final_scores(items: &BTreeMap<NodeCode, Item>) -> BTreeMap<NodeCode, Decimal> {
    items
        .iter()
        .filter_map(|(c, i)| i.final_score().map(|s| (c.clone(), s)))
        .collect()
}

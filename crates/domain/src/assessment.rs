//! Self-assessment, appraisal and the province's own ranking of its departments and districts.
//!
//! - An assessment **round** applies an edition (a criteria set) to a set of units: the province
//!   itself for the national index, or the departments (one criteria set) and the districts
//!   (another) for the province's own index. Five **stages** have deadlines: self-scoring,
//!   explanation, appraisal round 1, appraisal round 2, publication. A stage is open up to and
//!   including its deadline day and locked from the next day, by the clock; the coordinator may
//!   **reopen** a stage for one unit until a later day, with a reason.
//! - Per unit and leaf criterion (an **item**): the figure declared, the **self-score** (computed
//!   by the node's rule, or entered within `0..max` and the rule's step), notes, evidence, and an
//!   **explanation** wherever required evidence is missing. Survey-scored items are not
//!   self-scored; their points are entered at appraisal.
//! - **Appraisal**: round 1 sets the appraised score of every item; a unit may **dispute** a
//!   round-1 score while round 2 is open, and round 2 settles disputed items. The final score of
//!   an item is its round-2 score, else its round-1 score.
//! - **Publication** freezes the results. A later change is a **correction**: a new decision,
//!   with a reason and its reference, applied over the frozen scores.
//! - The **ranking**: total and index % per unit, rank (ties share, by the exact ratio), class
//!   by the bands the province configures, the change since the previous year, and the points
//!   lost per area.
//! - **Next year**: a crosswalk carries the criteria of a round to the next year's criteria set
//!   (same code, or a mapping for renamed and merged criteria).
//!
//! Pure: dates come in as arguments ("today" is the caller's clock).

use crate::edition::{CriterionNode, Edition, NodeCode, Totals};
use crate::ranking::competition_ranks;
use crate::rules::{RuleError, ScoreInput, ScoringRule};
use crate::score::{index_pct, parse_points};
use crate::text::{fold, is_slug, nfc};
use crate::units::UnitType;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Hand-entered points keep at most this many decimal places.
pub const MAX_SCALE: u32 = 4;

// ---------------------------------------------------------------------------------------------
// Stages and deadlines
// ---------------------------------------------------------------------------------------------

/// The stages of a round, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    SelfScoring,
    Explanation,
    Appraisal1,
    Appraisal2,
    Publication,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::SelfScoring,
        Stage::Explanation,
        Stage::Appraisal1,
        Stage::Appraisal2,
        Stage::Publication,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SelfScoring => "self_scoring",
            Stage::Explanation => "explanation",
            Stage::Appraisal1 => "appraisal1",
            Stage::Appraisal2 => "appraisal2",
            Stage::Publication => "publication",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s.trim())
    }

    /// The stages a coordinator may reopen for one unit (publication is the coordinator's own act).
    pub fn reopenable(self) -> bool {
        self != Stage::Publication
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The deadline of each stage. Each is the last day the stage is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub self_scoring: Date,
    pub explanation: Date,
    pub appraisal1: Date,
    pub appraisal2: Date,
    pub publication: Date,
}

impl Deadlines {
    pub fn get(&self, stage: Stage) -> Date {
        match stage {
            Stage::SelfScoring => self.self_scoring,
            Stage::Explanation => self.explanation,
            Stage::Appraisal1 => self.appraisal1,
            Stage::Appraisal2 => self.appraisal2,
            Stage::Publication => self.publication,
        }
    }

    pub fn set(&mut self, stage: Stage, d: Date) {
        match stage {
            Stage::SelfScoring => self.self_scoring = d,
            Stage::Explanation => self.explanation = d,
            Stage::Appraisal1 => self.appraisal1 = d,
            Stage::Appraisal2 => self.appraisal2 = d,
            Stage::Publication => self.publication = d,
        }
    }

    /// Problems as `(stage, message)`: each deadline must be on or after the one before.
    pub fn problems(&self) -> Vec<(Stage, String)> {
        let mut out = Vec::new();
        for w in Stage::ALL.windows(2) {
            let (a, b) = (self.get(w[0]), self.get(w[1]));
            if b < a {
                out.push((
                    w[1],
                    format!("{} ({b}) is before the {} deadline ({a})", w[1], w[0]),
                ));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Classes by index %
// ---------------------------------------------------------------------------------------------

/// One class: units whose index % is at least `min_pct` (and below the class above).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassBand {
    pub label_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    pub min_pct: Decimal,
}

/// The classes of a round, highest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClassBands(pub Vec<ClassBand>);

impl Default for ClassBands {
    /// Tốt ≥ 90 %, Khá 80–< 90 %, Trung bình 70–< 80 %, Yếu < 70 %.
    fn default() -> Self {
        let b = |vi: &str, en: &str, min: i64| ClassBand {
            label_vi: vi.into(),
            label_en: Some(en.into()),
            min_pct: Decimal::from(min),
        };
        ClassBands(vec![
            b("Tốt", "Good", 90),
            b("Khá", "Fair", 80),
            b("Trung bình", "Average", 70),
            b("Yếu", "Weak", 0),
        ])
    }
}

impl ClassBands {
    /// Problems with the bands: labels present, thresholds within 0..=100, strictly
    /// descending, the last one at 0 so that every unit gets a class.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.0.is_empty() {
            out.push("at least one class is needed".into());
            return out;
        }
        let mut seen = BTreeSet::new();
        for (i, b) in self.0.iter().enumerate() {
            if b.label_vi.trim().is_empty() {
                out.push(format!("class {}: the label is empty", i + 1));
            } else if !seen.insert(fold(&b.label_vi)) {
                out.push(format!("class '{}' appears twice", b.label_vi));
            }
            if b.min_pct < Decimal::ZERO || b.min_pct > Decimal::ONE_HUNDRED {
                out.push(format!(
                    "class '{}': {} % is outside 0–100",
                    b.label_vi, b.min_pct
                ));
            }
            if i > 0 && b.min_pct >= self.0[i - 1].min_pct {
                out.push(format!(
                    "class '{}': {} % must be below the class above ({} %)",
                    b.label_vi,
                    b.min_pct,
                    self.0[i - 1].min_pct
                ));
            }
        }
        if self.0.last().is_some_and(|b| !b.min_pct.is_zero()) {
            out.push("the last class must start at 0 % so that every unit has a class".into());
        }
        out
    }

    /// Parse `Tốt: 90; Khá: 80; Trung bình: 70; Yếu: 0` (an optional English label after `|`:
    /// `Tốt|Good: 90`). Separators `;` or new lines; `:` or `=` or `≥` before the number.
    pub fn parse(text: &str) -> Result<ClassBands, Vec<String>> {
        let mut bands = Vec::new();
        let mut problems = Vec::new();
        for part in text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some(pos) = part.rfind([':', '=', '≥']) else {
                problems.push(format!("'{part}': write label: minimum %"));
                continue;
            };
            let (label, num) = (&part[..pos], &part[pos..]);
            let num = num
                .trim_start_matches([':', '=', '≥'])
                .trim()
                .trim_end_matches('%')
                .trim();
            let label = label.trim().trim_end_matches(['≥', '>', '=']).trim();
            let (vi, en) = match label.split_once('|') {
                Some((v, e)) => (nfc(v), Some(nfc(e)).filter(|s| !s.is_empty())),
                None => (nfc(label), None),
            };
            match parse_points(num) {
                Ok(min_pct) => bands.push(ClassBand {
                    label_vi: vi,
                    label_en: en,
                    min_pct,
                }),
                Err(e) => problems.push(format!("'{part}': {e}")),
            }
        }
        let bands = ClassBands(bands);
        problems.extend(bands.problems());
        if problems.is_empty() {
            Ok(bands)
        } else {
            Err(problems)
        }
    }

    /// The bands as text that [`ClassBands::parse`] reads back.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|b| match &b.label_en {
                Some(en) => format!("{}|{en}: {}", b.label_vi, b.min_pct.normalize()),
                None => format!("{}: {}", b.label_vi, b.min_pct.normalize()),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The class of an index %: the first band whose minimum it reaches.
    pub fn classify(&self, pct: Decimal) -> Option<&ClassBand> {
        self.0.iter().find(|b| pct >= b.min_pct)
    }
}

// ---------------------------------------------------------------------------------------------
// Rounds, reopenings, unit progress, locks
// ---------------------------------------------------------------------------------------------

/// An assessment round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub id: String,
    pub name: String,
    pub edition_id: String,
    pub year: i32,
    /// The units assessed (slugs).
    pub units: Vec<String>,
    pub deadlines: Deadlines,
    pub classes: ClassBands,
    /// Built on a sample criteria set: labelled as a sample everywhere.
    pub sample: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_by: Option<String>,
    /// The round this one was carried over from ("next year").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_round: Option<String>,
    #[serde(default)]
    pub note: String,
}

impl Round {
    pub fn is_published(&self) -> bool {
        self.published_on.is_some()
    }

    /// Problems with a new round's own fields (edition and units are checked by the store).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !is_slug(&self.id) {
            out.push(("id", format!("'{}' is not a slug (a-z, 0-9, -)", self.id)));
        }
        if self.name.trim().is_empty() {
            out.push(("name", "the name is empty".into()));
        } else if self.name.chars().count() > 300 {
            out.push(("name", "at most 300 characters".into()));
        }
        if !(1990..=2100).contains(&self.year) {
            out.push(("year", format!("{} is not a plausible year", self.year)));
        }
        if self.units.is_empty() {
            out.push(("units", "choose at least one unit".into()));
        }
        let mut seen = BTreeSet::new();
        for u in &self.units {
            if !seen.insert(u.as_str()) {
                out.push(("units", format!("unit '{u}' appears twice")));
            }
        }
        for (stage, msg) in self.deadlines.problems() {
            out.push((stage_field(stage), msg));
        }
        for p in self.classes.problems() {
            out.push(("classes", p));
        }
        out
    }
}

fn stage_field(s: Stage) -> &'static str {
    match s {
        Stage::SelfScoring => "deadline.self_scoring",
        Stage::Explanation => "deadline.explanation",
        Stage::Appraisal1 => "deadline.appraisal1",
        Stage::Appraisal2 => "deadline.appraisal2",
        Stage::Publication => "deadline.publication",
    }
}

/// A stage reopened for one unit until a later day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopening {
    pub unit: String,
    pub stage: Stage,
    pub until: Date,
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// Where a unit stands in a round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitProgress {
    /// The day the unit submitted its self-assessment (it can no longer change its scores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
}

/// Whether a stage is open for a unit on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StageState {
    /// Open up to and including `until`; `reopened` when that is a reopening's date.
    Open { until: Date, reopened: bool },
    /// Locked since the day after `deadline`.
    Locked { deadline: Date },
    /// The round is published: nothing changes any more.
    Frozen,
}

impl StageState {
    pub fn is_open(self) -> bool {
        matches!(self, StageState::Open { .. })
    }
}

/// The state of `stage` for `unit` on `today`: open up to its deadline (or the latest
/// reopening's day for this unit), locked after, frozen once the round is published.
pub fn stage_state(
    round: &Round,
    reopenings: &[Reopening],
    unit: &str,
    stage: Stage,
    today: Date,
) -> StageState {
    if round.is_published() {
        return StageState::Frozen;
    }
    let deadline = round.deadlines.get(stage);
    let reopened = reopenings
        .iter()
        .filter(|r| r.unit == unit && r.stage == stage)
        .map(|r| r.until)
        .max()
        .filter(|d| *d > deadline);
    let until = reopened.unwrap_or(deadline);
    if today <= until {
        StageState::Open {
            until,
            reopened: reopened.is_some(),
        }
    } else {
        StageState::Locked { deadline: until }
    }
}

/// Why something cannot be done now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockError {
    /// The round is published: a change is a correction decided by the coordinator.
    Frozen,
    /// The stage's deadline has passed.
    Locked { stage: Stage, deadline: Date },
    /// The unit has submitted its self-assessment.
    Submitted { on: Date },
    /// The unit is still self-scoring (appraisal starts once it submits or its deadline passes).
    StillSelfScoring { until: Date },
}

impl LockError {
    /// A message key for the interface.
    pub fn key(&self) -> &'static str {
        match self {
            LockError::Frozen => "assess.lock.frozen",
            LockError::Locked { .. } => "assess.lock.locked",
            LockError::Submitted { .. } => "assess.lock.submitted",
            LockError::StillSelfScoring { .. } => "assess.lock.still_self_scoring",
        }
    }
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Frozen => f.write_str(
                "the round is published; a change after publication is a correction decided by the coordinator",
            ),
            LockError::Locked { stage, deadline } => write!(
                f,
                "the {stage} stage closed after {deadline}; ask the coordinator to reopen it"
            ),
            LockError::Submitted { on } => write!(
                f,
                "the self-assessment was submitted on {on}; ask the coordinator to reopen self-scoring"
            ),
            LockError::StillSelfScoring { until } => write!(
                f,
                "the unit is still self-scoring (until {until}); appraisal starts when it submits"
            ),
        }
    }
}

fn open(
    round: &Round,
    reopenings: &[Reopening],
    unit: &str,
    stage: Stage,
    today: Date,
) -> Result<(), LockError> {
    match stage_state(round, reopenings, unit, stage, today) {
        StageState::Open { .. } => Ok(()),
        StageState::Locked { deadline } => Err(LockError::Locked { stage, deadline }),
        StageState::Frozen => Err(LockError::Frozen),
    }
}

/// Whether the unit may change its declared figures and self-scores today.
pub fn may_self_score(
    round: &Round,
    reopenings: &[Reopening],
    progress: &UnitProgress,
    unit: &str,
    today: Date,
) -> Result<(), LockError> {
    open(round, reopenings, unit, Stage::SelfScoring, today)?;
    match progress.submitted_on {
        Some(on) => Err(LockError::Submitted { on }),
        None => Ok(()),
    }
}

/// Whether the unit may change notes, explanations and evidence today: while it may self-score,
/// and afterwards until the explanation deadline.
pub fn may_explain(
    round: &Round,
    reopenings: &[Reopening],
    progress: &UnitProgress,
    unit: &str,
    today: Date,
) -> Result<(), LockError> {
    match may_self_score(round, reopenings, progress, unit, today) {
        Ok(()) => Ok(()),
        Err(LockError::Frozen) => Err(LockError::Frozen),
        Err(_) => open(round, reopenings, unit, Stage::Explanation, today),
    }
}

/// Whether an appraiser may set round-`n` scores of this unit today. Round 1 needs the unit's
/// self-scoring to be over (submitted, or its deadline passed).
pub fn may_appraise(
    round: &Round,
    reopenings: &[Reopening],
    progress: &UnitProgress,
    unit: &str,
    appraisal_round: u8,
    today: Date,
) -> Result<(), LockError> {
    if appraisal_round == 2 {
        return open(round, reopenings, unit, Stage::Appraisal2, today);
    }
    open(round, reopenings, unit, Stage::Appraisal1, today)?;
    if progress.submitted_on.is_none() {
        if let StageState::Open { until, .. } =
            stage_state(round, reopenings, unit, Stage::SelfScoring, today)
        {
            return Err(LockError::StillSelfScoring { until });
        }
    }
    Ok(())
}

/// Whether the unit may dispute a round-1 score today (while round 2 is open).
pub fn may_dispute(
    round: &Round,
    reopenings: &[Reopening],
    unit: &str,
    today: Date,
) -> Result<(), LockError> {
    open(round, reopenings, unit, Stage::Appraisal2, today)
}

// ---------------------------------------------------------------------------------------------
// Items: what a unit declares and what appraisers set
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Publication, corrections and the ranking
// ---------------------------------------------------------------------------------------------

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
// Next year: carrying a round over to the next criteria set
// ---------------------------------------------------------------------------------------------

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

/// Parse an explicit mapping: one pair a line (or separated by `;`), `1.2.3 => 1.2.4`
/// (also `->`, `→`, `=`, `,`).
pub fn parse_crosswalk(text: &str) -> Result<BTreeMap<NodeCode, NodeCode>, Vec<String>> {
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
            problems.push(format!("'{line}': write old code => new code"));
            continue;
        }
        match (NodeCode::parse(parts[0]), NodeCode::parse(parts[1])) {
            (Ok(a), Ok(b)) => {
                if out.insert(a.clone(), b).is_some() {
                    problems.push(format!("'{line}': {a} is mapped twice"));
                }
            }
            (Err(e), _) | (_, Err(e)) => problems.push(format!("'{line}': {e}")),
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
) -> Result<Crosswalk, Vec<String>> {
    let old_leaves: BTreeSet<NodeCode> = leaves(old).iter().map(|n| n.code.clone()).collect();
    let new_leaves: BTreeSet<NodeCode> = leaves(new).iter().map(|n| n.code.clone()).collect();
    let mut problems = Vec::new();
    for (a, b) in explicit {
        if !old_leaves.contains(a) {
            problems.push(format!("{a} is not a leaf criterion of {}", old.id));
        }
        if !new_leaves.contains(b) {
            problems.push(format!("{b} is not a leaf criterion of {}", new.id));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edition::{Component, Level};
    use crate::rules::{Band, Bound, ChoiceOption};
    use jiff::civil::date;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn node(
        c: &str,
        title: &str,
        max: Option<Decimal>,
        rule: Option<ScoringRule>,
    ) -> CriterionNode {
        let mut n = CriterionNode::new(code(c), title, max);
        n.rule = rule;
        n
    }

    /// A small criteria set with every kind of rule.
    fn edition() -> Edition {
        let mut criteria = vec![
            node("1", "Chỉ đạo, điều hành", Some(dec!(10)), None),
            node(
                "1.1",
                "Kế hoạch CCHC",
                Some(dec!(3)),
                Some(ScoringRule::Manual { step: dec!(0.5) }),
            ),
            node(
                "1.2",
                "Báo cáo đúng hạn",
                Some(dec!(2)),
                Some(ScoringRule::Choice {
                    options: vec![
                        ChoiceOption {
                            key: "on_time".into(),
                            label_vi: "Đúng hạn".into(),
                            label_en: None,
                            points: dec!(2),
                        },
                        ChoiceOption {
                            key: "late".into(),
                            label_vi: "Muộn".into(),
                            label_en: None,
                            points: dec!(1),
                        },
                    ],
                }),
            ),
            node(
                "1.3",
                "Tỷ lệ hoàn thành nhiệm vụ",
                Some(dec!(3)),
                Some(ScoringRule::Bands {
                    bands: vec![
                        Band {
                            lower: Some(Bound {
                                value: dec!(90),
                                inclusive: true,
                            }),
                            upper: None,
                            points: dec!(3),
                        },
                        Band {
                            lower: Some(Bound {
                                value: dec!(70),
                                inclusive: true,
                            }),
                            upper: Some(Bound {
                                value: dec!(90),
                                inclusive: false,
                            }),
                            points: dec!(1.5),
                        },
                        Band {
                            lower: None,
                            upper: Some(Bound {
                                value: dec!(70),
                                inclusive: false,
                            }),
                            points: dec!(0),
                        },
                    ],
                }),
            ),
            node(
                "1.4",
                "Có sáng kiến",
                Some(dec!(2)),
                Some(ScoringRule::YesNo {
                    yes: dec!(2),
                    no: dec!(0),
                }),
            ),
            node("2", "Cải cách TTHC", Some(dec!(10)), None),
            node(
                "2.1",
                "Hồ sơ đúng hạn",
                Some(dec!(6)),
                Some(ScoringRule::Proportional { target: dec!(100) }),
            ),
            node("2.2", "Đánh giá của người dân", Some(dec!(4)), None),
            node(
                "2.3",
                "Điểm thưởng sáng kiến",
                None,
                Some(ScoringRule::Bonus {
                    per_unit: dec!(0.5),
                    cap: dec!(1),
                }),
            ),
            node(
                "2.4",
                "Điểm trừ hồ sơ quá hạn",
                None,
                Some(ScoringRule::Penalty {
                    per_unit: dec!(0.25),
                    cap: dec!(1),
                }),
            ),
        ];
        criteria[0].component = Some("appraisal".into());
        criteria[5].component = Some("appraisal".into());
        criteria[7].survey_scored = true;
        criteria[1].evidence_required = true;
        Edition {
            id: "sample-department-2021".into(),
            name: "Bộ tiêu chí 2021 (MẪU)".into(),
            year: 2021,
            level: Level::Department,
            methodology_ref: None,
            max_points: dec!(20),
            peer_count: None,
            sample: true,
            notes: None,
            components: vec![Component {
                code: "appraisal".into(),
                name_vi: "Thẩm định".into(),
                name_en: None,
                max_points: dec!(20),
            }],
            criteria,
        }
    }

    fn deadlines() -> Deadlines {
        Deadlines {
            self_scoring: date(2021, 12, 30),
            explanation: date(2022, 1, 7),
            appraisal1: date(2022, 1, 21),
            appraisal2: date(2022, 2, 11),
            publication: date(2022, 2, 28),
        }
    }

    fn round() -> Round {
        Round {
            id: "so-nganh-2021".into(),
            name: "Đánh giá các sở 2021".into(),
            edition_id: "sample-department-2021".into(),
            year: 2021,
            units: vec!["so-tu-phap".into(), "so-noi-vu".into()],
            deadlines: deadlines(),
            classes: ClassBands::default(),
            sample: true,
            published_on: None,
            published_by: None,
            source_round: None,
            note: String::new(),
        }
    }

    fn scored(e: &Edition, inputs: &[(&str, ScoreInput)]) -> BTreeMap<NodeCode, Item> {
        inputs
            .iter()
            .map(|(c, i)| {
                let n = e.node(&code(c)).unwrap();
                let mut item = Item::new(code(c));
                item.self_score = Some(self_score(n, i).unwrap());
                item.input = Some(i.clone());
                (code(c), item)
            })
            .collect()
    }

    #[test]
    fn the_sample_edition_is_sound() {
        assert_eq!(edition().validate(), vec![]);
    }

    #[test]
    fn rules_apply_to_declared_figures() {
        let e = edition();
        let s = |c: &str, i: ScoreInput| self_score(e.node(&code(c)).unwrap(), &i);
        assert_eq!(s("1.1", ScoreInput::Points(dec!(2.5))), Ok(dec!(2.5)));
        assert_eq!(
            s("1.2", ScoreInput::Choice("late".into())),
            Ok(dec!(1)),
            "a choice gives its option's points"
        );
        assert_eq!(s("1.3", ScoreInput::Number(dec!(90))), Ok(dec!(3)));
        assert_eq!(s("1.3", ScoreInput::Number(dec!(89.99))), Ok(dec!(1.5)));
        assert_eq!(s("1.3", ScoreInput::Number(dec!(12))), Ok(dec!(0)));
        assert_eq!(s("1.4", ScoreInput::YesNo(true)), Ok(dec!(2)));
        assert_eq!(s("2.1", ScoreInput::Number(dec!(80.78))), Ok(dec!(4.8468)));
        assert_eq!(
            s("2.1", ScoreInput::Number(dec!(120))),
            Ok(dec!(6)),
            "capped at max"
        );
        assert_eq!(s("2.3", ScoreInput::Count(3)), Ok(dec!(1)), "bonus capped");
        assert_eq!(s("2.4", ScoreInput::Count(2)), Ok(dec!(-0.5)));
        assert_eq!(
            s("2.4", ScoreInput::Count(9)),
            Ok(dec!(-1)),
            "penalty capped"
        );
        // Bad input.
        assert!(matches!(
            s("1.1", ScoreInput::Points(dec!(3.5))),
            Err(ItemError::Rule(RuleError::OutOfRange { .. }))
        ));
        assert!(matches!(
            s("1.1", ScoreInput::Points(dec!(1.2))),
            Err(ItemError::Rule(RuleError::OffStep { .. }))
        ));
        assert_eq!(
            s("2.2", ScoreInput::Points(dec!(3))),
            Err(ItemError::Survey)
        );
        let mut no_rule = node("9", "x", Some(dec!(2)), None);
        assert_eq!(
            self_score(&no_rule, &ScoreInput::Points(dec!(2.1))),
            Err(ItemError::OutOfRange {
                got: dec!(2.1),
                min: dec!(0),
                max: dec!(2)
            })
        );
        assert_eq!(
            self_score(&no_rule, &ScoreInput::Points(dec!(1.12345))),
            Err(ItemError::TooPrecise(dec!(1.12345)))
        );
        no_rule.max_points = None;
        assert_eq!(
            self_score(&no_rule, &ScoreInput::Points(dec!(1))),
            Err(ItemError::NoMax)
        );
    }

    #[test]
    fn inputs_are_read_as_the_rule_expects() {
        let e = edition();
        let p = |c: &str, t: &str| parse_input(e.node(&code(c)).unwrap(), t);
        assert_eq!(p("1.1", "2,5"), Ok(Some(ScoreInput::Points(dec!(2.5)))));
        assert_eq!(p("1.1", "  "), Ok(None));
        assert_eq!(p("1.3", "87,5%"), Ok(Some(ScoreInput::Number(dec!(87.5)))));
        assert_eq!(p("1.4", "Có"), Ok(Some(ScoreInput::YesNo(true))));
        assert_eq!(p("1.4", "không"), Ok(Some(ScoreInput::YesNo(false))));
        assert_eq!(p("2.3", "2"), Ok(Some(ScoreInput::Count(2))));
        assert!(p("2.3", "1.5").is_err());
        assert!(p("1.1", "abc").is_err());
        assert_eq!(p("2.2", "1"), Err(ItemError::Survey));
        assert_eq!(input_text(&ScoreInput::Points(dec!(2.50))), "2.5");
    }

    #[test]
    fn appraised_scores_are_checked() {
        let e = edition();
        let n = |c: &str| e.node(&code(c)).unwrap();
        assert_eq!(check_appraised(n("1.1"), dec!(2)), Ok(()));
        assert!(
            check_appraised(n("1.1"), dec!(2.25)).is_err(),
            "off the manual step"
        );
        assert!(check_appraised(n("1.1"), dec!(3.5)).is_err());
        assert_eq!(
            check_appraised(n("2.2"), dec!(3.1)),
            Ok(()),
            "survey points"
        );
        assert_eq!(check_appraised(n("2.3"), dec!(1)), Ok(()));
        assert!(
            check_appraised(n("2.3"), dec!(1.5)).is_err(),
            "over the bonus cap"
        );
        assert_eq!(check_appraised(n("2.4"), dec!(-0.75)), Ok(()));
        assert!(
            check_appraised(n("2.4"), dec!(0.25)).is_err(),
            "a penalty is not positive"
        );
        assert!(
            check_appraised(n("2.4"), dec!(-2)).is_err(),
            "over the penalty cap"
        );
    }

    #[test]
    fn totals_and_caps() {
        let e = edition();
        let items = scored(
            &e,
            &[
                ("1.1", ScoreInput::Points(dec!(3))),
                ("1.2", ScoreInput::Choice("on_time".into())),
                ("1.3", ScoreInput::Number(dec!(95))),
                ("1.4", ScoreInput::YesNo(true)),
                ("2.1", ScoreInput::Number(dec!(100))),
                ("2.3", ScoreInput::Count(5)),
            ],
        );
        let t = self_totals(&e, &items);
        // Area 1: 3 + 2 + 3 + 2 = 10 (its max). Area 2: 6 + bonus 1 = 7 (survey item unscored).
        assert_eq!(t.nodes["1"].achieved, dec!(10));
        assert_eq!(t.nodes["2"].achieved, dec!(7));
        assert_eq!(t.overall.achieved, dec!(17));
        // A bonus cannot take an area past its max.
        let mut items2 = items.clone();
        let survey = e.node(&code("2.2")).unwrap();
        let mut it = Item::new(code("2.2"));
        it.self_score = Some(dec!(4));
        assert!(self_score(survey, &ScoreInput::Points(dec!(4))).is_err());
        items2.insert(code("2.2"), it);
        let t = self_totals(&e, &items2);
        assert_eq!(t.nodes["2"].achieved, dec!(10), "6 + 4 + 1 capped at 10");
        // A penalty cannot take an area below zero.
        let pen = scored(&e, &[("2.4", ScoreInput::Count(4))]);
        let t = self_totals(&e, &pen);
        assert_eq!(t.nodes["2"].achieved, dec!(0));
    }

    #[test]
    fn explanations_where_required_evidence_is_missing() {
        let e = edition();
        let n = e.node(&code("1.1")).unwrap();
        let mut items = scored(&e, &[("1.1", ScoreInput::Points(dec!(2)))]);
        let item = items.get_mut(&code("1.1")).unwrap();
        assert!(needs_explanation(n, item));
        item.explanation = "Văn bản đang trình ký".into();
        assert!(!needs_explanation(n, item));
        item.explanation.clear();
        item.evidence = 1;
        assert!(!needs_explanation(n, item));
        item.evidence = 0;
        item.self_score = Some(dec!(0));
        assert!(
            !needs_explanation(n, item),
            "no points claimed, nothing to prove"
        );
        // Submission lists unscored items and missing explanations.
        let items = scored(&e, &[("1.1", ScoreInput::Points(dec!(2)))]);
        let problems = submission_problems(&e, &items);
        assert!(problems.contains(&(code("1.1"), SubmitProblem::ExplanationMissing)));
        assert!(problems.contains(&(code("1.2"), SubmitProblem::NotScored)));
        assert!(
            !problems
                .iter()
                .any(|(c, _)| c == &code("2.2") || c == &code("2.3")),
            "survey and bonus items need no self-score: {problems:?}"
        );
    }

    #[test]
    fn stages_lock_by_the_clock_and_reopen_for_one_unit() {
        let r = round();
        let progress = UnitProgress::default();
        let u = "so-tu-phap";
        // Open up to and including the deadline day.
        assert!(may_self_score(&r, &[], &progress, u, date(2021, 12, 30)).is_ok());
        let late = may_self_score(&r, &[], &progress, u, date(2021, 12, 31));
        assert_eq!(
            late,
            Err(LockError::Locked {
                stage: Stage::SelfScoring,
                deadline: date(2021, 12, 30)
            })
        );
        // Explanations go on until their own deadline.
        assert!(may_explain(&r, &[], &progress, u, date(2022, 1, 7)).is_ok());
        assert!(may_explain(&r, &[], &progress, u, date(2022, 1, 8)).is_err());
        // The coordinator reopens self-scoring for this unit only.
        let reopen = vec![Reopening {
            unit: u.into(),
            stage: Stage::SelfScoring,
            until: date(2022, 1, 5),
            reason: "Sự cố phần mềm".into(),
            by: "sonoivu".into(),
            at: "2022-01-02T01:00:00Z".into(),
        }];
        assert!(may_self_score(&r, &reopen, &progress, u, date(2022, 1, 5)).is_ok());
        assert!(may_self_score(&r, &reopen, &progress, u, date(2022, 1, 6)).is_err());
        assert!(
            may_self_score(&r, &reopen, &progress, "so-noi-vu", date(2022, 1, 3)).is_err(),
            "another unit stays locked"
        );
        assert_eq!(
            stage_state(&r, &reopen, u, Stage::SelfScoring, date(2022, 1, 3)),
            StageState::Open {
                until: date(2022, 1, 5),
                reopened: true
            }
        );
        // A reopening before the deadline changes nothing.
        let early = vec![Reopening {
            until: date(2021, 12, 1),
            ..reopen[0].clone()
        }];
        assert_eq!(
            stage_state(&r, &early, u, Stage::SelfScoring, date(2021, 12, 2)),
            StageState::Open {
                until: date(2021, 12, 30),
                reopened: false
            }
        );
        // A submitted self-assessment no longer changes, but may still be explained.
        let sub = UnitProgress {
            submitted_on: Some(date(2021, 12, 20)),
            submitted_by: Some("sotuphap".into()),
        };
        assert_eq!(
            may_self_score(&r, &[], &sub, u, date(2021, 12, 21)),
            Err(LockError::Submitted {
                on: date(2021, 12, 20)
            })
        );
        assert!(may_explain(&r, &[], &sub, u, date(2021, 12, 21)).is_ok());
        // Appraisal round 1 starts when the unit submits or its deadline passes.
        assert!(matches!(
            may_appraise(&r, &[], &progress, u, 1, date(2021, 12, 21)),
            Err(LockError::StillSelfScoring { .. })
        ));
        assert!(may_appraise(&r, &[], &sub, u, 1, date(2021, 12, 21)).is_ok());
        assert!(may_appraise(&r, &[], &progress, u, 1, date(2022, 1, 21)).is_ok());
        assert!(may_appraise(&r, &[], &progress, u, 1, date(2022, 1, 22)).is_err());
        assert!(may_appraise(&r, &[], &progress, u, 2, date(2022, 2, 11)).is_ok());
        assert!(may_dispute(&r, &[], u, date(2022, 2, 12)).is_err());
        // Publication freezes everything.
        let mut p = r.clone();
        p.published_on = Some(date(2022, 2, 25));
        assert_eq!(
            may_self_score(&p, &reopen, &progress, u, date(2022, 1, 3)),
            Err(LockError::Frozen)
        );
        assert_eq!(
            may_explain(&p, &[], &progress, u, date(2021, 12, 1)),
            Err(LockError::Frozen)
        );
        assert_eq!(
            may_appraise(&p, &[], &sub, u, 1, date(2022, 1, 1)),
            Err(LockError::Frozen)
        );
    }

    #[test]
    fn deadlines_must_be_in_order() {
        let mut d = deadlines();
        assert!(d.problems().is_empty());
        d.appraisal1 = date(2022, 1, 1);
        let p = d.problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, Stage::Appraisal1);
        let mut r = round();
        r.deadlines = d;
        r.id = "Bad Id".into();
        r.units.push("so-tu-phap".into());
        let fields: Vec<&str> = r.problems().iter().map(|(f, _)| *f).collect();
        assert!(fields.contains(&"id") && fields.contains(&"units"));
        assert!(fields.contains(&"deadline.appraisal1"));
    }

    #[test]
    fn appraisal_overrides_and_round_two() {
        let mut item = Item::new(code("1.1"));
        item.self_score = Some(dec!(3));
        assert_eq!(
            item.final_score(),
            None,
            "a self-score is not a final score"
        );
        item.appraisal1 = Some(Appraisal {
            score: dec!(2),
            comment: "Thiếu văn bản".into(),
            by: "thamdinh".into(),
            at: "t".into(),
        });
        assert_eq!(item.final_score(), Some(dec!(2)), "the appraiser overrides");
        item.dispute = Some(Dispute {
            reason: "Đã bổ sung văn bản".into(),
            by: "sotuphap".into(),
            at: "t".into(),
        });
        assert!(item.awaits_round2());
        assert_eq!(item.final_score(), Some(dec!(2)));
        item.appraisal2 = Some(Appraisal {
            score: dec!(2.5),
            comment: "Chấp nhận".into(),
            by: "thamdinh".into(),
            at: "t".into(),
        });
        assert!(!item.awaits_round2());
        assert_eq!(item.final_score(), Some(dec!(2.5)), "round 2 settles it");
    }

    #[test]
    fn missing_finals_block_publication() {
        let e = edition();
        let mut items = scored(&e, &[("2.3", ScoreInput::Count(1))]);
        let missing = missing_finals(&e, &items);
        assert!(missing.contains(&code("1.1")) && missing.contains(&code("2.2")));
        assert!(
            missing.contains(&code("2.3")),
            "a claimed bonus must be appraised"
        );
        assert!(
            !missing.contains(&code("2.4")),
            "an unclaimed penalty needs nothing"
        );
        for c in ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3"] {
            let it = items.entry(code(c)).or_insert_with(|| Item::new(code(c)));
            it.appraisal1 = Some(Appraisal {
                score: dec!(0),
                comment: String::new(),
                by: "a".into(),
                at: "t".into(),
            });
        }
        assert!(missing_finals(&e, &items).is_empty());
    }

    #[test]
    fn class_bands_parse_and_classify() {
        let b = ClassBands::default();
        assert_eq!(b.classify(dec!(90)).unwrap().label_vi, "Tốt");
        assert_eq!(b.classify(dec!(89.99)).unwrap().label_vi, "Khá");
        assert_eq!(b.classify(dec!(80)).unwrap().label_vi, "Khá");
        assert_eq!(b.classify(dec!(70)).unwrap().label_vi, "Trung bình");
        assert_eq!(b.classify(dec!(69.99)).unwrap().label_vi, "Yếu");
        assert_eq!(b.classify(dec!(0)).unwrap().label_vi, "Yếu");
        let text = b.to_text();
        assert_eq!(ClassBands::parse(&text), Ok(b));
        let p = ClassBands::parse("Xuất sắc ≥ 95 %; Tốt: 85\nCòn lại = 0").unwrap();
        assert_eq!(p.0.len(), 3);
        assert_eq!(p.0[0].min_pct, dec!(95));
        assert_eq!(p.0[0].label_vi, "Xuất sắc");
        assert!(
            ClassBands::parse("Tốt: 80; Khá: 90; Yếu: 0").is_err(),
            "not descending"
        );
        assert!(
            ClassBands::parse("Tốt: 90; Khá: 80").is_err(),
            "no class from 0"
        );
        assert!(ClassBands::parse("Tốt 90").is_err());
        assert!(ClassBands::parse("Tốt: 120; Yếu: 0").is_err());
    }

    fn finals(
        rows: &[(&str, &[(&str, Decimal)])],
    ) -> BTreeMap<String, BTreeMap<NodeCode, Decimal>> {
        rows.iter()
            .map(|(u, s)| {
                (
                    u.to_string(),
                    s.iter().map(|(c, v)| (code(c), *v)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn ranking_with_ties_classes_change_and_losses() {
        let e = edition();
        let types: BTreeMap<String, UnitType> = ["a", "b", "c", "d"]
            .iter()
            .map(|u| (u.to_string(), UnitType::Department))
            .collect();
        let f = finals(&[
            // 18 / 20 = 90 % → Tốt
            (
                "a",
                &[
                    ("1.1", dec!(3)),
                    ("1.2", dec!(2)),
                    ("1.3", dec!(3)),
                    ("1.4", dec!(2)),
                    ("2.1", dec!(6)),
                    ("2.2", dec!(2)),
                ],
            ),
            // 17 / 20 = 85 % → Khá (tie with c)
            (
                "b",
                &[
                    ("1.1", dec!(3)),
                    ("1.2", dec!(2)),
                    ("1.3", dec!(3)),
                    ("1.4", dec!(2)),
                    ("2.1", dec!(5)),
                    ("2.2", dec!(2)),
                ],
            ),
            (
                "c",
                &[
                    ("1.1", dec!(2)),
                    ("1.2", dec!(2)),
                    ("1.3", dec!(3)),
                    ("1.4", dec!(2)),
                    ("2.1", dec!(6)),
                    ("2.2", dec!(2)),
                ],
            ),
            // 10 + 3 − penalty 1 → 12 / 20 = 60 % → Yếu
            (
                "d",
                &[
                    ("1.1", dec!(3)),
                    ("1.2", dec!(2)),
                    ("1.3", dec!(3)),
                    ("1.4", dec!(2)),
                    ("2.1", dec!(3)),
                    ("2.4", dec!(-1)),
                ],
            ),
        ]);
        let prev: BTreeMap<String, PreviousStanding> = [(
            "b".to_string(),
            PreviousStanding {
                round_id: "r2020".into(),
                year: 2020,
                total: dec!(16),
                pct: dec!(80),
                rank: 4,
            },
        )]
        .into_iter()
        .collect();
        let rows = rank_units(&e, &types, &f, &ClassBands::default(), &prev);
        let by: BTreeMap<&str, &RankingRow> = rows.iter().map(|r| (r.unit.as_str(), r)).collect();
        assert_eq!(
            rows.iter()
                .map(|r| (r.unit.as_str(), r.rank))
                .collect::<Vec<_>>(),
            vec![("a", 1), ("b", 2), ("c", 2), ("d", 4)],
            "ties share a rank and the next skips"
        );
        assert_eq!(by["a"].pct, dec!(90.00));
        assert_eq!(by["a"].class.as_ref().unwrap().1.label_vi, "Tốt");
        assert_eq!(by["b"].class.as_ref().unwrap().1.label_vi, "Khá");
        assert_eq!(by["d"].total, dec!(12));
        assert_eq!(by["d"].class.as_ref().unwrap().1.label_vi, "Yếu");
        assert_eq!(by["b"].change_pct, Some(dec!(5.00)));
        assert_eq!(by["b"].change_rank, Some(2), "4th → 2nd: up two places");
        assert_eq!(by["a"].previous, None);
        // Points lost per area.
        let d_area2 = by["d"].areas.iter().find(|a| a.code == "2").unwrap();
        assert_eq!(d_area2.achieved, dec!(2));
        assert_eq!(d_area2.lost, Some(dec!(8)));
        assert_eq!(by["d"].lost, dec!(8));
    }

    #[test]
    fn corrections_apply_over_the_frozen_scores() {
        let e = edition();
        let snapshot = Snapshot {
            edition: e.clone(),
            unit_types: [("a".to_string(), UnitType::Department)]
                .into_iter()
                .collect(),
            finals: [(
                "a".to_string(),
                [("1.1".to_string(), dec!(1)), ("2.1".to_string(), dec!(6))]
                    .into_iter()
                    .collect(),
            )]
            .into_iter()
            .collect(),
        };
        let c = |id: i64, new: Decimal| Correction {
            id,
            unit: "a".into(),
            code: code("1.1"),
            old_score: dec!(1),
            new_score: new,
            reason: "Phúc khảo".into(),
            decision_ref: "12/QĐ-UBND".into(),
            decided_on: date(2022, 3, 10),
            by: "sonoivu".into(),
            at: "t".into(),
        };
        let f = corrected_finals(&snapshot, &[c(2, dec!(3)), c(1, dec!(2))]);
        assert_eq!(f["a"][&code("1.1")], dec!(3), "the latest decision wins");
        assert_eq!(f["a"][&code("2.1")], dec!(6));
    }

    #[test]
    fn scoped_editions_drop_what_does_not_apply() {
        let mut e = edition();
        e.criteria[4].applies_to = vec![UnitType::District]; // 1.4, 2 points
        let s = scoped_edition(&e, UnitType::Department);
        assert!(s.node(&code("1.4")).is_none());
        assert_eq!(s.node(&code("1")).unwrap().max_points, Some(dec!(8)));
        assert_eq!(s.max_points, dec!(18));
        assert_eq!(s.components[0].max_points, dec!(18));
        assert_eq!(s.validate(), vec![]);
        assert_eq!(scoped_edition(&e, UnitType::District), e);
    }

    #[test]
    fn crosswalk_for_next_year() {
        let old = edition();
        let mut new = next_year_edition(&old, "sample-department-2022", 2022);
        assert_eq!(new.name, "Bộ tiêu chí 2022 (MẪU)");
        assert_eq!(new.year, 2022);
        // 1.3 is renamed 1.5; 2.1 and 2.2 are merged into 2.1 next year (2.2 removed).
        new.criteria
            .retain(|n| n.code != code("1.3") && n.code != code("2.2"));
        let mut n15 = node("1.5", "Tỷ lệ hoàn thành", Some(dec!(3)), None);
        n15.title_en = None;
        new.criteria.push(n15);
        new.criteria.push(node("1.6", "Mới", Some(dec!(0)), None));
        new.sort();
        let explicit = parse_crosswalk("1.3 => 1.5\n2.2 -> 2.1").unwrap();
        let cw = crosswalk(&old, &new, &explicit).unwrap();
        assert_eq!(cw.map[&code("1.3")], code("1.5"));
        assert_eq!(cw.map[&code("1.1")], code("1.1"), "same code carries over");
        assert_eq!(cw.merged[&code("2.1")], vec![code("2.1"), code("2.2")]);
        assert_eq!(cw.new_only, vec![code("1.6")]);
        assert!(cw.dropped.is_empty());
        let bad = parse_crosswalk("9.9 => 1.1").unwrap();
        assert!(crosswalk(&old, &new, &bad).is_err());
        assert!(parse_crosswalk("1.1").is_err());
        assert!(parse_crosswalk("1.1 => 1.2; 1.1 => 1.3").is_err());
        // Without a mapping, a removed criterion is dropped.
        let cw = crosswalk(&old, &new, &BTreeMap::new()).unwrap();
        assert!(cw.dropped.contains(&code("1.3")));
    }

    proptest! {
        #[test]
        fn ranks_follow_the_ratio_and_classes_the_percent(totals in proptest::collection::vec(0i64..=80, 1..12)) {
            let e = edition();
            let mut types = BTreeMap::new();
            let mut f = BTreeMap::new();
            for (i, t) in totals.iter().enumerate() {
                let u = format!("u{i:02}");
                types.insert(u.clone(), UnitType::Department);
                // Quarter points on the survey item (max 4) and the proportional item (max 6).
                let quarter = Decimal::from(*t) * dec!(0.25);
                let a = quarter.min(dec!(4));
                let rest = (quarter - a).max(dec!(0)).min(dec!(6));
                f.insert(u, [(code("2.2"), a), (code("2.1"), rest)].into_iter().collect());
            }
            let rows = rank_units(&e, &types, &f, &ClassBands::default(), &BTreeMap::new());
            for x in &rows {
                for y in &rows {
                    if x.total > y.total { prop_assert!(x.rank < y.rank); }
                    if x.total == y.total { prop_assert_eq!(x.rank, y.rank); }
                }
                let class = x.class.as_ref().map(|(_, c)| c.min_pct);
                prop_assert!(class.is_some_and(|m| x.pct >= m));
                prop_assert!(x.total <= x.max && x.total >= Decimal::ZERO);
            }
        }

        #[test]
        fn self_scores_stay_within_range(v in -1000i64..100_000, n in 0u32..50) {
            let e = edition();
            for leaf in leaves(&e) {
                let inputs = [
                    ScoreInput::Points(Decimal::new(v, 2)),
                    ScoreInput::Number(Decimal::new(v, 2)),
                    ScoreInput::YesNo(v % 2 == 0),
                    ScoreInput::Count(n),
                    ScoreInput::Choice("late".into()),
                ];
                for i in &inputs {
                    if let Ok(s) = self_score(leaf, i) {
                        prop_assert!(check_appraised(leaf, s).is_ok(), "{} {:?} → {}", leaf.code, i, s);
                        let (min, max) = appraisal_range(leaf).unwrap();
                        prop_assert!(s >= min && s <= max);
                    }
                }
            }
        }
    }
}

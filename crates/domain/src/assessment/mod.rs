//! Self-assessment, appraisal and the province's own ranking of its departments and districts.
//!
//! - An assessment **round** applies an edition (a criteria set) to a set of units: the province
//!   itself for the national index, or the departments (one criteria set) and the districts
//!   (another) for the province's own index. Five **stages** have deadlines: self-scoring,
//!   explanation, appraisal round 1, appraisal round 2, publication. Self-scoring is open from the
//!   day the round is opened; each later stage opens the day after the deadline of the stage it
//!   follows (explanation and appraisal round 1 after self-scoring's — for a unit, as soon as it
//!   submits —, round 2 after round 1's, publication after round 2's: [`opens_on`]). A stage is
//!   open up to and including its deadline day and locked from the next day, by the clock; the
//!   coordinator may **reopen** a stage for one unit until a later day, with a reason.
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

use crate::score::parse_points;
use crate::text::{fold, is_slug, nfc};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Hand-entered points keep at most this many decimal places.
pub const MAX_SCALE: u32 = 4;

mod items;
pub use items::*;
mod publication;
pub use publication::*;
mod next_year;
pub use next_year::*;

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

    /// Problems: each deadline must be on or after the one before.
    pub fn problems(&self) -> Vec<StageOrder> {
        let mut out = Vec::new();
        for w in Stage::ALL.windows(2) {
            let (a, b) = (self.get(w[0]), self.get(w[1]));
            if b < a {
                out.push(StageOrder {
                    stage: w[1],
                    date: b,
                    previous: w[0],
                    bound: a,
                });
            }
        }
        out
    }
}

/// A stage's deadline before the deadline of the stage before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{stage} ({date}) is before the {previous} deadline ({bound})")]
pub struct StageOrder {
    pub stage: Stage,
    pub date: Date,
    pub previous: Stage,
    pub bound: Date,
}

/// What is wrong with a round's classes ([`ClassBands::problems`], [`ClassBands::parse`]); the
/// text is English, for the log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassProblem {
    #[error("at least one class is needed")]
    NoClasses,
    /// The label of the `class`-th class (from 1) is empty.
    #[error("class {class}: the label is empty")]
    EmptyLabel { class: usize },
    #[error("class '{label}' appears twice")]
    LabelTwice { label: String },
    #[error("class '{label}': {pct} % is outside 0–100")]
    Outside { label: String, pct: Decimal },
    #[error("class '{label}': {pct} % must be below the class above ({above} %)")]
    NotBelow {
        label: String,
        pct: Decimal,
        above: Decimal,
    },
    #[error("the last class must start at 0 % so that every unit has a class")]
    LastNotZero,
    /// A part of the text without `label: minimum %`.
    #[error("'{part}': write label: minimum %")]
    Unreadable { part: String },
    /// A part whose minimum is not a number.
    #[error("'{part}': the minimum is not a number")]
    NotANumber { part: String },
}

/// What is wrong with a new round's own fields ([`Round::problems`]); the text is English, for
/// the log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundProblem {
    #[error("'{value}' is not a slug (a-z, 0-9, -)")]
    NotSlug { value: String },
    #[error("the name is empty")]
    EmptyName,
    #[error("at most {max} characters")]
    TooLong { max: usize },
    #[error("{year} is not a plausible year")]
    ImplausibleYear { year: i32 },
    #[error("choose at least one unit")]
    NoUnits,
    #[error("unit '{unit}' appears twice")]
    UnitTwice { unit: String },
    #[error("{0}")]
    Order(StageOrder),
    #[error("{0}")]
    Class(ClassProblem),
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
    pub fn problems(&self) -> Vec<ClassProblem> {
        use ClassProblem as P;
        let mut out = Vec::new();
        if self.0.is_empty() {
            out.push(P::NoClasses);
            return out;
        }
        let mut seen = BTreeSet::new();
        for (i, b) in self.0.iter().enumerate() {
            if b.label_vi.trim().is_empty() {
                out.push(P::EmptyLabel { class: i + 1 });
            } else if !seen.insert(fold(&b.label_vi)) {
                out.push(P::LabelTwice {
                    label: b.label_vi.clone(),
                });
            }
            if b.min_pct < Decimal::ZERO || b.min_pct > Decimal::ONE_HUNDRED {
                out.push(P::Outside {
                    label: b.label_vi.clone(),
                    pct: b.min_pct,
                });
            }
            if i > 0 && b.min_pct >= self.0[i - 1].min_pct {
                out.push(P::NotBelow {
                    label: b.label_vi.clone(),
                    pct: b.min_pct,
                    above: self.0[i - 1].min_pct,
                });
            }
        }
        if self.0.last().is_some_and(|b| !b.min_pct.is_zero()) {
            out.push(P::LastNotZero);
        }
        out
    }

    /// Parse `Tốt: 90; Khá: 80; Trung bình: 70; Yếu: 0` (an optional English label after `|`:
    /// `Tốt|Good: 90`). Separators `;` or new lines; `:` or `=` or `≥` before the number.
    pub fn parse(text: &str) -> Result<ClassBands, Vec<ClassProblem>> {
        let mut bands = Vec::new();
        let mut problems = Vec::new();
        for part in text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some(pos) = part.rfind([':', '=', '≥']) else {
                problems.push(ClassProblem::Unreadable { part: part.into() });
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
                Err(_) => problems.push(ClassProblem::NotANumber { part: part.into() }),
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
    pub fn problems(&self) -> Vec<(&'static str, RoundProblem)> {
        use RoundProblem as P;
        let mut out = Vec::new();
        if !is_slug(&self.id) {
            out.push((
                "id",
                P::NotSlug {
                    value: self.id.clone(),
                },
            ));
        }
        if self.name.trim().is_empty() {
            out.push(("name", P::EmptyName));
        } else if self.name.chars().count() > 300 {
            out.push(("name", P::TooLong { max: 300 }));
        }
        if !(1990..=2100).contains(&self.year) {
            out.push(("year", P::ImplausibleYear { year: self.year }));
        }
        if self.units.is_empty() {
            out.push(("units", P::NoUnits));
        }
        let mut seen = BTreeSet::new();
        for u in &self.units {
            if !seen.insert(u.as_str()) {
                out.push(("units", P::UnitTwice { unit: u.clone() }));
            }
        }
        for o in self.deadlines.problems() {
            out.push((stage_field(o.stage), P::Order(o)));
        }
        for p in self.classes.problems() {
            out.push(("classes", P::Class(p)));
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

/// The first day a stage is open for every unit, or `None` for self-scoring (open from the day
/// the round is opened). Explanation and appraisal round 1 follow self-scoring (a unit that
/// submits its self-assessment earlier may explain and be appraised from that day: see
/// [`stage_state`]); round 2 — disputes and their settlement — follows round 1; publication
/// follows round 2. A stage whose deadline is the deadline of the stage before it never opens.
pub fn opens_on(deadlines: &Deadlines, stage: Stage) -> Option<Date> {
    let previous = match stage {
        Stage::SelfScoring => return None,
        Stage::Explanation | Stage::Appraisal1 => Stage::SelfScoring,
        Stage::Appraisal2 => Stage::Appraisal1,
        Stage::Publication => Stage::Appraisal2,
    };
    Some(deadlines.get(previous).tomorrow().unwrap_or(Date::MAX))
}

/// Whether a stage is open for a unit on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StageState {
    /// Not open yet: it opens on `from` (the day after the previous stage's deadline).
    NotYet { from: Date },
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

/// The state of `stage` for `unit` on `today`: not yet open before its opening day
/// ([`opens_on`]; explanation and appraisal round 1 open for a unit on the day it submitted,
/// `submitted_on`, if that is earlier), open up to its deadline (or the latest reopening's day
/// for this unit), locked after, frozen once the round is published.
pub fn stage_state(
    round: &Round,
    reopenings: &[Reopening],
    unit: &str,
    submitted_on: Option<Date>,
    stage: Stage,
    today: Date,
) -> StageState {
    if round.is_published() {
        return StageState::Frozen;
    }
    if let Some(from) = opens_on(&round.deadlines, stage) {
        let early = matches!(stage, Stage::Explanation | Stage::Appraisal1)
            && submitted_on.is_some_and(|on| on <= today);
        if today < from && !early {
            return StageState::NotYet { from };
        }
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
    /// The stage is not open yet: it opens on `from`.
    NotYet { stage: Stage, from: Date },
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
            LockError::NotYet { .. } => "assess.lock.not_yet",
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
            LockError::NotYet { stage, from } => {
                write!(f, "the {stage} stage opens on {from}")
            }
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
    submitted_on: Option<Date>,
    stage: Stage,
    today: Date,
) -> Result<(), LockError> {
    match stage_state(round, reopenings, unit, submitted_on, stage, today) {
        StageState::Open { .. } => Ok(()),
        StageState::NotYet { from } => Err(LockError::NotYet { stage, from }),
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
    open(round, reopenings, unit, None, Stage::SelfScoring, today)?;
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
        Err(_) => open(
            round,
            reopenings,
            unit,
            progress.submitted_on,
            Stage::Explanation,
            today,
        ),
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
        return open(round, reopenings, unit, None, Stage::Appraisal2, today);
    }
    if progress.submitted_on.is_none() {
        if let StageState::Open { until, .. } =
            stage_state(round, reopenings, unit, None, Stage::SelfScoring, today)
        {
            return Err(LockError::StillSelfScoring { until });
        }
    }
    open(
        round,
        reopenings,
        unit,
        progress.submitted_on,
        Stage::Appraisal1,
        today,
    )
}

/// Whether the unit may dispute a round-1 score today (while round 2 is open: from the day
/// after round 1's deadline).
pub fn may_dispute(
    round: &Round,
    reopenings: &[Reopening],
    unit: &str,
    today: Date,
) -> Result<(), LockError> {
    open(round, reopenings, unit, None, Stage::Appraisal2, today)
}

/// Whether a unit's file waits for an appraiser today (the appraisers' home and the round
/// page's `?waiting=appraisal`): items without a final score while round 1 may be appraised, or
/// disputes round 2 has not settled while round 2 is open.
pub fn awaits_appraisal(
    round: &Round,
    reopenings: &[Reopening],
    progress: &UnitProgress,
    unit: &str,
    missing_finals: usize,
    disputes_open: usize,
    today: Date,
) -> bool {
    (missing_finals > 0 && may_appraise(round, reopenings, progress, unit, 1, today).is_ok())
        || (disputes_open > 0 && may_appraise(round, reopenings, progress, unit, 2, today).is_ok())
}

#[cfg(test)]
mod tests;

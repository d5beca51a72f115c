//! Why a change is refused: which field, and what kind of problem — typed, so the web maps a
//! refusal to a form field and a catalogue message without reading any text
//! (`crates/web/src/refusals.rs`), and tests match kinds, not English.
//!
//! A refusal names its field as a path into the request: `username`, `deadline.appraisal1`,
//! `items[1.2].input`, `assignments[3].unit`; an empty field is the request as a whole. The
//! [`RefusalKind`] says what is wrong; where the domain has its own error enum ([`LockError`],
//! [`ItemError`], [`ReportRefusal`], …) the kind wraps it. Every refusal also reads as a short
//! English sentence (`field: problem`), for the log, the command line and the API's `error`.

use std::fmt;

use jiff::civil::Date;
use parindex_domain::access::Role;
use parindex_domain::assessment::{
    CrosswalkProblem, ItemError, LockError, RoundProblem, SubmitProblem,
};
use parindex_domain::dossiers::TimesProblem;
use parindex_domain::indicators::{IndicatorProblem, IndicatorProblemKind};
use parindex_domain::plan::{PlanProblemKind, ReportRefusal};
use parindex_domain::units::{FieldProblem, UnitType};
use parindex_domain::{EditionProblemKind, Level, ResultProblemKind};
use rust_decimal::Decimal;

use crate::evidence::UploadProblem;

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalKind {
    /// Empty, and the field is required.
    Required,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// A number below `min`.
    TooSmall { min: i64 },
    /// A number outside `min..=max`.
    OutOfRange { min: i64, max: i64 },
    /// Not of the expected shape (`expected` says which: "a slug", "an e-mail address", …).
    Malformed {
        value: String,
        expected: &'static str,
    },
    /// Names something that does not exist (the field says what: a unit, an edition, …).
    Unknown { value: String },
    /// Something with this id or name exists already.
    Exists { value: String },
    /// A user of this role belongs to a unit, and none is given.
    RoleNeedsUnit { role: Role },
    /// The unit is not assigned to the task.
    NotAssigned { unit: String, task: String },
    /// Not a reporting period of the task.
    NotAPeriod { period: String, task: String },
    /// Not a criterion the unit scores.
    NotScored { code: String, unit: String },
    /// The unit is not assessed in this round.
    NotAssessed { unit: String },
    /// An edition of another level than the one wanted (next year's edition of a round).
    WrongLevel {
        value: String,
        level: Level,
        wanted: Level,
    },
    /// A unit of a type the edition's level does not assess.
    UnitLevel {
        unit: String,
        unit_type: UnitType,
        wanted: Level,
    },
    /// A value not among the ones the field takes (`?format=`, `?export=`).
    NotOneOf {
        value: String,
        allowed: &'static [&'static str],
    },
    /// Not a year (`?year=`).
    NotAYear { value: String },
    /// Not a month like `2021-08` (`?month=`).
    NotAMonth { value: String },
    /// No file was sent where one is expected.
    NoFile,
    /// A date already past.
    Past { date: Date, today: Date },
    /// A date not after the one it must follow.
    NotAfter { date: Date, bound: Date },
    /// An attached file larger than the limit.
    TooLarge { name: String, max_mb: usize },
    /// An attached file that is empty.
    EmptyFile { name: String },
    /// An uploaded file refused by its size or content.
    Upload(UploadProblem),
    /// The stage or round does not take this change now.
    Locked(LockError),
    /// A figure or a score the criterion's rule refuses.
    Item(ItemError),
    /// An item not ready for submission.
    NotReady(SubmitProblem),
    /// A monthly report's submission or review refused (`plan::can_submit`, `plan::may_review`).
    Report(ReportRefusal),
    /// A unit's field refused by the domain (`units::UnitEdit`).
    Unit(FieldProblem),
    /// A dossier's times out of order.
    Times(TimesProblem),
    /// A decision already taken (an accountability measure).
    AlreadyDecided,
    /// A dispute of an item without a round-1 score.
    NothingToDispute,
    /// An item round 2 has settled already.
    Settled,
    /// Round 2 of the appraisal settles disputed items only.
    NotDisputed,
    /// Publication is not reopened: the round is published instead.
    NotReopenable,
    /// A round not ready for publication: items not appraised, disputes awaiting round 2.
    Incomplete {
        not_appraised: Vec<String>,
        disputed: Vec<String>,
    },
    /// A correction of a round that is not published yet.
    NotPublished,
    /// A correction that changes nothing.
    Unchanged { points: Decimal },
    /// A criterion without a rule that scores a number (an indicator cannot be linked to it).
    NotNumeric,
    /// An indicator computed from the dossier imports: it takes no entered values.
    Computed,
    /// A cell's counts do not add up.
    CountsDisagree { month: String },
    /// An edition refused by `Edition::validate` (its rules' problems included).
    Edition(EditionProblemKind),
    /// A plan refused by `PlanDocument::validate` (its tasks' deadlines included).
    Plan(PlanProblemKind),
    /// A published result, or the set it makes, refused by `results::check_set`.
    Result(ResultProblemKind),
    /// A round's own fields refused by `Round::problems`: its deadlines' order, its classes.
    Round(RoundProblem),
    /// Next year's crosswalk of criteria refused (`assessment::crosswalk`).
    Crosswalk(CrosswalkProblem),
    /// An indicator's definition refused by `Indicator::problems`.
    Indicator(IndicatorProblemKind),
}

impl fmt::Display for RefusalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RefusalKind as K;
        match self {
            K::Required => f.write_str("required"),
            K::TooLong { max } => write!(f, "at most {max} characters"),
            K::TooSmall { min } => write!(f, "at least {min}"),
            K::OutOfRange { min, max } => write!(f, "{min} to {max}"),
            K::Malformed { value, expected } => write!(f, "'{value}' is not {expected}"),
            K::Unknown { value } => write!(f, "unknown '{value}'"),
            K::Exists { value } => write!(f, "'{value}' exists already"),
            K::RoleNeedsUnit { role } => write!(f, "a {role} user must belong to a unit"),
            K::NotAssigned { unit, task } => write!(f, "{unit} is not assigned to task {task}"),
            K::NotAPeriod { period, task } => {
                write!(f, "'{period}' is not a reporting period of task {task}")
            }
            K::NotScored { code, unit } => write!(f, "{code} is not a criterion {unit} scores"),
            K::NotAssessed { unit } => write!(f, "{unit} is not assessed in this round"),
            K::WrongLevel {
                value,
                level,
                wanted,
            } => write!(f, "{value} is at the {level} level, not the {wanted} level"),
            K::UnitLevel {
                unit,
                unit_type,
                wanted,
            } => write!(
                f,
                "{unit} is a {unit_type}, not a unit of the {wanted} level"
            ),
            K::NotOneOf { value, allowed } => {
                write!(f, "'{value}' is not one of {}", allowed.join(", "))
            }
            K::NotAYear { value } => write!(f, "'{value}' is not a year"),
            K::NotAMonth { value } => write!(f, "'{value}' is not a month like 2021-08"),
            K::NoFile => f.write_str("no file"),
            K::Past { date, today } => write!(f, "{date} is already past (today is {today})"),
            K::NotAfter { date, bound } => write!(f, "{date} is not after {bound}"),
            K::TooLarge { name, max_mb } => write!(f, "'{name}' is larger than {max_mb} MB"),
            K::EmptyFile { name } => write!(f, "'{name}' is empty"),
            K::Upload(p) => write!(f, "{p}"),
            K::Locked(e) => write!(f, "{e}"),
            K::Item(e) => write!(f, "{e}"),
            K::NotReady(SubmitProblem::NotScored) => f.write_str("not self-scored"),
            K::NotReady(SubmitProblem::ExplanationMissing) => {
                f.write_str("claims points without the required evidence: explain why")
            }
            K::Report(r) => write!(f, "{r}"),
            K::Unit(p) => write!(f, "{p}"),
            K::Times(t) => f.write_str(t.message()),
            K::AlreadyDecided => f.write_str("already decided"),
            K::NothingToDispute => f.write_str("it has no round-1 score to dispute"),
            K::Settled => f.write_str("round 2 has settled it already"),
            K::NotDisputed => {
                f.write_str("round 2 settles disputed items only; this one is not disputed")
            }
            K::NotReopenable => {
                f.write_str("publication is not reopened; publish the round instead")
            }
            K::Incomplete {
                not_appraised,
                disputed,
            } => {
                f.write_str("not complete:")?;
                if !not_appraised.is_empty() {
                    write!(f, " not appraised {}", not_appraised.join(", "))?;
                }
                if !disputed.is_empty() {
                    write!(f, " disputes awaiting round 2 {}", disputed.join(", "))?;
                }
                Ok(())
            }
            K::NotPublished => f.write_str("not published yet; change the appraisal instead"),
            K::Unchanged { points } => write!(f, "it already has {points} points"),
            K::NotNumeric => f.write_str("no rule that scores a number (bands or proportional)"),
            K::Computed => {
                f.write_str("computed from the dossier imports; it takes no entered values")
            }
            K::CountsDisagree { month } => write!(f, "the counts of {month} do not add up"),
            K::Edition(p) => write!(f, "{p}"),
            K::Plan(p) => write!(f, "{p}"),
            K::Result(p) => write!(f, "{p}"),
            K::Round(p) => write!(f, "{p}"),
            K::Crosswalk(p) => write!(f, "{p}"),
            K::Indicator(p) => write!(f, "{p}"),
        }
    }
}

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A path into the request (`items[1.2].input`); empty for the request as a whole.
    pub field: String,
    pub kind: RefusalKind,
}

impl Refusal {
    pub fn new(field: impl Into<String>, kind: RefusalKind) -> Refusal {
        Refusal {
            field: field.into(),
            kind,
        }
    }

    /// The field's last name: `input` for `items[1.2].input`, `items[1.2]` for `items[1.2]`.
    pub fn leaf(&self) -> &str {
        match self.field.rsplit_once('.') {
            // `items[1.2]`: the dot is the code's.
            Some((_, rest)) if rest.contains(']') => &self.field,
            Some((_, leaf)) => leaf,
            None => &self.field,
        }
    }

    /// The criterion code of an `items[CODE]…` field.
    pub fn item(&self) -> Option<&str> {
        let rest = self.field.strip_prefix("items[")?;
        rest.split_once(']').map(|(code, _)| code)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.field, self.kind)
        }
    }
}

/// Every refused field of one request (checked all at once; never empty when returned as an
/// error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refusals(pub Vec<Refusal>);

impl Refusals {
    pub fn new() -> Refusals {
        Refusals(Vec::new())
    }
    pub fn push(&mut self, field: impl Into<String>, kind: RefusalKind) {
        self.0.push(Refusal::new(field, kind));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Refusal> {
        self.0.iter()
    }
    /// The kinds refused for a field.
    pub fn of<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a RefusalKind> {
        self.0
            .iter()
            .filter(move |r| r.field == field)
            .map(|r| &r.kind)
    }
    /// Whether any refusal is of this kind (compared with `==`).
    pub fn has(&self, field: &str, kind: &RefusalKind) -> bool {
        self.of(field).any(|k| k == kind)
    }
    /// `Ok(())` when nothing is refused, else the refusals as an error.
    pub fn check(self) -> crate::Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::StoreError::Invalid(self))
        }
    }
}

impl fmt::Display for Refusals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl From<Refusal> for Refusals {
    fn from(r: Refusal) -> Refusals {
        Refusals(vec![r])
    }
}

impl Extend<Refusal> for Refusals {
    fn extend<I: IntoIterator<Item = Refusal>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<'a> IntoIterator for &'a Refusals {
    type Item = &'a Refusal;
    type IntoIter = std::slice::Iter<'a, Refusal>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Refusal> for crate::StoreError {
    fn from(r: Refusal) -> crate::StoreError {
        crate::StoreError::Invalid(r.into())
    }
}

impl From<parindex_domain::EditionProblem> for Refusal {
    fn from(p: parindex_domain::EditionProblem) -> Refusal {
        Refusal::new(p.field, RefusalKind::Edition(p.kind))
    }
}

impl From<parindex_domain::plan::PlanProblem> for Refusal {
    fn from(p: parindex_domain::plan::PlanProblem) -> Refusal {
        Refusal::new(p.field, RefusalKind::Plan(p.kind))
    }
}

impl From<parindex_domain::ResultProblem> for Refusal {
    /// `results[SUBJECT].field` for a row's problem, `field` for the set's.
    fn from(p: parindex_domain::ResultProblem) -> Refusal {
        let field = match &p.subject {
            Some(s) => format!("results[{s}].{}", p.field),
            None => p.field,
        };
        Refusal::new(field, RefusalKind::Result(p.kind))
    }
}

impl From<(&str, RoundProblem)> for Refusal {
    /// A round's field (`id`, `deadline.appraisal1`, `classes`, …) and its problem.
    fn from((field, p): (&str, RoundProblem)) -> Refusal {
        Refusal::new(field, RefusalKind::Round(p))
    }
}

impl Refusal {
    /// An indicator's problem, on `indicators[ID].field`.
    pub fn indicator(id: &str, p: IndicatorProblem) -> Refusal {
        Refusal::new(
            format!("indicators[{id}].{}", p.field),
            RefusalKind::Indicator(p.kind),
        )
    }
}

/// One refusal as a store error.
pub(crate) fn refuse<T>(field: impl Into<String>, kind: RefusalKind) -> crate::Result<T> {
    Err(Refusal::new(field, kind).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_text() {
        let r = Refusal::new("items[1.2].input", RefusalKind::Required);
        assert_eq!(r.leaf(), "input");
        assert_eq!(r.item(), Some("1.2"));
        let whole = Refusal::new("items[1.2]", RefusalKind::Settled);
        assert_eq!(whole.leaf(), "items[1.2]");
        assert_eq!(whole.item(), Some("1.2"));
        let mut rs = Refusals::new();
        rs.push("name", RefusalKind::TooLong { max: 5 });
        rs.push("", RefusalKind::NotPublished);
        assert!(rs.has("name", &RefusalKind::TooLong { max: 5 }));
        assert!(!rs.has("id", &RefusalKind::TooLong { max: 5 }));
        assert_eq!(rs.of("").count(), 1);
        // The text is for logs and the command line; it names the field first.
        assert!(rs.to_string().starts_with("name: "));
    }
}

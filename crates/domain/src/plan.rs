//! The improvement plan: findings (what cost points), targets, tasks assigned to agencies with
//! deadlines, the reports units send per period, the status derived from them, and the
//! accountability records of heads of agencies.

use crate::calendar::{Deadline, Period, WorkCalendar};

pub mod board;
pub mod listing;
pub mod month;
pub mod report_form;
use crate::gap::TargetScope;
use crate::units::{Unit, UnitType};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The plan itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// A slug, e.g. `bac-giang-2021`.
    pub id: String,
    /// Number and symbol, e.g. `…/KH-UBND` (as issued).
    pub number: String,
    pub title: String,
    pub issued_on: Date,
    /// Who signed it, e.g. "Mai Sơn".
    pub signer: String,
    /// "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH".
    pub signer_title: String,
    /// The edition whose results the plan answers (the baseline).
    pub edition_id: String,
    /// The subject (province) whose result is the baseline.
    pub subject: String,
    /// The year the plan works for.
    pub year: i32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A figure a finding cites, e.g. disbursement 80.78 % against 100 %.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub value: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Decimal>,
    #[serde(default)]
    pub unit: String,
}

/// A shortcoming that cost points (nội dung cần khắc phục).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Its place in the plan, e.g. `II.4`.
    pub id: String,
    pub title: String,
    pub text: String,
    /// Area or criterion codes it cost points in.
    #[serde(default)]
    pub criteria: Vec<String>,
    #[serde(default)]
    pub figures: Vec<Figure>,
}

/// How a numeric target compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    AtLeast,
    AtMost,
}

/// What a target asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetGoal {
    /// Reach (or keep) this rank or better, overall or in one area.
    Rank {
        scope: TargetScope,
        rank: u32,
        keep: bool,
    },
    /// A measured value, e.g. dossiers resolved early ≥ 20 %.
    Numeric {
        label: String,
        comparison: Comparison,
        value: Decimal,
        unit: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Date>,
    },
}

/// A target of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTarget {
    /// Its place in the plan, e.g. `III.3`.
    pub id: String,
    pub title: String,
    pub goal: TargetGoal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_agency: Option<String>,
    /// The duties the plan lists for it.
    #[serde(default)]
    pub duties: String,
}

/// Who must carry out a task and report on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Assignees {
    /// The lead agency alone.
    Lead,
    /// These units (the lead agency included when listed).
    Units { units: Vec<String> },
    /// Every department and district (fanned out into one assignment per unit).
    AllDepartmentsAndDistricts,
}

/// A task of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Stable id, e.g. `II.2-review-procedures`.
    pub id: String,
    /// Its place in the plan (section and item), e.g. `II.2.b`.
    pub section: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub targets: Vec<String>,
    /// Area or criterion codes it works on.
    #[serde(default)]
    pub criteria: Vec<String>,
    pub lead_agency: Option<String>,
    #[serde(default)]
    pub coordinating: Vec<String>,
    pub assignees: Assignees,
    pub deadline: Deadline,
    /// The deliverable: a report to whom.
    #[serde(default)]
    pub deliverable: String,
}

/// The plan with everything in it, as loaded from its data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDocument {
    pub plan: Plan,
    #[serde(default)]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub targets: Vec<PlanTarget>,
    #[serde(default)]
    pub tasks: Vec<Task>,
}

/// One problem with a plan, naming where it is (`tasks[II.2-x].deadline`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProblem {
    pub field: String,
    pub kind: PlanProblemKind,
}

impl fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.kind)
    }
}

/// What is wrong with one field of a plan ([`PlanDocument::validate`]); the text is English, for
/// the log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanProblemKind {
    #[error("'{value}' is not a slug")]
    NotSlug { value: String },
    #[error("the title is empty")]
    EmptyTitle,
    #[error("duplicate id")]
    DuplicateId,
    #[error("unknown unit '{unit}'")]
    UnknownUnit { unit: String },
    #[error("a task needs a lead agency")]
    NoLead,
    #[error("no unit is assigned")]
    NoUnits,
    #[error("unknown finding '{id}'")]
    UnknownFinding { id: String },
    #[error("unknown target '{id}'")]
    UnknownTarget { id: String },
    #[error("{0}")]
    Deadline(crate::calendar::DeadlineProblem),
}

impl PlanDocument {
    /// Every problem at once. `units` are the known unit slugs.
    pub fn validate(&self, units: &BTreeSet<String>) -> Vec<PlanProblem> {
        use PlanProblemKind as K;
        let mut out = Vec::new();
        let mut p = |field: String, kind: PlanProblemKind| out.push(PlanProblem { field, kind });
        if !crate::text::is_slug(&self.plan.id) {
            p(
                "plan.id".into(),
                K::NotSlug {
                    value: self.plan.id.clone(),
                },
            );
        }
        if self.plan.title.trim().is_empty() {
            p("plan.title".into(), K::EmptyTitle);
        }
        let finding_ids: BTreeSet<&str> = self.findings.iter().map(|f| f.id.as_str()).collect();
        let target_ids: BTreeSet<&str> = self.targets.iter().map(|t| t.id.as_str()).collect();
        let mut seen = BTreeSet::new();
        for f in &self.findings {
            if !seen.insert(("finding", f.id.as_str())) {
                p(format!("findings[{}]", f.id), K::DuplicateId);
            }
        }
        let unknown = |u: &String| K::UnknownUnit { unit: u.clone() };
        for t in &self.targets {
            if !seen.insert(("target", t.id.as_str())) {
                p(format!("targets[{}]", t.id), K::DuplicateId);
            }
            if let Some(l) = &t.lead_agency {
                if !units.contains(l) {
                    p(format!("targets[{}].lead_agency", t.id), unknown(l));
                }
            }
        }
        for t in &self.tasks {
            let f = |what: &str| format!("tasks[{}].{what}", t.id);
            if !seen.insert(("task", t.id.as_str())) {
                p(f("id"), K::DuplicateId);
            }
            if t.title.trim().is_empty() {
                p(f("title"), K::EmptyTitle);
            }
            match &t.lead_agency {
                None => p(f("lead_agency"), K::NoLead),
                Some(l) if !units.contains(l) => p(f("lead_agency"), unknown(l)),
                _ => {}
            }
            for c in &t.coordinating {
                if !units.contains(c) {
                    p(f("coordinating"), unknown(c));
                }
            }
            if let Assignees::Units { units: list } = &t.assignees {
                if list.is_empty() {
                    p(f("assignees"), K::NoUnits);
                }
                for u in list {
                    if !units.contains(u) {
                        p(f("assignees"), unknown(u));
                    }
                }
            }
            for x in &t.findings {
                if !finding_ids.contains(x.as_str()) {
                    p(f("findings"), K::UnknownFinding { id: x.clone() });
                }
            }
            for x in &t.targets {
                if !target_ids.contains(x.as_str()) {
                    p(f("targets"), K::UnknownTarget { id: x.clone() });
                }
            }
            for m in t.deadline.problems(self.plan.issued_on) {
                p(f("deadline"), K::Deadline(m));
            }
        }
        out
    }
}

/// The units a task is assigned to (one assignment each), in a stable order.
pub fn assigned_units(task: &Task, units: &[Unit]) -> Vec<String> {
    let mut out: Vec<String> = match &task.assignees {
        Assignees::Lead => task.lead_agency.iter().cloned().collect(),
        Assignees::Units { units } => units.clone(),
        Assignees::AllDepartmentsAndDistricts => units
            .iter()
            .filter(|u| matches!(u.unit_type, UnitType::Department | UnitType::District))
            .map(|u| u.slug.clone())
            .collect(),
    };
    let mut seen = BTreeSet::new();
    out.retain(|u| seen.insert(u.clone()));
    out
}

/// A review of a submitted report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accepted,
    Returned,
}

/// One version of a unit's report on a task for a period. Immutable once stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub id: i64,
    pub task_id: String,
    pub unit: String,
    pub period: String,
    pub version: i64,
    pub done: String,
    pub problems: String,
    pub proposals: String,
    pub progress_pct: u8,
    /// The civil date it was submitted on (Asia/Ho_Chi_Minh).
    pub submitted_on: Date,
    pub submitted_by: String,
    pub decision: Option<Decision>,
    pub review_comment: Option<String>,
    pub reviewed_by: Option<String>,
    /// The civil date it was reviewed on, by the application's clock (None before a review,
    /// and for reviews recorded before the date was kept).
    pub reviewed_on: Option<Date>,
}

/// The derived status of one assignment for one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Overdue,
    Returned,
    NotStarted,
    InProgress,
    Submitted,
    Accepted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Overdue => "overdue",
            Status::Returned => "returned",
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
        }
    }
    pub const ALL: [Status; 6] = [
        Status::Overdue,
        Status::Returned,
        Status::NotStarted,
        Status::InProgress,
        Status::Submitted,
        Status::Accepted,
    ];
}

/// The status of one period from its reports (any order) and the unit's progress:
/// accepted or submitted follow the latest version; a returned report is `returned` until the
/// due date has passed, then `overdue`; with no report, `overdue` after the due date, else
/// `in_progress` when progress was recorded, else `not_started`.
pub fn period_status(due: Date, today: Date, reports: &[&Report], progress_pct: u8) -> Status {
    let latest = reports.iter().max_by_key(|r| r.version);
    match latest.map(|r| r.decision) {
        Some(Some(Decision::Accepted)) => Status::Accepted,
        Some(None) => Status::Submitted,
        Some(Some(Decision::Returned)) => {
            if today > due {
                Status::Overdue
            } else {
                Status::Returned
            }
        }
        None => {
            if today > due {
                Status::Overdue
            } else if progress_pct > 0 {
                Status::InProgress
            } else {
                Status::NotStarted
            }
        }
    }
}

/// One period of one assignment with its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodState {
    pub period: Period,
    pub status: Status,
    /// The first version was submitted after the due date.
    pub late: bool,
    /// Nothing was submitted and the due date has passed.
    pub missing: bool,
}

/// Every period of an assignment up to the first one not yet due, with its status.
pub fn assignment_periods(
    deadline: &Deadline,
    cal: &WorkCalendar,
    today: Date,
    reports: &[Report],
    progress_pct: u8,
) -> Vec<PeriodState> {
    period_states(&deadline.periods(cal), today, reports, progress_pct)
}

/// [`assignment_periods`] for a task's periods computed once (`deadline.periods(cal)`), for
/// callers that go through many assignments of the same task.
pub fn period_states(
    periods: &[Period],
    today: Date,
    reports: &[Report],
    progress_pct: u8,
) -> Vec<PeriodState> {
    let mut out = Vec::new();
    for period in periods {
        let mine: Vec<&Report> = reports.iter().filter(|r| r.period == period.key).collect();
        let status = period_status(period.due, today, &mine, progress_pct);
        let first = mine.iter().min_by_key(|r| r.version);
        let late = first.is_some_and(|r| r.submitted_on > period.due);
        let missing = mine.is_empty() && today > period.due;
        let upcoming = period.due >= today;
        out.push(PeriodState {
            period: period.clone(),
            status,
            late,
            missing,
        });
        if upcoming {
            break;
        }
    }
    out
}

/// The status that sums up an assignment: the worst status among its periods so far (overdue
/// first), or accepted when every period is.
pub fn overall_status(periods: &[PeriodState]) -> Status {
    periods
        .iter()
        .map(|p| p.status)
        .min()
        .unwrap_or(Status::NotStarted)
}

/// Why a monthly report may not be submitted or reviewed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportRefusal {
    /// The period's report was accepted: it cannot be changed.
    #[error("this period's report was accepted; it cannot be changed")]
    Accepted,
    /// The version was reviewed already (accepted or returned).
    #[error("this report was already reviewed")]
    AlreadyReviewed,
    /// A newer version of the period's report exists: only the latest is reviewed.
    #[error("a newer version of this report exists")]
    Superseded,
    /// A report is returned with a comment saying why.
    #[error("say why the report is returned")]
    CommentRequired,
}

impl ReportRefusal {
    /// The field of the form it concerns: `comment` for a missing comment, `decision` for the
    /// review's state, `period` for a submission.
    pub fn field(self) -> &'static str {
        match self {
            ReportRefusal::Accepted => "period",
            ReportRefusal::AlreadyReviewed | ReportRefusal::Superseded => "decision",
            ReportRefusal::CommentRequired => "comment",
        }
    }
}

/// Whether a report may be submitted now for this period (`reports`: the period's versions).
pub fn can_submit(reports: &[&Report]) -> Result<(), ReportRefusal> {
    may_submit_after(
        reports
            .iter()
            .max_by_key(|r| r.version)
            .and_then(|r| r.decision),
    )
}

/// The same rule on the latest version's decision alone (`None`: no version, or undecided) —
/// as the store reads it again inside the transaction that adds the new version.
pub fn may_submit_after(latest: Option<Decision>) -> Result<(), ReportRefusal> {
    match latest {
        Some(Decision::Accepted) => Err(ReportRefusal::Accepted),
        _ => Ok(()),
    }
}

/// Whether `report` may be accepted or returned now: it is undecided, it is the latest version
/// of its period (`latest`: the highest version stored for the period), and a return says why
/// in `comment`. Who may review is `access::Action::ReviewReport` (the coordinator); a review
/// sent twice is answered by the store before this rule (`retries::same_review`).
pub fn may_review(
    report: &Report,
    latest: Option<i64>,
    decision: Decision,
    comment: &str,
) -> Result<(), ReportRefusal> {
    if report.decision.is_some() {
        return Err(ReportRefusal::AlreadyReviewed);
    }
    if latest != Some(report.version) {
        return Err(ReportRefusal::Superseded);
    }
    if decision == Decision::Returned && comment.trim().is_empty() {
        return Err(ReportRefusal::CommentRequired);
    }
    Ok(())
}

/// The kind of accountability measure proposed for a head of agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Phê bình.
    Criticism,
    /// Kiểm điểm trách nhiệm.
    DisciplinaryReview,
}

impl MeasureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Criticism => "criticism",
            MeasureKind::DisciplinaryReview => "disciplinary_review",
        }
    }
    pub fn parse(s: &str) -> Option<MeasureKind> {
        match s {
            "criticism" => Some(MeasureKind::Criticism),
            "disciplinary_review" => Some(MeasureKind::DisciplinaryReview),
            _ => None,
        }
    }
}

/// Counts per unit for the compliance table and the heads' accountability.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub assignments: usize,
    pub accepted: usize,
    pub submitted: usize,
    pub overdue: usize,
    pub missing_reports: usize,
    pub late_reports: usize,
}

impl Compliance {
    pub fn add(&mut self, periods: &[PeriodState]) {
        self.assignments += 1;
        match overall_status(periods) {
            Status::Accepted => self.accepted += 1,
            Status::Submitted => self.submitted += 1,
            Status::Overdue => self.overdue += 1,
            _ => {}
        }
        self.missing_reports += periods.iter().filter(|p| p.missing).count();
        self.late_reports += periods.iter().filter(|p| p.late).count();
    }
}

/// Tally statuses, e.g. for a board.
pub fn count_by_status(statuses: impl IntoIterator<Item = Status>) -> BTreeMap<Status, usize> {
    let mut m = BTreeMap::new();
    for s in statuses {
        *m.entry(s).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Frequency;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn report(period: &str, version: i64, on: Date, decision: Option<Decision>) -> Report {
        Report {
            id: version,
            task_id: "t".into(),
            unit: "so-noi-vu".into(),
            period: period.into(),
            version,
            done: "đã làm".into(),
            problems: String::new(),
            proposals: String::new(),
            progress_pct: 50,
            submitted_on: on,
            submitted_by: "u".into(),
            decision,
            review_comment: None,
            reviewed_by: None,
            reviewed_on: None,
        }
    }

    #[test]
    fn one_off_task_statuses() {
        let due = date(2021, 7, 31);
        let before = date(2021, 7, 20);
        let after = date(2021, 8, 15);
        assert_eq!(period_status(due, before, &[], 0), Status::NotStarted);
        assert_eq!(period_status(due, before, &[], 30), Status::InProgress);
        assert_eq!(
            period_status(due, due, &[], 0),
            Status::NotStarted,
            "due today is not overdue"
        );
        assert_eq!(period_status(due, after, &[], 90), Status::Overdue);
        let sub = report("once", 1, date(2021, 7, 30), None);
        assert_eq!(period_status(due, after, &[&sub], 0), Status::Submitted);
        let ret = report("once", 1, date(2021, 7, 30), Some(Decision::Returned));
        assert_eq!(period_status(due, before, &[&ret], 0), Status::Returned);
        assert_eq!(
            period_status(due, after, &[&ret], 0),
            Status::Overdue,
            "returned and past due"
        );
        let v2 = report("once", 2, date(2021, 8, 2), None);
        assert_eq!(
            period_status(due, after, &[&ret, &v2], 0),
            Status::Submitted,
            "a correction is a new version"
        );
        let acc = report("once", 2, date(2021, 8, 2), Some(Decision::Accepted));
        assert_eq!(
            period_status(due, after, &[&ret, &acc], 0),
            Status::Accepted
        );
        assert_eq!(
            can_submit(&[&ret, &acc]),
            Err(ReportRefusal::Accepted),
            "no report on an accepted period"
        );
        assert!(can_submit(&[&ret]).is_ok());
        // The same rule on the latest decision alone (as the store reads it in its transaction).
        assert_eq!(
            may_submit_after(Some(Decision::Accepted)),
            Err(ReportRefusal::Accepted)
        );
        assert_eq!(may_submit_after(Some(Decision::Returned)), Ok(()));
        assert_eq!(may_submit_after(None), Ok(()));
    }

    #[test]
    fn review_rules() {
        let sub = report("2021-07", 2, date(2021, 7, 24), None);
        // The latest undecided version is accepted without a comment, returned with one.
        assert_eq!(may_review(&sub, Some(2), Decision::Accepted, ""), Ok(()));
        assert_eq!(
            may_review(&sub, Some(2), Decision::Returned, "thiếu số liệu"),
            Ok(())
        );
        assert_eq!(
            may_review(&sub, Some(2), Decision::Returned, "  "),
            Err(ReportRefusal::CommentRequired)
        );
        // An older version is not reviewed, whatever the decision.
        assert_eq!(
            may_review(&sub, Some(3), Decision::Accepted, "ok"),
            Err(ReportRefusal::Superseded)
        );
        // A decided version is not reviewed again, even when it is the latest.
        let acc = report("2021-07", 2, date(2021, 7, 24), Some(Decision::Accepted));
        for d in [Decision::Accepted, Decision::Returned] {
            assert_eq!(
                may_review(&acc, Some(2), d, "x"),
                Err(ReportRefusal::AlreadyReviewed)
            );
        }
        assert_eq!(ReportRefusal::CommentRequired.field(), "comment");
        assert_eq!(ReportRefusal::Superseded.field(), "decision");
        assert_eq!(ReportRefusal::Accepted.field(), "period");
    }

    #[test]
    fn monthly_reports_missing_and_late() {
        let dl = Deadline::Recurring {
            every: Frequency::Monthly,
            day: 25,
            from: date(2021, 7, 1),
            until: date(2021, 12, 31),
        };
        let reports = vec![
            report("2021-07", 1, date(2021, 7, 24), Some(Decision::Accepted)),
            report("2021-08", 1, date(2021, 8, 27), None),
        ];
        let p = assignment_periods(
            &dl,
            &WorkCalendar::every_day(),
            date(2021, 9, 28),
            &reports,
            0,
        );
        let keys: Vec<(&str, Status, bool, bool)> = p
            .iter()
            .map(|s| (s.period.key.as_str(), s.status, s.late, s.missing))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("2021-07", Status::Accepted, false, false),
                ("2021-08", Status::Submitted, true, false),
                ("2021-09", Status::Overdue, false, true),
                ("2021-10", Status::NotStarted, false, false),
            ]
        );
        assert_eq!(overall_status(&p), Status::Overdue);
        let mut c = Compliance::default();
        c.add(&p);
        assert_eq!((c.overdue, c.missing_reports, c.late_reports), (1, 1, 1));
    }

    fn unit(slug: &str, t: UnitType) -> Unit {
        Unit {
            slug: slug.into(),
            name_vi: slug.into(),
            name_en: None,
            unit_type: t,
            parent: None,
            head_name: None,
            head_title: None,
        }
    }

    fn task(assignees: Assignees, lead: Option<&str>, deadline: Deadline) -> Task {
        Task {
            id: "II.2-a".into(),
            section: "II.2.b".into(),
            title: "Rà soát TTHC".into(),
            description: String::new(),
            findings: vec!["II.2".into()],
            targets: vec![],
            criteria: vec!["3".into()],
            lead_agency: lead.map(str::to_string),
            coordinating: vec![],
            assignees,
            deadline,
            deliverable: String::new(),
        }
    }

    #[test]
    fn fan_out_to_every_department_and_district() {
        let units = vec![
            unit("bac-giang", UnitType::Province),
            unit("so-noi-vu", UnitType::Department),
            unit("huyen-yen-the", UnitType::District),
            unit("bao-bac-giang", UnitType::Other),
        ];
        let t = task(
            Assignees::AllDepartmentsAndDistricts,
            Some("van-phong-ubnd-tinh"),
            Deadline::Once {
                date: date(2021, 7, 31),
            },
        );
        assert_eq!(
            assigned_units(&t, &units),
            vec!["so-noi-vu", "huyen-yen-the"]
        );
        let t = task(
            Assignees::Lead,
            Some("so-tai-chinh"),
            Deadline::Once {
                date: date(2021, 7, 31),
            },
        );
        assert_eq!(assigned_units(&t, &units), vec!["so-tai-chinh"]);
        let t = task(
            Assignees::Units {
                units: vec!["a".into(), "b".into(), "a".into()],
            },
            Some("a"),
            Deadline::Once {
                date: date(2021, 7, 31),
            },
        );
        assert_eq!(assigned_units(&t, &units), vec!["a", "b"]);
    }

    #[test]
    fn plan_validation_names_every_problem() {
        let plan = Plan {
            id: "bac-giang-2021".into(),
            number: "/KH-UBND".into(),
            title: "Kế hoạch".into(),
            issued_on: date(2021, 7, 15),
            signer: "Mai Sơn".into(),
            signer_title: "PHÓ CHỦ TỊCH".into(),
            edition_id: "par-2020-province".into(),
            subject: "bac-giang".into(),
            year: 2021,
            note: String::new(),
        };
        let units: BTreeSet<String> = ["so-noi-vu".to_string()].into_iter().collect();
        let doc = PlanDocument {
            plan,
            findings: vec![Finding {
                id: "II.2".into(),
                title: "TTHC".into(),
                text: String::new(),
                criteria: vec![],
                figures: vec![],
            }],
            targets: vec![],
            tasks: vec![
                task(
                    Assignees::Lead,
                    None,
                    Deadline::Once {
                        date: date(2021, 6, 30),
                    },
                ),
                Task {
                    id: "x".into(),
                    ..task(
                        Assignees::Units {
                            units: vec!["so-x".into()],
                        },
                        Some("so-noi-vu"),
                        Deadline::Once {
                            date: date(2021, 7, 31),
                        },
                    )
                },
            ],
        };
        let p = doc.validate(&units);
        let has = |field: &str, kind: PlanProblemKind| {
            p.iter().any(|x| x.field == field && x.kind == kind)
        };
        assert!(
            has("tasks[II.2-a].lead_agency", PlanProblemKind::NoLead),
            "{p:?}"
        );
        assert!(
            p.iter().any(|x| x.field == "tasks[II.2-a].deadline"
                && matches!(
                    x.kind,
                    PlanProblemKind::Deadline(crate::calendar::DeadlineProblem::BeforePlan { date: d, .. })
                        if d == date(2021, 6, 30)
                )),
            "{p:?}"
        );
        assert!(
            has(
                "tasks[x].assignees",
                PlanProblemKind::UnknownUnit {
                    unit: "so-x".into()
                }
            ),
            "{p:?}"
        );
        assert_eq!(p.len(), 3);
    }

    proptest! {
        #[test]
        fn status_follows_the_rules(due_off in 0i64..60, today_off in 0i64..60, progress in 0u8..=100, n in 0usize..4, last in 0u8..3) {
            let base = date(2021, 7, 1);
            let due = base.saturating_add(jiff::Span::new().days(due_off));
            let today = base.saturating_add(jiff::Span::new().days(today_off));
            let decision = [None, Some(Decision::Accepted), Some(Decision::Returned)][last as usize];
            let reports: Vec<Report> = (1..=n as i64).map(|v| report("once", v, base, if v == n as i64 { decision } else { Some(Decision::Returned) })).collect();
            let refs: Vec<&Report> = reports.iter().collect();
            let s = period_status(due, today, &refs, progress);
            if today > due && (reports.is_empty() || decision == Some(Decision::Returned)) {
                prop_assert_eq!(s, Status::Overdue);
            }
            if today <= due { prop_assert!(s != Status::Overdue); }
            if n > 0 && decision == Some(Decision::Accepted) { prop_assert_eq!(s, Status::Accepted); }
            if n > 0 && decision.is_none() { prop_assert_eq!(s, Status::Submitted); }
        }
    }
}

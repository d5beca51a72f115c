//! A monthly report as the form sends it (`POST /plans/{id}/tasks/{task}/reports`): what is
//! wrong with it, field by field, before the store is asked. Pure: the page says each problem
//! in the reader's language beside its field.

use super::{PeriodState, Status};
use crate::calendar::Period;

/// What is wrong with a report as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormProblem {
    /// The unit is not assigned the task.
    NotAssigned,
    PeriodRequired,
    /// Not one of the task's periods.
    PeriodInvalid,
    /// The period's report was accepted: it cannot be changed.
    PeriodAccepted,
    /// Nothing said about what was done.
    DoneRequired,
    /// The progress is not a whole percentage from 0 to 100.
    ProgressRange,
}

impl ReportFormProblem {
    /// The form's field it stands beside.
    pub fn field(self) -> &'static str {
        match self {
            ReportFormProblem::NotAssigned => "unit",
            ReportFormProblem::PeriodRequired
            | ReportFormProblem::PeriodInvalid
            | ReportFormProblem::PeriodAccepted => "period",
            ReportFormProblem::DoneRequired => "done",
            ReportFormProblem::ProgressRange => "progress_pct",
        }
    }
}

/// The fields of a report as typed (trimmed where the form trims them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentReport<'a> {
    pub period: &'a str,
    pub done: &'a str,
    pub progress: &'a str,
}

/// The unit's assignment of the task as the check sees it: its periods so far and the
/// progress recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignmentNow<'a> {
    pub periods: &'a [PeriodState],
    pub progress_pct: u8,
}

/// The problems of a sent report (`assignment`: none when the unit is not assigned;
/// `periods`: every period of the task), and the progress to record: the one typed, else the
/// assignment's (0 when unassigned); none when the typed one is out of range.
pub fn check_report(
    sent: SentReport<'_>,
    assignment: Option<AssignmentNow<'_>>,
    periods: &[Period],
) -> (Vec<ReportFormProblem>, Option<u8>) {
    use ReportFormProblem as P;
    let mut problems = Vec::new();
    if assignment.is_none() {
        problems.push(P::NotAssigned);
    }
    if sent.period.is_empty() {
        problems.push(P::PeriodRequired);
    } else if !periods.iter().any(|p| p.key == sent.period) {
        problems.push(P::PeriodInvalid);
    } else if assignment.is_some_and(|a| {
        a.periods
            .iter()
            .any(|p| p.period.key == sent.period && p.status == Status::Accepted)
    }) {
        problems.push(P::PeriodAccepted);
    }
    if sent.done.trim().is_empty() {
        problems.push(P::DoneRequired);
    }
    let progress = if sent.progress.is_empty() {
        Some(assignment.map(|a| a.progress_pct).unwrap_or(0))
    } else {
        sent.progress.parse::<u8>().ok().filter(|p| *p <= 100)
    };
    if progress.is_none() {
        problems.push(P::ProgressRange);
    }
    (problems, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use ReportFormProblem as P;

    fn period(key: &str) -> Period {
        Period {
            key: key.into(),
            due: date(2021, 8, 31),
        }
    }

    fn state(key: &str, status: Status) -> PeriodState {
        PeriodState {
            period: period(key),
            status,
            late: false,
            missing: false,
        }
    }

    fn sent<'a>(period: &'a str, done: &'a str, progress: &'a str) -> SentReport<'a> {
        SentReport {
            period,
            done,
            progress,
        }
    }

    #[test]
    fn a_complete_report_passes_and_keeps_the_progress_typed_or_recorded() {
        let periods = [period("2021-07"), period("2021-08")];
        let states = [state("2021-07", Status::Overdue)];
        let a = Some(AssignmentNow {
            periods: &states,
            progress_pct: 40,
        });
        assert_eq!(
            check_report(sent("2021-07", "đã làm", "60"), a, &periods),
            (vec![], Some(60))
        );
        assert_eq!(
            check_report(sent("2021-08", "đã làm", ""), a, &periods),
            (vec![], Some(40)),
            "no progress typed: the one recorded"
        );
    }

    #[test]
    fn each_field_says_what_is_wrong() {
        let periods = [period("2021-07")];
        let states = [state("2021-07", Status::Accepted)];
        let a = Some(AssignmentNow {
            periods: &states,
            progress_pct: 40,
        });
        assert_eq!(
            check_report(sent("2021-07", " ", "101"), a, &periods),
            (
                vec![P::PeriodAccepted, P::DoneRequired, P::ProgressRange],
                None
            )
        );
        assert_eq!(
            check_report(sent("", "x", "abc"), a, &periods).0,
            vec![P::PeriodRequired, P::ProgressRange]
        );
        assert_eq!(
            check_report(sent("2021-13", "x", ""), None, &periods),
            (vec![P::NotAssigned, P::PeriodInvalid], Some(0))
        );
        assert_eq!(P::NotAssigned.field(), "unit");
        assert_eq!(P::PeriodAccepted.field(), "period");
        assert_eq!(P::ProgressRange.field(), "progress_pct");
    }
}

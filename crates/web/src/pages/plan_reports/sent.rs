//! A monthly report as sent, checked (`domain::plan::report_form`) and shown again with what
//! was typed and each problem beside its field.

use super::{ReportForm, Submitted};
use crate::i18n::{self, Lang};
use parindex_domain::plan::report_form::{
    check_report, AssignmentNow, ReportFormProblem, SentReport,
};
use parindex_store::{PlanState, TaskState};

fn problem_key(p: ReportFormProblem) -> &'static str {
    match p {
        ReportFormProblem::NotAssigned => "report.not_assigned",
        ReportFormProblem::PeriodRequired => "report.period_required",
        ReportFormProblem::PeriodInvalid => "report.period_invalid",
        ReportFormProblem::PeriodAccepted => "report.period_accepted",
        ReportFormProblem::DoneRequired => "report.done_required",
        ReportFormProblem::ProgressRange => "report.progress_range",
    }
}

/// The form as sent for `unit`, its errors filled in (fields, then the files: too large,
/// empty, too many), and the progress to record (none when out of range).
pub(crate) fn checked_form(
    sent: &Submitted,
    unit: &str,
    st: &PlanState,
    ts: &TaskState,
    lang: Lang,
) -> (ReportForm, Option<u8>) {
    let t = |k| i18n::t(lang, k).to_string();
    let mut form = ReportForm {
        unit: unit.to_string(),
        period: sent.field("period").trim().to_string(),
        done: sent.field("done"),
        problems: sent.field("problems"),
        proposals: sent.field("proposals"),
        progress: sent.field("progress_pct").trim().to_string(),
        ..Default::default()
    };
    let assignment = ts
        .assignments
        .iter()
        .find(|a| a.assignment.unit == unit)
        .map(|a| AssignmentNow {
            periods: &a.periods,
            progress_pct: a.assignment.progress_pct,
        });
    let typed = SentReport {
        period: &form.period,
        done: &form.done,
        progress: &form.progress,
    };
    let (problems, progress) =
        check_report(typed, assignment, &ts.task.deadline.periods(&st.calendar));
    for p in problems {
        form.errors.insert(p.field(), t(problem_key(p)));
    }
    let mut file_errors: Vec<String> = sent
        .too_large
        .iter()
        .map(|n| format!("«{n}»: {}", t("report.too_large")))
        .collect();
    file_errors.extend(
        sent.files
            .iter()
            .filter(|f| f.content.is_empty())
            .map(|f| format!("«{}»: {}", f.file_name, t("report.empty_file"))),
    );
    if sent.too_many {
        file_errors.push(t("report.too_many"));
    }
    if !file_errors.is_empty() {
        form.errors.insert("attachments", file_errors.join(" "));
    }
    (form, progress)
}

//! The task page as shown (`GET /plans/{id}/tasks/{task}`, and again beside a refused report or
//! review): the store's plan state, which reports and periods to show decided by
//! `domain::plan::listing`, labelled here.

use super::{
    AssignmentBlock, AttachmentView, PeriodView, ReportForm, ReportView, ReviewState, TaskPage,
};
use crate::auth::CurrentUser;
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::plans::{
    head_of, load_state, period_label, seg, status_class, status_key, task_href, unit_name,
    units_by_slug, PlanNav, PlanQuery,
};
use crate::pages::Paged;
use crate::AppState;
use parindex_domain::access::{can, Action};
use parindex_domain::plan::listing::{focus_first, open_periods, search_keeps, unit_reports};
use parindex_domain::plan::{Decision, Report, Task};
use parindex_domain::units::Unit;
use parindex_store::{AssignmentState, AttachmentInfo, PlanState, TaskState};
use std::collections::{BTreeMap, HashMap};

/// What every part of the page needs.
struct Ctx<'a> {
    state: &'a AppState,
    cu: &'a CurrentUser,
    plan_id: &'a str,
    here: &'a str,
    lang: Lang,
    units: &'a BTreeMap<String, Unit>,
    /// The task's attachments, by report (read once for the page).
    attachments: &'a HashMap<i64, Vec<AttachmentInfo>>,
}

pub(super) fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

fn size_text(lang: Lang, bytes: i64) -> String {
    i18n::size(lang, u64::try_from(bytes).unwrap_or(0))
}

/// Which unit's report form to show: the one asked for (`?unit=`) if the user may report on it
/// and it is assigned, else the user's own unit if so.
fn form_unit(cu: &CurrentUser, asked: Option<&str>, assigned: &[String]) -> Option<String> {
    let actor = cu.actor();
    let ok = |u: &str| {
        assigned.iter().any(|a| a == u) && can(&actor, &Action::ReportOnAssignment { unit: u })
    };
    asked
        .filter(|u| ok(u))
        .map(str::to_string)
        .or_else(|| cu.user.unit.clone().filter(|u| ok(u)))
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn render_task(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: &str,
    task_id: &str,
    q: &PlanQuery,
    form: Option<ReportForm>,
    review: ReviewState,
    flash: Option<&str>,
) -> Result<TaskPage, PageError> {
    let st = load_state(state, plan_id, None).await?;
    let ts = st.task(task_id).ok_or(PageError::NotFound)?;
    let here = task_href(plan_id, task_id);
    let mut l = Layout::new(cu, "nav.plans", "task.title", &here);
    l.title = ts.task.title.clone();
    if let Some(key) = flash {
        l.flash = Some(l.t(key).to_string());
    }
    let units = units_by_slug(state).await?;
    // The task's reports with their texts (the plan's state carries them without) and their
    // attachments: a query each for the whole task.
    let reports = state.store.reports(plan_id, Some(task_id), None).await?;
    let attachments = state.store.attachments_of_task(plan_id, task_id).await?;
    let cx = Ctx {
        state,
        cu,
        plan_id,
        here: &here,
        lang: l.lang,
        units: &units,
        attachments: &attachments,
    };
    // The units searched for, the one asked for (or the user's own) first; only the page shown
    // is labelled (a task of every unit has dozens of assignments and hundreds of reports).
    let search = q.search();
    let mut chosen: Vec<(&AssignmentState, String)> = ts
        .assignments
        .iter()
        .map(|a| (a, unit_name(&units, cx.lang, &a.assignment.unit)))
        .filter(|(a, name)| {
            search_keeps(search.as_deref(), &format!("{} {name}", a.assignment.unit))
        })
        .collect();
    focus_first(
        &mut chosen,
        |(a, _)| a.assignment.unit.as_str(),
        q.unit.as_deref(),
        cu.user.unit.as_deref(),
    );
    let shown = q.paged(chosen, 10);
    let mut blocks: Vec<AssignmentBlock> = Vec::with_capacity(shown.items.len());
    for (a, name) in shown.items {
        blocks.push(assignment_block(&cx, &reports, &ts.task, a, name).await?);
    }
    let blocks = Paged {
        items: blocks,
        page: shown.page,
        pages: shown.pages,
        total: shown.total,
        base_query: shown.base_query,
    };
    let mut review = review;
    review.inline = blocks
        .items
        .iter()
        .flat_map(|b| b.reports.iter())
        .any(|r| r.id == review.report_id && r.reviewable);
    let (form, form_closed, form_errors) = report_form(&cx, ts, q, form);
    let mut page = task_page(&cx, &st, ts, l, blocks);
    page.q = q.q.clone().unwrap_or_default();
    page.form = form;
    page.form_closed = form_closed;
    page.form_errors = form_errors;
    page.review = review;
    Ok(page)
}

/// One unit's assignment: its periods and, for those who may read them, its reports.
async fn assignment_block(
    cx: &Ctx<'_>,
    reports: &[Report],
    task: &Task,
    a: &AssignmentState,
    name: String,
) -> Result<AssignmentBlock, PageError> {
    let slug = a.assignment.unit.clone();
    let actor = cx.cu.actor();
    let own = cx.cu.user.unit.as_deref() == Some(slug.as_str());
    let visible = can(&actor, &Action::ViewReports { unit: &slug });
    let mut views = Vec::new();
    if visible {
        let may_review = can(&actor, &Action::ReviewReport);
        for e in unit_reports(reports, &task.id, &slug) {
            views.push(report_view(cx, e.report, e.open_to_review() && may_review).await?);
        }
    }
    let reportable = can(&actor, &Action::ReportOnAssignment { unit: &slug });
    Ok(AssignmentBlock {
        head: head_of(cx.units, &slug),
        unit: name,
        status_key: status_key(a.status),
        status_class: status_class(a.status),
        progress: a.assignment.progress_pct,
        own,
        periods: a
            .periods
            .iter()
            .map(|p| PeriodView {
                label: period_label(cx.lang, &p.period.key),
                due: dates::date(p.period.due),
                status_key: status_key(p.status),
                status_class: status_class(p.status),
                late: p.late,
                missing: p.missing,
            })
            .collect(),
        reports_visible: visible,
        reports: views,
        report_href: (reportable && !own)
            .then(|| format!("{}?unit={}#report-form", cx.here, seg(&slug))),
        slug,
    })
}

/// One report version as shown, with its attachments.
async fn report_view(cx: &Ctx<'_>, r: &Report, reviewable: bool) -> Result<ReportView, PageError> {
    let attachments = cx
        .attachments
        .get(&r.id)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|f| AttachmentView {
            href: format!("/plans/{}/attachments/{}", seg(cx.plan_id), f.id),
            name: f.file_name.clone(),
            size: size_text(cx.lang, f.size_bytes),
        })
        .collect();
    let (decision_key, decision_class) = match r.decision {
        Some(Decision::Accepted) => ("report.accepted", "good"),
        Some(Decision::Returned) => ("report.returned", "bad"),
        None => ("report.pending", ""),
    };
    Ok(ReportView {
        id: r.id,
        period: period_label(cx.lang, &r.period),
        version: r.version,
        submitted_on: dates::date(r.submitted_on),
        submitted_by: crate::names::user_name(cx.state, cx.lang, &r.submitted_by).await?,
        done: lines(&r.done),
        problems: lines(&r.problems),
        proposals: lines(&r.proposals),
        progress: r.progress_pct,
        decision_key,
        decision_class,
        comment: lines(r.review_comment.as_deref().unwrap_or("")),
        reviewed_by: crate::names::user_name(
            cx.state,
            cx.lang,
            r.reviewed_by.as_deref().unwrap_or_default(),
        )
        .await?,
        attachments,
        reviewable,
        review_action: format!("/plans/{}/reports/{}/review", seg(cx.plan_id), r.id),
    })
}

/// The report form for the unit asked for or the user's own (with what was typed, if any);
/// whether it is closed (every period accepted); errors that have no form to stand beside.
fn report_form(
    cx: &Ctx<'_>,
    ts: &TaskState,
    q: &PlanQuery,
    form: Option<ReportForm>,
) -> (Option<ReportForm>, bool, Vec<String>) {
    let assigned: Vec<String> = ts
        .assignments
        .iter()
        .map(|a| a.assignment.unit.clone())
        .collect();
    let asked = form
        .as_ref()
        .map(|f| f.unit.clone())
        .or_else(|| q.unit.clone());
    let Some(u) = form_unit(cx.cu, asked.as_deref(), &assigned) else {
        let errors = form.map(|f| f.errors.into_values().collect());
        return (None, false, errors.unwrap_or_default());
    };
    let lang = cx.lang;
    let a = ts.assignments.iter().find(|a| a.assignment.unit == u);
    let periods: Vec<(String, String)> = a
        .map(|a| open_periods(&a.periods))
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            (
                p.period.key.clone(),
                format!(
                    "{} — {} {} — {}",
                    period_label(lang, &p.period.key),
                    i18n::t(lang, "task.due"),
                    dates::date(p.period.due),
                    i18n::t(lang, status_key(p.status))
                ),
            )
        })
        .collect();
    let mut f = form.unwrap_or_else(|| ReportForm {
        progress: a
            .map(|a| a.assignment.progress_pct.to_string())
            .unwrap_or_default(),
        ..Default::default()
    });
    if periods.is_empty() && f.errors.is_empty() {
        return (None, true, Vec::new());
    }
    if f.period.is_empty() {
        // The earliest open period first: overdue ones before the current one.
        f.period = periods.first().map(|(k, _)| k.clone()).unwrap_or_default();
    }
    f.unit_name = unit_name(cx.units, lang, &u);
    f.unit = u;
    f.periods = periods;
    (Some(f), false, Vec::new())
}

/// The page around the assignments: the task's description, who leads it, its deadline and
/// the findings, targets and criteria it answers; the rows and the forms are filled by the caller.
fn task_page(
    cx: &Ctx<'_>,
    st: &PlanState,
    ts: &TaskState,
    l: Layout,
    rows: Paged<AssignmentBlock>,
) -> TaskPage {
    let t = &ts.task;
    let lang = cx.lang;
    let plan = seg(cx.plan_id);
    let lead_slug = t.lead_agency.clone().unwrap_or_default();
    let title_of = |list: &[(String, String)], id: &str| {
        list.iter()
            .find(|(x, _)| x == id)
            .map(|(_, title)| title.clone())
            .unwrap_or_default()
    };
    let findings: Vec<(String, String)> = st
        .doc
        .findings
        .iter()
        .map(|x| (x.id.clone(), x.title.clone()))
        .collect();
    let targets: Vec<(String, String)> = st
        .doc
        .targets
        .iter()
        .map(|x| (x.id.clone(), x.title.clone()))
        .collect();
    TaskPage {
        nav: PlanNav::new(cx.cu, cx.plan_id, ""),
        today: dates::date(st.today),
        section: t.section.clone(),
        status_key: status_key(ts.status),
        status_class: status_class(ts.status),
        description: lines(&t.description),
        deliverable: t.deliverable.clone(),
        lead: unit_name(cx.units, lang, &lead_slug),
        lead_head: head_of(cx.units, &lead_slug),
        coordinating: t
            .coordinating
            .iter()
            .map(|s| unit_name(cx.units, lang, s))
            .collect::<Vec<_>>()
            .join(", "),
        deadline: crate::pages::plans::deadline_words(lang, &t.deadline),
        findings: t
            .findings
            .iter()
            .map(|f| {
                let href = format!("/plans/{plan}#finding-{f}");
                (f.clone(), title_of(&findings, f), href)
            })
            .collect(),
        targets: t
            .targets
            .iter()
            .map(|x| {
                let href = format!("/plans/{plan}#target-{x}");
                (x.clone(), title_of(&targets, x), href)
            })
            .collect(),
        criteria: t
            .criteria
            .iter()
            .map(|c| {
                let edition = seg(&st.doc.plan.edition_id);
                (
                    c.clone(),
                    format!("/editions/{edition}/criteria/{}", seg(c)),
                )
            })
            .collect(),
        q: String::new(),
        rows,
        form: None,
        form_action: format!("{}/reports", cx.here),
        form_closed: false,
        form_errors: Vec::new(),
        review: ReviewState::default(),
        l,
    }
}

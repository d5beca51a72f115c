//! One task of the plan: its description and links, every assignment with its periods, the
//! report versions (immutable, newest first) and their review; the report form for a unit's
//! own assignment (multipart, with attachments); the coordinator's accept / return; attachment
//! downloads.
//!
//! Rules: everyone who may view the plan sees the task and every assignment's status; the
//! reports themselves (and their attachments) only with `ViewReports { unit }` (coordinator,
//! leader, that unit's users); a report is submitted with `ReportOnAssignment { unit }` (that
//! unit's users, the coordinator); the review needs `ReviewReport` (coordinator).

use crate::auth::Authed;
use crate::error::PageError;
use crate::export::{content_type_of, safe_file_name};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::plans::{
    load_state, multipart_error, own_scope, seg, task_href, PlanNav, PlanQuery,
};
use crate::pages::{require, Paged};
use crate::refusals::ReviewPlace;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use parindex_domain::access::Action;
use parindex_domain::plan::Decision;
use parindex_store::{NewAttachment, ReportInput, StoreError, ATTACHMENT_LIMIT};
use serde::Deserialize;
use std::collections::BTreeMap;

mod sent;
mod task_page;

pub(crate) use sent::checked_form;
use task_page::render_task;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans/{id}/tasks/{task}", get(task_view))
        .route("/plans/{id}/tasks/{task}/reports", post(submit))
        .route("/plans/{id}/reports/{report}/review", post(review))
        .route("/plans/{id}/attachments/{att}", get(attachment))
}

/// The most files one report may carry.
pub const MAX_ATTACHMENTS: usize = 10;

pub struct PeriodView {
    pub label: String,
    pub due: String,
    pub status_key: &'static str,
    pub status_class: &'static str,
    pub late: bool,
    pub missing: bool,
}

pub struct AttachmentView {
    pub href: String,
    pub name: String,
    pub size: String,
}

pub struct ReportView {
    pub id: i64,
    pub period: String,
    pub version: i64,
    pub submitted_on: String,
    pub submitted_by: String,
    pub done: Vec<String>,
    pub problems: Vec<String>,
    pub proposals: Vec<String>,
    pub progress: u8,
    pub decision_key: &'static str,
    pub decision_class: &'static str,
    pub comment: Vec<String>,
    pub reviewed_by: String,
    pub attachments: Vec<AttachmentView>,
    /// The latest version of its period and not yet decided: the coordinator may review it.
    pub reviewable: bool,
    pub review_action: String,
}

pub struct AssignmentBlock {
    pub slug: String,
    pub unit: String,
    pub head: String,
    pub status_key: &'static str,
    pub status_class: &'static str,
    pub progress: u8,
    pub own: bool,
    pub periods: Vec<PeriodView>,
    pub reports_visible: bool,
    pub reports: Vec<ReportView>,
    /// Link to this unit's report form (coordinator reporting for a unit).
    pub report_href: Option<String>,
}

/// The report form as shown, with what was typed and the errors beside the fields.
#[derive(Default)]
pub struct ReportForm {
    pub unit: String,
    pub unit_name: String,
    pub periods: Vec<(String, String)>,
    pub period: String,
    pub done: String,
    pub problems: String,
    pub proposals: String,
    pub progress: String,
    pub errors: BTreeMap<&'static str, String>,
}

impl ReportForm {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// A review that failed, shown beside its form.
#[derive(Default)]
pub struct ReviewState {
    pub report_id: i64,
    pub decision: String,
    pub comment: String,
    pub error: Option<String>,
    pub comment_error: Option<String>,
    /// The report's review form is on the page (errors go beside it); else at the top.
    pub inline: bool,
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    l: Layout,
    nav: PlanNav,
    today: String,
    section: String,
    status_key: &'static str,
    status_class: &'static str,
    description: Vec<String>,
    deliverable: String,
    lead: String,
    lead_head: String,
    coordinating: String,
    deadline: String,
    findings: Vec<(String, String, String)>,
    targets: Vec<(String, String, String)>,
    criteria: Vec<(String, String)>,
    q: String,
    rows: Paged<AssignmentBlock>,
    form: Option<ReportForm>,
    form_action: String,
    form_closed: bool,
    /// Errors of a report that could not be shown beside a form (e.g. the unit is not assigned).
    form_errors: Vec<String>,
    review: ReviewState,
}

async fn task_view(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path((id, task)): Path<(String, String)>,
    Query(q): Query<PlanQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewPlan)?;
    let flash = match q.done.as_deref() {
        Some("submitted") => Some("report.submitted"),
        Some("accepted") => Some("report.was_accepted"),
        Some("returned") => Some("report.was_returned"),
        _ => None,
    };
    let page = render_task(
        &state,
        &cu,
        &id,
        &task,
        &q,
        None,
        ReviewState::default(),
        flash,
    )
    .await?;
    Ok(Html(page.render()?))
}

/// What the multipart report form (or the API's JSON, `api::plan`) sent.
#[derive(Default)]
pub(crate) struct Submitted {
    pub(crate) fields: BTreeMap<String, String>,
    pub(crate) files: Vec<NewAttachment>,
    pub(crate) too_large: Vec<String>,
    pub(crate) too_many: bool,
}

impl Submitted {
    pub(crate) fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

/// Text fields at most 64 KB each; files at most [`ATTACHMENT_LIMIT`] each (an over-size file
/// is read to its end and dropped, and named in the errors).
async fn read_report_form(mut mp: Multipart) -> Result<Submitted, PageError> {
    let mut out = Submitted::default();
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let raw_name = field.file_name().unwrap_or_default().trim().to_string();
        let is_file = name == "attachments";
        let max = if is_file { ATTACHMENT_LIMIT } else { 64 * 1024 };
        let mut buf: Vec<u8> = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if over || buf.len() + chunk.len() > max {
                over = true;
                buf.clear();
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if is_file {
            let file_name = safe_file_name(&raw_name);
            if over {
                out.too_large.push(file_name);
                continue;
            }
            if raw_name.is_empty() && buf.is_empty() {
                // No file chosen: browsers still send an empty part.
                continue;
            }
            if out.files.len() >= MAX_ATTACHMENTS {
                out.too_many = true;
                continue;
            }
            out.files.push(NewAttachment {
                content_type: content_type_of(&file_name).to_string(),
                file_name,
                content: buf,
            });
        } else if !over {
            out.fields
                .insert(name, String::from_utf8_lossy(&buf).into_owned());
        }
    }
    Ok(out)
}

async fn submit(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path((id, task)): Path<(String, String)>,
    mp: Multipart,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    let sent = read_report_form(mp).await?;
    let unit = {
        let u = sent.field("unit");
        if u.trim().is_empty() {
            cu.user.unit.clone().unwrap_or_default()
        } else {
            u.trim().to_string()
        }
    };
    require(&cu, &Action::ReportOnAssignment { unit: &unit })?;
    let st = load_state(&state, &id, Some(&unit)).await?;
    let ts = st.task(&task).ok_or(PageError::NotFound)?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k| i18n::t(lang, k).to_string();
    let (mut form, progress) = checked_form(&sent, &unit, &st, ts, lang);
    if form.errors.is_empty() {
        let input = ReportInput {
            period: form.period.clone(),
            done: form.done.clone(),
            problems: form.problems.clone(),
            proposals: form.proposals.clone(),
            progress_pct: progress.unwrap_or(0),
        };
        match state
            .store
            .submit_report(
                &id,
                &task,
                &unit,
                &input,
                &sent.files,
                state.today(),
                &st.calendar,
                &cu.user.username,
            )
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "{}?unit={}&done=submitted#unit-{}",
                    task_href(&id, &task),
                    seg(&unit),
                    seg(&unit)
                ))
                .into_response())
            }
            Err(StoreError::Invalid(m)) => {
                for (field, text) in crate::refusals::report(lang, &m) {
                    form.errors.insert(field, text);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !sent.files.is_empty() || !sent.too_large.is_empty() {
        form.errors
            .entry("files_again")
            .or_insert_with(|| t("report.files_again"));
    }
    let q = PlanQuery {
        unit: Some(unit.clone()),
        ..Default::default()
    };
    let page = render_task(
        &state,
        &cu,
        &id,
        &task,
        &q,
        Some(form),
        ReviewState::default(),
        None,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: Option<String>,
    comment: Option<String>,
}

async fn review(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path((id, report_id)): Path<(String, i64)>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ReviewReport)?;
    let (plan_id, report) = state
        .store
        .report(report_id)
        .await?
        .ok_or(PageError::NotFound)?;
    if plan_id != id {
        return Err(PageError::NotFound);
    }
    let lang = Lang::parse(&cu.user.lang);
    let t = |k| i18n::t(lang, k).to_string();
    let comment = f.comment.clone().unwrap_or_default();
    let decision = match f.decision.as_deref().map(str::trim) {
        Some("accepted" | "accept") => Some(Decision::Accepted),
        Some("returned" | "return") => Some(Decision::Returned),
        _ => None,
    };
    let mut rs = ReviewState {
        report_id,
        decision: f.decision.clone().unwrap_or_default(),
        comment: comment.clone(),
        ..Default::default()
    };
    match decision {
        None => rs.error = Some(t("report.decision_required")),
        Some(Decision::Returned) if comment.trim().is_empty() => {
            rs.comment_error = Some(t("report.comment_required"))
        }
        Some(d) => {
            match state
                .store
                .review_report(report_id, d, &comment, &cu.user.username, state.today())
                .await
            {
                Ok(_) => {
                    let done = match d {
                        Decision::Accepted => "accepted",
                        Decision::Returned => "returned",
                    };
                    return Ok(Redirect::to(&format!(
                        "{}?unit={}&done={done}#unit-{}",
                        task_href(&id, &report.task_id),
                        seg(&report.unit),
                        seg(&report.unit)
                    ))
                    .into_response());
                }
                Err(StoreError::Invalid(m)) => match crate::refusals::review(&m) {
                    (ReviewPlace::Comment, key) => rs.comment_error = Some(t(key)),
                    (ReviewPlace::Form, key) => rs.error = Some(t(key)),
                },
                Err(e) => return Err(e.into()),
            }
        }
    }
    let q = PlanQuery {
        unit: Some(report.unit.clone()),
        ..Default::default()
    };
    let page = render_task(&state, &cu, &id, &report.task_id, &q, None, rs, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// Download an attachment: only for those who may read that unit's reports, and only through
/// the plan it belongs to.
async fn attachment(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path((id, att)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    let (info, unit, bytes) = state
        .store
        .attachment(att)
        .await?
        .ok_or(PageError::NotFound)?;
    require(&cu, &Action::ViewReports { unit: &unit })?;
    let report_id = info.report_id.ok_or(PageError::NotFound)?;
    let (plan_id, _) = state
        .store
        .report(report_id)
        .await?
        .ok_or(PageError::NotFound)?;
    if plan_id != id {
        return Err(PageError::NotFound);
    }
    // Unit-bound users reach only their own unit's files (also checked by the policy above).
    if let Some(own) = own_scope(&cu) {
        if own != unit {
            return Err(PageError::Forbidden);
        }
    }
    Ok(crate::download::attachment(
        content_type_of(&info.file_name),
        &info.file_name,
        bytes,
    ))
}

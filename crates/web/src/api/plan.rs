//! The plan through the API: a unit's tasks and their periods, a monthly report submitted (its
//! text and attachments, base64 in JSON), and the reports with their reviews. The same rules as
//! the task page: `domain::plan::report_form` checks the report (through the page's
//! `checked_form`), `Store::submit_report` keeps it, the attachment limits are the form's
//! (`ATTACHMENT_LIMIT` each, `MAX_ATTACHMENTS` per report).

use super::paging::{paged, PageQuery};
use super::{allow, page_error};
use crate::auth::{Authed, CurrentUser};
use crate::export::{content_type_of, safe_file_name};
use crate::i18n::Lang;
use crate::pages::plan_reports::{checked_form, Submitted, MAX_ATTACHMENTS};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use parindex_domain::access::{can, Action};
use parindex_store::{NewAttachment, ReportInput, StoreError, ATTACHMENT_LIMIT};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/plans/{id}/my-tasks", get(my_tasks))
        .route(
            "/api/v1/plans/{id}/tasks/{task}/reports",
            post(submit_report),
        )
        .route("/api/v1/plans/{id}/reports", get(reports))
}

/// The largest report body: the form's (`BODY_LIMIT`) grown by base64's third.
pub const REPORT_JSON_LIMIT: usize = crate::BODY_LIMIT / 3 * 4 + 64 * 1024;

#[derive(Deserialize)]
struct UnitQuery {
    unit: Option<String>,
    task: Option<String>,
}

/// The unit a request is about: a unit-bound user's own, whatever is asked; for others the
/// one asked for, else their own.
fn unit_of(cu: &CurrentUser, asked: Option<&str>) -> Option<String> {
    let asked = asked.map(str::trim).filter(|u| !u.is_empty());
    if cu.role().needs_unit() {
        cu.user.unit.clone()
    } else {
        asked.map(str::to_string).or_else(|| cu.user.unit.clone())
    }
}

async fn plan_state(
    s: &AppState,
    id: &str,
    unit: Option<&str>,
) -> Result<std::sync::Arc<parindex_store::PlanState>, ApiError> {
    s.store
        .plan_state_shared(id, s.today(), unit)
        .await
        .map_err(ApiError::from)
}

/// `GET /api/v1/plans/{id}/my-tasks`: the unit's assignments in the plan's order, each with its
/// status, progress, the period to report on next and every period due so far.
async fn my_tasks(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewPlan)?;
    let unit = unit_of(&cu, q.unit.as_deref())
        .ok_or_else(|| ApiError::bad_request("the query parameter 'unit' is required"))?;
    let st = plan_state(&s, &id, Some(&unit)).await?;
    let rows: Vec<Value> = st
        .tasks
        .iter()
        .flat_map(|ts| {
            ts.assignments
                .iter()
                .filter(|a| a.assignment.unit == unit)
                .map(move |a| {
                    json!({
                        "task": ts.task.id,
                        "section": ts.task.section,
                        "title": ts.task.title,
                        "lead_agency": ts.task.lead_agency,
                        "deadline": ts.task.deadline,
                        "unit": a.assignment.unit,
                        "status": a.status,
                        "progress_pct": a.assignment.progress_pct,
                        "open_period": a.open_period,
                        "periods": a.periods,
                    })
                })
        })
        .collect();
    let mut page = paged(rows, &pq)?;
    page["today"] = json!(st.today);
    Ok(Json(page))
}

/// One attachment of a report sent as JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentBody {
    file_name: String,
    /// The file's bytes, base64 (standard alphabet, padding optional).
    content_base64: String,
}

/// The body of `POST /api/v1/plans/{id}/tasks/{task}/reports`: the task page's form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    unit: Option<String>,
    period: String,
    done: String,
    #[serde(default)]
    problems: String,
    #[serde(default)]
    proposals: String,
    progress_pct: Option<u32>,
    #[serde(default)]
    attachments: Vec<AttachmentBody>,
}

/// The report as the form would have sent it: files decoded, an over-size one named, more than
/// [`MAX_ATTACHMENTS`] flagged (the form's own checks then refuse them).
fn as_submitted(b: ReportBody, lang: Lang) -> Result<Submitted, ApiError> {
    let mut sent = Submitted::default();
    for (k, v) in [
        ("period", b.period),
        ("done", b.done),
        ("problems", b.problems),
        ("proposals", b.proposals),
        (
            "progress_pct",
            b.progress_pct.map(|p| p.to_string()).unwrap_or_default(),
        ),
    ] {
        sent.fields.insert(k.to_string(), v);
    }
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    for a in b.attachments {
        let file_name = safe_file_name(a.file_name.trim());
        let content = engine.decode(a.content_base64.trim()).map_err(|_| {
            ApiError::fields(vec![(
                "attachments".into(),
                format!("«{file_name}»: {}", crate::i18n::t(lang, "api.not_base64")),
            )])
        })?;
        if content.len() > ATTACHMENT_LIMIT {
            sent.too_large.push(file_name);
        } else if sent.files.len() >= MAX_ATTACHMENTS {
            sent.too_many = true;
        } else {
            sent.files.push(NewAttachment {
                content_type: content_type_of(&file_name).to_string(),
                file_name,
                content,
            });
        }
    }
    Ok(sent)
}

/// `POST /api/v1/plans/{id}/tasks/{task}/reports`: a monthly report of the caller's unit (or,
/// for the coordinator, of the unit named), refused field by field (422) like the form; 201
/// with the version stored (the same report sent again answers the stored one).
async fn submit_report(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path((id, task)): Path<(String, String)>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    allow(&cu, &Action::ViewPlan)?;
    // Authorised before the body is read: a unit-bound user reports for its own unit (the
    // coordinator for any, named in the body, asked again below).
    allow(
        &cu,
        &Action::ReportOnAssignment {
            unit: &unit_of(&cu, None).unwrap_or_default(),
        },
    )?;
    let lang = Lang::parse(&cu.user.lang);
    let body: ReportBody = super::json_body_limited(req, lang, REPORT_JSON_LIMIT).await?;
    let unit = unit_of(&cu, body.unit.as_deref()).unwrap_or_default();
    allow(&cu, &Action::ReportOnAssignment { unit: &unit })?;
    let st = plan_state(&s, &id, Some(&unit)).await?;
    let ts = st
        .task(&task)
        .ok_or_else(|| ApiError::from(StoreError::NotFound(format!("task '{task}'"))))?;
    let sent = as_submitted(body, lang)?;
    let (form, progress) = checked_form(&sent, &unit, &st, ts, lang);
    if !form.errors.is_empty() {
        return Err(ApiError::fields(
            form.errors
                .iter()
                .map(|(f, m)| (f.to_string(), m.clone()))
                .collect(),
        ));
    }
    let input = ReportInput {
        period: form.period.clone(),
        done: form.done.clone(),
        problems: form.problems.clone(),
        proposals: form.proposals.clone(),
        progress_pct: progress.unwrap_or(0),
    };
    let stored = s
        .store
        .submit_report(
            &id,
            &task,
            &unit,
            &input,
            &sent.files,
            s.today(),
            &st.calendar,
            &cu.actor_name(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(r) => ApiError::refused(lang, &r),
            other => ApiError::from(other),
        })?;
    let attachments = s.store.attachments_of(stored.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "report": stored, "attachments": attachments })),
    ))
}

/// `GET /api/v1/plans/{id}/reports`: report versions with their review (decision, comment,
/// reviewer, day), newest first; a unit-bound user's own unit only; `?task=`, `?unit=`.
async fn reports(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Query(q): Query<UnitQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewPlan)?;
    let unit = if cu.role().needs_unit() {
        Some(cu.user.unit.clone().ok_or_else(ApiError::forbidden)?)
    } else {
        q.unit.clone().filter(|u| !u.trim().is_empty())
    };
    match unit.as_deref() {
        Some(u) => allow(&cu, &Action::ViewReports { unit: u })?,
        // Every unit's: only a role that reads any unit's reports (no unit matches "").
        None if can(&cu.actor(), &Action::ViewReports { unit: "" }) => {}
        None => return Err(ApiError::forbidden()),
    }
    if s.store.plan(&id).await?.is_none() {
        return Err(page_error(crate::PageError::NotFound));
    }
    let mut rows = s
        .store
        .reports(&id, q.task.as_deref(), unit.as_deref())
        .await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    let mut page = paged(rows, &pq)?;
    if let Some(items) = page["items"].as_array_mut() {
        for r in items.iter_mut() {
            let Some(rid) = r["id"].as_i64() else {
                continue;
            };
            r["attachments"] = json!(s.store.attachments_of(rid).await?);
        }
    }
    Ok(Json(page))
}

//! The JSON API, version 1: the same resources as the pages, the same authorization — a session
//! cookie (state changes also need the `x-csrf-token` header) or an API token
//! (`Authorization: Bearer …`, `auth::bearer`; no CSRF). Every list is paged (`paging`).
//! Described by `/api/v1/openapi.json`.

mod assessment;
mod paging;
mod plan;

use paging::{envelope, paged, PageQuery};

use crate::auth::Authed;
use crate::i18n::{t, Lang};
use crate::pages::units::problem_key;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use parindex_domain::access::{can, Action};
use parindex_domain::units::{slug_problem, FieldProblem, UnitEdit};
use parindex_store::{AuditFilter, Backend};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/editions", get(editions))
        .route("/api/v1/editions/{id}", get(edition))
        .route("/api/v1/editions/{id}/results", get(results))
        .route("/api/v1/editions/{id}/gap", get(gap))
        .route("/api/v1/units", get(units))
        .route("/api/v1/units/{slug}", get(unit).put(update_unit))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/users", get(users))
        .merge(plan::routes())
        .merge(assessment::routes())
}

/// A refusal met through the pages' shared checks (`pages::assessments::viewable`, …), as
/// the API answers it.
fn page_error(e: crate::PageError) -> ApiError {
    use crate::PageError as P;
    match e {
        P::Forbidden => ApiError::forbidden(),
        P::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not found"),
        P::Refused(r) => ApiError::refused(Lang::En, &r),
        P::Fault(f) => {
            let (status, key) = crate::error::fault_status(f);
            ApiError::new(status, t(Lang::En, key))
        }
        _ => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        ),
    }
}

fn allow(cu: &crate::auth::CurrentUser, action: &Action<'_>) -> Result<(), ApiError> {
    if can(&cu.actor(), action) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// How long `/health` waits for the database before it answers 503.
pub const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// `200 {"status": "ok"}` when the database answers within [`HEALTH_TIMEOUT`]; otherwise
/// `503 {"status": "unavailable", "error": …}` with `Retry-After`, at once.
async fn health(State(s): State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let db = match s.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let answers = match tokio::time::timeout(HEALTH_TIMEOUT, s.store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: the database does not answer");
            false
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer in time");
            false
        }
    };
    let version = env!("CARGO_PKG_VERSION");
    if answers {
        Json(json!({ "status": "ok", "database": db, "version": version })).into_response()
    } else {
        let mut res = (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "database": db,
                "version": version,
                "error": "the database cannot be reached",
            })),
        )
            .into_response();
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(crate::error::RETRY_AFTER_SECONDS),
        );
        res
    }
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

async fn me(Authed(cu): Authed) -> Json<Value> {
    let token = cu
        .token
        .as_ref()
        .map(|t| json!({ "id": t.id, "name": t.name, "scope": t.scope }));
    Json(
        json!({ "username": cu.user.username, "display_name": cu.user.display_name, "role": cu.user.role, "unit": cu.user.unit, "lang": cu.user.lang, "token": token }),
    )
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

fn search(q: &SearchQuery) -> Option<&str> {
    q.q.as_deref().map(str::trim).filter(|x| !x.is_empty())
}

async fn editions(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewEditions)?;
    Ok(Json(paged(s.store.editions(search(&q)).await?, &pq)?))
}

async fn edition(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewEditions)?;
    let e = s.store.edition(&id).await?.ok_or_else(|| {
        ApiError::from(parindex_store::StoreError::NotFound(format!(
            "edition '{id}'"
        )))
    })?;
    Ok(Json(json!(e)))
}

async fn results(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewResults)?;
    let r = s.store.ranked_results(&id).await?;
    // The table's rows paged like every list, with the table's own fields beside them.
    let mut page = paged(r.rows, &pq)?;
    page["edition_id"] = json!(r.edition_id);
    page["edition_name"] = json!(r.edition_name);
    page["complete"] = json!(r.complete);
    page["peer_count"] = json!(r.peer_count);
    Ok(Json(page))
}

#[derive(Deserialize)]
struct GapQuery {
    subject: Option<String>,
    target_rank: Option<u32>,
}

async fn gap(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Query(q): Query<GapQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewGap)?;
    let subject = q
        .subject
        .filter(|x| !x.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("the query parameter 'subject' is required"))?;
    if q.target_rank == Some(0) {
        return Err(ApiError::bad_request("target_rank starts at 1"));
    }
    Ok(Json(json!(
        s.store.gap_report(&id, &subject, q.target_rank).await?
    )))
}

async fn units(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewUnits)?;
    Ok(Json(paged(s.store.units(search(&q)).await?, &pq)?))
}

async fn unit(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewUnits)?;
    let u = s.store.unit(&slug).await?.ok_or_else(|| {
        ApiError::from(parindex_store::StoreError::NotFound(format!(
            "unit '{slug}'"
        )))
    })?;
    Ok(Json(json!(u)))
}

/// The body of `PUT /api/v1/units/{slug}`: any of the four fields (absent: kept; empty: cleared,
/// except `name_vi`); any other field is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitUpdate {
    name_vi: Option<String>,
    name_en: Option<String>,
    head_name: Option<String>,
    head_title: Option<String>,
}

/// The largest JSON body an API write reads (as a form: [`crate::FORM_LIMIT`]).
const JSON_LIMIT: usize = crate::FORM_LIMIT;

/// A JSON body, read (at most [`JSON_LIMIT`] bytes) only once the caller is authorised: 415
/// when it is not JSON, 413 when too large, 400 when it does not parse as `T`.
async fn json_body<T: serde::de::DeserializeOwned>(
    req: Request,
    lang: Lang,
) -> Result<T, ApiError> {
    json_body_limited(req, lang, JSON_LIMIT).await
}

/// [`json_body`] with its own limit (a report's base64 attachments: `plan::REPORT_JSON_LIMIT`).
async fn json_body_limited<T: serde::de::DeserializeOwned>(
    req: Request,
    lang: Lang,
    limit: usize,
) -> Result<T, ApiError> {
    let json = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            t(lang, "api.bad_body"),
        ));
    }
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, t(lang, "api.too_large")))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        tracing::debug!(error = %e, "a JSON body refused");
        ApiError::bad_request(t(lang, "api.bad_body"))
    })
}

/// The API's field problems, in the user's language, from the same catalogue as the form.
fn field_problems(lang: Lang, problems: &[(&'static str, FieldProblem)]) -> ApiError {
    ApiError::fields(
        problems
            .iter()
            .map(|(f, p)| (f.to_string(), t(lang, problem_key(*p)).to_string()))
            .collect(),
    )
}

/// `PUT /api/v1/units/{slug}`: the unit page's form as JSON, held to the same rules
/// ([`UnitEdit`]): a refused field is named in a 422 and nothing is stored.
async fn update_unit(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    // Authorise before reading the body.
    allow(&cu, &Action::EditUnit { unit: &slug })?;
    let lang = Lang::parse(&cu.user.lang);
    if let Some(p) = slug_problem(&slug) {
        return Err(field_problems(lang, &[("slug", p)]));
    }
    let body: UnitUpdate = json_body(req, lang).await?;
    let mut u = s.store.unit(&slug).await?.ok_or_else(|| {
        ApiError::from(parindex_store::StoreError::NotFound(format!(
            "unit '{slug}'"
        )))
    })?;
    let edit = UnitEdit {
        name_vi: body.name_vi,
        name_en: body.name_en,
        head_name: body.head_name,
        head_title: body.head_title,
    };
    edit.apply(&mut u)
        .map_err(|problems| field_problems(lang, &problems))?;
    s.store
        .save_units(std::slice::from_ref(&u), &cu.actor_name())
        .await
        .map_err(|e| match e {
            parindex_store::StoreError::Invalid(r) => ApiError::refused(lang, &r),
            other => ApiError::from(other),
        })?;
    Ok(Json(json!(s.store.unit(&slug).await?)))
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    unit: Option<String>,
    entity: Option<String>,
    /// The older way to page (kept): rows to take and to skip; `page`/`per_page` win.
    limit: Option<i64>,
    offset: Option<i64>,
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn audit(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let unit = if can(&cu.actor(), &Action::ViewAudit { unit: None }) {
        q.unit
    } else {
        allow(
            &cu,
            &Action::ViewAudit {
                unit: cu.user.unit.as_deref(),
            },
        )?;
        cu.user.unit.clone()
    };
    let pq = PageQuery {
        page: q.page,
        per_page: q.per_page,
    };
    let (offset, limit) = if q.page.is_some() || q.per_page.is_some() {
        pq.offset_limit()?
    } else {
        let limit = q.limit.unwrap_or(100).clamp(1, 1000);
        (q.offset.unwrap_or(0).max(0), limit)
    };
    let f = AuditFilter {
        actor: q.actor,
        unit,
        entity: q.entity,
        since: None,
        until: None,
        limit,
        offset,
    };
    let total = s.store.audit_count(&f).await?;
    let per_page = usize::try_from(limit).unwrap_or(1);
    let page = usize::try_from(offset).unwrap_or(0) / per_page + 1;
    let rows = s.store.audit_log(&f).await?;
    Ok(Json(envelope(rows, page, per_page, total)))
}

async fn users(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ManageUsers)?;
    Ok(Json(paged(s.store.users(search(&q)).await?, &pq)?))
}

//! `POST /api/v1/dossiers`: the one-stop-shop software pushes dossiers as JSON (up to
//! [`parindex_interchange::dossiers::BATCH_MAX`] per batch), checked with the file import's row rules and stored by
//! [`parindex_ingest::push::push`] in one transaction. Documented in `docs/api.md` ("Pushing
//! dossiers"), `docs/dossiers.md` and the OpenAPI document.
//!
//! Authorized before the body is read (`Action::PushDossiers`), then per dossier
//! (`Action::PushDossierOf`: a unit user pushes only its own agency's). The body's size is
//! checked from `Content-Length` before anything is read, and read with the same limit.

use crate::auth::Authed;
use crate::i18n::{t, Lang};
use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use parindex_domain::access::{can, Action};
use parindex_ingest::push::{PushProblem, PushSummary};
use parindex_ingest::IngestError;
use parindex_interchange::dossiers::BatchProblem;
use serde_json::{json, Value};

/// The largest body read (10,000 dossiers of the usual size take about 3 MiB).
pub const PUSH_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/dossiers", post(push))
}

/// A message of the catalogue with its `{placeholders}` filled.
fn fill(lang: Lang, key: &str, values: &[(&str, String)]) -> String {
    let mut text = t(lang, key).to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// A batch refused whole: `{"error", "kind", "message_vi", "message_en", …details}`.
fn refuse_batch(
    lang: Lang,
    status: StatusCode,
    kind: &str,
    key: &str,
    values: &[(&str, String)],
) -> Response {
    let mut body = json!({
        "error": fill(lang, key, values),
        "kind": kind,
        "message_vi": fill(Lang::Vi, key, values),
        "message_en": fill(Lang::En, key, values),
    });
    for (name, value) in values {
        body[*name] = value
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(value));
    }
    (status, Json(body)).into_response()
}

fn batch_problem(lang: Lang, p: &BatchProblem) -> Response {
    match p {
        BatchProblem::TooMany { max } => refuse_batch(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many",
            "api.push.too_many",
            &[("max", max.to_string())],
        ),
        BatchProblem::Syntax { line, column } => refuse_batch(
            lang,
            StatusCode::BAD_REQUEST,
            "not_json",
            "api.push.not_json",
            &[("line", line.to_string()), ("column", column.to_string())],
        ),
        BatchProblem::NotABatch => refuse_batch(
            lang,
            StatusCode::BAD_REQUEST,
            "not_a_batch",
            "api.push.not_a_batch",
            &[],
        ),
    }
}

fn too_large(lang: Lang) -> Response {
    refuse_batch(
        lang,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "api.push.too_large",
        &[("max", (PUSH_BODY_LIMIT / (1024 * 1024)).to_string())],
    )
}

/// A refused dossier in words.
fn problem_text(lang: Lang, p: &PushProblem) -> String {
    match p {
        PushProblem::Row(r) => crate::refusals::row_problem(lang, r),
        PushProblem::Repeated { first } => fill(
            lang,
            "refusal.push.repeated",
            &[("first", first.to_string())],
        ),
        PushProblem::NotYourAgency => t(lang, "refusal.push.not_your_agency").to_string(),
        PushProblem::CellFromFile { import_id } => fill(
            lang,
            "refusal.push.cell_from_file",
            &[("import_id", import_id.to_string())],
        ),
    }
}

fn answer(lang: Lang, s: &PushSummary) -> Value {
    let refusals: Vec<Value> = s
        .refused
        .iter()
        .map(|r| {
            let mut v = json!({
                "index": r.index,
                "code": r.code,
                "field": r.field,
                "kind": r.problem.kind(),
                "message": problem_text(lang, &r.problem),
                "message_vi": problem_text(Lang::Vi, &r.problem),
                "message_en": problem_text(Lang::En, &r.problem),
            });
            match &r.problem {
                PushProblem::CellFromFile { import_id } => v["import_id"] = json!(import_id),
                PushProblem::Repeated { first } => v["first"] = json!(first),
                _ => {}
            }
            v
        })
        .collect();
    json!({
        "added": s.added,
        "updated": s.updated,
        "unchanged": s.unchanged,
        "refused": s.refused.len(),
        "push_id": s.push_id,
        "cells": s.cells,
        "refusals": refusals,
    })
}

/// `POST /api/v1/dossiers`: 200 with what became of each dossier (refused ones listed with
/// their index, code, field and reason; the others stored); 413 for a body over
/// [`PUSH_BODY_LIMIT`] or a batch over [`parindex_interchange::dossiers::BATCH_MAX`]; 400 for a body that is not a batch; 415
/// when it is not JSON; 403 for a role that may not push.
async fn push(State(s): State<AppState>, Authed(cu): Authed, req: Request) -> Response {
    let actor = cu.actor();
    if !can(&actor, &Action::PushDossiers) {
        return ApiError::forbidden().into_response();
    }
    let lang = Lang::parse(&cu.user.lang);
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !is_json {
        return ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, t(lang, "api.bad_body"))
            .into_response();
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > PUSH_BODY_LIMIT as u64) {
        return too_large(lang);
    }
    let Ok(body) = axum::body::to_bytes(req.into_body(), PUSH_BODY_LIMIT).await else {
        return too_large(lang);
    };
    let may = |unit: Option<&str>| can(&actor, &Action::PushDossierOf { unit });
    match parindex_ingest::push::push(&s.store, body.to_vec(), s.today(), &cu.actor_name(), &may)
        .await
    {
        Ok(summary) => Json(answer(lang, &summary)).into_response(),
        Err(IngestError::Batch(p)) => batch_problem(lang, &p),
        Err(IngestError::Store(e)) => ApiError::from(e).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a dossier push failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; see the server log",
            )
            .into_response()
        }
    }
}

//! The JSON API, version 1.

use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use parindex_store::Backend;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/api/v1/editions", get(editions))
        .route("/api/v1/editions/{id}", get(edition))
        .route("/api/v1/editions/{id}/results", get(results))
        .route("/api/v1/editions/{id}/gap", get(gap))
}

async fn health(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    s.store.ping().await?;
    let db = match s.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(Json(
        json!({ "status": "ok", "database": db, "version": env!("CARGO_PKG_VERSION") }),
    ))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

async fn editions(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let list = s
        .store
        .editions(q.q.as_deref().filter(|x| !x.trim().is_empty()))
        .await?;
    Ok(Json(json!(list)))
}

async fn edition(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let e = s.store.edition(&id).await?.ok_or_else(|| {
        ApiError::from(parindex_store::StoreError::NotFound(format!(
            "edition '{id}'"
        )))
    })?;
    Ok(Json(json!(e)))
}

async fn results(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.store.ranked_results(&id).await?)))
}

#[derive(Deserialize)]
struct GapQuery {
    subject: Option<String>,
    target_rank: Option<u32>,
}

async fn gap(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<GapQuery>,
) -> Result<Json<Value>, ApiError> {
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

//! Assessment through the API: a unit's items (self-scores, appraisals, evidence) as the unit
//! page shows them, self-scores and notes saved, evidence references added or linked, and the
//! published rankings. Authorised by the unit page's own checks (`pages::assessments::
//! {viewable, editable, may_edit}`: the same policy, the same lead-agency scoping); kept by the
//! same store functions with their stage locks (`Store::save_self_assessment`,
//! `Store::add_document_reference`, `Store::link_evidence`).

use super::paging::{paged, PageQuery};
use super::{allow, page_error};
use crate::auth::{Authed, CurrentUser};
use crate::i18n::{t, Lang};
use crate::pages::assessments::evidence::evidence_allowed;
use crate::pages::assessments::{editable, may_edit, viewable};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use parindex_domain::access::{Action, Role};
use parindex_domain::assessment::{leaves, parse_input};
use parindex_domain::edition::NodeCode;
use parindex_store::assessments::{ItemChange, UnitAssessment};
use parindex_store::evidence::{DocumentReference, ItemRef};
use parindex_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/assessments/{round}/units/{unit}/items",
            get(items).put(save_items),
        )
        .route(
            "/api/v1/assessments/{round}/units/{unit}/items/{code}/evidence",
            post(add_evidence),
        )
        .route("/api/v1/rankings", get(rankings))
        .route("/api/v1/rankings/{round}", get(ranking))
}

fn refused(lang: Lang) -> impl Fn(StoreError) -> ApiError {
    move |e| match e {
        StoreError::Invalid(r) => ApiError::refused(lang, &r),
        other => ApiError::from(other),
    }
}

/// The unit's leaf items in the edition's order: the criterion, the item as stored (declared
/// figure, self-score, note, explanation, appraisals, dispute) and its evidence.
fn item_rows(a: &UnitAssessment) -> Vec<Value> {
    leaves(&a.edition)
        .into_iter()
        .map(|n| {
            let c = n.code.to_string();
            json!({
                "code": c,
                "title_vi": n.title_vi,
                "title_en": n.title_en,
                "max_points": n.max_points,
                "evidence_required": n.evidence_required,
                "lead_agency": n.lead_agency,
                "item": a.items.get(&n.code),
                "evidence": a.evidence.get(&c).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// `GET /api/v1/assessments/{round}/units/{unit}/items`: the unit's items, paged, with the
/// round's stage and the unit's progress.
async fn items(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path((round, unit)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let a = viewable(&s, &cu, &round, &unit).await.map_err(page_error)?;
    let mut page = paged(item_rows(&a), &q)?;
    page["round"] = json!(a.round);
    page["unit"] = json!(a.unit.slug);
    page["progress"] = json!(a.progress);
    Ok(Json(page))
}

/// One item's change: `input` as typed in the unit page's cell (absent: kept; `""` or `null`:
/// cleared), `note` and `explanation` (absent: kept).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemBody {
    code: String,
    #[serde(default, deserialize_with = "null_or_text")]
    input: Option<Option<String>>,
    note: Option<String>,
    explanation: Option<String>,
}

/// `input` from JSON: absent → `None` (by `default`), `null` → `Some(None)`, text → `Some(Some)`.
fn null_or_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsBody {
    items: Vec<ItemBody>,
}

/// The changes asked for, each held to the criterion's input rules (`parse_input`) and the
/// policy (`may_edit`: a lead agency changes the province's items it leads only).
fn changes(
    cu: &CurrentUser,
    a: &UnitAssessment,
    body: ItemsBody,
    lang: Lang,
) -> Result<Vec<ItemChange>, ApiError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for b in body.items {
        let field = |f: &str| format!("items[{}].{f}", b.code);
        let code: Option<NodeCode> = NodeCode::parse(&b.code).ok();
        let Some(n) = code
            .as_ref()
            .and_then(|c| leaves(&a.edition).into_iter().find(|n| &n.code == c))
        else {
            problems.push((
                format!("items[{}]", b.code),
                t(lang, "api.not_an_item").to_string(),
            ));
            continue;
        };
        if !may_edit(cu, &a.unit, &a.edition, &n.code) {
            return Err(ApiError::forbidden());
        }
        let cur = a.items.get(&n.code);
        let input = match &b.input {
            None => cur.and_then(|i| i.input.clone()),
            Some(None) => None,
            Some(Some(text)) => match parse_input(n, text) {
                Ok(i) => i,
                Err(e) => {
                    problems.push((field("input"), crate::refusals::item_error(lang, &e)));
                    continue;
                }
            },
        };
        out.push(ItemChange {
            code: n.code.clone(),
            input,
            note: b
                .note
                .unwrap_or_else(|| cur.map(|i| i.note.clone()).unwrap_or_default()),
            explanation: b
                .explanation
                .unwrap_or_else(|| cur.map(|i| i.explanation.clone()).unwrap_or_default()),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::fields(problems))
    }
}

/// `PUT /api/v1/assessments/{round}/units/{unit}/items`: self-scores, notes and explanations
/// of several items in one change (all or nothing), within the round's stages and reopenings.
async fn save_items(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path((round, unit)): Path<(String, String)>,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let a = editable(&s, &cu, &round, &unit).await.map_err(page_error)?;
    let lang = Lang::parse(&cu.user.lang);
    let body: ItemsBody = super::json_body_limited(req, lang, super::JSON_LIMIT).await?;
    let changes = changes(&cu, &a, body, lang)?;
    let saved = s
        .store
        .save_self_assessment(&round, &unit, &changes, s.today(), &cu.actor_name())
        .await
        .map_err(refused(lang))?;
    let a = viewable(&s, &cu, &round, &unit).await.map_err(page_error)?;
    let codes: Vec<String> = changes.iter().map(|c| c.code.to_string()).collect();
    let rows: Vec<Value> = item_rows(&a)
        .into_iter()
        .filter(|r| codes.iter().any(|c| r["code"] == c.as_str()))
        .collect();
    Ok(Json(json!({ "saved": saved, "items": rows })))
}

/// An official document cited as evidence (the item page's "document reference" form).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentBody {
    number: String,
    /// `YYYY-MM-DD`.
    date: Option<jiff::civil::Date>,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    excerpt: String,
}

/// Either a new document reference or an evidence document already stored (its id).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceBody {
    document: Option<DocumentBody>,
    evidence: Option<i64>,
}

/// `POST /api/v1/assessments/{round}/units/{unit}/items/{code}/evidence`: a document reference
/// added to the item, or a stored document linked to it (one the caller may see).
async fn add_evidence(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path((round, unit, code)): Path<(String, String, String)>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let a = editable(&s, &cu, &round, &unit).await.map_err(page_error)?;
    let lang = Lang::parse(&cu.user.lang);
    let c: NodeCode = NodeCode::parse(&code)
        .ok()
        .filter(|c| leaves(&a.edition).iter().any(|n| &n.code == c))
        .ok_or_else(|| page_error(crate::PageError::NotFound))?;
    if !may_edit(&cu, &a.unit, &a.edition, &c) {
        return Err(ApiError::forbidden());
    }
    let body: EvidenceBody = super::json_body_limited(req, lang, super::JSON_LIMIT).await?;
    let item = ItemRef {
        round: &round,
        unit: &unit,
        code: &c,
    };
    let today = s.today();
    let actor = cu.actor_name();
    let evidence = match (body.document, body.evidence) {
        (Some(d), None) => {
            let d = DocumentReference {
                number: d.number,
                date: d.date,
                issuer: d.issuer,
                excerpt: d.excerpt,
                title: d.title,
                // The unit that adds it: the user's own, or (coordinator) the unit assessed.
                unit: match cu.role() {
                    Role::LeadAgency | Role::Agency => cu.user.unit.clone(),
                    _ => Some(a.unit.slug.clone()),
                },
                sample: false,
            };
            s.store
                .add_document_reference(&d, Some((item, today)), &actor)
                .await
                .map_err(refused(lang))?
        }
        (None, Some(id)) => {
            if evidence_allowed(&s, &cu, id).await.map_err(page_error)? != Some(true) {
                return Err(ApiError::forbidden());
            }
            s.store
                .link_evidence(id, item, today, &actor)
                .await
                .map_err(refused(lang))?;
            s.store
                .evidence(id)
                .await?
                .ok_or_else(|| page_error(crate::PageError::NotFound))?
        }
        _ => return Err(ApiError::bad_request(t(lang, "api.document_or_evidence"))),
    };
    Ok((StatusCode::CREATED, Json(json!(evidence))))
}

/// `GET /api/v1/rankings`: the published provincial rankings, newest round first.
async fn rankings(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewProvincialRanking)?;
    let rows: Vec<Value> = s
        .store
        .rounds()
        .await?
        .into_iter()
        .filter(|r| r.round.is_published())
        .map(|r| {
            json!({
                "id": r.round.id, "name": r.round.name, "year": r.round.year,
                "level": r.level, "units": r.round.units.len(),
                "published_on": r.round.published_on, "sample": r.round.sample,
            })
        })
        .collect();
    Ok(Json(paged(rows, &q)?))
}

/// `GET /api/v1/rankings/{round}`: one published ranking's rows (best first: total, index %,
/// rank, class, change since last year, points lost per area) and its corrections.
async fn ranking(
    State(s): State<AppState>,
    Authed(cu): Authed,
    Path(round): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    allow(&cu, &Action::ViewProvincialRanking)?;
    let rk = s
        .store
        .ranking(&round)
        .await?
        .ok_or_else(|| page_error(crate::PageError::NotFound))?;
    let mut page = paged(rk.rows, &q)?;
    page["round"] = json!(rk.round);
    page["corrections"] = json!(rk.corrections);
    page["previous"] = json!(rk.previous);
    Ok(Json(page))
}

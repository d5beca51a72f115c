//! One item and its evidence: upload, official-document reference, link an existing document,
//! unlink; and the dispute of a round-1 score.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::dates::parse_date;
use crate::error::PageError;
use crate::forms::FieldErrors;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::assessments::evidence::evidence_allowed;
use crate::pages::assessments::evidence_text;
use crate::pages::assessments::{
    editable, evidence_config, lock_text, may_edit, unit_name, viewable,
};
use crate::pages::editions::rule_summary;
use crate::pages::here;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::{
    input_kind, leaves, may_dispute, may_explain, needs_explanation,
};
use parindex_domain::edition::{CriterionNode, NodeCode};
use parindex_store::assessments::UnitAssessment;
use parindex_store::evidence::{
    check_upload, DocumentReference, EvidenceKind, ItemRef, NewEvidenceFile, UploadProblem,
};
use parindex_store::StoreError;
use serde::Deserialize;
use std::collections::HashMap;

pub struct EvidenceLine {
    pub id: i64,
    pub is_file: bool,
    pub description: String,
    pub excerpt: String,
    pub size: String,
    pub sample: bool,
    pub by: String,
    pub at: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct DocInput {
    #[serde(default)]
    number: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    excerpt: String,
}

#[derive(Template)]
#[template(path = "evidence_item.html")]
struct ItemPage {
    l: Layout,
    round_id: String,
    round_name: String,
    unit_slug: String,
    unit_name: String,
    sample: bool,
    code: String,
    title: String,
    max: String,
    rule: String,
    kind_key: &'static str,
    declared: String,
    self_score: String,
    note: String,
    explanation: String,
    evidence_required: bool,
    needs_explanation: bool,
    evidence: Vec<EvidenceLine>,
    choices: Vec<(i64, String)>,
    can_change: bool,
    change_lock: Option<String>,
    limit_mb: String,
    appraised1: String,
    comment1: String,
    dispute: String,
    appraised2: String,
    comment2: String,
    can_dispute: bool,
    doc: DocInput,
    upload_title: String,
    dispute_reason: String,
    errors: FieldErrors,
    general: Vec<String>,
}

struct ItemRender {
    doc: DocInput,
    upload_title: String,
    dispute_reason: String,
    errors: FieldErrors,
    general: Vec<String>,
    done: Option<String>,
    status: StatusCode,
}

impl Default for ItemRender {
    fn default() -> Self {
        ItemRender {
            doc: DocInput::default(),
            upload_title: String::new(),
            dispute_reason: String::new(),
            errors: FieldErrors::default(),
            general: Vec::new(),
            done: None,
            status: StatusCode::OK,
        }
    }
}

fn human_size(lang: Lang, bytes: Option<i64>) -> String {
    bytes
        .map(|b| i18n::size(lang, u64::try_from(b).unwrap_or(0)))
        .unwrap_or_default()
}

fn leaf_of<'a>(a: &'a UnitAssessment, code: &str) -> Result<&'a CriterionNode, PageError> {
    let code = NodeCode::parse(code).map_err(|_| PageError::NotFound)?;
    leaves(&a.edition)
        .into_iter()
        .find(|n| n.code == code)
        .ok_or(PageError::NotFound)
}

/// The evidence linked to criterion `c`.
fn evidence_lines(lang: Lang, a: &UnitAssessment, c: &str) -> Vec<EvidenceLine> {
    a.evidence
        .get(c)
        .map(|v| {
            v.iter()
                .map(|e| EvidenceLine {
                    id: e.id,
                    is_file: e.kind == EvidenceKind::File,
                    description: evidence_text(lang, e),
                    excerpt: e.doc_excerpt.clone().unwrap_or_default(),
                    size: human_size(lang, e.size_bytes),
                    sample: e.sample,
                    by: e.created_by.clone(),
                    at: dates::timestamp(&e.created_at),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The unit's evidence not yet linked to criterion `c`, offered to link (the coordinator
/// links the assessed unit's; others their own unit's).
async fn evidence_choices(
    state: &AppState,
    cu: &CurrentUser,
    a: &UnitAssessment,
    c: &str,
) -> Result<Vec<(i64, String)>, PageError> {
    let linked: Vec<i64> = a
        .evidence
        .get(c)
        .map(|v| v.iter().map(|e| e.id).collect())
        .unwrap_or_default();
    let owner = match cu.role() {
        parindex_domain::access::Role::Coordinator => Some(a.unit.slug.clone()),
        _ => cu.user.unit.clone(),
    };
    Ok(state
        .store
        .unit_evidence(owner.as_deref())
        .await?
        .into_iter()
        .filter(|e| !linked.contains(&e.id))
        .map(|e| (e.id, evidence_text(Lang::parse(&cu.user.lang), &e)))
        .collect())
}

async fn render_item(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    a: &UnitAssessment,
    n: &CriterionNode,
    r: ItemRender,
) -> Result<Response, PageError> {
    let mut l = Layout::new(cu, "nav.assessments", "evidence.item_title", &here(uri));
    let lang = l.lang;
    l.title = format!(
        "{} {} — {}",
        i18n::t(lang, "evidence.item_title"),
        n.code,
        unit_name(lang, &a.unit)
    );
    l = l.with_flash(flash(lang, &r.done));
    let today = state.today();
    let c = n.code.to_string();
    let item = a.items.get(&n.code);
    let change = may_explain(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    let editable = may_edit(cu, &a.unit, &a.edition, &n.code);
    let mut evidence = evidence_lines(lang, a, &c);
    for e in &mut evidence {
        e.by = crate::names::user_name(state, lang, &e.by).await?;
    }
    let choices = if editable && change.is_ok() {
        evidence_choices(state, cu, a, &c).await?
    } else {
        Vec::new()
    };
    let own = can(
        &cu.actor(),
        &Action::SelfAssess {
            unit: &a.unit.slug,
            lead: crate::pages::assessments::item_lead(&a.unit, &a.edition, &n.code),
        },
    );
    let ap1 = item.and_then(|i| i.appraisal1.as_ref());
    let ap2 = item.and_then(|i| i.appraisal2.as_ref());
    let page = ItemPage {
        round_id: a.round.id.clone(),
        round_name: a.round.name.clone(),
        unit_slug: a.unit.slug.clone(),
        unit_name: unit_name(lang, &a.unit),
        sample: a.round.sample,
        code: c.clone(),
        title: title(lang, n),
        max: i18n::opt_num(lang, n.max_points),
        rule: n
            .rule
            .as_ref()
            .map(|x| rule_summary(lang, x))
            .unwrap_or_default(),
        kind_key: kind_key(&input_kind(n)),
        declared: item
            .and_then(|i| i.input.as_ref())
            .map(|x| crate::pages::assessments::declared_text(lang, n, x))
            .unwrap_or_default(),
        self_score: i18n::opt_num(lang, item.and_then(|i| i.self_score)),
        note: item.map(|i| i.note.clone()).unwrap_or_default(),
        explanation: item.map(|i| i.explanation.clone()).unwrap_or_default(),
        evidence_required: n.evidence_required,
        needs_explanation: item.is_some_and(|i| needs_explanation(n, i)),
        evidence,
        choices,
        can_change: editable && change.is_ok(),
        change_lock: change.as_ref().err().map(|e| lock_text(lang, e)),
        limit_mb: format!("{}", state.config.evidence_max_bytes / (1024 * 1024)),
        appraised1: ap1.map(|x| i18n::num(lang, x.score)).unwrap_or_default(),
        comment1: ap1.map(|x| x.comment.clone()).unwrap_or_default(),
        dispute: item
            .and_then(|i| i.dispute.as_ref())
            .map(|d| d.reason.clone())
            .unwrap_or_default(),
        appraised2: ap2.map(|x| i18n::num(lang, x.score)).unwrap_or_default(),
        comment2: ap2.map(|x| x.comment.clone()).unwrap_or_default(),
        can_dispute: own
            && ap1.is_some()
            && ap2.is_none()
            && may_dispute(&a.round, &a.reopenings, &a.unit.slug, today).is_ok(),
        doc: r.doc,
        upload_title: r.upload_title,
        dispute_reason: r.dispute_reason,
        errors: r.errors,
        general: r.general,
        l,
    };
    Ok((r.status, Html(page.render()?)).into_response())
}

pub(super) async fn item_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit, code)): Path<(String, String, String)>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let a = viewable(&state, &cu, &round, &unit).await?;
    let n = leaf_of(&a, &code)?;
    // In the province's round, another lead agency's item is not this user's to read.
    if !crate::pages::assessments::may_view_item(&cu, &a.unit, &a.edition, &n.code) {
        return Err(PageError::Forbidden);
    }
    render_item(
        &state,
        &cu,
        &uri,
        &a,
        n,
        ItemRender {
            done: q.done,
            ..Default::default()
        },
    )
    .await
}

/// Load an item the user may change; authorised before anything else is read.
async fn editable_item(
    state: &AppState,
    cu: &CurrentUser,
    round: &str,
    unit: &str,
    code: &str,
) -> Result<(UnitAssessment, NodeCode), PageError> {
    let a = editable(state, cu, round, unit).await?;
    let n = leaf_of(&a, code)?.code.clone();
    if !may_edit(cu, &a.unit, &a.edition, &n) {
        return Err(PageError::Forbidden);
    }
    Ok((a, n))
}

fn item_url(round: &str, unit: &str, code: &NodeCode, done: &str) -> String {
    format!("/assessments/{round}/units/{unit}/items/{code}?done={done}")
}

/// The unit an uploaded document belongs to: the user's own, or (coordinator) the unit assessed.
fn owner(cu: &CurrentUser, a: &UnitAssessment) -> Option<String> {
    match cu.role() {
        parindex_domain::access::Role::LeadAgency | parindex_domain::access::Role::Agency => {
            cu.user.unit.clone()
        }
        _ => Some(a.unit.slug.clone()),
    }
}

/// A multipart upload read with the evidence limit held while reading.
#[derive(Default)]
struct Upload {
    file_name: String,
    bytes: Vec<u8>,
    fields: HashMap<String, String>,
    /// The file went over the limit (its size so far).
    too_large: Option<usize>,
}

async fn read_upload(mut mp: Multipart, limit: usize) -> Result<Upload, PageError> {
    let mut out = Upload::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                out.too_large = Some(out.too_large.unwrap_or(limit + 1));
                break;
            }
            Err(e) => return Err(PageError::bad_form(e.body_text())),
        };
        let mut field = field;
        let name = field.name().unwrap_or_default().to_string();
        let is_file = name == "file";
        if is_file {
            out.file_name = field.file_name().unwrap_or_default().to_string();
        }
        let max = if is_file { limit } else { 64 * 1024 };
        let mut buf: Vec<u8> = Vec::new();
        let mut seen = 0usize;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    seen += chunk.len();
                    if seen <= max {
                        buf.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    seen = seen.max(limit + 1);
                    break;
                }
                Err(e) => return Err(PageError::bad_form(e.body_text())),
            }
        }
        if is_file {
            if seen > limit {
                out.too_large = Some(seen);
            } else {
                out.bytes = buf;
            }
        } else if seen <= max {
            out.fields
                .insert(name, String::from_utf8_lossy(&buf).into_owned());
        }
    }
    Ok(out)
}

pub(super) async fn upload(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit, code)): Path<(String, String, String)>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Authorise before looking at the body.
    let (a, c) = editable_item(&state, &cu, &round, &unit, &code).await?;
    let mp = mp.map_err(|e| PageError::bad_form(e.body_text()))?;
    let cfg = evidence_config(&state);
    let up = read_upload(mp, cfg.max_bytes).await?;
    let lang = Lang::parse(&cu.user.lang);
    let title = up.fields.get("title").cloned().unwrap_or_default();
    let mut errors = FieldErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let problem = match up.too_large {
        Some(size) => Some(UploadProblem::TooLarge {
            size,
            limit: cfg.max_bytes,
        }),
        None => check_upload(&up.file_name, &up.bytes, cfg.max_bytes).err(),
    };
    if let Some(p) = &problem {
        if matches!(p, UploadProblem::TooLarge { .. }) {
            status = StatusCode::PAYLOAD_TOO_LARGE;
        }
        errors.add(
            "file",
            i18n::t(lang, p.key()),
            Some(&crate::refusals::upload_problem(lang, p)),
        );
    }
    if title.chars().count() > 300 {
        errors.add("upload_title", i18n::t(lang, "assess.err.too_long"), None);
    }
    if errors.is_empty() {
        let f = NewEvidenceFile {
            file_name: up.file_name.clone(),
            bytes: up.bytes,
            title: title.clone(),
            unit: owner(&cu, &a),
            sample: false,
        };
        let item = ItemRef {
            round: &round,
            unit: &unit,
            code: &c,
        };
        match state
            .store
            .add_evidence_file(&cfg, &f, Some((item, state.today())), &cu.user.username)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&item_url(&round, &unit, &c, "uploaded")).into_response())
            }
            Err(StoreError::Invalid(m)) => crate::refusals::evidence_file(lang, &m, &mut errors),
            Err(e) => return Err(e.into()),
        }
    }
    let n = leaf_of(&a, &code)?;
    render_item(
        &state,
        &cu,
        &uri,
        &a,
        n,
        ItemRender {
            upload_title: title,
            errors,
            status,
            ..Default::default()
        },
    )
    .await
}

pub(super) async fn document(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit, code)): Path<(String, String, String)>,
    Form(f): Form<DocInput>,
) -> Result<Response, PageError> {
    let (a, c) = editable_item(&state, &cu, &round, &unit, &code).await?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let date = parse_date(&f.date);
    let d = DocumentReference {
        number: f.number.clone(),
        date,
        issuer: f.issuer.clone(),
        excerpt: f.excerpt.clone(),
        title: f.title.clone(),
        unit: owner(&cu, &a),
        sample: false,
    };
    let mut errors = FieldErrors::default();
    crate::refusals::document_fields(lang, &d.problems(), &mut errors);
    if !f.date.trim().is_empty() && date.is_none() {
        errors.add("doc.date", t("assess.err.date"), None);
    }
    if errors.is_empty() {
        let item = ItemRef {
            round: &round,
            unit: &unit,
            code: &c,
        };
        match state
            .store
            .add_document_reference(&d, Some((item, state.today())), &cu.user.username)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&item_url(&round, &unit, &c, "document")).into_response())
            }
            Err(StoreError::Invalid(m)) => crate::refusals::document(lang, &m, &mut errors),
            Err(e) => return Err(e.into()),
        }
    }
    let n = leaf_of(&a, &code)?;
    render_item(
        &state,
        &cu,
        &uri,
        &a,
        n,
        ItemRender {
            doc: f,
            errors,
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct EvidenceChoice {
    evidence: i64,
}

/// After linking or unlinking evidence: back to the item on success; the item again with the
/// store's message when the change was refused.
async fn item_outcome(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    a: &UnitAssessment,
    code: &str,
    done: Result<(), StoreError>,
    success: String,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&success).into_response()),
        Err(StoreError::Invalid(m)) => {
            let n = leaf_of(a, code)?;
            render_item(
                state,
                cu,
                uri,
                a,
                n,
                ItemRender {
                    general: crate::refusals::lines(Lang::parse(&cu.user.lang), &m),
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn link(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit, code)): Path<(String, String, String)>,
    Form(f): Form<EvidenceChoice>,
) -> Result<Response, PageError> {
    let (a, c) = editable_item(&state, &cu, &round, &unit, &code).await?;
    // Only a document the user may see can be linked (by editing the id, nothing else).
    if evidence_allowed(&state, &cu, f.evidence).await? != Some(true) {
        return Err(PageError::Forbidden);
    }
    let item = ItemRef {
        round: &round,
        unit: &unit,
        code: &c,
    };
    let done = state
        .store
        .link_evidence(f.evidence, item, state.today(), &cu.user.username)
        .await;
    item_outcome(
        &state,
        &cu,
        &uri,
        &a,
        &code,
        done,
        item_url(&round, &unit, &c, "linked"),
    )
    .await
}

pub(super) async fn unlink(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit, code)): Path<(String, String, String)>,
    Form(f): Form<EvidenceChoice>,
) -> Result<Response, PageError> {
    let (a, c) = editable_item(&state, &cu, &round, &unit, &code).await?;
    let item = ItemRef {
        round: &round,
        unit: &unit,
        code: &c,
    };
    let done = state
        .store
        .unlink_evidence(f.evidence, item, state.today(), &cu.user.username)
        .await;
    item_outcome(
        &state,
        &cu,
        &uri,
        &a,
        &code,
        done,
        item_url(&round, &unit, &c, "unlinked"),
    )
    .await
}

#[derive(Deserialize)]
pub struct DisputeInput {
    #[serde(default)]
    reason: String,
}

pub(super) async fn dispute(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit, code)): Path<(String, String, String)>,
    Form(f): Form<DisputeInput>,
) -> Result<Response, PageError> {
    let (a, c) = editable_item(&state, &cu, &round, &unit, &code).await?;
    let lang = Lang::parse(&cu.user.lang);
    let mut errors = FieldErrors::default();
    if f.reason.trim().is_empty() {
        errors.add("dispute", i18n::t(lang, "assess.err.reason"), None);
    } else {
        match state
            .store
            .dispute_item(
                &round,
                &unit,
                &c,
                &f.reason,
                state.today(),
                &cu.user.username,
            )
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&item_url(&round, &unit, &c, "disputed")).into_response())
            }
            Err(StoreError::Invalid(m)) => crate::refusals::dispute(lang, &m, &mut errors),
            Err(e) => return Err(e.into()),
        }
    }
    let n = leaf_of(&a, &code)?;
    render_item(
        &state,
        &cu,
        &uri,
        &a,
        n,
        ItemRender {
            dispute_reason: f.reason,
            errors,
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Default::default()
        },
    )
    .await
}

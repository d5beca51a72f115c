//! The appraiser's side-by-side view: per item the declared figure, the self-score, the
//! evidence, the explanation; the appraised score with a comment (round 1), and for disputed
//! items the round-2 score. Appraisers only.

use super::{anchor, lock_text, stage_rows, unit_name, StageRow};
use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::forms::{FieldErr, FieldErrors};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::editions::rule_summary;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use parindex_domain::access::Action;
use parindex_domain::assessment::{check_appraised, leaves, may_appraise, needs_explanation, Item};
use parindex_domain::edition::{CriterionNode, NodeCode, Totals};
use parindex_domain::score::parse_points;
use parindex_domain::text::nfc;
use parindex_store::assessments::{AppraisalChange, UnitAssessment, TEXT_LIMIT};
use parindex_store::evidence::EvidenceKind;
use parindex_store::StoreError;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/assessments/{round}/units/{unit}/appraise",
        get(page).post(save),
    )
}

pub struct EvidenceRef {
    pub id: i64,
    pub is_file: bool,
    pub text: String,
}

pub struct AppraiseRow {
    pub code: String,
    pub anchor: String,
    pub depth: usize,
    pub leaf: bool,
    pub title: String,
    pub max: String,
    pub rule: String,
    pub survey: bool,
    pub declared: String,
    pub self_score: String,
    pub evidence: Vec<EvidenceRef>,
    pub missing_evidence: bool,
    pub explanation: String,
    pub note: String,
    pub a1: String,
    pub c1: String,
    pub disputed: bool,
    pub dispute: String,
    pub a2: String,
    pub c2: String,
    pub final_score: String,
    pub err1: Option<FieldErr>,
    pub err2: Option<FieldErr>,
}

#[derive(Template)]
#[template(path = "appraisal.html")]
struct AppraisePage {
    l: Layout,
    round_id: String,
    round_name: String,
    unit_slug: String,
    unit_name: String,
    sample: bool,
    stages: Vec<StageRow>,
    rows: Vec<AppraiseRow>,
    round1_lock: Option<String>,
    round2_lock: Option<String>,
    self_total: String,
    final_total: String,
    max: String,
    general: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

/// What every row of the view needs.
struct RowContext<'a> {
    a: &'a UnitAssessment,
    lang: Lang,
    leaf_codes: Vec<NodeCode>,
    self_t: &'a Totals,
    final_t: &'a Totals,
    posted: Option<&'a HashMap<String, String>>,
    errors: &'a FieldErrors,
}

/// One criterion side by side: what the unit declared and scored, its evidence, and the
/// appraised scores (as typed when the form is shown again).
fn appraise_row(cx: &RowContext<'_>, n: &CriterionNode) -> AppraiseRow {
    let (a, lang) = (cx.a, cx.lang);
    let get = |k: String| cx.posted.and_then(|p| p.get(&k).cloned());
    let c = n.code.to_string();
    let leaf = cx.leaf_codes.contains(&n.code);
    let item = a.items.get(&n.code);
    let ap1 = item.and_then(|i| i.appraisal1.as_ref());
    let ap2 = item.and_then(|i| i.appraisal2.as_ref());
    AppraiseRow {
        anchor: anchor(&n.code),
        depth: n.code.depth(),
        leaf,
        title: crate::names::node_title(lang, n),
        max: i18n::opt_num(lang, n.max_points),
        rule: n
            .rule
            .as_ref()
            .map(|x| rule_summary(lang, x))
            .unwrap_or_default(),
        survey: n.survey_scored,
        declared: item
            .and_then(|i| i.input.as_ref())
            .map(|x| super::declared_text(lang, n, x))
            .unwrap_or_default(),
        self_score: if leaf {
            i18n::opt_num(lang, item.and_then(|i| i.self_score))
        } else {
            i18n::opt_num(lang, cx.self_t.nodes.get(&c).map(|t| t.achieved))
        },
        evidence: a
            .evidence
            .get(&c)
            .map(|v| {
                v.iter()
                    .map(|e| EvidenceRef {
                        id: e.id,
                        is_file: e.kind == EvidenceKind::File,
                        text: super::evidence_text(lang, e),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        missing_evidence: item.is_some_and(|i| needs_explanation(n, i))
            || item.is_some_and(|i| parindex_domain::assessment::missing_evidence(n, i)),
        explanation: item.map(|i| i.explanation.clone()).unwrap_or_default(),
        note: item.map(|i| i.note.clone()).unwrap_or_default(),
        a1: get(format!("a1.{c}"))
            .or_else(|| ap1.map(|x| i18n::exact(lang, x.score)))
            .unwrap_or_default(),
        c1: get(format!("c1.{c}"))
            .or_else(|| ap1.map(|x| x.comment.clone()))
            .unwrap_or_default(),
        disputed: item.is_some_and(|i| i.dispute.is_some()),
        dispute: item
            .and_then(|i| i.dispute.as_ref())
            .map(|d| d.reason.clone())
            .unwrap_or_default(),
        a2: get(format!("a2.{c}"))
            .or_else(|| ap2.map(|x| i18n::exact(lang, x.score)))
            .unwrap_or_default(),
        c2: get(format!("c2.{c}"))
            .or_else(|| ap2.map(|x| x.comment.clone()))
            .unwrap_or_default(),
        final_score: if leaf {
            item.and_then(Item::final_score)
                .map(|s| i18n::num(lang, s))
                .unwrap_or_default()
        } else {
            cx.final_t
                .nodes
                .get(&c)
                .map(|t| i18n::num(lang, t.achieved))
                .unwrap_or_default()
        },
        err1: cx.errors.err(&format!("a1.{c}")).cloned(),
        err2: cx.errors.err(&format!("a2.{c}")).cloned(),
        code: c,
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    a: &UnitAssessment,
    posted: Option<&HashMap<String, String>>,
    errors: FieldErrors,
    general: Vec<String>,
    done: bool,
    status: StatusCode,
) -> Result<Response, PageError> {
    let mut l = Layout::new(cu, "nav.assessments", "appraisal.title", &here(uri));
    let lang = l.lang;
    l.title = format!(
        "{} — {}",
        i18n::t(lang, "appraisal.title"),
        unit_name(lang, &a.unit)
    );
    if done {
        l = l.with_flash(Some(i18n::t(lang, "appraisal.saved").to_string()));
    }
    let today = state.today();
    let r1 = may_appraise(&a.round, &a.reopenings, &a.progress, &a.unit.slug, 1, today);
    let r2 = may_appraise(&a.round, &a.reopenings, &a.progress, &a.unit.slug, 2, today);
    let self_t = parindex_domain::assessment::self_totals(&a.edition, &a.items);
    let finals = parindex_domain::assessment::final_scores(&a.items);
    let final_t = a.edition.totals(&finals);
    let cx = RowContext {
        a,
        lang,
        leaf_codes: leaves(&a.edition).iter().map(|n| n.code.clone()).collect(),
        self_t: &self_t,
        final_t: &final_t,
        posted,
        errors: &errors,
    };
    let rows = a
        .edition
        .criteria
        .iter()
        .map(|n| appraise_row(&cx, n))
        .collect();
    let page = AppraisePage {
        round_id: a.round.id.clone(),
        round_name: a.round.name.clone(),
        unit_slug: a.unit.slug.clone(),
        unit_name: unit_name(lang, &a.unit),
        sample: a.round.sample,
        stages: stage_rows(
            lang,
            &a.round,
            &a.reopenings,
            Some((&a.unit.slug, a.progress.submitted_on)),
            today,
        ),
        rows,
        round1_lock: r1.as_ref().err().map(|e| lock_text(lang, e)),
        round2_lock: r2.as_ref().err().map(|e| lock_text(lang, e)),
        self_total: i18n::num(lang, self_t.overall.achieved),
        final_total: i18n::num(lang, final_t.overall.achieved),
        max: i18n::num(lang, a.edition.max_points),
        general,
        l,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn load(
    state: &AppState,
    cu: &CurrentUser,
    round: &str,
    unit: &str,
) -> Result<UnitAssessment, PageError> {
    // Appraisers only, asked before anything is read.
    require(cu, &Action::Appraise)?;
    state
        .store
        .assessment(round, unit)
        .await?
        .ok_or(PageError::NotFound)
}

async fn page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let a = load(&state, &cu, &round, &unit).await?;
    render(
        &state,
        &cu,
        &uri,
        &a,
        None,
        FieldErrors::default(),
        Vec::new(),
        q.done.is_some(),
        StatusCode::OK,
    )
}

/// The appraisals the form changes, round 1 and round 2, and the fields refused (a field with
/// an error is left out).
fn appraisal_changes(
    a: &UnitAssessment,
    map: &HashMap<String, String>,
    lang: Lang,
) -> (Vec<AppraisalChange>, Vec<AppraisalChange>, FieldErrors) {
    let t = |k: &str| i18n::t(lang, k);
    let accept_rest = map.get("accept_rest").is_some_and(|v| v == "1");
    let mut errors = FieldErrors::default();
    let mut round1 = Vec::new();
    let mut round2 = Vec::new();
    for n in leaves(&a.edition) {
        let c = n.code.to_string();
        let item = a.items.get(&n.code);
        for (r, list) in [(1u8, &mut round1), (2u8, &mut round2)] {
            let field = format!("a{r}.{c}");
            let current = item.and_then(|i| {
                if r == 1 {
                    i.appraisal1.as_ref()
                } else {
                    i.appraisal2.as_ref()
                }
            });
            let text = map
                .get(&field)
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            let comment = map
                .get(&format!("c{r}.{c}"))
                .map(|s| nfc(s))
                .unwrap_or_else(|| current.map(|x| x.comment.clone()).unwrap_or_default());
            let score = if text.is_empty() {
                match current {
                    Some(x) => Some(x.score),
                    // "Accept the self-scores": round 1, items not yet appraised.
                    None if r == 1 && accept_rest && !n.survey_scored => {
                        item.and_then(|i| i.self_score)
                    }
                    None => None,
                }
            } else {
                match parse_points(&text) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        errors.add(
                            &field,
                            t("assess.err.unreadable"),
                            Some(&crate::refusals::number_problem(lang, &e)),
                        );
                        continue;
                    }
                }
            };
            let Some(score) = score else { continue };
            if current.is_some_and(|x| x.score == score && x.comment == comment) {
                continue;
            }
            if let Err(e) = check_appraised(n, score) {
                errors.add(
                    &field,
                    t(e.key()),
                    Some(&crate::refusals::item_error(lang, &e)),
                );
                continue;
            }
            if comment.chars().count() > TEXT_LIMIT {
                errors.add(&field, t("assess.err.too_long"), None);
                continue;
            }
            if r == 2 && item.and_then(|i| i.dispute.as_ref()).is_none() {
                errors.add(&field, t("appraisal.not_disputed"), None);
                continue;
            }
            list.push(AppraisalChange {
                code: n.code.clone(),
                score,
                comment,
            });
        }
    }
    (round1, round2, errors)
}

async fn save(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let a = load(&state, &cu, &round, &unit).await?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let map: HashMap<String, String> = pairs.into_iter().collect();
    let (round1, round2, errors) = appraisal_changes(&a, &map, lang);
    let today = state.today();
    let mut general = Vec::new();
    if errors.is_empty() {
        // Both rounds in one transaction: a refusal of either saves neither.
        let rounds: Vec<(u8, &[AppraisalChange])> = [(1u8, &round1), (2u8, &round2)]
            .into_iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(r, list)| (r, list.as_slice()))
            .collect();
        if !rounds.is_empty() {
            match state
                .store
                .save_appraisals(&round, &unit, &rounds, today, &cu.user.username)
                .await
            {
                Ok(_) => {}
                Err(StoreError::Invalid(m)) => general.extend(crate::refusals::lines(lang, &m)),
                Err(other) => return Err(other.into()),
            }
        }
        if general.is_empty() {
            return Ok(Redirect::to(&format!(
                "/assessments/{round}/units/{unit}/appraise?done=1"
            ))
            .into_response());
        }
    } else {
        general.push(t("assess.err.fix_fields").to_string());
    }
    // Nothing was saved: the form keeps what was typed.
    let a = state
        .store
        .assessment(&round, &unit)
        .await?
        .ok_or(PageError::NotFound)?;
    render(
        &state,
        &cu,
        &uri,
        &a,
        Some(&map),
        errors,
        general,
        false,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

//! The self-assessment page: the form, saving it, and submission.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::error::PageError;
use crate::forms::{FieldErr, FieldErrors};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::assessments::{
    anchor, editable, lock_text, may_edit, stage_rows, unit_name, viewable, StageRow,
};
use crate::pages::editions::rule_summary;
use crate::pages::here;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::{
    input_kind, input_text, leaves, may_explain, may_self_score, needs_explanation, parse_input,
    self_score, self_totals, submission_problems, unscored, InputKind, Item, LockError,
};
use parindex_domain::edition::{CriterionNode, NodeCode, Totals};
use parindex_domain::text::nfc;
use parindex_store::assessments::{ItemChange, UnitAssessment, TEXT_LIMIT};
use parindex_store::StoreError;
use std::collections::{BTreeSet, HashMap};

pub struct ItemRow {
    pub code: String,
    pub anchor: String,
    pub depth: usize,
    pub leaf: bool,
    pub title: String,
    pub max: String,
    /// The max as a plain decimal (for scripts and tests).
    pub max_raw: String,
    pub rule: String,
    pub kind: &'static str,
    pub kind_key: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub self_score: String,
    pub note: String,
    pub explanation: String,
    pub evidence: usize,
    pub evidence_required: bool,
    pub needs_explanation: bool,
    pub can_input: bool,
    pub can_text: bool,
    pub appraised: String,
    pub appraisal_comment: String,
    pub dispute: String,
    pub err_input: Option<FieldErr>,
    pub err_text: Option<FieldErr>,
}

#[derive(Template)]
#[template(path = "assessment_unit.html")]
struct UnitPage {
    l: Layout,
    round_id: String,
    round_name: String,
    unit_slug: String,
    unit_name: String,
    edition_name: String,
    sample: bool,
    published: bool,
    stages: Vec<StageRow>,
    rows: Vec<ItemRow>,
    /// Only the items still to self-score are listed (`?unscored=1`).
    unscored_only: bool,
    self_total: String,
    final_total: String,
    max: String,
    scoring_lock: Option<String>,
    explain_lock: Option<String>,
    submitted: String,
    can_submit: bool,
    can_save: bool,
    can_appraise: bool,
    submit_problems: Vec<(String, String)>,
    general: Vec<String>,
}

struct Render<'a> {
    posted: Option<&'a HashMap<String, String>>,
    errors: FieldErrors,
    general: Vec<String>,
    submit_problems: Vec<(String, String)>,
    done: Option<String>,
    status: StatusCode,
    unscored_only: bool,
}

impl Default for Render<'_> {
    fn default() -> Self {
        Render {
            posted: None,
            errors: FieldErrors::default(),
            general: Vec::new(),
            submit_problems: Vec::new(),
            done: None,
            status: StatusCode::OK,
            unscored_only: false,
        }
    }
}

/// What every row of the form needs.
struct RowContext<'a> {
    cu: &'a CurrentUser,
    a: &'a UnitAssessment,
    lang: Lang,
    leaf_codes: Vec<NodeCode>,
    /// Self-scoring is open.
    scoring: bool,
    /// Notes and explanations may be written.
    explaining: bool,
    self_t: &'a Totals,
    final_t: &'a Totals,
    posted: Option<&'a HashMap<String, String>>,
    errors: &'a FieldErrors,
}

/// One criterion of the form: what was typed (or is stored), its scores and what may be done.
fn item_row(cx: &RowContext<'_>, n: &CriterionNode) -> ItemRow {
    let (a, lang) = (cx.a, cx.lang);
    let posted = |k: String| cx.posted.and_then(|p| p.get(&k).cloned());
    let c = n.code.to_string();
    let leaf = cx.leaf_codes.contains(&n.code);
    let item = a.items.get(&n.code);
    let kind = input_kind(n);
    let editable = may_edit(cx.cu, &a.unit, &a.edition, &n.code);
    let current = item.and_then(|i| i.input.as_ref()).map(input_text);
    ItemRow {
        anchor: anchor(&n.code),
        depth: n.code.depth(),
        leaf,
        title: title(lang, n),
        max: i18n::opt_num(lang, n.max_points),
        max_raw: n
            .max_points
            .map(|m| m.normalize().to_string())
            .unwrap_or_default(),
        rule: n
            .rule
            .as_ref()
            .map(|x| rule_summary(lang, x))
            .unwrap_or_default(),
        kind: kind_name(&kind),
        kind_key: kind_key(&kind),
        options: options(lang, n),
        value: posted(format!("in.{c}")).or(current).unwrap_or_default(),
        self_score: if leaf {
            i18n::opt_num(lang, item.and_then(|i| i.self_score))
        } else {
            i18n::opt_num(lang, cx.self_t.nodes.get(&c).map(|t| t.achieved))
        },
        note: posted(format!("no.{c}"))
            .or_else(|| item.map(|i| i.note.clone()))
            .unwrap_or_default(),
        explanation: posted(format!("ex.{c}"))
            .or_else(|| item.map(|i| i.explanation.clone()))
            .unwrap_or_default(),
        evidence: item.map(|i| i.evidence).unwrap_or(0),
        evidence_required: n.evidence_required,
        needs_explanation: item.is_some_and(|i| needs_explanation(n, i)),
        can_input: leaf && editable && cx.scoring && kind != InputKind::Survey,
        can_text: leaf && editable && cx.explaining && kind != InputKind::Survey,
        appraised: if leaf {
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
        appraisal_comment: item
            .and_then(|i| i.appraisal2.as_ref().or(i.appraisal1.as_ref()))
            .map(|x| x.comment.clone())
            .unwrap_or_default(),
        dispute: item
            .and_then(|i| i.dispute.as_ref())
            .map(|d| d.reason.clone())
            .unwrap_or_default(),
        err_input: cx.errors.err(&format!("in.{c}")).cloned(),
        err_text: cx.errors.err(&format!("ex.{c}")).cloned(),
        code: c,
    }
}

fn render_unit(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    a: &UnitAssessment,
    r: Render<'_>,
) -> Result<Response, PageError> {
    let mut l = Layout::new(cu, "nav.assessments", "assess.unit_title", &here(uri));
    let lang = l.lang;
    l.title = format!(
        "{} — {}",
        i18n::t(lang, "assess.unit_title"),
        unit_name(lang, &a.unit)
    );
    l = l.with_flash(flash(lang, &r.done));
    let today = state.today();
    let scoring = may_self_score(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    let explaining = may_explain(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    let self_t = self_totals(&a.edition, &a.items);
    let finals = parindex_domain::assessment::final_scores(&a.items);
    let final_t = a.edition.totals(&finals);
    let cx = RowContext {
        cu,
        a,
        lang,
        leaf_codes: leaves(&a.edition).iter().map(|n| n.code.clone()).collect(),
        scoring: scoring.is_ok(),
        explaining: explaining.is_ok(),
        self_t: &self_t,
        final_t: &final_t,
        posted: r.posted,
        errors: &r.errors,
    };
    // `?unscored=1`: the leaves still to self-score, and nothing else (the home page counts them).
    let unscored: Option<BTreeSet<&NodeCode>> = r
        .unscored_only
        .then(|| unscored(&a.edition, &a.items).into_iter().collect());
    let rows = a
        .edition
        .criteria
        .iter()
        .filter(|n| unscored.as_ref().is_none_or(|u| u.contains(&n.code)))
        .map(|n| item_row(&cx, n))
        .collect();
    let own_submit = can(
        &cu.actor(),
        &Action::SelfAssess {
            unit: &a.unit.slug,
            lead: None,
        },
    );
    let page = UnitPage {
        round_id: a.round.id.clone(),
        round_name: a.round.name.clone(),
        unit_slug: a.unit.slug.clone(),
        unit_name: unit_name(lang, &a.unit),
        edition_name: a.edition.name.clone(),
        sample: a.round.sample || a.edition.sample,
        published: a.round.is_published(),
        stages: stage_rows(
            lang,
            &a.round,
            &a.reopenings,
            Some((&a.unit.slug, a.progress.submitted_on)),
            today,
        ),
        rows,
        unscored_only: r.unscored_only,
        self_total: i18n::num(lang, self_t.overall.achieved),
        final_total: if finals.is_empty() {
            String::new()
        } else {
            i18n::num(lang, final_t.overall.achieved)
        },
        max: i18n::num(lang, a.edition.max_points),
        scoring_lock: scoring.as_ref().err().map(|e| lock_text(lang, e)),
        explain_lock: explaining.as_ref().err().map(|e| lock_text(lang, e)),
        submitted: a.progress.submitted_on.map(dates::date).unwrap_or_default(),
        can_submit: own_submit && scoring.is_ok(),
        can_save: explaining.is_ok()
            && crate::pages::assessments::may_edit_any(cu, &a.unit, &a.edition),
        can_appraise: can(&cu.actor(), &Action::Appraise) && !a.round.is_published(),
        submit_problems: r.submit_problems,
        general: r.general,
        l,
    };
    Ok((r.status, Html(page.render()?)).into_response())
}

pub(super) async fn page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let a = viewable(&state, &cu, &round, &unit).await?;
    render_unit(
        &state,
        &cu,
        &uri,
        &a,
        Render {
            done: q.done,
            unscored_only: q.unscored.as_deref().is_some_and(|v| !v.trim().is_empty()),
            ..Default::default()
        },
    )
}

/// The changes the form asks for, leaf by leaf, and the fields refused (a leaf with an error is
/// left out); forbidden when a changed criterion is not the user's to edit.
fn form_changes(
    cu: &CurrentUser,
    a: &UnitAssessment,
    map: &HashMap<String, String>,
    lang: Lang,
    scoring: &Result<(), LockError>,
    explaining: &Result<(), LockError>,
) -> Result<(Vec<ItemChange>, FieldErrors), PageError> {
    let t = |k: &str| i18n::t(lang, k);
    let mut errors = FieldErrors::default();
    let mut changes = Vec::new();
    for n in leaves(&a.edition) {
        let c = n.code.to_string();
        let (fin, fex, fno) = (format!("in.{c}"), format!("ex.{c}"), format!("no.{c}"));
        let cur = a.items.get(&n.code);
        let cur_input = cur.and_then(|i| i.input.clone());
        let mut input = cur_input.clone();
        if let Some(text) = map.get(&fin) {
            match parse_input(n, text) {
                Ok(i) => input = i,
                Err(e) => {
                    if !(n.survey_scored && text.trim().is_empty()) {
                        errors.add(
                            &fin,
                            t(e.key()),
                            Some(&crate::refusals::item_error(lang, &e)),
                        );
                    }
                    continue;
                }
            }
        }
        let cur_note = cur.map(|i| i.note.clone()).unwrap_or_default();
        let cur_ex = cur.map(|i| i.explanation.clone()).unwrap_or_default();
        let note = map.get(&fno).map(|s| nfc(s)).unwrap_or(cur_note.clone());
        let explanation = map.get(&fex).map(|s| nfc(s)).unwrap_or(cur_ex.clone());
        let input_changed = input != cur_input;
        let text_changed = note != cur_note || explanation != cur_ex;
        if !input_changed && !text_changed {
            continue;
        }
        if !may_edit(cu, &a.unit, &a.edition, &n.code) {
            return Err(PageError::Forbidden);
        }
        if input_changed {
            if let Err(e) = &scoring {
                errors.add(&fin, &lock_text(lang, e), None);
                continue;
            }
            if let Some(i) = &input {
                if let Err(e) = self_score(n, i) {
                    errors.add(
                        &fin,
                        t(e.key()),
                        Some(&crate::refusals::item_error(lang, &e)),
                    );
                    continue;
                }
            }
        }
        if text_changed {
            if let Err(e) = &explaining {
                errors.add(&fex, &lock_text(lang, e), None);
                continue;
            }
            if note.chars().count() > TEXT_LIMIT || explanation.chars().count() > TEXT_LIMIT {
                errors.add(&fex, t("assess.err.too_long"), None);
                continue;
            }
        }
        changes.push(ItemChange {
            code: n.code.clone(),
            input,
            note,
            explanation,
        });
    }
    Ok((changes, errors))
}

pub(super) async fn save(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let a = editable(&state, &cu, &round, &unit).await?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let map: HashMap<String, String> = pairs.into_iter().collect();
    let today = state.today();
    let scoring = may_self_score(&a.round, &a.reopenings, &a.progress, &unit, today);
    let explaining = may_explain(&a.round, &a.reopenings, &a.progress, &unit, today);
    let (changes, errors) = form_changes(&cu, &a, &map, lang, &scoring, &explaining)?;
    let failed = |errors: FieldErrors, general: Vec<String>| {
        render_unit(
            &state,
            &cu,
            &uri,
            &a,
            Render {
                posted: Some(&map),
                errors,
                general,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..Default::default()
            },
        )
    };
    if !errors.is_empty() {
        return failed(errors, vec![t("assess.err.fix_fields").to_string()]);
    }
    match state
        .store
        .save_self_assessment(&round, &unit, &changes, today, &cu.user.username)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/assessments/{round}/units/{unit}?done=saved")).into_response(),
        ),
        Err(StoreError::Invalid(m)) => failed(errors, crate::refusals::lines(lang, &m)),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn submit(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit)): Path<(String, String)>,
) -> Result<Response, PageError> {
    crate::pages::require(
        &cu,
        &Action::SelfAssess {
            unit: &unit,
            lead: None,
        },
    )?;
    let a = state
        .store
        .assessment(&round, &unit)
        .await?
        .ok_or(PageError::NotFound)?;
    let lang = Lang::parse(&cu.user.lang);
    let today = state.today();
    let mut general = Vec::new();
    let mut problems = Vec::new();
    if let Err(e) = may_self_score(&a.round, &a.reopenings, &a.progress, &unit, today) {
        general.push(lock_text(lang, &e));
    }
    for (c, p) in submission_problems(&a.edition, &a.items) {
        problems.push((c.to_string(), i18n::t(lang, p.key()).to_string()));
    }
    if general.is_empty() && problems.is_empty() {
        match state
            .store
            .submit_self_assessment(&round, &unit, today, &cu.user.username)
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!(
                    "/assessments/{round}/units/{unit}?done=submitted"
                ))
                .into_response())
            }
            Err(StoreError::Invalid(m)) => general.extend(crate::refusals::lines(lang, &m)),
            Err(e) => return Err(e.into()),
        }
    }
    render_unit(
        &state,
        &cu,
        &uri,
        &a,
        Render {
            general,
            submit_problems: problems,
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Default::default()
        },
    )
}

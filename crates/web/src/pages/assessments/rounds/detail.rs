//! A round: its stages and units, deadlines, and reopening a stage for one unit.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::dates::parse_date;
use crate::error::PageError;
use crate::forms::FieldErrors;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::assessments::{may_view, pct, stage_key, stage_rows, unit_name, StageRow};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::{Round, Stage};
use parindex_store::StoreError;
use serde::Deserialize;

pub struct UnitLine {
    pub slug: String,
    pub name: String,
    pub submitted: String,
    pub scored: String,
    pub self_total: String,
    pub appraised: usize,
    pub missing: usize,
    pub disputes: usize,
    pub final_total: String,
    pub max: String,
    pub can_appraise: bool,
}

pub struct ReopenLine {
    pub unit: String,
    pub stage_key: &'static str,
    pub until: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

#[derive(Default, Deserialize, Clone)]
pub struct ReopenInput {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "assessment_round.html")]
struct DetailPage {
    l: Layout,
    round: Round,
    edition_name: String,
    level_key: &'static str,
    stages: Vec<StageRow>,
    units: Vec<UnitLine>,
    hidden_units: usize,
    /// Only the units whose file waits for an appraiser (`?waiting=appraisal`).
    waiting: bool,
    reopenings: Vec<ReopenLine>,
    can_manage: bool,
    dates: Vec<DeadlineInput>,
    reopen: ReopenInput,
    unit_options: Vec<(String, String)>,
    stage_options: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    classes: String,
    published: String,
    published_by: String,
}

/// The round's classes: `label ≥ min %`, in order.
fn classes_text(lang: Lang, round: &parindex_domain::assessment::Round) -> String {
    round
        .classes
        .0
        .iter()
        .map(|c| {
            let label = match lang {
                Lang::En => c.label_en.clone().unwrap_or_else(|| c.label_vi.clone()),
                Lang::Vi => c.label_vi.clone(),
            };
            format!("{label} ≥ {}", pct(lang, c.min_pct))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The units of the round this user may see (only those whose file waits for an appraiser
/// today when `waiting`), how many are hidden, and every unit for the reopening form's picker.
struct UnitLines {
    units: Vec<UnitLine>,
    hidden: usize,
    options: Vec<(String, String)>,
    visible: Vec<String>,
}

fn unit_lines(
    cu: &CurrentUser,
    lang: Lang,
    round: &Round,
    edition: &parindex_domain::edition::Edition,
    overview: &[parindex_store::assessments::UnitOverview],
    waiting: Option<(&[parindex_domain::assessment::Reopening], jiff::civil::Date)>,
) -> UnitLines {
    let appraiser = can(&cu.actor(), &Action::Appraise);
    let mut out = UnitLines {
        units: Vec::new(),
        hidden: 0,
        options: Vec::new(),
        visible: Vec::new(),
    };
    for o in overview {
        out.options
            .push((o.unit.slug.clone(), unit_name(lang, &o.unit)));
        if !may_view(cu, &o.unit, edition) {
            out.hidden += 1;
            continue;
        }
        out.visible.push(o.unit.slug.clone());
        if let Some((reopenings, today)) = waiting {
            let waits = parindex_domain::assessment::awaits_appraisal(
                round,
                reopenings,
                &o.progress,
                &o.unit.slug,
                o.missing_finals,
                o.disputes_open,
                today,
            );
            if !waits {
                continue;
            }
        }
        out.units.push(UnitLine {
            slug: o.unit.slug.clone(),
            name: unit_name(lang, &o.unit),
            submitted: o.progress.submitted_on.map(dates::date).unwrap_or_default(),
            scored: format!("{}/{}", o.scored, o.to_score),
            self_total: i18n::num(lang, o.self_total),
            appraised: o.appraised,
            missing: o.missing_finals,
            disputes: o.disputes_open,
            final_total: i18n::num(lang, o.final_total),
            max: i18n::num(lang, o.max),
            can_appraise: appraiser && !round.is_published(),
        });
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn render_detail(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    id: &str,
    q: &Done,
    dates_form: Option<DeadlineFields>,
    reopen: ReopenInput,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let round = state.store.round(id).await?.ok_or(PageError::NotFound)?;
    let mut l = Layout::new(cu, "nav.assessments", "assess.round_title", &here(uri));
    let lang = l.lang;
    l.title = round.name.clone();
    l = l.with_flash(flash(lang, &q.done));
    let edition = state
        .store
        .edition(&round.edition_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let today = state.today();
    let overview = state.store.round_overview(id).await?;
    let all_reopenings = state.store.reopenings(id).await?;
    let waiting = q.waiting.as_deref() == Some("appraisal");
    let lines = unit_lines(
        cu,
        lang,
        &round,
        &edition,
        &overview,
        waiting.then_some((all_reopenings.as_slice(), today)),
    );
    let reopenings = all_reopenings
        .into_iter()
        .filter(|r| lines.visible.contains(&r.unit))
        .map(|r| ReopenLine {
            unit: r.unit,
            stage_key: stage_key(r.stage),
            until: dates::date(r.until),
            reason: r.reason,
            by: r.by,
            at: dates::timestamp(&r.at),
        })
        .collect();
    let page = DetailPage {
        edition_name: edition.name.clone(),
        level_key: level_key(edition.level),
        stages: stage_rows(lang, &round, &[], None, today),
        units: lines.units,
        hidden_units: lines.hidden,
        waiting,
        reopenings,
        can_manage: can(&cu.actor(), &Action::ManageRounds) && !round.is_published(),
        dates: deadline_inputs(
            &dates_form.unwrap_or_else(|| DeadlineFields::of(&round.deadlines)),
            &errors,
        ),
        reopen,
        unit_options: lines.options,
        stage_options: Stage::ALL
            .iter()
            .filter(|s| s.reopenable())
            .map(|s| (s.as_str(), stage_key(*s)))
            .collect(),
        errors,
        classes: classes_text(lang, &round),
        published: round.published_on.map(dates::date).unwrap_or_default(),
        published_by: crate::names::user_name(
            state,
            lang,
            round.published_by.as_deref().unwrap_or_default(),
        )
        .await?,
        round,
        l,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn detail(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewProvincialRanking)?;
    render_detail(
        &state,
        &cu,
        &uri,
        &id,
        &q,
        None,
        ReopenInput::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn deadlines(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<DeadlineFields>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let lang = Lang::parse(&cu.user.lang);
    let mut errors = FieldErrors::default();
    let parsed = f.parse(lang, &mut errors);
    if let (Some(d), true) = (parsed, errors.is_empty()) {
        match state.store.set_deadlines(&id, &d, &cu.user.username).await {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("/assessments/{id}?done=deadlines")).into_response()
                )
            }
            Err(StoreError::Invalid(m)) => crate::refusals::deadlines(lang, &m, &mut errors),
            Err(e) => return Err(e.into()),
        }
    }
    render_detail(
        &state,
        &cu,
        &uri,
        &id,
        &Done::default(),
        Some(f),
        ReopenInput::default(),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub(super) async fn reopen(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<ReopenInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let mut errors = FieldErrors::default();
    let stage = Stage::parse(&f.stage);
    if stage.is_none() {
        errors.add("reopen.stage", t("assess.err.stage"), None);
    }
    let until = parse_date(&f.until);
    if until.is_none() {
        errors.add("reopen.until", t("assess.err.date"), None);
    }
    if f.reason.trim().is_empty() {
        errors.add("reopen.reason", t("assess.err.reason"), None);
    }
    if let (Some(stage), Some(until), true) = (stage, until, errors.is_empty()) {
        match state
            .store
            .reopen_stage(
                &id,
                &f.unit,
                stage,
                until,
                &f.reason,
                state.today(),
                &cu.user.username,
            )
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/assessments/{id}?done=reopened")).into_response())
            }
            Err(StoreError::Invalid(m)) => crate::refusals::reopen(lang, &m, &mut errors),
            Err(e) => return Err(e.into()),
        }
    }
    render_detail(
        &state,
        &cu,
        &uri,
        &id,
        &Done::default(),
        None,
        f,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

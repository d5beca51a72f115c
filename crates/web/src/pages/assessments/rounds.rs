//! Rounds: the list, creating one, a round's stages and units, deadlines, reopening a stage
//! for one unit, publication with confirmation, and next year's round.

use super::{may_view, parse_date, pct, stage_key, stage_rows, unit_name, StageRow};
use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::editions::{FieldErr, FieldErrors};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::{parse_crosswalk, ClassBands, Deadlines, Round, Stage};
use parindex_domain::edition::Level;
use parindex_domain::units::UnitType;
use parindex_store::assessments::{NewRound, NextEdition, NextYear, RoundRanking};
use parindex_store::StoreError;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessments", get(list).post(create))
        .route("/assessments/new", get(new_page))
        .route("/assessments/{round}", get(detail))
        .route(
            "/assessments/{round}/deadlines",
            axum::routing::post(deadlines),
        )
        .route("/assessments/{round}/reopen", axum::routing::post(reopen))
        .route(
            "/assessments/{round}/publish",
            get(publish_page).post(publish),
        )
        .route(
            "/assessments/{round}/next-year",
            get(next_page).post(next_year),
        )
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn flash(lang: Lang, done: &Option<String>) -> Option<String> {
    let key = match done.as_deref()? {
        "created" => "assess.done.created",
        "deadlines" => "assess.done.deadlines",
        "reopened" => "assess.done.reopened",
        "carried" => "assess.done.carried",
        _ => return None,
    };
    Some(i18n::t(lang, key).to_string())
}

fn level_key(l: Level) -> &'static str {
    match l {
        Level::Province => "assess.level.province",
        Level::Department => "assess.level.department",
        Level::District => "assess.level.district",
        Level::Commune => "assess.level.commune",
    }
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

pub struct RoundLine {
    pub id: String,
    pub name: String,
    pub edition: String,
    pub level_key: &'static str,
    pub year: i32,
    pub units: usize,
    pub sample: bool,
    pub published: String,
    /// The stage open today, or empty when all are past.
    pub current: String,
    /// The user's own unit in this round.
    pub own_unit: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment_rounds.html")]
struct ListPage {
    l: Layout,
    rounds: Vec<RoundLine>,
    can_manage: bool,
}

async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewProvincialRanking)?;
    let l = Layout::new(&cu, "nav.assessments", "assess.rounds_title", &here(&uri));
    let lang = l.lang;
    let today = state.today();
    let own = cu.user.unit.clone();
    let rounds = state
        .store
        .rounds()
        .await?
        .into_iter()
        .map(|s| {
            let r = s.round;
            let current = if r.is_published() {
                String::new()
            } else {
                Stage::ALL
                    .iter()
                    .find(|st| today <= r.deadlines.get(**st))
                    .map(|st| i18n::t(lang, stage_key(*st)).to_string())
                    .unwrap_or_default()
            };
            RoundLine {
                own_unit: own.clone().filter(|u| r.units.contains(u)),
                id: r.id.clone(),
                name: r.name.clone(),
                edition: s.edition_name,
                level_key: level_key(s.level),
                year: r.year,
                units: r.units.len(),
                sample: r.sample,
                published: r.published_on.map(i18n::date).unwrap_or_default(),
                current,
            }
        })
        .collect();
    let page = ListPage {
        can_manage: can(&cu.actor(), &Action::ManageRounds),
        l,
        rounds,
    };
    Ok(Html(page.render()?))
}

// ---------------------------------------------------------------------------------------------
// Creating a round
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
pub struct DeadlineFields {
    #[serde(default)]
    d_self_scoring: String,
    #[serde(default)]
    d_explanation: String,
    #[serde(default)]
    d_appraisal1: String,
    #[serde(default)]
    d_appraisal2: String,
    #[serde(default)]
    d_publication: String,
}

impl DeadlineFields {
    fn of(d: &Deadlines) -> DeadlineFields {
        DeadlineFields {
            d_self_scoring: d.self_scoring.to_string(),
            d_explanation: d.explanation.to_string(),
            d_appraisal1: d.appraisal1.to_string(),
            d_appraisal2: d.appraisal2.to_string(),
            d_publication: d.publication.to_string(),
        }
    }

    fn get(&self, s: Stage) -> &str {
        match s {
            Stage::SelfScoring => &self.d_self_scoring,
            Stage::Explanation => &self.d_explanation,
            Stage::Appraisal1 => &self.d_appraisal1,
            Stage::Appraisal2 => &self.d_appraisal2,
            Stage::Publication => &self.d_publication,
        }
    }

    /// The deadlines, or the errors beside each field.
    fn parse(&self, lang: Lang, errors: &mut FieldErrors) -> Option<Deadlines> {
        let mut out: Vec<jiff::civil::Date> = Vec::new();
        for s in Stage::ALL {
            match parse_date(self.get(s)) {
                Some(d) => out.push(d),
                None => errors.add(
                    &format!("deadline.{s}"),
                    i18n::t(lang, "assess.err.date"),
                    None,
                ),
            }
        }
        if out.len() != 5 {
            return None;
        }
        let d = Deadlines {
            self_scoring: out[0],
            explanation: out[1],
            appraisal1: out[2],
            appraisal2: out[3],
            publication: out[4],
        };
        for (s, m) in d.problems() {
            errors.add(
                &format!("deadline.{s}"),
                i18n::t(lang, "assess.err.deadline_order"),
                Some(&m),
            );
        }
        Some(d)
    }
}

/// One date field of the deadlines form.
pub struct DeadlineInput {
    pub name: String,
    pub key: &'static str,
    pub value: String,
    pub err: Option<FieldErr>,
}

fn deadline_inputs(f: &DeadlineFields, errors: &FieldErrors) -> Vec<DeadlineInput> {
    Stage::ALL
        .iter()
        .map(|s| DeadlineInput {
            name: format!("d_{s}"),
            key: stage_key(*s),
            value: f.get(*s).to_string(),
            err: errors.err(&format!("deadline.{s}")).cloned(),
        })
        .collect()
}

#[derive(Deserialize, Default, Clone)]
pub struct NewRoundInput {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    edition: String,
    #[serde(default)]
    classes: String,
    #[serde(default)]
    note: String,
    #[serde(flatten)]
    deadlines: DeadlineFields,
}

pub struct UnitChoice {
    pub slug: String,
    pub name: String,
    pub type_key: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "assessment_round_new.html")]
struct NewPage {
    l: Layout,
    form: NewRoundInput,
    editions: Vec<(String, String, bool)>,
    units: Vec<UnitChoice>,
    dates: Vec<DeadlineInput>,
    errors: FieldErrors,
    general: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_new(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    form: NewRoundInput,
    chosen: Vec<String>,
    errors: FieldErrors,
    general: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = Layout::new(cu, "nav.assessments", "assess.new_title", &here(uri));
    let lang = l.lang;
    let editions = state
        .store
        .editions(None)
        .await?
        .into_iter()
        .filter(|e| e.level != Level::Province || e.criteria > 0)
        .map(|e| {
            let label = format!(
                "{} — {}{}",
                e.name,
                i18n::t(lang, level_key(e.level)),
                if e.sample {
                    format!(" [{}]", i18n::t(lang, "assess.sample_short"))
                } else {
                    String::new()
                }
            );
            let selected = e.id == form.edition;
            (e.id, label, selected)
        })
        .collect();
    let units = state
        .store
        .units(None)
        .await?
        .into_iter()
        .filter(|u| u.unit_type != UnitType::Commune)
        .map(|u| UnitChoice {
            checked: chosen.contains(&u.slug),
            name: unit_name(lang, &u),
            type_key: format!("unit_type.{}", u.unit_type.as_str()),
            slug: u.slug,
        })
        .collect();
    let page = NewPage {
        dates: deadline_inputs(&form.deadlines, &errors),
        l,
        form,
        editions,
        units,
        errors,
        general,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn new_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let y = state.today().year();
    let form = NewRoundInput {
        classes: ClassBands::default().to_text(),
        deadlines: DeadlineFields {
            d_self_scoring: format!("{y}-12-30"),
            d_explanation: format!("{}-01-07", y + 1),
            d_appraisal1: format!("{}-01-21", y + 1),
            d_appraisal2: format!("{}-02-11", y + 1),
            d_publication: format!("{}-02-28", y + 1),
        },
        ..Default::default()
    };
    render_new(
        &state,
        &cu,
        &uri,
        form,
        Vec::new(),
        FieldErrors::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let lang = crate::i18n::Lang::parse(&cu.user.lang);
    let units: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "unit")
        .map(|(_, v)| v.clone())
        .collect();
    let form: NewRoundInput =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(&pairs).unwrap_or_default())
            .unwrap_or_default();
    let mut errors = FieldErrors::default();
    let t = |k: &str| i18n::t(lang, k);
    let deadlines = form.deadlines.parse(lang, &mut errors);
    let classes = match ClassBands::parse(&form.classes) {
        Ok(c) => Some(c),
        Err(ps) => {
            errors.add("classes", t("assess.err.classes"), Some(&ps.join("; ")));
            None
        }
    };
    if form.id.trim() == "new" {
        errors.add("id", t("assess.err.id"), Some("'new' is reserved"));
    }
    let (Some(deadlines), Some(classes), true) = (deadlines, classes, errors.is_empty()) else {
        return render_new(
            &state,
            &cu,
            &uri,
            form,
            units,
            errors,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let input = NewRound {
        id: form.id.trim().to_string(),
        name: form.name.clone(),
        edition_id: form.edition.clone(),
        units: units.clone(),
        deadlines,
        classes,
        note: form.note.clone(),
    };
    match state.store.create_round(&input, &cu.user.username).await {
        Ok(r) => Ok(Redirect::to(&format!("/assessments/{}?done=created", r.id)).into_response()),
        Err(StoreError::Invalid(m)) => {
            let general = crate::refusals::round(lang, &m, &mut errors);
            render_new(
                &state,
                &cu,
                &uri,
                form,
                units,
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// A round
// ---------------------------------------------------------------------------------------------

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
    reopenings: Vec<ReopenLine>,
    can_manage: bool,
    dates: Vec<DeadlineInput>,
    reopen: ReopenInput,
    unit_options: Vec<(String, String)>,
    stage_options: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    classes: String,
    published: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_detail(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    id: &str,
    flash_done: &Option<String>,
    dates_form: Option<DeadlineFields>,
    reopen: ReopenInput,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let round = state.store.round(id).await?.ok_or(PageError::NotFound)?;
    let mut l = Layout::new(cu, "nav.assessments", "assess.round_title", &here(uri));
    let lang = l.lang;
    l.title = round.name.clone();
    l = l.with_flash(flash(lang, flash_done));
    let edition = state
        .store
        .edition(&round.edition_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let today = state.today();
    let overview = state.store.round_overview(id).await?;
    let appraiser = can(&cu.actor(), &Action::Appraise);
    let mut units = Vec::new();
    let mut hidden = 0;
    let mut unit_options = Vec::new();
    let mut visible = Vec::new();
    for o in &overview {
        unit_options.push((o.unit.slug.clone(), unit_name(lang, &o.unit)));
        if !may_view(cu, &o.unit, &edition) {
            hidden += 1;
            continue;
        }
        visible.push(o.unit.slug.clone());
        units.push(UnitLine {
            slug: o.unit.slug.clone(),
            name: unit_name(lang, &o.unit),
            submitted: o.progress.submitted_on.map(i18n::date).unwrap_or_default(),
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
    let reopenings = state
        .store
        .reopenings(id)
        .await?
        .into_iter()
        .filter(|r| visible.contains(&r.unit))
        .map(|r| ReopenLine {
            unit: r.unit,
            stage_key: stage_key(r.stage),
            until: i18n::date(r.until),
            reason: r.reason,
            by: r.by,
            at: i18n::timestamp(&r.at),
        })
        .collect();
    let page = DetailPage {
        edition_name: edition.name.clone(),
        level_key: level_key(edition.level),
        stages: stage_rows(lang, &round, &[], None, today),
        units,
        hidden_units: hidden,
        reopenings,
        can_manage: can(&cu.actor(), &Action::ManageRounds) && !round.is_published(),
        dates: deadline_inputs(
            &dates_form.unwrap_or_else(|| DeadlineFields::of(&round.deadlines)),
            &errors,
        ),
        reopen,
        unit_options,
        stage_options: Stage::ALL
            .iter()
            .filter(|s| s.reopenable())
            .map(|s| (s.as_str(), stage_key(*s)))
            .collect(),
        errors,
        classes: round
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
            .join(" · "),
        published: round.published_on.map(i18n::date).unwrap_or_default(),
        round,
        l,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn detail(
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
        &q.done,
        None,
        ReopenInput::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn deadlines(
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
        &None,
        Some(f),
        ReopenInput::default(),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn reopen(
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
        &None,
        None,
        f,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Publication
// ---------------------------------------------------------------------------------------------

pub struct Blocker {
    pub unit: String,
    pub slug: String,
    pub missing: String,
    pub disputes: String,
}

pub struct PreviewLine {
    pub rank: u32,
    pub unit: String,
    pub total: String,
    pub pct: String,
    pub class: String,
}

#[derive(Template)]
#[template(path = "assessment_publish.html")]
struct PublishPage {
    l: Layout,
    round: Round,
    blockers: Vec<Blocker>,
    preview: Vec<PreviewLine>,
    error: Option<String>,
    today: String,
}

async fn render_publish(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    id: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let round = state.store.round(id).await?.ok_or(PageError::NotFound)?;
    if round.is_published() {
        return Ok(Redirect::to(&format!("/rankings/{id}")).into_response());
    }
    let l = Layout::new(cu, "nav.assessments", "assess.publish_title", &here(uri));
    let lang = l.lang;
    let names: BTreeMap<String, String> = crate::pages::editions::unit_names(state, lang).await?;
    let name = |s: &str| names.get(s).cloned().unwrap_or_else(|| s.to_string());
    let join = |v: &[parindex_domain::edition::NodeCode]| {
        v.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let blockers = state
        .store
        .publication_blockers(id)
        .await?
        .into_iter()
        .map(|(u, missing, disputes)| Blocker {
            unit: name(&u),
            slug: u,
            missing: join(&missing),
            disputes: join(&disputes),
        })
        .collect();
    let preview = match state.store.provisional_ranking(id).await? {
        Some(rk) => preview_lines(lang, &rk),
        None => Vec::new(),
    };
    let page = PublishPage {
        l,
        round,
        blockers,
        preview,
        error,
        today: i18n::date(state.today()),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn preview_lines(lang: Lang, rk: &RoundRanking) -> Vec<PreviewLine> {
    rk.rows
        .iter()
        .map(|r| PreviewLine {
            rank: r.rank,
            unit: rk
                .units
                .get(&r.unit)
                .map(|u| unit_name(lang, u))
                .unwrap_or_else(|| r.unit.clone()),
            total: format!("{} / {}", i18n::num(lang, r.total), i18n::num(lang, r.max)),
            pct: pct(lang, r.pct),
            class: r
                .class
                .as_ref()
                .map(|(_, c)| match lang {
                    Lang::En => c.label_en.clone().unwrap_or_else(|| c.label_vi.clone()),
                    Lang::Vi => c.label_vi.clone(),
                })
                .unwrap_or_default(),
        })
        .collect()
}

async fn publish_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    render_publish(&state, &cu, &uri, &id, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct PublishInput {
    confirm: Option<String>,
}

async fn publish(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<PublishInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let lang = Lang::parse(&cu.user.lang);
    if f.confirm.as_deref() != Some("1") {
        let e = i18n::t(lang, "assess.err.confirm").to_string();
        return render_publish(
            &state,
            &cu,
            &uri,
            &id,
            Some(e),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .store
        .publish_round(&id, state.today(), &cu.user.username)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/rankings/{id}?done=published")).into_response()),
        Err(StoreError::Invalid(m)) => {
            let e = format!("{} {m}", i18n::t(lang, "assess.err.publish"));
            render_publish(
                &state,
                &cu,
                &uri,
                &id,
                Some(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Next year
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
pub struct NextInput {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    /// `copy` or an existing edition's id.
    #[serde(default)]
    edition: String,
    #[serde(default)]
    new_edition_id: String,
    #[serde(default)]
    crosswalk: String,
    #[serde(default)]
    carry_evidence: Option<String>,
    #[serde(flatten)]
    deadlines: DeadlineFields,
}

#[derive(Template)]
#[template(path = "assessment_next_year.html")]
struct NextPage {
    l: Layout,
    round: Round,
    form: NextInput,
    editions: Vec<(String, String, bool)>,
    dates: Vec<DeadlineInput>,
    errors: FieldErrors,
    general: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_next(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    round: Round,
    form: NextInput,
    errors: FieldErrors,
    general: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = Layout::new(cu, "nav.assessments", "assess.next_title", &here(uri));
    let level = state
        .store
        .edition(&round.edition_id)
        .await?
        .map(|e| e.level);
    let editions = state
        .store
        .editions(None)
        .await?
        .into_iter()
        .filter(|e| Some(e.level) == level && e.id != round.edition_id && e.criteria > 0)
        .map(|e| {
            let selected = e.id == form.edition;
            (e.id, format!("{} ({})", e.name, e.year), selected)
        })
        .collect();
    let page = NextPage {
        dates: deadline_inputs(&form.deadlines, &errors),
        l,
        round,
        form,
        editions,
        errors,
        general,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn next_year_defaults(round: &Round) -> NextInput {
    let y = round.year + 1;
    let bump = |s: &str| s.replace(&round.year.to_string(), &y.to_string());
    let plus = |d: jiff::civil::Date| {
        d.checked_add(jiff::Span::new().years(1))
            .unwrap_or(d)
            .to_string()
    };
    NextInput {
        id: if round.id.contains(&round.year.to_string()) {
            bump(&round.id)
        } else {
            format!("{}-{y}", round.id)
        },
        name: if round.name.contains(&round.year.to_string()) {
            bump(&round.name)
        } else {
            format!("{} {y}", round.name)
        },
        edition: "copy".into(),
        new_edition_id: if round.edition_id.contains(&round.year.to_string()) {
            bump(&round.edition_id)
        } else {
            format!("{}-{y}", round.edition_id)
        },
        crosswalk: String::new(),
        carry_evidence: Some("1".into()),
        deadlines: DeadlineFields {
            d_self_scoring: plus(round.deadlines.self_scoring),
            d_explanation: plus(round.deadlines.explanation),
            d_appraisal1: plus(round.deadlines.appraisal1),
            d_appraisal2: plus(round.deadlines.appraisal2),
            d_publication: plus(round.deadlines.publication),
        },
    }
}

async fn next_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let round = state.store.round(&id).await?.ok_or(PageError::NotFound)?;
    let form = next_year_defaults(&round);
    render_next(
        &state,
        &cu,
        &uri,
        round,
        form,
        FieldErrors::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

async fn next_year(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<NextInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let round = state.store.round(&id).await?.ok_or(PageError::NotFound)?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let mut errors = FieldErrors::default();
    let deadlines = f.deadlines.parse(lang, &mut errors);
    let crosswalk = match parse_crosswalk(&f.crosswalk) {
        Ok(c) => Some(c),
        Err(ps) => {
            errors.add("crosswalk", t("assess.err.crosswalk"), Some(&ps.join("; ")));
            None
        }
    };
    let edition = if f.edition == "copy" {
        NextEdition::Copy(f.new_edition_id.trim().to_string())
    } else {
        NextEdition::Existing(f.edition.clone())
    };
    let (Some(deadlines), Some(crosswalk), true) = (deadlines, crosswalk, errors.is_empty()) else {
        return render_next(
            &state,
            &cu,
            &uri,
            round,
            f,
            errors,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let next = NextYear {
        round_id: f.id.trim().to_string(),
        name: f.name.clone(),
        edition,
        deadlines,
        crosswalk,
        carry_evidence: f.carry_evidence.is_some(),
    };
    match state.store.carry_over(&id, &next, &cu.user.username).await {
        Ok((r, _)) => {
            Ok(Redirect::to(&format!("/assessments/{}?done=carried", r.id)).into_response())
        }
        Err(StoreError::Invalid(m)) => {
            let general = crate::refusals::round(lang, &m, &mut errors);
            render_next(
                &state,
                &cu,
                &uri,
                round,
                f,
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

//! The published rankings of departments and of districts: total and index %, rank (ties
//! share), class, change since last year, points lost per area, the head of agency; and
//! corrections after publication (a new, audited decision of the coordinator).

use super::{pct, signed, unit_name};
use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::dates::parse_date;
use crate::error::PageError;
use crate::forms::FieldErrors;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::{leaves, scoped_edition};
use parindex_domain::edition::{Level, NodeCode};
use parindex_domain::score::parse_points;
use parindex_store::assessments::RoundRanking;
use parindex_store::StoreError;
use serde::Deserialize;

/// Message keys chosen in code (checked by a test).
#[cfg_attr(not(test), allow(dead_code))]
pub const DYNAMIC_KEYS: &[&str] = &[
    "ranking.level.province",
    "ranking.level.department",
    "ranking.level.district",
    "ranking.level.commune",
    "ranking.published",
    "ranking.corrected",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rankings", get(list))
        .route("/rankings/{round}", get(page))
        .route("/rankings/{round}/corrections", post(correct))
}

fn level_key(l: Level) -> &'static str {
    match l {
        Level::Province => "ranking.level.province",
        Level::Department => "ranking.level.department",
        Level::District => "ranking.level.district",
        Level::Commune => "ranking.level.commune",
    }
}

pub struct Published {
    pub id: String,
    pub name: String,
    pub year: i32,
    pub level_key: &'static str,
    pub units: usize,
    pub published_on: String,
    pub published_date: Option<jiff::civil::Date>,
    pub sample: bool,
}

#[derive(Template)]
#[template(path = "ranking_list.html")]
struct ListPage {
    l: Layout,
    rounds: Vec<Published>,
    export_href: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    export: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewProvincialRanking)?;
    let rounds: Vec<Published> = state
        .store
        .rounds()
        .await?
        .into_iter()
        .filter(|s| s.round.is_published())
        .map(|s| Published {
            id: s.round.id.clone(),
            name: s.round.name.clone(),
            year: s.round.year,
            level_key: level_key(s.level),
            units: s.round.units.len(),
            published_on: s.round.published_on.map(dates::date).unwrap_or_default(),
            published_date: s.round.published_on,
            sample: s.round.sample,
        })
        .collect();
    let l = Layout::new(&cu, "nav.assessments", "ranking.list_title", &here(&uri));
    if crate::export::wants_xlsx(q.export.as_deref())? {
        return crate::pages::tables::ranking_list_xlsx(l.lang, &rounds);
    }
    let page = ListPage {
        l,
        rounds,
        export_href: crate::export::export_href(&uri),
    };
    Ok(Html(page.render()?).into_response())
}

pub struct AreaHead {
    pub code: String,
    pub title: String,
    pub max: String,
}

pub struct RankRow {
    pub unit: String,
    pub name: String,
    pub head: String,
    pub rank: u32,
    pub total: String,
    pub max: String,
    pub pct: String,
    pub class: String,
    pub class_pos: usize,
    pub change_pct: String,
    pub change_rank: String,
    pub change_good: bool,
    pub change_bad: bool,
    pub lost: String,
    pub areas: Vec<String>,
    /// The figures above as numbers, for the spreadsheet.
    pub nums: RankNums,
}

/// A ranking row's figures as exact numbers (the sheet writes them as numbers).
pub struct RankNums {
    pub total: rust_decimal::Decimal,
    pub pct: rust_decimal::Decimal,
    pub lost: rust_decimal::Decimal,
    pub areas: Vec<Option<rust_decimal::Decimal>>,
}

pub struct CorrectionLine {
    pub unit: String,
    pub code: String,
    pub old: String,
    pub new: String,
    pub decision: String,
    pub decided_on: String,
    pub reason: String,
    pub by: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct CorrectionInput {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    decision_ref: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct RankingPage {
    l: Layout,
    round_id: String,
    edition_name: String,
    level_key: &'static str,
    sample: bool,
    published_on: String,
    published_by: String,
    classes: Vec<(String, String, usize)>,
    areas: Vec<AreaHead>,
    rows: Vec<RankRow>,
    previous: Vec<(String, String)>,
    corrections: Vec<CorrectionLine>,
    can_correct: bool,
    export_href: String,
    units: Vec<(String, String)>,
    form: CorrectionInput,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
    export: Option<String>,
    /// `pdf`: the ranking as the annex of the decision publishing it.
    format: Option<String>,
}

fn class_label(lang: Lang, c: &parindex_domain::assessment::ClassBand) -> String {
    match lang {
        Lang::En => c.label_en.clone().unwrap_or_else(|| c.label_vi.clone()),
        Lang::Vi => c.label_vi.clone(),
    }
}

/// The head of a unit as shown: `name (title)`, the name alone, or nothing.
fn head_text(u: &parindex_domain::units::Unit) -> String {
    let name = u.head_name.clone().unwrap_or_default();
    let title = u.head_title.clone().unwrap_or_default();
    match (name.is_empty(), title.is_empty()) {
        (false, false) => format!("{name} ({title})"),
        (false, true) => name,
        _ => String::new(),
    }
}

/// One unit's row: its score, class, change since last year and the points lost per area.
fn rank_row(
    lang: Lang,
    rk: &RoundRanking,
    areas: &[AreaHead],
    r: &parindex_domain::assessment::RankingRow,
) -> RankRow {
    let unit = rk.units.get(&r.unit);
    let area_losses: Vec<Option<rust_decimal::Decimal>> = areas
        .iter()
        .map(|h| {
            r.areas
                .iter()
                .find(|a| a.code == h.code)
                .and_then(|a| a.lost)
        })
        .collect();
    RankRow {
        unit: r.unit.clone(),
        name: unit
            .map(|u| unit_name(lang, u))
            .unwrap_or_else(|| r.unit.clone()),
        head: unit.map(head_text).unwrap_or_default(),
        rank: r.rank,
        total: i18n::num(lang, r.total),
        max: i18n::num(lang, r.max),
        pct: pct(lang, r.pct),
        class: r
            .class
            .as_ref()
            .map(|(_, c)| class_label(lang, c))
            .unwrap_or_default(),
        class_pos: r.class.as_ref().map(|(i, _)| *i).unwrap_or(0),
        change_pct: r
            .change_pct
            // A change of a percentage is in percentage points ("điểm %"), not a percentage.
            .map(|d| format!("{} {}", signed(lang, d), i18n::t(lang, "common.pct_points")))
            .unwrap_or_default(),
        change_rank: r
            .change_rank
            .map(crate::pages::results::signed_places)
            .unwrap_or_default(),
        change_good: r.change_rank.is_some_and(|d| d > 0),
        change_bad: r.change_rank.is_some_and(|d| d < 0),
        lost: i18n::num(lang, r.lost),
        areas: area_losses
            .iter()
            .map(|d| d.map(|d| i18n::num(lang, d)).unwrap_or_else(|| "—".into()))
            .collect(),
        nums: RankNums {
            total: r.total,
            pct: r.pct,
            lost: r.lost,
            areas: area_losses,
        },
    }
}

/// The area columns and the rows of a ranking, as the page shows them (and the sheet writes).
fn ranking_table(lang: Lang, rk: &RoundRanking) -> (Vec<AreaHead>, Vec<RankRow>) {
    let areas: Vec<AreaHead> = rk
        .edition
        .areas()
        .map(|a| AreaHead {
            code: a.code.to_string(),
            title: crate::names::node_title(lang, a),
            max: i18n::opt_num(lang, a.max_points),
        })
        .collect();
    let rows = rk
        .rows
        .iter()
        .map(|r| rank_row(lang, rk, &areas, r))
        .collect();
    (areas, rows)
}

/// A score corrected after publication.
fn correction_line(
    lang: Lang,
    rk: &RoundRanking,
    c: &parindex_domain::assessment::Correction,
) -> CorrectionLine {
    CorrectionLine {
        unit: rk
            .units
            .get(&c.unit)
            .map(|u| unit_name(lang, u))
            .unwrap_or_else(|| c.unit.clone()),
        code: c.code.to_string(),
        old: i18n::num(lang, c.old_score),
        new: i18n::num(lang, c.new_score),
        decision: c.decision_ref.clone(),
        decided_on: dates::date(c.decided_on),
        reason: c.reason.clone(),
        by: c.by.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    id: &str,
    done: &Option<String>,
    form: CorrectionInput,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let rk = state.store.ranking(id).await?.ok_or(PageError::NotFound)?;
    let mut l = Layout::new(cu, "nav.assessments", "ranking.title", &here(uri));
    let lang = l.lang;
    l.title = rk.round.name.clone();
    let flash = match done.as_deref() {
        Some("published") => Some(i18n::t(lang, "ranking.published").to_string()),
        Some("corrected") => Some(i18n::t(lang, "ranking.corrected").to_string()),
        _ => None,
    };
    l = l.with_flash(flash);
    let (areas, rows) = ranking_table(lang, &rk);
    let corrections = rk
        .corrections
        .iter()
        .map(|c| correction_line(lang, &rk, c))
        .collect();
    let page = RankingPage {
        round_id: rk.round.id.clone(),
        edition_name: rk.edition.name.clone(),
        level_key: level_key(rk.edition.level),
        sample: rk.round.sample || rk.edition.sample,
        published_on: rk.round.published_on.map(dates::date).unwrap_or_default(),
        published_by: crate::names::user_name(
            state,
            lang,
            rk.round.published_by.as_deref().unwrap_or_default(),
        )
        .await?,
        classes: rk
            .round
            .classes
            .0
            .iter()
            .enumerate()
            .map(|(i, c)| (class_label(lang, c), pct(lang, c.min_pct), i))
            .collect(),
        areas,
        rows,
        previous: rk.previous.clone(),
        corrections,
        can_correct: can(&cu.actor(), &Action::ManageRounds),
        export_href: format!("/rankings/{}?export=xlsx", crate::download::pct_encode(id)),
        units: rk
            .round
            .units
            .iter()
            .map(|u| {
                (
                    u.clone(),
                    rk.units
                        .get(u)
                        .map(|x| unit_name(lang, x))
                        .unwrap_or_else(|| u.clone()),
                )
            })
            .collect(),
        form,
        errors,
        l,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewProvincialRanking)?;
    if crate::export::wants_xlsx(q.export.as_deref())? {
        let rk = state.store.ranking(&id).await?.ok_or(PageError::NotFound)?;
        let lang = Lang::parse(&cu.user.lang);
        let (areas, rows) = ranking_table(lang, &rk);
        return crate::pages::tables::ranking_xlsx(lang, &id, &areas, &rows);
    }
    if let Some(format) = q.format.as_deref() {
        return annex_pdf(&state, &id, format).await;
    }
    render(
        &state,
        &cu,
        &uri,
        &id,
        &q.done,
        CorrectionInput::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `?format=pdf`: the ranking as the annex of the Chairman's decision publishing it (typst,
/// `parindex_reports::ranking_pdf`); any other format is refused.
async fn annex_pdf(state: &AppState, id: &str, format: &str) -> Result<Response, PageError> {
    if format != "pdf" {
        return Err(PageError::refused(
            "format",
            parindex_store::RefusalKind::NotOneOf {
                value: format.to_string(),
                allowed: &["pdf"],
            },
        ));
    }
    let rk = state.store.ranking(id).await?.ok_or(PageError::NotFound)?;
    let province = state
        .store
        .units(None)
        .await?
        .into_iter()
        .find(|u| u.unit_type == parindex_domain::units::UnitType::Province)
        .map(|u| u.name_vi.to_uppercase())
        .unwrap_or_default();
    crate::download::pdf(&format!("xep-hang-{id}.pdf"), move || {
        parindex_reports::ranking_pdf(&rk, &province)
    })
    .await
}

async fn correct(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<CorrectionInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let rk = state.store.ranking(&id).await?.ok_or(PageError::NotFound)?;
    let mut errors = FieldErrors::default();
    let code = NodeCode::parse(&f.code).ok();
    let leaf_ok = code.as_ref().is_some_and(|c| {
        rk.units.get(&f.unit).is_some_and(|u| {
            leaves(&scoped_edition(&rk.edition, u.unit_type))
                .iter()
                .any(|n| &n.code == c)
        })
    });
    if !rk.round.units.contains(&f.unit) {
        errors.add("unit", t("ranking.err.unit"), None);
    } else if !leaf_ok {
        errors.add("code", t("ranking.err.code"), None);
    }
    let score = parse_points(&f.score).ok();
    if score.is_none() {
        errors.add("score", t("assess.err.unreadable"), None);
    }
    let decided_on = parse_date(&f.decided_on);
    if decided_on.is_none() {
        errors.add("decided_on", t("assess.err.date"), None);
    }
    if f.decision_ref.trim().is_empty() {
        errors.add("decision_ref", t("ranking.err.decision"), None);
    }
    if f.reason.trim().is_empty() {
        errors.add("reason", t("assess.err.reason"), None);
    }
    if let (Some(code), Some(score), Some(on), true) = (code, score, decided_on, errors.is_empty())
    {
        match state
            .store
            .correct_score(
                &id,
                &f.unit,
                &code,
                score,
                &f.reason,
                &f.decision_ref,
                on,
                &cu.user.username,
            )
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/rankings/{id}?done=corrected")).into_response())
            }
            Err(StoreError::Invalid(m)) => crate::refusals::correction(lang, &m, &mut errors),
            Err(e) => return Err(e.into()),
        }
    }
    render(
        &state,
        &cu,
        &uri,
        &id,
        &None,
        f,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

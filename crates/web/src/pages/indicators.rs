//! Operational indicators and one-stop-shop dossiers: the indicator list with status against
//! target, an indicator's trend and the criteria it feeds, observation entry and import (the
//! coordinator), the dossier rates per agency with explained and unexplained overdue dossiers,
//! and each agency's list of late dossiers with the explanation its own users write.

use crate::auth::{Authed, CurrentUser};
use crate::charts::{self, Point};
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::dossier_upload::{self, CheckView, UploadError, UploadForm};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use parindex_domain::access::{can, Action};
use parindex_domain::dossiers::{Counts, Month};
use parindex_domain::indicators::{
    listed, observed_value, trend, Direction, Indicator, Measure, Observation, Period, Source,
    Status,
};
use parindex_domain::score::parse_points;
use parindex_store::{IndicatorView, LinkedScore};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

mod overdue;
pub use overdue::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/indicators", get(list))
        .route("/indicators/import", post(import_observations))
        .route("/indicators/{id}", get(detail))
        .route("/indicators/{id}/observations", post(add_observation))
        .route(
            "/dossiers",
            get(dossiers)
                .post(dossier_upload::upload)
                .layer(DefaultBodyLimit::max(dossier_upload::DOSSIER_BODY_LIMIT)),
        )
        .route("/dossiers/{unit}", get(agency_list))
        .route("/dossiers/{unit}/{code}", get(explain_page).post(explain))
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Met => "good",
        Status::AtRisk => "",
        Status::Missed => "bad",
        Status::NoData | Status::NoTarget => "muted",
    }
}

fn pct_or_num(lang: Lang, ind: &Indicator, v: Decimal) -> String {
    i18n::measured(lang, v, &ind.unit)
}

fn target_text(lang: Lang, ind: &Indicator) -> String {
    match ind.target {
        None => "—".into(),
        Some(t) => {
            let op = match ind.direction {
                Direction::HigherIsBetter => "≥",
                Direction::LowerIsBetter => "≤",
            };
            format!("{op} {}", pct_or_num(lang, ind, t))
        }
    }
}

fn name_of(lang: Lang, ind: &Indicator) -> String {
    match lang {
        Lang::Vi => ind.name_vi.clone(),
        Lang::En => ind.name_en.clone().unwrap_or_else(|| ind.name_vi.clone()),
    }
}

use crate::download::pct_encode as seg;

fn when(s: &str) -> String {
    if s.is_empty() {
        "—".into()
    } else {
        dates::timestamp(s)
    }
}

async fn unit_names(state: &AppState) -> Result<BTreeMap<String, String>, PageError> {
    Ok(state
        .store
        .units(None)
        .await?
        .into_iter()
        .map(|u| (u.slug, u.name_vi))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The indicator list
// ---------------------------------------------------------------------------------------------

pub struct IndRow {
    pub id: String,
    pub name: String,
    pub target: String,
    pub deadline: String,
    pub current: String,
    pub period: String,
    pub status_key: String,
    pub status_class: &'static str,
    pub lead: String,
    pub sample: bool,
    /// The deadline and the current value as a date and a number, for the spreadsheet.
    pub deadline_date: Option<jiff::civil::Date>,
    pub current_value: Option<Decimal>,
}

pub struct ProblemRow {
    pub row: String,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct ListPage {
    l: Layout,
    rows: Vec<IndRow>,
    can_edit: bool,
    problems: Vec<ProblemRow>,
    file_name: String,
    export_href: String,
}

/// The indicators with their current value and status as of the app's today: the list page
/// and the dashboard show the same rows.
pub async fn indicator_rows(state: &AppState, lang: Lang) -> Result<Vec<IndRow>, PageError> {
    let names = unit_names(state).await?;
    let views = state.store.indicator_views(state.today()).await?;
    let rows = views
        .into_iter()
        .map(|v| {
            let ind = &v.indicator;
            IndRow {
                id: ind.id.clone(),
                name: name_of(lang, ind),
                target: target_text(lang, ind),
                deadline: ind
                    .deadline
                    .map(dates::date)
                    .unwrap_or_else(|| i18n::t(lang, "indicators.standing").to_string()),
                current: v
                    .current
                    .as_ref()
                    .map(|o| pct_or_num(lang, ind, o.value))
                    .unwrap_or_else(|| "—".into()),
                period: v
                    .current
                    .as_ref()
                    .map(|o| o.period.to_string())
                    .unwrap_or_default(),
                status_key: format!("indicators.status.{}", v.status.as_str()),
                status_class: status_class(v.status),
                lead: ind
                    .lead_agency
                    .as_ref()
                    .map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone()))
                    .unwrap_or_default(),
                sample: v.sample_data,
                deadline_date: ind.deadline,
                current_value: v.current.as_ref().map(|o| o.value.round_dp(2)),
            }
        })
        .collect();
    Ok(rows)
}

async fn list_page(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    flash: Option<String>,
    problems: Vec<ProblemRow>,
    file_name: String,
) -> Result<ListPage, PageError> {
    let l = Layout::new(cu, "nav.indicators", "indicators.title", &here(uri)).with_flash(flash);
    let rows = indicator_rows(state, l.lang).await?;
    Ok(ListPage {
        can_edit: can(&cu.actor(), &Action::EditIndicators),
        l,
        rows,
        problems,
        file_name,
        export_href: "/indicators?export=xlsx".into(),
    })
}

#[derive(Deserialize, Default)]
pub struct FlashQuery {
    imported: Option<usize>,
    /// `/dossiers?import=ID`: the notice on what this dossier import stored.
    import: Option<i64>,
    saved: Option<String>,
    month: Option<String>,
    page: Option<usize>,
    show: Option<String>,
    /// `export=xlsx`: the page's table as a spreadsheet.
    export: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    q: Query<FlashQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewIndicators)?;
    if crate::export::wants_xlsx(q.export.as_deref())? {
        let lang = Lang::parse(&cu.user.lang);
        let rows = indicator_rows(&state, lang).await?;
        return crate::pages::tables::indicators_xlsx(lang, &rows);
    }
    crate::cache::page(&state, &cu, "indicators", &uri, |cu| {
        render_list(state.clone(), cu, uri.clone(), q)
    })
    .await
}

async fn render_list(
    state: AppState,
    cu: CurrentUser,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Result<Html<String>, PageError> {
    let lang = Lang::parse(&cu.user.lang);
    let flash = q
        .imported
        .map(|n| format!("{} {n}", i18n::t(lang, "indicators.imported")));
    let page = list_page(&state, &cu, &uri, flash, Vec::new(), String::new()).await?;
    Ok(Html(page.render()?))
}

async fn import_observations(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    mp: Multipart,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditIndicators)?;
    let up = crate::upload::read(mp, crate::BODY_LIMIT).await?;
    if up.too_large {
        return Err(PageError::TooLarge);
    }
    let Some((name, bytes)) = up.file else {
        return Err(PageError::refused(
            "file",
            parindex_store::RefusalKind::NoFile,
        ));
    };
    let indicators = state.store.indicators().await?;
    let measures: std::collections::BTreeMap<String, Measure> = indicators
        .iter()
        .filter(|i| i.source == Source::Manual)
        .map(|i| (i.id.clone(), i.measure))
        .collect();
    // Parsed off the async workers, under the upload cap (authorization is checked above).
    let file_name = name.clone();
    let read = crate::parse_pool::parse(move || {
        let measure_of = |id: &str| measures.get(id).copied();
        parindex_interchange::indicators::observations_from_bytes(&bytes, &name, &measure_of)
    })
    .await?;
    let lang = crate::i18n::Lang::parse(&cu.user.lang);
    let problems = match read {
        Ok(obs) => match state.store.save_observations(&obs, &cu.user.username).await {
            Ok(n) => return Ok(Redirect::to(&format!("/indicators?imported={n}")).into_response()),
            Err(parindex_store::StoreError::Invalid(m)) => crate::refusals::lines(lang, &m)
                .into_iter()
                .map(|message| ProblemRow {
                    row: String::new(),
                    column: String::new(),
                    message,
                })
                .collect(),
            Err(e) => return Err(e.into()),
        },
        Err(e) => e
            .problems
            .into_iter()
            .map(|p| ProblemRow {
                message: crate::upload::problem_message(lang, &p),
                row: p.row.map(|r| r.to_string()).unwrap_or_default(),
                column: p.column.unwrap_or_default(),
            })
            .collect(),
    };
    let page = list_page(&state, &cu, &uri, None, problems, file_name).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------------------------
// One indicator
// ---------------------------------------------------------------------------------------------

pub struct ObsRow {
    pub unit: String,
    pub period: String,
    pub value: String,
    pub numerator: String,
    pub denominator: String,
    pub source: String,
    pub note: String,
    /// Value, numerator and denominator as numbers, for the spreadsheet.
    pub nums: (Option<Decimal>, Option<Decimal>, Option<Decimal>),
}

pub struct LinkRow {
    pub edition: String,
    pub edition_id: String,
    pub sample: bool,
    pub node: String,
    pub value: String,
    pub score: String,
    pub problem: String,
}

#[derive(Template)]
#[template(path = "indicators_detail.html")]
struct DetailPage {
    l: Layout,
    id: String,
    name: String,
    unit: String,
    measure_key: String,
    direction_key: String,
    target: String,
    deadline: String,
    frequency_key: String,
    from_dossiers: bool,
    lead: String,
    note: String,
    current: String,
    period: String,
    status_key: String,
    status_class: &'static str,
    sample: bool,
    chart: String,
    observations: Vec<ObsRow>,
    links: Vec<LinkRow>,
    can_edit: bool,
    units: Vec<(String, String)>,
    error: Option<String>,
    form: ObservationForm,
    export_href: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ObservationForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    numerator: String,
    #[serde(default)]
    denominator: String,
    #[serde(default)]
    note: String,
}

/// An observation as its table shows it: the figures by the one rule (`figures::value`), the
/// note computed for a year's dossiers in the reader's language.
fn obs_row(lang: Lang, ind: &Indicator, unit: String, o: &Observation) -> ObsRow {
    // A rate computed from dossiers divides counts of dossiers.
    let part = |d: Decimal| {
        if ind.source.from_dossiers() {
            parindex_domain::figures::whole(d, i18n::style(lang))
        } else {
            i18n::value(lang, d)
        }
    };
    ObsRow {
        unit,
        period: o.period.to_string(),
        value: pct_or_num(lang, ind, o.value),
        numerator: o.numerator.map(part).unwrap_or_default(),
        denominator: o.denominator.map(part).unwrap_or_default(),
        source: source_words(lang, &o.source),
        note: match o.note.as_deref() {
            Some(parindex_domain::indicators::CUMULATED_NOTE) => {
                i18n::t(lang, "indicators.note_cumulated").to_string()
            }
            n => n.unwrap_or_default().to_string(),
        },
        nums: (Some(o.value.round_dp(2)), o.numerator, o.denominator),
    }
}

/// The trend of the province's values (months for a dossier indicator), with the target line.
fn trend_chart(lang: Lang, ind: &Indicator, name: &str, observations: &[Observation]) -> String {
    let points: Vec<Point> = trend(observations, ind.source.from_dossiers())
        .iter()
        .map(|o| Point {
            label: o.period.to_string(),
            value: o.value.to_f64().unwrap_or(0.0),
            value_text: i18n::value(lang, o.value),
            note: None,
        })
        .collect();
    let target = ind
        .target
        .map(|t| (t.to_f64().unwrap_or(0.0), target_text(lang, ind)));
    charts::line(
        name,
        i18n::t(lang, "indicators.trend_desc"),
        &points,
        target,
    )
}

/// A criterion of an edition the indicator feeds, with the value and score it gives.
fn link_row(lang: Lang, ind: &Indicator, k: &LinkedScore) -> LinkRow {
    LinkRow {
        edition: k.edition_name.clone(),
        edition_id: k.edition_id.clone(),
        sample: k.edition_sample,
        node: format!("{} {}", k.node_code, k.node_title),
        value: match (k.value, k.period) {
            (Some(v), Some(p)) => format!("{} ({p})", pct_or_num(lang, ind, v)),
            _ => "—".into(),
        },
        score: match (k.score, k.max_points) {
            (Some(s), Some(m)) => format!("{} / {}", i18n::num(lang, s), i18n::num(lang, m)),
            (Some(s), None) => i18n::num(lang, s),
            _ => "—".into(),
        },
        problem: k.problem.clone().unwrap_or_default(),
    }
}

/// Where an observation came from, in words (`dossiers`, `entered`, `imported`); another source
/// as it was recorded.
fn source_words(lang: Lang, source: &str) -> String {
    match source {
        "dossiers" | "entered" | "imported" => {
            i18n::t(lang, &format!("indicators.obs_source.{}", source)).to_string()
        }
        other => other.to_string(),
    }
}

async fn detail_page(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    id: &str,
    flash: Option<String>,
    error: Option<String>,
    form: ObservationForm,
) -> Result<DetailPage, PageError> {
    let v: IndicatorView = state
        .store
        .indicator_view(id, state.today())
        .await?
        .ok_or(PageError::NotFound)?;
    let l = Layout::new(cu, "nav.indicators", "indicators.title", &here(uri)).with_flash(flash);
    let lang = l.lang;
    let names = unit_names(state).await?;
    let ind = &v.indicator;
    let unit_name = |u: &Option<String>| match u {
        None => i18n::t(lang, "indicators.whole_province").to_string(),
        Some(u) => names.get(u).cloned().unwrap_or_else(|| u.clone()),
    };
    let name = name_of(lang, ind);
    let chart = trend_chart(lang, ind, &name, &v.observations);
    let observations = listed(&v.observations)
        .into_iter()
        .map(|o| obs_row(lang, ind, unit_name(&o.unit), o))
        .collect();
    let links = v.links.iter().map(|k| link_row(lang, ind, k)).collect();
    let can_edit = can(&cu.actor(), &Action::EditIndicators) && !ind.source.from_dossiers();
    let units = if can_edit {
        state
            .store
            .units(None)
            .await?
            .into_iter()
            .map(|u| (u.slug, u.name_vi))
            .collect()
    } else {
        Vec::new()
    };
    Ok(DetailPage {
        id: ind.id.clone(),
        name,
        unit: i18n::measure_unit(lang, &ind.unit),
        measure_key: format!("indicators.measure.{}", ind.measure.as_str()),
        direction_key: format!("indicators.direction.{}", ind.direction.as_str()),
        target: target_text(lang, ind),
        deadline: ind
            .deadline
            .map(dates::date)
            .unwrap_or_else(|| i18n::t(lang, "indicators.standing").to_string()),
        frequency_key: format!("indicators.freq.{}", ind.frequency.as_str()),
        from_dossiers: ind.source.from_dossiers(),
        lead: ind
            .lead_agency
            .as_ref()
            .map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone()))
            .unwrap_or_default(),
        note: ind.note.clone().unwrap_or_default(),
        current: v
            .current
            .as_ref()
            .map(|o| pct_or_num(lang, ind, o.value))
            .unwrap_or_else(|| "—".into()),
        period: v
            .current
            .as_ref()
            .map(|o| o.period.to_string())
            .unwrap_or_default(),
        status_key: format!("indicators.status.{}", v.status.as_str()),
        status_class: status_class(v.status),
        sample: v.sample_data,
        chart,
        observations,
        links,
        can_edit,
        units,
        error,
        form,
        export_href: format!("/indicators/{}?export=xlsx", seg(&ind.id)),
        l,
    })
}

async fn detail(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewIndicators)?;
    let xlsx = crate::export::wants_xlsx(q.export.as_deref())?;
    let lang = Lang::parse(&cu.user.lang);
    let flash = q
        .saved
        .map(|_| i18n::t(lang, "indicators.saved").to_string());
    let page = detail_page(
        &state,
        &cu,
        &uri,
        &id,
        flash,
        None,
        ObservationForm::default(),
    )
    .await?;
    if xlsx {
        return crate::pages::tables::indicator_xlsx(lang, &id, &page.observations, &page.links);
    }
    Ok(Html(page.render()?).into_response())
}

async fn add_observation(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<ObservationForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditIndicators)?;
    let ind = state
        .store
        .indicator(&id)
        .await?
        .ok_or(PageError::NotFound)?;
    let lang = Lang::parse(&cu.user.lang);
    let num = |s: &str| -> Result<Option<Decimal>, String> {
        let t = s.trim();
        if t.is_empty() {
            Ok(None)
        } else {
            parse_points(t)
                .map(Some)
                .map_err(|_| format!("'{t}': {}", i18n::t(lang, "indicators.bad_number")))
        }
    };
    let result: Result<Observation, String> = (|| {
        if ind.source.from_dossiers() {
            return Err(i18n::t(lang, "indicators.computed_note").replace('`', ""));
        }
        let period = Period::parse(&f.period)
            .ok_or_else(|| i18n::t(lang, "indicators.bad_period").to_string())?;
        let (value, n, d) = (num(&f.value)?, num(&f.numerator)?, num(&f.denominator)?);
        let value = observed_value(ind.measure, value, n, d)
            .map_err(|e| crate::refusals::value_problem(lang, &e))?;
        Ok(Observation {
            indicator_id: ind.id.clone(),
            unit: Some(f.unit.trim().to_string()).filter(|u| !u.is_empty()),
            period,
            value,
            numerator: n,
            denominator: d,
            source: "entered".into(),
            note: Some(f.note.trim().to_string()).filter(|s| !s.is_empty()),
        })
    })();
    let error = match result {
        Ok(o) => match state.store.save_observations(&[o], &cu.user.username).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/indicators/{}?saved=1", seg(&ind.id))).into_response(),
                )
            }
            Err(parindex_store::StoreError::Invalid(m)) => {
                crate::refusals::lines(lang, &m).join("; ")
            }
            Err(e) => return Err(e.into()),
        },
        Err(m) => m,
    };
    let page = detail_page(&state, &cu, &uri, &id, None, Some(error), f).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Dossier rates per agency
// ---------------------------------------------------------------------------------------------

pub struct AgencyRow {
    pub agency: String,
    pub href: String,
    pub name: String,
    pub received: u64,
    pub resolved: u64,
    pub early: u64,
    pub on_time: u64,
    pub late: u64,
    pub pending: u64,
    pub pending_overdue: u64,
    pub early_rate: String,
    pub on_time_rate: String,
    /// Received online (level 3 or 4) and its share of those received; "—" when not known.
    pub online: String,
    pub online_share: String,
    pub explained: i64,
    pub unexplained: i64,
    pub can_list: bool,
    /// The two rates as numbers (per cent), for the spreadsheet.
    pub early_pct: Option<Decimal>,
    pub on_time_pct: Option<Decimal>,
    /// The online count and share as numbers, for the spreadsheet (empty when not known).
    pub online_count: Option<u64>,
    pub online_pct: Option<Decimal>,
}

#[derive(Template)]
#[template(path = "dossiers.html")]
pub(crate) struct DossiersPage {
    l: Layout,
    months: Vec<String>,
    month: String,
    rows: Vec<AgencyRow>,
    total: AgencyRow,
    sample: bool,
    has_data: bool,
    /// The upload form (the coordinator), as typed, with a check's result or an error.
    can_import: bool,
    form: UploadForm,
    check: Option<CheckView>,
    error: Option<UploadError>,
    limit: String,
    export_href: String,
}

/// What the dossier page shows besides the rates.
#[derive(Default)]
pub(crate) struct DossiersView {
    pub month: Option<Month>,
    /// The upload form as typed (default: empty, the as-of date today).
    pub form: Option<UploadForm>,
    pub check: Option<CheckView>,
    pub error: Option<UploadError>,
    /// The import whose notice to show (`?import=ID`).
    pub notice: Option<i64>,
}

fn agency_row(
    lang: Lang,
    agency: &str,
    name: String,
    c: &Counts,
    explained: i64,
    overdue: i64,
    can_list: bool,
) -> AgencyRow {
    let pct = |d: Option<Decimal>| d.map(|d| i18n::pct(lang, d)).unwrap_or_else(|| "—".into());
    AgencyRow {
        agency: agency.to_string(),
        href: format!("/dossiers/{}", seg(agency)),
        name,
        received: c.received,
        resolved: c.resolved,
        early: c.early,
        on_time: c.on_time,
        late: c.late,
        pending: c.pending,
        pending_overdue: c.pending_overdue,
        early_rate: pct(c.early_rate()),
        on_time_rate: pct(c.on_time_rate()),
        // Written as the other counts of the row (plain digits).
        online: c
            .online
            .map(|n| n.to_string())
            .unwrap_or_else(|| "—".into()),
        online_share: pct(c.online_share()),
        explained,
        unexplained: overdue - explained,
        can_list,
        early_pct: c.early_rate(),
        on_time_pct: c.on_time_rate(),
        online_count: c.online,
        online_pct: c.online_share(),
    }
}

async fn dossiers(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewIndicators)?;
    let xlsx = crate::export::wants_xlsx(q.export.as_deref())?;
    let view = DossiersView {
        month: q.month.as_deref().and_then(Month::parse),
        notice: q.import,
        ..Default::default()
    };
    let page = dossiers_page(&state, &cu, &here(&uri), view).await?;
    if xlsx {
        let lang = page.l.lang;
        return crate::pages::tables::dossiers_xlsx(lang, &page.month, &page.rows, &page.total);
    }
    Ok(Html(page.render()?).into_response())
}

/// The rates per agency (of a month, or overall) with the upload form for those who may import.
pub(crate) async fn dossiers_page(
    state: &AppState,
    cu: &CurrentUser,
    here: &str,
    view: DossiersView,
) -> Result<DossiersPage, PageError> {
    let mut l = Layout::new(cu, "nav.indicators", "dossiers.title", here);
    let lang = l.lang;
    let actor = cu.actor();
    let can_import = can(&actor, &Action::EditIndicators);
    let month = view.month;
    let cells = state.store.dossier_cells().await?;
    if let (Some(id), true) = (view.notice, can_import) {
        l.flash = dossier_upload::imported_notice(state, cu, lang, id, &cells).await?;
    }
    let mut months: Vec<Month> = cells.iter().map(|c| c.cell.month).collect();
    months.sort();
    months.dedup();
    let sample = cells.iter().any(|c| c.sample);
    let has_data = !cells.is_empty();
    let mut by_agency: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for c in cells
        .iter()
        .filter(|c| month.is_none_or(|m| c.cell.month == m))
    {
        by_agency
            .entry(c.cell.agency.clone())
            .or_default()
            .merge(&c.cell.counts);
        total.merge(&c.cell.counts);
    }
    let counts: BTreeMap<String, (i64, i64)> = state
        .store
        .explanation_counts(month)
        .await?
        .into_iter()
        .map(|c| (c.agency, (c.explained, c.overdue)))
        .collect();
    let names = unit_names(state).await?;
    let mut rows: Vec<AgencyRow> = by_agency
        .iter()
        .map(|(a, c)| {
            let (explained, overdue) = counts.get(a).copied().unwrap_or((0, 0));
            agency_row(
                lang,
                a,
                names.get(a).cloned().unwrap_or_else(|| a.clone()),
                c,
                explained,
                overdue,
                can(&actor, &Action::ViewDossiers { unit: a }),
            )
        })
        .collect();
    rows.sort_by(|a, b| b.unexplained.cmp(&a.unexplained).then(a.name.cmp(&b.name)));
    let (te, to) = counts
        .values()
        .fold((0, 0), |(e, o), (x, y)| (e + x, o + y));
    let total = agency_row(
        lang,
        "",
        i18n::t(lang, "dossiers.total").to_string(),
        &total,
        te,
        to,
        false,
    );
    let form = view.form.unwrap_or_else(|| UploadForm {
        as_of: crate::dates::date(state.today()),
        ..Default::default()
    });
    Ok(DossiersPage {
        l,
        months: months.iter().map(|m| m.to_string()).collect(),
        month: month.map(|m| m.to_string()).unwrap_or_default(),
        rows,
        total,
        sample,
        has_data,
        can_import,
        form,
        check: view.check,
        error: view.error,
        limit: dossier_upload::size_text(dossier_upload::upload_limit(state)),
        export_href: match month {
            Some(m) => format!("/dossiers?month={m}&export=xlsx"),
            None => "/dossiers?export=xlsx".into(),
        },
    })
}

#[cfg(test)]
mod tests;

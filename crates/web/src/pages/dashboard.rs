//! The dashboard: the province's latest published result against its targets, and its history.

use crate::auth::Authed;
use crate::charts::{self, Bar, Point};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use parindex_domain::access::Action;
use parindex_domain::edition::Level;
use parindex_domain::units::UnitType;
use parindex_store::NamedGap;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

pub struct AreaRow {
    pub code: String,
    pub title: String,
    pub rank: String,
    pub target: String,
    pub status: String,
    pub ok: bool,
    pub lead: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    has_data: bool,
    edition_name: String,
    edition_id: String,
    subject: String,
    total: String,
    max: String,
    rank: String,
    rank_note: String,
    target_rank: String,
    to_target: String,
    change: String,
    components_svg: String,
    areas: Vec<AreaRow>,
    history_svg: String,
    plan_tiles: Option<crate::pages::plans::PlanTiles>,
    /// The plan's operational indicators with their status (empty when not allowed).
    indicators: Vec<crate::pages::indicators::IndRow>,
    /// The gap tile links to the gap analysis only for those who may read it.
    can_gap: bool,
}

fn signed(lang: Lang, d: rust_decimal::Decimal) -> String {
    let s = crate::i18n::num(lang, d.abs());
    if d.is_sign_negative() {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

async fn dashboard(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
) -> Result<axum::response::Response, PageError> {
    require(&cu, &Action::ViewDashboard)?;
    crate::cache::page(&state, &cu, "dashboard", &uri, |cu| {
        render(state.clone(), cu, uri.clone())
    })
    .await
}

async fn render(
    state: AppState,
    cu: crate::auth::CurrentUser,
    uri: Uri,
) -> Result<Html<String>, PageError> {
    let l = Layout::new(&cu, "nav.dashboard", "dash.title", &here(&uri));
    let lang = l.lang;
    let mut page = DashboardPage {
        l,
        has_data: false,
        edition_name: String::new(),
        edition_id: String::new(),
        subject: String::new(),
        total: String::new(),
        max: String::new(),
        rank: String::new(),
        rank_note: String::new(),
        target_rank: String::new(),
        to_target: String::new(),
        change: String::new(),
        components_svg: String::new(),
        areas: Vec::new(),
        history_svg: String::new(),
        plan_tiles: crate::pages::plans::dashboard_tiles(&state, &cu).await?,
        indicators: if parindex_domain::access::can(&cu.actor(), &Action::ViewIndicators) {
            crate::pages::indicators::indicator_rows(&state, lang).await?
        } else {
            Vec::new()
        },
        can_gap: parindex_domain::access::can(&cu.actor(), &Action::ViewGap),
    };
    let units = state.store.units(None).await?;
    let names: BTreeMap<String, String> = units
        .iter()
        .map(|u| (u.slug.clone(), u.name_vi.clone()))
        .collect();
    let Some(province) = units.iter().find(|u| u.unit_type == UnitType::Province) else {
        return Ok(Html(page.render()?));
    };
    // Provincial editions where the province has a result, oldest first.
    let mut history: Vec<(i32, String, rust_decimal::Decimal, Option<u32>)> = Vec::new();
    let mut editions = state.store.editions(None).await?;
    editions.retain(|e| e.level == Level::Province);
    editions.sort_by_key(|e| e.year);
    for e in &editions {
        let table = state.store.ranked_results(&e.id).await?;
        if let Some(r) = table.rows.iter().find(|r| r.subject == province.slug) {
            history.push((e.year, e.id.clone(), r.total, r.rank));
        }
    }
    let Some((_, latest_id, _, _)) = history.last().cloned() else {
        return Ok(Html(page.render()?));
    };
    let NamedGap { name, report: g } = state
        .store
        .gap_report(&latest_id, &province.slug, None)
        .await?;
    let edition = state
        .store
        .edition(&latest_id)
        .await?
        .ok_or(PageError::NotFound)?;
    page.has_data = true;
    page.edition_name = edition.name.clone();
    page.edition_id = edition.id.clone();
    page.subject = name;
    page.total = crate::i18n::num(lang, g.total);
    page.max = crate::i18n::num(lang, g.max);
    page.rank = match (g.rank, edition.peer_count) {
        (Some(r), Some(n)) => format!("{r}/{n}"),
        (Some(r), None) => r.to_string(),
        _ => "—".into(),
    };
    page.rank_note = match g.rank_source {
        Some(parindex_domain::RankSource::Computed) => page.l.t("dash.rank_computed").into(),
        Some(parindex_domain::RankSource::Published) => page.l.t("dash.rank_published").into(),
        None => String::new(),
    };
    page.target_rank = g
        .target_rank
        .map(|t| t.to_string())
        .unwrap_or_else(|| "—".into());
    page.to_target = match &g.points_to_target_detail {
        Some(parindex_domain::gap::PointsToRank::Reached) => page.l.t("dash.reached").into(),
        Some(parindex_domain::gap::PointsToRank::Needed { points, .. }) => {
            format!("+{}", crate::i18n::num(lang, *points))
        }
        Some(parindex_domain::gap::PointsToRank::Unknown { .. }) => {
            page.l.t("dash.unknown_reason").into()
        }
        None => "—".into(),
    };
    if let Some(p) = &g.previous {
        let places = p
            .rank_change
            .map(|c| format!(", {c:+} {}", page.l.t("dash.places")))
            .unwrap_or_default();
        page.change = format!(
            "{} {} ({}){places}",
            signed(lang, p.total_change),
            page.l.t("dash.points"),
            p.year
        );
    }
    let comp_bars: Vec<Bar> = g
        .components
        .iter()
        .map(|c| {
            let name = edition
                .components
                .iter()
                .find(|x| x.code == c.code)
                .map(|x| match lang {
                    Lang::Vi => x.name_vi.clone(),
                    Lang::En => x.name_en.clone().unwrap_or_else(|| x.name_vi.clone()),
                });
            Bar {
                label: name.unwrap_or_else(|| c.code.clone()),
                value: c.achieved.and_then(|a| a.to_f64()).unwrap_or(0.0),
                max: c.max.to_f64().unwrap_or(0.0),
                value_text: format!(
                    "{} / {}",
                    crate::i18n::opt_num(lang, c.achieved),
                    crate::i18n::num(lang, c.max)
                ),
            }
        })
        .collect();
    page.components_svg = charts::bars(
        page.l.t("dash.components"),
        page.l.t("dash.components_desc"),
        &comp_bars,
    );
    page.areas = g
        .by_area
        .iter()
        .map(|a| {
            let title = parindex_domain::NodeCode::parse(&a.code)
                .ok()
                .and_then(|c| edition.node(&c))
                .map(|n| match lang {
                    Lang::Vi => n.title_vi.clone(),
                    Lang::En => n.title_en.clone().unwrap_or_else(|| n.title_vi.clone()),
                })
                .unwrap_or_else(|| a.title_vi.clone());
            let (status, ok) = match a.places_to_target {
                Some(0) => (page.l.t("dash.reached").to_string(), true),
                Some(p) => (
                    format!("{} {p} {}", page.l.t("dash.below"), page.l.t("dash.places")),
                    false,
                ),
                None => ("—".to_string(), true),
            };
            AreaRow {
                code: a.code.clone(),
                title,
                rank: a.rank.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                target: a
                    .target_rank
                    .map(|r| format!("top {r}"))
                    .unwrap_or_else(|| "—".into()),
                status,
                ok,
                lead: a
                    .lead_agency
                    .as_ref()
                    .map(|s| names.get(s).cloned().unwrap_or_else(|| s.clone()))
                    .unwrap_or_else(|| "—".into()),
            }
        })
        .collect();
    let points: Vec<Point> = history
        .iter()
        .map(|(year, _, total, rank)| Point {
            label: year.to_string(),
            value: total.to_f64().unwrap_or(0.0),
            value_text: crate::i18n::num(lang, *total),
            note: rank.map(|r| format!("{} {r}", page.l.t("dash.rank_short"))),
        })
        .collect();
    page.history_svg = charts::columns(
        page.l.t("dash.history"),
        page.l.t("dash.history_desc"),
        g.max.to_f64().unwrap_or(100.0),
        &points,
    );
    Ok(Html(page.render()?))
}

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
use parindex_domain::edition::{Edition, Level};
use parindex_domain::gap::{GapReport, PointsToRank};
use parindex_domain::units::UnitType;
use parindex_store::{HistoryPoint, NamedGap};
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
    /// The role's figures, each a link to the list it counts (`pages::home`).
    home: crate::pages::home::Home,
    /// The areas the reader's unit answers for as lead agency (a lead agency's home).
    my_areas: Vec<AreaRow>,
    /// The plan's operational indicators with their status (empty when not allowed).
    indicators: Vec<crate::pages::indicators::IndRow>,
    /// The gap tile links to the gap analysis only for those who may read it.
    can_gap: bool,
}

fn signed(lang: Lang, d: rust_decimal::Decimal) -> String {
    crate::i18n::signed(lang, d)
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
    let actor = cu.actor();
    let indicators = if parindex_domain::access::can(&actor, &Action::ViewIndicators) {
        crate::pages::indicators::indicator_rows(&state, l.lang).await?
    } else {
        Vec::new()
    };
    let mut page = DashboardPage {
        home: crate::pages::home::home(&state, &cu).await?,
        indicators,
        can_gap: parindex_domain::access::can(&actor, &Action::ViewGap),
        ..DashboardPage::empty(l)
    };
    let units = state.store.units(None).await?;
    let Some(province) = units.iter().find(|u| u.unit_type == UnitType::Province) else {
        return Ok(Html(page.render()?));
    };
    // Provincial editions where the province has a result, oldest first.
    let history = state
        .store
        .result_history(&province.slug, Level::Province)
        .await?;
    let Some(latest) = history.last() else {
        return Ok(Html(page.render()?));
    };
    let NamedGap { name, report: g } = state
        .store
        .gap_report(&latest.edition_id, &province.slug, None)
        .await?;
    let edition = state
        .store
        .edition(&latest.edition_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let names: BTreeMap<String, String> = units
        .iter()
        .map(|u| (u.slug.clone(), u.name_vi.clone()))
        .collect();
    page.headline(&edition, name, &g);
    page.components_svg = component_chart(&page.l, &edition, &g);
    page.areas = area_rows(&page.l, &edition, &g, &names);
    page.my_areas(&cu, &edition, &g, &names);
    page.history_svg = history_chart(&page.l, &history, g.max);
    Ok(Html(page.render()?))
}

impl DashboardPage {
    /// The page with no result to show (yet).
    fn empty(l: Layout) -> DashboardPage {
        DashboardPage {
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
            home: crate::pages::home::Home::default(),
            my_areas: Vec::new(),
            indicators: Vec::new(),
            can_gap: false,
        }
    }

    /// A lead agency's areas (those whose lead agency is its unit), and their figure: a link to
    /// their table on this page.
    fn my_areas(
        &mut self,
        cu: &crate::auth::CurrentUser,
        edition: &Edition,
        g: &GapReport,
        names: &BTreeMap<String, String>,
    ) {
        let Some(unit) = cu.user.unit.as_deref() else {
            return;
        };
        if cu.role() != parindex_domain::access::Role::LeadAgency {
            return;
        }
        let mine = GapReport {
            by_area: g
                .by_area
                .iter()
                .filter(|a| a.lead_agency.as_deref() == Some(unit))
                .cloned()
                .collect(),
            ..g.clone()
        };
        self.my_areas = area_rows(&self.l, edition, &mine, names);
        let below = self.my_areas.iter().filter(|a| !a.ok).count();
        let mut all = crate::pages::home::Figure {
            id: "tile-my-areas".into(),
            label: "home.my_areas",
            counts: "home.counts_areas",
            about: String::new(),
            value: self.my_areas.len(),
            href: "#my-areas".into(),
            list: "my-areas",
            bad: false,
        };
        all.about = format!("{} {below}", self.l.t("home.areas_below"));
        self.home.groups.push(crate::pages::home::FigureGroup {
            id: "home-areas",
            title: "home.areas",
            about: String::new(),
            note: "",
            figures: vec![all],
        });
    }

    /// The tiles: the latest total, rank, target and change since the previous edition.
    fn headline(&mut self, edition: &Edition, subject: String, g: &GapReport) {
        let lang = self.l.lang;
        self.has_data = true;
        self.edition_name = edition.name.clone();
        self.edition_id = edition.id.clone();
        self.subject = subject;
        self.total = g
            .total
            .map_or_else(|| "—".into(), |t| crate::i18n::num(lang, t));
        self.max = crate::i18n::num(lang, g.max);
        self.rank = match (g.rank, edition.peer_count) {
            (Some(r), Some(n)) => format!("{r}/{n}"),
            (Some(r), None) => r.to_string(),
            _ => "—".into(),
        };
        self.rank_note = match g.rank_source {
            Some(parindex_domain::RankSource::Computed) => self.l.t("dash.rank_computed").into(),
            Some(parindex_domain::RankSource::Published) => self.l.t("dash.rank_published").into(),
            None => String::new(),
        };
        self.target_rank = g
            .target_rank
            .map(|t| t.to_string())
            .unwrap_or_else(|| "—".into());
        self.to_target = match &g.points_to_target_detail {
            Some(PointsToRank::Reached) => self.l.t("dash.reached").into(),
            Some(PointsToRank::Needed { points, .. }) => {
                format!("+{}", crate::i18n::num(lang, *points))
            }
            Some(PointsToRank::Unknown { .. }) => self.l.t("dash.unknown_reason").into(),
            None => "—".into(),
        };
        if let Some(p) = &g.previous {
            let places = p
                .rank_change
                .map(|c| format!(", {c:+} {}", self.l.t("dash.places")))
                .unwrap_or_default();
            // Without both totals only the places are told.
            self.change = match p.total_change {
                Some(c) => format!(
                    "{} {} ({}){places}",
                    signed(lang, c),
                    self.l.t("dash.points"),
                    p.year
                ),
                None => format!("— ({}){places}", p.year),
            };
        }
    }
}

/// The components' bars: achieved against the most each can give.
fn component_chart(l: &Layout, edition: &Edition, g: &GapReport) -> String {
    let lang = l.lang;
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
    charts::bars(
        l.t("dash.components"),
        l.t("dash.components_desc"),
        &comp_bars,
    )
}

/// The areas with their rank against the target and the agency leading each.
fn area_rows(
    l: &Layout,
    edition: &Edition,
    g: &GapReport,
    names: &BTreeMap<String, String>,
) -> Vec<AreaRow> {
    let lang = l.lang;
    g.by_area
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
                Some(0) => (l.t("dash.reached").to_string(), true),
                Some(p) => (
                    format!("{} {p} {}", l.t("dash.below"), l.t("dash.places")),
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
                    .map(|r| format!("{} {r}", l.t("gap.top")))
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
        .collect()
}

/// The province's totals edition by edition, its rank beneath each.
fn history_chart(l: &Layout, history: &[HistoryPoint], max: rust_decimal::Decimal) -> String {
    let points: Vec<Point> = history
        .iter()
        .map(|h| Point {
            label: h.year.to_string(),
            // A year with only a published rank: an empty column, its figure "—".
            value: h.total.and_then(|t| t.to_f64()).unwrap_or(0.0),
            value_text: h
                .total
                .map_or_else(|| "—".into(), |t| crate::i18n::num(l.lang, t)),
            note: h.rank.map(|r| format!("{} {r}", l.t("dash.rank_short"))),
        })
        .collect();
    charts::columns(
        l.t("dash.history"),
        l.t("dash.history_desc"),
        max.to_f64().unwrap_or(100.0),
        &points,
    )
}

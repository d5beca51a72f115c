//! Published results: the ranked national table of an edition (search, sort, pages), the
//! per-area view, two editions side by side, export of what is shown, and import of a results
//! file with a preview and a confirm step.
//!
//! Viewing and exporting need `ViewResults`; importing needs `ImportResults`.

use crate::auth::Authed;
use crate::download::attachment;
use crate::error::PageError;
use crate::export::{CSV_TYPE, JSON_TYPE, XLSX_TYPE};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::names::{component_name, node_title};
use crate::pages::{here, require, sort_href, ListQuery, Paged};
use crate::upload::{self, file_problem, FileProblem, UPLOAD_LIMIT};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use parindex_domain::access::{can, Action};
use parindex_domain::edition::{Edition, Level};
use parindex_domain::ranking::RankSource;
use parindex_domain::results::{node_ranks, PublishedResult};
use parindex_domain::text::fold;
use parindex_domain::units::UnitType;
use parindex_interchange::results::Prefer;
use parindex_store::{RankedResults, ResultRow, StoreError};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

mod import_view;

pub use import_view::*;
use import_view::{parse_results_upload, results_fingerprint};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/results", get(table))
        .route("/results/areas", get(areas))
        .route("/results/compare", get(compare))
        .route("/results/export", get(export))
        .route("/results/import", get(import_form).post(import))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by the gap page)
// ---------------------------------------------------------------------------------------------

/// The latest provincial edition with results; else the latest edition with results.
pub async fn default_edition(state: &AppState) -> Result<Option<String>, PageError> {
    let all = state.store.editions(None).await?;
    let with_results = || all.iter().filter(|e| e.results > 0);
    Ok(with_results()
        .find(|e| e.level == Level::Province)
        .or_else(|| with_results().next())
        .map(|e| e.id.clone()))
}

/// Editions for a picker: `(id, "year — name")`, newest first.
pub async fn edition_options(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .store
        .editions(None)
        .await?
        .into_iter()
        .map(|e| (e.id, format!("{} — {}", e.year, e.name)))
        .collect())
}

/// The province's own slug (the unit of type province), which is also its subject slug.
pub async fn province_slug(state: &AppState) -> Result<Option<String>, PageError> {
    Ok(state
        .store
        .units(None)
        .await?
        .into_iter()
        .find(|u| u.unit_type == UnitType::Province)
        .map(|u| u.slug))
}

pub fn source_key(s: Option<RankSource>) -> &'static str {
    match s {
        Some(RankSource::Computed) => "results.src.computed",
        Some(RankSource::Published) => "results.src.published",
        None => "",
    }
}

pub fn opt_rank(r: Option<u32>) -> String {
    r.map(|r| r.to_string()).unwrap_or_else(|| "—".into())
}

/// A signed number of points: `+0,16`, `−1,20`, `0,00`.
pub fn signed(lang: Lang, d: Decimal) -> String {
    i18n::signed(lang, d)
}

/// A signed number of places: `+3`, `−2`, `0`.
pub fn signed_places(p: i64) -> String {
    match p {
        0 => "0".into(),
        p if p < 0 => format!("−{}", p.unsigned_abs()),
        p => format!("+{p}"),
    }
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_string()
}

/// The edition asked for, or the default one; `None` when there is nothing to show.
async fn pick_edition(state: &AppState, asked: Option<&str>) -> Result<Option<Edition>, PageError> {
    let id = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => id.to_string(),
        None => match default_edition(state).await? {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    state
        .store
        .edition(&id)
        .await?
        .map(Some)
        .ok_or(PageError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// The ranked table
// ---------------------------------------------------------------------------------------------

pub struct RowView {
    pub rank: String,
    pub source_key: &'static str,
    pub subject: String,
    pub name: String,
    pub total: Option<Decimal>,
    /// Each component's points and, from a complete set, its rank.
    pub comps: Vec<(Option<Decimal>, Option<u32>)>,
    pub pct: Option<Decimal>,
    pub highlight: bool,
}

pub struct ColHead {
    pub label: String,
    pub href: String,
    pub sorted: &'static str,
}

#[derive(Template)]
#[template(path = "results.html")]
struct TablePage {
    l: Layout,
    editions: Vec<(String, String)>,
    edition: String,
    sample: bool,
    q: String,
    note: String,
    has_rows: bool,
    rows: Paged<RowView>,
    rank_head: ColHead,
    name_head: ColHead,
    total_head: ColHead,
    comp_heads: Vec<ColHead>,
    export_query: String,
    can_import: bool,
}

#[derive(Deserialize, Default)]
pub struct TableQuery {
    edition: Option<String>,
    q: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    done: Option<String>,
}

impl TableQuery {
    fn list(&self) -> ListQuery {
        ListQuery {
            q: self.q.clone(),
            page: self.page.as_deref().and_then(|p| p.trim().parse().ok()),
            sort: self.sort.clone(),
            dir: self.dir.clone(),
        }
    }
}

/// The rows of the table as shown: filtered by `q` (folded) and sorted.
pub fn shown_rows(rows: Vec<ResultRow>, q: &ListQuery) -> Vec<ResultRow> {
    let mut rows: Vec<ResultRow> = match q.search() {
        Some(s) => {
            let f = fold(s);
            rows.into_iter()
                .filter(|r| fold(&r.name).contains(&f) || r.subject.contains(&f))
                .collect()
        }
        None => rows,
    };
    match q.sort.as_deref() {
        Some("name") => rows.sort_by_cached_key(|a| fold(&a.name)),
        Some("total") => rows.sort_by_key(|a| a.total),
        Some(c) if c.starts_with("c:") => {
            let code = &c[2..];
            rows.sort_by(|a, b| a.components.get(code).cmp(&b.components.get(code)))
        }
        Some("rank") => rows.sort_by(|a, b| {
            a.rank
                .is_none()
                .cmp(&b.rank.is_none())
                .then(a.rank.cmp(&b.rank))
        }),
        _ => {}
    }
    if q.descending() {
        rows.reverse();
    }
    rows
}

fn head(q: &ListQuery, edition: &str, column: &str, label: String) -> ColHead {
    let sorted = match (q.sort.as_deref() == Some(column), q.descending()) {
        (true, false) => "ascending",
        (true, true) => "descending",
        _ => "",
    };
    ColHead {
        label,
        href: format!("{}&edition={}", sort_href(q, column), enc(edition)),
        sorted,
    }
}

async fn table(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    tq: Query<TableQuery>,
) -> Result<axum::response::Response, PageError> {
    require(&cu, &Action::ViewResults)?;
    crate::cache::page(&state, &cu, "results", &uri, |cu| {
        render_table(state.clone(), cu, uri.clone(), tq)
    })
    .await
}

async fn render_table(
    state: AppState,
    cu: crate::auth::CurrentUser,
    uri: Uri,
    Query(tq): Query<TableQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewResults)?;
    let q = tq.list();
    let mut l = Layout::new(&cu, "nav.results", "results.title", &here(&uri));
    if tq.done.as_deref() == Some("imported") {
        l.flash = Some(l.t("results.imported").to_string());
    }
    let lang = l.lang;
    let can_import = can(&cu.actor(), &Action::ImportResults);
    let editions = edition_options(&state).await?;
    let Some(e) = pick_edition(&state, tq.edition.as_deref()).await? else {
        return Ok(Html(empty_table(l, editions, can_import).render()?));
    };
    let ranked = state.store.ranked_results(&e.id).await?;
    let province = province_slug(&state).await?;
    let has_rows = !ranked.rows.is_empty();
    let note = table_note(&l, &ranked);
    let rows: Vec<RowView> = shown_rows(ranked.rows, &q)
        .into_iter()
        .map(|r| row_view(&e, province.as_deref(), r))
        .collect();
    let mut rows = Paged::new(rows, &q, 100);
    let edition_pair = format!("edition={}", enc(&e.id));
    rows.base_query = if rows.base_query.is_empty() {
        edition_pair.clone()
    } else {
        format!("{}&{edition_pair}", rows.base_query)
    };
    let page = TablePage {
        rank_head: head(&q, &e.id, "rank", l.t("results.rank").into()),
        name_head: head(&q, &e.id, "name", l.t("results.subject").into()),
        total_head: head(&q, &e.id, "total", l.t("results.total").into()),
        comp_heads: e
            .components
            .iter()
            .map(|c| head(&q, &e.id, &format!("c:{}", c.code), component_name(lang, c)))
            .collect(),
        l,
        editions,
        edition: e.id.clone(),
        sample: e.sample,
        q: q.q.clone().unwrap_or_default(),
        note,
        has_rows,
        rows,
        export_query: export_query(edition_pair, &q),
        can_import,
    };
    Ok(Html(page.render()?))
}

/// The table page with no edition to show.
fn empty_table(l: Layout, editions: Vec<(String, String)>, can_import: bool) -> TablePage {
    let no_head = || ColHead {
        label: String::new(),
        href: String::new(),
        sorted: "",
    };
    TablePage {
        l,
        editions,
        edition: String::new(),
        sample: false,
        q: String::new(),
        note: String::new(),
        has_rows: false,
        rows: Paged::new(Vec::new(), &ListQuery::default(), 100),
        rank_head: no_head(),
        name_head: no_head(),
        total_head: no_head(),
        comp_heads: Vec::new(),
        export_query: String::new(),
        can_import,
    }
}

/// Whether the ranks were computed (complete set) or published, and over how many.
fn table_note(l: &Layout, ranked: &RankedResults) -> String {
    if ranked.complete {
        l.t("results.note_computed")
            .replace("{n}", &ranked.rows.len().to_string())
    } else {
        l.t("results.note_published")
            .replace("{n}", &ranked.rows.len().to_string())
            .replace(
                "{m}",
                &ranked
                    .peer_count
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "?".into()),
            )
    }
}

/// One subject's row, the province highlighted.
fn row_view(e: &Edition, province: Option<&str>, r: ResultRow) -> RowView {
    RowView {
        rank: opt_rank(r.rank),
        source_key: source_key(r.rank_source),
        highlight: province == Some(r.subject.as_str()),
        comps: e
            .components
            .iter()
            .map(|c| {
                (
                    r.components.get(&c.code).copied(),
                    r.component_ranks.get(&c.code).copied(),
                )
            })
            .collect(),
        pct: r.index_pct,
        total: r.total,
        name: r.name,
        subject: r.subject,
    }
}

/// The export link's query: the edition, and the search and order shown.
fn export_query(edition_pair: String, q: &ListQuery) -> String {
    let mut export_query = edition_pair;
    if let Some(s) = q.search() {
        export_query.push_str(&format!("&q={}", enc(s)));
    }
    if let Some(s) = &q.sort {
        export_query.push_str(&format!("&sort={}", enc(s)));
    }
    if let Some(d) = &q.dir {
        export_query.push_str(&format!("&dir={}", enc(d)));
    }
    export_query
}

// ---------------------------------------------------------------------------------------------
// Export of what is shown
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    edition: Option<String>,
    format: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

async fn export(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Query(xq): Query<ExportQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewResults)?;
    let e = pick_edition(&state, xq.edition.as_deref())
        .await?
        .ok_or(PageError::NotFound)?;
    let q = ListQuery {
        q: xq.q.clone(),
        page: None,
        sort: xq.sort.clone(),
        dir: xq.dir.clone(),
    };
    let ranked = state.store.ranked_results(&e.id).await?;
    let names: BTreeMap<String, String> = ranked
        .rows
        .iter()
        .map(|r| (r.subject.clone(), r.name.clone()))
        .collect();
    // The ranks written are the ranks shown (computed from a complete set, else as published).
    let results: Vec<PublishedResult> = shown_rows(ranked.rows, &q)
        .into_iter()
        .map(|r| PublishedResult {
            edition_id: e.id.clone(),
            subject: r.subject,
            total: r.total,
            rank: r.rank,
            components: r.components,
            node_scores: r.node_scores,
            node_ranks: r.node_ranks,
            source: r.source,
            published_on: r.published_on,
        })
        .collect();
    let failed = |err: parindex_interchange::ExportError| {
        tracing::error!(error = %err, "cannot export results");
        PageError::Internal
    };
    use parindex_interchange::results as rx;
    Ok(match xq.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => attachment(
            XLSX_TYPE,
            &format!("{}-results.xlsx", e.id),
            rx::results_to_xlsx(&e, &results, &names).map_err(failed)?,
        ),
        "csv" => attachment(
            CSV_TYPE,
            &format!("{}-results.csv", e.id),
            rx::results_to_csv(&e, &results, &names)
                .map_err(failed)?
                .into_bytes(),
        ),
        "json" => attachment(
            JSON_TYPE,
            &format!("{}-results.json", e.id),
            rx::results_to_json(&results).map_err(failed)?.into_bytes(),
        ),
        other => {
            return Err(PageError::refused(
                "format",
                parindex_store::RefusalKind::NotOneOf {
                    value: other.to_string(),
                    allowed: &["xlsx", "csv", "json"],
                },
            ))
        }
    })
}

// ---------------------------------------------------------------------------------------------
// By area
// ---------------------------------------------------------------------------------------------

pub struct AreaRowView {
    pub name: String,
    pub score: Option<Decimal>,
    pub rank: String,
    pub source_key: &'static str,
    pub highlight: bool,
}

#[derive(Template)]
#[template(path = "results_areas.html")]
struct AreasPage {
    l: Layout,
    editions: Vec<(String, String)>,
    edition: String,
    areas: Vec<(String, String)>,
    area: String,
    max: String,
    known: usize,
    total: usize,
    rows: Vec<AreaRowView>,
    export_href: String,
}

#[derive(Deserialize, Default)]
pub struct AreasQuery {
    edition: Option<String>,
    area: Option<String>,
    export: Option<String>,
}

async fn areas(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(aq): Query<AreasQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewResults)?;
    let xlsx = crate::export::wants_xlsx(aq.export.as_deref())?;
    let l = Layout::new(&cu, "nav.results", "results.areas_title", &here(&uri));
    let lang = l.lang;
    let mut page = AreasPage {
        l,
        editions: edition_options(&state).await?,
        edition: String::new(),
        areas: Vec::new(),
        area: String::new(),
        max: String::new(),
        known: 0,
        total: 0,
        rows: Vec::new(),
        export_href: crate::export::export_href(&uri),
    };
    let Some(e) = pick_edition(&state, aq.edition.as_deref()).await? else {
        return Ok(Html(page.render()?).into_response());
    };
    page.edition = e.id.clone();
    page.areas = e
        .areas()
        .map(|a| {
            (
                a.code.to_string(),
                format!("{} {}", a.code, node_title(lang, a)),
            )
        })
        .collect();
    let asked = aq.area.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let Some(area) = e
        .areas()
        .find(|a| asked.is_none_or(|c| a.code.to_string() == c))
    else {
        if asked.is_some() {
            return Err(PageError::NotFound);
        }
        return Ok(Html(page.render()?).into_response());
    };
    let code = area.code.to_string();
    page.max = i18n::opt_num(lang, area.max_points);
    let results = state.store.results(&e.id).await?;
    let names = state.store.subject_names().await?;
    let province = province_slug(&state).await?;
    let ranks = node_ranks(&e, &results, &code);
    let mut rows: Vec<(Option<u32>, AreaRowView)> = results
        .iter()
        .map(|r| {
            let rank = ranks.get(&r.subject);
            (
                rank.map(|x| x.0),
                AreaRowView {
                    name: names
                        .get(&r.subject)
                        .cloned()
                        .unwrap_or_else(|| r.subject.clone()),
                    score: r.node_scores.get(&code).copied(),
                    rank: opt_rank(rank.map(|x| x.0)),
                    source_key: source_key(rank.map(|x| x.1)),
                    highlight: province.as_deref() == Some(r.subject.as_str()),
                },
            )
        })
        .collect();
    rows.sort_by(|(ra, a), (rb, b)| {
        ra.is_none()
            .cmp(&rb.is_none())
            .then(ra.cmp(rb))
            .then_with(|| b.score.cmp(&a.score))
            .then_with(|| fold(&a.name).cmp(&fold(&b.name)))
    });
    page.total = rows.len();
    page.known = rows
        .iter()
        .filter(|(r, v)| r.is_some() || v.score.is_some())
        .count();
    page.rows = rows.into_iter().map(|(_, v)| v).collect();
    if xlsx {
        return crate::pages::tables::result_areas_xlsx(lang, &e.id, &code, &page.rows);
    }
    page.area = code;
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Two editions side by side
// ---------------------------------------------------------------------------------------------

pub struct CompareRow {
    pub name: String,
    pub total_a: Option<Decimal>,
    pub rank_a: String,
    pub total_b: Option<Decimal>,
    pub rank_b: String,
    pub points: String,
    pub places: String,
    pub highlight: bool,
    /// The change in points and in places as numbers, for the spreadsheet.
    pub change: (Option<Decimal>, Option<i64>),
}

#[derive(Template)]
#[template(path = "results_compare.html")]
struct ComparePage {
    l: Layout,
    editions: Vec<(String, String)>,
    a: String,
    b: String,
    name_a: String,
    name_b: String,
    rows: Vec<CompareRow>,
    export_href: String,
}

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
    export: Option<String>,
}

/// Side-by-side rows of two ranked tables: every subject present in either, ordered by the
/// second table's rank, then the first's, then the name.
pub fn compare_rows(
    lang: Lang,
    a: &[ResultRow],
    b: &[ResultRow],
    province: Option<&str>,
) -> Vec<CompareRow> {
    let ia: BTreeMap<&str, &ResultRow> = a.iter().map(|r| (r.subject.as_str(), r)).collect();
    let ib: BTreeMap<&str, &ResultRow> = b.iter().map(|r| (r.subject.as_str(), r)).collect();
    let subjects: BTreeSet<&str> = ia.keys().chain(ib.keys()).copied().collect();
    let mut rows: Vec<(Option<u32>, Option<u32>, CompareRow)> = subjects
        .into_iter()
        .map(|s| {
            let ra = ia.get(s);
            let rb = ib.get(s);
            let name = rb.or(ra).map(|r| r.name.clone()).unwrap_or_default();
            let (rank_a, rank_b) = (ra.and_then(|r| r.rank), rb.and_then(|r| r.rank));
            let change = (
                ra.and_then(|x| x.total)
                    .zip(rb.and_then(|y| y.total))
                    .map(|(x, y)| y - x),
                rank_a.zip(rank_b).map(|(x, y)| i64::from(x) - i64::from(y)),
            );
            let points = change.0.map_or_else(|| "—".into(), |d| signed(lang, d));
            let places = change.1.map_or_else(|| "—".into(), signed_places);
            (
                rank_b,
                rank_a,
                CompareRow {
                    name,
                    total_a: ra.and_then(|r| r.total),
                    rank_a: opt_rank(rank_a),
                    total_b: rb.and_then(|r| r.total),
                    rank_b: opt_rank(rank_b),
                    points,
                    places,
                    highlight: province == Some(s),
                    change,
                },
            )
        })
        .collect();
    rows.sort_by(|x, y| {
        x.0.is_none()
            .cmp(&y.0.is_none())
            .then(x.0.cmp(&y.0))
            .then(x.1.is_none().cmp(&y.1.is_none()))
            .then(x.1.cmp(&y.1))
            .then_with(|| fold(&x.2.name).cmp(&fold(&y.2.name)))
    });
    rows.into_iter().map(|(_, _, r)| r).collect()
}

async fn compare(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(cq): Query<CompareQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewResults)?;
    let xlsx = crate::export::wants_xlsx(cq.export.as_deref())?;
    let l = Layout::new(&cu, "nav.results", "results.compare_title", &here(&uri));
    let lang = l.lang;
    let mut page = ComparePage {
        l,
        editions: edition_options(&state).await?,
        a: String::new(),
        b: String::new(),
        name_a: String::new(),
        name_b: String::new(),
        rows: Vec::new(),
        export_href: String::new(),
    };
    let Some(b) = pick_edition(&state, cq.b.as_deref()).await? else {
        return Ok(Html(page.render()?).into_response());
    };
    let a = match cq.a.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(state.store.edition(id).await?.ok_or(PageError::NotFound)?),
        None => state.store.previous_edition(&b).await?,
    };
    let rb = state.store.ranked_results(&b.id).await?;
    let ra = match &a {
        Some(a) => state.store.ranked_results(&a.id).await?.rows,
        None => Vec::new(),
    };
    let province = province_slug(&state).await?;
    page.rows = compare_rows(lang, &ra, &rb.rows, province.as_deref());
    page.b = b.id.clone();
    page.name_b = format!("{} — {}", b.year, b.name);
    if let Some(a) = a {
        page.a = a.id.clone();
        page.name_a = format!("{} — {}", a.year, a.name);
    }
    if xlsx {
        let (a, b) = (
            (page.a.as_str(), page.name_a.as_str()),
            (page.b.as_str(), page.name_b.as_str()),
        );
        return crate::pages::tables::compare_xlsx(lang, a, b, &page.rows);
    }
    page.export_href = format!(
        "/results/compare?{}",
        serde_urlencoded::to_string([
            ("a", &page.a),
            ("b", &page.b),
            ("export", &"xlsx".to_string())
        ])
        .unwrap_or_default()
    );
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Import with a preview and a confirm step
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "results_import.html")]
struct ImportPage {
    l: Layout,
    editions: Vec<(String, String)>,
    edition: String,
    replace: bool,
    /// `first`, `last`, or empty: which row of a subject given twice is kept.
    prefer: String,
    settled: Vec<import_view::SettledRow>,
    file_name: String,
    problems: Vec<FileProblem>,
    preview: Option<PreviewView>,
    content: String,
    fingerprint: String,
}

impl ImportPage {
    fn new(l: Layout, editions: Vec<(String, String)>, edition: String) -> ImportPage {
        ImportPage {
            l,
            editions,
            edition,
            replace: false,
            prefer: String::new(),
            settled: Vec::new(),
            file_name: String::new(),
            problems: Vec::new(),
            preview: None,
            content: String::new(),
            fingerprint: String::new(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    edition: Option<String>,
}

async fn import_form(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(iq): Query<ImportQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ImportResults)?;
    let l = Layout::new(&cu, "nav.results", "results.import_title", &here(&uri));
    let editions = edition_options(&state).await?;
    let edition = match iq.edition.filter(|s| !s.trim().is_empty()) {
        Some(id) => id,
        None => match default_edition(&state).await? {
            Some(id) => id,
            None => editions.first().map(|e| e.0.clone()).unwrap_or_default(),
        },
    };
    Ok(Html(ImportPage::new(l, editions, edition).render()?))
}

/// The slugs of the known subjects (what a results file may name).
async fn known_subjects(state: &AppState) -> Result<BTreeSet<String>, PageError> {
    Ok(state
        .store
        .subjects(None)
        .await?
        .into_iter()
        .map(|s| s.slug)
        .collect())
}

/// Why no results file could be read, as said beside the file field.
fn no_file_problem(lang: Lang, no: upload::NoFile) -> FileProblem {
    file_problem(i18n::t(
        lang,
        match no {
            upload::NoFile::TooLarge => "results.too_large",
            upload::NoFile::BadContent => "results.bad_upload",
            upload::NoFile::NotChosen => "results.choose_file",
        },
    ))
}

async fn import(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Authorise before looking at the body: a refused role gets 403 whatever it sent.
    require(&cu, &Action::ImportResults)?;
    let mp = mp.map_err(|e| PageError::bad_form(e.body_text()))?;
    let mut form = upload::read(mp, UPLOAD_LIMIT).await?;
    let mut l = Layout::new(&cu, "nav.results", "results.import_title", &here(&uri));
    l.here = "/results/import".into();
    let lang = l.lang;
    let t = |k: &str| i18n::t(lang, k);
    let edition_id = form.field("edition").unwrap_or_default().to_string();
    let edition = state
        .store
        .edition(&edition_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let mut page = ImportPage::new(l, edition_options(&state).await?, edition_id.clone());
    page.replace = form.flag("replace");
    let prefer = form.field("prefer").and_then(Prefer::parse);
    page.prefer = form
        .field("prefer")
        .filter(|_| prefer.is_some())
        .unwrap_or_default()
        .into();
    let confirm = form.field("confirm") == Some("1");
    let fail = |mut page: ImportPage, status: StatusCode, problems: Vec<FileProblem>| {
        page.problems = problems;
        page.render()
            .map(|html| (status, Html(html)).into_response())
            .map_err(PageError::from)
    };
    let (file_name, bytes) = match form.import_file(confirm) {
        Ok(f) => f,
        Err(no) => return fail(page, no.status(), vec![no_file_problem(lang, no)]),
    };
    page.file_name = file_name.clone();
    let known = known_subjects(&state).await?;
    // Parsed off the async workers, under the upload cap (authorization is checked above).
    let (ed, name) = (edition.clone(), file_name.clone());
    let (parsed, bytes) = crate::parse_pool::parse(move || {
        let parsed = parse_results_upload(lang, &ed, &known, (&name, &bytes), prefer);
        (parsed, bytes)
    })
    .await?;
    let (incoming, settled) = match parsed {
        Ok(r) => (r.rows, r.settled),
        Err(p) => return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p),
    };
    let existing = state.store.results(&edition.id).await?;
    let problems = merged_problems(lang, &edition, &existing, &incoming, page.replace);
    if !problems.is_empty() {
        return fail(page, StatusCode::UNPROCESSABLE_ENTITY, problems);
    }
    let print = results_fingerprint(&existing);
    if confirm {
        if form.field("fingerprint") != Some(print.as_str()) {
            let p = vec![file_problem(t("results.changed_meanwhile"))];
            return fail(page, StatusCode::CONFLICT, p);
        }
        let stored = state
            .store
            .import_results(&edition.id, &incoming, page.replace, &cu.user.username)
            .await;
        return match stored {
            Ok(_) => Ok(Redirect::to(&format!(
                "/results?edition={}&done=imported",
                enc(&edition.id)
            ))
            .into_response()),
            Err(StoreError::Invalid(m)) => {
                let p = crate::refusals::lines(lang, &m);
                fail(
                    page,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    p.into_iter().map(file_problem).collect(),
                )
            }
            Err(e) => Err(e.into()),
        };
    }
    let change = state
        .store
        .preview_results(&edition.id, &incoming, page.replace)
        .await?;
    let names = state.store.subject_names().await?;
    page.preview = Some(preview_view(&change, &names));
    page.settled = import_view::settled_view(&settled, &names);
    page.content = upload::b64_encode(&bytes);
    page.fingerprint = print;
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests;

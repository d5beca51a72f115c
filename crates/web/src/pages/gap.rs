//! Gap analysis of one subject in one edition: total and rank, the change since the previous
//! edition, the points needed to reach the target rank, each component against its max, the
//! areas against their targets, the criteria ordered by points lost, and the same grouped by the
//! lead agency answerable. Needs `ViewGap`.

use crate::auth::Authed;
use crate::charts::{self, Bar};
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::names::{component_name, node_title};
use crate::pages::results::{
    default_edition, edition_options, opt_rank, province_slug, signed, signed_places, source_key,
};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use parindex_domain::access::Action;
use parindex_domain::edition::{Edition, NodeCode};
use parindex_domain::gap::{GapReport, PointsToRank};
use parindex_domain::text::fold;
use parindex_store::RankedResults;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/gap", get(gap))
}

#[derive(Deserialize, Default)]
pub struct GapQuery {
    edition: Option<String>,
    subject: Option<String>,
    target: Option<String>,
    export: Option<String>,
    /// `pdf`: the same analysis as a PDF document.
    format: Option<String>,
}

pub struct CompRow {
    pub name: String,
    pub achieved: Option<Decimal>,
    pub max: Decimal,
    pub lost: Option<Decimal>,
}

pub struct AreaRow {
    pub code: String,
    pub title: String,
    pub score: Option<Decimal>,
    pub max: Option<Decimal>,
    pub lost: Option<Decimal>,
    pub rank: String,
    pub source_key: &'static str,
    pub target: String,
    pub climb: String,
    pub points: String,
    pub ok: bool,
    pub lead: String,
}

pub struct CriterionRow {
    pub code: String,
    pub title: String,
    pub score: Decimal,
    pub max: Decimal,
    pub lost: Decimal,
    pub lead: String,
}

pub struct LeadRow {
    pub name: String,
    /// Unknown (`None`, "—") when none of its items has a known score.
    pub lost: Option<Decimal>,
    pub areas: String,
    pub criteria: usize,
}

#[derive(Template)]
#[template(path = "gap.html")]
struct GapPage {
    l: Layout,
    editions: Vec<(String, String)>,
    subjects: Vec<(String, String)>,
    edition: String,
    subject: String,
    target: String,
    err_subject: Option<&'static str>,
    err_target: Option<&'static str>,
    has_report: bool,
    sample: bool,
    name: String,
    total: Option<Decimal>,
    max: Decimal,
    lost: Option<Decimal>,
    pct: Option<Decimal>,
    rank: String,
    rank_source_key: &'static str,
    previous: String,
    target_rank: String,
    to_target: String,
    to_target_detail: String,
    reached: bool,
    components_svg: String,
    components: Vec<CompRow>,
    areas: Vec<AreaRow>,
    criteria: Vec<CriterionRow>,
    leads: Vec<LeadRow>,
    export_href: String,
    /// The same analysis as a PDF (`?…&format=pdf`).
    pdf_href: String,
}

/// The sentence saying what it takes to reach rank `k`, and an English detail when unknown.
pub fn target_sentence(
    lang: Lang,
    k: u32,
    detail: &PointsToRank,
    table: &RankedResults,
) -> (String, String, bool) {
    let t = |key: &str| i18n::t(lang, key);
    match detail {
        PointsToRank::Reached => (
            t("gap.reached").replace("{k}", &k.to_string()),
            String::new(),
            true,
        ),
        PointsToRank::Needed {
            points,
            threshold,
            threshold_subject,
        } => {
            let row = table.rows.iter().find(|r| &r.subject == threshold_subject);
            let name = row
                .map(|r| r.name.clone())
                .unwrap_or_else(|| threshold_subject.clone());
            let text = match row.and_then(|r| r.rank) {
                Some(rank) => t("gap.needed").replace("{rank}", &rank.to_string()),
                None => t("gap.needed_norank").to_string(),
            };
            (
                text.replace("{points}", &i18n::num(lang, *points))
                    .replace("{name}", &name)
                    .replace("{total}", &i18n::num(lang, *threshold)),
                String::new(),
                false,
            )
        }
        PointsToRank::Unknown { reason } => (
            t("gap.unknown").replace("{k}", &k.to_string()),
            reason.clone(),
            false,
        ),
    }
}

fn short_points(lang: Lang, p: &Option<PointsToRank>) -> (String, bool) {
    match p {
        None => ("—".into(), true),
        Some(PointsToRank::Reached) => (i18n::t(lang, "gap.reached_short").into(), true),
        Some(PointsToRank::Needed { points, .. }) => {
            (format!("+{}", i18n::num(lang, *points)), false)
        }
        Some(PointsToRank::Unknown { .. }) => (i18n::t(lang, "gap.unknown_short").into(), true),
    }
}

fn fill_report(
    page: &mut GapPage,
    e: &Edition,
    g: &GapReport,
    table: &RankedResults,
    units: &BTreeMap<String, String>,
) {
    let lang = page.l.lang;
    let t = |k: &str| i18n::t(lang, k);
    page.has_report = true;
    page.total = g.total;
    page.max = g.max;
    page.lost = g.lost;
    page.pct = g.index_pct;
    page.rank = match (g.rank, e.peer_count) {
        (Some(r), Some(n)) => format!("{r}/{n}"),
        (r, _) => opt_rank(r),
    };
    page.rank_source_key = source_key(g.rank_source);
    if let Some(p) = &g.previous {
        let rank = p
            .rank
            .map(|r| format!(", {} {r}", t("gap.rank_short")))
            .unwrap_or_default();
        let places = p
            .rank_change
            .map(|c| format!(", {} {}", signed_places(c), t("gap.places")))
            .unwrap_or_default();
        let dash = || "—".to_string();
        page.previous = format!(
            "{}: {}{rank} → {} {}{places}",
            p.year,
            p.total.map_or_else(dash, |x| i18n::num(lang, x)),
            p.total_change.map_or_else(dash, |x| signed(lang, x)),
            t("gap.points"),
        );
    }
    page.target_rank = g.target_rank.map(|k| k.to_string()).unwrap_or_default();
    match (g.target_rank, &g.points_to_target_detail) {
        (Some(k), Some(d)) => {
            let (text, detail, reached) = target_sentence(lang, k, d, table);
            page.to_target = text;
            page.to_target_detail = detail;
            page.reached = reached;
        }
        _ => page.to_target = t("gap.no_target").to_string(),
    }
    fill_components(page, e, g);
    fill_tables(page, e, g, units);
}

/// The components against their max, as a table and as bars.
fn fill_components(page: &mut GapPage, e: &Edition, g: &GapReport) {
    let lang = page.l.lang;
    page.components = g
        .components
        .iter()
        .map(|c| CompRow {
            name: e
                .components
                .iter()
                .find(|x| x.code == c.code)
                .map(|x| component_name(lang, x))
                .unwrap_or_else(|| c.name_vi.clone()),
            achieved: c.achieved,
            max: c.max,
            lost: c.lost,
        })
        .collect();
    let bars: Vec<Bar> = page
        .components
        .iter()
        .map(|c| Bar {
            label: c.name.clone(),
            value: c.achieved.and_then(|a| a.to_f64()).unwrap_or(0.0),
            max: c.max.to_f64().unwrap_or(0.0),
            value_text: format!(
                "{} / {}",
                i18n::opt_num(lang, c.achieved),
                i18n::num(lang, c.max)
            ),
        })
        .collect();
    if !bars.is_empty() {
        page.components_svg = charts::bars(
            i18n::t(lang, "gap.components"),
            i18n::t(lang, "gap.components_desc"),
            &bars,
        );
    }
}

/// The areas against their targets, the criteria by points lost, and the lead agencies.
fn fill_tables(page: &mut GapPage, e: &Edition, g: &GapReport, units: &BTreeMap<String, String>) {
    let lang = page.l.lang;
    let t = |k: &str| i18n::t(lang, k);
    let lead = |s: &Option<String>| match s {
        Some(s) => units.get(s).cloned().unwrap_or_else(|| s.clone()),
        None => t("gap.unassigned").to_string(),
    };
    let title = |code: &str, fallback: &str| {
        NodeCode::parse(code)
            .ok()
            .and_then(|c| e.node(&c).map(|n| node_title(lang, n)))
            .unwrap_or_else(|| fallback.to_string())
    };
    page.areas = g
        .by_area
        .iter()
        .map(|a| {
            let (points, ok) = short_points(lang, &a.points_to_target);
            AreaRow {
                title: title(&a.code, &a.title_vi),
                code: a.code.clone(),
                score: a.score,
                max: a.max,
                lost: a.lost,
                rank: opt_rank(a.rank),
                source_key: source_key(a.rank_source),
                target: a
                    .target_rank
                    .map(|k| format!("{} {k}", t("gap.top")))
                    .unwrap_or_else(|| "—".into()),
                climb: a
                    .places_to_target
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "—".into()),
                ok: ok && a.places_to_target.is_none_or(|p| p == 0),
                points,
                lead: lead(&a.lead_agency),
            }
        })
        .collect();
    page.criteria = g
        .by_criterion
        .iter()
        .map(|c| CriterionRow {
            title: title(&c.code, &c.title_vi),
            code: c.code.clone(),
            score: c.score,
            max: c.max,
            lost: c.lost,
            lead: lead(&c.lead_agency),
        })
        .collect();
    page.leads = g
        .by_lead_agency
        .iter()
        .map(|x| LeadRow {
            name: lead(&x.lead_agency),
            lost: x.points_lost,
            areas: if x.areas_below_target.is_empty() {
                "—".into()
            } else {
                x.areas_below_target.join(", ")
            },
            criteria: x.criteria.len(),
        })
        .collect();
}

impl GapPage {
    /// The page before an edition and a subject are chosen.
    fn empty(l: Layout, editions: Vec<(String, String)>, target: String) -> GapPage {
        GapPage {
            l,
            editions,
            subjects: Vec::new(),
            edition: String::new(),
            subject: String::new(),
            target,
            err_subject: None,
            err_target: None,
            has_report: false,
            sample: false,
            name: String::new(),
            total: None,
            max: Decimal::ZERO,
            lost: None,
            pct: None,
            rank: String::new(),
            rank_source_key: "",
            previous: String::new(),
            target_rank: String::new(),
            to_target: String::new(),
            to_target_detail: String::new(),
            reached: false,
            components_svg: String::new(),
            components: Vec::new(),
            areas: Vec::new(),
            criteria: Vec::new(),
            leads: Vec::new(),
            export_href: String::new(),
            pdf_href: String::new(),
        }
    }
}

fn non_blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The target rank typed (`?target=`): none when blank, an error when not a rank (1 or more).
fn target_rank(typed: Option<&str>) -> Result<Option<u32>, ()> {
    match typed {
        None => Ok(None),
        Some(s) => match s.parse::<u32>() {
            Ok(k) if k >= 1 => Ok(Some(k)),
            _ => Err(()),
        },
    }
}

/// The subject asked for, else the province when it has a result in the table, else the
/// table's first subject.
async fn gap_subject(
    state: &AppState,
    asked: Option<&str>,
    table: &RankedResults,
) -> Result<Option<String>, PageError> {
    Ok(match asked {
        Some(s) => Some(s.to_string()),
        None => province_slug(state)
            .await?
            .filter(|p| table.rows.iter().any(|r| &r.subject == p))
            .or_else(|| table.rows.first().map(|r| r.subject.clone())),
    })
}

async fn gap(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(gq): Query<GapQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewGap)?;
    let xlsx = crate::export::wants_xlsx(gq.export.as_deref())?;
    let l = Layout::new(&cu, "nav.gap", "gap.title", &here(&uri));
    let lang = l.lang;
    let editions = edition_options(&state).await?;
    let mut page = GapPage::empty(l, editions, gq.target.clone().unwrap_or_default());
    let id = match non_blank(&gq.edition) {
        Some(id) => id.to_string(),
        None => match default_edition(&state).await? {
            Some(id) => id,
            None => return Ok(Html(page.render()?).into_response()),
        },
    };
    let e = state.store.edition(&id).await?.ok_or(PageError::NotFound)?;
    page.edition = e.id.clone();
    page.sample = e.sample;
    let table = state.store.ranked_results(&e.id).await?;
    let mut subjects: Vec<(String, String)> = table
        .rows
        .iter()
        .map(|r| (r.subject.clone(), r.name.clone()))
        .collect();
    subjects.sort_by_cached_key(|a| fold(&a.1));
    page.subjects = subjects;
    let target = target_rank(non_blank(&gq.target)).unwrap_or_else(|()| {
        page.err_target = Some(i18n::t(lang, "gap.err_target"));
        None
    });
    let Some(subject) = gap_subject(&state, non_blank(&gq.subject), &table).await? else {
        return Ok(Html(page.render()?).into_response());
    };
    page.subject = subject.clone();
    let Some(row) = table.rows.iter().find(|r| r.subject == subject) else {
        page.err_subject = Some(i18n::t(lang, "gap.err_subject"));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    page.name = row.name.clone();
    let named = state.store.gap_report(&e.id, &subject, target).await?;
    let units = crate::names::unit_names(&state, lang).await?;
    fill_report(&mut page, &e, &named.report, &table, &units);
    if page.err_target.is_some() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    if xlsx {
        let p = &page;
        let sheets =
            crate::pages::tables::gap_sheets(lang, &p.components, &p.areas, &p.criteria, &p.leads);
        let stem = format!("phan-tich-diem-mat-{}-{subject}", e.id);
        return crate::export::xlsx_response(&crate::export::safe_file_name(&stem), &sheets);
    }
    if target.is_none() {
        page.target = page.target_rank.clone();
    }
    page.export_href = crate::export::export_href(&uri);
    if gq.format.is_some() {
        return gap_pdf(page, gq.format.as_deref()).await;
    }
    page.pdf_href = pdf_href(&page, target);
    Ok(Html(page.render()?).into_response())
}

/// `/gap?edition=…&subject=…[&target=…]&format=pdf`.
fn pdf_href(page: &GapPage, target: Option<u32>) -> String {
    use crate::download::pct_encode;
    let mut href = format!(
        "/gap?edition={}&subject={}",
        pct_encode(&page.edition),
        pct_encode(&page.subject)
    );
    if let Some(k) = target {
        href.push_str(&format!("&target={k}"));
    }
    href.push_str("&format=pdf");
    href
}

/// The analysis shown on the page as a PDF document (typst): the same figures, sentences and
/// tables, in the reader's language.
async fn gap_pdf(page: GapPage, format: Option<&str>) -> Result<Response, PageError> {
    if format != Some("pdf") {
        return Err(PageError::refused(
            "format",
            parindex_store::RefusalKind::NotOneOf {
                value: format.unwrap_or_default().to_string(),
                allowed: &["pdf"],
            },
        ));
    }
    let doc = gap_doc(&page);
    let name = format!("phan-tich-diem-mat-{}-{}.pdf", page.edition, page.subject);
    crate::download::pdf(&name, move || parindex_reports::table_pdf(&doc)).await
}

/// A table of the PDF: its caption and headers are catalogue keys (`#` as it is).
fn pdf_table(
    lang: Lang,
    caption: &str,
    headers: &[&str],
    widths: Vec<u32>,
    align: Vec<&'static str>,
    rows: Vec<Vec<String>>,
) -> parindex_reports::DocTable {
    let t = |k: &str| {
        if k == "#" {
            k.to_string()
        } else {
            i18n::t(lang, k).to_string()
        }
    };
    parindex_reports::DocTable {
        caption: t(caption),
        headers: headers.iter().map(|h| t(h)).collect(),
        widths,
        align,
        rows: rows
            .into_iter()
            .map(parindex_reports::DocRow::new)
            .collect(),
    }
}

/// The areas against their targets, as on screen.
fn gap_area_table(p: &GapPage) -> parindex_reports::DocTable {
    let lang = p.l.lang;
    let n = |d: Decimal| i18n::num(lang, d);
    let on = |d: Option<Decimal>| i18n::opt_num(lang, d);
    let rows = p
        .areas
        .iter()
        .map(|a| {
            let score = match a.max {
                Some(m) => format!("{} / {}", on(a.score), n(m)),
                None => on(a.score),
            };
            let (code, title, lead) = (a.code.clone(), a.title.clone(), a.lead.clone());
            let (rank, target, climb) = (a.rank.clone(), a.target.clone(), a.climb.clone());
            vec![
                code,
                title,
                score,
                on(a.lost),
                rank,
                target,
                climb,
                a.points.clone(),
                lead,
            ]
        })
        .collect();
    let headers = crate::pages::tables::GAP_AREA_COLUMNS;
    let align = vec![
        "center", "left", "right", "right", "right", "right", "right", "right", "left",
    ];
    let widths = vec![2, 14, 5, 4, 4, 4, 4, 4, 9];
    pdf_table(lang, "gap.areas", headers, widths, align, rows)
}

/// The page's four tables, as on screen.
fn gap_tables(p: &GapPage) -> Vec<parindex_reports::DocTable> {
    let lang = p.l.lang;
    let n = |d: Decimal| i18n::num(lang, d);
    let on = |d: Option<Decimal>| i18n::opt_num(lang, d);
    let mut tables = Vec::new();
    if !p.components.is_empty() {
        let rows = p
            .components
            .iter()
            .map(|c| vec![c.name.clone(), on(c.achieved), n(c.max), on(c.lost)])
            .collect();
        let headers = crate::pages::tables::GAP_COMPONENT_COLUMNS;
        let align = vec!["left", "right", "right", "right"];
        tables.push(pdf_table(
            lang,
            "gap.components",
            headers,
            vec![10, 4, 4, 4],
            align,
            rows,
        ));
    }
    tables.push(gap_area_table(p));
    let rows = p
        .criteria
        .iter()
        .map(|c| {
            let (code, title, lead) = (c.code.clone(), c.title.clone(), c.lead.clone());
            vec![code, title, n(c.score), n(c.max), n(c.lost), lead]
        })
        .collect();
    let headers = crate::pages::tables::GAP_CRITERION_COLUMNS;
    let align = vec!["left", "left", "right", "right", "right", "left"];
    tables.push(pdf_table(
        lang,
        "gap.criteria",
        headers,
        vec![3, 18, 4, 4, 4, 9],
        align,
        rows,
    ));
    let rows = p
        .leads
        .iter()
        .map(|x| {
            vec![
                x.name.clone(),
                on(x.lost),
                x.areas.clone(),
                x.criteria.to_string(),
            ]
        })
        .collect();
    let headers = crate::pages::tables::GAP_LEAD_COLUMNS;
    let align = vec!["left", "right", "left", "right"];
    tables.push(pdf_table(
        lang,
        "gap.by_lead",
        headers,
        vec![12, 4, 8, 4],
        align,
        rows,
    ));
    tables
}

/// The page's content as a [`parindex_reports::TableDoc`]: the subject, the edition, the
/// figures and sentences of the tiles, then the tables.
fn gap_doc(p: &GapPage) -> parindex_reports::TableDoc {
    let lang = p.l.lang;
    let t = |k: &str| i18n::t(lang, k).to_string();
    let n = |d: Decimal| i18n::num(lang, d);
    let edition = p
        .editions
        .iter()
        .find(|(id, _)| *id == p.edition)
        .map(|(_, label)| label.clone())
        .unwrap_or_else(|| p.edition.clone());
    let mut subtitle = vec![edition];
    if p.sample {
        subtitle.push(t("common.sample"));
    }
    let mut intro = vec![
        format!(
            "{}: {} / {} · {} {}",
            t("gap.total"),
            p.total.map_or_else(|| "—".into(), n),
            n(p.max),
            t("gap.lost"),
            p.lost.map_or_else(|| "—".into(), n)
        ),
        format!(
            "{}: {}",
            t("gap.index"),
            p.pct.map_or_else(|| "—".into(), |d| i18n::pct(lang, d))
        ),
        format!("{}: {}", t("gap.rank"), p.rank),
    ];
    if !p.previous.is_empty() {
        intro.push(format!("{}: {}", t("gap.previous"), p.previous));
    }
    intro.push(format!("{}: {}", t("gap.to_target"), p.to_target));
    parindex_reports::TableDoc {
        title: format!("{}: {}", t("gap.title"), p.name),
        subtitle,
        intro,
        tables: gap_tables(p),
        landscape: true,
        ..parindex_reports::TableDoc::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_store::ResultRow;
    use rust_decimal_macros::dec;

    fn table() -> RankedResults {
        let row = |s: &str, n: &str, total, rank| ResultRow {
            rank,
            rank_source: None,
            subject: s.into(),
            name: n.into(),
            total: Some(total),
            index_pct: None,
            components: BTreeMap::new(),
            component_ranks: BTreeMap::new(),
            node_scores: BTreeMap::new(),
            node_ranks: BTreeMap::new(),
            source: None,
            published_on: None,
        };
        RankedResults {
            edition_id: "e".into(),
            edition_name: "E".into(),
            complete: false,
            peer_count: Some(63),
            rows: vec![
                row("phu-tho", "Phú Thọ", dec!(85.74), Some(10)),
                row("x", "X", dec!(80), None),
            ],
        }
    }

    #[test]
    fn says_what_the_target_takes() {
        let d = PointsToRank::Needed {
            points: dec!(0.16),
            threshold: dec!(85.74),
            threshold_subject: "phu-tho".into(),
        };
        let (s, detail, reached) = target_sentence(Lang::Vi, 10, &d, &table());
        assert_eq!(
            s,
            "Cần thêm 0,16 điểm để bằng Phú Thọ (hạng 10, 85,74); bằng điểm thì đồng hạng."
        );
        assert!(detail.is_empty() && !reached);
        let (s, _, _) = target_sentence(Lang::En, 10, &d, &table());
        assert_eq!(
            s,
            "0.16 points to equal Phú Thọ (rank 10, 85.74); a tie shares the rank."
        );
        let d = PointsToRank::Needed {
            points: dec!(5),
            threshold: dec!(80),
            threshold_subject: "x".into(),
        };
        let (s, _, _) = target_sentence(Lang::En, 20, &d, &table());
        assert_eq!(s, "5.00 points to equal X (80.00); a tie shares the rank.");
        let (s, _, reached) = target_sentence(Lang::Vi, 10, &PointsToRank::Reached, &table());
        assert_eq!(s, "Đã đạt mục tiêu hạng 10.");
        assert!(reached);
        let (s, detail, _) = target_sentence(
            Lang::En,
            5,
            &PointsToRank::Unknown {
                reason: "only 2 peers".into(),
            },
            &table(),
        );
        assert!(s.contains("rank 5"));
        assert_eq!(detail, "only 2 peers");
    }

    #[test]
    fn short_points_in_areas() {
        assert_eq!(short_points(Lang::Vi, &None), ("—".to_string(), true));
        assert_eq!(
            short_points(
                Lang::Vi,
                &Some(PointsToRank::Needed {
                    points: dec!(1.5),
                    threshold: dec!(9),
                    threshold_subject: "a".into()
                })
            ),
            ("+1,50".to_string(), false)
        );
    }
}

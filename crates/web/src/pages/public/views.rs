//! The public pages themselves: the index (the province's PAR Index by year, the published
//! rankings and dossier rates), one edition's results, one published ranking, one period's
//! dossier rates, and the Atom feed of the publications.

use super::open_table::{col, Kind, OpenTable};
use super::{
    download_href, format_of, href, last_modified, live, published, Chrome, Link, PublicPage,
    PublicQuery, Section,
};
use crate::charts::{self, Bar, Point};
use crate::error::PageError;
use crate::export::Cell;
use crate::i18n::{self, t, Lang};
use crate::names::{component_name, node_title, unit_names};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use parindex_domain::dossiers::{percent, Counts};
use parindex_domain::edition::{Edition, Level};
use parindex_domain::units::UnitType;
use parindex_store::{DossierPeriod, Publication, PublicationKind, ResultRow};
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// "13/63", or the rank alone without a peer count.
fn rank_of(rank: Option<u32>, peers: Option<u32>) -> Cell {
    match (rank, peers) {
        (Some(r), Some(n)) => Cell::Text(format!("{r}/{n}")),
        (Some(r), None) => Cell::Text(r.to_string()),
        _ => Cell::Empty,
    }
}

fn dec(d: Option<rust_decimal::Decimal>) -> Cell {
    d.map(Cell::Dec).unwrap_or(Cell::Empty)
}

/// "tháng 06/2021" / "month 06/2021", "năm 2021" / "year 2021".
pub fn period_label(lang: Lang, p: DossierPeriod) -> String {
    match p {
        DossierPeriod::Month(m) => {
            format!("{} {:02}/{}", t(lang, "public.month"), m.month(), m.year())
        }
        DossierPeriod::Year(y) => format!("{} {y}", t(lang, "public.year")),
    }
}

/// The decision of a publication as a sentence: "Quyết định 125/QĐ-UBND ngày 25/02/2021".
pub fn decision_text(lang: Lang, p: &Publication) -> String {
    let mut out = String::new();
    if let Some(d) = &p.decision_ref {
        out = format!("{} {d}", t(lang, "public.decision"));
    }
    if let Some(on) = p.decision_on {
        out = format!(
            "{out} {} {}",
            t(lang, "public.dated"),
            crate::dates::date(on)
        )
        .trim()
        .to_string();
    }
    out
}

/// The province (the unit of type province) and its results in the published editions.
async fn province_history(
    state: &AppState,
    all: &[Publication],
) -> Result<Vec<(Edition, ResultRow)>, PageError> {
    let units = state.store.units(None).await?;
    let Some(province) = units.iter().find(|u| u.unit_type == UnitType::Province) else {
        return Ok(Vec::new());
    };
    let history = state
        .store
        .result_history(&province.slug, Level::Province)
        .await?;
    let mut out = Vec::new();
    for h in history {
        if published(all, PublicationKind::Results, &h.edition_id).is_err() {
            continue;
        }
        let Some(e) = state.store.edition(&h.edition_id).await? else {
            continue;
        };
        let table = state.store.ranked_results(&h.edition_id).await?;
        if let Some(r) = table.rows.into_iter().find(|r| r.subject == province.slug) {
            out.push((e, r));
        }
    }
    Ok(out)
}

fn history_table(lang: Lang, rows: &[(Edition, ResultRow)]) -> OpenTable {
    OpenTable {
        id: "public-history",
        file: "chi-so-cchc-theo-nam".into(),
        sheet_key: "public.history",
        columns: vec![
            col("year", "public.col.year", Kind::Text),
            col("edition", "public.col.edition", Kind::Text),
            col("total", "public.col.total", Kind::Points),
            col("max", "public.col.max", Kind::Points),
            col("index_pct", "public.col.index_pct", Kind::Pct),
            col("rank", "public.col.rank", Kind::Text),
        ],
        rows: rows
            .iter()
            .map(|(e, r)| {
                vec![
                    Cell::Text(e.year.to_string()),
                    Cell::Text(e.name.clone()),
                    dec(r.total),
                    Cell::Dec(e.max_points),
                    dec(r.index_pct),
                    rank_of(r.rank, e.peer_count),
                ]
            })
            .collect(),
        links: rows
            .iter()
            .map(|(e, _)| Some(href(lang, &format!("/cong-khai/chi-so/{}", e.id))))
            .collect(),
    }
}

fn history_svg(lang: Lang, rows: &[(Edition, ResultRow)]) -> String {
    let max = rows
        .iter()
        .map(|(e, _)| e.max_points)
        .max()
        .and_then(|m| m.to_f64())
        .unwrap_or(100.0);
    let points: Vec<Point> = rows
        .iter()
        .map(|(e, r)| Point {
            label: e.year.to_string(),
            // A year with only a published rank: an empty column, its figure "—".
            value: r.total.and_then(|t| t.to_f64()).unwrap_or(0.0),
            value_text: r.total.map_or_else(|| "—".into(), |t| i18n::num(lang, t)),
            note: r.rank.map(|k| match e.peer_count {
                Some(n) => format!("{k}/{n}"),
                None => k.to_string(),
            }),
        })
        .collect();
    charts::columns(
        t(lang, "public.history"),
        t(lang, "public.history_desc"),
        max,
        &points,
    )
}

/// Links to each live publication of a kind, with its decision.
async fn publication_links(
    state: &AppState,
    lang: Lang,
    all: &[Publication],
    kind: PublicationKind,
) -> Result<Vec<Link>, PageError> {
    let mut out = Vec::new();
    for p in live(all, kind) {
        let Some(title) = title_of(state, lang, p).await? else {
            continue;
        };
        out.push(Link {
            href: href(lang, &public_path(p)),
            text: title,
            note: decision_text(lang, p),
        });
    }
    Ok(out)
}

/// The public page of a publication.
pub fn public_path(p: &Publication) -> String {
    match p.kind {
        PublicationKind::Results => format!("/cong-khai/chi-so/{}", p.target),
        PublicationKind::Ranking => format!("/cong-khai/xep-hang/{}", p.target),
        PublicationKind::Dossiers => format!("/cong-khai/ho-so/{}", p.target),
    }
}

/// What a publication is called: the edition's or the round's name, the dossier period.
pub async fn title_of(
    state: &AppState,
    lang: Lang,
    p: &Publication,
) -> Result<Option<String>, PageError> {
    Ok(match p.kind {
        PublicationKind::Results => state.store.edition(&p.target).await?.map(|e| e.name),
        PublicationKind::Ranking => state.store.round(&p.target).await?.map(|r| r.name),
        PublicationKind::Dossiers => DossierPeriod::parse(&p.target).map(|d| {
            format!(
                "{} {}",
                t(lang, "public.dossiers_of"),
                period_label(lang, d)
            )
        }),
    })
}

pub async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PublicQuery>,
) -> Result<Response, PageError> {
    let lang = q.lang();
    let format = format_of(&q)?;
    let all = state.store.publications().await?;
    let modified = last_modified(&all);
    let rows = province_history(&state, &all).await?;
    let table = history_table(lang, &rows);
    if let Some(f) = format {
        return table.download(&headers, lang, f, t(lang, "public.history"), modified);
    }
    let downloads = downloads(lang, "/cong-khai", None);
    let sections = vec![
        Section {
            id: "history".into(),
            heading: t(lang, "public.history").into(),
            svg: if rows.is_empty() {
                String::new()
            } else {
                history_svg(lang, &rows)
            },
            table: (!rows.is_empty()).then(|| table.html(lang)),
            downloads: if rows.is_empty() {
                Vec::new()
            } else {
                downloads
            },
            empty: t(lang, "public.nothing").into(),
            ..Section::default()
        },
        Section {
            id: "rankings".into(),
            heading: t(lang, "public.rankings").into(),
            note: t(lang, "public.rankings_note").into(),
            links: publication_links(&state, lang, &all, PublicationKind::Ranking).await?,
            empty: t(lang, "public.nothing").into(),
            ..Section::default()
        },
        Section {
            id: "dossier-rates".into(),
            heading: t(lang, "public.dossiers").into(),
            links: publication_links(&state, lang, &all, PublicationKind::Dossiers).await?,
            empty: t(lang, "public.nothing").into(),
            ..Section::default()
        },
    ];
    PublicPage {
        lang: lang.code(),
        title: t(lang, "public.title").into(),
        intro: t(lang, "public.intro").into(),
        sections,
        chrome: Chrome::new(lang, "/cong-khai"),
    }
    .answer(&headers, modified)
}

/// The CSV · JSON · XLSX links of a table at `path` (`table` names one of a page's tables).
fn downloads(lang: Lang, path: &str, table: Option<&str>) -> Vec<Link> {
    ["csv", "json", "xlsx"]
        .iter()
        .map(|f| {
            let mut h = download_href(lang, path, f);
            if let Some(tb) = table {
                h = format!("{h}&table={tb}");
            }
            Link {
                href: h,
                text: f.to_ascii_uppercase(),
                note: String::new(),
            }
        })
        .collect()
}

fn components_table(lang: Lang, e: &Edition, r: &ResultRow) -> OpenTable {
    OpenTable {
        id: "public-components",
        file: format!("{}-thanh-phan", e.id),
        sheet_key: "public.components",
        columns: vec![
            col("component", "public.col.component", Kind::Text),
            col("points", "public.col.points", Kind::Points),
            col("max", "public.col.max", Kind::Points),
            col("rank", "public.col.rank", Kind::Text),
        ],
        rows: e
            .components
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(component_name(lang, c)),
                    dec(r.components.get(&c.code).copied()),
                    Cell::Dec(c.max_points),
                    rank_of(r.component_ranks.get(&c.code).copied(), e.peer_count),
                ]
            })
            .collect(),
        links: Vec::new(),
    }
}

fn areas_table(lang: Lang, e: &Edition, r: &ResultRow) -> OpenTable {
    OpenTable {
        id: "public-areas",
        file: format!("{}-linh-vuc", e.id),
        sheet_key: "public.areas",
        columns: vec![
            col("code", "public.col.code", Kind::Text),
            col("area", "public.col.area", Kind::Text),
            col("points", "public.col.points", Kind::Points),
            col("max", "public.col.max", Kind::Points),
            col("rank", "public.col.rank", Kind::Text),
        ],
        rows: e
            .areas()
            .map(|n| {
                let code = n.code.to_string();
                vec![
                    Cell::Text(code.clone()),
                    Cell::Text(node_title(lang, n)),
                    dec(r.node_scores.get(&code).copied()),
                    dec(n.max_points),
                    rank_of(r.node_ranks.get(&code).copied(), e.peer_count),
                ]
            })
            .collect(),
        links: Vec::new(),
    }
}

fn headline_table(lang: Lang, e: &Edition, r: &ResultRow) -> OpenTable {
    let mut t = history_table(lang, &[(e.clone(), r.clone())]);
    t.id = "public-headline";
    t.file = e.id.clone();
    t.links = Vec::new();
    t
}

fn component_svg(lang: Lang, e: &Edition, r: &ResultRow) -> String {
    let bars: Vec<Bar> = e
        .components
        .iter()
        .map(|c| {
            let got = r.components.get(&c.code).copied();
            Bar {
                label: component_name(lang, c),
                value: got.and_then(|g| g.to_f64()).unwrap_or(0.0),
                max: c.max_points.to_f64().unwrap_or(0.0),
                value_text: format!(
                    "{} / {}",
                    i18n::opt_num(lang, got),
                    i18n::num(lang, c.max_points)
                ),
            }
        })
        .collect();
    charts::bars(
        t(lang, "public.components"),
        t(lang, "public.components_desc"),
        &bars,
    )
}

pub async fn edition(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PublicQuery>,
) -> Result<Response, PageError> {
    let lang = q.lang();
    let format = format_of(&q)?;
    let all = state.store.publications().await?;
    let p = published(&all, PublicationKind::Results, &id)?;
    let modified = last_modified(&all);
    let rows = province_history(&state, &all).await?;
    let Some((e, r)) = rows.into_iter().find(|(e, _)| e.id == id) else {
        return Err(PageError::NotFound);
    };
    let tables = [
        headline_table(lang, &e, &r),
        components_table(lang, &e, &r),
        areas_table(lang, &e, &r),
    ];
    let path = format!("/cong-khai/chi-so/{id}");
    if let Some(f) = format {
        let which = q.table.as_deref().unwrap_or("total");
        let pick = match which {
            "components" => &tables[1],
            "areas" => &tables[2],
            "total" => &tables[0],
            other => {
                return Err(PageError::refused(
                    "table",
                    parindex_store::RefusalKind::NotOneOf {
                        value: other.to_string(),
                        allowed: &["total", "components", "areas"],
                    },
                ))
            }
        };
        return pick.download(&headers, lang, f, &e.name, modified);
    }
    let [head, comps, areas] = tables;
    let sections = vec![
        Section {
            id: "total".into(),
            heading: t(lang, "public.total").into(),
            note: decision_text(lang, p),
            table: Some(head.html(lang)),
            downloads: downloads(lang, &path, Some("total")),
            ..Section::default()
        },
        Section {
            id: "components".into(),
            heading: t(lang, "public.components").into(),
            svg: component_svg(lang, &e, &r),
            table: Some(comps.html(lang)),
            downloads: downloads(lang, &path, Some("components")),
            ..Section::default()
        },
        Section {
            id: "areas".into(),
            heading: t(lang, "public.areas").into(),
            table: Some(areas.html(lang)),
            downloads: downloads(lang, &path, Some("areas")),
            ..Section::default()
        },
    ];
    PublicPage {
        lang: lang.code(),
        title: e.name.clone(),
        intro: r.name.clone(),
        sections,
        chrome: Chrome::new(lang, &path),
    }
    .answer(&headers, modified)
}

fn class_label(lang: Lang, b: &parindex_domain::assessment::ClassBand) -> String {
    match lang {
        Lang::En => b.label_en.clone().unwrap_or_else(|| b.label_vi.clone()),
        Lang::Vi => b.label_vi.clone(),
    }
}

pub async fn ranking(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PublicQuery>,
) -> Result<Response, PageError> {
    let lang = q.lang();
    let format = format_of(&q)?;
    let all = state.store.publications().await?;
    let p = published(&all, PublicationKind::Ranking, &id)?;
    let modified = last_modified(&all);
    let Some(ranking) = state.store.ranking(&id).await? else {
        return Err(PageError::NotFound);
    };
    let names = unit_names(&state, lang).await?;
    let table = OpenTable {
        id: "public-ranking",
        file: id.clone(),
        sheet_key: "public.ranking",
        columns: vec![
            col("rank", "public.col.rank", Kind::Count),
            col("unit", "public.col.unit", Kind::Text),
            col("total", "public.col.total", Kind::Points),
            col("max", "public.col.max", Kind::Points),
            col("index_pct", "public.col.index_pct", Kind::Pct),
            col("class", "public.col.class", Kind::Text),
        ],
        rows: ranking
            .rows
            .iter()
            .map(|row| {
                vec![
                    Cell::Int(i64::from(row.rank)),
                    Cell::Text(
                        names
                            .get(&row.unit)
                            .cloned()
                            .unwrap_or_else(|| row.unit.clone()),
                    ),
                    Cell::Dec(row.total),
                    Cell::Dec(row.max),
                    Cell::Dec(row.pct),
                    row.class
                        .as_ref()
                        .map(|(_, b)| Cell::Text(class_label(lang, b)))
                        .unwrap_or(Cell::Empty),
                ]
            })
            .collect(),
        links: Vec::new(),
    };
    if let Some(f) = format {
        return table.download(&headers, lang, f, &ranking.round.name, modified);
    }
    let path = format!("/cong-khai/xep-hang/{id}");
    let label = ranking.round.sample.then_some("public.sample");
    let part = ("ranking", "public.ranking", "public.ranking_intro");
    one_table_page(
        lang,
        &path,
        ranking.round.name.clone(),
        part,
        (p, label),
        &table,
    )
    .answer(&headers, modified)
}

/// A page of one published table: the decision that published it (and a sample's label, the
/// catalogue key `label`) as its note, the table and its downloads; `part` is the section's id,
/// its heading's key and the page's introduction's key.
fn one_table_page(
    lang: Lang,
    path: &str,
    title: String,
    (id, heading, intro): (&str, &str, &str),
    (p, label): (&Publication, Option<&str>),
    table: &OpenTable,
) -> PublicPage {
    let note = [
        decision_text(lang, p),
        label.map(|k| t(lang, k).to_string()).unwrap_or_default(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    PublicPage {
        lang: lang.code(),
        title,
        intro: t(lang, intro).into(),
        sections: vec![Section {
            id: id.into(),
            heading: t(lang, heading).into(),
            note,
            table: Some(table.html(lang)),
            downloads: downloads(lang, path, None),
            ..Section::default()
        }],
        chrome: Chrome::new(lang, path),
    }
}

/// The dossier rates of a period per agency, and the total — as frozen when published.
async fn dossier_table(
    state: &AppState,
    lang: Lang,
    p: &Publication,
    period: DossierPeriod,
) -> Result<(OpenTable, bool), PageError> {
    let mut by_agency: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    let mut sample = false;
    for c in &p.dossiers {
        by_agency
            .entry(c.agency.clone())
            .or_default()
            .merge(&c.counts);
        total.merge(&c.counts);
        sample |= c.sample;
    }
    let names = unit_names(state, lang).await?;
    let row = |name: String, c: &Counts| {
        let int = |n: u64| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
        vec![
            Cell::Text(name),
            int(c.received),
            int(c.resolved),
            int(c.early),
            int(c.on_time),
            int(c.late),
            int(c.pending),
            dec(percent(c.early + c.on_time, c.resolved)),
            dec(percent(c.late, c.resolved)),
            // Not known for cells imported (or rates published) before it was counted: "—".
            c.online.map(int).unwrap_or(Cell::Empty),
            dec(c.online_share()),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = by_agency
        .iter()
        .map(|(a, c)| row(names.get(a).cloned().unwrap_or_else(|| a.clone()), c))
        .collect();
    rows.push(row(t(lang, "public.all_agencies").into(), &total));
    Ok((
        OpenTable {
            id: "public-dossiers",
            file: format!("ho-so-{period}"),
            sheet_key: "public.dossiers",
            columns: vec![
                col("agency", "public.col.agency", Kind::Text),
                col("received", "public.col.received", Kind::Count),
                col("resolved", "public.col.resolved", Kind::Count),
                col("early", "public.col.early", Kind::Count),
                col("on_time", "public.col.on_time", Kind::Count),
                col("late", "public.col.late", Kind::Count),
                col("pending", "public.col.pending", Kind::Count),
                col("in_time_pct", "public.col.in_time_pct", Kind::Pct),
                col("late_pct", "public.col.late_pct", Kind::Pct),
                col("online", "public.col.online", Kind::Count),
                col("online_pct", "public.col.online_pct", Kind::Pct),
            ],
            rows,
            links: Vec::new(),
        },
        sample,
    ))
}

pub async fn dossiers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(target): Path<String>,
    Query(q): Query<PublicQuery>,
) -> Result<Response, PageError> {
    let lang = q.lang();
    let format = format_of(&q)?;
    let all = state.store.publications().await?;
    let p = published(&all, PublicationKind::Dossiers, &target)?;
    let period = DossierPeriod::parse(&target).ok_or(PageError::NotFound)?;
    let modified = last_modified(&all);
    let (table, sample) = dossier_table(&state, lang, p, period).await?;
    let title = format!(
        "{} {}",
        t(lang, "public.dossiers_of"),
        period_label(lang, period)
    );
    if let Some(f) = format {
        return table.download(&headers, lang, f, &title, modified);
    }
    let path = format!("/cong-khai/ho-so/{target}");
    let label = sample.then_some("public.synthetic");
    let part = ("dossiers", "public.dossiers", "public.dossiers_intro");
    one_table_page(lang, &path, title, part, (p, label), &table).answer(&headers, modified)
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The Atom feed of the live publications, newest first.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PublicQuery>,
) -> Result<Response, PageError> {
    let lang = q.lang();
    let all = state.store.publications().await?;
    let modified = last_modified(&all);
    let base = state.config.public_url.clone().unwrap_or_default();
    let updated = modified
        .map(parindex_store::timestamp_text)
        .unwrap_or_else(|| "2000-01-01T00:00:00Z".into());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n<id>urn:parindex:cong-khai</id>\n<title>{}</title>\n<updated>{updated}</updated>\n<link rel=\"self\" href=\"{}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        lang.code(),
        xml(&format!("{} · {}", t(lang, "public.title"), t(lang, "app.province"))),
        xml(&format!("{base}/cong-khai/feed.atom")),
        xml(&format!("{base}{}", href(lang, "/cong-khai"))),
        xml(t(lang, "app.province")),
    );
    for p in all.iter().filter(|p| p.is_live()) {
        let Some(title) = title_of(&state, lang, p).await? else {
            continue;
        };
        out.push_str(&format!(
            "<entry>\n<id>urn:parindex:publication:{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<summary>{}</summary>\n</entry>\n",
            p.id,
            xml(&title),
            xml(&p.published_at),
            xml(&format!("{base}{}", href(lang, &public_path(p)))),
            xml(&decision_text(lang, p)),
        ));
    }
    out.push_str("</feed>\n");
    Ok(super::answer(
        &headers,
        "application/atom+xml; charset=utf-8",
        None,
        out.into_bytes(),
        modified,
    ))
}

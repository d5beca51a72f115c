//! The Excel export of every table a user reads (issue 12, point 6), over HTTP: each export is
//! downloaded as a role that may read the page, opened with calamine, and its header row
//! compared with the texts of the page's own table header (`<th>`, as rendered for the same
//! user, in Vietnamese — and in English for an English user); a known value of the demo is
//! checked in its column, as a number where the page shows a number; a role the page refuses
//! gets 403 for the export too; an agency exports only its own rows where the page is per
//! agency (its late dossiers, the audit log).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use jiff::civil::date;
use parindex_domain::assessment::{ClassBands, Deadlines};
use parindex_domain::results::PublishedResult;
use parindex_store::assessments::{AppraisalChange, NewRound};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// ----- downloading and reading back

/// GET as `role`: the status, the content type and the body's bytes.
async fn get_bytes(app: &TestApp, path: &str, role: &str) -> (StatusCode, String, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = Request::get(path)
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions[role].1),
        )
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ctype, bytes)
}

/// The export at `path` downloaded as `role`: 200, an xlsx, every sheet read back by name.
async fn download(app: &TestApp, path: &str, role: &str) -> BTreeMap<String, Vec<Vec<Data>>> {
    let (status, ctype, bytes) = get_bytes(app, path, role).await;
    assert_eq!(status, StatusCode::OK, "{path} as {role}");
    assert_eq!(ctype, XLSX, "{path}");
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        out.insert(name, range.rows().map(<[Data]>::to_vec).collect());
    }
    out
}

/// The rows of the sheet named `name` (a name over Excel's 31 characters is cut short).
fn first(sheets: &BTreeMap<String, Vec<Vec<Data>>>, name: &str) -> Vec<Vec<Data>> {
    sheets
        .iter()
        .find(|(n, _)| *n == name || (n.chars().count() >= 20 && name.starts_with(n.trim_end())))
        .map(|(_, rows)| rows.clone())
        .unwrap_or_else(|| panic!("no sheet {name:?} in {:?}", sheets.keys()))
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn header_row(rows: &[Vec<Data>]) -> Vec<String> {
    rows[0].iter().map(text).collect()
}

/// The row whose column `col` reads `value`.
fn row_with<'a>(rows: &'a [Vec<Data>], col: usize, value: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| r.get(col).map(text).as_deref() == Some(value))
        .unwrap_or_else(|| panic!("no row with {value:?} in column {col}: {rows:?}"))
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number cell: {other:?}"),
    }
}

// ----- the page's table header

/// The text of an HTML fragment: tags dropped (each as a space), entities decoded, whitespace
/// collapsed.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The header cells of the table `id` on a page, row by row: (text, colspan).
fn th_rows(body: &str, id: &str) -> Vec<Vec<(String, usize)>> {
    let start = body
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let table = &body[start..];
    let head = &table[table.find("<thead>").unwrap()..table.find("</thead>").unwrap()];
    head.split("<tr")
        .skip(1)
        .map(|tr| {
            tr.split("<th")
                .skip(1)
                .map(|th| {
                    let attrs = &th[..th.find('>').unwrap()];
                    let span = attrs
                        .split("colspan=\"")
                        .nth(1)
                        .and_then(|s| s.split('"').next())
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(1);
                    let inner = &th[th.find('>').unwrap() + 1..th.find("</th>").unwrap()];
                    (plain(inner), span)
                })
                .collect()
        })
        .collect()
}

/// The table's column titles as one row: a title spanning columns of a second header row
/// prefixes each of them (`2019 — …: Tổng điểm`); unheaded columns (links) left out.
fn page_headers(body: &str, id: &str) -> Vec<String> {
    let rows = th_rows(body, id);
    let mut lower = rows.get(1).cloned().unwrap_or_default().into_iter();
    let mut out = Vec::new();
    for (t, span) in &rows[0] {
        if *span > 1 {
            out.extend(lower.by_ref().take(*span).map(|(s, _)| format!("{t}: {s}")));
        } else if !t.is_empty() {
            out.push(t.clone());
        }
    }
    out
}

/// The page at `page` (200 as `role`) and the export linked from it: the link is the page's
/// own address with `export=xlsx`, and the export's sheet `sheet` is headed as the page's
/// table `table`. Returns the sheet's rows.
async fn same_columns(
    app: &TestApp,
    role: &str,
    page: &str,
    table: &str,
    sheet: &str,
) -> Vec<Vec<Data>> {
    let res = app.get(page, Some(role)).await;
    assert_eq!(res.status, StatusCode::OK, "{page} as {role}");
    let mut href = export_link(&res.body);
    assert!(href.contains("export=xlsx"), "{page}: {href}");
    if href.starts_with('?') {
        // A link relative to the page (the plan's views): the page's path with this query.
        href = format!("{}{href}", page.split('?').next().unwrap());
    }
    let sheets = download(app, &href, role).await;
    let rows = first(&sheets, sheet);
    let on_page = page_headers(&res.body, table);
    let in_sheet = header_row(&rows);
    assert_eq!(
        &in_sheet[..on_page.len().min(in_sheet.len())],
        &on_page[..],
        "{page}: the sheet's header row is the page's table header"
    );
    assert_eq!(in_sheet.len(), on_page.len(), "{page}: as many columns");
    rows
}

/// The export link of a page (`id="export"`), decoded.
fn export_link(body: &str) -> String {
    let at = body
        .find("id=\"export\"")
        .unwrap_or_else(|| panic!("no export link"));
    let before = &body[..at];
    let href = before.rfind("href=\"").unwrap() + 6;
    let end = before[href..].find('"').unwrap() + href;
    before[href..end]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#61;", "=")
        .replace("&#x3D;", "=")
}

// ----- the demo's data

/// The demo's units (data/units.csv), its indicators and one synthetic month of dossiers (the
/// demo's own loader), and the 2019 edition with Bắc Giang's 2019 result (81.84, 25th).
async fn demo(app: &TestApp) {
    let s = app.store();
    let known = s
        .units(None)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.slug)
        .collect();
    let units = parindex_interchange::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &known,
    )
    .unwrap();
    s.save_units(&units, "demo").await.unwrap();
    {
        // The loader writes its synthetic month to a folder named by the process: one at a time.
        static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _one = ONE_AT_A_TIME.lock().await;
        parindex_ingest::dossiers::load_demo(s, "demo")
            .await
            .unwrap();
    }
    let e2019 = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/editions/par-2019-province.toml"),
        "par-2019-province.toml",
    )
    .unwrap();
    s.save_edition(&e2019, "demo").await.unwrap();
    let r = PublishedResult {
        edition_id: e2019.id.clone(),
        subject: "bac-giang".into(),
        total: Some(dec!(81.84)),
        rank: Some(25),
        components: BTreeMap::new(),
        node_scores: BTreeMap::new(),
        node_ranks: BTreeMap::new(),
        source: None,
        published_on: None,
    };
    s.import_results(&e2019.id, &[r], false, "demo")
        .await
        .unwrap();
}

const ROUND: &str = "so-nganh-2021";

/// A published internal ranking of two departments (the SAMPLE department criteria set):
/// Sở Tư pháp with full marks first, Sở Tài chính with half second.
async fn published_ranking(app: &TestApp) {
    let s = app.store();
    let e = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap();
    s.save_edition(&e, "seed").await.unwrap();
    s.create_round(
        &NewRound {
            id: ROUND.into(),
            name: "Xếp hạng sở, ngành 2021 (MẪU)".into(),
            edition_id: e.id.clone(),
            units: vec!["so-tu-phap".into(), "so-tai-chinh".into()],
            deadlines: Deadlines {
                self_scoring: date(2021, 12, 30),
                explanation: date(2022, 1, 7),
                appraisal1: date(2022, 1, 21),
                appraisal2: date(2022, 2, 11),
                publication: date(2022, 2, 28),
            },
            classes: ClassBands::default(),
            note: String::new(),
        },
        "seed",
    )
    .await
    .unwrap();
    for (u, share) in [("so-tu-phap", dec!(1)), ("so-tai-chinh", dec!(0.5))] {
        let a = s.assessment(ROUND, u).await.unwrap().unwrap();
        let changes: Vec<AppraisalChange> = parindex_domain::assessment::leaves(&a.edition)
            .iter()
            .map(|n| AppraisalChange {
                code: n.code.clone(),
                score: (n.max_points.unwrap_or_default() * share).round_dp(0),
                comment: String::new(),
            })
            .collect();
        s.save_appraisal(ROUND, u, 1, &changes, date(2022, 1, 10), "seed")
            .await
            .unwrap();
    }
    s.publish_round(ROUND, date(2022, 2, 20), "seed")
        .await
        .unwrap();
}

/// The demo's plan (data/plans/bac-giang-2021.toml), on top of the demo's units.
async fn demo_plan(app: &TestApp) {
    let doc = parindex_interchange::plan::plan_from_toml(
        include_str!("../../../data/plans/bac-giang-2021.toml"),
        "bac-giang-2021.toml",
    )
    .unwrap();
    app.store().save_plan(&doc, "demo").await.unwrap();
}

/// `path` answers 403 to `role`.
async fn refused(app: &TestApp, path: &str, role: &str) {
    let (status, ctype, _) = get_bytes(app, path, role).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{path} as {role}");
    assert_ne!(ctype, XLSX);
}

// ----- the tests

#[tokio::test]
async fn the_ranking_and_the_list_of_rankings() {
    let app = TestApp::new().await;
    published_ranking(&app).await;
    let page = format!("/rankings/{ROUND}");
    let rows = same_columns(&app, "agency", &page, "ranking-table", "Kết quả xếp hạng").await;
    assert_eq!(header_row(&rows)[0], "Hạng");
    assert!(
        header_row(&rows)[7].starts_with("Mất ở LV "),
        "{:?}",
        rows[0]
    );
    let first = row_with(&rows, 1, "Sở Tư pháp");
    assert_eq!(number(&first[0]), 1.0);
    let second = row_with(&rows, 1, "Sở Tài chính");
    assert_eq!(number(&second[0]), 2.0);
    assert!(number(&first[2]) > number(&second[2]), "totals as numbers");
    assert_eq!(number(&first[6]), 0.0, "full marks: nothing lost");
    let list = same_columns(
        &app,
        "appraiser",
        "/rankings",
        "rankings-table",
        "Kết quả xếp hạng đã công bố",
    )
    .await;
    let r = row_with(&list, 0, "Xếp hạng sở, ngành 2021 (MẪU)");
    assert_eq!(number(&r[2]), 2021.0);
    assert_eq!(number(&r[3]), 2.0);
    match &r[4] {
        Data::DateTime(d) => {
            // 20/02/2022 as Excel counts days (from 30/12/1899).
            assert_eq!(d.as_f64(), 44612.0)
        }
        other => panic!("the publication date is a date cell: {other:?}"),
    }
    // Every role reads the published rankings; an unknown value of `export` is refused.
    for role in ["coordinator", "lead", "leader", "admin"] {
        download(&app, &format!("{page}?export=xlsx"), role).await;
    }
    let (status, _, _) = get_bytes(&app, &format!("{page}?export=pdf"), "agency").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_gap_analysis_in_four_sheets() {
    let app = TestApp::new().await;
    let page = "/gap?edition=par-2020-province&subject=bac-giang&target=2";
    let res = app.get(page, Some("lead")).await;
    let sheets = download(&app, &export_link(&res.body), "lead").await;
    for (table, sheet) in [
        ("gap-components", "Điểm theo thành phần"),
        ("gap-areas", "Các lĩnh vực so với mục tiêu"),
        ("gap-criteria", "Tiêu chí theo điểm mất"),
        ("gap-leads", "Theo cơ quan chủ trì"),
    ] {
        let rows = first(&sheets, sheet);
        if res.body.contains(&format!("<table id=\"{table}\"")) {
            assert_eq!(header_row(&rows), page_headers(&res.body, table), "{table}");
        } else {
            // No table on the page (no criterion scored in this edition): a header alone.
            assert_eq!(rows.len(), 1, "{table}");
        }
    }
    let comps = first(&sheets, "Điểm theo thành phần");
    let appraisal = row_with(&comps, 0, "Điểm thẩm định");
    assert_eq!(
        number(&appraisal[1]),
        56.93,
        "Bắc Giang's 2020 appraisal points"
    );
    assert_eq!(number(&appraisal[2]), 66.5);
    let areas = first(&sheets, "Các lĩnh vực so với mục tiêu");
    let finance = row_with(&areas, 0, "6");
    assert_eq!(number(&finance[4]), 58.0, "rank 58 in area 6");
    assert_eq!(text(&finance[5]), "nhóm 20");
    assert_eq!(text(&finance[8]), "Sở Tài chính");
    refused(&app, &format!("{page}&export=xlsx"), "appraiser").await;
    app.db.cleanup().await;
}

#[tokio::test]
async fn results_by_area_and_two_editions_side_by_side() {
    let app = TestApp::new().await;
    demo(&app).await;
    let rows = same_columns(
        &app,
        "leader",
        "/results/areas?edition=par-2020-province&area=1",
        "area-table",
        "Kết quả theo lĩnh vực",
    )
    .await;
    let bg = row_with(&rows, 2, "Bắc Giang");
    assert_eq!(number(&bg[0]), 22.0, "Bắc Giang 22nd in area 1");
    let rows = same_columns(
        &app,
        "coordinator",
        "/results/compare?a=par-2019-province&b=par-2020-province",
        "compare-table",
        "So sánh kết quả hai kỳ",
    )
    .await;
    assert!(header_row(&rows)[1].starts_with("2019 — "), "{:?}", rows[0]);
    let bg = row_with(&rows, 0, "Bắc Giang");
    let nums: Vec<f64> = bg[1..].iter().map(number).collect();
    assert_eq!(nums, [81.84, 25.0, 85.58, 13.0, 3.74, 12.0]);
    refused(&app, "/results/areas?export=xlsx", "appraiser").await;
    refused(&app, "/results/compare?export=xlsx", "appraiser").await;
    app.db.cleanup().await;
}

#[tokio::test]
async fn indicators_and_one_indicator() {
    let app = TestApp::new().await;
    demo(&app).await;
    let rows = same_columns(
        &app,
        "agency",
        "/indicators",
        "indicators-table",
        "Chỉ tiêu hoạt động",
    )
    .await;
    let budget = row_with(&rows, 6, "Sở Tài chính");
    let budget = if text(&budget[0]).contains("giải ngân") {
        budget.to_vec()
    } else {
        rows.iter()
            .find(|r| text(&r[0]).contains("giải ngân"))
            .unwrap()
            .clone()
    };
    assert_eq!(
        number(&budget[3]),
        80.78,
        "2020 disbursement, the plan's figure"
    );
    assert!(matches!(budget[2], Data::DateTime(_)), "{:?}", budget[2]);
    let rows = same_columns(
        &app,
        "leader",
        "/indicators/budget-disbursement-rate",
        "observations",
        "Số liệu",
    )
    .await;
    let obs = row_with(&rows, 1, "2020");
    assert_eq!(number(&obs[2]), 80.78);
    refused(&app, "/indicators?export=xlsx", "appraiser").await;
    refused(
        &app,
        "/indicators/budget-disbursement-rate?export=xlsx",
        "appraiser",
    )
    .await;
    app.db.cleanup().await;
}

/// The cells of the `<tr id="…">` row of a page, as text.
fn page_row(body: &str, id: &str) -> Vec<String> {
    let start = body
        .find(&format!("<tr id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id}"));
    let tr = &body[start..start + body[start..].find("</tr>").unwrap()];
    tr.split("<td")
        .skip(1)
        .map(|td| plain(&td[td.find('>').unwrap() + 1..]))
        .collect()
}

#[tokio::test]
async fn dossier_rates_and_an_agencys_late_dossiers() {
    let app = TestApp::new().await;
    demo(&app).await;
    let page = "/dossiers?month=2021-06";
    let rows = same_columns(
        &app,
        "lead",
        page,
        "dossier-rates",
        "Giải quyết hồ sơ TTHC theo đơn vị",
    )
    .await;
    // The sheet's row of Sở Tư pháp reads as the page's row: counts and rates as numbers.
    let res = app.get(page, Some("lead")).await;
    let shown = page_row(&res.body, "agency-so-tu-phap");
    let tp = row_with(&rows, 0, &shown[0]);
    for c in 1..8 {
        assert_eq!(number(&tp[c]).to_string(), shown[c], "column {c}");
    }
    let rate = shown[9].trim_end_matches(" %").replace(',', ".");
    assert_eq!(number(&tp[9]).to_string(), rate, "on-time rate");
    assert_eq!(text(&rows.last().unwrap()[0]), "Tổng");
    // The agency's own late dossiers: all of them (not one page), headed as on the page.
    let own = "/dossiers/so-tu-phap?month=2021-06";
    let rows = same_columns(
        &app,
        "agency",
        own,
        "overdue-dossiers",
        "Hồ sơ quá hạn cần giải trình",
    )
    .await;
    let late = app
        .store()
        .overdue_dossiers(
            "so-tu-phap",
            parindex_domain::dossiers::Month::parse("2021-06"),
        )
        .await
        .unwrap();
    assert!(!late.is_empty());
    assert_eq!(rows.len(), 1 + late.len());
    assert!(late
        .iter()
        .any(|e| text(&row_with(&rows, 0, &e.dossier.code)[0]) == e.dossier.code));
    // Another unit's list: refused, as the page is.
    refused(&app, "/dossiers/so-tai-chinh?export=xlsx", "agency").await;
    refused(&app, "/dossiers?export=xlsx", "appraiser").await;
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_audit_log_with_its_filters_and_an_agency_only_its_own() {
    let app = TestApp::new().await;
    demo(&app).await;
    for i in 0..60 {
        let after = serde_json::json!({ "file": format!("sao-luu-{i}.zip") });
        app.store()
            .record_event("demo", "backup", "backup", &i.to_string(), after)
            .await
            .unwrap();
    }
    // The coordinator, filtered to what "demo" did: every entry (more than one page of 50).
    let rows = same_columns(
        &app,
        "coordinator",
        "/audit?actor=demo",
        "audit-table",
        "Nhật ký thay đổi",
    )
    .await;
    assert_eq!(header_row(&rows)[0], "Thời điểm");
    let all = app
        .store()
        .audit_log(&parindex_store::AuditFilter {
            actor: Some("demo".into()),
            entity: None,
            unit: None,
            since: None,
            until: None,
            limit: 1000,
            offset: 0,
        })
        .await
        .unwrap();
    assert!(all.len() > 50);
    assert_eq!(rows.len(), 1 + all.len(), "every entry, not one page of 50");
    // In words, as on the page: who by name, units by name.
    assert!(rows[1..].iter().all(|r| text(&r[1]) == "Nạp dữ liệu mẫu"));
    assert!(rows[1..].iter().any(|r| text(&r[3]) == "Sở Tài chính"));
    assert!(rows[1..]
        .iter()
        .any(|r| text(&r[2]).starts_with("Tạo bản sao lưu")));
    let when = text(&rows[1][0]);
    assert!(
        when.len() == 16 && when.as_bytes()[2] == b'/' && when.as_bytes()[5] == b'/',
        "dd/mm/yyyy hh:mm: {when}"
    );
    // The agency, asking for another unit's entries: only its own.
    let rows = download(&app, "/audit?unit=so-tai-chinh&export=xlsx", "agency").await;
    let rows = first(&rows, "Nhật ký thay đổi");
    assert!(rows.len() > 1);
    assert!(
        rows[1..].iter().all(|r| text(&r[3]) == "Sở Tư pháp"),
        "{rows:?}"
    );
    refused(&app, "/audit?export=xlsx", "appraiser").await;
    let (status, _, _) = get_bytes(&app, "/audit?from=32/13/2021&export=xlsx", "coordinator").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a date that cannot be read"
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn compliance_per_agency() {
    let app = TestApp::new().await;
    demo(&app).await;
    demo_plan(&app).await;
    let page = "/plans/bac-giang-2021/compliance";
    let rows = same_columns(
        &app,
        "leader",
        page,
        "compliance-table",
        "Tình hình thực hiện theo cơ quan",
    )
    .await;
    let tp = row_with(&rows, 0, "Sở Tư pháp");
    assert!(number(&tp[1]) >= 1.0, "Sở Tư pháp has tasks in the plan");
    for role in ["agency", "lead", "appraiser"] {
        refused(&app, &format!("{page}?export=xlsx"), role).await;
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn an_english_user_gets_english_headers() {
    let app = TestApp::new().await;
    demo(&app).await;
    app.store()
        .set_lang(app.sessions["coordinator"].0, "en")
        .await
        .unwrap();
    let rows = same_columns(
        &app,
        "coordinator",
        "/results/compare?a=par-2019-province&b=par-2020-province",
        "compare-table",
        "Two editions side by side",
    )
    .await;
    assert_eq!(header_row(&rows)[0], "Province");
    let rows = same_columns(
        &app,
        "coordinator",
        "/dossiers",
        "dossier-rates",
        "Dossier handling by agency",
    )
    .await;
    assert_eq!(text(&rows.last().unwrap()[0]), "Total");
    app.db.cleanup().await;
}

/// Every export answers every role (and an anonymous visitor) as its page does: the page's 200
/// is a spreadsheet, its 403 a 403, its way to sign-in the same way.
#[tokio::test]
async fn every_export_answers_every_role_as_its_page_does() {
    let app = TestApp::new().await;
    demo(&app).await;
    demo_plan(&app).await;
    published_ranking(&app).await;
    let pages = [
        format!("/rankings/{ROUND}"),
        "/rankings".to_string(),
        "/gap?edition=par-2020-province&subject=bac-giang".to_string(),
        "/results/areas?edition=par-2020-province&area=1".to_string(),
        "/results/compare?a=par-2019-province&b=par-2020-province".to_string(),
        "/indicators".to_string(),
        "/indicators/budget-disbursement-rate".to_string(),
        "/dossiers?month=2021-06".to_string(),
        "/dossiers/so-tu-phap?month=2021-06".to_string(),
        "/audit".to_string(),
        "/plans/bac-giang-2021/compliance".to_string(),
    ];
    for page in &pages {
        let export = format!(
            "{page}{}export=xlsx",
            if page.contains('?') { '&' } else { '?' }
        );
        let anonymous = (app.get(page, None).await, app.get(&export, None).await);
        assert_eq!(
            anonymous.0.status, anonymous.1.status,
            "{export} signed out"
        );
        assert!(
            anonymous.0.location().starts_with("/login")
                && anonymous.1.location().starts_with("/login"),
            "{export} signed out: to sign-in"
        );
        for (role, _, _) in common::ROLES {
            let shown = app.get(page, Some(role)).await.status;
            let (status, ctype, _) = get_bytes(&app, &export, role).await;
            assert_eq!(status, shown, "{export} as {role}");
            assert_eq!(
                ctype == XLSX,
                shown == StatusCode::OK,
                "{export} as {role}: {ctype}"
            );
        }
    }
    app.db.cleanup().await;
}

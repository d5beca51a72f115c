//! The online share of the dossiers (issue 13 point 1): dossiers received at online level 3 or
//! 4, counted by the file import and by the push, shown on `/dossiers` (and its spreadsheet) and
//! on the public dossier table (and its JSON download); a cell or a published snapshot from
//! before the count shows "—", not 0 %. SQLite always; PostgreSQL when `TEST_DATABASE_URL` is
//! set.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp};
use http_body_util::BodyExt;
use parindex_store::testing::TestDb;
use serde_json::Value;
use sqlx::Connection;
use tower::ServiceExt;

const HEADER: &str =
    "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n";

/// July 2021 (the app's clock says 15/8/2021): Sở Tư pháp four dossiers at levels 3, 4, 2 and
/// none (online 2 of 4: 50 %); Sở Tài chính three at 3, none and 1 (1 of 3: 33,33 %). In all
/// 3 of 7: 42,86 %.
fn july() -> String {
    format!(
        "{HEADER}\
         TP-1,so-tu-phap,1.001,province,3,2021-07-01T08:00:00+07:00,2021-07-09,,2021-07-05T10:00:00+07:00,closed\n\
         TP-2,so-tu-phap,1.001,province,Mức độ 4,2021-07-02T08:00:00+07:00,2021-07-09,,2021-07-13T10:00:00+07:00,closed\n\
         TP-3,so-tu-phap,1.002,province,2,2021-07-05T08:00:00+07:00,2021-07-20,,,processing\n\
         TP-4,so-tu-phap,1.002,province,,2021-07-05T08:00:00+07:00,2021-07-20,,2021-07-19T08:00:00+07:00,closed\n\
         TC-1,Sở Tài chính,2.001,province,3,2021-07-06T08:00:00+07:00,2021-07-12,,2021-07-12T16:00:00+07:00,closed\n\
         TC-2,so-tai-chinh,2.001,province,,2021-07-06T08:00:00+07:00,2021-07-12,,2021-07-12T16:00:00+07:00,closed\n\
         TC-3,so-tai-chinh,2.001,province,1,2021-07-06T08:00:00+07:00,2021-07-12,,2021-07-10T16:00:00+07:00,closed\n"
    )
}

const BOUNDARY: &str = "----parindex-online-share";

/// `POST /dossiers` as the coordinator: import the file.
async fn import(app: &TestApp, content: &str) -> Resp {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"thang-7.csv\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nimport\r\n--{BOUNDARY}--\r\n"
        )
        .as_bytes(),
    );
    let req = Request::post(format!("/dossiers?_csrf={}", app.csrf("coordinator")))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions["coordinator"].1),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// The cells of the `<tr id="…">` row of a page, as text.
fn row(body: &str, id: &str) -> Vec<String> {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id} in {body}"));
    let tr = &body[start..start + body[start..].find("</tr>").unwrap()];
    tr.split("<td")
        .skip(1)
        .map(|td| {
            let text = &td[td.find('>').unwrap() + 1..];
            let text = &text[..text.find("</td>").unwrap_or(text.len())];
            // The agency's link, if any.
            let text = match (text.find('>'), text.starts_with("<a")) {
                (Some(i), true) => &text[i + 1..text.find("</a>").unwrap_or(text.len())],
                _ => text,
            };
            text.trim().to_string()
        })
        .collect()
}

/// The rows of a public table's body (`<tbody>` of `id`), as text.
fn public_rows(body: &str, id: &str) -> Vec<Vec<String>> {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id} in {body}"));
    let table = &body[start..start + body[start..].find("</table>").unwrap()];
    let tbody = &table[table.find("<tbody").unwrap()..];
    tbody
        .split("<tr")
        .skip(1)
        .map(|tr| {
            tr.split("<td")
                .skip(1)
                .map(|td| {
                    let text = &td[td.find('>').unwrap() + 1..];
                    let text = &text[..text.find("</td>").unwrap_or(text.len())];
                    let text = match (text.find('>'), text.starts_with("<a")) {
                        (Some(i), true) => &text[i + 1..text.find("</a>").unwrap_or(text.len())],
                        _ => text,
                    };
                    text.trim().to_string()
                })
                .collect()
        })
        .collect()
}

async fn raw_sql(db: &TestDb, sql: &str, binds: &[&str]) {
    let mut c = sqlx::AnyConnection::connect(&db.url()).await.unwrap();
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&mut c).await.unwrap();
    c.close().await.unwrap();
}

async fn publish(app: &TestApp, target: &str) {
    let res = app
        .post(
            "/cong-khai/quan-ly",
            Some("coordinator"),
            &[("kind", "dossiers"), ("target", target)],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

async fn json(app: &TestApp, path: &str) -> Value {
    let res = app.get(path, None).await;
    assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    serde_json::from_str(&res.body).unwrap()
}

fn json_row<'a>(doc: &'a Value, agency: &str) -> &'a Value {
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agency"] == agency)
        .unwrap_or_else(|| panic!("no row {agency} in {doc}"))
}

async fn file_import_story(app: TestApp) {
    let res = import(&app, &july()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // Stored: the online count of each cell.
    let cells = app.store().dossier_cells().await.unwrap();
    let online: Vec<(String, Option<u64>, u64)> = cells
        .iter()
        .map(|c| {
            (
                c.cell.agency.clone(),
                c.cell.counts.online,
                c.cell.counts.received,
            )
        })
        .collect();
    assert_eq!(
        online,
        [
            ("so-tai-chinh".to_string(), Some(1), 3),
            ("so-tu-phap".to_string(), Some(2), 4)
        ]
    );

    // The signed-in rates: the count and the share, in the reader's figures.
    let page = app
        .get("/dossiers?month=2021-07", Some("coordinator"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let tp = row(&page.body, "agency-so-tu-phap");
    let n = tp.len();
    assert_eq!(tp[n - 4..n - 2], ["2", "50,00 %"], "{tp:?}");
    let total = row(&page.body, "agency-total");
    assert_eq!(total[n - 4..n - 2], ["3", "42,86 %"], "{total:?}");
    assert!(page
        .body
        .contains("mức độ dịch vụ công trực tuyến 3 hoặc 4"));
    // Its spreadsheet: the same columns, as numbers.
    let req = Request::get("/dossiers?month=2021-07&export=xlsx")
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions["coordinator"].1),
        )
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let head = cells
        .iter()
        .position(|r| r.iter().any(|c| c == "% trực tuyến"))
        .unwrap_or_else(|| panic!("{cells:?}"));
    let col = cells[head]
        .iter()
        .position(|c| c == "% trực tuyến")
        .unwrap();
    assert_eq!(cells[head][col - 1], "Trực tuyến (mức độ 3, 4)");
    let last = cells.last().unwrap();
    assert_eq!(
        (last[col - 1].as_str(), last[col].as_str()),
        ("3", "42.86"),
        "{last:?}"
    );

    // Published: the public table and its JSON download.
    publish(&app, "2021-07").await;
    let public = app.get("/cong-khai/ho-so/2021-07", None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("Trực tuyến (%)"));
    assert!(public
        .body
        .contains("theo cột mức độ trong dữ liệu xuất từ phần mềm một cửa"));
    let rows = public_rows(&public.body, "public-dossiers");
    let tp = rows.iter().find(|r| r[0] == "Sở Tư pháp").unwrap();
    assert_eq!(tp[tp.len() - 2..], ["2", "50,00 %"], "{tp:?}");
    let all = rows.last().unwrap();
    assert_eq!(all[all.len() - 2..], ["3", "42,86 %"], "{all:?}");
    let doc = json(&app, "/cong-khai/ho-so/2021-07?format=json").await;
    let tp = json_row(&doc, "Sở Tư pháp");
    assert_eq!(
        (&tp["online"], &tp["online_pct"]),
        (&Value::from(2), &Value::from("50"))
    );
    let tc = json_row(&doc, "Sở Tài chính");
    assert_eq!(
        (&tc["online"], &tc["online_pct"]),
        (&Value::from(1), &Value::from("33.33"))
    );
    let all = json_row(&doc, "Tổng cộng");
    assert_eq!(all["online_pct"], "42.86");
    let csv = app
        .get("/cong-khai/ho-so/2021-07?format=csv", None)
        .await
        .body;
    assert!(
        csv.lines().next().unwrap().ends_with(",online,online_pct"),
        "{csv}"
    );
    assert!(csv.contains("Tổng cộng,7,") && csv.lines().last().unwrap().ends_with(",3,42.86"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn a_file_import_counts_the_online_dossiers_shown_signed_in_and_in_public_on_sqlite() {
    file_import_story(TestApp::new().await).await;
}

#[tokio::test]
async fn a_file_import_counts_the_online_dossiers_shown_signed_in_and_in_public_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    file_import_story(TestApp::on(db).await).await;
}

/// Cells imported and rates published before the online count was kept: "—" on every page and
/// an empty value in the downloads, never 0 %.
async fn old_data_story(app: TestApp) {
    let res = import(&app, &july()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    publish(&app, "2021-07").await;
    // The snapshot as written before the field existed (no "online" in its counts)…
    let p = &app.store().publications().await.unwrap()[0];
    let mut snapshot = serde_json::to_value(&p.dossiers).unwrap();
    for cell in snapshot.as_array_mut().unwrap() {
        cell["counts"].as_object_mut().unwrap().remove("online");
    }
    let snapshot = snapshot.to_string();
    assert!(!snapshot.contains("online"));
    raw_sql(
        &app.db,
        "UPDATE publications SET snapshot_json = $1 WHERE target = '2021-07'",
        &[&snapshot],
    )
    .await;
    // …and the cells as they stood before migration 0014 (NULL).
    raw_sql(&app.db, "UPDATE dossier_stats SET online = NULL", &[]).await;

    let public = app.get("/cong-khai/ho-so/2021-07", None).await;
    assert_eq!(public.status, StatusCode::OK);
    let rows = public_rows(&public.body, "public-dossiers");
    for r in &rows {
        assert_eq!(r[r.len() - 2..], ["—", "—"], "{r:?}");
    }
    // The other figures are as published.
    assert_eq!(rows.last().unwrap()[1], "7");
    let doc = json(&app, "/cong-khai/ho-so/2021-07?format=json").await;
    let all = json_row(&doc, "Tổng cộng");
    assert_eq!(
        (&all["online"], &all["online_pct"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(all["received"], 7);
    let en = app.get("/cong-khai/ho-so/2021-07?lang=en", None).await;
    assert!(en
        .body
        .contains("not known (published before online dossiers were counted)"));

    let page = app
        .get("/dossiers?month=2021-07", Some("coordinator"))
        .await;
    let total = row(&page.body, "agency-total");
    let n = total.len();
    assert_eq!(total[n - 4..n - 2], ["—", "—"], "{total:?}");
    app.db.cleanup().await;
}

#[tokio::test]
async fn an_old_snapshot_and_an_old_cell_show_a_dash_on_sqlite() {
    old_data_story(TestApp::new().await).await;
}

#[tokio::test]
async fn an_old_snapshot_and_an_old_cell_show_a_dash_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    old_data_story(TestApp::on(db).await).await;
}

fn pushed(code: &str, online_level: &str) -> String {
    format!(
        r#"{{"code":"{code}","agency":"so-tu-phap","procedure":"1.001","level":"tỉnh","online_level":{online_level},"received_at":"2021-06-01T08:00:00+07:00","due_at":"2021-06-05","closed_at":"2021-06-04T09:00:00+07:00","status":"Đã trả"}}"#
    )
}

async fn push(app: &TestApp, dossiers: &[String]) -> Value {
    let req = Request::post("/api/v1/dossiers")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions["coordinator"].1),
        )
        .header("x-csrf-token", app.csrf("coordinator"))
        .body(Body::from(format!(
            r#"{{"dossiers":[{}]}}"#,
            dossiers.join(",")
        )))
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    serde_json::from_str(&res.body).unwrap()
}

async fn june_online(app: &TestApp) -> Option<u64> {
    let cells = app.store().dossier_cells().await.unwrap();
    assert_eq!(cells.len(), 1);
    cells[0].cell.counts.online
}

async fn push_story(app: TestApp) {
    // Levels 3, none (null) and "mức độ 4": two of three online.
    let a = push(
        &app,
        &[
            pushed("P-1", "3"),
            pushed("P-2", "null"),
            pushed("P-3", "\"Mức độ 4\""),
        ],
    )
    .await;
    assert_eq!(a["added"], 3, "{a}");
    assert_eq!(june_online(&app).await, Some(2));
    let page = app
        .get("/dossiers?month=2021-06", Some("coordinator"))
        .await;
    let total = row(&page.body, "agency-total");
    let n = total.len();
    assert_eq!(total[n - 4..n - 2], ["2", "66,67 %"], "{total:?}");
    // A later state of P-3 at level 1: the cell is recomputed, one of three.
    let a = push(&app, &[pushed("P-3", "1")]).await;
    assert_eq!(a["updated"], 1, "{a}");
    assert_eq!(june_online(&app).await, Some(1));
    // A new dossier at level 3: two of four.
    push(&app, &[pushed("P-4", "3")]).await;
    assert_eq!(june_online(&app).await, Some(2));
    let page = app
        .get("/dossiers?month=2021-06", Some("coordinator"))
        .await;
    let total = row(&page.body, "agency-total");
    assert_eq!(total[n - 4..n - 2], ["2", "50,00 %"], "{total:?}");
    app.db.cleanup().await;
}

#[tokio::test]
async fn a_push_updates_the_online_count_on_sqlite() {
    push_story(TestApp::new().await).await;
}

#[tokio::test]
async fn a_push_updates_the_online_count_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    push_story(TestApp::on(db).await).await;
}

//! The public pages under `/cong-khai` (issue 13 point 1): no sign-in, only what a coordinator
//! published, withdrawn at once (and audited), cached with ETag / Last-Modified, a strict CSP,
//! open-data downloads read back, the Atom feed parsed; the coordinator's page guarded by the
//! policy and CSRF. On the web tests' seed: the 2020 edition with Bắc Giang at 85,58, 13th.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp, ROLES};
use http_body_util::BodyExt;
use parindex_store::AuditFilter;
use tower::ServiceExt;

const EDITION: &str = "par-2020-province";

async fn publish_results(app: &TestApp) -> Resp {
    app.post(
        "/cong-khai/quan-ly",
        Some("coordinator"),
        &[
            ("kind", "results"),
            ("target", EDITION),
            ("decision_ref", "1093/QĐ-BNV"),
            ("decision_on", "25/05/2021"),
        ],
        None,
    )
    .await
}

/// The raw bytes of an anonymous GET (downloads are not text).
async fn bytes(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = app
        .router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.store()
        .audit_log(&AuditFilter {
            entity: Some("publication".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {} {}", e.actor, e.action, e.entity_id))
        .collect()
}

#[tokio::test]
async fn only_what_is_published_is_public_and_withdrawing_removes_it_with_an_audit_record() {
    let app = TestApp::new().await;
    // Nothing published: the page answers without a session and shows no figure.
    let page = app.get("/cong-khai", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Chưa có nội dung nào được công bố"));
    assert!(!page.body.contains("85,58"));
    let path = format!("/cong-khai/chi-so/{EDITION}");
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);

    let res = publish_results(&app).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get("/cong-khai", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("85,58"), "the total with a comma");
    assert!(page.body.contains("13/63"), "the rank among 63");
    assert!(page.body.contains("<svg"), "the chart");
    assert!(!page.body.contains("<script"), "no script");
    let en = app.get("/cong-khai?lang=en", None).await;
    assert!(en.body.contains("85.58") && en.body.contains("lang=\"en\""));

    let one = app.get(&path, None).await;
    assert_eq!(one.status, StatusCode::OK);
    for figure in [
        "85,58",
        "13/63",
        "56,93",
        "22/63",
        "58/63",
        "Quyết định 1093/QĐ-BNV ngày 25/05/2021",
    ] {
        assert!(one.body.contains(figure), "{figure} on the edition's page");
    }

    // Withdrawing asks first, then removes the table and its downloads.
    let id = app.store().publications().await.unwrap()[0].id;
    let confirm = app
        .get(&format!("/cong-khai/quan-ly/{id}/rut"), Some("coordinator"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("withdraw-confirm"));
    let unconfirmed = app
        .post(
            &format!("/cong-khai/quan-ly/{id}/rut"),
            Some("coordinator"),
            &[],
            None,
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&path, None).await.status,
        StatusCode::OK,
        "still public"
    );
    let done = app
        .post(
            &format!("/cong-khai/quan-ly/{id}/rut"),
            Some("coordinator"),
            &[("confirm", "1")],
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("{path}?format=csv"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!app.get("/cong-khai", None).await.body.contains("85,58"));
    assert_eq!(
        audit_actions(&app).await,
        [
            format!("coordinator withdraw {EDITION}"),
            format!("coordinator publish {EDITION}"),
        ]
    );
    // The coordinator's page lists it as withdrawn.
    let manage = app.get("/cong-khai/quan-ly", Some("coordinator")).await;
    assert!(manage.body.contains("withdrawn-publications"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn answers_carry_validators_a_strict_policy_and_a_public_cache() {
    let app = TestApp::new().await;
    publish_results(&app).await;
    for path in [
        "/cong-khai".to_string(),
        format!("/cong-khai/chi-so/{EDITION}"),
        format!("/cong-khai/chi-so/{EDITION}?format=csv&table=areas"),
        "/cong-khai/feed.atom".to_string(),
    ] {
        let res = app.get(&path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let h = |n: header::HeaderName| {
            res.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = h(header::CONTENT_SECURITY_POLICY);
        assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("style-src 'self'") && csp.contains("img-src 'self' data:"));
        assert!(!csp.contains("script-src"), "{csp}");
        assert!(
            h(header::CACHE_CONTROL).starts_with("public, max-age="),
            "{path}"
        );
        let etag = h(header::ETAG);
        let modified = h(header::LAST_MODIFIED);
        assert!(
            etag.starts_with('"') && modified.ends_with("GMT"),
            "{etag} {modified}"
        );

        let again = |name: header::HeaderName, value: String| {
            let req = Request::get(path.as_str())
                .header(name, value)
                .body(Body::empty())
                .unwrap();
            app.send(req)
        };
        let same = again(header::IF_NONE_MATCH, etag.clone()).await;
        assert_eq!(same.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(same.body.is_empty());
        assert_eq!(
            same.headers.get(header::ETAG).unwrap().to_str().unwrap(),
            etag
        );
        let since = again(header::IF_MODIFIED_SINCE, modified.clone()).await;
        assert_eq!(since.status, StatusCode::NOT_MODIFIED, "{path}");
        let other = again(header::IF_NONE_MATCH, "\"autre\"".into()).await;
        assert_eq!(other.status, StatusCode::OK, "{path}");
        let older = again(
            header::IF_MODIFIED_SINCE,
            "Mon, 01 Jan 2001 00:00:00 GMT".into(),
        )
        .await;
        assert_eq!(older.status, StatusCode::OK, "{path}");
    }
    // The signed-in pages keep their own policy.
    let dash = app.get("/", Some("coordinator")).await;
    let csp = dash.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.starts_with("default-src 'self'"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn every_table_downloads_as_csv_json_and_xlsx_and_reads_back() {
    let app = TestApp::new().await;
    publish_results(&app).await;
    // The history: CSV.
    let (status, headers, body) = bytes(&app, "/cong-khai?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let mut r = csv::Reader::from_reader(body.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        head,
        ["year", "edition", "total", "max", "index_pct", "rank"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (&rows[0][0], &rows[0][2], &rows[0][5]),
        ("2020", "85.58", "13/63")
    );

    // The areas of the edition: JSON.
    let (status, _, body) = bytes(
        &app,
        &format!("/cong-khai/chi-so/{EDITION}?format=json&table=areas"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    let area6 = rows.iter().find(|r| r["code"] == "6").unwrap();
    assert_eq!(area6["rank"], "58/63");
    assert_eq!(doc["columns"][1]["label"], "Lĩnh vực");

    // The components: XLSX, read back with calamine.
    let (status, headers, body) = bytes(
        &app,
        &format!("/cong-khai/chi-so/{EDITION}?format=xlsx&table=components&lang=en"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(".xlsx"));
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(cells[0], ["Component", "Points", "Maximum", "Rank"]);
    assert!(
        cells.iter().any(|r| r[0] == "Appraisal" && r[1] == "56.93"),
        "{cells:?}"
    );

    // An unknown format or table is refused.
    assert_eq!(
        app.get("/cong-khai?format=pdf", None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(
            &format!("/cong-khai/chi-so/{EDITION}?format=csv&table=x"),
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_atom_feed_parses_with_an_entry_per_publication() {
    let app = TestApp::new().await;
    publish_results(&app).await;
    let res = app.get("/cong-khai/feed.atom", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let mut reader = quick_xml::Reader::from_str(&res.body);
    let mut entries = 0;
    let mut titles = Vec::new();
    let mut in_title = false;
    let mut depth_entry = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) => match e.name().0 {
                "entry" => {
                    entries += 1;
                    depth_entry = true;
                }
                "title" => in_title = depth_entry,
                _ => {}
            },
            quick_xml::events::Event::Text(t) if in_title => {
                titles.push(t.xml10_content().into_owned());
                in_title = false;
            }
            quick_xml::events::Event::End(e) if e.name().0 == "entry" => depth_entry = false,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(entries, 1);
    assert_eq!(titles, ["Chỉ số CCHC năm 2020"]);
    app.db.cleanup().await;
}

#[tokio::test]
async fn only_the_coordinator_manages_publications_and_every_change_needs_its_token() {
    let app = TestApp::new().await;
    // Anonymous: the sign-in page; a post without a token: 403.
    let anon = app.get("/cong-khai/quan-ly", None).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/login?next="));
    for (name, _, _) in ROLES {
        let res = app.get("/cong-khai/quan-ly", Some(name)).await;
        let want = if *name == "coordinator" {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(res.status, want, "{name}");
        // The navigation links to it exactly for those who may open it.
        let home = app.get("/", Some(name)).await;
        assert_eq!(
            home.body.contains("href=\"/cong-khai/quan-ly\""),
            *name == "coordinator",
            "{name}"
        );
        if *name != "coordinator" {
            let post = app
                .post(
                    "/cong-khai/quan-ly",
                    Some(name),
                    &[("kind", "results"), ("target", EDITION)],
                    None,
                )
                .await;
            assert_eq!(post.status, StatusCode::FORBIDDEN, "{name}");
        }
    }
    let forged = app
        .post(
            "/cong-khai/quan-ly",
            Some("coordinator"),
            &[("kind", "results"), ("target", EDITION)],
            Some("not-the-token"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(app.store().publications().await.unwrap().is_empty());
    // The coordinator's page offers the edition; an unknown round is refused in words.
    let page = app.get("/cong-khai/quan-ly", Some("coordinator")).await;
    assert!(page.body.contains(&format!("value=\"{EDITION}\"")));
    let refused = app
        .post(
            "/cong-khai/quan-ly",
            Some("coordinator"),
            &[("kind", "ranking"), ("target", "khong-co")],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Không công khai được"));
    assert!(app.store().publications().await.unwrap().is_empty());
    // The sign-in page links to the public pages.
    let login = app.get("/login", None).await;
    assert!(login.body.contains("href=\"/cong-khai\""));
    app.db.cleanup().await;
}

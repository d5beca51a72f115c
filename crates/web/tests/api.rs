//! In-process HTTP tests of the JSON API, on SQLite and (when `TEST_DATABASE_URL` is set) PostgreSQL.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::results::PublishedResult;
use parindex_domain::units::Subject;
use parindex_store::testing::TestDb;
use parindex_store::Store;
use parindex_web::{router, AppState};
use rust_decimal_macros::dec;
use serde_json::Value;
use std::collections::BTreeMap;
use tower::ServiceExt;

async fn seed(s: &Store) {
    let subjects = [
        ("bac-giang", "Bắc Giang"),
        ("phu-tho", "Phú Thọ"),
        ("quang-ninh", "Quảng Ninh"),
    ];
    let subjects: Vec<Subject> = subjects
        .iter()
        .map(|(a, b)| Subject {
            slug: a.to_string(),
            name_vi: b.to_string(),
            name_en: None,
        })
        .collect();
    s.save_subjects(&subjects, "test").await.unwrap();
    let mut area = CriterionNode::new(
        NodeCode::parse("1").unwrap(),
        "Công tác chỉ đạo, điều hành CCHC",
        None,
    );
    area.component = Some("appraisal".into());
    let e = Edition {
        id: "par-2020-province".into(),
        name: "Chỉ số CCHC năm 2020".into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: None,
        max_points: dec!(100),
        peer_count: Some(63),
        sample: false,
        notes: None,
        components: vec![Component {
            code: "appraisal".into(),
            name_vi: "Thẩm định".into(),
            name_en: None,
            max_points: dec!(100),
        }],
        criteria: vec![area],
    };
    s.save_edition(&e, "test").await.unwrap();
    let r = |subject: &str, total, rank| PublishedResult {
        edition_id: e.id.clone(),
        subject: subject.into(),
        total,
        rank: Some(rank),
        components: BTreeMap::new(),
        node_scores: BTreeMap::new(),
        node_ranks: BTreeMap::new(),
        source: None,
        published_on: None,
    };
    s.import_results(
        &e.id,
        &[
            r("quang-ninh", dec!(91.04), 1),
            r("phu-tho", dec!(85.74), 2),
            r("bac-giang", dec!(85.58), 3),
        ],
        false,
        "test",
    )
    .await
    .unwrap();
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    assert_eq!(
        res.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn api_story(store: &Store) {
    seed(store).await;
    let app = router(AppState {
        store: store.clone(),
    });
    let (st, body) = get(&app, "/health").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let (st, body) = get(&app, "/api/v1/editions").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body[0]["id"], "par-2020-province");
    let (_, body) = get(&app, "/api/v1/editions?q=chi%20so%20cchc").await;
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "search ignores diacritics"
    );

    let (st, body) = get(&app, "/api/v1/editions/par-2020-province/results").await;
    assert_eq!(st, StatusCode::OK);
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["subject"], "bac-giang");
    assert_eq!(rows[2]["total"], "85.58");
    assert_eq!(rows[2]["rank"], 3);
    assert_eq!(rows[2]["rank_source"], "published");

    let (st, body) = get(
        &app,
        "/api/v1/editions/par-2020-province/gap?subject=bac-giang&target_rank=2",
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["points_to_target"], "0.16");
    assert_eq!(body["name"], "Bắc Giang");

    let (st, body) = get(&app, "/api/v1/editions/nope/results").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("nope"));
    let (st, _) = get(&app, "/api/v1/editions/par-2020-province/gap").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = get(
        &app,
        "/api/v1/editions/par-2020-province/gap?subject=atlantis",
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    api_story(&db.store).await;
    db.cleanup().await;
}

#[tokio::test]
async fn api_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            api_story(&db.store).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

#[tokio::test]
async fn serves_on_a_real_socket() {
    let db = TestDb::sqlite().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(parindex_web::serve_with_listener(
        AppState {
            store: db.store.clone(),
        },
        listener,
        async {
            let _ = rx.await;
        },
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = String::new();
    stream.read_to_string(&mut buf).await.unwrap();
    assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
    assert!(buf.contains("\"status\":\"ok\""), "{buf}");
    let _ = tx.send(());
    server.await.unwrap().unwrap();
    db.cleanup().await;
}

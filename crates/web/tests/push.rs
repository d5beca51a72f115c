//! `POST /api/v1/dossiers` over HTTP: the dossier rates on the dashboard (a page kept rendered
//! in memory) and on `/dossiers` change after a push; the same batch again answers
//! "unchanged"; refusals carry index, code, field, kind and both languages; 10,001 dossiers and
//! an oversized body are 413 with a typed refusal; hostile bodies (deep nesting, huge strings)
//! are refused without a fault; a unit user's push of another agency's dossier is refused, a
//! leader's push is 403; no CSRF token, 403.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use parindex_domain::indicators::{Direction, Frequency, Indicator, Measure, Source};
use rust_decimal_macros::dec;
use serde_json::Value;

fn dossier(code: &str, agency: &str, closed: &str) -> String {
    format!(
        r#"{{"code":"{code}","agency":"{agency}","procedure":"1.001","level":"tỉnh","online_level":"3","received_at":"2021-06-01T08:00:00+07:00","due_at":"2021-06-05","closed_at":"{closed}","status":"Đã trả"}}"#
    )
}

fn batch(ds: &[String]) -> String {
    format!(r#"{{"dossiers":[{}]}}"#, ds.join(","))
}

async fn push_as(app: &TestApp, role: &str, body: String, csrf: bool) -> (StatusCode, Value) {
    let mut b = Request::post("/api/v1/dossiers")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions[role].1),
        );
    if csrf {
        b = b.header("x-csrf-token", app.csrf(role));
    }
    let res = app.send(b.body(Body::from(body)).unwrap()).await;
    let v = serde_json::from_str(&res.body).unwrap_or(Value::Null);
    (res.status, v)
}

async fn on_time_indicator(app: &TestApp) {
    app.store()
        .save_indicators(
            &[Indicator {
                id: "dossiers-on-time-rate".into(),
                name_vi: "Tỷ lệ hồ sơ đúng hạn".into(),
                name_en: Some("Dossiers on time".into()),
                unit: "%".into(),
                measure: Measure::Ratio,
                direction: Direction::HigherIsBetter,
                target: Some(dec!(100)),
                deadline: Some(jiff::civil::date(2021, 12, 31)),
                frequency: Frequency::Monthly,
                source: Source::DossiersOnTimeRate,
                lead_agency: Some("so-noi-vu".into()),
                note: None,
            }],
            "seed",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_push_changes_the_dossier_rates_on_the_dashboard_and_the_dossiers_page() {
    let app = TestApp::new().await;
    on_time_indicator(&app).await;
    let home = app.get("/", Some("coordinator")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains("33,33"));
    // One early, two late: 33,33 % on time.
    let ds = vec![
        dossier("TP-1", "so-tu-phap", "2021-06-04T09:00:00+07:00"),
        dossier("TP-2", "Sở Tư pháp", "2021-06-07T09:00:00+07:00"),
        dossier("TP-3", "so-tu-phap", "2021-06-09T09:00:00+07:00"),
    ];
    let (status, a) = push_as(&app, "coordinator", batch(&ds), true).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(
        (a["added"].as_u64(), a["refused"].as_u64()),
        (Some(3), Some(0))
    );
    let home = app.get("/", Some("coordinator")).await;
    assert!(
        home.body.contains("33,33"),
        "the dashboard's rate after the push"
    );
    let page = app.get("/dossiers", Some("coordinator")).await;
    assert!(
        page.body.contains("33,33"),
        "the rates per agency after the push"
    );
    let list = app.get("/dossiers/so-tu-phap", Some("agency")).await;
    assert!(list.body.contains("TP-2") && list.body.contains("TP-3"));

    // The same batch again: nothing changes.
    let (status, a) = push_as(&app, "coordinator", batch(&ds), true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (a["unchanged"].as_u64(), a["push_id"].clone()),
        (Some(3), Value::Null)
    );

    // A later state of TP-3 (closed on its due date after all): 66,67 %.
    let fixed = dossier("TP-3", "so-tu-phap", "2021-06-05T16:00:00+07:00");
    let (_, a) = push_as(&app, "coordinator", batch(&[fixed]), true).await;
    assert_eq!(a["updated"].as_u64(), Some(1));
    let home = app.get("/", Some("coordinator")).await;
    assert!(
        home.body.contains("66,67"),
        "the dashboard follows the later state"
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn refusals_name_index_code_field_and_kind_in_both_languages() {
    let app = TestApp::new().await;
    let ds = vec![
        dossier("TP-1", "so-tu-phap", "2021-06-04T09:00:00+07:00"),
        // Closed before it was received.
        dossier("TP-2", "so-tu-phap", "2021-05-30"),
        format!(r#"{{"code":"{}","agency":"so-tu-phap"}}"#, "x".repeat(5000)),
        r#"{"code":"TP-4","agency":{"nested":[[[[1]]]]}}"#.to_string(),
        dossier("TC-1", "so-tai-chinh", "2021-06-04"),
    ];
    // The agency user of Sở Tư pháp: another agency's dossier is refused.
    let (status, a) = push_as(&app, "agency", batch(&ds), true).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["added"].as_u64(), Some(1));
    let r = a["refusals"].as_array().unwrap();
    let kinds: Vec<(u64, &str, &str)> = r
        .iter()
        .map(|x| {
            (
                x["index"].as_u64().unwrap(),
                x["field"].as_str().unwrap_or(""),
                x["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (1, "closed_at", "times_out_of_order"),
            (2, "code", "too_long"),
            (3, "agency", "not_text"),
            (4, "agency", "not_your_agency"),
        ]
    );
    assert_eq!(r[0]["code"], "TP-2");
    assert_eq!(r[0]["message_vi"], "Ngày kết thúc trước ngày tiếp nhận.");
    assert_eq!(r[0]["message_en"], "Closed before it was received.");
    assert_eq!(
        r[0]["message"], r[0]["message_vi"],
        "the user reads Vietnamese"
    );
    // A leader may not push at all; without the CSRF token of the session: 403 too.
    let (status, _) = push_as(&app, "leader", batch(&ds), true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = push_as(&app, "coordinator", batch(&ds), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.db.cleanup().await;
}

#[tokio::test]
async fn too_many_or_too_large_or_hostile_bodies_are_refused_whole() {
    let app = TestApp::new().await;
    let one = dossier("TP-1", "so-tu-phap", "2021-06-04");
    let ds = vec![one; 10_001];
    let (status, a) = push_as(&app, "coordinator", batch(&ds), true).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{a}");
    assert_eq!(
        (a["kind"].as_str(), a["max"].as_u64()),
        (Some("too_many"), Some(10_000))
    );
    assert!(a["message_vi"].as_str().unwrap().contains("10000"));
    assert!(app.store().dossier_cells().await.unwrap().is_empty());

    // Over 16 MiB, said by Content-Length: refused before the body is read.
    let req = Request::post("/api/v1/dossiers")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "17000000")
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions["coordinator"].1),
        )
        .header("x-csrf-token", app.csrf("coordinator"))
        .body(Body::from("{}"))
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.body.contains("\"too_large\""));

    // Nested far deeper than the reader goes, a huge string, not JSON, not a batch.
    let deep = format!(r#"{{"dossiers":[{}]}}"#, "[".repeat(100_000));
    let (status, a) = push_as(&app, "coordinator", deep, true).await;
    assert_eq!(
        (status, a["kind"].as_str()),
        (StatusCode::BAD_REQUEST, Some("not_json"))
    );
    let huge = format!(r#"{{"dossiers":[{{"code":"{}"}}]}}"#, "đ".repeat(3_000_000));
    let (status, a) = push_as(&app, "coordinator", huge, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a["refusals"][0]["kind"], "too_long");
    let (status, a) = push_as(&app, "coordinator", "{\"dossiers\": [".into(), true).await;
    assert_eq!(
        (status, a["kind"].as_str()),
        (StatusCode::BAD_REQUEST, Some("not_json"))
    );
    let (status, a) = push_as(&app, "coordinator", "[1, 2]".into(), true).await;
    assert_eq!(
        (status, a["kind"].as_str()),
        (StatusCode::BAD_REQUEST, Some("not_a_batch"))
    );
    app.db.cleanup().await;
}

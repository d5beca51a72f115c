//! `parindex token` end to end: a token made on the command line is accepted by the web (the
//! same database), listed with its use, and refused once revoked on the command line.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use parindex_domain::access::Role;
use parindex_store::testing::TestDb;
use parindex_store::UserInput;
use std::process::{Command, Output};
use tower::ServiceExt;

fn parindex(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs")
}

async fn me(app: &axum::Router, token: &str) -> (StatusCode, serde_json::Value) {
    let req = Request::get("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

#[tokio::test]
async fn a_token_made_by_the_command_is_accepted_by_the_web_until_revoked() {
    let db = TestDb::sqlite().await.unwrap();
    db.store
        .create_user(
            &UserInput {
                username: "sonoivu".into(),
                display_name: "Chuyên viên Sở Nội vụ".into(),
                role: Role::Coordinator,
                unit: None,
                lang: "vi".into(),
                active: true,
            },
            "hash",
            "seed",
        )
        .await
        .unwrap();
    let url = db.url();
    let bad = parindex(
        &url,
        &["token", "create", "--user", "khong-co", "--name", "x"],
    );
    assert!(!bad.status.success(), "an unknown user gets no token");
    let out = parindex(
        &url,
        &[
            "token",
            "create",
            "--user",
            "sonoivu",
            "--name",
            "mot-cua",
            "--scope",
            "write",
            "--expires",
            "90d",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("pxi_") && token.len() == 68, "{token}");
    let stored = db.store.tokens().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        !format!("{stored:?}").contains(&token[4..]),
        "only the hash is kept"
    );
    let app = parindex_web::router(parindex_web::AppState::new(db.store.clone()));
    let (status, v) = me(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["username"], "sonoivu");
    assert_eq!(v["token"]["name"], "mot-cua");
    assert_eq!(v["token"]["scope"], "write");
    let list = parindex(&url, &["token", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["name"], "mot-cua");
    assert!(
        list[0]["last_used_at"].is_string(),
        "its use is listed: {list}"
    );
    assert!(list[0]["expires_at"].is_string());
    let out = parindex(&url, &["token", "revoke", "mot-cua"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(me(&app, &token).await.0, StatusCode::UNAUTHORIZED);
    db.cleanup().await;
}

async fn push(
    app: &axum::Router,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let mut req =
        Request::post("/api/v1/dossiers").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

fn token(url: &str, name: &str, scope: &str) -> String {
    let out = parindex(
        url,
        &[
            "token", "create", "--user", "sonoivu", "--name", name, "--scope", scope,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Issue 13's "done when", on the demo: a write token made with `parindex token create --user
/// sonoivu --name mot-cua --scope write` pushes a batch; the same batch again changes nothing;
/// the agency's counts for the month follow; no token: 401; a read token: 403.
#[tokio::test]
async fn a_write_token_pushes_dossiers_into_the_demo_and_the_counts_follow() {
    let db = TestDb::sqlite().await.unwrap();
    let url = db.url();
    let demo = parindex(&url, &["demo", "--no-serve"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let write = token(&url, "mot-cua", "write");
    let read = token(&url, "doc-so-lieu", "read");
    let app = parindex_web::router(parindex_web::AppState::new(db.store.clone()));
    // October 2021: a month no file fed. One early, one late, one on time.
    let d = |code: &str, closed: &str| {
        format!(
            r#"{{"code":"{code}","agency":"so-tu-phap","procedure":"1.001756","level":"tỉnh","online_level":"4","received_at":"2021-10-01T08:00:00+07:00","due_at":"2021-10-05T17:00:00+07:00","closed_at":"{closed}","status":"Đã trả kết quả"}}"#
        )
    };
    let body = format!(
        r#"{{"dossiers":[{},{},{}]}}"#,
        d("MC-1", "2021-10-04T10:00:00+07:00"),
        d("MC-2", "2021-10-08T10:00:00+07:00"),
        d("MC-3", "2021-10-05T16:00:00+07:00")
    );
    assert_eq!(push(&app, None, &body).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        push(&app, Some(&read), &body).await.0,
        StatusCode::FORBIDDEN
    );
    let october = |cells: Vec<parindex_store::StoredCell>| {
        cells
            .into_iter()
            .find(|c| c.cell.agency == "so-tu-phap" && c.cell.month.to_string() == "2021-10")
            .map(|c| {
                let k = c.cell.counts;
                (k.received, k.early, k.on_time, k.late)
            })
    };
    assert_eq!(october(db.store.dossier_cells().await.unwrap()), None);
    let (status, answer) = push(&app, Some(&write), &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["added"], 3, "{answer}");
    assert_eq!(
        october(db.store.dossier_cells().await.unwrap()),
        Some((3, 1, 1, 1)),
        "the month's counts, hence its rates"
    );
    let audit = db
        .store
        .audit_log(&parindex_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(
        audit.iter().any(|a| a.actor == "sonoivu (token mot-cua)"),
        "the push is audited with the token's name"
    );
    let (status, again) = push(&app, Some(&write), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            again["added"].clone(),
            again["updated"].clone(),
            again["unchanged"].clone()
        ),
        (0.into(), 0.into(), 3.into()),
        "the same batch again changes nothing: {again}"
    );
    db.cleanup().await;
}

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

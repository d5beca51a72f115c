//! Error pages (issue 12): an unknown address answers 404 with a page in Vietnamese — inside the
//! normal layout, with the navigation and the user's language, for a signed-in user; a bare
//! bilingual page, Vietnamese first, for a signed-out one; JSON under `/api/`. Refusals (403)
//! are drawn inside the layout too, and so is a form's address opened directly (405). Every text
//! is the catalogue's.

mod common;

use axum::http::{header, StatusCode};
use common::TestApp;
use std::collections::BTreeMap;

/// The catalogue of one language, as the translators edit it.
fn catalogue(lang: &str) -> BTreeMap<String, String> {
    let path = format!("{}/messages/{lang}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the catalogue");
    toml::from_str(&text).expect("a flat table of texts")
}

/// The text of an element whose opening tag ends at `open` (e.g. `<title>`), up to its end.
fn element<'a>(body: &'a str, open: &str) -> &'a str {
    let start = body.find(open).map(|i| i + open.len()).unwrap_or(0);
    let rest = &body[start..];
    &rest[..rest.find("</").unwrap_or(rest.len())]
}

fn has_navigation(body: &str, vi: &BTreeMap<String, String>) -> bool {
    body.contains(&format!("<nav aria-label=\"{}\">", vi["nav.menu"]))
        && body.contains("href=\"/plans\"")
        && body.contains("href=\"/editions\"")
}

#[tokio::test]
async fn an_unknown_address_is_a_vietnamese_404_inside_the_layout() {
    let app = TestApp::new().await;
    let vi = catalogue("vi");
    let en = catalogue("en");
    let res = app.get("/khong-co-trang-nay", Some("coordinator")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    assert_eq!(
        element(&res.body, "<title>"),
        format!("{} · ParIndex", vi["error.title_not_found"])
    );
    assert!(res.body.contains("<html lang=\"vi\">"));
    assert!(res.body.contains(&vi["error.not_found"]), "{}", res.body);
    assert!(has_navigation(&res.body, &vi), "{}", res.body);
    // The user's name, the language switch and sign-out are there as on every page.
    assert!(res.body.contains("Người dùng coordinator"));
    assert!(res.body.contains("action=\"/logout\""));
    assert!(
        !res.body.contains(&en["error.not_found"]),
        "no English on a Vietnamese page"
    );
    // Deeper unknown paths and unknown paths under known ones too.
    for path in [
        "/plans/bac-giang-2021/khong-co",
        "/editions/x/y/z/w",
        "/khong-co?x=1",
    ] {
        let res = app.get(path, Some("agency")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert!(has_navigation(&res.body, &vi), "{path}");
    }
}

#[tokio::test]
async fn the_404_speaks_the_users_language() {
    let app = TestApp::new().await;
    let en = catalogue("en");
    let vi = catalogue("vi");
    app.store()
        .set_lang(app.sessions["leader"].0, "en")
        .await
        .unwrap();
    let res = app.get("/khong-co-trang-nay", Some("leader")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("<html lang=\"en\">"));
    assert_eq!(
        element(&res.body, "<title>"),
        format!("{} · ParIndex", en["error.title_not_found"])
    );
    assert!(res.body.contains(&en["error.not_found"]));
    assert!(!res.body.contains(&vi["error.not_found"]));
    assert!(res
        .body
        .contains(&format!("<nav aria-label=\"{}\">", en["nav.menu"])));
    // The leader's navigation: no users, no backups.
    assert!(!res.body.contains("href=\"/users\"") && !res.body.contains("href=\"/backups\""));
}

#[tokio::test]
async fn signed_out_the_404_is_a_vietnamese_page_with_a_way_in() {
    let app = TestApp::new().await;
    let vi = catalogue("vi");
    let en = catalogue("en");
    let res = app.get("/khong-co-trang-nay", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("<html lang=\"vi\">"));
    assert_eq!(
        element(&res.body, "<title>"),
        format!("{} · ParIndex", vi["error.title_not_found"])
    );
    assert!(res.body.contains(&vi["error.not_found"]));
    // English second, marked as English; a way to sign in; no navigation of a signed-in user.
    assert!(res.body.contains(&en["error.not_found"]));
    assert!(res.body.contains("<p class=\"error-en\" lang=\"en\">"));
    assert!(res.body.contains("href=\"/login\""));
    assert!(!res.body.contains("<nav") && !res.body.contains("href=\"/plans\""));
    // A known page still sends a signed-out visitor to sign in.
    let res = app.get("/plans", None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_refusal_is_drawn_inside_the_layout() {
    let app = TestApp::new().await;
    let vi = catalogue("vi");
    let res = app.get("/users", Some("agency")).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        element(&res.body, "<title>"),
        format!("{} · ParIndex", vi["error.title_forbidden"])
    );
    assert!(res.body.contains(&vi["error.forbidden"]));
    assert!(has_navigation(&res.body, &vi), "{}", res.body);
    // The agency's own navigation: no link to the page it was refused.
    assert!(!res.body.contains("href=\"/users\""));
}

#[tokio::test]
async fn the_api_answers_an_unknown_address_in_json() {
    let app = TestApp::new().await;
    for role in [Some("coordinator"), None] {
        let res = app.get("/api/v1/khong-co", role).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let json: serde_json::Value = serde_json::from_str(&res.body).expect("JSON");
        assert_eq!(json["error"], "not found");
    }
}

#[tokio::test]
async fn a_forms_address_opened_directly_is_a_405_page_that_says_so() {
    let app = TestApp::new().await;
    let vi = catalogue("vi");
    let res = app.get("/logout", Some("agency")).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers.get(header::ALLOW).is_some());
    assert!(
        res.body.contains(&vi["error.method_not_allowed"]),
        "{}",
        res.body
    );
    assert!(has_navigation(&res.body, &vi));
    // Nothing happened: the session still opens pages.
    assert_eq!(app.get("/", Some("agency")).await.status, StatusCode::OK);
    let res = app.get("/logout", None).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.body.contains(&vi["error.method_not_allowed"]));
    let res = app.put_json("/api/v1/me", "agency", "{}", true).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    let json: serde_json::Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(json["error"], "method not allowed");
}

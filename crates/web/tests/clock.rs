//! The day the server runs on (`--as-of`, the demo's clock) is shown in every page's header, so
//! that nobody mistakes the demo's 15/08/2021 for today (issue 12, point 8).

mod common;

use axum::http::StatusCode;
use common::{TestApp, ROLES};

#[tokio::test]
async fn a_fixed_clock_is_shown_in_the_header_of_every_role_s_pages() {
    // TestApp runs on a fixed clock: 15/08/2021.
    let app = TestApp::new().await;
    for (role, _, _) in ROLES {
        for path in ["/", "/account"] {
            let r = app.get(path, Some(role)).await;
            assert_eq!(r.status, StatusCode::OK, "{role} {path}");
            let header = r
                .body
                .split("<header")
                .nth(1)
                .and_then(|h| h.split("</header>").next())
                .unwrap_or_default();
            assert!(
                header.contains("id=\"as-of-clock\"")
                    && header.contains("Số liệu tính đến ngày 15/08/2021"),
                "{role} {path}: {header}"
            );
        }
    }
    // Signed out (the sign-in page), there is no header to show it in and nothing breaks.
    let r = app.get("/login", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("as-of-clock"));
}

//! Links drawn from the policy that guards their route (issue 12; the crawl of every page as
//! every demo role is `crates/cli/tests/crawl.rs`): a criterion opens for every signed-in role,
//! read-only unless the role may edit it; the dashboard links to the gap analysis only for roles
//! that may read it.

mod common;

use axum::http::StatusCode;
use common::{TestApp, ROLES};

const AREA_6: &str = "/editions/par-2020-province/criteria/6";

fn has_edit_form(body: &str) -> bool {
    body.contains(&format!("<form method=\"post\" action=\"{AREA_6}\""))
}

#[tokio::test]
async fn every_role_reads_a_criterion_and_only_its_editors_get_the_form() {
    let app = TestApp::new().await;
    for (role, _, _) in ROLES {
        let res = app.get(AREA_6, Some(role)).await;
        assert_eq!(res.status, StatusCode::OK, "{role}");
        let editor = matches!(*role, "coordinator" | "lead");
        assert_eq!(has_edit_form(&res.body), editor, "{role}");
        if !editor {
            // The criterion's facts, as on the edition page, in words.
            assert!(
                res.body.contains("<dl class=\"kv\" id=\"criterion\">"),
                "{role}"
            );
            assert!(res.body.contains("Cải cách tài chính công"), "{role}");
            assert!(res.body.contains("Sở Tài chính"), "{role}: the lead agency");
            assert!(
                res.body.contains("<title>Tiêu chí 6 · ParIndex</title>"),
                "{role}"
            );
            assert!(res
                .body
                .contains("href=\"/editions/par-2020-province#node-6\""));
        }
    }
    // Reading is not writing: the agency's post is still refused and changes nothing.
    let res = app
        .post(AREA_6, Some("agency"), &[("title_vi", "Đổi tên")], None)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let e = app
        .store()
        .edition("par-2020-province")
        .await
        .unwrap()
        .unwrap();
    let six = parindex_domain::edition::NodeCode::parse("6").unwrap();
    assert_eq!(e.node(&six).unwrap().title_vi, "Cải cách tài chính công");
    // An unknown criterion is a 404 for a reader too.
    let res = app
        .get("/editions/par-2020-province/criteria/9.9", Some("agency"))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_dashboard_links_to_the_gap_analysis_only_for_who_may_read_it() {
    let app = TestApp::new().await;
    let gap_link = "href=\"/gap?edition=par-2020-province\"";
    for (role, _, _) in ROLES {
        let dash = app.get("/", Some(role)).await;
        assert_eq!(dash.status, StatusCode::OK, "{role}");
        assert!(dash.body.contains("id=\"tile-target\""), "{role}");
        let gap = app.get("/gap?edition=par-2020-province", Some(role)).await;
        assert_eq!(
            dash.body.contains(gap_link),
            gap.status == StatusCode::OK,
            "{role}: a link to the gap analysis exactly when it opens ({})",
            gap.status
        );
    }
    assert!(!app
        .get("/", Some("appraiser"))
        .await
        .body
        .contains(gap_link));
}

/// The header's badge: the unit's unread notifications on every page, a link to them, gone once
/// they are read; users of another unit or none see none.
#[tokio::test]
async fn the_header_shows_the_units_unread_notifications_until_they_are_read() {
    let app = TestApp::new().await;
    let badge = |body: &str| -> Option<String> {
        let i = body.find("id=\"unread-badge\"")?;
        let rest = &body[i..];
        let c = rest.find("<span class=\"count\">")? + "<span class=\"count\">".len();
        Some(rest[c..c + rest[c..].find('<')?].to_string())
    };
    // Nothing unread: no badge. The dashboard is kept in memory: it must not keep the badge stale.
    let home = app.get("/", Some("agency")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(badge(&home.body), None);
    for (msg, link) in [
        ("Báo cáo tháng 7 bị trả lại", "/plans"),
        ("Nhắc hạn", "/plans"),
    ] {
        app.store().notify("so-tu-phap", msg, link).await.unwrap();
    }
    for path in ["/", "/account", "/plans", "/notifications"] {
        let res = app.get(path, Some("agency")).await;
        assert_eq!(badge(&res.body).as_deref(), Some("2"), "{path}");
        assert!(
            res.body
                .contains("href=\"/notifications\" class=\"unread\" id=\"unread-badge\" title=\"2 thông báo chưa đọc\""),
            "{path}"
        );
    }
    // The badge's link opens, and lists the two unread.
    let list = app.get("/notifications", Some("agency")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.matches("<tr class=\"highlight\">").count(), 2);
    // Another unit's users, and users without a unit, have no badge.
    for role in ["coordinator", "lead", "admin", "appraiser"] {
        let res = app.get("/", Some(role)).await;
        assert_eq!(badge(&res.body), None, "{role}");
    }
    // In English too.
    let res = app
        .post(
            "/account/lang",
            Some("agency"),
            &[("lang", "en"), ("back", "/")],
            None,
        )
        .await;
    assert!(res.status.is_redirection(), "{}", res.status);
    let res = app.get("/account", Some("agency")).await;
    assert!(res.body.contains("title=\"2 unread notifications\""));
    // Read: the badge is gone, on the page kept in memory as on the others.
    let res = app
        .post("/notifications/read", Some("agency"), &[], None)
        .await;
    assert!(res.status.is_redirection(), "{}", res.status);
    for path in ["/", "/account", "/notifications"] {
        let res = app.get(path, Some("agency")).await;
        assert_eq!(badge(&res.body), None, "{path}");
    }
    // A new one brings it back with 1.
    app.store()
        .notify("so-tu-phap", "Nhắc hạn", "/plans")
        .await
        .unwrap();
    assert_eq!(
        badge(&app.get("/", Some("agency")).await.body).as_deref(),
        Some("1")
    );
    app.db.cleanup().await;
}

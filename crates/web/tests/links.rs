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

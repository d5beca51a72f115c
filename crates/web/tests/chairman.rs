//! `GET /plans/{id}/chairman-report`: the Chairman's monthly report downloads as .docx and
//! .xlsx for the coordinator, the leaders and the administrator, and for no one else.

mod common;

use axum::http::{header, StatusCode};
use common::TestApp;

const PLAN: &str = r#"
[plan]
id = "bac-giang-2021"
number = "/KH-UBND"
title = "Kế hoạch cải thiện Chỉ số CCHC năm 2021"
issued_on = "2021-07-01"
signer = "Mai Sơn"
signer_title = "KT. CHỦ TỊCH"
edition_id = "par-2020-province"
subject = "bac-giang"
year = 2021

[[targets]]
id = "I.1"
title = "Trong nhóm 10"
goal = { kind = "rank", scope = "overall", rank = 10, keep = false }
lead_agency = "so-noi-vu"

[[tasks]]
id = "II.4-intangible-assets"
section = "II.4.b"
title = "Báo cáo việc chậm ban hành quy định tài sản cố định vô hình"
criteria = ["6"]
lead_agency = "so-tai-chinh"
assignees = { kind = "lead" }
deadline = { kind = "once", date = "2021-07-31" }
"#;

async fn app() -> TestApp {
    let app = TestApp::new().await;
    let doc = parindex_interchange::plan::plan_from_toml(PLAN, "plan.toml").unwrap();
    app.store().save_plan(&doc, "test").await.unwrap();
    app
}

#[tokio::test]
async fn the_report_downloads_for_the_coordinator_the_leaders_and_admin() {
    let app = app().await;
    let path = "/plans/bac-giang-2021/chairman-report?month=2021-08&format=docx";
    for role in ["coordinator", "leader", "admin"] {
        let r = app.get(path, Some(role)).await;
        assert_eq!(r.status, StatusCode::OK, "{role}");
        assert_eq!(
            r.headers[header::CONTENT_TYPE],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(
            r.headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"bao-cao-chu-tich-bac-giang-2021-2021-08.docx\"; filename*=UTF-8''bao-cao-chu-tich-bac-giang-2021-2021-08.docx"
        );
        assert!(r.body.starts_with("PK"), "a zip");
    }
    for role in ["lead", "agency", "appraiser"] {
        let r = app.get(path, Some(role)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
    }
    let r = app.get(path, None).await;
    assert!(r.status.is_redirection(), "anonymous: to sign-in");

    let r = app
        .get(
            "/plans/bac-giang-2021/chairman-report?month=2021-07&format=xlsx",
            Some("coordinator"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("2021-07.xlsx\""));
    // The clock's month (08/2021) when none is given.
    let r = app
        .get("/plans/bac-giang-2021/chairman-report", Some("leader"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("2021-08.docx\""));
}

#[tokio::test]
async fn bad_requests_are_refused() {
    let app = app().await;
    for (path, status) in [
        (
            "/plans/bac-giang-2021/chairman-report?month=2021-13",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/plans/bac-giang-2021/chairman-report?month=tam",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/plans/bac-giang-2021/chairman-report?format=pdf",
            StatusCode::BAD_REQUEST,
        ),
        ("/plans/khong-co/chairman-report", StatusCode::NOT_FOUND),
    ] {
        let r = app.get(path, Some("coordinator")).await;
        assert_eq!(r.status, status, "{path}");
    }
    // A hand-typed parameter is refused in the reader's language, naming the parameter.
    use parindex_web::i18n::{t, Lang};
    let r = app
        .get(
            "/plans/bac-giang-2021/chairman-report?format=pdf",
            Some("coordinator"),
        )
        .await;
    let want = t(Lang::Vi, "refusal.not_one_of")
        .replace("{value}", "pdf")
        .replace("{allowed}", "docx, xlsx");
    assert!(r.body.contains(&format!("format: {want}")), "{}", r.body);
    let r = app
        .get(
            "/plans/bac-giang-2021/chairman-report?month=tam",
            Some("coordinator"),
        )
        .await;
    let want = t(Lang::Vi, "refusal.not_a_month").replace("{value}", "tam");
    assert!(r.body.contains(&format!("month: {want}")), "{}", r.body);
}

//! `GET /plans/{id}/chairman-report`: the Chairman's monthly report downloads as .docx, .xlsx
//! and .pdf for the coordinator, the leaders and the administrator, and for no one else.

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
    let pdf = "/plans/bac-giang-2021/chairman-report?month=2021-08&format=pdf";
    for role in ["coordinator", "leader", "admin"] {
        let r = app.get(pdf, Some(role)).await;
        assert_eq!(r.status, StatusCode::OK, "{role} pdf");
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("bao-cao-chu-tich-bac-giang-2021-2021-08.pdf\""));
        assert!(r.body.starts_with("%PDF-"), "{role}: a PDF");
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
        for p in [path, pdf] {
            let r = app.get(p, Some(role)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} {p}");
        }
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
            "/plans/bac-giang-2021/chairman-report?format=odt",
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
            "/plans/bac-giang-2021/chairman-report?format=odt",
            Some("coordinator"),
        )
        .await;
    let want = t(Lang::Vi, "refusal.not_one_of")
        .replace("{value}", "odt")
        .replace("{allowed}", "docx, xlsx, pdf");
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

/// A month option of the form: (value, label, selected).
type MonthOption = (String, String, bool);

/// The form "Báo cáo Chủ tịch tháng" of a page, if drawn: its action and its month options.
fn chairman_form(body: &str) -> Option<(String, Vec<MonthOption>)> {
    let start = body.find(r#"id="chairman-report""#)?;
    let form_start = body[..start].rfind("<form")?;
    let form = &body[form_start..form_start + body[form_start..].find("</form>")?];
    let attr = |tag: &str, name: &str| {
        let pat = format!(" {name}=\"");
        tag.find(&pat).map(|i| {
            let v = &tag[i + pat.len()..];
            v[..v.find('"').unwrap_or(v.len())].to_string()
        })
    };
    let action = attr(form, "action")?;
    let months = form
        .split("<option")
        .skip(1)
        .map(|o| {
            let tag = &o[..o.find('>').unwrap_or(o.len())];
            let label =
                &o[o.find('>').map_or(0, |i| i + 1)..o.find("</option>").unwrap_or(o.len())];
            (
                attr(tag, "value").unwrap_or_default(),
                label.to_string(),
                tag.contains(" selected"),
            )
        })
        .collect();
    Some((action, months))
}

#[tokio::test]
async fn the_report_form_is_drawn_for_those_who_may_download_it() {
    let app = app().await;
    let want_months = vec![
        ("2021-07".to_string(), "07/2021".to_string(), false),
        // The clock's month (15/8/2021) is chosen.
        ("2021-08".to_string(), "08/2021".to_string(), true),
    ];
    for page in [
        "/plans/bac-giang-2021",
        "/plans/bac-giang-2021/accountability",
        "/",
    ] {
        for role in ["coordinator", "leader"] {
            let r = app.get(page, Some(role)).await;
            assert_eq!(r.status, StatusCode::OK, "{role} {page}");
            let (action, months) =
                chairman_form(&r.body).unwrap_or_else(|| panic!("{role} {page}: no form"));
            assert_eq!(
                action, "/plans/bac-giang-2021/chairman-report",
                "{role} {page}"
            );
            assert_eq!(months, want_months, "{role} {page}");
            for s in [
                "Báo cáo Chủ tịch tháng",
                r#"name="month""#,
                r#"name="format" value="docx""#,
                r#"name="format" value="xlsx""#,
                r#"name="format" value="pdf""#,
            ] {
                assert!(r.body.contains(s), "{role} {page}: {s}");
            }
            // What the form sends, with either button, downloads the report.
            for format in ["docx", "xlsx", "pdf"] {
                let r = app
                    .get(
                        &format!("{action}?month=2021-07&format={format}"),
                        Some(role),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{role} {format}");
            }
        }
    }
    // Roles the route refuses see the pages without the form.
    for (role, pages) in [
        ("lead", &["/plans/bac-giang-2021", "/"][..]),
        ("agency", &["/plans/bac-giang-2021", "/"][..]),
    ] {
        for page in pages {
            let r = app.get(page, Some(role)).await;
            assert_eq!(r.status, StatusCode::OK, "{role} {page}");
            assert!(chairman_form(&r.body).is_none(), "{role} {page}: no form");
            assert!(!r.body.contains("chairman-report"), "{role} {page}");
        }
    }
}

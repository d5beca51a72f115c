//! API tokens over HTTP: `Authorization: Bearer …` acts as the token's user narrowed by its
//! scope, without CSRF; unknown, revoked and expired tokens are 401 with `WWW-Authenticate`,
//! and a run of them from one address 429; every change made with a token names it in the
//! audit log; the plan and assessment endpoints of the integration API (a monthly report
//! submitted, a self-score saved, the reviews and the ranking read, every list paged); the
//! administrators' `/tokens` page.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp};
use jiff::civil::date;
use parindex_domain::access::TokenScope;
use parindex_domain::assessment::{ClassBands, Deadlines};
use parindex_domain::calendar::{Deadline, Frequency};
use parindex_domain::plan::{Assignees, Plan, PlanDocument, Task};
use parindex_store::assessments::NewRound;
use parindex_store::{timestamp_text, AuditFilter, NewToken};
use serde_json::{json, Value};

const PLAN: &str = "bac-giang-2021";
const MONTHLY: &str = "II.1-monthly";
const ROUND: &str = "stp-2021";

/// Make a token for `user` the way `parindex token create` and `/tokens` do; the token.
async fn token(
    app: &TestApp,
    user: &str,
    name: &str,
    scope: TokenScope,
    expires: Option<&str>,
) -> String {
    let t = parindex_web::pages::tokens::new_token();
    app.store()
        .create_token(
            &NewToken {
                name,
                username: user,
                scope,
                expires_at: expires,
                token_hash: &parindex_web::auth::token_hash(&t),
            },
            "admin",
        )
        .await
        .unwrap();
    t
}

async fn bearer(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body
        .map(|v| Body::from(v.to_string()))
        .unwrap_or_else(Body::empty);
    app.send(b.body(body).unwrap()).await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

fn plan() -> PlanDocument {
    PlanDocument {
        plan: Plan {
            id: PLAN.into(),
            number: "/KH-UBND".into(),
            title: "Kế hoạch cải thiện Chỉ số CCHC năm 2021".into(),
            issued_on: date(2021, 7, 1),
            signer: "Mai Sơn".into(),
            signer_title: "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH".into(),
            edition_id: "par-2020-province".into(),
            subject: "bac-giang".into(),
            year: 2021,
            note: String::new(),
        },
        findings: vec![],
        targets: vec![],
        tasks: vec![Task {
            id: MONTHLY.into(),
            section: "II.1.b".into(),
            title: "Báo cáo CCHC hằng tháng".into(),
            description: String::new(),
            findings: vec![],
            targets: vec![],
            criteria: vec![],
            lead_agency: Some("so-noi-vu".into()),
            coordinating: vec![],
            assignees: Assignees::Units {
                units: vec!["so-tu-phap".into()],
            },
            deadline: Deadline::Recurring {
                every: Frequency::Monthly,
                day: 31,
                from: date(2021, 7, 1),
                until: date(2021, 12, 31),
            },
            deliverable: "Báo cáo Chủ tịch UBND tỉnh".into(),
        }],
    }
}

/// The plan above and an open round of Sở Tư pháp on the sample department criteria.
async fn setup(app: &TestApp) {
    let s = app.store();
    s.save_plan(&plan(), "seed").await.unwrap();
    let e = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap();
    s.save_edition(&e, "seed").await.unwrap();
    s.create_round(
        &NewRound {
            id: ROUND.into(),
            name: "Sở Tư pháp 2021 (MẪU)".into(),
            edition_id: e.id.clone(),
            units: vec!["so-tu-phap".into()],
            deadlines: Deadlines {
                self_scoring: date(2021, 12, 30),
                explanation: date(2022, 1, 7),
                appraisal1: date(2022, 1, 21),
                appraisal2: date(2022, 2, 11),
                publication: date(2022, 2, 28),
            },
            classes: ClassBands::default(),
            note: String::new(),
        },
        "seed",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn without_a_token_or_with_a_bad_one_the_api_answers_401_with_a_challenge() {
    let app = TestApp::new().await;
    let res = app.get("/api/v1/me", None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.headers.get(header::WWW_AUTHENTICATE).is_some());
    let res = bearer(&app, "GET", "/api/v1/me", "pxi_nope", None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let challenge = res.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.starts_with("Bearer") && challenge.contains("invalid_token"));
    assert_eq!(json_of(&res)["kind"], "invalid_token");
    // Revoked, then expired.
    let t = token(&app, "agency", "bi-thu-hoi", TokenScope::Write, None).await;
    assert_eq!(
        bearer(&app, "GET", "/api/v1/me", &t, None).await.status,
        StatusCode::OK
    );
    app.store()
        .revoke_token("bi-thu-hoi", "admin")
        .await
        .unwrap();
    let res = bearer(&app, "GET", "/api/v1/me", &t, None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.headers.get(header::WWW_AUTHENTICATE).is_some());
    let soon = timestamp_text(jiff::Timestamp::now() + jiff::SignedDuration::from_millis(1500));
    let t = token(&app, "agency", "het-han", TokenScope::Read, Some(&soon)).await;
    assert_eq!(
        bearer(&app, "GET", "/api/v1/me", &t, None).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let res = bearer(&app, "GET", "/api/v1/me", &t, None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "expired");
    // A Bearer token is for the API: a page asks for a session.
    let res = bearer(&app, "GET", "/account", &t, None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_token_acts_as_its_user_and_a_read_token_changes_nothing() {
    let app = TestApp::new().await;
    setup(&app).await;
    let read = token(&app, "agency", "doc", TokenScope::Read, None).await;
    let me = json_of(&bearer(&app, "GET", "/api/v1/me", &read, None).await);
    assert_eq!(me["username"], "agency");
    assert_eq!(me["unit"], "so-tu-phap");
    assert_eq!(me["token"]["name"], "doc");
    assert_eq!(me["token"]["scope"], "read");
    // The user's role still decides: an agency reads no user list.
    let res = bearer(&app, "GET", "/api/v1/users", &read, None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // A read token on a change: 403, typed, nothing stored.
    let body = json!({"period": "2021-07", "done": "Đã làm", "progress_pct": 50});
    let path = format!("/api/v1/plans/{PLAN}/tasks/{MONTHLY}/reports");
    let res = bearer(&app, "POST", &path, &read, Some(body)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(json_of(&res)["kind"], "read_only_token");
    let res = bearer(
        &app,
        "PUT",
        "/api/v1/units/so-tu-phap",
        &read,
        Some(json!({"head_name": "X"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(app
        .store()
        .reports(PLAN, None, None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        app.store()
            .unit("so-tu-phap")
            .await
            .unwrap()
            .unwrap()
            .head_name,
        None
    );
    // Its use is noted.
    let t = &app.store().tokens().await.unwrap()[0];
    assert!(t.last_used_at.is_some());
}

#[tokio::test]
async fn bearer_needs_no_csrf_while_a_cookie_still_does_and_the_audit_names_the_token() {
    let app = TestApp::new().await;
    let write = token(&app, "agency", "mot-cua", TokenScope::Write, None).await;
    let res = bearer(
        &app,
        "PUT",
        "/api/v1/units/so-tu-phap",
        &write,
        Some(json!({"head_name": "Trần Thị Pháp"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = app
        .put_json(
            "/api/v1/units/so-tu-phap",
            "agency",
            r#"{"head_name":"Khác"}"#,
            false,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "a cookie without CSRF is refused"
    );
    let u = app.store().unit("so-tu-phap").await.unwrap().unwrap();
    assert_eq!(u.head_name.as_deref(), Some("Trần Thị Pháp"));
    let log = app
        .store()
        .audit_log(&AuditFilter {
            entity: Some("unit".into()),
            unit: Some("so-tu-phap".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log[0].actor, "agency (token mot-cua)");
    // The agency's own audit through the API, paged with its total.
    let page = json_of(&bearer(&app, "GET", "/api/v1/audit?per_page=1", &write, None).await);
    assert_eq!(page["per_page"], 1);
    assert!(page["total"].as_u64().unwrap() >= 1);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_write_token_submits_a_monthly_report_and_reads_its_review() {
    let app = TestApp::new().await;
    setup(&app).await;
    let write = token(&app, "agency", "mot-cua", TokenScope::Write, None).await;
    let tasks = json_of(
        &bearer(
            &app,
            "GET",
            &format!("/api/v1/plans/{PLAN}/my-tasks"),
            &write,
            None,
        )
        .await,
    );
    assert_eq!(tasks["total"], 1, "{tasks}");
    let row = &tasks["items"][0];
    assert_eq!(row["task"], MONTHLY);
    let period = row["open_period"]["period"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!row["periods"].as_array().unwrap().is_empty());
    let path = format!("/api/v1/plans/{PLAN}/tasks/{MONTHLY}/reports");
    // Refused by the form's rules, field by field.
    let res = bearer(
        &app,
        "POST",
        &path,
        &write,
        Some(json!({"period": period, "done": " ", "progress_pct": 101})),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let fields: Vec<String> = json_of(&res)["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap().to_string())
        .collect();
    assert!(
        fields.contains(&"done".to_string()) && fields.contains(&"progress_pct".to_string()),
        "{fields:?}"
    );
    // An attachment over the form's limit is refused too.
    let big = base64_of(&vec![b'x'; parindex_store::ATTACHMENT_LIMIT + 1]);
    let res = bearer(&app, "POST", &path, &write, Some(json!({"period": period, "done": "Đã làm", "attachments": [{"file_name": "lon.pdf", "content_base64": big}]}))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&res)["field"], "attachments");
    assert!(app
        .store()
        .reports(PLAN, None, None)
        .await
        .unwrap()
        .is_empty());
    // Submitted, with an attachment, and no CSRF header.
    let body = json!({
        "period": period, "done": "Đã rà soát 12 thủ tục", "problems": "", "proposals": "Tập huấn",
        "progress_pct": 60,
        "attachments": [{"file_name": "bao-cao.pdf", "content_base64": base64_of(b"%PDF-1.4 bao cao")}]
    });
    let res = bearer(&app, "POST", &path, &write, Some(body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let v = json_of(&res);
    assert_eq!(v["report"]["submitted_by"], "agency (token mot-cua)");
    assert_eq!(v["attachments"][0]["file_name"], "bao-cao.pdf");
    let stored = app
        .store()
        .reports(PLAN, Some(MONTHLY), Some("so-tu-phap"))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].progress_pct, 60);
    let audit = app
        .store()
        .audit_log(&AuditFilter {
            entity: Some("report".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit[0].actor, "agency (token mot-cua)");
    // The coordinator returns it; the integration reads the review.
    app.store()
        .review_report(
            stored[0].id,
            parindex_domain::plan::Decision::Returned,
            "Bổ sung số liệu",
            "coordinator",
            date(2021, 8, 15),
        )
        .await
        .unwrap();
    let reviews = json_of(
        &bearer(
            &app,
            "GET",
            &format!("/api/v1/plans/{PLAN}/reports?page=1&per_page=10"),
            &write,
            None,
        )
        .await,
    );
    assert_eq!(reviews["total"], 1);
    assert_eq!(reviews["items"][0]["decision"], "returned");
    assert_eq!(reviews["items"][0]["review_comment"], "Bổ sung số liệu");
    // Another unit's reports are not the agency's to read.
    let res = bearer(
        &app,
        "GET",
        &format!("/api/v1/plans/{PLAN}/reports?unit=so-tai-chinh"),
        &write,
        None,
    )
    .await;
    let v = json_of(&res);
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["unit"] == "so-tu-phap"),
        "{v}"
    );
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn a_write_token_saves_a_self_score_and_reads_the_items_and_rankings() {
    let app = TestApp::new().await;
    setup(&app).await;
    let write = token(&app, "agency", "mot-cua", TokenScope::Write, None).await;
    let items_path = format!("/api/v1/assessments/{ROUND}/units/so-tu-phap/items");
    let page = json_of(
        &bearer(
            &app,
            "GET",
            &format!("{items_path}?per_page=5"),
            &write,
            None,
        )
        .await,
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert!(page["total"].as_u64().unwrap() > 5);
    assert_eq!(page["unit"], "so-tu-phap");
    // An item scored in points, at full marks; a figure the criterion refuses is named.
    let a = app
        .store()
        .assessment(ROUND, "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    let n = parindex_domain::assessment::leaves(&a.edition)
        .into_iter()
        .find(|n| {
            matches!(
                parindex_domain::assessment::input_kind(n),
                parindex_domain::assessment::InputKind::Points { .. }
            )
        })
        .unwrap();
    let (code, max) = (n.code.to_string(), n.max_points.unwrap());
    let bad = json!({"items": [{"code": code, "input": "khong-phai-so"}]});
    let res = bearer(&app, "PUT", &items_path, &write, Some(bad)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(json_of(&res)["field"], format!("items[{code}].input"));
    let body = json!({"items": [{"code": code, "input": max.to_string(), "note": "Theo Kế hoạch 125/KH-STP"}]});
    let res = bearer(&app, "PUT", &items_path, &write, Some(body)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(json_of(&res)["saved"], 1);
    let a = app
        .store()
        .assessment(ROUND, "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    let item = &a.items[&n.code];
    assert_eq!(item.self_score, Some(max));
    assert_eq!(item.note, "Theo Kế hoạch 125/KH-STP");
    let log = app
        .store()
        .audit_log(&AuditFilter {
            unit: Some("so-tu-phap".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log[0].actor, "agency (token mot-cua)", "{:?}", log[0]);
    // An evidence reference on the item.
    let res = bearer(
        &app,
        "POST",
        &format!("{items_path}/{code}/evidence"),
        &write,
        Some(json!({"document": {"number": "125/KH-STP", "date": "2021-02-01", "issuer": "Sở Tư pháp", "title": "Kế hoạch CCHC năm 2021"}})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let a = app
        .store()
        .assessment(ROUND, "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.evidence[&code].len(), 1);
    // Another unit's items: refused.
    let res = bearer(
        &app,
        "GET",
        &format!("/api/v1/assessments/{ROUND}/units/so-tai-chinh/items"),
        &write,
        None,
    )
    .await;
    assert!(
        matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        res.status
    );
    // The published rankings: none yet, paged.
    let v = json_of(&bearer(&app, "GET", "/api/v1/rankings", &write, None).await);
    assert_eq!(v["total"], 0);
    let res = bearer(
        &app,
        "GET",
        &format!("/api/v1/rankings/{ROUND}"),
        &write,
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "not published");
}

#[tokio::test]
async fn bad_tokens_from_one_address_are_throttled() {
    let mut app = TestApp::new().await;
    app.reconfigure(|c| c.throttle.address.limit = 3);
    let good = token(&app, "agency", "mot-cua", TokenScope::Read, None).await;
    for _ in 0..3 {
        let res = bearer(&app, "GET", "/api/v1/me", "pxi_sai", None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = bearer(&app, "GET", "/api/v1/me", "pxi_sai", None).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.headers.get(header::RETRY_AFTER).is_some());
    assert_eq!(json_of(&res)["kind"], "token_throttled");
    // The address is locked, whatever it sends now.
    let res = bearer(&app, "GET", "/api/v1/me", &good, None).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_administrator_makes_and_revokes_tokens_in_the_web() {
    let app = TestApp::new().await;
    for role in ["coordinator", "agency", "leader"] {
        assert_eq!(
            app.get("/tokens", Some(role)).await.status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
    let page = app.get("/tokens", Some("admin")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/tokens\""),
        "the nav links it for the admin"
    );
    assert!(!app
        .get("/", Some("coordinator"))
        .await
        .body
        .contains("href=\"/tokens\""));
    // CSRF on the form.
    let res = app
        .post(
            "/tokens",
            Some("admin"),
            &[
                ("user", "agency"),
                ("name", "mot-cua"),
                ("scope", "write"),
                ("expires", "90d"),
            ],
            Some("sai"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .post(
            "/tokens",
            Some("admin"),
            &[
                ("user", "agency"),
                ("name", "Một cửa"),
                ("scope", "write"),
                ("expires", "90d"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"token-name-err\""));
    assert!(app.store().tokens().await.unwrap().is_empty());
    let res = app
        .post(
            "/tokens",
            Some("admin"),
            &[
                ("user", "agency"),
                ("name", "mot-cua"),
                ("scope", "write"),
                ("expires", "90d"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let shown = res
        .body
        .split("<code id=\"token-value\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(shown.starts_with("pxi_"));
    assert!(
        !app.get("/tokens", Some("admin"))
            .await
            .body
            .contains(&shown),
        "shown once"
    );
    let me = json_of(&bearer(&app, "GET", "/api/v1/me", &shown, None).await);
    assert_eq!(me["username"], "agency");
    let id = app.store().tokens().await.unwrap()[0].id;
    let confirm = app
        .get(&format!("/tokens/{id}/revoke"), Some("admin"))
        .await;
    assert!(confirm.body.contains("mot-cua"));
    let res = app
        .post(&format!("/tokens/{id}/revoke"), Some("admin"), &[], None)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        bearer(&app, "GET", "/api/v1/me", &shown, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let log = app
        .store()
        .audit_log(&AuditFilter {
            entity: Some("api_token".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.actor == "admin"));
}

/// Every API handler records its changes as `CurrentUser::actor_name` (the login, and the
/// token's name when there is one), never the bare login: read from the API's sources.
#[test]
fn api_handlers_record_the_token_in_their_changes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![dir.join("api.rs"), dir.join("api_dossiers.rs")];
    if let Ok(entries) = std::fs::read_dir(dir.join("api")) {
        files.extend(entries.flatten().map(|e| e.path()));
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let passes_login =
                line.contains("&cu.user.username") || line.contains("cu.user.username.clone()");
            assert!(
                !passes_login,
                "{}:{}: pass cu.actor_name(), not the login: {line}",
                f.display(),
                i + 1
            );
        }
    }
}

/// The integration routes are described, each with an example, and both ways in are declared.
#[tokio::test]
async fn the_openapi_document_describes_the_integration_api_with_examples() {
    let app = TestApp::new().await;
    let doc = json_of(&app.get("/api/v1/openapi.json", None).await);
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (path, method) in [
        ("/api/v1/plans/{id}/my-tasks", "get"),
        ("/api/v1/plans/{id}/tasks/{task}/reports", "post"),
        ("/api/v1/plans/{id}/reports", "get"),
        ("/api/v1/assessments/{round}/units/{unit}/items", "get"),
        ("/api/v1/assessments/{round}/units/{unit}/items", "put"),
        (
            "/api/v1/assessments/{round}/units/{unit}/items/{code}/evidence",
            "post",
        ),
        ("/api/v1/rankings", "get"),
        ("/api/v1/rankings/{round}", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not described");
        let text = op.to_string();
        assert!(
            text.contains("\"example\""),
            "{method} {path} has no example"
        );
        if method == "get" {
            assert!(
                text.contains("\"per_page\""),
                "{method} {path} is not paged"
            );
        }
    }
}

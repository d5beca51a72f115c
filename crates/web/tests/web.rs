//! In-process HTTP tests of the web application: the route × role authorization matrix, row
//! ownership, CSRF, escaping, sign-in, sessions, languages, search and the JSON API.

mod common;

use axum::http::StatusCode;
use common::{TestApp, PASSWORD, ROLES};
use parindex_store::testing::TestDb;

/// What a request is expected to get for a role.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allowed,
    Denied,
}
use Expect::*;

/// One route of the application with the expected outcome for
/// [admin, coordinator, lead (so-tai-chinh), agency (so-tu-phap), appraiser, leader].
struct Case {
    method: &'static str,
    path: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [Expect; 6],
}

const ALL: [Expect; 6] = [Allowed; 6];
const NOT_APPRAISER: [Expect; 6] = [Allowed, Allowed, Allowed, Allowed, Denied, Allowed];
const COORDINATOR: [Expect; 6] = [Denied, Allowed, Denied, Denied, Denied, Denied];
const ADMIN: [Expect; 6] = [Allowed, Denied, Denied, Denied, Denied, Denied];
const OWN_SO_TU_PHAP: [Expect; 6] = [Denied, Allowed, Denied, Allowed, Denied, Denied];
const OWN_SO_TAI_CHINH: [Expect; 6] = [Denied, Allowed, Allowed, Denied, Denied, Denied];
/// Dossiers pushed through the API: the coordinator and the administrator for any agency, a
/// unit's users for their own (the route lets them in; each dossier is checked).
const PUSHERS: [Expect; 6] = [Allowed, Allowed, Allowed, Allowed, Denied, Denied];

/// Every route of the application with the expected outcome per role. Each page module's own
/// test file covers behaviour; authorization is checked here, for every route.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let c = |method, path, form, expect| Case { method, path, form, expect };
    vec![
        c("GET", "/", &[], ALL),
        c("GET", "/account", &[], ALL),
        c("POST", "/account/lang", &[("lang", "vi"), ("back", "/")], ALL),
        c("POST", "/account/password", &[("current", "wrong"), ("new", "x"), ("confirm", "y")], ALL),
        c("POST", "/account/email", &[("email", "not an address")], ALL),
        c("GET", "/units", &[], NOT_APPRAISER),
        c("GET", "/units/so-tu-phap", &[], OWN_SO_TU_PHAP),
        c("POST", "/units/so-tu-phap", &[("name_vi", "Sở Tư pháp")], OWN_SO_TU_PHAP),
        c("GET", "/units/so-tai-chinh", &[], OWN_SO_TAI_CHINH),
        c("GET", "/units/so-noi-vu", &[], COORDINATOR),
        c("POST", "/units/so-noi-vu", &[("name_vi", "Sở Nội vụ")], COORDINATOR),
        c("GET", "/audit", &[], NOT_APPRAISER),
        c("GET", "/users", &[], ADMIN),
        c("POST", "/users", &[("username", "x"), ("display_name", ""), ("role", "leader")], ADMIN),
        c("GET", "/users/1", &[], ADMIN),
        c("POST", "/users/1", &[("display_name", "Quản trị"), ("role", "admin"), ("active", "1")], ADMIN),
        c("POST", "/users/1/password", &[("password", "short")], ADMIN),
        c("POST", "/users/1/email", &[("email", "not an address")], ADMIN),
        c("POST", "/users/test-mail", &[("to", "quantri@bacgiang.gov.vn")], ADMIN),
        c("GET", "/backups", &[], ADMIN),
        c("GET", "/tokens", &[], ADMIN),
        c("POST", "/tokens", &[("user", "agency"), ("name", ""), ("scope", "read")], ADMIN),
        c("GET", "/editions", &[], ALL),
        c("POST", "/editions", &[("id", ""), ("name", "")], COORDINATOR),
        c("GET", "/editions/par-2020-province", &[], ALL),
        c("GET", "/editions/par-2020-province/export?format=csv", &[], ALL),
        c("POST", "/editions/par-2020-province/import", &[], COORDINATOR),
        c("GET", "/editions/par-2020-province/delete", &[], COORDINATOR),
        c("POST", "/editions/nope/delete", &[], COORDINATOR),
        c("POST", "/editions/par-2020-province/criteria", &[("code", ""), ("title_vi", "")], COORDINATOR),
        // Area 1 is led by so-noi-vu (no lead-agency test user), area 6 by so-tai-chinh. Every
        // role reads a criterion (read-only unless it may edit it: tests/links.rs).
        c("GET", "/editions/par-2020-province/criteria/1", &[], ALL),
        c("POST", "/editions/par-2020-province/criteria/1", &[("title_vi", "")], COORDINATOR),
        c("GET", "/editions/par-2020-province/criteria/6", &[], ALL),
        c("POST", "/editions/par-2020-province/criteria/6", &[("title_vi", "")], OWN_SO_TAI_CHINH),
        c("GET", "/results", &[], NOT_APPRAISER),
        c("GET", "/results/areas?edition=par-2020-province&area=1", &[], NOT_APPRAISER),
        c("GET", "/results/compare?a=par-2020-province&b=par-2020-province", &[], NOT_APPRAISER),
        c("GET", "/results/export?edition=par-2020-province&format=csv", &[], NOT_APPRAISER),
        c("GET", "/results/import?edition=par-2020-province", &[], COORDINATOR),
        c("POST", "/results/import", &[("edition", "par-2020-province")], COORDINATOR),
        c("GET", "/gap", &[], NOT_APPRAISER),
        c("GET", "/api/v1/me", &[], ALL),
        c("GET", "/api/v1/editions", &[], ALL),
        c("GET", "/api/v1/editions/par-2020-province", &[], ALL),
        c("GET", "/api/v1/editions/par-2020-province/results", &[], NOT_APPRAISER),
        c("GET", "/api/v1/editions/par-2020-province/gap?subject=bac-giang", &[], NOT_APPRAISER),
        c("GET", "/api/v1/units", &[], NOT_APPRAISER),
        c("GET", "/api/v1/units/so-noi-vu", &[], NOT_APPRAISER),
        c("PUT", "/api/v1/units/so-tu-phap", &[], OWN_SO_TU_PHAP),
        c("GET", "/api/v1/audit", &[], NOT_APPRAISER),
        c("GET", "/api/v1/users", &[], ADMIN),
        c("GET", "/api/v1/rankings", &[], ALL),
        c("POST", "/api/v1/dossiers", &[], PUSHERS),
    ]
}

async fn request(app: &TestApp, c: &Case, role: Option<&str>) -> common::Resp {
    match c.method {
        "GET" => app.get(c.path, role).await,
        "POST" => app.post(c.path, role, c.form, None).await,
        "PUT" => match role {
            Some(r) => {
                app.put_json(c.path, r, r#"{"head_title":"Giám đốc"}"#, true)
                    .await
            }
            None => {
                let req = axum::http::Request::put(c.path)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from("{}"))
                    .unwrap();
                app.send(req).await
            }
        },
        m => panic!("unexpected method {m}"),
    }
}

#[tokio::test]
async fn every_route_for_every_role_is_allowed_or_denied_as_the_matrix_says() {
    let app = TestApp::new().await;
    let mut failures = Vec::new();
    for c in cases() {
        // Anonymous: pages send to sign-in with the page to come back to, the API answers 401.
        let anon = request(&app, &c, None).await;
        if c.path.starts_with("/api/") {
            // Without a session or a token every API call is 401 (with its challenge): there is
            // no anonymous change on the API, so the CSRF check has nothing to protect.
            let want = StatusCode::UNAUTHORIZED;
            if anon.status != want {
                failures.push(format!(
                    "anonymous {} {} → {}",
                    c.method, c.path, anon.status
                ));
            }
        } else if c.method == "GET"
            && !(anon.status == StatusCode::SEE_OTHER
                && anon.location().starts_with("/login?next="))
        {
            failures.push(format!(
                "anonymous {} {} → {} {}",
                c.method,
                c.path,
                anon.status,
                anon.location()
            ));
        } else if c.method == "POST" && anon.status != StatusCode::FORBIDDEN {
            // An anonymous POST has no valid CSRF token: refused before anything else.
            failures.push(format!(
                "anonymous {} {} → {}",
                c.method, c.path, anon.status
            ));
        }
        for ((name, _, _), want) in ROLES.iter().zip(c.expect) {
            let res = request(&app, &c, Some(name)).await;
            let got = if res.status == StatusCode::FORBIDDEN {
                Denied
            } else {
                Allowed
            };
            if got != want || res.status.is_server_error() || res.status == StatusCode::UNAUTHORIZED
            {
                failures.push(format!(
                    "{name} {} {} → {} (expected {want:?})",
                    c.method, c.path, res.status
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn an_agency_cannot_touch_another_units_row_by_editing_the_id() {
    let app = TestApp::new().await;
    let res = app
        .post(
            "/units/so-noi-vu",
            Some("agency"),
            &[("name_vi", "Bị sửa"), ("head_name", "X")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .put_json(
            "/api/v1/units/so-noi-vu",
            "agency",
            r#"{"head_name":"X"}"#,
            true,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let u = app.store().unit("so-noi-vu").await.unwrap().unwrap();
    assert_eq!((u.name_vi.as_str(), u.head_name), ("Sở Nội vụ", None));
    // Its own unit, yes.
    let res = app
        .post(
            "/units/so-tu-phap",
            Some("agency"),
            &[("name_vi", "Sở Tư pháp"), ("head_name", "Nguyễn Văn B")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store()
            .unit("so-tu-phap")
            .await
            .unwrap()
            .unwrap()
            .head_name
            .as_deref(),
        Some("Nguyễn Văn B")
    );
    // The agency's audit view is its own unit only, whatever the query says.
    let res = app.get("/audit?unit=so-noi-vu", Some("agency")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Nguyễn Văn B"));
    assert!(
        !res.body.contains("\"name_vi\":\"Sở Nội vụ\""),
        "another unit's audit entries are not shown"
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn state_changes_need_a_valid_csrf_token() {
    let app = TestApp::new().await;
    let missing = app
        .post(
            "/units/so-tu-phap",
            Some("coordinator"),
            &[("name_vi", "Đổi tên")],
            Some(""),
        )
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = app
        .post(
            "/units/so-tu-phap",
            Some("coordinator"),
            &[("name_vi", "Đổi tên")],
            Some(&app.csrf("agency")),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let api = app
        .put_json(
            "/api/v1/units/so-tu-phap",
            "coordinator",
            r#"{"name_vi":"Đổi tên"}"#,
            false,
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store()
            .unit("so-tu-phap")
            .await
            .unwrap()
            .unwrap()
            .name_vi,
        "Sở Tư pháp",
        "nothing changed"
    );
    // Sign-in needs the pre-session token too.
    let res = app
        .post(
            "/login",
            None,
            &[("username", "coordinator"), ("password", PASSWORD)],
            Some("forged"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let ok = app
        .post(
            "/units/so-tu-phap",
            Some("coordinator"),
            &[("name_vi", "Đổi tên")],
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    app.db.cleanup().await;
}

#[tokio::test]
async fn markup_in_text_fields_is_shown_inert() {
    let app = TestApp::new().await;
    for evil in [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
    ] {
        let res = app
            .post(
                "/units/so-tu-phap",
                Some("coordinator"),
                &[("name_vi", "Sở Tư pháp"), ("head_name", evil)],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let page = app.get("/units?q=tu%20phap", Some("coordinator")).await;
        assert!(!page.body.contains(evil), "raw markup echoed: {evil}");
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"));
        assert!(
            page.body.contains("&#60;script&#62;") || page.body.contains("&#34;&#62;&#60;img"),
            "escaped text is shown"
        );
    }
    app.db.cleanup().await;
}

/// The pre-session CSRF cookie of the sign-in page.
async fn login_csrf(app: &TestApp) -> String {
    let page = app.get("/login", None).await;
    let set = page
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    set.split(';')
        .next()
        .unwrap()
        .trim_start_matches("parindex_csrf=")
        .to_string()
}

async fn login(app: &TestApp, csrf: &str, user: &str, password: &str, next: &str) -> common::Resp {
    let body = serde_urlencoded::to_string([
        ("username", user),
        ("password", password),
        ("next", next),
        ("_csrf", csrf),
    ])
    .unwrap();
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("parindex_csrf={csrf}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_locks_after_repeated_failures() {
    let app = TestApp::new().await;
    let csrf = login_csrf(&app).await;
    let res = login(&app, &csrf, "coordinator", PASSWORD, "/units?q=so").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/units?q=so", "back to the page asked for");
    let cookie = res.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.starts_with("parindex_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP in tests");
    // An off-site `next` is ignored.
    let res = login(&app, &csrf, "coordinator", PASSWORD, "//evil.example/").await;
    assert_eq!(res.location(), "/");
    // Five failures lock the account, even for the right password afterwards.
    for _ in 0..4 {
        let res = login(&app, &csrf, "leader", "sai-mat-khau", "/").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(res.body.contains("Sai tên đăng nhập hoặc mật khẩu"));
        assert!(
            res.body.contains("value=\"leader\""),
            "the username is kept"
        );
    }
    let res = login(&app, &csrf, "leader", "sai-mat-khau", "/").await;
    assert!(res.body.contains("tạm khóa"), "{}", res.body);
    let res = login(&app, &csrf, "leader", PASSWORD, "/").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("tạm khóa"));
    // Unknown users get the same message as wrong passwords.
    let res = login(&app, &csrf, "nobody", PASSWORD, "/").await;
    assert!(res.body.contains("Sai tên đăng nhập hoặc mật khẩu"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn cookies_are_secure_by_configuration_not_by_a_header() {
    let mut app = TestApp::new().await;
    let req = || {
        axum::http::Request::get("/login")
            .header("x-forwarded-proto", "https")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let secure = |res: &common::Resp| {
        res.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("; Secure")
    };
    // Without a trusted proxy, X-Forwarded-Proto is anyone's claim (signin.rs tests the proxy).
    assert!(!secure(&app.send(req()).await));
    app.reconfigure(|c| c.secure_cookies = true);
    assert!(secure(&app.send(req()).await));
    app.db.cleanup().await;
}

#[tokio::test]
async fn an_expired_session_leads_to_sign_in_and_back() {
    let app = TestApp::new().await;
    let (id, _, _) = app.sessions["coordinator"];
    let token = "a".repeat(64);
    app.store()
        .create_session(&parindex_store::Session {
            token_hash: parindex_web::auth::token_hash(&token),
            user_id: id,
            csrf_token: "c".into(),
            expires_at: "2020-01-01T00:00:00Z".into(),
        })
        .await
        .unwrap();
    let req = axum::http::Request::get("/units?q=noi")
        .header("cookie", format!("parindex_session={token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login?next=%2Funits%3Fq%3Dnoi&expired=1");
    let page = app.get(res.location(), None).await;
    assert!(page.body.contains("Phiên làm việc đã hết hạn"));
    assert!(
        page.body.contains("value=\"/units?q=noi\""),
        "the sign-in form returns to the page"
    );
    let csrf = login_csrf(&app).await;
    let res = login(&app, &csrf, "coordinator", PASSWORD, "/units?q=noi").await;
    assert_eq!(res.location(), "/units?q=noi");
    app.db.cleanup().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::new().await;
    let res = app.post("/logout", Some("leader"), &[], None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.get("/", Some("leader")).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = TestApp::new().await;
    let res = app.get("/", Some("leader")).await;
    let csp = res
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(
        res.headers.get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let res = app.get("/nope", Some("leader")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_dashboard_shows_the_province_against_its_targets_in_both_languages() {
    let app = TestApp::new().await;
    let res = app.get("/", Some("leader")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("85,58"), "decimal comma in Vietnamese");
    assert!(res.body.contains("13/63"));
    assert!(
        res.body.contains("+0,16"),
        "points to the target rank (2nd in this fixture)"
    );
    assert!(res.body.contains("Cải cách tài chính công") && res.body.contains("nhóm 20"));
    assert!(res.body.contains("<svg") && res.body.contains("<title"));
    let res = app
        .post(
            "/account/lang",
            Some("leader"),
            &[("lang", "en"), ("back", "/")],
            None,
        )
        .await;
    assert_eq!(res.location(), "/");
    let res = app.get("/", Some("leader")).await;
    assert!(
        res.body.contains("Dashboard")
            && res.body.contains("85.58")
            && res.body.contains("<html lang=\"en\">")
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn unit_search_ignores_diacritics_and_case() {
    let app = TestApp::new().await;
    for q in ["so%20noi%20vu", "S%E1%BB%9E%20N%E1%BB%98I", "noi"] {
        let res = app.get(&format!("/units?q={q}"), Some("leader")).await;
        assert!(res.body.contains("Sở Nội vụ"), "{q}");
        assert!(!res.body.contains("Sở Tư pháp"), "{q}");
    }
    let res = app
        .get("/units?q=yen%20the&type=district", Some("leader"))
        .await;
    assert!(res.body.contains("UBND huyện Yên Thế"));
    let res = app.get("/units?q=zzzz", Some("leader")).await;
    assert!(res.body.contains("Không có kết quả phù hợp"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn forms_keep_input_and_show_errors_beside_fields() {
    let app = TestApp::new().await;
    let res = app
        .post(
            "/units/so-tu-phap",
            Some("coordinator"),
            &[("name_vi", "  "), ("head_name", "Trần Văn C")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("Tên đơn vị là bắt buộc")
            && res.body.contains("value=\"Trần Văn C\"")
            && res.body.contains("aria-invalid=\"true\"")
    );
    let res = app
        .post(
            "/account/password",
            Some("leader"),
            &[("current", PASSWORD), ("new", "ngan"), ("confirm", "ngan")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("ít nhất 10 ký tự"));
    let res = app
        .post(
            "/users",
            Some("admin"),
            &[
                ("username", "a b"),
                ("display_name", "X"),
                ("role", "agency"),
                ("unit", ""),
                ("password", "mat-khau-du-dai"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("3–64 ký tự") && res.body.contains("phải gắn với một đơn vị"));
    assert_eq!(
        app.store().users(None).await.unwrap().len(),
        ROLES.len(),
        "nothing created"
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn password_change_and_user_admin() {
    let app = TestApp::new().await;
    let res = app
        .post(
            "/account/password",
            Some("leader"),
            &[
                ("current", PASSWORD),
                ("new", "mat-khau-moi-123"),
                ("confirm", "mat-khau-moi-123"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let csrf = login_csrf(&app).await;
    assert_eq!(
        login(&app, &csrf, "leader", "mat-khau-moi-123", "/")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        login(&app, &csrf, "leader", PASSWORD, "/").await.status,
        StatusCode::UNAUTHORIZED
    );
    // The admin creates a user, who can then sign in.
    let res = app
        .post(
            "/users",
            Some("admin"),
            &[
                ("username", "nv.yenthe"),
                ("display_name", "Cán bộ Yên Thế"),
                ("role", "agency"),
                ("unit", "huyen-yen-the"),
                ("lang", "vi"),
                ("active", "1"),
                ("password", "mat-khau-du-dai"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        login(&app, &csrf, "nv.yenthe", "mat-khau-du-dai", "/")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let log = app
        .store()
        .audit_log(&parindex_store::AuditFilter {
            entity: Some("user".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.entity_id == "nv.yenthe" && e.actor == "admin"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_api_answers_with_the_same_data_and_describes_itself() {
    let app = TestApp::new().await;
    let res = app
        .get(
            "/api/v1/editions/par-2020-province/gap?subject=bac-giang&target_rank=2",
            Some("coordinator"),
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(v["points_to_target"], "0.16");
    let res = app
        .get(
            "/api/v1/editions/par-2020-province/gap",
            Some("coordinator"),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = app
        .get("/api/v1/editions/nope/results", Some("coordinator"))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .put_json(
            "/api/v1/units/so-tu-phap",
            "agency",
            r#"{"head_name":"Lê Thị D"}"#,
            true,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        app.store()
            .unit("so-tu-phap")
            .await
            .unwrap()
            .unwrap()
            .head_name
            .as_deref(),
        Some("Lê Thị D")
    );
    let doc = app.get("/api/v1/openapi.json", None).await;
    let doc: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
    for c in cases().iter().filter(|c| c.path.starts_with("/api/")) {
        let templ = c
            .path
            .split('?')
            .next()
            .unwrap()
            .replace("par-2020-province", "{id}")
            .replace("so-tu-phap", "{slug}")
            .replace("so-noi-vu", "{slug}");
        let op = doc["paths"][&templ][c.method.to_lowercase()].clone();
        assert!(
            op.is_object(),
            "{} {} is not in the OpenAPI document",
            c.method,
            templ
        );
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_pages_work_on_postgres_too() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    let app = TestApp::on(db).await;
    let res = app.get("/", Some("coordinator")).await;
    assert!(res.body.contains("85,58"));
    let res = app
        .post(
            "/units/so-tu-phap",
            Some("agency"),
            &[("name_vi", "Sở Tư pháp"), ("head_name", "Phạm Văn E")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.get("/units?q=tu%20phap", Some("coordinator")).await;
    assert!(res.body.contains("Phạm Văn E"));
    app.db.cleanup().await;
}

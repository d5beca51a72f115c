//! Sign-in and sessions against hostile clients: open redirects, parallel guessing, lock-outs by
//! strangers, telling real accounts from unknown ones, the password-change check, the absolute
//! session lifetime, HTTPS by configuration only. Every test runs on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::{Resp, TestApp, PASSWORD};
use parindex_store::testing::TestDb;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Run `async fn NAME(TestDb)` as `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(parindex_store::testing::TestDb::sqlite().await.unwrap()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    match parindex_store::testing::TestDb::postgres().await.unwrap() {
                        Some(db) => super::$name(db).await,
                        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run of {} skipped", stringify!($name)),
                    }
                }
            )*
        }
    };
}

on_both!(
    open_redirect_payloads_stay_on_site,
    a_parallel_burst_checks_at_most_the_limit,
    a_stranger_cannot_keep_the_admin_out,
    many_addresses_or_many_names_are_throttled_too,
    unknown_users_get_the_same_answer_in_the_same_time,
    changing_the_password_counts_towards_the_throttle,
    sessions_end_at_their_absolute_lifetime,
    https_comes_from_configuration_not_from_headers,
);

/// Known open-redirect payloads for `next` and `back`.
const OPEN_REDIRECTS: &[&str] = &[
    "/\t/evil.example/x",
    "//evil.example/x",
    "/\\evil.example/x",
    "https://evil.example/x",
    "/%09/evil.example",
    "\\/\\/evil.example",
    " //evil.example",
    "/\r\n/evil.example",
    "javascript:alert(1)",
    "/%5C%5Cevil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "\t\n//evil.example",
    "///evil.example",
    "https:/evil.example",
    "//evil.example%2F..",
    "/%252F%252Fevil.example",
];

const GOOD: &[&str] = &["/plans/3?tab=a", "/units?q=tu%20phap", "/results"];

/// The pre-session CSRF token of the sign-in page.
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

fn login_request(
    csrf: &str,
    user: &str,
    password: &str,
    next: &str,
    peer: Option<&str>,
) -> Request<Body> {
    let body = serde_urlencoded::to_string([
        ("username", user),
        ("password", password),
        ("next", next),
        ("_csrf", csrf),
    ])
    .unwrap();
    let mut req = Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("parindex_csrf={csrf}"))
        .body(Body::from(body))
        .unwrap();
    if let Some(p) = peer {
        req.extensions_mut()
            .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
    }
    req
}

async fn login(app: &TestApp, csrf: &str, user: &str, password: &str, peer: Option<&str>) -> Resp {
    app.send(login_request(csrf, user, password, "/", peer))
        .await
}

const STRANGER: &str = "203.0.113.66:40000";
const OFFICE: &str = "198.51.100.7:50000";

/// Whether a Location stays on this site.
fn on_site(location: &str) -> bool {
    location.starts_with('/')
        && !location.starts_with("//")
        && !location.starts_with("/\\")
        && !location.contains(['\t', '\r', '\n', '\\'])
}

async fn open_redirect_payloads_stay_on_site(db: TestDb) {
    let app = TestApp::on(db).await;
    let csrf = login_csrf(&app).await;
    for next in OPEN_REDIRECTS {
        let res = app
            .send(login_request(&csrf, "coordinator", PASSWORD, next, None))
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(res.location(), "/", "next={next:?} must not be followed");
        assert!(on_site(res.location()));
        // The form of the sign-in page does not carry it either.
        let page = app
            .get(
                &format!(
                    "/login?{}",
                    serde_urlencoded::to_string([("next", next)]).unwrap()
                ),
                None,
            )
            .await;
        assert!(page.body.contains("name=\"next\" value=\"/\""), "{next:?}");
        // Nor the language switch.
        let res = app
            .post(
                "/account/lang",
                Some("coordinator"),
                &[("lang", "vi"), ("back", next)],
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), "/", "back={next:?} must not be followed");
    }
    for next in GOOD {
        let res = app
            .send(login_request(&csrf, "coordinator", PASSWORD, next, None))
            .await;
        assert_eq!(res.location(), *next, "a local path survives");
        let res = app
            .post(
                "/account/lang",
                Some("coordinator"),
                &[("lang", "vi"), ("back", next)],
                None,
            )
            .await;
        assert_eq!(res.location(), *next);
    }
    app.db.cleanup().await;
}

async fn a_parallel_burst_checks_at_most_the_limit(db: TestDb) {
    let app = TestApp::on(db).await;
    let csrf = login_csrf(&app).await;
    let mut burst = Vec::new();
    for i in 0..24 {
        let router = app.router.clone();
        let req = login_request(&csrf, "leader", &format!("doan-sai-{i}"), "/", None);
        burst.push(tokio::spawn(async move {
            router.oneshot(req).await.unwrap().status()
        }));
    }
    for t in burst {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    // Exactly the limit was counted (and checked); the rest were refused unchecked.
    let now = parindex_store::timestamp_text(jiff::Timestamp::now());
    let lock = app
        .store()
        .throttle_locked("pair", "leader|unknown", &now)
        .await
        .unwrap();
    assert!(lock.is_some(), "the pair is locked");
    let res = login(&app, &csrf, "leader", PASSWORD, None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "refused while locked");
    assert!(res.body.contains("tạm khóa"), "{}", res.body);
    assert!(res.headers.get("set-cookie").is_none(), "no session");
    app.db.cleanup().await;
}

async fn a_stranger_cannot_keep_the_admin_out(db: TestDb) {
    let app = TestApp::on(db).await;
    let csrf = login_csrf(&app).await;
    for _ in 0..12 {
        let res = login(&app, &csrf, "admin", "doan-bua", Some(STRANGER)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // The stranger's own address is locked for that name, even with the right password …
    let res = login(&app, &csrf, "admin", PASSWORD, Some(STRANGER)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("tạm khóa"));
    // … but the admin, from the office, signs in.
    let res = login(&app, &csrf, "admin", PASSWORD, Some(OFFICE)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // X-Forwarded-For is not believed without a trusted proxy: the stranger cannot pose as the
    // office to lock it out.
    for _ in 0..6 {
        let mut req = login_request(&csrf, "leader", "doan-bua", "/", Some(STRANGER));
        req.headers_mut()
            .insert("x-forwarded-for", "198.51.100.7".parse().unwrap());
        app.send(req).await;
    }
    let res = login(&app, &csrf, "leader", PASSWORD, Some(OFFICE)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    app.db.cleanup().await;
}

async fn many_addresses_or_many_names_are_throttled_too(db: TestDb) {
    let mut app = TestApp::on(db).await;
    app.reconfigure(|c| {
        c.throttle.account.limit = 8;
        c.throttle.address.limit = 6;
    });
    let csrf = login_csrf(&app).await;
    // Many addresses against one account: the account's ceiling.
    for i in 0..8 {
        let peer = format!("203.0.113.{}:4000", 10 + i / 3);
        login(&app, &csrf, "leader", "doan-bua", Some(&peer)).await;
    }
    let res = login(&app, &csrf, "leader", PASSWORD, Some(OFFICE)).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "the account is locked"
    );
    assert!(res.body.contains("tạm khóa"));
    // The administrators see it on the users page.
    let page = app.get("/users?q=leader", Some("admin")).await;
    assert!(page.body.contains("Đang bị khóa"), "{}", page.body);
    // One address against many names: the address's ceiling.
    for name in ["a1", "b2", "c3", "d4", "e5", "f6"] {
        login(&app, &csrf, name, "doan-bua", Some(STRANGER)).await;
    }
    let res = login(&app, &csrf, "agency", PASSWORD, Some(STRANGER)).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "the address is locked"
    );
    let res = login(&app, &csrf, "agency", PASSWORD, Some(OFFICE)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "other addresses are not");
    app.db.cleanup().await;
}

/// The page without what differs by request: CSRF tokens and the name typed.
fn normalised(body: &str, name: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(i) = rest.find("name=\"_csrf\" value=\"") {
        let start = i + "name=\"_csrf\" value=\"".len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(0);
        out.push_str("TOKEN");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.replace(&format!("value=\"{name}\""), "value=\"NAME\"")
}

async fn unknown_users_get_the_same_answer_in_the_same_time(db: TestDb) {
    let app = TestApp::on(db).await;
    // An inactive user too.
    let (id, _, _) = app.sessions["appraiser"];
    let input = parindex_store::UserInput {
        username: "appraiser".into(),
        display_name: "Người dùng appraiser".into(),
        role: parindex_domain::access::Role::Appraiser,
        unit: None,
        lang: "vi".into(),
        active: false,
    };
    app.store().update_user(id, &input, "admin").await.unwrap();
    let csrf = login_csrf(&app).await;
    // Warm up (the dummy hash is made on first use).
    login(&app, &csrf, "khong-co-ai", "x", Some("192.0.2.1:1")).await;
    // The fastest of several tries of each kind: what a request costs without the noise of
    // other work on the machine (a loaded CI machine once made a sum of three tries fail).
    let mut real = Duration::MAX;
    let mut unknown = Duration::MAX;
    let mut pages = Vec::new();
    for round in 0..5 {
        for (who, name) in [(0, "leader"), (1, "khong-ton-tai"), (2, "appraiser")] {
            // A fresh address each time, so no lock gets in the way.
            let peer = format!("192.0.2.{}:1", 10 + round * 3 + who);
            let t = Instant::now();
            let res = login(&app, &csrf, name, "mat-khau-sai", Some(&peer)).await;
            let took = t.elapsed();
            match who {
                0 => real = real.min(took),
                _ => unknown = unknown.min(took),
            }
            pages.push((res.status, normalised(&res.body, name)));
        }
    }
    for (status, body) in &pages {
        assert_eq!(*status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, &pages[0].1, "the same page for every name");
    }
    assert!(
        unknown * 2 >= real,
        "unknown names take at least {unknown:?} against {real:?} for a real one"
    );
    // Locked: the same answer for a real account and an unknown name.
    let mut locked = Vec::new();
    for name in ["leader", "khong-ton-tai"] {
        let mut last = None;
        for _ in 0..6 {
            last = Some(login(&app, &csrf, name, "mat-khau-sai", Some(STRANGER)).await);
        }
        let res = last.unwrap();
        assert!(res.body.contains("tạm khóa"), "{name}");
        locked.push((res.status, normalised(&res.body, name)));
    }
    assert_eq!(locked[0].0, locked[1].0);
    // The lock's end is shown to the minute; both were locked within the same few seconds.
    let strip_time = |s: &str| s.split("Thử lại sau").next().unwrap_or("").to_string();
    assert_eq!(strip_time(&locked[0].1), strip_time(&locked[1].1));
    app.db.cleanup().await;
}

async fn changing_the_password_counts_towards_the_throttle(db: TestDb) {
    let app = TestApp::on(db).await;
    let change = |current: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/account/password",
                Some("leader"),
                &[
                    ("current", current),
                    ("new", "mat-khau-moi-123"),
                    ("confirm", "mat-khau-moi-123"),
                ],
                None,
            )
            .await
        }
    };
    for _ in 0..5 {
        let res = change("doan-bua").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = change(PASSWORD).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused while locked"
    );
    assert!(
        res.body.contains("Tạm khóa do nhập sai mật khẩu"),
        "{}",
        res.body
    );
    let (_, hash) = app
        .store()
        .user_by_username("leader")
        .await
        .unwrap()
        .unwrap();
    assert!(
        parindex_web::auth::verify_password(PASSWORD, &hash),
        "unchanged"
    );
    // The same counter as signing in from there.
    let csrf = login_csrf(&app).await;
    let res = login(&app, &csrf, "leader", PASSWORD, None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // Another user is not affected; a right current password works and clears the count.
    let res = app
        .post(
            "/account/password",
            Some("agency"),
            &[
                ("current", PASSWORD),
                ("new", "mat-khau-moi-456"),
                ("confirm", "mat-khau-moi-456"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    app.db.cleanup().await;
}

async fn sessions_end_at_their_absolute_lifetime(db: TestDb) {
    let app = TestApp::on(db).await;
    let (id, _, _) = app.sessions["coordinator"];
    let now = jiff::Timestamp::now();
    let session = |token: &str, hours_ago: i64| {
        let store = app.store().clone();
        let token = token.to_string();
        async move {
            store
                .create_session_at(
                    &parindex_store::Session {
                        token_hash: parindex_web::auth::token_hash(&token),
                        user_id: id,
                        csrf_token: "c".into(),
                        // Still fresh as far as idleness goes.
                        expires_at: "2099-01-01T00:00:00Z".into(),
                    },
                    &parindex_store::timestamp_text(
                        now - jiff::SignedDuration::from_hours(hours_ago),
                    ),
                )
                .await
                .unwrap();
        }
    };
    let old = "a".repeat(64);
    let young = "b".repeat(64);
    session(&old, 13).await;
    session(&young, 11).await;
    let get = |token: &str| {
        Request::get("/units")
            .header("cookie", format!("parindex_session={token}"))
            .body(Body::empty())
            .unwrap()
    };
    let res = app.send(get(&old)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login?next=%2Funits&expired=1");
    assert_eq!(app.send(get(&young)).await.status, StatusCode::OK);
    // The housekeeping removes it from the database.
    let state = parindex_web::AppState::new(app.store().clone());
    let task = parindex_web::spawn_housekeeping(state);
    let hash = parindex_web::auth::token_hash(&old);
    let mut gone = false;
    for _ in 0..100 {
        let left = app
            .store()
            .session(&hash, "2000-01-01T00:00:00Z", "1970-01-01T00:00:00Z")
            .await
            .unwrap();
        if left.is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    assert!(gone, "the old session was purged");
    assert_eq!(app.send(get(&young)).await.status, StatusCode::OK);
    // A fresh sign-in's cookie lives no longer than the absolute lifetime.
    let csrf = login_csrf(&app).await;
    let res = login(&app, &csrf, "coordinator", PASSWORD, None).await;
    let cookie = res.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("Max-Age=28800"), "{cookie}");
    app.db.cleanup().await;
}

async fn https_comes_from_configuration_not_from_headers(db: TestDb) {
    let mut app = TestApp::on(db).await;
    let login_page = |proto: Option<&str>, peer: Option<&str>| {
        let mut b = Request::get("/login");
        if let Some(p) = proto {
            b = b.header("x-forwarded-proto", p);
        }
        let mut req = b.body(Body::empty()).unwrap();
        if let Some(p) = peer {
            req.extensions_mut()
                .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        req
    };
    let cookie = |r: &Resp| {
        r.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    // By default a forwarded scheme is a client's claim: ignored.
    let res = app.send(login_page(Some("https"), Some(STRANGER))).await;
    assert!(!cookie(&res).contains("Secure"), "{}", cookie(&res));
    assert!(res.headers.get("strict-transport-security").is_none());
    // From a trusted proxy it counts.
    app.reconfigure(|c| {
        c.trusted_proxies = vec![parindex_web::client::ProxyNet::parse("127.0.0.1").unwrap()];
    });
    let res = app
        .send(login_page(Some("https"), Some("127.0.0.1:9000")))
        .await;
    assert!(cookie(&res).contains("; Secure"));
    let res = app.send(login_page(Some("https"), Some(STRANGER))).await;
    assert!(!cookie(&res).contains("Secure"), "not from anyone else");
    // An https public URL: always Secure, and HSTS on every response.
    app.reconfigure(|c| {
        c.public_url =
            Some(parindex_web::public_origin("https://parindex.bacgiang.gov.vn/").unwrap());
    });
    let res = app.send(login_page(None, None)).await;
    assert!(cookie(&res).contains("; Secure"));
    assert_eq!(
        res.headers.get("strict-transport-security").unwrap(),
        "max-age=31536000; includeSubDomains"
    );
    let csrf = login_csrf(&app).await;
    let res = login(&app, &csrf, "leader", PASSWORD, None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(cookie(&res).starts_with("parindex_session=") && cookie(&res).contains("; Secure"));
    assert!(res.headers.get("strict-transport-security").is_some());
    // A plain-http public URL sends no HSTS.
    app.reconfigure(|c| {
        c.public_url = Some(parindex_web::public_origin("http://10.0.0.5:8080").unwrap());
    });
    let res = app.send(login_page(None, None)).await;
    assert!(res.headers.get("strict-transport-security").is_none());
    assert!(!cookie(&res).contains("Secure"));
    app.db.cleanup().await;
}

#[test]
fn public_urls_are_origins() {
    assert_eq!(
        parindex_web::public_origin("https://ParIndex.BacGiang.gov.vn/").unwrap(),
        "https://parindex.bacgiang.gov.vn"
    );
    assert_eq!(
        parindex_web::public_origin("http://10.0.0.5:8080").unwrap(),
        "http://10.0.0.5:8080"
    );
    for bad in [
        "parindex.bacgiang.gov.vn",
        "ftp://x",
        "https://",
        "https://x/parindex",
        "https://x?y",
        "https://u@x",
    ] {
        assert!(parindex_web::public_origin(bad).is_err(), "{bad}");
    }
}

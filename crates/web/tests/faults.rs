//! Faults as users see them, over HTTP: a full database answers 507 with a clear page (and JSON
//! for the API) and stores nothing; PostgreSQL connections terminated in the middle of a request
//! (`pg_terminate_backend`) give a 503 page, and the next requests succeed on their own; a
//! PostgreSQL that cannot be reached at all gives 503 pages quickly and `/health` says so, and
//! the server recovers when it can connect again. (A full evidence folder and a read-only SQLite
//! file are tested with the real binary: `crates/cli/tests/faults.rs`.)

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp};
use jiff::civil::date;
use parindex_domain::assessment::{ClassBands, Deadlines};
use parindex_store::assessments::NewRound;
use parindex_store::testing::TestDb;
use parindex_store::{ConnectOptions, Store};
use parindex_web::{router, AppState, WebConfig};
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

const ROUND: &str = "so-nganh-2021";
const FULL_VI: &str = "Cơ sở dữ liệu đã hết chỗ lưu trữ: không có gì được lưu.";
const FULL_EN: &str = "The database is full: nothing was saved.";
const DOWN_VI: &str = "Tạm thời không kết nối được cơ sở dữ liệu: không có gì được lưu.";
const DOWN_EN: &str = "The database cannot be reached right now: nothing was saved.";

/// The sample department criteria set and an open round of Sở Tư pháp (self-scoring until
/// 30/12/2021; the tests' clock says 15/8/2021).
async fn open_round(s: &Store) {
    let e = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap();
    s.save_edition(&e, "seed").await.unwrap();
    s.create_round(
        &NewRound {
            id: ROUND.into(),
            name: "Đánh giá các sở 2021 (MẪU)".into(),
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

/// The application on `store` with the tests' settings and evidence in `evidence`.
fn app_on(store: &Store, evidence: &Path) -> axum::Router {
    router(AppState {
        store: store.clone(),
        config: WebConfig {
            login_delay_ms: 1,
            evidence_dir: evidence.to_path_buf(),
            ..WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(date(2021, 8, 15)),
    })
}

fn cookie(app: &TestApp, role: &str) -> String {
    format!("parindex_session={}", app.sessions[role].1)
}

/// An evidence upload (multipart, the CSRF token in the query as the page's form sends it).
async fn upload(app: &TestApp, role: &str, name: &str, bytes: &[u8]) -> Resp {
    let boundary = "----parindex-faults";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{name}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!(
        "/assessments/{ROUND}/units/so-tu-phap/items/1.1.1/evidence?_csrf={}",
        app.csrf(role)
    ))
    .header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    )
    .header(header::COOKIE, cookie(app, role))
    .body(Body::from(body))
    .unwrap();
    app.send(req).await
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// What an upload or a unit's change could store.
#[derive(Debug, PartialEq)]
struct Stored {
    evidence: usize,
    files: Vec<PathBuf>,
    unit_head: Option<String>,
    audit_newest: Option<i64>,
}

async fn stored(s: &Store, evidence: &Path) -> Stored {
    Stored {
        evidence: s.unit_evidence(None).await.unwrap().len(),
        files: files_under(evidence),
        unit_head: s.unit("so-tu-phap").await.unwrap().unwrap().head_title,
        audit_newest: s
            .audit_log(&parindex_store::AuditFilter {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .first()
            .map(|a| a.id),
    }
}

async fn a_full_database_answers_507_and_stores_nothing(db: TestDb) {
    let mut app = TestApp::on(db).await;
    open_round(app.store()).await;
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    let full = app.db.full_store(4).await.unwrap();
    app.router = app_on(&full, &evidence);
    // Evidence uploads until the database is full: each one before is stored (303, its record
    // and its file); the one refused is a 507 page that says so, and stores nothing.
    let mut refused = false;
    for i in 0..500 {
        let before = stored(&full, &evidence).await;
        let pdf = format!("%PDF-1.4\n% minh chung {i}\n%%EOF\n");
        let res = upload(&app, "agency", &format!("mc-{i}.pdf"), pdf.as_bytes()).await;
        let after = stored(&full, &evidence).await;
        if res.status == StatusCode::SEE_OTHER {
            assert_eq!(after.evidence, before.evidence + 1);
            assert_eq!(after.files.len(), before.files.len() + 1);
            continue;
        }
        assert_eq!(res.status, StatusCode::INSUFFICIENT_STORAGE, "{}", res.body);
        assert!(
            res.body.contains(FULL_VI) && res.body.contains(FULL_EN),
            "{}",
            res.body
        );
        assert!(!res.body.contains("SQLITE") && !res.body.contains("53100"));
        assert_eq!(after, before, "upload {i}: something stored");
        refused = true;
        break;
    }
    assert!(refused, "the database never filled up");
    // The API: a unit's change refused with 507 and a JSON error, nothing changed.
    let mut refused = false;
    for i in 0..500 {
        let before = stored(&full, &evidence).await;
        let res = app
            .put_json(
                "/api/v1/units/so-tu-phap",
                "agency",
                &format!(r#"{{"head_title":"Giám đốc {i}"}}"#),
                true,
            )
            .await;
        if res.status == StatusCode::OK {
            continue;
        }
        assert_eq!(res.status, StatusCode::INSUFFICIENT_STORAGE, "{}", res.body);
        let json: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        assert!(
            json["error"].as_str().unwrap().starts_with(FULL_EN),
            "{}",
            res.body
        );
        assert_eq!(stored(&full, &evidence).await, before, "change {i}");
        refused = true;
        break;
    }
    assert!(refused, "the database never filled up");
    // Reading goes on.
    assert_eq!(
        app.get("/", Some("coordinator")).await.status,
        StatusCode::OK
    );
    let evidence_page = app
        .get(
            &format!("/assessments/{ROUND}/units/so-tu-phap/items/1.1.1"),
            Some("agency"),
        )
        .await;
    assert_eq!(evidence_page.status, StatusCode::OK);
    full.close().await;
    app.db.cleanup().await;
}

#[tokio::test]
async fn sqlite_a_full_database_answers_507_and_stores_nothing() {
    a_full_database_answers_507_and_stores_nothing(TestDb::sqlite().await.unwrap()).await;
}

#[tokio::test]
async fn postgres_a_full_database_answers_507_and_stores_nothing() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => a_full_database_answers_507_and_stores_nothing(db).await,
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

fn is_unavailable_page(res: &Resp) -> bool {
    res.status == StatusCode::SERVICE_UNAVAILABLE
        && res.body.contains(DOWN_VI)
        && res.body.contains(DOWN_EN)
        && res.headers.get(header::RETRY_AFTER).is_some()
}

/// A connection of its own to the test database, outside the application's pool.
async fn admin(db: &TestDb) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(&db.url()).await.unwrap()
}

/// Terminate every other connection to the test database; how many.
async fn terminate_others(c: &mut sqlx::PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(c)
    .await
    .unwrap()
}

/// A request of the application is blocked (here, behind a lock the test holds) when its
/// connection is terminated: it gets the 503 page, promptly; the next requests succeed with new
/// connections, and an idle connection terminated is replaced before it is handed out.
#[tokio::test]
async fn postgres_connections_terminated_mid_request_give_503_then_recover() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    let app = TestApp::on(db).await;
    assert_eq!(
        app.get("/", Some("coordinator")).await.status,
        StatusCode::OK
    );
    let mut c = admin(&app.db).await;
    // Every request reads its session first: hold the sessions table.
    c.execute("BEGIN").await.unwrap();
    c.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // The session and the page kept in memory (parindex_web::cache) would answer without it.
    app.store().clear_cache();
    let req = Request::get("/")
        .header(header::COOKIE, cookie(&app, "coordinator"))
        .body(Body::empty())
        .unwrap();
    let pending = tokio::spawn(app.router.clone().oneshot(req));
    // Wait until the request is blocked in the database.
    let waited = Instant::now();
    loop {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        if blocked > 0 {
            break;
        }
        assert!(waited.elapsed() < Duration::from_secs(20), "never blocked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cut = Instant::now();
    assert!(terminate_others(&mut c).await >= 1);
    let res = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("the request hangs")
        .unwrap()
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = {
        use http_body_util::BodyExt;
        let b = res.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8_lossy(&b).into_owned()
    };
    let resp = Resp {
        status,
        headers,
        body,
    };
    assert!(is_unavailable_page(&resp), "{} {}", resp.status, resp.body);
    eprintln!("503 after the termination in {:?}", cut.elapsed());
    c.execute("ROLLBACK").await.unwrap();
    // The server recovers on its own: the next requests are served.
    for _ in 0..5 {
        assert_eq!(
            app.get("/", Some("coordinator")).await.status,
            StatusCode::OK
        );
    }
    // Idle connections terminated between requests are replaced before they are handed out.
    assert!(terminate_others(&mut c).await >= 1);
    app.store().clear_cache();
    for role in ["coordinator", "agency", "admin", "leader"] {
        assert_eq!(
            app.get("/", Some(role)).await.status,
            StatusCode::OK,
            "{role}"
        );
    }
    let _ = c.close().await;
    app.db.cleanup().await;
}

/// A TCP relay between the application and PostgreSQL that the test can cut (every relayed
/// connection closed, new ones refused: nothing listens on its port) and restore.
struct Relay {
    port: u16,
    upstream: String,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Relay {
    async fn start(upstream: String) -> Arc<Relay> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let relay = Arc::new(Relay {
            port,
            upstream,
            task: std::sync::Mutex::new(None),
        });
        relay.serve(listener);
        relay
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                conns.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        *self.task.lock().unwrap() = Some(task);
    }

    /// Close every relayed connection and stop listening.
    async fn cut(&self) {
        let task = self.task.lock().unwrap().take();
        if let Some(t) = task {
            t.abort();
            let _ = t.await;
        }
    }

    /// Listen again on the same port.
    async fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

/// `postgres://user@host:port/db?…` → (`host:port`, the same URL through `127.0.0.1:relay`).
fn relayed(url: &str, relay_port: u16) -> (String, String) {
    let start = url.find("://").unwrap() + 3;
    let host_start = url[start..]
        .find('@')
        .map(|i| start + i + 1)
        .unwrap_or(start);
    let host_end = url[host_start..]
        .find(['/', '?'])
        .map(|i| host_start + i)
        .unwrap_or(url.len());
    let host = &url[host_start..host_end];
    let upstream = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    let through = format!(
        "{}127.0.0.1:{relay_port}{}",
        &url[..host_start],
        &url[host_end..]
    );
    (upstream, through)
}

/// PostgreSQL cannot be reached at all (its address refuses connections): pages answer 503
/// within the connection timeout rather than hang, `/health` answers 503 at once; when
/// PostgreSQL is reachable again, the same server serves again without a restart.
#[tokio::test]
async fn postgres_out_of_reach_gives_503_quickly_and_the_server_recovers() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    let mut app = TestApp::on(db).await;
    let relay = Relay::start(relayed(&app.db.url(), 0).0).await;
    let (_, through) = relayed(&app.db.url(), relay.port);
    let timeout = Duration::from_secs(2);
    let store = Store::connect_with(
        &through,
        &ConnectOptions {
            acquire_timeout: timeout,
            ..ConnectOptions::default()
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    app.router = app_on(&store, &dir.path().join("evidence"));
    assert_eq!(
        app.get("/", Some("coordinator")).await.status,
        StatusCode::OK
    );
    let health = app.get("/health", None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    relay.cut().await;
    // The pages and sessions kept in memory (crate::cache) would answer without the database.
    store.clear_cache();
    for role in ["coordinator", "agency"] {
        let start = Instant::now();
        let res = app.get("/", Some(role)).await;
        let took = start.elapsed();
        assert!(is_unavailable_page(&res), "{} {}", res.status, res.body);
        assert!(took < timeout + Duration::from_secs(3), "{took:?}");
        eprintln!("503 for {role} in {took:?}");
    }
    let start = Instant::now();
    let health = app.get("/health", None).await;
    assert_eq!(
        health.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        health.body
    );
    let json: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(json["status"], "unavailable");
    assert_eq!(json["database"], "postgres");
    assert!(start.elapsed() < Duration::from_secs(4));
    // A write refused the same way, nothing half done.
    let res = app
        .post(
            "/units/so-tu-phap",
            Some("agency"),
            &[("name_vi", "Sở Tư pháp")],
            None,
        )
        .await;
    assert!(is_unavailable_page(&res), "{} {}", res.status, res.body);
    // The API, signed in by its session cookie, answers in JSON, not with the page.
    let res = app.get("/api/v1/units", Some("coordinator")).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert!(res.headers.get(header::RETRY_AFTER).is_some());
    let json: serde_json::Value =
        serde_json::from_str(&res.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", res.body));
    assert!(json["error"].is_string(), "{json}");
    relay.restore().await;
    let start = Instant::now();
    assert_eq!(
        app.get("/", Some("coordinator")).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
    eprintln!(
        "served again {:?} after PostgreSQL came back",
        start.elapsed()
    );
    store.close().await;
    relay.cut().await;
    app.db.cleanup().await;
}

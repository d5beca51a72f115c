//! Every file of the hostile-file corpus (`parindex_interchange::hostile`) through every upload
//! route that parses a file, as the role that may use it: each gets a clear 4xx page, nothing is
//! stored (the audit log, which every change writes to, is unchanged), and the server keeps
//! answering. The 1.6 KB dimension bomb, posted by the agency user to the
//! self-assessment import, is refused naming the cell, in Vietnamese. With the self-scoring and
//! explanation stages closed, the upload is refused before it is read. SQLite always; PostgreSQL
//! when `TEST_DATABASE_URL` is set.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp};
use jiff::civil::date;
use parindex_domain::assessment::{ClassBands, Deadlines};
use parindex_interchange::hostile::{self, Case};
use parindex_store::assessments::NewRound;
use parindex_store::testing::TestDb;
use parindex_store::AuditFilter;

const ROUND: &str = "so-nganh-2021";
const BOUNDARY: &str = "----parindex-hostile";

fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    app: &TestApp,
    path: &str,
    role: &str,
    fields: &[(&str, &str)],
    file_name: &str,
    bytes: &[u8],
) -> Resp {
    let sep = if path.contains('?') { '&' } else { '?' };
    let req = Request::post(format!("{path}{sep}_csrf={}", app.csrf(role)))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions[role].1),
        )
        .body(Body::from(multipart(fields, file_name, bytes)))
        .unwrap();
    app.send(req).await
}

async fn audit_count(app: &TestApp) -> usize {
    app.store()
        .audit_log(&AuditFilter::default())
        .await
        .unwrap()
        .len()
}

/// The test app with the sample department criteria set and a round of Sở Tư pháp open for
/// self-scoring on the app's date (15/8/2021).
async fn setup(db: TestDb) -> TestApp {
    let app = TestApp::on(db).await;
    let s = app.store().clone();
    let e = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap();
    s.save_edition(&e, "seed").await.unwrap();
    s.create_round(
        &NewRound {
            id: ROUND.into(),
            name: "Đánh giá sở, ngành 2021 (MẪU)".into(),
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
    app
}

/// (route, role, extra fields) of every upload that parses a file.
/// A route, the role that may use it, and its form's other fields.
type Route = (String, &'static str, Vec<(&'static str, &'static str)>);

fn routes() -> Vec<Route> {
    vec![
        (
            format!("/assessments/{ROUND}/units/so-tu-phap/import"),
            "agency",
            vec![],
        ),
        (
            "/results/import".into(),
            "coordinator",
            vec![("edition", "par-2020-province")],
        ),
        (
            "/editions/par-2020-province/import".into(),
            "coordinator",
            vec![],
        ),
        ("/indicators/import".into(), "coordinator", vec![]),
        ("/plans/import".into(), "coordinator", vec![]),
        (
            "/dossiers".into(),
            "coordinator",
            vec![("as_of", "2021-08-15"), ("mode", "check")],
        ),
        (
            "/dossiers".into(),
            "coordinator",
            vec![("as_of", "2021-08-15"), ("mode", "import")],
        ),
    ]
}

async fn every_case_through_every_route(app: TestApp) {
    let before = audit_count(&app).await;
    let cases: &[Case] = hostile::corpus();
    assert!(cases.len() >= 30, "{}", cases.len());
    for (path, role, fields) in routes() {
        for c in cases {
            let r = upload(&app, &path, role, &fields, &c.file_name(), &c.bytes).await;
            assert!(
                r.status.is_client_error(),
                "{path} {}: {} {}",
                c.file_name(),
                r.status,
                &r.body[..r.body.len().min(400)]
            );
            // A page with navigation, not a bare error (every refusal is a whole page).
            assert!(
                r.body.contains("<html") || r.status == StatusCode::PAYLOAD_TOO_LARGE,
                "{path} {}: {}",
                c.file_name(),
                &r.body[..r.body.len().min(400)]
            );
            let health = app.get("/health", None).await;
            assert_eq!(
                health.status,
                StatusCode::OK,
                "after {path} {}",
                c.file_name()
            );
        }
    }
    assert_eq!(audit_count(&app).await, before, "something was stored");
}

async fn the_dimension_bomb_from_the_agency_user(app: TestApp) {
    let bomb = hostile::corpus()
        .iter()
        .find(|c| c.name == "dimension-bomb")
        .unwrap();
    assert!(bomb.bytes.len() < 2_500);
    let r = upload(
        &app,
        &format!("/assessments/{ROUND}/units/so-tu-phap/import"),
        "agency",
        &[],
        "tu-cham.xlsx",
        &bomb.bytes,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The page names the file, the sheet and the row or cell beyond the limit, in Vietnamese.
    assert!(r.body.contains("tu-cham.xlsx"), "{}", r.body);
    // (The catalogue's sentence for a row or a column beyond the limit, up to the row or cell.)
    let sheet = |key: &str| {
        parindex_web::i18n::t(parindex_web::i18n::Lang::Vi, key)
            .split(": ")
            .next()
            .unwrap_or_default()
            .replace("{sheet}", "Sheet1")
    };
    assert!(
        r.body.contains(&sheet("refusal.xlsx.too_many_rows"))
            || r.body.contains(&sheet("refusal.xlsx.too_many_columns")),
        "{}",
        r.body
    );
    assert!(r.body.contains("1048576"), "{}", r.body);
    // The coordinator's results import and dossier check refuse it too.
    let r = upload(
        &app,
        "/results/import",
        "coordinator",
        &[("edition", "par-2020-province")],
        "ket-qua.xlsx",
        &bomb.bytes,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("1048576"), "{}", r.body);
    let r = upload(
        &app,
        "/dossiers",
        "coordinator",
        &[("as_of", "2021-08-15"), ("mode", "check")],
        "ho-so.xlsx",
        &bomb.bytes,
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
}

async fn a_closed_stage_refuses_before_reading(app: TestApp) {
    // On 15/1/2022 self-scoring (30/12) and explanation (7/1) are both closed.
    let mut app = app;
    app.router = parindex_web::router(parindex_web::AppState {
        store: app.store().clone(),
        config: parindex_web::WebConfig {
            login_delay_ms: 1,
            ..parindex_web::WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(date(2022, 1, 15)),
    });
    let bomb = hostile::corpus()
        .iter()
        .find(|c| c.name == "dimension-bomb")
        .unwrap();
    let r = upload(
        &app,
        &format!("/assessments/{ROUND}/units/so-tu-phap/import"),
        "agency",
        &[],
        "tu-cham.xlsx",
        &bomb.bytes,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // Refused for the stage, not for the file: the file was never read.
    assert!(!r.body.contains("1048576"), "{}", r.body);
}

#[tokio::test]
async fn hostile_files_on_sqlite() {
    every_case_through_every_route(setup(TestDb::sqlite().await.unwrap()).await).await;
}

#[tokio::test]
async fn hostile_files_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    every_case_through_every_route(setup(db).await).await;
}

#[tokio::test]
async fn dimension_bomb_on_sqlite() {
    the_dimension_bomb_from_the_agency_user(setup(TestDb::sqlite().await.unwrap()).await).await;
}

#[tokio::test]
async fn dimension_bomb_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        return;
    };
    the_dimension_bomb_from_the_agency_user(setup(db).await).await;
}

#[tokio::test]
async fn closed_stage_on_sqlite() {
    a_closed_stage_refuses_before_reading(setup(TestDb::sqlite().await.unwrap()).await).await;
}

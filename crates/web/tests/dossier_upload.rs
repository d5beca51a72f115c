//! The dossier upload on `/dossiers` over HTTP: the coordinator checks a file (nothing stored)
//! and imports it (the rates and the agency's late dossiers appear, the notice says what was
//! imported, the import is audited under the user's login), a re-upload of the month replaces
//! it; a bad row names its line and stores nothing; other file types, files over the limit,
//! missing CSRF and other roles are refused. A checked file is staged and imported by "Nhập tệp
//! này" without being uploaded again, by its own user only, once, within its time. SQLite always;
//! PostgreSQL when `TEST_DATABASE_URL` is set.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp, PASSWORD, ROLES};
use parindex_domain::access::Role;
use parindex_store::testing::TestDb;
use parindex_store::{AuditFilter, Session, UserInput};
use parindex_web::pages::dossier_upload::staging_dir;
use parindex_web::{router, AppState, WebConfig};

const HEADER: &str =
    "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n";

/// July 2021 (the app's clock says 15/8/2021): Sở Tư pháp, once by name and once by slug, one
/// early, one late (TP-LATE) and one pending past its due date (TP-OPEN); Sở Tài chính one on
/// time; an agency that is no unit of the province, one early.
fn july() -> String {
    format!(
        "{HEADER}\
         TP-EARLY,Sở Tư pháp,1.001,province,3,2021-07-01T08:00:00+07:00,2021-07-09,,2021-07-05T10:00:00+07:00,closed\n\
         TP-LATE,so-tu-phap,1.001,province,3,2021-07-02T08:00:00+07:00,2021-07-09,,2021-07-13T10:00:00+07:00,closed\n\
         TP-OPEN,so-tu-phap,1.002,province,4,2021-07-05T08:00:00+07:00,2021-07-20,,,processing\n\
         TC-1,Sở Tài chính,2.001,province,2,2021-07-06T08:00:00+07:00,2021-07-12,,2021-07-12T16:00:00+07:00,closed\n\
         BQL-1,Ban Quản lý các khu công nghiệp,3.001,province,2,2021-07-07T08:00:00+07:00,2021-07-14,,2021-07-08T09:00:00+07:00,closed\n"
    )
}

/// A due date before the day received, at line 3.
fn with_bad_row() -> String {
    format!(
        "{HEADER}\
         TP-A,so-tu-phap,1.001,province,3,2021-07-01T08:00:00+07:00,2021-07-09,,2021-07-05T10:00:00+07:00,closed\n\
         TP-B,so-tu-phap,1.001,province,3,2021-07-12T08:00:00+07:00,2021-07-09,,2021-07-13T10:00:00+07:00,closed\n\
         TP-C,so-tu-phap,1.001,province,3,2021-07-12T08:00:00+07:00,2021-07-19,,2021-07-13T10:00:00+07:00,closed\n"
    )
}

/// The form's fields (the file is given apart).
#[derive(Default)]
struct Fields<'a> {
    mode: &'a str,
    as_of: &'a str,
    sample: bool,
    skip_bad_rows: bool,
    columns: &'a str,
}

const BOUNDARY: &str = "----parindex-dossier-upload";

fn multipart(file_name: &str, content: &[u8], f: &Fields<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut text = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    text("as_of", f.as_of);
    if f.sample {
        text("sample", "1");
    }
    if f.skip_bad_rows {
        text("skip_bad_rows", "1");
    }
    text("columns", f.columns);
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(b"\r\n");
    // The button pressed comes last, as browsers send it.
    if !f.mode.is_empty() {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{}\r\n",
                f.mode
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// `POST /dossiers` as `role`, with the role's CSRF token unless `csrf` says otherwise.
async fn upload_as(
    app: &TestApp,
    role: &str,
    csrf: Option<&str>,
    file_name: &str,
    content: &[u8],
    f: &Fields<'_>,
) -> Resp {
    let token = csrf.map(str::to_string).unwrap_or_else(|| app.csrf(role));
    let path = if token.is_empty() {
        "/dossiers".to_string()
    } else {
        format!("/dossiers?_csrf={token}")
    };
    let req = Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions[role].1),
        )
        .body(Body::from(multipart(file_name, content, f)))
        .unwrap();
    app.send(req).await
}

async fn upload(app: &TestApp, file_name: &str, content: &str, f: &Fields<'_>) -> Resp {
    upload_as(app, "coordinator", None, file_name, content.as_bytes(), f).await
}

const CHECK: Fields<'static> = Fields {
    mode: "check",
    as_of: "",
    sample: false,
    skip_bad_rows: false,
    columns: "",
};
const IMPORT: Fields<'static> = Fields {
    mode: "import",
    as_of: "",
    sample: false,
    skip_bad_rows: false,
    columns: "",
};

/// The text of the table row with this id.
fn row<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id} in {body}"));
    let end = body[start..]
        .find("</tr>")
        .map_or(body.len(), |e| start + e);
    &body[start..end]
}

/// The numbers of a table row, in order.
fn numbers(row: &str) -> Vec<String> {
    row.split("<td class=\"num")
        .skip(1)
        .map(|cell| {
            let from = cell.find('>').map_or(0, |i| i + 1);
            let to = cell.find("</td>").unwrap_or(cell.len());
            cell[from..to].trim().to_string()
        })
        .collect()
}

async fn imports(app: &TestApp) -> usize {
    app.store()
        .audit_log(&AuditFilter {
            entity: Some("dossier_import".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

async fn story(app: TestApp) {
    // The form, with today by the app's clock.
    let page = app.get("/dossiers", Some("coordinator")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"dossier-upload\""));
    // Typed as dd/mm/yyyy whatever the browser's locale (a text field, not a date field).
    assert!(page.body.contains(
        "name=\"as_of\" type=\"text\" inputmode=\"numeric\" placeholder=\"dd/mm/yyyy\" autocomplete=\"off\" value=\"15/08/2021\""
    ));
    assert!(page.body.contains("Tải lên tệp xuất từ phần mềm một cửa"));
    assert!(
        page.body.contains("id=\"dossiers-cli-note\""),
        "the CLI as a note"
    );
    assert!(page.body.contains("512 MiB"));

    // Check: the summary, nothing stored.
    let res = upload(&app, "thang-7.csv", &july(), &CHECK).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("id=\"dossier-check\""));
    for (id, value) in [
        ("check-rows", "5"),
        ("check-cells", "3"),
        ("check-months", "2021-07"),
        ("check-late", "1"),
        ("check-pending-overdue", "1"),
        ("check-bad-rows", "0"),
    ] {
        assert!(
            res.body.contains(&format!("id=\"{id}\">{value}</dd>")),
            "{id} = {value}: {}",
            res.body
        );
    }
    assert!(res.body.contains("1: Ban Quản lý các khu công nghiệp"));
    assert!(app.store().dossier_cells().await.unwrap().is_empty());
    assert_eq!(imports(&app).await, 0, "a check stores nothing");

    // Import: PRG to the notice; the rates and the late dossiers appear.
    let res = upload(&app, "thang-7.csv", &july(), &IMPORT).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with("/dossiers?import="));
    let page = app.get(res.location(), Some("coordinator")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(
            "Đã nhập thang-7.csv: 5 hồ sơ, 3 ô cơ quan × tháng (2021-07); 1 hồ sơ đã kết thúc quá hạn và 1 hồ sơ chưa kết thúc quá hạn tính đến 15/08/2021."
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 cơ quan không phải đơn vị của tỉnh"));
    // Sở Tư pháp: received 3, resolved 2, early 1, on time 0, late 1, pending 1, overdue 1.
    assert_eq!(
        numbers(row(&page.body, "agency-so-tu-phap"))[..7],
        ["3", "2", "1", "0", "1", "1", "1"]
    );
    assert_eq!(numbers(row(&page.body, "agency-total"))[0], "5");
    let list = app.get("/dossiers/so-tu-phap", Some("coordinator")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("TP-LATE") && list.body.contains("TP-OPEN"));
    assert!(!list.body.contains("TP-EARLY"));
    let list = app.get("/dossiers/so-tu-phap", Some("agency")).await;
    assert!(
        list.body.contains("TP-LATE"),
        "the agency sees its own list"
    );
    let audit = app
        .store()
        .audit_log(&AuditFilter {
            entity: Some("dossier_import".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "coordinator", "the signed-in user's login");
    // The notice is the importer's own: someone else's import id shows none.
    let other = app.get(res.location(), Some("leader")).await;
    assert!(!other.body.contains("Đã nhập thang-7.csv"));

    // Again: the month is replaced, not added to.
    let res = upload(&app, "thang-7-lan-2.csv", &july(), &IMPORT).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let cells = app.store().dossier_cells().await.unwrap();
    assert_eq!(cells.len(), 3);
    assert_eq!(cells.iter().map(|c| c.cell.counts.received).sum::<u64>(), 5);
    assert_eq!(
        app.store()
            .overdue_dossiers("so-tu-phap", None)
            .await
            .unwrap()
            .len(),
        2
    );
    let page = app.get("/dossiers", Some("coordinator")).await;
    assert_eq!(numbers(row(&page.body, "agency-total"))[0], "5");

    // A bad row: its line named, nothing stored (the July counts stay as they were).
    let res = upload(&app, "sai.csv", &with_bad_row(), &IMPORT).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res
        .body
        .contains("Tệp sai.csv có 1 dòng lỗi; không lưu gì."));
    assert!(res
        .body
        .contains("<td class=\"num\">3</td><td><code>due_at</code></td>"));
    assert!(res.body.contains(parindex_web::i18n::t(
        parindex_web::i18n::Lang::Vi,
        "refusal.times.due_before_received"
    )));
    assert_eq!(imports(&app).await, 2, "nothing stored");
    assert_eq!(app.store().dossier_cells().await.unwrap(), cells);
    // The check says the same.
    let res = upload(&app, "sai.csv", &with_bad_row(), &CHECK).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"bad-rows\""));
    // Skipped: imported without it, and said so; the form keeps what was typed.
    let skip = Fields {
        skip_bad_rows: true,
        sample: true,
        as_of: "2021-07-31",
        ..IMPORT
    };
    let res = upload(&app, "sai.csv", &with_bad_row(), &skip).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get(res.location(), Some("coordinator")).await;
    assert!(
        page.body.contains("Đã nhập sai.csv: 2 hồ sơ"),
        "{}",
        page.body
    );
    assert!(page.body.contains("tính đến 31/07/2021"));
    assert!(page.body.contains("Đã bỏ qua 1 dòng lỗi."));
    assert!(page.body.contains("Dữ liệu được gắn nhãn MẪU."));

    // A column mapping, as the command takes it.
    let renamed = july().replacen("code,agency,", "Số HS,Đơn vị xử lý,", 1);
    let mapped = Fields {
        columns: "code=Số HS,agency=Đơn vị xử lý",
        ..CHECK
    };
    let res = upload(&app, "doi-ten.csv", &renamed, &mapped).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("id=\"check-rows\">5</dd>"));
    assert!(res
        .body
        .contains("value=\"code=Số HS,agency=Đơn vị xử lý\""));
    let bad_map = Fields {
        columns: "nonsense=x",
        ..CHECK
    };
    let res = upload(&app, "doi-ten.csv", &renamed, &bad_map).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Ánh xạ cột không hợp lệ"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn coordinator_checks_imports_and_reimports_on_sqlite() {
    story(TestApp::new().await).await;
}

#[tokio::test]
async fn coordinator_checks_imports_and_reimports_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    story(TestApp::on(db).await).await;
}

#[tokio::test]
async fn only_the_coordinator_uploads() {
    let app = TestApp::new().await;
    for (role, _, _) in ROLES {
        let res = upload_as(&app, role, None, "thang-7.csv", july().as_bytes(), &IMPORT).await;
        let page = app.get("/dossiers", Some(role)).await;
        if *role == "coordinator" {
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
            assert!(page.body.contains("id=\"dossier-upload\""));
        } else {
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{role} uploads");
            assert!(
                !page.body.contains("id=\"dossier-upload\""),
                "{role} sees the form"
            );
            assert!(!page.body.contains("action=\"/dossiers?_csrf"), "{role}");
        }
    }
    assert_eq!(imports(&app).await, 1, "only the coordinator's");
    // Not even a form post reaches the parser for them.
    let res = app
        .post("/dossiers", Some("agency"), &[("mode", "import")], None)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    app.db.cleanup().await;
}

#[tokio::test]
async fn no_csrf_token_no_upload() {
    let app = TestApp::new().await;
    let res = upload_as(
        &app,
        "coordinator",
        Some(""),
        "thang-7.csv",
        july().as_bytes(),
        &IMPORT,
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = upload_as(
        &app,
        "coordinator",
        Some("not-the-token"),
        "thang-7.csv",
        july().as_bytes(),
        &IMPORT,
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(imports(&app).await, 0);
    assert!(app.store().dossier_cells().await.unwrap().is_empty());
    app.db.cleanup().await;
}

#[tokio::test]
async fn other_files_are_refused_with_a_clear_message() {
    let mut app = TestApp::new().await;
    let res = upload(&app, "bao-cao.pdf", "%PDF-1.4", &IMPORT).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        res.body.contains(
            "Loại tệp không được hỗ trợ (.pdf): chỉ nhận tệp .csv (hoặc .tsv, .txt) và .xlsx."
        ),
        "{}",
        res.body
    );
    // No file chosen.
    let res = upload(&app, "", "", &IMPORT).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Chưa chọn tệp"));
    // Not a date (dd/mm/yyyy and yyyy-mm-dd are read; 32/08 is no day).
    let res = upload(
        &app,
        "thang-7.csv",
        &july(),
        &Fields {
            as_of: "32/08/2021",
            ..IMPORT
        },
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("Ngày tính quá hạn không hợp lệ (32/08/2021)"));
    // Not a CSV file at all, though named so: the reader's message names the file.
    let res = upload(&app, "rong.csv", "a,b\n1,2\n", &IMPORT).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Không đọc được tệp"));
    assert!(res.body.contains("rong.csv: "), "{}", res.body);
    assert!(
        !res.body.contains("upload.csv"),
        "not the temporary file's name"
    );
    // Over the limit (lowered here: the default is 512 MiB): refused, naming the limit.
    let store = app.store().clone();
    app.router = router(AppState {
        store,
        config: WebConfig {
            dossier_max_bytes: 1024,
            ..WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(jiff::civil::date(2021, 8, 15)),
    });
    let big = format!("{}{}", july(), july().lines().nth(1).unwrap().repeat(20));
    assert!(big.len() > 1024);
    let res = upload(&app, "lon.csv", &big, &IMPORT).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        res.body
            .contains("Tệp lớn hơn giới hạn 1 KiB của trang này. Không lưu gì."),
        "{}",
        res.body
    );
    assert_eq!(imports(&app).await, 0);
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_page_speaks_english_too() {
    let app = TestApp::new().await;
    app.post(
        "/account/lang",
        Some("coordinator"),
        &[("lang", "en"), ("back", "/dossiers")],
        None,
    )
    .await;
    let res = upload(&app, "july.csv", &july(), &IMPORT).await;
    let page = app.get(res.location(), Some("coordinator")).await;
    assert!(
        page.body
            .contains("Imported july.csv: 5 dossiers, 3 agency × month cells (2021-07)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Import dossiers"));
    app.db.cleanup().await;
}

/// "Nhập tệp này": `POST /dossiers` with the staged id, as the check's form sends it.
async fn post_staged(app: &TestApp, role: &str, csrf: Option<&str>, id: &str) -> Resp {
    let token = csrf.map(str::to_string).unwrap_or_else(|| app.csrf(role));
    let path = if token.is_empty() {
        "/dossiers".to_string()
    } else {
        format!("/dossiers?_csrf={token}")
    };
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"staged\"\r\n\r\n{id}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nimport\r\n\
         --{BOUNDARY}--\r\n"
    );
    let req = Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions[role].1),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// The staged id in a check's page.
fn staged_id(body: &str) -> String {
    let at = body
        .find("name=\"staged\" value=\"")
        .unwrap_or_else(|| panic!("no staged form in {body}"));
    let rest = &body[at + "name=\"staged\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// A second coordinator, signed in as `coordinator2`.
async fn second_coordinator(app: &mut TestApp) {
    let hash = parindex_web::auth::hash_password(PASSWORD).unwrap();
    let input = UserInput {
        username: "coordinator2".into(),
        display_name: "Điều phối viên thứ hai".into(),
        role: Role::Coordinator,
        unit: None,
        lang: "vi".into(),
        active: true,
    };
    let id = app
        .store()
        .create_user(&input, &hash, "seed")
        .await
        .unwrap();
    let token = parindex_web::auth::random_token();
    let csrf = parindex_web::auth::random_token();
    app.store()
        .create_session(&Session {
            token_hash: parindex_web::auth::token_hash(&token),
            user_id: id,
            csrf_token: csrf.clone(),
            expires_at: "2099-01-01T00:00:00Z".into(),
        })
        .await
        .unwrap();
    app.sessions.insert("coordinator2", (id, token, csrf));
}

/// Set a staged file's time `minutes` back.
fn backdate(id: &str, minutes: i64) {
    let path = staging_dir().join(id).join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let then = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes);
    meta["staged_at"] = serde_json::Value::String(then.to_string());
    std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
}

async fn staged_story(mut app: TestApp) {
    second_coordinator(&mut app).await;
    // Check, with options: the result offers "Nhập tệp này"; the file waits on the server.
    let options = Fields {
        as_of: "2021-07-31",
        sample: true,
        ..CHECK
    };
    let res = upload(&app, "thang-7.csv", &july(), &options).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("id=\"dossier-staged\""), "{}", res.body);
    assert!(res.body.contains("Nhập tệp này"));
    assert!(
        res.body.contains("action=\"/dossiers?_csrf=")
            && res.body.contains("id=\"dossier-staged-button\"")
    );
    let id = staged_id(&res.body);
    let dir = staging_dir().join(&id);
    assert!(dir.join("meta.json").is_file() && dir.join("upload.csv").is_file());
    assert_eq!(imports(&app).await, 0, "a check stores nothing");

    // Refused, and the file kept: no CSRF token, another coordinator (as if there were none),
    // an agency user (not allowed at all), ids that are not the staged one's.
    let res = post_staged(&app, "coordinator", Some(""), &id).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = post_staged(&app, "coordinator", Some("not-the-token"), &id).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = post_staged(&app, "coordinator2", None, &id).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert!(!res.body.contains("thang-7.csv"), "nothing about the file");
    let res = post_staged(&app, "agency", None, &id).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    for forged in [
        "../../etc/passwd".to_string(),
        format!("../{id}"),
        format!("{id}/../{id}"),
        id.to_uppercase(),
        "00000000-0000-4000-8000-000000000000".to_string(),
    ] {
        let res = post_staged(&app, "coordinator", None, &forged).await;
        assert!(
            matches!(res.status, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST),
            "{forged}: {}",
            res.status
        );
    }
    assert_eq!(imports(&app).await, 0);
    assert!(app.store().dossier_cells().await.unwrap().is_empty());
    assert!(dir.join("upload.csv").is_file(), "still staged");

    // Its own user imports it: the file and the options checked, then the notice; the staged
    // file is gone.
    let res = post_staged(&app, "coordinator", None, &id).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with("/dossiers?import="));
    let page = app.get(res.location(), Some("coordinator")).await;
    assert!(
        page.body
            .contains("Đã nhập thang-7.csv: 5 hồ sơ, 3 ô cơ quan × tháng (2021-07)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("tính đến 31/07/2021"),
        "the as-of date checked"
    );
    assert!(
        page.body.contains("Dữ liệu được gắn nhãn MẪU."),
        "sample, as checked"
    );
    assert_eq!(numbers(row(&page.body, "agency-total"))[0], "5");
    let audit = app
        .store()
        .audit_log(&AuditFilter {
            entity: Some("dossier_import".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "coordinator");
    assert!(!dir.exists(), "the staged file is removed");

    // Once only: the same id again stores nothing more.
    let res = post_staged(&app, "coordinator", None, &id).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(imports(&app).await, 1);
    let cells = app.store().dossier_cells().await.unwrap();
    assert_eq!(cells.len(), 3);
    assert_eq!(cells.iter().map(|c| c.cell.counts.received).sum::<u64>(), 5);

    // A failed check stages nothing.
    let res = upload(&app, "rong.csv", "a,b\n1,2\n", &CHECK).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!res.body.contains("id=\"dossier-staged\""), "{}", res.body);
    // A staged file whose import fails (changed on the server since) is removed too; the page
    // says why.
    let res = upload(&app, "thang-8.csv", &july(), &CHECK).await;
    let id = staged_id(&res.body);
    let dir = staging_dir().join(&id);
    std::fs::write(dir.join("upload.csv"), "a,b\n1,2\n").unwrap();
    let res = post_staged(&app, "coordinator", None, &id).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("Không đọc được tệp") && res.body.contains("thang-8.csv: "));
    assert!(!dir.exists(), "removed after a failed import");
    assert_eq!(imports(&app).await, 1);

    // Choosing the file and pressing "Nhập" still works.
    let res = upload(&app, "thang-7.csv", &july(), &IMPORT).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(imports(&app).await, 2);
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_checked_file_is_imported_without_uploading_it_again_on_sqlite() {
    staged_story(TestApp::new().await).await;
}

#[tokio::test]
async fn the_checked_file_is_imported_without_uploading_it_again_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    staged_story(TestApp::on(db).await).await;
}

#[tokio::test]
async fn a_staged_file_expires_and_is_swept() {
    let app = TestApp::new().await;
    // Past its two hours: the page says so, nothing is stored, the file is gone.
    let res = upload(&app, "thang-7.csv", &july(), &CHECK).await;
    let id = staged_id(&res.body);
    backdate(&id, 150);
    let res = post_staged(&app, "coordinator", None, &id).await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    assert!(
        res.body.contains(
            "Tệp đã kiểm tra đã hết hạn (chỉ được giữ 2 giờ); không lưu gì. Hãy tải tệp lên lại."
        ),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("id=\"dossier-upload\""),
        "the form to upload it again"
    );
    assert_eq!(imports(&app).await, 0);
    assert!(!staging_dir().join(&id).exists());
    // Long expired: swept by the next upload, whoever makes it.
    let res = upload(&app, "thang-7.csv", &july(), &CHECK).await;
    let old = staged_id(&res.body);
    backdate(&old, 240);
    let res = upload(&app, "thang-7.csv", &july(), &CHECK).await;
    let fresh = staged_id(&res.body);
    assert!(!staging_dir().join(&old).exists(), "swept");
    assert!(
        staging_dir().join(&fresh).join("upload.csv").is_file(),
        "kept"
    );
    // In English.
    app.post(
        "/account/lang",
        Some("coordinator"),
        &[("lang", "en"), ("back", "/dossiers")],
        None,
    )
    .await;
    backdate(&fresh, 150);
    let res = post_staged(&app, "coordinator", None, &fresh).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(
        res.body.contains("The checked file has expired (it is kept for 2 hours only); nothing was saved. Upload it again."),
        "{}",
        res.body
    );
    app.db.cleanup().await;
}

/// Issue 13 points 3 and 7 on the page: the check says how many pushed dossiers the file would
/// replace (a cell has one source) and lists duplicate overdue codes with their lines; the
/// import's notice says both; the bad-row reasons are in Vietnamese.
#[tokio::test]
async fn the_check_names_pushed_dossiers_replaced_and_duplicate_codes() {
    let app = TestApp::new().await;
    let pushed = r#"{"dossiers":[
        {"code":"P-1","agency":"so-tu-phap","procedure":"1.001","level":"province","received_at":"2021-07-03","due_at":"2021-07-09","closed_at":"2021-07-05"},
        {"code":"P-2","agency":"so-tu-phap","procedure":"1.001","level":"province","received_at":"2021-07-04","due_at":"2021-07-09","closed_at":"2021-07-15"}]}"#;
    let req = Request::post("/api/v1/dossiers")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions["coordinator"].1),
        )
        .header("x-csrf-token", app.csrf("coordinator"))
        .body(Body::from(pushed))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);
    // TP-LATE twice (lines 3 and 7), and a bad row skipped.
    let file = format!(
        "{}TP-LATE,so-tu-phap,1.001,province,3,2021-07-02T08:00:00+07:00,2021-07-09,,2021-07-14,closed\n\
         TP-X,so-tu-phap,1.001,province,3,2021-07-12,2021-07-09,,,processing\n",
        july()
    );
    let skip = Fields {
        skip_bad_rows: true,
        ..CHECK
    };
    let res = upload(&app, "thang-7.csv", &file, &skip).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body.contains("id=\"check-pushed-replaced\">2<"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("1: TP-LATE (so-tu-phap): dòng 3, 7"),
        "{}",
        res.body
    );
    assert!(
        res.body
            .contains("<td>Ngày hẹn trả trước ngày tiếp nhận.</td>"),
        "the bad row's reason in Vietnamese: {}",
        res.body
    );
    let import = Fields {
        skip_bad_rows: true,
        ..IMPORT
    };
    let res = upload(&app, "thang-7.csv", &file, &import).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let notice = app.get(res.location(), Some("coordinator")).await;
    assert!(
        notice.body.contains("2 hồ sơ đã gửi qua API"),
        "{}",
        notice.body
    );
    assert!(notice.body.contains("TP-LATE (so-tu-phap): dòng 3, 7"));
    assert!(app.store().pushed_cells().await.unwrap().is_empty());
    app.db.cleanup().await;
}

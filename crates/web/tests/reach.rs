//! What the store kept but no user could reach (issue 12, point 9), through the real router:
//! an administrator gives `sotuphap` an e-mail address on the users page and the unit's reminder
//! reaches it through a real SMTP listener; the test mail button says whether the mail went (or
//! that no SMTP server is configured); a user sets their own address on the account page; the
//! monthly report sets the assignment's progress, shown in "my tasks".

mod common;
#[path = "../../reports/tests/common/smtp.rs"]
mod smtp;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp, PASSWORD};
use jiff::civil::date;
use parindex_domain::calendar::{Deadline, ReminderKind, WorkCalendar};
use parindex_domain::plan::{Assignees, Plan, PlanDocument, Task};
use parindex_reports::{run_reminders, Mailer};
use parindex_store::AuditFilter;
use smtp::SmtpSink;

const PLAN: &str = "bac-giang-2021";
const TASK: &str = "IV.1-evidence";
const TITLE: &str = "Tài liệu kiểm chứng và bảng tự chấm điểm";
const ADDR: &str = "chuyenvien.stp@bacgiang.gov.vn";
const FROM: &str = "ParIndex <parindex@bacgiang.gov.vn>";

/// One task of Sở Tư pháp, due 16/8/2021: the day before is the app's clock (15/8/2021).
fn plan() -> PlanDocument {
    PlanDocument {
        plan: Plan {
            id: PLAN.into(),
            number: "/KH-UBND".into(),
            title: "Kế hoạch cải thiện, nâng cao Chỉ số CCHC tỉnh Bắc Giang năm 2021".into(),
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
            id: TASK.into(),
            section: "IV.1".into(),
            title: TITLE.into(),
            description: "Chuẩn bị tài liệu kiểm chứng.".into(),
            findings: vec![],
            targets: vec![],
            criteria: vec![],
            lead_agency: Some("so-tu-phap".into()),
            coordinating: vec![],
            assignees: Assignees::Lead,
            deadline: Deadline::Once {
                date: date(2021, 8, 16),
            },
            deliverable: "Bảng tự chấm điểm".into(),
        }],
    }
}

async fn audit(app: &TestApp, entity: &str, action: &str) -> Vec<parindex_store::AuditEntry> {
    app.store()
        .audit_log(&AuditFilter {
            entity: Some(entity.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

#[tokio::test]
async fn an_address_given_on_the_users_page_gets_the_units_reminder() {
    let app = TestApp::new().await;
    // The administrator adds sotuphap on the users page, without an address.
    let res = app
        .post(
            "/users",
            Some("admin"),
            &[
                ("username", "sotuphap"),
                ("display_name", "Chuyên viên Sở Tư pháp"),
                ("role", "agency"),
                ("unit", "so-tu-phap"),
                ("lang", "vi"),
                ("active", "1"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (u, _) = app
        .store()
        .user_by_username("sotuphap")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.email, None);
    let path = format!("/users/{}/email", u.id);
    let res = app.get(&format!("/users/{}", u.id), Some("admin")).await;
    assert!(res.body.contains(&format!("action=\"{path}\"")), "the form");
    // A malformed address: refused beside the field in Vietnamese, kept as typed, nothing stored.
    let res = app
        .post(
            &path,
            Some("admin"),
            &[("email", "chuyenvien.stp@bacgiang")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body
            .contains("id=\"email-err\">Địa chỉ thư điện tử không hợp lệ"),
        "{}",
        res.body
    );
    assert!(res.body.contains("value=\"chuyenvien.stp@bacgiang\""));
    // Without the CSRF token, or by anyone but an administrator: refused.
    let res = app
        .post(&path, Some("admin"), &[("email", ADDR)], Some("forged"))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    for role in ["coordinator", "agency"] {
        let res = app.post(&path, Some(role), &[("email", ADDR)], None).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{role}");
    }
    let u = app.store().user(u.id).await.unwrap().unwrap();
    assert_eq!(u.email, None, "nothing stored yet");
    // Set: trimmed, stored, audited, listed.
    let res = app
        .post(
            &path,
            Some("admin"),
            &[("email", &format!(" {ADDR} "))],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/users?done=email");
    let u = app.store().user(u.id).await.unwrap().unwrap();
    assert_eq!(u.email.as_deref(), Some(ADDR));
    let res = app.get("/users?done=email", Some("admin")).await;
    assert!(res.body.contains("Đã lưu địa chỉ thư điện tử."));
    assert!(res.body.contains(&format!("<td>{ADDR}</td>")));
    let records = audit(&app, "user", "email").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        (records[0].actor.as_str(), records[0].entity_id.as_str()),
        ("admin", "sotuphap")
    );
    assert_eq!(records[0].unit.as_deref(), Some("so-tu-phap"));
    assert_eq!(
        records[0].before,
        Some(serde_json::json!({ "email": null }))
    );
    assert_eq!(records[0].after, Some(serde_json::json!({ "email": ADDR })));

    // The reminders run (the function behind `parindex reminders run`) with a real listener.
    app.store().save_plan(&plan(), "test").await.unwrap();
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.url(), FROM).unwrap();
    let summary = run_reminders(
        app.store(),
        Some(PLAN),
        date(2021, 8, 15),
        &WorkCalendar::every_day(),
        Some(&mailer),
    )
    .await
    .unwrap();
    assert_eq!(summary.sent.len(), 1, "{summary:?}");
    assert_eq!(summary.sent[0].unit, "so-tu-phap");
    assert_eq!(summary.sent[0].kind, ReminderKind::Before1);
    assert_eq!((summary.emails, summary.email_failures), (1, 0));
    let msgs = sink.take();
    assert_eq!(msgs.len(), 1, "the unit's one address: {msgs:?}");
    assert_eq!(msgs[0].to, vec![ADDR.to_string()]);
    assert_eq!(msgs[0].from, "parindex@bacgiang.gov.vn");
    let subject = msgs[0].subject();
    assert!(
        subject.contains(TITLE) && subject.contains("16/08/2021"),
        "{subject}"
    );

    // Cleared: no address, audited; the next reminder goes nowhere by e-mail.
    let res = app.post(&path, Some("admin"), &[("email", "")], None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/users?done=email-cleared");
    assert_eq!(app.store().user(u.id).await.unwrap().unwrap().email, None);
    assert!(app
        .store()
        .unit_emails("so-tu-phap")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(audit(&app, "user", "email").await.len(), 2);

    // An address given with a new user on the create form: refused when malformed (nobody
    // created), stored with the user otherwise.
    let new_user = |email: &'static str| {
        vec![
            ("username", "ketoan.stp"),
            ("display_name", "Kế toán Sở Tư pháp"),
            ("role", "agency"),
            ("unit", "so-tu-phap"),
            ("lang", "vi"),
            ("active", "1"),
            ("password", PASSWORD),
            ("email", email),
        ]
    };
    let res = app
        .post("/users", Some("admin"), &new_user("ketoan.stp@"), None)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("id=\"new-email-err\">Địa chỉ thư điện tử không hợp lệ"));
    assert!(app
        .store()
        .user_by_username("ketoan.stp")
        .await
        .unwrap()
        .is_none());
    let res = app
        .post(
            "/users",
            Some("admin"),
            &new_user("ketoan.stp@bacgiang.gov.vn"),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        app.store().unit_emails("so-tu-phap").await.unwrap(),
        vec!["ketoan.stp@bacgiang.gov.vn".to_string()]
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_test_mail_button_says_whether_the_mail_went() {
    let mut app = TestApp::new().await;
    let to = "quantri@bacgiang.gov.vn";
    // No SMTP server configured: said so, nothing sent.
    let res = app.get("/users", Some("admin")).await;
    assert!(res.body.contains("action=\"/users/test-mail\""));
    let res = app
        .post("/users/test-mail", Some("admin"), &[("to", to)], None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("id=\"test-mail-unconfigured\"")
            && res.body.contains("Chưa cấu hình máy chủ thư (SMTP)"),
        "{}",
        res.body
    );
    // Through a real listener: it went, the page says to whom and through which server.
    let sink = SmtpSink::start().await;
    let url = sink.url();
    app.reconfigure(|c| c.mailer = Some(Mailer::new(&url, FROM).unwrap()));
    let res = app
        .post("/users/test-mail", Some("admin"), &[("to", to)], None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("id=\"test-mail-sent\"")
            && res.body.contains(&format!(
                "Đã gửi thư thử tới {to} qua máy chủ thư smtp://127.0.0.1:{}",
                sink.port
            )),
        "{}",
        res.body
    );
    let msgs = sink.take();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].to, vec![to.to_string()]);
    assert_eq!(msgs[0].subject(), "[ParIndex] Thư thử");
    assert!(msgs[0].body().contains("do admin gửi từ ParIndex"));
    // A malformed address: refused beside the field, nothing sent.
    let res = app
        .post(
            "/users/test-mail",
            Some("admin"),
            &[("to", "quantri")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("id=\"test-mail-to-err\">Địa chỉ thư điện tử không hợp lệ"));
    assert!(sink.take().is_empty());
    // Not an administrator, or no CSRF token: refused.
    let res = app
        .post("/users/test-mail", Some("coordinator"), &[("to", to)], None)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .post(
            "/users/test-mail",
            Some("admin"),
            &[("to", to)],
            Some("forged"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(sink.take().is_empty());
    // A server that does not answer: the page says the mail did not go, and why.
    app.reconfigure(|c| c.mailer = Some(Mailer::new("smtp://127.0.0.1:9", FROM).unwrap()));
    let res = app
        .post("/users/test-mail", Some("admin"), &[("to", to)], None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("id=\"test-mail-failed\"")
            && res
                .body
                .contains(&format!("Không gửi được thư thử tới {to}: ")),
        "{}",
        res.body
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn a_user_sets_their_own_address_on_the_account_page() {
    let app = TestApp::new().await;
    let id = app.sessions["agency"].0;
    let res = app.get("/account", Some("agency")).await;
    assert!(res.body.contains("action=\"/account/email\""));
    let res = app
        .post(
            "/account/email",
            Some("agency"),
            &[("email", "a b@x.vn")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("id=\"email-err\">Địa chỉ thư điện tử không hợp lệ"));
    let res = app
        .post(
            "/account/email",
            Some("agency"),
            &[("email", ADDR)],
            Some("forged"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store().user(id).await.unwrap().unwrap().email, None);
    let res = app
        .post("/account/email", Some("agency"), &[("email", ADDR)], None)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/account?done=email");
    assert_eq!(
        app.store()
            .user(id)
            .await
            .unwrap()
            .unwrap()
            .email
            .as_deref(),
        Some(ADDR)
    );
    assert_eq!(
        app.store().unit_emails("so-tu-phap").await.unwrap(),
        vec![ADDR.to_string()]
    );
    let res = app.get("/account?done=email", Some("agency")).await;
    assert!(res.body.contains("Đã lưu địa chỉ thư điện tử."));
    assert!(res.body.contains(&format!("value=\"{ADDR}\"")));
    let records = audit(&app, "user", "email").await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].actor, "agency");
    let res = app
        .post("/account/email", Some("agency"), &[("email", " ")], None)
        .await;
    assert_eq!(res.location(), "/account?done=email-cleared");
    assert_eq!(app.store().user(id).await.unwrap().unwrap().email, None);
    app.db.cleanup().await;
}

async fn post_report(app: &TestApp, fields: &[(&str, &str)]) -> Resp {
    let boundary = "----parindex-reach-boundary";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let req = Request::post(format!(
        "/plans/{PLAN}/tasks/{TASK}/reports?_csrf={}",
        app.csrf("agency")
    ))
    .header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    )
    .header(
        header::COOKIE,
        format!("parindex_session={}", app.sessions["agency"].1),
    )
    .body(Body::from(body))
    .unwrap();
    app.send(req).await
}

/// The "Tiến độ" cell of the task's row in "my tasks".
fn my_progress(body: &str) -> String {
    let row = body
        .split("<tr>")
        .find(|r| r.contains(TITLE))
        .unwrap_or_else(|| panic!("no row of the task in {body}"));
    // The progress cell, labelled for the phone's card layout.
    let cells: Vec<&str> = row
        .split("<td class=\"num\" data-label=\"Tiến độ (%)\">")
        .collect();
    cells
        .last()
        .and_then(|c| c.split("</td>").next())
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[tokio::test]
async fn the_monthly_report_sets_the_progress_shown_in_my_tasks() {
    let app = TestApp::new().await;
    app.store().save_plan(&plan(), "test").await.unwrap();
    let my = format!("/plans/{PLAN}/my");
    let res = app.get(&my, Some("agency")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(my_progress(&res.body), "0");
    // Out of range: refused beside the field, nothing stored.
    let res = post_report(
        &app,
        &[
            ("period", "once"),
            ("done", "Đã thu thập tài liệu"),
            ("progress_pct", "101"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"progress-err\""));
    let res = app.get(&my, Some("agency")).await;
    assert_eq!(my_progress(&res.body), "0");
    // 60 %: stored with the report, audited as the assignment's change, shown in my tasks.
    let res = post_report(
        &app,
        &[
            ("period", "once"),
            ("done", "Đã thu thập tài liệu"),
            ("progress_pct", "60"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let reports = app
        .store()
        .reports(PLAN, Some(TASK), Some("so-tu-phap"))
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].progress_pct, 60);
    let res = app.get(&my, Some("agency")).await;
    assert_eq!(my_progress(&res.body), "60");
    let records = audit(&app, "assignment", "progress").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].actor, "agency");
    assert_eq!(records[0].entity_id, format!("{PLAN}/{TASK}/so-tu-phap"));
    assert_eq!(
        records[0].before,
        Some(serde_json::json!({ "progress_pct": 0 }))
    );
    assert_eq!(
        records[0].after,
        Some(serde_json::json!({ "progress_pct": 60 }))
    );
    // The report form offers the stored progress next time.
    let res = app
        .get(&format!("/plans/{PLAN}/tasks/{TASK}"), Some("agency"))
        .await;
    assert!(
        res.body.contains(
            "name=\"progress_pct\" type=\"number\" min=\"0\" max=\"100\" step=\"1\" value=\"60\""
        ),
        "{}",
        res.body
    );
    app.db.cleanup().await;
}

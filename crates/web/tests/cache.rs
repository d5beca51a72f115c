//! Pages and sessions kept in memory (`parindex_web::cache`, `parindex_store::cache`): a write
//! shows at once, a session ended is refused at once, and a page kept for one user is never
//! shown to another — on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::{TestApp, PASSWORD};
use parindex_store::testing::TestDb;
use parindex_store::UserInput;

/// Run `f` on a fresh SQLite app, then on PostgreSQL when one is configured.
async fn on_both<F, Fut>(f: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    let app = f(TestApp::new().await).await;
    app.db.cleanup().await;
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            let app = f(TestApp::on(db).await).await;
            app.db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

async fn a_write_shows_at_once(app: TestApp) -> TestApp {
    let first = app.get("/", Some("coordinator")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(!first.body.contains("Sở Tài chính (mới)"));
    // The second answer comes from memory, the same page.
    let again = app.get("/", Some("coordinator")).await;
    assert_eq!(again.body, first.body);
    let audit = app.get("/audit", Some("coordinator")).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(!audit.body.contains("Phạm Văn E"));
    let tree = app.get("/results", Some("coordinator")).await;
    assert_eq!(tree.status, StatusCode::OK);

    // The lead agency renames itself: the dashboard names it so, the audit log shows the
    // change, on the very next request.
    let res = app
        .post(
            "/units/so-tai-chinh",
            Some("lead"),
            &[
                ("name_vi", "Sở Tài chính (mới)"),
                ("head_name", "Phạm Văn E"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let after = app.get("/", Some("coordinator")).await;
    assert!(
        after.body.contains("Sở Tài chính (mới)"),
        "the dashboard kept in memory was not refreshed by the write"
    );
    let audit = app.get("/audit", Some("coordinator")).await;
    assert!(
        audit.body.contains("Phạm Văn E"),
        "the audit log kept in memory was not refreshed by the write"
    );

    // A write through the store (as the CLI or the reminders job makes) too.
    let e = app
        .store()
        .edition("par-2020-province")
        .await
        .unwrap()
        .unwrap();
    let mut changed = e.clone();
    changed.name = "Chỉ số CCHC năm 2020 (sửa)".into();
    app.store().save_edition(&changed, "test").await.unwrap();
    let after = app.get("/", Some("coordinator")).await;
    assert!(after.body.contains("Chỉ số CCHC năm 2020 (sửa)"));
    app
}

#[tokio::test]
async fn a_write_shows_at_once_on_the_pages_kept_in_memory() {
    on_both(a_write_shows_at_once).await;
}

async fn a_write_of_another_process_shows(app: TestApp) -> TestApp {
    let first = app.get("/", Some("coordinator")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(!first.body.contains("(sửa bằng lệnh)"));
    let again = app.get("/", Some("coordinator")).await;
    assert_eq!(again.body, first.body);
    // A `parindex` command beside the server: a store of its own on the same database.
    let cli = parindex_store::Store::connect(&app.db.url()).await.unwrap();
    let mut e = cli.edition("par-2020-province").await.unwrap().unwrap();
    e.name = "Chỉ số CCHC năm 2020 (sửa bằng lệnh)".into();
    cli.save_edition(&e, "cli").await.unwrap();
    cli.close().await;
    // Seen once the server has read the data versions again (at most every 250 ms).
    tokio::time::sleep(parindex_store::VERSION_CHECK).await;
    let after = app.get("/", Some("coordinator")).await;
    assert!(
        after.body.contains("(sửa bằng lệnh)"),
        "the dashboard kept in memory did not show another process's write"
    );
    app
}

#[tokio::test]
async fn a_write_of_another_process_shows_on_the_pages_kept_in_memory() {
    on_both(a_write_of_another_process_shows).await;
}

async fn ended_sessions_are_refused_at_once(app: TestApp) -> TestApp {
    // Signing out: the session was just used (and kept in memory); the next request with its
    // cookie is sent to sign in.
    for _ in 0..2 {
        assert_eq!(
            app.get("/", Some("coordinator")).await.status,
            StatusCode::OK
        );
    }
    let res = app.post("/logout", Some("coordinator"), &[], None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.get("/", Some("coordinator")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location().starts_with("/login"), "{}", res.location());
    let res = app.get("/audit", Some("coordinator")).await;
    assert!(res.location().starts_with("/login"), "{}", res.location());

    // A password set by an administrator ends the user's sessions at once.
    assert_eq!(app.get("/", Some("lead")).await.status, StatusCode::OK);
    let hash = parindex_web::auth::hash_password("mat-khau-moi-dai-du").unwrap();
    let lead = app.sessions["lead"].0;
    app.store()
        .set_password(lead, &hash, None, "admin")
        .await
        .unwrap();
    let res = app.get("/", Some("lead")).await;
    assert!(res.location().starts_with("/login"), "{}", res.location());

    // A user made inactive is refused at once; a role changed applies at once.
    assert_eq!(app.get("/", Some("leader")).await.status, StatusCode::OK);
    let leader = app.sessions["leader"].0;
    let mut input = UserInput {
        username: "leader".into(),
        display_name: "Người dùng leader".into(),
        role: parindex_domain::access::Role::Leader,
        unit: Some("bac-giang".into()),
        lang: "vi".into(),
        active: false,
    };
    app.store()
        .update_user(leader, &input, "admin")
        .await
        .unwrap();
    let res = app.get("/", Some("leader")).await;
    assert!(res.location().starts_with("/login"), "{}", res.location());

    // The appraiser may not see the audit log of all units; made an agency of its own unit,
    // it sees only that unit's entries, on the next request.
    let appraiser = app.sessions["appraiser"].0;
    let all = app.get("/audit", Some("admin")).await;
    assert_eq!(all.status, StatusCode::OK);
    let before = app.get("/audit", Some("appraiser")).await;
    input = UserInput {
        username: "appraiser".into(),
        display_name: "Người dùng appraiser".into(),
        role: parindex_domain::access::Role::Agency,
        unit: Some("so-tu-phap".into()),
        lang: "vi".into(),
        active: true,
    };
    app.store()
        .update_user(appraiser, &input, "admin")
        .await
        .unwrap();
    let after = app.get("/audit", Some("appraiser")).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(before.body, after.body);
    assert!(
        after.body.contains("so-tu-phap") && !after.body.contains("so-noi-vu\""),
        "an agency sees its own unit's entries only"
    );
    let _ = PASSWORD;
    app
}

#[tokio::test]
async fn ended_sessions_and_changed_roles_apply_at_once() {
    on_both(ended_sessions_are_refused_at_once).await;
}

async fn pages_are_kept_per_user(app: TestApp) -> TestApp {
    // The coordinator's audit log (every unit), then the agency's (its own): each its own rows
    // and its own CSRF token, whichever came first.
    let coordinator = app.get("/audit", Some("coordinator")).await;
    let agency = app.get("/audit", Some("agency")).await;
    let agency_again = app.get("/audit", Some("agency")).await;
    assert_eq!(agency.body, agency_again.body);
    assert_ne!(coordinator.body, agency.body);
    assert!(coordinator.body.contains(&app.csrf("coordinator")));
    assert!(!coordinator.body.contains(&app.csrf("agency")));
    assert!(agency.body.contains(&app.csrf("agency")));
    assert!(!agency.body.contains(&app.csrf("coordinator")));
    // Seeding wrote entries for several units; the agency's page names none but its own.
    assert!(coordinator.body.contains("so-noi-vu"));
    assert!(!agency.body.contains("so-noi-vu"));
    // The same page in the other language after switching.
    let res = app
        .post(
            "/account/lang",
            Some("agency"),
            &[("lang", "en"), ("back", "/audit")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let en = app.get("/audit", Some("agency")).await;
    assert!(en.body.contains("<html lang=\"en\">"));
    // A forged CSRF token is still refused on a page read from memory's session.
    let res = app
        .post("/logout", Some("agency"), &[], Some(&"0".repeat(64)))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    app
}

#[tokio::test]
async fn pages_kept_in_memory_are_per_user_role_and_language() {
    on_both(pages_are_kept_per_user).await;
}

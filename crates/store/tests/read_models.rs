//! Read models kept in memory are made stale by exactly the writes to the tables they are read
//! from (`parindex_store::version::Tables`), on SQLite and (with TEST_DATABASE_URL) PostgreSQL:
//! a session slid, a language changed, a sign-in attempt, a notification or an audit event
//! leaves the plan's state, the edition, the units and the results current; a monthly report
//! or its review makes the plan's state stale (and the next read shows it) but not the
//! plan's document; a write that does not say which tables it touched makes everything stale.
//! A write made through a second store on the same database (another process: a `parindex`
//! command beside the server) shows on the next read of the first store's read models once it
//! has read the data versions, and makes stale there only what it touched.

use jiff::civil::date;
use parindex_domain::access::Role;
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::plan::{Decision, Status};
use parindex_interchange as ix;
use parindex_store::testing::TestDb;
use parindex_store::{
    on_both_backends, ConnectOptions, ReportInput, Session, Store, ThrottleHit, UserInput,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

on_both_backends!(
    each_write_makes_stale_exactly_what_reads_its_tables,
    a_monthly_report_and_its_review_show_in_the_next_plan_state,
    the_unread_count_is_kept_until_a_notification_is_written_or_read,
    the_plan_state_holds_the_stored_assignments_in_their_order
);

const PLAN: &str = "bac-giang-2021";
const EDITION: &str = "par-2020-province";
const TASK: &str = "II.4-intangible-assets";
const DAY: &str = "2021-08-15";
const FAR: &str = "2999-01-01T00:00:00Z";
const LONG_AGO: &str = "2000-01-01T00:00:00Z";

async fn seed(s: &Store) -> i64 {
    let units = ix::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &BTreeSet::new(),
    )
    .unwrap();
    s.save_units(&units, "test").await.unwrap();
    let subjects =
        ix::subjects::subjects_from_csv(include_str!("../../../data/subjects.csv"), "subjects.csv")
            .unwrap();
    s.save_subjects(&subjects, "test").await.unwrap();
    let e = ix::edition::edition_from_toml(
        include_str!("../../../data/editions/par-2020-province.toml"),
        "e.toml",
    )
    .unwrap();
    s.save_edition(&e, "test").await.unwrap();
    let doc = ix::plan::plan_from_toml(
        include_str!("../../../data/plans/bac-giang-2021.toml"),
        "plan.toml",
    )
    .unwrap();
    s.save_plan(&doc, "test").await.unwrap();
    let id = s
        .create_user(
            &UserInput {
                username: "sonoivu".into(),
                display_name: "Sở Nội vụ".into(),
                role: Role::Coordinator,
                unit: Some("so-noi-vu".into()),
                lang: "vi".into(),
                active: true,
            },
            "hash",
            "test",
        )
        .await
        .unwrap();
    s.create_session(&Session {
        token_hash: "t1".into(),
        user_id: id,
        csrf_token: "c1".into(),
        expires_at: FAR.into(),
    })
    .await
    .unwrap();
    id
}

/// Read every read model (and the session), so that each is kept.
async fn read_all(s: &Store) -> Arc<parindex_store::PlanState> {
    let day = DAY.parse().unwrap();
    let state = s.plan_state_shared(PLAN, day, None).await.unwrap();
    s.edition(EDITION).await.unwrap().unwrap();
    s.units(None).await.unwrap();
    s.results(EDITION).await.unwrap();
    s.subject_names().await.unwrap();
    s.indicator_views(day).await.unwrap();
    assert_eq!(s.plans().await.unwrap().len(), 1);
    assert_eq!(s.editions(None).await.unwrap().len(), 1);
    assert!(s.session("t1", LONG_AGO, LONG_AGO).await.unwrap().is_some());
    state
}

/// The kinds of the read models still current (`plan-state`, `edition`, `session`, …).
fn kept(s: &Store) -> BTreeSet<String> {
    s.current_entries()
        .into_iter()
        .map(|k| match k.strip_prefix("store/") {
            Some(rest) => rest.split('/').next().unwrap_or("").to_string(),
            None => k.split('/').next().unwrap_or("").to_string(),
        })
        .collect()
}

fn set(kinds: &[&str]) -> BTreeSet<String> {
    kinds.iter().map(|k| k.to_string()).collect()
}

const EVERY: &[&str] = &[
    "calendar",
    "edition",
    "editions",
    "indicator-views",
    "plan",
    "plan-state",
    "plans",
    "results",
    "session",
    "subject-names",
    "units",
];

fn every_but(gone: &[&str]) -> BTreeSet<String> {
    EVERY
        .iter()
        .filter(|k| !gone.contains(k))
        .map(|k| k.to_string())
        .collect()
}

async fn each_write_makes_stale_exactly_what_reads_its_tables(s: &Store) {
    let user = seed(s).await;
    let cal = WorkCalendar::every_day();
    read_all(s).await;
    assert_eq!(kept(s), set(EVERY));

    // A language changed: the session (its user) is read again, nothing else.
    s.set_lang(user, "en").await.unwrap();
    assert_eq!(kept(s), every_but(&["session"]));
    let (_, u) = s.session("t1", LONG_AGO, LONG_AGO).await.unwrap().unwrap();
    assert_eq!(
        u.lang, "en",
        "the session kept in memory holds the new language"
    );
    let state = read_all(s).await;

    // A session slid: the same.
    s.touch_session("t1", FAR).await.unwrap();
    assert_eq!(kept(s), every_but(&["session"]));
    let again = read_all(s).await;
    assert!(
        Arc::ptr_eq(&state, &again),
        "the plan's state was not read again"
    );

    // A sign-in attempt counted, a notification, an audit event: nothing is stale.
    s.throttle_hit(&ThrottleHit {
        kind: "account",
        key: "sonoivu",
        now: "2021-08-15T01:00:00Z",
        quiet_before: LONG_AGO,
        forget_before: LONG_AGO,
        limit: 5,
        lock_until: [FAR; 4],
    })
    .await
    .unwrap();
    s.notify("so-tai-chinh", "Nhắc báo cáo", "/plans")
        .await
        .unwrap();
    s.record_event("system", "backup", "backup", "b1", serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(kept(s), set(EVERY));

    // A monthly report: the plan's state, not the plan's document nor the rest.
    let report = s
        .submit_report(
            PLAN,
            TASK,
            "so-tai-chinh",
            &ReportInput {
                period: "once".into(),
                done: "Đã trình dự thảo".into(),
                problems: String::new(),
                proposals: String::new(),
                progress_pct: 100,
            },
            &[],
            date(2021, 7, 28),
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap();
    assert_eq!(kept(s), every_but(&["plan-state"]));
    read_all(s).await;
    // Its review (and the notification it sends): the same.
    s.review_report(
        report.id,
        Decision::Accepted,
        "",
        "sonoivu",
        date(2021, 8, 15),
    )
    .await
    .unwrap();
    assert_eq!(kept(s), every_but(&["plan-state"]));
    read_all(s).await;
    // A user's role changed (which ends no session here): the session.
    s.update_user(
        user,
        &UserInput {
            username: "sonoivu".into(),
            display_name: "Sở Nội vụ".into(),
            role: Role::Leader,
            unit: Some("so-noi-vu".into()),
            lang: "en".into(),
            active: true,
        },
        "admin",
    )
    .await
    .unwrap();
    assert_eq!(kept(s), every_but(&["session"]));
    let (_, u) = s.session("t1", LONG_AGO, LONG_AGO).await.unwrap().unwrap();
    assert_eq!(u.role, Role::Leader);
    read_all(s).await;

    // Writes that name no tables: everything is read again.
    s.save_work_calendar(&cal, &[], "test").await.unwrap();
    assert!(kept(s).is_empty(), "{:?}", kept(s));
    read_all(s).await;
    let e = s.edition(EDITION).await.unwrap().unwrap();
    s.save_edition(&e, "test").await.unwrap();
    assert!(kept(s).is_empty(), "{:?}", kept(s));
}

async fn a_monthly_report_and_its_review_show_in_the_next_plan_state(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    let day = DAY.parse().unwrap();
    let status = |st: &parindex_store::PlanState| {
        st.task(TASK)
            .unwrap()
            .assignments
            .iter()
            .find(|a| a.assignment.unit == "so-tai-chinh")
            .unwrap()
            .status
    };
    let before = s.plan_state_shared(PLAN, day, None).await.unwrap();
    assert_eq!(status(&before), Status::Overdue);
    let overdue = before.tiles.overdue;
    let report = s
        .submit_report(
            PLAN,
            TASK,
            "so-tai-chinh",
            &ReportInput {
                period: "once".into(),
                done: "Đã trình dự thảo".into(),
                problems: String::new(),
                proposals: String::new(),
                progress_pct: 100,
            },
            &[],
            date(2021, 7, 28),
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap();
    let submitted = s.plan_state_shared(PLAN, day, None).await.unwrap();
    assert_eq!(status(&submitted), Status::Submitted);
    assert_eq!(submitted.tiles.overdue, overdue - 1);
    s.review_report(
        report.id,
        Decision::Accepted,
        "",
        "sonoivu",
        date(2021, 8, 15),
    )
    .await
    .unwrap();
    let accepted = s.plan_state_shared(PLAN, day, None).await.unwrap();
    assert_eq!(status(&accepted), Status::Accepted);
}

/// The header's badge: a unit's unread notifications, kept in memory until a notification is
/// written or read, and only that.
async fn the_unread_count_is_kept_until_a_notification_is_written_or_read(s: &Store) {
    seed(s).await;
    assert_eq!(s.unread_notifications("so-tai-chinh").await.unwrap(), 0);
    assert!(kept(s).contains("unread"));
    for m in ["Nhắc báo cáo", "Báo cáo bị trả lại"] {
        s.notify("so-tai-chinh", m, "/plans").await.unwrap();
    }
    assert!(!kept(s).contains("unread"), "a notification makes it stale");
    assert_eq!(s.unread_notifications("so-tai-chinh").await.unwrap(), 2);
    assert_eq!(s.unread_notifications("so-noi-vu").await.unwrap(), 0);
    // Reading the plan or changing a language leaves it current.
    read_all(s).await;
    s.unread_notifications("so-tai-chinh").await.unwrap();
    let user = s.user_by_username("sonoivu").await.unwrap().unwrap().0.id;
    s.set_lang(user, "en").await.unwrap();
    assert!(kept(s).contains("unread"));
    s.mark_notifications_read("so-tai-chinh").await.unwrap();
    assert_eq!(s.unread_notifications("so-tai-chinh").await.unwrap(), 0);
    s.notify("so-tai-chinh", "Nhắc hạn", "/plans")
        .await
        .unwrap();
    assert_eq!(s.unread_notifications("so-tai-chinh").await.unwrap(), 1);
}

/// The plan's state reads the assignments and the reports packed in one value each
/// (`Store::assignments_packed`, `Store::reports_packed`): the same assignments, with their
/// progress, in the order `Store::assignments` gives (each task's by unit), and the same
/// reports as `Store::reports`, for the whole plan and for one unit.
async fn the_plan_state_holds_the_stored_assignments_in_their_order(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    let day = DAY.parse().unwrap();
    let report = s
        .submit_report(
            PLAN,
            TASK,
            "so-tai-chinh",
            &ReportInput {
                period: "once".into(),
                done: "Đã trình dự thảo".into(),
                problems: String::new(),
                proposals: String::new(),
                progress_pct: 40,
            },
            &[],
            date(2021, 7, 28),
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap();
    // Returned with a comment: the review's fields are read too.
    s.review_report(
        report.id,
        Decision::Returned,
        "Bổ sung số liệu",
        "sonoivu",
        date(2021, 8, 2),
    )
    .await
    .unwrap();
    for unit in [None, Some("so-tai-chinh")] {
        let stored = s.assignments(PLAN, unit).await.unwrap();
        assert!(!stored.is_empty());
        let st = s.plan_state(PLAN, day, unit).await.unwrap();
        let mut in_state = Vec::new();
        for t in &st.tasks {
            let mine: Vec<_> = stored.iter().filter(|a| a.task_id == t.task.id).collect();
            let got: Vec<_> = t.assignments.iter().map(|a| &a.assignment).collect();
            assert_eq!(got, mine, "task {}", t.task.id);
            in_state.extend(got);
        }
        assert_eq!(in_state.len(), stored.len());
        // Its reports, read as one value (`Store::reports_packed`), are `Store::reports`
        // without their texts (what was done, problems, proposals, the review's comment).
        let reports = s.reports(PLAN, None, unit).await.unwrap();
        assert!(!reports.is_empty());
        assert!(reports.iter().any(|r| !r.done.is_empty()));
        assert!(reports.iter().any(|r| r.review_comment.is_some()));
        let untexted: Vec<_> = reports
            .into_iter()
            .map(|mut r| {
                r.done.clear();
                r.problems.clear();
                r.proposals.clear();
                r.review_comment = None;
                r
            })
            .collect();
        assert_eq!(st.reports, untexted);
        let reported = in_state
            .iter()
            .find(|a| a.task_id == TASK && a.unit == "so-tai-chinh")
            .unwrap();
        assert_eq!(reported.progress_pct, 40);
    }
}

/// Another process's writes: `server` reads the data versions before every read model (as the
/// web server does at most every 250 ms), `cli` is a second store on the same database.
async fn a_write_of_another_process_shows_on_the_next_read(db: &TestDb) {
    let user = seed(&db.store).await;
    let url = db.url();
    let now = ConnectOptions {
        version_check: Duration::ZERO,
        ..ConnectOptions::default()
    };
    let server = Store::connect_with(&url, &now).await.unwrap();
    let cli = Store::connect(&url).await.unwrap();
    let day = DAY.parse().unwrap();
    let status = |st: &parindex_store::PlanState| {
        st.task(TASK)
            .unwrap()
            .assignments
            .iter()
            .find(|a| a.assignment.unit == "so-tai-chinh")
            .unwrap()
            .status
    };
    let state = read_all(&server).await;
    assert_eq!(status(&state), Status::Overdue);
    // Read again with nothing written: the same values, from memory.
    let again = read_all(&server).await;
    assert!(Arc::ptr_eq(&state, &again), "read again with no write");
    assert_eq!(kept(&server), set(EVERY));

    // The other process submits a monthly report: the next read of the plan's state shows it;
    // the plan's document, the edition, the units and the results are not read again.
    let report = cli
        .submit_report(
            PLAN,
            TASK,
            "so-tai-chinh",
            &ReportInput {
                period: "once".into(),
                done: "Đã trình dự thảo".into(),
                problems: String::new(),
                proposals: String::new(),
                progress_pct: 100,
            },
            &[],
            date(2021, 7, 28),
            &WorkCalendar::every_day(),
            "sotaichinh",
        )
        .await
        .unwrap();
    let submitted = server.plan_state_shared(PLAN, day, None).await.unwrap();
    assert_eq!(status(&submitted), Status::Submitted);
    assert_eq!(kept(&server), set(EVERY), "all current again");
    read_all(&server).await;
    // Its review, by the other process: the same.
    cli.review_report(
        report.id,
        Decision::Accepted,
        "",
        "sonoivu",
        date(2021, 8, 15),
    )
    .await
    .unwrap();
    server.check_versions().await;
    assert_eq!(kept(&server), every_but(&["plan-state"]));
    let accepted = server.plan_state_shared(PLAN, day, None).await.unwrap();
    assert_eq!(status(&accepted), Status::Accepted);

    // A unit renamed by the other process (a write to every table): every read model is read
    // again (the session too: it is read from the users); the next read shows the new name.
    let mut units = server.units(None).await.unwrap();
    let u = units.iter_mut().find(|u| u.slug == "so-tai-chinh").unwrap();
    u.name_vi = "Sở Tài chính (mới)".into();
    cli.save_units(&units, "cli").await.unwrap();
    server.check_versions().await;
    assert!(kept(&server).is_empty(), "{:?}", kept(&server));
    let named = server.units(None).await.unwrap();
    assert!(named.iter().any(|u| u.name_vi == "Sở Tài chính (mới)"));

    // With the default time between two looks (250 ms), such a write shows within it.
    let later = Store::connect(&url).await.unwrap();
    let before = later.units(None).await.unwrap();
    let mut units = before.clone();
    let u = units.iter_mut().find(|u| u.slug == "so-tai-chinh").unwrap();
    u.name_vi = "Sở Tài chính".into();
    cli.save_units(&units, "cli").await.unwrap();
    tokio::time::sleep(parindex_store::VERSION_CHECK).await;
    let after = later.units(None).await.unwrap();
    assert!(after.iter().any(|u| u.name_vi == "Sở Tài chính"));
    assert!(!after.iter().any(|u| u.name_vi == "Sở Tài chính (mới)"));

    // The other process's own read models see this store's writes the same way.
    let day_state = cli.plan_state_shared(PLAN, day, None).await.unwrap();
    server.set_lang(user, "en").await.unwrap();
    server
        .record_event("system", "backup", "backup", "b2", serde_json::json!({}))
        .await
        .unwrap();
    tokio::time::sleep(parindex_store::VERSION_CHECK).await;
    let kept_state = cli.plan_state_shared(PLAN, day, None).await.unwrap();
    assert!(
        Arc::ptr_eq(&day_state, &kept_state),
        "a language changed and an audit event leave the plan's state current"
    );
    for s in [server, cli, later] {
        s.close().await;
    }
}

#[tokio::test]
async fn sqlite_a_write_of_another_process_shows_on_the_next_read() {
    let db = TestDb::sqlite().await.unwrap();
    a_write_of_another_process_shows_on_the_next_read(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_a_write_of_another_process_shows_on_the_next_read() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            a_write_of_another_process_shows_on_the_next_read(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

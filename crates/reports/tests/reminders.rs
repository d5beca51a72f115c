//! Reminders reach a real SMTP listener started by the test, once each: 7 days before the
//! deadline of 31/7/2021, 1 day before, and on becoming overdue; never again the same day, the
//! next day or after a restart; not for a period whose report was submitted; moved by a
//! weekends-off calendar (31/7/2021 is a Saturday). On SQLite, and on PostgreSQL when
//! TEST_DATABASE_URL is set.

mod common;

use common::{seed, SmtpSink, PLAN};
use jiff::civil::{date, Date};
use parindex_domain::access::Role;
use parindex_domain::calendar::{ReminderKind, WorkCalendar};
use parindex_reports::{run_reminders, Mailer};
use parindex_store::testing::TestDb;
use parindex_store::{ReportInput, Store, UserInput};
use std::collections::{BTreeMap, BTreeSet};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = parindex_store::testing::TestDb::sqlite().await.expect("sqlite test database");
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    match parindex_store::testing::TestDb::postgres().await.expect("postgres test database") {
                        Some(db) => {
                            super::$name(&db).await;
                            db.cleanup().await;
                        }
                        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run of {} skipped", stringify!($name)),
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    reminders_arrive_once_each,
    a_weekends_off_calendar_moves_them,
    without_a_mailer_only_in_app
);

const DUE: Date = date(2021, 7, 31);

/// Users with e-mail addresses: two of Sở Tài chính, one of Sở Tư pháp.
const USERS: &[(&str, &str, &str)] = &[
    (
        "sotaichinh",
        "so-tai-chinh",
        "chuyenvien.stc@bacgiang.gov.vn",
    ),
    ("ketoan.stc", "so-tai-chinh", "ketoan.stc@bacgiang.gov.vn"),
    ("sotuphap", "so-tu-phap", "chuyenvien.stp@bacgiang.gov.vn"),
];

async fn users(s: &Store) {
    for (name, unit, email) in USERS {
        let id = s
            .create_user(
                &UserInput {
                    username: name.to_string(),
                    display_name: name.to_string(),
                    role: Role::Agency,
                    unit: Some(unit.to_string()),
                    lang: "vi".into(),
                    active: true,
                },
                "not-a-real-hash",
                "test",
            )
            .await
            .unwrap();
        s.set_user_email(id, Some(email), "test").await.unwrap();
    }
}

fn report(period: &str) -> ReportInput {
    ReportInput {
        period: period.into(),
        done: "Đã thực hiện".into(),
        problems: String::new(),
        proposals: String::new(),
        progress_pct: 100,
    }
}

/// Per unit, the titles of its tasks with a period due on `due` that is not submitted or
/// accepted as of `today`.
async fn due_titles(s: &Store, unit: &str, today: Date, due: Date) -> BTreeSet<String> {
    let st = s.plan_state(PLAN, today, Some(unit)).await.unwrap();
    st.tasks
        .iter()
        .filter(|t| {
            t.assignments.iter().any(|a| {
                a.periods.iter().any(|p| {
                    p.period.due == due
                        && !matches!(
                            p.status,
                            parindex_domain::plan::Status::Submitted
                                | parindex_domain::plan::Status::Accepted
                        )
                })
            })
        })
        .map(|t| t.task.title.clone())
        .collect()
}

/// Recipient → the task titles named in the subjects received, checking every subject names
/// the due date and the kind.
fn by_recipient(
    msgs: &[common::Received],
    titles: &BTreeSet<String>,
    due: &str,
    tag: &str,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in msgs {
        assert_eq!(m.to.len(), 1, "one recipient per message");
        assert_eq!(m.from, "parindex@bacgiang.gov.vn");
        let subject = m.subject();
        assert!(subject.contains(due), "{subject}");
        assert!(subject.contains(tag), "{subject}");
        let title = titles
            .iter()
            .find(|t| subject.contains(t.as_str()))
            .unwrap_or_else(|| panic!("no task title in {subject:?}"));
        assert!(m.header("To").unwrap().contains(&m.to[0]));
        out.entry(m.to[0].clone()).or_default().push(title.clone());
    }
    out
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

async fn all_titles(s: &Store) -> BTreeSet<String> {
    s.plan_document(PLAN)
        .await
        .unwrap()
        .unwrap()
        .tasks
        .into_iter()
        .map(|t| t.title)
        .collect()
}

async fn reminders_arrive_once_each(db: &TestDb) {
    let s = &db.store;
    seed(s).await;
    users(s).await;
    let cal = WorkCalendar::every_day();
    // Sở Tư pháp has already sent its July monthly report: no reminder for it.
    s.submit_report(
        PLAN,
        "III.1-monthly-report",
        "so-tu-phap",
        &report("2021-07"),
        &[],
        date(2021, 7, 20),
        &cal,
        "sotuphap",
    )
    .await
    .unwrap();
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.url(), "ParIndex <parindex@bacgiang.gov.vn>").unwrap();
    let titles = all_titles(s).await;

    // 24/7/2021, 7 days before 31/7: one e-mail per unit user for each task due 31/7.
    let day = date(2021, 7, 24);
    let stc = due_titles(s, "so-tai-chinh", day, DUE).await;
    let stp = due_titles(s, "so-tu-phap", day, DUE).await;
    assert!(stc.len() >= 5, "{stc:?}");
    let monthly = &s
        .plan_document(PLAN)
        .await
        .unwrap()
        .unwrap()
        .tasks
        .into_iter()
        .find(|t| t.id == "III.1-monthly-report")
        .unwrap()
        .title;
    assert!(!stp.contains(monthly), "submitted");
    let sum = run_reminders(s, Some(PLAN), day, &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(sum
        .sent
        .iter()
        .all(|r| r.kind == ReminderKind::Before7 && r.due == DUE));
    assert_eq!(sum.email_failures, 0);
    let msgs = sink.take();
    assert_eq!(sum.emails, msgs.len());
    assert_eq!(msgs.len(), 2 * stc.len() + stp.len());
    let got = by_recipient(&msgs, &titles, "31/07/2021", "Nhắc hạn");
    let want_stc: Vec<String> = stc.iter().cloned().collect();
    assert_eq!(sorted(&got["chuyenvien.stc@bacgiang.gov.vn"]), want_stc);
    assert_eq!(sorted(&got["ketoan.stc@bacgiang.gov.vn"]), want_stc);
    assert_eq!(
        sorted(&got["chuyenvien.stp@bacgiang.gov.vn"]),
        stp.iter().cloned().collect::<Vec<_>>()
    );
    assert!(msgs.iter().all(|m| m.subject().contains("còn 7 ngày")));
    // Without a public URL the link is the bare path.
    assert!(
        msgs.iter()
            .all(|m| m.body().contains("ParIndex: /plans/bac-giang-2021/tasks/")),
        "{}",
        msgs[0].body()
    );
    // In-app: one notification per reminder of the unit, with the link to the task.
    let notes = s.notifications("so-tai-chinh", 100).await.unwrap();
    assert_eq!(notes.len(), stc.len());
    assert!(notes.iter().all(|n| n.message.contains("31/07/2021")
        && n.message.contains("còn 7 ngày")
        && n.link.starts_with("/plans/bac-giang-2021/tasks/")));
    let units_reminded: BTreeSet<&str> = sum.sent.iter().map(|r| r.unit.as_str()).collect();
    assert!(
        units_reminded.len() >= 19,
        "every department and district is reminded in-app"
    );
    let before7 = sum.sent.len();

    // The same day again, and the next day: nothing new (claimed once).
    let again = run_reminders(s, Some(PLAN), day, &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(again.sent.is_empty());
    assert_eq!(again.already_sent, before7);
    let next = run_reminders(s, None, date(2021, 7, 25), &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(next.sent.is_empty(), "{:?}", next.sent);
    assert!(sink.take().is_empty(), "no duplicate e-mail");
    assert_eq!(
        s.notifications("so-tai-chinh", 100).await.unwrap().len(),
        stc.len()
    );

    // 30/7: the 1-day reminders.
    let day = date(2021, 7, 30);
    let sum = run_reminders(s, Some(PLAN), day, &cal, Some(&mailer))
        .await
        .unwrap();
    assert_eq!(sum.sent.len(), before7);
    assert!(sum.sent.iter().all(|r| r.kind == ReminderKind::Before1));
    let msgs = sink.take();
    assert_eq!(msgs.len(), 2 * stc.len() + stp.len());
    let got = by_recipient(&msgs, &titles, "31/07/2021", "Nhắc hạn");
    assert_eq!(sorted(&got["ketoan.stc@bacgiang.gov.vn"]), want_stc);
    assert!(msgs.iter().all(|m| m.subject().contains("còn 1 ngày")));
    assert!(s.notifications("so-tai-chinh", 1).await.unwrap()[0]
        .message
        .contains("còn 1 ngày"));

    // Sở Tài chính reports on its one-off task on the due date: no overdue reminder for it.
    s.submit_report(
        PLAN,
        "II.4-intangible-assets",
        "so-tai-chinh",
        &report("once"),
        &[],
        DUE,
        &cal,
        "sotaichinh",
    )
    .await
    .unwrap();

    // 1/8: overdue — after a "restart" (a new connection to the same database).
    let restarted = Store::connect(&db.url()).await.unwrap();
    let day = date(2021, 8, 1);
    let stc_over = due_titles(&restarted, "so-tai-chinh", day, DUE).await;
    assert_eq!(stc_over.len(), stc.len() - 1);
    let sum = run_reminders(&restarted, Some(PLAN), day, &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(sum.sent.iter().all(|r| r.kind == ReminderKind::Overdue));
    assert_eq!(sum.sent.len(), before7 - 1);
    let msgs = sink.take();
    assert_eq!(msgs.len(), 2 * stc_over.len() + stp.len());
    let got = by_recipient(&msgs, &titles, "31/07/2021", "Quá hạn");
    assert!(msgs.iter().all(|m| m.subject().contains("đã quá hạn")));
    assert_eq!(
        sorted(&got["chuyenvien.stc@bacgiang.gov.vn"]),
        stc_over.iter().cloned().collect::<Vec<_>>()
    );
    // Run again on the restarted store and on the first one: nothing new.
    assert!(run_reminders(&restarted, None, day, &cal, Some(&mailer))
        .await
        .unwrap()
        .sent
        .is_empty());
    assert!(
        run_reminders(s, None, date(2021, 8, 2), &cal, Some(&mailer))
            .await
            .unwrap()
            .sent
            .is_empty()
    );
    assert!(sink.take().is_empty());
    restarted.close().await;

    // An unknown plan is refused.
    assert!(run_reminders(s, Some("khong-co"), day, &cal, None)
        .await
        .is_err());
}

async fn a_weekends_off_calendar_moves_them(db: &TestDb) {
    let s = &db.store;
    seed(s).await;
    users(s).await;
    let cal = WorkCalendar {
        weekends_off: true,
        holidays: BTreeSet::new(),
    };
    s.save_work_calendar(&cal, &[], "test").await.unwrap();
    let cal = s.work_calendar().await.unwrap();
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.url(), "parindex@bacgiang.gov.vn")
        .unwrap()
        .with_public_url(Some("https://parindex.bacgiang.gov.vn/"));
    let titles = all_titles(s).await;
    // 31/7/2021 is a Saturday: due Monday 2/8, so the 7-day reminder waits until Monday 26/7.
    let moved = date(2021, 8, 2);
    let sum = run_reminders(s, None, date(2021, 7, 24), &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(sum.sent.is_empty(), "{:?}", sum.sent);
    assert!(sink.take().is_empty());
    let sum = run_reminders(s, None, date(2021, 7, 26), &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(!sum.sent.is_empty());
    assert!(sum
        .sent
        .iter()
        .all(|r| r.kind == ReminderKind::Before7 && r.due == moved));
    let msgs = sink.take();
    let stc = due_titles(s, "so-tai-chinh", date(2021, 7, 26), moved).await;
    let got = by_recipient(&msgs, &titles, "02/08/2021", "Nhắc hạn");
    assert_eq!(got["chuyenvien.stc@bacgiang.gov.vn"].len(), stc.len());
    // With the public URL known, the e-mail links to the task on the site.
    assert!(
        msgs.iter().all(|m| m
            .body()
            .contains("ParIndex: https://parindex.bacgiang.gov.vn/plans/bac-giang-2021/tasks/")),
        "{}",
        msgs[0].body()
    );
    // The 1-day reminder for Monday goes out on Friday 30/7; nothing at the weekend.
    let sum = run_reminders(s, None, date(2021, 7, 30), &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(!sum.sent.is_empty() && sum.sent.iter().all(|r| r.kind == ReminderKind::Before1));
    by_recipient(&sink.take(), &titles, "02/08/2021", "Nhắc hạn");
    for d in [date(2021, 7, 31), date(2021, 8, 1), moved] {
        assert!(
            run_reminders(s, None, d, &cal, Some(&mailer))
                .await
                .unwrap()
                .sent
                .is_empty(),
            "{d}"
        );
    }
    assert!(sink.take().is_empty());
    // Overdue from Tuesday 3/8.
    let sum = run_reminders(s, None, date(2021, 8, 3), &cal, Some(&mailer))
        .await
        .unwrap();
    assert!(!sum.sent.is_empty() && sum.sent.iter().all(|r| r.kind == ReminderKind::Overdue));
    let got = by_recipient(&sink.take(), &titles, "02/08/2021", "Quá hạn");
    assert_eq!(got["ketoan.stc@bacgiang.gov.vn"].len(), stc.len());
}

async fn without_a_mailer_only_in_app(db: &TestDb) {
    let s = &db.store;
    seed(s).await;
    users(s).await;
    let cal = WorkCalendar::every_day();
    let sum = run_reminders(s, None, date(2021, 8, 1), &cal, None)
        .await
        .unwrap();
    assert!(!sum.sent.is_empty());
    assert_eq!(sum.emails, 0);
    let notes = s.notifications("so-tu-phap", 100).await.unwrap();
    assert!(!notes.is_empty() && notes.iter().all(|n| n.message.starts_with("Quá hạn")));
    // An SMTP server that does not answer: nothing is claimed, the next run sends them.
    let dead = Mailer::new("smtp://127.0.0.1:9", "parindex@bacgiang.gov.vn").unwrap();
    let day = date(2021, 8, 24);
    let err = run_reminders(s, None, day, &cal, Some(&dead))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("127.0.0.1:9") && err.contains("next run"),
        "{err}"
    );
    let sum = run_reminders(s, None, day, &cal, None).await.unwrap();
    assert!(!sum.sent.is_empty(), "claimed only now");
    assert!(sum.sent.iter().all(|r| r.kind == ReminderKind::Before7));
}

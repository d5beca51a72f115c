//! The demo is true to its date: `parindex demo` runs on a clock inside the 2021 plan's life
//! (15/08/2021 unless `--as-of` says otherwise), and the history it generates — the sample
//! monthly reports and their reviews, the sample assessment rounds — stops at that day.

use jiff::civil::{date, Date};
use parindex_domain::plan::{Decision, Report, Status};
use parindex_store::testing::TestDb;
use parindex_store::Store;
use std::collections::BTreeMap;
use std::process::Command;

const PLAN: &str = "bac-giang-2021";

fn demo(db: &str, as_of: Option<&str>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parindex"));
    c.arg("--db").arg(db);
    if let Some(d) = as_of {
        c.args(["--as-of", d]);
    }
    let out = c
        .args(["demo", "--no-serve"])
        .env("PARINDEX_LOG", "warn")
        .env_remove("PARINDEX_AS_OF")
        .output()
        .expect("the parindex binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// The (task, unit, period) of a report, its versions oldest first.
fn by_key(reports: &[Report]) -> BTreeMap<(String, String, String), Vec<&Report>> {
    let mut m: BTreeMap<_, Vec<&Report>> = BTreeMap::new();
    for r in reports {
        m.entry((r.task_id.clone(), r.unit.clone(), r.period.clone()))
            .or_default()
            .push(r);
    }
    for v in m.values_mut() {
        v.sort_by_key(|r| r.version);
    }
    m
}

/// A stored timestamp (UTC) as the civil day in Asia/Ho_Chi_Minh.
fn day_of(stamp: &str) -> Date {
    let t: jiff::Timestamp = stamp.parse().expect("a stored timestamp");
    t.to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .date()
}

/// Nothing of the demo's history is dated after `today`: report submissions, their reviews
/// (the units' notifications of them), assessment submissions, appraisals, publications.
async fn nothing_after(store: &Store, today: Date) {
    let reports = store.reports(PLAN, None, None).await.expect("reports");
    assert!(!reports.is_empty(), "the demo has reports");
    for r in &reports {
        assert!(r.submitted_on <= today, "{r:?} submitted after {today}");
    }
    for u in store.units(None).await.expect("units") {
        for n in store.notifications(&u.slug, 1000).await.expect("notices") {
            assert!(
                day_of(&n.created_at) <= today,
                "a notification dated {} on {today}: {}",
                n.created_at,
                n.message
            );
        }
    }
    for rs in store.rounds().await.expect("rounds") {
        let round = rs.round;
        if let Some(p) = round.published_on {
            assert!(p <= today, "{} published on {p}, after {today}", round.id);
        }
        for unit in &round.units {
            let a = store
                .assessment(&round.id, unit)
                .await
                .expect("an assessment")
                .expect("the unit's assessment");
            if let Some(s) = a.progress.submitted_on {
                assert!(s <= today, "{unit} submitted in {} on {s}", round.id);
            }
        }
    }
    // The audit log too: what the demo did is dated on its day, not on the real date.
    let log = store
        .audit_log(&parindex_store::AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("the audit log");
    assert!(!log.is_empty(), "the demo's changes are audited");
    for e in &log {
        assert!(
            day_of(&e.at) <= today,
            "{} {} {} dated {}",
            e.action,
            e.entity,
            e.entity_id,
            e.at
        );
    }
}

#[tokio::test]
async fn the_demo_runs_on_a_day_of_the_plan_and_its_history_stops_there() {
    let db = TestDb::sqlite().await.expect("a test database");
    let url = db.url();
    let out = demo(&url, None);
    assert!(out.contains("demo clock: 15/08/2021"), "{out}");
    let today = date(2021, 8, 15);
    nothing_after(&db.store, today).await;
    let log = db
        .store
        .audit_log(&parindex_store::AuditFilter {
            limit: 5,
            ..Default::default()
        })
        .await
        .expect("the audit log");
    assert!(log.iter().all(|e| day_of(&e.at) == today), "{log:?}");

    // Each kind of report exists: on time, late, returned then resubmitted, accepted, and one
    // still awaiting review.
    let reports = db.store.reports(PLAN, None, None).await.expect("reports");
    let state = db
        .store
        .plan_state(PLAN, today, None)
        .await
        .expect("the plan as of 15/08/2021");
    let due: BTreeMap<(String, String), Date> = state
        .tasks
        .iter()
        .flat_map(|t| t.assignments.iter())
        .flat_map(|a| {
            a.periods.iter().map(move |p| {
                (
                    (a.assignment.task_id.clone(), p.period.key.clone()),
                    p.period.due,
                )
            })
        })
        .collect();
    let keyed = by_key(&reports);
    let first_due = |k: &(String, String, String)| due[&(k.0.clone(), k.2.clone())];
    let on_time = keyed
        .iter()
        .filter(|(k, v)| v[0].submitted_on <= first_due(k))
        .count();
    let late = keyed
        .iter()
        .filter(|(k, v)| v[0].submitted_on > first_due(k))
        .count();
    let resubmitted = keyed
        .values()
        .filter(|v| {
            v.len() >= 2
                && v[0].decision == Some(Decision::Returned)
                && v[0]
                    .review_comment
                    .as_deref()
                    .is_some_and(|c| !c.is_empty())
                && v[1].submitted_on > v[0].submitted_on
        })
        .count();
    let accepted = reports
        .iter()
        .filter(|r| r.decision == Some(Decision::Accepted))
        .count();
    let awaiting = keyed
        .values()
        .filter(|v| v.last().is_some_and(|r| r.decision.is_none()))
        .count();
    assert!(
        on_time > 0 && late > 0 && resubmitted > 0 && accepted > 0 && awaiting > 0,
        "on time {on_time}, late {late}, returned and resubmitted {resubmitted}, accepted {accepted}, awaiting review {awaiting}"
    );
    // Every report is labelled sample content.
    assert!(
        reports.iter().all(|r| r.done.contains("(Dữ liệu mẫu)")),
        "sample reports are labelled"
    );

    // The board: some items overdue, not all of them; nothing due after the clock is overdue.
    let items: Vec<Status> = state
        .tasks
        .iter()
        .flat_map(|t| t.assignments.iter())
        .flat_map(|a| {
            a.periods
                .iter()
                .filter(|p| p.period.due < today)
                .map(|p| p.status)
        })
        .collect();
    let overdue = items.iter().filter(|s| **s == Status::Overdue).count();
    assert!(
        overdue > 0 && overdue * 3 < items.len(),
        "{overdue} of {} past items overdue",
        items.len()
    );
    assert!(
        state.tiles.overdue > 0
            && state.tiles.overdue
                < state
                    .tasks
                    .iter()
                    .map(|t| t.assignments.len())
                    .sum::<usize>()
    );

    // The assessment rounds: on 15/08/2021 only the 2020 rounds exist, published 25/02/2021.
    let rounds = db.store.rounds().await.expect("rounds");
    let ids: Vec<(&str, Option<Date>)> = rounds
        .iter()
        .map(|r| (r.round.id.as_str(), r.round.published_on))
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.iter()
            .all(|(id, p)| id.ends_with("2020") && *p == Some(date(2021, 2, 25))),
        "{ids:?}"
    );

    // The heads of agency are sample names, labelled as such.
    let units = db.store.units(None).await.expect("units");
    assert!(units.iter().all(|u| u
        .head_name
        .as_deref()
        .is_some_and(|h| h.ends_with("(tên mẫu)"))));

    // Loading again on the same day adds nothing.
    let again = demo(&url, None);
    assert!(!again.contains("plan history"), "{again}");
    assert_eq!(
        db.store
            .reports(PLAN, None, None)
            .await
            .expect("reports")
            .len(),
        reports.len()
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_later_clock_gives_a_later_history_and_continues_an_earlier_one() {
    let early = TestDb::sqlite().await.expect("a test database");
    demo(&early.url(), None);
    let august = early
        .store
        .reports(PLAN, None, None)
        .await
        .expect("reports");

    // The same database, the clock moved on: the stories continue.
    let out = demo(&early.url(), Some("2021-10-01"));
    assert!(out.contains("demo clock: 01/10/2021"), "{out}");
    let today = date(2021, 10, 1);
    nothing_after(&early.store, today).await;
    let continued = early
        .store
        .reports(PLAN, None, None)
        .await
        .expect("reports");
    assert!(
        continued.len() > august.len() + 50,
        "{} reports on 01/10/2021, {} on 15/08/2021",
        continued.len(),
        august.len()
    );
    assert!(continued.iter().any(|r| r.period == "2021-09"));

    // A fresh database on 01/10/2021 holds the same history (deterministic, no randomness).
    let fresh = TestDb::sqlite().await.expect("a test database");
    demo(&fresh.url(), Some("2021-10-01"));
    let direct = fresh
        .store
        .reports(PLAN, None, None)
        .await
        .expect("reports");
    let sig = |rs: &[Report]| -> Vec<(String, String, String, i64, Date, Option<Decision>)> {
        let mut v: Vec<_> = rs
            .iter()
            .map(|r| {
                (
                    r.task_id.clone(),
                    r.unit.clone(),
                    r.period.clone(),
                    r.version,
                    r.submitted_on,
                    r.decision,
                )
            })
            .collect();
        v.sort_by(|a, b| (&a.0, &a.1, &a.2, a.3).cmp(&(&b.0, &b.1, &b.2, b.3)));
        v
    };
    assert_eq!(sig(&continued), sig(&direct));
    early.cleanup().await;
    fresh.cleanup().await;
}

#[tokio::test]
async fn the_assessment_rounds_follow_the_clock() {
    let db = TestDb::sqlite().await.expect("a test database");
    // 20/12/2021: the 2021 rounds are open, the units have self-scored that day, nothing is
    // appraised or published yet.
    demo(&db.url(), Some("2021-12-20"));
    let today = date(2021, 12, 20);
    nothing_after(&db.store, today).await;
    let r = db
        .store
        .round("mau-huyen-2021")
        .await
        .expect("a round")
        .expect("the 2021 district round exists on 20/12/2021");
    assert_eq!(r.published_on, None);
    let a = db
        .store
        .assessment("mau-huyen-2021", "huyen-viet-yen")
        .await
        .expect("an assessment")
        .expect("the unit");
    assert_eq!(a.progress.submitted_on, Some(today));
    assert!(a.items.values().all(|i| i.appraisal1.is_none()));
    // 26/02/2022: round 1 and 2 appraised, the district round published on 25/02/2022.
    demo(&db.url(), Some("2022-02-26"));
    nothing_after(&db.store, date(2022, 2, 26)).await;
    let r = db
        .store
        .round("mau-huyen-2021")
        .await
        .expect("a round")
        .expect("the round");
    assert_eq!(r.published_on, Some(date(2022, 2, 25)));
    db.cleanup().await;
}

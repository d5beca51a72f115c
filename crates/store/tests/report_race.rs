//! Monthly reports of one assignment and period sent at the same moment (two people of a unit,
//! a form sent twice with different text) each become their own version. The version was read
//! before the transaction, so simultaneous submissions took the same one and all but one failed
//! on the unique key (a 500 on the page) — found by bench/soak.sh. On SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL.

use jiff::civil::date;
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::plan::Decision;
use parindex_interchange as ix;
use parindex_store::{ReportInput, Store, StoreError};
use std::collections::BTreeSet;

use parindex_store::on_both_backends;

on_both_backends!(simultaneous_reports_get_their_own_versions);

const PLAN: &str = "bac-giang-2021";
const TASK: &str = "II.4-intangible-assets";
const UNIT: &str = "so-tai-chinh";

async fn seed(s: &Store) {
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
}

async fn simultaneous_reports_get_their_own_versions(s: &Store) {
    seed(s).await;
    const N: usize = 8;
    let today = date(2021, 7, 28);
    let gate = std::sync::Arc::new(tokio::sync::Barrier::new(N));
    let sends: Vec<_> = (0..N)
        .map(|i| {
            let s = s.clone();
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.wait().await;
                s.submit_report(
                    PLAN,
                    TASK,
                    UNIT,
                    &ReportInput {
                        period: "once".into(),
                        done: format!("Đã trình dự thảo, lần gửi {i}"),
                        problems: String::new(),
                        proposals: String::new(),
                        progress_pct: 50,
                    },
                    &[],
                    today,
                    &WorkCalendar::every_day(),
                    "sotaichinh",
                )
                .await
            })
        })
        .collect();
    let mut versions = Vec::new();
    for send in sends {
        let r = send.await.unwrap();
        versions.push(r.expect("every simultaneous report is stored").version);
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=N as i64).collect::<Vec<_>>());
    let stored = s.reports(PLAN, Some(TASK), Some(UNIT)).await.unwrap();
    assert_eq!(stored.len(), N);

    // Accepted, the period takes no further version, however the submission is timed.
    let latest = stored.iter().max_by_key(|r| r.version).unwrap();
    s.review_report(
        latest.id,
        Decision::Accepted,
        "Đạt",
        "sonoivu",
        date(2021, 8, 15),
    )
    .await
    .unwrap();
    let refused = s
        .submit_report(
            PLAN,
            TASK,
            UNIT,
            &ReportInput {
                period: "once".into(),
                done: "Sau khi đã được chấp nhận".into(),
                problems: String::new(),
                proposals: String::new(),
                progress_pct: 60,
            },
            &[],
            today,
            &WorkCalendar::every_day(),
            "sotaichinh",
        )
        .await;
    assert!(matches!(
        refused,
        Err(StoreError::Invalid(m)) if m.has(
            "period",
            &parindex_store::RefusalKind::Report(parindex_domain::plan::ReportRefusal::Accepted)
        )
    ));
}

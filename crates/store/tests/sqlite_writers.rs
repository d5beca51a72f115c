//! Two writers meeting on a SQLite file. A change that reads before it writes (an appraisal
//! first checks that its round is not published) must wait for another connection's write and
//! then succeed. In a deferred transaction it failed at once with "database is locked" (code
//! 517, SQLITE_BUSY_SNAPSHOT): its snapshot was older than the other writer's commit, and no
//! busy timeout helps with that. The crash-kill tests met it when a server restarted after a
//! kill sent the day's reminders while the appraiser saved (crates/cli/tests/crash_kill.rs).

use jiff::civil::date;
use parindex_domain::assessment::{ClassBands, Deadlines};
use parindex_interchange as ix;
use parindex_store::assessments::{AppraisalChange, NewRound};
use parindex_store::testing::TestDb;
use rust_decimal_macros::dec;
use sqlx::{Connection, Executor};
use std::collections::BTreeSet;
use std::time::Duration;

#[tokio::test]
async fn a_change_waits_for_another_writer_instead_of_failing() {
    let db = TestDb::sqlite().await.unwrap();
    let s = db.store.clone();
    let units = ix::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &BTreeSet::new(),
    )
    .unwrap();
    s.save_units(&units, "test").await.unwrap();
    let e = ix::edition::edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap();
    s.save_edition(&e, "test").await.unwrap();
    let r = "so-nganh-2021";
    s.create_round(
        &NewRound {
            id: r.into(),
            name: "Đánh giá thử (MẪU)".into(),
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
        "sonoivu",
    )
    .await
    .unwrap();
    let leaf = parindex_domain::assessment::leaves(&e)
        .into_iter()
        .find(|n| !n.survey_scored)
        .map(|n| n.code.clone())
        .unwrap();
    // Round 1 of the appraisal: the self-scoring and explanation deadlines have passed.
    let today = date(2022, 1, 15);

    // Another connection holds the write lock; the appraisal starts meanwhile, then the other
    // connection writes and commits.
    let mut other = sqlx::SqliteConnection::connect(&db.url()).await.unwrap();
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    let saving = tokio::spawn({
        let s = s.clone();
        let leaf = leaf.clone();
        async move {
            s.save_appraisal(
                r,
                "so-tu-phap",
                1,
                &[AppraisalChange {
                    code: leaf,
                    score: dec!(0),
                    comment: "Chưa đạt".into(),
                }],
                today,
                "thamdinh",
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    other
        .execute("INSERT INTO holidays (day, name) VALUES ('2021-12-31', 'Nghỉ bù')")
        .await
        .unwrap();
    other.execute("COMMIT").await.unwrap();
    let saved = saving.await.unwrap();
    assert!(
        saved.is_ok(),
        "the appraisal waits for the other writer: {saved:?}"
    );
    let a = s.assessment(r, "so-tu-phap").await.unwrap().unwrap();
    assert_eq!(
        a.items[&leaf].appraisal1.as_ref().map(|x| x.score),
        Some(dec!(0))
    );
    other.close().await.unwrap();
    db.cleanup().await;
}

//! The appraisal form sends round 1 and round 2 together; they are saved in one transaction
//! (`Store::save_appraisals`), so that a refusal or a failure of the second part leaves the
//! first unsaved too. Before, the form saved each round in its own transaction: round 1 was
//! kept when round 2 then failed. On SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use jiff::civil::{date, Date};
use parindex_domain::assessment::{ClassBands, Deadlines, Stage};
use parindex_domain::edition::NodeCode;
use parindex_interchange as ix;
use parindex_store::assessments::{AppraisalChange, NewRound};
use parindex_store::testing::TestDb;
use parindex_store::{AuditFilter, Store, StoreError};
use rust_decimal_macros::dec;
use sqlx::{Connection, Executor};
use std::collections::BTreeSet;

const ROUND: &str = "so-nganh-2021";
const UNIT: &str = "so-tu-phap";
/// During appraisal round 1 (self-scoring is over).
const ROUND1: fn() -> Date = || date(2022, 1, 15);
/// During round 2 (it opens the day after round 1's deadline, 21/01), with round 1 reopened for
/// the unit until 05/02 by the seed: both rounds open for it.
const ROUND2: fn() -> Date = || date(2022, 1, 25);
/// After both appraisal deadlines.
const LATE: fn() -> Date = || date(2022, 2, 20);

/// A round with Sở Tư pháp; three leaves: `a` appraised in round 1 and disputed in round 2
/// (round 1 reopened for the unit meanwhile), `b` and `c` not appraised yet.
async fn seed(s: &Store) -> (NodeCode, NodeCode, NodeCode) {
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
    s.create_round(
        &NewRound {
            id: ROUND.into(),
            name: "Đánh giá thử (MẪU)".into(),
            edition_id: e.id.clone(),
            units: vec![UNIT.into()],
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
    let manual: Vec<NodeCode> = parindex_domain::assessment::leaves(&e)
        .into_iter()
        .filter(|n| !n.survey_scored)
        .map(|n| n.code.clone())
        .take(3)
        .collect();
    let (a, b, c) = (manual[0].clone(), manual[1].clone(), manual[2].clone());
    s.save_appraisal(
        ROUND,
        UNIT,
        1,
        &[change(&a, "Thiếu tài liệu")],
        ROUND1(),
        "thamdinh",
    )
    .await
    .unwrap();
    s.reopen_stage(
        ROUND,
        UNIT,
        Stage::Appraisal1,
        date(2022, 2, 5),
        "Thẩm định bổ sung",
        date(2022, 1, 22),
        "sonoivu",
    )
    .await
    .unwrap();
    s.dispute_item(ROUND, UNIT, &a, "Đã bổ sung biên bản", ROUND2(), "sotuphap")
        .await
        .unwrap();
    (a, b, c)
}

fn change(code: &NodeCode, comment: &str) -> AppraisalChange {
    AppraisalChange {
        code: code.clone(),
        score: dec!(0),
        comment: comment.into(),
    }
}

async fn appraisal_entries(s: &Store) -> usize {
    s.audit_log(&AuditFilter {
        entity: Some("assessment_item".into()),
        limit: 1000,
        ..Default::default()
    })
    .await
    .unwrap()
    .iter()
    .filter(|e| e.action.starts_with("appraise"))
    .count()
}

/// Round 1 of `b` and round 2 of `a` in one save.
async fn both_rounds(
    s: &Store,
    a: &NodeCode,
    b: &NodeCode,
    today: Date,
) -> Result<usize, StoreError> {
    let r1 = [change(b, "Chưa đạt")];
    let r2 = [change(a, "Giữ nguyên sau khi xem tài liệu bổ sung")];
    s.save_appraisals(ROUND, UNIT, &[(1, &r1), (2, &r2)], today, "thamdinh")
        .await
}

/// The database refuses the round-2 write (a trigger, installed on another connection): the
/// round-1 write made before it in the same save is rolled back, and no audit entry is left.
async fn a_failed_second_part_leaves_the_first_unsaved(db: &TestDb, postgres: bool) {
    let s = &db.store;
    let (a, b, _) = seed(s).await;
    let entries = appraisal_entries(s).await;
    let refuse: &[&str] = if postgres {
        &[
            "CREATE FUNCTION refuse_round2() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.appraisal2 IS NOT NULL THEN RAISE EXCEPTION 'round 2 refused by the test'; END IF; \
             RETURN NEW; END $$",
            "CREATE TRIGGER refuse_round2 BEFORE INSERT OR UPDATE ON assessment_items \
             FOR EACH ROW EXECUTE FUNCTION refuse_round2()",
        ]
    } else {
        &[
            "CREATE TRIGGER refuse_round2_insert BEFORE INSERT ON assessment_items \
             WHEN NEW.appraisal2 IS NOT NULL BEGIN SELECT RAISE(ABORT, 'round 2 refused by the test'); END",
            "CREATE TRIGGER refuse_round2_update BEFORE UPDATE ON assessment_items \
             WHEN NEW.appraisal2 IS NOT NULL BEGIN SELECT RAISE(ABORT, 'round 2 refused by the test'); END",
        ]
    };
    let drop: &[&str] = if postgres {
        &["DROP TRIGGER refuse_round2 ON assessment_items"]
    } else {
        &[
            "DROP TRIGGER refuse_round2_insert",
            "DROP TRIGGER refuse_round2_update",
        ]
    };
    let mut other = sqlx::AnyConnection::connect(&db.url()).await.unwrap();
    for q in refuse {
        other.execute(*q).await.unwrap();
    }

    let saved = both_rounds(s, &a, &b, ROUND2()).await;
    assert!(
        saved.is_err(),
        "round 2 was refused by the database: {saved:?}"
    );
    let now = s.assessment(ROUND, UNIT).await.unwrap().unwrap();
    assert!(
        now.items.get(&b).is_none_or(|i| i.appraisal1.is_none()),
        "round 1 of the same save is not kept: {:?}",
        now.items.get(&b)
    );
    assert!(now.items[&a].appraisal2.is_none());
    assert_eq!(appraisal_entries(s).await, entries, "no audit entry either");

    // The same save goes through once the database takes it: both rounds, both audited.
    for q in drop {
        other.execute(*q).await.unwrap();
    }
    other.close().await.unwrap();
    assert_eq!(both_rounds(s, &a, &b, ROUND2()).await.unwrap(), 2);
    let now = s.assessment(ROUND, UNIT).await.unwrap().unwrap();
    assert_eq!(
        now.items[&b].appraisal1.as_ref().map(|x| x.score),
        Some(dec!(0))
    );
    assert_eq!(
        now.items[&a]
            .appraisal2
            .as_ref()
            .map(|x| x.comment.as_str()),
        Some("Giữ nguyên sau khi xem tài liệu bổ sung")
    );
    assert_eq!(appraisal_entries(s).await, entries + 2);
}

/// Round 1 reopened for the unit after both deadlines, round 2 closed: the round-2 part is
/// refused, and the round-1 part sent with it is not saved either (it used to be).
async fn a_refused_second_part_leaves_the_first_unsaved(s: &Store) {
    let (a, _, c) = seed(s).await;
    s.reopen_stage(
        ROUND,
        UNIT,
        Stage::Appraisal1,
        date(2022, 2, 25),
        "Hội đồng họp lại",
        LATE(),
        "sonoivu",
    )
    .await
    .unwrap();
    let entries = appraisal_entries(s).await;
    let refused = both_rounds(s, &a, &c, LATE()).await;
    match refused {
        Err(StoreError::Invalid(m)) => assert!(
            m.of("appraisal")
                .any(|k| matches!(k, parindex_store::RefusalKind::Locked(_))),
            "{m}"
        ),
        other => panic!("round 2 is closed: {other:?}"),
    }
    let now = s.assessment(ROUND, UNIT).await.unwrap().unwrap();
    assert!(now.items.get(&c).is_none_or(|i| i.appraisal1.is_none()));
    assert!(now.items[&a].appraisal2.is_none());
    assert_eq!(appraisal_entries(s).await, entries);
    // Round 1 alone is open (reopened) and saves.
    let r1 = [change(&c, "Chưa đạt")];
    assert_eq!(
        s.save_appraisals(ROUND, UNIT, &[(1, &r1)], LATE(), "thamdinh")
            .await
            .unwrap(),
        1
    );
}

mod sqlite {
    use parindex_store::testing::TestDb;

    #[tokio::test]
    async fn a_failed_second_part_leaves_the_first_unsaved() {
        let db = TestDb::sqlite().await.unwrap();
        super::a_failed_second_part_leaves_the_first_unsaved(&db, false).await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_refused_second_part_leaves_the_first_unsaved() {
        let db = TestDb::sqlite().await.unwrap();
        super::a_refused_second_part_leaves_the_first_unsaved(&db.store).await;
        db.cleanup().await;
    }
}

mod postgres {
    use parindex_store::testing::TestDb;

    #[tokio::test]
    async fn a_failed_second_part_leaves_the_first_unsaved() {
        let Some(db) = TestDb::postgres().await.unwrap() else {
            eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
            return;
        };
        super::a_failed_second_part_leaves_the_first_unsaved(&db, true).await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_refused_second_part_leaves_the_first_unsaved() {
        let Some(db) = TestDb::postgres().await.unwrap() else {
            eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
            return;
        };
        super::a_refused_second_part_leaves_the_first_unsaved(&db.store).await;
        db.cleanup().await;
    }
}

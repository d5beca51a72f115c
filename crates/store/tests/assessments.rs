//! Assessment rounds and evidence in the store, on SQLite and (with TEST_DATABASE_URL)
//! PostgreSQL: rounds checked whole; self-scores computed by the rules and locked by the clock;
//! reopening; submission; two appraisal rounds; publication freezing; corrections; the ranking
//! with ties, classes and the change since last year; next year's crosswalk; evidence files
//! checked by content, stored once, verified against their hashes.

use jiff::civil::{date, Date};
use parindex_domain::assessment::{
    ClassBands, ClassProblem, CrosswalkProblem, Deadlines, LockError, RoundProblem, Stage,
    SubmitProblem,
};
use parindex_domain::edition::{Edition, NodeCode};
use parindex_domain::rules::{ScoreInput, ScoringRule};
use parindex_interchange as ix;
use parindex_store::assessments::{AppraisalChange, ItemChange, NewRound, NextEdition, NextYear};
use parindex_store::evidence::{
    DocumentReference, EvidenceConfig, ItemRef, NewEvidenceFile, UploadProblem,
};
use parindex_store::{AuditFilter, RefusalKind, Refusals, Store, StoreError};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::{BTreeMap, BTreeSet};

use parindex_store::on_both_backends;

on_both_backends!(
    rounds_are_checked_whole,
    self_scores_follow_the_rules_and_the_clock,
    appraisal_publication_and_corrections,
    ranking_ties_classes_and_last_year,
    next_year_carries_units_criteria_and_evidence,
    evidence_files_are_checked_stored_once_and_verified,
);

const DEPARTMENTS: &str = include_str!("../../../data/samples/department-2021.toml");
const DISTRICTS: &str = include_str!("../../../data/samples/district-2021.toml");

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn deadlines() -> Deadlines {
    Deadlines {
        self_scoring: date(2021, 12, 30),
        explanation: date(2022, 1, 7),
        appraisal1: date(2022, 1, 21),
        appraisal2: date(2022, 2, 11),
        publication: date(2022, 2, 28),
    }
}

/// Before the self-scoring deadline, during appraisal round 1, during round 2.
const SCORING: fn() -> Date = || date(2021, 12, 20);
const ROUND1: fn() -> Date = || date(2022, 1, 15);
const ROUND2: fn() -> Date = || date(2022, 2, 5);

async fn seed(s: &Store) -> Edition {
    let units = ix::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &BTreeSet::new(),
    )
    .unwrap();
    s.save_units(&units, "test").await.unwrap();
    let e = ix::edition::edition_from_toml(DEPARTMENTS, "department-2021.toml").unwrap();
    assert!(e.sample, "the sample set is labelled as a sample");
    s.save_edition(&e, "test").await.unwrap();
    let d = ix::edition::edition_from_toml(DISTRICTS, "district-2021.toml").unwrap();
    assert!(d.sample && d.validate().is_empty());
    s.save_edition(&d, "test").await.unwrap();
    e
}

async fn round(s: &Store, id: &str, edition: &str, units: &[&str]) {
    s.create_round(
        &NewRound {
            id: id.into(),
            name: format!("Đánh giá {id} (MẪU)"),
            edition_id: edition.into(),
            units: units.iter().map(|u| u.to_string()).collect(),
            deadlines: deadlines(),
            classes: ClassBands::default(),
            note: String::new(),
        },
        "sonoivu",
    )
    .await
    .unwrap();
}

/// Declared figures for every self-scored leaf: `high` gives full marks, otherwise about half.
fn answers(e: &Edition, high: bool) -> Vec<ItemChange> {
    let leaves = parindex_domain::assessment::leaves(e);
    leaves
        .into_iter()
        .filter(|n| !n.survey_scored)
        .map(|n| {
            let max = n.max_points.unwrap_or_default();
            let input = match &n.rule {
                Some(ScoringRule::Manual { step }) => {
                    let p = if high {
                        max
                    } else {
                        (max / dec!(2) / step).floor() * step
                    };
                    ScoreInput::Points(p)
                }
                Some(ScoringRule::Choice { options }) => {
                    ScoreInput::Choice(options[if high { 0 } else { 1 }].key.clone())
                }
                Some(ScoringRule::Bands { .. }) => {
                    ScoreInput::Number(if high { dec!(100) } else { dec!(85) })
                }
                Some(ScoringRule::Proportional { target }) => {
                    ScoreInput::Number(if high { *target } else { *target / dec!(2) })
                }
                Some(ScoringRule::YesNo { .. }) => ScoreInput::YesNo(high),
                Some(ScoringRule::Bonus { .. }) | Some(ScoringRule::Penalty { .. }) => {
                    ScoreInput::Count(0)
                }
                None => ScoreInput::Points(max),
            };
            ItemChange {
                code: n.code.clone(),
                input: Some(input),
                note: String::new(),
                explanation: if n.evidence_required {
                    "Tài liệu đang được tập hợp".into()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

/// Self-score a unit fully, submit, and accept every self-score in round 1 (survey items get
/// `survey` points).
async fn complete(s: &Store, r: &str, unit: &str, high: bool, survey: Decimal) {
    let a = s.assessment(r, unit).await.unwrap().unwrap();
    s.save_self_assessment(r, unit, &answers(&a.edition, high), SCORING(), "agency")
        .await
        .unwrap();
    s.submit_self_assessment(r, unit, SCORING(), "agency")
        .await
        .unwrap();
    let a = s.assessment(r, unit).await.unwrap().unwrap();
    let changes: Vec<AppraisalChange> = parindex_domain::assessment::leaves(&a.edition)
        .into_iter()
        .map(|n| AppraisalChange {
            code: n.code.clone(),
            score: if n.survey_scored {
                survey.min(n.max_points.unwrap_or_default())
            } else {
                a.items
                    .get(&n.code)
                    .and_then(|i| i.self_score)
                    .unwrap_or_default()
            },
            comment: String::new(),
        })
        .collect();
    s.save_appraisal(r, unit, 1, &changes, ROUND1(), "thamdinh")
        .await
        .unwrap();
}

fn invalid(e: StoreError) -> Refusals {
    match e {
        StoreError::Invalid(m) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Whether a refusal of the field matches.
fn refused(rs: &Refusals, field: &str, pred: impl Fn(&RefusalKind) -> bool) -> bool {
    rs.of(field).any(pred)
}

/// Whether any refusal's field is this one.
fn names(rs: &Refusals, field: &str) -> bool {
    rs.of(field).next().is_some()
}

async fn rounds_are_checked_whole(s: &Store) {
    seed(s).await;
    let mut bad_deadlines = deadlines();
    bad_deadlines.appraisal1 = date(2021, 1, 1);
    let err = s
        .create_round(
            &NewRound {
                id: "Bad Id".into(),
                name: " ".into(),
                edition_id: "sample-department-2021".into(),
                units: vec!["huyen-yen-the".into(), "nowhere".into()],
                deadlines: bad_deadlines,
                classes: ClassBands(vec![]),
                note: String::new(),
            },
            "sonoivu",
        )
        .await
        .unwrap_err();
    let m = invalid(err);
    for (want, kind) in [
        (
            "id",
            RoundProblem::NotSlug {
                value: "Bad Id".into(),
            },
        ),
        ("name", RoundProblem::EmptyName),
        ("classes", RoundProblem::Class(ClassProblem::NoClasses)),
    ] {
        assert!(
            m.has(want, &RefusalKind::Round(kind)),
            "{want} missing from: {m:?}"
        );
    }
    assert!(
        refused(&m, "deadline.appraisal1", |k| matches!(
            k,
            RefusalKind::Round(RoundProblem::Order(o)) if o.stage == Stage::Appraisal1
        )),
        "{m:?}"
    );
    assert!(
        m.has(
            "units",
            &RefusalKind::Unknown {
                value: "nowhere".into()
            }
        ),
        "{m:?}"
    );
    assert!(
        refused(&m, "units", |k| matches!(
            k,
            RefusalKind::WrongLevel { value, .. } if value == "huyen-yen-the"
        )),
        "{m:?}"
    );
    assert!(s.rounds().await.unwrap().is_empty(), "nothing stored");
    round(
        s,
        "so-nganh-2021",
        "sample-department-2021",
        &["so-tu-phap", "so-noi-vu"],
    )
    .await;
    let r = s.round("so-nganh-2021").await.unwrap().unwrap();
    assert!(r.sample, "a round on a sample set is a sample");
    assert_eq!(r.year, 2021);
    assert_eq!(r.units, vec!["so-tu-phap", "so-noi-vu"]);
    let again = s
        .create_round(
            &NewRound {
                id: "so-nganh-2021".into(),
                name: "x".into(),
                edition_id: "nope".into(),
                units: vec!["so-tu-phap".into()],
                deadlines: deadlines(),
                classes: ClassBands::default(),
                note: String::new(),
            },
            "sonoivu",
        )
        .await
        .unwrap_err();
    let m = invalid(again);
    assert!(
        refused(&m, "id", |k| matches!(k, RefusalKind::Exists { .. }))
            && refused(&m, "edition", |k| matches!(k, RefusalKind::Unknown { .. })),
        "{m:?}"
    );
    let list = s.rounds().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].edition_name,
        "Bộ tiêu chí Chỉ số CCHC các sở, ban, ngành năm 2021 (MẪU)"
    );
}

async fn self_scores_follow_the_rules_and_the_clock(s: &Store) {
    seed(s).await;
    let r = "so-nganh-2021";
    round(s, r, "sample-department-2021", &["so-tu-phap", "so-noi-vu"]).await;
    let u = "so-tu-phap";
    let ch = |c: &str, i: Option<ScoreInput>| ItemChange {
        code: code(c),
        input: i,
        note: String::new(),
        explanation: String::new(),
    };
    // Rules applied to declared figures.
    let n = s
        .save_self_assessment(
            r,
            u,
            &[
                ch("1.1.1", Some(ScoreInput::Choice("late".into()))),
                ch("1.1.2", Some(ScoreInput::Number(dec!(85)))),
                ch("2.3", Some(ScoreInput::Number(dec!(40)))),
                ch("1.3", Some(ScoreInput::Points(dec!(2.5)))),
                ch("2.6", Some(ScoreInput::Count(3))),
            ],
            SCORING(),
            "sotuphap",
        )
        .await
        .unwrap();
    assert_eq!(n, 5);
    let a = s.assessment(r, u).await.unwrap().unwrap();
    let score = |c: &str| a.items[&code(c)].self_score;
    assert_eq!(score("1.1.1"), Some(dec!(1)));
    assert_eq!(score("1.1.2"), Some(dec!(1)));
    assert_eq!(score("2.3"), Some(dec!(4.8)), "40 of the 50 % target × 6");
    assert_eq!(score("1.3"), Some(dec!(2.5)));
    assert_eq!(score("2.6"), Some(dec!(-1.5)));
    // Bad input: above max, off the step, a survey item, a code of nothing; nothing changes.
    let err = s
        .save_self_assessment(
            r,
            u,
            &[
                ch("1.3", Some(ScoreInput::Points(dec!(3.5)))),
                ch("1.4", Some(ScoreInput::Points(dec!(1.2)))),
                ch("2.5", Some(ScoreInput::Points(dec!(5)))),
                ch("9.9", Some(ScoreInput::Points(dec!(1)))),
                ch("1.5", Some(ScoreInput::Points(dec!(1)))),
            ],
            SCORING(),
            "sotuphap",
        )
        .await
        .unwrap_err();
    let m = invalid(err);
    for want in [
        "items[1.3].input",
        "items[1.4].input",
        "items[2.5].input",
        "items[9.9]",
    ] {
        assert!(names(&m, want), "{want}: {m:?}");
    }
    assert!(refused(&m, "items[9.9]", |k| matches!(
        k,
        RefusalKind::NotScored { .. }
    )));
    let b = s.assessment(r, u).await.unwrap().unwrap();
    assert_eq!(b.items, a.items, "nothing changed");
    // After the deadline: locked.
    let late = s
        .save_self_assessment(
            r,
            u,
            &[ch("1.4", Some(ScoreInput::Points(dec!(1))))],
            date(2021, 12, 31),
            "sotuphap",
        )
        .await
        .unwrap_err();
    assert!(
        refused(&invalid(late), "items[1.4].input", |k| matches!(
            k,
            RefusalKind::Locked(LockError::Locked {
                stage: Stage::SelfScoring,
                ..
            })
        )),
        "a self-score after the lock"
    );
    // The coordinator reopens it for this unit, with a reason, audited.
    assert!(
        s.reopen_stage(
            r,
            u,
            Stage::SelfScoring,
            date(2022, 1, 3),
            "",
            date(2021, 12, 31),
            "sonoivu"
        )
        .await
        .is_err(),
        "a reason is required"
    );
    s.reopen_stage(
        r,
        u,
        Stage::SelfScoring,
        date(2022, 1, 3),
        "Mất điện ngày cuối",
        date(2021, 12, 31),
        "sonoivu",
    )
    .await
    .unwrap();
    s.save_self_assessment(
        r,
        u,
        &[ch("1.4", Some(ScoreInput::Points(dec!(1))))],
        date(2021, 12, 31),
        "sotuphap",
    )
    .await
    .unwrap();
    assert!(
        s.save_self_assessment(
            r,
            "so-noi-vu",
            &[ch("1.4", Some(ScoreInput::Points(dec!(1))))],
            date(2021, 12, 31),
            "sonoivu",
        )
        .await
        .is_err(),
        "another unit stays locked"
    );
    let audit = s
        .audit_log(&AuditFilter {
            entity: Some("assessment_round".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "reopen" && e.unit.as_deref() == Some(u)));
    // Submission needs every item scored and explanations where evidence is missing.
    let err = s
        .submit_self_assessment(r, u, date(2022, 1, 2), "sotuphap")
        .await
        .unwrap_err();
    let m = invalid(err);
    assert!(
        m.has(
            "items[1.1.1]",
            &RefusalKind::NotReady(SubmitProblem::ExplanationMissing)
        ),
        "{m:?}"
    );
    assert!(
        m.has(
            "items[1.2]",
            &RefusalKind::NotReady(SubmitProblem::NotScored)
        ),
        "{m:?}"
    );
    let a = s.assessment(r, u).await.unwrap().unwrap();
    s.save_self_assessment(
        r,
        u,
        &answers(&a.edition, true),
        date(2022, 1, 2),
        "sotuphap",
    )
    .await
    .unwrap();
    s.submit_self_assessment(r, u, date(2022, 1, 2), "sotuphap")
        .await
        .unwrap();
    let a = s.assessment(r, u).await.unwrap().unwrap();
    assert_eq!(a.progress.submitted_on, Some(date(2022, 1, 2)));
    // Submitted: scores are locked, explanations are not (until the explanation deadline).
    assert!(s
        .save_self_assessment(
            r,
            u,
            &[ch("1.4", Some(ScoreInput::Points(dec!(0.5))))],
            date(2022, 1, 2),
            "sotuphap"
        )
        .await
        .is_err());
    let mut explain = answers(&a.edition, true)
        .into_iter()
        .find(|c| c.code == code("1.2"))
        .unwrap();
    explain.explanation = "Báo cáo quý IV gửi qua hệ thống".into();
    assert_eq!(
        s.save_self_assessment(r, u, &[explain.clone()], date(2022, 1, 6), "sotuphap")
            .await
            .unwrap(),
        1
    );
    explain.explanation = "Muộn".into();
    assert!(s
        .save_self_assessment(r, u, &[explain], date(2022, 1, 8), "sotuphap")
        .await
        .is_err());
    let audit = s
        .audit_log(&AuditFilter {
            entity: Some("assessment_item".into()),
            unit: Some(u.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "self_assess" && e.actor == "sotuphap"));
}

async fn appraisal_publication_and_corrections(s: &Store) {
    seed(s).await;
    let r = "so-nganh-2021";
    round(s, r, "sample-department-2021", &["so-tu-phap", "so-noi-vu"]).await;
    let u = "so-tu-phap";
    let a = s.assessment(r, u).await.unwrap().unwrap();
    s.save_self_assessment(r, u, &answers(&a.edition, true), SCORING(), "sotuphap")
        .await
        .unwrap();
    let ap = |c: &str, score: Decimal| AppraisalChange {
        code: code(c),
        score,
        comment: "Thiếu tài liệu".into(),
    };
    // Not before the unit submits (or its deadline passes).
    let early = s
        .save_appraisal(r, u, 1, &[ap("1.3", dec!(2))], SCORING(), "thamdinh")
        .await
        .unwrap_err();
    assert!(refused(&invalid(early), "appraisal", |k| matches!(
        k,
        RefusalKind::Locked(LockError::StillSelfScoring { .. })
    )));
    s.submit_self_assessment(r, u, SCORING(), "sotuphap")
        .await
        .unwrap();
    // Bad scores refused together.
    let err = s
        .save_appraisal(
            r,
            u,
            1,
            &[
                ap("1.3", dec!(4)),
                ap("1.4", dec!(0.25)),
                ap("2.6", dec!(1)),
            ],
            SCORING(),
            "thamdinh",
        )
        .await
        .unwrap_err();
    let m = invalid(err);
    assert!(
        ["items[1.3].score", "items[1.4].score", "items[2.6].score"]
            .iter()
            .all(|f| refused(&m, f, |k| matches!(k, RefusalKind::Item(_)))),
        "{m:?}"
    );
    // The appraiser overrides the self-score.
    s.save_appraisal(r, u, 1, &[ap("1.3", dec!(2))], SCORING(), "thamdinh")
        .await
        .unwrap();
    let a = s.assessment(r, u).await.unwrap().unwrap();
    assert_eq!(a.items[&code("1.3")].self_score, Some(dec!(3)));
    assert_eq!(a.items[&code("1.3")].final_score(), Some(dec!(2)));
    // Round 2 settles disputed items only.
    assert!(invalid(
        s.save_appraisal(r, u, 2, &[ap("1.3", dec!(3))], ROUND2(), "thamdinh")
            .await
            .unwrap_err()
    )
    .has("items[1.3]", &RefusalKind::NotDisputed));
    assert!(
        s.dispute_item(r, u, &code("1.4"), "x", ROUND2(), "sotuphap")
            .await
            .is_err(),
        "no round-1 score to dispute"
    );
    s.dispute_item(
        r,
        u,
        &code("1.3"),
        "Đã có biên bản kiểm tra",
        ROUND2(),
        "sotuphap",
    )
    .await
    .unwrap();
    // Publication is blocked while items lack a final score or disputes are open.
    let blocked = s.publish_round(r, ROUND2(), "sonoivu").await.unwrap_err();
    let m = invalid(blocked);
    assert!(
        refused(&m, "units[so-tu-phap]", |k| matches!(
            k,
            RefusalKind::Incomplete { disputed, .. } if disputed == &["1.3"]
        )),
        "{m:?}"
    );
    assert!(
        refused(&m, "units[so-noi-vu]", |k| matches!(
            k,
            RefusalKind::Incomplete { not_appraised, .. } if !not_appraised.is_empty()
        )),
        "{m:?}"
    );
    s.save_appraisal(r, u, 2, &[ap("1.3", dec!(3))], ROUND2(), "thamdinh")
        .await
        .unwrap();
    let a = s.assessment(r, u).await.unwrap().unwrap();
    assert_eq!(
        a.items[&code("1.3")].final_score(),
        Some(dec!(3)),
        "round 2 wins"
    );
    // Accept the rest of so-tu-phap's self-scores, then complete so-noi-vu.
    let rest: Vec<AppraisalChange> = parindex_domain::assessment::leaves(&a.edition)
        .into_iter()
        .filter(|n| n.code != code("1.3"))
        .map(|n| AppraisalChange {
            code: n.code.clone(),
            score: if n.survey_scored {
                dec!(6).min(n.max_points.unwrap_or_default())
            } else {
                a.items[&n.code].self_score.unwrap_or_default()
            },
            comment: String::new(),
        })
        .collect();
    s.save_appraisal(r, u, 1, &rest, ROUND1(), "thamdinh")
        .await
        .unwrap();
    complete(s, r, "so-noi-vu", false, dec!(3)).await;
    s.publish_round(r, ROUND2(), "sonoivu").await.unwrap();
    let rk = s.ranking(r).await.unwrap().unwrap();
    assert_eq!(rk.rows.len(), 2);
    assert_eq!(rk.rows[0].unit, "so-tu-phap");
    assert_eq!(rk.rows[0].rank, 1);
    // Full marks but 8 − 6 on 2.5 and 5 − 5 on 3.4 (survey 6 capped at 5): 98 / 100.
    assert_eq!(rk.rows[0].total, dec!(98));
    assert_eq!(rk.rows[0].class.as_ref().unwrap().1.label_vi, "Tốt");
    // Frozen: every change refused.
    assert!(invalid(
        s.save_appraisal(r, u, 2, &[ap("1.3", dec!(2))], ROUND2(), "thamdinh")
            .await
            .unwrap_err()
    )
    .has("appraisal", &RefusalKind::Locked(LockError::Frozen)));
    assert!(s
        .save_self_assessment(r, u, &answers(&a.edition, false), SCORING(), "x")
        .await
        .is_err());
    assert!(s
        .reopen_stage(
            r,
            u,
            Stage::SelfScoring,
            date(2022, 3, 1),
            "x",
            ROUND2(),
            "sonoivu"
        )
        .await
        .is_err());
    assert!(s.publish_round(r, ROUND2(), "sonoivu").await.is_err());
    // A correction is a new, audited decision; the ranking follows it.
    assert!(s
        .correct_score(
            r,
            u,
            &code("1.3"),
            dec!(1),
            "",
            "",
            date(2022, 3, 10),
            "sonoivu"
        )
        .await
        .is_err());
    let c = s
        .correct_score(
            r,
            u,
            &code("1.3"),
            dec!(1),
            "Kết quả phúc tra",
            "45/QĐ-UBND",
            date(2022, 3, 10),
            "sonoivu",
        )
        .await
        .unwrap();
    assert_eq!((c.old_score, c.new_score), (dec!(3), dec!(1)));
    let rk = s.ranking(r).await.unwrap().unwrap();
    assert_eq!(rk.rows[0].total, dec!(96));
    assert_eq!(rk.corrections.len(), 1);
    let audit = s
        .audit_log(&AuditFilter {
            entity: Some("assessment_item".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "correct" && e.actor == "sonoivu"));
    assert!(audit.iter().any(|e| e.action == "appraise_round2"));
    // The head of agency's evaluation reads the standing.
    let st = s.standings(u).await.unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!((st[0].rank, st[0].of, st[0].total), (1, 2, dec!(96)));
}

async fn ranking_ties_classes_and_last_year(s: &Store) {
    let e2021 = seed(s).await;
    // Last year's round on a 2020 copy of the sample set.
    let mut e2020 = e2021.clone();
    e2020.id = "sample-department-2020".into();
    e2020.year = 2020;
    e2020.name = "Bộ tiêu chí 2020 (MẪU)".into();
    s.save_edition(&e2020, "test").await.unwrap();
    let units = ["so-tu-phap", "so-noi-vu", "so-tai-chinh", "so-tttt"];
    s.create_round(
        &NewRound {
            id: "so-nganh-2020".into(),
            name: "2020 (MẪU)".into(),
            edition_id: e2020.id.clone(),
            units: units.iter().map(|u| u.to_string()).collect(),
            deadlines: Deadlines {
                self_scoring: date(2020, 12, 30),
                explanation: date(2021, 1, 7),
                appraisal1: date(2021, 1, 21),
                appraisal2: date(2021, 2, 11),
                publication: date(2021, 2, 28),
            },
            classes: ClassBands::default(),
            note: String::new(),
        },
        "sonoivu",
    )
    .await
    .unwrap();
    let prev = s.round("so-nganh-2020").await.unwrap().unwrap();
    for (u, high) in [
        ("so-tu-phap", false),
        ("so-noi-vu", true),
        ("so-tai-chinh", true),
        ("so-tttt", false),
    ] {
        let a = s.assessment(&prev.id, u).await.unwrap().unwrap();
        s.save_self_assessment(
            &prev.id,
            u,
            &answers(&a.edition, high),
            date(2020, 12, 1),
            "x",
        )
        .await
        .unwrap();
        let a = s.assessment(&prev.id, u).await.unwrap().unwrap();
        let changes: Vec<AppraisalChange> = parindex_domain::assessment::leaves(&a.edition)
            .into_iter()
            .map(|n| AppraisalChange {
                code: n.code.clone(),
                score: if n.survey_scored {
                    dec!(2)
                } else {
                    a.items[&n.code].self_score.unwrap_or_default()
                },
                comment: String::new(),
            })
            .collect();
        s.save_appraisal(&prev.id, u, 1, &changes, date(2021, 1, 10), "thamdinh")
            .await
            .unwrap();
    }
    s.publish_round(&prev.id, date(2021, 2, 20), "sonoivu")
        .await
        .unwrap();
    // This year: so-tu-phap climbs; so-noi-vu and so-tai-chinh tie.
    let r = "so-nganh-2021";
    round(s, r, "sample-department-2021", &units).await;
    complete(s, r, "so-tu-phap", true, dec!(8)).await;
    complete(s, r, "so-noi-vu", true, dec!(2)).await;
    complete(s, r, "so-tai-chinh", true, dec!(2)).await;
    complete(s, r, "so-tttt", false, dec!(0)).await;
    s.publish_round(r, ROUND2(), "sonoivu").await.unwrap();
    let rk = s.ranking(r).await.unwrap().unwrap();
    let by: BTreeMap<&str, _> = rk.rows.iter().map(|x| (x.unit.as_str(), x)).collect();
    assert_eq!(by["so-tu-phap"].rank, 1);
    assert_eq!(by["so-noi-vu"].rank, 2);
    assert_eq!(by["so-tai-chinh"].rank, 2, "ties share a rank");
    assert_eq!(by["so-tttt"].rank, 4, "and the next one skips");
    assert_eq!(by["so-tu-phap"].change_rank, Some(2), "3rd → 1st");
    assert!(by["so-tu-phap"].change_pct.unwrap() > Decimal::ZERO);
    assert_eq!(
        rk.previous,
        vec![("so-nganh-2020".to_string(), "2020 (MẪU)".to_string())]
    );
    let class = |u: &str| {
        by[u]
            .class
            .as_ref()
            .map(|(_, c)| c.label_vi.clone())
            .unwrap()
    };
    assert_eq!(class("so-tu-phap"), "Tốt");
    assert_eq!(class("so-tttt"), "Yếu");
    // Points lost per area add up to the points lost.
    for row in &rk.rows {
        let lost: Decimal = row.areas.iter().filter_map(|a| a.lost).sum();
        assert_eq!(lost, row.lost, "{}", row.unit);
    }
}

async fn next_year_carries_units_criteria_and_evidence(s: &Store) {
    seed(s).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = EvidenceConfig::new(dir.path());
    let r = "so-nganh-2021";
    round(s, r, "sample-department-2021", &["so-tu-phap", "so-noi-vu"]).await;
    let u = "so-tu-phap";
    for c in ["1.1.1", "2.2"] {
        s.add_document_reference(
            &DocumentReference {
                number: format!("{c}/KH-STP"),
                date: Some(date(2021, 1, 15)),
                issuer: "Sở Tư pháp".into(),
                excerpt: String::new(),
                title: format!("Tài liệu {c}"),
                unit: Some(u.into()),
                sample: true,
            },
            Some((
                ItemRef {
                    round: r,
                    unit: u,
                    code: &code(c),
                },
                SCORING(),
            )),
            "sotuphap",
        )
        .await
        .unwrap();
    }
    let old = s.edition("sample-department-2021").await.unwrap().unwrap();
    // An explicit mapping that does not fit is refused, nothing stored.
    let mut bad = BTreeMap::new();
    bad.insert(code("9.9"), code("1.1.1"));
    let err = s
        .carry_over(
            r,
            &NextYear {
                round_id: "so-nganh-2022".into(),
                name: "Đánh giá 2022 (MẪU)".into(),
                edition: NextEdition::Copy("sample-department-2022".into()),
                deadlines: deadlines(),
                crosswalk: bad,
                carry_evidence: true,
            },
            "sonoivu",
        )
        .await
        .unwrap_err();
    assert!(invalid(err).has(
        "crosswalk",
        &RefusalKind::Crosswalk(CrosswalkProblem::NotALeaf {
            code: code("9.9"),
            edition: "sample-department-2021".into()
        })
    ));
    assert!(s.edition("sample-department-2022").await.unwrap().is_none());
    // A 2022 set where 2.2 is renamed 2.7.
    let mut new =
        parindex_domain::assessment::next_year_edition(&old, "sample-department-2022", 2022);
    let n = new
        .criteria
        .iter_mut()
        .find(|n| n.code == code("2.2"))
        .unwrap();
    n.code = code("2.7");
    new.sort();
    s.save_edition(&new, "test").await.unwrap();
    let mut map = BTreeMap::new();
    map.insert(code("2.2"), code("2.7"));
    let (round22, cw) = s
        .carry_over(
            r,
            &NextYear {
                round_id: "so-nganh-2022".into(),
                name: "Đánh giá 2022 (MẪU)".into(),
                edition: NextEdition::Existing("sample-department-2022".into()),
                deadlines: Deadlines {
                    self_scoring: date(2022, 12, 30),
                    explanation: date(2023, 1, 7),
                    appraisal1: date(2023, 1, 21),
                    appraisal2: date(2023, 2, 11),
                    publication: date(2023, 2, 28),
                },
                crosswalk: map,
                carry_evidence: true,
            },
            "sonoivu",
        )
        .await
        .unwrap();
    assert_eq!(round22.units, vec!["so-tu-phap", "so-noi-vu"]);
    assert_eq!(round22.year, 2022);
    assert_eq!(round22.source_round.as_deref(), Some(r));
    assert_eq!(cw.map[&code("2.2")], code("2.7"));
    let a = s.assessment("so-nganh-2022", u).await.unwrap().unwrap();
    assert!(
        a.items.values().all(|i| i.self_score.is_none()),
        "scores reset"
    );
    assert_eq!(
        a.items[&code("1.1.1")].evidence,
        1,
        "evidence carried by code"
    );
    assert_eq!(
        a.items[&code("2.7")].evidence,
        1,
        "and through the crosswalk"
    );
    drop(cfg);
}

async fn evidence_files_are_checked_stored_once_and_verified(s: &Store) {
    seed(s).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = EvidenceConfig::new(dir.path().join("evidence"));
    cfg.max_bytes = 1024;
    let r = "so-nganh-2021";
    round(s, r, "sample-department-2021", &["so-tu-phap", "so-noi-vu"]).await;
    let c = code("1.1.1");
    let item = |u: &'static str| ItemRef {
        round: r,
        unit: u,
        code: &c,
    };
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n".to_vec();
    let upload = |name: &str, bytes: Vec<u8>, unit: &str| NewEvidenceFile {
        file_name: name.into(),
        bytes,
        title: String::new(),
        unit: Some(unit.into()),
        sample: false,
    };
    // Every bad upload is refused and leaves nothing behind.
    let mut big = pdf.clone();
    big.resize(2048, b' ');
    fn too_large(p: &UploadProblem) -> bool {
        matches!(p, UploadProblem::TooLarge { .. })
    }
    fn not_allowed(p: &UploadProblem) -> bool {
        matches!(p, UploadProblem::NotAllowed { .. })
    }
    fn no_extension(p: &UploadProblem) -> bool {
        matches!(p, UploadProblem::ExtensionMismatch { ext, .. } if ext.is_empty())
    }
    type Check = fn(&UploadProblem) -> bool;
    let checks: [(&str, Vec<u8>, Check); 4] = [
        ("to.pdf", big, too_large),
        (
            "virus.pdf",
            b"MZ\x90\0\x03\0\0\0\x04\0".to_vec(),
            not_allowed,
        ),
        (
            "../../etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\n".to_vec(),
            not_allowed,
        ),
        ("../../etc/passwd", pdf.clone(), no_extension),
    ];
    for (name, bytes, want) in checks {
        let err = s
            .add_evidence_file(
                &cfg,
                &upload(name, bytes, "so-tu-phap"),
                Some((item("so-tu-phap"), SCORING())),
                "sotuphap",
            )
            .await
            .unwrap_err();
        let m = invalid(err);
        assert!(
            refused(
                &m,
                "file",
                |k| matches!(k, RefusalKind::Upload(p) if want(p))
            ),
            "{name}: {m:?}"
        );
    }
    assert!(s.unit_evidence(None).await.unwrap().is_empty());
    assert!(!dir.path().join("evidence").exists(), "no file written");
    // A good one: stored by hash, the original (sanitised) name kept.
    let e1 = s
        .add_evidence_file(
            &cfg,
            &upload("../Kế hoạch CCHC 2021.pdf", pdf.clone(), "so-tu-phap"),
            Some((item("so-tu-phap"), SCORING())),
            "sotuphap",
        )
        .await
        .unwrap();
    assert_eq!(e1.original_name.as_deref(), Some("Kế hoạch CCHC 2021.pdf"));
    let sha = e1.sha256.clone().unwrap();
    assert!(cfg.path_of(&sha).exists());
    // The same content again: the same record for the same unit, one file for another unit.
    let e2 = s
        .add_evidence_file(
            &cfg,
            &upload("copy.pdf", pdf.clone(), "so-tu-phap"),
            Some((
                ItemRef {
                    round: r,
                    unit: "so-tu-phap",
                    code: &code("1.2"),
                },
                SCORING(),
            )),
            "sotuphap",
        )
        .await
        .unwrap();
    assert_eq!(e2.id, e1.id);
    let e3 = s
        .add_evidence_file(
            &cfg,
            &upload("ke-hoach.pdf", pdf.clone(), "so-noi-vu"),
            Some((item("so-noi-vu"), SCORING())),
            "sonoivu",
        )
        .await
        .unwrap();
    assert_ne!(e3.id, e1.id);
    assert_eq!(e3.sha256, e1.sha256);
    let files: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| !p.ends_with(".tmp"))
        .collect();
    assert_eq!(files.len(), 1, "duplicate content stored once: {files:?}");
    // One document backs several criteria and several units' claims.
    let a = s.assessment(r, "so-tu-phap").await.unwrap().unwrap();
    assert_eq!(a.items[&code("1.1.1")].evidence, 1);
    assert_eq!(a.items[&code("1.2")].evidence, 1);
    s.link_evidence(e1.id, item("so-noi-vu"), SCORING(), "sonoivu")
        .await
        .unwrap();
    let units: BTreeSet<String> = s
        .evidence_links(e1.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, unit, _)| unit)
        .collect();
    assert_eq!(
        units.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["so-noi-vu", "so-tu-phap"]
    );
    // A reference to an official document.
    let bad_ref = s
        .add_document_reference(&DocumentReference::default(), None, "sotuphap")
        .await
        .unwrap_err();
    let m = invalid(bad_ref);
    assert!(
        ["number", "date", "issuer"]
            .iter()
            .all(|f| m.has(f, &RefusalKind::Required)),
        "{m:?}"
    );
    let doc = s
        .add_document_reference(
            &DocumentReference {
                number: "125/QĐ-UBND".into(),
                date: Some(date(2021, 3, 2)),
                issuer: "UBND tỉnh Bắc Giang".into(),
                excerpt: "Ban hành Kế hoạch CCHC năm 2021".into(),
                title: "Quyết định ban hành Kế hoạch CCHC".into(),
                unit: Some("so-tu-phap".into()),
                sample: false,
            },
            Some((item("so-tu-phap"), SCORING())),
            "sotuphap",
        )
        .await
        .unwrap();
    assert!(doc.describe().contains("125/QĐ-UBND") && doc.describe().contains("02/03/2021"));
    // Evidence is locked with the explanation stage.
    assert!(s
        .link_evidence(
            doc.id,
            ItemRef {
                round: r,
                unit: "so-tu-phap",
                code: &code("1.3")
            },
            date(2022, 1, 8),
            "sotuphap"
        )
        .await
        .is_err());
    // Reading checks the hash; verify reports a file changed on disk and a missing one.
    let (_, bytes) = s.read_evidence_file(&cfg, e1.id).await.unwrap().unwrap();
    assert_eq!(bytes, pdf);
    assert!(s.verify_evidence(&cfg).await.unwrap().ok());
    std::fs::write(cfg.path_of(&sha), b"%PDF-1.4 tampered").unwrap();
    let report = s.verify_evidence(&cfg).await.unwrap();
    assert!(!report.ok());
    assert_eq!(report.changed.len(), 1);
    assert_eq!(report.changed[0].0, sha);
    assert!(s.read_evidence_file(&cfg, e1.id).await.is_err());
    std::fs::remove_file(cfg.path_of(&sha)).unwrap();
    let report = s.verify_evidence(&cfg).await.unwrap();
    assert_eq!(report.missing.len(), 1);
}

fn walk(p: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

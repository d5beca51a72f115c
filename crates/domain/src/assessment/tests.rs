use super::*;
use crate::edition::{Component, Level};
use crate::edition::{CriterionNode, Edition, NodeCode};
use crate::rules::{Band, Bound, ChoiceOption};
use crate::rules::{RuleError, ScoreInput, ScoringRule};
use crate::units::UnitType;
use jiff::civil::date;
use proptest::prelude::*;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn node(c: &str, title: &str, max: Option<Decimal>, rule: Option<ScoringRule>) -> CriterionNode {
    let mut n = CriterionNode::new(code(c), title, max);
    n.rule = rule;
    n
}

/// A small criteria set with every kind of rule.
fn edition() -> Edition {
    let mut criteria = vec![
        node("1", "Chỉ đạo, điều hành", Some(dec!(10)), None),
        node(
            "1.1",
            "Kế hoạch CCHC",
            Some(dec!(3)),
            Some(ScoringRule::Manual { step: dec!(0.5) }),
        ),
        node(
            "1.2",
            "Báo cáo đúng hạn",
            Some(dec!(2)),
            Some(ScoringRule::Choice {
                options: vec![
                    ChoiceOption {
                        key: "on_time".into(),
                        label_vi: "Đúng hạn".into(),
                        label_en: None,
                        points: dec!(2),
                    },
                    ChoiceOption {
                        key: "late".into(),
                        label_vi: "Muộn".into(),
                        label_en: None,
                        points: dec!(1),
                    },
                ],
            }),
        ),
        node(
            "1.3",
            "Tỷ lệ hoàn thành nhiệm vụ",
            Some(dec!(3)),
            Some(ScoringRule::Bands {
                bands: vec![
                    Band {
                        lower: Some(Bound {
                            value: dec!(90),
                            inclusive: true,
                        }),
                        upper: None,
                        points: dec!(3),
                    },
                    Band {
                        lower: Some(Bound {
                            value: dec!(70),
                            inclusive: true,
                        }),
                        upper: Some(Bound {
                            value: dec!(90),
                            inclusive: false,
                        }),
                        points: dec!(1.5),
                    },
                    Band {
                        lower: None,
                        upper: Some(Bound {
                            value: dec!(70),
                            inclusive: false,
                        }),
                        points: dec!(0),
                    },
                ],
            }),
        ),
        node(
            "1.4",
            "Có sáng kiến",
            Some(dec!(2)),
            Some(ScoringRule::YesNo {
                yes: dec!(2),
                no: dec!(0),
            }),
        ),
        node("2", "Cải cách TTHC", Some(dec!(10)), None),
        node(
            "2.1",
            "Hồ sơ đúng hạn",
            Some(dec!(6)),
            Some(ScoringRule::Proportional { target: dec!(100) }),
        ),
        node("2.2", "Đánh giá của người dân", Some(dec!(4)), None),
        node(
            "2.3",
            "Điểm thưởng sáng kiến",
            None,
            Some(ScoringRule::Bonus {
                per_unit: dec!(0.5),
                cap: dec!(1),
            }),
        ),
        node(
            "2.4",
            "Điểm trừ hồ sơ quá hạn",
            None,
            Some(ScoringRule::Penalty {
                per_unit: dec!(0.25),
                cap: dec!(1),
            }),
        ),
    ];
    criteria[0].component = Some("appraisal".into());
    criteria[5].component = Some("appraisal".into());
    criteria[7].survey_scored = true;
    criteria[1].evidence_required = true;
    Edition {
        id: "sample-department-2021".into(),
        name: "Bộ tiêu chí 2021 (MẪU)".into(),
        year: 2021,
        level: Level::Department,
        methodology_ref: None,
        max_points: dec!(20),
        peer_count: None,
        sample: true,
        notes: None,
        components: vec![Component {
            code: "appraisal".into(),
            name_vi: "Thẩm định".into(),
            name_en: None,
            max_points: dec!(20),
        }],
        criteria,
    }
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

fn round() -> Round {
    Round {
        id: "so-nganh-2021".into(),
        name: "Đánh giá các sở 2021".into(),
        edition_id: "sample-department-2021".into(),
        year: 2021,
        units: vec!["so-tu-phap".into(), "so-noi-vu".into()],
        deadlines: deadlines(),
        classes: ClassBands::default(),
        sample: true,
        published_on: None,
        published_by: None,
        source_round: None,
        note: String::new(),
    }
}

fn scored(e: &Edition, inputs: &[(&str, ScoreInput)]) -> BTreeMap<NodeCode, Item> {
    inputs
        .iter()
        .map(|(c, i)| {
            let n = e.node(&code(c)).unwrap();
            let mut item = Item::new(code(c));
            item.self_score = Some(self_score(n, i).unwrap());
            item.input = Some(i.clone());
            (code(c), item)
        })
        .collect()
}

#[test]
fn the_sample_edition_is_sound() {
    assert_eq!(edition().validate(), vec![]);
}

#[test]
fn rules_apply_to_declared_figures() {
    let e = edition();
    let s = |c: &str, i: ScoreInput| self_score(e.node(&code(c)).unwrap(), &i);
    assert_eq!(s("1.1", ScoreInput::Points(dec!(2.5))), Ok(dec!(2.5)));
    assert_eq!(
        s("1.2", ScoreInput::Choice("late".into())),
        Ok(dec!(1)),
        "a choice gives its option's points"
    );
    assert_eq!(s("1.3", ScoreInput::Number(dec!(90))), Ok(dec!(3)));
    assert_eq!(s("1.3", ScoreInput::Number(dec!(89.99))), Ok(dec!(1.5)));
    assert_eq!(s("1.3", ScoreInput::Number(dec!(12))), Ok(dec!(0)));
    assert_eq!(s("1.4", ScoreInput::YesNo(true)), Ok(dec!(2)));
    assert_eq!(s("2.1", ScoreInput::Number(dec!(80.78))), Ok(dec!(4.8468)));
    assert_eq!(
        s("2.1", ScoreInput::Number(dec!(120))),
        Ok(dec!(6)),
        "capped at max"
    );
    assert_eq!(s("2.3", ScoreInput::Count(3)), Ok(dec!(1)), "bonus capped");
    assert_eq!(s("2.4", ScoreInput::Count(2)), Ok(dec!(-0.5)));
    assert_eq!(
        s("2.4", ScoreInput::Count(9)),
        Ok(dec!(-1)),
        "penalty capped"
    );
    // Bad input.
    assert!(matches!(
        s("1.1", ScoreInput::Points(dec!(3.5))),
        Err(ItemError::Rule(RuleError::OutOfRange { .. }))
    ));
    assert!(matches!(
        s("1.1", ScoreInput::Points(dec!(1.2))),
        Err(ItemError::Rule(RuleError::OffStep { .. }))
    ));
    assert_eq!(
        s("2.2", ScoreInput::Points(dec!(3))),
        Err(ItemError::Survey)
    );
    let mut no_rule = node("9", "x", Some(dec!(2)), None);
    assert_eq!(
        self_score(&no_rule, &ScoreInput::Points(dec!(2.1))),
        Err(ItemError::OutOfRange {
            got: dec!(2.1),
            min: dec!(0),
            max: dec!(2)
        })
    );
    assert_eq!(
        self_score(&no_rule, &ScoreInput::Points(dec!(1.12345))),
        Err(ItemError::TooPrecise(dec!(1.12345)))
    );
    no_rule.max_points = None;
    assert_eq!(
        self_score(&no_rule, &ScoreInput::Points(dec!(1))),
        Err(ItemError::NoMax)
    );
}

#[test]
fn inputs_are_read_as_the_rule_expects() {
    let e = edition();
    let p = |c: &str, t: &str| parse_input(e.node(&code(c)).unwrap(), t);
    assert_eq!(p("1.1", "2,5"), Ok(Some(ScoreInput::Points(dec!(2.5)))));
    assert_eq!(p("1.1", "  "), Ok(None));
    assert_eq!(p("1.3", "87,5%"), Ok(Some(ScoreInput::Number(dec!(87.5)))));
    assert_eq!(p("1.4", "Có"), Ok(Some(ScoreInput::YesNo(true))));
    assert_eq!(p("1.4", "không"), Ok(Some(ScoreInput::YesNo(false))));
    assert_eq!(p("2.3", "2"), Ok(Some(ScoreInput::Count(2))));
    assert!(p("2.3", "1.5").is_err());
    assert!(p("1.1", "abc").is_err());
    assert_eq!(p("2.2", "1"), Err(ItemError::Survey));
    assert_eq!(input_text(&ScoreInput::Points(dec!(2.50))), "2.5");
}

#[test]
fn appraised_scores_are_checked() {
    let e = edition();
    let n = |c: &str| e.node(&code(c)).unwrap();
    assert_eq!(check_appraised(n("1.1"), dec!(2)), Ok(()));
    assert!(
        check_appraised(n("1.1"), dec!(2.25)).is_err(),
        "off the manual step"
    );
    assert!(check_appraised(n("1.1"), dec!(3.5)).is_err());
    assert_eq!(
        check_appraised(n("2.2"), dec!(3.1)),
        Ok(()),
        "survey points"
    );
    assert_eq!(check_appraised(n("2.3"), dec!(1)), Ok(()));
    assert!(
        check_appraised(n("2.3"), dec!(1.5)).is_err(),
        "over the bonus cap"
    );
    assert_eq!(check_appraised(n("2.4"), dec!(-0.75)), Ok(()));
    assert!(
        check_appraised(n("2.4"), dec!(0.25)).is_err(),
        "a penalty is not positive"
    );
    assert!(
        check_appraised(n("2.4"), dec!(-2)).is_err(),
        "over the penalty cap"
    );
}

#[test]
fn totals_and_caps() {
    let e = edition();
    let items = scored(
        &e,
        &[
            ("1.1", ScoreInput::Points(dec!(3))),
            ("1.2", ScoreInput::Choice("on_time".into())),
            ("1.3", ScoreInput::Number(dec!(95))),
            ("1.4", ScoreInput::YesNo(true)),
            ("2.1", ScoreInput::Number(dec!(100))),
            ("2.3", ScoreInput::Count(5)),
        ],
    );
    let t = self_totals(&e, &items);
    // Area 1: 3 + 2 + 3 + 2 = 10 (its max). Area 2: 6 + bonus 1 = 7 (survey item unscored).
    assert_eq!(t.nodes["1"].achieved, dec!(10));
    assert_eq!(t.nodes["2"].achieved, dec!(7));
    assert_eq!(t.overall.achieved, dec!(17));
    // A bonus cannot take an area past its max.
    let mut items2 = items.clone();
    let survey = e.node(&code("2.2")).unwrap();
    let mut it = Item::new(code("2.2"));
    it.self_score = Some(dec!(4));
    assert!(self_score(survey, &ScoreInput::Points(dec!(4))).is_err());
    items2.insert(code("2.2"), it);
    let t = self_totals(&e, &items2);
    assert_eq!(t.nodes["2"].achieved, dec!(10), "6 + 4 + 1 capped at 10");
    // A penalty cannot take an area below zero.
    let pen = scored(&e, &[("2.4", ScoreInput::Count(4))]);
    let t = self_totals(&e, &pen);
    assert_eq!(t.nodes["2"].achieved, dec!(0));
}

#[test]
fn explanations_where_required_evidence_is_missing() {
    let e = edition();
    let n = e.node(&code("1.1")).unwrap();
    let mut items = scored(&e, &[("1.1", ScoreInput::Points(dec!(2)))]);
    let item = items.get_mut(&code("1.1")).unwrap();
    assert!(needs_explanation(n, item));
    item.explanation = "Văn bản đang trình ký".into();
    assert!(!needs_explanation(n, item));
    item.explanation.clear();
    item.evidence = 1;
    assert!(!needs_explanation(n, item));
    item.evidence = 0;
    item.self_score = Some(dec!(0));
    assert!(
        !needs_explanation(n, item),
        "no points claimed, nothing to prove"
    );
    // Submission lists unscored items and missing explanations.
    let items = scored(&e, &[("1.1", ScoreInput::Points(dec!(2)))]);
    let problems = submission_problems(&e, &items);
    assert!(problems.contains(&(code("1.1"), SubmitProblem::ExplanationMissing)));
    assert!(problems.contains(&(code("1.2"), SubmitProblem::NotScored)));
    assert!(
        !problems
            .iter()
            .any(|(c, _)| c == &code("2.2") || c == &code("2.3")),
        "survey and bonus items need no self-score: {problems:?}"
    );
}

#[test]
fn stages_lock_by_the_clock_and_reopen_for_one_unit() {
    let r = round();
    let progress = UnitProgress::default();
    let u = "so-tu-phap";
    // Open up to and including the deadline day.
    assert!(may_self_score(&r, &[], &progress, u, date(2021, 12, 30)).is_ok());
    let late = may_self_score(&r, &[], &progress, u, date(2021, 12, 31));
    assert_eq!(
        late,
        Err(LockError::Locked {
            stage: Stage::SelfScoring,
            deadline: date(2021, 12, 30)
        })
    );
    // Explanations go on until their own deadline.
    assert!(may_explain(&r, &[], &progress, u, date(2022, 1, 7)).is_ok());
    assert!(may_explain(&r, &[], &progress, u, date(2022, 1, 8)).is_err());
    // The coordinator reopens self-scoring for this unit only.
    let reopen = vec![Reopening {
        unit: u.into(),
        stage: Stage::SelfScoring,
        until: date(2022, 1, 5),
        reason: "Sự cố phần mềm".into(),
        by: "sonoivu".into(),
        at: "2022-01-02T01:00:00Z".into(),
    }];
    assert!(may_self_score(&r, &reopen, &progress, u, date(2022, 1, 5)).is_ok());
    assert!(may_self_score(&r, &reopen, &progress, u, date(2022, 1, 6)).is_err());
    assert!(
        may_self_score(&r, &reopen, &progress, "so-noi-vu", date(2022, 1, 3)).is_err(),
        "another unit stays locked"
    );
    assert_eq!(
        stage_state(&r, &reopen, u, None, Stage::SelfScoring, date(2022, 1, 3)),
        StageState::Open {
            until: date(2022, 1, 5),
            reopened: true
        }
    );
    // A reopening before the deadline changes nothing.
    let early = vec![Reopening {
        until: date(2021, 12, 1),
        ..reopen[0].clone()
    }];
    assert_eq!(
        stage_state(&r, &early, u, None, Stage::SelfScoring, date(2021, 12, 2)),
        StageState::Open {
            until: date(2021, 12, 30),
            reopened: false
        }
    );
    // A submitted self-assessment no longer changes, but may still be explained.
    let sub = UnitProgress {
        submitted_on: Some(date(2021, 12, 20)),
        submitted_by: Some("sotuphap".into()),
    };
    assert_eq!(
        may_self_score(&r, &[], &sub, u, date(2021, 12, 21)),
        Err(LockError::Submitted {
            on: date(2021, 12, 20)
        })
    );
    assert!(may_explain(&r, &[], &sub, u, date(2021, 12, 21)).is_ok());
    // Appraisal round 1 starts when the unit submits or its deadline passes.
    assert!(matches!(
        may_appraise(&r, &[], &progress, u, 1, date(2021, 12, 21)),
        Err(LockError::StillSelfScoring { .. })
    ));
    assert!(may_appraise(&r, &[], &sub, u, 1, date(2021, 12, 21)).is_ok());
    assert!(may_appraise(&r, &[], &progress, u, 1, date(2022, 1, 21)).is_ok());
    assert!(may_appraise(&r, &[], &progress, u, 1, date(2022, 1, 22)).is_err());
    assert!(may_appraise(&r, &[], &progress, u, 2, date(2022, 2, 11)).is_ok());
    assert!(may_dispute(&r, &[], u, date(2022, 2, 12)).is_err());
    // Publication freezes everything.
    let mut p = r.clone();
    p.published_on = Some(date(2022, 2, 25));
    assert_eq!(
        may_self_score(&p, &reopen, &progress, u, date(2022, 1, 3)),
        Err(LockError::Frozen)
    );
    assert_eq!(
        may_explain(&p, &[], &progress, u, date(2021, 12, 1)),
        Err(LockError::Frozen)
    );
    assert_eq!(
        may_appraise(&p, &[], &sub, u, 1, date(2022, 1, 1)),
        Err(LockError::Frozen)
    );
}

#[test]
fn each_stage_opens_the_day_after_the_one_it_follows() {
    let r = round();
    let u = "so-tu-phap";
    let none = UnitProgress::default();
    let d = r.deadlines;
    assert_eq!(opens_on(&d, Stage::SelfScoring), None);
    assert_eq!(opens_on(&d, Stage::Explanation), Some(date(2021, 12, 31)));
    assert_eq!(opens_on(&d, Stage::Appraisal1), Some(date(2021, 12, 31)));
    assert_eq!(opens_on(&d, Stage::Appraisal2), Some(date(2022, 1, 22)));
    assert_eq!(opens_on(&d, Stage::Publication), Some(date(2022, 2, 12)));
    // During self-scoring only self-scoring is open for the round as a whole.
    let day = date(2021, 12, 20);
    let states: Vec<StageState> = Stage::ALL
        .iter()
        .map(|s| stage_state(&r, &[], u, None, *s, day))
        .collect();
    assert_eq!(
        states,
        vec![
            StageState::Open {
                until: date(2021, 12, 30),
                reopened: false
            },
            StageState::NotYet {
                from: date(2021, 12, 31)
            },
            StageState::NotYet {
                from: date(2021, 12, 31)
            },
            StageState::NotYet {
                from: date(2022, 1, 22)
            },
            StageState::NotYet {
                from: date(2022, 2, 12)
            },
        ]
    );
    // A unit that submitted on the 18th may explain and be appraised from that day.
    let sub = UnitProgress {
        submitted_on: Some(date(2021, 12, 18)),
        ..UnitProgress::default()
    };
    assert!(stage_state(&r, &[], u, sub.submitted_on, Stage::Appraisal1, day).is_open());
    assert!(may_appraise(&r, &[], &sub, u, 1, day).is_ok());
    assert!(may_explain(&r, &[], &sub, u, day).is_ok());
    // …but not before it submitted.
    assert!(!stage_state(
        &r,
        &[],
        u,
        sub.submitted_on,
        Stage::Appraisal1,
        date(2021, 12, 17)
    )
    .is_open());
    // Disputes (round 2) wait for round 1 to close.
    assert_eq!(
        may_dispute(&r, &[], u, date(2022, 1, 21)),
        Err(LockError::NotYet {
            stage: Stage::Appraisal2,
            from: date(2022, 1, 22)
        })
    );
    assert!(may_dispute(&r, &[], u, date(2022, 1, 22)).is_ok());
    assert!(matches!(
        may_appraise(&r, &[], &none, u, 2, date(2022, 1, 10)),
        Err(LockError::NotYet { .. })
    ));
    // Appraisal round 1 of a unit that did not submit waits for its self-scoring to end.
    assert_eq!(
        may_appraise(&r, &[], &none, u, 1, day),
        Err(LockError::StillSelfScoring {
            until: date(2021, 12, 30)
        })
    );
    assert!(may_appraise(&r, &[], &none, u, 1, date(2021, 12, 31)).is_ok());
}

#[test]
fn deadlines_must_be_in_order() {
    let mut d = deadlines();
    assert!(d.problems().is_empty());
    d.appraisal1 = date(2022, 1, 1);
    let p = d.problems();
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0],
        StageOrder {
            stage: Stage::Appraisal1,
            date: date(2022, 1, 1),
            previous: Stage::Explanation,
            bound: d.explanation,
        }
    );
    let mut r = round();
    r.deadlines = d;
    r.id = "Bad Id".into();
    r.units.push("so-tu-phap".into());
    let fields: Vec<&str> = r.problems().iter().map(|(f, _)| *f).collect();
    assert!(fields.contains(&"id") && fields.contains(&"units"));
    assert!(fields.contains(&"deadline.appraisal1"));
}

#[test]
fn appraisal_overrides_and_round_two() {
    let mut item = Item::new(code("1.1"));
    item.self_score = Some(dec!(3));
    assert_eq!(
        item.final_score(),
        None,
        "a self-score is not a final score"
    );
    item.appraisal1 = Some(Appraisal {
        score: dec!(2),
        comment: "Thiếu văn bản".into(),
        by: "thamdinh".into(),
        at: "t".into(),
    });
    assert_eq!(item.final_score(), Some(dec!(2)), "the appraiser overrides");
    item.dispute = Some(Dispute {
        reason: "Đã bổ sung văn bản".into(),
        by: "sotuphap".into(),
        at: "t".into(),
    });
    assert!(item.awaits_round2());
    assert_eq!(item.final_score(), Some(dec!(2)));
    item.appraisal2 = Some(Appraisal {
        score: dec!(2.5),
        comment: "Chấp nhận".into(),
        by: "thamdinh".into(),
        at: "t".into(),
    });
    assert!(!item.awaits_round2());
    assert_eq!(item.final_score(), Some(dec!(2.5)), "round 2 settles it");
}

#[test]
fn missing_finals_block_publication() {
    let e = edition();
    let mut items = scored(&e, &[("2.3", ScoreInput::Count(1))]);
    let missing = missing_finals(&e, &items);
    assert!(missing.contains(&code("1.1")) && missing.contains(&code("2.2")));
    assert!(
        missing.contains(&code("2.3")),
        "a claimed bonus must be appraised"
    );
    assert!(
        !missing.contains(&code("2.4")),
        "an unclaimed penalty needs nothing"
    );
    for c in ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3"] {
        let it = items.entry(code(c)).or_insert_with(|| Item::new(code(c)));
        it.appraisal1 = Some(Appraisal {
            score: dec!(0),
            comment: String::new(),
            by: "a".into(),
            at: "t".into(),
        });
    }
    assert!(missing_finals(&e, &items).is_empty());
}

#[test]
fn class_bands_parse_and_classify() {
    let b = ClassBands::default();
    assert_eq!(b.classify(dec!(90)).unwrap().label_vi, "Tốt");
    assert_eq!(b.classify(dec!(89.99)).unwrap().label_vi, "Khá");
    assert_eq!(b.classify(dec!(80)).unwrap().label_vi, "Khá");
    assert_eq!(b.classify(dec!(70)).unwrap().label_vi, "Trung bình");
    assert_eq!(b.classify(dec!(69.99)).unwrap().label_vi, "Yếu");
    assert_eq!(b.classify(dec!(0)).unwrap().label_vi, "Yếu");
    let text = b.to_text();
    assert_eq!(ClassBands::parse(&text), Ok(b));
    let p = ClassBands::parse("Xuất sắc ≥ 95 %; Tốt: 85\nCòn lại = 0").unwrap();
    assert_eq!(p.0.len(), 3);
    assert_eq!(p.0[0].min_pct, dec!(95));
    assert_eq!(p.0[0].label_vi, "Xuất sắc");
    let refused = |text: &str| ClassBands::parse(text).err().unwrap_or_default();
    assert!(
        refused("Tốt: 80; Khá: 90; Yếu: 0").contains(&ClassProblem::NotBelow {
            label: "Khá".into(),
            pct: dec!(90),
            above: dec!(80)
        }),
        "not descending"
    );
    assert_eq!(
        refused("Tốt: 90; Khá: 80"),
        vec![ClassProblem::LastNotZero],
        "no class from 0"
    );
    assert!(refused("Tốt 90").contains(&ClassProblem::Unreadable {
        part: "Tốt 90".into()
    }));
    assert!(
        refused("Tốt: x; Yếu: 0").contains(&ClassProblem::NotANumber {
            part: "Tốt: x".into()
        })
    );
    assert!(
        refused("Tốt: 120; Yếu: 0").contains(&ClassProblem::Outside {
            label: "Tốt".into(),
            pct: dec!(120)
        })
    );
}

fn finals(rows: &[(&str, &[(&str, Decimal)])]) -> BTreeMap<String, BTreeMap<NodeCode, Decimal>> {
    rows.iter()
        .map(|(u, s)| {
            (
                u.to_string(),
                s.iter().map(|(c, v)| (code(c), *v)).collect(),
            )
        })
        .collect()
}

#[test]
fn ranking_with_ties_classes_change_and_losses() {
    let e = edition();
    let types: BTreeMap<String, UnitType> = ["a", "b", "c", "d"]
        .iter()
        .map(|u| (u.to_string(), UnitType::Department))
        .collect();
    let f = finals(&[
        // 18 / 20 = 90 % → Tốt
        (
            "a",
            &[
                ("1.1", dec!(3)),
                ("1.2", dec!(2)),
                ("1.3", dec!(3)),
                ("1.4", dec!(2)),
                ("2.1", dec!(6)),
                ("2.2", dec!(2)),
            ],
        ),
        // 17 / 20 = 85 % → Khá (tie with c)
        (
            "b",
            &[
                ("1.1", dec!(3)),
                ("1.2", dec!(2)),
                ("1.3", dec!(3)),
                ("1.4", dec!(2)),
                ("2.1", dec!(5)),
                ("2.2", dec!(2)),
            ],
        ),
        (
            "c",
            &[
                ("1.1", dec!(2)),
                ("1.2", dec!(2)),
                ("1.3", dec!(3)),
                ("1.4", dec!(2)),
                ("2.1", dec!(6)),
                ("2.2", dec!(2)),
            ],
        ),
        // 10 + 3 − penalty 1 → 12 / 20 = 60 % → Yếu
        (
            "d",
            &[
                ("1.1", dec!(3)),
                ("1.2", dec!(2)),
                ("1.3", dec!(3)),
                ("1.4", dec!(2)),
                ("2.1", dec!(3)),
                ("2.4", dec!(-1)),
            ],
        ),
    ]);
    let prev: BTreeMap<String, PreviousStanding> = [(
        "b".to_string(),
        PreviousStanding {
            round_id: "r2020".into(),
            year: 2020,
            total: dec!(16),
            pct: dec!(80),
            rank: 4,
        },
    )]
    .into_iter()
    .collect();
    let rows = rank_units(&e, &types, &f, &ClassBands::default(), &prev);
    let by: BTreeMap<&str, &RankingRow> = rows.iter().map(|r| (r.unit.as_str(), r)).collect();
    assert_eq!(
        rows.iter()
            .map(|r| (r.unit.as_str(), r.rank))
            .collect::<Vec<_>>(),
        vec![("a", 1), ("b", 2), ("c", 2), ("d", 4)],
        "ties share a rank and the next skips"
    );
    assert_eq!(by["a"].pct, dec!(90.00));
    assert_eq!(by["a"].class.as_ref().unwrap().1.label_vi, "Tốt");
    assert_eq!(by["b"].class.as_ref().unwrap().1.label_vi, "Khá");
    assert_eq!(by["d"].total, dec!(12));
    assert_eq!(by["d"].class.as_ref().unwrap().1.label_vi, "Yếu");
    assert_eq!(by["b"].change_pct, Some(dec!(5.00)));
    assert_eq!(by["b"].change_rank, Some(2), "4th → 2nd: up two places");
    assert_eq!(by["a"].previous, None);
    // Points lost per area.
    let d_area2 = by["d"].areas.iter().find(|a| a.code == "2").unwrap();
    assert_eq!(d_area2.achieved, dec!(2));
    assert_eq!(d_area2.lost, Some(dec!(8)));
    assert_eq!(by["d"].lost, dec!(8));
}

#[test]
fn corrections_apply_over_the_frozen_scores() {
    let e = edition();
    let snapshot = Snapshot {
        edition: e.clone(),
        unit_types: [("a".to_string(), UnitType::Department)]
            .into_iter()
            .collect(),
        finals: [(
            "a".to_string(),
            [("1.1".to_string(), dec!(1)), ("2.1".to_string(), dec!(6))]
                .into_iter()
                .collect(),
        )]
        .into_iter()
        .collect(),
    };
    let c = |id: i64, new: Decimal| Correction {
        id,
        unit: "a".into(),
        code: code("1.1"),
        old_score: dec!(1),
        new_score: new,
        reason: "Phúc khảo".into(),
        decision_ref: "12/QĐ-UBND".into(),
        decided_on: date(2022, 3, 10),
        by: "sonoivu".into(),
        at: "t".into(),
    };
    let f = corrected_finals(&snapshot, &[c(2, dec!(3)), c(1, dec!(2))]);
    assert_eq!(f["a"][&code("1.1")], dec!(3), "the latest decision wins");
    assert_eq!(f["a"][&code("2.1")], dec!(6));
}

#[test]
fn scoped_editions_drop_what_does_not_apply() {
    let mut e = edition();
    e.criteria[4].applies_to = vec![UnitType::District]; // 1.4, 2 points
    let s = scoped_edition(&e, UnitType::Department);
    assert!(s.node(&code("1.4")).is_none());
    assert_eq!(s.node(&code("1")).unwrap().max_points, Some(dec!(8)));
    assert_eq!(s.max_points, dec!(18));
    assert_eq!(s.components[0].max_points, dec!(18));
    assert_eq!(s.validate(), vec![]);
    assert_eq!(scoped_edition(&e, UnitType::District), e);
}

#[test]
fn crosswalk_for_next_year() {
    let old = edition();
    let mut new = next_year_edition(&old, "sample-department-2022", 2022);
    assert_eq!(new.name, "Bộ tiêu chí 2022 (MẪU)");
    assert_eq!(new.year, 2022);
    // 1.3 is renamed 1.5; 2.1 and 2.2 are merged into 2.1 next year (2.2 removed).
    new.criteria
        .retain(|n| n.code != code("1.3") && n.code != code("2.2"));
    let mut n15 = node("1.5", "Tỷ lệ hoàn thành", Some(dec!(3)), None);
    n15.title_en = None;
    new.criteria.push(n15);
    new.criteria.push(node("1.6", "Mới", Some(dec!(0)), None));
    new.sort();
    let explicit = parse_crosswalk("1.3 => 1.5\n2.2 -> 2.1").unwrap();
    let cw = crosswalk(&old, &new, &explicit).unwrap();
    assert_eq!(cw.map[&code("1.3")], code("1.5"));
    assert_eq!(cw.map[&code("1.1")], code("1.1"), "same code carries over");
    assert_eq!(cw.merged[&code("2.1")], vec![code("2.1"), code("2.2")]);
    assert_eq!(cw.new_only, vec![code("1.6")]);
    assert!(cw.dropped.is_empty());
    let bad = parse_crosswalk("9.9 => 1.1").unwrap();
    assert_eq!(
        crosswalk(&old, &new, &bad),
        Err(vec![CrosswalkProblem::NotALeaf {
            code: code("9.9"),
            edition: old.id.clone()
        }])
    );
    assert_eq!(
        parse_crosswalk("1.1"),
        Err(vec![CrosswalkProblem::Unreadable { line: "1.1".into() }])
    );
    assert!(matches!(
        parse_crosswalk("1.1 => 1.2; 1.1 => 1.3").err().as_deref(),
        Some([CrosswalkProblem::MappedTwice { .. }])
    ));
    assert!(matches!(
        parse_crosswalk("1.x => 1.2").err().as_deref(),
        Some([CrosswalkProblem::BadCode { .. }])
    ));
    // Without a mapping, a removed criterion is dropped.
    let cw = crosswalk(&old, &new, &BTreeMap::new()).unwrap();
    assert!(cw.dropped.contains(&code("1.3")));
}

proptest! {
    #[test]
    fn ranks_follow_the_ratio_and_classes_the_percent(totals in proptest::collection::vec(0i64..=80, 1..12)) {
        let e = edition();
        let mut types = BTreeMap::new();
        let mut f = BTreeMap::new();
        for (i, t) in totals.iter().enumerate() {
            let u = format!("u{i:02}");
            types.insert(u.clone(), UnitType::Department);
            // Quarter points on the survey item (max 4) and the proportional item (max 6).
            let quarter = Decimal::from(*t) * dec!(0.25);
            let a = quarter.min(dec!(4));
            let rest = (quarter - a).max(dec!(0)).min(dec!(6));
            f.insert(u, [(code("2.2"), a), (code("2.1"), rest)].into_iter().collect());
        }
        let rows = rank_units(&e, &types, &f, &ClassBands::default(), &BTreeMap::new());
        for x in &rows {
            for y in &rows {
                if x.total > y.total { prop_assert!(x.rank < y.rank); }
                if x.total == y.total { prop_assert_eq!(x.rank, y.rank); }
            }
            let class = x.class.as_ref().map(|(_, c)| c.min_pct);
            prop_assert!(class.is_some_and(|m| x.pct >= m));
            prop_assert!(x.total <= x.max && x.total >= Decimal::ZERO);
        }
    }

    #[test]
    fn self_scores_stay_within_range(v in -1000i64..100_000, n in 0u32..50) {
        let e = edition();
        for leaf in leaves(&e) {
            let inputs = [
                ScoreInput::Points(Decimal::new(v, 2)),
                ScoreInput::Number(Decimal::new(v, 2)),
                ScoreInput::YesNo(v % 2 == 0),
                ScoreInput::Count(n),
                ScoreInput::Choice("late".into()),
            ];
            for i in &inputs {
                if let Ok(s) = self_score(leaf, i) {
                    prop_assert!(check_appraised(leaf, s).is_ok(), "{} {:?} → {}", leaf.code, i, s);
                    let (min, max) = appraisal_range(leaf).unwrap();
                    prop_assert!(s >= min && s <= max);
                }
            }
        }
    }
}

#[test]
fn a_file_waits_for_appraisal_while_an_appraisal_round_is_open_to_it_and_work_is_left() {
    let r = round();
    let u = "so-tu-phap";
    let none = UnitProgress::default();
    let sub = UnitProgress {
        submitted_on: Some(date(2021, 12, 20)),
        submitted_by: Some("sotuphap".into()),
    };
    let day = date(2021, 12, 21);
    // Submitted with items left: it waits; still self-scoring or nothing left: it does not.
    assert!(awaits_appraisal(&r, &[], &sub, u, 3, 0, day));
    assert!(!awaits_appraisal(&r, &[], &none, u, 3, 0, day));
    assert!(!awaits_appraisal(&r, &[], &sub, u, 0, 0, day));
    // After round 1 closes only an open dispute keeps it waiting, until round 2 closes.
    let later = date(2022, 2, 1);
    assert!(!awaits_appraisal(&r, &[], &sub, u, 3, 0, later));
    assert!(awaits_appraisal(&r, &[], &sub, u, 0, 1, later));
    assert!(!awaits_appraisal(&r, &[], &sub, u, 0, 1, date(2022, 2, 12)));
    // A published round waits for no one.
    let mut p = r.clone();
    p.published_on = Some(date(2022, 2, 25));
    assert!(!awaits_appraisal(&p, &[], &sub, u, 3, 1, day));
}

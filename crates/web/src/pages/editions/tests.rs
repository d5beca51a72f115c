use super::*;
use crate::i18n;
use crate::i18n::Lang;
use parindex_domain::edition::Component;
use parindex_domain::edition::{CriterionNode, EditionProblem, EditionProblemKind, NodeCode};
use parindex_domain::rules::Band;
use parindex_domain::rules::ScoringRule;
use parindex_domain::rules::{Bound, ChoiceOption};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn bound(v: Decimal, inclusive: bool) -> Option<Bound> {
    Some(Bound {
        value: v,
        inclusive,
    })
}

#[test]
fn summarises_rules() {
    let bands = ScoringRule::Bands {
        bands: vec![
            Band {
                lower: bound(dec!(90), false),
                upper: None,
                points: dec!(2),
            },
            Band {
                lower: bound(dec!(70), true),
                upper: bound(dec!(90), true),
                points: dec!(1),
            },
            Band {
                lower: None,
                upper: bound(dec!(70), false),
                points: dec!(0),
            },
        ],
    };
    assert_eq!(
        rule_summary(Lang::En, &bands),
        "bands: > 90 → 2; ≥ 70 and ≤ 90 → 1; < 70 → 0"
    );
    assert_eq!(
        rule_summary(Lang::Vi, &bands),
        "khoảng: > 90 → 2; ≥ 70 và ≤ 90 → 1; < 70 → 0"
    );
    let half_open = Band {
        lower: bound(dec!(50), false),
        upper: bound(dec!(70.5), false),
        points: dec!(0.5),
    };
    assert_eq!(band_range(Lang::Vi, &half_open), "> 50 và < 70,5");
    assert_eq!(
        rule_summary(Lang::Vi, &ScoringRule::Manual { step: dec!(0.25) }),
        "chấm tay, bước 0,25"
    );
    assert_eq!(
        rule_summary(Lang::En, &ScoringRule::Manual { step: dec!(0) }),
        "manual"
    );
    let choice = ScoringRule::Choice {
        options: vec![
            ChoiceOption {
                key: "on_time".into(),
                label_vi: "Đúng hạn".into(),
                label_en: Some("On time".into()),
                points: dec!(1),
            },
            ChoiceOption {
                key: "late".into(),
                label_vi: "Trễ hạn".into(),
                label_en: None,
                points: dec!(0.5),
            },
        ],
    };
    assert_eq!(
        rule_summary(Lang::En, &choice),
        "choice: On time → 1; Trễ hạn → 0.5"
    );
    assert_eq!(
        rule_summary(
            Lang::En,
            &ScoringRule::YesNo {
                yes: dec!(1),
                no: dec!(0)
            }
        ),
        "yes/no: Yes → 1; No → 0"
    );
    assert_eq!(
        rule_summary(
            Lang::En,
            &ScoringRule::Penalty {
                per_unit: dec!(0.5),
                cap: dec!(2)
            }
        ),
        "penalty: −0.5 each, at most 2"
    );
    assert_eq!(
        rule_summary(Lang::Vi, &ScoringRule::Proportional { target: dec!(100) }),
        "tỷ lệ theo chỉ tiêu 100"
    );
}

fn sample() -> Edition {
    let mut a = CriterionNode::new(NodeCode::parse("1").unwrap(), "Lĩnh vực 1", Some(dec!(10)));
    a.component = Some("appraisal".into());
    let b = CriterionNode::new(
        NodeCode::parse("1.1").unwrap(),
        "Tiêu chí 1.1",
        Some(dec!(4)),
    );
    let c = CriterionNode::new(
        NodeCode::parse("1.2").unwrap(),
        "Tiêu chí 1.2",
        Some(dec!(6)),
    );
    Edition {
        id: "par-2020-province".into(),
        name: "Chỉ số CCHC 2020".into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: None,
        max_points: dec!(100),
        peer_count: Some(63),
        sample: false,
        notes: None,
        components: vec![Component {
            code: "appraisal".into(),
            name_vi: "Thẩm định".into(),
            name_en: Some("Appraisal".into()),
            max_points: dec!(100),
        }],
        criteria: vec![a, b, c],
    }
}

#[test]
fn diffs_editions() {
    let old = sample();
    assert!(edition_diff(Lang::En, &old, &old).is_empty());
    let mut new = old.clone();
    new.name = "PAR Index 2020".into();
    new.criteria.retain(|n| n.code.to_string() != "1.2");
    new.criteria[1].max_points = Some(dec!(4.5));
    new.criteria[1].rule = Some(ScoringRule::Manual { step: dec!(0.5) });
    new.criteria.push(CriterionNode::new(
        NodeCode::parse("2").unwrap(),
        "Lĩnh vực 2",
        None,
    ));
    new.components[0].max_points = dec!(99);
    let d = edition_diff(Lang::Vi, &old, &new);
    assert_eq!(
        d.metadata,
        vec![FieldChange {
            key: "editions.f.name",
            old: "Chỉ số CCHC 2020".into(),
            new: "PAR Index 2020".into()
        }]
    );
    assert_eq!(d.added, vec![("2".to_string(), "Lĩnh vực 2".to_string())]);
    assert_eq!(
        d.removed,
        vec![("1.2".to_string(), "Tiêu chí 1.2".to_string())]
    );
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].code, "1.1");
    let keys: Vec<&str> = d.changed[0].fields.iter().map(|f| f.key).collect();
    assert_eq!(keys, vec!["editions.f.max_points", "editions.f.rule"]);
    assert_eq!(d.changed[0].fields[0].new, "4,5");
    assert_eq!(d.components.len(), 1);
    assert_eq!(d.components[0].1, "editions.changed");
    assert!(d.components[0].2.contains("100") && d.components[0].2.contains("99"));
}

#[test]
fn places_node_problems_beside_fields() {
    let mut e = sample();
    let code = NodeCode::parse("1.1").unwrap();
    e.criteria[1].max_points = Some(dec!(5));
    let problems = e.validate();
    assert!(!problems.is_empty());
    let fields: Vec<Option<&str>> = problems
        .iter()
        .map(|p| node_problem_field(&code, p))
        .collect();
    assert!(fields.contains(&Some("max_points")), "{problems:?}");
    e.criteria[1].component = Some("nope".into());
    let p = e
        .validate()
        .into_iter()
        .find(|p| p.field.ends_with(".component"))
        .unwrap();
    assert_eq!(node_problem_field(&code, &p), Some("component"));
    assert_eq!(problem_key(&p).0, "editions.err.node_component");
    // A problem of another node goes to the general list.
    let other = NodeCode::parse("1.2").unwrap();
    assert_eq!(node_problem_field(&other, &p), None);
}

#[test]
fn reads_the_new_edition_form() {
    let input = NewEditionInput {
        id: Some("Bad Id".into()),
        name: Some("".into()),
        year: Some("20x1".into()),
        level: Some("province".into()),
        methodology_ref: None,
        max_points: Some("100".into()),
        peer_count: Some("63".into()),
        sample: None,
        components: Some("appraisal | Thẩm định | 66,5\nsurvey | Điều tra | 23,5".into()),
    };
    let (form, e) = new_edition(Lang::Vi, &input);
    assert!(e.is_none());
    assert!(form.errors.has("year"));
    let input = NewEditionInput {
        year: Some("2021".into()),
        ..input
    };
    let (form, e) = new_edition(Lang::Vi, &input);
    assert!(e.is_none());
    assert!(form.errors.has("id") && form.errors.has("name"));
    assert!(form.errors.has("components"), "66.5 + 23.5 ≠ 100");
    assert_eq!(form.id, "Bad Id", "what was typed is kept");
    let input = NewEditionInput {
        id: Some("par-2021-province".into()),
        name: Some("Chỉ số CCHC 2021".into()),
        components: Some("appraisal | Thẩm định | 76,5\nsurvey | Điều tra | 23,5".into()),
        ..input
    };
    let (form, e) = new_edition(Lang::Vi, &input);
    assert!(form.errors.is_empty(), "{:?}", form.errors);
    let e = e.unwrap();
    assert_eq!(e.components[0].max_points, dec!(76.5));
    assert_eq!(e.peer_count, Some(63));
    assert!(parse_components(Lang::En, "just one part").is_err());
}

#[test]
fn dynamic_keys_exist() {
    for l in Level::ALL {
        assert!(i18n::has_key(&format!("editions.level.{}", l.as_str())));
    }
    let e = sample();
    for p in [
        "id",
        "name",
        "year",
        "max_points",
        "peer_count",
        "components",
        "criteria",
        "criteria[1].rule",
        "other",
    ] {
        let (k, _) = problem_key(&EditionProblem {
            field: p.into(),
            kind: EditionProblemKind::Empty,
        });
        assert!(i18n::has_key(k), "{k}");
    }
    let mut new = e.clone();
    new.sample = true;
    new.level = Level::District;
    new.notes = Some("x".into());
    for f in edition_diff(Lang::En, &e, &new).metadata {
        assert!(i18n::has_key(f.key), "{}", f.key);
    }
}

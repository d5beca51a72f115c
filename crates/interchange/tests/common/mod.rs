//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use parindex_domain::rules::{Band, Bound, ChoiceOption, ScoringRule};
use parindex_domain::{
    Component, CriterionNode, Edition, Level, NodeCode, PublishedResult, RankTarget, Subject,
    TargetScope, Unit, UnitType,
};
use parindex_interchange::ImportError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::{BTreeMap, BTreeSet};

pub fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn node(c: &str, title: &str, max: Option<Decimal>) -> CriterionNode {
    CriterionNode::new(code(c), title, max)
}

/// An edition with every kind of scoring rule, components, lead agencies and applies-to lists.
pub fn edition() -> Edition {
    let mut a1 = node("1", "Công tác chỉ đạo, điều hành CCHC", Some(dec!(10)));
    a1.component = Some("appraisal".into());
    a1.lead_agency = Some("so-noi-vu".into());
    a1.title_en = Some("Direction of PAR".into());
    let mut c11 = node("1.1", "Kế hoạch CCHC", Some(dec!(4)));
    c11.rule = Some(ScoringRule::Manual { step: dec!(0.25) });
    c11.evidence_required = true;
    let mut c12 = node("1.2", "Báo cáo CCHC", Some(dec!(2)));
    c12.rule = Some(ScoringRule::Choice {
        options: vec![
            ChoiceOption {
                key: "on_time".into(),
                label_vi: "Đúng hạn".into(),
                label_en: Some("On time".into()),
                points: dec!(2),
            },
            ChoiceOption {
                key: "late".into(),
                label_vi: "Quá hạn".into(),
                label_en: None,
                points: dec!(0.5),
            },
        ],
    });
    let mut c13 = node("1.3", "Tỷ lệ hoàn thành kế hoạch", Some(dec!(2)));
    c13.rule = Some(ScoringRule::Bands {
        bands: vec![
            Band {
                lower: Some(Bound {
                    value: dec!(90),
                    inclusive: false,
                }),
                upper: None,
                points: dec!(2),
            },
            Band {
                lower: Some(Bound {
                    value: dec!(70),
                    inclusive: true,
                }),
                upper: Some(Bound {
                    value: dec!(90),
                    inclusive: true,
                }),
                points: dec!(1),
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
    });
    let mut c14 = node("1.4", "Tỷ lệ hồ sơ trực tuyến", Some(dec!(2)));
    c14.rule = Some(ScoringRule::Proportional { target: dec!(100) });
    c14.lead_agency = Some("so-thong-tin-va-truyen-thong".into());
    let mut a2 = node("2", "Cải cách thủ tục hành chính", Some(dec!(56.5)));
    a2.component = Some("appraisal".into());
    let mut c21 = node("2.1", "Công bố TTHC", Some(dec!(1)));
    c21.rule = Some(ScoringRule::YesNo {
        yes: dec!(1),
        no: dec!(0),
    });
    c21.applies_to = vec![UnitType::Department, UnitType::District];
    let mut c22 = node("2.2", "Sáng kiến", None);
    c22.rule = Some(ScoringRule::Bonus {
        per_unit: dec!(0.5),
        cap: dec!(1.5),
    });
    let mut c23 = node("2.3", "Chậm muộn", None);
    c23.rule = Some(ScoringRule::Penalty {
        per_unit: dec!(0.25),
        cap: dec!(1),
    });
    let c24 = node("2.4", "Giải quyết TTHC", Some(dec!(55.5)));
    let mut c241 = node("2.4.1", "Tỷ lệ hồ sơ đúng hạn", Some(dec!(55.5)));
    c241.title_en = Some("On-time files".into());
    let mut a3 = node("3", "Điều tra xã hội học", Some(dec!(23.5)));
    a3.component = Some("survey".into());
    a3.survey_scored = true;
    Edition {
        id: "par-2020-province".into(),
        name: "Chỉ số CCHC 2020".into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: Some("Quyết định 1149/QĐ-BNV".into()),
        max_points: dec!(100),
        peer_count: Some(63),
        sample: false,
        notes: Some("Số liệu mẫu để kiểm thử".into()),
        components: vec![
            Component {
                code: "appraisal".into(),
                name_vi: "Thẩm định".into(),
                name_en: Some("Appraisal".into()),
                max_points: dec!(66.5),
            },
            Component {
                code: "sipas".into(),
                name_vi: "SIPAS".into(),
                name_en: None,
                max_points: dec!(10),
            },
            Component {
                code: "survey".into(),
                name_vi: "Điều tra XHH".into(),
                name_en: Some("Survey".into()),
                max_points: dec!(23.5),
            },
        ],
        criteria: vec![a1, c11, c12, c13, c14, a2, c21, c22, c23, c24, c241, a3],
    }
}

fn result(
    subject: &str,
    total: Decimal,
    rank: Option<u32>,
    comps: [Decimal; 3],
) -> PublishedResult {
    PublishedResult {
        edition_id: "par-2020-province".into(),
        subject: subject.into(),
        total: Some(total),
        rank,
        components: [
            ("appraisal", comps[0]),
            ("sipas", comps[1]),
            ("survey", comps[2]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        node_scores: BTreeMap::new(),
        node_ranks: BTreeMap::new(),
        source: None,
        published_on: None,
    }
}

pub fn results() -> Vec<PublishedResult> {
    let mut bg = result(
        "bac-giang",
        dec!(85.58),
        Some(13),
        [dec!(56.93), dec!(9.29), dec!(19.36)],
    );
    bg.node_scores.insert("1".into(), dec!(8.5));
    bg.node_scores.insert("2.1".into(), dec!(1));
    bg.node_ranks.insert("1".into(), 10);
    bg.source = Some("Bộ Nội vụ, báo cáo PAR Index 2020".into());
    bg.published_on = Some(jiff::civil::date(2021, 5, 14));
    let mut qn = result(
        "quang-ninh",
        dec!(91.04),
        Some(1),
        [dec!(62.66), dec!(9.56), dec!(18.83)],
    );
    qn.node_scores.insert("1".into(), dec!(9.75));
    qn.node_ranks.insert("1".into(), 1);
    qn.node_ranks.insert("3".into(), 2);
    qn.published_on = Some(jiff::civil::date(2021, 5, 14));
    let hn = result(
        "ha-noi",
        dec!(90.51),
        Some(2),
        [dec!(61.71), dec!(9.35), dec!(19.45)],
    );
    vec![bg, qn, hn]
}

pub fn known_subjects() -> BTreeSet<String> {
    ["bac-giang", "quang-ninh", "ha-noi", "hai-phong"]
        .into_iter()
        .map(String::from)
        .collect()
}

pub fn names() -> BTreeMap<String, String> {
    [("bac-giang", "Bắc Giang"), ("quang-ninh", "Quảng Ninh")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

pub fn units() -> Vec<Unit> {
    let u = |slug: &str, name: &str, t: UnitType, parent: Option<&str>| Unit {
        slug: slug.into(),
        name_vi: name.into(),
        name_en: None,
        unit_type: t,
        parent: parent.map(String::from),
        head_name: None,
        head_title: None,
    };
    let mut snv = u(
        "so-noi-vu",
        "Sở Nội vụ",
        UnitType::Department,
        Some("ubnd-tinh"),
    );
    snv.name_en = Some("Department of Home Affairs".into());
    snv.head_name = Some("Nguyễn Văn Ánh".into());
    snv.head_title = Some("Giám đốc".into());
    vec![
        u("ubnd-tinh", "UBND tỉnh Bắc Giang", UnitType::Province, None),
        snv,
        u(
            "huyen-luc-nam",
            "UBND huyện Lục Nam",
            UnitType::District,
            Some("ubnd-tinh"),
        ),
        u(
            "xa-bac-lung",
            "UBND xã Bắc Lũng",
            UnitType::Commune,
            Some("huyen-luc-nam"),
        ),
        u("bao-bac-giang", "Báo Bắc Giang", UnitType::Other, None),
    ]
}

pub fn subjects() -> Vec<Subject> {
    vec![
        Subject {
            slug: "bac-giang".into(),
            name_vi: "Bắc Giang".into(),
            name_en: Some("Bac Giang".into()),
        },
        Subject {
            slug: "quang-ninh".into(),
            name_vi: "Quảng Ninh".into(),
            name_en: None,
        },
    ]
}

pub fn targets() -> Vec<RankTarget> {
    vec![
        RankTarget {
            edition_id: "par-2020-province".into(),
            subject: "bac-giang".into(),
            scope: TargetScope::Overall,
            target_rank: 10,
            lead_agency: Some("so-noi-vu".into()),
            note: Some("Nâng 3 bậc".into()),
        },
        RankTarget {
            edition_id: "par-2020-province".into(),
            subject: "bac-giang".into(),
            scope: TargetScope::Node(code("3")),
            target_rank: 15,
            lead_agency: None,
            note: None,
        },
    ]
}

/// Assert a problem at `row` and `column` of the domain's `kind` (the checks of the domain are
/// matched by kind, not by their English).
#[track_caller]
pub fn assert_kind(
    err: &parindex_interchange::ImportError,
    row: Option<usize>,
    column: Option<&str>,
    kind: parindex_interchange::ProblemKind,
) {
    assert!(
        err.problems
            .iter()
            .any(|p| p.row == row && p.column.as_deref() == column && p.kind == kind),
        "expected a problem at row {row:?}, column {column:?} of kind {kind:?}; got:\n{err}\n{:#?}",
        err.problems
    );
}

/// Assert a problem at `row` and `column` of the reader's own `kind` (matched by kind, never by
/// the English text).
#[track_caller]
pub fn assert_read(
    err: &ImportError,
    row: Option<usize>,
    column: Option<&str>,
    kind: parindex_interchange::ReadProblem,
) {
    assert_kind(
        err,
        row,
        column,
        parindex_interchange::ProblemKind::Read(kind),
    );
}

/// Assert a problem at `row` and `column` whose reader's kind matches `pred`.
#[track_caller]
pub fn assert_read_that(
    err: &ImportError,
    row: Option<usize>,
    column: Option<&str>,
    pred: impl Fn(&parindex_interchange::ReadProblem) -> bool,
) {
    assert!(
        err.problems.iter().any(|p| p.row == row
            && p.column.as_deref() == column
            && p.read_kind().is_some_and(&pred)),
        "expected a problem at row {row:?}, column {column:?} of the kind asked; got:\n{err}\n{:#?}",
        err.problems
    );
}

/// Write an XLSX file with one sheet of string/number cells (`None` = blank).
pub fn write_xlsx(path: &std::path::Path, sheet: &str, rows: &[Vec<Cell>]) {
    write_xlsx_sheets(path, &[(sheet, rows.to_vec())]);
}

#[derive(Clone, Debug)]
pub enum Cell {
    S(&'static str),
    N(f64),
    B(bool),
    Blank,
}

pub fn write_xlsx_sheets(path: &std::path::Path, sheets: &[(&str, Vec<Vec<Cell>>)]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::S(s) => {
                        ws.write_string(r, c, *s).unwrap();
                    }
                    Cell::N(f) => {
                        ws.write_number(r, c, *f).unwrap();
                    }
                    Cell::B(b) => {
                        ws.write_boolean(r, c, *b).unwrap();
                    }
                    Cell::Blank => {}
                }
            }
        }
    }
    wb.save(path).unwrap();
}

//! Editions: round trips through TOML, JSON, XLSX and the criteria CSV; Vietnamese headers;
//! problems reported at their row and column.

mod common;

use common::{
    assert_kind, assert_read, assert_read_that, code, edition, write_xlsx, write_xlsx_sheets, Cell,
};
use parindex_domain::rules::RuleProblem;
use parindex_domain::rules::ScoringRule;
use parindex_domain::score::NumberProblem;
use parindex_domain::CodeProblem;
use parindex_domain::EditionProblemKind;
use parindex_interchange::edition::*;
use parindex_interchange::{ProblemKind, ReadProblem};
use rust_decimal_macros::dec;
use std::io::Cursor;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// An edition's problem as the reader reports it.
fn ed(kind: EditionProblemKind) -> ProblemKind {
    ProblemKind::Edition(kind)
}

#[test]
fn toml_round_trip_keeps_everything_and_writes_decimals_as_strings() {
    let e = edition();
    let text = edition_to_toml(&e);
    assert!(text.contains("max_points = \"66.5\""), "{text}");
    assert!(text.contains("max_points = \"56.5\""), "{text}");
    assert!(!text.contains("max_points = 66.5"), "{text}");
    let back = edition_from_toml(&text, "e.toml").unwrap();
    assert_eq!(back, e);
    // Every rule kind survived.
    let kinds: Vec<&str> = back
        .criteria
        .iter()
        .filter_map(|n| n.rule.as_ref().map(|r| r.kind_name()))
        .collect();
    for k in [
        "manual",
        "choice",
        "bands",
        "proportional",
        "yes_no",
        "bonus",
        "penalty",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
}

#[test]
fn json_round_trip() {
    let e = edition();
    let text = edition_to_json(&e);
    assert!(text.contains("\"max_points\": \"66.5\""), "{text}");
    assert_eq!(edition_from_json(&text, "e.json").unwrap(), e);
}

#[test]
fn file_round_trips_for_every_edition_format() {
    let dir = tmp();
    let e = edition();
    for name in ["e.toml", "e.json", "e.xlsx"] {
        let path = dir.path().join(name);
        write_edition(&path, &e).unwrap();
        assert_eq!(read_edition(&path).unwrap(), e, "{name}");
    }
    // The criteria table alone, as CSV and as a workbook.
    for name in ["c.csv", "c.xlsx"] {
        let path = dir.path().join(name);
        write_criteria(&path, &e.criteria).unwrap();
        assert_eq!(read_criteria(&path).unwrap(), e.criteria, "{name}");
        assert_eq!(read_criteria_into(&path, &e).unwrap(), e, "{name}");
    }
}

#[test]
fn xlsx_keeps_decimals_exact() {
    let mut e = edition();
    e.criteria[10].max_points = Some(dec!(55.50));
    e.components[0].max_points = dec!(66.5);
    let bytes = edition_to_xlsx(&e).unwrap();
    let back = edition_from_xlsx(Cursor::new(bytes), "e.xlsx").unwrap();
    assert_eq!(back.components[0].max_points, dec!(66.5));
    assert_eq!(back.criteria[10].max_points, Some(dec!(55.5)));
    assert_eq!(back, e);
}

#[test]
fn toml_numbers_are_read_exactly_as_written() {
    let src = r#"
id = "sample-2021"
name = "Mẫu"
year = 2021
level = "department"
max_points = 66.5
sample = true

[[components]]
code = "appraisal"
name_vi = "Thẩm định"
max_points = 66.5

[[criteria]]
code = "1"
title_vi = "Lĩnh vực 1"
max_points = 0.1
component = "appraisal"

[[criteria]]
code = "1.1"
title_vi = "Tiêu chí"
max_points = 0.1
rule = { kind = "manual", step = 0.05 }

[[criteria]]
code = "2"
title_vi = "Lĩnh vực 2"
max_points = 66
"#;
    let e = edition_from_toml(src, "e.toml").unwrap();
    assert_eq!(e.max_points, dec!(66.5));
    assert_eq!(e.criteria[0].max_points, Some(dec!(0.1)));
    assert_eq!(
        e.criteria[1].rule,
        Some(ScoringRule::Manual { step: dec!(0.05) })
    );
    assert_eq!(e.criteria[2].max_points, Some(dec!(66)));
}

#[test]
fn json_numbers_are_read_exactly_as_written() {
    let src = r#"{"id": "s-2021", "name": "Mẫu", "year": 2021, "level": "commune",
        "max_points": 10.25, "criteria": [{"code": "1", "title_vi": "A", "max_points": 10.25,
        "rule": {"kind": "yes_no", "yes": 10.25, "no": 0}}]}"#;
    let e = edition_from_json(src, "e.json").unwrap();
    assert_eq!(e.max_points, dec!(10.25));
    assert_eq!(
        e.criteria[0].rule,
        Some(ScoringRule::YesNo {
            yes: dec!(10.25),
            no: dec!(0)
        })
    );
}

#[test]
fn text_is_nfc_normalised_on_the_way_in() {
    let mut e = edition();
    // "Việt" in decomposed form.
    e.name = "Vie\u{0302}\u{0323}t".into();
    e.criteria[0].title_vi = "Vie\u{0302}\u{0323}t".into();
    let back = edition_from_toml(&edition_to_toml(&e), "e.toml").unwrap();
    assert_eq!(back.name, "Việt");
    assert_eq!(back.criteria[0].title_vi, "Việt");
}

#[test]
fn toml_validation_problems_name_the_field() {
    let mut e = edition();
    e.criteria[1].max_points = Some(dec!(11)); // 1.1 above its area's 10
    let err = edition_from_toml(&edition_to_toml(&e), "e.toml").unwrap_err();
    assert_kind(
        &err,
        None,
        Some("criteria[1].max_points"),
        ed(EditionProblemKind::ChildrenExceed {
            sum: dec!(17),
            max: dec!(10),
        }),
    );
    assert_eq!(err.file, "e.toml");
}

#[test]
fn toml_syntax_errors_give_the_line() {
    let err = edition_from_toml("id = \"x\"\nname = \n", "e.toml").unwrap_err();
    assert_read_that(&err, None, None, |k| {
        matches!(k, ReadProblem::Syntax { line: Some(2), .. })
    });
}

const HEADER_EN: &str = "code,title_vi,title_en,max_points,component,survey_scored,evidence_required,applies_to,lead_agency,rule";

#[test]
fn criteria_csv_with_vietnamese_headers_with_and_without_diacritics() {
    let with = "Mã số;Lĩnh vực / Tiêu chí / Tiêu chí thành phần;Điểm tối đa;Điều tra XHH;Cần tài liệu kiểm chứng;Áp dụng cho;Cơ quan chủ trì;Cách chấm\n\
        1;Công tác chỉ đạo;10;;x;;so-noi-vu;\n\
        1.1;Kế hoạch;4,5;không;có;Sở, huyện;;{\"kind\": \"manual\", \"step\": 0.5}\n\
        1.2;Báo cáo;5.5;;;xã;;\n";
    let without = "MA;TEN TIEU CHI;diem toi da;dieu tra xhh;can tai lieu kiem chung;ap dung cho;co quan chu tri;cach cham\n\
        1;Công tác chỉ đạo;10;;x;;so-noi-vu;\n\
        1.1;Kế hoạch;4,5;không;có;Sở, huyện;;{\"kind\": \"manual\", \"step\": 0.5}\n\
        1.2;Báo cáo;5.5;;;xã;;\n";
    for text in [with, without] {
        let c = criteria_from_csv(text, "c.csv").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].lead_agency.as_deref(), Some("so-noi-vu"));
        assert!(c[0].evidence_required && !c[0].survey_scored);
        assert_eq!(c[1].max_points, Some(dec!(4.5)));
        assert_eq!(
            c[1].applies_to,
            vec![
                parindex_domain::UnitType::Department,
                parindex_domain::UnitType::District
            ]
        );
        assert_eq!(c[1].rule, Some(ScoringRule::Manual { step: dec!(0.5) }));
        assert_eq!(c[2].code, code("1.2"));
        assert_eq!(c[2].title_vi, "Báo cáo");
    }
}

#[test]
fn criteria_csv_english_headers_in_any_order_and_case() {
    let text = "TITLE_VI,Code,Max_Points\nLĩnh vực 1,1,10\nTiêu chí,1.1,\n";
    let c = criteria_from_csv(text, "c.csv").unwrap();
    assert_eq!(c[0].max_points, Some(dec!(10)));
    assert_eq!(c[1].max_points, None, "an empty max is None");
}

#[test]
fn duplicate_code_is_reported_at_its_row() {
    let text = format!("{HEADER_EN}\n1,A,,10,,,,,,\n1.1,B,,4,,,,,,\n1.1,C,,4,,,,,,\n");
    let err = criteria_from_csv(&text, "c.csv").unwrap_err();
    assert_kind(
        &err,
        Some(4),
        Some("code"),
        ed(EditionProblemKind::DuplicateCode { code: code("1.1") }),
    );
}

#[test]
fn children_exceeding_their_parent_are_reported_at_the_parent_row() {
    let text = format!("{HEADER_EN}\n1,A,,10,,,,,,\n1.1,B,,6,,,,,,\n1.2,C,,5,,,,,,\n");
    let err = criteria_from_csv(&text, "c.csv").unwrap_err();
    assert_kind(
        &err,
        Some(2),
        Some("max_points"),
        ed(EditionProblemKind::ChildrenExceed {
            sum: dec!(11),
            max: dec!(10),
        }),
    );
}

#[test]
fn bad_cells_are_all_reported_with_row_and_column() {
    let text = format!(
        "{HEADER_EN}\n1,A,,abc,,,,,,\n1.x,B,,4,,,,,,\n1.2,,,4,,maybe,,ward,,\n1.3,D,,1,,,,,,{{\"kind\":\"nope\"}}\n"
    );
    let err = criteria_from_csv(&text, "c.csv").unwrap_err();
    assert_read(
        &err,
        Some(2),
        Some("max_points"),
        ReadProblem::Number(NumberProblem::NotANumber {
            value: "abc".into(),
        }),
    );
    assert_read(
        &err,
        Some(3),
        Some("code"),
        ReadProblem::Code(CodeProblem::NotACode {
            value: "1.x".into(),
        }),
    );
    assert_read(&err, Some(4), Some("title_vi"), ReadProblem::Empty);
    assert_read(
        &err,
        Some(4),
        Some("survey_scored"),
        ReadProblem::NotYesNo {
            value: "maybe".into(),
        },
    );
    assert_read(
        &err,
        Some(4),
        Some("applies_to"),
        ReadProblem::NotUnitTypes {
            values: vec!["ward".into()],
        },
    );
    assert_read_that(&err, Some(5), Some("rule"), |k| {
        matches!(k, ReadProblem::NotARule { .. })
    });
    assert_eq!(err.file, "c.csv");
}

#[test]
fn missing_and_unknown_headers() {
    let err = criteria_from_csv("code,max_points,colour\n1,10,red\n", "c.csv").unwrap_err();
    assert_read(
        &err,
        Some(1),
        None,
        ReadProblem::MissingColumn {
            label: "title_vi (Tên)".into(),
        },
    );
    assert_read(
        &err,
        Some(1),
        Some("colour"),
        ReadProblem::UnknownColumn {
            header: "colour".into(),
        },
    );
}

#[test]
fn rule_problems_and_unknown_components_in_a_full_edition() {
    let mut e = edition();
    e.criteria[0].component = Some("nope".into());
    e.criteria[1].rule = Some(ScoringRule::Manual { step: dec!(0.3) }); // 4 is not a multiple
    let dir = tmp();
    let path = dir.path().join("e.xlsx");
    write_edition(&path, &e).unwrap();
    let err = read_edition(&path).unwrap_err();
    // Row 2 of the Criteria sheet is code 1, row 3 is 1.1.
    assert_kind(
        &err,
        Some(2),
        Some("component"),
        ed(EditionProblemKind::UnknownComponent {
            code: "nope".into(),
        }),
    );
    assert_kind(
        &err,
        Some(3),
        Some("rule"),
        ed(EditionProblemKind::Rule(RuleProblem::NotAMultiple {
            max: dec!(4),
            step: dec!(0.3),
        })),
    );
    assert!(
        err.problems
            .iter()
            .any(|p| p.sheet.as_deref() == Some("Criteria")),
        "{err}"
    );
}

#[test]
fn xlsx_edition_with_vietnamese_sheets_and_headers() {
    let dir = tmp();
    let path = dir.path().join("e.xlsx");
    use Cell::*;
    write_xlsx_sheets(
        &path,
        &[
            (
                "Kỳ chỉ số",
                vec![
                    vec![S("Mã"), S("par-2021-department")],
                    vec![S("Tên"), S("Chỉ số CCHC các sở 2021")],
                    vec![S("Năm"), N(2021.0)],
                    vec![S("Cấp"), S("Sở, ngành")],
                    vec![S("Điểm tối đa"), N(66.5)],
                    vec![S("Mẫu"), S("x")],
                ],
            ),
            (
                "Thanh phan",
                vec![
                    vec![S("Mã"), S("Tên"), S("Điểm tối đa")],
                    vec![S("appraisal"), S("Thẩm định"), N(66.5)],
                ],
            ),
            (
                "Tiêu chí",
                vec![
                    vec![
                        S("Mã số"),
                        S("Tên tiêu chí"),
                        S("Điểm tối đa"),
                        S("Thành phần điểm"),
                    ],
                    vec![N(1.0), S("Lĩnh vực 1"), N(56.93), S("Thẩm định")],
                    vec![N(1.1), S("Tiêu chí 1"), S("56,93"), Blank],
                    vec![Blank, Blank, Blank, Blank],
                ],
            ),
        ],
    );
    let e = read_edition(&path).unwrap();
    assert_eq!(e.id, "par-2021-department");
    assert_eq!(e.level, parindex_domain::Level::Department);
    assert!(e.sample);
    assert_eq!(e.max_points, dec!(66.5));
    assert_eq!(e.criteria.len(), 2, "the blank row is ignored");
    assert_eq!(e.criteria[0].max_points, Some(dec!(56.93)));
    assert_eq!(
        e.criteria[0].component.as_deref(),
        Some("appraisal"),
        "named by name_vi"
    );
    assert_eq!(e.criteria[1].code, code("1.1"));
    assert_eq!(e.criteria[1].max_points, Some(dec!(56.93)));
}

#[test]
fn xlsx_edition_problems_name_sheet_row_and_column() {
    let dir = tmp();
    let path = dir.path().join("e.xlsx");
    use Cell::*;
    write_xlsx_sheets(
        &path,
        &[
            (
                "Edition",
                vec![
                    vec![S("field"), S("value")],
                    vec![S("id"), S("x-2021")],
                    vec![S("name"), S("X")],
                    vec![S("year"), S("two thousand")],
                    vec![S("level"), S("province")],
                    vec![S("colour"), S("red")],
                ],
            ),
            (
                "Criteria",
                vec![
                    vec![S("code"), S("title_vi"), S("max_points")],
                    vec![S("1"), S("A"), S("ten")],
                ],
            ),
        ],
    );
    let err = read_edition(&path).unwrap_err();
    assert_read(
        &err,
        Some(4),
        Some("year"),
        ReadProblem::Number(NumberProblem::NotANumber {
            value: "two thousand".into(),
        }),
    );
    assert_read(
        &err,
        Some(6),
        Some("colour"),
        ReadProblem::UnknownField {
            field: "colour".into(),
        },
    );
    assert_read(
        &err,
        None,
        Some("max_points"),
        ReadProblem::MissingField {
            field: "max_points".into(),
        },
    );
    // In the criteria sheet, which the problem names.
    assert!(
        err.problems.iter().any(|p| p.row == Some(2)
            && p.column.as_deref() == Some("max_points")
            && p.sheet.as_deref() == Some("Criteria")
            && p.read_kind()
                == Some(&ReadProblem::Number(NumberProblem::NotANumber {
                    value: "ten".into()
                }))),
        "{err}"
    );
}

#[test]
fn criteria_csv_into_an_edition_checks_components_and_the_edition_max() {
    let mut base = edition();
    base.criteria.clear();
    let text =
        format!("{HEADER_EN}\n1,A,,60,appraisal,,,,,\n2,B,,50,survey,,,,,\n3,C,,1,ghost,,,,,\n");
    let dir = tmp();
    let path = dir.path().join("c.csv");
    std::fs::write(&path, text).unwrap();
    let err = read_criteria_into(&path, &base).unwrap_err();
    assert_kind(
        &err,
        Some(4),
        Some("component"),
        ed(EditionProblemKind::UnknownComponent {
            code: "ghost".into(),
        }),
    );
    assert_kind(
        &err,
        None,
        Some("components[survey].max_points"),
        ed(EditionProblemKind::ComponentExceeded {
            sum: dec!(50),
            max: dec!(23.5),
        }),
    );
    assert_kind(
        &err,
        None,
        Some("criteria"),
        ed(EditionProblemKind::AreasExceed {
            sum: dec!(111),
            max: dec!(100),
        }),
    );
}

#[test]
fn unknown_extensions_are_refused_naming_the_file() {
    let dir = tmp();
    let path = dir.path().join("edition.docx");
    std::fs::write(&path, "x").unwrap();
    let err = read_edition(&path).unwrap_err();
    assert!(err.file.ends_with("edition.docx"));
    assert_read_that(
        &err,
        None,
        None,
        |k| matches!(k, ReadProblem::UnsupportedType { ext: Some(e), .. } if e == "docx"),
    );
    let err = read_criteria(&dir.path().join("criteria.txt")).unwrap_err();
    assert!(err.file.ends_with("criteria.txt"));
    assert_read_that(
        &err,
        None,
        None,
        |k| matches!(k, ReadProblem::UnsupportedType { ext: Some(e), .. } if e == "txt"),
    );
    assert!(write_edition(&dir.path().join("e.yaml"), &edition()).is_err());
    // A CSV holds only the criteria.
    let err = read_edition(&dir.path().join("e.csv")).unwrap_err();
    assert_read(&err, None, None, ReadProblem::CriteriaOnly);
}

#[test]
fn a_single_sheet_workbook_of_criteria() {
    let dir = tmp();
    let path = dir.path().join("c.xlsx");
    use Cell::*;
    write_xlsx(
        &path,
        "Sheet1",
        &[
            vec![S("STT"), S("Mã"), S("Tên")],
            vec![N(1.0), S("1"), S("Lĩnh vực")],
            vec![N(2.0), S("1.1"), S("Tiêu chí")],
        ],
    );
    let c = read_criteria(&path).unwrap();
    assert_eq!(c.len(), 2, "the STT column is ignored");
}

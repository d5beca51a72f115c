//! Published results: round trips through CSV, XLSX and JSON; Vietnamese headers; problems of
//! cells and of the set (totals, ranks, subjects) reported at their row and column.

mod common;

use common::{
    assert_kind, assert_read, assert_read_that, edition, known_subjects, names, results,
    write_xlsx, Cell,
};
use parindex_domain::score::NumberProblem;
use parindex_domain::ResultProblemKind;
use parindex_interchange::results::*;
use parindex_interchange::{ProblemKind, ReadProblem};

fn not_a_number(value: &str) -> ReadProblem {
    ReadProblem::Number(NumberProblem::NotANumber {
        value: value.into(),
    })
}
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::io::Cursor;

fn known(s: &str) -> bool {
    known_subjects().contains(s)
}

fn read_csv(
    text: &str,
) -> Result<Vec<parindex_domain::PublishedResult>, parindex_interchange::ImportError> {
    results_from_csv(text, "r.csv", &edition(), &known)
}

#[test]
fn csv_round_trip_with_components_area_scores_ranks_and_dates() {
    let e = edition();
    let rs = results();
    let text = results_to_csv(&e, &rs, &names()).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "subject,name,total,rank,component:appraisal,component:sipas,component:survey,score:1,score:2.1,rank:1,rank:3,source,published_on"
    );
    assert!(
        text.contains("bac-giang,Bắc Giang,85.58,13,56.93,9.29,19.36,8.5,1,10,,"),
        "{text}"
    );
    assert!(text.contains("2021-05-14"), "{text}");
    assert_eq!(read_csv(&text).unwrap(), rs);
}

#[test]
fn xlsx_round_trip_is_exact() {
    let e = edition();
    let rs = results();
    let bytes = results_to_xlsx(&e, &rs, &names()).unwrap();
    let back = results_from_xlsx(Cursor::new(bytes), "r.xlsx", &e, &known).unwrap();
    assert_eq!(back, rs);
    assert_eq!(back[0].total, Some(dec!(85.58)));
    assert_eq!(back[0].components["appraisal"], dec!(56.93));
    assert_eq!(
        back[0].total.map(|t| t.to_string()).as_deref(),
        Some("85.58"),
        "no float noise"
    );
}

#[test]
fn json_round_trip() {
    let e = edition();
    let rs = results();
    let text = results_to_json(&rs).unwrap();
    assert!(text.contains("\"total\": \"85.58\""), "{text}");
    assert_eq!(results_from_json(&text, "r.json", &e, &known).unwrap(), rs);
}

#[test]
fn file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let e = edition();
    let rs = results();
    for name in ["r.csv", "r.xlsx", "r.json"] {
        let path = dir.path().join(name);
        write_results(&path, &e, &rs, &names()).unwrap();
        assert_eq!(
            read_results(&path, &e, &known, None).unwrap().rows,
            rs,
            "{name}"
        );
        assert_eq!(
            read_results_known(&path, &e, &known_subjects(), None)
                .unwrap()
                .rows,
            rs,
            "{name}"
        );
    }
    // Excel reads a CSV as UTF-8 only with a byte order mark.
    let bytes = std::fs::read(dir.path().join("r.csv")).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
}

#[test]
fn vietnamese_headers_with_and_without_diacritics() {
    let with = "Tỉnh;Tên;Tổng điểm;Xếp hạng;Thẩm định;SIPAS;Điều tra XHH;Điểm 1;Hạng 1;Nguồn;Ngày công bố\n\
        bac-giang;Bắc Giang;85,58;13;56,93;9,29;19,36;8,5;10;Bộ Nội vụ;14/05/2021\n";
    let without = "TINH;ten;TONG DIEM;thu hang;tham dinh;sipas;dieu tra xhh;diem 1;hang 1;nguon;ngay cong bo\n\
        bac-giang;Bắc Giang;85,58;13;56,93;9,29;19,36;8,5;10;Bộ Nội vụ;2021-05-14\n";
    for text in [with, without] {
        let r = read_csv(text).unwrap();
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(r.subject, "bac-giang");
        assert_eq!(r.total, Some(dec!(85.58)));
        assert_eq!(r.rank, Some(13));
        assert_eq!(r.components["appraisal"], dec!(56.93));
        assert_eq!(r.components["survey"], dec!(19.36));
        assert_eq!(r.node_scores["1"], dec!(8.5));
        assert_eq!(r.node_ranks["1"], 10);
        assert_eq!(r.source.as_deref(), Some("Bộ Nội vụ"));
        assert_eq!(r.published_on, Some(jiff::civil::date(2021, 5, 14)));
        assert_eq!(r.edition_id, "par-2020-province");
    }
}

#[test]
fn component_columns_by_code_and_subjects_by_name() {
    let text = "Đơn vị,total,appraisal,component:sipas,Survey\nBắc Giang,85.58,56.93,9.29,19.36\n";
    let r = read_csv(text).unwrap();
    assert_eq!(
        r[0].subject, "bac-giang",
        "a known subject's name is taken for its slug"
    );
    assert_eq!(r[0].components.len(), 3);
}

#[test]
fn xlsx_with_vietnamese_headers_and_number_cells() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kq.xlsx");
    use Cell::*;
    write_xlsx(
        &path,
        "Kết quả",
        &[
            vec![
                S("STT"),
                S("Mã"),
                S("Tổng điểm"),
                S("Thứ hạng"),
                S("Thẩm định"),
                S("SIPAS"),
                S("Điều tra XHH"),
            ],
            vec![
                N(1.0),
                S("bac-giang"),
                N(85.58),
                N(13.0),
                N(56.93),
                N(9.29),
                N(19.36),
            ],
            vec![
                N(2.0),
                S("quang-ninh"),
                N(91.04),
                N(1.0),
                N(62.66),
                N(9.56),
                N(18.83),
            ],
            vec![Blank, Blank, Blank, Blank, Blank, Blank, Blank],
        ],
    );
    let r = read_results(&path, &edition(), &known, None).unwrap().rows;
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].total, Some(dec!(85.58)));
    assert_eq!(r[1].components["sipas"], dec!(9.56));
    assert_eq!(r[1].rank, Some(1));
}

#[test]
fn total_disagreeing_with_components_is_reported_at_the_total() {
    // 56.93 + 9.29 + 19.36 = 85.58; three components allow 0.03.
    let ok = "subject,total,appraisal,sipas,survey\nbac-giang,85.61,56.93,9.29,19.36\n";
    assert!(read_csv(ok).is_ok(), "within the rounding tolerance");
    let bad = "subject,total,appraisal,sipas,survey\nbac-giang,85.62,56.93,9.29,19.36\n";
    let err = read_csv(bad).unwrap_err();
    assert_kind(
        &err,
        Some(2),
        Some("total"),
        ProblemKind::Result(ResultProblemKind::ComponentsDisagree {
            sum: dec!(85.58),
            total: dec!(85.62),
            tolerance: dec!(0.03),
        }),
    );
}

#[test]
fn a_component_above_its_max_is_reported_at_its_column() {
    let bad = "subject,total,Thẩm định\nbac-giang,67,67\n";
    let err = read_csv(bad).unwrap_err();
    assert_kind(
        &err,
        Some(2),
        Some("Thẩm định"),
        ProblemKind::Result(ResultProblemKind::Outside {
            value: dec!(67),
            max: dec!(66.5),
        }),
    );
}

#[test]
fn a_rank_contradicting_the_totals_is_reported_at_the_rank() {
    let text = "subject,total,rank\nquang-ninh,91.04,2\nha-noi,90.51,1\n";
    let err = read_csv(text).unwrap_err();
    assert_kind(
        &err,
        Some(3),
        Some("rank"),
        ProblemKind::Result(ResultProblemKind::RankTooHigh { rank: 1, min: 2 }),
    );
}

#[test]
fn unknown_subject_bad_date_and_text_in_number_cells() {
    let text = "subject,total,rank,published_on\n\
        ho-chi-minh,80,,\n\
        bac-giang,abc,,\n\
        quang-ninh,91.04,1st,31/02/2021\n\
        ha-noi,90.51,,someday\n";
    let err = read_csv(text).unwrap_err();
    assert_read(
        &err,
        Some(2),
        Some("subject"),
        ReadProblem::UnknownSubject {
            value: "ho-chi-minh".into(),
        },
    );
    assert_read(&err, Some(3), Some("total"), not_a_number("abc"));
    assert_read(&err, Some(4), Some("rank"), not_a_number("1st"));
    assert_read(
        &err,
        Some(4),
        Some("published_on"),
        ReadProblem::NoSuchDate {
            value: "31/02/2021".into(),
        },
    );
    assert_read(
        &err,
        Some(5),
        Some("published_on"),
        ReadProblem::NotADate {
            value: "someday".into(),
        },
    );
    assert_eq!(err.problems.len(), 5, "{err}");
}

#[test]
fn missing_and_unknown_headers() {
    // Neither a total nor a rank column: a row could carry nothing.
    let err = read_csv("subject,colour,score:9\nbac-giang,red,1\n").unwrap_err();
    assert_read(
        &err,
        Some(1),
        None,
        ReadProblem::MissingColumn {
            label: "total (Tổng điểm)".into(),
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
    assert_read(
        &err,
        Some(1),
        Some("score:9"),
        ReadProblem::NoSuchNode {
            header: "score:9".into(),
            code: "9".into(),
        },
    );
    let err = read_csv("subject,total,component:leader\nbac-giang,1,1\n").unwrap_err();
    assert_read(
        &err,
        Some(1),
        Some("component:leader"),
        ReadProblem::NoSuchComponent {
            header: "component:leader".into(),
            code: "leader".into(),
        },
    );
}

#[test]
fn a_duplicate_subject_is_reported_naming_both_rows_and_both_totals() {
    let text = "subject,total\nbac-giang,85.58\nha-noi,88.1\nbac-giang,84.5\n";
    let err = read_csv(text).unwrap_err();
    assert_kind(
        &err,
        Some(4),
        Some("subject"),
        ProblemKind::Result(ResultProblemKind::DuplicateSubject {
            first_row: Some(2),
            first_total: Some(dec!(85.58)),
            total: Some(dec!(84.5)),
        }),
    );
    let shown = err.to_string();
    assert!(
        shown.contains("row 4")
            && shown.contains("first on row 2")
            && shown.contains("85.58")
            && shown.contains("84.5"),
        "{shown}"
    );
}

#[test]
fn an_empty_required_cell_is_reported() {
    let err = read_csv("subject,total\n,85.58\n").unwrap_err();
    assert_read(&err, Some(2), Some("subject"), ReadProblem::Empty);
    // An empty total with no rank: nothing was published for the subject.
    let err = read_csv("subject,total,rank\nbac-giang,,\n").unwrap_err();
    assert!(
        err.problems.iter().any(|p| p.row == Some(2)
            && p.column.as_deref() == Some("total")
            && p.kind
                == parindex_interchange::ProblemKind::Result(ResultProblemKind::NoTotalNorRank)),
        "{err}"
    );
    // With a rank it is a result.
    let r = read_csv("subject,total,rank\nbac-giang,,13\n").unwrap();
    assert_eq!((r[0].total, r[0].rank), (None, Some(13)));
}

#[test]
fn unknown_extension() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_results(&dir.path().join("r.ods"), &edition(), &known, None).unwrap_err();
    assert_eq!(err.file, dir.path().join("r.ods").display().to_string());
    assert_read_that(
        &err,
        None,
        None,
        |k| matches!(k, ReadProblem::UnsupportedType { ext: Some(e), .. } if e == "ods"),
    );
    let e = edition();
    assert!(write_results(&dir.path().join("r.txt"), &e, &results(), &BTreeMap::new()).is_err());
}

#[test]
fn score_and_rank_columns_only_when_used() {
    let e = edition();
    let mut rs = results();
    for r in &mut rs {
        r.node_scores.clear();
        r.node_ranks.clear();
    }
    let text = results_to_csv(&e, &rs, &BTreeMap::new()).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "subject,name,total,rank,component:appraisal,component:sipas,component:survey,source,published_on"
    );
    assert_eq!(read_csv(&text).unwrap(), rs);
}

#[test]
fn xlsx_points_are_number_cells_and_dates_are_text() {
    use calamine::{Data, Reader, Xlsx};
    let bytes = results_to_xlsx(&edition(), &results(), &names()).unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Results".to_string()]);
    let range = wb.worksheet_range("Results").unwrap();
    // Row 1 (index 1) is bac-giang: total in column C, appraisal in column E.
    assert_eq!(range.get((1, 2)), Some(&Data::Float(85.58)));
    assert_eq!(range.get((1, 4)), Some(&Data::Float(56.93)));
    assert_eq!(range.get((1, 3)), Some(&Data::Float(13.0)));
    assert_eq!(range.get((1, 12)), Some(&Data::String("2021-05-14".into())));
}

mod prop {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_two_decimal_totals_round_trip_through_xlsx_and_csv(
            totals in proptest::collection::vec(0i64..=10_000, 1..4)
        ) {
            let e = edition();
            let subjects = ["bac-giang", "quang-ninh", "ha-noi"];
            let rs: Vec<_> = totals
                .iter()
                .zip(subjects)
                .map(|(t, s)| parindex_domain::PublishedResult {
                    edition_id: e.id.clone(),
                    subject: s.into(),
                    total: Some(Decimal::new(*t, 2)),
                    rank: None,
                    components: BTreeMap::new(),
                    node_scores: BTreeMap::new(),
                    node_ranks: BTreeMap::new(),
                    source: None,
                    published_on: None,
                })
                .collect();
            let bytes = results_to_xlsx(&e, &rs, &BTreeMap::new()).unwrap();
            let back = results_from_xlsx(Cursor::new(bytes), "r.xlsx", &e, &known).unwrap();
            prop_assert_eq!(&back, &rs);
            let text = results_to_csv(&e, &rs, &BTreeMap::new()).unwrap();
            prop_assert_eq!(&read_csv(&text).unwrap(), &rs);
        }
    }
}

//! Units, subjects and rank targets: round trips, Vietnamese headers, problems.

mod common;

use common::{assert_read, assert_read_that, subjects, targets, units, write_xlsx, Cell};
use parindex_domain::score::NumberProblem;
use parindex_domain::{TargetScope, UnitType};
use parindex_interchange::subjects::*;
use parindex_interchange::targets::*;
use parindex_interchange::units::*;
use parindex_interchange::ReadProblem;
use std::collections::BTreeSet;
use std::io::Cursor;

fn none() -> BTreeSet<String> {
    BTreeSet::new()
}

// ------------------------------------------------------------------------------------ units

#[test]
fn units_round_trip_in_every_format() {
    let us = units();
    let csv = units_to_csv(&us).unwrap();
    assert!(
        csv.starts_with("slug,name_vi,name_en,type,parent,head_name,head_title\n"),
        "{csv}"
    );
    assert_eq!(units_from_csv(&csv, "u.csv", &none()).unwrap(), us);
    let xlsx = units_to_xlsx(&us).unwrap();
    assert_eq!(
        units_from_xlsx(Cursor::new(xlsx), "u.xlsx", &none()).unwrap(),
        us
    );
    let json = units_to_json(&us).unwrap();
    assert_eq!(units_from_json(&json, "u.json", &none()).unwrap(), us);
    let dir = tempfile::tempdir().unwrap();
    for name in ["u.csv", "u.xlsx", "u.json"] {
        let path = dir.path().join(name);
        write_units(&path, &us).unwrap();
        assert_eq!(read_units(&path, &none()).unwrap(), us, "{name}");
    }
}

#[test]
fn units_with_vietnamese_headers_derived_slugs_and_parents_by_name() {
    let with = "Mã,Tên đơn vị,Loại đơn vị,Đơn vị cấp trên,Người đứng đầu,Chức vụ\n\
        ,UBND tỉnh Bắc Giang,Tỉnh,,,\n\
        ,Sở Nội vụ,Sở,UBND tỉnh Bắc Giang,Nguyễn Văn Ánh,Giám đốc\n\
        so-tu-phap,Sở Tư pháp,co quan,ubnd-tinh-bac-giang,,\n";
    let without = "MA,TEN DON VI,loai don vi,don vi cap tren,nguoi dung dau,chuc vu\n\
        ,UBND tỉnh Bắc Giang,Tỉnh,,,\n\
        ,Sở Nội vụ,Sở,UBND tỉnh Bắc Giang,Nguyễn Văn Ánh,Giám đốc\n\
        so-tu-phap,Sở Tư pháp,co quan,ubnd-tinh-bac-giang,,\n";
    for text in [with, without] {
        let us = units_from_csv(text, "u.csv", &none()).unwrap();
        assert_eq!(us[0].slug, "ubnd-tinh-bac-giang");
        assert_eq!(us[0].unit_type, UnitType::Province);
        assert_eq!(us[1].slug, "so-noi-vu");
        assert_eq!(
            us[1].parent.as_deref(),
            Some("ubnd-tinh-bac-giang"),
            "parent named by name"
        );
        assert_eq!(us[1].head_title.as_deref(), Some("Giám đốc"));
        assert_eq!(us[2].unit_type, UnitType::Department);
    }
}

#[test]
fn unit_problems() {
    let text = "slug,name_vi,type,parent\n\
        so-noi-vu,Sở Nội vụ,department,ubnd-tinh\n\
        so-noi-vu,Sở Nội vụ (bản sao),department,\n\
        Sở Y tế,Sở Y tế,department,\n\
        so-xay-dung,Sở Xây dựng,ministry,\n\
        so-gtvt,,department,\n\
        so-tc,Sở Tài chính,department,so-tc\n";
    let err = units_from_csv(text, "u.csv", &none()).unwrap_err();
    assert_read(
        &err,
        Some(2),
        Some("parent"),
        ReadProblem::UnknownParent {
            value: "ubnd-tinh".into(),
        },
    );
    assert_read(
        &err,
        Some(3),
        Some("slug"),
        ReadProblem::DuplicateSlug {
            slug: "so-noi-vu".into(),
            first_row: Some(2),
        },
    );
    assert_read(
        &err,
        Some(4),
        Some("slug"),
        ReadProblem::NotASlug {
            value: "Sở Y tế".into(),
            hint: None,
        },
    );
    assert_read(
        &err,
        Some(5),
        Some("type"),
        ReadProblem::NotAUnitType {
            value: "ministry".into(),
        },
    );
    assert_read(&err, Some(6), Some("name_vi"), ReadProblem::Empty);
    assert_read(&err, Some(7), Some("parent"), ReadProblem::OwnParent);
    // A parent known to the caller is fine.
    let known: BTreeSet<String> = ["ubnd-tinh".to_string()].into();
    let ok = "slug,name_vi,type,parent\nso-noi-vu,Sở Nội vụ,department,ubnd-tinh\n";
    assert!(units_from_csv(ok, "u.csv", &known).is_ok());
}

#[test]
fn unit_headers_missing_and_unknown() {
    let err = units_from_csv("slug,name_vi,colour\na,A,red\n", "u.csv", &none()).unwrap_err();
    assert_read(
        &err,
        Some(1),
        None,
        ReadProblem::MissingColumn {
            label: "type (Loại)".into(),
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
fn units_from_an_xlsx_typed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dv.xlsx");
    use Cell::*;
    write_xlsx(
        &path,
        "Đơn vị",
        &[
            vec![S("Mã"), S("Tên"), S("Loại")],
            vec![S("ubnd-tinh"), S("UBND tỉnh"), S("tinh")],
            vec![Blank, S("Huyện Lục Nam"), S("Cấp huyện")],
        ],
    );
    let us = read_units(&path, &none()).unwrap();
    assert_eq!(us[1].slug, "huyen-luc-nam");
    assert_eq!(us[1].unit_type, UnitType::District);
    let err = read_units(&dir.path().join("dv.xls"), &none()).unwrap_err();
    assert_read_that(
        &err,
        None,
        None,
        |k| matches!(k, ReadProblem::UnsupportedType { ext: Some(e), .. } if e == "xls"),
    );
}

// --------------------------------------------------------------------------------- subjects

#[test]
fn subjects_round_trip_in_every_format() {
    let ss = subjects();
    let csv = subjects_to_csv(&ss).unwrap();
    assert_eq!(csv.lines().next(), Some("slug,name_vi,name_en"));
    assert_eq!(subjects_from_csv(&csv, "s.csv").unwrap(), ss);
    assert_eq!(
        subjects_from_xlsx(Cursor::new(subjects_to_xlsx(&ss).unwrap()), "s.xlsx").unwrap(),
        ss
    );
    assert_eq!(
        subjects_from_json(&subjects_to_json(&ss).unwrap(), "s.json").unwrap(),
        ss
    );
    let dir = tempfile::tempdir().unwrap();
    for name in ["s.csv", "s.xlsx", "s.json"] {
        let path = dir.path().join(name);
        write_subjects(&path, &ss).unwrap();
        assert_eq!(read_subjects(&path).unwrap(), ss, "{name}");
    }
}

#[test]
fn subjects_with_vietnamese_headers_and_problems() {
    let ok = "Mã;Tên;Tên tiếng Anh\n;Bắc Giang;Bac Giang\nquang-ninh;Quảng Ninh;\n";
    let ss = subjects_from_csv(ok, "s.csv").unwrap();
    assert_eq!(ss[0].slug, "bac-giang");
    assert_eq!(ss[1].name_en, None);
    let ok2 = "ma;ten\nha-noi;Hà Nội\n";
    assert_eq!(
        subjects_from_csv(ok2, "s.csv").unwrap()[0].name_vi,
        "Hà Nội"
    );
    let bad =
        "slug,name_vi,population\nbac-giang,Bắc Giang,1\nbac-giang,Bắc Giang,2\nHa Noi,Hà Nội,3\n";
    let err = subjects_from_csv(bad, "s.csv").unwrap_err();
    assert_read_that(&err, Some(1), Some("population"), |k| {
        matches!(k, ReadProblem::UnknownColumn { .. })
    });
    let bad = "slug,name_vi\nbac-giang,Bắc Giang\nbac-giang,Bắc Giang\nHa Noi,Hà Nội\n,\n";
    let err = subjects_from_csv(bad, "s.csv").unwrap_err();
    assert_read(
        &err,
        Some(3),
        Some("slug"),
        ReadProblem::DuplicateSlug {
            slug: "bac-giang".into(),
            first_row: Some(2),
        },
    );
    assert_read(
        &err,
        Some(4),
        Some("slug"),
        ReadProblem::NotASlug {
            value: "Ha Noi".into(),
            hint: None,
        },
    );
    assert_eq!(err.problems.len(), 2, "the blank row is ignored: {err}");
    let err = subjects_from_csv("name_vi\nBắc Giang\n", "s.csv").unwrap_err();
    assert_read(
        &err,
        Some(1),
        None,
        ReadProblem::MissingColumn {
            label: "slug (Mã)".into(),
        },
    );
}

// ---------------------------------------------------------------------------------- targets

#[test]
fn targets_round_trip_in_every_format() {
    let ts = targets();
    let csv = targets_to_csv(&ts).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("edition,subject,scope,target_rank,lead_agency,note")
    );
    assert!(
        csv.contains("par-2020-province,bac-giang,overall,10,so-noi-vu,Nâng 3 bậc"),
        "{csv}"
    );
    assert_eq!(targets_from_csv(&csv, "t.csv").unwrap(), ts);
    assert_eq!(
        targets_from_xlsx(Cursor::new(targets_to_xlsx(&ts).unwrap()), "t.xlsx").unwrap(),
        ts
    );
    assert_eq!(
        targets_from_json(&targets_to_json(&ts).unwrap(), "t.json").unwrap(),
        ts
    );
    let dir = tempfile::tempdir().unwrap();
    for name in ["t.csv", "t.xlsx", "t.json"] {
        let path = dir.path().join(name);
        write_targets(&path, &ts).unwrap();
        assert_eq!(read_targets(&path).unwrap(), ts, "{name}");
    }
}

#[test]
fn targets_with_vietnamese_headers() {
    for text in [
        "Kỳ chỉ số,Đơn vị,Phạm vi,Thứ hạng mục tiêu,Cơ quan chủ trì,Ghi chú\n\
         par-2020-province,bac-giang,Tổng thể,10,so-noi-vu,Nâng hạng\n\
         par-2020-province,bac-giang,3,15,,\n\
         par-2020-province,quang-ninh,,1,,\n",
        "KY CHI SO,don vi,pham vi,thu hang muc tieu,co quan chu tri,ghi chu\n\
         par-2020-province,bac-giang,tong the,10,so-noi-vu,Nâng hạng\n\
         par-2020-province,bac-giang,3,15,,\n\
         par-2020-province,quang-ninh,,1,,\n",
    ] {
        let ts = targets_from_csv(text, "t.csv").unwrap();
        assert_eq!(ts[0].scope, TargetScope::Overall);
        assert_eq!(ts[1].scope, TargetScope::Node(common::code("3")));
        assert_eq!(ts[1].target_rank, 15);
        assert_eq!(ts[2].scope, TargetScope::Overall, "empty scope is overall");
    }
}

#[test]
fn target_problems() {
    let text = "edition,subject,scope,target_rank,lead_agency\n\
        par-2020-province,bac-giang,overall,10,\n\
        par-2020-province,bac-giang,tổng thể,9,\n\
        par-2020-province,Bắc Giang,1,0,Sở Nội vụ\n\
        par-2020-province,bac-giang,area one,ten,\n";
    let err = targets_from_csv(text, "t.csv").unwrap_err();
    assert_read_that(&err, Some(3), Some("scope"), |k| {
        matches!(k, ReadProblem::SecondTarget { subject, scope, first_row: Some(2), .. }
            if subject == "bac-giang" && scope == "overall")
    });
    assert_read(
        &err,
        Some(4),
        Some("subject"),
        ReadProblem::NotASlug {
            value: "Bắc Giang".into(),
            hint: Some("bac-giang".into()),
        },
    );
    assert_read(&err, Some(4), Some("target_rank"), ReadProblem::RankZero);
    assert_read(
        &err,
        Some(4),
        Some("lead_agency"),
        ReadProblem::NotASlug {
            value: "Sở Nội vụ".into(),
            hint: Some("so-noi-vu".into()),
        },
    );
    assert_read_that(
        &err,
        Some(5),
        Some("scope"),
        |k| matches!(k, ReadProblem::NotAScope { value, .. } if value == "area one"),
    );
    assert_read(
        &err,
        Some(5),
        Some("target_rank"),
        ReadProblem::Number(NumberProblem::NotANumber {
            value: "ten".into(),
        }),
    );
    let err = targets_from_csv("edition,subject\na,b\n", "t.csv").unwrap_err();
    assert_read_that(
        &err,
        Some(1),
        None,
        |k| matches!(k, ReadProblem::MissingColumn { label } if label.starts_with("target_rank")),
    );
    let err = read_targets(std::path::Path::new("targets.pdf")).unwrap_err();
    assert_eq!(err.file, "targets.pdf");
    assert_read_that(
        &err,
        None,
        None,
        |k| matches!(k, ReadProblem::UnsupportedType { ext: Some(e), .. } if e == "pdf"),
    );
}

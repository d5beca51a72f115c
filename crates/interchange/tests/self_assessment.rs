//! The self-scoring summary table: written as XLSX in the provinces' layout, printable on A4,
//! read back equal; a table of another criteria set is refused with row numbers.

use parindex_domain::assessment::{self_score, Appraisal, Item};
use parindex_domain::edition::{Edition, NodeCode};
use parindex_domain::rules::ScoreInput;
use parindex_interchange::edition::edition_from_toml;
use parindex_interchange::self_assessment::{
    build_summary, import_items, read_summary_xlsx, write_summary_xlsx, SummaryHeader, HEADERS,
};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::io::Read;

fn department() -> Edition {
    edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap()
}

fn district() -> Edition {
    edition_from_toml(
        include_str!("../../../data/samples/district-2021.toml"),
        "district-2021.toml",
    )
    .unwrap()
}

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn items(e: &Edition) -> BTreeMap<NodeCode, Item> {
    let declared = [
        ("1.1.1", ScoreInput::Choice("late".into())),
        ("1.1.2", ScoreInput::Number(dec!(100))),
        ("1.2", ScoreInput::YesNo(true)),
        ("1.3", ScoreInput::Points(dec!(2.5))),
        ("1.6", ScoreInput::Count(1)),
        ("2.2", ScoreInput::Number(dec!(96.5))),
        ("2.3", ScoreInput::Number(dec!(40))),
        ("2.6", ScoreInput::Count(2)),
        ("5.1", ScoreInput::Number(dec!(80.78))),
    ];
    let mut out = BTreeMap::new();
    for (c, input) in declared {
        let n = e.node(&code(c)).unwrap();
        let mut i = Item::new(code(c));
        i.self_score = Some(self_score(n, &input).unwrap());
        i.input = Some(input);
        out.insert(code(c), i);
    }
    let i = out.get_mut(&code("1.1.1")).unwrap();
    // A bullet as people type it: written guarded ('-), read back without the guard.
    i.explanation = "- Kế hoạch ban hành chậm do chờ hướng dẫn".into();
    i.note = "Bản giấy gửi kèm".into();
    i.appraisal1 = Some(Appraisal {
        score: dec!(1),
        comment: String::new(),
        by: "thamdinh".into(),
        at: String::new(),
    });
    out.get_mut(&code("1.3")).unwrap().note = "Đã kiểm tra 4/5 đơn vị".into();
    out
}

fn header() -> SummaryHeader {
    SummaryHeader {
        round_name: "Xác định Chỉ số CCHC các sở, ban, ngành năm 2021 (MẪU)".into(),
        unit_name: "Sở Tư pháp".into(),
        edition_name: "Bộ tiêu chí (MẪU)".into(),
        sample: true,
    }
}

fn evidence() -> BTreeMap<String, Vec<String>> {
    let mut ev = BTreeMap::new();
    ev.insert(
        "1.1.1".to_string(),
        vec![
            "Kế hoạch CCHC năm 2021 số 12/KH-STP ngày 20/01/2021 (Sở Tư pháp)".to_string(),
            "ke-hoach.pdf".to_string(),
        ],
    );
    ev
}

#[test]
fn export_then_import_is_equal() {
    let e = department();
    let items = items(&e);
    let table = build_summary(header(), &e, &items, &evidence());
    // Subtotals and the total.
    let row = |c: &str| table.rows.iter().find(|r| r.code == code(c)).unwrap();
    assert_eq!(row("1.1").self_score, Some(dec!(3)), "1 + 2");
    assert_eq!(
        row("1").self_score,
        Some(dec!(8.5)),
        "3 + 2 + 2.5 + bonus 1"
    );
    assert_eq!(row("2").self_score, Some(dec!(9.8)), "6 + 4.8 − 1");
    assert_eq!(row("1.1.1").appraised, Some(dec!(1)));
    assert_eq!(row("1").appraised, Some(dec!(1)));
    assert_eq!(table.total.max, Some(dec!(100)));
    assert_eq!(
        table.total.self_score,
        Some(dec!(8.5) + dec!(9.8) + dec!(4.039))
    );
    let bytes = write_summary_xlsx(&table).unwrap();
    // In the file, no text cell starts a formula (issue 9): the bullet carries its apostrophe.
    {
        use calamine::{Data, Reader, Xlsx};
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let name = wb.sheet_names()[0].clone();
        let texts: Vec<String> = wb
            .worksheet_range(&name)
            .unwrap()
            .used_cells()
            .filter_map(|c| match c.2 {
                Data::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        assert!(
            texts.iter().any(|t| t.starts_with("'- Kế hoạch")),
            "{texts:?}"
        );
        assert!(
            texts.iter().all(|t| !t.starts_with(['=', '+', '@', '-'])),
            "{texts:?}"
        );
    }
    let read = read_summary_xlsx(&bytes, "tu-cham.xlsx", &e).unwrap();
    assert_eq!(read.rows, table.rows, "every line reads back equal");
    assert_eq!(read.total, Some(table.total.clone()));
    assert_eq!(
        read.row_numbers[0], 8,
        "title lines, header and (1)…(7) above"
    );
    // Taken in, the lines give back the same declared figures, explanations and notes.
    let imported = import_items("tu-cham.xlsx", &e, &read, &items).unwrap();
    for i in &imported {
        let cur = items.get(&i.code);
        assert_eq!(
            i.input.as_ref(),
            cur.and_then(|c| c.input.as_ref()),
            "{}",
            i.code
        );
        assert_eq!(
            i.explanation,
            cur.map(|c| c.explanation.clone()).unwrap_or_default()
        );
        assert_eq!(i.note, cur.map(|c| c.note.clone()).unwrap_or_default());
    }
    // Into a fresh unit: manual, choice, yes/no and bonus/penalty scores find their figures.
    let fresh = import_items("tu-cham.xlsx", &e, &read, &BTreeMap::new());
    let problems = fresh.unwrap_err();
    let rows: Vec<String> = problems.problems.iter().map(|p| p.to_string()).collect();
    assert!(
        rows.iter().all(|r| r.contains("declared figure")),
        "only figures behind bands and proportions cannot be guessed: {rows:?}"
    );
}

#[test]
fn printable_on_a4_with_the_header_repeated() {
    let e = department();
    let bytes = write_summary_xlsx(&build_summary(header(), &e, &items(&e), &evidence())).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(sheet.contains("paperSize=\"9\""), "A4");
    assert!(sheet.contains("orientation=\"landscape\""));
    assert!(
        sheet.contains("fitToHeight=\"0\""),
        "one page wide, as long as needed"
    );
    assert!(sheet.contains("<oddFooter>"));
    let mut wb = String::new();
    zip.by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut wb)
        .unwrap();
    assert!(
        wb.contains("_xlnm.Print_Titles"),
        "the header repeats on every page"
    );
    let mut shared = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut shared)
        .unwrap();
    for h in HEADERS {
        assert!(shared.contains(h), "{h}");
    }
    assert!(shared.contains("MẪU"), "a sample is labelled as such");
}

#[test]
fn a_table_of_another_criteria_set_is_refused_with_row_numbers() {
    let dept = department();
    let dist = district();
    let bytes = write_summary_xlsx(&build_summary(
        header(),
        &dist,
        &BTreeMap::new(),
        &BTreeMap::new(),
    ))
    .unwrap();
    let err = read_summary_xlsx(&bytes, "huyen.xlsx", &dept).unwrap_err();
    let text = err.to_string();
    // District area 6 does not exist for departments; 1.1 differs in max (3 vs 4).
    assert!(
        text.contains("6 is not a criterion of sample-department-2021"),
        "{text}"
    );
    assert!(
        text.contains("column 'Điểm tối đa'") && text.contains("another criteria set"),
        "{text}"
    );
    assert!(err.problems.iter().all(|p| p.row.is_some()), "{text}");
    // Not a summary table at all.
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "Hello").unwrap();
    let err = read_summary_xlsx(&wb.save_to_buffer().unwrap(), "x.xlsx", &dept).unwrap_err();
    assert!(
        matches!(
            err.read_kinds().next(),
            Some(parindex_interchange::ReadProblem::NoSummaryHeader { .. })
        ),
        "{err}"
    );
    assert!(read_summary_xlsx(b"not a workbook", "x.xlsx", &dept).is_err());
}

#[test]
fn scores_a_rule_cannot_give_are_refused() {
    let e = department();
    let mut table = build_summary(header(), &e, &BTreeMap::new(), &BTreeMap::new());
    let set = |t: &mut parindex_interchange::self_assessment::SummaryTable, c: &str, v| {
        t.rows
            .iter_mut()
            .find(|r| r.code == code(c))
            .unwrap()
            .self_score = Some(v);
    };
    set(&mut table, "1.3", dec!(2.5)); // manual, fine
    set(&mut table, "1.4", dec!(1.2)); // off the 0.5 step
    set(&mut table, "1.1.1", dec!(1.5)); // no option gives 1.5
    set(&mut table, "2.5", dec!(3)); // survey-scored
    set(&mut table, "1.2", dec!(2)); // yes
    let bytes = write_summary_xlsx(&table).unwrap();
    let read = read_summary_xlsx(&bytes, "t.xlsx", &e).unwrap();
    let err = import_items("t.xlsx", &e, &read, &BTreeMap::new()).unwrap_err();
    use parindex_domain::assessment::ItemError;
    use parindex_domain::rules::RuleError;
    use parindex_interchange::ReadProblem;
    let kinds: Vec<&ReadProblem> = err.read_kinds().collect();
    assert!(
        kinds.iter().any(|k| matches!(k, ReadProblem::Score { code, problem }
            if code == "1.4" && matches!(problem, ItemError::OffStep { .. } | ItemError::Rule(RuleError::OffStep { .. })))),
        "{err}"
    );
    assert!(kinds.contains(&&ReadProblem::NoAnswerGives {
        code: "1.1.1".into(),
        score: dec!(1.5)
    }));
    assert!(kinds.contains(&&ReadProblem::NotSelfScored { code: "2.5".into() }));
    assert_eq!(kinds.len(), 3, "1.3 and 1.2 are fine: {err}");
    assert!(err
        .problems
        .iter()
        .all(|p| p.row.is_some() && p.column.as_deref() == Some("Điểm tự đánh giá")));
}

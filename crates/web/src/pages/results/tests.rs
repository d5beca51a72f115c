use super::*;
use parindex_store::ResultsChange;
use rust_decimal_macros::dec;

fn row(subject: &str, name: &str, total: Decimal, rank: Option<u32>) -> ResultRow {
    ResultRow {
        rank,
        rank_source: rank.map(|_| RankSource::Published),
        subject: subject.into(),
        name: name.into(),
        total: Some(total),
        index_pct: Some(total),
        components: BTreeMap::from([("appraisal".to_string(), total - dec!(20))]),
        component_ranks: BTreeMap::new(),
        node_scores: BTreeMap::new(),
        node_ranks: BTreeMap::new(),
        source: None,
        published_on: None,
    }
}

fn table() -> Vec<ResultRow> {
    vec![
        row("quang-ninh", "Quảng Ninh", dec!(91.04), Some(1)),
        row("phu-tho", "Phú Thọ", dec!(85.74), Some(10)),
        row("bac-giang", "Bắc Giang", dec!(85.58), Some(13)),
        row("x", "Đắk Lắk", dec!(80), None),
    ]
}

#[test]
fn filters_and_sorts_what_is_shown() {
    let q = ListQuery {
        q: Some("bac giang".into()),
        ..Default::default()
    };
    let r = shown_rows(table(), &q);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].subject, "bac-giang");
    let q = ListQuery {
        sort: Some("name".into()),
        ..Default::default()
    };
    let names: Vec<String> = shown_rows(table(), &q)
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, vec!["Bắc Giang", "Đắk Lắk", "Phú Thọ", "Quảng Ninh"]);
    let q = ListQuery {
        sort: Some("rank".into()),
        dir: Some("desc".into()),
        ..Default::default()
    };
    let subjects: Vec<String> = shown_rows(table(), &q)
        .into_iter()
        .map(|r| r.subject)
        .collect();
    assert_eq!(subjects, vec!["x", "bac-giang", "phu-tho", "quang-ninh"]);
    let q = ListQuery {
        sort: Some("c:appraisal".into()),
        ..Default::default()
    };
    assert_eq!(shown_rows(table(), &q)[0].subject, "x");
}

#[test]
fn compares_two_tables() {
    let b = table();
    let a = vec![
        row("bac-giang", "Bắc Giang", dec!(81.84), Some(25)),
        row("ha-giang", "Hà Giang", dec!(70), Some(60)),
    ];
    let rows = compare_rows(Lang::Vi, &a, &b, Some("bac-giang"));
    assert_eq!(rows.len(), 5, "every subject present in either");
    let bg = rows.iter().find(|r| r.name == "Bắc Giang").unwrap();
    assert_eq!(bg.points, "+3,74");
    assert_eq!(bg.places, "+12");
    assert!(bg.highlight);
    let hg = rows.iter().find(|r| r.name == "Hà Giang").unwrap();
    assert_eq!((hg.points.as_str(), hg.rank_b.as_str()), ("—", "—"));
    assert_eq!(rows[0].name, "Quảng Ninh");
    assert_eq!(signed(Lang::En, dec!(-1.5)), "−1.50");
    assert_eq!(signed_places(-2), "−2");
}

#[test]
fn merged_set_is_checked() {
    let e = Edition {
        id: "e".into(),
        name: "E".into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: None,
        max_points: dec!(100),
        peer_count: Some(63),
        sample: false,
        notes: None,
        components: vec![],
        criteria: vec![],
    };
    let r = |s: &str, total: Decimal, rank| PublishedResult {
        edition_id: "e".into(),
        subject: s.into(),
        total: Some(total),
        rank: Some(rank),
        components: BTreeMap::new(),
        node_scores: BTreeMap::new(),
        node_ranks: BTreeMap::new(),
        source: None,
        published_on: None,
    };
    let existing = vec![r("a", dec!(90), 1), r("b", dec!(80), 3)];
    // "c" claims rank 1 below "a" that is only in the database.
    let incoming = vec![r("c", dec!(85), 1)];
    let p = merged_problems(Lang::Vi, &e, &existing, &incoming, false);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].column, "rank");
    // In Vietnamese, from the catalogue: "a" is above, so the rank is at least 2.
    let why = crate::refusals::result_problem(
        Lang::Vi,
        &parindex_domain::ResultProblemKind::RankTooHigh { rank: 1, min: 2 },
    );
    assert_eq!(p[0].message, format!("c: {why}"));
    assert!(merged_problems(Lang::Vi, &e, &existing, &incoming, true).is_empty());
}

#[test]
fn previews_changes() {
    let r = |s: &str, total: Decimal, rank| PublishedResult {
        edition_id: "e".into(),
        subject: s.into(),
        total: Some(total),
        rank: Some(rank),
        components: BTreeMap::new(),
        node_scores: BTreeMap::new(),
        node_ranks: BTreeMap::new(),
        source: None,
        published_on: None,
    };
    let c = ResultsChange {
        added: vec![r("a", dec!(90), 1)],
        changed: vec![(r("b", dec!(80), 3), r("b", dec!(81), 2))],
        removed: vec![],
        unchanged: 4,
    };
    let names = BTreeMap::from([("b".to_string(), "Bắc Giang".to_string())]);
    let v = preview_view(&c, &names);
    assert_eq!(v.added[0].name, "a");
    assert_eq!(v.changed[0].name, "Bắc Giang");
    assert_eq!(
        (
            v.changed[0].old_rank.as_str(),
            v.changed[0].new_rank.as_str()
        ),
        ("3", "2")
    );
    assert_eq!(v.unchanged, 4);
    assert!(!v.is_empty());
    assert!(i18n::has_key(source_key(Some(RankSource::Computed))));
    assert!(i18n::has_key(source_key(Some(RankSource::Published))));
}

//! Dossier aggregates, overdue dossiers and their explanations, indicators and the criteria they
//! feed: every test runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use parindex_domain::dossiers::{Counts, DossierLevel, Month, Outcome, OverdueDossier};
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::indicators::{
    Direction, Frequency, Indicator, Measure, Observation, Period, Source, Status,
};
use parindex_domain::rules::{Band, Bound, ScoringRule};
use parindex_domain::units::{Unit, UnitType};
use parindex_store::{
    AuditFilter, DossierCell, DossierImportMeta, Explanation, RefusalKind, Store, StoreError,
};
use rust_decimal_macros::dec;

use parindex_store::on_both_backends;
use parindex_store::testing::TestDb;

on_both_backends!(
    import_and_reimport_replace_the_period,
    explanations_survive_a_reimport_and_are_counted,
    a_failed_import_stores_nothing,
    explanations_are_validated_and_audited,
    indicators_observations_and_status,
    a_criterion_score_changes_when_its_indicator_data_arrives,
    dossier_indicators_are_computed_from_the_imports,
    a_large_streaming_import_stores_every_dossier_as_given,
);

async fn seed_units(store: &Store) {
    let u = |slug: &str, name: &str, t| Unit {
        slug: slug.into(),
        name_vi: name.into(),
        name_en: None,
        unit_type: t,
        parent: None,
        head_name: None,
        head_title: None,
    };
    store
        .save_units(
            &[
                u("bac-giang", "UBND tỉnh Bắc Giang", UnitType::Province),
                u("so-tu-phap", "Sở Tư pháp", UnitType::Department),
                u("huyen-yen-the", "UBND huyện Yên Thế", UnitType::District),
            ],
            "seed",
        )
        .await
        .unwrap();
}

fn counts(early: u64, on_time: u64, late: u64, pending: u64, overdue: u64) -> Counts {
    Counts {
        received: early + on_time + late + pending,
        resolved: early + on_time + late,
        early,
        on_time,
        late,
        pending,
        pending_overdue: overdue,
        online: Some(0),
    }
}

fn cell(agency: &str, month: &str, c: Counts) -> DossierCell {
    DossierCell {
        agency: agency.into(),
        unit: Some(agency.into()),
        month: Month::parse(month).unwrap(),
        counts: c,
    }
}

fn overdue(agency: &str, code: &str, month: &str, outcome: Outcome) -> OverdueDossier {
    OverdueDossier {
        outcome,
        code: code.into(),
        agency: agency.into(),
        procedure: "1.001".into(),
        level: DossierLevel::Province,
        online_level: 3,
        received_at: format!("{month}-02T08:00:00+07:00"),
        due_at: format!("{month}-10T17:00:00+07:00"),
        result_at: None,
        closed_at: (outcome == Outcome::Late).then(|| format!("{month}-12T09:00:00+07:00")),
        status: Some("closed".into()),
        month: Month::parse(month).unwrap(),
    }
}

fn meta(sample: bool) -> DossierImportMeta {
    DossierImportMeta {
        file_name: "export.csv".into(),
        as_of: jiff::civil::date(2021, 7, 5),
        sample,
        rows: 100,
        skipped: 0,
    }
}

async fn import(store: &Store, cells: &[DossierCell], rows: &[OverdueDossier]) -> i64 {
    let mut tx = store
        .begin_dossier_import(&meta(false), cells, "sonoivu")
        .await
        .unwrap();
    tx.add_overdue(rows).await.unwrap();
    tx.commit().await.unwrap()
}

async fn import_and_reimport_replace_the_period(store: &Store) {
    seed_units(store).await;
    let may = vec![
        cell("so-tu-phap", "2021-05", counts(5, 3, 2, 1, 1)),
        cell("huyen-yen-the", "2021-05", counts(10, 0, 0, 0, 0)),
    ];
    let rows = vec![
        overdue("so-tu-phap", "A", "2021-05", Outcome::Late),
        overdue("so-tu-phap", "B", "2021-05", Outcome::Late),
        overdue("so-tu-phap", "C", "2021-05", Outcome::PendingOverdue),
    ];
    import(store, &may, &rows).await;
    let june = vec![cell("so-tu-phap", "2021-06", counts(1, 1, 0, 0, 0))];
    import(store, &june, &[]).await;
    let cells = store.dossier_cells().await.unwrap();
    assert_eq!(cells.len(), 3);
    assert_eq!(
        store
            .overdue_dossiers("so-tu-phap", None)
            .await
            .unwrap()
            .len(),
        3
    );
    // Re-importing May with the same content: nothing doubles.
    import(store, &may, &rows).await;
    let again = store.dossier_cells().await.unwrap();
    assert_eq!(
        again.iter().map(|c| c.cell.clone()).collect::<Vec<_>>(),
        cells.iter().map(|c| c.cell.clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        store
            .overdue_dossiers("so-tu-phap", None)
            .await
            .unwrap()
            .len(),
        3
    );
    // A corrected May for so-tu-phap replaces its May only: June and the district stay.
    let corrected = vec![cell("so-tu-phap", "2021-05", counts(6, 4, 1, 0, 0))];
    import(
        store,
        &corrected,
        &[overdue("so-tu-phap", "B", "2021-05", Outcome::Late)],
    )
    .await;
    let cells = store.dossier_cells().await.unwrap();
    assert_eq!(cells.len(), 3);
    let tp_may = cells
        .iter()
        .find(|c| c.cell.agency == "so-tu-phap" && c.cell.month == Month::new(2021, 5))
        .unwrap();
    assert_eq!(tp_may.cell.counts, counts(6, 4, 1, 0, 0));
    let list = store.overdue_dossiers("so-tu-phap", None).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].dossier.code, "B");
    assert_eq!(
        list[0].dossier.closed_at.as_deref(),
        Some("2021-05-12T09:00:00+07:00")
    );
    assert!(cells.iter().any(|c| c.cell.agency == "huyen-yen-the"));
    let audit = store
        .audit_log(&AuditFilter {
            entity: Some("dossier_import".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 4);
}

async fn explanations_survive_a_reimport_and_are_counted(store: &Store) {
    seed_units(store).await;
    let may = vec![cell("so-tu-phap", "2021-05", counts(5, 3, 2, 1, 1))];
    let rows = vec![
        overdue("so-tu-phap", "A", "2021-05", Outcome::Late),
        overdue("so-tu-phap", "B", "2021-05", Outcome::Late),
        overdue("so-tu-phap", "C", "2021-05", Outcome::PendingOverdue),
    ];
    import(store, &may, &rows).await;
    let e = Explanation {
        reason: "Hồ sơ phải xác minh tại địa phương".into(),
        responsible: "Nguyễn Văn A".into(),
        remedy: "Rút ngắn thời gian xác minh".into(),
        written_by: String::new(),
        written_at: String::new(),
    };
    store
        .explain_dossier("so-tu-phap", "A", &e, "sotuphap")
        .await
        .unwrap();
    let counts_now = store.explanation_counts(None).await.unwrap();
    assert_eq!(counts_now.len(), 1);
    assert_eq!((counts_now[0].overdue, counts_now[0].explained), (3, 1));
    assert_eq!(counts_now[0].unexplained(), 2);
    import(store, &may, &rows).await;
    let a = store
        .overdue_dossier("so-tu-phap", "A")
        .await
        .unwrap()
        .unwrap();
    let kept = a.explanation.unwrap();
    assert_eq!(kept.responsible, "Nguyễn Văn A");
    assert_eq!(kept.written_by, "sotuphap");
    assert_eq!(
        store
            .explanation_counts(Some(Month::new(2021, 5)))
            .await
            .unwrap()[0]
            .explained,
        1
    );
    assert!(store
        .explanation_counts(Some(Month::new(2021, 6)))
        .await
        .unwrap()
        .is_empty());
}

async fn a_failed_import_stores_nothing(store: &Store) {
    seed_units(store).await;
    let bad = vec![DossierCell {
        counts: Counts {
            received: 3,
            ..counts(1, 1, 0, 0, 0)
        },
        ..cell("so-tu-phap", "2021-05", Counts::default())
    }];
    assert!(matches!(
        store.begin_dossier_import(&meta(false), &bad, "x").await,
        Err(StoreError::Invalid(_))
    ));
    // Dropped before commit: rolled back.
    {
        let mut tx = store
            .begin_dossier_import(
                &meta(false),
                &[cell("so-tu-phap", "2021-05", counts(1, 0, 1, 0, 0))],
                "x",
            )
            .await
            .unwrap();
        tx.add_overdue(&[overdue("so-tu-phap", "A", "2021-05", Outcome::Late)])
            .await
            .unwrap();
    }
    assert!(store.dossier_cells().await.unwrap().is_empty());
    assert!(store
        .overdue_dossiers("so-tu-phap", None)
        .await
        .unwrap()
        .is_empty());
}

async fn explanations_are_validated_and_audited(store: &Store) {
    seed_units(store).await;
    import(
        store,
        &[cell("so-tu-phap", "2021-05", counts(0, 0, 1, 0, 0))],
        &[overdue("so-tu-phap", "A", "2021-05", Outcome::Late)],
    )
    .await;
    let empty = Explanation {
        reason: " ".into(),
        responsible: "x".into(),
        remedy: "y".into(),
        written_by: String::new(),
        written_at: String::new(),
    };
    assert!(matches!(
        store.explain_dossier("so-tu-phap", "A", &empty, "u").await,
        Err(StoreError::Invalid(_))
    ));
    let e = Explanation {
        reason: "Thie\u{0302}\u{0301}u gia\u{0302}\u{0301}y to\u{031b}\u{0300}".into(),
        ..empty.clone()
    };
    assert!(matches!(
        store.explain_dossier("so-tu-phap", "nope", &e, "u").await,
        Err(StoreError::NotFound(_))
    ));
    store
        .explain_dossier("so-tu-phap", "A", &e, "u")
        .await
        .unwrap();
    let saved = store
        .overdue_dossier("so-tu-phap", "A")
        .await
        .unwrap()
        .unwrap()
        .explanation
        .unwrap();
    assert_eq!(saved.reason, "Thiếu giấy tờ", "NFC-normalised");
    let audit = store
        .audit_log(&AuditFilter {
            entity: Some("dossier_explanation".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].unit.as_deref(), Some("so-tu-phap"));
    assert_eq!(audit[0].entity_id, "so-tu-phap/A");
}

fn indicator(id: &str, measure: Measure, direction: Direction, source: Source) -> Indicator {
    Indicator {
        id: id.into(),
        name_vi: format!("Chỉ tiêu {id}"),
        name_en: None,
        unit: "%".into(),
        measure,
        direction,
        target: Some(dec!(100)),
        deadline: Some(jiff::civil::date(2021, 12, 31)),
        frequency: if source == Source::Manual {
            Frequency::Quarterly
        } else {
            Frequency::Monthly
        },
        source,
        lead_agency: Some("so-tu-phap".into()),
        note: None,
    }
}

fn obs(id: &str, unit: Option<&str>, period: &str, value: rust_decimal::Decimal) -> Observation {
    Observation {
        indicator_id: id.into(),
        unit: unit.map(str::to_string),
        period: Period::parse(period).unwrap(),
        value,
        numerator: None,
        denominator: None,
        source: "entered".into(),
        note: None,
    }
}

async fn indicators_observations_and_status(store: &Store) {
    seed_units(store).await;
    let disb = indicator(
        "budget-disbursement-rate",
        Measure::Ratio,
        Direction::HigherIsBetter,
        Source::Manual,
    );
    store
        .save_indicators(std::slice::from_ref(&disb), "c")
        .await
        .unwrap();
    let as_of = jiff::civil::date(2021, 8, 15);
    let v = store
        .indicator_view(&disb.id, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.status, Status::NoData);
    store
        .save_observations(&[obs(&disb.id, None, "2020", dec!(80.78))], "c")
        .await
        .unwrap();
    let v = store
        .indicator_view(&disb.id, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.current.as_ref().map(|o| o.value), Some(dec!(80.78)));
    assert_eq!(v.status, Status::AtRisk);
    // A later value replaces nothing but becomes current; the same period again replaces it.
    store
        .save_observations(
            &[
                obs(&disb.id, None, "2021-Q2", dec!(60)),
                obs(&disb.id, Some("so-tu-phap"), "2021-Q2", dec!(100)),
            ],
            "c",
        )
        .await
        .unwrap();
    store
        .save_observations(&[obs(&disb.id, None, "2021-Q2", dec!(100))], "c")
        .await
        .unwrap();
    let v = store
        .indicator_view(&disb.id, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.observations.len(), 3);
    assert_eq!(
        v.current.as_ref().map(|o| o.period),
        Some(Period::Quarter(2021, 2))
    );
    assert_eq!(v.status, Status::Met);
    // Unknown indicators and units are refused; nothing of the batch is saved.
    let err = store
        .save_observations(
            &[
                obs(&disb.id, None, "2021-Q3", dec!(1)),
                obs(&disb.id, Some("nowhere"), "2021-Q3", dec!(1)),
            ],
            "c",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(r) if r.iter().any(|r| r.field.ends_with(".unit")
            && r.kind == RefusalKind::Unknown { value: "nowhere".into() })),
        "{err}"
    );
    let v = store
        .indicator_view(&disb.id, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.observations.len(), 3);
    let audit = store
        .audit_log(&AuditFilter {
            entity: Some("indicator_observation".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 4, "three created, one updated");
    // Definitions round-trip and keep their order.
    let mut second = indicator(
        "x-rate",
        Measure::Value,
        Direction::LowerIsBetter,
        Source::Manual,
    );
    second.target = Some(dec!(0));
    second.deadline = None;
    store
        .save_indicators(std::slice::from_ref(&second), "c")
        .await
        .unwrap();
    let all = store.indicators().await.unwrap();
    assert_eq!(all, vec![disb, second]);
}

fn sample_edition() -> Edition {
    let mut area = CriterionNode::new(
        NodeCode::parse("3").unwrap(),
        "Cải cách TTHC (mẫu)",
        Some(dec!(1)),
    );
    area.component = Some("appraisal".into());
    let crit = CriterionNode::new(
        NodeCode::parse("3.1").unwrap(),
        "Kết quả (mẫu)",
        Some(dec!(1)),
    );
    let mut sub = CriterionNode::new(
        NodeCode::parse("3.1.1").unwrap(),
        "Tỷ lệ hồ sơ đúng hạn (mẫu)",
        Some(dec!(1)),
    );
    sub.rule = Some(ScoringRule::Bands {
        bands: vec![
            Band {
                lower: Some(Bound {
                    value: dec!(100),
                    inclusive: true,
                }),
                upper: None,
                points: dec!(1),
            },
            Band {
                lower: Some(Bound {
                    value: dec!(95),
                    inclusive: true,
                }),
                upper: Some(Bound {
                    value: dec!(100),
                    inclusive: false,
                }),
                points: dec!(0.5),
            },
            Band {
                lower: None,
                upper: Some(Bound {
                    value: dec!(95),
                    inclusive: false,
                }),
                points: dec!(0),
            },
        ],
    });
    Edition {
        id: "mau-2021".into(),
        name: "MẪU 2021".into(),
        year: 2021,
        level: Level::Province,
        methodology_ref: None,
        max_points: dec!(1),
        peer_count: None,
        sample: true,
        notes: None,
        components: vec![Component {
            code: "appraisal".into(),
            name_vi: "Thẩm định".into(),
            name_en: None,
            max_points: dec!(1),
        }],
        criteria: vec![area, crit, sub],
    }
}

async fn a_criterion_score_changes_when_its_indicator_data_arrives(store: &Store) {
    seed_units(store).await;
    store.save_edition(&sample_edition(), "c").await.unwrap();
    let on_time = indicator(
        "dossiers-on-time-rate",
        Measure::Ratio,
        Direction::HigherIsBetter,
        Source::DossiersOnTimeRate,
    );
    store
        .save_indicators(std::slice::from_ref(&on_time), "c")
        .await
        .unwrap();
    // A node without a numeric rule cannot be fed.
    assert!(store
        .link_indicator(&on_time.id, "mau-2021", "3.1", "c")
        .await
        .is_err());
    store
        .link_indicator(&on_time.id, "mau-2021", "3.1.1", "c")
        .await
        .unwrap();
    let as_of = jiff::civil::date(2021, 8, 15);
    let before = store
        .indicator_view(&on_time.id, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.links.len(), 1);
    assert_eq!(before.links[0].score, None, "no data yet");
    assert!(before.links[0].problem.is_some());
    // June arrives: 96 of 100 resolved by the due date → 96 % → 0.5 points.
    import(
        store,
        &[cell("so-tu-phap", "2021-06", counts(40, 56, 4, 0, 0))],
        &[],
    )
    .await;
    let after = store
        .indicator_view(&on_time.id, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.links[0].value, Some(dec!(96)));
    assert_eq!(after.links[0].score, Some(dec!(0.5)));
    // July brings the year to 100 %: the score follows.
    import(
        store,
        &[cell("so-tu-phap", "2021-06", counts(44, 56, 0, 0, 0))],
        &[],
    )
    .await;
    let later = store
        .indicator_view(&on_time.id, as_of)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(later.links[0].score, Some(dec!(1)));
    assert_eq!(later.status, Status::Met);
}

async fn dossier_indicators_are_computed_from_the_imports(store: &Store) {
    seed_units(store).await;
    let mut early = indicator(
        "dossiers-early-rate",
        Measure::Ratio,
        Direction::HigherIsBetter,
        Source::DossiersEarlyRate,
    );
    early.target = Some(dec!(20));
    store
        .save_indicators(std::slice::from_ref(&early), "c")
        .await
        .unwrap();
    // Entered values are refused: the dossiers decide.
    assert!(store
        .save_observations(&[obs(&early.id, None, "2021-06", dec!(50))], "c")
        .await
        .is_err());
    let mut tx = store
        .begin_dossier_import(
            &meta(true),
            &[
                cell("so-tu-phap", "2021-05", counts(1, 8, 1, 0, 0)),
                cell("huyen-yen-the", "2021-06", counts(3, 7, 0, 0, 0)),
            ],
            "demo",
        )
        .await
        .unwrap();
    tx.add_overdue(&[overdue("so-tu-phap", "L", "2021-05", Outcome::Late)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let v = store
        .indicator_view(&early.id, jiff::civil::date(2021, 8, 15))
        .await
        .unwrap()
        .unwrap();
    assert!(v.sample_data, "the import was labelled sample");
    let cur = v.current.unwrap();
    assert_eq!(cur.period, Period::Year(2021));
    assert_eq!(cur.value, dec!(20), "4 early of 20 resolved");
    assert_eq!(v.status, Status::Met);
    let may = v
        .observations
        .iter()
        .find(|o| o.unit.is_none() && o.period == Period::Month(2021, 5))
        .unwrap();
    assert_eq!(may.value, dec!(10));
    assert!(v
        .observations
        .iter()
        .any(|o| o.unit.as_deref() == Some("huyen-yen-the") && o.value == dec!(30)));
}

/// More dossiers than one batch, streamed: every field comes back as given — optional fields
/// empty or not, Vietnamese text, every outcome and level — on SQLite (its own connection and
/// the C API) as on PostgreSQL (the pool).
async fn a_large_streaming_import_stores_every_dossier_as_given(store: &Store) {
    seed_units(store).await;
    let levels = [
        DossierLevel::Province,
        DossierLevel::District,
        DossierLevel::Commune,
    ];
    let rows: Vec<OverdueDossier> = (0..1234u32)
        .map(|i| {
            let late = i % 3 != 0;
            let day = 1 + i % 28;
            OverdueDossier {
                outcome: if late {
                    Outcome::Late
                } else {
                    Outcome::PendingOverdue
                },
                code: format!("H{i:05}"),
                agency: if i % 2 == 0 {
                    "so-tu-phap"
                } else {
                    "huyen-yen-the"
                }
                .into(),
                procedure: format!("Thủ tục cấp phiếu lý lịch tư pháp số {}", i % 7),
                level: levels[(i % 3) as usize],
                online_level: (i % 5) as u8,
                received_at: format!("2021-05-{day:02}T08:00:00+07:00"),
                due_at: format!("2021-06-{day:02}T17:00:00+07:00"),
                result_at: late.then(|| format!("2021-06-{:02}T09:30:00+07:00", day.min(27) + 1)),
                closed_at: (late && i % 4 != 1)
                    .then(|| format!("2021-06-{:02}T10:00:00+07:00", day.min(27) + 1)),
                status: (i % 5 != 0).then(|| "Đã trả kết quả".to_string()),
                month: Month::parse("2021-05").unwrap(),
            }
        })
        .collect();
    let mut tx = store
        .open_dossier_import(&meta(false), "sonoivu")
        .await
        .unwrap();
    for chunk in rows.chunks(500) {
        tx.add_overdue(chunk).await.unwrap();
    }
    let late = |a: &str| {
        rows.iter()
            .filter(|d| d.agency == a && d.outcome == Outcome::Late)
            .count() as u64
    };
    let pending = |a: &str| {
        rows.iter()
            .filter(|d| d.agency == a && d.outcome == Outcome::PendingOverdue)
            .count() as u64
    };
    let cells: Vec<DossierCell> = ["so-tu-phap", "huyen-yen-the"]
        .iter()
        .map(|a| {
            cell(
                a,
                "2021-05",
                Counts {
                    received: late(a) + pending(a),
                    resolved: late(a),
                    late: late(a),
                    pending: pending(a),
                    pending_overdue: pending(a),
                    ..Counts::default()
                },
            )
        })
        .collect();
    tx.replace_cells(&cells).await.unwrap();
    tx.set_rows(1234, 0);
    tx.commit().await.unwrap();

    for agency in ["so-tu-phap", "huyen-yen-the"] {
        let mut stored: Vec<OverdueDossier> = store
            .overdue_dossiers(agency, Some(Month::parse("2021-05").unwrap()))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.dossier)
            .collect();
        stored.sort_by(|a, b| a.code.cmp(&b.code));
        let expected: Vec<&OverdueDossier> = rows.iter().filter(|d| d.agency == agency).collect();
        assert_eq!(stored.len(), expected.len(), "{agency}");
        for (s, e) in stored.iter().zip(expected) {
            assert_eq!(s, e);
        }
    }
    // A second import of the same month replaces it: nothing doubled.
    let mut tx = store
        .open_dossier_import(&meta(false), "sonoivu")
        .await
        .unwrap();
    tx.add_overdue(&rows[..10]).await.unwrap();
    tx.replace_cells(&cells).await.unwrap();
    tx.commit().await.unwrap();
    let n: usize = store
        .overdue_dossiers("so-tu-phap", None)
        .await
        .unwrap()
        .len()
        + store
            .overdue_dossiers("huyen-yen-the", None)
            .await
            .unwrap()
            .len();
    assert_eq!(n, 10);
}

/// The online count (issue 13 point 1) is stored with the cell; a cell stored before it was kept
/// (migration 0014: NULL) reads as unknown, not as none, until its month is imported again.
async fn the_online_count_is_stored_and_an_old_cell_reads_as_unknown(db: &TestDb) {
    use sqlx::Connection;
    let store = &db.store;
    seed_units(store).await;
    let with_online = |n| Counts {
        online: Some(n),
        ..counts(2, 1, 1, 1, 0)
    };
    import(store, &[cell("so-tu-phap", "2021-05", with_online(3))], &[]).await;
    let stored = store.dossier_cells().await.unwrap();
    assert_eq!(stored[0].cell.counts.online, Some(3));
    assert_eq!(stored[0].cell.counts.online_share(), Some(dec!(60)));
    // More online dossiers than received: refused as inconsistent, nothing stored.
    let bad = [cell("so-tu-phap", "2021-06", with_online(6))];
    assert!(matches!(
        store.begin_dossier_import(&meta(false), &bad, "x").await,
        Err(StoreError::Invalid(_))
    ));
    // A cell as it stood before the column: NULL.
    let mut c = sqlx::AnyConnection::connect(&db.url()).await.unwrap();
    sqlx::query("UPDATE dossier_stats SET online = NULL")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let stored = store.dossier_cells().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].cell.counts.online, None);
    assert_eq!(stored[0].cell.counts.online_share(), None);
    assert_eq!(stored[0].cell.counts.received, 5);
    // Imported again: known again.
    import(store, &[cell("so-tu-phap", "2021-05", with_online(0))], &[]).await;
    let stored = store.dossier_cells().await.unwrap();
    assert_eq!(stored[0].cell.counts.online, Some(0));
}

#[tokio::test]
async fn the_online_count_is_stored_and_an_old_cell_reads_as_unknown_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    the_online_count_is_stored_and_an_old_cell_reads_as_unknown(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_online_count_is_stored_and_an_old_cell_reads_as_unknown_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    the_online_count_is_stored_and_an_old_cell_reads_as_unknown(&db).await;
    db.cleanup().await;
}

//! What the province makes public (issue 13 point 1): publishing and withdrawing, each audited,
//! refused for what does not exist or is already public; on SQLite and PostgreSQL.

use parindex_domain::dossiers::{Counts, Month};
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::results::PublishedResult;
use parindex_domain::units::{Subject, Unit, UnitType};
use parindex_store::{
    on_both_backends, AuditFilter, DossierCell, DossierImportMeta, NewPublication, PublicationKind,
    RefusalKind, Store, StoreError,
};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

on_both_backends!(
    results_are_published_withdrawn_and_published_again_with_the_audit_log,
    what_does_not_exist_or_is_public_already_is_refused,
    dossier_rates_are_frozen_as_published,
);

async fn an_edition_with_results(s: &Store) {
    s.save_subjects(
        &[Subject {
            slug: "bac-giang".into(),
            name_vi: "Bắc Giang".into(),
            name_en: None,
        }],
        "seed",
    )
    .await
    .unwrap();
    let mut a1 = CriterionNode::new(NodeCode::parse("1").unwrap(), "Chỉ đạo", Some(dec!(100)));
    a1.component = Some("appraisal".into());
    let e = Edition {
        id: "par-2020".into(),
        name: "Chỉ số CCHC năm 2020".into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: None,
        max_points: dec!(100),
        peer_count: Some(63),
        sample: false,
        notes: None,
        components: vec![Component {
            code: "appraisal".into(),
            name_vi: "Điểm thẩm định".into(),
            name_en: None,
            max_points: dec!(100),
        }],
        criteria: vec![a1],
    };
    s.save_edition(&e, "seed").await.unwrap();
    s.import_results(
        "par-2020",
        &[PublishedResult {
            edition_id: "par-2020".into(),
            subject: "bac-giang".into(),
            total: Some(dec!(85.58)),
            rank: Some(13),
            components: [("appraisal".to_string(), dec!(85.58))].into(),
            node_scores: BTreeMap::new(),
            node_ranks: BTreeMap::new(),
            source: None,
            published_on: None,
        }],
        false,
        "seed",
    )
    .await
    .unwrap();
}

fn results(decision: Option<&str>) -> NewPublication {
    NewPublication {
        kind: PublicationKind::Results,
        target: "par-2020".into(),
        decision_ref: decision.map(str::to_string),
        decision_on: Some(jiff::civil::date(2021, 5, 25)),
    }
}

fn kinds(e: StoreError) -> Vec<(String, RefusalKind)> {
    match e {
        StoreError::Invalid(r) => r.0.into_iter().map(|r| (r.field, r.kind)).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn results_are_published_withdrawn_and_published_again_with_the_audit_log(s: &Store) {
    an_edition_with_results(s).await;
    let id = s
        .publish(&results(Some(" 12/QĐ-BNV ")), "sonoivu")
        .await
        .unwrap();
    let all = s.publications().await.unwrap();
    assert_eq!(all.len(), 1);
    let p = &all[0];
    assert_eq!(
        (p.id, p.kind, p.target.as_str()),
        (id, PublicationKind::Results, "par-2020")
    );
    assert_eq!(p.decision_ref.as_deref(), Some("12/QĐ-BNV"), "trimmed");
    assert_eq!(p.decision_on, Some(jiff::civil::date(2021, 5, 25)));
    assert!(p.is_live());
    assert_eq!(p.published_by, "sonoivu");

    let w = s.withdraw_publication(id, "sonoivu").await.unwrap();
    assert!(!w.is_live());
    let all = s.publications().await.unwrap();
    assert_eq!(all[0].withdrawn_by.as_deref(), Some("sonoivu"));
    assert!(all[0].withdrawn_at.is_some());
    // A second withdrawal of the same one is refused.
    let again = kinds(s.withdraw_publication(id, "sonoivu").await.unwrap_err());
    assert!(
        matches!(again[0].1, RefusalKind::Unknown { .. }),
        "{again:?}"
    );

    // Published again: a new row, the old one stays withdrawn.
    let id2 = s.publish(&results(None), "sonoivu").await.unwrap();
    assert_ne!(id, id2);
    let all = s.publications().await.unwrap();
    assert_eq!(all.iter().filter(|p| p.is_live()).count(), 1);
    assert_eq!(all.len(), 2);

    let log = s
        .audit_log(&AuditFilter {
            entity: Some("publication".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["publish", "withdraw", "publish"]);
    assert!(log
        .iter()
        .all(|e| e.entity_id == "par-2020" && e.actor == "sonoivu"));
}

async fn what_does_not_exist_or_is_public_already_is_refused(s: &Store) {
    an_edition_with_results(s).await;
    let refused = |kind, target: &str| NewPublication {
        kind,
        target: target.into(),
        decision_ref: None,
        decision_on: None,
    };
    for (kind, target) in [
        (PublicationKind::Results, "par-1999"),
        (PublicationKind::Ranking, "no-such-round"),
        (PublicationKind::Dossiers, "2021-06"),
        (PublicationKind::Dossiers, "June"),
    ] {
        let k = kinds(
            s.publish(&refused(kind, target), "sonoivu")
                .await
                .unwrap_err(),
        );
        assert_eq!(k.len(), 1, "{k:?}");
        assert_eq!(k[0].0, "target");
        assert!(
            matches!(&k[0].1, RefusalKind::Unknown { value } if value == target),
            "{k:?}"
        );
    }
    let long = "x".repeat(parindex_store::DECISION_REF_LIMIT + 1);
    let k = kinds(
        s.publish(&results(Some(&long)), "sonoivu")
            .await
            .unwrap_err(),
    );
    assert!(matches!(k[0].1, RefusalKind::TooLong { .. }), "{k:?}");
    s.publish(&results(None), "sonoivu").await.unwrap();
    let k = kinds(s.publish(&results(None), "sonoivu").await.unwrap_err());
    assert!(matches!(&k[0].1, RefusalKind::Exists { .. }), "{k:?}");
    // Nothing refused was stored.
    assert_eq!(s.publications().await.unwrap().len(), 1);
}

async fn import_month(s: &Store, agency: &str, month: &str, early: u64, late: u64) {
    let cell = DossierCell {
        agency: agency.into(),
        unit: Some(agency.into()),
        month: Month::parse(month).unwrap(),
        counts: Counts {
            received: early + late,
            resolved: early + late,
            early,
            on_time: 0,
            late,
            pending: 0,
            pending_overdue: 0,
            // Online (level 3 or 4): the early ones, say.
            online: Some(early),
        },
    };
    let meta = DossierImportMeta {
        file_name: "export.csv".into(),
        as_of: jiff::civil::date(2021, 7, 5),
        sample: false,
        rows: early + late,
        skipped: 0,
    };
    let tx = s
        .begin_dossier_import(&meta, &[cell], "sonoivu")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn dossier_rates_are_frozen_as_published(s: &Store) {
    s.save_units(
        &[Unit {
            slug: "so-tu-phap".into(),
            name_vi: "Sở Tư pháp".into(),
            name_en: None,
            unit_type: UnitType::Department,
            parent: None,
            head_name: None,
            head_title: None,
        }],
        "seed",
    )
    .await
    .unwrap();
    import_month(s, "so-tu-phap", "2021-06", 8, 2).await;
    import_month(s, "so-tu-phap", "2021-07", 1, 1).await;
    let publish = |target: &str| NewPublication {
        kind: PublicationKind::Dossiers,
        target: target.into(),
        decision_ref: None,
        decision_on: None,
    };
    s.publish(&publish("2021-06"), "sonoivu").await.unwrap();
    s.publish(&publish("2021"), "sonoivu").await.unwrap();
    // June imported again with other figures: what was published stays as it was.
    import_month(s, "so-tu-phap", "2021-06", 1, 9).await;
    let all = s.publications().await.unwrap();
    let june = all.iter().find(|p| p.target == "2021-06").unwrap();
    assert_eq!(june.dossiers.len(), 1);
    assert_eq!(june.dossiers[0].month, "2021-06");
    assert_eq!(
        (june.dossiers[0].counts.early, june.dossiers[0].counts.late),
        (8, 2)
    );
    // The online count is frozen with the rest.
    assert_eq!(june.dossiers[0].counts.online, Some(8));
    let year = all.iter().find(|p| p.target == "2021").unwrap();
    let months: Vec<&str> = year.dossiers.iter().map(|c| c.month.as_str()).collect();
    assert_eq!(months, ["2021-06", "2021-07"]);
}

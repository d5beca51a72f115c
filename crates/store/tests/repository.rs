//! The repository suite: every test runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL`
//! is set (CI sets it to the machine's server).

use parindex_domain::edition::{
    Component, CriterionNode, Edition, EditionProblemKind, Level, NodeCode,
};
use parindex_domain::gap::{RankTarget, TargetScope};
use parindex_domain::results::{PublishedResult, ResultProblemKind};
use parindex_domain::rules::{Band, Bound, ScoringRule};
use parindex_domain::units::{Subject, Unit, UnitType};
use parindex_store::{AuditFilter, RefusalKind, Refusals, Store, StoreError};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

use parindex_store::on_both_backends;

/// The refusals of a refused change.
fn refusals(e: StoreError) -> Refusals {
    match e {
        StoreError::Invalid(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn unknown(value: &str) -> RefusalKind {
    RefusalKind::Unknown {
        value: value.into(),
    }
}

on_both_backends!(
    edition_round_trip,
    invalid_edition_stores_nothing,
    previous_edition_and_listing,
    result_history_is_oldest_first_and_of_one_level,
    results_import_validates_and_previews,
    failed_results_import_stores_nothing,
    units_with_parents_and_search,
    unknown_parent_is_refused,
    targets_round_trip,
    audit_records_changes,
    deleting_an_edition_cascades,
);

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn edition(id: &str, year: i32) -> Edition {
    let mut a1 = CriterionNode::new(
        code("1"),
        "Công tác chỉ đạo, điều hành CCHC",
        Some(dec!(10)),
    );
    a1.component = Some("appraisal".into());
    a1.lead_agency = Some("so-noi-vu".into());
    let mut c11 = CriterionNode::new(
        code("1.1"),
        "Tỷ lệ hồ sơ giải quyết đúng hạn",
        Some(dec!(2)),
    );
    c11.rule = Some(ScoringRule::Bands {
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
                lower: None,
                upper: Some(Bound {
                    value: dec!(90),
                    inclusive: true,
                }),
                points: dec!(0),
            },
        ],
    });
    c11.evidence_required = true;
    c11.applies_to = vec![UnitType::Department, UnitType::District];
    let mut c110 = CriterionNode::new(code("1.10"), "Sáng kiến", Some(dec!(1.5)));
    c110.survey_scored = true;
    c110.title_en = Some("Initiatives".into());
    let mut a2 = CriterionNode::new(
        code("2"),
        "Xây dựng và tổ chức thực hiện văn bản QPPL",
        None,
    );
    a2.component = Some("appraisal".into());
    Edition {
        id: id.into(),
        name: format!("Chỉ số CCHC năm {year}"),
        year,
        level: Level::Province,
        methodology_ref: Some("QĐ 1150/QĐ-BNV ngày 30/12/2019".into()),
        max_points: dec!(100),
        peer_count: Some(63),
        sample: true,
        notes: None,
        components: vec![
            Component {
                code: "appraisal".into(),
                name_vi: "Điểm thẩm định".into(),
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
                name_en: None,
                max_points: dec!(23.5),
            },
        ],
        criteria: vec![a1, c11, c110, a2],
    }
}

fn result(
    subject: &str,
    total: rust_decimal::Decimal,
    rank: Option<u32>,
    comps: [rust_decimal::Decimal; 3],
) -> PublishedResult {
    PublishedResult {
        edition_id: "par-2020".into(),
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
        source: Some("Kế hoạch".into()),
        published_on: Some(jiff::civil::date(2021, 5, 25)),
    }
}

async fn seed_subjects(s: &Store) {
    let subjects = [
        ("bac-giang", "Bắc Giang"),
        ("quang-ninh", "Quảng Ninh"),
        ("hai-phong", "Hải Phòng"),
    ];
    let subjects: Vec<Subject> = subjects
        .iter()
        .map(|(a, b)| Subject {
            slug: a.to_string(),
            name_vi: b.to_string(),
            name_en: None,
        })
        .collect();
    s.save_subjects(&subjects, "test").await.unwrap();
}

async fn edition_round_trip(s: &Store) {
    let mut e = edition("par-2020", 2020);
    // One criterion marked a sample on its own keeps its mark.
    let sample_code = e.criteria[1].code.clone();
    e.criteria[1].sample = true;
    s.save_edition(&e, "test").await.unwrap();
    let mut back = s.edition("par-2020").await.unwrap().expect("saved");
    back.sort();
    let mut want = e.clone();
    want.sort();
    assert_eq!(back, want);
    assert_eq!(back.criteria[1].code.to_string(), "1.1");
    for n in &back.criteria {
        assert_eq!(n.sample, n.code == sample_code, "{}", n.code);
    }
    assert!(back.is_sample_node(&sample_code));
    assert_eq!(
        back.criteria[2].code.to_string(),
        "1.10",
        "1.10 sorts after 1.1 and before 2"
    );
    // Saving again replaces the tree.
    let mut e2 = e.clone();
    e2.criteria.pop();
    s.save_edition(&e2, "test").await.unwrap();
    assert_eq!(
        s.edition("par-2020").await.unwrap().unwrap().criteria.len(),
        3
    );
    assert!(s.edition("nope").await.unwrap().is_none());
}

async fn invalid_edition_stores_nothing(s: &Store) {
    let mut e = edition("par-bad", 2020);
    e.components[0].max_points = dec!(60);
    let err = s.save_edition(&e, "test").await.unwrap_err();
    let err = refusals(err);
    assert!(
        err.has(
            "components",
            &RefusalKind::Edition(EditionProblemKind::ComponentsSum {
                sum: dec!(93.5),
                max: dec!(100)
            })
        ),
        "{err:?}"
    );
    assert!(s.edition("par-bad").await.unwrap().is_none());
}

async fn previous_edition_and_listing(s: &Store) {
    s.save_edition(&edition("par-2019", 2019), "test")
        .await
        .unwrap();
    s.save_edition(&edition("par-2020", 2020), "test")
        .await
        .unwrap();
    let e = s.edition("par-2020").await.unwrap().unwrap();
    assert_eq!(
        s.previous_edition(&e).await.unwrap().map(|p| p.id),
        Some("par-2019".to_string())
    );
    let first = s.edition("par-2019").await.unwrap().unwrap();
    assert!(s.previous_edition(&first).await.unwrap().is_none());
    let list = s.editions(None).await.unwrap();
    assert_eq!(
        list.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        vec!["par-2020", "par-2019"]
    );
    assert_eq!(list[0].criteria, 4);
    let found = s.editions(Some("chi so cchc nam 2019")).await.unwrap();
    assert_eq!(found.len(), 1, "search ignores diacritics");
}

async fn result_history_is_oldest_first_and_of_one_level(s: &Store) {
    seed_subjects(s).await;
    let mut district = edition("par-2020-district", 2020);
    district.level = Level::District;
    for e in [
        edition("par-2021", 2021),
        edition("par-2019", 2019),
        edition("par-2020", 2020),
        district,
    ] {
        s.save_edition(&e, "test").await.unwrap();
    }
    for (id, total, rank) in [
        ("par-2020", dec!(85.58), Some(13)),
        ("par-2019", dec!(84.1), None),
        ("par-2020-district", dec!(70), Some(1)),
    ] {
        // The components add up to the total.
        let comps = [total - dec!(28.65), dec!(9.29), dec!(19.36)];
        let mut r = result("bac-giang", total, rank, comps);
        r.edition_id = id.into();
        s.import_results(id, &[r], false, "test").await.unwrap();
    }
    let got: Vec<(i32, String, Option<rust_decimal::Decimal>)> = s
        .result_history("bac-giang", Level::Province)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.year, p.edition_id, p.total))
        .collect();
    assert_eq!(
        got,
        vec![
            (2019, "par-2019".to_string(), Some(dec!(84.1))),
            (2020, "par-2020".to_string(), Some(dec!(85.58))),
        ],
        "2021 has no result; the district edition is another level"
    );
    let history = s
        .result_history("bac-giang", Level::Province)
        .await
        .unwrap();
    assert_eq!(history[1].rank, Some(13));
    assert!(s
        .result_history("quang-ninh", Level::Province)
        .await
        .unwrap()
        .is_empty());
}

async fn results_import_validates_and_previews(s: &Store) {
    seed_subjects(s).await;
    s.save_edition(&edition("par-2020", 2020), "test")
        .await
        .unwrap();
    let rows = vec![
        result(
            "quang-ninh",
            dec!(91.04),
            Some(1),
            [dec!(62.66), dec!(9.56), dec!(18.83)],
        ),
        result(
            "bac-giang",
            dec!(85.58),
            Some(13),
            [dec!(56.93), dec!(9.29), dec!(19.36)],
        ),
    ];
    let preview = s.preview_results("par-2020", &rows, false).await.unwrap();
    assert_eq!(preview.added.len(), 2);
    let change = s
        .import_results("par-2020", &rows, false, "test")
        .await
        .unwrap();
    assert_eq!(change.added.len(), 2);
    let back = s.results("par-2020").await.unwrap();
    let bg = back.iter().find(|r| r.subject == "bac-giang").unwrap();
    assert_eq!(bg.total, Some(dec!(85.58)));
    assert_eq!(bg.components["appraisal"], dec!(56.93));
    assert_eq!(bg.published_on, Some(jiff::civil::date(2021, 5, 25)));
    // Re-importing the same rows changes nothing; a changed row is previewed as a change.
    let again = s
        .import_results("par-2020", &rows, false, "test")
        .await
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(again.unchanged, 2);
    let mut changed = rows.clone();
    changed[1].rank = Some(12);
    let p = s
        .preview_results("par-2020", &changed[1..], true)
        .await
        .unwrap();
    assert_eq!(p.changed.len(), 1);
    assert_eq!(p.removed.len(), 1, "replace removes quang-ninh");
}

async fn failed_results_import_stores_nothing(s: &Store) {
    seed_subjects(s).await;
    s.save_edition(&edition("par-2020", 2020), "test")
        .await
        .unwrap();
    let mut rows = vec![
        result(
            "quang-ninh",
            dec!(91.04),
            Some(1),
            [dec!(62.66), dec!(9.56), dec!(18.83)],
        ),
        result(
            "hai-phong",
            dec!(90.51),
            Some(2),
            [dec!(61.71), dec!(9.35), dec!(19.45)],
        ),
    ];
    rows.push(result(
        "atlantis",
        dec!(80),
        None,
        [dec!(50), dec!(10), dec!(20)],
    ));
    let err = s
        .import_results("par-2020", &rows, false, "test")
        .await
        .unwrap_err();
    assert!(refusals(err).has("results[atlantis].subject", &unknown("atlantis")));
    assert!(s.results("par-2020").await.unwrap().is_empty());
    rows.pop();
    rows[1].rank = Some(1);
    rows[0].rank = Some(2);
    let err = s
        .import_results("par-2020", &rows, false, "test")
        .await
        .unwrap_err();
    let err = refusals(err);
    assert!(
        err.iter().any(|r| r.field.starts_with("results[")
            && r.field.ends_with("].rank")
            && matches!(
                r.kind,
                RefusalKind::Result(
                    ResultProblemKind::RankTooHigh { .. } | ResultProblemKind::RankTooLow { .. }
                )
            )),
        "a rank that contradicts the totals: {err:?}"
    );
    assert!(s.results("par-2020").await.unwrap().is_empty());
    let audits = s
        .audit_log(&AuditFilter {
            entity: Some("result".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audits.is_empty());
}

fn unit(slug: &str, name: &str, t: UnitType, parent: Option<&str>) -> Unit {
    Unit {
        slug: slug.into(),
        name_vi: name.into(),
        name_en: None,
        unit_type: t,
        parent: parent.map(str::to_string),
        head_name: None,
        head_title: None,
    }
}

async fn units_with_parents_and_search(s: &Store) {
    // Child before parent in the batch.
    let units = vec![
        unit(
            "so-noi-vu",
            "Sở Nội vụ",
            UnitType::Department,
            Some("bac-giang"),
        ),
        unit("bac-giang", "Tỉnh Bắc Giang", UnitType::Province, None),
        unit(
            "huyen-yen-the",
            "UBND huyện Yên Thế",
            UnitType::District,
            Some("bac-giang"),
        ),
    ];
    assert_eq!(s.save_units(&units, "test").await.unwrap(), 3);
    let snv = s.unit("so-noi-vu").await.unwrap().unwrap();
    assert_eq!(snv.parent.as_deref(), Some("bac-giang"));
    let found = s.units(Some("so noi vu")).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].slug, "so-noi-vu");
    let found = s.units(Some("YÊN THẾ")).await.unwrap();
    assert_eq!(found.len(), 1);
    // Edit the head.
    let mut edited = snv.clone();
    edited.head_name = Some("Nguyễn Văn A".into());
    s.save_units(&[edited], "coordinator").await.unwrap();
    assert_eq!(
        s.unit("so-noi-vu")
            .await
            .unwrap()
            .unwrap()
            .head_name
            .as_deref(),
        Some("Nguyễn Văn A")
    );
}

async fn unknown_parent_is_refused(s: &Store) {
    let units = vec![
        unit("bac-giang", "Tỉnh Bắc Giang", UnitType::Province, None),
        unit("so-x", "Sở X", UnitType::Department, Some("nowhere")),
    ];
    let err = refusals(s.save_units(&units, "test").await.unwrap_err());
    assert!(
        err.has("units[so-x].parent", &unknown("nowhere")),
        "{err:?}"
    );
    assert!(s.units(None).await.unwrap().is_empty(), "nothing stored");
}

async fn targets_round_trip(s: &Store) {
    seed_subjects(s).await;
    s.save_edition(&edition("par-2020", 2020), "test")
        .await
        .unwrap();
    s.save_units(
        &[unit("so-noi-vu", "Sở Nội vụ", UnitType::Department, None)],
        "test",
    )
    .await
    .unwrap();
    let targets = vec![
        RankTarget {
            edition_id: "par-2020".into(),
            subject: "bac-giang".into(),
            scope: TargetScope::Overall,
            target_rank: 10,
            lead_agency: None,
            note: None,
        },
        RankTarget {
            edition_id: "par-2020".into(),
            subject: "bac-giang".into(),
            scope: TargetScope::Node(code("1")),
            target_rank: 10,
            lead_agency: Some("so-noi-vu".into()),
            note: Some("top 10".into()),
        },
    ];
    s.save_targets(&targets, "test").await.unwrap();
    assert_eq!(s.targets("par-2020").await.unwrap(), targets);
    let bad = vec![RankTarget {
        lead_agency: Some("so-y".into()),
        ..targets[0].clone()
    }];
    let err = refusals(s.save_targets(&bad, "test").await.unwrap_err());
    assert!(
        err.iter()
            .any(|r| r.field.ends_with(".lead_agency") && r.kind == unknown("so-y")),
        "{err:?}"
    );
}

async fn audit_records_changes(s: &Store) {
    s.save_units(
        &[unit("so-noi-vu", "Sở Nội vụ", UnitType::Department, None)],
        "alice",
    )
    .await
    .unwrap();
    let mut u = s.unit("so-noi-vu").await.unwrap().unwrap();
    u.head_name = Some("Trần Thị B".into());
    s.save_units(std::slice::from_ref(&u), "bob").await.unwrap();
    // Unchanged save records nothing.
    s.save_units(std::slice::from_ref(&u), "bob").await.unwrap();
    let log = s
        .audit_log(&AuditFilter {
            entity: Some("unit".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].actor, "bob");
    assert_eq!(log[0].action, "update");
    assert_eq!(
        log[0].before.as_ref().and_then(|b| b.get("head_name")),
        None
    );
    assert_eq!(
        log[0]
            .after
            .as_ref()
            .and_then(|a| a.get("head_name"))
            .and_then(|v| v.as_str()),
        Some("Trần Thị B")
    );
    let by_alice = s
        .audit_log(&AuditFilter {
            actor: Some("alice".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_alice.len(), 1);
    assert_eq!(by_alice[0].unit.as_deref(), Some("so-noi-vu"));
}

async fn deleting_an_edition_cascades(s: &Store) {
    seed_subjects(s).await;
    s.save_edition(&edition("par-2020", 2020), "test")
        .await
        .unwrap();
    let rows = vec![result(
        "bac-giang",
        dec!(85.58),
        Some(13),
        [dec!(56.93), dec!(9.29), dec!(19.36)],
    )];
    s.import_results("par-2020", &rows, false, "test")
        .await
        .unwrap();
    s.delete_edition("par-2020", "test").await.unwrap();
    assert!(s.edition("par-2020").await.unwrap().is_none());
    assert!(s.results("par-2020").await.unwrap().is_empty());
    assert!(matches!(
        s.delete_edition("par-2020", "test").await,
        Err(StoreError::NotFound(_))
    ));
}

mod accounts {
    use super::*;
    use parindex_domain::access::Role;
    use parindex_store::{Session, ThrottleHit, UserInput};

    on_both_backends!(
        users_and_sessions,
        sessions_have_an_absolute_lifetime,
        throttle_counts_a_parallel_burst_once_each,
        throttle_locks_grow_windows_and_resets,
        a_new_password_lifts_the_accounts_locks,
    );

    const ANCIENT: &str = "1970-01-01T00:00:00Z";

    fn input(username: &str, role: Role, unit: Option<&str>) -> UserInput {
        UserInput {
            username: username.into(),
            display_name: "Nguyễn Văn Á".into(),
            role,
            unit: unit.map(str::to_string),
            lang: "vi".into(),
            active: true,
        }
    }

    async fn users_and_sessions(s: &Store) {
        s.save_units(
            &[unit("so-noi-vu", "Sở Nội vụ", UnitType::Department, None)],
            "test",
        )
        .await
        .unwrap();
        let id = s
            .create_user(
                &input("Coord", Role::Coordinator, Some("so-noi-vu")),
                "hash1",
                "admin",
            )
            .await
            .unwrap();
        let (u, hash) = s.user_by_username("coord").await.unwrap().unwrap();
        assert_eq!(
            (u.id, u.role, hash.as_str()),
            (id, Role::Coordinator, "hash1")
        );
        let err = s
            .create_user(&input("coord", Role::Leader, None), "h", "admin")
            .await
            .unwrap_err();
        assert!(refusals(err).has(
            "username",
            &RefusalKind::Exists {
                value: "coord".into()
            }
        ));
        let err = s
            .create_user(&input("agency1", Role::Agency, None), "h", "admin")
            .await
            .unwrap_err();
        assert!(refusals(err).has("unit", &RefusalKind::RoleNeedsUnit { role: Role::Agency }));
        let err = s
            .create_user(&input("agency1", Role::Agency, Some("so-x")), "h", "admin")
            .await
            .unwrap_err();
        assert!(refusals(err).has("unit", &unknown("so-x")));
        assert_eq!(s.users(Some("nguyen van a")).await.unwrap().len(), 1);

        let sess = Session {
            token_hash: "t1".into(),
            user_id: id,
            csrf_token: "c1".into(),
            expires_at: "2099-01-01T00:00:00Z".into(),
        };
        s.create_session(&sess).await.unwrap();
        let (got, user) = s
            .session("t1", "2026-01-01T00:00:00Z", ANCIENT)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (got.csrf_token.as_str(), user.username.as_str()),
            ("c1", "coord")
        );
        assert!(
            s.session("t1", "2099-01-01T00:00:01Z", ANCIENT)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        // Deactivating a user ends their sessions.
        let mut upd = input("coord", Role::Coordinator, Some("so-noi-vu"));
        upd.active = false;
        s.update_user(id, &upd, "admin").await.unwrap();
        assert!(s
            .session("t1", "2026-01-01T00:00:00Z", ANCIENT)
            .await
            .unwrap()
            .is_none());
        let log = s
            .audit_log(&AuditFilter {
                entity: Some("user".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 2);
    }

    async fn sessions_have_an_absolute_lifetime(s: &Store) {
        let id = s
            .create_user(&input("leader", Role::Leader, None), "h", "admin")
            .await
            .unwrap();
        let sess = |t: &str| Session {
            token_hash: t.into(),
            user_id: id,
            csrf_token: "c".into(),
            expires_at: "2099-01-01T00:00:00Z".into(),
        };
        s.create_session_at(&sess("old"), "2021-08-15T00:00:00Z")
            .await
            .unwrap();
        s.create_session_at(&sess("new"), "2021-08-15T10:00:00Z")
            .await
            .unwrap();
        // At 13:00 with a 12-hour lifetime, sessions created after 01:00 are still good.
        let now = "2021-08-15T13:00:00Z";
        let after = "2021-08-15T01:00:00Z";
        assert!(s.session("old", now, after).await.unwrap().is_none());
        assert!(s.session("new", now, after).await.unwrap().is_some());
        assert_eq!(s.purge_sessions(now, after).await.unwrap(), 1);
        assert!(
            s.session("old", now, ANCIENT).await.unwrap().is_none(),
            "purged"
        );
        assert!(s.session("new", now, ANCIENT).await.unwrap().is_some());
        // Idle expiry is purged too.
        assert_eq!(
            s.purge_sessions("2099-01-01T00:00:00Z", ANCIENT)
                .await
                .unwrap(),
            1
        );
    }

    fn hit<'a>(key: &'a str, now: &'a str, locks: [&'a str; 4]) -> ThrottleHit<'a> {
        ThrottleHit {
            kind: "pair",
            key,
            now,
            quiet_before: "2021-08-14T00:00:00Z",
            forget_before: "2021-08-01T00:00:00Z",
            limit: 5,
            lock_until: locks,
        }
    }

    const LOCKS: [&str; 4] = [
        "2021-08-15T10:15:00Z",
        "2021-08-15T10:30:00Z",
        "2021-08-15T11:00:00Z",
        "2021-08-15T12:00:00Z",
    ];

    async fn throttle_counts_a_parallel_burst_once_each(s: &Store) {
        let mut tasks = Vec::new();
        for _ in 0..24 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.throttle_hit(&hit("admin|198.51.100.1", "2021-08-15T10:00:00Z", LOCKS))
                    .await
                    .unwrap()
            }));
        }
        let mut counted = Vec::new();
        for t in tasks {
            if let Some(c) = t.await.unwrap() {
                counted.push(c);
            }
        }
        counted.sort_by_key(|c| c.attempts);
        assert_eq!(
            counted.iter().map(|c| c.attempts).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5],
            "exactly the limit gets through, each attempt counted once"
        );
        assert_eq!(counted[4].locked_until.as_deref(), Some(LOCKS[0]));
        assert!(counted[..4].iter().all(|c| c.locked_until.is_none()));
        assert_eq!(
            s.throttle_locked("pair", "admin|198.51.100.1", "2021-08-15T10:05:00Z")
                .await
                .unwrap()
                .as_deref(),
            Some(LOCKS[0])
        );
        assert_eq!(
            s.throttle_locked("pair", "admin|198.51.100.2", "2021-08-15T10:05:00Z")
                .await
                .unwrap(),
            None,
            "another address is not locked"
        );
    }

    async fn throttle_locks_grow_windows_and_resets(s: &Store) {
        let key = "ghost|203.0.113.9";
        let at = |t: &'static str| hit(key, t, LOCKS);
        for _ in 0..5 {
            s.throttle_hit(&at("2021-08-15T10:00:00Z"))
                .await
                .unwrap()
                .unwrap();
        }
        assert!(s
            .throttle_hit(&at("2021-08-15T10:14:59Z"))
            .await
            .unwrap()
            .is_none());
        // After the first lock, a new run; its lock is the second, longer one.
        let c = s
            .throttle_hit(&at("2021-08-15T10:15:00Z"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((c.attempts, c.locked_until), (1, None));
        for _ in 0..3 {
            s.throttle_hit(&at("2021-08-15T10:16:00Z"))
                .await
                .unwrap()
                .unwrap();
        }
        let c = s
            .throttle_hit(&at("2021-08-15T10:16:00Z"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((c.attempts, c.locked_until.as_deref()), (5, Some(LOCKS[1])));
        // A quiet window starts the count over (the quiet line passed last use).
        let mut quiet = at("2021-08-15T11:00:00Z");
        quiet.quiet_before = "2021-08-15T10:59:00Z";
        let c = s.throttle_hit(&quiet).await.unwrap().unwrap();
        assert_eq!(c.attempts, 1);
        let c = s
            .throttle_hit(&at("2021-08-15T11:00:01Z"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.attempts, 2);
        // A success forgets it all.
        s.throttle_reset("pair", key).await.unwrap();
        let c = s
            .throttle_hit(&at("2021-08-15T11:00:02Z"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.attempts, 1);
        // Old, unlocked counters are purged; locked ones are kept.
        for _ in 0..5 {
            s.throttle_hit(&hit(
                "locked|x",
                "2021-08-15T11:00:00Z",
                ["2021-08-15T12:00:00Z"; 4],
            ))
            .await
            .unwrap();
        }
        assert_eq!(
            s.purge_throttle("2021-08-15T11:30:00Z", "2021-08-15T11:30:00Z")
                .await
                .unwrap(),
            1,
            "the unlocked counter (ghost) goes, the locked one stays"
        );
        assert!(s
            .throttle_locked("pair", "locked|x", "2021-08-15T11:30:00Z")
            .await
            .unwrap()
            .is_some());
    }

    async fn a_new_password_lifts_the_accounts_locks(s: &Store) {
        let id = s
            .create_user(&input("le_ader", Role::Leader, None), "h", "admin")
            .await
            .unwrap();
        let now = "2021-08-15T10:00:00Z";
        for (kind, key) in [
            ("account", "le_ader"),
            ("pair", "le_ader|198.51.100.1"),
            ("pair", "lexader|198.51.100.1"),
            ("account", "other"),
        ] {
            for _ in 0..5 {
                let mut h = hit(key, now, LOCKS);
                h.kind = kind;
                s.throttle_hit(&h).await.unwrap();
            }
        }
        assert_eq!(
            s.throttled_accounts(now).await.unwrap(),
            ["le_ader", "other"]
        );
        s.set_password(id, "h2", None, "admin").await.unwrap();
        assert_eq!(s.throttled_accounts(now).await.unwrap(), ["other"]);
        assert!(s
            .throttle_locked("pair", "le_ader|198.51.100.1", now)
            .await
            .unwrap()
            .is_none());
        assert!(
            s.throttle_locked("pair", "lexader|198.51.100.1", now)
                .await
                .unwrap()
                .is_some(),
            "`_` in the name is not a wildcard"
        );
    }
}

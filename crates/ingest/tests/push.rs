//! Dossiers pushed as JSON (`parindex_ingest::push::push`, behind `POST /api/v1/dossiers`):
//! counts and overdue lists, idempotence, a later state, bad rows refused with their index and
//! field, one source per agency × month cell (a file-fed cell refuses pushes, a file import
//! replaces pushed dossiers), authorization per agency, the batch limit, and duplicate codes in
//! a file. Every test runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use parindex_domain::access::{can, Action, Actor, Role};
use parindex_domain::units::{Unit, UnitType};
use parindex_ingest::dossiers::{import, ImportFlags};
use parindex_ingest::push::{push, PushProblem};
use parindex_ingest::IngestError;
use parindex_interchange::dossiers::{BatchProblem, RowProblem, BATCH_MAX};
use parindex_store::{on_both_backends, AuditFilter, Store};

on_both_backends!(
    a_batch_is_counted_and_its_overdue_dossiers_listed,
    the_same_batch_again_changes_nothing,
    a_later_state_updates_the_dossier_and_moves_the_counts,
    a_bad_dossier_is_refused_with_its_index_and_field_and_the_others_stored,
    a_file_fed_cell_refuses_pushed_dossiers,
    a_file_import_replaces_the_pushed_dossiers_of_its_cells,
    a_unit_user_pushes_only_its_own_agencys_dossiers,
    more_than_ten_thousand_dossiers_are_refused_whole,
    duplicate_overdue_codes_in_a_file_are_reported_with_their_lines,
);

const AS_OF: (i16, i8, i8) = (2021, 7, 5);

fn as_of() -> jiff::civil::Date {
    jiff::civil::date(AS_OF.0, AS_OF.1, AS_OF.2)
}

async fn seed(store: &Store) {
    let u = |slug: &str, name: &str| Unit {
        slug: slug.into(),
        name_vi: name.into(),
        name_en: None,
        unit_type: UnitType::Department,
        parent: None,
        head_name: None,
        head_title: None,
    };
    store
        .save_units(
            &[
                u("so-tu-phap", "Sở Tư pháp"),
                u("so-tai-chinh", "Sở Tài chính"),
            ],
            "seed",
        )
        .await
        .unwrap();
}

fn coordinator() -> impl Fn(Option<&str>) -> bool + Sync {
    |unit| {
        can(
            &Actor {
                role: Role::Coordinator,
                unit: Some("so-noi-vu".into()),
            },
            &Action::PushDossierOf { unit },
        )
    }
}

/// One dossier as JSON: received `recv`, due `due`, closed `closed` (June 2021 unless the
/// dates say otherwise).
fn d(code: &str, agency: &str, recv: &str, due: &str, closed: Option<&str>) -> String {
    let closed = closed.map(|c| format!("\"{c}\"")).unwrap_or("null".into());
    format!(
        r#"{{"code":"{code}","agency":"{agency}","procedure":"1.001","level":"province","online_level":3,"received_at":"{recv}","due_at":"{due}","result_at":null,"closed_at":{closed},"status":"x"}}"#
    )
}

fn batch(ds: &[String]) -> Vec<u8> {
    format!(r#"{{"dossiers":[{}]}}"#, ds.join(",")).into_bytes()
}

/// Three dossiers of Sở Tư pháp in June 2021: early, late, and pending past its due date on
/// 5/7/2021.
fn june() -> Vec<String> {
    vec![
        d(
            "TP-1",
            "Sở Tư pháp",
            "2021-06-01T08:00:00+07:00",
            "2021-06-05",
            Some("2021-06-04T09:00:00+07:00"),
        ),
        d(
            "TP-2",
            "so-tu-phap",
            "2021-06-02 08:00",
            "2021-06-05",
            Some("2021-06-08T10:00:00+07:00"),
        ),
        d("TP-3", "so-tu-phap", "2021-06-03", "2021-06-10", None),
    ]
}

async fn cell(store: &Store, agency: &str, month: &str) -> Option<parindex_store::StoredCell> {
    store
        .dossier_cells()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.cell.agency == agency && c.cell.month.to_string() == month)
}

async fn overdue_codes(store: &Store, agency: &str) -> Vec<String> {
    let mut v: Vec<String> = store
        .overdue_dossiers(agency, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.dossier.code)
        .collect();
    v.sort();
    v
}

async fn audits(store: &Store, entity: &str) -> usize {
    store
        .audit_log(&AuditFilter {
            entity: Some(entity.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

async fn a_batch_is_counted_and_its_overdue_dossiers_listed(store: &Store) {
    seed(store).await;
    let s = push(
        store,
        batch(&june()),
        as_of(),
        "coordinator",
        &coordinator(),
    )
    .await
    .unwrap();
    assert_eq!((s.added, s.updated, s.unchanged), (3, 0, 0));
    assert!(s.refused.is_empty() && s.push_id.is_some());
    assert_eq!(
        s.cells, 1,
        "one agency × month cell: the name and the slug are one unit"
    );
    let c = cell(store, "so-tu-phap", "2021-06").await.unwrap();
    let k = c.cell.counts;
    assert_eq!(
        (
            k.received,
            k.resolved,
            k.early,
            k.on_time,
            k.late,
            k.pending,
            k.pending_overdue
        ),
        (3, 2, 1, 0, 1, 1, 1)
    );
    assert_eq!(c.cell.unit.as_deref(), Some("so-tu-phap"));
    assert_eq!(overdue_codes(store, "so-tu-phap").await, ["TP-2", "TP-3"]);
    let e = store
        .overdue_dossier("so-tu-phap", "TP-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.dossier.received_at, "2021-06-02T08:00:00+07:00");
    assert_eq!(
        e.dossier.closed_at.as_deref(),
        Some("2021-06-08T10:00:00+07:00")
    );
    assert_eq!(audits(store, "dossier_push").await, 1);
}

async fn the_same_batch_again_changes_nothing(store: &Store) {
    seed(store).await;
    push(
        store,
        batch(&june()),
        as_of(),
        "coordinator",
        &coordinator(),
    )
    .await
    .unwrap();
    let before = store.dossier_cells().await.unwrap();
    // Even a day later: nothing changed, so nothing is recomputed.
    let later = jiff::civil::date(2021, 7, 20);
    let s = push(store, batch(&june()), later, "coordinator", &coordinator())
        .await
        .unwrap();
    assert_eq!((s.added, s.updated, s.unchanged), (0, 0, 3));
    assert_eq!(s.push_id, None, "no record");
    assert_eq!(store.dossier_cells().await.unwrap(), before);
    assert_eq!(audits(store, "dossier_push").await, 1, "no new audit entry");
}

async fn a_later_state_updates_the_dossier_and_moves_the_counts(store: &Store) {
    seed(store).await;
    push(
        store,
        batch(&june()),
        as_of(),
        "coordinator",
        &coordinator(),
    )
    .await
    .unwrap();
    // TP-3, pending and overdue, is closed on its due date: on time now.
    let closed = d(
        "TP-3",
        "so-tu-phap",
        "2021-06-03",
        "2021-06-10",
        Some("2021-06-10T16:00:00+07:00"),
    );
    let s = push(
        store,
        batch(&[closed]),
        as_of(),
        "coordinator",
        &coordinator(),
    )
    .await
    .unwrap();
    assert_eq!((s.added, s.updated, s.unchanged), (0, 1, 0));
    let k = cell(store, "so-tu-phap", "2021-06")
        .await
        .unwrap()
        .cell
        .counts;
    assert_eq!(
        (
            k.received,
            k.early,
            k.on_time,
            k.late,
            k.pending,
            k.pending_overdue
        ),
        (3, 1, 1, 1, 0, 0)
    );
    assert_eq!(overdue_codes(store, "so-tu-phap").await, ["TP-2"]);
    // Received in July after all: it moves to July's cell, June's loses it.
    let moved = d(
        "TP-1",
        "so-tu-phap",
        "2021-07-01",
        "2021-07-05",
        Some("2021-07-02"),
    );
    push(
        store,
        batch(&[moved]),
        as_of(),
        "coordinator",
        &coordinator(),
    )
    .await
    .unwrap();
    assert_eq!(
        cell(store, "so-tu-phap", "2021-06")
            .await
            .unwrap()
            .cell
            .counts
            .received,
        2
    );
    assert_eq!(
        cell(store, "so-tu-phap", "2021-07")
            .await
            .unwrap()
            .cell
            .counts
            .early,
        1
    );
    assert_eq!(audits(store, "dossier_push").await, 3);
}

async fn a_bad_dossier_is_refused_with_its_index_and_field_and_the_others_stored(store: &Store) {
    seed(store).await;
    let mut ds = june();
    // Due the day before it was received: the file import's rule.
    ds.insert(1, d("TP-9", "so-tu-phap", "2021-06-05", "2021-06-04", None));
    ds.push(r#"{"code":"TP-10","agency":"so-tu-phap","procedure":"1.001","level":"federal","received_at":"2021-06-01","due_at":"2021-06-02"}"#.into());
    ds.push(d(
        "TP-1",
        "so-tu-phap",
        "2021-06-01T08:00:00+07:00",
        "2021-06-05",
        None,
    ));
    let s = push(store, batch(&ds), as_of(), "coordinator", &coordinator())
        .await
        .unwrap();
    assert_eq!(s.added, 3);
    let refused: Vec<(usize, &str, Option<&str>, &PushProblem)> = s
        .refused
        .iter()
        .map(|r| (r.index, r.code.as_str(), r.field, &r.problem))
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert_eq!(
        (refused[0].0, refused[0].1, refused[0].2),
        (1, "TP-9", Some("due_at"))
    );
    assert!(matches!(
        refused[0].3,
        PushProblem::Row(RowProblem::Times(_))
    ));
    assert_eq!((refused[1].0, refused[1].2), (4, Some("level")));
    assert!(matches!(
        refused[1].3,
        PushProblem::Row(RowProblem::UnknownLevel { .. })
    ));
    assert_eq!(refused[2].0, 5);
    assert_eq!(refused[2].3, &PushProblem::Repeated { first: 0 });
    assert_eq!(
        cell(store, "so-tu-phap", "2021-06")
            .await
            .unwrap()
            .cell
            .counts
            .received,
        3
    );
}

const HEADER: &str =
    "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n";

async fn import_file(
    store: &Store,
    name: &str,
    body: &str,
    dry_run: bool,
) -> parindex_ingest::dossiers::ImportSummary {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    import(
        store,
        &path,
        &ImportFlags::default(),
        as_of(),
        dry_run,
        "coordinator",
    )
    .await
    .unwrap()
}

async fn a_file_fed_cell_refuses_pushed_dossiers(store: &Store) {
    seed(store).await;
    let file = format!(
        "{HEADER}TC-1,so-tai-chinh,2.001,province,3,2021-06-01,2021-06-05,,2021-06-04,closed\n"
    );
    let done = import_file(store, "thang-6.csv", &file, false).await;
    let import_id = done.import_id.unwrap();
    let ds = vec![
        d("TC-2", "Sở Tài chính", "2021-06-02", "2021-06-05", None),
        d(
            "TC-3",
            "so-tai-chinh",
            "2021-07-01",
            "2021-07-02",
            Some("2021-07-02"),
        ),
    ];
    let s = push(store, batch(&ds), as_of(), "coordinator", &coordinator())
        .await
        .unwrap();
    assert_eq!(s.added, 1, "July is not the file's");
    assert_eq!(s.refused.len(), 1);
    assert_eq!(s.refused[0].index, 0);
    assert_eq!(
        s.refused[0].problem,
        PushProblem::CellFromFile { import_id }
    );
    assert_eq!(
        cell(store, "so-tai-chinh", "2021-06")
            .await
            .unwrap()
            .cell
            .counts
            .received,
        1
    );
}

async fn a_file_import_replaces_the_pushed_dossiers_of_its_cells(store: &Store) {
    seed(store).await;
    push(
        store,
        batch(&june()),
        as_of(),
        "coordinator",
        &coordinator(),
    )
    .await
    .unwrap();
    let file = format!(
        "{HEADER}TP-7,so-tu-phap,1.001,province,3,2021-06-01,2021-06-05,,2021-06-04,closed\n"
    );
    let check = import_file(store, "thang-6.csv", &file, true).await;
    assert_eq!(
        check.pushed_replaced, 3,
        "the check says what the file would replace"
    );
    assert!(
        check.text.contains("3 dossiers pushed through the API"),
        "{}",
        check.text
    );
    let done = import_file(store, "thang-6.csv", &file, false).await;
    assert_eq!(done.pushed_replaced, 3);
    assert!(store.pushed_cells().await.unwrap().is_empty());
    let c = cell(store, "so-tu-phap", "2021-06").await.unwrap();
    assert_eq!(c.cell.counts.received, 1);
    assert_eq!(c.import_id, done.import_id.unwrap());
    assert!(overdue_codes(store, "so-tu-phap").await.is_empty());
    // Now the file's: a push into June is refused.
    let s = push(
        store,
        batch(&june()),
        as_of(),
        "coordinator",
        &coordinator(),
    )
    .await
    .unwrap();
    assert_eq!(s.refused.len(), 3);
}

async fn a_unit_user_pushes_only_its_own_agencys_dossiers(store: &Store) {
    seed(store).await;
    let agency = Actor {
        role: Role::Agency,
        unit: Some("so-tu-phap".into()),
    };
    let may = |unit: Option<&str>| can(&agency, &Action::PushDossierOf { unit });
    let ds = vec![
        d("TP-1", "so-tu-phap", "2021-06-01", "2021-06-05", None),
        d("TC-1", "Sở Tài chính", "2021-06-01", "2021-06-05", None),
        d(
            "X-1",
            "Ban không phải đơn vị",
            "2021-06-01",
            "2021-06-05",
            None,
        ),
    ];
    let s = push(store, batch(&ds), as_of(), "tuphap", &may)
        .await
        .unwrap();
    assert_eq!(s.added, 1);
    let refused: Vec<(usize, &PushProblem)> =
        s.refused.iter().map(|r| (r.index, &r.problem)).collect();
    assert_eq!(
        refused,
        [
            (1, &PushProblem::NotYourAgency),
            (2, &PushProblem::NotYourAgency)
        ]
    );
    assert!(cell(store, "so-tai-chinh", "2021-06").await.is_none());
}

async fn more_than_ten_thousand_dossiers_are_refused_whole(store: &Store) {
    seed(store).await;
    let one = d("TP-1", "so-tu-phap", "2021-06-01", "2021-06-05", None);
    let ds = vec![one; BATCH_MAX + 1];
    let err = push(store, batch(&ds), as_of(), "coordinator", &coordinator())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IngestError::Batch(BatchProblem::TooMany { max: BATCH_MAX })
        ),
        "{err}"
    );
    assert!(store.dossier_cells().await.unwrap().is_empty());
}

async fn duplicate_overdue_codes_in_a_file_are_reported_with_their_lines(store: &Store) {
    seed(store).await;
    let file = format!(
        "{HEADER}\
         TP-1,so-tu-phap,1.001,province,3,2021-06-01,2021-06-05,,2021-06-08,closed\n\
         TP-2,so-tu-phap,1.001,province,3,2021-06-01,2021-06-05,,2021-06-04,closed\n\
         TP-1,so-tu-phap,1.001,province,3,2021-06-02,2021-06-05,,,processing\n\
         TP-2,so-tu-phap,1.001,province,3,2021-06-01,2021-06-05,,2021-06-04,closed\n"
    );
    for dry_run in [true, false] {
        let s = import_file(store, "trung.csv", &file, dry_run).await;
        assert_eq!(s.duplicate_codes, 1, "TP-2 is closed early: not compared");
        assert_eq!(s.duplicates[0].code, "TP-1");
        assert_eq!(s.duplicates[0].lines, [2, 4]);
        assert!(
            s.text.contains("TP-1 (so-tu-phap, lines 2, 4)"),
            "{}",
            s.text
        );
    }
    let log = store
        .audit_log(&AuditFilter {
            entity: Some("dossier_import".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log[0].after.as_ref().unwrap()["duplicates"]["count"], 1);
}

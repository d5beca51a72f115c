//! The bulk load of a dossier import (SQLite: its own connection and the C API; PostgreSQL:
//! `COPY … FROM STDIN` in the binary format, streamed in chunks): hostile texts and tens of
//! thousands of dossiers come back exactly as given, a cell first seen late in the stream
//! replaces what was stored for it, and an import dropped midway leaves the stored data as it
//! was. Every test runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use parindex_domain::dossiers::{Counts, DossierLevel, Month, Outcome, OverdueDossier};
use parindex_store::{AuditFilter, DossierCell, DossierImportMeta, Store};

use parindex_store::on_both_backends;

on_both_backends!(
    hostile_texts_and_many_chunks_are_stored_exactly,
    an_import_dropped_midway_leaves_the_stored_data_as_it_was,
);

const AGENCIES: [&str; 2] = ["so-tu-phap", "Ban \"Quản lý\"\tdự án, số 1"];

/// Texts that a `COPY` in text or CSV format would have to escape, and others.
fn hostile(i: usize) -> String {
    const TEXTS: [&str; 14] = [
        "tab\there",
        "line\nbreak",
        "carriage\r\nreturn",
        "back\\slash \\t \\n",
        "\\N",
        "\\.",
        "end of data\n\\.\nafter",
        "quote\"s and 'single' and ``",
        "comma, semicolon; pipe|",
        "Thủ tục đăng ký hộ kinh doanh — Đắk Lắk",
        "emoji 🙂 and CJK 中文",
        "=HYPERLINK(\"http://x\")",
        "\u{feff}byte-order mark",
        "PGCOPY\n\u{ff}\r\n",
    ];
    TEXTS[i % TEXTS.len()].to_string()
}

fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

/// Dossier `i` of a cell; every tenth one with hostile texts.
fn dossier(i: usize, agency: &str, m: &str) -> OverdueDossier {
    let late = !i.is_multiple_of(3);
    let day = 1 + i % 28;
    let odd = i.is_multiple_of(10);
    OverdueDossier {
        outcome: if late {
            Outcome::Late
        } else {
            Outcome::PendingOverdue
        },
        code: if odd {
            format!("{}#{i:06}", hostile(i / 10))
        } else {
            format!("H06.{i:06}")
        },
        agency: agency.to_string(),
        procedure: if odd {
            hostile(i / 10 + 3)
        } else {
            format!("1.00{}", i % 97)
        },
        level: [
            DossierLevel::Province,
            DossierLevel::District,
            DossierLevel::Commune,
        ][i % 3],
        online_level: (i % 5) as u8,
        received_at: format!("{m}-{day:02}T08:00:00+07:00"),
        due_at: format!("{m}-{day:02}T17:00:00+07:00"),
        result_at: late.then(|| format!("{m}-{:02}T09:30:00+07:00", day.min(27) + 1)),
        closed_at: (late && i % 4 != 1)
            .then(|| format!("{m}-{:02}T10:00:00+07:00", day.min(27) + 1)),
        // None, an empty text and a hostile one are three different things.
        status: match i % 7 {
            0 => None,
            1 => Some(String::new()),
            2 => Some(hostile(i)),
            _ => Some("Đã trả kết quả".into()),
        },
        month: month(m),
    }
}

fn meta() -> DossierImportMeta {
    DossierImportMeta {
        file_name: "tab\there, \"quoted\"\n.csv".into(),
        as_of: jiff::civil::date(2021, 9, 1),
        sample: false,
        rows: 0,
        skipped: 0,
    }
}

/// The cells of `rows` (every dossier late or pending overdue).
fn cells_of(rows: &[OverdueDossier]) -> Vec<DossierCell> {
    let mut cells: Vec<DossierCell> = Vec::new();
    for d in rows {
        let at = match cells
            .iter()
            .position(|c| c.agency == d.agency && c.month == d.month)
        {
            Some(at) => at,
            None => {
                cells.push(DossierCell {
                    agency: d.agency.clone(),
                    unit: None,
                    month: d.month,
                    counts: Counts::default(),
                });
                cells.len() - 1
            }
        };
        let c = &mut cells[at].counts;
        c.received += 1;
        if d.outcome == Outcome::Late {
            c.resolved += 1;
            c.late += 1;
        } else {
            c.pending += 1;
            c.pending_overdue += 1;
        }
    }
    cells
}

/// Every stored overdue dossier, by agency then code.
async fn stored(store: &Store) -> Vec<OverdueDossier> {
    let mut out = Vec::new();
    for a in AGENCIES {
        out.extend(
            store
                .overdue_dossiers(a, None)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.dossier),
        );
    }
    out.sort_by(|a, b| (&a.agency, &a.code).cmp(&(&b.agency, &b.code)));
    out
}

fn sorted(mut rows: Vec<OverdueDossier>) -> Vec<OverdueDossier> {
    rows.sort_by(|a, b| (&a.agency, &a.code).cmp(&(&b.agency, &b.code)));
    rows
}

/// A first, small import of May (three dossiers of so-tu-phap): what a later import replaces.
async fn seed_may(store: &Store) -> Vec<OverdueDossier> {
    let rows: Vec<OverdueDossier> = (1..=3)
        .map(|i| OverdueDossier {
            code: format!("OLD-{i}"),
            ..dossier(i, AGENCIES[0], "2021-05")
        })
        .collect();
    let mut tx = store
        .begin_dossier_import(&meta(), &cells_of(&rows), "sonoivu")
        .await
        .unwrap();
    tx.add_overdue(&rows).await.unwrap();
    tx.commit().await.unwrap();
    rows
}

/// 30,000 dossiers (several megabytes: several chunks of one `COPY`) with hostile texts, a
/// field longer than a chunk, May replacing an earlier import's May at its first dossier, and
/// July first seen after 20,000 dossiers (the `COPY` is finished for the deletion, then
/// another begins).
async fn hostile_texts_and_many_chunks_are_stored_exactly(store: &Store) {
    seed_may(store).await;
    let mut rows: Vec<OverdueDossier> = Vec::new();
    for i in 0..20_000 {
        let m = if i % 2 == 0 { "2021-05" } else { "2021-06" };
        rows.push(dossier(i, AGENCIES[i % 2], m));
    }
    rows[777].procedure = "Thủ tục \t\"dài\"\n".repeat(100_000);
    for i in 20_000..30_000 {
        rows.push(dossier(i, AGENCIES[i % 2], "2021-07"));
    }
    let mut tx = store.open_dossier_import(&meta(), "sonoivu").await.unwrap();
    for chunk in rows.chunks(2_000) {
        tx.add_overdue(chunk).await.unwrap();
    }
    let cells = cells_of(&rows);
    tx.replace_cells(&cells).await.unwrap();
    tx.set_rows(rows.len() as u64, 0);
    tx.commit().await.unwrap();

    let got = stored(store).await;
    let want = sorted(rows);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    assert!(
        !got.iter().any(|d| d.code.starts_with("OLD-")),
        "May of the first import replaced"
    );
    let mut stored_cells: Vec<DossierCell> = store
        .dossier_cells()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.cell)
        .collect();
    let mut want_cells = cells;
    stored_cells.sort_by(|a, b| (&a.agency, a.month).cmp(&(&b.agency, b.month)));
    want_cells.sort_by(|a, b| (&a.agency, a.month).cmp(&(&b.agency, b.month)));
    assert_eq!(stored_cells, want_cells);
    let audit = store
        .audit_log(&AuditFilter {
            entity: Some("dossier_import".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    let after = audit
        .iter()
        .filter_map(|a| a.after.as_ref())
        .find(|a| a["overdue"] == 30_000)
        .expect("the audit entry of the second import");
    assert_eq!(after["file"], "tab\there, \"quoted\"\n.csv");
    assert_eq!(after["rows"], 30_000);
}

/// An import that stored 20,000 dossiers (deleting May's earlier ones at its first May dossier)
/// and is dropped before its commit — as when the reading fails or the process dies — leaves
/// every table as it was; the next import goes through.
async fn an_import_dropped_midway_leaves_the_stored_data_as_it_was(store: &Store) {
    let may = seed_may(store).await;
    let cells_before = store.dossier_cells().await.unwrap();
    let rows: Vec<OverdueDossier> = (0..20_000)
        .map(|i| dossier(i, AGENCIES[i % 2], ["2021-05", "2021-06"][i % 2]))
        .collect();
    for cells_given in [false, true] {
        let mut tx = store.open_dossier_import(&meta(), "sonoivu").await.unwrap();
        for chunk in rows.chunks(2_000) {
            tx.add_overdue(chunk).await.unwrap();
        }
        if cells_given {
            tx.replace_cells(&cells_of(&rows)).await.unwrap();
        }
        drop(tx);
        assert_eq!(stored(store).await, sorted(may.clone()));
        assert_eq!(store.dossier_cells().await.unwrap(), cells_before);
        let audit = store
            .audit_log(&AuditFilter {
                entity: Some("dossier_import".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 1, "only the first import");
    }
    // The next import replaces May and adds June.
    let mut tx = store.open_dossier_import(&meta(), "sonoivu").await.unwrap();
    tx.add_overdue(&rows).await.unwrap();
    tx.replace_cells(&cells_of(&rows)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored(store).await, sorted(rows));
}

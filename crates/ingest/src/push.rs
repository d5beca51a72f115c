//! `POST /api/v1/dossiers`: a JSON batch of dossiers read ([`read_batch`]), each checked with
//! the file import's own row rules ([`parindex_interchange::dossiers::check_row`], through
//! `BatchRow::check`), its agency matched to a unit the way the file import matches it,
//! authorized, and stored by [`Store::push_dossiers`] in one transaction. Documented in
//! `docs/dossiers.md` ("Pushing dossiers") and `docs/api.md`.

use crate::dossiers::Agencies;
use crate::error::{IngestError, Result};
use parindex_domain::dossiers::day_of;
use parindex_interchange::dossiers::{local_time_text, read_batch, RowProblem, BATCH_MAX};
use parindex_store::{PushChange, PushRefusal, PushedDossier, Store};
use std::collections::HashMap;

/// Why one dossier of a batch was refused, typed: the web words it in Vietnamese and English
/// (the catalogue), [`PushProblem::kind`] names it in the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushProblem {
    /// The file import's rules (or the batch's own: not a text, too long, not an object).
    #[error("{0}")]
    Row(RowProblem),
    /// The same agency and code earlier in the batch (at that index): send one state.
    #[error("the same dossier is at index {first} of the batch")]
    Repeated { first: usize },
    /// The user may push only its own agency's dossiers.
    #[error("not your agency's dossier")]
    NotYourAgency,
    /// The dossier's agency × month was imported from a file (that import).
    #[error("its agency and month come from the file import {import_id}")]
    CellFromFile { import_id: i64 },
}

impl PushProblem {
    /// The kind as the API names it (`snake_case`).
    pub fn kind(&self) -> &'static str {
        match self {
            PushProblem::Row(p) => match p {
                RowProblem::ColumnCount { .. } => "column_count",
                RowProblem::NotUtf8 => "not_utf8",
                RowProblem::Empty => "empty",
                RowProblem::Time(_) => "not_a_time",
                RowProblem::YearOutOfRange => "year_out_of_range",
                RowProblem::UnknownLevel { .. } => "unknown_level",
                RowProblem::UnknownOnlineLevel { .. } => "unknown_online_level",
                RowProblem::Times(_) => "times_out_of_order",
                RowProblem::NotText => "not_text",
                RowProblem::TooLong { .. } => "too_long",
                RowProblem::NotAnObject => "not_an_object",
            },
            PushProblem::Repeated { .. } => "repeated",
            PushProblem::NotYourAgency => "not_your_agency",
            PushProblem::CellFromFile { .. } => "cell_from_file",
        }
    }
}

/// A dossier of the batch refused: its index in the list (from 0), its code as sent, the field
/// to blame (if one) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub index: usize,
    pub code: String,
    pub field: Option<&'static str>,
    pub problem: PushProblem,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// By index.
    pub refused: Vec<Refused>,
    /// The push's record when anything changed (`dossier_imports`, source `push`).
    pub push_id: Option<i64>,
    /// The agency × month cells recomputed.
    pub cells: usize,
}

/// Read, check, authorize and store a batch. `may_push(unit)`: whether the user may push a
/// dossier of this unit (`None`: an agency that is no unit), `domain::access`'s
/// `PushDossierOf`. `as_of`: the push's day (the application's clock), for pending-overdue.
/// A body that is not a batch, or holds more than [`BATCH_MAX`] dossiers, is
/// [`IngestError::Batch`] and nothing is stored; refused dossiers are listed and the others
/// stored.
pub async fn push(
    store: &Store,
    body: Vec<u8>,
    as_of: jiff::civil::Date,
    actor: &str,
    may_push: &(dyn Fn(Option<&str>) -> bool + Sync),
) -> Result<PushSummary> {
    let as_of_day = day_of(as_of);
    // Reading and checking are CPU work (up to 10,000 dossiers): on the blocking pool.
    let checked = tokio::task::spawn_blocking(move || {
        read_batch(&body, BATCH_MAX).map(|rows| {
            rows.iter()
                .map(|r| (r.code().to_string(), r.check(as_of_day)))
                .collect::<Vec<_>>()
        })
    })
    .await
    .map_err(|source| IngestError::Task {
        file: "POST /api/v1/dossiers".into(),
        source,
    })?
    .map_err(IngestError::Batch)?;
    let mut agencies = Agencies::load(store).await?;
    let mut refused: Vec<Refused> = Vec::new();
    let mut good: Vec<(usize, PushedDossier)> = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (index, (code, check)) in checked.into_iter().enumerate() {
        let mut refuse = |field, problem| {
            refused.push(Refused {
                index,
                code: code.clone(),
                field,
                problem,
            })
        };
        let d = match check {
            Ok(d) => d,
            Err((field, p)) => {
                refuse(field, PushProblem::Row(p));
                continue;
            }
        };
        let unit = agencies.unit(&d.agency);
        if !may_push(unit.as_deref()) {
            refuse(Some("agency"), PushProblem::NotYourAgency);
            continue;
        }
        let agency = unit.clone().unwrap_or_else(|| d.agency.clone());
        match seen.entry((agency.clone(), d.code.clone())) {
            std::collections::hash_map::Entry::Occupied(e) => {
                refuse(Some("code"), PushProblem::Repeated { first: *e.get() });
                continue;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(index);
            }
        }
        let c = d.row;
        good.push((
            index,
            PushedDossier {
                agency,
                unit,
                code: d.code,
                procedure: d.procedure,
                level: c.level,
                online_level: c.online_level,
                received_at: local_time_text(c.received),
                due_at: local_time_text(c.due),
                result_at: c.result.map(local_time_text),
                closed_at: c.closed.map(local_time_text),
                status: d.status,
                month: c.month,
            },
        ));
    }
    let dossiers: Vec<PushedDossier> = good.iter().map(|(_, d)| d.clone()).collect();
    let mut out = PushSummary::default();
    if !dossiers.is_empty() {
        let res = store.push_dossiers(&dossiers, as_of, actor).await?;
        for ((index, d), change) in good.iter().zip(res.changes) {
            match change {
                PushChange::Added => out.added += 1,
                PushChange::Updated => out.updated += 1,
                PushChange::Unchanged => out.unchanged += 1,
                PushChange::Refused(PushRefusal::CellFromFile { import_id }) => {
                    refused.push(Refused {
                        index: *index,
                        code: d.code.clone(),
                        field: Some("received_at"),
                        problem: PushProblem::CellFromFile { import_id },
                    })
                }
            }
        }
        out.push_id = res.push_id;
        out.cells = res.cells.len();
    }
    refused.sort_by_key(|r| r.index);
    out.refused = refused;
    Ok(out)
}

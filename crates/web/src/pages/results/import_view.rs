//! What the results import shows: the file read, the problems of the set it would leave, and
//! the preview of what it changes.

use super::opt_rank;
use crate::i18n::{self, Lang};
use crate::upload::{self, file_problem, file_problems, fingerprint, FileProblem};
use parindex_domain::edition::Edition;
use parindex_domain::results::{after_import, check_set, PublishedResult};
use parindex_interchange::results as rx;
use parindex_store::ResultsChange;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

pub struct PreviewRow {
    pub name: String,
    pub total: Option<Decimal>,
    pub rank: String,
}

pub struct ChangedRow {
    pub name: String,
    pub old_total: Option<Decimal>,
    pub new_total: Option<Decimal>,
    pub old_rank: String,
    pub new_rank: String,
}

#[derive(Default)]
pub struct PreviewView {
    pub added: Vec<PreviewRow>,
    pub changed: Vec<ChangedRow>,
    pub removed: Vec<PreviewRow>,
    pub unchanged: usize,
}

impl PreviewView {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// What the user sees of a [`ResultsChange`].
pub fn preview_view(c: &ResultsChange, names: &BTreeMap<String, String>) -> PreviewView {
    let name = |s: &str| names.get(s).cloned().unwrap_or_else(|| s.to_string());
    let row = |r: &PublishedResult| PreviewRow {
        name: name(&r.subject),
        total: r.total,
        rank: opt_rank(r.rank),
    };
    PreviewView {
        added: c.added.iter().map(row).collect(),
        changed: c
            .changed
            .iter()
            .map(|(o, n)| ChangedRow {
                name: name(&n.subject),
                old_total: o.total,
                new_total: n.total,
                old_rank: opt_rank(o.rank),
                new_rank: opt_rank(n.rank),
            })
            .collect(),
        removed: c.removed.iter().map(row).collect(),
        unchanged: c.unchanged,
    }
}

/// A subject given twice in the file, as the preview tells which row the user's choice kept.
pub struct SettledRow {
    pub name: String,
    pub kept_row: usize,
    pub kept_total: Option<Decimal>,
    pub dropped_row: usize,
    pub dropped_total: Option<Decimal>,
}

/// What the preview shows of the duplicates a choice settled.
pub fn settled_view(settled: &[rx::Settled], names: &BTreeMap<String, String>) -> Vec<SettledRow> {
    settled
        .iter()
        .map(|s| SettledRow {
            name: names
                .get(&s.subject)
                .cloned()
                .unwrap_or_else(|| s.subject.clone()),
            kept_row: s.kept_row,
            kept_total: s.kept_total,
            dropped_row: s.dropped_row,
            dropped_total: s.dropped_total,
        })
        .collect()
}

/// Read an uploaded results file for `edition`; a subject given twice is kept as `prefer` says
/// (refused without one).
pub(super) fn parse_results_upload(
    lang: Lang,
    edition: &Edition,
    known: &BTreeSet<String>,
    (file_name, bytes): (&str, &[u8]),
    prefer: Option<rx::Prefer>,
) -> Result<rx::ResultsRead, Vec<FileProblem>> {
    let t = |k: &str| i18n::t(lang, k);
    let is_known = |s: &str| known.contains(s);
    let text = || {
        std::str::from_utf8(bytes)
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .map_err(|_| vec![file_problem(t("results.not_utf8"))])
    };
    let read = match upload::extension(file_name).as_str() {
        "csv" => rx::results_from_csv_preferring(&text()?, file_name, edition, &is_known, prefer),
        "json" => rx::results_from_json_preferring(&text()?, file_name, edition, &is_known, prefer),
        "xlsx" => rx::results_from_xlsx_preferring(
            std::io::Cursor::new(bytes),
            file_name,
            edition,
            &is_known,
            prefer,
        ),
        _ => return Err(vec![file_problem(t("results.unsupported"))]),
    };
    read.map_err(|e| file_problems(lang, &e))
}

/// Problems of the set after the import (the file's rows merged into what is stored, unless
/// replacing): a published rank may contradict totals that are only in the database.
pub fn merged_problems(
    lang: Lang,
    edition: &Edition,
    existing: &[PublishedResult],
    incoming: &[PublishedResult],
    replace: bool,
) -> Vec<FileProblem> {
    check_set(edition, &after_import(existing, incoming, replace))
        .into_iter()
        .map(|p| FileProblem {
            row: String::new(),
            column: p.field.clone(),
            message: match &p.subject {
                Some(s) => format!("{s}: {}", crate::refusals::result_problem(lang, &p.kind)),
                None => crate::refusals::result_problem(lang, &p.kind),
            },
        })
        .collect()
}

pub(super) fn results_fingerprint(existing: &[PublishedResult]) -> String {
    fingerprint(&serde_json::to_string(existing).unwrap_or_default())
}

//! What the results import shows: the file read, the problems of the set it would leave, and
//! the preview of what it changes.

use super::opt_rank;
use crate::i18n::{self, Lang};
use crate::upload::{self, file_problem, file_problems, fingerprint, FileProblem};
use parindex_domain::edition::Edition;
use parindex_domain::results::{after_import, check_set, PublishedResult};
use parindex_store::ResultsChange;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

pub struct PreviewRow {
    pub name: String,
    pub total: Decimal,
    pub rank: String,
}

pub struct ChangedRow {
    pub name: String,
    pub old_total: Decimal,
    pub new_total: Decimal,
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

/// Read an uploaded results file for `edition`.
pub(super) fn parse_results_upload(
    lang: Lang,
    edition: &Edition,
    known: &BTreeSet<String>,
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<PublishedResult>, Vec<FileProblem>> {
    use parindex_interchange::results as rx;
    let t = |k: &str| i18n::t(lang, k);
    let is_known = |s: &str| known.contains(s);
    let text = || {
        std::str::from_utf8(bytes)
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .map_err(|_| vec![file_problem(t("results.not_utf8"))])
    };
    let read = match upload::extension(file_name).as_str() {
        "csv" => rx::results_from_csv(&text()?, file_name, edition, &is_known),
        "json" => rx::results_from_json(&text()?, file_name, edition, &is_known),
        "xlsx" => rx::results_from_xlsx(std::io::Cursor::new(bytes), file_name, edition, &is_known),
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

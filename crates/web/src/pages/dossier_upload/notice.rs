//! The notice after a dossier import (`/dossiers?import=ID`): what the import stored, told from
//! its audit record and its cells, with the pushed dossiers it replaced and the duplicate codes
//! it found.

use super::months_text;
use crate::auth::CurrentUser;
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::AppState;
use parindex_domain::dossiers::Month;
use parindex_store::{AuditFilter, StoredCell};

/// A duplicate code in words: `code (agency): lines 3, 9`.
pub(super) fn duplicate_text(lang: Lang, code: &str, agency: &str, lines: &[u64]) -> String {
    let lines: Vec<String> = lines.iter().map(u64::to_string).collect();
    i18n::t(lang, "dossiers.upload.duplicate_item")
        .replace("{code}", code)
        .replace("{agency}", agency)
        .replace("{lines}", &lines.join(", "))
}

/// What an import stored, for the notice after the redirect.
pub(super) struct Imported {
    pub(super) file: String,
    pub(super) as_of: String,
    pub(super) rows: u64,
    pub(super) cells: usize,
    pub(super) months: Option<(Month, Month)>,
    pub(super) late: u64,
    pub(super) pending_overdue: u64,
    pub(super) skipped: u64,
    pub(super) unmatched: Vec<String>,
    pub(super) sample: bool,
    /// Pushed dossiers the file replaced.
    pub(super) pushed_removed: u64,
    /// Duplicate codes: how many, and the first in words.
    pub(super) duplicate_codes: u64,
    pub(super) duplicates: Vec<String>,
}

pub(super) fn notice_text(lang: Lang, i: &Imported) -> String {
    let t = |k: &str| i18n::t(lang, k);
    let mut text = t("dossiers.upload.imported")
        .replace("{file}", &i.file)
        .replace("{rows}", &i.rows.to_string())
        .replace("{cells}", &i.cells.to_string())
        .replace("{months}", &months_text(i.months))
        .replace("{late}", &i.late.to_string())
        .replace("{pending}", &i.pending_overdue.to_string())
        .replace("{as_of}", &i.as_of);
    if i.skipped > 0 {
        text.push(' ');
        text.push_str(
            &t("dossiers.upload.imported_skipped").replace("{n}", &i.skipped.to_string()),
        );
    }
    if !i.unmatched.is_empty() {
        let mut names: Vec<&str> = i.unmatched.iter().take(10).map(String::as_str).collect();
        if i.unmatched.len() > 10 {
            names.push("…");
        }
        text.push(' ');
        text.push_str(
            &t("dossiers.upload.imported_unmatched")
                .replace("{n}", &i.unmatched.len().to_string())
                .replace("{names}", &names.join(", ")),
        );
    }
    if i.pushed_removed > 0 {
        text.push(' ');
        text.push_str(
            &t("dossiers.upload.imported_pushed").replace("{n}", &i.pushed_removed.to_string()),
        );
    }
    if i.duplicate_codes > 0 {
        text.push(' ');
        text.push_str(
            &t("dossiers.upload.imported_duplicates")
                .replace("{n}", &i.duplicate_codes.to_string())
                .replace("{codes}", &i.duplicates.join("; ")),
        );
    }
    if i.sample {
        text.push(' ');
        text.push_str(t("dossiers.upload.imported_sample"));
    }
    text
}

/// The duplicate codes an import's audit entry keeps, in words.
fn audit_duplicates(lang: Lang, after: &serde_json::Value) -> (u64, Vec<String>) {
    let d = &after["duplicates"];
    let codes = d["codes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    let lines: Vec<u64> = c["lines"]
                        .as_array()
                        .map(|l| l.iter().filter_map(|x| x.as_u64()).collect())
                        .unwrap_or_default();
                    duplicate_text(
                        lang,
                        c["code"].as_str().unwrap_or_default(),
                        c["agency"].as_str().unwrap_or_default(),
                        &lines,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (d["count"].as_u64().unwrap_or(0), codes)
}

/// The notice after an import by this user (`/dossiers?import=ID`): what the import stored,
/// from its audit record and its cells. `None` for an unknown import or another user's.
pub async fn imported_notice(
    state: &AppState,
    cu: &CurrentUser,
    lang: Lang,
    id: i64,
    cells: &[StoredCell],
) -> Result<Option<String>, PageError> {
    let log = state
        .store
        .audit_log(&AuditFilter {
            actor: Some(cu.user.username.clone()),
            entity: Some("dossier_import".into()),
            limit: 50,
            ..Default::default()
        })
        .await?;
    let Some(entry) = log.iter().find(|e| e.entity_id == id.to_string()) else {
        return Ok(None);
    };
    let after = entry.after.clone().unwrap_or_default();
    let mine: Vec<&StoredCell> = cells.iter().filter(|c| c.import_id == id).collect();
    let first = mine.iter().map(|c| c.cell.month).min();
    let last = mine.iter().map(|c| c.cell.month).max();
    let mut unmatched: Vec<String> = mine
        .iter()
        .filter(|c| c.cell.unit.is_none())
        .map(|c| c.cell.agency.clone())
        .collect();
    unmatched.sort();
    unmatched.dedup();
    let as_of = after["as_of"]
        .as_str()
        .and_then(|s| s.parse::<jiff::civil::Date>().ok())
        .map(dates::date)
        .unwrap_or_default();
    let (duplicate_codes, duplicates) = audit_duplicates(lang, &after);
    let imported = Imported {
        pushed_removed: after["pushed_removed"].as_u64().unwrap_or(0),
        duplicate_codes,
        duplicates,
        file: after["file"].as_str().unwrap_or_default().to_string(),
        as_of,
        rows: after["rows"]
            .as_u64()
            .unwrap_or_else(|| mine.iter().map(|c| c.cell.counts.received).sum()),
        cells: mine.len(),
        months: first.zip(last),
        late: mine.iter().map(|c| c.cell.counts.late).sum(),
        pending_overdue: mine.iter().map(|c| c.cell.counts.pending_overdue).sum(),
        skipped: after["skipped"].as_u64().unwrap_or(0),
        unmatched,
        sample: after["sample"].as_bool().unwrap_or(false),
    };
    Ok(Some(notice_text(lang, &imported)))
}

//! The scheduled backups, for administrators: where they go, how often, how many are kept, the
//! last one (time, size, file) and the archives in the folder, or why there are none
//! (`crate::backups`; docs/backup.md).

use crate::auth::Authed;
use crate::backups::{interval_text, ArchiveFile};
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use parindex_domain::access::Action;

pub fn routes() -> Router<AppState> {
    Router::new().route("/backups", get(page))
}

/// One archive as the page shows it.
pub struct ArchiveRow {
    pub name: String,
    pub when: String,
    pub size: String,
}

/// The schedule as configured.
pub struct ScheduleView {
    pub folder: String,
    pub every: String,
    pub keep: usize,
    pub next: Option<String>,
    pub running: bool,
    /// The last failure, when it came after the last backup written: when, the message in the
    /// reader's language, and the system's own words (shown as code).
    pub failure: Option<(String, String, String)>,
    /// The archives, newest first; `Err` when the folder cannot be read.
    pub archives: Result<Vec<ArchiveRow>, String>,
    /// Rows and evidence files of the last backup this server wrote.
    pub last_counts: Option<(u64, usize)>,
}

#[derive(Template)]
#[template(path = "backups.html")]
struct BackupsPage {
    l: Layout,
    schedule: Option<ScheduleView>,
}

/// A size as people read it: `812 B`, `46 KB`, `3,4 MB`, `1,25 GB`.
pub fn size_text(lang: Lang, bytes: u64) -> String {
    i18n::size(lang, bytes)
}

fn when(a: &ArchiveFile) -> String {
    dates::date_time_seconds(a.taken)
}

fn local(ts: jiff::Timestamp) -> String {
    dates::timestamp(&parindex_store::timestamp_text(ts))
}

async fn page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewBackups)?;
    let l = Layout::new(&cu, "nav.backups", "backups.title", &here(&uri));
    let schedule = match &state.config.backup {
        None => None,
        Some(b) => {
            let status = b.status();
            let archives = b.archives().await.map_err(|e| e.to_string()).map(|list| {
                list.iter()
                    .rev()
                    .map(|a| ArchiveRow {
                        name: a.name.clone(),
                        when: when(a),
                        size: size_text(l.lang, a.bytes),
                    })
                    .collect()
            });
            let failure = status
                .last_failure
                .filter(|f| status.last_done.as_ref().is_none_or(|d| d.at < f.at))
                .map(|f| {
                    (
                        local(f.at),
                        f.error.message(l.lang),
                        f.error.detail().to_string(),
                    )
                });
            Some(ScheduleView {
                folder: b.schedule.dir.display().to_string(),
                every: interval_text(b.schedule.every),
                keep: b.schedule.keep,
                next: status.next_at.map(local),
                running: status.running,
                failure,
                archives,
                last_counts: status
                    .last_done
                    .as_ref()
                    .map(|d| (d.rows, d.evidence_files)),
            })
        }
    };
    Ok(Html(BackupsPage { l, schedule }.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_do() {
        assert_eq!(size_text(Lang::Vi, 812), "812 B");
        assert_eq!(size_text(Lang::En, 47_000), "46 KB");
        assert_eq!(size_text(Lang::Vi, 3_565_158), "3,4 MB");
        assert_eq!(size_text(Lang::En, 3_565_158), "3.4 MB");
        assert_eq!(size_text(Lang::Vi, 1_342_177_280), "1,25 GB");
    }
}

//! The dossier upload on `/dossiers` (`POST /dossiers`, multipart, CSRF in the `_csrf` query
//! parameter): a one-stop-shop export (CSV or XLSX) streamed to a temporary file, then checked
//! (a dry run: what would be imported) or imported by `parindex_ingest::dossiers::import`, the
//! same code as `parindex import dossiers`, in one transaction. After an import the browser is
//! sent back to `/dossiers?import=ID` (post/redirect/get), whose notice says what was imported.
//! Its messages are in the dossier page's catalogue (`indicators::MESSAGES`, `dossiers.upload.*`).

use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::pages::indicators::{dossiers_page, DossiersView};
use crate::pages::require;
use crate::AppState;
use askama::Template;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_domain::access::Action;
use parindex_domain::dossiers::Month;
use parindex_ingest::dossiers::{import, BadRows, ImportFlags, ImportSummary};
use parindex_interchange::dossiers::{parse_column_map, BadRow, ScanError};
use parindex_store::{AuditFilter, StoreError, StoredCell};
use tokio::io::AsyncWriteExt;

/// The largest dossier file the upload takes (the default of [`crate::WebConfig`]'s
/// `dossier_max_bytes`, which may lower it). The other uploads are held to [`crate::BODY_LIMIT`].
/// Larger exports: split them (by month) or use the command line.
pub const DOSSIER_UPLOAD_LIMIT: usize = 512 * 1024 * 1024;

/// The route's own request body limit: the file and the form's other fields.
pub const DOSSIER_BODY_LIMIT: usize = DOSSIER_UPLOAD_LIMIT + 1024 * 1024;

/// The largest file this application takes.
pub fn upload_limit(state: &AppState) -> usize {
    state.config.dossier_max_bytes.min(DOSSIER_UPLOAD_LIMIT)
}

/// A size as people read it: `512 MiB`, `64 KiB`, `100 B`.
pub fn size_text(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// The file types the reader takes (by extension, as the command does).
const TYPES: &[&str] = &["csv", "tsv", "txt", "xlsx"];

/// The form's fields as typed (kept when the page is shown again).
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    pub as_of: String,
    pub sample: bool,
    pub skip_bad_rows: bool,
    pub columns: String,
}

/// A bad row as the page lists it.
pub struct BadRowView {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

fn bad_rows_view(rows: &[BadRow]) -> Vec<BadRowView> {
    rows.iter()
        .map(|b| BadRowView {
            line: b.line,
            column: b.column.unwrap_or_default().to_string(),
            reason: b.reason.clone(),
        })
        .collect()
}

/// Why an upload stored nothing.
pub struct UploadError {
    /// What happened, in the user's language.
    pub message: String,
    /// The reader's or the store's own words (file, line, reason), when there are any.
    pub detail: String,
    /// The first bad rows, and how many there are when not all are listed.
    pub rows: Vec<BadRowView>,
    pub more: String,
    /// What to do about it.
    pub hint: String,
}

/// A dry run's result.
pub struct CheckView {
    pub file: String,
    pub as_of: String,
    pub rows: u64,
    pub cells: usize,
    pub months: String,
    pub late: u64,
    pub pending_overdue: u64,
    pub unmatched: Vec<String>,
    pub bad_rows: u64,
    pub bad: Vec<BadRowView>,
    pub sample: bool,
}

fn months_text(m: Option<(Month, Month)>) -> String {
    match m {
        None => "—".into(),
        Some((a, b)) if a == b => a.to_string(),
        Some((a, b)) => format!("{a} – {b}"),
    }
}

fn check_view(s: &ImportSummary, as_of: jiff::civil::Date, sample: bool) -> CheckView {
    CheckView {
        file: s.file.clone(),
        as_of: i18n::date(as_of),
        rows: s.rows,
        cells: s.cells,
        months: months_text(s.months),
        late: s.late,
        pending_overdue: s.pending_overdue,
        unmatched: s.unmatched.clone(),
        bad_rows: s.bad_rows,
        bad: bad_rows_view(&s.bad),
        sample,
    }
}

/// What an import stored, for the notice after the redirect.
struct Imported {
    file: String,
    as_of: String,
    rows: u64,
    cells: usize,
    months: Option<(Month, Month)>,
    late: u64,
    pending_overdue: u64,
    skipped: u64,
    unmatched: Vec<String>,
    sample: bool,
}

fn notice_text(lang: Lang, i: &Imported) -> String {
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
    if i.sample {
        text.push(' ');
        text.push_str(t("dossiers.upload.imported_sample"));
    }
    text
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
        .map(i18n::date)
        .unwrap_or_default();
    let imported = Imported {
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

/// Why reading the upload stopped.
enum Refusal {
    NoFile,
    FileType(String),
    TooLarge,
    Upload(String),
    AsOf(String),
    Columns(String),
}

fn multipart_refusal(e: MultipartError) -> Refusal {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::TooLarge
    } else {
        Refusal::Upload(e.body_text())
    }
}

/// A short text field (at most 64 KiB kept).
async fn text(field: &mut Field<'_>) -> Result<String, MultipartError> {
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if buf.len() + chunk.len() <= 64 * 1024 {
            buf.extend_from_slice(&chunk);
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The uploaded file: the name users know it by, and where it was written.
struct Saved {
    name: String,
    path: std::path::PathBuf,
}

/// Read the whole form, writing the file to `dir` as it arrives (never whole in memory); a file
/// larger than `limit` is read past and refused.
async fn receive(
    mut mp: Multipart,
    dir: &std::path::Path,
    limit: usize,
    form: &mut UploadForm,
    mode: &mut String,
) -> Result<Saved, Refusal> {
    let mut saved: Option<Saved> = None;
    let mut refused: Option<Refusal> = None;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_refusal)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            let value = text(&mut field).await.map_err(multipart_refusal)?;
            match name.as_str() {
                "as_of" => form.as_of = value.trim().to_string(),
                "sample" => form.sample = !value.trim().is_empty(),
                "skip_bad_rows" => form.skip_bad_rows = !value.trim().is_empty(),
                "columns" => form.columns = value.trim().to_string(),
                "mode" => *mode = value.trim().to_string(),
                _ => {}
            }
            continue;
        }
        let file_name = crate::pages::editions::upload::base_name(field.file_name().unwrap_or(""));
        let ext = crate::pages::editions::upload::extension(&file_name);
        if file_name.is_empty() || saved.is_some() || refused.is_some() {
            // No file chosen, or a second one: read past it.
            while field.chunk().await.map_err(multipart_refusal)?.is_some() {}
            continue;
        }
        if !TYPES.contains(&ext.as_str()) {
            // Read past it so that the browser gets the answer rather than a broken connection.
            while field.chunk().await.map_err(multipart_refusal)?.is_some() {}
            refused = Some(Refusal::FileType(if ext.is_empty() {
                file_name
            } else {
                format!(".{ext}")
            }));
            continue;
        }
        // The reader picks the format by extension; the name users know goes into messages.
        let path = dir.join(format!("upload.{ext}"));
        let write_err = |e: std::io::Error| {
            tracing::error!(error = %e, path = %path.display(), "cannot write an upload");
            Refusal::Upload("the file could not be stored on the server".into())
        };
        let mut out = tokio::fs::File::create(&path).await.map_err(write_err)?;
        let mut written = 0usize;
        while let Some(chunk) = field.chunk().await.map_err(multipart_refusal)? {
            written = written.saturating_add(chunk.len());
            if written > limit {
                refused = Some(Refusal::TooLarge);
                break;
            }
            out.write_all(&chunk).await.map_err(write_err)?;
        }
        out.flush().await.map_err(write_err)?;
        drop(out);
        if refused.is_some() {
            while field.chunk().await.map_err(multipart_refusal)?.is_some() {}
            continue;
        }
        saved = Some(Saved {
            name: file_name,
            path,
        });
    }
    if let Some(r) = refused {
        return Err(r);
    }
    saved.ok_or(Refusal::NoFile)
}

fn refusal_error(lang: Lang, r: Refusal, limit: usize) -> (StatusCode, UploadError) {
    let t = |k: &str| i18n::t(lang, k);
    let plain = |status, message: String, detail: String, hint: &str| {
        (
            status,
            UploadError {
                message,
                detail,
                rows: Vec::new(),
                more: String::new(),
                hint: hint.to_string(),
            },
        )
    };
    match r {
        Refusal::NoFile => plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            t("dossiers.upload.err.no_file").into(),
            String::new(),
            "",
        ),
        Refusal::FileType(ext) => plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            t("dossiers.upload.err.file_type").replace("{type}", &ext),
            String::new(),
            "",
        ),
        Refusal::TooLarge => plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            t("dossiers.upload.err.too_large").replace("{limit}", &size_text(limit)),
            String::new(),
            t("dossiers.upload.err.too_large_hint"),
        ),
        Refusal::Upload(m) => plain(
            StatusCode::BAD_REQUEST,
            t("dossiers.upload.err.upload").into(),
            m,
            "",
        ),
        Refusal::AsOf(v) => plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            t("dossiers.upload.err.as_of").replace("{value}", &v),
            String::new(),
            "",
        ),
        Refusal::Columns(m) => plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            t("dossiers.upload.err.columns").into(),
            m,
            t("dossiers.upload.columns_hint"),
        ),
    }
}

/// An import that failed: the reader's and the store's errors as users can act on them;
/// anything else is logged and shown as an internal error.
fn import_error(
    lang: Lang,
    e: &(dyn std::error::Error + Send + Sync + 'static),
) -> Option<UploadError> {
    let mut chain = std::iter::successors(Some(e as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    });
    chain.find_map(|e| user_error(lang, e))
}

fn user_error(lang: Lang, e: &(dyn std::error::Error + 'static)) -> Option<UploadError> {
    let t = |k: &str| i18n::t(lang, k);
    if let Some(b) = e.downcast_ref::<BadRows>() {
        let mut more = String::new();
        if b.total as usize > b.first.len() {
            more = t("dossiers.upload.err.more").replace("{n}", &b.total.to_string());
        }
        return Some(UploadError {
            message: t("dossiers.upload.err.bad_rows")
                .replace("{file}", &b.file)
                .replace("{n}", &b.total.to_string()),
            detail: String::new(),
            rows: bad_rows_view(&b.first),
            more,
            hint: t("dossiers.upload.err.bad_rows_hint").into(),
        });
    }
    if let Some(s) = e.downcast_ref::<ScanError>() {
        return Some(UploadError {
            message: t("dossiers.upload.err.unreadable").into(),
            detail: s.to_string(),
            rows: Vec::new(),
            more: String::new(),
            hint: String::new(),
        });
    }
    if let Some(StoreError::Invalid(m)) = e.downcast_ref::<StoreError>() {
        return Some(UploadError {
            message: t("dossiers.upload.err.refused").into(),
            detail: m.clone(),
            rows: Vec::new(),
            more: String::new(),
            hint: String::new(),
        });
    }
    None
}

/// `POST /dossiers`: check or import an uploaded dossier export.
pub async fn upload(
    State(state): State<AppState>,
    Authed(cu): Authed,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    // Authorise before looking at the body.
    require(&cu, &Action::EditIndicators)?;
    let mp = mp.map_err(|e| PageError::BadRequest(e.body_text()))?;
    let lang = Lang::parse(&cu.user.lang);
    let dir = tempfile::Builder::new()
        .prefix("parindex-dossiers-")
        .tempdir()
        .map_err(|e| {
            tracing::error!(error = %e, "cannot create a temporary folder for an upload");
            PageError::Internal
        })?;
    let mut form = UploadForm::default();
    let mut mode = String::new();
    let limit = upload_limit(&state);
    let received = receive(mp, dir.path(), limit, &mut form, &mut mode).await;
    let today = state.today();
    let checked = received.and_then(|saved| {
        let as_of = if form.as_of.is_empty() {
            today
        } else {
            form.as_of
                .parse::<jiff::civil::Date>()
                .map_err(|_| Refusal::AsOf(form.as_of.clone()))?
        };
        if !form.columns.is_empty() {
            parse_column_map(&form.columns).map_err(Refusal::Columns)?;
        }
        Ok((saved, as_of))
    });
    let (saved, as_of) = match checked {
        Ok(v) => v,
        Err(r) => {
            let (status, err) = refusal_error(lang, r, limit);
            return show(&state, &cu, status, form, None, Some(err)).await;
        }
    };
    // Anything but "import" is a check: pressing Enter in the form checks, it never stores.
    let dry_run = mode != "import";
    let flags = ImportFlags {
        skip_bad_rows: form.skip_bad_rows,
        columns: Some(form.columns.clone()).filter(|c| !c.is_empty()),
        sample: form.sample,
        file_name: Some(saved.name.clone()),
    };
    let res = import(
        &state.store,
        &saved.path,
        &flags,
        Some(as_of),
        dry_run,
        &cu.user.username,
    )
    .await;
    drop(dir);
    match res {
        Ok(done) if dry_run => {
            let check = check_view(&done, as_of, form.sample);
            show(&state, &cu, StatusCode::OK, form, Some(check), None).await
        }
        Ok(done) => {
            let to = match done.import_id {
                Some(id) => format!("/dossiers?import={id}"),
                None => "/dossiers".to_string(),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => match import_error(lang, &*e) {
            Some(err) => {
                show(
                    &state,
                    &cu,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    form,
                    None,
                    Some(err),
                )
                .await
            }
            None => {
                tracing::error!(error = %format!("{e:#}"), file = %saved.name, "dossier import failed");
                Err(PageError::Internal)
            }
        },
    }
}

/// The dossier page again, with the form as typed and the check's result or the error.
async fn show(
    state: &AppState,
    cu: &CurrentUser,
    status: StatusCode,
    form: UploadForm,
    check: Option<CheckView>,
    error: Option<UploadError>,
) -> Result<Response, PageError> {
    let view = DossiersView {
        month: None,
        form: Some(form),
        check,
        error,
        notice: None,
    };
    let page = dossiers_page(state, cu, "/dossiers", view).await?;
    Ok((status, Html(page.render()?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(size_text(DOSSIER_UPLOAD_LIMIT), "512 MiB");
        assert_eq!(size_text(2048), "2 KiB");
        assert_eq!(size_text(1000), "1000 B");
    }

    #[test]
    fn the_notice_says_what_was_imported() {
        let i = Imported {
            file: "thang-6.csv".into(),
            as_of: "05/07/2021".into(),
            rows: 3000,
            cells: 12,
            months: Some((Month::new(2021, 6), Month::new(2021, 6))),
            late: 40,
            pending_overdue: 2,
            skipped: 1,
            unmatched: vec!["Ban A".into()],
            sample: true,
        };
        let vi = notice_text(Lang::Vi, &i);
        assert!(vi.contains("thang-6.csv") && vi.contains("3000") && vi.contains("2021-06"));
        assert!(vi.contains("05/07/2021") && vi.contains("Ban A"), "{vi}");
        let en = notice_text(Lang::En, &i);
        assert!(
            en.starts_with("Imported thang-6.csv: 3000 dossiers"),
            "{en}"
        );
        assert!(
            !en.contains('{') && !vi.contains('{'),
            "every placeholder filled"
        );
    }
}

//! The dossier upload on `/dossiers` (`POST /dossiers`, multipart, CSRF in the `_csrf` query
//! parameter): a one-stop-shop export (CSV or XLSX) streamed to a temporary file, then checked
//! (a dry run: what would be imported) or imported by `parindex_ingest::dossiers::import`, the
//! same code as `parindex import dossiers`, in one transaction. After an import the browser is
//! sent back to `/dossiers?import=ID` (post/redirect/get), whose notice says what was imported.
//! Its messages are the catalogue's `dossiers.upload.*` and `staged.*` (`crates/web/messages/`).
//!
//! A successful check keeps the file, *staged*: moved to [`staging_dir`] under a random UUID v4
//! with a metadata record (who checked it, the file's name, the options checked, when), and the
//! check's result offers "Nhập tệp này" (a multipart form with the hidden `staged` id and
//! `mode=import`). Importing a staged file is for the user who checked it only (anyone else: 404),
//! within [`STAGED_TTL_HOURS`] hours; the staged file is removed by the import, whatever its
//! outcome, and expired ones are swept at each upload.

use crate::auth::{Authed, CurrentUser};
use crate::dates;
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
use parindex_ingest::dossiers::{import, ImportFlags, ImportSummary};
use parindex_ingest::IngestError;
use parindex_interchange::dossiers::{parse_column_map, BadRow};
use parindex_store::StoreError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// A staged import's message in `lang`, its `{hours}` filled in.
fn staged_text(lang: Lang, key: &str) -> String {
    crate::i18n::t(lang, key).replace("{hours}", &STAGED_TTL_HOURS.to_string())
}

/// How long a checked file stays staged.
pub const STAGED_TTL_HOURS: i64 = 2;

/// Where checked files wait to be imported by default ([`crate::WebConfig::staging_dir`]):
/// `parindex-staged` in the system's temporary folder (the same file system as the uploads'
/// temporary folders, so that staging is a rename). Private: `0700`, its files `0600`; a folder
/// found owned by another user or open to group or others is refused at each upload
/// ([`parindex_store::files::ensure_private_dir`]).
pub fn staging_dir() -> PathBuf {
    std::env::temp_dir().join("parindex-staged")
}

/// The staging folder checked (created `0700` when missing): the refusal, in `lang`, naming
/// the folder and why, when it may not be used.
async fn check_staging(state: &AppState, lang: Lang) -> Result<(), UploadError> {
    let root = state.config.staging_dir.clone();
    let checked =
        tokio::task::spawn_blocking(move || parindex_store::files::ensure_private_dir(&root)).await;
    let problem = match checked {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(p)) => p,
        Err(e) => parindex_store::files::FolderProblem::Io {
            dir: state.config.staging_dir.clone(),
            error: std::io::Error::other(e.to_string()),
        },
    };
    tracing::error!(problem = %problem, "the dossier staging folder is refused");
    let why = crate::i18n::t(lang, &format!("staged.why.{}", problem.key()));
    Err(UploadError {
        message: crate::i18n::t(lang, "staged.folder_refused")
            .replace("{dir}", &problem.dir().display().to_string())
            .replace("{why}", why),
        // The folder and why are in the message; the system's own words go to the log above.
        detail: String::new(),
        rows: Vec::new(),
        more: String::new(),
        hint: crate::i18n::t(lang, "staged.folder_refused_hint").to_string(),
    })
}

/// A staged file's record (`meta.json` beside the file, in the id's folder).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StagedMeta {
    user_id: i64,
    username: String,
    /// The name users know the file by.
    file: String,
    /// Its extension (the reader picks the format by it).
    ext: String,
    /// The options checked; `as_of` as the check resolved it (`YYYY-MM-DD`).
    as_of: String,
    sample: bool,
    skip_bad_rows: bool,
    columns: String,
    /// When it was staged (RFC 3339).
    staged_at: String,
}

/// A new staged id: a random UUID v4, lower-case and hyphenated.
fn new_staged_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// `id` when it is a UUID written as [`new_staged_id`] writes them (lower-case, hyphenated: the
/// text must be the UUID's own), so that it is safe as a file name; `None` otherwise.
fn valid_staged_id(id: &str) -> Option<&str> {
    let parsed = uuid::Uuid::try_parse(id).ok()?;
    (parsed.hyphenated().to_string() == id).then_some(id)
}

/// Expired staged files are swept this much later, so that a late "Nhập tệp này" is told that
/// its file expired rather than that there is none.
pub const SWEEP_GRACE_HOURS: i64 = 1;

/// Whether a file staged at `staged_at` is older than `hours` by `now` (an unreadable time is).
fn staged_older(staged_at: &str, now: jiff::Timestamp, hours: i64) -> bool {
    match staged_at.parse::<jiff::Timestamp>() {
        Ok(t) => now.duration_since(t) > jiff::SignedDuration::from_hours(hours),
        Err(_) => true,
    }
}

/// Whether a file staged at `staged_at` has expired by `now`.
fn staged_expired(staged_at: &str, now: jiff::Timestamp) -> bool {
    staged_older(staged_at, now, STAGED_TTL_HOURS)
}

/// Move a checked upload to the staging folder `root` (checked private by the request) with
/// its record; its id. The id's folder is `0700`, the file and the record `0600`.
async fn stage(root: &Path, saved: &Saved, meta: &StagedMeta) -> std::io::Result<String> {
    let id = new_staged_id();
    let dir = root.join(&id);
    let json = serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?;
    let from = saved.path.clone();
    let ext = meta.ext.clone();
    let staged = dir.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use parindex_store::files::{create_private_file, create_private_subdir};
        create_private_subdir(&staged)?;
        let to = staged.join(format!("upload.{ext}"));
        if std::fs::rename(&from, &to).is_err() {
            // Another file system: copy it into a private file.
            let mut out = create_private_file(&to)?;
            std::io::copy(&mut std::fs::File::open(&from)?, &mut out)?;
        }
        // The record last: a folder without one is never imported, only swept.
        parindex_store::files::write_private_file(&staged.join("meta.json"), &json)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(id)
}

/// The record of the staged file `id` (a valid id) in `root`, if there is one.
async fn staged_meta(root: &Path, id: &str) -> Option<StagedMeta> {
    let path = root.join(id).join("meta.json");
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, path = %path.display(), "cannot read a staged file's record");
            }
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(error = %e, path = %path.display(), "a staged file's record is not valid");
            None
        }
    }
}

/// Remove the staged files expired for [`SWEEP_GRACE_HOURS`] (all but `keep`, which its own request deals with). Problems
/// are logged; they never stop the upload.
async fn sweep(root: PathBuf, now: jiff::Timestamp, keep: Option<String>) {
    let swept = tokio::task::spawn_blocking(move || sweep_dir(&root, now, keep.as_deref()));
    if let Err(e) = swept.await {
        tracing::warn!(error = %e, "the sweep of staged dossier files failed");
    }
}

fn sweep_dir(root: &Path, now: jiff::Timestamp, keep: Option<&str>) {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            tracing::warn!(error = %e, path = %root.display(), "cannot list the staged dossier files");
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(valid_staged_id) else {
            continue;
        };
        if keep == Some(id) {
            continue;
        }
        let path = entry.path();
        let hours = STAGED_TTL_HOURS + SWEEP_GRACE_HOURS;
        let expired = match std::fs::read(path.join("meta.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<StagedMeta>(&b).ok())
        {
            Some(meta) => staged_older(&meta.staged_at, now, hours),
            // No record (being staged, or broken): by the folder's age.
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| jiff::Timestamp::try_from(t).ok())
                .is_none_or(|t| staged_older(&t.to_string(), now, hours)),
        };
        if expired {
            if let Err(e) = std::fs::remove_dir_all(&path) {
                tracing::warn!(error = %e, path = %path.display(), "cannot remove an expired staged dossier file");
            }
        }
    }
}

/// The largest dossier file the upload takes (the default of [`crate::WebConfig`]'s
/// `dossier_max_bytes`, which may lower it). The other uploads are held to [`crate::BODY_LIMIT`].
/// Larger exports: split them (by month) or use the command line.
pub const DOSSIER_UPLOAD_LIMIT: usize = 512 * 1024 * 1024;

/// The route's own request body limit: twice the file's. A file over [`DOSSIER_UPLOAD_LIMIT`]
/// is read past (not stored) up to this, so that the browser, still sending, receives the page
/// that names the limit instead of a connection cut mid-upload; only beyond it is the request
/// cut off.
pub const DOSSIER_BODY_LIMIT: usize = 2 * DOSSIER_UPLOAD_LIMIT;

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

fn bad_rows_view(lang: Lang, rows: &[BadRow]) -> Vec<BadRowView> {
    rows.iter()
        .map(|b| BadRowView {
            line: b.line,
            column: b.column.unwrap_or_default().to_string(),
            reason: crate::refusals::row_problem(lang, &b.reason),
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
    /// Dossiers pushed through the API into the file's cells, which the file would replace.
    pub pushed_replaced: u64,
    /// Codes the file holds more than once among its overdue dossiers: how many, and the
    /// first ones in words (`code (agency): lines 3, 9`).
    pub duplicate_codes: u64,
    pub duplicates: Vec<String>,
    /// The file kept for "Nhập tệp này", when it could be staged.
    pub staged: Option<StagedView>,
}

/// The form that imports the file just checked.
pub struct StagedView {
    pub id: String,
    pub button: String,
    pub hint: String,
}

pub(super) fn months_text(m: Option<(Month, Month)>) -> String {
    match m {
        None => "—".into(),
        Some((a, b)) if a == b => a.to_string(),
        Some((a, b)) => format!("{a} – {b}"),
    }
}

fn check_view(lang: Lang, s: &ImportSummary, as_of: jiff::civil::Date, sample: bool) -> CheckView {
    CheckView {
        file: s.file.clone(),
        as_of: dates::date(as_of),
        rows: s.rows,
        cells: s.cells,
        months: months_text(s.months),
        late: s.late,
        pending_overdue: s.pending_overdue,
        unmatched: s.unmatched.clone(),
        bad_rows: s.bad_rows,
        bad: bad_rows_view(lang, &s.bad),
        sample,
        pushed_replaced: s.pushed_replaced,
        duplicate_codes: s.duplicate_codes,
        duplicates: s
            .duplicates
            .iter()
            .map(|d| duplicate_text(lang, &d.code, &d.agency, &d.lines))
            .collect(),
        staged: None,
    }
}

/// Why reading the upload stopped.
enum Refusal {
    NoFile,
    FileType(String),
    TooLarge,
    /// The upload was cut off or is not a form's (what the parser said is logged).
    Interrupted,
    /// The file could not be written to the temporary folder (logged).
    NotStored,
    AsOf(String),
    Columns(parindex_interchange::dossiers::ColumnMapProblem),
}

fn multipart_refusal(e: MultipartError) -> Refusal {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::TooLarge
    } else {
        tracing::warn!(error = %e.body_text(), "a dossier upload cannot be read");
        Refusal::Interrupted
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
    staged: &mut String,
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
                "staged" => *staged = value.trim().to_string(),
                _ => {}
            }
            continue;
        }
        let file_name = crate::upload::base_name(field.file_name().unwrap_or(""));
        let ext = crate::upload::extension(&file_name);
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
            Refusal::NotStored
        };
        let mut out = {
            let mut o = tokio::fs::OpenOptions::new();
            o.write(true).create_new(true);
            // The upload is the unit's data: this user's only (the folder is private too).
            #[cfg(unix)]
            o.mode(0o600);
            o.open(&path).await.map_err(write_err)?
        };
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
            &t("dossiers.upload.err.too_large_hint").replace('`', ""),
        ),
        Refusal::Interrupted => plain(
            StatusCode::BAD_REQUEST,
            t("dossiers.upload.err.upload").into(),
            t("dossiers.upload.err.interrupted").into(),
            "",
        ),
        Refusal::NotStored => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            t("dossiers.upload.err.upload").into(),
            t("dossiers.upload.err.not_stored").into(),
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
            crate::refusals::column_map_problem(lang, &m),
            &t("dossiers.upload.columns_hint").replace('`', ""),
        ),
    }
}

/// An import that failed: the reader's and the store's errors as users can act on them;
/// anything else is logged and shown as an internal error.
fn import_error(lang: Lang, e: &IngestError) -> Option<UploadError> {
    let t = |k: &str| i18n::t(lang, k);
    match e {
        IngestError::BadRows(b) => {
            let mut more = String::new();
            if b.total as usize > b.first.len() {
                more = t("dossiers.upload.err.more").replace("{n}", &b.total.to_string());
            }
            Some(UploadError {
                message: t("dossiers.upload.err.bad_rows")
                    .replace("{file}", &b.file)
                    .replace("{n}", &b.total.to_string()),
                detail: String::new(),
                rows: bad_rows_view(lang, &b.first),
                more,
                hint: t("dossiers.upload.err.bad_rows_hint").into(),
            })
        }
        IngestError::Scan(s) => {
            // The file, the line when known, and why: in the reader's language.
            let detail = crate::refusals::scan_error(lang, s);
            Some(UploadError {
                message: t("dossiers.upload.err.unreadable").into(),
                detail,
                rows: Vec::new(),
                more: String::new(),
                hint: String::new(),
            })
        }
        IngestError::Store(StoreError::Invalid(m)) => Some(UploadError {
            message: t("dossiers.upload.err.refused").into(),
            detail: crate::refusals::lines(lang, m).join("; "),
            rows: Vec::new(),
            more: String::new(),
            hint: String::new(),
        }),
        _ => None,
    }
}

/// The check's options: the as-of date typed (today when none) and, when given, a column
/// map that reads.
fn checked_options(
    form: &UploadForm,
    today: jiff::civil::Date,
) -> Result<jiff::civil::Date, Refusal> {
    let as_of = if form.as_of.is_empty() {
        today
    } else {
        crate::dates::parse_date(&form.as_of).ok_or_else(|| Refusal::AsOf(form.as_of.clone()))?
    };
    if !form.columns.is_empty() {
        parse_column_map(&form.columns).map_err(Refusal::Columns)?;
    }
    Ok(as_of)
}

/// Stage a checked file for "Nhập tệp này" with the options it was checked with; none when it
/// cannot be kept (logged: the check stands without it).
async fn stage_checked(
    state: &AppState,
    cu: &CurrentUser,
    lang: Lang,
    saved: &Saved,
    form: &UploadForm,
    as_of: jiff::civil::Date,
    now: jiff::Timestamp,
) -> Option<StagedView> {
    let meta = StagedMeta {
        user_id: cu.user.id,
        username: cu.user.username.clone(),
        file: saved.name.clone(),
        ext: crate::upload::extension(&saved.path.to_string_lossy()),
        as_of: as_of.to_string(),
        sample: form.sample,
        skip_bad_rows: form.skip_bad_rows,
        columns: form.columns.clone(),
        staged_at: now.to_string(),
    };
    match stage(&state.config.staging_dir, saved, &meta).await {
        Ok(id) => Some(StagedView {
            id,
            button: staged_text(lang, "staged.button"),
            hint: staged_text(lang, "staged.hint"),
        }),
        Err(e) => {
            tracing::error!(error = %e, file = %saved.name, "cannot stage a checked dossier file");
            None
        }
    }
}

/// `POST /dossiers`: check or import an uploaded dossier export, or import a staged one (the
/// `staged` field, from the check's "Nhập tệp này").
pub async fn upload(
    State(state): State<AppState>,
    Authed(cu): Authed,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    // Authorise before looking at the body.
    require(&cu, &Action::EditIndicators)?;
    let mp = mp.map_err(|e| PageError::bad_form(e.body_text()))?;
    let lang = Lang::parse(&cu.user.lang);
    // The staging folder is checked before any file is received: refused, nothing is taken.
    if let Err(err) = check_staging(&state, lang).await {
        return show(
            &state,
            &cu,
            StatusCode::INTERNAL_SERVER_ERROR,
            UploadForm::default(),
            None,
            Some(err),
        )
        .await;
    }
    let dir = tempfile::Builder::new()
        .prefix("parindex-dossiers-")
        .tempdir()
        .map_err(|e| {
            tracing::error!(error = %e, "cannot create a temporary folder for an upload");
            PageError::Internal
        })?;
    let mut form = UploadForm::default();
    let mut mode = String::new();
    let mut staged = String::new();
    let limit = upload_limit(&state);
    let received = receive(mp, dir.path(), limit, &mut form, &mut mode, &mut staged).await;
    let now = jiff::Timestamp::now();
    // The request's own staged file is left to it: expired, it says so rather than 404.
    sweep(
        state.config.staging_dir.clone(),
        now,
        Some(staged.clone()).filter(|s| !s.is_empty()),
    )
    .await;
    if !staged.is_empty() {
        return match received {
            Ok(_) | Err(Refusal::NoFile) => {
                import_staged(&state, &cu, lang, &staged, dir.path(), now).await
            }
            Err(r) => {
                let (status, err) = refusal_error(lang, r, limit);
                show(&state, &cu, status, form, None, Some(err)).await
            }
        };
    }
    let today = state.today();
    let checked =
        received.and_then(|saved| checked_options(&form, today).map(|as_of| (saved, as_of)));
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
        as_of,
        dry_run,
        &cu.user.username,
    )
    .await;
    match res {
        Ok(done) if dry_run => {
            let mut check = check_view(lang, &done, as_of, form.sample);
            // Keep the file for "Nhập tệp này"; without it the check still stands.
            check.staged = stage_checked(&state, &cu, lang, &saved, &form, as_of, now).await;
            show(&state, &cu, StatusCode::OK, form, Some(check), None).await
        }
        Ok(done) => Ok(imported(&done)),
        Err(e) => failed(&state, &cu, lang, form, &e, &saved.name).await,
    }
}

/// Import the staged file `id` (its own folder moved into `work`, removed with it whatever the
/// outcome): only for the user who checked it, with the options checked.
async fn import_staged(
    state: &AppState,
    cu: &CurrentUser,
    lang: Lang,
    id: &str,
    work: &Path,
    now: jiff::Timestamp,
) -> Result<Response, PageError> {
    // The id becomes a path: a UUID, or nothing.
    let id = valid_staged_id(id).ok_or(PageError::NotFound)?;
    let root = &state.config.staging_dir;
    let meta = staged_meta(root, id).await.ok_or(PageError::NotFound)?;
    // Someone else's staged file: as if there were none.
    if meta.user_id != cu.user.id || meta.username != cu.user.username {
        return Err(PageError::NotFound);
    }
    // Claim it: one request only imports it, and it goes with `work`.
    let claimed = work.join("staged");
    if let Err(e) = tokio::fs::rename(root.join(id), &claimed).await {
        if e.kind() == std::io::ErrorKind::NotFound {
            return Err(PageError::NotFound);
        }
        tracing::error!(error = %e, id, "cannot claim a staged dossier file");
        return Err(PageError::Internal);
    }
    let form = UploadForm {
        as_of: meta.as_of.clone(),
        sample: meta.sample,
        skip_bad_rows: meta.skip_bad_rows,
        columns: meta.columns.clone(),
    };
    if staged_expired(&meta.staged_at, now) {
        let err = UploadError {
            message: staged_text(lang, "staged.expired"),
            detail: String::new(),
            rows: Vec::new(),
            more: String::new(),
            hint: staged_text(lang, "staged.expired_hint"),
        };
        return show(state, cu, StatusCode::GONE, form, None, Some(err)).await;
    }
    let Ok(as_of) = meta.as_of.parse::<jiff::civil::Date>() else {
        tracing::error!(id, as_of = %meta.as_of, "a staged dossier file's date is not valid");
        return Err(PageError::Internal);
    };
    if !TYPES.contains(&meta.ext.as_str()) {
        tracing::error!(id, ext = %meta.ext, "a staged dossier file's type is not valid");
        return Err(PageError::Internal);
    }
    let flags = ImportFlags {
        skip_bad_rows: meta.skip_bad_rows,
        columns: Some(meta.columns.clone()).filter(|c| !c.is_empty()),
        sample: meta.sample,
        file_name: Some(meta.file.clone()),
    };
    let path = claimed.join(format!("upload.{}", meta.ext));
    let res = import(&state.store, &path, &flags, as_of, false, &cu.user.username).await;
    match res {
        Ok(done) => Ok(imported(&done)),
        Err(e) => failed(state, cu, lang, form, &e, &meta.file).await,
    }
}

/// After an import: to its notice (post/redirect/get).
fn imported(done: &ImportSummary) -> Response {
    let to = match done.import_id {
        Some(id) => format!("/dossiers?import={id}"),
        None => "/dossiers".to_string(),
    };
    Redirect::to(&to).into_response()
}

/// A check or an import that failed: the page with what users can act on, or an internal error.
async fn failed(
    state: &AppState,
    cu: &CurrentUser,
    lang: Lang,
    form: UploadForm,
    e: &IngestError,
    file: &str,
) -> Result<Response, PageError> {
    let text = e.to_string();
    // A full or unreachable database: its own page (nothing was imported).
    if let Some(f) = e.store().and_then(StoreError::fault) {
        tracing::error!(error = %text, file = %file, "dossier import failed");
        return Err(PageError::Fault(f));
    }
    match import_error(lang, e) {
        Some(err) => {
            show(
                state,
                cu,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                None,
                Some(err),
            )
            .await
        }
        None => {
            tracing::error!(error = %text, file = %file, "dossier import failed");
            Err(PageError::Internal)
        }
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

mod notice;
use notice::duplicate_text;
pub use notice::imported_notice;
#[cfg(test)]
use notice::{notice_text, Imported};

#[cfg(test)]
mod tests;

//! Evidence documents (tài liệu kiểm chứng): uploaded files and references to official
//! documents, linked to the items they back.
//!
//! - Files live on disk under a configurable folder, named by the SHA-256 of their content
//!   (`ab/abcdef…`): the same content is stored once however often it is uploaded. The original
//!   name is kept as metadata, sanitised (no folders, no control characters).
//! - Uploads are limited in size (20 MB by default) and allowed by their **content**, not their
//!   name: PDF, PNG, JPEG, GIF, WebP, Word/Excel (DOCX, XLSX, legacy DOC/XLS) and ODF text and
//!   spreadsheets; the name's extension must agree with the content (an `.exe` renamed `.pdf`
//!   is refused).
//! - A reference to an official document holds its number and symbol, date, issuing body and
//!   an excerpt. One document can back several criteria and several units' claims.
//! - [`Store::verify_evidence`] re-hashes every stored file and reports the missing and changed.

use crate::audit::{record, Change};
use crate::db::{get, now_text, Store};
use crate::error::{Context, StoreError};
use crate::refusal::{refuse, Refusal, RefusalKind, Refusals};
use crate::Result;
use jiff::civil::Date;
use parindex_domain::edition::NodeCode;
use parindex_domain::text::{fold, nfc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use std::fmt;
use std::path::PathBuf;

mod disk;
pub(crate) use disk::restore_file;
use disk::{store_file, stripe, unstore_file};

/// The default largest evidence file: 20 MB.
pub const EVIDENCE_LIMIT: usize = 20 * 1024 * 1024;

/// Where evidence files are kept and how large they may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceConfig {
    pub dir: PathBuf,
    pub max_bytes: usize,
}

impl EvidenceConfig {
    pub fn new(dir: impl Into<PathBuf>) -> EvidenceConfig {
        EvidenceConfig {
            dir: dir.into(),
            max_bytes: EVIDENCE_LIMIT,
        }
    }

    /// Make sure the folder exists and is private ([`crate::files::ensure_private_dir`]):
    /// created `0700`; an existing folder owned by another user or open to group or others is
    /// refused. The server asks at start-up; every stored file asks again.
    pub fn ensure_folder(&self) -> std::result::Result<(), crate::files::FolderProblem> {
        crate::files::ensure_private_dir(&self.dir)
    }

    /// The path of the file with this SHA-256 (hex).
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix: String = sha256.chars().take(2).collect();
        self.dir.join(prefix).join(sha256)
    }
}

// ---------------------------------------------------------------------------------------------
// File types by content, and names
// ---------------------------------------------------------------------------------------------

/// The kinds of files accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Docx,
    Xlsx,
    Odt,
    Ods,
    Doc,
    Xls,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            FileType::Doc => "application/msword",
            FileType::Xls => "application/vnd.ms-excel",
        }
    }

    /// The extensions a file of this kind may have (lower case, without the dot).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Png => &["png"],
            FileType::Jpeg => &["jpg", "jpeg"],
            FileType::Gif => &["gif"],
            FileType::Webp => &["webp"],
            FileType::Docx => &["docx"],
            FileType::Xlsx => &["xlsx"],
            FileType::Odt => &["odt"],
            FileType::Ods => &["ods"],
            FileType::Doc => &["doc"],
            FileType::Xls => &["xls"],
        }
    }

    pub fn from_content_type(s: &str) -> Option<FileType> {
        [
            FileType::Pdf,
            FileType::Png,
            FileType::Jpeg,
            FileType::Gif,
            FileType::Webp,
            FileType::Docx,
            FileType::Xlsx,
            FileType::Odt,
            FileType::Ods,
            FileType::Doc,
            FileType::Xls,
        ]
        .into_iter()
        .find(|t| t.content_type() == s)
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extensions()[0])
    }
}

/// The names of the entries of a ZIP archive, read from its central directory.
fn zip_entries(b: &[u8]) -> Vec<String> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const CDH: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    let u16_at = |i: usize| -> Option<usize> {
        b.get(i..i + 2)
            .map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])))
    };
    let u32_at = |i: usize| -> Option<usize> {
        b.get(i..i + 4)
            .and_then(|s| usize::try_from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok())
    };
    // The end-of-central-directory record is within the last 64 KiB + 22 bytes.
    let min = b.len().saturating_sub(65_557);
    let Some(eocd) = (min..b.len().saturating_sub(21))
        .rev()
        .find(|&i| b.get(i..i + 4) == Some(&EOCD[..]))
    else {
        return Vec::new();
    };
    let (Some(count), Some(mut at)) = (u16_at(eocd + 10), u32_at(eocd + 16)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for _ in 0..count.min(10_000) {
        if b.get(at..at + 4) != Some(&CDH[..]) {
            break;
        }
        let (Some(n), Some(x), Some(c)) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            break;
        };
        match b.get(at + 46..at + 46 + n) {
            Some(name) => out.push(String::from_utf8_lossy(name).into_owned()),
            None => break,
        }
        at += 46 + n + x + c;
    }
    out
}

/// The kind of a file by its content; `ext` (lower case) decides between the legacy Word and
/// Excel formats, which share one container.
pub fn sniff(bytes: &[u8], ext: &str) -> Option<FileType> {
    let starts = |p: &[u8]| bytes.starts_with(p);
    if starts(b"%PDF-") {
        return Some(FileType::Pdf);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(FileType::Png);
    }
    if starts(&[0xff, 0xd8, 0xff]) {
        return Some(FileType::Jpeg);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(FileType::Gif);
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Some(FileType::Webp);
    }
    if starts(b"PK\x03\x04") {
        // ODF: the first entry is an uncompressed `mimetype`.
        if bytes.get(30..38) == Some(b"mimetype") {
            let rest = &bytes[38..bytes.len().min(38 + 80)];
            let text = String::from_utf8_lossy(rest);
            if text.contains("application/vnd.oasis.opendocument.text") {
                return Some(FileType::Odt);
            }
            if text.contains("application/vnd.oasis.opendocument.spreadsheet") {
                return Some(FileType::Ods);
            }
        }
        let entries = zip_entries(bytes);
        let has = |n: &str| entries.iter().any(|e| e == n);
        if has("[Content_Types].xml") && has("word/document.xml") {
            return Some(FileType::Docx);
        }
        if has("[Content_Types].xml") && has("xl/workbook.xml") {
            return Some(FileType::Xlsx);
        }
        return None;
    }
    if starts(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return match ext {
            "doc" => Some(FileType::Doc),
            "xls" => Some(FileType::Xls),
            _ => None,
        };
    }
    None
}

/// A file name safe to keep and to send back: the last path component only, no control
/// characters, none of `<>:"/\|?*`, NFC, trimmed of spaces and dots, at most 150 characters
/// (the extension kept). `../../etc/passwd` → `passwd`.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = nfc(base)
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .collect();
    let mut s = cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if s.chars().count() > 150 {
        let ext = extension(&s);
        let keep = 150 - ext.chars().count().min(20) - 1;
        let stem: String = s.chars().take(keep).collect();
        s = if ext.is_empty() {
            stem
        } else {
            format!("{stem}.{ext}")
        };
    }
    s
}

/// The lower-case extension of a name, without the dot.
pub fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_lowercase(),
        _ => String::new(),
    }
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadProblem {
    /// No file, or an empty one.
    Empty,
    TooLarge {
        size: usize,
        limit: usize,
    },
    /// The content is not one of the accepted kinds.
    NotAllowed {
        ext: String,
    },
    /// The content is of one kind, the name says another (or nothing).
    ExtensionMismatch {
        kind: FileType,
        ext: String,
    },
}

impl UploadProblem {
    /// A message key for the interface.
    pub fn key(&self) -> &'static str {
        match self {
            UploadProblem::Empty => "evidence.err.empty",
            UploadProblem::TooLarge { .. } => "evidence.err.too_large",
            UploadProblem::NotAllowed { .. } => "evidence.err.not_allowed",
            UploadProblem::ExtensionMismatch { .. } => "evidence.err.mismatch",
        }
    }
}

impl fmt::Display for UploadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadProblem::Empty => f.write_str("the file is empty"),
            UploadProblem::TooLarge { size, limit } => write!(
                f,
                "the file has {size} bytes, more than the limit of {} MB",
                limit / (1024 * 1024)
            ),
            UploadProblem::NotAllowed { ext } => write!(
                f,
                "the content is not an accepted document (PDF, image, Word, Excel, ODF){}",
                if ext.is_empty() {
                    String::new()
                } else {
                    format!(", whatever its name (.{ext}) says")
                }
            ),
            UploadProblem::ExtensionMismatch { kind, ext } => {
                if ext.is_empty() {
                    write!(
                        f,
                        "the content is {kind} but the name has no extension (.{kind})"
                    )
                } else {
                    write!(f, "the content is {kind} but the name ends .{ext}")
                }
            }
        }
    }
}

/// Check an upload: its size, its kind by content, and that the (sanitised) name agrees.
/// Returns the sanitised name and the kind.
pub fn check_upload(
    name: &str,
    bytes: &[u8],
    limit: usize,
) -> std::result::Result<(String, FileType), UploadProblem> {
    if bytes.is_empty() {
        return Err(UploadProblem::Empty);
    }
    if bytes.len() > limit {
        return Err(UploadProblem::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let clean = sanitize_file_name(name);
    let ext = extension(&clean);
    let kind = sniff(bytes, &ext).ok_or(UploadProblem::NotAllowed { ext: ext.clone() })?;
    if !kind.extensions().contains(&ext.as_str()) {
        return Err(UploadProblem::ExtensionMismatch { kind, ext });
    }
    Ok((clean, kind))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    File,
    Document,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::File => "file",
            EvidenceKind::Document => "document",
        }
    }
}

/// An evidence document: a stored file or a reference to an official document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub kind: EvidenceKind,
    pub title: String,
    pub sha256: Option<String>,
    pub original_name: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    /// Number and symbol of an official document (`125/QĐ-UBND`).
    pub doc_number: Option<String>,
    pub doc_date: Option<Date>,
    pub doc_issuer: Option<String>,
    pub doc_excerpt: Option<String>,
    /// The unit that added it.
    pub unit: Option<String>,
    pub sample: bool,
    pub created_by: String,
    pub created_at: String,
}

impl Evidence {
    /// One line describing it: the title, and the number, date and issuer of a reference, in
    /// Vietnamese ("… số 30/BC-UBND ngày 15/12/2020 (Sở Nội vụ)").
    pub fn describe(&self) -> String {
        self.describe_with("số", "ngày")
    }

    /// [`Evidence::describe`] with the words before the number and the date in the reader's
    /// language ("No.", "of").
    pub fn describe_with(&self, number_word: &str, date_word: &str) -> String {
        match self.kind {
            EvidenceKind::File => self
                .original_name
                .clone()
                .filter(|n| *n != self.title)
                .map(|n| format!("{} ({n})", self.title))
                .unwrap_or_else(|| self.title.clone()),
            EvidenceKind::Document => {
                let mut s = self.title.clone();
                if let Some(n) = &self.doc_number {
                    if !s.contains(n.as_str()) {
                        s.push_str(&format!(" {number_word} {n}"));
                    }
                }
                if let Some(d) = self.doc_date {
                    s.push_str(&format!(
                        " {date_word} {:02}/{:02}/{}",
                        d.day(),
                        d.month(),
                        d.year()
                    ));
                }
                if let Some(i) = &self.doc_issuer {
                    s.push_str(&format!(" ({i})"));
                }
                s
            }
        }
    }
}

/// An upload to store.
#[derive(Debug, Clone, Default)]
pub struct NewEvidenceFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// A title; the file's name when empty.
    pub title: String,
    pub unit: Option<String>,
    pub sample: bool,
}

/// A reference to an official document.
#[derive(Debug, Clone, Default)]
pub struct DocumentReference {
    /// Number and symbol (`125/QĐ-UBND`).
    pub number: String,
    pub date: Option<Date>,
    pub issuer: String,
    pub excerpt: String,
    /// A title (e.g. "Kế hoạch CCHC năm 2021"); the number when empty.
    pub title: String,
    pub unit: Option<String>,
    pub sample: bool,
}

impl DocumentReference {
    /// What is refused, by field.
    pub fn problems(&self) -> Refusals {
        let mut out = Refusals::new();
        let n = nfc(&self.number);
        if n.is_empty() {
            out.push("number", RefusalKind::Required);
        } else if n.chars().count() > 100 {
            out.push("number", RefusalKind::TooLong { max: 100 });
        }
        if self.date.is_none() {
            out.push("date", RefusalKind::Required);
        }
        if nfc(&self.issuer).is_empty() {
            out.push("issuer", RefusalKind::Required);
        } else if self.issuer.chars().count() > 300 {
            out.push("issuer", RefusalKind::TooLong { max: 300 });
        }
        if self.title.chars().count() > 300 {
            out.push("title", RefusalKind::TooLong { max: 300 });
        }
        if self.excerpt.chars().count() > 5000 {
            out.push("excerpt", RefusalKind::TooLong { max: 5000 });
        }
        out
    }
}

/// The item an evidence document is linked to.
#[derive(Debug, Clone, Copy)]
pub struct ItemRef<'a> {
    pub round: &'a str,
    pub unit: &'a str,
    pub code: &'a NodeCode,
}

/// What `verify_evidence` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub checked: usize,
    /// (sha256, a name it was uploaded as)
    pub missing: Vec<(String, String)>,
    /// (sha256 expected, sha256 found, a name it was uploaded as)
    pub changed: Vec<(String, String, String)>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty()
    }
}

fn date_of(s: Option<String>) -> Result<Option<Date>> {
    s.map(|v| {
        v.parse()
            .map_err(|_| StoreError::Corrupt(format!("'{v}' is not a date")))
    })
    .transpose()
}

pub(crate) fn evidence_from_row(r: &AnyRow) -> Result<Evidence> {
    let kind: String = get(r, "kind")?;
    Ok(Evidence {
        id: get(r, "id")?,
        kind: match kind.as_str() {
            "file" => EvidenceKind::File,
            "document" => EvidenceKind::Document,
            other => return Err(StoreError::Corrupt(format!("evidence kind '{other}'"))),
        },
        title: get(r, "title")?,
        sha256: get(r, "sha256")?,
        original_name: get(r, "original_name")?,
        content_type: get(r, "content_type")?,
        size_bytes: get(r, "size_bytes")?,
        doc_number: get(r, "doc_number")?,
        doc_date: date_of(get(r, "doc_date")?)?,
        doc_issuer: get(r, "doc_issuer")?,
        doc_excerpt: get(r, "doc_excerpt")?,
        unit: get(r, "unit")?,
        sample: get::<i64>(r, "sample")? != 0,
        created_by: get(r, "created_by")?,
        created_at: get(r, "created_at")?,
    })
}
/// An upload's file as checked: its hash, safe name, type and title.
#[derive(Clone, Copy)]
struct Checked<'a> {
    sha: &'a str,
    name: &'a str,
    kind: FileType,
    title: &'a str,
}
impl Store {
    /// Store an uploaded file (once per content) and, optionally, link it to an item. The item
    /// must accept evidence changes today (see [`Store::check_evidence_change`]). A unit that
    /// uploads the same content twice gets its first record back.
    pub async fn add_evidence_file(
        &self,
        cfg: &EvidenceConfig,
        f: &NewEvidenceFile,
        link: Option<(ItemRef<'_>, Date)>,
        actor: &str,
    ) -> Result<Evidence> {
        let (name, kind) = check_upload(&f.file_name, &f.bytes, cfg.max_bytes)
            .map_err(|p| Refusal::new("file", RefusalKind::Upload(p)))?;
        let title = Some(nfc(&f.title))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| name.clone());
        if title.chars().count() > 300 {
            return refuse("title", RefusalKind::TooLong { max: 300 });
        }
        if let Some((item, today)) = link {
            self.check_evidence_change(item, today).await?;
        }
        let sha = sha256_hex(&f.bytes);
        let id = {
            let _same_content = stripe(&sha).lock().await;
            let created = store_file(cfg, &sha, &f.bytes).await?;
            let checked = Checked {
                sha: &sha,
                name: &name,
                kind,
                title: &title,
            };
            let saved = self.record_evidence_file(f, &checked, link, actor).await;
            // Nothing stored: no file left without its record.
            if saved.is_err() && created {
                unstore_file(cfg, &sha).await;
            }
            saved?
        };
        self.evidence(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("evidence {id}")))
    }

    /// The records of an uploaded file whose file is stored: one transaction.
    async fn record_evidence_file(
        &self,
        f: &NewEvidenceFile,
        c: &Checked<'_>,
        link: Option<(ItemRef<'_>, Date)>,
        actor: &str,
    ) -> Result<i64> {
        let Checked {
            sha,
            name,
            kind,
            title,
        } = *c;
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query(
            "INSERT INTO evidence_files (sha256, size_bytes, content_type, stored_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha)
        .bind(f.bytes.len() as i64)
        .bind(kind.content_type())
        .bind(&now)
        .execute(&mut *tx)
        .await
        .ctx(|| "recording an evidence file".into())?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM evidence WHERE kind = 'file' AND sha256 = $1 AND \
             ((unit IS NULL AND $2 IS NULL) OR unit = $2) ORDER BY id LIMIT 1",
        )
        .bind(sha)
        .bind(f.unit.as_deref())
        .fetch_optional(&mut *tx)
        .await
        .ctx(|| "looking for the same file".into())?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO evidence (kind, title, title_folded, sha256, original_name, content_type, size_bytes, unit, sample, created_by, created_at) \
                     VALUES ('file', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(title)
                .bind(fold(title))
                .bind(sha)
                .bind(name)
                .bind(kind.content_type())
                .bind(f.bytes.len() as i64)
                .bind(f.unit.as_deref())
                .bind(i64::from(f.sample))
                .bind(actor)
                .bind(&now)
                .fetch_one(&mut *tx)
                .await
                .ctx(|| "saving evidence".into())?;
                record(
                    &mut tx,
                    Change {
                        actor,
                        action: "create",
                        entity: "evidence",
                        entity_id: &id.to_string(),
                        unit: f.unit.as_deref(),
                        before: None,
                        after: Some(serde_json::json!({"kind": "file", "title": title, "name": name, "sha256": sha, "size": f.bytes.len()})),
                    },
                )
                .await?;
                id
            }
        };
        if let Some((item, _)) = link {
            link_tx(&mut tx, id, item, actor, &now).await?;
        }
        tx.commit().await.ctx(|| "committing evidence".into())?;
        Ok(id)
    }

    /// Record a reference to an official document and, optionally, link it to an item.
    pub async fn add_document_reference(
        &self,
        d: &DocumentReference,
        link: Option<(ItemRef<'_>, Date)>,
        actor: &str,
    ) -> Result<Evidence> {
        d.problems().check()?;
        if let Some((item, today)) = link {
            self.check_evidence_change(item, today).await?;
        }
        let number = nfc(&d.number);
        let title = Some(nfc(&d.title))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| number.clone());
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO evidence (kind, title, title_folded, doc_number, doc_date, doc_issuer, doc_excerpt, unit, sample, created_by, created_at) \
             VALUES ('document', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&title)
        .bind(fold(&format!("{title} {number}")))
        .bind(&number)
        .bind(d.date.map(|x| x.to_string()))
        .bind(nfc(&d.issuer))
        .bind(Some(nfc(&d.excerpt)).filter(|s| !s.is_empty()))
        .bind(d.unit.as_deref())
        .bind(i64::from(d.sample))
        .bind(actor)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .ctx(|| "saving a document reference".into())?;
        record(
            &mut tx,
            Change {
                actor,
                action: "create",
                entity: "evidence",
                entity_id: &id.to_string(),
                unit: d.unit.as_deref(),
                before: None,
                after: Some(
                    serde_json::json!({"kind": "document", "title": title, "number": number,
                    "date": d.date.map(|x| x.to_string()), "issuer": nfc(&d.issuer)}),
                ),
            },
        )
        .await?;
        if let Some((item, _)) = link {
            link_tx(&mut tx, id, item, actor, &now).await?;
        }
        tx.commit()
            .await
            .ctx(|| "committing a document reference".into())?;
        self.evidence(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("evidence {id}")))
    }

    /// Link an existing document to an item (once; a second link is a no-op).
    pub async fn link_evidence(
        &self,
        evidence_id: i64,
        item: ItemRef<'_>,
        today: Date,
        actor: &str,
    ) -> Result<()> {
        if self.evidence(evidence_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("evidence {evidence_id}")));
        }
        self.check_evidence_change(item, today).await?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        link_tx(&mut tx, evidence_id, item, actor, &now_text()).await?;
        tx.commit().await.ctx(|| "committing a link".into())?;
        Ok(())
    }

    /// Remove a document from an item (the document itself stays).
    pub async fn unlink_evidence(
        &self,
        evidence_id: i64,
        item: ItemRef<'_>,
        today: Date,
        actor: &str,
    ) -> Result<()> {
        self.check_evidence_change(item, today).await?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let n = sqlx::query(
            "DELETE FROM evidence_links WHERE evidence_id = $1 AND round_id = $2 AND unit = $3 AND code = $4",
        )
        .bind(evidence_id)
        .bind(item.round)
        .bind(item.unit)
        .bind(item.code.to_string())
        .execute(&mut *tx)
        .await
        .ctx(|| "removing a link".into())?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "evidence {evidence_id} on {} of {}",
                item.code, item.unit
            )));
        }
        record(
            &mut tx,
            Change {
                actor,
                action: "unlink",
                entity: "assessment_item",
                entity_id: &format!("{}/{}/{}", item.round, item.unit, item.code),
                unit: Some(item.unit),
                before: Some(serde_json::json!({"evidence": evidence_id})),
                after: None,
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing an unlink".into())?;
        Ok(())
    }

    pub async fn evidence(&self, id: i64) -> Result<Option<Evidence>> {
        sqlx::query("SELECT * FROM evidence WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading evidence {id}"))?
            .map(|r| evidence_from_row(&r))
            .transpose()
    }

    /// The items a document backs: (round, unit, code).
    pub async fn evidence_links(&self, id: i64) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT round_id, unit, code FROM evidence_links WHERE evidence_id = $1 ORDER BY round_id, unit, code",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("reading the links of evidence {id}"))?;
        rows.iter()
            .map(|r| Ok((get(r, "round_id")?, get(r, "unit")?, get(r, "code")?)))
            .collect()
    }

    /// The documents a unit may link again: those it added and those backing its items
    /// (`None`: every document).
    pub async fn unit_evidence(&self, unit: Option<&str>) -> Result<Vec<Evidence>> {
        let rows = sqlx::query(
            "SELECT * FROM evidence e WHERE $1 IS NULL OR e.unit = $1 OR EXISTS \
             (SELECT 1 FROM evidence_links l WHERE l.evidence_id = e.id AND l.unit = $1) ORDER BY e.id DESC LIMIT 500",
        )
        .bind(unit)
        .fetch_all(&self.pool)
        .await
        .ctx(|| "listing evidence".into())?;
        rows.iter().map(evidence_from_row).collect()
    }

    /// The documents backing each item of a unit in a round, by code.
    pub async fn item_evidence(
        &self,
        round: &str,
        unit: &str,
    ) -> Result<std::collections::BTreeMap<String, Vec<Evidence>>> {
        let rows = sqlx::query(
            "SELECT l.code AS link_code, e.* FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id \
             WHERE l.round_id = $1 AND l.unit = $2 ORDER BY l.code, e.id",
        )
        .bind(round)
        .bind(unit)
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("reading the evidence of {unit}"))?;
        let mut out: std::collections::BTreeMap<String, Vec<Evidence>> = Default::default();
        for r in &rows {
            out.entry(get(r, "link_code")?)
                .or_default()
                .push(evidence_from_row(r)?);
        }
        Ok(out)
    }

    /// A stored file's record and content, checked against its hash.
    pub async fn read_evidence_file(
        &self,
        cfg: &EvidenceConfig,
        id: i64,
    ) -> Result<Option<(Evidence, Vec<u8>)>> {
        let Some(e) = self.evidence(id).await? else {
            return Ok(None);
        };
        let Some(sha) = e.sha256.clone() else {
            return Ok(None);
        };
        let path = cfg.path_of(&sha);
        let bytes = tokio::fs::read(&path).await.map_err(|err| {
            StoreError::Corrupt(format!(
                "evidence file {} cannot be read: {err}",
                path.display()
            ))
        })?;
        if sha256_hex(&bytes) != sha {
            return Err(StoreError::Corrupt(format!(
                "evidence file {} does not match its hash",
                path.display()
            )));
        }
        Ok(Some((e, bytes)))
    }
}

async fn link_tx(
    tx: &mut crate::version::WriteTx,
    evidence_id: i64,
    item: ItemRef<'_>,
    actor: &str,
    now: &str,
) -> Result<()> {
    let n = sqlx::query(
        "INSERT INTO evidence_links (evidence_id, round_id, unit, code, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (evidence_id, round_id, unit, code) DO NOTHING",
    )
    .bind(evidence_id)
    .bind(item.round)
    .bind(item.unit)
    .bind(item.code.to_string())
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await
    .ctx(|| "linking evidence".into())?
    .rows_affected();
    if n > 0 {
        record(
            tx,
            Change {
                actor,
                action: "link",
                entity: "assessment_item",
                entity_id: &format!("{}/{}/{}", item.round, item.unit, item.code),
                unit: Some(item.unit),
                before: None,
                after: Some(serde_json::json!({"evidence": evidence_id})),
            },
        )
        .await?;
    }
    Ok(())
}
#[cfg(test)]
mod tests;

//! Evidence files on disk: stored once per content under their SHA-256, written to a temporary
//! name and renamed, removed again when their record is not saved; uploads of the same content
//! serialised from the file to the record.

use super::{sha256_hex, EvidenceConfig, VerifyReport};
use crate::db::{get, Store};
use crate::error::{Context, Storage, StoreError};
use crate::Result;
use std::path::Path;

pub(super) fn io_err(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::from_io(Storage::EvidenceFolder, what, path.to_path_buf(), &e)
}

/// Uploads of the same content are serialised from writing the file to committing its record
/// (or removing the file again): a stripe per first byte of the SHA-256. So a failed upload
/// that removes the file it wrote cannot remove it under another upload of the same content
/// that found it there and is about to record it.
static STRIPES: [tokio::sync::Mutex<()>; 64] = [const { tokio::sync::Mutex::const_new(()) }; 64];

pub(super) fn stripe(sha: &str) -> &'static tokio::sync::Mutex<()> {
    let b = u8::from_str_radix(sha.get(..2).unwrap_or("00"), 16).unwrap_or(0);
    &STRIPES[usize::from(b) % STRIPES.len()]
}

/// Write `bytes` as the file for `sha` unless it is there already (content-addressed: an
/// existing file with the same name holds the same content); returns whether it wrote it.
/// Written to a temporary name and renamed, so a file is never seen half-written; a failed
/// write leaves nothing behind. The folder must be private (refused otherwise, nothing
/// written); sub-folders are created `0700`, files `0600`. A full folder is
/// [`StoreError::Full`], any other failure [`StoreError::Unwritable`].
pub(super) async fn store_file(cfg: &EvidenceConfig, sha: &str, bytes: &[u8]) -> Result<bool> {
    let cfg = cfg.clone();
    let sha = sha.to_string();
    let bytes = bytes.to_vec();
    let dir = cfg.dir.clone();
    tokio::task::spawn_blocking(move || store_file_blocking(&cfg, &sha, &bytes))
        .await
        .map_err(|e| StoreError::Unwritable {
            storage: Storage::EvidenceFolder,
            place: Some(dir),
            context: "storing an evidence file".into(),
            detail: e.to_string(),
        })?
}

fn store_file_blocking(cfg: &EvidenceConfig, sha: &str, bytes: &[u8]) -> Result<bool> {
    cfg.ensure_folder().map_err(|p| StoreError::Unwritable {
        storage: Storage::EvidenceFolder,
        place: Some(p.dir().to_path_buf()),
        context: "checking the evidence folder".into(),
        detail: p.to_string(),
    })?;
    let path = cfg.path_of(sha);
    if path.try_exists().unwrap_or(false) {
        return Ok(false);
    }
    let Some(dir) = path.parent() else {
        return Err(StoreError::Config(format!(
            "the evidence path {} has no folder",
            path.display()
        )));
    };
    match crate::files::create_private_subdir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err("creating", dir, e)),
    }
    let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::new_v4().simple()));
    crate::files::write_private_file(&tmp, bytes).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err("writing", &tmp, e)
    })?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err("storing", &path, e)
    })?;
    Ok(true)
}
/// Remove a file [`store_file`] has just written for a record that was not saved.
pub(super) async fn unstore_file(cfg: &EvidenceConfig, sha: &str) {
    let path = cfg.path_of(sha);
    if let Err(e) = tokio::fs::remove_file(&path).await {
        tracing::warn!(error = %e, path = %path.display(), "cannot remove an evidence file whose record was not saved");
    }
}
/// Put a file back under its SHA-256 (a restore from a backup), written the way an upload is.
/// A file already there with the right content is kept; one with other content is replaced.
/// Returns whether it wrote the file.
pub(crate) async fn restore_file(cfg: &EvidenceConfig, sha: &str, bytes: &[u8]) -> Result<bool> {
    if sha256_hex(bytes) != sha {
        return Err(StoreError::Corrupt(format!(
            "evidence: the content given for {sha} has another hash"
        )));
    }
    let path = cfg.path_of(sha);
    if let Ok(existing) = tokio::fs::read(&path).await {
        if sha256_hex(&existing) == sha {
            return Ok(false);
        }
        tokio::fs::remove_file(&path)
            .await
            .map_err(|e| io_err("replace", &path, e))?;
    }
    store_file(cfg, sha, bytes).await?;
    Ok(true)
}

impl Store {
    /// Re-hash every stored file and report the missing and the changed.
    pub async fn verify_evidence(&self, cfg: &EvidenceConfig) -> Result<VerifyReport> {
        let rows = sqlx::query(
            "SELECT f.sha256, (SELECT MIN(e.original_name) FROM evidence e WHERE e.sha256 = f.sha256) AS name \
             FROM evidence_files f ORDER BY f.sha256",
        )
        .fetch_all(&self.pool)
        .await
        .ctx(|| "listing evidence files".into())?;
        let mut report = VerifyReport::default();
        for r in &rows {
            let sha: String = get(r, "sha256")?;
            let name: Option<String> = get(r, "name")?;
            let name = name.unwrap_or_default();
            report.checked += 1;
            match tokio::fs::read(cfg.path_of(&sha)).await {
                Ok(bytes) => {
                    let found = sha256_hex(&bytes);
                    if found != sha {
                        report.changed.push((sha, found, name));
                    }
                }
                Err(_) => report.missing.push((sha, name)),
            }
        }
        Ok(report)
    }
}

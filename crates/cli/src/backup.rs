//! `parindex backup -o FILE`, `parindex backup --verify FILE` and `parindex restore FILE`
//! (docs/backup.md): the store's backup and restore with a progress bar on a terminal.

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parindex_store::backup::{self, Limits, Progress, RestoreOptions};
use parindex_store::evidence::EvidenceConfig;
use parindex_store::Store;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Write the archive to this file (a zip; docs/backup.md).
    #[arg(
        short = 'o',
        long,
        value_name = "FILE",
        required_unless_present = "verify",
        conflicts_with = "verify"
    )]
    pub output: Option<PathBuf>,
    /// Check an archive (every checksum, size and row) without restoring it.
    #[arg(long, value_name = "FILE")]
    pub verify: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The archive written by `parindex backup`.
    pub file: PathBuf,
    /// Replace the content of a database that is not empty (in the same transaction).
    #[arg(long)]
    pub replace: bool,
}

/// A bar per stage on standard error, drawn only on a terminal.
struct Bar {
    current: RefCell<Option<ProgressBar>>,
}

impl Bar {
    fn new() -> Bar {
        Bar {
            current: RefCell::new(None),
        }
    }
}

impl Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:40}] {human_pos}/{human_len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(stage.to_string());
        if let Some(old) = self.current.replace(Some(pb)) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, steps: u64) {
        if let Some(pb) = self.current.borrow().as_ref() {
            pb.inc(steps);
        }
    }

    fn finish(&self) {
        if let Some(pb) = self.current.take() {
            pb.finish_and_clear();
        }
    }
}

/// `backup --verify FILE`: no database needed.
pub fn verify(file: &Path) -> Result<()> {
    let (m, v) = backup::verify_archive(file, Limits::default(), &Bar::new())
        .with_context(|| format!("the archive {} is not sound", file.display()))?;
    println!(
        "{}: sound — taken {} from {} (schema version {}), {} tables, {} rows, {} evidence files",
        file.display(),
        m.taken_at,
        m.source_backend,
        m.schema.version,
        v.tables,
        v.rows,
        v.evidence_files
    );
    Ok(())
}

pub async fn backup(store: &Store, output: &Path, evidence: &EvidenceConfig) -> Result<()> {
    let m = store
        .backup(output, evidence, &Bar::new())
        .await
        .with_context(|| format!("cannot write the backup {}", output.display()))?;
    println!(
        "backup written to {}: taken {}, schema version {}, {} tables, {} rows, {} evidence files",
        output.display(),
        m.taken_at,
        m.schema.version,
        m.tables.len(),
        m.total_rows(),
        m.evidence.len()
    );
    println!("left out (state, not data): {}", m.excluded.join(", "));
    Ok(())
}

pub async fn restore(store: &Store, args: &RestoreArgs, evidence: &EvidenceConfig) -> Result<()> {
    let sum = store
        .restore(
            &args.file,
            evidence,
            RestoreOptions {
                replace: args.replace,
            },
            Limits::default(),
            &Bar::new(),
        )
        .await
        .with_context(|| format!("cannot restore {}", args.file.display()))?;
    println!(
        "restored {} (taken {}, schema version {}){}:",
        args.file.display(),
        sum.taken_at,
        sum.schema_version,
        if sum.replaced {
            ", replacing the database's content"
        } else {
            ""
        }
    );
    for (table, rows) in sum.tables.iter().filter(|(_, n)| *n > 0) {
        println!("  {table:<24} {rows:>9}");
    }
    println!(
        "  {:<24} {:>9}",
        "rows",
        sum.tables.iter().map(|(_, n)| n).sum::<u64>()
    );
    println!(
        "evidence files: {} ({} written to {}, {} already there)",
        sum.evidence_files,
        sum.evidence_written,
        evidence.dir.display(),
        sum.evidence_files - sum.evidence_written
    );
    Ok(())
}

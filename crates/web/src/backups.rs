//! Scheduled backups: `serve --backup-dir DIR --backup-every 24h --backup-keep 14`
//! (docs/backup.md, "Scheduled backups").
//!
//! One task writes the same archive as `parindex backup -o FILE` ([`Store::backup`]: one
//! consistent read of the database and the evidence files, written under a temporary name and
//! renamed into place, `0600`) into a private folder (`0700`), named
//! `parindex-YYYYMMDD-HHMMSS.zip` by the time in Asia/Ho_Chi_Minh. A backup is due when the
//! newest archive of that pattern in the folder is `every` old, or at once when there is none,
//! so a restarted server neither takes an extra backup nor skips one. After each backup the
//! archives of that pattern beyond the newest `keep` are deleted; no other file is touched.
//! Backups never overlap (one task, and a lock each backup holds), a failure is logged, shown on the
//! administrator's page and retried after [`retry_delay`], and each backup written or failed is
//! recorded in the audit log (actor `system`, entity `backup`).

use parindex_store::backup::Silent;
use parindex_store::evidence::EvidenceConfig;
use parindex_store::Store;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The time zone of the archives' names.
pub const TIME_ZONE: &str = "Asia/Ho_Chi_Minh";
const PREFIX: &str = "parindex-";
const SUFFIX: &str = ".zip";

/// Where, how often and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

/// Why an interval (`--backup-every`) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntervalProblem {
    /// Not a whole number followed by `s`, `m`, `h` or `d`.
    Format { text: String },
    /// Zero.
    Zero { text: String },
    /// More than [`MAX_DAYS`] days.
    TooLong { text: String },
}

/// The longest interval accepted, in days.
pub const MAX_DAYS: u64 = 366;

impl fmt::Display for IntervalProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntervalProblem::Format { text } => write!(
                f,
                "'{text}' is not an interval: write a whole number followed by s, m, h or d (seconds, minutes, hours, days), e.g. 24h, 30m, 7d"
            ),
            IntervalProblem::Zero { text } => {
                write!(f, "'{text}': the interval must be at least 1 second")
            }
            IntervalProblem::TooLong { text } => {
                write!(f, "'{text}': the interval must be at most {MAX_DAYS} days")
            }
        }
    }
}

impl std::error::Error for IntervalProblem {}

/// `24h`, `30m`, `7d`, `90s`: a whole number and a unit.
pub fn parse_interval(s: &str) -> Result<Duration, IntervalProblem> {
    let text = s.trim();
    let format = || IntervalProblem::Format {
        text: s.to_string(),
    };
    let Some(unit) = text.chars().last() else {
        return Err(format());
    };
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format());
    }
    let per: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format()),
    };
    let too_long = || IntervalProblem::TooLong {
        text: s.to_string(),
    };
    let n: u64 = digits.parse().map_err(|_| too_long())?;
    if n == 0 {
        return Err(IntervalProblem::Zero {
            text: s.to_string(),
        });
    }
    let secs = n.checked_mul(per).ok_or_else(too_long)?;
    if secs > MAX_DAYS * 86_400 {
        return Err(too_long());
    }
    Ok(Duration::from_secs(secs))
}

/// An interval as [`parse_interval`] reads it, in the largest whole unit (a day is `24h`):
/// `24h`, `7d`, `30m`, `90s`.
pub fn interval_text(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "0s".into(),
        s if s % 86_400 == 0 && s > 86_400 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// After a failed backup, the next try: the interval, at most ten minutes.
pub fn retry_delay(every: Duration) -> Duration {
    every.min(Duration::from_secs(600))
}

/// The name of an archive taken at `at`: `parindex-YYYYMMDD-HHMMSS.zip` in Asia/Ho_Chi_Minh,
/// with `-N` before `.zip` when `seq` > 0 (a name already taken in that second).
pub fn archive_name(at: jiff::Timestamp, seq: u32) -> String {
    let stamp = match at.in_tz(TIME_ZONE) {
        Ok(z) => z.strftime("%Y%m%d-%H%M%S").to_string(),
        Err(_) => at.strftime("%Y%m%d-%H%M%S").to_string(),
    };
    if seq == 0 {
        format!("{PREFIX}{stamp}{SUFFIX}")
    } else {
        format!("{PREFIX}{stamp}-{seq}{SUFFIX}")
    }
}

/// The time (Asia/Ho_Chi_Minh) and sequence in one of our archives' names; `None` for any
/// other name.
pub fn parse_archive_name(name: &str) -> Option<(jiff::civil::DateTime, u32)> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (stamp, seq) = match rest.get(15..) {
        Some("") => (rest, 0),
        Some(tail) => {
            let n = tail.strip_prefix('-')?;
            if n.is_empty() || n.len() > 6 || n.starts_with('0') {
                return None;
            }
            if !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&rest[..15], n.parse().ok()?)
        }
        None => return None,
    };
    let digits_ok = stamp.bytes().enumerate().all(|(i, b)| {
        if i == 8 {
            b == b'-'
        } else {
            b.is_ascii_digit()
        }
    });
    if stamp.len() != 15 || !digits_ok {
        return None;
    }
    let when = jiff::civil::DateTime::strptime("%Y%m%d-%H%M%S", stamp).ok()?;
    Some((when, seq))
}

/// One of our archives in the backup folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    pub name: String,
    /// When it was taken, from its name (Asia/Ho_Chi_Minh).
    pub taken: jiff::civil::DateTime,
    pub seq: u32,
    pub bytes: u64,
}

impl ArchiveFile {
    /// When it was taken, as an instant.
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        self.taken.in_tz(TIME_ZONE).ok().map(|z| z.timestamp())
    }
}

/// Our archives in `dir` (regular files named by [`archive_name`]), oldest first.
pub fn list_archives(dir: &Path) -> io::Result<Vec<ArchiveFile>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let Some((taken, seq)) = parse_archive_name(&name) else {
            continue;
        };
        let meta = entry.metadata()?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        found.push(ArchiveFile {
            name,
            taken,
            seq,
            bytes: meta.len(),
        });
    }
    found.sort_by(|a, b| (a.taken, a.seq, &a.name).cmp(&(b.taken, b.seq, &b.name)));
    Ok(found)
}

/// Delete our archives beyond the newest `keep`; returns the names deleted. Other files in the
/// folder are never touched.
pub fn prune(dir: &Path, keep: usize) -> io::Result<Vec<String>> {
    let all = list_archives(dir)?;
    let excess = all.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for a in all.into_iter().take(excess) {
        std::fs::remove_file(dir.join(&a.name))?;
        removed.push(a.name);
    }
    Ok(removed)
}

/// The partial archives a killed backup left behind (`.parindex-….zip.<id>.partial`, the
/// temporary names [`Store::backup`] writes to): removed when the task starts, before its
/// first backup.
fn remove_stale_partials(dir: &Path) -> io::Result<usize> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix('.') else {
            continue;
        };
        let Some((archive, _)) = rest.split_once(".zip.") else {
            continue;
        };
        if name.ends_with(".partial")
            && parse_archive_name(&format!("{archive}{SUFFIX}")).is_some()
            && entry.file_type()?.is_file()
        {
            std::fs::remove_file(entry.path())?;
            n += 1;
        }
    }
    Ok(n)
}

/// A backup written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub name: String,
    pub at: jiff::Timestamp,
    pub bytes: u64,
    pub rows: u64,
    pub evidence_files: usize,
    pub took: Duration,
}

/// A backup that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub at: jiff::Timestamp,
    pub error: BackupFailure,
}

/// Why a scheduled backup was not written: a kind with a catalogued message
/// (`backups.fail.*`), the file or folder it concerns, and the system's own words (`detail`,
/// shown as a code beside the message, written to the log and the audit entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupFailure {
    /// The folder is refused: `why` is `FolderProblem::key` (not a folder, not ours, too open,
    /// cannot be made or read).
    Folder {
        dir: String,
        why: &'static str,
        detail: String,
    },
    /// A thousand archives already carry this moment's name.
    NoFreeName { dir: String },
    /// Writing the archive (or reading its size) failed.
    Write { file: String, detail: String },
    /// The background task that writes it stopped.
    Task { detail: String },
}

impl BackupFailure {
    /// The catalogue key of its message.
    pub fn key(&self) -> String {
        match self {
            BackupFailure::Folder { why, .. } => format!("backups.fail.folder_{why}"),
            BackupFailure::NoFreeName { .. } => "backups.fail.no_free_name".into(),
            BackupFailure::Write { .. } => "backups.fail.write".into(),
            BackupFailure::Task { .. } => "backups.fail.task".into(),
        }
    }

    /// The message in the reader's language, the path filled in.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        let text = crate::i18n::t(lang, &self.key());
        match self {
            BackupFailure::Folder { dir, .. } | BackupFailure::NoFreeName { dir } => {
                text.replace("{dir}", dir)
            }
            BackupFailure::Write { file, .. } => text.replace("{file}", file),
            BackupFailure::Task { .. } => text.to_string(),
        }
    }

    /// The system's own words, or empty.
    pub fn detail(&self) -> &str {
        match self {
            BackupFailure::Folder { detail, .. }
            | BackupFailure::Write { detail, .. }
            | BackupFailure::Task { detail } => detail,
            BackupFailure::NoFreeName { .. } => "",
        }
    }

    /// Every kind (for the test that each has words in both catalogues).
    pub const KEYS: &'static [&'static str] = &[
        "backups.fail.folder_not_owned",
        "backups.fail.folder_too_open",
        "backups.fail.folder_not_a_folder",
        "backups.fail.folder_io",
        "backups.fail.no_free_name",
        "backups.fail.write",
        "backups.fail.task",
    ];
}

impl fmt::Display for BackupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupFailure::Folder { detail, .. } => f.write_str(detail),
            BackupFailure::NoFreeName { dir } => {
                write!(f, "no free name for the archive in {dir}")
            }
            BackupFailure::Write { file, detail } => write!(f, "{file}: {detail}"),
            BackupFailure::Task { detail } => write!(f, "the backup task stopped: {detail}"),
        }
    }
}

/// What the administrator's page shows besides the folder's content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupStatus {
    pub running: bool,
    pub last_done: Option<Done>,
    pub last_failure: Option<Failed>,
    pub next_at: Option<jiff::Timestamp>,
}

/// The schedule and its state, shared by the task and the pages.
#[derive(Debug)]
pub struct Backups {
    pub schedule: BackupSchedule,
    status: Mutex<BackupStatus>,
    /// Held while a backup is written: two never overlap.
    running: tokio::sync::Mutex<()>,
}

impl Backups {
    pub fn new(schedule: BackupSchedule) -> Arc<Backups> {
        Arc::new(Backups {
            schedule,
            status: Mutex::new(BackupStatus::default()),
            running: tokio::sync::Mutex::new(()),
        })
    }

    pub fn status(&self) -> BackupStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn update(&self, f: impl FnOnce(&mut BackupStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Our archives in the folder, oldest first (on the blocking pool).
    pub async fn archives(&self) -> io::Result<Vec<ArchiveFile>> {
        let dir = self.schedule.dir.clone();
        tokio::task::spawn_blocking(move || list_archives(&dir))
            .await
            .map_err(io::Error::other)?
    }

    /// Hold the next backup off while the folder is looked at (tests; a copy to another
    /// machine): a backup that falls due waits until the guard is dropped.
    pub async fn hold(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.running.lock().await
    }

    /// Take one backup now and prune, after the one being written, if any.
    pub async fn run_once(
        &self,
        store: &Store,
        evidence: &EvidenceConfig,
    ) -> Result<Done, BackupFailure> {
        let _only_one = self.running.lock().await;
        self.update(|s| s.running = true);
        let result = self.write(store, evidence).await;
        let now = jiff::Timestamp::now();
        match &result {
            Ok(done) => {
                tracing::info!(
                    file = %self.schedule.dir.join(&done.name).display(),
                    bytes = done.bytes,
                    rows = done.rows,
                    evidence_files = done.evidence_files,
                    seconds = done.took.as_secs_f64(),
                    "scheduled backup written"
                );
                let after = serde_json::json!({
                    "file": done.name,
                    "folder": self.schedule.dir.display().to_string(),
                    "bytes": done.bytes,
                    "rows": done.rows,
                    "evidence_files": done.evidence_files,
                });
                if let Err(e) = store
                    .record_event("system", "backup", "backup", &done.name, after)
                    .await
                {
                    tracing::warn!(error = %e, "cannot record the scheduled backup in the audit log");
                }
            }
            Err(error) => {
                tracing::error!(folder = %self.schedule.dir.display(), %error, "scheduled backup failed");
                let after = serde_json::json!({
                    "folder": self.schedule.dir.display().to_string(),
                    "error": error.to_string(),
                });
                if let Err(e) = store
                    .record_event("system", "backup_failed", "backup", "", after)
                    .await
                {
                    tracing::warn!(error = %e, "cannot record the failed backup in the audit log");
                }
            }
        }
        self.update(|s| {
            s.running = false;
            match &result {
                Ok(done) => s.last_done = Some(done.clone()),
                Err(error) => {
                    s.last_failure = Some(Failed {
                        at: now,
                        error: error.clone(),
                    })
                }
            }
        });
        result
    }

    async fn write(&self, store: &Store, evidence: &EvidenceConfig) -> Result<Done, BackupFailure> {
        let dir = self.schedule.dir.clone();
        let start = std::time::Instant::now();
        let at = jiff::Timestamp::now();
        let task = |e: tokio::task::JoinError| BackupFailure::Task {
            detail: e.to_string(),
        };
        let name = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || -> Result<String, BackupFailure> {
                parindex_store::files::ensure_private_dir(&dir).map_err(|p| {
                    BackupFailure::Folder {
                        dir: dir.display().to_string(),
                        why: p.key(),
                        detail: p.to_string(),
                    }
                })?;
                (0..1000)
                    .map(|seq| archive_name(at, seq))
                    .find(|n| !dir.join(n).exists())
                    .ok_or_else(|| BackupFailure::NoFreeName {
                        dir: dir.display().to_string(),
                    })
            })
            .await
            .map_err(task)??
        };
        let path = dir.join(&name);
        // The backup reads and writes files as it goes: on a blocking thread, driven there.
        let handle = tokio::runtime::Handle::current();
        let (s, ev, p) = (store.clone(), evidence.clone(), path.clone());
        let manifest = tokio::task::spawn_blocking(move || {
            handle.block_on(async move { s.backup(&p, &ev, &Silent).await })
        })
        .await
        .map_err(task)?
        .map_err(|e| BackupFailure::Write {
            file: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let file = path.display().to_string();
        let keep = self.schedule.keep;
        let (bytes, removed) = tokio::task::spawn_blocking(move || {
            let bytes = std::fs::metadata(&path).map(|m| m.len());
            (bytes, prune(&dir, keep))
        })
        .await
        .map_err(task)?;
        match removed {
            Ok(names) if !names.is_empty() => {
                tracing::info!(removed = ?names, "old scheduled backups deleted")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot delete old scheduled backups"),
        }
        Ok(Done {
            name,
            at,
            bytes: bytes.map_err(|e| BackupFailure::Write {
                file,
                detail: e.to_string(),
            })?,
            rows: manifest.total_rows(),
            evidence_files: manifest.evidence.len(),
            took: start.elapsed(),
        })
    }

    /// When the next backup is due: `every` after the newest archive (at most `every` from
    /// now, should that archive's time lie in the future), at once when there is none, and
    /// not before [`retry_delay`] after a failure.
    fn next_due(&self, newest: Option<jiff::Timestamp>, now: jiff::Timestamp) -> jiff::Timestamp {
        let every = jiff::SignedDuration::try_from(self.schedule.every)
            .unwrap_or(jiff::SignedDuration::from_hours(24));
        let mut due = match newest {
            Some(t) => (t + every).min(now + every),
            None => now,
        };
        if let Some(f) = self.status().last_failure {
            let retry =
                jiff::SignedDuration::try_from(retry_delay(self.schedule.every)).unwrap_or(every);
            due = due.max(f.at + retry);
        }
        due
    }
}

/// Run the schedule until the task is aborted: stale partial archives removed, then a backup
/// whenever one is due.
pub fn spawn(
    store: Store,
    evidence: EvidenceConfig,
    backups: Arc<Backups>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let dir = backups.schedule.dir.clone();
        match tokio::task::spawn_blocking(move || remove_stale_partials(&dir)).await {
            Ok(Ok(n)) if n > 0 => tracing::info!(n, "partial backups of a stopped server removed"),
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot look for partial backups"),
            _ => {}
        }
        loop {
            let newest = match backups.archives().await {
                Ok(list) => list.last().and_then(ArchiveFile::timestamp),
                Err(e) => {
                    tracing::warn!(error = %e, folder = %backups.schedule.dir.display(), "cannot list the backup folder");
                    None
                }
            };
            let now = jiff::Timestamp::now();
            let due = backups.next_due(newest, now);
            backups.update(|s| s.next_at = Some(due));
            let wait = now.duration_until(due).unsigned_abs();
            if due > now {
                tokio::time::sleep(wait).await;
            }
            backups.update(|s| s.next_at = None);
            // Logged, audited and shown by `run_once`; a failure is retried by `next_due`.
            let _ = backups.run_once(&store, &evidence).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_read_with_their_unit() {
        assert_eq!(parse_interval("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_interval("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_interval("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_interval(" 1s "), Ok(Duration::from_secs(1)));
        for bad in [
            "", "h", "24", "24x", "1.5h", "-1h", "24 h", "1h30m", "２４h",
        ] {
            assert!(
                matches!(parse_interval(bad), Err(IntervalProblem::Format { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_interval("0h"),
            Err(IntervalProblem::Zero { .. })
        ));
        assert!(matches!(
            parse_interval("367d"),
            Err(IntervalProblem::TooLong { .. })
        ));
        assert!(matches!(
            parse_interval("99999999999999999999d"),
            Err(IntervalProblem::TooLong { .. })
        ));
        assert_eq!(
            parse_interval("24x"),
            Err(IntervalProblem::Format { text: "24x".into() })
        );
        for s in ["24h", "30m", "7d", "90s", "1s"] {
            assert_eq!(interval_text(parse_interval(s).unwrap()), s);
        }
    }

    #[test]
    fn names_are_in_vietnam_time_and_read_back() {
        // 17:05:09 UTC is 00:05:09 the next day in Asia/Ho_Chi_Minh (UTC+7).
        let at: jiff::Timestamp = "2021-12-19T17:05:09Z".parse().unwrap();
        assert_eq!(archive_name(at, 0), "parindex-20211220-000509.zip");
        assert_eq!(archive_name(at, 2), "parindex-20211220-000509-2.zip");
        let (when, seq) = parse_archive_name("parindex-20211220-000509-2.zip").unwrap();
        assert_eq!(when, jiff::civil::date(2021, 12, 20).at(0, 5, 9, 0));
        assert_eq!(seq, 2);
        let back = ArchiveFile {
            name: String::new(),
            taken: when,
            seq,
            bytes: 0,
        };
        assert_eq!(back.timestamp(), Some(at));
        for other in [
            "parindex-20211220-000509.zip.tmp",
            "parindex-20211220-0005.zip",
            "parindex-2021122a-000509.zip",
            "parindex-20211220-000509-0.zip",
            "parindex-20211220-000509-.zip",
            "parindex-20211320-000509.zip",
            "sao-luu.zip",
            "parindex.db",
            ".parindex-20211220-000509.zip.abc.partial",
        ] {
            assert!(parse_archive_name(other).is_none(), "{other}");
        }
    }

    #[test]
    fn pruning_keeps_the_newest_and_touches_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "parindex-20211218-230000.zip",
            "parindex-20211219-230000.zip",
            "parindex-20211220-000509.zip",
            "parindex-20211220-000509-1.zip",
            "parindex-20211220-000510.zip",
        ];
        for n in names {
            std::fs::write(dir.path().join(n), n).unwrap();
        }
        for other in ["sao-luu.zip", "parindex-ghi-chu.txt", "parindex-2021.zip"] {
            std::fs::write(dir.path().join(other), "x").unwrap();
        }
        std::fs::write(
            dir.path().join(".parindex-20211220-000511.zip.abc.partial"),
            "x",
        )
        .unwrap();
        std::fs::write(dir.path().join(".sao-luu.zip.abc.partial"), "x").unwrap();
        let removed = prune(dir.path(), 2).unwrap();
        assert_eq!(removed, names[..3].to_vec());
        let left: Vec<String> = list_archives(dir.path())
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(left, names[3..].to_vec());
        assert_eq!(remove_stale_partials(dir.path()).unwrap(), 1);
        for other in ["sao-luu.zip", "parindex-ghi-chu.txt", "parindex-2021.zip"] {
            assert!(dir.path().join(other).exists(), "{other}");
        }
        assert!(dir.path().join(".sao-luu.zip.abc.partial").exists());
    }

    #[test]
    fn the_next_backup_is_due_an_interval_after_the_newest() {
        let b = Backups::new(BackupSchedule {
            dir: PathBuf::from("/nowhere"),
            every: Duration::from_secs(86_400),
            keep: 14,
        });
        let now: jiff::Timestamp = "2021-12-20T10:00:00Z".parse().unwrap();
        let h = jiff::SignedDuration::from_hours;
        assert_eq!(b.next_due(None, now), now);
        assert_eq!(b.next_due(Some(now - h(30)), now), now - h(6));
        assert_eq!(b.next_due(Some(now - h(1)), now), now + h(23));
        // An archive from the future (the clock went back): at most one interval away.
        assert_eq!(b.next_due(Some(now + h(48)), now), now + h(24));
        b.update(|s| {
            s.last_failure = Some(Failed {
                at: now,
                error: BackupFailure::Task {
                    detail: "disk full".into(),
                },
            })
        });
        assert_eq!(
            b.next_due(Some(now - h(30)), now),
            now + jiff::SignedDuration::from_mins(10)
        );
    }
}

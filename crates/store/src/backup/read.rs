//! Reading an archive: sizes and counts checked before allocating, entries streamed through a
//! counting reader, every checksum verified.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// How much of an archive the reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_manifest_bytes: u64,
    pub max_table_bytes: u64,
    pub max_evidence_bytes: u64,
    /// The longest line of a table file.
    pub max_line_bytes: usize,
    /// Past 1 MiB, no entry may inflate more than this many times its packed size.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_entries: 500_000,
            max_manifest_bytes: 64 << 20,
            max_table_bytes: 64 << 30,
            max_evidence_bytes: 1 << 30,
            // An attachment (at most 10 MB) as hexadecimal, with room to spare.
            max_line_bytes: 32 << 20,
            max_ratio: 1000,
        }
    }
}

const RATIO_FLOOR: u64 = 1 << 20;

/// Refuses to read past a limit, and hashes what it reads.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    hasher: Sha256,
    tripped: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            self.tripped = true;
            return Err(io::Error::other("past the declared size"));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// An archive opened for reading: its manifest read and checked against the entries.
pub struct Archive {
    zip: zip::ZipArchive<BufReader<File>>,
    pub(super) manifest: Manifest,
    limits: Limits,
}

/// What a verification found (everything is right, or it returns an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub tables: usize,
    pub rows: u64,
    pub evidence_files: usize,
    pub bytes: u64,
}

impl Archive {
    /// Open an archive: the entry count, the manifest (bounded), its consistency, and every
    /// entry's presence and declared size. Reads no table or evidence content.
    pub fn open(path: &Path, limits: Limits) -> Result<Archive> {
        let file = File::open(path).map_err(io_err(path))?;
        let mut zip = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| BackupError::Archive(format!("{}: {e}", path.display())))?;
        if zip.len() > limits.max_entries {
            return Err(BackupError::TooManyEntries {
                found: zip.len(),
                limit: limits.max_entries,
            });
        }
        let manifest = {
            let f = zip.by_name(MANIFEST).map_err(|e| match e {
                zip::result::ZipError::FileNotFound => entry_err(MANIFEST, EntryProblem::Missing),
                other => entry_err(MANIFEST, EntryProblem::Read(other.to_string())),
            })?;
            if f.size() > limits.max_manifest_bytes {
                return Err(entry_err(
                    MANIFEST,
                    EntryProblem::TooLarge {
                        size: f.size(),
                        limit: limits.max_manifest_bytes,
                    },
                ));
            }
            let declared = f.size();
            let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
            let mut b = Bounded {
                inner: f,
                read: 0,
                limit: declared,
                hasher: Sha256::new(),
                tripped: false,
            };
            if let Err(e) = b.read_to_end(&mut bytes) {
                return Err(entry_err(
                    MANIFEST,
                    if b.tripped {
                        EntryProblem::InflatesPastDeclared { declared }
                    } else {
                        EntryProblem::Read(e.to_string())
                    },
                ));
            }
            serde_json::from_slice::<Manifest>(&bytes)
                .map_err(|e| BackupError::Manifest(e.to_string()))?
        };
        let mut archive = Archive {
            zip,
            manifest,
            limits,
        };
        archive.check_manifest()?;
        archive.check_entries()?;
        Ok(archive)
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn check_manifest(&self) -> Result<()> {
        let m = &self.manifest;
        let bad = |s: String| Err(BackupError::Manifest(s));
        if m.format != FORMAT {
            return bad(format!("format '{}', expected '{FORMAT}'", m.format));
        }
        if m.format_version != FORMAT_VERSION {
            return bad(format!(
                "format version {}, this parindex reads version {FORMAT_VERSION}",
                m.format_version
            ));
        }
        if m.entry_count() > self.limits.max_entries {
            return Err(BackupError::TooManyEntries {
                found: m.entry_count(),
                limit: self.limits.max_entries,
            });
        }
        let mut names = BTreeSet::new();
        for (i, t) in m.tables.iter().enumerate() {
            if t.file != table_file(i + 1, &t.name) {
                return bad(format!(
                    "table {} is in '{}', expected '{}'",
                    t.name,
                    t.file,
                    table_file(i + 1, &t.name)
                ));
            }
            if !names.insert(t.name.as_str()) {
                return bad(format!("table {} is listed twice", t.name));
            }
            if t.columns.is_empty() {
                return bad(format!("table {} has no columns", t.name));
            }
            if !is_sha(&t.sha256) {
                return bad(format!("table {}: '{}' is not a SHA-256", t.name, t.sha256));
            }
            if t.bytes > self.limits.max_table_bytes {
                return Err(entry_err(
                    &t.file,
                    EntryProblem::TooLarge {
                        size: t.bytes,
                        limit: self.limits.max_table_bytes,
                    },
                ));
            }
        }
        let mut shas = BTreeSet::new();
        for e in &m.evidence {
            if !is_sha(&e.sha256) || e.file != evidence_file(&e.sha256) {
                return bad(format!(
                    "evidence entry '{}' is not evidence/<sha256>",
                    e.file
                ));
            }
            if !shas.insert(e.sha256.as_str()) {
                return bad(format!("evidence {} is listed twice", e.sha256));
            }
            if e.size > self.limits.max_evidence_bytes {
                return Err(entry_err(
                    &e.file,
                    EntryProblem::TooLarge {
                        size: e.size,
                        limit: self.limits.max_evidence_bytes,
                    },
                ));
            }
        }
        Ok(())
    }

    /// Every entry of the manifest present with its declared size; nothing else in the archive;
    /// no entry inflating past the ratio limit; no overlapping entries.
    fn check_entries(&mut self) -> Result<()> {
        let mut declared: BTreeMap<String, u64> = BTreeMap::new();
        declared.insert(MANIFEST.into(), 0);
        for t in &self.manifest.tables {
            declared.insert(t.file.clone(), t.bytes);
        }
        for e in &self.manifest.evidence {
            declared.insert(e.file.clone(), e.size);
        }
        let mut seen = BTreeSet::new();
        let mut spans = Vec::with_capacity(self.zip.len());
        for i in 0..self.zip.len() {
            let f = self
                .zip
                .by_index_raw(i)
                .map_err(|e| BackupError::Archive(e.to_string()))?;
            let name = f
                .name()
                .map(|n| n.into_owned())
                .map_err(|e| BackupError::Archive(e.to_string()))?;
            let Some(&size) = declared.get(&name) else {
                return Err(entry_err(&name, EntryProblem::Unexpected));
            };
            if !seen.insert(name.clone()) {
                return Err(BackupError::Manifest(format!(
                    "entry {name} appears twice in the archive"
                )));
            }
            if name != MANIFEST && f.size() != size {
                return Err(entry_err(
                    &name,
                    EntryProblem::Size {
                        declared: size,
                        found: f.size(),
                    },
                ));
            }
            if f.size() > RATIO_FLOOR
                && f.size() / f.compressed_size().max(1) > self.limits.max_ratio
            {
                return Err(entry_err(
                    &name,
                    EntryProblem::Ratio {
                        limit: self.limits.max_ratio,
                    },
                ));
            }
            spans.push((f.header_start(), f.compressed_size()));
        }
        if let Some(missing) = declared.keys().find(|n| !seen.contains(*n)) {
            return Err(entry_err(missing, EntryProblem::Missing));
        }
        spans.sort_unstable();
        for w in spans.windows(2) {
            if w[0].0.saturating_add(30).saturating_add(w[0].1) > w[1].0 {
                return Err(BackupError::Archive("entries overlap".into()));
            }
        }
        Ok(())
    }

    /// Open a table's file for reading row by row.
    pub(super) fn rows(&mut self, index: usize) -> Result<TableRows<'_>> {
        let t = self
            .manifest
            .tables
            .get(index)
            .ok_or_else(|| BackupError::Manifest(format!("no table {index}")))?;
        let f = self.zip.by_name(&t.file).map_err(zip_err(&t.file))?;
        let compressed = f.compressed_size();
        let ratio_limit = RATIO_FLOOR.max(compressed.saturating_mul(self.limits.max_ratio));
        Ok(TableRows {
            reader: BufReader::with_capacity(
                256 * 1024,
                Bounded {
                    inner: f,
                    read: 0,
                    limit: t.bytes.min(ratio_limit),
                    hasher: Sha256::new(),
                    tripped: false,
                },
            ),
            entry: t,
            line: 0,
            buf: Vec::new(),
            max_line: self.limits.max_line_bytes,
            ratio_limit,
        })
    }

    /// Read a whole evidence file (its declared size checked against the limit before).
    pub(super) fn evidence_bytes(&mut self, index: usize) -> Result<Vec<u8>> {
        let e = self
            .manifest
            .evidence
            .get(index)
            .ok_or_else(|| BackupError::Manifest(format!("no evidence {index}")))?;
        if e.size > self.limits.max_evidence_bytes {
            return Err(entry_err(
                &e.file,
                EntryProblem::TooLarge {
                    size: e.size,
                    limit: self.limits.max_evidence_bytes,
                },
            ));
        }
        let (file, sha, size) = (e.file.clone(), e.sha256.clone(), e.size);
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        self.copy_evidence(&file, &sha, size, &mut out)?;
        Ok(out)
    }

    /// Inflate one evidence entry into `out` through the counting reader, then check its size
    /// and SHA-256 against the manifest.
    fn copy_evidence(
        &mut self,
        file: &str,
        sha: &str,
        size: u64,
        out: &mut dyn Write,
    ) -> Result<()> {
        let f = self.zip.by_name(file).map_err(zip_err(file))?;
        let mut b = Bounded {
            inner: f,
            read: 0,
            limit: size,
            hasher: Sha256::new(),
            tripped: false,
        };
        if let Err(err) = io::copy(&mut b, out) {
            return Err(entry_err(
                file,
                if b.tripped {
                    EntryProblem::InflatesPastDeclared { declared: size }
                } else {
                    EntryProblem::Read(err.to_string())
                },
            ));
        }
        check_end(file, sha, size, b.read, b.hasher)
    }

    /// Stream an evidence file through its checks without keeping it.
    fn check_evidence(&mut self, index: usize) -> Result<u64> {
        let e = self
            .manifest
            .evidence
            .get(index)
            .ok_or_else(|| BackupError::Manifest(format!("no evidence {index}")))?;
        let (file, sha, size) = (e.file.clone(), e.sha256.clone(), e.size);
        self.copy_evidence(&file, &sha, size, &mut io::sink())?;
        Ok(size)
    }

    /// Check every entry: each table file's checksum, size, rows (each parsed against its
    /// columns) and each evidence file's checksum and size; the evidence files the
    /// `evidence_files` table lists are all there. Writes nothing.
    pub fn verify(&mut self, progress: &dyn Progress) -> Result<Verified> {
        let total: u64 = self.manifest.tables.iter().map(|t| t.bytes).sum::<u64>()
            + self.manifest.evidence.iter().map(|e| e.size).sum::<u64>();
        progress.start("verify", total);
        let mut listed_files = BTreeSet::new();
        let mut rows = 0;
        for i in 0..self.manifest.tables.len() {
            let mut r = self.rows(i)?;
            let sha_col = (r.entry.name == "evidence_files")
                .then(|| r.entry.columns.iter().position(|c| c.name == "sha256"))
                .flatten();
            let mut last = 0;
            while let Some(cells) = r.next_row()? {
                if let Some(Cell::Text(s)) = sha_col.and_then(|i| cells.get(i)) {
                    listed_files.insert(s.clone());
                }
                let now = r.reader.get_ref().read;
                progress.advance(now - last);
                last = now;
            }
            rows += r.entry.rows;
        }
        for i in 0..self.manifest.evidence.len() {
            let n = self.check_evidence(i)?;
            progress.advance(n);
        }
        progress.finish();
        let have: BTreeSet<&String> = self.manifest.evidence.iter().map(|e| &e.sha256).collect();
        if let Some(missing) = listed_files.iter().find(|s| !have.contains(s)) {
            return Err(entry_err(&evidence_file(missing), EntryProblem::Missing));
        }
        Ok(Verified {
            tables: self.manifest.tables.len(),
            rows,
            evidence_files: self.manifest.evidence.len(),
            bytes: total,
        })
    }
}

fn is_sha(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_end(entry: &str, sha: &str, declared: u64, read: u64, hasher: Sha256) -> Result<()> {
    if read != declared {
        return Err(entry_err(
            entry,
            EntryProblem::Size {
                declared,
                found: read,
            },
        ));
    }
    let found = hex::encode(hasher.finalize());
    if found != sha {
        return Err(entry_err(
            entry,
            EntryProblem::Checksum {
                expected: sha.to_string(),
                found,
            },
        ));
    }
    Ok(())
}

/// A table file read line by line, each line parsed against the columns; its checksum, size
/// and row count checked at the end.
pub(super) struct TableRows<'a> {
    reader: BufReader<Bounded<zip::read::ZipFile<'a, BufReader<File>>>>,
    entry: &'a TableEntry,
    line: u64,
    buf: Vec<u8>,
    max_line: usize,
    ratio_limit: u64,
}

impl TableRows<'_> {
    fn fail(&self, problem: EntryProblem) -> BackupError {
        entry_err(&self.entry.file, problem)
    }

    pub(super) fn next_row(&mut self) -> Result<Option<Vec<Cell>>> {
        self.buf.clear();
        let limit = self.max_line as u64 + 1;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf);
        if let Err(e) = read {
            let b = self.reader.get_ref();
            return Err(self.fail(if b.tripped && b.limit >= self.entry.bytes {
                EntryProblem::InflatesPastDeclared {
                    declared: self.entry.bytes,
                }
            } else if b.tripped {
                EntryProblem::Ratio {
                    limit: self.ratio_limit,
                }
            } else {
                EntryProblem::Read(e.to_string())
            }));
        }
        if self.buf.is_empty() {
            // The end: size, checksum, rows.
            let b = self.reader.get_ref();
            check_end(
                &self.entry.file,
                &self.entry.sha256,
                self.entry.bytes,
                b.read,
                b.hasher.clone(),
            )?;
            if self.line != self.entry.rows {
                return Err(self.fail(EntryProblem::Rows {
                    declared: self.entry.rows,
                    found: self.line,
                }));
            }
            return Ok(None);
        }
        self.line += 1;
        if self.buf.last() != Some(&b'\n') {
            if self.buf.len() as u64 >= limit {
                return Err(self.fail(EntryProblem::LineTooLong {
                    line: self.line,
                    limit: self.max_line,
                }));
            }
            return Err(self.fail(EntryProblem::BadLine {
                line: self.line,
                reason: "the last line does not end with a newline".into(),
            }));
        }
        let values: Vec<serde_json::Value> = serde_json::from_slice(&self.buf).map_err(|e| {
            self.fail(EntryProblem::BadLine {
                line: self.line,
                reason: format!("not a JSON array: {e}"),
            })
        })?;
        if values.len() != self.entry.columns.len() {
            return Err(self.fail(EntryProblem::BadLine {
                line: self.line,
                reason: format!(
                    "{} values for {} columns",
                    values.len(),
                    self.entry.columns.len()
                ),
            }));
        }
        let mut cells = Vec::with_capacity(values.len());
        for (v, c) in values.into_iter().zip(&self.entry.columns) {
            cells.push(Cell::from_json(v, c.kind).map_err(|reason| {
                self.fail(EntryProblem::BadLine {
                    line: self.line,
                    reason: format!("column {}: {reason}", c.name),
                })
            })?);
        }
        Ok(Some(cells))
    }
}

/// Open and verify an archive without restoring it.
pub fn verify_archive(
    path: &Path,
    limits: Limits,
    progress: &dyn Progress,
) -> Result<(Manifest, Verified)> {
    let mut a = Archive::open(path, limits)?;
    let v = a.verify(progress)?;
    Ok((a.manifest.clone(), v))
}

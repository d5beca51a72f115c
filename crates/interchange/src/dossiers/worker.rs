//! The worker: one thread's counts, and their merge.

use super::*;
use parindex_domain::dossiers::{Counts, Dim, DossierLevel, LocalTime, Month, Outcome};
use parindex_domain::text::nfc;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// The low bits of a packed group key.
const MONTH_BASE: i32 = 1900 * 12;
const MONTH_MAX: i32 = 4000 * 12;

pub(super) struct Worker<'a> {
    layout: &'a Layout,
    dims: &'a [Dim],
    by_procedure: bool,
    as_of: i32,
    agencies: Interner,
    procedures: Interner,
    groups: FxMap<u64, u32>,
    counts: Vec<(u64, Counts)>,
    total: Counts,
    rows: u64,
    bad_rows: u64,
    bad: Vec<BadRow>,
    spool: Option<(PathBuf, BufWriter<File>)>,
    spooled: u64,
    sink: Option<&'a dyn OverdueSink>,
    batch: OverdueBatch,
    fields: Vec<(u32, u32, bool)>,
    scratch: Vec<u8>,
    /// Set when a line ends inside quotes: the file must be read sequentially.
    pub(super) quoted_break: bool,
    io_error: Option<String>,
    /// The part of the file this worker reads (its range's index; 0 when read on one thread).
    pub(super) part: u32,
}

impl<'a> Worker<'a> {
    pub(super) fn new(
        layout: &'a Layout,
        opts: &'a ScanOptions,
        spool: Option<PathBuf>,
        sink: Option<&'a dyn OverdueSink>,
    ) -> Result<Self, String> {
        let spool = match spool {
            Some(p) => {
                let f =
                    File::create(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
                Some((p, BufWriter::with_capacity(256 * 1024, f)))
            }
            None => None,
        };
        Ok(Worker {
            layout,
            dims: &opts.dims,
            by_procedure: opts.dims.contains(&Dim::Procedure),
            as_of: opts.as_of_day,
            agencies: Interner::default(),
            procedures: Interner::default(),
            groups: FxMap::default(),
            counts: Vec::new(),
            total: Counts::default(),
            rows: 0,
            bad_rows: 0,
            bad: Vec::new(),
            spool,
            spooled: 0,
            sink,
            batch: if sink.is_some() {
                OverdueBatch::with_capacity(OVERDUE_BATCH_ROWS)
            } else {
                OverdueBatch::default()
            },
            fields: Vec::with_capacity(16),
            scratch: Vec::with_capacity(256),
            quoted_break: false,
            io_error: None,
            part: 0,
        })
    }

    pub(super) fn bad(&mut self, line: u64, column: Option<&'static str>, reason: RowProblem) {
        self.bad_rows += 1;
        if self.bad.len() < BAD_ROWS_KEPT {
            self.bad.push(BadRow {
                line,
                column,
                reason,
            });
        }
    }

    /// One physical line of a CSV (without its line break). `line_no` as the worker counts.
    #[inline]
    pub(super) fn line(&mut self, mut line: &[u8], line_no: u64) {
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            return;
        }
        let mut fields = std::mem::take(&mut self.fields);
        let mut scratch = std::mem::take(&mut self.scratch);
        if split_line(line, self.layout.delimiter, &mut fields, &mut scratch).is_none() {
            self.quoted_break = true;
        } else if fields.len() != self.layout.headers.len() {
            if !(fields.len() == 1 && trim(line).is_empty()) {
                let msg = RowProblem::ColumnCount {
                    found: fields.len(),
                    expected: self.layout.headers.len(),
                };
                self.bad(line_no, None, msg);
            }
        } else {
            let get = |f: Field| -> &[u8] {
                match self.layout.idx[f as usize] {
                    Some(i) => {
                        let (a, b, s) = fields[i];
                        trim(if s {
                            &scratch[a as usize..b as usize]
                        } else {
                            &line[a as usize..b as usize]
                        })
                    }
                    None => &[],
                }
            };
            let row: Row = Field::ALL.map(get);
            self.row(&row, line_no);
        }
        self.fields = fields;
        self.scratch = scratch;
    }

    /// One row, its fields by column (trimmed).
    #[inline]
    pub(super) fn row(&mut self, r: &Row, line_no: u64) {
        match self.classify(r) {
            Ok((agency, month, level, online, received, due, result, closed, outcome)) => {
                let proc_id = if self.by_procedure {
                    self.procedures.id(r[Field::Procedure as usize])
                } else {
                    0
                };
                let mut key = 0u64;
                for d in self.dims {
                    key |= match d {
                        Dim::Agency => (agency as u64) << 42,
                        Dim::Procedure => (proc_id as u64) << 20,
                        Dim::Month => ((month.0 - MONTH_BASE) as u64) << 5,
                        Dim::Level => (level.index() as u64) << 3,
                        Dim::OnlineLevel => online as u64,
                    };
                }
                let slot = match self.groups.get(&key) {
                    Some(&s) => s as usize,
                    None => {
                        let s = self.counts.len();
                        self.groups.insert(key, s as u32);
                        self.counts.push((key, Counts::default()));
                        s
                    }
                };
                self.counts[slot].1.add(outcome, online);
                self.total.add(outcome, online);
                self.rows += 1;
                if outcome.is_overdue() && self.sink.is_some() {
                    self.batch_row(
                        r, outcome, level, online, received, due, result, closed, month, line_no,
                    );
                } else if outcome.is_overdue() && self.spool.is_some() {
                    self.spool_row(
                        r, outcome, level, online, received, due, result, closed, month,
                    );
                }
            }
            Err((col, msg)) => self.bad(line_no, col, msg),
        }
    }

    /// The row's rules ([`check_row`], shared with the JSON batch), then its agency interned.
    #[allow(clippy::type_complexity)]
    #[inline]
    fn classify(
        &mut self,
        r: &Row,
    ) -> Result<
        (
            u32,
            Month,
            DossierLevel,
            u8,
            LocalTime,
            LocalTime,
            Option<LocalTime>,
            Option<LocalTime>,
            Outcome,
        ),
        RowFault,
    > {
        let c = check_row(r, self.as_of)?;
        debug_assert!(c.month.0 >= MONTH_BASE && c.month.0 < MONTH_MAX);
        let agency = r[Field::Agency as usize];
        let agency_id = match self.agencies.last {
            Some(id) if *self.agencies.names[id as usize] == *agency => id,
            _ => {
                let id = self.agencies.id(agency);
                self.agencies.last = Some(id);
                id
            }
        };
        Ok((
            agency_id,
            c.month,
            c.level,
            c.online_level,
            c.received,
            c.due,
            c.result,
            c.closed,
            c.outcome,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn spool_row(
        &mut self,
        r: &Row,
        outcome: Outcome,
        level: DossierLevel,
        online: u8,
        received: LocalTime,
        due: LocalTime,
        result: Option<LocalTime>,
        closed: Option<LocalTime>,
        month: Month,
    ) {
        let Some((_, w)) = self.spool.as_mut() else {
            return;
        };
        let res = (|| -> std::io::Result<()> {
            w.write_all(outcome.as_str().as_bytes())?;
            for f in [Field::Code, Field::Agency, Field::Procedure] {
                w.write_all(b",")?;
                write_csv_field(w, r[f as usize])?;
            }
            write!(
                w,
                ",{},{online},{},{},",
                level.as_str(),
                rfc3339_local(received),
                rfc3339_local(due)
            )?;
            if let Some(t) = result {
                w.write_all(rfc3339_local(t).as_bytes())?;
            }
            w.write_all(b",")?;
            if let Some(t) = closed {
                w.write_all(rfc3339_local(t).as_bytes())?;
            }
            w.write_all(b",")?;
            write_csv_field(w, r[Field::Status as usize])?;
            writeln!(w, ",{month}")
        })();
        match res {
            Ok(()) => self.spooled += 1,
            Err(e) => {
                if self.io_error.is_none() {
                    self.io_error = Some(format!("writing the overdue spool: {e}"));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn batch_row(
        &mut self,
        r: &Row,
        outcome: Outcome,
        level: DossierLevel,
        online: u8,
        received: LocalTime,
        due: LocalTime,
        result: Option<LocalTime>,
        closed: Option<LocalTime>,
        month: Month,
        line: u64,
    ) {
        if self.io_error.is_some() {
            return;
        }
        let b = &mut self.batch;
        let start = b.text.len() as u32;
        let mut ends = [0u32; 8];
        push_text(&mut b.text, r[Field::Code as usize]);
        ends[0] = b.text.len() as u32;
        push_text(&mut b.text, r[Field::Agency as usize]);
        ends[1] = b.text.len() as u32;
        push_text(&mut b.text, r[Field::Procedure as usize]);
        ends[2] = b.text.len() as u32;
        push_rfc3339_local(&mut b.text, received);
        ends[3] = b.text.len() as u32;
        push_rfc3339_local(&mut b.text, due);
        ends[4] = b.text.len() as u32;
        if let Some(t) = result {
            push_rfc3339_local(&mut b.text, t);
        }
        ends[5] = b.text.len() as u32;
        if let Some(t) = closed {
            push_rfc3339_local(&mut b.text, t);
        }
        ends[6] = b.text.len() as u32;
        push_text(&mut b.text, r[Field::Status as usize]);
        ends[7] = b.text.len() as u32;
        b.rows.push(PackedOverdue {
            ends,
            start,
            outcome,
            level,
            online_level: online,
            month,
            line,
            part: self.part,
        });
        self.spooled += 1;
        if b.rows.len() >= OVERDUE_BATCH_ROWS {
            self.send_batch();
        }
    }

    /// Hand the current batch to the sink.
    fn send_batch(&mut self) {
        let Some(sink) = self.sink else {
            return;
        };
        if self.batch.is_empty() || self.io_error.is_some() {
            return;
        }
        let batch = std::mem::replace(
            &mut self.batch,
            OverdueBatch::with_capacity(OVERDUE_BATCH_ROWS),
        );
        if let Err(e) = sink.rows(batch) {
            self.io_error = Some(e);
        }
    }

    /// The worker's groups with their names.
    pub(super) fn finish(mut self) -> Result<Finished, String> {
        self.send_batch();
        if let Some(e) = self.io_error.take() {
            return Err(e);
        }
        let spool = match self.spool.take() {
            Some((p, mut w)) => {
                w.flush()
                    .map_err(|e| format!("writing the overdue spool: {e}"))?;
                Some(p)
            }
            None => None,
        };
        let text = |b: &[u8]| nfc(&String::from_utf8_lossy(b));
        let agencies: Vec<String> = self.agencies.names.iter().map(|b| text(b)).collect();
        let procedures: Vec<String> = self.procedures.names.iter().map(|b| text(b)).collect();
        let mut groups = Vec::with_capacity(self.counts.len());
        for (key, c) in self.counts {
            let k = self
                .dims
                .iter()
                .map(|d| match d {
                    Dim::Agency => agencies[(key >> 42) as usize].clone(),
                    Dim::Procedure => procedures[((key >> 20) & 0x3f_ffff) as usize].clone(),
                    Dim::Month => Month(((key >> 5) & 0x7fff) as i32 + MONTH_BASE).to_string(),
                    Dim::Level => DossierLevel::from_index(((key >> 3) & 3) as u8)
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default(),
                    Dim::OnlineLevel => (key & 7).to_string(),
                })
                .collect::<Vec<_>>();
            groups.push((k, c));
        }
        Ok(Finished {
            groups,
            total: self.total,
            rows: self.rows,
            bad_rows: self.bad_rows,
            bad: self.bad,
            spool,
            spooled: self.spooled,
        })
    }
}

pub(super) struct Finished {
    groups: Vec<(Vec<String>, Counts)>,
    total: Counts,
    rows: u64,
    bad_rows: u64,
    pub(super) bad: Vec<BadRow>,
    spool: Option<PathBuf>,
    spooled: u64,
}

pub(super) fn merge(file: &str, dims: &[Dim], parts: Vec<Finished>, threads: usize) -> Scan {
    let mut map: BTreeMap<Vec<String>, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    let (mut rows, mut bad_rows) = (0, 0);
    let mut bad = Vec::new();
    let mut files = Vec::new();
    let mut spooled = 0;
    let mut any_spool = false;
    for p in parts {
        for (k, c) in p.groups {
            map.entry(k).or_default().merge(&c);
        }
        total.merge(&p.total);
        rows += p.rows;
        bad_rows += p.bad_rows;
        bad.extend(p.bad);
        if let Some(f) = p.spool {
            any_spool = true;
            files.push(f);
        }
        spooled += p.spooled;
    }
    bad.sort_by_key(|b| b.line);
    bad.truncate(BAD_ROWS_KEPT);
    Scan {
        line_bases: vec![0],
        file: file.to_string(),
        dims: dims.to_vec(),
        groups: map
            .into_iter()
            .map(|(key, counts)| Group { key, counts })
            .collect(),
        total,
        rows,
        bad_rows,
        bad,
        overdue: any_spool.then_some(Spool {
            files,
            count: spooled,
        }),
        threads,
    }
}

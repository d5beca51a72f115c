//! Reading a CSV file: byte ranges per thread, or one careful pass when a quoted field holds a
//! line break.

use super::*;
use parindex_domain::text::nfc;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

const CHUNK: usize = 4 << 20;

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    f.read_at(buf, offset)
}

#[cfg(not(unix))]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::io::{Seek, SeekFrom};
    let mut f = f;
    f.seek(SeekFrom::Start(offset))?;
    f.read(buf)
}

fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = read_at(f, buf, offset)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file shrank while being read",
            ));
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// The header line of a CSV: its text, and the offset of the first data line.
fn read_header(f: &File, file: &str) -> Result<(Vec<u8>, u64, u64), ScanError> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = read_at(f, &mut buf, 0).map_err(|e| {
        ScanError::new(
            file,
            None,
            ScanProblem::Unreadable {
                detail: e.to_string(),
            },
        )
    })?;
    buf.truncate(n);
    let mut start = 0;
    let mut line = 1u64;
    if buf.starts_with(b"\xef\xbb\xbf") {
        start = 3;
    }
    // Skip blank lines before the header.
    loop {
        let end = find_byte(&buf[start..], b'\n').map(|e| e + start);
        let text = &buf[start..end.unwrap_or(buf.len())];
        if trim(text).is_empty() {
            match end {
                Some(e) => {
                    start = e + 1;
                    line += 1;
                    continue;
                }
                None => return Err(ScanError::new(file, None, ScanProblem::NoHeader)),
            }
        }
        let next = match end {
            Some(e) => e as u64 + 1,
            None if n < buf.capacity() => n as u64,
            None => return Err(ScanError::new(file, Some(line), ScanProblem::HeaderTooLong)),
        };
        let mut h = text.to_vec();
        if h.last() == Some(&b'\r') {
            h.pop();
        }
        return Ok((h, next, line));
    }
}

fn header_fields(h: &[u8], delim: u8, file: &str, line: u64) -> Result<Vec<String>, ScanError> {
    let mut fields = Vec::new();
    let mut scratch = Vec::new();
    let err = |m: ScanProblem| ScanError::new(file, Some(line), m);
    split_line(h, delim, &mut fields, &mut scratch)
        .ok_or_else(|| err(ScanProblem::UnbalancedQuotes))?;
    fields
        .iter()
        .map(|&(a, b, s)| {
            let bytes = if s {
                &scratch[a as usize..b as usize]
            } else {
                &h[a as usize..b as usize]
            };
            std::str::from_utf8(bytes)
                .map(nfc)
                .map_err(|_| err(ScanProblem::HeaderNotUtf8))
        })
        .collect()
}

/// Read a dossier file (CSV or XLSX, by extension) and count it.
pub fn scan_file(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    scan_file_with(path, opts, None)
}

/// Read a dossier file like [`scan_file`], handing the late and pending-overdue dossiers to
/// `sink` while the file is being read (`opts.spool_overdue` is ignored: nothing is spooled,
/// and [`Scan::overdue`] is `None`). The count handed over is `total.late + total.pending_overdue`.
pub fn scan_file_into(
    path: &Path,
    opts: &ScanOptions,
    sink: &dyn OverdueSink,
) -> Result<Scan, ScanError> {
    scan_file_with(path, opts, Some(sink))
}

fn scan_file_with(
    path: &Path,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" => scan_xlsx_with(path, opts, sink),
        "csv" | "txt" | "tsv" => scan_csv_with(path, opts, sink),
        _ => Err(ScanError::new(file, None, ScanProblem::UnsupportedType)),
    }
}

/// Read a CSV file in parallel byte ranges.
pub fn scan_csv(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    scan_csv_with(path, opts, None)
}

fn scan_csv_with(
    path: &Path,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| {
        ScanError::new(
            file.clone(),
            None,
            ScanProblem::Unreadable {
                detail: e.to_string(),
            },
        )
    };
    let (f, layout, data_start, header_line) = open_csv(path, &file, opts)?;
    let len = f.metadata().map_err(io)?.len();
    let threads = opts.threads.max(1);
    // Split points at line starts.
    let mut bounds = vec![data_start];
    for i in 1..threads {
        let target = data_start + (len - data_start) * i as u64 / threads as u64;
        let prev = *bounds.last().unwrap_or(&data_start);
        if target <= prev {
            continue;
        }
        let mut probe = vec![0u8; 64 * 1024];
        let mut at = target - 1;
        let mut found = None;
        while at < len {
            let n = read_at(&f, &mut probe, at).map_err(io)?;
            if n == 0 {
                break;
            }
            if let Some(p) = find_byte(&probe[..n], b'\n') {
                found = Some(at + p as u64 + 1);
                break;
            }
            at += n as u64;
        }
        match found {
            Some(b) if b > prev && b < len => bounds.push(b),
            _ => {}
        }
    }
    bounds.push(len);
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let results: Vec<Result<(Finished, u64, bool), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| {
                let layout = &layout;
                let f = &f;
                s.spawn(move || -> Result<(Finished, u64, bool), String> {
                    let spool = (opts.spool_overdue && sink.is_none()).then(|| spool_path(i));
                    let mut w = Worker::new(layout, opts, spool, sink)?;
                    w.part = i as u32;
                    let lines =
                        read_range(f, a, b, &mut w).map_err(|e| format!("cannot be read: {e}"))?;
                    let broke = w.quoted_break;
                    Ok((w.finish()?, lines, broke))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a reading thread failed".into()))
            })
            .collect()
    });
    let mut parts = Vec::new();
    let mut broke = false;
    let mut line_base = header_line;
    let mut line_bases = Vec::with_capacity(results.len());
    for r in results {
        let (mut fin, lines, b) =
            r.map_err(|m| ScanError::new(file.clone(), None, ScanProblem::Failed(m)))?;
        broke |= b;
        for bad in &mut fin.bad {
            bad.line += line_base;
        }
        line_bases.push(line_base);
        line_base += lines;
        parts.push(fin);
    }
    if broke {
        drop(parts);
        if let Some(sink) = sink {
            sink.restart()
                .map_err(|m| ScanError::new(file.clone(), None, ScanProblem::Failed(m)))?;
        }
        return scan_csv_sequential(path, &layout, data_start, header_line, opts, sink);
    }
    let mut scan = merge(&file, &opts.dims, parts, ranges.len());
    scan.line_bases = line_bases;
    Ok(scan)
}

/// Read a CSV dossier export with the careful sequential reader (the csv crate, one thread)
/// only: the oracle the parallel fast path is checked against (fuzz target `dossiers_csv`).
pub fn scan_csv_careful(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let (_, layout, data_start, header_line) = open_csv(path, &file, opts)?;
    scan_csv_sequential(path, &layout, data_start, header_line, opts, None)
}

/// Open a CSV export and read its header: the file, the layout, where the data starts and the
/// header's line.
fn open_csv(
    path: &Path,
    file: &str,
    opts: &ScanOptions,
) -> Result<(File, Layout, u64, u64), ScanError> {
    let f = File::open(path).map_err(|e| {
        ScanError::new(
            file.to_string(),
            None,
            ScanProblem::Unreadable {
                detail: e.to_string(),
            },
        )
    })?;
    let (header, data_start, header_line) = read_header(&f, file)?;
    let delim = sniff_delimiter(&header);
    let headers = header_fields(&header, delim, file, header_line)?;
    let layout = Layout::from_headers(headers, delim, &opts.columns)
        .map_err(|m| ScanError::new(file.to_string(), Some(header_line), ScanProblem::Layout(m)))?;
    Ok((f, layout, data_start, header_line))
}

/// Process the lines of `[start, end)`, numbering them from 1. Returns the number of lines.
fn read_range(f: &File, start: u64, end: u64, w: &mut Worker) -> std::io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0usize;
    let mut pos = start;
    let mut line_no = 0u64;
    loop {
        let room = buf.len() - filled;
        let want = (end - pos).min(room as u64) as usize;
        if want == 0 && room == 0 {
            // A line longer than the buffer: grow it.
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if want > 0 {
            read_exact_at(f, &mut buf[filled..filled + want], pos)?;
            pos += want as u64;
            filled += want;
        }
        let mut ls = 0usize;
        while let Some(nl) = find_byte(&buf[ls..filled], b'\n') {
            line_no += 1;
            w.line(&buf[ls..ls + nl], line_no);
            ls += nl + 1;
        }
        if pos >= end {
            if ls < filled {
                line_no += 1;
                let last = buf[ls..filled].to_vec();
                w.line(&last, line_no);
            }
            return Ok(line_no);
        }
        buf.copy_within(ls..filled, 0);
        filled -= ls;
    }
}

/// Read a CSV on one thread with a full CSV reader (line breaks inside quoted fields).
fn scan_csv_sequential(
    path: &Path,
    layout: &Layout,
    data_start: u64,
    header_line: u64,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| {
        ScanError::new(
            file.clone(),
            None,
            ScanProblem::Unreadable {
                detail: e.to_string(),
            },
        )
    };
    let mut f = File::open(path).map_err(io)?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(data_start)).map_err(io)?;
    // Lines end at LF (a CR before it is trimmed with the field), as in the parallel fast path:
    // a lone CR inside a line is data, not a line end (found by the differential fuzz target).
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(BufReader::with_capacity(1 << 20, f));
    let spool = (opts.spool_overdue && sink.is_none()).then(|| spool_path(0));
    let mut w = Worker::new(layout, opts, spool, sink)
        .map_err(|m| ScanError::new(file.clone(), None, ScanProblem::Failed(m)))?;
    let mut rec = csv::ByteRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line_no = header_line + line;
                if rec.len() == 1 && trim(&rec[0]).is_empty() {
                    continue;
                }
                if rec.len() != layout.headers.len() {
                    let msg = RowProblem::ColumnCount {
                        found: rec.len(),
                        expected: layout.headers.len(),
                    };
                    w.bad(line_no, None, msg);
                    continue;
                }
                let row: Row = Field::ALL.map(|fl| match layout.idx[fl as usize] {
                    Some(i) => trim(rec.get(i).unwrap_or(&[])),
                    None => &[],
                });
                w.row(&row, line_no);
            }
            Err(e) => {
                return Err(ScanError::new(
                    file.clone(),
                    Some(header_line + line),
                    ScanProblem::Csv(e.to_string()),
                ))
            }
        }
    }
    let fin = w
        .finish()
        .map_err(|m| ScanError::new(file.clone(), None, ScanProblem::Failed(m)))?;
    Ok(merge(&file, &opts.dims, vec![fin], 1))
}

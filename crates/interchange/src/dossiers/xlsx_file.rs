//! Reading an XLSX workbook (and any reader, sequentially).

use super::*;
use crate::table::fold_key;
use parindex_domain::text::nfc;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

fn xlsx_cell_text(v: &crate::xlsx_read::Value) -> String {
    use crate::xlsx_read::Value;
    match v {
        Value::Empty => String::new(),
        Value::Text(s) => s.clone(),
        Value::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Value::Number(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::DateTime(dt) => {
            if dt.hour() == 0 && dt.minute() == 0 && dt.second() == 0 {
                dt.date().to_string()
            } else {
                dt.strftime("%Y-%m-%d %H:%M:%S").to_string()
            }
        }
        Value::Duration(f) => f.to_string(),
        Value::Error(e) => format!("#{e}"),
    }
}

/// Read the first sheet (or one named `Dossiers` / `Hồ sơ`) of a workbook, streamed row by row
/// through the bounded reader ([`crate::xlsx_read`], [`XlsxLimits::DOSSIERS`]).
pub fn scan_xlsx(path: &Path, opts: &ScanOptions) -> Result<Scan, ScanError> {
    scan_xlsx_with(path, opts, None)
}

pub(super) fn scan_xlsx_with(
    path: &Path,
    opts: &ScanOptions,
    sink: Option<&dyn OverdueSink>,
) -> Result<Scan, ScanError> {
    use crate::xlsx_read::{Stop, Workbook, XlsxLimits};
    let file = path.display().to_string();
    let err = |line: Option<u64>, k: ScanProblem| ScanError::new(file.clone(), line, k);
    let refused =
        |e: crate::xlsx_read::XlsxError| ScanError::new(file.clone(), None, ScanProblem::Xlsx(e));
    let f = File::open(path).map_err(|e| {
        err(
            None,
            ScanProblem::Unreadable {
                detail: e.to_string(),
            },
        )
    })?;
    let mut wb = Workbook::open(BufReader::new(f), XlsxLimits::DOSSIERS).map_err(refused)?;
    let names = wb.sheet_names();
    let name = names
        .iter()
        .find(|n| matches!(fold_key(n).as_str(), "dossiers" | "ho so"))
        .or(names.first())
        .cloned()
        .ok_or_else(|| err(None, ScanProblem::NoSheet))?;
    // The header is the first row with a non-blank cell: a first pass stops there.
    enum Pass1 {
        Header(u64, Vec<String>),
    }
    let found = wb.for_each_row(&name, |line, cells| -> Result<(), Pass1> {
        let texts: Vec<String> = cells.iter().map(xlsx_cell_text).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            return Ok(());
        }
        Err(Pass1::Header(line, texts))
    });
    let (header_line, header) = match found {
        Ok(()) => return Err(err(None, ScanProblem::NoHeader)),
        Err(Stop::Xlsx(e)) => return Err(refused(e)),
        Err(Stop::Caller(Pass1::Header(line, texts))) => (line, texts),
    };
    let headers: Vec<String> = header.iter().map(|t| nfc(t)).collect();
    let layout = Layout::from_headers(headers, b',', &opts.columns)
        .map_err(|m| err(Some(header_line), ScanProblem::Layout(m)))?;
    let spool = (opts.spool_overdue && sink.is_none()).then(|| spool_path(0));
    let mut w =
        Worker::new(&layout, opts, spool, sink).map_err(|m| err(None, ScanProblem::Failed(m)))?;
    let res = wb.for_each_row(&name, |line, cells| -> Result<(), ScanError> {
        if line <= header_line {
            return Ok(());
        }
        let texts: Vec<String> = cells.iter().map(xlsx_cell_text).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            return Ok(());
        }
        let row: Row = Field::ALL.map(|fl| match layout.idx[fl as usize] {
            Some(i) => trim(texts.get(i).map(|s| s.as_bytes()).unwrap_or(&[])),
            None => &[],
        });
        w.row(&row, line);
        Ok(())
    });
    match res {
        Ok(()) => {}
        Err(Stop::Xlsx(e)) => return Err(refused(e)),
        Err(Stop::Caller(e)) => return Err(e),
    }
    let fin = w.finish().map_err(|m| err(None, ScanProblem::Failed(m)))?;
    Ok(merge(&file, &opts.dims, vec![fin], 1))
}

/// Read dossiers from any reader as CSV (for uploads): the text is spooled to a temporary file
/// first so that it is read like any other file.
pub fn scan_reader(mut r: impl Read, name: &str, opts: &ScanOptions) -> Result<Scan, ScanError> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("csv")
        .to_ascii_lowercase();
    let tmp = std::env::temp_dir().join(format!(
        "{}.{ext}",
        spool_path(99)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("upload")
    ));
    let res = (|| {
        let mut f = File::create(&tmp).map_err(|e| {
            ScanError::new(
                name,
                None,
                ScanProblem::Unstorable {
                    detail: e.to_string(),
                },
            )
        })?;
        std::io::copy(&mut r, &mut f).map_err(|e| {
            ScanError::new(
                name,
                None,
                ScanProblem::Unstorable {
                    detail: e.to_string(),
                },
            )
        })?;
        drop(f);
        scan_file(&tmp, opts).map(|mut s| {
            s.file = name.to_string();
            s
        })
    })();
    let _ = std::fs::remove_file(&tmp);
    res
}

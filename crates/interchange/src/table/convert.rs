//! Cell conversions: text, decimals, whole numbers, booleans and dates, with a problem per bad
//! cell, and the row reader that applies them to matched columns.

use super::*;
use jiff::civil::Date;
use parindex_domain::score::{parse_points, NumberProblem};
use parindex_domain::text::nfc;
use rust_decimal::Decimal;
use std::str::FromStr;

/// An f64 read from a spreadsheet as the exact decimal it shows: Excel keeps 15 significant
/// digits, so `85.58` (stored as 85.5799999…) reads back as exactly 85.58.
pub(crate) fn f64_to_decimal(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some(Decimal::ZERO);
    }
    let s = format!("{f:.14e}");
    Decimal::from_scientific(&s).ok().map(|d| d.normalize())
}

/// The f64 that reads back as exactly `d`, if there is one.
pub(crate) fn decimal_to_f64(d: Decimal) -> Option<f64> {
    let f = f64::from_str(&d.to_string()).ok()?;
    (f64_to_decimal(f) == Some(d)).then_some(f)
}

fn number_text(f: f64) -> String {
    match f64_to_decimal(f) {
        Some(d) => d.to_string(),
        None => f.to_string(),
    }
}

/// Text of a cell, NFC-normalised and trimmed; `None` when empty.
pub(crate) fn cell_text(c: &Cell) -> Result<Option<String>, ReadProblem> {
    Ok(match c {
        Cell::Empty => None,
        Cell::Text(t) => Some(nfc(t)).filter(|s| !s.is_empty()),
        Cell::Number(f) => Some(number_text(*f)),
        Cell::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        Cell::Date(d) => Some(d.to_string()),
        Cell::Error(e) => return Err(e.clone()),
    })
}

fn not_a_number(value: String) -> ReadProblem {
    ReadProblem::Number(NumberProblem::NotANumber { value })
}

/// A decimal: a number cell, or text such as `85.58` or `85,58`.
pub(crate) fn cell_decimal(c: &Cell) -> Result<Option<Decimal>, ReadProblem> {
    match c {
        Cell::Number(f) => f64_to_decimal(*f)
            .map(Some)
            .ok_or_else(|| ReadProblem::Inexact {
                value: f.to_string(),
            }),
        Cell::Text(t) if t.trim().is_empty() => Ok(None),
        Cell::Text(t) => {
            let t = nfc(t);
            parse_points(&t).map(Some).map_err(|e| match e {
                NumberProblem::MixedSeparators { .. } => ReadProblem::Number(e),
                _ => not_a_number(t),
            })
        }
        other => match cell_text(other)? {
            None => Ok(None),
            Some(t) => Err(not_a_number(t)),
        },
    }
}

fn not_whole(d: Decimal) -> ReadProblem {
    ReadProblem::NotWhole {
        value: d.to_string(),
    }
}

/// A whole, non-negative number (a rank, a year, a count).
pub(crate) fn cell_u32(c: &Cell) -> Result<Option<u32>, ReadProblem> {
    let Some(d) = cell_decimal(c)? else {
        return Ok(None);
    };
    if !d.is_integer() || d < Decimal::ZERO || d > Decimal::from(u32::MAX) {
        return Err(not_whole(d));
    }
    u32::from_str(&d.normalize().to_string())
        .map(Some)
        .map_err(|_| not_whole(d))
}

/// A whole number that may be negative (a year).
pub(crate) fn cell_i32(c: &Cell) -> Result<Option<i32>, ReadProblem> {
    let Some(d) = cell_decimal(c)? else {
        return Ok(None);
    };
    if !d.is_integer() {
        return Err(not_whole(d));
    }
    i32::from_str(&d.normalize().to_string())
        .map(Some)
        .map_err(|_| not_whole(d))
}

/// Parse a yes/no text: yes/no, true/false, 1/0, x, có/không; empty is no.
pub(crate) fn parse_bool(s: &str) -> Result<bool, ReadProblem> {
    match fold_key(s).as_str() {
        "" | "no" | "n" | "false" | "0" | "khong" | "k" => Ok(false),
        "yes" | "y" | "true" | "1" | "x" | "co" | "c" => Ok(true),
        _ => Err(ReadProblem::NotYesNo {
            value: s.trim().to_string(),
        }),
    }
}

/// A boolean cell; empty is false.
pub(crate) fn cell_bool(c: &Cell) -> Result<Option<bool>, ReadProblem> {
    match c {
        Cell::Empty => Ok(None),
        Cell::Bool(b) => Ok(Some(*b)),
        Cell::Number(f) if *f == 1.0 => Ok(Some(true)),
        Cell::Number(f) if *f == 0.0 => Ok(Some(false)),
        Cell::Text(t) => parse_bool(t).map(|b| (!t.trim().is_empty()).then_some(b)),
        other => match cell_text(other)? {
            None => Ok(None),
            Some(t) => parse_bool(&t).map(Some),
        },
    }
}

/// Parse a date written `dd/mm/yyyy` (also with `-` or `.`) or `yyyy-mm-dd`.
pub(crate) fn parse_date(s: &str) -> Result<Date, ReadProblem> {
    let t = s.trim();
    let bad = || ReadProblem::NotADate { value: t.into() };
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let num = |p: &str| p.parse::<i32>().map_err(|_| bad());
    let (y, m, d) = if parts[0].len() == 4 {
        (num(parts[0])?, num(parts[1])?, num(parts[2])?)
    } else if parts[2].len() == 4 {
        (num(parts[2])?, num(parts[1])?, num(parts[0])?)
    } else {
        return Err(bad());
    };
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(y), i8::try_from(m), i8::try_from(d)) else {
        return Err(bad());
    };
    Date::new(y, m, d).map_err(|_| ReadProblem::NoSuchDate { value: t.into() })
}

/// A date cell: a spreadsheet date or text.
pub(crate) fn cell_date(c: &Cell) -> Result<Option<Date>, ReadProblem> {
    match c {
        Cell::Date(d) => Ok(Some(*d)),
        Cell::Number(f) => Err(ReadProblem::NotADate {
            value: number_text(*f),
        }),
        other => match cell_text(other)? {
            None => Ok(None),
            Some(t) => parse_date(&t).map(Some),
        },
    }
}

/// Reading one data row: each getter records a problem (row and column) for a bad cell and
/// returns `None`; `Some(None)` is an empty cell.
pub(crate) struct RowReader<'a, K> {
    pub cols: &'a Columns<K>,
    pub row: &'a Row,
    pub p: &'a mut Problems,
    /// How many problems this row has recorded.
    pub count: usize,
}

impl<'a, K: PartialEq + Clone> RowReader<'a, K> {
    pub(crate) fn new(cols: &'a Columns<K>, row: &'a Row, p: &'a mut Problems) -> Self {
        RowReader {
            cols,
            row,
            p,
            count: 0,
        }
    }

    pub(crate) fn problem(&mut self, k: &K, why: ReadProblem) {
        let col = self.cols.header(k).map(str::to_string);
        self.p.push(Some(self.row.number), col.as_deref(), why);
        self.count += 1;
    }

    /// Convert a cell: `Ok(None)` when the column is absent or the cell empty; `Err(())` after
    /// recording a problem.
    pub(crate) fn get<T>(
        &mut self,
        k: &K,
        conv: fn(&Cell) -> Result<Option<T>, ReadProblem>,
    ) -> Result<Option<T>, ()> {
        let Some(cell) = self.cols.cell(self.row, k) else {
            return Ok(None);
        };
        match conv(cell) {
            Ok(v) => Ok(v),
            Err(m) => {
                self.problem(k, m);
                Err(())
            }
        }
    }

    /// A required value: an empty cell is a problem too.
    pub(crate) fn req<T>(
        &mut self,
        k: &K,
        conv: fn(&Cell) -> Result<Option<T>, ReadProblem>,
    ) -> Option<T> {
        match self.get(k, conv) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                if self.cols.has(k) {
                    self.problem(k, ReadProblem::Empty);
                }
                None
            }
            Err(()) => None,
        }
    }

    pub(crate) fn text(&mut self, k: &K) -> Option<String> {
        self.get(k, cell_text).ok().flatten()
    }

    pub(crate) fn decimal(&mut self, k: &K) -> Option<Decimal> {
        self.get(k, cell_decimal).ok().flatten()
    }

    pub(crate) fn u32(&mut self, k: &K) -> Option<u32> {
        self.get(k, cell_u32).ok().flatten()
    }

    pub(crate) fn bool(&mut self, k: &K) -> bool {
        self.get(k, cell_bool).ok().flatten().unwrap_or(false)
    }

    pub(crate) fn date(&mut self, k: &K) -> Option<Date> {
        self.get(k, cell_date).ok().flatten()
    }
}

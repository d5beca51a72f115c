//! The rules of one dossier row, shared by every reader: the file readers (CSV, XLSX, through
//! the worker) and the JSON batch of `POST /api/v1/dossiers` ([`super::batch`]) call
//! [`check_row`], so a row is good or bad for the same reasons whichever way it came.

use super::bytes::is_ascii;
use super::{Field, RowProblem, NF};
use parindex_domain::dossiers::{
    check_times, classify, parse_online_level, parse_time, DossierLevel, LocalTime, Month, Outcome,
    TimeError,
};

/// One row's fields, by column ([`Field`] order), trimmed.
pub type Row<'r> = [&'r [u8]; NF];

/// 1900-01-01 and 4000-01-01 as day numbers: the range of years accepted.
pub(super) const DAY_1900: i32 = -25_567;
pub(super) const DAY_4000: i32 = 741_442;

/// A good row, read: its level, times, month of receipt and outcome on the as-of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedRow {
    pub level: DossierLevel,
    pub online_level: u8,
    pub received: LocalTime,
    pub due: LocalTime,
    pub result: Option<LocalTime>,
    pub closed: Option<LocalTime>,
    /// The month of receipt (local).
    pub month: Month,
    pub outcome: Outcome,
}

/// Why a row is bad: the column (when one is to blame) and the reason.
pub type RowFault = (Option<&'static str>, RowProblem);

/// Check one row (fields trimmed, in [`Field`] order) as of `as_of_day`: text fields valid
/// UTF-8, code and agency given, level and online level known, every time readable and within
/// 1900–3999, the times in order (`domain::dossiers::check_times`); then classify it.
#[inline]
pub fn check_row(r: &Row, as_of_day: i32) -> Result<CheckedRow, RowFault> {
    for f in [Field::Code, Field::Agency, Field::Procedure, Field::Status] {
        let v = r[f as usize];
        if !is_ascii(v) && std::str::from_utf8(v).is_err() {
            return Err((Some(f.name()), RowProblem::NotUtf8));
        }
    }
    for f in [Field::Code, Field::Agency] {
        if r[f as usize].is_empty() {
            return Err((Some(f.name()), RowProblem::Empty));
        }
    }
    let time = |f: Field| -> Result<LocalTime, RowFault> {
        let v = r[f as usize];
        if v.is_empty() {
            return Err((Some(f.name()), RowProblem::Time(TimeError::Empty)));
        }
        let t = parse_time(v).map_err(|e| (Some(f.name()), RowProblem::Time(e)))?;
        if !(DAY_1900..DAY_4000).contains(&t.days) {
            return Err((Some(f.name()), RowProblem::YearOutOfRange));
        }
        Ok(t)
    };
    let opt_time = |f: Field| -> Result<Option<LocalTime>, RowFault> {
        if r[f as usize].is_empty() {
            Ok(None)
        } else {
            time(f).map(Some)
        }
    };
    let lv = r[Field::Level as usize];
    let level = DossierLevel::parse(lv).ok_or_else(|| {
        (
            Some("level"),
            RowProblem::UnknownLevel {
                value: String::from_utf8_lossy(lv).into_owned(),
            },
        )
    })?;
    let ov = r[Field::OnlineLevel as usize];
    let online_level = parse_online_level(ov).ok_or_else(|| {
        (
            Some("online_level"),
            RowProblem::UnknownOnlineLevel {
                value: String::from_utf8_lossy(ov).into_owned(),
            },
        )
    })?;
    let received = time(Field::ReceivedAt)?;
    let due = time(Field::DueAt)?;
    let result = opt_time(Field::ResultAt)?;
    let closed = opt_time(Field::ClosedAt)?;
    check_times(received, due, result, closed)
        .map_err(|p| (Some(p.column()), RowProblem::Times(p)))?;
    Ok(CheckedRow {
        level,
        online_level,
        received,
        due,
        result,
        closed,
        month: received.month(),
        outcome: classify(due.days, closed, as_of_day),
    })
}

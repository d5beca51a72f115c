//! One-stop-shop dossiers (hồ sơ TTHC): the definitions of early, on time, late, pending and
//! pending overdue, the times as the one-stop software writes them, and the counts and rates
//! per group. Documented in `docs/dossiers.md`.
//!
//! - Every time is reduced to its **local wall-clock time in Asia/Ho_Chi_Minh** ([`LocalTime`]):
//!   a time with an offset (`2021-03-15T08:12:33+07:00`, `…Z`) is converted; a naive time
//!   (`2021-03-15 08:12`, `2021-03-15`) is taken as local time already.
//! - A closed dossier is **early** when its close date is before its due date, **on time** on the
//!   due date, **late** after it (dates, not times, are compared).
//! - A dossier without a close time is **pending**; it is **pending overdue** when its due date
//!   is before the as-of date.
//! - A dossier belongs to the month of its receipt.
//!
//! Rates are exact decimals (percent, two decimals, half away from zero); no `f64` anywhere.

pub mod overdue_list;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// The time zone every date is compared in.
pub const TIME_ZONE: &str = "Asia/Ho_Chi_Minh";
const LOCAL_OFFSET_SECS: i64 = 7 * 3600;
/// Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since 13 June 1975; earlier times go
/// through the time-zone database.
const FIXED_FROM_YEAR: i32 = 1976;

// ---------------------------------------------------------------------------------------------
// Days and local times
// ---------------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The date of a day number: (year, month, day).
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A month as a number: `year × 12 + month − 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month(pub i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Month {
        Month(year * 12 + month as i32 - 1)
    }
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }
    pub fn month(self) -> u32 {
        (self.0.rem_euclid(12) + 1) as u32
    }
    /// `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let b = s.trim().as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return None;
        }
        let y = digits(&b[0..4])? as i32;
        let m = digits(&b[5..7])?;
        (1..=12).contains(&m).then(|| Month::new(y, m))
    }
    pub fn first_day(self) -> i32 {
        days_from_civil(self.year(), self.month(), 1)
    }
    pub fn last_day(self) -> i32 {
        days_from_civil(
            self.year(),
            self.month(),
            days_in_month(self.year(), self.month()),
        )
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// A local wall-clock time in Asia/Ho_Chi_Minh: the day number and the seconds since midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    pub days: i32,
    pub secs: u32,
}

impl LocalTime {
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }
    pub fn month(self) -> Month {
        let (y, m, _) = self.ymd();
        Month::new(y, m)
    }
    pub fn date(self) -> jiff::civil::Date {
        let (y, m, d) = self.ymd();
        jiff::civil::Date::new(y as i16, m as i8, d as i8).unwrap_or(jiff::civil::Date::MIN)
    }
    /// `YYYY-MM-DD HH:MM:SS` (local).
    pub fn text(self) -> String {
        let (y, m, d) = self.ymd();
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            self.secs / 3600,
            self.secs / 60 % 60,
            self.secs % 60
        )
    }
}

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("empty date")]
    Empty,
    #[error(
        "'{value}' is not a date or time (use ISO 8601, e.g. 2021-03-15T08:30:00+07:00 or 2021-03-15 08:30)"
    )]
    NotATime { value: String },
    /// The time zone database lacks the province's zone (a fault of the installation).
    #[error("time zone {} is unknown", TIME_ZONE)]
    NoTimeZone,
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

#[inline]
fn d2(b: &[u8], i: usize) -> Option<u32> {
    let a = b.get(i)?.wrapping_sub(b'0');
    let c = b.get(i + 1)?.wrapping_sub(b'0');
    (a < 10 && c < 10).then_some(a as u32 * 10 + c as u32)
}

fn tz() -> Option<&'static jiff::tz::TimeZone> {
    static TZ: OnceLock<Option<jiff::tz::TimeZone>> = OnceLock::new();
    TZ.get_or_init(|| jiff::tz::TimeZone::get(TIME_ZONE).ok())
        .as_ref()
}

fn from_civil(dt: jiff::civil::DateTime) -> LocalTime {
    LocalTime {
        days: days_from_civil(dt.year() as i32, dt.month() as u32, dt.day() as u32),
        secs: dt.hour() as u32 * 3600 + dt.minute() as u32 * 60 + dt.second() as u32,
    }
}

/// Read a time as ISO 8601: `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` optionally followed
/// by `Z` or an offset `±HH:MM` / `±HHMM` / `±HH`. The common fixed forms are read by hand;
/// anything else goes through a general parser.
pub fn parse_time(b: &[u8]) -> Result<LocalTime, TimeError> {
    match parse_fast(b) {
        Some(Some(t)) => Ok(t),
        Some(None) => Err(bad_time(b)),
        None => parse_general(b),
    }
}

fn bad_time(b: &[u8]) -> TimeError {
    TimeError::NotATime {
        value: String::from_utf8_lossy(b).into_owned(),
    }
}

/// `None`: not a form the fast path knows (try the general parser); `Some(None)`: a known form
/// with an impossible value.
#[inline]
fn parse_fast(b: &[u8]) -> Option<Option<LocalTime>> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = (d2(b, 0)? * 100 + d2(b, 2)?) as i32;
    let mo = d2(b, 5)?;
    let d = d2(b, 8)?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return Some(None);
    }
    let days = days_from_civil(y, mo, d);
    if b.len() == 10 {
        return Some(Some(LocalTime { days, secs: 0 }));
    }
    if b[10] != b'T' && b[10] != b' ' || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let h = d2(b, 11)?;
    let mi = d2(b, 14)?;
    let mut pos = 16;
    let mut s = 0;
    if b.get(pos) == Some(&b':') {
        s = d2(b, pos + 1)?;
        pos += 3;
        if b.get(pos) == Some(&b'.') || b.get(pos) == Some(&b',') {
            pos += 1;
            let start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
            if pos == start {
                return None;
            }
        }
    }
    if h > 23 || mi > 59 || s > 60 {
        return Some(None);
    }
    let s = s.min(59);
    let wall = (h * 3600 + mi * 60 + s) as i64;
    let rest = &b[pos..];
    let offset: i64 = match rest {
        [] => {
            return Some(Some(LocalTime {
                days,
                secs: wall as u32,
            }))
        }
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let oh = d2(rest, 1)?;
            let om = match rest.len() {
                3 => 0,
                5 => d2(rest, 3)?,
                6 if rest[3] == b':' => d2(rest, 4)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return Some(None);
            }
            let o = (oh * 3600 + om * 60) as i64;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    if y < FIXED_FROM_YEAR {
        return None;
    }
    if offset == LOCAL_OFFSET_SECS {
        return Some(Some(LocalTime {
            days,
            secs: wall as u32,
        }));
    }
    let local = days as i64 * 86_400 + wall - offset + LOCAL_OFFSET_SECS;
    Some(Some(LocalTime {
        days: local.div_euclid(86_400) as i32,
        secs: local.rem_euclid(86_400) as u32,
    }))
}

fn parse_general(b: &[u8]) -> Result<LocalTime, TimeError> {
    let s = std::str::from_utf8(b).map_err(|_| bad_time(b))?.trim();
    if s.is_empty() {
        return Err(TimeError::Empty);
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        let tz = tz().ok_or(TimeError::NoTimeZone)?;
        return Ok(from_civil(tz.to_datetime(ts)));
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return Ok(from_civil(dt));
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Ok(from_civil(d.to_datetime(jiff::civil::Time::midnight())));
    }
    Err(bad_time(b))
}

/// The as-of date as a day number.
pub fn day_of(date: jiff::civil::Date) -> i32 {
    days_from_civil(date.year() as i32, date.month() as u32, date.day() as u32)
}

// ---------------------------------------------------------------------------------------------
// Levels
// ---------------------------------------------------------------------------------------------

/// The administrative level that handles a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierLevel {
    Province,
    District,
    Commune,
}

impl DossierLevel {
    pub const ALL: [DossierLevel; 3] = [
        DossierLevel::Province,
        DossierLevel::District,
        DossierLevel::Commune,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DossierLevel::Province => "province",
            DossierLevel::District => "district",
            DossierLevel::Commune => "commune",
        }
    }
    pub fn index(self) -> u8 {
        self as u8
    }
    pub fn from_index(i: u8) -> Option<DossierLevel> {
        DossierLevel::ALL.get(i as usize).copied()
    }
    /// `province`/`tỉnh`/`cấp tỉnh`, `district`/`huyện`, `commune`/`xã` (case and diacritics
    /// ignored).
    #[inline]
    pub fn parse(b: &[u8]) -> Option<DossierLevel> {
        match b {
            b"province" => Some(DossierLevel::Province),
            b"district" => Some(DossierLevel::District),
            b"commune" => Some(DossierLevel::Commune),
            _ => {
                let s = std::str::from_utf8(b).ok()?;
                let f = crate::text::fold(s);
                match f.trim().trim_start_matches("cap ").trim() {
                    "province" | "provincial" | "tinh" => Some(DossierLevel::Province),
                    "district" | "huyen" => Some(DossierLevel::District),
                    "commune" | "xa" => Some(DossierLevel::Commune),
                    _ => None,
                }
            }
        }
    }
}

/// The online-service level of a dossier's procedure: 0 when not online (or not given), else 1-4
/// (`3`, `mức độ 3`, `level 3`).
#[inline]
pub fn parse_online_level(b: &[u8]) -> Option<u8> {
    match b {
        [] => Some(0),
        [c @ b'0'..=b'4'] => Some(c - b'0'),
        _ => {
            let s = std::str::from_utf8(b).ok()?;
            let f = crate::text::fold(s);
            let t = f
                .trim()
                .trim_start_matches("muc do")
                .trim_start_matches("level")
                .trim();
            match t {
                "" => Some(0),
                "0" | "1" | "2" | "3" | "4" => t.parse().ok(),
                _ => None,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

/// What became of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Early,
    OnTime,
    Late,
    Pending,
    PendingOverdue,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Early => "early",
            Outcome::OnTime => "on_time",
            Outcome::Late => "late",
            Outcome::Pending => "pending",
            Outcome::PendingOverdue => "pending_overdue",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "early" => Some(Outcome::Early),
            "on_time" => Some(Outcome::OnTime),
            "late" => Some(Outcome::Late),
            "pending" => Some(Outcome::Pending),
            "pending_overdue" => Some(Outcome::PendingOverdue),
            _ => None,
        }
    }
    /// Late and pending-overdue dossiers are the ones that need an explanation.
    pub fn is_overdue(self) -> bool {
        matches!(self, Outcome::Late | Outcome::PendingOverdue)
    }
}

/// Classify a dossier by its due date, its close time (if closed) and the as-of date (day
/// numbers in local time).
#[inline]
pub fn classify(due_day: i32, closed: Option<LocalTime>, as_of_day: i32) -> Outcome {
    match closed {
        Some(c) if c.days < due_day => Outcome::Early,
        Some(c) if c.days == due_day => Outcome::OnTime,
        Some(_) => Outcome::Late,
        None if due_day < as_of_day => Outcome::PendingOverdue,
        None => Outcome::Pending,
    }
}

/// Why a row's times are inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimesProblem {
    DueBeforeReceived,
    ClosedBeforeReceived,
    ResultBeforeReceived,
}

impl TimesProblem {
    pub fn message(self) -> &'static str {
        match self {
            TimesProblem::DueBeforeReceived => "the due date is before the date received",
            TimesProblem::ClosedBeforeReceived => "closed before it was received",
            TimesProblem::ResultBeforeReceived => {
                "the result is dated before the dossier was received"
            }
        }
    }
    pub fn column(self) -> &'static str {
        match self {
            TimesProblem::DueBeforeReceived => "due_at",
            TimesProblem::ClosedBeforeReceived => "closed_at",
            TimesProblem::ResultBeforeReceived => "result_at",
        }
    }
}

/// Check the times of one dossier: the due date may not be before the day received (a dossier
/// due the same day is fine); closing and the result may not come before receipt.
#[inline]
pub fn check_times(
    received: LocalTime,
    due: LocalTime,
    result: Option<LocalTime>,
    closed: Option<LocalTime>,
) -> Result<(), TimesProblem> {
    if due.days < received.days {
        return Err(TimesProblem::DueBeforeReceived);
    }
    if closed.is_some_and(|c| c < received) {
        return Err(TimesProblem::ClosedBeforeReceived);
    }
    if result.is_some_and(|r| r < received) {
        return Err(TimesProblem::ResultBeforeReceived);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Counts and rates
// ---------------------------------------------------------------------------------------------

/// Counts of one group. `received = resolved + pending`; `resolved = early + on_time + late`;
/// `pending_overdue` is part of `pending`; `online` is part of `received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub received: u64,
    pub resolved: u64,
    pub early: u64,
    pub on_time: u64,
    pub late: u64,
    pub pending: u64,
    pub pending_overdue: u64,
    /// Dossiers received online ([`is_online`]: online level 3 or 4, as the export's
    /// online-level column says). `None` when not known: a cell stored before the count was
    /// kept (migration 0014), a rate published before it, or a sum with such a part.
    #[serde(default)]
    pub online: Option<u64>,
}

/// Nothing counted yet — and every count known (`online` is `Some(0)`).
impl Default for Counts {
    fn default() -> Self {
        Counts {
            received: 0,
            resolved: 0,
            early: 0,
            on_time: 0,
            late: 0,
            pending: 0,
            pending_overdue: 0,
            online: Some(0),
        }
    }
}

/// The lowest online level counted as an online dossier: "hồ sơ trực tuyến mức độ 3, 4".
pub const ONLINE_LEVEL_FROM: u8 = 3;

/// Whether a dossier of this online level (0 = not online or not given, 1–4) is counted as
/// online: level 3 or 4.
#[inline]
pub fn is_online(online_level: u8) -> bool {
    online_level >= ONLINE_LEVEL_FROM
}

/// `part / whole × 100`, two decimals, half away from zero; `None` when `whole` is zero.
pub fn percent(part: u64, whole: u64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    Some(
        (Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

impl Counts {
    /// One dossier received: its outcome and its online level (0–4).
    #[inline]
    pub fn add(&mut self, o: Outcome, online_level: u8) {
        self.received += 1;
        if is_online(online_level) {
            if let Some(n) = self.online.as_mut() {
                *n += 1;
            }
        }
        match o {
            Outcome::Early => {
                self.resolved += 1;
                self.early += 1
            }
            Outcome::OnTime => {
                self.resolved += 1;
                self.on_time += 1
            }
            Outcome::Late => {
                self.resolved += 1;
                self.late += 1
            }
            Outcome::Pending => self.pending += 1,
            Outcome::PendingOverdue => {
                self.pending += 1;
                self.pending_overdue += 1
            }
        }
    }

    pub fn merge(&mut self, o: &Counts) {
        self.received += o.received;
        self.resolved += o.resolved;
        self.early += o.early;
        self.on_time += o.on_time;
        self.late += o.late;
        self.pending += o.pending;
        self.pending_overdue += o.pending_overdue;
        // Unknown in one part, unknown in the sum.
        self.online = match (self.online, o.online) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }

    /// Whether the counts add up (`received = resolved + pending` and so on).
    pub fn consistent(&self) -> bool {
        self.received == self.resolved + self.pending
            && self.resolved == self.early + self.on_time + self.late
            && self.pending_overdue <= self.pending
            && self.online.is_none_or(|n| n <= self.received)
    }

    /// Early / resolved, %.
    pub fn early_rate(&self) -> Option<Decimal> {
        percent(self.early, self.resolved)
    }
    /// (Early + on time) / resolved, %: resolved by the due date.
    pub fn on_time_rate(&self) -> Option<Decimal> {
        percent(self.early + self.on_time, self.resolved)
    }
    /// Late / resolved, %.
    pub fn late_rate(&self) -> Option<Decimal> {
        percent(self.late, self.resolved)
    }
    /// Online / received, %: the online share. `None` when the online count is not known or
    /// nothing was received.
    pub fn online_share(&self) -> Option<Decimal> {
        self.online.and_then(|n| percent(n, self.received))
    }
    /// Late and pending-overdue dossiers: those needing an explanation.
    pub fn overdue(&self) -> u64 {
        self.late + self.pending_overdue
    }
}

/// A late or pending-overdue dossier as kept for its explanation. Times are local
/// (Asia/Ho_Chi_Minh) RFC 3339 with `+07:00`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueDossier {
    pub outcome: Outcome,
    pub code: String,
    pub agency: String,
    pub procedure: String,
    pub level: DossierLevel,
    pub online_level: u8,
    pub received_at: String,
    pub due_at: String,
    pub result_at: Option<String>,
    pub closed_at: Option<String>,
    pub status: Option<String>,
    /// The month of receipt.
    pub month: Month,
}

/// A dimension to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    Agency,
    Month,
    Procedure,
    Level,
    OnlineLevel,
}

impl Dim {
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Agency => "agency",
            Dim::Month => "month",
            Dim::Procedure => "procedure",
            Dim::Level => "level",
            Dim::OnlineLevel => "online_level",
        }
    }
    /// A comma-separated list: `agency,month`, `procedure`, `level`…
    pub fn parse_list(s: &str) -> Result<Vec<Dim>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let d = match part.to_ascii_lowercase().replace('-', "_").as_str() {
                "agency" => Dim::Agency,
                "month" => Dim::Month,
                "procedure" => Dim::Procedure,
                "level" => Dim::Level,
                "online_level" | "online" => Dim::OnlineLevel,
                other => {
                    return Err(format!(
                        "cannot group by '{other}': use agency, month, procedure, level or online_level"
                    ))
                }
            };
            if out.contains(&d) {
                return Err(format!("'{part}' is given twice"));
            }
            out.push(d);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn t(s: &str) -> LocalTime {
        parse_time(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn day(s: &str) -> i32 {
        t(s).days
    }

    #[test]
    fn days_round_trip() {
        for z in [-800_000, -1, 0, 1, 18_000, 18_700, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2021, 3, 15), 18_701);
    }

    #[test]
    fn reads_the_usual_forms() {
        let a = t("2021-03-15T08:12:33+07:00");
        assert_eq!(a.text(), "2021-03-15 08:12:33");
        assert_eq!(t("2021-03-15 08:12:33").text(), "2021-03-15 08:12:33");
        assert_eq!(t("2021-03-15T08:12").text(), "2021-03-15 08:12:00");
        assert_eq!(t("2021-03-15").text(), "2021-03-15 00:00:00");
        assert_eq!(t("2021-03-15T01:12:33Z").text(), "2021-03-15 08:12:33");
        assert_eq!(t("2021-03-15T01:12:33.123Z").text(), "2021-03-15 08:12:33");
        assert_eq!(t("2021-03-15T08:12:33+0700").text(), "2021-03-15 08:12:33");
        assert_eq!(t("2021-03-15T03:12:33+02").text(), "2021-03-15 08:12:33");
        assert_eq!(t("2021-03-14T20:12:33-05:00").text(), "2021-03-15 08:12:33");
        // General forms go through jiff.
        assert_eq!(
            t("2021-03-15T08:12:33.123456789+07:00[Asia/Ho_Chi_Minh]").text(),
            "2021-03-15 08:12:33"
        );
        assert_eq!(t("20210315T011233Z").text(), "2021-03-15 08:12:33");
        // Before 1976 the time-zone database decides (Saigon was UTC+8 in 1970).
        assert_eq!(t("1970-06-01T00:00:00Z").text(), "1970-06-01 08:00:00");
        for bad in [
            "2021-02-30",
            "2021-13-01",
            "2021-03-15T25:00",
            "15/03/2021",
            "",
            "hôm qua",
            "2021-03-15T08:12:33+25:00",
        ] {
            assert!(
                parse_time(bad.as_bytes()).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn a_utc_time_can_fall_on_the_next_local_day() {
        // 17:30 UTC is 00:30 the next day in Hà Nội.
        let c = t("2021-03-15T17:30:00Z");
        assert_eq!(c.text(), "2021-03-16 00:30:00");
        let due = day("2021-03-15");
        assert_eq!(classify(due, Some(c), due), Outcome::Late);
        // …while 16:59 UTC is still the due date: on time.
        assert_eq!(
            classify(due, Some(t("2021-03-15T16:59:00Z")), due),
            Outcome::OnTime
        );
    }

    #[test]
    fn early_on_time_late_by_local_date() {
        let due = day("2021-03-15T17:00:00+07:00");
        let as_of = day("2021-04-01");
        assert_eq!(
            classify(due, Some(t("2021-03-14T23:59:59+07:00")), as_of),
            Outcome::Early
        );
        assert_eq!(
            classify(due, Some(t("2021-03-15T00:01:00+07:00")), as_of),
            Outcome::OnTime
        );
        // Closed at 23:59 on the due date (after the due hour): still on time, dates are compared.
        assert_eq!(
            classify(due, Some(t("2021-03-15T23:59:00+07:00")), as_of),
            Outcome::OnTime
        );
        // 00:01 the next day: late.
        assert_eq!(
            classify(due, Some(t("2021-03-16T00:01:00+07:00")), as_of),
            Outcome::Late
        );
    }

    #[test]
    fn pending_and_pending_overdue() {
        let due = day("2021-03-15");
        // Due today, not closed: pending, not yet overdue.
        assert_eq!(classify(due, None, due), Outcome::Pending);
        assert_eq!(classify(due, None, due - 1), Outcome::Pending);
        // The day after the due date: overdue.
        assert_eq!(classify(due, None, due + 1), Outcome::PendingOverdue);
    }

    #[test]
    fn inconsistent_times_are_refused() {
        let r = t("2021-03-15T09:00:00+07:00");
        assert_eq!(
            check_times(r, t("2021-03-14"), None, None),
            Err(TimesProblem::DueBeforeReceived)
        );
        // Due the day it is received: allowed (same-day procedures).
        assert_eq!(check_times(r, t("2021-03-15"), None, None), Ok(()));
        assert_eq!(
            check_times(
                r,
                t("2021-03-20"),
                None,
                Some(t("2021-03-15T08:59:00+07:00"))
            ),
            Err(TimesProblem::ClosedBeforeReceived)
        );
        assert_eq!(
            check_times(r, t("2021-03-20"), Some(t("2021-03-01")), None),
            Err(TimesProblem::ResultBeforeReceived)
        );
    }

    #[test]
    fn month_of_receipt_is_local() {
        // 31 March 20:00 UTC is 1 April in Hà Nội.
        assert_eq!(t("2021-03-31T20:00:00Z").month().to_string(), "2021-04");
        assert_eq!(Month::parse("2021-04"), Some(Month::new(2021, 4)));
        assert_eq!(Month::parse("2021-4"), None);
        let m = Month::new(2021, 2);
        assert_eq!(civil_from_days(m.last_day()), (2021, 2, 28));
    }

    #[test]
    fn counts_and_exact_rates() {
        let mut c = Counts::default();
        for (o, online_level) in [
            (Outcome::Early, 0),
            (Outcome::OnTime, 1),
            (Outcome::OnTime, 2),
            (Outcome::Late, 3),
            (Outcome::Pending, 4),
            (Outcome::PendingOverdue, 0),
        ] {
            c.add(o, online_level);
        }
        assert!(c.consistent());
        assert_eq!((c.received, c.resolved, c.pending), (6, 4, 2));
        // Online: levels 3 and 4 only, over every dossier received.
        assert_eq!(c.online, Some(2));
        assert_eq!(c.online_share(), Some(dec!(33.33)));
        assert_eq!(c.early_rate(), Some(dec!(25)));
        assert_eq!(c.on_time_rate(), Some(dec!(75)));
        assert_eq!(c.late_rate(), Some(dec!(25)));
        assert_eq!(c.overdue(), 2);
        assert_eq!(percent(1, 3), Some(dec!(33.33)));
        assert_eq!(percent(2, 3), Some(dec!(66.67)));
        assert_eq!(percent(1, 0), None);
    }

    #[test]
    fn an_unknown_online_count_stays_unknown() {
        let mut known = Counts::default();
        known.add(Outcome::Early, 4);
        let unknown = Counts {
            online: None,
            ..known
        };
        assert_eq!(unknown.online_share(), None);
        let mut sum = Counts::default();
        sum.merge(&known);
        assert_eq!(sum.online_share(), Some(dec!(100)));
        sum.merge(&unknown);
        assert_eq!((sum.received, sum.online), (2, None));
        assert_eq!(Counts::default().online_share(), None);
        // A snapshot written before the count was kept reads as unknown.
        let old: Counts = serde_json::from_str(
            r#"{"received":1,"resolved":1,"early":1,"on_time":0,"late":0,"pending":0,"pending_overdue":0}"#,
        )
        .unwrap();
        assert_eq!(old.online, None);
        assert!(old.consistent());
        let more = Counts {
            online: Some(3),
            ..known
        };
        assert!(!more.consistent());
    }

    #[test]
    fn levels_and_dims() {
        assert_eq!(
            DossierLevel::parse(b"district"),
            Some(DossierLevel::District)
        );
        assert_eq!(
            DossierLevel::parse("Cấp xã".as_bytes()),
            Some(DossierLevel::Commune)
        );
        assert_eq!(
            DossierLevel::parse("Tỉnh".as_bytes()),
            Some(DossierLevel::Province)
        );
        assert_eq!(DossierLevel::parse(b"federal"), None);
        assert_eq!(parse_online_level(b""), Some(0));
        assert_eq!(parse_online_level(b"3"), Some(3));
        assert_eq!(parse_online_level("Mức độ 4".as_bytes()), Some(4));
        assert_eq!(parse_online_level(b"7"), None);
        assert_eq!(
            Dim::parse_list("agency,month").unwrap(),
            vec![Dim::Agency, Dim::Month]
        );
        assert!(Dim::parse_list("agency,agency").is_err());
        assert!(Dim::parse_list("colour").is_err());
    }
}

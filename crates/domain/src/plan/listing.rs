//! What the plan's pages list and in which order: a unit's reports on a task (newest first,
//! which are still open to review), the periods a report may still be sent for, the units a
//! task page puts first, the orders of the "my tasks" and accountability tables, what a
//! head's evaluation record counts as needing attention, and the split of a unit's ranking
//! standings by year. Pure: the pages only label what this returns.

use super::{PeriodState, Report, Status};
use crate::text::fold;
use jiff::civil::Date;
use rust_decimal::Decimal;

/// Whether a row whose searchable text is `haystack` is kept by a search (`query` already
/// folded with [`fold`]; no query keeps everything).
pub fn search_keeps(query: Option<&str>, haystack: &str) -> bool {
    query.is_none_or(|q| fold(haystack).contains(q))
}

/// One version of a unit's report on a task, with whether it is the latest of its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportEntry<'a> {
    pub report: &'a Report,
    /// The highest version stored for its period.
    pub latest: bool,
}

impl ReportEntry<'_> {
    /// The latest of its period and not yet decided: a coordinator may accept or return it.
    pub fn open_to_review(&self) -> bool {
        self.latest && self.report.decision.is_none()
    }
}

/// A unit's reports on a task, newest first (by id), each with whether it is the latest
/// version of its period.
pub fn unit_reports<'a>(reports: &'a [Report], task_id: &str, unit: &str) -> Vec<ReportEntry<'a>> {
    let mut mine: Vec<&Report> = reports
        .iter()
        .filter(|r| r.task_id == task_id && r.unit == unit)
        .collect();
    mine.sort_by_key(|r| std::cmp::Reverse(r.id));
    mine.iter()
        .map(|r| ReportEntry {
            report: r,
            latest: mine
                .iter()
                .filter(|x| x.period == r.period)
                .map(|x| x.version)
                .max()
                == Some(r.version),
        })
        .collect()
}

/// The periods a report may still be sent for (every one not accepted), in the assignment's
/// order: the earliest open one, the form's default, first.
pub fn open_periods(periods: &[PeriodState]) -> Vec<&PeriodState> {
    periods
        .iter()
        .filter(|p| p.status != Status::Accepted)
        .collect()
}

/// Puts the unit asked for (`focus`, e.g. from a board card) first, then the user's own unit,
/// the rest keeping their order.
pub fn focus_first<T>(
    items: &mut [T],
    slug_of: impl Fn(&T) -> &str,
    focus: Option<&str>,
    own: Option<&str>,
) {
    items.sort_by_key(|x| {
        let s = slug_of(x);
        std::cmp::Reverse((focus == Some(s), own == Some(s)))
    });
}

/// Whether an assignment with this status is on a head's evaluation record as needing
/// attention: overdue, or returned for rework.
pub fn needs_attention(status: Status) -> bool {
    matches!(status, Status::Overdue | Status::Returned)
}

/// The orders of a unit's "my tasks" table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MyTasksOrder {
    /// As the plan lists the tasks.
    Plan,
    /// By the next due date (none last), then the plan's order.
    Due,
    /// By status (overdue first), then the plan's order.
    Status,
}

impl MyTasksOrder {
    /// The order a `?sort=` asks for; anything else is the plan's order.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("due") => MyTasksOrder::Due,
            Some("status") => MyTasksOrder::Status,
            _ => MyTasksOrder::Plan,
        }
    }
}

/// What a row of "my tasks" is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MyTaskKey {
    pub next_due: Option<Date>,
    pub status: Status,
    /// The task's place in the plan.
    pub position: usize,
}

/// Orders the rows of "my tasks" (stable), reversed when `descending`.
pub fn order_my_tasks<T>(
    rows: &mut [T],
    order: MyTasksOrder,
    descending: bool,
    key: impl Fn(&T) -> MyTaskKey,
) {
    match order {
        MyTasksOrder::Plan => {}
        MyTasksOrder::Due => rows.sort_by_key(|r| {
            let k = key(r);
            (k.next_due.unwrap_or(Date::MAX), k.position)
        }),
        MyTasksOrder::Status => rows.sort_by_key(|r| {
            let k = key(r);
            (k.status, k.position)
        }),
    }
    if descending {
        rows.reverse();
    }
}

/// The columns the accountability table may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadsOrder {
    /// As the store returns the records.
    Given,
    Unit,
    Head,
    Overdue,
    Missing,
    Late,
    Lost,
}

impl HeadsOrder {
    /// The columns offered as sort links, by their `?sort=` name.
    pub const COLUMNS: [&'static str; 6] = ["unit", "head", "overdue", "missing", "late", "lost"];

    /// The order a `?sort=` asks for; anything else keeps the records' order.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("unit") => HeadsOrder::Unit,
            Some("head") => HeadsOrder::Head,
            Some("overdue") => HeadsOrder::Overdue,
            Some("missing") => HeadsOrder::Missing,
            Some("late") => HeadsOrder::Late,
            Some("lost") => HeadsOrder::Lost,
            _ => HeadsOrder::Given,
        }
    }
}

/// What a row of the accountability table is ordered by (names as shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadKey<'a> {
    pub unit: &'a str,
    pub head: &'a str,
    pub overdue: usize,
    pub missing: usize,
    pub late: usize,
    /// Points lost in the areas led; unknown counts as none.
    pub lost: Option<Decimal>,
}

/// Orders the accountability table's rows (stable; names compared folded), reversed when
/// `descending`.
pub fn order_heads<T>(
    rows: &mut [T],
    order: HeadsOrder,
    descending: bool,
    key: impl for<'a> Fn(&'a T) -> HeadKey<'a>,
) {
    match order {
        HeadsOrder::Given => {}
        HeadsOrder::Unit => rows.sort_by_cached_key(|r| fold(key(r).unit)),
        HeadsOrder::Head => rows.sort_by_cached_key(|r| fold(key(r).head)),
        HeadsOrder::Overdue => rows.sort_by_key(|r| key(r).overdue),
        HeadsOrder::Missing => rows.sort_by_key(|r| key(r).missing),
        HeadsOrder::Late => rows.sort_by_key(|r| key(r).late),
        HeadsOrder::Lost => rows.sort_by_key(|r| key(r).lost.unwrap_or_default()),
    }
    if descending {
        rows.reverse();
    }
}

/// The columns the compliance table may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceOrder {
    Unit,
    Assignments,
    Accepted,
    Submitted,
    Overdue,
    Missing,
    Late,
    Head,
}

impl ComplianceOrder {
    /// The columns offered as sort links, by their `?sort=` name.
    pub const COLUMNS: [&'static str; 8] = [
        "unit",
        "assignments",
        "accepted",
        "submitted",
        "overdue",
        "missing",
        "late",
        "head",
    ];

    /// The order a `?sort=` asks for; anything else is by unit.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("assignments") => ComplianceOrder::Assignments,
            Some("accepted") => ComplianceOrder::Accepted,
            Some("submitted") => ComplianceOrder::Submitted,
            Some("overdue") => ComplianceOrder::Overdue,
            Some("missing") => ComplianceOrder::Missing,
            Some("late") => ComplianceOrder::Late,
            Some("head") => ComplianceOrder::Head,
            _ => ComplianceOrder::Unit,
        }
    }
}

/// What a row of the compliance table is ordered by (names as shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceKey<'a> {
    pub unit: &'a str,
    pub head: &'a str,
    pub counts: super::Compliance,
}

/// Orders the compliance table's rows: by unit name (folded), then, stably, by the column
/// asked for; reversed when `descending`.
pub fn order_compliance<T>(
    rows: &mut [T],
    order: ComplianceOrder,
    descending: bool,
    key: impl for<'a> Fn(&'a T) -> ComplianceKey<'a>,
) {
    rows.sort_by_cached_key(|r| fold(key(r).unit));
    match order {
        ComplianceOrder::Unit => {}
        ComplianceOrder::Assignments => rows.sort_by_key(|r| key(r).counts.assignments),
        ComplianceOrder::Accepted => rows.sort_by_key(|r| key(r).counts.accepted),
        ComplianceOrder::Submitted => rows.sort_by_key(|r| key(r).counts.submitted),
        ComplianceOrder::Overdue => rows.sort_by_key(|r| key(r).counts.overdue),
        ComplianceOrder::Missing => rows.sort_by_key(|r| key(r).counts.missing_reports),
        ComplianceOrder::Late => rows.sort_by_key(|r| key(r).counts.late_reports),
        ComplianceOrder::Head => rows.sort_by_cached_key(|r| fold(key(r).head)),
    }
    if descending {
        rows.reverse();
    }
}

/// A unit's ranking standings as its evaluation record of `year` shows them: those of the year
/// and those of earlier years, each newest first then by round (later years left out: the
/// record of a year does not know them).
pub fn standings_until<T>(
    all: Vec<T>,
    year: i32,
    year_of: impl Fn(&T) -> i32,
    round_of: impl Fn(&T) -> &str,
) -> (Vec<T>, Vec<T>) {
    let mut kept: Vec<T> = all.into_iter().filter(|s| year_of(s) <= year).collect();
    kept.sort_by(|a, b| {
        year_of(b)
            .cmp(&year_of(a))
            .then_with(|| round_of(a).cmp(round_of(b)))
    });
    kept.into_iter().partition(|s| year_of(s) == year)
}

#[cfg(test)]
mod tests;

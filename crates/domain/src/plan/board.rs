//! The board by status (`GET /plans/{id}/board`): which assignments a filter keeps and the
//! columns they fall into. Pure: the page and its .xlsx export only label what this returns.

use super::{PeriodState, Status};
use crate::text::fold;
use jiff::civil::Date;
use jiff::ToSpan;

/// The board's filters that do not depend on how names are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoardFilter {
    /// Only assignments whose next period falls due within 7 days of today (today included).
    pub due_within_week: bool,
    /// Only assignments with a period missed (nothing sent and past due).
    pub missing_only: bool,
}

/// The periods missed by an assignment: nothing sent and the due date passed.
pub fn missed_periods(periods: &[PeriodState]) -> usize {
    periods.iter().filter(|p| p.missing).count()
}

impl BoardFilter {
    /// Whether an assignment with this next due date and these periods is on the board.
    pub fn keeps(&self, next_due: Option<Date>, periods: &[PeriodState], today: Date) -> bool {
        let soon = today.saturating_add(7.days());
        if self.due_within_week && !next_due.is_some_and(|d| d >= today && d <= soon) {
            return false;
        }
        !(self.missing_only && missed_periods(periods) == 0)
    }
}

/// One column of the board: a status, how many items have it, the items in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusColumn<T> {
    pub status: Status,
    pub items: Vec<T>,
}

/// The items in one column per status, in [`Status::ALL`] order (only `only`'s column when a
/// status is chosen), each column keeping the items' order.
pub fn status_columns<T>(
    items: Vec<T>,
    status_of: impl Fn(&T) -> Status,
    only: Option<Status>,
) -> Vec<StatusColumn<T>> {
    let mut columns: Vec<StatusColumn<T>> = Status::ALL
        .iter()
        .filter(|s| only.is_none_or(|o| o == **s))
        .map(|s| StatusColumn {
            status: *s,
            items: Vec::new(),
        })
        .collect();
    for item in items {
        let s = status_of(&item);
        if let Some(c) = columns.iter_mut().find(|c| c.status == s) {
            c.items.push(item);
        }
    }
    columns
}

/// The orders of the board's items within each column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardOrder {
    /// By the next due date (none last), then the plan's order.
    Due,
    /// By unit name (folded), then the plan's order.
    Unit,
    /// By the plan's order, then unit name (folded).
    Task,
}

impl BoardOrder {
    /// The order a `?sort=` asks for; anything else is by due date.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("unit") => BoardOrder::Unit,
            Some("task") => BoardOrder::Task,
            _ => BoardOrder::Due,
        }
    }
}

/// What a board item is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardKey<'a> {
    /// The unit's name as shown.
    pub unit: &'a str,
    pub next_due: Option<Date>,
    /// The task's place in the plan.
    pub position: usize,
}

/// Orders the board's items (stable), reversed when `descending`.
pub fn order_board<T>(
    items: &mut [T],
    order: BoardOrder,
    descending: bool,
    key: impl for<'a> Fn(&'a T) -> BoardKey<'a>,
) {
    match order {
        BoardOrder::Unit => items.sort_by_cached_key(|r| {
            let k = key(r);
            (fold(k.unit), k.position)
        }),
        BoardOrder::Task => items.sort_by_cached_key(|r| {
            let k = key(r);
            (k.position, fold(k.unit))
        }),
        BoardOrder::Due => items.sort_by_key(|r| {
            let k = key(r);
            (k.next_due.unwrap_or(Date::MAX), k.position)
        }),
    }
    if descending {
        items.reverse();
    }
}

#[cfg(test)]
mod tests;

//! The board by status (`GET /plans/{id}/board`): which assignments a filter keeps and the
//! columns they fall into. Pure: the page and its .xlsx export only label what this returns.

use super::{PeriodState, Status};
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

#[cfg(test)]
mod tests;

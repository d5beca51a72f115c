//! The deadline calendar of one month (`GET /plans/{id}/calendar`): which tasks fall due on
//! which day, how many units each is assigned to and how many of them are overdue on that period.
//! Pure: the page and its .xlsx export only label what this returns.

use super::{PeriodState, Status, Task};
use crate::calendar::{Period, WorkCalendar};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// One assignment of a task as the calendar sees it: the unit and its periods so far.
#[derive(Debug, Clone, Copy)]
pub struct AssignedPeriods<'a> {
    pub unit: &'a str,
    pub periods: &'a [PeriodState],
}

/// A task with its assignments, the calendar's input.
#[derive(Debug, Clone)]
pub struct TaskAssignments<'a> {
    pub task: &'a Task,
    pub assignments: Vec<AssignedPeriods<'a>>,
}

/// One task due on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEntry<'a> {
    pub task: &'a Task,
    pub period: Period,
    /// The units the task is assigned to.
    pub units: usize,
    /// Of those, the units whose report for this period is overdue.
    pub overdue: usize,
    /// The viewer's own unit is among them.
    pub yours: bool,
}

/// One day with something due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDay<'a> {
    pub date: Date,
    /// A weekend day off or a public holiday of the working calendar.
    pub non_working: bool,
    /// In the order of the tasks given.
    pub entries: Vec<DueEntry<'a>>,
}

/// The days of the month starting on `first` on which a period of one of `tasks` is due, in
/// date order; `own_unit` marks the entries assigned to the viewer's unit.
pub fn month_calendar<'a>(
    tasks: &[TaskAssignments<'a>],
    cal: &WorkCalendar,
    first: Date,
    own_unit: Option<&str>,
) -> Vec<DueDay<'a>> {
    let last = first.last_of_month();
    let mut by_day: BTreeMap<Date, Vec<DueEntry<'a>>> = BTreeMap::new();
    for t in tasks {
        for period in t.task.deadline.periods(cal) {
            if period.due < first || period.due > last {
                continue;
            }
            let overdue = t
                .assignments
                .iter()
                .filter(|a| {
                    a.periods
                        .iter()
                        .any(|x| x.period.key == period.key && x.status == Status::Overdue)
                })
                .count();
            by_day.entry(period.due).or_default().push(DueEntry {
                task: t.task,
                units: t.assignments.len(),
                overdue,
                yours: own_unit.is_some_and(|u| t.assignments.iter().any(|a| a.unit == u)),
                period,
            });
        }
    }
    by_day
        .into_iter()
        .map(|(date, entries)| DueDay {
            date,
            non_working: !cal.is_working_day(date),
            entries,
        })
        .collect()
}

#[cfg(test)]
mod tests;

//! Read models of the plan: every task with its assignments and their periods' derived status
//! as of a given day, compliance per unit, the dashboard tiles, and the heads' accountability.

use crate::db::Store;
use crate::error::StoreError;
use crate::plans::{Assignment, Measure};
use crate::Result;
use jiff::civil::Date;
use jiff::ToSpan;
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::plan::board::BoardFilter;
use parindex_domain::plan::{
    overall_status, period_states, Compliance, PeriodState, PlanDocument, Report, Status, Task,
};
use parindex_domain::units::Unit;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentState {
    pub assignment: Assignment,
    pub periods: Vec<PeriodState>,
    pub status: Status,
    /// The first period not yet accepted or submitted (the one to report on next), if any.
    pub open_period: Option<PeriodState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskState {
    pub task: Task,
    pub assignments: Vec<AssignmentState>,
    /// The worst status among the assignments.
    pub status: Status,
    /// The earliest due date among the open periods.
    pub next_due: Option<Date>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Tiles {
    /// Assignments with an overdue period.
    pub overdue: usize,
    /// Assignments with an open period due within the next 7 days.
    pub due_within_7_days: usize,
    /// Periods past their due date with no report at all.
    pub reports_missing: usize,
}

/// The plan as of a day.
#[derive(Debug, Clone, Serialize)]
pub struct PlanState {
    pub doc: PlanDocument,
    pub today: Date,
    pub calendar: WorkCalendar,
    pub tasks: Vec<TaskState>,
    pub compliance: BTreeMap<String, Compliance>,
    pub tiles: Tiles,
    /// Every report in the state's scope, **without its texts** (`done`, `problems`,
    /// `proposals` empty, `review_comment` `None`): the state is read again after every report,
    /// and the texts cost more to read than the rest. A page that shows them reads
    /// [`Store::reports`].
    pub reports: Vec<Report>,
}

impl PlanState {
    pub fn task(&self, id: &str) -> Option<&TaskState> {
        self.tasks.iter().find(|t| t.task.id == id)
    }
}

/// Whether two reports are of the same task and unit.
fn same_assignment(a: &Report, b: &Report) -> bool {
    a.task_id == b.task_id && a.unit == b.unit
}

/// Whether each task and unit's reports are next to each other.
fn grouped(reports: &[Report]) -> bool {
    let mut seen: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    reports.iter().enumerate().all(|(i, r)| {
        i > 0 && same_assignment(r, &reports[i - 1])
            || seen.insert((r.task_id.as_str(), r.unit.as_str()))
    })
}

/// How many assignments of the plan, in the state's scope, each figure of a home page counts —
/// with the predicates of the board (`domain::plan::board::BoardFilter`, the derived status), so
/// that a figure and the board's list it links to cannot disagree.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct PlanCounts {
    pub assignments: usize,
    pub overdue: usize,
    pub due7: usize,
    pub returned: usize,
    pub submitted: usize,
    pub missing: usize,
}

impl PlanState {
    /// The home page's counts of this state (its scope: one unit's assignments or all).
    pub fn counts(&self) -> PlanCounts {
        let st = self;
        let due7 = BoardFilter {
            due_within_week: true,
            missing_only: false,
        };
        let missing = BoardFilter {
            due_within_week: false,
            missing_only: true,
        };
        let mut c = PlanCounts::default();
        for a in st.tasks.iter().flat_map(|t| &t.assignments) {
            let next_due = a.open_period.as_ref().map(|p| p.period.due);
            c.assignments += 1;
            match a.status {
                Status::Overdue => c.overdue += 1,
                Status::Returned => c.returned += 1,
                Status::Submitted => c.submitted += 1,
                _ => {}
            }
            c.due7 += usize::from(due7.keeps(next_due, &a.periods, st.today));
            c.missing += usize::from(missing.keeps(next_due, &a.periods, st.today));
        }
        c
    }
}

/// One head of agency's record for the plan's year.
#[derive(Debug, Clone, Serialize)]
pub struct HeadRecord {
    pub unit: Unit,
    pub overdue_assignments: usize,
    pub missing_reports: usize,
    pub late_reports: usize,
    /// Areas this unit leads that are below their target rank: (area code, rank, target).
    pub areas_below_target: Vec<(String, u32, u32)>,
    /// Points lost in the areas it leads, where the area scores are known.
    pub points_lost: Option<rust_decimal::Decimal>,
    pub measures: Vec<Measure>,
}

impl Store {
    /// The plan's state as of `today`, optionally only one unit's assignments.
    pub(crate) async fn load_plan_state(
        &self,
        plan_id: &str,
        today: Date,
        unit: Option<&str>,
    ) -> Result<PlanState> {
        let doc = self.plan_document_shared(plan_id).await?;
        let doc = doc
            .as_ref()
            .as_ref()
            .ok_or_else(|| StoreError::NotFound(format!("plan '{plan_id}'")))?;
        let calendar = self.work_calendar().await?;
        let assignments = self.assignments_packed(plan_id, unit).await?;
        let mut reports = self.reports_packed(plan_id, unit).await?;
        // The reports come ordered by task and unit: each assignment's are one run of them
        // (sorted here, keeping their order otherwise, should a collation not keep a task and
        // unit's reports together).
        if !grouped(&reports) {
            reports.sort_by(|a, b| (&a.task_id, &a.unit).cmp(&(&b.task_id, &b.unit)));
        }
        let mut runs: HashMap<(&str, &str), std::ops::Range<usize>> = HashMap::new();
        let mut start = 0;
        for i in 1..=reports.len() {
            if reports
                .get(i)
                .is_none_or(|r| !same_assignment(r, &reports[start]))
            {
                let key = (
                    reports[start].task_id.as_str(),
                    reports[start].unit.as_str(),
                );
                runs.insert(key, start..i);
                start = i;
            }
        }
        let mut by_task: HashMap<&str, Vec<&Assignment>> = HashMap::new();
        for a in &assignments {
            by_task.entry(a.task_id.as_str()).or_default().push(a);
        }
        let mut tiles = Tiles::default();
        let mut compliance: BTreeMap<String, Compliance> = BTreeMap::new();
        let soon = today.saturating_add(7.days());
        let mut tasks = Vec::with_capacity(doc.tasks.len());
        for task in &doc.tasks {
            let mine_all = by_task
                .get(task.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut states = Vec::with_capacity(mine_all.len());
            let task_periods = if mine_all.is_empty() {
                Vec::new()
            } else {
                task.deadline.periods(&calendar)
            };
            for a in mine_all {
                let mine = runs
                    .get(&(task.id.as_str(), a.unit.as_str()))
                    .map(|r| &reports[r.clone()])
                    .unwrap_or(&[]);
                let periods = period_states(&task_periods, today, mine, a.progress_pct);
                let status = overall_status(&periods);
                let open_period = periods
                    .iter()
                    .find(|p| !matches!(p.status, Status::Accepted | Status::Submitted))
                    .cloned();
                if status == Status::Overdue {
                    tiles.overdue += 1;
                }
                if open_period
                    .as_ref()
                    .is_some_and(|p| p.period.due >= today && p.period.due <= soon)
                {
                    tiles.due_within_7_days += 1;
                }
                tiles.reports_missing += periods.iter().filter(|p| p.missing).count();
                match compliance.get_mut(&a.unit) {
                    Some(c) => c.add(&periods),
                    None => {
                        let mut c = Compliance::default();
                        c.add(&periods);
                        compliance.insert(a.unit.clone(), c);
                    }
                }
                states.push(AssignmentState {
                    assignment: (*a).clone(),
                    periods,
                    status,
                    open_period,
                });
            }
            let status = states
                .iter()
                .map(|s| s.status)
                .min()
                .unwrap_or(Status::NotStarted);
            let next_due = states
                .iter()
                .filter_map(|s| s.open_period.as_ref().map(|p| p.period.due))
                .min();
            tasks.push(TaskState {
                task: task.clone(),
                assignments: states,
                status,
                next_due,
            });
        }
        Ok(PlanState {
            doc: doc.clone(),
            today,
            calendar,
            tasks,
            compliance,
            tiles,
            reports,
        })
    }

    /// Every unit with assignments, with its head's record for the plan.
    pub async fn heads_accountability(
        &self,
        plan_id: &str,
        today: Date,
    ) -> Result<Vec<HeadRecord>> {
        let state = self.plan_state(plan_id, today, None).await?;
        let gap = self
            .gap_report(&state.doc.plan.edition_id, &state.doc.plan.subject, None)
            .await
            .ok();
        let measures = self.measures(plan_id, None).await?;
        let mut out = Vec::new();
        for (slug, c) in &state.compliance {
            let Some(unit) = self.unit(slug).await? else {
                continue;
            };
            let led: Vec<&parindex_domain::gap::AreaGap> = gap
                .as_ref()
                .map(|g| {
                    g.report
                        .by_area
                        .iter()
                        .filter(|a| a.lead_agency.as_deref() == Some(slug.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            let below: Vec<(String, u32, u32)> = led
                .iter()
                .filter_map(|a| match (a.rank, a.target_rank) {
                    (Some(r), Some(t)) if r > t => Some((a.code.clone(), r, t)),
                    _ => None,
                })
                .collect();
            let lost: Vec<rust_decimal::Decimal> = led.iter().filter_map(|a| a.lost).collect();
            out.push(HeadRecord {
                points_lost: if lost.is_empty() {
                    None
                } else {
                    Some(lost.iter().copied().sum())
                },
                overdue_assignments: c.overdue,
                missing_reports: c.missing_reports,
                late_reports: c.late_reports,
                areas_below_target: below,
                measures: measures
                    .iter()
                    .filter(|m| &m.unit == slug)
                    .cloned()
                    .collect(),
                unit,
            });
        }
        out.sort_by(|a, b| {
            b.overdue_assignments
                .cmp(&a.overdue_assignments)
                .then(b.missing_reports.cmp(&a.missing_reports))
                .then(a.unit.slug.cmp(&b.unit.slug))
        });
        Ok(out)
    }
}

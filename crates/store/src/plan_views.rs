//! Read models of the plan: every task with its assignments and their periods' derived status
//! as of a given day, compliance per unit, the dashboard tiles, and the heads' accountability.

use crate::db::Store;
use crate::error::StoreError;
use crate::plans::{Assignment, Measure};
use crate::Result;
use jiff::civil::Date;
use jiff::ToSpan;
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::plan::{
    assignment_periods, overall_status, Compliance, PeriodState, PlanDocument, Report, Status, Task,
};
use parindex_domain::units::Unit;
use serde::Serialize;
use std::collections::BTreeMap;

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
    pub reports: Vec<Report>,
}

impl PlanState {
    pub fn task(&self, id: &str) -> Option<&TaskState> {
        self.tasks.iter().find(|t| t.task.id == id)
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
        let doc = self
            .plan_document(plan_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("plan '{plan_id}'")))?;
        let calendar = self.work_calendar().await?;
        let assignments = self.assignments(plan_id, unit).await?;
        let reports = self.reports(plan_id, None, unit).await?;
        let mut tiles = Tiles::default();
        let mut compliance: BTreeMap<String, Compliance> = BTreeMap::new();
        let soon = today.saturating_add(7.days());
        let mut tasks = Vec::new();
        for task in &doc.tasks {
            let mut states = Vec::new();
            for a in assignments.iter().filter(|a| a.task_id == task.id) {
                let mine: Vec<Report> = reports
                    .iter()
                    .filter(|r| r.task_id == task.id && r.unit == a.unit)
                    .cloned()
                    .collect();
                let periods =
                    assignment_periods(&task.deadline, &calendar, today, &mine, a.progress_pct);
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
                compliance.entry(a.unit.clone()).or_default().add(&periods);
                states.push(AssignmentState {
                    assignment: a.clone(),
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
            doc,
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

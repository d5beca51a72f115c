//! The improvement plan: the plan document, assignments fanned out from its tasks, report
//! versions (immutable once stored), reviews, attachments, reminders sent, notifications, the
//! working-day calendar and the accountability measures of heads of agencies.

use crate::audit::{record, Change};
use crate::db::{get, now_text, Store};
use crate::error::{Context, StoreError};
use crate::refusal::{refuse, Refusal, RefusalKind, Refusals};
use crate::Result;
use jiff::civil::Date;
use parindex_domain::calendar::{ReminderKind, WorkCalendar};
use parindex_domain::plan::{
    assigned_units, can_submit, may_review, may_submit_after, Decision, Finding, MeasureKind, Plan,
    PlanDocument, PlanTarget, Report, ReportRefusal, Task,
};
use parindex_domain::text::fold;
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::BTreeSet;

mod measures;
mod notices;
mod reports;

/// One unit's assignment to a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub id: i64,
    pub plan_id: String,
    pub task_id: String,
    pub unit: String,
    pub progress_pct: u8,
}

/// What a unit writes in a report.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub period: String,
    pub done: String,
    pub problems: String,
    pub proposals: String,
    pub progress_pct: u8,
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub report_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// The largest attachment accepted.
pub const ATTACHMENT_LIMIT: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub unit: String,
    pub created_at: String,
    pub message: String,
    pub link: String,
    pub read: bool,
}

/// An accountability measure proposed for a head of agency, and the leader's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub id: i64,
    pub plan_id: String,
    pub unit: String,
    pub head_name: String,
    pub year: i32,
    pub kind: MeasureKind,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_at: String,
    /// `approved` or `rejected`, once decided.
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

fn to_json<T: Serialize>(v: &T, what: &str) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Encode(format!("{what}: {e}")))
}

/// A report's progress is a percentage.
const PCT_RANGE: RefusalKind = RefusalKind::OutOfRange { min: 0, max: 100 };

fn not_assigned(unit: &str, task_id: &str) -> StoreError {
    Refusal::new(
        "unit",
        RefusalKind::NotAssigned {
            unit: unit.to_string(),
            task: task_id.to_string(),
        },
    )
    .into()
}

/// A report's decision as stored (`accepted`, `returned`, none).
fn decision_of(text: Option<&str>) -> Option<Decision> {
    match text {
        Some("accepted") => Some(Decision::Accepted),
        Some("returned") => Some(Decision::Returned),
        _ => None,
    }
}

/// A refusal of the report rules (`plan::can_submit`, `plan::may_review`), on its field.
fn report_refusal(r: ReportRefusal) -> StoreError {
    Refusal::new(r.field(), RefusalKind::Report(r)).into()
}

/// A field of the plan itself (`plan.subject`), named as `PlanDocument::validate` names them.
fn plan_field(name: &str) -> String {
    ["plan", name].join(".")
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn date(s: &str, what: &str) -> Result<Date> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what}: '{s}' is not a date")))
}

fn report_from_row(r: &AnyRow) -> Result<Report> {
    let decision: Option<String> = get(r, "decision")?;
    Ok(Report {
        id: get(r, "id")?,
        task_id: get(r, "task_id")?,
        unit: get(r, "unit")?,
        period: get(r, "period")?,
        version: get(r, "version")?,
        done: get(r, "done")?,
        problems: get(r, "problems")?,
        proposals: get(r, "proposals")?,
        progress_pct: u8::try_from(get::<i64>(r, "progress_pct")?).unwrap_or(0),
        submitted_on: date(&get::<String>(r, "submitted_on")?, "submitted_on")?,
        submitted_by: get(r, "submitted_by")?,
        decision: decision_of(decision.as_deref()),
        review_comment: get(r, "review_comment")?,
        reviewed_by: get(r, "reviewed_by")?,
        reviewed_on: get::<Option<String>>(r, "reviewed_on")?
            .map(|d| date(&d, "reviewed_on"))
            .transpose()?,
    })
}

fn attachment_from_row(r: &AnyRow) -> Result<AttachmentInfo> {
    Ok(AttachmentInfo {
        id: get(r, "id")?,
        report_id: get(r, "report_id")?,
        file_name: get(r, "file_name")?,
        content_type: get(r, "content_type")?,
        size_bytes: get(r, "size_bytes")?,
        sha256: get(r, "sha256")?,
    })
}

fn measure_from_row(r: &AnyRow) -> Result<Measure> {
    let kind: String = get(r, "kind")?;
    Ok(Measure {
        id: get(r, "id")?,
        plan_id: get(r, "plan_id")?,
        unit: get(r, "unit")?,
        head_name: get(r, "head_name")?,
        year: get::<i64>(r, "year")? as i32,
        kind: MeasureKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("measure kind '{kind}'")))?,
        reason: get(r, "reason")?,
        proposed_by: get(r, "proposed_by")?,
        proposed_at: get(r, "proposed_at")?,
        decision: get(r, "decision")?,
        decision_note: get(r, "decision_note")?,
        decided_by: get(r, "decided_by")?,
        decided_at: get(r, "decided_at")?,
    })
}

/// [`Store::assignments_packed`], ordered as [`Store::assignments`] (NULL without any row on
/// PostgreSQL, `[]` on SQLite).
const ASSIGNMENTS_PACKED_SQLITE: &str =
    "SELECT json_group_array(json_array(id, task_id, unit, progress_pct) \
     ORDER BY task_id, unit) FROM assignments WHERE plan_id = $1 AND ($2 IS NULL OR unit = $2)";
const ASSIGNMENTS_PACKED_POSTGRES: &str = "SELECT CAST(json_agg(json_build_array(id, task_id, unit, progress_pct) \
     ORDER BY task_id, unit) AS TEXT) FROM assignments WHERE plan_id = $1 AND ($2 IS NULL OR unit = $2)";

/// A plan's reports (optionally one unit's) as [`Store::reports`] gives them, as one JSON array of
/// [`REPORT_COLUMNS`] (see [`Store::reports_packed`]).
const REPORTS_PACKED_SQLITE: &str = "SELECT json_group_array(json_array(r.id, a.task_id, a.unit, \
     r.period, r.version, r.progress_pct, r.submitted_on, \
     r.submitted_by, r.decision, r.reviewed_by, r.reviewed_on) \
     ORDER BY a.task_id, a.unit, r.period, r.version) \
     FROM reports r JOIN assignments a ON a.id = r.assignment_id \
     WHERE a.plan_id = $1 AND ($2 IS NULL OR a.unit = $2)";
const REPORTS_PACKED_POSTGRES: &str = "SELECT CAST(json_agg(json_build_array(r.id, a.task_id, \
     a.unit, r.period, r.version, r.progress_pct, r.submitted_on, \
     r.submitted_by, r.decision, r.reviewed_by, r.reviewed_on) \
     ORDER BY a.task_id, a.unit, r.period, r.version) AS TEXT) \
     FROM reports r JOIN assignments a ON a.id = r.assignment_id \
     WHERE a.plan_id = $1 AND ($2 IS NULL OR a.unit = $2)";

/// One report as [`REPORTS_PACKED_SQLITE`] packs it: without its texts (what was done,
/// problems, proposals, the review's comment), which the plan's state does not need and which
/// cost more to pack and parse than the rest (the pages that show them read [`Store::reports`]).
type PackedReport = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

const REPORT_COLUMNS: &str = "r.id, a.task_id, a.unit, r.period, r.version, r.done, r.problems, r.proposals, r.progress_pct, \
     r.submitted_on, r.submitted_by, r.decision, r.review_comment, r.reviewed_by, r.reviewed_on";

impl Store {
    /// What refuses a plan document: its own checks (`PlanDocument::validate`, against the
    /// units known) and an edition or subject that is not stored. Empty when [`Store::save_plan`]
    /// would take it (`parindex import plan --dry-run` asks this).
    pub async fn plan_problems(&self, doc: &PlanDocument) -> Result<Refusals> {
        let units = self.units(None).await?;
        let known: BTreeSet<String> = units.iter().map(|u| u.slug.clone()).collect();
        let mut problems = Refusals(
            doc.validate(&known)
                .into_iter()
                .map(Refusal::from)
                .collect(),
        );
        if self.edition(&doc.plan.edition_id).await?.is_none() {
            problems.push(
                plan_field("edition_id"),
                RefusalKind::Unknown {
                    value: doc.plan.edition_id.clone(),
                },
            );
        }
        if self.subject(&doc.plan.subject).await?.is_none() {
            problems.push(
                plan_field("subject"),
                RefusalKind::Unknown {
                    value: doc.plan.subject.clone(),
                },
            );
        }
        Ok(problems)
    }

    /// Create or replace a plan in one transaction, after checking it (every problem at once).
    /// Assignments are fanned out from the tasks; existing ones (and their reports) are kept;
    /// an assignment that no longer applies is removed only if it has no report.
    pub async fn save_plan(&self, doc: &PlanDocument, actor: &str) -> Result<()> {
        self.plan_problems(doc).await?.check()?;
        let units = self.units(None).await?;
        let existed = self.plan(&doc.plan.id).await?.is_some();
        let p = &doc.plan;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query(
            "INSERT INTO plans (id, number, title, issued_on, signer, signer_title, edition_id, subject, year, note, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO UPDATE SET number = excluded.number, \
             title = excluded.title, issued_on = excluded.issued_on, signer = excluded.signer, signer_title = excluded.signer_title, \
             edition_id = excluded.edition_id, subject = excluded.subject, year = excluded.year, note = excluded.note, updated_at = excluded.updated_at",
        )
        .bind(&p.id)
        .bind(&p.number)
        .bind(&p.title)
        .bind(p.issued_on.to_string())
        .bind(&p.signer)
        .bind(&p.signer_title)
        .bind(&p.edition_id)
        .bind(&p.subject)
        .bind(i64::from(p.year))
        .bind(&p.note)
        .bind(now_text())
        .execute(&mut *tx)
        .await
        .ctx(|| format!("saving plan {}", p.id))?;
        for table in ["plan_findings", "plan_targets"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE plan_id = $1"))
                .bind(&p.id)
                .execute(&mut *tx)
                .await
                .ctx(|| format!("replacing {table}"))?;
        }
        for (i, f) in doc.findings.iter().enumerate() {
            sqlx::query("INSERT INTO plan_findings (plan_id, id, position, title, body, criteria_json, figures_json) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&p.id)
                .bind(&f.id)
                .bind(i as i64)
                .bind(&f.title)
                .bind(&f.text)
                .bind(to_json(&f.criteria, "criteria")?)
                .bind(to_json(&f.figures, "figures")?)
                .execute(&mut *tx)
                .await
                .ctx(|| format!("saving finding {}", f.id))?;
        }
        for (i, t) in doc.targets.iter().enumerate() {
            sqlx::query("INSERT INTO plan_targets (plan_id, id, position, title, goal_json, lead_agency, duties) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&p.id)
                .bind(&t.id)
                .bind(i as i64)
                .bind(&t.title)
                .bind(to_json(&t.goal, "goal")?)
                .bind(t.lead_agency.as_deref())
                .bind(&t.duties)
                .execute(&mut *tx)
                .await
                .ctx(|| format!("saving target {}", t.id))?;
        }
        // Tasks: upsert so that assignments (and their reports) survive a re-save.
        let task_ids: BTreeSet<&str> = doc.tasks.iter().map(|t| t.id.as_str()).collect();
        let old_tasks: Vec<String> =
            sqlx::query_scalar("SELECT id FROM plan_tasks WHERE plan_id = $1")
                .bind(&p.id)
                .fetch_all(&mut *tx)
                .await
                .ctx(|| "reading tasks".into())?;
        for old in old_tasks.iter().filter(|t| !task_ids.contains(t.as_str())) {
            sqlx::query("DELETE FROM plan_tasks WHERE plan_id = $1 AND id = $2")
                .bind(&p.id)
                .bind(old)
                .execute(&mut *tx)
                .await
                .ctx(|| format!("removing task {old}"))?;
        }
        for (i, t) in doc.tasks.iter().enumerate() {
            sqlx::query(
                "INSERT INTO plan_tasks (plan_id, id, position, section, title, title_folded, description, findings_json, targets_json, \
                 criteria_json, lead_agency, coordinating_json, assignees_json, deadline_json, deliverable) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (plan_id, id) DO UPDATE SET \
                 position = excluded.position, section = excluded.section, title = excluded.title, title_folded = excluded.title_folded, \
                 description = excluded.description, findings_json = excluded.findings_json, targets_json = excluded.targets_json, \
                 criteria_json = excluded.criteria_json, lead_agency = excluded.lead_agency, coordinating_json = excluded.coordinating_json, \
                 assignees_json = excluded.assignees_json, deadline_json = excluded.deadline_json, deliverable = excluded.deliverable",
            )
            .bind(&p.id)
            .bind(&t.id)
            .bind(i as i64)
            .bind(&t.section)
            .bind(&t.title)
            .bind(fold(&t.title))
            .bind(&t.description)
            .bind(to_json(&t.findings, "findings")?)
            .bind(to_json(&t.targets, "targets")?)
            .bind(to_json(&t.criteria, "criteria")?)
            .bind(t.lead_agency.as_deref().unwrap_or_default())
            .bind(to_json(&t.coordinating, "coordinating")?)
            .bind(to_json(&t.assignees, "assignees")?)
            .bind(to_json(&t.deadline, "deadline")?)
            .bind(&t.deliverable)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving task {}", t.id))?;
            let wanted: Vec<String> = assigned_units(t, &units);
            let have: Vec<(i64, String)> =
                sqlx::query("SELECT id, unit FROM assignments WHERE plan_id = $1 AND task_id = $2")
                    .bind(&p.id)
                    .bind(&t.id)
                    .fetch_all(&mut *tx)
                    .await
                    .ctx(|| "reading assignments".into())?
                    .iter()
                    .map(|r| Ok((get(r, "id")?, get(r, "unit")?)))
                    .collect::<Result<_>>()?;
            for u in wanted.iter().filter(|u| !have.iter().any(|(_, h)| h == *u)) {
                sqlx::query("INSERT INTO assignments (plan_id, task_id, unit, progress_pct) VALUES ($1, $2, $3, 0)")
                    .bind(&p.id)
                    .bind(&t.id)
                    .bind(u)
                    .execute(&mut *tx)
                    .await
                    .ctx(|| format!("assigning {} to {u}", t.id))?;
            }
            for (id, u) in have.iter().filter(|(_, h)| !wanted.contains(h)) {
                sqlx::query("DELETE FROM assignments WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM reports WHERE assignment_id = $1)")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .ctx(|| format!("unassigning {u}"))?;
            }
        }
        record(
            &mut tx,
            Change {
                actor,
                action: if existed { "update" } else { "create" },
                entity: "plan",
                entity_id: &p.id,
                unit: None,
                before: None,
                after: Some(serde_json::json!({"title": p.title, "findings": doc.findings.len(), "targets": doc.targets.len(), "tasks": doc.tasks.len()})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the plan".into())?;
        Ok(())
    }

    /// The plans, newest year first (a read model kept in memory).
    pub async fn plans(&self) -> Result<Vec<Plan>> {
        let key = crate::cache::MemoKey::new("plans");
        let all = self
            .memo(key, crate::Tables::PLAN, || self.load_plans())
            .await?;
        Ok((*all).clone())
    }

    async fn load_plans(&self) -> Result<Vec<Plan>> {
        let rows = sqlx::query("SELECT * FROM plans ORDER BY year DESC, id")
            .fetch_all(&self.pool)
            .await
            .ctx(|| "listing plans".into())?;
        rows.iter().map(plan_from_row).collect()
    }

    pub async fn plan(&self, id: &str) -> Result<Option<Plan>> {
        let r = sqlx::query("SELECT * FROM plans WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading plan {id}"))?;
        r.map(|r| plan_from_row(&r)).transpose()
    }

    /// The whole plan: findings, targets, tasks in the plan's order.
    pub(crate) async fn load_plan_document(&self, id: &str) -> Result<Option<PlanDocument>> {
        let Some(plan) = self.plan(id).await? else {
            return Ok(None);
        };
        let findings =
            sqlx::query("SELECT * FROM plan_findings WHERE plan_id = $1 ORDER BY position")
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .ctx(|| "reading findings".into())?
                .iter()
                .map(|r| {
                    Ok(Finding {
                        id: get(r, "id")?,
                        title: get(r, "title")?,
                        text: get(r, "body")?,
                        criteria: from_json(&get::<String>(r, "criteria_json")?, "criteria")?,
                        figures: from_json(&get::<String>(r, "figures_json")?, "figures")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        let targets =
            sqlx::query("SELECT * FROM plan_targets WHERE plan_id = $1 ORDER BY position")
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .ctx(|| "reading targets".into())?
                .iter()
                .map(|r| {
                    Ok(PlanTarget {
                        id: get(r, "id")?,
                        title: get(r, "title")?,
                        goal: from_json(&get::<String>(r, "goal_json")?, "goal")?,
                        lead_agency: get(r, "lead_agency")?,
                        duties: get(r, "duties")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        let tasks = sqlx::query("SELECT * FROM plan_tasks WHERE plan_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading tasks".into())?
            .iter()
            .map(task_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(PlanDocument {
            plan,
            findings,
            targets,
            tasks,
        }))
    }

    /// Assignments of a plan, optionally of one unit.
    pub async fn assignments(&self, plan_id: &str, unit: Option<&str>) -> Result<Vec<Assignment>> {
        let rows = sqlx::query("SELECT * FROM assignments WHERE plan_id = $1 AND ($2 IS NULL OR unit = $2) ORDER BY task_id, unit")
            .bind(plan_id)
            .bind(unit)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading assignments".into())?;
        rows.iter()
            .map(|r| {
                Ok(Assignment {
                    id: get(r, "id")?,
                    plan_id: get(r, "plan_id")?,
                    task_id: get(r, "task_id")?,
                    unit: get(r, "unit")?,
                    progress_pct: u8::try_from(get::<i64>(r, "progress_pct")?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// A plan's assignments (optionally one unit's), as [`Store::assignments`] gives them, read
    /// as one value: a JSON array of `[id, task, unit, progress]`, built by the database in the
    /// same order. For the plan's state, read again after every write to the plan's work: through
    /// sqlx's `Any` driver each value of each row is copied twice and converted, which for the
    /// ~180 rows of four columns of a plan cost more than the rest of the plan's state.
    pub(crate) async fn assignments_packed(
        &self,
        plan_id: &str,
        unit: Option<&str>,
    ) -> Result<Vec<Assignment>> {
        let sql = match self.backend() {
            crate::Backend::Sqlite => ASSIGNMENTS_PACKED_SQLITE,
            crate::Backend::Postgres => ASSIGNMENTS_PACKED_POSTGRES,
        };
        let packed: Option<String> = sqlx::query_scalar(sql)
            .bind(plan_id)
            .bind(unit)
            .fetch_one(&self.pool)
            .await
            .ctx(|| "reading assignments".into())?;
        let Some(packed) = packed else {
            return Ok(Vec::new());
        };
        let rows: Vec<(i64, String, String, i64)> = from_json(&packed, "assignments")?;
        Ok(rows
            .into_iter()
            .map(|(id, task_id, unit, progress)| Assignment {
                id,
                plan_id: plan_id.to_string(),
                task_id,
                unit,
                progress_pct: u8::try_from(progress).unwrap_or(0),
            })
            .collect())
    }

    /// A plan's reports (optionally one unit's), as [`Store::reports`] gives them, read as one
    /// value built by the database in the same order (as [`Store::assignments_packed`]): for the
    /// plan's state, read again after every write to the plan's work, where the ~15 values of
    /// each report through sqlx's `Any` driver cost more than the rest of the plan's state.
    pub(crate) async fn reports_packed(
        &self,
        plan_id: &str,
        unit: Option<&str>,
    ) -> Result<Vec<Report>> {
        let sql = match self.backend() {
            crate::Backend::Sqlite => REPORTS_PACKED_SQLITE,
            crate::Backend::Postgres => REPORTS_PACKED_POSTGRES,
        };
        let packed: Option<String> = sqlx::query_scalar(sql)
            .bind(plan_id)
            .bind(unit)
            .fetch_one(&self.pool)
            .await
            .ctx(|| "reading reports".into())?;
        let Some(packed) = packed else {
            return Ok(Vec::new());
        };
        let rows: Vec<PackedReport> = from_json(&packed, "reports")?;
        rows.into_iter()
            .map(|r| {
                Ok(Report {
                    id: r.0,
                    task_id: r.1,
                    unit: r.2,
                    period: r.3,
                    version: r.4,
                    done: String::new(),
                    problems: String::new(),
                    proposals: String::new(),
                    progress_pct: u8::try_from(r.5).unwrap_or(0),
                    submitted_on: date(&r.6, "submitted_on")?,
                    submitted_by: r.7,
                    decision: decision_of(r.8.as_deref()),
                    review_comment: None,
                    reviewed_by: r.9,
                    reviewed_on: r.10.map(|d| date(&d, "reviewed_on")).transpose()?,
                })
            })
            .collect()
    }

    pub(super) async fn assignment_of(
        &self,
        plan_id: &str,
        task_id: &str,
        unit: &str,
    ) -> Result<Option<Assignment>> {
        Ok(self
            .assignments(plan_id, Some(unit))
            .await?
            .into_iter()
            .find(|a| a.task_id == task_id))
    }
}

fn plan_from_row(r: &AnyRow) -> Result<Plan> {
    Ok(Plan {
        id: get(r, "id")?,
        number: get(r, "number")?,
        title: get(r, "title")?,
        issued_on: date(&get::<String>(r, "issued_on")?, "issued_on")?,
        signer: get(r, "signer")?,
        signer_title: get(r, "signer_title")?,
        edition_id: get(r, "edition_id")?,
        subject: get(r, "subject")?,
        year: get::<i64>(r, "year")? as i32,
        note: get(r, "note")?,
    })
}

fn task_from_row(r: &AnyRow) -> Result<Task> {
    let lead: String = get(r, "lead_agency")?;
    Ok(Task {
        id: get(r, "id")?,
        section: get(r, "section")?,
        title: get(r, "title")?,
        description: get(r, "description")?,
        findings: from_json(&get::<String>(r, "findings_json")?, "findings")?,
        targets: from_json(&get::<String>(r, "targets_json")?, "targets")?,
        criteria: from_json(&get::<String>(r, "criteria_json")?, "criteria")?,
        lead_agency: Some(lead),
        coordinating: from_json(&get::<String>(r, "coordinating_json")?, "coordinating")?,
        assignees: from_json(&get::<String>(r, "assignees_json")?, "assignees")?,
        deadline: from_json(&get::<String>(r, "deadline_json")?, "deadline")?,
        deliverable: get(r, "deliverable")?,
    })
}

//! The improvement plan: the plan document, assignments fanned out from its tasks, report
//! versions (immutable once stored), reviews, attachments, reminders sent, notifications, the
//! working-day calendar and the accountability measures of heads of agencies.

use crate::audit::{record, Change};
use crate::db::{get, now_text, Store};
use crate::error::{Context, StoreError};
use crate::Result;
use jiff::civil::Date;
use parindex_domain::calendar::{ReminderKind, WorkCalendar};
use parindex_domain::plan::{
    assigned_units, can_submit, Decision, Finding, MeasureKind, Plan, PlanDocument, PlanTarget,
    Report, Task,
};
use parindex_domain::text::fold;
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::BTreeSet;

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
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(format!("{what}: {e}")))
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
        decision: match decision.as_deref() {
            Some("accepted") => Some(Decision::Accepted),
            Some("returned") => Some(Decision::Returned),
            _ => None,
        },
        review_comment: get(r, "review_comment")?,
        reviewed_by: get(r, "reviewed_by")?,
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

const REPORT_COLUMNS: &str = "r.id, a.task_id, a.unit, r.period, r.version, r.done, r.problems, r.proposals, r.progress_pct, \
     r.submitted_on, r.submitted_by, r.decision, r.review_comment, r.reviewed_by";

impl Store {
    /// Create or replace a plan in one transaction, after checking it (every problem at once).
    /// Assignments are fanned out from the tasks; existing ones (and their reports) are kept;
    /// an assignment that no longer applies is removed only if it has no report.
    pub async fn save_plan(&self, doc: &PlanDocument, actor: &str) -> Result<()> {
        let units = self.units(None).await?;
        let known: BTreeSet<String> = units.iter().map(|u| u.slug.clone()).collect();
        let mut problems: Vec<String> =
            doc.validate(&known).iter().map(|p| p.to_string()).collect();
        if self.edition(&doc.plan.edition_id).await?.is_none() {
            problems.push(format!(
                "plan.edition_id: unknown edition '{}'",
                doc.plan.edition_id
            ));
        }
        if self.subject(&doc.plan.subject).await?.is_none() {
            problems.push(format!(
                "plan.subject: unknown subject '{}'",
                doc.plan.subject
            ));
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(format!(
                "the plan is not valid: {}",
                problems.join("; ")
            )));
        }
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

    /// The plans, newest year first.
    pub async fn plans(&self) -> Result<Vec<Plan>> {
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

    async fn assignment_of(
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

    /// Every report version of a plan (optionally one task and/or unit), oldest first.
    pub async fn reports(
        &self,
        plan_id: &str,
        task_id: Option<&str>,
        unit: Option<&str>,
    ) -> Result<Vec<Report>> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports r JOIN assignments a ON a.id = r.assignment_id \
             WHERE a.plan_id = $1 AND ($2 IS NULL OR a.task_id = $2) AND ($3 IS NULL OR a.unit = $3) \
             ORDER BY a.task_id, a.unit, r.period, r.version"
        );
        let rows = sqlx::query(&sql)
            .bind(plan_id)
            .bind(task_id)
            .bind(unit)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading reports".into())?;
        rows.iter().map(report_from_row).collect()
    }

    pub async fn report(&self, id: i64) -> Result<Option<(String, Report)>> {
        let sql = format!("SELECT a.plan_id, {REPORT_COLUMNS} FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE r.id = $1");
        let r = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading report {id}"))?;
        r.map(|r| Ok((get(&r, "plan_id")?, report_from_row(&r)?)))
            .transpose()
    }

    /// Submit a report (a new version) for a unit's assignment and period. Refused when the unit
    /// is not assigned, the period is not one of the task's, or the period was accepted.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_report(
        &self,
        plan_id: &str,
        task_id: &str,
        unit: &str,
        input: &ReportInput,
        attachments: &[NewAttachment],
        today: Date,
        cal: &WorkCalendar,
        actor: &str,
    ) -> Result<Report> {
        let doc = self
            .plan_document(plan_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("plan '{plan_id}'")))?;
        let task = doc
            .tasks
            .iter()
            .find(|t| t.id == task_id)
            .ok_or_else(|| StoreError::NotFound(format!("task '{task_id}'")))?;
        let a = self
            .assignment_of(plan_id, task_id, unit)
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(format!("unit: {unit} is not assigned to task {task_id}"))
            })?;
        if !task
            .deadline
            .periods(cal)
            .iter()
            .any(|p| p.key == input.period)
        {
            return Err(StoreError::Invalid(format!(
                "period: '{}' is not a reporting period of task {task_id}",
                input.period
            )));
        }
        if input.done.trim().is_empty() {
            return Err(StoreError::Invalid("done: say what was done".into()));
        }
        if input.progress_pct > 100 {
            return Err(StoreError::Invalid("progress_pct: 0 to 100".into()));
        }
        for f in attachments {
            if f.content.len() > ATTACHMENT_LIMIT {
                return Err(StoreError::Invalid(format!(
                    "attachment: '{}' is larger than {} MB",
                    f.file_name,
                    ATTACHMENT_LIMIT / 1024 / 1024
                )));
            }
            if f.content.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "attachment: '{}' is empty",
                    f.file_name
                )));
            }
        }
        let existing: Vec<Report> = self
            .reports(plan_id, Some(task_id), Some(unit))
            .await?
            .into_iter()
            .filter(|r| r.period == input.period)
            .collect();
        let refs: Vec<&Report> = existing.iter().collect();
        can_submit(&refs).map_err(|m| StoreError::Invalid(format!("period: {m}")))?;
        // The same report sent again (crate::retries): the version stored is the answer.
        if let Some(last) = existing.iter().max_by_key(|r| r.version) {
            if last.decision.is_none()
                && crate::retries::same_report(
                    last,
                    &self.attachments_of(last.id).await?,
                    input,
                    attachments,
                    actor,
                )
            {
                return Ok(last.clone());
            }
        }
        let version = existing.iter().map(|r| r.version).max().unwrap_or(0) + 1;
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (assignment_id, period, version, done, problems, proposals, progress_pct, submitted_on, submitted_at, submitted_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(a.id)
        .bind(&input.period)
        .bind(version)
        .bind(parindex_domain::text::nfc(&input.done))
        .bind(parindex_domain::text::nfc(&input.problems))
        .bind(parindex_domain::text::nfc(&input.proposals))
        .bind(i64::from(input.progress_pct))
        .bind(today.to_string())
        .bind(&now)
        .bind(actor)
        .fetch_one(&mut *tx)
        .await
        .ctx(|| "saving the report".into())?;
        sqlx::query("UPDATE assignments SET progress_pct = $1 WHERE id = $2")
            .bind(i64::from(input.progress_pct))
            .bind(a.id)
            .execute(&mut *tx)
            .await
            .ctx(|| "saving progress".into())?;
        for f in attachments {
            let sha = {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(&f.content))
            };
            sqlx::query(
                "INSERT INTO attachments (report_id, file_name, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(parindex_domain::text::nfc(&f.file_name))
            .bind(&f.content_type)
            .bind(f.content.len() as i64)
            .bind(sha)
            .bind(f.content.clone())
            .bind(actor)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving attachment {}", f.file_name))?;
        }
        record(
            &mut tx,
            Change {
                actor,
                action: "submit",
                entity: "report",
                entity_id: &format!("{plan_id}/{task_id}/{unit}/{}/v{version}", input.period),
                unit: Some(unit),
                before: None,
                after: Some(serde_json::json!({"done": input.done, "problems": input.problems, "proposals": input.proposals, "progress_pct": input.progress_pct, "attachments": attachments.len()})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the report".into())?;
        let (_, r) = self
            .report(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("report {id}")))?;
        Ok(r)
    }

    /// Accept or return the latest, undecided version of a report, with a comment.
    pub async fn review_report(
        &self,
        report_id: i64,
        decision: Decision,
        comment: &str,
        actor: &str,
    ) -> Result<Report> {
        let (plan_id, r) = self
            .report(report_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("report {report_id}")))?;
        if r.decision.is_some() {
            // The same review sent again (crate::retries) is answered as done.
            if crate::retries::same_review(&r, decision, comment, actor) {
                return Ok(r);
            }
            return Err(StoreError::Invalid(
                "decision: this report was already reviewed".into(),
            ));
        }
        let latest = self
            .reports(&plan_id, Some(&r.task_id), Some(&r.unit))
            .await?
            .into_iter()
            .filter(|x| x.period == r.period)
            .map(|x| x.version)
            .max();
        if latest != Some(r.version) {
            return Err(StoreError::Invalid(
                "decision: a newer version of this report exists".into(),
            ));
        }
        if decision == Decision::Returned && comment.trim().is_empty() {
            return Err(StoreError::Invalid(
                "comment: say why the report is returned".into(),
            ));
        }
        let d = match decision {
            Decision::Accepted => "accepted",
            Decision::Returned => "returned",
        };
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let n = sqlx::query("UPDATE reports SET decision = $1, review_comment = $2, reviewed_by = $3, reviewed_at = $4 WHERE id = $5 AND decision IS NULL")
            .bind(d)
            .bind(parindex_domain::text::nfc(comment))
            .bind(actor)
            .bind(now_text())
            .bind(report_id)
            .execute(&mut *tx)
            .await
            .ctx(|| "reviewing the report".into())?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::Invalid(
                "decision: this report was already reviewed".into(),
            ));
        }
        record(
            &mut tx,
            Change {
                actor,
                action: d,
                entity: "report",
                entity_id: &format!(
                    "{plan_id}/{}/{}/{}/v{}",
                    r.task_id, r.unit, r.period, r.version
                ),
                unit: Some(&r.unit),
                before: None,
                after: Some(serde_json::json!({"decision": d, "comment": comment})),
            },
        )
        .await?;
        let link = format!("/plans/{plan_id}/tasks/{}", r.task_id);
        let msg = format!(
            "Báo cáo kỳ {} của nhiệm vụ {} đã được {}.",
            r.period,
            r.task_id,
            if d == "accepted" {
                "chấp nhận"
            } else {
                "trả lại"
            }
        );
        sqlx::query(
            "INSERT INTO notifications (unit, created_at, message, link) VALUES ($1, $2, $3, $4)",
        )
        .bind(&r.unit)
        .bind(now_text())
        .bind(msg)
        .bind(link)
        .execute(&mut *tx)
        .await
        .ctx(|| "notifying the unit".into())?;
        tx.commit().await.ctx(|| "committing the review".into())?;
        let (_, r) = self
            .report(report_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("report {report_id}")))?;
        Ok(r)
    }

    /// Record a unit's progress on its assignment (0–100).
    pub async fn set_progress(
        &self,
        plan_id: &str,
        task_id: &str,
        unit: &str,
        pct: u8,
        actor: &str,
    ) -> Result<()> {
        if pct > 100 {
            return Err(StoreError::Invalid("progress_pct: 0 to 100".into()));
        }
        let a = self
            .assignment_of(plan_id, task_id, unit)
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(format!("unit: {unit} is not assigned to task {task_id}"))
            })?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("UPDATE assignments SET progress_pct = $1 WHERE id = $2")
            .bind(i64::from(pct))
            .bind(a.id)
            .execute(&mut *tx)
            .await
            .ctx(|| "saving progress".into())?;
        record(
            &mut tx,
            Change {
                actor,
                action: "progress",
                entity: "assignment",
                entity_id: &format!("{plan_id}/{task_id}/{unit}"),
                unit: Some(unit),
                before: Some(serde_json::json!(a.progress_pct)),
                after: Some(serde_json::json!(pct)),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing progress".into())?;
        Ok(())
    }

    pub async fn attachments_of(&self, report_id: i64) -> Result<Vec<AttachmentInfo>> {
        let rows = sqlx::query("SELECT id, report_id, file_name, content_type, size_bytes, sha256 FROM attachments WHERE report_id = $1 ORDER BY id")
            .bind(report_id)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading attachments".into())?;
        rows.iter().map(attachment_from_row).collect()
    }

    /// An attachment's bytes with the unit of the report it belongs to (for authorization).
    pub async fn attachment(&self, id: i64) -> Result<Option<(AttachmentInfo, String, Vec<u8>)>> {
        let r = sqlx::query(
            "SELECT t.id, t.report_id, t.file_name, t.content_type, t.size_bytes, t.sha256, t.content, a.unit FROM attachments t \
             JOIN reports r ON r.id = t.report_id JOIN assignments a ON a.id = r.assignment_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .ctx(|| format!("reading attachment {id}"))?;
        r.map(|r| {
            Ok((
                attachment_from_row(&r)?,
                get(&r, "unit")?,
                get(&r, "content")?,
            ))
        })
        .transpose()
    }

    /// The working-day calendar: weekends off when the setting says so, and the public holidays.
    pub(crate) async fn load_work_calendar(&self) -> Result<WorkCalendar> {
        let weekends: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'weekends_off'")
                .fetch_optional(&self.pool)
                .await
                .ctx(|| "reading settings".into())?;
        let days: Vec<String> = sqlx::query_scalar("SELECT day FROM holidays ORDER BY day")
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading holidays".into())?;
        Ok(WorkCalendar {
            weekends_off: weekends.as_deref() == Some("true"),
            holidays: days
                .iter()
                .map(|d| date(d, "holiday"))
                .collect::<Result<_>>()?,
        })
    }

    /// The public holidays with their names, in date order.
    pub async fn holidays(&self) -> Result<Vec<(Date, String)>> {
        let rows = sqlx::query("SELECT day, name FROM holidays ORDER BY day")
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading holidays".into())?;
        rows.iter()
            .map(|r| Ok((date(&get::<String>(r, "day")?, "holiday")?, get(r, "name")?)))
            .collect()
    }

    /// Replace the working-day calendar.
    pub async fn save_work_calendar(
        &self,
        cal: &WorkCalendar,
        names: &[(Date, String)],
        actor: &str,
    ) -> Result<()> {
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("INSERT INTO settings (key, value) VALUES ('weekends_off', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(if cal.weekends_off { "true" } else { "false" })
            .execute(&mut *tx)
            .await
            .ctx(|| "saving settings".into())?;
        sqlx::query("DELETE FROM holidays")
            .execute(&mut *tx)
            .await
            .ctx(|| "replacing holidays".into())?;
        for d in &cal.holidays {
            let name = names
                .iter()
                .find(|(x, _)| x == d)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            sqlx::query("INSERT INTO holidays (day, name) VALUES ($1, $2)")
                .bind(d.to_string())
                .bind(name)
                .execute(&mut *tx)
                .await
                .ctx(|| "saving a holiday".into())?;
        }
        record(
            &mut tx,
            Change {
                actor,
                action: "save",
                entity: "calendar",
                entity_id: "work-calendar",
                unit: None,
                before: None,
                after: serde_json::to_value(cal).ok(),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the calendar".into())?;
        Ok(())
    }

    /// Claim a reminder: true the first time for (assignment, period, kind), false ever after —
    /// so a restarted job never sends it twice.
    pub async fn claim_reminder(
        &self,
        assignment_id: i64,
        period: &str,
        kind: ReminderKind,
        today: Date,
    ) -> Result<bool> {
        let r = sqlx::query("INSERT INTO reminders_sent (assignment_id, period, kind, sent_on) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(assignment_id)
            .bind(period)
            .bind(kind.as_str())
            .bind(today.to_string())
            .execute(&self.pool)
            .await
            .ctx(|| "claiming a reminder".into())?;
        self.wrote();
        Ok(r.rows_affected() == 1)
    }

    /// Record how many e-mails a claimed reminder sent.
    pub async fn reminder_emailed(
        &self,
        assignment_id: i64,
        period: &str,
        kind: ReminderKind,
        emails: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE reminders_sent SET emails = $1 WHERE assignment_id = $2 AND period = $3 AND kind = $4")
            .bind(emails)
            .bind(assignment_id)
            .bind(period)
            .bind(kind.as_str())
            .execute(&self.pool)
            .await
            .ctx(|| "recording a reminder".into())?;
        self.wrote();
        Ok(())
    }

    pub async fn notify(&self, unit: &str, message: &str, link: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (unit, created_at, message, link) VALUES ($1, $2, $3, $4)",
        )
        .bind(unit)
        .bind(now_text())
        .bind(message)
        .bind(link)
        .execute(&self.pool)
        .await
        .ctx(|| "saving a notification".into())?;
        self.wrote();
        Ok(())
    }

    /// A unit's notifications, newest first.
    pub async fn notifications(&self, unit: &str, limit: i64) -> Result<Vec<Notification>> {
        let rows =
            sqlx::query("SELECT * FROM notifications WHERE unit = $1 ORDER BY id DESC LIMIT $2")
                .bind(unit)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .ctx(|| "reading notifications".into())?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: get(r, "id")?,
                    unit: get(r, "unit")?,
                    created_at: get(r, "created_at")?,
                    message: get(r, "message")?,
                    link: get(r, "link")?,
                    read: get::<Option<String>>(r, "read_at")?.is_some(),
                })
            })
            .collect()
    }

    pub async fn mark_notifications_read(&self, unit: &str) -> Result<()> {
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE unit = $2 AND read_at IS NULL")
            .bind(now_text())
            .bind(unit)
            .execute(&self.pool)
            .await
            .ctx(|| "marking notifications".into())?;
        self.wrote();
        Ok(())
    }

    /// E-mail addresses of the active users of a unit.
    pub async fn unit_emails(&self, unit: &str) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT email FROM users WHERE unit = $1 AND active = 1 AND email IS NOT NULL AND email <> '' ORDER BY email")
            .bind(unit)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading e-mail addresses".into())
    }

    pub async fn set_user_email(
        &self,
        user_id: i64,
        email: Option<&str>,
        actor: &str,
    ) -> Result<()> {
        if let Some(e) = email {
            if !e.contains('@') || e.contains(char::is_whitespace) || e.len() > 200 {
                return Err(StoreError::Invalid(format!(
                    "email: '{e}' is not an e-mail address"
                )));
            }
        }
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .ctx(|| "saving the e-mail".into())?;
        record(
            &mut tx,
            Change {
                actor,
                action: "email",
                entity: "user",
                entity_id: &user_id.to_string(),
                unit: None,
                before: None,
                after: Some(serde_json::json!(email)),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing".into())?;
        Ok(())
    }

    /// Propose a criticism or a disciplinary review of a unit's head.
    pub async fn propose_measure(
        &self,
        plan_id: &str,
        unit: &str,
        year: i32,
        kind: MeasureKind,
        reason: &str,
        actor: &str,
    ) -> Result<i64> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("reason: give the reason".into()));
        }
        let u = self
            .unit(unit)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("unit: unknown unit '{unit}'")))?;
        if self.plan(plan_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("plan '{plan_id}'")));
        }
        let head = u
            .head_name
            .clone()
            .unwrap_or_else(|| format!("Người đứng đầu {}", u.name_vi));
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let id: i64 = sqlx::query_scalar("INSERT INTO measures (plan_id, unit, head_name, year, kind, reason, proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(plan_id)
            .bind(unit)
            .bind(&head)
            .bind(i64::from(year))
            .bind(kind.as_str())
            .bind(parindex_domain::text::nfc(reason))
            .bind(actor)
            .bind(now_text())
            .fetch_one(&mut *tx)
            .await
            .ctx(|| "saving the proposal".into())?;
        record(
            &mut tx,
            Change {
                actor,
                action: "propose",
                entity: "measure",
                entity_id: &id.to_string(),
                unit: Some(unit),
                before: None,
                after: Some(
                    serde_json::json!({"kind": kind, "head": head, "reason": reason, "year": year}),
                ),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the proposal".into())?;
        Ok(id)
    }

    /// The leader's decision on a proposal (once).
    pub async fn decide_measure(
        &self,
        id: i64,
        approve: bool,
        note: &str,
        actor: &str,
    ) -> Result<()> {
        let m = self
            .measure(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("measure {id}")))?;
        if m.decision.is_some() {
            return Err(StoreError::Invalid("decision: already decided".into()));
        }
        let d = if approve { "approved" } else { "rejected" };
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("UPDATE measures SET decision = $1, decision_note = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND decision IS NULL")
            .bind(d)
            .bind(parindex_domain::text::nfc(note))
            .bind(actor)
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await
            .ctx(|| "deciding".into())?;
        record(
            &mut tx,
            Change {
                actor,
                action: d,
                entity: "measure",
                entity_id: &id.to_string(),
                unit: Some(&m.unit),
                before: None,
                after: Some(serde_json::json!({"decision": d, "note": note})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the decision".into())?;
        Ok(())
    }

    pub async fn measure(&self, id: i64) -> Result<Option<Measure>> {
        let r = sqlx::query("SELECT * FROM measures WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading measure {id}"))?;
        r.map(|r| measure_from_row(&r)).transpose()
    }

    /// Measures of a plan, optionally one unit's, newest first.
    pub async fn measures(&self, plan_id: &str, unit: Option<&str>) -> Result<Vec<Measure>> {
        let rows = sqlx::query("SELECT * FROM measures WHERE plan_id = $1 AND ($2 IS NULL OR unit = $2) ORDER BY id DESC")
            .bind(plan_id)
            .bind(unit)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading measures".into())?;
        rows.iter().map(measure_from_row).collect()
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

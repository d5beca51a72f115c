//! Deadline reminders: 7 days and 1 day before a due date, and on becoming overdue; in-app (a
//! notification to the unit) and by e-mail to the unit's users.
//!
//! Rules ([`run_reminders`]): for every assignment of a plan, every period up to the first one
//! not yet due that is neither submitted nor accepted gets the reminder
//! [`reminder_due`](parindex_domain::calendar::reminder_due) names for today under the working-day
//! calendar (the most recent one only). Each (assignment, period, kind) is claimed in the store
//! before anything is sent; a claim succeeds once, ever, so running the job again — the same
//! day, after a restart, or from cron and the server both — never repeats a reminder. The price
//! is "at most once": a message that fails to send is logged and counted, not retried. So that
//! an SMTP outage does not swallow a day's reminders, a run checks first that the server
//! answers and, when it does not, stops before claiming anything (the next run sends them).

use crate::mail::Mailer;
use crate::text::{dmy, period_label};
use crate::Result;
use jiff::civil::Date;
use parindex_domain::calendar::{days_until, reminder_due, Clock, ReminderKind, WorkCalendar};
use parindex_domain::plan::{assignment_periods, Report, Status, Task};
use parindex_store::{Store, StoreError};
use serde::Serialize;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);
const RETRY: Duration = Duration::from_secs(60 * 60);

/// One reminder sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentReminder {
    pub plan_id: String,
    pub task_id: String,
    pub unit: String,
    pub period: String,
    pub due: Date,
    pub kind: ReminderKind,
    /// E-mails that went out for it.
    pub emails: usize,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReminderSummary {
    pub today: Option<Date>,
    /// Plans looked at.
    pub plans: usize,
    /// Reminders sent now (one in-app notification each).
    pub sent: Vec<SentReminder>,
    /// Reminders due today that had already been sent (claimed before).
    pub already_sent: usize,
    pub emails: usize,
    pub email_failures: usize,
}

impl std::fmt::Display for ReminderSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reminders{}: {} sent ({} e-mails, {} failed), {} already sent before, {} plan(s)",
            self.today
                .map(|d| format!(" as of {d}"))
                .unwrap_or_default(),
            self.sent.len(),
            self.emails,
            self.email_failures,
            self.already_sent,
            self.plans
        )
    }
}

/// The texts of one reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderText {
    pub subject: String,
    pub notification: String,
    pub body: String,
}

/// What a reminder says (Vietnamese): the task, its place in the plan, the period, the due date
/// (dd/mm/yyyy) and how many days are left.
pub fn reminder_text(
    task: &Task,
    period_key: &str,
    due: Date,
    today: Date,
    kind: ReminderKind,
    link: &str,
) -> ReminderText {
    let period = period_label(period_key)
        .map(|p| format!(", kỳ {p}"))
        .unwrap_or_default();
    let due_s = dmy(due);
    let left = days_until(today, due).max(0);
    let (tag, state) = match kind {
        ReminderKind::Before7 | ReminderKind::Before1 => (
            "Nhắc hạn".to_string(),
            if left == 0 {
                "đến hạn hôm nay".to_string()
            } else {
                format!("còn {left} ngày")
            },
        ),
        ReminderKind::Overdue => ("Quá hạn".to_string(), "đã quá hạn".to_string()),
    };
    let subject = format!(
        "[ParIndex] {tag}: {} ({}{period}) — hạn {due_s}, {state}",
        task.title, task.section
    );
    let missing = if kind == ReminderKind::Overdue {
        ", chưa có báo cáo đạt yêu cầu"
    } else {
        ""
    };
    let notification = format!(
        "{tag}: nhiệm vụ \"{}\" ({}{period}), hạn {due_s}: {state}{missing}.",
        task.title, task.section
    );
    let deliverable = if task.deliverable.trim().is_empty() {
        String::new()
    } else {
        format!("Sản phẩm: {}\n", task.deliverable.trim())
    };
    let body = format!(
        "Kính gửi Quý cơ quan, đơn vị,\n\n\
         {tag}: nhiệm vụ \"{}\" (mục {} của Kế hoạch{period}).\n\
         Hạn báo cáo: {due_s} — {state}{missing}.\n\
         {deliverable}\n\
         Đề nghị cập nhật báo cáo trên ParIndex: {link}\n\n\
         Thư này được gửi tự động; vui lòng không trả lời.\n",
        task.title, task.section
    );
    ReminderText {
        subject,
        notification,
        body,
    }
}

/// Run the reminders of one plan (`Some(id)`) or of every plan, as of `today`. See the module
/// documentation for the rules. Without a mailer only the in-app notifications are made.
pub async fn run_reminders(
    store: &Store,
    plan: Option<&str>,
    today: Date,
    cal: &WorkCalendar,
    mailer: Option<&Mailer>,
) -> Result<ReminderSummary> {
    let plans: Vec<String> = match plan {
        Some(id) => {
            if store.plan(id).await?.is_none() {
                return Err(StoreError::NotFound(format!("plan '{id}'")).into());
            }
            vec![id.to_string()]
        }
        None => store.plans().await?.into_iter().map(|p| p.id).collect(),
    };
    if let Some(m) = mailer {
        m.check().await.map_err(|e| {
            crate::ReportError::Mail(format!(
                "{}; no reminder was sent, they will go out on the next run",
                e.to_string().trim_start_matches("e-mail: ")
            ))
        })?;
    }
    let mut summary = ReminderSummary {
        today: Some(today),
        plans: plans.len(),
        ..Default::default()
    };
    for plan_id in &plans {
        let doc = store
            .plan_document(plan_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("plan '{plan_id}'")))?;
        let assignments = store.assignments(plan_id, None).await?;
        let reports = store.reports(plan_id, None, None).await?;
        for task in &doc.tasks {
            for a in assignments.iter().filter(|a| a.task_id == task.id) {
                let mine: Vec<Report> = reports
                    .iter()
                    .filter(|r| r.task_id == task.id && r.unit == a.unit)
                    .cloned()
                    .collect();
                let periods = assignment_periods(&task.deadline, cal, today, &mine, a.progress_pct);
                for p in periods
                    .iter()
                    .filter(|p| !matches!(p.status, Status::Submitted | Status::Accepted))
                {
                    let Some(kind) = reminder_due(p.period.due, today, cal) else {
                        continue;
                    };
                    if !store
                        .claim_reminder(a.id, &p.period.key, kind, today)
                        .await?
                    {
                        summary.already_sent += 1;
                        continue;
                    }
                    let link = format!("/plans/{plan_id}/tasks/{}", task.id);
                    // The e-mail's link is absolute when the public URL is known.
                    let mail_link = mailer.map_or_else(|| link.clone(), |m| m.link(&link));
                    let text =
                        reminder_text(task, &p.period.key, p.period.due, today, kind, &mail_link);
                    store.notify(&a.unit, &text.notification, &link).await?;
                    let mut emails = 0;
                    if let Some(m) = mailer {
                        for to in store.unit_emails(&a.unit).await? {
                            match m.send(&to, &text.subject, &text.body).await {
                                Ok(()) => emails += 1,
                                Err(e) => {
                                    summary.email_failures += 1;
                                    tracing::warn!(error = %e, task = %task.id, unit = %a.unit, "reminder e-mail not sent");
                                }
                            }
                        }
                        store
                            .reminder_emailed(a.id, &p.period.key, kind, emails as i64)
                            .await?;
                    }
                    summary.emails += emails;
                    summary.sent.push(SentReminder {
                        plan_id: plan_id.clone(),
                        task_id: task.id.clone(),
                        unit: a.unit.clone(),
                        period: p.period.key.clone(),
                        due: p.period.due,
                        kind,
                        emails,
                    });
                }
            }
        }
    }
    Ok(summary)
}

/// Run the reminders of every plan now and then every 24 hours, as of the clock's day and under
/// the stored working-day calendar, until the runtime stops. A run that fails (the database or
/// the SMTP server unavailable) is logged and tried again an hour later; claims make the retries
/// safe.
pub fn spawn_daily_reminders(
    store: Store,
    clock: Clock,
    mailer: Option<Mailer>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let today = clock.today();
            let run = async {
                let cal = store.work_calendar().await?;
                run_reminders(&store, None, today, &cal, mailer.as_ref()).await
            };
            let wait = match run.await {
                Ok(s) => {
                    tracing::info!("{s}");
                    DAY
                }
                Err(e) => {
                    tracing::error!(error = %e, "the daily reminders failed; trying again in an hour");
                    RETRY
                }
            };
            tokio::time::sleep(wait).await;
        }
    })
}

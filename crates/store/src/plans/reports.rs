//! Reports: versions submitted by a unit for a period, their review, progress, attachments.

use super::*;

impl Store {
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
            .ok_or_else(|| not_assigned(unit, task_id))?;
        if !task
            .deadline
            .periods(cal)
            .iter()
            .any(|p| p.key == input.period)
        {
            return refuse(
                "period",
                RefusalKind::NotAPeriod {
                    period: input.period.clone(),
                    task: task_id.to_string(),
                },
            );
        }
        if input.done.trim().is_empty() {
            return refuse("done", RefusalKind::Required);
        }
        if input.progress_pct > 100 {
            return refuse("progress_pct", PCT_RANGE);
        }
        for f in attachments {
            if f.content.len() > ATTACHMENT_LIMIT {
                return refuse(
                    "attachment",
                    RefusalKind::TooLarge {
                        name: f.file_name.clone(),
                        max_mb: ATTACHMENT_LIMIT / 1024 / 1024,
                    },
                );
            }
            if f.content.is_empty() {
                return refuse(
                    "attachment",
                    RefusalKind::EmptyFile {
                        name: f.file_name.clone(),
                    },
                );
            }
        }
        let existing: Vec<Report> = self
            .reports(plan_id, Some(task_id), Some(unit))
            .await?
            .into_iter()
            .filter(|r| r.period == input.period)
            .collect();
        let refs: Vec<&Report> = existing.iter().collect();
        can_submit(&refs).map_err(report_refusal)?;
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
        // The moment of the submission: now, unless `today` is another day (a fixed clock, or
        // the demo's history), then that day (crate::db::stamp_on).
        let now = crate::db::stamp_on(today);
        let mut tx = self
            .write_tx_for(crate::Tables::WORK)
            .await
            .ctx(|| "starting a transaction".into())?;
        // Two submissions for the same assignment wait for each other here (this update's row
        // lock on PostgreSQL; SQLite's writers are serialised by BEGIN IMMEDIATE), and the
        // version and the acceptance are read again inside the transaction. Read before it, two
        // people of a unit sending the month's report at once both took the same version and
        // one got a 500 (a unique-key violation; found by bench/soak.sh).
        sqlx::query("UPDATE assignments SET progress_pct = $1 WHERE id = $2")
            .bind(i64::from(input.progress_pct))
            .bind(a.id)
            .execute(&mut *tx)
            .await
            .ctx(|| "saving progress".into())?;
        if a.progress_pct != input.progress_pct {
            // The assignment's progress ("Tiến độ" in "my tasks") is set by the report.
            record(
                &mut tx,
                Change {
                    actor,
                    action: "progress",
                    entity: "assignment",
                    entity_id: &format!("{plan_id}/{task_id}/{unit}"),
                    unit: Some(unit),
                    before: Some(serde_json::json!({ "progress_pct": a.progress_pct })),
                    after: Some(serde_json::json!({ "progress_pct": input.progress_pct })),
                },
            )
            .await?;
        }
        let latest: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT version, decision FROM reports WHERE assignment_id = $1 AND period = $2 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(a.id)
        .bind(&input.period)
        .fetch_optional(&mut *tx)
        .await
        .ctx(|| "reading the period's reports".into())?;
        // The submission rule again, on the latest version read inside the transaction.
        may_submit_after(latest.as_ref().and_then(|(_, d)| decision_of(d.as_deref())))
            .map_err(report_refusal)?;
        let version = latest.map_or(0, |(v, _)| v) + 1;
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
        today: Date,
    ) -> Result<Report> {
        self.review_report_at(report_id, decision, comment, (now_text(), today), actor)
            .await
    }

    /// [`Store::review_report`] on a given day: the review and the unit's notification are
    /// dated that day (the demo's history is built this way, as of its clock).
    pub async fn review_report_on(
        &self,
        report_id: i64,
        decision: Decision,
        comment: &str,
        day: Date,
        actor: &str,
    ) -> Result<Report> {
        self.review_report_at(
            report_id,
            decision,
            comment,
            (crate::db::stamp_on(day), day),
            actor,
        )
        .await
    }

    async fn review_report_at(
        &self,
        report_id: i64,
        decision: Decision,
        comment: &str,
        (at, day): (String, Date),
        actor: &str,
    ) -> Result<Report> {
        let (plan_id, r) = self
            .report(report_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("report {report_id}")))?;
        // The same review sent again (crate::retries) is answered as done.
        if r.decision.is_some() && crate::retries::same_review(&r, decision, comment, actor) {
            return Ok(r);
        }
        let latest = self
            .reports(&plan_id, Some(&r.task_id), Some(&r.unit))
            .await?
            .into_iter()
            .filter(|x| x.period == r.period)
            .map(|x| x.version)
            .max();
        may_review(&r, latest, decision, comment).map_err(report_refusal)?;
        let d = match decision {
            Decision::Accepted => "accepted",
            Decision::Returned => "returned",
        };
        let mut tx = self
            .write_tx_for(crate::Tables::WORK | crate::Tables::NOTICES)
            .await
            .ctx(|| "starting a transaction".into())?;
        let n = sqlx::query("UPDATE reports SET decision = $1, review_comment = $2, reviewed_by = $3, reviewed_at = $4, reviewed_on = $5 WHERE id = $6 AND decision IS NULL")
            .bind(d)
            .bind(parindex_domain::text::nfc(comment))
            .bind(actor)
            .bind(&at)
            .bind(day.to_string())
            .bind(report_id)
            .execute(&mut *tx)
            .await
            .ctx(|| "reviewing the report".into())?
            .rows_affected();
        if n != 1 {
            // Reviewed by someone else between the check and the update.
            return Err(report_refusal(ReportRefusal::AlreadyReviewed));
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
        let title: Option<String> =
            sqlx::query_scalar("SELECT title FROM plan_tasks WHERE plan_id = $1 AND id = $2")
                .bind(plan_id.as_str())
                .bind(&r.task_id)
                .fetch_optional(&mut *tx)
                .await
                .ctx(|| "reading the task's title".into())?;
        let msg = review_notice(
            &r.period,
            title.as_deref().unwrap_or(&r.task_id),
            decision,
            comment,
        );
        sqlx::query(
            "INSERT INTO notifications (unit, created_at, message, link) VALUES ($1, $2, $3, $4)",
        )
        .bind(&r.unit)
        .bind(&at)
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

    /// The attachments of every report on a task of a plan, by report, in one query (the task
    /// page shows every unit's reports: not a query per report).
    pub async fn attachments_of_task(
        &self,
        plan_id: &str,
        task_id: &str,
    ) -> Result<std::collections::HashMap<i64, Vec<AttachmentInfo>>> {
        let rows = sqlx::query(
            "SELECT t.id, t.report_id, t.file_name, t.content_type, t.size_bytes, t.sha256 FROM attachments t \
             JOIN reports r ON r.id = t.report_id JOIN assignments a ON a.id = r.assignment_id \
             WHERE a.plan_id = $1 AND a.task_id = $2 ORDER BY t.id",
        )
        .bind(plan_id)
        .bind(task_id)
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("reading the attachments of task {task_id}"))?;
        let mut out: std::collections::HashMap<i64, Vec<AttachmentInfo>> =
            std::collections::HashMap::new();
        for r in &rows {
            let f = attachment_from_row(r)?;
            if let Some(id) = f.report_id {
                out.entry(id).or_default().push(f);
            }
        }
        Ok(out)
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
}

/// The unit's notification of a review, in Vietnamese (the notification is stored as text): the
/// period as "tháng 07/2021", the task by its title, the decision and the reviewer's comment.
fn review_notice(period: &str, title: &str, decision: Decision, comment: &str) -> String {
    let period = match period.split_once('-') {
        Some((y, m)) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()) => {
            format!(" tháng {m}/{y}")
        }
        Some((y, "Q1")) => format!(" quý I/{y}"),
        Some((y, "Q2")) => format!(" quý II/{y}"),
        Some((y, "Q3")) => format!(" quý III/{y}"),
        Some((y, "Q4")) => format!(" quý IV/{y}"),
        Some((y, "H1")) => format!(" 6 tháng đầu năm {y}"),
        Some((y, "H2")) => format!(" 6 tháng cuối năm {y}"),
        _ if period == "once" => String::new(),
        _ => format!(" kỳ {period}"),
    };
    let verb = match decision {
        Decision::Accepted => "được chấp nhận",
        Decision::Returned => "bị trả lại",
    };
    let comment = parindex_domain::text::nfc(comment.trim());
    let why = if comment.is_empty() {
        String::new()
    } else {
        format!(" Ý kiến: {comment}")
    };
    format!("Báo cáo{period} của nhiệm vụ «{title}» {verb}.{why}")
}

#[cfg(test)]
mod notice_tests {
    use super::*;

    #[test]
    fn a_review_is_told_with_the_task_title_the_month_and_the_comment() {
        assert_eq!(
            review_notice("2021-07", "Báo cáo tháng về CCHC", Decision::Returned, " Thiếu số liệu "),
            "Báo cáo tháng 07/2021 của nhiệm vụ «Báo cáo tháng về CCHC» bị trả lại. Ý kiến: Thiếu số liệu"
        );
        assert_eq!(
            review_notice("2021-Q3", "Báo cáo quý", Decision::Accepted, ""),
            "Báo cáo quý III/2021 của nhiệm vụ «Báo cáo quý» được chấp nhận."
        );
        assert_eq!(
            review_notice("once", "Tài liệu kiểm chứng", Decision::Accepted, ""),
            "Báo cáo của nhiệm vụ «Tài liệu kiểm chứng» được chấp nhận."
        );
    }
}

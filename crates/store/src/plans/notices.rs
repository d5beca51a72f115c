//! The working-day calendar, reminders claimed once, notifications and the e-mail addresses they go
//! to.

use super::*;

impl Store {
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
        let r = self.execute_for(crate::Tables::NOTICES, sqlx::query("INSERT INTO reminders_sent (assignment_id, period, kind, sent_on) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(assignment_id)
            .bind(period)
            .bind(kind.as_str())
            .bind(today.to_string()))
            .await
            .ctx(|| "claiming a reminder".into())?;
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
        self.execute_for(crate::Tables::NOTICES, sqlx::query("UPDATE reminders_sent SET emails = $1 WHERE assignment_id = $2 AND period = $3 AND kind = $4")
            .bind(emails)
            .bind(assignment_id)
            .bind(period)
            .bind(kind.as_str()))
            .await
            .ctx(|| "recording a reminder".into())?;
        Ok(())
    }

    pub async fn notify(&self, unit: &str, message: &str, link: &str) -> Result<()> {
        self.execute_for(crate::Tables::NOTICES, sqlx::query(
            "INSERT INTO notifications (unit, created_at, message, link) VALUES ($1, $2, $3, $4)",
        )
        .bind(unit)
        .bind(now_text())
        .bind(message)
        .bind(link))
        .await
        .ctx(|| "saving a notification".into())?;
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

    /// How many of a unit's notifications are unread (the header's badge on every page): kept
    /// in memory until a notification is written or read.
    pub async fn unread_notifications(&self, unit: &str) -> Result<usize> {
        let key = crate::cache::MemoKey::new("unread").with(unit);
        let n = self
            .memo(key, crate::Tables::NOTICES, || async {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM notifications WHERE unit = $1 AND read_at IS NULL",
                )
                .bind(unit)
                .fetch_one(&self.pool)
                .await
                .ctx(|| "counting unread notifications".into())?;
                Ok(usize::try_from(n).unwrap_or(0))
            })
            .await?;
        Ok(*n)
    }

    pub async fn mark_notifications_read(&self, unit: &str) -> Result<()> {
        self.execute_for(
            crate::Tables::NOTICES,
            sqlx::query(
                "UPDATE notifications SET read_at = $1 WHERE unit = $2 AND read_at IS NULL",
            )
            .bind(now_text())
            .bind(unit),
        )
        .await
        .ctx(|| "marking notifications".into())?;
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
}

//! Accountability measures proposed for a head of agency, and their decision.

use super::*;

impl Store {
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
            return refuse("reason", RefusalKind::Required);
        }
        let u = self.unit(unit).await?.ok_or_else(|| {
            Refusal::new(
                "unit",
                RefusalKind::Unknown {
                    value: unit.to_string(),
                },
            )
        })?;
        if self.plan(plan_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("plan '{plan_id}'")));
        }
        let head = u
            .head_name
            .clone()
            .unwrap_or_else(|| format!("Người đứng đầu {}", u.name_vi));
        let mut tx = self
            .write_tx_for(crate::Tables::WORK)
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
            return refuse("decision", RefusalKind::AlreadyDecided);
        }
        let d = if approve { "approved" } else { "rejected" };
        let mut tx = self
            .write_tx_for(crate::Tables::WORK)
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

//! Next year's round carried over from this one: its units, a criteria set (existing or copied),
//! the crosswalk, the evidence.

use super::*;

impl Store {
    /// Carry a round over to next year: the same units and classes, next year's criteria set
    /// (an existing edition, or a copy of this one a year later), the crosswalk of criteria
    /// (same code, or renamed and merged ones mapped), scores reset, and — if asked — last
    /// year's evidence linked to the mapped items. Everything is checked before anything is
    /// saved; a copied edition is saved first (its own audited transaction), then the round
    /// with its evidence links in one transaction.
    pub async fn carry_over(
        &self,
        source_id: &str,
        next: &NextYear,
        actor: &str,
    ) -> Result<(Round, Crosswalk)> {
        let src = self
            .round(source_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("round '{source_id}'")))?;
        let old_edition = match self.published_snapshot(source_id).await? {
            Some(s) => s.edition,
            None => self
                .edition(&src.edition_id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("edition '{}'", src.edition_id)))?,
        };
        let mut problems = Refusals::new();
        let (new_edition, copy) = match &next.edition {
            NextEdition::Existing(id) => match self.edition(id).await? {
                Some(e) => (e, false),
                None => return refuse("edition", RefusalKind::Unknown { value: id.clone() }),
            },
            NextEdition::Copy(id) => {
                if self.edition(id).await?.is_some() {
                    problems.push("edition", RefusalKind::Exists { value: id.clone() });
                }
                let e = next_year_edition(&old_edition, id, src.year + 1);
                for p in e.validate() {
                    problems.push(format!("edition.{}", p.field), RefusalKind::Edition(p.kind));
                }
                (e, true)
            }
        };
        if new_edition.level != old_edition.level {
            problems.push(
                "edition",
                RefusalKind::WrongLevel {
                    value: new_edition.id.clone(),
                    level: new_edition.level,
                    wanted: old_edition.level,
                },
            );
        }
        let cw = match crosswalk(&old_edition, &new_edition, &next.crosswalk) {
            Ok(cw) => Some(cw),
            Err(ps) => {
                for p in ps {
                    problems.push("crosswalk", RefusalKind::Crosswalk(p));
                }
                None
            }
        };
        let round = Round {
            id: next.round_id.trim().to_string(),
            name: nfc(&next.name),
            edition_id: new_edition.id.clone(),
            year: new_edition.year,
            units: src.units.clone(),
            deadlines: next.deadlines,
            classes: src.classes.clone(),
            sample: new_edition.sample,
            published_on: None,
            published_by: None,
            source_round: Some(src.id.clone()),
            note: String::new(),
        };
        problems.extend(round.problems().into_iter().map(Refusal::from));
        if self.round(&round.id).await?.is_some() {
            problems.push(
                "id",
                RefusalKind::Exists {
                    value: round.id.clone(),
                },
            );
        }
        let Some(cw) = cw.filter(|_| problems.is_empty()) else {
            return Err(StoreError::Invalid(problems));
        };
        if copy {
            self.save_edition(&new_edition, actor).await?;
        }
        let links: Vec<(i64, String, String)> = if next.carry_evidence {
            let rows = sqlx::query(
                "SELECT evidence_id, unit, code FROM evidence_links WHERE round_id = $1 ORDER BY evidence_id",
            )
            .bind(source_id)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading last year's evidence links".into())?;
            rows.iter()
                .map(|r| Ok((get(r, "evidence_id")?, get(r, "unit")?, get(r, "code")?)))
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        insert_round(&mut tx, &round, actor).await?;
        let mut carried = 0usize;
        for (eid, unit, code) in &links {
            let Some(target) = NodeCode::parse(code).ok().and_then(|c| cw.map.get(&c)) else {
                continue;
            };
            carried += sqlx::query(
                "INSERT INTO evidence_links (evidence_id, round_id, unit, code, linked_by, linked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (evidence_id, round_id, unit, code) DO NOTHING",
            )
            .bind(eid)
            .bind(&round.id)
            .bind(unit)
            .bind(target.to_string())
            .bind(actor)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .ctx(|| "carrying evidence over".into())?
            .rows_affected() as usize;
        }
        record(
            &mut tx,
            Change {
                actor,
                action: "carry_over",
                entity: "assessment_round",
                entity_id: &round.id,
                unit: None,
                before: Some(serde_json::json!({"round": src.id, "edition": old_edition.id})),
                after: Some(serde_json::json!({"round": round.id, "edition": round.edition_id,
                    "mapped": cw.map.len(), "dropped": cw.dropped.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                    "new_only": cw.new_only.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                    "evidence_links": carried})),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| "committing a carried-over round".into())?;
        Ok((round, cw))
    }
}

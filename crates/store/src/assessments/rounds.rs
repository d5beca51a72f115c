//! Rounds: created with their units, deadlines and classes; deadlines changed; a stage reopened for
//! a unit.

use super::*;

impl Store {
    /// Create a round: its fields checked (every problem at once), the edition known, the units
    /// known and of the type the edition assesses. The round is a sample when its edition is.
    pub async fn create_round(&self, n: &NewRound, actor: &str) -> Result<Round> {
        let edition = self.edition(&n.edition_id).await?;
        let round = Round {
            id: n.id.trim().to_string(),
            name: nfc(&n.name),
            edition_id: n.edition_id.clone(),
            year: edition.as_ref().map(|e| e.year).unwrap_or(0),
            units: n.units.clone(),
            deadlines: n.deadlines,
            classes: n.classes.clone(),
            sample: edition.as_ref().is_some_and(|e| e.sample),
            published_on: None,
            published_by: None,
            source_round: None,
            note: nfc(&n.note),
        };
        let mut problems = Refusals(
            round
                .problems()
                .into_iter()
                .filter(|(f, _)| edition.is_some() || *f != "year")
                .map(Refusal::from)
                .collect(),
        );
        match &edition {
            None => problems.push(
                "edition",
                RefusalKind::Unknown {
                    value: n.edition_id.clone(),
                },
            ),
            Some(e) => {
                for u in &round.units {
                    match self.unit(u).await? {
                        None => problems.push("units", RefusalKind::Unknown { value: u.clone() }),
                        Some(unit) if !level_fits(e.level, unit.unit_type) => problems.push(
                            "units",
                            RefusalKind::UnitLevel {
                                unit: u.clone(),
                                unit_type: unit.unit_type,
                                wanted: e.level,
                            },
                        ),
                        Some(_) => {}
                    }
                }
            }
        }
        problems.extend(text_problem("note".into(), &round.note));
        if self.round(&round.id).await?.is_some() {
            problems.push(
                "id",
                RefusalKind::Exists {
                    value: round.id.clone(),
                },
            );
        }
        problems.check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        insert_round(&mut tx, &round, actor).await?;
        record(
            &mut tx,
            Change {
                actor,
                action: "create",
                entity: "assessment_round",
                entity_id: &round.id,
                unit: None,
                before: None,
                after: Some(serde_json::to_value(&round).unwrap_or_default()),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing a round".into())?;
        Ok(round)
    }

    /// One round with its units, or `None`.
    pub async fn round(&self, id: &str) -> Result<Option<Round>> {
        let Some(r) = sqlx::query("SELECT * FROM assessment_rounds WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading round {id}"))?
        else {
            return Ok(None);
        };
        let units: Vec<String> = sqlx::query_scalar(
            "SELECT unit FROM assessment_units WHERE round_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("reading the units of round {id}"))?;
        round_from_row(&r, units).map(Some)
    }

    /// Every round, newest year first.
    pub async fn rounds(&self) -> Result<Vec<RoundSummary>> {
        let rows = sqlx::query(
            "SELECT r.*, e.name AS edition_name, e.level AS edition_level FROM assessment_rounds r \
             JOIN editions e ON e.id = r.edition_id ORDER BY r.year DESC, r.name_folded, r.id",
        )
        .fetch_all(&self.pool)
        .await
        .ctx(|| "listing rounds".into())?;
        let links = sqlx::query("SELECT round_id, unit FROM assessment_units ORDER BY position")
            .fetch_all(&self.pool)
            .await
            .ctx(|| "listing round units".into())?;
        let mut units: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in &links {
            units
                .entry(get(l, "round_id")?)
                .or_default()
                .push(get(l, "unit")?);
        }
        rows.iter()
            .map(|r| {
                let id: String = get(r, "id")?;
                let level: String = get(r, "edition_level")?;
                Ok(RoundSummary {
                    round: round_from_row(r, units.remove(&id).unwrap_or_default())?,
                    edition_name: get(r, "edition_name")?,
                    level: Level::parse(&level)
                        .ok_or_else(|| StoreError::Corrupt(format!("level '{level}'")))?,
                })
            })
            .collect()
    }

    pub(super) async fn open_round(&self, id: &str) -> Result<Round> {
        let round = self
            .round(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("round '{id}'")))?;
        if round.is_published() {
            return Err(lock("round", LockError::Frozen));
        }
        Ok(round)
    }

    /// Change a round's deadlines (before publication).
    pub async fn set_deadlines(&self, id: &str, d: &Deadlines, actor: &str) -> Result<()> {
        let round = self.open_round(id).await?;
        Refusals(
            d.problems()
                .into_iter()
                .map(|o| {
                    Refusal::new(
                        format!("deadline.{}", o.stage),
                        RefusalKind::Round(RoundProblem::Order(o)),
                    )
                })
                .collect(),
        )
        .check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query(
            "UPDATE assessment_rounds SET self_scoring_due = $1, explanation_due = $2, appraisal1_due = $3, \
             appraisal2_due = $4, publication_due = $5 WHERE id = $6 AND published_on IS NULL",
        )
        .bind(d.self_scoring.to_string())
        .bind(d.explanation.to_string())
        .bind(d.appraisal1.to_string())
        .bind(d.appraisal2.to_string())
        .bind(d.publication.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await
        .ctx(|| format!("changing the deadlines of {id}"))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "deadlines",
                entity: "assessment_round",
                entity_id: id,
                unit: None,
                before: serde_json::to_value(round.deadlines).ok(),
                after: serde_json::to_value(d).ok(),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing deadlines".into())?;
        Ok(())
    }

    /// Reopen a stage for one unit until a later day, with a reason. Reopening self-scoring
    /// also takes back the unit's submission, so that it can change its scores again.
    #[allow(clippy::too_many_arguments)]
    pub async fn reopen_stage(
        &self,
        id: &str,
        unit: &str,
        stage: Stage,
        until: Date,
        reason: &str,
        today: Date,
        actor: &str,
    ) -> Result<()> {
        let round = self.open_round(id).await?;
        let reason = nfc(reason);
        let mut problems = Refusals::new();
        if !round.units.iter().any(|u| u == unit) {
            problems.push(
                "unit",
                RefusalKind::NotAssessed {
                    unit: unit.to_string(),
                },
            );
        }
        if !stage.reopenable() {
            problems.push("stage", RefusalKind::NotReopenable);
        }
        if until < today {
            problems.push("until", RefusalKind::Past { date: until, today });
        }
        if until <= round.deadlines.get(stage) {
            problems.push(
                "until",
                RefusalKind::NotAfter {
                    date: until,
                    bound: round.deadlines.get(stage),
                },
            );
        }
        if reason.is_empty() {
            problems.push("reason", RefusalKind::Required);
        }
        problems.extend(text_problem("reason".into(), &reason));
        problems.check()?;
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query(
            "INSERT INTO assessment_reopenings (round_id, unit, stage, open_until, reason, reopened_by, reopened_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(unit)
        .bind(stage.as_str())
        .bind(until.to_string())
        .bind(&reason)
        .bind(actor)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .ctx(|| format!("reopening {stage} for {unit}"))?;
        if stage == Stage::SelfScoring {
            sqlx::query(
                "UPDATE assessment_units SET submitted_on = NULL, submitted_by = NULL WHERE round_id = $1 AND unit = $2",
            )
            .bind(id)
            .bind(unit)
            .execute(&mut *tx)
            .await
            .ctx(|| "taking back a submission".into())?;
        }
        record(
            &mut tx,
            Change {
                actor,
                action: "reopen",
                entity: "assessment_round",
                entity_id: id,
                unit: Some(unit),
                before: Some(serde_json::json!({"stage": stage, "deadline": round.deadlines.get(stage).to_string()})),
                after: Some(serde_json::json!({"stage": stage, "until": until.to_string(), "reason": reason})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing a reopening".into())?;
        Ok(())
    }

    /// The reopenings of a round, oldest first.
    pub async fn reopenings(&self, id: &str) -> Result<Vec<Reopening>> {
        let rows =
            sqlx::query("SELECT * FROM assessment_reopenings WHERE round_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .ctx(|| format!("reading the reopenings of {id}"))?;
        rows.iter()
            .map(|r| {
                let stage: String = get(r, "stage")?;
                Ok(Reopening {
                    unit: get(r, "unit")?,
                    stage: Stage::parse(&stage)
                        .ok_or_else(|| StoreError::Corrupt(format!("stage '{stage}'")))?,
                    until: date(&get::<String>(r, "open_until")?, "open_until")?,
                    reason: get(r, "reason")?,
                    by: get(r, "reopened_by")?,
                    at: get(r, "reopened_at")?,
                })
            })
            .collect()
    }
}

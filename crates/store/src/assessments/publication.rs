//! Publication: what blocks it, the frozen snapshot, the rankings, corrections of a published
//! score, a unit's standings.

use super::*;

impl Store {
    /// Every unit of a round with its progress and totals so far (kept in memory until an
    /// assessment table changes: the round page and the appraisers' home read it).
    pub async fn round_overview(&self, id: &str) -> Result<Vec<UnitOverview>> {
        let key = crate::cache::MemoKey::new("round-overview").with(id);
        let all = self
            .memo(key, crate::Tables::REST, || self.load_round_overview(id))
            .await?;
        Ok((*all).clone())
    }

    async fn load_round_overview(&self, id: &str) -> Result<Vec<UnitOverview>> {
        let round = self
            .round(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("round '{id}'")))?;
        let mut out = Vec::new();
        for u in &round.units {
            let a = self.must_assessment(id, u).await?;
            let to_score = self_scored_leaves(&a.edition).len();
            let scored = to_score - unscored(&a.edition, &a.items).len();
            let finals = final_scores(&a.items);
            out.push(UnitOverview {
                to_score,
                scored,
                self_total: self_totals(&a.edition, &a.items).overall.achieved,
                appraised: a.items.values().filter(|i| i.appraisal1.is_some()).count(),
                missing_finals: missing_finals(&a.edition, &a.items).len(),
                disputes_open: a.items.values().filter(|i| i.awaits_round2()).count(),
                final_total: a.edition.totals(&finals).overall.achieved,
                max: a.edition.max_points,
                progress: a.progress,
                unit: a.unit,
            });
        }
        Ok(out)
    }

    /// What blocks publication: per unit, the items without a final score and the disputes
    /// round 2 has not settled.
    pub async fn publication_blockers(
        &self,
        id: &str,
    ) -> Result<Vec<(String, Vec<NodeCode>, Vec<NodeCode>)>> {
        let round = self
            .round(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("round '{id}'")))?;
        let mut out = Vec::new();
        for u in &round.units {
            let a = self.must_assessment(id, u).await?;
            let missing = missing_finals(&a.edition, &a.items);
            let disputes: Vec<NodeCode> = a
                .items
                .values()
                .filter(|i| i.awaits_round2())
                .map(|i| i.code.clone())
                .collect();
            if !missing.is_empty() || !disputes.is_empty() {
                out.push((u.clone(), missing, disputes));
            }
        }
        Ok(out)
    }

    /// Publish a round: every item has its final score and no dispute is pending. The criteria
    /// set and the final scores are frozen in a snapshot; nothing of the round changes after,
    /// except by a correction.
    pub async fn publish_round(&self, id: &str, today: Date, actor: &str) -> Result<()> {
        self.publish_round_by_decision(id, today, None, actor).await
    }

    /// [`Store::publish_round`] dated `on`, with the number of the decision that publishes the
    /// ranking (e.g. `15/QĐ-UBND`, at most 100 characters) kept in the audit record
    /// (`parindex assessment publish --decision … --date …`).
    pub async fn publish_round_by_decision(
        &self,
        id: &str,
        on: Date,
        decision: Option<&str>,
        actor: &str,
    ) -> Result<()> {
        let today = on;
        let decision = decision.map(nfc).map(|d| d.trim().to_string());
        if let Some(d) = &decision {
            let mut problems = Refusals::new();
            if d.is_empty() {
                problems.push("decision_ref", RefusalKind::Required);
            } else if d.chars().count() > 100 {
                problems.push("decision_ref", RefusalKind::TooLong { max: 100 });
            }
            problems.check()?;
        }
        let round = self.open_round(id).await?;
        let blockers = self.publication_blockers(id).await?;
        if !blockers.is_empty() {
            let codes = |cs: &[NodeCode]| cs.iter().map(|c| c.to_string()).collect();
            return Err(StoreError::Invalid(Refusals(
                blockers
                    .iter()
                    .map(|(u, missing, disputes)| {
                        Refusal::new(
                            format!("units[{u}]"),
                            RefusalKind::Incomplete {
                                not_appraised: codes(missing),
                                disputed: codes(disputes),
                            },
                        )
                    })
                    .collect(),
            )));
        }
        let edition = self
            .edition(&round.edition_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("edition '{}'", round.edition_id)))?;
        let mut unit_types = BTreeMap::new();
        let mut finals = BTreeMap::new();
        for u in &round.units {
            let a = self.must_assessment(id, u).await?;
            unit_types.insert(u.clone(), a.unit.unit_type);
            let leaf_codes: BTreeSet<String> = leaves(&a.edition)
                .iter()
                .map(|n| n.code.to_string())
                .collect();
            finals.insert(
                u.clone(),
                final_scores(&a.items)
                    .into_iter()
                    .map(|(c, s)| (c.to_string(), s))
                    .filter(|(c, _)| leaf_codes.contains(c))
                    .collect::<BTreeMap<String, Decimal>>(),
            );
        }
        let snapshot = Snapshot {
            edition,
            unit_types,
            finals,
        };
        let rows = rank_units(
            &snapshot.edition,
            &snapshot.unit_types,
            &corrected_finals(&snapshot, &[]),
            &round.classes,
            &BTreeMap::new(),
        );
        let json = serde_json::to_string(&snapshot)
            .map_err(|e| StoreError::Encode(format!("the snapshot of {id}: {e}")))?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let n = sqlx::query(
            "UPDATE assessment_rounds SET published_on = $1, published_by = $2, snapshot_json = $3 \
             WHERE id = $4 AND published_on IS NULL",
        )
        .bind(today.to_string())
        .bind(actor)
        .bind(json)
        .bind(id)
        .execute(&mut *tx)
        .await
        .ctx(|| format!("publishing {id}"))?
        .rows_affected();
        if n == 0 {
            return Err(lock("publish", LockError::Frozen));
        }
        let summary: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::json!({"unit": r.unit, "total": r.total, "pct": r.pct, "rank": r.rank}))
            .collect();
        record(
            &mut tx,
            Change {
                actor,
                action: "publish",
                entity: "assessment_round",
                entity_id: id,
                unit: None,
                before: None,
                after: Some(match &decision {
                    None => {
                        serde_json::json!({"published_on": today.to_string(), "ranking": summary})
                    }
                    Some(d) => serde_json::json!({"published_on": today.to_string(),
                        "decision": d, "ranking": summary}),
                }),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| "committing a publication".into())?;
        Ok(())
    }

    pub(super) async fn published_snapshot(&self, id: &str) -> Result<Option<Snapshot>> {
        let json: Option<Option<String>> =
            sqlx::query_scalar("SELECT snapshot_json FROM assessment_rounds WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .ctx(|| format!("reading the snapshot of {id}"))?;
        json.flatten()
            .map(|s| {
                serde_json::from_str(&s)
                    .map_err(|e| StoreError::Corrupt(format!("snapshot of {id}: {e}")))
            })
            .transpose()
    }

    /// The corrections of a published round, oldest first.
    pub async fn corrections(&self, id: &str) -> Result<Vec<Correction>> {
        let rows =
            sqlx::query("SELECT * FROM assessment_corrections WHERE round_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .ctx(|| format!("reading the corrections of {id}"))?;
        rows.iter().map(correction_from_row).collect()
    }

    pub(super) async fn rows_of(
        &self,
        round: &Round,
        previous: &BTreeMap<String, PreviousStanding>,
    ) -> Result<Option<(Snapshot, Vec<Correction>, Vec<RankingRow>)>> {
        let Some(snapshot) = self.published_snapshot(&round.id).await? else {
            return Ok(None);
        };
        let corrections = self.corrections(&round.id).await?;
        let rows = rank_units(
            &snapshot.edition,
            &snapshot.unit_types,
            &corrected_finals(&snapshot, &corrections),
            &round.classes,
            previous,
        );
        Ok(Some((snapshot, corrections, rows)))
    }

    /// The previous year's standings of the units of a round: published rounds of the same
    /// level a year earlier.
    pub(super) async fn previous_standings(
        &self,
        round: &Round,
        level: Level,
    ) -> Result<(BTreeMap<String, PreviousStanding>, Vec<(String, String)>)> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT r.id FROM assessment_rounds r JOIN editions e ON e.id = r.edition_id \
             WHERE r.published_on IS NOT NULL AND r.year = $1 AND e.level = $2 ORDER BY r.id",
        )
        .bind(i64::from(round.year - 1))
        .bind(level.as_str())
        .fetch_all(&self.pool)
        .await
        .ctx(|| "finding last year's rounds".into())?;
        let mut out = BTreeMap::new();
        let mut used = Vec::new();
        for id in ids {
            let Some(prev) = self.round(&id).await? else {
                continue;
            };
            if !prev.units.iter().any(|u| round.units.contains(u)) {
                continue;
            }
            let Some((_, _, rows)) = self.rows_of(&prev, &BTreeMap::new()).await? else {
                continue;
            };
            for r in rows {
                out.entry(r.unit.clone()).or_insert(PreviousStanding {
                    round_id: prev.id.clone(),
                    year: prev.year,
                    total: r.total,
                    pct: r.pct,
                    rank: r.rank,
                });
            }
            used.push((prev.id.clone(), prev.name.clone()));
        }
        Ok((out, used))
    }

    /// The published ranking of a round (corrections applied, changes since last year);
    /// `None` when the round is unknown or not published.
    pub async fn ranking(&self, id: &str) -> Result<Option<RoundRanking>> {
        let Some(round) = self.round(id).await? else {
            return Ok(None);
        };
        let Some(snapshot) = self.published_snapshot(id).await? else {
            return Ok(None);
        };
        let (previous, used) = self
            .previous_standings(&round, snapshot.edition.level)
            .await?;
        let Some((snapshot, corrections, rows)) = self.rows_of(&round, &previous).await? else {
            return Ok(None);
        };
        let units = self.unit_map(&round.units).await?;
        Ok(Some(RoundRanking {
            edition: snapshot.edition,
            round,
            rows,
            corrections,
            previous: used,
            units,
        }))
    }

    /// The ranking as it would be published now (items without a final score count as zero).
    pub async fn provisional_ranking(&self, id: &str) -> Result<Option<RoundRanking>> {
        let Some(round) = self.round(id).await? else {
            return Ok(None);
        };
        let edition = self
            .edition(&round.edition_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("edition '{}'", round.edition_id)))?;
        let mut types = BTreeMap::new();
        let mut finals = BTreeMap::new();
        for u in &round.units {
            let a = self.must_assessment(id, u).await?;
            types.insert(u.clone(), a.unit.unit_type);
            finals.insert(u.clone(), final_scores(&a.items));
        }
        let (previous, used) = self.previous_standings(&round, edition.level).await?;
        let rows = rank_units(&edition, &types, &finals, &round.classes, &previous);
        let units = self.unit_map(&round.units).await?;
        Ok(Some(RoundRanking {
            edition,
            round,
            rows,
            corrections: Vec::new(),
            previous: used,
            units,
        }))
    }

    pub(super) async fn unit_map(&self, slugs: &[String]) -> Result<BTreeMap<String, Unit>> {
        let mut out = BTreeMap::new();
        for s in slugs {
            if let Some(u) = self.unit(s).await? {
                out.insert(s.clone(), u);
            }
        }
        Ok(out)
    }

    /// Correct a published score: a new decision (its reference, date and reason) recorded over
    /// the frozen result; the ranking is recomputed with it.
    #[allow(clippy::too_many_arguments)]
    pub async fn correct_score(
        &self,
        id: &str,
        unit: &str,
        code: &NodeCode,
        new_score: Decimal,
        reason: &str,
        decision_ref: &str,
        decided_on: Date,
        actor: &str,
    ) -> Result<Correction> {
        self.round(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("round '{id}'")))?;
        let Some(snapshot) = self.published_snapshot(id).await? else {
            return refuse("round", RefusalKind::NotPublished);
        };
        let reason = nfc(reason);
        let decision_ref = nfc(decision_ref);
        let mut problems = Refusals::new();
        let Some(t) = snapshot.unit_types.get(unit) else {
            return refuse(
                "unit",
                RefusalKind::NotAssessed {
                    unit: unit.to_string(),
                },
            );
        };
        let scoped = scoped_edition(&snapshot.edition, *t);
        let leaf = leaves(&scoped)
            .into_iter()
            .find(|n| &n.code == code)
            .cloned();
        match &leaf {
            None => problems.push("code", not_scored(code, unit)),
            Some(n) => {
                if let Err(e) = check_appraised(n, new_score) {
                    problems.push("score", RefusalKind::Item(e));
                }
            }
        }
        if reason.is_empty() {
            problems.push("reason", RefusalKind::Required);
        }
        problems.extend(text_problem("reason".into(), &reason));
        if decision_ref.is_empty() {
            problems.push("decision_ref", RefusalKind::Required);
        } else if decision_ref.chars().count() > 100 {
            problems.push("decision_ref", RefusalKind::TooLong { max: 100 });
        }
        let corrections = self.corrections(id).await?;
        let current = corrected_finals(&snapshot, &corrections)
            .get(unit)
            .and_then(|m| m.get(code))
            .copied()
            .unwrap_or(Decimal::ZERO);
        if problems.is_empty() && current == new_score {
            problems.push("score", RefusalKind::Unchanged { points: new_score });
        }
        problems.check()?;
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let cid: i64 = sqlx::query_scalar(
            "INSERT INTO assessment_corrections (round_id, unit, code, old_score, new_score, reason, decision_ref, decided_on, corrected_by, corrected_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(id)
        .bind(unit)
        .bind(code.to_string())
        .bind(current.to_string())
        .bind(new_score.to_string())
        .bind(&reason)
        .bind(&decision_ref)
        .bind(decided_on.to_string())
        .bind(actor)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .ctx(|| format!("correcting {code} of {unit}"))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "correct",
                entity: "assessment_item",
                entity_id: &format!("{id}/{unit}/{code}"),
                unit: Some(unit),
                before: Some(serde_json::json!({"final": current})),
                after: Some(
                    serde_json::json!({"final": new_score, "decision": decision_ref,
                    "decided_on": decided_on.to_string(), "reason": reason}),
                ),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing a correction".into())?;
        Ok(Correction {
            id: cid,
            unit: unit.to_string(),
            code: code.clone(),
            old_score: current,
            new_score,
            reason,
            decision_ref,
            decided_on,
            by: actor.to_string(),
            at: now,
        })
    }

    /// A unit's places in every published ranking, newest first: what feeds the yearly
    /// evaluation of its head of agency.
    pub async fn standings(&self, unit: &str) -> Result<Vec<Standing>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT r.id FROM assessment_rounds r JOIN assessment_units u ON u.round_id = r.id \
             WHERE u.unit = $1 AND r.published_on IS NOT NULL ORDER BY r.year DESC, r.id",
        )
        .bind(unit)
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("finding the rankings of {unit}"))?;
        let mut out = Vec::new();
        for id in ids {
            let Some(rk) = self.ranking(&id).await? else {
                continue;
            };
            if let Some(r) = rk.rows.iter().find(|r| r.unit == unit) {
                out.push(Standing {
                    round_id: rk.round.id.clone(),
                    round_name: rk.round.name.clone(),
                    year: rk.round.year,
                    sample: rk.round.sample,
                    total: r.total,
                    max: r.max,
                    pct: r.pct,
                    rank: r.rank,
                    of: rk.rows.len(),
                    class_vi: r.class.as_ref().map(|(_, c)| c.label_vi.clone()),
                });
            }
        }
        Ok(out)
    }
}

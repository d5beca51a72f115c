//! A unit's items: self-scores, notes and explanations, the submission, the two appraisal rounds
//! and disputes.

use super::*;

impl Store {
    pub(super) async fn progress(&self, round: &str, unit: &str) -> Result<UnitProgress> {
        let r = sqlx::query(
            "SELECT submitted_on, submitted_by FROM assessment_units WHERE round_id = $1 AND unit = $2",
        )
        .bind(round)
        .bind(unit)
        .fetch_optional(&self.pool)
        .await
        .ctx(|| format!("reading the progress of {unit}"))?;
        match r {
            None => Ok(UnitProgress::default()),
            Some(r) => Ok(UnitProgress {
                submitted_on: opt_date(get(&r, "submitted_on")?, "submitted_on")?,
                submitted_by: get(&r, "submitted_by")?,
            }),
        }
    }

    /// The items of one unit in a round, with their evidence counts.
    pub async fn items(&self, round: &str, unit: &str) -> Result<BTreeMap<NodeCode, Item>> {
        let rows = sqlx::query("SELECT * FROM assessment_items WHERE round_id = $1 AND unit = $2")
            .bind(round)
            .bind(unit)
            .fetch_all(&self.pool)
            .await
            .ctx(|| format!("reading the items of {unit}"))?;
        let mut items: BTreeMap<NodeCode, Item> = rows
            .iter()
            .map(|r| item_from_row(r).map(|i| (i.code.clone(), i)))
            .collect::<Result<_>>()?;
        let counts = sqlx::query(
            "SELECT code, COUNT(*) AS n FROM evidence_links WHERE round_id = $1 AND unit = $2 GROUP BY code",
        )
        .bind(round)
        .bind(unit)
        .fetch_all(&self.pool)
        .await
        .ctx(|| "counting evidence".into())?;
        for r in &counts {
            let code: String = get(r, "code")?;
            let n: i64 = get(r, "n")?;
            if let Ok(code) = NodeCode::parse(&code) {
                items
                    .entry(code.clone())
                    .or_insert_with(|| Item::new(code))
                    .evidence = usize::try_from(n).unwrap_or(0);
            }
        }
        Ok(items)
    }

    /// One unit's assessment in a round; `None` when the round is unknown or does not assess it.
    pub async fn assessment(&self, round_id: &str, unit: &str) -> Result<Option<UnitAssessment>> {
        let Some(round) = self.round(round_id).await? else {
            return Ok(None);
        };
        if !round.units.iter().any(|u| u == unit) {
            return Ok(None);
        }
        let Some(u) = self.unit(unit).await? else {
            return Ok(None);
        };
        let edition = match self.published_snapshot(round_id).await? {
            Some(s) => s.edition,
            None => self
                .edition(&round.edition_id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("edition '{}'", round.edition_id)))?,
        };
        let edition = scoped_edition(&edition, u.unit_type);
        let reopenings = self
            .reopenings(round_id)
            .await?
            .into_iter()
            .filter(|r| r.unit == unit)
            .collect();
        Ok(Some(UnitAssessment {
            items: self.items(round_id, unit).await?,
            progress: self.progress(round_id, unit).await?,
            evidence: self.item_evidence(round_id, unit).await?,
            round,
            unit: u,
            edition,
            reopenings,
        }))
    }

    pub(super) async fn must_assessment(&self, round: &str, unit: &str) -> Result<UnitAssessment> {
        self.assessment(round, unit)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("the assessment of {unit} in '{round}'")))
    }

    /// Whether evidence of an item may change today: the item is a criterion of the unit and
    /// the unit may still explain (self-scoring or explanation stage open).
    pub async fn check_evidence_change(&self, item: ItemRef<'_>, today: Date) -> Result<()> {
        let a = self.must_assessment(item.round, item.unit).await?;
        if !leaves(&a.edition).iter().any(|n| &n.code == item.code) {
            return refuse(
                "code",
                RefusalKind::NotScored {
                    code: item.code.to_string(),
                    unit: item.unit.to_string(),
                },
            );
        }
        may_explain(&a.round, &a.reopenings, &a.progress, item.unit, today)
            .map_err(|e| lock("evidence", e))
    }

    /// Save a unit's declared figures, self-scores, notes and explanations: all checked first
    /// (every problem at once, nothing saved on any), then one transaction with an audit record
    /// per changed item. Figures need self-scoring open; notes and explanations also go on
    /// during the explanation stage. Returns the number of items changed.
    pub async fn save_self_assessment(
        &self,
        round: &str,
        unit: &str,
        changes: &[ItemChange],
        today: Date,
        actor: &str,
    ) -> Result<usize> {
        let a = self.must_assessment(round, unit).await?;
        let scoring = may_self_score(&a.round, &a.reopenings, &a.progress, unit, today);
        let explaining = may_explain(&a.round, &a.reopenings, &a.progress, unit, today);
        let leaf_codes: BTreeSet<&NodeCode> = leaves(&a.edition).iter().map(|n| &n.code).collect();
        let mut problems = Refusals::new();
        let mut writes: Vec<(Item, Option<Item>)> = Vec::new();
        for c in changes {
            let field = |f: &str| format!("items[{}].{f}", c.code);
            let Some(node) = a
                .edition
                .node(&c.code)
                .filter(|_| leaf_codes.contains(&c.code))
            else {
                problems.push(format!("items[{}]", c.code), not_scored(&c.code, unit));
                continue;
            };
            let old = a.items.get(&c.code);
            let note = nfc(&c.note);
            let explanation = nfc(&c.explanation);
            let old_input = old.and_then(|i| i.input.clone());
            let input_changed = old_input != c.input;
            let text_changed = old.map(|i| i.note.as_str()).unwrap_or("") != note
                || old.map(|i| i.explanation.as_str()).unwrap_or("") != explanation;
            if !input_changed && !text_changed {
                continue;
            }
            let mut new = old.cloned().unwrap_or_else(|| Item::new(c.code.clone()));
            if input_changed {
                if let Err(e) = &scoring {
                    problems.push(field("input"), RefusalKind::Locked(e.clone()));
                    continue;
                }
                new.self_score = match &c.input {
                    None => None,
                    Some(i) => match self_score(node, i) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            problems.push(field("input"), RefusalKind::Item(e));
                            continue;
                        }
                    },
                };
                new.input = c.input.clone();
            }
            if text_changed {
                if let Err(e) = &explaining {
                    problems.push(field("explanation"), RefusalKind::Locked(e.clone()));
                    continue;
                }
                problems.extend(text_problem(field("note"), &note));
                problems.extend(text_problem(field("explanation"), &explanation));
                new.note = note;
                new.explanation = explanation;
            }
            writes.push((new, old.cloned()));
        }
        problems.check()?;
        if writes.is_empty() {
            return Ok(0);
        }
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        ensure_unpublished(&mut tx, round).await?;
        for (item, before) in &writes {
            let input = item
                .input
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Encode(format!("the input of {}: {e}", item.code)))?;
            sqlx::query(
                "INSERT INTO assessment_items (round_id, unit, code, input_json, self_score, note, explanation, self_by, self_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (round_id, unit, code) DO UPDATE SET \
                 input_json = excluded.input_json, self_score = excluded.self_score, note = excluded.note, \
                 explanation = excluded.explanation, self_by = excluded.self_by, self_at = excluded.self_at",
            )
            .bind(round)
            .bind(unit)
            .bind(item.code.to_string())
            .bind(input)
            .bind(item.self_score.map(|s| s.to_string()))
            .bind(&item.note)
            .bind(&item.explanation)
            .bind(actor)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving item {}", item.code))?;
            record(
                &mut tx,
                Change {
                    actor,
                    action: "self_assess",
                    entity: "assessment_item",
                    entity_id: &format!("{round}/{unit}/{}", item.code),
                    unit: Some(unit),
                    before: item_json(before.as_ref()),
                    after: item_json(Some(item)),
                },
            )
            .await?;
        }
        tx.commit()
            .await
            .ctx(|| "committing a self-assessment".into())?;
        Ok(writes.len())
    }

    /// Submit a unit's self-assessment: every item scored (survey and bonus/penalty items
    /// excepted) and explained where required evidence is missing. The scores no longer change
    /// unless the coordinator reopens self-scoring.
    pub async fn submit_self_assessment(
        &self,
        round: &str,
        unit: &str,
        today: Date,
        actor: &str,
    ) -> Result<()> {
        let a = self.must_assessment(round, unit).await?;
        may_self_score(&a.round, &a.reopenings, &a.progress, unit, today)
            .map_err(|e| lock("submit", e))?;
        Refusals(
            submission_problems(&a.edition, &a.items)
                .into_iter()
                .map(|(c, p)| Refusal::new(format!("items[{c}]"), RefusalKind::NotReady(p)))
                .collect(),
        )
        .check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        ensure_unpublished(&mut tx, round).await?;
        sqlx::query(
            "UPDATE assessment_units SET submitted_on = $1, submitted_by = $2 WHERE round_id = $3 AND unit = $4",
        )
        .bind(today.to_string())
        .bind(actor)
        .bind(round)
        .bind(unit)
        .execute(&mut *tx)
        .await
        .ctx(|| format!("submitting {unit}"))?;
        let totals = self_totals(&a.edition, &a.items);
        record(
            &mut tx,
            Change {
                actor,
                action: "submit",
                entity: "assessment_round",
                entity_id: round,
                unit: Some(unit),
                before: None,
                after: Some(serde_json::json!({"submitted_on": today.to_string(), "self_total": totals.overall.achieved})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing a submission".into())?;
        Ok(())
    }

    /// Set appraised scores with comments in round 1 or 2 (round 2: disputed items only).
    /// Checked first (every problem at once), then one transaction, audited per item.
    pub async fn save_appraisal(
        &self,
        round: &str,
        unit: &str,
        appraisal_round: u8,
        changes: &[AppraisalChange],
        today: Date,
        actor: &str,
    ) -> Result<usize> {
        self.save_appraisals(round, unit, &[(appraisal_round, changes)], today, actor)
            .await
    }

    /// Set appraised scores of one unit in several appraisal rounds at once (the appraisal
    /// form sends round 1 and round 2 together): every round checked first (every problem at
    /// once), then **one** transaction for all of them, audited per item and round, so that a
    /// refusal or a failure in any part leaves nothing saved. A round-2 change of an item also
    /// changed in round 1 is audited against the item as round 1 left it.
    pub async fn save_appraisals(
        &self,
        round: &str,
        unit: &str,
        rounds: &[(u8, &[AppraisalChange])],
        today: Date,
        actor: &str,
    ) -> Result<usize> {
        if rounds.iter().any(|(r, _)| !(1..=2).contains(r)) {
            return refuse("round", RefusalKind::OutOfRange { min: 1, max: 2 });
        }
        let a = self.must_assessment(round, unit).await?;
        let leaf_codes: BTreeSet<&NodeCode> = leaves(&a.edition).iter().map(|n| &n.code).collect();
        let mut items = a.items.clone();
        let mut problems = Refusals::new();
        let mut writes: Vec<(u8, Item, Option<Item>)> = Vec::new();
        for &(appraisal_round, changes) in rounds {
            may_appraise(
                &a.round,
                &a.reopenings,
                &a.progress,
                unit,
                appraisal_round,
                today,
            )
            .map_err(|e| lock("appraisal", e))?;
            for c in changes {
                let field = format!("items[{}]", c.code);
                let Some(node) = a
                    .edition
                    .node(&c.code)
                    .filter(|_| leaf_codes.contains(&c.code))
                else {
                    problems.push(field, not_scored(&c.code, unit));
                    continue;
                };
                if let Err(e) = check_appraised(node, c.score) {
                    problems.push(format!("{field}.score"), RefusalKind::Item(e));
                    continue;
                }
                let comment = nfc(&c.comment);
                problems.extend(text_problem(format!("{field}.comment"), &comment));
                let old = items.get(&c.code);
                let mut new = old.cloned().unwrap_or_else(|| Item::new(c.code.clone()));
                let slot = if appraisal_round == 1 {
                    &mut new.appraisal1
                } else {
                    if old.and_then(|i| i.dispute.as_ref()).is_none() {
                        problems.push(field, RefusalKind::NotDisputed);
                        continue;
                    }
                    &mut new.appraisal2
                };
                if slot
                    .as_ref()
                    .is_some_and(|s| s.score == c.score && s.comment == comment)
                {
                    continue;
                }
                *slot = Some(Appraisal {
                    score: c.score,
                    comment,
                    by: actor.to_string(),
                    at: String::new(),
                });
                let before = items.insert(c.code.clone(), new.clone());
                writes.push((appraisal_round, new, before));
            }
        }
        problems.check()?;
        if writes.is_empty() {
            return Ok(0);
        }
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        ensure_unpublished(&mut tx, round).await?;
        for (n, item, before) in &writes {
            let ap = if *n == 1 {
                &item.appraisal1
            } else {
                &item.appraisal2
            };
            let Some(ap) = ap else { continue };
            sqlx::query(&format!(
                "INSERT INTO assessment_items (round_id, unit, code, appraisal{n}, comment{n}, appraisal{n}_by, appraisal{n}_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (round_id, unit, code) DO UPDATE SET \
                 appraisal{n} = excluded.appraisal{n}, comment{n} = excluded.comment{n}, \
                 appraisal{n}_by = excluded.appraisal{n}_by, appraisal{n}_at = excluded.appraisal{n}_at"
            ))
            .bind(round)
            .bind(unit)
            .bind(item.code.to_string())
            .bind(ap.score.to_string())
            .bind(&ap.comment)
            .bind(actor)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("appraising item {} (round {n})", item.code))?;
            record(
                &mut tx,
                Change {
                    actor,
                    action: if *n == 1 {
                        "appraise"
                    } else {
                        "appraise_round2"
                    },
                    entity: "assessment_item",
                    entity_id: &format!("{round}/{unit}/{}", item.code),
                    unit: Some(unit),
                    before: item_json(before.as_ref()),
                    after: item_json(Some(item)),
                },
            )
            .await?;
        }
        tx.commit().await.ctx(|| "committing an appraisal".into())?;
        Ok(writes.len())
    }

    /// A unit disputes a round-1 score (while round 2 is open), with its reason.
    pub async fn dispute_item(
        &self,
        round: &str,
        unit: &str,
        code: &NodeCode,
        reason: &str,
        today: Date,
        actor: &str,
    ) -> Result<()> {
        let a = self.must_assessment(round, unit).await?;
        may_dispute(&a.round, &a.reopenings, unit, today).map_err(|e| lock("dispute", e))?;
        let reason = nfc(reason);
        let item = a.items.get(code);
        let mut problems = Refusals::new();
        if item.and_then(|i| i.appraisal1.as_ref()).is_none() {
            problems.push(format!("items[{code}]"), RefusalKind::NothingToDispute);
        }
        if item.and_then(|i| i.appraisal2.as_ref()).is_some() {
            problems.push(format!("items[{code}]"), RefusalKind::Settled);
        }
        if reason.is_empty() {
            problems.push(format!("items[{code}].reason"), RefusalKind::Required);
        }
        problems.extend(text_problem(format!("items[{code}].reason"), &reason));
        problems.check()?;
        let now = now_text();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        ensure_unpublished(&mut tx, round).await?;
        sqlx::query(
            "UPDATE assessment_items SET dispute = $1, disputed_by = $2, disputed_at = $3 \
             WHERE round_id = $4 AND unit = $5 AND code = $6",
        )
        .bind(&reason)
        .bind(actor)
        .bind(&now)
        .bind(round)
        .bind(unit)
        .bind(code.to_string())
        .execute(&mut *tx)
        .await
        .ctx(|| format!("disputing {code}"))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "dispute",
                entity: "assessment_item",
                entity_id: &format!("{round}/{unit}/{code}"),
                unit: Some(unit),
                before: item_json(item),
                after: Some(serde_json::json!({"dispute": reason})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing a dispute".into())?;
        Ok(())
    }
}

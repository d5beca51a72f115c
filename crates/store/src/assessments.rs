//! Assessment rounds: units' self-assessments, appraisal in two rounds, publication (a frozen
//! snapshot), corrections after publication, the provincial ranking, and carrying a round over
//! to next year. The rules are the domain's (`parindex_domain::assessment`); every change checks
//! them against "today" as the caller's clock gives it, runs in one transaction and is audited.

use crate::audit::{record, Change};
use crate::db::{dec, get, now_text, opt_dec, Store};
use crate::error::{Context, StoreError};
use crate::evidence::{Evidence, ItemRef};
use crate::Result;
use jiff::civil::Date;
use parindex_domain::assessment::{
    check_appraised, corrected_finals, crosswalk, final_scores, is_adjustment, leaves,
    may_appraise, may_dispute, may_explain, may_self_score, missing_finals, next_year_edition,
    rank_units, scoped_edition, self_score, self_totals, submission_problems, Appraisal,
    ClassBands, Correction, Crosswalk, Deadlines, Dispute, Item, LockError, PreviousStanding,
    RankingRow, Reopening, Round, Snapshot, Stage, UnitProgress,
};
use parindex_domain::edition::{Edition, Level, NodeCode};
use parindex_domain::rules::ScoreInput;
use parindex_domain::text::{fold, nfc};
use parindex_domain::units::{Unit, UnitType};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};

/// Longest note, explanation, reason or comment.
pub const TEXT_LIMIT: usize = 5000;

/// A round to create.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub id: String,
    pub name: String,
    pub edition_id: String,
    pub units: Vec<String>,
    pub deadlines: Deadlines,
    pub classes: ClassBands,
    pub note: String,
}

/// A line of the rounds list.
#[derive(Debug, Clone, Serialize)]
pub struct RoundSummary {
    pub round: Round,
    pub edition_name: String,
    pub level: Level,
}

/// One unit's self-assessment in a round, with everything the pages show.
#[derive(Debug, Clone, Serialize)]
pub struct UnitAssessment {
    pub round: Round,
    pub unit: Unit,
    /// The criteria set as it applies to this unit.
    pub edition: Edition,
    pub items: BTreeMap<NodeCode, Item>,
    pub progress: UnitProgress,
    /// Reopenings for this unit.
    pub reopenings: Vec<Reopening>,
    /// Evidence by item code.
    pub evidence: BTreeMap<String, Vec<Evidence>>,
}

/// A change to one item's self-assessment: the declared figure (`None` clears it), the note
/// and the explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    pub code: NodeCode,
    pub input: Option<ScoreInput>,
    pub note: String,
    pub explanation: String,
}

/// An appraised score for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppraisalChange {
    pub code: NodeCode,
    pub score: Decimal,
    pub comment: String,
}

/// Where one unit stands in a round (the round page).
#[derive(Debug, Clone, Serialize)]
pub struct UnitOverview {
    pub unit: Unit,
    pub progress: UnitProgress,
    /// Leaves the unit self-scores (survey and bonus/penalty items excepted) and how many are scored.
    pub to_score: usize,
    pub scored: usize,
    pub self_total: Decimal,
    pub appraised: usize,
    pub missing_finals: usize,
    pub disputes_open: usize,
    pub final_total: Decimal,
    pub max: Decimal,
}

/// A published (or provisional) ranking.
#[derive(Debug, Clone, Serialize)]
pub struct RoundRanking {
    pub round: Round,
    pub edition: Edition,
    pub rows: Vec<RankingRow>,
    pub corrections: Vec<Correction>,
    /// The previous year's rounds the changes are measured against: (id, name).
    pub previous: Vec<(String, String)>,
    pub units: BTreeMap<String, Unit>,
}

/// A unit's place in one published ranking (for the head of agency's yearly evaluation).
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub round_id: String,
    pub round_name: String,
    pub year: i32,
    pub sample: bool,
    pub total: Decimal,
    pub max: Decimal,
    pub pct: Decimal,
    pub rank: u32,
    pub of: usize,
    pub class_vi: Option<String>,
}

/// Next year's criteria set for a carried-over round.
#[derive(Debug, Clone)]
pub enum NextEdition {
    /// An edition already loaded (e.g. the new official criteria).
    Existing(String),
    /// A copy of this round's criteria set under a new id, a year later.
    Copy(String),
}

/// Carry a round over to next year.
#[derive(Debug, Clone)]
pub struct NextYear {
    pub round_id: String,
    pub name: String,
    pub edition: NextEdition,
    pub deadlines: Deadlines,
    /// Renamed or merged criteria: old code → new code. Others carry over by the same code.
    pub crosswalk: BTreeMap<NodeCode, NodeCode>,
    /// Link last year's evidence to the mapped items.
    pub carry_evidence: bool,
}

fn invalid(problems: Vec<String>) -> StoreError {
    StoreError::Invalid(problems.join("; "))
}

fn date(s: &str, what: &str) -> Result<Date> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what}: '{s}' is not a date")))
}

fn opt_date(s: Option<String>, what: &str) -> Result<Option<Date>> {
    s.map(|v| date(&v, what)).transpose()
}

fn text_problem(field: String, s: &str) -> Option<String> {
    (s.chars().count() > TEXT_LIMIT).then(|| format!("{field}: at most {TEXT_LIMIT} characters"))
}

fn lock(field: &str, e: LockError) -> String {
    format!("{field}: {e}")
}

/// The unit types an edition of this level assesses.
pub fn level_fits(level: Level, t: UnitType) -> bool {
    match level {
        Level::Province => t == UnitType::Province,
        Level::Department => matches!(t, UnitType::Department | UnitType::Other),
        Level::District => t == UnitType::District,
        Level::Commune => t == UnitType::Commune,
    }
}

fn round_from_row(r: &AnyRow, units: Vec<String>) -> Result<Round> {
    let classes: String = get(r, "classes_json")?;
    let d = |c: &str| -> Result<Date> { date(&get::<String>(r, c)?, c) };
    Ok(Round {
        id: get(r, "id")?,
        name: get(r, "name")?,
        edition_id: get(r, "edition_id")?,
        year: i32::try_from(get::<i64>(r, "year")?)
            .map_err(|_| StoreError::Corrupt("round year".into()))?,
        units,
        deadlines: Deadlines {
            self_scoring: d("self_scoring_due")?,
            explanation: d("explanation_due")?,
            appraisal1: d("appraisal1_due")?,
            appraisal2: d("appraisal2_due")?,
            publication: d("publication_due")?,
        },
        classes: serde_json::from_str(&classes)
            .map_err(|e| StoreError::Corrupt(format!("round classes: {e}")))?,
        sample: get::<i64>(r, "sample")? != 0,
        published_on: opt_date(get(r, "published_on")?, "published_on")?,
        published_by: get(r, "published_by")?,
        source_round: get(r, "source_round")?,
        note: get(r, "note")?,
    })
}

fn appraisal(r: &AnyRow, n: u8) -> Result<Option<Appraisal>> {
    let score: Option<String> = get(r, &format!("appraisal{n}"))?;
    let Some(score) = score else { return Ok(None) };
    Ok(Some(Appraisal {
        score: dec(&score, "appraised score")?,
        comment: get(r, &format!("comment{n}"))?,
        by: get::<Option<String>>(r, &format!("appraisal{n}_by"))?.unwrap_or_default(),
        at: get::<Option<String>>(r, &format!("appraisal{n}_at"))?.unwrap_or_default(),
    }))
}

fn item_from_row(r: &AnyRow) -> Result<Item> {
    let code: String = get(r, "code")?;
    let code = NodeCode::parse(&code).map_err(StoreError::Corrupt)?;
    let input: Option<String> = get(r, "input_json")?;
    let dispute: Option<String> = get(r, "dispute")?;
    Ok(Item {
        input: input
            .map(|s| {
                serde_json::from_str(&s)
                    .map_err(|e| StoreError::Corrupt(format!("input of {code}: {e}")))
            })
            .transpose()?,
        self_score: opt_dec(get(r, "self_score")?, "self score")?,
        note: get(r, "note")?,
        explanation: get(r, "explanation")?,
        evidence: 0,
        appraisal1: appraisal(r, 1)?,
        dispute: dispute
            .map(|reason| -> Result<Dispute> {
                Ok(Dispute {
                    reason,
                    by: get::<Option<String>>(r, "disputed_by")?.unwrap_or_default(),
                    at: get::<Option<String>>(r, "disputed_at")?.unwrap_or_default(),
                })
            })
            .transpose()?,
        appraisal2: appraisal(r, 2)?,
        code,
    })
}

fn item_json(i: Option<&Item>) -> Option<serde_json::Value> {
    i.map(|i| {
        serde_json::json!({
            "input": i.input, "self_score": i.self_score, "note": i.note, "explanation": i.explanation,
            "appraisal1": i.appraisal1.as_ref().map(|a| (a.score, &a.comment)),
            "dispute": i.dispute.as_ref().map(|d| &d.reason),
            "appraisal2": i.appraisal2.as_ref().map(|a| (a.score, &a.comment)),
        })
    })
}

fn correction_from_row(r: &AnyRow) -> Result<Correction> {
    let code: String = get(r, "code")?;
    Ok(Correction {
        id: get(r, "id")?,
        unit: get(r, "unit")?,
        code: NodeCode::parse(&code).map_err(StoreError::Corrupt)?,
        old_score: dec(&get::<String>(r, "old_score")?, "old score")?,
        new_score: dec(&get::<String>(r, "new_score")?, "new score")?,
        reason: get(r, "reason")?,
        decision_ref: get(r, "decision_ref")?,
        decided_on: date(&get::<String>(r, "decided_on")?, "decided_on")?,
        by: get(r, "corrected_by")?,
        at: get(r, "corrected_at")?,
    })
}

impl Store {
    // -----------------------------------------------------------------------------------------
    // Rounds
    // -----------------------------------------------------------------------------------------

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
        let mut problems: Vec<String> = round
            .problems()
            .into_iter()
            .filter(|(f, _)| edition.is_some() || *f != "year")
            .map(|(f, m)| format!("{f}: {m}"))
            .collect();
        match &edition {
            None => problems.push(format!("edition: unknown edition '{}'", n.edition_id)),
            Some(e) => {
                for u in &round.units {
                    match self.unit(u).await? {
                        None => problems.push(format!("units: unknown unit '{u}'")),
                        Some(unit) if !level_fits(e.level, unit.unit_type) => {
                            problems.push(format!(
                                "units: {u} is a {} unit; the criteria set assesses {} units",
                                unit.unit_type, e.level
                            ))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if let Some(p) = text_problem("note".into(), &round.note) {
            problems.push(p);
        }
        if self.round(&round.id).await?.is_some() {
            problems.push(format!("id: a round '{}' exists already", round.id));
        }
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
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

    async fn open_round(&self, id: &str) -> Result<Round> {
        let round = self
            .round(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("round '{id}'")))?;
        if round.is_published() {
            return Err(StoreError::Invalid(lock("round", LockError::Frozen)));
        }
        Ok(round)
    }

    /// Change a round's deadlines (before publication).
    pub async fn set_deadlines(&self, id: &str, d: &Deadlines, actor: &str) -> Result<()> {
        let round = self.open_round(id).await?;
        let problems: Vec<String> = d
            .problems()
            .into_iter()
            .map(|(s, m)| format!("deadline.{s}: {m}"))
            .collect();
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
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
        let mut problems = Vec::new();
        if !round.units.iter().any(|u| u == unit) {
            problems.push(format!("unit: {unit} is not assessed in this round"));
        }
        if !stage.reopenable() {
            problems.push("stage: publication is not reopened; publish the round instead".into());
        }
        if until < today {
            problems.push(format!("until: {until} is already past (today is {today})"));
        }
        if until <= round.deadlines.get(stage) {
            problems.push(format!(
                "until: {until} is not after the stage's deadline ({})",
                round.deadlines.get(stage)
            ));
        }
        if reason.is_empty() {
            problems.push("reason: a reason is required".into());
        }
        problems.extend(text_problem("reason".into(), &reason));
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
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

    // -----------------------------------------------------------------------------------------
    // One unit's assessment
    // -----------------------------------------------------------------------------------------

    async fn progress(&self, round: &str, unit: &str) -> Result<UnitProgress> {
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

    async fn must_assessment(&self, round: &str, unit: &str) -> Result<UnitAssessment> {
        self.assessment(round, unit)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("the assessment of {unit} in '{round}'")))
    }

    /// Whether evidence of an item may change today: the item is a criterion of the unit and
    /// the unit may still explain (self-scoring or explanation stage open).
    pub async fn check_evidence_change(&self, item: ItemRef<'_>, today: Date) -> Result<()> {
        let a = self.must_assessment(item.round, item.unit).await?;
        if !leaves(&a.edition).iter().any(|n| &n.code == item.code) {
            return Err(StoreError::Invalid(format!(
                "code: {} is not a criterion {} scores",
                item.code, item.unit
            )));
        }
        may_explain(&a.round, &a.reopenings, &a.progress, item.unit, today)
            .map_err(|e| StoreError::Invalid(lock("evidence", e)))
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
        let mut problems = Vec::new();
        let mut writes: Vec<(Item, Option<Item>)> = Vec::new();
        for c in changes {
            let field = |f: &str| format!("items[{}].{f}", c.code);
            let Some(node) = a
                .edition
                .node(&c.code)
                .filter(|_| leaf_codes.contains(&c.code))
            else {
                problems.push(format!("items[{}]: not a criterion {unit} scores", c.code));
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
                    problems.push(lock(&field("input"), e.clone()));
                    continue;
                }
                new.self_score = match &c.input {
                    None => None,
                    Some(i) => match self_score(node, i) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            problems.push(format!("{}: {e}", field("input")));
                            continue;
                        }
                    },
                };
                new.input = c.input.clone();
            }
            if text_changed {
                if let Err(e) = &explaining {
                    problems.push(lock(&field("explanation"), e.clone()));
                    continue;
                }
                problems.extend(text_problem(field("note"), &note));
                problems.extend(text_problem(field("explanation"), &explanation));
                new.note = note;
                new.explanation = explanation;
            }
            writes.push((new, old.cloned()));
        }
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
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
                .map_err(|e| StoreError::Invalid(format!("input: {e}")))?;
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
            .map_err(|e| StoreError::Invalid(lock("submit", e)))?;
        let problems: Vec<String> = submission_problems(&a.edition, &a.items)
            .into_iter()
            .map(|(c, p)| {
                format!(
                    "items[{c}]: {}",
                    match p {
                        parindex_domain::assessment::SubmitProblem::NotScored => "not self-scored",
                        parindex_domain::assessment::SubmitProblem::ExplanationMissing =>
                            "claims points without the required evidence: explain why",
                    }
                )
            })
            .collect();
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
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
        if !(1..=2).contains(&appraisal_round) {
            return Err(StoreError::Invalid(
                "round: appraisal has rounds 1 and 2".into(),
            ));
        }
        let a = self.must_assessment(round, unit).await?;
        may_appraise(
            &a.round,
            &a.reopenings,
            &a.progress,
            unit,
            appraisal_round,
            today,
        )
        .map_err(|e| StoreError::Invalid(lock("appraisal", e)))?;
        let leaf_codes: BTreeSet<&NodeCode> = leaves(&a.edition).iter().map(|n| &n.code).collect();
        let mut problems = Vec::new();
        let mut writes: Vec<(Item, Option<Item>)> = Vec::new();
        for c in changes {
            let field = format!("items[{}]", c.code);
            let Some(node) = a
                .edition
                .node(&c.code)
                .filter(|_| leaf_codes.contains(&c.code))
            else {
                problems.push(format!("{field}: not a criterion {unit} scores"));
                continue;
            };
            if let Err(e) = check_appraised(node, c.score) {
                problems.push(format!("{field}.score: {e}"));
                continue;
            }
            let comment = nfc(&c.comment);
            problems.extend(text_problem(format!("{field}.comment"), &comment));
            let old = a.items.get(&c.code);
            let mut new = old.cloned().unwrap_or_else(|| Item::new(c.code.clone()));
            let slot = if appraisal_round == 1 {
                &mut new.appraisal1
            } else {
                if old.and_then(|i| i.dispute.as_ref()).is_none() {
                    problems.push(format!(
                        "{field}: round 2 settles disputed items only; this one is not disputed"
                    ));
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
            writes.push((new, old.cloned()));
        }
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        if writes.is_empty() {
            return Ok(0);
        }
        let now = now_text();
        let n = appraisal_round;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        ensure_unpublished(&mut tx, round).await?;
        for (item, before) in &writes {
            let ap = if n == 1 {
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
            .ctx(|| format!("appraising item {}", item.code))?;
            record(
                &mut tx,
                Change {
                    actor,
                    action: if n == 1 {
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
        may_dispute(&a.round, &a.reopenings, unit, today)
            .map_err(|e| StoreError::Invalid(lock("dispute", e)))?;
        let reason = nfc(reason);
        let item = a.items.get(code);
        let mut problems = Vec::new();
        if item.and_then(|i| i.appraisal1.as_ref()).is_none() {
            problems.push(format!("items[{code}]: it has no round-1 score to dispute"));
        }
        if item.and_then(|i| i.appraisal2.as_ref()).is_some() {
            problems.push(format!("items[{code}]: round 2 has settled it already"));
        }
        if reason.is_empty() {
            problems.push(format!("items[{code}].reason: a reason is required"));
        }
        problems.extend(text_problem(format!("items[{code}].reason"), &reason));
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
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

    // -----------------------------------------------------------------------------------------
    // The round as a whole: overview, publication, ranking, corrections
    // -----------------------------------------------------------------------------------------

    /// Every unit of a round with its progress and totals so far.
    pub async fn round_overview(&self, id: &str) -> Result<Vec<UnitOverview>> {
        let round = self
            .round(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("round '{id}'")))?;
        let mut out = Vec::new();
        for u in &round.units {
            let a = self.must_assessment(id, u).await?;
            let to_score: Vec<&NodeCode> = leaves(&a.edition)
                .into_iter()
                .filter(|n| !n.survey_scored && !is_adjustment(n))
                .map(|n| &n.code)
                .collect();
            let scored = to_score
                .iter()
                .filter(|c| a.items.get(**c).is_some_and(|i| i.self_score.is_some()))
                .count();
            let finals = final_scores(&a.items);
            out.push(UnitOverview {
                to_score: to_score.len(),
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
        let round = self.open_round(id).await?;
        let blockers = self.publication_blockers(id).await?;
        if !blockers.is_empty() {
            let problems: Vec<String> = blockers
                .iter()
                .map(|(u, missing, disputes)| {
                    let mut s = format!("{u}:");
                    if !missing.is_empty() {
                        let codes: Vec<String> = missing.iter().map(|c| c.to_string()).collect();
                        s.push_str(&format!(" not appraised {}", codes.join(", ")));
                    }
                    if !disputes.is_empty() {
                        let codes: Vec<String> = disputes.iter().map(|c| c.to_string()).collect();
                        s.push_str(&format!(" disputes awaiting round 2 {}", codes.join(", ")));
                    }
                    s
                })
                .collect();
            return Err(StoreError::Invalid(format!(
                "publish: the round is not complete: {}",
                problems.join("; ")
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
            .map_err(|e| StoreError::Invalid(format!("snapshot: {e}")))?;
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
            return Err(StoreError::Invalid(lock("publish", LockError::Frozen)));
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
                after: Some(
                    serde_json::json!({"published_on": today.to_string(), "ranking": summary}),
                ),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| "committing a publication".into())?;
        Ok(())
    }

    async fn published_snapshot(&self, id: &str) -> Result<Option<Snapshot>> {
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

    async fn rows_of(
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
    async fn previous_standings(
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

    async fn unit_map(&self, slugs: &[String]) -> Result<BTreeMap<String, Unit>> {
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
            return Err(StoreError::Invalid(
                "round: not published yet; change the appraisal instead".into(),
            ));
        };
        let reason = nfc(reason);
        let decision_ref = nfc(decision_ref);
        let mut problems = Vec::new();
        let Some(t) = snapshot.unit_types.get(unit) else {
            return Err(StoreError::Invalid(format!(
                "unit: {unit} is not assessed in this round"
            )));
        };
        let scoped = scoped_edition(&snapshot.edition, *t);
        let leaf = leaves(&scoped)
            .into_iter()
            .find(|n| &n.code == code)
            .cloned();
        match &leaf {
            None => problems.push(format!("code: {code} is not a criterion {unit} scores")),
            Some(n) => {
                if let Err(e) = check_appraised(n, new_score) {
                    problems.push(format!("score: {e}"));
                }
            }
        }
        if reason.is_empty() {
            problems.push("reason: a reason is required".into());
        }
        problems.extend(text_problem("reason".into(), &reason));
        if decision_ref.is_empty() {
            problems.push("decision_ref: the decision's number and symbol are required".into());
        } else if decision_ref.chars().count() > 100 {
            problems.push("decision_ref: at most 100 characters".into());
        }
        let corrections = self.corrections(id).await?;
        let current = corrected_finals(&snapshot, &corrections)
            .get(unit)
            .and_then(|m| m.get(code))
            .copied()
            .unwrap_or(Decimal::ZERO);
        if problems.is_empty() && current == new_score {
            problems.push(format!("score: {code} already has {new_score} points"));
        }
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
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

    // -----------------------------------------------------------------------------------------
    // Next year
    // -----------------------------------------------------------------------------------------

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
        let mut problems = Vec::new();
        let (new_edition, copy) = match &next.edition {
            NextEdition::Existing(id) => match self.edition(id).await? {
                Some(e) => (e, false),
                None => {
                    return Err(StoreError::Invalid(format!(
                        "edition: unknown edition '{id}'"
                    )))
                }
            },
            NextEdition::Copy(id) => {
                if self.edition(id).await?.is_some() {
                    problems.push(format!(
                        "edition: an edition '{id}' exists already; choose it or another id"
                    ));
                }
                let e = next_year_edition(&old_edition, id, src.year + 1);
                for p in e.validate() {
                    problems.push(format!("edition: {p}"));
                }
                (e, true)
            }
        };
        if new_edition.level != old_edition.level {
            problems.push(format!(
                "edition: {} assesses {} units, this round {} units",
                new_edition.id, new_edition.level, old_edition.level
            ));
        }
        let cw = match crosswalk(&old_edition, &new_edition, &next.crosswalk) {
            Ok(cw) => Some(cw),
            Err(ps) => {
                problems.extend(ps.into_iter().map(|p| format!("crosswalk: {p}")));
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
        problems.extend(
            round
                .problems()
                .into_iter()
                .map(|(f, m)| format!("{f}: {m}")),
        );
        if self.round(&round.id).await?.is_some() {
            problems.push(format!("id: a round '{}' exists already", round.id));
        }
        let (Some(cw), true) = (cw, problems.is_empty()) else {
            return Err(invalid(problems));
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

async fn insert_round(tx: &mut crate::version::WriteTx, round: &Round, actor: &str) -> Result<()> {
    let classes = serde_json::to_string(&round.classes)
        .map_err(|e| StoreError::Invalid(format!("classes: {e}")))?;
    let d = &round.deadlines;
    sqlx::query(
        "INSERT INTO assessment_rounds (id, name, name_folded, edition_id, year, sample, self_scoring_due, explanation_due, \
         appraisal1_due, appraisal2_due, publication_due, classes_json, source_round, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&round.id)
    .bind(&round.name)
    .bind(fold(&round.name))
    .bind(&round.edition_id)
    .bind(i64::from(round.year))
    .bind(i64::from(round.sample))
    .bind(d.self_scoring.to_string())
    .bind(d.explanation.to_string())
    .bind(d.appraisal1.to_string())
    .bind(d.appraisal2.to_string())
    .bind(d.publication.to_string())
    .bind(classes)
    .bind(round.source_round.as_deref())
    .bind(&round.note)
    .bind(actor)
    .bind(now_text())
    .execute(&mut **tx)
    .await
    .ctx(|| format!("saving round {}", round.id))?;
    for (i, u) in round.units.iter().enumerate() {
        sqlx::query("INSERT INTO assessment_units (round_id, unit, position) VALUES ($1, $2, $3)")
            .bind(&round.id)
            .bind(u)
            .bind(i as i64)
            .execute(&mut **tx)
            .await
            .ctx(|| format!("adding {u} to round {}", round.id))?;
    }
    Ok(())
}

/// Inside a transaction: refuse when the round was published meanwhile.
async fn ensure_unpublished(tx: &mut crate::version::WriteTx, round: &str) -> Result<()> {
    let published: Option<Option<String>> =
        sqlx::query_scalar("SELECT published_on FROM assessment_rounds WHERE id = $1")
            .bind(round)
            .fetch_optional(&mut **tx)
            .await
            .ctx(|| format!("checking round {round}"))?;
    match published {
        None => Err(StoreError::NotFound(format!("round '{round}'"))),
        Some(Some(_)) => Err(StoreError::Invalid(lock("round", LockError::Frozen))),
        Some(None) => Ok(()),
    }
}

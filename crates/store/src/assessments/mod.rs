//! Assessment rounds: units' self-assessments, appraisal in two rounds, publication (a frozen
//! snapshot), corrections after publication, the provincial ranking, and carrying a round over
//! to next year. The rules are the domain's (`parindex_domain::assessment`); every change checks
//! them against "today" as the caller's clock gives it, runs in one transaction and is audited.

use crate::audit::{record, Change};
use crate::db::{dec, get, now_text, opt_dec, Store};
use crate::error::{Context, StoreError};
use crate::evidence::{Evidence, ItemRef};
use crate::refusal::{refuse, Refusal, RefusalKind, Refusals};
use crate::Result;
use jiff::civil::Date;
use parindex_domain::assessment::{
    check_appraised, corrected_finals, crosswalk, final_scores, leaves, may_appraise, may_dispute,
    may_explain, may_self_score, missing_finals, next_year_edition, rank_units, scoped_edition,
    self_score, self_scored_leaves, self_totals, submission_problems, unscored, Appraisal,
    ClassBands, Correction, Crosswalk, Deadlines, Dispute, Item, LockError, PreviousStanding,
    RankingRow, Reopening, Round, RoundProblem, Snapshot, Stage, UnitProgress,
};
use parindex_domain::edition::{Edition, Level, NodeCode};
use parindex_domain::rules::ScoreInput;
use parindex_domain::text::{fold, nfc};
use parindex_domain::units::{Unit, UnitType};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};

mod items;
mod next_year;
mod publication;
mod rounds;

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

fn date(s: &str, what: &str) -> Result<Date> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what}: '{s}' is not a date")))
}

fn opt_date(s: Option<String>, what: &str) -> Result<Option<Date>> {
    s.map(|v| date(&v, what)).transpose()
}

fn text_problem(field: String, s: &str) -> Option<Refusal> {
    (s.chars().count() > TEXT_LIMIT)
        .then(|| Refusal::new(field, RefusalKind::TooLong { max: TEXT_LIMIT }))
}

/// A change the round's stage or publication does not take now.
fn lock(field: &str, e: LockError) -> StoreError {
    Refusal::new(field, RefusalKind::Locked(e)).into()
}

fn not_scored(code: &NodeCode, unit: &str) -> RefusalKind {
    RefusalKind::NotScored {
        code: code.to_string(),
        unit: unit.to_string(),
    }
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
    let code = NodeCode::parse(&code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
        code: NodeCode::parse(&code).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        old_score: dec(&get::<String>(r, "old_score")?, "old score")?,
        new_score: dec(&get::<String>(r, "new_score")?, "new score")?,
        reason: get(r, "reason")?,
        decision_ref: get(r, "decision_ref")?,
        decided_on: date(&get::<String>(r, "decided_on")?, "decided_on")?,
        by: get(r, "corrected_by")?,
        at: get(r, "corrected_at")?,
    })
}

async fn insert_round(tx: &mut crate::version::WriteTx, round: &Round, actor: &str) -> Result<()> {
    let classes = serde_json::to_string(&round.classes)
        .map_err(|e| StoreError::Encode(format!("the classes of {}: {e}", round.id)))?;
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
        Some(Some(_)) => Err(lock("round", LockError::Frozen)),
        Some(None) => Ok(()),
    }
}

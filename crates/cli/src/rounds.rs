//! The assessment cycle on the command line (issue 13 point 4): `parindex assessment
//! rounds|show|export-table|import-table|publish`, each with `--json`.
//!
//! The same store functions, rules and locks as the web's pages
//! (`crates/web/src/pages/assessments/`): the self-scoring summary table is built and read by the
//! web's own `sheet::summary_of` and `sheet::plan` (so the file is the one the web downloads and
//! its rows are checked against the same stage locks, row by row), saved by
//! `Store::save_self_assessment`, and a round is published by the web's `Store::publish_round`
//! (through `publish_round_by_decision`, which keeps the decision's number in the audit record).
//! "Today" is the command's clock (`--as-of`, else today in Asia/Ho_Chi_Minh); the actor of every
//! change is `cli`. A dry run reads and checks everything and saves nothing.

use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use jiff::civil::Date;
use parindex_domain::assessment::{
    final_scores, input_text, leaves, may_explain, may_self_score, self_totals, stage_state,
    Reopening, Round, Stage, StageState,
};
use parindex_interchange::self_assessment::{import_items, read_summary_xlsx, write_summary_xlsx};
use parindex_store::assessments::{RoundRanking, RoundSummary, UnitAssessment};
use parindex_store::Store;
use parindex_web::i18n::Lang;
use parindex_web::pages::assessments::sheet;
use parindex_web::upload::{file_problems, FileProblem};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The actor the audit log names for a change made here.
pub const ACTOR: &str = "cli";

#[derive(Subcommand)]
pub enum AssessmentCommand {
    /// The rounds: id, criteria set, unit type, stages with their deadlines, published or not.
    Rounds {
        #[arg(long)]
        json: bool,
    },
    /// A round's units with their status and totals, or (with --unit) one unit's items with
    /// their self-scores and appraised scores.
    Show {
        round: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a unit's self-scoring summary table (.xlsx), the file the web downloads.
    ExportTable {
        round: String,
        #[arg(long)]
        unit: String,
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Save the self-scores, explanations and notes of a summary table (.xlsx), with the web's
    /// locks: refused when self-scoring (or, for the texts, explanation) is closed for the unit.
    ImportTable {
        round: String,
        #[arg(long)]
        unit: String,
        file: PathBuf,
        /// Check the file and print what would change, without saving.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Publish a round's ranking, as the web's "Publish" (every item appraised, no dispute left
    /// open); the decision's number is kept in the audit record.
    Publish {
        round: String,
        /// The decision that publishes the ranking, e.g. 15/QĐ-UBND.
        #[arg(long)]
        decision: String,
        /// The publication's date (YYYY-MM-DD), not after today.
        #[arg(long)]
        date: Date,
        /// Print the ranking that would be published (and what blocks it), without publishing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(store: &Store, command: AssessmentCommand, today: Date) -> Result<()> {
    match command {
        AssessmentCommand::Rounds { json } => rounds(store, today, json).await,
        AssessmentCommand::Show { round, unit, json } => match unit {
            None => show_round(store, &round, today, json).await,
            Some(unit) => show_unit(store, &round, &unit, today, json).await,
        },
        AssessmentCommand::ExportTable {
            round,
            unit,
            output,
            json,
        } => export_table(store, &round, &unit, &output, json).await,
        AssessmentCommand::ImportTable {
            round,
            unit,
            file,
            dry_run,
            json,
        } => import_table(store, &round, &unit, &file, today, dry_run, json).await,
        AssessmentCommand::Publish {
            round,
            decision,
            date,
            dry_run,
            json,
        } => publish(store, &round, &decision, date, today, dry_run, json).await,
    }
}

fn print_json(v: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Each stage of a round with its deadline and state as of `today`, for one unit (its
/// reopenings and the day it submitted) or for the round as a whole (`unit` empty).
fn stages(
    round: &Round,
    reopenings: &[Reopening],
    unit: &str,
    submitted_on: Option<Date>,
    today: Date,
) -> Vec<(Stage, StageState)> {
    Stage::ALL
        .iter()
        .map(|s| {
            (
                *s,
                stage_state(round, reopenings, unit, submitted_on, *s, today),
            )
        })
        .collect()
}

fn stages_json(round: &Round, list: &[(Stage, StageState)]) -> Value {
    Value::Array(
        list.iter()
            .map(|(s, st)| {
                json!({"stage": s.as_str(), "deadline": round.deadlines.get(*s).to_string(),
                       "state": st})
            })
            .collect(),
    )
}

/// "published on …", the open stages with their last day, or "closed".
fn stage_text(round: &Round, list: &[(Stage, StageState)]) -> String {
    if let Some(on) = round.published_on {
        return format!("published on {on}");
    }
    let open: Vec<String> = list
        .iter()
        .filter_map(|(s, st)| match st {
            StageState::Open { until, reopened } => Some(format!(
                "{s} open until {until}{}",
                if *reopened { " (reopened)" } else { "" }
            )),
            _ => None,
        })
        .collect();
    if open.is_empty() {
        match list.iter().find_map(|(s, st)| match st {
            StageState::NotYet { from } => Some((s, from)),
            _ => None,
        }) {
            Some((s, from)) => format!("no stage open; {s} opens on {from}"),
            None => "every stage closed, not published".into(),
        }
    } else {
        open.join(", ")
    }
}

fn round_json(r: &RoundSummary, today: Date) -> Value {
    let list = stages(&r.round, &[], "", None, today);
    json!({
        "id": r.round.id,
        "name": r.round.name,
        "edition_id": r.round.edition_id,
        "edition_name": r.edition_name,
        "year": r.round.year,
        "unit_type": r.level,
        "units": r.round.units.len(),
        "sample": r.round.sample,
        "published": r.round.is_published(),
        "published_on": r.round.published_on.map(|d| d.to_string()),
        "published_by": r.round.published_by,
        "deadlines": r.round.deadlines,
        "stages": stages_json(&r.round, &list),
        "open_stages": list.iter().filter(|(_, st)| st.is_open()).map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
    })
}

async fn rounds(store: &Store, today: Date, json: bool) -> Result<()> {
    let list = store.rounds().await?;
    if json {
        return print_json(&Value::Array(
            list.iter().map(|r| round_json(r, today)).collect(),
        ));
    }
    if list.is_empty() {
        println!("no assessment rounds");
    }
    for r in &list {
        let level = serde_json::to_value(r.level)?;
        println!(
            "{}  {}  {}  {} units  {}",
            r.round.id,
            r.round.year,
            level.as_str().unwrap_or_default(),
            r.round.units.len(),
            stage_text(&r.round, &stages(&r.round, &[], "", None, today)),
        );
        println!("    {} ({})", r.round.name, r.edition_name);
    }
    Ok(())
}

async fn round_of(store: &Store, id: &str) -> Result<RoundSummary> {
    store
        .rounds()
        .await?
        .into_iter()
        .find(|r| r.round.id == id)
        .ok_or_else(|| anyhow!("no assessment round '{id}' (see `parindex assessment rounds`)"))
}

async fn show_round(store: &Store, id: &str, today: Date, json: bool) -> Result<()> {
    let summary = round_of(store, id).await?;
    let round = &summary.round;
    let reopenings = store.reopenings(id).await?;
    let units = store.round_overview(id).await?;
    let rows: Vec<Value> = units
        .iter()
        .map(|u| {
            let st = stage_state(
                round,
                &reopenings,
                &u.unit.slug,
                u.progress.submitted_on,
                Stage::SelfScoring,
                today,
            );
            json!({
                "unit": u.unit.slug,
                "name": u.unit.name_vi,
                "status": unit_status(round, u.progress.submitted_on, st),
                "self_scoring": st,
                "submitted_on": u.progress.submitted_on.map(|d| d.to_string()),
                "to_score": u.to_score,
                "scored": u.scored,
                "self_total": u.self_total,
                "appraised": u.appraised,
                "missing_finals": u.missing_finals,
                "disputes_open": u.disputes_open,
                "final_total": u.final_total,
                "max": u.max,
            })
        })
        .collect();
    if json {
        return print_json(&json!({"round": round_json(&summary, today), "units": rows}));
    }
    println!("{} — {}", round.id, round.name);
    println!(
        "{}",
        stage_text(round, &stages(round, &[], "", None, today))
    );
    println!("UNIT  STATUS  SCORED  SELF-SCORE  APPRAISED  FINAL / MAX");
    for (u, row) in units.iter().zip(&rows) {
        println!(
            "{}  {}  {}/{}  {}  {}/{}  {} / {}   {}",
            u.unit.slug,
            row["status"].as_str().unwrap_or_default(),
            u.scored,
            u.to_score,
            u.self_total,
            u.appraised,
            u.to_score,
            u.final_total,
            u.max,
            u.unit.name_vi
        );
    }
    Ok(())
}

/// A unit's status in a round, in one word.
fn unit_status(round: &Round, submitted_on: Option<Date>, self_scoring: StageState) -> String {
    if round.is_published() {
        "published".into()
    } else if submitted_on.is_some() {
        "submitted".into()
    } else if self_scoring.is_open() {
        "self-scoring".into()
    } else {
        "self-scoring closed".into()
    }
}

async fn assessment_of(store: &Store, round: &str, unit: &str) -> Result<UnitAssessment> {
    round_of(store, round).await?;
    store
        .assessment(round, unit)
        .await?
        .ok_or_else(|| anyhow!("unit '{unit}' is not assessed in round '{round}'"))
}

async fn show_unit(store: &Store, round: &str, unit: &str, today: Date, json: bool) -> Result<()> {
    let a = assessment_of(store, round, unit).await?;
    let list = stages(
        &a.round,
        &a.reopenings,
        &a.unit.slug,
        a.progress.submitted_on,
        today,
    );
    let finals = final_scores(&a.items);
    let items: Vec<Value> = leaves(&a.edition)
        .into_iter()
        .map(|n| {
            let i = a.items.get(&n.code);
            json!({
                "code": n.code.to_string(),
                "title": n.title_vi,
                "max": n.max_points,
                "input": i.and_then(|i| i.input.as_ref()).map(input_text),
                "self_score": i.and_then(|i| i.self_score),
                "appraisal1": i.and_then(|i| i.appraisal1.as_ref()).map(|x| x.score),
                "appraisal2": i.and_then(|i| i.appraisal2.as_ref()).map(|x| x.score),
                "appraised": i.and_then(|i| i.final_score()),
                "dispute": i.and_then(|i| i.dispute.as_ref()).map(|d| d.reason.clone()),
                "explanation": i.map(|i| i.explanation.clone()).unwrap_or_default(),
                "note": i.map(|i| i.note.clone()).unwrap_or_default(),
                "evidence": a.evidence.get(&n.code.to_string()).map_or(0, Vec::len),
            })
        })
        .collect();
    let self_total = self_totals(&a.edition, &a.items).overall.achieved;
    let final_total = a.edition.totals(&finals).overall.achieved;
    if json {
        return print_json(&json!({
            "round": a.round.id,
            "unit": a.unit.slug,
            "name": a.unit.name_vi,
            "submitted_on": a.progress.submitted_on.map(|d| d.to_string()),
            "stages": stages_json(&a.round, &list),
            "self_total": self_total,
            "final_total": final_total,
            "max": a.edition.max_points,
            "items": items,
        }));
    }
    println!("{} — {} ({})", a.round.id, a.unit.name_vi, a.unit.slug);
    println!("{}", stage_text(&a.round, &list));
    if let Some(on) = a.progress.submitted_on {
        println!("submitted on {on}");
    }
    println!("CODE  SELF-SCORE  APPRAISED  MAX  TITLE");
    let dash = |v: &Value| match v {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for i in &items {
        println!(
            "{}  {}  {}  {}  {}",
            dash(&i["code"]),
            dash(&i["self_score"]),
            dash(&i["appraised"]),
            dash(&i["max"]),
            dash(&i["title"])
        );
    }
    println!(
        "total: self-score {self_total}, appraised {final_total}, of {}",
        a.edition.max_points
    );
    Ok(())
}

async fn export_table(
    store: &Store,
    round: &str,
    unit: &str,
    output: &Path,
    json: bool,
) -> Result<()> {
    let a = assessment_of(store, round, unit).await?;
    // The table is in Vietnamese: it is the province's document (as the web writes it).
    let table = sheet::summary_of(Lang::Vi, &a);
    let bytes = write_summary_xlsx(&table).map_err(|e| anyhow!("cannot write the table: {e}"))?;
    std::fs::write(output, &bytes).with_context(|| format!("writing {}", output.display()))?;
    if json {
        return print_json(&json!({"round": round, "unit": unit,
            "file": output.display().to_string(), "rows": table.rows.len(), "bytes": bytes.len()}));
    }
    println!(
        "self-scoring summary table of {unit} in {round}: {} lines written to {}",
        table.rows.len(),
        output.display()
    );
    Ok(())
}

fn problems_text(problems: &[FileProblem]) -> String {
    problems
        .iter()
        .map(|p| match (p.row.is_empty(), p.column.is_empty()) {
            (true, _) => format!("  {}", p.message),
            (false, true) => format!("  row {}: {}", p.row, p.message),
            (false, false) => format!("  row {}, {}: {}", p.row, p.column, p.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[allow(clippy::too_many_arguments)]
async fn import_table(
    store: &Store,
    round: &str,
    unit: &str,
    file: &Path,
    today: Date,
    dry_run: bool,
    json: bool,
) -> Result<()> {
    let a = assessment_of(store, round, unit).await?;
    // The web's early refusal: with both self-scoring and explanation closed for this unit,
    // the file is not even read.
    let scoring = may_self_score(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    let explaining = may_explain(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    if let (Err(e), Err(_)) = (&scoring, &explaining) {
        bail!("refused: self-scoring is closed for {unit} in {round} on {today}: {e}");
    }
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    if !name.to_lowercase().ends_with(".xlsx") {
        bail!("{}: the self-scoring summary table is an .xlsx file (as `assessment export-table` writes it)", file.display());
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let imported = read_summary_xlsx(&bytes, &name, &a.edition)
        .and_then(|read| import_items(&name, &a.edition, &read, &a.items))
        .map_err(|e| {
            anyhow!(
                "{} refused:\n{}",
                file.display(),
                problems_text(&file_problems(Lang::En, &e))
            )
        })?;
    // The CLI acts for the coordinator: every item of the unit may be edited.
    let (lines, changes) = sheet::plan(Lang::En, &a, imported, today, &|_| true)
        .map_err(|ps| anyhow!("refused, nothing saved:\n{}", problems_text(&ps)))?;
    let saved = !dry_run && !changes.is_empty();
    if saved {
        store
            .save_self_assessment(round, unit, &changes, today, ACTOR)
            .await
            .with_context(|| format!("saving the self-assessment of {unit} in {round}"))?;
    }
    if json {
        let rows: Vec<Value> = lines
            .iter()
            .map(|l| {
                json!({"row": l.row, "code": l.code, "title": l.title,
                       "old_score": l.old_score, "new_score": l.new_score,
                       "old_text": l.old_text, "new_text": l.new_text})
            })
            .collect();
        return print_json(&json!({"round": round, "unit": unit, "dry_run": dry_run,
            "saved": saved, "changes": rows}));
    }
    for l in &lines {
        println!(
            "row {}  {}  self-score {} → {}  {}",
            l.row, l.code, l.old_score, l.new_score, l.title
        );
        if l.old_text != l.new_text {
            println!("    remarks: {:?} → {:?}", l.old_text, l.new_text);
        }
    }
    match (lines.is_empty(), dry_run) {
        (true, _) => println!("nothing to change: the table matches {unit}'s self-assessment"),
        (false, true) => println!(
            "dry run: {} item(s) would change; nothing saved",
            lines.len()
        ),
        (false, false) => println!("{} item(s) saved for {unit} in {round}", lines.len()),
    }
    Ok(())
}

fn ranking_json(rk: &RoundRanking) -> Vec<Value> {
    rk.rows
        .iter()
        .map(|r| {
            json!({
                "rank": r.rank,
                "unit": r.unit,
                "name": rk.units.get(&r.unit).map(|u| u.name_vi.clone()),
                "total": r.total,
                "max": r.max,
                "pct": r.pct,
                "class": r.class.as_ref().map(|(_, c)| c.label_vi.clone()),
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn publish(
    store: &Store,
    id: &str,
    decision: &str,
    date: Date,
    today: Date,
    dry_run: bool,
    json: bool,
) -> Result<()> {
    let summary = round_of(store, id).await?;
    if let Some(on) = summary.round.published_on {
        bail!("refused: {id} was published on {on}; a change now is a correction");
    }
    let decision = decision.trim();
    if decision.is_empty() {
        bail!("refused: --decision is empty (the decision's number, e.g. 15/QĐ-UBND)");
    }
    if date > today {
        bail!("refused: --date {date} is after today ({today})");
    }
    let blockers = store.publication_blockers(id).await?;
    let ranking = store
        .provisional_ranking(id)
        .await?
        .ok_or_else(|| anyhow!("no assessment round '{id}'"))?;
    let codes = |v: &[parindex_domain::edition::NodeCode]| -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    };
    let blocked: Vec<Value> = blockers
        .iter()
        .map(|(u, missing, disputes)| {
            json!({"unit": u, "not_appraised": codes(missing), "disputed": codes(disputes)})
        })
        .collect();
    let published = !dry_run && blockers.is_empty();
    if published {
        store
            .publish_round_by_decision(id, date, Some(decision), ACTOR)
            .await
            .with_context(|| format!("publishing {id}"))?;
    }
    if json {
        print_json(
            &json!({"round": id, "decision": decision, "date": date.to_string(),
            "dry_run": dry_run, "published": published, "blockers": blocked,
            "ranking": ranking_json(&ranking)}),
        )?;
    } else {
        println!(
            "{} — {}: ranking {} by decision {decision} of {date}",
            id,
            summary.round.name,
            if published {
                "published"
            } else {
                "that would be published"
            }
        );
        println!("RANK  UNIT  TOTAL / MAX  INDEX %  CLASS");
        for r in ranking_json(&ranking) {
            println!(
                "{}  {}  {} / {}  {}  {}",
                r["rank"],
                r["name"]
                    .as_str()
                    .or(r["unit"].as_str())
                    .unwrap_or_default(),
                r["total"].as_str().unwrap_or_default(),
                r["max"].as_str().unwrap_or_default(),
                r["pct"].as_str().unwrap_or_default(),
                r["class"].as_str().unwrap_or("—"),
            );
        }
    }
    if !blockers.is_empty() {
        let lines: Vec<String> = blockers
            .iter()
            .map(|(u, missing, disputes)| {
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    parts.push(format!(
                        "{} item(s) without a final score ({})",
                        missing.len(),
                        codes(missing).join(", ")
                    ));
                }
                if !disputes.is_empty() {
                    parts.push(format!(
                        "{} dispute(s) open ({})",
                        disputes.len(),
                        codes(disputes).join(", ")
                    ));
                }
                format!("  {u}: {}", parts.join("; "))
            })
            .collect();
        bail!(
            "refused{}: every item needs its final score and no dispute may be open:\n{}",
            if dry_run { " (dry run)" } else { "" },
            lines.join("\n")
        );
    }
    if dry_run && !json {
        println!("dry run: nothing published");
    }
    Ok(())
}

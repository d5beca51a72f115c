//! What the commands print: a readable table, or JSON with `--json`.

use anyhow::Result;
use parindex_store::{AuditEntry, EditionSummary, NamedGap, RankedResults};
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn print_json(v: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "—".into())
}

pub fn editions(list: &[EditionSummary], json: bool) -> Result<()> {
    if json {
        return print_json(&json!(list));
    }
    if list.is_empty() {
        println!("No editions yet. Load the demo with `parindex demo --no-serve` or import one with `parindex import edition FILE`.");
        return Ok(());
    }
    println!(
        "{:<24} {:>5} {:<11} {:>8} {:>8}  name",
        "id", "year", "level", "criteria", "results"
    );
    for e in list {
        let sample = if e.sample { " [SAMPLE]" } else { "" };
        println!(
            "{:<24} {:>5} {:<11} {:>8} {:>8}  {}{sample}",
            e.id,
            e.year,
            e.level.as_str(),
            e.criteria,
            e.results,
            e.name
        );
    }
    Ok(())
}

pub fn results(t: &RankedResults, json: bool) -> Result<()> {
    if json {
        let rows: Vec<Value> = t
            .rows
            .iter()
            .map(|r| {
                json!({
                    "rank": r.rank,
                    "rank_source": r.rank_source.map(|s| s.as_str()),
                    "subject": r.subject,
                    "name": r.name,
                    "total": r.total,
                    "index_pct": r.index_pct,
                    "components": r.components,
                    "component_ranks": r.component_ranks,
                    "node_scores": r.node_scores,
                    "node_ranks": r.node_ranks,
                    "source": r.source,
                    "published_on": r.published_on.map(|d| d.to_string()),
                })
            })
            .collect();
        return print_json(&Value::Array(rows));
    }
    println!("{} ({})", t.edition_name, t.edition_id);
    let how = if t.complete {
        "ranks computed from the complete set".to_string()
    } else {
        format!(
            "{} of {} subjects known: ranks as published",
            t.rows.len(),
            t.peer_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into())
        )
    };
    println!("{how}\n");
    if t.rows.is_empty() {
        println!(
            "No results for this edition yet: `parindex import results FILE --edition {}`.",
            t.edition_id
        );
        return Ok(());
    }
    let comps: Vec<String> = {
        let mut c: Vec<String> = t
            .rows
            .iter()
            .flat_map(|r| r.components.keys().cloned())
            .collect();
        c.sort();
        c.dedup();
        c
    };
    print!("{:>5}  {:<24} {:>7}", "rank", "subject", "total");
    for c in &comps {
        print!(" {:>10}", c);
    }
    println!();
    for r in &t.rows {
        let src = match r.rank_source {
            Some(parindex_domain::RankSource::Computed) => "",
            Some(parindex_domain::RankSource::Published) => "p",
            None => "",
        };
        print!(
            "{:>4}{:1}  {:<24} {:>7}",
            opt(&r.rank),
            src,
            r.name,
            d(r.total)
        );
        for c in &comps {
            print!(" {:>10}", opt(&r.components.get(c)));
        }
        println!();
    }
    if !t.complete {
        println!("\np = published rank");
    }
    Ok(())
}

fn d(v: Option<Decimal>) -> String {
    opt(&v)
}

pub fn gap(g: &NamedGap, json: bool) -> Result<()> {
    if json {
        return print_json(&json!(g));
    }
    let r = &g.report;
    println!("{} — {}", g.name, r.edition_id);
    println!(
        "total {} / {} ({}%), {} points lost",
        d(r.total),
        r.max,
        d(r.index_pct),
        d(r.lost)
    );
    println!(
        "rank {} ({})",
        opt(&r.rank),
        r.rank_source.map(|s| s.as_str()).unwrap_or("unknown")
    );
    if let Some(p) = &r.previous {
        println!(
            "previous edition {}: {} (change {}), rank {} (places gained {})",
            p.year,
            d(p.total),
            p.total_change
                .map_or_else(|| "—".to_string(), |c| format!("{c:+}")),
            opt(&p.rank),
            opt(&p.rank_change)
        );
    }
    match (r.target_rank, &r.points_to_target_detail) {
        (Some(t), Some(parindex_domain::gap::PointsToRank::Reached)) => println!("target rank {t}: reached"),
        (Some(t), Some(parindex_domain::gap::PointsToRank::Needed { points, threshold, threshold_subject })) => println!(
            "target rank {t}: {points} more points needed (to equal {threshold_subject} at {threshold}; a tie shares the rank)"
        ),
        (Some(t), Some(parindex_domain::gap::PointsToRank::Unknown { reason })) => println!("target rank {t}: cannot tell ({reason})"),
        _ => println!("no target rank: give --target-rank N"),
    }
    println!("\ncomponents:");
    for c in &r.components {
        println!(
            "  {:<12} {:>7} / {:<6} lost {}",
            c.code,
            d(c.achieved),
            c.max,
            d(c.lost)
        );
    }
    println!("\nareas:");
    for a in &r.by_area {
        println!(
            "  {:>2} rank {:>4} target {:>4} places {:>3} lost {:>6}  lead {:<22} {}",
            a.code,
            opt(&a.rank),
            opt(&a.target_rank),
            opt(&a.places_to_target),
            d(a.lost),
            a.lead_agency.as_deref().unwrap_or("—"),
            a.title_vi
        );
    }
    if !r.by_criterion.is_empty() {
        println!("\ncriteria, most points lost first:");
        for c in &r.by_criterion {
            println!(
                "  {:<8} lost {:>6} of {:<6} lead {:<22} {}",
                c.code,
                c.lost,
                c.max,
                c.lead_agency.as_deref().unwrap_or("—"),
                c.title_vi
            );
        }
    }
    println!("\nby lead agency:");
    for l in &r.by_lead_agency {
        println!(
            "  {:<24} points lost {:>6}  areas below target {:?}  criteria {:?}",
            l.lead_agency.as_deref().unwrap_or("(unassigned)"),
            l.points_lost
                .map(|p| p.to_string())
                .unwrap_or_else(|| "unknown".into()),
            l.areas_below_target,
            l.criteria
        );
    }
    Ok(())
}

pub fn audit(log: &[AuditEntry], json: bool) -> Result<()> {
    if json {
        return print_json(&json!(log));
    }
    for e in log {
        println!(
            "{}  {:<12} {:<7} {:<12} {}",
            e.at, e.actor, e.action, e.entity, e.entity_id
        );
    }
    Ok(())
}

//! The Bắc Giang demo: the repository's `data/` files, embedded in the binary, loaded without
//! overwriting what users have changed since (missing records are added, existing ones kept),
//! one account per role, and the history up to the demo's clock (`demo_history`: the sample
//! monthly reports; `assessment`: the sample assessment rounds).

use anyhow::{Context, Result};
use parindex_domain::access::Role;
use parindex_interchange::{
    edition as ed, results as res, subjects as subj, targets as tgt, units as un,
};
use parindex_store::{Store, UserInput};
use std::collections::BTreeSet;
use std::fmt::Write;

const ACTOR: &str = "demo";

const UNITS: &str = include_str!("../../../data/units.csv");
const SUBJECTS: &str = include_str!("../../../data/subjects.csv");
const EDITIONS: &[(&str, &str)] = &[
    (
        "data/editions/par-2019-province.toml",
        include_str!("../../../data/editions/par-2019-province.toml"),
    ),
    (
        "data/editions/par-2020-province.toml",
        include_str!("../../../data/editions/par-2020-province.toml"),
    ),
];
const RESULTS: &[(&str, &str, &str)] = &[
    (
        "par-2019-province",
        "data/results/par-2019-province.csv",
        include_str!("../../../data/results/par-2019-province.csv"),
    ),
    (
        "par-2020-province",
        "data/results/par-2020-province.csv",
        include_str!("../../../data/results/par-2020-province.csv"),
    ),
];
const PLAN: (&str, &str) = (
    "data/plans/bac-giang-2021.toml",
    include_str!("../../../data/plans/bac-giang-2021.toml"),
);
const TARGETS: (&str, &str) = (
    "data/targets/bac-giang-2021.csv",
    include_str!("../../../data/targets/bac-giang-2021.csv"),
);

/// One demo account per role: (username, display name, role, unit, password).
pub const ACCOUNTS: &[(&str, &str, Role, Option<&str>, &str)] = &[
    (
        "admin",
        "Quản trị hệ thống",
        Role::Admin,
        None,
        "bacgiang-admin",
    ),
    (
        "sonoivu",
        "Chuyên viên Sở Nội vụ",
        Role::Coordinator,
        Some("so-noi-vu"),
        "bacgiang-coordinator",
    ),
    (
        "sotaichinh",
        "Chuyên viên Sở Tài chính",
        Role::LeadAgency,
        Some("so-tai-chinh"),
        "bacgiang-lead-agency",
    ),
    (
        "sotuphap",
        "Chuyên viên Sở Tư pháp",
        Role::Agency,
        Some("so-tu-phap"),
        "bacgiang-agency",
    ),
    (
        "thamdinh",
        "Thành viên Hội đồng thẩm định",
        Role::Appraiser,
        None,
        "bacgiang-appraiser",
    ),
    (
        "lanhdao",
        "Lãnh đạo UBND tỉnh",
        Role::Leader,
        Some("bac-giang"),
        "bacgiang-leader",
    ),
];

/// The demo's day when no `--as-of` is given: inside the 2021 plan's life (issued 01/07/2021,
/// ending 31/12/2021), after the first month's reports were due. On the real date the plan
/// ended long ago and every task of it would show as overdue.
pub const DEFAULT_AS_OF: jiff::civil::Date = jiff::civil::date(2021, 8, 15);

/// Load the demo with its history up to `today` (the demo's clock); returns a summary to print.
pub async fn load(store: &Store, today: jiff::civil::Date) -> Result<String> {
    let mut out = String::new();
    // Units: add the missing ones (a unit edited in the application keeps its edits).
    let existing: BTreeSet<String> = store
        .units(None)
        .await?
        .into_iter()
        .map(|u| u.slug)
        .collect();
    let units = un::units_from_csv(UNITS, "data/units.csv", &existing)?;
    let new_units: Vec<_> = units
        .into_iter()
        .filter(|u| !existing.contains(&u.slug))
        .collect();
    store
        .save_units(&new_units, ACTOR)
        .await
        .context("loading data/units.csv")?;
    let _ = writeln!(out, "units: {} added", new_units.len());

    let subjects = subj::subjects_from_csv(SUBJECTS, "data/subjects.csv")?;
    store
        .save_subjects(&subjects, ACTOR)
        .await
        .context("loading data/subjects.csv")?;
    let _ = writeln!(out, "subjects: {}", subjects.len());

    for (file, text) in EDITIONS {
        let e = ed::edition_from_toml(text, file)?;
        if store.edition(&e.id).await?.is_none() {
            store
                .save_edition(&e, ACTOR)
                .await
                .with_context(|| format!("loading {file}"))?;
            let _ = writeln!(out, "edition {}: added", e.id);
        }
    }

    let known: BTreeSet<String> = store
        .subjects(None)
        .await?
        .into_iter()
        .map(|s| s.slug)
        .collect();
    for (edition_id, file, text) in RESULTS {
        let e = store
            .edition(edition_id)
            .await?
            .with_context(|| format!("edition {edition_id} is missing"))?;
        let have: BTreeSet<String> = store
            .results(edition_id)
            .await?
            .into_iter()
            .map(|r| r.subject)
            .collect();
        let rows = res::results_from_csv(text, file, &e, &|s| known.contains(s))?;
        let missing: Vec<_> = rows
            .into_iter()
            .filter(|r| !have.contains(&r.subject))
            .collect();
        if !missing.is_empty() {
            store
                .import_results(edition_id, &missing, false, ACTOR)
                .await
                .with_context(|| format!("loading {file}"))?;
            let _ = writeln!(out, "results of {edition_id}: {} added", missing.len());
        }
    }

    let targets = tgt::targets_from_csv(TARGETS.1, TARGETS.0)?;
    let mut added = 0;
    for t in &targets {
        let have = store.targets(&t.edition_id).await?;
        if !have
            .iter()
            .any(|h| h.subject == t.subject && h.scope == t.scope)
        {
            store
                .save_targets(std::slice::from_ref(t), ACTOR)
                .await
                .with_context(|| format!("loading {}", TARGETS.0))?;
            added += 1;
        }
    }
    if added > 0 {
        let _ = writeln!(out, "rank targets: {added} added");
    }

    let doc = parindex_interchange::plan::plan_from_toml(PLAN.1, PLAN.0)?;
    if store.plan(&doc.plan.id).await?.is_none() {
        store
            .save_plan(&doc, ACTOR)
            .await
            .with_context(|| format!("loading {}", PLAN.0))?;
        let _ = writeln!(
            out,
            "plan {}: {} findings, {} targets, {} tasks added",
            doc.plan.id,
            doc.findings.len(),
            doc.targets.len(),
            doc.tasks.len()
        );
    }
    out.push_str(&crate::demo_history::load(store, &doc.plan.id, today).await?);
    out.push_str(&parindex_ingest::dossiers::load_demo(store, ACTOR).await?);
    out.push_str(&crate::assessment::load_demo(store, ACTOR, today).await?);
    out.push_str(&publish_demo(store).await?);

    let _ = writeln!(
        out,
        "\nDemo accounts (password as created by the demo; change it under Account):"
    );
    for (username, name, role, unit, password) in ACCOUNTS {
        if store.user_by_username(username).await?.is_none() {
            let hash = parindex_web::auth::hash_password(password).map_err(anyhow::Error::msg)?;
            let input = UserInput {
                username: username.to_string(),
                display_name: name.to_string(),
                role: *role,
                unit: unit.map(str::to_string),
                lang: "vi".into(),
                active: true,
            };
            store
                .create_user(&input, &hash, ACTOR)
                .await
                .with_context(|| format!("creating the demo user {username}"))?;
        }
        let _ = writeln!(
            out,
            "  {:<12} {:<22} {:<12} {}",
            role.as_str(),
            password,
            username,
            unit.unwrap_or("")
        );
    }
    Ok(out)
}

/// What the demo makes public under `/cong-khai`: the province's results of each edition, every
/// ranking round published by the demo's clock (the SAMPLE rounds, with a SAMPLE decision), and
/// the synthetic month of dossiers. Only what was never published: a publication the
/// coordinator withdrew stays withdrawn when the demo is loaded again.
async fn publish_demo(store: &Store) -> Result<String> {
    use parindex_store::{NewPublication, PublicationKind};
    let seen: BTreeSet<(PublicationKind, String)> = store
        .publications()
        .await?
        .into_iter()
        .map(|p| (p.kind, p.target))
        .collect();
    let mut todo = Vec::new();
    for (edition_id, _, _) in RESULTS {
        todo.push(NewPublication {
            kind: PublicationKind::Results,
            target: edition_id.to_string(),
            decision_ref: None,
            decision_on: None,
        });
    }
    for r in store.rounds().await? {
        if let Some(on) = r.round.published_on {
            todo.push(NewPublication {
                kind: PublicationKind::Ranking,
                target: r.round.id.clone(),
                decision_ref: Some(format!("{}/QĐ-UBND (MẪU)", 100 + r.round.year - 2000)),
                decision_on: Some(on),
            });
        }
    }
    let month = parindex_ingest::dossiers::DEMO_MONTH;
    if store
        .dossier_cells()
        .await?
        .iter()
        .any(|c| c.cell.month.to_string() == month)
    {
        todo.push(NewPublication {
            kind: PublicationKind::Dossiers,
            target: month.to_string(),
            decision_ref: None,
            decision_on: None,
        });
    }
    let mut added = 0;
    for p in todo {
        if seen.contains(&(p.kind, p.target.clone())) {
            continue;
        }
        store
            .publish(&p, ACTOR)
            .await
            .with_context(|| format!("publishing {} {}", p.kind.as_str(), p.target))?;
        added += 1;
    }
    let mut out = String::new();
    if added > 0 {
        let _ = writeln!(out, "public pages (/cong-khai): {added} publications added");
    }
    Ok(out)
}

//! Shared set-up: a store seeded from the repository's data files (units, subjects, the 2019
//! and 2020 editions and results, the rank targets and the Bắc Giang 2021 plan), and a small
//! SMTP listener that records every message it receives.
#![allow(dead_code)]

use parindex_interchange as ix;
use parindex_store::Store;
use std::collections::BTreeSet;

#[allow(dead_code)]
pub mod docx;
mod pdftext;
mod smtp;
#[allow(unused_imports)]
pub use pdftext::*;
#[allow(unused_imports)]
pub use smtp::*;

pub const PLAN: &str = "bac-giang-2021";

pub async fn seed(s: &Store) {
    let units = ix::units::units_from_csv(
        include_str!("../../../../data/units.csv"),
        "units.csv",
        &BTreeSet::new(),
    )
    .unwrap();
    s.save_units(&units, "test").await.unwrap();
    let subjects = ix::subjects::subjects_from_csv(
        include_str!("../../../../data/subjects.csv"),
        "subjects.csv",
    )
    .unwrap();
    s.save_subjects(&subjects, "test").await.unwrap();
    let known: BTreeSet<String> = subjects.iter().map(|x| x.slug.clone()).collect();
    for (edition, results) in [
        (
            include_str!("../../../../data/editions/par-2019-province.toml"),
            include_str!("../../../../data/results/par-2019-province.csv"),
        ),
        (
            include_str!("../../../../data/editions/par-2020-province.toml"),
            include_str!("../../../../data/results/par-2020-province.csv"),
        ),
    ] {
        let e = ix::edition::edition_from_toml(edition, "edition.toml").unwrap();
        s.save_edition(&e, "test").await.unwrap();
        let rows =
            ix::results::results_from_csv(results, "results.csv", &e, &|x| known.contains(x))
                .unwrap();
        s.import_results(&e.id, &rows, false, "test").await.unwrap();
    }
    let targets = ix::targets::targets_from_csv(
        include_str!("../../../../data/targets/bac-giang-2021.csv"),
        "targets.csv",
    )
    .unwrap();
    s.save_targets(&targets, "test").await.unwrap();
    let doc = ix::plan::plan_from_toml(
        include_str!("../../../../data/plans/bac-giang-2021.toml"),
        "plan.toml",
    )
    .unwrap();
    s.save_plan(&doc, "test").await.unwrap();
}

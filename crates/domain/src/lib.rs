//! ParIndex domain: the pure core of the system.
//!
//! Index editions and their criteria trees, exact decimal scoring rules, competition ranking,
//! published results and their consistency checks, gap analysis towards a target rank, and the
//! units of the province. No I/O, no async, no SQL: everything here is deterministic and is
//! tested on its own.

#![forbid(unsafe_code)]

pub mod access;
pub mod assessment;
pub mod calendar;
pub mod dossiers;
pub mod edition;
pub mod edition_diff;
pub mod figures;
pub mod gap;
pub mod indicators;
pub mod plan;
pub mod ranking;
pub mod results;
pub mod rules;
pub mod score;
pub mod text;
pub mod units;

pub use edition::{
    CodeProblem, Component, CriterionNode, Edition, EditionProblem, EditionProblemKind, Level,
    NodeCode,
};
pub use gap::{GapReport, RankTarget, TargetScope};
pub use ranking::{competition_ranks, RankSource};
pub use results::{PublishedResult, ResultProblem, ResultProblemKind};
pub use rules::{ScoreInput, ScoringRule};
pub use units::{Subject, Unit, UnitType};

//! One unit's self-assessment: the form (declared figure, choice, yes/no or points per the
//! node's rule; notes; explanations), submission, and each item's page with its evidence
//! (upload, official-document reference, link an existing document, unlink) and the dispute of
//! a round-1 score.

use crate::i18n::{self, Lang};
use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use parindex_domain::assessment::InputKind;
use parindex_domain::edition::CriterionNode;
use parindex_domain::rules::ScoringRule;
use serde::Deserialize;

mod page;
pub use page::*;
mod item;
pub use item::*;

/// Message keys chosen in code (checked by a test).
pub const DYNAMIC_KEYS: &[&str] = &[
    "assess.kind.points",
    "assess.kind.choice",
    "assess.kind.number",
    "assess.kind.yes_no",
    "assess.kind.count",
    "assess.kind.survey",
    "assess.done.saved",
    "assess.done.submitted",
    "assess.done.uploaded",
    "assess.done.document",
    "assess.done.linked",
    "assess.done.unlinked",
    "assess.done.disputed",
    "assess.done.imported",
];

/// The largest request body of an evidence upload; the file itself is held to the configured
/// limit (20 MB by default) while it is read.
pub const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessments/{round}/units/{unit}", get(page).post(save))
        .route("/assessments/{round}/units/{unit}/submit", post(submit))
        .route(
            "/assessments/{round}/units/{unit}/items/{code}",
            get(item_page),
        )
        .route(
            "/assessments/{round}/units/{unit}/items/{code}/evidence",
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/assessments/{round}/units/{unit}/items/{code}/document",
            post(document),
        )
        .route(
            "/assessments/{round}/units/{unit}/items/{code}/link",
            post(link),
        )
        .route(
            "/assessments/{round}/units/{unit}/items/{code}/unlink",
            post(unlink),
        )
        .route(
            "/assessments/{round}/units/{unit}/items/{code}/dispute",
            post(dispute),
        )
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
    /// `?unscored=1`: only the items the unit still has to self-score (its home page's figure).
    unscored: Option<String>,
}

fn flash(lang: Lang, done: &Option<String>) -> Option<String> {
    let d = done.as_deref()?;
    let key = format!("assess.done.{d}");
    DYNAMIC_KEYS
        .contains(&key.as_str())
        .then(|| i18n::t(lang, &key).to_string())
}

fn kind_key(k: &InputKind) -> &'static str {
    match k {
        InputKind::Points { .. } => "assess.kind.points",
        InputKind::Choice => "assess.kind.choice",
        InputKind::Number => "assess.kind.number",
        InputKind::YesNo => "assess.kind.yes_no",
        InputKind::Count => "assess.kind.count",
        InputKind::Survey => "assess.kind.survey",
    }
}

fn kind_name(k: &InputKind) -> &'static str {
    match k {
        InputKind::Points { .. } => "points",
        InputKind::Choice => "choice",
        InputKind::Number => "number",
        InputKind::YesNo => "yes_no",
        InputKind::Count => "count",
        InputKind::Survey => "survey",
    }
}

/// The answers of a choice or yes/no node: (value, label).
fn options(lang: Lang, n: &CriterionNode) -> Vec<(String, String)> {
    match &n.rule {
        Some(ScoringRule::Choice { options }) => options
            .iter()
            .map(|o| {
                let label = match lang {
                    Lang::En => o.label_en.clone().unwrap_or_else(|| o.label_vi.clone()),
                    Lang::Vi => o.label_vi.clone(),
                };
                (o.key.clone(), label)
            })
            .collect(),
        Some(ScoringRule::YesNo { .. }) => vec![
            ("yes".into(), i18n::t(lang, "common.yes").to_string()),
            ("no".into(), i18n::t(lang, "common.no").to_string()),
        ],
        _ => Vec::new(),
    }
}

fn title(lang: Lang, n: &CriterionNode) -> String {
    crate::names::node_title(lang, n)
}

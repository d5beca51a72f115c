//! Editions: the list (search, sort, pages) with a form for a new edition; one edition's
//! metadata, components and criteria tree; editing one criterion node and adding a node; import
//! of an edition file (or a criteria table) with a preview and a confirm step; export; deletion
//! with a confirmation page.
//!
//! Viewing needs `ViewEditions`; creating, importing, adding nodes and deleting need
//! `EditEditions`; editing one node needs `EditCriterion` for the node's effective lead agency
//! (without it, the node's page is shown read-only: every role reads the criteria).

use crate::error::PageError;
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use parindex_domain::edition::{Edition, Level};

mod rules;
pub use rules::*;
mod diff;
pub use diff::*;
mod list;
pub use list::*;
mod view;
pub use view::*;
mod import;
use import::*;
mod delete;
use delete::*;
mod nodes;
pub use nodes::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/editions", get(list).post(create))
        .route("/editions/{id}", get(view))
        .route("/editions/{id}/export", get(export))
        .route("/editions/{id}/import", post(import))
        .route("/editions/{id}/delete", get(delete_page).post(delete))
        .route("/editions/{id}/criteria", post(add_node))
        .route(
            "/editions/{id}/criteria/{code}",
            get(node_page).post(save_node),
        )
}

fn anchor(code: &str) -> String {
    format!("node-{}", code.replace('.', "-"))
}

fn level_options() -> Vec<(&'static str, String)> {
    Level::ALL
        .iter()
        .map(|l| (l.as_str(), format!("editions.level.{}", l.as_str())))
        .collect()
}

async fn load(state: &AppState, id: &str) -> Result<Edition, PageError> {
    state.store.edition(id).await?.ok_or(PageError::NotFound)
}

#[cfg(test)]
mod tests;

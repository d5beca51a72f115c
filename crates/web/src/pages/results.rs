//! TODO(results) placeholder replaced below.
use crate::i18n::Catalogue;
use crate::AppState;
use axum::Router;

pub const MESSAGES: Catalogue = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}

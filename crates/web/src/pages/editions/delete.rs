//! Deletion, with a confirmation page.

use super::*;
use crate::auth::Authed;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_domain::access::Action;

#[derive(Template)]
#[template(path = "edition_delete.html")]
struct DeletePage {
    l: Layout,
    id: String,
    name: String,
    components: usize,
    criteria: usize,
    results: usize,
    targets: usize,
}

pub(super) async fn delete_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::EditEditions)?;
    let e = load(&state, &id).await?;
    let page = DeletePage {
        l: Layout::new(&cu, "nav.editions", "editions.delete_title", &here(&uri)),
        id: e.id.clone(),
        name: e.name.clone(),
        components: e.components.len(),
        criteria: e.criteria.len(),
        results: state.store.results(&e.id).await?.len(),
        targets: state.store.targets(&e.id).await?.len(),
    };
    Ok(Html(page.render()?))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditEditions)?;
    load(&state, &id).await?;
    state.store.delete_edition(&id, &cu.user.username).await?;
    Ok(Redirect::to("/editions?done=deleted").into_response())
}

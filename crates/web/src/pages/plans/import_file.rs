//! Importing a plan file (`/plans/import`).

use super::*;
use crate::auth::Authed;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_domain::access::Action;
use parindex_store::StoreError;

/// Largest plan file accepted.
pub const PLAN_FILE_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Template)]
#[template(path = "plan_import.html")]
pub(super) struct ImportPage {
    l: Layout,
    errors: Vec<String>,
}

pub(super) async fn import_page(Authed(cu): Authed, uri: Uri) -> Result<Html<String>, PageError> {
    require(&cu, &Action::EditPlan)?;
    let page = ImportPage {
        l: Layout::new(&cu, "nav.plans", "plan.import", &here(&uri)),
        errors: Vec::new(),
    };
    Ok(Html(page.render()?))
}

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> PageError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        PageError::TooLarge
    } else {
        PageError::bad_form(e.body_text())
    }
}

pub(super) async fn import(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditPlan)?;
    let l = Layout::new(&cu, "nav.plans", "plan.import", &here(&uri));
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(safe_file_name).unwrap_or_default();
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if too_large || buf.len() + chunk.len() > PLAN_FILE_LIMIT {
                too_large = true;
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if !buf.is_empty() {
            file = Some((name, buf));
        }
    }
    let fail = |l: Layout, errors: Vec<String>| -> Result<Response, PageError> {
        let page = ImportPage { l, errors };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    if too_large {
        let e = vec![l.t("plan.file_too_large").to_string()];
        return fail(l, e);
    }
    let Some((name, bytes)) = file else {
        let e = vec![l.t("plan.file_required").to_string()];
        return fail(l, e);
    };
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(ext.as_str(), "toml" | "json") {
        let e = vec![l.t("plan.file_required").to_string()];
        return fail(l, e);
    }
    // Parsed off the async workers, under the upload cap (authorization is checked above).
    let parsed = crate::parse_pool::parse(move || {
        let text = String::from_utf8_lossy(&bytes);
        if ext == "toml" {
            parindex_interchange::plan::plan_from_toml(&text, &name)
        } else {
            parindex_interchange::plan::plan_from_json(&text, &name)
        }
    })
    .await?;
    let doc = match parsed {
        Ok(d) => d,
        Err(e) => {
            let errors = crate::upload::problem_lines(l.lang, &e);
            return fail(l, errors);
        }
    };
    match state.store.save_plan(&doc, &cu.user.username).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/plans/{}?done=imported", seg(&doc.plan.id))).into_response(),
        ),
        Err(StoreError::Invalid(refusals)) => {
            let lines = crate::refusals::lines(l.lang, &refusals);
            fail(l, lines)
        }
        Err(e) => Err(e.into()),
    }
}

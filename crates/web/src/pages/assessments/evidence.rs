//! Downloading an evidence file: only for users allowed to see the assessment of a unit the
//! document concerns (the unit that added it, or a unit whose items it backs), with the
//! sanitised original name in `Content-Disposition`.

use super::{evidence_config, item_lead};
use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::pages::require;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use parindex_domain::access::{can, Action};
use parindex_domain::edition::NodeCode;
use parindex_domain::units::UnitType;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/evidence/{id}", get(download))
}

/// Whether the user may see this document: `None` when there is no such document.
pub(crate) async fn evidence_allowed(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<Option<bool>, PageError> {
    let Some(e) = state.store.evidence(id).await? else {
        return Ok(None);
    };
    let actor = cu.actor();
    let plain = |unit: &str| can(&actor, &Action::ViewAssessment { unit, lead: None });
    if e.unit.as_deref().is_some_and(plain) {
        return Ok(Some(true));
    }
    let mut editions: BTreeMap<String, Option<parindex_domain::edition::Edition>> = BTreeMap::new();
    for (round, unit, code) in state.store.evidence_links(id).await? {
        if plain(&unit) {
            return Ok(Some(true));
        }
        // The province's items: the lead agency of the item may see their evidence.
        let Some(u) = state.store.unit(&unit).await? else {
            continue;
        };
        if u.unit_type != UnitType::Province {
            continue;
        }
        if !editions.contains_key(&round) {
            let ed = match state.store.round(&round).await? {
                Some(r) => state.store.edition(&r.edition_id).await?,
                None => None,
            };
            editions.insert(round.clone(), ed);
        }
        let (Some(Some(ed)), Ok(code)) = (editions.get(&round), NodeCode::parse(&code)) else {
            continue;
        };
        let lead = item_lead(&u, ed, &code);
        if lead.is_some() && can(&actor, &Action::ViewAssessment { unit: &unit, lead }) {
            return Ok(Some(true));
        }
    }
    Ok(Some(false))
}

/// `attachment; filename="Ke hoach.pdf"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf`
pub(crate) fn content_disposition(name: &str) -> String {
    crate::download::content_disposition(name, "tai-lieu")
}

async fn download(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewProvincialRanking)?;
    let global = can(
        &cu.actor(),
        &Action::ViewAssessment {
            unit: "",
            lead: None,
        },
    );
    let Ok(id) = id.parse::<i64>() else {
        return Err(if global {
            PageError::NotFound
        } else {
            PageError::Forbidden
        });
    };
    match evidence_allowed(&state, &cu, id).await? {
        Some(true) => {}
        None if global => return Err(PageError::NotFound),
        _ => return Err(PageError::Forbidden),
    }
    let Some((e, bytes)) = state
        .store
        .read_evidence_file(&evidence_config(&state), id)
        .await?
    else {
        return Err(PageError::NotFound);
    };
    let name = e.original_name.clone().unwrap_or_else(|| e.title.clone());
    let content_type = e
        .content_type
        .as_deref()
        .and_then(parindex_store::evidence::FileType::from_content_type)
        .map(|t| t.content_type())
        .unwrap_or("application/octet-stream");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(&name)),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_the_header() {
        assert_eq!(
            content_disposition("../../Kế hoạch.pdf"),
            "attachment; filename=\"Ke hoach.pdf\"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf"
        );
        assert_eq!(
            content_disposition("a\"b\r\n.pdf"),
            "attachment; filename=\"ab.pdf\"; filename*=UTF-8''ab.pdf"
        );
        assert!(content_disposition("").contains("tai-lieu"));
    }
}

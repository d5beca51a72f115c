//! Names in the user's language: criteria, components and units.

use crate::error::PageError;
use crate::i18n::Lang;
use crate::AppState;
use parindex_domain::edition::{Component, CriterionNode};
use std::collections::BTreeMap;

/// A node's title in the user's language.
pub fn node_title(lang: Lang, n: &CriterionNode) -> String {
    match lang {
        Lang::En => n.title_en.clone().unwrap_or_else(|| n.title_vi.clone()),
        Lang::Vi => n.title_vi.clone(),
    }
}

/// A component's name in the user's language.
pub fn component_name(lang: Lang, c: &Component) -> String {
    match lang {
        Lang::En => c.name_en.clone().unwrap_or_else(|| c.name_vi.clone()),
        Lang::Vi => c.name_vi.clone(),
    }
}

/// Unit slug → name in the user's language.
pub async fn unit_names(
    state: &AppState,
    lang: Lang,
) -> Result<BTreeMap<String, String>, PageError> {
    Ok(state
        .store
        .units(None)
        .await?
        .into_iter()
        .map(|u| {
            let name = match lang {
                Lang::En => u.name_en.unwrap_or(u.name_vi),
                Lang::Vi => u.name_vi,
            };
            (u.slug, name)
        })
        .collect())
}

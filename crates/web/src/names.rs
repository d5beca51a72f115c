//! Names in the user's language: criteria, components, units, users and the records the audit
//! log names by their codes.

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

/// The name of the user behind a login, as the audit log and the pages show who did something:
/// the automatic jobs and the demo loader in words, an unknown login as it is.
pub async fn user_name(state: &AppState, lang: Lang, login: &str) -> Result<String, PageError> {
    Ok(match login {
        "" => String::new(),
        "system" => crate::i18n::t(lang, "audit.actor.system").to_string(),
        "demo" => crate::i18n::t(lang, "audit.actor.demo").to_string(),
        _ => state
            .store
            .user_by_username(login)
            .await?
            .map(|(u, _)| u.display_name)
            .unwrap_or_else(|| login.to_string()),
    })
}

/// Login → the user's name, for every user (the audit log names many at once).
pub async fn user_names(state: &AppState) -> Result<BTreeMap<String, String>, PageError> {
    Ok(state
        .store
        .users(None)
        .await?
        .into_iter()
        .map(|u| (u.username, u.display_name))
        .collect())
}

/// At most this many characters of a long title (a task's) in a record's name.
const TITLE_MAX: usize = 60;

fn short(title: &str) -> String {
    if title.chars().count() <= TITLE_MAX {
        return title.to_string();
    }
    let cut: String = title.chars().take(TITLE_MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Code → name of the records whose codes make up the audit log's record ids: plans, their
/// tasks ("II.2.b Rà soát…", cut at 60 characters), assessment rounds and editions.
pub async fn record_names(state: &AppState) -> Result<BTreeMap<String, String>, PageError> {
    let mut out = BTreeMap::new();
    for p in state.store.plans().await? {
        if let Some(doc) = state.store.plan_document(&p.id).await? {
            for t in &doc.tasks {
                out.insert(t.id.clone(), short(&format!("{} {}", t.section, t.title)));
            }
        }
        out.insert(p.id, short(&p.title));
    }
    for r in state.store.rounds().await? {
        out.insert(r.round.id.clone(), r.round.name.clone());
    }
    for e in state.store.editions(None).await? {
        out.insert(e.id.clone(), e.name.clone());
    }
    Ok(out)
}

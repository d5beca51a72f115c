//! Publication, with confirmation.

use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::assessments::{pct, unit_name};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::Action;
use parindex_domain::assessment::Round;
use parindex_store::assessments::RoundRanking;
use parindex_store::StoreError;
use serde::Deserialize;
use std::collections::BTreeMap;

pub struct Blocker {
    pub unit: String,
    pub slug: String,
    pub missing: String,
    pub disputes: String,
}

pub struct PreviewLine {
    pub rank: u32,
    pub unit: String,
    pub total: String,
    pub pct: String,
    pub class: String,
}

#[derive(Template)]
#[template(path = "assessment_publish.html")]
struct PublishPage {
    l: Layout,
    round: Round,
    blockers: Vec<Blocker>,
    preview: Vec<PreviewLine>,
    error: Option<String>,
    today: String,
}

async fn render_publish(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    id: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let round = state.store.round(id).await?.ok_or(PageError::NotFound)?;
    if round.is_published() {
        return Ok(Redirect::to(&format!("/rankings/{id}")).into_response());
    }
    let l = Layout::new(cu, "nav.assessments", "assess.publish_title", &here(uri));
    let lang = l.lang;
    let names: BTreeMap<String, String> = crate::names::unit_names(state, lang).await?;
    let name = |s: &str| names.get(s).cloned().unwrap_or_else(|| s.to_string());
    let join = |v: &[parindex_domain::edition::NodeCode]| {
        v.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let blockers = state
        .store
        .publication_blockers(id)
        .await?
        .into_iter()
        .map(|(u, missing, disputes)| Blocker {
            unit: name(&u),
            slug: u,
            missing: join(&missing),
            disputes: join(&disputes),
        })
        .collect();
    let preview = match state.store.provisional_ranking(id).await? {
        Some(rk) => preview_lines(lang, &rk),
        None => Vec::new(),
    };
    let page = PublishPage {
        l,
        round,
        blockers,
        preview,
        error,
        today: dates::date(state.today()),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn preview_lines(lang: Lang, rk: &RoundRanking) -> Vec<PreviewLine> {
    rk.rows
        .iter()
        .map(|r| PreviewLine {
            rank: r.rank,
            unit: rk
                .units
                .get(&r.unit)
                .map(|u| unit_name(lang, u))
                .unwrap_or_else(|| r.unit.clone()),
            total: format!("{} / {}", i18n::num(lang, r.total), i18n::num(lang, r.max)),
            pct: pct(lang, r.pct),
            class: r
                .class
                .as_ref()
                .map(|(_, c)| match lang {
                    Lang::En => c.label_en.clone().unwrap_or_else(|| c.label_vi.clone()),
                    Lang::Vi => c.label_vi.clone(),
                })
                .unwrap_or_default(),
        })
        .collect()
}

pub(super) async fn publish_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    render_publish(&state, &cu, &uri, &id, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct PublishInput {
    confirm: Option<String>,
}

pub(super) async fn publish(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<PublishInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let lang = Lang::parse(&cu.user.lang);
    if f.confirm.as_deref() != Some("1") {
        let e = i18n::t(lang, "assess.err.confirm").to_string();
        return render_publish(
            &state,
            &cu,
            &uri,
            &id,
            Some(e),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .store
        .publish_round(&id, state.today(), &cu.user.username)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/rankings/{id}?done=published")).into_response()),
        Err(StoreError::Invalid(m)) => {
            let e = format!(
                "{} {}",
                i18n::t(lang, "assess.err.publish"),
                crate::refusals::lines(lang, &m).join("; ")
            );
            render_publish(
                &state,
                &cu,
                &uri,
                &id,
                Some(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

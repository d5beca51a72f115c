//! The coordinator's page of the public pages (`/cong-khai/quan-ly`): what is public (each with
//! a withdraw link, confirmed on a page of its own), what can be made public (the editions of
//! the national index with results, the rounds published inside the province, the months and
//! years of dossier rates), each with a form for the decision's number and date, and what was
//! withdrawn. Publishing and withdrawing are audited by the store.

use super::views::{decision_text, public_path, title_of};
use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use parindex_domain::access::Action;
use parindex_domain::edition::Level;
use parindex_store::{DossierPeriod, NewPublication, Publication, PublicationKind, StoreError};
use serde::Deserialize;
use std::collections::BTreeSet;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cong-khai/quan-ly", get(page).post(publish))
        .route(
            "/cong-khai/quan-ly/{id}/rut",
            get(withdraw_page).post(withdraw),
        )
}

/// A publication as the page lists it.
pub struct Row {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub decision: String,
    pub href: String,
    pub at: String,
    pub by: String,
}

/// Something that can be made public.
pub struct Candidate {
    pub kind: &'static str,
    pub kind_name: &'static str,
    pub target: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "public_manage.html")]
struct ManagePage {
    l: Layout,
    public_home: String,
    error: Option<String>,
    live: Vec<Row>,
    withdrawn: Vec<Row>,
    candidates: Vec<Candidate>,
}

#[derive(Template)]
#[template(path = "public_withdraw.html")]
struct WithdrawPage {
    l: Layout,
    row: Row,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn kind_key(k: PublicationKind) -> &'static str {
    match k {
        PublicationKind::Results => "public.kind.results",
        PublicationKind::Ranking => "public.kind.ranking",
        PublicationKind::Dossiers => "public.kind.dossiers",
    }
}

async fn row_of(state: &AppState, lang: Lang, p: &Publication) -> Result<Row, PageError> {
    let withdrawn = !p.is_live();
    Ok(Row {
        id: p.id,
        kind: kind_key(p.kind),
        name: title_of(state, lang, p)
            .await?
            .unwrap_or_else(|| p.target.clone()),
        decision: decision_text(lang, p),
        href: super::href(lang, &public_path(p)),
        at: crate::dates::timestamp(if withdrawn {
            p.withdrawn_at.as_deref().unwrap_or_default()
        } else {
            &p.published_at
        }),
        by: crate::names::user_name(
            state,
            lang,
            if withdrawn {
                p.withdrawn_by.as_deref().unwrap_or_default()
            } else {
                &p.published_by
            },
        )
        .await?,
    })
}

/// What can be published and is not public now.
async fn candidates(
    state: &AppState,
    lang: Lang,
    all: &[Publication],
) -> Result<Vec<Candidate>, PageError> {
    let is_live = |k: PublicationKind, t: &str| {
        all.iter()
            .any(|p| p.is_live() && p.kind == k && p.target == t)
    };
    let mut out = Vec::new();
    let mut push = |k: PublicationKind, target: String, name: String| {
        if !is_live(k, &target) {
            out.push(Candidate {
                kind: k.as_str(),
                kind_name: kind_key(k),
                target,
                name,
            });
        }
    };
    for e in state.store.editions(None).await? {
        if e.level == Level::Province && e.results > 0 {
            push(PublicationKind::Results, e.id, e.name);
        }
    }
    for r in state.store.rounds().await? {
        if r.round.is_published() {
            push(PublicationKind::Ranking, r.round.id, r.round.name);
        }
    }
    let months: BTreeSet<_> = state
        .store
        .dossier_cells()
        .await?
        .iter()
        .map(|c| c.cell.month)
        .collect();
    let years: BTreeSet<i32> = months.iter().map(|m| m.year()).collect();
    let periods = months
        .into_iter()
        .map(DossierPeriod::Month)
        .chain(years.into_iter().map(DossierPeriod::Year));
    for p in periods {
        let name = format!(
            "{} {}",
            i18n::t(lang, "public.dossiers_of"),
            super::views::period_label(lang, p)
        );
        push(PublicationKind::Dossiers, p.to_string(), name);
    }
    Ok(out)
}

async fn render(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    error: Option<String>,
    done: Option<&str>,
) -> Result<ManagePage, PageError> {
    let mut l = Layout::new(cu, "nav.public", "public.manage", &here(uri));
    let lang = l.lang;
    l.flash = match done {
        Some("published") => Some(l.t("public.done_published").to_string()),
        Some("withdrawn") => Some(l.t("public.done_withdrawn").to_string()),
        _ => None,
    };
    let all = state.store.publications().await?;
    let mut live = Vec::new();
    let mut withdrawn = Vec::new();
    for p in &all {
        let row = row_of(state, lang, p).await?;
        if p.is_live() {
            live.push(row);
        } else {
            withdrawn.push(row);
        }
    }
    Ok(ManagePage {
        public_home: super::href(lang, "/cong-khai"),
        candidates: candidates(state, lang, &all).await?,
        l,
        error,
        live,
        withdrawn,
    })
}

async fn page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ManagePublications)?;
    let page = render(&state, &cu, &uri, None, q.done.as_deref()).await?;
    Ok(Html(page.render()?))
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    kind: String,
    target: String,
    #[serde(default)]
    decision_ref: String,
    #[serde(default)]
    decision_on: String,
}

async fn publish(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Form(f): Form<PublishForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManagePublications)?;
    let lang = Lang::parse(&cu.user.lang);
    let kind = PublicationKind::parse(&f.kind).ok_or_else(|| {
        PageError::refused(
            "kind",
            parindex_store::RefusalKind::NotOneOf {
                value: f.kind.clone(),
                allowed: &["results", "ranking", "dossiers"],
            },
        )
    })?;
    let decision_on = match f.decision_on.trim() {
        "" => None,
        s => Some(crate::dates::parse_date(s).ok_or_else(|| {
            PageError::refused(
                "decision_on",
                parindex_store::RefusalKind::Malformed {
                    value: s.to_string(),
                    expected: "dd/mm/yyyy",
                },
            )
        })?),
    };
    let new = NewPublication {
        kind,
        target: f.target.trim().to_string(),
        decision_ref: Some(f.decision_ref.trim().to_string()).filter(|s| !s.is_empty()),
        decision_on,
    };
    match state.store.publish(&new, &cu.user.username).await {
        Ok(_) => Ok(Redirect::to("/cong-khai/quan-ly?done=published").into_response()),
        Err(StoreError::Invalid(m)) => {
            let e = format!(
                "{} {}",
                i18n::t(lang, "public.err.publish"),
                crate::refusals::lines(lang, &m).join("; ")
            );
            let page = render(&state, &cu, &uri, Some(e), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The live publication `id`, or 404.
async fn live_row(state: &AppState, lang: Lang, id: i64) -> Result<Row, PageError> {
    let all = state.store.publications().await?;
    let p = all
        .iter()
        .find(|p| p.id == id && p.is_live())
        .ok_or(PageError::NotFound)?;
    row_of(state, lang, p).await
}

async fn withdraw_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ManagePublications)?;
    let l = Layout::new(&cu, "nav.public", "public.withdraw_title", &here(&uri));
    let row = live_row(&state, l.lang, id).await?;
    Ok(Html(WithdrawPage { l, row }.render()?))
}

#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    confirm: Option<String>,
}

async fn withdraw(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManagePublications)?;
    if f.confirm.as_deref() != Some("1") {
        let l = Layout::new(&cu, "nav.public", "public.withdraw_title", &here(&uri));
        let row = live_row(&state, l.lang, id).await?;
        let html = WithdrawPage { l, row }.render()?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    live_row(&state, Lang::parse(&cu.user.lang), id).await?;
    state
        .store
        .withdraw_publication(id, &cu.user.username)
        .await?;
    Ok(Redirect::to("/cong-khai/quan-ly?done=withdrawn").into_response())
}

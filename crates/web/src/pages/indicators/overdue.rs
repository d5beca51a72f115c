//! An agency's overdue dossiers and their explanations: the list of late dossiers, and the
//! explanation the agency's own users write for each.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::{can, Action};
use parindex_domain::dossiers::overdue_list::{months_with_data, overdue_list};
use parindex_domain::dossiers::Month;
use parindex_store::{Explanation, OverdueEntry, Refusals};
use serde::Deserialize;

pub struct DossierRow {
    pub code: String,
    pub href: String,
    pub procedure: String,
    pub outcome_key: String,
    pub received: String,
    pub due: String,
    pub closed: String,
    pub explained: bool,
    pub written_by: String,
}

#[derive(Template)]
#[template(path = "dossiers_agency.html")]
struct AgencyPage {
    l: Layout,
    unit_href: String,
    name: String,
    month: String,
    months: Vec<String>,
    only_unexplained: bool,
    rows: Vec<DossierRow>,
    total: usize,
    explained: usize,
    page: usize,
    pages: usize,
    prev: String,
    next: String,
    can_explain: bool,
    sample: bool,
    export_href: String,
}

const PER_PAGE: usize = 50;

pub(super) async fn agency_list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(unit): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    // Authorise before revealing whether the agency has any dossier.
    require(&cu, &Action::ViewDossiers { unit: &unit })?;
    let xlsx = crate::export::wants_xlsx(q.export.as_deref())?;
    let lang = Lang::parse(&cu.user.lang);
    let flash = q.saved.map(|_| i18n::t(lang, "dossiers.saved").to_string());
    let l =
        Layout::new(&cu, "nav.indicators", "dossiers.agency_title", &here(&uri)).with_flash(flash);
    let month = q.month.as_deref().and_then(Month::parse);
    let only_unexplained = q.show.as_deref() == Some("unexplained");
    let known = state.store.unit(&unit).await?;
    let all = state.store.overdue_dossiers(&unit, month).await?;
    if known.is_none() && all.is_empty() && month.is_none() {
        return Err(PageError::NotFound);
    }
    let months: Vec<String> = months_with_data(
        state
            .store
            .dossier_cells()
            .await?
            .into_iter()
            .filter(|c| c.cell.agency == unit)
            .map(|c| c.cell.month),
    )
    .iter()
    .map(|m| m.to_string())
    .collect();
    let explained = all.iter().filter(|e| e.explanation.is_some()).count();
    let sample = all.iter().any(|e| e.sample);
    // Unexplained first, then by due date.
    let list = overdue_list(
        all,
        only_unexplained,
        |e| e.explanation.is_some(),
        |e| e.dossier.due_at.as_str(),
    );
    let unit_href = format!("/dossiers/{}", seg(&unit));
    if xlsx {
        let rows: Vec<DossierRow> = list
            .into_iter()
            .map(|e| dossier_row(&unit_href, e))
            .collect();
        return crate::pages::tables::overdue_xlsx(lang, &unit, &rows);
    }
    let total = list.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let href = |p: usize| page_href(month, only_unexplained, p);
    let rows = list
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|e| dossier_row(&unit_href, e))
        .collect();
    let page = AgencyPage {
        can_explain: can(&cu.actor(), &Action::ExplainDossier { unit: &unit }),
        name: known.map(|u| u.name_vi).unwrap_or_else(|| unit.clone()),
        unit_href,
        month: month.map(|m| m.to_string()).unwrap_or_default(),
        months,
        only_unexplained,
        rows,
        total,
        explained,
        prev: href(page.saturating_sub(1).max(1)),
        next: href((page + 1).min(pages)),
        page,
        pages,
        sample,
        export_href: crate::export::export_href(&uri),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

/// The link to page `p` of the list, keeping the month and the filter.
fn page_href(month: Option<Month>, only_unexplained: bool, p: usize) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(m) = month {
        pairs.push(("month", m.to_string()));
    }
    if only_unexplained {
        pairs.push(("show", "unexplained".into()));
    }
    let base = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if base.is_empty() {
        format!("?page={p}")
    } else {
        format!("?{base}&page={p}")
    }
}

/// One overdue dossier as listed.
fn dossier_row(unit_href: &str, e: OverdueEntry) -> DossierRow {
    DossierRow {
        href: format!("{unit_href}/{}", seg(&e.dossier.code)),
        code: e.dossier.code,
        procedure: e.dossier.procedure,
        outcome_key: format!("dossiers.outcome.{}", e.dossier.outcome.as_str()),
        received: when(&e.dossier.received_at),
        due: when(&e.dossier.due_at),
        closed: e.dossier.closed_at.as_deref().map(when).unwrap_or_default(),
        explained: e.explanation.is_some(),
        written_by: e.explanation.map(|x| x.written_by).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "dossiers_explain.html")]
struct ExplainPage {
    l: Layout,
    unit_href: String,
    action: String,
    name: String,
    code: String,
    procedure: String,
    outcome_key: String,
    received: String,
    due: String,
    result: String,
    closed: String,
    status: String,
    sample: bool,
    can_explain: bool,
    written: String,
    reason: String,
    responsible: String,
    remedy: String,
    err_reason: Option<&'static str>,
    err_responsible: Option<&'static str>,
    err_remedy: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct ExplainForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    responsible: String,
    #[serde(default)]
    remedy: String,
}

async fn explain_view(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    unit: &str,
    code: &str,
    form: Option<(&ExplainForm, Refusals)>,
) -> Result<ExplainPage, PageError> {
    let entry = state
        .store
        .overdue_dossier(unit, code)
        .await?
        .ok_or(PageError::NotFound)?;
    let l = Layout::new(cu, "nav.indicators", "dossiers.explain_title", &here(uri));
    let lang = l.lang;
    let name = state
        .store
        .unit(unit)
        .await?
        .map(|u| u.name_vi)
        .unwrap_or_else(|| unit.to_string());
    let d = &entry.dossier;
    let (reason, responsible, remedy, errors) = match form {
        Some((f, errs)) => (
            f.reason.clone(),
            f.responsible.clone(),
            f.remedy.clone(),
            errs,
        ),
        None => match &entry.explanation {
            Some(e) => (
                e.reason.clone(),
                e.responsible.clone(),
                e.remedy.clone(),
                Refusals::new(),
            ),
            None => Default::default(),
        },
    };
    let err = |field: &str| {
        errors
            .of(field)
            .next()
            .map(|k| i18n::t(lang, crate::refusals::explanation_key(k)))
    };
    let unit_href = format!("/dossiers/{}", seg(unit));
    Ok(ExplainPage {
        action: format!("{unit_href}/{}", seg(code)),
        unit_href,
        name,
        code: d.code.clone(),
        procedure: d.procedure.clone(),
        outcome_key: format!("dossiers.outcome.{}", d.outcome.as_str()),
        received: when(&d.received_at),
        due: when(&d.due_at),
        result: d
            .result_at
            .as_deref()
            .map(when)
            .unwrap_or_else(|| "—".into()),
        closed: d
            .closed_at
            .as_deref()
            .map(when)
            .unwrap_or_else(|| "—".into()),
        status: d.status.clone().unwrap_or_default(),
        sample: entry.sample,
        can_explain: can(&cu.actor(), &Action::ExplainDossier { unit }),
        written: entry
            .explanation
            .as_ref()
            .map(|e| format!("{} · {}", e.written_by, dates::timestamp(&e.written_at)))
            .unwrap_or_default(),
        reason,
        responsible,
        remedy,
        err_reason: err("reason"),
        err_responsible: err("responsible"),
        err_remedy: err("remedy"),
        l,
    })
}

pub(super) async fn explain_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((unit, code)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewDossiers { unit: &unit })?;
    let page = explain_view(&state, &cu, &uri, &unit, &code, None).await?;
    Ok(Html(page.render()?))
}

pub(super) async fn explain(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((unit, code)): Path<(String, String)>,
    Form(f): Form<ExplainForm>,
) -> Result<Response, PageError> {
    // Only the coordinator and the unit's own users write its explanations.
    require(&cu, &Action::ExplainDossier { unit: &unit })?;
    let e = Explanation {
        reason: f.reason.clone(),
        responsible: f.responsible.clone(),
        remedy: f.remedy.clone(),
        written_by: String::new(),
        written_at: String::new(),
    };
    let problems = e.problems();
    if !problems.is_empty() {
        let page = explain_view(&state, &cu, &uri, &unit, &code, Some((&f, problems))).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    state
        .store
        .explain_dossier(&unit, &code, &e, &cu.user.username)
        .await?;
    Ok(Redirect::to(&format!("/dossiers/{}?saved=1", seg(&unit))).into_response())
}

//! The list of plans (`GET /plans`).

use super::*;
use crate::auth::Authed;
use crate::dates;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, require, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::access::{can, Action};
use parindex_domain::text::fold;

pub struct PlanRow {
    pub href: String,
    pub id: String,
    pub number: String,
    pub title: String,
    pub year: i32,
    pub issued_on: String,
    pub signer: String,
    pub tasks: usize,
}

#[derive(Template)]
#[template(path = "plans.html")]
pub(super) struct PlansPage {
    l: Layout,
    q: String,
    rows: Paged<PlanRow>,
    sort_title: String,
    sort_year: String,
    export_href: String,
    can_import: bool,
}

pub(super) async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    let l = Layout::new(&cu, "nav.plans", "plan.list_title", &here(&uri));
    let mut rows = Vec::new();
    for p in state.store.plans().await? {
        let hay = fold(&format!("{} {} {}", p.id, p.title, p.number));
        if q.search().is_some_and(|s| !hay.contains(&s)) {
            continue;
        }
        let tasks = state
            .store
            .plan_document(&p.id)
            .await?
            .map(|d| d.tasks.len())
            .unwrap_or(0);
        rows.push(PlanRow {
            href: format!("/plans/{}", seg(&p.id)),
            id: p.id,
            number: p.number,
            title: p.title,
            year: p.year,
            issued_on: dates::date(p.issued_on),
            signer: p.signer,
            tasks,
        });
    }
    match q.sort.as_deref() {
        Some("title") => rows.sort_by_key(|r| fold(&r.title)),
        Some("year") => rows.sort_by_key(|r| r.year),
        _ => {}
    }
    if q.descending() {
        rows.reverse();
    }
    if q.wants_xlsx()? {
        let mut sheet = crate::export::sheet(
            l.lang,
            "plan.list_title",
            &[
                "plan.number",
                "plan.title",
                "plan.year",
                "plan.issued_on",
                "plan.signer",
                "plan.tasks_count",
            ],
        );
        for r in &rows {
            sheet.rows.push(vec![
                r.number.as_str().into(),
                r.title.as_str().into(),
                Cell::Int(i64::from(r.year)),
                r.issued_on.as_str().into(),
                r.signer.as_str().into(),
                r.tasks.into(),
            ]);
        }
        return xlsx_response("ke-hoach", &[sheet]);
    }
    let page = PlansPage {
        can_import: can(&cu.actor(), &Action::EditPlan),
        l,
        q: q.q.clone().unwrap_or_default(),
        sort_title: q.sort_href("title"),
        sort_year: q.sort_href("year"),
        export_href: q.export_href(),
        rows: q.paged(rows, 25),
    };
    Ok(Html(page.render()?).into_response())
}

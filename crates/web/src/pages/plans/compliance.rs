//! The compliance table per agency (`GET /plans/{id}/compliance`).

use super::*;
use crate::auth::Authed;
use crate::dates;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, require, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::access::Action;
use parindex_domain::text::fold;
use std::collections::BTreeMap;

pub struct ComplianceRow {
    pub slug: String,
    pub unit: String,
    pub assignments: usize,
    pub accepted: usize,
    pub submitted: usize,
    pub overdue: usize,
    pub missing: usize,
    pub late: usize,
    pub head: String,
    /// The head's evaluation record, linked only for those who may read it.
    pub eval_href: Option<String>,
}

#[derive(Template)]
#[template(path = "plan_compliance.html")]
pub(super) struct CompliancePage {
    l: Layout,
    nav: PlanNav,
    today: String,
    q: String,
    rows: Paged<ComplianceRow>,
    sorts: BTreeMap<&'static str, String>,
    export_href: String,
}

impl CompliancePage {
    fn col(&self, column: &str) -> &str {
        self.sorts.get(column).map(String::as_str).unwrap_or("")
    }
}

pub(super) async fn compliance(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewAccountability)?;
    let st = load_state(&state, &id, None).await?;
    let l = Layout::new(&cu, "nav.plans", "plan.view_compliance", &here(&uri));
    let lang = l.lang;
    let units = units_by_slug(&state).await?;
    let actor = cu.actor();
    let search = q.search();
    let mut rows: Vec<ComplianceRow> = st
        .compliance
        .iter()
        .map(|(slug, c)| ComplianceRow {
            slug: slug.clone(),
            unit: unit_name(&units, lang, slug),
            assignments: c.assignments,
            accepted: c.accepted,
            submitted: c.submitted,
            overdue: c.overdue,
            missing: c.missing_reports,
            late: c.late_reports,
            head: head_of(&units, slug),
            eval_href: crate::pages::accountability::evaluation_href(
                &actor,
                slug,
                st.doc.plan.year,
            ),
        })
        .filter(|r| {
            search
                .as_ref()
                .is_none_or(|s| fold(&format!("{} {} {}", r.slug, r.unit, r.head)).contains(s))
        })
        .collect();
    rows.sort_by_key(|r| fold(&r.unit));
    match q.sort.as_deref() {
        Some("assignments") => rows.sort_by_key(|r| r.assignments),
        Some("accepted") => rows.sort_by_key(|r| r.accepted),
        Some("submitted") => rows.sort_by_key(|r| r.submitted),
        Some("overdue") => rows.sort_by_key(|r| r.overdue),
        Some("missing") => rows.sort_by_key(|r| r.missing),
        Some("late") => rows.sort_by_key(|r| r.late),
        Some("head") => rows.sort_by_key(|r| fold(&r.head)),
        _ => {}
    }
    if q.descending() {
        rows.reverse();
    }
    if q.wants_xlsx()? {
        let mut sheet = crate::export::sheet(
            lang,
            "plan.view_compliance",
            &[
                "plan.unit",
                "comp.assignments",
                "comp.accepted",
                "comp.submitted",
                "comp.overdue",
                "comp.missing",
                "comp.late",
                "plan.head",
            ],
        );
        for r in &rows {
            sheet.rows.push(vec![
                r.unit.as_str().into(),
                r.assignments.into(),
                r.accepted.into(),
                r.submitted.into(),
                r.overdue.into(),
                r.missing.into(),
                r.late.into(),
                r.head.as_str().into(),
            ]);
        }
        return xlsx_response(&format!("{id}-tinh-hinh-thuc-hien"), &[sheet]);
    }
    let sorts = [
        "unit",
        "assignments",
        "accepted",
        "submitted",
        "overdue",
        "missing",
        "late",
        "head",
    ]
    .into_iter()
    .map(|c| (c, q.sort_href(c)))
    .collect();
    let page = CompliancePage {
        nav: PlanNav::new(&cu, &id, "plan.view_compliance"),
        today: dates::date(st.today),
        q: q.q.clone().unwrap_or_default(),
        rows: q.paged(rows, 25),
        sorts,
        export_href: q.export_href(),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

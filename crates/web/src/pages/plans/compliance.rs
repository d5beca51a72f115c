//! The compliance table per agency (`GET /plans/{id}/compliance`).

use super::*;
use crate::auth::Authed;
use crate::dates;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::pages::{here, require, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::access::Action;
use parindex_domain::plan::listing::{
    order_compliance, search_keeps, ComplianceKey, ComplianceOrder,
};
use parindex_domain::plan::Compliance;
use parindex_domain::units::Unit;
use parindex_store::PlanState;
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
    let rows = compliance_rows(&st, &units, lang, &cu.actor(), &q);
    if q.wants_xlsx()? {
        return compliance_xlsx(lang, &id, &rows);
    }
    let sorts = ComplianceOrder::COLUMNS
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

/// One row per unit the search keeps, in the order asked for.
fn compliance_rows(
    st: &PlanState,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    actor: &parindex_domain::access::Actor,
    q: &PlanQuery,
) -> Vec<ComplianceRow> {
    let search = q.search();
    let mut rows: Vec<ComplianceRow> = st
        .compliance
        .iter()
        .map(|(slug, c)| ComplianceRow {
            slug: slug.clone(),
            unit: unit_name(units, lang, slug),
            assignments: c.assignments,
            accepted: c.accepted,
            submitted: c.submitted,
            overdue: c.overdue,
            missing: c.missing_reports,
            late: c.late_reports,
            head: head_of(units, slug),
            eval_href: crate::pages::accountability::evaluation_href(actor, slug, st.doc.plan.year),
        })
        .filter(|r| {
            search_keeps(
                search.as_deref(),
                &format!("{} {} {}", r.slug, r.unit, r.head),
            )
        })
        .collect();
    order_compliance(
        &mut rows,
        ComplianceOrder::parse(q.sort.as_deref()),
        q.descending(),
        |r| ComplianceKey {
            unit: &r.unit,
            head: &r.head,
            counts: Compliance {
                assignments: r.assignments,
                accepted: r.accepted,
                submitted: r.submitted,
                overdue: r.overdue,
                missing_reports: r.missing,
                late_reports: r.late,
            },
        },
    );
    rows
}

/// The table as a spreadsheet.
fn compliance_xlsx(
    lang: Lang,
    plan_id: &str,
    rows: &[ComplianceRow],
) -> Result<Response, PageError> {
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
    for r in rows {
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
    xlsx_response(&format!("{plan_id}-tinh-hinh-thuc-hien"), &[sheet])
}

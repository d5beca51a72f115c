//! A unit's own tasks (`GET /plans/{id}/my`).

use super::*;
use crate::auth::Authed;
use crate::dates;
use crate::dates::opt_date;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use jiff::civil::Date;
use parindex_domain::access::Action;
use parindex_domain::plan::listing::{order_my_tasks, search_keeps, MyTaskKey, MyTasksOrder};
use parindex_domain::plan::Status;
use parindex_domain::text::fold;
use parindex_domain::units::Unit;
use parindex_store::PlanState;
use std::collections::{BTreeMap, BTreeSet};

pub struct MyRow {
    pub href: String,
    pub section: String,
    pub title: String,
    pub lead: String,
    pub deadline: String,
    pub status: Status,
    pub status_key: &'static str,
    pub status_class: &'static str,
    pub open_period: String,
    pub next_due: Option<Date>,
    pub next_due_text: String,
    pub progress: u8,
    position: usize,
}

#[derive(Template)]
#[template(path = "plan_my.html")]
pub(super) struct MyPage {
    l: Layout,
    nav: PlanNav,
    today: String,
    picker: bool,
    unit: String,
    unit_name: String,
    head: String,
    units: Vec<(String, String)>,
    no_unit: bool,
    q: String,
    rows: Paged<MyRow>,
    sort_section: String,
    sort_due: String,
    sort_status: String,
    export_href: String,
}

pub(super) async fn my_tasks(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    if state.store.plan(&id).await?.is_none() {
        return Err(PageError::NotFound);
    }
    let l = Layout::new(&cu, "nav.plans", "plan.view_my", &here(&uri));
    let lang = l.lang;
    let units = units_by_slug(&state).await?;
    // Agency and lead-agency users always see their own unit, whatever the query says.
    let picker = !cu.role().needs_unit();
    let unit: Option<String> = if picker {
        non_empty(&q.unit)
            .filter(|u| units.contains_key(*u))
            .map(str::to_string)
            .or_else(|| cu.user.unit.clone())
    } else {
        cu.user.unit.clone()
    };
    let st = load_state(&state, &id, Some(unit.as_deref().unwrap_or(""))).await?;
    let rows = my_rows(&st, &id, &units, lang, &q);
    let name = unit
        .as_deref()
        .map(|u| unit_name(&units, lang, u))
        .unwrap_or_default();
    if q.wants_xlsx()? {
        let stem = format!("nhiem-vu-{}", unit.as_deref().unwrap_or("don-vi"));
        return my_tasks_xlsx(lang, &name, &rows, &stem);
    }
    // The picker offers the units that have assignments in this plan.
    let assigned: BTreeSet<String> = state
        .store
        .assignments(&id, None)
        .await?
        .into_iter()
        .map(|a| a.unit)
        .collect();
    let mut options: Vec<(String, String)> = assigned
        .iter()
        .map(|s| (s.clone(), unit_name(&units, lang, s)))
        .collect();
    options.sort_by_key(|(_, n)| fold(n));
    let page = MyPage {
        nav: PlanNav::new(&cu, &id, "plan.view_my"),
        today: dates::date(st.today),
        picker,
        head: unit
            .as_deref()
            .map(|u| head_of(&units, u))
            .unwrap_or_default(),
        no_unit: unit.is_none(),
        unit: unit.clone().unwrap_or_default(),
        unit_name: name,
        units: options,
        q: q.q.clone().unwrap_or_default(),
        sort_section: q.sort_href("section"),
        sort_due: q.sort_href("due"),
        sort_status: q.sort_href("status"),
        export_href: q.export_href(),
        rows: q.paged(rows, 25),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

/// The unit's assignments the search keeps, in the order asked for.
fn my_rows(
    st: &PlanState,
    plan_id: &str,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    q: &PlanQuery,
) -> Vec<MyRow> {
    let search = q.search();
    let mut rows: Vec<MyRow> = Vec::new();
    for (i, ts) in st.tasks.iter().enumerate() {
        let t = &ts.task;
        let lead = t
            .lead_agency
            .as_deref()
            .map(|s| unit_name(units, lang, s))
            .unwrap_or_default();
        let text = format!("{} {} {} {lead}", t.id, t.section, t.title);
        if !search_keeps(search.as_deref(), &text) {
            continue;
        }
        for a in &ts.assignments {
            let next_due = a.open_period.as_ref().map(|p| p.period.due);
            rows.push(MyRow {
                href: format!(
                    "{}?unit={}",
                    task_href(plan_id, &t.id),
                    seg(&a.assignment.unit)
                ),
                section: t.section.clone(),
                title: t.title.clone(),
                lead: lead.clone(),
                deadline: deadline_words(lang, &t.deadline),
                status: a.status,
                status_key: status_key(a.status),
                status_class: status_class(a.status),
                open_period: a
                    .open_period
                    .as_ref()
                    .map(|p| period_label(lang, &p.period.key))
                    .unwrap_or_else(|| "—".into()),
                next_due,
                next_due_text: opt_date(next_due),
                progress: a.assignment.progress_pct,
                position: i,
            });
        }
    }
    order_my_tasks(
        &mut rows,
        MyTasksOrder::parse(q.sort.as_deref()),
        q.descending(),
        |r| MyTaskKey {
            next_due: r.next_due,
            status: r.status,
            position: r.position,
        },
    );
    rows
}

/// The rows as a spreadsheet.
fn my_tasks_xlsx(
    lang: Lang,
    unit_name: &str,
    rows: &[MyRow],
    stem: &str,
) -> Result<Response, PageError> {
    let mut sheet = crate::export::sheet(
        lang,
        "plan.view_my",
        &[
            "plan.unit",
            "plan.section",
            "plan.task",
            "plan.lead",
            "plan.deadline",
            "plan.status",
            "plan.open_period",
            "plan.next_due",
            "plan.progress",
        ],
    );
    for r in rows {
        sheet.rows.push(vec![
            unit_name.into(),
            r.section.as_str().into(),
            r.title.as_str().into(),
            r.lead.as_str().into(),
            r.deadline.as_str().into(),
            i18n::t(lang, r.status_key).into(),
            r.open_period.as_str().into(),
            r.next_due_text.as_str().into(),
            r.progress.into(),
        ]);
    }
    xlsx_response(stem, &[sheet])
}

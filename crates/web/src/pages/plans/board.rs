//! The board by status (`GET /plans/{id}/board`): what a filter keeps and the columns by status
//! are `domain::plan::board` (pure); this handler names units, sorts, labels and renders.

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
use parindex_domain::plan::board::{
    missed_periods, order_board, status_columns, BoardFilter, BoardKey, BoardOrder, StatusColumn,
};
use parindex_domain::plan::listing::search_keeps;
use parindex_domain::plan::Status;
use parindex_domain::units::Unit;
use parindex_store::PlanState;
use std::collections::BTreeMap;

pub struct BoardItem {
    pub href: String,
    pub section: String,
    pub title: String,
    pub unit: String,
    pub status: Status,
    pub status_key: &'static str,
    pub status_class: &'static str,
    pub next_due: Option<Date>,
    pub next_due_text: String,
    pub missing: usize,
    position: usize,
}

pub struct BoardColumn {
    pub status: &'static str,
    pub key: &'static str,
    pub class: &'static str,
    pub count: usize,
    pub items: Vec<BoardItem>,
    pub more_href: Option<String>,
}

#[derive(Template)]
#[template(path = "plan_board.html")]
pub(super) struct BoardPage {
    l: Layout,
    nav: PlanNav,
    today: String,
    only_unit: bool,
    q: String,
    status: String,
    due7: bool,
    missing: bool,
    statuses: Vec<(&'static str, &'static str)>,
    columns: Vec<BoardColumn>,
    /// One column, paginated, when the board is filtered by a status (or every item kept, with
    /// its status, as one list: `?view=list`).
    rows: Paged<BoardItem>,
    single: bool,
    list: bool,
    sort_due: String,
    sort_unit: String,
    sort_task: String,
    export_href: String,
}

/// The most items a column shows before "show all".
pub(super) const COLUMN_LIMIT: usize = 10;

pub(super) async fn board(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    let scope = own_scope(&cu);
    let st = load_state(&state, &id, scope.as_deref()).await?;
    let l = Layout::new(&cu, "nav.plans", "plan.view_board", &here(&uri));
    let lang = l.lang;
    let units = units_by_slug(&state).await?;
    let only = non_empty(&q.status).and_then(parse_status);
    let filter = BoardFilter {
        due_within_week: non_empty(&q.due) == Some("7"),
        missing_only: non_empty(&q.missing).is_some(),
    };
    let items = board_items(&st, &id, &units, lang, &q, filter);
    let columns = status_columns(items, |r| r.status, only);
    if q.wants_xlsx()? {
        return board_xlsx(lang, &id, &columns);
    }
    let list = non_empty(&q.view) == Some("list");
    let (columns, rest) = board_columns(columns, &q, only, list);
    let page = BoardPage {
        nav: PlanNav::new(&cu, &id, "plan.view_board"),
        today: dates::date(st.today),
        only_unit: scope.is_some(),
        q: q.q.clone().unwrap_or_default(),
        status: only.map(|s| s.as_str().to_string()).unwrap_or_default(),
        due7: filter.due_within_week,
        missing: filter.missing_only,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), status_key(*s)))
            .collect(),
        columns,
        single: only.is_some() || list,
        list,
        sort_due: q.sort_href("due"),
        sort_unit: q.sort_href("unit"),
        sort_task: q.sort_href("task"),
        export_href: q.export_href(),
        rows: q.paged(rest, 50),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

/// The assignments the search and the filter keep, in the order asked for.
fn board_items(
    st: &PlanState,
    plan_id: &str,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    q: &PlanQuery,
    filter: BoardFilter,
) -> Vec<BoardItem> {
    let search = q.search();
    let mut items: Vec<BoardItem> = Vec::new();
    for (i, ts) in st.tasks.iter().enumerate() {
        for a in &ts.assignments {
            let t = &ts.task;
            let unit = unit_name(units, lang, &a.assignment.unit);
            let text = format!("{} {} {} {unit}", t.id, t.section, t.title);
            let next_due = a.open_period.as_ref().map(|p| p.period.due);
            if !search_keeps(search.as_deref(), &text)
                || !filter.keeps(next_due, &a.periods, st.today)
            {
                continue;
            }
            items.push(BoardItem {
                href: format!(
                    "{}?unit={}",
                    task_href(plan_id, &t.id),
                    seg(&a.assignment.unit)
                ),
                section: t.section.clone(),
                title: t.title.clone(),
                unit,
                status: a.status,
                status_key: status_key(a.status),
                status_class: status_class(a.status),
                next_due,
                next_due_text: opt_date(next_due),
                missing: missed_periods(&a.periods),
                position: i,
            });
        }
    }
    order_board(
        &mut items,
        BoardOrder::parse(q.sort.as_deref()),
        q.descending(),
        |r| BoardKey {
            unit: &r.unit,
            next_due: r.next_due,
            position: r.position,
        },
    );
    items
}

/// The board as a spreadsheet: one row per item, column by column.
fn board_xlsx(
    lang: Lang,
    plan_id: &str,
    columns: &[StatusColumn<BoardItem>],
) -> Result<Response, PageError> {
    let mut sheet = crate::export::sheet(
        lang,
        "plan.view_board",
        &[
            "plan.status",
            "plan.section",
            "plan.task",
            "plan.unit",
            "plan.next_due",
            "board.missing",
        ],
    );
    for c in columns {
        for r in &c.items {
            sheet.rows.push(vec![
                i18n::t(lang, status_key(c.status)).into(),
                r.section.as_str().into(),
                r.title.as_str().into(),
                r.unit.as_str().into(),
                r.next_due_text.as_str().into(),
                r.missing.into(),
            ]);
        }
    }
    xlsx_response(&format!("{plan_id}-bang-trang-thai"), &[sheet])
}

/// The columns as shown (at most [`COLUMN_LIMIT`] items each, with a link to the rest), and,
/// when one status is chosen or the board is asked as a list, the items as the paginated list
/// instead (column after column).
fn board_columns(
    columns: Vec<StatusColumn<BoardItem>>,
    q: &PlanQuery,
    only: Option<Status>,
    list: bool,
) -> (Vec<BoardColumn>, Vec<BoardItem>) {
    let mut rest: Vec<BoardItem> = Vec::new();
    let columns = columns
        .into_iter()
        .map(|c| {
            let s = c.status;
            let count = c.items.len();
            let more_href = (only.is_none() && !list && count > COLUMN_LIMIT).then(|| {
                let mut link = q.clone();
                link.status = Some(s.as_str().to_string());
                link.page = None;
                format!("?{}", encode(&link.with_sort()))
            });
            let items = if only.is_some() || list {
                // One status chosen, or a list: the items are the paginated list, not the column.
                rest.extend(c.items);
                Vec::new()
            } else {
                c.items.into_iter().take(COLUMN_LIMIT).collect()
            };
            BoardColumn {
                status: s.as_str(),
                key: status_key(s),
                class: status_class(s),
                count,
                items,
                more_href,
            }
        })
        .collect();
    (columns, rest)
}

//! The deadline calendar (`GET /plans/{id}/calendar`): what falls due on which day of a month is
//! [`month_calendar`] (domain, pure); this handler filters by the search, labels and renders.

use super::*;
use crate::auth::Authed;
use crate::dates;
use crate::error::PageError;
use crate::export::Sheet;
use crate::i18n::{self};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use jiff::civil::Date;
use jiff::ToSpan;
use parindex_domain::access::Action;
use parindex_domain::plan::listing::search_keeps;
use parindex_domain::plan::month::{month_calendar, AssignedPeriods, DueDay, TaskAssignments};
use parindex_domain::plan::Task;
use parindex_store::PlanState;

pub struct CalEntry {
    pub href: String,
    pub section: String,
    pub title: String,
    pub lead: String,
    pub period: String,
    pub units: usize,
    pub overdue: usize,
    pub yours: bool,
}

pub struct CalDay {
    pub date: String,
    pub weekday_key: String,
    pub non_working: bool,
    pub entries: Vec<CalEntry>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
pub(super) struct CalendarPage {
    l: Layout,
    nav: PlanNav,
    today: String,
    month: String,
    month_text: String,
    prev_href: String,
    next_href: String,
    q: String,
    days: Vec<CalDay>,
    export_href: String,
}

/// `2021-08` → the first day of that month.
pub(super) fn parse_month(s: &str) -> Option<Date> {
    let (y, m) = s.trim().split_once('-')?;
    let y: i16 = y.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    Date::new(y, m, 1).ok()
}

pub(super) fn month_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The catalogue key of a date's weekday.
fn weekday_key(d: Date) -> String {
    format!("weekday.{}", d.weekday().to_monday_one_offset())
}

/// The month's due dates as a sheet: one row per task due, dates as on the page.
fn calendar_sheet(lang: Lang, month: &[DueDay], lead_of: &dyn Fn(&Task) -> String) -> Sheet {
    let mut sheet = crate::export::sheet(
        lang,
        "plan.view_calendar",
        &[
            "cal.date",
            "cal.weekday",
            "plan.section",
            "plan.task",
            "plan.lead",
            "plan.open_period",
            "cal.units",
            "cal.overdue_units",
        ],
    );
    for day in month {
        for e in &day.entries {
            sheet.rows.push(vec![
                dates::date(day.date).into(),
                i18n::t(lang, &weekday_key(day.date)).into(),
                e.task.section.as_str().into(),
                e.task.title.as_str().into(),
                lead_of(e.task).into(),
                period_label(lang, &e.period.key).into(),
                e.units.into(),
                e.overdue.into(),
            ]);
        }
    }
    sheet
}

pub(super) async fn calendar(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    let st = load_state(&state, &id, None).await?;
    let l = Layout::new(&cu, "nav.plans", "plan.view_calendar", &here(&uri));
    let lang = l.lang;
    let first = match non_empty(&q.month) {
        Some(m) => {
            parse_month(m).ok_or_else(|| PageError::BadRequest(l.t("cal.bad_month").to_string()))?
        }
        None => st.today.first_of_month(),
    };
    let units = units_by_slug(&state).await?;
    let lead_of = |t: &Task| {
        t.lead_agency
            .as_deref()
            .map(|s| unit_name(&units, lang, s))
            .unwrap_or_default()
    };
    let tasks = calendar_tasks(&st, q.search().as_deref(), &lead_of);
    let month = month_calendar(&tasks, &st.calendar, first, cu.user.unit.as_deref());
    if q.wants_xlsx()? {
        let sheet = calendar_sheet(lang, &month, &lead_of);
        return xlsx_response(&format!("{id}-lich-han-{}", month_key(first)), &[sheet]);
    }
    let days = month
        .iter()
        .map(|day| cal_day(day, &id, lang, &lead_of))
        .collect();
    let month_link = |d: Date| {
        let mut link = q.clone();
        link.month = Some(month_key(d));
        link.page = None;
        format!("?{}", encode(&link.with_sort()))
    };
    let mut export = q.clone();
    export.month = Some(month_key(first));
    let page = CalendarPage {
        nav: PlanNav::new(&cu, &id, "plan.view_calendar"),
        today: dates::date(st.today),
        month: month_key(first),
        month_text: format!("{:02}/{}", first.month(), first.year()),
        prev_href: month_link(first.saturating_sub(1.month())),
        next_href: month_link(first.saturating_add(1.month())),
        q: q.q.clone().unwrap_or_default(),
        days,
        export_href: export.export_href(),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

/// The tasks the search keeps (on their id, section, title and lead agency), with their
/// assignments, as the month's calendar takes them.
fn calendar_tasks<'a>(
    st: &'a PlanState,
    search: Option<&str>,
    lead_of: &dyn Fn(&Task) -> String,
) -> Vec<TaskAssignments<'a>> {
    st.tasks
        .iter()
        .filter(|ts| {
            let t = &ts.task;
            search_keeps(
                search,
                &format!("{} {} {} {}", t.id, t.section, t.title, lead_of(t)),
            )
        })
        .map(|ts| TaskAssignments {
            task: &ts.task,
            assignments: ts
                .assignments
                .iter()
                .map(|a| AssignedPeriods {
                    unit: &a.assignment.unit,
                    periods: &a.periods,
                })
                .collect(),
        })
        .collect()
}

/// One day of the month as shown.
fn cal_day(day: &DueDay, plan_id: &str, lang: Lang, lead_of: &dyn Fn(&Task) -> String) -> CalDay {
    CalDay {
        date: dates::date(day.date),
        weekday_key: weekday_key(day.date),
        non_working: day.non_working,
        entries: day
            .entries
            .iter()
            .map(|e| CalEntry {
                href: task_href(plan_id, &e.task.id),
                section: e.task.section.clone(),
                title: e.task.title.clone(),
                lead: lead_of(e.task),
                period: period_label(lang, &e.period.key),
                units: e.units,
                overdue: e.overdue,
                yours: e.yours,
            })
            .collect(),
    }
}

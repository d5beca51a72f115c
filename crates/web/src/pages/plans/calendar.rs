//! The deadline calendar (`GET /plans/{id}/calendar`).

use super::*;
use crate::auth::Authed;
use crate::dates;
use crate::error::PageError;
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
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::plan::Status;
use parindex_domain::text::fold;
use std::collections::BTreeMap;

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
    let last = first.last_of_month();
    let units = units_by_slug(&state).await?;
    let own = cu.user.unit.clone();
    let search = q.search();
    let mut by_day: BTreeMap<Date, Vec<CalEntry>> = BTreeMap::new();
    for ts in &st.tasks {
        let t = &ts.task;
        let lead = t
            .lead_agency
            .as_deref()
            .map(|s| unit_name(&units, lang, s))
            .unwrap_or_default();
        if let Some(s) = &search {
            if !fold(&format!("{} {} {} {lead}", t.id, t.section, t.title)).contains(s.as_str()) {
                continue;
            }
        }
        for p in t.deadline.periods(&st.calendar) {
            if p.due < first || p.due > last {
                continue;
            }
            let overdue = ts
                .assignments
                .iter()
                .filter(|a| {
                    a.periods
                        .iter()
                        .any(|x| x.period.key == p.key && x.status == Status::Overdue)
                })
                .count();
            by_day.entry(p.due).or_default().push(CalEntry {
                href: task_href(&id, &t.id),
                section: t.section.clone(),
                title: t.title.clone(),
                lead: lead.clone(),
                period: period_label(lang, &p.key),
                units: ts.assignments.len(),
                overdue,
                yours: own
                    .as_deref()
                    .is_some_and(|u| ts.assignments.iter().any(|a| a.assignment.unit == u)),
            });
        }
    }
    let weekday_key = |d: Date| format!("weekday.{}", d.weekday().to_monday_one_offset());
    if q.wants_xlsx()? {
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
        for (d, entries) in &by_day {
            for e in entries {
                sheet.rows.push(vec![
                    dates::date(*d).into(),
                    i18n::t(lang, &weekday_key(*d)).into(),
                    e.section.as_str().into(),
                    e.title.as_str().into(),
                    e.lead.as_str().into(),
                    e.period.as_str().into(),
                    e.units.into(),
                    e.overdue.into(),
                ]);
            }
        }
        return xlsx_response(&format!("{id}-lich-han-{}", month_key(first)), &[sheet]);
    }
    let cal: &WorkCalendar = &st.calendar;
    let days = by_day
        .into_iter()
        .map(|(d, entries)| CalDay {
            date: dates::date(d),
            weekday_key: weekday_key(d),
            non_working: !cal.is_working_day(d),
            entries,
        })
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

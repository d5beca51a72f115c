//! The working-day calendar settings (`/plans/{id}/settings/calendar`).

use super::*;
use crate::auth::Authed;
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
use jiff::civil::Date;
use parindex_domain::access::Action;
use parindex_domain::calendar::WorkCalendar;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "calendar_settings.html")]
pub(super) struct SettingsPage {
    l: Layout,
    nav: PlanNav,
    weekends_off: bool,
    holidays: String,
    errors: Vec<String>,
}

/// Parse the holiday lines ("dd/mm/yyyy Tên ngày lễ"); every problem names its line.
pub fn parse_holidays(lang: Lang, text: &str) -> Result<Vec<(Date, String)>, Vec<String>> {
    let t = |k| i18n::t(lang, k);
    let mut out: Vec<(Date, String, usize)> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let (day, name) = match line.split_once(char::is_whitespace) {
            Some((d, rest)) => (d.trim(), rest.trim()),
            None => (line, ""),
        };
        let Some(date) = parse_dmy(day) else {
            errors.push(format!(
                "{} {n}: «{day}» {}",
                t("settings.line"),
                t("settings.bad_date")
            ));
            continue;
        };
        if name.is_empty() {
            errors.push(format!(
                "{} {n}: {}",
                t("settings.line"),
                t("settings.no_name")
            ));
            continue;
        }
        if let Some((_, _, first)) = out.iter().find(|(d, _, _)| *d == date) {
            errors.push(format!(
                "{} {n}: {} {} {first}",
                t("settings.line"),
                dates::date(date),
                t("settings.duplicate")
            ));
            continue;
        }
        out.push((date, parindex_domain::text::nfc(name), n));
    }
    if errors.is_empty() {
        Ok(out.into_iter().map(|(d, name, _)| (d, name)).collect())
    } else {
        Err(errors)
    }
}

/// `dd/mm/yyyy` (one-digit day and month accepted).
pub(super) fn parse_dmy(s: &str) -> Option<Date> {
    let mut it = s.split('/');
    let d: i8 = it.next()?.parse().ok()?;
    let m: i8 = it.next()?.parse().ok()?;
    let y: i16 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1900..=2200).contains(&y) {
        return None;
    }
    Date::new(y, m, d).ok()
}

pub(super) async fn settings_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::EditPlan)?;
    if state.store.plan(&id).await?.is_none() {
        return Err(PageError::NotFound);
    }
    let l = Layout::new(&cu, "nav.plans", "plan.view_settings", &here(&uri));
    let flash = (q.done.as_deref() == Some("saved")).then(|| l.t("common.saved").to_string());
    let cal = state.store.work_calendar().await?;
    let holidays = state.store.holidays().await?;
    let page = SettingsPage {
        nav: PlanNav::new(&cu, &id, "plan.view_settings"),
        weekends_off: cal.weekends_off,
        holidays: holidays
            .iter()
            .map(|(d, name)| format!("{} {name}", dates::date(*d)).trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        errors: Vec::new(),
        l: l.with_flash(flash),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct SettingsForm {
    weekends_off: Option<String>,
    holidays: Option<String>,
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditPlan)?;
    if state.store.plan(&id).await?.is_none() {
        return Err(PageError::NotFound);
    }
    let l = Layout::new(&cu, "nav.plans", "plan.view_settings", &here(&uri));
    let text = f.holidays.clone().unwrap_or_default();
    match parse_holidays(l.lang, &text) {
        Ok(days) => {
            let cal = WorkCalendar {
                weekends_off: f.weekends_off.is_some(),
                holidays: days.iter().map(|(d, _)| *d).collect(),
            };
            state
                .store
                .save_work_calendar(&cal, &days, &cu.user.username)
                .await?;
            Ok(
                Redirect::to(&format!("/plans/{}/settings/calendar?done=saved", seg(&id)))
                    .into_response(),
            )
        }
        Err(errors) => {
            let page = SettingsPage {
                nav: PlanNav::new(&cu, &id, "plan.view_settings"),
                weekends_off: f.weekends_off.is_some(),
                holidays: text,
                errors,
                l,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

//! The improvement plan: the list of plans, one plan as a tree (plan → findings and targets →
//! tasks → assignments), "my tasks" per unit, the board by status, the deadline calendar, the
//! compliance table per agency, the working-day calendar settings, importing a plan file, and
//! the unit's notifications. Every view is exportable as xlsx (`?export=xlsx`) with the rows it
//! shows (all pages of them).
//!
//! "Today" is always the application's clock (`AppState::today`). Viewing needs `ViewPlan`;
//! agency and lead-agency users see every task but only their own unit's rows on the board and
//! in "my tasks"; the compliance table needs `ViewAccountability`; the calendar settings and the
//! import need `EditPlan`. Reports and their review live in `plan_reports`, the heads'
//! accountability in `accountability`.

mod board;
mod calendar;
mod compliance;
mod import_file;
mod list;
mod my_tasks;
mod notifications;
mod settings;
#[cfg(test)]
mod tests;
mod tree;

pub(crate) use crate::export::{safe_file_name, xlsx_response, Cell};
pub use board::*;
pub use calendar::*;
pub use compliance::*;
pub use import_file::*;
pub use list::*;
pub use my_tasks::*;
pub use notifications::*;
pub use settings::*;
pub use tree::*;

use crate::auth::CurrentUser;
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::pages::{ListQuery, Paged};
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use parindex_domain::access::{can, Action};
use parindex_domain::calendar::{Deadline, Frequency};
use parindex_domain::plan::Status;
use parindex_domain::text::fold;
use parindex_domain::units::Unit;
use parindex_store::{PlanState, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans", get(list))
        .route("/plans/import", get(import_page).post(import))
        .route("/plans/{id}", get(tree))
        .route("/plans/{id}/my", get(my_tasks))
        .route("/plans/{id}/board", get(board))
        .route("/plans/{id}/calendar", get(calendar))
        .route("/plans/{id}/compliance", get(compliance))
        .route(
            "/plans/{id}/settings/calendar",
            get(settings_page).post(save_settings),
        )
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(mark_read))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by `plan_reports` and `accountability`)

/// The query string every plan view understands. `page` is text so that a bad value falls back
/// to the first page instead of failing the request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanQuery {
    pub q: Option<String>,
    pub page: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub export: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
    pub month: Option<String>,
    pub due: Option<String>,
    pub missing: Option<String>,
    pub year: Option<String>,
    pub done: Option<String>,
    /// `list`: the board as one paginated table of every item the filters keep, whatever its
    /// status (what the home page's figures for a filter link to).
    pub view: Option<String>,
    /// A kind of accountability measure (`criticism`, `disciplinary_review`): the accountability
    /// page's measures of that kind only.
    pub kind: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl PlanQuery {
    pub fn list(&self) -> ListQuery {
        ListQuery {
            q: self.q.clone(),
            page: self.page.as_deref().and_then(|p| p.trim().parse().ok()),
            sort: self.sort.clone(),
            dir: self.dir.clone(),
        }
    }
    pub fn search(&self) -> Option<String> {
        non_empty(&self.q).map(fold)
    }
    pub fn descending(&self) -> bool {
        self.dir.as_deref() == Some("desc")
    }
    /// `?export=xlsx` asks for the spreadsheet; any other export format is refused.
    pub fn wants_xlsx(&self) -> Result<bool, PageError> {
        match non_empty(&self.export) {
            None => Ok(false),
            Some("xlsx") => Ok(true),
            Some(other) => Err(PageError::refused(
                "export",
                parindex_store::RefusalKind::NotOneOf {
                    value: other.to_string(),
                    allowed: &["xlsx"],
                },
            )),
        }
    }
    /// Filters kept across the pager, the sort links and the export link.
    fn kept(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("unit", &self.unit),
            ("month", &self.month),
            ("due", &self.due),
            ("missing", &self.missing),
            ("year", &self.year),
            ("view", &self.view),
        ] {
            if let Some(v) = non_empty(v) {
                out.push((k, v.to_string()));
            }
        }
        out
    }
    fn with_sort(&self) -> Vec<(&'static str, String)> {
        let mut out = self.kept();
        if let Some(s) = non_empty(&self.sort) {
            out.push(("sort", s.to_string()));
        }
        if let Some(d) = non_empty(&self.dir) {
            out.push(("dir", d.to_string()));
        }
        out
    }
    /// A column header's link: toggles the direction when already sorted by it.
    pub fn sort_href(&self, column: &str) -> String {
        let dir = if self.sort.as_deref() == Some(column) && !self.descending() {
            "desc"
        } else {
            "asc"
        };
        let mut pairs = vec![("sort", column.to_string()), ("dir", dir.to_string())];
        pairs.extend(self.kept());
        format!("?{}", encode(&pairs))
    }
    /// The same view as a spreadsheet.
    pub fn export_href(&self) -> String {
        let mut pairs = self.with_sort();
        pairs.push(("export", "xlsx".into()));
        format!("?{}", encode(&pairs))
    }
    /// One page of rows; the pager's links keep the filters and the sort.
    pub fn paged<T>(&self, all: Vec<T>, per_page: usize) -> Paged<T> {
        let mut p = Paged::new(all, &self.list(), per_page);
        p.base_query = encode(&self.with_sort());
        p
    }
}

fn encode(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Percent-encode one path segment (task ids may hold dots and other characters).
pub fn seg(s: &str) -> String {
    crate::download::pct_encode(s)
}

pub fn task_href(plan_id: &str, task_id: &str) -> String {
    format!("/plans/{}/tasks/{}", seg(plan_id), seg(task_id))
}

/// The unit a unit-bound user (agency, lead agency) is limited to; `None` for those who see
/// every unit. A unit-bound user without a unit sees nothing.
pub fn own_scope(cu: &CurrentUser) -> Option<String> {
    if cu.role().needs_unit() {
        Some(cu.user.unit.clone().unwrap_or_default())
    } else {
        None
    }
}

pub fn status_key(s: Status) -> &'static str {
    match s {
        Status::Overdue => "plan_status.overdue",
        Status::Returned => "plan_status.returned",
        Status::NotStarted => "plan_status.not_started",
        Status::InProgress => "plan_status.in_progress",
        Status::Submitted => "plan_status.submitted",
        Status::Accepted => "plan_status.accepted",
    }
}

/// A CSS class for a status badge: red when something is wrong, green when accepted.
pub fn status_class(s: Status) -> &'static str {
    match s {
        Status::Overdue | Status::Returned => "bad",
        Status::Accepted => "good",
        _ => "",
    }
}

pub fn parse_status(s: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|x| x.as_str() == s)
}

/// A deadline in words: "31/07/2021" or "hằng tháng, ngày cuối tháng, 07/2021–12/2021".
pub fn deadline_words(lang: Lang, d: &Deadline) -> String {
    match d {
        Deadline::Once { date } => dates::date(*date),
        Deadline::Recurring {
            every,
            day,
            from,
            until,
        } => {
            let freq = i18n::t(
                lang,
                match every {
                    Frequency::Monthly => "plans.deadline.monthly",
                    Frequency::Quarterly => "plans.deadline.quarterly",
                    Frequency::HalfYearly => "plans.deadline.half_yearly",
                    Frequency::Yearly => "plans.deadline.yearly",
                },
            );
            let on = if *day >= 31 {
                i18n::t(lang, "plans.deadline.last_day").to_string()
            } else {
                format!("{} {day}", i18n::t(lang, "plans.deadline.day"))
            };
            format!(
                "{freq}, {on}, {:02}/{}–{:02}/{}",
                from.month(),
                from.year(),
                until.month(),
                until.year()
            )
        }
    }
}

/// A period key as shown, from the glossary: `once` in words; in Vietnamese "tháng 07/2021",
/// "quý III/2021", "6 tháng đầu năm 2021", "năm 2021" (as the reports write them); in English
/// "07/2021", "Q3 2021", "H1 2021", "2021".
pub fn period_label(lang: Lang, key: &str) -> String {
    if key == "once" {
        return i18n::t(lang, "period.once").to_string();
    }
    match lang {
        Lang::Vi => parindex_reports::text::period_label(key).unwrap_or_else(|| key.to_string()),
        Lang::En => match key.split_once('-') {
            Some((y, rest)) if rest.starts_with('Q') || rest.starts_with('H') => {
                format!("{rest} {y}")
            }
            Some((y, m)) => format!("{m}/{y}"),
            None => key.to_string(),
        },
    }
}

/// Every unit by slug.
pub async fn units_by_slug(state: &AppState) -> Result<BTreeMap<String, Unit>, PageError> {
    Ok(state
        .store
        .units(None)
        .await?
        .into_iter()
        .map(|u| (u.slug.clone(), u))
        .collect())
}

/// A unit's name in the language, or its slug when unknown.
pub fn unit_name(units: &BTreeMap<String, Unit>, lang: Lang, slug: &str) -> String {
    match units.get(slug) {
        Some(u) => match lang {
            Lang::En => u.name_en.clone().unwrap_or_else(|| u.name_vi.clone()),
            Lang::Vi => u.name_vi.clone(),
        },
        None => slug.to_string(),
    }
}

/// "Nguyễn Văn A (Giám đốc)", or empty when not set.
pub fn head_of(units: &BTreeMap<String, Unit>, slug: &str) -> String {
    match units.get(slug) {
        Some(u) => match (&u.head_name, &u.head_title) {
            (Some(n), Some(t)) => format!("{n} ({t})"),
            (Some(n), None) => n.clone(),
            _ => String::new(),
        },
        None => String::new(),
    }
}

/// The plan's state as of the app's clock; a missing plan is a 404.
pub async fn load_state(
    state: &AppState,
    plan_id: &str,
    unit: Option<&str>,
) -> Result<PlanState, PageError> {
    match state.store.plan_state(plan_id, state.today(), unit).await {
        Ok(s) => Ok(s),
        Err(StoreError::NotFound(_)) => Err(PageError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// [`load_state`] without copying the plan's state kept in memory (for a page that only reads it).
pub async fn load_state_shared(
    state: &AppState,
    plan_id: &str,
    unit: Option<&str>,
) -> Result<std::sync::Arc<PlanState>, PageError> {
    match state
        .store
        .plan_state_shared(plan_id, state.today(), unit)
        .await
    {
        Ok(s) => Ok(s),
        Err(StoreError::NotFound(_)) => Err(PageError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Views every plan page links to, with the ones this user may open.
pub struct PlanNav {
    pub plan_id: String,
    pub links: Vec<(String, &'static str, bool)>,
}

impl PlanNav {
    pub fn new(cu: &CurrentUser, plan_id: &str, active: &str) -> PlanNav {
        let actor = cu.actor();
        let p = seg(plan_id);
        let items: [(String, &'static str, bool); 8] = [
            (format!("/plans/{p}"), "plan.view_tree", true),
            (format!("/plans/{p}/my"), "plan.view_my", true),
            (format!("/plans/{p}/board"), "plan.view_board", true),
            (format!("/plans/{p}/calendar"), "plan.view_calendar", true),
            (
                format!("/plans/{p}/compliance"),
                "plan.view_compliance",
                can(&actor, &Action::ViewAccountability),
            ),
            (
                format!("/plans/{p}/accountability"),
                "plan.view_accountability",
                can(&actor, &Action::ViewAccountability),
            ),
            (
                format!("/plans/{p}/settings/calendar"),
                "plan.view_settings",
                can(&actor, &Action::EditPlan),
            ),
            (
                "/notifications".to_string(),
                "plan.view_notifications",
                cu.user.unit.is_some(),
            ),
        ];
        PlanNav {
            plan_id: plan_id.to_string(),
            links: items
                .into_iter()
                .filter(|(_, _, ok)| *ok)
                .map(|(href, key, _)| {
                    let current = key == active;
                    (href, key, current)
                })
                .collect(),
        }
    }
}

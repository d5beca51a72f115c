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

use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require, ListQuery, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jiff::civil::Date;
use jiff::ToSpan;
use parindex_domain::access::{can, Action};
use parindex_domain::calendar::{Deadline, Frequency, WorkCalendar};
use parindex_domain::gap::{GapReport, TargetScope};
use parindex_domain::plan::{Comparison, PlanDocument, Status, TargetGoal};
use parindex_domain::text::{fold, neutralise_formula};
use parindex_domain::units::Unit;
use parindex_store::{PlanState, StoreError};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

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
            Some(other) => Err(PageError::BadRequest(format!(
                "unknown export format '{other}'; use xlsx"
            ))),
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
        Deadline::Once { date } => i18n::date(*date),
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

/// A period key as shown: `once` in words, the others as they are (`2021-08`, `2021-Q3`).
pub fn period_label(lang: Lang, key: &str) -> String {
    if key == "once" {
        i18n::t(lang, "period.once").to_string()
    } else {
        key.to_string()
    }
}

pub fn opt_date(d: Option<Date>) -> String {
    d.map(i18n::date).unwrap_or_else(|| "—".into())
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

// ----- spreadsheets and downloads

/// One cell of an exported sheet.
pub enum Cell {
    Text(String),
    Num(f64),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<usize> for Cell {
    fn from(n: usize) -> Cell {
        Cell::Num(n as f64)
    }
}
impl From<u8> for Cell {
    fn from(n: u8) -> Cell {
        Cell::Num(f64::from(n))
    }
}

/// One worksheet: a header row and the rows.
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(lang: Lang, name_key: &str, header_keys: &[&str]) -> Sheet {
        Sheet {
            name: i18n::t(lang, name_key).to_string(),
            headers: header_keys
                .iter()
                .map(|k| i18n::t(lang, k).to_string())
                .collect(),
            rows: Vec::new(),
        }
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> PageError {
    tracing::error!(error = %e, "cannot write a spreadsheet");
    PageError::Internal
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(name: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                '-'
            } else {
                c
            }
        })
        .take(28)
        .collect();
    let clean = if clean.trim().is_empty() {
        "Sheet".to_string()
    } else {
        clean
    };
    let mut candidate = clean.clone();
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{clean} {n}");
        n += 1;
    }
    candidate
}

/// The sheets as an .xlsx workbook: bold, frozen header row; counts as numbers.
pub fn xlsx_bytes(sheets: &[Sheet]) -> Result<Vec<u8>, PageError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let mut taken = BTreeSet::new();
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&s.name, &mut taken))
            .map_err(xlsx_error)?;
        for (c, h) in s.headers.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, col, neutralise_formula(h), &bold)
                .map_err(xlsx_error)?;
            let widest = s
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|cell| match cell {
                    Cell::Text(t) => t.chars().count(),
                    Cell::Num(_) => 6,
                })
                .max()
                .unwrap_or(0)
                .max(h.chars().count());
            ws.set_column_width(col, (widest as f64 + 2.0).clamp(8.0, 60.0))
                .map_err(xlsx_error)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        for (r, row) in s.rows.iter().enumerate() {
            let rn = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        // Never a formula: `write_string`, and the one rule of every export.
                        ws.write_string(rn, col, neutralise_formula(t))
                            .map_err(xlsx_error)?;
                    }
                    Cell::Num(n) => {
                        ws.write_number(rn, col, *n).map_err(xlsx_error)?;
                    }
                }
            }
        }
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The sheets as a downloaded .xlsx file.
pub fn xlsx_response(file_stem: &str, sheets: &[Sheet]) -> Result<Response, PageError> {
    let bytes = xlsx_bytes(sheets)?;
    Ok(download(XLSX_TYPE, &format!("{file_stem}.xlsx"), bytes))
}

/// A file name safe to keep and to send back; never empty.
pub fn safe_file_name(name: &str) -> String {
    crate::download::attachment_name(name, "tep-dinh-kem")
}

/// `attachment` download with an ASCII fallback name and the UTF-8 name.
pub fn download(content_type: &str, file_name: &str, body: Vec<u8>) -> Response {
    crate::download::attachment(content_type, file_name, body)
}

/// The content type of a file from its extension: the usual office, image and archive types;
/// anything else is opaque bytes (never HTML, never script).
pub fn content_type_of(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => XLSX_TYPE,
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        "rar" => "application/vnd.rar",
        "7z" => "application/x-7z-compressed",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------------
// Dashboard tiles

/// The three plan tiles of the dashboard, for the latest plan as of the app's clock; each links
/// to the board filtered accordingly.
pub struct PlanTiles {
    pub title: String,
    pub overdue: usize,
    pub due7: usize,
    pub missing: usize,
    pub overdue_href: String,
    pub due7_href: String,
    pub missing_href: String,
}

pub async fn dashboard_tiles(
    state: &AppState,
    cu: &CurrentUser,
) -> Result<Option<PlanTiles>, PageError> {
    if !can(&cu.actor(), &Action::ViewPlan) {
        return Ok(None);
    }
    let Some(plan) = state.store.plans().await?.into_iter().next() else {
        return Ok(None);
    };
    let st = state
        .store
        .plan_state(&plan.id, state.today(), None)
        .await?;
    let board = format!("/plans/{}/board", seg(&plan.id));
    Ok(Some(PlanTiles {
        title: plan.title,
        overdue: st.tiles.overdue,
        due7: st.tiles.due_within_7_days,
        missing: st.tiles.reports_missing,
        overdue_href: format!("{board}?status=overdue"),
        due7_href: format!("{board}?due=7"),
        missing_href: format!("{board}?missing=1"),
    }))
}

// ---------------------------------------------------------------------------------------------
// The list of plans

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
struct PlansPage {
    l: Layout,
    q: String,
    rows: Paged<PlanRow>,
    sort_title: String,
    sort_year: String,
    export_href: String,
    can_import: bool,
}

async fn list(
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
            issued_on: i18n::date(p.issued_on),
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
        let mut sheet = Sheet::new(
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
                Cell::Num(f64::from(r.year)),
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

// ---------------------------------------------------------------------------------------------
// The plan as a tree

pub struct TaskLink {
    pub href: String,
    pub section: String,
    pub title: String,
}

pub struct FindingView {
    pub id: String,
    pub title: String,
    pub text: String,
    pub criteria: Vec<(String, String)>,
    pub figures: Vec<String>,
    pub tasks: Vec<TaskLink>,
}

pub struct TargetView {
    pub id: String,
    pub title: String,
    pub goal: String,
    pub current: String,
    pub lead: String,
    pub duties: String,
    pub tasks: Vec<TaskLink>,
}

pub struct AssignmentView {
    pub unit: String,
    pub status: Status,
    pub status_key: &'static str,
    pub status_class: &'static str,
    pub next_due: String,
    pub progress: u8,
    pub own: bool,
}

pub struct TaskRow {
    pub href: String,
    pub section: String,
    pub title: String,
    pub lead: String,
    pub lead_head: String,
    pub coordinating: String,
    pub deadline: String,
    pub status: Status,
    pub status_key: &'static str,
    pub status_class: &'static str,
    pub next_due: Option<Date>,
    pub next_due_text: String,
    pub assignments: Vec<AssignmentView>,
    position: usize,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct TreePage {
    l: Layout,
    nav: PlanNav,
    number: String,
    issued_on: String,
    signer: String,
    edition_id: String,
    edition_name: String,
    baseline: String,
    note: String,
    today: String,
    findings: Vec<FindingView>,
    targets: Vec<TargetView>,
    q: String,
    rows: Paged<TaskRow>,
    sort_section: String,
    sort_deadline: String,
    sort_status: String,
    sort_lead: String,
    export_href: String,
}

/// "80,78 % / 100 %" with its label.
fn figure_text(lang: Lang, f: &parindex_domain::plan::Figure) -> String {
    let unit = if f.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", f.unit)
    };
    let value = format!("{}{unit}", i18n::num(lang, f.value));
    match f.target {
        Some(t) => format!("{}: {value} / {}{unit}", f.label, i18n::num(lang, t)),
        None => format!("{}: {value}", f.label),
    }
}

fn goal_text(lang: Lang, goal: &TargetGoal) -> String {
    let t = |k| i18n::t(lang, k);
    match goal {
        TargetGoal::Rank { scope, rank, keep } => {
            let what = match scope {
                TargetScope::Overall => t("plan.overall").to_string(),
                TargetScope::Node(c) => format!("{} {c}", t("plan.area")),
            };
            let goal = match (keep, rank) {
                (true, 1) => t("plan.rank_first_keep").to_string(),
                (true, r) => format!("{} {r}", t("plan.rank_goal_keep")),
                (false, r) => format!("{} {r}", t("plan.rank_goal")),
            };
            format!("{what}: {goal}")
        }
        TargetGoal::Numeric {
            label,
            comparison,
            value,
            unit,
            by,
        } => {
            let op = match comparison {
                Comparison::AtLeast => "≥",
                Comparison::AtMost => "≤",
            };
            let by = by
                .map(|d| format!(" ({} {})", t("plan.by"), i18n::date(d)))
                .unwrap_or_default();
            format!("{label} {op} {} {unit}{by}", i18n::num(lang, *value))
                .trim()
                .to_string()
        }
    }
}

/// The rank a rank target stands at in the baseline, e.g. "13/63".
fn current_rank(goal: &TargetGoal, gap: Option<&GapReport>, peers: Option<u32>) -> String {
    let TargetGoal::Rank { scope, .. } = goal else {
        return "—".into();
    };
    let Some(g) = gap else {
        return "—".into();
    };
    let rank = match scope {
        TargetScope::Overall => g.rank,
        TargetScope::Node(c) => {
            let code = c.to_string();
            g.by_area
                .iter()
                .find(|a| a.code == code)
                .and_then(|a| a.rank)
        }
    };
    match (rank, peers) {
        (Some(r), Some(n)) => format!("{r}/{n}"),
        (Some(r), None) => r.to_string(),
        _ => "—".into(),
    }
}

fn task_links(
    doc: &PlanDocument,
    plan_id: &str,
    pick: impl Fn(&[String]) -> bool,
) -> Vec<TaskLink> {
    doc.tasks
        .iter()
        .filter(|t| pick(&t.findings) || pick(&t.targets))
        .map(|t| TaskLink {
            href: task_href(plan_id, &t.id),
            section: t.section.clone(),
            title: t.title.clone(),
        })
        .collect()
}

/// The task rows of a plan state, searched and sorted as the query says.
pub fn task_rows(
    st: &PlanState,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    q: &PlanQuery,
    own: Option<&str>,
) -> Vec<TaskRow> {
    let plan_id = &st.doc.plan.id;
    let search = q.search();
    let mut rows: Vec<TaskRow> = st
        .tasks
        .iter()
        .enumerate()
        .filter_map(|(i, ts)| {
            let t = &ts.task;
            let lead = t
                .lead_agency
                .as_deref()
                .map(|s| unit_name(units, lang, s))
                .unwrap_or_default();
            let coordinating: Vec<String> = t
                .coordinating
                .iter()
                .map(|s| unit_name(units, lang, s))
                .collect();
            if let Some(s) = &search {
                let hay = fold(&format!(
                    "{} {} {} {} {}",
                    t.id,
                    t.section,
                    t.title,
                    lead,
                    coordinating.join(" ")
                ));
                if !hay.contains(s.as_str()) {
                    return None;
                }
            }
            let mut assignments: Vec<AssignmentView> = ts
                .assignments
                .iter()
                .map(|a| AssignmentView {
                    unit: unit_name(units, lang, &a.assignment.unit),
                    status: a.status,
                    status_key: status_key(a.status),
                    status_class: status_class(a.status),
                    next_due: opt_date(a.open_period.as_ref().map(|p| p.period.due)),
                    progress: a.assignment.progress_pct,
                    own: own == Some(a.assignment.unit.as_str()),
                })
                .collect();
            assignments.sort_by(|a, b| {
                b.own
                    .cmp(&a.own)
                    .then(a.status.cmp(&b.status))
                    .then_with(|| fold(&a.unit).cmp(&fold(&b.unit)))
            });
            Some(TaskRow {
                href: task_href(plan_id, &t.id),
                section: t.section.clone(),
                title: t.title.clone(),
                lead_head: t
                    .lead_agency
                    .as_deref()
                    .map(|s| head_of(units, s))
                    .unwrap_or_default(),
                lead,
                coordinating: coordinating.join(", "),
                deadline: deadline_words(lang, &t.deadline),
                status: ts.status,
                status_key: status_key(ts.status),
                status_class: status_class(ts.status),
                next_due: ts.next_due,
                next_due_text: opt_date(ts.next_due),
                assignments,
                position: i,
            })
        })
        .collect();
    match q.sort.as_deref() {
        Some("deadline") => rows.sort_by_key(|r| (r.next_due.unwrap_or(Date::MAX), r.position)),
        Some("status") => rows.sort_by_key(|r| (r.status, r.position)),
        Some("lead") => rows.sort_by_key(|r| (fold(&r.lead), r.position)),
        _ => {}
    }
    if q.descending() {
        rows.reverse();
    }
    rows
}

async fn tree(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    let st = load_state(&state, &id, None).await?;
    let mut l = Layout::new(&cu, "nav.plans", "plan.title", &here(&uri));
    l.title = st.doc.plan.title.clone();
    if q.done.as_deref() == Some("imported") {
        l.flash = Some(l.t("plan.imported").to_string());
    }
    let lang = l.lang;
    let units = units_by_slug(&state).await?;
    let plan = &st.doc.plan;
    let edition = state.store.edition(&plan.edition_id).await?;
    let gap = state
        .store
        .gap_report(&plan.edition_id, &plan.subject, None)
        .await
        .ok()
        .map(|g| g.report);
    let peers = edition.as_ref().and_then(|e| e.peer_count);
    let baseline = match &gap {
        Some(g) => {
            let points = format!(
                "{} {}",
                i18n::num(lang, g.total),
                i18n::t(lang, "dash.points")
            );
            let rank = match (g.rank, peers) {
                (Some(r), Some(n)) => format!(", {} {r}/{n}", i18n::t(lang, "dash.rank_short")),
                (Some(r), None) => format!(", {} {r}", i18n::t(lang, "dash.rank_short")),
                _ => String::new(),
            };
            format!("{points}{rank}")
        }
        None => "—".into(),
    };
    let own = cu.user.unit.clone();
    let rows = task_rows(&st, &units, lang, &q, own.as_deref());
    if q.wants_xlsx()? {
        let mut tasks = Sheet::new(
            lang,
            "plan.tasks",
            &[
                "plan.section",
                "plan.task",
                "plan.lead",
                "plan.coordinating",
                "plan.deadline",
                "plan.task_status",
                "plan.unit",
                "plan.status",
                "plan.next_due",
                "plan.progress",
            ],
        );
        for r in &rows {
            let task_cells = || -> Vec<Cell> {
                vec![
                    r.section.as_str().into(),
                    r.title.as_str().into(),
                    r.lead.as_str().into(),
                    r.coordinating.as_str().into(),
                    r.deadline.as_str().into(),
                    i18n::t(lang, r.status_key).into(),
                ]
            };
            if r.assignments.is_empty() {
                tasks.rows.push(task_cells());
            }
            for a in &r.assignments {
                let mut row = task_cells();
                row.extend([
                    a.unit.as_str().into(),
                    i18n::t(lang, a.status_key).into(),
                    a.next_due.as_str().into(),
                    a.progress.into(),
                ]);
                tasks.rows.push(row);
            }
        }
        let mut findings = Sheet::new(
            lang,
            "plan.findings",
            &[
                "plan.section",
                "plan.findings",
                "plan.criteria",
                "plan.figures",
            ],
        );
        for f in &st.doc.findings {
            findings.rows.push(vec![
                f.id.as_str().into(),
                format!("{} — {}", f.title, f.text).into(),
                f.criteria.join(", ").into(),
                f.figures
                    .iter()
                    .map(|x| figure_text(lang, x))
                    .collect::<Vec<_>>()
                    .join("; ")
                    .into(),
            ]);
        }
        let mut targets = Sheet::new(
            lang,
            "plan.targets",
            &[
                "plan.section",
                "plan.targets",
                "plan.goal",
                "plan.current",
                "plan.lead",
            ],
        );
        for t in &st.doc.targets {
            targets.rows.push(vec![
                t.id.as_str().into(),
                t.title.as_str().into(),
                goal_text(lang, &t.goal).into(),
                current_rank(&t.goal, gap.as_ref(), peers).into(),
                t.lead_agency
                    .as_deref()
                    .map(|s| unit_name(&units, lang, s))
                    .unwrap_or_default()
                    .into(),
            ]);
        }
        return xlsx_response(&plan.id, &[tasks, findings, targets]);
    }
    let findings = st
        .doc
        .findings
        .iter()
        .map(|f| FindingView {
            id: f.id.clone(),
            title: f.title.clone(),
            text: f.text.clone(),
            criteria: f
                .criteria
                .iter()
                .map(|c| {
                    (
                        c.clone(),
                        format!("/editions/{}/criteria/{}", seg(&plan.edition_id), seg(c)),
                    )
                })
                .collect(),
            figures: f.figures.iter().map(|x| figure_text(lang, x)).collect(),
            tasks: task_links(&st.doc, &plan.id, |xs| xs.contains(&f.id)),
        })
        .collect();
    let targets = st
        .doc
        .targets
        .iter()
        .map(|t| TargetView {
            id: t.id.clone(),
            title: t.title.clone(),
            goal: goal_text(lang, &t.goal),
            current: current_rank(&t.goal, gap.as_ref(), peers),
            lead: t
                .lead_agency
                .as_deref()
                .map(|s| unit_name(&units, lang, s))
                .unwrap_or_else(|| "—".into()),
            duties: t.duties.clone(),
            tasks: st
                .doc
                .tasks
                .iter()
                .filter(|x| x.targets.contains(&t.id))
                .map(|x| TaskLink {
                    href: task_href(&plan.id, &x.id),
                    section: x.section.clone(),
                    title: x.title.clone(),
                })
                .collect(),
        })
        .collect();
    let page = TreePage {
        nav: PlanNav::new(&cu, &plan.id, "plan.view_tree"),
        number: plan.number.clone(),
        issued_on: i18n::date(plan.issued_on),
        signer: format!("{} — {}", plan.signer, plan.signer_title),
        edition_id: plan.edition_id.clone(),
        edition_name: edition
            .as_ref()
            .map(|e| e.name.clone())
            .unwrap_or_else(|| plan.edition_id.clone()),
        baseline,
        note: plan.note.clone(),
        today: i18n::date(st.today),
        findings,
        targets,
        q: q.q.clone().unwrap_or_default(),
        sort_section: q.sort_href("section"),
        sort_deadline: q.sort_href("deadline"),
        sort_status: q.sort_href("status"),
        sort_lead: q.sort_href("lead"),
        export_href: q.export_href(),
        rows: q.paged(rows, 20),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// My tasks

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
struct MyPage {
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

async fn my_tasks(
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
    let search = q.search();
    let mut rows: Vec<MyRow> = Vec::new();
    for (i, ts) in st.tasks.iter().enumerate() {
        for a in &ts.assignments {
            let t = &ts.task;
            let lead = t
                .lead_agency
                .as_deref()
                .map(|s| unit_name(&units, lang, s))
                .unwrap_or_default();
            if let Some(s) = &search {
                if !fold(&format!("{} {} {} {lead}", t.id, t.section, t.title)).contains(s.as_str())
                {
                    continue;
                }
            }
            let next_due = a.open_period.as_ref().map(|p| p.period.due);
            rows.push(MyRow {
                href: format!("{}?unit={}", task_href(&id, &t.id), seg(&a.assignment.unit)),
                section: t.section.clone(),
                title: t.title.clone(),
                lead,
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
    match q.sort.as_deref() {
        Some("due") => rows.sort_by_key(|r| (r.next_due.unwrap_or(Date::MAX), r.position)),
        Some("status") => rows.sort_by_key(|r| (r.status, r.position)),
        _ => {}
    }
    if q.descending() {
        rows.reverse();
    }
    let name = unit
        .as_deref()
        .map(|u| unit_name(&units, lang, u))
        .unwrap_or_default();
    if q.wants_xlsx()? {
        let mut sheet = Sheet::new(
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
        for r in &rows {
            sheet.rows.push(vec![
                name.as_str().into(),
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
        let stem = format!("nhiem-vu-{}", unit.as_deref().unwrap_or("don-vi"));
        return xlsx_response(&stem, &[sheet]);
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
        today: i18n::date(st.today),
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

// ---------------------------------------------------------------------------------------------
// The board by status

pub struct BoardItem {
    pub href: String,
    pub section: String,
    pub title: String,
    pub unit: String,
    pub status: Status,
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
struct BoardPage {
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
    /// One column, paginated, when the board is filtered by a status.
    rows: Paged<BoardItem>,
    single: bool,
    sort_due: String,
    sort_unit: String,
    sort_task: String,
    export_href: String,
}

/// The most items a column shows before "show all".
const COLUMN_LIMIT: usize = 10;

async fn board(
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
    let today = st.today;
    let soon = today.saturating_add(7.days());
    let only = non_empty(&q.status).and_then(parse_status);
    let due7 = non_empty(&q.due) == Some("7");
    let missing_only = non_empty(&q.missing).is_some();
    let search = q.search();
    let mut items: Vec<BoardItem> = Vec::new();
    for (i, ts) in st.tasks.iter().enumerate() {
        for a in &ts.assignments {
            let t = &ts.task;
            let unit = unit_name(&units, lang, &a.assignment.unit);
            if let Some(s) = &search {
                if !fold(&format!("{} {} {} {unit}", t.id, t.section, t.title)).contains(s.as_str())
                {
                    continue;
                }
            }
            let next_due = a.open_period.as_ref().map(|p| p.period.due);
            if due7 && !next_due.is_some_and(|d| d >= today && d <= soon) {
                continue;
            }
            let missing = a.periods.iter().filter(|p| p.missing).count();
            if missing_only && missing == 0 {
                continue;
            }
            items.push(BoardItem {
                href: format!("{}?unit={}", task_href(&id, &t.id), seg(&a.assignment.unit)),
                section: t.section.clone(),
                title: t.title.clone(),
                unit,
                status: a.status,
                next_due,
                next_due_text: opt_date(next_due),
                missing,
                position: i,
            });
        }
    }
    match q.sort.as_deref() {
        Some("unit") => items.sort_by_key(|r| (fold(&r.unit), r.position)),
        Some("task") => items.sort_by_key(|r| (r.position, fold(&r.unit))),
        _ => items.sort_by_key(|r| (r.next_due.unwrap_or(Date::MAX), r.position)),
    }
    if q.descending() {
        items.reverse();
    }
    if let Some(s) = only {
        items.retain(|r| r.status == s);
    }
    if q.wants_xlsx()? {
        let mut sheet = Sheet::new(
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
        for s in Status::ALL {
            for r in items.iter().filter(|r| r.status == s) {
                sheet.rows.push(vec![
                    i18n::t(lang, status_key(s)).into(),
                    r.section.as_str().into(),
                    r.title.as_str().into(),
                    r.unit.as_str().into(),
                    r.next_due_text.as_str().into(),
                    r.missing.into(),
                ]);
            }
        }
        return xlsx_response(&format!("{id}-bang-trang-thai"), &[sheet]);
    }
    let mut columns = Vec::new();
    let mut rest: Vec<BoardItem> = Vec::new();
    let mut all = items;
    for s in Status::ALL {
        if only.is_some_and(|o| o != s) {
            continue;
        }
        let (mine, others): (Vec<BoardItem>, Vec<BoardItem>) =
            all.into_iter().partition(|r| r.status == s);
        all = others;
        let count = mine.len();
        let more_href = (only.is_none() && count > COLUMN_LIMIT).then(|| {
            let mut link = q.clone();
            link.status = Some(s.as_str().to_string());
            link.page = None;
            format!("?{}", encode(&link.with_sort()))
        });
        if only.is_some() {
            rest = mine;
            columns.push(BoardColumn {
                status: s.as_str(),
                key: status_key(s),
                class: status_class(s),
                count,
                items: Vec::new(),
                more_href: None,
            });
        } else {
            columns.push(BoardColumn {
                status: s.as_str(),
                key: status_key(s),
                class: status_class(s),
                count,
                items: mine.into_iter().take(COLUMN_LIMIT).collect(),
                more_href,
            });
        }
    }
    let page = BoardPage {
        nav: PlanNav::new(&cu, &id, "plan.view_board"),
        today: i18n::date(today),
        only_unit: scope.is_some(),
        q: q.q.clone().unwrap_or_default(),
        status: only.map(|s| s.as_str().to_string()).unwrap_or_default(),
        due7,
        missing: missing_only,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), status_key(*s)))
            .collect(),
        columns,
        single: only.is_some(),
        sort_due: q.sort_href("due"),
        sort_unit: q.sort_href("unit"),
        sort_task: q.sort_href("task"),
        export_href: q.export_href(),
        rows: q.paged(rest, 50),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// The deadline calendar

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
struct CalendarPage {
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
fn parse_month(s: &str) -> Option<Date> {
    let (y, m) = s.trim().split_once('-')?;
    let y: i16 = y.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    Date::new(y, m, 1).ok()
}

fn month_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

async fn calendar(
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
        let mut sheet = Sheet::new(
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
                    i18n::date(*d).into(),
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
            date: i18n::date(d),
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
        today: i18n::date(st.today),
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

// ---------------------------------------------------------------------------------------------
// Compliance per agency

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
    pub eval_href: String,
}

#[derive(Template)]
#[template(path = "plan_compliance.html")]
struct CompliancePage {
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

async fn compliance(
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
            eval_href: format!("/units/{}/evaluation?year={}", seg(slug), st.doc.plan.year),
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
        let mut sheet = Sheet::new(
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
        today: i18n::date(st.today),
        q: q.q.clone().unwrap_or_default(),
        rows: q.paged(rows, 25),
        sorts,
        export_href: q.export_href(),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// The working-day calendar

#[derive(Template)]
#[template(path = "calendar_settings.html")]
struct SettingsPage {
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
                i18n::date(date),
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
fn parse_dmy(s: &str) -> Option<Date> {
    let mut it = s.split('/');
    let d: i8 = it.next()?.parse().ok()?;
    let m: i8 = it.next()?.parse().ok()?;
    let y: i16 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1900..=2200).contains(&y) {
        return None;
    }
    Date::new(y, m, d).ok()
}

async fn settings_page(
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
            .map(|(d, name)| format!("{} {name}", i18n::date(*d)).trim_end().to_string())
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

async fn save_settings(
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

// ---------------------------------------------------------------------------------------------
// Importing a plan file

/// Largest plan file accepted.
pub const PLAN_FILE_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Template)]
#[template(path = "plan_import.html")]
struct ImportPage {
    l: Layout,
    errors: Vec<String>,
}

async fn import_page(Authed(cu): Authed, uri: Uri) -> Result<Html<String>, PageError> {
    require(&cu, &Action::EditPlan)?;
    let page = ImportPage {
        l: Layout::new(&cu, "nav.plans", "plan.import", &here(&uri)),
        errors: Vec::new(),
    };
    Ok(Html(page.render()?))
}

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> PageError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        PageError::TooLarge
    } else {
        PageError::BadRequest(e.body_text())
    }
}

async fn import(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditPlan)?;
    let l = Layout::new(&cu, "nav.plans", "plan.import", &here(&uri));
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(safe_file_name).unwrap_or_default();
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if too_large || buf.len() + chunk.len() > PLAN_FILE_LIMIT {
                too_large = true;
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if !buf.is_empty() {
            file = Some((name, buf));
        }
    }
    let fail = |l: Layout, errors: Vec<String>| -> Result<Response, PageError> {
        let page = ImportPage { l, errors };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    if too_large {
        let e = vec![l.t("plan.file_too_large").to_string()];
        return fail(l, e);
    }
    let Some((name, bytes)) = file else {
        let e = vec![l.t("plan.file_required").to_string()];
        return fail(l, e);
    };
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(ext.as_str(), "toml" | "json") {
        let e = vec![l.t("plan.file_required").to_string()];
        return fail(l, e);
    }
    // Parsed off the async workers, under the upload cap (authorization is checked above).
    let parsed = crate::parse_pool::parse(move || {
        let text = String::from_utf8_lossy(&bytes);
        if ext == "toml" {
            parindex_interchange::plan::plan_from_toml(&text, &name)
        } else {
            parindex_interchange::plan::plan_from_json(&text, &name)
        }
    })
    .await?;
    let doc = match parsed {
        Ok(d) => d,
        Err(e) => {
            let errors = e.to_string().lines().map(str::to_string).collect();
            return fail(l, errors);
        }
    };
    match state.store.save_plan(&doc, &cu.user.username).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/plans/{}?done=imported", seg(&doc.plan.id))).into_response(),
        ),
        Err(StoreError::Invalid(m)) => {
            let m = m
                .strip_prefix("the plan is not valid: ")
                .unwrap_or(&m)
                .to_string();
            fail(l, m.split("; ").map(str::to_string).collect())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Notifications

pub struct NotificationRow {
    pub when: String,
    pub message: String,
    pub link: Option<String>,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "plan_notifications.html")]
struct NotificationsPage {
    l: Layout,
    has_unit: bool,
    unread: usize,
    q: String,
    rows: Paged<NotificationRow>,
}

/// Notifications are the signed-in user's own unit's; users without a unit have none.
async fn notifications(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<PlanQuery>,
) -> Result<Html<String>, PageError> {
    let l = Layout::new(&cu, "nav.plans", "notif.title", &here(&uri));
    let flash = (q.done.as_deref() == Some("read")).then(|| l.t("notif.marked").to_string());
    let list = match cu.user.unit.as_deref() {
        Some(u) => state.store.notifications(u, 500).await?,
        None => Vec::new(),
    };
    let unread = list.iter().filter(|n| !n.read).count();
    let search = q.search();
    let rows: Vec<NotificationRow> = list
        .into_iter()
        .filter(|n| search.as_ref().is_none_or(|s| fold(&n.message).contains(s)))
        .map(|n| NotificationRow {
            when: i18n::timestamp(&n.created_at),
            link: (n.link.starts_with('/') && !n.link.starts_with("//") && !n.link.contains('\\'))
                .then_some(n.link),
            message: n.message,
            read: n.read,
        })
        .collect();
    let page = NotificationsPage {
        has_unit: cu.user.unit.is_some(),
        unread,
        q: q.q.clone().unwrap_or_default(),
        rows: q.paged(rows, 25),
        l: l.with_flash(flash),
    };
    Ok(Html(page.render()?))
}

async fn mark_read(
    State(state): State<AppState>,
    Authed(cu): Authed,
) -> Result<Response, PageError> {
    if let Some(u) = cu.user.unit.as_deref() {
        state.store.mark_notifications_read(u).await?;
    }
    Ok(Redirect::to("/notifications?done=read").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn deadlines_in_words() {
        let once = Deadline::Once {
            date: date(2021, 7, 31),
        };
        assert_eq!(deadline_words(Lang::Vi, &once), "31/07/2021");
        let monthly = Deadline::Recurring {
            every: Frequency::Monthly,
            day: 31,
            from: date(2021, 7, 1),
            until: date(2021, 12, 31),
        };
        assert_eq!(
            deadline_words(Lang::Vi, &monthly),
            "hằng tháng, ngày cuối tháng, 07/2021–12/2021"
        );
        assert_eq!(
            deadline_words(Lang::En, &monthly),
            "monthly, last day of the month, 07/2021–12/2021"
        );
        let q = Deadline::Recurring {
            every: Frequency::Quarterly,
            day: 25,
            from: date(2021, 7, 1),
            until: date(2021, 12, 31),
        };
        assert_eq!(
            deadline_words(Lang::Vi, &q),
            "hằng quý, ngày 25, 07/2021–12/2021"
        );
    }

    #[test]
    fn holiday_lines_name_their_problems() {
        let ok = parse_holidays(
            Lang::Vi,
            "02/09/2021 Quốc khánh\n\n1/1/2022 Tết Dương lịch\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].0, date(2022, 1, 1));
        let errs = parse_holidays(
            Lang::Vi,
            "02/09/2021 Quốc khánh\n31/02/2021 Sai\n03/09/2021\n2/9/2021 Lặp",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("Dòng 2:") && errs[0].contains("31/02/2021"));
        assert!(errs[1].starts_with("Dòng 3:"));
        assert!(errs[2].starts_with("Dòng 4:") && errs[2].ends_with("dòng 1"));
    }

    #[test]
    fn file_names_and_types_are_safe() {
        assert_eq!(safe_file_name("C:\\x\\bao cao \"7\".pdf"), "bao cao 7.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("..."), "tep-dinh-kem");
        assert_eq!(content_type_of("Báo cáo.PDF"), "application/pdf");
        assert_eq!(content_type_of("x.html"), "application/octet-stream");
        assert_eq!(seg("II.2-a b/c"), "II.2-a%20b%2Fc");
        let mut taken = BTreeSet::new();
        assert_eq!(sheet_name("Nhiệm vụ", &mut taken), "Nhiệm vụ");
        assert_eq!(sheet_name("nhiệm vụ", &mut taken), "nhiệm vụ 2");
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2021-08"), Some(date(2021, 8, 1)));
        assert_eq!(parse_month("2021-13"), None);
        assert_eq!(parse_month("x"), None);
    }
}

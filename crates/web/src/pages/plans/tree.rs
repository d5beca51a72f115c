//! One plan as a tree: findings and targets, tasks, assignments (`GET /plans/{id}`).

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::dates::opt_date;
use crate::error::PageError;
use crate::export::Sheet;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, Response};
use jiff::civil::Date;
use parindex_domain::access::Action;
use parindex_domain::gap::{GapReport, TargetScope};
use parindex_domain::plan::{Comparison, PlanDocument, Status, TargetGoal};
use parindex_domain::text::fold;
use parindex_domain::units::Unit;
use parindex_store::PlanState;
use std::collections::BTreeMap;

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
pub(super) struct TreePage {
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
    chairman: Option<crate::pages::chairman::ChairmanForm>,
}

/// "80,78 % / 100,00 %" with its label.
pub(super) fn figure_text(lang: Lang, f: &parindex_domain::plan::Figure) -> String {
    let value = i18n::measured(lang, f.value, &f.unit);
    match f.target {
        Some(t) => format!(
            "{}: {value} / {}",
            f.label,
            i18n::measured(lang, t, &f.unit)
        ),
        None => format!("{}: {value}", f.label),
    }
}

pub(super) fn goal_text(lang: Lang, goal: &TargetGoal) -> String {
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
                .map(|d| format!(" ({} {})", t("plan.by"), dates::date(d)))
                .unwrap_or_default();
            format!("{label} {op} {}{by}", i18n::measured(lang, *value, unit))
                .trim()
                .to_string()
        }
    }
}

/// The rank a rank target stands at in the baseline, e.g. "13/63".
pub(super) fn current_rank(
    goal: &TargetGoal,
    gap: Option<&GapReport>,
    peers: Option<u32>,
) -> String {
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

pub(super) fn task_links(
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

/// A task's assignments as shown: own unit first, then by status and name (each unit's name
/// and its folded form made once per render, in `names`).
fn assignment_views<'a>(
    ts: &'a parindex_store::TaskState,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    own: Option<&str>,
    names: &mut std::collections::HashMap<&'a str, (String, String)>,
) -> Vec<AssignmentView> {
    let mut keyed: Vec<(String, AssignmentView)> = ts
        .assignments
        .iter()
        .map(|a| {
            let slug = a.assignment.unit.as_str();
            let (name, folded) = names
                .entry(slug)
                .or_insert_with(|| {
                    let name = unit_name(units, lang, slug);
                    let folded = fold(&name);
                    (name, folded)
                })
                .clone();
            let view = AssignmentView {
                unit: name,
                status: a.status,
                status_key: status_key(a.status),
                status_class: status_class(a.status),
                next_due: opt_date(a.open_period.as_ref().map(|p| p.period.due)),
                progress: a.assignment.progress_pct,
                own: own == Some(slug),
            };
            (folded, view)
        })
        .collect();
    keyed.sort_by(|(fa, a), (fb, b)| (!a.own, a.status, fa).cmp(&(!b.own, b.status, fb)));
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// Fill in the assignments of `rows` (task rows of `st`, as [`task_rows`] made them): the page
/// shows those of its own rows only, a download those of every row.
pub fn fill_assignments(
    rows: &mut [TaskRow],
    st: &PlanState,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    own: Option<&str>,
) {
    // Each unit's name and its folded form (the assignments' sort key), made once per unit
    // rather than once per assignment (a plan has ~400 assignments of ~30 units).
    let mut names: std::collections::HashMap<&str, (String, String)> =
        std::collections::HashMap::new();
    for r in rows {
        if let Some(ts) = st.tasks.get(r.position) {
            r.assignments = assignment_views(ts, units, lang, own, &mut names);
        }
    }
}

/// The task rows of a plan state, searched and sorted as the query says, without their
/// assignments ([`fill_assignments`]).
pub fn task_rows(
    st: &PlanState,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    q: &PlanQuery,
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
                assignments: Vec::new(),
                position: i,
            })
        })
        .collect();
    match q.sort.as_deref() {
        Some("deadline") => rows.sort_by_key(|r| (r.next_due.unwrap_or(Date::MAX), r.position)),
        Some("status") => rows.sort_by_key(|r| (r.status, r.position)),
        Some("lead") => rows.sort_by_cached_key(|r| (fold(&r.lead), r.position)),
        _ => {}
    }
    if q.descending() {
        rows.reverse();
    }
    rows
}

pub(super) async fn tree(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    id: Path<String>,
    q: Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewPlan)?;
    // Downloads are made each time; the page is kept (crate::cache).
    if q.wants_xlsx().unwrap_or(true) {
        return download_tree(state, cu, id, q).await;
    }
    crate::cache::page(&state, &cu, "plan-tree", &uri, |cu| {
        render_tree(state.clone(), cu, uri.clone(), id, q)
    })
    .await
}

/// What the page and the download are made from.
struct TreeData {
    st: std::sync::Arc<PlanState>,
    units: BTreeMap<String, Unit>,
    edition: std::sync::Arc<Option<parindex_domain::edition::Edition>>,
    gap: Option<GapReport>,
    rows: Vec<TaskRow>,
}

impl TreeData {
    async fn load(
        state: &AppState,
        cu: &CurrentUser,
        id: &str,
        q: &PlanQuery,
    ) -> Result<TreeData, PageError> {
        let st = super::load_state_shared(state, id, None).await?;
        let lang = Lang::parse(&cu.user.lang);
        let units = units_by_slug(state).await?;
        let plan = &st.doc.plan;
        let edition = state.store.edition_shared(&plan.edition_id).await?;
        let gap = state
            .store
            .gap_report(&plan.edition_id, &plan.subject, None)
            .await
            .ok()
            .map(|g| g.report);
        let rows = task_rows(&st, &units, lang, q);
        Ok(TreeData {
            st,
            units,
            edition,
            gap,
            rows,
        })
    }

    fn peers(&self) -> Option<u32> {
        self.edition.as_ref().as_ref().and_then(|e| e.peer_count)
    }
}

/// The plan as a workbook (`?export=xlsx`).
async fn download_tree(
    state: AppState,
    cu: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    let data = TreeData::load(&state, &cu, &id, &q).await?;
    let peers = data.peers();
    let TreeData {
        st,
        units,
        gap,
        mut rows,
        ..
    } = data;
    let lang = Lang::parse(&cu.user.lang);
    q.wants_xlsx()?;
    fill_assignments(&mut rows, &st, &units, lang, cu.user.unit.as_deref());
    let sheets = plan_sheets(lang, &st, &rows, &units, gap.as_ref(), peers);
    xlsx_response(&st.doc.plan.id, &sheets)
}

/// The plan as a workbook: the task rows as on the page (one row per assignment), the findings
/// and the targets with the current rank.
fn plan_sheets(
    lang: Lang,
    st: &PlanState,
    rows: &[TaskRow],
    units: &BTreeMap<String, Unit>,
    gap: Option<&GapReport>,
    peers: Option<u32>,
) -> [Sheet; 3] {
    let mut tasks = crate::export::sheet(
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
    for r in rows {
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
    let mut findings = crate::export::sheet(
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
    let mut targets = crate::export::sheet(
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
            current_rank(&t.goal, gap, peers).into(),
            t.lead_agency
                .as_deref()
                .map(|s| unit_name(units, lang, s))
                .unwrap_or_default()
                .into(),
        ]);
    }
    [tasks, findings, targets]
}

/// The score and rank the plan starts from (the gap report of its edition), or a dash.
fn baseline_text(lang: Lang, gap: Option<&GapReport>, peers: Option<u32>) -> String {
    let Some(g) = gap else {
        return "—".into();
    };
    let points = format!(
        "{} {}",
        g.total.map_or_else(|| "—".into(), |t| i18n::num(lang, t)),
        i18n::t(lang, "dash.points")
    );
    let rank = match (g.rank, peers) {
        (Some(r), Some(n)) => format!(", {} {r}/{n}", i18n::t(lang, "dash.rank_short")),
        (Some(r), None) => format!(", {} {r}", i18n::t(lang, "dash.rank_short")),
        _ => String::new(),
    };
    format!("{points}{rank}")
}

/// The plan's findings, each with its criteria, figures and the tasks answering it.
fn finding_views(doc: &PlanDocument, lang: Lang) -> Vec<FindingView> {
    let plan = &doc.plan;
    doc.findings
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
            tasks: task_links(doc, &plan.id, |xs| xs.contains(&f.id)),
        })
        .collect()
}

/// The plan's targets, each with where the province stands and the tasks aiming at it.
fn target_views(
    doc: &PlanDocument,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    gap: Option<&GapReport>,
    peers: Option<u32>,
) -> Vec<TargetView> {
    doc.targets
        .iter()
        .map(|t| TargetView {
            id: t.id.clone(),
            title: t.title.clone(),
            goal: goal_text(lang, &t.goal),
            current: current_rank(&t.goal, gap, peers),
            lead: t
                .lead_agency
                .as_deref()
                .map(|s| unit_name(units, lang, s))
                .unwrap_or_else(|| "—".into()),
            duties: t.duties.clone(),
            tasks: doc
                .tasks
                .iter()
                .filter(|x| x.targets.contains(&t.id))
                .map(|x| TaskLink {
                    href: task_href(&doc.plan.id, &x.id),
                    section: x.section.clone(),
                    title: x.title.clone(),
                })
                .collect(),
        })
        .collect()
}

async fn render_tree(
    state: AppState,
    cu: CurrentUser,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Html<String>, PageError> {
    let data = TreeData::load(&state, &cu, &id, &q).await?;
    let peers = data.peers();
    let TreeData {
        st,
        units,
        edition,
        gap,
        rows,
    } = data;
    let edition = edition.as_ref().as_ref();
    let mut l = Layout::new(&cu, "nav.plans", "plan.title", &here(&uri));
    l.title = st.doc.plan.title.clone();
    if q.done.as_deref() == Some("imported") {
        l.flash = Some(l.t("plan.imported").to_string());
    }
    let lang = l.lang;
    let plan = &st.doc.plan;
    let baseline = baseline_text(lang, gap.as_ref(), peers);
    // Only the rows shown get their assignments.
    let mut rows = q.paged(rows, 20);
    fill_assignments(&mut rows.items, &st, &units, lang, cu.user.unit.as_deref());
    let findings = finding_views(&st.doc, lang);
    let targets = target_views(&st.doc, &units, lang, gap.as_ref(), peers);
    let page = TreePage {
        nav: PlanNav::new(&cu, &plan.id, "plan.view_tree"),
        number: plan.number.clone(),
        issued_on: dates::date(plan.issued_on),
        signer: format!("{} — {}", plan.signer, plan.signer_title),
        edition_id: plan.edition_id.clone(),
        edition_name: edition
            .map(|e| e.name.clone())
            .unwrap_or_else(|| plan.edition_id.clone()),
        baseline,
        note: plan.note.clone(),
        today: dates::date(st.today),
        findings,
        targets,
        q: q.q.clone().unwrap_or_default(),
        sort_section: q.sort_href("section"),
        sort_deadline: q.sort_href("deadline"),
        sort_status: q.sort_href("status"),
        sort_lead: q.sort_href("lead"),
        export_href: q.export_href(),
        chairman: crate::pages::chairman::chairman_form(&cu, plan, st.today),
        rows,
        l,
    };
    Ok(Html(page.render()?))
}

//! Accountability of heads of agencies: per head, the overdue assignments, missing and late
//! reports, the areas they lead that are below target and the points lost there, and the
//! measures proposed (criticism, disciplinary review) by the coordinator and decided by the
//! leader; the head's yearly evaluation record per unit, with the unit's places in the
//! province's own published PAR rankings (`Store::standings`).
//!
//! Rules: the page needs `ViewAccountability` (coordinator, leader, admin); proposing needs
//! `ProposeMeasure` (coordinator), deciding `DecideMeasure` (leader); a unit's evaluation record
//! needs `ViewEvaluation { unit }` (coordinator, leader, the unit's own users).

use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::error::PageError;
use crate::export::{xlsx_response, Cell};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::assessments::pct;
use crate::pages::plans::{
    head_of, load_state, seg, status_class, status_key, task_href, unit_name, units_by_slug,
    PlanNav, PlanQuery,
};
use crate::pages::{here, require, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use parindex_domain::access::{can, Action};
use parindex_domain::plan::listing::{
    needs_attention, order_heads, search_keeps, standings_until, HeadKey, HeadsOrder,
};
use parindex_domain::plan::MeasureKind;
use parindex_domain::text::fold;
use parindex_domain::units::Unit;
use parindex_store::assessments::Standing;
use parindex_store::{HeadRecord, Measure, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans/{id}/accountability", get(page))
        .route("/plans/{id}/measures", post(propose))
        .route("/plans/{id}/measures/{mid}/decide", post(decide))
        .route("/units/{slug}/evaluation", get(evaluation))
}

pub struct MeasureView {
    pub id: i64,
    pub unit: String,
    pub head: String,
    pub year: i32,
    pub kind_key: &'static str,
    pub reason: Vec<String>,
    pub proposed_by: String,
    pub proposed_at: String,
    pub decision_key: &'static str,
    pub decision_class: &'static str,
    pub note: String,
    pub decided_by: String,
    pub decided_at: String,
    pub decidable: bool,
    pub action: String,
}

fn kind_key(k: MeasureKind) -> &'static str {
    match k {
        MeasureKind::Criticism => "measure.criticism",
        MeasureKind::DisciplinaryReview => "measure.disciplinary_review",
    }
}

fn measure_view(
    m: &Measure,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    can_decide: bool,
) -> MeasureView {
    let (decision_key, decision_class) = match m.decision.as_deref() {
        Some("approved") => ("acc.approved", "bad"),
        Some("rejected") => ("acc.rejected", "good"),
        _ => ("acc.pending", ""),
    };
    MeasureView {
        id: m.id,
        unit: unit_name(units, lang, &m.unit),
        head: m.head_name.clone(),
        year: m.year,
        kind_key: kind_key(m.kind),
        reason: m.reason.lines().map(str::to_string).collect(),
        proposed_by: m.proposed_by.clone(),
        proposed_at: dates::timestamp(&m.proposed_at),
        decision_key,
        decision_class,
        note: m.decision_note.clone().unwrap_or_default(),
        decided_by: m.decided_by.clone().unwrap_or_default(),
        decided_at: m
            .decided_at
            .as_deref()
            .map(dates::timestamp)
            .unwrap_or_default(),
        decidable: can_decide && m.decision.is_none(),
        action: format!("/plans/{}/measures/{}/decide", seg(&m.plan_id), m.id),
    }
}

fn areas_text(lang: Lang, areas: &[(String, u32, u32)]) -> String {
    areas
        .iter()
        .map(|(code, rank, target)| {
            format!(
                "{} {code}: {rank} ({} {target})",
                i18n::t(lang, "plan.area"),
                i18n::t(lang, "acc.target_short")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub struct HeadRow {
    pub slug: String,
    pub unit: String,
    pub head: String,
    pub overdue: usize,
    pub missing: usize,
    pub late: usize,
    pub areas: String,
    pub points_lost: String,
    lost: Option<rust_decimal::Decimal>,
    pub measures: Vec<MeasureView>,
    /// The head's evaluation record, linked only for those who may read it.
    pub eval_href: Option<String>,
}

#[derive(Default)]
pub struct ProposeForm {
    pub unit: String,
    pub kind: String,
    pub reason: String,
    pub errors: BTreeMap<&'static str, String>,
}

impl ProposeForm {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Default)]
pub struct DecideState {
    pub measure_id: i64,
    pub decision: String,
    pub note: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "accountability.html")]
struct AccountabilityPage {
    l: Layout,
    nav: PlanNav,
    today: String,
    q: String,
    rows: Paged<HeadRow>,
    sorts: BTreeMap<&'static str, String>,
    export_href: String,
    measures: Vec<MeasureView>,
    pending_only: bool,
    /// Catalogue key of the one kind of measure shown (`?kind=`), or empty.
    kind_only: &'static str,
    can_propose: bool,
    form: ProposeForm,
    units: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    decide: DecideState,
    chairman: Option<crate::pages::chairman::ChairmanForm>,
}

impl AccountabilityPage {
    fn col(&self, column: &str) -> &str {
        self.sorts.get(column).map(String::as_str).unwrap_or("")
    }
}

async fn render(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: &str,
    uri_here: &str,
    q: &PlanQuery,
    form: ProposeForm,
    decide: DecideState,
) -> Result<Result<AccountabilityPage, Response>, PageError> {
    let plan = state
        .store
        .plan(plan_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let mut l = Layout::new(cu, "nav.plans", "acc.title", uri_here);
    let lang = l.lang;
    l.flash = match q.done.as_deref() {
        Some("proposed") => Some(l.t("acc.proposed").to_string()),
        Some("decided") => Some(l.t("acc.decided").to_string()),
        _ => None,
    };
    let units = units_by_slug(state).await?;
    let records: Vec<HeadRecord> = match state
        .store
        .heads_accountability(plan_id, state.today())
        .await
    {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Err(PageError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let actor = cu.actor();
    let can_decide = can(&actor, &Action::DecideMeasure);
    let search = q.search();
    let rows = head_rows(&records, &units, lang, &actor, plan.year, q);
    // `?status=pending`: the measures still waiting for the leader's decision (the home page's
    // figure links here).
    let pending_only = q.status.as_deref() == Some("pending");
    // `?kind=criticism|disciplinary_review`: one kind of measure (the home page's figures).
    let kind = q.kind.as_deref().and_then(MeasureKind::parse);
    let measures: Vec<MeasureView> = state
        .store
        .measures(plan_id, None)
        .await?
        .iter()
        .filter(|m| !pending_only || m.decision.is_none())
        .filter(|m| kind.is_none_or(|k| m.kind == k))
        .map(|m| measure_view(m, &units, lang, can_decide))
        .filter(|m| search_keeps(search.as_deref(), &format!("{} {}", m.unit, m.head)))
        .collect();
    if q.wants_xlsx()? {
        return Ok(Err(heads_xlsx(lang, plan_id, &rows, &measures)?));
    }
    let mut unit_options: Vec<(String, String)> = records
        .iter()
        .map(|r| (r.unit.slug.clone(), unit_name(&units, lang, &r.unit.slug)))
        .collect();
    unit_options.sort_by_key(|(_, n)| fold(n));
    let sorts = HeadsOrder::COLUMNS
        .into_iter()
        .map(|c| (c, q.sort_href(c)))
        .collect();
    Ok(Ok(AccountabilityPage {
        nav: PlanNav::new(cu, plan_id, "plan.view_accountability"),
        today: dates::date(state.today()),
        q: q.q.clone().unwrap_or_default(),
        rows: q.paged(rows, 25),
        sorts,
        export_href: q.export_href(),
        measures,
        pending_only,
        kind_only: match kind {
            Some(MeasureKind::Criticism) => "measure.criticism",
            Some(MeasureKind::DisciplinaryReview) => "measure.disciplinary_review",
            None => "",
        },
        can_propose: can(&actor, &Action::ProposeMeasure),
        form,
        units: unit_options,
        kinds: vec![
            ("criticism", "measure.criticism"),
            ("disciplinary_review", "measure.disciplinary_review"),
        ],
        decide,
        chairman: crate::pages::chairman::chairman_form(cu, &plan, state.today()),
        l,
    }))
}

/// The heads' rows the search keeps, in the order asked for.
fn head_rows(
    records: &[HeadRecord],
    units: &BTreeMap<String, Unit>,
    lang: Lang,
    actor: &parindex_domain::access::Actor,
    year: i32,
    q: &PlanQuery,
) -> Vec<HeadRow> {
    let can_decide = can(actor, &Action::DecideMeasure);
    let search = q.search();
    let mut rows: Vec<HeadRow> = records
        .iter()
        .map(|r| HeadRow {
            slug: r.unit.slug.clone(),
            unit: unit_name(units, lang, &r.unit.slug),
            head: head_of(units, &r.unit.slug),
            overdue: r.overdue_assignments,
            missing: r.missing_reports,
            late: r.late_reports,
            areas: areas_text(lang, &r.areas_below_target),
            points_lost: i18n::opt_num(lang, r.points_lost),
            lost: r.points_lost,
            measures: r
                .measures
                .iter()
                .map(|m| measure_view(m, units, lang, can_decide))
                .collect(),
            eval_href: evaluation_href(actor, &r.unit.slug, year),
        })
        .filter(|r| {
            search_keeps(
                search.as_deref(),
                &format!("{} {} {}", r.slug, r.unit, r.head),
            )
        })
        .collect();
    order_heads(
        &mut rows,
        HeadsOrder::parse(q.sort.as_deref()),
        q.descending(),
        |r| HeadKey {
            unit: &r.unit,
            head: &r.head,
            overdue: r.overdue,
            missing: r.missing,
            late: r.late,
            lost: r.lost,
        },
    );
    rows
}

/// The table and every measure as a spreadsheet (two sheets).
fn heads_xlsx(
    lang: Lang,
    plan_id: &str,
    rows: &[HeadRow],
    measures: &[MeasureView],
) -> Result<Response, PageError> {
    let mut heads = crate::export::sheet(
        lang,
        "acc.title",
        &[
            "plan.unit",
            "plan.head",
            "acc.overdue",
            "acc.missing",
            "acc.late",
            "acc.areas",
            "acc.points_lost",
            "acc.measures",
        ],
    );
    for r in rows {
        heads.rows.push(vec![
            r.unit.as_str().into(),
            r.head.as_str().into(),
            r.overdue.into(),
            r.missing.into(),
            r.late.into(),
            r.areas.as_str().into(),
            r.points_lost.as_str().into(),
            r.measures
                .iter()
                .map(|m| {
                    format!(
                        "{} ({})",
                        i18n::t(lang, m.kind_key),
                        i18n::t(lang, m.decision_key)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
        ]);
    }
    let mut ms = crate::export::sheet(
        lang,
        "acc.measures_all",
        &[
            "plan.unit",
            "plan.head",
            "acc.kind",
            "acc.reason",
            "acc.proposed_by",
            "acc.decision",
            "acc.note",
            "acc.decided_by",
        ],
    );
    for m in measures {
        ms.rows.push(vec![
            m.unit.as_str().into(),
            m.head.as_str().into(),
            i18n::t(lang, m.kind_key).into(),
            m.reason.join("\n").into(),
            format!("{} {}", m.proposed_by, m.proposed_at).into(),
            i18n::t(lang, m.decision_key).into(),
            m.note.as_str().into(),
            format!("{} {}", m.decided_by, m.decided_at).trim().into(),
        ]);
    }
    xlsx_response(
        &format!("{plan_id}-trach-nhiem-nguoi-dung-dau"),
        &[heads, ms],
    )
}

async fn page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewAccountability)?;
    let form = ProposeForm {
        kind: "criticism".into(),
        ..Default::default()
    };
    match render(
        &state,
        &cu,
        &id,
        &here(&uri),
        &q,
        form,
        DecideState::default(),
    )
    .await?
    {
        Ok(p) => Ok(Html(p.render()?).into_response()),
        Err(download) => Ok(download),
    }
}

#[derive(Deserialize)]
pub struct ProposeInput {
    unit: Option<String>,
    kind: Option<String>,
    reason: Option<String>,
}

async fn propose(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Form(f): Form<ProposeInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ProposeMeasure)?;
    let plan = state.store.plan(&id).await?.ok_or(PageError::NotFound)?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k| i18n::t(lang, k).to_string();
    let mut form = ProposeForm {
        unit: f.unit.clone().unwrap_or_default().trim().to_string(),
        kind: f.kind.clone().unwrap_or_default().trim().to_string(),
        reason: f.reason.clone().unwrap_or_default(),
        errors: BTreeMap::new(),
    };
    if form.unit.is_empty() || state.store.unit(&form.unit).await?.is_none() {
        form.errors.insert("unit", t("acc.unit_required"));
    }
    let kind = MeasureKind::parse(&form.kind);
    if kind.is_none() {
        form.errors.insert("kind", t("acc.kind_required"));
    }
    if form.reason.trim().is_empty() {
        form.errors.insert("reason", t("acc.reason_required"));
    }
    if let (true, Some(kind)) = (form.errors.is_empty(), kind) {
        match state
            .store
            .propose_measure(
                &id,
                &form.unit,
                plan.year,
                kind,
                &form.reason,
                &cu.user.username,
            )
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/plans/{}/accountability?done=proposed#measures",
                    seg(&id)
                ))
                .into_response())
            }
            Err(StoreError::Invalid(m)) => match crate::refusals::measure(&m) {
                Some((field, key)) => {
                    form.errors.insert(field, t(key));
                }
                None => return Err(StoreError::Invalid(m).into()),
            },
            Err(e) => return Err(e.into()),
        }
    }
    let here = format!("/plans/{}/accountability", seg(&id));
    match render(
        &state,
        &cu,
        &id,
        &here,
        &PlanQuery::default(),
        form,
        DecideState::default(),
    )
    .await?
    {
        Ok(p) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(p.render()?)).into_response()),
        Err(r) => Ok(r),
    }
}

#[derive(Deserialize)]
pub struct DecideInput {
    decision: Option<String>,
    note: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path((id, mid)): Path<(String, i64)>,
    Form(f): Form<DecideInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::DecideMeasure)?;
    let m = state.store.measure(mid).await?.ok_or(PageError::NotFound)?;
    if m.plan_id != id {
        return Err(PageError::NotFound);
    }
    let lang = Lang::parse(&cu.user.lang);
    let t = |k| i18n::t(lang, k).to_string();
    let note = f.note.clone().unwrap_or_default();
    let mut ds = DecideState {
        measure_id: mid,
        decision: f.decision.clone().unwrap_or_default(),
        note: note.clone(),
        error: None,
    };
    let approve = match f.decision.as_deref().map(str::trim) {
        Some("approve" | "approved") => Some(true),
        Some("reject" | "rejected") => Some(false),
        _ => None,
    };
    match approve {
        None => ds.error = Some(t("acc.decision_required")),
        Some(a) => match state
            .store
            .decide_measure(mid, a, &note, &cu.user.username)
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!(
                    "/plans/{}/accountability?done=decided#measures",
                    seg(&id)
                ))
                .into_response())
            }
            Err(StoreError::Invalid(_)) => ds.error = Some(t("acc.already_decided")),
            Err(e) => return Err(e.into()),
        },
    }
    let here = format!("/plans/{}/accountability", seg(&id));
    let form = ProposeForm {
        kind: "criticism".into(),
        ..Default::default()
    };
    match render(&state, &cu, &id, &here, &PlanQuery::default(), form, ds).await? {
        Ok(p) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(p.render()?)).into_response()),
        Err(r) => Ok(r),
    }
}

/// The link to a unit's evaluation record of a year, when the user may read it (the
/// administrator reads the accountability table but not the units' records).
pub(crate) fn evaluation_href(
    actor: &parindex_domain::access::Actor,
    unit: &str,
    year: i32,
) -> Option<String> {
    can(actor, &Action::ViewEvaluation { unit })
        .then(|| format!("/units/{}/evaluation?year={year}", seg(unit)))
}

// ---------------------------------------------------------------------------------------------
// The head's yearly evaluation record

pub struct OverdueTask {
    pub href: String,
    pub section: String,
    pub title: String,
    pub status_key: &'static str,
    pub status_class: &'static str,
}

pub struct EvalPlan {
    pub title: String,
    pub href: String,
    pub assignments: usize,
    pub accepted: usize,
    pub submitted: usize,
    pub overdue: usize,
    pub missing: usize,
    pub late: usize,
    pub areas: String,
    pub points_lost: String,
    pub overdue_tasks: Vec<OverdueTask>,
    pub measures: Vec<MeasureView>,
}

/// The unit's place in one published internal ranking.
pub struct StandingView {
    pub round_id: String,
    pub round: String,
    pub href: String,
    pub year: i32,
    pub total: String,
    pub max: String,
    pub pct: String,
    /// `k/N`.
    pub rank: String,
    pub class: String,
    pub sample: bool,
}

/// The unit's standings in the year and in earlier years, each newest first (later years are
/// left out: the evaluation of a year does not know them).
async fn standings_for(
    state: &AppState,
    unit: &str,
    year: i32,
    lang: Lang,
) -> Result<(Vec<StandingView>, Vec<StandingView>), PageError> {
    let (this_year, earlier) = standings_until(
        state.store.standings(unit).await?,
        year,
        |s| s.year,
        |s| s.round_id.as_str(),
    );
    let mut views = (Vec::new(), Vec::new());
    for s in this_year {
        views.0.push(standing_view(state, s, lang).await?);
    }
    for s in earlier {
        views.1.push(standing_view(state, s, lang).await?);
    }
    Ok(views)
}

async fn standing_view(
    state: &AppState,
    s: Standing,
    lang: Lang,
) -> Result<StandingView, PageError> {
    // The class as the round names it in the user's language (the standing keeps the
    // Vietnamese label only).
    let class = match (&s.class_vi, lang) {
        (None, _) => String::new(),
        (Some(vi), Lang::Vi) => vi.clone(),
        (Some(vi), Lang::En) => state
            .store
            .round(&s.round_id)
            .await?
            .and_then(|r| {
                r.classes
                    .0
                    .into_iter()
                    .find(|c| &c.label_vi == vi)
                    .and_then(|c| c.label_en)
            })
            .unwrap_or_else(|| vi.clone()),
    };
    Ok(StandingView {
        href: format!("/rankings/{}", seg(&s.round_id)),
        round: s.round_name.clone(),
        year: s.year,
        total: i18n::num(lang, s.total),
        max: i18n::num(lang, s.max),
        pct: pct(lang, s.pct),
        rank: format!("{}/{}", s.rank, s.of),
        class,
        sample: s.sample,
        round_id: s.round_id,
    })
}

#[derive(Template)]
#[template(path = "accountability_evaluation.html")]
struct EvaluationPage {
    l: Layout,
    unit_name: String,
    head: String,
    year: i32,
    prev_href: String,
    next_href: String,
    today: String,
    plans: Vec<EvalPlan>,
    standings: Vec<StandingView>,
    earlier: Vec<StandingView>,
    export_href: String,
}

async fn evaluation(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(slug): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    // Authorise before revealing whether the unit exists.
    require(&cu, &Action::ViewEvaluation { unit: &slug })?;
    let unit = state.store.unit(&slug).await?.ok_or(PageError::NotFound)?;
    let today = state.today();
    let year = evaluation_year(&q, today)?;
    let mut l = Layout::new(&cu, "nav.plans", "acc.evaluation", &here(&uri));
    let lang = l.lang;
    let units = units_by_slug(&state).await?;
    let mut plans = Vec::new();
    for p in state
        .store
        .plans()
        .await?
        .into_iter()
        .filter(|p| p.year == year)
    {
        plans.push(eval_plan(&state, &p, &slug, &units, lang).await?);
    }
    let (standings, earlier) = standings_for(&state, &slug, year, lang).await?;
    let name = unit_name(&units, lang, &slug);
    let head = head_of(&units, &slug);
    if q.wants_xlsx()? {
        let rows = EvaluationRows {
            name: &name,
            head: &head,
            year,
            plans: &plans,
            standings: &standings,
            earlier: &earlier,
        };
        return evaluation_xlsx(lang, &slug, &rows);
    }
    let base = format!("/units/{}/evaluation", seg(&slug));
    l.title = format!("{} — {}", l.t("acc.evaluation"), unit.name_vi);
    let page = EvaluationPage {
        unit_name: name,
        head,
        year,
        prev_href: format!("{base}?year={}", year - 1),
        next_href: format!("{base}?year={}", year + 1),
        today: dates::date(today),
        plans,
        standings,
        earlier,
        export_href: format!("{base}?year={year}&export=xlsx"),
        l,
    };
    Ok(Html(page.render()?).into_response())
}

/// The year asked for (`?year=`), this year when none.
fn evaluation_year(q: &PlanQuery, today: jiff::civil::Date) -> Result<i32, PageError> {
    match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => y
            .parse()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
            .ok_or_else(|| {
                PageError::refused(
                    "year",
                    parindex_store::RefusalKind::NotAYear { value: y.into() },
                )
            }),
        None => Ok(i32::from(today.year())),
    }
}

/// One plan of the year on a unit's record: its compliance, the head's record, the
/// assignments needing attention and the measures of the year.
async fn eval_plan(
    state: &AppState,
    p: &parindex_domain::plan::Plan,
    slug: &str,
    units: &BTreeMap<String, Unit>,
    lang: Lang,
) -> Result<EvalPlan, PageError> {
    let st = load_state(state, &p.id, Some(slug)).await?;
    let c = st.compliance.get(slug).cloned().unwrap_or_default();
    let record = state
        .store
        .heads_accountability(&p.id, state.today())
        .await?
        .into_iter()
        .find(|r| r.unit.slug == slug);
    let overdue_tasks = st
        .tasks
        .iter()
        .flat_map(|ts| {
            ts.assignments
                .iter()
                .filter(|a| needs_attention(a.status))
                .map(|a| OverdueTask {
                    href: task_href(&p.id, &ts.task.id),
                    section: ts.task.section.clone(),
                    title: ts.task.title.clone(),
                    status_key: status_key(a.status),
                    status_class: status_class(a.status),
                })
        })
        .collect();
    let measures = state
        .store
        .measures(&p.id, Some(slug))
        .await?
        .iter()
        .filter(|m| m.year == p.year)
        .map(|m| measure_view(m, units, lang, false))
        .collect();
    Ok(EvalPlan {
        title: p.title.clone(),
        href: format!("/plans/{}", seg(&p.id)),
        assignments: c.assignments,
        accepted: c.accepted,
        submitted: c.submitted,
        overdue: c.overdue,
        missing: c.missing_reports,
        late: c.late_reports,
        areas: record
            .as_ref()
            .map(|r| areas_text(lang, &r.areas_below_target))
            .unwrap_or_default(),
        points_lost: i18n::opt_num(lang, record.as_ref().and_then(|r| r.points_lost)),
        overdue_tasks,
        measures,
    })
}

/// What the evaluation record's spreadsheet shows.
struct EvaluationRows<'a> {
    name: &'a str,
    head: &'a str,
    year: i32,
    plans: &'a [EvalPlan],
    standings: &'a [StandingView],
    earlier: &'a [StandingView],
}

/// The record as a spreadsheet: one sheet of plans, one of ranking standings.
fn evaluation_xlsx(lang: Lang, slug: &str, r: &EvaluationRows<'_>) -> Result<Response, PageError> {
    let mut sheet = crate::export::sheet(
        lang,
        "acc.evaluation",
        &[
            "plan.unit",
            "plan.head",
            "acc.year",
            "plan.title",
            "comp.assignments",
            "comp.accepted",
            "comp.submitted",
            "comp.overdue",
            "comp.missing",
            "comp.late",
            "acc.areas",
            "acc.points_lost",
            "acc.measures",
        ],
    );
    for p in r.plans {
        sheet.rows.push(vec![
            r.name.into(),
            r.head.into(),
            Cell::Int(i64::from(r.year)),
            p.title.as_str().into(),
            p.assignments.into(),
            p.accepted.into(),
            p.submitted.into(),
            p.overdue.into(),
            p.missing.into(),
            p.late.into(),
            p.areas.as_str().into(),
            p.points_lost.as_str().into(),
            p.measures
                .iter()
                .map(|m| {
                    format!(
                        "{} ({}): {}",
                        i18n::t(lang, m.kind_key),
                        i18n::t(lang, m.decision_key),
                        m.reason.join(" ")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
        ]);
    }
    let mut ranking = crate::export::sheet(
        lang,
        "acc.ranking_sheet",
        &[
            "plan.unit",
            "acc.year",
            "acc.ranking_round",
            "acc.ranking_total",
            "acc.ranking_pct",
            "acc.ranking_rank",
            "acc.ranking_class",
            "acc.ranking_sample",
        ],
    );
    for s in r.standings.iter().chain(r.earlier) {
        ranking.rows.push(vec![
            r.name.into(),
            Cell::Int(i64::from(s.year)),
            s.round.as_str().into(),
            format!("{} / {}", s.total, s.max).into(),
            s.pct.as_str().into(),
            s.rank.as_str().into(),
            s.class.as_str().into(),
            if s.sample {
                i18n::t(lang, "assess.sample_short")
            } else {
                ""
            }
            .into(),
        ]);
    }
    xlsx_response(&format!("danh-gia-{slug}-{}", r.year), &[sheet, ranking])
}

//! A home page per role (issue 12): the figures at the top of the dashboard. Each figure is a
//! link to exactly the list it counts — the board filtered by a status or as a list (`?view=list`),
//! the accountability page's measures of a kind awaiting a decision (`?status=pending&kind=…`:
//! criticism, disciplinary review, one figure each), the rounds not yet
//! published (`?state=unpublished`), a round's files waiting for an appraiser
//! (`?waiting=appraisal`) — with the same scope as that list (a unit-bound user's own unit), and
//! its label says what one counted item is (an assignment of a task to a unit, a measure, a
//! round, a unit's file). A figure is drawn only when `access::can` lets the reader open its list.
//!
//! - agency, lead agency: its own tasks overdue, due within 7 days, returned, its reports awaiting
//!   review, its periods without a report, and its self-assessment in the open rounds; the lead
//!   agency also the areas it answers for (added by the dashboard, which reads the gap report);
//! - coordinator: the same figures for the whole province (reports awaiting *its* review), the
//!   measures awaiting the leader and the rounds not yet published;
//! - leader: the province's figures, the decisions waiting for it (measures) and the rounds not
//!   yet published, and the Chairman's report form for the month;
//! - appraiser: per round not yet published, the units whose file waits for appraisal today.

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::pages::chairman::{chairman_form, ChairmanForm};
use crate::pages::plans::{own_scope, seg};
use crate::AppState;
use jiff::civil::Date;
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::awaits_appraisal;
use parindex_domain::plan::MeasureKind;
use parindex_store::PlanCounts;

/// One number of the home page.
pub struct Figure {
    /// The element's id (`tile-overdue`, `tile-waiting-mau-so-nganh-2021`).
    pub id: String,
    /// Catalogue key: what is counted.
    pub label: &'static str,
    /// Catalogue key: what one counted item is ("lượt nhiệm vụ × đơn vị").
    pub counts: &'static str,
    /// A name beside the label (the round counted in), or empty.
    pub about: String,
    pub value: usize,
    /// The list it counts.
    pub href: String,
    /// The id of the table of that page whose rows it counts.
    pub list: &'static str,
    /// Shown in red when above 0.
    pub bad: bool,
}

/// A group of figures under a heading.
pub struct FigureGroup {
    pub id: &'static str,
    pub title: &'static str,
    /// A name beside the title (the plan), or empty.
    pub about: String,
    /// Catalogue key of a sentence under the title, or empty.
    pub note: &'static str,
    pub figures: Vec<Figure>,
}

/// A unit's own self-assessment in a round not yet published.
pub struct OwnAssessment {
    pub round: String,
    /// The round's id, for the figure's element id (`tile-unscored-{round_id}`).
    pub round_id: String,
    pub href: String,
    pub scored: usize,
    pub to_score: usize,
    /// Items still to self-score: a link to the unit's page listing exactly those
    /// (`?unscored=1`).
    pub unscored: usize,
    pub submitted: bool,
}

/// What the home page shows above the province's view.
#[derive(Default)]
pub struct Home {
    pub groups: Vec<FigureGroup>,
    /// The Chairman's report form for the month (roles that may download it).
    pub chairman: Option<ChairmanForm>,
    /// The unit's self-assessments in the rounds not yet published.
    pub assessments: Vec<OwnAssessment>,
    /// The plan's tasks and their assignments in the reader's scope (`own`: a unit's).
    pub tasks: usize,
    pub assignments: usize,
    pub own: bool,
}

fn figure(
    id: &str,
    label: &'static str,
    counts: &'static str,
    value: usize,
    href: String,
    list: &'static str,
) -> Figure {
    Figure {
        id: id.to_string(),
        label,
        counts,
        about: String::new(),
        value,
        href,
        list,
        bad: false,
    }
}

/// The home page's figures for this reader.
pub async fn home(state: &AppState, cu: &CurrentUser) -> Result<Home, PageError> {
    let mut home = Home::default();
    let today = state.today();
    let actor = cu.actor();
    let plan = if can(&actor, &Action::ViewPlan) {
        state.store.plans().await?.into_iter().next()
    } else {
        None
    };
    if let Some(plan) = &plan {
        let scope = own_scope(cu);
        let st = state
            .store
            .plan_state_shared(&plan.id, today, scope.as_deref())
            .await?;
        let counts = st.counts();
        home.tasks = st.tasks.len();
        home.assignments = counts.assignments;
        home.own = scope.is_some();
        home.groups
            .push(plan_group(&plan.id, &plan.title, scope.is_some(), &counts));
        home.chairman = chairman_form(cu, plan, st.today);
    }
    let decisions = decisions_group(state, cu, plan.as_ref().map(|p| p.id.as_str())).await?;
    home.groups.extend(decisions);
    if can(&actor, &Action::Appraise) {
        home.groups.push(appraisal_group(state, cu, today).await?);
    }
    home.assessments = own_assessments(state, cu).await?;
    Ok(home)
}

/// The plan's figures: the unit's own (`own`) or the province's.
fn plan_group(plan_id: &str, title: &str, own: bool, c: &PlanCounts) -> FigureGroup {
    let board = format!("/plans/{}/board", seg(plan_id));
    // A unit's own assignments are its tasks (each task is assigned to a unit once); across the
    // province one task counts once per unit it is assigned to.
    let a = if own {
        "home.counts_own_tasks"
    } else {
        "home.counts_assignments"
    };
    let mut overdue = figure(
        "tile-overdue",
        "home.overdue",
        a,
        c.overdue,
        format!("{board}?status=overdue"),
        "board-table",
    );
    overdue.bad = true;
    let mut returned = figure(
        "tile-returned",
        "home.returned",
        a,
        c.returned,
        format!("{board}?status=returned"),
        "board-table",
    );
    returned.bad = true;
    let mut missing = figure(
        "tile-missing",
        "home.missing",
        a,
        c.missing,
        format!("{board}?missing=1&view=list"),
        "board-table",
    );
    missing.bad = true;
    let figures = vec![
        overdue,
        figure(
            "tile-due7",
            "home.due7",
            a,
            c.due7,
            format!("{board}?due=7&view=list"),
            "board-table",
        ),
        returned,
        figure(
            "tile-submitted",
            if own {
                "home.submitted_own"
            } else {
                "home.submitted_all"
            },
            a,
            c.submitted,
            format!("{board}?status=submitted"),
            "board-table",
        ),
        missing,
    ];
    FigureGroup {
        id: "home-plan",
        title: if own {
            "home.plan_own"
        } else {
            "home.plan_all"
        },
        about: title.to_string(),
        note: "",
        figures,
    }
}

/// Measures waiting for the leader's decision and rounds not yet published (the leader, the
/// coordinator).
async fn decisions_group(
    state: &AppState,
    cu: &CurrentUser,
    plan_id: Option<&str>,
) -> Result<Option<FigureGroup>, PageError> {
    let actor = cu.actor();
    let leader = can(&actor, &Action::DecideMeasure);
    if !leader && !can(&actor, &Action::ManageRounds) {
        return Ok(None);
    }
    let mut figures = Vec::new();
    if let Some(plan_id) = plan_id.filter(|_| can(&actor, &Action::ViewAccountability)) {
        let measures = state.store.measures(plan_id, None).await?;
        // One figure per kind of measure: criticism, disciplinary review.
        for (kind, id, label) in [
            (
                MeasureKind::Criticism,
                "tile-measures-criticism",
                "home.criticism_pending",
            ),
            (
                MeasureKind::DisciplinaryReview,
                "tile-measures-disciplinary",
                "home.disciplinary_pending",
            ),
        ] {
            let pending = measures
                .iter()
                .filter(|m| m.kind == kind && m.decision.is_none())
                .count();
            let mut f = figure(
                id,
                label,
                "home.counts_measures",
                pending,
                format!(
                    "/plans/{}/accountability?status=pending&kind={}#measures",
                    seg(plan_id),
                    kind.as_str()
                ),
                "measures-table",
            );
            f.bad = leader;
            figures.push(f);
        }
    }
    let unpublished = state
        .store
        .rounds()
        .await?
        .iter()
        .filter(|r| !r.round.is_published())
        .count();
    figures.push(figure(
        "tile-unpublished",
        "home.unpublished",
        "home.counts_rounds",
        unpublished,
        "/assessments?state=unpublished".into(),
        "rounds-table",
    ));
    Ok(Some(FigureGroup {
        id: "home-decisions",
        title: if leader {
            "home.decisions_leader"
        } else {
            "home.decisions_coordinator"
        },
        about: String::new(),
        note: "",
        figures,
    }))
}

/// Per round not yet published, the units whose file waits for an appraiser today (those the
/// round page lists under `?waiting=appraisal`).
async fn appraisal_group(
    state: &AppState,
    cu: &CurrentUser,
    today: Date,
) -> Result<FigureGroup, PageError> {
    let mut figures = Vec::new();
    for s in state.store.rounds().await? {
        let r = &s.round;
        if r.is_published() {
            continue;
        }
        let Some(edition) = state.store.edition(&r.edition_id).await? else {
            continue;
        };
        let reopenings = state.store.reopenings(&r.id).await?;
        let waiting = state
            .store
            .round_overview(&r.id)
            .await?
            .iter()
            .filter(|o| crate::pages::assessments::may_view(cu, &o.unit, &edition))
            .filter(|o| {
                awaits_appraisal(
                    r,
                    &reopenings,
                    &o.progress,
                    &o.unit.slug,
                    o.missing_finals,
                    o.disputes_open,
                    today,
                )
            })
            .count();
        let mut f = figure(
            &format!("tile-waiting-{}", r.id),
            "home.waiting_appraisal",
            "home.counts_files",
            waiting,
            format!("/assessments/{}?waiting=appraisal", seg(&r.id)),
            "units-table",
        );
        f.about = r.name.clone();
        figures.push(f);
    }
    Ok(FigureGroup {
        id: "home-appraisal",
        title: "home.appraisal",
        about: String::new(),
        note: if figures.is_empty() {
            "home.no_open_rounds"
        } else {
            ""
        },
        figures,
    })
}

/// The reader's own unit's self-assessment in each round not yet published that assesses it.
async fn own_assessments(
    state: &AppState,
    cu: &CurrentUser,
) -> Result<Vec<OwnAssessment>, PageError> {
    let Some(unit) = cu.user.unit.as_deref() else {
        return Ok(Vec::new());
    };
    let actor = cu.actor();
    if !can(&actor, &Action::SelfAssess { unit, lead: None }) || !actor.role.needs_unit() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for s in state.store.rounds().await? {
        let r = &s.round;
        if r.is_published() || !r.units.iter().any(|u| u == unit) {
            continue;
        }
        let overview = state.store.round_overview(&r.id).await?;
        let Some(o) = overview.iter().find(|o| o.unit.slug == unit) else {
            continue;
        };
        out.push(OwnAssessment {
            round: r.name.clone(),
            round_id: r.id.clone(),
            href: format!("/assessments/{}/units/{}", seg(&r.id), seg(unit)),
            scored: o.scored,
            to_score: o.to_score,
            unscored: o.to_score.saturating_sub(o.scored),
            submitted: o.progress.submitted_on.is_some(),
        });
    }
    Ok(out)
}

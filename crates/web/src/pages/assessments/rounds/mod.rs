//! Rounds: the list, creating one, a round's stages and units, deadlines, reopening a stage
//! for one unit, publication with confirmation, and next year's round.

use super::stage_key;
use crate::auth::Authed;
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::Stage;
use parindex_domain::edition::Level;
use serde::Deserialize;

mod new;
pub use new::*;
mod detail;
pub use detail::*;
mod publish;
pub use publish::*;
mod next_year;
pub use next_year::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessments", get(list).post(create))
        .route("/assessments/new", get(new_page))
        .route("/assessments/{round}", get(detail))
        .route(
            "/assessments/{round}/deadlines",
            axum::routing::post(deadlines),
        )
        .route("/assessments/{round}/reopen", axum::routing::post(reopen))
        .route(
            "/assessments/{round}/publish",
            get(publish_page).post(publish),
        )
        .route(
            "/assessments/{round}/next-year",
            get(next_page).post(next_year),
        )
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
    /// `appraisal` on a round's page: only the units whose file waits for an appraiser today.
    waiting: Option<String>,
}

/// The rounds list's filter: `?state=unpublished` keeps the rounds not yet published.
#[derive(Deserialize, Default)]
pub struct RoundsQuery {
    state: Option<String>,
}

fn flash(lang: Lang, done: &Option<String>) -> Option<String> {
    let key = match done.as_deref()? {
        "created" => "assess.done.created",
        "deadlines" => "assess.done.deadlines",
        "reopened" => "assess.done.reopened",
        "carried" => "assess.done.carried",
        _ => return None,
    };
    Some(i18n::t(lang, key).to_string())
}

fn level_key(l: Level) -> &'static str {
    match l {
        Level::Province => "assess.level.province",
        Level::Department => "assess.level.department",
        Level::District => "assess.level.district",
        Level::Commune => "assess.level.commune",
    }
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

pub struct RoundLine {
    pub id: String,
    pub name: String,
    pub edition: String,
    pub level_key: &'static str,
    pub year: i32,
    pub units: usize,
    pub sample: bool,
    pub published: String,
    /// The stage open today, or empty when all are past.
    pub current: String,
    /// The user's own unit in this round.
    pub own_unit: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment_rounds.html")]
struct ListPage {
    l: Layout,
    rounds: Vec<RoundLine>,
    can_manage: bool,
    unpublished_only: bool,
}

async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(rq): Query<RoundsQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewProvincialRanking)?;
    let l = Layout::new(&cu, "nav.assessments", "assess.rounds_title", &here(&uri));
    let lang = l.lang;
    let today = state.today();
    let own = cu.user.unit.clone();
    let unpublished_only = rq.state.as_deref() == Some("unpublished");
    let rounds = state
        .store
        .rounds()
        .await?
        .into_iter()
        .filter(|s| !unpublished_only || !s.round.is_published())
        .map(|s| {
            let r = s.round;
            let current = if r.is_published() {
                String::new()
            } else {
                Stage::ALL
                    .iter()
                    .find(|st| today <= r.deadlines.get(**st))
                    .map(|st| i18n::t(lang, stage_key(*st)).to_string())
                    .unwrap_or_default()
            };
            RoundLine {
                own_unit: own.clone().filter(|u| r.units.contains(u)),
                id: r.id.clone(),
                name: r.name.clone(),
                edition: s.edition_name,
                level_key: level_key(s.level),
                year: r.year,
                units: r.units.len(),
                sample: r.sample,
                published: r.published_on.map(dates::date).unwrap_or_default(),
                current,
            }
        })
        .collect();
    let page = ListPage {
        can_manage: can(&cu.actor(), &Action::ManageRounds),
        unpublished_only,
        l,
        rounds,
    };
    Ok(Html(page.render()?))
}

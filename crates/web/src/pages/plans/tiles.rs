//! The dashboard's plan tiles.

use super::*;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::AppState;
use parindex_domain::access::{can, Action};

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
    /// The Chairman's report form, for the roles that may download it.
    pub chairman: Option<crate::pages::chairman::ChairmanForm>,
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
        .plan_state_shared(&plan.id, state.today(), None)
        .await?;
    let board = format!("/plans/{}/board", seg(&plan.id));
    let chairman = crate::pages::chairman::chairman_form(cu, &plan, st.today);
    Ok(Some(PlanTiles {
        chairman,
        title: plan.title,
        overdue: st.tiles.overdue,
        due7: st.tiles.due_within_7_days,
        missing: st.tiles.reports_missing,
        overdue_href: format!("{board}?status=overdue"),
        due7_href: format!("{board}?due=7"),
        missing_href: format!("{board}?missing=1"),
    }))
}

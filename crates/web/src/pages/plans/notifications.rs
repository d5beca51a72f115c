//! The unit's notifications (`/notifications`).

use super::*;
use crate::auth::Authed;
use crate::dates;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_domain::text::fold;

pub struct NotificationRow {
    pub when: String,
    pub message: String,
    pub link: Option<String>,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "plan_notifications.html")]
pub(super) struct NotificationsPage {
    l: Layout,
    has_unit: bool,
    unread: usize,
    q: String,
    rows: Paged<NotificationRow>,
}

/// Notifications are the signed-in user's own unit's; users without a unit have none.
pub(super) async fn notifications(
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
            when: dates::timestamp(&n.created_at),
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

pub(super) async fn mark_read(
    State(state): State<AppState>,
    Authed(cu): Authed,
) -> Result<Response, PageError> {
    if let Some(u) = cu.user.unit.as_deref() {
        state.store.mark_notifications_read(u).await?;
    }
    Ok(Redirect::to("/notifications?done=read").into_response())
}

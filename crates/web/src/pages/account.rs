//! The user's own account: language, password, and the e-mail address the reminders of the
//! user's unit are sent to.

use crate::auth::{self, Authed};
use crate::client::Client;
use crate::dates;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::here;
use crate::throttle::{self, Gate};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/password", post(change_password))
        .route("/account/lang", post(set_lang))
        .route("/account/email", post(set_email))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    username: String,
    unit_name: String,
    err_current: Option<String>,
    err_new: Option<&'static str>,
    err_confirm: Option<&'static str>,
    /// The e-mail form: the address (stored, or as typed) and its error.
    email: String,
    err_email: Option<&'static str>,
}

async fn render(
    state: &AppState,
    cu: &auth::CurrentUser,
    uri: &Uri,
    flash: Option<String>,
) -> Result<AccountPage, PageError> {
    let unit_name = match &cu.user.unit {
        Some(u) => state
            .store
            .unit(u)
            .await?
            .map(|u| u.name_vi)
            .unwrap_or_else(|| u.clone()),
        None => "—".into(),
    };
    Ok(AccountPage {
        l: Layout::new(cu, "nav.account", "account.title", &here(uri)).with_flash(flash),
        username: cu.user.username.clone(),
        unit_name,
        err_current: None,
        err_new: None,
        err_confirm: None,
        email: cu.user.email.clone().unwrap_or_default(),
        err_email: None,
    })
}

#[derive(Deserialize)]
pub struct FlashQuery {
    done: Option<String>,
}

async fn account(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    axum::extract::Query(q): axum::extract::Query<FlashQuery>,
) -> Result<Html<String>, PageError> {
    let mut page = render(&state, &cu, &uri, None).await?;
    let flash = match q.done.as_deref() {
        Some("email") => Some("users.email_saved"),
        Some("email-cleared") => Some("users.email_cleared"),
        Some(_) => Some("account.password_changed"),
        None => None,
    };
    if let Some(key) = flash {
        page.l.flash = Some(page.l.t(key).to_string());
    }
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// Change one's password. The current password is checked under the same throttle as signing
/// in (the same name and address counters), so a stolen session cannot be used to guess it.
async fn change_password(
    State(state): State<AppState>,
    Authed(cu): Authed,
    client: Client,
    uri: Uri,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let mut page = render(&state, &cu, &uri, None).await?;
    let name = throttle::account_name(&cu.user.username);
    match throttle::claim(&state, &name, &client).await? {
        Gate::Locked { until } => {
            page.err_current = Some(match until {
                Some(u) => format!(
                    "{} {}.",
                    page.l.t("account.current_locked"),
                    dates::timestamp(&u)
                ),
                None => page.l.t("account.current_locked_later").to_string(),
            });
        }
        Gate::Open { .. } => {
            let hash = state
                .store
                .user_by_username(&cu.user.username)
                .await?
                .map(|(_, h)| h);
            if auth::check_password(&f.current, hash.as_deref()).await {
                throttle::succeeded(&state, &name, &client).await?;
            } else {
                throttle::failed(&state, &client).await?;
                page.err_current = Some(page.l.t("account.wrong_current").to_string());
            }
        }
    }
    if let Some(key) = auth::password_problem(&f.new) {
        page.err_new = Some(page.l.t(key));
    } else if f.new != f.confirm {
        page.err_confirm = Some(page.l.t("account.mismatch"));
    }
    if page.err_current.is_some() || page.err_new.is_some() || page.err_confirm.is_some() {
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Html(page.render()?),
        )
            .into_response());
    }
    let new_hash = auth::make_hash(&f.new).await.map_err(|e| {
        tracing::error!(error = %e, "hashing");
        PageError::Internal
    })?;
    state
        .store
        .set_password(
            cu.user.id,
            &new_hash,
            Some(&cu.session_hash),
            &cu.user.username,
        )
        .await?;
    Ok(Redirect::to("/account?done=1").into_response())
}

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
    back: Option<String>,
}

async fn set_lang(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Form(f): Form<LangForm>,
) -> Result<Response, PageError> {
    state
        .store
        .set_lang(cu.user.id, if f.lang == "en" { "en" } else { "vi" })
        .await?;
    Ok(Redirect::to(&auth::safe_next(f.back.as_deref())).into_response())
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// Set, change or (empty) clear one's own e-mail address; audited by the store. A malformed
/// address is shown again beside the field with its message (422).
async fn set_email(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Form(f): Form<EmailForm>,
) -> Result<Response, PageError> {
    let key = match state
        .store
        .set_user_email(cu.user.id, Some(&f.email), &cu.user.username)
        .await
    {
        Ok(()) => {
            let done = if f.email.trim().is_empty() {
                "email-cleared"
            } else {
                "email"
            };
            return Ok(Redirect::to(&format!("/account?done={done}")).into_response());
        }
        Err(parindex_store::StoreError::Invalid(refusals)) => {
            match crate::refusals::email(&refusals) {
                Some(key) => key,
                None => return Err(parindex_store::StoreError::Invalid(refusals).into()),
            }
        }
        Err(e) => return Err(e.into()),
    };
    let mut page = render(&state, &cu, &uri, None).await?;
    page.err_email = Some(page.l.t(key));
    page.email = f.email;
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        Html(page.render()?),
    )
        .into_response())
}

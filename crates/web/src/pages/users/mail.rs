//! E-mail on the users page: an administrator sets, changes or clears a user's address (the
//! reminders of the user's unit go to it), and sends a test mail through the SMTP server the
//! server was started with (`--smtp-url`), learning at once whether it went.

use super::{list_page, roles, unit_options, UserEditPage, UserFormView};
use crate::auth::Authed;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, require, ListQuery};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::Action;
use parindex_store::{normalise_email, StoreError};
use serde::Deserialize;

/// The test mail form on the users page and, once sent, what became of the mail.
#[derive(Default)]
pub struct TestMailView {
    pub to: String,
    pub err: Option<&'static str>,
    pub outcome: Option<MailOutcome>,
}

/// What became of a test mail: `kind` is `sent`, `failed` or `unconfigured` (the element's id
/// is `test-mail-{kind}`).
pub struct MailOutcome {
    pub kind: &'static str,
    pub text: String,
}

impl MailOutcome {
    pub fn ok(&self) -> bool {
        self.kind == "sent"
    }
}

/// The address typed on the create form, checked before the user is created: `None` when it
/// is empty or refused (then with its message beside the field).
pub(super) fn new_user_email(l: &Layout, view: &mut UserFormView) -> Option<String> {
    match normalise_email(&view.email) {
        Ok(e) => e,
        Err(StoreError::Invalid(refusals)) => {
            let key = crate::refusals::email(&refusals).unwrap_or("users.email_invalid");
            view.errors.insert("email", l.t(key));
            None
        }
        Err(_) => None,
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// `POST /users/{id}/email`: set, change or (empty) clear the user's address; audited by the
/// store. A malformed address is shown again beside the field with its message (422).
pub(super) async fn set_email(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<i64>,
    Form(f): Form<EmailForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageUsers)?;
    let u = state.store.user(id).await?.ok_or(PageError::NotFound)?;
    let err_key = match state
        .store
        .set_user_email(id, Some(&f.email), &cu.user.username)
        .await
    {
        Ok(()) => {
            let done = if f.email.trim().is_empty() {
                "email-cleared"
            } else {
                "email"
            };
            return Ok(Redirect::to(&format!("/users?done={done}")).into_response());
        }
        Err(StoreError::Invalid(refusals)) => match crate::refusals::email(&refusals) {
            Some(key) => key,
            None => return Err(StoreError::Invalid(refusals).into()),
        },
        Err(e) => return Err(e.into()),
    };
    let l = Layout::new(&cu, "nav.users", "users.edit_title", &here(&uri));
    let page = UserEditPage {
        err_email: Some(l.t(err_key)),
        l,
        id,
        email: f.email,
        form: UserFormView::of(u),
        roles: roles(),
        units: unit_options(&state).await?,
        err_password: None,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct TestMailForm {
    #[serde(default)]
    to: String,
}

/// `POST /users/test-mail`: one message to the address given, through the configured SMTP
/// server; the users page says whether it went (and why not), or that no server is configured.
pub(super) async fn test_mail(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Form(f): Form<TestMailForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageUsers)?;
    let l = Layout::new(&cu, "nav.users", "users.title", "/users");
    let mut view = TestMailView {
        to: f.to.trim().to_string(),
        ..Default::default()
    };
    let mut status = StatusCode::OK;
    match (&state.config.mailer, normalise_email(&f.to)) {
        (None, _) => {
            view.outcome = Some(MailOutcome {
                kind: "unconfigured",
                text: l.t("users.test_mail_unconfigured").to_string(),
            });
        }
        (Some(mailer), Ok(Some(to))) => {
            let subject = l.t("users.test_mail_subject");
            let body = l
                .t("users.test_mail_body")
                .replace("{user}", &cu.user.username)
                .replace("{server}", mailer.server());
            view.outcome = Some(match mailer.send(&to, subject, &body).await {
                Ok(()) => {
                    tracing::info!(to = %to, by = %cu.user.username, server = %mailer.server(), "test mail sent");
                    MailOutcome {
                        kind: "sent",
                        text: l
                            .t("users.test_mail_sent")
                            .replace("{to}", &to)
                            .replace("{server}", mailer.server()),
                    }
                }
                Err(e) => {
                    tracing::warn!(to = %to, error = %e, "test mail not sent");
                    MailOutcome {
                        kind: "failed",
                        text: l
                            .t("users.test_mail_failed")
                            .replace("{to}", &to)
                            .replace("{error}", &e.to_string()),
                    }
                }
            });
        }
        (Some(_), Ok(None)) => {
            view.err = Some(l.t("common.required"));
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        (Some(_), Err(StoreError::Invalid(refusals))) => {
            view.err =
                Some(l.t(crate::refusals::email(&refusals).unwrap_or("users.email_invalid")));
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        (Some(_), Err(e)) => return Err(e.into()),
    }
    let form = UserFormView {
        role: "agency".into(),
        lang: "vi".into(),
        active: true,
        ..Default::default()
    };
    let users = Uri::from_static("/users");
    let mut page = list_page(&state, &cu, &users, &ListQuery::default(), form, None).await?;
    page.mail = view;
    Ok((status, Html(page.render()?)).into_response())
}

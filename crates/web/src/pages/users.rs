//! Users (administrators only): list, create, edit role/unit/activity, reset a password, set
//! the e-mail address reminders go to, send a test mail through the configured SMTP server.

use crate::auth::{self, Authed};
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, require, ListQuery, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use parindex_domain::access::{Action, Role};
use parindex_store::{user_input_problems, StoreError, UserInput};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", get(edit_page).post(update))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/email", post(mail::set_email))
        .route("/users/test-mail", post(mail::test_mail))
}

mod mail;

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub role_key: String,
    pub unit: String,
    pub email: String,
    pub active: bool,
    pub locked: bool,
}

#[derive(Default)]
pub struct UserFormView {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
    pub lang: String,
    pub active: bool,
    /// The new user's e-mail address (the create form only).
    pub email: String,
    pub errors: BTreeMap<&'static str, &'static str>,
}

impl UserFormView {
    /// The edit form of a stored user, with no errors (the e-mail address has its own form).
    pub(super) fn of(u: parindex_store::User) -> UserFormView {
        UserFormView {
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().into(),
            unit: u.unit.unwrap_or_default(),
            lang: u.lang,
            active: u.active,
            email: String::new(),
            errors: BTreeMap::new(),
        }
    }

    pub fn err(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    l: Layout,
    q: String,
    rows: Paged<UserRow>,
    form: UserFormView,
    roles: Vec<(&'static str, String)>,
    units: Vec<(String, String)>,
    /// The test mail form: the address typed and what became of the mail.
    mail: mail::TestMailView,
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct UserEditPage {
    l: Layout,
    id: i64,
    form: UserFormView,
    roles: Vec<(&'static str, String)>,
    units: Vec<(String, String)>,
    err_password: Option<&'static str>,
    /// The e-mail form: the address (stored, or as typed) and its error.
    email: String,
    err_email: Option<&'static str>,
}

fn roles() -> Vec<(&'static str, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str(), format!("role.{}", r.as_str())))
        .collect()
}

async fn unit_options(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .store
        .units(None)
        .await?
        .into_iter()
        .map(|u| (u.slug, u.name_vi))
        .collect())
}

async fn list_page(
    state: &AppState,
    cu: &auth::CurrentUser,
    uri: &Uri,
    q: &ListQuery,
    form: UserFormView,
    flash: Option<String>,
) -> Result<UsersPage, PageError> {
    let now = parindex_store::timestamp_text(jiff::Timestamp::now());
    let locked = state.store.throttled_accounts(&now).await?;
    let rows: Vec<UserRow> = state
        .store
        .users(q.search())
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            locked: locked.contains(&u.username),
            username: u.username,
            name: u.display_name,
            role_key: format!("role.{}", u.role.as_str()),
            unit: u.unit.unwrap_or_default(),
            email: u.email.unwrap_or_default(),
            active: u.active,
        })
        .collect();
    Ok(UsersPage {
        l: Layout::new(cu, "nav.users", "users.title", &here(uri)).with_flash(flash),
        q: q.q.clone().unwrap_or_default(),
        rows: Paged::new(rows, q, 25),
        form,
        roles: roles(),
        units: unit_options(state).await?,
        mail: mail::TestMailView {
            to: cu.user.email.clone().unwrap_or_default(),
            ..Default::default()
        },
    })
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(flatten)]
    list: ListQuery,
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ManageUsers)?;
    let l = Layout::new(&cu, "nav.users", "users.title", "/users");
    let flash = match q.done.as_deref() {
        Some("created") => Some(l.t("users.created").to_string()),
        Some("saved") => Some(l.t("common.saved").to_string()),
        Some("password") => Some(l.t("users.password_reset").to_string()),
        Some("email") => Some(l.t("users.email_saved").to_string()),
        Some("email-cleared") => Some(l.t("users.email_cleared").to_string()),
        _ => None,
    };
    let form = UserFormView {
        role: "agency".into(),
        lang: "vi".into(),
        active: true,
        ..Default::default()
    };
    Ok(Html(
        list_page(&state, &cu, &uri, &q.list, form, flash)
            .await?
            .render()?,
    ))
}

#[derive(Deserialize)]
pub struct UserForm {
    username: Option<String>,
    display_name: String,
    role: String,
    unit: Option<String>,
    lang: Option<String>,
    active: Option<String>,
    password: Option<String>,
    email: Option<String>,
}

fn to_input(f: &UserForm, username: &str) -> (UserInput, UserFormView) {
    let role = Role::parse(&f.role).unwrap_or(Role::Agency);
    let unit = f.unit.clone().filter(|s| !s.trim().is_empty());
    let input = UserInput {
        username: username.trim().to_string(),
        display_name: f.display_name.trim().to_string(),
        role,
        unit: unit.clone(),
        lang: f
            .lang
            .clone()
            .filter(|l| l == "en")
            .unwrap_or_else(|| "vi".into()),
        active: f.active.is_some(),
    };
    let view = UserFormView {
        username: username.to_string(),
        display_name: f.display_name.clone(),
        role: role.as_str().to_string(),
        unit: unit.unwrap_or_default(),
        lang: input.lang.clone(),
        active: input.active,
        email: f.email.clone().unwrap_or_default(),
        errors: BTreeMap::new(),
    };
    (input, view)
}

fn field_errors(l: &Layout, input: &UserInput) -> BTreeMap<&'static str, &'static str> {
    user_input_problems(input)
        .iter()
        .filter_map(|r| {
            let field = FORM_FIELDS.iter().find(|f| **f == r.field)?;
            Some((*field, l.t(crate::refusals::user_field_key(r))))
        })
        .collect()
}

/// The fields of the user form.
const FORM_FIELDS: [&str; 4] = ["username", "display_name", "unit", "lang"];

fn store_error_field(l: &Layout, e: &StoreError) -> Option<(&'static str, &'static str)> {
    match e {
        StoreError::Invalid(refusals) => {
            crate::refusals::user(refusals).map(|(field, key)| (field, l.t(key)))
        }
        _ => None,
    }
}

async fn create(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Form(f): Form<UserForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageUsers)?;
    let l = Layout::new(&cu, "nav.users", "users.title", "/users");
    let (input, mut view) = to_input(&f, f.username.as_deref().unwrap_or(""));
    view.errors = field_errors(&l, &input);
    let password = f.password.clone().unwrap_or_default();
    if let Some(key) = auth::password_problem(&password) {
        view.errors.insert("password", l.t(key));
    }
    let email = mail::new_user_email(&l, &mut view);
    if view.errors.is_empty() {
        let hash = auth::make_hash(&password)
            .await
            .map_err(|_| PageError::Internal)?;
        match state
            .store
            .create_user(&input, &hash, &cu.user.username)
            .await
        {
            Ok(id) => {
                if let Some(e) = email {
                    state
                        .store
                        .set_user_email(id, Some(&e), &cu.user.username)
                        .await?;
                }
                return Ok(Redirect::to("/users?done=created").into_response());
            }
            Err(e) => match store_error_field(&l, &e) {
                Some((field, msg)) => {
                    view.errors.insert(field, msg);
                }
                None => return Err(e.into()),
            },
        }
    }
    let page = list_page(&state, &cu, &uri, &ListQuery::default(), view, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn edit_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ManageUsers)?;
    let u = state.store.user(id).await?.ok_or(PageError::NotFound)?;
    let page = UserEditPage {
        l: Layout::new(&cu, "nav.users", "users.edit_title", &here(&uri)),
        id,
        email: u.email.clone().unwrap_or_default(),
        err_email: None,
        form: UserFormView::of(u),
        roles: roles(),
        units: unit_options(&state).await?,
        err_password: None,
    };
    Ok(Html(page.render()?))
}

async fn update(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<i64>,
    Form(f): Form<UserForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageUsers)?;
    let existing = state.store.user(id).await?.ok_or(PageError::NotFound)?;
    let l = Layout::new(&cu, "nav.users", "users.edit_title", &here(&uri));
    let (input, mut view) = to_input(&f, &existing.username);
    view.errors = field_errors(&l, &input);
    if view.errors.is_empty() {
        match state.store.update_user(id, &input, &cu.user.username).await {
            Ok(()) => return Ok(Redirect::to("/users?done=saved").into_response()),
            Err(e) => match store_error_field(&l, &e) {
                Some((field, msg)) => {
                    view.errors.insert(field, msg);
                }
                None => return Err(e.into()),
            },
        }
    }
    let page = UserEditPage {
        l,
        id,
        form: view,
        roles: roles(),
        units: unit_options(&state).await?,
        err_password: None,
        email: existing.email.unwrap_or_default(),
        err_email: None,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<i64>,
    Form(f): Form<ResetForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageUsers)?;
    let u = state.store.user(id).await?.ok_or(PageError::NotFound)?;
    let l = Layout::new(&cu, "nav.users", "users.edit_title", &here(&uri));
    if let Some(key) = auth::password_problem(&f.password) {
        let err = Some(l.t(key));
        let page = UserEditPage {
            l,
            id,
            email: u.email.clone().unwrap_or_default(),
            err_email: None,
            form: UserFormView::of(u),
            roles: roles(),
            units: unit_options(&state).await?,
            err_password: err,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    let hash = auth::make_hash(&f.password)
        .await
        .map_err(|_| PageError::Internal)?;
    state
        .store
        .set_password(id, &hash, None, &cu.user.username)
        .await?;
    Ok(Redirect::to("/users?done=password").into_response())
}

//! API tokens, for administrators (`ManageTokens`): every token (user, scope, made, expires,
//! last used, revoked), a form that makes one and shows it once, and a revocation asked to be
//! confirmed first. The same store functions as `parindex token` (`Store::create_token`,
//! `Store::revoke_token`); docs/api.md.

use crate::auth::{random_token, token_hash, Authed, CurrentUser};
use crate::dates;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::require;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use parindex_domain::access::{token_lifetime_days, Action, TokenScope};
use parindex_store::{timestamp_text, ApiToken, NewToken, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{id}/revoke", get(confirm).post(revoke))
}

/// The prefix of every token (so a leaked one is recognised by secret scanners and people).
pub const TOKEN_PREFIX: &str = "pxi_";

/// A new token: the prefix and 256 random bits in hex.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_token())
}

/// One token as the list shows it.
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub user: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: String,
    pub live: bool,
}

/// The form to make a token, as typed, with its errors.
#[derive(Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub expires: String,
    #[serde(skip)]
    pub errors: BTreeMap<&'static str, &'static str>,
}

impl TokenForm {
    pub fn err(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    l: Layout,
    rows: Vec<TokenRow>,
    users: Vec<String>,
    form: TokenForm,
    /// The token just made: shown this once.
    made: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "tokens_revoke.html")]
struct RevokePage {
    l: Layout,
    row: TokenRow,
}

fn stamp(t: Option<&str>) -> String {
    t.map(dates::timestamp).unwrap_or_else(|| "—".into())
}

fn row(t: &ApiToken, now: &str) -> TokenRow {
    TokenRow {
        id: t.id,
        name: t.name.clone(),
        user: t.username.clone(),
        scope: t.scope.as_str(),
        created: stamp(Some(&t.created_at)),
        expires: stamp(t.expires_at.as_deref()),
        last_used: stamp(t.last_used_at.as_deref()),
        revoked: t
            .revoked_at
            .as_deref()
            .map(|r| {
                format!(
                    "{} ({})",
                    stamp(Some(r)),
                    t.revoked_by.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default(),
        live: t.live_at(now),
    }
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    form: TokenForm,
    made: Option<(String, String)>,
) -> Result<TokensPage, PageError> {
    let now = timestamp_text(jiff::Timestamp::now());
    let rows = state
        .store
        .tokens()
        .await?
        .iter()
        .map(|t| row(t, &now))
        .collect();
    let users = state
        .store
        .users(None)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| u.username)
        .collect();
    Ok(TokensPage {
        l: Layout::new(cu, "nav.tokens", "tokens.title", "/tokens"),
        rows,
        users,
        form,
        made,
    })
}

async fn list(State(state): State<AppState>, Authed(cu): Authed) -> Result<Response, PageError> {
    require(&cu, &Action::ManageTokens)?;
    let form = TokenForm {
        scope: "read".into(),
        expires: "90d".into(),
        ..Default::default()
    };
    let p = page(&state, &cu, form, None).await?;
    Ok(Html(p.render()?).into_response())
}

/// The form's problems, as message keys by field; the scope and the expiry when they are right.
fn checked(f: &mut TokenForm) -> Option<(TokenScope, Option<i64>)> {
    let scope = TokenScope::parse(&f.scope);
    if scope.is_none() {
        f.errors.insert("scope", "tokens.err.scope");
    }
    let days = token_lifetime_days(if f.expires.trim().is_empty() {
        "never"
    } else {
        &f.expires
    });
    if days.is_err() {
        f.errors.insert("expires", "tokens.err.expires");
    }
    if let Some(p) = parindex_domain::access::token_name_problem(f.name.trim()) {
        f.errors.insert(
            "name",
            if p == "required" {
                "tokens.err.name_required"
            } else {
                "tokens.err.name"
            },
        );
    }
    match (scope, days) {
        (Some(s), Ok(d)) if f.errors.is_empty() => Some((s, d)),
        _ => None,
    }
}

async fn create(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Form(mut f): Form<TokenForm>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageTokens)?;
    if let Some((scope, days)) = checked(&mut f) {
        let token = new_token();
        let expires = days.map(|d| {
            timestamp_text(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * d))
        });
        let made = state
            .store
            .create_token(
                &NewToken {
                    name: f.name.trim(),
                    username: &f.user,
                    scope,
                    expires_at: expires.as_deref(),
                    token_hash: &token_hash(&token),
                },
                &cu.actor_name(),
            )
            .await;
        match made {
            Ok(t) => {
                let p = page(&state, &cu, TokenForm::default(), Some((t.name, token))).await?;
                return Ok(Html(p.render()?).into_response());
            }
            Err(StoreError::Invalid(r)) => {
                for x in r.iter() {
                    let (field, key) = match x.field.as_str() {
                        "user" => ("user", "tokens.err.user"),
                        "name" => ("name", "tokens.err.name_taken"),
                        _ => ("expires", "tokens.err.expires"),
                    };
                    f.errors.insert(field, key);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let p = page(&state, &cu, f, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(p.render()?)).into_response())
}

async fn confirm(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageTokens)?;
    let t = state.store.token(id).await?.ok_or(PageError::NotFound)?;
    let now = timestamp_text(jiff::Timestamp::now());
    let p = RevokePage {
        l: Layout::new(&cu, "nav.tokens", "tokens.revoke_title", "/tokens"),
        row: row(&t, &now),
    };
    Ok(Html(p.render()?).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageTokens)?;
    let t = state.store.token(id).await?.ok_or(PageError::NotFound)?;
    if t.revoked_at.is_none() {
        // By its name: the one live token of that name is this one (an id could also be
        // another token's name).
        state.store.revoke_token(&t.name, &cu.actor_name()).await?;
    }
    Ok(Redirect::to("/tokens").into_response())
}

//! Sign-in and sign-out.

use crate::auth::{self, safe_next, set_cookie, CurrentUser, PRE_CSRF_COOKIE, SESSION_COOKIE};
use crate::client::Client;
use crate::dates;
use crate::error::PageError;
use crate::i18n::{t, Lang};
use crate::throttle::{self, Gate};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use parindex_store::Session;
use serde::Deserialize;
use std::time::Duration;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: &'static str,
    title: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    csrf: String,
    next: String,
    username: String,
    username_label: &'static str,
    password_label: &'static str,
    submit: &'static str,
    /// The public pages, which need no account.
    public_href: String,
    public_label: &'static str,
}

impl LoginPage {
    fn new(lang: Lang, csrf: String, next: String) -> LoginPage {
        LoginPage {
            lang: lang.code(),
            title: t(lang, "login.title"),
            notice: None,
            error: None,
            csrf,
            next,
            username: String::new(),
            username_label: t(lang, "login.username"),
            password_label: t(lang, "login.password"),
            submit: t(lang, "login.submit"),
            public_href: crate::pages::public::href(lang, "/cong-khai"),
            public_label: t(lang, "login.public"),
        }
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
    expired: Option<String>,
}

fn pre_csrf(client: &Client, headers: &HeaderMap) -> (String, Option<axum::http::HeaderValue>) {
    match auth::cookie(headers, PRE_CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(c) => (c, None),
        None => {
            let c = auth::random_token();
            let h = set_cookie(PRE_CSRF_COOKIE, &c, 3600 * 12, client.https);
            (c, Some(h))
        }
    }
}

async fn login_page(
    client: Client,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(q.lang.as_deref().unwrap_or("vi"));
    let (csrf, cookie) = pre_csrf(&client, &headers);
    let next = q.next.clone().unwrap_or_else(|| "/".into());
    let mut page = LoginPage::new(lang, csrf, safe_next(Some(&next)));
    page.notice = if q.expired.is_some() {
        Some(t(lang, "login.expired"))
    } else if next != "/" {
        Some(t(lang, "login.required"))
    } else {
        None
    };
    let mut res = Html(page.render()?).into_response();
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    lang: Option<String>,
}

/// The pause after `n` consecutive failures: `base × 2^(n−1)`, at most 16 × base.
pub fn login_delay(n: i64, base_ms: u64) -> Duration {
    let factor = 1u64 << (n.clamp(1, 5) - 1);
    Duration::from_millis(base_ms.saturating_mul(factor))
}

/// The message for a throttled name or address: the same whether the account exists or not.
fn locked_message(lang: Lang, until: Option<&str>) -> String {
    match until {
        Some(u) => format!("{} {}.", t(lang, "login.locked"), dates::timestamp(u)),
        None => t(lang, "login.locked_later").to_string(),
    }
}

/// Sign in. Every refusal — unknown name, inactive user, wrong password, throttled — is the same
/// page with the same status, in the form's language, after the same work (an unknown or
/// inactive user's password is checked against a dummy hash), so the answer does not tell
/// whether an account exists.
async fn login(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(f.lang.as_deref().unwrap_or("vi"));
    let next = safe_next(f.next.as_deref());
    let fail = |error: String| -> Result<Response, PageError> {
        let (csrf, _) = pre_csrf(&client, &headers);
        let mut page = LoginPage::new(lang, csrf, next.clone());
        page.error = Some(error);
        page.username = f.username.clone();
        Ok((axum::http::StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
    };
    let name = throttle::account_name(&f.username);
    let (attempts, locks_at) = match throttle::claim(&state, &name, &client).await? {
        Gate::Locked { until } => return fail(locked_message(lang, until.as_deref())),
        Gate::Open { attempts, locks_at } => (attempts, locks_at),
    };
    let found = state
        .store
        .user_by_username(&f.username)
        .await?
        .filter(|(u, _)| u.active);
    let ok = auth::check_password(&f.password, found.as_ref().map(|(_, h)| h.as_str())).await;
    let user = match found {
        Some((user, _)) if ok => user,
        _ => {
            let address_lock = throttle::failed(&state, &client).await?;
            tokio::time::sleep(login_delay(attempts, state.config.login_delay_ms)).await;
            return match locks_at.or(address_lock) {
                Some(until) => fail(locked_message(lang, Some(&until))),
                None => fail(t(lang, "login.failed").to_string()),
            };
        }
    };
    throttle::succeeded(&state, &name, &client).await?;
    let token = auth::random_token();
    state
        .store
        .create_session(&Session {
            token_hash: auth::token_hash(&token),
            user_id: user.id,
            csrf_token: auth::random_token(),
            expires_at: auth::expiry(&state),
        })
        .await?;
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &token,
            auth::session_cookie_secs(&state),
            client.https,
        ),
    );
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    client: Client,
    cu: Option<Extension<CurrentUser>>,
) -> Result<Response, PageError> {
    if let Some(Extension(cu)) = cu {
        state.store.delete_session(&cu.session_hash).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, client.https),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        assert_eq!(login_delay(1, 100), Duration::from_millis(100));
        assert_eq!(login_delay(2, 100), Duration::from_millis(200));
        assert_eq!(login_delay(4, 100), Duration::from_millis(800));
        assert_eq!(login_delay(50, 100), Duration::from_millis(1600));
    }
}

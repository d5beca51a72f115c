//! Sign-in, sessions kept in the database, CSRF tokens, and the current user.
//!
//! - Passwords are hashed with argon2id (PHC strings).
//! - A session token is 32 random bytes in a cookie (`HttpOnly`, `SameSite=Lax`, `Secure` when
//!   served over HTTPS); the database keeps only its SHA-256. Sessions slide: each use extends
//!   them, up to the configured idle lifetime.
//! - Every state-changing request carries a CSRF token: the session's, or for the sign-in form a
//!   pre-session token in its own cookie (double submit). It is read from the `x-csrf-token`
//!   header, the `_csrf` form field, or (multipart uploads) the `_csrf` query parameter.
//! - Failed sign-ins grow a delay and lock the account for a while after several in a row.

use crate::error::PageError;
use crate::AppState;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use parindex_domain::access::{Actor, Role};
use parindex_store::{timestamp_text, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "parindex_session";
pub const PRE_CSRF_COOKIE: &str = "parindex_csrf";
/// Consecutive failures after which an account is locked.
pub const LOCK_AFTER: i64 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Problems with a new password, as message keys.
pub fn password_problem(password: &str) -> Option<&'static str> {
    if password.chars().count() < 10 {
        Some("account.password_short")
    } else if password.len() > 256 {
        Some("account.password_long")
    } else {
        None
    }
}

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user, put in the request's extensions by [`session_layer`].
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub csrf: String,
    pub session_hash: String,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.user.role,
            unit: self.user.unit.clone(),
        }
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// Whether the request came over HTTPS (directly configured, or via a proxy header).
pub fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let v =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

pub fn expiry(state: &AppState) -> String {
    let secs = state.config.session_minutes * 60;
    timestamp_text(now() + jiff::SignedDuration::from_secs(secs))
}

/// Reads the session cookie and puts the [`CurrentUser`] into the request, sliding the expiry.
/// Then checks the CSRF token of every state-changing request.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let now_text = timestamp_text(now());
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        let hash = token_hash(&token);
        match state.store.session(&hash, &now_text).await {
            Ok(Some((session, user))) => {
                // Slide the expiry at most once a minute.
                let fresh = expiry(&state);
                if fresh.as_str() > session.expires_at.as_str() {
                    let minute_later = timestamp_text(
                        session
                            .expires_at
                            .parse::<jiff::Timestamp>()
                            .unwrap_or_else(|_| now())
                            + jiff::SignedDuration::from_secs(60),
                    );
                    if fresh > minute_later {
                        if let Err(e) = state.store.touch_session(&hash, &fresh).await {
                            tracing::warn!(error = %e, "cannot extend a session");
                        }
                    }
                }
                req.extensions_mut().insert(CurrentUser {
                    user,
                    csrf: session.csrf_token,
                    session_hash: hash,
                });
            }
            Ok(None) => {
                req.extensions_mut().insert(SessionExpired);
            }
            Err(e) => return PageError::from(e).into_response(),
        }
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let expected = match req.extensions().get::<CurrentUser>() {
            Some(u) => Some(u.csrf.clone()),
            None => cookie(req.headers(), PRE_CSRF_COOKIE),
        };
        let (req2, ok) = check_csrf(req, expected.as_deref()).await;
        if !ok {
            return PageError::Csrf.into_response();
        }
        req = req2;
    }
    next.run(req).await
}

/// Marker: the request carried a session cookie that is no longer valid.
#[derive(Clone, Copy, Debug)]
pub struct SessionExpired;

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn check_csrf(req: Request, expected: Option<&str>) -> (Request, bool) {
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return (req, false);
    };
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let ok = constant_time_eq(h, expected);
        return (req, ok);
    }
    if let Some(q) = req.uri().query() {
        if let Some(v) = serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()
            .and_then(|p| p.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v))
        {
            let ok = constant_time_eq(&v, expected);
            return (req, ok);
        }
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (req, false);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::FORM_LIMIT).await else {
        return (Request::from_parts(parts, Body::empty()), false);
    };
    let ok = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|p| p.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v))
        .is_some_and(|v| constant_time_eq(&v, expected));
    (Request::from_parts(parts, Body::from(bytes)), ok)
}

/// Extractor: the signed-in user, or a redirect to the sign-in page (a 401 for the API).
pub struct Authed(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(u) = parts.extensions.get::<CurrentUser>() {
            return Ok(Authed(u.clone()));
        }
        let path = parts.uri.path();
        if path.starts_with("/api/") {
            return Err(crate::ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "sign in first",
            )
            .into_response());
        }
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let expired = parts.extensions.get::<SessionExpired>().is_some();
        let target = format!(
            "/login?next={}{}",
            serde_urlencoded::to_string([("", next)])
                .unwrap_or_default()
                .trim_start_matches('='),
            if expired { "&expired=1" } else { "" }
        );
        Err(Redirect::to(&target).into_response())
    }
}

/// Only local paths may be redirected to after sign-in.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/login") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("mật khẩu đủ dài").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu đủ dài", &h));
        assert!(!verify_password("sai", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/units?q=x")), "/units?q=x");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(token_hash("x").len(), 64);
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("a", "ab")
        );
    }
}

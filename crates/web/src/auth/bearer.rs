//! `Authorization: Bearer …` on `/api/v1`: the second way to obtain a [`CurrentUser`].
//!
//! A live token acts as its user, with the user's role and unit, narrowed by its scope (a
//! `read` token is refused every state-changing request with a 403). A Bearer request carries
//! no cookie, so it needs no CSRF token. An unknown, revoked or expired token is a 401 with
//! `WWW-Authenticate`; each one counts against the client's address like a wrong password
//! (`throttle::token_failed`), and an address locked by them gets a 429 before any lookup.
//! A token's use is written at most once a minute (`Store::token_used`).

use super::{token_hash, CurrentUser};
use crate::client::Client;
use crate::i18n::{t, Lang};
use crate::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use parindex_domain::access::TokenScope;
use parindex_store::timestamp_text;

/// Which token a request was made with (a [`CurrentUser`] obtained by Bearer carries it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
}

/// The realm named in `WWW-Authenticate`.
const REALM: &str = "parindex";

/// The token of an `Authorization: Bearer …` header, when there is one (the scheme's case does
/// not matter; an empty token is none).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The language of an answer to a caller not known yet: English when `Accept-Language` starts
/// with it, else Vietnamese.
fn asked_lang(headers: &HeaderMap) -> Lang {
    let en = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("en"));
    if en {
        Lang::En
    } else {
        Lang::Vi
    }
}

/// A typed refusal of a token: `{"error": …, "kind": …}` with the catalogue's text.
fn refusal(status: StatusCode, kind: &str, key: &str, lang: Lang) -> Response {
    let mut res = (
        status,
        Json(serde_json::json!({ "error": t(lang, key), "kind": kind })),
    )
        .into_response();
    let h = res.headers_mut();
    if status == StatusCode::UNAUTHORIZED {
        let v = format!("Bearer realm=\"{REALM}\", error=\"invalid_token\"");
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(header::WWW_AUTHENTICATE, v);
        }
    }
    res
}

/// `WWW-Authenticate` for an API request without any credentials.
pub fn challenge() -> HeaderValue {
    HeaderValue::from_static("Bearer realm=\"parindex\"")
}

fn too_many(until: Option<String>, lang: Lang) -> Response {
    let mut res = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "token_throttled",
        "api.token_throttled",
        lang,
    );
    let secs = until
        .and_then(|u| u.parse::<jiff::Timestamp>().ok())
        .map(|u| (u - jiff::Timestamp::now()).as_secs().max(1))
        .unwrap_or(60);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

/// What [`authenticate`] needs of a request (read before any `await`: a request is not `Sync`).
pub struct Asked {
    client: Client,
    lang: Lang,
    /// Any method but GET, HEAD, OPTIONS.
    changes: bool,
}

impl Asked {
    pub fn of(req: &Request, state: &AppState) -> Asked {
        Asked {
            client: Client::of(req.headers(), req.extensions(), &state.config),
            lang: asked_lang(req.headers()),
            changes: !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS),
        }
    }
}

/// The user a Bearer token acts as, or the answer that refuses the request.
pub async fn authenticate(
    state: &AppState,
    asked: Asked,
    token: &str,
) -> Result<CurrentUser, Response> {
    let Asked {
        client,
        lang,
        changes,
    } = asked;
    let fault = |e: parindex_store::StoreError| crate::ApiError::from(e).into_response();
    if let Some(until) = crate::throttle::token_locked(state, &client)
        .await
        .map_err(fault)?
    {
        return Err(too_many(Some(until), lang));
    }
    let now = jiff::Timestamp::now();
    let found = state
        .store
        .token_user(&token_hash(token), &timestamp_text(now))
        .await
        .map_err(fault)?;
    let Some((token, user)) = found else {
        crate::throttle::token_failed(state, &client)
            .await
            .map_err(fault)?;
        return Err(refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "api.token_invalid",
            lang,
        ));
    };
    if changes && !token.scope.allows_change() {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "read_only_token",
            "api.token_read_only",
            Lang::parse(&user.lang),
        ));
    }
    if let Err(e) = state.store.token_used(&token, now).await {
        tracing::warn!(error = %e, token = %token.name, "cannot note a token's use");
    }
    Ok(CurrentUser {
        unread: super::unread_of(state, &user).await,
        user,
        csrf: String::new(),
        session_hash: String::new(),
        as_of: match state.clock {
            parindex_domain::calendar::Clock::Fixed(d) => Some(d),
            parindex_domain::calendar::Clock::System => None,
        },
        token: Some(TokenUse {
            id: token.id,
            name: token.name,
            scope: token.scope,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_header_is_read_as_the_scheme_says() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer_token(&h), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  x1 "),
        );
        assert_eq!(bearer_token(&h), Some("x1"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer_token(&h), None);
    }
}

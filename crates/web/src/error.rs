//! Errors as users see them: a page for the browser, JSON for the API; never internals.

use crate::i18n::{t, Lang};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use parindex_store::StoreError;

/// An error as the API shows it: a status and a message without internals.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
    pub fn forbidden() -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            message: "not allowed".into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError {
                status: StatusCode::NOT_FOUND,
                message: format!("{what} not found"),
            },
            StoreError::Invalid(msg) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: msg,
            },
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "internal error; see the server log".into(),
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

/// An error page.
#[derive(Debug)]
pub enum PageError {
    Forbidden,
    NotFound,
    Csrf,
    BadRequest(String),
    TooLarge,
    Internal,
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => PageError::NotFound,
            StoreError::Invalid(m) => PageError::BadRequest(m),
            other => {
                tracing::error!(error = %other, "internal error");
                PageError::Internal
            }
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template error");
        PageError::Internal
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    vi: &'a str,
    en: &'a str,
    detail: Option<&'a str>,
    back_vi: &'a str,
    back_en: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, key, detail) = match &self {
            PageError::Forbidden => (StatusCode::FORBIDDEN, "error.forbidden", None),
            PageError::NotFound => (StatusCode::NOT_FOUND, "error.not_found", None),
            PageError::Csrf => (StatusCode::FORBIDDEN, "error.csrf", None),
            PageError::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                "error.bad_request",
                Some(m.as_str()),
            ),
            PageError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "error.too_large", None),
            PageError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "error.internal", None),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            vi: t(Lang::Vi, key),
            en: t(Lang::En, key),
            detail,
            back_vi: t(Lang::Vi, "error.back"),
            back_en: t(Lang::En, "error.back"),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, "error").into_response(),
        }
    }
}

//! Errors as users see them: a page for the browser, JSON for the API; never internals.

use crate::i18n::{t, Lang};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use parindex_store::{Fault, Storage, StoreError};

/// How long a client is told to wait before trying again after a 503 (`Retry-After`).
pub const RETRY_AFTER_SECONDS: u64 = 10;

/// A fault's status and catalogue key: a full database or evidence folder answers
/// `507 Insufficient Storage`, one that cannot be written `500`, an unreachable database
/// `503 Service Unavailable` with `Retry-After` (docs/deploy.md, "Faults").
pub fn fault_status(f: Fault) -> (StatusCode, &'static str) {
    match f {
        Fault::Full(Storage::Database) => (StatusCode::INSUFFICIENT_STORAGE, "error.full_database"),
        Fault::Full(Storage::EvidenceFolder) => {
            (StatusCode::INSUFFICIENT_STORAGE, "error.full_evidence")
        }
        Fault::Unwritable(Storage::Database) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "error.unwritable_database",
        ),
        Fault::Unwritable(Storage::EvidenceFolder) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "error.unwritable_evidence",
        ),
        Fault::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "error.unavailable"),
    }
}

/// Log a fault once, where it is turned into a response.
fn log_fault(f: Fault, e: &StoreError) {
    match f {
        Fault::Unavailable => tracing::warn!(error = %e, "the database is unavailable"),
        _ => tracing::error!(error = %e, "cannot store"),
    }
}

fn with_retry_after(status: StatusCode, mut res: Response) -> Response {
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(RETRY_AFTER_SECONDS),
        );
    }
    res
}

/// An error as the API shows it: a status and a message without internals; for a refused
/// write, the problem of each field (`{"error": …, "field": …, "problems": [{"field", "message"}]}`).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// `(field, message)` of each field refused.
    pub problems: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            problems: Vec::new(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn forbidden() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "not allowed")
    }
    /// A write the store refused ([`parindex_store::Refusals`]): 422, each refusal's field and
    /// kind in words (`crate::refusals::kind_text`), and all of them as one sentence.
    pub fn refused(lang: Lang, refusals: &parindex_store::Refusals) -> Self {
        ApiError::fields(
            refusals
                .iter()
                .map(|r| (r.field.clone(), crate::refusals::kind_text(lang, &r.kind)))
                .collect(),
        )
    }
    /// A write refused field by field: 422, every problem in one sentence as the error.
    pub fn fields(problems: Vec<(String, String)>) -> Self {
        let message = problems
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
            problems,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if let Some(f) = e.fault() {
            log_fault(f, &e);
            let (status, key) = fault_status(f);
            return ApiError::new(status, t(Lang::En, key));
        }
        match e {
            StoreError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
            }
            // Without the user's language here: the catalogue's English ([`ApiError::refused`]).
            StoreError::Invalid(refusals) => ApiError::refused(Lang::En, &refusals),
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.message });
        if let Some((field, _)) = self.problems.first() {
            body["field"] = serde_json::json!(field);
            body["problems"] = self
                .problems
                .iter()
                .map(|(f, m)| serde_json::json!({ "field": f, "message": m }))
                .collect();
        }
        with_retry_after(self.status, (self.status, Json(body)).into_response())
    }
}

/// An error page.
#[derive(Debug)]
pub enum PageError {
    Forbidden,
    NotFound,
    Csrf,
    /// An address that answers another method only (a form's target opened by its address).
    MethodNotAllowed,
    /// A form's body that cannot be read (not multipart, cut off): nothing was saved. What the
    /// parser said goes to the log only ([`PageError::bad_form`]).
    BadForm,
    /// A change the store refused, met by `?` in a handler that has no form to place it in:
    /// a 400 page listing the refusals in the reader's language.
    Refused(parindex_store::Refusals),
    TooLarge,
    Internal,
    /// Full, unwritable or unreachable storage: nothing was stored ([`fault_status`]).
    Fault(Fault),
}

impl PageError {
    /// A body that cannot be read as the form it should be: logged, answered 400 in the
    /// reader's language.
    pub fn bad_form(detail: impl std::fmt::Display) -> PageError {
        tracing::warn!(error = %detail, "a form's body cannot be read");
        PageError::BadForm
    }

    /// A parameter of the address (`?format=`, `?year=`) or a form's field refused: a 400 page
    /// listing the refusal in the reader's language.
    pub fn refused(field: &str, kind: parindex_store::RefusalKind) -> PageError {
        PageError::Refused(parindex_store::Refusal::new(field, kind).into())
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        if let Some(f) = e.fault() {
            log_fault(f, &e);
            return PageError::Fault(f);
        }
        match e {
            StoreError::NotFound(_) => PageError::NotFound,
            StoreError::Invalid(refusals) => PageError::Refused(refusals),
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

/// The page without a user (signed out, or refused before the session was read): in both
/// languages, Vietnamese first, with a way back and a way in.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title_vi: &'a str,
    title_en: &'a str,
    vi: &'a str,
    en: &'a str,
    detail: Option<&'a str>,
    back_vi: &'a str,
    back_en: &'a str,
    sign_in_vi: &'a str,
    sign_in_en: &'a str,
}

/// What an error page says, kept in the response's extensions: for a signed-in user,
/// [`crate::error_page::in_layout`] draws it again inside the layout, with the navigation and
/// in the user's language.
#[derive(Clone, Debug)]
pub struct ErrorNote {
    /// The page's title (catalogue key).
    pub title_key: &'static str,
    /// What happened (catalogue key).
    pub key: &'static str,
    pub detail: Option<String>,
    /// The store's refusals, worded again in the user's language by the layout's page.
    pub refusals: Option<parindex_store::Refusals>,
    /// A fault of the machine: said in both languages whatever the user's, as the bare page does.
    pub fault: bool,
}

/// The title of an error page by its message: what went wrong, in a few words.
fn title_key(key: &str, status: StatusCode) -> &'static str {
    match (key, status.as_u16()) {
        ("error.csrf", _) => "error.title_form_expired",
        (_, 403) => "error.title_forbidden",
        (_, 404) => "error.title_not_found",
        (_, 400..=499) => "error.title_refused",
        (_, 500) if key == "error.internal" => "error.title_internal",
        _ => "error.title_fault",
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // The bare page is read before the user's language is known: Vietnamese first.
        let refused = match &self {
            PageError::Refused(r) => Some(crate::refusals::lines(Lang::Vi, r).join("; ")),
            _ => None,
        };
        let (status, key, detail) = match &self {
            PageError::Forbidden => (StatusCode::FORBIDDEN, "error.forbidden", None),
            PageError::NotFound => (StatusCode::NOT_FOUND, "error.not_found", None),
            PageError::Csrf => (StatusCode::FORBIDDEN, "error.csrf", None),
            PageError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "error.method_not_allowed",
                None,
            ),
            PageError::BadForm => (StatusCode::BAD_REQUEST, "error.bad_form", None),
            PageError::Refused(_) => (
                StatusCode::BAD_REQUEST,
                "error.bad_request",
                refused.as_deref(),
            ),
            PageError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "error.too_large", None),
            PageError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "error.internal", None),
            PageError::Fault(f) => {
                let (status, key) = fault_status(*f);
                (status, key, None)
            }
        };
        let title = title_key(key, status);
        let page = ErrorPage {
            status: status.as_u16(),
            title_vi: t(Lang::Vi, title),
            title_en: t(Lang::En, title),
            vi: t(Lang::Vi, key),
            en: t(Lang::En, key),
            detail,
            back_vi: t(Lang::Vi, "error.back"),
            back_en: t(Lang::En, "error.back"),
            sign_in_vi: t(Lang::Vi, "login.title"),
            sign_in_en: t(Lang::En, "login.title"),
        };
        let mut res = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, "error").into_response(),
        };
        res.extensions_mut().insert(ErrorNote {
            title_key: title,
            key,
            detail: detail.map(str::to_string),
            refusals: match &self {
                PageError::Refused(r) => Some(r.clone()),
                _ => None,
            },
            fault: matches!(self, PageError::Fault(_)),
        });
        with_retry_after(status, res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_domain::EditionProblemKind;
    use parindex_store::{RefusalKind, Refusals};

    #[test]
    fn a_refused_write_answers_422_with_every_field() {
        let mut rs = Refusals::new();
        rs.push("name", RefusalKind::Edition(EditionProblemKind::Empty));
        rs.push("year", RefusalKind::TooSmall { min: 1990 });
        let e = ApiError::refused(Lang::Vi, &rs);
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = e.problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["name", "year"]);
        // The domain's check in the user's language; the sentence holds every field.
        assert_eq!(e.problems[0].1, t(Lang::Vi, "refusal.empty"));
        assert!(
            e.message.starts_with("name: ") && e.message.contains("; year: "),
            "{}",
            e.message
        );
        // Without a language (a store error met by `?`): the same shape.
        let from = ApiError::from(StoreError::Invalid(rs));
        assert_eq!(from.problems.len(), 2);
        assert_eq!(from.problems[0].1, t(Lang::En, "refusal.empty"));
    }
}

//! Error pages inside the layout. A handler's refusal or fault ([`crate::PageError`]) leaves an
//! [`ErrorNote`] on its response; for a signed-in user this layer draws the page again inside
//! the normal layout — the navigation the user's role allows, the user's language, the language
//! switch — keeping the status and headers (`Retry-After`). Signed-out users, the API and
//! refusals made before the session is read keep the bare page of [`crate::error`], in both
//! languages. Unknown paths reach [`not_found`], the router's fallback, and known paths asked with
//! another method [`method_not_allowed`].

use crate::auth::CurrentUser;
use crate::error::ErrorNote;
use crate::i18n::t;
use crate::layout::Layout;
use crate::{ApiError, PageError};
use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "error_in_layout.html")]
struct InLayout {
    l: Layout,
    status: u16,
    message: &'static str,
    /// A fault is also said in the other language, as the bare page does.
    other: Option<(&'static str, &'static str)>,
    detail: Option<String>,
}

/// The router's fallback: a path no route answers is a 404 page (JSON under `/api/`).
pub async fn not_found(uri: Uri) -> Response {
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        ApiError::new(StatusCode::NOT_FOUND, "not found").into_response()
    } else {
        PageError::NotFound.into_response()
    }
}

/// The router's answer when a path exists but not for this method: a form's target opened by its
/// address (`GET /logout`) is a 405 page that says so (JSON under `/api/`).
pub async fn method_not_allowed(uri: Uri) -> Response {
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed").into_response()
    } else {
        PageError::MethodNotAllowed.into_response()
    }
}

/// Draw a page's error inside the layout when the user is signed in (see the module's note).
pub async fn in_layout(req: Request, next: Next) -> Response {
    let user = req.extensions().get::<CurrentUser>().cloned();
    let here = crate::pages::here(req.uri());
    let res = next.run(req).await;
    let Some(cu) = user else { return res };
    let Some(note) = res.extensions().get::<ErrorNote>().cloned() else {
        return res;
    };
    let l = Layout::new(&cu, "", note.title_key, &here);
    let other = note.fault.then(|| {
        let other = l.lang.other();
        (other.code(), t(other, note.key))
    });
    let page = InLayout {
        status: res.status().as_u16(),
        message: t(l.lang, note.key),
        other,
        detail: match &note.refusals {
            Some(r) => Some(crate::refusals::lines(l.lang, r).join("; ")),
            None => note.detail,
        },
        l,
    };
    match page.render() {
        Ok(html) => {
            let (mut parts, _) = res.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Response::from_parts(parts, Body::from(html))
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot draw the error page in the layout");
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use axum::routing::get;
    use axum::{Extension, Router};
    use http_body_util::BodyExt;
    use parindex_domain::access::Role;
    use parindex_store::{Fault, User};
    use tower::ServiceExt;

    fn signed_in(lang: &str) -> CurrentUser {
        CurrentUser {
            user: User {
                id: 1,
                username: "sonoivu".into(),
                display_name: "Chuyên viên Sở Nội vụ".into(),
                role: Role::Coordinator,
                unit: Some("so-noi-vu".into()),
                lang: lang.into(),
                active: true,
                failed_attempts: 0,
                locked_until: None,
                created_at: "2021-08-01T00:00:00Z".into(),
                email: None,
            },
            csrf: "csrf".into(),
            session_hash: "hash".into(),
            unread: 0,
            as_of: None,
            token: None,
        }
    }

    async fn get_page(user: Option<CurrentUser>, path: &str) -> (StatusCode, Response, String) {
        let mut app = Router::new()
            .route(
                "/boom",
                get(|| async { Err::<&str, _>(PageError::Internal) }),
            )
            .route(
                "/down",
                get(|| async { Err::<&str, _>(PageError::Fault(Fault::Unavailable)) }),
            )
            .route(
                "/refused",
                get(|| async {
                    let mut r = parindex_store::Refusals::new();
                    r.push(
                        "unit",
                        parindex_store::RefusalKind::Unknown {
                            value: "khong-co-don-vi".into(),
                        },
                    );
                    Err::<&str, _>(PageError::from(parindex_store::StoreError::Invalid(r)))
                }),
            )
            .route("/fine", get(|| async { "fine" }))
            .layer(axum::middleware::from_fn(in_layout));
        if let Some(u) = user {
            app = app.layer(Extension(u));
        }
        let res = app
            .oneshot(
                axum::http::Request::get(path)
                    .body(Body::empty())
                    .expect("a request"),
            )
            .await
            .expect("an answer");
        let status = res.status();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("a body").to_bytes();
        (
            status,
            Response::from_parts(parts, Body::empty()),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    #[tokio::test]
    async fn an_internal_error_is_drawn_inside_the_layout_in_the_users_language() {
        let (status, _, body) = get_page(Some(signed_in("vi")), "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains(&format!(
            "<title>{} · ParIndex</title>",
            t(Lang::Vi, "error.title_internal")
        )));
        assert!(body.contains(t(Lang::Vi, "error.internal")));
        assert!(!body.contains(t(Lang::En, "error.internal")));
        assert!(body.contains(&format!("<nav aria-label=\"{}\">", t(Lang::Vi, "nav.menu"))));
        assert!(body.contains("href=\"/plans\""));
        let (_, _, body) = get_page(Some(signed_in("en")), "/boom").await;
        assert!(
            body.contains(t(Lang::En, "error.internal")) && body.contains("<html lang=\"en\">")
        );
    }

    #[tokio::test]
    async fn a_store_refusal_met_by_a_question_mark_is_listed_in_the_users_language() {
        let (status, _, body) = get_page(Some(signed_in("vi")), "/refused").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("unit: Không có «khong-co-don-vi»"), "{body}");
        assert!(!body.contains("unknown"), "{body}");
        let (_, _, body) = get_page(Some(signed_in("en")), "/refused").await;
        assert!(body.contains("unit: There is no"), "{body}");
        // Signed out: the bare page, Vietnamese first.
        let (status, _, body) = get_page(None, "/refused").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("Không có «khong-co-don-vi»"), "{body}");
    }

    #[tokio::test]
    async fn a_fault_keeps_its_status_header_and_both_languages() {
        let (status, res, body) = get_page(Some(signed_in("vi")), "/down").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().get(header::RETRY_AFTER).is_some());
        assert!(body.contains(t(Lang::Vi, "error.unavailable")));
        assert!(body.contains(t(Lang::En, "error.unavailable")));
        assert!(body.contains(&format!("<nav aria-label=\"{}\">", t(Lang::Vi, "nav.menu"))));
    }

    #[tokio::test]
    async fn pages_that_answer_and_signed_out_visitors_are_left_alone() {
        let (status, _, body) = get_page(Some(signed_in("vi")), "/fine").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "fine"));
        let (status, _, body) = get_page(None, "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.contains("<nav") && body.contains(t(Lang::En, "error.internal")));
    }
}

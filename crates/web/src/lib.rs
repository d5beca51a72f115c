//! ParIndex web application: server-rendered pages (askama), sign-in and sessions, roles
//! enforced on every route and row, CSRF protection, the JSON API under `/api/v1` with its
//! OpenAPI document, and security headers. Static assets are embedded in the binary.

mod api;
pub mod auth;
pub mod charts;
pub mod download;
mod error;
pub mod i18n;
mod layout;
mod openapi;
pub mod pages;
pub mod parse_pool;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use parindex_store::Store;
use std::future::Future;
use tokio::net::TcpListener;

pub use error::{ApiError, PageError};

/// Largest urlencoded form read for CSRF checking.
pub const FORM_LIMIT: usize = 2 * 1024 * 1024;
/// Largest request body (uploads of data files; the dossier upload has its own,
/// [`pages::dossier_upload::DOSSIER_BODY_LIMIT`]).
pub const BODY_LIMIT: usize = 20 * 1024 * 1024;

/// Settings of the web application.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Idle lifetime of a session.
    pub session_minutes: i64,
    /// Delay after the first failed sign-in; it doubles with each further failure (capped).
    pub login_delay_ms: u64,
    /// Where evidence files are stored (by SHA-256), and the largest accepted.
    pub evidence_dir: std::path::PathBuf,
    pub evidence_max_bytes: usize,
    /// The largest dossier export the upload on `/dossiers` takes (at most
    /// [`pages::dossier_upload::DOSSIER_UPLOAD_LIMIT`], 512 MiB, the default).
    pub dossier_max_bytes: usize,
    /// Where checked dossier files wait for "Nhập tệp này"
    /// ([`pages::dossier_upload::staging_dir`] by default); private, checked at each upload.
    pub staging_dir: std::path::PathBuf,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_minutes: 8 * 60,
            login_delay_ms: 200,
            evidence_dir: std::path::PathBuf::from("./evidence"),
            evidence_max_bytes: parindex_store::evidence::EVIDENCE_LIMIT,
            dossier_max_bytes: pages::dossier_upload::DOSSIER_UPLOAD_LIMIT,
            staging_dir: pages::dossier_upload::staging_dir(),
        }
    }
}

impl WebConfig {
    /// The start-up check of the evidence folder: created `0700` when missing; refused (the
    /// folder and why) when another user owns it or group or others may access it.
    pub fn check_evidence_folder(&self) -> Result<(), parindex_store::files::FolderProblem> {
        parindex_store::files::ensure_private_dir(&self.evidence_dir)
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: WebConfig,
    /// Where "today" comes from: the real date, or a fixed one (`--as-of 2021-08-15`).
    pub clock: parindex_domain::calendar::Clock,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            config: WebConfig::default(),
            clock: parindex_domain::calendar::Clock::System,
        }
    }

    /// Today's date in Asia/Ho_Chi_Minh, by the clock.
    pub fn today(&self) -> jiff::civil::Date {
        self.clock.today()
    }
}

/// The whole application as a router (tests call it in-process).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .route("/static/app.css", get(stylesheet))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Serve on an already-bound listener until `shutdown` resolves (tests bind port 0).
pub async fn serve_with_listener(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

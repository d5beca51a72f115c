//! ParIndex web application: server-rendered pages (askama), sign-in and sessions, roles
//! enforced on every route and row, CSRF protection, the JSON API under `/api/v1` with its
//! OpenAPI document, and security headers. Static assets are embedded in the binary.

#![forbid(unsafe_code)]

mod api;
mod api_dossiers;
pub mod auth;
pub mod backups;
pub mod cache;
pub mod charts;
pub mod client;
pub mod connections;
pub mod dates;
pub mod download;
mod error;
mod error_page;
pub mod export;
pub mod forms;
pub mod i18n;
mod layout;
pub mod names;
mod openapi;
pub mod pages;
pub mod parse_pool;
mod refusals;
pub mod throttle;
pub mod upload;

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
    /// Mark cookies `Secure` whatever the request (also implied by an `https://` public URL).
    pub secure_cookies: bool,
    /// The origin the service is reached at (`--public-url`), e.g. `https://parindex.bacgiang.gov.vn`,
    /// without a trailing slash; see [`public_origin`]. When it is `https://`, cookies are
    /// always `Secure` and responses carry `Strict-Transport-Security`.
    pub public_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed
    /// (`--trust-proxy`); none by default.
    pub trusted_proxies: Vec<client::ProxyNet>,
    /// Idle lifetime of a session.
    pub session_minutes: i64,
    /// Absolute lifetime of a session, however active it is.
    pub session_max_hours: i64,
    /// Delay after the first failed sign-in; it doubles with each further failure (capped).
    pub login_delay_ms: u64,
    /// Sign-in throttling: limits and locks per name and address.
    pub throttle: throttle::ThrottlePolicy,
    /// Where evidence files are stored (by SHA-256), and the largest accepted.
    pub evidence_dir: std::path::PathBuf,
    pub evidence_max_bytes: usize,
    /// The largest dossier export the upload on `/dossiers` takes (at most
    /// [`pages::dossier_upload::DOSSIER_UPLOAD_LIMIT`], 512 MiB, the default).
    pub dossier_max_bytes: usize,
    /// Where checked dossier files wait for "Nhập tệp này"
    /// ([`pages::dossier_upload::staging_dir`] by default); private, checked at each upload.
    pub staging_dir: std::path::PathBuf,
    /// Connections served at once (`--max-connections`); more wait in the listen backlog.
    pub max_connections: usize,
    /// A request's header must arrive within this (also the idle keep-alive timeout).
    pub header_read_timeout: std::time::Duration,
    /// A request body that stops moving this long is cut (uploads included).
    pub body_idle_timeout: std::time::Duration,
    /// A request body that is not a multipart upload must be complete within this.
    pub body_timeout: std::time::Duration,
    /// At shutdown, how long open connections may take to finish their request.
    pub shutdown_grace: std::time::Duration,
    /// Scheduled backups (`--backup-dir`), their schedule and state; `None`: not configured.
    pub backup: Option<std::sync::Arc<backups::Backups>>,
    /// The SMTP server reminders go through (`--smtp-url`, `--mail-from`); the administrators'
    /// "send a test mail" uses it. `None`: not configured, reminders are in-app only.
    pub mailer: Option<parindex_reports::Mailer>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            public_url: None,
            trusted_proxies: Vec::new(),
            session_minutes: 8 * 60,
            session_max_hours: 12,
            login_delay_ms: 200,
            throttle: throttle::ThrottlePolicy::default(),
            evidence_dir: std::path::PathBuf::from("./evidence"),
            evidence_max_bytes: parindex_store::evidence::EVIDENCE_LIMIT,
            dossier_max_bytes: pages::dossier_upload::DOSSIER_UPLOAD_LIMIT,
            staging_dir: pages::dossier_upload::staging_dir(),
            max_connections: 1024,
            header_read_timeout: std::time::Duration::from_secs(20),
            body_idle_timeout: std::time::Duration::from_secs(30),
            body_timeout: std::time::Duration::from_secs(60),
            shutdown_grace: std::time::Duration::from_secs(30),
            backup: None,
            mailer: None,
        }
    }
}

impl WebConfig {
    /// The start-up check of the evidence folder: created `0700` when missing; refused (the
    /// folder and why) when another user owns it or group or others may access it.
    pub fn check_evidence_folder(&self) -> Result<(), parindex_store::files::FolderProblem> {
        parindex_store::files::ensure_private_dir(&self.evidence_dir)
    }

    /// Whether browsers reach us over HTTPS by configuration (an `https://` public URL, or
    /// [`WebConfig::secure_cookies`]).
    pub fn https(&self) -> bool {
        self.secure_cookies
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Check a public URL (`--public-url`) and give its origin: `http(s)://host[:port]`, no path,
/// no trailing slash. The application is served at the root of it.
pub fn public_origin(url: &str) -> Result<String, String> {
    let u = url.trim().trim_end_matches('/');
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or_else(|| format!("the public URL '{url}' must start with https:// or http://"))?;
    if rest.is_empty()
        || rest.contains(['/', '?', '#', '@', '\\'])
        || !rest.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(format!(
            "the public URL '{url}' must be an origin such as https://parindex.example.gov.vn (the application is served at its root)"
        ));
    }
    Ok(u.to_ascii_lowercase())
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
        .merge(api_dossiers::routes())
        .merge(pages::routes())
        .route("/static/app.css", get(stylesheet))
        .fallback(error_page::not_found)
        .method_not_allowed_fallback(error_page::method_not_allowed)
        .layer(axum::middleware::from_fn(error_page::in_layout))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            connections::body_timeouts,
        ))
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
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let hsts = state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A handler may set a stricter policy of its own (the public pages: `default-src 'none'`).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        );
    }
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

/// How often expired sessions and old sign-in counters are removed.
pub const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Remove expired sessions (idle or past their absolute lifetime) and sign-in counters unused
/// for a day, now and every [`HOUSEKEEPING_EVERY`], until the task is aborted.
pub fn spawn_housekeeping(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let now = jiff::Timestamp::now();
            let now_text = parindex_store::timestamp_text(now);
            match state
                .store
                .purge_sessions(&now_text, &auth::created_after(&state))
                .await
            {
                Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot remove expired sessions"),
            }
            let forget = parindex_store::timestamp_text(
                now - jiff::SignedDuration::from_hours(state.config.throttle.forget_hours),
            );
            if let Err(e) = state.store.purge_throttle(&forget, &now_text).await {
                tracing::warn!(error = %e, "cannot remove old sign-in counters");
            }
        }
    })
}

/// Serve on an already-bound listener until `shutdown` resolves (tests bind port 0), with the
/// connection limits of [`connections`] and the housekeeping of [`spawn_housekeeping`].
pub async fn serve_with_listener(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve(state, listener, shutdown).await
}

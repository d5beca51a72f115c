//! Rendered pages kept in memory, in the store's read cache (`parindex_store::cache`).
//!
//! A page read often and changed rarely (the dashboard, the plan's tree, the results, the
//! indicators, the audit log) is rendered once and answered from memory while it is current:
//! - filed under the data version read before it was rendered, so any write committed since
//!   makes it stale (`parindex_store::version`) — except one to the sessions or the sign-in
//!   throttling only ([`PAGE_TABLES`]): a write of this process at once, one of another
//!   process (a `parindex` command beside the server) once the store has read the data versions
//!   that write left in the database, which it does before looking here when it last did
//!   `ConnectOptions::version_check` (250 ms) ago or more (`Store::check_versions`); and for at
//!   most [`parindex_store::cache::SHARED_TTL`] whatever the version (a change made by hand);
//! - keyed by everything it depends on besides the data: the user (id, role, unit, language),
//!   the clock's day and the whole address asked (path and query: filters, sorting, the
//!   notice after a change). Authorization runs before the cache is consulted, as before; a
//!   page kept for one user is never shown to another.
//! - The session's CSRF token is not kept: the page is rendered with a placeholder (a random
//!   value chosen when the process starts), which each answer replaces by the token of the
//!   session asking.
//!
//! One request renders a given page at a time; the others asking for it meanwhile wait for it
//! (so 64 connections missing the same page render it once, not 64 times) and take the page it
//! rendered when that was read at the data version they arrived at or later (else they render
//! it themselves, without waiting again), except when the page
//! kept is only past its time to live — no write has changed it — and is then shown to them
//! while the one request renders it anew.
//!
//! Only a complete `200` HTML answer without cookies is kept; an error, a redirect or a
//! download (`?format=xlsx`) goes through every time.

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::AppState;
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use parindex_store::Tables;
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// What a page kept may be read from: every table but the sessions and sign-in throttling (a
/// session slid or a sign-in attempt counted changes no page: the user a page is rendered for
/// is in its key, the session's CSRF token is put in each answer).
const PAGE_TABLES: Tables = Tables::ALL
    .without(Tables::SESSIONS)
    .without(Tables::SIGN_IN);

/// The largest page kept.
const MAX_PAGE: usize = 4 << 20;

/// What stands for the CSRF token in a page kept in memory.
fn placeholder() -> &'static str {
    static P: OnceLock<String> = OnceLock::new();
    P.get_or_init(crate::auth::random_token)
}

/// The lock taken to render the page under `key` (one of a fixed set, chosen by the key's hash).
fn render_lock(key: &str) -> &'static tokio::sync::Mutex<()> {
    use std::hash::{Hash, Hasher};
    const LOCKS: usize = 64;
    static ALL: OnceLock<Vec<tokio::sync::Mutex<()>>> = OnceLock::new();
    let all = ALL.get_or_init(|| (0..LOCKS).map(|_| tokio::sync::Mutex::new(())).collect());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    &all[(h.finish() as usize) % LOCKS]
}

/// The key of a page: `page` (the handler), the user it is rendered for, the day and the address.
pub fn key(page: &str, cu: &CurrentUser, day: jiff::civil::Date, uri: &Uri) -> String {
    let u = &cu.user;
    format!(
        "page\u{1f}{page}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{day}\u{1f}{}",
        u.id,
        u.role.as_str(),
        u.unit.as_deref().unwrap_or(""),
        u.lang,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    )
}

/// A page kept: its text, rendered with the placeholder, and where the placeholder stands in
/// it (found once, when the page is rendered, rather than searched for in every answer).
struct Kept {
    text: String,
    holes: Vec<usize>,
}

impl Kept {
    fn new(text: String) -> Kept {
        let holes = text.match_indices(placeholder()).map(|(i, _)| i).collect();
        Kept { text, holes }
    }

    /// The page with `csrf` in place of the placeholder.
    fn with_token(&self, csrf: &str) -> String {
        let skip = placeholder().len();
        let mut out = String::with_capacity(self.text.len() + self.holes.len() * csrf.len());
        let mut from = 0;
        for &at in &self.holes {
            out.push_str(&self.text[from..at]);
            out.push_str(csrf);
            from = at + skip;
        }
        out.push_str(&self.text[from..]);
        out
    }
}

fn html(body: String) -> Response {
    let mut res = Response::new(Body::from(body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

/// The page `page` at `uri` for `cu`: from memory when current, else rendered by `render`
/// (given the user with the placeholder in place of the CSRF token) and kept when it is a
/// complete HTML page. Authorize before calling.
pub async fn page<F, Fut, R>(
    state: &AppState,
    cu: &CurrentUser,
    page: &str,
    uri: &Uri,
    render: F,
) -> Result<Response, PageError>
where
    F: FnOnce(CurrentUser) -> Fut,
    Fut: Future<Output = Result<R, PageError>>,
    R: IntoResponse + 'static,
{
    // What another process has written since the data versions were last read is made stale.
    state.store.check_versions().await;
    let key = key(page, cu, state.today(), uri);
    let answer = |page: &Kept| html(page.with_token(&cu.csrf));
    // One request renders a page at a time, the others wait for it (or, when the page is only
    // past its time to live and no write has changed it, are answered with it meanwhile).
    let lock = render_lock(&key);
    let _rendering = match state.store.cached_aged::<Kept>(&key) {
        Some((body, true)) => return Ok(answer(&body)),
        Some((body, false)) => match lock.try_lock() {
            Ok(guard) => Some(guard),
            Err(_) => return Ok(answer(&body)),
        },
        None => match lock.try_lock() {
            Ok(guard) => Some(guard),
            Err(_) => {
                // Another request is rendering a page under this lock: wait for it, once. A
                // page rendered from the data as this request found it, or later data, holds
                // every write committed before it arrived; otherwise (it was read before a
                // write this request must see, or it was another page sharing the lock) render
                // without the lock, so that waiters never queue one render after another while
                // writes keep coming (the soak's coordinators once waited 9 s for a dashboard).
                let arrived = state.store.data_version();
                drop(lock.lock().await);
                if let Some(body) = state.store.cached_since::<Kept>(&key, arrived) {
                    return Ok(answer(&body));
                }
                None
            }
        },
    };
    let version = state.store.data_version();
    let mut stand_in = cu.clone();
    stand_in.csrf = placeholder().to_string();
    let rendered = render(stand_in).await?;
    // A page rendered as text (`Html<String>`) is kept as it is: no copy, no UTF-8 check.
    let mut slot = Some(rendered);
    let text = (&mut slot as &mut dyn std::any::Any)
        .downcast_mut::<Option<Html<String>>>()
        .and_then(Option::take);
    if let Some(Html(text)) = text {
        if text.len() > MAX_PAGE {
            tracing::error!(bytes = text.len(), "a rendered page too large");
            return Err(PageError::Internal);
        }
        let page = Kept::new(text);
        let out = page.with_token(&cu.csrf);
        state.store.cache(key, version, PAGE_TABLES, Arc::new(page));
        return Ok(html(out));
    }
    match slot {
        Some(rendered) => keep_response(state, cu, key, version, rendered.into_response()).await,
        None => Err(PageError::Internal),
    }
}

/// Keep a page rendered as any other answer when it is a complete HTML page (read back from
/// its body), and answer it.
async fn keep_response(
    state: &AppState,
    cu: &CurrentUser,
    key: String,
    version: u64,
    res: Response,
) -> Result<Response, PageError> {
    let keep = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading a rendered page");
            return Err(PageError::Internal);
        }
    };
    // The body as rendered comes back without a copy.
    let text = match String::from_utf8(Vec::from(bytes)) {
        Ok(t) => t,
        // Not text: answered as it is, not kept.
        Err(e) => return Ok(Response::from_parts(parts, Body::from(e.into_bytes()))),
    };
    let page = Kept::new(text);
    let out = page.with_token(&cu.csrf);
    if keep {
        state.store.cache(key, version, PAGE_TABLES, Arc::new(page));
    }
    Ok(Response::from_parts(parts, Body::from(out)))
}

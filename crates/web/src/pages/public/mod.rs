//! The public pages under `/cong-khai` (issue 13 point 1): no sign-in, Vietnamese first
//! (`?lang=en` for English), no script, answered with `ETag` and `Last-Modified` (304 on
//! `If-None-Match` / `If-Modified-Since`), a strict Content-Security-Policy and a short public
//! cache. They show only what a coordinator published (`Store::publications`, live ones): the
//! province's PAR Index by year, published rankings of departments and districts, dossier rates
//! of a period; each table downloads as CSV, JSON and XLSX from the page's own address
//! (`?format=`). Never a round not published, never evidence, no names of officials. The
//! coordinator's page that publishes and withdraws is [`manage`].

pub mod manage;
pub mod open_table;
pub mod views;

use crate::error::PageError;
use crate::i18n::{t, Lang};
use crate::AppState;
use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use parindex_store::{Publication, PublicationKind};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The policy of every public answer: nothing but our stylesheet and inline SVG images.
pub const PUBLIC_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Cached by browsers and proxies for five minutes, then checked again with the validators.
pub const PUBLIC_CACHE: &str = "public, max-age=300";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cong-khai", get(views::index))
        .route("/cong-khai/chi-so/{edition}", get(views::edition))
        .route("/cong-khai/xep-hang/{round}", get(views::ranking))
        .route("/cong-khai/ho-so/{period}", get(views::dossiers))
        .route("/cong-khai/feed.atom", get(views::feed))
        .merge(manage::routes())
}

/// `?lang=en&format=csv`.
#[derive(Debug, Default, Deserialize)]
pub struct PublicQuery {
    pub lang: Option<String>,
    pub format: Option<String>,
    /// Which of a page's tables a download is (`total`, `components`, `areas`).
    pub table: Option<String>,
}

impl PublicQuery {
    pub fn lang(&self) -> Lang {
        Lang::parse(self.lang.as_deref().unwrap_or("vi"))
    }
}

/// A download asked for with `?format=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Xlsx,
}

/// `?format=csv|json|xlsx`, none for the page; anything else refused (400).
pub fn format_of(q: &PublicQuery) -> Result<Option<Format>, PageError> {
    match q.format.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some("csv") => Ok(Some(Format::Csv)),
        Some("json") => Ok(Some(Format::Json)),
        Some("xlsx") => Ok(Some(Format::Xlsx)),
        Some(other) => Err(PageError::refused(
            "format",
            parindex_store::RefusalKind::NotOneOf {
                value: other.to_string(),
                allowed: &["csv", "json", "xlsx"],
            },
        )),
    }
}

/// A public address in the reader's language: `?lang=en` kept for English.
pub fn href(lang: Lang, path: &str) -> String {
    match lang {
        Lang::Vi => path.to_string(),
        Lang::En => format!("{path}?lang=en"),
    }
}

/// A download's address: the page's own with `format=`.
pub fn download_href(lang: Lang, path: &str, format: &str) -> String {
    match lang {
        Lang::Vi => format!("{path}?format={format}"),
        Lang::En => format!("{path}?lang=en&format={format}"),
    }
}

/// The live publications of one kind.
pub fn live(all: &[Publication], kind: PublicationKind) -> Vec<&Publication> {
    all.iter()
        .filter(|p| p.kind == kind && p.is_live())
        .collect()
}

/// The live publication of this thing, or 404: nothing unpublished is public.
pub fn published<'a>(
    all: &'a [Publication],
    kind: PublicationKind,
    target: &str,
) -> Result<&'a Publication, PageError> {
    all.iter()
        .find(|p| p.kind == kind && p.target == target && p.is_live())
        .ok_or(PageError::NotFound)
}

/// The latest publication or withdrawal: what the public pages last changed by.
pub fn last_modified(all: &[Publication]) -> Option<jiff::Timestamp> {
    all.iter()
        .filter_map(|p| p.changed_at().parse::<jiff::Timestamp>().ok())
        .max()
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(ts: jiff::Timestamp) -> String {
    ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim().strip_suffix("GMT")?.trim();
    let dt = jiff::civil::DateTime::strptime("%a, %d %b %Y %H:%M:%S", s).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

/// The entity tag of a body: its SHA-256, quoted.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", &hex::encode(digest)[..32])
}

/// Whether the client's copy is current: `If-None-Match` naming the tag (or `*`), else (only
/// when there is no `If-None-Match`) `If-Modified-Since` not before the last change.
fn not_modified(req: &HeaderMap, etag: &str, modified: Option<jiff::Timestamp>) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else {
            return false;
        };
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == etag || t.strip_prefix("W/").is_some_and(|w| w == etag));
    }
    match (req.get(header::IF_MODIFIED_SINCE), modified) {
        (Some(ims), Some(m)) => ims
            .to_str()
            .ok()
            .and_then(parse_http_date)
            .is_some_and(|since| since.as_second() >= m.as_second()),
        _ => false,
    }
}

/// A public answer: the body with its type (and an attachment's name), `ETag`,
/// `Last-Modified`, the public cache and the strict policy; 304 without a body when the
/// client's copy is current.
pub fn answer(
    req: &HeaderMap,
    content_type: &str,
    attachment: Option<&str>,
    body: Vec<u8>,
    modified: Option<jiff::Timestamp>,
) -> Response {
    let etag = etag_of(&body);
    let fresh = not_modified(req, &etag, modified);
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if let Some(name) = attachment {
        crate::download::attachment(content_type, name, body)
    } else {
        ([(header::CONTENT_TYPE, content_type.to_string())], body).into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(v) = modified.and_then(|m| HeaderValue::from_str(&http_date(m)).ok()) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PUBLIC_CACHE),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PUBLIC_CSP),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    res
}

/// A link on a public page.
pub struct Link {
    pub href: String,
    pub text: String,
    pub note: String,
}

/// One part of a public page: a heading, a note, a chart, a table and its downloads, links.
#[derive(Default)]
pub struct Section {
    pub id: String,
    pub heading: String,
    pub note: String,
    pub svg: String,
    pub table: Option<open_table::HtmlTable>,
    pub downloads: Vec<Link>,
    pub links: Vec<Link>,
    pub empty: String,
}

/// Every public page: one template, standing alone (no session, no navigation of roles).
#[derive(Template)]
#[template(path = "public.html")]
pub struct PublicPage {
    pub lang: &'static str,
    pub title: String,
    pub intro: String,
    pub sections: Vec<Section>,
    pub chrome: Chrome,
}

/// The page's frame: the language switch, the way home, sign-in, the feed.
pub struct Chrome {
    pub province: &'static str,
    pub home_href: String,
    pub home: &'static str,
    pub other_href: String,
    pub other: &'static str,
    pub other_lang: &'static str,
    pub login: &'static str,
    pub login_href: String,
    pub feed_href: &'static str,
    pub feed: &'static str,
    pub downloads: &'static str,
    pub footer: &'static str,
}

impl Chrome {
    pub fn new(lang: Lang, path: &str) -> Chrome {
        Chrome {
            province: t(lang, "app.province"),
            home_href: href(lang, "/cong-khai"),
            home: t(lang, "public.home"),
            other_href: href(lang.other(), path),
            other: t(lang, "lang.switch"),
            other_lang: lang.other().code(),
            login: t(lang, "public.login"),
            login_href: href(lang, "/login"),
            feed_href: "/cong-khai/feed.atom",
            feed: t(lang, "public.feed"),
            downloads: t(lang, "public.downloads"),
            footer: t(lang, "public.footer"),
        }
    }
}

impl PublicPage {
    /// The page as a cached public answer.
    pub fn answer(
        &self,
        req: &HeaderMap,
        modified: Option<jiff::Timestamp>,
    ) -> Result<Response, PageError> {
        let html = self.render()?;
        Ok(answer(
            req,
            "text/html; charset=utf-8",
            None,
            html.into_bytes(),
            modified,
        ))
    }
}

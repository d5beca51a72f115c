//! No link a role cannot open (issue 12): the Bắc Giang demo loaded by the real `parindex demo`
//! as of 15/08/2021, then, in process (`parindex_web::router` called with `oneshot`), every demo
//! role starts from its home page and follows every link to a page of this site, breadth first.
//! A link that answers 4xx or 5xx fails the test, named by role, page, link and status. July's
//! reports and a proposed measure are added first, so that the pages linking to them are walked.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use parindex_store::testing::TestDb;
use parindex_store::Session;
use parindex_web::{router, AppState, WebConfig};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::process::Command;
use tower::ServiceExt;

/// The demo's accounts: the role as the failures name it, and the login.
const ROLES: &[(&str, &str)] = &[
    ("coordinator", "sonoivu"),
    ("leader", "lanhdao"),
    ("lead agency", "sotaichinh"),
    ("agency", "sotuphap"),
    ("appraiser", "thamdinh"),
    ("admin", "admin"),
];

/// Pages fetched per role at most.
const CAP: usize = 400;
/// Distinct URLs of one shape (the path with its numbers as `{n}`, the names of its query
/// parameters) fetched at most: the tenth page of a list or its fifth sort order adds nothing.
const PER_SHAPE: usize = 6;

/// Decode the entities askama writes into attribute values.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every `href` of a page.
fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(end) = rest.find('"') else { break };
        out.push(unescape(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

/// The value of an attribute in a tag (`<input name="q" value="">`), decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let end = tag[i..].find('"')?;
    Some(unescape(&tag[i..i + end]))
}

/// Whether a tag carries a boolean attribute (`checked`, `selected`).
fn flag(tag: &str, name: &str) -> bool {
    tag.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .any(|w| w == name)
}

/// Percent-encoding of a query's name or value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every form of a page sent with GET (searches, filters, pickers), as the browser would send it
/// untouched: its action with the form's fields at their initial values as the query.
fn get_forms(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<form") {
        rest = &rest[i..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        let body_end = rest.find("</form>").unwrap_or(rest.len());
        let body = &rest[tag_end..body_end];
        rest = &rest[body_end.max(1)..];
        if attr(tag, "method").is_some_and(|m| !m.eq_ignore_ascii_case("get")) {
            continue;
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        // The select being read: its name, its first option's value, its selected one's.
        let mut select: Option<(String, Option<String>, Option<String>)> = None;
        for piece in body.split('<').skip(1) {
            let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
            let text = &piece[piece.find('>').map_or(piece.len(), |i| i + 1)..];
            let name = attr(tag, "name");
            if tag.starts_with("input") {
                let Some(name) = name else { continue };
                let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
                match kind.as_str() {
                    "submit" | "button" | "image" | "reset" | "file" => {}
                    "checkbox" | "radio" if !flag(tag, "checked") => {}
                    "checkbox" | "radio" => {
                        fields.push((name, attr(tag, "value").unwrap_or_else(|| "on".into())))
                    }
                    _ => fields.push((name, attr(tag, "value").unwrap_or_default())),
                }
            } else if tag.starts_with("select") {
                select = name.map(|n| (n, None, None));
            } else if tag.starts_with("option") {
                if let Some((_, first, chosen)) = select.as_mut() {
                    let value = attr(tag, "value").unwrap_or_else(|| unescape(text.trim()));
                    if first.is_none() {
                        *first = Some(value.clone());
                    }
                    if flag(tag, "selected") {
                        *chosen = Some(value);
                    }
                }
            } else if tag.starts_with("/select") {
                if let Some((name, first, chosen)) = select.take() {
                    if let Some(v) = chosen.or(first) {
                        fields.push((name, v));
                    }
                }
            } else if tag.starts_with("textarea") {
                if let Some(name) = name {
                    fields.push((name, unescape(text)));
                }
            }
        }
        let query: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let action = attr(tag, "action").unwrap_or_default();
        let action = action.split('#').next().unwrap_or("").to_string();
        let action = action.split('?').next().unwrap_or("").to_string();
        out.push(format!("{action}?{}", query.join("&")));
    }
    out
}

/// A link as a path and query of this site, resolved against the page it is on; `None` for
/// fragments of the same page and other sites.
fn resolve(page: &str, href: &str) -> Option<String> {
    let href = href.split('#').next().unwrap_or("").trim();
    if href.is_empty() {
        return None;
    }
    let page_path = page.split('?').next().unwrap_or("/");
    if let Some(q) = href.strip_prefix('?') {
        return Some(format!("{page_path}?{q}"));
    }
    if href.starts_with("//") || href.contains("://") || href.contains(':') {
        return None; // another site, mailto:, tel:
    }
    let joined = if href.starts_with('/') {
        href.to_string()
    } else {
        let dir = &page_path[..page_path.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{href}")
    };
    // Resolve `.` and `..` segments.
    let (path, query) = match joined.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (joined.clone(), None),
    };
    let mut segs: Vec<&str> = Vec::new();
    for s in path.split('/').skip(1) {
        match s {
            "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let path = format!("/{}", segs.join("/"));
    Some(match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    })
}

/// The shape of a URL: ids and codes in the path as `{n}`, the query's parameter names only.
fn shape(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|s| {
            // Ids and codes (`12`, `1.2.3`, `H06.18-210614-0003721`), not slugs (`par-2020-province`).
            let digits = s.bytes().filter(u8::is_ascii_digit).count();
            if digits > 0 && digits * 2 >= s.len() {
                "{n}"
            } else {
                s
            }
        })
        .collect();
    let mut keys: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| kv.split('=').next().unwrap_or(""))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    format!("{}?{}", path.join("/"), keys.join("&"))
}

/// Links not followed: they end the session or change something when fetched.
fn skipped(url: &str) -> bool {
    let path = url.split('?').next().unwrap_or("");
    path == "/logout" || path.ends_with("/logout")
}

/// English words that are not Vietnamese (nor in the glossary's loan words), as they leaked into
/// Vietnamese pages: a page written for a Vietnamese reader shows none of them in its text or in
/// the attributes a reader sees (`placeholder`, `title`, `aria-label`, `alt`).
const ENGLISH: &[&str] = &[
    "about",
    "accepted",
    "account",
    "action",
    "added",
    "all",
    "and",
    "appraisal",
    "area",
    "areas",
    "assessment",
    "back",
    "band",
    "before",
    "after",
    "by",
    "cancel",
    "change",
    "changed",
    "close",
    "closed",
    "code",
    "comment",
    "components",
    "create",
    "created",
    "criteria",
    "criterion",
    "dashboard",
    "date",
    "deadline",
    "delete",
    "deleted",
    "demo",
    "done",
    "dossier",
    "dossiers",
    "download",
    "draft",
    "due",
    "early",
    "edit",
    "edition",
    "editions",
    "empty",
    "error",
    "export",
    "far",
    "file",
    "files",
    "filter",
    "for",
    "from",
    "gap",
    "import",
    "imported",
    "indicator",
    "indicators",
    "item",
    "items",
    "late",
    "level",
    "link",
    "list",
    "login",
    "month",
    "months",
    "name",
    "new",
    "next",
    "none",
    "not",
    "of",
    "open",
    "or",
    "overdue",
    "page",
    "password",
    "pending",
    "period",
    "plan",
    "plans",
    "points",
    "previous",
    "print",
    "progress",
    "publish",
    "published",
    "publisher",
    "rank",
    "ranking",
    "read",
    "record",
    "report",
    "reports",
    "result",
    "results",
    "returned",
    "review",
    "round",
    "save",
    "saved",
    "score",
    "scores",
    "search",
    "see",
    "self",
    "settings",
    "show",
    "sign",
    "source",
    "status",
    "submit",
    "submitted",
    "subject",
    "task",
    "tasks",
    "the",
    "this",
    "time",
    "top",
    "total",
    "unit",
    "units",
    "unknown",
    "update",
    "updated",
    "upload",
    "user",
    "users",
    "week",
    "when",
    "where",
    "which",
    "with",
    "year",
    "yes",
];

/// The text a reader sees of a page: its text nodes and the attributes read aloud or shown
/// (`placeholder`, `title`, `aria-label`, `alt`), entities decoded — without scripts and styles,
/// codes (`<code>`, `<kbd>`), the values being edited (`<textarea>`) and text marked English.
fn visible_text(html: &str) -> String {
    visible_parts(html, "en").join(" ")
}

/// The pieces of [`visible_text`], one per text node or attribute, without the elements marked
/// as written in `foreign` (`lang="en"` on a Vietnamese page, `lang="vi"` on an English one).
fn visible_parts(html: &str, foreign: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push(unescape(&rest[..i]));
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        rest = &rest[end..];
        // Text marked as the other language (`lang="en"`: an English name beside the
        // Vietnamese one), its attributes included.
        if !tag.starts_with("<html") && attr(tag, "lang").as_deref() == Some(foreign) {
            let name: String = tag[1..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            let void = tag.ends_with("/>") || ["input", "img", "br", "hr"].contains(&name.as_str());
            if !void {
                let close = format!("</{name}>");
                rest = rest.find(&close).map_or("", |j| &rest[j + close.len()..]);
            }
            continue;
        }
        for name in ["placeholder", "title", "aria-label", "alt"] {
            if let Some(v) = attr(tag, name) {
                out.push(v);
            }
        }
        for skip in ["script", "style", "code", "kbd", "textarea"] {
            if tag.starts_with(&format!("<{skip}")) {
                let close = format!("</{skip}>");
                rest = rest.find(&close).map_or("", |j| &rest[j + close.len()..]);
            }
        }
    }
    out.push(unescape(rest));
    out.retain(|p| !p.trim().is_empty());
    out
}

/// What a Vietnamese page shows that is not Vietnamese: English words, and codes a reader should
/// see as words (`assessment_item`, `{"decision":…}`).
fn english_in(html: &str) -> Vec<String> {
    let text = visible_text(html);
    let mut found: Vec<String> = Vec::new();
    let mut named: Vec<String> = Vec::new();
    let mut at = 0;
    for token in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let start = at;
        at += token.len() + 1;
        let word = token.to_lowercase();
        let leaked = ENGLISH.contains(&word.as_str())
            || (word.contains('_') && word.chars().any(|c| c.is_ascii_alphabetic()));
        if leaked && !named.contains(&word) {
            // The word in its sentence, so that the failure says where to look.
            let from = boundary(&text, start.saturating_sub(30));
            let to = boundary(&text, start + token.len() + 30);
            let context: String = text[from..to]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            found.push(format!("{word} («{context}»)"));
            named.push(word);
        }
    }
    // Stored JSON shown as text (a JSON example in a hint is a `<code>`, skipped like the rest).
    if let Some(i) = text.find("{\"") {
        found.push(format!("JSON («{}»)", &text[i..boundary(&text, i + 40)]));
    }
    found
}

/// The largest char boundary of `s` at or before `i`.
fn boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

struct Fetched {
    status: StatusCode,
    location: Option<String>,
    html: Option<String>,
}

async fn fetch(app: &Router, url: &str, cookie: &str) -> Fetched {
    let req = Request::get(url)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("a request");
    let res = app.clone().oneshot(req).await.expect("an answer");
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let bytes = res.into_body().collect().await.expect("a body").to_bytes();
    Fetched {
        status,
        location,
        html: is_html.then(|| String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// What one role's crawl found: the pages fetched, the distinct paths among them (numbers as
/// `{n}`), those left when the cap was reached, and each failing (page, link, status).
struct Crawl {
    fetched: usize,
    paths: usize,
    left: Vec<String>,
    failures: Vec<(String, String, StatusCode)>,
    /// Pages showing English or codes, with what they show (each word named once per crawl).
    english: Vec<(String, Vec<String>)>,
}

/// The path of a URL with its numbers as `{n}` (criteria codes such as `1.2.3` included).
fn path_shape(url: &str) -> String {
    let s = shape(url);
    s.split('?').next().unwrap_or("").to_string()
}

/// Breadth first from the home page, a URL with a path not seen yet before another sort order
/// or page of one already queued, so that the cap cuts only variants. `check` names what a page
/// shows in the wrong language ([`english_in`] for a Vietnamese reader).
async fn crawl(app: &Router, cookie: &str, check: &dyn Fn(&str) -> Vec<String>) -> Crawl {
    let mut seen: HashSet<String> = HashSet::new();
    let mut paths: HashSet<String> = HashSet::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut fresh: VecDeque<(String, String)> = VecDeque::new();
    let mut variants: VecDeque<(String, String)> = VecDeque::new();
    fresh.push_back(("/".to_string(), "(start)".to_string()));
    seen.insert("/".to_string());
    paths.insert(path_shape("/"));
    let mut crawl = Crawl {
        fetched: 0,
        paths: 0,
        left: Vec::new(),
        failures: Vec::new(),
        english: Vec::new(),
    };
    let mut english_seen: HashSet<String> = HashSet::new();
    while let Some((url, from)) = fresh.pop_front().or_else(|| variants.pop_front()) {
        if crawl.fetched >= CAP {
            crawl.left = fresh.into_iter().map(|(u, _)| u).collect();
            break;
        }
        crawl.fetched += 1;
        let got = fetch(app, &url, cookie).await;
        if std::env::var_os("CRAWL_LIST").is_some() {
            eprintln!("{} {url} ← {from}", got.status.as_u16());
        }
        if got.status.is_client_error() || got.status.is_server_error() {
            crawl.failures.push((from, url, got.status));
            continue;
        }
        let mut links = Vec::new();
        if got.status.is_redirection() {
            links.extend(got.location);
        }
        if got.status == StatusCode::OK {
            if let Some(html) = got.html.as_deref() {
                let words: Vec<String> = check(html)
                    .into_iter()
                    .filter(|w| english_seen.insert(w.split(' ').next().unwrap_or("").to_string()))
                    .collect();
                if !words.is_empty() {
                    crawl.english.push((url.clone(), words));
                }
                links.extend(hrefs(html));
                links.extend(get_forms(html));
            }
        }
        for link in links {
            let Some(target) = resolve(&url, &link) else {
                continue;
            };
            if skipped(&target) || seen.contains(&target) {
                continue;
            }
            let n = shapes.entry(shape(&target)).or_default();
            if *n >= PER_SHAPE {
                continue;
            }
            *n += 1;
            seen.insert(target.clone());
            if paths.insert(path_shape(&target)) {
                fresh.push_back((target, url.clone()));
            } else {
                variants.push_back((target, url.clone()));
            }
        }
    }
    crawl.paths = paths.len() - crawl.left.len();
    crawl
}

/// What the demo does not hold as of 15/08/2021 but pages link from: monthly reports with an
/// attachment (the demo's sample history has none), one accepted and one returned
/// (notifications, report pages, downloads), and a criticism proposed to the leader. August's:
/// July's are in the demo's history already (some accepted, which refuses a new version).
async fn a_month_of_work(store: &parindex_store::Store) {
    use parindex_domain::plan::{Decision, MeasureKind};
    use parindex_store::{NewAttachment, ReportInput};
    let cal = store.work_calendar().await.expect("the calendar");
    let mut ids = Vec::new();
    for (unit, login) in [("so-tu-phap", "sotuphap"), ("so-tai-chinh", "sotaichinh")] {
        let report = store
            .submit_report(
                "bac-giang-2021",
                "III.1-monthly-report",
                unit,
                &ReportInput {
                    period: "2021-08".into(),
                    done: "Đã triển khai kế hoạch CCHC tháng 8".into(),
                    problems: String::new(),
                    proposals: String::new(),
                    progress_pct: 60,
                },
                &[NewAttachment {
                    file_name: "Báo cáo tháng 8.pdf".into(),
                    content_type: "application/pdf".into(),
                    content: b"%PDF-1.4 bao cao thang 8".to_vec(),
                }],
                jiff::civil::date(2021, 8, 13),
                &cal,
                login,
            )
            .await
            .expect("a report");
        ids.push(report.id);
    }
    store
        .review_report(
            ids[0],
            Decision::Accepted,
            "",
            "sonoivu",
            jiff::civil::date(2021, 8, 6),
        )
        .await
        .expect("accepted");
    store
        .review_report(
            ids[1],
            Decision::Returned,
            "Thiếu số liệu",
            "sonoivu",
            jiff::civil::date(2021, 8, 6),
        )
        .await
        .expect("returned");
    store
        .propose_measure(
            "bac-giang-2021",
            "so-tai-chinh",
            2021,
            MeasureKind::Criticism,
            "Chậm báo cáo",
            "sonoivu",
        )
        .await
        .expect("a measure");
}

#[tokio::test]
async fn every_link_on_every_page_opens_for_every_demo_role() {
    let db = TestDb::sqlite().await.expect("a test database");
    let evidence = tempfile::tempdir().expect("a temporary folder");
    let evidence_dir = evidence.path().join("evidence");
    let out = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db.url())
        .arg("--evidence-dir")
        .arg(&evidence_dir)
        .args(["--as-of", "2021-08-15", "demo", "--no-serve"])
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    a_month_of_work(&db.store).await;
    let app = router(AppState {
        store: db.store.clone(),
        config: WebConfig {
            evidence_dir,
            ..WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(jiff::civil::date(2021, 8, 15)),
    });
    let mut failures = Vec::new();
    let mut english = Vec::new();
    let mut counts = Vec::new();
    for (role, login) in ROLES {
        let (user, _) = db
            .store
            .user_by_username(login)
            .await
            .expect("the users")
            .unwrap_or_else(|| panic!("the demo has no user {login}"));
        let token = parindex_web::auth::random_token();
        db.store
            .create_session(&Session {
                token_hash: parindex_web::auth::token_hash(&token),
                user_id: user.id,
                csrf_token: parindex_web::auth::random_token(),
                expires_at: "2099-01-01T00:00:00Z".into(),
            })
            .await
            .expect("a session");
        let cookie = format!("parindex_session={token}");
        // An unknown address: a Vietnamese 404 inside the layout, with the role's navigation.
        let missing = fetch(&app, "/khong-co-trang-nay", &cookie).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{role}");
        let html = missing.html.unwrap_or_default();
        assert!(
            html.contains("<title>Không tìm thấy trang · ParIndex</title>")
                && html.contains("<nav aria-label=\"Điều hướng chính\">")
                && html.contains("href=\"/account\""),
            "{role}: {html}"
        );
        let found = crawl(&app, &cookie, &english_in).await;
        counts.push(format!(
            "{role}: {} pages, {} paths",
            found.fetched, found.paths
        ));
        assert!(
            found.fetched >= 20,
            "{role}: only {} pages reached from the home page",
            found.fetched
        );
        assert!(
            found.left.is_empty(),
            "{role}: the cap of {CAP} pages left {} paths never fetched, e.g. {:?}",
            found.left.len(),
            &found.left[..found.left.len().min(10)]
        );
        failures.extend(
            found
                .failures
                .into_iter()
                .map(|(page, link, status)| format!("{role}: {page} → {link}: {status}")),
        );
        english.extend(
            found
                .english
                .into_iter()
                .map(|(page, words)| format!("{role}: {page}: {}", words.join(", "))),
        );
    }
    eprintln!("pages fetched per role: {}", counts.join(", "));
    assert!(
        failures.is_empty(),
        "{} links refuse ({}):\n{}",
        failures.len(),
        counts.join(", "),
        failures.join("\n")
    );
    assert!(
        english.is_empty(),
        "{} Vietnamese pages show English or codes:\n{}",
        english.len(),
        english.join("\n")
    );
    db.cleanup().await;
}

/// The demo as of 15/08/2021 with a month of work, and a signed-in cookie per demo role.
async fn demo_app() -> (
    TestDb,
    tempfile::TempDir,
    Router,
    BTreeMap<&'static str, String>,
) {
    let db = TestDb::sqlite().await.expect("a test database");
    let evidence = tempfile::tempdir().expect("a temporary folder");
    let evidence_dir = evidence.path().join("evidence");
    let out = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db.url())
        .arg("--evidence-dir")
        .arg(&evidence_dir)
        .args(["--as-of", "2021-08-15", "demo", "--no-serve"])
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    a_month_of_work(&db.store).await;
    let app = router(AppState {
        store: db.store.clone(),
        config: WebConfig {
            evidence_dir,
            ..WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(jiff::civil::date(2021, 8, 15)),
    });
    let mut cookies = BTreeMap::new();
    for (role, login) in ROLES {
        let (user, _) = db
            .store
            .user_by_username(login)
            .await
            .expect("the users")
            .unwrap_or_else(|| panic!("the demo has no user {login}"));
        let token = parindex_web::auth::random_token();
        db.store
            .create_session(&Session {
                token_hash: parindex_web::auth::token_hash(&token),
                user_id: user.id,
                csrf_token: parindex_web::auth::random_token(),
                expires_at: "2099-01-01T00:00:00Z".into(),
            })
            .await
            .expect("a session");
        cookies.insert(*role, format!("parindex_session={token}"));
    }
    (db, evidence, app, cookies)
}

/// One figure of a home page: its tile's id, its number, its link and the table it counts.
#[derive(Debug)]
struct Figure {
    id: String,
    value: usize,
    href: String,
    list: String,
}

/// Every figure of a home page (`<a class="big…" href data-count data-list>` inside a tile).
fn figures(html: &str) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = html[from..].find("data-count=\"") {
        let at = from + i;
        let tag_start = html[..at].rfind("<a ").expect("a link");
        let tag_end = at + html[at..].find('>').expect("the tag's end");
        let tag = &html[tag_start..tag_end];
        let tile = html[..tag_start].rfind("id=\"tile-").expect("a tile");
        let id = attr(&html[tile - 1..tag_start], "id").expect("the tile's id");
        out.push(Figure {
            id,
            value: attr(tag, "data-count")
                .and_then(|v| v.parse().ok())
                .expect("a number"),
            href: attr(tag, "href").expect("a link"),
            list: attr(tag, "data-list").expect("the list it counts"),
        });
        from = tag_end;
    }
    out
}

/// The rows of the body of the table with this id (0 when the page has no such table: an
/// empty list says so instead).
fn table_rows(html: &str, id: &str) -> Vec<String> {
    let Some(i) = html.find(&format!("<table id=\"{id}\"")) else {
        return Vec::new();
    };
    let table = &html[i..i + html[i..].find("</table>").expect("the table's end")];
    let body = table.split("<tbody>").nth(1).unwrap_or("");
    body.split("<tr").skip(1).map(str::to_string).collect()
}

/// The rows of a list, every page of it (following the pager's `rel="next"`).
async fn list_rows(app: &Router, cookie: &str, url: &str, id: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut next = Some(url.to_string());
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        assert!(pages < 100, "{url}: the pager does not end");
        let got = fetch(app, &url, cookie).await;
        assert_eq!(got.status, StatusCode::OK, "{url}");
        let html = got.html.expect("a page");
        rows.extend(table_rows(&html, id));
        if let Some(r) = html.find("rel=\"next\"") {
            let a = html[..r].rfind("<a ").expect("the pager's link");
            let href = attr(&html[a..r + 10], "href").expect("its address");
            next = resolve(&url, &href);
        }
    }
    rows
}

/// Assignments of the demo plan in a scope (one unit's or all) with a status, as the store
/// derives them: what the home page's figures must say without asking the web.
async fn assignments_with(
    store: &parindex_store::Store,
    unit: Option<&str>,
    status: parindex_domain::plan::Status,
) -> usize {
    let st = store
        .plan_state("bac-giang-2021", jiff::civil::date(2021, 8, 15), unit)
        .await
        .expect("the plan's state");
    st.tasks
        .iter()
        .flat_map(|t| &t.assignments)
        .filter(|a| a.status == status)
        .count()
}

#[tokio::test]
async fn every_home_figure_links_to_a_list_of_exactly_that_many_rows() {
    use parindex_domain::plan::Status;
    let (db, _evidence, app, cookies) = demo_app().await;
    // One more report, still waiting for review, and a measure the leader has decided.
    let st = db
        .store
        .plan_state(
            "bac-giang-2021",
            jiff::civil::date(2021, 8, 15),
            Some("so-tu-phap"),
        )
        .await
        .expect("the plan's state");
    // One more report waiting for review: an overdue assignment of Sở Tư pháp with a single
    // overdue period, whose report makes it "submitted".
    let overdue_once = st
        .tasks
        .iter()
        .flat_map(|t| t.assignments.iter().map(move |a| (t, a)))
        .find_map(|(t, a)| {
            let late: Vec<_> = a
                .periods
                .iter()
                .filter(|p| p.status == Status::Overdue)
                .collect();
            (a.status == Status::Overdue && late.len() == 1)
                .then(|| (t.task.id.clone(), late[0].period.key.clone()))
        });
    let cal = db.store.work_calendar().await.expect("the calendar");
    if let Some((task, period)) = overdue_once {
        db.store
            .submit_report(
                "bac-giang-2021",
                &task,
                "so-tu-phap",
                &parindex_store::ReportInput {
                    period,
                    done: "Đã thực hiện".into(),
                    problems: String::new(),
                    proposals: String::new(),
                    progress_pct: 50,
                },
                &[],
                jiff::civil::date(2021, 8, 10),
                &cal,
                "sotuphap",
            )
            .await
            .expect("a report");
    }
    let decided = db
        .store
        .propose_measure(
            "bac-giang-2021",
            "so-tu-phap",
            2021,
            parindex_domain::plan::MeasureKind::DisciplinaryReview,
            "Nhiều nhiệm vụ quá hạn",
            "sonoivu",
        )
        .await
        .expect("a measure");
    db.store
        .decide_measure(decided, false, "Đã khắc phục", "lanhdao")
        .await
        .expect("decided");
    let mut seen: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for (role, _) in ROLES {
        let cookie = &cookies[role];
        let home = fetch(&app, "/", cookie).await;
        assert_eq!(home.status, StatusCode::OK, "{role}");
        let html = home.html.expect("the home page");
        for f in figures(&html) {
            let rows = match f.href.strip_prefix('#') {
                // A list on the home page itself.
                Some(_) => table_rows(&html, &f.list),
                None => {
                    let url = resolve("/", &f.href).expect("a link of this site");
                    list_rows(&app, cookie, &url, &f.list).await
                }
            };
            assert_eq!(
                rows.len(),
                f.value,
                "{role}: {} says {} but {} lists {} rows of #{}",
                f.id,
                f.value,
                f.href,
                rows.len(),
                f.list
            );
            if *role == "agency" && f.list == "board-table" {
                for r in &rows {
                    assert!(r.contains("<td>Sở Tư pháp</td>"), "{role}: {} {r}", f.id);
                }
            }
            seen.entry(role).or_default().insert(f.id, f.value);
        }
        // The label says what is counted: a unit's own tasks, or tasks × units province-wide.
        let label = match *role {
            "agency" | "lead agency" => Some("nhiệm vụ của đơn vị"),
            "coordinator" | "leader" | "admin" => Some("lượt nhiệm vụ × đơn vị"),
            _ => None,
        };
        if let Some(label) = label {
            assert!(
                html.contains(&format!("<div class=\"muted counts\">{label}</div>")),
                "{role}: the label says what is counted"
            );
            assert!(html.contains("Số nhiệm vụ của Kế hoạch: "), "{role}");
        }
    }
    eprintln!("home figures per role: {seen:?}");
    let fig = |role: &str, id: &str| -> usize {
        *seen
            .get(role)
            .and_then(|m| m.get(id))
            .unwrap_or_else(|| panic!("{role} has no {id}: {:?}", seen.get(role)))
    };
    // The agency's figures are its own unit's, the coordinator's the province's.
    let own = assignments_with(&db.store, Some("so-tu-phap"), Status::Overdue).await;
    let all = assignments_with(&db.store, None, Status::Overdue).await;
    assert!(own > 0 && own < all, "{own} {all}");
    assert_eq!(fig("agency", "tile-overdue"), own);
    assert_eq!(fig("coordinator", "tile-overdue"), all);
    assert_eq!(fig("leader", "tile-overdue"), all);
    // Assignments whose report awaits review: the agency's figure is its own unit's, the
    // coordinator's the province's, whatever their number on the demo's history.
    let waiting = assignments_with(&db.store, Some("so-tu-phap"), Status::Submitted).await;
    let waiting_all = assignments_with(&db.store, None, Status::Submitted).await;
    assert_eq!(fig("agency", "tile-submitted"), waiting);
    assert_eq!(fig("coordinator", "tile-submitted"), waiting_all);
    assert_eq!(
        fig("lead agency", "tile-returned"),
        assignments_with(&db.store, Some("so-tai-chinh"), Status::Returned).await
    );
    assert!(
        fig("lead agency", "tile-my-areas") >= 1,
        "the areas it leads"
    );
    // The leader: the criticism waits, the disciplinary review was decided — one figure each.
    assert_eq!(fig("leader", "tile-measures-criticism"), 1);
    assert_eq!(fig("leader", "tile-measures-disciplinary"), 0);
    assert_eq!(fig("coordinator", "tile-measures-criticism"), 1);
    let unpublished = db
        .store
        .rounds()
        .await
        .expect("the rounds")
        .iter()
        .filter(|r| !r.round.is_published())
        .count();
    assert_eq!(fig("leader", "tile-unpublished"), unpublished);
    // The appraiser: a figure per round not yet published (none on 15/08/2021: the 2021 rounds
    // open in November), no plan.
    let appraiser = seen.get("appraiser").cloned().unwrap_or_default();
    assert_eq!(
        appraiser
            .keys()
            .filter(|k| k.starts_with("tile-waiting-"))
            .count(),
        unpublished
    );
    assert!(!appraiser.contains_key("tile-overdue"));
    assert!(!seen["agency"].contains_key("tile-measures-criticism"));
    // The leader's home carries the Chairman's report form for the month.
    let leader = fetch(&app, "/", &cookies["leader"])
        .await
        .html
        .unwrap_or_default();
    assert!(leader.contains("id=\"chairman-report\""));
    assert!(
        leader.contains("<option value=\"2021-08\" selected>"),
        "the current month"
    );
    db.cleanup().await;
}

/// Every decimal a page shows (`85,58` in Vietnamese — digits, a comma, digits) with its
/// number of decimals and the text around it.
fn decimals_in(html: &str) -> Vec<(String, usize, String)> {
    let text = visible_text(html);
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b','
            && i > 0
            && b[i - 1].is_ascii_digit()
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            let mut start = i;
            while start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b'.') {
                start -= 1;
            }
            let mut end = i + 1;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            let from = boundary(&text, start.saturating_sub(30));
            let to = boundary(&text, end + 10);
            let context = text[from..to]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            out.push((text[start..end].to_string(), end - i - 1, context));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Issue 12: "a fixed number of decimals per kind of figure" ("8,5 vs 8,50"). The pages of
/// points — the results table, each area's table, the gap analysis, the rankings, the home page
/// — write every decimal with exactly 2 decimals (`figures::points`, `figures::percent`), and
/// the demo's published total reads 85,58.
#[tokio::test]
async fn every_figure_of_points_has_two_decimals() {
    let (db, _evidence, app, cookies) = demo_app().await;
    let cookie = &cookies["coordinator"];
    let mut pages: Vec<String> = ["/", "/results", "/results/areas", "/gap", "/rankings"]
        .map(String::from)
        .to_vec();
    let mut failures = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut figures = 0;
    while let Some(url) = pages.pop() {
        if !seen.insert(url.clone()) || seen.len() > 40 {
            continue;
        }
        let got = fetch(&app, &url, cookie).await;
        assert_eq!(got.status, StatusCode::OK, "{url}");
        let html = got.html.expect("a page");
        if url == "/results" {
            assert!(html.contains(">85,58<"), "the demo's total: {html}");
        }
        // Every area's table and every ranking.
        for link in hrefs(&html) {
            if let Some(t) = resolve(&url, &link) {
                if (t.starts_with("/results/areas?") || t.starts_with("/rankings/"))
                    && !t.contains("export")
                    && !t.contains("format=")
                {
                    pages.push(t);
                }
            }
        }
        for (figure, decimals, context) in decimals_in(&html) {
            figures += 1;
            if decimals != 2 {
                failures.push(format!("{url}: {figure} («{context}»)"));
            }
        }
    }
    assert!(
        figures > 100,
        "only {figures} figures read on {} pages",
        seen.len()
    );
    assert!(
        seen.iter().any(|u| u.starts_with("/results/areas?")),
        "the areas' pages: {seen:?}"
    );
    assert!(
        failures.is_empty(),
        "{} figures without exactly 2 decimals:\n{}",
        failures.len(),
        failures.join("\n")
    );
    db.cleanup().await;
}

/// The letters Vietnamese writes and English does not (lower case, NFC).
const VIETNAMESE_LETTERS: &str =
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ";

/// Proper names an English page writes in Vietnamese: the province, the language switch's
/// "Tiếng Việt" (the language's own name).
const PROPER_NAMES: &[&str] = &["Bắc Giang", "Tiếng Việt", "Việt Nam"];

fn is_vietnamese(word: &str) -> bool {
    word.chars()
        .flat_map(char::to_lowercase)
        .any(|c| VIETNAMESE_LETTERS.contains(c))
}

/// Every text the database holds (each text column of each table, and the strings inside JSON
/// values) that has a Vietnamese letter: unit names, task titles, criteria, comments — the data
/// a page shows as it was written, legitimately Vietnamese on an English page.
struct Stored {
    exact: HashSet<String>,
    /// Longest first, so that a longer name is taken out before a part of it.
    all: Vec<String>,
}

fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| json_strings(x, out)),
        _ => {}
    }
}

async fn stored_text(url: &str) -> Stored {
    use sqlx::{Column, Row};
    let pool = sqlx::SqlitePool::connect(url).await.expect("the database");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .expect("the tables");
    let mut found: Vec<String> = Vec::new();
    for t in tables {
        let rows = sqlx::query(&format!("SELECT * FROM \"{t}\""))
            .fetch_all(&pool)
            .await
            .expect("a table");
        for row in rows {
            for c in row.columns() {
                let Ok(Some(text)) = row.try_get::<Option<String>, _>(c.ordinal()) else {
                    continue;
                };
                if text.starts_with('{') || text.starts_with('[') {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                        json_strings(&v, &mut found);
                        continue;
                    }
                }
                found.push(text);
            }
        }
    }
    pool.close().await;
    let mut pieces: HashSet<String> = HashSet::new();
    for text in found.into_iter().filter(|t| is_vietnamese(t)) {
        // A text of several lines is shown a line at a time.
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            pieces.insert(line.to_string());
        }
        pieces.insert(text.trim().to_string());
    }
    // The units of measure the catalogue translates ("hồ sơ", "đơn vị") are not data: a page
    // writes them in the reader's language (`i18n::measure_unit`).
    for k in parindex_web::i18n::keys().filter(|k| k.starts_with("measure_unit.")) {
        pieces.remove(parindex_web::i18n::t(parindex_web::i18n::Lang::Vi, k));
    }
    let mut all: Vec<String> = pieces.iter().cloned().collect();
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    Stored { exact: pieces, all }
}

/// What an English page shows in Vietnamese that is not data: the words with a Vietnamese
/// letter left in a piece of its text once every stored text in it is taken out (a line of a
/// stored text, or an excerpt of one ending in "…", is data too), the proper names aside. Elements marked `lang="vi"` are data by their mark.
fn vietnamese_in(html: &str, stored: &Stored) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for part in visible_parts(html, "vi") {
        let piece = part.trim();
        if !is_vietnamese(piece) || stored.exact.contains(piece) {
            continue;
        }
        // A piece may join several texts with " · "; an excerpt of a stored text ends in "…",
        // after a code perhaps ("III.1.b Triển kha…").
        let excerpt = |c: &str| {
            c.strip_suffix('…').is_some_and(|bare| {
                let bare = bare.trim();
                let after_code = bare.split_once(' ').map_or(bare, |(_, t)| t);
                stored
                    .all
                    .iter()
                    .any(|s| s.contains(bare) || s.contains(after_code))
            })
        };
        let kept: Vec<&str> = piece
            .split(" · ")
            .map(str::trim)
            .filter(|c| !stored.exact.contains(*c) && !excerpt(c))
            .collect();
        let mut rest = kept.join(" · ");
        for s in stored
            .all
            .iter()
            .map(String::as_str)
            .chain(PROPER_NAMES.iter().copied())
        {
            if s.len() <= rest.len() && rest.contains(s) {
                rest = rest.replace(s, " ");
            }
        }
        let words: Vec<&str> = rest
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| is_vietnamese(w))
            .collect();
        if let Some(w) = words.first() {
            found.push(format!(
                "{} («{}»)",
                w.to_lowercase(),
                piece.chars().take(80).collect::<String>()
            ));
        }
    }
    found
}

/// An English reader's pages (issue 12: "English mode translates 'hồ sơ', 'đơn vị' too"): every
/// demo role, switched to English, crawls as above; no page shows Vietnamese outside data.
#[tokio::test]
async fn english_pages_show_no_vietnamese_but_data() {
    let (db, _evidence, app, cookies) = demo_app().await;
    for (_, login) in ROLES {
        let (user, _) = db
            .store
            .user_by_username(login)
            .await
            .expect("the users")
            .expect("a demo user");
        db.store.set_lang(user.id, "en").await.expect("English");
    }
    let stored = stored_text(&db.url()).await;
    assert!(stored.exact.contains("Sở Tư pháp"), "the units are data");
    assert!(
        !stored.exact.contains("hồ sơ") && !stored.exact.contains("đơn vị"),
        "an indicator's unit of measure is translated, not data"
    );

    let check = |html: &str| {
        assert!(html.contains("<html lang=\"en\""), "an English page");
        vietnamese_in(html, &stored)
    };
    let mut leaks = Vec::new();
    for (role, _) in ROLES {
        let found = crawl(&app, &cookies[role], &check).await;
        assert!(found.fetched >= 20, "{role}: {} pages", found.fetched);
        assert!(found.failures.is_empty(), "{role}: {:?}", found.failures);
        leaks.extend(
            found
                .english
                .into_iter()
                .map(|(page, words)| format!("{role}: {page}: {}", words.join(", "))),
        );
    }
    assert!(
        leaks.is_empty(),
        "{} English pages show Vietnamese that is not data:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    db.cleanup().await;
}

#[test]
fn decimals_are_read_with_their_count() {
    let found = decimals_in("<td>85,58</td><td>8,5</td><td>1.234,50</td><p>15/08/2021, 3 bậc</p>");
    let got: Vec<(&str, usize)> = found.iter().map(|(f, n, _)| (f.as_str(), *n)).collect();
    assert_eq!(got, [("85,58", 2), ("8,5", 1), ("1.234,50", 2)]);
}

#[test]
fn vietnamese_is_found_outside_data_only() {
    let stored = Stored {
        exact: ["Sở Tư pháp".to_string()].into(),
        all: vec![
            "Đã triển khai kế hoạch CCHC tháng 8".to_string(),
            "Sở Tư pháp".to_string(),
        ],
    };
    let page = r#"<html lang="en"><body><h1>Units</h1><td>Sở Tư pháp</td>
        <td>Sở Tư pháp · 19 đơn vị</td><p>Đã triển khai kế hoạch…</p>
        <td>Đã triển khai… · III.1.b Đã triển khai kế… · Sở Tư pháp</td>
        <span lang="vi">Hồ sơ trễ hạn</span><input lang="vi" placeholder="45/QĐ-UBND">
        <p title="Lưu">Bắc Giang province</p>
        <p>tháng 07/2021</p></body></html>"#;
    let words: Vec<String> = vietnamese_in(page, &stored)
        .iter()
        .map(|w| w.split(' ').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(words, ["đơn", "lưu", "tháng"]);
}

#[test]
fn links_resolve_like_a_browser() {
    assert_eq!(
        resolve("/plans/p?x=1", "?page=2").as_deref(),
        Some("/plans/p?page=2")
    );
    assert_eq!(
        resolve("/plans/p/tasks", "t1").as_deref(),
        Some("/plans/p/t1")
    );
    assert_eq!(
        resolve("/plans/p/tasks", "../x#a").as_deref(),
        Some("/plans/x")
    );
    assert_eq!(resolve("/a", "#top"), None);
    assert_eq!(resolve("/a", "https://example.org/"), None);
    assert_eq!(resolve("/a", "mailto:x@y.vn"), None);
    assert_eq!(
        hrefs(r#"<a href="/results?edition=a&amp;subject=b">x</a>"#),
        vec!["/results?edition=a&subject=b"]
    );
    assert_eq!(unescape("&#x2f;a&#47;b&amp;&zz"), "/a/b&&zz");
    let page = r##"<form method="post" action="/x"><input name="a" value="1"></form>
        <form method="get" action="/gap" class="searchbar"><label>E <select name="edition">
        <option value="e1">1</option><option value="e2" selected>2</option></select></label>
        <input name="q" value="s&#x1ed5;" type="search"><input type="checkbox" name="c" value="1">
        <input type="checkbox" name="d" value="y" checked><button type="submit">Go</button></form>
        <form method="get" action="#rows"><input type="hidden" name="unit" value="so-tu-phap"></form>"##;
    assert_eq!(
        get_forms(page),
        vec![
            "/gap?edition=e2&q=s%E1%BB%95&d=y".to_string(),
            "?unit=so-tu-phap".to_string()
        ]
    );
    assert_eq!(
        shape("/plans/p/tasks/12?page=3&q=a"),
        "/plans/p/tasks/{n}?page&q"
    );
    assert_eq!(
        path_shape("/dossiers/so-tu-phap/H06.03-210601-0010457"),
        "/dossiers/so-tu-phap/{n}"
    );
    assert_eq!(
        path_shape("/editions/par-2020-province/criteria/1.2.3?x=1"),
        "/editions/par-2020-province/criteria/{n}"
    );
}

#[test]
fn english_and_codes_are_found_in_what_a_reader_sees_only() {
    let page = r#"<html lang="vi"><head><style>.the{}</style><script>let report = 1;</script></head>
        <body><p>Nguồn: dossiers (the months imported so far)</p>
        <input placeholder="unit, edition"><code>received_at</code><kbd>parindex import</kbd>
        <span lang="en">Department of Justice</span><td>assessment_item</td>
        <textarea>{"kind": "manual"}</textarea><p>{"decision":"accepted"}</p></body></html>"#;
    let words: Vec<String> = english_in(page)
        .iter()
        .map(|w| w.split(' ').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        words,
        [
            "dossiers",
            "the",
            "months",
            "imported",
            "far",
            "unit",
            "edition",
            "assessment_item",
            "accepted",
            "JSON"
        ]
    );
    assert!(english_in("<p>Sở Tư pháp so sánh kết quả tháng 07/2021</p>").is_empty());
}

//! The soak and the 30/12 evidence rush (bench/soak.sh; figures in docs/PERFORMANCE.md).
//!
//! Starts nothing: it drives a running `parindex serve` loaded with the Bắc Giang demo (and,
//! for the rush, the synthetic units and users that bench/soak.sh adds), over raw HTTP/1.1
//! keep-alive connections on the loopback only.
//!
//! - **soak**: `--conns` virtual users (default 64), each signed in once (CSRF cookie and the
//!   sign-in form, one after another: the sign-in throttle counts parallel attempts of one
//!   name), then in a closed loop for `--secs` (default 600) a mix of every role's reads and
//!   writes: the coordinator's dashboard, plan tree, results, gap, indicators, audit, dossiers,
//!   ranking; the leader's read-only pages; the lead agency's and the agency's tasks and monthly
//!   reports; self-assessment saves, evidence uploads and downloads by units; the appraiser's
//!   page and appraisal saves. Every write is one the server accepts (303). With
//!   `--write-pct P`, each write drawn is made with a chance of P % (else one of the role's
//!   reads instead): a pace of writes nearer a province's own. With
//!   `--read-secs N`, N more seconds of the same users' reads only (the memory once the data
//!   stops growing).
//! - **rush**: `--rush-units` units (37) upload `--rush-files` evidence files each (20) at once,
//!   each on its own connection, distinct contents of `--rush-kb` KB; then every file is read
//!   back through the download route and its SHA-256 compared, and each must be listed exactly
//!   once.
//!
//! An answer that is not 2xx or 3xx, or a redirect to the sign-in page, is an error, reported
//! with its path. With `--pid` the server's resident memory and open files are read from /proc
//! at the start, every minute and at the end; with `--db-file` the SQLite file's size too.
//!
//! `cargo run --release -p parindex-web --example soak -- --addr 127.0.0.1:8080 --pid PID`

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const PLAN: &str = "bac-giang-2021";
/// The demo's open department round (Sở Tư pháp self-scores; the others are appraised).
const DEMO_ROUND: &str = "mau-so-nganh-2021";
/// A published round, for the ranking page.
const RANKING_ROUND: &str = "mau-huyen-2020";
const APPRAISED: &[&str] = &[
    "van-phong-ubnd-tinh",
    "so-noi-vu",
    "so-tai-chinh",
    "so-tttt",
    "so-khcn",
    "so-khdt",
    "so-tnmt",
    "so-vhttdl",
];

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Opts {
    addr: SocketAddr,
    secs: u64,
    /// Seconds of reads only after the `secs` of the mix (no writes: whether the memory the
    /// writes left levels off once the data stops growing).
    read_secs: u64,
    /// The share of the mix's writes made, in percent (100: every write the roles' weights
    /// give; less: each write drawn is replaced by one of the role's reads with the rest of the
    /// chance, for a pace of writes nearer a province's own).
    write_pct: u64,
    /// The SQLite file, whose size each sample prints.
    db_file: Option<String>,
    conns: usize,
    pid: Option<u32>,
    phase: String,
    round: String,
    unit_prefix: String,
    user_prefix: String,
    unit_password: String,
    rush_units: usize,
    rush_files: usize,
    rush_kb: usize,
    shas_out: Option<String>,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut m: HashMap<String, String> = HashMap::new();
    let mut i = 0;
    while i < args.len() {
        let k = args[i].trim_start_matches("--").to_string();
        let v = args.get(i + 1).cloned().unwrap_or_default();
        m.insert(k, v);
        i += 2;
    }
    let get = |k: &str, d: &str| m.get(k).cloned().unwrap_or_else(|| d.to_string());
    let num = |k: &str, d: usize| get(k, &d.to_string()).parse::<usize>().expect(k);
    Opts {
        addr: get("addr", "127.0.0.1:8080").parse().expect("--addr"),
        secs: num("secs", 600) as u64,
        read_secs: num("read-secs", 0) as u64,
        write_pct: num("write-pct", 100).min(100) as u64,
        db_file: m.get("db-file").cloned(),
        conns: num("conns", 64),
        pid: m.get("pid").and_then(|p| p.parse().ok()),
        phase: get("phase", "all"),
        round: get("round", "soak-2021"),
        unit_prefix: get("unit-prefix", "soak-don-vi-"),
        user_prefix: get("user-prefix", "soak-user-"),
        unit_password: std::env::var("SOAK_PASSWORD")
            .unwrap_or_else(|_| "soak-mat-khau-2021".into()),
        rush_units: num("rush-units", 37),
        rush_files: num("rush-files", 20),
        rush_kb: num("rush-kb", 256),
        shas_out: m.get("shas-out").cloned(),
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 over a kept-alive connection
// ---------------------------------------------------------------------------------------------

struct Resp {
    status: u16,
    location: Option<String>,
    cookies: Vec<String>,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// 2xx, or 3xx elsewhere than the sign-in page.
    fn ok(&self) -> bool {
        match self.status {
            200..=299 => true,
            300..=399 => !self
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login")),
            _ => false,
        }
    }
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .and_then(|v| v.split(';').next())
                .map(str::to_string)
        })
    }
}

async fn read_line(r: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let n = r.read_until(b'\n', &mut buf).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(String::from_utf8_lossy(&buf)
        .trim_end_matches(['\r', '\n'])
        .to_string())
}

/// One response; and whether the server closes the connection after it.
async fn read_resp(r: &mut BufReader<TcpStream>) -> std::io::Result<(Resp, bool)> {
    let status_line = read_line(r).await?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("status line {status_line:?}")))?;
    let (mut len, mut chunked, mut close) = (None, false, false);
    let (mut location, mut cookies) = (None, Vec::new());
    loop {
        let line = read_line(r).await?;
        if line.is_empty() {
            break;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
        match k.as_str() {
            "content-length" => len = v.parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
            "connection" => close = v.eq_ignore_ascii_case("close"),
            "location" => location = Some(v),
            "set-cookie" => cookies.push(v),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let size = read_line(r).await?;
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|e| std::io::Error::other(format!("chunk size: {e}")))?;
            if size == 0 {
                while !read_line(r).await?.is_empty() {}
                break;
            }
            let at = body.len();
            body.resize(at + size, 0);
            r.read_exact(&mut body[at..]).await?;
            read_line(r).await?;
        }
    } else if let Some(n) = len {
        body.resize(n, 0);
        r.read_exact(&mut body).await?;
    } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
        r.read_to_end(&mut body).await?;
        close = true;
    }
    Ok((
        Resp {
            status,
            location,
            cookies,
            body,
        },
        close,
    ))
}

/// A signed-in (or not yet) browser: its cookies, its CSRF token, one kept-alive connection.
struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    cookie: String,
    csrf: String,
    user: String,
}

impl Client {
    fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            conn: None,
            cookie: String::new(),
            csrf: String::new(),
            user: String::new(),
        }
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<Resp> {
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: parindex-soak\r\n");
        if !self.cookie.is_empty() {
            head.push_str(&format!("Cookie: {}\r\n", self.cookie));
        }
        if let Some(ct) = content_type {
            head.push_str(&format!(
                "Content-Type: {ct}\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        for attempt in 0..2 {
            let fresh = self.conn.is_none();
            if fresh {
                let s = TcpStream::connect(self.addr).await?;
                s.set_nodelay(true)?;
                self.conn = Some(BufReader::new(s));
            }
            let Some(conn) = self.conn.as_mut() else {
                continue;
            };
            let sent = async {
                let w = conn.get_mut();
                w.write_all(head.as_bytes()).await?;
                w.write_all(body).await?;
                w.flush().await?;
                read_resp(conn).await
            }
            .await;
            match sent {
                Ok((r, close)) => {
                    if close {
                        self.conn = None;
                    }
                    return Ok(r);
                }
                // A kept-alive connection the server had closed meanwhile: once more, anew.
                Err(_) if !fresh && attempt == 0 => self.conn = None,
                Err(e) => {
                    self.conn = None;
                    return Err(e);
                }
            }
        }
        Err(std::io::Error::other("no connection"))
    }

    async fn get(&mut self, path: &str) -> std::io::Result<Resp> {
        self.request("GET", path, None, &[]).await
    }

    async fn post_form(&mut self, path: &str, pairs: &[(&str, String)]) -> std::io::Result<Resp> {
        let mut all: Vec<(&str, String)> = pairs.to_vec();
        all.push(("_csrf", self.csrf.clone()));
        let body = serde_urlencoded::to_string(&all).unwrap_or_default();
        self.request(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            body.as_bytes(),
        )
        .await
    }

    /// A multipart form; the token in the query, as the pages' upload forms send it.
    async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, String)],
        file: Option<(&str, &str, &[u8])>,
    ) -> std::io::Result<Resp> {
        let (ct, body) = multipart(fields, file);
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{path}{sep}_csrf={}", self.csrf);
        self.request("POST", &url, Some(&ct), &body).await
    }

    /// Sign in as a person does: the form's page (CSRF cookie), the form, then a page for the
    /// session's token.
    async fn sign_in(&mut self, user: &str, password: &str) -> Result<(), String> {
        self.user = user.to_string();
        self.cookie.clear();
        let page = self.get("/login").await.map_err(|e| e.to_string())?;
        let pre = page
            .cookie("parindex_csrf")
            .ok_or("no CSRF cookie on /login")?;
        self.cookie = format!("parindex_csrf={pre}");
        self.csrf = pre.clone();
        let r = self
            .post_form(
                "/login",
                &[
                    ("username", user.to_string()),
                    ("password", password.to_string()),
                    ("next", "/".to_string()),
                ],
            )
            .await
            .map_err(|e| e.to_string())?;
        let session = r
            .cookie("parindex_session")
            .ok_or_else(|| format!("{user}: sign-in answered {}", r.status))?;
        self.cookie = format!("parindex_session={session}");
        let home = self.get("/account").await.map_err(|e| e.to_string())?;
        self.csrf = attr_after(&home.text(), "name=\"_csrf\" value=\"")
            .ok_or_else(|| format!("{user}: no CSRF token on /account ({})", home.status))?;
        Ok(())
    }
}

fn multipart(fields: &[(&str, String)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----parindex-soak-7f3a9c";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((field, name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The text up to the next `"` after `marker`.
fn attr_after(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)? + marker.len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

/// Every distinct value of `prefix…"` in the page, in order of appearance.
fn all_after(html: &str, prefix: &str, stop: &[char]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(prefix) {
        rest = &rest[at + prefix.len()..];
        let end = rest.find(stop).unwrap_or(rest.len());
        let v = rest[..end].to_string();
        if !v.is_empty() && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The evidence ids an item page links to.
fn evidence_ids(html: &str) -> Vec<i64> {
    all_after(html, "href=\"/evidence/", &['"', '?', '#'])
        .into_iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Kind {
    micros: Vec<u32>,
    errors: u64,
}

#[derive(Default)]
struct Stats {
    kinds: BTreeMap<&'static str, Kind>,
    /// (kind, method path, status or I/O error) → count.
    errors: BTreeMap<String, u64>,
}

struct Shared {
    stats: Mutex<Stats>,
    requests: AtomicU64,
    errors: AtomicU64,
    stop: AtomicBool,
    /// The SHA-256 of every file uploaded in this run.
    uploaded: Mutex<HashSet<String>>,
    counter: AtomicU64,
}

impl Shared {
    fn new() -> Arc<Shared> {
        Arc::new(Shared {
            stats: Mutex::new(Stats::default()),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            uploaded: Mutex::new(HashSet::new()),
            counter: AtomicU64::new(0),
        })
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn record(
        &self,
        kind: &'static str,
        what: &str,
        took: Duration,
        outcome: Result<&Resp, String>,
    ) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let failure = match outcome {
            Ok(r) if r.ok() => None,
            Ok(r) => Some(match &r.location {
                Some(l) => format!("{} → {l}", r.status),
                None => r.status.to_string(),
            }),
            Err(e) => Some(e),
        };
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        let k = s.kinds.entry(kind).or_default();
        k.micros
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        if let Some(f) = failure {
            k.errors += 1;
            self.errors.fetch_add(1, Ordering::Relaxed);
            *s.errors.entry(format!("{kind}: {what}: {f}")).or_default() += 1;
        }
    }
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn print_stats(title: &str, shared: &Shared, secs: f64) {
    let mut s = shared.stats.lock().unwrap_or_else(|e| e.into_inner());
    let total: usize = s.kinds.values().map(|k| k.micros.len()).sum();
    let errors: u64 = s.kinds.values().map(|k| k.errors).sum();
    println!(
        "\n{title}: {total} requests in {secs:.0} s ({:.1}/s), {errors} errors",
        total as f64 / secs.max(0.001)
    );
    println!(
        "| page kind | requests | errors | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|"
    );
    for (name, k) in s.kinds.iter_mut() {
        k.micros.sort_unstable();
        println!(
            "| {name} | {} | {} | {:.1} | {:.1} | {:.1} |",
            k.micros.len(),
            k.errors,
            pct(&k.micros, 0.5),
            pct(&k.micros, 0.99),
            k.micros.last().map_or(0.0, |m| f64::from(*m) / 1000.0)
        );
    }
    if !s.errors.is_empty() {
        println!("errors by page:");
        for (e, n) in &s.errors {
            println!("  {n:>6} × {e}");
        }
    }
}

/// (VmRSS in kB, open files) of the server; load average.
fn proc_sample(pid: Option<u32>) -> Option<(u64, usize)> {
    let pid = pid?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((rss, fds))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn sample_line(label: &str, pid: Option<u32>, shared: &Shared) -> String {
    let p = proc_sample(pid)
        .map(|(rss, fds)| format!("server RSS {:.1} MB, open files {fds}", rss as f64 / 1024.0))
        .unwrap_or_else(|| "server: no /proc sample (--pid)".into());
    let db = DB_FILE
        .get()
        .and_then(|f| std::fs::metadata(f).ok())
        .map(|m| format!("; database {:.1} MB", m.len() as f64 / 1e6))
        .unwrap_or_default();
    format!(
        "[{label}] {p}{db}; requests {}, errors {}; load average {}",
        shared.requests.load(Ordering::Relaxed),
        shared.errors.load(Ordering::Relaxed),
        loadavg()
    )
}

/// The SQLite file of `--db-file`, for the samples.
static DB_FILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

// ---------------------------------------------------------------------------------------------
// Deterministic contents
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A PDF-looking file of about `size` bytes, unique to `tag`.
fn pdf(tag: &str, size: usize, seed: u64) -> Vec<u8> {
    let mut out = format!("%PDF-1.4\n% ParIndex soak file {tag}\n").into_bytes();
    let mut r = Rng::new(seed ^ 0x51_7cc1_b727_220a);
    while out.len() + 8 < size {
        out.extend_from_slice(&r.next().to_le_bytes());
    }
    out.extend_from_slice(b"\n%%EOF\n");
    out
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------------
// What the virtual users know
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Known {
    /// Leaf codes of the department criteria set (the soak round and the demo's round).
    codes: Vec<String>,
    /// Codes the appraisal form offers.
    appraisal_codes: Vec<String>,
    /// Per unit user: (task id, period) pairs the server accepts a report for.
    reports: HashMap<String, Vec<(String, String)>>,
    tasks: HashMap<String, Vec<String>>,
}

#[derive(Clone, Copy, Debug)]
enum Role {
    Coordinator,
    Leader,
    LeadAgency,
    Agency,
    Unit,
    Appraiser,
}

/// Which role the i-th virtual user plays: per 16, 3 coordinators, 2 leaders, 2 lead-agency
/// users, 2 agency users, 5 unit users of the soak round, 2 appraisers.
fn role_of(i: usize) -> Role {
    match i % 16 {
        0..=2 => Role::Coordinator,
        3 | 4 => Role::Leader,
        5 | 6 => Role::LeadAgency,
        7 | 8 => Role::Agency,
        9..=13 => Role::Unit,
        _ => Role::Appraiser,
    }
}

fn account(o: &Opts, role: Role, i: usize) -> (String, String, Option<(String, String)>) {
    let demo = |u: &str, p: &str| (u.to_string(), p.to_string());
    match role {
        Role::Coordinator => {
            let (u, p) = demo("sonoivu", "bacgiang-coordinator");
            (u, p, None)
        }
        Role::Leader => {
            let (u, p) = demo("lanhdao", "bacgiang-leader");
            (u, p, None)
        }
        Role::LeadAgency => {
            let (u, p) = demo("sotaichinh", "bacgiang-lead-agency");
            (u, p, None)
        }
        Role::Agency => {
            let (u, p) = demo("sotuphap", "bacgiang-agency");
            (u, p, Some((DEMO_ROUND.into(), "so-tu-phap".into())))
        }
        Role::Appraiser => {
            let (u, p) = demo("thamdinh", "bacgiang-appraiser");
            (u, p, None)
        }
        Role::Unit => {
            let n = (i / 16 * 5 + i % 16 - 9) % o.rush_units.max(1) + 1;
            (
                format!("{}{n:02}", o.user_prefix),
                o.unit_password.clone(),
                Some((o.round.clone(), format!("{}{n:02}", o.unit_prefix))),
            )
        }
    }
}

/// Record one answer (or the I/O failure) under its page kind.
fn note(
    shared: &Shared,
    kind: &'static str,
    what: String,
    took: Duration,
    r: std::io::Result<Resp>,
) -> Option<Resp> {
    match r {
        Ok(resp) => {
            shared.record(kind, &what, took, Ok(&resp));
            Some(resp)
        }
        Err(e) => {
            shared.record(kind, &what, took, Err(format!("I/O: {e}")));
            None
        }
    }
}

/// One step of a virtual user (`reads_only`: none of the actions that write).
#[allow(clippy::too_many_arguments)]
async fn step(
    shared: &Shared,
    c: &mut Client,
    role: Role,
    own: &Option<(String, String)>,
    known: &Known,
    rng: &mut Rng,
    my_evidence: &mut Vec<i64>,
    reads_only: bool,
    write_pct: u64,
) {
    macro_rules! get {
        ($kind:expr, $path:expr) => {{
            let p: String = $path;
            let t = Instant::now();
            let r = c.get(&p).await;
            note(shared, $kind, format!("GET {p}"), t.elapsed(), r)
        }};
    }
    macro_rules! post {
        ($kind:expr, $path:expr, $req:expr) => {{
            let t = Instant::now();
            let r = $req.await;
            note(shared, $kind, format!("POST {}", $path), t.elapsed(), r)
        }};
    }
    let pick = |rng: &mut Rng, v: &[String]| -> Option<String> {
        (!v.is_empty()).then(|| v[rng.below(v.len())].clone())
    };
    let w: &[(u32, u8)] = match role {
        // (weight, action)
        Role::Coordinator => &[
            (3, 0), // dashboard
            (2, 1), // plan tree
            (2, 2), // results
            (2, 3), // gap
            (1, 4), // indicators
            (1, 5), // audit
            (1, 6), // ranking
            (1, 7), // dossiers
            (1, 8), // round
            (1, 9), // compliance
        ],
        Role::Leader => &[(3, 0), (2, 2), (1, 6), (1, 9), (1, 10), (1, 3), (1, 4)],
        Role::LeadAgency => &[(2, 11), (2, 12), (1, 13), (1, 0), (1, 4)],
        Role::Agency => &[
            (2, 11),
            (1, 12),
            (1, 13),
            (2, 14),
            (1, 15),
            (1, 16),
            (1, 17),
            (1, 18),
        ],
        Role::Unit => &[(3, 14), (2, 15), (2, 16), (1, 17), (1, 18)],
        Role::Appraiser => &[(3, 19), (1, 20), (1, 8), (1, 6)],
    };
    // The actions that write: a monthly report, a self-assessment save, an evidence upload, an
    // appraisal save.
    const WRITES: [u8; 4] = [13, 16, 17, 20];
    let reads_only = reads_only || rng.next() % 100 >= write_pct;
    let w: Vec<(u32, u8)> = w
        .iter()
        .copied()
        .filter(|(_, a)| !reads_only || !WRITES.contains(a))
        .collect();
    let total: u32 = w.iter().map(|(x, _)| x).sum();
    let mut roll = (rng.next() % u64::from(total)) as u32;
    let mut action = w[0].1;
    for (x, a) in &w {
        if roll < *x {
            action = *a;
            break;
        }
        roll -= x;
    }
    let n = shared.next();
    match action {
        0 => {
            get!("dashboard", "/".into());
        }
        1 => {
            get!("plan tree", format!("/plans/{PLAN}"));
        }
        2 => {
            get!("results", "/results?edition=par-2020-province".into());
        }
        3 => {
            get!("gap", "/gap".into());
        }
        4 => {
            get!("indicators", "/indicators".into());
        }
        5 => {
            get!("audit", "/audit".into());
        }
        6 => {
            get!("ranking", format!("/rankings/{RANKING_ROUND}"));
        }
        7 => {
            get!("dossiers", "/dossiers".into());
        }
        8 => {
            get!("assessment round", format!("/assessments/{DEMO_ROUND}"));
        }
        9 => {
            get!("plan compliance", format!("/plans/{PLAN}/compliance"));
        }
        10 => {
            get!("accountability", format!("/plans/{PLAN}/accountability"));
        }
        11 => {
            get!("my tasks", format!("/plans/{PLAN}/my"));
        }
        12 => {
            let tasks = known.tasks.get(&c.user).cloned().unwrap_or_default();
            if let Some(t) = pick(rng, &tasks) {
                get!("task", format!("/plans/{PLAN}/tasks/{t}"));
            }
        }
        13 => {
            let reports = known.reports.get(&c.user).cloned().unwrap_or_default();
            if reports.is_empty() {
                return;
            }
            let (task, period) = reports[rng.below(reports.len())].clone();
            let path = format!("/plans/{PLAN}/tasks/{task}/reports");
            let fields = [
                ("period", period),
                (
                    "done",
                    format!("Đã triển khai các nội dung của nhiệm vụ (báo cáo thử tải {n})."),
                ),
                ("problems", "Không có vướng mắc.".to_string()),
                ("proposals", String::new()),
                ("progress_pct", format!("{}", 40 + n % 50)),
            ];
            post!(
                "POST monthly report",
                path,
                c.post_multipart(&path, &fields, None)
            );
        }
        14 => {
            if let Some((round, unit)) = own {
                get!(
                    "unit assessment",
                    format!("/assessments/{round}/units/{unit}")
                );
            }
        }
        15 => {
            if let (Some((round, unit)), Some(code)) = (own, pick(rng, &known.codes)) {
                if let Some(r) = get!(
                    "evidence item",
                    format!("/assessments/{round}/units/{unit}/items/{code}")
                ) {
                    for id in evidence_ids(&r.text()) {
                        if !my_evidence.contains(&id) {
                            my_evidence.push(id);
                        }
                    }
                }
            }
        }
        16 => {
            if let (Some((round, unit)), Some(code)) = (own, pick(rng, &known.codes)) {
                let path = format!("/assessments/{round}/units/{unit}");
                let fields = [(
                    format!("no.{code}"),
                    format!("Ghi chú cập nhật (thử tải {n})."),
                )];
                let pairs: Vec<(&str, String)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect();
                post!("POST self-assessment", path, c.post_form(&path, &pairs));
            }
        }
        17 => {
            if let (Some((round, unit)), Some(code)) = (own, pick(rng, &known.codes)) {
                let size = 16 * 1024 + rng.below(48 * 1024);
                let bytes = pdf(&format!("{unit}/{code}/{n}"), size, n);
                shared
                    .uploaded
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(sha(&bytes));
                let path = format!("/assessments/{round}/units/{unit}/items/{code}/evidence");
                let name = format!("bien-ban-{n}.pdf");
                post!(
                    "POST evidence upload",
                    path,
                    c.post_multipart(
                        &path,
                        &[("title", format!("Biên bản kiểm tra (thử tải {n})"))],
                        Some(("file", &name, &bytes)),
                    )
                );
            }
        }
        18 => {
            if my_evidence.is_empty() {
                return;
            }
            let id = my_evidence[rng.below(my_evidence.len())];
            let path = format!("/evidence/{id}");
            let t = Instant::now();
            let r = c.get(&path).await;
            let took = t.elapsed();
            match r {
                Ok(resp) => {
                    let known_content = resp.status != 200
                        || shared
                            .uploaded
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .contains(&sha(&resp.body));
                    if known_content {
                        shared.record("evidence download", &format!("GET {path}"), took, Ok(&resp));
                    } else {
                        shared.record(
                            "evidence download",
                            &format!("GET {path}"),
                            took,
                            Err("content not uploaded by this run".into()),
                        );
                    }
                }
                Err(e) => shared.record(
                    "evidence download",
                    &format!("GET {path}"),
                    took,
                    Err(format!("I/O: {e}")),
                ),
            }
        }
        19 => {
            let unit = APPRAISED[rng.below(APPRAISED.len())];
            get!(
                "appraisal form",
                format!("/assessments/{DEMO_ROUND}/units/{unit}/appraise")
            );
        }
        20 => {
            let unit = APPRAISED[rng.below(APPRAISED.len())];
            if let Some(code) = pick(rng, &known.appraisal_codes) {
                let path = format!("/assessments/{DEMO_ROUND}/units/{unit}/appraise");
                let k = format!("c1.{code}");
                post!(
                    "POST appraisal",
                    path,
                    c.post_form(
                        &path,
                        &[(k.as_str(), format!("Đã đối chiếu tài liệu (thử tải {n})."))],
                    )
                );
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Setup: the soak round, and what each user can write to
// ---------------------------------------------------------------------------------------------

async fn must_sign_in(o: &Opts, user: &str, password: &str) -> Client {
    let mut c = Client::new(o.addr);
    if let Err(e) = c.sign_in(user, password).await {
        panic!("cannot sign in: {e}");
    }
    c
}

async fn setup(o: &Opts) -> Known {
    let mut coord = must_sign_in(o, "sonoivu", "bacgiang-coordinator").await;
    let r = coord
        .get(&format!("/assessments/{}", o.round))
        .await
        .expect("round page");
    if r.status == 404 {
        let mut pairs: Vec<(&str, String)> = vec![
            ("id", o.round.clone()),
            (
                "name",
                "Thử tải: tự đánh giá các đơn vị tổng hợp năm 2021 (dữ liệu tổng hợp)".into(),
            ),
            ("edition", "sample-department-2021".into()),
            (
                "classes",
                "Tốt|Good: 90; Khá|Fair: 80; Trung bình|Average: 70; Yếu|Weak: 0".into(),
            ),
            ("note", "Dữ liệu tổng hợp của bench/soak.sh.".into()),
            ("d_self_scoring", "2021-12-30".into()),
            ("d_explanation", "2022-01-07".into()),
            ("d_appraisal1", "2022-01-21".into()),
            ("d_appraisal2", "2022-02-11".into()),
            ("d_publication", "2022-02-28".into()),
        ];
        for n in 1..=o.rush_units {
            pairs.push(("unit", format!("{}{n:02}", o.unit_prefix)));
        }
        let r = coord
            .post_form("/assessments", &pairs)
            .await
            .expect("create");
        assert!(
            r.status == 303,
            "creating the round {}: {} {}",
            o.round,
            r.status,
            &r.text().chars().take(2000).collect::<String>()
        );
        println!("round {} created with {} units", o.round, o.rush_units);
    }
    let unit1 = format!("{}01", o.unit_prefix);
    let page = coord
        .get(&format!("/assessments/{}/units/{unit1}", o.round))
        .await
        .expect("unit page");
    assert_eq!(page.status, 200, "the soak round's unit page");
    let codes = all_after(
        &page.text(),
        &format!("/assessments/{}/units/{unit1}/items/", o.round),
        &['"', '?', '#'],
    );
    assert!(!codes.is_empty(), "no items on the unit page");

    let mut appr = must_sign_in(o, "thamdinh", "bacgiang-appraiser").await;
    let page = appr
        .get(&format!(
            "/assessments/{DEMO_ROUND}/units/so-noi-vu/appraise"
        ))
        .await
        .expect("appraisal page");
    assert_eq!(page.status, 200, "the appraisal page");
    let appraisal_codes = all_after(&page.text(), "name=\"c1.", &['"']);
    assert!(!appraisal_codes.is_empty(), "no appraisal fields");

    let mut reports = HashMap::new();
    let mut tasks = HashMap::new();
    for (user, password) in [
        ("sotuphap", "bacgiang-agency"),
        ("sotaichinh", "bacgiang-lead-agency"),
    ] {
        let mut c = must_sign_in(o, user, password).await;
        let my = c.get(&format!("/plans/{PLAN}/my")).await.expect("my tasks");
        let list = all_after(
            &my.text(),
            &format!("/plans/{PLAN}/tasks/"),
            &['"', '?', '#', '/'],
        );
        let mut ok = Vec::new();
        // Periods the server takes a report for: tried once each, the first few tasks.
        for t in list.iter().take(4) {
            let page = c
                .get(&format!("/plans/{PLAN}/tasks/{t}"))
                .await
                .expect("task");
            let html = page.text();
            let Some(at) = html.find("name=\"period\"") else {
                continue;
            };
            let end = html[at..].find("</select>").map_or(html.len(), |e| at + e);
            let periods = all_after(&html[at..end], "<option value=\"", &['"']);
            for p in periods.iter().rev().take(3) {
                let r = c
                    .post_multipart(
                        &format!("/plans/{PLAN}/tasks/{t}/reports"),
                        &[
                            ("period", p.clone()),
                            ("done", "Báo cáo đầu kỳ thử tải.".into()),
                            ("progress_pct", "30".into()),
                        ],
                        None,
                    )
                    .await
                    .expect("report");
                if r.status == 303 {
                    ok.push((t.clone(), p.clone()));
                } else {
                    println!("setup: {user} cannot report on {t} for {p} ({})", r.status);
                }
            }
        }
        println!(
            "setup: {user}: {} tasks, {} (task, period) pairs accept reports",
            list.len(),
            ok.len()
        );
        tasks.insert(user.to_string(), list);
        reports.insert(user.to_string(), ok);
    }
    println!(
        "setup: {} criteria per unit, {} appraisal fields",
        codes.len(),
        appraisal_codes.len()
    );
    Known {
        codes,
        appraisal_codes,
        reports,
        tasks,
    }
}

// ---------------------------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------------------------

async fn soak(o: &Opts, known: &Known) -> bool {
    let shared = Shared::new();
    println!(
        "soak: {} connections for {} s against {} ({} % of the mix's writes), then {} s of reads only",
        o.conns, o.secs, o.addr, o.write_pct, o.read_secs
    );
    let mut clients = Vec::new();
    let t = Instant::now();
    for i in 0..o.conns {
        let role = role_of(i);
        let (user, password, own) = account(o, role, i);
        let mut c = Client::new(o.addr);
        if let Err(e) = c.sign_in(&user, &password).await {
            panic!("virtual user {i} ({role:?}): {e}");
        }
        clients.push((c, role, own, i));
    }
    println!(
        "{} virtual users signed in (one after another) in {:.1} s",
        clients.len(),
        t.elapsed().as_secs_f64()
    );
    let start_sample = sample_line("start", o.pid, &shared);
    println!("{start_sample}");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(o.secs);
    let end = deadline + Duration::from_secs(o.read_secs);
    if o.read_secs > 0 {
        let shared = shared.clone();
        let pid = o.pid;
        tokio::spawn(async move {
            tokio::time::sleep_until(deadline.into()).await;
            println!("{}", sample_line("reads only from here", pid, &shared));
        });
    }
    let sampler = {
        let shared = shared.clone();
        let pid = o.pid;
        tokio::spawn(async move {
            let mut minute = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                if shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                minute += 1;
                println!("{}", sample_line(&format!("{minute} min"), pid, &shared));
            }
        })
    };
    let mut handles = Vec::new();
    for (mut c, role, own, i) in clients {
        let shared = shared.clone();
        let known = known.clone();
        let pct = o.write_pct;
        handles.push(tokio::spawn(async move {
            let mut rng = Rng::new(i as u64 + 1);
            let mut mine = Vec::new();
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let reads_only = now >= deadline;
                step(
                    &shared, &mut c, role, &own, &known, &mut rng, &mut mine, reads_only, pct,
                )
                .await;
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    shared.stop.store(true, Ordering::Relaxed);
    sampler.abort();
    let secs = started.elapsed().as_secs_f64();
    println!("{}", sample_line("end", o.pid, &shared));
    print_stats("soak", &shared, secs);
    shared.errors.load(Ordering::Relaxed) == 0
}

// ---------------------------------------------------------------------------------------------
// The 30/12 evidence rush
// ---------------------------------------------------------------------------------------------

async fn rush(o: &Opts, known: &Known) -> bool {
    let shared = Shared::new();
    let units = o.rush_units;
    let files = o.rush_files;
    println!(
        "\nrush: {units} units × {files} evidence files of {} KB, all at once",
        o.rush_kb
    );
    let mut clients = Vec::new();
    for n in 1..=units {
        let user = format!("{}{n:02}", o.user_prefix);
        clients.push(must_sign_in(o, &user, &o.unit_password).await);
    }
    let started_tag = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // Every file made first (distinct contents), then released together.
    let mut jobs = Vec::new();
    for u in 1..=units {
        for f in 0..files {
            let unit = format!("{}{u:02}", o.unit_prefix);
            let code = known.codes[(u + f) % known.codes.len()].clone();
            let tag = format!("rush {started_tag} {unit} {f}");
            let bytes = pdf(&tag, o.rush_kb * 1024, started_tag ^ (u * 1000 + f) as u64);
            jobs.push((u, unit, code, f, bytes));
        }
    }
    let expected: Vec<(usize, String, String, String)> = jobs
        .iter()
        .map(|(u, unit, code, _, b)| (*u, unit.clone(), code.clone(), sha(b)))
        .collect();
    if let Some(path) = &o.shas_out {
        let text: String = expected.iter().map(|e| format!("{}\n", e.3)).collect();
        std::fs::write(path, text).expect("writing the SHA-256 list");
    }
    let start_sample = sample_line("rush start", o.pid, &shared);
    println!("{start_sample}");
    let gate = Arc::new(tokio::sync::Barrier::new(jobs.len() + 1));
    let mut handles = Vec::new();
    for (u, unit, code, f, bytes) in jobs {
        let cookie = clients[u - 1].cookie.clone();
        let csrf = clients[u - 1].csrf.clone();
        let gate = gate.clone();
        let shared = shared.clone();
        let round = o.round.clone();
        let addr = o.addr;
        handles.push(tokio::spawn(async move {
            let mut c = Client::new(addr);
            c.cookie = cookie;
            c.csrf = csrf;
            // Connected before the gate opens, so that the uploads do start together.
            let connected = TcpStream::connect(addr).await.map(|s| {
                let _ = s.set_nodelay(true);
                BufReader::new(s)
            });
            gate.wait().await;
            let path = format!("/assessments/{round}/units/{unit}/items/{code}/evidence");
            let name = format!("tai-lieu-{f:02}.pdf");
            let t = Instant::now();
            let r = match connected {
                Ok(conn) => {
                    c.conn = Some(conn);
                    c.post_multipart(
                        &path,
                        &[("title", format!("Tài liệu kiểm chứng {f:02} (đợt 30/12)"))],
                        Some(("file", &name, &bytes)),
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            let took = t.elapsed();
            match &r {
                Ok(resp) => shared.record("rush upload", &format!("POST {path}"), took, Ok(resp)),
                Err(e) => shared.record(
                    "rush upload",
                    &format!("POST {path}"),
                    took,
                    Err(format!("I/O: {e}")),
                ),
            }
            took
        }));
    }
    gate.wait().await;
    let t = Instant::now();
    for h in handles {
        let _ = h.await;
    }
    let wall = t.elapsed().as_secs_f64();
    println!("{}", sample_line("rush end", o.pid, &shared));
    print_stats("rush uploads", &shared, wall);
    println!("rush: {} uploads in {wall:.2} s (wall)", expected.len());

    // Read back: every file listed exactly once on its item, its content's SHA-256 unchanged.
    let t = Instant::now();
    let mut problems = Vec::new();
    let mut verified = 0usize;
    for (u, c) in clients.iter_mut().enumerate() {
        let u = u + 1;
        let unit = format!("{}{u:02}", o.unit_prefix);
        let mine: Vec<&(usize, String, String, String)> =
            expected.iter().filter(|e| e.0 == u).collect();
        let codes: HashSet<&String> = mine.iter().map(|e| &e.2).collect();
        let mut found: HashMap<String, usize> = HashMap::new();
        let mut seen_ids = HashSet::new();
        for code in codes {
            let path = format!("/assessments/{}/units/{unit}/items/{code}", o.round);
            let page = match c.get(&path).await {
                Ok(p) if p.status == 200 => p,
                Ok(p) => {
                    problems.push(format!("{path}: {}", p.status));
                    continue;
                }
                Err(e) => {
                    problems.push(format!("{path}: {e}"));
                    continue;
                }
            };
            for id in evidence_ids(&page.text()) {
                if !seen_ids.insert(id) {
                    continue;
                }
                match c.get(&format!("/evidence/{id}")).await {
                    Ok(r) if r.status == 200 => {
                        *found.entry(sha(&r.body)).or_default() += 1;
                    }
                    Ok(r) => problems.push(format!("/evidence/{id}: {}", r.status)),
                    Err(e) => problems.push(format!("/evidence/{id}: {e}")),
                }
            }
        }
        for e in mine {
            match found.get(&e.3).copied().unwrap_or(0) {
                1 => verified += 1,
                0 => problems.push(format!("{unit}/{}: file {} missing", e.2, e.3)),
                k => problems.push(format!("{unit}/{}: file {} listed {k} times", e.2, e.3)),
            }
        }
    }
    println!(
        "rush read-back: {verified} of {} files found once with their SHA-256 ({:.1} s); {} problems",
        expected.len(),
        t.elapsed().as_secs_f64(),
        problems.len()
    );
    for p in problems.iter().take(50) {
        println!("  {p}");
    }
    problems.is_empty() && shared.errors.load(Ordering::Relaxed) == 0
}

#[tokio::main]
async fn main() {
    let o = opts();
    if let Some(f) = &o.db_file {
        let _ = DB_FILE.set(f.clone());
    }
    println!(
        "parindex soak: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    let known = setup(&o).await;
    let mut ok = true;
    if o.phase == "soak" || o.phase == "all" {
        ok &= soak(&o, &known).await;
    }
    if o.phase == "rush" || o.phase == "all" {
        ok &= rush(&o, &known).await;
    }
    println!(
        "\n{}",
        if ok {
            "RESULT: no errors"
        } else {
            "RESULT: ERRORS (see above)"
        }
    );
    if !ok {
        std::process::exit(1);
    }
}

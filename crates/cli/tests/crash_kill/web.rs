//! `parindex serve` as the child: started on a port of its choosing (it prints the address it
//! listens on), spoken to over a real socket by a small HTTP/1.1 client (sign-in with the
//! pre-session CSRF cookie, then the session's token in `x-csrf-token`), killed with SIGKILL
//! while a request is under way, and started again on the same database.

use super::db::Db;
use super::harness::{
    check_state, inspect, kills, parindex, Dice, Iter, Probe, ScenarioDb, Tally, Timing,
};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `parindex serve`.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

const SERVING: &str = "ParIndex is serving on http://";

impl Server {
    pub fn start(sdb: &ScenarioDb, as_of: &str) -> Server {
        let mut child = parindex(sdb)
            .args(["--as-of", as_of, "serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("parindex serve starts");
        let stderr = child.stderr.take().expect("the server's standard error");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix(SERVING) {
                    if let Some(addr) = rest.split('/').next().and_then(|a| a.parse().ok()) {
                        let _: Result<(), _> = tx.send(addr);
                    }
                }
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        let addr: SocketAddr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "parindex serve did not say where it listens: {}",
                    log.lock().map(|l| l.clone()).unwrap_or_default()
                );
            }
        };
        let server = Server { child, addr, log };
        let start = Instant::now();
        loop {
            if send(addr, "GET", "/health", &[], b"").is_ok_and(|r| r.status == 200) {
                return server;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "parindex serve does not answer /health: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    /// SIGKILL (the tests never stop the server gently).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 over a socket
// ---------------------------------------------------------------------------------------------

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of a cookie the response sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| {
                v.split(';')
                    .next()?
                    .trim()
                    .strip_prefix(&format!("{name}="))
            })
            .map(str::to_string)
            .next()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn incomplete(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_string())
}

/// One request on a new connection (`Connection: close`), the whole answer read. An answer cut
/// short (the server killed while writing it) is an error, like no answer at all.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    s.set_read_timeout(Some(Duration::from_secs(300)))?;
    s.set_write_timeout(Some(Duration::from_secs(300)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| incomplete("no complete header"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| incomplete("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = raw[end + 4..].to_vec();
    let mut r = Resp {
        status,
        headers,
        body: Vec::new(),
    };
    r.body = if r
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(&rest)?
    } else {
        if let Some(n) = r
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
        {
            if rest.len() < n {
                return Err(incomplete("body cut short"));
            }
        }
        rest
    };
    Ok(r)
}

fn dechunk(mut b: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let nl = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| incomplete("chunk size"))?;
        let size_text = String::from_utf8_lossy(&b[..nl]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| incomplete("chunk size"))?;
        b = &b[nl + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size + 2 {
            return Err(incomplete("chunk cut short"));
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// `application/x-www-form-urlencoded`.
pub fn form(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A `multipart/form-data` body: text fields, then files `(field, file name, bytes)`.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("----parindex-crash-kill-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

/// A signed-in user: the session cookie and the session's CSRF token.
#[derive(Clone)]
pub struct Session {
    cookie: String,
    csrf: String,
}

/// Sign in as a person would: the form's pre-session token, the password, then the token of
/// the session from a page.
pub fn sign_in(addr: SocketAddr, user: &str, password: &str) -> Session {
    let page = send(addr, "GET", "/login", &[], b"").expect("the sign-in page");
    let pre = page
        .cookie("parindex_csrf")
        .expect("the sign-in form's cookie");
    let body = form(&[
        ("username", user),
        ("password", password),
        ("_csrf", &pre),
        ("next", "/"),
    ]);
    let r = send(
        addr,
        "POST",
        "/login",
        &[
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("Cookie", format!("parindex_csrf={pre}")),
        ],
        body.as_bytes(),
    )
    .expect("signing in");
    assert_eq!(r.status, 303, "signing in as {user}: {}", r.text());
    let token = r.cookie("parindex_session").expect("a session cookie");
    let cookie = format!("parindex_session={token}");
    let home = send(addr, "GET", "/", &[("Cookie", cookie.clone())], b"").expect("the home page");
    let csrf = hidden_csrf(&home.text()).expect("the session's CSRF token on the page");
    Session { cookie, csrf }
}

fn hidden_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    Some(html[at..].split('"').next()?.to_string())
}

// ---------------------------------------------------------------------------------------------
// Operations over the web, step by step
// ---------------------------------------------------------------------------------------------

/// Why a step did not succeed.
#[derive(Debug)]
pub enum StepFail {
    /// No (whole) answer: the server went away. Expected when it is killed; the error is kept
    /// for the failure message of a step that must succeed.
    NoAnswer(String),
    /// An answer other than the success expected: a failure of the test.
    Refused(String),
}

impl std::fmt::Display for StepFail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepFail::NoAnswer(e) => write!(f, "no answer: {e}"),
            StepFail::Refused(m) => write!(f, "refused: {m}"),
        }
    }
}

/// What a step has to work with: the server's address, the signed-in users, the database
/// (to look up what an earlier step made, e.g. a report's id).
pub struct Web {
    pub addr: SocketAddr,
    pub sessions: BTreeMap<&'static str, Session>,
    pub db: (super::db::Backend, String),
}

impl Web {
    fn session(&self, user: &str) -> &Session {
        self.sessions
            .get(user)
            .unwrap_or_else(|| panic!("{user} is not signed in"))
    }

    pub fn get(&self, user: &str, path: &str) -> Result<Resp, StepFail> {
        let s = self.session(user);
        send(self.addr, "GET", path, &[("Cookie", s.cookie.clone())], b"")
            .map_err(|e| StepFail::NoAnswer(e.to_string()))
    }

    pub fn post_form(
        &self,
        user: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Resp, StepFail> {
        let s = self.session(user);
        send(
            self.addr,
            "POST",
            path,
            &[
                ("Cookie", s.cookie.clone()),
                ("x-csrf-token", s.csrf.clone()),
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_string(),
                ),
            ],
            form(fields).as_bytes(),
        )
        .map_err(|e| StepFail::NoAnswer(e.to_string()))
    }

    pub fn post_multipart(
        &self,
        user: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Result<Resp, StepFail> {
        let s = self.session(user);
        let (boundary, body) = multipart(fields, files);
        send(
            self.addr,
            "POST",
            path,
            &[
                ("Cookie", s.cookie.clone()),
                ("x-csrf-token", s.csrf.clone()),
                (
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                ),
            ],
            &body,
        )
        .map_err(|e| StepFail::NoAnswer(e.to_string()))
    }

    /// A connection of the test's own to the database.
    pub fn open_db(&self) -> Db {
        Db::open(self.db.0, &self.db.1).expect("the scenario's database")
    }
}

/// The answer is the redirect a success gives (to a location containing `to`).
pub fn redirected(r: Resp, to: &str) -> Result<(), StepFail> {
    let location = r.header("location").unwrap_or("").to_string();
    if r.status == 303 && location.contains(to) {
        Ok(())
    } else {
        let text = r.text();
        Err(StepFail::Refused(format!(
            "{} (location '{location}'), expected a redirect to …{to}…: {}",
            r.status,
            text.chars()
                .skip(text.find("<main").unwrap_or(0))
                .take(4000)
                .collect::<String>()
        )))
    }
}

/// A step of an operation: one request (or a few reads and one write) that must succeed.
pub type Step = dyn Fn(&Web, Iter) -> Result<(), StepFail> + Send + Sync;

/// A web operation killed `kills()` times: the steps run from a thread of their own; the server
/// is killed with SIGKILL at a random moment of it ([`Dice::kill_moment`]); after each kill
/// the checks of [`inspect`] and [`check_state`], then the server is started again and the
/// operation is retried from the step whose answer was lost (as a person would: a step answered
/// with success is not sent again) and must succeed.
pub struct WebScenario {
    pub name: &'static str,
    pub as_of: &'static str,
    pub users: Vec<(&'static str, &'static str)>,
    pub probe: Probe,
    pub steps: Vec<Box<Step>>,
}

pub fn web_scenario(sdb: &ScenarioDb, s: WebScenario) {
    let WebScenario {
        name,
        as_of,
        users,
        probe,
        steps,
    } = s;
    let steps: Arc<Vec<Box<Step>>> = Arc::new(steps);
    let n_steps = steps.len();
    let mut dice = Dice::new(&format!("{name}/{}", sdb.backend.name()));
    let mut tally = Tally::new(name, sdb.backend, n_steps);
    let mut server = Server::start(sdb, as_of);
    let sessions: BTreeMap<&'static str, Session> = users
        .iter()
        .map(|(u, p)| (*u, sign_in(server.addr, u, p)))
        .collect();
    let web_at = |addr: SocketAddr| {
        Arc::new(Web {
            addr,
            sessions: sessions.clone(),
            db: (sdb.backend, sdb.url.clone()),
        })
    };
    let mut web = web_at(server.addr);
    let mut timing = Timing::default();
    let t = Instant::now();
    for (k, step) in steps.iter().enumerate() {
        if let Err(e) = step(&web, Iter::Warmup) {
            panic!(
                "{name}: the warm-up's step {k} failed: {e}\nserver: {}",
                server.log()
            );
        }
    }
    timing.add(t.elapsed());
    for n in 0..kills() {
        let it = Iter::Kill(n);
        let before = probe.read(sdb);
        let delay = dice.kill_moment(timing.typical());
        let ctx = tally.context(n, delay);
        let (w, st) = (web.clone(), steps.clone());
        let client = std::thread::spawn(move || {
            let mut answered = 0;
            for step in st.iter() {
                match step(&w, it) {
                    Ok(()) => answered += 1,
                    Err(e) => return (answered, Some(e)),
                }
            }
            (answered, None)
        });
        std::thread::sleep(delay);
        let log = server.log();
        drop(server);
        let (answered, failed) = client.join().expect("the client thread");
        if let Some(StepFail::Refused(m)) = failed {
            panic!("{ctx}: step {answered} was refused before the kill: {m}\nserver: {log}");
        }
        let mid = inspect(sdb, &probe, &before, &ctx);
        server = Server::start(sdb, as_of);
        web = web_at(server.addr);
        let from = answered.min(n_steps - 1);
        let t = Instant::now();
        for k in from..n_steps {
            if let Err(e) = steps[k](&web, it) {
                panic!(
                    "{ctx}: step {k} run again failed: {e}\nserver: {}",
                    server.log()
                );
            }
        }
        if from == 0 {
            timing.add(t.elapsed());
        }
        let after = probe.read(sdb);
        let done = check_state(&probe, &before, &after.fp, &mid, &ctx);
        assert!(
            done >= answered,
            "{ctx}: {answered} step(s) answered with success, but only {done} done"
        );
        tally.record(done, answered == n_steps);
    }
    drop(server);
    tally.report();
}

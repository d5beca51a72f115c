//! Faults of the machine, with the real `parindex` binary as a child process:
//!
//! - a read-only SQLite file (or folder) stops `serve` at start-up with one clear line naming
//!   the file and the cause, a non-zero exit code and no panic. Tests may run as root, whom
//!   file modes do not stop: the file's folder is bind-mounted read-only (`EROFS`) in a private
//!   mount namespace (`unshare --user --map-root-user --mount`), which works for root and for
//!   other users alike; as another user a `0444` file is tried too;
//! - a full evidence folder: the server runs with its evidence folder on a 192 KiB tmpfs in a
//!   private mount namespace; an upload larger than the room left fails with `ENOSPC` in the
//!   real `write(2)`: the user gets the 507 page saying the evidence folder is full, no record
//!   is stored and no file (nor temporary file) is left in the folder; smaller uploads before
//!   and after are stored;
//! - scheduled backups: `serve` with `PARINDEX_BACKUP_DIR`, `PARINDEX_BACKUP_EVERY=1s` and
//!   `PARINDEX_BACKUP_KEEP=2` writes archives that `parindex backup --verify` accepts and keeps
//!   two; a restart removes a partial archive a killed server left and touches no other file;
//!   a bad interval is refused with a clear message.
//!
//! Private mount namespaces need `unshare` and user namespaces; where they are refused the two
//! tests that need them say so and pass, unless `PARINDEX_FAULT_TESTS=required` (CI sets it).

use parindex_store::evidence::EvidenceConfig;
use parindex_store::{Session, Store, UserInput};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_parindex");

fn parindex(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .env_remove("PARINDEX_EVIDENCE_DIR")
        .output()
        .expect("the parindex binary runs")
}

/// Whether this machine lets us make a private mount namespace; when it does not, the test
/// is skipped with a message, or fails when `PARINDEX_FAULT_TESTS=required`.
fn private_mounts(test: &str) -> bool {
    let ok = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .output()
        .map(|o| o.status.success());
    match ok {
        Ok(true) => true,
        other => {
            let why = format!("{test}: no private mount namespace here ({other:?}): skipped");
            assert!(
                std::env::var("PARINDEX_FAULT_TESTS").as_deref() != Ok("required"),
                "{why}, but PARINDEX_FAULT_TESTS=required"
            );
            eprintln!("{why}");
            false
        }
    }
}

/// `script` run by `sh -c` in a private mount namespace, as root of it, with `args` as $1….
fn in_namespace(script: &str, args: &[&str]) -> Command {
    let mut c = Command::new("unshare");
    c.args([
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        script,
        "sh",
    ])
    .args(args)
    .env("PARINDEX_LOG", "warn")
    .env_remove("PARINDEX_EVIDENCE_DIR");
    c
}

/// Wait for a child with a deadline; killed (and the test failed) if it is still running.
fn wait_with_deadline(mut child: Child, deadline: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {deadline:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_one_clear_line(out: &Output, names: &Path, cause: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the server must not start: {err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    let line = lines[0];
    assert!(
        line.starts_with("error: cannot open the database"),
        "{line}"
    );
    assert!(line.contains(&names.display().to_string()), "{line}");
    assert!(line.contains(cause), "{line}");
    assert!(!err.contains("panicked"), "{err}");
    eprintln!("{line}");
}

#[test]
fn a_read_only_sqlite_file_stops_the_server_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let file = ro.join("parindex.db");
    let url = format!("sqlite://{}", file.display());
    let made = parindex(&["--db", &url, "user", "list"]);
    assert!(made.status.success(), "{made:?}");
    assert!(file.exists());
    if private_mounts("a_read_only_sqlite_file_stops_the_server_with_one_clear_line") {
        // The folder read-only (EROFS): the file cannot be opened for writing.
        let script = "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && \
                      exec \"$2\" --db \"$3\" serve --bind 127.0.0.1:0";
        for (db, names) in [
            (url.clone(), file.clone()),
            // A file that does not exist yet in a read-only folder: the folder is named.
            (
                format!("sqlite://{}", ro.join("moi.db").display()),
                ro.clone(),
            ),
        ] {
            let child = in_namespace(script, &[ro.to_str().unwrap(), BIN, &db])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let out = wait_with_deadline(child, Duration::from_secs(20));
            assert_one_clear_line(&out, &names, "Read-only file system");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let root = std::fs::File::create(dir.path().join("probe"))
            .and_then(|f| {
                use std::os::unix::fs::MetadataExt;
                f.metadata().map(|m| m.uid() == 0)
            })
            .unwrap();
        if root {
            eprintln!("running as root: file modes do not stop root, the 0444 case is skipped");
        } else {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
            let child = Command::new(BIN)
                .args(["--db", &url, "serve", "--bind", "127.0.0.1:0"])
                .env("PARINDEX_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let out = wait_with_deadline(child, Duration::from_secs(20));
            assert_one_clear_line(&out, &file, "Permission denied");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

/// A server started as a child: its address, and its standard error drained to a buffer.
struct Server {
    child: Child,
    addr: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    fn start(mut cmd: Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on http://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
                }
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start: {}", log.lock().unwrap());
            }
        };
        Server { child, addr, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Whether the log says `needle` within ten seconds.
    fn logs(&self, needle: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// One request on its own connection; (status, body).
    fn request(&self, head: &str, body: &[u8]) -> (u16, String) {
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut req = format!(
            "{head}\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        s.write_all(&req).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
        (status, body.to_string())
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-in user of `role` (unit `unit`): its session cookie and CSRF token, written to the
/// database directly.
async fn session(store: &Store, name: &str, role: &str, unit: Option<&str>) -> (String, String) {
    let id = store
        .create_user(
            &UserInput {
                username: name.into(),
                display_name: name.into(),
                role: parindex_domain::access::Role::parse(role).unwrap(),
                unit: unit.map(str::to_string),
                lang: "vi".into(),
                active: true,
            },
            &parindex_web::auth::hash_password("mat-khau-thu-nghiem").unwrap(),
            "test",
        )
        .await
        .unwrap();
    let token = parindex_web::auth::random_token();
    let csrf = parindex_web::auth::random_token();
    store
        .create_session(&Session {
            token_hash: parindex_web::auth::token_hash(&token),
            user_id: id,
            csrf_token: csrf.clone(),
            expires_at: "2099-01-01T00:00:00Z".into(),
        })
        .await
        .unwrap();
    (format!("parindex_session={token}"), csrf)
}

const ROUND: &str = "so-nganh-2021";

/// Units, the sample department criteria set and Sở Tư pháp's open round (2021).
async fn open_round(store: &Store) {
    let units = parindex_interchange::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &Default::default(),
    )
    .unwrap();
    store.save_units(&units, "test").await.unwrap();
    let e = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap();
    store.save_edition(&e, "test").await.unwrap();
    let d = jiff::civil::date;
    store
        .create_round(
            &parindex_store::assessments::NewRound {
                id: ROUND.into(),
                name: "Đánh giá các sở 2021 (MẪU)".into(),
                edition_id: e.id.clone(),
                units: vec!["so-tu-phap".into()],
                deadlines: parindex_domain::assessment::Deadlines {
                    self_scoring: d(2021, 12, 30),
                    explanation: d(2022, 1, 7),
                    appraisal1: d(2022, 1, 21),
                    appraisal2: d(2022, 2, 11),
                    publication: d(2022, 2, 28),
                },
                classes: Default::default(),
                note: String::new(),
            },
            "test",
        )
        .await
        .unwrap();
}

fn upload(server: &Server, cookie: &str, csrf: &str, name: &str, bytes: &[u8]) -> (u16, String) {
    let boundary = "----parindex-faults";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    server.request(
        &format!(
            "POST /assessments/{ROUND}/units/so-tu-phap/items/1.1.1/evidence?_csrf={csrf} HTTP/1.1\r\n\
             Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}"
        ),
        &body,
    )
}

fn pdf(text: &str, size: usize) -> Vec<u8> {
    let mut b = format!("%PDF-1.4\n% {text}\n").into_bytes();
    while b.len() < size {
        b.extend_from_slice(b"% 0123456789 abcdefghijklmnopqrstuvwxyz\n");
    }
    b.extend_from_slice(b"%%EOF\n");
    b
}

/// Files under a folder, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_full_evidence_folder_gives_a_clear_error_and_stores_nothing() {
    if !private_mounts("a_full_evidence_folder_gives_a_clear_error_and_stores_nothing") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    open_round(&store).await;
    let (cookie, csrf) = session(&store, "sotuphap", "agency", Some("so-tu-phap")).await;
    let evidence = dir.path().join("minh-chung");
    std::fs::create_dir(&evidence).unwrap();
    // The evidence folder: a 192 KiB tmpfs, private to the server's mount namespace.
    let server = Server::start(in_namespace(
        "mount -t tmpfs -o size=192k,mode=0700 tmpfs \"$1\" && \
         exec \"$2\" --as-of 2021-08-15 --db \"$3\" --evidence-dir \"$1\" serve --bind 127.0.0.1:0",
        &[evidence.to_str().unwrap(), BIN, &url],
    ));
    // What the server sees in its folder (its mount namespace, through /proc).
    let seen = PathBuf::from(format!("/proc/{}/root", server.child.id()))
        .join(evidence.strip_prefix("/").unwrap());
    let records = || async { store.unit_evidence(None).await.unwrap().len() };
    let (status, body) = upload(&server, &cookie, &csrf, "nho.pdf", &pdf("nho", 8 * 1024));
    assert_eq!(status, 303, "{body}");
    assert_eq!(records().await, 1);
    let before = files_under(&seen);
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(
        files_under(&evidence).is_empty(),
        "the tmpfs is the server's alone"
    );
    // Larger than the room left: ENOSPC while writing.
    let (status, body) = upload(&server, &cookie, &csrf, "lon.pdf", &pdf("lon", 400 * 1024));
    assert_eq!(status, 507, "{body}");
    assert!(
        body.contains("Thư mục lưu tệp minh chứng đã hết chỗ")
            && body.contains("The evidence folder is full"),
        "{body}"
    );
    assert!(!body.contains("No space left") && !body.contains(evidence.to_str().unwrap()));
    assert_eq!(records().await, 1, "no record");
    assert_eq!(files_under(&seen), before, "no file, no temporary file");
    assert!(
        server.logs("No space left on device"),
        "the log says why: {}",
        server.log()
    );
    // The server goes on: a small file fits.
    let (status, body) = upload(
        &server,
        &cookie,
        &csrf,
        "nho-2.pdf",
        &pdf("nho 2", 4 * 1024),
    );
    assert_eq!(status, 303, "{body}");
    assert_eq!(records().await, 2);
    // Every record has its file, whole: the server's folder checked as `evidence verify` does.
    let cfg = EvidenceConfig::new(&seen);
    let report = store.verify_evidence(&cfg).await.unwrap();
    assert!(report.ok() && report.checked == 2, "{report:?}");
    assert_eq!(files_under(&seen).len(), 2);
    server.stop();
    store.close().await;
}

#[test]
fn bad_backup_options_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = parindex(&[
        "--db",
        &url,
        "serve",
        "--backup-dir",
        "x",
        "--backup-every",
        "24x",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    // The typed problem, in the command line's words.
    let why = parindex_web::backups::IntervalProblem::Format { text: "24x".into() };
    assert!(err.contains(&why.to_string()), "{err}");
    let out = parindex(&["--db", &url, "serve", "--backup-every", "24h"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("need --backup-dir"), "{err}");
    let out = parindex(&[
        "--db",
        &url,
        "serve",
        "--backup-dir",
        "x",
        "--backup-keep",
        "0",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--backup-keep must be at least 1"), "{err}");
}

#[tokio::test]
async fn serve_takes_scheduled_backups_that_verify_and_keeps_n() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    open_round(&store).await;
    let folder = dir.path().join("sao-luu");
    std::fs::create_dir(&folder).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    // Left by someone else, and by a server killed while writing.
    std::fs::write(folder.join("sao-luu-thu-cong.zip"), b"not ours").unwrap();
    std::fs::write(
        folder.join(".parindex-20211220-000000.zip.0123abcd.partial"),
        b"half",
    )
    .unwrap();
    let start_server = || {
        let mut c = Command::new(BIN);
        c.args(["--db", &url, "serve", "--bind", "127.0.0.1:0"])
            .env("PARINDEX_LOG", "info")
            .env("PARINDEX_BACKUP_DIR", &folder)
            .env("PARINDEX_BACKUP_EVERY", "1s")
            .env("PARINDEX_BACKUP_KEEP", "2")
            .env(
                "PARINDEX_EVIDENCE_DIR",
                dir.path().join("evidence").to_str().unwrap(),
            );
        Server::start(c)
    };
    let audited = || async {
        store
            .audit_log(&parindex_store::AuditFilter {
                entity: Some("backup".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .iter()
            .filter(|a| a.action == "backup")
            .count()
    };
    let server = start_server();
    assert!(
        server.logs("scheduled backups: every 1s"),
        "{}",
        server.log()
    );
    let t = Instant::now();
    while audited().await < 4 {
        assert!(t.elapsed() < Duration::from_secs(60), "{}", server.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop();
    assert!(!folder
        .join(".parindex-20211220-000000.zip.0123abcd.partial")
        .exists());
    assert_eq!(
        std::fs::read(folder.join("sao-luu-thu-cong.zip")).unwrap(),
        b"not ours"
    );
    let ours: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("parindex-") && n.ends_with(".zip"))
        .collect();
    // Two kept; a third at most if the server was stopped between a backup and its pruning.
    assert!((2..=3).contains(&ours.len()), "{ours:?}");
    for name in &ours {
        let path = folder.join(name);
        let out = parindex(&["backup", "--verify", path.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("sound"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }
    store.close().await;
}

/// `systemctl stop` sends SIGTERM: the server finishes and exits with status 0 (it used to die
/// of the signal), and says so.
#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut c = Command::new(BIN);
    c.args(["--db", &url, "serve", "--bind", "127.0.0.1:0"])
        .env("PARINDEX_LOG", "warn")
        .env(
            "PARINDEX_EVIDENCE_DIR",
            dir.path().join("evidence").to_str().unwrap(),
        );
    let mut server = Server::start(c);
    let (status, _) = server.request("GET /health HTTP/1.1", b"");
    assert_eq!(status, 200);
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM: {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit {exit:?}: {}", server.log());
    assert!(server.logs("stopping"), "{}", server.log());
}

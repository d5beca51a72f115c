//! The crash-kill harness: fresh databases per scenario (a copy of the demo, or empty), the
//! `parindex` child and its SIGKILL at a random moment, the seeded dice, and what is checked
//! after every kill (integrity, all-or-nothing state, audit records, `evidence verify`).

use super::db::{app_problems, Backend, Db};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_parindex");

/// Kills per scenario and backend: `PARINDEX_CRASH_KILLS` (default 5; the full count is
/// 50, run by hand and recorded in docs/PERFORMANCE.md).
pub fn kills() -> usize {
    std::env::var("PARINDEX_CRASH_KILLS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(5)
}

/// The seed of every scenario's dice: `PARINDEX_CRASH_SEED`, or one drawn from the clock and
/// printed, so that a failure can be replayed.
pub fn base_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        std::env::var("PARINDEX_CRASH_SEED")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            })
    })
}

/// The random delays and contents of one scenario, from the base seed and the scenario's name.
pub struct Dice {
    rng: StdRng,
}

impl Dice {
    pub fn new(scenario: &str) -> Dice {
        // FNV-1a of the name: the same scenario gets the same stream for the same seed.
        let mix = scenario.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Dice {
            rng: StdRng::seed_from_u64(base_seed() ^ mix),
        }
    }

    /// When to kill a run that takes `typical` when left alone: half the kills anywhere in
    /// the run (from its start to a tenth past its end), half in its second half, where the
    /// changes are written and committed.
    pub fn kill_moment(&mut self, typical: Duration) -> Duration {
        let us = typical.as_micros().max(1) as u64;
        let (from, to) = if self.rng.gen_bool(0.5) {
            (0, us * 11 / 10)
        } else {
            (us / 2, us)
        };
        Duration::from_micros(self.rng.gen_range(from..=to))
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.rng.fill(&mut v[..]);
        v
    }
}

/// The warm-up run (clean, timed) or the n-th kill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Iter {
    Warmup,
    Kill(usize),
}

impl Iter {
    /// A number for contents that differ per run: the warm-up is 1, kill n is n + 2 (so that
    /// alternating scenarios go warm-up = B, kill 0 = A, kill 1 = B, …).
    pub fn n(self) -> usize {
        match self {
            Iter::Warmup => 1,
            Iter::Kill(n) => n + 2,
        }
    }
}

/// A `parindex` command on the scenario's database and evidence folder.
pub fn parindex(db: &ScenarioDb) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--db")
        .arg(&db.url)
        .arg("--evidence-dir")
        .arg(&db.evidence)
        .env("PARINDEX_LOG", "warn")
        .env_remove("PARINDEX_DATABASE_URL")
        .env_remove("PARINDEX_EVIDENCE_DIR")
        .env_remove("PARINDEX_AS_OF")
        .stdin(Stdio::null());
    c
}

/// Run to the end; its standard output, or a panic with its standard error.
pub fn ok(cmd: &mut Command, ctx: &str) -> String {
    let out = cmd.output().expect("the parindex binary runs");
    assert!(
        out.status.success(),
        "{ctx}: {cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// How a run under the kill ended.
pub enum Ended {
    /// Still running at the chosen moment: killed with SIGKILL.
    Killed,
    /// It had already finished by itself (with its standard error).
    Exited(ExitStatus, String),
}

/// Start `cmd`, wait `after`, and SIGKILL it if it is still running.
pub fn run_killed(cmd: &mut Command, after: Duration, scratch: &Path) -> Ended {
    let err_path = scratch.join("child-stderr.txt");
    let err = File::create(&err_path).expect("a file for the child's standard error");
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::from(err))
        .spawn()
        .expect("the parindex binary starts");
    std::thread::sleep(after);
    match child.try_wait().expect("the child's status") {
        Some(status) => Ended::Exited(
            status,
            std::fs::read_to_string(&err_path).unwrap_or_default(),
        ),
        None => {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            Ended::Killed
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

/// The demo, loaded once per test process: a SQLite file to copy and an archive of it to
/// restore into PostgreSQL (a restore is one transaction, the demo's load is hundreds).
struct Template {
    db: PathBuf,
    archive: PathBuf,
}

const TEMPLATE_PREFIX: &str = "parindex-crash-kill-";

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        // Folders left by earlier test processes (a process cannot remove its own at exit).
        if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix(TEMPLATE_PREFIX) {
                    if !Path::new(&format!("/proc/{pid}")).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let dir = std::env::temp_dir().join(format!("{TEMPLATE_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the template folder");
        let db = dir.join("demo.db");
        let archive = dir.join("demo.zip");
        let url = format!("sqlite://{}", db.display());
        let run = |args: &[&str]| {
            let out = Command::new(BIN)
                .arg("--db")
                .arg(&url)
                .arg("--evidence-dir")
                .arg(dir.join("evidence"))
                .args(args)
                .env("PARINDEX_LOG", "warn")
                .output()
                .expect("the parindex binary runs");
            assert!(
                out.status.success(),
                "the demo template: {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        // The demo as of 20/12/2021: its history (sample reports, the 2021 assessment rounds
        // open with the units' self-assessments of that day) is what the scenarios act on.
        run(&["--as-of", "2021-12-20", "demo", "--no-serve"]);
        run(&["backup", "-o", archive.to_str().expect("a UTF-8 path")]);
        Template { db, archive }
    })
}

/// The admin URL of the PostgreSQL server, when the tests have one.
pub fn pg_admin() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

fn pg_admin_exec(admin: &str, sql: &str) {
    let mut db = Db::open(Backend::Postgres, admin).expect("the PostgreSQL server");
    db.execute(sql);
    db.close();
}

/// One scenario's database and evidence folder, in a temporary folder of its own; a
/// PostgreSQL database is created for it and dropped with it.
pub struct ScenarioDb {
    pub backend: Backend,
    pub url: String,
    pub evidence: PathBuf,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl ScenarioDb {
    /// A new empty database: a SQLite file not yet created, or a PostgreSQL database without
    /// tables. `None` for PostgreSQL when `TEST_DATABASE_URL` is not set.
    pub fn empty(backend: Backend) -> Option<ScenarioDb> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let evidence = dir.path().join("evidence");
        match backend {
            Backend::Sqlite => Some(ScenarioDb {
                backend,
                url: format!("sqlite://{}", dir.path().join("parindex.db").display()),
                evidence,
                dir,
                pg: None,
            }),
            Backend::Postgres => {
                let admin = pg_admin()?;
                let name = format!("parindex_ck_{}", uuid::Uuid::new_v4().simple());
                pg_admin_exec(&admin, &format!("CREATE DATABASE {name}"));
                Some(ScenarioDb {
                    backend,
                    url: parindex_store::testing::with_database(&admin, &name),
                    evidence,
                    dir,
                    pg: Some((admin, name)),
                })
            }
        }
    }

    /// A database holding the demo (a copy of the template, or the template's archive restored).
    pub fn demo(backend: Backend) -> Option<ScenarioDb> {
        let t = template();
        let db = ScenarioDb::empty(backend)?;
        match backend {
            Backend::Sqlite => {
                let path = db.sqlite_path().expect("a SQLite path");
                std::fs::copy(&t.db, &path).expect("copying the demo database");
                let wal = PathBuf::from(format!("{}-wal", t.db.display()));
                if wal.exists() {
                    std::fs::copy(&wal, format!("{}-wal", path.display()))
                        .expect("copying the demo's WAL");
                }
            }
            Backend::Postgres => {
                ok(
                    parindex(&db).arg("restore").arg(&t.archive),
                    "restoring the demo into PostgreSQL",
                );
            }
        }
        Some(db)
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.url.strip_prefix("sqlite://").map(PathBuf::from)
    }

    pub fn open(&self) -> Option<Db> {
        Db::open(self.backend, &self.url)
    }
}

impl Drop for ScenarioDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            pg_admin_exec(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What a scenario looks at
// ---------------------------------------------------------------------------------------------

/// What shows a scenario's operation, step by step (most operations are one step; a monthly
/// report submitted and then reviewed is two). Each step must be atomic: after a kill, the
/// steps done are a prefix of the steps, each wholly there.
pub struct Probe {
    /// Per step, the queries whose answers change when the step is done (no timestamps).
    pub parts: Vec<Vec<String>>,
    /// Per step, the audit entries the step records: `action/entity`, `*` for any action.
    pub audit: Vec<Vec<&'static str>>,
    /// The users whose audit entries are looked at.
    pub actors: Vec<&'static str>,
}

/// The answers of a probe's queries, per step.
pub type Fingerprint = Vec<Vec<String>>;

/// What was read before an attempt.
pub struct Before {
    pub fp: Fingerprint,
    pub audit_max: i64,
    pub attachments_max: i64,
}

impl Probe {
    fn fingerprint(&self, db: &mut Db) -> Fingerprint {
        self.parts
            .iter()
            .map(|queries| {
                let mut out = Vec::new();
                for q in queries {
                    out.push(format!("-- {q}"));
                    if db.has_table(first_table(q)) {
                        out.extend(db.lines(q));
                    }
                }
                out
            })
            .collect()
    }

    pub fn read(&self, sdb: &ScenarioDb) -> Before {
        let mut db = sdb.open().expect("the scenario's database");
        let out = db.snapshot(|db| Before {
            fp: self.fingerprint(db),
            audit_max: max_id(db, "audit_log"),
            attachments_max: max_id(db, "attachments"),
        });
        db.close();
        out
    }

    /// The audit entries of the probe's users after `after`, as `action/entity`.
    fn audit_since(&self, db: &mut Db, after: i64) -> Vec<String> {
        if !db.has_table("audit_log") {
            return Vec::new();
        }
        let actors: Vec<String> = self.actors.iter().map(|a| format!("'{a}'")).collect();
        db.lines(&format!(
            "SELECT action, entity FROM audit_log WHERE id > {after} AND actor IN ({}) ORDER BY id",
            actors.join(", ")
        ))
        .into_iter()
        .map(|l| l.replacen('|', "/", 1))
        .collect()
    }
}

fn max_id(db: &mut Db, table: &str) -> i64 {
    if db.has_table(table) {
        db.count(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
    } else {
        0
    }
}

/// The table a probe query reads first (`… FROM table …`).
fn first_table(q: &str) -> &str {
    let lower = q.to_ascii_lowercase();
    let at = lower.find(" from ").map(|i| i + 6).unwrap_or(0);
    q[at..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("")
}

/// What a kill left.
pub struct Mid {
    pub fp: Fingerprint,
    pub audit: Vec<String>,
}

/// After a kill: wait for PostgreSQL to drop the killed process's sessions; check the
/// database's integrity and the application's invariants; read the probe (and the audit entries
/// since `before`) in one snapshot; run `parindex evidence verify`.
pub fn inspect(sdb: &ScenarioDb, probe: &Probe, before: &Before, ctx: &str) -> Mid {
    let Some(mut db) = sdb.open() else {
        // A SQLite file not created yet: nothing happened.
        return Mid {
            fp: probe
                .parts
                .iter()
                .map(|qs| qs.iter().map(|q| format!("-- {q}")).collect())
                .collect(),
            audit: Vec::new(),
        };
    };
    db.wait_for_others_to_leave();
    let problems = db.integrity_problems();
    assert!(problems.is_empty(), "{ctx}: integrity: {problems:#?}");
    let mid = db.snapshot(|db| {
        let problems = app_problems(db, before.attachments_max);
        assert!(problems.is_empty(), "{ctx}: invariants: {problems:#?}");
        Mid {
            fp: probe.fingerprint(db),
            audit: probe.audit_since(db, before.audit_max),
        }
    });
    db.close();
    evidence_verified(sdb, ctx);
    mid
}

/// `parindex evidence verify` passes: every evidence record's file is there with its SHA-256.
pub fn evidence_verified(sdb: &ScenarioDb, ctx: &str) {
    let out = parindex(sdb)
        .args(["evidence", "verify"])
        .output()
        .expect("the parindex binary runs");
    assert!(
        out.status.success(),
        "{ctx}: evidence verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How many steps a kill left done: the state must be, step by step, a prefix of the steps
/// done and the rest not started. `None` when it is anything else (a partial step).
pub fn steps_done(before: &Fingerprint, after: &Fingerprint, mid: &Fingerprint) -> Option<usize> {
    (0..=after.len()).rev().find(|&j| {
        (0..j).all(|k| mid[k] == after[k]) && (j..after.len()).all(|k| mid[k] == before[k])
    })
}

/// The audit entries a kill left match the steps done: none when nothing is done; for each
/// step done at least one of its entries; nothing else.
pub fn audit_problem(probe: &Probe, done: usize, audit: &[String]) -> Option<String> {
    let matches = |pattern: &str, entry: &str| -> bool {
        let (pa, pe) = pattern.split_once('/').unwrap_or(("*", pattern));
        let (ea, ee) = entry.split_once('/').unwrap_or(("", entry));
        pe == ee && (pa == "*" || pa == ea)
    };
    for e in audit {
        if !probe.audit[..done].iter().flatten().any(|p| matches(p, e)) {
            return Some(format!(
                "audit entry {e} without its change ({done} step(s) done): {audit:?}"
            ));
        }
    }
    for (k, step) in probe.audit[..done].iter().enumerate() {
        if !audit.iter().any(|e| step.iter().any(|p| matches(p, e))) {
            return Some(format!(
                "step {k} is done but not audited ({step:?}): {audit:?}"
            ));
        }
    }
    None
}

/// The state a kill left, checked against the states before and after the operation.
pub fn check_state(
    probe: &Probe,
    before: &Before,
    after: &Fingerprint,
    mid: &Mid,
    ctx: &str,
) -> usize {
    for (k, (b, a)) in before.fp.iter().zip(after).enumerate() {
        assert_ne!(
            b, a,
            "{ctx}: step {k} of the operation changes nothing the probe sees: the test would prove nothing"
        );
    }
    let Some(done) = steps_done(&before.fp, after, &mid.fp) else {
        let diff: Vec<String> = mid
            .fp
            .iter()
            .enumerate()
            .map(|(k, m)| {
                format!(
                    "step {k}: {}",
                    if *m == before.fp[k] {
                        "as before"
                    } else if *m == after[k] {
                        "as after"
                    } else {
                        "NEITHER before nor after"
                    }
                )
            })
            .collect();
        panic!(
            "{ctx}: a partial change is visible after the kill: {diff:?}\nmid: {:#?}",
            mid.fp
        );
    };
    if let Some(p) = audit_problem(probe, done, &mid.audit) {
        panic!("{ctx}: {p}");
    }
    done
}

/// How long an operation takes when left alone: the median of the runs made again after a
/// kill (whole runs, on a warm server and page cache), the warm-up's time until there is one;
/// so that a slow first run does not stretch the range of the kills.
#[derive(Default)]
pub struct Timing {
    warm_up: Option<Duration>,
    runs: Vec<Duration>,
}

impl Timing {
    pub fn add(&mut self, d: Duration) {
        if self.warm_up.is_none() {
            self.warm_up = Some(d);
        } else {
            self.runs.push(d);
        }
    }

    pub fn typical(&self) -> Duration {
        let mut v = self.runs.clone();
        v.sort();
        v.get(v.len() / 2)
            .copied()
            .or(self.warm_up)
            .unwrap_or(Duration::from_millis(100))
    }
}

/// Counts of what the kills of one scenario left, printed at its end.
pub struct Tally {
    name: String,
    steps: usize,
    done: Vec<usize>,
    finished_first: usize,
    kills: usize,
    start: Instant,
    notes: Vec<String>,
}

impl Tally {
    pub fn new(name: &str, backend: Backend, steps: usize) -> Tally {
        eprintln!(
            "crash-kill {name} on {}: {} kill(s), seed {} (replay: PARINDEX_CRASH_SEED={})",
            backend.name(),
            kills(),
            base_seed(),
            base_seed()
        );
        Tally {
            name: format!("{name} on {}", backend.name()),
            steps,
            done: vec![0; steps + 1],
            finished_first: 0,
            kills: 0,
            start: Instant::now(),
            notes: Vec::new(),
        }
    }

    pub fn record(&mut self, done: usize, finished_first: bool) {
        self.kills += 1;
        if finished_first {
            self.finished_first += 1;
        } else {
            self.done[done] += 1;
        }
    }

    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    pub fn context(&self, n: usize, delay: Duration) -> String {
        format!(
            "{}, kill {n} after {} ms (seed {}: replay with PARINDEX_CRASH_SEED={})",
            self.name,
            delay.as_millis(),
            base_seed(),
            base_seed()
        )
    }

    pub fn report(&self) {
        let states: Vec<String> = if self.steps == 1 {
            vec![
                format!("{} left it as before", self.done[0]),
                format!("{} as after", self.done[1]),
            ]
        } else {
            self.done
                .iter()
                .enumerate()
                .map(|(j, n)| format!("{n} with {j} step(s) done"))
                .collect()
        };
        eprintln!(
            "crash-kill {}: {} kills in {:.1} s: {}, {} finished before the kill; every kill: integrity ok, no partial change, audit with its change, evidence verify ok, re-run ok{}",
            self.name,
            self.kills,
            self.start.elapsed().as_secs_f64(),
            states.join(", "),
            self.finished_first,
            if self.notes.is_empty() {
                String::new()
            } else {
                format!("; {}", self.notes.join("; "))
            }
        );
    }
}

/// One command-line operation killed `kills()` times at random moments: after each kill the
/// checks of [`inspect`] and [`check_state`], then the same command run again must succeed.
/// `args(iter)` is the command for a run (the warm-up is timed and sets the range of delays).
pub fn cli_scenario(
    name: &str,
    sdb: &ScenarioDb,
    probe: &Probe,
    args: &dyn Fn(Iter) -> Vec<String>,
) {
    let mut dice = Dice::new(&format!("{name}/{}", sdb.backend.name()));
    let mut tally = Tally::new(name, sdb.backend, 1);
    let mut timing = Timing::default();
    let t = Instant::now();
    ok(
        parindex(sdb).args(args(Iter::Warmup)),
        &format!("{name}: the warm-up run"),
    );
    timing.add(t.elapsed());
    for n in 0..kills() {
        let it = Iter::Kill(n);
        let before = probe.read(sdb);
        let delay = dice.kill_moment(timing.typical());
        let ctx = tally.context(n, delay);
        let ended = run_killed(parindex(sdb).args(args(it)), delay, sdb.dir.path());
        let finished = match ended {
            Ended::Killed => false,
            Ended::Exited(status, err) => {
                assert!(status.success(), "{ctx}: the run failed on its own: {err}");
                true
            }
        };
        let mid = inspect(sdb, probe, &before, &ctx);
        let t = Instant::now();
        ok(
            parindex(sdb).args(args(it)),
            &format!("{ctx}: the run again"),
        );
        timing.add(t.elapsed());
        let after = probe.read(sdb);
        let done = check_state(probe, &before, &after.fp, &mid, &ctx);
        assert!(
            !finished || done == 1,
            "{ctx}: the run finished but its change is not there"
        );
        tally.record(done, finished);
    }
    tally.report();
}

//! The scenarios: what each operation is, how it varies from run to run (so that the state
//! before and after differ), and what shows its change.

use super::db::{Backend, Db};
use super::harness::{
    cli_scenario, evidence_verified, kills, ok, parindex, run_killed, Dice, Ended, Iter, Probe,
    ScenarioDb, Tally, Timing, BIN,
};
use super::web::{redirected, web_scenario, StepFail, WebScenario};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn skipped(backend: Backend, what: &str) {
    eprintln!(
        "TEST_DATABASE_URL not set: the {} crash-kill test of {what} is skipped",
        backend.name()
    );
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Contents that are the same for the same run (a retry sends the same bytes) and differ from
/// run to run.
fn payload(tag: &str, it: Iter, pdf: bool, size: usize) -> Vec<u8> {
    let mut v = if pdf {
        b"%PDF-1.4\n".to_vec()
    } else {
        Vec::new()
    };
    v.extend(Dice::new(&format!("{tag} {}", it.n())).bytes(size));
    if pdf {
        v.extend_from_slice(b"\n%%EOF\n");
    }
    v
}

fn dossier_rows() -> String {
    std::env::var("PARINDEX_CRASH_DOSSIER_ROWS").unwrap_or_else(|_| "150000".into())
}

/// Two synthetic exports of the same month (July 2021), different seeds: importing one replaces
/// the other's agency × month cells.
fn dossier_files(dir: &Path) -> Vec<PathBuf> {
    (1..=2)
        .map(|seed| {
            let f = dir.join(format!("thang-7-{seed}.csv"));
            ok(
                Command::new(BIN).args([
                    "gen",
                    "dossiers",
                    "--rows",
                    &dossier_rows(),
                    "--seed",
                    &seed.to_string(),
                    "--month",
                    "2021-07",
                    "-o",
                    f.to_str().expect("a UTF-8 path"),
                ]),
                "generating a dossier export",
            );
            f
        })
        .collect()
}

pub fn dossier_import(backend: Backend) {
    let Some(sdb) = ScenarioDb::demo(backend) else {
        return skipped(backend, "a dossier import");
    };
    let files = dossier_files(sdb.dir.path());
    let probe = Probe {
        parts: vec![strings(&[
            "SELECT agency, month, unit, received, resolved, early, on_time, late, pending, pending_overdue FROM dossier_stats ORDER BY agency, month",
            "SELECT agency, month, outcome, COUNT(*) FROM overdue_dossiers GROUP BY agency, month, outcome ORDER BY agency, month, outcome",
        ])],
        audit: vec![vec!["import/dossier_import"]],
        actors: vec!["cli"],
    };
    cli_scenario("dossier import", &sdb, &probe, &|it| {
        let f = files[it.n() % 2]
            .to_str()
            .expect("a UTF-8 path")
            .to_string();
        strings(&["--as-of", "2021-08-10", "import", "dossiers", &f])
    });
}

/// An edition of `areas` × `criteria` × `subs` criteria, its titles marked with `v`.
fn edition_toml(id: &str, v: &str, areas: usize, criteria: usize, subs: usize) -> String {
    let mut t = format!(
        "id = \"{id}\"\nname = \"Bộ tiêu chí thử nghiệm {v}\"\nyear = 2021\nlevel = \"province\"\n\
         max_points = \"100\"\npeer_count = 63\nsample = true\n\n\
         [[components]]\ncode = \"appraisal\"\nname_vi = \"Thẩm định\"\nmax_points = \"100\"\n"
    );
    for a in 1..=areas {
        t.push_str(&format!(
            "\n[[criteria]]\ncode = \"{a}\"\ntitle_vi = \"Lĩnh vực {a} ({v})\"\nmax_points = \"10\"\ncomponent = \"appraisal\"\n"
        ));
        for c in 1..=criteria {
            t.push_str(&format!(
                "\n[[criteria]]\ncode = \"{a}.{c}\"\ntitle_vi = \"Tiêu chí {a}.{c} ({v})\"\nmax_points = \"1.25\"\n"
            ));
            for s in 1..=subs {
                t.push_str(&format!(
                    "\n[[criteria]]\ncode = \"{a}.{c}.{s}\"\ntitle_vi = \"Tiêu chí thành phần {a}.{c}.{s} ({v})\"\nmax_points = \"0.2\"\n"
                ));
            }
        }
    }
    t
}

pub fn edition_import(backend: Backend) {
    let Some(sdb) = ScenarioDb::demo(backend) else {
        return skipped(backend, "an edition import");
    };
    // The same edition in two shapes: importing one replaces the other's tree.
    let files: Vec<PathBuf> = [("A", 10, 8, 6), ("B", 9, 7, 5)]
        .iter()
        .map(|(v, a, c, s)| {
            let f = sdb.dir.path().join(format!("bo-tieu-chi-{v}.toml"));
            std::fs::write(&f, edition_toml("crash-edition", v, *a, *c, *s)).expect("writing");
            f
        })
        .collect();
    let probe = Probe {
        parts: vec![strings(&[
            "SELECT name, year, max_points FROM editions WHERE id = 'crash-edition'",
            "SELECT code, position, max_points FROM edition_components WHERE edition_id = 'crash-edition' ORDER BY code",
            "SELECT code, title_vi, max_points FROM criteria WHERE edition_id = 'crash-edition' ORDER BY sort_key",
        ])],
        audit: vec![vec!["*/edition"]],
        actors: vec!["cli"],
    };
    cli_scenario("edition import", &sdb, &probe, &|it| {
        let f = files[it.n() % 2]
            .to_str()
            .expect("a UTF-8 path")
            .to_string();
        strings(&["import", "edition", &f])
    });
}

/// Results of all 63 provinces for `crash-results`: in file order (A) or reversed (B).
fn results_csv(reversed: bool) -> String {
    let subjects = include_str!("../../../../data/subjects.csv");
    let rows: Vec<(&str, &str)> = subjects
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split(',');
            (f.next().unwrap_or(""), f.next().unwrap_or(""))
        })
        .collect();
    let n = rows.len();
    let mut out = String::from("subject,name,total,rank,component:appraisal");
    for a in 1..=10 {
        out.push_str(&format!(",score:{a}"));
    }
    out.push_str(",published_on\n");
    for (k, (slug, name)) in rows.iter().enumerate() {
        let place = if reversed { n - 1 - k } else { k };
        let area_h = 950 - 5 * place; // hundredths of a point, per area
        let total_h = area_h * 10;
        let dec = |h: usize| format!("{}.{:02}", h / 100, h % 100);
        out.push_str(&format!(
            "{slug},{name},{},{},{}",
            dec(total_h),
            place + 1,
            dec(total_h)
        ));
        for _ in 1..=10 {
            out.push_str(&format!(",{}", dec(area_h)));
        }
        out.push_str(",2022-05-01\n");
    }
    out
}

pub fn results_import(backend: Backend) {
    let Some(sdb) = ScenarioDb::demo(backend) else {
        return skipped(backend, "a results import");
    };
    let edition = sdb.dir.path().join("crash-results.toml");
    std::fs::write(&edition, edition_toml("crash-results", "K", 10, 0, 0)).expect("writing");
    ok(
        parindex(&sdb).args(["import", "edition", edition.to_str().expect("UTF-8")]),
        "importing the results' edition",
    );
    let files: Vec<PathBuf> = [false, true]
        .iter()
        .map(|r| {
            let f = sdb.dir.path().join(format!("ket-qua-{r}.csv"));
            std::fs::write(&f, results_csv(*r)).expect("writing");
            f
        })
        .collect();
    let probe = Probe {
        parts: vec![strings(&[
            "SELECT subject, total, rank, components_json, node_scores_json FROM results WHERE edition_id = 'crash-results' ORDER BY subject",
        ])],
        audit: vec![vec!["*/result"]],
        actors: vec!["cli"],
    };
    cli_scenario("results import", &sdb, &probe, &|it| {
        let f = files[it.n() % 2]
            .to_str()
            .expect("a UTF-8 path")
            .to_string();
        strings(&[
            "import",
            "results",
            &f,
            "--edition",
            "crash-results",
            "--replace",
        ])
    });
}

const PLAN: &str = include_str!("../../../../data/plans/bac-giang-2021.toml");

pub fn plan_import(backend: Backend) {
    let Some(sdb) = ScenarioDb::demo(backend) else {
        return skipped(backend, "a plan import");
    };
    // The demo's plan under another id, in two versions (B's titles marked): each import
    // replaces the other's findings, targets and tasks.
    let a = PLAN.replacen("id = \"bac-giang-2021\"", "id = \"crash-plan\"", 1);
    assert_ne!(a, PLAN, "the plan file names its id");
    let b = a.replace("\ntitle = \"", "\ntitle = \"(B) ");
    let files = [a, b];
    let probe = Probe {
        parts: vec![strings(&[
            "SELECT number, title FROM plans WHERE id = 'crash-plan'",
            "SELECT id, title FROM plan_findings WHERE plan_id = 'crash-plan' ORDER BY id",
            "SELECT id, title FROM plan_targets WHERE plan_id = 'crash-plan' ORDER BY id",
            "SELECT id, title FROM plan_tasks WHERE plan_id = 'crash-plan' ORDER BY id",
            "SELECT task_id, unit FROM assignments WHERE plan_id = 'crash-plan' ORDER BY task_id, unit",
        ])],
        audit: vec![vec!["*/plan"]],
        actors: vec!["sonoivu"],
    };
    web_scenario(
        &sdb,
        WebScenario {
            name: "plan import",
            as_of: "2021-08-15",
            users: vec![("sonoivu", "bacgiang-coordinator")],
            probe,
            steps: vec![Box::new(move |w, it| {
                let file = &files[it.n() % 2];
                let r = w.post_multipart(
                    "sonoivu",
                    "/plans/import",
                    &[],
                    &[("file", "ke-hoach.toml", file.as_bytes())],
                )?;
                redirected(r, "/plans/crash-plan?done=imported")
            })],
        },
    );
}

const ROUND: &str = "mau-so-nganh-2021";

pub fn evidence_upload(backend: Backend) {
    let Some(sdb) = ScenarioDb::demo(backend) else {
        return skipped(backend, "an evidence upload");
    };
    let probe = Probe {
        parts: vec![strings(&[
            "SELECT id, sha256, size_bytes, title FROM evidence WHERE unit = 'so-tu-phap' ORDER BY id",
            "SELECT evidence_id, code FROM evidence_links WHERE round_id = 'mau-so-nganh-2021' AND unit = 'so-tu-phap' ORDER BY evidence_id, code",
            "SELECT sha256, size_bytes FROM evidence_files ORDER BY sha256",
        ])],
        audit: vec![vec!["create/evidence", "link/assessment_item"]],
        actors: vec!["sotuphap"],
    };
    // Sở Tư pháp self-scores the 2021 round before its deadline (30/12/2021): each run uploads
    // a new 4 MB document for criterion 1.1.1.
    web_scenario(
        &sdb,
        WebScenario {
            name: "evidence upload",
            as_of: "2021-12-20",
            users: vec![("sotuphap", "bacgiang-agency")],
            probe,
            steps: vec![Box::new(|w, it| {
                let bytes = payload("evidence", it, true, 4 << 20);
                let title = format!("Minh chứng thử nghiệm số {}", it.n());
                let r = w.post_multipart(
                    "sotuphap",
                    &format!("/assessments/{ROUND}/units/so-tu-phap/items/1.1.1/evidence"),
                    &[("title", &title)],
                    &[("file", &format!("minh-chung-{}.pdf", it.n()), &bytes)],
                )?;
                redirected(r, "done=uploaded")
            })],
        },
    );
}

const TASK: &str =
    "a.plan_id = 'bac-giang-2021' AND a.task_id = 'II.1-on-time' AND a.unit = 'so-tu-phap'";

pub fn report_submitted_and_reviewed(backend: Backend) {
    let Some(sdb) = ScenarioDb::demo(backend) else {
        return skipped(backend, "a monthly report");
    };
    let probe = Probe {
        parts: vec![
            vec![
                format!("SELECT r.version, r.done, r.progress_pct, r.submitted_by FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE {TASK} ORDER BY r.version, r.id"),
                format!("SELECT r.version, t.file_name, t.size_bytes, t.sha256 FROM attachments t JOIN reports r ON r.id = t.report_id JOIN assignments a ON a.id = r.assignment_id WHERE {TASK} ORDER BY r.version, t.id"),
                format!("SELECT progress_pct FROM assignments a WHERE {TASK}"),
            ],
            vec![format!("SELECT r.version, r.decision, r.review_comment, r.reviewed_by FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE {TASK} AND r.decision IS NOT NULL ORDER BY r.version, r.id")],
        ],
        // The submission records the report and, when it changes, the assignment's progress.
        audit: vec![
            vec!["submit/report", "progress/assignment"],
            vec!["returned/report"],
        ],
        actors: vec!["sotuphap", "sonoivu"],
    };
    let done = |it: Iter| format!("Báo cáo thử nghiệm lần {}: đã triển khai kế hoạch.", it.n());
    // Sở Tư pháp reports on its monthly task for December 2021 (the demo's history, as of
    // 20/12/2021, has no report of that month yet) with a 3 MB attachment; Sở Nội vụ returns the
    // report (so that the next run may report again on the same period).
    web_scenario(
        &sdb,
        WebScenario {
            name: "monthly report submitted and reviewed",
            as_of: "2021-12-20",
            users: vec![
                ("sotuphap", "bacgiang-agency"),
                ("sonoivu", "bacgiang-coordinator"),
            ],
            probe,
            steps: vec![
                Box::new(move |w, it| {
                    let bytes = payload("report", it, true, 3 << 20);
                    let progress = (it.n() % 100).to_string();
                    let r = w.post_multipart(
                        "sotuphap",
                        "/plans/bac-giang-2021/tasks/II.1-on-time/reports",
                        &[
                            ("unit", "so-tu-phap"),
                            ("period", "2021-12"),
                            ("done", &done(it)),
                            ("problems", ""),
                            ("proposals", ""),
                            ("progress_pct", &progress),
                        ],
                        &[("attachments", &format!("bao-cao-{}.pdf", it.n()), &bytes)],
                    )?;
                    redirected(r, "done=submitted")
                }),
                Box::new(move |w, it| {
                    let mut db = w.open_db();
                    let ids = db.lines(&format!(
                        "SELECT r.id FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE {TASK} AND r.done = '{}' ORDER BY r.version DESC",
                        done(it)
                    ));
                    db.close();
                    let id = ids.first().ok_or_else(|| {
                        StepFail::Refused("the submitted report is not in the database".into())
                    })?;
                    let comment = format!("Trả lại lần {}: bổ sung số liệu.", it.n());
                    let r = w.post_form(
                        "sonoivu",
                        &format!("/plans/bac-giang-2021/reports/{id}/review"),
                        &[("decision", "returned"), ("comment", &comment)],
                    )?;
                    redirected(r, "done=returned")
                }),
            ],
        },
    );
}

pub fn appraisal_save(backend: Backend) {
    let Some(sdb) = ScenarioDb::demo(backend) else {
        return skipped(backend, "an appraisal save");
    };
    let probe = Probe {
        parts: vec![strings(&[
            "SELECT code, appraisal1, comment1, appraisal1_by FROM assessment_items WHERE round_id = 'mau-so-nganh-2021' AND unit = 'so-tai-chinh' ORDER BY code",
        ])],
        audit: vec![vec!["appraise/assessment_item"]],
        actors: vec!["thamdinh"],
    };
    // The appraiser scores every criterion of Sở Tài chính: its self-scores on one run, zero on
    // the next, so that every save changes every item.
    let page = format!("/assessments/{ROUND}/units/so-tai-chinh/appraise");
    web_scenario(
        &sdb,
        WebScenario {
            name: "appraisal save",
            as_of: "2021-12-20",
            users: vec![("thamdinh", "bacgiang-appraiser")],
            probe,
            steps: vec![Box::new(move |w, it| {
                let html = w.get("thamdinh", &page)?.text();
                let mut fields: Vec<(String, String)> = Vec::new();
                for input in html.split("<input name=\"a1.").skip(1) {
                    let code = input.split('"').next().unwrap_or("").to_string();
                    let own = input
                        .split("placeholder=\"")
                        .nth(1)
                        .and_then(|p| p.split('"').next())
                        .unwrap_or("")
                        .to_string();
                    // Survey-scored items have no self-score (shown as "—").
                    if !own.starts_with(|c: char| c.is_ascii_digit()) {
                        continue;
                    }
                    let value = if it.n() % 2 == 0 { own } else { "0".into() };
                    fields.push((format!("a1.{code}"), value));
                }
                if fields.is_empty() {
                    return Err(StepFail::Refused(format!(
                        "no appraisal field on the page: {}",
                        html.chars().take(2000).collect::<String>()
                    )));
                }
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let r = w.post_form("thamdinh", &page, &pairs)?;
                redirected(r, "appraise?done=1")
            })],
        },
    );
}

/// The demo with a July dossier export and evidence files: what the backup and restore
/// scenarios copy.
fn filled(backend: Backend) -> Option<ScenarioDb> {
    let sdb = ScenarioDb::demo(backend)?;
    let files = dossier_files(sdb.dir.path());
    ok(
        parindex(&sdb).args([
            "--as-of",
            "2021-08-10",
            "import",
            "dossiers",
            files[0].to_str().expect("UTF-8"),
        ]),
        "importing dossiers",
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let store = parindex_store::Store::connect(&sdb.url)
            .await
            .expect("the store");
        let cfg = parindex_store::evidence::EvidenceConfig::new(&sdb.evidence);
        for i in 0..12 {
            let f = parindex_store::evidence::NewEvidenceFile {
                file_name: format!("van-ban-{i}.pdf"),
                bytes: payload("backup evidence", Iter::Kill(i), true, 1 << 20),
                title: format!("Văn bản {i}"),
                unit: Some("so-tu-phap".into()),
                sample: true,
            };
            store
                .add_evidence_file(&cfg, &f, None, "crash-kill")
                .await
                .expect("an evidence file");
        }
        store.close().await;
    });
    Some(sdb)
}

/// Every table and its rows (the whole database's shape).
fn table_counts(db: &mut Db, backend: Backend) -> Vec<String> {
    let tables = match backend {
        Backend::Sqlite => db.lines(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ),
        Backend::Postgres => db.lines(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        ),
    };
    tables
        .into_iter()
        .map(|t| format!("{t}: {}", db.count(&format!("SELECT COUNT(*) FROM {t}"))))
        .collect()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".partial"))
                .collect()
        })
        .unwrap_or_default()
}

/// A backup killed while it runs: the database is untouched (same rows, no audit entry, still
/// sound), the archive is either absent or complete and sound, and the next backup succeeds and
/// removes what the killed one left.
pub fn backup(backend: Backend) {
    let Some(sdb) = filled(backend) else {
        return skipped(backend, "a backup");
    };
    let out_dir = sdb.dir.path().join("sao-luu");
    std::fs::create_dir_all(&out_dir).expect("the backups' folder");
    let archive = out_dir.join("sao-luu.zip");
    let a = archive.to_str().expect("UTF-8").to_string();
    let mut dice = Dice::new(&format!("backup/{}", backend.name()));
    let mut tally = Tally::new("backup", backend, 1);
    let mut timing = Timing::default();
    let t = Instant::now();
    ok(
        parindex(&sdb).args(["backup", "-o", &a]),
        "the warm-up backup",
    );
    timing.add(t.elapsed());
    let mut left_behind = 0;
    for n in 0..kills() {
        std::fs::remove_file(&archive).expect("removing the last archive");
        let mut db = sdb.open().expect("the database");
        let before = table_counts(&mut db, backend);
        db.close();
        let delay = dice.kill_moment(timing.typical());
        let ctx = tally.context(n, delay);
        let ended = run_killed(
            parindex(&sdb).args(["backup", "-o", &a]),
            delay,
            sdb.dir.path(),
        );
        let finished = matches!(ended, Ended::Exited(s, _) if s.success());
        if let Ended::Exited(s, err) = &ended {
            assert!(s.success(), "{ctx}: the backup failed on its own: {err}");
        }
        let mut db = sdb.open().expect("the database");
        db.wait_for_others_to_leave();
        let problems = db.integrity_problems();
        assert!(problems.is_empty(), "{ctx}: integrity: {problems:#?}");
        assert_eq!(
            table_counts(&mut db, backend),
            before,
            "{ctx}: the backup wrote to the database"
        );
        db.close();
        evidence_verified(&sdb, &ctx);
        let complete = archive.exists();
        if complete {
            ok(
                parindex(&sdb).args(["backup", "--verify", &a]),
                &format!("{ctx}: the archive left"),
            );
        }
        assert!(
            !finished || complete,
            "{ctx}: the backup finished but wrote no archive"
        );
        left_behind += leftovers(&out_dir).len();
        let t = Instant::now();
        ok(
            parindex(&sdb).args(["backup", "-o", &a]),
            &format!("{ctx}: the backup again"),
        );
        timing.add(t.elapsed());
        ok(
            parindex(&sdb).args(["backup", "--verify", &a]),
            &format!("{ctx}: the new archive"),
        );
        let left = leftovers(&out_dir);
        assert!(
            left.is_empty(),
            "{ctx}: files left beside the archive: {left:?}"
        );
        tally.record(usize::from(complete), finished);
    }
    tally.note(format!(
        "{left_behind} unfinished archive(s) left by killed backups, each removed by the next backup"
    ));
    tally.report();
}

/// Rows per table of an archive, from its manifest.
fn manifest_rows(archive: &Path) -> Vec<(String, u64, String)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(archive).expect("the archive"))
        .expect("a zip archive");
    let m: serde_json::Value =
        serde_json::from_reader(z.by_name("manifest.json").expect("the manifest"))
            .expect("the manifest's JSON");
    m["tables"]
        .as_array()
        .expect("the manifest's tables")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or("").to_string(),
                t["rows"].as_u64().unwrap_or(0),
                t["sha256"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A restore into a new database killed while it runs (migrations included): the database is
/// sound and either empty or wholly restored, the evidence files of what is restored are there,
/// and a restore run again (with `--replace` when the killed one had finished) succeeds and
/// gives back the archive's tables byte for byte.
pub fn restore(backend: Backend) {
    if backend == Backend::Postgres && super::harness::pg_admin().is_none() {
        return skipped(backend, "a restore");
    }
    let Some(source) = filled(Backend::Sqlite) else {
        return;
    };
    let archive = source.dir.path().join("nguon.zip");
    let a = archive.to_str().expect("UTF-8").to_string();
    ok(
        parindex(&source).args(["backup", "-o", &a]),
        "the archive to restore",
    );
    let tables = manifest_rows(&archive);
    let full: Vec<String> = tables.iter().map(|(t, n, _)| format!("{t}: {n}")).collect();
    let empty: Vec<String> = tables.iter().map(|(t, _, _)| format!("{t}: 0")).collect();
    let counts = |db: &mut Db| -> Vec<String> {
        tables
            .iter()
            .map(|(t, _, _)| {
                let n = if db.has_table(t) {
                    db.count(&format!("SELECT COUNT(*) FROM {t}"))
                } else {
                    0
                };
                format!("{t}: {n}")
            })
            .collect()
    };
    let mut dice = Dice::new(&format!("restore/{}", backend.name()));
    let mut tally = Tally::new("restore", backend, 1);
    // Timed on new databases only: a restore run again after a kill may find the migrations
    // done, and would make the kills land early.
    let mut timing = Timing::default();
    for _ in 0..2 {
        let warm = ScenarioDb::empty(backend).expect("a database");
        let t = Instant::now();
        ok(parindex(&warm).args(["restore", &a]), "the warm-up restore");
        timing.add(t.elapsed());
    }
    for n in 0..kills() {
        let sdb = ScenarioDb::empty(backend).expect("a database");
        let delay = dice.kill_moment(timing.typical());
        let ctx = tally.context(n, delay);
        let ended = run_killed(parindex(&sdb).args(["restore", &a]), delay, sdb.dir.path());
        let finished = matches!(ended, Ended::Exited(s, _) if s.success());
        if let Ended::Exited(s, err) = &ended {
            assert!(s.success(), "{ctx}: the restore failed on its own: {err}");
        }
        let state = match sdb.open() {
            None => empty.clone(),
            Some(mut db) => {
                db.wait_for_others_to_leave();
                let problems = db.integrity_problems();
                assert!(problems.is_empty(), "{ctx}: integrity: {problems:#?}");
                let c = db.snapshot(|db| counts(db));
                db.close();
                c
            }
        };
        let restored = if state == full {
            true
        } else if state == empty {
            false
        } else {
            panic!("{ctx}: a partial restore is visible: {state:#?}");
        };
        assert!(
            !finished || restored,
            "{ctx}: the restore finished but is not there"
        );
        if sdb.open().is_some() {
            evidence_verified(&sdb, &ctx);
        }
        if restored {
            let out = parindex(&sdb)
                .args(["restore", &a])
                .output()
                .expect("parindex runs");
            assert!(
                !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--replace"),
                "{ctx}: a restore into the restored database must be refused without --replace"
            );
            ok(
                parindex(&sdb).args(["restore", "--replace", &a]),
                &format!("{ctx}: restore --replace"),
            );
        } else {
            ok(
                parindex(&sdb).args(["restore", &a]),
                &format!("{ctx}: the restore again"),
            );
        }
        // The tables come back byte for byte, and every evidence file with them.
        let again = sdb.dir.path().join("again.zip");
        ok(
            parindex(&sdb).args(["backup", "-o", again.to_str().expect("UTF-8")]),
            &format!("{ctx}: a backup of the restored database"),
        );
        let got: Vec<(String, u64, String)> = manifest_rows(&again);
        assert_eq!(
            got, tables,
            "{ctx}: the restored tables differ from the archive's"
        );
        evidence_verified(&sdb, &ctx);
        tally.record(usize::from(restored), finished);
    }
    tally.report();
}

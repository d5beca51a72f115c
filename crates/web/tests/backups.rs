//! Scheduled backups in a running application: with a one-second interval the task writes
//! archives that `backup --verify` accepts (private files in a private folder, named by the
//! time in Asia/Ho_Chi_Minh), keeps only the newest N, records each in the audit log; the
//! administrator's page shows the last one (time, size, file), the schedule, and a clear empty
//! state; nobody else may see it.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use parindex_store::backup::{verify_archive, Limits, Silent};
use parindex_store::evidence::{EvidenceConfig, NewEvidenceFile};
use parindex_web::backups::{self, BackupSchedule, Backups};
use parindex_web::{router, AppState, WebConfig};
use std::time::{Duration, Instant};

fn with_backups(app: &mut TestApp, b: Option<std::sync::Arc<Backups>>, evidence: &EvidenceConfig) {
    app.router = router(AppState {
        store: app.db.store.clone(),
        config: WebConfig {
            login_delay_ms: 1,
            evidence_dir: evidence.dir.clone(),
            backup: b,
            ..WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(jiff::civil::date(2021, 8, 15)),
    });
}

async fn backups_audited(app: &TestApp) -> Vec<String> {
    app.store()
        .audit_log(&parindex_store::AuditFilter {
            entity: Some("backup".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "backup" && a.actor == "system")
        .map(|a| a.entity_id)
        .collect()
}

#[tokio::test]
async fn scheduled_backups_are_written_verified_kept_and_shown_to_the_administrator_alone() {
    let mut app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let evidence = EvidenceConfig::new(dir.path().join("evidence"));
    evidence.ensure_folder().unwrap();
    app.store()
        .add_evidence_file(
            &evidence,
            &NewEvidenceFile {
                file_name: "quyet-dinh.pdf".into(),
                bytes: b"%PDF-1.4\n% quyet dinh\n%%EOF\n".to_vec(),
                title: "Quyết định".into(),
                unit: Some("so-tu-phap".into()),
                sample: false,
            },
            None,
            "agency",
        )
        .await
        .unwrap();

    // Not configured: the administrator is told so, and how.
    with_backups(&mut app, None, &evidence);
    let page = app.get("/backups", Some("admin")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"backups-not-configured\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("--backup-dir"));
    assert!(app
        .get("/", Some("admin"))
        .await
        .body
        .contains("href=\"/backups\""));

    // Configured, before the first backup: "no backup yet".
    let folder = dir.path().join("sao-luu");
    let b = Backups::new(BackupSchedule {
        dir: folder.clone(),
        every: Duration::from_secs(1),
        keep: 2,
    });
    with_backups(&mut app, Some(b.clone()), &evidence);
    parindex_store::files::ensure_private_dir(&folder).unwrap();
    let page = app.get("/backups", Some("admin")).await;
    assert!(page.body.contains("id=\"backups-none\""), "{}", page.body);
    assert!(page.body.contains(&folder.display().to_string()));

    // Running: at once, then every second; wait for four.
    let task = backups::spawn(app.store().clone(), evidence.clone(), b.clone());
    let start = Instant::now();
    while backups_audited(&app).await.len() < 4 {
        assert!(start.elapsed() < Duration::from_secs(60), "too slow");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let written = backups_audited(&app).await;
    {
        // No backup while the folder is looked at.
        let _hold = b.hold().await;
        let kept = backups::list_archives(&folder).unwrap();
        assert_eq!(kept.len(), 2, "{kept:?}");
        let names: Vec<&str> = kept.iter().map(|a| a.name.as_str()).collect();
        assert!(
            written.iter().any(|w| w == names[1]),
            "{names:?} {written:?}"
        );
        // Nothing else in the folder: no partial archive left.
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);
        for a in &kept {
            let path = folder.join(&a.name);
            let (m, v) = verify_archive(&path, Limits::default(), &Silent).unwrap();
            assert_eq!(v.evidence_files, 1, "{}", a.name);
            assert!(m.tables.iter().any(|t| t.name == "users" && t.rows == 6));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", a.name);
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        // The name is the time in Asia/Ho_Chi_Minh: within a minute of now there.
        let newest = kept.last().unwrap();
        let now = jiff::Timestamp::now();
        let taken = newest.timestamp().unwrap();
        assert!(
            now.duration_since(taken).as_secs().abs() < 60,
            "{} vs {now}",
            newest.name
        );

        // The administrator's page: the last backup's time, size and file, the schedule.
        let page = app.get("/backups", Some("admin")).await;
        assert_eq!(page.status, StatusCode::OK);
        let last = page
            .body
            .split("id=\"backup-last-kv\"")
            .nth(1)
            .unwrap_or_default();
        assert!(last.contains(&newest.name), "{}", page.body);
        assert!(
            last.contains(&newest.taken.strftime("%d/%m/%Y %H:%M:%S").to_string()),
            "{}",
            page.body
        );
        let size =
            parindex_web::pages::backups::size_text(parindex_web::i18n::Lang::Vi, newest.bytes);
        assert!(last.contains(&size), "{size}: {}", page.body);
        for a in &kept {
            assert!(page.body.contains(&a.name));
        }
        assert!(page.body.contains("<dd>1s</dd>") && page.body.contains("<dd>2</dd>"));
        assert!(!page.body.contains("id=\"backup-failure\""));
        // Nobody else.
        for role in ["coordinator", "lead", "agency", "appraiser", "leader"] {
            assert_eq!(
                app.get("/backups", Some(role)).await.status,
                StatusCode::FORBIDDEN,
                "{role}"
            );
            assert!(!app
                .get("/", Some(role))
                .await
                .body
                .contains("href=\"/backups\""));
        }
        let anon = app.get("/backups", None).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER);
    }
    task.abort();
    let _ = task.await;
    app.db.cleanup().await;
}

/// A backup that cannot be written (its folder is a file) is logged, shown on the page and
/// audited; nothing is left behind; the schedule retries.
#[tokio::test]
async fn a_failed_backup_is_shown_and_audited() {
    let mut app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let evidence = EvidenceConfig::new(dir.path().join("evidence"));
    let not_a_folder = dir.path().join("sao-luu");
    std::fs::write(&not_a_folder, b"a file where the folder should be").unwrap();
    let b = Backups::new(BackupSchedule {
        dir: not_a_folder.clone(),
        every: Duration::from_secs(3600),
        keep: 2,
    });
    with_backups(&mut app, Some(b.clone()), &evidence);
    let err = b.run_once(app.store(), &evidence).await.unwrap_err();
    assert!(
        matches!(
            &err,
            backups::BackupFailure::Folder {
                why: "not_a_folder",
                ..
            }
        ),
        "{err:?}"
    );
    let page = app.get("/backups", Some("admin")).await;
    assert!(page.body.contains("id=\"backup-failure\""), "{}", page.body);
    // In Vietnamese, the folder named; the system's own words beside it, as code.
    assert!(
        page.body
            .contains("không phải là thư mục (có thể là một tệp cùng tên)"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("{} không phải", not_a_folder.display())));
    assert!(page.body.contains("<code class=\"detail\">"));
    let failed = app
        .store()
        .audit_log(&parindex_store::AuditFilter {
            entity: Some("backup".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].action, "backup_failed");
    assert_eq!(
        std::fs::read(&not_a_folder).unwrap(),
        b"a file where the folder should be"
    );
    // The next try comes after the retry delay, not at once.
    assert_eq!(
        backups::retry_delay(Duration::from_secs(3600)),
        Duration::from_secs(600)
    );
    app.db.cleanup().await;
}

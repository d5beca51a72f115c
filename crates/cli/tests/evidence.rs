//! `parindex evidence verify`: every stored evidence file re-hashed; a file changed or missing
//! on disk is listed and the exit code is non-zero.

use parindex_store::evidence::{EvidenceConfig, NewEvidenceFile};
use parindex_store::Store;
use std::process::{Command, Output};

fn parindex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex"))
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .env_remove("PARINDEX_EVIDENCE_DIR")
        .output()
        .expect("the parindex binary runs")
}

#[tokio::test]
async fn verify_detects_a_file_changed_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    // The default folder: `evidence` beside the database file.
    let cfg = EvidenceConfig::new(dir.path().join("evidence"));
    let e = store
        .add_evidence_file(
            &cfg,
            &NewEvidenceFile {
                file_name: "Kế hoạch.pdf".into(),
                bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
                title: String::new(),
                unit: None,
                sample: false,
            },
            None,
            "test",
        )
        .await
        .unwrap();
    store.close().await;
    let sha = e.sha256.unwrap();

    let ok = parindex(&["--db", &url, "evidence", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("1 evidence file(s) checked"));

    std::fs::write(cfg.path_of(&sha), b"%PDF-1.4 changed\n").unwrap();
    let changed = parindex(&["--db", &url, "evidence", "verify"]);
    assert!(!changed.status.success(), "a changed file fails the check");
    let out = String::from_utf8_lossy(&changed.stdout);
    assert!(
        out.contains("CHANGED") && out.contains(&sha) && out.contains("Kế hoạch.pdf"),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&changed.stderr).contains("1 changed on disk"));

    // The folder can be named; a folder without the file reports it missing.
    let elsewhere = dir.path().join("elsewhere");
    let missing = parindex(&[
        "--db",
        &url,
        "--evidence-dir",
        elsewhere.to_str().unwrap(),
        "evidence",
        "verify",
        "--json",
    ]);
    assert!(!missing.status.success());
    let report: serde_json::Value = serde_json::from_slice(&missing.stdout).unwrap();
    assert_eq!(report["missing"][0][0], sha);
}

/// The server does not start on an evidence folder others may read (issue 9), and says which
/// folder and why; a private one is accepted.
#[cfg(unix)]
#[test]
fn serve_refuses_an_evidence_folder_open_to_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let open = dir.path().join("ho-so");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = parindex(&[
        "--db",
        &url,
        "--evidence-dir",
        open.to_str().unwrap(),
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success(), "the server must not start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("evidence folder refused")
            && err.contains(open.to_str().unwrap())
            && err.contains("0755"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&open).unwrap().count(),
        0,
        "nothing written"
    );
}

//! Evidence files on disk (issue 9): the folder is created `0700`, its sub-folders `0700` and
//! its files `0600`; a folder open to group or others is refused and nothing is stored; files
//! stored before (with the old, wider modes) are still read. SQLite and PostgreSQL.

#![cfg(unix)]

use parindex_store::evidence::{EvidenceConfig, NewEvidenceFile};
use parindex_store::{on_both_backends, Store};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

on_both_backends!(evidence_is_private_and_a_wide_folder_is_refused);

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().mode() & 0o777
}

fn pdf(name: &str, body: &str) -> NewEvidenceFile {
    NewEvidenceFile {
        file_name: name.into(),
        bytes: format!("%PDF-1.4\n{body}\n%%EOF\n").into_bytes(),
        title: String::new(),
        unit: None,
        sample: false,
    }
}

async fn evidence_is_private_and_a_wide_folder_is_refused(store: &Store) {
    let tmp = tempfile::tempdir().unwrap();
    // A missing folder: created private, with the file's folder and the file.
    let cfg = EvidenceConfig::new(tmp.path().join("data").join("evidence"));
    let e = store
        .add_evidence_file(&cfg, &pdf("Kế hoạch.pdf", "a"), None, "test")
        .await
        .unwrap();
    let sha = e.sha256.clone().unwrap();
    let file = cfg.path_of(&sha);
    assert_eq!(mode(&cfg.dir), 0o700);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    assert_eq!(mode(&file), 0o600);
    let (_, bytes) = store.read_evidence_file(&cfg, e.id).await.unwrap().unwrap();
    assert!(bytes.starts_with(b"%PDF"));

    // A file stored by an earlier version (0644 in a 0755 sub-folder) is still read.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        file.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert!(store
        .read_evidence_file(&cfg, e.id)
        .await
        .unwrap()
        .is_some());
    assert!(store.verify_evidence(&cfg).await.unwrap().ok());

    // The folder opened to others: refused, nothing written, nothing recorded.
    std::fs::set_permissions(&cfg.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let problem = cfg.ensure_folder().unwrap_err();
    assert_eq!(problem.key(), "too_open");
    let before = store.unit_evidence(None).await.unwrap().len();
    let err = store
        .add_evidence_file(&cfg, &pdf("Báo cáo.pdf", "b"), None, "test")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("0755"), "{err}");
    assert_eq!(store.unit_evidence(None).await.unwrap().len(), before);
    let files: usize = std::fs::read_dir(&cfg.dir)
        .unwrap()
        .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
        .sum();
    assert_eq!(files, 1, "only the first file is on disk");
}

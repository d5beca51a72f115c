//! Private folders and files on disk: the evidence folder and the dossier upload's staging
//! folder hold what units upload, so only the server's own user may list or read them.
//!
//! On Unix a folder is created `0700` and a file `0600`. A folder that already exists must be
//! owned by the server's user and give nothing to group or others; otherwise it is refused (a
//! [`FolderProblem`] naming the folder and why) rather than used: a folder another user owns
//! can be emptied or read by them, and a wider mode lets every local user read the uploads.
//! Elsewhere (Windows) folders and files are created as usual and not checked.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a folder cannot hold private files.
#[derive(Debug)]
pub enum FolderProblem {
    /// Another user owns it.
    NotOwned { dir: PathBuf, owner: u32, us: u32 },
    /// Group or others have some access (the mode, e.g. `0o755`).
    TooOpen { dir: PathBuf, mode: u32 },
    /// It is not a folder (a file, or a symbolic link).
    NotAFolder { dir: PathBuf },
    /// It cannot be created or inspected.
    Io { dir: PathBuf, error: io::Error },
}

impl FolderProblem {
    /// The folder concerned.
    pub fn dir(&self) -> &Path {
        match self {
            FolderProblem::NotOwned { dir, .. }
            | FolderProblem::TooOpen { dir, .. }
            | FolderProblem::NotAFolder { dir }
            | FolderProblem::Io { dir, .. } => dir,
        }
    }

    /// A short key of the reason (`not_owned`, `too_open`, `not_a_folder`, `io`), for
    /// catalogued messages.
    pub fn key(&self) -> &'static str {
        match self {
            FolderProblem::NotOwned { .. } => "not_owned",
            FolderProblem::TooOpen { .. } => "too_open",
            FolderProblem::NotAFolder { .. } => "not_a_folder",
            FolderProblem::Io { .. } => "io",
        }
    }
}

impl fmt::Display for FolderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FolderProblem::NotOwned { dir, owner, us } => write!(
                f,
                "the folder {} is owned by user {owner}, not by this server's user ({us}); \
                 refused: choose a folder of our own",
                dir.display()
            ),
            FolderProblem::TooOpen { dir, mode } => write!(
                f,
                "the folder {} has mode {mode:04o}: group or others may read it; refused: \
                 run `chmod 700 {}` (and `chmod 600` on its files)",
                dir.display(),
                dir.display()
            ),
            FolderProblem::NotAFolder { dir } => write!(
                f,
                "{} is not a folder (a file or a symbolic link); refused",
                dir.display()
            ),
            FolderProblem::Io { dir, error } => {
                write!(f, "the folder {} cannot be used: {error}", dir.display())
            }
        }
    }
}

impl std::error::Error for FolderProblem {}

/// The user this process runs as: the owner of a file it has just created (std has no
/// `geteuid`, and this crate keeps `unsafe` to `sqlite_bulk`). Asked once.
#[cfg(unix)]
fn current_uid() -> io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    use std::sync::OnceLock;
    static UID: OnceLock<u32> = OnceLock::new();
    if let Some(uid) = UID.get() {
        return Ok(*uid);
    }
    let probe =
        std::env::temp_dir().join(format!(".parindex-uid-{}", uuid::Uuid::new_v4().simple()));
    let file = create_private_file(&probe)?;
    let uid = file.metadata().map(|m| m.uid());
    drop(file);
    let _ = std::fs::remove_file(&probe);
    let uid = uid?;
    Ok(*UID.get_or_init(|| uid))
}

/// Make sure `dir` exists and is private: created `0700` (with any missing parents) when it is
/// missing; refused when it exists but is not a folder, is owned by another user or lets group or
/// others in. Blocking (a few system calls): call it at start-up or from `spawn_blocking`, or
/// accept the short wait.
pub fn ensure_private_dir(dir: &Path) -> Result<(), FolderProblem> {
    let io_problem = |error: io::Error| FolderProblem::Io {
        dir: dir.to_path_buf(),
        error,
    };
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => check_private(dir, &meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir).map_err(io_problem)?;
            // Created by us (or, in a race, by someone else: check it as found).
            let meta = std::fs::symlink_metadata(dir).map_err(io_problem)?;
            check_private(dir, &meta)
        }
        Err(e) => Err(io_problem(e)),
    }
}

#[cfg(unix)]
fn check_private(dir: &Path, meta: &std::fs::Metadata) -> Result<(), FolderProblem> {
    use std::os::unix::fs::MetadataExt;
    if !meta.file_type().is_dir() {
        return Err(FolderProblem::NotAFolder {
            dir: dir.to_path_buf(),
        });
    }
    let us = current_uid().map_err(|error| FolderProblem::Io {
        dir: dir.to_path_buf(),
        error,
    })?;
    if meta.uid() != us {
        return Err(FolderProblem::NotOwned {
            dir: dir.to_path_buf(),
            owner: meta.uid(),
            us,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(FolderProblem::TooOpen {
            dir: dir.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(dir: &Path, meta: &std::fs::Metadata) -> Result<(), FolderProblem> {
    if meta.is_dir() {
        Ok(())
    } else {
        Err(FolderProblem::NotAFolder {
            dir: dir.to_path_buf(),
        })
    }
}

/// Create a private sub-folder (`0700`) inside a folder already checked; it must not exist.
pub fn create_private_subdir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Create a new file readable and writable by this user only (`0600`); it must not exist.
pub fn create_private_file(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Write `bytes` to a new private file (`0600`).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = create_private_file(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o777
    }

    fn scratch() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "parindex-files-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        create_private_subdir(&d).unwrap();
        d
    }

    #[test]
    fn folders_are_created_private_and_files_0600() {
        let root = scratch();
        let deep = root.join("a").join("b");
        ensure_private_dir(&deep).unwrap();
        assert_eq!(mode(&root.join("a")), 0o700);
        assert_eq!(mode(&deep), 0o700);
        ensure_private_dir(&deep).unwrap();
        let f = deep.join("f.bin");
        write_private_file(&f, b"x").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert!(
            write_private_file(&f, b"y").is_err(),
            "never over an existing file"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_wider_folder_a_file_or_another_owner_is_refused() {
        let root = scratch();
        let open = root.join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = ensure_private_dir(&open).unwrap_err();
        assert_eq!(e.key(), "too_open");
        assert!(
            matches!(&e, FolderProblem::TooOpen { dir, mode } if dir == &open && mode & 0o777 == 0o755),
            "{e}"
        );
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o710)).unwrap();
        assert_eq!(ensure_private_dir(&open).unwrap_err().key(), "too_open");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o700)).unwrap();
        ensure_private_dir(&open).unwrap();
        let file = root.join("file");
        std::fs::write(&file, b"").unwrap();
        assert_eq!(ensure_private_dir(&file).unwrap_err().key(), "not_a_folder");
        let link = root.join("link");
        std::os::unix::fs::symlink(&open, &link).unwrap();
        assert_eq!(ensure_private_dir(&link).unwrap_err().key(), "not_a_folder");
        // Another owner: only root can hand a folder to someone else.
        if current_uid().unwrap() == 0 {
            let theirs = root.join("theirs");
            create_private_subdir(&theirs).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
            let e = ensure_private_dir(&theirs).unwrap_err();
            assert_eq!(e.key(), "not_owned");
            assert!(
                matches!(e, FolderProblem::NotOwned { owner: 65534, .. }),
                "{e}"
            );
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}

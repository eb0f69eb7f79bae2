//! Atomic, tidy output: every file of a build is written into a staging folder
//! next to the target, which replaces the target only when the whole build
//! succeeded. A lock file beside the target (`.<name>.lock`) serialises builds of
//! one target (a second run waits); whoever holds it removes the staging folders
//! that killed builds left behind. On Linux and macOS the staged tree and the
//! target trade places in one atomic exchange, so the target is always a
//! complete build; elsewhere two renames leave a short gap, which the next build
//! repairs from the kept copy. A failed step is an `OutputError`: what was being
//! done, and the file system's reason.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A step of writing the output that failed: what was being done (the message)
/// and the file system's reason (its source, which `{:#}` appends as `: reason`).
#[derive(Debug, thiserror::Error)]
#[error("{doing}")]
pub struct OutputError {
    doing: String,
    #[source]
    source: std::io::Error,
}

type Result<T> = std::result::Result<T, OutputError>;

/// `.with_context(|| "cannot …")` on an I/O result, into an `OutputError`.
trait Context<T> {
    fn with_context(self, doing: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for std::io::Result<T> {
    fn with_context(self, doing: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| OutputError {
            doing: doing(),
            source,
        })
    }
}

pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
    // Declared last: dropped after `Drop::drop` removed an uncommitted staging folder.
    _lock: OutputLock,
}

impl Staging {
    /// A fresh staging folder beside `target` (same file system, so the final swap is
    /// atomic). Waits for any other build of `target`, then removes stale staging folders.
    pub fn new(target: &Path) -> Result<Staging> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let lock = OutputLock::acquire(&parent.join(format!(".{name}.lock")), target)?;
        tidy(parent, &name, target)?;
        let dir = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
            _lock: lock,
        })
    }

    /// The staging folder; stages may also write below it directly.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `bytes` at `rel` (a `/`-separated path), creating parent folders.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        write_file(&self.dir.join(rel), bytes.as_ref())
    }

    /// Replaces the target with the staged tree, then deletes the previous build.
    pub fn commit(mut self) -> Result<()> {
        if std::fs::symlink_metadata(&self.target).is_err() {
            std::fs::rename(&self.dir, &self.target)
                .with_context(|| format!("cannot move the build into {}", self.target.display()))?;
        } else if exchange(&self.dir, &self.target)
            .with_context(|| format!("cannot swap the build into {}", self.target.display()))?
        {
            // The staging path now holds the previous build. A kill while deleting it
            // leaves a stale staging folder, which the next build removes.
            std::fs::remove_dir_all(&self.dir).ok();
        } else {
            replace_by_renames(&self.dir, &self.target)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_dir_all(&self.dir).ok();
        }
    }
}

/// The fallback without an atomic exchange: moves the old build aside under a name
/// the next build restores from if this process dies between the two renames.
fn replace_by_renames(staged: &Path, target: &Path) -> Result<()> {
    let old = old_name(staged);
    std::fs::rename(target, &old)
        .with_context(|| format!("cannot move {} aside", target.display()))?;
    std::fs::rename(staged, target)
        .with_context(|| format!("cannot move the build into {}", target.display()))?;
    std::fs::remove_dir_all(&old).ok();
    Ok(())
}

/// `.<name>.old-<pid>` beside the staging folder `.<name>.tmp-<pid>`.
fn old_name(staging: &Path) -> PathBuf {
    let n = staging
        .file_name()
        .expect("Staging::new names the folder `.<name>.tmp-<pid>`")
        .to_string_lossy();
    staging.with_file_name(n.replacen(".tmp-", ".old-", 1))
}

/// Removes what killed builds of `target` left (`.<name>.tmp-*`, `.<name>.old*`).
/// Only called with the lock held, so no live build owns them. A missing target
/// with a moved-aside previous build (a kill between the fallback's renames) gets
/// that build back first.
fn tidy(parent: &Path, name: &str, target: &Path) -> Result<()> {
    let tmp = format!(".{name}.tmp-");
    let old = format!(".{name}.old");
    let mut stale: Vec<(PathBuf, bool)> = Vec::new();
    let entries = match std::fs::read_dir(parent) {
        Ok(e) => e,
        Err(_) => return Ok(()),
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let is_old = n == old || n.starts_with(&format!("{old}-"));
        if is_old || n.starts_with(&tmp) {
            stale.push((e.path(), is_old));
        }
    }
    stale.sort();
    if std::fs::symlink_metadata(target).is_err() {
        if let Some((p, _)) = stale.iter().find(|(p, is_old)| *is_old && p.is_dir()) {
            std::fs::rename(p, target).ok();
        }
    }
    for (p, _) in stale {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let gone = if meta.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        gone.with_context(|| {
            format!(
                "cannot remove {}, left by an interrupted build; remove it by hand",
                p.display()
            )
        })?;
    }
    Ok(())
}

/// Atomically trades the names of two existing paths; Ok(false) when this system
/// or file system has no such operation.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (a, b) = (c_path(a)?, c_path(b)?);
    // The raw system call: glibc's renameat2 wrapper is newer than some distributions.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    exchanged(r as i32)
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (a, b) = (c_path(a)?, c_path(b)?);
    let r = unsafe { libc::renamex_np(a.as_ptr(), b.as_ptr(), libc::RENAME_SWAP) };
    exchanged(r)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "ios")))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "ios"))]
fn c_path(p: &Path) -> std::io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "ios"))]
fn exchanged(r: i32) -> std::io::Result<bool> {
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        // Old kernels and file systems without the flag: use the fallback.
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP) => Ok(false),
        _ => Err(e),
    }
}

/// An exclusive lock on `.<name>.lock` beside the output, holding the owner's pid.
/// The owner deletes the file before unlocking, so nothing is left after a build.
struct OutputLock {
    file: File,
    path: PathBuf,
}

impl OutputLock {
    fn acquire(path: &Path, target: &Path) -> Result<OutputLock> {
        let mut told = false;
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .with_context(|| format!("cannot open the lock file {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !told {
                        let mut pid = String::new();
                        file.read_to_string(&mut pid).ok();
                        let pid = pid.trim();
                        let who = if pid.is_empty() {
                            String::new()
                        } else {
                            format!(" (pid {pid})")
                        };
                        eprintln!(
                            "waiting for another policybook build{who} to finish writing {} (lock {})",
                            target.display(),
                            path.display()
                        );
                        told = true;
                    }
                    file.lock()
                        .with_context(|| format!("cannot lock {}", path.display()))?;
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
            // The previous owner may have deleted the file while this one waited:
            // a lock on a deleted file guards nothing, so start again.
            if !still_at(&file, path) {
                continue;
            }
            file.set_len(0).ok();
            write!(file, "{}", std::process::id()).ok();
            return Ok(OutputLock {
                file,
                path: path.to_path_buf(),
            });
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Delete while still locked (unix only: elsewhere an open file cannot be
        // deleted); closing `file` right after releases the lock.
        if cfg!(unix) {
            std::fs::remove_file(&self.path).ok();
        }
        self.file.unlock().ok();
    }
}

#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_: &File, _: &Path) -> bool {
    true
}

/// Writes a file, creating its parent folders.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).with_context(|| format!("cannot create {}", p.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Pretty JSON with a trailing newline: the one JSON style of every output file.
pub fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values serialise");
    s.push('\n');
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn stage(target: &Path, file: &str) {
        let s = Staging::new(target).unwrap();
        s.write(file, "x").unwrap();
        s.commit().unwrap();
    }

    #[test]
    fn commit_replaces_the_target_and_leaves_nothing_beside_it() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("dist");
        stage(&target, "a.txt");
        stage(&target, "b.txt");
        assert_eq!(names(&target), ["b.txt"]);
        assert_eq!(names(tmp.path()), ["dist"]);
    }

    #[test]
    fn the_fallback_replaces_the_target() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("dist");
        let staged = tmp.path().join(".dist.tmp-1");
        std::fs::create_dir_all(target.join("old")).unwrap();
        std::fs::create_dir_all(staged.join("new")).unwrap();
        replace_by_renames(&staged, &target).unwrap();
        assert_eq!(names(&target), ["new"]);
        assert_eq!(names(tmp.path()), ["dist"]);
    }

    #[test]
    fn a_build_moved_aside_by_a_killed_fallback_is_put_back_first() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("dist");
        std::fs::create_dir_all(tmp.path().join(".dist.old-77/site")).unwrap();
        std::fs::create_dir_all(tmp.path().join(".dist.tmp-77/partial")).unwrap();
        let s = Staging::new(&target).unwrap();
        // Until this build commits, the previous one is in place again.
        assert_eq!(names(&target), ["site"]);
        drop(s);
        assert_eq!(names(tmp.path()), ["dist"]);
    }
}

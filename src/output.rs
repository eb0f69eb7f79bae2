//! Atomic output: every file of a build is written into a staging folder next
//! to the target, which replaces the target only when the whole build succeeded.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    /// A fresh staging folder beside `target` (same file system, so the final rename is atomic).
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
        let dir = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).ok();
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
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

    /// Replaces the target with the staged tree.
    pub fn commit(mut self) -> Result<()> {
        let old = self.dir.with_extension("old");
        if self.target.exists() {
            std::fs::rename(&self.target, &old)
                .with_context(|| format!("cannot move {} aside", self.target.display()))?;
        }
        std::fs::rename(&self.dir, &self.target)
            .with_context(|| format!("cannot move the build into {}", self.target.display()))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).ok();
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

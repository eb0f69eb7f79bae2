//! Walking a source folder (rules under policies/, the book's other files, theme
//! files) with one rule for symbolic links: a link is followed when it resolves
//! inside the project, and a link that resolves outside it, dangles or loops is
//! reported with the link and its target. Nothing is skipped without a word.

use std::path::{Path, PathBuf};

use walkdir::{DirEntry, WalkDir};

/// Path of `p` relative to `root`, `/`-separated, for messages.
pub fn relative(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Files found, sorted, and the links (or unreadable entries) that were not followed.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    pub problems: Vec<WalkProblem>,
}

/// An entry the walk could not follow: `path` is the link (or entry) itself.
#[derive(Debug)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub message: String,
}

/// Walks `dir` (inside `project`), following symbolic links that resolve inside
/// the project. `enter` decides whether a folder below `dir` is walked (e.g. not
/// `samples/`, not dot-folders); `wanted` whether a file (by its path under `dir`,
/// the link's own name for a link) is one the caller reads, so that problems are
/// only reported for entries that matter. A missing `dir` yields nothing.
pub fn walk_files(
    project: &Path,
    dir: &Path,
    mut enter: impl FnMut(&DirEntry) -> bool,
    wanted: impl Fn(&Path) -> bool,
) -> Walked {
    let mut out = Walked::default();
    if !dir.exists() {
        return out;
    }
    let project_real = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
    let mut it = WalkDir::new(dir).follow_links(true).into_iter();
    loop {
        let entry = match it.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                let Some(path) = e.path().map(Path::to_path_buf) else {
                    continue;
                };
                let message = if let Some(ancestor) = e.loop_ancestor() {
                    format!(
                        "symbolic link `{}` makes a loop: it leads back to `{}`",
                        shown(project, &path),
                        shown(project, ancestor)
                    )
                } else if path.is_symlink() {
                    // Following failed: a dangling link, or one that loops on itself.
                    // Its kind is unknown: report it when it could be a wanted file
                    // or a folder (no extension), not for an editor's lock link.
                    if !(wanted(&path) || could_be_folder(&path)) {
                        continue;
                    }
                    let why = match e.io_error() {
                        Some(x) if x.kind() == std::io::ErrorKind::NotFound => {
                            "which does not exist".to_string()
                        }
                        Some(x) => format!("which cannot be followed ({x})"),
                        None => "which cannot be followed".to_string(),
                    };
                    format!(
                        "symbolic link `{}` points to `{}`, {why}",
                        shown(project, &path),
                        target(&path)
                    )
                } else {
                    format!("cannot read `{}`: {e}", shown(project, &path))
                };
                out.problems.push(WalkProblem { path, message });
                continue;
            }
        };
        if entry.depth() > 0 && entry.file_type().is_dir() && !enter(&entry) {
            it.skip_current_dir();
            continue;
        }
        if entry.path_is_symlink() {
            let is_dir = entry.file_type().is_dir();
            if is_dir || wanted(entry.path()) {
                match std::fs::canonicalize(entry.path()) {
                    Ok(real) if real.starts_with(&project_real) => {}
                    Ok(real) => {
                        out.problems.push(WalkProblem {
                            path: entry.path().to_path_buf(),
                            message: format!(
                                "symbolic link `{}` points to `{}`, outside the project folder `{}`",
                                shown(project, entry.path()),
                                real.display(),
                                project_real.display()
                            ),
                        });
                        if is_dir {
                            it.skip_current_dir();
                        }
                        continue;
                    }
                    Err(e) => {
                        out.problems.push(WalkProblem {
                            path: entry.path().to_path_buf(),
                            message: format!(
                                "symbolic link `{}` points to `{}`, which cannot be resolved ({e})",
                                shown(project, entry.path()),
                                target(entry.path())
                            ),
                        });
                        if is_dir {
                            it.skip_current_dir();
                        }
                        continue;
                    }
                }
            }
        }
        if entry.file_type().is_file() && wanted(entry.path()) {
            out.files.push(entry.into_path());
        }
    }
    out.files.sort();
    out.problems.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn could_be_folder(path: &Path) -> bool {
    path.extension().is_none()
        && !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// The link's own target text, as written.
fn target(link: &Path) -> String {
    std::fs::read_link(link)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// `path` relative to the project, `/`-separated, for messages.
fn shown(project: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(project).unwrap_or(path);
    let s = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

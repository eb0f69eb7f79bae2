//! The book's source folder as the site sees it: whether a path in it stays
//! inside once symbolic links are followed, and the files besides chapters
//! (images, downloads, …) that the site serves as they are.

use std::path::Path;

use rayon::prelude::*;

use crate::diagnostics::{Diagnostics, Location};
use crate::model::Bundle;

/// Whether `rel` in the book's source folder is there once symbolic links are
/// followed (a linked chapter must not publish a file from elsewhere).
pub(super) fn inside_source(src_dir: &Path, rel: &str) -> bool {
    match (src_dir.join(rel).canonicalize(), src_dir.canonicalize()) {
        (Ok(real), Ok(base)) => real.starts_with(base),
        _ => true,
    }
}

/// The source folder's files that are neither Markdown nor dot-files, sorted, as
/// paths relative to it. Symbolic links are followed inside the project; others are
/// errors (never silently left out).
pub(super) fn static_files(
    src_dir: &Path,
    root: &Path,
    bundle: &Bundle,
    d: &mut Diagnostics,
) -> Vec<String> {
    let skip_root_dirs: Vec<String> = if src_dir == root {
        vec![
            bundle.config.site_dir(),
            bundle.config.output_dir().to_string(),
            "target".into(),
            "themes".into(),
        ]
    } else {
        Vec::new()
    };
    let walked = crate::walk::walk_files(
        root,
        src_dir,
        |e| {
            let name = e.file_name().to_string_lossy();
            !(name.starts_with('.')
                || (e.depth() == 1 && skip_root_dirs.iter().any(|s| *s == name)))
        },
        // Dot-files are skipped, Markdown is read through SUMMARY.md.
        |p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            !name.starts_with('.') && !name.ends_with(".md")
        },
    );
    for p in walked.problems {
        d.error(
            Location::new(crate::walk::relative(root, &p.path), (1, 1)),
            p.message,
            "point the link at a file inside the project, or replace it with the file itself",
        );
    }
    let mut v: Vec<String> = walked
        .files
        .iter()
        .filter_map(|p| {
            Some(
                p.strip_prefix(src_dir)
                    .ok()?
                    .to_string_lossy()
                    .replace('\\', "/"),
            )
        })
        .collect();
    v.sort();
    v
}

/// Copies `files` (from [`static_files`]) from the source folder into the site.
pub(super) fn copy(src_dir: &Path, files: &[String], out: &Path) -> anyhow::Result<()> {
    files.par_iter().try_for_each(|p| -> anyhow::Result<()> {
        let to = out.join(p);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(src_dir.join(p), to)?;
        Ok(())
    })
}

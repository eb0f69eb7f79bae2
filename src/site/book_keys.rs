//! mdBook `book.toml` keys the site honours beside the page rendering:
//! `[build] create-missing` (write a missing chapter file, as `mdbook build` does)
//! `[output.html] mathjax-support` (TeX is kept as written, with a warning:
//! the site loads nothing from the network) and `[output.html.search]
//! limit-results` (the most results a search shows; 30 by default); chapters
//! whose page would replace another page; how broken links count in a plain
//! book (`[output.linkcheck]`); other renderers' tables (not run, warned about).

use std::path::Path;

use crate::diagnostics::{Diagnostics, Location};
use crate::model::Bundle;

/// `[build] create-missing`: mdBook's default (true) in a plain book; in a
/// policybook project only when set, so a typo in SUMMARY.md stays an error there.
pub(super) fn create_missing(bundle: &Bundle) -> bool {
    let set = bundle
        .config
        .build
        .as_ref()
        .and_then(|b| b.get("create-missing"))
        .and_then(|v| v.as_bool());
    set.unwrap_or(bundle.config.policybook.is_none())
}

/// Why a missing chapter file was not created; shown after "cannot create the
/// missing chapter file `…`: ".
#[derive(Debug, thiserror::Error)]
pub(super) enum ChapterError {
    #[error("the path leads out of the book's source folder")]
    Outside,
    #[error("its folder leads through a symbolic link out of the book's source folder")]
    LinkOut,
    #[error("{0}")]
    Io(std::io::Error),
}

/// Writes `# title` into the missing chapter file `md` (relative to the source
/// folder), creating its folders. Refuses a path with `..` or one whose folder
/// leads out of the source folder through a symbolic link; never replaces a file.
pub(super) fn create_chapter(src_dir: &Path, md: &str, title: &str) -> Result<(), ChapterError> {
    if md.split('/').any(|s| s == ".." || s.is_empty()) || Path::new(md).is_absolute() {
        return Err(ChapterError::Outside);
    }
    let file = src_dir.join(md);
    let dir = file.parent().unwrap_or(src_dir);
    std::fs::create_dir_all(dir).map_err(ChapterError::Io)?;
    let src_real = src_dir.canonicalize().map_err(ChapterError::Io)?;
    let dir_real = dir.canonicalize().map_err(ChapterError::Io)?;
    if !dir_real.starts_with(&src_real) {
        return Err(ChapterError::LinkOut);
    }
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir_real.join(file.file_name().unwrap_or_default()))
        .map_err(ChapterError::Io)?;
    f.write_all(format!("# {title}\n").as_bytes())
        .map_err(ChapterError::Io)
}

/// The warning for `mathjax-support = true`, at its line of book.toml.
pub(super) fn mathjax_warning(bundle: &Bundle, d: &mut Diagnostics) {
    let on = bundle
        .config
        .output
        .get("html")
        .and_then(|h| h.get("mathjax-support"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if !on {
        return;
    }
    let text = std::fs::read_to_string(bundle.root.join("book.toml")).unwrap_or_default();
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("mathjax-support"))
        .map(|i| i + 1)
        .unwrap_or(1);
    d.warning(
        Location::new("book.toml", (line, 1)),
        "mathjax-support: the TeX is kept as written and not typeset (MathJax would be loaded from the network; the site stays offline)",
        "remove the key to silence this, or render the formulas to images or SVG before the build",
    );
}

/// `[output.html.search] limit-results`: written into `search/meta.js` as `limit`.
pub(super) fn search_limit(bundle: &Bundle, files: &mut [(String, String)]) {
    let Some(n) = bundle
        .config
        .output
        .get("html")
        .and_then(|h| h.get("search"))
        .and_then(|s| s.get("limit-results"))
        .and_then(|v| v.as_integer())
        .filter(|n| *n > 0)
    else {
        return;
    };
    for (path, text) in files.iter_mut() {
        if path == "search/meta.js" {
            *text = text.replacen("({\"docs\"", &format!("({{\"limit\":{n},\"docs\""), 1);
        }
    }
}

/// Chapters whose page would take the place of one the site writes itself
/// (`print.html`, `toc.html`: mdBook also refuses `print.md`) or of another
/// chapter's (`README.md` and `index.md` of one folder are both `index.html`):
/// an error at the chapter's SUMMARY.md line, never a page silently replaced.
pub(super) fn clashing_pages<'a>(
    pages: impl Iterator<Item = (&'a str, &'a str, &'a Location)>,
    d: &mut Diagnostics,
) {
    let mut seen: std::collections::HashMap<&str, (&str, &Location)> = Default::default();
    for (md, out, at) in pages {
        if matches!(out, "print.html" | "toc.html") {
            d.error(
                at.clone(),
                format!("chapter `{md}` would be written to `{out}`, which the site uses for its own page (mdBook reserves the name too)"),
                "rename the chapter file",
            );
        } else if let Some((first, first_at)) = seen.get(out) {
            d.error(
                at.clone(),
                format!(
                    "chapters `{first}` ({first_at}) and `{md}` would both be written to `{out}`"
                ),
                "rename one of them (README.md is the folder's index.html, as in mdBook)",
            );
        } else {
            seen.insert(out, (md, at));
        }
    }
}

/// Broken links and anchors (`ld`, from the link check) as the book wants them:
/// errors in a policybook project and in a book that asks for link checking
/// (`[output.linkcheck]`, as for mdbook-linkcheck); warnings in any other plain
/// mdBook book, which builds with mdBook whatever its links (mdBook checks none).
pub(super) fn link_problems(bundle: &Bundle, mut ld: Diagnostics) -> Diagnostics {
    if bundle.config.policybook.is_none() && !bundle.config.output.contains_key("linkcheck") {
        for x in &mut ld.0 {
            if x.level == crate::diagnostics::Level::Error {
                x.level = crate::diagnostics::Level::Warning;
                x.help.push_str(" (a warning, as mdBook checks no links; add an [output.linkcheck] table to book.toml to make broken links stop the build)");
            }
        }
    }
    ld
}

/// A warning for each `[output.<name>]` renderer besides html: mdBook would run it
/// (`mdbook-<name>`); policybook builds the HTML site only. `linkcheck` is what
/// policybook's own link check does, so it is not named.
pub(super) fn other_renderers(bundle: &Bundle, d: &mut Diagnostics) {
    let text = std::fs::read_to_string(bundle.root.join("book.toml")).unwrap_or_default();
    for name in bundle.config.output.keys() {
        if name == "html" || name == "linkcheck" {
            continue;
        }
        let header = format!("[output.{name}");
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&header))
            .map(|i| i + 1)
            .unwrap_or(1);
        d.warning(
            Location::new("book.toml", (line, 1)),
            format!("[output.{name}]: policybook builds the HTML site only; the `{name}` renderer is not run"),
            format!("run `mdbook build` for the {name} output, or remove the table"),
        );
    }
}

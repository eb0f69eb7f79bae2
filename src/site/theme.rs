//! Themes: tera templates under `templates/` and static files under `assets/`.
//! The project's `themes/<name>/` overrides the default theme file by file; the
//! default theme is embedded in the binary, so any book builds without a themes folder.

use std::collections::BTreeMap;
use std::path::Path;

use tera::Tera;

use crate::diagnostics::{Diagnostics, Location};

macro_rules! default_files {
    ($($p:literal),* $(,)?) => {
        &[$(($p, include_bytes!(concat!("../../themes/default/", $p)) as &[u8])),*]
    };
}

/// The default theme, embedded.
pub(super) const DEFAULT: &[(&str, &[u8])] = default_files!(
    "templates/base.html",
    "templates/page.html",
    "templates/print.html",
    "templates/toc.html",
    "assets/style.css",
    "assets/book.js",
    "assets/search.js",
);

pub(super) struct Theme {
    pub tera: Tera,
    /// Static files, by path under the site root (`assets/style.css`).
    pub assets: BTreeMap<String, Vec<u8>>,
}

/// Loads theme `name` from `<root>/themes/`, falling back file by file to
/// `themes/default/` on disk and then to the embedded default theme.
pub(super) fn load(root: &Path, name: &str) -> Result<Theme, Diagnostics> {
    let mut files: BTreeMap<String, (Vec<u8>, String)> = BTreeMap::new();
    for (p, bytes) in DEFAULT {
        files.insert(
            p.to_string(),
            (bytes.to_vec(), format!("(built-in theme)/{p}")),
        );
    }
    let mut dirs = vec!["default".to_string()];
    if name != "default" {
        dirs.push(name.to_string());
    }
    let mut d = Diagnostics::default();
    if !root.join("themes").join(name).is_dir() && name != "default" {
        d.error(
            Location::new("book.toml", (1, 1)),
            format!("theme `{name}` not found: no folder themes/{name}"),
            "create themes/<name>/ with the files to override, or remove `theme` from [policybook]",
        );
        return Err(d);
    }
    for dir in dirs {
        let base = root.join("themes").join(&dir);
        if !base.is_dir() {
            continue;
        }
        // Symbolic links are followed inside the project; others are errors.
        let walked = crate::walk::walk_files(
            root,
            &base,
            |_| true,
            |p| {
                p.strip_prefix(&base)
                    .is_ok_and(|r| r.starts_with("templates") || r.starts_with("assets"))
            },
        );
        for p in walked.problems {
            d.error(
                Location::new(crate::walk::relative(root, &p.path), (1, 1)),
                p.message,
                "point the link at a file inside the project, or replace it with the file itself",
            );
        }
        for path in walked.files {
            let rel = path
                .strip_prefix(&base)
                .expect("walk_files returns paths under the folder it walks")
                .to_string_lossy()
                .replace('\\', "/");
            match std::fs::read(&path) {
                Ok(bytes) => {
                    files.insert(rel.clone(), (bytes, format!("themes/{dir}/{rel}")));
                }
                Err(e) => d.error(
                    Location::new(format!("themes/{dir}/{rel}"), (1, 1)),
                    format!("cannot read theme file: {e}"),
                    "check the file's permissions",
                ),
            }
        }
    }
    let mut tera = Tera::default();
    let mut templates = Vec::new();
    let mut assets = BTreeMap::new();
    for (rel, (bytes, origin)) in files {
        if let Some(name) = rel.strip_prefix("templates/") {
            // The shared decoder drops a BOM, which would otherwise reach every page.
            match crate::text::decode_text(bytes) {
                Ok(s) => templates.push((name.to_string(), s)),
                Err(e) => d.error(
                    Location::new(origin, e.line_col()),
                    format!("template is {e}"),
                    "save the template as UTF-8",
                ),
            }
        } else {
            assets.insert(rel, bytes);
        }
    }
    if d.has_errors() {
        return Err(d);
    }
    if let Err(e) = tera.add_raw_templates(templates) {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        d.error(
            Location::new(format!("themes/{name}/templates"), (1, 1)),
            format!("theme template error: {msg}"),
            "fix the tera template",
        );
        return Err(d);
    }
    Ok(Theme { tera, assets })
}

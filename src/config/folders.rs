//! The folders book.toml names, confined: the output folder a build replaces
//! (`check_output`), the theme (`check_theme`) and the sources it reads
//! (`check_sources`), each a relative path inside the project, also once
//! symbolic links are followed, every problem at its key's place.

use std::path::Path;

use serde::Deserialize;

use super::book::Config;
use crate::text::line_col;

/// The folder keys of book.toml with their places, read only for messages
/// (unknown keys are ignored here; `Config` itself is strict).
#[derive(Deserialize, Default)]
struct FolderKeys {
    #[serde(default)]
    book: Option<BookFolderKeys>,
    #[serde(default)]
    policybook: Option<toml::Spanned<PolicybookFolderKeys>>,
    #[serde(default)]
    build: Option<BuildFolderKeys>,
}

#[derive(Deserialize)]
struct BookFolderKeys {
    src: Option<toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct PolicybookFolderKeys {
    theme: Option<toml::Spanned<toml::Value>>,
    output: Option<toml::Spanned<toml::Value>>,
    policies: Option<toml::Spanned<toml::Value>>,
    aliases: Option<toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BuildFolderKeys {
    build_dir: Option<toml::Spanned<toml::Value>>,
}

impl Config {
    /// Checks the folder a build replaces (`[policybook] output`, or `[build] build-dir`
    /// of a plain mdBook book): a relative path inside the project, not the project
    /// itself, not `..`, and neither holding nor inside a source (the book's source
    /// folder, policies, the alias catalog, themes, `.git`, book.toml), also after
    /// following symbolic links. `text` is book.toml's text, for the places of the keys.
    pub fn check_output(&self, text: Option<&str>, root: &Path) -> crate::diagnostics::Diagnostics {
        use crate::diagnostics::{Diagnostics, Location};
        let keys: FolderKeys = text
            .and_then(|t| toml::from_str(t).ok())
            .unwrap_or_default();
        let at = |span: Option<std::ops::Range<usize>>| {
            let pos = match (text, span) {
                (Some(t), Some(s)) => line_col(t, s.start),
                _ => (1, 1),
            };
            Location::new("book.toml", pos)
        };
        let pb_keys = keys.policybook.as_ref().map(|p| p.get_ref());
        let (key, value, key_span, table_span) = match &self.policybook {
            Some(p) => (
                "[policybook] output",
                p.output.clone(),
                pb_keys.and_then(|k| k.output.as_ref()).map(|s| s.span()),
                keys.policybook.as_ref().map(|p| p.span()),
            ),
            None => (
                "[build] build-dir",
                self.site_dir(),
                keys.build
                    .as_ref()
                    .and_then(|b| b.build_dir.as_ref())
                    .map(|s| s.span()),
                None,
            ),
        };
        let mut d = Diagnostics::default();
        let help = "set it to a folder of its own inside the project, e.g. `dist` (a build replaces that whole folder)";
        let out = match lexical_folder(&value) {
            Ok(parts) => parts,
            Err(why) => {
                d.error(
                    at(key_span.clone().or(table_span.clone())),
                    format!("{key} = {value:?} {why}"),
                    help,
                );
                return d;
            }
        };

        // The sources a build must never replace, with the key that names each.
        let mut sources: Vec<(String, String, Option<std::ops::Range<usize>>)> = vec![(
            format!("the book's source folder `{}` ([book] src)", self.book.src),
            self.book.src.clone(),
            keys.book
                .as_ref()
                .and_then(|b| b.src.as_ref())
                .map(|s| s.span()),
        )];
        if let Some(p) = &self.policybook {
            sources.push((
                format!(
                    "the policies folder `{}` ([policybook] policies)",
                    p.policies
                ),
                p.policies.clone(),
                pb_keys.and_then(|k| k.policies.as_ref()).map(|s| s.span()),
            ));
            sources.push((
                format!("the alias catalog `{}` ([policybook] aliases)", p.aliases),
                p.aliases.clone(),
                pb_keys.and_then(|k| k.aliases.as_ref()).map(|s| s.span()),
            ));
        }
        for (what, fixed) in [
            ("the themes folder `themes`", "themes"),
            ("the git repository `.git`", ".git"),
            ("the project file `book.toml`", "book.toml"),
        ] {
            sources.push((what.into(), fixed.into(), None));
        }
        // With the output key absent (default), point at the source key that clashes.
        let place = |src_span: &Option<std::ops::Range<usize>>| {
            at(key_span.clone().or(src_span.clone()).or(table_span.clone()))
        };

        for (what, path, span) in &sources {
            // A book whose source folder is the project root (`src = "."`) keeps its
            // output there; the other sources still apply.
            let Some(src) = lexical_inside(path).filter(|s| !s.is_empty()) else {
                continue;
            };
            if let Some(rel) = overlap(&out, &src) {
                d.error(place(span), format!("{key} = {value:?} {rel} {what}"), help);
                return d;
            }
        }

        // The same rules once symbolic links are followed: `dist -> ..` or `out -> /tmp`.
        let Ok(real_root) = root.canonicalize() else {
            return d;
        };
        let target = root.join(&value);
        if let Ok(meta) = std::fs::symlink_metadata(&target) {
            if !meta.is_dir() && !meta.file_type().is_symlink() {
                d.error(
                    at(key_span.clone().or(table_span.clone())),
                    format!("{key} = {value:?} names a file, not a folder"),
                    help,
                );
                return d;
            }
        }
        let real_out = resolve(&target);
        if real_out == real_root || !real_out.starts_with(&real_root) {
            let whose = if real_out == real_root {
                "the project folder itself".to_string()
            } else {
                format!(
                    "{}, outside the project {}",
                    real_out.display(),
                    real_root.display()
                )
            };
            d.error(
                at(key_span.clone().or(table_span.clone())),
                format!("{key} = {value:?} leads through a symbolic link to {whose}"),
                help,
            );
            return d;
        }
        for (what, path, span) in &sources {
            let src = root.join(path);
            if std::fs::symlink_metadata(&src).is_err() {
                continue;
            }
            let real_src = resolve(&src);
            if real_src == real_root {
                continue;
            }
            let rel = if real_src.starts_with(&real_out) {
                "holds"
            } else if real_out.starts_with(&real_src) {
                "is inside"
            } else {
                continue;
            };
            d.error(
                place(span),
                format!("{key} = {value:?} {rel} {what} (after following symbolic links)"),
                help,
            );
            return d;
        }
        d
    }
}

impl Config {
    /// Checks `[policybook] theme`: one folder name under `themes/` (its assets are
    /// published), which stays inside the project once symbolic links are followed.
    pub fn check_theme(&self, text: &str, root: &Path) -> crate::diagnostics::Diagnostics {
        use crate::diagnostics::{Diagnostics, Location};
        let mut d = Diagnostics::default();
        let Some(p) = &self.policybook else {
            return d;
        };
        let name = p.theme.as_str();
        let keys: FolderKeys = toml::from_str(text).unwrap_or_default();
        let pos = keys
            .policybook
            .as_ref()
            .and_then(|k| k.get_ref().theme.as_ref())
            .map(|s| line_col(text, s.span().start))
            .unwrap_or((1, 1));
        let why = if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
            "is not a folder name"
        } else {
            let real = resolve(&root.join("themes").join(name));
            match root.canonicalize() {
                Ok(r) if !real.starts_with(&r) => {
                    "leads through a symbolic link out of the project"
                }
                _ => return d,
            }
        };
        d.error(
            Location::new("book.toml", pos),
            format!("[policybook] theme = {name:?} {why}"),
            "name a folder under themes/, e.g. `theme = \"default\"`",
        );
        d
    }
}

impl Config {
    /// Checks the source paths (`[book] src`, `[policybook] policies` and `aliases`):
    /// each is relative and stays inside the project, also once symbolic links are
    /// followed, so a build never reads rules, samples or chapters from elsewhere.
    pub fn check_sources(&self, text: &str, root: &Path) -> crate::diagnostics::Diagnostics {
        use crate::diagnostics::{Diagnostics, Location};
        let mut d = Diagnostics::default();
        let keys: FolderKeys = toml::from_str(text).unwrap_or_default();
        let pb_keys = keys.policybook.as_ref().map(|p| p.get_ref());
        let span_of = |v: Option<&toml::Spanned<toml::Value>>| v.map(|s| s.span());
        let mut paths = vec![(
            "[book] src",
            self.book.src.clone(),
            span_of(keys.book.as_ref().and_then(|b| b.src.as_ref())),
        )];
        if let Some(p) = &self.policybook {
            paths.push((
                "[policybook] policies",
                p.policies.clone(),
                span_of(pb_keys.and_then(|k| k.policies.as_ref())),
            ));
            paths.push((
                "[policybook] aliases",
                p.aliases.clone(),
                span_of(pb_keys.and_then(|k| k.aliases.as_ref())),
            ));
        }
        let real_root = root.canonicalize().ok();
        for (key, value, span) in paths {
            let pos = span.map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            let b = value.as_bytes();
            let why = if value.contains('\\') {
                Some("contains `\\`: separate folders with `/`".to_string())
            } else if Path::new(&value).is_absolute()
                || value.starts_with('/')
                || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
            {
                Some("is an absolute path".to_string())
            } else if lexical_inside(&value).is_none() {
                Some("leads out of the project with `..`".to_string())
            } else {
                match &real_root {
                    Some(r) if !resolve(&root.join(&value)).starts_with(r) => {
                        Some("leads through a symbolic link out of the project".to_string())
                    }
                    _ => None,
                }
            };
            if let Some(why) = why {
                d.error(
                    Location::new("book.toml", pos),
                    format!("{key} = {value:?} {why}"),
                    "sources must be inside the project folder (the one holding book.toml); copy or move them in",
                );
            }
        }
        d
    }
}

/// The normal components of a relative folder path, or why it is not one.
fn lexical_folder(value: &str) -> Result<Vec<String>, &'static str> {
    use std::path::Component;
    let b = value.as_bytes();
    if value.contains('\\') {
        return Err("contains `\\`: separate folders with `/`");
    }
    if value.starts_with('/')
        || Path::new(value).is_absolute()
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
    {
        return Err("is an absolute path: the output folder must be inside the project");
    }
    let mut parts = Vec::new();
    for c in Path::new(value).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err("uses `..`: the output folder must be inside the project")
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("is an absolute path: the output folder must be inside the project")
            }
        }
    }
    if parts.is_empty() {
        return Err(
            "is the project folder itself: a build would replace book.toml and every source",
        );
    }
    Ok(parts)
}

/// The normal components of a source path, resolving `..` lexically; None when it
/// leaves the project (the symbolic-link pass still compares the real paths).
fn lexical_inside(value: &str) -> Option<Vec<String>> {
    use std::path::Component;
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(value).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

/// How the output relates to a source, when they overlap. Names compare without
/// ASCII case, as on case-insensitive file systems.
fn overlap(out: &[String], src: &[String]) -> Option<&'static str> {
    let n = out.len().min(src.len());
    if !out[..n]
        .iter()
        .zip(&src[..n])
        .all(|(a, b)| a.eq_ignore_ascii_case(b))
    {
        return None;
    }
    Some(if out.len() <= src.len() {
        if out.len() == src.len() {
            "is"
        } else {
            "holds"
        }
    } else {
        "is inside"
    })
}

/// `p` with symbolic links followed as far as it exists; the missing rest is appended.
fn resolve(p: &Path) -> std::path::PathBuf {
    let mut missing = Vec::new();
    let mut cur = p.to_path_buf();
    loop {
        if let Ok(real) = cur.canonicalize() {
            let mut real = real;
            for m in missing.iter().rev() {
                real.push(m);
            }
            return real;
        }
        match (cur.file_name().map(|n| n.to_os_string()), cur.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                cur = parent.to_path_buf();
            }
            _ => return p.to_path_buf(),
        }
    }
}

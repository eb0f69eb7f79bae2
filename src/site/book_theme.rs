//! What an mdBook book adds to the look of its pages: `additional-css` and
//! `additional-js` from `[output.html]`, and the book's own `theme/` folder
//! (`[output.html] theme`, default `theme`). Files that map onto policybook's theme
//! are published and linked from every page: the stylesheets mdBook reads from a
//! theme folder (`css/general.css`, …, `fonts/fonts.css`, with the fonts or images
//! beside them), `head.hbs` (its `{{ path_to_root }}` filled in) and a favicon. Files
//! that do not map (`index.hbs`, `book.js`, highlight.js styles, …) are named in a
//! warning each: nothing is dropped silently. Every path stays inside the project.

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostics, Location};

/// mdBook theme files that have no counterpart in policybook's theme, and why.
fn unmapped(rel: &str) -> Option<&'static str> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match name {
        "index.hbs" => Some("policybook's page layout is its own tera template (themes/<name>/templates/base.html)"),
        "header.hbs" | "toc.js.hbs" | "toc.html.hbs" | "redirect.hbs" => {
            Some("policybook writes this part of the page itself")
        }
        "highlight.css" | "tomorrow-night.css" | "ayu-highlight.css" => {
            Some("it styles highlight.js classes; policybook highlights at build time (`hl-*` classes in style.css)")
        }
        _ if name.ends_with(".hbs") => Some("policybook does not read Handlebars templates"),
        _ if name.ends_with(".js") => Some(
            "it scripts mdBook's page layout; list scripts of your own in `additional-js` instead",
        ),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub(super) struct BookAssets {
    /// Files to publish: (path in the site, file on disk).
    pub files: Vec<(String, PathBuf)>,
    /// Stylesheets linked from every page, in order (site paths; `print.css` for print only).
    css: Vec<String>,
    /// Scripts loaded by every page, in order (site paths).
    js: Vec<String>,
    /// `head.hbs`, with `{{ path_to_root }}` left to fill per page.
    head: Option<String>,
    /// The favicon's site path.
    pub favicon: Option<String>,
}

impl BookAssets {
    /// The `<head>` additions for a page whose path to the site root is `root`.
    pub(super) fn head_html(&self, root: &str) -> String {
        let mut s = String::new();
        let esc = |p: &str| super::util::escape(&format!("{root}{p}"));
        if let Some(f) = &self.favicon {
            let ty = if f.ends_with(".svg") {
                "image/svg+xml"
            } else {
                "image/png"
            };
            s.push_str(&format!(
                "<link rel=\"icon\" type=\"{ty}\" href=\"{}\">\n",
                esc(f)
            ));
        }
        for c in &self.css {
            let media = if c.ends_with("/print.css") {
                " media=\"print\""
            } else {
                ""
            };
            s.push_str(&format!(
                "<link rel=\"stylesheet\" href=\"{}\"{media}>\n",
                esc(c)
            ));
        }
        for j in &self.js {
            s.push_str(&format!("<script defer src=\"{}\"></script>\n", esc(j)));
        }
        if let Some(h) = &self.head {
            s.push_str(&h.replace(PATH_TO_ROOT, root));
            if !h.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }
}

const PATH_TO_ROOT: &str = "\u{1}path_to_root\u{1}";

/// Reads `additional-css`, `additional-js` and the theme folder of the book at `root`.
pub(super) fn load(config: &crate::config::Config, root: &Path, d: &mut Diagnostics) -> BookAssets {
    let mut a = BookAssets::default();
    let toml_text = std::fs::read_to_string(root.join("book.toml")).unwrap_or_default();
    let at = |needle: &str| {
        let i = toml_text.find(needle).unwrap_or(0);
        Location::new("book.toml", crate::text::line_col(&toml_text, i))
    };
    let html = config.output.get("html");
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());

    // The theme folder first: mdBook links its CSS before the additional files.
    let theme_key = html.and_then(|h| h.get("theme")).and_then(|v| v.as_str());
    let theme_rel = theme_key.unwrap_or("theme").trim_end_matches('/');
    match inside(root, &real_root, theme_rel) {
        Err(why) => d.error(
            at("theme"),
            format!("[output.html] theme = {theme_rel:?} {why}"),
            "name a folder inside the book, e.g. `theme = \"theme\"`",
        ),
        Ok(dir) if dir.is_dir() => {
            // Files of the folder listed in additional-css or -js are applied as such.
            let listed: Vec<String> = ["additional-css", "additional-js"]
                .iter()
                .filter_map(|k| html.and_then(|h| h.get(*k)).and_then(|v| v.as_array()))
                .flatten()
                .filter_map(|v| v.as_str())
                .map(|s| s.trim_start_matches("./").to_string())
                .collect();
            theme_folder(&mut a, root, &dir, theme_rel, &listed, d)
        }
        Ok(_) if theme_key.is_some() => d.warning(
            at("theme"),
            format!("[output.html] theme = {theme_rel:?}: no such folder, so no theme files are applied"),
            "create the folder or remove the key",
        ),
        Ok(_) => {}
    }

    for (key, list) in [("additional-css", true), ("additional-js", false)] {
        let Some(items) = html.and_then(|h| h.get(key)).and_then(|v| v.as_array()) else {
            continue;
        };
        for item in items {
            let Some(rel) = item.as_str() else { continue };
            let rel_clean = rel.trim_start_matches("./");
            match inside(root, &real_root, rel_clean) {
                Ok(p) if p.is_file() => {
                    let site = rel_clean.to_string();
                    if !a.files.iter().any(|(s, _)| *s == site) {
                        a.files.push((site.clone(), p));
                    }
                    let v = if list { &mut a.css } else { &mut a.js };
                    if !v.contains(&site) {
                        v.push(site);
                    }
                }
                Ok(_) => d.error(
                    at(&format!("\"{rel}\"")),
                    format!("[output.html] {key}: `{rel}` does not exist"),
                    "give the file's path relative to the book's root (the folder of book.toml)",
                ),
                Err(why) => d.error(
                    at(&format!("\"{rel}\"")),
                    format!("[output.html] {key}: `{rel}` {why}"),
                    "keep the file inside the book and give its path relative to book.toml's folder",
                ),
            }
        }
    }
    a
}

/// `rel` under `root` when it stays inside the project (also once links are followed).
fn inside(root: &Path, real_root: &Path, rel: &str) -> Result<PathBuf, &'static str> {
    if rel.is_empty() {
        return Err("is empty");
    }
    if rel.contains('\\') {
        return Err("contains `\\`: separate folders with `/`");
    }
    let b = rel.as_bytes();
    if rel.starts_with('/') || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':') {
        return Err("is an absolute path");
    }
    if rel.split('/').any(|s| s == "..") {
        return Err("leads out of the book with `..`");
    }
    let p = root.join(rel);
    if let Ok(real) = p.canonicalize() {
        if !real.starts_with(real_root) {
            return Err("leads through a symbolic link out of the book");
        }
    }
    Ok(p)
}

/// The stylesheets mdBook itself reads from a theme folder.
const MDBOOK_CSS: &[&str] = &[
    "css/variables.css",
    "css/general.css",
    "css/chrome.css",
    "css/print.css",
    "fonts/fonts.css",
];

fn theme_folder(
    a: &mut BookAssets,
    root: &Path,
    dir: &Path,
    theme_rel: &str,
    listed: &[String],
    d: &mut Diagnostics,
) {
    let walked = crate::walk::walk_files(
        root,
        dir,
        |e| !e.file_name().to_string_lossy().starts_with('.'),
        |_| true,
    );
    for p in walked.problems {
        d.error(
            Location::new(crate::walk::relative(root, &p.path), (1, 1)),
            p.message,
            "point the link at a file inside the project, or replace it with the file itself",
        );
    }
    let mut files: Vec<(String, PathBuf)> = walked
        .files
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, p))
        })
        .collect();
    files.sort();
    for (rel, path) in files {
        let shown = format!("{theme_rel}/{rel}");
        if rel == "head.hbs" {
            head_hbs(a, &path, &shown, d);
            continue;
        }
        if listed.contains(&format!("{theme_rel}/{rel}")) {
            continue; // published and linked as an additional file
        }
        if let Some(why) = unmapped(&rel) {
            d.warning(
                Location::new(&shown, (1, 1)),
                format!("mdBook theme file `{shown}` is not applied: {why}"),
                "move what you need into CSS (applied), head.hbs (applied) or additional-js, or delete the file",
            );
            continue;
        }
        let site = format!("{theme_rel}/{rel}");
        if rel.ends_with(".css") && !MDBOOK_CSS.contains(&rel.as_str()) {
            if !listed.contains(&site) {
                d.warning(
                    Location::new(&shown, (1, 1)),
                    format!("mdBook theme file `{shown}` is not applied: mdBook reads only css/variables.css, css/general.css, css/chrome.css, css/print.css and fonts/fonts.css from a theme folder"),
                    "list it in `additional-css` to apply it (as mdBook needs too), or delete it",
                );
            }
            continue; // an additional-css entry publishes and links it
        }
        if rel == "favicon.svg" || (rel == "favicon.png" && a.favicon.is_none()) {
            a.favicon = Some(site.clone());
        }
        a.files.push((site, path));
    }
    // Linked in mdBook's order; fonts, images and the like are published beside them.
    for c in MDBOOK_CSS {
        let site = format!("{theme_rel}/{c}");
        if a.files.iter().any(|(s, _)| *s == site) {
            a.css.push(site);
        }
    }
}

/// head.hbs: HTML for every page's `<head>`. `{{ path_to_root }}` is filled in per
/// page; any other Handlebars expression cannot be evaluated and is warned about.
fn head_hbs(a: &mut BookAssets, path: &Path, shown: &str, d: &mut Diagnostics) {
    let text = match crate::text::read_text(path) {
        Ok(t) => t,
        Err(e) => {
            d.error(
                Location::new(shown, e.line_col()),
                format!("cannot read head.hbs: {e}"),
                e.help("check the file's permissions"),
            );
            return;
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut consumed = 0;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find("}}") else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let expr = &rest[i..i + j + 2];
        let inner = expr.trim_start_matches('{').trim_end_matches('}').trim();
        if inner == "path_to_root" {
            out.push_str(PATH_TO_ROOT);
        } else {
            let pos = crate::text::line_col(&text, consumed + i);
            d.warning(
                Location::new(shown, pos),
                format!("head.hbs: `{expr}` is a Handlebars expression policybook does not evaluate; it is left out"),
                "write the value itself; only `{{ path_to_root }}` is filled in",
            );
        }
        consumed += i + j + 2;
        rest = &rest[i + j + 2..];
    }
    out.push_str(rest);
    a.head = Some(out);
}

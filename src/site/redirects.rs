//! `[output.html.redirect]`: a small HTML page at each old address that sends the
//! reader on (meta refresh, a canonical link, and a script that keeps or maps the
//! `#fragment`), as mdBook writes them. `"/old.html#frag" = "new.html#x"` entries
//! map one fragment; on an existing chapter they become a script in that page.
//! Every old address is a file inside the site: a key that climbs out is an error,
//! never a file written elsewhere. Targets are addresses, not files: one that
//! leaves the site (`../../other-book/x.html`) is kept as written, like such links
//! in chapters; script and local-file schemes are refused.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::util::{escape, is_external, join};
use crate::diagnostics::{Diagnostics, Location};

/// One redirect page to write.
#[derive(Debug)]
pub(super) struct Page {
    /// Path of the old page, from the site root (`old/page.html`).
    pub path: String,
    /// Where it sends the reader (as written in book.toml).
    pub dest: String,
    /// `#fragment` → destination overrides.
    pub fragments: BTreeMap<String, String>,
    /// The book.toml key, for messages.
    key: String,
}

/// The redirect pages to write, and the fragment maps of existing pages (by output path).
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub pages: Vec<Page>,
    pub page_fragments: BTreeMap<String, BTreeMap<String, String>>,
}

/// An old path's default destination, its fragment map, and its first key (for messages).
type Combined = (Option<String>, BTreeMap<String, String>, String);

/// Reads `[output.html.redirect]` and checks every entry against the site's pages
/// (`page_outs`); `drop_clashes` later checks them against the other files.
pub(super) fn plan(
    config: &crate::config::Config,
    root: &Path,
    page_outs: &HashSet<String>,
    d: &mut Diagnostics,
) -> Plan {
    let mut plan = Plan::default();
    let Some(table) = config
        .output
        .get("html")
        .and_then(|h| h.get("redirect"))
        .and_then(|r| r.as_table())
    else {
        return plan;
    };
    let toml_text = std::fs::read_to_string(root.join("book.toml")).unwrap_or_default();
    let at = |key: &str| key_location(&toml_text, key);
    let mut combined: BTreeMap<String, Combined> = BTreeMap::new();
    for (key, value) in table {
        let Some(dest) = value.as_str() else {
            continue; // a wrong type is reported by config::html_type_warnings
        };
        let (old, frag) = match key.rsplit_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (key.as_str(), None),
        };
        let path = match old_path(old) {
            Ok(p) => p,
            Err(why) => {
                d.error(
                    at(key),
                    format!("[output.html.redirect] key `{key}` {why}"),
                    "give the old page's path inside the site, e.g. \"/old/page.html\"",
                );
                continue;
            }
        };
        if let Err(why) = check_dest(&path, dest) {
            d.error(
                at(key),
                format!("[output.html.redirect] `{key}` = `{dest}`: the target {why}"),
                "redirect to a page of the site (a path relative to the old page) or to a full https:// URL",
            );
            continue;
        }
        let e = combined
            .entry(path)
            .or_insert_with(|| (None, BTreeMap::new(), key.clone()));
        match frag {
            Some(f) => {
                e.1.insert(format!("#{f}"), dest.to_string());
            }
            None => e.0 = Some(dest.to_string()),
        }
    }
    for (path, (dest, fragments, key)) in combined {
        if page_outs.contains(&path) {
            if dest.is_some() {
                d.error(
                    at(&key),
                    format!("[output.html.redirect] `{key}` redirects a page the book still has (`{path}`)"),
                    "delete the redirect, or remove the chapter from SUMMARY.md (mdBook refuses the same)",
                );
            } else {
                plan.page_fragments.insert(path, fragments);
            }
            continue;
        }
        let Some(dest) = dest else {
            d.error(
                at(&key),
                format!("[output.html.redirect] `{path}` has only `#fragment` entries, so no page to send other visitors to"),
                format!("add an entry without a fragment, e.g. \"/{path}\" = \"new.html\""),
            );
            continue;
        };
        plan.pages.push(Page {
            path,
            dest,
            fragments,
            key,
        });
    }
    plan
}

/// Drops (with a warning) redirects whose old path is a file the site already has.
pub(super) fn drop_clashes(
    plan: &mut Plan,
    files: &HashSet<String>,
    root: &Path,
    d: &mut Diagnostics,
) {
    let toml_text = std::fs::read_to_string(root.join("book.toml")).unwrap_or_default();
    plan.pages.retain(|p| {
        if !files.contains(&p.path) {
            return true;
        }
        d.warning(
            key_location(&toml_text, &p.key),
            format!("[output.html.redirect] `{}`: the site already has a file `{}`; no redirect page is written there", p.key, p.path),
            "delete the redirect or the file",
        );
        false
    });
}

/// The old address as a path inside the site, or why it is not one.
fn old_path(old: &str) -> Result<String, &'static str> {
    let p = old.trim_start_matches('/');
    if p.is_empty() {
        return Err("names no page");
    }
    if p.contains('\\') || p.chars().any(char::is_control) {
        return Err("contains `\\` or a control character");
    }
    if p.len() >= 2 && p.as_bytes()[1] == b':' {
        return Err("is a drive path, not a path inside the site");
    }
    // mdBook joins the key to the output folder, so `./old.html` names `old.html`
    // (books such as the Rustonomicon write their keys so): `.` segments are dropped.
    let mut segs = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" => return Err("has an empty folder name (`//` or a trailing `/`)"),
            ".." => return Err("uses `..`: it must name a file inside the site"),
            "." => {}
            _ => segs.push(seg),
        }
    }
    if segs.is_empty() {
        return Err("names no page");
    }
    Ok(segs.join("/"))
}

/// Whether a redirect target is safe to publish.
fn check_dest(from: &str, dest: &str) -> Result<(), &'static str> {
    let t = dest.trim();
    if t.is_empty() {
        return Err("is empty");
    }
    if t.chars().any(char::is_control) {
        return Err("contains a control character");
    }
    if is_external(t) {
        let scheme = t.split(':').next().unwrap_or("").to_ascii_lowercase();
        if matches!(scheme.as_str(), "javascript" | "data" | "vbscript" | "file") {
            return Err("uses a scheme that runs code or reads local files");
        }
        return Ok(());
    }
    // A relative target may climb out of the site (`../../book/x.html`, a book
    // published next to others): like such links in chapters, it is left as written.
    let _ = from;
    Ok(())
}

/// Warns about redirects to a relative target that is no file of the site (a typo
/// would send readers from one missing page to another).
pub(super) fn check_targets(
    plan: &Plan,
    files: &HashSet<String>,
    root: &Path,
    d: &mut Diagnostics,
) {
    let toml_text = std::fs::read_to_string(root.join("book.toml")).unwrap_or_default();
    let mut targets: Vec<(&str, &str)> = Vec::new();
    for p in &plan.pages {
        targets.push((p.dest.as_str(), p.path.as_str()));
        targets.extend(p.fragments.values().map(|t| (t.as_str(), p.path.as_str())));
    }
    for (dest, from) in targets {
        let t = dest.trim();
        if is_external(t) || t.starts_with('/') || t.starts_with('#') || t.starts_with('?') {
            continue;
        }
        let path = t.split(['#', '?']).next().unwrap_or("");
        let Some(resolved) = join(from, &super::util::percent_decode(path)) else {
            continue;
        };
        let found = files.contains(&resolved)
            || files.contains(&format!("{}/index.html", resolved.trim_end_matches('/')))
            || (resolved.is_empty() && files.contains("index.html"));
        if !found {
            let key = plan
                .pages
                .iter()
                .find(|p| p.path == from)
                .map(|p| p.key.as_str())
                .unwrap_or(from);
            d.warning(
                key_location(&toml_text, key),
                format!("[output.html.redirect] `{key}` sends readers to `{dest}`, which is no page or file of the site (`{resolved}`)"),
                "the target is relative to the old page's folder; fix the path",
            );
        }
    }
}

/// Where `"key"` is written in book.toml (its line, else the file's start).
fn key_location(text: &str, key: &str) -> Location {
    for q in ['"', '\''] {
        if let Some(i) = text.find(&format!("{q}{key}{q}")) {
            return Location::new("book.toml", crate::text::line_col(text, i));
        }
    }
    Location::new("book.toml", (1, 1))
}

/// The script an existing page carries for its `#fragment` redirects.
pub(super) fn fragment_script(map: &BTreeMap<String, String>) -> String {
    format!(
        "<script>(function(){{var m={};var t=m[location.hash];if(location.hash&&t){{location.replace(new URL(t,location.href).href)}}}})()</script>",
        json_for_script(map)
    )
}

fn json_for_script(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The HTML of one redirect page. The refresh works without script; the script
/// carries a `#fragment` over (or maps it) when the reader's address has one.
pub(super) fn html(page: &Page, lang: &str) -> String {
    let url = escape(&page.dest);
    let js_url = serde_json::to_string(&page.dest)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    format!(
        "<!DOCTYPE html>
<html lang=\"{lang}\">
<head>
<meta charset=\"utf-8\">
<title>Redirecting…</title>
<meta name=\"robots\" content=\"noindex\">
<meta http-equiv=\"refresh\" content=\"0; URL={url}\">
<link rel=\"canonical\" href=\"{url}\">
</head>
<body>
<p>This page has moved to <a href=\"{url}\">{url}</a>.</p>
<script>
// A #fragment is not carried over by the refresh: keep it, or map it to its new place.
(function () {{
  var map = {map};
  var hash = window.location.hash;
  if (!hash) return;
  var target = map[hash];
  var url = new URL(target || {js_url}, window.location.href);
  if (!target) url.hash = hash;
  window.location.replace(url.href);
}})();
</script>
</body>
</html>
",
        lang = escape(lang),
        map = json_for_script(&page.fragments),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_paths_stay_inside_the_site() {
        assert_eq!(old_path("/a/b.html"), Ok("a/b.html".into()));
        assert!(old_path("/../x.html").is_err());
        assert!(old_path("a/../../x.html").is_err());
        assert!(old_path("/").is_err());
        assert!(old_path("C:/x.html").is_err());
        assert!(old_path("a\\b.html").is_err());
    }

    #[test]
    fn targets_are_checked() {
        assert!(check_dest("a/b.html", "../c.html").is_ok());
        assert!(check_dest("a/b.html", "../../c.html").is_ok());
        assert!(check_dest("b.html", "JavaScript:alert(1)").is_err());
        assert!(check_dest("b.html", "https://example.org/").is_ok());
        assert!(check_dest("b.html", "/abs.html").is_ok());
    }
}

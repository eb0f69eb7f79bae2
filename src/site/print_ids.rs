//! The print page's ids and links, as mdBook 0.5.4 writes them. Chapters come in
//! rendered as on their own pages; then, over the whole page in chapter order:
//!
//! 1. every element's `id` is made unique: a repeat gets `-1`, `-2`, … (the first
//!    free), and each chapter remembers what it renamed;
//! 2. each chapter's top is its first `h1` when that comes before any other
//!    heading, else an `h1` of its SUMMARY title is put in front;
//! 3. `href`, `src` and `xlink:href` of `<a>` and `<img>` are rewritten: a fragment
//!    follows its chapter's renames, a link to a chapter without a fragment goes to
//!    the chapter's top, any other relative path is made relative to the site root.
//!
//! mdBook's quirks are kept on purpose (a chapter with the same id twice sends its
//! links to the renamed one), so ids and links match mdBook's print page exactly.
//! Beyond mdBook, a relative `src` on other elements (`<video>`, `<source>`) is made
//! relative to the root too, so it does not break on the print page.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::util::escape;

/// One chapter on the print page.
pub(super) struct Chapter<'a> {
    /// Output path from the site root (`sub/page.html`).
    pub path: &'a str,
    /// Its title in SUMMARY.md (the top heading of a chapter without an `h1`).
    pub name: &'a str,
    /// Its HTML as on its own page.
    pub html: String,
}

/// The chapters' HTML for the print page, in order.
pub(super) fn rewrite(chapters: Vec<Chapter>) -> Vec<String> {
    let tags: Vec<Vec<Tag>> = chapters.iter().map(|c| scan(&c.html)).collect();
    let mut edits: Vec<Vec<(Range<usize>, String)>> = vec![Vec::new(); chapters.len()];
    let mut used = UsedIds::default();
    // 1. Unique ids, and each chapter's renames.
    let mut remap: HashMap<&str, HashMap<String, String>> = HashMap::new();
    let mut final_ids: Vec<HashMap<usize, String>> = vec![HashMap::new(); chapters.len()];
    for (k, c) in chapters.iter().enumerate() {
        for (t, tag) in tags[k].iter().enumerate() {
            let Some(r) = tag.attr("id") else { continue };
            let id = unescape(&c.html[r.clone()]);
            let new = unique_id(&id, &mut used);
            if new != id {
                edits[k].push((r.clone(), escape(&new)));
                remap.entry(c.path).or_default().insert(id, new.clone());
            }
            final_ids[k].insert(t, new);
        }
    }
    // 2. The top of each chapter.
    let mut roots: HashMap<&str, String> = HashMap::new();
    let mut prepend: Vec<String> = vec![String::new(); chapters.len()];
    for (k, c) in chapters.iter().enumerate() {
        let first = tags[k]
            .iter()
            .enumerate()
            .find(|(_, t)| matches!(t.name.as_str(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"));
        let root = match first {
            Some((t, tag)) if tag.name == "h1" => final_ids[k].get(&t).cloned(),
            _ => None,
        };
        let root = root.unwrap_or_else(|| {
            let id = unique_id(&id_from_content(c.name), &mut used);
            let e = escape(&id);
            prepend[k] = format!(
                "<h1 id=\"{e}\"><a href=\"#{e}\" class=\"header\">{}</a></h1>\n",
                escape(c.name)
            );
            id
        });
        roots.insert(c.path, root);
    }
    // 3. Links.
    for (k, c) in chapters.iter().enumerate() {
        let dir = c.path.rfind('/').map(|i| &c.path[..i]).unwrap_or("");
        for tag in &tags[k] {
            let linkish = matches!(tag.name.as_str(), "a" | "img");
            for (name, r) in &tag.attrs {
                let dest = unescape(&c.html[r.clone()]);
                let new = if linkish && matches!(name.as_str(), "href" | "src" | "xlink:href") {
                    link(&dest, c.path, dir, &roots, &remap)
                } else if name == "src" && !has_scheme(&dest) && !dest.starts_with(['/', '#']) {
                    Some(normalize(&join(dir, &dest)))
                } else {
                    None
                };
                if let Some(new) = new.filter(|n| *n != dest) {
                    edits[k].push((r.clone(), escape(&new)));
                }
            }
        }
    }
    chapters
        .into_iter()
        .zip(edits)
        .zip(prepend)
        .map(|((c, mut e), pre)| {
            e.sort_by_key(|(r, _)| r.start);
            let mut out = String::with_capacity(pre.len() + c.html.len() + 64);
            out.push_str(&pre);
            let mut pos = 0;
            for (r, v) in e {
                out.push_str(&c.html[pos..r.start]);
                out.push_str(&v);
                pos = r.end;
            }
            out.push_str(&c.html[pos..]);
            out
        })
        .collect()
}

/// mdBook's rewrite of one `href`/`src` of a chapter at `path` (folder `dir`).
fn link(
    dest: &str,
    path: &str,
    dir: &str,
    roots: &HashMap<&str, String>,
    remap: &HashMap<&str, HashMap<String, String>>,
) -> Option<String> {
    if has_scheme(dest) {
        return None;
    }
    let (p, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    let mut key = path.to_string();
    if !p.is_empty() {
        key = normalize(&join(dir, p));
        if !roots.contains_key(key.as_str()) {
            let mut rel = key;
            if let Some(a) = anchor {
                rel.push('#');
                rel.push_str(a);
            }
            return Some(rel);
        }
    }
    let id = match anchor {
        Some(a) => remap
            .get(key.as_str())
            .and_then(|m| m.get(a))
            .cloned()
            .unwrap_or_else(|| a.to_string()),
        None => roots.get(key.as_str())?.clone(),
    };
    Some(format!("#{id}"))
}

/// A URL scheme as mdBook recognises it: lower-case letters first.
pub(super) fn has_scheme(dest: &str) -> bool {
    let b = dest.as_bytes();
    if !b.first().is_some_and(|c| c.is_ascii_lowercase()) {
        return false;
    }
    for &c in &b[1..] {
        match c {
            b':' => return true,
            b'a'..=b'z' | b'0'..=b'9' | b'+' | b'.' | b'-' => {}
            _ => return false,
        }
    }
    false
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() || rel.starts_with('/') {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// `.` and `..` removed as mdBook's `normalize_path` does (`..` above the start stays).
fn normalize(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_none_or(|s| *s == "..") {
                    if !rooted {
                        out.push("..");
                    }
                } else {
                    out.pop();
                }
            }
            s => out.push(s),
        }
    }
    let mut s = if rooted {
        "/".to_string()
    } else {
        String::new()
    };
    s.push_str(&out.join("/"));
    s
}

/// The ids taken on the print page, and for each base id the last suffix tried, so
/// that a heading repeated in every chapter does not rescan `-1`, `-2`, … each time
/// (ids are only ever added, so the suffixes below the last tried stay taken).
#[derive(Default)]
pub(super) struct UsedIds {
    taken: HashSet<String>,
    last_suffix: HashMap<String, u32>,
}

/// mdBook's `unique_id`: `id`, else `id-1`, `id-2`, … whichever is free first.
pub(super) fn unique_id(id: &str, used: &mut UsedIds) -> String {
    if used.taken.insert(id.to_string()) {
        return id.to_string();
    }
    let mut n = used.last_suffix.get(id).copied().unwrap_or(0);
    loop {
        n += 1;
        let c = format!("{id}-{n}");
        if used.taken.insert(c.clone()) {
            used.last_suffix.insert(id.to_string(), n);
            return c;
        }
    }
}

/// mdBook's `id_from_content`.
fn id_from_content(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// A start tag: its lower-case name and its attributes' values (byte ranges in the
/// HTML, still escaped).
pub(super) struct Tag {
    pub name: String,
    pub attrs: Vec<(String, Range<usize>)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&Range<usize>> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }
}

/// The start tags of `html` in order; comments and the text of `script`, `style`,
/// `textarea` and `title` are skipped.
pub(super) fn scan(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off;
        if html[i..].starts_with("<!--") {
            i = html[i + 4..]
                .find("-->")
                .map(|e| i + 4 + e + 3)
                .unwrap_or(b.len());
            continue;
        }
        if !b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' && b[j] != b'/' {
            j += 1;
        }
        let name = html[i + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        // Attributes until `>`.
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let ns = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let an = html[ns..j].to_ascii_lowercase();
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                let range = match b.get(j) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = html[j + 1..]
                            .find(q as char)
                            .map(|e| j + 1 + e)
                            .unwrap_or(b.len());
                        let r = j + 1..end;
                        j = (end + 1).min(b.len());
                        r
                    }
                    _ => {
                        let s = j;
                        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                            j += 1;
                        }
                        s..j
                    }
                };
                if !attrs.iter().any(|(n, _)| *n == an) {
                    attrs.push((an, range));
                }
            } else if ns == j {
                j += 1;
            }
        }
        i = (j + 1).min(b.len());
        if matches!(name.as_str(), "script" | "style" | "textarea" | "title") {
            let close = format!("</{name}");
            i = find_ci(html, i, &close).unwrap_or(b.len());
        }
        tags.push(Tag { name, attrs });
    }
    tags
}

/// The first `needle` (ASCII, lower case) in `hay` from `from`, ignoring case.
fn find_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    (from..h.len().saturating_sub(n.len() - 1)).find(|&k| h[k..k + n.len()].eq_ignore_ascii_case(n))
}

/// An attribute value's text: character references decoded (the ones HTML
/// writers use; others stay as written).
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let n = if let Some(h) = ent
                        .strip_prefix(['#'])
                        .and_then(|x| x.strip_prefix(['x', 'X']))
                    {
                        u32::from_str_radix(h, 16).ok()
                    } else {
                        ent.strip_prefix('#').and_then(|d| d.parse().ok())
                    };
                    n.and_then(char::from_u32)?
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_and_links_follow() {
        let ch = |path, name, html: &str| Chapter {
            path,
            name,
            html: html.to_string(),
        };
        let out = rewrite(vec![
            ch("a.html", "A", "<h1 id=\"intro\"><a class=\"header\" href=\"#intro\">A</a></h1><p><a href=\"b.html#x\">b</a> <a href='sub/c.html'>c</a> <img src=\"i.png\"></p><h2 id=\"x\"></h2>"),
            ch("b.html", "B", "<h1 id=\"intro\"></h1><h2 id=\"x\"></h2><!-- <a id=\"x\"> --><a href=\"https://e/x\">e</a>"),
            ch("sub/c.html", "C & D", "<h2 id=\"\"></h2><a href=\"../a.html#x\">a</a><video src=\"v.mp4\"></video><a href=\"../../std/x.html\">s</a>"),
        ]);
        assert_eq!(out[0], "<h1 id=\"intro\"><a class=\"header\" href=\"#intro\">A</a></h1><p><a href=\"#x-1\">b</a> <a href='#c--d'>c</a> <img src=\"i.png\"></p><h2 id=\"x\"></h2>");
        assert_eq!(out[1], "<h1 id=\"intro-1\"></h1><h2 id=\"x-1\"></h2><!-- <a id=\"x\"> --><a href=\"https://e/x\">e</a>");
        assert_eq!(out[2], "<h1 id=\"c--d\"><a href=\"#c--d\" class=\"header\">C &amp; D</a></h1>\n<h2 id=\"\"></h2><a href=\"#x\">a</a><video src=\"sub/v.mp4\"></video><a href=\"../std/x.html\">s</a>");
    }

    #[test]
    fn paths_and_entities() {
        assert_eq!(normalize("a/../../b/./c"), "../b/c");
        assert_eq!(normalize("../../x"), "../../x");
        assert_eq!(unescape("a&amp;b&#39;&#x41;&bogus;"), "a&b'A&bogus;");
        assert!(has_scheme("mailto:x") && !has_scheme("a/b:c") && !has_scheme("HTTP://x"));
        let mut used = UsedIds::default();
        assert_eq!(
            ["", "", "x", "x", "x-1"].map(|i| unique_id(i, &mut used)),
            ["", "-1", "x", "x-1", "x-1-1"]
        );
        // A suffixed id written by a chapter itself is skipped, before and after
        // the remembered suffix.
        let mut used = UsedIds::default();
        assert_eq!(
            ["a", "a-2", "a", "a", "a-5", "a", "a"].map(|i| unique_id(i, &mut used)),
            ["a", "a-2", "a-1", "a-3", "a-5", "a-4", "a-6"]
        );
    }
}

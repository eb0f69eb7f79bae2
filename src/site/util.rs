//! Small helpers shared by the site modules: HTML escaping, slugs, paths.

use std::collections::HashMap;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_into(&mut out, s);
    out
}

pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// GitHub-style heading slug: lower-case letters, digits, `_` and `-` kept,
/// whitespace becomes `-`, everything else is dropped.
pub fn slug(text: &str) -> String {
    // mdBook's `id_from_content`: the whole text lower-cased first (a final Σ is ς).
    let mut s = String::with_capacity(text.len());
    for c in text.trim().to_lowercase().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            s.push(c);
        } else if c.is_whitespace() {
            s.push('-');
        }
    }
    s
}

/// Hands out unique ids within one page as mdBook 0.5.4 does: repeats get `-1`,
/// `-2`, … (an empty id stays empty, then `-1`, …); custom `{#id}`s are kept apart,
/// so a generated id never steps around them (mdBook then writes the id twice).
#[derive(Default)]
pub struct IdSet {
    seen: HashMap<String, usize>,
    custom: std::collections::HashSet<String>,
}

impl IdSet {
    /// Reserves `id` as written (a custom id); returns false when it was taken.
    pub fn reserve(&mut self, id: &str) -> bool {
        let taken = self.contains(id);
        self.custom.insert(id.to_string());
        !taken
    }

    /// A unique id derived from `base`.
    pub fn unique(&mut self, base: &str) -> String {
        let Some(&last) = self.seen.get(base) else {
            self.seen.insert(base.to_string(), 0);
            return base.to_string();
        };
        let mut k = last;
        loop {
            k += 1;
            let candidate = format!("{base}-{k}");
            if !self.seen.contains_key(&candidate) {
                self.seen.insert(candidate.clone(), 0);
                self.seen.insert(base.to_string(), k);
                return candidate;
            }
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.seen.contains_key(id) || self.custom.contains(id)
    }
}

/// The output path of a Markdown page: `a/b.md` → `a/b.html`, `README.md` → `index.html`.
pub fn html_path(md: &str) -> String {
    let (dir, file) = match md.rfind('/') {
        Some(i) => (&md[..=i], &md[i + 1..]),
        None => ("", md),
    };
    let stem = file.strip_suffix(".md").unwrap_or(file);
    // mdBook's `index` preprocessor: README in any case is the folder's index.
    if stem.eq_ignore_ascii_case("README") {
        format!("{dir}index.html")
    } else {
        format!("{dir}{stem}.html")
    }
}

/// `../` repeated once per folder of `path` (a `/`-separated path from the site root).
pub fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// Resolves `rel` against the folder of `from` (both `/`-separated, from the site
/// root). Returns None when it climbs above the root.
pub fn join(from: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// A relative URL from the page at `from` to the site path `to`.
pub fn relative(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let mut common = 0;
    while common < from_dirs.len()
        && common + 1 < to_parts.len()
        && from_dirs[common] == to_parts[common]
    {
        common += 1;
    }
    let mut s = "../".repeat(from_dirs.len() - common);
    s.push_str(&to_parts[common..].join("/"));
    s
}

/// Decodes `%XX` escapes (invalid ones are kept as written).
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether a link target leaves the site: has a scheme (`https:`, `mailto:`) or is protocol-relative.
pub fn is_external(url: &str) -> bool {
    if url.starts_with("//") {
        return true;
    }
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
                && !url[..i].contains('/')
        }
        None => false,
    }
}

/// Byte offsets of line starts, for offset → line/column.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 0-based line and 1-based column (in characters) of `offset`.
    pub fn locate(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let col = text
            .get(start..offset.min(text.len()))
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_ids() {
        assert_eq!(
            slug("Identity options: AKS & ACR"),
            "identity-options-aks--acr"
        );
        assert_eq!(slug("`az aks update` flags"), "az-aks-update-flags");
        let mut ids = IdSet::default();
        assert_eq!(ids.unique("a"), "a");
        assert_eq!(ids.unique("a"), "a-1");
        assert_eq!(ids.unique("a"), "a-2");
        assert!(ids.reserve("b-1"));
        assert_eq!(ids.unique("b"), "b");
        assert_eq!(ids.unique("b"), "b-1");
        assert!(!ids.reserve("b"));
        assert_eq!(ids.unique(""), "");
        assert_eq!(ids.unique(""), "-1");
    }

    #[test]
    fn paths() {
        assert_eq!(html_path("a/b.md"), "a/b.html");
        assert_eq!(html_path("README.md"), "index.html");
        assert_eq!(root_of("a/b/c.html"), "../../");
        assert_eq!(join("a/b.html", "../c/d.md").as_deref(), Some("c/d.md"));
        assert_eq!(join("a.html", "../c.md"), None);
        assert_eq!(relative("a/b.html", "a/c.html"), "c.html");
        assert_eq!(relative("a/b.html", "c.html"), "../c.html");
        assert_eq!(relative("x.html", "a/c.html"), "a/c.html");
        assert_eq!(relative("a/b/x.html", "a/c/y.html"), "../c/y.html");
        assert!(is_external("https://x.y"));
        assert!(is_external("mailto:a@b"));
        assert!(!is_external("a/b.md#x:y"));
        assert_eq!(percent_decode("a%20b.md"), "a b.md");
        // Invalid escapes stay as written; bytes that are not UTF-8 become U+FFFD.
        assert_eq!(percent_decode("100%.md%4"), "100%.md%4");
        assert_eq!(percent_decode("%zz%C3%A9%C3"), "%zzé\u{fffd}");
    }
}

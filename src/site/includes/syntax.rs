//! The syntax of mdBook's links in a chapter's raw text: finding `{{#include}}`,
//! `{{#rustdoc_include}}`, `{{#playground}}` and `{{#title}}` (and escaped `\{{#…}}`),
//! reading a link's line range or anchor, and taking those lines of an included
//! file (plain, as hidden rustdoc lines, or in a playground code block).

use std::sync::OnceLock;

use regex::Regex;

/// What a `{{#…}}` found in raw text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LinkKind {
    /// `\{{#…}}`: written out without its backslash.
    Escaped,
    Include,
    /// Lines outside the selection become hidden `# ` lines.
    RustdocInclude,
    /// The file in a `rust` code block, with the given fence attributes.
    Playground(Vec<String>),
    /// The page's `<title>`.
    Title(String),
}

/// Which lines of an included file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Selection {
    /// Zero-based start (inclusive) and end (exclusive); None is open.
    Lines(Option<usize>, Option<usize>),
    Anchor(String),
}

#[derive(Debug, Clone)]
pub(super) struct Link {
    pub start: usize,
    pub end: usize,
    pub kind: LinkKind,
    /// The file as written (empty for `Escaped` and `Title`).
    pub path: String,
    pub selection: Selection,
}

/// The `{{#…}}` links of `text` in order, as mdBook's regex finds them: a link
/// needs a name and, after whitespace, an argument (`{{#include}}` alone stays
/// text), and an escaped one runs to the last `}}` of its line. Links of other
/// names (`{{#table …}}`) are not returned.
pub(super) fn find_links(text: &str) -> Vec<Link> {
    static LINK: OnceLock<Regex> = OnceLock::new();
    let re = LINK.get_or_init(|| {
        Regex::new(r"\\\{\{#.*\}\}|\{\{\s*#([a-zA-Z0-9_]+)\s+([^}]+)\}\}")
            .expect("constant pattern")
    });
    let mut out = Vec::new();
    if !text.contains("{{") {
        return out;
    }
    for cap in re.captures_iter(text) {
        let m = cap.get(0).expect("group 0 is the whole match");
        let (kind, path, selection) = match (cap.get(1), cap.get(2)) {
            (Some(name), Some(rest)) => {
                let rest = rest.as_str();
                if name.as_str() == "title" {
                    (
                        LinkKind::Title(rest.to_string()),
                        String::new(),
                        Selection::Lines(None, None),
                    )
                } else {
                    let mut words = rest.split_whitespace();
                    let Some(file) = words.next() else { continue };
                    match name.as_str() {
                        "include" | "rustdoc_include" => {
                            let (p, sel) = match file.split_once(':') {
                                Some((p, s)) => (p, parse_selection(s)),
                                None => (file, Selection::Lines(None, None)),
                            };
                            let kind = if name.as_str() == "include" {
                                LinkKind::Include
                            } else {
                                LinkKind::RustdocInclude
                            };
                            (kind, p.to_string(), sel)
                        }
                        "playground" | "playpen" => (
                            LinkKind::Playground(words.map(str::to_string).collect()),
                            file.to_string(),
                            Selection::Lines(None, None),
                        ),
                        _ => continue,
                    }
                }
            }
            _ if m.as_str().starts_with('\\') => (
                LinkKind::Escaped,
                String::new(),
                Selection::Lines(None, None),
            ),
            _ => continue,
        };
        out.push(Link {
            start: m.start(),
            end: m.end(),
            kind,
            path,
            selection,
        });
    }
    out
}

/// The part after `file:`: `N` is line N only, `N:M` lines N to M, `:M` up to M,
/// `N:` from N on, anything not a number an anchor name (mdBook's reading).
pub(super) fn parse_selection(s: &str) -> Selection {
    let mut parts = s.splitn(3, ':');
    let first = parts.next().unwrap_or("");
    let start = if first.is_empty() {
        None
    } else if let Ok(n) = first.parse::<usize>() {
        Some(n.saturating_sub(1))
    } else {
        return Selection::Anchor(first.to_string());
    };
    let end = parts.next().map(|e| e.parse::<usize>());
    match (start, end) {
        (Some(a), Some(Ok(b))) => Selection::Lines(Some(a), Some(b)),
        (Some(a), Some(Err(_))) => Selection::Lines(Some(a), None),
        (Some(a), None) => Selection::Lines(Some(a), Some(a + 1)),
        (None, Some(Ok(b))) => Selection::Lines(None, Some(b)),
        (None, _) => Selection::Lines(None, None),
    }
}

fn anchor_start() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"ANCHOR:\s*([\w_-]+)").expect("constant pattern"))
}

fn anchor_end() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"ANCHOR_END:\s*([\w_-]+)").expect("constant pattern"))
}

fn in_range(i: usize, a: Option<usize>, b: Option<usize>) -> bool {
    a.is_none_or(|a| i >= a) && b.is_none_or(|b| i < b)
}

/// The selected lines, joined by `\n` without a final newline (as mdBook). An
/// anchor's lines drop every `ANCHOR:`/`ANCHOR_END:` line of nested anchors; an
/// anchor that is never opened selects nothing.
pub(super) fn take(text: &str, sel: &Selection) -> String {
    match sel {
        Selection::Lines(a, b) => text
            .lines()
            .enumerate()
            .filter(|(i, _)| in_range(*i, *a, *b))
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("\n"),
        Selection::Anchor(name) => {
            let mut kept = Vec::new();
            let mut inside = false;
            for l in text.lines() {
                if inside {
                    match anchor_end().captures(l) {
                        Some(c) if &c[1] == name => break,
                        Some(_) => {}
                        None if !anchor_start().is_match(l) => kept.push(l),
                        None => {}
                    }
                } else if anchor_start().captures(l).is_some_and(|c| &c[1] == name) {
                    inside = true;
                }
            }
            kept.join("\n")
        }
    }
}

/// `{{#rustdoc_include}}`: every line of the file, those outside the selection
/// as hidden `# ` lines (anchor comment lines dropped), no final newline.
pub(super) fn take_rustdoc(text: &str, sel: &Selection) -> String {
    let mut out: Vec<String> = Vec::new();
    match sel {
        Selection::Lines(a, b) => {
            for (i, l) in text.lines().enumerate() {
                if in_range(i, *a, *b) {
                    out.push(l.to_string());
                } else {
                    out.push(format!("# {l}"));
                }
            }
        }
        Selection::Anchor(name) => {
            let mut inside = false;
            for l in text.lines() {
                if inside {
                    match anchor_end().captures(l) {
                        Some(c) if &c[1] == name => inside = false,
                        Some(_) => {}
                        None if !anchor_start().is_match(l) => out.push(l.to_string()),
                        None => {}
                    }
                } else if let Some(c) = anchor_start().captures(l) {
                    // Other anchors' opening lines are dropped, not hidden.
                    inside = &c[1] == name;
                } else if !anchor_end().is_match(l) {
                    out.push(format!("# {l}"));
                }
            }
        }
    }
    out.join("\n")
}

/// `{{#playground file attrs…}}`: the file in a `rust` code block.
pub(super) fn playground(text: &str, attrs: &[String]) -> String {
    let mut s = String::from("```rust");
    if !attrs.is_empty() {
        s.push(',');
        s.push_str(&attrs.join(","));
    }
    s.push('\n');
    s.push_str(text);
    if !text.ends_with('\n') {
        s.push('\n');
    }
    s.push_str("```\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "Lorem\nipsum\ndolor\nsit\namet";

    #[test]
    fn ranges_read_as_mdbook() {
        let t = |s: &str| take(S, &parse_selection(s));
        assert_eq!(t("2"), "ipsum");
        assert_eq!(t("2:3"), "ipsum\ndolor");
        assert_eq!(t(":2"), "Lorem\nipsum");
        assert_eq!(t("4:"), "sit\namet");
        assert_eq!(t("4:x"), "sit\namet");
        assert_eq!(t(":"), S);
        assert_eq!(t("0"), "Lorem");
        assert_eq!(t("9"), "");
        assert_eq!(t("4:3"), "");
    }

    #[test]
    fn anchors_drop_nested_anchor_lines() {
        let s = "a\n// ANCHOR: outer\nb\n// ANCHOR: inner\nc\n// ANCHOR_END: inner\nd\n// ANCHOR_END: outer\ne";
        assert_eq!(take(s, &parse_selection("outer")), "b\nc\nd");
        assert_eq!(take(s, &parse_selection("inner")), "c");
        assert_eq!(take(s, &parse_selection("none")), "");
        assert_eq!(
            take_rustdoc(s, &parse_selection("inner")),
            "# a\n# b\nc\n# d\n# e"
        );
        assert_eq!(
            take_rustdoc(S, &parse_selection("2:3")),
            "# Lorem\nipsum\ndolor\n# sit\n# amet"
        );
    }

    #[test]
    fn links_as_mdbook_finds_them() {
        let l = find_links("x {{#include a.rs:2}} `{{#include}}` \\{{#title T}} {{#table t.yaml}} {{ #playground p.rs editable }}");
        let kinds: Vec<_> = l
            .iter()
            .map(|l| (l.kind.clone(), l.path.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![(LinkKind::Include, "a.rs"), (LinkKind::Escaped, ""),]
        );
        let l = find_links("{{#title  My  page}}\n{{ #playground p.rs editable }}");
        assert_eq!(l[0].kind, LinkKind::Title("My  page".into()));
        assert_eq!(l[1].kind, LinkKind::Playground(vec!["editable".into()]));
        assert_eq!(
            playground("fn main() {}", &["editable".into()]),
            "```rust,editable\nfn main() {}\n```\n"
        );
    }
}

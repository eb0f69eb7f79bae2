//! `SUMMARY.md` in mdBook's format: optional `# Summary` title, prefix chapters,
//! `# Part` titles, numbered nested `- [Title](path.md)` chapters (any consistent
//! indent, `-` or `*`), `---` separators, draft chapters `- [Title]()`, suffix
//! chapters. policybook adds two special targets: `policybook:policies` (the policy
//! index, with one nested page per rule) and `policybook:checklist`.

use crate::diagnostics::{Diagnostics, Location};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `[Title]()`: listed, greyed out, no page.
    Draft,
    /// A Markdown file, relative to the book's source folder, `/`-separated.
    File(String),
    /// `policybook:policies`.
    Policies,
    /// `policybook:checklist`.
    Checklist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub title: String,
    pub target: Target,
    /// Nesting depth of a numbered chapter (0 = top level); None for prefix/suffix chapters.
    pub depth: Option<usize>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Part(String),
    Separator,
    Entry(Entry),
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub title: Option<String>,
    pub items: Vec<Item>,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Phase {
    Prefix,
    Numbered,
    Suffix,
}

/// Parses SUMMARY.md. `file` is its path relative to the project root, for messages.
pub fn parse(text: &str, file: &str) -> (Summary, Diagnostics) {
    let mut d = Diagnostics::default();
    let mut s = Summary::default();
    let mut phase = Phase::Prefix;
    let mut indents: Vec<usize> = Vec::new();
    let mut bullet: Option<char> = None;
    let mut seen = std::collections::HashMap::<Target, usize>::new();
    let mut in_comment = false;
    let mut anything = false;

    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let at = |col: usize| Location::new(file, (line_no, col));
        let expanded = raw.replace('\t', "    ");
        let line = expanded.trim_end();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if in_comment {
            if trimmed.contains("-->") {
                in_comment = false;
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("<!--") {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if let Some(h) = trimmed.strip_prefix('#') {
            if h.starts_with('#') {
                continue; // h2+ headings are ignored, as in mdBook
            }
            let title = h.trim().trim_end_matches('#').trim().to_string();
            if !anything && s.title.is_none() {
                s.title = Some(title);
            } else if phase == Phase::Suffix {
                d.error(at(indent + 1), format!("part title `{title}` after the suffix chapters"), "part titles go before or between numbered chapters; move it up or make the chapters after it numbered (`- [Title](file.md)`)");
            } else {
                phase = Phase::Numbered;
                indents.clear();
                s.items.push(Item::Part(title));
            }
            anything = true;
            continue;
        }
        anything = true;
        if trimmed.len() >= 3 && trimmed.chars().all(|c| c == '-') {
            s.items.push(Item::Separator);
            indents.clear();
            continue;
        }
        let (numbered, body, body_col) = match trimmed.chars().next() {
            Some(b @ ('-' | '*' | '+')) if trimmed[1..].starts_with(' ') => {
                let rest = trimmed[1..].trim_start();
                (Some(b), rest, line.len() - rest.len() + 1)
            }
            _ => (None, trimmed, indent + 1),
        };
        let Some((title, target)) = parse_link(body) else {
            d.error(
                at(body_col),
                format!("unexpected text in SUMMARY.md: `{trimmed}`"),
                "each line is a `# Part title`, a `---` separator, a `[Title](file.md)` prefix/suffix chapter or a `- [Title](file.md)` numbered chapter",
            );
            continue;
        };
        let target = match parse_target(&target) {
            Ok(t) => t,
            Err(why) => {
                d.error(at(body_col), why.to_string(), "link a `.md` file relative to the book's source folder, `policybook:policies`, `policybook:checklist`, or leave `()` empty for a draft");
                continue;
            }
        };
        if target != Target::Draft {
            if let Some(first) = seen.get(&target) {
                d.error(
                    at(body_col),
                    format!(
                        "`{}` is listed twice (first on line {first})",
                        target_text(&target)
                    ),
                    "list each chapter once",
                );
                continue;
            }
            seen.insert(target.clone(), line_no);
        }
        let location = at(body_col);
        match numbered {
            None => {
                if indent > 0 && phase == Phase::Numbered {
                    // In Markdown the line continues the item above: mdBook leaves
                    // it out of the book, and so does policybook, but says so.
                    d.warning(
                        location.clone(),
                        "an indented chapter without a `-` bullet is left out of the book (as mdBook does: the line continues the chapter above it)",
                        "numbered chapters start with `- `",
                    );
                    continue;
                }
                if phase == Phase::Numbered {
                    phase = Phase::Suffix;
                }
                s.items.push(Item::Entry(Entry {
                    title,
                    target,
                    depth: None,
                    location,
                }));
            }
            Some(b) => {
                if phase == Phase::Suffix {
                    d.error(
                        location,
                        "numbered chapter after the suffix chapters",
                        "suffix chapters (`[Title](file.md)` without a bullet) must come last",
                    );
                    continue;
                }
                match bullet {
                    Some(prev) if prev != b => {
                        d.error(
                            location.clone(),
                            format!("list bullet `{b}` mixed with `{prev}`"),
                            "use the same bullet (`-` or `*`) for every numbered chapter",
                        );
                    }
                    _ => bullet = Some(b),
                }
                phase = Phase::Numbered;
                // Nesting by indentation: deeper than the last level opens a child level;
                // going back out must land exactly on an enclosing level.
                let mut popped = false;
                while indents.last().is_some_and(|&top| top > indent) {
                    indents.pop();
                    popped = true;
                }
                match indents.last() {
                    Some(&top) if top == indent => {}
                    Some(_) if popped => {
                        d.error(
                            location,
                            "indentation matches no enclosing list level",
                            "indent nested chapters consistently",
                        );
                        continue;
                    }
                    _ => indents.push(indent),
                }
                let depth = indents.len() - 1;
                s.items.push(Item::Entry(Entry {
                    title,
                    target,
                    depth: Some(depth),
                    location,
                }));
            }
        }
    }
    (s, d)
}

fn target_text(t: &Target) -> String {
    match t {
        Target::Draft => String::new(),
        Target::File(p) => p.clone(),
        Target::Policies => "policybook:policies".into(),
        Target::Checklist => "policybook:checklist".into(),
    }
}

/// `[title](target)` with nothing after it.
fn parse_link(s: &str) -> Option<(String, String)> {
    let s = s.trim_end();
    if !s.starts_with('[') || !s.ends_with(')') {
        return None;
    }
    // The title ends at the `](` whose bracket balances the opening one.
    let mut depth = 0;
    let mut end = None;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let end = end?;
    let rest = &s[end + 1..];
    let target = rest.strip_prefix('(')?.strip_suffix(')')?;
    let target = target.trim();
    let target = target
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(target);
    let title = s[1..end]
        .replace('`', "")
        .replace("\\[", "[")
        .replace("\\]", "]");
    Some((title.trim().to_string(), target.to_string()))
}

/// Why a SUMMARY.md link cannot be a chapter; the message at its place.
#[derive(Debug, thiserror::Error)]
enum TargetError {
    #[error("unknown generated page `policybook:{0}`")]
    UnknownGenerated(String),
    #[error("chapter `{0}` is not a file of the book")]
    External(String),
    #[error("chapter target `{0}` is not a `.md` file")]
    NotMarkdown(String),
    #[error("chapter `{0}` is outside the source folder")]
    Outside(String),
    #[error("chapter `{0}` is an absolute path")]
    Absolute(String),
}

fn parse_target(t: &str) -> Result<Target, TargetError> {
    if t.is_empty() {
        return Ok(Target::Draft);
    }
    if let Some(special) = t.strip_prefix("policybook:") {
        return match special {
            "policies" => Ok(Target::Policies),
            "checklist" => Ok(Target::Checklist),
            other => Err(TargetError::UnknownGenerated(other.to_string())),
        };
    }
    if super::util::is_external(t) {
        return Err(TargetError::External(t.to_string()));
    }
    let p = super::util::percent_decode(t);
    let p = p.trim_start_matches("./");
    if p.contains('#') || !p.ends_with(".md") {
        return Err(TargetError::NotMarkdown(t.to_string()));
    }
    let norm = super::util::join("x", p).ok_or_else(|| TargetError::Outside(t.to_string()))?;
    if p.starts_with('/') {
        return Err(TargetError::Absolute(t.to_string()));
    }
    Ok(Target::File(norm))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(s: &Summary) -> Vec<(String, Option<usize>)> {
        s.items
            .iter()
            .map(|i| match i {
                Item::Part(t) => (format!("# {t}"), None),
                Item::Separator => ("---".into(), None),
                Item::Entry(e) => (format!("{}={}", e.title, target_text(&e.target)), e.depth),
            })
            .collect()
    }

    #[test]
    fn full_grammar() {
        let text = "# Summary\n\n[Intro](intro.md)\n\n# Part one\n\n- [A](a.md)\n    - [A1](a/one.md)\n        - [A1x](a/x.md)\n    - [Draft]()\n- [B](b.md)\n\n---\n\n# Part two\n\n- [Policies](policybook:policies)\n  - [Sub](p/sub.md)\n\n[Glossary](glossary.md)\n";
        let (s, d) = parse(text, "src/SUMMARY.md");
        assert!(d.0.is_empty(), "{d}");
        assert_eq!(s.title.as_deref(), Some("Summary"));
        assert_eq!(
            entries(&s),
            vec![
                ("Intro=intro.md".into(), None),
                ("# Part one".into(), None),
                ("A=a.md".into(), Some(0)),
                ("A1=a/one.md".into(), Some(1)),
                ("A1x=a/x.md".into(), Some(2)),
                ("Draft=".into(), Some(1)),
                ("B=b.md".into(), Some(0)),
                ("---".into(), None),
                ("# Part two".into(), None),
                ("Policies=policybook:policies".into(), Some(0)),
                ("Sub=p/sub.md".into(), Some(1)),
                ("Glossary=glossary.md".into(), None),
            ]
        );
    }

    #[test]
    fn errors_have_places() {
        let text = "# S\n- [A](a.md)\n[Suffix](s.md)\n- [B](b.md)\n- [C](c.txt)\nhello\n- [A again](a.md)\n";
        let (_, d) = parse(text, "src/SUMMARY.md");
        let got: Vec<String> =
            d.0.iter()
                .map(|d| format!("{}: {}", d.location, d.message))
                .collect();
        assert_eq!(
            got,
            vec![
                "src/SUMMARY.md:4:3: numbered chapter after the suffix chapters",
                "src/SUMMARY.md:5:3: chapter target `c.txt` is not a `.md` file",
                "src/SUMMARY.md:6:1: unexpected text in SUMMARY.md: `hello`",
                "src/SUMMARY.md:7:3: `a.md` is listed twice (first on line 2)",
            ]
        );
    }

    #[test]
    fn inconsistent_indent() {
        let (_, d) = parse("- [A](a.md)\n    - [B](b.md)\n  - [C](c.md)\n", "S.md");
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].location.line, 3);
    }
}

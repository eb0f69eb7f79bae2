//! `[output.html.fold]` as in mdBook: with `enable = true`, the sidebar shows the
//! chapters down to `level` + 1 (level 0: the top chapters only) and folds the
//! deeper ones; every chapter with sub-chapters gets a toggle button, and the page
//! being read is unfolded with its parents (themes/default/assets/book.js). Only
//! the sidebar (`assets/toc.js`) folds: `toc.html`, the no-script table of
//! contents, always shows everything. Values of the wrong type were warned about
//! with the other `[output.html]` keys (config.rs) and count as absent.

use crate::model::Bundle;

use super::util::escape;

/// The fold level when folding is on.
pub(super) fn level(bundle: &Bundle) -> Option<usize> {
    let fold = bundle.config.output.get("html")?.get("fold")?;
    if fold.get("enable").and_then(|v| v.as_bool()) != Some(true) {
        return None;
    }
    let level = fold.get("level").and_then(|v| v.as_integer()).unwrap_or(0);
    Some(usize::try_from(level).unwrap_or(0))
}

/// The sidebar's HTML (`<ol class="toc">` of `<li class="chapter-item">` items,
/// sub-chapters in a nested `<ol class="section">`) with its foldable items marked:
/// class `pb-fold`, plus `expanded` when the item's level (1 at the top) is at
/// most `level`, and a toggle button before the nested list.
pub(super) fn apply(nav: &str, level: Option<usize>) -> String {
    let Some(level) = level else {
        return nav.to_string();
    };
    // Open items: where their class attribute's value ends, their list depth,
    // and whether they were given a title.
    struct Open {
        class_end: usize,
        depth: usize,
        title_from: usize,
    }
    let mut edits: Vec<(usize, String)> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = nav[i..].find('<') {
        i += off;
        let rest = &nav[i..];
        if rest.starts_with("<ol") {
            if let Some(li) = open.last() {
                // The item has sub-chapters: fold it, unless it has no title.
                // The title without its section number.
                let inner = &nav[li.title_from..i];
                let inner = match (inner.find("<strong>"), inner.find("</strong>")) {
                    (Some(a), Some(b)) if a < b => format!("{}{}", &inner[..a], &inner[b..]),
                    _ => inner.to_string(),
                };
                let title = strip_tags(&inner);
                if li.depth == depth && !title.trim().is_empty() {
                    let expanded = li.depth <= level;
                    let class = if expanded {
                        " pb-fold expanded"
                    } else {
                        " pb-fold"
                    };
                    edits.push((li.class_end, class.to_string()));
                    edits.push((
                        i,
                        format!(
                            "<button type=\"button\" class=\"chapter-fold-toggle\" aria-expanded=\"{expanded}\" aria-label=\"Sections of {}\"><span aria-hidden=\"true\">❱</span></button>",
                            escape(title.trim())
                        ),
                    ));
                }
            }
            depth += 1;
        } else if rest.starts_with("</ol") {
            depth = depth.saturating_sub(1);
        } else if rest.starts_with("<li") {
            let tag_end = i + rest.find('>').unwrap_or(rest.len());
            let tag = &nav[i..tag_end];
            if let Some(c) = tag.find("class=\"chapter-item") {
                let from = i + c + "class=\"".len();
                let class_end = from + nav[from..].find('"').unwrap_or(0);
                open.push(Open {
                    class_end,
                    depth,
                    title_from: tag_end + 1,
                });
            } else {
                // Part titles and spacers close on the spot.
                open.push(Open {
                    class_end: 0,
                    depth: usize::MAX,
                    title_from: tag_end + 1,
                });
            }
        } else if rest.starts_with("</li") {
            open.pop();
        }
        i += 1;
    }
    edits.sort_by_key(|(at, _)| *at);
    let mut out = String::with_capacity(nav.len() + edits.len() * 64);
    let mut pos = 0;
    for (at, text) in edits {
        out.push_str(&nav[pos..at]);
        out.push_str(&text);
        pos = at;
    }
    out.push_str(&nav[pos..]);
    out
}

/// The text of an HTML fragment (entities left as they are).
fn strip_tags(html: &str) -> String {
    let mut s = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => s.push(c),
            _ => {}
        }
    }
    // The title is already escaped HTML: unescape what `escape` will escape again.
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_below_the_level() {
        let nav = "<ol class=\"toc\"><li class=\"chapter-item\"><a href=\"a.html\"><strong>1.</strong> A &amp; B</a><ol class=\"section\"><li class=\"chapter-item\"><a href=\"b.html\">B</a><ol class=\"section\"><li class=\"chapter-item\"><a href=\"c.html\">C</a></li></ol></li></ol></li><li class=\"part-title\">P</li><li class=\"chapter-item\"><a href=\"d.html\">D</a></li></ol>";
        assert_eq!(apply(nav, None), nav);
        assert_eq!(
            apply(nav, Some(1)),
            "<ol class=\"toc\"><li class=\"chapter-item pb-fold expanded\"><a href=\"a.html\"><strong>1.</strong> A &amp; B</a><button type=\"button\" class=\"chapter-fold-toggle\" aria-expanded=\"true\" aria-label=\"Sections of A &amp; B\"><span aria-hidden=\"true\">❱</span></button><ol class=\"section\"><li class=\"chapter-item pb-fold\"><a href=\"b.html\">B</a><button type=\"button\" class=\"chapter-fold-toggle\" aria-expanded=\"false\" aria-label=\"Sections of B\"><span aria-hidden=\"true\">❱</span></button><ol class=\"section\"><li class=\"chapter-item\"><a href=\"c.html\">C</a></li></ol></li></ol></li><li class=\"part-title\">P</li><li class=\"chapter-item\"><a href=\"d.html\">D</a></li></ol>"
        );
    }
}

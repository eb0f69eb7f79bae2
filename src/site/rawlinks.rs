//! Raw HTML in a chapter as mdBook 0.5.4 writes it on the page: the `href` (and
//! `xlink:href`) of an `<a>` that names a `.md` file names its page instead
//! (`x.md#y` → `x.html#y`), as mdBook's `fix_link` does for Markdown and HTML links.

use pulldown_cmark::{CowStr, Event};

use super::print_ids::{has_scheme, scan, unescape};
use super::util::escape;

/// `ev` (an `Html` or `InlineHtml` event) with its `<a>` links to `.md` files fixed.
pub(super) fn md_links<'a>(ev: &Event<'a>) -> Event<'a> {
    let (Event::Html(h) | Event::InlineHtml(h)) = ev else {
        return ev.clone();
    };
    match fix_html(h) {
        Some(new) if matches!(ev, Event::Html(_)) => Event::Html(CowStr::from(new)),
        Some(new) => Event::InlineHtml(CowStr::from(new)),
        None => ev.clone(),
    }
}

fn fix_html(html: &str) -> Option<String> {
    if !html.contains(".md") {
        return None;
    }
    let mut edits = Vec::new();
    for tag in scan(html).iter().filter(|t| t.name == "a") {
        for (name, r) in &tag.attrs {
            if name == "href" || name == "xlink:href" {
                if let Some(new) = fix_link(&unescape(&html[r.clone()])) {
                    edits.push((r.clone(), escape(&new)));
                }
            }
        }
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(html.len() + 16);
    let mut pos = 0;
    for (r, v) in edits {
        out.push_str(&html[pos..r.start]);
        out.push_str(&v);
        pos = r.end;
    }
    out.push_str(&html[pos..]);
    Some(out)
}

/// mdBook's `fix_link`: a relative link with `.md` (its last one) becomes `.html`,
/// keeping a `#fragment` right after it (anything else after it is dropped, as
/// mdBook's pattern does).
pub(super) fn fix_link(link: &str) -> Option<String> {
    if link.starts_with('#') || has_scheme(link) {
        return None;
    }
    let at = link.rfind(".md")?;
    let rest = &link[at + 3..];
    let anchor = if rest.starts_with('#') { rest } else { "" };
    Some(format!("{}.html{anchor}", &link[..at]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_links_in_raw_html() {
        assert_eq!(
            fix_html("<a href=\"../first/nested.md#x\">A</a> <a href='https://e/x.md'>B</a> <img src=\"x.md\">").as_deref(),
            Some("<a href=\"../first/nested.html#x\">A</a> <a href='https://e/x.md'>B</a> <img src=\"x.md\">")
        );
        assert_eq!(fix_html("<p>x.md</p>"), None);
        assert_eq!(fix_link("a.md?q").as_deref(), Some("a.html"));
    }
}

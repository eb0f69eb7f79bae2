//! Link and image targets, rewritten for the page and for the print page and
//! recorded for the link check: chapters (`x.md` → `x.html`, and in the print
//! page an anchor of the chapter's section), other files of the site, in-page
//! anchors, and links out (checked only as external) or above the source folder
//! (written as they are).

use pulldown_cmark::{CowStr, Tag};

use super::{print_id, LinkRef, LinkTarget, PageBuilder};
use crate::diagnostics::Location;
use crate::site::util::{html_path, is_external, join, percent_decode};

impl PageBuilder<'_> {
    /// Rewrites a link or image target for the page and for the print page and
    /// records it for the link check.
    pub(super) fn rewrite(
        &mut self,
        dest: &CowStr,
        image: bool,
        loc: &dyn Fn() -> Location,
    ) -> (String, String) {
        let dest: &str = dest;
        if dest.is_empty() {
            return (String::new(), String::new());
        }
        if is_external(dest) {
            self.externals.push((dest.to_string(), loc()));
            return (dest.to_string(), dest.to_string());
        }
        if dest.starts_with('/') {
            self.diags.warning(
                loc(),
                format!("absolute link `{dest}` breaks when the site is served from a sub-path"),
                "use a relative link",
            );
            return (dest.to_string(), dest.to_string());
        }
        let (path, frag) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (dest, None),
        };
        let path = path.split('?').next().unwrap_or("");
        let frag_dec = frag.map(percent_decode);
        if path.is_empty() {
            self.links.push(LinkRef {
                target: LinkTarget::Page(self.md.clone()),
                anchor: frag_dec.clone(),
                location: loc(),
            });
            let print = format!("#{}-{}", self.pid, frag.unwrap_or(""));
            return (dest.to_string(), print);
        }
        let Some(resolved) = join(&self.md, &percent_decode(path)) else {
            // Leaving the source folder: docs published next to the book
            // (`../std/…`), external as in mdBook: written as is, not checked.
            return (dest.to_string(), from_site_root(&self.md, dest));
        };
        if resolved.ends_with(".md") && !image {
            self.links.push(LinkRef {
                target: LinkTarget::Page(resolved.clone()),
                anchor: frag_dec,
                location: loc(),
            });
            let file_start = path.rfind('/').map(|i| i + 1).unwrap_or(0);
            let mut page = format!("{}{}", &path[..file_start], html_path(&path[file_start..]));
            let mut print = format!("#{}", print_id(&html_path(&resolved)));
            if let Some(f) = frag {
                page.push('#');
                page.push_str(f);
                print.push('-');
                print.push_str(f);
            }
            (page, print)
        } else {
            self.links.push(LinkRef {
                target: LinkTarget::File(resolved.clone()),
                anchor: None,
                location: loc(),
            });
            let mut print = resolved;
            if let Some(f) = frag {
                print.push('#');
                print.push_str(f);
            }
            (dest.to_string(), print)
        }
    }
}

/// `dest`, written relative to the page `md`, made relative to the site root (where
/// the print page is); `..` above the root stays.
pub(super) fn from_site_root(md: &str, dest: &str) -> String {
    let cut = dest.find(['?', '#']).unwrap_or(dest.len());
    let (path, rest) = dest.split_at(cut);
    let mut parts: Vec<&str> = md.split('/').collect();
    parts.pop();
    let mut up = 0;
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    up += 1;
                }
            }
            s => parts.push(s),
        }
    }
    let slash = if path.ends_with('/') && !parts.is_empty() {
        "/"
    } else {
        ""
    };
    format!("{}{}{slash}{rest}", "../".repeat(up), parts.join("/"))
}

/// A copy of a link or image tag pointing at `url` (the page and print renderings
/// of one link differ only in their destination).
pub(super) fn with_destination<'t>(tag: &Tag<'t>, url: String) -> Tag<'t> {
    match tag {
        Tag::Link {
            link_type,
            title,
            id,
            ..
        } => Tag::Link {
            link_type: *link_type,
            dest_url: url.into(),
            title: title.clone(),
            id: id.clone(),
        },
        Tag::Image {
            link_type,
            title,
            id,
            ..
        } => Tag::Image {
            link_type: *link_type,
            dest_url: url.into(),
            title: title.clone(),
            id: id.clone(),
        },
        other => other.clone(),
    }
}

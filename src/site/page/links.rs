//! Link and image targets, rewritten for the page (the print page takes the same;
//! `print_ids` makes them in-page there, as mdBook does) and recorded for the link
//! check: chapters (`x.md` → `x.html`), other files of the site, in-page anchors,
//! and links out (checked only as external) or above the source folder (written as
//! they are).

use pulldown_cmark::{CowStr, Tag};

use super::{LinkRef, LinkTarget, PageBuilder};
use crate::diagnostics::Location;
use crate::site::util::{html_path, is_external, join, percent_decode};

impl PageBuilder<'_> {
    /// Rewrites a link or image target for the page and records it for the link
    /// check.
    pub(super) fn rewrite(
        &mut self,
        dest: &CowStr,
        image: bool,
        loc: &dyn Fn() -> Location,
    ) -> String {
        let dest: &str = dest;
        if dest.is_empty() {
            return String::new();
        }
        if is_external(dest) {
            self.externals.push((dest.to_string(), loc()));
            return dest.to_string();
        }
        if dest.starts_with('/') {
            self.diags.warning(
                loc(),
                format!("absolute link `{dest}` breaks when the site is served from a sub-path"),
                "use a relative link",
            );
            return dest.to_string();
        }
        let (path, frag) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (dest, None),
        };
        let path = path.split('?').next().unwrap_or("");
        // mdBook reads a link through `(.*)\.md(#.*)?`, so `x.mdr` or `x.md.txt` is
        // the chapter `x.md` there: here too, with a warning.
        let read_as;
        let path = match path.rfind(".md") {
            Some(at) if at + 3 < path.len() && !image => {
                read_as = path[..at + 3].to_string();
                self.diags.warning(
                    loc(),
                    format!("link `{dest}` is read as `{read_as}`, as mdBook reads it (what follows `.md` is dropped)"),
                    "end the chapter's path with `.md`",
                );
                read_as.as_str()
            }
            _ => path,
        };
        let frag_dec = frag.map(percent_decode);
        if path.is_empty() {
            self.links.push(LinkRef {
                target: LinkTarget::Page(self.md.clone()),
                anchor: frag_dec.clone(),
                location: loc(),
            });
            return dest.to_string();
        }
        let Some(resolved) = join(&self.md, &percent_decode(path)) else {
            // Leaving the source folder: docs published next to the book
            // (`../std/…`), external as in mdBook: not checked, written as is
            // but for mdBook's `.md` → `.html`.
            return crate::site::rawlinks::fix_link(dest).unwrap_or_else(|| dest.to_string());
        };
        if resolved.ends_with(".md") && !image {
            self.links.push(LinkRef {
                target: LinkTarget::Page(resolved.clone()),
                anchor: frag_dec,
                location: loc(),
            });
            let file_start = path.rfind('/').map(|i| i + 1).unwrap_or(0);
            let mut page = format!("{}{}", &path[..file_start], html_path(&path[file_start..]));
            if let Some(f) = frag {
                page.push('#');
                page.push_str(f);
            }
            page
        } else {
            self.links.push(LinkRef {
                target: LinkTarget::File(resolved),
                anchor: None,
                location: loc(),
            });
            dest.to_string()
        }
    }
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

//! The search documents: each page's sections (a heading and the text below it)
//! become documents addressed by page and anchor, and the search index is built
//! from them (`search.rs`) and written.

use rayon::prelude::*;

use super::render::{Rendered, Site};
use super::{book_keys, search};
use crate::output::write_file;

/// Writes the search index, taking each page's sections out of `pages`.
pub(super) fn write(site: &Site, pages: &mut [Rendered]) -> anyhow::Result<()> {
    let (plan, out) = (site.plan, site.out);
    let mut docs = Vec::new();
    for (spec, p) in plan.pages.iter().zip(pages.iter_mut()) {
        for s in std::mem::take(&mut p.sections) {
            if s.body.trim().is_empty() && s.code.is_empty() && s.anchor.is_empty() {
                continue;
            }
            let url = if s.anchor.is_empty() {
                spec.out.clone()
            } else {
                format!("{}#{}", spec.out, s.anchor)
            };
            let crumb = if s.title == spec.title {
                String::new()
            } else {
                spec.title.clone()
            };
            docs.push(search::Doc {
                url,
                title: s.title,
                crumb,
                body: s.body,
                code: s.code,
            });
        }
    }
    let mut files = search::build(&docs);
    book_keys::search_limit(site.env.bundle, &mut files);
    drop(docs);
    files
        .par_iter()
        .try_for_each(|(p, s)| write_file(&out.join(p), s.as_bytes()))
}

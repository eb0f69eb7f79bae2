//! Link checking: the set of paths the site will hold, every internal link and
//! anchor of the pages checked against it, and the external links listed (in
//! `external-links.txt`), never fetched.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::page::{LinkRef, LinkTarget};
use super::redirects;
use super::render::{Rendered, Site};
use super::util;
use crate::diagnostics::Diagnostics;
use crate::output::write_file;

/// Every path the site will hold besides redirect pages: the pages, the source
/// folder's other files (`statics`), the generated files, the theme's and the
/// book's assets and the shared pages. Redirects that would overwrite one of them
/// are dropped (an error); then the redirect pages join the set, and every
/// redirect's target is checked against it.
pub(super) fn known_files(
    site: &Site,
    statics: &[String],
    redirect_plan: &mut redirects::Plan,
    d: &mut Diagnostics,
) -> HashSet<String> {
    let root = &site.env.bundle.root;
    let mut known: HashSet<String> = statics.iter().cloned().collect();
    for f in site.rule_files.iter().flatten() {
        known.insert(f.site_path.clone());
    }
    for a in site.theme.assets.keys() {
        known.insert(a.clone());
    }
    for (path, _) in &site.opts.book_assets.files {
        known.insert(path.clone());
    }
    for s in ["index.html", "404.html", "toc.html", "assets/toc.js"] {
        known.insert(s.into());
    }
    if site.opts.print {
        known.insert("print.html".into());
    }
    redirects::drop_clashes(redirect_plan, &known, root, d);
    // A link to an old address is fine: its redirect page is there.
    for r in &redirect_plan.pages {
        known.insert(r.path.clone());
    }
    for p in &site.plan.pages {
        known.insert(p.out.clone());
    }
    redirects::check_targets(redirect_plan, &known, root, d);
    known
}

/// Checks the links of every page, then of `not_found`: a chapter link must reach
/// a page of SUMMARY.md (or a redirect), an anchor one of its ids, a file link a
/// file of the site.
pub(super) fn check(
    site: &Site,
    pages: &[Rendered],
    not_found: &Rendered,
    known: &HashSet<String>,
    d: &mut Diagnostics,
) {
    let (plan, src_dir, src_rel) = (site.plan, site.env.src_dir, site.env.src_rel);
    let by_md: HashMap<&str, usize> = plan
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.md.as_str(), i))
        .collect();
    let anchors: Vec<HashSet<&str>> = pages
        .iter()
        .map(|p| p.anchors.iter().map(String::as_str).collect())
        .collect();
    let check = |l: &LinkRef, d: &mut Diagnostics| match &l.target {
        LinkTarget::Page(md) => match by_md.get(md.as_str()) {
            // A chapter that moved: its old address has a redirect page.
            None if known.contains(&util::html_path(md)) => {}
            None => {
                if src_dir.join(md).is_file() {
                    d.error(
                        l.location.clone(),
                        format!("link to `{md}`, which is not in SUMMARY.md and so has no page"),
                        "add the chapter to SUMMARY.md or link another page",
                    );
                } else {
                    d.error(
                        l.location.clone(),
                        format!("broken link: `{src_rel}/{md}` does not exist"),
                        "fix the path; links are relative to the page's own folder",
                    );
                }
            }
            Some(&j) => {
                if let Some(a) = l.anchor.as_deref().filter(|a| !a.is_empty()) {
                    if !anchors[j].contains(a) {
                        d.error(
                            l.location.clone(),
                            format!("broken anchor: `{}` has no heading or id `#{a}`", plan.pages[j].md),
                            "anchors are heading ids: lower-case words joined by `-` (or a `{#custom-id}`)",
                        );
                    }
                }
            }
        },
        LinkTarget::File(f) => {
            if !known.contains(f) {
                d.error(
                    l.location.clone(),
                    format!("broken link: no file `{f}` in the site"),
                    "fix the path, or add the file to the book's source folder",
                );
            }
        }
    };
    for p in pages.iter().chain(std::iter::once(not_found)) {
        for l in &p.links {
            check(l, d);
        }
    }
}

/// Lists the external links of every page and of `not_found` in
/// `external-links.txt` (sorted, each with where it is written); nothing when
/// there are none.
pub(super) fn write_externals(
    pages: &[Rendered],
    not_found: &Rendered,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    // External links are listed, not fetched.
    let mut ext: BTreeSet<(String, String)> = BTreeSet::new();
    for p in pages.iter().chain(std::iter::once(not_found)) {
        for (u, l) in &p.externals {
            ext.insert((u.clone(), l.to_string()));
        }
    }
    if !ext.is_empty() {
        let mut s = String::from(
            "# External links in the handbook (listed, not checked): URL<TAB>source\n",
        );
        for (u, l) in &ext {
            s.push_str(&format!("{u}\t{l}\n"));
        }
        write_file(&out.join("external-links.txt"), s.as_bytes())?;
    }
    Ok(())
}

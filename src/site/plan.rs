//! The book's plan: which pages the site has, in SUMMARY.md order, where each is
//! written and what it is made from (a chapter file, or a generated policy page),
//! and the navigation tree the sidebar is drawn from. Also the same book as
//! external preprocessors see it.

use std::collections::HashMap;
use std::path::Path;

use super::source_files::inside_source;
use super::summary::{self, Item, Target};
use super::{book_keys, preprocess, util};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::Bundle;

/// What a page is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PageKind {
    Markdown,
    PolicyIndex,
    Policy(usize),
    Checklist,
}

/// One page of the site.
#[derive(Debug, Clone)]
pub(super) struct PageSpec {
    pub(super) kind: PageKind,
    /// Virtual Markdown path relative to the source folder.
    pub(super) md: String,
    pub(super) out: String,
    pub(super) title: String,
    pub(super) number: Option<String>,
    /// The SUMMARY.md line that lists the page.
    pub(super) location: Location,
}

/// One line of the sidebar: a part title, a separator or a chapter (a draft has no page).
#[derive(Debug, Clone)]
pub(super) enum Nav {
    Part(String),
    Separator,
    Chapter {
        page: Option<usize>,
        title: String,
        number: Option<String>,
        depth: usize,
    },
}

pub(super) struct Plan {
    pub(super) pages: Vec<PageSpec>,
    pub(super) nav: Vec<Nav>,
}

impl Plan {
    /// Whether SUMMARY.md lists the generated policy pages (`policybook:policies`).
    pub(super) fn has_policy_pages(&self) -> bool {
        self.pages.iter().any(|p| p.kind == PageKind::PolicyIndex)
    }
}

/// The book as preprocessors see it: Markdown chapters (read from disk), drafts,
/// parts and separators in SUMMARY.md order. Generated policy pages are left out.
pub(super) fn preprocess_items(plan: &Plan, src_dir: &Path) -> Vec<preprocess::Item> {
    let mut items = Vec::new();
    let mut skip_below: Option<usize> = None;
    for n in &plan.nav {
        match n {
            Nav::Part(t) => items.push(preprocess::Item::Part(t.clone())),
            Nav::Separator => items.push(preprocess::Item::Separator),
            Nav::Chapter {
                page,
                title,
                number,
                depth,
            } => {
                if skip_below.is_some_and(|s| *depth > s) {
                    continue;
                }
                skip_below = None;
                let content = match page {
                    None => None,
                    Some(i) if plan.pages[*i].kind == PageKind::Markdown => {
                        match crate::text::read_text(&src_dir.join(&plan.pages[*i].md)) {
                            Ok(t) => Some(t),
                            Err(_) => continue, // reported when the page is rendered
                        }
                    }
                    Some(_) => {
                        skip_below = Some(*depth);
                        continue;
                    }
                };
                let number = number.as_ref().map(|n| {
                    n.split('.')
                        .filter_map(|x| x.parse::<u32>().ok())
                        .collect::<Vec<_>>()
                });
                items.push(preprocess::Item::Chapter(preprocess::Chapter {
                    md: page.map(|i| plan.pages[i].md.clone()).unwrap_or_default(),
                    title: title.clone(),
                    number,
                    depth: *depth,
                    content,
                }));
            }
        }
    }
    items
}

/// Lays SUMMARY.md out as pages and sidebar lines, numbering chapters as it goes.
/// Missing, repeated or out-of-folder chapter files are errors in `d`.
pub(super) fn plan(
    bundle: &Bundle,
    summary: &summary::Summary,
    src_dir: &Path,
    d: &mut Diagnostics,
) -> Plan {
    let mut pages: Vec<PageSpec> = Vec::new();
    let mut nav = Vec::new();
    let mut counters: Vec<u32> = Vec::new();
    let mut number = |depth: Option<usize>| -> Option<String> {
        let dp = depth?;
        counters.truncate(dp + 1);
        while counters.len() < dp + 1 {
            counters.push(0);
        }
        counters[dp] += 1;
        Some(counters.iter().map(|n| format!("{n}.")).collect())
    };
    let mut seen: HashMap<String, Location> = HashMap::new();
    let mut add = |pages: &mut Vec<PageSpec>,
                   nav: &mut Vec<Nav>,
                   spec: PageSpec,
                   depth: usize,
                   d: &mut Diagnostics| {
        if let Some(first) = seen.get(&spec.md) {
            d.error(
                spec.location.clone(),
                format!("page `{}` is listed twice (also at {first})", spec.md),
                "list each chapter once; generated pages live under policies/",
            );
            return;
        }
        seen.insert(spec.md.clone(), spec.location.clone());
        nav.push(Nav::Chapter {
            page: Some(pages.len()),
            title: spec.title.clone(),
            number: spec.number.clone(),
            depth,
        });
        pages.push(spec);
    };
    for item in &summary.items {
        match item {
            Item::Part(t) => nav.push(Nav::Part(t.clone())),
            Item::Separator => nav.push(Nav::Separator),
            Item::Entry(e) => {
                let num = number(e.depth);
                let depth = e.depth.unwrap_or(0);
                let spec = |kind: PageKind, md: &str, title: &str, num: Option<String>| PageSpec {
                    kind,
                    md: md.to_string(),
                    out: util::html_path(md),
                    title: title.to_string(),
                    number: num,
                    location: e.location.clone(),
                };
                match &e.target {
                    Target::Draft => nav.push(Nav::Chapter {
                        page: None,
                        title: e.title.clone(),
                        number: num,
                        depth,
                    }),
                    Target::File(md) => {
                        // Only from a SUMMARY.md without errors: a typo'd line never writes a file.
                        if !src_dir.join(md).is_file()
                            && !d.has_errors()
                            && book_keys::create_missing(bundle)
                        {
                            if let Err(why) = book_keys::create_chapter(src_dir, md, &e.title) {
                                d.error(e.location.clone(), format!("cannot create the missing chapter file `{md}`: {why}"), "create the file yourself or fix the path ([build] create-missing = true writes missing chapters)");
                                continue;
                            }
                        }
                        if !src_dir.join(md).is_file() {
                            d.error(e.location.clone(), format!("chapter file `{md}` does not exist"), "create the file or fix the path (relative to the book's source folder)");
                            continue;
                        }
                        if !inside_source(src_dir, md) {
                            d.error(e.location.clone(), format!("chapter file `{md}` leads through a symbolic link out of the book's source folder"), "chapters must be files inside the book's source folder; copy the file in instead of linking it");
                            continue;
                        }
                        add(
                            &mut pages,
                            &mut nav,
                            spec(PageKind::Markdown, md, &e.title, num),
                            depth,
                            d,
                        );
                    }
                    Target::Policies | Target::Checklist if bundle.config.policybook.is_none() => {
                        d.error(
                            e.location.clone(),
                            "generated policy pages need a policybook project",
                            "add [policybook] to book.toml or remove this line",
                        );
                    }
                    Target::Policies => {
                        add(
                            &mut pages,
                            &mut nav,
                            spec(PageKind::PolicyIndex, "policies/index.md", &e.title, num),
                            depth,
                            d,
                        );
                        for (i, r) in bundle.rules.iter().enumerate() {
                            let n = if e.depth.is_some() {
                                number(Some(depth + 1))
                            } else {
                                None
                            };
                            let title = format!("{} {}", r.id, r.title);
                            add(
                                &mut pages,
                                &mut nav,
                                spec(
                                    PageKind::Policy(i),
                                    &format!("policies/{}.md", r.name),
                                    &title,
                                    n,
                                ),
                                depth + 1,
                                d,
                            );
                        }
                    }
                    Target::Checklist => add(
                        &mut pages,
                        &mut nav,
                        spec(PageKind::Checklist, "policies/checklist.md", &e.title, num),
                        depth,
                        d,
                    ),
                }
            }
        }
    }
    Plan { pages, nav }
}

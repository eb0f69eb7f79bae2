//! One page of the site, built from Markdown fragments and generated HTML.
//!
//! Every page is rendered twice in one pass over pulldown-cmark's events: the page
//! itself, and its section of the print page (the same HTML for Markdown; the print
//! page's ids and links are made unique and in-page by `print_ids`, as mdBook does
//! it). While rendering, the builder collects what later stages need: heading ids
//! (link check, on-page TOC), links with their source places (link check),
//! external links, and plain text split into sections at headings (search index).
//!
//! This file holds the builder, what it collects, and what the site and the
//! directives call on it. Its children add the rendering: `page/markdown.rs` walks
//! a Markdown fragment's events step by step into both renderings, and
//! `page/links.rs` rewrites and records link targets. Include expansion is
//! `includes::expand_links`.

mod links;
mod markdown;

use super::context::{Env, Origin};
use super::directives::Host;
use super::util::{escape, html_path, relative, IdSet};
use crate::diagnostics::{Diagnostics, Location};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LinkTarget {
    /// A Markdown page, by its path relative to the source folder.
    Page(String),
    /// Any other file, relative to the site root.
    File(String),
}

#[derive(Debug, Clone)]
pub(super) struct LinkRef {
    pub target: LinkTarget,
    pub anchor: Option<String>,
    pub location: Location,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A search document: the text between two headings (h1–h3).
#[derive(Debug, Clone, Default)]
pub(super) struct Section {
    /// Heading id, empty for the top of the page.
    pub anchor: String,
    pub title: String,
    /// Prose, for results' snippets and the index.
    pub body: String,
    /// Code, indexed but not shown in snippets.
    pub code: String,
}

pub(super) struct PageBuilder<'e> {
    env: &'e Env<'e>,
    /// Virtual Markdown path relative to the source folder (`guides/x.md`, `policies/index.md`).
    pub md: String,
    /// Output path relative to the site root (`guides/x.html`).
    pub out: String,
    ids: IdSet,
    pub html: String,
    pub print: String,
    /// h2/h3 headings, for the on-page table of contents.
    pub headings: Vec<Heading>,
    /// Every id on the page a link may target.
    pub anchors: Vec<String>,
    pub links: Vec<LinkRef>,
    pub externals: Vec<(String, Location)>,
    pub sections: Vec<Section>,
    pub diags: Diagnostics,
    in_heading: bool,
}

impl<'e> PageBuilder<'e> {
    pub(super) fn new(env: &'e Env<'e>, md: &str, title: &str) -> PageBuilder<'e> {
        let out = html_path(md);
        PageBuilder {
            env,
            md: md.to_string(),
            out,
            ids: IdSet::default(),
            html: String::new(),
            print: String::new(),
            headings: Vec::new(),
            anchors: Vec::new(),
            links: Vec::new(),
            externals: Vec::new(),
            sections: vec![Section {
                title: title.to_string(),
                ..Section::default()
            }],
            diags: Diagnostics::default(),
            in_heading: false,
        }
    }

    // ------------------------------------------------------------ generated content

    /// Raw HTML that is the same on the page and in the print page (no links, no ids).
    pub(super) fn raw(&mut self, html: &str) {
        self.html.push_str(html);
        self.print.push_str(html);
    }

    pub(super) fn raw2(&mut self, page: &str, print: &str) {
        self.html.push_str(page);
        self.print.push_str(print);
    }

    /// The section text goes into: the last one (`new` starts the page with one,
    /// and headings only ever add).
    fn current_section(&mut self) -> &mut Section {
        self.sections
            .last_mut()
            .expect("a page has its first section from `new` until the index takes them")
    }

    /// Plain text for the search index.
    pub(super) fn text(&mut self, t: &str) {
        let s = self.current_section();
        s.body.push_str(t);
        s.body.push(' ');
    }

    pub(super) fn code_text(&mut self, t: &str) {
        let s = self.current_section();
        s.code.push_str(t);
        s.code.push(' ');
    }

    /// A generated heading; `title` is plain text (escaped here). Returns its id.
    pub(super) fn heading(&mut self, level: u8, title: &str, id: &str) -> String {
        let id = self.ids.unique(id);
        self.note_heading(level, &id, title);
        let (eid, t) = (escape(&id), escape(title));
        self.raw(&format!(
            "<h{level} id=\"{eid}\"><a class=\"header\" href=\"#{eid}\">{t}</a></h{level}>\n"
        ));
        id
    }

    fn note_heading(&mut self, level: u8, id: &str, title: &str) {
        self.anchors.push(id.to_string());
        if (2..=3).contains(&level) {
            self.headings.push(Heading {
                level,
                id: id.to_string(),
                title: title.to_string(),
            });
        }
        if level <= 3 {
            if level == 1 && self.sections.len() == 1 && self.sections[0].body.is_empty() {
                // The page's own h1 names the first section.
                self.sections[0].anchor = id.to_string();
                self.sections[0].title = title.to_string();
            } else {
                self.sections.push(Section {
                    anchor: id.to_string(),
                    title: title.to_string(),
                    ..Section::default()
                });
            }
        }
    }

    /// Hrefs (page, print page) to another page of the site by output path.
    pub(super) fn page_href(&self, target_out: &str, anchor: Option<&str>) -> (String, String) {
        let mut page = relative(&self.out, target_out);
        if let Some(frag) = anchor {
            page.push('#');
            page.push_str(frag);
        }
        (page.clone(), page)
    }

    /// Hrefs (page, print page) to a file of the site by its path from the root.
    pub(super) fn file_href(&self, target: &str) -> (String, String) {
        let page = relative(&self.out, target);
        (page.clone(), page)
    }

    // ------------------------------------------------------------ Markdown

    /// Renders trusted Markdown (content pages, rule Markdown fields).
    pub(super) fn markdown(&mut self, text: &str, origin: &Origin) {
        let (page, print) = self.fragment(text, origin, false);
        self.html.push_str(&page);
        self.print.push_str(&print);
    }

    /// Inline Markdown (a table cell): the paragraph wrapper is removed.
    pub(super) fn inline_markdown(&mut self, text: &str, origin: &Origin) -> (String, String) {
        self.fragment(text, origin, true)
    }
}

/// What the directives use of the page they render into.
impl<'e> Host<'e> for PageBuilder<'e> {
    fn env(&self) -> &'e Env<'e> {
        self.env
    }

    fn diags(&mut self) -> &mut Diagnostics {
        &mut self.diags
    }

    fn inline_markdown(&mut self, text: &str, origin: &Origin) -> (String, String) {
        PageBuilder::inline_markdown(self, text, origin)
    }

    fn block_markdown(&mut self, text: &str, origin: &Origin) -> (String, String) {
        let before = (self.html.len(), self.print.len());
        self.markdown(text, origin);
        let page = self.html.split_off(before.0);
        let print = self.print.split_off(before.1);
        (page, print)
    }

    /// Text in the page's sections (`{{#checklist}}` output).
    fn text_only(&mut self, t: &str) {
        self.text(t);
    }

    fn page_href(&self, target_out: &str, anchor: Option<&str>) -> (String, String) {
        PageBuilder::page_href(self, target_out, anchor)
    }
}

//! One page of the site, built from Markdown fragments and generated HTML.
//!
//! Every page is rendered twice in one pass over pulldown-cmark's events: the page
//! itself, and its section of the print page (the same HTML for Markdown; the print
//! page's ids and links are made unique and in-page by `print_ids`, as mdBook does
//! it). While rendering, the builder
//! collects what later stages need: heading ids (link check, on-page TOC), links
//! with their source places (link check), external links, and plain text split
//! into sections at headings (search index).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::alerts;
use super::codeblock;
use super::context::{Env, Origin};
use super::directives::{self, Host};
use super::footnotes;
use super::includes;
use super::util::{
    escape, html_path, is_external, join, percent_decode, relative, slug, IdSet, LineIndex,
};
use crate::diagnostics::{Diagnostics, Location};

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
        | Options::ENABLE_DEFINITION_LIST
}

/// `[output.html] smart-punctuation` (older name `curly-quotes`), on by default as
/// in mdBook 0.5: typographic quotes, dashes and ellipses in prose.
fn smart_punctuation(env: &Env) -> bool {
    let Some(html) = env.bundle.config.output.get("html") else {
        return true;
    };
    html.get("smart-punctuation")
        .or_else(|| html.get("curly-quotes"))
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// A Markdown page, by its path relative to the source folder.
    Page(String),
    /// Any other file, relative to the site root.
    File(String),
}

#[derive(Debug, Clone)]
pub struct LinkRef {
    pub target: LinkTarget,
    pub anchor: Option<String>,
    pub location: Location,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A search document: the text between two headings (h1–h3).
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Heading id, empty for the top of the page.
    pub anchor: String,
    pub title: String,
    /// Prose, for results' snippets and the index.
    pub body: String,
    /// Code, indexed but not shown in snippets.
    pub code: String,
}

pub struct PageBuilder<'e> {
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
    /// The first h1's text, if any.
    pub first_h1: Option<String>,
}

impl<'e> PageBuilder<'e> {
    pub fn new(env: &'e Env<'e>, md: &str, title: &str) -> PageBuilder<'e> {
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
            first_h1: None,
        }
    }

    // ------------------------------------------------------------ generated content

    /// Raw HTML that is the same on the page and in the print page (no links, no ids).
    pub fn raw(&mut self, html: &str) {
        self.html.push_str(html);
        self.print.push_str(html);
    }

    pub fn raw2(&mut self, page: &str, print: &str) {
        self.html.push_str(page);
        self.print.push_str(print);
    }

    /// Plain text for the search index.
    pub fn text(&mut self, t: &str) {
        let s = self.sections.last_mut().unwrap();
        s.body.push_str(t);
        s.body.push(' ');
    }

    pub fn code_text(&mut self, t: &str) {
        let s = self.sections.last_mut().unwrap();
        s.code.push_str(t);
        s.code.push(' ');
    }

    /// A generated heading; `title` is plain text (escaped here). Returns its id.
    pub fn heading(&mut self, level: u8, title: &str, id: &str) -> String {
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
        if level == 1 && self.first_h1.is_none() {
            self.first_h1 = Some(title.to_string());
        }
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
    pub fn page_href(&self, target_out: &str, anchor: Option<&str>) -> (String, String) {
        let mut a = relative(&self.out, target_out);
        if let Some(frag) = anchor {
            a.push('#');
            a.push_str(frag);
        }
        (a.clone(), a)
    }

    /// Hrefs (page, print page) to a file of the site by its path from the root.
    pub fn file_href(&self, target: &str) -> (String, String) {
        let a = relative(&self.out, target);
        (a.clone(), a)
    }

    // ------------------------------------------------------------ Markdown

    /// Renders trusted Markdown (content pages, rule Markdown fields).
    pub fn markdown(&mut self, text: &str, origin: &Origin) {
        let (a, b) = self.fragment(text, origin, false);
        self.html.push_str(&a);
        self.print.push_str(&b);
    }

    /// Inline Markdown (a table cell): the paragraph wrapper is removed.
    pub fn inline_markdown(&mut self, text: &str, origin: &Origin) -> (String, String) {
        self.fragment(text, origin, true)
    }

    fn fragment(&mut self, text: &str, origin: &Origin, inline: bool) -> (String, String) {
        let li = LineIndex::new(text);
        let mut opts = options();
        if smart_punctuation(self.env) {
            opts |= Options::ENABLE_SMART_PUNCTUATION;
        }
        let evs: Vec<(Event, Range<usize>)> =
            Parser::new_ext(text, opts).into_offset_iter().collect();
        let mut a: Vec<Event> = Vec::with_capacity(evs.len() + 8);
        let mut b: Vec<Event> = Vec::with_capacity(evs.len() + 8);
        let mut heading: Option<(usize, bool)> = None;
        let mut code: Option<(Option<String>, String)> = None;
        let mut footnotes = footnotes::Footnotes::default();
        let mut i = 0;
        while i < evs.len() {
            let (ev, range) = &evs[i];
            if let Some((lang, buf)) = &mut code {
                match ev {
                    Event::Text(t) => buf.push_str(t),
                    Event::End(TagEnd::CodeBlock) => {
                        let info = std::mem::take(lang);
                        let buf = std::mem::take(buf);
                        code = None;
                        self.code_text(&buf);
                        // Classes, hidden lines and highlighting as mdBook (codeblock.rs).
                        let html =
                            codeblock::render(&self.env.bundle.config, info.as_deref(), &buf);
                        a.push(Event::Html(html.clone().into()));
                        b.push(Event::Html(html.into()));
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match ev {
                Event::Start(Tag::Heading { level, id, .. }) => {
                    let end = evs[i..]
                        .iter()
                        .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))
                        .map(|p| i + p)
                        .unwrap_or(evs.len());
                    let inner = &evs[i + 1..end];
                    let title = plain_text(inner);
                    let hid = match id {
                        Some(custom) => {
                            if !self.ids.reserve(custom) {
                                // mdBook writes it twice; links reach the first.
                                let loc = origin.locate(text, &li, range.start);
                                self.diags.warning(
                                    loc,
                                    format!("duplicate id `{custom}` on this page: links to `#{custom}` reach the first"),
                                    "give each heading a unique `{#id}`",
                                );
                            }
                            custom.to_string()
                        }
                        None => self.ids.unique(&slug(&title)),
                    };
                    let n = heading_level(*level);
                    self.note_heading(n as u8, &hid, &title);
                    let has_link = inner
                        .iter()
                        .any(|(e, _)| matches!(e, Event::Start(Tag::Link { .. })));
                    let open = |id: &str| {
                        let id = escape(id);
                        if has_link {
                            format!("<h{n} id=\"{id}\">")
                        } else {
                            format!("<h{n} id=\"{id}\"><a class=\"header\" href=\"#{id}\">")
                        }
                    };
                    a.push(Event::Html(open(&hid).into()));
                    b.push(Event::Html(open(&hid).into()));
                    heading = Some((n, has_link));
                    self.in_heading = true;
                }
                Event::End(TagEnd::Heading(_)) => {
                    let (n, has_link) = heading.take().unwrap_or((1, false));
                    let close = if has_link {
                        format!("</h{n}>\n")
                    } else {
                        format!("</a></h{n}>\n")
                    };
                    a.push(Event::Html(close.clone().into()));
                    b.push(Event::Html(close.into()));
                    self.in_heading = false;
                }
                Event::Start(Tag::DefinitionListTitle) => {
                    // A term gets an id and a header link as in mdBook, counted with headings.
                    let end = evs[i..]
                        .iter()
                        .position(|(e, _)| matches!(e, Event::End(TagEnd::DefinitionListTitle)))
                        .map_or(evs.len(), |p| i + p);
                    let id = self.ids.unique(&slug(&plain_text(&evs[i + 1..end])));
                    self.anchors.push(id.clone());
                    let h = format!(
                        "<dt id=\"{0}\"><a class=\"header\" href=\"#{0}\">",
                        escape(&id)
                    );
                    a.push(Event::Html(h.clone().into()));
                    b.push(Event::Html(h.into()));
                }
                Event::End(TagEnd::DefinitionListTitle) => {
                    a.push(Event::Html("</a></dt>\n".into()));
                    b.push(Event::Html("</a></dt>\n".into()));
                }
                Event::Start(tag @ (Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })) => {
                    let loc = || origin.locate(text, &li, range.start);
                    let is_image = matches!(tag, Tag::Image { .. });
                    let x = self.rewrite(dest_url, is_image, &loc);
                    a.push(Event::Start(with_destination(tag, x.clone())));
                    b.push(Event::Start(with_destination(tag, x)));
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => Some(info.to_string()),
                        CodeBlockKind::Indented => None,
                    };
                    code = Some((info, String::new()));
                }
                Event::Start(Tag::Paragraph) => {
                    if let Some((end, dtext)) = directive_at(&evs, i, text) {
                        let loc = origin.locate(text, &li, range.start);
                        let (x, y) = self.directive(&dtext, loc);
                        a.push(Event::Html(x.into()));
                        b.push(Event::Html(y.into()));
                        i = end + 1;
                        continue;
                    }
                    a.push(ev.clone());
                    b.push(ev.clone());
                }
                Event::Start(Tag::BlockQuote(Some(kind))) => {
                    let open = alerts::open(*kind);
                    a.push(Event::Html(open.clone().into()));
                    b.push(Event::Html(open.into()));
                }
                Event::Start(Tag::Table(_)) => {
                    for v in [&mut a, &mut b] {
                        v.push(Event::Html("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\">".into()));
                        v.push(ev.clone());
                    }
                }
                Event::End(TagEnd::Table) => {
                    for v in [&mut a, &mut b] {
                        v.push(ev.clone());
                        v.push(Event::Html("</div>\n".into()));
                    }
                    self.text(" ");
                }
                Event::TaskListMarker(done) => {
                    // Name the checkbox by its item's text (axe: `label`).
                    let mut label = String::new();
                    let mut depth = 0usize;
                    for (e, _) in &evs[i + 1..] {
                        match e {
                            Event::Start(Tag::Item) => depth += 1,
                            Event::End(TagEnd::Item) if depth == 0 => break,
                            Event::End(TagEnd::Item) => depth -= 1,
                            Event::Text(t) | Event::Code(t) => label.push_str(t),
                            Event::SoftBreak | Event::HardBreak => label.push(' '),
                            _ => {}
                        }
                    }
                    let checked = if *done { " checked=\"\"" } else { "" };
                    let html = format!(
                        "<input disabled=\"\" type=\"checkbox\"{checked} aria-label=\"{}\"/>\n",
                        escape(label.trim())
                    );
                    a.push(Event::Html(html.clone().into()));
                    b.push(Event::Html(html.into()));
                }
                Event::FootnoteReference(name) => {
                    let mut x = footnotes.reference(name);
                    let mut y = x.clone();
                    // Side by side references get a space between them, as in mdBook.
                    if matches!(a.last(), Some(Event::InlineHtml(h)) if h.starts_with("<sup class=\"footnote-reference\""))
                    {
                        x.insert(0, ' ');
                        y.insert(0, ' ');
                    }
                    a.push(Event::InlineHtml(x.into()));
                    b.push(Event::InlineHtml(y.into()));
                }
                Event::Start(Tag::FootnoteDefinition(name)) => {
                    footnotes.start(name, &mut a, &mut b);
                }
                Event::End(TagEnd::FootnoteDefinition) => {
                    footnotes.end(&mut a, &mut b);
                }
                Event::Text(t) | Event::Code(t) => {
                    if !self.in_heading {
                        let s = self.sections.last_mut().unwrap();
                        s.body.push_str(t);
                    }
                    a.push(ev.clone());
                    b.push(ev.clone());
                }
                Event::Html(h) | Event::InlineHtml(h) => {
                    collect_html_ids(h, &mut self.anchors);
                    // `<a href="x.md">` names its page, as in mdBook (rawlinks.rs).
                    let ev = super::rawlinks::md_links(ev);
                    a.push(ev.clone());
                    b.push(ev);
                }
                Event::HardBreak => {
                    // mdBook writes `<br>` with no line break after it.
                    if !self.in_heading {
                        self.sections.last_mut().unwrap().body.push(' ');
                    }
                    a.push(Event::InlineHtml("<br>".into()));
                    b.push(Event::InlineHtml("<br>".into()));
                }
                Event::SoftBreak
                | Event::End(
                    TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_),
                ) => {
                    if !self.in_heading {
                        self.sections.last_mut().unwrap().body.push(' ');
                    }
                    a.push(ev.clone());
                    b.push(ev.clone());
                }
                _ => {
                    a.push(ev.clone());
                    b.push(ev.clone());
                }
            }
            i += 1;
        }
        let ids = footnotes.finish(&mut a, &mut b);
        self.anchors.extend(ids);
        let mut x = String::with_capacity(text.len() * 3 / 2);
        let mut y = String::with_capacity(text.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut x, a.into_iter());
        pulldown_cmark::html::push_html(&mut y, b.into_iter());
        if inline {
            (strip_p(x), strip_p(y))
        } else {
            (x, y)
        }
    }

    /// Rewrites a link or image target for the page (and the print page, where
    /// `print_ids` then rewrites it as mdBook does) and records it for the link check.
    fn rewrite(&mut self, dest: &CowStr, image: bool, loc: &dyn Fn() -> Location) -> String {
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
            // (`../std/…`), external as in mdBook: written as is, not checked.
            return dest.to_string();
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

    // ------------------------------------------------------------ directives

    fn directive(&mut self, text: &str, loc: Location) -> (String, String) {
        let inner = text
            .trim()
            .trim_start_matches("{{#")
            .trim_end_matches("}}")
            .trim();
        let (name, args) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
        match name {
            "table" => directives::table(self, args.trim(), loc),
            "checklist" => directives::checklist(self, args, loc),
            "rollout" => super::rollout_table::rollout(self, args, loc),
            // mdBook's own names reach here only escaped (`\{{#title …}}`) or
            // without an argument (`{{#include}}`): text, as mdBook leaves them.
            "include" | "rustdoc_include" | "playground" | "playpen" | "title" => {
                self.text(text.trim());
                let p = format!("<p>{}</p>\n", escape(text.trim()));
                (p.clone(), p)
            }
            other => {
                self.diags.error(loc, format!("unknown directive `{{{{#{other}}}}}`"), "use `{{#table tables/<file>.yaml}}`, `{{#checklist <area>…}}` or `{{#include <file>}}`; write `\\{{#…}}` for the literal text");
                (String::new(), String::new())
            }
        }
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

/// Plain text of inline events (heading titles).
pub fn plain_text(evs: &[(Event, Range<usize>)]) -> String {
    let mut s = String::new();
    for (e, _) in evs {
        match e {
            Event::Text(t) | Event::Code(t) => s.push_str(t),
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            _ => {}
        }
    }
    s.trim().to_string()
}

fn heading_level(l: HeadingLevel) -> usize {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// A paragraph whose whole text is `{{#name args}}` (not backslash-escaped):
/// returns the index of its end event and the text.
fn directive_at(evs: &[(Event, Range<usize>)], i: usize, src: &str) -> Option<(usize, String)> {
    let mut s = String::new();
    let mut j = i + 1;
    while j < evs.len() {
        match &evs[j].0 {
            Event::Text(t) => s.push_str(t),
            Event::End(TagEnd::Paragraph) => break,
            _ => return None,
        }
        j += 1;
    }
    let t = s.trim();
    if !(t.starts_with("{{#") && t.ends_with("}}")) || t[3..t.len() - 2].contains("}}") {
        return None;
    }
    let raw = &src[evs[i].1.clone()];
    if raw.trim_start().starts_with('\\') {
        return None;
    }
    Some((j, t.to_string()))
}

fn strip_p(s: String) -> String {
    let t = s.trim_end();
    if let Some(inner) = t.strip_prefix("<p>").and_then(|x| x.strip_suffix("</p>")) {
        if !inner.contains("<p>") {
            return inner.to_string();
        }
    }
    s
}

/// `id="…"` attributes in raw HTML, so links may target them.
fn collect_html_ids(h: &str, out: &mut Vec<String>) {
    let mut rest = h;
    while let Some(p) = rest.find("id=") {
        let before = rest[..p].chars().last();
        rest = &rest[p + 3..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            continue;
        }
        let q = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => continue,
        };
        if let Some(end) = rest[1..].find(q) {
            out.push(rest[1..1 + end].to_string());
            rest = &rest[1 + end..];
        }
    }
}

/// Expands mdBook's links in a chapter's raw text (see `includes`): `{{#include}}`,
/// `{{#rustdoc_include}}` and `{{#playground}}` relative to the including file,
/// `{{#title}}` removed, `\{{#…}}` written without its backslash. Included files
/// stay inside the repository that holds the book (`includes::boundary`, also
/// through symbolic links), nest at most `MAX_INCLUDE_DEPTH` deep like mdBook's,
/// never form a cycle, and expand a chapter to at most `MAX_INCLUDE_BYTES`: each
/// breach is one error and stops the chapter's expansion. Returns the text, where
/// its lines came from, and the page title a `{{#title}}` sets.
pub fn expand_links(
    text: &str,
    file_md: &str,
    env: &Env,
    origin_file: &str,
    diags: &mut Diagnostics,
    depth: usize,
) -> (String, Origin, Option<String>) {
    if !text.contains("{{") {
        return (text.to_string(), Origin::new(origin_file, 1), None);
    }
    let page = env.src_dir.join(file_md);
    let page_real = page.canonicalize().ok();
    let dir = page_real
        .as_deref()
        .unwrap_or(&page)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let root_real = env
        .bundle
        .root
        .canonicalize()
        .unwrap_or_else(|_| env.bundle.root.to_path_buf());
    let mut st = Includes {
        boundary: includes::boundary(&env.bundle.root),
        root_real,
        chain: vec![(
            page_real.map(|p| (p, String::new())),
            origin_file.to_string(),
            0,
        )],
        real: HashMap::new(),
        read: HashMap::new(),
        total: text.len(),
        stopped: false,
        title: None,
    };
    let (expanded, origin) = expand_in(text, &dir, env, origin_file, diags, depth, &mut st);
    if st.stopped {
        // The page has an error already; rendering megabytes of it would only cost time.
        return (String::new(), Origin::new(origin_file, 1), None);
    }
    (expanded, origin, st.title)
}

/// mdBook's limit on nested `{{#include}}`s.
pub const MAX_INCLUDE_DEPTH: usize = 10;
/// Bytes a chapter may grow to through `{{#include}}` (an include bomb stops here).
pub const MAX_INCLUDE_BYTES: usize = 4 << 20;

/// One file being expanded: its real path and line selection (None for the chapter
/// itself), its path for messages, and the line of the `{{#include}}` that leads on.
type ChainLink = (Option<(std::path::PathBuf, String)>, String, usize);

/// The expansion of one chapter.
struct Includes {
    /// The repository that holds the book (links followed): the boundary of includes.
    boundary: std::path::PathBuf,
    /// The book's root (links followed): included files are named relative to it.
    root_real: std::path::PathBuf,
    /// The files being expanded, outermost first: real path and line selection
    /// (the expansion of one pair is always the same, so a repeated pair never
    /// ends), path for messages, and the line of the `{{#include}}` that leads on.
    chain: Vec<ChainLink>,
    /// Real paths of the files named so far, by joined path.
    real: HashMap<std::path::PathBuf, Option<std::path::PathBuf>>,
    /// Files read so far (a file included many times is read once).
    read: HashMap<std::path::PathBuf, Option<Arc<str>>>,
    /// Bytes brought in so far.
    total: usize,
    /// Set by a cycle, depth or size error: the chapter expands no further.
    stopped: bool,
    /// The last `{{#title}}` met.
    title: Option<String>,
}

impl Includes {
    /// `a.md:3 → b.md:1 → ` for the chain so far.
    fn trail(&self) -> String {
        self.chain
            .iter()
            .map(|(_, f, l)| format!("{f}:{l} → "))
            .collect()
    }

    /// The help of every include that leaves the boundary.
    fn confinement_help(&self) -> String {
        format!(
            "`{{{{#include}}}}` may name any file inside the repository that holds the book ({}: the nearest folder above the book with `.git`, else the book's folder), never beyond it; copy the file inside it",
            self.boundary.display()
        )
    }
}

/// `path` with `.` and `..` removed without touching the file system.
fn lexical(path: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn expand_in(
    text: &str,
    dir: &Path,
    env: &Env,
    origin_file: &str,
    diags: &mut Diagnostics,
    depth: usize,
    st: &mut Includes,
) -> (String, Origin) {
    let _ = env;
    let mut origin = Origin::new(origin_file, 1);
    let links = includes::find_links(text);
    if links.is_empty() {
        return (text.to_string(), origin);
    }
    let li = LineIndex::new(text);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let file: Arc<str> = origin_file.into();
    for link in links {
        if st.stopped {
            break;
        }
        let (start, end) = (link.start, link.end);
        out.push_str(&text[pos..start]);
        pos = end;
        let path = link.path.as_str();
        match &link.kind {
            includes::LinkKind::Escaped => {
                // policybook's own directives keep the backslash: Markdown drops it
                // in prose and the page builder then leaves the paragraph as text.
                let own = ["table", "checklist"].iter().any(|d| {
                    text[start + 4..end]
                        .strip_prefix(d)
                        .is_some_and(|r| r.starts_with([' ', '}']))
                });
                let from = if own { start } else { start + 1 };
                out.push_str(&text[from..end]);
                continue;
            }
            includes::LinkKind::Title(t) => {
                st.title = Some(t.clone());
                continue;
            }
            _ => {}
        }
        let (line0, col) = li.locate(text, start);
        let loc = Location {
            file: origin_file.to_string(),
            line: line0 + 1,
            column: col,
        };
        if path.starts_with('/') || Path::new(path).is_absolute() {
            diags.error(
                loc,
                format!("cannot include `{path}`: an absolute path"),
                format!(
                    "give a path relative to this file, inside the repository that holds the book ({})",
                    st.boundary.display()
                ),
            );
            continue;
        }
        let joined = dir.join(path);
        if !lexical(&joined).starts_with(&st.boundary) {
            let help = st.confinement_help();
            diags.error(
                loc,
                format!(
                    "cannot include `{path}`: it leads out of the repository that holds the book"
                ),
                help,
            );
            continue;
        }
        let real = st
            .real
            .entry(joined.clone())
            .or_insert_with(|| joined.canonicalize().ok())
            .clone();
        let Some(real) = real else {
            diags.error(
                loc,
                format!("cannot include `{path}`: no such file"),
                "give a path relative to this file that exists (mdBook `{{#include}}` semantics)",
            );
            continue;
        };
        if !real.starts_with(&st.boundary) {
            let help = st.confinement_help();
            diags.error(loc, format!("cannot include `{path}`: it leads through a symbolic link out of the repository that holds the book"), help);
            continue;
        }
        let inc_file = includes::relative_path(&st.root_real, &real);
        if let Some(last) = st.chain.last_mut() {
            last.2 = line0 + 1;
        }
        // A whole-file `{{#include}}` has the chapter's own key (a self-include is a cycle).
        let sel_key = match (&link.kind, &link.selection) {
            (includes::LinkKind::Include, includes::Selection::Lines(None, None)) => String::new(),
            (k, sel) => format!("{k:?}{sel:?}"),
        };
        let key = (real.clone(), sel_key);
        if st.chain.iter().any(|(k, _, _)| k.as_ref() == Some(&key)) {
            diags.error(
                loc,
                format!("`{{{{#include}}}}` cycle: {}{inc_file}", st.trail()),
                "a file cannot include itself, directly or through others: remove one `{{#include}}` of the chain",
            );
            st.stopped = true;
            break;
        }
        if depth + 1 > MAX_INCLUDE_DEPTH {
            diags.error(
                loc,
                format!("`{{{{#include}}}}` nested more than {MAX_INCLUDE_DEPTH} deep: {}{inc_file}", st.trail()),
                "mdBook stops at the same depth; include the innermost files from a shallower level",
            );
            st.stopped = true;
            break;
        }
        let content = st
            .read
            .entry(real.clone())
            .or_insert_with(|| crate::text::read_text(&real).ok().map(Arc::from))
            .clone();
        let Some(c) = content else {
            diags.error(
                loc,
                format!("cannot include `{path}`: the file cannot be read as UTF-8 text"),
                "include a readable text file (mdBook `{{#include}}` semantics)",
            );
            continue;
        };
        let (c, first) = match &link.kind {
            includes::LinkKind::RustdocInclude => (includes::take_rustdoc(&c, &link.selection), 0),
            includes::LinkKind::Playground(attrs) => (includes::playground(&c, attrs), 0),
            _ => {
                let first = match link.selection {
                    includes::Selection::Lines(Some(a), _) => a,
                    _ => 0,
                };
                (includes::take(&c, &link.selection), first)
            }
        };
        st.total += c.len();
        if st.total > MAX_INCLUDE_BYTES {
            diags.error(
                loc,
                format!(
                    "`{{{{#include}}}}` makes this chapter larger than {} MiB (while including {inc_file})",
                    MAX_INCLUDE_BYTES >> 20
                ),
                "include less, or split the chapter; the limit stops include bombs (one file included many times, nested)",
            );
            st.stopped = true;
            break;
        }
        st.chain.push((Some(key), inc_file.clone(), 0));
        let inc_dir = real.parent().map(Path::to_path_buf).unwrap_or_default();
        let (expanded, inc_origin) = expand_in(&c, &inc_dir, env, &inc_file, diags, depth + 1, st);
        st.chain.pop();
        // Placed as it is (mdBook 0.5.4; later versions repeat the line's prefix).
        let base = out.len();
        origin.append(base, inc_origin, first);
        out.push_str(&expanded);
        // The rest of the including line and what follows come from the page again.
        let (l_end, _) = li.locate(text, end);
        origin.push(out.len(), file.clone(), l_end + 1);
    }
    if !st.stopped {
        out.push_str(&text[pos..]);
    }
    (out, origin)
}

/// A copy of a link or image tag pointing at `url` (the page and print renderings
/// of one link differ only in their destination).
fn with_destination<'t>(tag: &Tag<'t>, url: String) -> Tag<'t> {
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

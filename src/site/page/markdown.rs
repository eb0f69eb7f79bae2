//! Markdown into a page and its print section in one pass over pulldown-cmark's
//! events. Each event goes through one named step (code block, heading, link,
//! directive paragraph, table, task-list marker, footnote, text, raw HTML) that
//! writes it to both renderings ([`Streams`]) and notes on the builder what later
//! stages need: heading ids, anchors, links, and the search text of the section.

use std::ops::Range;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};

use super::links::with_destination;
use super::PageBuilder;
use crate::diagnostics::Location;
use crate::site::alerts;
use crate::site::codeblock;
use crate::site::context::{Env, Origin};
use crate::site::directives;
use crate::site::footnotes::Footnotes;
use crate::site::rawlinks;
use crate::site::rollout_table;
use crate::site::util::{escape, slug, LineIndex};

fn options() -> Options {
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

/// The two renderings of one fragment, built side by side: the page's events and
/// the print page's (for Markdown the same; `print_ids` makes the print page's ids
/// unique and its links in-page afterwards, as mdBook does).
struct Streams<'t> {
    page: Vec<Event<'t>>,
    print: Vec<Event<'t>>,
}

impl<'t> Streams<'t> {
    fn with_capacity(n: usize) -> Streams<'t> {
        Streams {
            page: Vec::with_capacity(n),
            print: Vec::with_capacity(n),
        }
    }

    /// The same event in both.
    fn same(&mut self, ev: Event<'t>) {
        self.page.push(ev.clone());
        self.print.push(ev);
    }

    /// The same raw HTML in both.
    fn same_html(&mut self, html: String) {
        self.page.push(Event::Html(html.clone().into()));
        self.print.push(Event::Html(html.into()));
    }

    /// Raw HTML that differs between the page and the print page.
    fn html(&mut self, page: String, print: String) {
        self.page.push(Event::Html(page.into()));
        self.print.push(Event::Html(print.into()));
    }

    /// Both rendered to HTML (page, print page).
    fn into_html(self, capacity: usize) -> (String, String) {
        let mut page = String::with_capacity(capacity);
        let mut print = String::with_capacity(capacity);
        pulldown_cmark::html::push_html(&mut page, self.page.into_iter());
        pulldown_cmark::html::push_html(&mut print, self.print.into_iter());
        (page, print)
    }
}

/// One pass over a fragment: its source and events, the renderings so far, and
/// what is open (a heading, a code block, footnote definitions).
struct Pass<'p, 't> {
    /// The fragment's Markdown, for error places and directive text.
    text: &'t str,
    origin: &'p Origin,
    li: LineIndex,
    evs: &'p [(Event<'t>, Range<usize>)],
    out: Streams<'t>,
    /// The open heading: its level and whether its title holds a link.
    heading: Option<(usize, bool)>,
    /// The open code block: its info string and its text so far.
    code: Option<(Option<String>, String)>,
    footnotes: Footnotes<'t>,
}

impl Pass<'_, '_> {
    /// Where byte `offset` of the fragment came from.
    fn locate(&self, offset: usize) -> Location {
        self.origin.locate(self.text, &self.li, offset)
    }
}

impl PageBuilder<'_> {
    /// Renders a Markdown fragment for the page and for the print page; `inline`
    /// removes the paragraph around a one-paragraph result (table cells).
    pub(super) fn fragment(
        &mut self,
        text: &str,
        origin: &Origin,
        inline: bool,
    ) -> (String, String) {
        let mut opts = options();
        if smart_punctuation(self.env) {
            opts |= Options::ENABLE_SMART_PUNCTUATION;
        }
        let evs: Vec<(Event, Range<usize>)> =
            Parser::new_ext(text, opts).into_offset_iter().collect();
        let mut p = Pass {
            text,
            origin,
            li: LineIndex::new(text),
            evs: &evs,
            out: Streams::with_capacity(evs.len() + 8),
            heading: None,
            code: None,
            footnotes: Footnotes::default(),
        };
        let mut i = 0;
        while i < evs.len() {
            i = self.step(&mut p, i);
        }
        let ids = p.footnotes.finish(&mut p.out.page, &mut p.out.print);
        self.anchors.extend(ids);
        let (page, print) = p.out.into_html(text.len() * 3 / 2);
        if inline {
            (strip_p(page), strip_p(print))
        } else {
            (page, print)
        }
    }

    /// Renders event `i` (and any it consumes); returns the index of the next one.
    fn step<'t>(&mut self, p: &mut Pass<'_, 't>, i: usize) -> usize {
        let evs = p.evs;
        let (ev, range) = &evs[i];
        if p.code.is_some() {
            self.code_block_event(p, ev);
            return i + 1;
        }
        match ev {
            Event::Start(Tag::Heading { level, id, .. }) => {
                self.heading_start(p, i, heading_level(*level), id.as_ref())
            }
            Event::End(TagEnd::Heading(_)) => self.heading_end(p),
            // An e-mail autolink: pulldown-cmark writes it with `mailto:`.
            Event::Start(Tag::Link {
                link_type: LinkType::Email,
                ..
            }) => p.out.same(ev.clone()),
            Event::Start(tag @ (Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })) => {
                let loc = || p.locate(range.start);
                let is_image = matches!(tag, Tag::Image { .. });
                let page = self.rewrite(dest_url, is_image, &loc);
                p.out.same(Event::Start(with_destination(tag, page)));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => Some(info.to_string()),
                    CodeBlockKind::Indented => None,
                };
                p.code = Some((info, String::new()));
            }
            Event::Start(Tag::DefinitionListTitle) => self.term_start(p, i),
            Event::End(TagEnd::DefinitionListTitle) => p.out.same_html("</a></dt>\n".into()),
            Event::Start(Tag::Paragraph) => {
                if let Some(next) = self.directive_paragraph(p, i) {
                    return next;
                }
                p.out.same(ev.clone());
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => p.out.same_html(alerts::open(*kind)),
            Event::Start(Tag::Table(_)) => {
                p.out.same(Event::Html("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\">".into()));
                p.out.same(ev.clone());
            }
            Event::End(TagEnd::Table) => {
                p.out.same(ev.clone());
                p.out.same(Event::Html("</div>\n".into()));
                self.text(" ");
            }
            Event::TaskListMarker(done) => p.out.same_html(task_checkbox(*done, &evs[i + 1..])),
            Event::FootnoteReference(name) => self.footnote_reference(p, name),
            Event::Start(Tag::FootnoteDefinition(name)) => {
                p.footnotes.start(name, &mut p.out.page, &mut p.out.print);
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                p.footnotes.end(&mut p.out.page, &mut p.out.print);
            }
            Event::Text(t) | Event::Code(t) => {
                if !self.in_heading {
                    self.current_section().body.push_str(t);
                }
                p.out.same(ev.clone());
            }
            Event::Html(h) | Event::InlineHtml(h) => self.raw_html(p, ev, h),
            Event::HardBreak => {
                // mdBook writes `<br>` with no line break after it.
                self.break_text();
                p.out.same(Event::InlineHtml("<br>".into()));
            }
            Event::SoftBreak
            | Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_),
            ) => {
                self.break_text();
                p.out.same(ev.clone());
            }
            _ => p.out.same(ev.clone()),
        }
        i + 1
    }

    /// Inside a code block: text is gathered, and at its end the block is
    /// rendered (classes, hidden lines and highlighting as mdBook: `codeblock`).
    /// A line break or block end separates words in the search text (not inside a
    /// heading, whose text is the section's title).
    fn break_text(&mut self) {
        if !self.in_heading {
            self.current_section().body.push(' ');
        }
    }

    fn code_block_event(&mut self, p: &mut Pass, ev: &Event) {
        let Some((lang, buf)) = &mut p.code else {
            return;
        };
        match ev {
            Event::Text(t) => buf.push_str(t),
            Event::End(TagEnd::CodeBlock) => {
                let info = std::mem::take(lang);
                let buf = std::mem::take(buf);
                p.code = None;
                self.code_text(&buf);
                let html = codeblock::render(&self.env.bundle.config, info.as_deref(), &buf);
                p.out.same_html(html);
            }
            _ => {}
        }
    }

    /// A heading opens: its id (given `{#id}` or a unique slug of its text) is
    /// noted, and its title links to it unless the title holds a link itself.
    fn heading_start(&mut self, p: &mut Pass, i: usize, n: usize, id: Option<&CowStr>) {
        let evs = p.evs;
        let end = evs[i..]
            .iter()
            .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))
            .map(|e| i + e)
            .unwrap_or(evs.len());
        let inner = &evs[i + 1..end];
        let title = plain_text(inner);
        let hid = match id {
            Some(custom) => {
                if !self.ids.reserve(custom) {
                    // mdBook writes it twice; links reach the first.
                    let loc = p.locate(evs[i].1.start);
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
        p.out.same_html(open(&hid));
        p.heading = Some((n, has_link));
        self.in_heading = true;
    }

    /// A definition-list term gets an id and a header link as in mdBook, counted
    /// with the headings.
    fn term_start(&mut self, p: &mut Pass, i: usize) {
        let evs = p.evs;
        let end = evs[i..]
            .iter()
            .position(|(e, _)| matches!(e, Event::End(TagEnd::DefinitionListTitle)))
            .map_or(evs.len(), |e| i + e);
        let id = self.ids.unique(&slug(&plain_text(&evs[i + 1..end])));
        self.anchors.push(id.clone());
        p.out.same_html(format!(
            "<dt id=\"{0}\"><a class=\"header\" href=\"#{0}\">",
            escape(&id)
        ));
    }

    fn heading_end(&mut self, p: &mut Pass) {
        let (n, has_link) = p.heading.take().unwrap_or((1, false));
        let close = if has_link {
            format!("</h{n}>\n")
        } else {
            format!("</a></h{n}>\n")
        };
        p.out.same_html(close);
        self.in_heading = false;
    }

    /// A paragraph that is a whole `{{#directive}}`: rendered in its place.
    /// Returns the index after the paragraph, or None for an ordinary paragraph.
    fn directive_paragraph(&mut self, p: &mut Pass, i: usize) -> Option<usize> {
        let (end, dtext) = directive_at(p.evs, i, p.text)?;
        let loc = p.locate(p.evs[i].1.start);
        let (page, print) = self.directive(&dtext, loc);
        p.out.html(page, print);
        Some(end + 1)
    }

    fn footnote_reference(&mut self, p: &mut Pass, name: &str) {
        let mut page = p.footnotes.reference(name);
        // Side by side references get a space between them, as in mdBook.
        if matches!(p.out.page.last(), Some(Event::InlineHtml(h)) if h.starts_with("<sup class=\"footnote-reference\""))
        {
            page.insert(0, ' ');
        }
        p.out.same(Event::InlineHtml(page.into()));
    }

    /// Raw HTML: its ids become link targets; an `<a href="x.md">` names its
    /// page, as in mdBook (`rawlinks`).
    fn raw_html<'t>(&mut self, p: &mut Pass<'_, 't>, ev: &Event<'t>, h: &str) {
        collect_html_ids(h, &mut self.anchors);
        p.out.same(rawlinks::md_links(ev));
    }

    /// A `{{#name args}}` paragraph, rendered by its directive (page, print page).
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
            "rollout" => rollout_table::rollout(self, args, loc),
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

/// A task list's checkbox, named by its item's text (axe: `label`); `rest` are
/// the events after the marker.
fn task_checkbox(done: bool, rest: &[(Event, Range<usize>)]) -> String {
    let mut label = String::new();
    let mut depth = 0usize;
    for (e, _) in rest {
        match e {
            Event::Start(Tag::Item) => depth += 1,
            Event::End(TagEnd::Item) if depth == 0 => break,
            Event::End(TagEnd::Item) => depth -= 1,
            Event::Text(t) | Event::Code(t) => label.push_str(t),
            Event::SoftBreak | Event::HardBreak => label.push(' '),
            _ => {}
        }
    }
    let checked = if done { " checked=\"\"" } else { "" };
    format!(
        "<input disabled=\"\" type=\"checkbox\"{checked} aria-label=\"{}\"/>\n",
        escape(label.trim())
    )
}

/// Plain text of inline events (heading titles).
fn plain_text(evs: &[(Event, Range<usize>)]) -> String {
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

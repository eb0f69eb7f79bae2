//! Footnotes as mdBook 0.5 writes them: each reference is a numbered
//! `<sup class="footnote-reference" id="fr-NAME-K">` (numbers in order of first
//! reference), and the definitions are collected at the end of the page in one
//! `<ol class="footnote-definition">` after a rule, each closing with back-links
//! (`↩`, `↩2`, …) to its references. The print page gets the same (its ids are
//! made unique across chapters there, by `print_ids`).

use std::collections::HashMap;

use pulldown_cmark::{Event, TagEnd};

use super::util::escape;

/// One definition: its name and its events (page, print page).
type Def<'t> = (String, Vec<Event<'t>>, Vec<Event<'t>>);

#[derive(Default)]
pub(super) struct Footnotes<'t> {
    /// Number of each name, by first reference.
    nums: HashMap<String, usize>,
    /// References seen so far, by name.
    refs: HashMap<String, usize>,
    /// Definitions in source order; the first of a name wins.
    defs: Vec<Def<'t>>,
    /// The page's events while a definition is being read.
    saved: Option<(String, Vec<Event<'t>>, Vec<Event<'t>>)>,
}

impl<'t> Footnotes<'t> {
    fn number(&mut self, name: &str) -> usize {
        let next = self.nums.len() + 1;
        *self.nums.entry(name.to_string()).or_insert(next)
    }

    /// The reference's HTML.
    pub(super) fn reference(&mut self, name: &str) -> String {
        let num = self.number(name);
        let k = {
            let r = self.refs.entry(name.to_string()).or_insert(0);
            *r += 1;
            *r
        };
        let n = escape(name);
        format!("<sup class=\"footnote-reference\" id=\"fr-{n}-{k}\"><a href=\"#footnote-{n}\">{num}</a></sup>")
    }

    /// A definition starts: the page's events are put aside until it ends.
    pub(super) fn start(&mut self, name: &str, a: &mut Vec<Event<'t>>, b: &mut Vec<Event<'t>>) {
        self.saved = Some((name.to_string(), std::mem::take(a), std::mem::take(b)));
    }

    /// A definition ends: its events are kept for the end of the page.
    pub(super) fn end(&mut self, a: &mut Vec<Event<'t>>, b: &mut Vec<Event<'t>>) {
        if let Some((name, sa, sb)) = self.saved.take() {
            let da = std::mem::replace(a, sa);
            let db = std::mem::replace(b, sb);
            if !self.defs.iter().any(|(n, _, _)| *n == name) {
                self.defs.push((name, da, db));
            }
        }
    }

    /// The collected definitions appended to the page's events; returns the ids
    /// it adds (link targets).
    pub(super) fn finish(mut self, a: &mut Vec<Event<'t>>, b: &mut Vec<Event<'t>>) -> Vec<String> {
        let mut ids = Vec::new();
        if self.defs.is_empty() {
            return ids;
        }
        // Numbered by first reference; a definition nothing refers to is left out.
        let mut defs: Vec<Def> = std::mem::take(&mut self.defs)
            .into_iter()
            .filter(|(n, _, _)| self.nums.contains_key(n))
            .collect();
        if defs.is_empty() {
            return ids;
        }
        defs.sort_by_key(|(n, _, _)| self.nums[n]);
        for v in [&mut *a, &mut *b] {
            v.push(Event::Html(
                "<hr>\n<ol class=\"footnote-definition\">\n".into(),
            ));
        }
        for (name, da, db) in defs {
            let n = escape(&name);
            ids.push(format!("footnote-{name}"));
            let count = self.refs.get(&name).copied().unwrap_or(0);
            for (v, evs) in [(&mut *a, da), (&mut *b, db)] {
                let back: String = (1..=count)
                    .map(|k| {
                        let label = if k == 1 { String::new() } else { k.to_string() };
                        format!(" <a href=\"#fr-{n}-{k}\">↩{label}</a>")
                    })
                    .collect();
                v.push(Event::Html(format!("<li id=\"footnote-{n}\">\n").into()));
                let ends_in_p = matches!(evs.last(), Some(Event::End(TagEnd::Paragraph)));
                let len = evs.len();
                for (i, e) in evs.into_iter().enumerate() {
                    if ends_in_p && i + 1 == len {
                        v.push(Event::InlineHtml(back.clone().into()));
                    }
                    v.push(e);
                }
                if !ends_in_p {
                    v.push(Event::Html(back.into()));
                }
                v.push(Event::Html("</li>\n".into()));
            }
        }
        for v in [&mut *a, &mut *b] {
            v.push(Event::Html("</ol>\n".into()));
        }
        for (name, k) in &self.refs {
            for i in 1..=*k {
                ids.push(format!("fr-{name}-{i}"));
            }
        }
        ids.sort();
        ids
    }
}

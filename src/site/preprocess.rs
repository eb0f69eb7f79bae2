//! External mdBook preprocessors (`[preprocessor.<name>]`), run as mdBook runs them:
//! ordered with the built-in `links` (includes) and `index` (README → index) by
//! `before`/`after` (ties by name), each given the book and expected to print it
//! back. The returned chapters' contents replace the chapters' Markdown, matched by
//! path.
//!
//! This file decides whether and in which order they run; running one command
//! (lookup, `supports html`, time and size bounds) is `preprocess/command.rs`, the
//! JSON the two sides exchange is `preprocess/protocol.rs`.

mod command;
mod protocol;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::diagnostics::{Diagnostics, Location};
use command::{run_one, Pre};
use protocol::{book_json, context_json, replace};

pub(super) use protocol::{Chapter, Item};

/// The Markdown of chapters after the preprocessors, by Markdown path, and whether
/// `links` already expanded their includes.
#[derive(Default, Debug)]
pub(super) struct Output {
    pub content: HashMap<String, String>,
    pub links_done: bool,
}

/// Whether the book configures any external preprocessor.
pub(super) fn any(config: &crate::config::Config) -> bool {
    config
        .preprocessor
        .as_ref()
        .and_then(|p| p.as_table())
        .is_some_and(|t| t.keys().any(|k| k != "links" && k != "index"))
}

/// Runs the book's preprocessors over `items`. `expand` performs the built-in
/// `links` step on one chapter's text (called at its place in the order).
pub(super) fn run(
    config: &crate::config::Config,
    root: &Path,
    mut items: Vec<Item>,
    mut expand: impl FnMut(&str, &str, &mut Diagnostics) -> String,
    d: &mut Diagnostics,
) -> Output {
    let mut out = Output::default();
    let toml_text = std::fs::read_to_string(root.join("book.toml")).unwrap_or_default();
    let at = |name: &str| {
        let i = toml_text
            .find(&format!("[preprocessor.{name}]"))
            .or_else(|| toml_text.find(&format!("preprocessor.{name}")))
            .or_else(|| toml_text.find("[preprocessor"))
            .unwrap_or(0);
        Location::new("book.toml", crate::text::line_col(&toml_text, i))
    };
    let Some(order) = order(config, &at, d) else {
        return out;
    };
    let table = config.preprocessor.as_ref().and_then(|p| p.as_table());
    let mut index_done = false;
    let context = context_json(config, root);
    for name in order {
        match name.as_str() {
            "links" => {
                for it in items.iter_mut() {
                    if let Item::Chapter(Chapter {
                        md,
                        content: Some(c),
                        ..
                    }) = it
                    {
                        *c = expand(md, c, d);
                    }
                }
                out.links_done = true;
            }
            "index" => index_done = true,
            _ => {
                let Some(t) = table.and_then(|t| t.get(&name)) else {
                    continue;
                };
                let pre = Pre {
                    command: t.get("command").and_then(|v| v.as_str()).map(String::from),
                    optional: t.get("optional").and_then(|v| v.as_bool()).unwrap_or(false),
                    renderers: t.get("renderers").and_then(|v| v.as_array()).map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    }),
                    name: name.clone(),
                };
                let loc = at(&name);
                let book = book_json(&items, index_done);
                match run_one(&pre, root, &context, &book, &loc, d) {
                    Some(new_book) => replace(&mut items, &new_book, &pre.name, &loc, d),
                    None if d.has_errors() => return out,
                    None => {}
                }
            }
        }
    }
    for it in items {
        if let Item::Chapter(Chapter {
            md,
            content: Some(c),
            ..
        }) = it
        {
            out.content.insert(md, c);
        }
    }
    out
}

/// The run order: built-ins and `[preprocessor.*]` tables, sorted topologically by
/// `before`/`after`, ties by name (as mdBook). None after a cycle (an error).
fn order(
    config: &crate::config::Config,
    at: &dyn Fn(&str) -> Location,
    d: &mut Diagnostics,
) -> Option<Vec<String>> {
    let defaults = config
        .build
        .as_ref()
        .and_then(|b| b.get("use-default-preprocessors"))
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    let table = config.preprocessor.as_ref().and_then(|p| p.as_table());
    let mut names: Vec<String> = Vec::new();
    if defaults {
        names.extend(["links".to_string(), "index".to_string()]);
    }
    if let Some(t) = table {
        for k in t.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let exists = |n: &str| names.iter().any(|x| x == n);
    // deps[a] = names that must run before a
    let mut deps: BTreeMap<String, Vec<String>> =
        names.iter().map(|n| (n.clone(), Vec::new())).collect();
    if let Some(t) = table {
        for (name, v) in t {
            for (key, is_before) in [("before", true), ("after", false)] {
                let list = v.get(key).and_then(|l| l.as_array());
                for other in list.into_iter().flatten().filter_map(|o| o.as_str()) {
                    if !exists(other) {
                        d.warning(
                            at(name),
                            format!("[preprocessor.{name}] {key} names `{other}`, which is not a preprocessor of this book; it is ignored"),
                            "name a built-in (`links`, `index`) or another [preprocessor.*] table",
                        );
                        continue;
                    }
                    if is_before {
                        deps.get_mut(other)
                            .expect("`exists` checked it is a name")
                            .push(name.clone());
                    } else {
                        deps.get_mut(name)
                            .expect("every table key is in `names`")
                            .push(other.to_string());
                    }
                }
            }
        }
    }
    let mut done: Vec<String> = Vec::new();
    while done.len() < names.len() {
        let mut ready: Vec<String> = deps
            .iter()
            .filter(|(n, ds)| !done.contains(n) && ds.iter().all(|x| done.contains(x)))
            .map(|(n, _)| n.clone())
            .collect();
        if ready.is_empty() {
            let left: Vec<&str> = names
                .iter()
                .filter(|n| !done.contains(n))
                .map(String::as_str)
                .collect();
            d.error(
                at(left[0]),
                format!(
                    "preprocessors wait on each other in a cycle through `before`/`after`: {}",
                    left.join(", ")
                ),
                "remove one `before` or `after` entry so the order has a start",
            );
            return None;
        }
        ready.sort();
        done.extend(ready);
    }
    Some(done)
}

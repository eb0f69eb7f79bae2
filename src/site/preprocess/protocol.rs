//! mdBook's preprocessor protocol, version 0.5: the book as its JSON (`{"items":
//! [{"Chapter": {…}}, "Separator", {"PartTitle": "…"}]}`), the `[context, book]`
//! a preprocessor reads on stdin, the book it prints back, and the chapters of
//! that book put back into ours (matched by `source_path`, else `path`).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

use crate::diagnostics::{Diagnostics, Location};

/// The mdBook version the protocol matches (preprocessors check it).
const MDBOOK_VERSION: &str = "0.5.4";

/// One chapter handed to preprocessors: its Markdown path (source folder relative)
/// and its text.
pub(crate) struct Chapter {
    pub md: String,
    pub title: String,
    pub number: Option<Vec<u32>>,
    pub depth: usize,
    /// None for a draft chapter.
    pub content: Option<String>,
}

/// An item of the book in SUMMARY.md order.
pub(crate) enum Item {
    Chapter(Chapter),
    Separator,
    Part(String),
}

/// `[context, …]`'s context: mdBook's shape (root, config, renderer, version).
pub(super) fn context_json(config: &crate::config::Config, root: &Path) -> Value {
    let text = std::fs::read_to_string(root.join("book.toml")).unwrap_or_default();
    let mut cfg: Value = toml::from_str::<toml::Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or_else(|| json!({}));
    if let Some(o) = cfg.as_object_mut() {
        // Not an mdBook key: mdBook's own config reader would refuse it.
        o.remove("policybook");
        let book = o.entry("book").or_insert_with(|| json!({}));
        if let Some(b) = book.as_object_mut() {
            b.entry("authors").or_insert_with(|| json!([]));
            b.entry("description").or_insert(Value::Null);
            b.entry("language").or_insert_with(|| json!("en"));
            b.entry("text-direction").or_insert(Value::Null);
            b.entry("title").or_insert_with(|| json!(config.title()));
        }
    }
    let abs_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    json!({
        "root": abs_root.to_string_lossy(),
        "config": cfg,
        "renderer": "html",
        "mdbook_version": MDBOOK_VERSION,
    })
}

/// The book as mdBook 0.5 serialises it.
pub(super) fn book_json(items: &[Item], index_done: bool) -> Value {
    // Build the tree from depths: a stack of open chapters' sub_items.
    let mut top: Vec<Value> = Vec::new();
    let mut stack: Vec<(usize, Value)> = Vec::new(); // (depth, chapter object)
    fn close_to(stack: &mut Vec<(usize, Value)>, top: &mut Vec<Value>, depth: usize) {
        while stack.last().is_some_and(|(d, _)| *d >= depth) {
            let (_, ch) = stack.pop().expect("the loop condition saw a last item");
            let item = json!({ "Chapter": ch });
            match stack.last_mut() {
                Some((_, parent)) => parent["sub_items"]
                    .as_array_mut()
                    .expect("every chapter is made with a `sub_items` array")
                    .push(item),
                None => top.push(item),
            }
        }
    }
    for it in items {
        match it {
            Item::Separator => {
                close_to(&mut stack, &mut top, 0);
                top.push(json!("Separator"));
            }
            Item::Part(t) => {
                close_to(&mut stack, &mut top, 0);
                top.push(json!({ "PartTitle": t }));
            }
            Item::Chapter(c) => {
                close_to(&mut stack, &mut top, c.depth);
                let parents: Vec<Value> = stack.iter().map(|(_, ch)| ch["name"].clone()).collect();
                let (path, source) = match &c.content {
                    None => (Value::Null, Value::Null),
                    Some(_) => {
                        let path = if index_done {
                            readme_to_index(&c.md)
                        } else {
                            c.md.clone()
                        };
                        (json!(path), json!(c.md))
                    }
                };
                stack.push((
                    c.depth,
                    json!({
                        "name": c.title,
                        "content": c.content.as_deref().unwrap_or(""),
                        "number": c.number,
                        "sub_items": [],
                        "path": path,
                        "source_path": source,
                        "parent_names": parents,
                    }),
                ));
            }
        }
    }
    close_to(&mut stack, &mut top, 0);
    json!({ "items": top })
}

fn readme_to_index(md: &str) -> String {
    match md.rsplit_once('/') {
        Some((dir, f)) if f.eq_ignore_ascii_case("README.md") => format!("{dir}/index.md"),
        None if md.eq_ignore_ascii_case("README.md") => "index.md".into(),
        _ => md.to_string(),
    }
}

/// Replaces chapter contents with those of the returned book (matched by
/// `source_path`, else `path`).
pub(super) fn replace(
    items: &mut [Item],
    book: &Value,
    name: &str,
    loc: &Location,
    d: &mut Diagnostics,
) {
    let mut returned: HashMap<String, String> = HashMap::new();
    let mut stack: Vec<&Value> = book["items"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    while let Some(it) = stack.pop() {
        let Some(ch) = it.get("Chapter") else {
            continue;
        };
        if let Some(subs) = ch["sub_items"].as_array() {
            stack.extend(subs);
        }
        let key = ch["source_path"].as_str().or_else(|| ch["path"].as_str());
        if let (Some(k), Some(c)) = (key, ch["content"].as_str()) {
            returned.insert(k.to_string(), c.to_string());
        }
    }
    let mut unknown: Vec<&String> = Vec::new();
    let mut known = 0;
    for it in items.iter_mut() {
        if let Item::Chapter(Chapter {
            md,
            content: Some(c),
            ..
        }) = it
        {
            let new = returned
                .get(md.as_str())
                .or_else(|| returned.get(&readme_to_index(md)));
            if let Some(n) = new {
                *c = n.clone();
                known += 1;
            }
        }
    }
    if known < returned.len() {
        for k in returned.keys() {
            let listed = items.iter().any(|it| match it {
                Item::Chapter(c) => c.md == *k || readme_to_index(&c.md) == *k,
                _ => false,
            });
            if !listed {
                unknown.push(k);
            }
        }
        unknown.sort();
        if !unknown.is_empty() {
            d.warning(
                loc.clone(),
                format!(
                    "preprocessor `{name}` returned chapters that are not in SUMMARY.md, so they have no page: {}",
                    unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
                "list the chapters in SUMMARY.md",
            );
        }
    }
}

/// What a preprocessor reads on stdin: `[context, book]` as JSON.
pub(super) fn request(context: &Value, book: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!([context, book])).expect("JSON values serialise")
}

/// The book a preprocessor printed on stdout; None (an error is recorded) when it
/// is not JSON or not a book.
pub(super) fn returned_book(
    name: &str,
    stdout: &[u8],
    loc: &Location,
    d: &mut Diagnostics,
) -> Option<Value> {
    match serde_json::from_slice::<Value>(stdout) {
        Ok(v) if v.get("items").is_some_and(Value::is_array) => Some(v),
        Ok(_) => {
            d.error(
                loc.clone(),
                format!("preprocessor `{name}` printed JSON that is not a book (no `items` list)"),
                "print the book back as mdBook 0.5 expects: {\"items\": [...]} (0.4's `sections` was renamed)",
            );
            None
        }
        Err(e) => {
            d.error(
                loc.clone(),
                format!(
                    "preprocessor `{name}` printed something that is not the book as JSON: {e}"
                ),
                "a preprocessor prints only the book's JSON on stdout; log to stderr",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_json_nests_by_depth() {
        let ch = |md: &str, depth, number: Option<Vec<u32>>, content: Option<&str>| {
            Item::Chapter(Chapter {
                md: md.into(),
                title: md.into(),
                number,
                depth,
                content: content.map(String::from),
            })
        };
        let items = vec![
            ch("README.md", 0, None, Some("# I\n")),
            Item::Part("P".into()),
            ch("a.md", 0, Some(vec![1]), Some("A")),
            ch("a/b.md", 1, Some(vec![1, 1]), Some("B")),
            ch("draft", 1, Some(vec![1, 2]), None),
            Item::Separator,
        ];
        let v = book_json(&items, true);
        assert_eq!(
            v.to_string(),
            r##"{"items":[{"Chapter":{"name":"README.md","content":"# I\n","number":null,"sub_items":[],"path":"index.md","source_path":"README.md","parent_names":[]}},{"PartTitle":"P"},{"Chapter":{"name":"a.md","content":"A","number":[1],"sub_items":[{"Chapter":{"name":"a/b.md","content":"B","number":[1,1],"sub_items":[],"path":"a/b.md","source_path":"a/b.md","parent_names":["a.md"]}},{"Chapter":{"name":"draft","content":"","number":[1,2],"sub_items":[],"path":null,"source_path":null,"parent_names":["a.md"]}}],"path":"a.md","source_path":"a.md","parent_names":[]}},"Separator"]}"##
        );
    }
}

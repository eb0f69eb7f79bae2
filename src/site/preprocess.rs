//! External mdBook preprocessors (`[preprocessor.<name>]`), run as mdBook runs them:
//! ordered with the built-in `links` (includes) and `index` (README → index) by
//! `before`/`after` (ties by name), each first asked `<command> supports html`
//! (exit 0 = yes) unless `renderers` decides, then given `[context, book]` as JSON
//! on stdin (mdBook 0.5's shape: `{"items": [{"Chapter": {…}}, "Separator",
//! {"PartTitle": "…"}]}`) and expected to print the book back on stdout. The
//! returned chapters' contents replace the chapters' Markdown, matched by path.
//!
//! The command is `command` or `mdbook-<name>`, split like a shell would (no shell
//! runs it): a bare name is looked up on PATH, a path is relative to the book's
//! root, which is also its working directory. A missing command is an error, or a
//! warning with `optional = true`. Each run is bounded in time and output size.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::diagnostics::{Diagnostics, Location};

/// How long one preprocessor run (or `supports` probe) may take.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);
/// How much a preprocessor may print (the whole book as JSON).
pub const OUTPUT_LIMIT: usize = 256 << 20;
/// The mdBook version the protocol matches (preprocessors check it).
pub const MDBOOK_VERSION: &str = "0.5.4";

/// One chapter handed to preprocessors: its Markdown path (source folder relative)
/// and its text.
pub struct Chapter {
    pub md: String,
    pub title: String,
    pub number: Option<Vec<u32>>,
    pub depth: usize,
    /// None for a draft chapter.
    pub content: Option<String>,
}

/// An item of the book in SUMMARY.md order.
pub enum Item {
    Chapter(Chapter),
    Separator,
    Part(String),
}

/// The Markdown of chapters after the preprocessors, by Markdown path, and whether
/// `links` already expanded their includes.
#[derive(Default, Debug)]
pub struct Output {
    pub content: HashMap<String, String>,
    pub links_done: bool,
}

struct Pre {
    name: String,
    command: Option<String>,
    optional: bool,
    renderers: Option<Vec<String>>,
}

/// Whether the book configures any external preprocessor.
pub fn any(config: &crate::config::Config) -> bool {
    config
        .preprocessor
        .as_ref()
        .and_then(|p| p.as_table())
        .is_some_and(|t| t.keys().any(|k| k != "links" && k != "index"))
}

/// Runs the book's preprocessors over `items`. `expand` performs the built-in
/// `links` step on one chapter's text (called at its place in the order).
pub fn run(
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
                        deps.get_mut(other).unwrap().push(name.clone());
                    } else {
                        deps.get_mut(name).unwrap().push(other.to_string());
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

/// `[context, …]`'s context: mdBook's shape (root, config, renderer, version).
fn context_json(config: &crate::config::Config, root: &Path) -> Value {
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
fn book_json(items: &[Item], index_done: bool) -> Value {
    // Build the tree from depths: a stack of open chapters' sub_items.
    let mut top: Vec<Value> = Vec::new();
    let mut stack: Vec<(usize, Value)> = Vec::new(); // (depth, chapter object)
    fn close_to(stack: &mut Vec<(usize, Value)>, top: &mut Vec<Value>, depth: usize) {
        while stack.last().is_some_and(|(d, _)| *d >= depth) {
            let (_, ch) = stack.pop().unwrap();
            let item = json!({ "Chapter": ch });
            match stack.last_mut() {
                Some((_, parent)) => parent["sub_items"].as_array_mut().unwrap().push(item),
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
fn replace(items: &mut [Item], book: &Value, name: &str, loc: &Location, d: &mut Diagnostics) {
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

/// Probes and runs one preprocessor; the returned book, or None when it does not
/// run (not supported, optional and missing) or failed (an error is recorded).
fn run_one(
    pre: &Pre,
    root: &Path,
    context: &Value,
    book: &Value,
    loc: &Location,
    d: &mut Diagnostics,
) -> Option<Value> {
    let cmd_text = pre
        .command
        .clone()
        .unwrap_or_else(|| format!("mdbook-{}", pre.name));
    let words = match split_command(&cmd_text) {
        Some(w) if !w.is_empty() => w,
        _ => {
            d.error(
                loc.clone(),
                format!(
                    "[preprocessor.{}] command `{cmd_text}` is empty or has an unclosed quote",
                    pre.name
                ),
                "give the program and its arguments, e.g. command = \"python3 tools/pre.py\"",
            );
            return None;
        }
    };
    let build = |extra: &[&str]| {
        let exe = Path::new(&words[0]);
        let mut c = if exe.components().count() == 1 {
            Command::new(exe)
        } else {
            Command::new(root.join(exe))
        };
        c.args(&words[1..]).args(extra).current_dir(root);
        c
    };
    let missing = |d: &mut Diagnostics, e: &std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            if pre.optional {
                d.warning(
                    loc.clone(),
                    format!("the command `{cmd_text}` of preprocessor `{}` was not found; it is optional, so the book is built without it", pre.name),
                    format!("install it to apply it, or remove [preprocessor.{}]", pre.name),
                );
            } else {
                d.error(
                    loc.clone(),
                    format!("the command `{cmd_text}` of preprocessor `{}` was not found: is it installed?", pre.name),
                    format!("install it (on PATH, or give `command` relative to the book's root), or set `optional = true` in [preprocessor.{}] to build without it", pre.name),
                );
            }
        } else {
            d.error(
                loc.clone(),
                format!("cannot run preprocessor `{}` (`{cmd_text}`): {e}", pre.name),
                "check the command and its permissions",
            );
        }
    };
    let runs = match &pre.renderers {
        Some(r) => r.iter().any(|x| x == "html"),
        None => {
            let mut c = build(&["supports", "html"]);
            c.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            match c.spawn() {
                Err(e) => {
                    missing(d, &e);
                    return None;
                }
                Ok(child) => match wait_bounded(child, None) {
                    Ok((status, _)) => status.success(),
                    Err(why) => {
                        d.error(
                            loc.clone(),
                            format!(
                                "preprocessor `{}` (`{cmd_text} supports html`) {why}",
                                pre.name
                            ),
                            "make `supports <renderer>` answer quickly with its exit code",
                        );
                        return None;
                    }
                },
            }
        }
    };
    if !runs {
        return None;
    }
    let input = serde_json::to_vec(&json!([context, book])).expect("JSON values serialise");
    let mut c = build(&[]);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let child = match c.spawn() {
        Ok(c) => c,
        Err(e) => {
            missing(d, &e);
            return None;
        }
    };
    let (status, stdout) = match wait_bounded(child, Some(input)) {
        Ok(r) => r,
        Err(why) => {
            d.error(
                loc.clone(),
                format!("preprocessor `{}` (`{cmd_text}`) {why}", pre.name),
                "fix the preprocessor, or remove it from book.toml",
            );
            return None;
        }
    };
    if !status.success() {
        d.error(
            loc.clone(),
            format!("preprocessor `{}` (`{cmd_text}`) failed with {status}", pre.name),
            "its messages are above; fix the preprocessor or its input, or remove it from book.toml",
        );
        return None;
    }
    match serde_json::from_slice::<Value>(&stdout) {
        Ok(v) if v.get("items").is_some_and(Value::is_array) => Some(v),
        Ok(_) => {
            d.error(
                loc.clone(),
                format!("preprocessor `{}` printed JSON that is not a book (no `items` list)", pre.name),
                "print the book back as mdBook 0.5 expects: {\"items\": [...]} (0.4's `sections` was renamed)",
            );
            None
        }
        Err(e) => {
            d.error(
                loc.clone(),
                format!(
                    "preprocessor `{}` printed something that is not the book as JSON: {e}",
                    pre.name
                ),
                "a preprocessor prints only the book's JSON on stdout; log to stderr",
            );
            None
        }
    }
}

/// Feeds `input` (if any), collects stdout up to `OUTPUT_LIMIT`, and waits at most
/// `TIME_LIMIT`; the child is killed when it overruns either.
fn wait_bounded(
    mut child: std::process::Child,
    input: Option<Vec<u8>>,
) -> Result<(std::process::ExitStatus, Vec<u8>), String> {
    let writer = input.and_then(|bytes| {
        let mut stdin = child.stdin.take()?;
        // A child that exits without reading closes the pipe: not an error here.
        Some(std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        }))
    });
    let reader = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let r = out.take(OUTPUT_LIMIT as u64 + 1).read_to_end(&mut buf);
            (buf, r.is_ok())
        })
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => return Err(format!("could not be waited for: {e}")),
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "did not finish within {} seconds and was stopped",
                TIME_LIMIT.as_secs()
            ));
        }
        let over = reader.as_ref().is_some_and(|r| r.is_finished());
        std::thread::sleep(Duration::from_millis(if over { 1 } else { 5 }));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = match reader {
        Some(r) => r.join().map(|(b, _)| b).unwrap_or_default(),
        None => Vec::new(),
    };
    if stdout.len() > OUTPUT_LIMIT {
        return Err(format!("printed more than {} MiB", OUTPUT_LIMIT >> 20));
    }
    Ok((status, stdout))
}

/// Splits a command line into words like a POSIX shell (quotes, backslashes), with
/// no expansion; None for an unclosed quote.
fn split_command(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match it.next()? {
                        '\'' => break,
                        x => cur.push(x),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match it.next()? {
                        '"' => break,
                        '\\' => {
                            let x = it.next()?;
                            if !matches!(x, '"' | '\\' | '$' | '`') {
                                cur.push('\\');
                            }
                            cur.push(x);
                        }
                        x => cur.push(x),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = it.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            split_command("python3 'a b.py' \"c\\\"d\" e\\ f").unwrap(),
            ["python3", "a b.py", "c\"d", "e f"]
        );
        assert!(split_command("x 'open").is_none());
    }

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

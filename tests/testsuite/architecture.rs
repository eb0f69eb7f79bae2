//! The library's import graph: read every `src/**/*.rs` of the library (not the
//! binaries), collect the modules each file names (`crate::…`, `super::…`,
//! a child module by name, `use crate::{a, b::c}` groups), and check that
//!
//! - the graph between files has no cycle,
//! - imports follow the stages: foundations (`config`, `diagnostics`, `text`, …)
//!   → `model` → `source` → the outputs (`azure`, `gatekeeper`, `runner`, `site`,
//!   `check`, `output`, `artifacts`) → `build` → `serve`; a module never names one
//!   of a later stage, and
//! - the site reads the artifacts `build` hands it, never `azure` or `gatekeeper`.
//!
//! A module is one file: `src/a/mod.rs` is `a`, `src/a/b.rs` is `a::b`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Stage of each top-level module: a module may import modules of its own stage
/// or an earlier one. The stages read top to bottom in `src/lib.rs`.
const STAGES: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "config",
            "diagnostics",
            "ids",
            "names",
            "regorus_errors",
            "spans",
            "suggest",
            "text",
            "walk",
        ],
    ),
    ("model", &["model"]),
    ("source", &["source"]),
    (
        "outputs",
        &[
            "azure",
            "gatekeeper",
            "runner",
            "site",
            "check",
            "output",
            "artifacts",
        ],
    ),
    ("build", &["build"]),
    ("serve", &["serve"]),
];

/// A module path, `""` for the crate root: `site::page`.
type Module = String;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every library source file, by module path.
fn library_files(src: &Path) -> BTreeMap<Module, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(src).unwrap();
            if path.is_dir() {
                // Binaries are their own crates: `crate::` there is not the library.
                if rel != Path::new("bin") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || rel == Path::new("main.rs") {
                continue;
            }
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let file = parts.pop().unwrap();
            let stem = file.trim_end_matches(".rs");
            if stem != "mod" && stem != "lib" {
                parts.push(stem.to_string());
            }
            out.insert(parts.join("::"), std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

/// The code with comments removed and string and character literals emptied,
/// so that neither a doc comment nor a message names a module.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !is_ident(b[i - 1]))
        {
            // Raw string r"…" or r#"…"#, or the raw identifier r#name.
            let mut j = i + 1;
            while b.get(j) == Some(&b'#') {
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            j += 1;
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' {
            // A char literal ('a', '\n', '\'', '\u{..}') or a lifetime ('a).
            if b.get(i + 1) == Some(&b'\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != b'\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&b'\'') {
                i += 3;
                out.push_str("' '");
            } else if let Some(ch) = src[i + 1..].chars().next() {
                let w = ch.len_utf8();
                if ch != '\'' && b.get(i + 1 + w) == Some(&b'\'') {
                    i += 2 + w;
                    out.push_str("' '");
                } else {
                    out.push('\'');
                    i += 1;
                }
            } else {
                i += 1;
            }
        } else {
            let ch = src[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Sep,
    Open,
    Close,
    Comma,
    Other,
}

fn tokens(code: &str) -> Vec<Tok> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if is_ident(c) {
            let s = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            out.push(Tok::Ident(code[s..i].to_string()));
            continue;
        }
        if c == b':' && b.get(i + 1) == Some(&b':') {
            out.push(Tok::Sep);
            i += 2;
            continue;
        }
        match c {
            b'{' => out.push(Tok::Open),
            b'}' => out.push(Tok::Close),
            b',' => out.push(Tok::Comma),
            c if c.is_ascii_whitespace() => {}
            _ => out.push(Tok::Other),
        }
        i += 1;
    }
    out
}

/// The paths starting at `toks[i]` (an identifier): `a::b::c`, or with a group
/// `a::{b, c::{d, e}}` every leaf. Returns them and the index after the path.
fn paths_at(toks: &[Tok], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        match toks.get(i) {
            Some(Tok::Ident(s)) => {
                prefix.push(s.clone());
                i += 1;
            }
            Some(Tok::Open) => {
                // A group: each member is a path of its own, relative to the prefix.
                i += 1;
                let mut out = Vec::new();
                loop {
                    match toks.get(i) {
                        Some(Tok::Close) => {
                            i += 1;
                            break;
                        }
                        Some(Tok::Comma) => i += 1,
                        Some(Tok::Ident(_)) => {
                            let (inner, j) = paths_at(toks, i);
                            for p in inner {
                                out.push(prefix.iter().cloned().chain(p).collect());
                            }
                            i = j;
                        }
                        Some(_) => i += 1,
                        None => break,
                    }
                }
                return (out, i);
            }
            _ => return (vec![prefix], i),
        }
        if toks.get(i) == Some(&Tok::Sep) {
            i += 1;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// The modules a file names, resolved to files that exist.
fn imports(module: &str, code: &str, modules: &BTreeSet<Module>) -> BTreeSet<Module> {
    let own: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    // `super` of `a::b` is `a`, whether `a::b` is `a/b.rs` or `a/b/mod.rs`.
    let toks = tokens(code);
    // Inline `#[cfg(test)] mod tests { … }`: `super` there is the file's own module.
    let test_mod_start = code
        .find("#[cfg(test)]")
        .map(|at| tokens(&code[..at]).len());
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < toks.len() {
        let starts_path = matches!(toks.get(i), Some(Tok::Ident(_)))
            && (i == 0 || toks[i - 1] != Tok::Sep)
            && (toks.get(i + 1) == Some(&Tok::Sep));
        if !starts_path {
            i += 1;
            continue;
        }
        let in_test_mod = test_mod_start.is_some_and(|s| i >= s);
        let (paths, next) = paths_at(&toks, i);
        for path in paths {
            let base: Vec<String> = match path[0].as_str() {
                "crate" => path[1..].to_vec(),
                "super" => {
                    let mut base: Vec<String> = own.iter().map(|s| s.to_string()).collect();
                    let mut rest = &path[..];
                    let mut first = true;
                    while rest.first().map(String::as_str) == Some("super") {
                        if !(first && in_test_mod) {
                            base.pop();
                        }
                        first = false;
                        rest = &rest[1..];
                    }
                    base.extend(rest.iter().cloned());
                    base
                }
                "self" => own
                    .iter()
                    .map(|s| s.to_string())
                    .chain(path[1..].iter().cloned())
                    .collect(),
                // A child module named directly (`page::Origin` in `site/mod.rs`).
                child => {
                    let candidate = own
                        .iter()
                        .map(|s| s.to_string())
                        .chain(std::iter::once(child.to_string()))
                        .collect::<Vec<_>>()
                        .join("::");
                    if !modules.contains(&candidate) {
                        continue;
                    }
                    own.iter()
                        .map(|s| s.to_string())
                        .chain(path.iter().cloned())
                        .collect()
                }
            };
            // The longest prefix that is a module of its own file.
            for n in (1..=base.len()).rev() {
                let m = base[..n].join("::");
                if modules.contains(&m) {
                    if m != module {
                        out.insert(m);
                    }
                    break;
                }
            }
        }
        i = next.max(i + 1);
    }
    out
}

/// File → files it names.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = src_dir();
    let files = library_files(&src);
    let modules: BTreeSet<Module> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(m, text)| {
            let code = code_only(text);
            (m.clone(), imports(m, &code, &modules))
        })
        .collect()
}

/// Strongly connected components with more than one file, each as one cycle
/// written `a -> b -> … -> a`.
fn cycles(g: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    // Tarjan's algorithm, iterative over the (small) graph.
    struct State<'g> {
        g: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        sccs: Vec<Vec<&'g str>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                scc.push(w);
                if w == v {
                    break;
                }
            }
            s.sccs.push(scc);
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        sccs: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    let mut out = Vec::new();
    for scc in s.sccs.into_iter().filter(|c| c.len() > 1) {
        let members: BTreeSet<&str> = scc.iter().copied().collect();
        // One concrete cycle through the component: breadth-first from its
        // smallest member back to itself, staying inside the component.
        let start = *members.iter().next().unwrap();
        let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut end = None;
        'bfs: while let Some(v) = queue.pop_front() {
            for w in &g[v] {
                let w = w.as_str();
                if w == start {
                    end = Some(v);
                    break 'bfs;
                }
                if members.contains(w) && !prev.contains_key(w) {
                    prev.insert(w, v);
                    queue.push_back(w);
                }
            }
        }
        let mut path = vec![start];
        let mut v = end.unwrap();
        while v != start {
            path.push(v);
            v = prev[v];
        }
        path[1..].reverse();
        path.push(start);
        let shown: Vec<String> = path.iter().map(|m| display(m)).collect();
        out.push(format!(
            "{} (component: {})",
            shown.join(" -> "),
            members
                .iter()
                .map(|m| display(m))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}

fn display(m: &str) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.into()
    }
}

fn stage_of(module: &str) -> Option<(usize, &'static str)> {
    let top = module.split("::").next().unwrap();
    STAGES
        .iter()
        .enumerate()
        .find(|(_, (_, ms))| ms.contains(&top))
        .map(|(i, (name, _))| (i, *name))
}

#[test]
fn the_import_graph_of_src_has_no_cycle() {
    let g = graph();
    assert!(
        g.len() > 40,
        "found only {} library files under src/",
        g.len()
    );
    let found = cycles(&g);
    assert!(
        found.is_empty(),
        "src/ has {} import cycle(s); break each so imports flow one way:\n  {}",
        found.len(),
        found.join("\n  ")
    );
}

/// The same graph between top-level modules (`site` with all its files).
fn top_level_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let top = |m: &str| m.split("::").next().unwrap().to_string();
    let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, tos) in graph() {
        let f = top(&from);
        let entry = out.entry(f.clone()).or_default();
        entry.extend(tos.iter().map(|t| top(t)).filter(|t| *t != f));
    }
    out
}

#[test]
fn the_top_level_modules_have_no_cycle() {
    let found = cycles(&top_level_graph());
    assert!(
        found.is_empty(),
        "src/'s top-level modules have {} import cycle(s):\n  {}",
        found.len(),
        found.join("\n  ")
    );
}

#[test]
fn imports_follow_the_stages() {
    let g = graph();
    let mut unknown = Vec::new();
    let mut backwards = Vec::new();
    for (from, tos) in &g {
        if from.is_empty() {
            continue; // lib.rs declares every module
        }
        let Some((sf, nf)) = stage_of(from) else {
            unknown.push(from.clone());
            continue;
        };
        for to in tos {
            let (st, nt) = stage_of(to).unwrap_or((usize::MAX, "?"));
            if st > sf {
                backwards.push(format!("{from} ({nf}) imports {to} ({nt})"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "top-level modules without a stage in tests/architecture.rs: {unknown:?}"
    );
    assert!(
        backwards.is_empty(),
        "imports against the stage order (foundations → model → source → outputs → build → serve):\n  {}",
        backwards.join("\n  ")
    );
}

/// The parser itself: groups, `super`, child modules, comments and strings.
#[test]
fn the_import_reader_finds_what_it_should() {
    let modules: BTreeSet<Module> = ["", "a", "a::b", "a::c", "d", "e", "e::f"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let code = code_only(
        r##"
        //! Talks about crate::e in a comment.
        use super::c::{X, Y};
        use crate::{d, e::{f::Z, W}};
        /* crate::nothing */
        fn g() { let s = "crate::e::f"; let r = r#"crate::e"#; let c = '"'; let l: &'static str = ""; }
        "##,
    );
    let got = imports("a::b", &code, &modules);
    let want: BTreeSet<Module> = ["a::c", "d", "e", "e::f"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
    let mod_rs = code_only("use b::Thing; fn f() { c::run(); x::y(); }");
    let got = imports("a", &mod_rs, &modules);
    assert_eq!(
        got,
        ["a::b", "a::c"].iter().map(|s| s.to_string()).collect()
    );
    let g: BTreeMap<Module, BTreeSet<Module>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(
        cycles(&g),
        vec!["a -> b -> c -> a (component: a, b, c)".to_string()]
    );
}

/// Data flows model → artifacts → site: the output stages return the files they
/// make (`output::Artifacts`), `build` writes them and hands the same set to the
/// site, which shows them on the policy pages. So no file of `site` names
/// `azure` or `gatekeeper` (the site would be computing the files a second time),
/// and neither of those names `site` or `build`.
#[test]
fn the_site_reads_artifacts_not_the_output_stages() {
    let top = |m: &str| m.split("::").next().unwrap().to_string();
    let mut wrong = Vec::new();
    for (from, tos) in graph() {
        for to in tos {
            let (f, t) = (top(&from), top(&to));
            let site_to_stage = f == "site" && (t == "azure" || t == "gatekeeper");
            let stage_to_site =
                (f == "azure" || f == "gatekeeper") && (t == "site" || t == "build");
            if site_to_stage || stage_to_site {
                wrong.push(format!("{} imports {to}", display(&from)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the site must read the artifacts build hands it, not the output stages:\n  {}",
        wrong.join("\n  ")
    );
}

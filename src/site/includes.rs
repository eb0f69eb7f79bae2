//! mdBook's `links` preprocessor, as its books expect it: a chapter's raw text
//! with its `{{#include}}`, `{{#rustdoc_include}}`, `{{#playground}}` and
//! `{{#title}}` links expanded, where each line came from, and every include held
//! to the repository that holds the book, to a depth, to a size and free of
//! cycles. The links' syntax and line selection are `includes/syntax.rs`.

mod syntax;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::context::{Env, Origin};
use super::util::LineIndex;
use crate::diagnostics::{Diagnostics, Location};
use syntax::{find_links, LinkKind, Selection};

/// Expands mdBook's links in a chapter's raw text (see `includes`): `{{#include}}`,
/// `{{#rustdoc_include}}` and `{{#playground}}` relative to the including file,
/// `{{#title}}` removed, `\{{#…}}` written without its backslash. Included files
/// stay inside the repository that holds the book (`boundary`, also
/// through symbolic links), nest at most `MAX_INCLUDE_DEPTH` deep like mdBook's,
/// never form a cycle, and expand a chapter to at most `MAX_INCLUDE_BYTES`: each
/// breach is one error and stops the chapter's expansion. Returns the text, where
/// its lines came from, and the page title a `{{#title}}` sets.
pub(super) fn expand_links(
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
        boundary: boundary(&env.bundle.root),
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
pub(super) const MAX_INCLUDE_DEPTH: usize = 10;
/// Bytes a chapter may grow to through `{{#include}}` (an include bomb stops here).
pub(super) const MAX_INCLUDE_BYTES: usize = 4 << 20;

/// One file being expanded: its real path and line selection (None for the chapter
/// itself), its path for messages, and the line of the `{{#include}}` that leads on.
type ChainLink = (Option<(PathBuf, String)>, String, usize);

/// The expansion of one chapter.
struct Includes {
    /// The repository that holds the book (links followed): the boundary of includes.
    boundary: PathBuf,
    /// The book's root (links followed): included files are named relative to it.
    root_real: PathBuf,
    /// The files being expanded, outermost first: real path and line selection
    /// (the expansion of one pair is always the same, so a repeated pair never
    /// ends), path for messages, and the line of the `{{#include}}` that leads on.
    chain: Vec<ChainLink>,
    /// Real paths of the files named so far, by joined path.
    real: HashMap<PathBuf, Option<PathBuf>>,
    /// Files read so far (a file included many times is read once).
    read: HashMap<PathBuf, Option<Arc<str>>>,
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
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
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
    let links = find_links(text);
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
            LinkKind::Escaped => {
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
            LinkKind::Title(t) => {
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
        let inc_file = relative_path(&st.root_real, &real);
        if let Some(last) = st.chain.last_mut() {
            last.2 = line0 + 1;
        }
        // A whole-file `{{#include}}` has the chapter's own key (a self-include is a cycle).
        let sel_key = match (&link.kind, &link.selection) {
            (LinkKind::Include, Selection::Lines(None, None)) => String::new(),
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
            LinkKind::RustdocInclude => (syntax::take_rustdoc(&c, &link.selection), 0),
            LinkKind::Playground(attrs) => (syntax::playground(&c, attrs), 0),
            _ => {
                let first = match link.selection {
                    Selection::Lines(Some(a), _) => a,
                    _ => 0,
                };
                (syntax::take(&c, &link.selection), first)
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

/// The folder includes may read from: the nearest folder at or above the book's
/// root holding `.git` (the repository that holds the book), else the book's root;
/// with symbolic links resolved.
pub(super) fn boundary(book_root: &Path) -> PathBuf {
    let root = book_root
        .canonicalize()
        .unwrap_or_else(|_| book_root.to_path_buf());
    root.ancestors()
        .find(|a| a.join(".git").exists())
        .unwrap_or(&root)
        .to_path_buf()
}

/// `to` as a `/`-separated path relative to the folder `from` (both resolved).
pub(super) fn relative_path(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

//! From decoded path segments to a file of the site folder, confined to it: each
//! step canonicalised (links followed) and required to stay inside the canonical
//! site folder, never through a dot-named file or folder; a folder gives its
//! `index.html`, or a redirect when asked for without the trailing `/`.

use std::path::{Component, Path, PathBuf};

use super::reject::Reject;
use super::request::check_segment;

/// What a path names in the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A regular file; its canonical path, inside the canonical site folder.
    File(PathBuf),
    /// A folder asked for without the trailing `/`: redirect to this absolute path.
    Redirect(String),
}

/// Maps decoded path segments to a file of the site folder `site`. The segments are
/// checked again ([`check_segment`]); segments starting with `.` are not served; after
/// each segment the path is canonicalised (following links) and must lie inside the
/// canonical site folder, with no component of its site-relative part starting with `.`.
/// A folder gives its `index.html`.
pub fn resolve(site: &Path, segments: &[String], trailing_slash: bool) -> Result<Resolved, Reject> {
    for s in segments {
        check_segment(s)?;
        if s.starts_with('.') {
            return Err(Reject::NotFound);
        }
    }
    let root = site.canonicalize().map_err(|_| Reject::NotFound)?;
    // Step by step, so a link leading out of the site is refused even when a later
    // segment would lead back in.
    let mut real = root.clone();
    for s in segments {
        real = confine(&root, &real.join(s))?;
    }
    let meta = std::fs::metadata(&real).map_err(|_| Reject::NotFound)?;
    if meta.is_dir() {
        if !trailing_slash && !segments.is_empty() {
            let mut loc = String::new();
            for s in segments {
                loc.push('/');
                loc.push_str(&percent_encode_segment(s));
            }
            loc.push('/');
            return Ok(Resolved::Redirect(loc));
        }
        real = confine(&root, &real.join("index.html"))?;
    }
    match std::fs::metadata(&real) {
        Ok(m) if m.is_file() => Ok(Resolved::File(real)),
        _ => Err(Reject::NotFound),
    }
}

/// The canonical form of `path`, when it exists, lies inside `root` and does not pass
/// through a dot-named file or folder of the site.
fn confine(root: &Path, path: &Path) -> Result<PathBuf, Reject> {
    let real = path.canonicalize().map_err(|_| Reject::NotFound)?;
    let rel = real.strip_prefix(root).map_err(|_| Reject::NotFound)?;
    let hidden = rel.components().any(|c| match c {
        Component::Normal(n) => n.to_string_lossy().starts_with('.'),
        _ => true,
    });
    if hidden {
        return Err(Reject::NotFound);
    }
    Ok(real)
}

fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

//! mdBook features on small books written here, built with the real binary:
//! redirect pages, Rust code blocks (hidden lines, fence attributes, copy button),
//! a path-only `site-url`, `additional-css`/`additional-js` and a book's `theme/`
//! folder, and external preprocessors over mdBook's JSON protocol.
use crate::common::{policybook, Run};

use std::path::Path;

/// Writes a book from `(path, text)` pairs into a fresh temp folder.
fn book(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (p, t) in files {
        let to = tmp.path().join(p);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, t).unwrap();
    }
    tmp
}

fn build(root: &Path) -> Run {
    policybook(root, &["build"])
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const SUMMARY: &str = "# Summary\n\n- [Intro](index.md)\n- [New](new.md)\n";

#[test]
fn redirect_pages_are_written_with_refresh_canonical_and_fragment_script() {
    let b = book(&[
        (
            "book.toml",
            "[book]\ntitle = \"R\"\n\n[output.html.redirect]\n\"/old.html\" = \"new.html\"\n\"/old.html#gone\" = \"new.html#here\"\n\"/deep/er/page.html\" = \"https://example.org/x?a=1&b=2\"\n\"/new.html#legacy\" = \"index.html#top\"\n",
        ),
        ("src/SUMMARY.md", SUMMARY),
        ("src/index.md", "# Intro\n"),
        ("src/new.md", "# New\n\n## Here\n"),
    ]);
    let r = build(b.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        read(&b.path().join("book/old.html")),
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Redirecting…</title>
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; URL=new.html">
<link rel="canonical" href="new.html">
</head>
<body>
<p>This page has moved to <a href="new.html">new.html</a>.</p>
<script>
// A #fragment is not carried over by the refresh: keep it, or map it to its new place.
(function () {
  var map = {"#gone":"new.html#here"};
  var hash = window.location.hash;
  if (!hash) return;
  var target = map[hash];
  var url = new URL(target || "new.html", window.location.href);
  if (!target) url.hash = hash;
  window.location.replace(url.href);
})();
</script>
</body>
</html>
"##
    );
    let deep = read(&b.path().join("book/deep/er/page.html"));
    assert!(
        deep.contains(
            r#"<meta http-equiv="refresh" content="0; URL=https://example.org/x?a=1&amp;b=2">"#
        ),
        "{deep}"
    );
    assert!(deep.contains(r#"var map = {};"#), "{deep}");
    assert!(
        deep.contains(r#"new URL(target || "https://example.org/x?a=1\u0026b=2""#),
        "{deep}"
    );
    // A fragment redirect on a page that still exists: a script in that page.
    let new = read(&b.path().join("book/new.html"));
    assert!(
        new.contains(r##"<script>(function(){var m={"#legacy":"index.html#top"};"##),
        "{new}"
    );
}

#[test]
fn redirect_keys_and_targets_that_leave_the_site_are_errors() {
    let b = book(&[
        (
            "book.toml",
            "[book]\ntitle = \"R\"\n\n[output.html.redirect]\n\"/../escape.html\" = \"new.html\"\n\"/a.html\" = \"../../outside.html\"\n\"/b.html\" = \"javascript:alert(1)\"\n\"/new.html\" = \"index.html\"\n\"/c.html#x\" = \"new.html\"\n",
        ),
        ("src/SUMMARY.md", SUMMARY),
        ("src/index.md", "# Intro\n"),
        ("src/new.md", "# New\n"),
    ]);
    let r = build(b.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    for want in [
        "book.toml:5:1: error: [output.html.redirect] key `/../escape.html` uses `.` or `..`: it must name a file inside the site",
        "book.toml:6:1: error: [output.html.redirect] `/a.html` = `../../outside.html`: the target climbs out of the site with `..`",
        "book.toml:7:1: error: [output.html.redirect] `/b.html` = `javascript:alert(1)`: the target uses a scheme that runs code or reads local files",
        "book.toml:8:1: error: [output.html.redirect] `/new.html` redirects a page the book still has (`new.html`)",
        "book.toml:9:1: error: [output.html.redirect] `c.html` has only `#fragment` entries",
    ] {
        assert!(r.stderr.contains(want), "missing {want:?} in\n{}", r.stderr);
    }
    assert!(!b.path().join("escape.html").exists());
    assert!(!b.path().join("book").exists());
}

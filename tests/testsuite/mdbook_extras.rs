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

/// Builds the book at `root`, expecting exit `code` (0 built, 2 refused).
fn build(root: &Path, code: i32) -> Run {
    let r = policybook(root, &["build"]);
    assert_eq!(r.code, code, "{}", r.stderr);
    r
}

/// Builds the book at `root`, expecting success without one warning or error.
fn build_clean(root: &Path) {
    let r = build(root, 0);
    assert!(
        !r.stderr.contains("warning") && !r.stderr.contains("error"),
        "{}",
        r.stderr
    );
}

/// Asserts that `text` holds every one of `wants`.
fn contains_all(text: &str, wants: &[&str]) {
    for want in wants {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
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
            "[book]\ntitle = \"R\"\n\n[output.html.redirect]\n\"/old.html\" = \"new.html\"\n\"/old.html#gone\" = \"new.html#here\"\n\"/deep/er/page.html\" = \"https://example.org/x?a=1&b=2\"\n\"/deep/other.html\" = \"../../other-book/x.html\"\n\"/new.html#legacy\" = \"index.html#top\"\n",
        ),
        ("src/SUMMARY.md", SUMMARY),
        ("src/index.md", "# Intro\n"),
        ("src/new.md", "# New\n\n## Here\n\nThe [old address](old.html) and [old chapter](old.md) still work.\n"),
    ]);
    build_clean(b.path());
    // A relative target that is no file of the site: a warning.
    let toml = b.path().join("book.toml");
    let text = read(&toml).replace(
        "\"/old.html\" = \"new.html\"",
        "\"/old.html\" = \"nwe.html\"",
    );
    std::fs::write(&toml, text).unwrap();
    let r = build(b.path(), 0);
    contains_all(&r.stderr, &["book.toml:5:1: warning: [output.html.redirect] `/old.html` sends readers to `nwe.html`, which is no page or file of the site (`nwe.html`)"]);
    std::fs::write(&toml, read(&toml).replace("nwe.html", "new.html")).unwrap();
    build_clean(b.path());
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
    // A target beside the site (books published next to each other) is kept as written.
    assert!(read(&b.path().join("book/deep/other.html"))
        .contains(r#"<link rel="canonical" href="../../other-book/x.html">"#));
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
            "[book]\ntitle = \"R\"\n\n[output.html.redirect]\n\"/../escape.html\" = \"new.html\"\n\"/b.html\" = \"javascript:alert(1)\"\n\"/new.html\" = \"index.html\"\n\"/c.html#x\" = \"new.html\"\n",
        ),
        ("src/SUMMARY.md", SUMMARY),
        ("src/index.md", "# Intro\n"),
        ("src/new.md", "# New\n"),
    ]);
    let r = build(b.path(), 2);
    contains_all(
        &r.stderr,
        &[
            "book.toml:5:1: error: [output.html.redirect] key `/../escape.html` uses `..`: it must name a file inside the site",
            "book.toml:6:1: error: [output.html.redirect] `/b.html` = `javascript:alert(1)`: the target uses a scheme that runs code or reads local files",
            "book.toml:7:1: error: [output.html.redirect] `/new.html` redirects a page the book still has (`new.html`)",
            "book.toml:8:1: error: [output.html.redirect] `c.html` has only `#fragment` entries",
        ],
    );
    assert!(!b.path().join("escape.html").exists());
    assert!(!b.path().join("book").exists());
}

#[test]
fn rust_code_blocks_hide_lines_keep_fence_attributes_and_highlight() {
    let b = book(&[
        (
            "book.toml",
            "[book]\ntitle = \"C\"\n\n[rust]\nedition = \"2021\"\n\n[output.html.code.hidelines]\npython = \"~\"\n",
        ),
        ("src/SUMMARY.md", "- [Code](index.md)\n"),
        (
            "src/index.md",
            "# Code\n\n```rust\n# use std::fmt;\nfn main() {\n    ## not hidden\n    let _ = \"s\"; // c\n}\n```\n\n```rust,ignore\nlet x = 1;\n```\n\n```rust,should_panic,no_run\npanic!();\n```\n\n```python\n~import os\nprint(os.sep)\n```\n\n```console\n$ cargo build --release\n```\n",
        ),
    ]);
    build(b.path(), 0);
    let page = read(&b.path().join("book/index.html"));
    contains_all(
        &page,
        &[
            "<pre class=\"playground\" tabindex=\"0\"><code class=\"language-rust edition2021\"><span class=\"boring\"><span class=\"hl-k\">use</span> std::fmt;\n</span><span class=\"hl-k\">fn</span> <span class=\"hl-f\">main</span>() {\n    # not hidden\n    <span class=\"hl-k\">let</span> _ = <span class=\"hl-s\">&quot;s&quot;</span>; <span class=\"hl-c\">// c</span>\n}</code></pre>",
            "<pre tabindex=\"0\"><code class=\"language-rust ignore\"><span class=\"hl-k\">let</span> x = <span class=\"hl-n\">1</span>;</code></pre>",
            "<pre class=\"playground\" tabindex=\"0\"><code class=\"language-rust should_panic no_run edition2021\"><span class=\"boring\"><span class=\"hl-o\">#![allow(unused)]</span>\n</span><span class=\"boring\"><span class=\"hl-k\">fn</span> <span class=\"hl-f\">main</span>() {\n</span><span class=\"hl-f\">panic!</span>();\n<span class=\"boring\">}</span></code></pre>",
            "<pre tabindex=\"0\"><code class=\"language-python\"><span class=\"boring\">import os\n</span>print(os.sep)\n</code></pre>",
            "<pre tabindex=\"0\"><code class=\"language-console\">$ cargo build --release\n</code></pre>",
        ],
    );
    // The theme's script adds the toggle and the copy button; no Run button, no network.
    let js = read(&b.path().join("book/assets/book.js"));
    assert!(js.contains("'Show hidden lines'") && js.contains("'Copy to clipboard'"));
    assert!(!js.contains("play.rust-lang.org") && !page.contains("play.rust-lang.org"));
    let css = read(&b.path().join("book/assets/style.css"));
    assert!(css.contains("html[data-theme] code .boring { display: none; }"));
}

#[test]
fn path_only_site_url_is_the_404_pages_base() {
    let b = book(&[
        (
            "book.toml",
            "[book]\ntitle = \"U\"\n\n[output.html]\nsite-url = \"/docs\"\n",
        ),
        ("src/SUMMARY.md", "- [Intro](index.md)\n- [Sub](a/b.md)\n"),
        ("src/index.md", "# Intro\n"),
        ("src/a/b.md", "# Sub\n"),
    ]);
    build(b.path(), 0);
    let nf = read(&b.path().join("book/404.html"));
    // Served at /docs/anything/deep.html, the 404 page's relative assets and links
    // resolve under /docs/ (tera writes `/` as `&#x2F;`, which the browser reads back).
    assert!(nf.contains("<base href=\"&#x2F;docs&#x2F;\">"), "{nf}");
    assert!(nf.contains("href=\"assets/style.css\""), "{nf}");
    assert!(nf.contains("<a href=\"index.html\">the start</a>"), "{nf}");
    // A sitemap needs full URLs: none for a path-only site-url.
    assert!(!b.path().join("book/sitemap.xml").exists());
    // Chapters keep relative links (no base): they work from any sub-path and file://.
    assert!(!read(&b.path().join("book/a/b.html")).contains("<base"));

    // Neither a URL nor a path from the root: a warning naming the key.
    std::fs::write(
        b.path().join("book.toml"),
        "[book]\ntitle = \"U\"\n\n[output.html]\nsite-url = \"docs/\"\n",
    )
    .unwrap();
    let r = build(b.path(), 0);
    contains_all(&r.stderr, &["book.toml:5:1: warning: [output.html] site-url = \"docs/\" is neither a full URL nor a path from the server's root; it is ignored"]);
}

#[test]
fn additional_css_js_and_the_books_theme_folder() {
    let b = book(&[
        (
            "book.toml",
            "[book]\ntitle = \"T\"\n\n[output.html]\nadditional-css = [\"custom/extra.css\"]\nadditional-js = [\"mermaid-init.js\"]\n",
        ),
        ("src/SUMMARY.md", "- [Intro](index.md)\n- [Sub](a/b.md)\n"),
        ("src/index.md", "# Intro\n"),
        ("src/a/b.md", "# Sub\n"),
        ("custom/extra.css", ".x { color: red }\n"),
        ("mermaid-init.js", "window.x = 1;\n"),
        ("theme/css/general.css", "h1 { letter-spacing: 1px }\n"),
        ("theme/favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"),
        (
            "theme/head.hbs",
            "<link rel=\"preload\" href=\"{{ path_to_root }}fonts/a.woff2\">\n<meta name=\"v\" content=\"{{ book_title }}\">\n",
        ),
        ("theme/index.hbs", "<html>{{{ content }}}</html>\n"),
        ("theme/book.js", "// mdBook's own\n"),
        ("theme/highlight.css", ".hljs {}\n"),
        ("theme/fonts/fonts.css", "@font-face { src: url(a.woff2) }\n"),
        ("theme/fonts/a.woff2", "font"),
        ("theme/unlisted.css", "p { color: blue }\n"),
    ]);
    let r = build(b.path(), 0);
    let sub = read(&b.path().join("book/a/b.html"));
    let want = "<link rel=\"icon\" type=\"image/svg+xml\" href=\"../theme/favicon.svg\">\n<link rel=\"stylesheet\" href=\"../theme/css/general.css\">\n<link rel=\"stylesheet\" href=\"../theme/fonts/fonts.css\">\n<link rel=\"stylesheet\" href=\"../custom/extra.css\">\n<script defer src=\"../mermaid-init.js\"></script>\n<link rel=\"preload\" href=\"../fonts/a.woff2\">\n<meta name=\"v\" content=\"\">\n</head>";
    contains_all(&sub, &[want]);
    assert!(!sub.contains("href=\"data:,\""), "{sub}");
    assert!(!sub.contains("unlisted.css"));
    for f in [
        "theme/fonts/a.woff2",
        "custom/extra.css",
        "mermaid-init.js",
        "theme/css/general.css",
        "theme/favicon.svg",
    ] {
        assert_eq!(
            std::fs::read(b.path().join("book").join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(!b.path().join("book/theme/index.hbs").exists());
    // Each file that does not map is named; head.hbs's unknown expression too.
    let warn_lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains(": warning: "))
        .collect();
    assert_eq!(
        warn_lines,
        [
            "theme/book.js:1:1: warning: mdBook theme file `theme/book.js` is not applied: it scripts mdBook's page layout; list scripts of your own in `additional-js` instead",
            "theme/head.hbs:2:25: warning: head.hbs: `{{ book_title }}` is a Handlebars expression policybook does not evaluate; it is left out",
            "theme/highlight.css:1:1: warning: mdBook theme file `theme/highlight.css` is not applied: it styles highlight.js classes; policybook highlights at build time (`hl-*` classes in style.css)",
            "theme/index.hbs:1:1: warning: mdBook theme file `theme/index.hbs` is not applied: policybook's page layout is its own tera template (themes/<name>/templates/base.html)",
            "theme/unlisted.css:1:1: warning: mdBook theme file `theme/unlisted.css` is not applied: mdBook reads only css/variables.css, css/general.css, css/chrome.css, css/print.css and fonts/fonts.css from a theme folder",
        ],
        "{}",
        r.stderr
    );
}

#[test]
fn additional_files_outside_the_book_or_missing_are_errors() {
    let b = book(&[
        (
            "book/book.toml",
            "[book]\ntitle = \"T\"\n\n[output.html]\nadditional-css = [\"../secret.css\", \"missing.css\"]\nadditional-js = [\"/etc/passwd\"]\n",
        ),
        ("book/src/SUMMARY.md", "- [Intro](index.md)\n"),
        ("book/src/index.md", "# Intro\n"),
        ("secret.css", "x\n"),
    ]);
    let root = b.path().join("book");
    let r = build(&root, 2);
    contains_all(
        &r.stderr,
        &[
            "book.toml:5:19: error: [output.html] additional-css: `../secret.css` leads out of the book with `..`",
            "book.toml:5:36: error: [output.html] additional-css: `missing.css` does not exist",
            "book.toml:6:18: error: [output.html] additional-js: `/etc/passwd` is an absolute path",
        ],
    );
    assert!(!root.join("book").exists());
}

/// A preprocessor speaking mdBook's protocol: `supports html` answers by tag;
/// a run replaces `hello` and appends `<tag>:<raw|expanded>:<parents>:<title>` to
/// each chapter, after checking the context and its working directory.
const PRE_PY: &str = r#"import json, os, sys
tag = sys.argv[1]
if sys.argv[2:3] == ['supports']:
    sys.exit(1 if tag == 'nosupport' or sys.argv[3] != 'html' else 0)
if tag == 'fail':
    sys.stderr.write('boom\n')
    sys.exit(3)
if tag == 'garbage':
    print('not json')
    sys.exit(0)
ctx, book = json.load(sys.stdin)
assert ctx['renderer'] == 'html' and ctx['mdbook_version'] == '0.5.4', ctx
assert os.path.realpath(os.getcwd()) == os.path.realpath(ctx['root'])
assert 'policybook' not in ctx['config']
def walk(items):
    for it in items:
        if isinstance(it, dict) and 'Chapter' in it:
            ch = it['Chapter']
            if ch['path']:
                seen = 'raw' if '{{#include' in ch['content'] else 'expanded'
                ch['content'] = ch['content'].replace('hello', 'HELLO') + '\n\n' + tag + ':' + seen + ':' + '/'.join(ch['parent_names']) + ':' + ctx['config']['book']['title'] + '\n'
            walk(ch['sub_items'])
walk(book['items'])
json.dump(book, sys.stdout)
"#;

fn pre_book(toml_tail: &str) -> tempfile::TempDir {
    book(&[
        ("book.toml", &format!("[book]\ntitle = \"P\"\n{toml_tail}")),
        ("pre.py", PRE_PY),
        ("src/SUMMARY.md", "- [Intro](index.md)\n  - [Sub](sub.md)\n"),
        ("src/index.md", "# Intro\n\nhello\n"),
        ("src/sub.md", "# Sub\n\n{{#include part.txt}}\n"),
        ("src/part.txt", "hello from include\n"),
    ])
}

#[test]
fn preprocessors_run_in_mdbook_order_over_the_json_protocol() {
    let b = pre_book(
        "\n[preprocessor.early]\ncommand = \"python3 pre.py early\"\nbefore = [\"links\"]\n\n[preprocessor.zz]\ncommand = \"python3 pre.py zz\"\n\n[preprocessor.mid]\ncommand = \"python3 pre.py mid\"\nafter = [\"zz\"]\n\n[preprocessor.skip]\ncommand = \"python3 pre.py nosupport\"\n\n[preprocessor.epubonly]\ncommand = \"python3 pre.py epubonly\"\nrenderers = [\"epub\"]\n",
    );
    build(b.path(), 0);
    // Order as mdBook: early, index, skip (probe says no), zz; then links, mid.
    let sub = read(&b.path().join("book/sub.html"));
    let want = "<p>HELLO from include</p>\n<p>early:raw:Intro:P</p>\n<p>zz:raw:Intro:P</p>\n<p>mid:expanded:Intro:P</p>";
    contains_all(&sub, &[want]);
    let intro = read(&b.path().join("book/index.html"));
    assert!(
        // No include here, so every preprocessor sees final text; the top chapter has no parents.
        intro.contains(
            "<p>HELLO</p>\n<p>early:expanded::P</p>\n<p>zz:expanded::P</p>\n<p>mid:expanded::P</p>"
        ),
        "{intro}"
    );
    assert!(!intro.contains("nosupport") && !intro.contains("epubonly"));
}

#[cfg(unix)]
#[test]
fn a_preprocessor_path_is_relative_to_the_book_root() {
    use std::os::unix::fs::PermissionsExt;
    let b = pre_book("\n[preprocessor.local]\ncommand = \"tools/pre.py local\"\n");
    let script = b.path().join("tools/pre.py");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(&script, format!("#!/usr/bin/env python3\n{PRE_PY}")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The test process's working directory is not the book's root.
    build(b.path(), 0);
    assert!(read(&b.path().join("book/index.html")).contains("<p>local:expanded::P</p>"));
}

#[test]
fn missing_failing_and_garbage_preprocessors() {
    // Missing: an error naming the command, with the optional way out.
    let b = pre_book("\n[preprocessor.nothere]\n");
    let r = build(b.path(), 2);
    contains_all(&r.stderr, &["book.toml:4:1: error: the command `mdbook-nothere` of preprocessor `nothere` was not found: is it installed?"]);
    assert!(r
        .stderr
        .contains("set `optional = true` in [preprocessor.nothere]"));
    assert!(!b.path().join("book").exists());

    // Optional: a warning, and the book is built without it.
    let b = pre_book("\n[preprocessor.nothere]\noptional = true\n");
    let r = build(b.path(), 0);
    contains_all(&r.stderr, &["book.toml:4:1: warning: the command `mdbook-nothere` of preprocessor `nothere` was not found; it is optional, so the book is built without it"]);
    assert!(read(&b.path().join("book/index.html")).contains("<p>hello</p>"));

    // A preprocessor that fails, or prints something else than a book.
    for (tag, want) in [
        ("fail", "book.toml:4:1: error: preprocessor `bad` (`python3 pre.py fail`) failed with exit status: 3"),
        ("garbage", "book.toml:4:1: error: preprocessor `bad` printed something that is not the book as JSON: expected ident at line 1 column 2"),
    ] {
        let b = pre_book(&format!("\n[preprocessor.bad]\ncommand = \"python3 pre.py {tag}\"\n"));
        let r = build(b.path(), 2);
        contains_all(&r.stderr, &[want]);
        assert!(!b.path().join("book").exists());
    }

    // A cycle through before/after.
    let b = pre_book("\n[preprocessor.a]\ncommand = \"python3 pre.py a\"\nbefore = [\"b\"]\n\n[preprocessor.b]\ncommand = \"python3 pre.py b\"\nbefore = [\"a\"]\n");
    let r = build(b.path(), 2);
    contains_all(
        &r.stderr,
        &["error: preprocessors wait on each other in a cycle through `before`/`after`: a, b"],
    );
}

//! Gaps found by building real public mdBook books next to mdBook 0.5.4
//! (tests/support/compare_books.py): redirect keys written `./old.html` (the
//! Rustonomicon) and print-page links to a chapter that moved (the Edition Guide).
//! Fixture: tests/fixtures/mdbook/realbooks.
use crate::common;

use std::path::Path;

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn built() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(
        &common::repo_root().join("tests/fixtures/mdbook/realbooks"),
        tmp.path(),
    );
    let run = common::policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    tmp
}

/// `"./vec.html"` names `vec.html` (mdBook joins the key to the output folder).
#[test]
fn redirect_keys_starting_with_dot_slash_name_the_page_below() {
    let tmp = built();
    let book = tmp.path().join("book");
    let vec = read(&book.join("vec.html"));
    assert!(
        vec.contains(r#"<meta http-equiv="refresh" content="0; URL=./vec/vec.html">"#),
        "{vec}"
    );
    let gone = read(&book.join("old/gone.html"));
    assert!(
        gone.contains(r#"<link rel="canonical" href="../vec/vec.html">"#),
        "{gone}"
    );
}

/// On the print page a link to a moved chapter goes to its redirect page (as
/// mdBook writes it), not to an anchor the print page does not have.
#[test]
fn print_page_links_to_a_moved_chapter_reach_its_redirect_page() {
    let tmp = built();
    let print = read(&tmp.path().join("book/print.html"));
    let hrefs: Vec<&str> = print
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .filter(|h| h.contains("vec"))
        .collect();
    // As mdBook 0.5.4: the chapter keeps its own id `vec` on the print page.
    assert_eq!(hrefs, ["vec.html", "#vec", "#vec"], "{print}");
}

/// Rust by Example's code blocks: with `[output.html.playpen] editable = true`
/// (the old table name) a `rust,editable` block is not wrapped in `fn main`; a
/// ```` ```rs ```` block is highlighted but keeps its `#` lines (mdBook matches
/// `language-rust` only); a plain `rust` block is wrapped. Text as mdBook 0.5.4.
#[test]
fn editable_and_rs_code_blocks_read_as_in_mdbook() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(
        &common::repo_root().join("tests/fixtures/mdbook/realbooks-code"),
        tmp.path(),
    );
    let run = common::policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = read(&tmp.path().join("book/index.html"));
    let pres: Vec<&str> = page
        .split("<pre")
        .skip(1)
        .map(|s| &s[..s.find("</pre>").unwrap()])
        .collect();
    assert_eq!(
        pres,
        [
            " class=\"playground\" tabindex=\"0\"><code class=\"language-rust editable edition2021\"><span class=\"hl-k\">let</span> x = <span class=\"hl-n\">1</span>;</code>",
            " tabindex=\"0\"><code class=\"language-rs\"># <span class=\"hl-k\">let</span> hidden = <span class=\"hl-n\">2</span>;\n<span class=\"hl-k\">struct</span> <span class=\"hl-t\">Paddle</span>;\n</code>",
            " class=\"playground\" tabindex=\"0\"><code class=\"language-rust edition2021\"><span class=\"boring\"><span class=\"hl-o\">#![allow(unused)]</span>\n</span><span class=\"boring\"><span class=\"hl-k\">fn</span> <span class=\"hl-f\">main</span>() {\n</span><span class=\"hl-k\">let</span> y = <span class=\"hl-n\">3</span>;\n<span class=\"boring\">}</span></code>",
        ]
    );
}

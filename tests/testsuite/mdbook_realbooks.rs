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
    assert_eq!(hrefs, ["vec.html", "#vec-vec", "#vec-vec-vec"], "{print}");
}

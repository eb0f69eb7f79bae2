//! Gaps found by running mdBook 0.5.4's own test books (its tests/testsuite) and
//! The Rust Reference through policybook (issue 12): a `Readme.md` in any case is
//! its folder's `index.html` (mdBook's `index` preprocessor); a chapter that would
//! replace the print page, the table of contents or another chapter's page is an
//! error at its SUMMARY.md line (mdBook refuses `print.md`; before, policybook
//! replaced a page silently); a broken link in a plain book is a warning unless the
//! book asks for link checking (mdBook checks no links); other renderers' tables are named; a theme file listed in
//! `additional-js` is applied, not warned about; a raw-HTML `<a href="x.md">` names
//! the page and a hard break is `<br>`, as mdBook writes them; an indented
//! SUMMARY.md link without a bullet is left out with a warning (mdBook leaves it
//! out: in Markdown it continues the item above) instead of stopping the build;
//! links read as mdBook reads them: `.md` → `.html` also out of the book, `x.mdr`
//! as `x.md` (with a warning), an e-mail autolink as `mailto:`.
use crate::common::{policybook, Run};

fn build(files: &[(&str, &str)]) -> (tempfile::TempDir, Run) {
    let tmp = tempfile::tempdir().unwrap();
    for (p, t) in files {
        let to = tmp.path().join(p);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, t).unwrap();
    }
    let run = policybook(tmp.path(), &["build"]);
    (tmp, run)
}

#[test]
fn readme_in_any_case_is_the_folders_index() {
    let (tmp, run) = build(&[
        ("book.toml", "[book]\ntitle = \"R\"\n"),
        (
            "src/SUMMARY.md",
            "[Intro](README.md)\n\n- [Second](second/Readme.md)\n- [Third](third/readme.md)\n",
        ),
        (
            "src/README.md",
            "# Intro\n\nOn to [second](second/Readme.md).\n",
        ),
        ("src/second/Readme.md", "# Second\n"),
        ("src/third/readme.md", "# Third\n"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for p in ["index.html", "second/index.html", "third/index.html"] {
        assert!(tmp.path().join("book").join(p).is_file(), "{p}");
    }
    assert!(!tmp.path().join("book/second/Readme.html").exists());
    let index = std::fs::read_to_string(tmp.path().join("book/index.html")).unwrap();
    assert!(
        index.contains("<p>On to <a href=\"second/index.html\">second</a>.</p>"),
        "{index}"
    );
}

#[test]
fn chapters_that_would_replace_a_page_are_errors() {
    let (tmp, run) = build(&[
        ("book.toml", "[book]\ntitle = \"R\"\n"),
        (
            "src/SUMMARY.md",
            "- [Print](print.md)\n- [Contents](toc.md)\n- [Readme](a/README.md)\n- [Index](a/index.md)\n",
        ),
        ("src/print.md", "# Print\n"),
        ("src/toc.md", "# Contents\n"),
        ("src/a/README.md", "# Readme\n"),
        ("src/a/index.md", "# Index\n"),
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "src/SUMMARY.md:1:3: error: chapter `print.md` would be written to `print.html`, which the site uses for its own page (mdBook reserves the name too)
  help: rename the chapter file
src/SUMMARY.md:2:3: error: chapter `toc.md` would be written to `toc.html`, which the site uses for its own page (mdBook reserves the name too)
  help: rename the chapter file
src/SUMMARY.md:4:3: error: chapters `a/README.md` (src/SUMMARY.md:3:3) and `a/index.md` would both be written to `a/index.html`
  help: rename one of them (README.md is the folder's index.html, as in mdBook)
3 error(s); nothing was written
"
    );
    assert!(!tmp.path().join("book").exists());
}

const LINK_TYPO: &[(&str, &str)] = &[
    ("src/SUMMARY.md", "- [Scopes](scopes.md)\n"),
    (
        "src/scopes.md",
        "# Scopes\n\nSee [enums](items/enumeration.md).\n",
    ),
];

#[test]
fn broken_links_in_a_plain_book_are_warnings_unless_it_asks_for_link_checking() {
    let mut files = vec![("book.toml", "[book]\ntitle = \"R\"\n")];
    files.extend_from_slice(LINK_TYPO);
    let (tmp, run) = build(&files);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.replace(&tmp.path().display().to_string(), "TMP"),
        "src/scopes.md:3:5: warning: broken link: `src/items/enumeration.md` does not exist
  help: fix the path; links are relative to the page's own folder (a warning, as mdBook checks no links; add an [output.linkcheck] table to book.toml to make broken links stop the build)
built the book into TMP/book (open TMP/book/index.html)
"
    );
    files[0] = ("book.toml", "[book]\ntitle = \"R\"\n\n[output.linkcheck]\n");
    let (tmp, run) = build(&files);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "src/scopes.md:3:5: error: broken link: `src/items/enumeration.md` does not exist
  help: fix the path; links are relative to the page's own folder
1 error(s); nothing was written
"
    );
    assert!(!tmp.path().join("book").exists());
}

#[test]
fn other_renderers_are_named_and_theme_files_listed_as_additional_applied() {
    let (tmp, run) = build(&[
        (
            "book.toml",
            "[book]\ntitle = \"R\"\n\n[output.html]\nadditional-js = [\"theme/reference.js\"]\n\n[output.cat-to-file]\ncommand = \"./cat-to-file\"\n",
        ),
        ("src/SUMMARY.md", "- [A](a.md)\n"),
        ("src/a.md", "# A\n"),
        ("theme/reference.js", "console.log('ref');\n"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.replace(&tmp.path().display().to_string(), "TMP"),
        "book.toml:7:1: warning: [output.cat-to-file]: policybook builds the HTML site only; the `cat-to-file` renderer is not run
  help: run `mdbook build` for the cat-to-file output, or remove the table
built the book into TMP/book (open TMP/book/index.html)
"
    );
    let page = std::fs::read_to_string(tmp.path().join("book/a.html")).unwrap();
    assert!(
        page.contains("<script defer src=\"theme/reference.js\"></script>"),
        "{page}"
    );
    assert!(tmp.path().join("book/theme/reference.js").is_file());
}

#[test]
fn raw_html_md_links_and_hard_breaks_as_mdbook() {
    let (tmp, run) = build(&[
        ("book.toml", "[book]\ntitle = \"R\"\n"),
        ("src/SUMMARY.md", "- [A](a.md)\n- [B](sub/b.md)\n"),
        (
            "src/a.md",
            "# A\n\nHard\\\nbreak and <a href=\"sub/b.md#x\">raw link</a>.\n",
        ),
        (
            "src/sub/b.md",
            "# B\n\n## X\n\n<a href=\"../a.md\">back</a>\n",
        ),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read = |p: &str| std::fs::read_to_string(tmp.path().join("book").join(p)).unwrap();
    // As mdBook 0.5.4 writes them (checked with `mdbook build`).
    assert!(
        read("a.html").contains("<p>Hard<br>break and <a href=\"sub/b.html#x\">raw link</a>.</p>")
    );
    assert!(read("sub/b.html").contains("<p><a href=\"../a.html\">back</a></p>"));
    let print = read("print.html");
    assert!(
        print.contains("<p>Hard<br>break and <a href=\"#x\">raw link</a>.</p>"),
        "{print}"
    );
    assert!(print.contains("<p><a href=\"#a\">back</a></p>"), "{print}");
}

#[test]
fn an_indented_chapter_without_a_bullet_is_left_out_with_a_warning() {
    let (tmp, run) = build(&[
        ("book.toml", "[book]\ntitle = \"R\"\n"),
        (
            "src/SUMMARY.md",
            "- [Deep 1](d1.md)\n    - [Deep 2](d2.md)\n        [Deep 3](d3.md)\n",
        ),
        ("src/d1.md", "# Deep 1\n"),
        ("src/d2.md", "# Deep 2\n"),
        ("src/d3.md", "# Deep 3\n"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.replace(&tmp.path().display().to_string(), "TMP"),
        "src/SUMMARY.md:3:9: warning: an indented chapter without a `-` bullet is left out of the book (as mdBook does: the line continues the chapter above it)
  help: numbered chapters start with `- `
built the book into TMP/book (open TMP/book/index.html)
"
    );
    assert!(!tmp.path().join("book/d3.html").exists());
    let toc = std::fs::read_to_string(tmp.path().join("book/assets/toc.js")).unwrap();
    assert!(toc.contains("Deep 2") && !toc.contains("Deep 3"), "{toc}");
}

#[test]
fn links_read_as_mdbook_reads_them() {
    let (tmp, run) = build(&[
        ("book.toml", "[book]\ntitle = \"Q\"\n"),
        ("src/SUMMARY.md", "- [A](a.md)\n- [Other](other.md)\n"),
        (
            "src/a.md",
            "# A\n\nSee [std](../std/x.md#y), [other](other.mdr) and <john@example.com>.\n",
        ),
        ("src/other.md", "# Other\n"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.replace(&tmp.path().display().to_string(), "TMP"),
        "src/a.md:3:27: warning: link `other.mdr` is read as `other.md`, as mdBook reads it (what follows `.md` is dropped)
  help: end the chapter's path with `.md`
built the book into TMP/book (open TMP/book/index.html)
"
    );
    let read = |p: &str| std::fs::read_to_string(tmp.path().join("book").join(p)).unwrap();
    // As mdBook 0.5.4 writes them (checked with `mdbook build`).
    assert!(read("a.html").contains("<p>See <a href=\"../std/x.html#y\">std</a>, <a href=\"other.html\">other</a> and <a href=\"mailto:john@example.com\">john@example.com</a>.</p>"));
    assert!(read("print.html").contains("<p>See <a href=\"../std/x.html#y\">std</a>, <a href=\"#other\">other</a> and <a href=\"mailto:john@example.com\">john@example.com</a>.</p>"));
}

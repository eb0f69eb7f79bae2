//! Gaps found by running mdBook 0.5.4's own test books (its tests/testsuite) through
//! policybook (issue 12): a `Readme.md` in any case is its folder's `index.html`
//! (mdBook's `index` preprocessor); a chapter that would replace the print page, the
//! table of contents or another chapter's page is an error at its SUMMARY.md line
//! (mdBook refuses `print.md`; before, policybook replaced a page silently).
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

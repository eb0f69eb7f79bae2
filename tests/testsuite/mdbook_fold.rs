//! `[output.html.fold]` (issue 12) as in mdBook 0.5.4: with `enable = true` the
//! sidebar folds the chapters below `level` + 1, every chapter with sections gets
//! a toggle button (a real `<button>` with `aria-expanded`), and the page being
//! read is unfolded with its parents. The no-script `toc.html` never folds.
use crate::common::{policybook, Run};
use crate::site_browser::{chromium, Browser};

use std::path::Path;

const SUMMARY: &str = "# Summary\n\n[Intro](index.md)\n\n- [A](a.md)\n    - [A one](a/one.md)\n        - [A one x](a/one/x.md)\n    - [A two](a/two.md)\n- [B & C](b.md)\n    - [B one](b/one.md)\n";

fn book(fold: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let toml = format!("[book]\ntitle = \"Fold\"\n\n{fold}");
    let mut files = vec![
        ("book.toml".to_string(), toml),
        ("src/SUMMARY.md".to_string(), SUMMARY.to_string()),
    ];
    for p in ["index", "a", "a/one", "a/one/x", "a/two", "b", "b/one"] {
        files.push((format!("src/{p}.md"), format!("# {p}\n")));
    }
    for (p, t) in files {
        let to = tmp.path().join(p);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, t).unwrap();
    }
    tmp
}

fn build(root: &Path) -> Run {
    let r = policybook(root, &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Level 1: the top chapters are unfolded (their sections show), the sections'
/// own sections are folded; each chapter with sections has its toggle.
#[test]
fn fold_marks_the_sidebar_below_the_level() {
    let b = book("[output.html.fold]\nenable = true\nlevel = 1\n");
    let r = build(b.path());
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert_eq!(
        read(&b.path().join("book/assets/toc.js")),
        r#"window.pbToc = "<ol class=\"toc\"><li class=\"chapter-item\"><a href=\"index.html\">Intro<\/a><\/li><li class=\"chapter-item pb-fold expanded\"><a href=\"a.html\"><strong>1.<\/strong> A<\/a><button type=\"button\" class=\"chapter-fold-toggle\" aria-expanded=\"true\" aria-label=\"Sections of A\"><span aria-hidden=\"true\">❱<\/span><\/button><ol class=\"section\"><li class=\"chapter-item pb-fold\"><a href=\"a/one.html\"><strong>1.1.<\/strong> A one<\/a><button type=\"button\" class=\"chapter-fold-toggle\" aria-expanded=\"false\" aria-label=\"Sections of A one\"><span aria-hidden=\"true\">❱<\/span><\/button><ol class=\"section\"><li class=\"chapter-item\"><a href=\"a/one/x.html\"><strong>1.1.1.<\/strong> A one x<\/a><\/li><\/ol><\/li><li class=\"chapter-item\"><a href=\"a/two.html\"><strong>1.2.<\/strong> A two<\/a><\/li><\/ol><\/li><li class=\"chapter-item pb-fold expanded\"><a href=\"b.html\"><strong>2.<\/strong> B &amp; C<\/a><button type=\"button\" class=\"chapter-fold-toggle\" aria-expanded=\"true\" aria-label=\"Sections of B &amp; C\"><span aria-hidden=\"true\">❱<\/span><\/button><ol class=\"section\"><li class=\"chapter-item\"><a href=\"b/one.html\"><strong>2.1.<\/strong> B one<\/a><\/li><\/ol><\/li><\/ol>";
"#
    );
    // The page without scripts shows every chapter, without buttons.
    let toc = read(&b.path().join("book/toc.html"));
    assert!(toc.contains("<li class=\"chapter-item\"><a href=\"a/one/x.html\">"));
    assert!(!toc.contains("chapter-fold-toggle") && !toc.contains("pb-fold"));
}

/// Folding off (mdBook's default, or `enable = false`) leaves the sidebar as it
/// was; a value of the wrong type is warned about, at its line, and ignored.
#[test]
fn fold_off_and_wrong_types() {
    let plain = book("");
    build(plain.path());
    let unfolded = read(&plain.path().join("book/assets/toc.js"));
    assert!(!unfolded.contains("pb-fold"), "{unfolded}");
    let off = book("[output.html.fold]\nenable = false\nlevel = 2\n");
    build(off.path());
    assert_eq!(read(&off.path().join("book/assets/toc.js")), unfolded);
    // A level of the wrong type counts as absent: level 0, the top chapters folded.
    let level0 = book("[output.html.fold]\nenable = true\n");
    build(level0.path());
    let level0 = read(&level0.path().join("book/assets/toc.js"));
    assert!(
        level0.contains("<li class=\\\"chapter-item pb-fold\\\"><a href=\\\"a.html\\\">"),
        "{level0}"
    );
    let bad = book("[output.html.fold]\nenable = true\nlevel = \"two\"\n");
    let r = build(bad.path());
    assert_eq!(
        r.stderr.lines().take(2).collect::<Vec<_>>(),
        [
            "book.toml:6:9: warning: [output.html] key `level` has the wrong type (invalid type: string \"two\", expected u64); it is ignored",
            "  help: give the value the type mdBook documents for this key, or remove it"
        ]
    );
    assert_eq!(read(&bad.path().join("book/assets/toc.js")), level0);
}

/// In a browser (level 0): on `b/one.html` the chapter `B & C` is unfolded as the
/// parent of the page being read, `A` is folded; its toggle unfolds it and says
/// so in `aria-expanded`; a second click folds it again.
#[test]
fn fold_toggles_in_headless_chromium() {
    let Some(exe) = chromium() else {
        if std::env::var("POLICYBOOK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "POLICYBOOK_REQUIRE_BROWSER=1 but no Chromium at /usr/bin/chromium (or $CHROMIUM)"
            );
        }
        println!("skipped: no chromium");
        return;
    };
    let b = book("[output.html.fold]\nenable = true\n");
    build(b.path());
    let addr = policybook::serve::serve_static(b.path().join("book")).unwrap();
    let mut br = Browser::launch(&exe);
    br.navigate(&format!("http://{addr}/b/one.html"));
    let shown = |br: &mut Browser, href: &str| {
        br.eval(&format!(
            "(() => {{ const a = document.querySelector('#pb-sidebar a[href$=\"{href}\"]'); return !!a && a.offsetParent !== null; }})()"
        ))
    };
    let expanded = |br: &mut Browser, n: usize| {
        br.eval(&format!(
            "document.querySelectorAll('#pb-sidebar .chapter-fold-toggle')[{n}].getAttribute('aria-expanded')"
        ))
    };
    assert_eq!(shown(&mut br, "b/one.html"), serde_json::json!(true));
    assert_eq!(shown(&mut br, "a/one.html"), serde_json::json!(false));
    assert_eq!(expanded(&mut br, 0), serde_json::json!("false"));
    assert_eq!(expanded(&mut br, 2), serde_json::json!("true"));
    br.eval("document.querySelectorAll('#pb-sidebar .chapter-fold-toggle')[0].click(), true");
    assert_eq!(shown(&mut br, "a/one.html"), serde_json::json!(true));
    assert_eq!(shown(&mut br, "a/one/x.html"), serde_json::json!(false));
    assert_eq!(expanded(&mut br, 0), serde_json::json!("true"));
    br.eval("document.querySelectorAll('#pb-sidebar .chapter-fold-toggle')[0].click(), true");
    assert_eq!(shown(&mut br, "a/one.html"), serde_json::json!(false));
    let errors = br.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

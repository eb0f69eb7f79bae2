//! Plain mdBook books build as mdBook 0.5.4 builds them (issue 12): includes from
//! outside the source folder but inside the repository, ranges and anchors,
//! `{{#rustdoc_include}}`, `{{#playground}}`, `{{#title}}`, escapes, links that
//! leave the source folder, smart punctuation, and the CLI's summary. Fixture:
//! tests/fixtures/mdbook/links-includes.
use crate::common;

use std::path::Path;

fn book() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(
        &common::repo_root().join("tests/fixtures/mdbook/links-includes"),
        tmp.path(),
    );
    tmp
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn article(html: &str) -> String {
    let s = html.find("<article").expect("article");
    let e = html.find("</article>").expect("end of article");
    html[s..e].to_string()
}

fn built(root: &Path) -> common::Run {
    let run = common::policybook(root, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

/// Items 2 and 8: includes from outside the source folder (inside the book's
/// repository) work, placed as they are (in a list item: the later lines join
/// the item, as in mdBook 0.5.4); a bare `{{#include}}` stays text.
#[test]
fn includes_from_outside_the_source_folder_and_bare_directives() {
    let tmp = book();
    built(tmp.path());
    assert_eq!(
        article(&read(&tmp.path().join("book/includes.html"))),
        "<article class=\"page\">\n<h1 id=\"includes\"><a class=\"header\" href=\"#includes\">Includes</a></h1>\n<p>Included <em>markdown</em> from outside the source folder.</p>\n<ul>\n<li>item: one\ntwo</li>\n</ul>\n<p>Inline <code>{{#include}}</code> stays.</p>\n<p>{{#include}}</p>\n\n"
    );
}

/// Item 4: `file:N` is line N only, `N:M`, `::M`, `N:`, anchors without the
/// anchor lines of nested anchors.
#[test]
fn ranges_and_anchors_as_mdbook() {
    let tmp = book();
    built(tmp.path());
    assert_eq!(
        article(&read(&tmp.path().join("book/ranges.html"))),
        "<article class=\"page\">\n<h1 id=\"ranges\"><a class=\"header\" href=\"#ranges\">Ranges</a></h1>\n<pre tabindex=\"0\"><code class=\"language-text\">three\n</code></pre>\n<pre tabindex=\"0\"><code class=\"language-text\">two\nthree\n</code></pre>\n<pre tabindex=\"0\"><code class=\"language-text\">one\ntwo\n</code></pre>\n<pre tabindex=\"0\"><code class=\"language-text\">four\nfive\n</code></pre>\n<pre tabindex=\"0\"><code class=\"language-text\">fn main() {\n    let x = 1;\n    println!(&quot;{x}&quot;);\n}\n</code></pre>\n<pre tabindex=\"0\"><code class=\"language-text\">    let x = 1;\n</code></pre>\n\n"
    );
}

/// Item 3 and 8: `{{#rustdoc_include}}` hides the lines outside the anchor or
/// range as `# ` lines (shown raw here in a `text` block); `{{#playground}}` is
/// the file in a `rust` code block.
#[test]
fn rustdoc_include_and_playground() {
    let tmp = book();
    built(tmp.path());
    let page = article(&read(&tmp.path().join("book/rustdoc.html")));
    assert!(
        page.starts_with("<article class=\"page\">\n<h1 id=\"rustdoc\"><a class=\"header\" href=\"#rustdoc\">Rustdoc</a></h1>\n<pre tabindex=\"0\"><code class=\"language-text\"># use std::io;\n# fn main() {\n    let x = 1;\n#     println!(&quot;{x}&quot;);\n# }\n</code></pre>\n<pre tabindex=\"0\"><code class=\"language-text\"># one\ntwo\nthree\n# four\n# five\n</code></pre>\n"),
        "{page}"
    );
    // The Rust block's rendering (highlighting, attributes) is the code-block stage's.
    assert!(page.contains("language-rust"), "{page}");
    assert!(!page.contains("{{#"), "{page}");
}

/// Item 8: `{{#title}}` sets `<title>`; an escaped directive is written without
/// its backslash, in a code block and in inline code alike (mdBook 0.5.4).
#[test]
fn title_and_escaped_directives() {
    let tmp = book();
    built(tmp.path());
    let html = read(&tmp.path().join("book/sub/title.html"));
    assert!(
        html.contains("<title>A custom title · Include fixture</title>"),
        "{html}"
    );
    assert_eq!(
        article(&html),
        "<article class=\"page\">\n<h1 id=\"title\"><a class=\"header\" href=\"#title\">Title</a></h1>\n<pre tabindex=\"0\"><code class=\"language-text\">{{#include ../../listings/lines.txt}}\n</code></pre>\n<p><code>{{#title x}}</code></p>\n\n"
    );
}

/// Item 1: links that leave the source folder are external: written as they
/// are, not checked, also on the print page (made relative to the site root).
#[test]
fn links_leaving_the_source_folder_are_external() {
    let tmp = book();
    let run = built(tmp.path());
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(
        article(&read(&tmp.path().join("book/sub/links.html"))),
        "<article class=\"page\">\n<h1 id=\"links\"><a class=\"header\" href=\"#links\">Links</a></h1>\n<p>See <a href=\"../../std/index.html\">the std docs</a> and <a href=\"../../reference/types.html#x\">reference</a>.</p>\n<p>Back to <a href=\"../includes.html\">includes</a>.</p>\n\n"
    );
    let print = read(&tmp.path().join("book/print.html"));
    assert!(
        print.contains("See <a href=\"../std/index.html\">the std docs</a> and <a href=\"../reference/types.html#x\">reference</a>."),
        "{print}"
    );
}

/// Item 7: smart punctuation on by default, off with `smart-punctuation = false`.
#[test]
fn smart_punctuation_by_default_and_off() {
    let tmp = book();
    built(tmp.path());
    let on = "<p>“Quoted” – it’s done… <code>\"code\"</code></p>";
    assert!(read(&tmp.path().join("book/punct.html")).contains(on));
    std::fs::write(
        tmp.path().join("book.toml"),
        "[book]\ntitle = \"Include fixture\"\n\n[output.html]\nsmart-punctuation = false\n",
    )
    .unwrap();
    built(tmp.path());
    let off = "<p>\"Quoted\" -- it's done... <code>\"code\"</code></p>";
    let page = read(&tmp.path().join("book/punct.html"));
    assert!(page.contains(off), "{}", article(&page));
}

/// Item 13: a plain book's build speaks of the book, not of rules; `build --help`
/// names the book's output folder.
#[test]
fn plain_book_summary_and_help() {
    let tmp = book();
    let run = built(tmp.path());
    let out = tmp.path().join("book");
    assert_eq!(
        run.stderr,
        format!(
            "built the book into {} (open {})\n",
            out.display(),
            out.join("index.html").display()
        )
    );
    let help = common::policybook(tmp.path(), &["build", "--help"]);
    assert!(
        help.stdout.contains("In a plain mdBook book (a book.toml without a [policybook] table) it builds the book's site into [build] build-dir (default book/), as `mdbook build` does."),
        "{}",
        help.stdout
    );
}

/// Item 2: an include that climbs out of the repository holding the book (here
/// the book's folder: no `.git` above it) stops the build with the rule stated.
#[test]
fn includes_never_leave_the_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("book");
    common::copy_tree(
        &common::repo_root().join("tests/fixtures/mdbook/links-includes"),
        &root,
    );
    std::fs::write(tmp.path().join("secret.txt"), "TOPSECRET\n").unwrap();
    std::fs::write(
        root.join("src/punct.md"),
        "# Punctuation\n\n{{#include ../../secret.txt}}\n",
    )
    .unwrap();
    let run = common::policybook(&root, &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let boundary = root.canonicalize().unwrap();
    assert!(run.stderr.contains(&format!("src/punct.md:3:1: error: cannot include `../../secret.txt`: it leads out of the repository that holds the book\n  help: `{{{{#include}}}}` may name any file inside the repository that holds the book ({}: the nearest folder above the book with `.git`, else the book's folder), never beyond it; copy the file inside it\n", boundary.display())), "{}", run.stderr);
    assert!(!run.stderr.contains("TOPSECRET"));
    assert!(!root.join("book").exists());
}

/// Item 11: `[build] create-missing` (mdBook's default true in a plain book)
/// writes a missing chapter as `# Title`; `false` keeps it an error.
#[test]
fn create_missing_writes_the_chapter_only_when_on() {
    let tmp = book();
    let summary = tmp.path().join("src/SUMMARY.md");
    let mut s = read(&summary);
    s.push_str("- [New chapter](new/chapter.md)\n");
    std::fs::write(&summary, s).unwrap();
    std::fs::write(
        tmp.path().join("book.toml"),
        "[book]\ntitle = \"Include fixture\"\n\n[build]\ncreate-missing = false\n",
    )
    .unwrap();
    let run = common::policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("src/SUMMARY.md:11:3: error: chapter file `new/chapter.md` does not exist"),
        "{}",
        run.stderr
    );
    assert!(!tmp.path().join("src/new").exists());

    std::fs::write(
        tmp.path().join("book.toml"),
        "[book]\ntitle = \"Include fixture\"\n",
    )
    .unwrap();
    built(tmp.path());
    assert_eq!(
        read(&tmp.path().join("src/new/chapter.md")),
        "# New chapter\n"
    );
    assert!(read(&tmp.path().join("book/new/chapter.html")).contains("<h1 id=\"new-chapter\">"));
}

/// Item 11: `mathjax-support` keeps the TeX as written and says so.
#[test]
fn mathjax_support_warns_and_keeps_the_tex() {
    let tmp = book();
    std::fs::write(
        tmp.path().join("book.toml"),
        "[book]\ntitle = \"Include fixture\"\n\n[output.html]\nmathjax-support = true\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("src/punct.md"),
        "# Punctuation\n\n$$ a^2 + b^2 $$\n",
    )
    .unwrap();
    let run = built(tmp.path());
    assert!(run.stderr.starts_with("book.toml:5:1: warning: mathjax-support: the TeX is kept as written and not typeset (MathJax would be loaded from the network; the site stays offline)\n"), "{}", run.stderr);
    assert!(read(&tmp.path().join("book/punct.html")).contains("<p>$$ a^2 + b^2 $$</p>"));
}

/// Item 11: footnotes numbered by first reference and collected at the end of
/// the page with back-links, unused definitions left out (mdBook 0.5).
#[test]
fn footnotes_collected_at_the_end_with_back_links() {
    let tmp = book();
    built(tmp.path());
    assert_eq!(
        article(&read(&tmp.path().join("book/notes.html"))),
        "<article class=\"page\">\n<h1 id=\"notes\"><a class=\"header\" href=\"#notes\">Notes</a></h1>\n<p>First<sup class=\"footnote-reference\" id=\"fr-one-1\"><a href=\"#footnote-one\">1</a></sup>, then a word<sup class=\"footnote-reference\" id=\"fr-w-1\"><a href=\"#footnote-w\">2</a></sup> and again<sup class=\"footnote-reference\" id=\"fr-one-2\"><a href=\"#footnote-one\">1</a></sup>.</p>\n<p>Side by side.<sup class=\"footnote-reference\" id=\"fr-a-1\"><a href=\"#footnote-a\">3</a></sup> <sup class=\"footnote-reference\" id=\"fr-b-1\"><a href=\"#footnote-b\">4</a></sup></p>\n<hr>\n<ol class=\"footnote-definition\">\n<li id=\"footnote-one\">\n<p>Note one. <a href=\"#fr-one-1\">↩</a> <a href=\"#fr-one-2\">↩2</a> <a href=\"#fr-one-3\">↩3</a></p>\n</li>\n<li id=\"footnote-w\">\n<p>The word note, citing one.<sup class=\"footnote-reference\" id=\"fr-one-3\"><a href=\"#footnote-one\">1</a></sup> <a href=\"#fr-w-1\">↩</a></p>\n</li>\n<li id=\"footnote-a\">\n<p>A. <a href=\"#fr-a-1\">↩</a></p>\n</li>\n<li id=\"footnote-b\">\n<p>B. <a href=\"#fr-b-1\">↩</a></p>\n</li>\n</ol>\n\n"
    );
    let print = read(&tmp.path().join("book/print.html"));
    assert!(
        print.contains("<li id=\"footnote-one\">\n<p>Note one. <a href=\"#fr-one-1\">↩</a>"),
        "print page ids are the page's own (unique there: as mdBook)"
    );
}

/// Item 11: `[output.html.search] limit-results` reaches the search script.
#[test]
fn search_limit_results_is_written_for_the_browser() {
    let tmp = book();
    built(tmp.path());
    let meta = read(&tmp.path().join("book/search/meta.js"));
    assert!(meta.starts_with("pbSearch.meta({\"docs\":"), "{meta}");
    std::fs::write(
        tmp.path().join("book.toml"),
        "[book]\ntitle = \"Include fixture\"\n\n[output.html.search]\nlimit-results = 5\n",
    )
    .unwrap();
    built(tmp.path());
    let meta = read(&tmp.path().join("book/search/meta.js"));
    assert!(
        meta.starts_with("pbSearch.meta({\"limit\":5,\"docs\":"),
        "{meta}"
    );
    let js = read(&tmp.path().join("book/assets/search.js"));
    assert!(js.contains(".slice(0, (S.info && S.info.limit) || LIMIT)"));
}

/// Item 11: raw-HTML `id` targets and `<img src>` on the print page are handled
/// like the Markdown ones (ids kept, unique across the page; paths from the site
/// root), as mdBook 0.5.4 writes them.
#[test]
fn raw_html_targets_on_the_print_page() {
    let tmp = book();
    built(tmp.path());
    let print = read(&tmp.path().join("book/print.html"));
    assert!(
        print.contains("<a id=\"here\"></a>\n<img src=\"sub/pic.png\" alt=\"pic\">"),
        "{print}"
    );
    assert!(print.contains("Jump <a href=\"#here\">here</a>."));
    let page = read(&tmp.path().join("book/sub/raw.html"));
    assert!(page.contains("<a id=\"here\"></a>\n<img src=\"pic.png\" alt=\"pic\">"));
}

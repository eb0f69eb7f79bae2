//! Heading ids as mdBook 0.5.4 writes them (issue 12): on a chapter's page an
//! empty id stays empty (`id=""`, then `-1`, …), definition terms get ids counted
//! with the headings, and a `{#custom}` id is kept apart from the generated ones;
//! on the print page every chapter keeps its own ids, made unique across the page
//! (`introduction`, `introduction-1`, …), with links between chapters following
//! them and a chapter without an `h1` given one of its SUMMARY title. The expected
//! HTML is what `mdbook build` 0.5.4 writes for the same fixture
//! (tests/fixtures/mdbook/print-ids), ids and links byte for byte.
use crate::common;

use std::collections::HashSet;
use std::path::Path;

fn built() -> (tempfile::TempDir, common::Run) {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(
        &common::repo_root().join("tests/fixtures/mdbook/print-ids"),
        tmp.path(),
    );
    let run = common::policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (tmp, run)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let s = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"));
    let e = s + html[s..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end} in {html}"));
    &html[s..e]
}

/// Values of `attr="…"` in `html`.
fn values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!(" {attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let v = &html[i + pat.len()..];
            &v[..v.find('"').unwrap()]
        })
        .collect()
}

/// Item 1: the print page keeps each chapter's ids, made unique across the page
/// in chapter order; links follow (a link to a chapter goes to its first `h1`, a
/// fragment to the id it was renamed to, even mdBook's `details-1` quirk where a
/// chapter has the id twice); a chapter without an `h1` gets one; a moved
/// chapter's link goes to its redirect page; images are made relative to the root.
#[test]
fn print_page_ids_and_links_as_mdbook() {
    let (tmp, _) = built();
    let print = read(&tmp.path().join("book/print.html"));
    let body = between(&print, "<div class=\"print-book\">\n", "\n</div>\n");
    assert_eq!(
        body,
        r##"<div class="print-book">
<section class="print-chapter">
<h1 id="introduction"><a class="header" href="#introduction">Introduction</a></h1>
<p>See <a href="#introduction-1">second</a>, <a href="#details-3">its details</a>, <a href="#details">mine</a>,
<a href="old.html">old</a>, <a href="#introduction">top</a>, <a href="#introduction-2">sub</a> and
<a href="#no-h1-here">no h1</a>.</p>
<h2 id="details"><a class="header" href="#details">Details</a></h2>
<h2 id="details-1"><a class="header" href="#details-1-1">Details</a></h2>
<h2 id=""><a class="header" href="#">?</a></h2>
<h2 id="-1"><a class="header" href="#-1">🙂</a></h2>
<h2 id="details-1-1"><a class="header" href="#details-1-1">Custom</a></h2>
<dl>
<dt id="term"><a class="header" href="#term">Term</a></dt>
<dd>Definition</dd>
<dt id="details-2"><a class="header" href="#details-2">Details</a></dt>
<dd>again</dd>
</dl>
<p><a id="raw"></a>text with a note<sup class="footnote-reference" id="fr-n-1"><a href="#footnote-n">1</a></sup>.</p>
<hr>
<ol class="footnote-definition">
<li id="footnote-n">
<p>The note. <a href="#fr-n-1">↩</a></p>
</li>
</ol>
</section>
<section class="print-chapter">
<h1 id="introduction-1"><a class="header" href="#introduction-1">Introduction</a></h1>
<h2 id="details-3"><a class="header" href="#details-3">Details</a></h2>
<p>Back to <a href="#details-1-1">intro details</a> and <a href="#raw">raw</a>, <a href="#fr-n-1-1">note</a>.</p>
<h2 id="-2"><a class="header" href="#-2">?</a></h2>
<p>Text<sup class="footnote-reference" id="fr-n-1-1"><a href="#footnote-n-1">1</a></sup>.</p>
<hr>
<ol class="footnote-definition">
<li id="footnote-n-1">
<p>Second note. <a href="#fr-n-1-1">↩</a></p>
</li>
</ol>
</section>
<section class="print-chapter">
<h1 id="introduction-2"><a class="header" href="#introduction-2">Introduction</a></h1>
<p><a href="#details">Up</a>, <a href="../std/x.html">std</a>, <img src="img.png" alt="pic" />, <img src="img.png" alt="raw">
<a href="#introduction-2">self</a> <a href="#introduction-2">here</a></p>
</section>
<section class="print-chapter">
<h1 id="no-h1-here"><a href="#no-h1-here" class="header">No h1 here</a></h1>
<h2 id="only-h2"><a class="header" href="#only-h2">Only h2</a></h2>
<p>Text.</p>
</section>
"##
    );
    // No link of the print page misses its target.
    let ids: HashSet<&str> = values(body, "id").into_iter().collect();
    for href in values(body, "href") {
        if let Some(frag) = href.strip_prefix('#') {
            assert!(
                frag.is_empty() || ids.contains(frag),
                "#{frag} has no target"
            );
        } else if !href.starts_with("../") {
            assert!(tmp.path().join("book").join(href).is_file(), "{href}");
        }
    }
}

/// Item 2: a heading whose text gives no id gets `id=""` (then `-1`, …) as in
/// mdBook, terms of a definition list get ids counted with the headings, and a
/// `{#custom}` id does not push the generated ones aside: mdBook writes it twice,
/// so policybook warns (it no longer stops the build).
#[test]
fn empty_term_and_custom_heading_ids_as_mdbook() {
    let (tmp, run) = built();
    assert_eq!(
        run.stderr.replace(&tmp.path().display().to_string(), "TMP"),
        "src/intro.md:15:1: warning: duplicate id `details-1` on this page: links to `#details-1` reach the first\n  help: give each heading a unique `{#id}`\nbuilt the book into TMP/book (open TMP/book/index.html)\n"
    );
    let page = |p: &str| read(&tmp.path().join("book").join(p));
    assert_eq!(
        between(&page("intro.html"), "<article", "</article>"),
        r##"<article class="page">
<h1 id="introduction"><a class="header" href="#introduction">Introduction</a></h1>
<p>See <a href="second.html">second</a>, <a href="second.html#details">its details</a>, <a href="#details">mine</a>,
<a href="old.html">old</a>, <a href="#introduction">top</a>, <a href="sub/page.html#introduction">sub</a> and
<a href="noh1.html">no h1</a>.</p>
<h2 id="details"><a class="header" href="#details">Details</a></h2>
<h2 id="details-1"><a class="header" href="#details-1">Details</a></h2>
<h2 id=""><a class="header" href="#">?</a></h2>
<h2 id="-1"><a class="header" href="#-1">🙂</a></h2>
<h2 id="details-1"><a class="header" href="#details-1">Custom</a></h2>
<dl>
<dt id="term"><a class="header" href="#term">Term</a></dt>
<dd>Definition</dd>
<dt id="details-2"><a class="header" href="#details-2">Details</a></dt>
<dd>again</dd>
</dl>
<p><a id="raw"></a>text with a note<sup class="footnote-reference" id="fr-n-1"><a href="#footnote-n">1</a></sup>.</p>
<hr>
<ol class="footnote-definition">
<li id="footnote-n">
<p>The note. <a href="#fr-n-1">↩</a></p>
</li>
</ol>

"##
    );
    assert_eq!(
        between(&page("second.html"), "<article", "</article>"),
        r##"<article class="page">
<h1 id="introduction"><a class="header" href="#introduction">Introduction</a></h1>
<h2 id="details"><a class="header" href="#details">Details</a></h2>
<p>Back to <a href="intro.html#details-1">intro details</a> and <a href="intro.html#raw">raw</a>, <a href="#fr-n-1">note</a>.</p>
<h2 id=""><a class="header" href="#">?</a></h2>
<p>Text<sup class="footnote-reference" id="fr-n-1"><a href="#footnote-n">1</a></sup>.</p>
<hr>
<ol class="footnote-definition">
<li id="footnote-n">
<p>Second note. <a href="#fr-n-1">↩</a></p>
</li>
</ol>

"##
    );
}

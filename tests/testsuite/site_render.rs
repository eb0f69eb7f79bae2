//! The handbook site generator on real fixture books: a plain mdBook book with
//! parts, nested chapters and drafts; a policybook project with generated policy
//! pages; a book with broken links; and generated books of growing size.
use crate::common;

// The site benchmark's book generator (not part of the library).
#[path = "../../benches/site_bench/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use policybook::build::{build, load_and_validate};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/site")
        .join(name)
}

/// Copies a fixture into a fresh temp folder (builds never write into tests/).
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixture(name);
    for e in walkdir::WalkDir::new(&src)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        if matches!(first.as_deref(), Some("book" | "dist")) {
            continue;
        }
        let to = tmp.path().join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    tmp
}

/// Builds the project at `root`; panics on load errors; returns the site diagnostics' text on failure.
fn build_at(root: &Path) -> Result<String, String> {
    let (bundle, diags) = load_and_validate(root);
    assert!(!diags.has_errors(), "{diags}");
    match build(&bundle) {
        Ok(summary) => Ok(summary.site_diagnostics.to_string()),
        Err(policybook::build::BuildError::Diagnostics(d)) => Err(d.to_string()),
        Err(e) => panic!("{e:#}"),
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn article(html: &str) -> &str {
    let s = html.find("<article").expect("article");
    let e = html.find("</article>").expect("end of article");
    &html[s..e]
}

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    common::read_tree(root)
}

#[test]
fn plain_mdbook_book_with_parts_nested_chapters_and_drafts() {
    let tmp = copy_fixture("mdbook-nested");
    let warnings = build_at(tmp.path()).expect("builds");
    assert_eq!(warnings, "");
    let out = tmp.path().join("book");

    // One shared navigation asset: parts, numbering, nesting, drafts, separator, suffix.
    assert_eq!(
        read(&out.join("assets/toc.js")),
        "window.pbToc = \"<ol class=\\\"toc\\\"><li class=\\\"chapter-item\\\"><a href=\\\"index.html\\\">Introduction<\\/a><\\/li><li class=\\\"part-title\\\">Getting started<\\/li><li class=\\\"chapter-item\\\"><a href=\\\"install.html\\\"><strong>1.<\\/strong> Installation<\\/a><\\/li><li class=\\\"chapter-item\\\"><a href=\\\"guide/index.html\\\"><strong>2.<\\/strong> Guide<\\/a><ol class=\\\"section\\\"><li class=\\\"chapter-item\\\"><a href=\\\"guide/basics.html\\\"><strong>2.1.<\\/strong> Basics<\\/a><\\/li><li class=\\\"chapter-item\\\"><a href=\\\"guide/advanced/index.html\\\"><strong>2.2.<\\/strong> Advanced<\\/a><ol class=\\\"section\\\"><li class=\\\"chapter-item\\\"><a href=\\\"guide/advanced/deep.html\\\"><strong>2.2.1.<\\/strong> Deep topic<\\/a><\\/li><li class=\\\"chapter-item draft\\\"><span><strong>2.2.2.<\\/strong> Not written yet<\\/span><\\/li><\\/ol><\\/li><li class=\\\"chapter-item draft\\\"><span><strong>2.3.<\\/strong> Another draft<\\/span><\\/li><\\/ol><\\/li><li class=\\\"spacer\\\"><\\/li><li class=\\\"part-title\\\">Reference<\\/li><li class=\\\"chapter-item\\\"><a href=\\\"reference.html\\\"><strong>3.<\\/strong> Tables and lists<\\/a><\\/li><li class=\\\"chapter-item\\\"><a href=\\\"glossary.html\\\">Glossary<\\/a><\\/li><\\/ol>\";\n"
    );

    // A chapter page: footnote, strikethrough, task list, custom heading id, admonition.
    let basics = read(&out.join("guide/basics.html"));
    assert_eq!(
        article(&basics),
        "<article class=\"page\">\n<h1 id=\"basics\"><a class=\"header\" href=\"#basics\">Basics</a></h1>\n<p>Some <del>old</del> new text with a footnote.<sup class=\"footnote-reference\" id=\"fr-note-1\"><a href=\"#footnote-note\">1</a></sup></p>\n<h2 id=\"my-custom-id\"><a class=\"header\" href=\"#my-custom-id\">Custom id</a></h2>\n<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\" aria-label=\"done task\"/>\ndone task</li>\n<li><input disabled=\"\" type=\"checkbox\" aria-label=\"open task\"/>\nopen task</li>\n</ul>\n<blockquote class=\"blockquote-tag blockquote-tag-note markdown-alert-note\">\n<p class=\"blockquote-tag-title\"><svg viewbox=\"0 0 16 16\" width=\"18\" height=\"18\" aria-hidden=\"true\"><circle cx=\"8\" cy=\"8\" r=\"6.5\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\"></circle><path d=\"M8 7v4.5M8 4.5v.5\" stroke=\"currentColor\" stroke-width=\"1.5\"></path></svg>Note</p>\n<p>An admonition.</p>\n</blockquote>\n<hr>\n<ol class=\"footnote-definition\">\n<li id=\"footnote-note\">\n<p>The footnote text, with a <a href=\"../install.html\">link back</a>. <a href=\"#fr-note-1\">↩</a></p>\n</li>\n</ol>\n\n"
    );
    // Relative URLs only; the sidebar is not copied into pages; prev/next; edit link with {path}.
    assert!(basics.contains(
        "<html lang=\"en\" data-root=\"..&#x2F;\" data-path=\"guide&#x2F;basics.html\">"
    ));
    assert!(basics.contains("<a class=\"prev\" rel=\"prev\" href=\"index.html\"><span>Previous</span>Guide</a><a class=\"next\" rel=\"next\" href=\"advanced&#x2F;index.html\"><span>Next</span>Advanced</a>"));
    assert!(basics.contains("href=\"https:&#x2F;&#x2F;git.example.org&#x2F;nested&#x2F;edit&#x2F;main&#x2F;src&#x2F;guide&#x2F;basics.md\">Edit this page</a>"));
    assert!(
        !basics.contains("Not written yet"),
        "the sidebar must not be inlined into pages"
    );
    assert!(basics.contains("<noscript><p><a href=\"..&#x2F;toc.html\">Table of contents</a>"));

    // README.md becomes index.html; links into it are rewritten.
    assert!(read(&out.join("index.html")).contains("<h1 id=\"introduction\">"));
    assert!(read(&out.join("install.html"))
        .contains("<a href=\"glossary.html#kubelet\">the glossary</a>"));
    // Repeated headings get -1; {{#include}} works; highlighting happened at build time.
    assert!(read(&out.join("guide/index.html")).contains("<h2 id=\"what-the-guide-covers-1\">"));
    let adv = read(&out.join("guide/advanced/index.html"));
    assert!(adv.contains("<p>This paragraph was included from snippet.txt, with a <a href=\"../../reference.html#a-table\">link</a>.</p>"), "{}", article(&adv));
    let deep = read(&out.join("guide/advanced/deep.html"));
    assert!(deep.contains("<span class=\"hl-p\">azure.workload.identity/use</span>: <span class=\"hl-s\">&quot;true&quot;</span>   <span class=\"hl-c\"># required</span>"));
    let reference = read(&out.join("reference.html"));
    assert!(reference.contains("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table>"));
    assert!(reference
        .contains("<span class=\"hl-k\">not</span> <span class=\"hl-v\">input</span>.review"));

    // Print page: every chapter with its own ids (unique across the page, as
    // mdBook 0.5.4 writes them), links turned into in-page anchors.
    let print = read(&out.join("print.html"));
    assert!(print.contains("<section class=\"print-chapter\">\n<h1 id=\"basics\">"));
    assert!(print.contains("<h2 id=\"my-custom-id\">"));
    assert!(print.contains("<a href=\"#what-the-guide-covers\">guide</a>"));
    assert!(print.contains("<a href=\"#installation\">installation</a>"));
    assert!(print.contains("<img src=\"images/logo.svg\" alt=\"Logo\" />"));

    // 404 page with absolute base from site-url; sitemap; static files copied.
    assert!(read(&out.join("404.html"))
        .contains("<base href=\"https:&#x2F;&#x2F;docs.example.org&#x2F;nested&#x2F;\">"));
    assert_eq!(
        read(&out.join("sitemap.xml")),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n  <url><loc>https://docs.example.org/nested/</loc></url>\n  <url><loc>https://docs.example.org/nested/install.html</loc></url>\n  <url><loc>https://docs.example.org/nested/guide/index.html</loc></url>\n  <url><loc>https://docs.example.org/nested/guide/basics.html</loc></url>\n  <url><loc>https://docs.example.org/nested/guide/advanced/index.html</loc></url>\n  <url><loc>https://docs.example.org/nested/guide/advanced/deep.html</loc></url>\n  <url><loc>https://docs.example.org/nested/reference.html</loc></url>\n  <url><loc>https://docs.example.org/nested/glossary.html</loc></url>\n</urlset>\n"
    );
    assert!(out.join("images/logo.svg").is_file());
    assert_eq!(
        read(&out.join("external-links.txt")),
        "# External links in the handbook (listed, not checked): URL<TAB>source\nhttps://kubernetes.io/docs/concepts/overview/components/\tsrc/glossary.md:5:39\n"
    );

    // Search index: sharded, loaded on demand.
    assert_eq!(
        read(&out.join("search/t-ku.js")),
        "pbSearch.shard(\"ku\",{\"kubelet\":\"cA,3N\",\"kubernete\":\"f\"});\n"
    );
    assert!(read(&out.join("search/meta.js"))
        .starts_with("pbSearch.meta({\"limit\":20,\"docs\":16,\"chunk\":32,\"shards\":[\"ad\","));
    let docs = read(&out.join("search/d-0.js"));
    assert!(docs.contains("[\"glossary.html#kubelet\",\"Kubelet\",\"Glossary\",\"The node agent that pulls images. See https://kubernetes.io/docs/concepts/overview/components/.\"]"), "{docs}");

    // Built output carries no live-reload hook.
    for (path, bytes) in tree(&out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("__policybook"),
            "{path}"
        );
    }
}

#[test]
fn broken_links_fail_the_build_with_their_places() {
    let tmp = copy_fixture("broken-links");
    let err = build_at(tmp.path()).expect_err("must fail");
    assert_eq!(
        err,
        "src/start.md:5:11: error: broken link: `src/missing.md` does not exist
  help: fix the path; links are relative to the page's own folder
src/start.md:6:13: error: broken anchor: `sub/page.md` has no heading or id `#no-such-heading`
  help: anchors are heading ids: lower-case words joined by `-` (or a `{#custom-id}`)
src/start.md:7:19: error: broken anchor: `start.md` has no heading or id `#nowhere`
  help: anchors are heading ids: lower-case words joined by `-` (or a `{#custom-id}`)
src/start.md:8:17: error: link to `orphan.md`, which is not in SUMMARY.md and so has no page
  help: add the chapter to SUMMARY.md or link another page
src/start.md:9:12: error: broken link: no file `images/none.png` in the site
  help: fix the path, or add the file to the book's source folder
src/sub/page.md:9:1: error: unknown directive `{{#frobnicate}}`
  help: use `{{#table tables/<file>.yaml}}`, `{{#checklist <area>…}}` or `{{#include <file>}}`; write `\\{{#…}}` for the literal text
src/sub/page.md:11:1: error: cannot include `nope.md`: no such file
  help: give a path relative to this file that exists (mdBook `{{#include}}` semantics)
src/tables/bad.yaml:5:5: error: row 2 has 2 cell(s) but the table has 3 column(s)
  help: give every row one cell per column (use \"\" for an empty cell)
"
    );
    assert!(
        !tmp.path().join("book").exists(),
        "a failed build writes nothing"
    );
}

#[test]
fn broken_link_inside_a_table_cell_points_at_the_yaml_row() {
    let tmp = copy_fixture("broken-links");
    // Fix everything except the table's bad link.
    std::fs::write(tmp.path().join("src/start.md"), "# Start\n").unwrap();
    std::fs::write(
        tmp.path().join("src/sub/page.md"),
        "# Sub page\n\n{{#table tables/bad.yaml}}\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("src/tables/bad.yaml"),
        "columns: [A, B]\nrows:\n  - [a, b]\n  - [x, \"[broken](nowhere.md)\"]\n",
    )
    .unwrap();
    let err = build_at(tmp.path()).expect_err("must fail");
    assert_eq!(err, "src/tables/bad.yaml:4:1: error: broken link: `src/sub/nowhere.md` does not exist\n  help: fix the path; links are relative to the page's own folder\n");
}

#[test]
fn bad_summary_fails_with_its_line() {
    let tmp = copy_fixture("mdbook-nested");
    std::fs::write(
        tmp.path().join("src/SUMMARY.md"),
        "# Summary\n\n- [Install](install.md)\n- [Gone](gone.md)\nstray text\n",
    )
    .unwrap();
    let err = build_at(tmp.path()).expect_err("must fail");
    assert_eq!(
        err,
        "src/SUMMARY.md:4:3: error: chapter file `gone.md` does not exist\n  help: create the file or fix the path (relative to the book's source folder)\nsrc/SUMMARY.md:5:1: error: unexpected text in SUMMARY.md: `stray text`\n  help: each line is a `# Part title`, a `---` separator, a `[Title](file.md)` prefix/suffix chapter or a `- [Title](file.md)` numbered chapter\n"
    );
}

#[test]
fn policy_project_generated_pages() {
    let tmp = copy_fixture("policy-project");
    build_at(tmp.path()).expect("builds");
    let site = tmp.path().join("dist/site");

    // Policy index: id, title (escaped), target, default effect, severity, built-in by GUID.
    let index = read(&site.join("policies/index.html"));
    assert!(index.contains("<tr><td><a href=\"acr-admin-user-disabled.html\">ACR-01</a></td><td>Registries have the &lt;admin&gt; user &amp; password disabled</td><td>Registry access</td><td>Azure</td><td>Audit</td><td><span class=\"badge sev-high\">high</span></td><td><a href=\"https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2Fdc921057-6b28-4fbe-9b83-f7bec05db6c2\"><code>dc921057-6b28-4fbe-9b83-f7bec05db6c2</code></a></td></tr>"), "{}", article(&index));
    assert!(index.contains(
        "<td>Gatekeeper <span class=\"badge warn\">Gatekeeper only</span></td><td>deny</td>"
    ));

    // A policy page: escaped YAML text, trusted Markdown, condition JSON, tests with verdicts, files.
    let acr = read(&site.join("policies/acr-admin-user-disabled.html"));
    assert!(acr.contains("<h1 id=\"acr-01\"><a class=\"header\" href=\"#acr-01\">ACR-01: Registries have the &lt;admin&gt; user &amp; password disabled</a></h1>"));
    assert!(acr.contains("<p class=\"summary\">Flags registries with the &lt;b&gt;shared&lt;/b&gt; admin account turned on.</p>"));
    assert!(acr.contains("<p>The admin account is a <strong>shared secret</strong>. See the <a href=\"../guides/acr.html#attach-the-registry\">guide</a>.</p>"));
    assert!(acr.contains(
        "<span class=\"hl-p\">&quot;equals&quot;</span>: <span class=\"hl-n\">true</span>"
    ));
    assert!(acr.contains(
        "<p class=\"test-summary\">2 of 2 case(s) passed in this build's own test run.</p>"
    ));
    assert!(acr.contains("<tr class=\"verdict-pass\"><td>admin user &lt;enabled&gt; is audited</td><td>Azure</td><td><code>Audit</code></td><td><code>Audit</code></td><td class=\"verdict\">pass</td></tr>"), "{}", article(&acr));
    assert!(acr.contains("<li><a href=\"../files/azure/definitions/acr-admin-user-disabled.json\">Azure Policy definition</a> — <code>dist/azure/definitions/acr-admin-user-disabled.json</code></li>"));
    assert_eq!(
        std::fs::read(site.join("files/azure/definitions/acr-admin-user-disabled.json")).unwrap(),
        std::fs::read(
            tmp.path()
                .join("dist/azure/definitions/acr-admin-user-disabled.json")
        )
        .unwrap(),
        "the site serves the same bytes as the bundle"
    );
    assert!(!acr.contains("<admin>") && !acr.contains("<b>shared"));

    let k8s = read(&site.join("policies/k8s-sa-annotated.html"));
    assert!(k8s.contains("<div class=\"callout warning gatekeeper-only\"><strong>Gatekeeper only</strong> — the Azure Policy add-on refuses templates that read <code>data.inventory</code>"));
    assert!(k8s.contains("<span class=\"hl-k\">package</span> k8sfixtureannotatedsa"));
    assert!(k8s.contains("<tr class=\"verdict-pass\"><td>unannotated service account is denied</td><td>Gatekeeper</td>"));
    assert!(k8s.contains("<li><a href=\"../files/gatekeeper/templates/k8sfixtureannotatedsa.yaml\">Gatekeeper ConstraintTemplate</a> — <code>dist/gatekeeper/templates/k8sfixtureannotatedsa.yaml</code></li>"));
    for f in [
        "gatekeeper/templates/k8sfixtureannotatedsa.yaml",
        "gatekeeper/constraints/k8s-sa-annotated.yaml",
    ] {
        assert_eq!(
            std::fs::read(site.join("files").join(f)).unwrap(),
            std::fs::read(tmp.path().join("dist").join(f)).unwrap(),
            "{f}"
        );
    }

    // Checklist page and directive; data table directive.
    let checklist = read(&site.join("policies/checklist.html"));
    assert!(checklist.contains("<h2 id=\"registry-access\"><a class=\"header\" href=\"#registry-access\">Registry access</a></h2>\n<p>How images are pulled.</p>\n<ul class=\"contains-task-list checklist\">\n<li class=\"task-list-item\"><input disabled=\"\" type=\"checkbox\" aria-label=\"ACR-01 Registry admin user is disabled &lt;for every registry&gt;.\"/> <a href=\"acr-admin-user-disabled.html\">ACR-01</a> Registry admin user is disabled &lt;for every registry&gt;.</li>\n</ul>"));
    let guide = read(&site.join("guides/acr.html"));
    assert!(guide.contains("<li class=\"task-list-item\"><input disabled=\"\" type=\"checkbox\" aria-label=\"K8S-01 Workload-identity pods run as an annotated service account.\"/> <a href=\"../policies/k8s-sa-annotated.html\">K8S-01</a> Workload-identity pods run as an annotated service account.</li>"));
    assert!(
        guide.contains("<p>Write <code>\\{{#checklist}}</code> to show the directive itself.</p>")
    );
    let compare = read(&site.join("compare.html"));
    assert_eq!(
        article(&compare),
        "<article class=\"page\">\n<h1 id=\"comparison\"><a class=\"header\" href=\"#comparison\">Comparison</a></h1>\n<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table class=\"data-table\">\n<caption>Which identity does what</caption>\n<thead><tr><th>Identity</th><th>Used for</th><th>See</th></tr></thead>\n<tbody>\n<tr><td>Kubelet identity</td><td>Pulling images (<strong>AcrPull</strong>)</td><td><a href=\"guides/acr.html#attach-the-registry\">guide</a></td></tr>\n<tr><td>Control-plane identity</td><td>Managing cluster resources</td><td>—</td></tr>\n</tbody></table></div>\n<div class=\"table-notes\"><p>Cells are inline Markdown; links are relative to the page.</p>\n</div>\n\n"
    );

    // Navigation nests one page per rule under the policy reference.
    let toc = read(&site.join("assets/toc.js"));
    assert!(toc.contains("<a href=\\\"policies/index.html\\\"><strong>3.<\\/strong> Policy reference<\\/a><ol class=\\\"section\\\"><li class=\\\"chapter-item\\\"><a href=\\\"policies/acr-admin-user-disabled.html\\\"><strong>3.1.<\\/strong> ACR-01 Registries have the &lt;admin&gt; user &amp; password disabled<\\/a>"), "{toc}");
    // Policy pages edit the rule file.
    assert!(
        !acr.contains("Edit this page"),
        "no edit-url-template configured"
    );
}

#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    for name in ["policy-project", "mdbook-nested"] {
        let mut trees = Vec::new();
        for threads in [1, 2, 3] {
            let tmp = copy_fixture(name);
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| build_at(tmp.path()).expect("builds"));
            let (bundle, _) = load_and_validate(tmp.path());
            trees.push(tree(&tmp.path().join(bundle.config.site_dir())));
        }
        assert!(trees[0].len() > 10);
        assert!(
            trees[0] == trees[1] && trees[1] == trees[2],
            "{name}: output differs between thread counts"
        );
    }
}

#[test]
fn generated_books_pages_do_not_grow_with_the_book() {
    let small = tempfile::tempdir().unwrap();
    let large = tempfile::tempdir().unwrap();
    let md_small = synthetic::write_book(small.path(), 30).unwrap();
    let md_large = synthetic::write_book(large.path(), 150).unwrap();
    build_at(small.path()).expect("small book builds");
    build_at(large.path()).expect("large book builds");
    // Chapter 5 links only to chapters < 30 in both books? Not necessarily; compare the page
    // frame instead: everything outside the article is the same size.
    let frame = |root: &Path| {
        let html = read(&root.join("book/part-01/ch00005.html"));
        let a = article(&html).len();
        html.len() - a
    };
    let (fs, fl) = (frame(small.path()), frame(large.path()));
    assert!(
        fl.abs_diff(fs) < 64,
        "page frame grew with N: {fs} → {fl} bytes"
    );
    // The search index is no larger than the Markdown it indexes.
    for (root, md) in [(small.path(), md_small), (large.path(), md_large)] {
        let search: u64 = walkdir::WalkDir::new(root.join("book/search"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.metadata().unwrap().len())
            .sum();
        assert!(search <= md, "search index {search} B > Markdown {md} B");
    }
    // Drafts, parts and nesting show up in the shared navigation.
    let toc = read(&large.path().join("book/assets/toc.js"));
    assert!(
        toc.contains("Draft after 50")
            && toc.contains("Part 2")
            && toc.contains("<strong>1.2.1.<\\/strong>"),
        "{}",
        &toc[..400]
    );
}

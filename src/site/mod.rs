//! The handbook site: Markdown from the book's source folder plus generated policy
//! pages, rendered with the theme's tera templates into a static, offline site.
//!
//! Steps: parse `SUMMARY.md` into pages and navigation; render every page in
//! parallel (rayon) into its HTML and its print-page section, collecting ids,
//! links and search text; check every internal link and anchor; then write the
//! shared navigation (`assets/toc.js`, `toc.html`), the print page, the search
//! index, `404.html`, `sitemap.xml`, the theme's assets, the source folder's other
//! files and the bundle's generated files (`files/…`). Output depends only on the
//! inputs, never on thread count or timing.

mod alerts;
mod book_keys;
mod book_theme;
mod codeblock;
mod context;
mod directives;
mod files;
mod fold;
mod footnotes;
pub mod highlight;
mod includes;
mod page;
mod policies;
mod preprocess;
mod print_ids;
mod rawlinks;
mod redirects;
mod rollout_table;
pub mod search;
pub mod summary;
pub mod synthetic;
mod theme;
pub mod util;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostics::{Diagnostics, Location};
use crate::model::Bundle;
use crate::output::write_file;
use crate::runner::TestReport;
use context::{Env, Origin};
use page::{Heading, LinkRef, LinkTarget, PageBuilder, Section};
use summary::{Item, Target};
use util::{escape, relative, root_of};

#[derive(Debug, Clone, PartialEq, Eq)]
enum PageKind {
    Markdown,
    PolicyIndex,
    Policy(usize),
    Checklist,
}

#[derive(Debug, Clone)]
struct PageSpec {
    kind: PageKind,
    /// Virtual Markdown path relative to the source folder.
    md: String,
    out: String,
    title: String,
    number: Option<String>,
    /// The SUMMARY.md line that lists the page.
    location: Location,
}

#[derive(Debug, Clone)]
enum Nav {
    Part(String),
    Separator,
    Chapter {
        page: Option<usize>,
        title: String,
        number: Option<String>,
        depth: usize,
    },
}

struct Plan {
    pages: Vec<PageSpec>,
    nav: Vec<Nav>,
}

/// Site options from `[output.html]`.
struct Options<'a> {
    site_url: Option<String>,
    repo_url: Option<&'a str>,
    edit_template: Option<&'a str>,
    search: bool,
    print: bool,
    /// Chapter Markdown as the book's external preprocessors returned it.
    preprocessed: preprocess::Output,
    /// additional-css, additional-js and what maps of the book's mdBook `theme/`.
    book_assets: book_theme::BookAssets,
    /// `#fragment` redirects of existing pages, by output path.
    redirect_fragments:
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

impl<'a> Options<'a> {
    fn from(bundle: &'a Bundle) -> Options<'a> {
        let html = bundle.config.output.get("html");
        let enabled = |table: &str| {
            html.and_then(|h| h.get(table))
                .and_then(|t| t.get("enable"))
                .and_then(|v| v.as_bool())
                .unwrap_or(true)
        };
        Options {
            // A full URL (also used by sitemap.xml) or, as mdBook allows, a path
            // from the server's root (`/docs/`) for a site served under a sub-path.
            site_url: bundle
                .config
                .html_option("site-url")
                .filter(|s| s.contains("://") || s.starts_with('/'))
                .map(|s| {
                    let mut s = s.to_string();
                    if !s.ends_with('/') {
                        s.push('/');
                    }
                    s
                }),
            repo_url: bundle.config.html_option("git-repository-url"),
            edit_template: bundle.config.html_option("edit-url-template"),
            search: enabled("search"),
            print: enabled("print"),
            redirect_fragments: Default::default(),
            book_assets: Default::default(),
            preprocessed: Default::default(),
        }
    }
}

/// Renders the site into `out` (an empty folder). Returns problems such as broken links;
/// the build fails when they contain errors.
pub fn render(bundle: &Bundle, report: &TestReport, out: &Path) -> anyhow::Result<Diagnostics> {
    let mut d = Diagnostics::default();
    let src_rel = bundle.config.book.src.trim_end_matches('/').to_string();
    let src_dir = bundle.root.join(&src_rel);
    let summary_file = format!("{src_rel}/SUMMARY.md");
    let text = match crate::text::read_text(&src_dir.join("SUMMARY.md")) {
        Ok(t) => t,
        Err(e) => {
            d.error(
                Location::new(&summary_file, e.line_col()),
                format!("cannot read SUMMARY.md: {e}"),
                e.help("create SUMMARY.md in the book's source folder ([book] src in book.toml)"),
            );
            return Ok(d);
        }
    };
    let (summary, sd) = summary::parse(&text, &summary_file);
    d.extend(sd);
    book_keys::mathjax_warning(bundle, &mut d);
    book_keys::other_renderers(bundle, &mut d);
    let plan = plan(bundle, &summary, &src_dir, &mut d);
    let outs = plan.pages.iter().map(|p| (p.md.as_str(), p.out.as_str(), &p.location));
    book_keys::clashing_pages(outs, &mut d);
    let theme_name = bundle
        .config
        .policybook
        .as_ref()
        .map(|p| p.theme.as_str())
        .unwrap_or("default");
    let theme = match theme::load(&bundle.root, theme_name) {
        Ok(t) => Some(t),
        Err(td) => {
            d.extend(td);
            None
        }
    };
    if d.has_errors() {
        return Ok(d.sorted());
    }
    let theme = theme.unwrap();
    let mut opts = Options::from(bundle);
    // The book's additional-css/-js and mdBook theme folder (book_theme.rs).
    opts.book_assets = book_theme::load(&bundle.config, &bundle.root, &mut d);
    let page_outs: HashSet<String> = plan.pages.iter().map(|p| p.out.clone()).collect();
    let mut redirect_plan = redirects::plan(&bundle.config, &bundle.root, &page_outs, &mut d);
    opts.redirect_fragments = std::mem::take(&mut redirect_plan.page_fragments);
    if let Some(u) = bundle.config.html_option("site-url") {
        if opts.site_url.is_none() {
            let text = std::fs::read_to_string(bundle.root.join("book.toml")).unwrap_or_default();
            let at = text
                .find("site-url")
                .map(|i| crate::text::line_col(&text, i))
                .unwrap_or((1, 1));
            d.warning(
                Location::new("book.toml", at),
                format!("[output.html] site-url = {u:?} is neither a full URL nor a path from the server's root; it is ignored"),
                "write the address the site is served at, e.g. \"https://example.org/docs/\" or \"/docs/\"",
            );
        }
    }
    let env = Env {
        bundle,
        src_dir: &src_dir,
        src_rel: &src_rel,
        policy_pages: plan.pages.iter().any(|p| p.kind == PageKind::PolicyIndex),
    };
    // External preprocessors ([preprocessor.*]) over mdBook's JSON protocol.
    if preprocess::any(&bundle.config) {
        let items = preprocess_items(&plan, &src_dir);
        opts.preprocessed = preprocess::run(
            &bundle.config,
            &bundle.root,
            items,
            |md, text, diags| {
                page::expand_links(text, md, &env, &format!("{src_rel}/{md}"), diags, 0).0
            },
            &mut d,
        );
        if d.has_errors() {
            return Ok(d.sorted());
        }
    }
    let opts = opts;
    std::fs::create_dir_all(out)?;

    // Generated files of the bundle, per rule.
    let rule_files: Vec<Vec<files::GeneratedFile>> = if env.policy_pages {
        files::all(bundle)
    } else {
        bundle.rules.iter().map(|_| Vec::new()).collect()
    };

    let book = BookInfo {
        title: bundle.config.title(),
        description: bundle.config.book.description.as_deref().unwrap_or(""),
        lang: &bundle.config.book.language,
    };

    // Render every page in parallel.
    let rendered: Vec<anyhow::Result<Rendered>> = plan
        .pages
        .par_iter()
        .enumerate()
        .map(|(i, spec)| {
            render_page(
                &env,
                &theme,
                &book,
                &opts,
                &plan,
                i,
                spec,
                report,
                &rule_files,
                out,
            )
        })
        .collect();
    let mut pages = Vec::with_capacity(rendered.len());
    for r in rendered {
        pages.push(r?);
    }
    for p in &mut pages {
        d.extend(std::mem::take(&mut p.diags));
    }

    // Files the site will hold besides the pages.
    let statics = static_files(&src_dir, &bundle.root, bundle, &mut d);
    let mut known: HashSet<String> = statics.iter().cloned().collect();
    for f in rule_files.iter().flatten() {
        known.insert(f.site_path.clone());
    }
    for a in theme.assets.keys() {
        known.insert(a.clone());
    }
    for (site, _) in &opts.book_assets.files {
        known.insert(site.clone());
    }
    for s in ["index.html", "404.html", "toc.html", "assets/toc.js"] {
        known.insert(s.into());
    }
    if opts.print {
        known.insert("print.html".into());
    }
    redirects::drop_clashes(&mut redirect_plan, &known, &bundle.root, &mut d);
    // A link to an old address is fine: its redirect page is there.
    for r in &redirect_plan.pages {
        known.insert(r.path.clone());
    }
    for p in &plan.pages {
        known.insert(p.out.clone());
    }
    redirects::check_targets(&redirect_plan, &known, &bundle.root, &mut d);

    // 404 page (links checked too).
    let not_found = render_404(&env, &theme, &book, &opts, out)?;
    let mut ld = Diagnostics::default();
    check_links(
        &plan,
        &pages,
        std::iter::once(&not_found),
        &known,
        &src_dir,
        &src_rel,
        &mut ld,
    );
    d.extend(book_keys::link_problems(bundle, ld));
    d.extend(not_found.diags.clone());
    if d.has_errors() {
        return Ok(d.sorted());
    }

    // Shared navigation: one script for every page, plus a no-script page.
    let nav_html = nav_html(&plan);
    write_file(
        &out.join("assets/toc.js"),
        format!(
            "window.pbToc = {};\n",
            serde_json::to_string(&fold::apply(&nav_html, fold::level(bundle)))?
                .replace("</", "<\\/")
        )
        .as_bytes(),
    )?;
    let toc_ctx = PageCtx::simple(
        &book,
        &opts,
        "Table of contents",
        "toc.html",
        &nav_html,
        "toc",
    );
    write_file(
        &out.join("toc.html"),
        theme
            .tera
            .render("toc.html", &tera::Context::from_serialize(&toc_ctx)?)?
            .as_bytes(),
    )?;

    // Print page: every chapter in order, links rewritten to in-page anchors. The
    // template is rendered around a marker and the chapters are streamed in its place.
    if opts.print {
        const MARK: &str = "\u{1}policybook-print-body\u{1}";
        let ctx = PageCtx::simple(&book, &opts, book.title, "print.html", MARK, "print");
        let frame = theme
            .tera
            .render("print.html", &tera::Context::from_serialize(&ctx)?)?;
        let (head, tail) = frame
            .split_once(MARK)
            .ok_or_else(|| anyhow::anyhow!("print.html must output {{{{ content }}}}"))?;
        let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("print.html"))?);
        use std::io::Write as _;
        w.write_all(head.as_bytes())?;
        // Ids made unique and links made in-page as mdBook does (print_ids.rs).
        let chapters = plan.pages.iter().zip(&mut pages);
        let chapters = chapters.map(|(spec, p)| print_ids::Chapter {
            path: &spec.out,
            name: &spec.title,
            html: std::mem::take(&mut p.print),
        });
        for body in print_ids::rewrite(chapters.collect()) {
            w.write_all(b"<section class=\"print-chapter\">\n")?;
            w.write_all(body.as_bytes())?;
            w.write_all(b"</section>\n")?;
        }
        w.write_all(tail.as_bytes())?;
        w.flush()?;
    }

    // Search index.
    if opts.search {
        let mut docs = Vec::new();
        for (spec, p) in plan.pages.iter().zip(&mut pages) {
            for s in std::mem::take(&mut p.sections) {
                if s.body.trim().is_empty() && s.code.is_empty() && s.anchor.is_empty() {
                    continue;
                }
                let url = if s.anchor.is_empty() {
                    spec.out.clone()
                } else {
                    format!("{}#{}", spec.out, s.anchor)
                };
                let crumb = if s.title == spec.title {
                    String::new()
                } else {
                    spec.title.clone()
                };
                docs.push(search::Doc {
                    url,
                    title: s.title,
                    crumb,
                    body: s.body,
                    code: s.code,
                });
            }
        }
        let mut files = search::build(&docs);
        book_keys::search_limit(bundle, &mut files);
        drop(docs);
        files
            .par_iter()
            .try_for_each(|(p, s)| write_file(&out.join(p), s.as_bytes()))?;
    }

    // index.html: the first chapter, unless a chapter already is index.html.
    if !plan.pages.iter().any(|p| p.out == "index.html") {
        if let Some(first) = plan.pages.first() {
            if !first.out.contains('/') {
                std::fs::copy(out.join(&first.out), out.join("index.html"))?;
            } else {
                let href = escape(&first.out);
                let html = format!("<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><meta http-equiv=\"refresh\" content=\"0; url={href}\"></head><body><p><a href=\"{href}\">{}</a></p></body></html>\n", escape(book.lang), escape(book.title), escape(&first.title));
                write_file(&out.join("index.html"), html.as_bytes())?;
            }
        }
    }

    // Redirect pages for old addresses ([output.html.redirect]).
    for r in &redirect_plan.pages {
        write_file(&out.join(&r.path), redirects::html(r, book.lang).as_bytes())?;
    }

    // sitemap.xml when the site's full URL is known (a sitemap needs absolute URLs).
    if let Some(base) = opts.site_url.as_ref().filter(|u| u.contains("://")) {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        s.push_str(&format!("  <url><loc>{}</loc></url>\n", escape(base)));
        for p in &plan.pages {
            if p.out != "index.html" {
                s.push_str(&format!(
                    "  <url><loc>{}{}</loc></url>\n",
                    escape(base),
                    escape(&p.out)
                ));
            }
        }
        s.push_str("</urlset>\n");
        write_file(&out.join("sitemap.xml"), s.as_bytes())?;
    }

    // Theme assets, the source folder's other files, the bundle's generated files.
    for (p, bytes) in &theme.assets {
        write_file(&out.join(p), bytes)?;
    }
    statics.par_iter().try_for_each(|p| -> anyhow::Result<()> {
        let to = out.join(p);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(src_dir.join(p), to)?;
        Ok(())
    })?;
    for f in rule_files.iter().flatten() {
        write_file(&out.join(&f.site_path), &f.bytes)?;
    }
    for (site, from) in &opts.book_assets.files {
        write_file(&out.join(site), &std::fs::read(from)?)?;
    }

    // External links are listed, not fetched.
    let mut ext: BTreeSet<(String, String)> = BTreeSet::new();
    for p in pages.iter().chain(std::iter::once(&not_found)) {
        for (u, l) in &p.externals {
            ext.insert((u.clone(), l.to_string()));
        }
    }
    if !ext.is_empty() {
        let mut s = String::from(
            "# External links in the handbook (listed, not checked): URL<TAB>source\n",
        );
        for (u, l) in &ext {
            s.push_str(&format!("{u}\t{l}\n"));
        }
        write_file(&out.join("external-links.txt"), s.as_bytes())?;
    }
    Ok(d.sorted())
}

// ------------------------------------------------------------------ planning

/// The book as preprocessors see it: Markdown chapters (read from disk), drafts,
/// parts and separators in SUMMARY.md order. Generated policy pages are left out.
fn preprocess_items(plan: &Plan, src_dir: &Path) -> Vec<preprocess::Item> {
    let mut items = Vec::new();
    let mut skip_below: Option<usize> = None;
    for n in &plan.nav {
        match n {
            Nav::Part(t) => items.push(preprocess::Item::Part(t.clone())),
            Nav::Separator => items.push(preprocess::Item::Separator),
            Nav::Chapter {
                page,
                title,
                number,
                depth,
            } => {
                if skip_below.is_some_and(|s| *depth > s) {
                    continue;
                }
                skip_below = None;
                let content = match page {
                    None => None,
                    Some(i) if plan.pages[*i].kind == PageKind::Markdown => {
                        match crate::text::read_text(&src_dir.join(&plan.pages[*i].md)) {
                            Ok(t) => Some(t),
                            Err(_) => continue, // reported when the page is rendered
                        }
                    }
                    Some(_) => {
                        skip_below = Some(*depth);
                        continue;
                    }
                };
                let number = number.as_ref().map(|n| {
                    n.split('.')
                        .filter_map(|x| x.parse::<u32>().ok())
                        .collect::<Vec<_>>()
                });
                items.push(preprocess::Item::Chapter(preprocess::Chapter {
                    md: page.map(|i| plan.pages[i].md.clone()).unwrap_or_default(),
                    title: title.clone(),
                    number,
                    depth: *depth,
                    content,
                }));
            }
        }
    }
    items
}

fn plan(bundle: &Bundle, summary: &summary::Summary, src_dir: &Path, d: &mut Diagnostics) -> Plan {
    let mut pages: Vec<PageSpec> = Vec::new();
    let mut nav = Vec::new();
    let mut counters: Vec<u32> = Vec::new();
    let mut number = |depth: Option<usize>| -> Option<String> {
        let dp = depth?;
        counters.truncate(dp + 1);
        while counters.len() < dp + 1 {
            counters.push(0);
        }
        counters[dp] += 1;
        Some(counters.iter().map(|n| format!("{n}.")).collect())
    };
    let mut seen: HashMap<String, Location> = HashMap::new();
    let mut add = |pages: &mut Vec<PageSpec>,
                   nav: &mut Vec<Nav>,
                   spec: PageSpec,
                   depth: usize,
                   d: &mut Diagnostics| {
        if let Some(first) = seen.get(&spec.md) {
            d.error(
                spec.location.clone(),
                format!("page `{}` is listed twice (also at {first})", spec.md),
                "list each chapter once; generated pages live under policies/",
            );
            return;
        }
        seen.insert(spec.md.clone(), spec.location.clone());
        nav.push(Nav::Chapter {
            page: Some(pages.len()),
            title: spec.title.clone(),
            number: spec.number.clone(),
            depth,
        });
        pages.push(spec);
    };
    for item in &summary.items {
        match item {
            Item::Part(t) => nav.push(Nav::Part(t.clone())),
            Item::Separator => nav.push(Nav::Separator),
            Item::Entry(e) => {
                let num = number(e.depth);
                let depth = e.depth.unwrap_or(0);
                let spec = |kind: PageKind, md: &str, title: &str, num: Option<String>| PageSpec {
                    kind,
                    md: md.to_string(),
                    out: util::html_path(md),
                    title: title.to_string(),
                    number: num,
                    location: e.location.clone(),
                };
                match &e.target {
                    Target::Draft => nav.push(Nav::Chapter {
                        page: None,
                        title: e.title.clone(),
                        number: num,
                        depth,
                    }),
                    Target::File(md) => {
                        // Only from a SUMMARY.md without errors: a typo'd line never writes a file.
                        if !src_dir.join(md).is_file()
                            && !d.has_errors()
                            && book_keys::create_missing(bundle)
                        {
                            if let Err(why) = book_keys::create_chapter(src_dir, md, &e.title) {
                                d.error(e.location.clone(), format!("cannot create the missing chapter file `{md}`: {why}"), "create the file yourself or fix the path ([build] create-missing = true writes missing chapters)");
                                continue;
                            }
                        }
                        if !src_dir.join(md).is_file() {
                            d.error(e.location.clone(), format!("chapter file `{md}` does not exist"), "create the file or fix the path (relative to the book's source folder)");
                            continue;
                        }
                        if !inside_source(src_dir, md) {
                            d.error(e.location.clone(), format!("chapter file `{md}` leads through a symbolic link out of the book's source folder"), "chapters must be files inside the book's source folder; copy the file in instead of linking it");
                            continue;
                        }
                        add(
                            &mut pages,
                            &mut nav,
                            spec(PageKind::Markdown, md, &e.title, num),
                            depth,
                            d,
                        );
                    }
                    Target::Policies | Target::Checklist if bundle.config.policybook.is_none() => {
                        d.error(
                            e.location.clone(),
                            "generated policy pages need a policybook project",
                            "add [policybook] to book.toml or remove this line",
                        );
                    }
                    Target::Policies => {
                        add(
                            &mut pages,
                            &mut nav,
                            spec(PageKind::PolicyIndex, "policies/index.md", &e.title, num),
                            depth,
                            d,
                        );
                        for (i, r) in bundle.rules.iter().enumerate() {
                            let n = if e.depth.is_some() {
                                number(Some(depth + 1))
                            } else {
                                None
                            };
                            let title = format!("{} {}", r.id, r.title);
                            add(
                                &mut pages,
                                &mut nav,
                                spec(
                                    PageKind::Policy(i),
                                    &format!("policies/{}.md", r.name),
                                    &title,
                                    n,
                                ),
                                depth + 1,
                                d,
                            );
                        }
                    }
                    Target::Checklist => add(
                        &mut pages,
                        &mut nav,
                        spec(PageKind::Checklist, "policies/checklist.md", &e.title, num),
                        depth,
                        d,
                    ),
                }
            }
        }
    }
    Plan { pages, nav }
}

/// Nested sidebar HTML with links relative to the site root (book.js prefixes the page's root).
fn nav_html(plan: &Plan) -> String {
    let mut s = String::from("<ol class=\"toc\">");
    let mut depth = 0usize;
    let mut open_li = false;
    for item in &plan.nav {
        let target = match item {
            Nav::Chapter { depth, .. } => *depth,
            _ => 0,
        };
        while depth > target {
            s.push_str("</li></ol>");
            depth -= 1;
        }
        if let Nav::Chapter { depth: cd, .. } = item {
            while depth < *cd {
                if !open_li {
                    s.push_str("<li class=\"chapter-item\">");
                }
                s.push_str("<ol class=\"section\">");
                depth += 1;
                open_li = false;
            }
        }
        if open_li {
            s.push_str("</li>");
        }
        open_li = false;
        match item {
            Nav::Part(t) => s.push_str(&format!("<li class=\"part-title\">{}</li>", escape(t))),
            Nav::Separator => s.push_str("<li class=\"spacer\"></li>"),
            Nav::Chapter {
                page,
                title,
                number,
                ..
            } => {
                let num = number
                    .as_deref()
                    .map(|n| format!("<strong>{n}</strong> "))
                    .unwrap_or_default();
                match page {
                    Some(i) => s.push_str(&format!(
                        "<li class=\"chapter-item\"><a href=\"{}\">{num}{}</a>",
                        escape(&plan.pages[*i].out),
                        escape(title)
                    )),
                    None => s.push_str(&format!(
                        "<li class=\"chapter-item draft\"><span>{num}{}</span>",
                        escape(title)
                    )),
                }
                open_li = true;
            }
        }
    }
    if open_li {
        s.push_str("</li>");
    }
    while depth > 0 {
        s.push_str("</ol></li>");
        depth -= 1;
    }
    s.push_str("</ol>");
    s
}

/// Whether `rel` in the book's source folder is there once symbolic links are
/// followed (a linked chapter must not publish a file from elsewhere).
fn inside_source(src_dir: &Path, rel: &str) -> bool {
    match (src_dir.join(rel).canonicalize(), src_dir.canonicalize()) {
        (Ok(real), Ok(base)) => real.starts_with(base),
        _ => true,
    }
}

/// Symbolic links are followed inside the project; others are errors (never silently left out).
fn static_files(src_dir: &Path, root: &Path, bundle: &Bundle, d: &mut Diagnostics) -> Vec<String> {
    let skip_root_dirs: Vec<String> = if src_dir == root {
        vec![
            bundle.config.site_dir(),
            bundle.config.output_dir().to_string(),
            "target".into(),
            "themes".into(),
        ]
    } else {
        Vec::new()
    };
    let walked = crate::walk::walk_files(
        root,
        src_dir,
        |e| {
            let name = e.file_name().to_string_lossy();
            !(name.starts_with('.')
                || (e.depth() == 1 && skip_root_dirs.iter().any(|s| *s == name)))
        },
        // Dot-files are skipped, Markdown is read through SUMMARY.md.
        |p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            !name.starts_with('.') && !name.ends_with(".md")
        },
    );
    for p in walked.problems {
        d.error(
            Location::new(crate::walk::relative(root, &p.path), (1, 1)),
            p.message,
            "point the link at a file inside the project, or replace it with the file itself",
        );
    }
    let mut v: Vec<String> = walked
        .files
        .iter()
        .filter_map(|p| {
            Some(
                p.strip_prefix(src_dir)
                    .ok()?
                    .to_string_lossy()
                    .replace('\\', "/"),
            )
        })
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------ pages

struct BookInfo<'a> {
    title: &'a str,
    description: &'a str,
    lang: &'a str,
}

#[derive(Serialize)]
struct NavLink {
    url: String,
    title: String,
}

#[derive(Serialize)]
struct PageCtx<'a> {
    book_title: &'a str,
    description: &'a str,
    lang: &'a str,
    title: &'a str,
    root: String,
    path: &'a str,
    content: &'a str,
    toc: &'a [Heading],
    prev: Option<NavLink>,
    next: Option<NavLink>,
    edit_url: Option<String>,
    repo_url: Option<&'a str>,
    search: bool,
    print: bool,
    kind: &'a str,
    base_url: Option<&'a str>,
    /// `<head>` additions from the book (stylesheets, scripts, favicon, head.hbs).
    extra_head: String,
    favicon: bool,
}

impl<'a> PageCtx<'a> {
    fn simple(
        book: &BookInfo<'a>,
        opts: &'a Options,
        title: &'a str,
        path: &'a str,
        content: &'a str,
        kind: &'a str,
    ) -> PageCtx<'a> {
        PageCtx {
            book_title: book.title,
            description: book.description,
            lang: book.lang,
            title,
            root: root_of(path),
            path,
            content,
            toc: &[],
            prev: None,
            next: None,
            edit_url: None,
            repo_url: opts.repo_url,
            search: opts.search,
            print: opts.print,
            kind,
            base_url: None,
            extra_head: opts.book_assets.head_html(&root_of(path)),
            favicon: opts.book_assets.favicon.is_some(),
        }
    }
}

struct Rendered {
    anchors: Vec<String>,
    links: Vec<LinkRef>,
    externals: Vec<(String, Location)>,
    print: String,
    sections: Vec<Section>,
    diags: Diagnostics,
}

#[allow(clippy::too_many_arguments)]
fn render_page(
    env: &Env,
    theme: &theme::Theme,
    book: &BookInfo,
    opts: &Options,
    plan: &Plan,
    i: usize,
    spec: &PageSpec,
    report: &TestReport,
    rule_files: &[Vec<files::GeneratedFile>],
    out: &Path,
) -> anyhow::Result<Rendered> {
    let bundle = env.bundle;
    let mut p = PageBuilder::new(env, &spec.md, &spec.title);
    let mut edit_path: Option<String> = None;
    // `{{#title …}}` in the chapter: its `<title>`.
    let mut set_title: Option<String> = None;
    match &spec.kind {
        PageKind::Markdown => {
            let file = format!("{}/{}", env.src_rel, spec.md);
            let raw = match crate::text::read_text(&env.src_dir.join(&spec.md)) {
                Ok(t) => t,
                Err(e) => {
                    // Never an empty page without a word.
                    let help = e.help("check that the chapter file is readable");
                    p.diags.error(
                        Location::new(&file, e.line_col()),
                        format!("cannot read chapter: {e}"),
                        help,
                    );
                    String::new()
                }
            };
            let pre = &opts.preprocessed;
            match pre.content.get(&spec.md) {
                // `links` ran among the preprocessors: the text is final.
                Some(t) if pre.links_done => p.markdown(t, &Origin::new(&file, 1)),
                Some(t) => {
                    let (text, origin, title) =
                        page::expand_links(t, &spec.md, env, &file, &mut p.diags, 0);
                    set_title = title;
                    p.markdown(&text, &origin);
                }
                None => {
                    let (text, origin, title) =
                        page::expand_links(&raw, &spec.md, env, &file, &mut p.diags, 0);
                    set_title = title;
                    p.markdown(&text, &origin);
                }
            }
            edit_path = Some(file);
        }
        PageKind::PolicyIndex => policies::index_page(&mut p, bundle, &spec.title),
        PageKind::Checklist => policies::checklist_page(&mut p, bundle, &spec.title),
        PageKind::Policy(r) => {
            let rule = &bundle.rules[*r];
            policies::policy_page(&mut p, bundle, rule, report, &rule_files[*r]);
            edit_path = Some(rule.location.file.clone());
        }
    }
    let link = |j: usize| {
        let t = &plan.pages[j];
        NavLink {
            url: relative(&spec.out, &t.out),
            title: t.title.clone(),
        }
    };
    let title = p
        .first_h1
        .clone()
        .filter(|_| false)
        .unwrap_or_else(|| spec.title.clone());
    if let Some(map) = opts.redirect_fragments.get(&spec.out) {
        p.html.push_str(&redirects::fragment_script(map));
    }
    let title = set_title.unwrap_or(title);
    let ctx = PageCtx {
        book_title: book.title,
        description: book.description,
        lang: book.lang,
        title: &title,
        root: root_of(&spec.out),
        path: &spec.out,
        content: &p.html,
        toc: &p.headings,
        prev: (i > 0).then(|| link(i - 1)),
        next: (i + 1 < plan.pages.len()).then(|| link(i + 1)),
        edit_url: match (opts.edit_template, &edit_path) {
            (Some(t), Some(path)) => Some(t.replace("{path}", path)),
            _ => None,
        },
        repo_url: opts.repo_url,
        search: opts.search,
        print: opts.print,
        kind: "page",
        base_url: None,
        extra_head: opts.book_assets.head_html(&root_of(&spec.out)),
        favicon: opts.book_assets.favicon.is_some(),
    };
    let html = theme
        .tera
        .render("page.html", &tera::Context::from_serialize(&ctx)?)
        .map_err(|e| anyhow::anyhow!("rendering {}: {}", spec.out, tera_error(&e)))?;
    write_file(&out.join(&spec.out), html.as_bytes())?;
    Ok(Rendered {
        anchors: std::mem::take(&mut p.anchors),
        links: std::mem::take(&mut p.links),
        externals: std::mem::take(&mut p.externals),
        print: std::mem::take(&mut p.print),
        sections: std::mem::take(&mut p.sections),
        diags: std::mem::take(&mut p.diags),
    })
}

fn tera_error(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

const DEFAULT_404: &str = "# Page not found\n\nThere is no page at this address. Try the search, or go back to [the start](index.html).\n";

fn render_404(
    env: &Env,
    theme: &theme::Theme,
    book: &BookInfo,
    opts: &Options,
    out: &Path,
) -> anyhow::Result<Rendered> {
    let mut p = PageBuilder::new(env, "404.md", "Page not found");
    let file = format!("{}/404.md", env.src_rel);
    let own_404 = if inside_source(env.src_dir, "404.md") {
        crate::text::read_text(&env.src_dir.join("404.md"))
    } else {
        p.diags.error(
            Location::new(&file, (1, 1)),
            "`404.md` leads through a symbolic link out of the book's source folder",
            "copy the file in instead of linking it",
        );
        Err(crate::text::ReadError::Io(
            std::io::ErrorKind::NotFound.into(),
        ))
    };
    match own_404 {
        Ok(t) => p.markdown(&t, &Origin::new(&file, 1)),
        Err(e) if e.is_not_found() => {
            p.markdown(DEFAULT_404, &Origin::new("(built-in 404 page)", 1))
        }
        Err(e) => {
            let help = e.help("check that 404.md is readable");
            p.diags.error(
                Location::new(&file, e.line_col()),
                format!("cannot read 404.md: {e}"),
                help,
            );
        }
    }
    let mut ctx = PageCtx::simple(book, opts, "Page not found", "404.html", &p.html, "404");
    ctx.base_url = opts.site_url.as_deref();
    let html = theme
        .tera
        .render("page.html", &tera::Context::from_serialize(&ctx)?)
        .map_err(|e| anyhow::anyhow!("rendering 404.html: {}", tera_error(&e)))?;
    write_file(&out.join("404.html"), html.as_bytes())?;
    Ok(Rendered {
        anchors: std::mem::take(&mut p.anchors),
        links: std::mem::take(&mut p.links),
        externals: std::mem::take(&mut p.externals),
        print: String::new(),
        sections: Vec::new(),
        diags: std::mem::take(&mut p.diags),
    })
}

// ------------------------------------------------------------------ link check

fn check_links<'r>(
    plan: &Plan,
    pages: &'r [Rendered],
    extra: impl Iterator<Item = &'r Rendered>,
    known: &HashSet<String>,
    src_dir: &Path,
    src_rel: &str,
    d: &mut Diagnostics,
) {
    let by_md: HashMap<&str, usize> = plan
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.md.as_str(), i))
        .collect();
    let anchors: Vec<HashSet<&str>> = pages
        .iter()
        .map(|p| p.anchors.iter().map(String::as_str).collect())
        .collect();
    let check = |l: &LinkRef, d: &mut Diagnostics| match &l.target {
        LinkTarget::Page(md) => match by_md.get(md.as_str()) {
            // A chapter that moved: its old address has a redirect page.
            None if known.contains(&util::html_path(md)) => {}
            None => {
                if src_dir.join(md).is_file() {
                    d.error(
                        l.location.clone(),
                        format!("link to `{md}`, which is not in SUMMARY.md and so has no page"),
                        "add the chapter to SUMMARY.md or link another page",
                    );
                } else {
                    d.error(
                        l.location.clone(),
                        format!("broken link: `{src_rel}/{md}` does not exist"),
                        "fix the path; links are relative to the page's own folder",
                    );
                }
            }
            Some(&j) => {
                if let Some(a) = l.anchor.as_deref().filter(|a| !a.is_empty()) {
                    if !anchors[j].contains(a) {
                        d.error(
                            l.location.clone(),
                            format!("broken anchor: `{}` has no heading or id `#{a}`", plan.pages[j].md),
                            "anchors are heading ids: lower-case words joined by `-` (or a `{#custom-id}`)",
                        );
                    }
                }
            }
        },
        LinkTarget::File(f) => {
            if !known.contains(f) {
                d.error(
                    l.location.clone(),
                    format!("broken link: no file `{f}` in the site"),
                    "fix the path, or add the file to the book's source folder",
                );
            }
        }
    };
    for p in pages.iter().chain(extra) {
        for l in &p.links {
            check(l, d);
        }
    }
}

//! The handbook site: Markdown from the book's source folder plus generated policy
//! pages, rendered with the theme's tera templates into a static, offline site.
//!
//! This file only orchestrates; each step lives in its own file. Steps: parse
//! `SUMMARY.md` into pages and navigation (`plan`); load the theme and the
//! options (`options`); run the book's preprocessors; render every page in
//! parallel (rayon) into its HTML, its print-page section, ids, links and search
//! text (`render`); check every internal link and anchor (`links`); then write
//! the shared navigation and `index.html` (`navigation`), the print page
//! (`print`), the search index (`search_docs`), `404.html` (`not_found`),
//! redirect pages, `sitemap.xml` (`sitemap`), the theme's assets, the source
//! folder's other files (`source_files`) and the bundle's generated files
//! (`files/…`). Output depends only on the inputs, never on thread count or
//! timing.

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
mod links;
mod navigation;
mod not_found;
mod options;
mod page;
mod plan;
mod policies;
mod preprocess;
mod print;
mod print_ids;
mod rawlinks;
mod redirects;
mod render;
mod rollout_table;
pub mod search;
mod search_docs;
mod sitemap;
mod source_files;
pub mod summary;
mod theme;
pub mod util;

use std::path::Path;

use crate::artifacts::Artifacts;
use crate::diagnostics::{Diagnostics, Location};
use crate::model::Bundle;
use crate::output::write_file;
use crate::runner::TestReport;
use context::Env;
use options::{BookInfo, Options};
use plan::Plan;
use render::Site;

/// Renders the site into `out` (an empty folder). `artifacts` are the output stages'
/// files; the policy pages serve each rule's own. Returns problems such as broken
/// links; the build fails when they contain errors.
pub fn render(
    bundle: &Bundle,
    report: &TestReport,
    artifacts: &Artifacts,
    out: &Path,
) -> anyhow::Result<Diagnostics> {
    let mut d = Diagnostics::default();
    let src_rel = bundle.config.book.src.trim_end_matches('/').to_string();
    let src_dir = bundle.root.join(&src_rel);

    // Plan the pages, load the theme and the options; nothing is written on an error.
    let Some(summary) = read_summary(&src_dir, &src_rel, &mut d) else {
        return Ok(d);
    };
    book_keys::mathjax_warning(bundle, &mut d);
    book_keys::other_renderers(bundle, &mut d);
    let plan = plan::plan(bundle, &summary, &src_dir, &mut d);
    let outs = plan
        .pages
        .iter()
        .map(|p| (p.md.as_str(), p.out.as_str(), &p.location));
    book_keys::clashing_pages(outs, &mut d);
    let theme = load_theme(bundle, &mut d);
    let Some(theme) = theme.filter(|_| !d.has_errors()) else {
        return Ok(d.sorted());
    };
    let (mut opts, mut redirect_plan) = Options::load(bundle, &plan, &mut d);
    let env = Env {
        bundle,
        src_dir: &src_dir,
        src_rel: &src_rel,
        policy_pages: plan.has_policy_pages(),
    };
    // External preprocessors ([preprocessor.*]) over mdBook's JSON protocol.
    if preprocess::any(&bundle.config) {
        opts.preprocessed = run_preprocessors(&plan, &env, &mut d);
        if d.has_errors() {
            return Ok(d.sorted());
        }
    }
    std::fs::create_dir_all(out)?;
    // Generated files of the bundle, per rule.
    let rule_files: Vec<Vec<files::GeneratedFile>> = if env.policy_pages {
        files::by_rule(bundle, artifacts)
    } else {
        bundle.rules.iter().map(|_| Vec::new()).collect()
    };
    let site = Site {
        env: &env,
        theme: &theme,
        book: BookInfo::of(bundle),
        opts: &opts,
        plan: &plan,
        report,
        rule_files: &rule_files,
        out,
    };

    // Render every page, then check every link (the 404 page's too).
    let mut pages = site.render_pages()?;
    for p in &mut pages {
        d.extend(std::mem::take(&mut p.diags));
    }
    let statics = source_files::static_files(&src_dir, &bundle.root, bundle, &mut d);
    let known = links::known_files(&site, &statics, &mut redirect_plan, &mut d);
    let not_found = not_found::render(&site)?;
    let mut ld = Diagnostics::default();
    links::check(&site, &pages, &not_found, &known, &mut ld);
    d.extend(book_keys::link_problems(bundle, ld));
    d.extend(not_found.diags.clone());
    if d.has_errors() {
        return Ok(d.sorted());
    }

    // What the pages share or lead to, then every other file of the site.
    navigation::write_toc(&site)?;
    if opts.print {
        print::write(&site, &mut pages)?;
    }
    if opts.search {
        search_docs::write(&site, &mut pages)?;
    }
    navigation::write_index(&site)?;
    // Redirect pages for old addresses ([output.html.redirect]).
    for r in &redirect_plan.pages {
        write_file(
            &out.join(&r.path),
            redirects::html(r, site.book.lang).as_bytes(),
        )?;
    }
    sitemap::write(&plan, opts.site_url.as_deref(), out)?;
    write_files(&site, &statics)?;
    links::write_externals(&pages, &not_found, out)?;
    Ok(d.sorted())
}

/// `SUMMARY.md`, parsed; `None` (an error in `d`) when it cannot be read.
fn read_summary(src_dir: &Path, src_rel: &str, d: &mut Diagnostics) -> Option<summary::Summary> {
    let summary_file = format!("{src_rel}/SUMMARY.md");
    let text = match crate::text::read_text(&src_dir.join("SUMMARY.md")) {
        Ok(t) => t,
        Err(e) => {
            d.error(
                Location::new(&summary_file, e.line_col()),
                format!("cannot read SUMMARY.md: {e}"),
                e.help("create SUMMARY.md in the book's source folder ([book] src in book.toml)"),
            );
            return None;
        }
    };
    let (summary, sd) = summary::parse(&text, &summary_file);
    d.extend(sd);
    Some(summary)
}

/// The theme named in `[policybook] theme` (`default` otherwise); `None` with its
/// problems in `d` when it does not load.
fn load_theme(bundle: &Bundle, d: &mut Diagnostics) -> Option<theme::Theme> {
    let theme_name = bundle
        .config
        .policybook
        .as_ref()
        .map(|p| p.theme.as_str())
        .unwrap_or("default");
    match theme::load(&bundle.root, theme_name) {
        Ok(t) => Some(t),
        Err(td) => {
            d.extend(td);
            None
        }
    }
}

/// Runs the book's preprocessors over its chapters; their `links` step, when
/// asked for, is ours (`{{#include}}` and friends).
fn run_preprocessors(plan: &Plan, env: &Env, d: &mut Diagnostics) -> preprocess::Output {
    let bundle = env.bundle;
    let items = plan::preprocess_items(plan, env.src_dir);
    preprocess::run(
        &bundle.config,
        &bundle.root,
        items,
        |md, text, diags| {
            includes::expand_links(text, md, env, &format!("{}/{md}", env.src_rel), diags, 0).0
        },
        d,
    )
}

/// The theme's assets, the source folder's other files, the bundle's generated
/// files and the book's own assets (additional-css/-js, mdBook theme files).
fn write_files(site: &Site, statics: &[String]) -> anyhow::Result<()> {
    let out = site.out;
    for (p, bytes) in &site.theme.assets {
        write_file(&out.join(p), bytes)?;
    }
    source_files::copy(site.env.src_dir, statics, out)?;
    for f in site.rule_files.iter().flatten() {
        write_file(&out.join(&f.site_path), f.bytes)?;
    }
    for (path, from) in &site.opts.book_assets.files {
        write_file(&out.join(path), &std::fs::read(from)?)?;
    }
    Ok(())
}

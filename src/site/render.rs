//! Rendering one page: a chapter or a generated policy page is built with the
//! page builder, framed by the theme's `page.html` (title, sidebar neighbours,
//! edit link, the book's `<head>` additions) and written; what the later steps
//! need from it (anchors, links, print text, search sections) is handed back.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::context::{Env, Origin};
use super::files::GeneratedFile;
use super::includes;
use super::options::{BookInfo, Options};
use super::page::{Heading, LinkRef, PageBuilder, Section};
use super::plan::{PageKind, Plan};
use super::theme::Theme;
use super::util::{relative, root_of};
use super::{policies, redirects};
use crate::diagnostics::{Diagnostics, Location};
use crate::output::write_file;
use crate::runner::TestReport;

/// What rendering every page shares: the build's inputs, the theme and options,
/// the plan, the rules' test results and generated files, and the site folder.
pub(super) struct Site<'a> {
    pub(super) env: &'a Env<'a>,
    pub(super) theme: &'a Theme,
    pub(super) book: BookInfo<'a>,
    pub(super) opts: &'a Options<'a>,
    pub(super) plan: &'a Plan,
    pub(super) report: &'a TestReport,
    /// Each rule's generated files, indexed like `bundle.rules`.
    pub(super) rule_files: &'a [Vec<GeneratedFile<'a>>],
    pub(super) out: &'a Path,
}

#[derive(Serialize)]
struct NavLink {
    url: String,
    title: String,
}

/// What the theme's templates receive.
#[derive(Serialize)]
pub(super) struct PageCtx<'a> {
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
    pub(super) base_url: Option<&'a str>,
    /// `<head>` additions from the book (stylesheets, scripts, favicon, head.hbs).
    extra_head: String,
    favicon: bool,
}

/// What the later steps need from a rendered page.
pub(super) struct Rendered {
    pub(super) anchors: Vec<String>,
    pub(super) links: Vec<LinkRef>,
    pub(super) externals: Vec<(String, Location)>,
    pub(super) print: String,
    pub(super) sections: Vec<Section>,
    pub(super) diags: Diagnostics,
}

impl<'a> Site<'a> {
    /// The template context of a page outside the chapter sequence (no
    /// neighbours, no edit link, no table of contents).
    pub(super) fn simple_page(
        &self,
        title: &'a str,
        path: &'a str,
        content: &'a str,
        kind: &'a str,
    ) -> PageCtx<'a> {
        let (book, opts) = (&self.book, self.opts);
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

    /// Renders every page of the plan in parallel; results in plan order.
    pub(super) fn render_pages(&self) -> anyhow::Result<Vec<Rendered>> {
        let rendered: Vec<anyhow::Result<Rendered>> = (0..self.plan.pages.len())
            .into_par_iter()
            .map(|i| self.render_page(i))
            .collect();
        rendered.into_iter().collect()
    }

    /// Renders page `i` of the plan and writes its HTML.
    fn render_page(&self, i: usize) -> anyhow::Result<Rendered> {
        let (env, opts, plan) = (self.env, self.opts, self.plan);
        let book = &self.book;
        let spec = &plan.pages[i];
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
                            includes::expand_links(t, &spec.md, env, &file, &mut p.diags, 0);
                        set_title = title;
                        p.markdown(&text, &origin);
                    }
                    None => {
                        let (text, origin, title) =
                            includes::expand_links(&raw, &spec.md, env, &file, &mut p.diags, 0);
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
                policies::policy_page(&mut p, bundle, rule, self.report, &self.rule_files[*r]);
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
        let title = spec.title.clone();
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
        let html = self
            .theme
            .tera
            .render("page.html", &tera::Context::from_serialize(&ctx)?)
            .map_err(|e| anyhow::anyhow!("rendering {}: {}", spec.out, tera_error(&e)))?;
        write_file(&self.out.join(&spec.out), html.as_bytes())?;
        Ok(Rendered::take(&mut p, true))
    }
}

impl Rendered {
    /// Takes what the later steps need out of a finished page builder; a page
    /// outside the chapters (`chapter` false) has no print text or search sections.
    pub(super) fn take(p: &mut PageBuilder, chapter: bool) -> Rendered {
        Rendered {
            anchors: std::mem::take(&mut p.anchors),
            links: std::mem::take(&mut p.links),
            externals: std::mem::take(&mut p.externals),
            print: if chapter {
                std::mem::take(&mut p.print)
            } else {
                String::new()
            },
            sections: if chapter {
                std::mem::take(&mut p.sections)
            } else {
                Vec::new()
            },
            diags: std::mem::take(&mut p.diags),
        }
    }
}

/// A tera error with its chain of causes (where the template went wrong).
pub(super) fn tera_error(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

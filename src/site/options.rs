//! The site's options: the `[output.html]` keys a page's frame depends on (site
//! URL, repository and edit links, search and print switches), the book's own
//! assets, `#fragment` redirects and the chapters' preprocessed text, plus the
//! book's title, description and language.

use std::collections::{BTreeMap, HashSet};

use super::plan::Plan;
use super::{book_theme, preprocess, redirects};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::Bundle;

/// Site options from `[output.html]`.
pub(super) struct Options<'a> {
    pub(super) site_url: Option<String>,
    pub(super) repo_url: Option<&'a str>,
    pub(super) edit_template: Option<&'a str>,
    pub(super) search: bool,
    pub(super) print: bool,
    /// Chapter Markdown as the book's external preprocessors returned it.
    pub(super) preprocessed: preprocess::Output,
    /// additional-css, additional-js and what maps of the book's mdBook `theme/`.
    pub(super) book_assets: book_theme::BookAssets,
    /// `#fragment` redirects of existing pages, by output path.
    pub(super) redirect_fragments: BTreeMap<String, BTreeMap<String, String>>,
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

    /// The options with the book's assets and the redirect plan, whose
    /// `#fragment` redirects of existing pages move into the options.
    pub(super) fn load(
        bundle: &'a Bundle,
        plan: &Plan,
        d: &mut Diagnostics,
    ) -> (Options<'a>, redirects::Plan) {
        let mut opts = Options::from(bundle);
        // The book's additional-css/-js and mdBook theme folder (book_theme.rs).
        opts.book_assets = book_theme::load(&bundle.config, &bundle.root, d);
        let page_outs: HashSet<String> = plan.pages.iter().map(|p| p.out.clone()).collect();
        let mut redirect_plan = redirects::plan(&bundle.config, &bundle.root, &page_outs, d);
        opts.redirect_fragments = std::mem::take(&mut redirect_plan.page_fragments);
        opts.warn_ignored_site_url(bundle, d);
        (opts, redirect_plan)
    }

    /// A `site-url` that is neither a full URL nor a path from the server's root
    /// is ignored, with a warning at its book.toml line.
    fn warn_ignored_site_url(&self, bundle: &Bundle, d: &mut Diagnostics) {
        if let Some(u) = bundle.config.html_option("site-url") {
            if self.site_url.is_none() {
                let text =
                    std::fs::read_to_string(bundle.root.join("book.toml")).unwrap_or_default();
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
    }
}

/// The book's title, description and language, as every page shows them.
pub(super) struct BookInfo<'a> {
    pub(super) title: &'a str,
    pub(super) description: &'a str,
    pub(super) lang: &'a str,
}

impl<'a> BookInfo<'a> {
    pub(super) fn of(bundle: &'a Bundle) -> BookInfo<'a> {
        BookInfo {
            title: bundle.config.title(),
            description: bundle.config.book.description.as_deref().unwrap_or(""),
            lang: &bundle.config.book.language,
        }
    }
}

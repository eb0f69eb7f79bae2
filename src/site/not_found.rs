//! `404.html`: the book's own `404.md` when it has one, a short built-in page
//! otherwise. Served at any depth, so its links resolve from the site URL when
//! one is set (`<base>`); its links are checked like a chapter's.

use super::context::Origin;
use super::page::PageBuilder;
use super::render::{tera_error, Rendered, Site};
use super::source_files::inside_source;
use crate::diagnostics::Location;
use crate::output::write_file;

const DEFAULT_404: &str = "# Page not found\n\nThere is no page at this address. Try the search, or go back to [the start](index.html).\n";

/// Renders and writes `404.html`.
pub(super) fn render(site: &Site) -> anyhow::Result<Rendered> {
    let (env, opts) = (site.env, site.opts);
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
    let mut ctx = site.simple_page("Page not found", "404.html", &p.html, "404");
    ctx.base_url = opts.site_url.as_deref();
    let html = site
        .theme
        .tera
        .render("page.html", &tera::Context::from_serialize(&ctx)?)
        .map_err(|e| anyhow::anyhow!("rendering 404.html: {}", tera_error(&e)))?;
    write_file(&site.out.join("404.html"), html.as_bytes())?;
    Ok(Rendered::take(&mut p, false))
}

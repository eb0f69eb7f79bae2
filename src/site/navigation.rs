//! Shared navigation: the sidebar as one nested list, written once for every page
//! (`assets/toc.js`, which the theme's script inserts, folded as
//! `[output.html.fold]` asks: `fold`; and `toc.html` for readers without scripts),
//! and `index.html`, the site's entry.

use super::fold;
use super::plan::{Nav, Plan};
use super::render::Site;
use super::util::escape;
use crate::output::write_file;

/// Writes `assets/toc.js` and `toc.html`.
pub(super) fn write_toc(site: &Site) -> anyhow::Result<()> {
    let out = site.out;
    let nav_html = nav_html(site.plan);
    write_file(
        &out.join("assets/toc.js"),
        format!(
            "window.pbToc = {};\n",
            serde_json::to_string(&fold::apply(&nav_html, fold::level(site.env.bundle)))?
                .replace("</", "<\\/")
        )
        .as_bytes(),
    )?;
    let toc_ctx = site.simple_page("Table of contents", "toc.html", &nav_html, "toc");
    write_file(
        &out.join("toc.html"),
        site.theme
            .tera
            .render("toc.html", &tera::Context::from_serialize(&toc_ctx)?)?
            .as_bytes(),
    )?;
    Ok(())
}

/// `index.html`: a copy of the first chapter, unless a chapter already is
/// index.html; a first chapter in a subfolder gets a page that redirects to it.
pub(super) fn write_index(site: &Site) -> anyhow::Result<()> {
    let (plan, out, book) = (site.plan, site.out, &site.book);
    if plan.pages.iter().any(|p| p.out == "index.html") {
        return Ok(());
    }
    if let Some(first) = plan.pages.first() {
        if !first.out.contains('/') {
            std::fs::copy(out.join(&first.out), out.join("index.html"))?;
        } else {
            let href = escape(&first.out);
            let html = format!("<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><meta http-equiv=\"refresh\" content=\"0; url={href}\"></head><body><p><a href=\"{href}\">{}</a></p></body></html>\n", escape(book.lang), escape(book.title), escape(&first.title));
            write_file(&out.join("index.html"), html.as_bytes())?;
        }
    }
    Ok(())
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

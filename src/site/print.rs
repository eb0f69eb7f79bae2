//! `print.html`: every chapter in order on one page, its links rewritten to
//! in-page anchors (by the page builder) or, for chapters that moved, to their
//! redirect pages. The theme's `print.html` is rendered around a marker and the
//! chapters are streamed in its place.

use std::io::Write as _;

use super::page;
use super::plan::PageSpec;
use super::redirects;
use super::render::{Rendered, Site};
use super::util::escape;

/// Writes the print page, taking each page's print text out of `pages`.
pub(super) fn write(
    site: &Site,
    redirects: &[redirects::Page],
    pages: &mut [Rendered],
) -> anyhow::Result<()> {
    let plan = site.plan;
    const MARK: &str = "\u{1}policybook-print-body\u{1}";
    let ctx = site.simple_page(site.book.title, "print.html", MARK, "print");
    let frame = site
        .theme
        .tera
        .render("print.html", &tera::Context::from_serialize(&ctx)?)?;
    let (head, tail) = frame
        .split_once(MARK)
        .ok_or_else(|| anyhow::anyhow!("print.html must output {{{{ content }}}}"))?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(site.out.join("print.html"))?);
    w.write_all(head.as_bytes())?;
    let moved = print_redirect_hrefs(redirects, &plan.pages);
    for (spec, p) in plan.pages.iter().zip(pages) {
        for (from, to) in &moved {
            if p.print.contains(from.as_str()) {
                p.print = p.print.replace(from.as_str(), to);
            }
        }
        writeln!(
            w,
            "<section class=\"print-chapter\" id=\"{}\">",
            escape(&page::print_id(&spec.out))
        )?;
        w.write_all(std::mem::take(&mut p.print).as_bytes())?;
        w.write_all(b"</section>\n")?;
    }
    w.write_all(tail.as_bytes())?;
    w.flush()?;
    Ok(())
}

/// Print-page hrefs to a chapter that moved (its old address is a redirect page,
/// not a section of the print page), each with the href that reaches the redirect
/// page from the site root, as mdBook writes them. A `#fragment` link is mapped
/// only when no page's print id could be mistaken for it.
fn print_redirect_hrefs(
    redirects: &[redirects::Page],
    pages: &[PageSpec],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in redirects {
        let pid = page::print_id(&r.path);
        let to = escape(&r.path);
        out.push((format!("href=\"#{pid}\""), format!("href=\"{to}\"")));
        let prefix = format!("{pid}-");
        if !pages
            .iter()
            .any(|p| page::print_id(&p.out).starts_with(&prefix))
        {
            out.push((format!("href=\"#{prefix}"), format!("href=\"{to}#")));
        }
    }
    out
}

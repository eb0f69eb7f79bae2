//! `print.html`: every chapter in order on one page, with its ids made unique and
//! its links made in-page as mdBook 0.5.4 does (`print_ids`; a link to a chapter
//! that moved reaches its redirect page). The theme's `print.html` is rendered
//! around a marker and the chapters are streamed in its place.

use std::io::Write as _;

use super::print_ids;
use super::render::{Rendered, Site};

/// Writes the print page, taking each page's print text out of `pages`.
pub(super) fn write(site: &Site, pages: &mut [Rendered]) -> anyhow::Result<()> {
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
    let chapters = plan
        .pages
        .iter()
        .zip(pages)
        .map(|(spec, p)| print_ids::Chapter {
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
    Ok(())
}

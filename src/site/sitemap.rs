//! `sitemap.xml`, written when the site's full URL is known (a sitemap needs
//! absolute URLs): the site's root and every page but `index.html`.

use super::plan::Plan;
use super::util::escape;
use crate::output::write_file;

/// Writes the sitemap when `site_url` is a full URL.
pub(super) fn write(
    plan: &Plan,
    site_url: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    if let Some(base) = site_url.filter(|u| u.contains("://")) {
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
    Ok(())
}

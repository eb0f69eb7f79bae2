//! Raw HTML in a chapter, as it goes into the print page: `id="…"` targets get the
//! page's id prefix (as heading ids do) and relative `src="…"` paths are made
//! relative to the site root, where the print page is.

use std::sync::OnceLock;

use regex::{Captures, Regex};

/// `html` for the print page; `pid` is the page's id prefix and `from_root`
/// rewrites a relative path written on the page to one from the site root.
pub fn for_print(html: &str, pid: &str, from_root: &dyn Fn(&str) -> String) -> String {
    if !html.contains("id=") && !html.contains("src=") {
        return html.to_string();
    }
    static ATTR: OnceLock<Regex> = OnceLock::new();
    let re = ATTR
        .get_or_init(|| Regex::new(r#"(^|[\s"'])(id|src)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap());
    re.replace_all(html, |c: &Captures| {
        let (lead, name) = (&c[1], &c[2]);
        let (value, q) = match (c.get(3), c.get(4)) {
            (Some(v), _) => (v.as_str(), '"'),
            (_, Some(v)) => (v.as_str(), '\''),
            _ => return c[0].to_string(),
        };
        let new = if name == "id" {
            format!("{pid}-{value}")
        } else if value.is_empty()
            || value.starts_with('/')
            || value.starts_with('#')
            || value.contains(':')
        {
            value.to_string()
        } else {
            from_root(value)
        };
        format!("{lead}{name}={q}{new}{q}")
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_prefixed_and_sources_from_the_root() {
        let root = |v: &str| format!("sub/{v}");
        assert_eq!(
            for_print("<a id=\"x\"></a><img src='img/a.png' data-id=\"k\"><img src=\"https://e/x.png\">", "sub-page", &root),
            "<a id=\"sub-page-x\"></a><img src='sub/img/a.png' data-id=\"k\"><img src=\"https://e/x.png\">"
        );
    }
}

//! `[output.html]` keys of the wrong type: `Config` keeps the table untyped, so
//! this second read warns at the place of a value the site will ignore.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::text::line_col;

/// The `[output.html]` keys mdBook defines, with their types. `Config::output`
/// keeps the table untyped (the site reads a few keys, the rest are mdBook's), so
/// this second pass is what turns `site-url = 42` into an error at its place,
/// like a wrong type anywhere else in book.toml. Unknown keys stay accepted.
#[allow(dead_code)] // fields exist for their types only
#[derive(Deserialize)]
struct HtmlTypesRoot {
    #[serde(default)]
    output: Option<HtmlTypesOutput>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct HtmlTypesOutput {
    #[serde(default)]
    html: Option<HtmlTypes>,
}

#[allow(dead_code)] // fields exist for their types only
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct HtmlTypes {
    site_url: Option<String>,
    git_repository_url: Option<String>,
    git_repository_icon: Option<String>,
    edit_url_template: Option<String>,
    theme: Option<String>,
    default_theme: Option<String>,
    preferred_dark_theme: Option<String>,
    cname: Option<String>,
    input_404: Option<String>,
    live_reload_endpoint: Option<String>,
    smart_punctuation: Option<bool>,
    curly_quotes: Option<bool>,
    mathjax_support: Option<bool>,
    copy_fonts: Option<bool>,
    no_section_label: Option<bool>,
    hash_files: Option<bool>,
    additional_css: Option<Vec<String>>,
    additional_js: Option<Vec<String>>,
    search: Option<HtmlEnable>,
    print: Option<HtmlEnable>,
    fold: Option<HtmlFold>,
    playground: Option<toml::Table>,
    code: Option<toml::Table>,
    redirect: Option<BTreeMap<String, String>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct HtmlEnable {
    enable: Option<bool>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct HtmlFold {
    enable: Option<bool>,
    level: Option<u64>,
}

/// A warning at the place of the first `[output.html]` key of the wrong type: the
/// site ignores such a value (as if the key were absent), so the build goes on,
/// but the author learns why their setting has no effect.
pub fn html_type_warnings(text: &str) -> crate::diagnostics::Diagnostics {
    let mut d = crate::diagnostics::Diagnostics::default();
    if let Err(e) = toml::from_str::<HtmlTypesRoot>(text) {
        let start = e.span().map(|s| s.start).unwrap_or(0);
        let key = key_before(text, start);
        d.warning(
            crate::diagnostics::Location::new("book.toml", line_col(text, start)),
            format!(
                "[output.html] key `{key}` has the wrong type ({}); it is ignored",
                e.message()
            ),
            "give the value the type mdBook documents for this key, or remove it",
        );
    }
    d
}

/// The key of the `key = value` whose value starts at `offset`.
fn key_before(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.rsplit('\n').next().unwrap_or("");
    let line = line.trim_end().trim_end_matches('=').trim_end();
    let key: String = line
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '"'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    key.trim_matches('"').to_string()
}

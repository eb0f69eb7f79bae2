//! The whole of book.toml as `Config`, mdBook's `[book]` table, and where the
//! site and the bundle go (`[build] build-dir`, `[policybook] output`, `[output.html]`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::policybook::PolicybookConfig;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub book: BookConfig,
    /// Present in policybook projects; absent in plain mdBook books.
    pub policybook: Option<PolicybookConfig>,
    /// mdBook's `[output.*]` tables; the site reads `output.html` keys it knows
    /// (`site-url`, `git-repository-url`, `edit-url-template`, …) and ignores the rest.
    #[serde(default)]
    pub output: BTreeMap<String, toml::Value>,
    /// mdBook's `[build]`, `[rust]` and `[preprocessor.*]` tables (the site reads
    /// `[rust] edition`, `use-default-preprocessors` and runs the preprocessors).
    #[serde(default)]
    pub build: Option<toml::Value>,
    #[serde(default)]
    pub rust: Option<toml::Value>,
    #[serde(default)]
    pub preprocessor: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BookConfig {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "default_language")]
    pub language: String,
    /// Markdown source folder, relative to the root (mdBook default `src`).
    #[serde(default = "default_src")]
    pub src: String,
    #[serde(default)]
    pub multilingual: Option<bool>,
    #[serde(default)]
    pub text_direction: Option<String>,
}

impl Default for BookConfig {
    fn default() -> Self {
        BookConfig {
            title: None,
            authors: vec![],
            description: None,
            language: default_language(),
            src: default_src(),
            multilingual: None,
            text_direction: None,
        }
    }
}

fn default_language() -> String {
    "en".into()
}
fn default_src() -> String {
    "src".into()
}

impl Config {
    pub fn title(&self) -> &str {
        self.book.title.as_deref().unwrap_or("Untitled book")
    }

    /// Bundle output root relative to the project root (`dist` unless configured).
    pub fn output_dir(&self) -> &str {
        self.policybook
            .as_ref()
            .map(|p| p.output.as_str())
            .unwrap_or("dist")
    }

    /// Where the site is written, relative to the root: `<output>/site` in a
    /// policybook project; mdBook's `[build] build-dir` (default `book`) in a plain book.
    pub fn site_dir(&self) -> String {
        match &self.policybook {
            Some(p) => format!("{}/site", p.output),
            None => self
                .build
                .as_ref()
                .and_then(|b| b.get("build-dir"))
                .and_then(|v| v.as_str())
                .unwrap_or("book")
                .to_string(),
        }
    }

    /// A string key of `[output.html]`, e.g. `site-url`.
    pub fn html_option(&self, key: &str) -> Option<&str> {
        self.output.get("html")?.get(key)?.as_str()
    }
}

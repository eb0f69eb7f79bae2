//! `book.toml`: mdBook's `[book]` keys plus policybook's `[policybook]` table.
//! A plain mdBook book (no `[policybook]`) is valid: it builds as a site only.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

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
    /// mdBook's `[build]`, `[rust]` and `[preprocessor.*]` tables: accepted, not used.
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicybookConfig {
    /// Folder of rule YAML files and samples.
    #[serde(default = "default_policies")]
    pub policies: String,
    /// Output root for the bundle and the site.
    #[serde(default = "default_output")]
    pub output: String,
    /// Alias catalog (provider shape); point it at a full `az provider show` dump if you like.
    #[serde(default = "default_aliases")]
    pub aliases: String,
    /// Site theme folder name under `themes/`.
    #[serde(default = "default_theme")]
    pub theme: String,
    pub initiative: InitiativeConfig,
    #[serde(default)]
    pub deployment: DeploymentConfig,
    /// Area key → title and description (initiative groups, handbook sections).
    #[serde(default)]
    pub areas: BTreeMap<String, AreaConfig>,
    /// Time limit of one Rego evaluation (`"5s"`, `"500ms"`); see `gatekeeper::limits`.
    #[serde(default)]
    pub rego_timeout: Option<RegoTimeout>,
}

/// `[policybook] rego-timeout`: a whole number of seconds (`"5s"`) or milliseconds
/// (`"500ms"`), from 1 ms to 1 hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegoTimeout(pub std::time::Duration);

impl<'de> Deserialize<'de> for RegoTimeout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bad = |what: &str| {
            serde::de::Error::custom(format!(
                "invalid rego-timeout {what}: expected a duration string like \"5s\" or \"500ms\" (1ms to 3600s)"
            ))
        };
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            other => return Err(bad(&format!("`{other}`"))),
        };
        let t = text.trim();
        let (digits, unit_ms) = if let Some(n) = t.strip_suffix("ms") {
            (n, 1u64)
        } else if let Some(n) = t.strip_suffix('s') {
            (n, 1000u64)
        } else {
            return Err(bad(&format!("\"{text}\"")));
        };
        let ms = digits
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_ms))
            .filter(|ms| (1..=3_600_000).contains(ms))
            .ok_or_else(|| bad(&format!("\"{text}\"")))?;
        Ok(RegoTimeout(std::time::Duration::from_millis(ms)))
    }
}

fn default_policies() -> String {
    "policies".into()
}
fn default_output() -> String {
    "dist".into()
}
fn default_aliases() -> String {
    "policies/aliases.json".into()
}
fn default_theme() -> String {
    "default".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InitiativeConfig {
    /// Policy set name (resource name).
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    /// `metadata.category` of the set and of every definition.
    pub category: String,
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_version() -> String {
    "1.0.0".into()
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum DeploymentScope {
    #[default]
    ManagementGroup,
    Subscription,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeploymentConfig {
    /// Scope of the ARM template and of the ids in initiative.json.
    #[serde(default)]
    pub scope: DeploymentScope,
    /// Management group the definitions live in (ids in initiative.json, deploy.sh default).
    #[serde(default)]
    pub management_group: Option<String>,
    /// Subscription the definitions live in, for `scope = "subscription"`.
    #[serde(default)]
    pub subscription: Option<String>,
    /// Name of the optional policy assignment in the ARM template.
    #[serde(default)]
    pub assignment_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AreaConfig {
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// A config problem with its place in book.toml.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Config {
    /// Parses book.toml text; errors carry a 1-based line and column.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let text = crate::text::strip_bom(text);
        let config = toml::from_str::<Config>(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError {
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        check_html_types(text)?;
        Ok(config)
    }

    pub fn load(root: &Path) -> anyhow::Result<Result<Config, ConfigError>> {
        let path = root.join("book.toml");
        let text = crate::text::read_text(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Ok(Config::parse(&text))
    }

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

/// 1-based (line, column) of a byte offset, counting columns in characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

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
    fold: Option<toml::Table>,
    playground: Option<toml::Table>,
    code: Option<toml::Table>,
    redirect: Option<BTreeMap<String, String>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct HtmlEnable {
    enable: Option<bool>,
}

fn check_html_types(text: &str) -> Result<(), ConfigError> {
    toml::from_str::<HtmlTypesRoot>(text).map(|_| ()).map_err(|e| {
        let start = e.span().map(|s| s.start).unwrap_or(0);
        let (line, column) = line_col(text, start);
        let key = key_before(text, start);
        ConfigError {
            line,
            column,
            message: format!(
                "wrong type for [output.html] key `{key}`: {}",
                e.message()
            ),
        }
    })
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

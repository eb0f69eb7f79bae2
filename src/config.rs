//! `book.toml`: mdBook's `[book]` keys plus policybook's `[policybook]` table.
//! A plain mdBook book (no `[policybook]`) is valid: it builds as a site only.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::text::line_col;

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
    /// Default rollout stage of every control: `audit` (when absent), `warn` or
    /// `enforce`; checked and resolved by `source::rollout` into `model::Rollout`.
    #[serde(default)]
    pub rollout: Option<String>,
    /// `[policybook.environments.<name>]`: where and how hard each environment enforces.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentConfig>,
}

/// One `[policybook.environments.<name>]` table as written (checked in `source::rollout`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EnvironmentConfig {
    /// Management group or subscription resource id of the assignment.
    pub scope: String,
    #[serde(default)]
    pub not_scopes: Vec<String>,
    /// The environment's default stage.
    #[serde(default)]
    pub rollout: Option<String>,
    /// Control id → stage.
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
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

// ------------------------------------------------------------ output folder

/// The folder keys of book.toml with their places, read only for messages
/// (unknown keys are ignored here; `Config` itself is strict).
#[derive(Deserialize, Default)]
struct FolderKeys {
    #[serde(default)]
    book: Option<BookFolderKeys>,
    #[serde(default)]
    policybook: Option<toml::Spanned<PolicybookFolderKeys>>,
    #[serde(default)]
    build: Option<BuildFolderKeys>,
}

#[derive(Deserialize)]
struct BookFolderKeys {
    src: Option<toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct PolicybookFolderKeys {
    theme: Option<toml::Spanned<toml::Value>>,
    output: Option<toml::Spanned<toml::Value>>,
    policies: Option<toml::Spanned<toml::Value>>,
    aliases: Option<toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BuildFolderKeys {
    build_dir: Option<toml::Spanned<toml::Value>>,
}

impl Config {
    /// Checks the folder a build replaces (`[policybook] output`, or `[build] build-dir`
    /// of a plain mdBook book): a relative path inside the project, not the project
    /// itself, not `..`, and neither holding nor inside a source (the book's source
    /// folder, policies, the alias catalog, themes, `.git`, book.toml), also after
    /// following symbolic links. `text` is book.toml's text, for the places of the keys.
    pub fn check_output(&self, text: Option<&str>, root: &Path) -> crate::diagnostics::Diagnostics {
        use crate::diagnostics::{Diagnostics, Location};
        let keys: FolderKeys = text
            .and_then(|t| toml::from_str(t).ok())
            .unwrap_or_default();
        let at = |span: Option<std::ops::Range<usize>>| {
            let pos = match (text, span) {
                (Some(t), Some(s)) => line_col(t, s.start),
                _ => (1, 1),
            };
            Location::new("book.toml", pos)
        };
        let pb_keys = keys.policybook.as_ref().map(|p| p.get_ref());
        let (key, value, key_span, table_span) = match &self.policybook {
            Some(p) => (
                "[policybook] output",
                p.output.clone(),
                pb_keys.and_then(|k| k.output.as_ref()).map(|s| s.span()),
                keys.policybook.as_ref().map(|p| p.span()),
            ),
            None => (
                "[build] build-dir",
                self.site_dir(),
                keys.build
                    .as_ref()
                    .and_then(|b| b.build_dir.as_ref())
                    .map(|s| s.span()),
                None,
            ),
        };
        let mut d = Diagnostics::default();
        let help = "set it to a folder of its own inside the project, e.g. `dist` (a build replaces that whole folder)";
        let out = match lexical_folder(&value) {
            Ok(parts) => parts,
            Err(why) => {
                d.error(
                    at(key_span.clone().or(table_span.clone())),
                    format!("{key} = {value:?} {why}"),
                    help,
                );
                return d;
            }
        };

        // The sources a build must never replace, with the key that names each.
        let mut sources: Vec<(String, String, Option<std::ops::Range<usize>>)> = vec![(
            format!("the book's source folder `{}` ([book] src)", self.book.src),
            self.book.src.clone(),
            keys.book
                .as_ref()
                .and_then(|b| b.src.as_ref())
                .map(|s| s.span()),
        )];
        if let Some(p) = &self.policybook {
            sources.push((
                format!(
                    "the policies folder `{}` ([policybook] policies)",
                    p.policies
                ),
                p.policies.clone(),
                pb_keys.and_then(|k| k.policies.as_ref()).map(|s| s.span()),
            ));
            sources.push((
                format!("the alias catalog `{}` ([policybook] aliases)", p.aliases),
                p.aliases.clone(),
                pb_keys.and_then(|k| k.aliases.as_ref()).map(|s| s.span()),
            ));
        }
        for (what, fixed) in [
            ("the themes folder `themes`", "themes"),
            ("the git repository `.git`", ".git"),
            ("the project file `book.toml`", "book.toml"),
        ] {
            sources.push((what.into(), fixed.into(), None));
        }
        // With the output key absent (default), point at the source key that clashes.
        let place = |src_span: &Option<std::ops::Range<usize>>| {
            at(key_span.clone().or(src_span.clone()).or(table_span.clone()))
        };

        for (what, path, span) in &sources {
            // A book whose source folder is the project root (`src = "."`) keeps its
            // output there; the other sources still apply.
            let Some(src) = lexical_inside(path).filter(|s| !s.is_empty()) else {
                continue;
            };
            if let Some(rel) = overlap(&out, &src) {
                d.error(place(span), format!("{key} = {value:?} {rel} {what}"), help);
                return d;
            }
        }

        // The same rules once symbolic links are followed: `dist -> ..` or `out -> /tmp`.
        let Ok(real_root) = root.canonicalize() else {
            return d;
        };
        let target = root.join(&value);
        if let Ok(meta) = std::fs::symlink_metadata(&target) {
            if !meta.is_dir() && !meta.file_type().is_symlink() {
                d.error(
                    at(key_span.clone().or(table_span.clone())),
                    format!("{key} = {value:?} names a file, not a folder"),
                    help,
                );
                return d;
            }
        }
        let real_out = resolve(&target);
        if real_out == real_root || !real_out.starts_with(&real_root) {
            let whose = if real_out == real_root {
                "the project folder itself".to_string()
            } else {
                format!(
                    "{}, outside the project {}",
                    real_out.display(),
                    real_root.display()
                )
            };
            d.error(
                at(key_span.clone().or(table_span.clone())),
                format!("{key} = {value:?} leads through a symbolic link to {whose}"),
                help,
            );
            return d;
        }
        for (what, path, span) in &sources {
            let src = root.join(path);
            if std::fs::symlink_metadata(&src).is_err() {
                continue;
            }
            let real_src = resolve(&src);
            if real_src == real_root {
                continue;
            }
            let rel = if real_src.starts_with(&real_out) {
                "holds"
            } else if real_out.starts_with(&real_src) {
                "is inside"
            } else {
                continue;
            };
            d.error(
                place(span),
                format!("{key} = {value:?} {rel} {what} (after following symbolic links)"),
                help,
            );
            return d;
        }
        d
    }
}

impl Config {
    /// Checks `[policybook] theme`: one folder name under `themes/` (its assets are
    /// published), which stays inside the project once symbolic links are followed.
    pub fn check_theme(&self, text: &str, root: &Path) -> crate::diagnostics::Diagnostics {
        use crate::diagnostics::{Diagnostics, Location};
        let mut d = Diagnostics::default();
        let Some(p) = &self.policybook else {
            return d;
        };
        let name = p.theme.as_str();
        let keys: FolderKeys = toml::from_str(text).unwrap_or_default();
        let pos = keys
            .policybook
            .as_ref()
            .and_then(|k| k.get_ref().theme.as_ref())
            .map(|s| line_col(text, s.span().start))
            .unwrap_or((1, 1));
        let why = if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
            "is not a folder name"
        } else {
            let real = resolve(&root.join("themes").join(name));
            match root.canonicalize() {
                Ok(r) if !real.starts_with(&r) => {
                    "leads through a symbolic link out of the project"
                }
                _ => return d,
            }
        };
        d.error(
            Location::new("book.toml", pos),
            format!("[policybook] theme = {name:?} {why}"),
            "name a folder under themes/, e.g. `theme = \"default\"`",
        );
        d
    }
}

impl Config {
    /// Checks the source paths (`[book] src`, `[policybook] policies` and `aliases`):
    /// each is relative and stays inside the project, also once symbolic links are
    /// followed, so a build never reads rules, samples or chapters from elsewhere.
    pub fn check_sources(&self, text: &str, root: &Path) -> crate::diagnostics::Diagnostics {
        use crate::diagnostics::{Diagnostics, Location};
        let mut d = Diagnostics::default();
        let keys: FolderKeys = toml::from_str(text).unwrap_or_default();
        let pb_keys = keys.policybook.as_ref().map(|p| p.get_ref());
        let span_of = |v: Option<&toml::Spanned<toml::Value>>| v.map(|s| s.span());
        let mut paths = vec![(
            "[book] src",
            self.book.src.clone(),
            span_of(keys.book.as_ref().and_then(|b| b.src.as_ref())),
        )];
        if let Some(p) = &self.policybook {
            paths.push((
                "[policybook] policies",
                p.policies.clone(),
                span_of(pb_keys.and_then(|k| k.policies.as_ref())),
            ));
            paths.push((
                "[policybook] aliases",
                p.aliases.clone(),
                span_of(pb_keys.and_then(|k| k.aliases.as_ref())),
            ));
        }
        let real_root = root.canonicalize().ok();
        for (key, value, span) in paths {
            let pos = span.map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            let b = value.as_bytes();
            let why = if value.contains('\\') {
                Some("contains `\\`: separate folders with `/`".to_string())
            } else if Path::new(&value).is_absolute()
                || value.starts_with('/')
                || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
            {
                Some("is an absolute path".to_string())
            } else if lexical_inside(&value).is_none() {
                Some("leads out of the project with `..`".to_string())
            } else {
                match &real_root {
                    Some(r) if !resolve(&root.join(&value)).starts_with(r) => {
                        Some("leads through a symbolic link out of the project".to_string())
                    }
                    _ => None,
                }
            };
            if let Some(why) = why {
                d.error(
                    Location::new("book.toml", pos),
                    format!("{key} = {value:?} {why}"),
                    "sources must be inside the project folder (the one holding book.toml); copy or move them in",
                );
            }
        }
        d
    }
}

/// The normal components of a relative folder path, or why it is not one.
fn lexical_folder(value: &str) -> Result<Vec<String>, &'static str> {
    use std::path::Component;
    let b = value.as_bytes();
    if value.contains('\\') {
        return Err("contains `\\`: separate folders with `/`");
    }
    if value.starts_with('/')
        || Path::new(value).is_absolute()
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
    {
        return Err("is an absolute path: the output folder must be inside the project");
    }
    let mut parts = Vec::new();
    for c in Path::new(value).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err("uses `..`: the output folder must be inside the project")
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("is an absolute path: the output folder must be inside the project")
            }
        }
    }
    if parts.is_empty() {
        return Err(
            "is the project folder itself: a build would replace book.toml and every source",
        );
    }
    Ok(parts)
}

/// The normal components of a source path, resolving `..` lexically; None when it
/// leaves the project (the symbolic-link pass still compares the real paths).
fn lexical_inside(value: &str) -> Option<Vec<String>> {
    use std::path::Component;
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(value).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

/// How the output relates to a source, when they overlap. Names compare without
/// ASCII case, as on case-insensitive file systems.
fn overlap(out: &[String], src: &[String]) -> Option<&'static str> {
    let n = out.len().min(src.len());
    if !out[..n]
        .iter()
        .zip(&src[..n])
        .all(|(a, b)| a.eq_ignore_ascii_case(b))
    {
        return None;
    }
    Some(if out.len() <= src.len() {
        if out.len() == src.len() {
            "is"
        } else {
            "holds"
        }
    } else {
        "is inside"
    })
}

/// `p` with symbolic links followed as far as it exists; the missing rest is appended.
fn resolve(p: &Path) -> std::path::PathBuf {
    let mut missing = Vec::new();
    let mut cur = p.to_path_buf();
    loop {
        if let Ok(real) = cur.canonicalize() {
            let mut real = real;
            for m in missing.iter().rev() {
                real.push(m);
            }
            return real;
        }
        match (cur.file_name().map(|n| n.to_os_string()), cur.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                cur = parent.to_path_buf();
            }
            _ => return p.to_path_buf(),
        }
    }
}

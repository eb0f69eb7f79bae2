//! The `[policybook]` table: folders, the initiative, deployment scope, areas,
//! the Rego time limit and the default rollout stage.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::environments::EnvironmentConfig;

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

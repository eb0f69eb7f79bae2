//! The rule file format as serde reads it: one struct per section, unknown
//! keys refused (they are reported with a suggestion by `keys` first).

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) title: String,
    pub(super) area: String,
    pub(super) severity: String,
    #[serde(default = "default_version")]
    pub(super) version: String,
    pub(super) summary: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) rationale: String,
    #[serde(default)]
    pub(super) remediation: String,
    #[serde(default)]
    pub(super) checklist: String,
    #[serde(default)]
    pub(super) builtin: Option<String>,
    #[serde(default)]
    pub(super) azure: Option<RawAzure>,
    #[serde(default)]
    pub(super) kubernetes: Option<RawKubernetes>,
    /// The rule's own stage: audit | warn | enforce.
    #[serde(default)]
    pub(super) rollout: Option<String>,
    #[serde(default)]
    pub(super) tests: Vec<RawTest>,
}

fn default_version() -> String {
    "1.0.0".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAzure {
    #[serde(default = "default_mode")]
    pub(super) mode: String,
    pub(super) effects: Vec<String>,
    /// The default effect; the first of `effects` when omitted.
    #[serde(default)]
    pub(super) effect: Option<String>,
    #[serde(default)]
    pub(super) parameters: Map<String, Value>,
    #[serde(rename = "if")]
    pub(super) condition: Value,
}

fn default_mode() -> String {
    "Indexed".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKubernetes {
    pub(super) kind: String,
    #[serde(rename = "match", default)]
    pub(super) match_: Option<Value>,
    /// No longer read: the rollout stage sets it. Kept to say what to write instead.
    #[serde(rename = "enforcementAction", default)]
    pub(super) enforcement_action: Option<serde_yaml::Value>,
    #[serde(default)]
    pub(super) parameters: Map<String, Value>,
    pub(super) rego: String,
    #[serde(default)]
    pub(super) libs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTest {
    pub(super) name: String,
    #[serde(default)]
    pub(super) resource: Option<String>,
    #[serde(default)]
    pub(super) object: Option<Value>,
    #[serde(default)]
    pub(super) inventory: Vec<Value>,
    #[serde(default)]
    pub(super) parameters: Map<String, Value>,
    pub(super) expect: RawExpect,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawExpect {
    Effect(String),
    Violations(RawViolations),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawViolations {
    pub(super) violations: Value,
    #[serde(default)]
    pub(super) message: Option<String>,
}

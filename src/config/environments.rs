//! One `[policybook.environments.<name>]` table as written: where the
//! assignment goes and how hard it enforces (checked in `source::rollout`).

use std::collections::BTreeMap;

use serde::Deserialize;

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

//! `policybook check`: evaluate real resources against the bundle.

use std::path::PathBuf;

use crate::model::Bundle;

#[derive(Debug, Default, serde::Serialize)]
pub struct Finding {
    /// Which input object (file and index / name).
    pub resource: String,
    pub control_id: String,
    pub title: String,
    /// Azure effect, or the constraint's enforcementAction for Kubernetes objects.
    pub effect: String,
    pub messages: Vec<String>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct CheckResult {
    /// Every resource checked, in input order, with its findings.
    pub resources: Vec<ResourceResult>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct ResourceResult {
    pub resource: String,
    pub kind: String,
    pub findings: Vec<Finding>,
}

impl CheckResult {
    pub fn human(&self) -> String {
        String::new()
    }
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serialisable")
    }
    pub fn fails(&self, strict: bool) -> bool {
        self.resources.iter().flat_map(|r| &r.findings).any(|f| strict || f.effect.eq_ignore_ascii_case("deny"))
    }
}

pub fn check_files(_bundle: &Bundle, _files: &[PathBuf]) -> anyhow::Result<CheckResult> {
    Ok(CheckResult::default())
}

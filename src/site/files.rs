//! The bundle's generated files that the site also serves (`files/…`): the
//! output stages' artifacts that belong to one rule, as `build` handed them over,
//! never recomputed here nor read back from dist/.

use crate::artifacts::{Artifacts, RuleFile};
use crate::model::Bundle;

pub(super) struct GeneratedFile<'a> {
    /// Path in the site, e.g. `files/azure/definitions/<name>.json`.
    pub site_path: String,
    /// Path in the bundle, e.g. `dist/azure/definitions/<name>.json`.
    pub dist_path: String,
    pub label: &'static str,
    pub bytes: &'a [u8],
}

/// The generated files of every rule, indexed like `bundle.rules`, in the order
/// the stages made them: its Azure definitions (ARM rules, and
/// `Microsoft.Kubernetes.Data` ones for Kubernetes rules the Azure Policy add-on
/// accepts), its ConstraintTemplate and its Constraint.
pub(super) fn by_rule<'a>(
    bundle: &Bundle,
    artifacts: &'a Artifacts,
) -> Vec<Vec<GeneratedFile<'a>>> {
    let out = bundle.config.output_dir();
    let mut v: Vec<Vec<GeneratedFile>> = bundle.rules.iter().map(|_| Vec::new()).collect();
    let index: std::collections::HashMap<&str, usize> = bundle
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    for a in artifacts.iter() {
        let Some((rule, what)) = &a.rule else {
            continue;
        };
        let Some(&i) = index.get(rule.as_str()) else {
            continue;
        };
        v[i].push(GeneratedFile {
            site_path: format!("files/{}", a.path),
            dist_path: format!("{out}/{}", a.path),
            label: label(*what),
            bytes: &a.bytes,
        });
    }
    v
}

fn label(what: RuleFile) -> &'static str {
    match what {
        RuleFile::AzureDefinition => "Azure Policy definition",
        RuleFile::KubernetesDataDefinition => {
            "Azure Policy definition for the AKS add-on (Microsoft.Kubernetes.Data)"
        }
        RuleFile::ConstraintTemplate => "Gatekeeper ConstraintTemplate",
        RuleFile::Constraint => "Gatekeeper Constraint",
    }
}

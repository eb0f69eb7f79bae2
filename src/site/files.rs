//! The bundle's generated files that the site also serves (`files/…`), computed
//! from the model with the Azure and Gatekeeper stages' pure functions, never
//! read back from dist/.

use crate::model::{Bundle, Rule};

pub struct GeneratedFile {
    /// Path in the site, e.g. `files/azure/definitions/<name>.json`.
    pub site_path: String,
    /// Path in the bundle, e.g. `dist/azure/definitions/<name>.json`.
    pub dist_path: String,
    pub label: String,
    pub bytes: Vec<u8>,
}

/// The generated files of every rule, indexed like `bundle.rules`: its Azure
/// definitions (ARM rules, and `Microsoft.Kubernetes.Data` ones for Kubernetes rules
/// the Azure Policy add-on accepts), its ConstraintTemplate and its Constraint.
pub fn all(bundle: &Bundle) -> Vec<Vec<GeneratedFile>> {
    let out = bundle.config.output_dir();
    let mut v: Vec<Vec<GeneratedFile>> = bundle.rules.iter().map(|_| Vec::new()).collect();
    let index: std::collections::HashMap<&str, usize> = bundle
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    for d in crate::azure::all_definitions(bundle) {
        let rel = format!("azure/definitions/{}.json", d.file);
        let label = if d.json.pointer("/properties/mode").and_then(|m| m.as_str())
            == Some("Microsoft.Kubernetes.Data")
        {
            "Azure Policy definition for the AKS add-on (Microsoft.Kubernetes.Data)"
        } else {
            "Azure Policy definition"
        };
        v[index[d.rule.id.as_str()]].push(GeneratedFile {
            site_path: format!("files/{rel}"),
            dist_path: format!("{out}/{rel}"),
            label: label.into(),
            bytes: crate::output::json_bytes(&d.json),
        });
    }
    for (i, rule) in bundle.rules.iter().enumerate() {
        v[i].extend(kubernetes_files(out, rule));
    }
    v
}

fn kubernetes_files(out: &str, rule: &Rule) -> Vec<GeneratedFile> {
    let mut v = Vec::new();
    if rule.kubernetes.is_some() {
        let rel = format!(
            "gatekeeper/templates/{}.yaml",
            crate::gatekeeper::template_name(rule)
        );
        v.push(GeneratedFile {
            site_path: format!("files/{rel}"),
            dist_path: format!("{out}/{rel}"),
            label: "Gatekeeper ConstraintTemplate".into(),
            bytes: crate::gatekeeper::template_yaml(rule).into_bytes(),
        });
        let rel = format!("gatekeeper/constraints/{}.yaml", rule.name);
        v.push(GeneratedFile {
            site_path: format!("files/{rel}"),
            dist_path: format!("{out}/{rel}"),
            label: "Gatekeeper Constraint".into(),
            bytes: crate::gatekeeper::constraint_yaml(rule).into_bytes(),
        });
    }
    v
}

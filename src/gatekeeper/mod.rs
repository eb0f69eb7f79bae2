//! Gatekeeper outputs — ConstraintTemplates, Constraints, the kustomization and
//! gator suites — plus the `Microsoft.Kubernetes.Data` Azure definitions built
//! from the same template, the validation the build runs first, the Rego
//! evaluation shared by `policybook test`, `check` and `verify`.
//!
//! Every output is a pure function of the model with a stable key order.
//! This file declares the modules and collects the outputs as artifacts; what they are built
//! from lives in `template` (ConstraintTemplates and Constraints), `suites`,
//! `overlays` and `azure_definition` (the Kubernetes-mode Azure definitions);
//! `check`'s evaluation of objects lives in `check_objects`.

mod azure_definition;
mod check_objects;
pub mod eval;
pub mod inventory;
pub mod limits;
pub mod matcher;
mod overlays;
mod recursion;
pub mod request;
pub mod review;
pub mod schema;
mod suites;
mod template;
mod validate;
pub mod verify;
pub mod yaml;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::artifacts::{Artifacts, RuleFile};
use crate::model::{Bundle, Rule};

pub use azure_definition::{
    default_effect, gatekeeper_only_note, kubernetes_definition, kubernetes_definition_json,
    match_groups_kinds, notes,
};
pub use check_objects::{check_objects, K8sFinding, ObjectFindings};
pub use template::{
    case_parameters, constraint_value, constraint_value_with, constraint_yaml, inventory_kinds,
    parameters_schema, template_name, template_value, template_yaml, SYSTEM_NAMESPACES, TARGET,
};
pub use validate::{rego_location, validate};

/// The files of `gatekeeper/`: `templates/`, `constraints/` (each rule's marked
/// as its own), `kustomization.yaml`, `overlays/<environment>/` and `suites/`.
pub fn artifacts(bundle: &Bundle) -> Artifacts {
    let mut out = Artifacts::default();
    let rules: Vec<&Rule> = bundle
        .rules
        .iter()
        .filter(|r| r.kubernetes.is_some())
        .collect();
    if rules.is_empty() {
        return out;
    }
    let mut templates = BTreeMap::new();
    let mut constraints = BTreeMap::new();
    for r in &rules {
        let t = format!("templates/{}.yaml", template_name(r));
        out.add(format!("gatekeeper/{t}"), template_yaml(r))
            .for_rule(&r.id, RuleFile::ConstraintTemplate);
        templates.insert(t, ());
        let c = format!("constraints/{}.yaml", r.name);
        out.add(format!("gatekeeper/{c}"), constraint_yaml(r))
            .for_rule(&r.id, RuleFile::Constraint);
        constraints.insert(c, ());
    }
    let resources: Vec<Value> = templates
        .keys()
        .chain(constraints.keys())
        .map(|s| json!(s))
        .collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    out.add(
        "gatekeeper/kustomization.yaml",
        yaml::to_yaml(&kustomization),
    );
    if !bundle.rollout.environments.is_empty() {
        // Kustomize refuses a base folder that holds the overlay (dist/gatekeeper holds
        // overlays/), so the overlays build on templates/ and constraints/ instead.
        for (dir, files) in [("templates", &templates), ("constraints", &constraints)] {
            let resources: Vec<Value> = files
                .keys()
                .map(|f| json!(f.strip_prefix(&format!("{dir}/")).unwrap_or(f)))
                .collect();
            let k = json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": resources,
            });
            out.add(
                format!("gatekeeper/{dir}/kustomization.yaml"),
                yaml::to_yaml(&k),
            );
        }
    }
    let mut sorted = rules.clone();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for env in &bundle.rollout.environments {
        out.add(
            format!("gatekeeper/overlays/{}/kustomization.yaml", env.name),
            yaml::to_yaml(&overlays::overlay(bundle, env, &sorted)),
        );
    }
    for r in &rules {
        for (path, text) in suites::suite_files(r) {
            out.add(format!("gatekeeper/suites/{path}"), text);
        }
    }
    out
}

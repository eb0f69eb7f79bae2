//! Gatekeeper outputs — ConstraintTemplates, Constraints, the kustomization and
//! gator suites — plus the `Microsoft.Kubernetes.Data` Azure definitions built
//! from the same template, the validation the build runs first, the Rego
//! evaluation shared by `policybook test`, `check` and `verify`.
//!
//! Every output is a pure function of the model with a stable key order.
//! This file collects them and runs `check`'s evaluation; what they are built
//! from lives in `template` and `azure_definition`.

mod azure_definition;
pub mod eval;
pub mod limits;
pub mod matcher;
mod overlays;
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
use template::k8s;

pub use azure_definition::{
    default_effect, gatekeeper_only_note, kubernetes_definition, kubernetes_definition_json,
    match_groups_kinds, notes,
};
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

/// What `policybook check` found on one Kubernetes object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectFindings {
    /// The label the caller gave the object (file and index or name).
    pub label: String,
    pub findings: Vec<K8sFinding>,
}

/// One constraint's verdict on an object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct K8sFinding {
    pub control_id: String,
    pub title: String,
    /// `deny`, `dryrun` or `warn`.
    pub enforcement_action: String,
    /// Violation messages (or one `evaluation error: …` line).
    pub messages: Vec<String>,
}

/// Evaluates every Kubernetes rule's constraint on each object, as an admission
/// of the object would (`CREATE`), with all given objects as `data.inventory`.
/// Objects a constraint does not match get no finding from it.
///
/// The inventory and the Namespace index are built once and each template is
/// loaded with the inventory once, so the work grows with the number of
/// objects, not with its square; results are in input order whatever the
/// number of threads.
pub fn check_objects(bundle: &Bundle, objects: &[(String, Value)]) -> Vec<ObjectFindings> {
    use rayon::prelude::*;
    // Each object is converted for regorus once, for the inventory and its review.
    let converted: Vec<regorus::Value> = objects
        .par_iter()
        .map(|(_, o)| eval::to_regorus(o))
        .collect();
    let inventory = eval::inventory_converted(objects.iter().map(|(_, o)| o).zip(converted.iter()));
    let namespaces = matcher::NamespaceIndex::new(objects.iter().map(|(_, o)| o));
    struct Prepared<'a> {
        rule: &'a Rule,
        params: regorus::Value,
        template: Result<eval::Template, String>,
    }
    let prepared: Vec<Prepared> = bundle
        .rules
        .par_iter()
        .filter_map(|r| {
            let k = r.kubernetes.as_ref()?;
            let template = eval::Template::compile(&k.rego, &k.libs, false)
                .map_err(|e| format!("template does not compile: {e}"))
                .and_then(|t| t.with_inventory(&inventory));
            Some(Prepared {
                rule: r,
                params: eval::to_regorus(&Value::Object(k.default_parameters())),
                template,
            })
        })
        .collect();
    objects
        .par_iter()
        .zip(&converted)
        .map(|((label, obj), converted)| {
            let admission;
            let (review, match_objects): (regorus::Value, Vec<&Value>) =
                if eval::is_admission_review(obj) {
                    match eval::review_for_admission(obj) {
                        Ok(r) => {
                            admission = r;
                            (
                                eval::to_regorus(&admission.review),
                                admission.match_objects.iter().collect(),
                            )
                        }
                        Err(e) => {
                            let msg = format!("evaluation error: {e}");
                            return ObjectFindings {
                                label: label.clone(),
                                findings: prepared
                                    .iter()
                                    .map(|p| finding(p.rule, vec![msg.clone()]))
                                    .collect(),
                            };
                        }
                    }
                } else {
                    (eval::review_converted(obj, converted, "CREATE"), vec![obj])
                };
            // Match first; then every matching template is evaluated in one bounded job.
            let mut per_rule: Vec<(&Prepared, Vec<String>)> = Vec::new();
            let mut to_evaluate: Vec<usize> = Vec::new();
            for p in &prepared {
                let k = k8s(p.rule);
                let m = review::match_review(match_objects.iter().copied(), |o| {
                    matcher::matches_indexed(&k.match_, o, &namespaces)
                });
                let mut messages: Vec<String> = m
                    .errors
                    .into_iter()
                    .map(|e| format!("match error: {e}"))
                    .collect();
                if !m.matched {
                    if !messages.is_empty() {
                        per_rule.push((p, messages));
                    }
                    continue;
                }
                match &p.template {
                    Err(e) => messages.push(format!("evaluation error: {e}")),
                    Ok(_) => to_evaluate.push(per_rule.len()),
                }
                per_rule.push((p, messages));
            }
            let jobs: Vec<(&eval::Template, &regorus::Value)> = to_evaluate
                .iter()
                .filter_map(|&i| {
                    let p = per_rule[i].0;
                    p.template.as_ref().ok().map(|t| (t, &p.params))
                })
                .collect();
            let results = eval::Template::evaluate_loaded_many(&jobs, &review);
            for (&i, result) in to_evaluate.iter().zip(results) {
                match result {
                    Ok(vs) => per_rule[i].1.extend(vs.into_iter().map(|v| v.msg)),
                    Err(e) => per_rule[i].1.push(format!("evaluation error: {e}")),
                }
            }
            let findings: Vec<K8sFinding> = per_rule
                .into_iter()
                .filter(|(_, messages)| !messages.is_empty())
                .map(|(p, mut messages)| {
                    messages.sort();
                    finding(p.rule, messages)
                })
                .collect();
            ObjectFindings {
                label: label.clone(),
                findings,
            }
        })
        .collect()
}

fn finding(rule: &Rule, messages: Vec<String>) -> K8sFinding {
    K8sFinding {
        control_id: rule.id.clone(),
        title: rule.title.clone(),
        enforcement_action: k8s(rule).enforcement_action.clone(),
        messages,
    }
}

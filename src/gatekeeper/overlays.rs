//! `gatekeeper/overlays/<environment>/kustomization.yaml`: a kustomize overlay of
//! the base per environment (`../../templates` and `../../constraints`: kustomize
//! refuses `../..`, a base that holds the overlay), patching every constraint's
//! `enforcementAction` to the control's stage there and adding the namespaces the
//! environment's exemptions take out of it to `match.excludedNamespaces`.

use serde_json::{json, Value};

use crate::model::{Bundle, Environment, ExemptionScope, Rule};

/// Namespaces `env`'s exemptions take out of `rule`, in file order.
fn exempt_namespaces(bundle: &Bundle, env: &Environment, rule: &Rule) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for x in bundle.rollout.exemptions_of(&env.name) {
        if let ExemptionScope::Namespace(ns) = &x.scope {
            if x.controls.contains(&rule.id) && !out.contains(ns) {
                out.push(ns.clone());
            }
        }
    }
    out
}

/// The overlay of one environment (`rules`: the Kubernetes rules, in output order).
pub(super) fn overlay(bundle: &Bundle, env: &Environment, rules: &[&Rule]) -> Value {
    let mut patches = vec![];
    for r in rules {
        let k = r.kubernetes.as_ref().expect("kubernetes rules only");
        let mut spec = json!({ "enforcementAction": env.stage_of(r).enforcement_action() });
        let extra = exempt_namespaces(bundle, env, r);
        if !extra.is_empty() {
            // A merge patch replaces a list whole: write the base list plus the exemptions.
            let mut list: Vec<Value> = k
                .match_
                .get("excludedNamespaces")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for ns in extra {
                if !list.iter().any(|v| v.as_str() == Some(ns.as_str())) {
                    list.push(json!(ns));
                }
            }
            spec["match"] = json!({ "excludedNamespaces": list });
        }
        let patch = json!({
            "apiVersion": "constraints.gatekeeper.sh/v1beta1",
            "kind": k.kind,
            "metadata": { "name": r.name },
            "spec": spec,
        });
        patches.push(json!({
            "target": {
                "group": "constraints.gatekeeper.sh",
                "version": "v1beta1",
                "kind": k.kind,
                "name": r.name,
            },
            "patch": super::yaml::to_yaml(&patch),
        }));
    }
    json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../../templates", "../../constraints"],
        "commonAnnotations": { "policybook/environment": env.name },
        "patches": patches,
    })
}

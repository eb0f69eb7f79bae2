//! The rule's ConstraintTemplate and Constraint (as JSON values and as the YAML
//! written to `dist/gatekeeper/`), and the parameters a test case's constraint carries.

use serde_json::{json, Map, Value};

use super::{request, yaml};
use crate::model::{KubernetesRule, Rule};

/// The Gatekeeper target every template and constraint uses.
pub const TARGET: &str = "admission.k8s.gatekeeper.sh";
/// Namespaces every policybook constraint leaves alone.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "gatekeeper-system"];

pub(crate) fn k8s(rule: &Rule) -> &KubernetesRule {
    rule.kubernetes
        .as_ref()
        .expect("only called for rules with a `kubernetes:` section")
}

/// `metadata.name` of the rule's ConstraintTemplate: the lower-cased CRD kind.
pub fn template_name(rule: &Rule) -> String {
    k8s(rule).kind.to_ascii_lowercase()
}

/// `(group, version, kind)` triples the Rego reads from `data.inventory`
/// (`data.inventory.namespace[ns]["v1"]["ServiceAccount"]`, `…cluster["v1"]["Namespace"]`).
pub fn inventory_kinds(k: &KubernetesRule) -> Vec<(String, String, String)> {
    let re = regex::Regex::new(
        r#"data\.inventory\.(?:cluster|namespace\[[^\]]*\])\[\s*"([^"]*)"\s*\]\[\s*"([^"]+)"\s*\]"#,
    )
    .expect("valid regex");
    let mut out: Vec<(String, String, String)> = Vec::new();
    for src in std::iter::once(&k.rego).chain(k.libs.iter()) {
        for c in re.captures_iter(src) {
            let (g, v) = request::split_api_version(&c[1]);
            let t = (g, v, c[2].to_string());
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// The `metadata.gatekeeper.sh/requires-sync-data` annotation value (the
/// gatekeeper-library shape: a quoted JSON list of lists of GVK sets).
fn requires_sync_data(k: &KubernetesRule) -> String {
    let kinds = inventory_kinds(k);
    let reqs: Vec<Value> = if kinds.is_empty() {
        vec![json!([{"groups": ["*"], "versions": ["*"], "kinds": ["*"]}])]
    } else {
        kinds
            .iter()
            .map(|(g, v, kind)| json!([{"groups": [g], "versions": [v], "kinds": [kind]}]))
            .collect()
    };
    format!("\"{}\"", Value::Array(reqs))
}

/// The parameters' OpenAPI v3 schema (`type: object`, one property per parameter).
pub fn parameters_schema(k: &KubernetesRule) -> Value {
    json!({"type": "object", "properties": Value::Object(k.parameters.clone())})
}

/// The ConstraintTemplate as a JSON value (key order as emitted).
pub fn template_value(rule: &Rule) -> Value {
    let k = k8s(rule);
    let mut annotations = Map::new();
    annotations.insert("metadata.gatekeeper.sh/title".into(), json!(rule.title));
    annotations.insert("metadata.gatekeeper.sh/version".into(), json!(rule.version));
    annotations.insert("description".into(), json!(one_line(&rule.summary)));
    if k.uses_inventory() {
        annotations.insert(
            "metadata.gatekeeper.sh/requires-sync-data".into(),
            json!(requires_sync_data(k)),
        );
    }
    let mut crd_spec = Map::new();
    crd_spec.insert("names".into(), json!({"kind": k.kind}));
    if !k.parameters.is_empty() {
        crd_spec.insert(
            "validation".into(),
            json!({"openAPIV3Schema": parameters_schema(k)}),
        );
    }
    let mut target = Map::new();
    target.insert("target".into(), json!(TARGET));
    target.insert("rego".into(), json!(k.rego));
    if !k.libs.is_empty() {
        target.insert("libs".into(), json!(k.libs));
    }
    json!({
        "apiVersion": "templates.gatekeeper.sh/v1",
        "kind": "ConstraintTemplate",
        "metadata": {"name": template_name(rule), "annotations": annotations},
        "spec": {
            "crd": {"spec": crd_spec},
            "targets": [target],
        },
    })
}

/// The ConstraintTemplate YAML (`dist/gatekeeper/templates/<kind>.yaml`).
pub fn template_yaml(rule: &Rule) -> String {
    yaml::to_yaml(&template_value(rule))
}

/// The Constraint as a JSON value, with `parameters` replacing the defaults when given.
pub fn constraint_value_with(rule: &Rule, name: &str, parameters: &Map<String, Value>) -> Value {
    let k = k8s(rule);
    let mut spec = Map::new();
    spec.insert("enforcementAction".into(), json!(k.enforcement_action));
    spec.insert("match".into(), k.match_.clone());
    if !parameters.is_empty() {
        spec.insert("parameters".into(), Value::Object(parameters.clone()));
    }
    json!({
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": k.kind,
        "metadata": {"name": name, "annotations": {"policybook/control-id": rule.id}},
        "spec": spec,
    })
}

/// The Constraint as a JSON value.
pub fn constraint_value(rule: &Rule) -> Value {
    constraint_value_with(rule, &rule.name, &k8s(rule).default_parameters())
}

/// The Constraint YAML (`dist/gatekeeper/constraints/<name>.yaml`).
pub fn constraint_yaml(rule: &Rule) -> String {
    yaml::to_yaml(&constraint_value(rule))
}

/// The parameters a case's constraint carries: defaults, then the case's overrides.
pub fn case_parameters(k: &KubernetesRule, overrides: &Map<String, Value>) -> Map<String, Value> {
    let mut p = k.default_parameters();
    for (name, v) in overrides {
        p.insert(name.clone(), v.clone());
    }
    p
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

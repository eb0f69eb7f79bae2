//! Gatekeeper outputs — ConstraintTemplates, Constraints, the kustomization and
//! gator suites — plus the `Microsoft.Kubernetes.Data` Azure definitions built
//! from the same template, the validation the build runs first, the Rego
//! evaluation shared by `policybook test`, `check` and `verify`.
//!
//! Every output is a pure function of the model with a stable key order.

pub mod eval;
pub mod limits;
pub mod matcher;
pub mod schema;
mod suites;
mod validate;
pub mod verify;
pub mod yaml;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::model::{Bundle, KubernetesRule, Rule};
use crate::output::Staging;

pub use validate::validate;

/// The Gatekeeper target every template and constraint uses.
pub const TARGET: &str = "admission.k8s.gatekeeper.sh";
/// Namespaces every policybook constraint leaves alone.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "gatekeeper-system"];

fn k8s(rule: &Rule) -> &KubernetesRule {
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
            let (g, v) = eval::split_api_version(&c[1]);
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

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The one-line note the build prints for a rule that ships Gatekeeper-only
/// (its Rego reads `data.inventory`, which the Azure Policy add-on refuses).
pub fn gatekeeper_only_note(rule: &Rule) -> Option<String> {
    let k = rule.kubernetes.as_ref()?;
    if !k.uses_inventory() {
        return None;
    }
    Some(format!(
        "{} ({}) reads data.inventory, which the Azure Policy add-on does not support: it ships as Gatekeeper only (dist/gatekeeper), with no Microsoft.Kubernetes.Data definition",
        rule.id, rule.name
    ))
}

/// The notes of every Gatekeeper-only rule, in rule order.
pub fn notes(bundle: &Bundle) -> Vec<String> {
    bundle
        .rules
        .iter()
        .filter_map(gatekeeper_only_note)
        .collect()
}

/// Azure parameter type of an OpenAPI type.
fn azure_type(schema: &Value) -> &'static str {
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => "Array",
        Some("boolean") => "Boolean",
        Some("integer") => "Integer",
        Some("number") => "Float",
        Some("object") => "Object",
        _ => "String",
    }
}

/// The built-in definitions' `labelSelector` parameter schema.
fn label_selector_schema() -> Value {
    json!({
        "description": "A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all resources.",
        "type": "object",
        "properties": {
            "matchLabels": {
                "description": "matchLabels is a map of {key,value} pairs.",
                "type": "object",
                "additionalProperties": {"type": "string"},
                "minProperties": 1
            },
            "matchExpressions": {
                "description": "matchExpressions is a list of values, a key, and an operator.",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"description": "key is the label key that the selector applies to.", "type": "string"},
                        "operator": {
                            "description": "operator represents a key's relationship to a set of values.",
                            "type": "string",
                            "enum": ["In", "NotIn", "Exists", "DoesNotExist"]
                        },
                        "values": {
                            "description": "values is an array of string values. If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or DoesNotExist, the values array must be empty.",
                            "type": "array",
                            "items": {"type": "string"}
                        }
                    },
                    "required": ["key", "operator"],
                    "additionalProperties": false
                },
                "minItems": 1
            }
        },
        "additionalProperties": false
    })
}

/// `apiGroups` and `kinds` of the match (first-seen order, de-duplicated).
pub fn match_groups_kinds(k: &KubernetesRule) -> (Vec<String>, Vec<String>) {
    let mut groups: Vec<String> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    for entry in k
        .match_
        .get("kinds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for g in entry
            .get("apiGroups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !groups.iter().any(|x| x == g) {
                groups.push(g.to_string());
            }
        }
        for kd in entry
            .get("kinds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !kinds.iter().any(|x| x == kd) {
                kinds.push(kd.to_string());
            }
        }
    }
    (groups, kinds)
}

/// The Azure effect a constraint's enforcementAction corresponds to.
// Capitalised like the ARM effects: Azure reads effect names without case, and
// EPAC's definition schema accepts only the capitalised spellings.
pub fn default_effect(enforcement_action: &str) -> &'static str {
    match enforcement_action {
        "deny" => "Deny",
        _ => "Audit",
    }
}

/// The `Microsoft.Kubernetes.Data` definition of a Kubernetes rule, or `None`
/// for rules without `kubernetes:` and for Gatekeeper-only (inventory) rules.
pub fn kubernetes_definition(bundle: &Bundle, rule: &Rule) -> Option<Value> {
    let k = rule.kubernetes.as_ref()?;
    if k.uses_inventory() {
        return None;
    }
    let (api_groups, kinds) = match_groups_kinds(k);
    let m = &k.match_;
    let excluded = m.get("excludedNamespaces").cloned().unwrap_or_else(|| {
        json!([
            "kube-system",
            "gatekeeper-system",
            "azure-arc",
            "azure-extensions-usage-system"
        ])
    });
    let namespaces = m.get("namespaces").cloned().unwrap_or_else(|| json!([]));
    let label_selector = m.get("labelSelector").cloned().unwrap_or_else(|| json!({}));

    let mut params = Map::new();
    params.insert(
        "effect".into(),
        json!({
            "type": "String",
            "metadata": {
                "displayName": "Effect",
                "description": "'audit' reports violations (Gatekeeper dryrun), 'deny' rejects them at admission, 'disabled' turns the policy off. See https://aka.ms/kubepolicydoc"
            },
            "allowedValues": ["Audit", "Deny", "Disabled"],
            "defaultValue": default_effect(&k.enforcement_action),
        }),
    );
    params.insert(
        "excludedNamespaces".into(),
        json!({
            "type": "Array",
            "metadata": {
                "displayName": "Namespace exclusions",
                "description": "List of Kubernetes namespaces to exclude from policy evaluation. System namespaces \"kube-system\", \"gatekeeper-system\" and \"azure-arc\" are always excluded by design."
            },
            "defaultValue": excluded,
        }),
    );
    params.insert(
        "namespaces".into(),
        json!({
            "type": "Array",
            "metadata": {
                "displayName": "Namespace inclusions",
                "description": "List of Kubernetes namespaces to only include in policy evaluation. An empty list means the policy is applied to all resources in all namespaces."
            },
            "defaultValue": namespaces,
        }),
    );
    params.insert(
        "labelSelector".into(),
        json!({
            "type": "Object",
            "metadata": {
                "displayName": "Kubernetes label selector",
                "description": "Label query to select Kubernetes resources for policy evaluation. An empty label selector matches all Kubernetes resources."
            },
            "defaultValue": label_selector,
            "schema": label_selector_schema(),
        }),
    );
    let mut values = Map::new();
    for (name, schema) in &k.parameters {
        let mut p = Map::new();
        p.insert("type".into(), json!(azure_type(schema)));
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or(name);
        p.insert(
            "metadata".into(),
            json!({"displayName": name, "description": description}),
        );
        if let Some(d) = schema.get("default") {
            p.insert("defaultValue".into(), d.clone());
        }
        if let Some(e) = schema.get("enum") {
            p.insert("allowedValues".into(), e.clone());
        }
        if azure_type(schema) == "Object" {
            p.insert("schema".into(), schema.clone());
        }
        params.insert(name.clone(), Value::Object(p));
        values.insert(
            name.clone(),
            json!(crate::azure::arm::parameters_expression(name)),
        );
    }

    let mut details = Map::new();
    details.insert(
        "templateInfo".into(),
        json!({"sourceType": "Base64Encoded", "content": base64_encode(template_yaml(rule).as_bytes())}),
    );
    details.insert("apiGroups".into(), json!(api_groups));
    details.insert("kinds".into(), json!(kinds));
    details.insert("namespaces".into(), json!("[parameters('namespaces')]"));
    details.insert(
        "excludedNamespaces".into(),
        json!("[parameters('excludedNamespaces')]"),
    );
    details.insert(
        "labelSelector".into(),
        json!("[parameters('labelSelector')]"),
    );
    if !values.is_empty() {
        details.insert("values".into(), Value::Object(values));
    }
    let category = bundle
        .config
        .policybook
        .as_ref()
        .map(|p| p.initiative.category.clone())
        .unwrap_or_else(|| "Kubernetes".into());
    Some(json!({
        "name": crate::azure::definition_guid(&rule.id),
        "properties": {
            "displayName": truncate(&rule.title, 128),
            "description": truncate(&one_line(&rule.summary), 512),
            "policyType": "Custom",
            "mode": "Microsoft.Kubernetes.Data",
            "metadata": {"version": rule.version, "category": category, "controlId": rule.id},
            "parameters": params,
            "policyRule": {
                "if": {"field": "type", "in": ["Microsoft.Kubernetes/connectedClusters", "Microsoft.ContainerService/managedClusters"]},
                "then": {"effect": "[parameters('effect')]", "details": details},
            },
        },
    }))
}

/// As [`kubernetes_definition`], `Value::Null` when the rule has none
/// (no `kubernetes:` section, or Gatekeeper-only: see [`gatekeeper_only_note`]).
pub fn kubernetes_definition_json(bundle: &Bundle, rule: &Rule) -> Value {
    kubernetes_definition(bundle, rule).unwrap_or(Value::Null)
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes `gatekeeper/templates/`, `constraints/`, `kustomization.yaml` and
/// `suites/` into the staging folder.
pub fn emit(bundle: &Bundle, out: &Staging) -> anyhow::Result<()> {
    let rules: Vec<&Rule> = bundle
        .rules
        .iter()
        .filter(|r| r.kubernetes.is_some())
        .collect();
    if rules.is_empty() {
        return Ok(());
    }
    let mut templates = BTreeMap::new();
    let mut constraints = BTreeMap::new();
    for r in &rules {
        let t = format!("templates/{}.yaml", template_name(r));
        out.write(&format!("gatekeeper/{t}"), template_yaml(r))?;
        templates.insert(t, ());
        let c = format!("constraints/{}.yaml", r.name);
        out.write(&format!("gatekeeper/{c}"), constraint_yaml(r))?;
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
    out.write(
        "gatekeeper/kustomization.yaml",
        yaml::to_yaml(&kustomization),
    )?;
    for r in &rules {
        for (path, text) in suites::suite_files(r) {
            out.write(&format!("gatekeeper/suites/{path}"), text)?;
        }
    }
    Ok(())
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
                let mut matched = false;
                let mut messages = Vec::new();
                for o in &match_objects {
                    match matcher::matches_indexed(&k.match_, o, &namespaces) {
                        Ok(true) => matched = true,
                        Ok(false) => {}
                        Err(e) => messages.push(format!("match error: {e}")),
                    }
                }
                if !matched {
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

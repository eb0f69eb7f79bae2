//! The `Microsoft.Kubernetes.Data` Azure Policy definition of a Kubernetes rule:
//! the Azure Policy add-on's envelope around the rule's ConstraintTemplate.
//! Gatekeeper owns it (it is built from the template); `azure` only collects it
//! with the ARM-mode definitions.

use serde_json::{json, Map, Value};

use super::template::{one_line, template_yaml};
use crate::ids::{definition_guid, parameters_expression};
use crate::model::{Bundle, KubernetesRule, Rule};

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
        values.insert(name.clone(), json!(parameters_expression(name)));
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
        "name": definition_guid(&rule.id),
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

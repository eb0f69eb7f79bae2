//! One Azure Policy definition per rule: the envelope every deployment route uses.

use crate::ids::definition_guid;
use crate::model::{AzureRule, Bundle, Rule};
use serde_json::{json, Map, Value};

/// `{name, properties{…}}` of the rule's ARM-mode definition.
pub fn definition_json(bundle: &Bundle, rule: &Rule, azure: &AzureRule) -> Value {
    let category = bundle
        .config
        .policybook
        .as_ref()
        .map(|p| p.initiative.category.as_str())
        .unwrap_or("General");
    let mut parameters = Map::new();
    parameters.insert(
        "effect".into(),
        json!({
            "type": "String",
            "metadata": {
                "displayName": "Effect",
                "description": format!("Audit reports, Deny blocks, Disabled turns the control off. Control {}.", rule.id),
            },
            "allowedValues": azure.effects,
            "defaultValue": azure.default_effect(),
        }),
    );
    for (k, v) in &azure.parameters {
        parameters.insert(k.clone(), v.clone());
    }
    json!({
        "name": definition_guid(&rule.id),
        "properties": {
            "displayName": display_name(rule),
            "description": description(rule),
            "policyType": "Custom",
            "mode": azure.mode,
            "metadata": {
                "version": rule.version,
                "category": category,
                "controlId": rule.id,
            },
            "parameters": parameters,
            "policyRule": {
                "if": schema_operands(&azure.condition),
                "then": { "effect": "[parameters('effect')]" },
            },
        },
    })
}

/// `[AKS-01] title`, within Azure's 128-character limit.
pub fn display_name(rule: &Rule) -> String {
    truncate(&format!("[{}] {}", rule.id, rule.title), 128)
}

/// The summary, within Azure's 512-character limit.
pub fn description(rule: &Rule) -> String {
    truncate(rule.summary.trim(), 512)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

/// A definition of the bundle with the file stem it is written under.
pub struct NamedDefinition<'a> {
    pub rule: &'a Rule,
    /// File stem under `definitions/` (the rule name).
    pub file: String,
    pub json: Value,
}

impl NamedDefinition<'_> {
    pub fn name(&self) -> &str {
        self.json["name"].as_str().expect("definitions have a name")
    }
    pub fn properties(&self) -> &Value {
        &self.json["properties"]
    }
}

/// Every definition of the bundle, in rule order: ARM-mode rules, and
/// Kubernetes rules the Azure Policy add-on accepts (`Microsoft.Kubernetes.Data`).
pub fn all_definitions(bundle: &Bundle) -> Vec<NamedDefinition<'_>> {
    let mut out = Vec::new();
    for rule in &bundle.rules {
        if let Some(a) = &rule.azure {
            out.push(NamedDefinition {
                rule,
                file: rule.name.clone(),
                json: definition_json(bundle, rule, a),
            });
        }
        if rule.kubernetes.is_some() {
            // None for Gatekeeper-only rules (their Rego reads data.inventory).
            if let Some(json) = crate::gatekeeper::kubernetes_definition(bundle, rule) {
                let file = if rule.azure.is_some() {
                    format!("{}-k8s", rule.name)
                } else {
                    rule.name.clone()
                };
                out.push(NamedDefinition { rule, file, json });
            }
        }
    }
    out
}

/// Comparison operands as the official rule schema types them: `equals`,
/// `notEquals` and the ordering operators take strings or numbers, so a boolean
/// operand is written `"true"` / `"false"`, as built-in definitions do. Azure
/// Policy compares `true` and `"true"` as equal, so the meaning is unchanged.
pub fn schema_operands(v: &Value) -> Value {
    const STRING_OR_NUMBER: &[&str] = &[
        "equals",
        "notequals",
        "greater",
        "greaterorequals",
        "less",
        "lessorequals",
        "like",
        "notlike",
        "contains",
        "notcontains",
    ];
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, child)| {
                    let child = match child {
                        Value::Bool(b)
                            if STRING_OR_NUMBER.contains(&k.to_ascii_lowercase().as_str()) =>
                        {
                            Value::String(b.to_string())
                        }
                        other => schema_operands(other),
                    };
                    (k.clone(), child)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(schema_operands).collect()),
        other => other.clone(),
    }
}

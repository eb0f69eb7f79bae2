//! `azuredeploy.json`: an ARM template that deploys every definition, the set,
//! and optionally an assignment of the set.

use serde_json::{json, Value};

use super::definition::NamedDefinition;
use super::initiative::{arm_id_expression, set_properties, DefinitionRef};
use crate::config::DeploymentScope;
use crate::model::Bundle;

/// API version of the policy resources in the template.
pub const POLICY_API_VERSION: &str = "2025-11-01";
const ASSIGNMENT_API_VERSION: &str = "2024-04-01";

/// Whether ARM evaluates `s` as an expression: it starts with `[` and ends with
/// `]`. A literal of that shape is written with a doubled `[[`; a string that
/// starts with `[` but does not end with `]` is a literal already and ARM keeps
/// it unchanged (`[AKS-01] title`), so it must not be doubled.
fn needs_escape(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']')
}

/// Escapes every string ARM would otherwise evaluate at deployment time:
/// policy expressions (and literals shaped like them) must reach Azure Policy
/// as they are written.
pub fn escape_expressions(v: &Value) -> Value {
    match v {
        Value::String(s) if needs_escape(s) => Value::String(format!("[{s}")),
        Value::Array(a) => Value::Array(a.iter().map(escape_expressions).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), escape_expressions(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The inverse of `escape_expressions`, as ARM applies it at deployment.
pub fn unescape_expressions(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("[[") && s.ends_with(']') => {
            Value::String(s[1..].to_string())
        }
        Value::Array(a) => Value::Array(a.iter().map(unescape_expressions).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), unescape_expressions(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

pub fn arm_template(bundle: &Bundle, defs: &[NamedDefinition<'_>]) -> Value {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let scope = pb.deployment.scope;
    let schema = match scope {
        DeploymentScope::ManagementGroup => {
            "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
        }
        DeploymentScope::Subscription => {
            "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
        }
    };
    let mut resources = Vec::new();
    for d in defs {
        resources.push(json!({
            "type": "Microsoft.Authorization/policyDefinitions",
            "apiVersion": POLICY_API_VERSION,
            "name": d.name(),
            "properties": escape_expressions(d.properties()),
        }));
    }
    let set_name = &pb.initiative.name;
    let mut set_props = escape_expressions(&set_properties(
        bundle,
        defs,
        DefinitionRef::ArmExpression(scope),
    ));
    // Definition ids are deploy-time expressions: undo the escaping for them only.
    for r in set_props["policyDefinitions"]
        .as_array_mut()
        .expect("array")
    {
        r["policyDefinitionId"] = unescape_expressions(&r["policyDefinitionId"]);
    }
    resources.push(json!({
        "type": "Microsoft.Authorization/policySetDefinitions",
        "apiVersion": POLICY_API_VERSION,
        "name": escape_expressions(&json!(set_name)),
        "dependsOn": defs.iter().map(|d| arm_id_expression(scope, "policyDefinitions", d.name())).collect::<Vec<_>>(),
        "properties": set_props,
    }));
    let set_id = arm_id_expression(scope, "policySetDefinitions", set_name);
    resources.push(json!({
        "condition": "[parameters('assignInitiative')]",
        "type": "Microsoft.Authorization/policyAssignments",
        "apiVersion": ASSIGNMENT_API_VERSION,
        "name": "[parameters('assignmentName')]",
        "dependsOn": [set_id],
        "properties": {
            "displayName": escape_expressions(&json!(pb.initiative.display_name)),
            "description": escape_expressions(&json!(pb.initiative.description)),
            "policyDefinitionId": set_id,
            "enforcementMode": "[parameters('enforcementMode')]",
        },
    }));
    json!({
        "$schema": schema,
        "contentVersion": "1.0.0.0",
        "parameters": {
            "assignInitiative": {
                "type": "bool",
                "defaultValue": false,
                "metadata": { "description": "Also assign the policy set at the deployment scope." },
            },
            "assignmentName": {
                "type": "string",
                "defaultValue": escape_expressions(&json!(truncate_name(pb.deployment.assignment_name.as_deref().unwrap_or(set_name)))),
                "maxLength": 24,
                "metadata": { "description": "Name of the assignment (at most 24 characters at management-group scope)." },
            },
            "enforcementMode": {
                "type": "string",
                "defaultValue": "DoNotEnforce",
                "allowedValues": ["Default", "DoNotEnforce"],
                "metadata": { "description": "DoNotEnforce reports compliance without denying requests; Default enforces Deny effects." },
            },
        },
        "resources": resources,
        "outputs": {
            "policySetDefinitionId": { "type": "string", "value": set_id },
        },
    })
}

fn truncate_name(s: &str) -> String {
    s.chars().take(24).collect()
}

//! The policy set (initiative): every definition, one group per area, each
//! definition parameter exposed as a set parameter with a default.

use serde_json::{json, Map, Value};

use super::definition::NamedDefinition;
use crate::config::{DeploymentScope, PolicybookConfig};
use crate::ids::{parameters_expression, string_literal};
use crate::model::Bundle;

/// How the set refers to its definitions.
pub enum DefinitionRef<'a> {
    /// A full resource id under this scope prefix (`/providers/Microsoft.Management/managementGroups/x`).
    Id(&'a str),
    /// An ARM deploy-time expression (the template).
    ArmExpression(DeploymentScope),
    /// EPAC: `policyDefinitionName`.
    EpacName,
}

/// Name of the set parameter carrying a definition parameter: `effect-AKS-01`.
pub fn set_parameter_name(param: &str, control_id: &str) -> String {
    format!("{param}-{control_id}")
}

/// The scope prefix used in initiative.json ids: the configured management group
/// or subscription, or a placeholder deploy.sh replaces.
pub fn scope_prefix(pb: &PolicybookConfig) -> String {
    match pb.deployment.scope {
        DeploymentScope::ManagementGroup => format!(
            "/providers/Microsoft.Management/managementGroups/{}",
            pb.deployment
                .management_group
                .as_deref()
                .unwrap_or("<management-group>")
        ),
        DeploymentScope::Subscription => {
            format!(
                "/subscriptions/{}",
                pb.deployment
                    .subscription
                    .as_deref()
                    .unwrap_or("<subscription-id>")
            )
        }
    }
}

pub fn definition_id(prefix: &str, name: &str) -> String {
    format!("{prefix}/providers/Microsoft.Authorization/policyDefinitions/{name}")
}

/// ARM expression for a policy resource id at the template's scope.
pub fn arm_id_expression(scope: DeploymentScope, resource_type: &str, name: &str) -> String {
    match scope {
        DeploymentScope::ManagementGroup => format!(
            "[extensionResourceId(managementGroup().id, {}, {})]",
            string_literal(&format!("Microsoft.Authorization/{resource_type}")),
            string_literal(name)
        ),
        DeploymentScope::Subscription => format!(
            "[subscriptionResourceId({}, {})]",
            string_literal(&format!("Microsoft.Authorization/{resource_type}")),
            string_literal(name)
        ),
    }
}

/// The set's `properties`.
pub fn set_properties(
    bundle: &Bundle,
    defs: &[NamedDefinition<'_>],
    refs: DefinitionRef<'_>,
) -> Value {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policy sets exist in policybook projects");
    let mut parameters = Map::new();
    let mut references = Vec::new();
    for d in defs {
        let id = &d.rule.id;
        let mut passed = Map::new();
        if let Some(params) = d.properties()["parameters"].as_object() {
            for (p, def) in params {
                let set_name = set_parameter_name(p, id);
                let mut def = def.clone();
                if let Some(m) = def.get_mut("metadata").and_then(Value::as_object_mut) {
                    if let Some(Value::String(dn)) = m.get("displayName").cloned() {
                        m.insert("displayName".into(), Value::String(format!("{dn} ({id})")));
                    }
                }
                parameters.insert(set_name.clone(), def);
                passed.insert(
                    p.clone(),
                    json!({ "value": parameters_expression(&set_name) }),
                );
            }
        }
        let mut r = Map::new();
        match &refs {
            DefinitionRef::Id(prefix) => {
                r.insert(
                    "policyDefinitionId".into(),
                    Value::String(definition_id(prefix, d.name())),
                );
            }
            DefinitionRef::ArmExpression(scope) => {
                r.insert(
                    "policyDefinitionId".into(),
                    Value::String(arm_id_expression(*scope, "policyDefinitions", d.name())),
                );
            }
            DefinitionRef::EpacName => {
                r.insert(
                    "policyDefinitionName".into(),
                    Value::String(d.name().to_string()),
                );
            }
        }
        r.insert(
            "policyDefinitionReferenceId".into(),
            Value::String(reference_id(d)),
        );
        r.insert("groupNames".into(), json!([d.rule.area]));
        r.insert("parameters".into(), Value::Object(passed));
        references.push(Value::Object(r));
    }
    json!({
        "displayName": pb.initiative.display_name,
        "description": pb.initiative.description,
        "policyType": "Custom",
        "metadata": { "version": pb.initiative.version, "category": pb.initiative.category },
        "parameters": parameters,
        "policyDefinitionGroups": groups(bundle),
        "policyDefinitions": references,
    })
}

/// Reference id of a definition in the set: the control id (`-k8s` for a rule's
/// Kubernetes-mode half when it also has an ARM half).
pub fn reference_id(d: &NamedDefinition<'_>) -> String {
    if d.file.ends_with("-k8s") {
        format!("{}-k8s", d.rule.id)
    } else {
        d.rule.id.clone()
    }
}

/// One group per area that has at least one rule, in area order.
pub fn groups(bundle: &Bundle) -> Vec<Value> {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let used: std::collections::BTreeSet<&str> =
        bundle.rules.iter().map(|r| r.area.as_str()).collect();
    used.into_iter()
        .map(|area| match pb.areas.get(area) {
            Some(a) => json!({ "name": area, "displayName": a.title, "category": pb.initiative.category, "description": a.description }),
            None => json!({ "name": area, "displayName": area, "category": pb.initiative.category }),
        })
        .collect()
}

/// `dist/azure/initiative.json`.
pub fn initiative_json(bundle: &Bundle, defs: &[NamedDefinition<'_>]) -> Value {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let prefix = scope_prefix(pb);
    json!({
        "name": pb.initiative.name,
        "properties": set_properties(bundle, defs, DefinitionRef::Id(&prefix)),
    })
}

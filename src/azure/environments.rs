//! One assignment per environment: `dist/azure/assignments/<name>.json`, an ARM
//! template that assigns the policy set at the environment's scope with the effect
//! of each control's stage there, a non-compliance message per control and the
//! environment's exemptions; and the values `deploy.sh --environment` passes to az.

use serde_json::{json, Map, Value};

use super::arm::{escape_expressions, POLICY_API_VERSION};
use super::definition::NamedDefinition;
use super::initiative::{
    arm_id_expression, reference_id, scope_prefix, set_properties, DefinitionRef,
};
use crate::config::DeploymentScope;
use crate::model::{Bundle, Environment, Exemption, ExemptionScope, Rule};

/// API version of `Microsoft.Authorization/policyExemptions` in the templates
/// (the version whose ARM schema the tests validate against).
pub const EXEMPTION_API_VERSION: &str = "2022-07-01-preview";
/// Non-compliance messages are limited to 1024 characters by Azure.
const MESSAGE_MAX: usize = 1024;

/// The assignment's resource name: `[policybook.deployment] assignment-name` or the
/// set name, at most 24 characters (Azure's limit at management-group scope).
pub fn assignment_name(bundle: &Bundle) -> String {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    pb.deployment
        .assignment_name
        .as_deref()
        .unwrap_or(&pb.initiative.name)
        .chars()
        .take(24)
        .collect()
}

/// The full id of an environment's assignment.
pub fn assignment_id(bundle: &Bundle, env: &Environment) -> String {
    format!(
        "{}/providers/Microsoft.Authorization/policyAssignments/{}",
        env.scope,
        assignment_name(bundle)
    )
}

/// The scope the definitions and the set are deployed at for `env`: the configured
/// `[policybook.deployment]` target, else the environment's own scope.
pub fn definitions_scope(bundle: &Bundle, env: &Environment) -> String {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let configured = match pb.deployment.scope {
        DeploymentScope::ManagementGroup => pb.deployment.management_group.is_some(),
        DeploymentScope::Subscription => pb.deployment.subscription.is_some(),
    };
    if configured {
        scope_prefix(pb)
    } else {
        env.scope.clone()
    }
}

/// The set's id for `env`'s assignment.
pub fn set_id(bundle: &Bundle, env: &Environment) -> String {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    format!(
        "{}/providers/Microsoft.Authorization/policySetDefinitions/{}",
        definitions_scope(bundle, env),
        pb.initiative.name
    )
}

/// The assignment's parameter values: every `effect-<ref>` set to the control's
/// stage in `env` (when the definition allows that effect), and every
/// `excludedNamespaces-<ref>` widened by the environment's namespace exemptions.
pub fn parameters(bundle: &Bundle, env: &Environment, defs: &[NamedDefinition<'_>]) -> Value {
    let set = set_properties(bundle, defs, DefinitionRef::EpacName);
    let set_params = set["parameters"].as_object().cloned().unwrap_or_default();
    let mut out = Map::new();
    for d in defs {
        let effect_param = format!("effect-{}", d.rule.id);
        if let Some(def) = set_params.get(&effect_param) {
            let want = env.stage_of(d.rule).azure_effect();
            let allowed = def["allowedValues"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(want)));
            let value = if allowed {
                json!(want)
            } else {
                def["defaultValue"].clone()
            };
            out.insert(effect_param, json!({ "value": value }));
        }
        let ns_param = format!("excludedNamespaces-{}", d.rule.id);
        let extra = exempt_namespaces(bundle, env, d.rule);
        if let (Some(def), false) = (set_params.get(&ns_param), extra.is_empty()) {
            let mut list: Vec<Value> = def["defaultValue"].as_array().cloned().unwrap_or_default();
            for ns in extra {
                if !list.iter().any(|v| v.as_str() == Some(ns.as_str())) {
                    list.push(json!(ns));
                }
            }
            out.insert(ns_param, json!({ "value": list }));
        }
    }
    Value::Object(out)
}

/// Namespaces the environment's exemptions take out of `rule`, in file order.
pub fn exempt_namespaces(bundle: &Bundle, env: &Environment, rule: &Rule) -> Vec<String> {
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

/// The handbook page of a rule, when `[output.html] site-url` is set.
pub fn page_url(bundle: &Bundle, rule: &Rule) -> Option<String> {
    let base = bundle.config.html_option("site-url")?;
    let base = base.trim_end_matches('/');
    Some(format!("{base}/policies/{}.html", rule.name))
}

/// The non-compliance message of a control: its title, what to do, and its page.
pub fn message(bundle: &Bundle, rule: &Rule) -> String {
    let mut m = format!("[{}] {}.", rule.id, rule.title.trim().trim_end_matches('.'));
    let todo = rule.checklist.trim();
    if !todo.is_empty() {
        m.push_str(&format!(" To comply: {}", todo));
        if !todo.ends_with('.') {
            m.push('.');
        }
    }
    if let Some(url) = page_url(bundle, rule) {
        m.push_str(&format!(" Guidance: {url}"));
    }
    let m: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
    if m.chars().count() > MESSAGE_MAX {
        let mut t: String = m.chars().take(MESSAGE_MAX - 1).collect();
        t.push('…');
        t
    } else {
        m
    }
}

/// `[{policyDefinitionReferenceId, message}]`, one per definition of the set.
pub fn non_compliance_messages(bundle: &Bundle, defs: &[NamedDefinition<'_>]) -> Vec<Value> {
    defs.iter()
        .map(|d| {
            json!({
                "policyDefinitionReferenceId": reference_id(d),
                "message": message(bundle, d.rule),
            })
        })
        .collect()
}

/// The reference ids of the set an exemption names: its controls' definitions.
pub fn exemption_reference_ids(x: &Exemption, defs: &[NamedDefinition<'_>]) -> Vec<String> {
    defs.iter()
        .filter(|d| x.controls.contains(&d.rule.id))
        .map(reference_id)
        .collect()
}

/// An exemption's `properties`.
pub fn exemption_properties(
    bundle: &Bundle,
    env: &Environment,
    x: &Exemption,
    defs: &[NamedDefinition<'_>],
) -> Value {
    json!({
        "policyAssignmentId": assignment_id(bundle, env),
        "policyDefinitionReferenceIds": exemption_reference_ids(x, defs),
        "exemptionCategory": x.category.as_str(),
        "expiresOn": x.expires_on(),
        "displayName": format!("{} ({})", x.name, x.controls.join(", ")),
        "description": x.justification,
        "metadata": { "owner": x.owner, "environment": env.name, "controls": x.controls },
    })
}

/// Azure exemptions of `env` (namespace exemptions are parameters instead).
pub fn azure_exemptions<'a>(
    bundle: &'a Bundle,
    env: &'a Environment,
) -> impl Iterator<Item = (&'a Exemption, &'a str)> + 'a {
    bundle
        .rollout
        .exemptions_of(&env.name)
        .filter_map(|x| match &x.scope {
            ExemptionScope::Azure(s) => Some((x, s.as_str())),
            ExemptionScope::Namespace(_) => None,
        })
}

/// `dist/azure/assignments/<env>.json`.
pub fn assignment_template(
    bundle: &Bundle,
    env: &Environment,
    defs: &[NamedDefinition<'_>],
) -> Value {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let scope = if env.is_management_group() {
        DeploymentScope::ManagementGroup
    } else {
        DeploymentScope::Subscription
    };
    let schema = match scope {
        DeploymentScope::ManagementGroup => {
            "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
        }
        DeploymentScope::Subscription => {
            "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
        }
    };
    let name = assignment_name(bundle);
    let mut properties = json!({
        "displayName": format!("{} ({})", pb.initiative.display_name, env.name),
        "description": pb.initiative.description,
        "policyDefinitionId": "[parameters('policySetDefinitionId')]",
        "enforcementMode": "Default",
        "parameters": parameters(bundle, env, defs),
        "nonComplianceMessages": non_compliance_messages(bundle, defs),
        "metadata": { "environment": env.name, "generatedBy": "policybook" },
    });
    if !env.not_scopes.is_empty() {
        properties["notScopes"] = json!(env.not_scopes);
    }
    // Everything but the set id parameter is a literal.
    let mut properties = escape_expressions(&properties);
    properties["policyDefinitionId"] = json!("[parameters('policySetDefinitionId')]");
    let assignment_ref = arm_id_expression(scope, "policyAssignments", &name);
    let mut resources = vec![json!({
        "type": "Microsoft.Authorization/policyAssignments",
        "apiVersion": POLICY_API_VERSION,
        "name": escape_expressions(&json!(name)),
        "properties": properties,
    })];
    for (x, target) in azure_exemptions(bundle, env) {
        if target.starts_with("/providers/") {
            // The environment's management group itself: a resource of this deployment.
            resources.push(json!({
                "type": "Microsoft.Authorization/policyExemptions",
                "apiVersion": EXEMPTION_API_VERSION,
                "name": escape_expressions(&json!(x.name)),
                "dependsOn": [assignment_ref],
                "properties": escape_expressions(&exemption_properties(bundle, env, x, defs)),
            }));
            continue;
        }
        resources.push(exemption_deployment(
            bundle,
            env,
            x,
            target,
            defs,
            &assignment_ref,
        ));
    }
    json!({
        "$schema": schema,
        "contentVersion": "1.0.0.0",
        "parameters": {
            "policySetDefinitionId": {
                "type": "string",
                "defaultValue": escape_expressions(&json!(set_id(bundle, env))),
                "metadata": { "description": "Resource id of the policy set (deploy dist/azure/azuredeploy.json or deploy.sh first)." },
            },
            "location": {
                "type": "string",
                "defaultValue": "[deployment().location]",
                "metadata": { "description": "Location of the nested deployments that create exemptions." },
            },
        },
        "resources": resources,
        "outputs": {
            "policyAssignmentId": { "type": "string", "value": assignment_ref },
        },
    })
}

/// The parts of an exemption target: subscription, resource group, and the rest
/// (`Microsoft.X/type/name…`) for a resource.
fn split_target(target: &str) -> (String, Option<String>, Option<String>) {
    let parts: Vec<&str> = target.trim_start_matches('/').split('/').collect();
    let sub = parts.get(1).copied().unwrap_or_default().to_string();
    let rg = match parts.get(2) {
        Some(p) if p.eq_ignore_ascii_case("resourceGroups") => parts.get(3).map(|s| s.to_string()),
        _ => None,
    };
    let resource = match parts.get(4) {
        Some(p) if p.eq_ignore_ascii_case("providers") && parts.len() > 5 => {
            Some(parts[5..].join("/"))
        }
        _ => None,
    };
    (sub, rg, resource)
}

/// An exemption is an extension resource of its target: it is deployed by a nested
/// deployment at the target's subscription (and resource group), with `scope` set to
/// the resource when the target is one.
fn exemption_deployment(
    bundle: &Bundle,
    env: &Environment,
    x: &Exemption,
    target: &str,
    defs: &[NamedDefinition<'_>],
    assignment_ref: &str,
) -> Value {
    let (sub, rg, resource) = split_target(target);
    let mut exemption = json!({
        "type": "Microsoft.Authorization/policyExemptions",
        "apiVersion": EXEMPTION_API_VERSION,
        "name": escape_expressions(&json!(x.name)),
        "properties": escape_expressions(&exemption_properties(bundle, env, x, defs)),
    });
    if let Some(r) = &resource {
        exemption["scope"] = escape_expressions(&json!(r));
    }
    let inner_schema = if rg.is_some() {
        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    } else {
        "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
    };
    let mut inner = json!({
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": escape_expressions(&json!(format!("exemption-{}", x.name))),
        "properties": {
            "mode": "Incremental",
            "expressionEvaluationOptions": { "scope": "inner" },
            "template": {
                "$schema": inner_schema,
                "contentVersion": "1.0.0.0",
                "resources": [exemption],
            },
        },
    });
    if let Some(rg) = &rg {
        inner["resourceGroup"] = escape_expressions(&json!(rg));
    }
    let mut outer = if env.is_management_group() || rg.is_none() {
        // A management-group deployment reaches a resource group only through its subscription.
        let mut o = inner.clone();
        o["subscriptionId"] = escape_expressions(&json!(sub));
        if rg.is_some() && env.is_management_group() {
            o.as_object_mut()
                .expect("the deployment is built above as a JSON object")
                .remove("resourceGroup");
            o["properties"]["template"] = json!({
                "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
                "contentVersion": "1.0.0.0",
                "resources": [inner],
            });
        }
        o
    } else {
        inner
    };
    if env.is_management_group() || rg.is_none() {
        outer["location"] = json!("[parameters('location')]");
    }
    outer["dependsOn"] = json!([assignment_ref]);
    outer
}

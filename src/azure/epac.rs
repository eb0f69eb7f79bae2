//! The Enterprise Policy as Code tree: `epac/Definitions/policyDefinitions/*.json`
//! and `policySetDefinitions/*.json` (the set references customs by name); with
//! environments, one assignment file whose children are the environments, one
//! exemption folder per environment and an example `global-settings.jsonc`.

use serde_json::{json, Map, Value};

use super::definition::NamedDefinition;
use super::environments::{
    assignment_id, assignment_name, azure_exemptions, definitions_scope, exemption_reference_ids,
    non_compliance_messages, parameters,
};
use super::initiative::{set_properties, DefinitionRef};
use crate::model::Bundle;

const DEFINITION_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-definition-schema.json";
const SET_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-set-definition-schema.json";
const ASSIGNMENT_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-assignment-schema.json";
const EXEMPTION_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-exemption-schema.json";
const GLOBAL_SETTINGS_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/global-settings-schema.json";

/// (path under `epac/Definitions/`, JSON) for every EPAC file.
pub fn epac_files(bundle: &Bundle, defs: &[NamedDefinition<'_>]) -> Vec<(String, Value)> {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let mut files = Vec::new();
    for d in defs {
        let mut m = Map::new();
        m.insert("$schema".into(), Value::String(DEFINITION_SCHEMA.into()));
        m.insert("name".into(), Value::String(d.name().into()));
        m.insert("properties".into(), d.properties().clone());
        files.push((
            format!("policyDefinitions/{}.json", d.file),
            Value::Object(m),
        ));
    }
    let mut properties = set_properties(bundle, defs, DefinitionRef::EpacName);
    // EPAC's schema allows only `name` (and `additionalMetadataId`) on a group.
    for g in properties["policyDefinitionGroups"]
        .as_array_mut()
        .expect("groups")
    {
        *g = json!({ "name": g["name"] });
    }
    files.push((
        format!("policySetDefinitions/{}.json", pb.initiative.name),
        json!({
            "$schema": SET_SCHEMA,
            "name": pb.initiative.name,
            "properties": properties,
        }),
    ));
    files
}

/// `policyAssignments/<set>.json` and `policyExemptions/<env>/<set>.json` for the
/// configured environments (none without environments). Each environment is a
/// child of one assignment tree, with its name as the EPAC pac selector.
pub fn environment_files(bundle: &Bundle, defs: &[NamedDefinition<'_>]) -> Vec<(String, Value)> {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let envs = &bundle.rollout.environments;
    if envs.is_empty() {
        return Vec::new();
    }
    let set_name = &pb.initiative.name;
    let children: Vec<Value> = envs
        .iter()
        .map(|env| {
            // EPAC takes bare values; the ARM assignment wraps each in `{value}`.
            let values: Map<String, Value> = parameters(bundle, env, defs)
                .as_object()
                .expect("parameters are an object")
                .iter()
                .map(|(k, v)| (k.clone(), v["value"].clone()))
                .collect();
            let mut child = Map::new();
            child.insert("nodeName".into(), json!(format!("{}/", env.name)));
            child.insert("scope".into(), json!({ env.name.as_str(): [env.scope] }));
            if !env.not_scopes.is_empty() {
                child.insert(
                    "notScopes".into(),
                    json!({ env.name.as_str(): env.not_scopes }),
                );
            }
            child.insert("parameters".into(), Value::Object(values));
            child.insert(
                "nonComplianceMessages".into(),
                json!(non_compliance_messages(bundle, defs)),
            );
            Value::Object(child)
        })
        .collect();
    let mut files = vec![(
        format!("policyAssignments/{set_name}.json"),
        json!({
            "$schema": ASSIGNMENT_SCHEMA,
            "nodeName": format!("/{set_name}/"),
            "definitionEntry": {
                "policySetName": set_name,
                "displayName": pb.initiative.display_name,
            },
            "assignment": {
                "name": assignment_name(bundle),
                "displayName": pb.initiative.display_name,
                "description": pb.initiative.description,
            },
            "enforcementMode": "Default",
            "children": children,
        }),
    )];
    // A folder per environment even when it has no exemption: EPAC leaves the
    // exemptions of a pac selector without a folder unmanaged, so deleting the last
    // entry from the exemptions file must still leave an (empty) list here.
    for env in envs {
        let exemptions: Vec<Value> = azure_exemptions(bundle, env)
            .map(|(x, scope)| {
                json!({
                    "name": x.name,
                    "displayName": format!("{} ({})", x.name, x.controls.join(", ")),
                    "description": x.justification,
                    "exemptionCategory": x.category.as_str(),
                    "expiresOn": x.expires_on(),
                    "scope": scope,
                    "policyAssignmentId": assignment_id(bundle, env),
                    "policyDefinitionReferenceIds": exemption_reference_ids(x, defs),
                    "metadata": { "owner": x.owner, "environment": env.name, "controls": x.controls },
                })
            })
            .collect();
        files.push((
            format!("policyExemptions/{}/{set_name}.json", env.name),
            json!({ "$schema": EXEMPTION_SCHEMA, "exemptions": exemptions }),
        ));
    }
    files
}

/// `global-settings.jsonc`: an example listing the environments as pac
/// environments. Values only the user knows are `<…>` placeholders, named in the
/// comment heading the file; `None` without environments.
pub fn global_settings(bundle: &Bundle) -> Option<String> {
    let envs = &bundle.rollout.environments;
    if envs.is_empty() {
        return None;
    }
    let environments: Vec<Value> = envs
        .iter()
        .map(|env| {
            json!({
                "pacSelector": env.name,
                "cloud": "AzureCloud",
                "tenantId": "<tenant-id>",
                // Definitions live where the other outputs put them, so the
                // assignment at the environment's scope can reach them.
                "deploymentRootScope": definitions_scope(bundle, env),
                "managedIdentityLocation": "<azure-region>",
                // ownedOnly: EPAC never deletes policy resources it did not deploy.
                "desiredState": { "strategy": "ownedOnly", "keepDfcSecurityAssignments": true },
            })
        })
        .collect();
    let settings = json!({
        "$schema": GLOBAL_SETTINGS_SCHEMA,
        "pacOwnerId": "<pac-owner-id>",
        "pacEnvironments": environments,
    });
    let mut text = String::from(
        "// Example EPAC global settings generated by policybook: one pac environment per\n\
         // [policybook.environments.<name>] of book.toml. Merge it into your own file and\n\
         // replace the placeholders: <pac-owner-id> with a GUID unique to your EPAC\n\
         // repository, <tenant-id> with your Microsoft Entra tenant id and <azure-region>\n\
         // with the region of policy managed identities (none of these controls needs one).\n",
    );
    text.push_str(&String::from_utf8(crate::output::json_bytes(&settings)).expect("UTF-8"));
    Some(text)
}

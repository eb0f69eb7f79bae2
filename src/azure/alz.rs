//! The Azure Landing Zones library member under `azure/alz/`: metadata, one
//! policy definition file per definition, the policy set, one assignment of
//! the set at each control's default stage, and an archetype naming them, so
//! the ALZ Terraform and Bicep modules can deploy the bundle like any library.

use serde_json::{json, Map, Value};

use super::definition::NamedDefinition;
use super::environments::{assignment_name, non_compliance_messages};
use super::initiative::{set_parameter_name, set_properties, DefinitionRef};
use crate::model::Bundle;

const ARCHETYPE_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/Azure-Landing-Zones-Library/main/schemas/archetype_definition.json";
const METADATA_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/Azure-Landing-Zones-Library/main/schemas/library_metadata.json";

/// The management group the library's ids name. ALZ clients look assets up by
/// name and rewrite every id and scope for the management group they deploy to.
pub const PLACEHOLDER_SCOPE: &str = "/providers/Microsoft.Management/managementGroups/placeholder";

/// (path under `azure/alz/`, JSON) for every file of the library member.
pub fn alz_files(bundle: &Bundle, defs: &[NamedDefinition<'_>]) -> Vec<(String, Value)> {
    let pb = bundle
        .config
        .policybook
        .as_ref()
        .expect("policybook project");
    let set_name = &pb.initiative.name;
    let assignment = assignment_name(bundle);
    let mut files = vec![(
        "alz_library_metadata.json".to_string(),
        json!({
            "$schema": METADATA_SCHEMA,
            "name": set_name,
            "display_name": pb.initiative.display_name,
            "description": pb.initiative.description,
            "dependencies": [],
        }),
    )];
    // File stems repeat the `name` keys, as the library recommends: clients key
    // assets by name only, so two files may never share one.
    for d in defs {
        files.push((
            format!("policy_definitions/{}.alz_policy_definition.json", d.name()),
            json!({
                "type": "Microsoft.Authorization/policyDefinitions",
                "name": d.name(),
                "properties": d.properties(),
            }),
        ));
    }
    files.push((
        format!("policy_set_definitions/{set_name}.alz_policy_set_definition.json"),
        json!({
            "type": "Microsoft.Authorization/policySetDefinitions",
            "name": set_name,
            "properties": set_properties(bundle, defs, DefinitionRef::Id(PLACEHOLDER_SCOPE)),
        }),
    ));
    // Each control's effect at its default stage, spelled out so a management
    // group override (`policy_assignments_to_modify`) changes one visible value.
    let mut parameters = Map::new();
    for d in defs {
        let effect = &d.properties()["parameters"]["effect"]["defaultValue"];
        if !effect.is_null() {
            parameters.insert(
                set_parameter_name("effect", &d.rule.id),
                json!({ "value": effect }),
            );
        }
    }
    let mut properties = Map::new();
    properties.insert("displayName".into(), json!(pb.initiative.display_name));
    properties.insert("description".into(), json!(pb.initiative.description));
    properties.insert(
        "policyDefinitionId".into(),
        json!(format!(
            "{PLACEHOLDER_SCOPE}/providers/Microsoft.Authorization/policySetDefinitions/{set_name}"
        )),
    );
    properties.insert("enforcementMode".into(), json!("Default"));
    properties.insert("parameters".into(), Value::Object(parameters));
    properties.insert(
        "nonComplianceMessages".into(),
        json!(non_compliance_messages(bundle, defs)),
    );
    properties.insert("scope".into(), json!(PLACEHOLDER_SCOPE));
    properties.insert("notScopes".into(), json!([]));
    files.push((
        format!("policy_assignments/{assignment}.alz_policy_assignment.json"),
        json!({
            "type": "Microsoft.Authorization/policyAssignments",
            "name": assignment,
            "properties": properties,
        }),
    ));
    let definition_names: Vec<&str> = defs.iter().map(|d| d.name()).collect();
    files.push((
        format!("archetype_definitions/{set_name}.alz_archetype_definition.json"),
        json!({
            "$schema": ARCHETYPE_SCHEMA,
            "name": set_name,
            "policy_assignments": [assignment],
            "policy_definitions": definition_names,
            "policy_set_definitions": [set_name],
            "role_definitions": [],
        }),
    ));
    files
}

//! The Enterprise Policy as Code tree: `epac/Definitions/policyDefinitions/*.json`
//! and `policySetDefinitions/*.json`; the set references customs by name.

use serde_json::{json, Map, Value};

use super::definition::NamedDefinition;
use super::initiative::{set_properties, DefinitionRef};
use crate::model::Bundle;

const DEFINITION_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-definition-schema.json";
const SET_SCHEMA: &str =
    "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-set-definition-schema.json";

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

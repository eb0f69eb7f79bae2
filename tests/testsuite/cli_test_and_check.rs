//! `policybook test` (reporters, filter, failures) and `policybook check`
//! (input shapes, findings, exit codes) through the real binary.

use crate::common;

use common::{copy_tree, policybook, repo_root};

fn arm_project(extra_rules: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&repo_root().join("book.toml"), &root.join("book.toml"));
    copy_tree(&repo_root().join("policies"), &root.join("policies"));
    for (name, text) in extra_rules {
        std::fs::write(root.join("policies").join(name), text).unwrap();
    }
    tmp
}

#[test]
fn test_runs_every_case_green_with_json_and_junit_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("reports/policy-tests.xml");
    let run = policybook(&repo_root(), &["test", "--junit", junit.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let summary = run.stdout.lines().last().unwrap();
    assert!(
        summary.ends_with("passed, 0 failed, 0 skipped"),
        "{summary}"
    );
    let passed: usize = summary.split(' ').next().unwrap().parse().unwrap();

    let json = policybook(&repo_root(), &["test", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["summary"]["passed"], passed);
    assert_eq!(v["summary"]["failed"], 0);
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), passed);
    // Every ARM control has at least one firing and one compliant case.
    for id in [
        "AKS-01", "AKS-02", "AKS-03", "AKS-04", "AKS-05", "AKS-06", "AKS-07", "AKS-08", "AKS-09",
        "ACR-01", "ACR-02", "ACR-03", "RBAC-01", "RBAC-02", "FIC-01", "KV-01",
    ] {
        let mine: Vec<_> = cases.iter().filter(|c| c["rule_id"] == id).collect();
        assert!(
            mine.iter().any(|c| c["got"] == "none"),
            "{id} has a compliant case"
        );
        assert!(
            mine.iter().any(|c| c["got"] == "Audit"),
            "{id} has an audited case"
        );
        assert!(
            mine.iter().any(|c| c["got"] == "Deny"),
            "{id} has a Deny case"
        );
    }

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), passed);
    assert!(xml.contains("<testsuite name=\"AKS-01\""));
    assert!(!xml.contains("<failure"));
}

#[test]
fn filter_selects_cases_by_id_rule_or_case_name() {
    let run = policybook(&repo_root(), &["test", "aks-01", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    assert!(cases.iter().all(|c| c["rule_id"] == "AKS-01"));
    let run = policybook(&repo_root(), &["test", "request body", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["case"].as_str().unwrap().contains("request body")));
}

const WRONG: &str = r#"id: TST-09
name: test-wrong-expectation
title: A rule whose test expects the wrong effect
area: cluster-access
severity: low
summary: Test rule.
azure:
  effects: [Audit, Deny, Disabled]
  if:
    allOf:
      - field: type
        equals: Microsoft.ContainerService/managedClusters
      - field: Microsoft.ContainerService/managedClusters/disableLocalAccounts
        notEquals: true
tests:
  - name: compliant cluster
    resource: samples/arm/aks/compliant-cluster.json
    expect: none
  - name: this expectation is wrong
    resource: samples/arm/aks/service-principal-cluster.json
    expect: Deny
"#;

#[test]
fn a_failing_case_shows_expected_got_and_its_place_and_exits_1() {
    let p = arm_project(&[("wrong.yaml", WRONG)]);
    let junit = p.path().join("junit.xml");
    let run = policybook(
        p.path(),
        &["test", "TST-09", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("FAIL TST-09 this expectation is wrong"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "     at policies/wrong.yaml:19:11\n     expected: Deny\n     got:      Audit\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("\n1 passed, 1 failed, 0 skipped\n"),
        "{}",
        run.stdout
    );
    let xml = std::fs::read_to_string(junit).unwrap();
    assert!(
        xml.contains("<failure message=\"expected Deny, got Audit\""),
        "{xml}"
    );
}

#[test]
fn check_prints_the_controls_that_fire_per_resource() {
    let samples = repo_root().join("policies/samples/arm");
    let sp = samples.join("aks/service-principal-cluster.json");
    let ok = samples.join("aks/compliant-cluster.json");
    let run = policybook(
        &repo_root(),
        &["check", sp.to_str().unwrap(), ok.to_str().unwrap()],
    );
    assert_eq!(
        run.code, 0,
        "Audit findings alone do not fail: {}",
        run.stderr
    );
    let fired: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.contains("aks-legacy-sp"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        fired,
        ["AKS-01", "AKS-02", "AKS-03", "AKS-04", "AKS-06", "AKS-07", "AKS-08", "AKS-09"]
    );
    assert!(run.stdout.contains(
        "  AKS-01   Audit    AKS clusters use a managed identity, not a service principal\n"
    ));
    assert!(
        run.stdout
            .contains("aks-prod-weu\n  ok: no control fires\n"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .ends_with("2 resource(s) checked, 8 finding(s), 0 deny\n"));

    let strict = policybook(&repo_root(), &["check", "--strict", sp.to_str().unwrap()]);
    assert_eq!(strict.code, 1);
    let clean = policybook(&repo_root(), &["check", "--strict", ok.to_str().unwrap()]);
    assert_eq!(clean.code, 0);
}

#[test]
fn check_reads_templates_arrays_and_list_output() {
    let tmp = tempfile::tempdir().unwrap();
    // An ARM template with a nested child resource (relative type).
    let t = tmp.path().join("azuredeploy.json");
    std::fs::write(&t, common::ARM_TEMPLATE).unwrap();
    // `az role assignment list` prints an array; REST list output wraps it in `value`.
    let ra = std::fs::read_to_string(
        repo_root().join("policies/samples/arm/rbac/acrpull-on-resource-group.json"),
    )
    .unwrap();
    let list = tmp.path().join("list.json");
    std::fs::write(&list, format!("{{\"value\": [{ra}]}}")).unwrap();
    let arr = tmp.path().join("array.json");
    std::fs::write(&arr, format!("[{ra}, {ra}]")).unwrap();

    let run = policybook(
        &repo_root(),
        &[
            "check",
            "--format",
            "json",
            t.to_str().unwrap(),
            list.to_str().unwrap(),
            arr.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let resources = v["resources"].as_array().unwrap();
    let ids = |i: usize| -> Vec<String> {
        resources[i]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["control_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(resources.len(), 6);
    assert_eq!(
        resources[0]["kind"],
        "Microsoft.ContainerRegistry/registries"
    );
    assert_eq!(ids(0), ["ACR-01"]);
    assert_eq!(
        resources[1]["kind"],
        "Microsoft.ManagedIdentity/userAssignedIdentities"
    );
    assert!(ids(1).is_empty());
    assert_eq!(
        resources[2]["kind"],
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    );
    assert_eq!(ids(2), ["FIC-01"]);
    for i in 3..6 {
        assert_eq!(ids(i), ["RBAC-01"]);
    }
    assert_eq!(v["summary"]["findings"], 5);
    assert_eq!(v["summary"]["deny"], 0);
}

#[test]
fn check_exits_1_on_a_deny_finding() {
    // The rollout stage `enforce` makes Deny the default effect.
    let deny = WRONG
        .replace("severity: low\n", "severity: low\nrollout: enforce\n")
        .replace("    expect: Deny", "    expect: Deny\n");
    let p = arm_project(&[("deny.yaml", &deny)]);
    let sp = repo_root().join("policies/samples/arm/aks/service-principal-cluster.json");
    let run = policybook(p.path(), &["check", sp.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("  TST-09   Deny     A rule whose test expects the wrong effect\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(", 1 deny\n"));
}

#[test]
fn check_reports_unreadable_input_with_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"type\": \"Microsoft.KeyVault/vaults\",\n  \"name\": \n}\n",
    )
    .unwrap();
    let run = policybook(&repo_root(), &["check", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&format!("{}:4:1: invalid JSON", bad.display())),
        "{}",
        run.stderr
    );
}

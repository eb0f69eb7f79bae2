//! `policybook test --compare-builtin` (issue 11, item 5): the Azure built-in
//! each rule names, vendored in builtins/, evaluated on the rule's own cases
//! with policybook's engine; the sentence is printed and shown on the policy page.
//! The exact expectations use rules written here (the shipped rules' case lists
//! grow); the shipped rules are checked for one line each.

use crate::common::{copy_tree, policybook, repo_root, rule_project};

/// Ours also requires the OIDC issuer; the built-in looks at workload identity only.
const WORKLOAD_IDENTITY: &str = r#"id: TST-01
name: test-workload-identity
title: Workload identity and the OIDC issuer are enabled
area: workload-identity
severity: medium
summary: Test rule.
checklist: Workload identity is on.
builtin: 2cc2e023-0dac-4046-875b-178f683929d5
azure:
  mode: Indexed
  effects: [Audit, Disabled]
  if:
    allOf:
      - field: type
        equals: Microsoft.ContainerService/managedClusters
      - anyOf:
          - field: Microsoft.ContainerService/managedClusters/securityProfile.workloadIdentity.enabled
            notEquals: true
          - field: Microsoft.ContainerService/managedClusters/oidcIssuerProfile.enabled
            notEquals: true
tests:
  - name: both on
    object: {type: Microsoft.ContainerService/managedClusters, name: a, location: westeurope, tags: {}, properties: {securityProfile: {workloadIdentity: {enabled: true}}, oidcIssuerProfile: {enabled: true}}}
    expect: none
  - name: workload identity off
    object: {type: Microsoft.ContainerService/managedClusters, name: b, location: westeurope, tags: {}, properties: {securityProfile: {workloadIdentity: {enabled: false}}, oidcIssuerProfile: {enabled: true}}}
    expect: Audit
  - name: issuer off
    object: {type: Microsoft.ContainerService/managedClusters, name: c, location: westeurope, tags: {}, properties: {securityProfile: {workloadIdentity: {enabled: true}}, oidcIssuerProfile: {enabled: false}}}
    expect: Audit
"#;

/// Deny by default (stage enforce): the built-in (Audit by default) must run with Deny too.
const ADMIN_USER: &str = r#"id: TST-02
name: test-admin-user
rollout: enforce
title: The registry admin user is disabled
area: registry-access
severity: high
summary: Test rule.
checklist: No admin user.
builtin: dc921057-6b28-4fbe-9b83-f7bec05db6c2
azure:
  mode: Indexed
  effects: [Deny, Audit, Disabled]
  if:
    allOf:
      - field: type
        equals: Microsoft.ContainerRegistry/registries
      - field: Microsoft.ContainerRegistry/registries/adminUserEnabled
        equals: true
tests:
  - name: admin user on
    object: {type: Microsoft.ContainerRegistry/registries, name: r, location: westeurope, tags: {}, properties: {adminUserEnabled: true}}
    expect: Deny
  - name: admin user on, audited
    object: {type: Microsoft.ContainerRegistry/registries, name: r, location: westeurope, tags: {}, properties: {adminUserEnabled: true}}
    parameters: {effect: Audit}
    expect: Audit
  - name: admin user off
    object: {type: Microsoft.ContainerRegistry/registries, name: r, location: westeurope, tags: {}, properties: {adminUserEnabled: false}}
    expect: none
"#;

/// A Kubernetes rule: the built-in's own ConstraintTemplate runs on its cases.
const AUTOMOUNT: &str = r#"id: TST-03
name: test-automount
title: Pods do not automount a token
area: service-accounts
severity: medium
summary: Test rule.
checklist: No automounted token.
builtin: 423dd1ba-798e-40e4-9c4d-b6902674b423
kubernetes:
  kind: K8sTestAutomount
  match:
    kinds:
      - apiGroups: [""]
        kinds: [Pod]
  rego: |
    package k8stestautomount

    import future.keywords.contains
    import future.keywords.if

    violation contains {"msg": "token"} if {
      input.review.object.spec.automountServiceAccountToken != false
    }
tests:
  - name: opted out
    object: {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: shop}, spec: {automountServiceAccountToken: false, containers: []}}
    expect: {violations: "no"}
  - name: opted in
    object: {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: shop}, spec: {automountServiceAccountToken: true, containers: []}}
    expect: {violations: 1}
  - name: in kube-system
    object: {apiVersion: v1, kind: Pod, metadata: {name: c, namespace: kube-system}, spec: {automountServiceAccountToken: true, containers: []}}
    expect: {violations: 1}
"#;

fn project() -> tempfile::TempDir {
    let tmp = rule_project(&[
        ("wi.yaml", WORKLOAD_IDENTITY),
        ("admin.yaml", ADMIN_USER),
        ("automount.yaml", AUTOMOUNT),
    ]);
    copy_tree(&repo_root().join("builtins"), &tmp.path().join("builtins"));
    tmp
}

const WI_LINE: &str = "TST-01 test-workload-identity: agrees with built-in Azure Kubernetes Service Clusters should enable workload identity on 2 of 3 cases; differs on: issuer off (ours: Audit, built-in: none)";
const ADMIN_LINE: &str = "TST-02 test-admin-user: agrees with built-in Container registries should have local admin account disabled on 3 of 3 cases";
const AUTOMOUNT_LINE: &str = "TST-03 test-automount: agrees with built-in Kubernetes clusters should disable automounting API credentials on 2 of 3 cases; differs on: in kube-system (ours: violation, built-in: none)";

fn compared(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.contains(": agrees with built-in ") || l.contains(": cannot compare"))
        .collect()
}

#[test]
fn compare_builtin_prints_agreement_and_differences() {
    let tmp = project();
    let run = policybook(tmp.path(), &["test", "--compare-builtin"]);
    // A difference is information: the run passes.
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        compared(&run.stdout),
        [WI_LINE, ADMIN_LINE, AUTOMOUNT_LINE],
        "{}",
        run.stdout
    );
    // Without the flag nothing is compared.
    let run = policybook(tmp.path(), &["test"]);
    assert!(compared(&run.stdout).is_empty(), "{}", run.stdout);
}

#[test]
fn a_filter_compares_only_the_selected_cases() {
    let tmp = project();
    let run = policybook(tmp.path(), &["test", "--compare-builtin", "issuer off"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        compared(&run.stdout),
        [
            "TST-01 test-workload-identity: agrees with built-in Azure Kubernetes Service Clusters should enable workload identity on 0 of 1 cases; differs on: issuer off (ours: Audit, built-in: none)",
            "TST-02 test-admin-user: agrees with built-in Container registries should have local admin account disabled on 0 of 0 cases",
            "TST-03 test-automount: agrees with built-in Kubernetes clusters should disable automounting API credentials on 0 of 0 cases",
        ],
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_definition_is_named_and_no_folder_means_no_comparison() {
    let tmp = project();
    std::fs::remove_file(
        tmp.path()
            .join("builtins/2cc2e023-0dac-4046-875b-178f683929d5.json"),
    )
    .unwrap();
    let run = policybook(tmp.path(), &["test", "--compare-builtin", "TST-01"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        compared(&run.stdout)[0],
        "TST-01 test-workload-identity: cannot compare with built-in 2cc2e023-0dac-4046-875b-178f683929d5: builtins/2cc2e023-0dac-4046-875b-178f683929d5.json is missing: vendor the definition there"
    );
    std::fs::remove_dir_all(tmp.path().join("builtins")).unwrap();
    let run = policybook(tmp.path(), &["test", "--compare-builtin"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert!(
        run.stdout.ends_with(
            "\nno built-in compared: 3 rule(s) name one; vendor their definitions in builtins/ (see the README)\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn json_carries_the_comparisons() {
    let tmp = project();
    let run = policybook(
        tmp.path(),
        &["test", "--compare-builtin", "--format", "json", "TST-01"],
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        v["builtins"][0],
        serde_json::json!({
            "rule_id": "TST-01",
            "builtin": "2cc2e023-0dac-4046-875b-178f683929d5",
            "display_name": "Azure Kubernetes Service Clusters should enable workload identity",
            "agreed": 2,
            "total": 3,
            "differences": [{"case": "issuer off", "ours": "Audit", "builtin": "none"}],
            "error": null,
        })
    );
    // Without the flag the JSON report is as before.
    let plain = policybook(tmp.path(), &["test", "--format", "json", "TST-01"]);
    let v: serde_json::Value = serde_json::from_str(&plain.stdout).expect("JSON");
    assert!(v.get("builtins").is_none());
}

#[test]
fn the_policy_page_shows_the_sentence() {
    let tmp = project();
    // The policy pages come from the `policybook:policies` entry of SUMMARY.md.
    std::fs::write(
        tmp.path().join("content/SUMMARY.md"),
        "# Summary\n\n- [Home](index.md)\n- [Policy reference](policybook:policies)\n",
    )
    .unwrap();
    let run = policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    let page = std::fs::read_to_string(
        tmp.path()
            .join("dist/site/policies/test-workload-identity.html"),
    )
    .unwrap();
    assert!(page.contains(
        "<p class=\"builtin-comparison\">On this rule's test cases, policybook agrees with built-in Azure Kubernetes Service Clusters should enable workload identity on 2 of 3 cases; differs on: issuer off (ours: Audit, built-in: none).</p>"
    ), "{page}");
}

#[test]
fn every_shipped_rule_naming_a_built_in_is_compared() {
    let run = policybook(&repo_root(), &["test", "--compare-builtin"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let lines = compared(&run.stdout);
    assert_eq!(lines.len(), 9, "{}", run.stdout);
    assert!(
        lines.iter().all(|l| l.contains(": agrees with built-in ")),
        "every vendored built-in compiles and runs:\n{}",
        run.stdout
    );
}

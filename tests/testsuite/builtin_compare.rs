//! `policybook test --compare-builtin` (issue 11, item 5): the Azure built-in
//! each rule names, vendored in builtins/, evaluated on the rule's own cases
//! with policybook's engine; the sentence is printed and shown on the policy page.

use crate::common::{copy_project, policybook, repo_root};

const AKS_04: &str = "AKS-04 aks-workload-identity-enabled: agrees with built-in Azure Kubernetes Service Clusters should enable workload identity on 6 of 7 cases; differs on: workload identity on but OIDC issuer off is audited (ours: Audit, built-in: none)";
const K8S_07: &str = "K8S-07 k8s-no-automount-token: agrees with built-in Kubernetes clusters should disable automounting API credentials on 7 of 7 cases";
const ACR_01: &str = "ACR-01 acr-admin-user-disabled: agrees with built-in Container registries should have local admin account disabled on 5 of 5 cases";

#[test]
fn compare_builtin_prints_agreement_and_differences() {
    let run = policybook(&repo_root(), &["test", "--compare-builtin"]);
    assert_eq!(
        run.code, 0,
        "a difference is not a failure:\n{}{}",
        run.stdout, run.stderr
    );
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(": agrees with built-in ") || l.contains("cannot compare"))
        .collect();
    assert_eq!(
        lines.len(),
        9,
        "one line per rule naming a built-in:\n{}",
        run.stdout
    );
    // An ARM built-in that differs on one case, a Kubernetes one (its template) that
    // agrees everywhere, an ARM one that agrees everywhere.
    assert!(lines.contains(&AKS_04), "{lines:#?}");
    assert!(lines.contains(&K8S_07), "{lines:#?}");
    assert!(lines.contains(&ACR_01), "{lines:#?}");
}

#[test]
fn a_filter_compares_only_the_selected_cases() {
    let run = policybook(
        &repo_root(),
        &["test", "--compare-builtin", "OIDC issuer off"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert!(run.stdout.contains(
        "AKS-04 aks-workload-identity-enabled: agrees with built-in Azure Kubernetes Service Clusters should enable workload identity on 0 of 1 cases; differs on: workload identity on but OIDC issuer off is audited (ours: Audit, built-in: none)"
    ), "{}", run.stdout);
}

#[test]
fn without_the_vendored_folder_nothing_is_compared_and_a_missing_file_is_named() {
    let tmp = copy_project(&["book.toml", "content", "policies", "builtins"]);
    std::fs::remove_file(
        tmp.path()
            .join("builtins/2cc2e023-0dac-4046-875b-178f683929d5.json"),
    )
    .unwrap();
    let run = policybook(tmp.path(), &["test", "--compare-builtin", "AKS-04"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert!(run.stdout.contains(
        "AKS-04 aks-workload-identity-enabled: cannot compare with built-in 2cc2e023-0dac-4046-875b-178f683929d5: builtins/2cc2e023-0dac-4046-875b-178f683929d5.json is missing: vendor the definition there"
    ), "{}", run.stdout);
    std::fs::remove_dir_all(tmp.path().join("builtins")).unwrap();
    let run = policybook(tmp.path(), &["test", "--compare-builtin", "AKS-04"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert!(
        run.stdout.contains("no built-in compared: 9 rule(s) name one; vendor their definitions in builtins/ (see the README)"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_carries_the_comparisons() {
    let run = policybook(
        &repo_root(),
        &["test", "--compare-builtin", "--format", "json", "AKS-04"],
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let b = v["builtins"].as_array().expect("builtins array");
    let aks = b.iter().find(|x| x["rule_id"] == "AKS-04").expect("AKS-04");
    assert_eq!(aks["agreed"], 6);
    assert_eq!(aks["total"], 7);
    assert_eq!(
        aks["differences"],
        serde_json::json!([{"case": "workload identity on but OIDC issuer off is audited", "ours": "Audit", "builtin": "none"}])
    );
    // Without the flag the JSON report is as before.
    let plain = policybook(&repo_root(), &["test", "--format", "json", "AKS-04"]);
    let v: serde_json::Value = serde_json::from_str(&plain.stdout).expect("JSON");
    assert!(v.get("builtins").is_none());
}

#[test]
fn the_policy_page_shows_the_sentence() {
    let tmp = copy_project(&["book.toml", "content", "policies", "builtins", "themes"]);
    let run = policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    let page = std::fs::read_to_string(
        tmp.path()
            .join("dist/site/policies/aks-workload-identity-enabled.html"),
    )
    .unwrap();
    assert!(page.contains(
        "<p class=\"builtin-comparison\">On this rule's test cases, policybook agrees with built-in Azure Kubernetes Service Clusters should enable workload identity on 6 of 7 cases; differs on: workload identity on but OIDC issuer off is audited (ours: Audit, built-in: none).</p>"
    ), "{}", page);
}

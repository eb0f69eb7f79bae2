//! Bad rule sources: each gets a `file:line:col` error saying what is wrong and
//! what to do, exit code 2, and `dist/` stays exactly as it was.

use crate::common;
use common::{rule_project as project, GOOD_RULE as GOOD};

use std::path::Path;

use common::policybook;

fn dist_untouched(root: &Path) {
    let files: Vec<String> = walkdir::WalkDir::new(root.join("dist"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        files,
        vec!["dist/azure/sentinel.json".to_string()],
        "dist/ holds only what was there"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("dist/azure/sentinel.json")).unwrap(),
        "{\"kept\": true}\n"
    );
    // No staging folder is left behind either.
    let leftovers: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Runs `build` and returns stderr, asserting exit 2 and an untouched dist/.
fn build_fails(rules: &[(&str, &str)]) -> String {
    let p = project(rules);
    let run = policybook(p.path(), &["build"]);
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    dist_untouched(p.path());
    // `test` refuses to run on the same input, with the same messages.
    let t = policybook(p.path(), &["test"]);
    assert_eq!(t.code, 2);
    assert_eq!(t.stderr.lines().next(), run.stderr.lines().next());
    run.stderr
}

#[test]
fn the_good_rule_builds() {
    let p = project(&[("good.yaml", GOOD)]);
    let run = policybook(p.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p
        .path()
        .join("dist/azure/definitions/test-local-accounts.json")
        .is_file());
    assert!(
        !p.path().join("dist/azure/sentinel.json").exists(),
        "a successful build replaces dist/ whole"
    );
}

#[test]
fn malformed_yaml() {
    let bad = GOOD.replace(
        "title: Local accounts are disabled",
        "title: [Local accounts are disabled",
    );
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(
        err.contains(
            "policies/bad.yaml:4:5: error: malformed YAML: did not find expected ',' or ']'"
        ),
        "{err}"
    );
    assert!(err.contains("error: malformed YAML"), "{err}");
    assert!(err.contains("help: fix the YAML syntax"), "{err}");
}

#[test]
fn unknown_keys_are_all_reported_with_a_suggestion() {
    let bad = GOOD
        .replace("summary: Test rule.", "summary: Test rule.\ntitel: typo")
        .replace(
            "    expect: Audit",
            "    expect: Audit\n    expected: Audit",
        );
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(
        err.contains("policies/bad.yaml:7:1: error: unknown key `titel`"),
        "{err}"
    );
    assert!(err.contains("did you mean `title`?"), "{err}");
    assert!(
        err.contains("policies/bad.yaml:22:5: error: unknown key `expected`"),
        "{err}"
    );
    assert!(err.contains("did you mean `expect`?"), "{err}");
}

#[test]
fn wrong_type() {
    let bad = GOOD.replace("  effects: [Audit, Deny, Disabled]", "  effects: Audit");
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(err.contains("policies/bad.yaml:10:"), "{err}");
    assert!(
        err.contains(
            "error: wrong type: azure.effects: invalid type: string \"Audit\", expected a sequence"
        ),
        "{err}"
    );
}

#[test]
fn unknown_severity_value() {
    let bad = GOOD.replace("severity: high", "severity: urgent");
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(
        err.contains("policies/bad.yaml:5:11: error: unknown severity `urgent`"),
        "{err}"
    );
}

#[test]
fn duplicate_id_and_name() {
    let other = GOOD.replace("name: test-local-accounts", "name: test-other");
    let err = build_fails(&[("a.yaml", GOOD), ("b.yaml", &other)]);
    assert!(err.contains("policies/b.yaml:1:5: error: duplicate control id `TST-01`: policies/a.yaml:1:5 already uses it"), "{err}");
    let same_name = GOOD.replace("id: TST-01", "id: TST-02");
    let err = build_fails(&[("a.yaml", GOOD), ("b.yaml", &same_name)]);
    assert!(err.contains("policies/b.yaml:2:7: error: duplicate rule name `test-local-accounts`: policies/a.yaml:2:7 already uses it"), "{err}");
}

#[test]
fn effect_list_without_a_default() {
    let bad = GOOD.replace("  effects: [Audit, Deny, Disabled]", "  effects: []");
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(
        err.contains("policies/bad.yaml:10:12: error: effect list has no default: it is empty"),
        "{err}"
    );
    assert!(err.contains("the first is the default"), "{err}");
    let bad = GOOD.replace(
        "  effects: [Audit, Deny, Disabled]",
        "  effects: [Audit, Disabled]\n  effect: Deny",
    );
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(err.contains("policies/bad.yaml:11:11: error: default effect `Deny` is not in the effect list [Audit, Disabled]"), "{err}");
}

#[test]
fn unknown_alias_names_the_place_and_the_nearest_alias() {
    let bad = GOOD.replace(
        "managedClusters/disableLocalAccounts",
        "managedClusters/disableLocalAcounts",
    );
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(
        err.contains("policies/bad.yaml:15:16: error: unknown alias `Microsoft.ContainerService/managedClusters/disableLocalAcounts`"),
        "{err}"
    );
    assert!(
        err.contains(
            "did you mean `Microsoft.ContainerService/managedClusters/disableLocalAccounts`?"
        ),
        "{err}"
    );
}

#[test]
fn condition_the_azure_policy_parser_rejects() {
    let bad = GOOD.replace("        notEquals: true", "        notEqualz: true");
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(err.contains("policies/bad.yaml:16:9: error: Azure Policy rejects the condition: unrecognized key \"notEqualz\""), "{err}");
    assert!(
        err.contains("notEqualz"),
        "regorus's message names the operator: {err}"
    );
}

#[test]
fn test_pointing_at_a_missing_sample() {
    let bad = GOOD.replace(
        "samples/arm/aks/service-principal-cluster.json",
        "samples/arm/aks/nope.json",
    );
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(
        err.contains(
            "policies/bad.yaml:19:15: error: sample `samples/arm/aks/nope.json`: cannot read it"
        ),
        "{err}"
    );
    assert!(
        err.contains("paths are relative to the policies folder"),
        "{err}"
    );
}

#[test]
fn expected_effect_the_rule_does_not_allow() {
    let bad = GOOD.replace("    expect: Audit", "    expect: Modify");
    let err = build_fails(&[("bad.yaml", &bad)]);
    assert!(err.contains("policies/bad.yaml:20:13: error: expected effect `Modify` is not one the rule allows (Audit, Deny, Disabled)"), "{err}");
}

#[test]
fn every_problem_of_every_file_in_one_run() {
    let a = GOOD.replace("severity: high", "severity: high\nowner: me");
    let b = GOOD
        .replace("id: TST-01", "id: TST-02")
        .replace("name: test-local-accounts", "name: test-b")
        .replace(
            "samples/arm/aks/service-principal-cluster.json",
            "samples/missing.json",
        );
    let c = GOOD
        .replace("id: TST-01", "id: TST-03")
        .replace("name: test-local-accounts", "name: test-c")
        .replace("area: cluster-access", "area: nowhere");
    let err = build_fails(&[("a.yaml", &a), ("b.yaml", &b), ("c.yaml", &c)]);
    assert!(
        err.contains("policies/a.yaml:6:1: error: unknown key `owner`"),
        "{err}"
    );
    assert!(
        err.contains("policies/b.yaml:19:15: error: sample `samples/missing.json`"),
        "{err}"
    );
    assert!(
        err.contains("policies/c.yaml:4:7: error: unknown area `nowhere`"),
        "{err}"
    );
    assert!(err.contains("3 error(s); nothing was written"), "{err}");
}

#[test]
fn mode_that_cannot_reach_the_type_is_a_warning() {
    let rule = GOOD
        .replace(
            "Microsoft.ContainerService/managedClusters\n",
            "Microsoft.Authorization/roleAssignments\n",
        )
        .replace(
            "Microsoft.ContainerService/managedClusters/disableLocalAccounts",
            "Microsoft.Authorization/roleAssignments/principalType",
        )
        .replace(
            "        notEquals: true",
            "        equals: ServicePrincipal",
        )
        .replace(
            "samples/arm/aks/service-principal-cluster.json",
            "samples/arm/rbac/contributor-sp-subscription.json",
        )
        .replace("    expect: Audit", "    expect: none");
    let p = project(&[("rule.yaml", &rule)]);
    let run = policybook(p.path(), &["test"]);
    assert!(
        run.stderr.contains("policies/rule.yaml:9:9: warning: mode Indexed never evaluates `Microsoft.Authorization/roleAssignments`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("set `mode: All`"));
    // The runner applies Azure's gate: the Indexed definition never fires on a
    // role assignment, so the case passes and the missing-case lint fails the run.
    assert!(run.stdout.ends_with("1 passed, 0 failed, 0 skipped\n"));
    assert!(run.stderr.contains("has no Azure test case where it fires"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    // With mode All the same case fires (and a user's assignment does not).
    let all = rule
        .replace("mode: Indexed", "mode: All")
        .replace("    expect: none", "    expect: Audit")
        + "  - name: a user's assignment\n    resource: samples/arm/rbac/owner-user-subscription.json\n    expect: none\n";
    let p = project(&[("rule.yaml", &all)]);
    let run = policybook(p.path(), &["test"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("warning"));
}

#[test]
fn invalid_book_toml() {
    let p = project(&[("good.yaml", GOOD)]);
    let toml = std::fs::read_to_string(p.path().join("book.toml"))
        .unwrap()
        .replace("[policybook]\n", "[policybook]\npolicy-dir = \"x\"\n");
    std::fs::write(p.path().join("book.toml"), toml).unwrap();
    let run = policybook(p.path(), &["build"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("book.toml:9:1: error: invalid book.toml: unknown field `policy-dir`"),
        "{}",
        run.stderr
    );
    dist_untouched(p.path());
}

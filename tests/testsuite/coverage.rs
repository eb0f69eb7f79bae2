//! `policybook test --coverage`: Azure leaf and branch coverage and Rego line
//! coverage of small rules worked out by hand, the JSON report's shape,
//! `--min-coverage` exit codes, exceptions, the policy page's section, and
//! every shipped rule at 100 %.

use serde_json::Value;

use crate::common::{self, policybook, read_json, rule_project};

/// An Azure rule whose cases leave known gaps. Leaves: type (L0), local
/// accounts notEquals true (L1), aadProfile.managed exists false (L2).
/// Cases: A {disableLocalAccounts: false} → L0 T, L1 T, L2 T (fires);
/// C {… aadProfile.managed: true} → T, T, F (fires); D a registry → F, T, T.
/// So L1 is never false; `anyOf[1]` decides only when L1 is false: never.
const AZURE_RULE: &str = r#"id: COV-01
name: cov-azure
title: Coverage test rule
area: cluster-access
severity: high
summary: Test rule.
checklist: Test.
azure:
  mode: Indexed
  effects: [Audit, Deny, Disabled]
  if:
    allOf:
      - field: type
        equals: Microsoft.ContainerService/managedClusters
      - anyOf:
          - field: Microsoft.ContainerService/managedClusters/disableLocalAccounts
            notEquals: true
          - field: Microsoft.ContainerService/managedClusters/aadProfile.managed
            exists: false
tests:
  - name: local accounts on
    object: { type: Microsoft.ContainerService/managedClusters, name: a, location: westeurope, properties: { disableLocalAccounts: false } }
    expect: Audit
  - name: local accounts on with managed Entra
    object: { type: Microsoft.ContainerService/managedClusters, name: c, location: westeurope, properties: { disableLocalAccounts: false, aadProfile: { managed: true } } }
    expect: Audit
  - name: a registry is not a cluster
    resource: samples/arm/acr/compliant-registry.json
    expect: none
"#;

/// A Kubernetes rule whose second `violation` body never holds: its head
/// (line 8) and its message (line 10) never run; its condition (line 9) does.
const REGO_RULE: &str = r#"id: COV-02
name: cov-rego
title: Coverage test rule for Rego
area: cluster-access
severity: high
summary: Test rule.
checklist: Test.
kubernetes:
  kind: K8sCovTest
  match:
    kinds: [{ apiGroups: [""], kinds: [Pod] }]
  rego: |
    package k8scovtest

    violation[{"msg": msg}] {
      input.review.object.metadata.labels.team == "x"
      msg := "team x"
    }

    violation[{"msg": msg}] {
      input.review.object.metadata.labels.team == "never"
      msg := "never"
    }
tests:
  - name: team x is denied
    object: { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: a, labels: { team: x } } }
    expect: { violations: 1 }
  - name: team y is allowed
    object: { apiVersion: v1, kind: Pod, metadata: { name: q, namespace: a, labels: { team: y } } }
    expect: { violations: no }
"#;

/// 1-based line of the first line of `text` containing `needle`, and the column of it.
fn place_of(text: &str, needle: &str) -> (usize, usize) {
    let (i, l) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the rule"));
    (i + 1, l.find(needle).unwrap() + 1)
}

fn coverage_json(root: &std::path::Path, extra: &[&str]) -> (common::Run, Value) {
    let out = root.join("coverage.json");
    let mut args = vec!["test", "--coverage-json", out.to_str().unwrap()];
    args.extend(extra);
    let run = policybook(root, &args);
    let v = read_json(&out);
    (run, v)
}

fn rule<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {report}"))
}

#[test]
fn azure_leaves_and_branches_of_a_small_rule_are_counted_as_by_hand() {
    let p = rule_project(&[("cov-azure.yaml", AZURE_RULE)]);
    let (run, v) = coverage_json(p.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let r = rule(&v, "COV-01");
    let at = |needle: &str| {
        let (l, c) = place_of(AZURE_RULE, needle);
        format!("policies/cov-azure.yaml:{l}:{c}")
    };
    let leaves: Vec<(String, String, u64, u64)> = r["azure"]["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["path"].as_str().unwrap().to_string(),
                l["location"].as_str().unwrap().to_string(),
                l["true"].as_u64().unwrap(),
                l["false"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        leaves,
        [
            ("policyRule.if.allOf[0]".into(), at("field: type"), 2, 1),
            (
                "policyRule.if.allOf[1].anyOf[0]".into(),
                at("field: Microsoft.ContainerService/managedClusters/disableLocalAccounts"),
                3,
                0
            ),
            (
                "policyRule.if.allOf[1].anyOf[1]".into(),
                at("field: Microsoft.ContainerService/managedClusters/aadProfile"),
                2,
                1
            ),
        ]
    );
    let branches: Vec<(&str, u64)> = r["azure"]["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["path"].as_str().unwrap(), b["decisive"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        branches,
        [
            ("policyRule.if.allOf[0]", 3),
            ("policyRule.if.allOf[1]", 2),
            ("policyRule.if.allOf[1].anyOf[0]", 1),
            ("policyRule.if.allOf[1].anyOf[1]", 0),
        ]
    );
    assert_eq!(r["azure"]["branches"][1]["location"], at("anyOf:"));
    // 3 leaves × 2 + 4 branches = 10 items; L1 false and anyOf[1] missing.
    assert_eq!(
        (r["items"].as_u64(), r["covered"].as_u64()),
        (Some(10), Some(8))
    );
    assert_eq!(r["percent"], 80.0);
    assert_eq!(r["azure"]["cases"], 3);
    // The human report lists the two gaps under the rule.
    let run = policybook(p.path(), &["test", "--coverage"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("  COV-01    80.0%  8/10  cov-azure\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!(
        "leaf policyRule.if.allOf[1].anyOf[0] at {} never false: {{\"field\":\"Microsoft.ContainerService/managedClusters/disableLocalAccounts\",\"notEquals\":\"true\"}}\n",
        at("field: Microsoft.ContainerService/managedClusters/disableLocalAccounts")
    )), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "branch policyRule.if.allOf[1].anyOf[1] at {} never decisive\n",
            at("field: Microsoft.ContainerService/managedClusters/aadProfile")
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("overall 80.0% (8 of 10 items in 1 rule(s))\n"),
        "{}",
        run.stdout
    );
    // Without the flag there is no coverage report.
    let plain = policybook(p.path(), &["test"]);
    assert!(!plain.stdout.contains("coverage"), "{}", plain.stdout);
}

#[test]
fn rego_lines_of_a_small_rule_are_counted_as_by_hand() {
    let p = rule_project(&[("cov-rego.yaml", REGO_RULE)]);
    let (run, v) = coverage_json(p.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let r = rule(&v, "COV-02");
    assert!(r["azure"].is_null());
    let m = &r["rego"]["modules"][0];
    assert_eq!(m["module"], "rego");
    assert_eq!(m["covered"], serde_json::json!([3, 4, 5, 9]));
    let (rego_line, _) = place_of(REGO_RULE, "rego: |");
    let uncovered: Vec<(u64, String, String)> = m["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["location"].as_str().unwrap().to_string(),
                l["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        uncovered,
        [
            (
                8,
                format!("policies/cov-rego.yaml:{}:5", rego_line + 8),
                "violation[{\"msg\": msg}] {".to_string()
            ),
            (
                10,
                format!("policies/cov-rego.yaml:{}:7", rego_line + 10),
                "msg := \"never\"".to_string()
            ),
        ]
    );
    assert_eq!(m["lines"], 6);
    assert_eq!(r["rego"]["cases"], 2);
    assert_eq!(r["percent"], 66.6);
}

#[test]
fn the_json_report_has_this_shape() {
    let p = rule_project(&[("cov-azure.yaml", AZURE_RULE), ("cov-rego.yaml", REGO_RULE)]);
    let (_, v) = coverage_json(p.path(), &[]);
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&v), ["summary", "rules"]);
    assert_eq!(
        keys(&v["summary"]),
        ["rules", "items", "covered", "excepted", "percent"]
    );
    assert_eq!(v["summary"]["rules"], 2);
    assert_eq!(v["summary"]["items"], 16);
    assert_eq!(v["summary"]["covered"], 12);
    assert_eq!(v["summary"]["percent"], 75.0);
    let a = rule(&v, "COV-01");
    assert_eq!(
        keys(a),
        [
            "id", "name", "file", "items", "covered", "excepted", "percent", "azure", "rego",
            "notes"
        ]
    );
    assert_eq!(a["file"], "policies/cov-azure.yaml");
    assert_eq!(keys(&a["azure"]), ["cases", "leaves", "branches"]);
    assert_eq!(
        keys(&a["azure"]["leaves"][0]),
        ["path", "location", "condition", "true", "false"]
    );
    assert_eq!(
        a["azure"]["leaves"][0]["condition"],
        "{\"field\":\"type\",\"equals\":\"Microsoft.ContainerService/managedClusters\"}"
    );
    assert_eq!(
        keys(&a["azure"]["branches"][0]),
        ["path", "location", "decisive"]
    );
    let k = rule(&v, "COV-02");
    assert_eq!(keys(&k["rego"]), ["cases", "modules"]);
    assert_eq!(
        keys(&k["rego"]["modules"][0]),
        ["module", "lines", "covered", "uncovered", "exceptions"]
    );
    assert_eq!(
        keys(&k["rego"]["modules"][0]["uncovered"][0]),
        ["line", "location", "code"]
    );
    // `--format json` carries the same report under `coverage`.
    let run = policybook(p.path(), &["test", "--format", "json", "--coverage"]);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["coverage"], v);
    assert_eq!(out["summary"]["total"], 5);
}

#[test]
fn min_coverage_fails_below_the_threshold_and_names_the_rules() {
    let p = rule_project(&[("cov-azure.yaml", AZURE_RULE), ("cov-rego.yaml", REGO_RULE)]);
    let run = policybook(p.path(), &["test", "--min-coverage", "70"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("error: coverage below --min-coverage 70% in 1 rule(s) (overall 75.0%):\n  COV-02 66.6% (policies/cov-rego.yaml) — "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("COV-01"), "{}", run.stderr);
    let run = policybook(p.path(), &["test", "--min-coverage", "66.6"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = policybook(p.path(), &["test", "--min-coverage", "100%"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("in 2 rule(s)"), "{}", run.stderr);
    for bad in ["101", "-1", "most"] {
        let arg = format!("--min-coverage={bad}");
        let run = policybook(p.path(), &["test", &arg]);
        assert_eq!(run.code, 2, "{bad}");
        assert!(
            run.stderr.contains("is not a percentage from 0 to 100"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn exceptions_leave_items_out_and_stale_ones_are_noted() {
    // L1's missing `false` is declared; the type leaf is covered, so its comment is stale.
    let azure = AZURE_RULE
        .replace(
            "      - field: Microsoft.ContainerService/managedClusters/disableLocalAccounts",
            "      - field: Microsoft.ContainerService/managedClusters/disableLocalAccounts # coverage-exception: no case turns local accounts off",
        )
        .replace(
            "      - field: type",
            "      - field: type # coverage-exception: stale",
        );
    let rego = REGO_RULE.replace(
        "      msg := \"never\"",
        "      msg := \"never\" # coverage-exception: kept to show an exception",
    );
    let p = rule_project(&[("cov-azure.yaml", &azure), ("cov-rego.yaml", &rego)]);
    let (_, v) = coverage_json(p.path(), &[]);
    let a = rule(&v, "COV-01");
    assert_eq!(
        a["azure"]["leaves"][1]["exception"],
        "no case turns local accounts off"
    );
    assert_eq!(
        (
            a["items"].as_u64(),
            a["covered"].as_u64(),
            a["excepted"].as_u64()
        ),
        (Some(10), Some(8), Some(1))
    );
    assert_eq!(a["percent"], 88.8);
    let (l, c) = place_of(&azure, "field: type");
    assert_eq!(
        a["notes"],
        serde_json::json!([format!("policies/cov-azure.yaml:{l}:{c}: `# coverage-exception:` on a leaf the cases cover; remove the comment")])
    );
    let m = &rule(&v, "COV-02")["rego"]["modules"][0];
    assert_eq!(m["exceptions"][0]["line"], 10);
    assert_eq!(m["exceptions"][0]["reason"], "kept to show an exception");
    assert_eq!(m["uncovered"].as_array().unwrap().len(), 1);
    assert_eq!(rule(&v, "COV-02")["percent"], 80.0);
}

#[test]
fn the_policy_page_shows_the_gaps_the_build_measured() {
    let p = rule_project(&[("cov-azure.yaml", AZURE_RULE)]);
    std::fs::write(
        p.path().join("content/SUMMARY.md"),
        "# Summary\n\n- [Home](index.md)\n- [Policies](policybook:policies)\n",
    )
    .unwrap();
    let run = policybook(p.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(p.path().join("dist/site/policies/cov-azure.html")).unwrap();
    assert!(page.contains("Test coverage"), "{page}");
    assert!(
        page.contains(
            "<p class=\"coverage-summary\">80.0% (8 of 10) of the Azure condition leaves"
        ),
        "{page}"
    );
    let (l, c) = place_of(
        AZURE_RULE,
        "field: Microsoft.ContainerService/managedClusters/aadProfile",
    );
    assert!(
        page.contains(&format!("<li><code>branch policyRule.if.allOf[1].anyOf[1] at policies/cov-azure.yaml:{l}:{c} never decisive</code></li>")),
        "{page}"
    );
    assert_eq!(page.matches("<li><code>").count(), 2, "{page}");
}

#[test]
fn every_shipped_rule_is_fully_covered() {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("coverage.json");
    let run = policybook(
        &common::repo_root(),
        &[
            "test",
            "--coverage-json",
            file.to_str().unwrap(),
            "--min-coverage",
            "100",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = read_json(&file);
    let shipped = std::fs::read_dir(common::repo_root().join("policies"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        // The exemptions file sits beside the rules but is not one.
        .filter(|e| e.as_ref().unwrap().file_name() != "exemptions.yaml")
        .count();
    assert_eq!(v["summary"]["rules"], shipped);
    for r in v["rules"].as_array().unwrap() {
        assert_eq!(r["percent"], 100.0, "{r}");
        assert_eq!(r["notes"], serde_json::json!([]), "{r}");
        // Declared exceptions, if any, say why.
        for m in r["rego"]["modules"].as_array().into_iter().flatten() {
            for e in m["exceptions"].as_array().unwrap() {
                assert!(!e["reason"].as_str().unwrap().is_empty(), "{r}");
            }
        }
        for l in r["azure"]["leaves"].as_array().into_iter().flatten() {
            assert!(l["exception"].as_str().is_none_or(|s| !s.is_empty()), "{r}");
        }
        // Every leaf was seen both ways by some case, or excepted.
        for l in r["azure"]["leaves"].as_array().into_iter().flatten() {
            let seen = l["true"].as_u64().unwrap() > 0 && l["false"].as_u64().unwrap() > 0;
            assert!(seen || l["exception"].is_string(), "{l}");
        }
    }
}

#[test]
fn a_slow_case_is_cut_at_the_rego_time_limit_and_noted() {
    // The fixture of `rego_limits`: one case runs past the limit, one is quick.
    let fixture = common::repo_root().join("tests/fixtures/gatekeeper");
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture.join("project"), tmp.path());
    std::fs::copy(
        fixture.join("limits/slow.yaml"),
        tmp.path().join("policies/k8s-good.yaml"),
    )
    .unwrap();
    let book = tmp.path().join("book.toml");
    let text = std::fs::read_to_string(&book).unwrap().replace(
        "output = \"dist\"\n",
        "output = \"dist\"\nrego-timeout = \"1s\"\n",
    );
    std::fs::write(&book, text).unwrap();
    let (run, v) = coverage_json(tmp.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let r = rule(&v, "FX-01");
    assert_eq!(r["rego"]["cases"], 1, "{r}");
    assert_eq!(
        r["notes"],
        serde_json::json!(["case `unlabelled pod is denied` (policies/k8s-good.yaml:30:11): evaluation exceeded the 1 s limit set by [policybook] rego-timeout in book.toml; make the Rego cheaper or raise the limit"])
    );
}

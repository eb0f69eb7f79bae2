//! `check --format sarif` and `--format github` place each finding at its
//! resource in the input file; the SARIF log is valid SARIF 2.1.0; the CI
//! examples of the handbook use only flags the binary accepts; and `test`
//! fails on a rule that lacks a firing or a non-firing case.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common;

use common::{copy_tree, policybook, repo_root, rule_project, ARM_TEMPLATE as TEMPLATE, GOOD_RULE};

/// Two YAML documents: a pod at 2:1, then a `List` whose one item starts at 20:5.
fn manifests() -> String {
    let sample = |name: &str| {
        std::fs::read_to_string(repo_root().join("policies/samples/k8s").join(name)).unwrap()
    };
    let item: String = sample("pod-client-secret.yaml")
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("  - {l}\n")
            } else {
                format!("    {l}\n")
            }
        })
        .collect();
    format!(
        "# rendered by helm\n{}---\napiVersion: v1\nkind: List\nitems:\n{item}",
        sample("pod-aadpodidbinding.yaml")
    )
}

/// The shipped project with `site-url` set, and the two inputs under it.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&repo_root().join("policies"), &root.join("policies"));
    let book = std::fs::read_to_string(repo_root().join("book.toml")).unwrap();
    let book = book.replace(
        "[output.html]\n",
        "[output.html]\nsite-url = \"https://example.org/handbook/\"\n",
    );
    assert!(book.contains("site-url"));
    std::fs::write(root.join("book.toml"), book).unwrap();
    std::fs::create_dir_all(root.join("infra")).unwrap();
    std::fs::create_dir_all(root.join("k8s")).unwrap();
    std::fs::write(root.join("infra/main.json"), TEMPLATE).unwrap();
    std::fs::write(root.join("k8s/pods.yaml"), manifests()).unwrap();
    tmp
}

/// Runs the binary in `dir`, with the inputs named relative to it.
fn check_in(dir: &Path, args: &[&str]) -> common::Run {
    let out = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// (ruleId, level, uri, line, column) of every result.
fn placed(log: &Value) -> Vec<(String, String, String, u64, u64)> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let l = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
                l["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                l["region"]["startLine"].as_u64().unwrap(),
                l["region"]["startColumn"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The level a Gatekeeper enforcement action must give.
fn k8s_level(action: &str) -> &'static str {
    match action {
        "deny" => "error",
        "warn" | "dryrun" => "warning",
        other => panic!("unexpected enforcement action {other}"),
    }
}

#[test]
fn sarif_places_findings_at_their_objects_and_validates() {
    let p = project();
    let run = check_in(
        p.path(),
        &["--format", "sarif", "infra/main.json", "k8s/pods.yaml"],
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let schema =
        common::read_json(&repo_root().join("tests/schemas/sarif/sarif-schema-2.1.0.json"));
    let errors = common::validate(&schema, None, &log);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(log["version"], "2.1.0");

    let results = placed(&log);
    let arm: Vec<_> = results
        .iter()
        .filter(|r| r.2 == "infra/main.json")
        .map(|r| (r.0.as_str(), r.1.as_str(), r.3, r.4))
        .collect();
    assert_eq!(
        arm,
        [("ACR-01", "warning", 5, 5), ("FIC-01", "warning", 13, 9)]
    );
    let k8s: Vec<_> = results
        .iter()
        .filter(|r| r.2 == "k8s/pods.yaml")
        .map(|r| (r.0.as_str(), r.3, r.4))
        .collect();
    assert_eq!(
        k8s,
        [("K8S-01", 2, 1), ("K8S-05", 20, 5), ("K8S-07", 20, 5)]
    );
    for r in log["runs"][0]["results"].as_array().unwrap() {
        let effect = r["properties"]["effect"].as_str().unwrap();
        if r["ruleId"].as_str().unwrap().starts_with("K8S") {
            assert_eq!(r["level"], k8s_level(effect), "{r}");
        }
        // ruleIndex points at the rule's descriptor.
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][i]["id"],
            r["ruleId"]
        );
    }

    // Rule metadata: every control, with its title and handbook page.
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 23);
    let acr = rules.iter().find(|r| r["id"] == "ACR-01").unwrap();
    assert_eq!(
        acr["shortDescription"]["text"],
        "Container registries have the admin user disabled"
    );
    assert_eq!(
        acr["helpUri"],
        "https://example.org/handbook/policies/acr-admin-user-disabled.html"
    );

    // Fingerprints are distinct, and stay when lines move around the resources.
    let fingerprints = |log: &Value| -> Vec<String> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["policybook/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let before = fingerprints(&log);
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len());
    std::fs::write(p.path().join("infra/main.json"), format!("\n\n{TEMPLATE}")).unwrap();
    std::fs::write(
        p.path().join("k8s/pods.yaml"),
        format!("# moved\n\n{}", manifests()),
    )
    .unwrap();
    let moved = check_in(
        p.path(),
        &["--format", "sarif", "infra/main.json", "k8s/pods.yaml"],
    );
    let moved: Value = serde_json::from_str(&moved.stdout).unwrap();
    assert_eq!(fingerprints(&moved), before);
    let lines: Vec<u64> = placed(&moved).iter().map(|r| r.3).collect();
    assert_eq!(lines, [7, 15, 4, 22, 22]);
}

#[test]
fn sarif_of_a_json_array_and_list_output_and_without_site_url() {
    let tmp = tempfile::tempdir().unwrap();
    let ra = std::fs::read_to_string(
        repo_root().join("policies/samples/arm/rbac/acrpull-on-resource-group.json"),
    )
    .unwrap();
    let ra: Value = serde_json::from_str(&ra).unwrap();
    let one = serde_json::to_string(&ra).unwrap();
    std::fs::write(
        tmp.path().join("array.json"),
        format!("[\n  {one},\n\n     {one}\n]\n"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("list é.json"),
        format!("\u{feff}{{\"value\": [{one}, {one}]}}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .current_dir(tmp.path())
        .arg("--root")
        .arg(repo_root())
        .args(["check", "--format", "sarif", "array.json", "list é.json"])
        .output()
        .unwrap();
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema =
        common::read_json(&repo_root().join("tests/schemas/sarif/sarif-schema-2.1.0.json"));
    assert!(common::validate(&schema, None, &log).is_empty());
    let results = placed(&log);
    let got: Vec<_> = results
        .iter()
        .map(|r| (r.0.as_str(), r.2.as_str(), r.3, r.4))
        .collect();
    let n = one.chars().count() as u64;
    assert_eq!(
        got,
        [
            ("RBAC-01", "array.json", 2, 3),
            ("RBAC-01", "array.json", 4, 6),
            // After the byte order mark and `{"value": [`; then `, `.
            ("RBAC-01", "list%20%C3%A9.json", 1, 12),
            ("RBAC-01", "list%20%C3%A9.json", 1, 12 + n + 2),
        ]
    );
    // No site-url: no helpUri.
    assert!(log["runs"][0]["tool"]["driver"]["rules"][0]
        .get("helpUri")
        .is_none());
}

#[test]
fn github_annotations_name_file_line_and_column() {
    let p = project();
    let run = check_in(
        p.path(),
        &["--format", "github", "infra/main.json", "k8s/pods.yaml"],
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "::warning file=infra/main.json,line=5,col=5,title=ACR-01 Container registries have the admin user disabled::ACR-01 (Audit): Container registries have the admin user disabled — Microsoft.ContainerRegistry/registries acrdev"
    );
    let k8s05 = lines.iter().find(|l| l.contains("title=K8S-05")).unwrap();
    assert!(
        k8s05.starts_with("::error file=k8s/pods.yaml,line=20,col=5,")
            || k8s05.starts_with("::warning file=k8s/pods.yaml,line=20,col=5,"),
        "{k8s05}"
    );
    // The violation message is on the same line, its newline escaped.
    assert!(k8s05.contains("v1/Pod shop/reports%0A"), "{k8s05}");
    let deny = lines.iter().filter(|l| l.starts_with("::error")).count();
    assert_eq!(
        *lines.last().unwrap(),
        format!("5 resource(s) checked, 5 finding(s), {deny} deny")
    );
}

// ---- the handbook's CI examples -------------------------------------------

/// The fenced blocks of `lang` in a Markdown text.
fn blocks(md: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for l in md.lines() {
        match &mut cur {
            None if l.trim_start() == format!("```{lang}") => cur = Some(String::new()),
            Some(b) if l.trim_start() == "```" => {
                out.push(std::mem::take(b));
                cur = None;
            }
            Some(b) => {
                b.push_str(l);
                b.push('\n');
            }
            None => {}
        }
    }
    out
}

/// A `policybook …` command of a script: its arguments and where `>` sends stdout.
#[derive(Debug)]
struct Cmd {
    args: Vec<String>,
    stdout_to: Option<String>,
}

fn policybook_commands(script: &str) -> Vec<Cmd> {
    let mut out = Vec::new();
    for line in script.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("policybook ") else {
            continue;
        };
        let mut args = Vec::new();
        let mut stdout_to = None;
        let mut words = rest.split_whitespace();
        while let Some(w) = words.next() {
            match w {
                ">" => stdout_to = words.next().map(String::from),
                "|" | "||" | "&&" | ";" => break,
                _ => args.push(w.trim_matches('"').to_string()),
            }
        }
        out.push(Cmd { args, stdout_to });
    }
    out
}

/// The `run:` (GitHub) and `script:` (Azure Pipelines) bodies of a YAML value.
fn scripts(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::Sequence(s) => s.iter().for_each(|x| scripts(x, out)),
        serde_yaml::Value::Mapping(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    (Some("run" | "script"), Some(body)) => out.push(body.to_string()),
                    _ => scripts(x, out),
                }
            }
        }
        _ => {}
    }
}

/// Whether the real binary's parser accepts the arguments (`--help` stops it
/// once everything before it parsed, so nothing runs).
fn accepted(args: &[String]) -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn the_ci_examples_parse_and_use_real_flags() {
    let md = std::fs::read_to_string(repo_root().join("content/policybook/ci.md")).unwrap();
    let docs: Vec<serde_yaml::Value> = blocks(&md, "yaml")
        .iter()
        .map(|b| serde_yaml::from_str(b).unwrap_or_else(|e| panic!("{e}\n{b}")))
        .collect();
    assert_eq!(docs.len(), 2, "a GitHub workflow and an Azure pipeline");
    let mut scripts = Vec::new();
    docs.iter().for_each(|d| self::scripts(d, &mut scripts));
    scripts.extend(blocks(&md, "bash"));
    let cmds: Vec<Cmd> = scripts
        .iter()
        .flat_map(|s| policybook_commands(s))
        .collect();
    for c in &cmds {
        if let Err(e) = accepted(&c.args) {
            panic!("`policybook {}` is rejected: {e}", c.args.join(" "));
        }
    }
    let used: std::collections::BTreeSet<String> = cmds.iter().map(|c| c.args.join(" ")).collect();
    for want in [
        "test --junit results/policybook.xml",
        "build",
        "check --format github infra/main.json rendered.yaml",
        "check --format sarif infra/main.json rendered.yaml",
        "test --junit $(Common.TestResultsDirectory)/policybook.xml",
    ] {
        assert!(used.contains(want), "{want} not in {used:#?}");
    }
    // The checker itself rejects what the binary does not know.
    assert!(accepted(&["check".into(), "--format".into(), "sarif2".into()]).is_err());
    assert!(accepted(&["test".into(), "--junit-file".into(), "x".into()]).is_err());

    // GitHub: the SARIF the check writes is the file upload-sarif uploads.
    let gh = &docs[0];
    let check = &gh["jobs"]["check"]["steps"];
    let sarif_out = check
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .flat_map(policybook_commands)
        .find_map(|c| {
            c.stdout_to
                .filter(|_| c.args.contains(&"sarif".to_string()))
        })
        .expect("a check writing SARIF");
    let upload = check
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert_eq!(
        upload["with"]["sarif_file"].as_str(),
        Some(sarif_out.as_str())
    );
    assert_eq!(gh["permissions"]["security-events"].as_str(), Some("write"));

    // Azure Pipelines: the JUnit file `test` writes is the one published.
    let az = &docs[1];
    let steps = az["steps"].as_sequence().unwrap();
    let junit = steps
        .iter()
        .filter_map(|s| s["script"].as_str())
        .flat_map(policybook_commands)
        .find_map(|c| {
            let i = c.args.iter().position(|a| a == "--junit")?;
            c.args.get(i + 1).cloned()
        })
        .expect("a test writing JUnit");
    let publish = steps
        .iter()
        .find(|s| s["task"].as_str() == Some("PublishTestResults@2"))
        .expect("a PublishTestResults step");
    assert_eq!(
        publish["inputs"]["testResultsFormat"].as_str(),
        Some("JUnit")
    );
    assert_eq!(
        publish["inputs"]["testResultsFiles"].as_str(),
        Some(junit.as_str())
    );
}

// ---- the missing-case lint ------------------------------------------------

#[test]
fn test_fails_and_build_warns_on_a_rule_without_a_non_firing_case() {
    // GOOD_RULE has one case, where it fires.
    let p = rule_project(&[("tst.yaml", GOOD_RULE)]);
    let run = policybook(p.path(), &["test"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.ends_with("1 passed, 0 failed, 0 skipped\n"));
    assert!(
        run.stderr.contains(
            "policies/tst.yaml:17:1: error: rule TST-01 (test-local-accounts) has no Azure test case where it does not fire\n  help: add a case to `tests:` whose input complies, with `expect: none`"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("test case where it fires"),
        "{}",
        run.stderr
    );

    let build = policybook(p.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(
        build.stderr.contains(
            "policies/tst.yaml:17:1: warning: rule TST-01 (test-local-accounts) has no Azure test case where it does not fire"
        ),
        "{}",
        build.stderr
    );

    // With a compliant case the rule is tested.
    let fixed = format!(
        "{GOOD_RULE}  - name: compliant cluster\n    resource: samples/arm/aks/compliant-cluster.json\n    expect: none\n"
    );
    let p = rule_project(&[("tst.yaml", &fixed)]);
    let run = policybook(p.path(), &["test"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("test case"), "{}", run.stderr);
}

#[test]
fn deleting_every_firing_case_of_a_shipped_rule_fails_test() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &repo_root().join("book.toml"),
        &tmp.path().join("book.toml"),
    );
    copy_tree(&repo_root().join("policies"), &tmp.path().join("policies"));
    copy_tree(&repo_root().join("content"), &tmp.path().join("content"));
    // K8S-01: keep only the cases that expect no violation.
    let file = tmp.path().join("policies/k8s-no-aad-pod-identity.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let (head, cases) = text.split_once("\ntests:\n").unwrap();
    let kept: Vec<&str> = cases
        .split("\n  - name: ")
        .filter(|c| c.contains("violations: \"no\"") || c.contains("violations: no"))
        .collect();
    assert!(!kept.is_empty());
    let cases = kept
        .iter()
        .map(|c| {
            format!(
                "  - name: {}\n",
                c.trim_start_matches("  - name: ").trim_end()
            )
        })
        .collect::<String>();
    std::fs::write(&file, format!("{head}\ntests:\n{cases}")).unwrap();
    let line = head.lines().count() + 1;

    let run = policybook(tmp.path(), &["test"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(" passed, 0 failed"), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "policies/k8s-no-aad-pod-identity.yaml:{line}:1: error: rule K8S-01 (k8s-no-aad-pod-identity) has no Kubernetes test case where it fires"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches(": error: rule ").count(),
        1,
        "{}",
        run.stderr
    );
    // Another rule's cases alone are not linted for K8S-01.
    let other = policybook(tmp.path(), &["test", "AKS-01"]);
    assert_eq!(other.code, 0, "{}", other.stderr);
}

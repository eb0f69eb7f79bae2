//! The Rego cross-check (issue 11, item 4): Gatekeeper and the Azure Policy
//! add-on run OPA, policybook runs regorus. Every Kubernetes case of every
//! shipped rule is evaluated by both, with Gatekeeper's input shape
//! (`input.review`, `input.parameters`, `data.inventory`), and the violation
//! sets (message and details) must be equal.
//!
//! OPA is real OPA: the Go engine of the PyPI package opa-golib-python-bindings,
//! driven by tests/support/opa_eval.py. Without the library the tests print
//! "skipped: no OPA library", unless CI=true or POLICYBOOK_REQUIRE_OPA=1 (set
//! by .ci/run), when they fail.

use std::io::Write;
use std::process::{Command, Stdio};

use policybook::build::load_and_validate;
use policybook::gatekeeper::{case_parameters, eval, inventory, review};
use serde_json::{json, Value};

use crate::common::{self, repo_root};

/// One template and the reviews to run it on.
struct Job {
    label: String,
    rego: String,
    libs: Vec<String>,
    /// (case name, review, parameters, inventory)
    cases: Vec<(String, Value, Value, Value)>,
}

/// A violation as both engines are compared: message, then details as JSON text.
type Found = Vec<(String, String)>;

/// OPA's verdicts per job and case (`Err` is OPA's error text), or `None`
/// when the library is missing and not required.
fn run_opa(jobs: &[Job]) -> Option<Vec<Vec<Result<Found, String>>>> {
    let input: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({
                "rego": j.rego,
                "libs": j.libs,
                "cases": j.cases.iter().map(|(_, r, p, i)| json!({"review": r, "parameters": p, "inventory": i})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let script = repo_root().join("tests/support/opa_eval.py");
    let mut child = match Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            assert!(
                !common::tool_required("POLICYBOOK_REQUIRE_OPA"),
                "OPA cross-check required but python3 cannot run: {e}"
            );
            println!("skipped: no python3");
            return None;
        }
    };
    let text = serde_json::to_vec(&input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&text));
    let out = child.wait_with_output().expect("opa_eval.py runs");
    writer.join().unwrap().expect("feed opa_eval.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        assert!(
            !common::tool_required("POLICYBOOK_REQUIRE_OPA"),
            "OPA cross-check required (CI / POLICYBOOK_REQUIRE_OPA=1): {stderr}"
        );
        println!("skipped: no OPA library ({})", stderr.trim());
        return None;
    }
    assert!(out.status.success(), "opa_eval.py failed: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("opa_eval.py writes JSON");
    Some(
        v.as_array()
            .unwrap()
            .iter()
            .map(|job| {
                job.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| match c.get("error") {
                        Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
                        None => Ok(found(c["violations"].as_array().unwrap().iter().map(|v| {
                            (v["msg"].as_str().unwrap().to_string(), v["details"].clone())
                        }))),
                    })
                    .collect()
            })
            .collect(),
    )
}

fn found(items: impl Iterator<Item = (String, Value)>) -> Found {
    let mut f: Found = items.map(|(m, d)| (m, d.to_string())).collect();
    f.sort();
    f
}

/// regorus's verdicts, through policybook's own Gatekeeper evaluation.
fn run_regorus(job: &Job) -> Vec<Result<Found, String>> {
    match eval::Template::compile(&job.rego, &job.libs, false) {
        Err(e) => vec![Err(format!("does not compile: {e}")); job.cases.len()],
        Ok(t) => job
            .cases
            .iter()
            .map(|(_, r, p, i)| {
                t.evaluate(r, p, i)
                    .map(|vs| found(vs.into_iter().map(|v| (v.msg, v.details))))
                    .map_err(|e| e.to_string())
            })
            .collect(),
    }
}

/// Every difference between the engines, one line each; and the number of
/// (case, violation) pairs both found, so a comparison of empty sets shows.
fn compare(jobs: &[Job]) -> Option<(Vec<String>, usize, usize)> {
    let opa = run_opa(jobs)?;
    let mut diffs = Vec::new();
    let (mut cases, mut violations) = (0, 0);
    for (job, opa_cases) in jobs.iter().zip(opa) {
        for ((name, ..), (ours, theirs)) in job
            .cases
            .iter()
            .zip(run_regorus(job).into_iter().zip(opa_cases))
        {
            cases += 1;
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) if a == b => violations += a.len(),
                _ => diffs.push(format!(
                    "{} / {name}: regorus {ours:?}, OPA {theirs:?}",
                    job.label
                )),
            }
        }
    }
    Some((diffs, cases, violations))
}

/// The shipped rules' templates with every Kubernetes case, reviewed as gator does.
fn shipped_jobs() -> Vec<Job> {
    let (bundle, diags) = load_and_validate(&repo_root());
    assert!(!diags.has_errors(), "the shipped rules load:\n{diags}");
    bundle
        .rules
        .iter()
        .filter_map(|rule| {
            let k = rule.kubernetes.as_ref()?;
            let cases = rule
                .tests
                .iter()
                .filter(|t| t.expect.is_kubernetes())
                .map(|t| {
                    let r =
                        review::review_of(t.input.value(), "CREATE").expect("a reviewable case");
                    (
                        t.name.clone(),
                        r.review,
                        Value::Object(case_parameters(k, &t.parameters)),
                        inventory::inventory(&t.inventory),
                    )
                })
                .collect();
            Some(Job {
                label: rule.id.clone(),
                rego: k.rego.clone(),
                libs: k.libs.clone(),
                cases,
            })
        })
        .collect()
}

#[test]
fn every_shipped_kubernetes_case_agrees_with_opa() {
    let jobs = shipped_jobs();
    let total: usize = jobs.iter().map(|j| j.cases.len()).sum();
    assert_eq!(jobs.len(), 7, "the seven Kubernetes rules");
    let Some((diffs, cases, violations)) = compare(&jobs) else {
        return;
    };
    assert!(
        diffs.is_empty(),
        "regorus and OPA differ:\n{}",
        diffs.join("\n")
    );
    assert_eq!(cases, total);
    // Not a comparison of empty sets: many cases produce violations in both.
    assert!(violations >= 20, "only {violations} violations compared");
    println!("OPA cross-check: {cases} cases, {violations} violations, all equal");
}

fn one_job(label: &str, rego: &str, review: Value) -> Vec<Job> {
    vec![Job {
        label: label.into(),
        rego: rego.into(),
        libs: vec![],
        cases: vec![(
            "probe".into(),
            json!({"object": review}),
            json!({}),
            json!({}),
        )],
    }]
}

const V1_HEAD: &str =
    "package k8sprobe\n\nimport future.keywords.contains\nimport future.keywords.if\n\n";

#[test]
fn a_construct_where_regorus_and_opa_differ_is_reported() {
    // `%s` with a number: regorus prints the number, OPA (Go's fmt) prints
    // `%!s(int64=3)`. A message built this way differs between the engines.
    let rego = format!(
        "{V1_HEAD}violation contains {{\"msg\": msg}} if {{\n  n := input.review.object.spec.replicas\n  msg := sprintf(\"replicas: %s\", [n])\n}}\n"
    );
    let jobs = one_job(
        "PROBE-1",
        &rego,
        json!({"kind": "Deployment", "spec": {"replicas": 3}}),
    );
    let Some((diffs, cases, _)) = compare(&jobs) else {
        return;
    };
    assert_eq!(cases, 1);
    assert_eq!(
        diffs,
        [
            r#"PROBE-1 / probe: regorus Ok([("replicas: 3", "{}")]), OPA Ok([("replicas: %!s(int64=3)", "{}")])"#
        ]
    );
}

#[test]
fn a_template_opa_cannot_parse_is_reported() {
    // v0-only syntax: regorus (in Gatekeeper's v0 mode) runs it, OPA 1.x refuses it.
    let rego = "package k8sprobe\n\nviolation[{\"msg\": \"seen\"}] {\n  input.review.object.kind == \"Pod\"\n}\n";
    let jobs = one_job("PROBE-2", rego, json!({"kind": "Pod"}));
    let Some((diffs, _, _)) = compare(&jobs) else {
        return;
    };
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0]
            .starts_with(r#"PROBE-2 / probe: regorus Ok([("seen", "{}")]), OPA Err("parse_error"#)
            && diffs[0].contains("`if` keyword is required before rule body"),
        "{diffs:?}"
    );
}

#[test]
fn details_are_compared_too() {
    // Same message, details that differ: OPA adds decimals exactly (0.3),
    // regorus in binary floating point (0.30000000000000004).
    let rego = format!(
        "{V1_HEAD}violation contains {{\"msg\": \"m\", \"details\": {{\"n\": n, \"sum\": s}}}} if {{\n  n := count(input.review.object.spec.containers)\n  s := 0.1 + 0.2\n}}\n"
    );
    let jobs = one_job("PROBE-3", &rego, json!({"spec": {"containers": [1, 2]}}));
    let Some((diffs, cases, _)) = compare(&jobs) else {
        return;
    };
    assert_eq!(cases, 1);
    assert_eq!(
        diffs,
        [
            r#"PROBE-3 / probe: regorus Ok([("m", "{\"n\":2,\"sum\":0.30000000000000004}")]), OPA Ok([("m", "{\"n\":2,\"sum\":0.3}")])"#
        ]
    );
}

//! gator `Suite` files for the rules' Kubernetes cases, so that
//! `gator verify dist/gatekeeper/suites/...` runs the same cases as `policybook test`.
//!
//! Layout per rule (paths relative to `dist/gatekeeper/suites/`):
//! `<name>/suite.yaml`, `<name>/samples/NN-<case>.yaml` (one object per file),
//! `<name>/samples/NN-<case>.inventory.yaml`, and `<name>/constraint-N.yaml`
//! for each distinct set of parameter overrides. The template and the default
//! constraint are the bundle's own files (`../../templates/…`, `../../constraints/…`).

use serde_json::{json, Map, Value};

use super::template::{case_parameters, constraint_value_with, k8s, template_name};
use super::yaml;
use crate::model::{Expectation, Rule, TestCase, ViolationCount};

/// A file-name-safe form of a case name.
pub(super) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(60).collect();
    if out.is_empty() {
        "case".into()
    } else {
        out.trim_end_matches('-').to_string()
    }
}

/// gator's assertion for an expectation.
pub(super) fn assertion(count: ViolationCount, message: Option<&str>) -> Value {
    let mut a = Map::new();
    a.insert(
        "violations".into(),
        match count {
            ViolationCount::Yes => json!("yes"),
            ViolationCount::No => json!("no"),
            ViolationCount::Exactly(n) => json!(n),
        },
    );
    if let Some(m) = message {
        a.insert("message".into(), json!(m));
    }
    Value::Object(a)
}

/// `(path under suites/, contents)` of every file of the rule's suite, or
/// nothing when the rule has no Kubernetes cases.
pub(super) fn suite_files(rule: &Rule) -> Vec<(String, String)> {
    let k = k8s(rule);
    let cases: Vec<(usize, &TestCase)> = rule
        .tests
        .iter()
        .enumerate()
        .filter(|(_, t)| t.expect.is_kubernetes())
        .collect();
    if cases.is_empty() {
        return vec![];
    }
    let dir = &rule.name;
    let mut files = Vec::new();
    let defaults = k.default_parameters();
    // Group cases by the constraint parameters they need, first-seen order; the
    // default set always comes first and uses the bundle's constraint.
    let mut groups: Vec<(Map<String, Value>, Vec<Value>)> = vec![(defaults.clone(), vec![])];
    let mut used = std::collections::BTreeSet::new();
    for (i, t) in &cases {
        let params = case_parameters(k, &t.parameters);
        let mut base = format!("{:02}-{}", i + 1, slug(&t.name));
        while !used.insert(base.clone()) {
            base.push('x');
        }
        let object_path = format!("samples/{base}.yaml");
        files.push((
            format!("{dir}/{object_path}"),
            yaml::to_yaml(t.input.value()),
        ));
        let mut case = Map::new();
        case.insert("name".into(), json!(t.name));
        case.insert("object".into(), json!(object_path));
        if !t.inventory.is_empty() {
            let inv_path = format!("samples/{base}.inventory.yaml");
            files.push((
                format!("{dir}/{inv_path}"),
                yaml::to_yaml_docs(&t.inventory),
            ));
            case.insert("inventory".into(), json!([inv_path]));
        }
        let Expectation::Violations { count, message } = &t.expect else {
            unreachable!("filtered above")
        };
        case.insert(
            "assertions".into(),
            json!([assertion(*count, message.as_deref())]),
        );
        match groups.iter_mut().find(|(p, _)| *p == params) {
            Some((_, list)) => list.push(Value::Object(case)),
            None => groups.push((params, vec![Value::Object(case)])),
        }
    }
    let mut tests = Vec::new();
    let mut n = 0;
    for (params, cases) in groups {
        if cases.is_empty() {
            continue;
        }
        let (test_name, constraint_path) = if params == defaults {
            (
                rule.name.clone(),
                format!("../../constraints/{}.yaml", rule.name),
            )
        } else {
            n += 1;
            let path = format!("constraint-{n}.yaml");
            let c = constraint_value_with(rule, &format!("{}-{n}", rule.name), &params);
            files.push((format!("{dir}/{path}"), yaml::to_yaml(&c)));
            (format!("{}-parameters-{n}", rule.name), path)
        };
        tests.push(json!({
            "name": test_name,
            "template": format!("../../templates/{}.yaml", template_name(rule)),
            "constraint": constraint_path,
            "cases": cases,
        }));
    }
    let suite = json!({
        "kind": "Suite",
        "apiVersion": "test.gatekeeper.sh/v1alpha1",
        "metadata": {"name": rule.name},
        "tests": tests,
    });
    files.push((format!("{dir}/suite.yaml"), yaml::to_yaml(&suite)));
    files.sort();
    files
}

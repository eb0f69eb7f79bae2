//! `--compare-builtin`: the Azure built-in a rule names (`builtin:`) evaluated
//! with our engine on that rule's own cases, next to our verdicts.
//!
//! The built-in definitions are vendored in the project's `builtins/` folder
//! (`<guid>.json` as Azure publishes it; for a `Microsoft.Kubernetes.Data`
//! built-in also `<guid>.template.yaml`, its ConstraintTemplate). Without that
//! folder nothing is compared. An ARM built-in runs on the rule's Azure cases
//! with its parameter defaults and its effect forced to ours (the case's
//! `effect` override, else the rule's default); a Kubernetes built-in runs its
//! template on the rule's Kubernetes cases with the constraint its definition
//! builds from the defaults. A difference is information, never a failure.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::azure_eval::{self, AzureEvalError, Verdict};
use super::results::{BuiltinComparison, CaseResult, Difference, Outcome, Target, TestReport};
use crate::gatekeeper::{eval, review};
use crate::model::{Bundle, Expectation, Rule};

/// The project folder holding the vendored built-ins.
pub const FOLDER: &str = "builtins";

/// Why a built-in could not be compared (shown in the comparison, never fatal).
#[derive(Debug, thiserror::Error)]
enum BuiltinError {
    #[error("{folder}/{0} is missing: vendor the definition there", folder = FOLDER)]
    Missing(String),
    #[error("{folder}/{name}: {source}", folder = FOLDER)]
    Unreadable {
        name: String,
        source: crate::text::ReadError,
    },
    #[error("{folder}/{name}: {source}", folder = FOLDER)]
    Json {
        name: String,
        source: serde_json::Error,
    },
    #[error("{folder}/{name}: {source}", folder = FOLDER)]
    Yaml {
        name: String,
        source: serde_yaml::Error,
    },
    #[error("{folder}/{0}: no spec.targets[0].rego", folder = FOLDER)]
    NoRego(String),
    #[error("the definition does not compile: {0}")]
    Definition(AzureEvalError),
    #[error("{folder}/{name} does not compile: {source}", folder = FOLDER)]
    Template {
        name: String,
        source: eval::CompileError,
    },
}

/// Compares every rule that names a built-in with it, on the cases in `report`
/// (so a filtered run compares the selected cases). Empty without `builtins/`.
pub fn compare(bundle: &Bundle, report: &TestReport) -> Vec<BuiltinComparison> {
    let dir = bundle.root.join(FOLDER);
    if !dir.is_dir() {
        return Vec::new();
    }
    let registry = match crate::azure::alias_registry(&bundle.aliases) {
        Ok(r) => r,
        Err(_) => return Vec::new(),
    };
    bundle
        .rules
        .iter()
        .filter_map(|rule| {
            let guid = rule.builtin.as_ref()?;
            let cases: Vec<&CaseResult> = report.for_rule(&rule.id).collect();
            Some(compare_rule(&dir, rule, guid, &cases, &registry))
        })
        .collect()
}

fn compare_rule(
    dir: &Path,
    rule: &Rule,
    guid: &str,
    cases: &[&CaseResult],
    registry: &regorus::Rc<regorus::languages::azure_policy::aliases::AliasRegistry>,
) -> BuiltinComparison {
    let mut out = BuiltinComparison {
        rule_id: rule.id.clone(),
        builtin: guid.to_string(),
        display_name: guid.to_string(),
        agreed: 0,
        total: 0,
        differences: vec![],
        error: None,
    };
    let name = format!("{guid}.json");
    let def = match read(dir, &name).and_then(|t| {
        serde_json::from_str::<Value>(&t).map_err(|source| BuiltinError::Json { name, source })
    }) {
        Ok(d) => d,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    let props = &def["properties"];
    if let Some(n) = props["displayName"].as_str() {
        // Some display names end in a full stop; the sentence goes on after it.
        out.display_name = n.trim_end_matches('.').to_string();
    }
    let verdicts = if props["mode"].as_str() == Some("Microsoft.Kubernetes.Data") {
        kubernetes_verdicts(dir, guid, props, rule, cases)
    } else {
        azure_verdicts(guid, &def, rule, cases, registry)
    };
    match verdicts {
        Err(e) => out.error = Some(e.to_string()),
        Ok(v) => {
            for (case, ours, theirs) in v {
                out.total += 1;
                if ours.eq_ignore_ascii_case(&theirs) {
                    out.agreed += 1;
                } else {
                    out.differences.push(Difference {
                        case,
                        ours,
                        builtin: theirs,
                    });
                }
            }
        }
    }
    out
}

/// A file of the built-ins folder; links leading out of it (or the folder out
/// of the project) are refused.
fn read(dir: &Path, name: &str) -> Result<String, BuiltinError> {
    let path = dir.join(name);
    let root = dir.parent().and_then(|r| r.canonicalize().ok());
    let inside = match (path.canonicalize(), dir.canonicalize(), root) {
        (Ok(p), Ok(d), Some(r)) => p.starts_with(&d) && d.starts_with(&r),
        _ => false,
    };
    if !inside {
        return Err(BuiltinError::Missing(name.to_string()));
    }
    crate::text::read_text(&path).map_err(|source| BuiltinError::Unreadable {
        name: name.to_string(),
        source,
    })
}

type Verdicts = Vec<(String, String, String)>;

/// (case, ours, built-in) for the rule's Azure cases.
fn azure_verdicts(
    guid: &str,
    def: &Value,
    rule: &Rule,
    cases: &[&CaseResult],
    registry: &regorus::Rc<regorus::languages::azure_policy::aliases::AliasRegistry>,
) -> Result<Verdicts, BuiltinError> {
    let compiled =
        azure_eval::compile_definition(guid, def, registry).map_err(BuiltinError::Definition)?;
    let default_effect = rule
        .azure
        .as_ref()
        .map(|a| a.default_effect().to_string())
        .unwrap_or_else(|| "Audit".into());
    let mut out = Vec::new();
    for c in cases.iter().filter(|c| c.target == Target::Azure) {
        let Some(t) = rule.tests.get(c.index) else {
            continue;
        };
        let mut overrides = Map::new();
        let effect = t
            .parameters
            .get("effect")
            .and_then(Value::as_str)
            .unwrap_or(&default_effect);
        if compiled.defaults.contains_key("effect")
            || def["properties"]["parameters"].get("effect").is_some()
        {
            overrides.insert("effect".into(), json!(effect));
        }
        let theirs = match azure_eval::evaluate(&compiled, registry, t.input.value(), &overrides) {
            Ok(Verdict::Effect(e)) => e,
            Ok(_) => "none".into(),
            Err(e) => format!("error ({e})"),
        };
        out.push((c.case.clone(), ours_of(c), theirs));
    }
    Ok(out)
}

/// Our verdict as the report has it: the effect, `none`, `violation`, or `error`.
fn ours_of(c: &CaseResult) -> String {
    if c.outcome == Outcome::Error {
        return "error".into();
    }
    match c.target {
        Target::Azure => c.got.clone(),
        Target::Kubernetes => {
            let n: usize = c
                .got
                .strip_prefix("violations: ")
                .and_then(|s| s.split(' ').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if n > 0 { "violation" } else { "none" }.into()
        }
    }
}

/// (case, ours, built-in) for the rule's Kubernetes cases, with the built-in's template.
fn kubernetes_verdicts(
    dir: &Path,
    guid: &str,
    props: &Value,
    rule: &Rule,
    cases: &[&CaseResult],
) -> Result<Verdicts, BuiltinError> {
    let name = format!("{guid}.template.yaml");
    let text = read(dir, &name)?;
    let template: Value = serde_yaml::from_str(&text).map_err(|source| BuiltinError::Yaml {
        name: name.clone(),
        source,
    })?;
    let target = &template["spec"]["targets"][0];
    let rego = target["rego"]
        .as_str()
        .ok_or_else(|| BuiltinError::NoRego(name.clone()))?;
    let libs: Vec<String> = target["libs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let compiled = eval::Template::compile(rego, &libs, false)
        .map_err(|source| BuiltinError::Template { name, source })?;
    let details = &props["policyRule"]["then"]["details"];
    let defaults: Map<String, Value> = props["parameters"]
        .as_object()
        .map(|ps| {
            ps.iter()
                .filter_map(|(k, p)| p.get("defaultValue").map(|d| (k.clone(), d.clone())))
                .collect()
        })
        .unwrap_or_default();
    let resolve = |v: &Value| resolve_parameters(v, &defaults);
    // The constraint the add-on builds from the definition's details.
    let mut match_ = Map::new();
    match_.insert(
        "kinds".into(),
        json!([{"apiGroups": resolve(&details["apiGroups"]), "kinds": resolve(&details["kinds"])}]),
    );
    for key in ["excludedNamespaces", "namespaces", "labelSelector"] {
        let v = resolve(&details[key]);
        let empty = v.is_null()
            || v.as_array().is_some_and(|a| a.is_empty())
            || v.as_object().is_some_and(|o| o.is_empty());
        if !empty {
            match_.insert(key.into(), v);
        }
    }
    let match_ = Value::Object(match_);
    let parameters = match resolve(&details["values"]) {
        Value::Null => json!({}),
        v => v,
    };
    let mut out = Vec::new();
    for c in cases.iter().filter(|c| c.target == Target::Kubernetes) {
        let Some(t) = rule.tests.get(c.index) else {
            continue;
        };
        if !matches!(t.expect, Expectation::Violations { .. }) {
            continue;
        }
        let theirs = match review::evaluate_object(
            t.input.value(),
            "CREATE",
            &match_,
            &compiled,
            &parameters,
            &t.inventory,
        ) {
            Ok(v) if v.is_empty() => "none".to_string(),
            Ok(_) => "violation".to_string(),
            Err(e) => format!("error ({e})"),
        };
        out.push((c.case.clone(), ours_of(c), theirs));
    }
    Ok(out)
}

/// Replaces every `"[parameters('x')]"` string in `v` with the default of `x`.
fn resolve_parameters(v: &Value, defaults: &Map<String, Value>) -> Value {
    match v {
        Value::String(s) => {
            let name = s
                .strip_prefix("[parameters('")
                .and_then(|r| r.strip_suffix("')]"));
            match name {
                Some(n) => defaults.get(n).cloned().unwrap_or(Value::Null),
                None => v.clone(),
            }
        }
        Value::Array(a) => {
            Value::Array(a.iter().map(|x| resolve_parameters(x, defaults)).collect())
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), resolve_parameters(x, defaults)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_names_each_difference() {
        let mut c = BuiltinComparison {
            rule_id: "X-01".into(),
            builtin: "g".into(),
            display_name: "Some built-in".into(),
            agreed: 3,
            total: 4,
            differences: vec![Difference {
                case: "a case".into(),
                ours: "Audit".into(),
                builtin: "none".into(),
            }],
            error: None,
        };
        assert_eq!(
            c.sentence(),
            "agrees with built-in Some built-in on 3 of 4 cases; differs on: a case (ours: Audit, built-in: none)"
        );
        c.differences.clear();
        c.agreed = 4;
        assert_eq!(
            c.sentence(),
            "agrees with built-in Some built-in on 4 of 4 cases"
        );
    }

    #[test]
    fn parameters_resolve_to_their_defaults() {
        let d: Map<String, Value> = serde_json::from_value(json!({"ns": ["kube-system"]})).unwrap();
        let v = json!({"a": "[parameters('ns')]", "b": ["[parameters('missing')]", "x"]});
        assert_eq!(
            resolve_parameters(&v, &d),
            json!({"a": ["kube-system"], "b": [null, "x"]})
        );
    }
}

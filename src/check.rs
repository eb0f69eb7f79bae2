//! `policybook check`: evaluate real resources — ARM JSON in any of the shapes
//! people have at hand, or Kubernetes manifests — against the bundle.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::Bundle;
use crate::test::azure_eval::{Evaluator, Verdict};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub control_id: String,
    pub title: String,
    /// Azure effect, or the constraint's enforcementAction for Kubernetes objects.
    pub effect: String,
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ResourceResult {
    /// `file` or `file#index` of the input object.
    pub source: String,
    /// ARM type, or Kubernetes `apiVersion/kind`.
    pub kind: String,
    pub name: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct CheckResult {
    /// Every resource checked, in input order, with its findings.
    pub resources: Vec<ResourceResult>,
}

impl CheckResult {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.resources.iter().flat_map(|r| &r.findings)
    }

    fn is_deny(f: &Finding) -> bool {
        f.effect.eq_ignore_ascii_case("deny")
    }

    pub fn human(&self) -> String {
        let mut s = String::new();
        for r in &self.resources {
            s.push_str(&format!("{}: {} {}\n", r.source, r.kind, r.name));
            if r.findings.is_empty() {
                s.push_str("  ok: no control fires\n");
            }
            for f in &r.findings {
                s.push_str(&format!(
                    "  {:<8} {:<8} {}\n",
                    f.control_id, f.effect, f.title
                ));
                for m in &f.messages {
                    s.push_str(&format!("           {m}\n"));
                }
            }
        }
        let n = self.findings().count();
        let deny = self.findings().filter(|f| Self::is_deny(f)).count();
        s.push_str(&format!(
            "\n{} resource(s) checked, {n} finding(s), {deny} deny\n",
            self.resources.len()
        ));
        s
    }

    pub fn json(&self) -> String {
        let v = serde_json::json!({
            "summary": {
                "resources": self.resources.len(),
                "findings": self.findings().count(),
                "deny": self.findings().filter(|f| Self::is_deny(f)).count(),
            },
            "resources": self.resources,
        });
        serde_json::to_string_pretty(&v).expect("serialisable")
    }

    /// Exit status: a Deny finding fails; with `strict`, any finding does.
    pub fn fails(&self, strict: bool) -> bool {
        self.findings().any(|f| strict || Self::is_deny(f))
    }
}

/// An object read from an input file.
pub struct InputObject {
    pub source: String,
    pub value: Value,
}

/// Reads every file and checks every object in it. Errors name the file and place.
pub fn check_files(bundle: &Bundle, files: &[PathBuf]) -> anyhow::Result<CheckResult> {
    let mut arm = Vec::new();
    let mut kube = Vec::new();
    for f in files {
        for obj in read_inputs(f)? {
            if is_kubernetes_object(&obj.value) {
                kube.push(obj);
            } else {
                arm.push(obj);
            }
        }
    }
    let evaluator = Evaluator::new(bundle)?;
    let mut result = CheckResult::default();
    for obj in &arm {
        result.resources.push(check_arm(bundle, &evaluator, obj)?);
    }
    // All given manifests together form the inventory, as they would in a cluster.
    let labelled: Vec<(String, Value)> = kube
        .iter()
        .map(|o| (o.source.clone(), o.value.clone()))
        .collect();
    for (obj, found) in kube
        .iter()
        .zip(crate::gatekeeper::check_objects(bundle, &labelled))
    {
        let v = &obj.value;
        result.resources.push(ResourceResult {
            source: found.label,
            kind: format!(
                "{}/{}",
                v.get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                v.get("kind").and_then(Value::as_str).unwrap_or_default()
            ),
            name: kube_name(v),
            findings: found
                .findings
                .into_iter()
                .map(|f| Finding {
                    control_id: f.control_id,
                    title: f.title,
                    effect: f.enforcement_action,
                    messages: f.messages,
                })
                .collect(),
        });
    }
    Ok(result)
}

fn check_arm(
    bundle: &Bundle,
    evaluator: &Evaluator,
    obj: &InputObject,
) -> anyhow::Result<ResourceResult> {
    let v = &obj.value;
    let mut findings = Vec::new();
    for rule in bundle.rules.iter().filter(|r| r.azure.is_some()) {
        let Some(def) = evaluator.definition(&rule.id) else {
            continue;
        };
        let verdict = evaluator
            .evaluate(def, v, &Map::new())
            .map_err(|e| anyhow::anyhow!("{}: evaluating {} failed: {e}", obj.source, rule.id))?;
        if let Verdict::Effect(e) = verdict {
            if !e.eq_ignore_ascii_case("disabled") {
                findings.push(Finding {
                    control_id: rule.id.clone(),
                    title: rule.title.clone(),
                    effect: e,
                    messages: vec![],
                });
            }
        }
    }
    Ok(ResourceResult {
        source: obj.source.clone(),
        kind: v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("(no type)")
            .to_string(),
        name: v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        findings,
    })
}

fn kube_name(v: &Value) -> String {
    let m = &v["metadata"];
    match (
        m.get("namespace").and_then(Value::as_str),
        m.get("name").and_then(Value::as_str),
    ) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (None, Some(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn is_kubernetes_object(v: &Value) -> bool {
    v.get("type").is_none()
        && v.get("kind").and_then(Value::as_str).is_some()
        && v.get("apiVersion").is_some()
}

/// Objects of one file: ARM JSON as a resource, an array, a template's
/// `resources` (child resources flattened with their full type), `{value: […]}`
/// list output; or multi-document Kubernetes YAML with `List` kinds expanded.
pub fn read_inputs(path: &Path) -> anyhow::Result<Vec<InputObject>> {
    let name = path.display().to_string();
    let text =
        crate::text::read_text(path).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let docs: Vec<Value> = if is_yaml {
        let mut docs = Vec::new();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc).map_err(|e| {
                let at = e
                    .location()
                    .map(|l| format!(":{}:{}", l.line(), l.column()))
                    .unwrap_or_default();
                anyhow::anyhow!("{name}{at}: invalid YAML: {e}")
            })?;
            if !v.is_null() {
                docs.push(v);
            }
        }
        docs
    } else {
        vec![serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("{name}:{}:{}: invalid JSON: {e}; expected an ARM resource, an array, a template or `az … list` output", e.line(), e.column())
        })?]
    };
    let mut values = Vec::new();
    for d in docs {
        flatten(d, None, &mut values);
    }
    let many = values.len() > 1;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, value)| InputObject {
            source: if many {
                format!("{name}#{i}")
            } else {
                name.clone()
            },
            value,
        })
        .collect())
}

fn flatten(v: Value, parent_type: Option<&str>, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, parent_type, out)),
        Value::Object(mut m) => {
            let is_template = m
                .get("$schema")
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("DeploymentTemplate"))
                || (m.contains_key("resources") && m.contains_key("contentVersion"));
            if is_template {
                if let Some(r) = m.remove("resources") {
                    flatten(r, None, out);
                }
                return;
            }
            // `az rest` / REST list output: {"value": [...], "nextLink"?}
            if m.len() <= 2
                && m.get("value").is_some_and(Value::is_array)
                && !m.contains_key("type")
            {
                flatten(m.remove("value").expect("checked"), None, out);
                return;
            }
            // Kubernetes `List` kinds.
            if m.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k == "List" || k.ends_with("List"))
                && m.get("items").is_some_and(Value::is_array)
            {
                flatten(m.remove("items").expect("checked"), None, out);
                return;
            }
            // A child resource inside a template resource: its type is relative.
            if let (Some(p), Some(Value::String(t))) = (parent_type, m.get("type")) {
                if !t.contains('/') || !t.to_ascii_lowercase().starts_with("microsoft.") {
                    let full = format!("{p}/{t}");
                    m.insert("type".into(), Value::String(full));
                }
            }
            let children = m.remove("resources");
            let own_type = m.get("type").and_then(Value::as_str).map(String::from);
            out.push(Value::Object(m));
            if let (Some(c), Some(t)) = (children, own_type) {
                flatten(c, Some(&t), out);
            }
        }
        _ => {}
    }
}

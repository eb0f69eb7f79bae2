//! Evaluating the inputs: ARM resources in parallel chunks through the Azure
//! evaluator while the file is still being read, Kubernetes objects together
//! (they form each other's inventory) through `gatekeeper::check_objects`.

use std::path::PathBuf;

use serde_json::Value;

use super::error::CheckError;
use super::inputs::{for_each_input, InputObject};
use super::result::{CheckResult, Finding, ResourceResult};
use crate::model::Bundle;
use crate::runner::azure_eval::{Evaluator, Runner, Verdict};

/// ARM resources evaluated together: large enough to keep every thread busy,
/// small enough that a big input is never held whole.
const ARM_CHUNK: usize = 2048;

/// Reads every file and checks every object in it. Errors name the file and place.
///
/// ARM resources are evaluated in chunks as they are read (a JSON array is
/// streamed element by element), so memory stays near one chunk plus the
/// results; Kubernetes objects are kept, since together they form the inventory.
pub fn check_files(bundle: &Bundle, files: &[PathBuf]) -> Result<CheckResult, CheckError> {
    let evaluator = Evaluator::new(bundle)?;
    let mut result = CheckResult::default();
    let mut kube: Vec<(String, Value)> = Vec::new();
    for f in files {
        let (first_arm, first_kube) = (result.resources.len(), kube.len());
        // One thread reads and parses while the others evaluate what it read.
        let count = std::thread::scope(|scope| -> Result<usize, CheckError> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<InputObject>>(2);
            let reader = scope.spawn(move || {
                let mut chunk = Vec::new();
                let count = for_each_input(f, &mut |obj| {
                    chunk.push(obj);
                    if chunk.len() == ARM_CHUNK {
                        // A closed channel means evaluation failed: stop reading.
                        tx.send(std::mem::take(&mut chunk))
                            .map_err(|_| CheckError::Stopped)?;
                    }
                    Ok(())
                })?;
                let _ = tx.send(chunk);
                Ok(count)
            });
            for chunk in rx {
                let (k, arm): (Vec<_>, Vec<_>) = chunk
                    .into_iter()
                    .partition(|o| is_kubernetes_object(&o.value));
                kube.extend(k.into_iter().map(|o| (o.source, o.value)));
                result
                    .resources
                    .extend(check_arm_chunk(bundle, &evaluator, &arm)?);
            }
            reader.join().expect("the reader does not panic")
        })?;
        // A file holding one object is named without an index.
        if count == 1 {
            let name = f.display().to_string();
            match result.resources.get_mut(first_arm) {
                Some(r) => r.source = name,
                None => kube[first_kube].0 = name,
            }
        }
    }
    // All given manifests together form the inventory, as they would in a cluster.
    for ((_, v), found) in kube
        .iter()
        .zip(crate::gatekeeper::check_objects(bundle, &kube))
    {
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

/// Checks ARM resources in parallel; results (and the first error) in input order.
fn check_arm_chunk(
    bundle: &Bundle,
    evaluator: &Evaluator,
    chunk: &[InputObject],
) -> Result<Vec<ResourceResult>, CheckError> {
    use rayon::prelude::*;
    chunk
        .par_iter()
        .map_init(
            || evaluator.runner(),
            |runner, obj| check_arm(bundle, runner, obj),
        )
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

fn check_arm(
    bundle: &Bundle,
    runner: &mut Runner,
    obj: &InputObject,
) -> Result<ResourceResult, CheckError> {
    let v = &obj.value;
    let mut findings = Vec::new();
    let rules = bundle.rules.iter().filter(|r| r.azure.is_some());
    let verdicts = runner.verdicts(rules.clone().map(|r| r.id.as_str()), v);
    for (id, verdict) in verdicts {
        let verdict = verdict.map_err(|error| CheckError::Evaluation {
            object: obj.source.clone(),
            control: id.to_string(),
            error,
        })?;
        if let Verdict::Effect(e) = verdict {
            if !e.eq_ignore_ascii_case("disabled") {
                let rule = rules
                    .clone()
                    .find(|r| r.id == id)
                    .expect("asked for this rule");
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
    let kind = v.get("kind").and_then(Value::as_str).is_some();
    // A Secret has a `type` of its own (`Opaque`); its `apiVersion` is not an
    // ARM date and it has `metadata`.
    let kube_api = v
        .get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|a| !a.starts_with(|c: char| c.is_ascii_digit()))
        && v.get("metadata").is_some_and(Value::is_object);
    kind && (kube_api || (v.get("type").is_none() && v.get("apiVersion").is_some()))
}

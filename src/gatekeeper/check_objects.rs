//! `policybook check` on Kubernetes objects: every Kubernetes rule's
//! constraint evaluated on each object as its admission would be (`CREATE`,
//! or the AdmissionReview as given), all objects forming `data.inventory`.
//! Match first, then every matching template in one bounded job per object.

use rayon::prelude::*;
use serde_json::Value;

use super::eval::{self, CompileError, EvalError, Template};
use super::inventory::inventory_converted;
use super::matcher;
use super::request::{self, is_admission_review, review_for_admission};
use super::review;
use super::template::k8s;
use crate::model::{Bundle, Rule};

/// What `policybook check` found on one Kubernetes object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectFindings {
    /// The label the caller gave the object (file and index or name).
    pub label: String,
    pub findings: Vec<K8sFinding>,
}

/// One constraint's verdict on an object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct K8sFinding {
    pub control_id: String,
    pub title: String,
    /// `deny`, `dryrun` or `warn`.
    pub enforcement_action: String,
    /// Violation messages (or one `evaluation error: …` line).
    pub messages: Vec<String>,
}

/// Evaluates every Kubernetes rule's constraint on each object, as an admission
/// of the object would (`CREATE`), with all given objects as `data.inventory`.
/// Objects a constraint does not match get no finding from it.
///
/// The inventory and the Namespace index are built once and each template is
/// loaded with the inventory once, so the work grows with the number of
/// objects, not with its square; results are in input order whatever the
/// number of threads.
pub fn check_objects(bundle: &Bundle, objects: &[(String, Value)]) -> Vec<ObjectFindings> {
    // Each object is converted for regorus once, for the inventory and its review.
    let converted: Vec<regorus::Value> = objects
        .par_iter()
        .map(|(_, o)| eval::to_regorus(o))
        .collect();
    let inventory = inventory_converted(objects.iter().map(|(_, o)| o).zip(converted.iter()));
    let namespaces = matcher::NamespaceIndex::new(objects.iter().map(|(_, o)| o));
    let prepared = prepare(bundle, &inventory);
    objects
        .par_iter()
        .zip(&converted)
        .map(|((label, obj), converted)| ObjectFindings {
            label: label.clone(),
            findings: check_one(obj, converted, &prepared, &namespaces),
        })
        .collect()
}

/// Why a rule's template cannot evaluate objects.
#[derive(Debug, thiserror::Error)]
enum PrepareError {
    #[error("template does not compile: {0}")]
    Compile(CompileError),
    #[error("{0}")]
    Load(EvalError),
}

/// A Kubernetes rule with its template loaded with the inventory.
struct Prepared<'a> {
    rule: &'a Rule,
    params: regorus::Value,
    template: Result<Template, PrepareError>,
}

fn prepare<'a>(bundle: &'a Bundle, inventory: &regorus::Value) -> Vec<Prepared<'a>> {
    bundle
        .rules
        .par_iter()
        .filter_map(|r| {
            let k = r.kubernetes.as_ref()?;
            let template = Template::compile(&k.rego, &k.libs, false)
                .map_err(PrepareError::Compile)
                .and_then(|t| t.with_inventory(inventory).map_err(PrepareError::Load));
            Some(Prepared {
                rule: r,
                params: eval::to_regorus(&Value::Object(k.default_parameters())),
                template,
            })
        })
        .collect()
}

/// The findings on one object: its review, then match, then evaluation.
fn check_one(
    obj: &Value,
    converted: &regorus::Value,
    prepared: &[Prepared],
    namespaces: &matcher::NamespaceIndex,
) -> Vec<K8sFinding> {
    let admission;
    let (review, match_objects): (regorus::Value, Vec<&Value>) = if is_admission_review(obj) {
        match review_for_admission(obj) {
            Ok(r) => {
                admission = r;
                (
                    eval::to_regorus(&admission.review),
                    admission.match_objects.iter().collect(),
                )
            }
            Err(e) => {
                let msg = format!("evaluation error: {e}");
                return prepared
                    .iter()
                    .map(|p| finding(p.rule, vec![msg.clone()]))
                    .collect();
            }
        }
    } else {
        (
            request::review_converted(obj, converted, "CREATE"),
            vec![obj],
        )
    };
    let (mut per_rule, to_evaluate) = match_rules(prepared, &match_objects, namespaces);
    evaluate_matched(&mut per_rule, &to_evaluate, &review);
    per_rule
        .into_iter()
        .filter(|(_, messages)| !messages.is_empty())
        .map(|(p, mut messages)| {
            messages.sort();
            finding(p.rule, messages)
        })
        .collect()
}

/// Each rule with its messages so far (match errors, a template that cannot
/// evaluate), and the indexes of the matched rules to evaluate. A rule that
/// does not match and has no message is left out.
fn match_rules<'p, 'a>(
    prepared: &'p [Prepared<'a>],
    match_objects: &[&Value],
    namespaces: &matcher::NamespaceIndex,
) -> (Vec<(&'p Prepared<'a>, Vec<String>)>, Vec<usize>) {
    let mut per_rule: Vec<(&Prepared, Vec<String>)> = Vec::new();
    let mut to_evaluate: Vec<usize> = Vec::new();
    for p in prepared {
        let k = k8s(p.rule);
        let m = review::match_review(match_objects.iter().copied(), |o| {
            matcher::matches_indexed(&k.match_, o, namespaces)
        });
        let mut messages: Vec<String> = m
            .errors
            .into_iter()
            .map(|e| format!("match error: {e}"))
            .collect();
        if !m.matched {
            if !messages.is_empty() {
                per_rule.push((p, messages));
            }
            continue;
        }
        match &p.template {
            Err(e) => messages.push(format!("evaluation error: {e}")),
            Ok(_) => to_evaluate.push(per_rule.len()),
        }
        per_rule.push((p, messages));
    }
    (per_rule, to_evaluate)
}

/// Evaluates every matching template on the review in one bounded job and
/// adds the violation messages (or the evaluation error) to its rule.
fn evaluate_matched(
    per_rule: &mut [(&Prepared, Vec<String>)],
    to_evaluate: &[usize],
    review: &regorus::Value,
) {
    let jobs: Vec<(&Template, &regorus::Value)> = to_evaluate
        .iter()
        .filter_map(|&i| {
            let p = per_rule[i].0;
            p.template.as_ref().ok().map(|t| (t, &p.params))
        })
        .collect();
    let results = Template::evaluate_loaded_many(&jobs, review);
    for (&i, result) in to_evaluate.iter().zip(results) {
        match result {
            Ok(vs) => per_rule[i].1.extend(vs.into_iter().map(|v| v.msg)),
            Err(e) => per_rule[i].1.push(format!("evaluation error: {e}")),
        }
    }
}

fn finding(rule: &Rule, messages: Vec<String>) -> K8sFinding {
    K8sFinding {
        control_id: rule.id.clone(),
        title: rule.title.clone(),
        enforcement_action: k8s(rule).enforcement_action.clone(),
        messages,
    }
}

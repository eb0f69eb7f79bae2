//! Kubernetes cases: the rule's Rego evaluated with gator's semantics.
//!
//! Per case: the constraint's `match` decides whether the object is reviewed at
//! all (unmatched → no violations); `input.review` is the AdmissionRequest gator
//! builds (`operation: CREATE` here, the object as `object`, `oldObject: null`);
//! `input.parameters` are the constraint's parameters (defaults, then the case's
//! overrides); `data.inventory` holds the case's `inventory:` objects. One
//! engine is compiled per rule and cloned per case; cases run in parallel.
//! A Rego evaluation error is an `Error` outcome, never counted as a violation.
//! Review, match and evaluation are `gatekeeper::review`'s, as for `verify` and `check`.

use rayon::prelude::*;
use serde_json::Value;

use super::results::{location_text, CaseResult, Filter, Outcome, Target};
use crate::gatekeeper::{case_parameters, eval, review};
use crate::model::{Expectation, Rule, TestCase, ViolationCount};

/// `violations: yes`, `violations: 2`, with ` matching /re/` when a message is expected.
pub fn expected_text(count: ViolationCount, message: Option<&str>) -> String {
    let c = match count {
        ViolationCount::Yes => "yes".to_string(),
        ViolationCount::No => "no".to_string(),
        ViolationCount::Exactly(n) => n.to_string(),
    };
    match message {
        Some(m) => format!("violations: {c} matching /{m}/"),
        None => format!("violations: {c}"),
    }
}

/// Runs the rule's Kubernetes cases (those expecting violations).
pub fn run_rule(rule: &Rule, filter: &Filter) -> Vec<CaseResult> {
    let Some(k) = &rule.kubernetes else {
        return Vec::new();
    };
    let cases: Vec<(usize, &TestCase)> = rule
        .tests
        .iter()
        .enumerate()
        .filter(|(_, t)| t.expect.is_kubernetes() && filter.selects(rule, &t.name))
        .collect();
    if cases.is_empty() {
        return Vec::new();
    }
    let template = eval::Template::compile(&k.rego, &k.libs, false);
    cases
        .par_iter()
        .map(|(i, t)| {
            let Expectation::Violations { count, message } = &t.expect else {
                unreachable!("filtered above")
            };
            let mut r = CaseResult {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                case: t.name.clone(),
                index: *i,
                target: Target::Kubernetes,
                outcome: Outcome::Error,
                expected: expected_text(*count, message.as_deref()),
                got: String::new(),
                messages: vec![],
                location: location_text(&t.location),
            };
            let template = match &template {
                Ok(t) => t,
                Err(e) => {
                    r.got = "error".into();
                    r.messages = vec![format!("the template does not compile: {e}")];
                    return r;
                }
            };
            match evaluate_case(rule, t, template) {
                Err(e) => {
                    r.got = "error".into();
                    r.messages = vec![e.to_string()];
                }
                Ok(results) => {
                    let re = message
                        .as_deref()
                        .map(|m| regex::Regex::new(m).expect("validated by the loader"));
                    let n = eval::count_matching(&results, re.as_ref());
                    r.got = match &re {
                        Some(_) => format!("violations: {} ({n} matching)", results.len()),
                        None => format!("violations: {}", results.len()),
                    };
                    r.outcome = if count.holds(n) {
                        Outcome::Pass
                    } else {
                        Outcome::Fail
                    };
                    let mut msgs: Vec<String> = results.into_iter().map(|v| v.msg).collect();
                    msgs.sort();
                    r.messages = msgs;
                }
            }
            r
        })
        .collect()
}

/// The violations gator would report for one case (empty when the match skips the object).
pub fn evaluate_case(
    rule: &Rule,
    t: &TestCase,
    template: &eval::Template,
) -> Result<Vec<eval::Violation>, review::ObjectError> {
    let k = rule.kubernetes.as_ref().expect("a Kubernetes rule");
    let params = Value::Object(case_parameters(k, &t.parameters));
    review::evaluate_object(
        t.input.value(),
        "CREATE",
        &k.match_,
        template,
        &params,
        &t.inventory,
    )
}

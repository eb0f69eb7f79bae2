//! Review → match → evaluate of a Kubernetes object, with gator's semantics:
//! the one place the test runner (`runner::rego`), `verify` and `check` get a
//! review from an object, decide whether a constraint's `match` selects it,
//! and evaluate the template on it.
//!
//! - [`review_of`]: the `input.review` of an object (or of an AdmissionReview),
//!   and the objects the match looks at (`object` and `oldObject`).
//! - [`match_review`]: the constraint's `match` over those objects; any match
//!   selects, every match error is kept.
//! - [`evaluate_object`]: the three in a row for one object and its inventory,
//!   as gator runs a case: a match error is an autoreject (one violation),
//!   an unmatched object has no violations. `check` evaluates many objects
//!   against many templates in bounded batches, so it calls the first two here
//!   and evaluates with [`Template::evaluate_loaded_many`].

use serde_json::Value;

use super::eval::{EvalError, Template, Violation};
use super::inventory;
use super::matcher;
use super::request::{group_kind, is_admission_review, review_for_admission, RequestError, Review};

/// The review of `obj`: an AdmissionReview's request, or `obj` admitted with
/// `operation` (gator's `CREATE` for tests, `""` for suites).
pub fn review_of(obj: &Value, operation: &str) -> Result<Review, RequestError> {
    if is_admission_review(obj) {
        review_for_admission(obj)
    } else {
        Ok(Review::of_object(obj, operation))
    }
}

/// Whether a constraint's `match` selects a review, and its match errors.
#[derive(Debug)]
pub struct MatchOutcome<E> {
    /// Some object of the review matched.
    pub matched: bool,
    /// Match errors, in the order of the objects.
    pub errors: Vec<E>,
}

/// Runs `matches` (a constraint's `match` against one object) over the
/// review's objects.
pub fn match_review<'a, E>(
    objects: impl IntoIterator<Item = &'a Value>,
    mut matches: impl FnMut(&Value) -> Result<bool, E>,
) -> MatchOutcome<E> {
    let mut out = MatchOutcome {
        matched: false,
        errors: Vec::new(),
    };
    for o in objects {
        match matches(o) {
            Ok(true) => out.matched = true,
            Ok(false) => {}
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// Why an object could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObjectError {
    /// The object is an AdmissionReview gator would not accept.
    #[error("{0}")]
    Review(RequestError),
    /// The Rego evaluation failed (never counted as a violation).
    #[error("{0}")]
    Evaluation(EvalError),
}

/// The violations gator reports for `obj` under one constraint (`match_`,
/// `parameters`) with `inventory` as `data.inventory` (its Namespaces also
/// serve the match's `namespaceSelector`). A match error is an autoreject:
/// one violation, no evaluation. An object the match skips has none.
pub fn evaluate_object(
    obj: &Value,
    operation: &str,
    match_: &Value,
    template: &Template,
    parameters: &Value,
    inventory: &[Value],
) -> Result<Vec<Violation>, ObjectError> {
    evaluate_object_with(obj, operation, match_, inventory, |review, inv| {
        template.evaluate(review, parameters, inv)
    })
}

/// `evaluate_object` with the last step, the template's evaluation of the
/// review and the `data.inventory` document, left to `evaluate` (the coverage
/// run evaluates with line coverage on).
pub fn evaluate_object_with(
    obj: &Value,
    operation: &str,
    match_: &Value,
    inventory: &[Value],
    evaluate: impl FnOnce(&Value, &Value) -> Result<Vec<Violation>, EvalError>,
) -> Result<Vec<Violation>, ObjectError> {
    let review = review_of(obj, operation).map_err(ObjectError::Review)?;
    let namespaces: Vec<Value> = inventory
        .iter()
        .filter(|o| group_kind(o) == (String::new(), "Namespace".to_string()))
        .cloned()
        .collect();
    let m = match_review(&review.match_objects, |o| {
        matcher::matches(match_, o, &namespaces)
    });
    if let Some(e) = m.errors.first() {
        return Ok(vec![Violation {
            msg: format!("autoreject: {e}"),
            details: Value::Null,
        }]);
    }
    if !m.matched {
        return Ok(vec![]);
    }
    evaluate(&review.review, &inventory::inventory(inventory)).map_err(ObjectError::Evaluation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Template {
        Template::compile(
            "package t\nviolation[{\"msg\": msg}] { msg := \"seen\" }",
            &[],
            false,
        )
        .unwrap()
    }

    fn pod(ns: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns}})
    }

    fn msgs(r: Result<Vec<Violation>, ObjectError>) -> Vec<String> {
        r.unwrap().into_iter().map(|v| v.msg).collect()
    }

    #[test]
    fn matched_objects_are_evaluated_and_others_skipped() {
        let (t, p) = (template(), json!({}));
        let kinds = json!({"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}], "excludedNamespaces": ["kube-system"]});
        let run = |o: &Value| evaluate_object(o, "CREATE", &kinds, &t, &p, &[]);
        assert_eq!(msgs(run(&pod("a"))), ["seen"]);
        assert!(msgs(run(&pod("kube-system"))).is_empty());
    }

    #[test]
    fn a_match_error_is_one_autoreject_and_no_evaluation() {
        let (t, p) = (template(), json!({}));
        let sel = json!({"namespaceSelector": {"matchLabels": {"team": "a"}}});
        let got = msgs(evaluate_object(&pod("x"), "CREATE", &sel, &t, &p, &[]));
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("autoreject: "), "{got:?}");
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {"team": "a"}}});
        let got = msgs(evaluate_object(&pod("x"), "CREATE", &sel, &t, &p, &[ns]));
        assert_eq!(got, ["seen"]);
    }

    #[test]
    fn match_review_keeps_every_error_and_any_match() {
        let objects = [json!(1), json!(2), json!(3)];
        let m = match_review(&objects, |o| match o.as_u64() {
            Some(2) => Ok(true),
            Some(n) => Err(format!("bad {n}")),
            None => Ok(false),
        });
        assert!(m.matched);
        assert_eq!(m.errors, ["bad 1", "bad 3"]);
    }

    #[test]
    fn a_bad_admission_review_is_a_review_error() {
        let bad =
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": 7});
        let got = evaluate_object(&bad, "CREATE", &json!({}), &template(), &json!({}), &[]);
        assert!(matches!(got, Err(ObjectError::Review(_))), "{got:?}");
    }
}

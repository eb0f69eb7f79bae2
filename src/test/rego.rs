//! Kubernetes cases: the rule's Rego evaluated with gator's input semantics.
//! (Being written: see issue 3.)

use super::{CaseResult, Filter};
use crate::model::Rule;

/// Runs the rule's Kubernetes cases (those expecting violations).
pub fn run_rule(_rule: &Rule, _filter: &Filter) -> Vec<CaseResult> {
    Vec::new()
}

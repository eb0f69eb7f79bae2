//! Azure cases: the generated definition JSON compiled by regorus and run on ARM resources.

use super::{CaseResult, Filter};
use crate::model::{Bundle, Rule};

pub struct Evaluator {}

impl Evaluator {
    pub fn new(_bundle: &Bundle) -> anyhow::Result<Evaluator> {
        Ok(Evaluator {})
    }
    pub fn run_rule(&self, _rule: &Rule, _filter: &Filter) -> Vec<CaseResult> {
        Vec::new()
    }
}

//! The runner's vocabulary: which cases to run ([`Filter`]) and what they gave
//! ([`CaseResult`], [`TestReport`]), shared by the evaluators and the reporters.

use crate::diagnostics::Location;
use crate::model::Rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Azure,
    Kubernetes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The case could not be evaluated (compile or runtime error).
    Error,
    Skip,
}

/// The verdict of one test case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseResult {
    pub rule_id: String,
    pub rule_name: String,
    pub case: String,
    /// Index of the case in the rule's `tests:` list.
    #[serde(skip)]
    pub index: usize,
    pub target: Target,
    pub outcome: Outcome,
    /// What the case expects, as written for people (`Audit`, `none`, `violations: 1`).
    pub expected: String,
    /// What evaluation produced, in the same words.
    pub got: String,
    /// Violation messages or the error text.
    pub messages: Vec<String>,
    /// `file:line:col` of the case.
    pub location: String,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }
}

/// All verdicts of one run, ordered by rule id then case order.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TestReport {
    pub cases: Vec<CaseResult>,
    /// Each rule against the built-in it names (`build`, `test --compare-builtin`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub builtins: Vec<BuiltinComparison>,
    /// What the cases cover, when measured (`test --coverage`, and every build
    /// for the policy pages).
    #[serde(skip)]
    pub coverage: Option<super::coverage_report::CoverageReport>,
}

impl TestReport {
    pub fn count(&self, o: Outcome) -> usize {
        self.cases.iter().filter(|c| c.outcome == o).count()
    }

    pub fn all_passed(&self) -> bool {
        self.cases
            .iter()
            .all(|c| matches!(c.outcome, Outcome::Pass | Outcome::Skip))
    }

    /// The verdicts of one rule, in case order.
    pub fn for_rule<'a>(&'a self, rule_id: &'a str) -> impl Iterator<Item = &'a CaseResult> + 'a {
        self.cases.iter().filter(move |c| c.rule_id == rule_id)
    }
}

/// Which cases to run: a substring of `<id> <rule name> <case name>`, ignoring case.
#[derive(Debug, Clone, Default)]
pub struct Filter(pub Option<String>);

impl Filter {
    pub fn selects(&self, rule: &Rule, case: &str) -> bool {
        match &self.0 {
            None => true,
            Some(f) => {
                let hay = format!("{} {} {}", rule.id, rule.name, case).to_lowercase();
                hay.contains(&f.to_lowercase())
            }
        }
    }
}

/// `file:line:col` text of a case location.
pub fn location_text(l: &Location) -> String {
    l.to_string()
}

/// One case where the built-in and our rule disagree.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Difference {
    pub case: String,
    pub ours: String,
    pub builtin: String,
}

/// How one rule compares with its built-in.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BuiltinComparison {
    pub rule_id: String,
    /// The built-in's GUID.
    pub builtin: String,
    /// Its `displayName` (the GUID when it cannot be read).
    pub display_name: String,
    pub agreed: usize,
    pub total: usize,
    pub differences: Vec<Difference>,
    /// Why no comparison could be made (file missing, compile error).
    pub error: Option<String>,
}

impl BuiltinComparison {
    /// "agrees with built-in X on N of M cases; differs on: c (ours: Audit, built-in: none)".
    pub fn sentence(&self) -> String {
        if let Some(e) = &self.error {
            return format!("cannot compare with built-in {}: {e}", self.display_name);
        }
        let mut s = format!(
            "agrees with built-in {} on {} of {} cases",
            self.display_name, self.agreed, self.total
        );
        if !self.differences.is_empty() {
            let parts: Vec<String> = self
                .differences
                .iter()
                .map(|d| format!("{} (ours: {}, built-in: {})", d.case, d.ours, d.builtin))
                .collect();
            s.push_str("; differs on: ");
            s.push_str(&parts.join(", "));
        }
        s
    }
}

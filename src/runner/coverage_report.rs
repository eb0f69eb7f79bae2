//! The coverage report's types and its human form: what `runner::coverage`
//! measures, what `test --coverage-json` writes and what the policy pages show.

use serde::Serialize;

/// Coverage of every rule, in rule order, and the totals.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CoverageReport {
    pub summary: Summary,
    pub rules: Vec<RuleCoverage>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub rules: usize,
    /// Coverage items: two per Azure leaf (true, false), one per branch, one per Rego line.
    pub items: usize,
    pub covered: usize,
    /// Uncovered items with a declared exception (left out of the percentage).
    pub excepted: usize,
    /// `covered / (items - excepted)`, rounded down to a tenth.
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCoverage {
    pub id: String,
    pub name: String,
    pub file: String,
    pub items: usize,
    pub covered: usize,
    pub excepted: usize,
    pub percent: f64,
    pub azure: Option<AzureCoverage>,
    pub rego: Option<RegoCoverage>,
    /// Cases left out, modules never entered, exceptions on covered items.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureCoverage {
    /// Azure cases evaluated (in the definition's mode).
    pub cases: usize,
    pub leaves: Vec<Leaf>,
    /// Branches of every `allOf`/`anyOf` with two or more branches.
    pub branches: Vec<Branch>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Leaf {
    /// JSON path in the definition, e.g. `policyRule.if.allOf[1].anyOf[0]`.
    pub path: String,
    /// `file:line:col` in the rule file.
    pub location: String,
    /// The leaf as written in the definition (compact JSON).
    pub condition: String,
    /// Cases that made it true / false.
    #[serde(rename = "true")]
    pub when_true: usize,
    #[serde(rename = "false")]
    pub when_false: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Branch {
    pub path: String,
    pub location: String,
    /// Cases in which this branch alone settled its group.
    pub decisive: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegoCoverage {
    /// Kubernetes cases whose object the constraint matched and the template evaluated.
    pub cases: usize,
    pub modules: Vec<RegoModule>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegoModule {
    /// `rego` or `libs[i]`.
    pub module: String,
    /// Lines (of the module) that hold code.
    pub lines: usize,
    pub covered: Vec<u32>,
    pub uncovered: Vec<Line>,
    pub exceptions: Vec<Line>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Line in the module's text.
    pub line: u32,
    /// `file:line:col` in the rule file.
    pub location: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CoverageReport {
    pub fn for_rule(&self, id: &str) -> Option<&RuleCoverage> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Rules whose percentage is below `min`.
    pub fn below(&self, min: f64) -> Vec<&RuleCoverage> {
        self.rules.iter().filter(|r| r.percent < min).collect()
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serialisable")
    }
}

impl RuleCoverage {
    /// What is not covered, one line each (`<what> at <file:line:col>: <detail>`),
    /// excepted items left out.
    pub fn gaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(a) = &self.azure {
            for l in a.leaves.iter().filter(|l| l.exception.is_none()) {
                let missing = match (l.when_true > 0, l.when_false > 0) {
                    (true, true) => continue,
                    (false, true) => "never true",
                    (true, false) => "never false",
                    (false, false) => "never evaluated",
                };
                out.push(format!(
                    "leaf {} at {} {missing}: {}",
                    l.path, l.location, l.condition
                ));
            }
            for b in a
                .branches
                .iter()
                .filter(|b| b.decisive == 0 && b.exception.is_none())
            {
                out.push(format!(
                    "branch {} at {} never decisive",
                    b.path, b.location
                ));
            }
        }
        if let Some(r) = &self.rego {
            for m in &r.modules {
                for l in &m.uncovered {
                    out.push(format!(
                        "{} line {} at {} never ran: {}",
                        m.module, l.line, l.location, l.code
                    ));
                }
            }
        }
        out
    }
}

/// `covered / (items - excepted)` in percent, rounded down to a tenth (100 when nothing counts).
pub(super) fn percent(items: usize, covered: usize, excepted: usize) -> f64 {
    let n = items.saturating_sub(excepted);
    if n == 0 {
        return 100.0;
    }
    ((covered * 1000) / n) as f64 / 10.0
}

/// The human report: a line per rule, its gaps below it, then the total.
pub fn human(r: &CoverageReport) -> String {
    let mut s =
        String::from("\ncoverage (Azure leaves true/false and decisive branches, Rego lines):\n");
    for rule in &r.rules {
        let ex = if rule.excepted > 0 {
            format!(", {} excepted", rule.excepted)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "  {:<8} {:>5.1}%  {}/{}{ex}  {}\n",
            rule.id,
            rule.percent,
            rule.covered,
            rule.items - rule.excepted,
            rule.name
        ));
        for g in rule.gaps() {
            s.push_str(&format!("           {g}\n"));
        }
        for n in &rule.notes {
            s.push_str(&format!("           note: {n}\n"));
        }
    }
    s.push_str(&format!(
        "overall {:.1}% ({} of {} items in {} rule(s){})\n",
        r.summary.percent,
        r.summary.covered,
        r.summary.items - r.summary.excepted,
        r.summary.rules,
        if r.summary.excepted > 0 {
            format!(", {} excepted", r.summary.excepted)
        } else {
            String::new()
        }
    ));
    s
}

//! What `verify` found: one outcome per case (or per test that could not run),
//! grouped by suite, and the two ways it is printed (gator-like lines, JSON).

use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

/// One case (or, with an empty `case`, a test that could not run at all).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseOutcome {
    pub test: String,
    pub case: String,
    pub status: Status,
    /// Why it failed or was skipped; the violation messages when it passed.
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SuiteOutcome {
    /// The suite file as found (relative to the current folder when given so).
    pub file: String,
    pub cases: Vec<CaseOutcome>,
}

impl SuiteOutcome {
    fn failed(&self) -> bool {
        self.cases.iter().any(|c| c.status == Status::Fail)
    }
}

/// Every suite's outcome, in file order.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VerifyOutcome {
    pub suites: Vec<SuiteOutcome>,
}

impl VerifyOutcome {
    fn count(&self, s: Status) -> usize {
        self.suites
            .iter()
            .flat_map(|x| &x.cases)
            .filter(|c| c.status == s)
            .count()
    }
    pub fn passed(&self) -> usize {
        self.count(Status::Pass)
    }
    pub fn failed(&self) -> usize {
        self.count(Status::Fail)
    }
    pub fn skipped(&self) -> usize {
        self.count(Status::Skip)
    }

    /// gator-like lines: one per case, `ok`/`FAIL` per suite, then the counts.
    pub fn human(&self) -> String {
        let mut s = String::new();
        for suite in &self.suites {
            for c in &suite.cases {
                let name = if c.case.is_empty() {
                    c.test.clone()
                } else {
                    format!("{}/{}", c.test, c.case)
                };
                let mark = match c.status {
                    Status::Pass => "PASS",
                    Status::Fail => "FAIL",
                    Status::Skip => "SKIP",
                };
                s.push_str(&format!("    --- {mark}: {name}\n"));
                if c.status != Status::Pass {
                    for m in &c.messages {
                        s.push_str(&format!("        {m}\n"));
                    }
                }
            }
            let mark = if suite.failed() { "FAIL" } else { "ok  " };
            s.push_str(&format!("{mark} {}\n", suite.file));
        }
        s.push_str(&format!(
            "\n{} suite(s): {} passed, {} failed, {} skipped\n",
            self.suites.len(),
            self.passed(),
            self.failed(),
            self.skipped()
        ));
        s
    }

    /// `{"summary": {suites, total, passed, failed, skipped}, "suites": [...]}`.
    pub fn json(&self) -> String {
        let v = json!({
            "summary": {
                "suites": self.suites.len(),
                "total": self.suites.iter().map(|s| s.cases.len()).sum::<usize>(),
                "passed": self.passed(),
                "failed": self.failed(),
                "skipped": self.skipped(),
            },
            "suites": self.suites,
        });
        serde_json::to_string_pretty(&v).expect("serialisable")
    }
}

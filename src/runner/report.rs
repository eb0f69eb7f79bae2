//! Reporters for a `TestReport`: human text, JSON and JUnit XML.

use super::results::{Outcome, TestReport};

/// One line per failing case with expected vs got and its place, then a summary line.
pub fn human(r: &TestReport) -> String {
    let mut s = String::new();
    for c in &r.cases {
        let mark = match c.outcome {
            Outcome::Pass => "ok  ",
            Outcome::Fail => "FAIL",
            Outcome::Error => "ERR ",
            Outcome::Skip => "skip",
        };
        s.push_str(&format!(
            "{mark} {} {} — {}\n",
            c.rule_id, c.case, c.expected
        ));
        if matches!(c.outcome, Outcome::Fail | Outcome::Error) {
            s.push_str(&format!(
                "     at {}\n     expected: {}\n     got:      {}\n",
                c.location, c.expected, c.got
            ));
            for m in &c.messages {
                s.push_str(&format!("     | {m}\n"));
            }
        }
    }
    let failed = r.count(Outcome::Fail) + r.count(Outcome::Error);
    s.push_str(&format!(
        "\n{} passed, {} failed, {} skipped\n",
        r.count(Outcome::Pass),
        failed,
        r.count(Outcome::Skip)
    ));
    s
}

/// `{"summary": {passed, failed, skipped, total}, "cases": [...]}`, plus
/// `"builtins": [...]` with `--compare-builtin`.
pub fn json(r: &TestReport) -> String {
    let mut v = serde_json::json!({
        "summary": {
            "total": r.cases.len(),
            "passed": r.count(Outcome::Pass),
            "failed": r.count(Outcome::Fail) + r.count(Outcome::Error),
            "skipped": r.count(Outcome::Skip),
        },
        "cases": r.cases,
    });
    if !r.builtins.is_empty() {
        v["builtins"] = serde_json::json!(r.builtins);
    }
    serde_json::to_string_pretty(&v).expect("serialisable")
}

/// JUnit XML: one test suite per rule, one test case per case.
pub fn junit(r: &TestReport) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("policybook");
    let mut suites: Vec<TestSuite> = Vec::new();
    for c in &r.cases {
        if suites
            .last()
            .map(|s| s.name.as_str() != c.rule_id)
            .unwrap_or(true)
        {
            suites.push(TestSuite::new(c.rule_id.clone()));
        }
        let status = match c.outcome {
            Outcome::Pass => TestCaseStatus::success(),
            Outcome::Skip => TestCaseStatus::skipped(),
            Outcome::Fail | Outcome::Error => {
                let kind = if c.outcome == Outcome::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut st = TestCaseStatus::non_success(kind);
                st.set_message(format!("expected {}, got {}", c.expected, c.got));
                st.set_description(format!("at {}\n{}", c.location, c.messages.join("\n")));
                st
            }
        };
        let mut tc = TestCase::new(c.case.clone(), status);
        tc.set_classname(format!("{}.{}", c.rule_id, c.rule_name));
        suites.last_mut().expect("pushed above").add_test_case(tc);
    }
    report.add_test_suites(suites);
    report.to_string().expect("JUnit XML serialises")
}

/// `--compare-builtin`: one line per rule naming a built-in, after the cases;
/// a note when the project has no `builtins/` folder.
pub fn builtins(bundle: &crate::model::Bundle, r: &TestReport) -> String {
    let named = bundle.rules.iter().filter(|x| x.builtin.is_some()).count();
    if r.builtins.is_empty() {
        return format!(
            "\nno built-in compared: {named} rule(s) name one; vendor their definitions in {}/ (see the README)\n",
            super::builtin::FOLDER
        );
    }
    let mut s = String::from("\n");
    for b in &r.builtins {
        let name = bundle
            .rule(&b.rule_id)
            .map(|x| x.name.as_str())
            .unwrap_or("");
        s.push_str(&format!("{} {name}: {}\n", b.rule_id, b.sentence()));
    }
    s
}

//! The missing-case lint: a rule is tested on a target (Azure, Kubernetes) only
//! when its cases show it both firing and not firing there. A rule that never
//! fires in any case passes every run while testing nothing.
//!
//! The lint reads what the cases expect, not what they got: a case that fails
//! is reported by the runner; here only the shape of the test list counts.

use crate::diagnostics::{Diagnostics, Level, Location};
use crate::model::{Bundle, Expectation, Rule, ViolationCount};

use super::results::Filter;

/// Whether a case expects the rule to fire (`None` when it is not a case of `azure`'s target).
fn fires(e: &Expectation, azure: bool) -> Option<bool> {
    match e {
        Expectation::Effect(eff) if azure => Some(!eff.eq_ignore_ascii_case("disabled")),
        Expectation::NoEffect if azure => Some(false),
        Expectation::Violations { count, .. } if !azure => Some(!matches!(
            count,
            ViolationCount::No | ViolationCount::Exactly(0)
        )),
        _ => None,
    }
}

/// One diagnostic per rule, target and missing kind of case, at the rule's
/// `tests:` key. With a filter, only rules with a selected case are linted.
/// `level` is `Error` for `test` and `Warning` for `build`.
pub fn missing_cases(bundle: &Bundle, filter: &Filter, level: Level) -> Diagnostics {
    let mut d = Diagnostics::default();
    for rule in &bundle.rules {
        if !rule.tests.iter().any(|t| filter.selects(rule, &t.name)) {
            continue;
        }
        for (azure, present, target) in [
            (true, rule.azure.is_some(), "Azure"),
            (false, rule.kubernetes.is_some(), "Kubernetes"),
        ] {
            if !present {
                continue;
            }
            let seen: Vec<bool> = rule
                .tests
                .iter()
                .filter_map(|t| fires(&t.expect, azure))
                .collect();
            for want in [true, false] {
                if !seen.contains(&want) {
                    push(&mut d, level, rule, target, azure, want);
                }
            }
        }
    }
    d
}

fn push(d: &mut Diagnostics, level: Level, rule: &Rule, target: &str, azure: bool, fire: bool) {
    let at = Location::new(
        rule.location.file.clone(),
        rule.spans.key("tests").unwrap_or((1, 1)),
    );
    let (what, expect) = match (fire, azure) {
        (true, true) => ("fires", "`expect: Audit` (or the effect it should give)"),
        (false, true) => ("does not fire", "`expect: none`"),
        (true, false) => ("fires", "`expect: {violations: 1}`"),
        (false, false) => ("does not fire", "`expect: {violations: \"no\"}`"),
    };
    let message = format!(
        "rule {} ({}) has no {target} test case where it {what}",
        rule.id, rule.name
    );
    let help = if fire {
        format!("add a case to `tests:` whose input breaks the rule, with {expect}; a rule never seen firing is not tested")
    } else {
        format!("add a case to `tests:` whose input complies, with {expect}; a rule never seen passing may fire on everything")
    };
    match level {
        Level::Error => d.error(at, message, help),
        Level::Warning => d.warning(at, message, help),
    }
}

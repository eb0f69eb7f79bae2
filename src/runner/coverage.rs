//! Test coverage of the rules (`policybook test --coverage`, and the policy
//! pages of a build).
//!
//! Azure: the generated definition's `if` is walked as a tree of `allOf`,
//! `anyOf` and `not` down to its leaves (each `field`, `value` or `count`
//! test; a `count`'s `where` belongs to its leaf). Every leaf is compiled on its
//! own as the whole `if` of a probe definition (`azure_eval::compile_probe`)
//! and evaluated on each Azure case's resource with the case's parameters, so
//! a leaf's truth is regorus's, not ours. A leaf is covered when some case made
//! it true and some case made it false. A branch of an `allOf`/`anyOf` with two
//! or more branches is decisive in a case when it alone settles its group (the
//! other branches of an `allOf` all true, of an `anyOf` all false); each branch
//! must be decisive once. The leaves' combination is checked against the whole
//! condition in every case; a case where they disagree is left out (a note).
//!
//! Rego: each Kubernetes case runs through `gatekeeper::review` (match, then
//! the template) with regorus's line coverage on (`eval::evaluate_covered`,
//! bounded like every evaluation); the lines of all cases are merged.
//!
//! A leaf, branch or Rego line that cannot be covered can carry a comment
//! `# coverage-exception: <why>` on its line of the rule file: it is then
//! listed with its reason and left out of the percentage.

use rayon::prelude::*;
use serde_json::Value;

use super::azure_eval::{AzureEvalError, CompiledDefinition, Evaluator};
use super::coverage_report::percent;
pub use super::coverage_report::{
    human, AzureCoverage, Branch, CoverageReport, Leaf, Line, RegoCoverage, RegoModule,
    RuleCoverage, Summary,
};
use super::results::Filter;
use crate::azure;
use crate::gatekeeper::{case_parameters, eval, rego_location, review};
use crate::model::{Bundle, Rule, TestCase};

/// The comment that marks an item as not coverable, with its reason after it.
pub const EXCEPTION_MARKER: &str = "coverage-exception:";

/// Measures the coverage of the selected cases of every rule.
pub fn measure(bundle: &Bundle, filter: &Filter) -> anyhow::Result<CoverageReport> {
    let azure = Evaluator::new(bundle)?;
    let rules: Vec<RuleCoverage> = bundle
        .rules
        .par_iter()
        .map(|rule| measure_rule(bundle, &azure, rule, filter))
        .collect();
    let mut s = Summary {
        rules: rules.len(),
        ..Summary::default()
    };
    for r in &rules {
        s.items += r.items;
        s.covered += r.covered;
        s.excepted += r.excepted;
    }
    s.percent = percent(s.items, s.covered, s.excepted);
    Ok(CoverageReport { summary: s, rules })
}

fn measure_rule(bundle: &Bundle, azure: &Evaluator, rule: &Rule, filter: &Filter) -> RuleCoverage {
    let source = crate::text::read_text(&bundle.root.join(&rule.location.file)).ok();
    let mut notes = Vec::new();
    let azure_cov = rule
        .azure
        .as_ref()
        .map(|a| measure_azure(bundle, azure, rule, a, filter, &mut notes));
    let rego_cov = rule
        .kubernetes
        .as_ref()
        .map(|_| measure_rego(rule, source.as_deref(), filter, &mut notes));
    let mut rc = RuleCoverage {
        id: rule.id.clone(),
        name: rule.name.clone(),
        file: rule.location.file.clone(),
        items: 0,
        covered: 0,
        excepted: 0,
        percent: 0.0,
        azure: azure_cov,
        rego: rego_cov,
        notes,
    };
    // Exceptions: read from the rule file at each uncovered item's line.
    let exception_at = |location: &str| -> Option<String> {
        let line: usize = location.rsplit(':').nth(1)?.parse().ok()?;
        exception_in(source.as_deref()?.lines().nth(line.checked_sub(1)?)?)
    };
    let (mut items, mut covered, mut excepted) = (0, 0, 0);
    let mut stale = Vec::new();
    if let Some(a) = &mut rc.azure {
        for l in &mut a.leaves {
            items += 2;
            let hit = usize::from(l.when_true > 0) + usize::from(l.when_false > 0);
            covered += hit;
            l.exception = exception_at(&l.location);
            if l.exception.is_some() {
                if hit == 2 {
                    stale.push(l.location.clone());
                }
                excepted += 2 - hit;
            }
        }
        for b in &mut a.branches {
            items += 1;
            b.exception = exception_at(&b.location);
            if b.decisive > 0 {
                covered += 1;
            } else if b.exception.is_some() {
                excepted += 1;
            }
        }
    }
    if let Some(r) = &mut rc.rego {
        for m in &mut r.modules {
            items += m.lines;
            covered += m.covered.len();
            let (ex, un): (Vec<Line>, Vec<Line>) = std::mem::take(&mut m.uncovered)
                .into_iter()
                .map(|mut l| {
                    l.reason = exception_in(&l.code);
                    l
                })
                .partition(|l| l.reason.is_some());
            excepted += ex.len();
            m.exceptions = ex;
            m.uncovered = un;
        }
    }
    for s in stale {
        rc.notes.push(format!(
            "{s}: `# {EXCEPTION_MARKER}` on a leaf the cases cover; remove the comment"
        ));
    }
    rc.items = items;
    rc.covered = covered;
    rc.excepted = excepted;
    rc.percent = percent(items, covered, excepted);
    rc
}

/// The reason of a `# coverage-exception: <why>` comment on a line, if any.
fn exception_in(line: &str) -> Option<String> {
    // The marker right after a `#` (a `#` elsewhere on the line, in a value or
    // the reason, does not matter).
    let mut from = 0;
    while let Some(i) = line[from..].find(EXCEPTION_MARKER) {
        let at = from + i;
        if line[..at].trim_end().ends_with('#') {
            return Some(line[at + EXCEPTION_MARKER.len()..].trim().to_string());
        }
        from = at + EXCEPTION_MARKER.len();
    }
    None
}

// ---- Azure ----

/// The condition tree: leaves by index, groups with their branch indices.
enum Node {
    Leaf(usize),
    Group {
        any: bool,
        children: Vec<Node>,
        /// Index into the branch list per child (groups of two or more only).
        branches: Vec<Option<usize>>,
    },
    Not(Box<Node>),
}

struct Tree {
    root: Node,
    /// Leaves: (json path, yaml path, condition).
    leaves: Vec<(String, String, Value)>,
    /// Branches: (json path, yaml path, condition).
    branches: Vec<(String, String, Value)>,
}

fn key_ci<'a>(m: &'a serde_json::Map<String, Value>, key: &str) -> Option<(&'a str, &'a Value)> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(k, v)| (k.as_str(), v))
}

fn build_tree(v: &Value, jp: &str, yp: &str, t: &mut Tree) -> Node {
    if let Value::Object(m) = v {
        for (name, any) in [("allOf", false), ("anyOf", true)] {
            if let Some((k, Value::Array(items))) = key_ci(m, name) {
                let mut children = Vec::new();
                let mut branches = Vec::new();
                for (i, c) in items.iter().enumerate() {
                    let (cj, cy) = (format!("{jp}.{k}[{i}]"), format!("{yp}.{k}.{i}"));
                    branches.push((items.len() > 1).then(|| {
                        t.branches.push((cj.clone(), cy.clone(), c.clone()));
                        t.branches.len() - 1
                    }));
                    children.push(build_tree(c, &cj, &cy, t));
                }
                return Node::Group {
                    any,
                    children,
                    branches,
                };
            }
        }
        if let Some((k, c @ Value::Object(_))) = key_ci(m, "not") {
            let child = build_tree(c, &format!("{jp}.{k}"), &format!("{yp}.{k}"), t);
            return Node::Not(Box::new(child));
        }
    }
    t.leaves.push((jp.to_string(), yp.to_string(), v.clone()));
    Node::Leaf(t.leaves.len() - 1)
}

/// The node's value from the leaves' values; counts decisive branches on the way.
fn combine(n: &Node, leaves: &[bool], decisive: &mut [usize]) -> bool {
    match n {
        Node::Leaf(i) => leaves[*i],
        Node::Not(c) => !combine(c, leaves, decisive),
        Node::Group {
            any,
            children,
            branches,
        } => {
            let vals: Vec<bool> = children
                .iter()
                .map(|c| combine(c, leaves, decisive))
                .collect();
            for (i, b) in branches.iter().enumerate() {
                let Some(b) = b else { continue };
                // Settles the group alone: every other branch is the neutral value.
                if vals.iter().enumerate().all(|(j, v)| j == i || *v != *any) {
                    decisive[*b] += 1;
                }
            }
            if *any {
                vals.iter().any(|v| *v)
            } else {
                vals.iter().all(|v| *v)
            }
        }
    }
}

/// `file:line:col` of a condition in the rule file: its first key (`field`,
/// `anyOf`…), or the nearest place known.
fn place(rule: &Rule, yaml_path: &str, condition: &Value) -> String {
    let first = condition.as_object().and_then(|m| m.keys().next());
    match first.and_then(|k| rule.spans.key(&format!("{yaml_path}.{k}"))) {
        Some(pos) => crate::diagnostics::Location::new(rule.location.file.clone(), pos).to_string(),
        None => rule.locate(yaml_path).to_string(),
    }
}

fn compact(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else {
        s
    }
}

fn measure_azure(
    bundle: &Bundle,
    evaluator: &Evaluator,
    rule: &Rule,
    a: &crate::model::AzureRule,
    filter: &Filter,
    notes: &mut Vec<String>,
) -> AzureCoverage {
    let def = azure::definition_json(bundle, rule, a);
    let cond = def["properties"]["policyRule"]["if"].clone();
    let mut t = Tree {
        root: Node::Leaf(0),
        leaves: Vec::new(),
        branches: Vec::new(),
    };
    t.root = build_tree(&cond, "policyRule.if", "azure.if", &mut t);
    let mut true_n = vec![0usize; t.leaves.len()];
    let mut false_n = vec![0usize; t.leaves.len()];
    let mut decisive = vec![0usize; t.branches.len()];
    let mut cases = 0;
    let probes: Result<Vec<CompiledDefinition>, AzureEvalError> = std::iter::once(&cond)
        .chain(t.leaves.iter().map(|l| &l.2))
        .map(|c| evaluator.compile_probe(&def, c))
        .collect();
    match probes {
        Err(e) => notes.push(format!("the condition's leaves do not compile alone: {e}")),
        Ok(probes) => {
            let selected: Vec<&TestCase> = rule
                .tests
                .iter()
                .filter(|c| !c.expect.is_kubernetes() && filter.selects(rule, &c.name))
                .collect();
            let per_case: Vec<Result<Option<Vec<bool>>, AzureEvalError>> = selected
                .par_iter()
                .map(|c| {
                    let mut vals = Vec::with_capacity(probes.len());
                    for p in &probes {
                        match evaluator.holds(p, c.input.value(), &c.parameters)? {
                            Some(v) => vals.push(v),
                            None => return Ok(None),
                        }
                    }
                    Ok(Some(vals))
                })
                .collect();
            for (c, r) in selected.iter().zip(per_case) {
                let vals = match r {
                    Ok(Some(v)) => v,
                    Ok(None) => continue,
                    Err(e) => {
                        notes.push(format!("case `{}` ({}): {e}", c.name, c.location));
                        continue;
                    }
                };
                let mut d = vec![0usize; decisive.len()];
                let whole = combine(&t.root, &vals[1..], &mut d);
                if whole != vals[0] {
                    notes.push(format!(
                        "case `{}` ({}): the leaves combine to {whole} but the condition is {}; the case is left out",
                        c.name, c.location, vals[0]
                    ));
                    continue;
                }
                cases += 1;
                for (i, v) in vals[1..].iter().enumerate() {
                    if *v {
                        true_n[i] += 1;
                    } else {
                        false_n[i] += 1;
                    }
                }
                for (x, y) in decisive.iter_mut().zip(d) {
                    *x += y;
                }
            }
        }
    }
    let leaves = t
        .leaves
        .iter()
        .enumerate()
        .map(|(i, (jp, yp, c))| Leaf {
            path: jp.clone(),
            location: place(rule, yp, c),
            condition: compact(c),
            when_true: true_n[i],
            when_false: false_n[i],
            exception: None,
        })
        .collect();
    let branches = t
        .branches
        .iter()
        .enumerate()
        .map(|(i, (jp, yp, v))| Branch {
            path: jp.clone(),
            location: place(rule, yp, v),
            decisive: decisive[i],
            exception: None,
        })
        .collect();
    AzureCoverage {
        cases,
        leaves,
        branches,
    }
}

// ---- Rego ----

/// Lines of a Rego text that hold code, for a module no case entered
/// (regorus reports only modules it evaluated): not blank, not a comment, not
/// the package or an import, not a lone brace.
fn code_lines(text: &str) -> Vec<u32> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            !(t.is_empty()
                || t.starts_with('#')
                || t.starts_with("package ")
                || t.starts_with("import ")
                || t.chars().all(|c| "{}[]()".contains(c)))
        })
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

fn measure_rego(
    rule: &Rule,
    source: Option<&str>,
    filter: &Filter,
    notes: &mut Vec<String>,
) -> RegoCoverage {
    let k = rule.kubernetes.as_ref().expect("a Kubernetes rule");
    let mut merged = eval::LineCoverage::default();
    let mut cases = 0;
    match eval::Template::compile(&k.rego, &k.libs, false) {
        Err(e) => notes.push(format!("the template does not compile: {e}")),
        Ok(template) => {
            let selected: Vec<&TestCase> = rule
                .tests
                .iter()
                .filter(|c| c.expect.is_kubernetes() && filter.selects(rule, &c.name))
                .collect();
            let runs: Vec<Result<Option<eval::LineCoverage>, review::ObjectError>> = selected
                .par_iter()
                .map(|c| {
                    let params = Value::Object(case_parameters(k, &c.parameters));
                    let mut lines = None;
                    review::evaluate_object_with(
                        c.input.value(),
                        "CREATE",
                        &k.match_,
                        &c.inventory,
                        |rev, inv| {
                            let (v, l) = template.evaluate_covered(rev, &params, inv)?;
                            lines = Some(l);
                            Ok(v)
                        },
                    )?;
                    Ok(lines)
                })
                .collect();
            for (c, r) in selected.iter().zip(runs) {
                match r {
                    Ok(Some(l)) => {
                        cases += 1;
                        merged.merge(&l);
                    }
                    Ok(None) => {}
                    Err(e) => notes.push(format!("case `{}` ({}): {e}", c.name, c.location)),
                }
            }
        }
    }
    let texts = std::iter::once(("rego".to_string(), "kubernetes.rego".to_string(), &k.rego))
        .chain(
            k.libs
                .iter()
                .enumerate()
                .map(|(i, l)| (format!("libs[{i}]"), format!("kubernetes.libs.{i}"), l)),
        );
    let modules = texts
        .enumerate()
        .map(|(mi, (module, path, text))| {
            let (covered, missed): (Vec<u32>, Vec<u32>) = match merged.modules.get(&mi) {
                Some((c, m)) => (c.iter().copied().collect(), m.iter().copied().collect()),
                None => {
                    notes.push(format!(
                        "{module} never ran in any case; its code lines count as not run"
                    ));
                    (Vec::new(), code_lines(text))
                }
            };
            let lines: Vec<&str> = text.lines().collect();
            let uncovered = missed
                .iter()
                .map(|&n| {
                    let code = lines.get(n as usize - 1).copied().unwrap_or_default();
                    let col = code.len() - code.trim_start().len() + 1;
                    Line {
                        line: n,
                        location: rego_location(rule, source, &path, text, n as usize, col)
                            .to_string(),
                        code: code.trim().to_string(),
                        reason: None,
                    }
                })
                .collect();
            RegoModule {
                module,
                lines: covered.len() + missed.len(),
                covered,
                uncovered,
                exceptions: Vec::new(),
            }
        })
        .collect();
    RegoCoverage { cases, modules }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decisive_branches_settle_their_group_alone() {
        let mut t = Tree {
            root: Node::Leaf(0),
            leaves: Vec::new(),
            branches: Vec::new(),
        };
        let cond = json!({"allOf": [{"field": "a"}, {"anyOf": [{"field": "b"}, {"not": {"field": "c"}}]}]});
        t.root = build_tree(&cond, "policyRule.if", "azure.if", &mut t);
        let paths: Vec<&str> = t.leaves.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "policyRule.if.allOf[0]",
                "policyRule.if.allOf[1].anyOf[0]",
                "policyRule.if.allOf[1].anyOf[1].not"
            ]
        );
        assert_eq!(t.leaves[2].1, "azure.if.allOf.1.anyOf.1.not");
        let mut d = vec![0; t.branches.len()];
        // a true, b false, c true (so `not c` false): the anyOf is false, and
        // both its branches and the allOf's second branch decide alone.
        assert!(!combine(&t.root, &[true, false, true], &mut d));
        assert_eq!(d, [0, 1, 1, 1]);
        // a false, b true: only the allOf's first branch decides.
        let mut d = vec![0; t.branches.len()];
        assert!(!combine(&t.root, &[false, true, true], &mut d));
        assert_eq!(d, [1, 0, 1, 0]);
    }

    #[test]
    fn percentages_round_down_and_leave_exceptions_out() {
        assert_eq!(percent(3, 2, 0), 66.6);
        assert_eq!(percent(1000, 999, 0), 99.9);
        assert_eq!(percent(10, 9, 1), 100.0);
        assert_eq!(percent(0, 0, 0), 100.0);
        assert_eq!(
            exception_in("  x := 1 # coverage-exception: defensive"),
            Some("defensive".into())
        );
        assert_eq!(exception_in("  x := 1 # other"), None);
        assert_eq!(
            exception_in("  u := \"https://a/#x\" #coverage-exception: see #12"),
            Some("see #12".into())
        );
        assert_eq!(exception_in("  s := \"coverage-exception: no\""), None);
    }
}

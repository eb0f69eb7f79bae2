//! Gatekeeper's evaluation, reproduced with regorus: one compiled engine per
//! ConstraintTemplate, cloned per review, given the `input.review` of `request`
//! and the `data.inventory` of `inventory`; results read from `violation`.
//! Every evaluation is bounded in time and stack (`limits`), and recursion is
//! rejected at compile time (`recursion`). Its errors are types: `CompileError`
//! (which module, line and column) and `EvalError`.

use serde_json::{json, Map, Value};

use super::limits;
use super::recursion;
use crate::regorus_errors::{locate, Located};

/// One result of a template's `violation` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub msg: String,
    pub details: Value,
}

/// A template that failed to compile: which module (0 = the template's `rego`,
/// i + 1 = `libs[i]`), where in it (1-based line/column when regorus says), and why.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub module: usize,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.module == 0 {
            "rego".to_string()
        } else {
            format!("libs[{}]", self.module - 1)
        };
        match self.line {
            Some(l) => write!(f, "{what} line {l}: {}", self.message),
            None => write!(f, "{what}: {}", self.message),
        }
    }
}

impl std::error::Error for CompileError {}

/// A compiled ConstraintTemplate target.
#[derive(Clone)]
pub struct Template {
    /// Package of the template module, e.g. `data.k8sazurenopodidentity`.
    pub package: String,
    engine: regorus::Engine,
}

/// Why an evaluation of `violation` gave no violations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// regorus failed; printed `file:line:col: message` when it names a place.
    #[error("{}", compact(.0))]
    Regorus(Located),
    /// Ran past the time limit (or the worker could not run it).
    #[error("{0}")]
    Bounded(limits::Overrun),
    /// A value regorus could not convert.
    #[error("{0}")]
    Value(String),
    #[error("`violation` must be a set of objects, got {0}")]
    NotASet(Value),
    #[error("a `violation` result must be an object, got {0}")]
    NotAnObject(Value),
    #[error("a `violation` result has no `msg`")]
    NoMsg,
}

impl EvalError {
    fn regorus(e: &anyhow::Error) -> EvalError {
        EvalError::Regorus(locate(&format!("{e:#}")))
    }

    /// A regorus error of an evaluation under `limit`: the time limit, or another.
    fn of_run(e: &anyhow::Error, limit: limits::TimeLimit) -> EvalError {
        if limits::is_time_error(e) {
            EvalError::Bounded(limits::Overrun::Time(limit.exceeded_message()))
        } else {
            EvalError::regorus(e)
        }
    }
}

impl Template {
    /// Compiles the template's Rego and libs (v0 syntax unless `rego_v1`).
    pub fn compile(rego: &str, libs: &[String], rego_v1: bool) -> Result<Template, CompileError> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(!rego_v1);
        engine.set_strict_builtin_errors(false);
        limits::install_range_builtins(&mut engine).map_err(|e| parse_error(0, &e))?;
        let package = engine
            .add_policy("template.rego".into(), rego.to_string())
            .map_err(|e| parse_error(0, &e))?;
        for (i, lib) in libs.iter().enumerate() {
            let name = format!("lib_{i}.rego");
            let pkg = engine
                .add_policy(name, lib.clone())
                .map_err(|e| parse_error(i + 1, &e))?;
            if !pkg.starts_with("data.lib.") {
                return Err(CompileError {
                    module: i + 1,
                    line: Some(1),
                    column: Some(1),
                    message: format!("library package `{}` is not under `lib.` (Gatekeeper requires `package lib.<name>`)", pkg.trim_start_matches("data.")),
                });
            }
        }
        // Recursive functions would overflow the stack: rejected here, as OPA does.
        if let Some(r) = recursion::find_recursion(&mut engine) {
            return Err(CompileError {
                module: r.module,
                line: Some(r.line),
                column: Some(r.column),
                message: r.message,
            });
        }
        // Prepare once (analysis, scheduling) so that unsafe variables, unknown
        // functions and the like surface now, not on the first review. The probe
        // runs bounded like any evaluation; running out of time is no compile error.
        let probe = json!({"review": {"kind": {"group": "", "version": "v1", "kind": "ConfigMap"}, "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe"}}, "operation": "CREATE", "userInfo": {}, "oldObject": null}, "parameters": {}});
        let mut probe_engine = engine.clone();
        let rule = format!("{package}.violation");
        let probed = limits::run_bounded(move |limit| {
            limits::arm(&mut probe_engine, limit);
            probe_engine.add_data(to_regorus(&json!({"inventory": {}})))?;
            probe_engine.set_input(to_regorus(&probe));
            probe_engine.eval_rule(rule).map(|_| ())
        });
        match probed {
            Ok(Ok(())) | Err(limits::Overrun::Time(_)) => {}
            Ok(Err(e)) if limits::is_time_error(&e) => {}
            Ok(Err(e)) => return Err(parse_error(0, &e)),
            Err(e @ limits::Overrun::Crashed(_)) => {
                return Err(CompileError {
                    module: 0,
                    line: None,
                    column: None,
                    message: e.to_string(),
                })
            }
        }
        Ok(Template { package, engine })
    }

    /// Evaluates `violation` for one review. `inventory` is the `data.inventory` document.
    pub fn evaluate(
        &self,
        review: &Value,
        parameters: &Value,
        inventory: &Value,
    ) -> Result<Vec<Violation>, EvalError> {
        let mut engine = self.engine.clone();
        // The data is loaded here; the evaluation itself is bounded in `run`.
        engine
            .add_data(to_regorus(&json!({ "inventory": inventory })))
            .map_err(|e| EvalError::regorus(&e))?;
        self.run(
            engine,
            to_regorus(&json!({"review": review, "parameters": parameters})),
        )
    }

    /// `evaluate` with regorus's line coverage on: also which lines of each
    /// module (0 = `rego`, i + 1 = `libs[i]`) ran and which did not. Bounded like
    /// every evaluation; used by `policybook test --coverage`.
    pub fn evaluate_covered(
        &self,
        review: &Value,
        parameters: &Value,
        inventory: &Value,
    ) -> Result<(Vec<Violation>, LineCoverage), EvalError> {
        let mut engine = self.engine.clone();
        engine
            .add_data(to_regorus(&json!({ "inventory": inventory })))
            .map_err(|e| EvalError::regorus(&e))?;
        engine.set_enable_coverage(true);
        let input = to_regorus(&json!({"review": review, "parameters": parameters}));
        let rule = format!("{}.violation", self.package);
        let (v, lines) = limits::run_bounded(move |limit| {
            limits::arm(&mut engine, limit);
            engine.set_input(input);
            let v = engine
                .eval_rule(rule)
                .map_err(|e| EvalError::of_run(&e, limit))?;
            let report = engine
                .get_coverage_report()
                .map_err(|e| EvalError::regorus(&e))?;
            Ok::<_, EvalError>((v, LineCoverage::from_report(&report)))
        })
        .map_err(EvalError::Bounded)??;
        Ok((read_violations(v)?, lines))
    }

    /// This template with `data.inventory` loaded and the engine analysed once,
    /// for many reviews against one inventory (`check` on a cluster dump):
    /// loading and analysing per review made `check` quadratic.
    pub fn with_inventory(&self, inventory: &regorus::Value) -> Result<Template, EvalError> {
        let mut engine = self.engine.clone();
        let mut data = regorus::Value::new_object();
        data.as_object_mut()
            .map_err(|e| EvalError::Value(e.to_string()))?
            .insert(regorus::Value::from("inventory"), inventory.clone());
        engine.add_data(data).map_err(|e| EvalError::regorus(&e))?;
        // Any evaluation prepares the engine (analysis, scheduling) and clones
        // keep that; a trivial query does it without running the template.
        engine
            .eval_query("true".into(), false)
            .map_err(|e| EvalError::regorus(&e))?;
        Ok(Template {
            package: self.package.clone(),
            engine,
        })
    }

    /// Evaluates `violation` for one review with the inventory of `with_inventory`;
    /// `review` and `parameters` come converted (`to_regorus`), so that one
    /// conversion serves every template.
    pub fn evaluate_loaded(
        &self,
        review: &regorus::Value,
        parameters: &regorus::Value,
    ) -> Result<Vec<Violation>, EvalError> {
        self.run(self.engine.clone(), review_input(review, parameters))
    }

    /// Evaluates `violation` for one review with several templates loaded by
    /// `with_inventory`, in one bounded job (one hand-off to the evaluation
    /// worker per object instead of one per template); each evaluation keeps
    /// its own time limit. Results are in the order of `templates`.
    pub fn evaluate_loaded_many(
        templates: &[(&Template, &regorus::Value)],
        review: &regorus::Value,
    ) -> Vec<Result<Vec<Violation>, EvalError>> {
        let work: Vec<(regorus::Engine, String, regorus::Value)> = templates
            .iter()
            .map(|(t, params)| {
                (
                    t.engine.clone(),
                    format!("{}.violation", t.package),
                    review_input(review, params),
                )
            })
            .collect();
        let n = work.len();
        let done = limits::run_bounded_n(n, move |limit| {
            work.into_iter()
                .map(|(engine, rule, input)| {
                    limits::restart_deadline(limit);
                    eval_violation(engine, rule, input, limit)
                })
                .collect::<Vec<_>>()
        });
        match done {
            Ok(results) => results
                .into_iter()
                .map(|r| r.and_then(read_violations))
                .collect(),
            Err(e) => vec![Err(EvalError::Bounded(e)); n],
        }
    }

    fn run(
        &self,
        engine: regorus::Engine,
        input: regorus::Value,
    ) -> Result<Vec<Violation>, EvalError> {
        let rule = format!("{}.violation", self.package);
        // On a big-stack worker thread, within the time limit (see `limits`).
        let v = limits::run_bounded(move |limit| eval_violation(engine, rule, input, limit))
            .map_err(EvalError::Bounded)??;
        read_violations(v)
    }
}

/// Lines of a template's modules that ran (`covered`) and that hold code but
/// did not run (`missed`), by module: 0 = the template's `rego`, i + 1 = `libs[i]`.
/// A module no evaluation entered is absent (regorus reports only modules it saw).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineCoverage {
    pub modules: std::collections::BTreeMap<
        usize,
        (
            std::collections::BTreeSet<u32>,
            std::collections::BTreeSet<u32>,
        ),
    >,
}

impl LineCoverage {
    fn from_report(report: &regorus::coverage::Report) -> LineCoverage {
        let mut out = LineCoverage::default();
        for f in &report.files {
            let module = match f.path.as_str() {
                "template.rego" => 0,
                p => match p
                    .strip_prefix("lib_")
                    .and_then(|r| r.strip_suffix(".rego"))
                    .and_then(|i| i.parse::<usize>().ok())
                {
                    Some(i) => i + 1,
                    None => continue,
                },
            };
            out.modules
                .insert(module, (f.covered.clone(), f.not_covered.clone()));
        }
        out
    }

    /// Adds another run's lines: a line that ran in either run ran.
    pub fn merge(&mut self, other: &LineCoverage) {
        for (m, (covered, missed)) in &other.modules {
            let e = self.modules.entry(*m).or_default();
            e.0.extend(covered.iter().copied());
            e.1.extend(missed.iter().copied());
        }
        for (covered, missed) in self.modules.values_mut() {
            missed.retain(|l| !covered.contains(l));
        }
    }
}

/// `{review, parameters}`, the input document of a template.
fn review_input(review: &regorus::Value, parameters: &regorus::Value) -> regorus::Value {
    let mut input = regorus::Value::new_object();
    if let Ok(m) = input.as_object_mut() {
        m.insert(regorus::Value::from("review"), review.clone());
        m.insert(regorus::Value::from("parameters"), parameters.clone());
    }
    input
}

/// One evaluation of `rule` on an evaluation worker, its timer armed to `limit`.
fn eval_violation(
    mut engine: regorus::Engine,
    rule: String,
    input: regorus::Value,
    limit: limits::TimeLimit,
) -> Result<regorus::Value, EvalError> {
    limits::arm(&mut engine, limit);
    engine.set_input(input);
    engine
        .eval_rule(rule)
        .map_err(|e| EvalError::of_run(&e, limit))
}

/// The `violation` set as violations: each an object with a `msg`.
fn read_violations(v: regorus::Value) -> Result<Vec<Violation>, EvalError> {
    {
        let v: Value = serde_json::to_value(&v).map_err(|e| EvalError::Value(e.to_string()))?;
        let items: Vec<Value> = match v {
            Value::Array(a) => a,
            Value::Null => vec![],
            Value::String(s) if s == "<undefined>" => vec![],
            Value::Object(ref o) if o.is_empty() => vec![],
            other => {
                // A set serialises as an array; anything else means `violation` is not a set.
                if other.is_object() {
                    return Err(EvalError::NotASet(other));
                }
                vec![other]
            }
        };
        let mut out = Vec::new();
        for r in items {
            let Value::Object(o) = r else {
                return Err(EvalError::NotAnObject(r));
            };
            let msg = match o.get("msg") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => return Err(EvalError::NoMsg),
            };
            let details = o
                .get("details")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            out.push(Violation { msg, details });
        }
        Ok(out)
    }
}

pub fn to_regorus(v: &Value) -> regorus::Value {
    // What `regorus::Value::from(v.clone())` gives, without the deep copy first.
    serde::Deserialize::deserialize(v).unwrap_or(regorus::Value::Undefined)
}

/// A regorus error on one line: `<file>:<line>:<col>: <message>` when regorus
/// points at a place (see `regorus_errors` for why this reads its text).
fn compact_error(text: &str) -> String {
    compact(&locate(text))
}

fn compact(located: &Located) -> String {
    match &located.place {
        Some((file, line, col)) => format!("{file}:{line}:{col}: {}", located.message),
        None => located.message.clone(),
    }
}

/// The module, line and column a regorus error names: `template.rego` is
/// module 0, `lib_<i>.rego` module i + 1; any other place is kept in the message.
fn parse_error(module: usize, e: &anyhow::Error) -> CompileError {
    let located = locate(&format!("{e:#}"));
    let known = located.place.as_ref().and_then(|(file, line, col)| {
        let m = match file.strip_suffix(".rego")? {
            "template" => 0,
            f => f.strip_prefix("lib_")?.parse::<usize>().ok()? + 1,
        };
        Some((m, *line as usize, *col as usize))
    });
    match known {
        Some((module, line, column)) => CompileError {
            module,
            line: Some(line),
            column: Some(column),
            message: located.message,
        },
        None => CompileError {
            module,
            line: None,
            column: None,
            message: compact_error(&format!("{e:#}")),
        },
    }
}

/// Assertion semantics of gator: counts results whose message matches
/// `message` (unanchored, case-sensitive; all when absent).
pub fn count_matching(results: &[Violation], message: Option<&regex::Regex>) -> usize {
    results
        .iter()
        .filter(|r| message.is_none_or(|re| re.is_match(&r.msg)))
        .count()
}

#[cfg(test)]
mod error_place_tests {
    use super::*;

    // An unclosed array in the second lib: regorus points past its last line.
    #[test]
    fn a_lib_syntax_error_names_its_module_line_and_column() {
        let rego = "package t\nviolation[{\"msg\": \"m\"}] { false }\n";
        let libs = [
            "package lib.a\nx := 1\n".to_string(),
            "package lib.b\n\nx := [1,\n".to_string(),
        ];
        let e = Template::compile(rego, &libs, false)
            .err()
            .expect("rejected");
        assert_eq!((e.module, e.line, e.column), (2, Some(4), Some(1)), "{e}");
    }
}

//! Gatekeeper's evaluation, reproduced with regorus: one compiled engine per
//! ConstraintTemplate, cloned per review; `input.review` and `data.inventory`
//! built the way gator builds them; results read from `violation`. Every
//! evaluation is bounded in time and stack, and recursion is rejected (see `limits`).

use serde_json::{json, Map, Value};

use super::limits;

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

/// A compiled ConstraintTemplate target.
#[derive(Clone)]
pub struct Template {
    /// Package of the template module, e.g. `data.k8sazurenopodidentity`.
    pub package: String,
    engine: regorus::Engine,
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
        if let Some(r) = limits::find_recursion(&mut engine) {
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
    ) -> Result<Vec<Violation>, String> {
        let mut engine = self.engine.clone();
        // The data is loaded here; the evaluation itself is bounded in `run`.
        engine
            .add_data(to_regorus(&json!({ "inventory": inventory })))
            .map_err(|e| compact_error(&format!("{e:#}")))?;
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
    ) -> Result<(Vec<Violation>, LineCoverage), String> {
        let mut engine = self.engine.clone();
        engine
            .add_data(to_regorus(&json!({ "inventory": inventory })))
            .map_err(|e| compact_error(&format!("{e:#}")))?;
        engine.set_enable_coverage(true);
        let input = to_regorus(&json!({"review": review, "parameters": parameters}));
        let rule = format!("{}.violation", self.package);
        let (v, lines) = limits::run_bounded(move |limit| {
            limits::arm(&mut engine, limit);
            engine.set_input(input);
            let v = engine.eval_rule(rule).map_err(|e| {
                if limits::is_time_error(&e) {
                    limit.exceeded_message()
                } else {
                    compact_error(&format!("{e:#}"))
                }
            })?;
            let report = engine
                .get_coverage_report()
                .map_err(|e| compact_error(&format!("{e:#}")))?;
            Ok::<_, String>((v, LineCoverage::from_report(&report)))
        })
        .map_err(|e| e.to_string())??;
        Ok((read_violations(v)?, lines))
    }

    /// This template with `data.inventory` loaded and the engine analysed once,
    /// for many reviews against one inventory (`check` on a cluster dump):
    /// loading and analysing per review made `check` quadratic.
    pub fn with_inventory(&self, inventory: &regorus::Value) -> Result<Template, String> {
        let mut engine = self.engine.clone();
        let mut data = regorus::Value::new_object();
        data.as_object_mut()
            .map_err(|e| e.to_string())?
            .insert(regorus::Value::from("inventory"), inventory.clone());
        engine
            .add_data(data)
            .map_err(|e| compact_error(&format!("{e:#}")))?;
        // Any evaluation prepares the engine (analysis, scheduling) and clones
        // keep that; a trivial query does it without running the template.
        engine
            .eval_query("true".into(), false)
            .map_err(|e| compact_error(&format!("{e:#}")))?;
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
    ) -> Result<Vec<Violation>, String> {
        self.run(self.engine.clone(), review_input(review, parameters))
    }

    /// Evaluates `violation` for one review with several templates loaded by
    /// `with_inventory`, in one bounded job (one hand-off to the evaluation
    /// worker per object instead of one per template); each evaluation keeps
    /// its own time limit. Results are in the order of `templates`.
    pub fn evaluate_loaded_many(
        templates: &[(&Template, &regorus::Value)],
        review: &regorus::Value,
    ) -> Vec<Result<Vec<Violation>, String>> {
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
            Err(e) => vec![Err(e.to_string()); n],
        }
    }

    fn run(
        &self,
        engine: regorus::Engine,
        input: regorus::Value,
    ) -> Result<Vec<Violation>, String> {
        let rule = format!("{}.violation", self.package);
        // On a big-stack worker thread, within the time limit (see `limits`).
        let v = limits::run_bounded(move |limit| eval_violation(engine, rule, input, limit))
            .map_err(|e| e.to_string())??;
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
) -> Result<regorus::Value, String> {
    limits::arm(&mut engine, limit);
    engine.set_input(input);
    engine.eval_rule(rule).map_err(|e| {
        if limits::is_time_error(&e) {
            limit.exceeded_message()
        } else {
            compact_error(&format!("{e:#}"))
        }
    })
}

/// The `violation` set as violations: each an object with a `msg`.
fn read_violations(v: regorus::Value) -> Result<Vec<Violation>, String> {
    {
        let v: Value = serde_json::to_value(&v).map_err(|e| e.to_string())?;
        let items: Vec<Value> = match v {
            Value::Array(a) => a,
            Value::Null => vec![],
            Value::String(s) if s == "<undefined>" => vec![],
            Value::Object(ref o) if o.is_empty() => vec![],
            other => {
                // A set serialises as an array; anything else means `violation` is not a set.
                if other.is_object() {
                    return Err(format!("`violation` must be a set of objects, got {other}"));
                }
                vec![other]
            }
        };
        let mut out = Vec::new();
        for r in items {
            let Value::Object(o) = r else {
                return Err(format!("a `violation` result must be an object, got {r}"));
            };
            let msg = match o.get("msg") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => return Err("a `violation` result has no `msg`".into()),
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
pub fn compact_error(text: &str) -> String {
    let located = crate::regorus_errors::locate(text);
    match located.place {
        Some((file, line, col)) => format!("{file}:{line}:{col}: {}", located.message),
        None => located.message,
    }
}

/// The module, line and column a regorus error names: `template.rego` is
/// module 0, `lib_<i>.rego` module i + 1; any other place is kept in the message.
fn parse_error(module: usize, e: &anyhow::Error) -> CompileError {
    let located = crate::regorus_errors::locate(&format!("{e:#}"));
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

/// `group`, `version` of an `apiVersion` (`apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`)).
pub fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// `(group, kind)` of an object.
pub fn group_kind(obj: &Value) -> (String, String) {
    let (g, _) = split_api_version(
        obj.get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    (
        g,
        obj.get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    )
}

pub fn meta_str<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The `input.review` gator builds for a plain object (an `AdmissionRequest`
/// as JSON; `name`/`namespace` omitted when empty, `oldObject`/`options` null).
pub fn review_for_object(obj: &Value, operation: &str) -> Value {
    let (group, version) = split_api_version(
        obj.get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut r = Map::new();
    r.insert("uid".into(), json!(""));
    r.insert(
        "kind".into(),
        json!({"group": group, "version": version, "kind": kind}),
    );
    r.insert(
        "resource".into(),
        json!({"group": "", "version": "", "resource": ""}),
    );
    let name = meta_str(obj, "name");
    if !name.is_empty() {
        r.insert("name".into(), json!(name));
    }
    let ns = meta_str(obj, "namespace");
    if !ns.is_empty() {
        r.insert("namespace".into(), json!(ns));
    }
    r.insert("operation".into(), json!(operation));
    r.insert("userInfo".into(), json!({}));
    r.insert("object".into(), obj.clone());
    r.insert("oldObject".into(), Value::Null);
    r.insert("options".into(), Value::Null);
    r.insert("namespaceObject".into(), Value::Null);
    Value::Object(r)
}

/// `review_for_object` as regorus reads it, for an object already converted
/// (`to_regorus`): the converted object is shared, not copied again.
pub fn review_converted(
    obj: &Value,
    converted: &regorus::Value,
    operation: &str,
) -> regorus::Value {
    // The review of a stand-in holding just what the review reads, then the object.
    let stand_in = json!({
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {"name": meta_str(obj, "name"), "namespace": meta_str(obj, "namespace")},
    });
    let mut review = to_regorus(&review_for_object(&stand_in, operation));
    if let Ok(m) = review.as_object_mut() {
        m.insert(regorus::Value::from("object"), converted.clone());
    }
    review
}

/// What a case reviews: the review document plus the object(s) `match` looks at.
#[derive(Debug, Clone)]
pub struct Review {
    pub review: Value,
    /// `object` and/or `oldObject` (an AdmissionReview matches when either matches).
    pub match_objects: Vec<Value>,
}

impl Review {
    pub fn of_object(obj: &Value, operation: &str) -> Review {
        Review {
            review: review_for_object(obj, operation),
            match_objects: vec![obj.clone()],
        }
    }
}

const ADMISSION_REQUEST_KEYS: &[&str] = &[
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
];

/// Whether a case object is an `admission.k8s.io` AdmissionReview.
pub fn is_admission_review(obj: &Value) -> bool {
    let (g, k) = group_kind(obj);
    g == "admission.k8s.io" && k == "AdmissionReview"
}

/// The review gator builds from an AdmissionReview case object: the request as
/// given (`operation`, `userInfo`, `oldObject` come through; `kind` as written).
pub fn review_for_admission(obj: &Value) -> Result<Review, String> {
    for k in obj.as_object().into_iter().flat_map(|m| m.keys()) {
        if !["apiVersion", "kind", "request", "response"].contains(&k.as_str()) {
            return Err(format!("AdmissionReview has an unknown field `{k}`"));
        }
    }
    let Some(req) = obj.get("request").and_then(Value::as_object) else {
        return Err("AdmissionReview has no `request`".into());
    };
    for k in req.keys() {
        if !ADMISSION_REQUEST_KEYS.contains(&k.as_str()) {
            return Err(format!(
                "AdmissionReview request has an unknown field `{k}`"
            ));
        }
    }
    let object = req.get("object").filter(|v| !v.is_null()).cloned();
    let old = req.get("oldObject").filter(|v| !v.is_null()).cloned();
    if object.is_none() && old.is_none() {
        return Err("AdmissionReview request has neither `object` nor `oldObject`".into());
    }
    let operation = req
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = req.get("kind").cloned().unwrap_or_else(|| json!({}));
    let kind = json!({
        "group": kind.get("group").and_then(Value::as_str).unwrap_or_default(),
        "version": kind.get("version").and_then(Value::as_str).unwrap_or_default(),
        "kind": kind.get("kind").and_then(Value::as_str).unwrap_or_default(),
    });
    let resource = req.get("resource").cloned().unwrap_or_else(|| json!({}));
    let resource = json!({
        "group": resource.get("group").and_then(Value::as_str).unwrap_or_default(),
        "version": resource.get("version").and_then(Value::as_str).unwrap_or_default(),
        "resource": resource.get("resource").and_then(Value::as_str).unwrap_or_default(),
    });
    let mut r = Map::new();
    r.insert("uid".into(), req.get("uid").cloned().unwrap_or(json!("")));
    r.insert("kind".into(), kind);
    r.insert("resource".into(), resource);
    for k in [
        "subResource",
        "requestKind",
        "requestResource",
        "requestSubResource",
        "name",
        "namespace",
    ] {
        if let Some(v) = req
            .get(k)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
        {
            r.insert(k.into(), v.clone());
        }
    }
    r.insert("operation".into(), json!(operation));
    r.insert(
        "userInfo".into(),
        req.get("userInfo")
            .cloned()
            .filter(|v| !v.is_null())
            .unwrap_or(json!({})),
    );
    // DELETE reviews the old object as the object.
    let reviewed = if operation == "DELETE" {
        old.clone().or(object.clone())
    } else {
        object.clone()
    };
    r.insert("object".into(), reviewed.unwrap_or(Value::Null));
    r.insert("oldObject".into(), old.clone().unwrap_or(Value::Null));
    if let Some(d) = req.get("dryRun").filter(|v| !v.is_null()) {
        r.insert("dryRun".into(), d.clone());
    }
    r.insert(
        "options".into(),
        req.get("options").cloned().unwrap_or(Value::Null),
    );
    r.insert("namespaceObject".into(), Value::Null);
    let match_objects = object.into_iter().chain(old).collect();
    Ok(Review {
        review: Value::Object(r),
        match_objects,
    })
}

/// `data.inventory` from objects: `cluster[gv][kind][name]` for cluster-scoped
/// objects, `namespace[ns][gv][kind][name]` otherwise; `{}` when empty.
pub fn inventory(objects: &[Value]) -> Value {
    let mut root = Map::new();
    for o in objects {
        let gv = o
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = meta_str(o, "name");
        let ns = meta_str(o, "namespace");
        let mut path: Vec<&str> = if ns.is_empty() {
            vec!["cluster"]
        } else {
            vec!["namespace", ns]
        };
        path.extend([gv, kind]);
        let mut cur = &mut root;
        for p in path {
            cur = cur
                .entry(p.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("inventory levels are objects");
        }
        cur.insert(name.to_string(), o.clone());
    }
    Value::Object(root)
}
/// `inventory` for regorus from objects already converted (`to_regorus`),
/// each shared rather than copied.
pub fn inventory_converted<'a>(
    objects: impl IntoIterator<Item = (&'a Value, &'a regorus::Value)>,
) -> regorus::Value {
    let mut root = regorus::Value::new_object();
    for (o, converted) in objects {
        let gv = o
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
        let ns = meta_str(o, "namespace");
        let mut path: Vec<&str> = if ns.is_empty() {
            vec!["cluster"]
        } else {
            vec!["namespace", ns]
        };
        path.extend([gv, kind, meta_str(o, "name")]);
        let last = path.pop().expect("a name");
        let mut cur = &mut root;
        for p in path {
            cur = cur
                .as_object_mut()
                .expect("inventory levels are objects")
                .get_or_insert_with(regorus::Value::from(p), regorus::Value::new_object);
        }
        cur.as_object_mut()
            .expect("inventory levels are objects")
            .insert(regorus::Value::from(last), converted.clone());
    }
    root
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

//! `policybook verify PATH…`: runs gator `Suite` files unchanged, with regorus
//! in place of OPA and gator's semantics around it (file reading, defaulting,
//! Go-side match, fresh inventory per case, partial-set counting, assertions).
//!
//! Differences from `gator verify`, on purpose: a Rego evaluation error fails
//! the case (gator counts it as one violation, which hides bugs); templates with
//! only a CEL (`K8sNativeValidation`) engine are reported as skipped (policybook
//! evaluates Rego, like `gator verify --enable-k8s-native-validation=false`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rayon::prelude::*;
use serde_json::{json, Map, Value};

use super::eval::{self, Template};
use super::review::{self, ObjectError};
use crate::model::ViolationCount;
use crate::spans::SpanIndex;

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

/// gator's `--run`: a regex over test names, or `TEST//CASE` for both.
struct RunFilter {
    test: Option<regex::Regex>,
    case: Option<regex::Regex>,
}

impl RunFilter {
    fn new(run: Option<&str>) -> anyhow::Result<RunFilter> {
        let Some(r) = run else {
            return Ok(RunFilter {
                test: None,
                case: None,
            });
        };
        let re = |s: &str| {
            regex::Regex::new(s).with_context(|| format!("--run `{s}` is not a valid regex"))
        };
        match r.split_once("//") {
            Some((t, c)) => Ok(RunFilter {
                test: if t.is_empty() { None } else { Some(re(t)?) },
                case: if c.is_empty() { None } else { Some(re(c)?) },
            }),
            None => Ok(RunFilter {
                test: Some(re(r)?),
                case: None,
            }),
        }
    }

    /// Whether a case runs. With a single regex, a matching test runs all its
    /// cases; otherwise cases whose name matches run.
    fn selects(&self, test: &str, case: &str) -> bool {
        match (&self.test, &self.case) {
            (None, None) => true,
            (Some(t), None) => t.is_match(test) || t.is_match(case),
            (None, Some(c)) => c.is_match(case),
            (Some(t), Some(c)) => t.is_match(test) && c.is_match(case),
        }
    }
}

/// Runs every suite found under `paths` (files, or folders searched recursively).
pub fn run(paths: &[PathBuf], run: Option<&str>) -> anyhow::Result<VerifyOutcome> {
    let filter = RunFilter::new(run)?;
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|p| matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            bail!("{}: no such file or folder", p.display());
        }
    }
    let suites: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|f| {
            let text = crate::text::read_text(&f).ok()?;
            is_suite(&text).then_some((f, text))
        })
        .collect();
    if suites.is_empty() {
        // CI must not pass a run that tested nothing.
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "no gator Suite files found under {} (a Suite is a YAML file with `kind: Suite` and `apiVersion: test.gatekeeper.sh/…`)",
            shown.join(", ")
        );
    }
    let outcomes: Vec<SuiteOutcome> = suites
        .par_iter()
        .map(|(f, text)| run_suite(f, text, &filter))
        .collect();
    Ok(VerifyOutcome { suites: outcomes })
}

/// First YAML document of a text, as JSON.
fn first_doc(text: &str) -> Result<Value, String> {
    use serde::Deserialize;
    match serde_yaml::Deserializer::from_str(text).next() {
        Some(doc) => Value::deserialize(doc).map_err(|e| e.to_string()),
        None => Ok(Value::Null),
    }
}

fn is_suite(text: &str) -> bool {
    // Cheap pre-check before parsing every YAML file in a tree.
    if !text.contains("Suite") || !text.contains("test.gatekeeper.sh") {
        return false;
    }
    let Ok(v) = first_doc(text) else { return false };
    v.get("kind").and_then(Value::as_str) == Some("Suite")
        && v.get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.split('/').next() == Some("test.gatekeeper.sh"))
}

/// gator's object reader: split on "\n---", drop blank and comment-only parts,
/// parse each as YAML.
fn read_objects(path: &Path) -> Result<Vec<Value>, String> {
    let text =
        crate::text::read_text(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for part in text.split("\n---") {
        let meaningful = part.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        });
        if !meaningful {
            continue;
        }
        let v: Value = serde_yaml::from_str(part.trim_start_matches("---"))
            .map_err(|e| format!("{}: invalid YAML: {e}", path.display()))?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

/// A template ready to evaluate, or why its cases are skipped.
enum Prepared {
    Rego(Box<Template>),
    CelOnly,
}

/// Compiles a ConstraintTemplate document; returns the CRD kind too.
fn prepare_template(t: &Value) -> Result<(String, Prepared, Value), String> {
    let kind = t
        .pointer("/spec/crd/spec/names/kind")
        .and_then(Value::as_str)
        .ok_or("the template has no spec.crd.spec.names.kind")?
        .to_string();
    if t.get("kind").and_then(Value::as_str) != Some("ConstraintTemplate") {
        return Err("the template file's first document is not a ConstraintTemplate".into());
    }
    let schema = t
        .pointer("/spec/crd/spec/validation/openAPIV3Schema")
        .cloned()
        .unwrap_or(Value::Null);
    let targets = t
        .pointer("/spec/targets")
        .and_then(Value::as_array)
        .ok_or("the template has no spec.targets")?;
    let target = targets.first().ok_or("the template has no target")?;
    let legacy = target
        .get("rego")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    let strings = super::matcher::strings;
    let (rego, libs, v1) = if let Some(r) = legacy {
        // A non-empty legacy `rego` wins over `code` and is v0.
        (r.to_string(), strings(target.get("libs")), false)
    } else {
        let code = target
            .get("code")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match code
            .iter()
            .find(|c| c.get("engine").and_then(Value::as_str) == Some("Rego"))
        {
            Some(c) => {
                let src = c.get("source").cloned().unwrap_or(Value::Null);
                let rego = src
                    .get("rego")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let v1 = src.get("version").and_then(Value::as_str) == Some("v1");
                (rego, strings(src.get("libs")), v1)
            }
            None if !code.is_empty() => return Ok((kind, Prepared::CelOnly, schema)),
            None => return Err("the template's target has neither `rego` nor `code`".into()),
        }
    };
    let compiled = Template::compile(&rego, &libs, v1)
        .map_err(|e| format!("the template does not compile: {e}"))?;
    Ok((kind, Prepared::Rego(Box::new(compiled)), schema))
}

/// Structural defaulting of `spec.parameters` (only when the constraint has parameters).
fn apply_defaults(schema: &Value, v: &mut Value) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let Some(obj) = v.as_object_mut() else { return };
    for (k, s) in props {
        if !obj.contains_key(k) {
            if let Some(d) = s.get("default") {
                obj.insert(k.clone(), d.clone());
            }
        }
        if let Some(child) = obj.get_mut(k) {
            if child.is_object() {
                apply_defaults(s, child);
            }
        }
    }
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn run_suite(file: &Path, text: &str, filter: &RunFilter) -> SuiteOutcome {
    let spans = SpanIndex::build(text);
    let fname = display(file);
    let at = |path: &str| {
        let (l, c) = spans.nearest(path);
        format!("{fname}:{l}:{c}")
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut outcome = SuiteOutcome {
        file: fname.clone(),
        cases: vec![],
    };
    let suite = match first_doc(text) {
        Ok(v) => v,
        Err(e) => {
            outcome.cases.push(CaseOutcome {
                test: String::new(),
                case: String::new(),
                status: Status::Fail,
                messages: vec![format!("{fname}: invalid YAML: {e}")],
            });
            return outcome;
        }
    };
    let tests = suite
        .get("tests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (ti, test) in tests.iter().enumerate() {
        let tname = test
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let cases = test
            .get("cases")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let selected: Vec<(usize, &Value)> = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                filter.selects(
                    &tname,
                    c.get("name").and_then(Value::as_str).unwrap_or_default(),
                )
            })
            .collect();
        if selected.is_empty() && !(cases.is_empty() && filter.selects(&tname, "")) {
            continue;
        }
        let test_fail = |msg: String| CaseOutcome {
            test: tname.clone(),
            case: String::new(),
            status: Status::Fail,
            messages: vec![msg],
        };
        let skip_all = |why: String| -> Vec<CaseOutcome> {
            selected
                .iter()
                .map(|(_, c)| CaseOutcome {
                    test: tname.clone(),
                    case: c
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    status: Status::Skip,
                    messages: vec![why.clone()],
                })
                .collect()
        };
        if test.get("skip").and_then(Value::as_bool) == Some(true) {
            outcome
                .cases
                .extend(skip_all("skipped by the suite (`skip: true`)".into()));
            continue;
        }
        let invalid = test.get("invalid").and_then(Value::as_bool) == Some(true);
        let tp = format!("tests.{ti}");
        // Template.
        let Some(tpath) = test.get("template").and_then(Value::as_str) else {
            outcome.cases.push(test_fail(format!(
                "{}: test `{tname}` has no `template`",
                at(&tp)
            )));
            continue;
        };
        let prepared = read_objects(&dir.join(tpath))
            .map_err(|e| format!("{}: template `{tpath}`: {e}", at(&format!("{tp}.template"))))
            .and_then(|docs| {
                docs.into_iter().next().ok_or_else(|| {
                    format!(
                        "{}: template `{tpath}` holds no object",
                        at(&format!("{tp}.template"))
                    )
                })
            })
            .and_then(|t| {
                prepare_template(&t).map_err(|e| {
                    format!("{}: template `{tpath}`: {e}", at(&format!("{tp}.template")))
                })
            });
        let (kind, template, schema) = match prepared {
            Err(e) if invalid => {
                let _ = e;
                outcome.cases.push(CaseOutcome {
                    test: tname.clone(),
                    case: String::new(),
                    status: Status::Pass,
                    messages: vec!["template rejected, as expected (`invalid: true`)".into()],
                });
                continue;
            }
            Err(e) => {
                outcome.cases.push(test_fail(e));
                continue;
            }
            Ok(x) => x,
        };
        if invalid {
            outcome.cases.push(test_fail(format!(
                "{}: the test is marked `invalid: true` but the template compiles",
                at(&tp)
            )));
            continue;
        }
        let template = match template {
            Prepared::CelOnly => {
                outcome.cases.extend(skip_all(format!(
                    "{}: template `{tpath}` has only a CEL (K8sNativeValidation) engine; policybook evaluates Rego",
                    at(&format!("{tp}.template"))
                )));
                continue;
            }
            Prepared::Rego(t) => t,
        };
        // Constraint.
        let Some(cpath) = test.get("constraint").and_then(Value::as_str) else {
            outcome.cases.push(test_fail(format!(
                "{}: test `{tname}` has no `constraint`",
                at(&tp)
            )));
            continue;
        };
        let constraint = read_objects(&dir.join(cpath))
            .map_err(|e| {
                format!(
                    "{}: constraint `{cpath}`: {e}",
                    at(&format!("{tp}.constraint"))
                )
            })
            .and_then(|docs| {
                docs.into_iter().next().ok_or_else(|| {
                    format!(
                        "{}: constraint `{cpath}` holds no object",
                        at(&format!("{tp}.constraint"))
                    )
                })
            });
        let constraint = match constraint {
            Ok(c) => c,
            Err(e) => {
                outcome.cases.push(test_fail(e));
                continue;
            }
        };
        let (cgroup, ckind) = eval::group_kind(&constraint);
        if cgroup != "constraints.gatekeeper.sh" || ckind != kind {
            outcome.cases.push(test_fail(format!(
                "{}: constraint `{cpath}` is {}/{ckind}, expected constraints.gatekeeper.sh/{kind}",
                at(&format!("{tp}.constraint")),
                if cgroup.is_empty() { "(core)" } else { &cgroup }
            )));
            continue;
        }
        let match_ = constraint
            .pointer("/spec/match")
            .cloned()
            .unwrap_or(Value::Null);
        let parameters = match constraint.pointer("/spec/parameters") {
            Some(p) if p.is_object() => {
                let mut p = p.clone();
                apply_defaults(&schema, &mut p);
                p
            }
            _ => Value::Object(Map::new()),
        };
        let results: Vec<CaseOutcome> = selected
            .par_iter()
            .map(|(ci, case)| {
                let cname = case
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let cp = format!("{tp}.cases.{ci}");
                let mut out = CaseOutcome {
                    test: tname.clone(),
                    case: cname,
                    status: Status::Fail,
                    messages: vec![],
                };
                if case.get("skip").and_then(Value::as_bool) == Some(true) {
                    out.status = Status::Skip;
                    out.messages
                        .push("skipped by the suite (`skip: true`)".into());
                    return out;
                }
                match run_case(case, &cp, dir, &at, &template, &match_, &parameters) {
                    Ok((true, msgs)) => {
                        out.status = Status::Pass;
                        out.messages = msgs;
                    }
                    Ok((false, msgs)) | Err(msgs) => out.messages = msgs,
                }
                out
            })
            .collect();
        outcome.cases.extend(results);
    }
    outcome
}

/// Runs one case: `Ok((passed, messages))`, or `Err(messages)` when it could not run.
fn run_case(
    case: &Value,
    cp: &str,
    dir: &Path,
    at: &dyn Fn(&str) -> String,
    template: &Template,
    match_: &Value,
    parameters: &Value,
) -> Result<(bool, Vec<String>), Vec<String>> {
    let Some(opath) = case.get("object").and_then(Value::as_str) else {
        return Err(vec![format!("{}: the case has no `object`", at(cp))]);
    };
    let objs = read_objects(&dir.join(opath)).map_err(|e| {
        vec![format!(
            "{}: object `{opath}`: {e}",
            at(&format!("{cp}.object"))
        )]
    })?;
    let obj = match objs.len() {
        1 => objs.into_iter().next().expect("one"),
        0 => {
            return Err(vec![format!(
                "{}: object `{opath}` holds no object",
                at(&format!("{cp}.object"))
            )])
        }
        n => {
            return Err(vec![format!(
                "{}: object `{opath}` holds {n} objects; a case object must be exactly one",
                at(&format!("{cp}.object"))
            )])
        }
    };
    let mut inventory_objs = Vec::new();
    for (i, p) in case
        .get("inventory")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(p) = p.as_str() else { continue };
        let objs = read_objects(&dir.join(p)).map_err(|e| {
            vec![format!(
                "{}: inventory `{p}`: {e}",
                at(&format!("{cp}.inventory.{i}"))
            )]
        })?;
        inventory_objs.extend(objs);
    }
    let assertions = case
        .get("assertions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if assertions.is_empty() {
        return Err(vec![format!("{}: assertions must be non-empty", at(cp))]);
    }
    let results =
        match review::evaluate_object(&obj, "", match_, template, parameters, &inventory_objs) {
            Ok(vs) => vs,
            Err(ObjectError::Review(e)) => {
                return Err(vec![format!(
                    "{}: object `{opath}`: {e}",
                    at(&format!("{cp}.object"))
                )])
            }
            Err(ObjectError::Evaluation(e)) => {
                return Err(vec![format!(
                    "{}: evaluation error: {e}",
                    at(&format!("{cp}.object"))
                )])
            }
        };
    let mut ok = true;
    let mut msgs = Vec::new();
    for (ai, a) in assertions.iter().enumerate() {
        let ap = format!("{cp}.assertions.{ai}");
        let re = match a.get("message").and_then(Value::as_str) {
            Some(m) => match regex::Regex::new(m) {
                Ok(r) => Some(r),
                Err(e) => {
                    return Err(vec![format!(
                        "{}: message `{m}` is not a valid regex: {e}",
                        at(&ap)
                    )])
                }
            },
            None => None,
        };
        let n = eval::count_matching(&results, re.as_ref());
        let want = a.get("violations").cloned().unwrap_or(json!("yes"));
        let Some(count) = ViolationCount::parse(&want) else {
            return Err(vec![format!(
                "{}: `violations: {want}` is not yes, no or a non-negative count",
                at(&ap)
            )]);
        };
        let want_text = match count {
            ViolationCount::Yes => "at least 1".to_string(),
            ViolationCount::No => "0".to_string(),
            ViolationCount::Exactly(k) => k.to_string(),
        };
        if !count.holds(n) {
            ok = false;
            let what = match &re {
                Some(r) => format!("violations matching /{}/", r.as_str()),
                None => "violations".into(),
            };
            msgs.push(format!(
                "{}: got {n} {what}, want {want_text}",
                at(&format!("{ap}.violations"))
            ));
        }
    }
    if !ok {
        for r in &results {
            msgs.push(format!("| {}", r.msg));
        }
    } else {
        msgs.extend(results.iter().map(|r| r.msg.clone()));
    }
    Ok((ok, msgs))
}

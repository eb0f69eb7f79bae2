//! Running suites: find the suite files, read each as a typed `Suite`, then
//! per test load the template, check it against `invalid:`, read the
//! constraint, and run the selected cases (in parallel, results in order).

use std::path::PathBuf;

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::case;
use super::context::{Ready, SuiteFile};
use super::error::{Placed, Problem, VerifyError};
use super::filter::RunFilter;
use super::format::{self, Case, Test};
use super::objects::read_objects;
use super::outcome::{CaseOutcome, Status, SuiteOutcome, VerifyOutcome};
use super::template::{self, LoadedTemplate, Prepared};
use crate::gatekeeper::request::group_kind;

const SKIPPED: &str = "skipped by the suite (`skip: true`)";

/// Runs every suite found under `paths` (files, or folders searched recursively).
pub fn run(paths: &[PathBuf], run: Option<&str>) -> Result<VerifyOutcome, VerifyError> {
    let filter = RunFilter::new(run)?;
    let suites: Vec<(PathBuf, String)> = yaml_files(paths)?
        .into_iter()
        .filter_map(|f| {
            let text = crate::text::read_text(&f).ok()?;
            format::is_suite(&text).then_some((f, text))
        })
        .collect();
    if suites.is_empty() {
        // CI must not pass a run that tested nothing.
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(VerifyError::NoSuites(shown.join(", ")));
    }
    let outcomes: Vec<SuiteOutcome> = suites
        .par_iter()
        .map(|(f, text)| run_suite(&SuiteFile::new(f, text), text, &filter))
        .collect();
    Ok(VerifyOutcome { suites: outcomes })
}

/// The files given and the `.yaml`/`.yml` files under the folders given, each
/// folder's sorted.
fn yaml_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, VerifyError> {
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
            return Err(VerifyError::NoSuchPath(p.clone()));
        }
    }
    Ok(files)
}

fn run_suite(sf: &SuiteFile, text: &str, filter: &RunFilter) -> SuiteOutcome {
    let mut outcome = SuiteOutcome {
        file: sf.name.clone(),
        cases: vec![],
    };
    match format::parse(&sf.name, text) {
        Ok(suite) => {
            for (ti, test) in suite.tests.iter().enumerate() {
                outcome
                    .cases
                    .extend(run_test(sf, ti, test, suite.skip, filter));
            }
        }
        Err(e) => outcome.cases.push(CaseOutcome {
            test: String::new(),
            case: String::new(),
            status: Status::Fail,
            messages: vec![e.to_string()],
        }),
    }
    outcome
}

/// The outcomes of one test's selected cases (or one outcome for the test).
fn run_test(
    sf: &SuiteFile,
    ti: usize,
    test: &Test,
    suite_skip: bool,
    filter: &RunFilter,
) -> Vec<CaseOutcome> {
    let selected: Vec<(usize, &Case)> = test
        .cases
        .iter()
        .enumerate()
        .filter(|(_, c)| filter.selects(&test.name, &c.name))
        .collect();
    if selected.is_empty() && !(test.cases.is_empty() && filter.selects(&test.name, "")) {
        return vec![];
    }
    let outcome = |case: &str, status, messages| CaseOutcome {
        test: test.name.clone(),
        case: case.to_string(),
        status,
        messages,
    };
    let skip_all = |why: String| -> Vec<CaseOutcome> {
        selected
            .iter()
            .map(|(_, c)| outcome(&c.name, Status::Skip, vec![why.clone()]))
            .collect()
    };
    if test.skip || suite_skip {
        return skip_all(SKIPPED.into());
    }
    match load_test(sf, ti, test) {
        Ok(ready) => selected
            .par_iter()
            .map(|(ci, c)| case::run_case(sf, &ready, *ci, c))
            .collect(),
        Err(Early::Fail(p)) => vec![outcome("", Status::Fail, vec![p.to_string()])],
        Err(Early::RejectedAsExpected) => vec![outcome(
            "",
            Status::Pass,
            vec!["template rejected, as expected (`invalid: true`)".into()],
        )],
        Err(Early::Skip(p)) => skip_all(p.to_string()),
    }
}

/// How a test ends before its cases run.
enum Early {
    Fail(Placed),
    /// `invalid: true` and the template was rejected.
    RejectedAsExpected,
    Skip(Placed),
}

impl From<Placed> for Early {
    fn from(p: Placed) -> Early {
        Early::Fail(p)
    }
}

/// The template (checked against `invalid:`) and the constraint of a test.
fn load_test(sf: &SuiteFile, ti: usize, test: &Test) -> Result<Ready, Early> {
    let tp = format!("tests.{ti}");
    let Some(tpath) = &test.template else {
        return Err(sf
            .placed(&tp, Problem::NoTemplate(test.name.clone()))
            .into());
    };
    let loaded = match load_template(sf, &tp, tpath) {
        Err(_) if test.invalid => return Err(Early::RejectedAsExpected),
        Err(p) => return Err(p.into()),
        Ok(_) if test.invalid => return Err(sf.placed(&tp, Problem::InvalidCompiles).into()),
        Ok(t) => t,
    };
    let template = match loaded.prepared {
        Prepared::CelOnly => {
            let why = Problem::CelOnly(tpath.clone());
            return Err(Early::Skip(sf.placed(&format!("{tp}.template"), why)));
        }
        Prepared::Rego(t) => t,
    };
    let Some(cpath) = &test.constraint else {
        return Err(sf
            .placed(&tp, Problem::NoConstraint(test.name.clone()))
            .into());
    };
    let constraint = load_constraint(sf, &tp, cpath, &loaded.kind)?;
    let match_ = constraint
        .pointer("/spec/match")
        .cloned()
        .unwrap_or(Value::Null);
    let parameters = match constraint.pointer("/spec/parameters") {
        Some(p) if p.is_object() => {
            let mut p = p.clone();
            template::apply_defaults(&loaded.schema, &mut p);
            p
        }
        _ => Value::Object(Map::new()),
    };
    Ok(Ready {
        test: test.name.clone(),
        path: tp,
        template,
        match_,
        parameters,
    })
}

/// Reads and compiles the template file `tpath` of the test at `tp`.
fn load_template(sf: &SuiteFile, tp: &str, tpath: &str) -> Result<LoadedTemplate, Placed> {
    let at = format!("{tp}.template");
    let path = || tpath.to_string();
    let doc = read_objects(&sf.dir.join(tpath))
        .map_err(|source| {
            sf.placed(
                &at,
                Problem::TemplateUnreadable {
                    path: path(),
                    source,
                },
            )
        })?
        .into_iter()
        .next()
        .ok_or_else(|| sf.placed(&at, Problem::TemplateEmpty(path())))?;
    template::prepare(&doc).map_err(|source| {
        sf.placed(
            &at,
            Problem::Template {
                path: path(),
                source,
            },
        )
    })
}

/// Reads the constraint file `cpath` of the test at `tp`: a constraint of `kind`.
fn load_constraint(sf: &SuiteFile, tp: &str, cpath: &str, kind: &str) -> Result<Value, Placed> {
    let at = format!("{tp}.constraint");
    let path = || cpath.to_string();
    let constraint = read_objects(&sf.dir.join(cpath))
        .map_err(|source| {
            sf.placed(
                &at,
                Problem::ConstraintUnreadable {
                    path: path(),
                    source,
                },
            )
        })?
        .into_iter()
        .next()
        .ok_or_else(|| sf.placed(&at, Problem::ConstraintEmpty(path())))?;
    let (group, ckind) = group_kind(&constraint);
    if group != "constraints.gatekeeper.sh" || ckind != kind {
        let group = if group.is_empty() {
            "(core)".to_string()
        } else {
            group
        };
        let problem = Problem::ConstraintKind {
            path: path(),
            group,
            kind: ckind,
            expected: kind.to_string(),
        };
        return Err(sf.placed(&at, problem));
    }
    Ok(constraint)
}

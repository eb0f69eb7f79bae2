//! One case of a loaded test: read its object and inventory, evaluate the
//! review (`review::evaluate_object`: review → match → evaluate), then hold
//! the result to each assertion (gator's counting: results whose message
//! matches, unanchored).

use serde_json::Value;

use super::context::{Ready, SuiteFile};
use super::error::{Placed, Problem};
use super::format::Case;
use super::objects::read_objects;
use super::outcome::{CaseOutcome, Status};
use crate::gatekeeper::eval::{self, Violation};
use crate::gatekeeper::review::{self, ObjectError};
use crate::model::ViolationCount;

/// Runs the case `ci` of a loaded test.
pub(super) fn run_case(sf: &SuiteFile, ready: &Ready, ci: usize, case: &Case) -> CaseOutcome {
    let mut out = CaseOutcome {
        test: ready.test.clone(),
        case: case.name.clone(),
        status: Status::Fail,
        messages: vec![],
    };
    if case.skip {
        out.status = Status::Skip;
        out.messages
            .push("skipped by the suite (`skip: true`)".into());
        return out;
    }
    let cp = format!("{}.cases.{ci}", ready.path);
    match check(sf, ready, &cp, case) {
        Ok((passed, messages)) => {
            if passed {
                out.status = Status::Pass;
            }
            out.messages = messages;
        }
        Err(p) => out.messages = vec![p.to_string()],
    }
    out
}

/// `Ok((passed, messages))`, or why the case could not run. A failed case's
/// messages are the failed assertions then its violations (`| msg`); a passed
/// case's are its violations.
fn check(
    sf: &SuiteFile,
    ready: &Ready,
    cp: &str,
    case: &Case,
) -> Result<(bool, Vec<String>), Placed> {
    let (opath, obj) = read_object(sf, cp, case)?;
    let inventory = read_inventory(sf, cp, case)?;
    if case.assertions.is_empty() {
        return Err(sf.placed(cp, Problem::NoAssertions));
    }
    let results = evaluate(sf, cp, ready, opath, &obj, &inventory)?;
    let mut failed = Vec::new();
    for (ai, a) in case.assertions.iter().enumerate() {
        let ap = format!("{cp}.assertions.{ai}");
        let re = match &a.message {
            Some(m) => Some(regex::Regex::new(m).map_err(|source| {
                let problem = Problem::BadMessage {
                    pattern: m.clone(),
                    source,
                };
                sf.placed(&ap, problem)
            })?),
            None => None,
        };
        let count = a.violations.map_or(ViolationCount::Yes, |v| v.0);
        let n = eval::count_matching(&results, re.as_ref());
        if !count.holds(n) {
            let want = match count {
                ViolationCount::Yes => "at least 1".to_string(),
                ViolationCount::No => "0".to_string(),
                ViolationCount::Exactly(k) => k.to_string(),
            };
            let what = match &re {
                Some(r) => format!("violations matching /{}/", r.as_str()),
                None => "violations".into(),
            };
            failed.push(format!(
                "{}: got {n} {what}, want {want}",
                sf.at(&format!("{ap}.violations"))
            ));
        }
    }
    let passed = failed.is_empty();
    let mut messages = failed;
    if passed {
        messages.extend(results.iter().map(|r| r.msg.clone()));
    } else {
        messages.extend(results.iter().map(|r| format!("| {}", r.msg)));
    }
    Ok((passed, messages))
}

/// The case's object file and its one object.
fn read_object<'c>(sf: &SuiteFile, cp: &str, case: &'c Case) -> Result<(&'c str, Value), Placed> {
    let Some(opath) = case.object.as_deref() else {
        return Err(sf.placed(cp, Problem::NoObject));
    };
    let at = format!("{cp}.object");
    let path = || opath.to_string();
    let objs = read_objects(&sf.dir.join(opath)).map_err(|source| {
        sf.placed(
            &at,
            Problem::ObjectUnreadable {
                path: path(),
                source,
            },
        )
    })?;
    match <[Value; 1]>::try_from(objs) {
        Ok([obj]) => Ok((opath, obj)),
        Err(objs) if objs.is_empty() => Err(sf.placed(&at, Problem::ObjectEmpty(path()))),
        Err(objs) => {
            let problem = Problem::ObjectMany {
                path: path(),
                count: objs.len(),
            };
            Err(sf.placed(&at, problem))
        }
    }
}

/// The objects of every inventory file, in order.
fn read_inventory(sf: &SuiteFile, cp: &str, case: &Case) -> Result<Vec<Value>, Placed> {
    let mut objects = Vec::new();
    for (i, p) in case.inventory.iter().enumerate() {
        let objs = read_objects(&sf.dir.join(p)).map_err(|source| {
            let problem = Problem::Inventory {
                path: p.clone(),
                source,
            };
            sf.placed(&format!("{cp}.inventory.{i}"), problem)
        })?;
        objects.extend(objs);
    }
    Ok(objects)
}

/// The violations of the object (gator sends `operation: ""`).
fn evaluate(
    sf: &SuiteFile,
    cp: &str,
    ready: &Ready,
    opath: &str,
    obj: &Value,
    inventory: &[Value],
) -> Result<Vec<Violation>, Placed> {
    let at = format!("{cp}.object");
    review::evaluate_object(
        obj,
        "",
        &ready.match_,
        &ready.template,
        &ready.parameters,
        inventory,
    )
    .map_err(|e| match e {
        ObjectError::Review(source) => sf.placed(
            &at,
            Problem::Review {
                path: opath.to_string(),
                source,
            },
        ),
        ObjectError::Evaluation(e) => sf.placed(&at, Problem::Evaluation(e)),
    })
}

//! The `tests:` of a rule into `model::TestCase`s: what each case expects (an
//! effect the rule allows, or a violation count and message regex), and its
//! input and inventory, read through `samples`.

use std::path::Path;

use serde_json::Value;

use super::raw::{RawExpect, RawTest};
use super::samples::{read_sample, read_sample_docs, sample_file, SAMPLE_INSIDE};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{AzureRule, Expectation, TestCase, TestInput, ViolationCount};

pub(super) fn test_case(
    i: usize,
    t: RawTest,
    at: &dyn Fn(&str) -> Location,
    policies_dir: &Path,
    azure: Option<&AzureRule>,
    has_kubernetes: bool,
    d: &mut Diagnostics,
) -> Option<TestCase> {
    let p = format!("tests.{i}");
    let before = d.error_count();
    let expect = match t.expect {
        RawExpect::Effect(s) if s.eq_ignore_ascii_case("none") => Expectation::NoEffect,
        RawExpect::Effect(s) => {
            match azure {
                Some(a) if !a.effects.iter().any(|e| e.eq_ignore_ascii_case(&s)) => d.error(
                    at(&format!("{p}.expect")),
                    format!(
                        "expected effect `{s}` is not one the rule allows ({})",
                        a.effects.join(", ")
                    ),
                    "expect one of the rule's effects, or `none`",
                ),
                None => d.error(
                    at(&format!("{p}.expect")),
                    format!("expects effect `{s}` but the rule has no `azure:` section"),
                    "Kubernetes cases expect `{violations: yes|no|N}`",
                ),
                _ => {}
            }
            Expectation::Effect(s)
        }
        RawExpect::Violations(v) => {
            let count = ViolationCount::parse(&v.violations).unwrap_or_else(|| {
                d.error(
                    at(&format!("{p}.expect.violations")),
                    format!("`violations: {}` is not yes, no or a count", v.violations),
                    "write yes, no or a whole number",
                );
                ViolationCount::No
            });
            if let Some(m) = &v.message {
                if let Err(e) = regex::Regex::new(m) {
                    d.error(
                        at(&format!("{p}.expect.message")),
                        format!("message is not a valid regex: {e}"),
                        "escape regex metacharacters such as `(`, `[` or `.`",
                    );
                }
            }
            if !has_kubernetes {
                d.error(
                    at(&format!("{p}.expect")),
                    "expects violations but the rule has no `kubernetes:` section",
                    "Azure cases expect an effect or `none`",
                );
            }
            Expectation::Violations {
                count,
                message: v.message,
            }
        }
    };
    let input = match (t.resource, t.object) {
        (Some(_), Some(_)) => {
            d.error(
                at(&p),
                "a test gives both `resource` and `object`",
                "keep one: a sample file path or an inline object",
            );
            None
        }
        (None, None) => {
            d.error(
                at(&p),
                "a test gives neither `resource` nor `object`",
                "add `resource: samples/...` or an inline `object:`",
            );
            None
        }
        (None, Some(o)) => Some(TestInput::Inline(o)),
        (Some(path), None) => match sample_file(policies_dir, &path) {
            Err(e) => {
                d.error(
                    at(&format!("{p}.resource")),
                    format!("sample `{path}`: {e}"),
                    SAMPLE_INSIDE,
                );
                None
            }
            Ok(file) => match read_sample(&file) {
                Ok(value) => Some(TestInput::File { path, value }),
                Err(e) => {
                    d.error(at(&format!("{p}.resource")), format!("sample `{path}`: {e}"), "paths are relative to the policies folder; create the file or fix the path");
                    None
                }
            },
        },
    };
    let mut inventory = Vec::new();
    for (j, inv) in t.inventory.into_iter().enumerate() {
        match inv {
            Value::String(path) => match sample_file(policies_dir, &path)
                .map_err(|e| (e, SAMPLE_INSIDE))
                .and_then(|f| {
                    read_sample_docs(&f)
                        .map_err(|e| (e, "paths are relative to the policies folder"))
                }) {
                Ok(objs) => inventory.extend(objs),
                Err((e, help)) => d.error(
                    at(&format!("{p}.inventory.{j}")),
                    format!("inventory `{path}`: {e}"),
                    help,
                ),
            },
            Value::Object(_) => inventory.push(inv),
            _ => d.error(
                at(&format!("{p}.inventory.{j}")),
                "an inventory entry must be an object or a file path",
                "write the object inline or give a path",
            ),
        }
    }
    if d.error_count() > before {
        return None;
    }
    Some(TestCase {
        name: t.name,
        input: input?,
        inventory,
        parameters: t.parameters,
        expect,
        location: at(&format!("{p}.name")),
    })
}

//! What the steps of one suite share: the suite file with its places, and a
//! test whose template and constraint are loaded, ready for its cases.

use std::path::Path;

use serde_json::Value;

use super::error::{Placed, Problem};
use crate::gatekeeper::eval::Template;
use crate::spans::SpanIndex;

/// One suite file: its name as shown, its folder, where its YAML paths are.
pub(super) struct SuiteFile<'a> {
    pub name: String,
    /// Files the suite names are relative to this folder.
    pub dir: &'a Path,
    spans: SpanIndex,
}

impl<'a> SuiteFile<'a> {
    pub(super) fn new(file: &'a Path, text: &str) -> SuiteFile<'a> {
        SuiteFile {
            name: file.to_string_lossy().into_owned(),
            dir: file.parent().unwrap_or(Path::new(".")),
            spans: SpanIndex::build(text),
        }
    }

    /// `file:line:col` of a YAML path such as `tests.0.cases.2.object`.
    pub(super) fn at(&self, path: &str) -> String {
        let (l, c) = self.spans.nearest(path);
        format!("{}:{l}:{c}", self.name)
    }

    /// A problem at a YAML path of the suite.
    pub(super) fn placed(&self, path: &str, problem: Problem) -> Placed {
        Placed {
            at: self.at(path),
            problem,
        }
    }
}

/// A test ready to run its cases.
pub(super) struct Ready {
    pub test: String,
    /// `tests.<i>`, the test's YAML path.
    pub path: String,
    pub template: Box<Template>,
    /// The constraint's `spec.match` (`null` when absent).
    pub match_: Value,
    /// The constraint's parameters, defaulted from the template's schema.
    pub parameters: Value,
}

//! `verify`'s errors: what stops the whole run (exit 2), why a suite is not a
//! valid gator Suite, and why a test or case could not run — each a type, made
//! a text only in the outcome (`SuiteOutcome` messages), at its suite place.

use std::path::PathBuf;

use crate::gatekeeper::eval::{CompileError, EvalError};
use crate::gatekeeper::request::RequestError;

/// What stops `verify` before any suite runs.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("--run `{pattern}` is not a valid regex")]
    BadRun {
        pattern: String,
        #[source]
        source: regex::Error,
    },
    #[error("{}: no such file or folder", .0.display())]
    NoSuchPath(PathBuf),
    #[error("no gator Suite files found under {0} (a Suite is a YAML file with `kind: Suite` and `apiVersion: test.gatekeeper.sh/…`)")]
    NoSuites(String),
}

/// A suite file that is not a valid gator Suite: a field of the wrong type, an
/// unknown field, a bad `violations` value. Placed at its line and column.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}: not a valid gator Suite: {message}")]
pub struct SuiteFormatError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A file named by a suite that could not be read as YAML objects.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: crate::text::ReadError,
    },
    #[error("{}: invalid YAML: {source}", .path.display())]
    InvalidYaml {
        path: PathBuf,
        source: serde_yaml::Error,
    },
}

/// Why a ConstraintTemplate document cannot be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("the template has no spec.crd.spec.names.kind")]
    NoKind,
    #[error("the template file's first document is not a ConstraintTemplate")]
    NotATemplate,
    #[error("the template has no spec.targets")]
    NoTargets,
    #[error("the template has no target")]
    NoTarget,
    #[error("the template's target has neither `rego` nor `code`")]
    NoEngine,
    #[error("the template does not compile: {0}")]
    Compile(CompileError),
}

/// Why a test or a case could not run (or was skipped), without its place.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("test `{0}` has no `template`")]
    NoTemplate(String),
    #[error("template `{path}`: {source}")]
    TemplateUnreadable { path: String, source: ReadError },
    #[error("template `{0}` holds no object")]
    TemplateEmpty(String),
    #[error("template `{path}`: {source}")]
    Template { path: String, source: TemplateError },
    #[error("the test is marked `invalid: true` but the template compiles")]
    InvalidCompiles,
    #[error(
        "template `{0}` has only a CEL (K8sNativeValidation) engine; policybook evaluates Rego"
    )]
    CelOnly(String),
    #[error("test `{0}` has no `constraint`")]
    NoConstraint(String),
    #[error("constraint `{path}`: {source}")]
    ConstraintUnreadable { path: String, source: ReadError },
    #[error("constraint `{0}` holds no object")]
    ConstraintEmpty(String),
    #[error(
        "constraint `{path}` is {group}/{kind}, expected constraints.gatekeeper.sh/{expected}"
    )]
    ConstraintKind {
        path: String,
        /// `(core)` for the empty group.
        group: String,
        kind: String,
        expected: String,
    },
    #[error("the case has no `object`")]
    NoObject,
    #[error("object `{path}`: {source}")]
    ObjectUnreadable { path: String, source: ReadError },
    #[error("object `{0}` holds no object")]
    ObjectEmpty(String),
    #[error("object `{path}` holds {count} objects; a case object must be exactly one")]
    ObjectMany { path: String, count: usize },
    #[error("inventory `{path}`: {source}")]
    Inventory { path: String, source: ReadError },
    #[error("assertions must be non-empty")]
    NoAssertions,
    #[error("object `{path}`: {source}")]
    Review { path: String, source: RequestError },
    #[error("evaluation error: {0}")]
    Evaluation(EvalError),
    #[error("message `{pattern}` is not a valid regex: {source}")]
    BadMessage {
        pattern: String,
        source: regex::Error,
    },
}

/// A problem at its place in the suite (`file:line:col`).
#[derive(Debug, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct Placed {
    pub at: String,
    pub problem: Problem,
}

//! Why `check` stopped: an input it cannot read or parse, named by file and,
//! where known, line and column; or an evaluation that failed.

use crate::runner::azure_eval::AzureEvalError;
use crate::text::ReadError;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The bundle's Azure rules could not be prepared for evaluation.
    #[error(transparent)]
    Evaluator(#[from] anyhow::Error),
    #[error("{file}: cannot read: {error}")]
    Read { file: String, error: ReadError },
    #[error("{file}{}: invalid YAML: {error}", yaml_place(.error))]
    Yaml {
        file: String,
        error: serde_yaml::Error,
    },
    #[error("{file}:{}:{}: invalid JSON: {error}; expected an ARM resource, an array, a template or `az … list` output", .error.line(), .error.column())]
    Json {
        file: String,
        error: serde_json::Error,
    },
    #[error("{object}: evaluating {control} failed: {error}")]
    Evaluation {
        /// `file` or `file#index` of the object.
        object: String,
        control: String,
        error: AzureEvalError,
    },
    /// Reading stopped because an evaluation failed (that error is reported).
    #[error("check stopped")]
    Stopped,
}

/// `:line:column` of a YAML error, when serde_yaml knows it.
fn yaml_place(e: &serde_yaml::Error) -> String {
    e.location()
        .map(|l| format!(":{}:{}", l.line(), l.column()))
        .unwrap_or_default()
}

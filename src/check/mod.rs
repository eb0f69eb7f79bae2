//! `policybook check`: evaluate real resources — ARM JSON in any of the shapes
//! people have at hand, or Kubernetes manifests — against the bundle.
//! Reading the inputs in `inputs` (JSON streamed in `stream`, cluster dumps in
//! parallel in `list_items`), evaluating them in `evaluate`, the result with
//! its human text and JSON in `result`, why a check stopped in `error`; SARIF
//! and GitHub annotations in `report`, placed by `position`.

mod error;
mod evaluate;
mod inputs;
mod list_items;
mod position;
pub mod report;
mod result;
mod stream;

pub use error::CheckError;
pub use evaluate::check_files;
pub use inputs::{read_inputs, InputObject};
pub use result::{CheckResult, Finding, ResourceResult};

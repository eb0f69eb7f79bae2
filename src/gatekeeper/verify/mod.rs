//! `policybook verify PATH…`: runs gator `Suite` files unchanged, with regorus
//! in place of OPA and gator's semantics around it (file reading, defaulting,
//! Go-side match, fresh inventory per case, partial-set counting, assertions).
//!
//! Differences from `gator verify`, on purpose: a Rego evaluation error fails
//! the case (gator counts it as one violation, which hides bugs); templates with
//! only a CEL (`K8sNativeValidation`) engine are reported as skipped (policybook
//! evaluates Rego, like `gator verify --enable-k8s-native-validation=false`);
//! a suite with an unknown field or a value of the wrong type fails at its
//! line and column (gator ignores the one and stops on the other).
//!
//! The steps live in their own files: the suite format (`format`), finding and
//! running suites and tests (`suite`), one case (`case`), the template
//! (`template`), reading objects (`objects`), `--run` (`filter`), errors
//! (`error`) and the outcome and its printing (`outcome`).

mod case;
mod context;
mod error;
mod filter;
mod format;
mod objects;
mod outcome;
mod suite;
mod template;

pub use error::{Placed, Problem, ReadError, SuiteFormatError, TemplateError, VerifyError};
pub use outcome::{CaseOutcome, Status, SuiteOutcome, VerifyOutcome};
pub use suite::run;

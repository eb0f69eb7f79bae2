//! The integration tests, as one test binary (as mdBook does): each module was
//! once its own `tests/*.rs` binary, each linking regorus, tera and jsonschema.
//! They now share one process, so a test that changes process-wide state (the
//! environment, the current directory, the Rego time limit) must not run
//! beside the others; today none does in-process (the CLI runs as a child).

// Test helpers outside #[test] fns unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

mod alz_epac;
mod architecture;
mod atomic_output;
mod azure_bundle;
mod bad_inputs;
mod builtin_compare;
mod check_sarif;
mod check_scale;
mod clear_errors;
mod cli_test_and_check;
mod confinement;
mod coverage;
mod error_messages;
mod gatekeeper_bad_inputs;
mod gatekeeper_outputs;
mod gatekeeper_verify;
mod handbook;
mod handbook_az;
mod hostile_strings;
mod mdbook_compat;
mod mdbook_extras;
mod mdbook_fold;
mod mdbook_print_ids;
mod mdbook_realbooks;
mod mdbook_testbooks;
mod opa_crosscheck;
mod rego_limits;
mod robustness;
mod rollout;
mod serve_live;
mod serve_security;
mod site_axe;
mod site_browser;
mod site_render;

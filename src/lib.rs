//! policybook: one source of AKS identity rules → Azure Policy, Gatekeeper,
//! a handbook site and tests. Pipeline (imports flow one way):
//! `source` → `model` → {`azure`, `gatekeeper`, `runner`, `site`, `check`}; `build`,
//! `serve` (which rebuilds) and the binary's CLI sit on top.

pub mod config;
pub mod diagnostics;
pub mod ids;
pub mod model;
pub mod names;
pub mod regorus_errors;
pub mod spans;
pub mod suggest;
pub mod text;
pub mod walk;

pub mod source;

pub mod azure;
pub mod gatekeeper;
pub mod runner;
pub mod site;

pub mod artifacts;
pub mod build;
pub mod check;
pub mod output;

pub mod serve;

//! Rollout settings into `model::Rollout`: `[policybook] rollout` and the
//! `[policybook.environments.<name>]` tables of book.toml (`environments`), and the
//! exemptions file `<policies>/exemptions.yaml` (`exemptions`). Every reference is
//! resolved here — control ids, environment names, scopes inside their environment
//! (`references`), dates not past (`dates`) — each problem at its `file:line:col`,
//! so the outputs only ever see sound values.

mod dates;
mod environments;
mod exemptions;
mod references;

pub use exemptions::EXEMPTIONS_FILE;

use std::path::Path;

use crate::diagnostics::Diagnostics;
use crate::model::{Rollout, Rule, Stage};

/// The project's default stage as book.toml writes it, `audit` when absent or
/// invalid (an invalid value is reported by `load`).
pub fn default_stage(config: &crate::config::Config) -> Stage {
    config
        .policybook
        .as_ref()
        .and_then(|p| p.rollout.as_deref())
        .and_then(Stage::parse)
        .unwrap_or_default()
}

/// Reads the rollout settings. `text` is book.toml's text; `rules` the loaded rules
/// (for control ids); `policies_dir` the policies folder (absolute).
pub fn load(
    text: &str,
    root: &Path,
    policies_dir: &Path,
    rules: &[Rule],
    d: &mut Diagnostics,
) -> Rollout {
    // Without a `[policybook]` table there is nothing to roll out, nor exemptions.
    let Some(mut rollout) = environments::load(text, rules, d) else {
        return Rollout::default();
    };
    exemptions::load(root, policies_dir, rules, &mut rollout, d);
    rollout
}

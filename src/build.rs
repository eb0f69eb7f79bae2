//! `policybook build`: load, validate, test, then write every output atomically.

use std::path::Path;

use crate::artifacts::Artifacts;
use crate::diagnostics::Diagnostics;
use crate::model::Bundle;
use crate::output::Staging;
use crate::{azure, gatekeeper, runner, site, source};

/// Loads the project and runs every stage's validation. The bundle is only
/// usable when the diagnostics hold no error.
pub fn load_and_validate(root: &Path) -> (Bundle, Diagnostics) {
    let loaded = source::load(root);
    let mut diags = loaded.diagnostics;
    diags.extend(azure::validate(&loaded.bundle));
    diags.extend(gatekeeper::validate(&loaded.bundle));
    (loaded.bundle, diags.sorted())
}

/// What a build produced, for the CLI's summary.
pub struct BuildSummary {
    pub report: runner::TestReport,
    pub notes: Vec<String>,
    pub site_diagnostics: Diagnostics,
}

/// Why a build wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The site reported errors (already located, to be printed as they are).
    #[error("{} error(s) in the site", .0.error_count())]
    Diagnostics(Diagnostics),
    /// A stage or the file system failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Writes the bundle and the site. Nothing is written unless everything succeeded.
pub fn build(bundle: &Bundle) -> Result<BuildSummary, BuildError> {
    let mut report = runner::run(bundle, &runner::Filter::default())?;
    // The policy pages say how each rule compares with the built-in it names.
    report.builtins = runner::builtin::compare(bundle, &report);
    // Measured here and handed to the site: the policy pages show what is not covered.
    report.coverage = Some(runner::coverage::measure(
        bundle,
        &runner::Filter::default(),
    )?);
    let notes = gatekeeper::notes(bundle);
    // A policybook project stages the whole output root, with the site under `site/`;
    // a plain mdBook book stages only its site folder.
    let project = bundle.config.policybook.is_some();
    let target = if project {
        bundle.config.output_dir().to_string()
    } else {
        bundle.config.site_dir()
    };
    // The loader reports this at its book.toml line; checked again here because
    // a build replaces the whole folder.
    if let Some(problem) = bundle.config.check_output(None, &bundle.root).0.first() {
        return Err(anyhow::anyhow!("{}; nothing was written", problem.message).into());
    }
    let staging = Staging::new(&bundle.root.join(target))?;
    // Every output file is made once: written here, and shown by the site as it is.
    let mut artifacts = Artifacts::default();
    if project {
        artifacts.extend(azure::artifacts(bundle));
        artifacts.extend(gatekeeper::artifacts(bundle));
    }
    artifacts.write_to(staging.path())?;
    let site_out = if project {
        staging.path().join("site")
    } else {
        staging.path().to_path_buf()
    };
    let site_diagnostics = site::render(bundle, &report, &artifacts, &site_out)?;
    if site_diagnostics.has_errors() {
        return Err(BuildError::Diagnostics(site_diagnostics));
    }
    staging.commit()?;
    Ok(BuildSummary {
        report,
        notes,
        site_diagnostics,
    })
}

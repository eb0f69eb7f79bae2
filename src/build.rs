//! `policybook build`: load, validate, test, then write every output atomically.

use std::path::Path;

use anyhow::Result;

use crate::diagnostics::Diagnostics;
use crate::model::Bundle;
use crate::output::Staging;
use crate::{azure, gatekeeper, site, source, test};

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
    pub report: test::TestReport,
    pub notes: Vec<String>,
    pub site_diagnostics: Diagnostics,
}

/// Writes the bundle and the site. Nothing is written unless everything succeeded.
pub fn build(bundle: &Bundle) -> Result<std::result::Result<BuildSummary, Diagnostics>> {
    let report = test::run(bundle, &test::Filter::default())?;
    let notes = gatekeeper::notes(bundle);
    if bundle.config.policybook.is_some() {
        let staging = Staging::new(&bundle.root.join(bundle.config.output_dir()))?;
        azure::emit(bundle, &staging)?;
        gatekeeper::emit(bundle, &staging)?;
        let site_diags = site::render(bundle, &report, &staging.path().join("site"))?;
        if site_diags.has_errors() {
            return Ok(Err(site_diags));
        }
        staging.commit()?;
        Ok(Ok(BuildSummary {
            report,
            notes,
            site_diagnostics: site_diags,
        }))
    } else {
        let staging = Staging::new(&bundle.root.join(bundle.config.site_dir()))?;
        let site_diags = site::render(bundle, &report, staging.path())?;
        if site_diags.has_errors() {
            return Ok(Err(site_diags));
        }
        staging.commit()?;
        Ok(Ok(BuildSummary {
            report,
            notes,
            site_diagnostics: site_diags,
        }))
    }
}

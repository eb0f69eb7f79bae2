//! Gatekeeper outputs: ConstraintTemplates, Constraints, kustomization, gator suites.
//! (Being written: see issue 3.)

use crate::diagnostics::Diagnostics;
use crate::model::Bundle;
use crate::output::Staging;

/// Problems the Gatekeeper stage finds in the rules (Rego that does not compile, …).
pub fn validate(_bundle: &Bundle) -> Diagnostics {
    Diagnostics::default()
}

/// Writes `gatekeeper/…` into the staging folder.
pub fn emit(_bundle: &Bundle, _out: &Staging) -> anyhow::Result<()> {
    Ok(())
}

pub mod verify {
    //! `policybook verify`: gator Suite files. (Being written: see issue 3.)
    use std::path::PathBuf;

    pub struct VerifyOutcome;
    impl VerifyOutcome {
        pub fn human(&self) -> String {
            String::new()
        }
        pub fn json(&self) -> String {
            "{}".into()
        }
        pub fn failed(&self) -> usize {
            0
        }
    }
    pub fn run(_paths: &[PathBuf], _run: Option<&str>) -> anyhow::Result<VerifyOutcome> {
        anyhow::bail!("verify is not implemented yet")
    }
}

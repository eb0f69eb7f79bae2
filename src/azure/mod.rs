//! Azure Policy outputs: definitions, the policy set, the ARM template, the az
//! script and the EPAC tree — all pure functions of the model.

use crate::diagnostics::Diagnostics;
use crate::model::Bundle;
use crate::output::Staging;

pub fn validate(_bundle: &Bundle) -> Diagnostics {
    Diagnostics::default()
}

pub fn emit(_bundle: &Bundle, _out: &Staging) -> anyhow::Result<()> {
    Ok(())
}

//! The handbook site: Markdown from the book's source folder plus generated policy
//! pages, rendered with the theme's templates. (Being written: see issue 4.)

use std::path::Path;

use crate::diagnostics::Diagnostics;
use crate::model::Bundle;
use crate::test::TestReport;

/// Renders the site into `out` (an empty folder). Returns problems such as broken links;
/// the build fails when they contain errors.
pub fn render(_bundle: &Bundle, _report: &TestReport, _out: &Path) -> anyhow::Result<Diagnostics> {
    Ok(Diagnostics::default())
}

pub mod serve {
    //! `policybook serve`. (Being written: see issue 4.)
    pub fn serve(_root: &std::path::Path, _port: u16) -> anyhow::Result<()> {
        anyhow::bail!("serve is not implemented yet")
    }
}

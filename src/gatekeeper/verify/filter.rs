//! gator's `--run` filter: a regex over test names, or `TEST//CASE` for both.

use super::error::VerifyError;

/// Which tests and cases run.
pub(super) struct RunFilter {
    test: Option<regex::Regex>,
    case: Option<regex::Regex>,
}

impl RunFilter {
    pub(super) fn new(run: Option<&str>) -> Result<RunFilter, VerifyError> {
        let Some(r) = run else {
            return Ok(RunFilter {
                test: None,
                case: None,
            });
        };
        let re = |s: &str| {
            regex::Regex::new(s).map_err(|source| VerifyError::BadRun {
                pattern: s.to_string(),
                source,
            })
        };
        match r.split_once("//") {
            Some((t, c)) => Ok(RunFilter {
                test: if t.is_empty() { None } else { Some(re(t)?) },
                case: if c.is_empty() { None } else { Some(re(c)?) },
            }),
            None => Ok(RunFilter {
                test: Some(re(r)?),
                case: None,
            }),
        }
    }

    /// Whether a case runs. With a single regex, a matching test runs all its
    /// cases; otherwise cases whose name matches run.
    pub(super) fn selects(&self, test: &str, case: &str) -> bool {
        match (&self.test, &self.case) {
            (None, None) => true,
            (Some(t), None) => t.is_match(test) || t.is_match(case),
            (None, Some(c)) => c.is_match(case),
            (Some(t), Some(c)) => t.is_match(test) && c.is_match(case),
        }
    }
}

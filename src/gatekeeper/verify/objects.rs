//! Reading the YAML files a suite names, the way gator does.

use std::path::Path;

use serde_json::Value;

use super::error::ReadError;

/// gator's object reader: split on "\n---", drop blank and comment-only parts,
/// parse each as YAML.
pub(super) fn read_objects(path: &Path) -> Result<Vec<Value>, ReadError> {
    let text = crate::text::read_text(path).map_err(|source| ReadError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for part in text.split("\n---") {
        let meaningful = part.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        });
        if !meaningful {
            continue;
        }
        let v: Value = serde_yaml::from_str(part.trim_start_matches("---")).map_err(|source| {
            ReadError::InvalidYaml {
                path: path.to_path_buf(),
                source,
            }
        })?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

//! Test samples: files under the policies folder (confined there, also through
//! symbolic links) holding one object, or for inventories any number of
//! JSON or YAML documents.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

pub(super) const SAMPLE_INSIDE: &str =
    "keep test samples under the policies folder (e.g. in samples/) and give their path relative to it";

/// The file a sample path names, when it stays inside the policies folder (also
/// once symbolic links are followed); otherwise why not, naming the boundary.
pub(super) fn sample_file(policies_dir: &Path, path: &str) -> Result<std::path::PathBuf, String> {
    use std::path::Component;
    let shown = policies_dir.strip_prefix(".").unwrap_or(policies_dir);
    let inside = format!(
        "samples must be inside the policies folder `{}`",
        shown.display()
    );
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if path.starts_with('/') || path.starts_with('\\') || drive || Path::new(path).is_absolute() {
        return Err(format!("an absolute path; {inside}"));
    }
    let mut depth = 0usize;
    for c in Path::new(path).components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return Err(format!("`..` leads out of the policies folder; {inside}")),
        }
    }
    let file = policies_dir.join(path);
    // A missing file is reported when it is read.
    if let (Ok(real), Ok(base)) = (file.canonicalize(), policies_dir.canonicalize()) {
        if !real.starts_with(&base) {
            return Err(format!(
                "a symbolic link leads to {}, outside the policies folder; {inside}",
                real.display()
            ));
        }
    }
    Ok(file)
}

/// Reads a sample that must hold exactly one object (JSON or YAML).
pub(super) fn read_sample(path: &Path) -> Result<Value, String> {
    let mut docs = read_sample_docs(path)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => Err("the file holds no object".into()),
        n => Err(format!(
            "the file holds {n} YAML documents; a test sample must hold one"
        )),
    }
}

/// Reads every document of a JSON or YAML file.
pub(super) fn read_sample_docs(path: &Path) -> Result<Vec<Value>, String> {
    let text = crate::text::read_text(path).map_err(|e| format!("cannot read it ({e})"))?;
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        return serde_json::from_str(&text)
            .map(|v| vec![v])
            .map_err(|e| format!("invalid JSON at {}:{}: {e}", e.line(), e.column()));
    }
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v = Value::deserialize(doc).map_err(|e| format!("invalid YAML: {e}"))?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

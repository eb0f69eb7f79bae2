//! Test samples: files under the policies folder (confined there, also through
//! symbolic links) holding one object, or for inventories any number of
//! JSON or YAML documents.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::text::ReadError;

/// Why a sample path or file cannot be used; shown after "sample `path`: ".
#[derive(Debug, thiserror::Error)]
pub(super) enum SampleError {
    #[error("an absolute path; {}", inside(.folder))]
    Absolute { folder: PathBuf },
    #[error("`..` leads out of the policies folder; {}", inside(.folder))]
    LeavesFolder { folder: PathBuf },
    #[error("a symbolic link leads to {}, outside the policies folder; {}", .target.display(), inside(.folder))]
    LinkOut { target: PathBuf, folder: PathBuf },
    #[error("cannot read it ({0})")]
    Read(ReadError),
    #[error("invalid JSON at {line}:{column}: {0}", line = .0.line(), column = .0.column())]
    Json(serde_json::Error),
    #[error("invalid YAML: {0}")]
    Yaml(serde_yaml::Error),
    #[error("the file holds no object")]
    Empty,
    #[error("the file holds {0} YAML documents; a test sample must hold one")]
    Documents(usize),
}

/// The boundary a sample path crossed, named for the message.
fn inside(folder: &Path) -> String {
    format!(
        "samples must be inside the policies folder `{}`",
        folder.display()
    )
}

pub(super) const SAMPLE_INSIDE: &str =
    "keep test samples under the policies folder (e.g. in samples/) and give their path relative to it";

/// The file a sample path names, when it stays inside the policies folder (also
/// once symbolic links are followed); otherwise why not, naming the boundary.
pub(super) fn sample_file(policies_dir: &Path, path: &str) -> Result<PathBuf, SampleError> {
    use std::path::Component;
    let folder = policies_dir
        .strip_prefix(".")
        .unwrap_or(policies_dir)
        .to_path_buf();
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if path.starts_with('/') || path.starts_with('\\') || drive || Path::new(path).is_absolute() {
        return Err(SampleError::Absolute { folder });
    }
    let mut depth = 0usize;
    for c in Path::new(path).components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return Err(SampleError::LeavesFolder { folder }),
        }
    }
    let file = policies_dir.join(path);
    // A missing file is reported when it is read.
    if let (Ok(real), Ok(base)) = (file.canonicalize(), policies_dir.canonicalize()) {
        if !real.starts_with(&base) {
            return Err(SampleError::LinkOut {
                target: real,
                folder,
            });
        }
    }
    Ok(file)
}

/// Reads a sample that must hold exactly one object (JSON or YAML).
pub(super) fn read_sample(path: &Path) -> Result<Value, SampleError> {
    let mut docs = read_sample_docs(path)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => Err(SampleError::Empty),
        n => Err(SampleError::Documents(n)),
    }
}

/// Reads every document of a JSON or YAML file.
pub(super) fn read_sample_docs(path: &Path) -> Result<Vec<Value>, SampleError> {
    let text = crate::text::read_text(path).map_err(SampleError::Read)?;
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        return serde_json::from_str(&text)
            .map(|v| vec![v])
            .map_err(SampleError::Json);
    }
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v = Value::deserialize(doc).map_err(SampleError::Yaml)?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

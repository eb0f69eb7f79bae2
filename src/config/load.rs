//! Reading book.toml into a `Config`; a problem carries its line and column.

use std::path::{Path, PathBuf};

use super::book::Config;
use crate::text::{line_col, ReadError};

/// A config problem with its place in book.toml.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Why `Config::load` has no config: book.toml is unreadable, or invalid.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {error}", .path.display())]
    Read { path: PathBuf, error: ReadError },
    /// At its place in book.toml.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

impl Config {
    /// Parses book.toml text; errors carry a 1-based line and column.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let text = crate::text::strip_bom(text);
        let config = toml::from_str::<Config>(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError {
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        Ok(config)
    }

    /// Reads and parses `<root>/book.toml`.
    pub fn load(root: &Path) -> Result<Config, LoadError> {
        let path = root.join("book.toml");
        let text =
            crate::text::read_text(&path).map_err(|error| LoadError::Read { path, error })?;
        Ok(Config::parse(&text)?)
    }
}

//! Reading book.toml into a `Config`; a problem carries its line and column.

use std::path::Path;

use super::book::Config;
use crate::text::line_col;

/// A config problem with its place in book.toml.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub line: usize,
    pub column: usize,
    pub message: String,
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

    pub fn load(root: &Path) -> anyhow::Result<Result<Config, ConfigError>> {
        let path = root.join("book.toml");
        let text = crate::text::read_text(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Ok(Config::parse(&text))
    }
}

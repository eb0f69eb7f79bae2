//! `book.toml`: mdBook's `[book]` keys plus policybook's `[policybook]` table.
//! A plain mdBook book (no `[policybook]`) is valid: it builds as a site only.
//! The whole file and the book/site keys in `book`, `[policybook]` in
//! `policybook` (its environments in `environments`), parsing in `load`, and the
//! checks with places: `[output.html]` types in `html_types`, the folders a build
//! reads and replaces in `folders`.

mod book;
mod environments;
mod folders;
mod html_types;
mod load;
mod policybook;

pub use book::{BookConfig, Config};
pub use environments::EnvironmentConfig;
pub use html_types::html_type_warnings;
pub use load::{ConfigError, LoadError};
pub use policybook::{
    AreaConfig, DeploymentConfig, DeploymentScope, InitiativeConfig, PolicybookConfig, RegoTimeout,
};

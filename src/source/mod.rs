//! Loading: book.toml, the alias catalog and one YAML file per rule under the
//! policies folder (and the rollout settings: stages, environments, the exemptions
//! file; see `rollout`), into a `model::Bundle`. Structural problems are collected
//! (all files, all problems) with their file:line:col; later stages add theirs.

pub mod rollout;
mod rule_file;

pub use rule_file::{collect_fields, is_builtin_field};

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::config::Config;
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{AliasCatalog, Bundle, Rule};
use crate::walk::relative;

/// A loaded project: the bundle of every rule that loaded cleanly, plus the
/// problems found. Callers must not write outputs while `diagnostics` has errors.
pub struct Loaded {
    pub bundle: Bundle,
    pub diagnostics: Diagnostics,
}

/// Reads the project at `root`. Never fails outright: every problem, an unreadable
/// or invalid book.toml included, lands in `Loaded::diagnostics`.
pub fn load(root: &Path) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let mut sources_outside = false;
    let mut book_text = String::new();
    let config = match crate::text::read_text(&root.join("book.toml")) {
        Ok(text) => match Config::parse(&text) {
            Ok(c) => {
                diagnostics.extend(crate::names::check_book_toml(&text));
                diagnostics.extend(crate::config::html_type_warnings(&text));
                // The folder a build replaces must not be the project or hold a source.
                diagnostics.extend(c.check_output(Some(&text), root));
                diagnostics.extend(c.check_theme(&text, root));
                let outside = c.check_sources(&text, root);
                sources_outside = outside.has_errors();
                diagnostics.extend(outside);
                book_text = text;
                c
            }
            Err(e) => {
                diagnostics.error(
                    Location::new("book.toml", (e.line, e.column)),
                    format!("invalid book.toml: {}", e.message),
                    "fix the key or value; see the README's book.toml reference",
                );
                Config::default()
            }
        },
        Err(e) => {
            diagnostics.error(
                Location::new("book.toml", e.line_col()),
                format!("cannot read book.toml in {}: {e}", root.display()),
                e.help("run policybook in the project folder or pass --root DIR"),
            );
            Config::default()
        }
    };

    let mut bundle = Bundle {
        root: root.to_path_buf(),
        config,
        rules: vec![],
        aliases: AliasCatalog::default(),
        rollout: Default::default(),
    };
    // Sources outside the project are never read (see `Config::check_sources`).
    if sources_outside {
        return Loaded {
            bundle,
            diagnostics: diagnostics.sorted(),
        };
    }
    let Some(pb) = bundle.config.policybook.clone() else {
        // A plain mdBook book: no rules, no aliases.
        return Loaded {
            bundle,
            diagnostics,
        };
    };

    bundle.aliases = load_aliases(root, &pb.aliases, &mut diagnostics);

    let policies_dir = root.join(&pb.policies);
    let files = rule_files(root, &policies_dir, &mut diagnostics);
    let results: Vec<(Option<Rule>, Diagnostics)> = files
        .par_iter()
        .map(|path| {
            rule_file::load_rule(root, &policies_dir, path, &bundle.config, &bundle.aliases)
        })
        .collect();
    for (rule, diags) in results {
        diagnostics.extend(diags);
        bundle.rules.extend(rule);
    }
    check_unique(&bundle.rules, &mut diagnostics);
    bundle.rules.sort_by(|a, b| a.id.cmp(&b.id));
    bundle.rollout = rollout::load(
        &book_text,
        root,
        &policies_dir,
        &bundle.rules,
        &mut diagnostics,
    );
    Loaded {
        bundle,
        diagnostics: diagnostics.sorted(),
    }
}

/// Rule files: `*.yaml` / `*.yml` under the policies folder, except the
/// `samples/` tree (test inputs), sorted for stable output. Symbolic links are
/// followed inside the project; any other link that could hold rules is an error.
fn rule_files(root: &Path, dir: &Path, diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    let walked = crate::walk::walk_files(
        root,
        dir,
        |e| e.file_name() != "samples",
        |p| {
            matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
                // The exemptions file sits beside the rules but is not one.
                && !(p.parent() == Some(dir)
                    && p.file_name().is_some_and(|n| n == rollout::EXEMPTIONS_FILE))
        },
    );
    for p in walked.problems {
        diagnostics.error(
            Location::new(relative(root, &p.path), (1, 1)),
            p.message,
            "point the link at a rule file inside the project, or replace it with the file itself",
        );
    }
    walked.files
}

fn check_unique(rules: &[Rule], diagnostics: &mut Diagnostics) {
    let mut sorted: Vec<&Rule> = rules.iter().collect();
    sorted.sort_by(|a, b| a.location.file.cmp(&b.location.file));
    let mut ids: std::collections::HashMap<String, &Rule> = Default::default();
    let mut names: std::collections::HashMap<String, &Rule> = Default::default();
    for r in sorted {
        if let Some(first) = ids.get(&r.id.to_ascii_lowercase()) {
            diagnostics.error(
                r.locate("id"),
                format!(
                    "duplicate control id `{}`: {} already uses it",
                    r.id,
                    first.locate("id")
                ),
                "give each rule its own id",
            );
        } else {
            ids.insert(r.id.to_ascii_lowercase(), r);
        }
        if let Some(first) = names.get(&r.name) {
            diagnostics.error(
                r.locate("name"),
                format!(
                    "duplicate rule name `{}`: {} already uses it",
                    r.name,
                    first.locate("name")
                ),
                "names become file names and URLs: give each rule its own",
            );
        } else {
            names.insert(r.name.clone(), r);
        }
    }
}

/// Reads the alias catalog: `[{namespace, resourceTypes: [{resourceType, aliases: [{name, …}]}]}]`.
fn load_aliases(root: &Path, rel: &str, diagnostics: &mut Diagnostics) -> AliasCatalog {
    let mut catalog = AliasCatalog {
        path: rel.to_string(),
        ..Default::default()
    };
    let text = match crate::text::read_text(&root.join(rel)) {
        Ok(t) => t,
        Err(e) => {
            // A file that is there but not UTF-8 is reported at the bad byte.
            let at = match e {
                crate::text::ReadError::NotUtf8 { .. } => Location::new(rel, e.line_col()),
                _ => Location::new("book.toml", (1, 1)),
            };
            diagnostics.error(
                at,
                format!("cannot read the alias catalog `{rel}`: {e}"),
                e.help("set [policybook] aliases to an `az provider show --expand resourceTypes/aliases` dump"),
            );
            return catalog;
        }
    };
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            diagnostics.error(
                Location::new(rel, (e.line(), e.column())),
                format!("the alias catalog is not valid JSON: {e}"),
                "regenerate it with `az provider show --expand resourceTypes/aliases`",
            );
            return catalog;
        }
    };
    let providers = match &value {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![value.clone()],
        _ => vec![],
    };
    for p in &providers {
        let ns = p
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        for rt in p
            .get("resourceTypes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let t = rt
                .get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or_default();
            catalog
                .resource_types
                .insert(format!("{ns}/{t}").to_ascii_lowercase());
            for a in rt
                .get("aliases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = a.get("name").and_then(Value::as_str) {
                    catalog
                        .names
                        .insert(name.to_ascii_lowercase(), name.to_string());
                }
            }
        }
    }
    if catalog.names.is_empty() {
        diagnostics.error(
            Location::new(rel, (1, 1)),
            "the alias catalog holds no aliases",
            "expected the `az provider show --expand resourceTypes/aliases` shape: [{namespace, resourceTypes: [{resourceType, aliases: [{name, defaultPath}]}]}]",
        );
    }
    catalog.json = text;
    catalog
}

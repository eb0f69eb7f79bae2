//! One rule file → one `model::Rule`, with every structural problem reported at
//! its line and column. The steps in order: read, YAML syntax, unknown keys
//! (`keys`), types (`raw`), then meaning: the rule's own keys (`header`), its
//! `azure:` and `kubernetes:` sections and their test cases (`cases`, `samples`).

mod azure;
mod cases;
mod fields;
mod header;
mod keys;
mod kubernetes;
mod raw;
mod samples;

pub use fields::{collect_fields, is_builtin_field};

use std::path::Path;
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{self, AliasCatalog, Rule, Severity};
use crate::spans::SpanIndex;
use raw::RawRule;

/// Loads one rule file. Returns the rule when it is usable by later stages
/// (possibly with non-fatal problems), and every problem found.
pub(super) fn load_rule(
    root: &Path,
    policies_dir: &Path,
    path: &Path,
    config: &Config,
    aliases: &AliasCatalog,
) -> (Option<Rule>, Diagnostics) {
    let file = crate::walk::relative(root, path);
    let mut d = Diagnostics::default();
    let text = match crate::text::read_text(path) {
        Ok(t) => t,
        Err(e) => {
            d.error(
                Location::new(&file, e.line_col()),
                format!("cannot read rule file: {e}"),
                e.help("check the file's permissions"),
            );
            return (None, d);
        }
    };
    // 1. YAML syntax.
    let value: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            d.error(
                yaml_location(&file, &e),
                format!("malformed YAML: {}", strip_location(&e)),
                "fix the YAML syntax at this place (indentation, quoting, a missing `:`)",
            );
            return (None, d);
        }
    };
    let spans = SpanIndex::build(&text);
    // 2. Unknown keys, all of them.
    keys::check_keys(&value, &spans, &file, &mut d);
    if d.has_errors() {
        return (None, d);
    }
    // 3. Types.
    let raw: RawRule = match serde_yaml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            d.error(yaml_location(&file, &e), format!("wrong type: {}", strip_location(&e)), "give the key a value of the expected type (see the README's rule format reference)");
            return (None, d);
        }
    };
    let spans = Arc::new(spans);
    let at = |p: &str| Location::new(&file, spans.nearest(p));

    // 4. Meaning.
    let severity = header::parse_severity(&raw.severity).unwrap_or_else(|| {
        d.error(
            at("severity"),
            format!("unknown severity `{}`", raw.severity),
            "use one of low, medium, high, critical",
        );
        Severity::Medium
    });
    let at_key = |p: &str| Location::new(&file, spans.nearest_key(p));
    // Names (grammar and length) are checked in check_names; the kind's length here.
    header::check_lengths(
        raw.kubernetes.as_ref().map(|k| k.kind.as_str()),
        &at,
        &mut d,
    );
    header::check_names(&raw, config, &at, &at_key, &mut d);
    if let Some(pb) = &config.policybook {
        if !pb.areas.is_empty() && !pb.areas.contains_key(&raw.area) {
            let known: Vec<&str> = pb.areas.keys().map(String::as_str).collect();
            d.error(
                at("area"),
                format!("unknown area `{}`", raw.area),
                format!(
                    "use one of {} or add it under [policybook.areas] in book.toml",
                    known.join(", ")
                ),
            );
        }
    }
    if let Some(b) = &raw.builtin {
        if !crate::names::is_guid(b) {
            d.error(
                at("builtin"),
                format!("builtin `{b}` is not a policy definition GUID"),
                "give the built-in's name, e.g. da6e2401-19da-4532-9141-fb8fbde08431",
            );
        }
    }
    if raw.azure.is_none() && raw.kubernetes.is_none() {
        d.error(
            at("id"),
            "rule has neither an `azure:` nor a `kubernetes:` section",
            "add the condition Azure Policy or Gatekeeper should check",
        );
    }

    // The rule's stage: its own `rollout:`, else `[policybook] rollout`.
    let rollout = raw.rollout.as_deref().and_then(|s| {
        let stage = model::Stage::parse(s);
        if stage.is_none() {
            d.error(
                at("rollout"),
                format!("unknown rollout stage `{}`", crate::names::show(s)),
                "use audit (Azure Audit, Gatekeeper dryrun), warn (Azure Audit, Gatekeeper warn) or enforce (Azure Deny, Gatekeeper deny)",
            );
        }
        stage
    });
    let stage = rollout.unwrap_or_else(|| super::rollout::default_stage(config));
    let azure = raw.azure.map(|a| {
        let mut a = azure::azure_rule(a, &at, aliases, &mut d);
        // The stage's effect is the default whenever the rule allows it.
        if let Some(i) = a
            .effects
            .iter()
            .position(|e| e.eq_ignore_ascii_case(stage.azure_effect()))
        {
            let e = a.effects.remove(i);
            a.effects.insert(0, e);
        }
        a
    });
    let kubernetes = raw
        .kubernetes
        .map(|k| kubernetes::kubernetes_rule(k, stage, &at, &at_key, &mut d));

    let mut tests = Vec::new();
    for (i, t) in raw.tests.into_iter().enumerate() {
        if let Some(tc) = cases::test_case(
            i,
            t,
            &at,
            policies_dir,
            azure.as_ref(),
            kubernetes.is_some(),
            &mut d,
        ) {
            tests.push(tc);
        }
    }
    if tests.is_empty() && !d.has_errors() {
        d.warning(
            at("id"),
            format!("rule {} has no tests", raw.id),
            "add a compliant and a non-compliant case under `tests:`",
        );
    }

    // A rule with errors is reported, not passed on: later stages only see sound rules.
    if d.has_errors() {
        return (None, d);
    }
    let rule = Rule {
        id: raw.id,
        name: raw.name,
        title: raw.title,
        area: raw.area,
        severity,
        version: raw.version,
        summary: raw.summary,
        description: raw.description,
        rationale: raw.rationale,
        remediation: raw.remediation,
        checklist: raw.checklist,
        builtin: raw.builtin,
        azure,
        kubernetes,
        rollout,
        tests,
        location: Location::new(&file, (1, 1)),
        spans,
    };
    (Some(rule), d)
}

fn yaml_location(file: &str, e: &serde_yaml::Error) -> Location {
    match e.location() {
        Some(l) => Location::new(file, (l.line(), l.column())),
        None => Location::new(file, (1, 1)),
    }
}

/// serde_yaml appends " at line N column M"; the location is printed up front instead.
fn strip_location(e: &serde_yaml::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

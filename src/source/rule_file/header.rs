//! The rule's own keys: its severity, the grammar of its id, name, area and
//! parameter names (`crate::names`), text free of NUL, and length limits.

use super::raw::RawRule;
use crate::config::Config;
use crate::diagnostics::{Diagnostics, Location};
use crate::model::Severity;

pub(super) fn parse_severity(s: &str) -> Option<Severity> {
    match s.to_ascii_lowercase().as_str() {
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

/// Longest template kind: its lower-case form is the CRD's plural, a DNS label.
pub(super) const MAX_KIND_LEN: usize = 63;

/// Length limit of the template kind, reported at its place rather than as a
/// failed apply later. (Rule names are bounded by their grammar in `names`.)
pub(super) fn check_lengths(
    kind: Option<&str>,
    at: &dyn Fn(&str) -> Location,
    d: &mut Diagnostics,
) {
    if let Some(kind) = kind {
        let n = kind.chars().count();
        if n > MAX_KIND_LEN {
            d.error(
                at("kubernetes.kind"),
                format!("template kind is {n} characters long; the limit is {MAX_KIND_LEN}"),
                "shorten the kind (Gatekeeper makes it the CRD's plural, a DNS label)",
            );
        }
    }
}

/// Ids and names against `crate::names` (they become resource names, file
/// names, ARM expression arguments and words of deploy.sh); free text that
/// deploy.sh passes to `az` must not hold NUL.
pub(super) fn check_names(
    raw: &RawRule,
    config: &Config,
    at: &dyn Fn(&str) -> Location,
    at_key: &dyn Fn(&str) -> Location,
    d: &mut Diagnostics,
) {
    use crate::names::{text_problem, Grammar, CONTROL_ID, PARAMETER, SLUG};
    let mut check = |loc: Location, v: &str, g: &Grammar| {
        if let Some(p) = g.problem(v) {
            d.error(loc, p, g.allowed);
        }
    };
    check(at("id"), &raw.id, &CONTROL_ID);
    check(at("name"), &raw.name, &SLUG);
    // With areas configured the area must be one of their keys (checked in book.toml).
    if config
        .policybook
        .as_ref()
        .is_none_or(|p| p.areas.is_empty())
    {
        check(at("area"), &raw.area, &SLUG);
    }
    let azure = raw
        .azure
        .iter()
        .flat_map(|a| a.parameters.keys().map(|k| ("azure", k)));
    let kubernetes = raw
        .kubernetes
        .iter()
        .flat_map(|k| k.parameters.keys().map(|p| ("kubernetes", p)));
    for (section, k) in azure.chain(kubernetes) {
        check(at_key(&format!("{section}.parameters.{k}")), k, &PARAMETER);
    }
    for (key, v) in [
        ("title", &raw.title),
        ("summary", &raw.summary),
        ("version", &raw.version),
    ] {
        if let Some(p) = text_problem(&format!("`{key}`"), v) {
            d.error(at(key), p, "remove the NUL (`\\0`) from the text");
        }
    }
}

//! The `azure:` section into a `model::AzureRule`: effects and the default
//! effect, the mode, and every alias the condition reads checked against the
//! catalog (with a did-you-mean), plus types the mode can never reach.

use super::fields::{collect_fields, is_builtin_field};
use super::raw::RawAzure;
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{self, AliasCatalog, AzureRule};
use serde_json::Value;

/// Effects Azure Policy knows, in their canonical spelling.
pub(super) const AZURE_EFFECTS: &[&str] = &[
    "Audit",
    "Deny",
    "Disabled",
    "AuditIfNotExists",
    "DeployIfNotExists",
    "Modify",
    "Append",
    "DenyAction",
    "Manual",
];

pub(super) fn azure_rule(
    a: RawAzure,
    at: &dyn Fn(&str) -> Location,
    aliases: &AliasCatalog,
    d: &mut Diagnostics,
) -> AzureRule {
    let mut effects = Vec::new();
    for (i, e) in a.effects.iter().enumerate() {
        match AZURE_EFFECTS.iter().find(|k| k.eq_ignore_ascii_case(e)) {
            Some(k) => effects.push(k.to_string()),
            None => d.error(
                at(&format!("azure.effects.{i}")),
                format!("unknown effect `{e}`"),
                format!("use one of {}", AZURE_EFFECTS.join(", ")),
            ),
        }
    }
    if a.effects.is_empty() {
        d.error(
            at("azure.effects"),
            "effect list has no default: it is empty",
            "list the allowed effects; the first is the default, e.g. [Audit, Deny, Disabled]",
        );
    }
    if let Some(def) = &a.effect {
        match effects.iter().position(|e| e.eq_ignore_ascii_case(def)) {
            Some(i) => {
                let e = effects.remove(i);
                effects.insert(0, e);
            }
            None => d.error(
                at("azure.effect"),
                format!(
                    "default effect `{def}` is not in the effect list [{}]",
                    effects.join(", ")
                ),
                "add it to `effects` or pick one of them",
            ),
        }
    }
    let mode = match ["Indexed", "All"]
        .iter()
        .find(|m| m.eq_ignore_ascii_case(&a.mode))
    {
        Some(m) => m.to_string(),
        None => {
            d.error(
                at("azure.mode"),
                format!("unknown mode `{}` for an ARM rule", a.mode),
                "use Indexed (types with tags and location) or All",
            );
            a.mode.clone()
        }
    };
    if a.parameters.contains_key("effect") {
        d.error(
            at("azure.parameters.effect"),
            "`effect` is generated from `effects`",
            "remove it from `parameters`",
        );
    }
    // Every alias the condition names must be in the catalog.
    let mut fields = Vec::new();
    collect_fields(&a.condition, "azure.if", &mut fields);
    for (path, field) in fields {
        if !is_builtin_field(&field) && !aliases.names.is_empty() && !aliases.contains(&field) {
            let hint = nearest_alias(&field, aliases)
                .map(|s| format!("did you mean `{s}`? The catalog is {}", aliases.path))
                .unwrap_or_else(|| format!("check the spelling against {} or point [policybook] aliases at a full dump", aliases.path));
            d.error(at(&path), format!("unknown alias `{field}`"), hint);
        }
    }
    // A type the mode cannot reach: Azure would never evaluate the rule.
    if mode == "Indexed" {
        for t in condition_types(&a.condition) {
            if !model::indexed_mode_reaches(&t) {
                d.warning(at("azure.mode"), format!("mode Indexed never evaluates `{t}`: the type supports neither tags nor location"), "set `mode: All`");
            }
        }
    }
    AzureRule {
        mode,
        effects,
        parameters: a.parameters,
        condition: a.condition,
    }
}

fn nearest_alias(field: &str, aliases: &AliasCatalog) -> Option<String> {
    let f = field.to_ascii_lowercase();
    crate::suggest::closest(&f, aliases.names.iter().map(|(l, n)| (l.as_str(), n)), 4).cloned()
}

/// Resource types the condition pins with `field: type` + `equals` / `in`.
fn condition_types(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if m.get("field")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f.eq_ignore_ascii_case("type"))
                {
                    if let Some(Value::String(t)) = m.get("equals") {
                        out.push(t.clone());
                    }
                    if let Some(Value::Array(ts)) = m.get("in") {
                        out.extend(ts.iter().filter_map(|t| t.as_str().map(String::from)));
                    }
                }
                m.values().for_each(|c| walk(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

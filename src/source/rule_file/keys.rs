//! Unknown keys of a rule file, all of them at once, each at its place with the
//! known keys of its section and a did-you-mean from `crate::suggest`.

use crate::diagnostics::{Diagnostics, Location};
use crate::spans::SpanIndex;

const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "title",
    "area",
    "severity",
    "version",
    "summary",
    "description",
    "rationale",
    "remediation",
    "checklist",
    "builtin",
    "azure",
    "kubernetes",
    "rollout",
    "tests",
];
const AZURE_KEYS: &[&str] = &["mode", "effects", "effect", "parameters", "if"];
const KUBERNETES_KEYS: &[&str] = &[
    "kind",
    "match",
    "enforcementAction",
    "parameters",
    "rego",
    "libs",
];
const TEST_KEYS: &[&str] = &[
    "name",
    "resource",
    "object",
    "inventory",
    "parameters",
    "expect",
];
const EXPECT_KEYS: &[&str] = &["violations", "message"];

pub(super) fn check_keys(
    v: &serde_yaml::Value,
    spans: &SpanIndex,
    file: &str,
    d: &mut Diagnostics,
) {
    let Some(top) = v.as_mapping() else {
        d.error(
            Location::new(file, (1, 1)),
            "a rule file must be a YAML mapping",
            "start with `id: …`, `name: …`",
        );
        return;
    };
    check_map(top, "", TOP_KEYS, spans, file, d);
    if let Some(m) = top.get("azure").and_then(|a| a.as_mapping()) {
        check_map(m, "azure", AZURE_KEYS, spans, file, d);
    }
    if let Some(m) = top.get("kubernetes").and_then(|a| a.as_mapping()) {
        check_map(m, "kubernetes", KUBERNETES_KEYS, spans, file, d);
    }
    if let Some(tests) = top.get("tests").and_then(|a| a.as_sequence()) {
        for (i, t) in tests.iter().enumerate() {
            if let Some(m) = t.as_mapping() {
                check_map(m, &format!("tests.{i}"), TEST_KEYS, spans, file, d);
                if let Some(e) = m.get("expect").and_then(|e| e.as_mapping()) {
                    check_map(e, &format!("tests.{i}.expect"), EXPECT_KEYS, spans, file, d);
                }
            }
        }
    }
}

fn check_map(
    m: &serde_yaml::Mapping,
    path: &str,
    known: &[&str],
    spans: &SpanIndex,
    file: &str,
    d: &mut Diagnostics,
) {
    for k in m.keys() {
        let Some(k) = k.as_str() else { continue };
        if !known.contains(&k) {
            let full = if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            };
            let suggestion = crate::suggest::closest(k, known.iter().map(|c| (*c, c)), 3);
            let help = match suggestion {
                Some(s) => format!("did you mean `{s}`? Known keys here: {}", known.join(", ")),
                None => format!("remove it; known keys here: {}", known.join(", ")),
            };
            d.error(
                Location::new(file, spans.nearest_key(&full)),
                format!("unknown key `{k}`"),
                help,
            );
        }
    }
}

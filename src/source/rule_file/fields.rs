//! Which fields an Azure Policy condition reads: for the alias check of the
//! `azure:` section, and (as `source::collect_fields`) for callers outside.

use serde_json::Value;

/// Every `field` the condition reads — condition left sides, `count.field`,
/// and `field('…')` / `current('…')` inside expressions — with its YAML path.
pub fn collect_fields(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{path}.{k}");
                if k == "field" {
                    if let Value::String(s) = child {
                        if !s.starts_with('[') {
                            out.push((p.clone(), s.clone()));
                        }
                    }
                }
                collect_fields(child, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                collect_fields(child, &format!("{path}.{i}"), out);
            }
        }
        Value::String(s) if s.starts_with('[') && !s.starts_with("[[") => {
            static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            let re = RE.get_or_init(|| {
                regex::Regex::new(r"\b(?:field|current)\(\s*'([^']+)'\s*\)")
                    .expect("constant pattern")
            });
            for c in re.captures_iter(s) {
                out.push((path.to_string(), c[1].to_string()));
            }
        }
        _ => {}
    }
}

/// Fields Azure Policy provides without an alias.
pub fn is_builtin_field(f: &str) -> bool {
    let l = f.to_ascii_lowercase();
    matches!(l.as_str(), "name" | "fullname" | "kind" | "type" | "location" | "id" | "tags" | "identity" | "apiversion")
        || l.starts_with("identity.")
        || l.starts_with("tags[")
        || l.starts_with("tags.")
        // `current('name')` of a value count is a loop name, not an alias.
        || !l.contains('/')
}

//! The OpenAPI v3 subset a ConstraintTemplate's parameter schema uses
//! (structural schemas): checks that a schema is well formed and that a value
//! (a default, a constraint's parameters, a test's overrides) conforms to it.

use serde_json::Value;

const TYPES: &[&str] = &["string", "integer", "number", "boolean", "array", "object"];
const KEYWORDS: &[&str] = &[
    "type",
    "description",
    "title",
    "items",
    "properties",
    "additionalProperties",
    "required",
    "enum",
    "default",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "nullable",
    "example",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "multipleOf",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-validations",
];

/// Problems with a schema itself, as (dotted path inside the schema, message).
pub fn check_schema(schema: &Value, path: &str, out: &mut Vec<(String, String)>) {
    let Some(m) = schema.as_object() else {
        out.push((
            path.to_string(),
            "a parameter schema must be a mapping (e.g. `{type: string}`)".into(),
        ));
        return;
    };
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    for k in m.keys() {
        if !KEYWORDS.contains(&k.as_str()) {
            out.push((
                join(k),
                format!("`{k}` is not an OpenAPI v3 schema keyword Kubernetes accepts"),
            ));
        }
    }
    match m.get("type") {
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
        Some(t) => out.push((
            join("type"),
            format!("unknown type {t}; use one of {}", TYPES.join(", ")),
        )),
        None if m.contains_key("x-kubernetes-int-or-string")
            || m.contains_key("x-kubernetes-preserve-unknown-fields") => {}
        None if m.contains_key("anyOf") || m.contains_key("oneOf") || m.contains_key("allOf") => {}
        None => out.push((
            path.to_string(),
            "the schema has no `type` (Kubernetes needs structural schemas)".into(),
        )),
    }
    if let Some(items) = m.get("items") {
        check_schema(items, &join("items"), out);
    } else if m.get("type").and_then(Value::as_str) == Some("array") {
        out.push((path.to_string(), "an array schema needs `items`".into()));
    }
    if let Some(props) = m.get("properties") {
        match props.as_object() {
            Some(p) => {
                for (k, s) in p {
                    check_schema(s, &join(&format!("properties.{k}")), out);
                }
            }
            None => out.push((join("properties"), "`properties` must be a mapping".into())),
        }
    }
    if let Some(ap) = m.get("additionalProperties").filter(|v| v.is_object()) {
        check_schema(ap, &join("additionalProperties"), out);
    }
    if let Some(p) = m.get("pattern").and_then(Value::as_str) {
        if let Err(e) = regex::Regex::new(p) {
            out.push((
                join("pattern"),
                format!("pattern is not a valid regex: {e}"),
            ));
        }
    }
    if let Some(d) = m.get("default") {
        for e in validate(schema, d) {
            out.push((
                join("default"),
                format!("default {} does not match the schema: {e}", compact(d)),
            ));
        }
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!(
            "{}…",
            &s[..s
                .char_indices()
                .take(77)
                .last()
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(0)]
        )
    } else {
        s
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every way `v` fails `schema`, each as `<where>: <what>` (`` for the root).
pub fn validate(schema: &Value, v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, v, "", &mut out);
    out
}

fn walk(schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let Some(s) = schema.as_object() else { return };
    let here = |msg: String| {
        if at.is_empty() {
            msg
        } else {
            format!("{at}: {msg}")
        }
    };
    if v.is_null() && s.get("nullable").and_then(Value::as_bool) == Some(true) {
        return;
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        let actual = type_name(v);
        let int_or_string =
            s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true);
        let ok = actual == t
            || (t == "number" && actual == "integer")
            || (int_or_string && matches!(actual, "integer" | "string"));
        if !ok {
            out.push(here(format!("expected {t}, got {actual} {}", compact(v))));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = s.get("enum") {
        if !allowed.contains(v) {
            out.push(here(format!(
                "{} is not one of {}",
                compact(v),
                compact(&Value::Array(allowed.clone()))
            )));
        }
    }
    match v {
        Value::String(st) => {
            if let Some(p) = s.get("pattern").and_then(Value::as_str) {
                if let Ok(re) = regex::Regex::new(p) {
                    if !re.is_match(st) {
                        out.push(here(format!("{} does not match pattern `{p}`", compact(v))));
                    }
                }
            }
            let len = st.chars().count() as u64;
            if s.get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|n| len < n)
            {
                out.push(here(format!("{} is shorter than minLength", compact(v))));
            }
            if s.get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|n| len > n)
            {
                out.push(here(format!("{} is longer than maxLength", compact(v))));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_default();
            if s.get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x < m)
            {
                out.push(here(format!("{n} is below the minimum")));
            }
            if s.get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x > m)
            {
                out.push(here(format!("{n} is above the maximum")));
            }
        }
        Value::Array(a) => {
            if s.get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|n| (a.len() as u64) < n)
            {
                out.push(here("too few items (minItems)".into()));
            }
            if s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|n| (a.len() as u64) > n)
            {
                out.push(here("too many items (maxItems)".into()));
            }
            if let Some(items) = s.get("items") {
                for (i, x) in a.iter().enumerate() {
                    let p = if at.is_empty() {
                        format!("[{i}]")
                    } else {
                        format!("{at}[{i}]")
                    };
                    walk(items, x, &p, out);
                }
            }
        }
        Value::Object(o) => {
            let props = s.get("properties").and_then(Value::as_object);
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !o.contains_key(r) {
                    out.push(here(format!("missing required property `{r}`")));
                }
            }
            let preserve = s
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                == Some(true);
            for (k, x) in o {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                if let Some(ps) = props.and_then(|p| p.get(k)) {
                    walk(ps, x, &p, out);
                } else {
                    match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            out.push(here(format!("unknown property `{k}`")))
                        }
                        Some(ap @ Value::Object(_)) => walk(ap, x, &p, out),
                        // Structural schemas prune unknown fields; a constraint
                        // with an undeclared parameter is rejected by the API server
                        // when the schema declares properties.
                        _ if props.is_some() && !preserve => out.push(here(format!(
                            "unknown property `{k}` (not declared in the schema)"
                        ))),
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_defaults() {
        let s = json!({"type": "array", "items": {"type": "string"}, "default": ["a", 1]});
        let mut out = vec![];
        check_schema(&s, "p", &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].1.contains("[1]: expected string"), "{out:?}");
        assert!(validate(&json!({"type": "integer"}), &json!(3)).is_empty());
        assert!(!validate(&json!({"type": "integer"}), &json!("3")).is_empty());
    }
}

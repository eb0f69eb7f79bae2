//! The OpenAPI v3 subset a ConstraintTemplate's parameter schema uses
//! (structural schemas): checks that a schema is well formed and that a value
//! (a default, a constraint's parameters, a test's overrides) conforms to it.
//! The Kubernetes-specific rules (structural schemas, `nullable`,
//! `x-kubernetes-int-or-string`, pruning of undeclared properties) are checked
//! here by hand; the remaining JSON-schema keywords (`uniqueItems`,
//! `multipleOf`, `exclusiveMinimum`, `anyOf`, `maxProperties`, …) by the
//! `jsonschema` crate on the schema translated to draft 4, whose keywords
//! OpenAPI v3.0 shares.

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
    for k in ["exclusiveMinimum", "exclusiveMaximum"] {
        // OpenAPI v3.0 (and so Kubernetes) has the draft-4 boolean form.
        if m.get(k).is_some_and(|v| !v.is_boolean()) {
            out.push((
                join(k),
                format!("`{k}` must be true or false (it makes `minimum`/`maximum` exclusive)"),
            ));
        }
    }
    if path.is_empty() {
        if let Err(e) = draft4(schema) {
            out.push((path.to_string(), format!("the schema is not valid: {e}")));
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
    if let Ok(validator) = draft4(schema) {
        for e in validator.iter_errors(v) {
            let keyword = keyword_of(&e);
            if UNWALKED.contains(&keyword) {
                let at = dotted(v, e.instance_path().as_str());
                let msg = format!("{e} ({keyword})");
                out.push(if at.is_empty() {
                    msg
                } else {
                    format!("{at}: {msg}")
                });
            }
        }
    }
    out
}

/// Keywords `walk` does not check; `jsonschema` reports failures of these
/// (anything under a combinator counts as the combinator's failure).
const UNWALKED: &[&str] = &[
    "uniqueItems",
    "multipleOf",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minProperties",
    "maxProperties",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
];

/// The failing keyword: the outermost combinator on the error's schema path,
/// else the keyword itself.
fn keyword_of(e: &jsonschema::ValidationError<'_>) -> &'static str {
    let path = e.schema_path().as_str();
    for seg in path.split('/') {
        if let Some(k) = ["anyOf", "oneOf", "allOf", "not"]
            .into_iter()
            .find(|k| *k == seg)
        {
            return k;
        }
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    // Draft 4 reports an exclusive bound under `minimum`/`maximum`.
    let kw = e.kind().keyword();
    UNWALKED
        .iter()
        .copied()
        .find(|k| *k == kw || *k == last)
        .unwrap_or("")
}

/// A JSON pointer into `v` written the way `walk` names places (`a.b[0]`).
fn dotted(v: &Value, pointer: &str) -> String {
    let mut at = String::new();
    let mut cur = Some(v);
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(a)) => {
                at.push_str(&format!("[{seg}]"));
                cur = seg.parse::<usize>().ok().and_then(|i| a.get(i));
            }
            other => {
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(&seg);
                cur = other.and_then(|o| o.get(&seg));
            }
        }
    }
    at
}

/// A draft-4 validator for a parameter schema.
fn draft4(schema: &Value) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    jsonschema::draft4::options()
        .should_validate_formats(false)
        .build(&to_draft4(schema))
        .map_err(|e| e.to_owned())
}

/// The schema in draft-4 terms: Kubernetes extensions become types, and
/// annotations (and `format`, which Kubernetes reads its own way) are dropped.
fn to_draft4(schema: &Value) -> Value {
    let Some(m) = schema.as_object() else {
        return schema.clone();
    };
    let flag = |k: &str| m.get(k).and_then(Value::as_bool) == Some(true);
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        let v = match k.as_str() {
            "nullable" | "example" | "default" | "description" | "title" | "format" => continue,
            _ if k.starts_with("x-kubernetes-") => continue,
            "required" if v.as_array().is_some_and(Vec::is_empty) => continue,
            "items" | "not" => to_draft4(v),
            "additionalProperties" if v.is_object() => to_draft4(v),
            "properties" => match v.as_object() {
                Some(p) => {
                    Value::Object(p.iter().map(|(k, s)| (k.clone(), to_draft4(s))).collect())
                }
                None => v.clone(),
            },
            "anyOf" | "oneOf" | "allOf" => match v.as_array() {
                Some(a) => Value::Array(a.iter().map(to_draft4).collect()),
                None => v.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    if flag("x-kubernetes-int-or-string") {
        out.insert("type".into(), serde_json::json!(["integer", "string"]));
    }
    if flag("nullable") {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                out.insert("type".into(), serde_json::json!([t, "null"]));
            }
            Some(Value::Array(ts)) => ts.push(Value::String("null".into())),
            _ => {}
        }
        if let Some(Value::Array(e)) = out.get_mut("enum") {
            if !e.contains(&Value::Null) {
                e.push(Value::Null);
            }
        }
    }
    Value::Object(out)
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

    /// Problems `check_schema` finds with `schema` whose `default` is `d`.
    fn default_problems(schema: Value, d: Value) -> Vec<(String, String)> {
        let mut s = schema;
        s["default"] = d;
        let mut out = vec![];
        check_schema(&s, "", &mut out);
        out
    }

    /// A wrong default is reported at `default` naming `keyword`; a right one passes.
    fn keyword_checked(keyword: &str, schema: Value, wrong: Value, right: Value) {
        let out = default_problems(schema.clone(), wrong.clone());
        assert_eq!(out.len(), 1, "{keyword} {wrong}: {out:?}");
        assert_eq!(out[0].0, "default");
        assert!(
            out[0].1.contains(&format!("({keyword})")),
            "{keyword}: {}",
            out[0].1
        );
        assert_eq!(default_problems(schema, right), vec![], "{keyword}");
    }

    #[test]
    fn unique_items() {
        keyword_checked(
            "uniqueItems",
            json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true}),
            json!(["a", "a"]),
            json!(["a", "b"]),
        );
    }

    #[test]
    fn multiple_of() {
        keyword_checked(
            "multipleOf",
            json!({"type": "integer", "multipleOf": 5}),
            json!(12),
            json!(15),
        );
    }

    #[test]
    fn exclusive_minimum() {
        keyword_checked(
            "exclusiveMinimum",
            json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true}),
            json!(1),
            json!(2),
        );
        keyword_checked(
            "exclusiveMaximum",
            json!({"type": "number", "maximum": 1.5, "exclusiveMaximum": true}),
            json!(1.5),
            json!(1),
        );
    }

    #[test]
    fn any_of() {
        keyword_checked(
            "anyOf",
            json!({"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]}),
            json!("abc"),
            json!("ab"),
        );
        keyword_checked(
            "oneOf",
            json!({"type": "integer", "oneOf": [{"minimum": 0}, {"maximum": 10}]}),
            json!(5),
            json!(11),
        );
    }

    #[test]
    fn max_properties() {
        keyword_checked(
            "maxProperties",
            json!({"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 1}),
            json!({"a": "x", "b": "y"}),
            json!({"a": "x"}),
        );
        keyword_checked(
            "minProperties",
            json!({"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1}),
            json!({}),
            json!({"a": "x"}),
        );
    }

    #[test]
    fn nested_places_and_kubernetes_rules_still_hold() {
        let s = json!({"type": "object", "properties": {
            "ports": {"type": "array", "items": {"type": "integer", "multipleOf": 2}},
            "size": {"type": "string", "nullable": true},
            "n": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}}});
        assert_eq!(
            validate(&s, &json!({"ports": [2, 3]})),
            vec!["ports[1]: 3 is not a multiple of 2 (multipleOf)".to_string()]
        );
        assert!(validate(&s, &json!({"size": null, "n": "1", "ports": []})).is_empty());
        assert_eq!(
            validate(&s, &json!({"other": 1})),
            vec!["unknown property `other` (not declared in the schema)".to_string()]
        );
    }

    #[test]
    fn exclusive_bounds_must_be_booleans() {
        let out = default_problems(json!({"type": "integer", "exclusiveMinimum": 3}), json!(4));
        assert!(
            out.iter()
                .any(|(p, m)| p == "exclusiveMinimum" && m.contains("true or false")),
            "{out:?}"
        );
    }
}

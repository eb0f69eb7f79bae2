//! A small, deterministic YAML writer for JSON values.
//!
//! Keys keep their insertion order; multi-line strings become literal blocks
//! (so Rego stays readable); strings a YAML 1.1 or 1.2 reader could take for
//! something else (`yes`, `no`, `on`, `1.0`, `null`, …) are double-quoted, so
//! gator (yaml.v3), serde_yaml, kubectl and PyYAML all read the same values.

use serde_json::Value;

/// Serialises one value as a YAML document (no leading `---`), ending in a newline.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        _ => {
            out.push_str(&scalar(v, 0));
            out.push('\n');
        }
    }
    out
}

/// Several documents separated by `---` lines.
pub fn to_yaml_docs(vs: &[Value]) -> String {
    let mut out = String::new();
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(v));
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push(' ');
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            pad(out, indent);
        }
        first = false;
        out.push_str(&key(k));
        out.push(':');
        write_child(out, v, indent);
    }
}

/// Writes the value of a map entry: inline scalar, or nested block on the next lines.
fn write_child(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_map(out, m, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            // Sequences under a key are not indented further (kubectl style).
            out.push('\n');
            pad(out, indent);
            write_seq(out, a, indent);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v, indent + 2));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, a: &[Value], indent: usize) {
    let mut first = true;
    for v in a {
        if !first {
            pad(out, indent);
        }
        first = false;
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => write_map(out, m, indent + 2),
            Value::Array(inner) if !inner.is_empty() => write_seq(out, inner, indent + 2),
            _ => {
                out.push_str(&scalar(v, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn key(k: &str) -> String {
    if is_plain_safe(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A scalar (or empty collection) as YAML text; `indent` is the block indent of
/// literal-block content.
fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        Value::String(s) => string(s, indent),
    }
}

fn string(s: &str, indent: usize) -> String {
    if s.contains('\n') && literal_ok(s) {
        return literal(s, indent);
    }
    if is_plain_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// Whether a literal block can carry `s` exactly.
fn literal_ok(s: &str) -> bool {
    // Control characters other than tab/newline cannot appear in a block; a
    // string of only newlines or with leading blank lines then spaces is odd
    // enough to quote instead.
    !s.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
        && !s.trim_end_matches('\n').is_empty()
        && !s.starts_with('\n')
        // Lines that start with a space before the first non-space line need an
        // indentation indicator; we add one, but a first line of only spaces
        // confuses some readers.
        && !s.lines().next().is_some_and(|l| l.trim().is_empty())
}

fn literal(s: &str, indent: usize) -> String {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let body = &s[..s.len() - trailing];
    let indicator = if body.starts_with(' ') { "2" } else { "" };
    let mut out = format!("|{indicator}{chomp}\n");
    let ind = " ".repeat(indent);
    let lines: Vec<&str> = body.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if !line.is_empty() {
            out.push_str(&ind);
            out.push_str(line);
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
    // Keep-chomping: the extra newlines are part of the value.
    if trailing > 1 {
        for _ in 1..trailing {
            out.push('\n');
        }
    }
    // The caller adds the final newline.
    out
}

/// Double-quoted scalar: JSON string syntax is valid YAML double-quoted syntax.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// Whether `s` can be written as a plain scalar and read back as the same string
/// by YAML 1.1 and 1.2 readers.
fn is_plain_safe(s: &str) -> bool {
    if s.trim() != s {
        return false;
    }
    let Some(first) = s.chars().next() else {
        return false; // the empty string is written quoted
    };
    if !(first.is_ascii_alphanumeric()
        || first == '/'
        || first == '.'
        || first == '_'
        || first == '$')
    {
        return false;
    }
    if !s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '-' | '_' | '.' | '/' | ':' | '$' | '(' | ')' | '+' | '=' | '@' | ','
            )
    }) {
        return false;
    }
    if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    const SPECIAL: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".nan", ".inf", "-.inf",
        "+.inf",
    ];
    if SPECIAL.contains(&lower.as_str()) {
        return false;
    }
    // Anything that looks numeric (ints, floats, octal, hex, sexagesimal, dates) is quoted.
    if first.is_ascii_digit() || first == '.' || first == '+' || first == '-' {
        let numeric_like = s.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(
                    c,
                    '.' | '_'
                        | ':'
                        | '-'
                        | '+'
                        | 'x'
                        | 'o'
                        | 'X'
                        | 'O'
                        | 'T'
                        | 't'
                        | 'Z'
                        | 'z'
                        | ' '
                )
        });
        if numeric_like {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: &Value) {
        let y = to_yaml(v);
        let back: Value = serde_yaml::from_str(&y).unwrap_or_else(|e| panic!("{e}\n{y}"));
        assert_eq!(&back, v, "\n{y}");
    }

    #[test]
    fn round_trips() {
        roundtrip(
            &json!({"a": "yes", "b": "no", "c": "1.0", "d": "", "e": "x: y", "f": [1, "2", {"g": null}]}),
        );
        roundtrip(
            &json!({"rego": "package x\n\nviolation[{\"msg\": msg}] {\n  msg := \"a\"\n}\n"}),
        );
        roundtrip(&json!({"r": "  indented\nline\n"}));
        roundtrip(&json!({"r": "no newline\nat end"}));
        roundtrip(&json!({"r": "two\n\n"}));
        roundtrip(&json!({"list": [[1, 2], [], {}], "k": {"x": []}}));
        roundtrip(
            &json!({"annotations": {"metadata.gatekeeper.sh/title": "A: title", "policybook/control-id": "K8S-01"}}),
        );
        roundtrip(&json!([{"a": 1, "b": [{"c": "d"}]}, "e"]));
        roundtrip(
            &json!({"tab": "a\tb\nc", "dates": "2024-01-01", "hex": "0x1F", "oct": "0o17", "e": "1e3", "star": "*.azurecr.io"}),
        );
    }

    #[test]
    fn quotes_yaml11_booleans() {
        assert_eq!(
            to_yaml(&json!({"violations": "yes"})),
            "violations: \"yes\"\n"
        );
        assert_eq!(
            to_yaml(&json!({"k": "mcr.microsoft.com"})),
            "k: mcr.microsoft.com\n"
        );
    }
}

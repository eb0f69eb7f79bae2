//! Reading the inputs of `check`: the objects of one file, whatever its shape
//! (an ARM resource, an array, a template, `az … list` output, multi-document
//! Kubernetes YAML, `List` kinds), each labelled `file#index`.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::error::CheckError;
use super::list_items::parse_list_items;
use super::stream::{stream_json, StreamError};
use crate::text::ReadError;

/// An object read from an input file.
pub struct InputObject {
    pub source: String,
    pub value: Value,
}

/// Objects of one file: ARM JSON as a resource, an array, a template's
/// `resources` (child resources flattened with their full type), `{value: […]}`
/// list output; or multi-document Kubernetes YAML with `List` kinds expanded.
/// Sources are `file#index`, or `file` alone when the file holds one object.
pub fn read_inputs(path: &Path) -> Result<Vec<InputObject>, CheckError> {
    let mut out = Vec::new();
    let count = for_each_input(path, &mut |o| {
        out.push(o);
        Ok(())
    })?;
    if count == 1 {
        out[0].source = path.display().to_string();
    }
    Ok(out)
}

/// Hands every object of one file to `sink` in order, labelled `file#index`,
/// and returns how many there were. A top-level JSON array is read element by
/// element, so the file is never held whole; other JSON and YAML files are.
pub(super) fn for_each_input(
    path: &Path,
    sink: &mut dyn FnMut(InputObject) -> Result<(), CheckError>,
) -> Result<usize, CheckError> {
    let name = path.display().to_string();
    let mut index = 0usize;
    let mut emit = |v: Value| -> Result<(), CheckError> {
        let mut values = Vec::new();
        flatten(v, None, &mut values);
        for value in values {
            sink(InputObject {
                source: format!("{name}#{index}"),
                value,
            })?;
            index += 1;
        }
        Ok(())
    };
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    if is_yaml {
        let text = crate::text::read_text(path).map_err(|error| CheckError::Read {
            file: name.clone(),
            error,
        })?;
        if let Some(items) = parse_list_items(&text) {
            for v in items {
                emit(v)?;
            }
            return Ok(index);
        }
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc).map_err(|error| CheckError::Yaml {
                file: name.clone(),
                error,
            })?;
            if !v.is_null() {
                emit(v)?;
            }
        }
    } else {
        let unreadable = |e: std::io::Error| CheckError::Read {
            file: name.clone(),
            error: ReadError::Io(e),
        };
        let file = std::fs::File::open(path).map_err(unreadable)?;
        stream_json(std::io::BufReader::with_capacity(1 << 16, file), &mut emit).map_err(|e| {
            match e {
                StreamError::Sink(e) => e,
                StreamError::Io(e) => unreadable(e),
                StreamError::Json(error) => CheckError::Json {
                    file: name.clone(),
                    error,
                },
            }
        })?;
    }
    Ok(index)
}

fn flatten(v: Value, parent_type: Option<&str>, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, parent_type, out)),
        Value::Object(mut m) => {
            let is_template = m
                .get("$schema")
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("DeploymentTemplate"))
                || (m.contains_key("resources") && m.contains_key("contentVersion"));
            if is_template {
                if let Some(r) = m.remove("resources") {
                    flatten(r, None, out);
                }
                return;
            }
            // `az rest` / REST list output: {"value": [...], "nextLink"?}
            if m.len() <= 2
                && m.get("value").is_some_and(Value::is_array)
                && !m.contains_key("type")
            {
                flatten(m.remove("value").expect("checked"), None, out);
                return;
            }
            // Kubernetes `List` kinds.
            if m.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k == "List" || k.ends_with("List"))
                && m.get("items").is_some_and(Value::is_array)
            {
                flatten(m.remove("items").expect("checked"), None, out);
                return;
            }
            // A child resource inside a template resource: its type is relative.
            if let (Some(p), Some(Value::String(t))) = (parent_type, m.get("type")) {
                if !t.contains('/') || !t.to_ascii_lowercase().starts_with("microsoft.") {
                    let full = format!("{p}/{t}");
                    m.insert("type".into(), Value::String(full));
                }
            }
            let children = m.remove("resources");
            let own_type = m.get("type").and_then(Value::as_str).map(String::from);
            out.push(Value::Object(m));
            if let (Some(c), Some(t)) = (children, own_type) {
                flatten(c, Some(&t), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(text: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for doc in serde_yaml::Deserializer::from_str(text) {
            flatten(Value::deserialize(doc).unwrap(), None, &mut out);
        }
        out
    }

    #[test]
    fn list_items_in_chunks_are_the_items_of_the_whole_document() {
        let mut text = String::from("apiVersion: v1\n# a dump\nitems:\n");
        for i in 0..700 {
            text.push_str(&format!(
                "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c{i}\n  data:\n    script: |\n      - not an item {i}\n      items:\n    quoted: \"a\n      - b\"\n    list:\n    - x\n    - {{a: [1, 2]}}\n# between\n\n"
            ));
        }
        text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        let fast = parse_list_items(&text).expect("a plain dump");
        let mut flat = Vec::new();
        for v in fast {
            flatten(v, None, &mut flat);
        }
        assert_eq!(flat.len(), 700);
        assert_eq!(flat, whole(&text));
        let crlf = text.replace('\n', "\r\n");
        let fast = parse_list_items(&crlf).expect("CRLF too");
        assert_eq!(fast, whole(&crlf));
        // Anything unusual is left to the whole-document parse.
        assert!(parse_list_items(&format!("---\n{text}")).is_none());
        assert!(parse_list_items(&text.replacen("name: c5", "name: &a c5", 1)).is_none());
        assert!(parse_list_items(&text.replace("kind: List", "kind: Pod")).is_none());
        // A quoted scalar continued on a column-0 `- ` line where a chunk would
        // start (item 255's is the 257th such line): the cut chunk does not parse.
        let at = text.find("name: c255\n").unwrap();
        let cut = format!(
            "{}{}",
            &text[..at],
            text[at..].replacen("quoted: \"a\n      - b\"", "quoted: \"a\n- b\"", 1)
        );
        assert_ne!(cut, text);
        assert!(parse_list_items(&cut).is_none());
        assert_eq!(whole(&cut).len(), 700, "the whole document still parses");
        assert!(parse_list_items("items:\n  - a: 1\nkind: List\n").is_none());
    }
}

//! Where each checked object starts in its input file (1-based line and
//! column, in characters), for the SARIF and GitHub reports.
//!
//! The check itself parses with serde, which keeps no places. This second,
//! position-aware read keeps only the keys that decide how a file is split
//! into objects (`resources`, `value`, `items`, `type`, …) and walks them in
//! the same order as `flatten`, so the n-th place is that of the n-th object.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// 1-based line and column.
pub(super) type Pos = (usize, usize);

/// The keys `flatten` looks at; everything else is skipped, not kept.
const KEPT: &[&str] = &[
    "$schema",
    "contentVersion",
    "resources",
    "value",
    "type",
    "kind",
    "items",
];

#[derive(Debug, Clone)]
enum Val {
    /// Number of distinct keys, and the kept entries.
    Map(usize, Vec<(String, Node)>),
    Seq(Vec<Node>),
    Str(String),
    Other,
}

#[derive(Debug, Clone)]
struct Node {
    pos: Pos,
    val: Val,
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match &self.val {
            Val::Map(_, e) => e.iter().rev().find(|(k, _)| k == key).map(|(_, n)| n),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match &self.val {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    fn is_seq(&self) -> bool {
        matches!(self.val, Val::Seq(_))
    }
}

/// The places of the objects of one input file, in the order `check` reads
/// them; `None` when the file cannot be read or parsed (the check reports that).
pub(super) fn positions(path: &std::path::Path) -> Option<Vec<Pos>> {
    let text = crate::text::read_text(path).ok()?;
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let docs = if is_yaml {
        yaml_docs(&text)?
    } else {
        vec![Json::new(&text).document()?]
    };
    let mut out = Vec::new();
    for d in &docs {
        flatten(d, &mut out);
    }
    Some(out)
}

/// Mirrors `check::flatten`: templates, list outputs and `List` kinds are
/// opened, child resources follow their parent.
fn flatten(n: &Node, out: &mut Vec<Pos>) {
    match &n.val {
        Val::Seq(items) => items.iter().for_each(|i| flatten(i, out)),
        Val::Map(len, _) => {
            let is_template = n
                .get("$schema")
                .and_then(Node::str)
                .is_some_and(|s| s.contains("DeploymentTemplate"))
                || (n.get("resources").is_some() && n.get("contentVersion").is_some());
            if is_template {
                if let Some(r) = n.get("resources") {
                    flatten(r, out);
                }
                return;
            }
            if *len <= 2 && n.get("value").is_some_and(Node::is_seq) && n.get("type").is_none() {
                flatten(n.get("value").expect("checked"), out);
                return;
            }
            if n.get("kind")
                .and_then(Node::str)
                .is_some_and(|k| k.ends_with("List"))
                && n.get("items").is_some_and(Node::is_seq)
            {
                flatten(n.get("items").expect("checked"), out);
                return;
            }
            out.push(n.pos);
            if let (Some(c), Some(_)) = (n.get("resources"), n.get("type").and_then(Node::str)) {
                flatten(c, out);
            }
        }
        _ => {}
    }
}

// ---- YAML: yaml-rust2's marked events -------------------------------------

fn yaml_docs(text: &str) -> Option<Vec<Node>> {
    let mut b = YamlBuilder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, true).ok()?;
    Some(b.docs)
}

enum Frame {
    Map {
        pos: Pos,
        keys: std::collections::BTreeSet<String>,
        kept: Vec<(String, Node)>,
        key: Option<String>,
        anchor: usize,
    },
    Seq {
        pos: Pos,
        items: Vec<Node>,
        anchor: usize,
    },
}

#[derive(Default)]
struct YamlBuilder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    anchors: std::collections::HashMap<usize, Node>,
}

fn ypos(m: &Marker) -> Pos {
    // yaml-rust2 columns are 0-based (as in `spans`).
    (m.line(), m.col() + 1)
}

/// A plain scalar that YAML reads as null, a boolean or a number is not a string.
fn plain_is_string(s: &str) -> bool {
    !(matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || s.parse::<f64>().is_ok()
        || s.parse::<i64>().is_ok())
}

impl YamlBuilder {
    /// A finished node: a key, a value of the open map or sequence, or a document.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                pos,
                keys,
                kept,
                key,
                ..
            }) => match key.take() {
                None => {
                    // A block mapping's start event is marked after its first
                    // key; the mapping starts where that key does.
                    *pos = (*pos).min(node.pos);
                    let k = match node.val {
                        Val::Str(s) => s,
                        _ => String::from("\u{0}"),
                    };
                    *key = Some(k);
                }
                Some(k) => {
                    keys.insert(k.clone());
                    if KEPT.contains(&k.as_str()) {
                        kept.push((k, node));
                    }
                }
            },
        }
    }

    /// Whether the node starting now is a mapping key or the value of a kept key
    /// (or a sequence item, or a document): only those are kept whole.
    fn keeps_next(&self) -> bool {
        match self.stack.last() {
            Some(Frame::Map { key: Some(k), .. }) => KEPT.contains(&k.as_str()),
            _ => true,
        }
    }
}

impl MarkedEventReceiver for YamlBuilder {
    fn on_event(&mut self, ev: Event, m: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let is_str = style != TScalarStyle::Plain || plain_is_string(&text);
                let val = if is_str && self.keeps_next() {
                    Val::Str(text)
                } else {
                    Val::Other
                };
                self.finish(Node { pos: ypos(&m), val }, anchor);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node {
                    pos: ypos(&m),
                    val: Val::Other,
                });
                self.finish(node, 0);
            }
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                pos: ypos(&m),
                keys: Default::default(),
                kept: Vec::new(),
                key: None,
                anchor,
            }),
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                pos: ypos(&m),
                items: Vec::new(),
                anchor,
            }),
            Event::MappingEnd | Event::SequenceEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Map {
                        pos,
                        keys,
                        kept,
                        anchor,
                        ..
                    }) => (
                        Node {
                            pos,
                            val: Val::Map(keys.len(), kept),
                        },
                        anchor,
                    ),
                    Some(Frame::Seq { pos, items, anchor }) => (
                        Node {
                            pos,
                            val: Val::Seq(items),
                        },
                        anchor,
                    ),
                    None => return,
                };
                self.finish(node, anchor);
            }
            _ => {}
        }
    }
}

// ---- JSON: a small scanner that counts lines and characters ----------------

struct Json<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    /// Byte offset where the current line starts.
    line_start: usize,
}

/// Deeper nesting than serde_json accepts is not a valid input anyway.
const MAX_DEPTH: usize = 256;

impl<'a> Json<'a> {
    fn new(text: &'a str) -> Json<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Json {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn document(mut self) -> Option<Node> {
        self.value(0, true)
    }

    fn pos(&self) -> Pos {
        let text = std::str::from_utf8(&self.bytes[self.line_start..self.at]).unwrap_or("");
        (self.line, text.chars().count() + 1)
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    fn value(&mut self, depth: usize, keep: bool) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        let pos = self.pos();
        let val = match *self.bytes.get(self.at)? {
            b'{' => {
                self.at += 1;
                let mut keys = std::collections::BTreeSet::new();
                let mut kept: Vec<(String, Node)> = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let k = self.string()?;
                        self.skip_ws();
                        if self.bytes.get(self.at) != Some(&b':') {
                            return None;
                        }
                        self.at += 1;
                        let kept_key = keep && KEPT.contains(&k.as_str());
                        let v = self.value(depth + 1, kept_key)?;
                        if kept_key {
                            kept.retain(|(kk, _)| *kk != k);
                            kept.push((k.clone(), v));
                        }
                        keys.insert(k);
                        self.skip_ws();
                        match self.bytes.get(self.at)? {
                            b',' => self.at += 1,
                            b'}' => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Val::Map(keys.len(), kept)
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                } else {
                    loop {
                        let v = self.value(depth + 1, keep)?;
                        if keep {
                            items.push(v);
                        }
                        self.skip_ws();
                        match self.bytes.get(self.at)? {
                            b',' => self.at += 1,
                            b']' => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Val::Seq(items)
            }
            b'"' => Val::Str(self.string()?),
            _ => {
                // A number, true, false or null: no newline inside.
                while self.bytes.get(self.at).is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                }) {
                    self.at += 1;
                }
                Val::Other
            }
        };
        Some(Node {
            pos,
            val: if keep { val } else { Val::Other },
        })
    }

    /// A JSON string at the cursor, unescaped.
    fn string(&mut self) -> Option<String> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        self.at += 1;
        let start = self.at;
        let mut escaped = false;
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
            escaped |= b == b'\\';
        }
        let raw = std::str::from_utf8(self.bytes.get(start..self.at)?).ok()?;
        self.at += 1;
        if escaped {
            serde_json::from_str(&format!("\"{raw}\"")).ok()
        } else {
            Some(raw.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Vec<Pos> {
        let mut out = Vec::new();
        flatten(&Json::new(text).document().unwrap(), &mut out);
        out
    }

    fn yaml(text: &str) -> Vec<Pos> {
        let mut out = Vec::new();
        for d in yaml_docs(text).unwrap() {
            flatten(&d, &mut out);
        }
        out
    }

    #[test]
    fn json_objects_of_a_template_with_child_resources() {
        let text = "{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"contentVersion\": \"1.0.0.0\",\n  \"resources\": [\n    {\"type\": \"Microsoft.KeyVault/vaults\", \"name\": \"kv\\\"é\",\n     \"resources\": [ {\"type\": \"secrets\", \"name\": \"s\"} ]},\n    {\"type\": \"Microsoft.ContainerRegistry/registries\"}\n  ]\n}\n";
        assert_eq!(json(text), [(5, 5), (6, 21), (7, 5)]);
        // A bare resource, a list output, an array with a byte order mark.
        assert_eq!(json("{\"type\": \"x\"}"), [(1, 1)]);
        assert_eq!(
            json("{\"value\": [\n {\"type\": \"a\"},\n  {\"type\": \"b\"}]}"),
            [(2, 2), (3, 3)]
        );
        assert_eq!(
            json("\u{feff}[1, {\"a\": [1]}, \"x\", {}]"),
            [(1, 5), (1, 22)]
        );
    }

    #[test]
    fn yaml_documents_and_lists() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n# a dump\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n-   kind: Secret\n    type: Opaque\n---\n";
        assert_eq!(yaml(text), [(1, 1), (9, 3), (11, 5)]);
        // `kind: 5` is not a string: not a List; a quoted `"PodList"` is.
        assert_eq!(yaml("kind: 5\nitems: [{a: 1}]\n"), [(1, 1)]);
        assert_eq!(yaml("kind: \"PodList\"\nitems: [{a: 1}]\n"), [(2, 9)]);
    }
}

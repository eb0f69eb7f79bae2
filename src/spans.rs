//! Line/column index of a YAML document: serde_yaml gives values without places,
//! so this walks yaml-rust2's marked events and records where every key and
//! value starts, addressed by a dotted path (`tests.2.resource`).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// 1-based line and column.
pub type Pos = (usize, usize);

#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl SpanIndex {
    /// Indexes the first document of `text`. A syntax error yields an empty index
    /// (serde_yaml reports the error itself, with its place).
    pub fn build(text: &str) -> SpanIndex {
        let mut recv = Recv::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut recv, false);
        recv.index
    }

    /// Where the value at `path` starts.
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.values.get(path).copied()
    }

    /// Where the key of the entry at `path` starts (falls back to its value).
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.keys
            .get(path)
            .or_else(|| self.values.get(path))
            .copied()
    }

    /// The nearest known place of the value at `path`, walking up to its parents.
    pub fn nearest(&self, path: &str) -> Pos {
        self.nearest_by(path, |p| {
            self.value(p).or_else(|| self.keys.get(p).copied())
        })
    }

    /// The nearest known place of the key at `path` (for messages about the key itself).
    pub fn nearest_key(&self, path: &str) -> Pos {
        self.nearest_by(path, |p| self.key(p))
    }

    /// The first key named `name` at or below `prefix`, in document order.
    pub fn find_key(&self, prefix: &str, name: &str) -> Option<Pos> {
        self.keys
            .iter()
            .filter(|(p, _)| {
                p.starts_with(prefix) && (p.as_str() == name || p.ends_with(&format!(".{name}")))
            })
            .map(|(_, pos)| *pos)
            .min()
    }

    fn nearest_by(&self, path: &str, get: impl Fn(&str) -> Option<Pos>) -> Pos {
        let mut p = path;
        loop {
            if let Some(pos) = get(p) {
                return pos;
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return self.key("").unwrap_or((1, 1)),
            }
        }
    }
}

enum Frame {
    Map {
        path: String,
        pending_key: Option<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

#[derive(Default)]
struct Recv {
    stack: Vec<Frame>,
    index: SpanIndex,
    done: bool,
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

fn pos(m: &Marker) -> Pos {
    // yaml-rust2 columns are 0-based.
    (m.line(), m.col() + 1)
}

impl Recv {
    /// Path of the node that starts now, or None when it is a mapping key.
    fn next_value_path(&mut self, m: &Marker, key_text: Option<&str>) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, next }) => {
                let p = join(path, &next.to_string());
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { path, pending_key }) => match pending_key.take() {
                Some(k) => Some(join(path, &k)),
                None => {
                    // This node is a key; only scalar keys are addressable.
                    let k = key_text.unwrap_or("?").to_string();
                    let full = join(path, &k);
                    self.index.keys.entry(full).or_insert(pos(m));
                    if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                        *pending_key = Some(k);
                    }
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Recv {
    fn on_event(&mut self, ev: Event, m: Marker) {
        if self.done {
            return;
        }
        match ev {
            Event::DocumentEnd => self.done = true,
            Event::Scalar(text, ..) => {
                if let Some(p) = self.next_value_path(&m, Some(&text)) {
                    self.index.values.entry(p).or_insert(pos(&m));
                }
            }
            Event::Alias(_) => {
                if let Some(p) = self.next_value_path(&m, None) {
                    self.index.values.entry(p).or_insert(pos(&m));
                }
            }
            Event::MappingStart(..) => {
                let p = self.next_value_path(&m, None).unwrap_or_default();
                self.index.values.entry(p.clone()).or_insert(pos(&m));
                self.stack.push(Frame::Map {
                    path: p,
                    pending_key: None,
                });
            }
            Event::SequenceStart(..) => {
                let p = self.next_value_path(&m, None).unwrap_or_default();
                self.index.values.entry(p.clone()).or_insert(pos(&m));
                self.stack.push(Frame::Seq { path: p, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keys_and_values_by_path() {
        let text =
            "id: AKS-01\nazure:\n  effects: [Audit, Deny]\ntests:\n  - name: a\n    expect: none\n";
        let idx = SpanIndex::build(text);
        assert_eq!(idx.key("id"), Some((1, 1)));
        assert_eq!(idx.value("id"), Some((1, 5)));
        assert_eq!(idx.key("azure.effects"), Some((3, 3)));
        assert_eq!(idx.value("azure.effects.1"), Some((3, 20)));
        assert_eq!(idx.value("tests.0.name"), Some((5, 11)));
        assert_eq!(idx.key("tests.0.expect"), Some((6, 5)));
        assert_eq!(idx.nearest("tests.0.expect.violations"), (6, 13));
        assert_eq!(idx.nearest_key("tests.0.expect.violations"), (6, 5));
        assert_eq!(idx.find_key("tests", "expect"), Some((6, 5)));
    }
}

//! `policybook check`: evaluate real resources — ARM JSON in any of the shapes
//! people have at hand, or Kubernetes manifests — against the bundle.
//! Reports: human text and JSON here, SARIF and GitHub annotations in `report`.

mod position;
pub mod report;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::model::Bundle;
use crate::runner::azure_eval::{Evaluator, Runner, Verdict};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub control_id: String,
    pub title: String,
    /// Azure effect, or the constraint's enforcementAction for Kubernetes objects.
    pub effect: String,
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ResourceResult {
    /// `file` or `file#index` of the input object.
    pub source: String,
    /// ARM type, or Kubernetes `apiVersion/kind`.
    pub kind: String,
    pub name: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct CheckResult {
    /// Every resource checked, in input order, with its findings.
    pub resources: Vec<ResourceResult>,
}

impl CheckResult {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.resources.iter().flat_map(|r| &r.findings)
    }

    fn is_deny(f: &Finding) -> bool {
        f.effect.eq_ignore_ascii_case("deny")
    }

    pub fn human(&self) -> String {
        let mut s = String::new();
        for r in &self.resources {
            s.push_str(&format!("{}: {} {}\n", r.source, r.kind, r.name));
            if r.findings.is_empty() {
                s.push_str("  ok: no control fires\n");
            }
            for f in &r.findings {
                s.push_str(&format!(
                    "  {:<8} {:<8} {}\n",
                    f.control_id, f.effect, f.title
                ));
                for m in &f.messages {
                    s.push_str(&format!("           {m}\n"));
                }
            }
        }
        let n = self.findings().count();
        let deny = self.findings().filter(|f| Self::is_deny(f)).count();
        s.push_str(&format!(
            "\n{} resource(s) checked, {n} finding(s), {deny} deny\n",
            self.resources.len()
        ));
        s
    }

    pub fn json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out).expect("writing to memory");
        out.pop(); // the final newline
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// `json()` and a newline, written as it is serialised (no copy of a large report).
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        #[derive(serde::Serialize)]
        struct Summary {
            resources: usize,
            findings: usize,
            deny: usize,
        }
        #[derive(serde::Serialize)]
        struct Report<'a> {
            summary: Summary,
            resources: &'a [ResourceResult],
        }
        let report = Report {
            summary: Summary {
                resources: self.resources.len(),
                findings: self.findings().count(),
                deny: self.findings().filter(|f| Self::is_deny(f)).count(),
            },
            resources: &self.resources,
        };
        use std::io::Write;
        let mut out = std::io::BufWriter::new(out);
        serde_json::to_writer_pretty(&mut out, &report)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// Exit status: a Deny finding fails; with `strict`, any finding does.
    pub fn fails(&self, strict: bool) -> bool {
        self.findings().any(|f| strict || Self::is_deny(f))
    }
}

/// An object read from an input file.
pub struct InputObject {
    pub source: String,
    pub value: Value,
}

/// ARM resources evaluated together: large enough to keep every thread busy,
/// small enough that a big input is never held whole.
const ARM_CHUNK: usize = 2048;

/// Reads every file and checks every object in it. Errors name the file and place.
///
/// ARM resources are evaluated in chunks as they are read (a JSON array is
/// streamed element by element), so memory stays near one chunk plus the
/// results; Kubernetes objects are kept, since together they form the inventory.
pub fn check_files(bundle: &Bundle, files: &[PathBuf]) -> anyhow::Result<CheckResult> {
    let evaluator = Evaluator::new(bundle)?;
    let mut result = CheckResult::default();
    let mut kube: Vec<(String, Value)> = Vec::new();
    for f in files {
        let (first_arm, first_kube) = (result.resources.len(), kube.len());
        // One thread reads and parses while the others evaluate what it read.
        let count = std::thread::scope(|scope| -> anyhow::Result<usize> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<InputObject>>(2);
            let reader = scope.spawn(move || {
                let mut chunk = Vec::new();
                let count = for_each_input(f, &mut |obj| {
                    chunk.push(obj);
                    if chunk.len() == ARM_CHUNK {
                        // A closed channel means evaluation failed: stop reading.
                        tx.send(std::mem::take(&mut chunk))
                            .map_err(|_| anyhow::anyhow!("check stopped"))?;
                    }
                    Ok(())
                })?;
                let _ = tx.send(chunk);
                Ok(count)
            });
            for chunk in rx {
                let (k, arm): (Vec<_>, Vec<_>) = chunk
                    .into_iter()
                    .partition(|o| is_kubernetes_object(&o.value));
                kube.extend(k.into_iter().map(|o| (o.source, o.value)));
                result
                    .resources
                    .extend(check_arm_chunk(bundle, &evaluator, &arm)?);
            }
            reader.join().expect("the reader does not panic")
        })?;
        // A file holding one object is named without an index.
        if count == 1 {
            let name = f.display().to_string();
            match result.resources.get_mut(first_arm) {
                Some(r) => r.source = name,
                None => kube[first_kube].0 = name,
            }
        }
    }
    // All given manifests together form the inventory, as they would in a cluster.
    for ((_, v), found) in kube
        .iter()
        .zip(crate::gatekeeper::check_objects(bundle, &kube))
    {
        result.resources.push(ResourceResult {
            source: found.label,
            kind: format!(
                "{}/{}",
                v.get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                v.get("kind").and_then(Value::as_str).unwrap_or_default()
            ),
            name: kube_name(v),
            findings: found
                .findings
                .into_iter()
                .map(|f| Finding {
                    control_id: f.control_id,
                    title: f.title,
                    effect: f.enforcement_action,
                    messages: f.messages,
                })
                .collect(),
        });
    }
    Ok(result)
}

/// Checks ARM resources in parallel; results (and the first error) in input order.
fn check_arm_chunk(
    bundle: &Bundle,
    evaluator: &Evaluator,
    chunk: &[InputObject],
) -> anyhow::Result<Vec<ResourceResult>> {
    use rayon::prelude::*;
    chunk
        .par_iter()
        .map_init(
            || evaluator.runner(),
            |runner, obj| check_arm(bundle, runner, obj),
        )
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

fn check_arm(
    bundle: &Bundle,
    runner: &mut Runner,
    obj: &InputObject,
) -> anyhow::Result<ResourceResult> {
    let v = &obj.value;
    let mut findings = Vec::new();
    let rules = bundle.rules.iter().filter(|r| r.azure.is_some());
    let verdicts = runner.verdicts(rules.clone().map(|r| r.id.as_str()), v);
    for (id, verdict) in verdicts {
        let verdict =
            verdict.map_err(|e| anyhow::anyhow!("{}: evaluating {id} failed: {e}", obj.source))?;
        if let Verdict::Effect(e) = verdict {
            if !e.eq_ignore_ascii_case("disabled") {
                let rule = rules
                    .clone()
                    .find(|r| r.id == id)
                    .expect("asked for this rule");
                findings.push(Finding {
                    control_id: rule.id.clone(),
                    title: rule.title.clone(),
                    effect: e,
                    messages: vec![],
                });
            }
        }
    }
    Ok(ResourceResult {
        source: obj.source.clone(),
        kind: v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("(no type)")
            .to_string(),
        name: v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        findings,
    })
}

fn kube_name(v: &Value) -> String {
    let m = &v["metadata"];
    match (
        m.get("namespace").and_then(Value::as_str),
        m.get("name").and_then(Value::as_str),
    ) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (None, Some(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn is_kubernetes_object(v: &Value) -> bool {
    let kind = v.get("kind").and_then(Value::as_str).is_some();
    // A Secret has a `type` of its own (`Opaque`); its `apiVersion` is not an
    // ARM date and it has `metadata`.
    let kube_api = v
        .get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|a| !a.starts_with(|c: char| c.is_ascii_digit()))
        && v.get("metadata").is_some_and(Value::is_object);
    kind && (kube_api || (v.get("type").is_none() && v.get("apiVersion").is_some()))
}

/// Objects of one file: ARM JSON as a resource, an array, a template's
/// `resources` (child resources flattened with their full type), `{value: […]}`
/// list output; or multi-document Kubernetes YAML with `List` kinds expanded.
/// Sources are `file#index`, or `file` alone when the file holds one object.
pub fn read_inputs(path: &Path) -> anyhow::Result<Vec<InputObject>> {
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
fn for_each_input(
    path: &Path,
    sink: &mut dyn FnMut(InputObject) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let name = path.display().to_string();
    let mut index = 0usize;
    let mut emit = |v: Value| -> anyhow::Result<()> {
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
        let text = crate::text::read_text(path)
            .map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
        if let Some(items) = parse_list_items(&text) {
            for v in items {
                emit(v)?;
            }
            return Ok(index);
        }
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc).map_err(|e| {
                let at = e
                    .location()
                    .map(|l| format!(":{}:{}", l.line(), l.column()))
                    .unwrap_or_default();
                anyhow::anyhow!("{name}{at}: invalid YAML: {e}")
            })?;
            if !v.is_null() {
                emit(v)?;
            }
        }
    } else {
        let file =
            std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
        stream_json(std::io::BufReader::with_capacity(1 << 16, file), &mut emit).map_err(
            |e| match e {
                StreamError::Sink(e) => e,
                StreamError::Io(e) => anyhow::anyhow!("{name}: cannot read: {e}"),
                StreamError::Json(e) => anyhow::anyhow!(
                    "{name}:{}:{}: invalid JSON: {e}; expected an ARM resource, an array, a template or `az … list` output",
                    e.line(),
                    e.column()
                ),
            },
        )?;
    }
    Ok(index)
}

/// Items of a cluster dump (`kubectl get … -o yaml`: one `List` document, its
/// `items:` a block of entries each starting with `- ` at column 0), parsed
/// in parallel chunks, each chunk a YAML sequence of its own. Column-0 `-`
/// lines can only start entries (deeper content is indented; a split inside
/// a quoted or flow scalar leaves a chunk that does not parse), so the values
/// are those of the whole document. `None` for anything else — several
/// documents, anchors or aliases, a chunk or the rest that does not parse —
/// and the caller parses the whole document, which also places any error.
fn parse_list_items(text: &str) -> Option<Vec<Value>> {
    use rayon::prelude::*;
    const ITEMS_PER_CHUNK: usize = 256;
    let anchors = regex::Regex::new(r"(^|[\s\[{,])[&*][^\s,\]}]").expect("valid regex");
    if anchors.is_match(text) {
        return None;
    }
    // (offset, line) of every line, without its end of line.
    let mut lines = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        lines.push((at, l.trim_end_matches(['\n', '\r'])));
        at += l.len();
    }
    let starts_entry = |l: &str| l == "-" || l.starts_with("- ");
    let mut items_line = None;
    for (i, (_, l)) in lines.iter().enumerate() {
        if l.starts_with("---") || l.starts_with("...") || l.starts_with('%') {
            return None;
        }
        if l.trim_end() == "items:" {
            if items_line.is_some() {
                return None;
            }
            items_line = Some(i);
        }
    }
    let first = items_line? + 1;
    if !lines.get(first).is_some_and(|(_, l)| starts_entry(l)) {
        return None;
    }
    let mut end = first;
    let mut entries = Vec::new();
    while let Some((off, l)) = lines.get(end) {
        if starts_entry(l) {
            entries.push(*off);
        } else if !(l.is_empty() || l.starts_with([' ', '#'])) {
            break;
        }
        end += 1;
    }
    let block_end = lines.get(end).map_or(text.len(), |(off, _)| *off);
    let mut bounds: Vec<usize> = entries.iter().step_by(ITEMS_PER_CHUNK).copied().collect();
    bounds.push(block_end);
    let chunks: Vec<&str> = bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    let shell = format!(
        "{}items: []\n{}",
        &text[..lines[first - 1].0],
        &text[block_end..]
    );
    // The rest must be a plain `List` that `flatten` expands by its items.
    let shell: Value = serde_yaml::from_str(&shell).ok()?;
    let kind = shell.get("kind").and_then(Value::as_str)?;
    if !kind.ends_with("List")
        || ["$schema", "resources", "value"]
            .iter()
            .any(|k| shell.get(k).is_some())
    {
        return None;
    }
    let parsed: Vec<Vec<Value>> = chunks
        .par_iter()
        .map(|c| serde_yaml::from_str::<Vec<Value>>(c).ok())
        .collect::<Option<_>>()?;
    Some(parsed.into_iter().flatten().collect())
}

enum StreamError {
    /// The sink refused an object (an evaluation failed).
    Sink(anyhow::Error),
    Io(std::io::Error),
    Json(serde_json::Error),
}

/// Parses one JSON document from `reader`, handing `sink` each element of a
/// top-level array as soon as it is parsed, or the whole document otherwise.
fn stream_json<R: std::io::BufRead>(
    mut reader: R,
    sink: &mut dyn FnMut(Value) -> anyhow::Result<()>,
) -> Result<(), StreamError> {
    use serde::de::DeserializeSeed;
    // A UTF-8 byte order mark is not JSON; editors on Windows write one.
    let bom = reader
        .fill_buf()
        .map_err(StreamError::Io)?
        .starts_with(b"\xEF\xBB\xBF");
    if bom {
        reader.consume(3);
    }
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut failed = None;
    let seed = TopLevel {
        sink,
        failed: &mut failed,
    };
    let parsed = seed.deserialize(&mut de).and_then(|()| de.end());
    match (failed, parsed) {
        (Some(e), _) => Err(StreamError::Sink(e)),
        (None, Err(e)) if e.is_io() => Err(StreamError::Io(e.into())),
        (None, Err(e)) => Err(StreamError::Json(e)),
        (None, Ok(())) => Ok(()),
    }
}

/// The top-level JSON value: array elements go to the sink one at a time.
struct TopLevel<'s, 'f> {
    sink: &'s mut dyn FnMut(Value) -> anyhow::Result<()>,
    /// The sink's error; the parse is stopped with a placeholder error.
    failed: &'f mut Option<anyhow::Error>,
}

impl TopLevel<'_, '_> {
    fn send<E: serde::de::Error>(&mut self, v: Value) -> Result<(), E> {
        (self.sink)(v).map_err(|e| {
            *self.failed = Some(e);
            E::custom("stopped")
        })
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.send(v)?;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.send(v)
    }

    // Scalars hold no resource (as before streaming: nothing to check).
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
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

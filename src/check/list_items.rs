//! Cluster dumps (`kubectl get … -o yaml`) parsed in parallel: the items of
//! one `List` document in chunks, when that is sure to give the same values.

use serde_json::Value;

/// Items of a cluster dump (`kubectl get … -o yaml`: one `List` document, its
/// `items:` a block of entries each starting with `- ` at column 0), parsed
/// in parallel chunks, each chunk a YAML sequence of its own. Column-0 `-`
/// lines can only start entries (deeper content is indented; a split inside
/// a quoted or flow scalar leaves a chunk that does not parse), so the values
/// are those of the whole document. `None` for anything else — several
/// documents, anchors or aliases, a chunk or the rest that does not parse —
/// and the caller parses the whole document, which also places any error.
pub(super) fn parse_list_items(text: &str) -> Option<Vec<Value>> {
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

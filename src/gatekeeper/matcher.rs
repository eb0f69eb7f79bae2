//! A constraint's `spec.match`, decided in Rust the way Gatekeeper decides it
//! in Go (`pkg/mutation/match/match.go`) before any Rego runs.

use std::collections::HashMap;

use serde_json::Value;

use super::request::{group_kind, meta_str};

/// Why a `match` cannot be decided for an object (Gatekeeper's autoreject).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("namespaceSelector needs the Namespace `{0}`, which is not in the inventory")]
    NamespaceMissing(String),
    #[error("a matchExpressions entry has no key")]
    NoKey,
    #[error("unknown label selector operator `{0}`")]
    UnknownOperator(String),
}

/// Whether `pattern` (exact, `x*`, `*x` or `*x*`) matches `candidate`.
pub fn wildcard(pattern: &str, candidate: &str) -> bool {
    if pattern.len() >= 2 && pattern.starts_with('*') && pattern.ends_with('*') {
        candidate.contains(&pattern[1..pattern.len() - 1])
    } else if pattern == "*" {
        true
    } else if let Some(s) = pattern.strip_prefix('*') {
        candidate.ends_with(s)
    } else if let Some(p) = pattern.strip_suffix('*') {
        candidate.starts_with(p)
    } else {
        pattern == candidate
    }
}

/// The strings of a JSON array (other members skipped); empty when absent.
pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn is_namespace(obj: &Value) -> bool {
    let (g, k) = group_kind(obj);
    g.is_empty() && k == "Namespace"
}

/// The namespace the matcher uses: a Namespace object's own name, else metadata.namespace.
fn object_namespace(obj: &Value) -> String {
    if is_namespace(obj) {
        meta_str(obj, "name").to_string()
    } else {
        meta_str(obj, "namespace").to_string()
    }
}

/// Decides whether a constraint with `spec.match` = `m` sees `obj`.
/// `namespaces` are the Namespace objects known (for `namespaceSelector`).
/// An error is what Gatekeeper turns into an autoreject result.
pub fn matches(m: &Value, obj: &Value, namespaces: &[Value]) -> Result<bool, MatchError> {
    matches_by(m, obj, |ns| {
        namespaces
            .iter()
            .find(|n| is_namespace(n) && meta_str(n, "name") == ns)
    })
}

/// The Namespace objects of an inventory by name, for matching many objects
/// against one inventory without a search per object.
pub struct NamespaceIndex<'a>(HashMap<&'a str, &'a Value>);

impl<'a> NamespaceIndex<'a> {
    pub fn new(objects: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut map = HashMap::new();
        for o in objects.into_iter().filter(|o| is_namespace(o)) {
            // The first of a name wins, as the search in `matches` finds it.
            map.entry(meta_str(o, "name")).or_insert(o);
        }
        NamespaceIndex(map)
    }
}

/// `matches` with the Namespace objects looked up in an index.
pub fn matches_indexed(
    m: &Value,
    obj: &Value,
    namespaces: &NamespaceIndex,
) -> Result<bool, MatchError> {
    matches_by(m, obj, |ns| namespaces.0.get(ns).copied())
}

fn matches_by<'n>(
    m: &Value,
    obj: &Value,
    namespace: impl Fn(&str) -> Option<&'n Value>,
) -> Result<bool, MatchError> {
    let Some(m) = m.as_object() else {
        return Ok(true);
    };
    let (group, kind) = group_kind(obj);
    // kinds
    if let Some(kinds) = m.get("kinds").and_then(Value::as_array) {
        if !kinds.is_empty() {
            let hit = kinds.iter().any(|k| {
                let ks = strings(k.get("kinds"));
                let gs = strings(k.get("apiGroups"));
                (ks.is_empty() || ks.iter().any(|x| x == "*" || *x == kind))
                    && (gs.is_empty() || gs.iter().any(|x| x == "*" || *x == group))
            });
            if !hit {
                return Ok(false);
            }
        }
    }
    let ns = object_namespace(obj);
    let cluster_scoped = ns.is_empty();
    // scope: by metadata.namespace (a Namespace object is cluster-scoped)
    let has_ns = !meta_str(obj, "namespace").is_empty();
    match m.get("scope").and_then(Value::as_str).unwrap_or("*") {
        "Cluster" if has_ns => return Ok(false),
        "Namespaced" if !has_ns => return Ok(false),
        _ => {}
    }
    // namespaces / excludedNamespaces (cluster-scoped objects are not filtered)
    if !cluster_scoped {
        if let Some(list) = m.get("namespaces").and_then(Value::as_array) {
            if !list.is_empty()
                && !list
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|p| wildcard(p, &ns))
            {
                return Ok(false);
            }
        }
        if m.get("excludedNamespaces")
            .and_then(Value::as_array)
            .is_some_and(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .any(|p| wildcard(p, &ns))
            })
        {
            return Ok(false);
        }
    }
    // labelSelector
    if let Some(sel) = m.get("labelSelector").filter(|v| !v.is_null()) {
        let labels = obj
            .get("metadata")
            .and_then(|x| x.get("labels"))
            .cloned()
            .unwrap_or(Value::Null);
        if !label_selector(sel, &labels)? {
            return Ok(false);
        }
    }
    // namespaceSelector
    if let Some(sel) = m.get("namespaceSelector").filter(|v| !v.is_null()) {
        let labels = if is_namespace(obj) {
            Some(
                obj.get("metadata")
                    .and_then(|x| x.get("labels"))
                    .cloned()
                    .unwrap_or(Value::Null),
            )
        } else if cluster_scoped {
            None
        } else {
            match namespace(&ns) {
                Some(n) => Some(
                    n.get("metadata")
                        .and_then(|x| x.get("labels"))
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
                None => return Err(MatchError::NamespaceMissing(ns)),
            }
        };
        if let Some(labels) = labels {
            if !label_selector(sel, &labels)? {
                return Ok(false);
            }
        }
    }
    // name (incl. generateName with a trailing-wildcard pattern)
    if let Some(p) = m
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let name = meta_str(obj, "name");
        let generate = meta_str(obj, "generateName");
        let ok = if !name.is_empty() {
            wildcard(p, name)
        } else {
            !generate.is_empty() && p.ends_with('*') && generate.starts_with(&p[..p.len() - 1])
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A Kubernetes label selector (`matchLabels` AND `matchExpressions`).
pub fn label_selector(sel: &Value, labels: &Value) -> Result<bool, MatchError> {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            if label(k) != v.as_str() {
                return Ok(false);
            }
        }
    }
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e
            .get("key")
            .and_then(Value::as_str)
            .ok_or(MatchError::NoKey)?;
        let values = strings(e.get("values"));
        let op = e
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let ok = match op {
            "In" => label(key).is_some_and(|v| values.iter().any(|x| x == v)),
            "NotIn" => label(key).is_none_or(|v| !values.iter().any(|x| x == v)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            other => return Err(MatchError::UnknownOperator(other.to_string())),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards() {
        assert!(wildcard("kube-*", "kube-system"));
        assert!(wildcard("*-system", "kube-system"));
        assert!(wildcard("*be-sy*", "kube-system"));
        assert!(!wildcard("kube", "kube-system"));
        assert!(wildcard("*", "x"));
    }

    #[test]
    fn kinds_and_namespaces() {
        let m = json!({"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}], "excludedNamespaces": ["kube-system"]});
        let pod = |ns: &str| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns}});
        assert!(matches(&m, &pod("a"), &[]).unwrap());
        assert!(!matches(&m, &pod("kube-system"), &[]).unwrap());
        let dep = json!({"apiVersion": "apps/v1", "kind": "Pod", "metadata": {"name": "p"}});
        assert!(!matches(&m, &dep, &[]).unwrap());
        let sel = json!({"namespaceSelector": {"matchLabels": {"team": "a"}}});
        assert!(matches(&sel, &pod("x"), &[]).is_err());
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {"team": "a"}}});
        assert!(matches(&sel, &pod("x"), &[ns]).unwrap());
    }
}

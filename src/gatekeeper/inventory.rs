//! `data.inventory` as gator builds it from objects: cluster-scoped objects
//! under `cluster[apiVersion][kind][name]`, the others under
//! `namespace[ns][apiVersion][kind][name]`.

use serde_json::{Map, Value};

use super::request::meta_str;

/// `data.inventory` from objects: `cluster[gv][kind][name]` for cluster-scoped
/// objects, `namespace[ns][gv][kind][name]` otherwise; `{}` when empty.
pub fn inventory(objects: &[Value]) -> Value {
    let mut root = Map::new();
    for o in objects {
        let gv = o
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = meta_str(o, "name");
        let ns = meta_str(o, "namespace");
        let mut path: Vec<&str> = if ns.is_empty() {
            vec!["cluster"]
        } else {
            vec!["namespace", ns]
        };
        path.extend([gv, kind]);
        let mut cur = &mut root;
        for p in path {
            cur = cur
                .entry(p.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("inventory levels are objects");
        }
        cur.insert(name.to_string(), o.clone());
    }
    Value::Object(root)
}

/// `inventory` for regorus from objects already converted (`to_regorus`),
/// each shared rather than copied.
pub fn inventory_converted<'a>(
    objects: impl IntoIterator<Item = (&'a Value, &'a regorus::Value)>,
) -> regorus::Value {
    let mut root = regorus::Value::new_object();
    for (o, converted) in objects {
        let gv = o
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
        let ns = meta_str(o, "namespace");
        let mut path: Vec<&str> = if ns.is_empty() {
            vec!["cluster"]
        } else {
            vec!["namespace", ns]
        };
        path.extend([gv, kind, meta_str(o, "name")]);
        let last = path.pop().expect("a name");
        let mut cur = &mut root;
        for p in path {
            cur = cur
                .as_object_mut()
                .expect("inventory levels are objects")
                .get_or_insert_with(regorus::Value::from(p), regorus::Value::new_object);
        }
        cur.as_object_mut()
            .expect("inventory levels are objects")
            .insert(regorus::Value::from(last), converted.clone());
    }
    root
}

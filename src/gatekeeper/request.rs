//! The `input.review` document gator builds: from a plain object (an
//! `AdmissionRequest` with the object and the operation given) or from an
//! `admission.k8s.io` AdmissionReview case object (the request as written),
//! and the small readers of `apiVersion`, `kind` and `metadata` it needs.

use serde_json::{json, Map, Value};

use super::eval::to_regorus;

/// Why an AdmissionReview case object cannot be reviewed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("AdmissionReview has an unknown field `{0}`")]
    UnknownField(String),
    #[error("AdmissionReview has no `request`")]
    NoRequest,
    #[error("AdmissionReview request has an unknown field `{0}`")]
    UnknownRequestField(String),
    #[error("AdmissionReview request has neither `object` nor `oldObject`")]
    NoObject,
}

/// `group`, `version` of an `apiVersion` (`apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`)).
pub fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// `(group, kind)` of an object.
pub fn group_kind(obj: &Value) -> (String, String) {
    let (g, _) = split_api_version(
        obj.get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    (
        g,
        obj.get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    )
}

pub fn meta_str<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The `input.review` gator builds for a plain object (an `AdmissionRequest`
/// as JSON; `name`/`namespace` omitted when empty, `oldObject`/`options` null).
pub fn review_for_object(obj: &Value, operation: &str) -> Value {
    let (group, version) = split_api_version(
        obj.get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut r = Map::new();
    r.insert("uid".into(), json!(""));
    r.insert(
        "kind".into(),
        json!({"group": group, "version": version, "kind": kind}),
    );
    r.insert(
        "resource".into(),
        json!({"group": "", "version": "", "resource": ""}),
    );
    let name = meta_str(obj, "name");
    if !name.is_empty() {
        r.insert("name".into(), json!(name));
    }
    let ns = meta_str(obj, "namespace");
    if !ns.is_empty() {
        r.insert("namespace".into(), json!(ns));
    }
    r.insert("operation".into(), json!(operation));
    r.insert("userInfo".into(), json!({}));
    r.insert("object".into(), obj.clone());
    r.insert("oldObject".into(), Value::Null);
    r.insert("options".into(), Value::Null);
    r.insert("namespaceObject".into(), Value::Null);
    Value::Object(r)
}

/// `review_for_object` as regorus reads it, for an object already converted
/// (`to_regorus`): the converted object is shared, not copied again.
pub fn review_converted(
    obj: &Value,
    converted: &regorus::Value,
    operation: &str,
) -> regorus::Value {
    // The review of a stand-in holding just what the review reads, then the object.
    let stand_in = json!({
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {"name": meta_str(obj, "name"), "namespace": meta_str(obj, "namespace")},
    });
    let mut review = to_regorus(&review_for_object(&stand_in, operation));
    if let Ok(m) = review.as_object_mut() {
        m.insert(regorus::Value::from("object"), converted.clone());
    }
    review
}

/// What a case reviews: the review document plus the object(s) `match` looks at.
#[derive(Debug, Clone)]
pub struct Review {
    pub review: Value,
    /// `object` and/or `oldObject` (an AdmissionReview matches when either matches).
    pub match_objects: Vec<Value>,
}

impl Review {
    pub fn of_object(obj: &Value, operation: &str) -> Review {
        Review {
            review: review_for_object(obj, operation),
            match_objects: vec![obj.clone()],
        }
    }
}

const ADMISSION_REQUEST_KEYS: &[&str] = &[
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
];

/// Whether a case object is an `admission.k8s.io` AdmissionReview.
pub fn is_admission_review(obj: &Value) -> bool {
    let (g, k) = group_kind(obj);
    g == "admission.k8s.io" && k == "AdmissionReview"
}

/// The review gator builds from an AdmissionReview case object: the request as
/// given (`operation`, `userInfo`, `oldObject` come through; `kind` as written).
pub fn review_for_admission(obj: &Value) -> Result<Review, RequestError> {
    for k in obj.as_object().into_iter().flat_map(|m| m.keys()) {
        if !["apiVersion", "kind", "request", "response"].contains(&k.as_str()) {
            return Err(RequestError::UnknownField(k.clone()));
        }
    }
    let Some(req) = obj.get("request").and_then(Value::as_object) else {
        return Err(RequestError::NoRequest);
    };
    for k in req.keys() {
        if !ADMISSION_REQUEST_KEYS.contains(&k.as_str()) {
            return Err(RequestError::UnknownRequestField(k.clone()));
        }
    }
    let object = req.get("object").filter(|v| !v.is_null()).cloned();
    let old = req.get("oldObject").filter(|v| !v.is_null()).cloned();
    if object.is_none() && old.is_none() {
        return Err(RequestError::NoObject);
    }
    let operation = req
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = req.get("kind").cloned().unwrap_or_else(|| json!({}));
    let kind = json!({
        "group": kind.get("group").and_then(Value::as_str).unwrap_or_default(),
        "version": kind.get("version").and_then(Value::as_str).unwrap_or_default(),
        "kind": kind.get("kind").and_then(Value::as_str).unwrap_or_default(),
    });
    let resource = req.get("resource").cloned().unwrap_or_else(|| json!({}));
    let resource = json!({
        "group": resource.get("group").and_then(Value::as_str).unwrap_or_default(),
        "version": resource.get("version").and_then(Value::as_str).unwrap_or_default(),
        "resource": resource.get("resource").and_then(Value::as_str).unwrap_or_default(),
    });
    let mut r = Map::new();
    r.insert("uid".into(), req.get("uid").cloned().unwrap_or(json!("")));
    r.insert("kind".into(), kind);
    r.insert("resource".into(), resource);
    for k in [
        "subResource",
        "requestKind",
        "requestResource",
        "requestSubResource",
        "name",
        "namespace",
    ] {
        if let Some(v) = req
            .get(k)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
        {
            r.insert(k.into(), v.clone());
        }
    }
    r.insert("operation".into(), json!(operation));
    r.insert(
        "userInfo".into(),
        req.get("userInfo")
            .cloned()
            .filter(|v| !v.is_null())
            .unwrap_or(json!({})),
    );
    // DELETE reviews the old object as the object.
    let reviewed = if operation == "DELETE" {
        old.clone().or(object.clone())
    } else {
        object.clone()
    };
    r.insert("object".into(), reviewed.unwrap_or(Value::Null));
    r.insert("oldObject".into(), old.clone().unwrap_or(Value::Null));
    if let Some(d) = req.get("dryRun").filter(|v| !v.is_null()) {
        r.insert("dryRun".into(), d.clone());
    }
    r.insert(
        "options".into(),
        req.get("options").cloned().unwrap_or(Value::Null),
    );
    r.insert("namespaceObject".into(), Value::Null);
    let match_objects = object.into_iter().chain(old).collect();
    Ok(Review {
        review: Value::Object(r),
        match_objects,
    })
}

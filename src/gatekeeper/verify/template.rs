//! A suite's ConstraintTemplate made ready to evaluate: both template shapes
//! (legacy `rego:` and `code: [{engine: Rego, source: …}]`, Rego v0 or `version: v1`),
//! and gator's structural defaulting of the constraint's parameters.

use serde_json::Value;

use super::error::TemplateError;
use crate::gatekeeper::eval::Template;
use crate::gatekeeper::matcher::strings;

/// A template ready to evaluate, or why its cases are skipped.
pub(super) enum Prepared {
    Rego(Box<Template>),
    CelOnly,
}

/// A compiled template with its constraint kind and parameter schema.
pub(super) struct LoadedTemplate {
    /// The CRD kind its constraints must have.
    pub kind: String,
    pub prepared: Prepared,
    /// `openAPIV3Schema`, `null` when absent.
    pub schema: Value,
}

/// Compiles a ConstraintTemplate document.
pub(super) fn prepare(t: &Value) -> Result<LoadedTemplate, TemplateError> {
    let kind = t
        .pointer("/spec/crd/spec/names/kind")
        .and_then(Value::as_str)
        .ok_or(TemplateError::NoKind)?
        .to_string();
    if t.get("kind").and_then(Value::as_str) != Some("ConstraintTemplate") {
        return Err(TemplateError::NotATemplate);
    }
    let schema = t
        .pointer("/spec/crd/spec/validation/openAPIV3Schema")
        .cloned()
        .unwrap_or(Value::Null);
    let loaded = |prepared| LoadedTemplate {
        kind: kind.clone(),
        prepared,
        schema: schema.clone(),
    };
    let targets = t
        .pointer("/spec/targets")
        .and_then(Value::as_array)
        .ok_or(TemplateError::NoTargets)?;
    let target = targets.first().ok_or(TemplateError::NoTarget)?;
    let legacy = target
        .get("rego")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    let (rego, libs, v1) = if let Some(r) = legacy {
        // A non-empty legacy `rego` wins over `code` and is v0.
        (r.to_string(), strings(target.get("libs")), false)
    } else {
        let code = target
            .get("code")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match code
            .iter()
            .find(|c| c.get("engine").and_then(Value::as_str) == Some("Rego"))
        {
            Some(c) => {
                let src = c.get("source").cloned().unwrap_or(Value::Null);
                let rego = src
                    .get("rego")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let v1 = src.get("version").and_then(Value::as_str) == Some("v1");
                (rego, strings(src.get("libs")), v1)
            }
            None if !code.is_empty() => return Ok(loaded(Prepared::CelOnly)),
            None => return Err(TemplateError::NoEngine),
        }
    };
    let compiled = Template::compile(&rego, &libs, v1).map_err(TemplateError::Compile)?;
    Ok(loaded(Prepared::Rego(Box::new(compiled))))
}

/// Structural defaulting of `spec.parameters` (only when the constraint has parameters).
pub(super) fn apply_defaults(schema: &Value, v: &mut Value) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let Some(obj) = v.as_object_mut() else { return };
    for (k, s) in props {
        if !obj.contains_key(k) {
            if let Some(d) = s.get("default") {
                obj.insert(k.clone(), d.clone());
            }
        }
        if let Some(child) = obj.get_mut(k) {
            if child.is_object() {
                apply_defaults(s, child);
            }
        }
    }
}

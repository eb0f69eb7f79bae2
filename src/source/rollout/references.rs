//! What a rollout setting names, resolved: control ids (with a did-you-mean),
//! management group and subscription scopes, and resource ids inside them.

use crate::model::Rule;
use crate::names::{is_guid, MANAGEMENT_GROUP};

pub(super) const MG_PREFIX: &str = "/providers/microsoft.management/managementgroups/";

pub(super) fn control_help(id: &str, rules: &[Rule]) -> String {
    match crate::suggest::closest(id, rules.iter().map(|r| (r.id.as_str(), &r.id)), 3) {
        Some(s) => format!("did you mean `{s}`? Use the `id:` of a rule file"),
        None => "use the `id:` of a rule file (e.g. AKS-01)".to_string(),
    }
}

/// Why `scope` is not a management group or subscription id.
pub(super) fn scope_problem(scope: &str) -> Option<String> {
    let lower = scope.to_ascii_lowercase();
    if let Some(mg) = lower.strip_prefix(MG_PREFIX) {
        let mg = &scope[scope.len() - mg.len()..];
        return MANAGEMENT_GROUP
            .problem(mg)
            .map(|p| format!("is not valid: {p}"));
    }
    if let Some(sub) = lower.strip_prefix("/subscriptions/") {
        return (!is_guid(sub)).then(|| "is not valid: the subscription id is not a GUID".into());
    }
    Some("is neither a management group nor a subscription id".into())
}

/// Whether `id` lies at or below `scope` (resource ids compare without case).
pub(super) fn inside(scope: &str, id: &str) -> bool {
    let (s, i) = (scope.to_ascii_lowercase(), id.to_ascii_lowercase());
    i == s || i.starts_with(&format!("{s}/"))
}

/// A resource id below a subscription: `/subscriptions/<guid>[/…]`, no empty segment.
pub(super) fn azure_id_problem(id: &str) -> Option<String> {
    if id.contains("//") || id.chars().any(|c| c.is_control()) {
        return Some("is not a resource id (empty segment or control character)".into());
    }
    let lower = id.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("/subscriptions/") else {
        return Some(
            "is not an Azure resource id starting with `/subscriptions/<subscription id>`".into(),
        );
    };
    let sub = rest.split('/').next().unwrap_or("");
    (!is_guid(sub)).then(|| "does not start with `/subscriptions/<subscription GUID>`".into())
}

pub(super) fn not_scope_problem(scope: &str, id: &str) -> Option<String> {
    if inside(scope, id) {
        return (id.len() == scope.len()).then(|| "is the environment's scope itself".into());
    }
    if scope.to_ascii_lowercase().starts_with(MG_PREFIX) {
        // Which subscriptions a management group holds is known to Azure only.
        if id.to_ascii_lowercase().starts_with(MG_PREFIX) {
            return scope_problem(id);
        }
        return azure_id_problem(id);
    }
    Some("is outside the environment's scope".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(
            scope_problem("/providers/Microsoft.Management/managementGroups/contoso-prod"),
            None
        );
        assert_eq!(
            scope_problem("/subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40"),
            None
        );
        assert!(scope_problem("/subscriptions/nope").is_some());
        assert!(scope_problem("contoso").is_some());
        let sub = "/subscriptions/3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40";
        assert!(inside(sub, &format!("{sub}/resourceGroups/rg")));
        assert!(!inside(sub, &format!("{sub}x")));
    }
}

//! The `kubernetes:` section into a `model::KubernetesRule`: the template kind's
//! form, and the retired `enforcementAction` key (the rollout stage sets it).

use serde_json::{Map, Value};

use super::raw::RawKubernetes;
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{KubernetesRule, Stage};

pub(super) fn kubernetes_rule(
    k: RawKubernetes,
    stage: Stage,
    at: &dyn Fn(&str) -> Location,
    at_key: &dyn Fn(&str) -> Location,
    d: &mut Diagnostics,
) -> KubernetesRule {
    if let Some(old) = &k.enforcement_action {
        let old = old.as_str().unwrap_or("");
        let instead = match old {
            "deny" => "`rollout: enforce`",
            "warn" => "`rollout: warn`",
            _ => "`rollout: audit`",
        };
        d.error(
            at_key("kubernetes.enforcementAction"),
            format!(
                "`kubernetes.enforcementAction` is no longer read: the rollout stage sets it (`{}` here)",
                crate::names::show(old)
            ),
            format!(
                "delete the line; to keep this control at `{}` by default write {instead} at the top level of the rule, or set the stage for all controls with `[policybook] rollout` (per environment: `[policybook.environments.<name>] rollout` / `overrides`) in book.toml",
                crate::names::show(old)
            ),
        );
    }
    if !k
        .kind
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
        || !k.kind.chars().all(|c| c.is_ascii_alphanumeric())
    {
        d.error(
            at("kubernetes.kind"),
            format!("template kind `{}` is not a CamelCase name", k.kind),
            "use a CRD kind like K8sAzureNoPodIdentity",
        );
    }
    KubernetesRule {
        kind: k.kind,
        match_: k.match_.unwrap_or_else(|| Value::Object(Map::new())),
        enforcement_action: stage.enforcement_action().to_string(),
        parameters: k.parameters,
        rego: k.rego,
        libs: k.libs,
    }
}

//! `[policybook] rollout` and the `[policybook.environments.<name>]` tables, read
//! again with their places (`Config` has already checked the types): each
//! environment's name, scope, not-scopes, stage and per-control overrides.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::references::{control_help, not_scope_problem, scope_problem};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{Environment, Rollout, Rule, Stage};
use crate::names::{show, SLUG};

const STAGE_HELP: &str = "use one of audit (Azure Audit, Gatekeeper dryrun), warn (Azure Audit, Gatekeeper warn) or enforce (Azure Deny, Gatekeeper deny)";

// book.toml again, with places: `Config` has already checked the types.
#[derive(Deserialize)]
struct Root {
    policybook: Option<Pb>,
}

#[derive(Deserialize)]
struct Pb {
    rollout: Option<Spanned<String>>,
    #[serde(default)]
    environments: BTreeMap<Spanned<String>, Spanned<Env>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Env {
    scope: Spanned<String>,
    #[serde(default)]
    not_scopes: Vec<Spanned<String>>,
    rollout: Option<Spanned<String>>,
    #[serde(default)]
    overrides: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// The default stage and the environments of book.toml (`text`), control ids
/// checked against `rules`; `None` without a `[policybook]` table.
pub(super) fn load(text: &str, rules: &[Rule], d: &mut Diagnostics) -> Option<Rollout> {
    let mut rollout = Rollout::default();
    let Ok(Root {
        policybook: Some(pb),
    }) = toml::from_str::<Root>(text)
    else {
        return None;
    };
    let at = |start: usize| Location::new("book.toml", crate::text::line_col(text, start));
    let stage = |v: &Spanned<String>, key: &str, d: &mut Diagnostics| {
        Stage::parse(v.get_ref()).or_else(|| {
            d.error(
                at(v.span().start),
                format!("{key}: unknown rollout stage `{}`", show(v.get_ref())),
                STAGE_HELP,
            );
            None
        })
    };
    if let Some(r) = &pb.rollout {
        rollout.default = stage(r, "[policybook] rollout", d).unwrap_or_default();
    }
    for (name, env) in &pb.environments {
        let key = format!("[policybook.environments.{}]", show(name.get_ref()));
        let mut ok = true;
        if let Some(p) = SLUG.problem(name.get_ref()) {
            d.error(
                at(name.span().start),
                format!("environment name: {p}"),
                "an environment name is a slug (lower-case letters, digits, `-`): it names dist/azure/assignments/<name>.json and dist/gatekeeper/overlays/<name>/",
            );
            ok = false;
        }
        let e = env.get_ref();
        let scope = e.scope.get_ref().trim_end_matches('/').to_string();
        if let Some(p) = scope_problem(&scope) {
            d.error(
                at(e.scope.span().start),
                format!("{key} scope `{}` {p}", show(&scope)),
                "write `/providers/Microsoft.Management/managementGroups/<management group id>` or `/subscriptions/<subscription id>`",
            );
            ok = false;
        }
        let mut not_scopes = vec![];
        for ns in &e.not_scopes {
            let v = ns.get_ref().trim_end_matches('/').to_string();
            if let Some(p) = not_scope_problem(&scope, &v) {
                d.error(
                    at(ns.span().start),
                    format!("{key} not-scopes entry `{}` {p}", show(&v)),
                    "list child management groups, subscriptions, resource groups or resources inside the environment's scope",
                );
                ok = false;
            }
            not_scopes.push(v);
        }
        let env_stage = match &e.rollout {
            Some(r) => stage(r, &format!("{key} rollout"), d).unwrap_or(rollout.default),
            None => rollout.default,
        };
        let mut overrides = BTreeMap::new();
        for (id, st) in &e.overrides {
            if !rules.iter().any(|r| r.id == *id.get_ref()) {
                d.error(
                    at(id.span().start),
                    format!(
                        "{key} overrides: unknown control id `{}`",
                        show(id.get_ref())
                    ),
                    control_help(id.get_ref(), rules),
                );
                ok = false;
            }
            if let Some(s) = stage(st, &format!("{key} overrides.{}", show(id.get_ref())), d) {
                overrides.insert(id.get_ref().clone(), s);
            }
        }
        if ok {
            rollout.environments.push(Environment {
                name: name.get_ref().clone(),
                scope,
                not_scopes,
                stage: env_stage,
                overrides,
                location: at(name.span().start),
            });
        }
    }
    rollout.environments.sort_by(|a, b| a.name.cmp(&b.name));
    Some(rollout)
}

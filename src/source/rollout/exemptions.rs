//! The exemptions file (`<policies>/exemptions.yaml`): unknown keys with a
//! suggestion, then each exemption's name, owner, justification, category,
//! expiry date, controls, environment and its scope or namespace, all checked
//! against the rules and environments already loaded.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::dates::{format_date, parse_date, today_utc};
use super::references::{azure_id_problem, control_help, inside, scope_problem, MG_PREFIX};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{Environment, Exemption, ExemptionCategory, ExemptionScope, Rollout, Rule};
use crate::names::{show, text_problem, SLUG};
use crate::spans::SpanIndex;

/// The exemptions file's name inside the policies folder (never read as a rule).
pub const EXEMPTIONS_FILE: &str = "exemptions.yaml";

const EXEMPTION_KEYS: &[&str] = &[
    "name",
    "controls",
    "environment",
    "scope",
    "namespace",
    "category",
    "expires",
    "justification",
    "owner",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    exemptions: Vec<RawExemption>,
}

#[derive(Deserialize)]
struct RawExemption {
    name: Option<String>,
    #[serde(default)]
    controls: Vec<String>,
    environment: Option<String>,
    scope: Option<String>,
    namespace: Option<String>,
    category: Option<String>,
    expires: Option<String>,
    justification: Option<String>,
    owner: Option<String>,
}

/// Reads and checks the exemptions file, when there is one, into `rollout`.
pub(super) fn load(
    root: &Path,
    policies_dir: &Path,
    rules: &[Rule],
    rollout: &mut Rollout,
    d: &mut Diagnostics,
) {
    let path = policies_dir.join(EXEMPTIONS_FILE);
    if !path.exists() {
        return;
    }
    let file = crate::walk::relative(root, &path);
    let text = match crate::text::read_text(&path) {
        Ok(t) => t,
        Err(e) => {
            d.error(
                Location::new(&file, e.line_col()),
                format!("cannot read the exemptions file: {e}"),
                e.help("check the file's permissions"),
            );
            return;
        }
    };
    rollout.exemptions_file = Some(file.clone());
    let value: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let pos = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            d.error(
                Location::new(&file, pos),
                format!("malformed YAML: {e}"),
                "fix the YAML syntax at this place",
            );
            return;
        }
    };
    if value.is_null() {
        return;
    }
    let spans = SpanIndex::build(&text);
    let at_key = |p: &str| Location::new(&file, spans.nearest_key(p));
    // Unknown keys first, with a suggestion, like rule files.
    check_keys(&value, &at_key, d);
    if d.has_errors() {
        return;
    }
    let raw: RawFile = match serde_yaml::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            d.error(
                Location::new(&file, (1, 1)),
                format!("wrong type in the exemptions file: {e}"),
                "each exemption is a mapping; `controls` is a list of control ids, the others are strings",
            );
            return;
        }
    };
    let cx = Context {
        file: &file,
        spans: &spans,
        rules,
        rollout,
        today: today_utc(),
    };
    let mut names: BTreeMap<String, Location> = BTreeMap::new();
    let found: Vec<Exemption> = raw
        .exemptions
        .into_iter()
        .enumerate()
        .filter_map(|(i, x)| exemption(i, x, &cx, &mut names, d))
        .collect();
    rollout.exemptions.extend(found);
}

/// Unknown keys of the file and of each exemption, with a suggestion.
fn check_keys(value: &serde_yaml::Value, at_key: &dyn Fn(&str) -> Location, d: &mut Diagnostics) {
    if let Some(m) = value.as_mapping() {
        for k in m.keys().filter_map(|k| k.as_str()) {
            if k != "exemptions" {
                d.error(
                    at_key(k),
                    format!("unknown key `{}` in the exemptions file", show(k)),
                    "the file holds one key, `exemptions:`, a list of exemptions",
                );
            }
        }
        for (i, x) in m
            .get("exemptions")
            .and_then(|x| x.as_sequence())
            .into_iter()
            .flatten()
            .enumerate()
        {
            for k in x.as_mapping().into_iter().flat_map(|m| m.keys()) {
                let Some(k) = k.as_str() else { continue };
                if !EXEMPTION_KEYS.contains(&k) {
                    let help =
                        match crate::suggest::closest(k, EXEMPTION_KEYS.iter().map(|c| (*c, c)), 3)
                        {
                            Some(s) => format!(
                                "did you mean `{s}`? Known keys: {}",
                                EXEMPTION_KEYS.join(", ")
                            ),
                            None => format!("remove it; known keys: {}", EXEMPTION_KEYS.join(", ")),
                        };
                    d.error(
                        at_key(&format!("exemptions.{i}.{k}")),
                        format!("unknown key `{}` in an exemption", show(k)),
                        help,
                    );
                }
            }
        }
    }
}

/// What each exemption is checked against, and where its keys are.
struct Context<'a> {
    file: &'a str,
    spans: &'a SpanIndex,
    rules: &'a [Rule],
    rollout: &'a Rollout,
    today: i64,
}

/// One exemption, checked; `names` holds the names already taken in the file.
/// `None` when it has errors (they are in `d`).
fn exemption(
    i: usize,
    x: RawExemption,
    cx: &Context,
    names: &mut BTreeMap<String, Location>,
    d: &mut Diagnostics,
) -> Option<Exemption> {
    let Context {
        spans,
        rules,
        rollout,
        today,
        ..
    } = *cx;
    let at = |p: &str| Location::new(cx.file, spans.nearest(p));
    let p = |k: &str| format!("exemptions.{i}.{k}");
    let entry = at(&format!("exemptions.{i}"));
    let before = d.error_count();
    let need = |v: Option<String>, key: &str, help: &str, d: &mut Diagnostics| {
        let v = v.unwrap_or_default();
        if v.trim().is_empty() {
            d.error(
                if spans.value(&p(key)).is_some() {
                    at(&p(key))
                } else {
                    entry.clone()
                },
                format!("exemption {}: `{key}` is missing or empty", i + 1),
                help.to_string(),
            );
        } else if let Some(problem) = text_problem(&format!("`{key}`"), &v) {
            d.error(at(&p(key)), problem, "remove the NUL (`\\u0000`)");
        }
        v
    };
    let name = need(
        x.name,
        "name",
        "give it a `name:` (a slug, unique in the file): it becomes the exemption's resource name",
        d,
    );
    let justification = need(x.justification, "justification", "say why the control does not apply here and what makes up for it: reviewers and auditors read it", d);
    let owner = need(
        x.owner,
        "owner",
        "name who answers for it (a team or a mailbox)",
        d,
    );
    let environment = need(
        x.environment,
        "environment",
        "name one of the environments of book.toml ([policybook.environments.<name>])",
        d,
    );
    let expires = need(
        x.expires,
        "expires",
        "give the last day it holds, `YYYY-MM-DD`",
        d,
    );
    let category = need(
        x.category,
        "category",
        "write `category: Waiver` or `category: Mitigated`",
        d,
    );
    if !name.is_empty() {
        if let Some(problem) = SLUG.problem(&name) {
            d.error(at(&p("name")), format!("exemption {problem}"), SLUG.allowed);
        } else if let Some(first) = names.get(&name) {
            d.error(
                at(&p("name")),
                format!("duplicate exemption name `{name}`: {first} already uses it"),
                "give each exemption its own name",
            );
        } else {
            names.insert(name.clone(), at(&p("name")));
        }
    }
    let category = match category.as_str() {
        "" => ExemptionCategory::Waiver,
        "Waiver" => ExemptionCategory::Waiver,
        "Mitigated" => ExemptionCategory::Mitigated,
        other => {
            d.error(
                at(&p("category")),
                format!("unknown exemption category `{}`", show(other)),
                "use Waiver (accepted without a fix) or Mitigated (the risk is handled another way)",
            );
            ExemptionCategory::Waiver
        }
    };
    if !expires.is_empty() {
        match parse_date(&expires) {
            None => d.error(
                at(&p("expires")),
                format!("`expires: {}` is not a date", show(&expires)),
                "write the last day the exemption holds as YYYY-MM-DD, e.g. 2027-03-31",
            ),
            Some(day) if day < today => d.error(
                at(&p("expires")),
                format!(
                    "exemption `{name}` expired on {expires} (today is {})",
                    format_date(today)
                ),
                "remove the exemption, or renew it with a new `expires:` date after review",
            ),
            Some(_) => {}
        }
    }
    if x.controls.is_empty() {
        d.error(
            entry.clone(),
            format!("exemption {}: `controls` is missing or empty", i + 1),
            "list the control ids it exempts, e.g. `controls: [K8S-06]`",
        );
    }
    let mut k8s_only = true;
    for (j, id) in x.controls.iter().enumerate() {
        match rules.iter().find(|r| r.id == *id) {
            Some(r) => k8s_only &= r.kubernetes.is_some(),
            None => d.error(
                at(&format!("exemptions.{i}.controls.{j}")),
                format!("unknown control id `{}`", show(id)),
                control_help(id, rules),
            ),
        }
    }
    let env = rollout.environment(&environment).cloned();
    if env.is_none() && !environment.is_empty() {
        let known: Vec<&str> = rollout
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let help = match crate::suggest::closest(&environment, known.iter().map(|n| (*n, n)), 3) {
            Some(s) => format!("did you mean `{s}`? Environments: {}", known.join(", ")),
            None if known.is_empty() => "book.toml defines no environment: add a [policybook.environments.<name>] table with its `scope`".to_string(),
            None => format!("use one of the environments of book.toml: {}", known.join(", ")),
        };
        d.error(
            at(&p("environment")),
            format!("unknown environment `{}`", show(&environment)),
            help,
        );
    }
    let scope = match (x.scope, x.namespace) {
        (Some(_), Some(_)) | (None, None) => {
            d.error(
                entry.clone(),
                format!("exemption {}: give exactly one of `scope` (an Azure resource id) and `namespace` (a Kubernetes namespace)", i + 1),
                "`scope: /subscriptions/<id>/resourceGroups/<rg>` exempts Azure resources; `namespace: <name>` exempts a namespace from Kubernetes controls",
            );
            None
        }
        (Some(s), None) => {
            let s = s.trim_end_matches('/').to_string();
            let problem = azure_scope_problem(&s, env.as_ref());
            if let Some(problem) = problem {
                d.error(
                    at(&p("scope")),
                    format!("exemption scope `{}` {problem}", show(&s)),
                    "use a subscription, resource group or resource id inside the environment's `scope` in book.toml",
                );
            }
            Some(ExemptionScope::Azure(s))
        }
        (None, Some(ns)) => {
            if !is_namespace(&ns) {
                d.error(
                    at(&p("namespace")),
                    format!("`{}` is not a Kubernetes namespace name", show(&ns)),
                    "a namespace name is a DNS label: lower-case letters, digits and `-`, at most 63 characters",
                );
            } else if !k8s_only {
                d.error(
                    at(&p("namespace")),
                    "a namespace exemption applies to Kubernetes controls only, and a listed control has no `kubernetes:` part",
                    "list only K8S controls here, or exempt Azure controls with `scope:`",
                );
            }
            Some(ExemptionScope::Namespace(ns))
        }
    };
    if d.error_count() != before {
        return None;
    }
    Some(Exemption {
        name,
        controls: x.controls,
        environment,
        scope: scope?,
        category,
        expires,
        justification,
        owner,
        location: entry,
    })
}

/// Why an exemption's Azure `scope` (`s`, without a trailing `/`) is not one its
/// environment's assignment reaches; `env` is `None` when the environment is unknown.
fn azure_scope_problem(s: &str, env: Option<&Environment>) -> Option<String> {
    match env {
        _ if s.to_ascii_lowercase().starts_with(MG_PREFIX) => match env {
            Some(e) if e.scope.eq_ignore_ascii_case(s) => None,
            Some(_) => Some("is a management group other than the environment's scope".to_string()),
            None => scope_problem(s),
        },
        _ if azure_id_problem(s).is_some() => azure_id_problem(s),
        Some(e) if !e.is_management_group() && !inside(&e.scope, s) => Some(format!(
            "is outside the scope of environment `{}` ({})",
            e.name, e.scope
        )),
        Some(e) if e.not_scopes.iter().any(|n| inside(n, s)) => Some(format!(
            "lies in a not-scope of environment `{}`: the assignment does not reach it",
            e.name
        )),
        _ => None,
    }
}

fn is_namespace(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

//! Rollout settings into `model::Rollout`: `[policybook] rollout`, the
//! `[policybook.environments.<name>]` tables of book.toml and the exemptions file
//! (`<policies>/exemptions.yaml`). Every reference is resolved here (control ids,
//! environment names, scopes inside their environment, dates not past), each
//! problem at its `file:line:col`, so the outputs only ever see sound values.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::{Diagnostics, Location};
use crate::model::{
    Environment, Exemption, ExemptionCategory, ExemptionScope, Rollout, Rule, Stage,
};
use crate::names::{is_guid, show, text_problem, MANAGEMENT_GROUP, SLUG};
use crate::spans::SpanIndex;

/// The exemptions file's name inside the policies folder (never read as a rule).
pub const EXEMPTIONS_FILE: &str = "exemptions.yaml";

const MG_PREFIX: &str = "/providers/microsoft.management/managementgroups/";
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

/// The project's default stage as book.toml writes it, `audit` when absent or
/// invalid (an invalid value is reported by `load`).
pub fn default_stage(config: &crate::config::Config) -> Stage {
    config
        .policybook
        .as_ref()
        .and_then(|p| p.rollout.as_deref())
        .and_then(Stage::parse)
        .unwrap_or_default()
}

/// Reads the rollout settings. `text` is book.toml's text; `rules` the loaded rules
/// (for control ids); `policies_dir` the policies folder (absolute).
pub fn load(
    text: &str,
    root: &Path,
    policies_dir: &Path,
    rules: &[Rule],
    d: &mut Diagnostics,
) -> Rollout {
    let mut rollout = Rollout::default();
    let Ok(Root {
        policybook: Some(pb),
    }) = toml::from_str::<Root>(text)
    else {
        return rollout;
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
    load_exemptions(root, policies_dir, rules, &mut rollout, d);
    rollout
}

fn control_help(id: &str, rules: &[Rule]) -> String {
    match crate::suggest::closest(id, rules.iter().map(|r| (r.id.as_str(), &r.id)), 3) {
        Some(s) => format!("did you mean `{s}`? Use the `id:` of a rule file"),
        None => "use the `id:` of a rule file (e.g. AKS-01)".to_string(),
    }
}

/// Why `scope` is not a management group or subscription id.
fn scope_problem(scope: &str) -> Option<String> {
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
fn inside(scope: &str, id: &str) -> bool {
    let (s, i) = (scope.to_ascii_lowercase(), id.to_ascii_lowercase());
    i == s || i.starts_with(&format!("{s}/"))
}

/// A resource id below a subscription: `/subscriptions/<guid>[/…]`, no empty segment.
fn azure_id_problem(id: &str) -> Option<String> {
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

fn not_scope_problem(scope: &str, id: &str) -> Option<String> {
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

// ------------------------------------------------------------------ exemptions

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

fn load_exemptions(
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
    let at = |p: &str| Location::new(&file, spans.nearest(p));
    let at_key = |p: &str| Location::new(&file, spans.nearest_key(p));
    // Unknown keys first, with a suggestion, like rule files.
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
    let today = today_utc();
    let mut names: BTreeMap<String, Location> = BTreeMap::new();
    for (i, x) in raw.exemptions.into_iter().enumerate() {
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
        let name = need(x.name, "name", "give it a `name:` (a slug, unique in the file): it becomes the exemption's resource name", d);
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
                let problem = match &env {
                    _ if s.to_ascii_lowercase().starts_with(MG_PREFIX) => match &env {
                        Some(e) if e.scope.eq_ignore_ascii_case(&s) => None,
                        Some(_) => Some(
                            "is a management group other than the environment's scope".to_string(),
                        ),
                        None => scope_problem(&s),
                    },
                    _ if azure_id_problem(&s).is_some() => azure_id_problem(&s),
                    Some(e) if !e.is_management_group() && !inside(&e.scope, &s) => Some(format!(
                        "is outside the scope of environment `{}` ({})",
                        e.name, e.scope
                    )),
                    Some(e) if e.not_scopes.iter().any(|n| inside(n, &s)) => Some(format!(
                        "lies in a not-scope of environment `{}`: the assignment does not reach it",
                        e.name
                    )),
                    _ => None,
                };
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
        if d.error_count() == before {
            if let Some(scope) = scope {
                rollout.exemptions.push(Exemption {
                    name,
                    controls: x.controls,
                    environment,
                    scope,
                    category,
                    expires,
                    justification,
                    owner,
                    location: entry,
                });
            }
        }
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

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, `None` when it is not one.
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !s[0..4].bytes().all(|c| c.is_ascii_digit()) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d < 1 || d > days_in[(m - 1) as usize] {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

// Howard Hinnant's days-from-civil algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn format_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn today_utc() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    secs.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_invalid_dates_are_refused() {
        for s in ["1970-01-01", "2026-11-29", "2028-02-29", "2100-12-31"] {
            assert_eq!(format_date(parse_date(s).unwrap()), s);
        }
        assert_eq!(parse_date("1970-01-02"), Some(1));
        for s in [
            "2027-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-11-29",
            "2026-11-31",
            "+026-11-29",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

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

//! What the build checks in every `kubernetes:` section before anything is
//! written: the Rego compiles (with regorus, as v0 like Gatekeeper), libs sit
//! under `lib.`, the match names known kinds and keys, parameter schemas are
//! structural and their defaults conform, test overrides conform, and the Rego
//! avoids the constructs where regorus and OPA disagree.

use serde_json::Value;

use super::{eval, schema};
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{Bundle, Rule};

/// API groups and the kinds policybook knows in them. A match naming anything
/// else is almost always a typo (Gatekeeper would silently never match it).
pub(super) const KNOWN_KINDS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "Pod",
            "Service",
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "Namespace",
            "Node",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "ReplicationController",
            "Endpoints",
            "Event",
            "LimitRange",
            "ResourceQuota",
            "PodTemplate",
            "Binding",
            "ComponentStatus",
        ],
    ),
    (
        "apps",
        &[
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ControllerRevision",
        ],
    ),
    ("batch", &["Job", "CronJob"]),
    (
        "aadpodidentity.k8s.io",
        &[
            "AzureIdentity",
            "AzureIdentityBinding",
            "AzurePodIdentityException",
            "AzureAssignedIdentity",
        ],
    ),
    (
        "rbac.authorization.k8s.io",
        &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"],
    ),
    (
        "networking.k8s.io",
        &["Ingress", "IngressClass", "NetworkPolicy"],
    ),
    ("policy", &["PodDisruptionBudget"]),
    ("autoscaling", &["HorizontalPodAutoscaler"]),
    (
        "storage.k8s.io",
        &["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"],
    ),
    (
        "secrets-store.csi.x-k8s.io",
        &["SecretProviderClass", "SecretProviderClassPodStatus"],
    ),
    (
        "admissionregistration.k8s.io",
        &[
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ],
    ),
    ("apiextensions.k8s.io", &["CustomResourceDefinition"]),
    ("coordination.k8s.io", &["Lease"]),
    ("discovery.k8s.io", &["EndpointSlice"]),
    ("certificates.k8s.io", &["CertificateSigningRequest"]),
    ("scheduling.k8s.io", &["PriorityClass"]),
];

const MATCH_KEYS: &[&str] = &[
    "kinds",
    "namespaces",
    "excludedNamespaces",
    "labelSelector",
    "namespaceSelector",
    "scope",
    "name",
    "source",
];

fn known_groups() -> Vec<&'static str> {
    KNOWN_KINDS.iter().map(|(g, _)| *g).collect()
}

fn kind_known(groups: &[String], kind: &str) -> bool {
    if kind == "*" {
        return true;
    }
    let any_group = groups.is_empty() || groups.iter().any(|g| g == "*");
    KNOWN_KINDS
        .iter()
        .any(|(g, ks)| (any_group || groups.iter().any(|x| x == g)) && ks.contains(&kind))
}

/// The file position of line `line` / column `col` (1-based) of a Rego text at
/// `path` (`kubernetes.rego`, `kubernetes.libs.0`) of the rule file. `source`
/// is the rule file's text when it could be read (for the block's indentation).
pub fn rego_location(
    rule: &Rule,
    source: Option<&str>,
    path: &str,
    text: &str,
    line: usize,
    col: usize,
) -> Location {
    let file = rule.location.file.clone();
    match rule.spans.value(path) {
        // Block scalar (`rego: |`): content starts on the line after the indicator.
        Some((l, c)) if text.contains('\n') => {
            // yaml-rust2 places a block scalar at its first content line; if the
            // place is the `|` / `>` indicator instead, content starts one line later.
            let at_indicator = source
                .and_then(|s| s.lines().nth(l.saturating_sub(1)))
                .and_then(|t| t.get(c.saturating_sub(1)..))
                .is_some_and(|rest| rest.starts_with('|') || rest.starts_with('>'));
            let file_line = if at_indicator { l + line } else { l + line - 1 };
            let indent = source
                .and_then(|s| s.lines().nth(file_line - 1))
                .map(|t| t.len() - t.trim_start().len())
                .unwrap_or(0);
            // The block's indentation: the file line's minus the Rego line's own.
            let own = text
                .lines()
                .nth(line.saturating_sub(1))
                .map(|t| t.len() - t.trim_start().len())
                .unwrap_or(0);
            let indent = indent.saturating_sub(own);
            Location::new(file, (file_line, indent + col))
        }
        Some((l, c)) => Location::new(file, (l, c + col)),
        None => rule.locate(path),
    }
}

/// Problems the Gatekeeper stage finds in the rules.
pub fn validate(bundle: &Bundle) -> Diagnostics {
    use rayon::prelude::*;
    // Every command evaluates Rego only after this, so the book's time limit starts here.
    super::limits::apply_config(&bundle.config);
    let per_rule: Vec<Diagnostics> = bundle
        .rules
        .par_iter()
        .map(|r| {
            let source = crate::text::read_text(&bundle.root.join(&r.location.file)).ok();
            validate_rule(r, source.as_deref())
        })
        .collect();
    let mut d = Diagnostics::default();
    for x in per_rule {
        d.extend(x);
    }
    // Two rules with the same kind would produce one template name.
    let mut seen: std::collections::HashMap<String, &Rule> = Default::default();
    for r in &bundle.rules {
        let Some(k) = &r.kubernetes else { continue };
        let name = k.kind.to_ascii_lowercase();
        if let Some(first) = seen.get(&name) {
            d.error(
                r.locate("kubernetes.kind"),
                format!("template kind `{}` is already used by {} ({})", k.kind, first.id, first.locate("kubernetes.kind")),
                "give each rule its own kind: it names the ConstraintTemplate and the constraint CRD",
            );
        } else {
            seen.insert(name, r);
        }
    }
    d
}

fn validate_rule(rule: &Rule, source: Option<&str>) -> Diagnostics {
    let mut d = Diagnostics::default();
    let Some(k) = &rule.kubernetes else { return d };

    // Template name: a DNS label.
    if k.kind.len() > 63 {
        d.error(
            rule.locate("kubernetes.kind"),
            format!("template kind `{}` is longer than 63 characters", k.kind),
            "its lower-cased form names the ConstraintTemplate, a DNS label",
        );
    }

    // Rego compiles, libs under lib.
    match eval::Template::compile(&k.rego, &k.libs, false) {
        Ok(_) => {}
        Err(e) => {
            let (path, text) = if e.module == 0 {
                ("kubernetes.rego".to_string(), k.rego.as_str())
            } else {
                (
                    format!("kubernetes.libs.{}", e.module - 1),
                    k.libs[e.module - 1].as_str(),
                )
            };
            let loc = match e.line {
                Some(l) => rego_location(rule, source, &path, text, l, e.column.unwrap_or(1)),
                None => rule.locate(&path),
            };
            let what = if e.module == 0 {
                "the template's Rego".to_string()
            } else {
                format!("lib {}", e.module - 1)
            };
            d.error(loc, format!("{what} does not compile: {}", e.message), "fix the Rego (Gatekeeper templates are Rego v0: `violation[{\"msg\": msg}] { … }`)");
        }
    }
    lint_rego(rule, source, "kubernetes.rego", &k.rego, &mut d);
    for (i, lib) in k.libs.iter().enumerate() {
        lint_rego(rule, source, &format!("kubernetes.libs.{i}"), lib, &mut d);
    }

    // match
    check_match(rule, &k.match_, &mut d);

    // parameter schemas and defaults
    for (name, s) in &k.parameters {
        let mut problems = Vec::new();
        schema::check_schema(s, "", &mut problems);
        for (sub, msg) in problems {
            let path = if sub.is_empty() {
                format!("kubernetes.parameters.{name}")
            } else {
                format!("kubernetes.parameters.{name}.{sub}")
            };
            d.error(
                rule.locate(&path),
                format!("parameter `{name}`: {msg}"),
                "fix the OpenAPI v3 schema or the default so they agree",
            );
        }
    }

    // test overrides
    let full = super::template::parameters_schema(k);
    for (i, t) in rule.tests.iter().enumerate() {
        if !t.expect.is_kubernetes() {
            continue;
        }
        for (name, v) in &t.parameters {
            match k.parameters.get(name) {
                None => d.error(
                    rule.locate(&format!("tests.{i}.parameters.{name}")),
                    format!("parameter `{name}` is not declared under kubernetes.parameters"),
                    format!(
                        "declared: {}",
                        k.parameters.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ),
                Some(_) => {
                    for e in schema::validate(&full, &serde_json::json!({ name: v })) {
                        d.error(
                            rule.locate(&format!("tests.{i}.parameters.{name}")),
                            format!("parameter override does not match the schema: {e}"),
                            "give a value of the declared type",
                        );
                    }
                }
            }
        }
        let obj = t.input.value();
        if obj.get("kind").and_then(Value::as_str).is_none()
            || obj.get("apiVersion").and_then(Value::as_str).is_none()
        {
            let p = format!("tests.{i}");
            d.error(
                rule.locate(&p),
                "the case object has no `apiVersion` or `kind`",
                "write a whole Kubernetes object (apiVersion, kind, metadata, spec)",
            );
        }
    }
    d
}

fn check_match(rule: &Rule, m: &Value, d: &mut Diagnostics) {
    let Some(map) = m.as_object() else {
        d.error(
            rule.locate("kubernetes.match"),
            "`match` must be a mapping",
            "e.g. `{kinds: [{apiGroups: [\"\"], kinds: [Pod]}]}`",
        );
        return;
    };
    for key in map.keys() {
        if !MATCH_KEYS.contains(&key.as_str()) {
            d.error(
                rule.locate(&format!("kubernetes.match.{key}")),
                format!("unknown match key `{key}`"),
                format!("known keys: {}", MATCH_KEYS.join(", ")),
            );
        }
    }
    match map.get("kinds") {
        None => d.warning(
            rule.locate("kubernetes.match"),
            "the match has no `kinds`: the constraint sees every object",
            "list the kinds the Rego checks",
        ),
        Some(Value::Array(entries)) => {
            for (i, e) in entries.iter().enumerate() {
                let p = format!("kubernetes.match.kinds.{i}");
                let Some(em) = e.as_object() else {
                    d.error(
                        rule.locate(&p),
                        "a kinds entry must be a mapping with `apiGroups` and `kinds`",
                        "e.g. `{apiGroups: [\"\"], kinds: [Pod]}`",
                    );
                    continue;
                };
                for key in em.keys() {
                    if key != "apiGroups" && key != "kinds" {
                        d.error(
                            rule.locate(&format!("{p}.{key}")),
                            format!("unknown key `{key}` in a kinds entry"),
                            "a kinds entry has `apiGroups` and `kinds`",
                        );
                    }
                }
                let groups = match em.get("apiGroups") {
                    Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect::<Vec<_>>(),
                    Some(_) => {
                        d.error(
                            rule.locate(&format!("{p}.apiGroups")),
                            "`apiGroups` must be a list of strings",
                            "use [\"\"] for the core group",
                        );
                        continue;
                    }
                    None => {
                        d.error(
                            rule.locate(&p),
                            "a kinds entry has no `apiGroups`",
                            "add `apiGroups: [\"\"]` for core kinds such as Pod",
                        );
                        continue;
                    }
                };
                for g in &groups {
                    if g != "*" && !known_groups().contains(&g.as_str()) {
                        d.error(
                            rule.locate(&format!("{p}.apiGroups")),
                            format!("unknown API group `{g}`"),
                            format!(
                                "known groups: {}",
                                known_groups()
                                    .iter()
                                    .map(|g| if g.is_empty() { "\"\" (core)" } else { g })
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    }
                }
                match em.get("kinds") {
                    Some(Value::Array(ks)) if !ks.is_empty() => {
                        for (j, kd) in ks.iter().enumerate() {
                            let kp = format!("{p}.kinds.{j}");
                            match kd.as_str() {
                                None => {
                                    d.error(rule.locate(&kp), "a kind must be a string", "e.g. Pod")
                                }
                                Some(kind) if !kind_known(&groups, kind) => {
                                    let candidates: Vec<&str> = KNOWN_KINDS
                                        .iter()
                                        .filter(|(g, _)| {
                                            groups.iter().any(|x| x == g || x == "*")
                                                || groups.is_empty()
                                        })
                                        .flat_map(|(_, ks)| ks.iter().copied())
                                        .collect();
                                    let near = candidates.iter().find(|c| {
                                        c.eq_ignore_ascii_case(kind)
                                            || c.to_ascii_lowercase()
                                                == kind.to_ascii_lowercase().trim_end_matches('s')
                                    });
                                    let help = match near {
                                        Some(n) => format!("did you mean `{n}`?"),
                                        None => format!(
                                            "known kinds in {:?}: {}",
                                            groups,
                                            candidates.join(", ")
                                        ),
                                    };
                                    d.error(
                                        rule.locate(&kp),
                                        format!("unknown kind `{kind}` in apiGroups {groups:?}"),
                                        help,
                                    );
                                }
                                Some(_) => {}
                            }
                        }
                    }
                    Some(Value::Array(_)) => d.error(
                        rule.locate(&format!("{p}.kinds")),
                        "`kinds` is empty (it would match every kind)",
                        "list the kinds, or `[\"*\"]` on purpose",
                    ),
                    Some(_) => d.error(
                        rule.locate(&format!("{p}.kinds")),
                        "`kinds` must be a list of kind names",
                        "e.g. `kinds: [Pod]`",
                    ),
                    None => d.error(
                        rule.locate(&p),
                        "a kinds entry has no `kinds`",
                        "e.g. `kinds: [Pod]`",
                    ),
                }
            }
        }
        Some(_) => d.error(
            rule.locate("kubernetes.match.kinds"),
            "`kinds` must be a list of `{apiGroups, kinds}` entries",
            "e.g. `[{apiGroups: [\"\"], kinds: [Pod]}]`",
        ),
    }
    for key in ["namespaces", "excludedNamespaces"] {
        if let Some(v) = map.get(key) {
            let ok = v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
            if !ok {
                d.error(
                    rule.locate(&format!("kubernetes.match.{key}")),
                    format!("`{key}` must be a list of namespace names"),
                    "names may use a leading or trailing `*`",
                );
            }
        }
    }
    if let Some(s) = map.get("scope") {
        if !matches!(s.as_str(), Some("*" | "Cluster" | "Namespaced")) {
            d.error(
                rule.locate("kubernetes.match.scope"),
                format!("unknown scope {s}"),
                "use *, Cluster or Namespaced",
            );
        }
    }
    for key in ["labelSelector", "namespaceSelector"] {
        if let Some(sel) = map.get(key) {
            if let Err(e) = super::matcher::label_selector(sel, &Value::Null) {
                d.error(
                    rule.locate(&format!("kubernetes.match.{key}")),
                    format!("invalid {key}: {e}"),
                    "operators are In, NotIn, Exists, DoesNotExist",
                );
            }
            if let Some(o) = sel.as_object() {
                for k in o.keys() {
                    if k != "matchLabels" && k != "matchExpressions" {
                        d.error(
                            rule.locate(&format!("kubernetes.match.{key}.{k}")),
                            format!("unknown key `{k}` in {key}"),
                            "a selector has matchLabels and matchExpressions",
                        );
                    }
                }
            }
        }
    }
}

/// Constructs Gatekeeper rejects, and those where regorus and OPA disagree.
fn lint_rego(rule: &Rule, source: Option<&str>, path: &str, text: &str, d: &mut Diagnostics) {
    let data_ref = regex::Regex::new(r"\bdata\.([A-Za-z_][A-Za-z0-9_]*)").expect("valid regex");
    for (i, line) in text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or_default();
        let at = |col: usize| rego_location(rule, source, path, text, i + 1, col + 1);
        for c in data_ref.captures_iter(code) {
            let root = &c[1];
            if root != "inventory" && root != "lib" {
                let col = c.get(0).map(|m| m.start()).unwrap_or(0);
                d.error(
                    at(col),
                    format!("`data.{root}` is not available in Gatekeeper"),
                    "templates may read only `data.inventory` and their libs (`data.lib.…`)",
                );
            }
        }
        let trimmed = code.trim_start();
        if trimmed.starts_with('(') && i > 0 {
            d.warning(at(line.len() - trimmed.len()), "a line starting with `(` continues the previous expression in regorus but not in OPA", "assign the previous expression first, or keep the parenthesised expression on the same line");
        }
        for bad in ["http.send", "re_match(", "external_data(", "import input"] {
            if let Some(col) = code.find(bad) {
                d.error(
                    at(col),
                    format!(
                        "`{}` is not supported by Gatekeeper (or by regorus)",
                        bad.trim_end_matches('(')
                    ),
                    "use builtins Gatekeeper allows (regex.match instead of re_match)",
                );
            }
        }
    }
}

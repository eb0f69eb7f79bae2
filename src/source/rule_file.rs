//! One rule file → one `model::Rule`, with every structural problem reported at
//! its line and column.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::diagnostics::{Diagnostics, Location};
use crate::model::{
    self, AliasCatalog, AzureRule, Expectation, KubernetesRule, Rule, Severity, TestCase,
    TestInput, ViolationCount,
};
use crate::spans::SpanIndex;

const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "title",
    "area",
    "severity",
    "version",
    "summary",
    "description",
    "rationale",
    "remediation",
    "checklist",
    "builtin",
    "azure",
    "kubernetes",
    "rollout",
    "tests",
];
const AZURE_KEYS: &[&str] = &["mode", "effects", "effect", "parameters", "if"];
const KUBERNETES_KEYS: &[&str] = &[
    "kind",
    "match",
    "enforcementAction",
    "parameters",
    "rego",
    "libs",
];
const TEST_KEYS: &[&str] = &[
    "name",
    "resource",
    "object",
    "inventory",
    "parameters",
    "expect",
];
const EXPECT_KEYS: &[&str] = &["violations", "message"];

/// Effects Azure Policy knows, in their canonical spelling.
pub const AZURE_EFFECTS: &[&str] = &[
    "Audit",
    "Deny",
    "Disabled",
    "AuditIfNotExists",
    "DeployIfNotExists",
    "Modify",
    "Append",
    "DenyAction",
    "Manual",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name: String,
    title: String,
    area: String,
    severity: String,
    #[serde(default = "default_version")]
    version: String,
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    checklist: String,
    #[serde(default)]
    builtin: Option<String>,
    #[serde(default)]
    azure: Option<RawAzure>,
    #[serde(default)]
    kubernetes: Option<RawKubernetes>,
    /// The rule's own stage: audit | warn | enforce.
    #[serde(default)]
    rollout: Option<String>,
    #[serde(default)]
    tests: Vec<RawTest>,
}

fn default_version() -> String {
    "1.0.0".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAzure {
    #[serde(default = "default_mode")]
    mode: String,
    effects: Vec<String>,
    /// The default effect; the first of `effects` when omitted.
    #[serde(default)]
    effect: Option<String>,
    #[serde(default)]
    parameters: Map<String, Value>,
    #[serde(rename = "if")]
    condition: Value,
}

fn default_mode() -> String {
    "Indexed".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKubernetes {
    kind: String,
    #[serde(rename = "match", default)]
    match_: Option<Value>,
    /// No longer read: the rollout stage sets it. Kept to say what to write instead.
    #[serde(rename = "enforcementAction", default)]
    enforcement_action: Option<serde_yaml::Value>,
    #[serde(default)]
    parameters: Map<String, Value>,
    rego: String,
    #[serde(default)]
    libs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    name: String,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    inventory: Vec<Value>,
    #[serde(default)]
    parameters: Map<String, Value>,
    expect: RawExpect,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawExpect {
    Effect(String),
    Violations(RawViolations),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawViolations {
    violations: Value,
    #[serde(default)]
    message: Option<String>,
}

fn parse_severity(s: &str) -> Option<Severity> {
    match s.to_ascii_lowercase().as_str() {
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

/// Loads one rule file. Returns the rule when it is usable by later stages
/// (possibly with non-fatal problems), and every problem found.
pub fn load_rule(
    root: &Path,
    policies_dir: &Path,
    path: &Path,
    config: &Config,
    aliases: &AliasCatalog,
) -> (Option<Rule>, Diagnostics) {
    let file = crate::walk::relative(root, path);
    let mut d = Diagnostics::default();
    let text = match crate::text::read_text(path) {
        Ok(t) => t,
        Err(e) => {
            d.error(
                Location::new(&file, e.line_col()),
                format!("cannot read rule file: {e}"),
                e.help("check the file's permissions"),
            );
            return (None, d);
        }
    };
    // 1. YAML syntax.
    let value: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            d.error(
                yaml_location(&file, &e),
                format!("malformed YAML: {}", strip_location(&e)),
                "fix the YAML syntax at this place (indentation, quoting, a missing `:`)",
            );
            return (None, d);
        }
    };
    let spans = SpanIndex::build(&text);
    // 2. Unknown keys, all of them.
    check_keys(&value, &spans, &file, &mut d);
    if d.has_errors() {
        return (None, d);
    }
    // 3. Types.
    let raw: RawRule = match serde_yaml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            d.error(yaml_location(&file, &e), format!("wrong type: {}", strip_location(&e)), "give the key a value of the expected type (see the README's rule format reference)");
            return (None, d);
        }
    };
    let spans = Arc::new(spans);
    let at = |p: &str| Location::new(&file, spans.nearest(p));

    // 4. Meaning.
    let severity = parse_severity(&raw.severity).unwrap_or_else(|| {
        d.error(
            at("severity"),
            format!("unknown severity `{}`", raw.severity),
            "use one of low, medium, high, critical",
        );
        Severity::Medium
    });
    let at_key = |p: &str| Location::new(&file, spans.nearest_key(p));
    // Names (grammar and length) are checked in check_names; the kind's length here.
    check_lengths(
        raw.kubernetes.as_ref().map(|k| k.kind.as_str()),
        &at,
        &mut d,
    );
    check_names(&raw, config, &at, &at_key, &mut d);
    if let Some(pb) = &config.policybook {
        if !pb.areas.is_empty() && !pb.areas.contains_key(&raw.area) {
            let known: Vec<&str> = pb.areas.keys().map(String::as_str).collect();
            d.error(
                at("area"),
                format!("unknown area `{}`", raw.area),
                format!(
                    "use one of {} or add it under [policybook.areas] in book.toml",
                    known.join(", ")
                ),
            );
        }
    }
    if let Some(b) = &raw.builtin {
        if !is_guid(b) {
            d.error(
                at("builtin"),
                format!("builtin `{b}` is not a policy definition GUID"),
                "give the built-in's name, e.g. da6e2401-19da-4532-9141-fb8fbde08431",
            );
        }
    }
    if raw.azure.is_none() && raw.kubernetes.is_none() {
        d.error(
            at("id"),
            "rule has neither an `azure:` nor a `kubernetes:` section",
            "add the condition Azure Policy or Gatekeeper should check",
        );
    }

    // The rule's stage: its own `rollout:`, else `[policybook] rollout`.
    let rollout = raw.rollout.as_deref().and_then(|s| {
        let stage = model::Stage::parse(s);
        if stage.is_none() {
            d.error(
                at("rollout"),
                format!("unknown rollout stage `{}`", crate::names::show(s)),
                "use audit (Azure Audit, Gatekeeper dryrun), warn (Azure Audit, Gatekeeper warn) or enforce (Azure Deny, Gatekeeper deny)",
            );
        }
        stage
    });
    let stage = rollout.unwrap_or_else(|| super::rollout::default_stage(config));
    let azure = raw.azure.map(|a| {
        let mut a = azure_rule(a, &at, aliases, &mut d);
        // The stage's effect is the default whenever the rule allows it.
        if let Some(i) = a
            .effects
            .iter()
            .position(|e| e.eq_ignore_ascii_case(stage.azure_effect()))
        {
            let e = a.effects.remove(i);
            a.effects.insert(0, e);
        }
        a
    });
    let kubernetes = raw.kubernetes.map(|k| {
        if let Some(old) = &k.enforcement_action {
            let old = old.as_str().unwrap_or("");
            let instead = match old {
                "deny" => "`rollout: enforce`",
                "warn" => "`rollout: warn`",
                _ => "`rollout: audit`",
            };
            d.error(
                Location::new(&file, spans.nearest_key("kubernetes.enforcementAction")),
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
        let mut k = kubernetes_rule(k, &at, &mut d);
        k.enforcement_action = stage.enforcement_action().to_string();
        k
    });

    let mut tests = Vec::new();
    for (i, t) in raw.tests.into_iter().enumerate() {
        if let Some(tc) = test_case(
            i,
            t,
            &at,
            policies_dir,
            azure.as_ref(),
            kubernetes.is_some(),
            &mut d,
        ) {
            tests.push(tc);
        }
    }
    if tests.is_empty() && !d.has_errors() {
        d.warning(
            at("id"),
            format!("rule {} has no tests", raw.id),
            "add a compliant and a non-compliant case under `tests:`",
        );
    }

    // A rule with errors is reported, not passed on: later stages only see sound rules.
    if d.has_errors() {
        return (None, d);
    }
    let rule = Rule {
        id: raw.id,
        name: raw.name,
        title: raw.title,
        area: raw.area,
        severity,
        version: raw.version,
        summary: raw.summary,
        description: raw.description,
        rationale: raw.rationale,
        remediation: raw.remediation,
        checklist: raw.checklist,
        builtin: raw.builtin,
        azure,
        kubernetes,
        rollout,
        tests,
        location: Location::new(&file, (1, 1)),
        spans,
    };
    (Some(rule), d)
}

fn azure_rule(
    a: RawAzure,
    at: &dyn Fn(&str) -> Location,
    aliases: &AliasCatalog,
    d: &mut Diagnostics,
) -> AzureRule {
    let mut effects = Vec::new();
    for (i, e) in a.effects.iter().enumerate() {
        match AZURE_EFFECTS.iter().find(|k| k.eq_ignore_ascii_case(e)) {
            Some(k) => effects.push(k.to_string()),
            None => d.error(
                at(&format!("azure.effects.{i}")),
                format!("unknown effect `{e}`"),
                format!("use one of {}", AZURE_EFFECTS.join(", ")),
            ),
        }
    }
    if a.effects.is_empty() {
        d.error(
            at("azure.effects"),
            "effect list has no default: it is empty",
            "list the allowed effects; the first is the default, e.g. [Audit, Deny, Disabled]",
        );
    }
    if let Some(def) = &a.effect {
        match effects.iter().position(|e| e.eq_ignore_ascii_case(def)) {
            Some(i) => {
                let e = effects.remove(i);
                effects.insert(0, e);
            }
            None => d.error(
                at("azure.effect"),
                format!(
                    "default effect `{def}` is not in the effect list [{}]",
                    effects.join(", ")
                ),
                "add it to `effects` or pick one of them",
            ),
        }
    }
    let mode = match ["Indexed", "All"]
        .iter()
        .find(|m| m.eq_ignore_ascii_case(&a.mode))
    {
        Some(m) => m.to_string(),
        None => {
            d.error(
                at("azure.mode"),
                format!("unknown mode `{}` for an ARM rule", a.mode),
                "use Indexed (types with tags and location) or All",
            );
            a.mode.clone()
        }
    };
    if a.parameters.contains_key("effect") {
        d.error(
            at("azure.parameters.effect"),
            "`effect` is generated from `effects`",
            "remove it from `parameters`",
        );
    }
    // Every alias the condition names must be in the catalog.
    let mut fields = Vec::new();
    collect_fields(&a.condition, "azure.if", &mut fields);
    for (path, field) in fields {
        if !is_builtin_field(&field) && !aliases.names.is_empty() && !aliases.contains(&field) {
            let hint = nearest_alias(&field, aliases)
                .map(|s| format!("did you mean `{s}`? The catalog is {}", aliases.path))
                .unwrap_or_else(|| format!("check the spelling against {} or point [policybook] aliases at a full dump", aliases.path));
            d.error(at(&path), format!("unknown alias `{field}`"), hint);
        }
    }
    // A type the mode cannot reach: Azure would never evaluate the rule.
    if mode == "Indexed" {
        for t in condition_types(&a.condition) {
            if !model::indexed_mode_reaches(&t) {
                d.warning(at("azure.mode"), format!("mode Indexed never evaluates `{t}`: the type supports neither tags nor location"), "set `mode: All`");
            }
        }
    }
    AzureRule {
        mode,
        effects,
        parameters: a.parameters,
        condition: a.condition,
    }
}

fn kubernetes_rule(
    k: RawKubernetes,
    at: &dyn Fn(&str) -> Location,
    d: &mut Diagnostics,
) -> KubernetesRule {
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
        // Set from the rule's stage by the caller.
        enforcement_action: String::new(),
        parameters: k.parameters,
        rego: k.rego,
        libs: k.libs,
    }
}

fn test_case(
    i: usize,
    t: RawTest,
    at: &dyn Fn(&str) -> Location,
    policies_dir: &Path,
    azure: Option<&AzureRule>,
    has_kubernetes: bool,
    d: &mut Diagnostics,
) -> Option<TestCase> {
    let p = format!("tests.{i}");
    let before = d.error_count();
    let expect = match t.expect {
        RawExpect::Effect(s) if s.eq_ignore_ascii_case("none") => Expectation::NoEffect,
        RawExpect::Effect(s) => {
            match azure {
                Some(a) if !a.effects.iter().any(|e| e.eq_ignore_ascii_case(&s)) => d.error(
                    at(&format!("{p}.expect")),
                    format!(
                        "expected effect `{s}` is not one the rule allows ({})",
                        a.effects.join(", ")
                    ),
                    "expect one of the rule's effects, or `none`",
                ),
                None => d.error(
                    at(&format!("{p}.expect")),
                    format!("expects effect `{s}` but the rule has no `azure:` section"),
                    "Kubernetes cases expect `{violations: yes|no|N}`",
                ),
                _ => {}
            }
            Expectation::Effect(s)
        }
        RawExpect::Violations(v) => {
            let count = ViolationCount::parse(&v.violations).unwrap_or_else(|| {
                d.error(
                    at(&format!("{p}.expect.violations")),
                    format!("`violations: {}` is not yes, no or a count", v.violations),
                    "write yes, no or a whole number",
                );
                ViolationCount::No
            });
            if let Some(m) = &v.message {
                if let Err(e) = regex::Regex::new(m) {
                    d.error(
                        at(&format!("{p}.expect.message")),
                        format!("message is not a valid regex: {e}"),
                        "escape regex metacharacters such as `(`, `[` or `.`",
                    );
                }
            }
            if !has_kubernetes {
                d.error(
                    at(&format!("{p}.expect")),
                    "expects violations but the rule has no `kubernetes:` section",
                    "Azure cases expect an effect or `none`",
                );
            }
            Expectation::Violations {
                count,
                message: v.message,
            }
        }
    };
    let input = match (t.resource, t.object) {
        (Some(_), Some(_)) => {
            d.error(
                at(&p),
                "a test gives both `resource` and `object`",
                "keep one: a sample file path or an inline object",
            );
            None
        }
        (None, None) => {
            d.error(
                at(&p),
                "a test gives neither `resource` nor `object`",
                "add `resource: samples/...` or an inline `object:`",
            );
            None
        }
        (None, Some(o)) => Some(TestInput::Inline(o)),
        (Some(path), None) => match sample_file(policies_dir, &path) {
            Err(e) => {
                d.error(
                    at(&format!("{p}.resource")),
                    format!("sample `{path}`: {e}"),
                    SAMPLE_INSIDE,
                );
                None
            }
            Ok(file) => match read_sample(&file) {
                Ok(value) => Some(TestInput::File { path, value }),
                Err(e) => {
                    d.error(at(&format!("{p}.resource")), format!("sample `{path}`: {e}"), "paths are relative to the policies folder; create the file or fix the path");
                    None
                }
            },
        },
    };
    let mut inventory = Vec::new();
    for (j, inv) in t.inventory.into_iter().enumerate() {
        match inv {
            Value::String(path) => match sample_file(policies_dir, &path)
                .map_err(|e| (e, SAMPLE_INSIDE))
                .and_then(|f| {
                    read_sample_docs(&f)
                        .map_err(|e| (e, "paths are relative to the policies folder"))
                }) {
                Ok(objs) => inventory.extend(objs),
                Err((e, help)) => d.error(
                    at(&format!("{p}.inventory.{j}")),
                    format!("inventory `{path}`: {e}"),
                    help,
                ),
            },
            Value::Object(_) => inventory.push(inv),
            _ => d.error(
                at(&format!("{p}.inventory.{j}")),
                "an inventory entry must be an object or a file path",
                "write the object inline or give a path",
            ),
        }
    }
    if d.error_count() > before {
        return None;
    }
    Some(TestCase {
        name: t.name,
        input: input?,
        inventory,
        parameters: t.parameters,
        expect,
        location: at(&format!("{p}.name")),
    })
}

const SAMPLE_INSIDE: &str =
    "keep test samples under the policies folder (e.g. in samples/) and give their path relative to it";

/// The file a sample path names, when it stays inside the policies folder (also
/// once symbolic links are followed); otherwise why not, naming the boundary.
fn sample_file(policies_dir: &Path, path: &str) -> Result<std::path::PathBuf, String> {
    use std::path::Component;
    let shown = policies_dir.strip_prefix(".").unwrap_or(policies_dir);
    let inside = format!(
        "samples must be inside the policies folder `{}`",
        shown.display()
    );
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if path.starts_with('/') || path.starts_with('\\') || drive || Path::new(path).is_absolute() {
        return Err(format!("an absolute path; {inside}"));
    }
    let mut depth = 0usize;
    for c in Path::new(path).components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return Err(format!("`..` leads out of the policies folder; {inside}")),
        }
    }
    let file = policies_dir.join(path);
    // A missing file is reported when it is read.
    if let (Ok(real), Ok(base)) = (file.canonicalize(), policies_dir.canonicalize()) {
        if !real.starts_with(&base) {
            return Err(format!(
                "a symbolic link leads to {}, outside the policies folder; {inside}",
                real.display()
            ));
        }
    }
    Ok(file)
}

/// Reads a sample that must hold exactly one object (JSON or YAML).
pub fn read_sample(path: &Path) -> Result<Value, String> {
    let mut docs = read_sample_docs(path)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => Err("the file holds no object".into()),
        n => Err(format!(
            "the file holds {n} YAML documents; a test sample must hold one"
        )),
    }
}

/// Reads every document of a JSON or YAML file.
pub fn read_sample_docs(path: &Path) -> Result<Vec<Value>, String> {
    let text = crate::text::read_text(path).map_err(|e| format!("cannot read it ({e})"))?;
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        return serde_json::from_str(&text)
            .map(|v| vec![v])
            .map_err(|e| format!("invalid JSON at {}:{}: {e}", e.line(), e.column()));
    }
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v = Value::deserialize(doc).map_err(|e| format!("invalid YAML: {e}"))?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

fn check_keys(v: &serde_yaml::Value, spans: &SpanIndex, file: &str, d: &mut Diagnostics) {
    let Some(top) = v.as_mapping() else {
        d.error(
            Location::new(file, (1, 1)),
            "a rule file must be a YAML mapping",
            "start with `id: …`, `name: …`",
        );
        return;
    };
    check_map(top, "", TOP_KEYS, spans, file, d);
    if let Some(m) = top.get("azure").and_then(|a| a.as_mapping()) {
        check_map(m, "azure", AZURE_KEYS, spans, file, d);
    }
    if let Some(m) = top.get("kubernetes").and_then(|a| a.as_mapping()) {
        check_map(m, "kubernetes", KUBERNETES_KEYS, spans, file, d);
    }
    if let Some(tests) = top.get("tests").and_then(|a| a.as_sequence()) {
        for (i, t) in tests.iter().enumerate() {
            if let Some(m) = t.as_mapping() {
                check_map(m, &format!("tests.{i}"), TEST_KEYS, spans, file, d);
                if let Some(e) = m.get("expect").and_then(|e| e.as_mapping()) {
                    check_map(e, &format!("tests.{i}.expect"), EXPECT_KEYS, spans, file, d);
                }
            }
        }
    }
}

fn check_map(
    m: &serde_yaml::Mapping,
    path: &str,
    known: &[&str],
    spans: &SpanIndex,
    file: &str,
    d: &mut Diagnostics,
) {
    for k in m.keys() {
        let Some(k) = k.as_str() else { continue };
        if !known.contains(&k) {
            let full = if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            };
            let suggestion = crate::suggest::closest(k, known.iter().map(|c| (*c, c)), 3);
            let help = match suggestion {
                Some(s) => format!("did you mean `{s}`? Known keys here: {}", known.join(", ")),
                None => format!("remove it; known keys here: {}", known.join(", ")),
            };
            d.error(
                Location::new(file, spans.nearest_key(&full)),
                format!("unknown key `{k}`"),
                help,
            );
        }
    }
}

fn yaml_location(file: &str, e: &serde_yaml::Error) -> Location {
    match e.location() {
        Some(l) => Location::new(file, (l.line(), l.column())),
        None => Location::new(file, (1, 1)),
    }
}

/// serde_yaml appends " at line N column M"; the location is printed up front instead.
fn strip_location(e: &serde_yaml::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Every `field` the condition reads — condition left sides, `count.field`,
/// and `field('…')` / `current('…')` inside expressions — with its YAML path.
pub fn collect_fields(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{path}.{k}");
                if k == "field" {
                    if let Value::String(s) = child {
                        if !s.starts_with('[') {
                            out.push((p.clone(), s.clone()));
                        }
                    }
                }
                collect_fields(child, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                collect_fields(child, &format!("{path}.{i}"), out);
            }
        }
        Value::String(s) if s.starts_with('[') && !s.starts_with("[[") => {
            static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            let re = RE.get_or_init(|| {
                regex::Regex::new(r"\b(?:field|current)\(\s*'([^']+)'\s*\)").unwrap()
            });
            for c in re.captures_iter(s) {
                out.push((path.to_string(), c[1].to_string()));
            }
        }
        _ => {}
    }
}

/// Fields Azure Policy provides without an alias.
pub fn is_builtin_field(f: &str) -> bool {
    let l = f.to_ascii_lowercase();
    matches!(l.as_str(), "name" | "fullname" | "kind" | "type" | "location" | "id" | "tags" | "identity" | "apiversion")
        || l.starts_with("identity.")
        || l.starts_with("tags[")
        || l.starts_with("tags.")
        // `current('name')` of a value count is a loop name, not an alias.
        || !l.contains('/')
}

/// Resource types the condition pins with `field: type` + `equals` / `in`.
fn condition_types(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if m.get("field")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f.eq_ignore_ascii_case("type"))
                {
                    if let Some(Value::String(t)) = m.get("equals") {
                        out.push(t.clone());
                    }
                    if let Some(Value::Array(ts)) = m.get("in") {
                        out.extend(ts.iter().filter_map(|t| t.as_str().map(String::from)));
                    }
                }
                m.values().for_each(|c| walk(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

fn nearest_alias(field: &str, aliases: &AliasCatalog) -> Option<String> {
    let f = field.to_ascii_lowercase();
    crate::suggest::closest(&f, aliases.names.iter().map(|(l, n)| (l.as_str(), n)), 4).cloned()
}

/// Longest template kind: its lower-case form is the CRD's plural, a DNS label.
pub const MAX_KIND_LEN: usize = 63;

/// Length limit of the template kind, reported at its place rather than as a
/// failed apply later. (Rule names are bounded by their grammar in `names`.)
fn check_lengths(kind: Option<&str>, at: &dyn Fn(&str) -> Location, d: &mut Diagnostics) {
    if let Some(kind) = kind {
        let n = kind.chars().count();
        if n > MAX_KIND_LEN {
            d.error(
                at("kubernetes.kind"),
                format!("template kind is {n} characters long; the limit is {MAX_KIND_LEN}"),
                "shorten the kind (Gatekeeper makes it the CRD's plural, a DNS label)",
            );
        }
    }
}

pub fn is_guid(s: &str) -> bool {
    crate::names::is_guid(s)
}

/// Ids and names against `crate::names` (they become resource names, file
/// names, ARM expression arguments and words of deploy.sh); free text that
/// deploy.sh passes to `az` must not hold NUL.
fn check_names(
    raw: &RawRule,
    config: &Config,
    at: &dyn Fn(&str) -> Location,
    at_key: &dyn Fn(&str) -> Location,
    d: &mut Diagnostics,
) {
    use crate::names::{text_problem, Grammar, CONTROL_ID, PARAMETER, SLUG};
    let mut check = |loc: Location, v: &str, g: &Grammar| {
        if let Some(p) = g.problem(v) {
            d.error(loc, p, g.allowed);
        }
    };
    check(at("id"), &raw.id, &CONTROL_ID);
    check(at("name"), &raw.name, &SLUG);
    // With areas configured the area must be one of their keys (checked in book.toml).
    if config
        .policybook
        .as_ref()
        .is_none_or(|p| p.areas.is_empty())
    {
        check(at("area"), &raw.area, &SLUG);
    }
    let azure = raw
        .azure
        .iter()
        .flat_map(|a| a.parameters.keys().map(|k| ("azure", k)));
    let kubernetes = raw
        .kubernetes
        .iter()
        .flat_map(|k| k.parameters.keys().map(|p| ("kubernetes", p)));
    for (section, k) in azure.chain(kubernetes) {
        check(at_key(&format!("{section}.parameters.{k}")), k, &PARAMETER);
    }
    for (key, v) in [
        ("title", &raw.title),
        ("summary", &raw.summary),
        ("version", &raw.version),
    ] {
        if let Some(p) = text_problem(&format!("`{key}`"), v) {
            d.error(at(key), p, "remove the NUL (`\\0`) from the text");
        }
    }
}

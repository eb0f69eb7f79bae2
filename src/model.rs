//! The in-memory model every output is computed from. Built by `source`, read by
//! `azure`, `gatekeeper`, `test`, `site` and `check`; nothing here does I/O.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::config::Config;
pub use crate::diagnostics::Location;
use crate::spans::SpanIndex;

/// Everything one `policybook` run knows about the project.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Project root (the folder holding book.toml).
    pub root: PathBuf,
    pub config: Config,
    /// Rules sorted by control id.
    pub rules: Vec<Rule>,
    /// The alias catalog (provider shape) the Azure rules are compiled against.
    pub aliases: AliasCatalog,
}

impl Bundle {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One control: the unit of the catalog, of the policy set and of the handbook.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Control id, e.g. `AKS-01`.
    pub id: String,
    /// Slug used for file names, URLs and Gatekeeper names, e.g. `aks-managed-identity`.
    pub name: String,
    pub title: String,
    /// Initiative group and handbook section; a key of `config.policybook.areas`.
    pub area: String,
    pub severity: Severity,
    /// Semver of the rule, `metadata.version` of its definitions.
    pub version: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// Markdown.
    pub rationale: String,
    /// Markdown.
    pub remediation: String,
    pub checklist: String,
    /// GUID of the equivalent Azure built-in definition, if one exists.
    pub builtin: Option<String>,
    pub azure: Option<AzureRule>,
    pub kubernetes: Option<KubernetesRule>,
    pub tests: Vec<TestCase>,
    /// Where the rule was read from (line 1, column 1 of its file).
    pub location: Location,
    /// Places of every key and value in the rule file, for later stages' messages.
    pub spans: std::sync::Arc<SpanIndex>,
}

impl Rule {
    /// The place of the value at a dotted path in the rule file (`azure.if`, `tests.2.resource`).
    pub fn locate(&self, path: &str) -> Location {
        Location::new(self.location.file.clone(), self.spans.nearest(path))
    }
}

/// The ARM-level half of a rule: becomes one Azure Policy definition.
#[derive(Debug, Clone)]
pub struct AzureRule {
    /// `Indexed` or `All`.
    pub mode: String,
    /// Allowed effects; the first is the default.
    pub effects: Vec<String>,
    /// Extra Azure parameters (name → Azure parameter definition), in source order.
    pub parameters: Map<String, Value>,
    /// The policy rule's `if` condition, as written.
    pub condition: Value,
}

impl AzureRule {
    pub fn default_effect(&self) -> &str {
        self.effects.first().map(String::as_str).unwrap_or("Audit")
    }
}

/// The in-cluster half of a rule: becomes a ConstraintTemplate and a Constraint.
#[derive(Debug, Clone)]
pub struct KubernetesRule {
    /// CRD kind of the template, e.g. `K8sAzureNoPodIdentity`.
    pub kind: String,
    /// The constraint's `spec.match`, as written.
    pub match_: Value,
    /// `deny`, `dryrun` or `warn`.
    pub enforcement_action: String,
    /// Parameter name → OpenAPI v3 schema (may carry `default`), in source order.
    pub parameters: Map<String, Value>,
    pub rego: String,
    /// Extra Rego modules (packages under `lib.`).
    pub libs: Vec<String>,
}

impl KubernetesRule {
    /// The Azure Policy add-on refuses templates that read `data.inventory`;
    /// such rules ship as Gatekeeper-only.
    pub fn uses_inventory(&self) -> bool {
        self.rego.contains("data.inventory")
            || self.libs.iter().any(|l| l.contains("data.inventory"))
    }

    /// The constraint's parameters: every parameter that declares a default.
    pub fn default_parameters(&self) -> Map<String, Value> {
        self.parameters
            .iter()
            .filter_map(|(k, schema)| schema.get("default").map(|d| (k.clone(), d.clone())))
            .collect()
    }
}

/// One test case of a rule.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub input: TestInput,
    /// Extra objects for `data.inventory` (Kubernetes tests only).
    pub inventory: Vec<Value>,
    /// Parameter overrides (Azure parameters or constraint parameters).
    pub parameters: Map<String, Value>,
    pub expect: Expectation,
    /// Where the case starts in the rule file.
    pub location: Location,
}

#[derive(Debug, Clone)]
pub enum TestInput {
    /// An ARM resource or Kubernetes object read from a file under the policies folder.
    File {
        /// Path as written in the rule, relative to the policies folder.
        path: String,
        value: Value,
    },
    /// An object written inline in the rule.
    Inline(Value),
}

impl TestInput {
    pub fn value(&self) -> &Value {
        match self {
            TestInput::File { value, .. } | TestInput::Inline(value) => value,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// Azure: the definition fires with this effect (compared ignoring case).
    Effect(String),
    /// Azure: the definition does not fire.
    NoEffect,
    /// Kubernetes: the constraint yields violations.
    Violations {
        count: ViolationCount,
        /// Unanchored, case-sensitive regex some violation message must match.
        message: Option<String>,
    },
}

impl Expectation {
    pub fn is_kubernetes(&self) -> bool {
        matches!(self, Expectation::Violations { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationCount {
    Yes,
    No,
    Exactly(usize),
}

impl ViolationCount {
    /// `violations:` as rule files and gator suites write it: `yes`/`true`,
    /// `no`/`false` or a non-negative whole number. `None` for anything else.
    pub fn parse(v: &Value) -> Option<ViolationCount> {
        match v {
            Value::String(s) if s == "yes" => Some(ViolationCount::Yes),
            Value::String(s) if s == "no" => Some(ViolationCount::No),
            Value::Bool(true) => Some(ViolationCount::Yes),
            Value::Bool(false) => Some(ViolationCount::No),
            Value::Number(n) => n.as_u64().map(|n| ViolationCount::Exactly(n as usize)),
            _ => None,
        }
    }

    /// Whether `n` violations (those matching the message, if any) satisfy the count.
    pub fn holds(self, n: usize) -> bool {
        match self {
            ViolationCount::Yes => n >= 1,
            ViolationCount::No => n == 0,
            ViolationCount::Exactly(k) => n == k,
        }
    }
}

/// The alias catalog: raw provider-shape JSON (for regorus) plus a lower-cased
/// name index for validation.
#[derive(Debug, Clone, Default)]
pub struct AliasCatalog {
    /// Path the catalog was read from, relative to the project root.
    pub path: String,
    pub json: String,
    /// Lower-cased alias name → alias name as spelled in the catalog.
    pub names: std::collections::BTreeMap<String, String>,
    /// Lower-cased resource types (`microsoft.containerservice/managedclusters`).
    pub resource_types: std::collections::BTreeSet<String>,
}

impl AliasCatalog {
    pub fn contains(&self, alias: &str) -> bool {
        self.names.contains_key(&alias.to_ascii_lowercase())
    }
}

/// Resource types that support neither tags nor location, so Azure skips them
/// in `Indexed` mode (lower-case). Types not listed are assumed indexed.
const NOT_INDEXED_TYPES: &[&str] = &[
    "microsoft.authorization/roleassignments",
    "microsoft.authorization/roledefinitions",
    "microsoft.authorization/locks",
    "microsoft.authorization/policyassignments",
    "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials",
    "microsoft.containerregistry/registries/tokens",
    "microsoft.containerregistry/registries/scopemaps",
    "microsoft.containerservice/managedclusters/agentpools",
    "microsoft.keyvault/vaults/accesspolicies",
    "microsoft.keyvault/vaults/secrets",
];

/// Whether a definition in `Indexed` mode is evaluated for resources of this type.
pub fn indexed_mode_reaches(resource_type: &str) -> bool {
    !NOT_INDEXED_TYPES.contains(&resource_type.to_ascii_lowercase().as_str())
}

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
    /// Stages, environments and exemptions (see `Rollout`).
    pub rollout: Rollout,
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
    /// The rule's own `rollout:` stage, when it sets one (see `Rollout::stage_of`).
    pub rollout: Option<Stage>,
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
    /// Allowed effects; the first is the default (the rule's stage's effect when allowed).
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
    /// `deny`, `dryrun` or `warn`: the rule's default stage (`Stage::enforcement_action`).
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

// ------------------------------------------------------------------ rollout

/// How hard a control bites: one setting that every output translates.
/// `[policybook] rollout` sets the default, a rule's `rollout:` key its own,
/// an environment's `rollout` and `overrides` theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Stage {
    /// Report only: Azure `Audit`, Gatekeeper `dryrun`.
    #[default]
    Audit,
    /// Tell the deployer, still admit: Azure `Audit` (Azure has no warn), Gatekeeper `warn`.
    Warn,
    /// Block: Azure `Deny`, Gatekeeper `deny`.
    Enforce,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Audit, Stage::Warn, Stage::Enforce];

    /// `audit`, `warn` or `enforce` (exact, lower case, as written in book.toml and rules).
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Audit => "audit",
            Stage::Warn => "warn",
            Stage::Enforce => "enforce",
        }
    }

    /// The default `effect` of ARM-level and `Microsoft.Kubernetes.Data` definitions.
    pub fn azure_effect(self) -> &'static str {
        match self {
            Stage::Audit | Stage::Warn => "Audit",
            Stage::Enforce => "Deny",
        }
    }

    /// The Gatekeeper constraint's `spec.enforcementAction`.
    pub fn enforcement_action(self) -> &'static str {
        match self {
            Stage::Audit => "dryrun",
            Stage::Warn => "warn",
            Stage::Enforce => "deny",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rollout settings of the project: the default stage, the environments and
/// the exemptions, checked by `source::rollout` (every reference resolved).
#[derive(Debug, Clone, Default)]
pub struct Rollout {
    /// `[policybook] rollout`, `audit` when absent.
    pub default: Stage,
    /// `[policybook.environments.<name>]`, sorted by name.
    pub environments: Vec<Environment>,
    /// The exemptions file's entries, in file order.
    pub exemptions: Vec<Exemption>,
    /// The exemptions file, relative to the project root, when it exists.
    pub exemptions_file: Option<String>,
}

impl Rollout {
    /// The stage of a rule in the default build (no environment): its own `rollout:`
    /// or the project default.
    pub fn stage_of(&self, rule: &Rule) -> Stage {
        rule.rollout.unwrap_or(self.default)
    }

    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// The exemptions of one environment, in file order.
    pub fn exemptions_of<'a>(&'a self, env: &'a str) -> impl Iterator<Item = &'a Exemption> + 'a {
        self.exemptions.iter().filter(move |x| x.environment == env)
    }
}

/// One `[policybook.environments.<name>]` table.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The table's key: a slug (file names, EPAC selectors, kustomize overlay folders).
    pub name: String,
    /// Management group or subscription resource id the assignment is made at:
    /// `/providers/Microsoft.Management/managementGroups/<id>` or `/subscriptions/<guid>`.
    pub scope: String,
    /// Resource ids under `scope` the assignment leaves out.
    pub not_scopes: Vec<String>,
    /// The environment's default stage; the project default when absent.
    pub stage: Stage,
    /// Control id → stage, beating everything else.
    pub overrides: std::collections::BTreeMap<String, Stage>,
    /// Where the table starts in book.toml.
    pub location: Location,
}

impl Environment {
    /// The stage of `rule` here: an override for its control id, else the rule's
    /// own `rollout:`, else the environment's `rollout`, else the project default
    /// (already folded into `stage` when the environment sets none).
    pub fn stage_of(&self, rule: &Rule) -> Stage {
        self.overrides
            .get(&rule.id)
            .copied()
            .or(rule.rollout)
            .unwrap_or(self.stage)
    }

    /// Whether the scope is a management group (else a subscription).
    pub fn is_management_group(&self) -> bool {
        self.scope
            .to_ascii_lowercase()
            .starts_with("/providers/microsoft.management/managementgroups/")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExemptionCategory {
    Waiver,
    Mitigated,
}

impl ExemptionCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ExemptionCategory::Waiver => "Waiver",
            ExemptionCategory::Mitigated => "Mitigated",
        }
    }
}

/// Where an exemption applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExemptionScope {
    /// An Azure resource id inside the environment's scope (subscription, resource
    /// group or resource): a `Microsoft.Authorization/policyExemptions` resource.
    Azure(String),
    /// A Kubernetes namespace (Kubernetes controls only): `excludedNamespaces` of the
    /// environment's Gatekeeper overlay and of its `Microsoft.Kubernetes.Data` parameters.
    Namespace(String),
}

/// One entry of the exemptions file.
#[derive(Debug, Clone)]
pub struct Exemption {
    /// Slug, unique in the file: the exemption resource's name.
    pub name: String,
    /// Control ids (existing rules), as written.
    pub controls: Vec<String>,
    /// An environment name of book.toml.
    pub environment: String,
    pub scope: ExemptionScope,
    pub category: ExemptionCategory,
    /// `YYYY-MM-DD`, today or later when loaded; expires at the end of that day (UTC).
    pub expires: String,
    pub justification: String,
    pub owner: String,
    /// Where the entry starts in the exemptions file.
    pub location: Location,
}

impl Exemption {
    /// `expiresOn` as ARM and az take it: the end of the `expires` day, UTC.
    pub fn expires_on(&self) -> String {
        format!("{}T23:59:59Z", self.expires)
    }
}

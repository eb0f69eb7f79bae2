//! Azure cases: the *generated* definition JSON compiled once by regorus's Azure
//! Policy compiler, then run on each ARM resource in a fresh VM.

use std::sync::Arc;

use rayon::prelude::*;
use regorus::languages::azure_policy::aliases::{normalizer, AliasRegistry};
use regorus::rvm::program::Program;
use regorus::rvm::RegoVM;
use regorus::Rc;
use serde_json::{json, Map, Value};

use super::results::{CaseResult, Filter, Outcome, Target};
use crate::azure;
use crate::model::{self, Bundle, Expectation, Rule};

/// A compiled definition, ready to run on many resources.
pub struct CompiledDefinition {
    pub program: Arc<Program>,
    pub mode: String,
    /// Parameter defaults of the definition.
    pub defaults: Map<String, Value>,
}

/// Why a definition could not be compiled or run on a resource.
#[derive(Debug, thiserror::Error)]
pub enum AzureEvalError {
    /// regorus's Azure Policy compiler rejected the definition.
    #[error("{0}")]
    Compile(azure::CompileError),
    /// The VM failed on the resource (regorus's message).
    #[error("{0}")]
    Run(String),
    /// The definition gave something other than `{effect: …}`.
    #[error("unexpected result {0}")]
    UnexpectedResult(regorus::Value),
}

/// What a definition did with one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The `if` matched: this effect applies.
    Effect(String),
    /// The `if` did not match.
    NoMatch,
    /// Azure would not evaluate this resource in the definition's mode.
    OutOfMode,
}

impl Verdict {
    pub fn effect(&self) -> Option<&str> {
        match self {
            Verdict::Effect(e) => Some(e),
            _ => None,
        }
    }
}

pub struct Evaluator {
    registry: Rc<AliasRegistry>,
    /// Normalised resources by their JSON text: normalising through the alias
    /// registry costs far more than evaluating, and suites reuse the same samples
    /// across many rules.
    normalized: std::sync::RwLock<std::collections::HashMap<String, regorus::Value>>,
    /// Control id → compiled ARM definition (compile errors kept to report per case).
    compiled: std::collections::BTreeMap<String, Result<CompiledDefinition, AzureEvalError>>,
}

impl Evaluator {
    /// Compiles the ARM definition of every rule once.
    pub fn new(bundle: &Bundle) -> anyhow::Result<Evaluator> {
        let registry = azure::alias_registry(&bundle.aliases)?;
        let compiled = bundle
            .rules
            .par_iter()
            .filter_map(|r| r.azure.as_ref().map(|a| (r, a)))
            .map(|(rule, a)| {
                let def = azure::definition_json(bundle, rule, a);
                (
                    rule.id.clone(),
                    compile_definition(&rule.name, &def, &registry),
                )
            })
            .collect();
        Ok(Evaluator {
            registry,
            compiled,
            normalized: Default::default(),
        })
    }

    pub fn definition(&self, control_id: &str) -> Option<&CompiledDefinition> {
        self.compiled.get(control_id).and_then(|r| r.as_ref().ok())
    }

    /// Runs a compiled definition on an ARM resource.
    pub fn evaluate(
        &self,
        def: &CompiledDefinition,
        resource: &Value,
        overrides: &Map<String, Value>,
    ) -> Result<Verdict, AzureEvalError> {
        if out_of_mode(def, resource) {
            return Ok(Verdict::OutOfMode);
        }
        let normalized = self.normalize(resource);
        evaluate_normalized(def, normalized, resource, overrides)
    }

    /// A probe of one condition of a definition (`definition` as
    /// `azure::definition_json` writes it): the same definition with `condition`
    /// as its whole `if` and a fixed `audit` effect, so that it fires exactly
    /// when the condition holds. Coverage evaluates each leaf this way.
    pub fn compile_probe(
        &self,
        definition: &Value,
        condition: &Value,
    ) -> Result<CompiledDefinition, AzureEvalError> {
        let mut def = definition.clone();
        def["properties"]["policyRule"] = json!({"if": condition, "then": {"effect": "audit"}});
        let name = def["name"].as_str().unwrap_or("probe").to_string();
        compile_definition(&name, &def, &self.registry)
    }

    /// Whether a probe's condition holds on a resource (`None`: the mode gate
    /// keeps Azure from evaluating the resource at all).
    pub fn holds(
        &self,
        probe: &CompiledDefinition,
        resource: &Value,
        overrides: &Map<String, Value>,
    ) -> Result<Option<bool>, AzureEvalError> {
        Ok(match self.evaluate(probe, resource, overrides)? {
            Verdict::Effect(_) => Some(true),
            Verdict::NoMatch => Some(false),
            Verdict::OutOfMode => None,
        })
    }

    /// A runner for resources seen once (`check`), to use on one thread.
    pub fn runner(&self) -> Runner<'_> {
        Runner {
            evaluator: self,
            vms: Default::default(),
        }
    }

    /// The resource as regorus's normaliser shapes it, from the cache when seen before.
    fn normalize(&self, resource: &Value) -> regorus::Value {
        let key = resource.to_string();
        if let Some(v) = self.normalized.read().expect("cache lock").get(&key) {
            return v.clone();
        }
        let v = normalize(&self.registry, resource);
        self.normalized
            .write()
            .expect("cache lock")
            .insert(key, v.clone());
        v
    }

    /// Runs the rule's Azure cases (those expecting an effect or none), in parallel.
    pub fn run_rule(&self, rule: &Rule, filter: &Filter) -> Vec<CaseResult> {
        let compiled = self.compiled.get(&rule.id);
        rule.tests
            .par_iter()
            .enumerate()
            .filter(|(_, t)| !t.expect.is_kubernetes() && filter.selects(rule, &t.name))
            .map(|(index, t)| {
                let expected = match &t.expect {
                    Expectation::Effect(e) => e.clone(),
                    _ => "none".to_string(),
                };
                let mut result = CaseResult {
                    rule_id: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    case: t.name.clone(),
                    index,
                    target: Target::Azure,
                    outcome: Outcome::Error,
                    expected: expected.clone(),
                    got: String::new(),
                    messages: vec![],
                    location: t.location.to_string(),
                };
                let def = match compiled {
                    Some(Ok(d)) => d,
                    Some(Err(e)) => {
                        result.got = "compile error".into();
                        result.messages.push(e.to_string());
                        return result;
                    }
                    None => {
                        result.got = "no Azure definition".into();
                        return result;
                    }
                };
                match self.evaluate(def, t.input.value(), &t.parameters) {
                    Ok(v) => {
                        result.got = match &v {
                            Verdict::Effect(e) => e.clone(),
                            Verdict::NoMatch => "none".into(),
                            Verdict::OutOfMode => {
                                result.messages.push(format!(
                                    "mode {} does not evaluate this resource type",
                                    def.mode
                                ));
                                "none".into()
                            }
                        };
                        result.outcome = if result.got.eq_ignore_ascii_case(&expected) {
                            Outcome::Pass
                        } else {
                            Outcome::Fail
                        };
                    }
                    Err(e) => {
                        result.got = "evaluation error".into();
                        result.messages.push(e.to_string());
                    }
                }
                result
            })
            .collect()
    }
}

/// Runs definitions on resources seen once (`check`): nothing is cached per
/// resource, but each definition's VM is loaded once (loading a program costs
/// more than running it) and each resource is normalised once for all of them.
pub struct Runner<'e> {
    evaluator: &'e Evaluator,
    /// Control id → a VM with the definition loaded, and its default parameters.
    vms: std::collections::HashMap<String, (RegoVM, regorus::Value)>,
}

impl Runner<'_> {
    /// The verdicts of the definitions of `ids`, in that order; ids without a
    /// compiled definition are skipped.
    pub fn verdicts<'i>(
        &mut self,
        ids: impl IntoIterator<Item = &'i str>,
        resource: &Value,
    ) -> Vec<(&'i str, Result<Verdict, AzureEvalError>)> {
        let mut normalized = None;
        let mut context = None;
        let mut out = Vec::new();
        for id in ids {
            let Some(def) = self.evaluator.definition(id) else {
                continue;
            };
            if out_of_mode(def, resource) {
                out.push((id, Ok(Verdict::OutOfMode)));
                continue;
            }
            let normalized = normalized
                .get_or_insert_with(|| normalize(&self.evaluator.registry, resource))
                .clone();
            let context = context
                .get_or_insert_with(|| regorus::Value::from(context_for(resource)))
                .clone();
            if !self.vms.contains_key(id) {
                let mut vm = RegoVM::new();
                vm.load_program(Arc::clone(&def.program));
                let params = regorus::Value::from(Value::Object(def.defaults.clone()));
                self.vms.insert(id.to_string(), (vm, params));
            }
            let (vm, params) = self.vms.get_mut(id).expect("inserted above");
            out.push((id, run_in(vm, normalized, params.clone(), context)));
        }
        out
    }
}

/// Compiles a definition (`{name, properties}` JSON) with the alias registry.
pub fn compile_definition(
    name: &str,
    def: &Value,
    registry: &Rc<AliasRegistry>,
) -> Result<CompiledDefinition, AzureEvalError> {
    let text = serde_json::to_string(def).expect("serialisable");
    let program = azure::compile(name, &text, registry).map_err(AzureEvalError::Compile)?;
    let props = &def["properties"];
    let defaults = props["parameters"]
        .as_object()
        .map(|ps| {
            ps.iter()
                .filter_map(|(k, p)| p.get("defaultValue").map(|d| (k.clone(), d.clone())))
                .collect()
        })
        .unwrap_or_default();
    Ok(CompiledDefinition {
        program,
        mode: props["mode"].as_str().unwrap_or("Indexed").to_string(),
        defaults,
    })
}

/// Azure's mode gate: an `Indexed` definition never sees types without tags and location.
fn out_of_mode(def: &CompiledDefinition, resource: &Value) -> bool {
    let rtype = resource
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    def.mode.eq_ignore_ascii_case("Indexed") && !model::indexed_mode_reaches(rtype)
}

/// An ARM resource normalised through the alias registry, with its API version.
pub fn normalize(registry: &AliasRegistry, resource: &Value) -> regorus::Value {
    let api_version = resource.get("apiVersion").and_then(Value::as_str);
    // Converted from the borrowed value: as `From` does, without a deep copy first.
    let raw = serde::Deserialize::deserialize(resource).unwrap_or(regorus::Value::Undefined);
    let mut normalized = normalizer::normalize(&raw, Some(registry), api_version);
    if let Some(v) = api_version {
        if let Ok(m) = normalized.as_object_mut() {
            m.insert(regorus::Value::from("apiversion"), regorus::Value::from(v));
        }
    }
    normalized
}

/// One evaluation in a fresh VM, with Azure's mode gate applied first.
pub fn evaluate(
    def: &CompiledDefinition,
    registry: &AliasRegistry,
    resource: &Value,
    overrides: &Map<String, Value>,
) -> Result<Verdict, AzureEvalError> {
    if out_of_mode(def, resource) {
        return Ok(Verdict::OutOfMode);
    }
    evaluate_normalized(def, normalize(registry, resource), resource, overrides)
}

fn evaluate_normalized(
    def: &CompiledDefinition,
    normalized: regorus::Value,
    resource: &Value,
    overrides: &Map<String, Value>,
) -> Result<Verdict, AzureEvalError> {
    let mut params = def.defaults.clone();
    for (k, v) in overrides {
        params.insert(k.clone(), v.clone());
    }
    let mut vm = RegoVM::new();
    vm.load_program(Arc::clone(&def.program));
    run_in(
        &mut vm,
        normalized,
        regorus::Value::from(Value::Object(params)),
        regorus::Value::from(context_for(resource)),
    )
}

/// One run of the definition loaded in `vm` (a VM resets its state per run).
fn run_in(
    vm: &mut RegoVM,
    normalized: regorus::Value,
    params: regorus::Value,
    context: regorus::Value,
) -> Result<Verdict, AzureEvalError> {
    let mut input = regorus::Value::new_object();
    {
        let m = input
            .as_object_mut()
            .map_err(|e| AzureEvalError::Run(e.to_string()))?;
        m.insert(regorus::Value::from("resource"), normalized);
        m.insert(regorus::Value::from("parameters"), params);
    }
    vm.set_input(input);
    vm.set_context(context);
    let out = vm
        .execute_entry_point_by_name("main")
        .map_err(|e| AzureEvalError::Run(e.to_string()))?;
    if out == regorus::Value::Undefined {
        return Ok(Verdict::NoMatch);
    }
    let effect = out["effect"]
        .as_string()
        .map(|s| s.to_string())
        .map_err(|_| AzureEvalError::UnexpectedResult(out.clone()))?;
    Ok(Verdict::Effect(effect))
}

/// `resourceGroup()` / `subscription()` for a resource: taken from its id when it has one.
fn context_for(resource: &Value) -> Value {
    let id = resource
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parts: Vec<&str> = id.split('/').collect();
    let after = |key: &str| {
        parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case(key))
            .and_then(|i| parts.get(i + 1))
            .map(|s| s.to_string())
    };
    json!({
        "resourceGroup": {
            "name": after("resourceGroups").unwrap_or_else(|| "rg".into()),
            "location": resource.get("location").and_then(Value::as_str).unwrap_or("eastus"),
        },
        "subscription": {
            "subscriptionId": after("subscriptions").unwrap_or_else(|| "00000000-0000-0000-0000-000000000000".into()),
        },
    })
}

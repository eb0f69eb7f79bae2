//! Azure cases: the *generated* definition JSON compiled once by regorus's Azure
//! Policy compiler, then run on each ARM resource in a fresh VM.

use std::sync::Arc;

use rayon::prelude::*;
use regorus::languages::azure_policy::aliases::{normalizer, AliasRegistry};
use regorus::rvm::program::Program;
use regorus::rvm::RegoVM;
use regorus::Rc;
use serde_json::{json, Map, Value};

use super::{CaseResult, Filter, Outcome, Target};
use crate::azure;
use crate::model::{self, Bundle, Expectation, Rule};

/// A compiled definition, ready to run on many resources.
pub struct CompiledDefinition {
    pub program: Arc<Program>,
    pub mode: String,
    /// Parameter defaults of the definition.
    pub defaults: Map<String, Value>,
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
    compiled: std::collections::BTreeMap<String, Result<CompiledDefinition, String>>,
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
    ) -> Result<Verdict, String> {
        if out_of_mode(def, resource) {
            return Ok(Verdict::OutOfMode);
        }
        let normalized = self.normalize(resource);
        evaluate_normalized(def, normalized, resource, overrides)
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
                        result.messages.push(e.clone());
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
                        result.messages.push(e);
                    }
                }
                result
            })
            .collect()
    }
}

/// Compiles a definition (`{name, properties}` JSON) with the alias registry.
pub fn compile_definition(
    name: &str,
    def: &Value,
    registry: &Rc<AliasRegistry>,
) -> Result<CompiledDefinition, String> {
    let text = serde_json::to_string(def).expect("serialisable");
    let program = azure::compile(name, &text, registry)?;
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
    let raw = regorus::Value::from(resource.clone());
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
) -> Result<Verdict, String> {
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
) -> Result<Verdict, String> {
    let mut params = def.defaults.clone();
    for (k, v) in overrides {
        params.insert(k.clone(), v.clone());
    }
    let mut input = regorus::Value::new_object();
    {
        let m = input.as_object_mut().map_err(|e| e.to_string())?;
        m.insert(regorus::Value::from("resource"), normalized);
        m.insert(
            regorus::Value::from("parameters"),
            regorus::Value::from(Value::Object(params)),
        );
    }
    let mut vm = RegoVM::new();
    vm.load_program(Arc::clone(&def.program));
    vm.set_input(input);
    vm.set_context(regorus::Value::from(context_for(resource)));
    let out = vm
        .execute_entry_point_by_name("main")
        .map_err(|e| e.to_string())?;
    if out == regorus::Value::Undefined {
        return Ok(Verdict::NoMatch);
    }
    let effect = out["effect"]
        .as_string()
        .map(|s| s.to_string())
        .map_err(|_| format!("unexpected result {out}"))?;
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

//! Benchmark of the Azure test runner: 1,000 rule variants × 10 cases, run by
//! `policybook::runner::run`, against a bare regorus loop over the same compiled
//! programs and pre-normalised inputs. Run with `cargo bench --bench azure_tests`.
//! Prints cases per second and the ratio; a bench binary, not a timed test.

// A bench may unwrap: a panic on bad setup stops the run, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use regorus::languages::azure_policy::aliases::normalizer;
use regorus::rvm::RegoVM;

use policybook::build::load_and_validate;
use policybook::model::{Bundle, Rule, TestCase};
use policybook::runner::azure_eval::{compile_definition, Evaluator};
use policybook::runner::{run, Filter};

const VARIANTS: usize = 1_000;
const CASES: usize = 10;

/// 1,000 variants of the repository's ARM rules (new ids, so new definitions),
/// each with 10 cases cycled from its own tests.
fn variant_bundle() -> Bundle {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (mut bundle, diags) = load_and_validate(&root);
    assert!(!diags.has_errors(), "{diags}");
    let arm: Vec<Rule> = bundle
        .rules
        .iter()
        .filter(|r| r.azure.is_some())
        .cloned()
        .collect();
    let mut rules = Vec::with_capacity(VARIANTS);
    for i in 0..VARIANTS {
        let mut r = arm[i % arm.len()].clone();
        r.id = format!("{}-V{i:04}", r.id);
        r.name = format!("{}-v{i:04}", r.name);
        let tests: Vec<TestCase> = r.tests.iter().cycle().take(CASES).cloned().collect();
        r.tests = tests;
        rules.push(r);
    }
    bundle.rules = rules;
    bundle
}

fn main() {
    let bundle = variant_bundle();
    let total = VARIANTS * CASES;
    println!(
        "{} rule variants x {CASES} cases = {total} cases on {} threads",
        VARIANTS,
        rayon::current_num_threads()
    );

    // Warm-up, then best of three.
    let mut best_pb = f64::MAX;
    for _ in 0..4 {
        let t = Instant::now();
        let report = run(&bundle, &Filter::default()).unwrap();
        let dt = t.elapsed().as_secs_f64();
        assert_eq!(report.cases.len(), total);
        assert!(report.all_passed());
        best_pb = best_pb.min(dt);
    }

    // The bare loop: the same definitions compiled once, inputs normalised up front,
    // then only VM setup + execution per case, parallel over the same threads.
    let registry = policybook::azure::alias_registry(&bundle.aliases).unwrap();
    let t = Instant::now();
    let work: Vec<(Arc<regorus::rvm::program::Program>, regorus::Value)> = bundle
        .rules
        .par_iter()
        .flat_map_iter(|rule| {
            let def =
                policybook::azure::definition_json(&bundle, rule, rule.azure.as_ref().unwrap());
            let compiled = compile_definition(&rule.name, &def, &registry).unwrap();
            let registry = &registry;
            rule.tests.iter().map(move |case| {
                let raw = regorus::Value::from(case.input.value().clone());
                let normalized = normalizer::normalize(&raw, Some(registry), None);
                let mut params = compiled.defaults.clone();
                params.extend(case.parameters.clone());
                let input = regorus::Value::from(serde_json::json!({ "parameters": params }));
                let mut input = input;
                input
                    .as_object_mut()
                    .unwrap()
                    .insert(regorus::Value::from("resource"), normalized);
                (Arc::clone(&compiled.program), input)
            })
        })
        .collect();
    let prep = t.elapsed().as_secs_f64();
    let context = regorus::Value::from(serde_json::json!({
        "resourceGroup": { "name": "rg", "location": "westeurope" },
        "subscription": { "subscriptionId": "00000000-0000-0000-0000-000000000000" }
    }));
    let mut best_bare = f64::MAX;
    for _ in 0..4 {
        let t = Instant::now();
        let fired: usize = work
            .par_iter()
            .map(|(program, input)| {
                let mut vm = RegoVM::new();
                vm.load_program(Arc::clone(program));
                vm.set_input(input.clone());
                vm.set_context(context.clone());
                let out = vm.execute_entry_point_by_name("main").unwrap();
                usize::from(out != regorus::Value::Undefined)
            })
            .sum();
        assert!(fired > 0);
        best_bare = best_bare.min(t.elapsed().as_secs_f64());
    }

    // The runner's two phases separately: compile every definition once, then the cases.
    let t = Instant::now();
    let evaluator = Evaluator::new(&bundle).unwrap();
    let compile = t.elapsed().as_secs_f64();
    let mut best_cases = f64::MAX;
    for _ in 0..4 {
        let t = Instant::now();
        let n: usize = bundle
            .rules
            .par_iter()
            .map(|r| evaluator.run_rule(r, &Filter::default()).len())
            .sum();
        assert_eq!(n, total);
        best_cases = best_cases.min(t.elapsed().as_secs_f64());
    }
    println!("policybook compile phase: {compile:.3} s for {VARIANTS} definitions");
    println!(
        "policybook case phase (normalise + evaluate + judge): {best_cases:.3} s, {:.0} cases/s",
        total as f64 / best_cases
    );
    println!(
        "ratio case phase / bare: {:.2}x the time",
        best_cases / best_bare
    );

    let pb_rate = total as f64 / best_pb;
    let bare_rate = total as f64 / best_bare;
    println!(
        "policybook test runner (compile + normalise + evaluate): {:.3} s, {:.0} cases/s",
        best_pb, pb_rate
    );
    println!("bare regorus loop (evaluate only, pre-compiled, pre-normalised): {:.3} s, {:.0} cases/s (setup {:.3} s)", best_bare, bare_rate, prep);
    println!(
        "ratio policybook / bare: {:.2}x the time",
        best_pb / best_bare
    );
    println!(
        "ratio including the bare loop's setup: {:.2}x",
        best_pb / (best_bare + prep)
    );
}

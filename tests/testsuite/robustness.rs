//! Property tests: arbitrary and mutated inputs fed to every reader of hostile
//! text — the rule loader, book.toml, SUMMARY.md, Markdown with directives, the
//! highlighter and `check`'s readers. Each case must end in an error or a result,
//! never a panic or an abort, and within a time bound (a watchdog, not a timing
//! assertion: a case that hangs is reported instead of blocking CI).
//! The serve request parser has its own property test beside the serve tests.

use crate::common;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};

/// Generous: every case here takes milliseconds; only a runaway hits it.
const CASE_LIMIT: Duration = Duration::from_secs(20);

/// Runs `f` on a worker thread and fails the case if it panics or outlives
/// `CASE_LIMIT`. (A stuck worker is left behind; the test fails anyway.)
fn bounded<F: FnOnce() + Send + 'static>(what: &str, f: F) -> Result<(), TestCaseError> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(outcome.is_ok());
        })
        .expect("spawn worker");
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(true) => Ok(()),
        Ok(false) => Err(TestCaseError::fail(format!("{what}: panicked"))),
        Err(_) => Err(TestCaseError::fail(format!(
            "{what}: no result within {CASE_LIMIT:?}"
        ))),
    }
}

/// Fragments that matter to the parsers under test, spliced into valid inputs.
const SNIPPETS: &[&str] = &[
    "\u{feff}",
    "\n",
    "\r\n",
    "\t",
    "  ",
    ":",
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "#",
    "`",
    "```",
    "```rust\n",
    "~~~",
    "{{#include ",
    "{{#include a.md}}",
    "{{#table ",
    "{{#table tables/identities.yaml}}",
    "{{#include compare.md}}",
    "{{#include ../book.toml}}",
    "{{#table /etc/passwd}}",
    "{{#table ../../../etc/passwd}}",
    "{{#checklist}}",
    "{{#policy AKS-01}}",
    "}}",
    "\\",
    "../",
    "/etc/passwd",
    "%2e%2e",
    "*",
    "&a",
    "*a",
    "!!binary",
    "---\n",
    "...\n",
    "|",
    ">",
    "\u{0}",
    "\u{202e}",
    "é",
    "😀",
    "<script>",
    "](",
    "[x](",
    "<!--",
    "-->",
    "=",
    "[[",
    "]]",
    "true",
    "null",
    "0x",
    "1e999",
    "-1",
    "\"\\u0000\"",
];

/// A valid text with up to eight edits: byte insertions of snippets or
/// arbitrary strings, deletions of spans, and truncation.
fn mutated(seed: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let edit = (
        any::<usize>(),
        0u8..4,
        prop::sample::select(SNIPPETS),
        ".{0,12}",
        0usize..40,
    );
    prop::collection::vec(edit, 0..8).prop_map(move |edits| {
        let mut b = seed.as_bytes().to_vec();
        for (at, op, snippet, random, len) in edits {
            let at = if b.is_empty() { 0 } else { at % (b.len() + 1) };
            match op {
                0 => {
                    b.splice(at..at, snippet.bytes());
                }
                1 => {
                    b.splice(at..at, random.bytes());
                }
                2 => {
                    let end = (at + len).min(b.len());
                    b.drain(at..end);
                }
                _ => b.truncate(at),
            }
        }
        b
    })
}

/// Mutated valid input most of the time, arbitrary bytes sometimes.
fn hostile(seed: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => mutated(seed),
        1 => prop::collection::vec(any::<u8>(), 0..400),
    ]
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(PtConfig {
        cases,
        failure_persistence: None,
        ..PtConfig::default()
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const BOOK_TOML: &str = include_str!("../../book.toml");
const SUMMARY: &str = include_str!("../../content/SUMMARY.md");
const RULE: &str = include_str!("../fixtures/site/policy-project/policies/acr-admin.yaml");
const K8S_RULE: &str = include_str!("../fixtures/site/policy-project/policies/k8s-sa.yaml");
const CHAPTER: &str = include_str!("../fixtures/site/policy-project/content/compare.md");
const ARM: &str = include_str!("../../policies/samples/arm/acr/open-registry.json");
const MANIFESTS: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a, namespace: default}\n  spec:\n    serviceAccountName: default\n    containers: [{name: c, image: contoso.azurecr.io/app:1}]\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: sa, namespace: apps, annotations: {azure.workload.identity/client-id: x}}\n";

#[test]
fn book_toml_parser_never_panics() {
    runner(400)
        .run(&hostile(BOOK_TOML), |b| {
            let t = text(&b);
            bounded("book.toml", move || {
                let _ = policybook::config::Config::parse(&t);
            })
        })
        .unwrap();
}

#[test]
fn summary_parser_never_panics() {
    runner(400)
        .run(&hostile(SUMMARY), |b| {
            let t = text(&b);
            bounded("SUMMARY.md", move || {
                let _ = policybook::site::summary::parse(&t, "content/SUMMARY.md");
            })
        })
        .unwrap();
}

#[test]
fn highlighter_never_panics() {
    let langs = prop::sample::select(
        &[
            "rust",
            "bash",
            "sh",
            "console",
            "yaml",
            "json",
            "rego",
            "toml",
            "text",
            "powershell",
            "",
            "rust,ignore",
            "x\u{feff}",
        ][..],
    );
    let code = prop_oneof![
        mutated(ARM),
        mutated(K8S_RULE),
        mutated(BOOK_TOML),
        ".{0,200}".prop_map(String::into_bytes)
    ];
    runner(400)
        .run(&(langs, code), |(info, b)| {
            let t = text(&b);
            bounded("highlight", move || {
                let lang = policybook::site::highlight::language(info);
                let html = policybook::site::highlight::highlight(&lang, &t);
                // Whatever the input, no raw markup from it reaches the page.
                assert!(!html.contains("<script>"), "unescaped markup in {html}");
            })
        })
        .unwrap();
}

/// Writes `bytes` as one file of a copy of the policy fixture project and runs
/// the loader and every stage's validation over it.
fn load_with(rel: &str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let tmp = fixture_copy();
    std::fs::write(tmp.path().join(rel), &bytes).unwrap();
    let root = tmp.path().to_path_buf();
    bounded(rel, move || {
        let (_bundle, diags) = policybook::build::load_and_validate(&root);
        // Every error the loader reports names the file it comes from.
        let _ = diags.to_string();
    })?;
    drop(tmp);
    Ok(())
}

fn fixture_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(
        &common::repo_root().join("tests/fixtures/site/policy-project"),
        tmp.path(),
    );
    tmp
}

#[test]
fn rule_loader_never_panics_on_azure_rules() {
    runner(160)
        .run(&hostile(RULE), |b| load_with("policies/acr-admin.yaml", b))
        .unwrap();
}

#[test]
fn rule_loader_never_panics_on_kubernetes_rules() {
    runner(160)
        .run(&hostile(K8S_RULE), |b| load_with("policies/k8s-sa.yaml", b))
        .unwrap();
}

#[test]
fn project_book_toml_never_panics_the_loader() {
    let seed = include_str!("../fixtures/site/policy-project/book.toml");
    runner(120)
        .run(&hostile(seed), |b| load_with("book.toml", b))
        .unwrap();
}

/// A whole build of the fixture with one chapter replaced: Markdown rendering
/// with every directive, link rewriting, search and navigation.
#[test]
fn markdown_with_directives_never_panics() {
    runner(60)
        .run(&hostile(CHAPTER), |b| {
            let tmp = fixture_copy();
            std::fs::write(tmp.path().join("content/compare.md"), &b).unwrap();
            let root = tmp.path().to_path_buf();
            bounded("chapter", move || {
                let (bundle, diags) = policybook::build::load_and_validate(&root);
                if !diags.has_errors() {
                    let _ = policybook::build::build(&bundle);
                }
            })
        })
        .unwrap();
}

fn check_file(name: &str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    bounded(name, move || {
        let _ = policybook::check::read_inputs(Path::new(&path));
    })
}

#[test]
fn check_readers_never_panic() {
    runner(300)
        .run(&hostile(ARM), |b| check_file("resources.json", b))
        .unwrap();
    runner(300)
        .run(&hostile(MANIFESTS), |b| check_file("cluster.yaml", b))
        .unwrap();
}

//! Helpers shared by the integration tests: the repository root, temporary
//! project copies, running the CLI, and offline JSON-schema validation.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the named top-level entries of the repository into a fresh temp folder.
pub(crate) fn copy_project(entries: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    for e in entries {
        copy_tree(&repo_root().join(e), &tmp.path().join(e));
    }
    tmp
}

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
        return;
    }
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the policybook binary with `--root root`.
pub(crate) fn policybook(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run policybook");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Starts `policybook --root root build` with stderr piped and stdout discarded.
pub(crate) fn spawn_build(root: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_policybook"))
        .arg("--root")
        .arg(root)
        .arg("build")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run policybook")
}

/// Builds the Azure outputs of the project at `root` (which must load without a
/// problem) through the library into a temp folder; returns it and its `dist/`.
pub(crate) fn build_azure_at(root: &Path) -> (tempfile::TempDir, PathBuf) {
    let (bundle, diags) = policybook::build::load_and_validate(root);
    assert!(
        !diags.has_errors(),
        "{} loads cleanly:\n{diags}",
        root.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let staging = policybook::output::Staging::new(&dist).unwrap();
    policybook::azure::artifacts(&bundle)
        .write_to(staging.path())
        .unwrap();
    staging.commit().unwrap();
    (tmp, dist)
}

pub(crate) fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Loads a schema from tests/schemas, replacing the remote references the Azure
/// schemas make with local equivalents (see tests/schemas/README.md).
pub(crate) fn schema(rel: &str) -> Value {
    let mut v = read_json(&repo_root().join("tests/schemas").join(rel));
    // The rule schema pairs `expression` with exclusive alternatives (an effect
    // enum), so there it is the real thing: a string in single brackets.
    let expression = if rel.contains("policyDefinition.") {
        serde_json::json!({ "type": "string", "pattern": "^\\[[^\\[].*\\]$" })
    } else {
        serde_json::json!({ "not": {} })
    };
    localise_refs(&mut v, &expression);
    v
}

fn localise_refs(v: &mut Value, expression: &Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                if r.ends_with("common/definitions.json#/definitions/expression") {
                    // Every use is `oneOf: [<typed schema>, expression]`; the typed branch
                    // often accepts any value (`{}`), so a matching expression branch would
                    // make `oneOf` fail on every ARM expression. Never matching keeps the
                    // typed branch as the one that decides.
                    m.remove("$ref");
                    for (k, x) in expression.as_object().unwrap() {
                        m.insert(k.clone(), x.clone());
                    }
                } else if r.contains("Microsoft.Resources.Deployments.json") {
                    m.remove("$ref");
                    m.insert("type".into(), Value::String("object".into()));
                }
            }
            m.values_mut().for_each(|x| localise_refs(x, expression));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| localise_refs(x, expression)),
        _ => {}
    }
}

/// Validates `instance` against `schema` (optionally through a `$ref` inside it);
/// returns the error messages.
pub(crate) fn validate(schema: &Value, pointer: Option<&str>, instance: &Value) -> Vec<String> {
    let mut root = schema.clone();
    if let Some(p) = pointer {
        root["allOf"] = serde_json::json!([{ "$ref": format!("#{p}") }]);
    }
    let validator = jsonschema::validator_for(&root).expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every file below `root`: relative path → bytes, sorted.
pub(crate) fn read_tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A valid Azure rule; tests break or change one thing in it.
pub(crate) const GOOD_RULE: &str = r#"id: TST-01
name: test-local-accounts
title: Local accounts are disabled
area: cluster-access
severity: high
summary: Test rule.
checklist: Local accounts are disabled.
azure:
  mode: Indexed
  effects: [Audit, Deny, Disabled]
  if:
    allOf:
      - field: type
        equals: Microsoft.ContainerService/managedClusters
      - field: Microsoft.ContainerService/managedClusters/disableLocalAccounts
        notEquals: true
tests:
  - name: service principal cluster
    resource: samples/arm/aks/service-principal-cluster.json
    expect: Audit
"#;

/// An ARM template: a registry at 5:5 (breaks ACR-01), an identity at 10:5 and its
/// child credential at 13:9 (breaks FIC-01).
pub(crate) const ARM_TEMPLATE: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2023-07-01", "name": "acrdev",
      "location": "westeurope", "sku": {"name": "Standard"},
      "properties": {"adminUserEnabled": true, "policies": {"azureADAuthenticationAsArmPolicy": {"status": "disabled"}}}
    },
    {
      "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "id-app", "location": "westeurope",
      "resources": [
        {"type": "federatedIdentityCredentials", "apiVersion": "2023-01-31", "name": "github",
         "properties": {"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:contoso/app:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]}}
      ]
    }
  ]
}
"#;

/// A project with the repository's book.toml, alias catalog and samples, the
/// given rule files, and a `dist/` holding one sentinel file.
pub(crate) fn rule_project(rules: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&repo_root().join("book.toml"), &root.join("book.toml"));
    copy_tree(
        &repo_root().join("policies/aliases.json"),
        &root.join("policies/aliases.json"),
    );
    copy_tree(
        &repo_root().join("policies/samples/arm"),
        &root.join("policies/samples/arm"),
    );
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::write(
        root.join("content/SUMMARY.md"),
        "# Summary\n\n- [Home](index.md)\n",
    )
    .unwrap();
    std::fs::write(root.join("content/index.md"), "# Home\n").unwrap();
    for (name, text) in rules {
        std::fs::write(root.join("policies").join(name), text).unwrap();
    }
    std::fs::create_dir_all(root.join("dist/azure")).unwrap();
    std::fs::write(root.join("dist/azure/sentinel.json"), "{\"kept\": true}\n").unwrap();
    tmp
}

/// A copy of the repository's `entries` (book.toml among them) whose
/// `[policybook.environments.*]` tables are replaced by `environments` (TOML, written
/// where the shipped ones stood), with `exemptions` as `policies/exemptions.yaml`
/// (the file removed when `None`).
pub(crate) fn environments_project(
    entries: &[&str],
    environments: &str,
    exemptions: Option<&str>,
) -> tempfile::TempDir {
    let tmp = copy_project(entries);
    let root = tmp.path();
    let book = std::fs::read_to_string(root.join("book.toml")).unwrap();
    let mut kept = String::new();
    let (mut skipping, mut written) = (false, false);
    for line in book.lines() {
        if line.starts_with('[') {
            skipping = line.starts_with("[policybook.environments.");
            if skipping && !written {
                kept.push_str(environments);
                written = true;
            }
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    assert!(written, "the shipped book.toml has environments");
    std::fs::write(root.join("book.toml"), kept).unwrap();
    let file = root.join("policies/exemptions.yaml");
    match exemptions {
        Some(x) => std::fs::write(file, x).unwrap(),
        None => {
            let _ = std::fs::remove_file(file);
        }
    }
    tmp
}

/// Writes `script` as the executable `dir/name` and returns a `PATH` value with `dir`
/// first, so a child finds this stub before any real `name`.
pub(crate) fn stub_on_path(dir: &Path, name: &str, script: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap())
}

/// Where one `az` command line stopped in the real azure-cli (tests/support/az_parse_check.py).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AzOutcome {
    pub argv: Vec<String>,
    /// "login" (arguments accepted, stopped at `az login`), "parse" (arguments refused), "other".
    pub outcome: String,
    pub message: String,
}

/// Whether a missing tool must fail the test: in CI (`CI=true`) or when `var` is `1`.
pub(crate) fn tool_required(var: &str) -> bool {
    std::env::var(var).as_deref() == Ok("1") || std::env::var("CI").as_deref() == Ok("true")
}

/// Runs every argv (without the leading `az`) through the real azure-cli in one Python
/// process, with `AZURE_CONFIG_DIR` in a fresh temp folder (no account, nothing of the
/// user's touched). Returns `None` (after printing a notice) when azure-cli is not
/// installed, unless `CI=true` or `POLICYBOOK_REQUIRE_AZ=1`, when it panics.
pub(crate) fn az_parse_check(argvs: &[Vec<String>]) -> Option<Vec<AzOutcome>> {
    let python = std::env::var("POLICYBOOK_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import azure.cli.core"])
        .output();
    if !matches!(&probe, Ok(o) if o.status.success()) {
        let why = "azure-cli is not installed for python3 (pip install azure-cli==2.91.0)";
        if tool_required("POLICYBOOK_REQUIRE_AZ") {
            panic!("{why}; CI=true or POLICYBOOK_REQUIRE_AZ=1 requires it");
        }
        eprintln!("skipped: {why}");
        return None;
    }
    let config = tempfile::tempdir().unwrap();
    let mut child = Command::new(&python)
        .arg(repo_root().join("tests/support/az_parse_check.py"))
        .env("AZURE_CONFIG_DIR", config.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run az_parse_check.py");
    let input = serde_json::to_vec(argvs).unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "az_parse_check.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("az_parse_check.py prints JSON");
    let list = v.as_array().expect("an array").iter();
    Some(
        list.map(|r| AzOutcome {
            argv: r["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
            outcome: r["outcome"].as_str().unwrap().to_string(),
            message: r["message"].as_str().unwrap().to_string(),
        })
        .collect(),
    )
}

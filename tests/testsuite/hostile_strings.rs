//! Hostile values in the sources: every free-text field of a rule and of
//! book.toml holds shell and ARM metacharacters. `deploy.sh` must pass each of
//! them to `az` as one argument, byte for byte, and run nothing; the ARM template
//! must hold only well-formed expressions. Ids and names outside the grammar
//! are refused by `build` at their place, and nothing is written.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::{copy_tree, policybook, read_json, repo_root};

/// Shell and ARM metacharacters, a newline that would start a command,
/// quotes of every kind, a comment sign and non-ASCII text.
const EVIL: &str = "$(touch PWNED) `touch PWNED` ${IFS}; touch PWNED | touch PWNED & it's \"q\" \\ !! \n$(touch${IFS}PWNED)\n# ü 日本 \u{1b}[31m ]";

const MANAGEMENT_GROUP: &str = "Contoso.Platform(1)_x-y";
const SUBSCRIPTION: &str = "3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40";

/// A JSON string literal, which is also a valid YAML double-quoted scalar and
/// TOML basic string (the escapes serde_json writes are common to all three).
fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

struct Texts {
    arm_title: String,
    arm_summary: String,
    arm_version: String,
    k8s_title: String,
    k8s_summary: String,
    k8s_version: String,
    set_display: String,
    set_description: String,
    set_category: String,
    set_version: String,
}

fn texts() -> Texts {
    Texts {
        // Short enough to escape the 128-character cut of display names.
        arm_title: "$(touch PWNED) `touch PWNED` it's \"q\" \\ !!\n${IFS}; | & ü admin".into(),
        arm_summary: format!("Flags 'registries' {EVIL}"),
        arm_version: "1.0.0'$(touch PWNED)\"".into(),
        k8s_title: format!("[{EVIL}]"),
        k8s_summary: format!("pods\n\n  {EVIL}  "),
        k8s_version: "2.0.0 `touch PWNED`".into(),
        set_display: format!("[{EVIL}]"),
        set_description: format!("{EVIL}\n'"),
        set_category: format!("Kube'rnetes {EVIL}"),
        set_version: "3.0.0$(touch PWNED)".into(),
    }
}

fn arm_rule(t: &Texts) -> String {
    format!(
        r#"id: ACR-01
name: acr-admin-user-disabled
title: {title}
area: registry-access
severity: high
version: {version}
summary: {summary}
description: {evil}
rationale: {evil}
remediation: {evil}
checklist: {evil}
azure:
  mode: Indexed
  effects: [Audit, Deny, Disabled]
  parameters:
    allowed_Name-2:
      type: String
      metadata: {{displayName: {evil}, description: {evil}}}
      defaultValue: {evil}
  if:
    allOf:
      - field: type
        equals: Microsoft.ContainerRegistry/registries
      - field: Microsoft.ContainerRegistry/registries/adminUserEnabled
        equals: true
tests:
  - name: {evil}
    object:
      type: Microsoft.ContainerRegistry/registries
      name: open
      location: westeurope
      properties: {{ adminUserEnabled: true }}
    expect: Audit
  - name: {evil2}
    object:
      type: Microsoft.ContainerRegistry/registries
      name: closed
      location: westeurope
      properties: {{ adminUserEnabled: false }}
    expect: none
"#,
        title = lit(&t.arm_title),
        version = lit(&t.arm_version),
        summary = lit(&t.arm_summary),
        evil = lit(EVIL),
        evil2 = lit(&format!("{EVIL} 2")),
    )
}

fn k8s_rule(t: &Texts) -> String {
    format!(
        r#"id: FX-01
name: fx-good
title: {title}
area: workload-identity
severity: low
version: {version}
summary: {summary}
description: {evil}
kubernetes:
  kind: K8sFixtureOwnerLabel
  match:
    kinds:
      - apiGroups: [""]
        kinds: [Pod]
  parameters:
    label:
      type: string
      description: {evil}
      default: owner
  rego: |
    package k8sfixtureownerlabel

    violation[{{"msg": msg}}] {{
      labels := object.get(input.review.object.metadata, "labels", {{}})
      not labels[input.parameters.label]
      msg := sprintf("missing label %v $(touch PWNED) '", [input.parameters.label])
    }}
tests:
  - name: {evil}
    object: {{apiVersion: v1, kind: Pod, metadata: {{name: a, namespace: x}}, spec: {{containers: [{{name: c, image: i}}]}}}}
    expect: {{violations: 1, message: {message}}}
"#,
        title = lit(&t.k8s_title),
        version = lit(&t.k8s_version),
        summary = lit(&t.k8s_summary),
        evil = lit(EVIL),
        message = lit(r"missing label owner \$\(touch PWNED\) '"),
    )
}

fn book_toml(t: &Texts) -> String {
    format!(
        r#"[book]
title = {evil}
authors = [{evil}]
description = {evil}
src = "content"

[policybook]
policies = "policies"
output = "dist"
aliases = "policies/aliases.json"

[policybook.initiative]
name = "fixture_set-1"
display-name = {display}
description = {description}
category = {category}
version = {version}

[policybook.deployment]
scope = "managementGroup"
management-group = "{MANAGEMENT_GROUP}"
assignment-name = "fixture-assignment"

[policybook.areas.registry-access]
title = {evil}
description = {evil}

[policybook.areas.workload-identity]
title = {evil}
"#,
        evil = lit(EVIL),
        display = lit(&t.set_display),
        description = lit(&t.set_description),
        category = lit(&t.set_category),
        version = lit(&t.set_version),
    )
}

/// A project with the given book.toml and rule files (no `dist/`).
fn project(book: &str, rules: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("project");
    copy_tree(
        &repo_root().join("tests/fixtures/gatekeeper/project/content"),
        &root.join("content"),
    );
    copy_tree(
        &repo_root().join("tests/fixtures/site/policy-project/policies/aliases.json"),
        &root.join("policies/aliases.json"),
    );
    std::fs::write(root.join("book.toml"), book).unwrap();
    for (name, text) in rules {
        std::fs::write(root.join("policies").join(name), text).unwrap();
    }
    tmp
}

fn hostile_project() -> (tempfile::TempDir, Texts) {
    let t = texts();
    let tmp = project(
        &book_toml(&t),
        &[("acr.yaml", &arm_rule(&t)), ("fx.yaml", &k8s_rule(&t))],
    );
    (tmp, t)
}

/// The hostile project, loaded (it loads without a problem).
fn hostile_bundle() -> (tempfile::TempDir, policybook::model::Bundle) {
    let (tmp, _t) = hostile_project();
    let (bundle, diags) = policybook::build::load_and_validate(&tmp.path().join("project"));
    assert!(!diags.has_errors(), "{diags}");
    (tmp, bundle)
}

/// Files under `dir` whose name mentions PWNED.
fn pwned_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().contains("PWNED"))
        .map(|e| e.into_path())
        .collect()
}

/// A stub `az` that appends its argument count and arguments, NUL-terminated,
/// to `$AZ_LOG`, and keeps a copy of the file given to `--definitions`; it
/// prints nothing, as `az … --output none` does.
const STUB_AZ: &str = r#"#!/usr/bin/env bash
printf '%s\0' "$#" >> "$AZ_LOG"
prev=
for a in "$@"; do
  printf '%s\0' "$a" >> "$AZ_LOG"
  if [ "$prev" = --definitions ]; then cp -- "$a" "$AZ_LOG.definitions"; fi
  prev=$a
done
"#;

struct DeployRun {
    code: i32,
    stdout: String,
    stderr: String,
    calls: Vec<Vec<String>>,
    definitions: Option<String>,
}

/// Runs deploy.sh with the stub `az` first on PATH, from an empty folder.
fn run_deploy(tmp: &Path, script: &Path, args: &[&str], label: &str) -> DeployRun {
    let path = common::stub_on_path(&tmp.join("bin"), "az", STUB_AZ);
    let cwd = tmp.join(format!("run-{label}"));
    std::fs::create_dir_all(&cwd).unwrap();
    let log = tmp.join(format!("az-{label}.log"));
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .current_dir(&cwd)
        .env("PATH", path)
        .env("AZ_LOG", &log)
        .output()
        .unwrap();
    let bytes = std::fs::read(&log).unwrap_or_default();
    let mut fields = bytes
        .split(|b| *b == 0)
        .map(|f| String::from_utf8(f.to_vec()).unwrap());
    let mut calls = Vec::new();
    while let Some(n) = fields.next() {
        if n.is_empty() {
            break; // the piece after the last NUL
        }
        let n: usize = n.parse().unwrap();
        calls.push((0..n).map(|_| fields.next().unwrap()).collect());
    }
    DeployRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        calls,
        definitions: std::fs::read_to_string(format!("{}.definitions", log.display())).ok(),
    }
}

/// `bash -n`: the script parses.
fn assert_bash_syntax(script: &Path) {
    let syntax = Command::new("bash").arg("-n").arg(script).output().unwrap();
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The az calls deploy.sh must make, computed from the sources above.
fn expected_calls(t: &Texts, azure_dir: &Path, scope: &[&str]) -> Vec<Vec<String>> {
    let here = azure_dir.display().to_string();
    let guid = policybook::ids::definition_guid;
    let definition = |id: &str, file: &str, dn: &str, desc: &str, mode: &str, version: &str| {
        let mut v: Vec<String> = vec![
            "policy".into(),
            "definition".into(),
            "create".into(),
            "--name".into(),
            guid(id),
            "--display-name".into(),
            dn.into(),
            "--description".into(),
            desc.into(),
            "--mode".into(),
            mode.into(),
            "--rules".into(),
            format!("{here}/az/{file}.rules.json"),
            "--params".into(),
            format!("{here}/az/{file}.params.json"),
            // az takes the metadata as one JSON value.
            "--metadata".into(),
            serde_json::json!({ "version": version, "category": t.set_category, "controlId": id })
                .to_string(),
        ];
        v.extend(scope.iter().map(|s| s.to_string()));
        v.extend(["--output".into(), "none".into()]);
        v
    };
    let mut set: Vec<String> = [
        "policy",
        "set-definition",
        "create",
        "--name",
        "fixture_set-1",
        "--display-name",
        &t.set_display,
        "--description",
        &t.set_description,
        "--definitions",
        "<temp file>",
        "--params",
        &format!("{here}/az/initiative.params.json"),
        "--definition-groups",
        &format!("{here}/az/initiative.groups.json"),
        "--metadata",
        &serde_json::json!({ "version": t.set_version, "category": t.set_category }).to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    set.extend(scope.iter().map(|s| s.to_string()));
    set.extend(["--output".into(), "none".into()]);
    vec![
        definition(
            "ACR-01",
            "acr-admin-user-disabled",
            &format!("[ACR-01] {}", t.arm_title),
            t.arm_summary.trim(),
            "Indexed",
            &t.arm_version,
        ),
        definition(
            "FX-01",
            "fx-good",
            &t.k8s_title,
            &one_line(&t.k8s_summary),
            "Microsoft.Kubernetes.Data",
            &t.k8s_version,
        ),
        set,
    ]
}

/// Runs `build` on the project at `root`, expecting exit `code`.
fn build_expecting(root: &Path, code: i32) -> common::Run {
    let run = policybook(root, &["build"]);
    assert_eq!(
        run.code, code,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run
}

fn build_hostile() -> (tempfile::TempDir, Texts, PathBuf) {
    let (tmp, t) = hostile_project();
    let root = tmp.path().join("project");
    build_expecting(&root, 0);
    assert!(pwned_files(tmp.path()).is_empty());
    let azure = root.join("dist/azure");
    (tmp, t, azure)
}

#[test]
fn deploy_sh_passes_every_hostile_value_to_az_byte_for_byte() {
    let (tmp, t, azure) = build_hostile();
    let script = azure.join("deploy.sh");
    assert_bash_syntax(&script);
    let initiative_defs =
        std::fs::read_to_string(azure.join("az/initiative.definitions.json")).unwrap();
    let mg_prefix = format!("/providers/Microsoft.Management/managementGroups/{MANAGEMENT_GROUP}");
    let sub_prefix = format!("/subscriptions/{SUBSCRIPTION}");
    for (label, args, scope, prefix) in [
        (
            "mg",
            vec!["--management-group", MANAGEMENT_GROUP],
            vec!["--management-group", MANAGEMENT_GROUP],
            &mg_prefix,
        ),
        (
            "sub",
            vec!["--subscription", SUBSCRIPTION],
            vec!["--subscription", SUBSCRIPTION],
            &sub_prefix,
        ),
        // No argument: the management group from book.toml.
        (
            "default",
            vec![],
            vec!["--management-group", MANAGEMENT_GROUP],
            &mg_prefix,
        ),
    ] {
        let run = run_deploy(tmp.path(), &script, &args, label);
        assert_eq!(run.code, 0, "{label}: {}\n{}", run.stdout, run.stderr);
        let mut calls = run.calls.clone();
        // The set's definitions come from a temp file deploy.sh removes afterwards.
        let set = calls.last_mut().unwrap();
        let at = set.iter().position(|a| a == "--definitions").unwrap() + 1;
        assert!(set[at].starts_with('/'), "{label}: {}", set[at]);
        set[at] = "<temp file>".into();
        assert_eq!(calls, expected_calls(&t, &azure, &scope), "{label}");
        assert_eq!(
            run.definitions.as_deref(),
            Some(
                initiative_defs
                    .replace("__POLICYBOOK_SCOPE__", prefix)
                    .as_str()
            ),
            "{label}"
        );
        let kind = scope[0].trim_start_matches("--");
        assert_eq!(
            run.stdout,
            format!("definition ACR-01\ndefinition FX-01\npolicy set fixture_set-1\ndeployed 2 definitions and the policy set fixture_set-1 to {kind} {}\n", scope[1]),
            "{label}"
        );
        assert!(
            pwned_files(tmp.path()).is_empty(),
            "{label}: a value ran as a command"
        );
    }
}

#[test]
fn deploy_sh_refuses_a_malformed_target_before_calling_az() {
    let (tmp, _t, azure) = build_hostile();
    let script = azure.join("deploy.sh");
    for (label, args, message) in [
        (
            "mg",
            ["--management-group", "x#$(touch PWNED)&"],
            "error: management group id 'x#$(touch PWNED)&' is not valid",
        ),
        (
            "sub",
            ["--subscription", "not-a-guid;touch PWNED"],
            "error: subscription id 'not-a-guid;touch PWNED' is not a GUID",
        ),
    ] {
        let run = run_deploy(tmp.path(), &script, &args, label);
        assert_eq!(run.code, 2, "{label}");
        assert!(run.stderr.starts_with(message), "{label}: {}", run.stderr);
        assert!(run.calls.is_empty(), "{label}: az was called");
    }
    assert!(pwned_files(tmp.path()).is_empty());
}

/// What ARM makes of a string: None for an expression, else the literal
/// (`[[x]` is the escaped literal `[x]`; `[x] y` is a literal as it is).
fn arm_literal(s: &str) -> Option<String> {
    if s.starts_with("[[") && s.ends_with(']') {
        Some(s[1..].to_string())
    } else if s.starts_with('[') && s.ends_with(']') {
        None
    } else {
        Some(s.to_string())
    }
}

/// A recursive-descent reader of ARM's expression language: function calls,
/// `'…'` strings with `''` escapes, numbers, `.property` and `[index]`.
struct Expr<'a> {
    s: &'a [u8],
    i: usize,
}

impl Expr<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> Result<(), String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        if start == self.i || self.s[start].is_ascii_digit() {
            return Err(format!("identifier expected at {start}"));
        }
        Ok(())
    }
    fn expr(&mut self) -> Result<(), String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'\'') => {
                self.i += 1;
                loop {
                    match self.s.get(self.i) {
                        None => return Err("unterminated string".into()),
                        Some(b'\'') if self.s.get(self.i + 1) == Some(&b'\'') => self.i += 2,
                        Some(b'\'') => {
                            self.i += 1;
                            break;
                        }
                        Some(_) => self.i += 1,
                    }
                }
            }
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                self.i += 1;
                while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                    self.i += 1;
                }
            }
            _ => {
                self.ident()?;
                if !self.eat(b'(') {
                    return Err(format!("`(` expected at {}", self.i));
                }
                if !self.eat(b')') {
                    loop {
                        self.expr()?;
                        if self.eat(b')') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(format!("`,` or `)` expected at {}", self.i));
                        }
                    }
                }
            }
        }
        loop {
            if self.eat(b'.') {
                self.ident()?;
            } else if self.eat(b'[') {
                self.expr()?;
                if !self.eat(b']') {
                    return Err(format!("`]` expected at {}", self.i));
                }
            } else {
                return Ok(());
            }
        }
    }
}

fn check_expression(s: &str) -> Result<(), String> {
    let inner = &s[1..s.len() - 1];
    let mut e = Expr {
        s: inner.as_bytes(),
        i: 0,
    };
    e.expr()?;
    e.ws();
    if e.i != inner.len() {
        return Err(format!("trailing text at {}", e.i));
    }
    Ok(())
}

fn strings<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((path, s)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| strings(x, format!("{path}/{i}"), out)),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| strings(x, format!("{path}/{k}"), out)),
        _ => {}
    }
}

/// Checks every expression among the strings of `template`; returns how many there are.
fn check_every_expression(template: &Value) -> usize {
    let mut all = Vec::new();
    strings(template, String::new(), &mut all);
    let mut expressions = 0;
    for (path, s) in &all {
        if arm_literal(s).is_none() {
            check_expression(s).unwrap_or_else(|e| panic!("{path}: {s}: {e}"));
            expressions += 1;
        }
    }
    expressions
}

#[test]
fn expression_checker_tells_good_from_broken() {
    for good in [
        "[parameters('effect-AKS-01')]",
        "[extensionResourceId(managementGroup().id, 'Microsoft.Authorization/policyDefinitions', 'a''b')]",
        "[concat(field('x')[0].y, 'z')]",
    ] {
        assert_eq!(check_expression(good), Ok(()), "{good}");
    }
    for bad in [
        "[parameters('effect-AKS-06'')]",
        "[parameters('a') x]",
        "[concat('a', ]",
        "[$(touch PWNED)]",
    ] {
        assert!(check_expression(bad).is_err(), "{bad}");
    }
}

#[test]
fn arm_template_holds_only_well_formed_expressions_and_exact_literals() {
    let (_tmp, t, azure) = build_hostile();
    let template = read_json(&azure.join("azuredeploy.json"));
    let expressions = check_every_expression(&template);
    assert!(expressions >= 10, "{expressions}");
    let resources = template["resources"].as_array().unwrap();
    let by_type = |ty: &str| -> Vec<&Value> {
        resources
            .iter()
            .filter(|r| r["type"] == format!("Microsoft.Authorization/{ty}"))
            .collect()
    };
    let defs = by_type("policyDefinitions");
    let literal = |v: &Value| arm_literal(v.as_str().unwrap()).expect("a literal");
    assert_eq!(
        literal(&defs[0]["properties"]["displayName"]),
        format!("[ACR-01] {}", t.arm_title)
    );
    assert_eq!(
        literal(&defs[0]["properties"]["description"]),
        t.arm_summary.trim()
    );
    assert_eq!(literal(&defs[1]["properties"]["displayName"]), t.k8s_title);
    let set = by_type("policySetDefinitions")[0];
    assert_eq!(literal(&set["properties"]["displayName"]), t.set_display);
    assert_eq!(
        literal(&set["properties"]["metadata"]["category"]),
        t.set_category
    );
    let assignment = by_type("policyAssignments")[0];
    assert_eq!(
        literal(&assignment["properties"]["displayName"]),
        t.set_display
    );
    assert_eq!(
        literal(&assignment["properties"]["description"]),
        t.set_description
    );
    // Definition parameters read back with an escaped policy expression.
    assert_eq!(
        set["properties"]["policyDefinitions"][0]["parameters"]["allowed_Name-2"]["value"],
        "[[parameters('allowed_Name-2-ACR-01')]"
    );
}

/// A rule and book.toml that build; each rejection case breaks one name.
fn plain_project(book_edit: (&str, &str), rule_edit: (&str, &str)) -> tempfile::TempDir {
    let t = Texts {
        arm_title: "t".into(),
        arm_summary: "s".into(),
        arm_version: "1.0.0".into(),
        k8s_title: "t".into(),
        k8s_summary: "s".into(),
        k8s_version: "1.0.0".into(),
        set_display: "d".into(),
        set_description: "d".into(),
        set_category: "c".into(),
        set_version: "1.0.0".into(),
    };
    let book = book_toml(&t);
    let rule = k8s_rule(&t);
    assert!(book.contains(book_edit.0) && rule.contains(rule_edit.0));
    project(
        &book.replacen(book_edit.0, book_edit.1, 1),
        &[("fx.yaml", &rule.replacen(rule_edit.0, rule_edit.1, 1))],
    )
}

/// `build` exits 2 with `expected` as the first line of stderr, writes no
/// `dist/` and runs nothing.
fn refused(book_edit: (&str, &str), rule_edit: (&str, &str), expected: &str) {
    let tmp = plain_project(book_edit, rule_edit);
    let root = tmp.path().join("project");
    let run = build_expecting(&root, 2);
    assert_eq!(run.stderr.lines().next(), Some(expected), "{}", run.stderr);
    assert!(run.stderr.lines().nth(1).unwrap().starts_with("  help: "));
    assert!(!root.join("dist").exists(), "nothing is written");
    assert!(pwned_files(tmp.path()).is_empty());
}

const NO_EDIT: (&str, &str) = ("", "");

#[test]
fn the_plain_project_builds() {
    let tmp = plain_project(NO_EDIT, NO_EDIT);
    build_expecting(&tmp.path().join("project"), 0);
}

#[test]
fn control_id_with_a_command_substitution_is_refused() {
    refused(
        NO_EDIT,
        ("id: FX-01", "id: AKS-06$(touch${IFS}PWNED)"),
        "policies/fx.yaml:1:5: error: control id `AKS-06$(touch${IFS}PWNED)` may not hold `$`",
    );
}

#[test]
fn control_id_with_a_quote_is_refused() {
    refused(
        NO_EDIT,
        ("id: FX-01", "id: AKS-06'"),
        "policies/fx.yaml:1:5: error: control id `AKS-06'` may not hold `'`",
    );
}

#[test]
fn rule_name_with_a_newline_is_refused() {
    refused(
        NO_EDIT,
        ("name: fx-good", "name: \"fx-good\\ntouch PWNED\""),
        "policies/fx.yaml:2:7: error: name `fx-good\\ntouch PWNED` may not hold `\\n`",
    );
}

#[test]
fn parameter_name_that_would_close_an_expression_is_refused() {
    refused(
        NO_EDIT,
        ("    label:\n", "    \"label')]\":\n"),
        "policies/fx.yaml:16:5: error: parameter name `label')]` may not hold `'`",
    );
}

#[test]
fn initiative_name_with_a_newline_is_refused() {
    refused(
        ("name = \"fixture_set-1\"", "name = \"fixture\\ntouch PWNED\""),
        NO_EDIT,
        "book.toml:13:8: error: `initiative.name`: resource name `fixture\\ntouch PWNED` may not hold `\\n`",
    );
}

#[test]
fn management_group_with_a_space_is_refused() {
    refused(
        (MANAGEMENT_GROUP, "contoso platform"),
        NO_EDIT,
        "book.toml:21:20: error: `deployment.management-group`: management group id `contoso platform` may not hold ` `",
    );
}

#[test]
fn subscription_that_is_not_a_guid_is_refused() {
    refused(
        ("scope = \"managementGroup\"", "scope = \"subscription\"\nsubscription = \"$(touch PWNED)\""),
        NO_EDIT,
        "book.toml:21:16: error: `deployment.subscription`: `$(touch PWNED)` is not a subscription id",
    );
}

#[test]
fn assignment_name_and_area_keys_follow_the_grammar() {
    refused(
        ("\"fixture-assignment\"", "\"a'b\""),
        NO_EDIT,
        "book.toml:22:19: error: `deployment.assignment-name`: resource name `a'b` may not hold `'`",
    );
    refused(
        ("areas.workload-identity]", "areas.\"workload identity\"]"),
        ("area: workload-identity", "area: workload identity"),
        "book.toml:28:19: error: area key: name `workload identity` may not hold ` `",
    );
}

/// Defence in depth: even a control id and a policy set name the loader would
/// refuse cannot make the script run anything: the output layer quotes them.
#[test]
fn deploy_sh_quotes_even_values_the_grammar_refuses() {
    let (tmp, mut bundle) = hostile_bundle();
    let id = "AKS-06$(touch${IFS}PWNED)'\n`touch PWNED`";
    let set = "set\n$(touch PWNED)\"'";
    bundle.rules[0].id = id.into();
    bundle.config.policybook.as_mut().unwrap().initiative.name = set.into();
    let defs = policybook::azure::all_definitions(&bundle);
    let azure = tmp.path().join("azure");
    std::fs::create_dir_all(azure.join("az")).unwrap();
    for (file, v) in policybook::azure::deploy::az_files(&bundle, &defs) {
        std::fs::write(azure.join("az").join(file), v.to_string()).unwrap();
    }
    let script = azure.join("deploy.sh");
    std::fs::write(
        &script,
        policybook::azure::deploy::deploy_sh(&bundle, &defs),
    )
    .unwrap();
    assert_bash_syntax(&script);
    let run = run_deploy(tmp.path(), &script, &["--management-group", "mg"], "bypass");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        pwned_files(tmp.path()).is_empty(),
        "a value ran as a command"
    );
    assert!(
        run.stdout.starts_with(&format!("definition {id}\n")),
        "{}",
        run.stdout
    );
    let meta = run.calls[0]
        .iter()
        .position(|a| a == "--metadata")
        .map(|i| serde_json::from_str::<Value>(&run.calls[0][i + 1]).unwrap());
    assert_eq!(
        meta.as_ref().map(|m| &m["controlId"]),
        Some(&Value::String(id.to_string())),
        "{:?}",
        run.calls[0]
    );
    let last = run.calls.last().unwrap();
    assert_eq!(
        last[..5],
        ["policy", "set-definition", "create", "--name", set]
    );
}

/// Defence in depth for the template: names inside `[...]` are string literals.
#[test]
fn arm_expressions_escape_even_values_the_grammar_refuses() {
    let (_tmp, mut bundle) = hostile_bundle();
    bundle.rules[0].id = "AKS-06')]".into();
    bundle.config.policybook.as_mut().unwrap().initiative.name = "set', 'x')]".into();
    let defs = policybook::azure::all_definitions(&bundle);
    let template = policybook::azure::arm::arm_template(&bundle, &defs);
    check_every_expression(&template);
    assert_eq!(
        template["outputs"]["policySetDefinitionId"]["value"],
        "[extensionResourceId(managementGroup().id, 'Microsoft.Authorization/policySetDefinitions', 'set'', ''x'')]')]"
    );
}

#[test]
fn nul_in_text_that_becomes_an_az_argument_is_refused() {
    refused(
        NO_EDIT,
        ("title: \"t\"", "title: \"a\\0b\""),
        "policies/fx.yaml:3:8: error: `title` holds a NUL character, which no command-line argument can carry",
    );
    refused(
        ("display-name = \"d\"", "display-name = \"a\\u0000b\""),
        NO_EDIT,
        "book.toml:14:16: error: `initiative.display-name` holds a NUL character, which no command-line argument can carry",
    );
}

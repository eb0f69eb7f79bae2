//! `policybook verify` on gator suites: legacy and `code:` templates, libs,
//! AdmissionReview objects (UPDATE with userInfo, DELETE → oldObject),
//! inventory, several assertions per case, skips, CEL-only templates, `--run`,
//! JSON counts, exit codes and `file:line` errors.

use crate::common;

use policybook::gatekeeper::verify;
use serde_json::Value;

fn suites() -> std::path::PathBuf {
    common::repo_root().join("tests/fixtures/gatekeeper/suites")
}

fn case<'a>(o: &'a verify::VerifyOutcome, test: &str, case: &str) -> &'a verify::CaseOutcome {
    o.suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| c.test == test && c.case == case)
        .unwrap_or_else(|| panic!("no {test}/{case} in\n{}", o.human()))
}

#[test]
fn passing_suite_passes() {
    let o = verify::run(&[suites().join("basic/suite.yaml")], None).unwrap();
    assert_eq!(
        (o.passed(), o.failed(), o.skipped()),
        (7, 0, 1),
        "{}",
        o.human()
    );
    assert_eq!(
        case(&o, "team-label", "update-by-developer").status,
        verify::Status::Pass
    );
    assert_eq!(
        case(&o, "team-label", "skipped-case").status,
        verify::Status::Skip
    );
}

#[test]
fn failures_are_reported_with_the_suite_place() {
    let o = verify::run(&[suites().join("basic/failing-suite.yaml")], None).unwrap();
    assert_eq!(o.failed(), 3, "{}", o.human());
    let wrong = case(&o, "team-label", "wrong-count");
    assert!(
        wrong.messages[0].contains("failing-suite.yaml:13:")
            && wrong.messages[0].contains("got 1 violations, want 2"),
        "{:?}",
        wrong.messages
    );
    assert!(case(&o, "team-label", "two-objects").messages[0].contains("exactly one"));
    assert!(case(&o, "team-label", "no-assertions").messages[0]
        .contains("assertions must be non-empty"));
}

#[test]
fn missing_template_names_the_suite_line() {
    let o = verify::run(&[suites().join("missing-file")], None).unwrap();
    assert_eq!(o.failed(), 1);
    let c = case(&o, "broken", "");
    assert!(
        c.messages[0].contains("missing-file/suite.yaml:7:")
            && c.messages[0].contains("does-not-exist.yaml"),
        "{:?}",
        c.messages
    );
}

#[test]
fn cel_only_templates_are_skipped_visibly() {
    let o = verify::run(&[suites().join("cel-only")], None).unwrap();
    assert_eq!((o.passed(), o.failed(), o.skipped()), (0, 0, 1));
    assert!(o.human().contains("SKIP: cel/unlabelled"));
    assert!(o.human().contains("CEL"));
}

#[test]
fn code_form_with_rego_v1_and_libs_runs() {
    let o = verify::run(&[suites().join("code-form")], None).unwrap();
    assert_eq!((o.passed(), o.failed()), (1, 0), "{}", o.human());
}

#[test]
fn run_filter_selects_tests_and_cases() {
    let o = verify::run(&[suites().join("basic/suite.yaml")], Some("^update-")).unwrap();
    assert_eq!(o.passed(), 2, "{}", o.human());
    let o = verify::run(
        &[suites().join("basic/suite.yaml")],
        Some("team-label//^labelled$"),
    )
    .unwrap();
    assert_eq!(o.passed(), 1, "{}", o.human());
    assert!(verify::run(&[suites()], Some("(")).is_err());
}

#[test]
fn json_has_counts_and_the_cli_exits_1_on_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let run = common::policybook(
        tmp.path(),
        &["verify", suites().to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["summary"]["passed"], 8);
    assert_eq!(v["summary"]["failed"], 4);
    assert_eq!(v["summary"]["skipped"], 2);
    let run = common::policybook(
        tmp.path(),
        &[
            "verify",
            suites().join("basic/suite.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("--- PASS: team-label/labelled"));
    assert!(
        run.stdout.contains("7 passed, 0 failed, 1 skipped"),
        "{}",
        run.stdout
    );
}

/// A suite whose fields have the wrong type or an unknown name fails at its
/// line and column, with the field's path, before anything runs.
#[test]
fn a_mistyped_or_unknown_suite_field_fails_at_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n- name: t\n  template: template.yaml\n  constraint: constraint.yaml\n  cases:\n  - name: c\n    object: object.yaml\n";
    let bad_count = tmp.path().join("bad-count.yaml");
    std::fs::write(
        &bad_count,
        format!("{head}    assertions:\n    - violations: maybe\n"),
    )
    .unwrap();
    let unknown = tmp.path().join("unknown.yaml");
    std::fs::write(
        &unknown,
        format!("{head}    asserts:\n    - violations: 1\n"),
    )
    .unwrap();
    let mistyped = tmp.path().join("mistyped.yaml");
    std::fs::write(
        &mistyped,
        format!("{head}    inventory: {{a: 1}}\n    assertions: [{{violations: no}}]\n"),
    )
    .unwrap();
    let run = common::policybook(tmp.path(), &["verify", tmp.path().to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = |p: &std::path::Path| p.display().to_string();
    let want = format!(
        "    --- FAIL: \n        {b}:11:19: not a valid gator Suite: tests[0].cases[0].assertions[0].violations: invalid value: string \"maybe\", expected yes, no or a non-negative count\nFAIL {b}\n\
         \x20   --- FAIL: \n        {m}:10:16: not a valid gator Suite: tests[0].cases[0].inventory: invalid type: map, expected a sequence\nFAIL {m}\n\
         \x20   --- FAIL: \n        {u}:10:5: not a valid gator Suite: tests[0].cases[0]: unknown field `asserts`, expected one of `name`, `object`, `inventory`, `assertions`, `skip`\nFAIL {u}\n\
         \n3 suite(s): 0 passed, 3 failed, 0 skipped\n",
        b = f(&bad_count),
        m = f(&mistyped),
        u = f(&unknown),
    );
    assert_eq!(run.stdout, want);
}

/// `skip: true` on the suite itself skips every case, as gator does; nothing
/// the suite names is read.
#[test]
fn a_skipped_suite_skips_every_case() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite.yaml");
    std::fs::write(
        &suite,
        "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\nskip: true\ntests:\n- name: t\n  template: missing.yaml\n  constraint: missing.yaml\n  cases:\n  - name: a\n    object: missing.yaml\n    assertions: [{violations: no}]\n  - name: b\n    object: missing.yaml\n    assertions: [{violations: yes}]\n",
    )
    .unwrap();
    let o = verify::run(&[suite], None).unwrap();
    assert_eq!(
        o.human(),
        format!(
            "    --- SKIP: t/a\n        skipped by the suite (`skip: true`)\n    --- SKIP: t/b\n        skipped by the suite (`skip: true`)\nok   {}\n\n1 suite(s): 0 passed, 0 failed, 2 skipped\n",
            tmp.path().join("suite.yaml").display()
        )
    );
}

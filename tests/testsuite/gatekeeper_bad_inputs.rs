//! Bad `kubernetes:` sections each stop the build with a `file:line` message
//! and write nothing. The fixture project (tests/fixtures/gatekeeper/project)
//! builds; each file under tests/fixtures/gatekeeper/bad/ replaces its rule.

use crate::common;

use std::path::Path;

fn fixture() -> std::path::PathBuf {
    common::repo_root().join("tests/fixtures/gatekeeper")
}

/// Builds the fixture project with `bad` as its rule; returns the run and the project folder.
fn build_with(bad: Option<&str>) -> (common::Run, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture().join("project"), tmp.path());
    if let Some(b) = bad {
        std::fs::copy(
            fixture().join("bad").join(b),
            tmp.path().join("policies/k8s-good.yaml"),
        )
        .unwrap();
    }
    let run = common::policybook(tmp.path(), &["build"]);
    (run, tmp)
}

fn assert_rejected(bad: &str, place: &str, words: &str) {
    let (run, tmp) = build_with(Some(bad));
    assert_eq!(run.code, 2, "{bad}: exit {}\n{}", run.code, run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("policies/k8s-good.yaml:{place}")))
        .unwrap_or_else(|| panic!("{bad}: no message at {place}:\n{}", run.stderr));
    assert!(
        line.contains("error:") && line.contains(words),
        "{bad}: {line}"
    );
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert!(!tmp.path().join("dist").exists(), "{bad}: dist was written");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("dist"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "{bad}: staging left behind: {leftovers:?}"
    );
}

#[test]
fn the_fixture_project_builds() {
    let (run, tmp) = build_with(None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(tmp
        .path()
        .join("dist/gatekeeper/templates/k8sfixtureownerlabel.yaml")
        .is_file());
    assert!(tmp
        .path()
        .join("dist/gatekeeper/constraints/fx-good.yaml")
        .is_file());
    assert!(Path::new(&tmp.path().join("dist/gatekeeper/suites/fx-good/suite.yaml")).is_file());
}

#[test]
fn rego_syntax_error_is_reported_at_its_line() {
    // The bracket opened on line 23 is found missing where `msg` starts, line 24.
    assert_rejected("rego-syntax-error.yaml", "24:7:", "does not compile");
}

#[test]
fn rego_compile_error_is_reported_at_its_line_and_column() {
    assert_rejected("rego-unsafe-variable.yaml", "24:43:", "undefined_name");
}

#[test]
fn unknown_match_kind_is_reported() {
    assert_rejected("unknown-match-kind.yaml", "12:17:", "unknown kind `Podd`");
}

#[test]
fn malformed_kinds_entry_is_reported() {
    assert_rejected("malformed-kinds-entry.yaml", "11:", "kinds entry");
}

#[test]
fn default_that_violates_the_schema_is_reported() {
    assert_rejected("default-violates-schema.yaml", "17:", "default");
}

#[test]
fn library_outside_lib_is_reported() {
    assert_rejected("lib-outside-lib.yaml", "20:7:", "not under `lib.`");
}

/// A parameter default that breaks a keyword the hand-written checks used to
/// skip (`uniqueItems`, `multipleOf`, …) stops the build at the default's
/// line:col and names the keyword; the right default builds.
#[test]
fn defaults_are_checked_against_every_schema_keyword() {
    let rule = std::fs::read_to_string(fixture().join("bad/default-violates-schema.yaml")).unwrap();
    // The schema's keys, one line each (`;` between), then the default.
    let cases = [
        (
            "uniqueItems",
            "type: array; items: {type: string}; uniqueItems: true",
            "[a, a]",
            "[a, b]",
        ),
        ("multipleOf", "type: integer; multipleOf: 5", "12", "15"),
        (
            "exclusiveMinimum",
            "type: integer; minimum: 1; exclusiveMinimum: true",
            "1",
            "2",
        ),
        (
            "anyOf",
            "anyOf: [{type: integer}, {type: string, maxLength: 2}]",
            "abc",
            "ab",
        ),
        (
            "maxProperties",
            "type: object; additionalProperties: {type: string}; maxProperties: 1",
            "{a: x, b: y}",
            "{a: x}",
        ),
    ];
    for (keyword, schema, wrong, right) in cases {
        for (default, ok) in [(wrong, false), (right, true)] {
            let text = rule.replace(
                "    label:\n      type: string\n      default: [owner]\n",
                &format!(
                    "    label: {{type: string}}\n    extra:\n      {}\n      default: {default}\n",
                    schema.replace("; ", "\n      ")
                ),
            );
            let tmp = tempfile::tempdir().unwrap();
            common::copy_tree(&fixture().join("project"), tmp.path());
            std::fs::write(tmp.path().join("policies/k8s-good.yaml"), &text).unwrap();
            let run = common::policybook(tmp.path(), &["build"]);
            if ok {
                assert_eq!(run.code, 0, "{keyword} {default}: {}\n{text}", run.stderr);
                continue;
            }
            assert_eq!(run.code, 2, "{keyword} {default}: {}", run.stderr);
            assert!(!tmp.path().join("dist").exists());
            let line = run
                .stderr
                .lines()
                .find(|l| l.contains("parameter `extra`"))
                .unwrap_or_else(|| panic!("{keyword}: {}\n{text}", run.stderr));
            assert!(
                line.contains("does not match the schema")
                    && line.contains(&format!("({keyword})")),
                "{line}"
            );
            let want = text
                .lines()
                .position(|l| l.starts_with("      default:"))
                .unwrap()
                + 1;
            assert!(
                line.starts_with(&format!("policies/k8s-good.yaml:{want}:16: error:")),
                "{line}\n{text}"
            );
        }
    }
}

//! The exact text of errors that are typed values in the code (rule samples,
//! SUMMARY.md targets, `check` inputs, `verify`'s book.toml): what the user
//! reads stays the same byte for byte whatever the types behind it.

use crate::common::{policybook, rule_project, GOOD_RULE};

const SAMPLE_HELP: &str =
    "  help: paths are relative to the policies folder; create the file or fix the path\n";

/// `policybook build` of GOOD_RULE whose sample is `samples/bad.<ext>` holding
/// `bytes` (no file when `None`): refused, its stderr.
fn sample_refused(ext: &str, bytes: Option<&[u8]>) -> String {
    let from = "resource: samples/arm/aks/service-principal-cluster.json";
    assert!(GOOD_RULE.contains(from));
    let rule = GOOD_RULE.replace(from, &format!("resource: samples/bad.{ext}"));
    let p = rule_project(&[("rule.yaml", &rule)]);
    if let Some(bytes) = bytes {
        std::fs::write(p.path().join(format!("policies/samples/bad.{ext}")), bytes).unwrap();
    }
    let run = policybook(p.path(), &["build"]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    run.stderr
}

#[test]
fn unusable_samples_are_named_with_why() {
    // The `resource:` value of GOOD_RULE's case is at 19:15.
    for (ext, bytes, why) in [
        ("yaml", Some(&b""[..]), "the file holds no object".to_string()),
        (
            "yaml",
            Some(&b"a: 1\n---\nb: 2\n"[..]),
            "the file holds 2 YAML documents; a test sample must hold one".to_string(),
        ),
        (
            "json",
            Some(&b"{\"a\": }"[..]),
            "invalid JSON at 1:7: expected value at line 1 column 7".to_string(),
        ),
        (
            "yaml",
            Some(&b"a: [1\n"[..]),
            "invalid YAML: did not find expected ',' or ']' at line 2 column 1, while parsing a flow sequence at line 1 column 4".to_string(),
        ),
        (
            "json",
            Some(&b"{\"a\": \"\xe9\"}"[..]),
            "cannot read it (not valid UTF-8 at line 1, column 8 (byte offset 7); save the file as UTF-8)".to_string(),
        ),
        (
            "json",
            None,
            "cannot read it (No such file or directory (os error 2))".to_string(),
        ),
    ] {
        let err = sample_refused(ext, bytes);
        let want = format!(
            "policies/rule.yaml:19:15: error: sample `samples/bad.{ext}`: {why}\n{SAMPLE_HELP}"
        );
        assert!(err.contains(&want), "want:\n{want}got:\n{err}");
    }
}

#[test]
fn summary_links_that_are_not_chapters_are_named() {
    let p = rule_project(&[("rule.yaml", GOOD_RULE)]);
    std::fs::write(
        p.path().join("content/SUMMARY.md"),
        "# Summary\n\n- [Home](index.md)\n- [Gen](policybook:nope)\n- [Web](https://example.com/)\n- [Text](notes.txt)\n",
    )
    .unwrap();
    let run = policybook(p.path(), &["build"]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    let help = "  help: link a `.md` file relative to the book's source folder, `policybook:policies`, `policybook:checklist`, or leave `()` empty for a draft\n";
    for (line, why) in [
        (4, "unknown generated page `policybook:nope`"),
        (
            5,
            "chapter `https://example.com/` is not a file of the book",
        ),
        (6, "chapter target `notes.txt` is not a `.md` file"),
    ] {
        let want = format!("content/SUMMARY.md:{line}:3: error: {why}\n{help}");
        assert!(
            run.stderr.contains(&want),
            "want:\n{want}got:\n{}",
            run.stderr
        );
    }
}

#[test]
fn check_names_the_input_it_cannot_parse() {
    let p = rule_project(&[("rule.yaml", GOOD_RULE)]);
    let bad = p.path().join("bad.yaml");
    std::fs::write(&bad, "kind: Pod\nmetadata: [a\n").unwrap();
    let run = policybook(p.path(), &["check", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    let want = format!(
        "{}:3:1: invalid YAML: did not find expected ',' or ']' at line 3 column 1, while parsing a flow sequence at line 2 column 11\n",
        bad.display()
    );
    assert_eq!(run.stderr, want);
}

#[test]
fn verify_names_an_unreadable_book_toml() {
    let p = rule_project(&[("rule.yaml", GOOD_RULE)]);
    std::fs::write(p.path().join("book.toml"), b"title = \"\xe9\"\n").unwrap();
    let run = policybook(p.path(), &["verify", "."]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    let want = format!(
        "error: cannot read {}: not valid UTF-8 at line 1, column 10 (byte offset 9); save the file as UTF-8\n",
        p.path().join("book.toml").display()
    );
    assert_eq!(run.stderr, want);
}

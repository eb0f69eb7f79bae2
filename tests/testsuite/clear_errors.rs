//! Clear errors for inputs that used to fail obscurely or be dropped without a
//! word: byte-order marks, text that is not UTF-8, wrongly typed `[output.html]`
//! keys, over-long rule names, `verify` with no suites, and symbolic links.

use crate::common;
use common::{rule_project as project, GOOD_RULE as GOOD};

use std::path::Path;

use common::{policybook, read_tree, repo_root};

const BOM: &str = "\u{feff}";

/// A second rule with its own id and name.
fn other_rule() -> String {
    GOOD.replace("id: TST-01", "id: TST-02")
        .replace("name: test-local-accounts", "name: test-other-rule")
}

/// `dist/` still holds only the sentinel: nothing was written.
fn dist_untouched(root: &Path) {
    let tree = read_tree(&root.join("dist"));
    assert_eq!(
        tree.keys().cloned().collect::<Vec<_>>(),
        vec!["azure/sentinel.json".to_string()]
    );
}

/// Runs `build`, asserts exit 0, returns stderr.
fn build_succeeds(root: &Path) -> String {
    let run = policybook(root, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stderr
}

/// Runs `build`, asserts exit 2 and an untouched `dist/`, returns stderr.
fn build_fails(root: &Path) -> String {
    let run = policybook(root, &["build"]);
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    dist_untouched(root);
    run.stderr
}

fn set_book_toml(root: &Path, edit: impl Fn(&str) -> String) {
    let p = root.join("book.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, edit(&text)).unwrap();
}

// ------------------------------------------------------------ byte-order marks

/// A project whose text inputs of the given kinds start with a byte-order mark.
fn bom_project(kinds: &[&str]) -> tempfile::TempDir {
    let mark = |k: &str| if kinds.contains(&k) { BOM } else { "" };
    let p = project(&[("good.yaml", &format!("{}{GOOD}", mark("rule")))]);
    let root = p.path();
    set_book_toml(root, |t| format!("{}{t}", mark("book.toml")));
    std::fs::write(
        root.join("content/SUMMARY.md"),
        format!(
            "{}# Summary\n\n- [Home](index.md)\n- [Tables](tables.md)\n",
            mark("summary")
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("content/index.md"),
        format!(
            "{}# Home\n\nWelcome.\n\n{{{{#include inc.md}}}}\n",
            mark("chapter")
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("content/inc.md"),
        format!("{}Included text.\n", mark("include")),
    )
    .unwrap();
    std::fs::write(
        root.join("content/tables.md"),
        "# Tables\n\n{{#table tables/t.yaml}}\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("content/tables")).unwrap();
    std::fs::write(
        root.join("content/tables/t.yaml"),
        format!(
            "{}caption: Identity kinds\ncolumns: [Kind, Secret]\nrows:\n  - [Managed identity, none]\n",
            mark("table")
        ),
    )
    .unwrap();
    p
}

#[test]
fn bom_prefixed_inputs_build_and_no_bom_reaches_the_html() {
    let all = [
        "rule",
        "book.toml",
        "summary",
        "chapter",
        "include",
        "table",
    ];
    // Each kind alone, then all at once.
    let mut cases: Vec<Vec<&str>> = all.iter().map(|k| vec![*k]).collect();
    cases.push(all.to_vec());
    let mut failures = Vec::new();
    for kinds in cases {
        let p = bom_project(&kinds);
        let root = p.path();
        let run = policybook(root, &["build"]);
        if run.code != 0 || !run.stderr.contains("built 1 rule(s)") {
            failures.push(format!(
                "BOM in {kinds:?}: exit {}: {}",
                run.code, run.stderr
            ));
            continue;
        }
        let site = read_tree(&root.join("dist/site"));
        for (name, bytes) in &site {
            let text = String::from_utf8_lossy(bytes);
            if name.ends_with(".html") && text.contains(BOM) {
                failures.push(format!("BOM in {kinds:?}: {name} holds a U+FEFF"));
            }
        }
        let page = |name: &str| String::from_utf8_lossy(&site[name]).into_owned();
        let index = page("index.html");
        let tables = page("tables.html");
        for (ok, what) in [
            (
                index.contains("<h1 id=\"home\">"),
                "index.html has its heading",
            ),
            (
                index.contains("<p>Included text.</p>"),
                "index.html has the included text",
            ),
            (
                tables.contains("Identity kinds"),
                "tables.html has the caption",
            ),
            (
                tables.contains("<td>Managed identity</td>"),
                "tables.html has the row",
            ),
        ] {
            if !ok {
                failures.push(format!("BOM in {kinds:?}: not true that {what}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------ not UTF-8

#[test]
fn a_latin1_rule_file_is_located_and_named_not_utf8() {
    // "Café" in Latin-1: 0xE9 is the 4th character of the title on line 3.
    let mut bytes = GOOD
        .replace("title: Local accounts are disabled", "title: Caf_")
        .into_bytes();
    let at = bytes.iter().position(|&b| b == b'_').unwrap();
    bytes[at] = 0xe9;
    let p = project(&[]);
    std::fs::write(p.path().join("policies/latin1.yaml"), &bytes).unwrap();
    let err = build_fails(p.path());
    assert!(
        err.contains(&format!(
            "policies/latin1.yaml:3:11: error: cannot read rule file: not valid UTF-8 at line 3, column 11 (byte offset {at}); save the file as UTF-8"
        )),
        "{err}"
    );
    assert!(!err.contains("permissions"), "{err}");
}

#[test]
fn a_latin1_chapter_is_an_error_not_an_empty_page() {
    let p = project(&[("good.yaml", GOOD)]);
    std::fs::write(p.path().join("content/index.md"), b"# Home\n\nna\xefve\n").unwrap();
    let err = build_fails(p.path());
    assert!(
        err.contains("content/index.md:3:3: error: cannot read chapter: not valid UTF-8 at line 3, column 3 (byte offset 10)"),
        "{err}"
    );
}

// ------------------------------------------------------------ [output.html] types

#[test]
fn a_wrongly_typed_output_html_key_is_a_warning_at_its_place() {
    // The value is ignored (the site is built as if the key were absent) and the
    // warning names the key, its place and the type it should have.
    let p = project(&[("good.yaml", GOOD)]);
    set_book_toml(p.path(), |t| {
        t.replace("[output.html]\n", "[output.html]\nsite-url = 42\n")
    });
    let line = std::fs::read_to_string(p.path().join("book.toml"))
        .unwrap()
        .lines()
        .position(|l| l == "site-url = 42")
        .unwrap()
        + 1;
    let stderr = build_succeeds(p.path());
    assert!(
        stderr.contains(&format!(
            "book.toml:{line}:12: warning: [output.html] key `site-url` has the wrong type (invalid type: integer `42`, expected a string); it is ignored"
        )),
        "{}",
        stderr
    );
    assert!(p.path().join("dist/site/index.html").is_file());

    // A list-valued key given a string.
    let p = project(&[("good.yaml", GOOD)]);
    set_book_toml(p.path(), |t| {
        t.replace(
            "[output.html]\n",
            "[output.html]\nadditional-css = \"x.css\"\n",
        )
    });
    let stderr = build_succeeds(p.path());
    assert!(
        stderr.contains(&format!(
            "book.toml:{line}:18: warning: [output.html] key `additional-css` has the wrong type (invalid type: string \"x.css\", expected a sequence); it is ignored"
        )),
        "{}",
        stderr
    );
}

// ------------------------------------------------------------ long names

#[test]
fn a_300_character_name_is_reported_at_the_name() {
    let long = "a".repeat(300);
    let rule = GOOD.replace("name: test-local-accounts", &format!("name: {long}"));
    let p = project(&[("long.yaml", &rule)]);
    let err = build_fails(p.path());
    assert!(
        err.contains(&format!(
            "policies/long.yaml:2:7: error: name `{}…` has 300 characters, more than 64",
            "a".repeat(79)
        )),
        "{err}"
    );
    // A name at the limit still builds.
    let rule = GOOD.replace(
        "name: test-local-accounts",
        &format!("name: {}", "a".repeat(64)),
    );
    let p = project(&[("ok.yaml", &rule)]);
    build_succeeds(p.path());
}

// ------------------------------------------------------------ verify

#[test]
fn verify_without_suites_fails() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("not-a-suite.yaml"), "kind: ConfigMap\n").unwrap();
    let run = policybook(tmp.path(), &["verify", tmp.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "no gator Suite files found under {}",
            tmp.path().display()
        )),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------ symbolic links

#[cfg(unix)]
#[test]
fn a_symlinked_rule_file_inside_the_project_is_built() {
    let p = project(&[("good.yaml", GOOD)]);
    let root = p.path();
    std::fs::create_dir_all(root.join("shared")).unwrap();
    std::fs::write(root.join("shared/other.yaml"), other_rule()).unwrap();
    std::os::unix::fs::symlink("../shared/other.yaml", root.join("policies/other.yaml")).unwrap();
    // A linked folder inside the project is walked too.
    std::fs::create_dir_all(root.join("more")).unwrap();
    std::fs::write(
        root.join("more/third.yaml"),
        GOOD.replace("id: TST-01", "id: TST-03")
            .replace("name: test-local-accounts", "name: test-third-rule"),
    )
    .unwrap();
    std::os::unix::fs::symlink("../more", root.join("policies/more")).unwrap();
    let stderr = build_succeeds(root);
    assert!(stderr.contains("built 3 rule(s)"), "{}", stderr);
    assert!(root
        .join("dist/azure/definitions/test-other-rule.json")
        .is_file());
    assert!(root
        .join("dist/azure/definitions/test-third-rule.json")
        .is_file());
}

#[cfg(unix)]
#[test]
fn a_symlink_leaving_the_project_dangling_or_looping_is_an_error() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("rule.yaml"), other_rule()).unwrap();
    let p = project(&[("good.yaml", GOOD)]);
    let root = p.path();
    let target = outside.path().join("rule.yaml");
    std::os::unix::fs::symlink(&target, root.join("policies/outside.yaml")).unwrap();
    std::os::unix::fs::symlink("missing.yaml", root.join("policies/dangling.yaml")).unwrap();
    std::os::unix::fs::symlink(".", root.join("policies/loop")).unwrap();
    let err = build_fails(root);
    let real = std::fs::canonicalize(&target).unwrap();
    assert!(
        err.contains(&format!(
            "policies/outside.yaml:1:1: error: symbolic link `policies/outside.yaml` points to `{}`, outside the project folder",
            real.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("policies/dangling.yaml:1:1: error: symbolic link `policies/dangling.yaml` points to `missing.yaml`, which does not exist"),
        "{err}"
    );
    assert!(
        err.contains("policies/loop:1:1: error: symbolic link `policies/loop` makes a loop: it leads back to `policies`"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_book_file_linked_from_outside_the_project_is_an_error() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret\n").unwrap();
    let p = project(&[("good.yaml", GOOD)]);
    let root = p.path();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        root.join("content/secret.txt"),
    )
    .unwrap();
    // A link inside the project is copied like the file.
    std::fs::write(root.join("logo.svg"), "<svg/>\n").unwrap();
    std::os::unix::fs::symlink("../logo.svg", root.join("content/logo.svg")).unwrap();
    let err = build_fails(root);
    assert!(
        err.contains("content/secret.txt:1:1: error: symbolic link `content/secret.txt` points to"),
        "{err}"
    );
    assert!(!err.contains("logo.svg"), "{err}");
    std::fs::remove_file(root.join("content/secret.txt")).unwrap();
    build_succeeds(root);
    assert_eq!(
        std::fs::read_to_string(root.join("dist/site/logo.svg")).unwrap(),
        "<svg/>\n"
    );
}

#[test]
fn check_reads_bom_prefixed_input_and_locates_non_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = repo_root().join("policies/samples/arm/aks/service-principal-cluster.json");
    let text = std::fs::read_to_string(&sample).unwrap();
    let plain = policybook(&repo_root(), &["check", sample.to_str().unwrap()]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let bom = tmp.path().join("bom.json");
    std::fs::write(&bom, format!("{BOM}{text}")).unwrap();
    let run = policybook(&repo_root(), &["check", bom.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The same findings as without the mark.
    assert_eq!(
        run.stdout.replace(bom.to_str().unwrap(), "X"),
        plain.stdout.replace(sample.to_str().unwrap(), "X")
    );

    let latin1 = tmp.path().join("latin1.yaml");
    std::fs::write(
        &latin1,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    let run = policybook(&repo_root(), &["check", latin1.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{}: cannot read: not valid UTF-8 at line 4, column 12 (byte offset 52); save the file as UTF-8",
            latin1.display()
        )),
        "{}",
        run.stderr
    );
}

//! Paths stay where they belong: the output folder a build replaces is a folder
//! of its own inside the project; test samples stay inside the policies folder,
//! tables inside the project and includes inside the repository that holds the book (also
//! through symbolic links); include chains are finite and bounded.
//! Every refused input exits 2 and leaves every file as it was.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{copy_tree, policybook, read_tree, repo_root};

/// A temp folder holding `proj/` (the small Gatekeeper fixture project with a
/// `.git` folder and a built-looking `dist/`) and files outside the project.
struct Fixture {
    tmp: tempfile::TempDir,
    root: PathBuf,
}

const LABELLED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {owner: me}}\nspec: {containers: [{name: c, image: i}]}\n";

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    copy_tree(
        &repo_root().join("tests/fixtures/gatekeeper/project"),
        &root,
    );
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir_all(root.join("dist/azure")).unwrap();
    std::fs::write(root.join("dist/azure/sentinel.json"), "{}\n").unwrap();
    // What must never be read or replaced: files beside the project.
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::write(tmp.path().join("outside/keep.txt"), "keep\n").unwrap();
    std::fs::write(tmp.path().join("outside.yaml"), LABELLED_POD).unwrap();
    Fixture { tmp, root }
}

impl Fixture {
    fn outside(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Every file under the temp folder (project and outside), for "nothing changed".
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        read_tree(self.tmp.path())
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let p = self.root.join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Runs `build`, asserts exit 2 and that no file changed; returns stderr.
    fn build_refused(&self) -> String {
        let before = self.snapshot();
        let run = policybook(&self.root, &["build"]);
        assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
        let after = self.snapshot();
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "no file was added or removed; stderr:\n{}",
            run.stderr
        );
        assert!(before == after, "no file changed");
        run.stderr
    }

    fn build_ok(&self) -> String {
        let run = policybook(&self.root, &["build"]);
        assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
        run.stderr
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

// ------------------------------------------------------------ item 3: output folder

#[test]
fn output_folder_that_is_or_overlaps_the_project_or_a_source_is_a_config_error() {
    let f = fixture();
    let abs = f.outside("outside").display().to_string();
    let cases: Vec<(String, String)> = vec![
        (
            "".into(),
            "is the project folder itself: a build would replace book.toml and every source".into(),
        ),
        (
            ".".into(),
            "is the project folder itself: a build would replace book.toml and every source".into(),
        ),
        (
            "./".into(),
            "is the project folder itself: a build would replace book.toml and every source".into(),
        ),
        (
            "policies".into(),
            "is the policies folder `policies` ([policybook] policies)".into(),
        ),
        (
            "./policies/out".into(),
            "is inside the policies folder `policies` ([policybook] policies)".into(),
        ),
        (
            "content".into(),
            "is the book's source folder `content` ([book] src)".into(),
        ),
        (
            "content/site".into(),
            "is inside the book's source folder `content` ([book] src)".into(),
        ),
        (
            "Policies".into(),
            "is the policies folder `policies` ([policybook] policies)".into(),
        ),
        (
            "../outside".into(),
            "uses `..`: the output folder must be inside the project".into(),
        ),
        (
            "dist/../..".into(),
            "uses `..`: the output folder must be inside the project".into(),
        ),
        (
            "dist/..".into(),
            "uses `..`: the output folder must be inside the project".into(),
        ),
        (
            abs.clone(),
            "is an absolute path: the output folder must be inside the project".into(),
        ),
        (".git".into(), "is the git repository `.git`".into()),
        (
            ".git/dist".into(),
            "is inside the git repository `.git`".into(),
        ),
        (
            "themes/out".into(),
            "is inside the themes folder `themes`".into(),
        ),
        ("book.toml".into(), "is the project file `book.toml`".into()),
    ];
    for (value, why) in cases {
        f.write(
            "book.toml",
            &std::fs::read_to_string(
                repo_root().join("tests/fixtures/gatekeeper/project/book.toml"),
            )
            .unwrap()
            .replace("output = \"dist\"", &format!("output = {value:?}")),
        );
        let err = f.build_refused();
        let line = format!("book.toml:7:10: error: [policybook] output = {value:?} {why}\n");
        assert!(err.contains(&line), "{value:?}: want {line}got:\n{err}");
        assert!(
            err.contains("help: set it to a folder of its own inside the project, e.g. `dist`"),
            "{err}"
        );
    }
}

#[test]
fn default_output_clashing_with_a_source_points_at_the_source_key() {
    let f = fixture();
    f.edit("book.toml", "output = \"dist\"\n", "");
    f.edit(
        "book.toml",
        "policies = \"policies\"",
        "policies = \"dist\"",
    );
    std::fs::rename(f.root.join("policies"), f.root.join("dist/rules")).unwrap();
    let err = f.build_refused();
    assert!(
        err.contains("book.toml:6:12: error: [policybook] output = \"dist\" is the policies folder `dist` ([policybook] policies)"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn output_folder_reached_through_a_symbolic_link_is_checked_where_it_leads() {
    let f = fixture();
    std::fs::remove_dir_all(f.root.join("dist")).unwrap();
    symlink(Path::new("policies"), &f.root.join("dist"));
    let err = f.build_refused();
    assert!(
        err.contains("book.toml:7:10: error: [policybook] output = \"dist\" holds the policies folder `policies` ([policybook] policies) (after following symbolic links)"),
        "{err}"
    );

    std::fs::remove_file(f.root.join("dist")).unwrap();
    symlink(Path::new(".."), &f.root.join("dist"));
    let err = f.build_refused();
    let real_tmp = f.tmp.path().canonicalize().unwrap();
    let want = format!(
        "book.toml:7:10: error: [policybook] output = \"dist\" leads through a symbolic link to {}, outside the project {}",
        real_tmp.display(),
        real_tmp.join("proj").display()
    );
    assert!(err.contains(&want), "want {want}\ngot:\n{err}");
}

#[test]
fn plain_mdbook_build_dir_follows_the_same_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(
        root.join("book.toml"),
        "[book]\ntitle = \"Plain\"\n\n[build]\nbuild-dir = \"src\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/SUMMARY.md"), "# Summary\n\n- [A](a.md)\n").unwrap();
    std::fs::write(root.join("src/a.md"), "# A\n").unwrap();
    let before = read_tree(root);
    let run = policybook(root, &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("book.toml:5:13: error: [build] build-dir = \"src\" is the book's source folder `src` ([book] src)"),
        "{}",
        run.stderr
    );
    assert!(read_tree(root) == before, "nothing written or deleted");
}

#[test]
fn output_folder_of_its_own_builds() {
    let f = fixture();
    f.edit(
        "book.toml",
        "output = \"dist\"",
        "output = \"./out/bundle/\"",
    );
    f.build_ok();
    assert!(f.root.join("out/bundle/site/index.html").is_file());
    assert!(f.root.join("out/bundle/gatekeeper").is_dir());
    assert!(f.root.join("policies/k8s-good.yaml").is_file());
}

#[test]
fn serve_refuses_to_serve_a_refused_output_folder() {
    let f = fixture();
    std::fs::create_dir_all(f.outside("outside/site")).unwrap();
    std::fs::write(f.outside("outside/site/index.html"), "outside").unwrap();
    let abs = f.outside("outside").display().to_string();
    f.edit(
        "book.toml",
        "output = \"dist\"",
        &format!("output = {abs:?}"),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_policybook"))
        .arg("--root")
        .arg(&f.root)
        .args(["serve", "--port", "0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read until serve either ends or says what it serves.
    let mut err = String::new();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    for line in lines.by_ref() {
        let line = line.unwrap();
        err.push_str(&line);
        err.push('\n');
        if line.starts_with("serving ") {
            break;
        }
    }
    child.kill().ok();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("error: [policybook] output = {abs:?} is an absolute path: the output folder must be inside the project; nothing to serve")),
        "{err}"
    );
}

// ------------------------------------------------------------ item 4: samples

/// The fixture rule with its first test reading `resource: <path>`; returns the
/// 1-based line of that value.
fn sample_rule(f: &Fixture, path: &str) -> usize {
    let rule = "policies/k8s-good.yaml";
    let text = std::fs::read_to_string(f.root.join(rule)).unwrap();
    let from = "    object: {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: x, labels: {owner: me}}, spec: {containers: [{name: c, image: i}]}}";
    let to = format!("    resource: {path}");
    f.edit(rule, from, &to);
    text[..text.find(from).unwrap()].matches('\n').count() + 1
}

#[test]
fn samples_outside_the_policies_folder_are_refused_at_their_value() {
    let f = fixture();
    let policies = f.root.join("policies");
    let abs = f.outside("outside.yaml").display().to_string();
    for (path, why) in [
        (
            "../../outside.yaml".to_string(),
            "`..` leads out of the policies folder",
        ),
        (
            "samples/../../../outside.yaml".to_string(),
            "`..` leads out of the policies folder",
        ),
        (abs, "an absolute path"),
    ] {
        let f = fixture();
        let line = sample_rule(&f, &path);
        let err = f.build_refused();
        let want = format!(
            "policies/k8s-good.yaml:{line}:15: error: sample `{path}`: {why}; samples must be inside the policies folder `{}`\n  help: keep test samples under the policies folder",
            f.root.join("policies").display()
        );
        assert!(err.contains(&want), "want {want}\ngot:\n{err}");
    }
    // The same sample inside the policies folder is fine.
    std::fs::create_dir_all(policies.join("samples")).unwrap();
    std::fs::write(policies.join("samples/pod.yaml"), LABELLED_POD).unwrap();
    sample_rule(&f, "samples/./pod.yaml");
    f.build_ok();
}

#[cfg(unix)]
#[test]
fn sample_and_inventory_links_leading_out_of_the_policies_folder_are_refused() {
    let f = fixture();
    std::fs::create_dir_all(f.root.join("policies/samples")).unwrap();
    symlink(
        &f.outside("outside.yaml"),
        &f.root.join("policies/samples/pod.yaml"),
    );
    let line = sample_rule(&f, "samples/pod.yaml");
    let err = f.build_refused();
    let want = format!(
        "policies/k8s-good.yaml:{line}:15: error: sample `samples/pod.yaml`: a symbolic link leads to {}, outside the policies folder; samples must be inside the policies folder `{}`",
        f.outside("outside.yaml").canonicalize().unwrap().display(),
        f.root.join("policies").display()
    );
    assert!(err.contains(&want), "want {want}\ngot:\n{err}");

    // An inventory file is a sample too.
    let f = fixture();
    f.edit(
        "policies/k8s-good.yaml",
        "    expect: {violations: \"no\"}",
        "    inventory: [../../outside.yaml]\n    expect: {violations: \"no\"}",
    );
    let err = f.build_refused();
    assert!(
        err.contains(&format!(
            "error: inventory `../../outside.yaml`: `..` leads out of the policies folder; samples must be inside the policies folder `{}`",
            f.root.join("policies").display()
        )),
        "{err}"
    );
}

// ------------------------------------------------------------ item 4: tables

const TABLE: &str = "columns: [Name, Value]\nrows:\n  - [outside-row, \"1\"]\n";

#[test]
fn tables_outside_the_project_are_refused_and_never_printed() {
    let f = fixture();
    std::fs::write(f.outside("table.yaml"), TABLE).unwrap();
    std::fs::write(
        f.outside("secret.txt"),
        "TOPSECRET root:x:0:0:root:/root:/bin/bash\n",
    )
    .unwrap();
    let boundary = format!(
        "help: table files must be inside the project folder {}",
        f.root.canonicalize().unwrap().display()
    );
    let cases = [
        (
            f.outside("table.yaml").display().to_string(),
            "an absolute path",
        ),
        (
            f.outside("secret.txt").display().to_string(),
            "an absolute path",
        ),
        (
            "../../table.yaml".to_string(),
            "it leads out of the project folder",
        ),
        (
            "../../secret.txt".to_string(),
            "it leads out of the project folder",
        ),
    ];
    for (path, why) in cases {
        f.write(
            "content/intro.md",
            &format!("# Intro\n\n{{{{#table {path}}}}}\n"),
        );
        let err = f.build_refused();
        let want =
            format!("content/intro.md:3:1: error: bad table path `{path}`: {why}\n  {boundary}");
        assert!(err.contains(&want), "want {want}\ngot:\n{err}");
        assert!(
            !err.contains("TOPSECRET") && !err.contains("outside-row"),
            "{err}"
        );
    }
}

#[test]
fn table_error_messages_do_not_quote_the_file() {
    let f = fixture();
    f.write(
        "content/tables/notes.yaml",
        "TOPSECRET root:x:0:0:root:/root:/bin/bash\n",
    );
    f.write(
        "content/intro.md",
        "# Intro\n\n{{#table tables/notes.yaml}}\n",
    );
    let err = f.build_refused();
    assert!(
        err.contains("content/tables/notes.yaml:1:1: error: bad table data: invalid type: string …, expected struct TableData"),
        "{err}"
    );
    assert!(!err.contains("TOPSECRET"), "{err}");
}

#[cfg(unix)]
#[test]
fn table_links_leading_out_of_the_project_are_refused() {
    let f = fixture();
    std::fs::write(f.outside("table.yaml"), TABLE).unwrap();
    f.write("content/tables/.keep", "");
    symlink(
        &f.outside("table.yaml"),
        &f.root.join("content/tables/t.yaml"),
    );
    f.write("content/intro.md", "# Intro\n\n{{#table tables/t.yaml}}\n");
    let err = f.build_refused();
    assert!(
        err.contains("content/intro.md:3:1: error: bad table path `tables/t.yaml`: it leads through a symbolic link out of the project folder"),
        "{err}"
    );
    assert!(!err.contains("outside-row"), "{err}");
}

#[test]
fn tables_anywhere_inside_the_project_render() {
    let f = fixture();
    f.write("data/t.yaml", TABLE);
    f.write("content/intro.md", "# Intro\n\n{{#table ../data/t.yaml}}\n");
    f.build_ok();
    let html = std::fs::read_to_string(f.root.join("dist/site/intro.html")).unwrap();
    assert!(html.contains("<td>outside-row</td>"), "{html}");
}

// ------------------------------------------------------------ item 4: includes

#[cfg(unix)]
#[test]
fn includes_stay_in_the_repository_through_links_and_absolute_paths() {
    let f = fixture();
    std::fs::write(f.outside("secret.md"), "TOPSECRET outside text\n").unwrap();
    symlink(&f.outside("secret.md"), &f.root.join("content/link.md"));
    f.write("content/intro.md", "# Intro\n\n{{#include link.md}}\n");
    let err = f.build_refused();
    assert!(
        err.contains("content/intro.md:3:1: error: cannot include `link.md`: it leads through a symbolic link out of the repository that holds the book"),
        "{err}"
    );
    assert!(!err.contains("TOPSECRET"), "{err}");

    let abs = f.outside("secret.md").display().to_string();
    f.write(
        "content/intro.md",
        &format!("# Intro\n\n{{{{#include {abs}}}}}\n"),
    );
    let err = f.build_refused();
    assert!(
        err.contains(&format!("content/intro.md:3:1: error: cannot include `{abs}`: an absolute path\n  help: give a path relative to this file, inside the repository that holds the book (")),
        "{err}"
    );
    f.write(
        "content/intro.md",
        "# Intro\n\n{{#include ../../secret.md}}\n",
    );
    let err = f.build_refused();
    assert!(
        err.contains("content/intro.md:3:1: error: cannot include `../../secret.md`: it leads out of the repository that holds the book\n  help: `{{#include}}` may name any file inside the repository that holds the book ("),
        "{err}"
    );
    assert!(!err.contains("TOPSECRET"), "{err}");
}

// ------------------------------------------------------------ item 7: include limits

#[test]
fn a_chapter_including_itself_is_a_cycle() {
    let f = fixture();
    f.write("content/intro.md", "# Intro\n\n{{#include intro.md}}\n");
    let err = f.build_refused();
    assert!(
        err.contains("content/intro.md:3:1: error: `{{#include}}` cycle: content/intro.md:3 → content/intro.md\n"),
        "{err}"
    );
}

#[test]
fn a_chapter_may_include_lines_of_itself() {
    // Not a cycle: the included lines hold no `{{#include}}`.
    let f = fixture();
    f.write(
        "content/intro.md",
        "# Intro\n\nSnippet line.\n\n{{#include intro.md:3:3}}\n",
    );
    f.build_ok();
    let html = std::fs::read_to_string(f.root.join("dist/site/intro.html")).unwrap();
    assert_eq!(html.matches("<p>Snippet line.</p>").count(), 2, "{html}");
}

#[test]
fn an_include_cycle_shows_its_chain() {
    let f = fixture();
    f.write("content/intro.md", "# Intro\n\n{{#include a.md}}\n");
    f.write("content/a.md", "A text\n{{#include sub/b.md}}\n");
    f.write("content/sub/b.md", "{{#include ../a.md}}\n");
    let err = f.build_refused();
    assert!(
        err.contains("content/sub/b.md:1:1: error: `{{#include}}` cycle: content/intro.md:3 → content/a.md:2 → content/sub/b.md:1 → content/a.md\n  help: a file cannot include itself"),
        "{err}"
    );
    assert_eq!(err.matches("cycle").count(), 1, "one error: {err}");
}

/// `intro.md` includes `c1.md`, which includes `c2.md`, … down to `c<n>.md`.
fn include_chain(f: &Fixture, n: usize) {
    f.write("content/intro.md", "# Intro\n\n{{#include c1.md}}\n");
    for i in 1..n {
        f.write(
            &format!("content/c{i}.md"),
            &format!("{{{{#include c{}.md}}}}\n", i + 1),
        );
    }
    f.write(&format!("content/c{n}.md"), "The innermost text.\n");
}

#[test]
fn includes_nest_ten_deep_like_mdbook() {
    let f = fixture();
    include_chain(&f, 10);
    f.build_ok();
    let html = std::fs::read_to_string(f.root.join("dist/site/intro.html")).unwrap();
    assert!(html.contains("The innermost text."));

    let f = fixture();
    include_chain(&f, 12);
    let err = f.build_refused();
    let chain: String = (1..=10).map(|i| format!(" → content/c{i}.md:1")).collect();
    let want = format!(
        "content/c10.md:1:1: error: `{{{{#include}}}}` nested more than 10 deep: content/intro.md:3{chain} → content/c11.md\n"
    );
    assert!(err.contains(&want), "want {want}\ngot:\n{err}");
}

#[test]
fn an_include_bomb_stops_at_the_size_limit() {
    // f0 includes f1 ten times, f1 includes f2 ten times, … six levels: 10^6 copies
    // of the last line (21 MB) if nothing stopped it.
    let f = fixture();
    f.write("content/intro.md", "# Intro\n\n{{#include f0.md}}\n");
    for i in 0..6 {
        f.write(
            &format!("content/f{i}.md"),
            &format!("{{{{#include f{}.md}}}}\n", i + 1).repeat(10),
        );
    }
    f.write("content/f6.md", "0123456789 bomb line\n");
    let err = f.build_refused();
    assert!(
        err.contains("content/f4.md:9:1: error: `{{#include}}` makes this chapter larger than 4 MiB (while including content/f5.md)\n  help: include less, or split the chapter"),
        "{err}"
    );
    assert_eq!(err.matches("larger than").count(), 1, "one error: {err}");
}

// ------------------------------------------------------------ chapters and themes

#[cfg(unix)]
#[test]
fn chapters_and_themes_linked_from_outside_are_refused() {
    let f = fixture();
    std::fs::write(f.outside("secret.md"), "# TOPSECRET\n").unwrap();
    symlink(&f.outside("secret.md"), &f.root.join("content/leak.md"));
    f.write(
        "content/SUMMARY.md",
        "# Summary\n\n- [Intro](intro.md)\n- [Leak](leak.md)\n",
    );
    let err = f.build_refused();
    assert!(
        err.contains("content/SUMMARY.md:4:3: error: chapter file `leak.md` leads through a symbolic link out of the book's source folder"),
        "{err}"
    );

    let f = fixture();
    std::fs::create_dir_all(f.outside("outside/assets")).unwrap();
    std::fs::write(f.outside("outside/assets/leak.txt"), "TOPSECRET").unwrap();
    std::fs::create_dir_all(f.root.join("themes")).unwrap();
    f.edit(
        "book.toml",
        "output = \"dist\"\n",
        "output = \"dist\"\ntheme = \"../../outside\"\n",
    );
    let err = f.build_refused();
    assert!(
        err.contains(
            "book.toml:8:9: error: [policybook] theme = \"../../outside\" is not a folder name"
        ),
        "{err}"
    );
    f.edit(
        "book.toml",
        "theme = \"../../outside\"",
        "theme = \"shiny\"",
    );
    symlink(&f.outside("outside"), &f.root.join("themes/shiny"));
    let err = f.build_refused();
    assert!(
        err.contains("book.toml:8:9: error: [policybook] theme = \"shiny\" leads through a symbolic link out of the project"),
        "{err}"
    );
}

// ------------------------------------------------------------ source folders

/// `[book] src`, `[policybook] policies` and `aliases` must stay inside the
/// project: a hostile book.toml cannot make a build read rules or chapters from
/// elsewhere on the machine.
#[test]
fn source_folders_outside_the_project_are_refused_at_their_key() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), "id: LEAK-01\n").unwrap();
    let cases: Vec<(&str, String, String)> = vec![
        (
            "policies = \"policies\"",
            "policies = \"../x\"".into(),
            "error: [policybook] policies = \"../x\" leads out of the project with `..`".into(),
        ),
        (
            "policies = \"policies\"",
            format!("policies = {:?}", outside.path().display().to_string()),
            format!(
                "error: [policybook] policies = {:?} is an absolute path",
                outside.path().display().to_string()
            ),
        ),
        (
            "aliases = \"policies/aliases.json\"",
            "aliases = \"/etc/passwd\"".into(),
            "error: [policybook] aliases = \"/etc/passwd\" is an absolute path".into(),
        ),
        (
            "src = \"content\"",
            "src = \"content/../..\"".into(),
            "error: [book] src = \"content/../..\" leads out of the project with `..`".into(),
        ),
    ];
    for (from, to, want) in cases {
        let tmp = common::copy_project(&["book.toml", "policies", "content", "themes"]);
        let toml = std::fs::read_to_string(tmp.path().join("book.toml")).unwrap();
        assert!(toml.contains(from), "{from}");
        std::fs::write(tmp.path().join("book.toml"), toml.replacen(from, &to, 1)).unwrap();
        let run = common::policybook(tmp.path(), &["build"]);
        assert_eq!(run.code, 2, "{to}: {}", run.stderr);
        assert!(run.stderr.contains(&want), "{to}:\n{}", run.stderr);
        assert!(!run.stderr.contains("LEAK-01"), "{}", run.stderr);
        assert!(!tmp.path().join("dist").exists());
    }
    // A symbolic link out of the project is refused the same way.
    let tmp = common::copy_project(&["book.toml", "policies", "content", "themes"]);
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("elsewhere")).unwrap();
    let toml = std::fs::read_to_string(tmp.path().join("book.toml")).unwrap();
    std::fs::write(
        tmp.path().join("book.toml"),
        toml.replacen("policies = \"policies\"", "policies = \"elsewhere\"", 1),
    )
    .unwrap();
    let run = common::policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: [policybook] policies = \"elsewhere\" leads through a symbolic link out of the project"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("LEAK-01"), "{}", run.stderr);
}

//! Output is atomic and tidy: concurrent builds wait for each other through the
//! lock beside `dist/`, staging folders of killed builds are removed by the next
//! build, and a build killed at any moment leaves `dist/` as the complete previous
//! build or the complete new one.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::time::Duration;

use common::{copy_tree, policybook, read_tree, repo_root, spawn_build};

/// The small Gatekeeper fixture project (one rule, one page): a build takes a moment.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &repo_root().join("tests/fixtures/gatekeeper/project"),
        tmp.path(),
    );
    tmp
}

fn build(root: &Path) {
    let run = policybook(root, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Every file of dist/ with its bytes: the manifest builds are compared by.
fn dist(root: &Path) -> BTreeMap<String, Vec<u8>> {
    if !root.join("dist").is_dir() {
        return BTreeMap::new();
    }
    read_tree(&root.join("dist"))
}

/// Names beside dist/ that belong to a build in progress (staging folders, lock).
fn leftovers(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".dist"))
        .collect();
    v.sort();
    v
}

fn same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> bool {
    a == b
}

fn names(m: &BTreeMap<String, Vec<u8>>) -> Vec<&String> {
    m.keys().collect()
}

#[test]
fn concurrent_builds_all_succeed_and_leave_a_complete_dist() {
    let p = project();
    let root = p.path();
    build(root);
    let reference = dist(root);
    assert!(reference.contains_key("site/index.html"));
    for round in 0..4 {
        let children: Vec<Child> = (0..3).map(|_| spawn_build(root)).collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            same(&dist(root), &reference),
            "round {round}: dist/ differs"
        );
        assert_eq!(leftovers(root), Vec::<String>::new(), "round {round}");
    }
}

#[test]
fn a_build_waits_for_the_lock_and_names_its_holder() {
    let p = project();
    let root = p.path();
    // This test holds the lock as another build would.
    let lock = std::fs::File::create(root.join(".dist.lock")).unwrap();
    std::fs::write(root.join(".dist.lock"), "4242").unwrap();
    lock.lock().unwrap();
    let mut child = spawn_build(root);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut seen = String::new();
    loop {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the build ended without waiting:\n{seen}");
        }
        seen.push_str(&line);
        if line.starts_with("waiting for another policybook build (pid 4242) to finish writing ") {
            break;
        }
    }
    assert!(
        !root.join("dist").exists(),
        "nothing is written while waiting"
    );
    drop(lock);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{seen}{rest}");
    assert!(root.join("dist/site/index.html").is_file());
    assert_eq!(leftovers(root), Vec::<String>::new());
}

#[test]
fn staging_folders_left_by_killed_builds_are_removed() {
    let p = project();
    let root = p.path();
    build(root);
    let reference = dist(root);
    for stale in [
        ".dist.old/azure",
        ".dist.old-77/site",
        ".dist.tmp-99999999/site/css",
    ] {
        std::fs::create_dir_all(root.join(stale)).unwrap();
        std::fs::write(root.join(stale).join("partial.txt"), "partial").unwrap();
    }
    std::fs::write(root.join(".dist.lock"), "99999999").unwrap();
    build(root);
    assert!(same(&dist(root), &reference));
    assert_eq!(leftovers(root), Vec::<String>::new());
}

/// A small deterministic generator for the kill delays.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn builds_killed_at_any_moment_leave_the_previous_or_the_new_dist() {
    let p = project();
    let root = p.path();
    let intro = root.join("content/intro.md");
    let versions = ["# Intro\n\nVersion A.\n", "# Intro\n\nVersion B, longer.\n"];
    let mut reference = Vec::new();
    for v in versions {
        std::fs::write(&intro, v).unwrap();
        build(root);
        reference.push(dist(root));
    }
    assert!(!same(&reference[0], &reference[1]));
    let mut current = 1;
    let mut rng = Lcg(8);
    for i in 0..15 {
        let next = 1 - current;
        std::fs::write(&intro, versions[next]).unwrap();
        let mut child = spawn_build(root);
        // From "still starting" to "already done": the build takes a few hundred ms.
        std::thread::sleep(Duration::from_millis(rng.next() % 400));
        child.kill().ok();
        child.wait().unwrap();
        let now = dist(root);
        assert!(
            same(&now, &reference[current]) || same(&now, &reference[next]),
            "kill {i}: dist/ is neither complete build: {:?}; beside it: {:?}",
            names(&now),
            leftovers(root)
        );
        build(root);
        assert!(same(&dist(root), &reference[next]), "build after kill {i}");
        assert_eq!(leftovers(root), Vec::<String>::new(), "after kill {i}");
        current = next;
    }
}

//! Rego evaluation is bounded: recursive functions are rejected at the rule's
//! place (they used to overflow the stack and abort with exit 134), and a case
//! that runs past `[policybook] rego-timeout` fails with a message naming the
//! limit (it used to run for minutes). Each run has a deadline, so a hang
//! fails the test instead of blocking it.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far above the 1 s limit the slow cases use, far below "hangs".
const DEADLINE: Duration = Duration::from_secs(60);

fn fixture() -> std::path::PathBuf {
    common::repo_root().join("tests/fixtures/gatekeeper")
}

/// The fixture project with `limits/<rule>` as its only rule (none: the good rule),
/// and `extra` appended to `[policybook]`.
fn project(rule: Option<&str>, extra: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture().join("project"), tmp.path());
    if let Some(r) = rule {
        std::fs::copy(
            fixture().join("limits").join(r),
            tmp.path().join("policies/k8s-good.yaml"),
        )
        .unwrap();
    }
    let book = tmp.path().join("book.toml");
    let text = std::fs::read_to_string(&book).unwrap();
    let text = text.replace(
        "output = \"dist\"\n",
        &format!("output = \"dist\"\n{extra}"),
    );
    std::fs::write(&book, text).unwrap();
    tmp
}

/// Runs policybook with `--root root`, killing it (and failing) past the deadline.
fn run(root: &Path, args: &[&str]) -> common::Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .arg("--root")
        .arg(root)
        .args(args)
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run policybook");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "policybook {args:?} still running after {DEADLINE:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: [{name: c, image: i}]}\n";

const RECURSION: &str = "policies/k8s-good.yaml:27:5: error: the template's Rego does not compile: recursive function calls: k8sfixtureownerlabel.is_even → k8sfixtureownerlabel.is_odd → k8sfixtureownerlabel.is_even (Gatekeeper rejects recursion: rego_recursion_error)";

const LIMIT_1S: &str = "evaluation exceeded the 1 s limit set by [policybook] rego-timeout in book.toml; make the Rego cheaper or raise the limit";

#[test]
fn recursive_functions_are_rejected_at_their_place_by_test_build_and_check() {
    let tmp = project(Some("recursive.yaml"), "");
    std::fs::write(tmp.path().join("pod.yaml"), POD).unwrap();
    for (args, tail) in [
        (&["test"][..], "1 error(s); no test was run"),
        (&["build"][..], "1 error(s); nothing was written"),
        (
            &["check", "pod.yaml"][..],
            "1 error(s) in the rules; nothing was checked",
        ),
    ] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines[0], RECURSION, "{args:?}: {}", r.stderr);
        assert_eq!(lines.last(), Some(&tail), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
    }
    assert!(!tmp.path().join("dist").exists());
}

/// The fixture built, then its template's Rego replaced by `rule`'s (for `verify`).
fn suites_with_rego_of(rule: &str, extra: &str) -> tempfile::TempDir {
    let tmp = project(None, extra);
    let b = run(tmp.path(), &["build"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    let source = std::fs::read_to_string(fixture().join("limits").join(rule)).unwrap();
    let rego = source
        .split_once("  rego: |\n")
        .unwrap()
        .1
        .split_once("tests:\n")
        .unwrap()
        .0;
    let rego: String = rego.lines().map(|l| format!("  {l}\n")).collect();
    let path = tmp
        .path()
        .join("dist/gatekeeper/templates/k8sfixtureownerlabel.yaml");
    let template = std::fs::read_to_string(&path).unwrap();
    let (head, _) = template.split_once("    rego: |\n").unwrap();
    std::fs::write(&path, format!("{head}    rego: |\n{rego}")).unwrap();
    tmp
}

#[test]
fn recursive_functions_fail_verify_without_crashing() {
    let tmp = suites_with_rego_of("recursive.yaml", "");
    let r = run(tmp.path(), &["verify", "dist/gatekeeper/suites"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("the template does not compile: rego line 10: recursive function calls: k8sfixtureownerlabel.is_even → k8sfixtureownerlabel.is_odd → k8sfixtureownerlabel.is_even"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_slow_case_fails_at_the_configured_limit_in_test() {
    let tmp = project(Some("slow.yaml"), "rego-timeout = \"1s\"\n");
    let r = run(tmp.path(), &["test"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("ok   FX-01 labelled pod is allowed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "ERR  FX-01 unlabelled pod is denied — violations: 1 matching /owner/\n     at policies/k8s-good.yaml:30:11\n     expected: violations: 1 matching /owner/\n     got:      error\n     | {LIMIT_1S}\n"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.ends_with("1 passed, 1 failed, 0 skipped\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_slow_case_fails_at_the_configured_limit_in_build_and_check() {
    // At the enforce stage a finding (an evaluation error included) fails `check`.
    let tmp = project(
        Some("slow.yaml"),
        "rego-timeout = \"1s\"\nrollout = \"enforce\"\n",
    );
    let b = run(tmp.path(), &["build"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(
        b.stderr.contains("(2 test case(s): 1 passed, 1 failed)"),
        "{}",
        b.stderr
    );
    std::fs::write(tmp.path().join("pod.yaml"), POD).unwrap();
    let c = run(tmp.path(), &["check", "pod.yaml"]);
    assert_eq!(c.code, 1, "{}{}", c.stdout, c.stderr);
    assert!(
        c.stdout
            .contains(&format!("evaluation error: {LIMIT_1S}\n")),
        "{}",
        c.stdout
    );
}

#[test]
fn a_slow_case_fails_at_the_configured_limit_in_verify() {
    let tmp = suites_with_rego_of("slow.yaml", "rego-timeout = \"1s\"\n");
    let r = run(tmp.path(), &["verify", "dist/gatekeeper/suites"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("evaluation error: {LIMIT_1S}")),
        "{}",
        r.stdout
    );
}

#[test]
fn an_invalid_rego_timeout_is_a_config_error_at_its_place() {
    for (value, shown) in [("\"fast\"", "\"fast\""), ("5", "`5`"), ("\"0s\"", "\"0s\"")] {
        let tmp = project(None, &format!("rego-timeout = {value}\n"));
        let r = run(tmp.path(), &["test"]);
        assert_eq!(r.code, 2, "{value}: {}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!("book.toml:8:16: error: invalid book.toml: invalid rego-timeout {shown}: expected a duration string like \"5s\" or \"500ms\" (1ms to 3600s)")),
            "{value}: {}",
            r.stderr
        );
    }
}

/// GET `/` from the server; the status line.
fn get_root(port: u16) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn serve_keeps_the_last_good_site_when_a_rule_turns_recursive() {
    use std::io::BufRead;
    let tmp = project(None, "");
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .arg("--root")
        .arg(tmp.path())
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    // Waits for a stderr line containing `what`, failing (and stopping the server) past the deadline.
    let mut seen = String::new();
    let mut wait_for = |what: &str, child: &mut std::process::Child| {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(l) => {
                    seen.push_str(&l);
                    seen.push('\n');
                    if l.contains(what) {
                        return;
                    }
                }
                Err(_) => {
                    if let Some(status) = child.try_wait().unwrap() {
                        panic!("serve exited ({status}) before {what:?}:\n{seen}");
                    }
                }
            }
        }
        let _ = child.kill();
        panic!("no {what:?} from serve within {DEADLINE:?}:\n{seen}");
    };
    wait_for("serving ", &mut child);
    assert_eq!(get_root(port), "HTTP/1.1 200 OK");
    std::fs::copy(
        fixture().join("limits/recursive.yaml"),
        tmp.path().join("policies/k8s-good.yaml"),
    )
    .unwrap();
    wait_for("still serving the last good build", &mut child);
    let alive = child.try_wait().unwrap().is_none();
    let status = get_root(port);
    let _ = child.kill();
    let _ = child.wait();
    assert!(alive, "serve stopped:\n{seen}");
    assert!(seen.contains(RECURSION), "{seen}");
    assert_eq!(status, "HTTP/1.1 200 OK");
}

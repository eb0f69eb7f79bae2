//! `policybook serve`'s live reload, end to end: the real binary serves a copy of a
//! small project on a free loopback port; pages carry the reload hook, the script is
//! served, an edit to a content file is rebuilt under a new build number, and a broken
//! rule keeps the last good site served while stderr names the problem.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{rule_project, GOOD_RULE};

const HOOK: &str = "<script src=\"/__policybook/live.js\"></script>\n</body>";

/// A running `policybook serve --port 0`; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_policybook"))
            .arg("--root")
            .arg(root)
            .args(["serve", "--port", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run policybook serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let stderr = Arc::clone(&stderr);
            let lines = BufReader::new(child.stderr.take().unwrap()).lines();
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    if let Some(rest) = line.split_once("http://127.0.0.1:").map(|p| p.1) {
                        let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                        tx.send(port.parse::<u16>().unwrap()).ok();
                    }
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            });
        }
        let mut server = Server {
            child,
            port: 0,
            stderr,
        };
        server.port = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("serve never said its port:\n{}", server.stderr()));
        server
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// GETs `target`; returns the status and body.
    fn get(&self, target: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let host = format!("127.0.0.1:{}", self.port);
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
            .unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf)
            .unwrap_or_else(|e| panic!("GET {target}: {e}"));
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head[9..12].parse().unwrap();
        (status, body.to_string())
    }

    /// The build number being served, at once (no `v`).
    fn generation(&self) -> String {
        let (status, body) = self.get("/__policybook/wait");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Waits (at most 20 s, which leaves the rebuild of a tiny project ample
    /// time) until stderr holds `what`.
    fn wait_for_stderr(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.stderr().contains(what) {
            assert!(
                Instant::now() < deadline,
                "serve never printed {what:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn serve_reloads_on_edit_and_keeps_the_last_good_site_on_a_broken_one() {
    let tmp = rule_project(&[("tst-01.yaml", GOOD_RULE)]);
    let root = tmp.path();
    let server = Server::start(root);

    // Pages carry the hook; the script it loads long-polls the wait endpoint.
    let (status, page) = server.get("/index.html");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1 id=\"home\">"), "{page}");
    assert!(page.contains(HOOK), "{page}");
    assert!(!page.contains("Edited-7d3a"), "{page}");
    let (status, js) = server.get("/__policybook/live.js");
    assert_eq!(status, 200);
    assert!(js.contains("fetch('/__policybook/wait'"), "{js}");
    assert!(js.contains("location.reload()"), "{js}");
    assert_eq!(server.generation(), "1");

    // A content edit: the long poll on build 1 answers with build 2, and the page
    // served from then on shows the edit, still with the hook.
    std::fs::write(
        root.join("content/index.md"),
        "# Home\n\nEdited-7d3a here.\n",
    )
    .unwrap();
    let (status, v) = server.get("/__policybook/wait?v=1");
    assert_eq!((status, v.as_str()), (200, "2"), "{}", server.stderr());
    let (_, page) = server.get("/index.html");
    assert!(page.contains("<p>Edited-7d3a here.</p>"), "{page}");
    assert!(page.contains(HOOK), "{page}");
    let err = server.stderr();
    assert!(
        err.contains("change detected; rebuilding\n") && err.contains("\nrebuilt in "),
        "{err}"
    );

    // A broken rule: serve says what and where, stays on build 2 and keeps serving
    // the last good page.
    std::fs::write(
        root.join("policies/tst-01.yaml"),
        "id: TST-01\nname: [unclosed\n",
    )
    .unwrap();
    server.wait_for_stderr("still serving the last good build");
    let err = server.stderr();
    assert!(
        err.contains(
            "policies/tst-01.yaml:3:1: error: malformed YAML: did not find expected ',' or ']'\n  help: fix the YAML syntax at this place (indentation, quoting, a missing `:`)\n1 error(s); still serving the last good build\n"
        ),
        "{err}"
    );
    assert_eq!(server.generation(), "2");
    let (status, page) = server.get("/index.html");
    assert_eq!(status, 200);
    assert!(page.contains("<p>Edited-7d3a here.</p>"), "{page}");

    // Fixing it rebuilds again: build 3.
    std::fs::write(root.join("policies/tst-01.yaml"), GOOD_RULE).unwrap();
    let (status, v) = server.get("/__policybook/wait?v=2");
    assert_eq!((status, v.as_str()), (200, "3"), "{}", server.stderr());
}

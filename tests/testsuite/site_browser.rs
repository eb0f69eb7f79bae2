//! The built handbook in a real browser: builds the repo's own site (in a temp copy;
//! the policy-project fixture when the repo's book does not build yet), serves it on
//! 127.0.0.1, and drives headless Chromium over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`, no extra crates): open the index; search "kubelet" and
//! find the kubelet identity page; open the result; toggle the dark theme and keep it
//! across a reload; open a policy page and check its test table. Any console error
//! fails the test. Screenshots go to target/test-artifacts/.
//!
//! Without Chromium (`/usr/bin/chromium`, or `$CHROMIUM`) the test prints
//! "skipped: no chromium", unless POLICYBOOK_REQUIRE_BROWSER=1, when it fails.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use policybook::build::{build, load_and_validate};

use crate::common::copy_tree;

pub(crate) struct Browser {
    child: Child,
    to: File,
    rx: Receiver<Value>,
    next: u64,
    session: String,
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub(crate) fn launch(exe: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (mut a, mut b) = ([0i32; 2], [0i32; 2]);
        unsafe {
            assert_eq!(libc::pipe(a.as_mut_ptr()), 0);
            assert_eq!(libc::pipe(b.as_mut_ptr()), 0);
        }
        let (child_in, ours_out) = (a[0], a[1]); // we write → browser reads on fd 3
        let (ours_in, child_out) = (b[0], b[1]); // browser writes on fd 4 → we read
        let mut cmd = Command::new(exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1400,1000",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(child_in, 3) < 0 || libc::dup2(child_out, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(ours_out);
                libc::close(ours_in);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        unsafe {
            libc::close(child_in);
            libc::close(child_out);
        }
        let to = unsafe { File::from_raw_fd(ours_out) };
        let from = unsafe { File::from_raw_fd(ours_in) };
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(from);
            loop {
                let mut buf = Vec::new();
                match r.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        buf.pop();
                        if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                            if tx.send(v).is_err() {
                                break;
                            }
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            to,
            rx,
            next: 0,
            session: String::new(),
            events: Vec::new(),
            _profile: profile,
        };
        let target = b.call_browser("Target.createTarget", json!({"url": "about:blank"}));
        let id = target["targetId"].as_str().unwrap().to_string();
        let att = b.call_browser(
            "Target.attachToTarget",
            json!({"targetId": id, "flatten": true}),
        );
        b.session = att["sessionId"].as_str().unwrap().to_string();
        for m in ["Page.enable", "Runtime.enable", "Log.enable"] {
            b.call(m, json!({}));
        }
        b
    }

    fn send(&mut self, method: &str, params: Value, session: bool) -> u64 {
        self.next += 1;
        let mut msg = json!({"id": self.next, "method": method, "params": params});
        if session {
            msg["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        self.next
    }

    fn wait_reply(&mut self, id: u64, what: &str) -> Value {
        self.wait_reply_for(id, what, Duration::from_secs(30))
    }

    fn wait_reply_for(&mut self, id: u64, what: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no reply from chromium to {what}"));
            if v["id"].as_u64() == Some(id) {
                if let Some(e) = v.get("error") {
                    panic!("{what}: {e}");
                }
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params, false);
        self.wait_reply(id, method)
    }

    /// `call` for a command that may take longer than the usual 30 s (an axe-core scan).
    pub(crate) fn call_for(&mut self, method: &str, params: Value, limit: Duration) -> Value {
        let id = self.send(method, params, true);
        self.wait_reply_for(id, method, limit)
    }

    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params, true);
        self.wait_reply(id, method)
    }

    fn drain(&mut self) {
        while let Ok(v) = self.rx.try_recv() {
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    pub(crate) fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("evaluating `{expr}`: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Polls `expr` until it is truthy.
    fn wait_for(&mut self, expr: &str, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let v = self.eval(expr);
            if !(v.is_null() || v == json!(false) || v == json!(0) || v == json!("")) {
                return v;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what} (`{expr}`)");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait_loaded();
    }

    fn wait_loaded(&mut self) {
        // Wait until the new document is complete and the theme's deferred scripts ran.
        std::thread::sleep(Duration::from_millis(100));
        self.wait_for(
            "document.readyState === 'complete' && !!document.querySelector('#pb-sidebar a')",
            "page load",
        );
    }

    fn key(&mut self, key: &str) {
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyDown", "key": key, "text": key}),
        );
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key}),
        );
    }

    fn screenshot(&mut self, name: &str) {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    pub(crate) fn console_errors(&mut self) -> Vec<String> {
        self.drain();
        let mut errs = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled" if p["type"] == "error" => {
                    errs.push(format!("console.error: {}", p["args"]))
                }
                "Runtime.exceptionThrown" => {
                    errs.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    errs.push(format!("log: {} {}", p["entry"]["text"], p["entry"]["url"]))
                }
                _ => {}
            }
        }
        errs
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CHROMIUM").ok(),
        Some("/usr/bin/chromium".into()),
        Some("/usr/bin/chromium-browser".into()),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// The Chromium to drive; without one, `None` after printing "skipped: no chromium",
/// or a failure when POLICYBOOK_REQUIRE_BROWSER=1.
fn chromium_or_skip() -> Option<PathBuf> {
    let exe = chromium();
    if exe.is_none() {
        if std::env::var("POLICYBOOK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "POLICYBOOK_REQUIRE_BROWSER=1 but no Chromium at /usr/bin/chromium (or $CHROMIUM)"
            );
        }
        println!("skipped: no chromium");
    }
    exe
}

/// Builds a copy of the repo's own book, or the fixture project when it does not build.
/// Returns (temp dir, site folder, the page search must find for "kubelet", a policy page).
fn build_site() -> (
    tempfile::TempDir,
    PathBuf,
    Vec<&'static str>,
    Option<String>,
) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    for item in ["book.toml", "content", "policies", "themes"] {
        let p = repo.join(item);
        if p.is_file() {
            std::fs::copy(&p, tmp.path().join(item)).unwrap();
        } else if p.is_dir() {
            copy_tree(&p, &tmp.path().join(item));
        }
    }
    let (bundle, diags) = load_and_validate(tmp.path());
    if !diags.has_errors() && build(&bundle).is_ok() {
        let site = tmp.path().join(bundle.config.site_dir());
        let policy = ["policies/aks-own-kubelet-identity.html"]
            .iter()
            .find(|p| site.join(p).is_file())
            .map(|s| s.to_string());
        eprintln!("browser test: the repo's own handbook");
        return (
            tmp,
            site,
            vec![
                "guides/acr-kubelet-identity.html",
                "policies/aks-own-kubelet-identity.html",
                "concepts/aks-identities.html",
            ],
            policy,
        );
    }
    eprintln!("browser test: the repo's book does not build yet; using the policy-project fixture");
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&repo.join("tests/fixtures/site/policy-project"), tmp.path());
    let _ = std::fs::remove_dir_all(tmp.path().join("dist"));
    let (bundle, diags) = load_and_validate(tmp.path());
    assert!(!diags.has_errors(), "{diags}");
    build(&bundle).expect("fixture builds");
    let site = tmp.path().join(bundle.config.site_dir());
    (
        tmp,
        site,
        vec!["guides/acr.html"],
        Some("policies/acr-admin-user-disabled.html".into()),
    )
}

#[test]
fn handbook_in_headless_chromium() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let (_tmp, site, kubelet_pages, policy_page) = build_site();
    let addr = policybook::serve::serve_static(site.clone()).unwrap();
    let base = format!("http://{addr}/");
    let mut b = Browser::launch(&exe);

    // The index, with the shared sidebar rendered and the current page highlighted.
    b.navigate(&format!("{base}index.html"));
    let links = b
        .eval("document.querySelectorAll('#pb-sidebar a').length")
        .as_u64()
        .unwrap();
    assert!(links >= 3, "sidebar has {links} links");
    assert_eq!(
        b.eval("!!document.querySelector('#pb-sidebar a.active')"),
        json!(true),
        "current page highlighted"
    );

    // Search with the keyboard shortcut.
    b.key("/");
    b.wait_for("!document.getElementById('pb-search').hidden && document.activeElement.id === 'pb-search-input'", "the search box");
    b.call("Input.insertText", json!({"text": "kubelet"}));
    b.wait_for(
        "document.querySelectorAll('#pb-search-results li').length",
        "search results",
    );
    let hrefs: Vec<String> = serde_json::from_value(b.eval("Array.from(document.querySelectorAll('#pb-search-results a')).map(a => a.getAttribute('href'))")).unwrap();
    let marks = b
        .eval("document.querySelectorAll('#pb-search-results mark').length")
        .as_u64()
        .unwrap();
    assert!(marks > 0, "snippets highlight the term");
    b.screenshot("site-search.png");
    let hit = hrefs
        .iter()
        .find(|h| kubelet_pages.iter().any(|p| h.starts_with(p)))
        .unwrap_or_else(|| panic!("no kubelet identity page among the results {hrefs:?}"))
        .clone();

    // Open the result: the page loads and marks the term.
    b.eval(&format!("(() => {{ const a = Array.from(document.querySelectorAll('#pb-search-results a')).find(a => a.getAttribute('href') === {}); a.click(); return true; }})()", json!(hit)));
    std::thread::sleep(Duration::from_millis(300));
    b.wait_loaded();
    let path = b.eval("location.pathname").as_str().unwrap().to_string();
    assert!(
        hit.starts_with(path.trim_start_matches('/')),
        "opened {path} for {hit}"
    );
    b.wait_for(
        "document.querySelectorAll('main mark.pb-hl').length",
        "highlighted terms on the result page",
    );

    // Dark theme: toggle, then reload; the choice is remembered.
    let before = b
        .eval("document.documentElement.dataset.theme")
        .as_str()
        .unwrap()
        .to_string();
    if before != "dark" {
        b.eval("document.getElementById('pb-theme-toggle').click(), true");
    }
    assert_eq!(
        b.eval("document.documentElement.dataset.theme"),
        json!("dark")
    );
    b.call("Page.reload", json!({}));
    b.wait_loaded();
    assert_eq!(
        b.eval("document.documentElement.dataset.theme"),
        json!("dark"),
        "dark theme survives a reload"
    );
    assert_eq!(
        b.eval("getComputedStyle(document.body).backgroundColor"),
        json!("rgb(13, 17, 23)")
    );
    b.screenshot("site-dark.png");

    // A policy page with its test table.
    let policy = policy_page.unwrap_or_else(|| {
        let idx = std::fs::read_to_string(site.join("policies/index.html")).unwrap();
        let s = idx.find("<td><a href=\"").unwrap() + 13;
        format!("policies/{}", &idx[s..s + idx[s..].find('"').unwrap()])
    });
    b.navigate(&format!("{base}{policy}"));
    let rows = b
        .eval("document.querySelectorAll('table.tests tbody tr').length")
        .as_u64()
        .unwrap();
    assert!(rows > 0, "{policy} has a test table");
    let verdicts: Vec<String> = serde_json::from_value(b.eval(
        "Array.from(document.querySelectorAll('table.tests td.verdict')).map(td => td.textContent)",
    ))
    .unwrap();
    assert!(
        verdicts.iter().all(|v| v == "pass"),
        "{policy}: {verdicts:?}"
    );
    b.eval("document.getElementById('tests').scrollIntoView(), true");
    b.screenshot("site-policy.png");

    let errors = b.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// Rust code blocks in a browser: `# ` lines hidden, the toggle shows them, the
/// copy button copies what is shown.
#[test]
fn code_block_buttons_in_headless_chromium() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (p, t) in [
        ("book.toml", "[book]\ntitle = \"Code\"\n"),
        ("src/SUMMARY.md", "- [Code](index.md)\n"),
        (
            "src/index.md",
            "# Code\n\n```rust\n# fn hidden() {}\nfn main() {\n    hidden();\n}\n```\n",
        ),
    ] {
        let to = tmp.path().join(p);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, t).unwrap();
    }
    let (bundle, diags) = load_and_validate(tmp.path());
    assert!(!diags.has_errors(), "{diags}");
    build(&bundle).expect("builds");
    let site = tmp.path().join(bundle.config.site_dir());
    let addr = policybook::serve::serve_static(site).unwrap();
    let mut b = Browser::launch(&exe);
    b.navigate(&format!("http://{addr}/index.html"));
    let display = "getComputedStyle(document.querySelector('main pre code .boring')).display";
    assert_eq!(b.eval(display), json!("none"), "hidden line hidden");
    b.eval("window.__copied = null; navigator.clipboard.writeText = t => { window.__copied = t; return Promise.resolve(); }; document.querySelector('.pb-code-copy').click(), true");
    b.wait_for("window.__copied", "the copy button");
    assert_eq!(
        b.eval("window.__copied"),
        json!("fn main() {\n    hidden();\n}")
    );
    b.eval("document.querySelector('.pb-code-toggle').click(), true");
    assert_eq!(b.eval(display), json!("inline"), "toggle shows it");
    assert_eq!(
        b.eval("document.querySelector('.pb-code-toggle').getAttribute('aria-pressed')"),
        json!("true")
    );
    b.eval("document.querySelector('.pb-code-copy').click(), true");
    b.wait_for(
        "window.__copied.startsWith('fn hidden')",
        "copy with hidden lines shown",
    );
    b.screenshot("site-code.png");
    let errors = b.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

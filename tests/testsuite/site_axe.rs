//! Accessibility of the repo's own handbook: every built HTML page, in the light and
//! the dark theme, is scanned with axe-core in headless Chromium (driven over the
//! DevTools pipe by `site_browser::Browser`), and any critical or serious violation
//! fails the test with the page, the theme, the rule and the offending elements.
//!
//! axe-core comes from npm (`.ci/run` installs it under /opt/axe); `$AXE_CORE_JS`
//! names another copy of `axe.min.js`. Without Chromium or axe-core the test prints
//! "skipped", unless POLICYBOOK_REQUIRE_BROWSER=1 or CI=true, when it fails.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{self, copy_project, policybook};
use crate::site_browser::{chromium, Browser};

fn axe_source() -> Option<PathBuf> {
    let candidates = [
        std::env::var("AXE_CORE_JS").ok(),
        Some("/opt/axe/node_modules/axe-core/axe.min.js".into()),
        Some("/usr/local/lib/node_modules/axe-core/axe.min.js".into()),
        Some("/usr/lib/node_modules/axe-core/axe.min.js".into()),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Every `.html` file of the site, as paths relative to it, sorted.
fn pages(site: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(site)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            let rel = e.path().strip_prefix(site).unwrap();
            rel.to_string_lossy().replace('\\', "/")
        })
        .collect();
    v.sort();
    v
}

/// The axe run, reduced to what a failure message needs.
const RUN_AXE: &str = r#"axe.run(document, {resultTypes: ['violations']}).then(r =>
  r.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => ({id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' +
        (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160))})),
  e => [{id: 'axe-error', impact: 'critical', help: String(e), count: 0, nodes: []}])"#;

/// Scans `pages` in one theme with one browser; returns one line per violation.
fn scan(exe: &Path, axe: &str, base: &str, pages: &[String], theme: &str) -> Vec<String> {
    let mut b = Browser::launch(exe);
    b.navigate(&format!("{base}{}", pages[0]));
    // The theme toggle's own storage: the inline script in <head> reads it on each load.
    b.eval(&format!(
        "localStorage.setItem('pb-theme', {}), true",
        json!(theme)
    ));
    let mut found = Vec::new();
    for page in pages {
        b.navigate(&format!("{base}{page}"));
        assert_eq!(
            b.eval("document.documentElement.dataset.theme"),
            json!(theme),
            "{page}: the stored theme is applied"
        );
        b.eval(&format!("{axe};\ntrue"));
        // The whole book on one page takes axe a while on a busy machine.
        let r = b.call_for(
            "Runtime.evaluate",
            json!({"expression": RUN_AXE, "awaitPromise": true, "returnByValue": true}),
            Duration::from_secs(300),
        );
        assert!(r.get("exceptionDetails").is_none(), "{page}: axe: {r}");
        let violations = &r["result"]["value"];
        for v in violations.as_array().expect("axe returns a list") {
            found.push(format!(
                "{page} [{theme}] {} ({}, {} element(s)): {}\n    {}",
                v["id"].as_str().unwrap_or(""),
                v["impact"].as_str().unwrap_or(""),
                v["count"],
                v["help"].as_str().unwrap_or(""),
                v["nodes"]
                    .as_array()
                    .map(|n| n
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n    "))
                    .unwrap_or_default()
            ));
        }
    }
    let errors = b.console_errors();
    assert!(errors.is_empty(), "[{theme}] console errors: {errors:#?}");
    found
}

#[test]
fn every_handbook_page_passes_axe_in_both_themes() {
    let (Some(exe), Some(axe)) = (chromium(), axe_source()) else {
        if common::tool_required("POLICYBOOK_REQUIRE_BROWSER") {
            panic!(
                "Chromium (/usr/bin/chromium or $CHROMIUM) and axe-core \
                 (/opt/axe/node_modules/axe-core/axe.min.js or $AXE_CORE_JS) are required \
                 (POLICYBOOK_REQUIRE_BROWSER=1 or CI=true); .ci/run installs both"
            );
        }
        println!("skipped: no chromium or no axe-core");
        return;
    };
    let axe = std::fs::read_to_string(&axe).unwrap();
    let tmp = copy_project(&["book.toml", "policies", "content", "themes"]);
    let run = policybook(tmp.path(), &["build"]);
    assert_eq!(run.code, 0, "the handbook builds:\n{}", run.stderr);
    let site = tmp.path().join("dist/site");
    let pages = pages(&site);
    assert!(pages.len() > 30, "only {} pages built", pages.len());
    assert!(pages.iter().any(|p| p == "checklists/pre-production.html"));
    let addr = policybook::serve::serve_static(site.clone()).unwrap();
    let base = format!("http://{addr}/");

    // One browser per theme, side by side (two cores in CI).
    let found: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = ["light", "dark"]
            .into_iter()
            .map(|theme| {
                let (exe, axe, base, pages) = (&exe, &axe, &base, &pages);
                s.spawn(move || scan(exe, axe, base, pages, theme))
            })
            .collect();
        runs.into_iter()
            .flat_map(|h| h.join().expect("scan thread"))
            .collect()
    });
    assert!(
        found.is_empty(),
        "{} critical or serious axe-core violation(s) on {} pages × 2 themes:\n{}",
        found.len(),
        pages.len(),
        found.join("\n")
    );
}

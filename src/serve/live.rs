//! Live reload: the build being served and its number, the watcher that polls
//! the sources (book.toml, the book's source folder, policies/, themes/) and
//! rebuilds on change, the script pages load (`/__policybook/live.js`) and the long
//! poll it waits in (`/__policybook/wait?v=<build>`), which answers when the build
//! number changes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, SystemTime};

use super::limits::{MAX_WAITERS, WAIT_POLL};
use super::reject::Reject;
use super::request::{Method, Request};
use super::respond::{respond, send_reject};
use crate::build::{build, load_and_validate, BuildError};

// A non-2xx answer makes the page retry a second later instead of reloading.
pub(super) const LIVE_JS: &str = "(function(){var v=null;function poll(){fetch('/__policybook/wait'+(v===null?'':'?v='+v),{cache:'no-store'}).then(function(r){if(!r.ok)throw r;return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload();return}v=t;poll()}).catch(function(){setTimeout(poll,1000)})}poll()})();\n";

pub(super) struct State {
    /// Build number and the folder being served.
    pub(super) current: Mutex<(u64, PathBuf)>,
    pub(super) changed: Condvar,
    pub(super) live: bool,
    /// The port the listener is bound to (the `Host` header must name it).
    pub(super) port: u16,
    /// Connections currently in the long poll.
    pub(super) waiters: AtomicUsize,
}

/// Polls the sources every 300 ms from the fingerprint `last` on; on a change,
/// rebuilds and, when the build succeeds, serves it under the next build number.
pub(super) fn watch(root: &Path, state: &State, mut last: u64) {
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = fingerprint(root);
        if now == last {
            continue;
        }
        last = now;
        eprintln!("change detected; rebuilding");
        let started = std::time::Instant::now();
        if let Some(site) = rebuild(root) {
            eprintln!("rebuilt in {:.2} s", started.elapsed().as_secs_f64());
            let mut cur = state
                .current
                .lock()
                .expect("no thread panics while holding the serve state");
            cur.0 += 1;
            cur.1 = site;
            state.changed.notify_all();
        }
    }
}

pub(super) fn site_dir(root: &Path) -> anyhow::Result<PathBuf> {
    let (bundle, _) = load_and_validate(root);
    // Never serve a refused output folder (outside the project, a source folder, …).
    if let Some(d) = bundle.config.check_output(None, root).0.first() {
        anyhow::bail!("{}; nothing to serve", d.message);
    }
    Ok(root.join(bundle.config.site_dir()))
}

/// Runs a full build, printing problems; returns the site folder when it succeeded.
pub(super) fn rebuild(root: &Path) -> Option<PathBuf> {
    let (bundle, diags) = load_and_validate(root);
    eprint!("{diags}");
    if diags.has_errors() {
        eprintln!(
            "{} error(s); still serving the last good build",
            diags.error_count()
        );
        return None;
    }
    match build(&bundle) {
        Ok(summary) => {
            eprint!("{}", summary.site_diagnostics);
            Some(root.join(bundle.config.site_dir()))
        }
        Err(BuildError::Diagnostics(d)) => {
            eprint!("{d}");
            eprintln!(
                "{} error(s); still serving the last good build",
                d.error_count()
            );
            None
        }
        Err(BuildError::Failed(e)) => {
            eprintln!("error: {e:#}");
            None
        }
    }
}

/// A hash of the names, sizes and modification times of every watched file.
pub(super) fn fingerprint(root: &Path) -> u64 {
    let mut h = DefaultHasher::new();
    let (bundle, _) = load_and_validate_config_only(root);
    let mut dirs = vec![root.join("book.toml"), root.join("themes")];
    if let Some(c) = &bundle {
        dirs.push(root.join(&c.book.src));
        if let Some(pb) = &c.policybook {
            dirs.push(root.join(&pb.policies));
        }
    }
    let skip: Vec<PathBuf> = bundle
        .as_ref()
        .map(|c| vec![root.join(c.site_dir()), root.join(c.output_dir())])
        .unwrap_or_default();
    for d in dirs {
        for e in walkdir::WalkDir::new(&d)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                !skip.iter().any(|s| e.path() == s)
                    && !e.file_name().to_string_lossy().starts_with('.')
            })
            .filter_map(Result::ok)
        {
            if let Ok(m) = e.metadata() {
                e.path().hash(&mut h);
                m.len().hash(&mut h);
                m.modified().unwrap_or(SystemTime::UNIX_EPOCH).hash(&mut h);
            }
        }
    }
    h.finish()
}

fn load_and_validate_config_only(root: &Path) -> (Option<crate::config::Config>, ()) {
    let c = std::fs::read_to_string(root.join("book.toml"))
        .ok()
        .and_then(|t| crate::config::Config::parse(&t).ok());
    (c, ())
}

/// `/__policybook/wait?v=<build>`: answers when the build number differs from `v`
/// (at once without `v`), or after [`WAIT_POLL`]. At most [`MAX_WAITERS`] at a time.
pub(super) fn long_poll(out: &mut TcpStream, state: &State, req: &Request) -> std::io::Result<()> {
    let head = req.method == Method::Head;
    let taken = state
        .waiters
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < MAX_WAITERS).then_some(n + 1)
        });
    if taken.is_err() {
        return send_reject(out, Reject::Busy, head, state.port);
    }
    struct Release<'a>(&'a AtomicUsize);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let _release = Release(&state.waiters);
    let seen: Option<u64> = req
        .query
        .split('&')
        .find_map(|kv| kv.strip_prefix("v="))
        .and_then(|v| v.parse().ok());
    let guard = state
        .current
        .lock()
        .expect("no thread panics while holding the serve state");
    let guard = match seen {
        Some(v) if v == guard.0 => {
            state
                .changed
                .wait_timeout_while(guard, WAIT_POLL, |c| c.0 == v)
                .expect("no thread panics while holding the serve state")
                .0
        }
        _ => guard,
    };
    let v = guard.0.to_string();
    drop(guard);
    respond(out, 200, "text/plain", v.as_bytes(), head, "")
}

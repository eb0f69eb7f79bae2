//! `policybook serve`: builds the project, serves the site on 127.0.0.1, watches
//! the sources (book.toml, the book's source folder, policies/, themes/) by polling,
//! rebuilds on change and reloads open pages. The reload hook is injected into HTML
//! responses only, so built files stay clean: pages load `/__policybook/live.js`, which
//! long-polls `/__policybook/wait?v=<build>` and reloads when the build number changes.
//!
//! The server is a small hand-written HTTP/1.1 server with one request per connection,
//! built to expose nothing but the site folder to nobody but the local user:
//! - it listens on 127.0.0.1 only, and answers loopback peers only;
//! - it answers only requests whose `Host` (or absolute-form authority) is `127.0.0.1`,
//!   `localhost` or `[::1]` with the served port, so a web page cannot read the site
//!   through DNS rebinding (421 otherwise);
//! - only GET and HEAD; the request head is read into a fixed 16 KiB buffer (431 when it
//!   does not fit, 414 for a request line over 8 KiB), at most 64 header fields, and the
//!   whole head must arrive within 10 s;
//! - the target is split into segments *before* percent-decoding, and every decoded
//!   segment must be a plain file name (no `.`, `..`, empty segment, `/`, `\`, `:`, NUL or
//!   control character); the path is then canonicalised and must stay inside the
//!   canonicalised site folder (a symlink leading out is not followed), and no component
//!   may start with `.` (dotfiles, staging folders);
//! - at most 64 connections are handled at once, at most 16 of them long-polling; when all
//!   are busy the oldest connection still sending its head is dropped, then 503.
//!
//! [`parse_request`], [`check_host`] and [`resolve`] are pure (resolve only reads the file
//! system), so tests can feed them arbitrary input.
//!
//! Files: `request.rs` (parsing and the host check), `resolve.rs` (paths confined
//! to the site), `connection.rs` (accepting, the pool, reading the head),
//! `answer.rs` and `respond.rs` (what is sent back), `live.rs` (watching,
//! rebuilding, the long poll), `limits.rs` and `reject.rs` (the bounds and refusals
//! they share).

mod answer;
mod connection;
mod limits;
mod live;
mod reject;
mod request;
mod resolve;
mod respond;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Condvar, Mutex};

use connection::accept_loop;
use live::{fingerprint, rebuild, site_dir, watch, State};

pub use limits::{MAX_CONNECTIONS, MAX_HEADERS, MAX_HEAD_BYTES, MAX_REQUEST_LINE, MAX_WAITERS};
pub use reject::Reject;
pub use request::{
    check_host, check_segment, parse_request, percent_decode_strict, Method, Request,
};
pub use resolve::{resolve, Resolved};

/// Serves `root`'s site on 127.0.0.1:`port` until interrupted.
pub fn serve(root: &Path, port: u16) -> anyhow::Result<()> {
    // Taken before the first build, so an edit made while it runs (or right after
    // the "serving" line) still triggers a rebuild.
    let first_fingerprint = fingerprint(root);
    let site = match rebuild(root) {
        Some(site) => site,
        None => site_dir(root)?,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let port = listener.local_addr()?.port();
    eprintln!(
        "serving {} on http://127.0.0.1:{port}/ (Ctrl-C to stop); watching for changes",
        site.display(),
    );
    let state = Arc::new(State {
        current: Mutex::new((1, site)),
        changed: Condvar::new(),
        live: true,
        port,
        waiters: AtomicUsize::new(0),
    });
    {
        let state = Arc::clone(&state);
        let root = root.to_path_buf();
        std::thread::spawn(move || watch(&root, &state, first_fingerprint));
    }
    accept_loop(listener, state);
    Ok(())
}

/// Serves an already built site folder without live reload (tests, previews).
/// Returns the bound address; the server runs on background threads.
pub fn serve_static(dir: PathBuf) -> anyhow::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State {
        current: Mutex::new((1, dir)),
        changed: Condvar::new(),
        live: false,
        port: addr.port(),
        waiters: AtomicUsize::new(0),
    });
    std::thread::spawn(move || accept_loop(listener, state));
    Ok(addr)
}

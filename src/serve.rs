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

use std::collections::hash_map::DefaultHasher;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::build::{build, load_and_validate, BuildError};

/// The request line and header fields together, including the blank line.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The request line alone (method, target, version).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Header fields per request.
pub const MAX_HEADERS: usize = 64;
/// Connections handled at once (one thread each).
pub const MAX_CONNECTIONS: usize = 64;
/// Of those, connections parked in the live-reload long poll.
pub const MAX_WAITERS: usize = 16;
/// The whole request head must arrive within this time.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// A response must be taken by the client within this time.
const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// How long a new connection may wait for a free slot before it gets a 503.
const SLOT_WAIT: Duration = Duration::from_secs(1);
/// After refusing an unread head, how long and how much to keep reading (so the client
/// sees the response instead of a reset).
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1024 * 1024;
/// How long a long poll waits for a new build.
const WAIT_POLL: Duration = Duration::from_secs(25);

// A non-2xx answer makes the page retry a second later instead of reloading.
const LIVE_JS: &str = "(function(){var v=null;function poll(){fetch('/__policybook/wait'+(v===null?'':'?v='+v),{cache:'no-store'}).then(function(r){if(!r.ok)throw r;return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload();return}v=t;poll()}).catch(function(){setTimeout(poll,1000)})}poll()})();\n";

struct State {
    /// Build number and the folder being served.
    current: Mutex<(u64, PathBuf)>,
    changed: Condvar,
    live: bool,
    /// The port the listener is bound to (the `Host` header must name it).
    port: u16,
    /// Connections currently in the long poll.
    waiters: AtomicUsize,
}

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
        std::thread::spawn(move || {
            let mut last = first_fingerprint;
            loop {
                std::thread::sleep(Duration::from_millis(300));
                let now = fingerprint(&root);
                if now == last {
                    continue;
                }
                last = now;
                eprintln!("change detected; rebuilding");
                let started = std::time::Instant::now();
                if let Some(site) = rebuild(&root) {
                    eprintln!("rebuilt in {:.2} s", started.elapsed().as_secs_f64());
                    let mut cur = state.current.lock().unwrap();
                    cur.0 += 1;
                    cur.1 = site;
                    state.changed.notify_all();
                }
            }
        });
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

/// Counts the connection threads and remembers which connections are still sending
/// their head (idle or slow clients), so a new connection can push the oldest of them
/// out instead of waiting behind it.
struct Pool {
    inner: Mutex<PoolInner>,
    freed: Condvar,
}

struct PoolInner {
    active: usize,
    next_id: u64,
    /// Connections that may be dropped to make room, oldest first.
    evictable: VecDeque<(u64, TcpStream)>,
}

/// One connection's place in the pool; dropping it frees the place.
struct Slot {
    pool: Arc<Pool>,
    id: u64,
}

impl Pool {
    fn new() -> Arc<Pool> {
        Arc::new(Pool {
            inner: Mutex::new(PoolInner {
                active: 0,
                next_id: 0,
                evictable: VecDeque::new(),
            }),
            freed: Condvar::new(),
        })
    }

    /// A place for `stream`, waiting up to [`SLOT_WAIT`]; `None` when the pool stays full.
    fn acquire(self: &Arc<Pool>, stream: &TcpStream) -> Option<Slot> {
        let deadline = Instant::now() + SLOT_WAIT;
        let mut g = self.inner.lock().unwrap();
        loop {
            if g.active < MAX_CONNECTIONS {
                g.active += 1;
                let id = g.next_id;
                g.next_id += 1;
                if let Ok(clone) = stream.try_clone() {
                    g.evictable.push_back((id, clone));
                }
                return Some(Slot {
                    pool: Arc::clone(self),
                    id,
                });
            }
            // Shutting the socket down wakes its thread's blocked read, which then ends.
            if let Some((_, oldest)) = g.evictable.pop_front() {
                let _ = oldest.shutdown(Shutdown::Both);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            g = self.freed.wait_timeout(g, left).unwrap().0;
        }
    }
}

impl Slot {
    /// The head has arrived: this connection now does useful work and stays.
    fn keep(&self) {
        let mut g = self.pool.inner.lock().unwrap();
        g.evictable.retain(|(id, _)| *id != self.id);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut g = self.pool.inner.lock().unwrap();
        g.evictable.retain(|(id, _)| *id != self.id);
        g.active -= 1;
        self.pool.freed.notify_one();
    }
}

fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let pool = Pool::new();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else {
            // Out of file descriptors and the like: do not spin.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let Some(slot) = pool.acquire(&stream) else {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = send_reject(&mut stream, Reject::Busy, false, state.port);
            continue;
        };
        let state = Arc::clone(&state);
        let spawned = std::thread::Builder::new()
            .name("policybook-serve".into())
            .spawn(move || handle(stream, &state, &slot));
        if spawned.is_err() {
            // The slot went down with the closure; the connection is closed.
            continue;
        }
    }
}

fn site_dir(root: &Path) -> anyhow::Result<PathBuf> {
    let (bundle, _) = load_and_validate(root);
    // Never serve a refused output folder (outside the project, a source folder, …).
    if let Some(d) = bundle.config.check_output(None, root).0.first() {
        anyhow::bail!("{}; nothing to serve", d.message);
    }
    Ok(root.join(bundle.config.site_dir()))
}

/// Runs a full build, printing problems; returns the site folder when it succeeded.
fn rebuild(root: &Path) -> Option<PathBuf> {
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
fn fingerprint(root: &Path) -> u64 {
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

/// Why a request is refused; each maps to one status code and a short text body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// 400: malformed request or a target that is not a plain path inside the site.
    BadRequest(&'static str),
    /// 403: the peer is not on this machine.
    Forbidden,
    /// 404: no such file in the site (also dotfiles and links leading out).
    NotFound,
    /// 405: a method other than GET or HEAD.
    MethodNotAllowed,
    /// 408: the head did not arrive in time.
    Timeout,
    /// 414: the request line is longer than [`MAX_REQUEST_LINE`].
    UriTooLong,
    /// 421: the `Host` is missing or not this server's loopback address and port.
    MisdirectedHost,
    /// 431: the head is over [`MAX_HEAD_BYTES`] or has more than [`MAX_HEADERS`] fields.
    HeadersTooLarge,
    /// 503: every connection slot (or long-poll slot) is taken.
    Busy,
    /// 505: not HTTP/1.0 or HTTP/1.1.
    VersionNotSupported,
}

impl Reject {
    pub fn status(&self) -> u16 {
        match self {
            Reject::BadRequest(_) => 400,
            Reject::Forbidden => 403,
            Reject::NotFound => 404,
            Reject::MethodNotAllowed => 405,
            Reject::Timeout => 408,
            Reject::UriTooLong => 414,
            Reject::MisdirectedHost => 421,
            Reject::HeadersTooLarge => 431,
            Reject::Busy => 503,
            Reject::VersionNotSupported => 505,
        }
    }

    fn body(&self, port: u16) -> String {
        match self {
            Reject::BadRequest(why) => format!("bad request: {why}\n"),
            Reject::Forbidden => "forbidden: this server answers only on this machine\n".into(),
            Reject::NotFound => "not found\n".into(),
            Reject::MethodNotAllowed => "method not allowed: only GET and HEAD\n".into(),
            Reject::Timeout => "request timeout\n".into(),
            Reject::UriTooLong => format!(
                "request line too long (the limit is {} bytes)\n",
                MAX_REQUEST_LINE
            ),
            Reject::MisdirectedHost => format!(
                "misdirected request: this server answers only to http://127.0.0.1:{port}/ \
                 or http://localhost:{port}/\n"
            ),
            Reject::HeadersTooLarge => format!(
                "request header fields too large (the limit is {} bytes and {} fields)\n",
                MAX_HEAD_BYTES, MAX_HEADERS
            ),
            Reject::Busy => "server busy; try again\n".into(),
            Reject::VersionNotSupported => "only HTTP/1.0 and HTTP/1.1\n".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

/// A request that passed [`parse_request`]: the method, the decoded path and the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The decoded path segments; each passed [`check_segment`].
    pub segments: Vec<String>,
    /// The path ends with `/` (or is `/`): a folder was asked for.
    pub trailing_slash: bool,
    /// The raw query string (after `?`), not decoded.
    pub query: String,
    /// The authority of an absolute-form target, else the `Host` header; `None` when absent.
    pub host: Option<String>,
}

/// Parses a request head (request line and header fields, up to the blank line; bytes
/// after it are ignored). Checks sizes, method, version, the header syntax, and turns the
/// target into decoded path segments. The host is returned, not checked: see [`check_host`].
pub fn parse_request(head: &[u8]) -> Result<Request, Reject> {
    let mut lines = head.split(|&b| b == b'\n');
    let line = lines.next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_REQUEST_LINE {
        return Err(Reject::UriTooLong);
    }
    let mut used = line.len() + 2;
    // Every byte of the request line must be visible ASCII or a space.
    if line.iter().any(|&b| !(0x20..0x7f).contains(&b)) {
        return Err(Reject::BadRequest("invalid byte in the request line"));
    }
    let line = std::str::from_utf8(line).map_err(|_| Reject::BadRequest("not ASCII"))?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Reject::BadRequest(
            "the request line is not `METHOD target HTTP/1.1`",
        ));
    };
    if method.is_empty() || target.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(Reject::BadRequest(
            "the request line is not `METHOD target HTTP/1.1`",
        ));
    }
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => return Err(Reject::MethodNotAllowed),
    };
    match version {
        "HTTP/1.1" | "HTTP/1.0" => {}
        v if v.starts_with("HTTP/") => return Err(Reject::VersionNotSupported),
        _ => {
            return Err(Reject::BadRequest(
                "the request line is not `METHOD target HTTP/1.1`",
            ))
        }
    }

    let mut host_header: Option<String> = None;
    let mut count = 0;
    for field in lines {
        let field = field.strip_suffix(b"\r").unwrap_or(field);
        if field.is_empty() {
            break;
        }
        used += field.len() + 2;
        count += 1;
        if count > MAX_HEADERS || used > MAX_HEAD_BYTES {
            return Err(Reject::HeadersTooLarge);
        }
        if field[0] == b' ' || field[0] == b'\t' {
            return Err(Reject::BadRequest("folded header line"));
        }
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            return Err(Reject::BadRequest("header line without `:`"));
        };
        let (name, value) = (&field[..colon], &field[colon + 1..]);
        if name.is_empty() || !name.iter().copied().all(is_token_byte) {
            return Err(Reject::BadRequest("invalid header name"));
        }
        if value.iter().any(|&b| b == 0x7f || (b < 0x20 && b != b'\t')) {
            return Err(Reject::BadRequest("control character in a header value"));
        }
        if name.eq_ignore_ascii_case(b"host") {
            if host_header.is_some() {
                return Err(Reject::BadRequest("more than one Host header"));
            }
            let value =
                std::str::from_utf8(value).map_err(|_| Reject::BadRequest("Host is not ASCII"))?;
            host_header = Some(value.trim_matches([' ', '\t']).to_string());
        }
    }

    let (authority, path_and_query) = split_target(target)?;
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let (segments, trailing_slash) = decode_path(path)?;
    Ok(Request {
        method,
        segments,
        trailing_slash,
        query: query.to_string(),
        // An absolute-form target's authority replaces the Host header (RFC 9112 §3.2.2).
        host: authority.map(str::to_string).or(host_header),
    })
}

/// Splits a request target into the authority of an absolute-form target (if any) and
/// the origin-form path with its query.
fn split_target(target: &str) -> Result<(Option<&str>, &str), Reject> {
    if target.contains('#') {
        return Err(Reject::BadRequest("fragment in the request target"));
    }
    if target.starts_with('/') {
        return Ok((None, target));
    }
    let scheme_end = target.find("://");
    match scheme_end {
        Some(i) if target[..i].eq_ignore_ascii_case("http") => {
            let rest = &target[i + 3..];
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            if authority.is_empty() || authority.contains('@') {
                return Err(Reject::BadRequest(
                    "invalid authority in the request target",
                ));
            }
            match path.as_bytes().first() {
                None => Ok((Some(authority), "/")),
                Some(b'/') => Ok((Some(authority), path)),
                // `http://host?q`: the path is empty, the query stays.
                _ => Err(Reject::BadRequest("absolute-form target without a path")),
            }
        }
        _ => Err(Reject::BadRequest(
            "the request target must be a path starting with `/`",
        )),
    }
}

/// Splits a raw path (starting with `/`) on `/` first, then percent-decodes each segment
/// and checks it is a plain file name. An encoded `/` (`%2F`) therefore stays inside its
/// segment, where [`check_segment`] refuses it.
fn decode_path(path: &str) -> Result<(Vec<String>, bool), Reject> {
    let rest = path
        .strip_prefix('/')
        .ok_or(Reject::BadRequest("the path must start with `/`"))?;
    if rest.is_empty() {
        return Ok((Vec::new(), true));
    }
    let (rest, trailing_slash) = match rest.strip_suffix('/') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let mut segments = Vec::new();
    for raw in rest.split('/') {
        if raw.is_empty() {
            return Err(Reject::BadRequest("empty path segment (`//`)"));
        }
        let seg = percent_decode_strict(raw)?;
        check_segment(&seg)?;
        segments.push(seg);
    }
    Ok((segments, trailing_slash))
}

/// Decodes `%XX` escapes; a `%` without two hex digits, or a result that is not UTF-8,
/// is a bad request.
pub fn percent_decode_strict(raw: &str) -> Result<String, Reject> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(Reject::BadRequest("invalid percent-escape in the path")),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Reject::BadRequest("the path is not UTF-8"))
}

/// A decoded path segment must be a plain file name: not `.` or `..`, and free of
/// separators (`/`, `\`), drive or stream markers (`:`), NUL and control characters.
pub fn check_segment(seg: &str) -> Result<(), Reject> {
    if seg.is_empty() || seg == "." || seg == ".." {
        return Err(Reject::BadRequest(
            "`.`, `..` or an empty segment in the path",
        ));
    }
    if seg
        .chars()
        .any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
    {
        return Err(Reject::BadRequest(
            "separator, `:` or control character inside a path segment",
        ));
    }
    Ok(())
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The request must name this server: `127.0.0.1`, `localhost` or `[::1]` with `port`
/// (the port may be left out only when it is 80, as browsers do).
pub fn check_host(host: Option<&str>, port: u16) -> Result<(), Reject> {
    let host = host.ok_or(Reject::MisdirectedHost)?;
    let (name, host_port) = if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(Reject::MisdirectedHost)?;
        let p = match after {
            "" => None,
            a => Some(a.strip_prefix(':').ok_or(Reject::MisdirectedHost)?),
        };
        (format!("[{inside}]"), p)
    } else {
        match host.split_once(':') {
            Some((n, p)) => (n.to_string(), Some(p)),
            None => (host.to_string(), None),
        }
    };
    let known = name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "[::1]";
    let port_ok = match host_port {
        Some(p) => p == port.to_string(),
        None => port == 80,
    };
    if known && port_ok {
        Ok(())
    } else {
        Err(Reject::MisdirectedHost)
    }
}

/// What a path names in the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A regular file; its canonical path, inside the canonical site folder.
    File(PathBuf),
    /// A folder asked for without the trailing `/`: redirect to this absolute path.
    Redirect(String),
}

/// Maps decoded path segments to a file of the site folder `site`. The segments are
/// checked again ([`check_segment`]); segments starting with `.` are not served; after
/// each segment the path is canonicalised (following links) and must lie inside the
/// canonical site folder, with no component of its site-relative part starting with `.`.
/// A folder gives its `index.html`.
pub fn resolve(site: &Path, segments: &[String], trailing_slash: bool) -> Result<Resolved, Reject> {
    for s in segments {
        check_segment(s)?;
        if s.starts_with('.') {
            return Err(Reject::NotFound);
        }
    }
    let root = site.canonicalize().map_err(|_| Reject::NotFound)?;
    // Step by step, so a link leading out of the site is refused even when a later
    // segment would lead back in.
    let mut real = root.clone();
    for s in segments {
        real = confine(&root, &real.join(s))?;
    }
    let meta = std::fs::metadata(&real).map_err(|_| Reject::NotFound)?;
    if meta.is_dir() {
        if !trailing_slash && !segments.is_empty() {
            let mut loc = String::new();
            for s in segments {
                loc.push('/');
                loc.push_str(&percent_encode_segment(s));
            }
            loc.push('/');
            return Ok(Resolved::Redirect(loc));
        }
        real = confine(&root, &real.join("index.html"))?;
    }
    match std::fs::metadata(&real) {
        Ok(m) if m.is_file() => Ok(Resolved::File(real)),
        _ => Err(Reject::NotFound),
    }
}

/// The canonical form of `path`, when it exists, lies inside `root` and does not pass
/// through a dot-named file or folder of the site.
fn confine(root: &Path, path: &Path) -> Result<PathBuf, Reject> {
    let real = path.canonicalize().map_err(|_| Reject::NotFound)?;
    let rel = real.strip_prefix(root).map_err(|_| Reject::NotFound)?;
    let hidden = rel.components().any(|c| match c {
        Component::Normal(n) => n.to_string_lossy().starts_with('.'),
        _ => true,
    });
    if hidden {
        return Err(Reject::NotFound);
    }
    Ok(real)
}

fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

enum HeadError {
    /// The client went away (or was evicted): nothing to answer.
    Closed,
    Reject(Reject),
}

/// Reads the request head into a buffer of at most [`MAX_HEAD_BYTES`], within
/// [`HEAD_DEADLINE`]. Returns the bytes up to and including the blank line.
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut buf = vec![0u8; MAX_HEAD_BYTES];
    let mut len = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Reject(Reject::Timeout));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| HeadError::Closed)?;
        let n = match stream.read(&mut buf[len..]) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(HeadError::Reject(Reject::Timeout))
            }
            Err(_) => return Err(HeadError::Closed),
        };
        let from = len.saturating_sub(2);
        len += n;
        if let Some(end) = head_end(&buf[..len], from) {
            buf.truncate(end);
            return Ok(buf);
        }
        let line_done = buf[..len].contains(&b'\n');
        if !line_done && len > MAX_REQUEST_LINE {
            return Err(HeadError::Reject(Reject::UriTooLong));
        }
        if len == buf.len() {
            return Err(HeadError::Reject(Reject::HeadersTooLarge));
        }
    }
}

/// The index just after the blank line ending the head (`\n\n` or `\n\r\n`), searching
/// from `from`.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    (from.max(1)..buf.len()).find_map(|i| {
        let blank = buf[i] == b'\n'
            && (buf[i - 1] == b'\n' || (i >= 2 && buf[i - 1] == b'\r' && buf[i - 2] == b'\n'));
        blank.then_some(i + 1)
    })
}

fn handle(mut stream: TcpStream, state: &State, slot: &Slot) {
    let port = state.port;
    let loopback = stream
        .peer_addr()
        .map(|a| a.ip().is_loopback())
        .unwrap_or(false);
    if !loopback {
        let _ = send_reject(&mut stream, Reject::Forbidden, false, port);
        return;
    }
    let head = match read_head(&mut stream) {
        Ok(h) => h,
        Err(HeadError::Closed) => return,
        Err(HeadError::Reject(r)) => {
            let _ = send_reject(&mut stream, r, false, port);
            linger(&mut stream);
            return;
        }
    };
    slot.keep();
    let is_head = head.starts_with(b"HEAD ");
    let req = match parse_request(&head).and_then(|r| {
        check_host(r.host.as_deref(), port)?;
        Ok(r)
    }) {
        Ok(r) => r,
        Err(r) => {
            let _ = send_reject(&mut stream, r, is_head, port);
            return;
        }
    };
    let _ = answer(&mut stream, state, &req);
}

fn answer(out: &mut TcpStream, state: &State, req: &Request) -> std::io::Result<()> {
    let head = req.method == Method::Head;
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["__policybook", "live.js"] => {
            return respond(
                out,
                200,
                "text/javascript; charset=utf-8",
                LIVE_JS.as_bytes(),
                head,
                "",
            );
        }
        ["__policybook", "wait"] => return long_poll(out, state, req),
        ["__policybook", ..] => return send_reject(out, Reject::NotFound, head, state.port),
        _ => {}
    }
    let dir = state.current.lock().unwrap().1.clone();
    let (status, file) = match resolve(&dir, &req.segments, req.trailing_slash) {
        Ok(Resolved::File(f)) => (200, f),
        Ok(Resolved::Redirect(loc)) => {
            let extra = format!("Location: {loc}\r\n");
            return respond(out, 301, "text/plain", b"moved\n", head, &extra);
        }
        Err(Reject::NotFound) => match resolve(&dir, &["404.html".to_string()], false) {
            Ok(Resolved::File(f)) => (404, f),
            _ => return send_reject(out, Reject::NotFound, head, state.port),
        },
        Err(r) => return send_reject(out, r, head, state.port),
    };
    let Ok(mut body) = std::fs::read(&file) else {
        return send_reject(out, Reject::NotFound, head, state.port);
    };
    let ctype = content_type(&file);
    if ctype.starts_with("text/html") {
        let mut html = String::from_utf8_lossy(&body).into_owned();
        if status == 404 {
            // The 404 page's <base> points at the published site; locally, serve from the root.
            if let Some(s) = html.find("<base href=") {
                if let Some(e) = html[s..].find('>') {
                    html.replace_range(s..s + e + 1, "<base href=\"/\">");
                }
            }
        }
        if state.live {
            let hook = "<script src=\"/__policybook/live.js\"></script>\n";
            match html.rfind("</body>") {
                Some(i) => html.insert_str(i, hook),
                None => html.push_str(hook),
            }
        }
        body = html.into_bytes();
    }
    respond(out, status, ctype, &body, head, "")
}

/// `/__policybook/wait?v=<build>`: answers when the build number differs from `v`
/// (at once without `v`), or after [`WAIT_POLL`]. At most [`MAX_WAITERS`] at a time.
fn long_poll(out: &mut TcpStream, state: &State, req: &Request) -> std::io::Result<()> {
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
    let guard = state.current.lock().unwrap();
    let guard = match seen {
        Some(v) if v == guard.0 => {
            state
                .changed
                .wait_timeout_while(guard, WAIT_POLL, |c| c.0 == v)
                .unwrap()
                .0
        }
        _ => guard,
    };
    let v = guard.0.to_string();
    drop(guard);
    respond(out, 200, "text/plain", v.as_bytes(), head, "")
}

/// After answering a request whose head was not read to the end: stop sending, then
/// read (and drop) what the client still sends for a bounded time and amount, so it
/// receives the answer rather than a connection reset.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER_TIME;
    let mut buf = [0u8; 8192];
    let mut total = 0;
    while total < LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

fn send_reject(out: &mut TcpStream, r: Reject, head: bool, port: u16) -> std::io::Result<()> {
    let extra = match r {
        Reject::MethodNotAllowed => "Allow: GET, HEAD\r\n",
        Reject::Busy => "Retry-After: 1\r\n",
        _ => "",
    };
    respond(
        out,
        r.status(),
        "text/plain; charset=utf-8",
        r.body(port).as_bytes(),
        head,
        extra,
    )
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    ctype: &str,
    body: &[u8],
    head: bool,
    extra_headers: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra_headers}Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let deadline = Instant::now() + WRITE_DEADLINE;
    write_within(out, header.as_bytes(), deadline)?;
    if !head {
        write_within(out, body, deadline)?;
    }
    out.flush()
}

/// Writes everything before `deadline`, so a client that stops reading cannot hold a
/// connection thread for long.
fn write_within(out: &mut TcpStream, mut data: &[u8], deadline: Instant) -> std::io::Result<()> {
    while !data.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        out.set_write_timeout(Some(left))?;
        match out.write(&data[..data.len().min(64 * 1024)]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "xml" => "application/xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "yaml" | "yml" => "text/yaml; charset=utf-8",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

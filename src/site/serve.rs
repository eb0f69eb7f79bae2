//! `policybook serve`: builds the project, serves the site on 127.0.0.1, watches
//! the sources (book.toml, the book's source folder, policies/, themes/) by polling,
//! rebuilds on change and reloads open pages. The reload hook is injected into HTML
//! responses only, so built files stay clean: pages load `/__policybook/live.js`, which
//! long-polls `/__policybook/wait?v=<build>` and reloads when the build number changes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

use crate::build::{build, load_and_validate};

const LIVE_JS: &str = "(function(){var v=null;function poll(){fetch('/__policybook/wait'+(v===null?'':'?v='+v),{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload();return}v=t;poll()}).catch(function(){setTimeout(poll,1000)})}poll()})();\n";

struct State {
    /// Build number and the folder being served.
    current: Mutex<(u64, PathBuf)>,
    changed: Condvar,
    live: bool,
}

/// Serves `root`'s site on 127.0.0.1:`port` until interrupted.
pub fn serve(root: &Path, port: u16) -> anyhow::Result<()> {
    let site = match rebuild(root) {
        Some(site) => site,
        None => site_dir(root)?,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    eprintln!(
        "serving {} on http://127.0.0.1:{}/ (Ctrl-C to stop); watching for changes",
        site.display(),
        listener.local_addr()?.port()
    );
    let state = Arc::new(State {
        current: Mutex::new((1, site)),
        changed: Condvar::new(),
        live: true,
    });
    {
        let state = Arc::clone(&state);
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            let mut last = fingerprint(&root);
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
    });
    std::thread::spawn(move || accept_loop(listener, state));
    Ok(addr)
}

fn accept_loop(listener: TcpListener, state: Arc<State>) {
    for stream in listener.incoming().flatten() {
        let state = Arc::clone(&state);
        std::thread::spawn(move || {
            let _ = handle(stream, &state);
        });
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
        Ok(Ok(summary)) => {
            eprint!("{}", summary.site_diagnostics);
            Some(root.join(bundle.config.site_dir()))
        }
        Ok(Err(d)) => {
            eprint!("{d}");
            eprintln!(
                "{} error(s); still serving the last good build",
                d.error_count()
            );
            None
        }
        Err(e) => {
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

fn handle(stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut out,
            405,
            "text/plain",
            b"method not allowed\n",
            method == "HEAD",
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/__policybook/live.js" {
        return respond(
            &mut out,
            200,
            "text/javascript; charset=utf-8",
            LIVE_JS.as_bytes(),
            false,
        );
    }
    if path == "/__policybook/wait" {
        let seen: Option<u64> = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("v="))
            .and_then(|v| v.parse().ok());
        let guard = state.current.lock().unwrap();
        let guard = match seen {
            Some(v) if v == guard.0 => {
                state
                    .changed
                    .wait_timeout_while(guard, Duration::from_secs(25), |c| c.0 == v)
                    .unwrap()
                    .0
            }
            _ => guard,
        };
        let v = guard.0.to_string();
        drop(guard);
        return respond(&mut out, 200, "text/plain", v.as_bytes(), false);
    }
    let dir = state.current.lock().unwrap().1.clone();
    let rel = super::util::percent_decode(path.trim_start_matches('/'));
    if rel.split('/').any(|s| s == "..") {
        return respond(&mut out, 400, "text/plain", b"bad path\n", false);
    }
    let mut file = dir.join(&rel);
    if file.is_dir() {
        if !rel.is_empty() && !rel.ends_with('/') {
            let loc = format!("/{rel}/");
            let msg = format!("HTTP/1.1 301 Moved Permanently\r\nLocation: {loc}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return out.write_all(msg.as_bytes());
        }
        file = file.join("index.html");
    }
    let (status, file) = if file.is_file() {
        (200, file)
    } else {
        (404, dir.join("404.html"))
    };
    let mut body = Vec::new();
    if std::fs::File::open(&file)
        .and_then(|mut f| f.read_to_end(&mut body))
        .is_err()
    {
        return respond(
            &mut out,
            404,
            "text/plain",
            b"not found\n",
            method == "HEAD",
        );
    }
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
    respond(&mut out, status, ctype, &body, method == "HEAD")
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    ctype: &str,
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "OK",
    };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    out.write_all(header.as_bytes())?;
    if !head {
        out.write_all(body)?;
    }
    out.flush()
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

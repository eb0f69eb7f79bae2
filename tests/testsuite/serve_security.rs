//! `serve` exposes the site folder and nothing else, to this machine only: raw HTTP
//! over TcpStream against `serve_static` on a temp site holding index.html, a folder,
//! dotfiles, and symlinks leading out to a secret file just outside the site.
//! Traversal variants, absolute-form targets, foreign `Host`s, oversized heads, idle
//! connections and long polls; then property tests on the pure parser and resolver.
//! The server tests take one lock in turn, so the thread count seen by the
//! idle-connection test comes from its own server.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use policybook::serve::{
    check_host, check_segment, parse_request, resolve, serve_static, Method, Reject, Request,
    Resolved, MAX_CONNECTIONS, MAX_HEADERS, MAX_WAITERS,
};
use proptest::prelude::*;

const SECRET: &str = "SECRET-outside-the-site-4f1c";
const DOTFILE: &str = "DOTFILE-content-9b2e";

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes the server tests' lock and serves a fresh [`Site`]; keep the guard alive.
fn serve_site() -> (MutexGuard<'static, ()>, Site, SocketAddr) {
    let guard = serial();
    let site = Site::new();
    let addr = site.serve();
    (guard, site, addr)
}

/// A temp folder: `secret.txt` beside `site/`, and `site/` with pages, a folder,
/// dotfiles and links pointing out.
struct Site {
    tmp: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        std::fs::write(t.join("secret.txt"), SECRET).unwrap();
        let s = t.join("site");
        std::fs::create_dir_all(s.join("guides")).unwrap();
        std::fs::create_dir_all(s.join(".git")).unwrap();
        std::fs::write(s.join("index.html"), "<html><body>home page</body></html>").unwrap();
        std::fs::write(
            s.join("404.html"),
            "<html><head><base href=\"https://example.org/book/\"></head><body>missing page</body></html>",
        )
        .unwrap();
        std::fs::write(
            s.join("guides/index.html"),
            "<html><body>guides index</body></html>",
        )
        .unwrap();
        std::fs::write(s.join("guides/page one.html"), "<p>page one</p>").unwrap();
        std::fs::write(s.join("style.css"), "body{}").unwrap();
        std::fs::write(s.join(".hidden"), DOTFILE).unwrap();
        std::fs::write(s.join(".git/config"), DOTFILE).unwrap();
        std::os::unix::fs::symlink(t.join("secret.txt"), s.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(t, s.join("outdir")).unwrap();
        std::os::unix::fs::symlink(s.join(".hidden"), s.join("to-hidden.txt")).unwrap();
        // A link that stays inside the site is fine.
        std::os::unix::fs::symlink(s.join("style.css"), s.join("alias.css")).unwrap();
        Site { tmp }
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("site")
    }

    fn secret(&self) -> PathBuf {
        self.tmp.path().join("secret.txt")
    }

    fn serve(&self) -> SocketAddr {
        serve_static(self.dir()).unwrap()
    }
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// Sends `raw`, reads until the server closes; a reset after the answer is fine.
fn exchange(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw).unwrap();
    let buf = read_until_closed(&mut s, &format!("{:?}", short(raw)));
    parse_reply(&buf, raw)
}

/// Reads until the server closes; a reset after the answer is fine, anything else
/// (a timeout included) fails the test naming `what` was sent.
fn read_until_closed(s: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset && !buf.is_empty() => return buf,
            Err(e) => panic!("reading the answer to {what}: {e}"),
        }
    }
}

fn parse_reply(buf: &[u8], raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(buf).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer to {:?}: {text:?}", short(raw)));
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|h| h.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {head:?}"));
    Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn short(raw: &[u8]) -> String {
    String::from_utf8_lossy(&raw[..raw.len().min(120)]).into_owned()
}

/// `method target` over HTTP/1.1 with this server's own `Host`.
fn request(addr: SocketAddr, method: &str, target: &str) -> Reply {
    let host = format!("127.0.0.1:{}", addr.port());
    exchange(
        addr,
        format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes(),
    )
}

fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target)
}

fn with_host(addr: SocketAddr, host: Option<&str>) -> Reply {
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    exchange(
        addr,
        format!("GET /index.html HTTP/1.1\r\n{host}User-Agent: t\r\n\r\n").as_bytes(),
    )
}

#[test]
fn site_files_folders_404_and_live_endpoints_still_work() {
    let (_g, _site, addr) = serve_site();

    let r = get(addr, "/");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "<html><body>home page</body></html>");
    assert!(
        r.head.contains("Content-Type: text/html; charset=utf-8"),
        "{}",
        r.head
    );

    let r = get(addr, "/guides");
    assert_eq!(r.status, 301);
    assert!(r.head.contains("\r\nLocation: /guides/\r\n"), "{}", r.head);
    assert_eq!(
        get(addr, "/guides/").body,
        "<html><body>guides index</body></html>"
    );
    assert_eq!(get(addr, "/guides/page%20one.html").body, "<p>page one</p>");
    assert_eq!(get(addr, "/style.css?v=3").body, "body{}");
    assert_eq!(get(addr, "/alias.css").body, "body{}");

    // Unknown paths get the site's 404 page, with its <base> pointed at the local root.
    let r = get(addr, "/no/such/page.html");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        "<html><head><base href=\"/\"></head><body>missing page</body></html>"
    );

    let r = request(addr, "HEAD", "/");
    assert_eq!(r.status, 200);
    assert!(r.head.contains("Content-Length: 35"), "{}", r.head);
    assert_eq!(r.body, "");
    let r = request(addr, "POST", "/");
    assert_eq!(r.status, 405);
    assert!(r.head.contains("Allow: GET, HEAD"), "{}", r.head);
    // HTTP/1.0 and bare-LF line ends are still understood.
    let host = format!("127.0.0.1:{}", addr.port());
    let r = exchange(addr, format!("GET / HTTP/1.0\nHost: {host}\n\n").as_bytes());
    assert_eq!(r.status, 200);

    let r = get(addr, "/__policybook/live.js");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("/__policybook/wait"));
    let r = get(addr, "/__policybook/wait");
    assert_eq!((r.status, r.body.as_str()), (200, "1"));
}

#[test]
fn traversal_variants_never_leave_the_site() {
    let (_g, site, addr) = serve_site();
    let port = addr.port();
    let abs = site.secret().display().to_string();
    let abs = abs.trim_start_matches('/');
    let cases: Vec<(String, u16)> = vec![
        (format!("/%2f{abs}"), 400),
        (format!("/%2F{abs}"), 400),
        (format!("//{abs}"), 400),
        (format!("/guides/%2f{abs}"), 400),
        ("/%2fetc/passwd".into(), 400),
        ("/%2Fetc/passwd".into(), 400),
        ("//etc/passwd".into(), 400),
        ("/%2e%2e/%2e%2e/etc/passwd".into(), 400),
        ("/%2E%2E/secret.txt".into(), 400),
        ("/..%2f..%2fetc/passwd".into(), 400),
        ("/..%2fsecret.txt".into(), 400),
        ("/..%2Fsecret.txt".into(), 400),
        ("/..\\..\\etc\\passwd".into(), 400),
        ("/..\\secret.txt".into(), 400),
        ("/%5c..%5cetc/passwd".into(), 400),
        ("/..%5csecret.txt".into(), 400),
        ("/..%5Csecret.txt".into(), 400),
        ("/../secret.txt".into(), 400),
        ("/guides/../../secret.txt".into(), 400),
        ("/./index.html".into(), 400),
        ("/guides/.%2e/.%2e/secret.txt".into(), 400),
        ("/index.html%00".into(), 400),
        ("/%00/etc/passwd".into(), 400),
        ("/C:/Windows/win.ini".into(), 400),
        ("/c:%5cwindows%5cwin.ini".into(), 400),
        ("/%zz".into(), 400),
        ("/%c0%ae%c0%ae/secret.txt".into(), 400),
        ("/index.html#x".into(), 400),
        ("*".into(), 400),
        ("etc/passwd".into(), 400),
        (format!("http://127.0.0.1:{port}/../../etc/passwd"), 400),
        (format!("http://127.0.0.1:{port}/%2f{abs}"), 400),
        (format!("http://127.0.0.1:{port}//{abs}"), 400),
        (format!("file:///{abs}"), 400),
        ("http://evil.example/etc/passwd".into(), 421),
        ("http://evil.example/index.html".into(), 421),
        (format!("http://evil.example:{port}/index.html"), 421),
        (
            format!("http://127.0.0.1:{port}@evil.example/index.html"),
            400,
        ),
        // Double encoding decodes once: a literal `%2e%2e` name, which does not exist.
        ("/%252e%252e/secret.txt".into(), 404),
        ("/..%252fsecret.txt".into(), 404),
        // Links leading out of the site, and dotfiles, are not served.
        ("/link.txt".into(), 404),
        ("/outdir/secret.txt".into(), 404),
        ("/outdir/site/index.html".into(), 404),
        ("/to-hidden.txt".into(), 404),
        ("/.hidden".into(), 404),
        ("/%2ehidden".into(), 404),
        ("/.git/config".into(), 404),
        ("/.git/".into(), 404),
        ("/__policybook/../secret.txt".into(), 400),
        ("/__policybook/other".into(), 404),
    ];
    for (target, want) in &cases {
        let r = get(addr, target);
        assert!(
            !r.body.contains(SECRET) && !r.body.contains(DOTFILE) && !r.body.contains("root:"),
            "{target} leaked: {}",
            r.body
        );
        assert_eq!(r.status, *want, "{target}: {}\n{}", r.head, r.body);
    }
    // An absolute-form target naming this server is answered like its path.
    let r = get(addr, &format!("http://127.0.0.1:{port}/index.html"));
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "<html><body>home page</body></html>")
    );
}

#[test]
fn only_this_servers_loopback_host_is_answered() {
    let (_g, _site, addr) = serve_site();
    let port = addr.port();
    let other = if port == 65535 { 1 } else { port + 1 };
    let bad = [
        Some("evil.example".to_string()),
        Some(format!("evil.example:{port}")),
        Some("127.0.0.1.evil.example".to_string()),
        Some(format!("127.0.0.1.evil.example:{port}")),
        Some(format!("localhost:{other}")),
        Some("localhost".to_string()),
        Some("127.0.0.1".to_string()),
        Some(format!("localhost.:{port}")),
        Some(format!("[::1]:{other}")),
        Some(format!("127.0.0.2:{port}")),
        Some(format!("0.0.0.0:{port}")),
        Some(String::new()),
        None,
    ];
    for host in &bad {
        let r = with_host(addr, host.as_deref());
        assert_eq!(r.status, 421, "Host {host:?}: {}", r.head);
        assert!(!r.body.contains("home page"), "Host {host:?}");
    }
    let good = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
    ];
    for host in &good {
        let r = with_host(addr, Some(host));
        assert_eq!(r.status, 200, "Host {host}: {}", r.head);
        assert_eq!(r.body, "<html><body>home page</body></html>");
    }
    // Two Host headers are ambiguous.
    let r = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn oversized_heads_are_refused_without_buffering_them() {
    let (_g, _site, addr) = serve_site();
    let port = addr.port();

    // One 300 KB header line: 431, and the server closes the connection at once while
    // the client is still sending.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut writer = s.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let mut raw = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ").into_bytes();
        raw.extend(std::iter::repeat_n(b'a', 300 * 1024));
        raw.extend_from_slice(b"\r\n\r\n");
        let _ = writer.write_all(&raw);
    });
    let buf = read_until_closed(&mut s, "a 300 KB header");
    let r = parse_reply(&buf, b"300 KB header");
    assert_eq!(r.status, 431, "{}", r.head);
    assert!(r.body.contains("16384 bytes"), "{}", r.body);
    drop(s);
    sender.join().unwrap();

    // A 20 KB request line: 414.
    let mut raw = b"GET /".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 20 * 1024));
    raw.extend_from_slice(format!(" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes());
    assert_eq!(exchange(addr, &raw).status, 414);

    // Too many small header fields: 431.
    let mut raw = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for i in 0..=MAX_HEADERS {
        raw.push_str(&format!("X-{i}: 1\r\n"));
    }
    raw.push_str("\r\n");
    assert_eq!(exchange(addr, raw.as_bytes()).status, 431);

    // The server is still there.
    assert_eq!(get(addr, "/").status, 200);
}

fn thread_count() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn idle_connections_cannot_exhaust_the_server() {
    let (_g, _site, addr) = serve_site();
    assert_eq!(get(addr, "/").status, 200);
    let before = thread_count();

    // Many clients connect and send a partial head, then nothing.
    let idle: Vec<TcpStream> = (0..(MAX_CONNECTIONS * 3))
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    // A normal request is still answered (the oldest idle connections make room) ...
    let r = get(addr, "/");
    assert_eq!(r.status, 200);
    // ... the thread count stays within the pool's bound ...
    let grown = thread_count().saturating_sub(before);
    assert!(
        grown <= MAX_CONNECTIONS + 8,
        "{grown} more threads for {} idle connections",
        idle.len()
    );
    // ... and the oldest idle client was disconnected, well before its 10 s head timeout.
    let mut first = &idle[0];
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut b = [0u8; 64];
    match first.read(&mut b) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("the oldest idle connection is still open: {other:?}"),
    }
}

#[test]
fn long_polls_cannot_take_every_connection() {
    let (_g, _site, addr) = serve_site();
    let host = format!("127.0.0.1:{}", addr.port());
    // serve_static never rebuilds, so `v=1` waits for the whole poll.
    let raw = format!("GET /__policybook/wait?v=1 HTTP/1.1\r\nHost: {host}\r\n\r\n");
    // Three more polls than allowed: whichever come last are refused at once, the
    // others stay parked (for 25 s), and ordinary requests are still served.
    let mut polls: Vec<(TcpStream, Vec<u8>)> = (0..MAX_WAITERS + 3)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(raw.as_bytes()).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            (s, Vec::new())
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let closed = |polls: &mut Vec<(TcpStream, Vec<u8>)>| {
        let mut done = 0;
        for (s, got) in polls.iter_mut() {
            let mut chunk = [0u8; 1024];
            loop {
                match s.read(&mut chunk) {
                    Ok(0) => {
                        done += 1;
                        break;
                    }
                    Ok(n) => got.extend_from_slice(&chunk[..n]),
                    Err(_) => break,
                }
            }
        }
        done
    };
    while closed(&mut polls) < 3 && std::time::Instant::now() < deadline {}
    std::thread::sleep(Duration::from_millis(200));
    closed(&mut polls);
    let answered: Vec<Reply> = polls
        .iter()
        .filter(|(_, got)| !got.is_empty())
        .map(|(_, got)| parse_reply(got, b"wait"))
        .collect();
    assert_eq!(answered.len(), 3, "answered polls");
    for r in &answered {
        assert_eq!(r.status, 503, "{}", r.head);
        assert!(r.head.contains("Retry-After: 1"), "{}", r.head);
    }
    assert_eq!(get(addr, "/").status, 200);
}

#[test]
fn the_pure_parser_decodes_after_splitting_and_keeps_the_host() {
    let req = parse_request(
        b"GET /guides/page%20one.html?v=2&x=%2f HTTP/1.1\r\nhost:  localhost:3000 \r\nAccept: */*\r\n\r\nignored body",
    )
    .unwrap();
    assert_eq!(
        req,
        Request {
            method: Method::Get,
            segments: vec!["guides".into(), "page one.html".into()],
            trailing_slash: false,
            query: "v=2&x=%2f".into(),
            host: Some("localhost:3000".into()),
        }
    );
    // An absolute-form authority replaces the Host header.
    let req = parse_request(b"HEAD http://127.0.0.1:3000/ HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        .unwrap();
    assert_eq!(req.method, Method::Head);
    assert_eq!(req.host.as_deref(), Some("127.0.0.1:3000"));
    assert!(req.segments.is_empty() && req.trailing_slash);

    let status = |raw: &[u8]| {
        parse_request(raw)
            .map(|_| 200)
            .unwrap_or_else(|r| r.status())
    };
    assert_eq!(status(b"GET /a%2fb HTTP/1.1\r\n\r\n"), 400);
    assert_eq!(status(b"GET /a/../b HTTP/1.1\r\n\r\n"), 400);
    assert_eq!(status(b"GET /a HTTP/2.0\r\n\r\n"), 505);
    assert_eq!(status(b"DELETE /a HTTP/1.1\r\n\r\n"), 405);
    assert_eq!(status(b"GET /a HTTP/1.1\r\n folded\r\n\r\n"), 400);
    assert_eq!(status(b"GET /a HTTP/1.1\r\nX: a\x00b\r\n\r\n"), 400);

    assert_eq!(check_host(Some("[::1]:3000"), 3000), Ok(()));
    assert_eq!(check_host(Some("localhost"), 80), Ok(()));
    assert_eq!(
        check_host(Some("localhost"), 3000),
        Err(Reject::MisdirectedHost)
    );
    assert_eq!(
        check_host(Some("localhost:03000"), 3000),
        Err(Reject::MisdirectedHost)
    );
    assert_eq!(
        check_host(Some("[::1]"), 3000),
        Err(Reject::MisdirectedHost)
    );

    let f = fixture();
    let seg = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        resolve(&f.site.dir(), &seg(&["guides"]), true),
        Ok(Resolved::File(f.root.join("guides/index.html")))
    );
    assert_eq!(
        resolve(&f.site.dir(), &seg(&["guides"]), false),
        Ok(Resolved::Redirect("/guides/".into()))
    );
    assert_eq!(
        resolve(&f.site.dir(), &seg(&["link.txt"]), false),
        Err(Reject::NotFound)
    );
    assert!(matches!(
        resolve(&f.site.dir(), &seg(&[".."]), false),
        Err(Reject::BadRequest(_))
    ));
}

// ---- property tests on the pure parser and resolver ----

struct Fixture {
    site: Site,
    root: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let site = Site::new();
        let root = site.dir().canonicalize().unwrap();
        Fixture { site, root }
    })
}

/// Whatever was accepted must be a plain segment, and whatever resolves must be a file
/// inside the site that is neither the secret nor a dotfile.
fn assert_confined(f: &Fixture, segments: &[String], trailing: bool) {
    for s in segments {
        assert!(check_segment(s).is_ok(), "accepted segment {s:?}");
        assert!(!s.contains(['/', '\\', '\0']) && s != ".." && s != ".");
    }
    match resolve(&f.site.dir(), segments, trailing) {
        Ok(Resolved::File(p)) => {
            assert!(
                p.starts_with(&f.root),
                "{} is outside the site",
                p.display()
            );
            assert_ne!(p, f.site.secret());
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            assert!(
                !text.contains(SECRET) && !text.contains(DOTFILE),
                "{}",
                p.display()
            );
        }
        Ok(Resolved::Redirect(loc)) => {
            assert!(loc.starts_with('/') && !loc.starts_with("//"), "{loc}");
            assert!(!loc.contains(['\r', '\n']), "{loc:?}");
        }
        Err(_) => {}
    }
}

fn fragment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "/",
        "//",
        ".",
        "..",
        "%2e",
        "%2E",
        "%2e%2e",
        "%2f",
        "%2F",
        "%5c",
        "%5C",
        "\\",
        "%00",
        "%",
        "%2",
        "%zz",
        "%c0%ae",
        "%ff",
        "?",
        "#",
        ":",
        "C:",
        "etc",
        "passwd",
        "secret.txt",
        "link.txt",
        "outdir",
        "site",
        "guides",
        "index.html",
        ".hidden",
        ".git",
        "config",
        "to-hidden.txt",
        "alias.css",
        "404.html",
        "__policybook",
        "wait",
        "live.js",
        "page%20one.html",
        "http://",
        "127.0.0.1",
        "evil.example",
        "@",
        "*",
        " ",
        "%20",
        "~",
    ])
    .prop_map(str::to_string)
}

fn host_value() -> impl Strategy<Value = Option<String>> {
    prop::sample::select(vec![
        None,
        Some("127.0.0.1:PORT"),
        Some("localhost:PORT"),
        Some("[::1]:PORT"),
        Some("evil.example"),
        Some("127.0.0.1.evil.example:PORT"),
        Some("localhost:1"),
        Some(""),
        Some("[::1"),
        Some("[::1]x"),
    ])
    .prop_map(|h| h.map(|h| h.replace("PORT", "3000")))
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_or_escape(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let f = fixture();
        if let Ok(req) = parse_request(&bytes) {
            assert_confined(f, &req.segments, req.trailing_slash);
        }
    }

    #[test]
    fn mutated_requests_never_escape(
        method in prop::sample::select(vec!["GET", "HEAD", "POST", "get", "GET ", ""]),
        prefix in prop::sample::select(vec!["/", "//", "http://127.0.0.1:3000/", "http://evil.example/", "", "*"]),
        parts in prop::collection::vec(fragment(), 0..8),
        version in prop::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/2", "HTTP/1.1\r"]),
        host in host_value(),
        junk in prop::collection::vec(any::<u8>(), 0..8),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let f = fixture();
        let target = format!("{prefix}{}", parts.concat());
        let mut raw = format!("{method} {target} {version}\r\n").into_bytes();
        if let Some(h) = &host {
            raw.extend_from_slice(format!("Host: {h}\r\n").as_bytes());
        }
        raw.extend_from_slice(&junk);
        raw.extend_from_slice(b"\r\n\r\n");
        // The request as built, then truncated, then with one byte changed.
        let mut variants = vec![raw.clone(), raw[..cut.index(raw.len() + 1)].to_vec()];
        let mut flipped = raw.clone();
        let i = flip.index(flipped.len());
        flipped[i] ^= junk.first().copied().unwrap_or(0x20) | 1;
        variants.push(flipped);
        for v in variants {
            if let Ok(req) = parse_request(&v) {
                assert_confined(f, &req.segments, req.trailing_slash);
                if check_host(req.host.as_deref(), 3000).is_ok() {
                    let h = req.host.unwrap().to_ascii_lowercase();
                    prop_assert!(["127.0.0.1:3000", "localhost:3000", "[::1]:3000"].contains(&h.as_str()), "{}", h);
                }
            }
        }
    }

    #[test]
    fn resolve_confines_any_segments(parts in prop::collection::vec(fragment(), 0..6), trailing in any::<bool>()) {
        // resolve checks its input itself, whoever calls it.
        let f = fixture();
        match resolve(&f.site.dir(), &parts, trailing) {
            Ok(Resolved::File(p)) => {
                prop_assert!(p.starts_with(&f.root));
                prop_assert!(parts.iter().all(|s| check_segment(s).is_ok()));
            }
            Ok(Resolved::Redirect(_)) | Err(Reject::NotFound) | Err(Reject::BadRequest(_)) => {}
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

//! Writing a response: the status line and the fixed headers (no caching, no
//! sniffing, one request per connection), the body unless the request was HEAD,
//! all within a deadline so a client that stops reading cannot hold a thread; and
//! the content type by file extension.

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Instant;

use super::limits::WRITE_DEADLINE;
use super::reject::Reject;

pub(super) fn send_reject(
    out: &mut TcpStream,
    r: Reject,
    head: bool,
    port: u16,
) -> std::io::Result<()> {
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

pub(super) fn respond(
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

pub(super) fn content_type(p: &Path) -> &'static str {
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

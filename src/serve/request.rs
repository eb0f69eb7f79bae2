//! Reading a request head: the request line, the header fields and the target,
//! checked for size, method, version and syntax; the target split into segments
//! *before* percent-decoding, each decoded segment a plain file name; and the
//! `Host` (or absolute-form authority), which must name this server on loopback so
//! a web page cannot reach the site through DNS rebinding.

use super::limits::{MAX_HEADERS, MAX_HEAD_BYTES, MAX_REQUEST_LINE};
use super::reject::Reject;

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

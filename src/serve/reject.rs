//! Why a request is refused: one status code and one short text body each.

use super::limits::{MAX_HEADERS, MAX_HEAD_BYTES, MAX_REQUEST_LINE};

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

    pub(super) fn body(&self, port: u16) -> String {
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

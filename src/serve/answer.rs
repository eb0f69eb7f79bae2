//! What each request is answered with: the live-reload endpoints under
//! `/__policybook/`, else the file its path resolves to in the site being served
//! (or the site's 404 page), HTML with the live-reload hook added on the way out
//! so built files stay clean.

use std::net::TcpStream;

use super::live::{long_poll, State, LIVE_JS};
use super::reject::Reject;
use super::request::{Method, Request};
use super::resolve::{resolve, Resolved};
use super::respond::{content_type, respond, send_reject};

pub(super) fn answer(out: &mut TcpStream, state: &State, req: &Request) -> std::io::Result<()> {
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
    let dir = state
        .current
        .lock()
        .expect("no thread panics while holding the serve state")
        .1
        .clone();
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

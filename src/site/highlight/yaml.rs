//! YAML, line by line: comments, keys, list dashes, scalars by kind, and flow
//! collections (`{a: 1, b: [x]}`).

use super::scan::{first_char, number_len, quoted_len, split_comment, Out};

pub(super) fn yaml(h: &mut Out, code: &str) {
    for line in code.split_inclusive('\n') {
        yaml_line(h, line);
    }
}

fn yaml_line(h: &mut Out, line: &str) {
    let body = line.trim_end_matches(['\n', '\r']);
    let nl = &line[body.len()..];
    let indent = body.len() - body.trim_start().len();
    h.plain(&body[..indent]);
    let mut rest = &body[indent..];
    if rest.starts_with('#') {
        h.span("c", rest);
        h.plain(nl);
        return;
    }
    if rest == "---" || rest == "..." {
        h.span("o", rest);
        h.plain(nl);
        return;
    }
    // List dashes.
    while rest.starts_with("- ") || rest == "-" {
        h.span("o", "-");
        let after = &rest[1..];
        let sp = after.len() - after.trim_start().len();
        h.plain(&after[..sp]);
        rest = &after[sp..];
    }
    // A key: plain or quoted scalar followed by `:` and a space or end.
    if let Some(klen) = yaml_key_len(rest) {
        h.span("p", &rest[..klen]);
        h.plain(":");
        rest = &rest[klen + 1..];
    }
    yaml_value(h, rest);
    h.plain(nl);
}

fn yaml_key_len(s: &str) -> Option<usize> {
    if s.starts_with('"') || s.starts_with('\'') {
        let n = quoted_len(s, s.starts_with('"'), true);
        return s[n..].starts_with(':').then_some(n).filter(|_| {
            let a = &s[n + 1..];
            a.is_empty() || a.starts_with(' ')
        });
    }
    if s.starts_with(['{', '[', '&', '*', '!', '|', '>', '%', '@', '`']) {
        return None;
    }
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t') {
            return (i > 0).then_some(i);
        }
        if b == b' ' && i + 1 < bytes.len() && bytes[i + 1] == b'#' {
            return None;
        }
    }
    None
}

fn yaml_value(h: &mut Out, s: &str) {
    let lead = s.len() - s.trim_start().len();
    h.plain(&s[..lead]);
    let v = &s[lead..];
    if v.is_empty() {
        return;
    }
    // Trailing comment.
    let (val, comment) = split_comment(v);
    let t = val.trim_end();
    let trail = &val[t.len()..];
    if t.starts_with('"') || t.starts_with('\'') {
        let n = quoted_len(t, t.starts_with('"'), true);
        h.span("s", &t[..n]);
        h.plain(&t[n..]);
    } else if t.starts_with(['&', '*']) {
        h.span("v", t);
    } else if t.starts_with(['|', '>']) && t.len() <= 3 {
        h.span("o", t);
    } else if t.starts_with(['{', '[']) {
        flow(h, t);
    } else if matches!(
        t,
        "true" | "false" | "null" | "~" | "yes" | "no" | "True" | "False"
    ) || number_len(t) == t.len()
    {
        h.span("n", t);
    } else {
        h.span("s", t);
    }
    h.plain(trail);
    if !comment.is_empty() {
        h.span("c", comment);
    }
}

/// Flow collections (`{a: 1, b: [x]}`): keys, strings and numbers.
fn flow(h: &mut Out, s: &str) {
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = first_char(rest);
        if c == '"' || c == '\'' {
            let n = quoted_len(rest, c == '"', true);
            h.span("s", &rest[..n]);
            i += n;
        } else if "{}[],: ".contains(c) {
            h.plain(&rest[..1]);
            i += 1;
        } else {
            let n = rest
                .find(|c: char| "{}[],".contains(c) || c == ':')
                .unwrap_or(rest.len());
            let word = &rest[..n];
            let is_key = rest[n..].starts_with(':');
            let w = word.trim_end();
            if is_key {
                h.span("p", w);
            } else if matches!(w, "true" | "false" | "null")
                || (!w.is_empty() && number_len(w) == w.len())
            {
                h.span("n", w);
            } else {
                h.span("s", w);
            }
            h.plain(&word[w.len()..]);
            i += n.max(1).min(rest.len());
            if n == 0 {
                // unreachable in practice; avoid looping
            }
        }
    }
}

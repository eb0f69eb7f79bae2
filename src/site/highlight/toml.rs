//! TOML: table headers, keys, strings, numbers, `true`/`false`/`inf`/`nan`
//! and comments.

use super::scan::{first_char, is_word, number_len, quoted_len, split_comment, word_len, Out};

pub(super) fn toml(h: &mut Out, code: &str) {
    let mut i = 0;
    let mut line_start = true;
    while i < code.len() {
        let rest = &code[i..];
        let c = first_char(rest);
        if line_start {
            let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            h.plain(&rest[..ws]);
            i += ws;
            line_start = false;
            let r = &code[i..];
            if r.starts_with('[') {
                let n = r.find('\n').unwrap_or(r.len());
                let (hdr, comment) = split_comment(&r[..n]);
                h.span("t", hdr);
                if !comment.is_empty() {
                    h.span("c", comment);
                }
                i += n;
                continue;
            }
            // key = value
            if let Some(eq) = r.find('=') {
                let key = &r[..eq];
                if !key.contains('\n')
                    && !key.trim().is_empty()
                    && !key.trim_start().starts_with('#')
                {
                    let k = key.trim_end();
                    h.span("p", k);
                    h.plain(&key[k.len()..]);
                    h.plain("=");
                    i += eq + 1;
                }
            }
            continue;
        }
        if c == '\n' {
            h.plain("\n");
            i += 1;
            line_start = true;
        } else if c == '#' {
            let n = rest.find('\n').unwrap_or(rest.len());
            h.span("c", &rest[..n]);
            i += n;
        } else if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            let q = &rest[..3];
            let n = rest[3..].find(q).map(|e| e + 6).unwrap_or(rest.len());
            h.span("s", &rest[..n]);
            line_start = false;
            i += n;
        } else if c == '"' || c == '\'' {
            let n = quoted_len(rest, c == '"', true);
            h.span("s", &rest[..n]);
            i += n;
        } else if c.is_ascii_digit() || ((c == '-' || c == '+') && number_len(rest) > 1) {
            let n = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || "-+._:".contains(ch)))
                .unwrap_or(rest.len());
            h.span("n", &rest[..n.max(1)]);
            i += n.max(1);
        } else if is_word(c) {
            let n = word_len(rest);
            match &rest[..n] {
                "true" | "false" | "inf" | "nan" => h.span("n", &rest[..n]),
                w => h.plain(w),
            }
            i += n;
        } else {
            let n = c.len_utf8();
            h.plain(&rest[..n]);
            i += n;
        }
    }
}

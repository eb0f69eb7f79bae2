//! JSON (and JSONC): keys, strings, numbers, the literals `true`, `false` and
//! `null`, and `//` comments.

use super::scan::{first_char, number_len, quoted_len, word_len, Out};

pub(super) fn json(h: &mut Out, code: &str) {
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let c = first_char(rest);
        if c == '"' {
            let n = quoted_len(rest, true, false);
            let after = rest[n..].trim_start_matches([' ', '\t']);
            h.span(if after.starts_with(':') { "p" } else { "s" }, &rest[..n]);
            i += n;
        } else if c == '-' || c.is_ascii_digit() {
            let n = number_len(rest).max(1);
            if n > 1 || c.is_ascii_digit() {
                h.span("n", &rest[..n]);
            } else {
                h.plain(&rest[..n]);
            }
            i += n;
        } else if c.is_alphabetic() {
            let n = word_len(rest);
            match &rest[..n] {
                "true" | "false" | "null" => h.span("n", &rest[..n]),
                w => h.plain(w),
            }
            i += n;
        } else if c == '/' && rest.starts_with("//") {
            let n = rest.find('\n').unwrap_or(rest.len());
            h.span("c", &rest[..n]);
            i += n;
        } else {
            let n = c.len_utf8();
            h.plain(&rest[..n]);
            i += n;
        }
    }
}

//! Rego: comments, strings, numbers, keywords, literals, `input`/`data`,
//! rule heads and calls, and operators.

use super::scan::{first_char, is_word, number_len, quoted_len, word_len, Out};

const REGO_KEYWORDS: &[&str] = &[
    "package", "import", "default", "not", "some", "every", "in", "if", "contains", "else", "with",
    "as",
];

pub(super) fn rego(h: &mut Out, code: &str) {
    let mut i = 0;
    let mut line_start = true;
    while i < code.len() {
        let rest = &code[i..];
        let c = first_char(rest);
        if c == '#' {
            let n = rest.find('\n').unwrap_or(rest.len());
            h.span("c", &rest[..n]);
            i += n;
        } else if c == '"' {
            let n = quoted_len(rest, true, true);
            h.span("s", &rest[..n]);
            i += n;
            line_start = false;
        } else if c == '`' {
            let n = quoted_len(rest, false, false);
            h.span("s", &rest[..n]);
            i += n;
            line_start = false;
        } else if c.is_ascii_digit() {
            let n = number_len(rest).max(1);
            h.span("n", &rest[..n]);
            i += n;
            line_start = false;
        } else if is_word(c) {
            let n = word_len(rest);
            let w = &rest[..n];
            if REGO_KEYWORDS.contains(&w) {
                h.span("k", w);
            } else if matches!(w, "true" | "false" | "null") {
                h.span("n", w);
            } else if matches!(w, "input" | "data") {
                h.span("v", w);
            } else if rest[n..].starts_with('(') || (line_start && !w.is_empty()) {
                h.span("f", w);
            } else {
                h.plain(w);
            }
            i += n;
            line_start = false;
        } else if c == '\n' {
            h.plain("\n");
            i += 1;
            line_start = true;
        } else if c == ' ' || c == '\t' {
            h.plain(&rest[..1]);
            i += 1;
        } else {
            let n = if rest.starts_with(":=")
                || rest.starts_with("==")
                || rest.starts_with("!=")
                || rest.starts_with("<=")
                || rest.starts_with(">=")
            {
                2
            } else {
                c.len_utf8()
            };
            if n == 2 || "=<>|&".contains(c) {
                h.span("o", &rest[..n]);
            } else {
                h.plain(&rest[..n]);
            }
            i += n;
            line_start = false;
        }
    }
}

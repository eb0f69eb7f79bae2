//! Rust: comments (nested block comments), strings (escapes, raw `r#"…"#`, byte
//! and C strings), chars versus lifetimes, numbers, keywords, macros (`name!`),
//! calls, attributes and capitalised type names.

use super::scan::{first_char, is_word, quoted_len, word_len, Out};

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "type", "union", "unsafe",
    "use", "where", "while", "yield",
];

/// Rust: comments (nested block comments), strings (escapes, raw `r#"…"#`, byte and C
/// strings), chars versus lifetimes, numbers, keywords, macros (`name!`), calls,
/// attributes and capitalised type names.
pub(super) fn rust(h: &mut Out, code: &str) {
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let c = first_char(rest);
        let n = if rest.starts_with("//") {
            let n = rest.find('\n').unwrap_or(rest.len());
            h.span("c", &rest[..n]);
            n
        } else if rest.starts_with("/*") {
            let n = block_comment_len(rest);
            h.span("c", &rest[..n]);
            n
        } else if let Some(n) = rust_string_len(rest) {
            h.span("s", &rest[..n]);
            n
        } else if c == '\'' {
            rust_quote(h, rest)
        } else if c.is_ascii_digit() {
            let n = rest
                .char_indices()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            // `1..2` is two numbers and a range.
            let n = rest[..n].find("..").unwrap_or(n).max(1);
            h.span("n", &rest[..n]);
            n
        } else if c == '#' && (rest.starts_with("#[") || rest.starts_with("#![")) {
            let n = rest.find(']').map(|e| e + 1).unwrap_or(rest.len());
            let n = rest[..n].find('\n').unwrap_or(n);
            h.span("o", &rest[..n]);
            n
        } else if is_word(c) {
            let n = word_len(rest);
            let w = &rest[..n];
            let after = &rest[n..];
            if after.starts_with('!') && !after.starts_with("!=") {
                h.span("f", &rest[..n + 1]);
                n + 1
            } else {
                if RUST_KEYWORDS.contains(&w) {
                    h.span("k", w);
                } else if matches!(w, "true" | "false") {
                    h.span("n", w);
                } else if after.starts_with('(') || after.starts_with("::<") {
                    h.span("f", w);
                } else if w.starts_with(|c: char| c.is_ascii_uppercase()) {
                    h.span("t", w);
                } else {
                    h.plain(w);
                }
                n
            }
        } else {
            let n = c.len_utf8();
            h.plain(&rest[..n]);
            n
        };
        i += n;
    }
}

/// Length of a (nested) block comment at the start of `s`.
fn block_comment_len(s: &str) -> usize {
    let b = s.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    s.len()
}

/// Length of a string literal at the start of `s`: `"…"`, `b"…"`, `c"…"`,
/// `r"…"`, `r#"…"#`, `br#"…"#`; None when `s` does not start one.
fn rust_string_len(s: &str) -> Option<usize> {
    let after_prefix = s
        .strip_prefix("br")
        .or_else(|| s.strip_prefix("cr"))
        .map(|r| (r, true))
        .or_else(|| s.strip_prefix('r').map(|r| (r, true)))
        .or_else(|| s.strip_prefix('b').map(|r| (r, false)))
        .or_else(|| s.strip_prefix('c').map(|r| (r, false)))
        .unwrap_or((s, false));
    let (r, raw) = after_prefix;
    let prefix = s.len() - r.len();
    if raw {
        let hashes = r.len() - r.trim_start_matches('#').len();
        let body = &r[hashes..];
        if !body.starts_with('"') {
            return None;
        }
        let close = format!("\"{}", "#".repeat(hashes));
        let end = body[1..]
            .find(&close)
            .map(|e| 1 + e + close.len())
            .unwrap_or(body.len());
        return Some(prefix + hashes + end);
    }
    if r.starts_with('"') {
        return Some(prefix + quoted_len(r, true, false));
    }
    None
}

/// A char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`); returns its length.
fn rust_quote(h: &mut Out, s: &str) -> usize {
    let mut it = s.char_indices().skip(1);
    if let Some((_, c)) = it.next() {
        if c == '\\' {
            let n = s[1..].find('\'').map(|e| e + 2).unwrap_or(s.len());
            let n = s[..n].find('\n').unwrap_or(n);
            h.span("s", &s[..n]);
            return n;
        }
        if let Some((j, '\'')) = it.next() {
            h.span("s", &s[..j + 1]);
            return j + 1;
        }
        if is_word(c) {
            let n = 1 + word_len(&s[1..]);
            h.span("v", &s[..n]);
            return n;
        }
    }
    h.plain("'");
    1
}

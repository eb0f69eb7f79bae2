//! Build-time syntax highlighting for the languages the handbook uses: bash,
//! yaml, json, rego, toml and rust (`console` and `text` stay plain). Small hand-written tokenizers that emit
//! `<span class="hl-…">` (c comment, s string, k keyword, n number/literal,
//! p property/key, v variable, o option/operator, f function/command, t table header).
//! Anything they do not recognise is emitted as plain escaped text.

use super::util::escape_into;

/// Normalises a fence info string to a language name (`sh` → `bash`, `yml` → `yaml`).
pub fn language(info: &str) -> String {
    let first = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("");
    let l = first.trim().to_ascii_lowercase();
    match l.as_str() {
        "sh" | "shell" | "zsh" | "bash" => "bash".into(),
        // A console session mixes prompts and output: shown as written, like mdBook.
        "console" | "shell-session" | "text" | "plain" | "txt" => "text".into(),
        "rust" | "rs" => "rust".into(),
        "yml" | "yaml" => "yaml".into(),
        "json" | "jsonc" | "json5" => "json".into(),
        "rego" => "rego".into(),
        "toml" => "toml".into(),
        _ => l,
    }
}

/// Highlighted HTML for `code` (already the block's text), without the `<pre>` wrapper.
pub fn highlight(lang: &str, code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 3 / 2);
    let mut h = Out { out: &mut out };
    match lang {
        "bash" => bash(&mut h, code),
        "yaml" => yaml(&mut h, code),
        "json" => json(&mut h, code),
        "rego" => rego(&mut h, code),
        "toml" => toml(&mut h, code),
        "rust" => rust(&mut h, code),
        _ => h.plain(code),
    }
    out
}

struct Out<'a> {
    out: &'a mut String,
}

impl Out<'_> {
    fn plain(&mut self, s: &str) {
        escape_into(self.out, s);
    }
    fn span(&mut self, class: &str, s: &str) {
        if s.is_empty() {
            return;
        }
        self.out.push_str("<span class=\"hl-");
        self.out.push_str(class);
        self.out.push_str("\">");
        escape_into(self.out, s);
        self.out.push_str("</span>");
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Length in bytes of a quoted string starting at `s[0]` (the quote), honouring
/// backslash escapes when `escapes`; stops at end of line when `single_line`.
fn quoted_len(s: &str, escapes: bool, single_line: bool) -> usize {
    let q = s.chars().next().unwrap();
    let mut it = s.char_indices().skip(1);
    while let Some((i, c)) = it.next() {
        if escapes && c == '\\' {
            it.next();
        } else if c == q {
            return i + c.len_utf8();
        } else if single_line && c == '\n' {
            return i;
        }
    }
    s.len()
}

fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let start = i;
    while i < b.len()
        && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'_' || b[i] == b'e' || b[i] == b'E')
    {
        if (b[i] == b'e' || b[i] == b'E')
            && i + 1 < b.len()
            && (b[i + 1] == b'-' || b[i + 1] == b'+')
        {
            i += 1;
        }
        i += 1;
    }
    if i == start || !b[start].is_ascii_digit() {
        return 0;
    }
    i
}

fn word_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !is_word(c))
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

// ---------------------------------------------------------------- JSON

fn json(h: &mut Out, code: &str) {
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let c = rest.chars().next().unwrap();
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

// ---------------------------------------------------------------- YAML

fn yaml(h: &mut Out, code: &str) {
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
        let c = rest.chars().next().unwrap();
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

/// Splits ` # comment` off a value (outside quotes).
fn split_comment(s: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'') && (prev == ' ' || i == 0) => quote = Some(c),
            None if c == '#' && (prev == ' ' || prev == '\t' || i == 0) => {
                return (&s[..i], &s[i..])
            }
            None => {}
        }
        prev = c;
    }
    (s, "")
}

// ---------------------------------------------------------------- TOML

fn toml(h: &mut Out, code: &str) {
    let mut i = 0;
    let mut line_start = true;
    while i < code.len() {
        let rest = &code[i..];
        let c = rest.chars().next().unwrap();
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

// ---------------------------------------------------------------- bash

const BASH_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "in", "function", "return", "export", "local", "readonly", "set", "unset", "exit", "source",
    "declare",
];

fn bash(h: &mut Out, code: &str) {
    let mut i = 0;
    let mut command_pos = true;
    let mut prev = '\n';
    while i < code.len() {
        let rest = &code[i..];
        let c = rest.chars().next().unwrap();
        let word_start = prev.is_whitespace() || ";|&(`".contains(prev);
        if c == '#' && word_start {
            let n = rest.find('\n').unwrap_or(rest.len());
            h.span("c", &rest[..n]);
            i += n;
            continue;
        }
        if c == '\'' {
            let n = quoted_len(rest, false, false);
            h.span("s", &rest[..n]);
            i += n;
            command_pos = false;
            prev = '\'';
            continue;
        }
        if c == '"' {
            let n = quoted_len(rest, true, false);
            h.span("s", &rest[..n]);
            i += n;
            command_pos = false;
            prev = '"';
            continue;
        }
        if c == '$' {
            let r = &rest[1..];
            let n = if r.starts_with('{') {
                r.find('}').map(|e| e + 2).unwrap_or(1)
            } else if r.starts_with('(') {
                h.span("v", "$(");
                i += 2;
                command_pos = true;
                prev = '(';
                continue;
            } else {
                let w = r
                    .char_indices()
                    .find(|&(_, c)| !is_word(c))
                    .map(|(i, _)| i)
                    .unwrap_or(r.len());
                if w == 0 && r.starts_with(|c: char| "?@#*!$0123456789".contains(c)) {
                    2
                } else {
                    w + 1
                }
            };
            h.span("v", &rest[..n]);
            i += n;
            prev = 'a';
            continue;
        }
        if c == '\n' || c == ';' || c == '|' || c == '&' || c == '(' {
            // `\`-continued lines keep the command position of the line before.
            h.plain(&rest[..1]);
            i += 1;
            if c != '\n' || !code[..i - 1].ends_with('\\') {
                command_pos = true;
            }
            prev = c;
            continue;
        }
        if c.is_whitespace() {
            let n = rest
                .find(|c: char| !c.is_whitespace() || c == '\n')
                .unwrap_or(rest.len())
                .max(1);
            h.plain(&rest[..n]);
            i += n;
            prev = ' ';
            continue;
        }
        if c == '-' && word_start {
            let n = rest
                .find(|c: char| c.is_whitespace() || c == '=' || c == ';' || c == '"' || c == '\'')
                .unwrap_or(rest.len())
                .max(1);
            h.span("o", &rest[..n]);
            i += n;
            prev = '-';
            command_pos = false;
            continue;
        }
        if word_start && !c.is_whitespace() {
            let n = rest
                .find(|c: char| c.is_whitespace() || ";|&()$\"'=`".contains(c))
                .unwrap_or(rest.len())
                .max(c.len_utf8());
            let w = &rest[..n];
            if BASH_KEYWORDS.contains(&w) {
                h.span("k", w);
                command_pos = !matches!(
                    w,
                    "in" | "export"
                        | "local"
                        | "declare"
                        | "readonly"
                        | "return"
                        | "exit"
                        | "unset"
                        | "set"
                        | "source"
                        | "function"
                        | "case"
                );
                command_pos = command_pos || matches!(w, "then" | "do" | "else");
            } else if command_pos && rest[n..].starts_with('=') {
                h.span("v", w);
            } else if command_pos {
                h.span("f", w);
                command_pos = false;
            } else if number_len(w) == w.len() {
                h.span("n", w);
            } else {
                h.plain(w);
            }
            i += n;
            prev = 'a';
            continue;
        }
        let n = c.len_utf8();
        h.plain(&rest[..n]);
        i += n;
        prev = c;
    }
}

// ---------------------------------------------------------------- Rego

const REGO_KEYWORDS: &[&str] = &[
    "package", "import", "default", "not", "some", "every", "in", "if", "contains", "else", "with",
    "as",
];

fn rego(h: &mut Out, code: &str) {
    let mut i = 0;
    let mut line_start = true;
    while i < code.len() {
        let rest = &code[i..];
        let c = rest.chars().next().unwrap();
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

// ---------------------------------------------------------------- Rust

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "type", "union", "unsafe",
    "use", "where", "while", "yield",
];

/// Rust: comments (nested block comments), strings (escapes, raw `r#"…"#`, byte and C
/// strings), chars versus lifetimes, numbers, keywords, macros (`name!`), calls,
/// attributes and capitalised type names.
fn rust(h: &mut Out, code: &str) {
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let c = rest.chars().next().unwrap();
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

#[cfg(test)]
mod tests {
    #[test]
    fn rust_tokens() {
        let h = super::highlight(
            "rust",
            "#[derive(Debug)]\nfn main() { let s: &'a str = r#\"x\"#; println!(\"{}\", 'c'); /* a /* b */ c */ 1..2 }",
        );
        assert_eq!(
            h,
            "<span class=\"hl-o\">#[derive(Debug)]</span>\n<span class=\"hl-k\">fn</span> <span class=\"hl-f\">main</span>() { <span class=\"hl-k\">let</span> s: &amp;<span class=\"hl-v\">&#39;a</span> str = <span class=\"hl-s\">r#&quot;x&quot;#</span>; <span class=\"hl-f\">println!</span>(<span class=\"hl-s\">&quot;{}&quot;</span>, <span class=\"hl-s\">&#39;c&#39;</span>); <span class=\"hl-c\">/* a /* b */ c */</span> <span class=\"hl-n\">1</span>..<span class=\"hl-n\">2</span> }"
        );
    }

    use super::*;

    #[test]
    fn json_keys_strings_numbers() {
        assert_eq!(
            highlight("json", r#"{"a": "x<y", "n": -1.5, "t": true}"#),
            r#"{<span class="hl-p">&quot;a&quot;</span>: <span class="hl-s">&quot;x&lt;y&quot;</span>, <span class="hl-p">&quot;n&quot;</span>: <span class="hl-n">-1.5</span>, <span class="hl-p">&quot;t&quot;</span>: <span class="hl-n">true</span>}"#
        );
    }

    #[test]
    fn yaml_lines() {
        assert_eq!(
            highlight("yaml", "# c\nkey: value # note\n- name: \"q\"\n  n: 3\n"),
            "<span class=\"hl-c\"># c</span>\n<span class=\"hl-p\">key</span>:<span class=\"hl-s\">value</span> <span class=\"hl-c\"># note</span>\n<span class=\"hl-o\">-</span> <span class=\"hl-p\">name</span>: <span class=\"hl-s\">&quot;q&quot;</span>\n  <span class=\"hl-p\">n</span>: <span class=\"hl-n\">3</span>\n"
                .replace(":<span class=\"hl-s\">value", ": <span class=\"hl-s\">value")
        );
    }

    #[test]
    fn bash_commands() {
        let h = highlight("bash", "az aks update -g \"$RG\" --attach-acr $ACR # go\n");
        assert_eq!(
            h,
            "<span class=\"hl-f\">az</span> aks update <span class=\"hl-o\">-g</span> <span class=\"hl-s\">&quot;$RG&quot;</span> <span class=\"hl-o\">--attach-acr</span> <span class=\"hl-v\">$ACR</span> <span class=\"hl-c\"># go</span>\n"
        );
    }

    #[test]
    fn rego_and_toml() {
        let h = highlight(
            "rego",
            "package x\nviolation[{\"msg\": msg}] {\n  not input.review\n}\n",
        );
        assert!(h.contains("<span class=\"hl-k\">package</span>"));
        assert!(h.contains("<span class=\"hl-f\">violation</span>"));
        assert!(h.contains("<span class=\"hl-v\">input</span>"));
        let t = highlight("toml", "[book]\ntitle = \"T\" # x\nn = 3\n");
        assert_eq!(
            t,
            "<span class=\"hl-t\">[book]</span>\n<span class=\"hl-p\">title</span> = <span class=\"hl-s\">&quot;T&quot;</span> <span class=\"hl-c\"># x</span>\n<span class=\"hl-p\">n</span> = <span class=\"hl-n\">3</span>\n"
        );
    }

    #[test]
    fn every_language_round_trips_text() {
        let samples = [
            "a: [1, 'b', {c: d}]\n",
            "x=$(ls -la | wc -l); echo ${x}\n",
            "p := {\"a\": 1} # c\n",
            "\"k\": [1,2]",
            "r#\"x\"# b\"y\" 'a '\\n' /* /* */ 1.0e5 x!() #[a\n",
        ];
        let tags = regex::Regex::new("<[^>]+>").unwrap();
        for lang in ["bash", "yaml", "json", "rego", "toml", "text", "rust"] {
            for s in samples {
                let h = highlight(lang, s);
                let stripped = tags.replace_all(&h, "");
                let unescaped = stripped
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&");
                assert_eq!(unescaped, s, "{lang}");
            }
        }
    }
}

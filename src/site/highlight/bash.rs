//! Shell (bash): comments, strings, variables, options, and the command word
//! of each command.

use super::scan::{first_char, is_word, number_len, quoted_len, Out};

const BASH_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "in", "function", "return", "export", "local", "readonly", "set", "unset", "exit", "source",
    "declare",
];

pub(super) fn bash(h: &mut Out, code: &str) {
    let mut i = 0;
    let mut command_pos = true;
    let mut prev = '\n';
    while i < code.len() {
        let rest = &code[i..];
        let c = first_char(rest);
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

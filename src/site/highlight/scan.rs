//! What every language's tokenizer shares: the output that escapes text and
//! wraps tokens in `<span class="hl-…">`, and scanners for words, quoted strings,
//! numbers and trailing ` # comments`.

use crate::site::util::escape_into;

pub(super) struct Out<'a> {
    out: &'a mut String,
}

impl<'a> Out<'a> {
    pub(super) fn new(out: &'a mut String) -> Out<'a> {
        Out { out }
    }

    pub(super) fn plain(&mut self, s: &str) {
        escape_into(self.out, s);
    }
    pub(super) fn span(&mut self, class: &str, s: &str) {
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

/// The first character of `rest`; the tokenizers call it only while `i < len` on a
/// char boundary, so one always follows.
pub(super) fn first_char(rest: &str) -> char {
    rest.chars()
        .next()
        .expect("i < len on a char boundary: a char follows")
}

pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Length in bytes of a quoted string starting at `s[0]` (the quote), honouring
/// backslash escapes when `escapes`; stops at end of line when `single_line`.
pub(super) fn quoted_len(s: &str, escapes: bool, single_line: bool) -> usize {
    let q = s
        .chars()
        .next()
        .expect("callers pass `s` starting at its quote");
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

pub(super) fn number_len(s: &str) -> usize {
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

pub(super) fn word_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !is_word(c))
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

/// Splits ` # comment` off a value (outside quotes).
pub(super) fn split_comment(s: &str) -> (&str, &str) {
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

//! A bash script built from fixed code and quoted values. Code is `&'static str`,
//! so text assembled at run time (a name, a title) can only enter the script
//! through [`quote`] (as a single-quoted word) or [`ShellScript::comment`] (with
//! control characters escaped, so it cannot end the comment line).

/// Single-quotes `s` for bash: `'…'`, each `'` written `'\''`. Inside single
/// quotes bash expands nothing (`$`, `` ` ``, `\`, `!` and newlines are literal).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The text of a script under construction.
#[derive(Default)]
pub struct ShellScript {
    text: String,
}

impl ShellScript {
    pub fn new() -> ShellScript {
        ShellScript::default()
    }

    /// Fixed code, copied as it is.
    pub fn code(&mut self, code: &'static str) -> &mut Self {
        self.text.push_str(code);
        self
    }

    /// `template` with each `{}` replaced by the next value, quoted by [`quote`].
    /// Panics when the number of `{}` and of values differ (a bug in the caller).
    pub fn command(&mut self, template: &'static str, values: &[&str]) -> &mut Self {
        let pieces: Vec<&str> = template.split("{}").collect();
        assert_eq!(
            pieces.len(),
            values.len() + 1,
            "template {template:?} takes {} values",
            pieces.len() - 1
        );
        for (i, piece) in pieces.iter().enumerate() {
            self.text.push_str(piece);
            if let Some(v) = values.get(i) {
                self.text.push_str(&quote(v));
            }
        }
        self
    }

    /// One comment line: `# text`, every control character (newline, carriage
    /// return, …) written as an escape such as `\n`.
    pub fn comment(&mut self, text: &str) -> &mut Self {
        self.text.push('#');
        if !text.is_empty() {
            self.text.push(' ');
        }
        for c in text.chars() {
            if c.is_control() {
                self.text.extend(c.escape_default());
            } else {
                self.text.push(c);
            }
        }
        self.text.push('\n');
        self
    }

    pub fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_single_quoted_and_comments_stay_one_line() {
        assert_eq!(quote("it's $(x)"), r"'it'\''s $(x)'");
        assert_eq!(quote(""), "''");
        let mut s = ShellScript::new();
        s.comment("set \"a\nrm -rf x\"\r")
            .command("echo {} {}\n", &["a b", "'"])
            .code("exit 0\n");
        assert_eq!(
            s.finish(),
            "# set \"a\\nrm -rf x\"\\r\necho 'a b' ''\\'''\nexit 0\n"
        );
    }

    #[test]
    #[should_panic(expected = "takes 1 values")]
    fn a_template_takes_exactly_its_values() {
        ShellScript::new().command("echo {}\n", &[]);
    }
}

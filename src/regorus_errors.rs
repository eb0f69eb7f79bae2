//! Where a regorus error points, read from its text: the one place that does.
//!
//! regorus 0.14.1 builds its Rego lexer, parser, interpreter and Azure Policy
//! compiler errors with `Span::error`, which formats the place into the message
//! (`\n--> file:line:col`, a source excerpt, then `error: message`) and returns
//! a plain `anyhow` string: no span survives to downcast to. Only the Azure
//! Policy parser returns a typed error (`ParseError`, read in `azure::compile`).

/// A regorus error split into its place (when it names one) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// File, 1-based line and column of the first `-->` line.
    pub place: Option<(String, u32, u32)>,
    /// The last `error:` line's text, or the whole text on one line.
    pub message: String,
}

/// Splits a regorus error text (`format!("{e:#}")`).
pub fn locate(text: &str) -> Located {
    let place = text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("-->")?.trim();
        let mut parts = rest.rsplitn(3, ':');
        let col = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        let file = parts
            .next()
            .filter(|f| !f.is_empty() && !f.contains(char::is_whitespace))?;
        Some((file.to_string(), line, col))
    });
    let message = text
        .lines()
        .rev()
        .find_map(|l| {
            l.trim()
                .strip_prefix("error:")
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        });
    Located { place, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_place_and_the_last_error_line() {
        let text = "loading: \n--> lib_0.rego:3:7\n  |\n3 | x := error: y\n  |       ^\nerror: unexpected token";
        let l = locate(text);
        assert_eq!(l.place, Some(("lib_0.rego".to_string(), 3, 7)));
        assert_eq!(l.message, "unexpected token");
    }

    #[test]
    fn a_text_without_a_place_is_joined_on_one_line() {
        let l = locate("first\n\n  second ");
        assert_eq!(l.place, None);
        assert_eq!(l.message, "first second");
    }
}

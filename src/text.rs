//! Reading text inputs (rule files, samples, book.toml, SUMMARY.md, chapters,
//! tables, includes, `check` and `verify` inputs) the same way everywhere: a UTF-8
//! byte-order mark is dropped, and input that is not UTF-8 is reported with the
//! line, column and byte offset of the first bad byte instead of a bare OS error.

use std::fmt;
use std::path::Path;

const BOM: &str = "\u{feff}";

/// Why a text file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read (missing, a folder, no permission…).
    Io(std::io::Error),
    /// The bytes are not UTF-8. `line` and `column` are 1-based (columns count
    /// characters); `offset` is the byte offset in the file.
    NotUtf8 {
        line: usize,
        column: usize,
        offset: usize,
        utf16: bool,
    },
}

impl ReadError {
    /// Where the problem is, for a `Location`: the first bad byte, or 1:1.
    pub fn line_col(&self) -> (usize, usize) {
        match self {
            ReadError::NotUtf8 { line, column, .. } => (*line, *column),
            ReadError::Io(_) => (1, 1),
        }
    }

    /// What to do about it; `io_help` is the caller's advice for an I/O error.
    pub fn help<'a>(&self, io_help: &'a str) -> &'a str {
        match self {
            ReadError::NotUtf8 { .. } => {
                "save the file as UTF-8 (policybook reads text as UTF-8 only)"
            }
            ReadError::Io(_) => io_help,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotUtf8 {
                line,
                column,
                offset,
                utf16,
            } => {
                write!(
                    f,
                    "not valid UTF-8 at line {line}, column {column} (byte offset {offset}); save the file as UTF-8"
                )?;
                if *utf16 {
                    write!(f, " (it looks like UTF-16)")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads a text file: UTF-8, without a leading byte-order mark.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    decode_text(bytes)
}

/// Decodes file bytes as UTF-8 and drops a leading byte-order mark.
pub fn decode_text(bytes: Vec<u8>) -> Result<String, ReadError> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with(BOM) {
                s.drain(..BOM.len());
            }
            Ok(s)
        }
        Err(e) => {
            let bytes = e.as_bytes();
            let offset = e.utf8_error().valid_up_to();
            // Everything before `offset` is valid, so it can be counted in characters.
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let valid = valid.strip_prefix(BOM).unwrap_or(valid);
            let (line, column) = line_col(valid, valid.len());
            let utf16 = bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]);
            Err(ReadError::NotUtf8 {
                line,
                column,
                offset,
                utf16,
            })
        }
    }
}

/// Drops a leading byte-order mark from text that is already decoded.
pub fn strip_bom(s: &str) -> &str {
    s.strip_prefix(BOM).unwrap_or(s)
}

/// 1-based (line, column) of a byte offset, counting columns in characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_dropped_once() {
        let s = decode_text(b"\xef\xbb\xbfa: 1\n".to_vec()).unwrap();
        assert_eq!(s, "a: 1\n");
        // Only a leading mark is a BOM; one inside the text is content.
        let s = decode_text("x\u{feff}".as_bytes().to_vec()).unwrap();
        assert_eq!(s, "x\u{feff}");
    }

    #[test]
    fn latin1_is_located() {
        // "name: caf\xe9" on line 2: column 10 is the bad byte.
        let e = decode_text(b"id: A-1\nname: caf\xe9\n".to_vec()).unwrap_err();
        assert_eq!(e.line_col(), (2, 10));
        assert_eq!(
            e.to_string(),
            "not valid UTF-8 at line 2, column 10 (byte offset 17); save the file as UTF-8"
        );
        // Columns count characters, not bytes; a BOM is not a column.
        let e = decode_text("\u{feff}é\u{e9}\n".bytes().chain([0xff]).collect()).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::NotUtf8 {
                    line: 2,
                    column: 1,
                    offset: 8,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn utf16_is_named() {
        let e = decode_text(vec![0xff, 0xfe, b'a', 0]).unwrap_err();
        assert!(e.to_string().ends_with("(it looks like UTF-16)"), "{e}");
        assert_eq!(e.line_col(), (1, 1));
    }
}

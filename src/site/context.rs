//! What a page is rendered from: the build's shared inputs ([`Env`]) and, for a
//! Markdown text, where each of its lines came from ([`Origin`]). Both the page
//! builder and the directives use them; neither imports the other for them.

use std::path::Path;
use std::sync::Arc;

use super::util::LineIndex;
use crate::diagnostics::Location;
use crate::model::Bundle;

/// What every page of one build shares.
pub(super) struct Env<'a> {
    pub bundle: &'a Bundle,
    /// The book's source folder on disk.
    pub src_dir: &'a Path,
    /// The same, relative to the project root (`content`), for messages.
    pub src_rel: &'a str,
    /// Whether the policy pages exist (SUMMARY lists `policybook:policies`).
    pub policy_pages: bool,
}

/// Where the lines of a Markdown text came from (a page, an included file, a YAML field).
#[derive(Clone, Debug)]
pub(super) struct Origin {
    segments: Vec<Segment>,
}

#[derive(Clone, Debug)]
struct Segment {
    /// Byte offset in the text where this segment starts.
    start: usize,
    file: Arc<str>,
    /// 1-based line in `file` of the segment's first line.
    line: usize,
}

impl Origin {
    pub(super) fn new(file: &str, first_line: usize) -> Origin {
        Origin {
            segments: vec![Segment {
                start: 0,
                file: file.into(),
                line: first_line,
            }],
        }
    }

    pub(super) fn push(&mut self, start: usize, file: Arc<str>, line: usize) {
        self.segments.push(Segment { start, file, line });
    }

    /// An included text's origin, its text placed at byte `base` of this one
    /// and its lines moved down by `line_shift`.
    pub(super) fn append(&mut self, base: usize, included: Origin, line_shift: usize) {
        for s in included.segments {
            self.push(base + s.start, s.file, s.line + line_shift);
        }
    }

    pub(super) fn locate(&self, text: &str, li: &LineIndex, offset: usize) -> Location {
        let idx = self.segments.partition_point(|s| s.start <= offset).max(1) - 1;
        let seg = &self.segments[idx];
        let (l0, _) = li.locate(text, seg.start);
        let (l, col) = li.locate(text, offset);
        Location {
            file: seg.file.to_string(),
            line: seg.line + (l - l0),
            column: col,
        }
    }
}

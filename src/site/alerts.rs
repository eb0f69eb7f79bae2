//! GFM alerts (`> [!NOTE]`, `[!TIP]`, `[!IMPORTANT]`, `[!WARNING]`, `[!CAUTION]`)
//! as mdBook 0.5 writes them: a block quote with the kind's classes and a title
//! line, an icon and the kind's name, so the page reads "Note" as mdBook's does.
//! The icons are our own simple shapes.

use pulldown_cmark::BlockQuoteKind;

/// The opening HTML of an alert block quote of `kind`.
pub(super) fn open(kind: BlockQuoteKind) -> String {
    let (name, title, icon) = match kind {
        BlockQuoteKind::Note => (
            "note",
            "Note",
            r#"<circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.5"></circle><path d="M8 7v4.5M8 4.5v.5" stroke="currentColor" stroke-width="1.5"></path>"#,
        ),
        BlockQuoteKind::Tip => (
            "tip",
            "Tip",
            r#"<circle cx="8" cy="6" r="4.5" fill="none" stroke="currentColor" stroke-width="1.5"></circle><path d="M6 12.5h4M6.5 15h3" stroke="currentColor" stroke-width="1.5"></path>"#,
        ),
        BlockQuoteKind::Important => (
            "important",
            "Important",
            r#"<rect x="1" y="1.5" width="14" height="10.5" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.5"></rect><path d="M8 4v4M8 9.5v1M4 12v3l3-3" stroke="currentColor" stroke-width="1.5"></path>"#,
        ),
        BlockQuoteKind::Warning => (
            "warning",
            "Warning",
            r#"<path d="M8 1.5 15 14.5H1Z" fill="none" stroke="currentColor" stroke-width="1.5"></path><path d="M8 6v4M8 11.5v1" stroke="currentColor" stroke-width="1.5"></path>"#,
        ),
        BlockQuoteKind::Caution => (
            "caution",
            "Caution",
            r#"<path d="M5 1h6l4 4v6l-4 4H5l-4-4V5Z" fill="none" stroke="currentColor" stroke-width="1.5"></path><path d="M8 4.5v4M8 10.5v1" stroke="currentColor" stroke-width="1.5"></path>"#,
        ),
    };
    format!(
        "<blockquote class=\"blockquote-tag blockquote-tag-{name} markdown-alert-{name}\">\n<p class=\"blockquote-tag-title\"><svg viewbox=\"0 0 16 16\" width=\"18\" height=\"18\" aria-hidden=\"true\">{icon}</svg>{title}</p>\n"
    )
}

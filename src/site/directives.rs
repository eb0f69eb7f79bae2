//! Content directives, each alone on its own line in a Markdown page:
//! `{{#table tables/<file>.yaml}}` renders a YAML data file as a table, and
//! `{{#checklist <area> [<area>…]}}` inserts the rules' checklist lines.

use serde::Deserialize;
use serde_yaml::Value;

use super::context::{Env, Origin};
use super::util::escape;
use crate::diagnostics::{Diagnostics, Location};
use crate::spans::SpanIndex;

/// What a directive needs from the page it renders into. The page builder
/// implements it, so directives do not import the page.
pub(super) trait Host<'e> {
    /// What every page of the build shares.
    fn env(&self) -> &'e Env<'e>;
    fn diags(&mut self) -> &mut Diagnostics;
    /// Inline Markdown (a table cell) as (page, print page) HTML.
    fn inline_markdown(&mut self, text: &str, origin: &Origin) -> (String, String);
    /// Block Markdown (a table's notes) as (page, print page) HTML.
    fn block_markdown(&mut self, text: &str, origin: &Origin) -> (String, String);
    /// Text for the page's search sections only.
    fn text_only(&mut self, t: &str);
    /// Hrefs (page, print page) to another page of the site by output path.
    fn page_href(&self, target_out: &str, anchor: Option<&str>) -> (String, String);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableData {
    #[serde(default)]
    caption: Option<String>,
    columns: Vec<Value>,
    rows: Vec<Vec<Value>>,
    #[serde(default)]
    notes: Option<String>,
}

fn cell_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// `{{#table path}}`: path relative to the book's source folder; the file must be
/// inside the project folder, also once symbolic links are followed.
pub(super) fn table<'e, H: Host<'e>>(p: &mut H, path: &str, loc: Location) -> (String, String) {
    let env = p.env();
    let root = &env.bundle.root;
    let boundary = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let outside = |p: &mut H, loc: Location, why: &str| {
        p.diags().error(
            loc,
            format!("bad table path `{path}`: {why}"),
            format!(
                "table files must be inside the project folder {}; write `{{{{#table tables/<file>.yaml}}}}` with a path relative to the book's source folder",
                boundary.display()
            ),
        );
        Default::default()
    };
    if path.is_empty() {
        return outside(p, loc, "no file named");
    }
    if path.starts_with('/') || std::path::Path::new(path).is_absolute() {
        return outside(p, loc, "an absolute path");
    }
    // The project-relative path, `..` resolved without leaving the project.
    let Some(file) = project_path(env.src_rel, path) else {
        return outside(p, loc, "it leads out of the project folder");
    };
    let real = match root.join(&file).canonicalize() {
        Ok(r) => r,
        Err(e) => {
            p.diags().error(
                loc,
                format!("cannot read table data `{path}`: {e}"),
                "the path is relative to the book's source folder",
            );
            return Default::default();
        }
    };
    if !real.starts_with(&boundary) {
        return outside(
            p,
            loc,
            "it leads through a symbolic link out of the project folder",
        );
    }
    let text = match crate::text::read_text(&real) {
        Ok(t) => t,
        Err(e) => {
            p.diags().error(
                loc,
                format!("cannot read table data `{path}`: {e}"),
                "the path is relative to the book's source folder",
            );
            return Default::default();
        }
    };
    let data: TableData = match serde_yaml::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            let (line, col) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            let msg = without_quoted_text(msg);
            p.diags().error(Location::new(&file, (line, col)), format!("bad table data: {msg}"), "a table file has `caption`, `columns: [..]`, `rows: [[..], ..]` and optional `notes`");
            return Default::default();
        }
    };
    let spans = SpanIndex::build(&text);
    let at = |path: &str| Location::new(&file, spans.nearest(path));
    let mut ok = true;
    if data.columns.is_empty() {
        p.diags().error(
            at("columns"),
            "a table needs at least one column",
            "list the column headings under `columns:`",
        );
        ok = false;
    }
    for (i, row) in data.rows.iter().enumerate() {
        if row.len() != data.columns.len() {
            p.diags().error(
                at(&format!("rows.{i}")),
                format!(
                    "row {} has {} cell(s) but the table has {} column(s)",
                    i + 1,
                    row.len(),
                    data.columns.len()
                ),
                "give every row one cell per column (use \"\" for an empty cell)",
            );
            ok = false;
        }
        for (j, c) in row.iter().enumerate() {
            if cell_text(c).is_none() {
                p.diags().error(
                    at(&format!("rows.{i}.{j}")),
                    "a table cell must be text, a number or a boolean",
                    "quote the cell's text",
                );
                ok = false;
            }
        }
    }
    for (j, c) in data.columns.iter().enumerate() {
        if cell_text(c).is_none() {
            p.diags().error(
                at(&format!("columns.{j}")),
                "a column heading must be text",
                "quote the heading",
            );
            ok = false;
        }
    }
    if !ok {
        return Default::default();
    }
    let origin_at = |path: &str| Origin::new(&file, spans.nearest(path).0);
    let mut a = String::from("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table class=\"data-table\">\n");
    let mut b = a.clone();
    if let Some(c) = &data.caption {
        let (x, y) = p.inline_markdown(c, &origin_at("caption"));
        a.push_str(&format!("<caption>{x}</caption>\n"));
        b.push_str(&format!("<caption>{y}</caption>\n"));
    }
    a.push_str("<thead><tr>");
    b.push_str("<thead><tr>");
    for (j, c) in data.columns.iter().enumerate() {
        let (x, y) = p.inline_markdown(
            &cell_text(c).expect("cells were checked to be text above"),
            &origin_at(&format!("columns.{j}")),
        );
        a.push_str(&format!("<th>{x}</th>"));
        b.push_str(&format!("<th>{y}</th>"));
        p.text_only("");
    }
    a.push_str("</tr></thead>\n<tbody>\n");
    b.push_str("</tr></thead>\n<tbody>\n");
    for (i, row) in data.rows.iter().enumerate() {
        a.push_str("<tr>");
        b.push_str("<tr>");
        for (j, c) in row.iter().enumerate() {
            let (x, y) = p.inline_markdown(
                &cell_text(c).expect("cells were checked to be text above"),
                &origin_at(&format!("rows.{i}.{j}")),
            );
            a.push_str(&format!("<td>{x}</td>"));
            b.push_str(&format!("<td>{y}</td>"));
            p.text_only("");
        }
        a.push_str("</tr>\n");
        b.push_str("</tr>\n");
    }
    a.push_str("</tbody></table></div>\n");
    b.push_str("</tbody></table></div>\n");
    if let Some(n) = &data.notes {
        let (x, y) = p.block_markdown(n, &origin_at("notes"));
        a.push_str(&format!("<div class=\"table-notes\">{x}</div>\n"));
        b.push_str(&format!("<div class=\"table-notes\">{y}</div>\n"));
    }
    (a, b)
}

/// `src_rel/path` with `.` and `..` resolved, `/`-separated; None when it leaves the project.
fn project_path(src_rel: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in src_rel.split('/').chain(path.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// serde's message with quoted string values replaced (`invalid type: string "…"`
/// would otherwise print the file's text).
fn without_quoted_text(msg: &str) -> String {
    static QUOTED: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    QUOTED
        .get_or_init(|| regex::Regex::new(r#""(?:[^"\\]|\\.)*""#).expect("constant pattern"))
        .replace_all(msg, "…")
        .into_owned()
}

/// `{{#checklist area…}}`: the checklist lines of the rules in these areas.
pub(super) fn checklist<'e, H: Host<'e>>(p: &mut H, args: &str, loc: Location) -> (String, String) {
    let env = p.env();
    let bundle = env.bundle;
    let Some(pb) = &bundle.config.policybook else {
        p.diags().error(
            loc,
            "`{{#checklist}}` needs a policybook project",
            "add a [policybook] table to book.toml, or remove the directive",
        );
        return Default::default();
    };
    let areas: Vec<&str> = args.split_whitespace().collect();
    if areas.is_empty() {
        p.diags().error(
            loc,
            "`{{#checklist}}` names no area",
            "write `{{#checklist <area> [<area>…]}}` with area keys from book.toml",
        );
        return Default::default();
    }
    let mut a = String::from("<ul class=\"contains-task-list checklist\">\n");
    let mut b = a.clone();
    let mut ok = true;
    for area in areas {
        let rules: Vec<_> = bundle.rules.iter().filter(|r| r.area == area).collect();
        if rules.is_empty() && !pb.areas.contains_key(area) {
            let known: Vec<&str> = pb.areas.keys().map(String::as_str).collect();
            p.diags().error(
                loc.clone(),
                format!("unknown area `{area}` in `{{{{#checklist}}}}`"),
                format!("use one of: {}", known.join(", ")),
            );
            ok = false;
            continue;
        }
        for r in rules {
            if r.checklist.trim().is_empty() {
                continue;
            }
            let (x, y) = if env.policy_pages {
                let (ha, hb) = p.page_href(&format!("policies/{}.html", r.name), None);
                (
                    format!("<a href=\"{}\">{}</a>", escape(&ha), escape(&r.id)),
                    format!("<a href=\"{}\">{}</a>", escape(&hb), escape(&r.id)),
                )
            } else {
                let s = format!("<strong>{}</strong>", escape(&r.id));
                (s.clone(), s)
            };
            let item = |link: &str| {
                // The checkbox is named by its line, for screen readers (axe: `label`).
                format!("<li class=\"task-list-item\"><input disabled=\"\" type=\"checkbox\" aria-label=\"{} {}\"/> {link} {}</li>\n", escape(&r.id), escape(&r.checklist), escape(&r.checklist))
            };
            a.push_str(&item(&x));
            b.push_str(&item(&y));
            p.text_only(&format!("{} {}", r.id, r.checklist));
        }
    }
    if !ok {
        return Default::default();
    }
    a.push_str("</ul>\n");
    b.push_str("</ul>\n");
    (a, b)
}

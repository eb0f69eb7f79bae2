//! Fenced code blocks as mdBook writes them: the info string's first word is the
//! language (`language-rust`), the other words (`ignore`, `should_panic`,
//! `edition2021`, …) stay as classes; Rust blocks hide `# ` lines (and get the
//! hidden `fn main` wrapper mdBook adds to playground blocks), other languages hide
//! lines by a prefix from `[output.html.code.hidelines]` or a `hidelines=<prefix>`
//! word. Hidden lines are `<span class="boring">`; the theme's script hides them
//! and adds the "show hidden lines" toggle and the copy button. There is no Run
//! button: the site stays offline.

use super::highlight;
use super::util::escape;
use crate::config::Config;

/// The `<pre><code>` HTML of one code block. `info` is None for an indented block.
pub(super) fn render(config: &Config, info: Option<&str>, code: &str) -> String {
    let words: Vec<&str> = info
        .unwrap_or("")
        .split([' ', '\t', ','])
        .filter(|w| !w.is_empty())
        .collect();
    let Some((&lang_word, attrs)) = words.split_first() else {
        return format!(
            "<pre tabindex=\"0\"><code>{}</code></pre>\n",
            highlight::highlight("", code)
        );
    };
    let lang = highlight::language(lang_word);
    let mut classes = vec![format!("language-{lang_word}")];
    classes.extend(attrs.iter().map(|a| a.to_string()));
    let has = |c: &str| attrs.contains(&c);
    let mut pre_class = "";
    let mut text = code.to_string();
    // mdBook matches the class `language-rust` itself: a ```` ```rs ```` block is
    // highlighted as Rust but neither wrapped nor given hidden lines.
    let is_rust = lang_word == "rust";
    if is_rust
        && ((!has("ignore")
            && !has("noplayground")
            && !has("noplaypen")
            && playground_runnable(config))
            || has("mdbook-runnable"))
    {
        pre_class = " class=\"playground\"";
        if !attrs.iter().any(|a| a.starts_with("edition")) {
            if let Some(e) = rust_edition(config) {
                classes.push(format!("edition{e}"));
            }
        }
        // An `editable` block of an editable playground is left as written (mdBook).
        if !(has("editable") && playground_flag(config, "editable", false)) {
            if let Some(w) = wrap_main(&text) {
                text = w;
            }
        }
    }
    let body = if is_rust {
        hide_rust(&text)
    } else {
        let prefix = attrs
            .iter()
            .find_map(|a| a.strip_prefix("hidelines="))
            .map(str::to_string)
            .or_else(|| hidelines(config, lang_word));
        match prefix {
            Some(p) if !p.is_empty() => hide_prefix(&lang, &text, &p),
            _ => highlight::highlight(&lang, &text),
        }
    };
    format!(
        "<pre{pre_class} tabindex=\"0\"><code class=\"{}\">{body}</code></pre>\n",
        escape(&classes.join(" "))
    )
}

/// `[output.html.playground] runnable` (mdBook's default: true).
fn playground_runnable(config: &Config) -> bool {
    playground_flag(config, "runnable", true)
}

/// A boolean of `[output.html.playground]` (or its old name `playpen`, which
/// mdBook still reads, e.g. Rust by Example's `editable = true`).
fn playground_flag(config: &Config, key: &str, default: bool) -> bool {
    let html = config.output.get("html");
    ["playground", "playpen"]
        .iter()
        .find_map(|t| html.and_then(|h| h.get(t)).and_then(|p| p.get(key)))
        .and_then(|v| v.as_bool())
        .unwrap_or(default)
}

/// `[rust] edition` (`2021` → "2021").
fn rust_edition(config: &Config) -> Option<String> {
    let e = config.rust.as_ref()?.get("edition")?.as_str()?;
    matches!(e, "2015" | "2018" | "2021" | "2024").then(|| e.to_string())
}

/// The hidden-line prefix of `lang` from `[output.html.code.hidelines]`.
fn hidelines(config: &Config, lang: &str) -> Option<String> {
    config
        .output
        .get("html")?
        .get("code")?
        .get("hidelines")?
        .get(lang)?
        .as_str()
        .map(str::to_string)
}

/// Like rustdoc and mdBook: a block without `fn main` is wrapped in a hidden one,
/// with its leading `#![…]` attributes kept above it.
fn wrap_main(text: &str) -> Option<String> {
    if text.contains("fn main") || text.contains("quick_main!") {
        return None;
    }
    // Leading lines that are blank or inner attributes go before the wrapper.
    let mut split = 0;
    let mut saw_attr = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start_matches([' ', '\t']);
        if t.starts_with("#![") {
            saw_attr = true;
        } else if !line.trim().is_empty() {
            break;
        }
        split += line.len();
    }
    if !saw_attr {
        split = 0;
    }
    let (attrs, code) = text.split_at(split);
    let nl = if code.is_empty() || code.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    Some(format!(
        "# #![allow(unused)]\n{attrs}# fn main() {{\n{code}{nl}# }}"
    ))
}

/// Rust's hidden lines: `# x` and a lone `#` are hidden (the `# ` dropped), `##x`
/// shows `#x`, anything else (`#[derive]`, `#!`) shows as written. Consecutive
/// lines of one kind are highlighted together; the last line has no newline.
fn hide_rust(text: &str) -> String {
    let mut runs: Vec<(bool, String)> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (k, line) in lines.iter().enumerate() {
        let nl = if k + 1 == lines.len() { "" } else { "\n" };
        let ws_len = line.len() - line.trim_start().len();
        let (ws, rest) = line.split_at(ws_len);
        let (hidden, shown) = match rest.strip_prefix('#') {
            Some(after) if after.starts_with('#') => (false, format!("{ws}{after}")),
            Some("") => (true, ws.to_string()),
            Some(after) if after.starts_with(' ') => (true, format!("{ws}{}", &after[1..])),
            _ => (false, line.to_string()),
        };
        match runs.last_mut() {
            Some((h, s)) if *h == hidden => {
                s.push_str(&shown);
                s.push_str(nl);
            }
            _ => runs.push((hidden, format!("{shown}{nl}"))),
        }
    }
    wrap_runs("rust", &runs)
}

/// Lines starting (after indentation) with `prefix` are hidden, the prefix removed.
fn hide_prefix(lang: &str, text: &str, prefix: &str) -> String {
    let mut runs: Vec<(bool, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let (hidden, shown) = if t.starts_with(prefix) {
            let pos = line.len() - t.len();
            (
                true,
                format!("{}{}", &line[..pos], &line[pos + prefix.len()..]),
            )
        } else {
            (false, line.to_string())
        };
        match runs.last_mut() {
            Some((h, s)) if *h == hidden => {
                s.push_str(&shown);
                s.push('\n');
            }
            _ => runs.push((hidden, format!("{shown}\n"))),
        }
    }
    wrap_runs(lang, &runs)
}

fn wrap_runs(lang: &str, runs: &[(bool, String)]) -> String {
    let mut out = String::new();
    for (hidden, s) in runs {
        if *hidden {
            // One span per hidden line, as mdBook writes them.
            for line in s.split_inclusive('\n') {
                out.push_str("<span class=\"boring\">");
                out.push_str(&highlight::highlight(lang, line));
                out.push_str("</span>");
            }
        } else {
            out.push_str(&highlight::highlight(lang, s));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(toml: &str) -> Config {
        Config::parse(toml).unwrap()
    }

    #[test]
    fn rust_block_without_main_is_wrapped_hidden() {
        assert_eq!(
            render(&cfg(""), Some("rust,edition2021"), "let x = 1;\n"),
            "<pre class=\"playground\" tabindex=\"0\"><code class=\"language-rust edition2021\"><span class=\"boring\"><span class=\"hl-o\">#![allow(unused)]</span>\n</span><span class=\"boring\"><span class=\"hl-k\">fn</span> <span class=\"hl-f\">main</span>() {\n</span><span class=\"hl-k\">let</span> x = <span class=\"hl-n\">1</span>;\n<span class=\"boring\">}</span></code></pre>\n"
        );
    }

    #[test]
    fn ignore_is_a_class_and_no_wrapper() {
        assert_eq!(
            render(&cfg(""), Some("rust ignore"), "# use a;\n##x\nb\n"),
            "<pre tabindex=\"0\"><code class=\"language-rust ignore\"><span class=\"boring\"><span class=\"hl-k\">use</span> a;\n</span>#x\nb</code></pre>\n"
        );
    }

    #[test]
    fn hidelines_from_config_and_from_the_info_string() {
        let c = cfg("[output.html.code.hidelines]\npython = \"~\"\n");
        assert_eq!(
            render(&c, Some("python"), "~import os\nprint(1)\n"),
            "<pre tabindex=\"0\"><code class=\"language-python\"><span class=\"boring\">import os\n</span>print(1)\n</code></pre>\n"
        );
        assert_eq!(
            render(&c, Some("text hidelines=!!"), "!!x\ny\n"),
            "<pre tabindex=\"0\"><code class=\"language-text hidelines=!!\"><span class=\"boring\">x\n</span>y\n</code></pre>\n"
        );
    }

    #[test]
    fn console_is_plain() {
        assert_eq!(
            render(&cfg(""), Some("console"), "$ echo \"hi\"\n"),
            "<pre tabindex=\"0\"><code class=\"language-console\">$ echo &quot;hi&quot;\n</code></pre>\n"
        );
    }
}

//! Build-time syntax highlighting for the languages the handbook uses: bash,
//! yaml, json, rego, toml and rust (`console` and `text` stay plain). Small hand-written tokenizers that emit
//! `<span class="hl-…">` (c comment, s string, k keyword, n number/literal,
//! p property/key, v variable, o option/operator, f function/command, t table header).
//! Anything they do not recognise is emitted as plain escaped text.
//!
//! This file picks the language; each tokenizer is a child named after it
//! (`highlight/bash.rs`, …) and they share `highlight/scan.rs` (the output and
//! the scanners for words, strings and numbers).

mod bash;
mod json;
mod rego;
mod rust;
mod scan;
mod toml;
mod yaml;

use scan::Out;

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
    let mut h = Out::new(&mut out);
    match lang {
        "bash" => bash::bash(&mut h, code),
        "yaml" => yaml::yaml(&mut h, code),
        "json" => json::json(&mut h, code),
        "rego" => rego::rego(&mut h, code),
        "toml" => toml::toml(&mut h, code),
        "rust" => rust::rust(&mut h, code),
        _ => h.plain(code),
    }
    out
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

//! A deterministic generator of N-chapter mdBook books, for the site benchmark
//! (`site-bench`, this folder) and the scaling test in `tests/testsuite/site_render.rs`,
//! which includes this file by path. Each chapter is ~8–9 KB of Markdown: h1–h3, prose,
//! GFM tables (one a 5-column identity matrix), a task list, a blockquote, fenced
//! json/bash/yaml, and 3–6 links to other chapters, 40 % of them with `#anchors`.
//! SUMMARY.md has a prefix chapter, a part every 100 chapters, three levels of nesting,
//! separators, two drafts and a suffix chapter.

use std::fmt::Write as _;
use std::path::Path;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SYLLABLES: &[&str] = &[
    "ku", "be", "let", "id", "en", "ti", "ty", "ma", "na", "ged", "ro", "le", "as", "sign", "ment",
    "pod", "clus", "ter", "reg", "is", "try", "to", "ken", "fed", "er", "at", "ed", "cre", "den",
    "tial", "se", "cret", "vault", "pol", "i", "cy", "de", "ploy", "con", "trol", "plane", "node",
    "pull", "push", "scope", "work", "load", "serv", "ice", "ac", "count",
];

/// The `k`-th word of a synthetic vocabulary of ~20,000 words, drawn Zipf-like.
fn word(rng: &mut Rng) -> String {
    // Zipf-ish: small ranks are much more likely.
    let r = rng.below(1000) + 1;
    let rank = (20_000 * r * r * r / 1_000_000_000).max(rng.below(40));
    let mut k = rank as usize;
    let mut w = String::new();
    loop {
        w.push_str(SYLLABLES[k % SYLLABLES.len()]);
        k /= SYLLABLES.len();
        if k == 0 {
            break;
        }
    }
    w
}

fn sentence(rng: &mut Rng, out: &mut String) {
    let n = 8 + rng.below(12);
    for i in 0..n {
        let w = word(rng);
        if i == 0 {
            let mut c = w.chars();
            let first = c.next().unwrap().to_ascii_uppercase();
            out.push(first);
            out.push_str(c.as_str());
        } else {
            out.push(' ');
            if rng.below(15) == 0 {
                let _ = write!(out, "`{w}`");
            } else if rng.below(25) == 0 {
                let _ = write!(out, "**{w}**");
            } else {
                out.push_str(&w);
            }
        }
    }
    out.push_str(". ");
}

fn paragraph(rng: &mut Rng, out: &mut String) {
    for _ in 0..(3 + rng.below(3)) {
        sentence(rng, out);
    }
    out.push_str("\n\n");
}

pub(super) fn chapter_path(i: usize) -> String {
    format!("part-{:02}/ch{:05}.md", i / 100 + 1, i)
}

const ANCHORS: &[&str] = &[
    "overview",
    "identity-matrix",
    "configuration",
    "details",
    "checklist",
];

fn link(rng: &mut Rng, from: usize, n: usize, out: &mut String) {
    let to = rng.below(n as u64) as usize;
    let from_dir = format!("part-{:02}", from / 100 + 1);
    let to_path = chapter_path(to);
    let rel = if to_path.starts_with(&from_dir) {
        to_path[from_dir.len() + 1..].to_string()
    } else {
        format!("../{to_path}")
    };
    if rng.below(10) < 4 {
        let a = ANCHORS[rng.below(ANCHORS.len() as u64) as usize];
        let _ = write!(out, "[chapter {to} ({a})]({rel}#{a})");
    } else {
        let _ = write!(out, "[chapter {to}]({rel})");
    }
}

pub(super) fn chapter(i: usize, n: usize) -> String {
    let mut rng = Rng(i as u64 * 7919 + 17);
    let mut s = String::with_capacity(9000);
    let _ = writeln!(s, "# Chapter {i}: {} {}\n", word(&mut rng), word(&mut rng));
    paragraph(&mut rng, &mut s);
    s.push_str("## Overview\n\n");
    paragraph(&mut rng, &mut s);
    s.push_str("See ");
    let links = 3 + rng.below(4);
    for k in 0..links {
        if k > 0 {
            s.push_str(", ");
        }
        link(&mut rng, i, n, &mut s);
    }
    s.push_str(".\n\n");
    paragraph(&mut rng, &mut s);
    s.push_str("## Identity matrix\n\n| Identity | Kind | Used by | Role | Scope |\n|---|---|---|---|---|\n");
    for r in 0..6 {
        let _ = writeln!(s, "| {} identity {r} | user-assigned | {} | `AcrPull` | /subscriptions/{}/resourceGroups/rg-{} |", word(&mut rng), word(&mut rng), 1000 + i, word(&mut rng));
    }
    s.push('\n');
    paragraph(&mut rng, &mut s);
    s.push_str("## Configuration\n\n");
    paragraph(&mut rng, &mut s);
    let _ = writeln!(s, "```bash\naz aks update -g rg-{i} -n aks-{i} --attach-acr acr{i} # kubelet identity gets AcrPull\naz role assignment create --assignee-object-id \"$PRINCIPAL_ID\" --assignee-principal-type ServicePrincipal --role AcrPull --scope \"$ACR_ID\"\n```\n");
    let _ = writeln!(s, "```json\n{{\n  \"type\": \"Microsoft.ContainerService/managedClusters\",\n  \"name\": \"aks-{i}\",\n  \"identity\": {{ \"type\": \"UserAssigned\" }},\n  \"properties\": {{ \"enableRBAC\": true, \"count\": {i} }}\n}}\n```\n");
    let _ = writeln!(s, "```yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: workload-{i}\n  annotations:\n    azure.workload.identity/client-id: \"00000000-0000-0000-0000-{i:012}\"\n```\n");
    paragraph(&mut rng, &mut s);
    s.push_str("### Details\n\n");
    paragraph(&mut rng, &mut s);
    s.push_str("> **Note**\n> ");
    sentence(&mut rng, &mut s);
    s.push_str("\n\n| Setting | Default | Notes |\n|---|---|---|\n");
    for _ in 0..4 {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            word(&mut rng),
            rng.below(100),
            word(&mut rng)
        );
    }
    s.push('\n');
    paragraph(&mut rng, &mut s);
    s.push_str("### Checklist\n\n");
    for k in 0..5 {
        let _ = writeln!(
            s,
            "- [{}] {} {} {}",
            if k % 2 == 0 { "x" } else { " " },
            word(&mut rng),
            word(&mut rng),
            word(&mut rng)
        );
    }
    s.push('\n');
    paragraph(&mut rng, &mut s);
    paragraph(&mut rng, &mut s);
    s
}

/// Writes an mdBook book of `n` chapters into `dir`; returns the bytes of Markdown written.
pub(super) fn write_book(dir: &Path, n: usize) -> std::io::Result<u64> {
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("book.toml"),
        format!(
            "[book]\ntitle = \"Synthetic book ({n} chapters)\"\nauthors = [\"site-bench\"]\nlanguage = \"en\"\nsrc = \"src\"\n\n[output.html]\nsite-url = \"https://example.org/book/\"\nedit-url-template = \"https://example.org/repo/edit/main/{{path}}\"\n\n[output.html.search]\nenable = true\n\n[output.html.print]\nenable = true\n"
        ),
    )?;
    let mut total = 0u64;
    let mut summary = String::from("# Summary\n\n[Preface](preface.md)\n\n");
    let write = |rel: &str, text: &str, total: &mut u64| -> std::io::Result<()> {
        let p = dir.join("src").join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        *total += text.len() as u64;
        std::fs::write(p, text)
    };
    write(
        "preface.md",
        "# Preface\n\nA generated book for benchmarks.\n",
        &mut total,
    )?;
    const DEPTH: [usize; 10] = [0, 1, 2, 2, 1, 2, 2, 1, 1, 2];
    for i in 0..n {
        if i % 100 == 0 {
            if i > 0 {
                summary.push_str("\n---\n");
            }
            let _ = writeln!(summary, "\n# Part {}\n", i / 100 + 1);
        }
        let depth = DEPTH[i % 10];
        let _ = writeln!(
            summary,
            "{}- [Chapter {i}]({})",
            "    ".repeat(depth),
            chapter_path(i)
        );
        if i == n / 3 || i == 2 * n / 3 {
            let _ = writeln!(summary, "{}- [Draft after {i}]()", "    ".repeat(depth));
        }
        write(&chapter_path(i), &chapter(i, n), &mut total)?;
    }
    summary.push_str("\n[Appendix](appendix.md)\n");
    write("appendix.md", "# Appendix\n\nThe end.\n", &mut total)?;
    total += summary.len() as u64;
    std::fs::write(dir.join("src/SUMMARY.md"), summary)?;
    Ok(total)
}

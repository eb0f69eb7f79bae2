//! The search index, built at build time and loaded by the browser on demand:
//!
//! - `search/words.js`: the tokenizer's stop words and suffix rules for search.js;
//! - `search/meta.js`: document count, chunk size and the list of term shards;
//! - `search/t-<key>.js`: one shard per two-character term prefix, mapping each
//!   term to its postings: comma-separated `<doc id delta in base 36>[<weight A–Z = 2–27>]`;
//! - `search/d-<n>.js`: documents `[url, title, breadcrumb, text]` in chunks of
//!   `CHUNK`, fetched only for the results shown.
//!
//! Files are `.js` calling `pbSearch.*` so they load with `<script>` from `file://` too.
//! A query loads one shard per word and one chunk per shown result.

use std::collections::HashMap;

use rayon::prelude::*;

pub const CHUNK: usize = 32;

/// FxHash (rustc's hasher): term maps are hashed once per word occurrence, and
/// SipHash dominated tokenising. Only the maps' iteration order depends on the
/// hash, and every output is sorted, so the files do not.
#[derive(Default, Clone, Copy)]
struct FxBuild;

struct Fx(u64);

impl std::hash::BuildHasher for FxBuild {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut c = bytes.chunks_exact(8);
        for w in &mut c {
            self.add(u64::from_le_bytes(w.try_into().expect("chunks_exact(8)")));
        }
        let r = c.remainder();
        if !r.is_empty() {
            let mut b = [0u8; 8];
            b[..r.len()].copy_from_slice(r);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, FxBuild>;
/// Characters of a section's text kept for snippets.
const TEXT_CAP: usize = 360;

pub struct Doc {
    /// From the site root, with `#anchor`.
    pub url: String,
    pub title: String,
    pub crumb: String,
    pub body: String,
    pub code: String,
}

const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with", "you", "your", "can", "do", "does", "from", "has",
    "have", "its", "so", "than", "we", "which", "when", "what",
];

/// Terms of a text: lower-case alphanumeric runs of 2–40 characters, stop words
/// dropped, plural `s` removed. The browser's search.js does the same to queries.
pub fn terms(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    let mut flush = |buf: &mut String| {
        let n = buf.chars().count();
        // Every stop word has at most 5 bytes.
        if (2..=40).contains(&n) && !(buf.len() <= 5 && STOP.contains(&buf.as_str())) {
            f(stem(buf));
        }
        buf.clear();
    };
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                buf.push(c.to_ascii_lowercase());
            } else if !buf.is_empty() {
                flush(&mut buf);
            }
        } else if c.is_alphanumeric() {
            buf.extend(c.to_lowercase());
        } else if !buf.is_empty() {
            flush(&mut buf);
        }
    }
    if !buf.is_empty() {
        flush(&mut buf);
    }
}

/// Light stemming, in order, first match wins: (suffix removed, the word must be
/// longer than this many bytes, endings that keep the word). `identities` →
/// `identit` matches `identity` by prefix.
const SUFFIXES: &[(&str, usize, &[&str])] = &[
    ("ies", 4, &[]),
    ("y", 4, &[]),
    ("s", 3, &["ss", "us", "is"]),
];

fn stem(w: &str) -> &str {
    for (suffix, longer, keep) in SUFFIXES {
        if w.len() > *longer && w.ends_with(suffix) {
            if keep.iter().any(|k| w.ends_with(k)) {
                return w;
            }
            return &w[..w.len() - suffix.len()];
        }
    }
    w
}

/// `search/words.js`: the stop words and suffix rules above, which the
/// browser's search.js tokenizes queries with (so only this list exists).
pub fn words_js() -> String {
    let suffixes: Vec<_> = SUFFIXES
        .iter()
        .map(|(s, n, k)| serde_json::json!([s, n, k]))
        .collect();
    format!(
        "window.pbWords={};\n",
        serde_json::json!({ "stop": STOP, "suffixes": suffixes })
    )
}

/// Shard key of a term: its first two characters, non-ASCII ones as `_<hex>`.
pub fn shard_key(term: &str) -> String {
    let mut k = String::new();
    for c in term.chars().take(2) {
        if c.is_ascii_alphanumeric() {
            k.push(c);
        } else {
            k.push_str(&format!("_{:x}", c as u32));
        }
    }
    k
}

fn base36(mut n: usize, out: &mut String) {
    const D: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = D[n % 36];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).expect("base-36 digits are ASCII"));
}

fn js_string(s: &str) -> String {
    // JSON is valid JS; escape `</` so a script tag cannot be closed early.
    serde_json::to_string(s)
        .expect("a string always serialises")
        .replace("</", "<\\/")
}

fn snippet_text(body: &str) -> String {
    let mut s = String::with_capacity(body.len().min(TEXT_CAP + 8));
    let mut space = false;
    for c in body.chars() {
        if c.is_whitespace() {
            space = !s.is_empty();
            continue;
        }
        if space {
            s.push(' ');
            space = false;
        }
        s.push(c);
        if s.len() >= TEXT_CAP {
            s.push('…');
            break;
        }
    }
    s
}

/// A document's terms with weights: occurrences (capped) plus a bonus for the title.
fn doc_terms(d: &Doc) -> Vec<(String, u8)> {
    // Looked up by `&str`: a term's String is allocated once per document, not per occurrence.
    let mut tf: FastMap<String, (u32, bool)> = FastMap::default();
    terms(&d.title, |t| match tf.get_mut(t) {
        Some(e) => e.1 = true,
        None => {
            tf.insert(t.to_string(), (0, true));
        }
    });
    let mut count = |t: &str| match tf.get_mut(t) {
        Some(e) => e.0 += 1,
        None => {
            tf.insert(t.to_string(), (1, false));
        }
    };
    terms(&d.body, &mut count);
    terms(&d.code, &mut count);
    let mut v: Vec<(String, u8)> = tf
        .into_iter()
        .map(|(t, (n, title))| (t, (n.min(12) as u8 + if title { 15 } else { 0 }).max(1)))
        .collect();
    v.sort_unstable();
    v
}

/// Builds every search file: (path under the site root, contents).
pub fn build(docs: &[Doc]) -> Vec<(String, String)> {
    // Postings per term, in doc order. Documents are tokenised in parallel in
    // batches, so memory stays bounded by one batch's term lists.
    // One map, one hash per (document, term): the postings and the last doc id.
    let mut postings: FastMap<String, (usize, String)> = FastMap::default();
    const BATCH: usize = 4096;
    for (b, batch) in docs.chunks(BATCH).enumerate() {
        let per_doc: Vec<Vec<(String, u8)>> = batch.par_iter().map(doc_terms).collect();
        for (k, terms) in per_doc.into_iter().enumerate() {
            let id = b * BATCH + k;
            for (t, w) in terms {
                let (last, p) = postings.entry(t).or_insert((usize::MAX, String::new()));
                let delta = if *last == usize::MAX {
                    id
                } else {
                    p.push(',');
                    id - *last
                };
                *last = id;
                base36(delta, p);
                if w > 1 {
                    // Weights 2..=27 as `A`..`Z`; weight 1 (the common case) is left out.
                    p.push((b'A' + (w.min(27) - 2)) as char);
                }
            }
        }
    }
    let mut by_shard: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (t, (_, p)) in postings {
        by_shard.entry(shard_key(&t)).or_default().push((t, p));
    }
    let mut shards: Vec<(String, Vec<(String, String)>)> = by_shard.into_iter().collect();
    shards.sort_by(|a, b| a.0.cmp(&b.0));

    let mut files: Vec<(String, String)> = shards
        .par_iter_mut()
        .map(|(key, entries)| {
            entries.sort();
            let mut s = format!("pbSearch.shard({},{{", js_string(key));
            for (i, (t, p)) in entries.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(&js_string(t));
                s.push(':');
                s.push('"');
                s.push_str(p);
                s.push('"');
            }
            s.push_str("});\n");
            (format!("search/t-{key}.js"), s)
        })
        .collect();

    let chunks: Vec<(String, String)> = docs
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(n, chunk)| {
            let mut s = format!("pbSearch.docs({n},[");
            for (i, d) in chunk.iter().enumerate() {
                if i > 0 {
                    s.push_str(",\n");
                }
                s.push('[');
                s.push_str(&js_string(&d.url));
                s.push(',');
                s.push_str(&js_string(&d.title));
                s.push(',');
                s.push_str(&js_string(&d.crumb));
                s.push(',');
                s.push_str(&js_string(&snippet_text(&d.body)));
                s.push(']');
            }
            s.push_str("]);\n");
            (format!("search/d-{n}.js"), s)
        })
        .collect();
    files.extend(chunks);

    let keys: Vec<&str> = shards.iter().map(|(k, _)| k.as_str()).collect();
    let meta = format!(
        "pbSearch.meta({{\"docs\":{},\"chunk\":{CHUNK},\"shards\":{}}});\n",
        docs.len(),
        serde_json::to_string(&keys).expect("strings always serialise")
    );
    files.push(("search/meta.js".into(), meta));
    files.push(("search/words.js".into(), words_js()));
    files
}

#[cfg(test)]
mod tests {
    /// search.js, fed the generated search/words.js, tokenizes text exactly as
    /// `terms` does (node runs it; CI fails without node, elsewhere it skips).
    #[test]
    fn browser_tokenizer_matches_rust() {
        let sample = "The identities of Policies and classes: status, analysis, Kubernetes \
            namespaces — YOUR keys!  Größe cafés naïve x 1234 ss abc-def_ghi \
            dies ties cities boys play identity registry bus axis a1b2c3s";
        let mut want: Vec<String> = Vec::new();
        terms(sample, |t| {
            if !want.iter().any(|w| w == t) {
                want.push(t.to_string());
            }
        });
        let script = format!(
            "var window = globalThis; var document = {{ documentElement: {{ getAttribute: function () {{ return null; }} }}, getElementById: function () {{ return null; }} }};\n{}\n{}\nprocess.stdout.write(JSON.stringify(window.pbTerms({})));\n",
            words_js(),
            include_str!("../../themes/default/assets/search.js"),
            serde_json::to_string(sample).unwrap()
        );
        let out = match std::process::Command::new("node")
            .arg("-e")
            .arg(&script)
            .output()
        {
            Ok(o) => o,
            Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("skipped: no node ({e})");
                return;
            }
            Err(e) => panic!("CI=true but node did not run: {e}"),
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got, want);
        assert!(want.contains(&"identit".to_string()) && !want.contains(&"the".to_string()));
    }

    use super::*;

    #[test]
    fn terms_and_keys() {
        let mut v = Vec::new();
        terms(
            "The kubelet identities: AcrPull, a `--attach-acr` flag.",
            |t| v.push(t.to_string()),
        );
        assert_eq!(
            v,
            ["kubelet", "identit", "acrpull", "attach", "acr", "flag"]
        );
        assert_eq!(shard_key("kubelet"), "ku");
        assert_eq!(shard_key("éa"), "_e9a");
    }

    #[test]
    fn postings_are_delta_coded() {
        let docs: Vec<Doc> = ["kubelet kubelet", "other", "kubelet"]
            .iter()
            .enumerate()
            .map(|(i, b)| Doc {
                url: format!("p{i}.html"),
                title: format!("T{i}"),
                crumb: String::new(),
                body: b.to_string(),
                code: String::new(),
            })
            .collect();
        let files = build(&docs);
        let ku = files.iter().find(|(p, _)| p == "search/t-ku.js").unwrap();
        assert_eq!(ku.1, "pbSearch.shard(\"ku\",{\"kubelet\":\"0A,2\"});\n");
        let meta = files.iter().find(|(p, _)| p == "search/meta.js").unwrap();
        assert_eq!(meta.1, "pbSearch.meta({\"docs\":3,\"chunk\":32,\"shards\":[\"ku\",\"ot\",\"t0\",\"t1\",\"t2\"]});\n");
    }
}

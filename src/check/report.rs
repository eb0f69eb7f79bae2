//! `check --format sarif` (SARIF 2.1.0, read by GitHub code scanning and Azure
//! DevOps) and `--format github` (workflow annotations): each finding placed
//! at the line and column where its resource starts in the input file.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::position::{positions, Pos};
use super::result::CheckResult;
use crate::model::{Bundle, Rule, Severity};

/// SARIF level of an effect: Azure `Deny`/`DenyAction` and Gatekeeper `deny`
/// block, so they are errors; `Audit`, `AuditIfNotExists`, Gatekeeper `warn`
/// and `dryrun` (audit only) are warnings; anything else (`Modify`, …) a note.
pub fn level(effect: &str) -> &'static str {
    match effect.to_ascii_lowercase().as_str() {
        "deny" | "denyaction" => "error",
        "audit" | "auditifnotexists" | "warn" | "dryrun" => "warning",
        _ => "note",
    }
}

/// Where one checked resource is: its input file (as given) and its place.
struct Place {
    file: String,
    pos: Option<Pos>,
}

/// The place of every resource of `result`, in order. Sources are `file` or
/// `file#index`; the index counts objects in the order `position` lists them.
fn places(result: &CheckResult, files: &[PathBuf]) -> Vec<Place> {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut cache: HashMap<usize, Option<Vec<Pos>>> = HashMap::new();
    result
        .resources
        .iter()
        .map(|r| {
            // A file without findings is never read again.
            if r.findings.is_empty() {
                return Place {
                    file: r.source.clone(),
                    pos: None,
                };
            }
            let found = names.iter().enumerate().find_map(|(i, n)| {
                if r.source == *n {
                    return Some((i, 0));
                }
                let rest = r.source.strip_prefix(n.as_str())?.strip_prefix('#')?;
                Some((i, rest.parse::<usize>().ok()?))
            });
            match found {
                Some((i, index)) => {
                    let all = cache.entry(i).or_insert_with(|| positions(&files[i]));
                    Place {
                        file: names[i].clone(),
                        pos: all.as_ref().and_then(|p| p.get(index).copied()),
                    }
                }
                None => Place {
                    file: r.source.clone(),
                    pos: None,
                },
            }
        })
        .collect()
}

/// A relative path as a URI reference (`/`-separated, reserved bytes
/// percent-encoded); an absolute one as a `file://` URI.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    let out = out.strip_prefix("./").map(String::from).unwrap_or(out);
    if path.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

fn security_severity(s: Severity) -> &'static str {
    // GitHub's bands: low < 4.0 ≤ medium < 7.0 ≤ high < 9.0 ≤ critical.
    match s {
        Severity::Low => "3.0",
        Severity::Medium => "5.5",
        Severity::High => "8.0",
        Severity::Critical => "9.5",
    }
}

/// The handbook page of a rule, when `site-url` is set in book.toml.
fn help_uri(bundle: &Bundle, rule: &Rule) -> Option<String> {
    let base = bundle.config.html_option("site-url")?;
    let sep = if base.ends_with('/') { "" } else { "/" };
    Some(format!("{base}{sep}policies/{}.html", rule.name))
}

fn message(f: &super::Finding, kind: &str, name: &str) -> String {
    let mut m = format!("{} ({}): {}", f.control_id, f.effect, f.title);
    m.push_str(" — ");
    m.push_str(format!("{kind} {name}").trim());
    for msg in &f.messages {
        m.push_str(&format!("\n{msg}"));
    }
    m
}

/// The SARIF 2.1.0 log of a check: every rule of the bundle as a reporting
/// descriptor, one result per finding.
pub fn sarif(result: &CheckResult, bundle: &Bundle, files: &[PathBuf]) -> String {
    let rules: Vec<Value> = bundle
        .rules
        .iter()
        .map(|r| {
            let mut d = json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.summary},
                "help": {"text": format!("{}\n\n{}", r.checklist, r.remediation.trim_end()),
                         "markdown": format!("{}\n\n{}", r.checklist, r.remediation.trim_end())},
                "properties": {
                    "tags": ["security", r.area],
                    "precision": "very-high",
                    "security-severity": security_severity(r.severity),
                },
            });
            if let Some(u) = help_uri(bundle, r) {
                d["helpUri"] = json!(u);
            }
            d
        })
        .collect();
    let index: HashMap<&str, usize> = bundle
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut results = Vec::new();
    for (r, place) in result.resources.iter().zip(places(result, files)) {
        for f in &r.findings {
            let uri = uri(&place.file);
            let mut physical = json!({"artifactLocation": {"uri": uri}});
            if let Some((line, col)) = place.pos {
                physical["region"] = json!({"startLine": line, "startColumn": col});
            }
            // Stable across runs and line moves: rule, file, resource, and which
            // of several identical ones it is.
            let key = format!("{}\0{uri}\0{}\0{}", f.control_id, r.kind, r.name);
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            let fp =
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("{key}\0{n}").as_bytes());
            let mut res = json!({
                "ruleId": f.control_id,
                "level": level(&f.effect),
                "message": {"text": message(f, &r.kind, &r.name)},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {"policybook/v1": fp.simple().to_string()},
                "properties": {"effect": f.effect, "resource": {"kind": r.kind, "name": r.name}},
            });
            if let Some(i) = index.get(f.control_id.as_str()) {
                res["ruleIndex"] = json!(i);
            }
            results.push(res);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "policybook",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("serialisable")
}

/// Escapes workflow-command data (`%`, CR, LF); properties also `:` and `,`.
fn escape(s: &str, property: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            _ => out.push(c),
        }
    }
    out
}

/// GitHub Actions workflow annotations, one line per finding, then the summary.
pub fn github(result: &CheckResult, files: &[PathBuf]) -> String {
    let mut s = String::new();
    for (r, place) in result.resources.iter().zip(places(result, files)) {
        for f in &r.findings {
            let cmd = match level(&f.effect) {
                "error" => "error",
                "warning" => "warning",
                _ => "notice",
            };
            let mut props = format!("file={}", escape(&place.file, true));
            if let Some((line, col)) = place.pos {
                props.push_str(&format!(",line={line},col={col}"));
            }
            let title = format!("{} {}", f.control_id, f.title);
            props.push_str(&format!(",title={}", escape(&title, true)));
            s.push_str(&format!(
                "::{cmd} {props}::{}\n",
                escape(&message(f, &r.kind, &r.name), false)
            ));
        }
    }
    let n = result.findings().count();
    let deny = result
        .findings()
        .filter(|f| level(&f.effect) == "error")
        .count();
    s.push_str(&format!(
        "{} resource(s) checked, {n} finding(s), {deny} deny\n",
        result.resources.len()
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_effects() {
        for (effect, want) in [
            ("Deny", "error"),
            ("denyAction", "error"),
            ("deny", "error"),
            ("Audit", "warning"),
            ("AuditIfNotExists", "warning"),
            ("warn", "warning"),
            ("dryrun", "warning"),
            ("Modify", "note"),
            ("DeployIfNotExists", "note"),
        ] {
            assert_eq!(level(effect), want, "{effect}");
        }
    }

    #[test]
    fn uris_and_annotation_escapes() {
        assert_eq!(uri("./infra/main.json"), "infra/main.json");
        assert_eq!(uri("k8s\\a b#1.yaml"), "k8s/a%20b%231.yaml");
        assert_eq!(uri("/tmp/x y.json"), "file:///tmp/x%20y.json");
        assert_eq!(escape("a:b,c%\r\nd", true), "a%3Ab%2Cc%25%0D%0Ad");
        assert_eq!(escape("a:b,c%\nd", false), "a:b,c%25%0Ad");
    }
}

//! Generated pages: the policy index (`policybook:policies`), one page per rule
//! nested under it, and the checklist (`policybook:checklist`). Text fields from
//! rule YAML are escaped; the rule's Markdown fields are rendered as Markdown.

use serde_json::Value;

use super::context::Origin;
use super::files::GeneratedFile;
use super::highlight::highlight;
use super::page::PageBuilder;
use super::util::escape;
use crate::model::{Bundle, Rule};
use crate::runner::{Outcome, Target, TestReport};

const PORTAL: &str = "https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2F";

pub(super) fn builtin_url(guid: &str) -> String {
    format!("{PORTAL}{guid}")
}

/// `Azure`, `Gatekeeper` or `Both`.
pub(super) fn target(rule: &Rule) -> &'static str {
    match (&rule.azure, &rule.kubernetes) {
        (Some(_), Some(_)) => "Both",
        (Some(_), None) => "Azure",
        (None, Some(_)) => "Gatekeeper",
        (None, None) => "—",
    }
}

pub(super) fn gatekeeper_only(rule: &Rule) -> bool {
    rule.kubernetes.as_ref().is_some_and(|k| k.uses_inventory())
}

fn default_effect(rule: &Rule) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &rule.azure {
        parts.push(a.default_effect().to_string());
    }
    if let Some(k) = &rule.kubernetes {
        parts.push(k.enforcement_action.clone());
    }
    parts.join(" / ")
}

pub(super) fn area_title<'a>(bundle: &'a Bundle, area: &'a str) -> &'a str {
    bundle
        .config
        .policybook
        .as_ref()
        .and_then(|p| p.areas.get(area))
        .map(|a| a.title.as_str())
        .unwrap_or(area)
}

/// Areas in the order their first rule appears (rules are sorted by id).
pub(super) fn areas_in_order(bundle: &Bundle) -> Vec<&str> {
    let mut v: Vec<&str> = Vec::new();
    for r in &bundle.rules {
        if !v.contains(&r.area.as_str()) {
            v.push(&r.area);
        }
    }
    v
}

pub(super) fn policy_href(name: &str) -> String {
    format!("policies/{name}.html")
}

pub(super) fn index_page(p: &mut PageBuilder, bundle: &Bundle, title: &str) {
    p.heading(1, title, &super::util::slug(title));
    let n = bundle.rules.len();
    let intro = format!("{n} control{} generated from the rules under policies/. Target: where the rule is enforced (Azure Policy, Gatekeeper, or both); default effect: the Azure effect and the Gatekeeper enforcement action.", if n == 1 { "" } else { "s" });
    p.raw(&format!("<p>{}</p>\n", escape(&intro)));
    p.text(&intro);
    p.raw("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table class=\"policy-index\">\n<thead><tr><th>ID</th><th>Title</th><th>Area</th><th>Target</th><th>Default effect</th><th>Severity</th><th>Equivalent built-in</th></tr></thead>\n<tbody>\n");
    for r in &bundle.rules {
        let (ha, hb) = p.page_href(&policy_href(&r.name), None);
        let row = |href: &str| {
            let builtin = match &r.builtin {
                Some(g) => format!(
                    "<a href=\"{}\"><code>{}</code></a>",
                    escape(&builtin_url(g)),
                    escape(g)
                ),
                None => "—".into(),
            };
            let only = if gatekeeper_only(r) {
                " <span class=\"badge warn\">Gatekeeper only</span>"
            } else {
                ""
            };
            format!(
                "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}{only}</td><td>{}</td><td><span class=\"badge sev-{sev}\">{sev}</span></td><td>{builtin}</td></tr>\n",
                escape(href),
                escape(&r.id),
                escape(&r.title),
                escape(area_title(bundle, &r.area)),
                target(r),
                escape(&default_effect(r)),
                sev = r.severity.as_str(),
            )
        };
        p.raw2(&row(&ha), &row(&hb));
        p.text(&format!("{} {} {} {}", r.id, r.title, r.summary, target(r)));
    }
    p.raw("</tbody></table></div>\n");
}

pub(super) fn checklist_page(p: &mut PageBuilder, bundle: &Bundle, title: &str) {
    p.heading(1, title, &super::util::slug(title));
    let intro = "Every rule's checklist line, grouped by area. Each line links to the policy that enforces it.";
    p.raw(&format!("<p>{intro}</p>\n"));
    p.text(intro);
    for area in areas_in_order(bundle) {
        let t = area_title(bundle, area).to_string();
        p.heading(2, &t, area);
        if let Some(desc) = bundle
            .config
            .policybook
            .as_ref()
            .and_then(|pb| pb.areas.get(area))
            .map(|a| a.description.clone())
        {
            if !desc.is_empty() {
                p.raw(&format!("<p>{}</p>\n", escape(&desc)));
                p.text(&desc);
            }
        }
        p.raw("<ul class=\"contains-task-list checklist\">\n");
        for r in bundle
            .rules
            .iter()
            .filter(|r| r.area == area && !r.checklist.trim().is_empty())
        {
            let (ha, hb) = p.page_href(&policy_href(&r.name), None);
            let item = |h: &str| {
                format!("<li class=\"task-list-item\"><input disabled=\"\" type=\"checkbox\" aria-label=\"{} {}\"/> <a href=\"{}\">{}</a> {}</li>\n", escape(&r.id), escape(&r.checklist), escape(h), escape(&r.id), escape(&r.checklist))
            };
            p.raw2(&item(&ha), &item(&hb));
            p.text(&format!("{} {}", r.id, r.checklist));
        }
        p.raw("</ul>\n");
    }
}

/// Where a rule's Markdown field starts, for link-check messages.
fn field_origin(rule: &Rule, field: &str) -> Origin {
    let line = rule
        .spans
        .value(field)
        .map(|(l, _)| l + 1)
        .unwrap_or_else(|| rule.locate(field).line);
    Origin::new(&rule.location.file, line)
}

fn code_block(lang: &str, code: &str) -> String {
    format!(
        "<pre tabindex=\"0\"><code class=\"language-{lang}\">{}</code></pre>\n",
        highlight(lang, code)
    )
}

fn json_cell(v: Option<&Value>) -> String {
    match v {
        None => "—".into(),
        Some(Value::String(s)) => format!("<code>{}</code>", escape(s)),
        Some(v) => format!(
            "<code>{}</code>",
            escape(&serde_json::to_string(v).unwrap_or_default())
        ),
    }
}

pub(super) fn policy_page(
    p: &mut PageBuilder,
    bundle: &Bundle,
    rule: &Rule,
    report: &TestReport,
    files: &[GeneratedFile],
) {
    let h1 = format!("{}: {}", rule.id, rule.title);
    p.heading(1, &h1, &super::util::slug(&rule.id));
    p.text(&rule.name);
    let sev = rule.severity.as_str();
    p.raw(&format!(
        "<p class=\"policy-meta\"><span class=\"badge sev-{sev}\">{sev}</span> <span class=\"badge\">{}</span> <span class=\"badge\">{}</span> <span class=\"badge\">v{}</span> <code>{}</code></p>\n",
        escape(area_title(bundle, &rule.area)),
        target(rule),
        escape(&rule.version),
        escape(&rule.name)
    ));
    if gatekeeper_only(rule) {
        p.raw("<div class=\"callout warning gatekeeper-only\"><strong>Gatekeeper only</strong> — the Azure Policy add-on refuses templates that read <code>data.inventory</code>, so this rule ships for Gatekeeper only.</div>\n");
        p.text(
            "Gatekeeper only — the Azure Policy add-on refuses templates that read data.inventory",
        );
    }
    p.raw(&format!(
        "<p class=\"summary\">{}</p>\n",
        escape(&rule.summary)
    ));
    p.text(&rule.summary);
    if !rule.description.trim().is_empty() {
        p.markdown(&rule.description, &field_origin(rule, "description"));
    }
    if !rule.rationale.trim().is_empty() {
        p.heading(2, "Rationale", "rationale");
        p.markdown(&rule.rationale, &field_origin(rule, "rationale"));
    }

    p.heading(2, "What is checked", "what-is-checked");
    if let Some(a) = &rule.azure {
        p.heading(3, "Azure Policy", "azure-policy");
        let effects: Vec<String> = a
            .effects
            .iter()
            .enumerate()
            .map(|(i, e)| {
                if i == 0 {
                    format!("<code>{}</code> (default)", escape(e))
                } else {
                    format!("<code>{}</code>", escape(e))
                }
            })
            .collect();
        p.raw(&format!("<p>Mode <code>{}</code>; effects {}. The definition fires when this condition holds:</p>\n", escape(&a.mode), effects.join(", ")));
        let json = serde_json::to_string_pretty(&a.condition).unwrap_or_default();
        p.code_text(&json);
        p.raw(&code_block("json", &json));
    }
    if let Some(k) = &rule.kubernetes {
        p.heading(3, "Gatekeeper", "gatekeeper");
        p.raw(&format!(
            "<p>ConstraintTemplate kind <code>{}</code>; enforcement action <code>{}</code>. The constraint matches:</p>\n",
            escape(&k.kind),
            escape(&k.enforcement_action)
        ));
        let m = serde_yaml::to_string(&k.match_).unwrap_or_default();
        p.raw(&code_block("yaml", &m));
        p.raw("<p>The Rego the template runs (also what this build's tests ran):</p>\n");
        p.code_text(&k.rego);
        p.raw(&code_block("rego", &k.rego));
        for (i, lib) in k.libs.iter().enumerate() {
            p.raw(&format!("<p>Library module {}:</p>\n", i + 1));
            p.code_text(lib);
            p.raw(&code_block("rego", lib));
        }
    }

    p.heading(2, "Parameters", "parameters");
    let mut rows = String::new();
    if let Some(a) = &rule.azure {
        let allowed = a
            .effects
            .iter()
            .map(|e| escape(e))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push_str(&format!(
            "<tr><td><code>effect</code></td><td>Azure</td><td>String</td><td><code>{}</code></td><td>Allowed: {allowed}</td></tr>\n",
            escape(a.default_effect())
        ));
        for (name, def) in &a.parameters {
            let desc = def
                .pointer("/metadata/description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut d = escape(desc);
            if let Some(Value::Array(vals)) = def.get("allowedValues") {
                let vals: Vec<String> = vals.iter().map(|v| escape(&v.to_string())).collect();
                d.push_str(&format!(" Allowed: {}", vals.join(", ")));
            }
            rows.push_str(&format!(
                "<tr><td><code>{}</code></td><td>Azure</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(name),
                escape(def.get("type").and_then(Value::as_str).unwrap_or("")),
                json_cell(def.get("defaultValue")),
                d.trim()
            ));
        }
    }
    if let Some(k) = &rule.kubernetes {
        for (name, schema) in &k.parameters {
            rows.push_str(&format!(
                "<tr><td><code>{}</code></td><td>Gatekeeper</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(name),
                escape(schema.get("type").and_then(Value::as_str).unwrap_or("")),
                json_cell(schema.get("default")),
                escape(schema.get("description").and_then(Value::as_str).unwrap_or(""))
            ));
        }
    }
    if rows.is_empty() {
        p.raw("<p>This rule has no parameters.</p>\n");
    } else {
        p.raw("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table class=\"parameters\">\n<thead><tr><th>Name</th><th>For</th><th>Type</th><th>Default</th><th>Description</th></tr></thead>\n<tbody>\n");
        p.raw(&rows);
        p.raw("</tbody></table></div>\n");
    }

    if !rule.remediation.trim().is_empty() {
        p.heading(2, "Remediation", "remediation");
        p.markdown(&rule.remediation, &field_origin(rule, "remediation"));
    }

    p.heading(2, "Tests", "tests");
    let cases: Vec<_> = report.for_rule(&rule.id).collect();
    if cases.is_empty() {
        p.raw("<p>No test case ran for this rule in this build.</p>\n");
    } else {
        let passed = cases.iter().filter(|c| c.outcome == Outcome::Pass).count();
        p.raw(&format!("<p class=\"test-summary\">{passed} of {} case(s) passed in this build's own test run.</p>\n", cases.len()));
        p.raw("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table class=\"tests\">\n<thead><tr><th>Case</th><th>Target</th><th>Expected</th><th>Got</th><th>Verdict</th></tr></thead>\n<tbody>\n");
        for c in &cases {
            let (verdict, class) = match c.outcome {
                Outcome::Pass => ("pass", "pass"),
                Outcome::Fail => ("FAIL", "fail"),
                Outcome::Error => ("ERROR", "fail"),
                Outcome::Skip => ("skipped", "skip"),
            };
            let t = match c.target {
                Target::Azure => "Azure",
                Target::Kubernetes => "Gatekeeper",
            };
            let mut got = escape(&c.got);
            if c.outcome != Outcome::Pass && !c.messages.is_empty() {
                got.push_str("<br><small>");
                got.push_str(
                    &c.messages
                        .iter()
                        .map(|m| escape(m))
                        .collect::<Vec<_>>()
                        .join("<br>"),
                );
                got.push_str("</small>");
            }
            p.raw(&format!(
                "<tr class=\"verdict-{class}\"><td>{}</td><td>{t}</td><td><code>{}</code></td><td><code>{got}</code></td><td class=\"verdict\">{verdict}</td></tr>\n",
                escape(&c.case),
                escape(&c.expected)
            ));
            p.text(&c.case);
        }
        p.raw("</tbody></table></div>\n");
    }

    if let Some(c) = report.coverage.as_ref().and_then(|c| c.for_rule(&rule.id)) {
        coverage_section(p, c);
    }

    if !files.is_empty() {
        p.heading(2, "Generated files", "generated-files");
        p.raw("<ul class=\"generated-files\">\n");
        for f in files {
            let (ha, hb) = p.file_href(&f.site_path);
            let li = |h: &str| {
                format!(
                    "<li><a href=\"{}\">{}</a> — <code>{}</code></li>\n",
                    escape(h),
                    escape(f.label),
                    escape(&f.dist_path)
                )
            };
            p.raw2(&li(&ha), &li(&hb));
        }
        p.raw("</ul>\n");
    }
    if let Some(g) = &rule.builtin {
        p.heading(2, "Equivalent built-in", "equivalent-built-in");
        p.raw(&format!(
            "<p>Azure ships a built-in definition with the same intent: <a href=\"{}\"><code>{}</code></a>.</p>\n",
            escape(&builtin_url(g)),
            escape(g)
        ));
        // The runner's comparison on this rule's cases (when builtins/ is vendored).
        if let Some(b) = report.builtins.iter().find(|b| b.rule_id == rule.id) {
            p.raw(&format!(
                "<p class=\"builtin-comparison\">On this rule's test cases, policybook {}.</p>\n",
                escape(&b.sentence())
            ));
        }
    }
}

/// What this build's cases leave uncovered (measured by the runner, see
/// `runner::coverage`): a line of totals and the gaps, if any.
fn coverage_section(p: &mut PageBuilder, c: &crate::runner::coverage::RuleCoverage) {
    p.heading(3, "Test coverage", "test-coverage");
    let total = c.items - c.excepted;
    let ex = if c.excepted > 0 {
        format!(
            "; {} item(s) declared not coverable in the rule file",
            c.excepted
        )
    } else {
        String::new()
    };
    let line = format!(
        "{:.1}% ({} of {total}) of the Azure condition leaves (each seen true and false), branches (each decisive once) and Rego lines{ex}.",
        c.percent, c.covered
    );
    p.raw(&format!(
        "<p class=\"coverage-summary\">{}</p>\n",
        escape(&line)
    ));
    p.text(&line);
    let gaps = c.gaps();
    if !gaps.is_empty() {
        p.raw("<ul class=\"coverage-gaps\">\n");
        for g in &gaps {
            p.raw(&format!("<li><code>{}</code></li>\n", escape(g)));
        }
        p.raw("</ul>\n");
    }
}

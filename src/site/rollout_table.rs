//! `{{#rollout}}`: the rollout the build itself writes, as tables — each
//! environment's scope and stage, then per control its stage, Azure effect and
//! Gatekeeper action in the default build and in every environment. The deploy
//! chapter states its defaults through this directive, so prose and artifacts agree.

use super::directives::Host;
use super::util::escape;
use crate::diagnostics::Location;
use crate::model::{Rule, Stage};

/// The Azure default effect of `rule` at `stage`, or `—` when no Azure definition
/// is generated (Gatekeeper-only rules).
fn azure_effect(rule: &Rule, stage: Stage) -> String {
    let want = stage.azure_effect();
    if let Some(a) = &rule.azure {
        return if a.effects.iter().any(|e| e == want) {
            want.to_string()
        } else {
            a.effects.first().cloned().unwrap_or_default()
        };
    }
    match &rule.kubernetes {
        Some(k) if !k.uses_inventory() => want.to_string(),
        _ => "—".to_string(),
    }
}

fn gatekeeper_action(rule: &Rule, stage: Stage) -> &'static str {
    if rule.kubernetes.is_some() {
        stage.enforcement_action()
    } else {
        "—"
    }
}

pub(super) fn rollout<'e, H: Host<'e>>(p: &mut H, args: &str, loc: Location) -> (String, String) {
    let env = p.env();
    let bundle = env.bundle;
    if bundle.config.policybook.is_none() || !args.trim().is_empty() {
        p.diags().error(
            loc,
            "`{{#rollout}}` takes no arguments and needs a policybook project",
            "write `{{#rollout}}` alone on its line, in a book with a [policybook] table",
        );
        return Default::default();
    }
    let r = &bundle.rollout;
    let mut out = String::new();
    out.push_str(&format!(
        "<p>Default stage (<code>[policybook] rollout</code>): <strong>{}</strong>. Stages map to: audit → Azure <code>Audit</code>, Gatekeeper <code>dryrun</code>; warn → Azure <code>Audit</code>, Gatekeeper <code>warn</code>; enforce → Azure <code>Deny</code>, Gatekeeper <code>deny</code>.</p>\n",
        r.default
    ));
    p.text_only(&format!("Default stage: {}", r.default));
    if r.environments.is_empty() {
        out.push_str("<p>No environment is configured: add <code>[policybook.environments.&lt;name&gt;]</code> tables to book.toml.</p>\n");
    } else {
        out.push_str("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table class=\"rollout-environments\">\n<caption>Environments</caption>\n<thead><tr><th scope=\"col\">Environment</th><th scope=\"col\">Scope</th><th scope=\"col\">Stage</th><th scope=\"col\">Overrides</th><th scope=\"col\">Exemptions</th></tr></thead>\n<tbody>\n");
        for e in &r.environments {
            let overrides: Vec<String> = e
                .overrides
                .iter()
                .map(|(id, s)| format!("{} → {}", escape(id), s))
                .collect();
            let mut scope = format!("<code>{}</code>", escape(&e.scope));
            for n in &e.not_scopes {
                scope.push_str(&format!("<br>not <code>{}</code>", escape(n)));
            }
            let exemptions: Vec<String> = r
                .exemptions_of(&e.name)
                .map(|x| {
                    format!(
                        "{} ({}, until {})",
                        escape(&x.name),
                        escape(&x.controls.join(", ")),
                        escape(&x.expires)
                    )
                })
                .collect();
            out.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&e.name),
                scope,
                e.stage,
                if overrides.is_empty() {
                    "—".to_string()
                } else {
                    overrides.join("<br>")
                },
                if exemptions.is_empty() {
                    "—".to_string()
                } else {
                    exemptions.join("<br>")
                },
            ));
            p.text_only(&format!("{} {} {}", e.name, e.scope, e.stage));
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    let mut columns = vec![("default build".to_string(), None)];
    for e in &r.environments {
        columns.push((e.name.clone(), Some(e)));
    }
    out.push_str("<div class=\"table-wrapper\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table class=\"rollout-controls\">\n<caption>Stage, Azure default effect and Gatekeeper action of each control</caption>\n<thead><tr><th scope=\"col\">Control</th>");
    for (name, _) in &columns {
        out.push_str(&format!("<th scope=\"col\">{}</th>", escape(name)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for rule in &bundle.rules {
        out.push_str(&format!("<tr><th scope=\"row\">{}</th>", escape(&rule.id)));
        for (_, e) in &columns {
            let stage = match e {
                Some(e) => e.stage_of(rule),
                None => r.stage_of(rule),
            };
            out.push_str(&format!(
                "<td>{} · {} · {}</td>",
                stage,
                azure_effect(rule, stage),
                gatekeeper_action(rule, stage)
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n<p>Each cell: stage · Azure default effect · Gatekeeper <code>enforcementAction</code> (— where the control has no such output).</p>\n");
    (out.clone(), out)
}

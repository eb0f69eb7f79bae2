//! The repository's own handbook: it builds, every control appears on its policy
//! page and in at least one chapter, every comparison table renders from its data
//! file, every page is reachable, and the misconceptions page covers DESIGN.md's list.

use crate::common;

use std::path::Path;

use common::{copy_project, policybook, repo_root};

fn content_pages() -> Vec<(String, String)> {
    let root = repo_root().join("content");
    let mut pages: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            let rel = e.path().strip_prefix(&root).unwrap().display().to_string();
            (rel, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    pages.sort();
    pages
}

fn built_site() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = copy_project(&["book.toml", "policies", "content", "themes"]);
    let run = policybook(tmp.path(), &["build"]);
    assert_eq!(
        run.code, 0,
        "the handbook builds (link check included):\n{}",
        run.stderr
    );
    let site = tmp.path().join("dist/site");
    (tmp, site)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_control_has_a_policy_page_and_a_chapter_that_links_to_it() {
    let (_tmp, site) = built_site();
    let (bundle, _) = policybook::build::load_and_validate(&repo_root());
    assert_eq!(bundle.rules.len(), 23);
    let pages = content_pages();
    for rule in &bundle.rules {
        let page = read(&site.join(format!("policies/{}.html", rule.name)));
        assert!(
            page.contains(&rule.id),
            "{}: policy page names the control",
            rule.id
        );
        let link = format!("policies/{}.md", rule.name);
        let chapters: Vec<&str> = pages
            .iter()
            .filter(|(p, text)| {
                p.as_str() != "SUMMARY.md" && text.contains(&rule.id) && text.contains(&link)
            })
            .map(|(p, _)| p.as_str())
            .collect();
        assert!(
            !chapters.is_empty(),
            "{}: some chapter names it and links to {link}",
            rule.id
        );
    }
    let index = read(&site.join("policies/index.html"));
    for rule in &bundle.rules {
        assert!(
            index.contains(&format!("{}.html", rule.name)),
            "the policy index links {}",
            rule.id
        );
    }
}

#[test]
fn every_table_data_file_renders_where_a_page_includes_it() {
    let (_tmp, site) = built_site();
    let pages = content_pages();
    let tables = std::fs::read_dir(repo_root().join("content/tables")).unwrap();
    let mut n = 0;
    for t in tables {
        let path = t.unwrap().path();
        let rel = format!("tables/{}", path.file_name().unwrap().to_string_lossy());
        let data: serde_yaml::Value = serde_yaml::from_str(&read(&path)).unwrap();
        let columns = data["columns"].as_sequence().unwrap();
        let rows = data["rows"].as_sequence().unwrap();
        for r in rows {
            assert_eq!(
                r.as_sequence().unwrap().len(),
                columns.len(),
                "{rel}: every row fills every column"
            );
        }
        let (page, _) = pages
            .iter()
            .find(|(_, text)| text.contains(&format!("{{{{#table {rel}}}}}")))
            .unwrap_or_else(|| panic!("{rel} is included by a page"));
        let html = read(&site.join(page.replace(".md", ".html")));
        assert!(
            !html.contains(&format!("#table {rel}")),
            "{rel}: the directive is replaced"
        );
        // The page's table with a header row plus one row per data row, and every header.
        let rendered = html
            .split("<table")
            .skip(1)
            .map(|t| &t[..t.find("</table>").unwrap()])
            .find(|t| {
                t.matches("<tr").count() == rows.len() + 1
                    && columns
                        .iter()
                        .all(|c| t.contains(&format!(">{}</th>", c.as_str().unwrap())))
            });
        assert!(
            rendered.is_some(),
            "{rel}: rendered in {page} with {} rows and its {} columns",
            rows.len(),
            columns.len()
        );
        n += 1;
    }
    assert!(n >= 3, "the comparison tables live as data");
}

#[test]
fn every_page_is_reachable_from_summary() {
    let summary = read(&repo_root().join("content/SUMMARY.md"));
    for (page, _) in content_pages() {
        if page == "SUMMARY.md" || page.starts_with("tables/") {
            continue;
        }
        assert!(
            summary.contains(&format!("({page})")),
            "{page} is in SUMMARY.md"
        );
    }
}

#[test]
fn misconceptions_page_corrects_every_item_of_the_design_list() {
    let text = read(&repo_root().join("content/practice/misconceptions.md"));
    for needle in [
        "kubelet identity", // 1. the kubelet pulls images with the kubelet identity
        "AcrPull",          //    and AcrPull belongs there
        "--attach-acr",
        "--assign-identity", // 2. control plane vs kubelet flags
        "--assign-kubelet-identity",
        "--assignee-object-id", // 3. principal (object) id, not a resource id
        "--enable-oidc-issuer", // 4. what workload identity needs
        "--enable-workload-identity",
        "api://AzureADTokenExchange",
        "azure.workload.identity/client-id",
        "azure.workload.identity/use",
        "system:serviceaccount:",
        "deprecated", // 5. pod identity is deprecated; SP clusters can migrate
        "--enable-managed-identity",
    ] {
        assert!(
            text.contains(needle),
            "misconceptions page mentions {needle}"
        );
    }
}

// ---- Corrections from the documentation review (issue 13) ----

fn page(rel: &str) -> String {
    read(&repo_root().join("content").join(rel))
}

/// The text of a Markdown section: from the heading that starts with `start` to the next
/// heading of the same or a higher level.
fn section(text: &str, start: &str) -> String {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("section {start:?} exists"));
    let level = start.chars().take_while(|&c| c == '#').count();
    let rest = &text[at + start.len()..];
    let mut end = rest.len();
    let mut offset = 0;
    let mut in_code = false;
    for line in rest.split_inclusive('\n') {
        // `# comment` lines inside fenced code are not headings.
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !in_code
            && offset > 0
            && hashes > 0
            && hashes <= level
            && line[hashes..].starts_with(' ')
        {
            end = offset;
            break;
        }
        offset += line.len();
    }
    text[at..at + start.len() + end].to_string()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// `YYYY-MM-DD` at the start of `s`, as days since the epoch.
fn iso_date_days(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    Some(days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?))
}

#[test]
fn exemption_examples_expire_in_the_future() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2026, 3, 31), 20543);
    let today = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400) as i64;
    let mut examples = 0;
    for (rel, text) in content_pages() {
        for key in ["--expires-on", "\"expiresOn\":"] {
            for (at, _) in text.match_indices(key) {
                let value = text[at + key.len()..].trim_start().trim_start_matches('"');
                if value.starts_with('<') || value.starts_with('\'') {
                    continue; // a placeholder or a query, not an example value
                }
                examples += 1;
                if let Some(days) = iso_date_days(value) {
                    assert!(
                        days > today,
                        "{rel}: the example expiry {} lies in the past; use a future or computed date",
                        &value[..10]
                    );
                }
            }
        }
    }
    assert!(examples >= 1, "the exemption example sets an expiry");
}

#[test]
fn bundle_tree_on_deploy_index_lists_every_output_entry() {
    let (tmp, _site) = built_site();
    let index = page("deploy/index.md");
    let tree = section(&index, "## What the bundle contains");
    for part in ["azure", "gatekeeper"] {
        let dir = tmp.path().join("dist").join(part);
        let mut names: Vec<(String, bool)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.file_type().unwrap().is_dir(),
                )
            })
            .collect();
        names.sort();
        assert!(!names.is_empty(), "dist/{part} has content");
        for (name, is_dir) in names {
            let entry = if is_dir {
                format!("── {name}/")
            } else {
                format!("── {name} ")
            };
            assert!(
                tree.contains(&entry),
                "deploy/index.md's bundle tree lists dist/{part}/{name}{}",
                if is_dir { "/" } else { "" }
            );
        }
    }
}

#[test]
fn aks05_page_dates_the_pod_identity_deprecation_and_end_of_support() {
    let (_tmp, site) = built_site();
    let html = read(&site.join("policies/aks-no-pod-identity.html"));
    assert!(
        !html.contains("ended with its deprecation"),
        "support did not end with the deprecation"
    );
    for date in ["October 2022", "September 2025"] {
        assert!(html.contains(date), "the AKS-05 page names {date}");
    }
}

#[test]
fn no_page_cites_project_notes_and_the_data_inventory_limit_cites_microsoft() {
    for (rel, text) in content_pages() {
        let lower = text.to_lowercase();
        for phrase in ["project notes", "project reference notes"] {
            assert!(!lower.contains(phrase), "{rel} cites {phrase:?}");
        }
    }
    let learn = "learn.microsoft.com/azure/governance/policy/concepts/policy-for-kubernetes";
    for rel in [
        "deploy/index.md",
        "deploy/azure-policy-addon.md",
        "appendix/sources.md",
    ] {
        let text = page(rel);
        assert!(text.contains("data.inventory"), "{rel} states the limit");
        assert!(
            text.contains(learn),
            "{rel} cites Microsoft's page for the data.inventory limit"
        );
    }
}

#[test]
fn misconceptions_are_distinct_each_with_a_correction_and_a_link() {
    let text = page("practice/misconceptions.md");
    let entries: Vec<&str> = text.split("\n## ").skip(1).collect();
    assert!(entries.len() >= 8, "the page keeps its misconceptions");
    let mut anchors = std::collections::BTreeSet::new();
    let mut about_pulls = Vec::new();
    for entry in &entries {
        let heading = entry.lines().next().unwrap();
        let anchor = heading.rsplit("{#").next().unwrap();
        assert!(anchors.insert(anchor), "{heading}: anchor is unique");
        assert!(
            entry.contains("**Correct version.**"),
            "{heading}: states the correct version"
        );
        assert!(
            entry.contains("**Read more.**") && entry.contains("]("),
            "{heading}: links to where to read more"
        );
        let lower = heading.to_lowercase();
        if ["acr", "image", "pull", "kubelet"]
            .iter()
            .any(|w| lower.contains(w))
        {
            about_pulls.push(heading);
        }
    }
    assert!(
        about_pulls.len() <= 1,
        "one misconception about image pulls and the kubelet, not several: {about_pulls:#?}"
    );
}

#[test]
fn forty_five_days_is_only_mentioned_as_previously_documented() {
    let root = repo_root();
    let mut files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect();
    files.extend(
        std::fs::read_dir(root.join("policies"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    for path in files {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["md", "yaml"].contains(&ext) {
            continue;
        }
        for line in read(&path).lines() {
            if line.to_lowercase().contains("45 days") {
                assert!(
                    line.contains("previously documented"),
                    "{}: the 45-day renewal is only on a retired page: {line}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn guides_that_use_jq_list_it_before_the_first_step() {
    let mut checked = 0;
    for (rel, text) in content_pages() {
        if !rel.starts_with("guides/") || !text.contains("jq -r") {
            continue;
        }
        let intro = &text[..text.find("\n## 1.").unwrap_or(text.len())];
        assert!(
            intro.contains("`jq`"),
            "{rel} uses jq, so its prerequisites list it"
        );
        checked += 1;
    }
    assert!(checked >= 3, "the guides that use jq were found");
    let retire = page("guides/retire-sp-secrets.md");
    let prereq = section(&retire, "## Prerequisites");
    for needle in ["Application Administrator", "owner", "`jq`"] {
        assert!(
            prereq.contains(needle),
            "retire-sp-secrets.md prerequisites name {needle}"
        );
    }
}

#[test]
fn migrate_guide_handles_each_update_form_separately() {
    let text = page("guides/migrate-sp-to-managed-identity.md");
    let switch = section(&text, "## 4. ");
    for form in ["**Form A", "**Form B", "**Form C"] {
        assert!(switch.contains(form), "step 4 offers {form}");
    }
    let step5 = section(&text, "## 5. ");
    assert!(
        !step5.to_lowercase().contains("cli version"),
        "reimaging depends on the form, not the CLI version"
    );
    let subs: Vec<String> = ["### 5a.", "### 5b.", "### 5c."]
        .iter()
        .map(|h| section(&step5, h))
        .collect();
    for sub in &subs {
        assert!(sub.contains("**Verify:**"), "each sub-step has a Verify");
    }
    // Only the form that leaves the kubelet on the service principal upgrades the pools.
    assert_eq!(step5.matches("az aks nodepool upgrade").count(), 1);
    assert!(subs[1].contains("az aks nodepool upgrade"));
    assert!(subs[1].contains("--node-image-only"));
}

/// The `az aks create|update` commands in `text`, continuation lines joined; an inline
/// command ends at its closing backtick.
fn aks_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for verb in ["az aks create", "az aks update"] {
        for (at, _) in text.match_indices(verb) {
            let mut cmd = String::new();
            for line in text[at..].lines() {
                let line = line.split('`').next().unwrap();
                cmd.push_str(line.trim_end_matches('\\'));
                cmd.push(' ');
                if !line.trim_end().ends_with('\\') {
                    break;
                }
            }
            out.push(cmd);
        }
    }
    out
}

#[test]
fn every_kubelet_identity_command_also_passes_the_control_plane_identity() {
    let root = repo_root();
    let mut sources: Vec<(String, String)> = content_pages();
    for e in std::fs::read_dir(root.join("policies")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "yaml") {
            sources.push((path.display().to_string(), read(&path)));
        }
    }
    let mut seen = 0;
    for (rel, text) in &sources {
        for cmd in aks_commands(text) {
            if cmd.contains("--assign-kubelet-identity") {
                seen += 1;
                assert!(
                    cmd.contains("--assign-identity "),
                    "{rel}: az refuses --assign-kubelet-identity without --assign-identity: {cmd}"
                );
            }
        }
    }
    assert!(seen >= 4, "kubelet identity commands were found");
}

#[test]
fn rule_prose_states_the_reviewed_facts() {
    let rule = |name: &str| read(&repo_root().join(format!("policies/{name}.yaml")));
    let aks03 = rule("aks-own-kubelet-identity");
    assert!(
        !aks03.contains("Key Vault assignments"),
        "the kubelet identity holds pull roles only"
    );
    let rbac02 = rule("no-broad-privileged-sp-roles");
    let rbac02 = rbac02.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!rbac02.contains("read every key vault"));
    assert!(
        rbac02.contains("access-policy permission model")
            && rbac02.contains("Azure RBAC permission model"),
        "RBAC-02 separates access-policy vaults from RBAC vaults"
    );
    let k8s02 = rule("k8s-wi-service-account-ids");
    assert!(
        !k8s02.contains("principal (object) id pasted"),
        "a principal id is a GUID, so K8S-02 cannot catch it"
    );
    let map = page("tables/aks-identity-map.yaml");
    let agic = map
        .lines()
        .skip_while(|l| !l.contains("(AGIC)"))
        .take(4)
        .collect::<String>();
    assert!(
        agic.contains("Network Contributor and Reader"),
        "AGIC with a gateway in another group needs both roles: {agic}"
    );
    let wi = page("guides/workload-identity.md");
    assert!(!wi.contains("`--audience`"), "no --audience parser aside");
}

#[test]
fn acr_guide_names_what_breaks_without_arm_audience_tokens() {
    let guide = page("guides/acr-kubelet-identity.md");
    let notes = section(&guide, "## 1. ");
    for needle in [
        "credential provider",
        "`az aks check-acr`",
        "GitOps",
        "March 2025",
    ] {
        assert!(
            notes.contains(needle),
            "the ARM-audience warning names {needle}"
        );
    }
    let sources = page("appendix/sources.md");
    for url in [
        "github.com/kubernetes-sigs/cloud-provider-azure/issues/8592",
        "github.com/Azure/AKS/issues/4560",
        "learn.microsoft.com/azure/aks/concepts-network-isolated",
    ] {
        assert!(sources.contains(url), "sources.md cites {url}");
    }
}

// ---- Missing topics, diagrams and accessibility (issue 13) ----

#[test]
fn missing_topics_are_covered_each_with_its_source() {
    let deep = page("concepts/workload-identity-in-depth.md");
    let bindings = section(&deep, "## Identity bindings");
    for needle in [
        "20 federated identity credentials",
        "ib.oic.prod-aks.azure.com",
        "use-managed-identity",
        "FIC-01",
        "aks-preview",
        "| One federated credential per service account | Identity bindings |",
    ] {
        assert!(bindings.contains(needle), "identity bindings: {needle}");
    }
    let rotation = section(&deep, "## OIDC issuer signing-key rotation");
    for needle in [
        "az aks oidc-issuer rotate-signing-keys",
        "24 hours",
        "twice",
    ] {
        assert!(rotation.contains(needle), "key rotation: {needle}");
    }
    assert!(section(&deep, "## Cross-tenant").contains("AZURE_TENANT_ID"));
    assert!(section(&deep, "## Secrets Store CSI").contains("clientID"));
    let platform = page("practice/platform-settings.md");
    for (heading, needle) in [
        ("## AKS Automatic", "OIDC issuer"),
        ("## Custom private DNS zone", "Private DNS Zone Contributor"),
        ("## PIM for the cluster-admin group", "eligible"),
        ("## Container Insights", "30 September 2026"),
    ] {
        assert!(
            section(&platform, heading).contains(needle),
            "{heading}: {needle}"
        );
    }
    let iac = page("guides/infrastructure-as-code.md");
    let bicep = section(&iac, "## Bicep");
    let terraform = section(&iac, "## Terraform");
    for (text, needles) in [
        (
            &bicep,
            &[
                "```bicep",
                "Microsoft.ManagedIdentity/userAssignedIdentities@",
                "kubeletidentity",
                "federatedIdentityCredentials@",
                "roles.acrPull",
                "roles.keyVaultSecretsUser",
                "roles.managedIdentityOperator",
            ][..],
        ),
        (
            &terraform,
            &[
                "```hcl",
                "azurerm_user_assigned_identity",
                "kubelet_identity",
                "azurerm_federated_identity_credential",
                "\"AcrPull\"",
                "\"Key Vault Secrets User\"",
                "\"Managed Identity Operator\"",
            ][..],
        ),
    ] {
        for n in needles {
            assert!(text.contains(n), "infrastructure as code: {n}");
        }
    }
    let sources = page("appendix/sources.md");
    for url in [
        "learn.microsoft.com/azure/aks/identity-bindings-concepts",
        "learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations",
        "learn.microsoft.com/azure/aks/use-oidc-issuer",
        "learn.microsoft.com/azure/aks/intro-aks-automatic",
        "learn.microsoft.com/azure/aks/private-clusters",
        "learn.microsoft.com/azure/aks/csi-secrets-store-identity-access",
        "learn.microsoft.com/azure/aks/workload-identity-cross-tenant",
        "learn.microsoft.com/azure/aks/privileged-identity-management",
        "learn.microsoft.com/azure/role-based-access-control/built-in-roles",
    ] {
        assert!(sources.contains(url), "sources.md cites {url}");
    }
}

/// The inline SVG diagrams of a page: (title, the whole `<svg>…</svg>`).
fn diagrams(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(s) = rest.find("<svg") {
        let e = rest[s..].find("</svg>").expect("svg closes") + s + 6;
        let svg = &rest[s..e];
        let t = svg.find("<title").map(|t| {
            let t = t + svg[t..].find('>').unwrap() + 1;
            svg[t..t + svg[t..].find("</title>").unwrap()].to_string()
        });
        out.push((t.unwrap_or_default(), svg.to_string()));
        rest = &rest[e..];
    }
    out
}

#[test]
fn diagrams_follow_the_theme_and_have_a_text_alternative() {
    let re_colour = regex::Regex::new(
        r#"(?i)(fill|stroke|color)\s*[=:]\s*"?(#|rgb|hsl|black|white|red|blue|green|gray|grey)"#,
    )
    .unwrap();
    let mut titles = Vec::new();
    for (rel, text) in content_pages() {
        for (title, svg) in diagrams(&text) {
            assert!(svg.contains("role=\"img\""), "{rel}: {title}: role=img");
            assert!(
                svg.contains("<desc id=") && svg.contains("aria-labelledby="),
                "{rel}: {title}: a <desc> named by aria-labelledby"
            );
            assert!(svg.contains("currentColor"), "{rel}: {title}: currentColor");
            assert!(
                !re_colour.is_match(&svg) && !svg.contains("href=\"http"),
                "{rel}: {title}: no fixed colour and nothing fetched (works in both themes, offline)"
            );
            titles.push(format!("{rel}: {title}"));
        }
    }
    for want in [
        "concepts/workload-identity-in-depth.md: The workload identity token exchange",
        "guides/acr-kubelet-identity.md: How a node pulls an image from Azure Container Registry",
        "practice/best-practices.md: Rollout stages of a control: audit, warn, enforce",
    ] {
        assert!(titles.iter().any(|t| t == want), "{want} in {titles:#?}");
    }
}

#[test]
fn built_pages_name_checkboxes_and_let_the_keyboard_reach_scroll_areas() {
    let (_tmp, site) = built_site();
    let (mut boxes, mut pres, mut tables) = (0, 0, 0);
    for e in walkdir::WalkDir::new(&site) {
        let e = e.unwrap();
        if e.path().extension().is_none_or(|x| x != "html") {
            continue;
        }
        let html = read(e.path());
        let rel = e.path().strip_prefix(&site).unwrap().display().to_string();
        for (i, _) in html.match_indices("type=\"checkbox\"") {
            let tag_start = html[..i].rfind('<').unwrap();
            let tag = &html[tag_start..i + html[i..].find('>').unwrap()];
            assert!(
                tag.contains("aria-label=\"") && !tag.contains("aria-label=\"\""),
                "{rel}: checkbox without a label: {tag}"
            );
            boxes += 1;
        }
        for (i, _) in html.match_indices("<pre") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(tag.contains("tabindex=\"0\""), "{rel}: {tag}");
            pres += 1;
        }
        for (i, _) in html.match_indices("class=\"table-wrapper\"") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(
                tag.contains("tabindex=\"0\"") && tag.contains("role=\"region\""),
                "{rel}: {tag}"
            );
            tables += 1;
        }
    }
    assert!(
        boxes >= 38 && pres > 50 && tables > 20,
        "{boxes} {pres} {tables}"
    );
}

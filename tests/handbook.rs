//! The repository's own handbook: it builds, every control appears on its policy
//! page and in at least one chapter, every comparison table renders from its data
//! file, every page is reachable, and the misconceptions page covers DESIGN.md's list.

mod common;

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

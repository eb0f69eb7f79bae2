//! Every `az` command shown in the handbook (the Markdown under content/, deploy/
//! included) and in the rules' remediation text is one the real azure-cli accepts:
//! each is extracted from the `sh`/`bash`/`shell`/`console` code blocks (line
//! continuations joined, `$(…)` commands extracted too), its shell variables,
//! `$(…)` values and `<placeholders>` replaced by dummy values of the shape the option
//! wants (GUIDs, resource ids, URLs, names), and run through azure-cli without an
//! account (`common::az_parse_check`): it must stop at the login step, not at argument
//! parsing. Commands that need an extension (`aks-preview`) are listed in EXTENSION:
//! core az must not know them (so the list cannot go stale), and their page must say
//! which extension to install.

use crate::common;

use common::repo_root;

/// Commands (argv prefix without `az`, and an option if only that option is the
/// extension's) that exist only in an extension.
const EXTENSION: &[(&[&str], Option<&str>, &str)] = &[
    (&["graph"], None, "resource-graph"),
    (&["aks", "pod-identity"], None, "aks-preview"),
    (
        &["aks", "update"],
        Some("--disable-pod-identity"),
        "aks-preview",
    ),
];

/// Commands that do not reach the login step by design (they run locally, or fail
/// for want of a subscription rather than a login).
const LOCAL: &[&[&str]] = &[
    &["login"],
    &["extension"],
    &["bicep"],
    &["version"],
    &["account", "set"],
];

const GUID: &str = "00000000-1111-2222-3333-444444444444";

fn sub() -> String {
    format!("/subscriptions/{GUID}/resourceGroups/rg1/providers")
}

/// A resource id whose kind is guessed from a variable or placeholder name.
fn resource_id(name: &str) -> String {
    let n = name.to_ascii_uppercase();
    let has = |s: &str| n.contains(s);
    if has("MG") || has("MANAGEMENT") {
        "/providers/Microsoft.Management/managementGroups/mg1".into()
    } else if has("ACR") || has("REGISTRY") {
        format!("{}/Microsoft.ContainerRegistry/registries/acr1", sub())
    } else if has("SUBNET") {
        format!(
            "{}/Microsoft.Network/virtualNetworks/vnet1/subnets/snet1",
            sub()
        )
    } else if has("VAULT") || has("KV") {
        format!("{}/Microsoft.KeyVault/vaults/kv1", sub())
    } else if has("WORKSPACE") {
        format!("{}/Microsoft.OperationalInsights/workspaces/ws1", sub())
    } else if has("CLUSTER") || has("AKS") {
        format!("{}/Microsoft.ContainerService/managedClusters/aks1", sub())
    } else if has("DNS") || has("ZONE") {
        format!(
            "{}/Microsoft.Network/privateDnsZones/privatelink.eastus.azmk8s.io",
            sub()
        )
    } else if has("ASSIGNMENT") {
        format!("/subscriptions/{GUID}/providers/Microsoft.Authorization/policyAssignments/pa1")
    } else if has("SCOPE") || has("RG") || has("GROUP") || has("SUBSCRIPTION") {
        format!("/subscriptions/{GUID}/resourceGroups/rg1")
    } else {
        format!(
            "{}/Microsoft.ManagedIdentity/userAssignedIdentities/id1",
            sub()
        )
    }
}

fn is_guid_name(n: &str) -> bool {
    let n = n.to_ascii_uppercase().replace('-', "_");
    [
        "SUBSCRIPTION",
        "TENANT",
        "CLIENT_ID",
        "PRINCIPAL",
        "OBJECT_ID",
        "APP_ID",
        "SUB_ID",
        "GUID",
        "ASSIGNEE",
        "OWNER",
    ]
    .iter()
    .any(|k| n.contains(k))
        || n == "SUB"
        || n.ends_with("_OID")
}

/// The dummy for a value that is wholly a variable, `$(…)` or `<placeholder>`.
fn dummy(option: &str, name: &str) -> String {
    let guid_opts = [
        "--subscription",
        "--assignee-object-id",
        "--assignee",
        "--object-id",
        "--client-id",
        "--tenant",
        "--tenant-id",
        "--app-id",
        "--principal-id",
        "--owner-object-id",
        "--id",
    ];
    let id_opts = [
        "--scope",
        "--ids",
        "--assign-identity",
        "--assign-kubelet-identity",
        "--vnet-subnet-id",
        "--workspace-resource-id",
        "--private-dns-zone",
        "--source-resource-id",
        "--policy-set-definition",
        "--identity-resource-id",
    ];
    let up = name.to_ascii_uppercase().replace('-', "_");
    match option {
        o if guid_opts.contains(&o) => {
            if o == "--subscription" && !is_guid_name(name) && up.contains("NAME") {
                "sub1".into()
            } else {
                GUID.into()
            }
        }
        o if id_opts.contains(&o) => resource_id(name),
        "--attach-acr" | "--detach-acr" => resource_id("ACR"),
        // The generated list of definitions (a file of the built bundle).
        "--definitions" => "dist/azure/az/initiative.definitions.json".into(),
        "--issuer" => format!("https://eastus.oic.prod-aks.azure.com/{GUID}/{GUID}/"),
        "--location" | "-l" => "eastus".into(),
        "--subject" => "system:serviceaccount:ns1:sa1".into(),
        "--audiences" | "--audience" => "api://AzureADTokenExchange".into(),
        "--expires-on" => "2030-01-01T00:00:00Z".into(),
        "--kubernetes-version" => "1.31.1".into(),
        "--role" => "AcrPull".into(),
        "--query" | "-o" | "--output" => "id".into(),
        _ if up.contains("ISSUER") => {
            format!("https://eastus.oic.prod-aks.azure.com/{GUID}/{GUID}/")
        }
        _ if up.contains("LOCATION") || up == "REGION" => "eastus".into(),
        _ if is_guid_name(name) => GUID.into(),
        _ if up.ends_with("_ID") || up.contains("RESOURCE_ID") || up.contains("SCOPE") => {
            resource_id(name)
        }
        _ => "name1".into(),
    }
}

/// A piece of a shell word.
#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Var(String),
    Sub(String),
}

/// Splits one logical line into commands (at `|`, `;`, `&&`, `||`, `(`, `)`), each a
/// list of words; `$(…)` bodies are split recursively into `out` as well.
fn commands(line: &str, out: &mut Vec<Vec<Vec<Part>>>) {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut cmd: Vec<Vec<Part>> = Vec::new();
    let mut word: Vec<Part> = Vec::new();
    let mut in_word = false;
    let mut dq = false;
    let push_lit = |w: &mut Vec<Part>, c: char| match w.last_mut() {
        Some(Part::Lit(s)) => s.push(c),
        _ => w.push(Part::Lit(c.to_string())),
    };
    let end_word = |cmd: &mut Vec<Vec<Part>>, word: &mut Vec<Part>, in_word: &mut bool| {
        if *in_word {
            cmd.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && chars.get(i + 1) == Some(&'(') {
            // Find the matching parenthesis, skipping quoted text.
            let (mut depth, mut j, mut q) = (0, i + 1, None::<char>);
            while j < chars.len() {
                let d = chars[j];
                match q {
                    Some(qc) if d == qc => q = None,
                    Some(_) => {}
                    None if d == '\'' || d == '"' => q = Some(d),
                    None if d == '(' => depth += 1,
                    None if d == ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    None => {}
                }
                j += 1;
            }
            let inner: String = chars[i + 2..j.min(chars.len())].iter().collect();
            commands(&inner, out);
            word.push(Part::Sub(inner));
            in_word = true;
            i = j + 1;
            continue;
        }
        if c == '$' {
            let mut j = i + 1;
            let name: String = if chars.get(j) == Some(&'{') {
                let s: String = chars[j + 1..].iter().take_while(|&&d| d != '}').collect();
                j += s.chars().count() + 2;
                s
            } else {
                let s: String = chars[j..]
                    .iter()
                    .take_while(|d| d.is_ascii_alphanumeric() || **d == '_')
                    .collect();
                j += s.chars().count();
                s
            };
            if name.is_empty() {
                push_lit(&mut word, c);
                in_word = true;
                i += 1;
            } else {
                word.push(Part::Var(name));
                in_word = true;
                i = j;
            }
            continue;
        }
        if dq {
            match c {
                '"' => dq = false,
                '\\' if i + 1 < chars.len() => {
                    i += 1;
                    push_lit(&mut word, chars[i]);
                }
                _ => push_lit(&mut word, c),
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                dq = true;
                in_word = true;
            }
            '\'' => {
                in_word = true;
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '\'' {
                    push_lit(&mut word, chars[j]);
                    j += 1;
                }
                if j == i + 1 {
                    word.push(Part::Lit(String::new()));
                }
                i = j;
            }
            '\\' if i + 1 < chars.len() => {
                i += 1;
                push_lit(&mut word, chars[i]);
                in_word = true;
            }
            '<' if placeholder_at(&chars[i..]) => {
                let n = chars[i..].iter().position(|&d| d == '>').unwrap();
                for &d in &chars[i..=i + n] {
                    push_lit(&mut word, d);
                }
                in_word = true;
                i += n;
            }
            '>' | '<' => {
                // A redirection: drop a file-descriptor number before it and its target.
                if matches!(word.as_slice(), [Part::Lit(s)] if s.chars().all(|d| d.is_ascii_digit()))
                {
                    word.clear();
                    in_word = false;
                }
                end_word(&mut cmd, &mut word, &mut in_word);
                let mut j = i + 1;
                while j < chars.len() && matches!(chars[j], '>' | '<') {
                    j += 1;
                }
                if chars.get(j) == Some(&'&') {
                    j += 1;
                    while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '-') {
                        j += 1;
                    }
                } else {
                    while j < chars.len() && chars[j] == ' ' {
                        j += 1;
                    }
                    while j < chars.len() && !matches!(chars[j], ' ' | '\t' | ';' | '|' | '&' | ')')
                    {
                        j += 1;
                    }
                }
                i = j;
                continue;
            }
            ' ' | '\t' => end_word(&mut cmd, &mut word, &mut in_word),
            '#' if !in_word => break,
            '|' | ';' | '&' | '(' | ')' => {
                end_word(&mut cmd, &mut word, &mut in_word);
                if !cmd.is_empty() {
                    out.push(std::mem::take(&mut cmd));
                }
            }
            _ => {
                push_lit(&mut word, c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut cmd, &mut word, &mut in_word);
    if !cmd.is_empty() {
        out.push(cmd);
    }
}

/// Whether `<…>` at the start of `rest` is a placeholder such as `<resource-group>`.
fn placeholder_at(rest: &[char]) -> bool {
    let end = rest.iter().position(|&d| d == '>');
    end.is_some_and(|n| {
        n > 1
            && rest[1].is_ascii_alphabetic()
            && rest[1..n]
                .iter()
                .all(|d| d.is_ascii_alphanumeric() || matches!(d, '-' | '_' | '.'))
    })
}

fn placeholder_re() -> regex::Regex {
    regex::Regex::new(r"<([A-Za-z][A-Za-z0-9_.-]*)>").unwrap()
}

/// The argv (without `az`) of a command whose first word is `az`, after leading
/// assignments and shell keywords.
fn az_argv(cmd: &[Vec<Part>]) -> Option<Vec<String>> {
    let lit = |w: &Vec<Part>| match w.as_slice() {
        [Part::Lit(s)] => Some(s.clone()),
        _ => None,
    };
    let mut k = 0;
    let mut xargs = false;
    while k < cmd.len() {
        if lit(&cmd[k]).as_deref() == Some("xargs") {
            // `… | xargs az … --ids`: xargs appends the values it reads.
            xargs = true;
            k += 1;
            while k < cmd.len() && lit(&cmd[k]).is_some_and(|w| w.starts_with('-')) {
                k += 1;
            }
            continue;
        }
        match lit(&cmd[k]).as_deref() {
            Some("do" | "then" | "else" | "!" | "time" | "if" | "while" | "until") => k += 1,
            Some(s) if s.contains('=') && !s.starts_with('-') => k += 1,
            None if matches!(cmd[k].first(), Some(Part::Lit(s)) if s.ends_with('=')) => k += 1,
            _ => break,
        }
    }
    if lit(cmd.get(k)?)?.as_str() != "az" {
        return None;
    }
    let re = placeholder_re();
    let mut argv: Vec<String> = Vec::new();
    for w in &cmd[k + 1..] {
        let option = argv
            .last()
            .filter(|a| a.starts_with('-'))
            .cloned()
            .unwrap_or_default();
        let whole = match w.as_slice() {
            [Part::Var(n)] => Some(n.clone()),
            [Part::Sub(s)] => Some(s.clone()),
            [Part::Lit(s)] => re
                .captures(s)
                .filter(|c| c.get(0).unwrap().as_str() == s)
                .map(|c| c[1].to_string()),
            _ => None,
        };
        let value = match whole {
            Some(name) => dummy(&option, &name),
            None => w
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => re
                        .replace_all(s, |c: &regex::Captures| {
                            if is_guid_name(&c[1]) {
                                GUID.to_string()
                            } else {
                                "name1".to_string()
                            }
                        })
                        .into_owned(),
                    Part::Var(n) if is_guid_name(n) => GUID.into(),
                    Part::Var(_) | Part::Sub(_) => "name1".into(),
                })
                .collect(),
        };
        argv.push(value);
    }
    if xargs {
        let option = argv.last().cloned().unwrap_or_default();
        argv.push(dummy(&option, ""));
    }
    Some(argv)
}

/// The shell code blocks of a Markdown text: (first line number, lines).
fn shell_blocks(md: &str) -> Vec<(usize, Vec<String>, bool)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, usize, bool, Vec<String>)> = None;
    for (n, line) in md.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some((fence, ind, start, console, body)) = open.as_mut() {
            if trimmed.starts_with(fence.as_str()) && trimmed.trim_end() == fence.as_str() {
                blocks.push((*start, std::mem::take(body), *console));
                open = None;
            } else {
                let cut = line
                    .char_indices()
                    .take_while(|(i, c)| *i < *ind && *c == ' ')
                    .count();
                body.push(line[cut..].to_string());
            }
            continue;
        }
        for f in ["```", "~~~"] {
            if let Some(rest) = trimmed.strip_prefix(f) {
                let extra = rest.chars().take_while(|c| *c == f.as_bytes()[0] as char);
                let fence = format!("{f}{}", extra.collect::<String>());
                let info = trimmed[fence.len()..].trim();
                let lang = info
                    .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                    .next()
                    .unwrap_or("");
                let shell = matches!(lang, "sh" | "bash" | "shell" | "zsh" | "console");
                let body = Vec::new();
                if shell {
                    open = Some((fence, indent, n + 2, lang == "console", body));
                } else {
                    // A non-shell block: skip to its end by opening a throwaway block.
                    open = Some((fence, indent, 0, false, body));
                }
                break;
            }
        }
    }
    blocks.retain(|(start, _, _)| *start > 0);
    blocks
}

/// Whether `text` ends inside a quoted string (so the command goes on on the next line).
fn open_quote(text: &str) -> bool {
    let mut q: Option<char> = None;
    let mut prev = ' ';
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match q {
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some(qc) if c == qc => q = None,
            Some(_) => {}
            None if c == '\\' => {
                chars.next();
            }
            None if c == '\'' || c == '"' => q = Some(c),
            None if c == '#' && prev.is_whitespace() => return false,
            None => {}
        }
        prev = c;
    }
    q.is_some()
}

/// (where, argv) for every `az` command of a Markdown text.
fn az_commands(file: &str, md: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for (start, lines, console) in shell_blocks(md) {
        let prompts = console && lines.iter().any(|l| l.starts_with("$ "));
        let mut logical: Vec<(usize, String)> = Vec::new();
        let mut cont = false;
        for (i, l) in lines.iter().enumerate() {
            let mut l = l.as_str();
            if prompts && !cont {
                match l.strip_prefix("$ ") {
                    Some(rest) => l = rest,
                    None => continue,
                }
            } else if prompts {
                let t = l.trim_start();
                l = t.strip_prefix("> ").unwrap_or(t);
            }
            let (text, more) = match l.trim_end().strip_suffix('\\') {
                Some(t) => (t.to_string(), true),
                None => (l.to_string(), false),
            };
            if cont {
                let last = &mut logical.last_mut().unwrap().1;
                // Inside an open quote the line break is part of the value.
                last.push(if open_quote(last) { '\n' } else { ' ' });
                last.push_str(&text);
            } else {
                logical.push((start + i, text));
            }
            cont = more || open_quote(&logical.last().unwrap().1);
        }
        for (line, text) in logical {
            let mut cmds = Vec::new();
            commands(&text, &mut cmds);
            for c in cmds {
                if let Some(argv) = az_argv(&c) {
                    found.push((format!("{file}:{line}"), argv));
                }
            }
        }
    }
    found
}

/// Every `az` command of the handbook and the rules, with the text of its page.
fn all_commands() -> Vec<(String, Vec<String>, String)> {
    let root = repo_root();
    let mut out = Vec::new();
    let mut files: Vec<_> = walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    for p in files {
        let md = std::fs::read_to_string(&p).unwrap();
        let rel = p.strip_prefix(&root).unwrap().display().to_string();
        for (at, argv) in az_commands(&rel, &md) {
            out.push((at, argv, md.clone()));
        }
    }
    let (bundle, diags) = policybook::build::load_and_validate(&root);
    assert!(!diags.has_errors(), "{diags}");
    for r in &bundle.rules {
        let at = format!("policies/{}.yaml (remediation)", r.name);
        for (_, argv) in az_commands(&at, &r.remediation) {
            out.push((at.clone(), argv, r.remediation.clone()));
        }
    }
    out
}

fn words(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn extraction_joins_continuations_and_fills_placeholders() {
    let md = "text\n\n```bash\nID=$(az identity show -g \"$RG\" -n <identity> --query id -o tsv)\n\
              az role assignment create --assignee-object-id \"$PRINCIPAL_ID\" \\\n  --scope \"$ACR_ID\" --role AcrPull # comment\n\
              kubectl get pods | grep x\n```\n\n```json\n{\"az\": 1}\n```\n\n  ```console\n  $ az aks show \\\n  >   -g rg\n  output az aks nope\n  ```\n";
    let got: Vec<Vec<String>> = az_commands("x.md", md)
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert_eq!(
        got,
        vec![
            words(&[
                "identity", "show", "-g", "name1", "-n", "name1", "--query", "id", "-o", "tsv"
            ]),
            words(&[
                "role",
                "assignment",
                "create",
                "--assignee-object-id",
                GUID,
                "--scope",
                &resource_id("ACR"),
                "--role",
                "AcrPull"
            ]),
            words(&["aks", "show", "-g", "rg"]),
        ]
    );
}

#[test]
fn extraction_handles_multi_line_quotes_redirections_and_xargs() {
    let md = "```sh\naz graph query -q \"\nresources\n| take 1\" \\\n  --output table\n\
              az aks show -g <resource-group> -n x > cluster.json 2>&1 # don't\n\
              az role assignment list --all --query \"[].id\" -o tsv | xargs -r az role assignment delete --ids\n```\n";
    let got: Vec<Vec<String>> = az_commands("x.md", md)
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert_eq!(
        got,
        vec![
            words(&[
                "graph",
                "query",
                "-q",
                "\nresources\n| take 1",
                "--output",
                "table"
            ]),
            words(&["aks", "show", "-g", "name1", "-n", "x"]),
            words(&[
                "role",
                "assignment",
                "list",
                "--all",
                "--query",
                "[].id",
                "-o",
                "tsv"
            ]),
            words(&["role", "assignment", "delete", "--ids", &resource_id("")]),
        ]
    );
}

#[test]
fn every_az_command_in_the_handbook_and_the_rules_gets_past_argument_parsing() {
    let cmds = all_commands();
    assert!(cmds.len() >= 100, "only {} az commands found", cmds.len());
    // Files the commands read: `dist/…` ones come from a real build of this project,
    // others (`@assignment-parameters.json`) exist holding `{}`.
    let built = common::copy_project(&["book.toml", "policies", "content", "themes"]);
    let run = common::policybook(built.path(), &["build"]);
    assert_eq!(run.code, 0, "the project builds:\n{}", run.stderr);
    let files = tempfile::tempdir().unwrap();
    let file_re = regex::Regex::new(r"^(@?)(?:[\w.-]+/)*([\w.-]+\.(?:json|ya?ml))$").unwrap();
    let argvs: Vec<Vec<String>> = cmds
        .iter()
        .map(|(_, a, _)| {
            a.iter()
                .map(|w| match file_re.captures(w) {
                    Some(c) if built.path().join(&w[c[1].len()..]).is_file() => {
                        let path = built.path().join(&w[c[1].len()..]);
                        format!("{}{}", &c[1], path.display())
                    }
                    Some(c) => {
                        let path = files.path().join(&c[2]);
                        std::fs::write(&path, "{}").unwrap();
                        format!("{}{}", &c[1], path.display())
                    }
                    None => w.clone(),
                })
                .collect()
        })
        .collect();
    let Some(results) = common::az_parse_check(&argvs) else {
        return;
    };
    assert_eq!(results.len(), cmds.len());
    let mut bad = Vec::new();
    for ((at, argv, page), r) in cmds.iter().zip(&results) {
        let shown = format!("{at}: az {}", argv.join(" "));
        let first_line = r.message.lines().find(|l| !l.trim().is_empty());
        let why = first_line
            .unwrap_or("")
            .chars()
            .take(300)
            .collect::<String>();
        if let Some((_, _, ext)) = EXTENSION.iter().find(|(prefix, flag, _)| {
            argv.starts_with(&words(prefix)) && flag.is_none_or(|f| argv.iter().any(|a| a == f))
        }) {
            if !page.contains(ext) {
                bad.push(format!(
                    "{shown}\n    needs the {ext} extension, which its page does not name"
                ));
            }
            if r.outcome == "login" {
                bad.push(format!(
                    "{shown}\n    core az knows this command: take it off EXTENSION"
                ));
            }
            continue;
        }
        if LOCAL.iter().any(|p| argv.starts_with(&words(p))) {
            if r.outcome == "parse" {
                bad.push(format!("{shown}\n    az refused it: {why}"));
            }
            continue;
        }
        if r.outcome != "login" {
            bad.push(format!("{shown}\n    {}: {why}", r.outcome));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} az commands do not get past argument parsing:\n{}",
        bad.len(),
        cmds.len(),
        bad.join("\n")
    );
}

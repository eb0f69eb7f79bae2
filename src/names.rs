//! The grammar of ids and names: every value from the sources that becomes a
//! resource name, a file name, an argument of an ARM expression or a word of
//! `deploy.sh`. The loader enforces it (rule files and book.toml), so later
//! stages only ever see values of this shape. Display strings (titles,
//! descriptions, display names, categories, versions, messages) stay free text;
//! the outputs quote and escape them instead (see `azure::shell`, `azure::arm`).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::{Diagnostics, Location};

/// One kind of name and what it allows.
pub struct Grammar {
    /// What the value is, for messages: "control id".
    pub what: &'static str,
    /// The help text: what is allowed.
    pub allowed: &'static str,
    max: usize,
    first: fn(char) -> bool,
    rest: fn(char) -> bool,
    /// Characters the value may not end with.
    not_last: &'static [char],
}

fn ascii_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
}
fn lower_or_digit(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Control ids: `AKS-01`. They end up in definition metadata, set parameter
/// names (`effect-AKS-01`), reference ids and the deterministic GUID.
pub const CONTROL_ID: Grammar = Grammar {
    what: "control id",
    allowed: "a control id holds ASCII letters, digits and `-`, starts with a letter and has at most 64 characters, e.g. `AKS-01`",
    max: 64,
    first: ascii_letter,
    rest: |c| c.is_ascii_alphanumeric() || c == '-',
    not_last: &[],
};

/// Rule names and area keys: file names, URLs, constraint names, group names.
pub const SLUG: Grammar = Grammar {
    what: "name",
    allowed: "a name is a slug: lower-case ASCII letters, digits and `-`, starting with a letter or digit, not ending with `-`, at most 64 characters (it becomes file names and URLs)",
    max: 64,
    first: lower_or_digit,
    rest: |c| lower_or_digit(c) || c == '-',
    not_last: &['-'],
};

/// Azure resource names policybook writes (policy set, assignment): Azure refuses
/// `<>*%&:\?.+/` and control characters; this is the portable subset.
pub const RESOURCE_NAME: Grammar = Grammar {
    what: "resource name",
    allowed: "a resource name holds lower-case ASCII letters, digits, `-` and `_`, starts with a letter or digit, does not end with `-` and has at most 64 characters (Azure's limit for policy names at management-group scope)",
    max: 64,
    first: lower_or_digit,
    rest: |c| lower_or_digit(c) || c == '-' || c == '_',
    not_last: &['-'],
};

/// Policy parameter names (`azure.parameters`, `kubernetes.parameters`): they are
/// read back with `[parameters('name')]` and passed on as `name-AKS-01`.
pub const PARAMETER: Grammar = Grammar {
    what: "parameter name",
    allowed: "a parameter name holds ASCII letters, digits, `_` and `-`, starts with a letter and has at most 64 characters, e.g. `allowedRegistries`",
    max: 64,
    first: ascii_letter,
    rest: |c| c.is_ascii_alphanumeric() || c == '_' || c == '-',
    not_last: &[],
};

/// Management group ids, as Azure defines them.
pub const MANAGEMENT_GROUP: Grammar = Grammar {
    what: "management group id",
    allowed: "a management group id holds ASCII letters, digits, `-`, `_`, `(`, `)` and `.`, does not end with `.` and has at most 90 characters (Azure's rule)",
    max: 90,
    first: |c| c.is_ascii_alphanumeric() || "-_().".contains(c),
    rest: |c| c.is_ascii_alphanumeric() || "-_().".contains(c),
    not_last: &['.'],
};

impl Grammar {
    /// None when `s` follows the grammar; else what is wrong, for a message.
    pub fn problem(&self, s: &str) -> Option<String> {
        let shown = show(s);
        let problem = if s.is_empty() {
            "is empty".to_string()
        } else if s.chars().count() > self.max {
            format!(
                "has {} characters, more than {}",
                s.chars().count(),
                self.max
            )
        } else if let Some((i, c)) = s.char_indices().find(|&(i, c)| {
            if i == 0 {
                !(self.first)(c)
            } else {
                !(self.rest)(c)
            }
        }) {
            let verb = if i == 0 { "start with" } else { "hold" };
            format!("may not {verb} `{}`", show(&c.to_string()))
        } else if let Some(c) = s.chars().last().filter(|c| self.not_last.contains(c)) {
            format!("may not end with `{c}`")
        } else {
            return None;
        };
        Some(format!("{} `{shown}` {problem}", self.what))
    }
}

/// A value for a message: control characters escaped, long values cut, so a
/// hostile value cannot rewrite the terminal or flood it.
pub fn show(s: &str) -> String {
    let escaped: String = s
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().collect()
            } else {
                c.to_string()
            }
        })
        .collect();
    if escaped.chars().count() > 80 {
        let mut t: String = escaped.chars().take(79).collect();
        t.push('…');
        t
    } else {
        escaped
    }
}

/// Subscription ids are GUIDs.
pub fn is_guid(s: &str) -> bool {
    // 36 characters: only the hyphenated form (uuid also takes braced, urn: and bare).
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

/// Free text that reaches `deploy.sh` as an argument: anything but NUL, which
/// no command-line argument can carry.
pub fn text_problem(what: &str, s: &str) -> Option<String> {
    s.contains('\0')
        .then(|| format!("{what} holds a NUL character, which no command-line argument can carry"))
}

// The book.toml keys the grammar covers, with their places.
#[derive(Deserialize)]
struct BookNames {
    policybook: Option<PolicybookNames>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PolicybookNames {
    initiative: Option<InitiativeNames>,
    deployment: Option<DeploymentNames>,
    #[serde(default)]
    areas: BTreeMap<Spanned<String>, toml::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct InitiativeNames {
    name: Option<Spanned<String>>,
    display_name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct DeploymentNames {
    management_group: Option<Spanned<String>>,
    subscription: Option<Spanned<String>>,
    assignment_name: Option<Spanned<String>>,
}

/// Checks the names in book.toml against the grammar. Call it on text that
/// `Config::parse` accepted; each problem is placed at its value.
pub fn check_book_toml(text: &str) -> Diagnostics {
    let mut d = Diagnostics::default();
    let Ok(names) = toml::from_str::<BookNames>(text) else {
        return d;
    };
    let Some(pb) = names.policybook else {
        return d;
    };
    let at = |s: &Spanned<String>| {
        Location::new("book.toml", crate::text::line_col(text, s.span().start))
    };
    let mut check = |v: &Option<Spanned<String>>, key: &str, g: &Grammar| {
        if let Some(v) = v {
            if let Some(p) = g.problem(v.get_ref()) {
                d.error(at(v), format!("`{key}`: {p}"), g.allowed);
            }
        }
    };
    if let Some(i) = &pb.initiative {
        check(&i.name, "initiative.name", &RESOURCE_NAME);
    }
    if let Some(dep) = &pb.deployment {
        check(
            &dep.assignment_name,
            "deployment.assignment-name",
            &RESOURCE_NAME,
        );
        check(
            &dep.management_group,
            "deployment.management-group",
            &MANAGEMENT_GROUP,
        );
        if let Some(s) = &dep.subscription {
            if !is_guid(s.get_ref()) {
                d.error(
                    at(s),
                    format!(
                        "`deployment.subscription`: `{}` is not a subscription id",
                        show(s.get_ref())
                    ),
                    "a subscription id is a GUID, e.g. 3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40",
                );
            }
        }
    }
    for key in pb.areas.keys() {
        if let Some(p) = SLUG.problem(key.get_ref()) {
            d.error(
                at(key),
                format!("area key: {p}"),
                "an area key is a slug: lower-case ASCII letters, digits and `-`, at most 64 characters (it becomes policy group names and page anchors)",
            );
        }
    }
    if let Some(i) = &pb.initiative {
        for (v, key) in [
            (&i.display_name, "initiative.display-name"),
            (&i.description, "initiative.description"),
            (&i.category, "initiative.category"),
            (&i.version, "initiative.version"),
        ] {
            if let Some(v) = v {
                if let Some(p) = text_problem(&format!("`{key}`"), v.get_ref()) {
                    d.error(at(v), p, "remove the NUL (`\\u0000`) from the text");
                }
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammars_accept_the_shipped_shapes_and_refuse_shell_text() {
        assert_eq!(CONTROL_ID.problem("AKS-01"), None);
        assert_eq!(CONTROL_ID.problem("RBAC-02"), None);
        assert_eq!(
            CONTROL_ID.problem("AKS-06$(touch${IFS}PWNED)").unwrap(),
            "control id `AKS-06$(touch${IFS}PWNED)` may not hold `$`"
        );
        assert_eq!(
            CONTROL_ID.problem("AKS-06'").unwrap(),
            "control id `AKS-06'` may not hold `'`"
        );
        assert_eq!(
            CONTROL_ID.problem("6AKS").unwrap(),
            "control id `6AKS` may not start with `6`"
        );
        assert_eq!(SLUG.problem("aks-managed-identity"), None);
        assert_eq!(
            SLUG.problem("a\nb").unwrap(),
            "name `a\\nb` may not hold `\\n`"
        );
        assert_eq!(
            SLUG.problem("a-").unwrap(),
            "name `a-` may not end with `-`"
        );
        assert!(SLUG
            .problem(&"a".repeat(65))
            .unwrap()
            .contains("65 characters"));
        assert_eq!(RESOURCE_NAME.problem("aks_identity-baseline"), None);
        assert_eq!(MANAGEMENT_GROUP.problem("Contoso.Platform(1)_x-y"), None);
        assert!(MANAGEMENT_GROUP.problem("contoso platform").is_some());
        assert!(MANAGEMENT_GROUP.problem("contoso.").is_some());
        assert_eq!(PARAMETER.problem("allowedRegistries"), None);
        assert!(PARAMETER.problem("x')]").is_some());
        assert!(is_guid("3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40"));
        assert!(!is_guid("3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40;"));
        // Only the hyphenated form, as before uuid did the parsing.
        assert!(is_guid("3F2C8A51-7D4E-4B6A-9C1F-2E8D5A7B6C40"));
        assert!(!is_guid("{3f2c8a51-7d4e-4b6a-9c1f-2e8d5a7b6c40}"));
        assert!(!is_guid("3f2c8a517d4e4b6a9c1f2e8d5a7b6c40"));
        assert!(!is_guid("3f2c8a51-7d4e-4b6a-9c1f2-e8d5a7b6c40"));
    }

    #[test]
    fn book_toml_names_are_placed_at_their_values() {
        let text = "[policybook.initiative]\nname = \"a b\"\ndisplay-name = \"x\"\ncategory = \"c\"\n\n[policybook.deployment]\nmanagement-group = \"mg 1\"\nsubscription = \"nope\"\n\n[policybook.areas.\"Bad Area\"]\ntitle = \"t\"\n";
        let d = check_book_toml(text);
        let places: Vec<String> = d.0.iter().map(|x| x.location.to_string()).collect();
        assert_eq!(
            places,
            [
                "book.toml:2:8",
                "book.toml:7:20",
                "book.toml:8:16",
                "book.toml:10:19"
            ]
        );
    }
}

//! The load-time check that rejects recursive functions among a template's
//! modules, as OPA does with `rego_recursion_error`: regorus would recurse
//! until the stack overflows. Calls are read from regorus's parsed modules;
//! recursion through rules is left to regorus, which reports it itself.

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{Expr, Rule, RuleHead};

/// A recursive function found in the modules: where its definition is and the call chain.
#[derive(Debug, Clone)]
pub(super) struct Recursion {
    /// Index of the module (in the order they were added).
    pub module: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Finds a cycle of function calls among the engine's modules (OPA rejects
/// these at compile time; regorus would recurse until the stack overflows).
/// Rules are not followed: regorus reports recursion through rules itself.
pub(super) fn find_recursion(engine: &mut regorus::Engine) -> Option<Recursion> {
    // Function path (`data.pkg.f`) → its definitions (module, line, col, rule text range).
    let mut defs: BTreeMap<String, Vec<(usize, u32, u32, String)>> = BTreeMap::new();
    let mut imports: Vec<BTreeMap<String, String>> = Vec::new();
    let mut packages: Vec<String> = Vec::new();
    for (mi, m) in engine.get_modules().iter().enumerate() {
        let pkg = ref_path(&m.package.refr).unwrap_or_default();
        let pkg = if pkg.starts_with("data.") {
            pkg
        } else {
            format!("data.{pkg}")
        };
        let mut aliases = BTreeMap::new();
        for imp in &m.imports {
            if let Some(p) = ref_path(&imp.refr) {
                let alias = match &imp.r#as {
                    Some(s) => s.text().to_string(),
                    None => p.rsplit('.').next().unwrap_or_default().to_string(),
                };
                aliases.insert(alias, p);
            }
        }
        for rule in &m.policy {
            if let Rule::Spec {
                span,
                head: RuleHead::Func { refr, .. },
                ..
            } = rule.as_ref()
            {
                let Some(name) = ref_path(refr) else { continue };
                defs.entry(format!("{pkg}.{name}")).or_default().push((
                    mi,
                    span.line,
                    span.col,
                    span.text().to_string(),
                ));
            }
        }
        imports.push(aliases);
        packages.push(pkg);
    }
    // Calls in each function's text, resolved to defined functions.
    let call =
        regex::Regex::new(r"([A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\(")
            .expect("valid regex");
    let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (f, ds) in &defs {
        for (mi, _, _, text) in ds {
            // Skip the head's name and arguments: what follows (value, bodies, `else`) calls.
            let code = strip_strings_and_comments(text);
            let body = after_arguments(&code);
            for c in call.captures_iter(body) {
                let name: String = c[1].chars().filter(|ch| !ch.is_whitespace()).collect();
                let target = resolve(&name, &packages[*mi], &imports[*mi]);
                if defs.contains_key(&target) {
                    edges.entry(f.as_str()).or_default().insert(target);
                }
            }
        }
    }
    // Depth-first search for a cycle, in path order (deterministic).
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in defs.keys() {
        let mut stack: Vec<&str> = Vec::new();
        if let Some(cycle) = dfs(start, &edges, &mut stack, &mut done) {
            let first = &defs[cycle[0].as_str()][0];
            let chain: Vec<String> = cycle
                .iter()
                .map(|p| p.trim_start_matches("data.").to_string())
                .collect();
            return Some(Recursion {
                module: first.0,
                line: first.1 as usize,
                column: first.2 as usize,
                message: format!(
                    "recursive function calls: {} (Gatekeeper rejects recursion: rego_recursion_error)",
                    chain.join(" → ")
                ),
            });
        }
    }
    None
}

fn dfs<'a>(
    node: &'a str,
    edges: &'a BTreeMap<&'a str, BTreeSet<String>>,
    stack: &mut Vec<&'a str>,
    done: &mut BTreeSet<&'a str>,
) -> Option<Vec<String>> {
    if let Some(pos) = stack.iter().position(|n| *n == node) {
        let mut cycle: Vec<String> = stack[pos..].iter().map(|s| s.to_string()).collect();
        cycle.push(node.to_string());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    stack.push(node);
    if let Some(next) = edges.get(node) {
        for n in next {
            if let Some(c) = dfs(n.as_str(), edges, stack, done) {
                return Some(c);
            }
        }
    }
    stack.pop();
    done.insert(node);
    None
}

/// The text after the first parenthesised group (a function head's arguments).
fn after_arguments(code: &str) -> &str {
    let Some(open) = code.find('(') else {
        return "";
    };
    let mut depth = 0usize;
    for (i, c) in code[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &code[open + i + 1..];
                }
            }
            _ => {}
        }
    }
    ""
}

/// `f` → `data.pkg.f`; `alias.f` → the import's path; `data.x.f` as is.
fn resolve(name: &str, pkg: &str, imports: &BTreeMap<String, String>) -> String {
    match name.split_once('.') {
        None => format!("{pkg}.{name}"),
        Some(("data", _)) => name.to_string(),
        Some((first, rest)) => match imports.get(first) {
            Some(p) => format!("{p}.{rest}"),
            None => name.to_string(),
        },
    }
}

/// `a.b.c` of a `Var` / `RefDot` chain; `None` for anything else (brackets).
fn ref_path(e: &Expr) -> Option<String> {
    match e {
        Expr::Var { value, .. } => value.as_string().ok().map(|s| s.to_string()),
        Expr::RefDot { refr, field, .. } => {
            let base = ref_path(refr)?;
            Some(format!("{base}.{}", field.1.as_string().ok()?))
        }
        _ => None,
    }
}

/// The Rego text with string literals and comments blanked (offsets kept).
fn strip_strings_and_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push(' ');
                let mut escaped = false;
                for d in chars.by_ref() {
                    out.push(if d == '\n' { '\n' } else { ' ' });
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        break;
                    }
                }
            }
            '`' => {
                out.push(' ');
                for d in chars.by_ref() {
                    out.push(if d == '\n' { '\n' } else { ' ' });
                    if d == '`' {
                        break;
                    }
                }
            }
            '#' => {
                out.push(' ');
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recursion `find_recursion` reports for a template and libs, if any.
    fn recursion(rego: &str, libs: &[&str]) -> Option<(usize, usize, usize, String)> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(true);
        engine
            .add_policy("template.rego".into(), rego.into())
            .unwrap();
        for (i, l) in libs.iter().enumerate() {
            engine
                .add_policy(format!("lib_{i}.rego"), l.to_string())
                .unwrap();
        }
        find_recursion(&mut engine).map(|r| (r.module, r.line, r.column, r.message))
    }

    const HEAD: &str = "package p\n\nviolation[{\"msg\": m}] { f(1); m := \"x\" }\n";

    #[test]
    fn self_and_mutual_recursion_are_found_at_the_first_definition() {
        let r = recursion(&format!("{HEAD}f(x) {{ f(x) }}\n"), &[]).unwrap();
        assert_eq!(
            r,
            (0, 4, 1, "recursive function calls: p.f → p.f (Gatekeeper rejects recursion: rego_recursion_error)".into())
        );
        let r = recursion(
            &format!("{HEAD}f(x) = y {{ y := g(x) }}\n\ng(x) = y {{\n  y := f(x)\n}}\n"),
            &[],
        )
        .unwrap();
        assert_eq!((r.0, r.1, r.2), (0, 4, 1));
        assert!(
            r.3.starts_with("recursive function calls: p.f → p.g → p.f "),
            "{}",
            r.3
        );
        // In an `else` branch, inside a comprehension, through the package path.
        for body in [
            "f(x) = y {{ false; y := 1 }} else = z {{ z := f(x) }}",
            "f(x) = y {{ y := [a | a := f(x)[_]] }}",
            "f(x) = y {{ y := data.p.f(x) }}",
        ] {
            let rego = format!("{HEAD}{}\n", body.replace("{{", "{").replace("}}", "}"));
            let r = recursion(&rego, &[]).unwrap_or_else(|| panic!("{body}"));
            assert_eq!((r.1, r.2), (4, 1), "{body}");
        }
    }

    #[test]
    fn recursion_through_a_library_is_found() {
        let lib = "package lib.h\n\nhelp(x) { data.p.f(x) }\n";
        let rego = "package p\n\nimport data.lib.h as helpers\n\nviolation[{\"msg\": m}] { f(1); m := \"x\" }\n\nf(x) { helpers.help(x) }\n";
        let r = recursion(rego, &[lib]).unwrap();
        assert_eq!((r.0, r.1, r.2), (1, 3, 1), "{}", r.3);
        assert!(r.3.contains("lib.h.help → p.f → lib.h.help"), "{}", r.3);
    }

    #[test]
    fn calls_that_are_not_cycles_are_accepted() {
        // A chain, a name in a string and a comment, a builtin of the same last name,
        // an `else` branch and a rule (rules are regorus's to check) are no recursion.
        let rego = format!(
            "{HEAD}f(x) = y {{ y := g(x) }} else = z {{ z := g(2) }}\n\
             g(x) = y {{ y := concat(\"f(x)\", [\"a\"]) }} # f(x)\n\
             count_all(x) = n {{ n := count(x) }}\n\
             r {{ f(1) }}\n"
        );
        assert_eq!(recursion(&rego, &[]), None);
    }
}

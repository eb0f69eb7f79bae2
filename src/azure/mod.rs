//! Azure Policy outputs: definitions, the policy set, the ARM template, the az
//! script, one assignment template per environment, the EPAC tree and the Azure
//! Landing Zones library member — all pure functions of the model.

pub mod alz;
pub mod arm;
pub mod definition;
pub mod deploy;
pub mod environments;
pub mod epac;
pub mod initiative;
pub mod shell;

use regorus::languages::azure_policy::aliases::AliasRegistry;
use regorus::languages::azure_policy::{compiler, parser};
use regorus::{Rc, Source};

pub use definition::{all_definitions, definition_json, NamedDefinition};

use crate::artifacts::{Artifacts, RuleFile};
use crate::diagnostics::Diagnostics;
use crate::model::{AliasCatalog, Bundle};
use crate::output::json_bytes;

/// The alias registry regorus compiles against, from the bundle's catalog.
pub fn alias_registry(catalog: &AliasCatalog) -> anyhow::Result<Rc<AliasRegistry>> {
    let mut reg = AliasRegistry::new();
    if !catalog.json.is_empty() {
        reg.load_from_json(&catalog.json).map_err(|e| {
            anyhow::anyhow!(
                "{}: regorus cannot load the alias catalog: {e}",
                catalog.path
            )
        })?;
    }
    Ok(Rc::new(reg))
}

/// Why regorus rejects a definition: its text as regorus prints it, and the
/// line of the definition's JSON it points at.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct CompileError {
    pub json_line: Option<u32>,
    pub text: String,
}

impl CompileError {
    /// A compiler (or source) error: regorus gives only text, so its line is read from it.
    fn from_text(name: &str, text: String) -> Self {
        let json_line = crate::regorus_errors::locate(&text)
            .place
            .filter(|(file, _, _)| file == name)
            .map(|(_, line, _)| line);
        CompileError { json_line, text }
    }
}

/// The span of a parser error: the Azure Policy parser's errors are typed.
fn parse_error_line(e: &parser::ParseError) -> Option<u32> {
    use parser::ParseError as P;
    let span = match e {
        P::Lexer(_) => return None,
        P::UnexpectedToken { span, .. }
        | P::MissingKey { span, .. }
        | P::UnrecognizedKey { span, .. }
        | P::ExtraKeysInLogical { span, .. }
        | P::LogicalOperatorNotArray { span, .. }
        | P::MissingOperator { span }
        | P::MultipleLhsOperands { span }
        | P::MissingLhsOperand { span }
        | P::ExprParse { span, .. }
        | P::MultipleCountCollections { span }
        | P::MissingCountCollection { span }
        | P::InvalidCountName { span }
        | P::MisplacedCountName { span }
        | P::MultipleOperators { span }
        | P::DuplicateKey { span, .. }
        | P::Custom { span, .. } => span,
    };
    Some(span.line)
}

/// Compiles a definition's JSON text the way the test runner does.
pub fn compile(
    name: &str,
    definition: &str,
    registry: &Rc<AliasRegistry>,
) -> Result<regorus::Rc<regorus::rvm::program::Program>, CompileError> {
    let source = Source::from_contents(name.to_string(), definition.to_string())
        .map_err(|e| CompileError::from_text(name, e.to_string()))?;
    let defn =
        parser::parse_policy_definition(&source).map_err(|e| match parse_error_line(&e) {
            Some(line) => CompileError {
                json_line: Some(line),
                text: e.to_string(),
            },
            // A lexer error carries no span, only its text.
            None => CompileError::from_text(name, e.to_string()),
        })?;
    compiler::compile_policy_definition_with_aliases(&defn, Rc::clone(registry))
        .map_err(|e| CompileError::from_text(name, e.to_string()))
}

/// Problems regorus's Azure Policy parser and compiler find in the ARM rules,
/// placed at the rule's `azure.if`.
pub fn validate(bundle: &Bundle) -> Diagnostics {
    let mut d = Diagnostics::default();
    if bundle.config.policybook.is_none() || bundle.aliases.json.is_empty() {
        return d;
    }
    let registry = match alias_registry(&bundle.aliases) {
        Ok(r) => r,
        Err(e) => {
            d.error(
                crate::diagnostics::Location::new(&bundle.aliases.path, (1, 1)),
                e.to_string(),
                "regenerate the catalog with `az provider show --expand resourceTypes/aliases`",
            );
            return d;
        }
    };
    for rule in &bundle.rules {
        let Some(a) = &rule.azure else { continue };
        let json = definition_json(bundle, rule, a);
        let text = serde_json::to_string_pretty(&json).expect("serialisable");
        if let Err(e) = compile(&rule.name, &text, &registry) {
            let (location, message) = place_compile_error(rule, &text, &e);
            d.error(
                location,
                format!("Azure Policy rejects the condition: {message}"),
                "fix the condition: one operator per condition, fully-qualified aliases, valid template expressions",
            );
        }
    }
    d
}

/// Maps a regorus error on the generated JSON back to the rule's YAML: regorus
/// names a line of the JSON; the key on that line is found under `azure.if`.
fn place_compile_error(
    rule: &crate::model::Rule,
    json: &str,
    error: &CompileError,
) -> (crate::diagnostics::Location, String) {
    let message = error
        .text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("error:"))
        .map(str::trim)
        .next()
        .unwrap_or_else(|| error.text.lines().next().unwrap_or(&error.text).trim())
        .to_string();
    let json_line = error
        .json_line
        .and_then(|n| json.lines().nth((n as usize).saturating_sub(1)));
    let key = json_line
        .and_then(|l| l.trim().strip_prefix('"'))
        .and_then(|l| l.split('"').next());
    let pos = key.and_then(|k| rule.spans.find_key("azure.if", k));
    let location = match pos {
        Some(p) => crate::diagnostics::Location::new(rule.location.file.clone(), p),
        None => rule.locate("azure.if"),
    };
    (location, message)
}

/// The files of `azure/…`, each rule's definitions marked as its own.
pub fn artifacts(bundle: &Bundle) -> Artifacts {
    let mut out = Artifacts::default();
    if bundle.config.policybook.is_none() {
        return out;
    }
    let defs = all_definitions(bundle);
    for d in &defs {
        let what = if d.json.pointer("/properties/mode").and_then(|m| m.as_str())
            == Some("Microsoft.Kubernetes.Data")
        {
            RuleFile::KubernetesDataDefinition
        } else {
            RuleFile::AzureDefinition
        };
        out.add(
            format!("azure/definitions/{}.json", d.file),
            json_bytes(&d.json),
        )
        .for_rule(&d.rule.id, what);
    }
    out.add(
        "azure/initiative.json",
        json_bytes(&initiative::initiative_json(bundle, &defs)),
    );
    out.add(
        "azure/azuredeploy.json",
        json_bytes(&arm::arm_template(bundle, &defs)),
    );
    for (file, v) in deploy::az_files(bundle, &defs) {
        out.add(format!("azure/az/{file}"), json_bytes(&v));
    }
    for (file, v) in deploy::environment_files(bundle, &defs) {
        out.add(format!("azure/az/{file}"), json_bytes(&v));
    }
    for env in &bundle.rollout.environments {
        out.add(
            format!("azure/assignments/{}.json", env.name),
            json_bytes(&environments::assignment_template(bundle, env, &defs)),
        );
    }
    out.add("azure/deploy.sh", deploy::deploy_sh(bundle, &defs))
        .set_executable();
    for (file, v) in epac::epac_files(bundle, &defs) {
        out.add(format!("azure/epac/Definitions/{file}"), json_bytes(&v));
    }
    for (file, v) in epac::environment_files(bundle, &defs) {
        out.add(format!("azure/epac/Definitions/{file}"), json_bytes(&v));
    }
    if let Some(text) = epac::global_settings(bundle) {
        out.add("azure/epac/Definitions/global-settings.jsonc", text);
    }
    for (file, v) in alz::alz_files(bundle, &defs) {
        out.add(format!("azure/alz/{file}"), json_bytes(&v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The parser's error is typed: its line comes from the span, not the text.
    #[test]
    fn a_parser_error_is_placed_by_its_span() {
        let json = "{\n  \"properties\": {\n    \"policyRule\": {\n      \"if\": {\"field\": \"type\", \"equals\": \"x\", \"bogus\": 1},\n      \"then\": {\"effect\": \"deny\"}\n    }\n  }\n}";
        let Err(e) = compile("r", json, &Rc::new(AliasRegistry::new())) else {
            panic!("an unknown key is rejected");
        };
        assert_eq!(e.json_line, Some(4), "{e}");
    }
}

//! Identities more than one output writes: the deterministic name of a rule's
//! Azure Policy definition (ARM mode and `Microsoft.Kubernetes.Data` alike) and
//! the ARM expression literals that refer to parameters by name. They live here,
//! below `azure` and `gatekeeper`, so that neither output imports the other for them.

use uuid::Uuid;

/// The namespace of definition names: UUID v5 of the DNS name `policybook`.
pub fn guid_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_DNS, b"policybook")
}

/// Deterministic definition name: UUID v5 of the namespace above and the control id.
pub fn definition_guid(control_id: &str) -> String {
    Uuid::new_v5(&guid_namespace(), control_id.as_bytes()).to_string()
}

/// An ARM (and Azure Policy) expression string literal: `'…'` with each `'`
/// doubled. Every value placed inside a `[...]` expression goes through this.
pub fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `[parameters('name')]`, the name written as a string literal.
pub fn parameters_expression(name: &str) -> String {
    format!("[parameters({})]", string_literal(name))
}

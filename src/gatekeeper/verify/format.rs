//! The gator `Suite` format as types (`test.gatekeeper.sh/v1alpha1`): a suite
//! holds tests (a template, a constraint, cases), a case holds an object file,
//! inventory files and assertions. Unknown fields and values of the wrong type
//! are rejected at their line and column, where gator would ignore them.

use serde::de::{self, Deserializer, IgnoredAny, Unexpected, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::error::SuiteFormatError;
use crate::model::ViolationCount;

/// A `kind: Suite` document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Suite {
    // Checked by `is_suite` before the suite is read as a whole.
    #[serde(rename = "kind")]
    _kind: IgnoredAny,
    #[serde(rename = "apiVersion")]
    _api_version: IgnoredAny,
    #[serde(default, rename = "metadata")]
    _metadata: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "nullable")]
    pub tests: Vec<Test>,
    /// Skips every test of the suite.
    #[serde(default, deserialize_with = "nullable")]
    pub skip: bool,
}

/// One template and constraint with the cases run against them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Test {
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// The ConstraintTemplate file, relative to the suite.
    #[serde(default, deserialize_with = "optional_text")]
    pub template: Option<String>,
    /// The constraint file, relative to the suite.
    #[serde(default, deserialize_with = "optional_text")]
    pub constraint: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub cases: Vec<Case>,
    /// The template must be rejected.
    #[serde(default, deserialize_with = "nullable")]
    pub invalid: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub skip: bool,
}

/// One object reviewed against the test's constraint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Case {
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// The object file (one object, or an AdmissionReview), relative to the suite.
    #[serde(default, deserialize_with = "optional_text")]
    pub object: Option<String>,
    /// Files whose objects make `data.inventory`.
    #[serde(default, deserialize_with = "texts")]
    pub inventory: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub assertions: Vec<Assertion>,
    #[serde(default, deserialize_with = "nullable")]
    pub skip: bool,
}

/// How many violations (whose message matches `message`, if given) there must be.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Assertion {
    /// `yes` when absent, as in gator.
    #[serde(default)]
    pub violations: Option<Violations>,
    /// A regex, unanchored.
    #[serde(default, deserialize_with = "optional_text")]
    pub message: Option<String>,
}

/// `violations:` — `yes`, `no` or a non-negative count (YAML `true`/`false`
/// read as `yes`/`no`, as policybook always has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Violations(pub ViolationCount);

impl<'de> Deserialize<'de> for Violations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Count;
        impl Visitor<'_> for Count {
            type Value = Violations;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("yes, no or a non-negative count")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Violations, E> {
                Ok(Violations(if b {
                    ViolationCount::Yes
                } else {
                    ViolationCount::No
                }))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Violations, E> {
                usize::try_from(n)
                    .map(|n| Violations(ViolationCount::Exactly(n)))
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &self))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Violations, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::invalid_value(Unexpected::Signed(n), &self)),
                }
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Violations, E> {
                match s {
                    "yes" => Ok(Violations(ViolationCount::Yes)),
                    "no" => Ok(Violations(ViolationCount::No)),
                    _ => Err(E::invalid_value(Unexpected::Str(s), &self)),
                }
            }
        }
        d.deserialize_any(Count)
    }
}

/// A field written empty (`cases:`) reads as its default, as in gator.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A YAML string, and only a string: serde_yaml would read `5` or `true` as
/// the text "5" or "true" where gator's JSON decoding rejects them.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct S;
        impl Visitor<'_> for S {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(s.to_string()))
            }
        }
        d.deserialize_any(S)
    }
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(optional_text(d)?.unwrap_or_default())
}

fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Text>::deserialize(d)?.map(|t| t.0))
}

fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Option<Vec<Text>> = Deserialize::deserialize(d)?;
    Ok(v.unwrap_or_default().into_iter().map(|t| t.0).collect())
}

/// Whether a YAML text is a gator Suite: its first document has `kind: Suite`
/// and an `apiVersion` in the `test.gatekeeper.sh` group.
pub(super) fn is_suite(text: &str) -> bool {
    // Cheap pre-check before parsing every YAML file in a tree.
    if !text.contains("Suite") || !text.contains("test.gatekeeper.sh") {
        return false;
    }
    let Some(doc) = serde_yaml::Deserializer::from_str(text).next() else {
        return false;
    };
    let Ok(v) = Value::deserialize(doc) else {
        return false;
    };
    v.get("kind").and_then(Value::as_str) == Some("Suite")
        && v.get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.split('/').next() == Some("test.gatekeeper.sh"))
}

/// Reads the first YAML document of a suite file (`file` as shown in messages).
pub(super) fn parse(file: &str, text: &str) -> Result<Suite, SuiteFormatError> {
    let doc = serde_yaml::Deserializer::from_str(text)
        .next()
        .ok_or_else(|| SuiteFormatError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: "the file holds no YAML document".into(),
        })?;
    Suite::deserialize(doc).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        // serde_yaml appends " at line N column M"; the place is printed up front.
        let text = e.to_string();
        let message = match text.find(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        SuiteFormatError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\n";

    fn err(body: &str) -> String {
        parse("s.yaml", &format!("{HEAD}{body}"))
            .expect_err("rejected")
            .to_string()
    }

    #[test]
    fn reads_counts_words_and_empty_fields() {
        let s = parse(
            "s.yaml",
            &format!("{HEAD}metadata: {{name: x}}\ntests:\n- name: t\n  template: a.yaml\n  cases:\n  - name: c\n    inventory:\n    assertions:\n    - violations: 2\n    - violations: no\n      message: m\n    - {{}}\n"),
        )
        .expect("valid");
        let c = &s.tests[0].cases[0];
        assert!(c.inventory.is_empty());
        let got: Vec<Option<Violations>> = c.assertions.iter().map(|a| a.violations).collect();
        assert_eq!(
            got,
            vec![
                Some(Violations(ViolationCount::Exactly(2))),
                Some(Violations(ViolationCount::No)),
                None
            ]
        );
    }

    #[test]
    fn a_bad_violations_value_is_placed() {
        assert_eq!(
            err("tests:\n- cases:\n  - assertions:\n    - violations: maybe\n"),
            "s.yaml:6:19: not a valid gator Suite: tests[0].cases[0].assertions[0].violations: invalid value: string \"maybe\", expected yes, no or a non-negative count"
        );
        assert_eq!(
            err("tests:\n- cases:\n  - assertions:\n    - violations: -1\n"),
            "s.yaml:6:19: not a valid gator Suite: tests[0].cases[0].assertions[0].violations: invalid value: integer `-1`, expected yes, no or a non-negative count"
        );
    }

    #[test]
    fn unknown_and_mistyped_fields_are_placed() {
        assert_eq!(
            err("tests:\n- name: t\n  cases:\n  - name: c\n    objects: o.yaml\n"),
            "s.yaml:7:5: not a valid gator Suite: tests[0].cases[0]: unknown field `objects`, expected one of `name`, `object`, `inventory`, `assertions`, `skip`"
        );
        assert_eq!(
            err("tests:\n- name: t\n  cases:\n  - name: c\n    inventory: i.yaml\n"),
            "s.yaml:7:16: not a valid gator Suite: tests[0].cases[0].inventory: invalid type: string \"i.yaml\", expected a sequence"
        );
        assert_eq!(
            err("tests:\n- name: t\n  cases:\n  - assertions:\n    - message: 5\n"),
            "s.yaml:7:16: not a valid gator Suite: tests[0].cases[0].assertions[0].message: invalid type: integer `5`, expected a string"
        );
    }
}

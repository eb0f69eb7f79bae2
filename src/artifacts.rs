//! The files the output stages make, as data: each stage (`azure`, `gatekeeper`)
//! returns its [`Artifacts`] once, `build` writes them into the staging folder and
//! hands the same set to the site, which serves a rule's own files on its policy
//! page. So data flows model → artifacts → site, and nothing is computed twice.

use std::path::Path;

use anyhow::Result;

use crate::output::write_file;

/// Files in the order the stages made them.
#[derive(Default)]
pub struct Artifacts {
    files: Vec<Artifact>,
}

/// One generated file.
pub struct Artifact {
    /// Path below the output root, `/`-separated: `azure/definitions/<name>.json`.
    pub path: String,
    pub bytes: Vec<u8>,
    /// Written with the executable bits set (`deploy.sh`).
    pub executable: bool,
    /// For a file of one rule: the rule's id and what the file is.
    pub rule: Option<(String, RuleFile)>,
}

/// What a rule's own file is (its policy page lists it as such).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleFile {
    /// The Azure Policy definition of an ARM rule.
    AzureDefinition,
    /// The `Microsoft.Kubernetes.Data` definition of a Kubernetes rule (AKS add-on).
    KubernetesDataDefinition,
    ConstraintTemplate,
    Constraint,
}

impl Artifacts {
    /// Adds the file at `path`; the returned entry can be marked further.
    pub fn add(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> &mut Artifact {
        self.files.push(Artifact {
            path: path.into(),
            bytes: bytes.into(),
            executable: false,
            rule: None,
        });
        let last = self.files.len() - 1;
        &mut self.files[last]
    }

    /// Appends another stage's files after these.
    pub fn extend(&mut self, other: Artifacts) {
        self.files.extend(other.files);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Artifact> {
        self.files.iter()
    }

    /// Writes every file below `root` in order, creating folders.
    pub fn write_to(&self, root: &Path) -> Result<()> {
        for a in &self.files {
            let path = root.join(&a.path);
            write_file(&path, &a.bytes)?;
            #[cfg(unix)]
            if a.executable {
                use anyhow::Context as _;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .with_context(|| format!("cannot make {} executable", path.display()))?;
            }
        }
        Ok(())
    }
}

impl Artifact {
    /// Marks the file as the rule `rule_id`'s own, of kind `what`.
    pub fn for_rule(&mut self, rule_id: &str, what: RuleFile) -> &mut Artifact {
        self.rule = Some((rule_id.to_string(), what));
        self
    }

    /// Marks the file as executable.
    pub fn set_executable(&mut self) -> &mut Artifact {
        self.executable = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_in_order_with_their_marks() {
        let mut a = Artifacts::default();
        a.add("x/def.json", "{}\n")
            .for_rule("AKS-001", RuleFile::AzureDefinition);
        let mut b = Artifacts::default();
        b.add("x/run.sh", "#!/bin/sh\n").set_executable();
        a.extend(b);
        let paths: Vec<&str> = a.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["x/def.json", "x/run.sh"]);
        let first = a.iter().next().unwrap();
        assert_eq!(
            first.rule,
            Some(("AKS-001".to_string(), RuleFile::AzureDefinition))
        );
        let tmp = tempfile::tempdir().unwrap();
        a.write_to(tmp.path()).unwrap();
        assert_eq!(
            std::fs::read(tmp.path().join("x/def.json")).unwrap(),
            b"{}\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &str| {
                std::fs::metadata(tmp.path().join(p))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode("x/run.sh"), 0o755);
            assert_ne!(mode("x/def.json") & 0o111, 0o111);
        }
    }
}

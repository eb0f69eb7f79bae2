//! What `check` found: each resource checked with its findings, in input
//! order, written as human text or JSON, and the exit status it implies.

#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub control_id: String,
    pub title: String,
    /// Azure effect, or the constraint's enforcementAction for Kubernetes objects.
    pub effect: String,
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ResourceResult {
    /// `file` or `file#index` of the input object.
    pub source: String,
    /// ARM type, or Kubernetes `apiVersion/kind`.
    pub kind: String,
    pub name: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct CheckResult {
    /// Every resource checked, in input order, with its findings.
    pub resources: Vec<ResourceResult>,
}

impl CheckResult {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.resources.iter().flat_map(|r| &r.findings)
    }

    fn is_deny(f: &Finding) -> bool {
        f.effect.eq_ignore_ascii_case("deny")
    }

    pub fn human(&self) -> String {
        let mut s = String::new();
        for r in &self.resources {
            s.push_str(&format!("{}: {} {}\n", r.source, r.kind, r.name));
            if r.findings.is_empty() {
                s.push_str("  ok: no control fires\n");
            }
            for f in &r.findings {
                s.push_str(&format!(
                    "  {:<8} {:<8} {}\n",
                    f.control_id, f.effect, f.title
                ));
                for m in &f.messages {
                    s.push_str(&format!("           {m}\n"));
                }
            }
        }
        let n = self.findings().count();
        let deny = self.findings().filter(|f| Self::is_deny(f)).count();
        s.push_str(&format!(
            "\n{} resource(s) checked, {n} finding(s), {deny} deny\n",
            self.resources.len()
        ));
        s
    }

    pub fn json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out).expect("writing to memory");
        out.pop(); // the final newline
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// `json()` and a newline, written as it is serialised (no copy of a large report).
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        #[derive(serde::Serialize)]
        struct Summary {
            resources: usize,
            findings: usize,
            deny: usize,
        }
        #[derive(serde::Serialize)]
        struct Report<'a> {
            summary: Summary,
            resources: &'a [ResourceResult],
        }
        let report = Report {
            summary: Summary {
                resources: self.resources.len(),
                findings: self.findings().count(),
                deny: self.findings().filter(|f| Self::is_deny(f)).count(),
            },
            resources: &self.resources,
        };
        use std::io::Write;
        let mut out = std::io::BufWriter::new(out);
        serde_json::to_writer_pretty(&mut out, &report)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// Exit status: a Deny finding fails; with `strict`, any finding does.
    pub fn fails(&self, strict: bool) -> bool {
        self.findings().any(|f| strict || Self::is_deny(f))
    }
}

//! The `policybook` command line. Parsing and printing only: the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use policybook::build::{build, load_and_validate, BuildError};
use policybook::config::LoadError;
use policybook::runner::{report, Filter};

/// One source of AKS identity rules: Azure Policy, Gatekeeper constraints, a handbook site, and tests.
#[derive(Parser)]
#[command(name = "policybook", version, about, long_about = None)]
struct Cli {
    /// Project folder (holds book.toml).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

/// `check`'s formats: also SARIF 2.1.0 and GitHub workflow annotations.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the rules, run their tests and write dist/ (Azure Policy, Gatekeeper, site).
    ///
    /// In a plain mdBook book (a book.toml without a [policybook] table) it builds the
    /// book's site into [build] build-dir (default book/), as `mdbook build` does.
    Build,
    /// Run every rule's test cases (Azure definitions on ARM samples, Rego on manifests).
    Test {
        /// Run only cases whose `<id> <rule name> <case name>` contains this text (ignoring case).
        filter: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also write a JUnit XML report to this file.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Also evaluate each rule's `builtin:` (vendored in builtins/) on its cases and say where they differ.
        #[arg(long)]
        compare_builtin: bool,
        /// Also measure coverage: Azure leaves true/false and decisive branches, Rego lines.
        #[arg(long)]
        coverage: bool,
        /// Write the coverage report as JSON to this file (implies --coverage).
        #[arg(long, value_name = "FILE")]
        coverage_json: Option<PathBuf>,
        /// Exit 1 when a rule's coverage is below this percentage (implies --coverage).
        #[arg(long, value_name = "PERCENT", value_parser = min_coverage)]
        min_coverage: Option<f64>,
    },
    /// Evaluate ARM JSON or Kubernetes manifests against the bundle.
    Check {
        /// ARM JSON (a resource, an array, a template, `az … list` output) or Kubernetes YAML.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format: sarif (SARIF 2.1.0) and github (workflow annotations) place each finding in its file.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Exit 1 on any finding, not only on Deny.
        #[arg(long)]
        strict: bool,
    },
    /// Run gator Suite files (kind: Suite) with policybook's Rego engine.
    Verify {
        /// Suite files or folders to search for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Run only tests and cases whose name matches this regex.
        #[arg(long)]
        run: Option<String>,
    },
    /// Build the site, serve it on 127.0.0.1 and rebuild on change with live reload.
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
}

/// `--min-coverage`: a percentage from 0 to 100.
fn min_coverage(s: &str) -> Result<f64, NotAPercentage> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(NotAPercentage(s.to_string())),
    }
}

/// A `--min-coverage` value clap refuses (it prints this after the flag's name).
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a percentage from 0 to 100 (e.g. 90 or 100)")]
struct NotAPercentage(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let root = cli.root;
    match cli.command {
        Command::Build => {
            let (bundle, diags) = load_and_validate(&root);
            eprint!("{diags}");
            if diags.has_errors() {
                eprintln!("{} error(s); nothing was written", diags.error_count());
                return Ok(ExitCode::from(2));
            }
            match build(&bundle) {
                Err(BuildError::Failed(e)) => Err(e),
                Err(BuildError::Diagnostics(site_diags)) => {
                    eprint!("{site_diags}");
                    eprintln!("{} error(s); nothing was written", site_diags.error_count());
                    Ok(ExitCode::from(2))
                }
                Ok(summary) => {
                    eprint!("{}", summary.site_diagnostics);
                    // Missing cases warn here; `policybook test` fails on them.
                    eprint!(
                        "{}",
                        policybook::runner::lint::missing_cases(
                            &bundle,
                            &Filter::default(),
                            policybook::diagnostics::Level::Warning
                        )
                    );
                    for n in &summary.notes {
                        eprintln!("note: {n}");
                    }
                    let r = &summary.report;
                    let out = if bundle.config.policybook.is_some() {
                        root.join(bundle.config.output_dir())
                    } else {
                        root.join(bundle.config.site_dir())
                    };
                    if bundle.config.policybook.is_none() {
                        // A plain book has no rules or tests to speak of.
                        eprintln!(
                            "built the book into {} (open {})",
                            out.display(),
                            out.join("index.html").display()
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                    eprintln!(
                        "built {} rule(s) into {} ({} test case(s): {} passed, {} failed)",
                        bundle.rules.len(),
                        out.display(),
                        r.cases.len(),
                        r.count(policybook::runner::Outcome::Pass),
                        r.cases.len()
                            - r.count(policybook::runner::Outcome::Pass)
                            - r.count(policybook::runner::Outcome::Skip),
                    );
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Test {
            filter,
            format,
            junit,
            compare_builtin,
            coverage,
            coverage_json,
            min_coverage,
        } => {
            let (bundle, diags) = load_and_validate(&root);
            eprint!("{diags}");
            if diags.has_errors() {
                eprintln!("{} error(s); no test was run", diags.error_count());
                return Ok(ExitCode::from(2));
            }
            let filter = Filter(filter);
            let mut rep = policybook::runner::run(&bundle, &filter)?;
            if compare_builtin {
                rep.builtins = policybook::runner::builtin::compare(&bundle, &rep);
            }
            let cov = if coverage || coverage_json.is_some() || min_coverage.is_some() {
                Some(policybook::runner::coverage::measure(&bundle, &filter)?)
            } else {
                None
            };
            match (format, &cov) {
                (Format::Human, _) => print!("{}", report::human(&rep)),
                (Format::Json, None) => println!("{}", report::json(&rep)),
                (Format::Json, Some(c)) => {
                    // The test report with the coverage report as its `coverage` member.
                    let mut v: serde_json::Value = serde_json::from_str(&report::json(&rep))?;
                    v["coverage"] = serde_json::to_value(c)?;
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
            }
            if let (Format::Human, Some(c)) = (format, &cov) {
                print!("{}", policybook::runner::coverage::human(c));
            }
            if compare_builtin && matches!(format, Format::Human) {
                print!("{}", report::builtins(&bundle, &rep));
            }
            if let Some(path) = junit {
                policybook::output::write_file(&path, report::junit(&rep).as_bytes())?;
            }
            if let (Some(path), Some(c)) = (coverage_json, &cov) {
                policybook::output::write_file(&path, c.json().as_bytes())?;
            }
            let mut ok = rep.all_passed();
            if let (Some(min), Some(c)) = (min_coverage, &cov) {
                let below = c.below(min);
                if !below.is_empty() {
                    ok = false;
                    eprintln!(
                        "error: coverage below --min-coverage {min}% in {} rule(s) (overall {:.1}%):",
                        below.len(),
                        c.summary.percent
                    );
                    for r in below {
                        eprintln!("  {} {:.1}% ({}) — add cases for the gaps listed under it, or declare `# coverage-exception: <why>` on a line that cannot be covered", r.id, r.percent, r.file);
                    }
                }
            }
            let lint = policybook::runner::lint::missing_cases(
                &bundle,
                &filter,
                policybook::diagnostics::Level::Error,
            );
            if lint.has_errors() {
                eprint!("{lint}");
                eprintln!(
                    "{} rule test(s) missing: every rule needs, per target, a case where it fires and one where it does not",
                    lint.error_count()
                );
            }
            Ok(if ok && !lint.has_errors() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Check {
            files,
            format,
            strict,
        } => {
            let (bundle, diags) = load_and_validate(&root);
            eprint!("{diags}");
            if diags.has_errors() {
                eprintln!(
                    "{} error(s) in the rules; nothing was checked",
                    diags.error_count()
                );
                return Ok(ExitCode::from(2));
            }
            let result = match policybook::check::check_files(&bundle, &files) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(2));
                }
            };
            match format {
                CheckFormat::Human => print!("{}", result.human()),
                CheckFormat::Json => result.write_json(&mut std::io::stdout().lock())?,
                CheckFormat::Sarif => println!(
                    "{}",
                    policybook::check::report::sarif(&result, &bundle, &files)
                ),
                CheckFormat::Github => {
                    print!("{}", policybook::check::report::github(&result, &files))
                }
            }
            Ok(if result.fails(strict) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Verify { paths, format, run } => {
            // The Rego time limit: `[policybook] rego-timeout` of the book at --root, if any.
            if root.join("book.toml").is_file() {
                match policybook::config::Config::load(&root) {
                    Ok(config) => policybook::gatekeeper::limits::apply_config(&config),
                    Err(e @ LoadError::Read { .. }) => return Err(e.into()),
                    Err(LoadError::Invalid(e)) => {
                        eprintln!(
                            "{}:{}:{}: error: {}",
                            root.join("book.toml").display(),
                            e.line,
                            e.column,
                            e.message
                        );
                        return Ok(ExitCode::from(2));
                    }
                }
            }
            let outcome = policybook::gatekeeper::verify::run(&paths, run.as_deref())?;
            match format {
                Format::Human => print!("{}", outcome.human()),
                Format::Json => println!("{}", outcome.json()),
            }
            Ok(if outcome.failed() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Serve { port } => {
            policybook::serve::serve(&root, port)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

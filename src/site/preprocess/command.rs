//! Running one preprocessor as mdBook does: its command is `command` or
//! `mdbook-<name>`, split like a shell would (no shell runs it); a bare name is
//! looked up on PATH, a path is relative to the book's root, which is also its
//! working directory. It is first asked `<command> supports html` (exit 0 = yes)
//! unless `renderers` decides, then given the book on stdin. A missing command is
//! an error, or a warning with `optional = true`. Each run is bounded in time and
//! output size.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::protocol::{request, returned_book};
use crate::diagnostics::{Diagnostics, Location};

/// How long one preprocessor run (or `supports` probe) may take.
const TIME_LIMIT: Duration = Duration::from_secs(120);
/// How much a preprocessor may print (the whole book as JSON).
const OUTPUT_LIMIT: usize = 256 << 20;

/// One `[preprocessor.<name>]` table.
pub(super) struct Pre {
    pub(super) name: String,
    pub(super) command: Option<String>,
    pub(super) optional: bool,
    pub(super) renderers: Option<Vec<String>>,
}

/// Probes and runs one preprocessor; the returned book, or None when it does not
/// run (not supported, optional and missing) or failed (an error is recorded).
pub(super) fn run_one(
    pre: &Pre,
    root: &Path,
    context: &Value,
    book: &Value,
    loc: &Location,
    d: &mut Diagnostics,
) -> Option<Value> {
    let cmd_text = pre
        .command
        .clone()
        .unwrap_or_else(|| format!("mdbook-{}", pre.name));
    let words = match split_command(&cmd_text) {
        Some(w) if !w.is_empty() => w,
        _ => {
            d.error(
                loc.clone(),
                format!(
                    "[preprocessor.{}] command `{cmd_text}` is empty or has an unclosed quote",
                    pre.name
                ),
                "give the program and its arguments, e.g. command = \"python3 tools/pre.py\"",
            );
            return None;
        }
    };
    let build = |extra: &[&str]| {
        let exe = Path::new(&words[0]);
        let mut c = if exe.components().count() == 1 {
            Command::new(exe)
        } else {
            Command::new(root.join(exe))
        };
        c.args(&words[1..]).args(extra).current_dir(root);
        c
    };
    let missing = |d: &mut Diagnostics, e: &std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            if pre.optional {
                d.warning(
                    loc.clone(),
                    format!("the command `{cmd_text}` of preprocessor `{}` was not found; it is optional, so the book is built without it", pre.name),
                    format!("install it to apply it, or remove [preprocessor.{}]", pre.name),
                );
            } else {
                d.error(
                    loc.clone(),
                    format!("the command `{cmd_text}` of preprocessor `{}` was not found: is it installed?", pre.name),
                    format!("install it (on PATH, or give `command` relative to the book's root), or set `optional = true` in [preprocessor.{}] to build without it", pre.name),
                );
            }
        } else {
            d.error(
                loc.clone(),
                format!("cannot run preprocessor `{}` (`{cmd_text}`): {e}", pre.name),
                "check the command and its permissions",
            );
        }
    };
    let runs = match &pre.renderers {
        Some(r) => r.iter().any(|x| x == "html"),
        None => {
            let mut c = build(&["supports", "html"]);
            c.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            match c.spawn() {
                Err(e) => {
                    missing(d, &e);
                    return None;
                }
                Ok(child) => match wait_bounded(child, None) {
                    Ok((status, _)) => status.success(),
                    Err(why) => {
                        d.error(
                            loc.clone(),
                            format!(
                                "preprocessor `{}` (`{cmd_text} supports html`) {why}",
                                pre.name
                            ),
                            "make `supports <renderer>` answer quickly with its exit code",
                        );
                        return None;
                    }
                },
            }
        }
    };
    if !runs {
        return None;
    }
    let input = request(context, book);
    let mut c = build(&[]);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let child = match c.spawn() {
        Ok(c) => c,
        Err(e) => {
            missing(d, &e);
            return None;
        }
    };
    let (status, stdout) = match wait_bounded(child, Some(input)) {
        Ok(r) => r,
        Err(why) => {
            d.error(
                loc.clone(),
                format!("preprocessor `{}` (`{cmd_text}`) {why}", pre.name),
                "fix the preprocessor, or remove it from book.toml",
            );
            return None;
        }
    };
    if !status.success() {
        d.error(
            loc.clone(),
            format!("preprocessor `{}` (`{cmd_text}`) failed with {status}", pre.name),
            "its messages are above; fix the preprocessor or its input, or remove it from book.toml",
        );
        return None;
    }
    returned_book(&pre.name, &stdout, loc, d)
}

/// Feeds `input` (if any), collects stdout up to `OUTPUT_LIMIT`, and waits at most
/// `TIME_LIMIT`; the child is killed when it overruns either.
fn wait_bounded(
    mut child: std::process::Child,
    input: Option<Vec<u8>>,
) -> Result<(std::process::ExitStatus, Vec<u8>), String> {
    let writer = input.and_then(|bytes| {
        let mut stdin = child.stdin.take()?;
        // A child that exits without reading closes the pipe: not an error here.
        Some(std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        }))
    });
    let reader = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let r = out.take(OUTPUT_LIMIT as u64 + 1).read_to_end(&mut buf);
            (buf, r.is_ok())
        })
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => return Err(format!("could not be waited for: {e}")),
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "did not finish within {} seconds and was stopped",
                TIME_LIMIT.as_secs()
            ));
        }
        let over = reader.as_ref().is_some_and(|r| r.is_finished());
        std::thread::sleep(Duration::from_millis(if over { 1 } else { 5 }));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = match reader {
        Some(r) => r.join().map(|(b, _)| b).unwrap_or_default(),
        None => Vec::new(),
    };
    if stdout.len() > OUTPUT_LIMIT {
        return Err(format!("printed more than {} MiB", OUTPUT_LIMIT >> 20));
    }
    Ok((status, stdout))
}

/// Splits a command line into words like a POSIX shell (quotes, backslashes), with
/// no expansion; None for an unclosed quote.
fn split_command(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match it.next()? {
                        '\'' => break,
                        x => cur.push(x),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match it.next()? {
                        '"' => break,
                        '\\' => {
                            let x = it.next()?;
                            if !matches!(x, '"' | '\\' | '$' | '`') {
                                cur.push('\\');
                            }
                            cur.push(x);
                        }
                        x => cur.push(x),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = it.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            split_command("python3 'a b.py' \"c\\\"d\" e\\ f").unwrap(),
            ["python3", "a b.py", "c\"d", "e f"]
        );
        assert!(split_command("x 'open").is_none());
    }
}

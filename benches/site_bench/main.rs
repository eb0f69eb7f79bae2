//! Site benchmark: generates N-chapter mdBook books (tables, task lists, code,
//! cross-links with anchors; see `synthetic.rs` beside this file), builds each with
//! `policybook build` (the binary Cargo builds for this bench, in the bench profile)
//! and, when `mdbook` is on PATH, with `mdbook build`, and prints wall time, peak
//! memory (the child's max RSS from wait4), output sizes and ratios. A bench binary
//! (harness = false), not part of the library.
//!
//! Usage: cargo bench --bench site-bench [-- N… --runs R --dir DIR]
//! Defaults: N = 1000 2000 5000, R = 1, DIR = target/site-bench.
//!
//! Nothing is deleted while measuring: old books and outputs are renamed into
//! `DIR/.trash-<pid>`, removed after the last measurement. On ext4 without a journal
//! a new file skips every inode freed in the last minutes of its block group
//! (`recently_deleted`), so creating M files just after deleting D costs O(M·D)
//! kernel time: deleting the previous output before each timed build made the
//! build time grow quadratically with N.

// A bench may unwrap: a panic on bad setup stops the run, which is what it should do.
#![allow(clippy::unwrap_used)]

mod synthetic;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Run {
    wall: f64,
    max_rss_kb: i64,
    ok: bool,
}

// The child is reaped by `wait4` below (for its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run(cmd: &mut Command) -> Run {
    use std::os::unix::process::ExitStatusExt;
    let start = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    // Drain stderr in a thread so the child cannot block on a full pipe.
    let mut err = child.stderr;
    let t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = err.as_mut() {
            use std::io::Read;
            let _ = e.read_to_string(&mut s);
        }
        s
    });
    let mut status: libc::c_int = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = start.elapsed().as_secs_f64();
    let stderr = t.join().unwrap_or_default();
    let ok = r == pid && std::process::ExitStatus::from_raw(status).success();
    if !ok {
        eprintln!("command failed: {stderr}");
    }
    Run {
        wall,
        max_rss_kb: ru.ru_maxrss,
        ok,
    }
}

fn dir_size(p: &Path) -> (u64, usize) {
    let mut total = 0;
    let mut files = 0;
    for e in walkdir::WalkDir::new(p).into_iter().filter_map(Result::ok) {
        if e.file_type().is_file() {
            total += e.metadata().map(|m| m.len()).unwrap_or(0);
            files += 1;
        }
    }
    (total, files)
}

/// Moves `p` (if present) into the trash folder: a rename, no inode is freed.
fn discard(p: &Path, trash: &Path) {
    if std::fs::symlink_metadata(p).is_err() {
        return;
    }
    std::fs::create_dir_all(trash).expect("create trash folder");
    for k in 0.. {
        let to = trash.join(k.to_string());
        if std::fs::symlink_metadata(&to).is_err() {
            std::fs::rename(p, &to).expect("move into trash folder");
            return;
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let mut ns: Vec<usize> = Vec::new();
    let mut runs = 1usize;
    let mut base = PathBuf::from("target/site-bench");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|s| s.parse().ok()).expect("--runs N"),
            "--dir" => base = PathBuf::from(args.next().expect("--dir DIR")),
            // `cargo bench` appends `--bench` to the bench's arguments.
            "--bench" => {}
            "-h" | "--help" => {
                println!("usage: cargo bench --bench site-bench [-- N… --runs R --dir DIR]");
                return;
            }
            n => ns.push(n.parse().expect("chapter count")),
        }
    }
    if ns.is_empty() {
        ns = vec![1000, 2000, 5000];
    }
    let policybook = PathBuf::from(env!("CARGO_BIN_EXE_policybook"));
    let mdbook = Command::new("mdbook")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    println!("policybook: {}", policybook.display());
    println!(
        "mdbook:     {}",
        mdbook
            .as_deref()
            .unwrap_or("not installed (cargo install mdbook) — skipped")
    );
    println!(
        "threads:    {} (RAYON_NUM_THREADS={})",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );
    println!();
    println!(
        "{:>6} {:>9} {:>9} {:>9} {:>10} {:>8} {:>9} {:>8} {:>9} {:>10} {:>9}",
        "N",
        "md MB",
        "pb s",
        "pb MB",
        "site MB",
        "files",
        "search MB",
        "srch/md",
        "page KB",
        "mdbook s",
        "mdbook MB"
    );
    let trash = base.join(format!(".trash-{}", std::process::id()));
    let mut prev: Option<(usize, f64)> = None;
    for &n in &ns {
        let dir = base.join(format!("book-{n}"));
        discard(&dir, &trash);
        let md_bytes = synthetic::write_book(&dir, n).expect("write book");
        let mut times = Vec::new();
        let mut rss = 0;
        for _ in 0..runs {
            discard(&dir.join("book"), &trash);
            // Start from clean page cache: no writeback of earlier output during the run.
            unsafe { libc::sync() };
            let r = run(Command::new(&policybook)
                .arg("build")
                .arg("--root")
                .arg(&dir));
            if !r.ok {
                std::process::exit(1);
            }
            times.push(r.wall);
            rss = rss.max(r.max_rss_kb);
        }
        let pb = median(times);
        let out = dir.join("book");
        let (site, files) = dir_size(&out);
        let (search, _) = dir_size(&out.join("search"));
        // Largest chapter page: nothing in it may grow with N.
        let page =
            std::fs::metadata(out.join(synthetic::chapter_path(n / 2).replace(".md", ".html")))
                .map(|m| m.len())
                .unwrap_or(0);
        let mut mdb = String::from("—");
        let mut mdb_mem = String::from("—");
        if mdbook.is_some() {
            let mut t = Vec::new();
            let mut m = 0;
            for _ in 0..runs {
                discard(&dir.join("mdbook-out"), &trash);
                unsafe { libc::sync() };
                let r = run(Command::new("mdbook").arg("build").arg(&dir).arg("-d").arg(
                    dir.join("mdbook-out")
                        .canonicalize()
                        .unwrap_or(dir.join("mdbook-out")),
                ));
                t.push(r.wall);
                m = m.max(r.max_rss_kb);
            }
            let mt = median(t);
            mdb = format!("{mt:.2} ({:.0}×)", mt / pb);
            mdb_mem = format!(
                "{:.0} ({:.1}×)",
                m as f64 / 1024.0,
                m as f64 / rss.max(1) as f64
            );
            discard(&dir.join("mdbook-out"), &trash);
        }
        println!(
            "{:>6} {:>9.1} {:>9.2} {:>9.0} {:>10.1} {:>8} {:>9.2} {:>8.2} {:>9.1} {:>10} {:>9}",
            n,
            md_bytes as f64 / 1e6,
            pb,
            rss as f64 / 1024.0,
            site as f64 / 1e6,
            files,
            search as f64 / 1e6,
            search as f64 / md_bytes as f64,
            page as f64 / 1024.0,
            mdb,
            mdb_mem
        );
        if let Some((pn, pt)) = prev {
            println!(
                "       time ×{:.2} for chapters ×{:.2}",
                pb / pt,
                n as f64 / pn as f64
            );
        }
        prev = Some((n, pb));
    }
    // Only now free the inodes (this and any earlier run's trash).
    if let Ok(rd) = std::fs::read_dir(&base) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(".trash-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

//! Bounds on Rego evaluation: a time limit per evaluation and a large stack
//! (with the load-time recursion check of `recursion`), so no template can
//! crash or hang the process.
//!
//! Time: regorus's cooperative execution timer stops the interpreter's loops;
//! `numbers.range` and `numbers.range_step`, which build a whole array in one
//! builtin call, are replaced by versions that watch the same deadline. Every
//! evaluation runs on a worker thread with a 256 MiB stack (reserved, not
//! committed; one worker per calling thread, reused); if it has not answered
//! shortly after the deadline (a builtin that cannot be interrupted), the worker
//! is abandoned and the case fails anyway.

use std::num::NonZeroU32;
use std::sync::{mpsc, RwLock};
use std::time::{Duration, Instant};

/// The time limit when book.toml sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Stack of an evaluation thread: deep (finite) recursion in the interpreter fits.
const EVAL_STACK: usize = 256 * 1024 * 1024;
/// How long past the deadline an evaluation that ignores the timer is waited for.
const GRACE: Duration = Duration::from_millis(250);
/// Marker in the error text of a time overrun (regorus's `LimitError` says the same).
const TIME_MARKER: &str = "execution exceeded time limit";

/// The limit in force and whether book.toml set it (for the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimit {
    pub duration: Duration,
    pub configured: bool,
}

impl TimeLimit {
    /// The message a case gets when an evaluation runs past the limit.
    pub fn exceeded_message(&self) -> String {
        let d = format_duration(self.duration);
        if self.configured {
            format!("evaluation exceeded the {d} limit set by [policybook] rego-timeout in book.toml; make the Rego cheaper or raise the limit")
        } else {
            format!("evaluation exceeded the {d} limit (the default); make the Rego cheaper or raise it with `rego-timeout = \"10s\"` under [policybook] in book.toml")
        }
    }
}

/// `5 s`, `1500 ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

// Process-wide, like regorus's own fallback timer: set once per load from book.toml.
static LIMIT: RwLock<Option<TimeLimit>> = RwLock::new(None);

/// Sets the limit for later evaluations (`None`: the default).
pub fn set_time_limit(configured: Option<Duration>) {
    let limit = configured.map(|duration| TimeLimit {
        duration,
        configured: true,
    });
    *LIMIT.write().unwrap_or_else(|e| e.into_inner()) = limit;
}

/// Sets the limit from `[policybook] rego-timeout` (the default when absent).
pub fn apply_config(config: &crate::config::Config) {
    set_time_limit(
        config
            .policybook
            .as_ref()
            .and_then(|p| p.rego_timeout)
            .map(|t| t.0),
    );
}

/// The limit in force.
pub fn time_limit() -> TimeLimit {
    LIMIT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or(TimeLimit {
            duration: DEFAULT_TIMEOUT,
            configured: false,
        })
}

thread_local! {
    // Deadline of the evaluation running on this thread, for the range builtins.
    static DEADLINE: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Why a bounded evaluation produced no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Overrun {
    /// Ran past the limit (the message names it).
    Time(String),
    /// The evaluation thread panicked or could not start.
    Crashed(String),
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Overrun::Time(m) | Overrun::Crashed(m) => f.write_str(m),
        }
    }
}

/// Whether a regorus error is the time limit (the timer's or the range builtins').
pub fn is_time_error(e: &anyhow::Error) -> bool {
    e.downcast_ref::<regorus::LimitError>()
        .is_some_and(|l| matches!(l, regorus::LimitError::TimeLimitExceeded { .. }))
        || format!("{e:#}").contains(TIME_MARKER)
}

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    // This thread's evaluation worker: a big-stack thread kept for reuse, since
    // spawning one per evaluation more than doubled `check` on a cluster dump.
    // It is dropped (and a fresh one started next time) when a job overruns.
    static WORKER: std::cell::RefCell<Option<mpsc::Sender<Job>>> =
        const { std::cell::RefCell::new(None) };
}

fn start_worker() -> std::io::Result<mpsc::Sender<Job>> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("rego-eval".into())
        .stack_size(EVAL_STACK)
        .spawn(move || {
            // Ends when the owning thread drops its sender.
            for job in rx {
                job();
            }
        })?;
    Ok(tx)
}

/// Runs `work` on this thread's big-stack evaluation worker with the limit in
/// force: the engine's timer is set to it (see `arm`), and the caller waits at
/// most the limit plus a grace period. A worker that overran is abandoned (it
/// finishes on its own, its result dropped) and replaced on the next call.
pub fn run_bounded<T: Send + 'static>(
    work: impl FnOnce(TimeLimit) -> T + Send + 'static,
) -> Result<T, Overrun> {
    run_bounded_n(1, work)
}

/// `run_bounded` for a job of `n` evaluations run one after the other (all the
/// templates that match one object in `check`): one hand-off to the worker
/// instead of `n`. Each evaluation restarts its own deadline (`restart_deadline`
/// and `arm`); the caller waits at most `n` limits plus the grace period.
pub fn run_bounded_n<T: Send + 'static>(
    n: usize,
    work: impl FnOnce(TimeLimit) -> T + Send + 'static,
) -> Result<T, Overrun> {
    let limit = time_limit();
    let wait = limit.duration.saturating_mul(n.max(1) as u32) + GRACE;
    let (tx, rx) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        DEADLINE.with(|d| d.set(Some(Instant::now() + limit.duration)));
        // A panic drops `tx` unsent: the caller sees `Disconnected`.
        if let Ok(out) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(limit))) {
            let _ = tx.send(out);
        }
        DEADLINE.with(|d| d.set(None));
    });
    let sent = WORKER.with(|w| -> std::io::Result<Result<(), Job>> {
        let mut w = w.borrow_mut();
        if w.is_none() {
            *w = Some(start_worker()?);
        }
        let sender = w.as_ref().expect("just set");
        Ok(sender.send(job).map_err(|e| e.0))
    });
    let failed =
        |e: std::io::Error| Overrun::Crashed(format!("could not start an evaluation thread: {e}"));
    match sent {
        Ok(Ok(())) => {}
        // The worker is gone (it cannot be, short of a bug): start a new one.
        Ok(Err(job)) => {
            let fresh = start_worker().map_err(failed)?;
            let _ = fresh.send(job);
            WORKER.with(|w| *w.borrow_mut() = Some(fresh));
        }
        Err(e) => return Err(failed(e)),
    }
    match rx.recv_timeout(wait) {
        Ok(v) => Ok(v),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            WORKER.with(|w| *w.borrow_mut() = None);
            Err(Overrun::Time(limit.exceeded_message()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Overrun::Crashed(
            "the Rego evaluation panicked (a regorus bug); the case cannot be evaluated".into(),
        )),
    }
}

/// Starts the range builtins' deadline afresh, for the next evaluation of a job.
pub fn restart_deadline(limit: TimeLimit) {
    DEADLINE.with(|d| d.set(Some(Instant::now() + limit.duration)));
}

/// Sets the engine's cooperative timer to `limit` (call inside `run_bounded`).
pub fn arm(engine: &mut regorus::Engine, limit: TimeLimit) {
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: limit.duration,
        check_interval: NonZeroU32::new(16).expect("non-zero"),
    });
}

/// Replaces `numbers.range` and `numbers.range_step` with versions that stop
/// at the deadline of the evaluation thread (regorus's build the whole array
/// without looking at the clock).
pub fn install_range_builtins(engine: &mut regorus::Engine) -> anyhow::Result<()> {
    engine.add_extension(
        "numbers.range".into(),
        2,
        Box::new(|args: Vec<regorus::Value>| range(&args[0], &args[1], None)),
    )?;
    engine.add_extension(
        "numbers.range_step".into(),
        3,
        Box::new(|args: Vec<regorus::Value>| range(&args[0], &args[1], Some(&args[2]))),
    )?;
    Ok(())
}

fn integer(v: &regorus::Value) -> Option<i64> {
    let n = v.as_number().ok()?;
    if n.is_integer() {
        n.as_i64()
    } else {
        None
    }
}

fn range(
    from: &regorus::Value,
    to: &regorus::Value,
    step: Option<&regorus::Value>,
) -> anyhow::Result<regorus::Value> {
    // Non-integers are undefined, as regorus's non-strict builtins make them.
    let (Some(a), Some(b)) = (integer(from), integer(to)) else {
        return Ok(regorus::Value::Undefined);
    };
    let step = match step {
        None => 1,
        Some(s) => match integer(s) {
            Some(s) if s > 0 => s,
            _ => return Ok(regorus::Value::Undefined),
        },
    };
    let deadline = DEADLINE.with(|d| d.get());
    let mut out = Vec::new();
    let mut i: i128 = a.into();
    let (b, step) = (i128::from(b), i128::from(step));
    let up = b >= i;
    while (up && i <= b) || (!up && i >= b) {
        out.push(regorus::Value::from(i as i64));
        if out.len().is_multiple_of(4096) && deadline.is_some_and(|d| Instant::now() > d) {
            anyhow::bail!("{TIME_MARKER} (numbers.range)");
        }
        i = if up { i + step } else { i - step };
    }
    Ok(regorus::Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_is_five_seconds_and_says_how_to_change_it() {
        assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(5));
        let d = TimeLimit {
            duration: DEFAULT_TIMEOUT,
            configured: false,
        };
        assert_eq!(d.exceeded_message(), "evaluation exceeded the 5 s limit (the default); make the Rego cheaper or raise it with `rego-timeout = \"10s\"` under [policybook] in book.toml");
        let c = TimeLimit {
            duration: Duration::from_millis(1500),
            configured: true,
        };
        assert_eq!(c.exceeded_message(), "evaluation exceeded the 1500 ms limit set by [policybook] rego-timeout in book.toml; make the Rego cheaper or raise the limit");
        // A book without the key gets the default.
        apply_config(&crate::config::Config::default());
        assert_eq!(time_limit(), d);
    }

    #[test]
    fn rego_timeout_takes_seconds_or_milliseconds() {
        let book = |v: &str| {
            crate::config::Config::parse(&format!(
                "[policybook]\nrego-timeout = {v}\n[policybook.initiative]\nname = \"n\"\ndisplay-name = \"N\"\ncategory = \"c\"\n"
            ))
            .map(|c| c.policybook.unwrap().rego_timeout.unwrap().0)
            .map_err(|e| (e.line, e.column))
        };
        assert_eq!(book("\"5s\""), Ok(Duration::from_secs(5)));
        assert_eq!(book("\"1500ms\""), Ok(Duration::from_millis(1500)));
        assert_eq!(book("\"3600s\""), Ok(Duration::from_secs(3600)));
        for bad in [
            "\"3601s\"",
            "\"0ms\"",
            "\"5\"",
            "\"1.5s\"",
            "\"-1s\"",
            "5",
            "true",
        ] {
            assert_eq!(book(bad), Err((2, 16)), "{bad}");
        }
    }

    #[test]
    fn range_builtins_keep_regorus_results() {
        let v = |a: i64| regorus::Value::from(a);
        let list = |xs: &[i64]| regorus::Value::from(xs.iter().map(|&x| v(x)).collect::<Vec<_>>());
        assert_eq!(range(&v(1), &v(4), None).unwrap(), list(&[1, 2, 3, 4]));
        assert_eq!(range(&v(3), &v(1), None).unwrap(), list(&[3, 2, 1]));
        assert_eq!(range(&v(1), &v(10), Some(&v(4))).unwrap(), list(&[1, 5, 9]));
        assert_eq!(
            range(&v(10), &v(1), Some(&v(4))).unwrap(),
            list(&[10, 6, 2])
        );
        assert_eq!(range(&v(2), &v(2), None).unwrap(), list(&[2]));
        assert_eq!(
            range(&regorus::Value::from(1.5), &v(3), None).unwrap(),
            regorus::Value::Undefined
        );
        assert_eq!(
            range(&v(1), &v(3), Some(&v(0))).unwrap(),
            regorus::Value::Undefined
        );
    }
}

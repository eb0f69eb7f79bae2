//! Connections: the accept loop, the pool that bounds them (evicting the oldest
//! one still sending its head when full, then 503), each connection's thread
//! (loopback peers only; the head read into a fixed buffer within a deadline, then
//! parsed and its host checked), and lingering after a refused head so the client
//! sees the answer.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::answer::answer;
use super::limits::{
    HEAD_DEADLINE, LINGER_BYTES, LINGER_TIME, MAX_CONNECTIONS, MAX_HEAD_BYTES, MAX_REQUEST_LINE,
    SLOT_WAIT,
};
use super::live::State;
use super::reject::Reject;
use super::request::{check_host, parse_request};
use super::respond::send_reject;

/// Counts the connection threads and remembers which connections are still sending
/// their head (idle or slow clients), so a new connection can push the oldest of them
/// out instead of waiting behind it.
struct Pool {
    inner: Mutex<PoolInner>,
    freed: Condvar,
}

impl Pool {
    /// The pool's state; the code holding the lock is a few lines that cannot
    /// panic, so the lock is never poisoned.
    fn lock(&self) -> std::sync::MutexGuard<'_, PoolInner> {
        self.inner
            .lock()
            .expect("no thread panics while holding the pool lock")
    }
}

struct PoolInner {
    active: usize,
    next_id: u64,
    /// Connections that may be dropped to make room, oldest first.
    evictable: VecDeque<(u64, TcpStream)>,
}

/// One connection's place in the pool; dropping it frees the place.
struct Slot {
    pool: Arc<Pool>,
    id: u64,
}

impl Pool {
    fn new() -> Arc<Pool> {
        Arc::new(Pool {
            inner: Mutex::new(PoolInner {
                active: 0,
                next_id: 0,
                evictable: VecDeque::new(),
            }),
            freed: Condvar::new(),
        })
    }

    /// A place for `stream`, waiting up to [`SLOT_WAIT`]; `None` when the pool stays full.
    fn acquire(self: &Arc<Pool>, stream: &TcpStream) -> Option<Slot> {
        let deadline = Instant::now() + SLOT_WAIT;
        let mut g = self.lock();
        loop {
            if g.active < MAX_CONNECTIONS {
                g.active += 1;
                let id = g.next_id;
                g.next_id += 1;
                if let Ok(clone) = stream.try_clone() {
                    g.evictable.push_back((id, clone));
                }
                return Some(Slot {
                    pool: Arc::clone(self),
                    id,
                });
            }
            // Shutting the socket down wakes its thread's blocked read, which then ends.
            if let Some((_, oldest)) = g.evictable.pop_front() {
                let _ = oldest.shutdown(Shutdown::Both);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            g = self
                .freed
                .wait_timeout(g, left)
                .expect("no thread panics while holding the pool lock")
                .0;
        }
    }
}

impl Slot {
    /// The head has arrived: this connection now does useful work and stays.
    fn keep(&self) {
        let mut g = self.pool.lock();
        g.evictable.retain(|(id, _)| *id != self.id);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut g = self.pool.lock();
        g.evictable.retain(|(id, _)| *id != self.id);
        g.active -= 1;
        self.pool.freed.notify_one();
    }
}

pub(super) fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let pool = Pool::new();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else {
            // Out of file descriptors and the like: do not spin.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let Some(slot) = pool.acquire(&stream) else {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = send_reject(&mut stream, Reject::Busy, false, state.port);
            continue;
        };
        let state = Arc::clone(&state);
        let spawned = std::thread::Builder::new()
            .name("policybook-serve".into())
            .spawn(move || handle(stream, &state, &slot));
        if spawned.is_err() {
            // The slot went down with the closure; the connection is closed.
            continue;
        }
    }
}

enum HeadError {
    /// The client went away (or was evicted): nothing to answer.
    Closed,
    Reject(Reject),
}

/// Reads the request head into a buffer of at most [`MAX_HEAD_BYTES`], within
/// [`HEAD_DEADLINE`]. Returns the bytes up to and including the blank line.
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut buf = vec![0u8; MAX_HEAD_BYTES];
    let mut len = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Reject(Reject::Timeout));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| HeadError::Closed)?;
        let n = match stream.read(&mut buf[len..]) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(HeadError::Reject(Reject::Timeout))
            }
            Err(_) => return Err(HeadError::Closed),
        };
        let from = len.saturating_sub(2);
        len += n;
        if let Some(end) = head_end(&buf[..len], from) {
            buf.truncate(end);
            return Ok(buf);
        }
        let line_done = buf[..len].contains(&b'\n');
        if !line_done && len > MAX_REQUEST_LINE {
            return Err(HeadError::Reject(Reject::UriTooLong));
        }
        if len == buf.len() {
            return Err(HeadError::Reject(Reject::HeadersTooLarge));
        }
    }
}

/// The index just after the blank line ending the head (`\n\n` or `\n\r\n`), searching
/// from `from`.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    (from.max(1)..buf.len()).find_map(|i| {
        let blank = buf[i] == b'\n'
            && (buf[i - 1] == b'\n' || (i >= 2 && buf[i - 1] == b'\r' && buf[i - 2] == b'\n'));
        blank.then_some(i + 1)
    })
}

fn handle(mut stream: TcpStream, state: &State, slot: &Slot) {
    let port = state.port;
    let loopback = stream
        .peer_addr()
        .map(|a| a.ip().is_loopback())
        .unwrap_or(false);
    if !loopback {
        let _ = send_reject(&mut stream, Reject::Forbidden, false, port);
        return;
    }
    let head = match read_head(&mut stream) {
        Ok(h) => h,
        Err(HeadError::Closed) => return,
        Err(HeadError::Reject(r)) => {
            let _ = send_reject(&mut stream, r, false, port);
            linger(&mut stream);
            return;
        }
    };
    slot.keep();
    let is_head = head.starts_with(b"HEAD ");
    let req = match parse_request(&head).and_then(|r| {
        check_host(r.host.as_deref(), port)?;
        Ok(r)
    }) {
        Ok(r) => r,
        Err(r) => {
            let _ = send_reject(&mut stream, r, is_head, port);
            return;
        }
    };
    let _ = answer(&mut stream, state, &req);
}

/// After answering a request whose head was not read to the end: stop sending, then
/// read (and drop) what the client still sends for a bounded time and amount, so it
/// receives the answer rather than a connection reset.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER_TIME;
    let mut buf = [0u8; 8192];
    let mut total = 0;
    while total < LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

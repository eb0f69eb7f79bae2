//! Every bound the server keeps: on a request's head, on connections and long
//! polls, and on how long a client may take to send or to read.

use std::time::Duration;

/// The request line and header fields together, including the blank line.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The request line alone (method, target, version).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Header fields per request.
pub const MAX_HEADERS: usize = 64;
/// Connections handled at once (one thread each).
pub const MAX_CONNECTIONS: usize = 64;
/// Of those, connections parked in the live-reload long poll.
pub const MAX_WAITERS: usize = 16;
/// The whole request head must arrive within this time.
pub(super) const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// A response must be taken by the client within this time.
pub(super) const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// How long a new connection may wait for a free slot before it gets a 503.
pub(super) const SLOT_WAIT: Duration = Duration::from_secs(1);
/// After refusing an unread head, how long and how much to keep reading (so the client
/// sees the response instead of a reset).
pub(super) const LINGER_TIME: Duration = Duration::from_secs(2);
pub(super) const LINGER_BYTES: usize = 1024 * 1024;
/// How long a long poll waits for a new build.
pub(super) const WAIT_POLL: Duration = Duration::from_secs(25);

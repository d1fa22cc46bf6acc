//! Poll timeouts from deadlines.

use std::time::Duration;

use nix::poll::PollTimeout;

/// `d` as poll(2)'s timeout: at least 1 ms (0 would not wait), at most i32::MAX ms.
pub fn timeout(d: Duration) -> PollTimeout {
    let ms = d.as_millis().clamp(1, i32::MAX as u128) as i32;
    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
}

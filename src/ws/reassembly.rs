//! Joining a message the platform split into parts (`sum` > 1, `seq` 0-based), bounded in every
//! direction: parts per message, bytes per message and in total, messages pending, and time to
//! complete. What breaks a bound is dropped (the platform pushes an unacknowledged message
//! again), never held.
//!
//! ```
//! use feishu_edge::ws::reassembly::{Part, Reassembly};
//! let mut r = Reassembly::default();
//! assert_eq!(r.add(Part { message_id: "m1", sum: 2, seq: 1, bytes: b"lo" }, 0), Ok(None));
//! assert_eq!(r.add(Part { message_id: "m1", sum: 2, seq: 0, bytes: b"hel" }, 5), Ok(Some(b"hello".to_vec())));
//! ```

use std::collections::HashMap;

/// The most parts one message may have.
pub const MAX_PARTS: u64 = 64;
/// The most bytes one joined message may have: the long connection's one event size rule.
pub const MAX_MESSAGE_BYTES: usize = crate::config::MAX_TRUSTED_EVENT_BYTES;
/// The most bytes held across all incomplete messages.
pub const MAX_PENDING_BYTES: usize = 16 << 20;
/// The most incomplete messages held at once.
pub const MAX_PENDING_MESSAGES: usize = 64;
/// How long an incomplete message is kept (ms).
pub const COMPLETE_WITHIN_MS: u64 = 10_000;

/// One received part.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// `message_id` header.
    pub message_id: &'a str,
    /// `sum` header: how many parts.
    pub sum: u64,
    /// `seq` header: this part's index.
    pub seq: u64,
    /// The part's payload.
    pub bytes: &'a [u8],
}

/// Why a part was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// `sum` is 0, above [`MAX_PARTS`], or `seq` is not below it; or a part's `sum` differs
    /// from the first part's.
    BadIndex,
    /// The message would exceed [`MAX_MESSAGE_BYTES`].
    MessageTooLarge,
    /// Holding it would exceed [`MAX_PENDING_BYTES`] or [`MAX_PENDING_MESSAGES`].
    TooMuchPending,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dropped::BadIndex => "a part whose sum/seq is impossible",
            Dropped::MessageTooLarge => "a message larger than the limit",
            Dropped::TooMuchPending => "too many incomplete messages",
        })
    }
}

struct Partial {
    parts: Vec<Option<Vec<u8>>>,
    bytes: usize,
    started: u64,
}

/// Incomplete messages by id.
#[derive(Default)]
pub struct Reassembly {
    pending: HashMap<String, Partial>,
    bytes: usize,
}

impl Reassembly {
    /// Adds a part at `now_ms`: the joined message when it was the last one missing.
    pub fn add(&mut self, part: Part<'_>, now_ms: u64) -> Result<Option<Vec<u8>>, Dropped> {
        self.expire(now_ms);
        if part.sum == 0 || part.sum > MAX_PARTS || part.seq >= part.sum {
            return Err(Dropped::BadIndex);
        }
        if part.bytes.len() > MAX_MESSAGE_BYTES {
            return Err(Dropped::MessageTooLarge);
        }
        if part.sum == 1 {
            return Ok(Some(part.bytes.to_vec()));
        }
        if !self.pending.contains_key(part.message_id) && self.pending.len() >= MAX_PENDING_MESSAGES
        {
            return Err(Dropped::TooMuchPending);
        }
        if self.bytes + part.bytes.len() > MAX_PENDING_BYTES {
            return Err(Dropped::TooMuchPending);
        }
        let entry = self
            .pending
            .entry(part.message_id.to_string())
            .or_insert_with(|| Partial {
                parts: vec![None; part.sum as usize],
                bytes: 0,
                started: now_ms,
            });
        if entry.parts.len() as u64 != part.sum {
            return Err(Dropped::BadIndex);
        }
        if entry.bytes + part.bytes.len() > MAX_MESSAGE_BYTES {
            let gone = entry.bytes;
            self.pending.remove(part.message_id);
            self.bytes -= gone;
            return Err(Dropped::MessageTooLarge);
        }
        let Some(slot) = entry.parts.get_mut(part.seq as usize) else {
            return Err(Dropped::BadIndex);
        };
        // A repeated part replaces the earlier copy.
        let previous = slot.replace(part.bytes.to_vec()).map_or(0, |p| p.len());
        entry.bytes = entry.bytes - previous + part.bytes.len();
        self.bytes = self.bytes - previous + part.bytes.len();
        if entry.parts.iter().any(Option::is_none) {
            return Ok(None);
        }
        let Some(done) = self.pending.remove(part.message_id) else {
            return Ok(None);
        };
        self.bytes -= done.bytes;
        let mut joined = Vec::with_capacity(done.bytes);
        for p in done.parts.into_iter().flatten() {
            joined.extend_from_slice(&p);
        }
        Ok(Some(joined))
    }

    /// Drops what did not complete within [`COMPLETE_WITHIN_MS`]; returns how many.
    pub fn expire(&mut self, now_ms: u64) -> usize {
        let before = self.pending.len();
        let mut freed = 0;
        self.pending.retain(|_, p| {
            let keep = now_ms.saturating_sub(p.started) < COMPLETE_WITHIN_MS;
            if !keep {
                freed += p.bytes;
            }
            keep
        });
        self.bytes -= freed;
        before - self.pending.len()
    }

    /// When the oldest incomplete message expires.
    pub fn next_expiry(&self) -> Option<u64> {
        self.pending
            .values()
            .map(|p| p.started + COMPLETE_WITHIN_MS)
            .min()
    }

    /// Bytes held (for tests and status).
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// Forgets everything (a new connection).
    pub fn clear(&mut self) {
        self.pending.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part<'a>(id: &'a str, sum: u64, seq: u64, bytes: &'a [u8]) -> Part<'a> {
        Part {
            message_id: id,
            sum,
            seq,
            bytes,
        }
    }

    #[test]
    fn bounds_hold() {
        let mut r = Reassembly::default();
        assert_eq!(r.add(part("a", 0, 0, b"x"), 0), Err(Dropped::BadIndex));
        assert_eq!(r.add(part("a", 2, 2, b"x"), 0), Err(Dropped::BadIndex));
        assert_eq!(
            r.add(part("a", MAX_PARTS + 1, 0, b"x"), 0),
            Err(Dropped::BadIndex)
        );
        assert_eq!(r.add(part("a", 3, 0, b"x"), 0), Ok(None));
        assert_eq!(
            r.add(part("a", 4, 1, b"x"), 0),
            Err(Dropped::BadIndex),
            "sum changed"
        );
        // A flood of incomplete messages is capped.
        for i in 0..MAX_PENDING_MESSAGES * 2 {
            let _ = r.add(part(&format!("m{i}"), 2, 0, b"y"), 1);
        }
        assert!(r.pending.len() <= MAX_PENDING_MESSAGES);
        // They expire after ten seconds.
        assert!(r.expire(COMPLETE_WITHIN_MS + 1) > 0);
        assert_eq!((r.pending.len(), r.pending_bytes()), (0, 0));
        // A message too large is dropped whole.
        let big = vec![0u8; MAX_MESSAGE_BYTES / 2 + 1];
        assert_eq!(r.add(part("b", 2, 0, &big), 0), Ok(None));
        assert_eq!(
            r.add(part("b", 2, 1, &big), 0),
            Err(Dropped::MessageTooLarge)
        );
        assert_eq!(r.pending_bytes(), 0);
        // Out of order and repeated parts join correctly.
        assert_eq!(r.add(part("c", 3, 2, b"!"), 0), Ok(None));
        assert_eq!(r.add(part("c", 3, 0, b"h"), 0), Ok(None));
        assert_eq!(r.add(part("c", 3, 0, b"H"), 0), Ok(None));
        assert_eq!(r.add(part("c", 3, 1, b"i"), 0), Ok(Some(b"Hi!".to_vec())));
        assert_eq!(r.pending_bytes(), 0);
    }
}

//! The handle arena: credentials and contexts handed to C as `SecHandle`s.
//!
//! A handle never carries a pointer. `dwLower` holds a magic number, the
//! arena's type tag and the slot's generation; `dwUpper` holds a per-process
//! random key and the slot index. A lookup succeeds only when all of them
//! match a live slot, so a stale, forged, zeroed, `{-1,-1}`, freed or
//! wrong-type handle is rejected, and freeing twice finds nothing to free.
//!
//! Slots are spread over shards, each behind its own `RwLock`; a lookup takes
//! one shard's read lock just long enough to clone an `Arc`, so threads
//! working on different contexts never wait on one global lock.
//!
//! The shards live inline in the static (no heap until a handle is made), so
//! that `clear` can give every byte back when the library is unloaded.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;

use crate::abi::types::SecHandle;

#[cfg(not(target_pointer_width = "64"))]
compile_error!("opensspi's handle encoding assumes a 64-bit ULONG_PTR");

const SHARDS: usize = 64;
const MAGIC: u64 = 0x5353; // "SS"

/// What a handle names; part of the encoding, so that a context handle
/// passed where a credential is expected is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HandleKind {
    Credentials = 0xC1,
    Context = 0xC7,
}

struct Slot<T> {
    generation: u32,
    value: Option<Arc<T>>,
}

struct Shard<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
}

impl<T> Shard<T> {
    const fn new() -> Self {
        Shard {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

/// A thread-safe, generation-checked table of `Arc<T>`.
pub struct Arena<T> {
    kind: HandleKind,
    /// The per-process random key, drawn on first use.
    key: OnceLock<u32>,
    next: AtomicUsize,
    shards: [RwLock<Shard<T>>; SHARDS],
}

fn process_key() -> u32 {
    // std seeds RandomState from the operating system's random source.
    let mut h = RandomState::new().build_hasher();
    h.write_u32(0x5353_5049);
    (h.finish() >> 16) as u32 | 1
}

impl<T> Arena<T> {
    /// An empty arena for handles of `kind` (no allocation).
    pub const fn new(kind: HandleKind) -> Self {
        Self {
            kind,
            key: OnceLock::new(),
            next: AtomicUsize::new(0),
            shards: [const { RwLock::new(Shard::new()) }; SHARDS],
        }
    }

    fn key(&self) -> u32 {
        *self.key.get_or_init(process_key)
    }

    /// Drops every handle and frees the arena's memory: for unloading. A
    /// value still in use by a call elsewhere lives on until that call
    /// ends (it holds an `Arc`); its handle is invalid from now on.
    pub fn clear(&self) {
        for shard in &self.shards {
            let taken = {
                let mut s = shard.write();
                (std::mem::take(&mut s.slots), std::mem::take(&mut s.free))
            };
            // Values are dropped outside the lock.
            drop(taken);
        }
    }

    fn encode(&self, shard: usize, local: u32, generation: u32) -> SecHandle {
        let index = u64::from(local) * SHARDS as u64 + shard as u64;
        let lower = (MAGIC << 48) | (u64::from(self.kind as u8) << 40) | u64::from(generation);
        let upper = (u64::from(self.key()) << 32) | index;
        SecHandle {
            dwLower: lower as usize,
            dwUpper: upper as usize,
        }
    }

    fn decode(&self, h: SecHandle) -> Option<(usize, usize, u32)> {
        let lower = h.dwLower as u64;
        let upper = h.dwUpper as u64;
        if lower >> 48 != MAGIC
            || (lower >> 40) & 0xFF != u64::from(self.kind as u8)
            || (lower >> 32) & 0xFF != 0
        {
            return None;
        }
        if (upper >> 32) as u32 != self.key() {
            return None;
        }
        let index = (upper & 0xFFFF_FFFF) as usize;
        Some((index % SHARDS, index / SHARDS, lower as u32))
    }

    /// Stores `value` and returns its new handle.
    pub fn insert(&self, value: Arc<T>) -> SecHandle {
        let shard = self.next.fetch_add(1, Ordering::Relaxed) % SHARDS;
        let mut s = self.shards[shard].write();
        let (local, generation) = match s.free.pop() {
            Some(local) => {
                let slot = &mut s.slots[local as usize];
                slot.value = Some(value);
                (local, slot.generation)
            }
            None => {
                let local = s.slots.len() as u32;
                s.slots.push(Slot {
                    generation: 1,
                    value: Some(value),
                });
                (local, 1)
            }
        };
        self.encode(shard, local, generation)
    }

    /// The live value a handle names, or `None` for any invalid handle.
    pub fn get(&self, h: SecHandle) -> Option<Arc<T>> {
        let (shard, local, generation) = self.decode(h)?;
        let s = self.shards[shard].read();
        let slot = s.slots.get(local)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.clone()
    }

    /// Removes the value a handle names; the handle (and every copy of it)
    /// is invalid afterwards. The value lives on while other `Arc`s hold it.
    pub fn remove(&self, h: SecHandle) -> Option<Arc<T>> {
        let (shard, local, generation) = self.decode(h)?;
        let mut s = self.shards[shard].write();
        let slot = s.slots.get_mut(local)?;
        if slot.generation != generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = match slot.generation.wrapping_add(1) {
            0 => 1,
            g => g,
        };
        s.free.push(local as u32);
        Some(value)
    }

    /// How many handles are live.
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().slots.iter().filter(|x| x.value.is_some()).count())
            .sum()
    }
}

/// A handle as the trace shows it: `#INDEX.GENERATION` (the arena slot and
/// its generation; never the per-process key, never a pointer), `NULL`, or
/// `invalid` for one no arena could have made.
pub struct Id(pub Option<SecHandle>);

impl core::fmt::Display for Id {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Some(h) = self.0 else {
            return f.write_str("NULL");
        };
        let (lower, upper) = (h.dwLower as u64, h.dwUpper as u64);
        if lower >> 48 != MAGIC || (lower >> 32) & 0xFF != 0 {
            return f.write_str("invalid");
        }
        write!(f, "#{}.{}", upper & 0xFFFF_FFFF, lower as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove() {
        let a: Arena<u32> = Arena::new(HandleKind::Context);
        let h = a.insert(Arc::new(7));
        assert_eq!(*a.get(h).unwrap(), 7);
        assert_eq!(*a.remove(h).unwrap(), 7);
        assert!(a.get(h).is_none());
        assert!(a.remove(h).is_none(), "double free finds nothing");
        // The slot is reused with a new generation: the old handle stays dead.
        let h2 = a.insert(Arc::new(8));
        assert_ne!(h, h2);
        assert!(a.get(h).is_none());
        assert_eq!(*a.get(h2).unwrap(), 8);
    }

    #[test]
    fn rejects_forged_handles() {
        let a: Arena<u32> = Arena::new(HandleKind::Credentials);
        let h = a.insert(Arc::new(1));
        for bad in [
            SecHandle {
                dwLower: 0,
                dwUpper: 0,
            },
            SecHandle {
                dwLower: usize::MAX,
                dwUpper: usize::MAX,
            },
            SecHandle {
                dwLower: h.dwLower,
                dwUpper: h.dwUpper ^ (1 << 40),
            },
            SecHandle {
                dwLower: h.dwLower + 1,
                dwUpper: h.dwUpper,
            },
            SecHandle {
                dwLower: h.dwLower,
                dwUpper: h.dwUpper + 64 * 1000,
            },
        ] {
            assert!(a.get(bad).is_none(), "{bad:?}");
        }
        let other: Arena<u32> = Arena::new(HandleKind::Context);
        assert!(other.get(h).is_none(), "wrong kind");
    }

    #[test]
    fn ids_show_slot_and_generation_only() {
        let a: Arena<u32> = Arena::new(HandleKind::Context);
        let h = a.insert(Arc::new(1));
        let shown = Id(Some(h)).to_string();
        assert_eq!(shown, format!("#{}.1", h.dwUpper as u64 & 0xFFFF_FFFF));
        assert!(!shown.contains(&format!("{:x}", h.dwUpper)));
        assert_eq!(Id(None).to_string(), "NULL");
        let forged = SecHandle {
            dwLower: 7,
            dwUpper: 7,
        };
        assert_eq!(Id(Some(forged)).to_string(), "invalid");
    }

    #[test]
    fn many_threads() {
        let a: Arc<Arena<usize>> = Arc::new(Arena::new(HandleKind::Context));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let a = a.clone();
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        let h = a.insert(Arc::new(t * 10000 + i));
                        assert_eq!(*a.get(h).unwrap(), t * 10000 + i);
                        assert!(a.remove(h).is_some());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(a.live(), 0);
    }
}

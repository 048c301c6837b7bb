//! The environment the protocol needs, injected so that the core stays
//! deterministic under test: randomness and the current time.

use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::{SecureRandom, SystemRandom};

use super::error::Error;

/// FILETIME of the Unix epoch: 100-ns intervals from 1601-01-01 to 1970-01-01.
pub const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

/// Randomness and time for the state machines.
pub trait Env {
    /// Fills `buf` with cryptographically secure random bytes. An error
    /// means no randomness could be had; the handshake then fails.
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error>;
    /// The current time as a Windows FILETIME (100-ns units since 1601).
    fn now_filetime(&self) -> u64;
}

/// The real environment: the operating system's random generator and clock.
#[derive(Debug)]
pub struct SystemEnv {
    rng: SystemRandom,
}

impl SystemEnv {
    /// A new system environment.
    pub fn new() -> Self {
        SystemEnv {
            rng: SystemRandom::new(),
        }
    }
}

impl Default for SystemEnv {
    fn default() -> Self {
        SystemEnv::new()
    }
}

impl Env for SystemEnv {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        self.rng.fill(buf).map_err(|_| Error::Internal)
    }

    fn now_filetime(&self) -> u64 {
        // A clock before 1970 is reported as 1970.
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let ticks = since_epoch
            .as_secs()
            .saturating_mul(10_000_000)
            .saturating_add(u64::from(since_epoch.subsec_nanos() / 100));
        UNIX_EPOCH_FILETIME.saturating_add(ticks)
    }
}

/// A deterministic environment for tests: returns scripted random bytes
/// (then a counter pattern) and a fixed time.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct FixedEnv {
    /// Bytes handed out by `random`, in order.
    pub script: Vec<u8>,
    /// How many scripted bytes were used.
    pub used: usize,
    /// What `now_filetime` returns.
    pub time: u64,
    counter: u8,
}

#[cfg(test)]
impl FixedEnv {
    /// An environment that hands out `script` first.
    pub fn new(script: &[u8], time: u64) -> Self {
        FixedEnv {
            script: script.to_vec(),
            used: 0,
            time,
            counter: 0,
        }
    }
}

#[cfg(test)]
impl Env for FixedEnv {
    fn random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf.iter_mut() {
            *b = match self.script.get(self.used) {
                Some(&v) => {
                    self.used += 1;
                    v
                }
                None => {
                    self.counter = self.counter.wrapping_add(1);
                    self.counter
                }
            };
        }
        Ok(())
    }

    fn now_filetime(&self) -> u64 {
        self.time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_env_gives_randomness_and_a_plausible_time() {
        let mut env = SystemEnv::new();
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        env.random(&mut a).expect("random");
        env.random(&mut b).expect("random");
        assert_ne!(a, b);
        // After 2020-01-01 (FILETIME 132223104000000000).
        assert!(env.now_filetime() > 132_223_104_000_000_000);
    }

    #[test]
    fn fixed_env_is_scripted() {
        let mut env = FixedEnv::new(&[9, 8], 42);
        let mut buf = [0u8; 4];
        env.random(&mut buf).expect("random");
        assert_eq!(buf, [9, 8, 1, 2]);
        assert_eq!(env.now_filetime(), 42);
    }
}

//! The environment packages need from the system, in one place that tests
//! replace: randomness, the clock, the host name, environment variables and
//! credential files.
//!
//! Packages never call the operating system for these: the ABI hands each
//! call the system's environment (`SystemEnv`) through `StepInput::env` and
//! `AcquireRequest::env`, and tests hand a `FixedEnv`.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

pub use crate::trace::Level;

/// No random bytes could be had (the handshake then fails).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoRandomness;

/// What a package may ask of the system.
pub trait Env {
    /// Fills `buf` with cryptographically secure random bytes.
    fn random(&self, buf: &mut [u8]) -> Result<(), NoRandomness>;
    /// The current time as a Windows FILETIME (100-ns units since 1601).
    fn now_filetime(&self) -> u64;
    /// This machine's host name (`localhost` when it has none).
    fn host_name(&self) -> String;
    /// The process's real user id (MIT's default credential cache is
    /// `/tmp/krb5cc_<uid>`).
    fn user_id(&self) -> u32;
    /// An environment variable (MIT's and gss-ntlmssp's conventions:
    /// `NTLM_USER_FILE`, `KRB5_CONFIG`, `KRB5CCNAME`, ...).
    fn var(&self, name: &str) -> Option<OsString>;
    /// A whole file's bytes (credential files), `None` when unreadable or
    /// longer than `MAX_FILE`. The bytes are wiped when dropped.
    fn read_file(&self, path: &Path) -> Option<Zeroizing<Vec<u8>>>;
    /// Whether trace lines of `level` about `package` are wanted: ask
    /// before formatting one.
    fn tracing(&self, level: Level, package: &str) -> bool;
    /// Writes a trace line about `package`; at `Level::Errors`, the cause
    /// of a failure, in words. Never pass a secret (see `crate::trace`).
    fn trace(&self, level: Level, package: &str, line: fmt::Arguments<'_>);
    /// The certificate authorities TLS trusts (Schannel, the KDC proxy):
    /// none unless the environment provides a store.
    fn trust_roots(&self) -> Arc<rustls::RootCertStore> {
        Arc::new(rustls::RootCertStore::empty())
    }
}

/// The longest file `Env::read_file` reads (1 MiB): a credential file is
/// read on every logon, and a huge one must not stall each of them.
pub const MAX_FILE: u64 = 1024 * 1024;

/// The operating system's random generator, clock, host name, environment
/// and files.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemEnv;

impl Env for SystemEnv {
    fn random(&self, buf: &mut [u8]) -> Result<(), NoRandomness> {
        source::random(buf)
    }

    fn now_filetime(&self) -> u64 {
        source::now_filetime()
    }

    fn host_name(&self) -> String {
        // Cached inline (no heap, so unloading has nothing to free).
        static NAME: std::sync::OnceLock<([u8; 256], usize)> = std::sync::OnceLock::new();
        let (buf, len) = NAME.get_or_init(|| {
            let mut buf = [0u8; 256];
            // SAFETY: `buf` is writable for its length; gethostname writes
            // at most that many bytes.
            let rc = unsafe { gethostname(buf.as_mut_ptr().cast(), buf.len()) };
            let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            (buf, if rc == 0 { len } else { 0 })
        });
        match std::str::from_utf8(&buf[..*len]) {
            Ok(name) if !name.is_empty() => name.to_owned(),
            _ => "localhost".to_owned(),
        }
    }

    fn user_id(&self) -> u32 {
        // SAFETY: getuid takes nothing and cannot fail.
        unsafe { getuid() }
    }

    fn var(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }

    fn read_file(&self, path: &Path) -> Option<Zeroizing<Vec<u8>>> {
        let file = std::fs::File::open(path).ok()?;
        // Room for the whole file up front, so that no secret is left behind
        // in a buffer that growing would free without wiping.
        let size = file.metadata().ok()?.len().min(MAX_FILE) + 1;
        let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).ok()?));
        // One byte more than the limit tells a file that is too long.
        file.take(MAX_FILE + 1).read_to_end(&mut bytes).ok()?;
        (bytes.len() as u64 <= MAX_FILE).then_some(bytes)
    }

    fn tracing(&self, level: Level, package: &str) -> bool {
        crate::trace::wants(level, package)
    }

    fn trace(&self, level: Level, package: &str, line: fmt::Arguments<'_>) {
        crate::trace::line(level, package, line);
    }

    /// The platform's store through rustls-native-certs (SSL_CERT_FILE and
    /// SSL_CERT_DIR when set, as OpenSSL's users expect), loaded once per
    /// value of those two variables: reading /etc/ssl/certs takes
    /// milliseconds, too long for every handshake.
    fn trust_roots(&self) -> Arc<rustls::RootCertStore> {
        type Cached = Option<(
            (Option<OsString>, Option<OsString>),
            Arc<rustls::RootCertStore>,
        )>;
        static CACHE: parking_lot::Mutex<Cached> = parking_lot::Mutex::new(None);
        let key = (self.var("SSL_CERT_FILE"), self.var("SSL_CERT_DIR"));
        let mut cache = CACHE.lock();
        if let Some((k, roots)) = &*cache {
            if *k == key {
                return roots.clone();
            }
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let roots = Arc::new(roots);
        *cache = Some((key, roots.clone()));
        roots
    }
}

/// The operating system's randomness and clock.
#[cfg(not(feature = "fuzzing"))]
mod source {
    use super::NoRandomness;
    use ring::rand::{SecureRandom, SystemRandom};
    use std::sync::OnceLock;
    use std::time::{SystemTime, UNIX_EPOCH};

    /// FILETIME of the Unix epoch: 100-ns intervals from 1601-01-01 to 1970-01-01.
    const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

    pub fn random(buf: &mut [u8]) -> Result<(), NoRandomness> {
        static RNG: OnceLock<SystemRandom> = OnceLock::new();
        RNG.get_or_init(SystemRandom::new)
            .fill(buf)
            .map_err(|_| NoRandomness)
    }

    pub fn now_filetime() -> u64 {
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

/// Fuzzing only: predictable "randomness" (a counter that `reset` rewinds)
/// and a fixed clock, so that a fuzz input replays exactly. Never in a
/// shipped build.
#[cfg(feature = "fuzzing")]
pub mod deterministic {
    use super::NoRandomness;
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT: AtomicU64 = AtomicU64::new(0);

    /// Starts the sequence again.
    pub fn reset() {
        NEXT.store(0, Ordering::Relaxed);
    }

    /// The next bytes of the sequence (a counter, mixed).
    pub fn random(buf: &mut [u8]) -> Result<(), NoRandomness> {
        for b in buf {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            *b = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8;
        }
        Ok(())
    }

    /// 2024-01-01 as a FILETIME.
    pub fn now_filetime() -> u64 {
        133_485_408_000_000_000
    }
}

#[cfg(feature = "fuzzing")]
use deterministic as source;

extern "C" {
    fn gethostname(name: *mut std::ffi::c_char, len: usize) -> std::ffi::c_int;
    fn getuid() -> u32;
}

/// A deterministic environment for tests: scripted random bytes (then a
/// counter pattern), a fixed time and host name, given variables, files
/// and TLS trust roots.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct FixedEnv {
    random: std::sync::Mutex<(Vec<u8>, usize, u8)>,
    /// What `now_filetime` returns.
    pub time: u64,
    /// What `host_name` returns.
    pub host: String,
    /// The environment variables, by name.
    pub vars: Vec<(String, OsString)>,
    /// The files, by path.
    pub files: Vec<(std::path::PathBuf, Vec<u8>)>,
    /// Every trace line written, as `LEVEL PACKAGE text`.
    pub traced: std::sync::Mutex<Vec<String>>,
    /// What `trust_roots` returns (none by default).
    pub roots: Option<Arc<rustls::RootCertStore>>,
}

#[cfg(test)]
impl FixedEnv {
    /// An environment that hands out `script` first, at `time`.
    pub fn new(script: &[u8], time: u64) -> Self {
        FixedEnv {
            random: std::sync::Mutex::new((script.to_vec(), 0, 0)),
            time,
            host: "testhost".into(),
            ..FixedEnv::default()
        }
    }

    /// How many scripted bytes `random` has handed out.
    pub fn used(&self) -> usize {
        self.random.lock().map(|r| r.1).unwrap_or_default()
    }

    /// The trace lines written so far.
    pub fn traced(&self) -> Vec<String> {
        self.traced.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
impl Env for FixedEnv {
    fn random(&self, buf: &mut [u8]) -> Result<(), NoRandomness> {
        let mut state = self.random.lock().map_err(|_| NoRandomness)?;
        let (script, used, counter) = &mut *state;
        for b in buf.iter_mut() {
            *b = match script.get(*used) {
                Some(&v) => {
                    *used += 1;
                    v
                }
                None => {
                    *counter = counter.wrapping_add(1);
                    *counter
                }
            };
        }
        Ok(())
    }

    fn now_filetime(&self) -> u64 {
        self.time
    }

    fn host_name(&self) -> String {
        self.host.clone()
    }

    fn user_id(&self) -> u32 {
        1000
    }

    fn var(&self, name: &str) -> Option<OsString> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn read_file(&self, path: &Path) -> Option<Zeroizing<Vec<u8>>> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| Zeroizing::new(b.clone()))
    }

    fn tracing(&self, _: Level, _: &str) -> bool {
        true
    }

    fn trace(&self, level: Level, package: &str, line: fmt::Arguments<'_>) {
        if let Ok(mut lines) = self.traced.lock() {
            lines.push(format!("{level:?} {package} {line}"));
        }
    }

    fn trust_roots(&self) -> Arc<rustls::RootCertStore> {
        self.roots
            .clone()
            .unwrap_or_else(|| Arc::new(rustls::RootCertStore::empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_env_gives_randomness_a_plausible_time_and_a_name() {
        let env = SystemEnv;
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        env.random(&mut a).expect("random");
        env.random(&mut b).expect("random");
        assert_ne!(a, b);
        // After 2020-01-01 (FILETIME 132223104000000000).
        assert!(env.now_filetime() > 132_223_104_000_000_000);
        assert!(!env.host_name().is_empty());
        assert_eq!(env.read_file(Path::new("/nonexistent/opensspi")), None);
    }

    #[test]
    fn files_are_read_up_to_the_limit() {
        let dir = std::env::temp_dir().join(format!("opensspi-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let at_limit = dir.join("at-limit");
        let over = dir.join("over");
        std::fs::write(&at_limit, vec![b'a'; MAX_FILE as usize]).expect("write");
        std::fs::write(&over, vec![b'a'; MAX_FILE as usize + 1]).expect("write");
        let read = SystemEnv.read_file(&at_limit).expect("read");
        assert_eq!(read.len() as u64, MAX_FILE);
        assert_eq!(SystemEnv.read_file(&over), None);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn fixed_env_is_scripted() {
        let mut env = FixedEnv::new(&[9, 8], 42);
        env.vars.push(("NTLM_USER_FILE".into(), "/users".into()));
        env.files.push(("/users".into(), b"D:u:p\n".to_vec()));
        let mut buf = [0u8; 4];
        env.random(&mut buf).expect("random");
        assert_eq!(buf, [9, 8, 1, 2]);
        assert_eq!(env.used(), 2);
        assert_eq!(env.now_filetime(), 42);
        assert_eq!(env.var("NTLM_USER_FILE"), Some("/users".into()));
        assert_eq!(env.var("KRB5_CONFIG"), None);
        assert_eq!(
            env.read_file(Path::new("/users"))
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"D:u:p\n"[..])
        );
    }
}

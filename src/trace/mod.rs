//! Opt-in tracing, for the people who run an SSPI program and need to know
//! why a logon failed: which package, which flags, which token was refused
//! and why. Off unless `OPENSSPI_TRACE` is set; then one line per event on
//! stderr or in a file. Nothing is ever written to stdout.
//!
//! `OPENSSPI_TRACE=DEST[:level=LEVEL][:packages=NAME,NAME...]`, read once,
//! at the first traced call after loading:
//! - `DEST`: `stderr`, or a file path, appended to (created with mode 0600);
//! - `LEVEL`: `errors` (each failed call, with its function, package and
//!   status, and its cause in words; nearly free on the success path),
//!   `calls` (also every call, with its handles, flags and buffers),
//!   `tokens` (also each token decoded; the default);
//! - `packages`: only lines about these packages (case-insensitive; lines
//!   that name no package always pass).
//!
//! Unset or empty, tracing costs one relaxed atomic load per call.
//!
//! A line: `[PID] SECONDS.MICROS tTHREAD PACKAGE TEXT`, with the time since
//! the Unix epoch (as MIT's KRB5_TRACE) and a small per-thread number.
//!
//! **Never a secret.** Callers pass only names, sizes, flags, statuses and
//! decoded structure: user, domain and target names may appear (as MIT's
//! trace shows principals); passwords, NT hashes, keys, session keys,
//! nonces, challenge responses, MICs, signatures and message data never do,
//! in any form. The call sites are in the ABI layer (`abi::boundary`,
//! `abi::*_api`) and in the packages (through `Env::trace`); a test
//! searches a full trace for every secret of a session.

pub mod names;

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use parking_lot::Mutex;

use crate::env::Env;

/// The variable that turns tracing on.
pub const VAR: &str = "OPENSSPI_TRACE";

/// How much is traced; each level includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Failed calls and the cause of each failure, in words.
    Errors = 1,
    /// Every exported call: function, package, handles, flags, status.
    Calls = 2,
    /// Each token's size and a decoded summary.
    Tokens = 3,
}

impl Level {
    fn from_u8(v: u8) -> Option<Level> {
        match v {
            1 => Some(Level::Errors),
            2 => Some(Level::Calls),
            3 => Some(Level::Tokens),
            _ => None,
        }
    }
}

/// Where lines go.
#[derive(Debug, PartialEq, Eq)]
pub enum Dest {
    /// Standard error.
    Stderr,
    /// A file, appended to.
    File(String),
}

/// A parsed `OPENSSPI_TRACE`.
#[derive(Debug, PartialEq, Eq)]
pub struct Spec {
    /// Where lines go.
    pub dest: Dest,
    /// How much is traced.
    pub level: Level,
    /// Only these packages (upper-cased), when given.
    pub packages: Option<Vec<String>>,
}

/// Parses the variable's value; `None` when tracing stays off (empty).
/// Unknown options are reported in the returned warnings and ignored.
pub fn parse(value: &str) -> (Option<Spec>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut parts: Vec<&str> = value.split(':').collect();
    let mut level = Level::Tokens;
    let mut packages = None;
    // Options are the trailing `key=value` parts; the rest is the path
    // (which may itself hold a colon).
    while let Some(last) = parts.last() {
        let Some((key, val)) = last.split_once('=') else {
            break;
        };
        match key {
            "level" => match val {
                "errors" => level = Level::Errors,
                "calls" => level = Level::Calls,
                "tokens" => level = Level::Tokens,
                _ => warnings.push(format!("unknown level `{val}` (errors, calls, tokens)")),
            },
            "packages" => {
                packages = Some(
                    val.split(',')
                        .map(|p| p.trim().to_ascii_uppercase())
                        .filter(|p| !p.is_empty())
                        .collect(),
                )
            }
            _ => warnings.push(format!("unknown option `{key}` (level, packages)")),
        }
        parts.pop();
    }
    let dest = parts.join(":");
    let dest = match dest.trim() {
        "" => return (None, warnings),
        "stderr" => Dest::Stderr,
        _ => Dest::File(dest),
    };
    (
        Some(Spec {
            dest,
            level,
            packages,
        }),
        warnings,
    )
}

/// The open destination and filter.
struct Sink {
    file: Option<std::fs::File>,
    packages: Option<Vec<String>>,
}

/// 0: not read yet; 255: off; 1..=3: on at that level.
static STATE: AtomicU8 = AtomicU8::new(0);
const OFF: u8 = 255;
static SINK: Mutex<Option<Sink>> = Mutex::new(None);
/// Whether a package filter is set (checked without the lock first).
static FILTERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The level tracing is on at, if it is: the fast path every call takes.
#[inline]
pub fn level() -> Option<Level> {
    match STATE.load(Ordering::Relaxed) {
        OFF => None,
        0 => init(),
        v => Level::from_u8(v),
    }
}

/// Whether lines of `level` are written at all (before any package filter).
#[inline]
pub fn on(level: Level) -> bool {
    self::level().is_some_and(|l| l >= level)
}

#[cold]
fn init() -> Option<Level> {
    let mut sink = SINK.lock();
    // Another thread may have read the variable while this one waited.
    if let Some(level) = Level::from_u8(STATE.load(Ordering::Relaxed)) {
        return Some(level);
    }
    if STATE.load(Ordering::Relaxed) == OFF {
        return None;
    }
    let value = crate::env::SystemEnv
        .var(VAR)
        .map(|v| v.to_string_lossy().into_owned());
    let (spec, warnings) = parse(value.as_deref().unwrap_or(""));
    for w in warnings {
        warn(&w);
    }
    let Some(spec) = spec else {
        STATE.store(OFF, Ordering::Relaxed);
        return None;
    };
    let file = match &spec.dest {
        Dest::Stderr => None,
        Dest::File(path) => match open(path) {
            Ok(f) => Some(f),
            Err(e) => {
                warn(&format!("cannot open {path}: {e}; tracing is off"));
                STATE.store(OFF, Ordering::Relaxed);
                return None;
            }
        },
    };
    FILTERED.store(spec.packages.is_some(), Ordering::Relaxed);
    *sink = Some(Sink {
        file,
        packages: spec.packages,
    });
    STATE.store(spec.level as u8, Ordering::Relaxed);
    Some(spec.level)
}

/// Opens (or creates, mode 0600) a trace file for appending.
fn open(path: &str) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "opensspi: {VAR}: {message}");
}

/// Closes the destination and turns tracing off: for the library's
/// unloading.
pub fn shutdown() {
    let taken = SINK.lock().take();
    drop(taken);
    STATE.store(OFF, Ordering::Relaxed);
}

thread_local! {
    /// This thread's number in the trace (0: none yet).
    static THREAD: Cell<u32> = const { Cell::new(0) };
    /// Whether a failure's cause was traced during the current call.
    static CAUSED: Cell<bool> = const { Cell::new(false) };
    /// The current exported call's details (fixed room: no heap, so the
    /// thread-local needs no destructor and never pins the library).
    static NOTES: RefCell<Notes> = const { RefCell::new(Notes::new()) };
}

static NEXT_THREAD: AtomicU32 = AtomicU32::new(1);

fn thread_number() -> u32 {
    THREAD.with(|t| {
        if t.get() == 0 {
            t.set(NEXT_THREAD.fetch_add(1, Ordering::Relaxed));
        }
        t.get()
    })
}

/// Whether a line of `level` about `package` ("" for none) is wanted.
pub fn wants(level: Level, package: &str) -> bool {
    if !on(level) {
        return false;
    }
    if package.is_empty() || !FILTERED.load(Ordering::Relaxed) {
        return true;
    }
    match SINK.lock().as_ref().and_then(|s| s.packages.as_ref()) {
        None => true,
        Some(list) => list.iter().any(|p| p.eq_ignore_ascii_case(package)),
    }
}

/// Writes one line of `level` about `package`, when wanted. A line at
/// `Level::Errors` is a failure's cause, in words: it is marked so, and the
/// current call counts as explained.
pub fn line(level: Level, package: &str, text: fmt::Arguments<'_>) {
    if level == Level::Errors {
        CAUSED.with(|c| c.set(true));
        emit(level, package, "failure: ", text);
    } else {
        emit(level, package, "", text);
    }
}

/// Writes a line that passes the filter for `level`.
fn emit(level: Level, package: &str, mark: &str, text: fmt::Arguments<'_>) {
    if !wants(level, package) {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut out = String::with_capacity(128);
    let _ = write!(
        out,
        "[{}] {}.{:06} t{} {} {}",
        std::process::id(),
        now.as_secs(),
        now.subsec_micros(),
        thread_number(),
        if package.is_empty() { "-" } else { package },
        mark,
    );
    let _ = out.write_fmt(text);
    out.push('\n');
    let mut sink = SINK.lock();
    match sink.as_mut().map(|s| s.file.as_mut()) {
        Some(Some(file)) => {
            let _ = file.write_all(out.as_bytes());
        }
        Some(None) => {
            let _ = std::io::stderr().write_all(out.as_bytes());
        }
        None => {}
    }
}

/// A name in double quotes, with `"`, `\\` and control characters escaped
/// (lighter than `{:?}`, whose Unicode tables would weigh on the library).
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// The details of the exported call in progress, gathered in fixed room.
struct Notes {
    buf: [u8; 512],
    len: usize,
    package: &'static str,
}

impl Notes {
    const fn new() -> Self {
        Notes {
            buf: [0; 512],
            len: 0,
            package: "",
        }
    }

    fn text(&self) -> &str {
        // Only whole UTF-8 pieces are ever appended (see `write_str`).
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Notes {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// One exported call's trace: begun by the panic boundary, given details by
/// the export's helper (`note`, `note_package`), ended with its status.
pub struct Call {
    name: &'static str,
    traced: bool,
}

impl Call {
    /// Starts the trace of the export `name` (nothing when tracing is off).
    #[inline]
    pub fn begin(name: &'static str) -> Call {
        let traced = on(Level::Errors);
        if traced {
            CAUSED.with(|c| c.set(false));
            NOTES.with(|n| {
                let mut n = n.borrow_mut();
                n.len = 0;
                n.package = "";
            });
        }
        Call { name, traced }
    }

    /// Ends it: for a failure whose cause nobody traced, the status's own
    /// meaning; then the call's line (at `Level::Calls`, or at
    /// `Level::Errors` for a failure).
    #[inline]
    pub fn end(self, status: i32) {
        if self.traced {
            self.finish(status);
        }
    }

    #[cold]
    fn finish(self, status: i32) {
        let failed = status < 0;
        let package = NOTES.with(|n| n.borrow().package);
        if !failed && !wants(Level::Calls, package) {
            return;
        }
        let notes = NOTES.with(|n| n.borrow().text().to_owned());
        if failed && !CAUSED.with(Cell::get) {
            line(
                Level::Errors,
                package,
                format_args!("{}", names::meaning(status)),
            );
        }
        // A failed call's line is written at the errors level too.
        let level = if failed { Level::Errors } else { Level::Calls };
        emit(
            level,
            package,
            "",
            format_args!("{}{} -> {}", self.name, notes, names::status(status)),
        );
    }
}

/// Adds a detail (` key=value`) to the current call's line (from the
/// `calls` level up: at `errors`, a failed call's line names the function,
/// package and status, and its cause follows).
#[inline]
pub fn note(detail: fmt::Arguments<'_>) {
    if on(Level::Calls) {
        NOTES.with(|n| {
            let _ = n.borrow_mut().write_fmt(detail);
        });
    }
}

/// Names the package the current call is about.
#[inline]
pub fn note_package(package: &'static str) {
    if on(Level::Errors) {
        NOTES.with(|n| n.borrow_mut().package = package);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_is_parsed() {
        assert_eq!(parse(""), (None, vec![]));
        assert_eq!(
            parse("stderr").0,
            Some(Spec {
                dest: Dest::Stderr,
                level: Level::Tokens,
                packages: None
            })
        );
        assert_eq!(
            parse("/tmp/a:b/trace.log:level=errors:packages=ntlm, Negotiate").0,
            Some(Spec {
                dest: Dest::File("/tmp/a:b/trace.log".into()),
                level: Level::Errors,
                packages: Some(vec!["NTLM".into(), "NEGOTIATE".into()])
            })
        );
        let (spec, warnings) = parse("stderr:level=loud:colour=yes");
        assert_eq!(spec.map(|s| s.level), Some(Level::Tokens));
        assert_eq!(warnings.len(), 2);
        assert_eq!(parse(":level=calls").0, None);
    }

    #[test]
    fn names_are_quoted_and_escaped() {
        assert_eq!(Quoted("CORP\\alice").to_string(), "\"CORP\\\\alice\"");
        assert_eq!(Quoted("a\"b\n").to_string(), "\"a\\\"b\\u{a}\"");
        assert_eq!(Quoted("José").to_string(), "\"José\"");
    }

    #[test]
    fn notes_stop_at_their_room_on_a_character_boundary() {
        let mut n = Notes::new();
        let long = "é".repeat(400);
        let _ = n.write_str(&long);
        assert_eq!(n.len, 512);
        assert_eq!(n.text().chars().count(), 256);
        let _ = n.write_str("more");
        assert_eq!(n.len, 512);
    }
}

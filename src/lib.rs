//! opensspi: the Windows SSPI C ABI (`sspi.h`) for Linux and macOS, in Rust.
//!
//! The layers, each calling only the ones below it (README.md,
//! "Architecture"):
//!
//! - `abi`: the C layer. Converts and validates caller memory, runs every
//!   export inside a panic boundary, writes results back.
//! - `handles` and `state`: the generation-checked handle arena and what it
//!   holds (credentials, contexts, pending output).
//! - `driver`: runs a package's handshake step to its end, performing the
//!   network exchanges it asks for, outside the context's lock.
//! - `package`: the trait every security package implements, and the safe
//!   types it speaks (`error` is their one error type).
//! - `packages`: one folder per package (`ntlm`, `negotiate`), each a
//!   sans-IO core behind the trait, and the registry.
//! - `certificates`: the certificate contexts handed to programs, with
//!   the private keys Schannel credentials take from them.
//! - Shared by packages: `env` (randomness, time, host name, variables,
//!   files, tracing), `credentials` (identity structures), `text` (the two
//!   string encodings).
//! - `trace`: the opt-in trace (`OPENSSPI_TRACE`), written by the ABI layer
//!   and, through `env`, by the packages.

pub mod abi;
mod certificates;
mod credentials;
mod crypto;
mod driver;
mod env;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handles;
mod package;
mod packages;
mod state;
mod text;
mod trace;
pub mod vocabulary;

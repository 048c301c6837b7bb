//! opensspi: the Windows SSPI C ABI (`sspi.h`) for Linux and macOS, in Rust.
//!
//! Layout: `abi` is the C layer (types, exports, function tables, buffers,
//! strings); `handles` is the generation-checked handle arena; `package` is
//! the trait every security package implements; `packages` holds the
//! packages and their registry. See README.md for the API conventions.
#![deny(clippy::undocumented_unsafe_blocks)]
#![allow(clippy::missing_safety_doc)]

pub mod abi;
pub mod credentials;
pub mod driver;
pub mod env;
pub mod error;
pub mod handles;
pub mod package;
pub mod packages;
pub mod state;
pub mod text;
pub mod vocabulary;

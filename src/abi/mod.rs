//! The C ABI: `sspi.h`'s types and every exported function. This layer
//! converts and validates caller memory, runs each call inside a panic
//! boundary, and hands safe values to the package behind the handle.

pub mod attributes;
pub mod boundary;
pub mod buffers;
pub mod certificates;
pub mod context_api;
pub mod credentials_api;
pub mod identity_api;
pub mod memory;
pub mod message_api;
pub mod packages_api;
pub mod strings;
pub mod table;
pub mod types;
mod unload;

#[cfg(test)]
mod tests;

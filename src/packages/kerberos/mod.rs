//! Kerberos V5 (RFC 4120, RFC 4121 for GSS-API tokens), initiator and
//! acceptor, in progress (issue 13). This first step is the enctypes'
//! cryptography (`crypto`), checked against the RFCs' known answers; the
//! ASN.1 messages, the KDC exchanges through the driver, AP-REQ/AP-REP and
//! the per-message tokens follow, and only then is the package registered.
#![allow(dead_code)] // used by the package as it lands (issue 13)

pub mod crypto;

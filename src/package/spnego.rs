//! What SPNEGO (the Negotiate package) asks of the mechanisms it wraps.

/// What a mechanism's complete context brings to SPNEGO's mechListMIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MicPolicy {
    /// The mechanism makes no MICs: none is exchanged.
    None,
    /// No per-message integrity was negotiated: the mechanism's MIC is a
    /// placeholder (NTLM's dummy signature). It is exchanged when SPNEGO's
    /// rules call for one, but a peer that leaves its own out is not
    /// refused (RFC 4178 section 5 uses no MIC without integrity, and MIT's
    /// and Samba's SPNEGO send none then).
    Placeholder,
    /// Real MICs, exchanged when SPNEGO's rules call for one.
    Optional,
    /// Real MICs that the mechanism's own exchange makes mandatory
    /// (MS-SPNG: an NTLM AUTHENTICATE that carries a MIC).
    Required,
}

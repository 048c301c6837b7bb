//! What SPNEGO (the Negotiate package) asks of the mechanisms it wraps,
//! beyond the `Package` trait: the mechListMIC (RFC 4178 section 5,
//! MS-SPNG). Only mechanisms implement it; `DynMechanism` is its
//! type-erased form, which Negotiate's mechanism table holds.

use super::{ctx_mut, ctx_of, AnyContext, DynPackage, Package, SecResult};

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

/// A package that SPNEGO can negotiate.
pub trait Mechanism: Package {
    /// This mechanism's integrity token over `mech_types` (the DER
    /// MechTypeList), sent as the mechListMIC. Called at most once, on a
    /// complete context, before any message is protected; it must leave
    /// message protection as if it had not been called, except that it uses
    /// up its sequence number.
    fn mech_list_mic(&self, ctx: &mut Self::Context, mech_types: &[u8]) -> SecResult<Vec<u8>>;

    /// Checks the peer's mechListMIC over `mech_types`, under the same rules
    /// as `mech_list_mic`. SEC_E_MESSAGE_ALTERED when it does not verify.
    fn verify_mech_list_mic(
        &self,
        ctx: &mut Self::Context,
        mech_types: &[u8],
        mic: &[u8],
    ) -> SecResult<()>;

    /// What this mechanism's complete context brings to the mechListMIC
    /// exchange. Asked once the context is complete.
    fn mech_list_mic_policy(&self, ctx: &Self::Context) -> MicPolicy;
}

/// `Mechanism` with the state types erased, beside `DynPackage`.
#[allow(missing_docs)]
pub trait DynMechanism: DynPackage {
    fn mech_list_mic(&self, ctx: &mut AnyContext, mech_types: &[u8]) -> SecResult<Vec<u8>>;
    fn verify_mech_list_mic(
        &self,
        ctx: &mut AnyContext,
        mech_types: &[u8],
        mic: &[u8],
    ) -> SecResult<()>;
    fn mech_list_mic_policy(&self, ctx: &AnyContext) -> MicPolicy;
}

impl<M: Mechanism> DynMechanism for M {
    fn mech_list_mic(&self, ctx: &mut AnyContext, mech_types: &[u8]) -> SecResult<Vec<u8>> {
        Mechanism::mech_list_mic(self, ctx_mut::<M>(ctx)?, mech_types)
    }
    fn verify_mech_list_mic(
        &self,
        ctx: &mut AnyContext,
        mech_types: &[u8],
        mic: &[u8],
    ) -> SecResult<()> {
        Mechanism::verify_mech_list_mic(self, ctx_mut::<M>(ctx)?, mech_types, mic)
    }
    fn mech_list_mic_policy(&self, ctx: &AnyContext) -> MicPolicy {
        ctx_of::<M>(ctx).map_or(MicPolicy::None, |c| {
            Mechanism::mech_list_mic_policy(self, c)
        })
    }
}

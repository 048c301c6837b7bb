//! The driver: runs a package's handshake step to its end, performing the
//! network exchanges the package asks for (`Progress::Exchange`) between
//! its steps, without holding the context's lock while it waits.
//!
//! The ABI layer calls the driver; the driver calls the package trait and a
//! [`Network`]; packages never touch a socket. Tests replace the network
//! with their own.

pub mod network;

use crate::package::{
    AnyContext, AnyCredentials, DynPackage, Progress, Role, SecResult, StepInput, StepOutput,
};
use crate::state::Context;
use crate::vocabulary::*;

pub use network::{Network, SystemNetwork};

/// Most exchanges one Initialize/AcceptSecurityContext call may perform: a
/// package asking for more is broken (SEC_E_INTERNAL_ERROR).
pub const MAX_EXCHANGES: usize = 16;

/// A first Initialize/AcceptSecurityContext call: the package's new context
/// and the finished step. The context is not shared yet, so no lock is
/// taken; nothing is kept when this fails.
pub fn start(
    package: &'static dyn DynPackage,
    cred: &AnyCredentials,
    role: Role,
    input: &StepInput<'_>,
    network: &dyn Network,
) -> SecResult<(AnyContext, StepOutput)> {
    let (mut ctx, progress) = match role {
        Role::Initiator => package.initialize(cred, input)?,
        Role::Acceptor => package.accept(cred, input)?,
    };
    let out = finish(progress, network, |reply| {
        package.resume(Some(cred), &mut ctx, input, reply)
    })?;
    Ok((ctx, out))
}

/// A later call on a context that callers share: the context's lock is held
/// during each of the package's steps and released while the network is
/// waited for.
pub fn step(ctx: &Context, input: &StepInput<'_>, network: &dyn Network) -> SecResult<StepOutput> {
    let cred = ctx.credential.as_ref().map(|c| &c.state);
    let progress = ctx.package.step(cred, &mut *ctx.lock()?, input)?;
    finish(progress, network, |reply| {
        ctx.package.resume(cred, &mut *ctx.lock()?, input, reply)
    })
}

/// Performs exchanges and resumes until the step is done.
fn finish(
    mut progress: Progress,
    network: &dyn Network,
    mut resume: impl FnMut(crate::package::Reply) -> SecResult<Progress>,
) -> SecResult<StepOutput> {
    for _ in 0..MAX_EXCHANGES {
        match progress {
            Progress::Done(out) => return Ok(out),
            Progress::Exchange(exchange) => progress = resume(network.exchange(&exchange))?,
        }
    }
    match progress {
        Progress::Done(out) => Ok(out),
        Progress::Exchange(_) => Err(SEC_E_INTERNAL_ERROR.into()),
    }
}

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
    let out = finish(package.info().name, progress, network, |reply| {
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
    finish(ctx.package.info().name, progress, network, |reply| {
        ctx.package.resume(cred, &mut *ctx.lock()?, input, reply)
    })
}

/// Performs exchanges and resumes until the step is done; each exchange
/// is traced (servers, sizes, time; a failure as a cause).
fn finish(
    package: &str,
    mut progress: Progress,
    network: &dyn Network,
    mut resume: impl FnMut(crate::package::Reply) -> SecResult<Progress>,
) -> SecResult<StepOutput> {
    for _ in 0..MAX_EXCHANGES {
        match progress {
            Progress::Done(out) => return Ok(out),
            Progress::Exchange(exchange) => {
                let started = std::time::Instant::now();
                let reply = network.exchange(&exchange);
                trace_exchange(package, &exchange, &reply, started.elapsed());
                progress = resume(reply)?
            }
        }
    }
    match progress {
        Progress::Done(out) => Ok(out),
        Progress::Exchange(_) => Err(SEC_E_INTERNAL_ERROR.into()),
    }
}

/// One exchange on the trace: to whom, how much, how long.
fn trace_exchange(
    package: &str,
    exchange: &crate::package::Exchange,
    reply: &crate::package::Reply,
    took: std::time::Duration,
) {
    use crate::trace::{line, wants, Level};
    let level = if reply.is_ok() {
        Level::Calls
    } else {
        Level::Errors
    };
    if wants(level, package) {
        line(
            level,
            package,
            format_args!("{}", exchange_text(exchange, reply, took)),
        );
    }
}

/// The words of an exchange's trace line.
fn exchange_text(
    exchange: &crate::package::Exchange,
    reply: &crate::package::Reply,
    took: std::time::Duration,
) -> String {
    use crate::package::{IoError, Transport};
    let servers: Vec<String> = exchange
        .servers
        .iter()
        .map(|e| {
            let transport = match e.transport {
                Transport::Udp => "udp",
                Transport::Tcp => "tcp",
                Transport::Https => "https",
            };
            format!("{}:{}/{transport}", e.host, e.port)
        })
        .collect();
    // Milliseconds with one decimal, in integers (no float formatting code).
    let tenths = took.as_micros() / 100;
    let ms = format!("{}.{}", tenths / 10, tenths % 10);
    let to = servers.join(", ");
    match reply {
        Ok(bytes) => format!(
            "exchange with [{to}]: {} bytes sent, {} received in {ms} ms",
            exchange.message.len(),
            bytes.len()
        ),
        Err(e) => format!(
            "exchange with [{to}] failed after {ms} ms: {}",
            match e {
                IoError::Unreachable => "no server could be reached",
                IoError::TimedOut => "no answer in time",
                IoError::BadReply => "a malformed reply",
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::env::SystemEnv;
    use crate::package::{
        AcquireRequest, CredentialUse, Error, Exchange, InBuf, IoError, Package, Reply,
    };
    use crate::packages::mock::{kdc, MockPackage};

    /// A network whose answers a test writes.
    struct Scripted<F>(F);

    impl<F: Fn(&Exchange) -> Reply + Send + Sync> Network for Scripted<F> {
        fn exchange(&self, exchange: &Exchange) -> Reply {
            (self.0)(exchange)
        }
    }

    /// A mock initiator context after its first step, shared as the ABI
    /// shares contexts.
    fn started() -> Arc<Context> {
        let request = AcquireRequest {
            principal: None,
            usage: CredentialUse(SECPKG_CRED_OUTBOUND),
            auth: None,
            env: &SystemEnv,
        };
        let (cred, _) = Package::acquire_credentials(&MockPackage, request).unwrap();
        let cred: AnyCredentials = Box::new(cred);
        let input = input(&[]);
        let unused = Scripted(|_: &Exchange| -> Reply { panic!("no exchange expected") });
        let (state, out) = start(&MockPackage, &cred, Role::Initiator, &input, &unused).unwrap();
        assert_eq!(out.token, b"init");
        let cred = Arc::new(crate::state::Credential {
            package: &MockPackage,
            usage: CredentialUse(SECPKG_CRED_OUTBOUND),
            state: cred,
        });
        Arc::new(Context::new(&MockPackage, Some(cred), state))
    }

    /// A step's input with these buffers and no flags.
    fn input<'a>(bufs: &'a [InBuf<'a>]) -> StepInput<'a> {
        StepInput {
            target: None,
            req_flags: 0,
            data_rep: 0,
            inputs: bufs,
            env: &SystemEnv,
        }
    }

    fn token_input(token: &[u8]) -> [InBuf<'_>; 1] {
        [InBuf {
            kind: SECBUFFER_TOKEN,
            data: token,
        }]
    }

    #[test]
    fn an_exchange_with_a_kdc_is_made_between_steps_without_the_lock() {
        let ctx = started();
        let calls = AtomicUsize::new(0);
        let network = Scripted(|x: &Exchange| {
            calls.fetch_add(1, Ordering::Relaxed);
            assert_eq!(x.servers, vec![kdc()]);
            assert_eq!(x.message, b"as-req");
            // The context is not locked while the network is waited for.
            assert!(!ctx.is_busy());
            Ok(b"as-rep".to_vec())
        });
        let bufs = token_input(b"kdc");
        let input = input(&bufs);
        let out = step(&ctx, &input, &network).unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        assert_eq!(
            (out.status, out.token.as_slice()),
            (SEC_E_OK, &b"ap-req:as-rep"[..])
        );
    }

    #[test]
    fn a_kdc_that_cannot_be_reached_fails_the_step() {
        let ctx = started();
        let network = Scripted(|_: &Exchange| Err(IoError::Unreachable));
        let bufs = token_input(b"kdc");
        let input = input(&bufs);
        let err: Error = step(&ctx, &input, &network).unwrap_err();
        assert_eq!(err, SEC_E_NO_AUTHENTICATING_AUTHORITY);
    }

    #[test]
    fn a_package_that_never_finishes_is_stopped() {
        let endless = Progress::Exchange(Exchange {
            servers: vec![kdc()],
            message: vec![],
        });
        let network = Scripted(|_: &Exchange| Ok(vec![]));
        let resumed = AtomicUsize::new(0);
        let r = finish("Mock", endless, &network, |_| {
            resumed.fetch_add(1, Ordering::Relaxed);
            Ok(Progress::Exchange(Exchange {
                servers: vec![kdc()],
                message: vec![],
            }))
        });
        assert_eq!(r.unwrap_err(), SEC_E_INTERNAL_ERROR);
        assert_eq!(resumed.load(Ordering::Relaxed), MAX_EXCHANGES);
    }

    #[test]
    fn exchanges_are_described_for_the_trace() {
        use crate::package::{Endpoint, Exchange, IoError, Transport};
        let exchange = Exchange {
            servers: vec![
                Endpoint {
                    host: "kdc1.example".into(),
                    port: 88,
                    transport: Transport::Udp,
                    path: String::new(),
                },
                Endpoint {
                    host: "10.0.0.2".into(),
                    port: 88,
                    transport: Transport::Tcp,
                    path: String::new(),
                },
            ],
            message: vec![0; 120],
        };
        let took = std::time::Duration::from_micros(12_345);
        assert_eq!(
            exchange_text(&exchange, &Ok(vec![0; 300]), took),
            "exchange with [kdc1.example:88/udp, 10.0.0.2:88/tcp]: 120 bytes sent, 300 received in 12.3 ms"
        );
        assert_eq!(
            exchange_text(&exchange, &Err(IoError::TimedOut), took),
            "exchange with [kdc1.example:88/udp, 10.0.0.2:88/tcp] failed after 12.3 ms: no answer in time"
        );
    }
}

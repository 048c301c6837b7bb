//! The initiator (InitializeSecurityContext) state machine: NEGOTIATE out,
//! CHALLENGE in, AUTHENTICATE out. NTLMv2 with extended session security
//! only.

use zeroize::Zeroizing;

use super::av_pairs::{AvList, AvListBuilder};
use super::credentials::Credentials;
use super::crypto::{lmv2_response, mic, nt_proof_and_base_key, ntlmv2_blob, rc4k};
use super::error::Error;
use super::established::{Established, TargetNames};
use super::flags::*;
use super::messages::{Authenticate, AuthenticateFields, Challenge, Negotiate, MIC_OFFSET};
use super::session::{check_flags, has_integrity, key_exchange};
use super::text::encode;
use super::wire::put;
use crate::env::Env;

/// What the initiator asks for and who it is.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The identity, or anonymous.
    pub credentials: Credentials,
    /// The workstation name sent in AUTHENTICATE (may be empty).
    pub workstation: String,
    /// Message integrity requested (ISC_REQ_INTEGRITY).
    pub integrity: bool,
    /// Message confidentiality requested (ISC_REQ_CONFIDENTIALITY).
    pub confidentiality: bool,
    /// Replay detection requested (ISC_REQ_REPLAY_DETECT); implies signing.
    pub replay_detect: bool,
    /// Sequence detection requested (ISC_REQ_SEQUENCE_DETECT); implies
    /// signing.
    pub sequence_detect: bool,
    /// The target SPN, sent as MsvAvTargetName.
    pub target_spn: Option<String>,
    /// The channel-binding hash (see `bindings`), sent as
    /// MsvAvChannelBindings.
    pub channel_bindings: Option<[u8; 16]>,
    /// Whether to send a MIC (done only when the server sent a timestamp).
    pub send_mic: bool,
}

impl ClientConfig {
    /// A configuration for `credentials` that requests no message
    /// protection and sends a MIC.
    pub fn new(credentials: Credentials) -> Self {
        ClientConfig {
            credentials,
            workstation: String::new(),
            integrity: false,
            confidentiality: false,
            replay_detect: false,
            sequence_detect: false,
            target_spn: None,
            channel_bindings: None,
            send_mic: true,
        }
    }
}

/// Where the initiator is in the exchange.
#[derive(Debug, Clone)]
enum State {
    Initial,
    NegotiateSent(Vec<u8>),
    Done,
}

/// The initiator state machine.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    state: State,
}

impl Client {
    /// A new initiator.
    pub fn new(config: ClientConfig) -> Self {
        Client {
            config,
            state: State::Initial,
        }
    }

    /// The flags this client puts in its NEGOTIATE message.
    pub fn requested_flags(&self) -> u32 {
        let c = &self.config;
        let mut flags = NEGOTIATE_UNICODE
            | NEGOTIATE_OEM
            | REQUEST_TARGET
            | NEGOTIATE_NTLM
            | NEGOTIATE_ALWAYS_SIGN
            | NEGOTIATE_EXTENDED_SESSIONSECURITY
            | NEGOTIATE_VERSION
            | NEGOTIATE_128;
        if c.integrity || c.replay_detect || c.sequence_detect {
            flags |= NEGOTIATE_SIGN;
        }
        if c.confidentiality {
            flags |= NEGOTIATE_SEAL;
        }
        // Key exchange only protects message keys: Windows asks for it
        // with signing or sealing only.
        if has_integrity(flags) {
            flags |= NEGOTIATE_KEY_EXCH;
        }
        flags
    }

    /// The configuration, to complete before `authenticate` (the target SPN
    /// and channel bindings may arrive with the CHALLENGE).
    pub fn config_mut(&mut self) -> &mut ClientConfig {
        &mut self.config
    }

    /// The NEGOTIATE message. `InvalidState` if already called.
    pub fn negotiate(&mut self) -> Result<Vec<u8>, Error> {
        if !matches!(self.state, State::Initial) {
            return Err(Error::InvalidState);
        }
        let msg = Negotiate::encode(self.requested_flags(), &[], &[])?;
        self.state = State::NegotiateSent(msg.clone());
        Ok(msg)
    }

    /// Processes the server's CHALLENGE (which may be followed by unrelated
    /// bytes) and returns the AUTHENTICATE message and the established
    /// context. The client is finished afterwards, whether this succeeds
    /// or not.
    ///
    /// Errors: `InvalidState` if `negotiate` was not called or this was;
    /// `InvalidToken` for a malformed CHALLENGE; `Unsupported` if the
    /// server does not offer extended session security, or offers signing
    /// or sealing below 128 bits; `InvalidParameter` if a name does not fit;
    /// `Internal` if randomness fails.
    pub fn authenticate(
        &mut self,
        challenge: &[u8],
        env: &dyn Env,
    ) -> Result<(Vec<u8>, Established), Error> {
        let negotiate = match core::mem::replace(&mut self.state, State::Done) {
            State::NegotiateSent(negotiate) => negotiate,
            _ => return Err(Error::InvalidState),
        };
        let chal = Challenge::parse(challenge)?;
        let challenge_bytes = challenge.get(..chal.len).ok_or(Error::InvalidToken)?;
        let flags = self.final_flags(chal.flags)?;
        let unicode = flags & NEGOTIATE_UNICODE != 0;
        let target_info = if chal.flags & NEGOTIATE_TARGET_INFO != 0 {
            chal.target_info
        } else {
            &[]
        };
        let av = AvList::parse(target_info)?;
        let cfg = &self.config;

        // One draw of randomness for the client challenge and the session
        // key (one system call instead of two).
        let mut random = Zeroizing::new([0u8; 24]);
        env.random(&mut random[..])?;
        let (client_challenge, session_key) = random.split_at(8);
        let client_challenge: [u8; 8] = client_challenge.try_into().map_err(|_| Error::Internal)?;
        let session_key: [u8; 16] = session_key.try_into().map_err(|_| Error::Internal)?;
        let session_key = Zeroizing::new(session_key);

        let (user, domain, responses) = match &cfg.credentials {
            Credentials::Anonymous => (String::new(), String::new(), Responses::anonymous()),
            Credentials::User {
                user,
                domain,
                secret,
            } => {
                let r = self.ntlmv2_responses(
                    &av,
                    &chal.server_challenge,
                    &client_challenge,
                    &secret.response_key(user, domain),
                    env,
                )?;
                (user.clone(), domain.clone(), r)
            }
        };

        // KXKEY is the SessionBaseKey for NTLMv2; with key exchange (and
        // signing or sealing, MS-NLMP 3.1.5.1.2) the session key is fresh
        // randomness sent encrypted under it.
        let (exported, encrypted) = if key_exchange(flags) {
            let encrypted = rc4k(&responses.session_base_key, &session_key);
            (session_key, Some(encrypted))
        } else {
            (responses.session_base_key.clone(), None)
        };

        let domain_bytes = encode(&domain, unicode);
        let user_bytes = encode(&user, unicode);
        let workstation_bytes = encode(&cfg.workstation, unicode);
        let mut msg = Authenticate::encode(&AuthenticateFields {
            lm_response: &responses.lm,
            nt_response: &responses.nt,
            domain: &domain_bytes,
            user: &user_bytes,
            workstation: &workstation_bytes,
            encrypted_session_key: encrypted.as_ref().map_or(&[][..], |k| &k[..]),
            flags,
        })?;
        if responses.send_mic {
            let code = mic(&exported, &negotiate, challenge_bytes, &msg);
            put(&mut msg, MIC_OFFSET, &code)?;
        }

        check_flags(flags)?;
        let established = Established {
            session: None,
            flags,
            is_client: true,
            user,
            domain,
            workstation: cfg.workstation.clone(),
            session_key: exported,
            anonymous: matches!(cfg.credentials, Credentials::Anonymous),
            target: TargetNames::from_av_list(&av),
            client_target_name: None,
            mic: responses.send_mic,
        };
        Ok((msg, established))
    }

    /// The flags of the AUTHENTICATE message: what both sides support.
    ///
    /// A server without extended session security is accepted only when no
    /// signing or sealing is negotiated (the responses are NTLMv2 all the
    /// same): NTLMv1 session security is never used.
    fn final_flags(&self, offered: u32) -> Result<u32, Error> {
        let informational = NEGOTIATE_TARGET_INFO | TARGET_TYPE_DOMAIN | TARGET_TYPE_SERVER;
        let mut flags = offered & (self.requested_flags() | informational);
        if flags & NEGOTIATE_UNICODE != 0 {
            flags &= !NEGOTIATE_OEM;
        } else if flags & NEGOTIATE_OEM == 0 {
            return Err(Error::Unsupported);
        }
        let protected = flags & (NEGOTIATE_SIGN | NEGOTIATE_SEAL) != 0;
        if protected
            && (flags & NEGOTIATE_128 == 0 || flags & NEGOTIATE_EXTENDED_SESSIONSECURITY == 0)
        {
            return Err(Error::Unsupported);
        }
        if flags & NEGOTIATE_EXTENDED_SESSIONSECURITY == 0 {
            flags &= !NEGOTIATE_KEY_EXCH;
        }
        if matches!(self.config.credentials, Credentials::Anonymous) {
            flags |= NEGOTIATE_ANONYMOUS;
        }
        Ok(flags | NEGOTIATE_VERSION)
    }

    /// NTLMv2 LM and NT responses and the SessionBaseKey (MS-NLMP 3.3.2).
    /// `key` is ResponseKeyNT (NTOWFv2).
    fn ntlmv2_responses(
        &self,
        server_info: &AvList<'_>,
        server_challenge: &[u8; 8],
        client_challenge: &[u8; 8],
        key: &[u8; 16],
        env: &dyn Env,
    ) -> Result<Responses, Error> {
        let cfg = &self.config;
        let server_time = server_info.timestamp();
        let timestamp = server_time.unwrap_or_else(|| env.now_filetime());
        let send_mic = cfg.send_mic && server_time.is_some();

        let mut list = AvListBuilder::new();
        for pair in server_info.iter() {
            if !matches!(
                pair.id,
                MSV_AV_FLAGS | MSV_AV_CHANNEL_BINDINGS | MSV_AV_TARGET_NAME
            ) {
                list.push(pair.id, pair.value)?;
            }
        }
        if send_mic {
            list.push(MSV_AV_FLAGS, &AV_FLAG_MIC_PRESENT.to_le_bytes())?;
        }
        match (&cfg.channel_bindings, send_mic) {
            (Some(hash), _) => {
                list.push(MSV_AV_CHANNEL_BINDINGS, hash)?;
            }
            // Like Windows, a modern exchange carries the (empty) bindings.
            (None, true) => {
                list.push(MSV_AV_CHANNEL_BINDINGS, &[0; 16])?;
            }
            (None, false) => {}
        }
        if let Some(spn) = &cfg.target_spn {
            list.push_str(MSV_AV_TARGET_NAME, spn)?;
        }
        let blob = ntlmv2_blob(timestamp, client_challenge, &list.finish());

        let (proof, session_base_key) = nt_proof_and_base_key(key, server_challenge, &blob);
        let mut nt = Vec::with_capacity(16 + blob.len());
        nt.extend_from_slice(&proof);
        nt.extend_from_slice(&blob);
        // With a server timestamp the LM response is Z(24) (MS-NLMP 3.1.5.1.2).
        let lm = if server_time.is_some() {
            vec![0; 24]
        } else {
            lmv2_response(key, server_challenge, client_challenge).to_vec()
        };
        Ok(Responses {
            lm,
            nt,
            session_base_key,
            send_mic,
        })
    }
}

/// The computed challenge responses.
struct Responses {
    lm: Vec<u8>,
    nt: Vec<u8>,
    session_base_key: Zeroizing<[u8; 16]>,
    send_mic: bool,
}

impl Responses {
    /// Anonymous: empty NT response, LM response Z(1), zero session key.
    fn anonymous() -> Self {
        Responses {
            lm: vec![0],
            nt: Vec::new(),
            session_base_key: Zeroizing::new([0; 16]),
            send_mic: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::credentials::Secret;
    use super::super::crypto::tests::{
        hex, kat_target_info, CLIENT_CHALLENGE, RANDOM_SESSION_KEY, SERVER_CHALLENGE,
    };
    use super::super::session::Part;
    use super::super::text::utf16le;
    use super::*;
    use crate::env::FixedEnv;

    fn kat_config() -> ClientConfig {
        let mut cfg = ClientConfig::new(Credentials::User {
            user: "User".into(),
            domain: "Domain".into(),
            secret: Secret::Password(Zeroizing::new("Password".into())),
        });
        cfg.workstation = "COMPUTER".into();
        cfg.integrity = true;
        cfg.confidentiality = true;
        cfg
    }

    /// The CHALLENGE of MS-NLMP 4.2.4.
    fn kat_challenge() -> Vec<u8> {
        let flags = 0xe28a_0233;
        Challenge::encode(
            flags,
            &utf16le("Server"),
            &SERVER_CHALLENGE,
            &kat_target_info(),
        )
        .expect("encodes")
    }

    fn kat_env() -> FixedEnv {
        let mut script = CLIENT_CHALLENGE.to_vec();
        script.extend_from_slice(&RANDOM_SESSION_KEY);
        FixedEnv::new(&script, 0)
    }

    #[test]
    fn negotiate_message() {
        let mut client = Client::new(kat_config());
        let msg = client.negotiate().expect("negotiate");
        let parsed = Negotiate::parse(&msg).expect("parses");
        assert_eq!(parsed.flags, client.requested_flags());
        assert_eq!(msg.len(), 40);
        assert_eq!(client.negotiate(), Err(Error::InvalidState));
    }

    #[test]
    fn key_exchange_only_with_signing_or_sealing() {
        // Windows' NEGOTIATE for a caller that asks for nothing is
        // 0xA2088207: no SIGN, SEAL or KEY_EXCH. Ours is the same but for
        // NEGOTIATE_56, which it never asks for (128-bit keys only).
        let mut cfg = kat_config();
        cfg.integrity = false;
        cfg.confidentiality = false;
        let bare = Client::new(cfg.clone()).requested_flags();
        assert_eq!(bare, 0xA208_8207 & !NEGOTIATE_56);
        cfg.integrity = true;
        let signing = Client::new(cfg).requested_flags();
        assert_eq!(signing, bare | NEGOTIATE_SIGN | NEGOTIATE_KEY_EXCH);
        // Without them, no EncryptedRandomSessionKey: the session key is
        // KXKEY, as MS-NLMP's server computes it.
        let mut cfg = kat_config();
        cfg.integrity = false;
        cfg.confidentiality = false;
        let mut client = Client::new(cfg);
        client.negotiate().expect("negotiate");
        let (msg, est) = client
            .authenticate(&kat_challenge(), &kat_env())
            .expect("authenticate");
        let auth = Authenticate::parse(&msg).expect("parses");
        assert!(auth.fields.encrypted_session_key.is_empty());
        assert_eq!(auth.fields.flags & NEGOTIATE_KEY_EXCH, 0);
        assert_ne!(est.session_key(), &RANDOM_SESSION_KEY);
    }

    #[test]
    fn authenticate_before_negotiate_is_refused() {
        let mut client = Client::new(kat_config());
        let result = client.authenticate(&kat_challenge(), &kat_env());
        assert_eq!(result.map(|_| ()), Err(Error::InvalidState));
    }

    #[test]
    fn ms_nlmp_4_2_4_authenticate_known_answers() {
        let mut client = Client::new(kat_config());
        client.negotiate().expect("negotiate");
        let env = kat_env();
        let (msg, mut ctx) = client.authenticate(&kat_challenge(), &env).expect("auth");
        let auth = Authenticate::parse(&msg).expect("parses");
        let mut expected_nt = hex("68cd0ab851e51c96aabc927bebef6a1c");
        expected_nt.extend_from_slice(&hex(
            "0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000 \
             02000c0044006f006d00610069006e00 01000c00530065007200760065007200 \
             0000000000000000",
        ));
        assert_eq!(auth.fields.nt_response, &expected_nt[..]);
        assert_eq!(
            auth.fields.lm_response,
            &hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")[..]
        );
        assert_eq!(
            auth.fields.encrypted_session_key,
            &hex("c5dad2544fc9799094ce1ce90bc9d03e")[..]
        );
        assert_eq!(auth.fields.user, &utf16le("User")[..]);
        assert_eq!(auth.fields.domain, &utf16le("Domain")[..]);
        assert_eq!(auth.fields.workstation, &utf16le("COMPUTER")[..]);
        // No server timestamp: no MIC.
        assert_eq!(auth.mic, Some([0; 16]));
        assert_eq!(ctx.session_key(), &RANDOM_SESSION_KEY);
        assert_eq!(ctx.target_names().nb_computer, "Server");
        assert_eq!(ctx.target_names().nb_domain, "Domain");
        assert!(!ctx.is_anonymous());

        let mut data = utf16le("Plaintext");
        let sig = ctx
            .session_mut()
            .seal(&mut [Part::Encrypt(&mut data)])
            .expect("seal");
        assert_eq!(data, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
        assert_eq!(sig.to_vec(), hex("010000007fb38ec5c55d497600000000"));
    }

    #[test]
    fn refuses_weak_servers() {
        for flags in [
            // No extended session security.
            0xe28a_0233 & !NEGOTIATE_EXTENDED_SESSIONSECURITY,
            // Signing without 128-bit keys.
            0xe28a_0233 & !NEGOTIATE_128,
            // Neither Unicode nor OEM.
            0xe28a_0233 & !(NEGOTIATE_UNICODE | NEGOTIATE_OEM),
        ] {
            let chal = Challenge::encode(flags, &[], &SERVER_CHALLENGE, &kat_target_info())
                .expect("encodes");
            let mut client = Client::new(kat_config());
            client.negotiate().expect("negotiate");
            let result = client.authenticate(&chal, &kat_env());
            assert_eq!(result.map(|_| ()), Err(Error::Unsupported));
        }
    }

    #[test]
    fn garbage_challenge_is_invalid_token() {
        let chal = kat_challenge();
        for cut in 0..chal.len() {
            let mut client = Client::new(kat_config());
            client.negotiate().expect("negotiate");
            let result = client.authenticate(&chal[..cut], &kat_env());
            assert_eq!(result.map(|_| ()), Err(Error::InvalidToken));
        }
        // A target info that is not an AV list.
        let bad = Challenge::encode(0xe28a_0233, &[], &SERVER_CHALLENGE, &[2, 0, 9, 0, 1])
            .expect("encodes");
        let mut client = Client::new(kat_config());
        client.negotiate().expect("negotiate");
        let result = client.authenticate(&bad, &kat_env());
        assert_eq!(result.map(|_| ()), Err(Error::InvalidToken));
    }
}

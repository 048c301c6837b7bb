//! The acceptor (AcceptSecurityContext) state machine: NEGOTIATE in,
//! CHALLENGE out, AUTHENTICATE in. Accepts NTLMv2 with extended session
//! security and anonymous logons; refuses LM and NTLMv1.

use zeroize::Zeroizing;

use super::av_pairs::{AvList, AvListBuilder};
use super::credentials::UserStore;
use super::crypto::{ct_eq, mic, nt_proof_and_base_key, ntowf_v2, rc4k, BLOB_HEADER_LEN};
use super::error::{Denied, Error};
use super::established::{Established, TargetNames};
use super::flags::*;
use super::messages::{Authenticate, Challenge, Negotiate, MIC_LEN, MIC_OFFSET};
use super::session::{check_flags, key_exchange};
use super::text::{decode, encode};
use crate::env::Env;

/// The acceptor's identity and policy.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// NetBIOS computer name (MsvAvNbComputerName).
    pub nb_computer: String,
    /// NetBIOS domain name (MsvAvNbDomainName); also the TargetName when
    /// not empty.
    pub nb_domain: String,
    /// DNS computer name (MsvAvDnsComputerName), sent when not empty.
    pub dns_computer: String,
    /// DNS domain name (MsvAvDnsDomainName), sent when not empty.
    pub dns_domain: String,
    /// DNS forest name (MsvAvDnsTreeName), sent when not empty.
    pub dns_tree: String,
    /// The expected channel-binding hash; when set, a client whose
    /// MsvAvChannelBindings differs or is missing is refused.
    pub channel_bindings: Option<[u8; 16]>,
    /// Whether anonymous logons are accepted.
    pub allow_anonymous: bool,
    /// Whether a client that returns the CHALLENGE's timestamp must send a
    /// MIC (strict, the default). Windows accepts such a client without
    /// one, which lets a man in the middle strip the MIC by editing the
    /// CHALLENGE; see `authenticate`.
    pub require_mic: bool,
}

impl Default for ServerConfig {
    /// Empty names, no channel bindings, anonymous logons accepted, MIC
    /// required.
    fn default() -> Self {
        ServerConfig {
            nb_computer: String::new(),
            nb_domain: String::new(),
            dns_computer: String::new(),
            dns_domain: String::new(),
            dns_tree: String::new(),
            channel_bindings: None,
            allow_anonymous: true,
            require_mic: true,
        }
    }
}

impl ServerConfig {
    /// A configuration with the given NetBIOS names that accepts anonymous
    /// logons and has no channel bindings.
    pub fn new(nb_computer: &str, nb_domain: &str) -> Self {
        ServerConfig {
            nb_computer: nb_computer.to_owned(),
            nb_domain: nb_domain.to_owned(),
            ..ServerConfig::default()
        }
    }

    fn target_names(&self) -> TargetNames {
        TargetNames {
            nb_computer: self.nb_computer.clone(),
            nb_domain: self.nb_domain.clone(),
            dns_computer: self.dns_computer.clone(),
            dns_domain: self.dns_domain.clone(),
            dns_tree: self.dns_tree.clone(),
        }
    }
}

/// What the acceptor remembers between CHALLENGE and AUTHENTICATE.
#[derive(Debug)]
struct Pending {
    /// The NEGOTIATE token as received, and the length of the message in it.
    negotiate: Vec<u8>,
    negotiate_len: usize,
    /// The CHALLENGE as sent, and its TargetInfo.
    challenge: Vec<u8>,
    target_info: Vec<u8>,
    server_challenge: [u8; 8],
    flags: u32,
}

#[derive(Debug)]
enum State {
    Initial,
    ChallengeSent(Box<Pending>),
    Done,
}

/// The acceptor state machine.
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    state: State,
}

impl Server {
    /// A new acceptor.
    pub fn new(config: ServerConfig) -> Self {
        Server {
            config,
            state: State::Initial,
        }
    }

    /// The configuration, to complete before `authenticate` (channel
    /// bindings may arrive with the AUTHENTICATE).
    pub fn config_mut(&mut self) -> &mut ServerConfig {
        &mut self.config
    }

    /// Processes the client's NEGOTIATE (which may be followed by unrelated
    /// bytes) and returns the CHALLENGE.
    ///
    /// Errors: `InvalidState` if called twice; `InvalidToken` for a
    /// malformed NEGOTIATE; `Unsupported` if the client does not offer
    /// extended session security or a character set; `InvalidParameter` if
    /// a configured name does not fit; `Internal` if randomness fails.
    pub fn challenge(&mut self, negotiate: &[u8], env: &dyn Env) -> Result<Vec<u8>, Error> {
        if !matches!(self.state, State::Initial) {
            return Err(Error::InvalidState);
        }
        self.state = State::Done;
        let neg = Negotiate::parse(negotiate)?;
        let asked = neg.flags;
        if asked & NEGOTIATE_EXTENDED_SESSIONSECURITY == 0 {
            return Err(Error::Unsupported);
        }
        let charset = if asked & NEGOTIATE_UNICODE != 0 {
            NEGOTIATE_UNICODE
        } else if asked & NEGOTIATE_OEM != 0 {
            NEGOTIATE_OEM
        } else {
            return Err(Error::Unsupported);
        };
        let echoed = NEGOTIATE_SIGN
            | NEGOTIATE_SEAL
            | NEGOTIATE_ALWAYS_SIGN
            | NEGOTIATE_128
            | NEGOTIATE_56
            | NEGOTIATE_KEY_EXCH
            | NEGOTIATE_VERSION
            | NEGOTIATE_IDENTIFY
            | REQUEST_TARGET;
        let (target_name, target_type) = if self.config.nb_domain.is_empty() {
            (&self.config.nb_computer, TARGET_TYPE_SERVER)
        } else {
            (&self.config.nb_domain, TARGET_TYPE_DOMAIN)
        };
        let flags = charset
            | NEGOTIATE_NTLM
            | NEGOTIATE_TARGET_INFO
            | NEGOTIATE_EXTENDED_SESSIONSECURITY
            | target_type
            | (asked & echoed);

        let mut server_challenge = [0u8; 8];
        env.random(&mut server_challenge)?;
        let target_info = self.target_info(env.now_filetime())?;
        let challenge = Challenge::encode(
            flags,
            &encode(target_name, charset == NEGOTIATE_UNICODE),
            &server_challenge,
            &target_info,
        )?;
        self.state = State::ChallengeSent(Box::new(Pending {
            negotiate: negotiate.to_vec(),
            negotiate_len: neg.len,
            challenge: challenge.clone(),
            target_info,
            server_challenge,
            flags,
        }));
        Ok(challenge)
    }

    /// The CHALLENGE's TargetInfo: NetBIOS names always, DNS names when
    /// configured, and the timestamp.
    fn target_info(&self, now: u64) -> Result<Vec<u8>, Error> {
        let c = &self.config;
        let mut list = AvListBuilder::new();
        list.push_str(MSV_AV_NB_DOMAIN_NAME, &c.nb_domain)?;
        list.push_str(MSV_AV_NB_COMPUTER_NAME, &c.nb_computer)?;
        for (id, name) in [
            (MSV_AV_DNS_DOMAIN_NAME, &c.dns_domain),
            (MSV_AV_DNS_COMPUTER_NAME, &c.dns_computer),
            (MSV_AV_DNS_TREE_NAME, &c.dns_tree),
        ] {
            if !name.is_empty() {
                list.push_str(id, name)?;
            }
        }
        list.push(MSV_AV_TIMESTAMP, &now.to_le_bytes())?;
        Ok(list.finish())
    }

    /// Processes the client's AUTHENTICATE (which may be followed by
    /// unrelated bytes) and returns the established context. The server is
    /// finished afterwards, whether this succeeds or not.
    ///
    /// Checks, in order: the NTProofStr over the blob exactly as received;
    /// that every AV pair of the CHALLENGE's TargetInfo comes back, unchanged,
    /// in the blob (which the NTProofStr protects), in any order; the MIC,
    /// which is required when the timestamp came back (unless
    /// `require_mic` is off) and checked whenever MsvAvFlags announces one;
    /// then the channel bindings when configured.
    ///
    /// A man in the middle who edits the CHALLENGE (renames or drops the
    /// timestamp, shortens TargetInfo, clears NEGOTIATE_TARGET_INFO) to make
    /// the client omit its MIC is caught by the missing pairs; one who edits
    /// the flags (clears SEAL or KEY_EXCH) is caught by the MIC, which covers
    /// the CHALLENGE as this server sent it.
    ///
    /// Errors: `InvalidState` if `challenge` was not called or this was;
    /// `InvalidToken` for a malformed message; `LogonDenied` for an LM or
    /// NTLMv1 response, an unknown user, a wrong password, a TargetInfo pair
    /// that did not come back, a bad or missing MIC, or a refused anonymous
    /// logon; `BadBindings` for
    /// mismatched channel bindings; `Unsupported` if the client dropped
    /// extended session security or 128-bit keys.
    pub fn authenticate(
        &mut self,
        msg: &[u8],
        store: &dyn UserStore,
    ) -> Result<Established, Error> {
        let pending = match core::mem::replace(&mut self.state, State::Done) {
            State::ChallengeSent(pending) => pending,
            _ => return Err(Error::InvalidState),
        };
        let auth = Authenticate::parse(msg)?;
        let flags = auth.fields.flags & (pending.flags | NEGOTIATE_ANONYMOUS);
        if flags & NEGOTIATE_EXTENDED_SESSIONSECURITY == 0 {
            return Err(Error::Unsupported);
        }
        if flags & (NEGOTIATE_SIGN | NEGOTIATE_SEAL) != 0 && flags & NEGOTIATE_128 == 0 {
            return Err(Error::Unsupported);
        }
        let unicode = pending.flags & NEGOTIATE_UNICODE != 0;
        let user = decode(auth.fields.user, unicode)?;
        let domain = decode(auth.fields.domain, unicode)?;
        let workstation = decode(auth.fields.workstation, unicode)?;

        let anonymous = user.is_empty()
            && auth.fields.nt_response.is_empty()
            && matches!(auth.fields.lm_response, [] | [0]);
        let (base_key, av) = if anonymous {
            if !self.config.allow_anonymous {
                return Err(Error::LogonDenied(Denied::Anonymous));
            }
            (Zeroizing::new([0u8; 16]), AvList::parse(&[])?)
        } else {
            verify_ntlmv2(&auth, &user, &domain, &pending.server_challenge, store)?
        };

        // The client's key is used only with signing or sealing (MS-NLMP
        // 3.2.5.1.2); otherwise the session key is KXKEY.
        let exported = match (key_exchange(flags), auth.fields.encrypted_session_key) {
            (true, encrypted) if encrypted.len() == 16 => {
                let encrypted: [u8; 16] = encrypted.try_into().map_err(|_| Error::InvalidToken)?;
                rc4k(&base_key, &encrypted)
            }
            (true, []) | (false, _) => base_key,
            (true, _) => return Err(Error::InvalidToken),
        };

        let mic = av.av_flags() & AV_FLAG_MIC_PRESENT != 0;
        if !anonymous {
            check_pairs_returned(&pending.target_info, &av)?;
            if !mic && self.config.require_mic && av.timestamp().is_some() {
                return Err(Error::LogonDenied(Denied::MicMissing));
            }
        }
        if mic {
            check_mic(&exported, &pending, msg, &auth)?;
        }
        if let Some(expected) = &self.config.channel_bindings {
            match av.get(MSV_AV_CHANNEL_BINDINGS) {
                Some(sent) if ct_eq(sent, expected) => {}
                _ => return Err(Error::BadBindings),
            }
        }

        check_flags(flags)?;
        Ok(Established {
            session: None,
            flags,
            is_client: false,
            user,
            domain,
            workstation,
            session_key: exported,
            anonymous,
            target: self.config.target_names(),
            client_target_name: av.get_string(MSV_AV_TARGET_NAME),
            mic,
        })
    }
}

/// Verifies the NTLMv2 response and returns the SessionBaseKey and the
/// blob's AV pairs.
fn verify_ntlmv2<'a>(
    auth: &Authenticate<'a>,
    user: &str,
    domain: &str,
    server_challenge: &[u8; 8],
    store: &dyn UserStore,
) -> Result<(Zeroizing<[u8; 16]>, AvList<'a>), Error> {
    let nt = auth.fields.nt_response;
    // 24 bytes is NTLMv1; an empty NT response with a user is LM only.
    if nt.len() == 24 {
        return Err(Error::LogonDenied(Denied::NtlmV1));
    }
    if nt.is_empty() {
        return Err(Error::LogonDenied(Denied::LmOnly));
    }
    let (proof, blob) = nt.split_first_chunk::<16>().ok_or(Error::InvalidToken)?;
    let av_bytes = blob.get(BLOB_HEADER_LEN..).ok_or(Error::InvalidToken)?;

    // Some clients compute NTOWFv2 with an empty domain (MS-NLMP 3.2.5.1.2).
    let domains: &[&str] = if domain.is_empty() {
        &[""]
    } else {
        &[domain, ""]
    };
    let mut known = None;
    let mut matched = None;
    for d in domains {
        // An unknown user costs the same work as a wrong password.
        let key = match store.response_key(user, domain, d) {
            Some(key) => {
                known = Some(());
                key
            }
            None => ntowf_v2(&[0; 16], user, d),
        };
        let (expected, base) = nt_proof_and_base_key(&key, server_challenge, blob);
        if ct_eq(&expected, proof) {
            matched = Some(base);
            break;
        }
    }
    let base = match (known, matched) {
        (Some(_), Some(base)) => base,
        (None, _) => return Err(Error::LogonDenied(Denied::UnknownUser)),
        (Some(_), None) => return Err(Error::LogonDenied(Denied::ProofMismatch)),
    };
    let av = AvList::parse(av_bytes)?;
    Ok((base, av))
}

/// Checks that every AV pair the server sent in TargetInfo is in the
/// client's NTLMv2 blob with the same value (clients may reorder the pairs
/// and add their own: MIT's gss-ntlmssp re-encodes the list).
fn check_pairs_returned(sent: &[u8], returned: &AvList<'_>) -> Result<(), Error> {
    let sent = AvList::parse(sent)?;
    for pair in sent.iter() {
        if !returned.iter().any(|p| p == pair) {
            return Err(Error::LogonDenied(Denied::PairMissing));
        }
    }
    Ok(())
}

/// Checks the AUTHENTICATE's MIC. The MIC covers the messages as the client
/// sent them: first the tokens as received, then, should trailing bytes
/// have been added in transit, the messages as delimited by their fields.
fn check_mic(
    exported: &[u8; 16],
    pending: &Pending,
    msg: &[u8],
    auth: &Authenticate<'_>,
) -> Result<(), Error> {
    let received = auth.mic.ok_or(Error::LogonDenied(Denied::MicMissing))?;
    let negotiate_trimmed = pending
        .negotiate
        .get(..pending.negotiate_len)
        .ok_or(Error::InvalidToken)?;
    let auth_trimmed = msg.get(..auth.len).ok_or(Error::InvalidToken)?;
    let candidates = [
        (&pending.negotiate[..], msg),
        (negotiate_trimmed, auth_trimmed),
    ];
    for (i, (negotiate, authenticate)) in candidates.iter().enumerate() {
        if i > 0 && negotiate.len() == pending.negotiate.len() && authenticate.len() == msg.len() {
            break;
        }
        let mut zeroed = authenticate.to_vec();
        let slot = zeroed
            .get_mut(MIC_OFFSET..MIC_OFFSET + MIC_LEN)
            .ok_or(Error::LogonDenied(Denied::MicMissing))?;
        slot.fill(0);
        if ct_eq(
            &mic(exported, negotiate, &pending.challenge, &zeroed),
            &received,
        ) {
            return Ok(());
        }
    }
    Err(Error::LogonDenied(Denied::MicMismatch))
}

#[cfg(test)]
mod tests {
    use super::super::client::{Client, ClientConfig};
    use super::super::credentials::{Credentials, Secret};
    use super::super::crypto::{nt_hash, nt_proof, ntlmv2_blob, session_base_key};
    use super::super::messages::AuthenticateFields;
    use super::super::session::Part;
    use super::super::text::utf16le;
    use super::super::user_file::UserFile;
    use super::*;
    use crate::env::FixedEnv;

    const TIME: u64 = 133_000_000_000_000_000;

    fn store() -> UserFile {
        UserFile::parse("Domain:User:Password\n:anyone:Secret1\n")
    }

    fn server_config() -> ServerConfig {
        let mut cfg = ServerConfig::new("SERVER", "DOMAIN");
        cfg.dns_computer = "server.domain.test".into();
        cfg.dns_domain = "domain.test".into();
        cfg
    }

    fn user(user: &str, domain: &str, password: &str) -> ClientConfig {
        let mut cfg = ClientConfig::new(Credentials::User {
            user: user.into(),
            domain: domain.into(),
            secret: Secret::Password(Zeroizing::new(password.into())),
        });
        cfg.workstation = "WS".into();
        cfg.integrity = true;
        cfg.confidentiality = true;
        cfg.target_spn = Some("HOST/server.domain.test".into());
        cfg
    }

    /// Runs NEGOTIATE and CHALLENGE; returns both ends and the messages.
    fn start(
        client_cfg: ClientConfig,
        server_cfg: ServerConfig,
    ) -> (Client, Server, Vec<u8>, Vec<u8>) {
        let env = FixedEnv::new(&[], TIME);
        let mut client = Client::new(client_cfg);
        let mut server = Server::new(server_cfg);
        let negotiate = client.negotiate().expect("negotiate");
        let challenge = server.challenge(&negotiate, &env).expect("challenge");
        (client, server, negotiate, challenge)
    }

    fn handshake(
        client_cfg: ClientConfig,
        server_cfg: ServerConfig,
    ) -> Result<(Established, Established), Error> {
        let (mut client, mut server, _, challenge) = start(client_cfg, server_cfg);
        let env = FixedEnv::new(&[], TIME);
        let (auth, c) = client.authenticate(&challenge, &env).expect("client");
        let s = server.authenticate(&auth, &store())?;
        Ok((c, s))
    }

    fn exchange_messages(c: &mut Established, s: &mut Established) {
        let sig = c.session_mut().sign(&[b"to ", b"server"]);
        s.session_mut()
            .verify(&[b"to server"], &sig)
            .expect("c->s sign");
        let sig = s.session_mut().sign(&[b"to client"]);
        c.session_mut()
            .verify(&[b"to client"], &sig)
            .expect("s->c sign");

        let mut data = *b"sealed to server";
        let sig = c
            .session_mut()
            .seal(&mut [Part::Encrypt(&mut data)])
            .expect("seal");
        s.session_mut()
            .unseal(&mut [Part::Encrypt(&mut data)], &sig)
            .expect("unseal");
        assert_eq!(&data, b"sealed to server");
        let mut data = *b"sealed to client";
        let sig = s
            .session_mut()
            .seal(&mut [Part::SignOnly(b"hdr"), Part::Encrypt(&mut data)])
            .expect("seal");
        c.session_mut()
            .unseal(
                &mut [Part::SignOnly(b"hdr"), Part::Encrypt(&mut data)],
                &sig,
            )
            .expect("unseal");
        assert_eq!(&data, b"sealed to client");
    }

    #[test]
    fn full_handshake_and_message_protection() {
        let (mut c, mut s) =
            handshake(user("user", "Domain", "Password"), server_config()).expect("handshake");
        assert_eq!(c.session_key(), s.session_key());
        assert_eq!(c.flags(), s.flags());
        assert_ne!(c.flags() & NEGOTIATE_SEAL, 0);
        assert_eq!(s.user(), "user");
        assert_eq!(s.domain(), "Domain");
        assert_eq!(s.workstation(), "WS");
        assert!(!s.is_anonymous());
        assert_eq!(s.client_target_name(), Some("HOST/server.domain.test"));
        assert_eq!(c.target_names().dns_computer, "server.domain.test");
        assert_eq!(c.target_names().nb_domain, "DOMAIN");
        assert_eq!(s.target_names(), c.target_names());
        exchange_messages(&mut c, &mut s);

        // Tampering and replay.
        let sig = c.session_mut().sign(&[b"payload"]);
        assert_eq!(
            s.session_mut().verify(&[b"payloaD"], &sig),
            Err(Error::MessageAltered)
        );
        let (mut c, mut s) =
            handshake(user("user", "Domain", "Password"), server_config()).expect("handshake");
        let sig = c.session_mut().sign(&[b"payload"]);
        s.session_mut().verify(&[b"payload"], &sig).expect("first");
        assert!(s.session_mut().verify(&[b"payload"], &sig).is_err());
    }

    #[test]
    fn mic_is_sent_and_checked() {
        let (mut client, mut server, _, challenge) =
            start(user("User", "Domain", "Password"), server_config());
        let (auth, _) = client
            .authenticate(&challenge, &FixedEnv::new(&[], TIME))
            .expect("client");
        let parsed = Authenticate::parse(&auth).expect("parses");
        assert_ne!(parsed.mic, Some([0; 16]));
        // The server's timestamp means a zero LM response.
        assert_eq!(parsed.fields.lm_response, &[0; 24]);
        let mut bad = auth.clone();
        bad[MIC_OFFSET] ^= 1;
        assert_eq!(
            server.authenticate(&bad, &store()).map(|_| ()),
            Err(Error::LogonDenied(Denied::MicMismatch))
        );
    }

    #[test]
    fn tampered_authenticate_is_denied() {
        // The workstation is covered only by the MIC.
        let (mut client, mut server, _, challenge) =
            start(user("User", "Domain", "Password"), server_config());
        let (auth, _) = client
            .authenticate(&challenge, &FixedEnv::new(&[], TIME))
            .expect("client");
        let parsed = Authenticate::parse(&auth).expect("parses");
        let ws_at = auth
            .windows(4)
            .position(|w| w == utf16le("WS"))
            .expect("workstation present");
        assert_eq!(parsed.fields.workstation, &auth[ws_at..ws_at + 4]);
        let mut bad = auth.clone();
        bad[ws_at] = b'X';
        assert_eq!(
            server.authenticate(&bad, &store()).map(|_| ()),
            Err(Error::LogonDenied(Denied::MicMismatch))
        );

        // A flipped bit in the blob breaks the NTProofStr.
        let (mut client, mut server, _, challenge) =
            start(user("User", "Domain", "Password"), server_config());
        let (auth, _) = client
            .authenticate(&challenge, &FixedEnv::new(&[], TIME))
            .expect("client");
        let nt_offset = u32::from_le_bytes(auth[24..28].try_into().expect("4")) as usize;
        let mut bad = auth.clone();
        bad[nt_offset + 16 + 8] ^= 1;
        assert_eq!(
            server.authenticate(&bad, &store()).map(|_| ()),
            Err(Error::LogonDenied(Denied::ProofMismatch))
        );
    }

    #[test]
    fn wrong_password_and_unknown_user() {
        let r = handshake(user("User", "Domain", "wrong"), server_config());
        assert_eq!(
            r.map(|_| ()),
            Err(Error::LogonDenied(Denied::ProofMismatch))
        );
        let r = handshake(user("Nobody", "Domain", "Password"), server_config());
        assert_eq!(r.map(|_| ()), Err(Error::LogonDenied(Denied::UnknownUser)));
        // The domain is part of NTOWFv2 and of the store lookup.
        let r = handshake(user("User", "Elsewhere", "Password"), server_config());
        assert_eq!(r.map(|_| ()), Err(Error::LogonDenied(Denied::UnknownUser)));
        // An entry with an empty domain matches any domain.
        let (_, s) =
            handshake(user("ANYONE", "whatever", "Secret1"), server_config()).expect("handshake");
        assert_eq!(s.user(), "ANYONE");
        assert_eq!(s.domain(), "whatever");
    }

    #[test]
    fn nt_hash_credentials_work() {
        let mut cfg = user("User", "Domain", "");
        cfg.credentials = Credentials::User {
            user: "User".into(),
            domain: "Domain".into(),
            secret: Secret::NtHash(nt_hash("Password")),
        };
        assert!(handshake(cfg, server_config()).is_ok());
    }

    #[test]
    fn channel_bindings() {
        let bindings = Some([0x11; 16]);
        let mut server_cfg = server_config();
        server_cfg.channel_bindings = bindings;

        let mut cfg = user("User", "Domain", "Password");
        cfg.channel_bindings = bindings;
        assert!(handshake(cfg, server_cfg.clone()).is_ok());

        let mut cfg = user("User", "Domain", "Password");
        cfg.channel_bindings = Some([0x22; 16]);
        assert_eq!(
            handshake(cfg, server_cfg.clone()).map(|_| ()),
            Err(Error::BadBindings)
        );

        // Missing bindings (the client sends zeros) are refused too.
        let cfg = user("User", "Domain", "Password");
        assert_eq!(
            handshake(cfg, server_cfg.clone()).map(|_| ()),
            Err(Error::BadBindings)
        );
        // And so is a client that sends no MsvAvChannelBindings at all
        // (which only a server that does not require the MIC gets to see).
        let mut cfg = user("User", "Domain", "Password");
        cfg.send_mic = false;
        let mut lenient = server_cfg.clone();
        lenient.require_mic = false;
        assert_eq!(handshake(cfg, lenient).map(|_| ()), Err(Error::BadBindings));

        // A server without bindings accepts a client with some.
        let mut cfg = user("User", "Domain", "Password");
        cfg.channel_bindings = bindings;
        assert!(handshake(cfg, server_config()).is_ok());
    }

    #[test]
    fn anonymous() {
        let mut cfg = ClientConfig::new(Credentials::Anonymous);
        cfg.integrity = true;
        let (mut client, mut server, _, challenge) = start(cfg.clone(), server_config());
        let (auth, mut c) = client
            .authenticate(&challenge, &FixedEnv::new(&[], TIME))
            .expect("client");
        let parsed = Authenticate::parse(&auth).expect("parses");
        assert!(parsed.fields.nt_response.is_empty());
        assert_eq!(parsed.fields.lm_response, &[0]);
        assert!(parsed.fields.user.is_empty());
        assert_ne!(parsed.fields.flags & NEGOTIATE_ANONYMOUS, 0);
        let mut s = server
            .authenticate(&auth, &store())
            .expect("anonymous accepted");
        assert!(s.is_anonymous());
        assert!(c.is_anonymous());
        assert_eq!(s.user(), "");
        assert_eq!(c.session_key(), s.session_key());
        let sig = c.session_mut().sign(&[b"x"]);
        s.session_mut().verify(&[b"x"], &sig).expect("verify");

        let mut refusing = server_config();
        refusing.allow_anonymous = false;
        let (mut client, mut server, _, challenge) = start(cfg, refusing);
        let (auth, _) = client
            .authenticate(&challenge, &FixedEnv::new(&[], TIME))
            .expect("client");
        assert_eq!(
            server.authenticate(&auth, &store()).map(|_| ()),
            Err(Error::LogonDenied(Denied::Anonymous))
        );
    }

    /// Builds an AUTHENTICATE by hand, as other clients do.
    struct Crafted {
        pad_blob: bool,
        with_mic: bool,
        nt_override: Option<Vec<u8>>,
        /// KEY_EXCH and an EncryptedRandomSessionKey without signing or
        /// sealing (which MS-NLMP's server ignores).
        key_exch_unprotected: bool,
        /// Copy the server's AV pairs in reverse order (as a client that
        /// re-encodes the list, like gss-ntlmssp, may).
        reorder_pairs: bool,
    }

    impl Default for Crafted {
        /// A well-formed AUTHENTICATE with a MIC.
        fn default() -> Self {
            Crafted {
                pad_blob: true,
                with_mic: true,
                nt_override: None,
                key_exch_unprotected: false,
                reorder_pairs: false,
            }
        }
    }

    fn crafted_authenticate(c: &Crafted, negotiate: &[u8], challenge: &[u8]) -> Vec<u8> {
        let chal = Challenge::parse(challenge).expect("challenge");
        let server_info = AvList::parse(chal.target_info).expect("target info");
        let mut list = AvListBuilder::new();
        let mut pairs: Vec<_> = server_info.iter().collect();
        if c.reorder_pairs {
            pairs.reverse();
        }
        for pair in pairs {
            list.push(pair.id, pair.value).expect("fits");
        }
        if c.with_mic {
            list.push(MSV_AV_FLAGS, &AV_FLAG_MIC_PRESENT.to_le_bytes())
                .expect("fits");
        }
        let mut blob = ntlmv2_blob(
            server_info.timestamp().unwrap_or(0),
            &[7; 8],
            &list.finish(),
        );
        if !c.pad_blob {
            blob.truncate(blob.len() - 4);
        }
        let key = ntowf_v2(&nt_hash("Password"), "User", "Domain");
        let proof = nt_proof(&key, &chal.server_challenge, &blob);
        let mut nt = proof.to_vec();
        nt.extend_from_slice(&blob);
        let nt = c.nt_override.clone().unwrap_or(nt);
        let exported = session_base_key(&key, &proof);
        let (flags, encrypted): (u32, &[u8]) = if c.key_exch_unprotected {
            let flags = (chal.flags | NEGOTIATE_KEY_EXCH) & !(NEGOTIATE_SIGN | NEGOTIATE_SEAL);
            (flags, &[0x33; 16])
        } else {
            (chal.flags & !NEGOTIATE_KEY_EXCH, &[])
        };
        let mut msg = Authenticate::encode(&AuthenticateFields {
            lm_response: &[0; 24],
            nt_response: &nt,
            domain: &utf16le("Domain"),
            user: &utf16le("User"),
            workstation: &utf16le("samba"),
            encrypted_session_key: encrypted,
            flags,
        })
        .expect("encodes");
        if c.with_mic {
            let code = mic(&exported, negotiate, challenge, &msg);
            msg[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&code);
        }
        msg
    }

    #[test]
    fn blob_without_trailing_padding_is_accepted() {
        for with_mic in [false, true] {
            let mut lenient = server_config();
            lenient.require_mic = false;
            let (_, mut server, negotiate, challenge) =
                start(user("User", "Domain", "Password"), lenient);
            let c = Crafted {
                pad_blob: false,
                with_mic,
                nt_override: None,
                key_exch_unprotected: false,
                ..Crafted::default()
            };
            let auth = crafted_authenticate(&c, &negotiate, &challenge);
            let s = server.authenticate(&auth, &store()).expect("accepted");
            assert_eq!(s.workstation(), "samba");
            assert_eq!(s.flags() & NEGOTIATE_KEY_EXCH, 0);
        }
    }

    /// The edits a man in the middle makes to a CHALLENGE to have the client
    /// leave out its MIC, or to weaken the session behind it.
    type Edit = fn(&[u8]) -> Vec<u8>;

    fn mitm_edits() -> Vec<(&'static str, Edit)> {
        fn rebuild(challenge: &[u8], flags: impl Fn(u32) -> u32, info: Option<Vec<u8>>) -> Vec<u8> {
            let c = Challenge::parse(challenge).expect("challenge");
            let info = info.unwrap_or_else(|| c.target_info.to_vec());
            Challenge::encode(flags(c.flags), c.target_name, &c.server_challenge, &info)
                .expect("encodes")
        }
        fn pairs(challenge: &[u8], edit: impl Fn(u16) -> Option<u16>) -> Option<Vec<u8>> {
            let c = Challenge::parse(challenge).expect("challenge");
            let mut list = AvListBuilder::new();
            for pair in AvList::parse(c.target_info).expect("pairs").iter() {
                if let Some(id) = edit(pair.id) {
                    list.push(id, pair.value).expect("fits");
                }
            }
            Some(list.finish())
        }
        vec![
            ("timestamp AvId changed", |c| {
                let info = pairs(c, |id| {
                    Some(if id == MSV_AV_TIMESTAMP { 0x0107 } else { id })
                });
                rebuild(c, |f| f, info)
            }),
            ("TargetInfo shortened", |c| {
                let info = pairs(c, |id| (id != MSV_AV_TIMESTAMP).then_some(id));
                rebuild(c, |f| f, info)
            }),
            ("TargetInfo emptied", |c| {
                rebuild(c, |f| f, Some(Vec::new()))
            }),
            ("NEGOTIATE_TARGET_INFO cleared", |c| {
                rebuild(c, |f| f & !NEGOTIATE_TARGET_INFO, None)
            }),
            ("SEAL cleared", |c| {
                rebuild(c, |f| f & !NEGOTIATE_SEAL, None)
            }),
            ("KEY_EXCH cleared", |c| {
                rebuild(c, |f| f & !NEGOTIATE_KEY_EXCH, None)
            }),
        ]
    }

    #[test]
    fn a_man_in_the_middle_cannot_strip_the_mic_or_weaken_the_session() {
        for require_mic in [true, false] {
            for (edit, mitm) in mitm_edits() {
                let mut cfg = server_config();
                cfg.require_mic = require_mic;
                let (mut client, mut server, negotiate, challenge) =
                    start(user("User", "Domain", "Password"), cfg.clone());
                let tampered = mitm(&challenge);
                assert_ne!(tampered, challenge, "{edit}");
                let env = FixedEnv::new(&[], TIME);
                // Our client sends a MIC whenever it sees the timestamp: the
                // flag edits break the MIC, the others lose an AV pair.
                let why = if edit.starts_with("SEAL") || edit.starts_with("KEY_EXCH") {
                    Denied::MicMismatch
                } else {
                    Denied::PairMissing
                };
                if let Ok((auth, _)) = client.authenticate(&tampered, &env) {
                    assert_eq!(
                        server.authenticate(&auth, &store()).map(|_| ()),
                        Err(Error::LogonDenied(why)),
                        "our client, {edit}, require_mic {require_mic}"
                    );
                }
                // A client that never sends a MIC: refused whatever the
                // policy, since the pairs it returns are not the ones sent
                // or, for the flag edits, since the MIC is required.
                let (_, mut server, _, challenge) = start(user("User", "Domain", "Password"), cfg);
                let tampered = mitm(&challenge);
                let crafted = Crafted {
                    with_mic: false,
                    ..Crafted::default()
                };
                let auth = crafted_authenticate(&crafted, &negotiate, &tampered);
                let r = server.authenticate(&auth, &store()).map(|_| ());
                // (This client copies TargetInfo whatever the flags say.)
                let flag_edit = edit.ends_with("cleared");
                if require_mic || !flag_edit {
                    let why = if flag_edit {
                        Denied::MicMissing
                    } else {
                        Denied::PairMissing
                    };
                    assert_eq!(r, Err(Error::LogonDenied(why)), "MIC-less client, {edit}");
                } else {
                    // Lenient, as Windows: a MIC-less client is not protected.
                    assert_eq!(r, Ok(()), "MIC-less client, {edit}, lenient");
                }
            }
        }
    }

    #[test]
    fn the_mic_is_required_when_the_timestamp_comes_back() {
        let crafted = |c: Crafted, require_mic: bool| {
            let mut cfg = server_config();
            cfg.require_mic = require_mic;
            let (_, mut server, negotiate, challenge) =
                start(user("User", "Domain", "Password"), cfg);
            let auth = crafted_authenticate(&c, &negotiate, &challenge);
            server.authenticate(&auth, &store()).map(|_| ())
        };
        let without_mic = || Crafted {
            with_mic: false,
            ..Crafted::default()
        };
        assert_eq!(crafted(Crafted::default(), true), Ok(()));
        assert_eq!(
            crafted(without_mic(), true),
            Err(Error::LogonDenied(Denied::MicMissing))
        );
        assert_eq!(crafted(without_mic(), false), Ok(()));
        // Pairs in another order, as a client that re-encodes them sends.
        let reordered = Crafted {
            reorder_pairs: true,
            ..Crafted::default()
        };
        assert_eq!(crafted(reordered, true), Ok(()));
    }

    #[test]
    fn key_exchange_without_signing_or_sealing_is_ignored() {
        // MS-NLMP 3.2.5.1.2: the EncryptedRandomSessionKey counts only with
        // signing or sealing; the session key (and the MIC's key) is KXKEY.
        let (_, mut server, negotiate, challenge) =
            start(user("User", "Domain", "Password"), server_config());
        let c = Crafted {
            pad_blob: true,
            with_mic: true,
            nt_override: None,
            key_exch_unprotected: true,
            ..Crafted::default()
        };
        let auth = crafted_authenticate(&c, &negotiate, &challenge);
        let s = server.authenticate(&auth, &store()).expect("accepted");
        let key = ntowf_v2(&nt_hash("Password"), "User", "Domain");
        let parsed = Authenticate::parse(&auth).expect("parses");
        let proof: [u8; 16] = parsed.fields.nt_response[..16].try_into().unwrap();
        assert_eq!(s.session_key(), &*session_base_key(&key, &proof));
    }

    #[test]
    fn ntlmv1_and_lm_are_refused() {
        for (nt, why) in [(vec![0x5a; 24], Denied::NtlmV1), (vec![], Denied::LmOnly)] {
            let (_, mut server, negotiate, challenge) =
                start(user("User", "Domain", "Password"), server_config());
            let c = Crafted {
                pad_blob: true,
                with_mic: false,
                nt_override: Some(nt),
                key_exch_unprotected: false,
                ..Crafted::default()
            };
            let auth = crafted_authenticate(&c, &negotiate, &challenge);
            assert_eq!(
                server.authenticate(&auth, &store()).map(|_| ()),
                Err(Error::LogonDenied(why))
            );
        }
        // Too short to be NTLMv2.
        let (_, mut server, negotiate, challenge) =
            start(user("User", "Domain", "Password"), server_config());
        let c = Crafted {
            pad_blob: true,
            with_mic: false,
            nt_override: Some(vec![0x5a; 30]),
            key_exch_unprotected: false,
            ..Crafted::default()
        };
        let auth = crafted_authenticate(&c, &negotiate, &challenge);
        assert_eq!(
            server.authenticate(&auth, &store()).map(|_| ()),
            Err(Error::InvalidToken)
        );
    }

    #[test]
    fn trailing_bytes_after_tokens_are_tolerated() {
        let env = FixedEnv::new(&[], TIME);
        let mut client = Client::new(user("User", "Domain", "Password"));
        let mut server = Server::new(server_config());
        let mut negotiate = client.negotiate().expect("negotiate");
        negotiate.extend_from_slice(b"unrelated");
        let mut challenge = server.challenge(&negotiate, &env).expect("challenge");
        challenge.extend_from_slice(b"more unrelated bytes");
        let (mut auth, mut c) = client.authenticate(&challenge, &env).expect("client");
        auth.extend_from_slice(&[0xff; 7]);
        let mut s = server.authenticate(&auth, &store()).expect("server");
        exchange_messages(&mut c, &mut s);
    }

    #[test]
    fn truncated_and_garbage_tokens() {
        let (mut client, _, negotiate, challenge) =
            start(user("User", "Domain", "Password"), server_config());
        let (auth, _) = client
            .authenticate(&challenge, &FixedEnv::new(&[], TIME))
            .expect("client");

        for cut in 0..negotiate.len() {
            let mut server = Server::new(server_config());
            let r = server.challenge(&negotiate[..cut], &FixedEnv::new(&[], TIME));
            if cut == 32 {
                // Without its VERSION a NEGOTIATE is still valid, as older
                // clients send it; cut inside the VERSION it is truncated.
                assert!(r.is_ok(), "negotiate cut at {cut}");
            } else {
                assert_eq!(
                    r.map(|_| ()),
                    Err(Error::InvalidToken),
                    "negotiate cut at {cut}"
                );
            }
        }
        for cut in 0..auth.len() {
            let (_, mut server, _, _) = start(user("User", "Domain", "Password"), server_config());
            let r = server.authenticate(&auth[..cut], &store());
            assert_eq!(r.map(|_| ()), Err(Error::InvalidToken), "cut at {cut}");
        }
        // Garbage of every length, and bit flips everywhere: never a panic,
        // never a success.
        let garbage: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(131) >> 2) as u8)
            .collect();
        for len in 0..garbage.len() {
            let (_, mut server, _, _) = start(user("User", "Domain", "Password"), server_config());
            assert!(server.authenticate(&garbage[..len], &store()).is_err());
        }
        for i in 0..auth.len() * 8 {
            let mut flipped = auth.clone();
            flipped[i / 8] ^= 1 << (i % 8);
            let (_, mut server, _, _) = start(user("User", "Domain", "Password"), server_config());
            let _ = server.authenticate(&flipped, &store());
        }
    }

    #[test]
    fn state_machine_order() {
        let mut server = Server::new(server_config());
        assert_eq!(
            server.authenticate(b"NTLMSSP\0", &store()).map(|_| ()),
            Err(Error::InvalidState)
        );
        let mut server = Server::new(server_config());
        let mut client = Client::new(user("User", "Domain", "Password"));
        let negotiate = client.negotiate().expect("negotiate");
        let env = FixedEnv::new(&[], TIME);
        server.challenge(&negotiate, &env).expect("challenge");
        assert_eq!(
            server.challenge(&negotiate, &env).map(|_| ()),
            Err(Error::InvalidState)
        );
    }

    #[test]
    fn refuses_clients_without_extended_session_security() {
        let negotiate =
            Negotiate::encode(NEGOTIATE_UNICODE | NEGOTIATE_NTLM, &[], &[]).expect("encodes");
        let mut server = Server::new(server_config());
        let r = server.challenge(&negotiate, &FixedEnv::new(&[], TIME));
        assert_eq!(r.map(|_| ()), Err(Error::Unsupported));
    }

    #[test]
    fn established_export_import_continues() {
        let (mut c, mut s) =
            handshake(user("User", "Domain", "Password"), server_config()).expect("handshake");
        exchange_messages(&mut c, &mut s);
        let blob = s.export().expect("export");
        let mut s2 = Established::import(&blob).expect("import");
        drop(s);
        assert_eq!(s2.user(), "User");
        assert_eq!(s2.client_target_name(), Some("HOST/server.domain.test"));
        assert_eq!(s2.target_names().dns_domain, "domain.test");
        assert!(!s2.is_client());
        exchange_messages(&mut c, &mut s2);

        let blob = c.export().expect("export");
        let mut c2 = Established::import(&blob).expect("import");
        exchange_messages(&mut c2, &mut s2);

        for cut in 0..blob.len() {
            assert!(Established::import(&blob[..cut]).is_err());
        }
        let mut longer = blob.to_vec();
        longer.push(0);
        assert!(Established::import(&longer).is_err());
    }

    #[test]
    fn handshake_with_the_system_environment() {
        let env = crate::env::SystemEnv;
        let mut client = Client::new(user("User", "Domain", "Password"));
        let mut server = Server::new(server_config());
        let negotiate = client.negotiate().expect("negotiate");
        let challenge = server.challenge(&negotiate, &env).expect("challenge");
        let (auth, mut c) = client.authenticate(&challenge, &env).expect("client");
        let mut s = server.authenticate(&auth, &store()).expect("server");
        assert_ne!(c.session_key(), &[0; 16]);
        exchange_messages(&mut c, &mut s);
    }

    #[test]
    fn oem_only_client_gets_an_oem_challenge() {
        let flags = NEGOTIATE_OEM | NEGOTIATE_EXTENDED_SESSIONSECURITY | REQUEST_TARGET;
        let negotiate = Negotiate::encode(flags, &[], &[]).expect("encodes");
        let mut server = Server::new(server_config());
        let challenge = server
            .challenge(&negotiate, &FixedEnv::new(&[], TIME))
            .expect("challenge");
        let parsed = Challenge::parse(&challenge).expect("parses");
        assert_eq!(
            parsed.flags & (NEGOTIATE_OEM | NEGOTIATE_UNICODE),
            NEGOTIATE_OEM
        );
        assert_eq!(parsed.target_name, b"DOMAIN");
        assert_ne!(parsed.flags & TARGET_TYPE_DOMAIN, 0);
        assert_eq!(parsed.version, None);
        let info = AvList::parse(parsed.target_info).expect("target info");
        assert_eq!(info.timestamp(), Some(TIME));
        assert_eq!(
            info.get_string(MSV_AV_DNS_DOMAIN_NAME).as_deref(),
            Some("domain.test")
        );
    }
}

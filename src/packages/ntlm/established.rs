//! An established NTLM context: what QueryContextAttributes reports, and
//! the `SessionSecurity` that signs and seals its messages.

use zeroize::Zeroizing;

use super::av_pairs::AvList;
use super::error::Error;
use super::flags::{
    MSV_AV_DNS_COMPUTER_NAME, MSV_AV_DNS_DOMAIN_NAME, MSV_AV_DNS_TREE_NAME,
    MSV_AV_NB_COMPUTER_NAME, MSV_AV_NB_DOMAIN_NAME,
};
use super::session::SessionSecurity;
use super::wire::Cursor;

/// Magic and version of an exported `Established`.
const EXPORT_MAGIC: [u8; 8] = *b"OSNTLMCX";
const EXPORT_VERSION: u8 = 2;

/// The server's names, as carried in the CHALLENGE's TargetInfo. Empty
/// strings for names that were absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetNames {
    /// MsvAvNbComputerName.
    pub nb_computer: String,
    /// MsvAvNbDomainName.
    pub nb_domain: String,
    /// MsvAvDnsComputerName.
    pub dns_computer: String,
    /// MsvAvDnsDomainName.
    pub dns_domain: String,
    /// MsvAvDnsTreeName.
    pub dns_tree: String,
}

impl TargetNames {
    /// The names found in an AV pair list.
    pub fn from_av_list(list: &AvList<'_>) -> Self {
        let get = |id| list.get_string(id).unwrap_or_default();
        TargetNames {
            nb_computer: get(MSV_AV_NB_COMPUTER_NAME),
            nb_domain: get(MSV_AV_NB_DOMAIN_NAME),
            dns_computer: get(MSV_AV_DNS_COMPUTER_NAME),
            dns_domain: get(MSV_AV_DNS_DOMAIN_NAME),
            dns_tree: get(MSV_AV_DNS_TREE_NAME),
        }
    }
}

/// A completed NTLM context, client or server side.
pub struct Established {
    /// Derived on first use: a context that never signs or seals pays for
    /// no key schedules.
    pub(super) session: Option<SessionSecurity>,
    pub(super) flags: u32,
    pub(super) is_client: bool,
    pub(super) user: String,
    pub(super) domain: String,
    pub(super) workstation: String,
    pub(super) session_key: Zeroizing<[u8; 16]>,
    pub(super) anonymous: bool,
    pub(super) target: TargetNames,
    pub(super) client_target_name: Option<String>,
    /// Whether the AUTHENTICATE message carried a MIC (which makes SPNEGO's
    /// mechListMIC mandatory). Not exported: an imported context is past
    /// its handshake.
    pub(super) mic: bool,
}

impl core::fmt::Debug for Established {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Established")
            .field("flags", &format_args!("{:#010x}", self.flags))
            .field("is_client", &self.is_client)
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("workstation", &self.workstation)
            .field("anonymous", &self.anonymous)
            .field("target", &self.target)
            .field("client_target_name", &self.client_target_name)
            .field("mic", &self.mic)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Established {
    /// The negotiated NTLMSSP flags (those of the AUTHENTICATE message).
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// Whether this is the initiator's side.
    pub fn is_client(&self) -> bool {
        self.is_client
    }

    /// The authenticated user name (server side: as the client sent it;
    /// empty for anonymous).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The user's domain (server side: as the client sent it).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The client's workstation name (as sent in AUTHENTICATE).
    #[cfg(test)]
    pub fn workstation(&self) -> &str {
        &self.workstation
    }

    /// The ExportedSessionKey (SECPKG_ATTR_SESSION_KEY).
    pub fn session_key(&self) -> &[u8; 16] {
        &self.session_key
    }

    /// Whether the client authenticated anonymously.
    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    /// The server's names from the CHALLENGE's TargetInfo.
    pub fn target_names(&self) -> &TargetNames {
        &self.target
    }

    /// Server side: the SPN the client put in MsvAvTargetName, if any.
    pub fn client_target_name(&self) -> Option<&str> {
        self.client_target_name.as_deref()
    }

    /// Whether the AUTHENTICATE message carried a MIC.
    pub fn has_mic(&self) -> bool {
        self.mic
    }

    /// The signing and sealing state, for MakeSignature, VerifySignature,
    /// EncryptMessage and DecryptMessage (derived on the first call).
    pub fn session_mut(&mut self) -> &mut SessionSecurity {
        let (key, flags, is_client) = (&self.session_key, self.flags, self.is_client);
        self.session
            .get_or_insert_with(|| SessionSecurity::derive(key, flags, is_client))
    }

    /// The whole context as versioned bytes (ExportSecurityContext). The
    /// result holds keys: keep it secret.
    pub fn export(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let mut out = Zeroizing::new(Vec::new());
        out.extend_from_slice(&EXPORT_MAGIC);
        out.push(EXPORT_VERSION);
        out.push(u8::from(self.is_client));
        out.push(u8::from(self.anonymous));
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.session_key[..]);
        let session = match &self.session {
            Some(session) => session.export()?,
            None => {
                SessionSecurity::derive(&self.session_key, self.flags, self.is_client).export()?
            }
        };
        put_bytes(&mut out, &session)?;
        let t = &self.target;
        for s in [
            &self.user,
            &self.domain,
            &self.workstation,
            &t.nb_computer,
            &t.nb_domain,
            &t.dns_computer,
            &t.dns_domain,
            &t.dns_tree,
        ] {
            put_bytes(&mut out, s.as_bytes())?;
        }
        match &self.client_target_name {
            Some(name) => {
                out.push(1);
                put_bytes(&mut out, name.as_bytes())?;
            }
            None => out.push(0),
        }
        Ok(out)
    }

    /// Rebuilds a context from `export`'s bytes (ImportSecurityContext).
    /// `InvalidParameter` for anything malformed, including trailing bytes.
    pub fn import(data: &[u8]) -> Result<Self, Error> {
        let bad = |_| Error::InvalidParameter;
        let mut c = Cursor::new(data);
        if c.array::<8>().map_err(bad)? != EXPORT_MAGIC || c.u8().map_err(bad)? != EXPORT_VERSION {
            return Err(Error::InvalidParameter);
        }
        let is_client = get_bool(&mut c)?;
        let anonymous = get_bool(&mut c)?;
        let flags = c.u32().map_err(bad)?;
        let session_key = Zeroizing::new(c.array::<16>().map_err(bad)?);
        let session = SessionSecurity::import(get_bytes(&mut c)?)?;
        if session.flags() != flags {
            return Err(Error::InvalidParameter);
        }
        let user = get_string(&mut c)?;
        let domain = get_string(&mut c)?;
        let workstation = get_string(&mut c)?;
        let target = TargetNames {
            nb_computer: get_string(&mut c)?,
            nb_domain: get_string(&mut c)?,
            dns_computer: get_string(&mut c)?,
            dns_domain: get_string(&mut c)?,
            dns_tree: get_string(&mut c)?,
        };
        let client_target_name = if get_bool(&mut c)? {
            Some(get_string(&mut c)?)
        } else {
            None
        };
        if c.remaining() != 0 {
            return Err(Error::InvalidParameter);
        }
        Ok(Established {
            session: Some(session),
            flags,
            is_client,
            user,
            domain,
            workstation,
            session_key,
            anonymous,
            target,
            client_target_name,
            mic: false,
        })
    }
}

fn put_bytes(out: &mut Vec<u8>, data: &[u8]) -> Result<(), Error> {
    let len = u32::try_from(data.len()).map_err(|_| Error::InvalidParameter)?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(data);
    Ok(())
}

fn get_bytes<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], Error> {
    let len = c.u32().map_err(|_| Error::InvalidParameter)?;
    let len = usize::try_from(len).map_err(|_| Error::InvalidParameter)?;
    c.take(len).map_err(|_| Error::InvalidParameter)
}

fn get_string(c: &mut Cursor<'_>) -> Result<String, Error> {
    let bytes = get_bytes(c)?;
    core::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| Error::InvalidParameter)
}

fn get_bool(c: &mut Cursor<'_>) -> Result<bool, Error> {
    match c.u8() {
        Ok(0) => Ok(false),
        Ok(1) => Ok(true),
        _ => Err(Error::InvalidParameter),
    }
}

#[cfg(test)]
mod tests {
    use super::super::flags::{NEGOTIATE_EXTENDED_SESSIONSECURITY, NEGOTIATE_SIGN};
    use super::*;

    #[test]
    fn debug_output_hides_keys() {
        let flags = NEGOTIATE_EXTENDED_SESSIONSECURITY | NEGOTIATE_SIGN;
        let ctx = Established {
            session: Some(SessionSecurity::new(&[0xab; 16], flags, true).expect("session")),
            flags,
            is_client: true,
            user: "u".into(),
            domain: "d".into(),
            workstation: String::new(),
            session_key: Zeroizing::new([0xab; 16]),
            anonymous: false,
            target: TargetNames::default(),
            client_target_name: None,
            mic: true,
        };
        let text = format!("{ctx:?}");
        assert!(text.contains("\"u\""));
        assert!(!text.contains("171"), "{text}");
    }
}

//! Kerberos credentials as AcquireCredentialsHandle makes them.
//!
//! - Outbound, explicit identity: `user` and `domain` (the realm,
//!   upper-cased), or `user@REALM` as a plain principal; the password makes
//!   the keys once the KDC has named the salt.
//! - Outbound, NULL auth data: MIT's credential cache (KRB5CCNAME, FILE:
//!   caches, default `/tmp/krb5cc_<uid>`), else the client keytab
//!   (KRB5_CLIENT_KTNAME); with neither, SEC_E_NO_CREDENTIALS.
//! - Inbound: the keytab of KRB5_KTNAME (default `/etc/krb5.keytab`), all
//!   of it or the principal the caller names.
//!
//! The credential keeps the tickets it gets (TGT and service tickets), so
//! that a second context to the same service asks no KDC; and the
//! acceptor's replay cache.

use std::path::PathBuf;

use parking_lot::Mutex;
use zeroize::Zeroizing;

use super::ap::ReplayCache;
use super::config::{self, Config};
use super::files::{self, CachedTicket, KeytabEntry, Principal};
use super::messages::{name_type, KerberosString, PrincipalName};
use crate::credentials::identity;
use crate::env::Env;
use crate::package::{AcquireRequest, AuthIdentity, Error, SecResult};
use crate::vocabulary::*;

/// How the initiator proves who it is to the KDC.
#[derive(Debug)]
pub enum Secret {
    /// A password: keys are made with the KDC's salt.
    Password(Zeroizing<String>),
    /// Keys from a client keytab.
    Keytab(Vec<KeytabEntry>),
    /// Only the tickets of a credential cache.
    Tickets,
}

/// The initiator's side of a credential.
#[derive(Debug)]
pub struct Client {
    pub principal: Principal,
    pub secret: Secret,
    /// The KDC's clock minus ours (a cache's record), in seconds.
    pub time_offset: i64,
}

/// A Kerberos credential (what a CredHandle holds for this package).
#[derive(Debug)]
pub struct KerberosCredentials {
    pub config: Config,
    pub client: Option<Client>,
    /// The acceptor's keys.
    pub keytab: Vec<KeytabEntry>,
    /// Tickets got or read so far.
    pub tickets: Mutex<Vec<CachedTicket>>,
    pub replay: Mutex<ReplayCache>,
    /// The KDC proxy SetCredentialsAttributes gave, if any.
    pub proxy: Mutex<Option<KdcProxy>>,
}

/// A KDC proxy (MS-KKDCP): an HTTPS URL the credential's KDC exchanges go
/// to when no KDC can be reached directly, or always (`force`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdcProxy {
    pub host: String,
    pub port: u16,
    /// The URL path, with its leading `/`.
    pub path: String,
    /// KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY: never ask a KDC directly.
    pub force: bool,
}

/// SecPkgCredentials_KdcProxySettingsW's size.
const KDC_PROXY_SETTINGS_LEN: usize = 16;

impl KdcProxy {
    /// SecPkgCredentials_KdcProxySettingsW's bytes (`value`, the structure
    /// then its strings, each at an offset from its start, lengths in
    /// bytes): the proxy, or `None` when ProxyServer is empty (no proxy).
    /// ProxyServer is `host[:port[:path]]`, by default port 443 and path
    /// `KdcProxy`. A client TLS credential is not supported.
    pub fn from_settings(value: &[u8]) -> SecResult<Option<KdcProxy>> {
        let bad = || Error::from(SEC_E_INVALID_PARAMETER);
        let u16_at = |at: usize| -> SecResult<usize> {
            let b = value.get(at..at + 2).ok_or_else(bad)?;
            Ok(usize::from(u16::from_ne_bytes([b[0], b[1]])))
        };
        if value.len() < KDC_PROXY_SETTINGS_LEN {
            return Err(bad());
        }
        let version = u32::from_ne_bytes(value[..4].try_into().map_err(|_| bad())?);
        let flags = u32::from_ne_bytes(value[4..8].try_into().map_err(|_| bad())?);
        if version != KDC_PROXY_SETTINGS_V1 || flags & !KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY != 0 {
            return Err(bad());
        }
        if u16_at(14)? != 0 {
            return Err(SEC_E_UNSUPPORTED_FUNCTION.into());
        }
        let (offset, len) = (u16_at(8)?, u16_at(10)?);
        if len == 0 {
            return Ok(None);
        }
        let bytes = value.get(offset..offset + len).ok_or_else(bad)?;
        if len % 2 != 0 {
            return Err(bad());
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        let server = String::from_utf16(&units).map_err(|_| bad())?;
        let mut parts = server.splitn(3, ':');
        let host = parts.next().filter(|h| !h.is_empty()).ok_or_else(bad)?;
        let port = match parts.next() {
            Some(p) => p.parse::<u16>().map_err(|_| bad())?,
            None => 443,
        };
        let path = parts.next().unwrap_or("KdcProxy").trim_start_matches('/');
        // Nothing that would change the HTTP request line or headers.
        let clean = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_graphic() && c != '?' && c != '#')
        };
        if !clean(host) || !clean(path) {
            return Err(bad());
        }
        Ok(Some(KdcProxy {
            host: host.to_owned(),
            port,
            path: format!("/{path}"),
            force: flags & KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY != 0,
        }))
    }
}

/// A path from an MIT cache or keytab name: `FILE:path`, `WRFILE:path` or a
/// bare path; other types (KEYRING:, KCM:, MEMORY:, DIR:) are not files.
fn file_name(name: &str) -> Option<PathBuf> {
    if let Some(rest) = name
        .strip_prefix("FILE:")
        .or_else(|| name.strip_prefix("WRFILE:"))
    {
        return Some(PathBuf::from(rest));
    }
    match name.split_once(':') {
        Some((kind, _)) if !kind.contains('/') => None,
        _ => Some(PathBuf::from(name)),
    }
}

/// The krb5.conf of KRB5_CONFIG (the first of a colon-separated list that
/// can be read), else `/etc/krb5.conf`; the defaults when none is readable.
pub fn load_config(env: &dyn Env) -> Config {
    let names = env
        .var("KRB5_CONFIG")
        .and_then(|v| v.into_string().ok())
        .unwrap_or_else(|| "/etc/krb5.conf".to_owned());
    for name in names.split(':').filter(|n| !n.is_empty()) {
        if let Some(bytes) = env.read_file(std::path::Path::new(name)) {
            return config::parse(&String::from_utf8_lossy(&bytes));
        }
    }
    Config::default()
}

/// The keytab named by `var` (or `default`), parsed.
fn keytab(env: &dyn Env, var: &str, default: Option<&str>) -> Option<Vec<KeytabEntry>> {
    let name = env
        .var(var)
        .and_then(|v| v.into_string().ok())
        .or_else(|| default.map(str::to_owned))?;
    let bytes = env.read_file(&file_name(&name)?)?;
    files::parse_keytab(&bytes).ok()
}

/// The initiator of a packed keytab: the principal the identity names (or
/// the keytab's first) with its keys. SEC_E_NO_CREDENTIALS when the keytab
/// holds none of that principal.
fn keytab_client(
    id: Option<&AuthIdentity>,
    entries: Vec<KeytabEntry>,
    config: &Config,
) -> SecResult<Client> {
    let named = id
        .and_then(|i| i.user.as_deref().map(|u| (u, i.domain.as_deref())))
        .map(|(user, domain)| principal(user, domain, config).ok_or(SEC_E_NO_CREDENTIALS))
        .transpose()?;
    let principal = match named {
        Some(p) => p,
        None => entries
            .first()
            .ok_or(SEC_E_NO_CREDENTIALS)?
            .principal
            .clone(),
    };
    let own: Vec<KeytabEntry> = entries
        .into_iter()
        .filter(|e| e.principal.realm == principal.realm && e.principal.name.same(&principal.name))
        .collect();
    if own.is_empty() {
        return Err(SEC_E_NO_CREDENTIALS.into());
    }
    Ok(Client {
        principal,
        secret: Secret::Keytab(own),
        time_offset: 0,
    })
}

/// A principal from `user@REALM` or `user` and `domain`; the realm is
/// upper-cased (Windows takes the domain's NetBIOS or DNS name).
pub fn principal(user: &str, domain: Option<&str>, config: &Config) -> Option<Principal> {
    let (name, realm) = match user.rsplit_once('@') {
        Some((n, r)) if !r.is_empty() => (n, Some(r.to_owned())),
        // Windows' `DOMAIN\user` without a separate domain.
        _ => match user.split_once('\\') {
            Some((d, n)) if domain.is_none_or(str::is_empty) && !d.is_empty() => {
                (n, Some(d.to_owned()))
            }
            _ => (user, None),
        },
    };
    let realm = realm
        .or_else(|| domain.filter(|d| !d.is_empty()).map(str::to_owned))
        .or_else(|| config.default_realm.clone())?
        .to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    Some(Principal {
        realm,
        name: PrincipalName {
            name_type: name_type::PRINCIPAL,
            name_string: name.split('/').map(KerberosString::from).collect(),
        },
    })
}

impl KerberosCredentials {
    /// AcquireCredentialsHandle for Kerberos.
    pub fn acquire(request: AcquireRequest<'_>) -> SecResult<Self> {
        let env = request.env;
        let config = load_config(env);
        let identity = request.auth.as_ref().map(identity::decode).transpose()?;
        // An EX2 identity's packed keytab (SEC_WINNT_AUTH_DATA_TYPE_KEYTAB).
        let packed_keytab = identity
            .as_ref()
            .and_then(|i| i.keytab.as_deref())
            .map(|k| files::parse_keytab(k).map_err(|_| Error::from(SEC_E_UNKNOWN_CREDENTIALS)))
            .transpose()?;
        let mut client = None;
        let mut tickets = Vec::new();
        if request.usage.outbound() {
            match identity.as_ref().filter(|i| i.user.is_some()) {
                _ if packed_keytab.is_some() => {
                    let entries = packed_keytab.clone().unwrap_or_default();
                    client = Some(keytab_client(identity.as_ref(), entries, &config)?);
                }
                Some(id) => {
                    let user = id.user.as_deref().unwrap_or_default();
                    let principal = principal(user, id.domain.as_deref(), &config)
                        .ok_or(SEC_E_NO_CREDENTIALS)?;
                    let password = id.password.clone().ok_or(SEC_E_NO_CREDENTIALS)?;
                    client = Some(Client {
                        principal,
                        secret: Secret::Password(password),
                        time_offset: 0,
                    });
                }
                None => {
                    client = default_client(env, &mut tickets);
                }
            }
        }
        let mut keytab_entries = Vec::new();
        if request.usage.inbound() {
            keytab_entries = match packed_keytab {
                Some(entries) => entries,
                None => keytab(env, "KRB5_KTNAME", Some("/etc/krb5.keytab")).unwrap_or_default(),
            };
            if let Some(name) = request.principal.as_deref() {
                keytab_entries.retain(|e| {
                    e.principal.text().eq_ignore_ascii_case(name)
                        || e.principal.name.text().eq_ignore_ascii_case(name)
                });
            }
        }
        let outbound_ok = !request.usage.outbound() || client.is_some();
        let inbound_ok = !request.usage.inbound() || !keytab_entries.is_empty();
        if !outbound_ok || !inbound_ok {
            return Err(SEC_E_NO_CREDENTIALS.into());
        }
        Ok(KerberosCredentials {
            config,
            client,
            keytab: keytab_entries,
            tickets: Mutex::new(tickets),
            replay: Mutex::new(ReplayCache::default()),
            proxy: Mutex::new(None),
        })
    }

    /// The credential's principal as `user@REALM` (QueryCredentialsAttributes).
    pub fn display_name(&self) -> String {
        match (&self.client, self.keytab.first()) {
            (Some(c), _) => c.principal.text(),
            (None, Some(e)) => e.principal.text(),
            (None, None) => String::new(),
        }
    }

    /// A valid cached ticket for `server`, at `now` (Unix seconds).
    pub fn cached(&self, server: &Principal, now: u64) -> Option<CachedTicket> {
        self.tickets
            .lock()
            .iter()
            .find(|t| {
                t.server.realm == server.realm
                    && t.server.name.same(&server.name)
                    && u64::from(t.endtime) > now + 60
            })
            .cloned()
    }

    /// Keeps a ticket for later contexts (replacing an older one for the
    /// same server).
    pub fn keep(&self, ticket: CachedTicket) {
        let mut all = self.tickets.lock();
        all.retain(|t| {
            !(t.server.realm == ticket.server.realm && t.server.name.same(&ticket.server.name))
        });
        all.push(ticket);
    }
}

/// The initiator of NULL auth data: the credential cache's principal and
/// tickets, else the client keytab's first principal.
fn default_client(env: &dyn Env, tickets: &mut Vec<CachedTicket>) -> Option<Client> {
    let cache_name = env
        .var("KRB5CCNAME")
        .and_then(|v| v.into_string().ok())
        .unwrap_or_else(|| format!("FILE:/tmp/krb5cc_{}", env.user_id()));
    if let Some(cache) = file_name(&cache_name)
        .and_then(|p| env.read_file(&p))
        .and_then(|b| files::parse_ccache(&b).ok())
    {
        tickets.extend(cache.tickets);
        return Some(Client {
            principal: cache.principal,
            secret: Secret::Tickets,
            time_offset: cache.time_offset.unwrap_or(0),
        });
    }
    let entries = keytab(env, "KRB5_CLIENT_KTNAME", None)?;
    let principal = entries.first()?.principal.clone();
    let own: Vec<KeytabEntry> = entries
        .into_iter()
        .filter(|e| e.principal == principal)
        .collect();
    Some(Client {
        principal,
        secret: Secret::Keytab(own),
        time_offset: 0,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// SecPkgCredentials_KdcProxySettingsW with `server` after it.
    pub fn settings(flags: u32, server: &str) -> Vec<u8> {
        let units: Vec<u8> = server.encode_utf16().flat_map(u16::to_ne_bytes).collect();
        let mut v = Vec::new();
        v.extend_from_slice(&1u32.to_ne_bytes());
        v.extend_from_slice(&flags.to_ne_bytes());
        v.extend_from_slice(&16u16.to_ne_bytes());
        v.extend_from_slice(&(units.len() as u16).to_ne_bytes());
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&units);
        v
    }

    #[test]
    fn kdc_proxy_settings() {
        let p = KdcProxy::from_settings(&settings(1, "proxy.example"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.path.as_str(), p.force),
            ("proxy.example", 443, "/KdcProxy", true)
        );
        let p = KdcProxy::from_settings(&settings(0, "localhost:8443:kdc/proxy"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.port, p.path.as_str(), p.force),
            (8443, "/kdc/proxy", false)
        );
        assert_eq!(KdcProxy::from_settings(&settings(0, "")).unwrap(), None);
        for bad in [
            settings(2, "x"),
            settings(0, ":443"),
            settings(0, "h:port"),
            settings(0, "h:443:/x HTTP/1.1\r\nX: y"),
            settings(0, "h\r\n:443"),
        ] {
            assert_eq!(
                KdcProxy::from_settings(&bad).unwrap_err(),
                SEC_E_INVALID_PARAMETER
            );
        }
        // The string past the end, a short structure, another version.
        let mut past = settings(0, "proxy");
        past.truncate(past.len() - 2);
        assert_eq!(
            KdcProxy::from_settings(&past).unwrap_err(),
            SEC_E_INVALID_PARAMETER
        );
        assert_eq!(
            KdcProxy::from_settings(&[1, 0, 0]).unwrap_err(),
            SEC_E_INVALID_PARAMETER
        );
        let mut v2 = settings(0, "proxy");
        v2[0] = 2;
        assert_eq!(
            KdcProxy::from_settings(&v2).unwrap_err(),
            SEC_E_INVALID_PARAMETER
        );
    }

    #[test]
    fn principals_from_identities() {
        let mut c = Config::default();
        assert_eq!(principal("alice", None, &c), None);
        c.default_realm = Some("EXAMPLE.ORG".into());
        assert_eq!(
            principal("alice", None, &c).unwrap().text(),
            "alice@EXAMPLE.ORG"
        );
        assert_eq!(
            principal("alice", Some("corp.example"), &c).unwrap().text(),
            "alice@CORP.EXAMPLE"
        );
        assert_eq!(
            principal("alice@other.org", Some("x"), &c).unwrap().text(),
            "alice@OTHER.ORG"
        );
        assert_eq!(
            principal("corp\\alice", None, &c).unwrap().text(),
            "alice@CORP"
        );
        assert_eq!(
            principal("corp\\alice", Some(""), &c).unwrap().text(),
            "alice@CORP"
        );
        assert_eq!(
            principal("host/web@R", None, &c)
                .unwrap()
                .name
                .name_string
                .len(),
            2
        );
        assert_eq!(principal("", None, &c), None);
    }

    #[test]
    fn cache_and_keytab_names() {
        assert_eq!(file_name("FILE:/tmp/x"), Some(PathBuf::from("/tmp/x")));
        assert_eq!(file_name("/tmp/x"), Some(PathBuf::from("/tmp/x")));
        assert_eq!(file_name("KEYRING:persistent:1000"), None);
        assert_eq!(
            file_name("WRFILE:/etc/krb5.keytab"),
            Some(PathBuf::from("/etc/krb5.keytab"))
        );
    }
}

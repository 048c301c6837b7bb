//! The krb5.conf that MIT's tools read (KRB5_CONFIG, default
//! `/etc/krb5.conf`): the profile format's sections, relations and
//! `{ ... }` subsections, and the settings this package uses from it.
//! `include` and `includedir` lines are not followed.

use super::crypto::Enctype;

/// What the package takes from krb5.conf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `[libdefaults] default_realm`.
    pub default_realm: Option<String>,
    /// `[libdefaults] udp_preference_limit`: requests longer than this go
    /// over TCP only (MIT's default 1465; 1 means TCP always).
    pub udp_preference_limit: usize,
    /// `[libdefaults] dns_canonicalize_hostname` (MIT's default true; this
    /// package never asks DNS, so only `false` is honoured exactly).
    pub dns_canonicalize_hostname: bool,
    /// `[libdefaults] default_tkt_enctypes`, `default_tgs_enctypes` and
    /// `permitted_enctypes`, intersected: the enctypes to ask for, in order.
    pub enctypes: Vec<Enctype>,
    /// `[libdefaults] clockskew` in seconds (default 300).
    pub clockskew: u64,
    /// `[libdefaults] ticket_lifetime` in seconds (default one day).
    pub ticket_lifetime: u64,
    /// `[realms] R = { kdc = host[:port] }`, for each realm, in order.
    pub realms: Vec<(String, Vec<String>)>,
    /// `[domain_realm]`: a host (`host`) or a domain (`.domain`) and its realm.
    pub domain_realm: Vec<(String, String)>,
}

/// MIT's order of preference.
pub const DEFAULT_ENCTYPES: [Enctype; 5] = [
    Enctype::Aes256CtsHmacSha196,
    Enctype::Aes128CtsHmacSha196,
    Enctype::Aes256CtsHmacSha384192,
    Enctype::Aes128CtsHmacSha256128,
    Enctype::Rc4Hmac,
];

impl Default for Config {
    fn default() -> Self {
        Config {
            default_realm: None,
            udp_preference_limit: 1465,
            dns_canonicalize_hostname: true,
            enctypes: DEFAULT_ENCTYPES.to_vec(),
            clockskew: 300,
            ticket_lifetime: 24 * 3600,
            realms: Vec::new(),
            domain_realm: Vec::new(),
        }
    }
}

/// The most nested `{` a krb5.conf may open (MIT's parser has no limit; a
/// real file uses two).
const MAX_DEPTH: usize = 8;

/// An enctype list's names (MIT's names and aliases, and numbers).
fn enctype_list(value: &str) -> Vec<Enctype> {
    let mut out = Vec::new();
    for word in value.split(|c: char| c.is_whitespace() || c == ',') {
        let found: &[Enctype] = match word.to_ascii_lowercase().as_str() {
            "aes256-cts-hmac-sha1-96" | "aes256-cts" | "aes256-sha1" | "18" => {
                &[Enctype::Aes256CtsHmacSha196]
            }
            "aes128-cts-hmac-sha1-96" | "aes128-cts" | "aes128-sha1" | "17" => {
                &[Enctype::Aes128CtsHmacSha196]
            }
            "aes128-cts-hmac-sha256-128" | "aes128-sha2" | "19" => {
                &[Enctype::Aes128CtsHmacSha256128]
            }
            "aes256-cts-hmac-sha384-192" | "aes256-sha2" | "20" => {
                &[Enctype::Aes256CtsHmacSha384192]
            }
            "rc4-hmac" | "arcfour-hmac" | "arcfour-hmac-md5" | "rc4" | "23" => &[Enctype::Rc4Hmac],
            "aes" => &[
                Enctype::Aes256CtsHmacSha196,
                Enctype::Aes128CtsHmacSha196,
                Enctype::Aes256CtsHmacSha384192,
                Enctype::Aes128CtsHmacSha256128,
            ],
            "default" => &DEFAULT_ENCTYPES,
            _ => &[],
        };
        for e in found {
            if !out.contains(e) {
                out.push(*e);
            }
        }
    }
    out
}

fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" | "nil" => Some(false),
        _ => None,
    }
}

/// A duration as MIT writes it: seconds, `NhNmNs`, `Nd`, or `h:m[:s]`.
fn duration(value: &str) -> Option<u64> {
    if let Ok(n) = value.parse::<u64>() {
        return Some(n);
    }
    if value.contains(':') {
        let parts: Vec<u64> = value
            .split(':')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let (h, m, s) = match parts[..] {
            [h, m] => (h, m, 0),
            [h, m, s] => (h, m, s),
            _ => return None,
        };
        // An absurd value is no value (checked: it comes from a file).
        return h
            .checked_mul(3600)?
            .checked_add(m.checked_mul(60)?)?
            .checked_add(s);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in value.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'd' => 86400,
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    number.is_empty().then_some(total)
}

/// Parses krb5.conf's text. Lines it does not understand are ignored, as
/// MIT ignores relations it does not know.
pub fn parse(text: &str) -> Config {
    let mut config = Config::default();
    let mut section = String::new();
    // The open subsections' names, outermost first.
    let mut path: Vec<String> = Vec::new();
    let (mut tkt, mut tgs, mut permitted) = (None, None, None);
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            if let Some(end) = line.find(']') {
                section = line[1..end].trim().to_ascii_lowercase();
                path.clear();
            }
            continue;
        }
        if line.starts_with('}') {
            path.pop();
            continue;
        }
        let Some((tag, value)) = line.split_once('=') else {
            continue;
        };
        let tag = tag.trim();
        let value = value.trim();
        if value == "{" {
            if path.len() < MAX_DEPTH {
                path.push(tag.to_owned());
            }
            continue;
        }
        let value = value.trim_end_matches('*').trim().to_owned();
        match (section.as_str(), path.as_slice()) {
            ("libdefaults", []) => match tag.to_ascii_lowercase().as_str() {
                "default_realm" => config.default_realm = Some(value),
                "udp_preference_limit" => {
                    if let Ok(n) = value.parse() {
                        config.udp_preference_limit = n;
                    }
                }
                "dns_canonicalize_hostname" => {
                    config.dns_canonicalize_hostname = boolean(&value).unwrap_or(true)
                }
                "default_tkt_enctypes" => tkt = Some(enctype_list(&value)),
                "default_tgs_enctypes" => tgs = Some(enctype_list(&value)),
                "permitted_enctypes" => permitted = Some(enctype_list(&value)),
                "clockskew" => {
                    if let Some(d) = duration(&value) {
                        config.clockskew = d;
                    }
                }
                "ticket_lifetime" => {
                    if let Some(d) = duration(&value) {
                        config.ticket_lifetime = d;
                    }
                }
                _ => {}
            },
            ("realms", [realm]) if tag.eq_ignore_ascii_case("kdc") => {
                match config.realms.iter_mut().find(|(r, _)| r == realm) {
                    Some((_, kdcs)) => kdcs.push(value),
                    None => config.realms.push((realm.clone(), vec![value])),
                }
            }
            ("domain_realm", []) => config.domain_realm.push((tag.to_ascii_lowercase(), value)),
            _ => {}
        }
    }
    let mut enctypes = DEFAULT_ENCTYPES.to_vec();
    for list in [tkt, tgs, permitted].into_iter().flatten() {
        enctypes.retain(|e| list.contains(e));
        // The first list given decides the order.
        enctypes.sort_by_key(|e| list.iter().position(|x| x == e));
    }
    config.enctypes = enctypes;
    config
}

impl Config {
    /// The KDCs of `realm` as `(host, port)`, in the file's order.
    pub fn kdcs(&self, realm: &str) -> Vec<(String, u16)> {
        let Some((_, kdcs)) = self.realms.iter().find(|(r, _)| r == realm) else {
            return Vec::new();
        };
        kdcs.iter().filter_map(|k| host_port(k, 88)).collect()
    }

    /// The realm of `host` from `[domain_realm]` (the host itself, then
    /// its domains from the longest), else the default realm.
    pub fn realm_of_host(&self, host: &str) -> Option<String> {
        let host = host.to_ascii_lowercase();
        if let Some((_, r)) = self.domain_realm.iter().find(|(h, _)| *h == host) {
            return Some(r.clone());
        }
        let mut rest = host.as_str();
        while let Some(dot) = rest.find('.') {
            let domain = &rest[dot..];
            if let Some((_, r)) = self.domain_realm.iter().find(|(h, _)| h == domain) {
                return Some(r.clone());
            }
            rest = &rest[dot + 1..];
        }
        self.default_realm.clone()
    }
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address; a
/// `tcp/`/`udp/` prefix is dropped (the transport follows
/// `udp_preference_limit`).
fn host_port(spec: &str, default_port: u16) -> Option<(String, u16)> {
    let spec = spec
        .strip_prefix("tcp/")
        .or_else(|| spec.strip_prefix("udp/"))
        .unwrap_or(spec);
    if let Some(rest) = spec.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default_port,
        };
        return Some((host.to_owned(), port));
    }
    match spec.matches(':').count() {
        0 => Some((spec.to_owned(), default_port)),
        1 => {
            let (h, p) = spec.split_once(':')?;
            Some((h.to_owned(), p.parse().ok()?))
        }
        _ => Some((spec.to_owned(), default_port)),
    }
    .filter(|(h, _)| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "
# a comment
[libdefaults]
    default_realm = EXAMPLE.ORG
    udp_preference_limit = 1
    dns_canonicalize_hostname = false
    default_tgs_enctypes = aes128-cts rc4-hmac
    permitted_enctypes = aes rc4-hmac
    clockskew = 2m
    ticket_lifetime = 10h 0m 0s
[realms]
    EXAMPLE.ORG = {
        kdc = kdc1.example.org
        kdc = 127.0.0.1:8888
        admin_server = kdc1.example.org
        auth_to_local = {
            nested = ignored
        }
        kdc = [::1]:750
    }
    OTHER.ORG = {
        kdc = tcp/kdc.other.org:1088
    }
[domain_realm]
    .other.org = OTHER.ORG
    special.example.org = OTHER.ORG
";

    #[test]
    fn settings_realms_and_domains() {
        let c = parse(CONF);
        assert_eq!(c.default_realm.as_deref(), Some("EXAMPLE.ORG"));
        assert_eq!(c.udp_preference_limit, 1);
        assert!(!c.dns_canonicalize_hostname);
        assert_eq!(c.enctypes, [Enctype::Aes128CtsHmacSha196, Enctype::Rc4Hmac]);
        assert_eq!(c.clockskew, 120);
        assert_eq!(c.ticket_lifetime, 36000);
        assert_eq!(
            c.kdcs("EXAMPLE.ORG"),
            [
                ("kdc1.example.org".to_owned(), 88),
                ("127.0.0.1".to_owned(), 8888),
                ("::1".to_owned(), 750)
            ]
        );
        assert_eq!(c.kdcs("OTHER.ORG"), [("kdc.other.org".to_owned(), 1088)]);
        assert!(c.kdcs("NONE.ORG").is_empty());
        assert_eq!(
            c.realm_of_host("a.b.other.org").as_deref(),
            Some("OTHER.ORG")
        );
        assert_eq!(
            c.realm_of_host("Special.Example.org").as_deref(),
            Some("OTHER.ORG")
        );
        assert_eq!(
            c.realm_of_host("web.example.org").as_deref(),
            Some("EXAMPLE.ORG")
        );
    }

    #[test]
    fn defaults_and_garbage() {
        let c = parse("");
        assert_eq!(c, Config::default());
        // Unbalanced braces and stray text change nothing and never panic.
        let c = parse("}}}\n[realms\nX = {\n{\n=\n= {\nkdc=\n[libdefaults]\nclockskew = 5x\n");
        assert_eq!(c.clockskew, 300);
        assert_eq!(duration("1d2h"), Some(93600));
        assert_eq!(duration("1:30"), Some(5400));
        assert_eq!(duration("h"), None);
        // Values whose seconds overflow are refused, never wrapped (a fuzz
        // finding: fuzz/regressions/krb5_conf).
        assert_eq!(duration("99999999999999999d"), None);
        assert_eq!(duration("99999999999999999:0"), None);
        assert_eq!(duration("18446744073709551615:59:59"), None);
    }
}

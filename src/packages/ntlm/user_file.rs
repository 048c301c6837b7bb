//! NTLM_USER_FILE, the credentials file gss-ntlmssp and pyspnego read.
//!
//! Each line is either `DOMAIN:USER:PASSWORD` (the domain may be empty; the
//! password is the rest of the line and may contain `:`), or an
//! smbpasswd-style `USER:UID:LMHASH:NTHASH:[FLAGS]:LCT-XXXXXXXX:` line whose
//! NT hash is 32 hex digits. Blank lines and lines starting with `#` are
//! ignored, and so, like those tools, are lines of neither form and
//! smbpasswd lines of disabled or password-less accounts.

use zeroize::Zeroizing;

use super::credentials::{Secret, UserStore};
use super::text::eq_ignore_case;

/// One account of the file.
#[derive(Debug, Clone)]
pub struct UserEntry {
    /// The domain; empty matches any domain.
    pub domain: String,
    /// The user name.
    pub user: String,
    /// The password or NT hash.
    pub secret: Secret,
}

/// A parsed user file.
#[derive(Debug, Clone, Default)]
pub struct UserFile {
    entries: Vec<UserEntry>,
}

impl UserFile {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .filter_map(|line| {
                let line = line.trim_end_matches('\r');
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    return None;
                }
                match parse_smbpasswd(line) {
                    Some(parsed) => parsed,
                    None => parse_plain(line),
                }
            })
            .collect();
        UserFile { entries }
    }

    /// All entries, in file order.
    #[cfg(test)]
    pub fn entries(&self) -> &[UserEntry] {
        &self.entries
    }

    /// The first entry: the client's default credentials.
    pub fn first(&self) -> Option<&UserEntry> {
        self.entries.first()
    }

    /// The entry for `user` (case-insensitive) in `domain`: an entry naming
    /// that domain (case-insensitive) is preferred to one with an empty
    /// domain.
    pub fn find(&self, user: &str, domain: &str) -> Option<&UserEntry> {
        let for_user = || {
            self.entries
                .iter()
                .filter(|e| eq_ignore_case(&e.user, user))
        };
        for_user()
            .find(|e| !e.domain.is_empty() && eq_ignore_case(&e.domain, domain))
            .or_else(|| for_user().find(|e| e.domain.is_empty()))
    }
}

impl UserStore for UserFile {
    fn nt_hash(&self, user: &str, domain: &str) -> Option<Zeroizing<[u8; 16]>> {
        self.find(user, domain).map(|e| e.secret.nt_hash())
    }
}

/// `DOMAIN:USER:PASSWORD`; `None` without two colons or with an empty user.
fn parse_plain(line: &str) -> Option<UserEntry> {
    let mut fields = line.splitn(3, ':');
    let domain = fields.next()?;
    let user = fields.next()?;
    let password = fields.next()?;
    if user.is_empty() {
        return None;
    }
    Some(UserEntry {
        domain: domain.to_owned(),
        user: user.to_owned(),
        secret: Secret::Password(Zeroizing::new(password.to_owned())),
    })
}

/// An smbpasswd line: `Some(Some(entry))` for a usable account,
/// `Some(None)` for a recognised line without a usable NT hash (disabled,
/// no password), `None` if the line is not in this format.
fn parse_smbpasswd(line: &str) -> Option<Option<UserEntry>> {
    let mut fields = line.split(':');
    let user = fields.next()?;
    let uid = fields.next()?;
    let _lm_hash = fields.next()?;
    let nt_hash = fields.next()?;
    let account_flags = fields.next()?;
    let last_change = fields.next()?;
    let shaped = !user.is_empty()
        && !uid.is_empty()
        && uid.bytes().all(|b| b.is_ascii_digit())
        && account_flags.starts_with('[')
        && account_flags.ends_with(']')
        && last_change.starts_with("LCT-");
    if !shaped {
        return None;
    }
    if account_flags.contains('D') {
        return Some(None);
    }
    Some(decode_hash(nt_hash).map(|hash| UserEntry {
        domain: String::new(),
        user: user.to_owned(),
        secret: Secret::NtHash(hash),
    }))
}

/// 32 hex digits as 16 bytes.
fn decode_hash(text: &str) -> Option<Zeroizing<[u8; 16]>> {
    let digits = text.as_bytes();
    if digits.len() != 32 {
        return None;
    }
    let mut out = Zeroizing::new([0u8; 16]);
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        let hi = char::from(*hi).to_digit(16)?;
        let lo = char::from(*lo).to_digit(16)?;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::crypto::nt_hash;
    use super::*;

    const FILE: &str = "\
# test users
CORP:Alice:pa:ss:word

:bob:hunter2\r
   # indented comment
carol:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:A4F49C406510BDCAB6824EE7C30FD852:[U          ]:LCT-5F0C3D2A:
dave:1001:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:[NU         ]:LCT-00000000:
erin:1002:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:a4f49c406510bdcab6824ee7c30fd852:[DU         ]:LCT-00000000:
not a credentials line
OTHER:Alice:other-password
";

    #[test]
    fn parses_both_line_kinds() {
        let file = UserFile::parse(FILE);
        let e = file.entries();
        assert_eq!(e.len(), 4);
        assert_eq!(
            (e[0].domain.as_str(), e[0].user.as_str()),
            ("CORP", "Alice")
        );
        assert_eq!(*e[0].secret.nt_hash(), *nt_hash("pa:ss:word"));
        assert_eq!((e[1].domain.as_str(), e[1].user.as_str()), ("", "bob"));
        assert_eq!(*e[1].secret.nt_hash(), *nt_hash("hunter2"));
        assert_eq!((e[2].domain.as_str(), e[2].user.as_str()), ("", "carol"));
        assert_eq!(*e[2].secret.nt_hash(), *nt_hash("Password"));
        assert!(matches!(e[2].secret, Secret::NtHash(_)));
        assert_eq!(
            (e[3].domain.as_str(), e[3].user.as_str()),
            ("OTHER", "Alice")
        );
        assert_eq!(file.first().map(|e| e.user.as_str()), Some("Alice"));
    }

    #[test]
    fn lookups() {
        let file = UserFile::parse(FILE);
        assert_eq!(
            file.nt_hash("ALICE", "corp").map(|h| *h),
            Some(*nt_hash("pa:ss:word"))
        );
        assert_eq!(
            file.nt_hash("alice", "Other").map(|h| *h),
            Some(*nt_hash("other-password"))
        );
        assert!(file.nt_hash("alice", "ELSEWHERE").is_none());
        assert_eq!(
            file.nt_hash("BOB", "anything").map(|h| *h),
            Some(*nt_hash("hunter2"))
        );
        assert_eq!(
            file.nt_hash("Carol", "").map(|h| *h),
            Some(*nt_hash("Password"))
        );
        assert!(file.nt_hash("dave", "").is_none());
        assert!(file.nt_hash("erin", "").is_none());
        assert!(file.nt_hash("mallory", "CORP").is_none());
    }

    #[test]
    fn domain_specific_entry_wins_over_wildcard() {
        let file = UserFile::parse(":u:any\nD:u:specific\n");
        assert_eq!(
            file.nt_hash("U", "d").map(|h| *h),
            Some(*nt_hash("specific"))
        );
        assert_eq!(file.nt_hash("U", "x").map(|h| *h), Some(*nt_hash("any")));
    }

    #[test]
    fn first_entry_skips_comments() {
        let file = UserFile::parse("# c\nD:u:p\n");
        let first = file.first().expect("an entry");
        assert_eq!((first.user.as_str(), first.domain.as_str()), ("u", "D"));
        assert!(UserFile::parse("").first().is_none());
    }
}

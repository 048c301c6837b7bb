//! NTLM's parsers for the fuzz targets (feature `fuzzing`): each takes any
//! bytes, must not panic, and checks what a successful parse promises.

use super::av_pairs::AvList;
use super::crypto::BLOB_HEADER_LEN;
use super::flags::NEGOTIATE_VERSION;
use super::messages::{Authenticate, Challenge, Negotiate};
use super::user_file::UserFile;

/// The bytes as each of the three messages and as an AV pair list. What
/// parses re-encodes to a message that parses to the same fields, and every
/// extent stays within the input.
pub fn messages(data: &[u8]) {
    // The trace's summary of any bytes (never panics, never empty).
    assert!(!super::describe::message(data).is_empty());
    if let Ok(n) = Negotiate::parse(data) {
        assert!(n.len <= data.len());
        let again = Negotiate::encode(n.flags, n.domain, n.workstation).expect("re-encodes");
        let m = Negotiate::parse(&again).expect("re-parses");
        assert_eq!(
            (m.flags, m.domain, m.workstation),
            (n.flags, n.domain, n.workstation)
        );
    }
    if let Ok(c) = Challenge::parse(data) {
        assert!(c.len <= data.len());
        let again = Challenge::encode(c.flags, c.target_name, &c.server_challenge, c.target_info)
            .expect("re-encodes");
        let d = Challenge::parse(&again).expect("re-parses");
        assert_eq!(
            (d.flags, d.target_name, d.server_challenge, d.target_info),
            (c.flags, c.target_name, c.server_challenge, c.target_info)
        );
        av_pairs(c.target_info);
    }
    if let Ok(a) = Authenticate::parse(data) {
        assert!(a.len <= data.len());
        let again = Authenticate::encode(&a.fields).expect("re-encodes");
        let b = Authenticate::parse(&again).expect("re-parses");
        let mut expected = a.fields;
        expected.flags |= NEGOTIATE_VERSION;
        assert_eq!(b.fields, expected);
        if let Some(pairs) = a.fields.nt_response.get(16 + BLOB_HEADER_LEN..) {
            av_pairs(pairs);
        }
    }
    av_pairs(data);
}

/// An AV pair list: every pair lies inside it, and the lookups agree with
/// the iteration.
fn av_pairs(data: &[u8]) {
    let Ok(list) = AvList::parse(data) else {
        return;
    };
    let mut total = 0usize;
    for pair in list.iter() {
        total += 4 + pair.value.len();
        assert!(list.get(pair.id).is_some());
    }
    assert!(total <= data.len());
    let _ = (list.timestamp(), list.av_flags(), list.get_string(2));
}

/// The bytes as an NTLM_USER_FILE: each account parsed is found again by
/// its own names.
pub fn user_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = UserFile::parse(text);
    if let Some(first) = file.first() {
        assert!(file.find(&first.user, &first.domain).is_some());
    }
}

//! Windows' SSPI constants as Rust items, generated from `src/constants.rs`.
//!
//! `ALL` lists every constant with its C type: a test checks that
//! include/sspi.h carries exactly these values, and the trace names values
//! by it.
#![allow(missing_docs, non_upper_case_globals)]

use crate::abi::types::{SECURITY_STATUS, ULONG};

macro_rules! windows_constants {
    ($( $ty:ident { $( $name:ident = $val:literal; )* } )*) => {
        $( $(
            pub const $name: $ty = {
                const RAW: u32 = $val;
                RAW as $ty
            };
        )* )*

        /// Every constant: (C type, name, value as the 32-bit pattern).
        pub const ALL: &[(&str, &str, u32)] = &[
            $( $( (stringify!($ty), stringify!($name), $val) ),* ),*
        ];
    };
}

include!("constants.rs");

#[cfg(test)]
mod tests {
    use super::ALL;

    const CHECKED_IN: &str = include_str!("../include/sspi.h");

    #[test]
    fn checked_in_header_is_current() {
        let fresh = include_str!(concat!(env!("OUT_DIR"), "/sspi.h"));
        assert!(
            fresh == CHECKED_IN,
            "include/sspi.h is stale: run `OPENSSPI_UPDATE_HEADER=1 cargo build` and commit it"
        );
    }

    /// Every `#define` of a constant in the header equals its Rust value,
    /// and every Rust constant is in the header.
    #[test]
    fn header_constants_equal_rust_values() {
        let mut seen = 0;
        for (ty, name, value) in ALL {
            let line = CHECKED_IN
                .lines()
                .find(|l| l.split_whitespace().nth(1) == Some(name) && l.starts_with("#define "))
                .unwrap_or_else(|| panic!("{name} missing from include/sspi.h"));
            let text = line.split_whitespace().nth(2).unwrap();
            let hex = if *ty == "SECURITY_STATUS" {
                text.strip_prefix("((SECURITY_STATUS)0x")
                    .and_then(|t| t.strip_suffix("L)"))
                    .unwrap_or_else(|| panic!("{line}"))
            } else {
                text.strip_prefix("0x").unwrap_or_else(|| panic!("{line}"))
            };
            assert_eq!(u32::from_str_radix(hex, 16).unwrap(), *value, "{line}");
            seen += 1;
        }
        assert!(seen > 300);
        assert_eq!(super::SEC_E_INVALID_HANDLE, 0x80090301u32 as i32);
        assert!(CHECKED_IN.contains("#define SEC_E_INVALID_HANDLE ((SECURITY_STATUS)0x80090301L)"));
    }
}

//! Generates include/sspi.h from the Rust types (cbindgen) and from the
//! constant table in src/constants.rs, and sets the shared library's SONAME.
//!
//! The header is always written to $OUT_DIR/sspi.h; the crate's tests fail
//! when include/sspi.h differs from it. `OPENSSPI_UPDATE_HEADER=1 cargo
//! build` refreshes the checked-in copy.

use std::fmt::Write as _;
use std::path::PathBuf;

#[allow(clippy::upper_case_acronyms)]
type ULONG = u32;
#[allow(non_camel_case_types)]
type SECURITY_STATUS = i32;

/// Collects src/constants.rs as (C type, name, value).
macro_rules! windows_constants {
    ($( $ty:ident { $( $name:ident = $val:literal; )* } )*) => {
        fn constants() -> Vec<(&'static str, &'static str, u32)> {
            let _ = (std::mem::size_of::<ULONG>(), std::mem::size_of::<SECURITY_STATUS>());
            vec![$( $( (stringify!($ty), stringify!($name), $val) ),* ),*]
        }
    };
}
include!("src/constants.rs");

/// Functions and types Windows maps to their W form under UNICODE, else A.
const MAPPED_AW: &[&str] = &[
    "InitSecurityInterface",
    "EnumerateSecurityPackages",
    "QuerySecurityPackageInfo",
    "AcquireCredentialsHandle",
    "QueryCredentialsAttributes",
    "QueryCredentialsAttributesEx",
    "InitializeSecurityContext",
    "QueryContextAttributes",
    "QueryContextAttributesEx",
    "SetContextAttributes",
    "SetCredentialsAttributes",
    "ImportSecurityContext",
    "AddCredentials",
    "ChangeAccountPassword",
    "SecPkgInfo",
    "PSecPkgInfo",
    "SecurityFunctionTable",
    "PSecurityFunctionTable",
    "SecPkgContext_Names",
    "SecPkgContext_NativeNames",
    "SecPkgContext_KeyInfo",
    "SecPkgContext_Authority",
    "SecPkgContext_PackageInfo",
    "SecPkgContext_NegotiationInfo",
    "SecPkgContext_CredentialName",
    "SecPkgContext_NegotiationPackage",
    "SecPkgCredentials_Names",
    "SEC_WINNT_AUTH_IDENTITY_EX",
    "PSEC_WINNT_AUTH_IDENTITY_EX",
];

/// Names Windows maps to `_W` / `_A` under UNICODE.
const MAPPED_UNDERSCORE: &[&str] = &[
    "SEC_WINNT_AUTH_IDENTITY",
    "PSEC_WINNT_AUTH_IDENTITY",
    "ENUMERATE_SECURITY_PACKAGES_FN",
    "QUERY_CREDENTIALS_ATTRIBUTES_FN",
    "ACQUIRE_CREDENTIALS_HANDLE_FN",
    "INITIALIZE_SECURITY_CONTEXT_FN",
    "QUERY_CONTEXT_ATTRIBUTES_FN",
    "QUERY_SECURITY_PACKAGE_INFO_FN",
    "IMPORT_SECURITY_CONTEXT_FN",
    "ADD_CREDENTIALS_FN",
    "SET_CONTEXT_ATTRIBUTES_FN",
    "SET_CREDENTIALS_ATTRIBUTES_FN",
    "CHANGE_PASSWORD_FN",
    "QUERY_CONTEXT_ATTRIBUTES_EX_FN",
    "QUERY_CREDENTIALS_ATTRIBUTES_EX_FN",
    "INIT_SECURITY_INTERFACE",
];

fn definitions() -> String {
    let mut s = String::new();
    s.push_str("\n/* Status codes, flags and attribute numbers, as Windows spells them (src/constants.rs). */\n");
    for (ty, name, value) in constants() {
        let value = if ty == "SECURITY_STATUS" {
            format!("((SECURITY_STATUS)0x{value:08X}L)")
        } else {
            format!("0x{value:08X}")
        };
        let _ = writeln!(s, "#define {name} {value}");
    }
    s.push_str(
        r#"
/* Calling convention and helpers. */
#define SEC_ENTRY
#define SEC_FAR
#define SEC_SUCCESS(Status) ((Status) >= 0)
#define SecInvalidateHandle(x) \
    ((PSecHandle)(x))->dwLower = ((PSecHandle)(x))->dwUpper = ((ULONG_PTR)((intptr_t)-1))
#define SecIsValidHandle(x) \
    ((((PSecHandle)(x))->dwLower != ((ULONG_PTR)((intptr_t)-1))) && \
     (((PSecHandle)(x))->dwUpper != ((ULONG_PTR)((intptr_t)-1))))

/* Package names (UTF-8) and the names to look the tables up with dlsym. */
#define NTLMSP_NAME_A "NTLM"
#define NEGOSSP_NAME_A "Negotiate"
#define MICROSOFT_KERBEROS_NAME_A "Kerberos"
#define UNISP_NAME_A "Microsoft Unified Security Protocol Provider"
#define SCHANNEL_NAME_A "Schannel"
#define SECURITY_ENTRYPOINT_ANSIA "InitSecurityInterfaceA"
#define SECURITY_ENTRYPOINT_ANSIW "InitSecurityInterfaceW"

/* Packed credential types of SEC_WINNT_AUTH_IDENTITY_EX2, as GUID
 * initializers (GUID g = SEC_WINNT_AUTH_DATA_TYPE_PASSWORD;), as Windows
 * defines them. */
#define SEC_WINNT_AUTH_DATA_TYPE_PASSWORD \
    { 0x28bfc32f, 0x10f6, 0x4738, { 0x98, 0xd1, 0x1a, 0xc0, 0x61, 0xdf, 0x71, 0x6a } }
#define SEC_WINNT_AUTH_DATA_TYPE_KEYTAB \
    { 0xd587aae8, 0xf78f, 0x4455, { 0xa1, 0x12, 0xc9, 0x34, 0xbe, 0xee, 0x7c, 0xe1 } }
#define SEC_WINNT_AUTH_DATA_TYPE_CERT \
    { 0x235f69ad, 0x73fb, 0x4dbc, { 0x82, 0x03, 0x06, 0x29, 0xe7, 0x39, 0x33, 0x9b } }

/* Unsuffixed names: the W forms when UNICODE is defined, else the A forms. */
#ifdef UNICODE
"#,
    );
    for w in [true, false] {
        let sfx = if w { "W" } else { "A" };
        for n in MAPPED_AW {
            let _ = writeln!(s, "#define {n} {n}{sfx}");
        }
        for n in MAPPED_UNDERSCORE {
            let _ = writeln!(s, "#define {n} {n}_{sfx}");
        }
        let _ = writeln!(
            s,
            "#define SECURITY_ENTRYPOINT_ANSI SECURITY_ENTRYPOINT_ANSI{sfx}"
        );
        if w {
            s.push_str("#else\n");
        }
    }
    s.push_str("#endif\n");
    s
}

fn main() {
    let dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=OPENSSPI_UPDATE_HEADER");

    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    config.after_includes = Some(definitions());
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let generated = out.join("sspi.h");
    bindings.write_to_file(&generated);
    if std::env::var_os("OPENSSPI_UPDATE_HEADER").is_some() {
        bindings.write_to_file(dir.join("include/sspi.h"));
    }

    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libopensspi.1.dylib");
    } else if os != "windows" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libopensspi.so.1");
    }
}

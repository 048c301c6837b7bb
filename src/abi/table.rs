//! The function tables returned by InitSecurityInterfaceA/W, in Windows'
//! full user-mode layout. Both tables are immutable statics: the caller
//! never frees them.
#![allow(non_snake_case, non_camel_case_types)]
// The slot and function-pointer names are sspi.h's own: each is the export
// of the same name, documented there.
#![allow(missing_docs)]

use std::ffi::c_void;

use crate::abi::context_api::*;
use crate::abi::credentials_api::*;
use crate::abi::message_api::*;
use crate::abi::packages_api::*;
use crate::abi::types::*;
use crate::vocabulary::SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION;

pub type ENUMERATE_SECURITY_PACKAGES_FN_W =
    Option<unsafe extern "C" fn(*mut ULONG, *mut PSecPkgInfoW) -> SECURITY_STATUS>;
pub type ENUMERATE_SECURITY_PACKAGES_FN_A =
    Option<unsafe extern "C" fn(*mut ULONG, *mut PSecPkgInfoA) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_FN_W =
    Option<unsafe extern "C" fn(PCredHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_FN_A = QUERY_CREDENTIALS_ATTRIBUTES_FN_W;
pub type ACQUIRE_CREDENTIALS_HANDLE_FN_W = Option<
    unsafe extern "C" fn(
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        ULONG,
        *mut c_void,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PCredHandle,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ACQUIRE_CREDENTIALS_HANDLE_FN_A = Option<
    unsafe extern "C" fn(
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        ULONG,
        *mut c_void,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PCredHandle,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type FREE_CREDENTIALS_HANDLE_FN = Option<unsafe extern "C" fn(PCredHandle) -> SECURITY_STATUS>;
pub type INITIALIZE_SECURITY_CONTEXT_FN_W = Option<
    unsafe extern "C" fn(
        PCredHandle,
        PCtxtHandle,
        *mut SEC_WCHAR,
        ULONG,
        ULONG,
        ULONG,
        PSecBufferDesc,
        ULONG,
        PCtxtHandle,
        PSecBufferDesc,
        *mut ULONG,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type INITIALIZE_SECURITY_CONTEXT_FN_A = Option<
    unsafe extern "C" fn(
        PCredHandle,
        PCtxtHandle,
        *mut SEC_CHAR,
        ULONG,
        ULONG,
        ULONG,
        PSecBufferDesc,
        ULONG,
        PCtxtHandle,
        PSecBufferDesc,
        *mut ULONG,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ACCEPT_SECURITY_CONTEXT_FN = Option<
    unsafe extern "C" fn(
        PCredHandle,
        PCtxtHandle,
        PSecBufferDesc,
        ULONG,
        ULONG,
        PCtxtHandle,
        PSecBufferDesc,
        *mut ULONG,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type COMPLETE_AUTH_TOKEN_FN =
    Option<unsafe extern "C" fn(PCtxtHandle, PSecBufferDesc) -> SECURITY_STATUS>;
pub type DELETE_SECURITY_CONTEXT_FN = Option<unsafe extern "C" fn(PCtxtHandle) -> SECURITY_STATUS>;
pub type APPLY_CONTROL_TOKEN_FN =
    Option<unsafe extern "C" fn(PCtxtHandle, PSecBufferDesc) -> SECURITY_STATUS>;
pub type QUERY_CONTEXT_ATTRIBUTES_FN_W =
    Option<unsafe extern "C" fn(PCtxtHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type QUERY_CONTEXT_ATTRIBUTES_FN_A = QUERY_CONTEXT_ATTRIBUTES_FN_W;
pub type IMPERSONATE_SECURITY_CONTEXT_FN =
    Option<unsafe extern "C" fn(PCtxtHandle) -> SECURITY_STATUS>;
pub type REVERT_SECURITY_CONTEXT_FN = Option<unsafe extern "C" fn(PCtxtHandle) -> SECURITY_STATUS>;
pub type MAKE_SIGNATURE_FN =
    Option<unsafe extern "C" fn(PCtxtHandle, ULONG, PSecBufferDesc, ULONG) -> SECURITY_STATUS>;
pub type VERIFY_SIGNATURE_FN =
    Option<unsafe extern "C" fn(PCtxtHandle, PSecBufferDesc, ULONG, *mut ULONG) -> SECURITY_STATUS>;
pub type FREE_CONTEXT_BUFFER_FN = Option<unsafe extern "C" fn(*mut c_void) -> SECURITY_STATUS>;
pub type QUERY_SECURITY_PACKAGE_INFO_FN_W =
    Option<unsafe extern "C" fn(*mut SEC_WCHAR, *mut PSecPkgInfoW) -> SECURITY_STATUS>;
pub type QUERY_SECURITY_PACKAGE_INFO_FN_A =
    Option<unsafe extern "C" fn(*mut SEC_CHAR, *mut PSecPkgInfoA) -> SECURITY_STATUS>;
pub type EXPORT_SECURITY_CONTEXT_FN = Option<
    unsafe extern "C" fn(PCtxtHandle, ULONG, PSecBuffer, *mut *mut c_void) -> SECURITY_STATUS,
>;
pub type IMPORT_SECURITY_CONTEXT_FN_W = Option<
    unsafe extern "C" fn(*mut SEC_WCHAR, PSecBuffer, *mut c_void, PCtxtHandle) -> SECURITY_STATUS,
>;
pub type IMPORT_SECURITY_CONTEXT_FN_A = Option<
    unsafe extern "C" fn(*mut SEC_CHAR, PSecBuffer, *mut c_void, PCtxtHandle) -> SECURITY_STATUS,
>;
pub type ADD_CREDENTIALS_FN_W = Option<
    unsafe extern "C" fn(
        PCredHandle,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        ULONG,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ADD_CREDENTIALS_FN_A = Option<
    unsafe extern "C" fn(
        PCredHandle,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        ULONG,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type QUERY_SECURITY_CONTEXT_TOKEN_FN =
    Option<unsafe extern "C" fn(PCtxtHandle, *mut *mut c_void) -> SECURITY_STATUS>;
pub type ENCRYPT_MESSAGE_FN =
    Option<unsafe extern "C" fn(PCtxtHandle, ULONG, PSecBufferDesc, ULONG) -> SECURITY_STATUS>;
pub type DECRYPT_MESSAGE_FN =
    Option<unsafe extern "C" fn(PCtxtHandle, PSecBufferDesc, ULONG, *mut ULONG) -> SECURITY_STATUS>;
pub type SET_CONTEXT_ATTRIBUTES_FN_W =
    Option<unsafe extern "C" fn(PCtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type SET_CONTEXT_ATTRIBUTES_FN_A = SET_CONTEXT_ATTRIBUTES_FN_W;
pub type SET_CREDENTIALS_ATTRIBUTES_FN_W =
    Option<unsafe extern "C" fn(PCredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type SET_CREDENTIALS_ATTRIBUTES_FN_A = SET_CREDENTIALS_ATTRIBUTES_FN_W;
pub type CHANGE_PASSWORD_FN_W = Option<
    unsafe extern "C" fn(
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        BOOLEAN,
        ULONG,
        PSecBufferDesc,
    ) -> SECURITY_STATUS,
>;
pub type CHANGE_PASSWORD_FN_A = Option<
    unsafe extern "C" fn(
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        BOOLEAN,
        ULONG,
        PSecBufferDesc,
    ) -> SECURITY_STATUS,
>;
pub type QUERY_CONTEXT_ATTRIBUTES_EX_FN_W =
    Option<unsafe extern "C" fn(PCtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type QUERY_CONTEXT_ATTRIBUTES_EX_FN_A = QUERY_CONTEXT_ATTRIBUTES_EX_FN_W;
pub type QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W =
    Option<unsafe extern "C" fn(PCredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A = QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W;

/// The UTF-16 function table, in Windows' slot order. Reserved2 and
/// Reserved8 are NULL; Reserved3/Reserved4 point at EncryptMessage and
/// DecryptMessage, as Windows fills them.
#[repr(C)]
pub struct SecurityFunctionTableW {
    pub dwVersion: ULONG,
    pub EnumerateSecurityPackagesW: ENUMERATE_SECURITY_PACKAGES_FN_W,
    pub QueryCredentialsAttributesW: QUERY_CREDENTIALS_ATTRIBUTES_FN_W,
    pub AcquireCredentialsHandleW: ACQUIRE_CREDENTIALS_HANDLE_FN_W,
    pub FreeCredentialsHandle: FREE_CREDENTIALS_HANDLE_FN,
    pub Reserved2: *mut c_void,
    pub InitializeSecurityContextW: INITIALIZE_SECURITY_CONTEXT_FN_W,
    pub AcceptSecurityContext: ACCEPT_SECURITY_CONTEXT_FN,
    pub CompleteAuthToken: COMPLETE_AUTH_TOKEN_FN,
    pub DeleteSecurityContext: DELETE_SECURITY_CONTEXT_FN,
    pub ApplyControlToken: APPLY_CONTROL_TOKEN_FN,
    pub QueryContextAttributesW: QUERY_CONTEXT_ATTRIBUTES_FN_W,
    pub ImpersonateSecurityContext: IMPERSONATE_SECURITY_CONTEXT_FN,
    pub RevertSecurityContext: REVERT_SECURITY_CONTEXT_FN,
    pub MakeSignature: MAKE_SIGNATURE_FN,
    pub VerifySignature: VERIFY_SIGNATURE_FN,
    pub FreeContextBuffer: FREE_CONTEXT_BUFFER_FN,
    pub QuerySecurityPackageInfoW: QUERY_SECURITY_PACKAGE_INFO_FN_W,
    pub Reserved3: *mut c_void,
    pub Reserved4: *mut c_void,
    pub ExportSecurityContext: EXPORT_SECURITY_CONTEXT_FN,
    pub ImportSecurityContextW: IMPORT_SECURITY_CONTEXT_FN_W,
    pub AddCredentialsW: ADD_CREDENTIALS_FN_W,
    pub Reserved8: *mut c_void,
    pub QuerySecurityContextToken: QUERY_SECURITY_CONTEXT_TOKEN_FN,
    pub EncryptMessage: ENCRYPT_MESSAGE_FN,
    pub DecryptMessage: DECRYPT_MESSAGE_FN,
    pub SetContextAttributesW: SET_CONTEXT_ATTRIBUTES_FN_W,
    pub SetCredentialsAttributesW: SET_CREDENTIALS_ATTRIBUTES_FN_W,
    pub ChangeAccountPasswordW: CHANGE_PASSWORD_FN_W,
    pub QueryContextAttributesExW: QUERY_CONTEXT_ATTRIBUTES_EX_FN_W,
    pub QueryCredentialsAttributesExW: QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W,
}
pub type PSecurityFunctionTableW = *mut SecurityFunctionTableW;

/// The UTF-8 function table; same layout as `SecurityFunctionTableW`.
#[repr(C)]
pub struct SecurityFunctionTableA {
    pub dwVersion: ULONG,
    pub EnumerateSecurityPackagesA: ENUMERATE_SECURITY_PACKAGES_FN_A,
    pub QueryCredentialsAttributesA: QUERY_CREDENTIALS_ATTRIBUTES_FN_A,
    pub AcquireCredentialsHandleA: ACQUIRE_CREDENTIALS_HANDLE_FN_A,
    pub FreeCredentialsHandle: FREE_CREDENTIALS_HANDLE_FN,
    pub Reserved2: *mut c_void,
    pub InitializeSecurityContextA: INITIALIZE_SECURITY_CONTEXT_FN_A,
    pub AcceptSecurityContext: ACCEPT_SECURITY_CONTEXT_FN,
    pub CompleteAuthToken: COMPLETE_AUTH_TOKEN_FN,
    pub DeleteSecurityContext: DELETE_SECURITY_CONTEXT_FN,
    pub ApplyControlToken: APPLY_CONTROL_TOKEN_FN,
    pub QueryContextAttributesA: QUERY_CONTEXT_ATTRIBUTES_FN_A,
    pub ImpersonateSecurityContext: IMPERSONATE_SECURITY_CONTEXT_FN,
    pub RevertSecurityContext: REVERT_SECURITY_CONTEXT_FN,
    pub MakeSignature: MAKE_SIGNATURE_FN,
    pub VerifySignature: VERIFY_SIGNATURE_FN,
    pub FreeContextBuffer: FREE_CONTEXT_BUFFER_FN,
    pub QuerySecurityPackageInfoA: QUERY_SECURITY_PACKAGE_INFO_FN_A,
    pub Reserved3: *mut c_void,
    pub Reserved4: *mut c_void,
    pub ExportSecurityContext: EXPORT_SECURITY_CONTEXT_FN,
    pub ImportSecurityContextA: IMPORT_SECURITY_CONTEXT_FN_A,
    pub AddCredentialsA: ADD_CREDENTIALS_FN_A,
    pub Reserved8: *mut c_void,
    pub QuerySecurityContextToken: QUERY_SECURITY_CONTEXT_TOKEN_FN,
    pub EncryptMessage: ENCRYPT_MESSAGE_FN,
    pub DecryptMessage: DECRYPT_MESSAGE_FN,
    pub SetContextAttributesA: SET_CONTEXT_ATTRIBUTES_FN_A,
    pub SetCredentialsAttributesA: SET_CREDENTIALS_ATTRIBUTES_FN_A,
    pub ChangeAccountPasswordA: CHANGE_PASSWORD_FN_A,
    pub QueryContextAttributesExA: QUERY_CONTEXT_ATTRIBUTES_EX_FN_A,
    pub QueryCredentialsAttributesExA: QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A,
}
pub type PSecurityFunctionTableA = *mut SecurityFunctionTableA;

pub type INIT_SECURITY_INTERFACE_W = Option<unsafe extern "C" fn() -> PSecurityFunctionTableW>;
pub type INIT_SECURITY_INTERFACE_A = Option<unsafe extern "C" fn() -> PSecurityFunctionTableA>;

// SAFETY: the tables are immutable and hold only function pointers and
// pointers to functions, which are safe to share between threads.
unsafe impl Sync for SecurityFunctionTableW {}
// SAFETY: as above.
unsafe impl Sync for SecurityFunctionTableA {}

static TABLE_W: SecurityFunctionTableW = SecurityFunctionTableW {
    dwVersion: SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION,
    EnumerateSecurityPackagesW: Some(EnumerateSecurityPackagesW),
    QueryCredentialsAttributesW: Some(QueryCredentialsAttributesW),
    AcquireCredentialsHandleW: Some(AcquireCredentialsHandleW),
    FreeCredentialsHandle: Some(FreeCredentialsHandle),
    Reserved2: std::ptr::null_mut(),
    InitializeSecurityContextW: Some(InitializeSecurityContextW),
    AcceptSecurityContext: Some(AcceptSecurityContext),
    CompleteAuthToken: Some(CompleteAuthToken),
    DeleteSecurityContext: Some(DeleteSecurityContext),
    ApplyControlToken: Some(ApplyControlToken),
    QueryContextAttributesW: Some(QueryContextAttributesW),
    ImpersonateSecurityContext: Some(ImpersonateSecurityContext),
    RevertSecurityContext: Some(RevertSecurityContext),
    MakeSignature: Some(MakeSignature),
    VerifySignature: Some(VerifySignature),
    FreeContextBuffer: Some(FreeContextBuffer),
    QuerySecurityPackageInfoW: Some(QuerySecurityPackageInfoW),
    Reserved3: EncryptMessage as *mut c_void,
    Reserved4: DecryptMessage as *mut c_void,
    ExportSecurityContext: Some(ExportSecurityContext),
    ImportSecurityContextW: Some(ImportSecurityContextW),
    AddCredentialsW: Some(AddCredentialsW),
    Reserved8: std::ptr::null_mut(),
    QuerySecurityContextToken: Some(QuerySecurityContextToken),
    EncryptMessage: Some(EncryptMessage),
    DecryptMessage: Some(DecryptMessage),
    SetContextAttributesW: Some(SetContextAttributesW),
    SetCredentialsAttributesW: Some(SetCredentialsAttributesW),
    ChangeAccountPasswordW: Some(ChangeAccountPasswordW),
    QueryContextAttributesExW: Some(QueryContextAttributesExW),
    QueryCredentialsAttributesExW: Some(QueryCredentialsAttributesExW),
};

static TABLE_A: SecurityFunctionTableA = SecurityFunctionTableA {
    dwVersion: SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION,
    EnumerateSecurityPackagesA: Some(EnumerateSecurityPackagesA),
    QueryCredentialsAttributesA: Some(QueryCredentialsAttributesA),
    AcquireCredentialsHandleA: Some(AcquireCredentialsHandleA),
    FreeCredentialsHandle: Some(FreeCredentialsHandle),
    Reserved2: std::ptr::null_mut(),
    InitializeSecurityContextA: Some(InitializeSecurityContextA),
    AcceptSecurityContext: Some(AcceptSecurityContext),
    CompleteAuthToken: Some(CompleteAuthToken),
    DeleteSecurityContext: Some(DeleteSecurityContext),
    ApplyControlToken: Some(ApplyControlToken),
    QueryContextAttributesA: Some(QueryContextAttributesA),
    ImpersonateSecurityContext: Some(ImpersonateSecurityContext),
    RevertSecurityContext: Some(RevertSecurityContext),
    MakeSignature: Some(MakeSignature),
    VerifySignature: Some(VerifySignature),
    FreeContextBuffer: Some(FreeContextBuffer),
    QuerySecurityPackageInfoA: Some(QuerySecurityPackageInfoA),
    Reserved3: EncryptMessage as *mut c_void,
    Reserved4: DecryptMessage as *mut c_void,
    ExportSecurityContext: Some(ExportSecurityContext),
    ImportSecurityContextA: Some(ImportSecurityContextA),
    AddCredentialsA: Some(AddCredentialsA),
    Reserved8: std::ptr::null_mut(),
    QuerySecurityContextToken: Some(QuerySecurityContextToken),
    EncryptMessage: Some(EncryptMessage),
    DecryptMessage: Some(DecryptMessage),
    SetContextAttributesA: Some(SetContextAttributesA),
    SetCredentialsAttributesA: Some(SetCredentialsAttributesA),
    ChangeAccountPasswordA: Some(ChangeAccountPasswordA),
    QueryContextAttributesExA: Some(QueryContextAttributesExA),
    QueryCredentialsAttributesExA: Some(QueryCredentialsAttributesExA),
};

/// Returns the UTF-16 function table: a static the caller never frees and
/// must not modify. The same pointer on every call.
#[no_mangle]
pub extern "C" fn InitSecurityInterfaceW() -> PSecurityFunctionTableW {
    std::ptr::addr_of!(TABLE_W).cast_mut()
}

/// Returns the UTF-8 function table: a static the caller never frees and
/// must not modify. The same pointer on every call.
#[no_mangle]
pub extern "C" fn InitSecurityInterfaceA() -> PSecurityFunctionTableA {
    std::ptr::addr_of!(TABLE_A).cast_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn slots_sit_where_windows_puts_them() {
        assert_eq!(
            offset_of!(SecurityFunctionTableW, EnumerateSecurityPackagesW),
            8
        );
        assert_eq!(offset_of!(SecurityFunctionTableW, Reserved3), 8 + 17 * 8);
        assert_eq!(
            offset_of!(SecurityFunctionTableW, SetCredentialsAttributesW),
            8 + 27 * 8
        );
        assert_eq!(
            offset_of!(SecurityFunctionTableW, QueryCredentialsAttributesExW),
            8 + 30 * 8
        );
        assert_eq!(size_of::<SecurityFunctionTableW>(), 256);
        assert_eq!(size_of::<SecurityFunctionTableA>(), 256);
        let t = InitSecurityInterfaceW();
        assert_eq!(t, InitSecurityInterfaceW());
        // SAFETY: the static table.
        let t = unsafe { &*t };
        assert_eq!(t.dwVersion, 1);
        assert!(t.Reserved2.is_null() && t.Reserved8.is_null());
        assert_eq!(t.Reserved3, EncryptMessage as *mut c_void);
    }
}

/* The C layout of every sspi.h type is Windows' on LP64 (checked at compile
 * time), and the constants read as Windows defines them. */
#include <stddef.h>
#include <assert.h>
#include <sspi.h>
#include "check.h"

#if defined(__x86_64__) || defined(__aarch64__)
static_assert(sizeof(SecHandle) == 16, "SecHandle");
static_assert(sizeof(CredHandle) == 16 && sizeof(CtxtHandle) == 16, "handles");
static_assert(sizeof(SecBuffer) == 16, "SecBuffer");
static_assert(sizeof(SecBufferDesc) == 16, "SecBufferDesc");
static_assert(sizeof(SecPkgInfoW) == 32 && sizeof(SecPkgInfoA) == 32, "SecPkgInfo");
static_assert(offsetof(SecPkgInfoW, cbMaxToken) == 8, "cbMaxToken");
static_assert(offsetof(SecPkgInfoW, Name) == 16 && offsetof(SecPkgInfoW, Comment) == 24, "SecPkgInfo strings");
static_assert(sizeof(SEC_WINNT_AUTH_IDENTITY_W) == 48 && sizeof(SEC_WINNT_AUTH_IDENTITY_A) == 48, "identity");
static_assert(offsetof(SEC_WINNT_AUTH_IDENTITY_W, Flags) == 44, "identity Flags");
static_assert(sizeof(SEC_WINNT_AUTH_IDENTITY_EXW) == 72, "identity EX");
static_assert(offsetof(SEC_WINNT_AUTH_IDENTITY_EXW, PackageList) == 56, "PackageList");
static_assert(sizeof(TimeStamp) == 8 && _Alignof(TimeStamp) == 4, "TimeStamp");
static_assert(sizeof(ULONG) == 4 && sizeof(LONG) == 4 && sizeof(SECURITY_STATUS) == 4, "ULONG is 32 bits");
static_assert(sizeof(SEC_WCHAR) == 2, "SEC_WCHAR is 16 bits");
static_assert(sizeof(ULONG_PTR) == sizeof(void *), "ULONG_PTR");
static_assert(sizeof(SEC_CHANNEL_BINDINGS) == 32, "SEC_CHANNEL_BINDINGS");
static_assert(sizeof(SecPkgContext_Sizes) == 16, "Sizes");
static_assert(sizeof(SecPkgContext_StreamSizes) == 20, "StreamSizes");
static_assert(sizeof(SecPkgContext_Lifespan) == 16, "Lifespan");
static_assert(sizeof(SecPkgContext_SessionKey) == 16, "SessionKey");
static_assert(sizeof(SecPkgContext_NegotiationInfoW) == 16, "NegotiationInfo");
static_assert(sizeof(SecPkgContext_KeyInfoW) == 32, "KeyInfo");
static_assert(sizeof(SecPkgContext_ConnectionInfo) == 28, "ConnectionInfo");
static_assert(sizeof(SecPkgContext_ApplicationProtocol) == 264, "ApplicationProtocol");

#define SLOT(table, field, index) \
    static_assert(offsetof(table, field) == 8 + (index) * 8, #table "." #field)
#define SLOTS(T, S)                                   \
    SLOT(T, EnumerateSecurityPackages##S, 0);         \
    SLOT(T, QueryCredentialsAttributes##S, 1);        \
    SLOT(T, AcquireCredentialsHandle##S, 2);          \
    SLOT(T, FreeCredentialsHandle, 3);                \
    SLOT(T, Reserved2, 4);                            \
    SLOT(T, InitializeSecurityContext##S, 5);         \
    SLOT(T, AcceptSecurityContext, 6);                \
    SLOT(T, CompleteAuthToken, 7);                    \
    SLOT(T, DeleteSecurityContext, 8);                \
    SLOT(T, ApplyControlToken, 9);                    \
    SLOT(T, QueryContextAttributes##S, 10);           \
    SLOT(T, ImpersonateSecurityContext, 11);          \
    SLOT(T, RevertSecurityContext, 12);               \
    SLOT(T, MakeSignature, 13);                       \
    SLOT(T, VerifySignature, 14);                     \
    SLOT(T, FreeContextBuffer, 15);                   \
    SLOT(T, QuerySecurityPackageInfo##S, 16);         \
    SLOT(T, Reserved3, 17);                           \
    SLOT(T, Reserved4, 18);                           \
    SLOT(T, ExportSecurityContext, 19);               \
    SLOT(T, ImportSecurityContext##S, 20);            \
    SLOT(T, AddCredentials##S, 21);                   \
    SLOT(T, Reserved8, 22);                           \
    SLOT(T, QuerySecurityContextToken, 23);           \
    SLOT(T, EncryptMessage, 24);                      \
    SLOT(T, DecryptMessage, 25);                      \
    SLOT(T, SetContextAttributes##S, 26);             \
    SLOT(T, SetCredentialsAttributes##S, 27);         \
    SLOT(T, ChangeAccountPassword##S, 28);            \
    SLOT(T, QueryContextAttributesEx##S, 29);         \
    SLOT(T, QueryCredentialsAttributesEx##S, 30);     \
    static_assert(sizeof(T) == 256, #T " size")
SLOTS(SecurityFunctionTableW, W);
SLOTS(SecurityFunctionTableA, A);
#endif

static void constants_read_as_windows_writes_them(void) {
    CHECK(SEC_E_OK == 0);
    CHECK((unsigned)SEC_E_INVALID_HANDLE == 0x80090301u);
    CHECK((unsigned)SEC_E_SECPKG_NOT_FOUND == 0x80090305u);
    CHECK((unsigned)SEC_E_INTERNAL_ERROR == 0x80090304u);
    CHECK(SEC_I_CONTINUE_NEEDED == 0x00090312);
    CHECK(SEC_E_INVALID_TOKEN < 0 && !SEC_SUCCESS(SEC_E_INVALID_TOKEN) && SEC_SUCCESS(SEC_I_CONTINUE_NEEDED));
    CHECK(ISC_REQ_ALLOCATE_MEMORY == 0x100 && ASC_REQ_ALLOCATE_MEMORY == 0x100);
    CHECK(ISC_REQ_CONFIDENTIALITY == 0x10 && ASC_REQ_INTEGRITY == 0x20000 && ISC_REQ_INTEGRITY == 0x10000);
    CHECK(SECBUFFER_TOKEN == 2 && SECBUFFER_DATA == 1 && SECBUFFER_READONLY == 0x80000000u);
    CHECK(SECBUFFER_READONLY_WITH_CHECKSUM == 0x10000000 && SECBUFFER_CHANNEL_BINDINGS == 14);
    CHECK(SECPKG_ATTR_NEGOTIATION_INFO == 12 && SECPKG_CRED_ATTR_NAMES == 1);
    CHECK(SECPKG_CRED_INBOUND == 1 && SECPKG_CRED_OUTBOUND == 2 && SECPKG_CRED_BOTH == 3);
    CHECK(SECURITY_NATIVE_DREP == 0x10 && SECQOP_WRAP_NO_ENCRYPT == 0x80000001u);
    CHECK(SEC_WINNT_AUTH_IDENTITY_ANSI == 1 && SEC_WINNT_AUTH_IDENTITY_UNICODE == 2);
    CHECK(SEC_WINNT_AUTH_IDENTITY_VERSION == 0x200);
}

static void handle_macros(void) {
    CtxtHandle h = {1, 2};
    CHECK(SecIsValidHandle(&h));
    SecInvalidateHandle(&h);
    CHECK(h.dwLower == (ULONG_PTR)-1 && h.dwUpper == (ULONG_PTR)-1);
    CHECK(!SecIsValidHandle(&h));
}

int main(void) {
    RUN(constants_read_as_windows_writes_them);
    RUN(handle_macros);
    return check_summary();
}

/* Handle misuse: NULL, zeroed, {-1,-1}, forged, stale, double-freed and
 * wrong-type handles all give SEC_E_INVALID_HANDLE, never a crash; handles
 * work across threads. */
#include <pthread.h>
#include <sspi.h>
#include "check.h"

static CredHandle acquire(const char *user) {
    CredHandle h = {0, 0};
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    id.User = (unsigned char *)user;
    id.UserLength = (ULONG)strlen(user);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_BOTH, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    return h;
}

/* A credential handle that still answers. */
static int cred_ok(CredHandle *h) {
    SecPkgCredentials_NamesA names = {0};
    if (QueryCredentialsAttributesA(h, SECPKG_CRED_ATTR_NAMES, &names) != SEC_E_OK) return 0;
    FreeContextBuffer(names.sUserName);
    return 1;
}

/* Every call that takes a context handle refuses `h`. */
static void context_calls_refuse(CtxtHandle *h) {
    SecPkgContext_Sizes sizes;
    SecPkgContext_NamesA names;
    char data[16] = "data", sig[16];
    SecBuffer bufs[2] = {{sizeof(data), SECBUFFER_DATA, data}, {sizeof(sig), SECBUFFER_TOKEN, sig}};
    SecBufferDesc msg = {SECBUFFER_VERSION, 2, bufs};
    SecBuffer packed = {0, 0, NULL};
    ULONG qop = 0;
    CHECK_STATUS(DeleteSecurityContext(h), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(QueryContextAttributesW(h, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(QueryContextAttributesA(h, SECPKG_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(QueryContextAttributesExW(h, SECPKG_ATTR_SIZES, &sizes, sizeof(sizes)), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(SetContextAttributesW(h, SECPKG_ATTR_SIZES, &sizes, sizeof(sizes)), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(MakeSignature(h, 0, &msg, 0), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(VerifySignature(h, &msg, 0, &qop), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(EncryptMessage(h, 0, &msg, 0), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(DecryptMessage(h, &msg, 0, &qop), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(CompleteAuthToken(h, &msg), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(ApplyControlToken(h, &msg), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(ExportSecurityContext(h, 0, &packed, NULL), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(ImpersonateSecurityContext(h), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(RevertSecurityContext(h), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(QuerySecurityContextToken(h, NULL), SEC_E_INVALID_HANDLE);
    CHECK(packed.pvBuffer == NULL && memcmp(data, "data", 5) == 0);
}

/* Every call that takes a credential handle refuses `h`. */
static void credential_calls_refuse(CredHandle *h) {
    SecPkgCredentials_NamesA names = {0};
    CtxtHandle ctx = {0x11, 0x22};
    char tok[64];
    SecBuffer out = {sizeof(tok), SECBUFFER_TOKEN, tok};
    SecBufferDesc desc = {SECBUFFER_VERSION, 1, &out};
    ULONG attrs = 0;
    CHECK_STATUS(FreeCredentialsHandle(h), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(QueryCredentialsAttributesA(h, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(QueryCredentialsAttributesExW(h, SECPKG_CRED_ATTR_NAMES, &names, sizeof(names)), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(SetCredentialsAttributesA(h, 1, &names, sizeof(names)), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(AddCredentialsW(h, NULL, wstr("NTLM"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(InitializeSecurityContextA(h, NULL, (SEC_CHAR *)"host/x", 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &ctx, &desc, &attrs, NULL), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(AcceptSecurityContext(h, NULL, &desc, 0, SECURITY_NATIVE_DREP, &ctx, &desc, &attrs, NULL), SEC_E_INVALID_HANDLE);
    CHECK(names.sUserName == NULL && ctx.dwLower == 0x11 && ctx.dwUpper == 0x22);
}

static void null_zeroed_and_minus_one(void) {
    CtxtHandle zero = {0, 0}, minus = {(ULONG_PTR)-1, (ULONG_PTR)-1};
    SecInvalidateHandle(&minus);
    context_calls_refuse(NULL);
    context_calls_refuse(&zero);
    context_calls_refuse(&minus);
    credential_calls_refuse(NULL);
    credential_calls_refuse(&zero);
    credential_calls_refuse(&minus);
}

static void forged_handles(void) {
    CredHandle real = acquire("forge");
    CredHandle f1 = real, f2 = real, f3 = real;
    f1.dwLower ^= 1;            /* another generation */
    f2.dwUpper += 64;           /* another slot */
    f3.dwUpper ^= (ULONG_PTR)1 << 40; /* another process key */
    credential_calls_refuse(&f1);
    credential_calls_refuse(&f2);
    credential_calls_refuse(&f3);
    CHECK(cred_ok(&real));
    CHECK_STATUS(FreeCredentialsHandle(&real), SEC_E_OK);
}

static void stale_and_double_free(void) {
    CredHandle h = acquire("stale"), again;
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
    credential_calls_refuse(&h);
    /* A new credential may reuse the slot: the old handle stays dead. */
    again = acquire("reuse");
    CHECK(again.dwLower != h.dwLower || again.dwUpper != h.dwUpper);
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(FreeCredentialsHandle(&again), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&again), SEC_E_INVALID_HANDLE);
}

static void wrong_type(void) {
    CredHandle cred = acquire("typed");
    /* A credential passed where a context is expected is refused, and the
     * credential survives the attempt. */
    context_calls_refuse(&cred);
    CHECK(cred_ok(&cred));
    CHECK_STATUS(FreeCredentialsHandle(&cred), SEC_E_OK);
}

static void not_meaningful_here(void) {
    CHECK_STATUS(ChangeAccountPasswordA((SEC_CHAR *)"NTLM", NULL, NULL, NULL, NULL, 0, 0, NULL), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(ChangeAccountPasswordW(wstr("Nope"), NULL, NULL, NULL, NULL, 0, 0, NULL), SEC_E_SECPKG_NOT_FOUND);
    SecBuffer packed = {4, SECBUFFER_EMPTY, (void *)"junk"};
    CtxtHandle ctx = {7, 7};
    CHECK_STATUS(ImportSecurityContextA((SEC_CHAR *)"NTLM", &packed, NULL, &ctx), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(ImportSecurityContextW(wstr("Nope"), &packed, NULL, &ctx), SEC_E_SECPKG_NOT_FOUND);
    CHECK(ctx.dwLower == 7 && ctx.dwUpper == 7);
}

#define THREADS 4
#define ROUNDS 500

static void *worker(void *arg) {
    CredHandle *shared = arg;
    for (int i = 0; i < ROUNDS; i++) {
        CredHandle h = acquire("thread");
        if (!cred_ok(&h) || !cred_ok(shared)) CHECK(0);
        if (FreeCredentialsHandle(&h) != SEC_E_OK) CHECK(0);
        if (FreeCredentialsHandle(&h) != SEC_E_INVALID_HANDLE) CHECK(0);
    }
    return NULL;
}

static void across_threads(void) {
    pthread_t t[THREADS];
    CredHandle shared = acquire("shared");
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, &shared) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK(cred_ok(&shared));
    CHECK_STATUS(FreeCredentialsHandle(&shared), SEC_E_OK);
}

int main(void) {
    RUN(null_zeroed_and_minus_one);
    RUN(forged_handles);
    RUN(stale_and_double_free);
    RUN(wrong_type);
    RUN(not_meaningful_here);
    RUN(across_threads);
    return check_summary();
}

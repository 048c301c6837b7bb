/* opensspi as FreeRDP 3 uses an SSPI module (/sspi-module:): loaded with
 * dlopen, reached only through InitSecurityInterfaceA, and given WinPR's
 * SEC_WINNT_AUTH_IDENTITY_WINPR: a SEC_WINNT_AUTH_IDENTITY_EXW (Version
 * 0x200, Length of the EX structure, Flags UNICODE | WinPR's EXTENDED 0x100)
 * followed by pointers to WinPR's NTLM and Kerberos settings, which a
 * provider other than WinPR's ignores. CredSSP's flow: Negotiate (and NTLM),
 * the handshake, then the public-key echo sealed and unsealed. */
#include <dlfcn.h>
#include <sspi.h>
#include "check.h"

#ifndef OPENSSPI_LIBRARY
#error "OPENSSPI_LIBRARY must name the library to dlopen"
#endif

/* WinPR 3's layout (winpr/sspi.h). */
typedef struct {
    char *samFile;
    void *hashCallback;
    void *hashCallbackArg;
} WINPR_NTLM_SETTINGS;

typedef struct {
    SEC_WINNT_AUTH_IDENTITY_EXW identity;
    WINPR_NTLM_SETTINGS *ntlmSettings;
    void *kerberosSettings;
} WINPR_IDENTITY;

#define WINPR_IDENTITY_EXTENDED 0x100

static PSecurityFunctionTableA TA;
static WINPR_NTLM_SETTINGS ntlm_settings = {(char *)"/nonexistent/sam", NULL, NULL};

static void winpr_identity(WINPR_IDENTITY *w, const char *user, const char *domain, const char *password,
                           const char *package_list) {
    static SEC_WCHAR u[64], d[64], p[64], l[64];
    memset(w, 0, sizeof *w);
    memcpy(u, wstr(user), sizeof u);
    memcpy(d, wstr(domain), sizeof d);
    memcpy(p, wstr(password), sizeof p);
    w->identity.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    w->identity.Length = sizeof(SEC_WINNT_AUTH_IDENTITY_EXW);
    w->identity.User = u;
    w->identity.UserLength = (ULONG)wlen(u);
    w->identity.Domain = d;
    w->identity.DomainLength = (ULONG)wlen(d);
    w->identity.Password = p;
    w->identity.PasswordLength = (ULONG)wlen(p);
    w->identity.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE | WINPR_IDENTITY_EXTENDED;
    if (package_list) {
        memcpy(l, wstr(package_list), sizeof l);
        w->identity.PackageList = l;
        w->identity.PackageListLength = (ULONG)wlen(l);
    }
    w->ntlmSettings = &ntlm_settings;
    w->kerberosSettings = (void *)0x1; /* never read */
}

/* CredSSP's handshake and pubKeyAuth exchange; returns the server's error,
 * else the client's status if it is not done, else the server's. */
static SECURITY_STATUS credssp(const char *package, const char *password, const char *package_list) {
    WINPR_IDENTITY cid, sid;
    CredHandle cc, sc;
    CtxtHandle c, s;
    PSecPkgInfoA info;
    static unsigned char in[65536], out[65536];
    ULONG in_len = 0, attrs;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    int first = 1;
    CHECK_STATUS(TA->QuerySecurityPackageInfoA((SEC_CHAR *)package, &info), SEC_E_OK);
    CHECK(info->cbMaxToken <= sizeof out);
    TA->FreeContextBuffer(info);
    winpr_identity(&cid, "alice", "RDP", password, package_list);
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, SECPKG_CRED_OUTBOUND, NULL, &cid, NULL, NULL, &cc, NULL),
                 SEC_E_OK);
    winpr_identity(&sid, "alice", "RDP", "Passw0rd!", NULL);
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, SECPKG_CRED_INBOUND, NULL, &sid, NULL, NULL, &sc, NULL),
                 SEC_E_OK);
    while (cs == SEC_I_CONTINUE_NEEDED || ss == SEC_I_CONTINUE_NEEDED) {
        SecBuffer ib = {in_len, SECBUFFER_TOKEN, in}, ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        if (cs == SEC_I_CONTINUE_NEEDED) {
            cs = TA->InitializeSecurityContextA(&cc, first ? NULL : &c, (SEC_CHAR *)"TERMSRV/rdp.example",
                                                ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_USE_SESSION_KEY, 0,
                                                SECURITY_NATIVE_DREP, first ? NULL : &id, 0, &c, &od, &attrs, NULL);
            if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) break;
        } else {
            ob.cbBuffer = 0;
        }
        if (ob.cbBuffer == 0) break;
        memcpy(in, out, ob.cbBuffer);
        ib.cbBuffer = ob.cbBuffer;
        ob.cbBuffer = sizeof out;
        ss = TA->AcceptSecurityContext(&sc, first ? NULL : &s, &id, ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY,
                                       SECURITY_NATIVE_DREP, &s, &od, &attrs, NULL);
        first = 0;
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) break;
        memcpy(in, out, ob.cbBuffer);
        in_len = ob.cbBuffer;
        if (in_len > 0 && cs == SEC_E_OK) {
            /* The acceptor's last token (Negotiate): the client checks it. */
            SecBuffer ib2 = {in_len, SECBUFFER_TOKEN, in}, ob2 = {sizeof out, SECBUFFER_TOKEN, out};
            SecBufferDesc id2 = {SECBUFFER_VERSION, 1, &ib2}, od2 = {SECBUFFER_VERSION, 1, &ob2};
            CHECK_STATUS(TA->InitializeSecurityContextA(&cc, &c, (SEC_CHAR *)"TERMSRV/rdp.example",
                                                        ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_USE_SESSION_KEY,
                                                        0, SECURITY_NATIVE_DREP, &id2, 0, &c, &od2, &attrs, NULL),
                         SEC_E_OK);
            CHECK(ob2.cbBuffer == 0);
        }
    }
    if (cs == SEC_E_OK && ss == SEC_E_OK) {
        /* pubKeyAuth: the client seals the server's public key, the server
         * unseals it and returns it sealed again. */
        SecPkgContext_Sizes sizes;
        unsigned char key[32], plain[32], trailer[64];
        SecBuffer b[2];
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        ULONG i;
        for (i = 0; i < sizeof key; i++) key[i] = plain[i] = (unsigned char)(i * 7);
        CHECK_STATUS(TA->QueryContextAttributesA(&c, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
        CHECK(sizes.cbSecurityTrailer == 16 && sizes.cbMaxSignature == 16);
        b[0].BufferType = SECBUFFER_TOKEN, b[0].cbBuffer = sizes.cbSecurityTrailer, b[0].pvBuffer = trailer;
        b[1].BufferType = SECBUFFER_DATA, b[1].cbBuffer = sizeof key, b[1].pvBuffer = key;
        CHECK_STATUS(TA->EncryptMessage(&c, 0, &d, 0), SEC_E_OK);
        /* Sealed: the whole key differs (one byte may match by chance). */
        CHECK(memcmp(key, plain, sizeof key) != 0);
        CHECK_STATUS(TA->DecryptMessage(&s, &d, 0, NULL), SEC_E_OK);
        CHECK(key[1] == 7 && key[31] == (unsigned char)(31 * 7));
        b[0].cbBuffer = sizes.cbSecurityTrailer;
        CHECK_STATUS(TA->EncryptMessage(&s, 0, &d, 1), SEC_E_OK);
        CHECK_STATUS(TA->DecryptMessage(&c, &d, 1, NULL), SEC_E_OK);
        CHECK(key[1] == 7);
    }
    TA->DeleteSecurityContext(&c);
    if (!first) TA->DeleteSecurityContext(&s);
    TA->FreeCredentialsHandle(&cc);
    TA->FreeCredentialsHandle(&sc);
    if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) return ss;
    return cs == SEC_E_OK ? ss : cs;
}

static void negotiate(void) { CHECK_STATUS(credssp("Negotiate", "Passw0rd!", NULL), SEC_E_OK); }
static void negotiate_with_package_list(void) { CHECK_STATUS(credssp("Negotiate", "Passw0rd!", "!kerberos"), SEC_E_OK); }
static void ntlm(void) { CHECK_STATUS(credssp("NTLM", "Passw0rd!", NULL), SEC_E_OK); }
static void wrong_password(void) { CHECK_STATUS(credssp("Negotiate", "wrong", NULL), SEC_E_LOGON_DENIED); }

/* A credential the host forgets to free: unloading must free it. */
static void forget_a_credential(void) {
    CredHandle h;
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &h, NULL), SEC_E_OK);
}

/* FreeRDP loads and unloads its SSPI module with each connection: each
 * cycle here runs the flows, leaves a credential behind, and dlclose()s the
 * library, which must really unload (RTLD_NOLOAD finds it gone) and leave
 * nothing allocated (LeakSanitizer, in the sanitized runs). */
#define CYCLES 5

int main(void) {
    int cycle;
    for (cycle = 0; cycle < CYCLES; cycle++) {
        void *lib = dlopen(OPENSSPI_LIBRARY, RTLD_NOW | RTLD_LOCAL);
        INIT_SECURITY_INTERFACE_A init;
        CHECK(lib != NULL);
        if (!lib) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return check_summary();
        }
        *(void **)&init = dlsym(lib, "InitSecurityInterfaceA");
        CHECK(init != NULL);
        if (!init) return check_summary();
        TA = init();
        CHECK(TA != NULL && TA->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION);
        if (cycle == 0) {
            RUN(negotiate);
            RUN(negotiate_with_package_list);
            RUN(ntlm);
            RUN(wrong_password);
        } else {
            negotiate();
            ntlm();
        }
        forget_a_credential();
        CHECK(dlclose(lib) == 0);
        CHECK(dlopen(OPENSSPI_LIBRARY, RTLD_NOW | RTLD_NOLOAD) == NULL);
    }
    printf("%d dlopen/dlclose cycles\n", CYCLES);
    return check_summary();
}

/* NTLM beyond the basic pair: NTLM_USER_FILE on both sides, a server
 * without extended session security (the canned CHALLENGE of Wine's
 * conformance test), and thousands of contexts across threads. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "pair.h"

static char user_file[64];

static void write_user_file(const char *text) {
    FILE *f = fopen(user_file, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* The server's final status for a client with this explicit identity. */
static SECURITY_STATUS logon(const char *user, const char *domain, const char *password, CredHandle *server) {
    CredHandle client;
    CtxtHandle c, s;
    struct outcome o;
    CHECK_STATUS(acquire(user, domain, password, SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    o = handshake(&client, server, 0, 0, &c, &s);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&client);
    return o.asc2;
}

static void user_file_both_sides(void) {
    CredHandle client, server;
    CtxtHandle c, s;
    struct outcome o;
    SecPkgContext_NamesW names;
    snprintf(user_file, sizeof user_file, "/tmp/opensspi-users-%d", (int)getpid());
    setenv("NTLM_USER_FILE", user_file, 1);
    write_user_file("# accounts\nCORP:alice:Passw0rd!\n"
                    ":bob:hunter2\n"
                    /* smbpasswd form: NT hash of "Passw0rd!" */
                    "carol:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:FC525C9683E8FE067095BA2DDC971889:[U          ]:LCT-00000000:\n");
    /* The client's default credentials are the file's first account. */
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    o = handshake(&client, &server, ISC_REQ_CONFIDENTIALITY, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "CORP\\alice"));
    T->FreeContextBuffer(names.sUserName);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    /* User names match case-insensitively; an entry without a domain
     * matches any domain; the smbpasswd line carries an NT hash. */
    CHECK_STATUS(logon("BOB", "ANYWHERE", "hunter2", &server), SEC_E_OK);
    CHECK_STATUS(logon("carol", "WORKGROUP", "Passw0rd!", &server), SEC_E_OK);
    /* A wrong password and an unknown user are refused. */
    CHECK_STATUS(logon("bob", "", "hunter3", &server), SEC_E_LOGON_DENIED);
    CHECK_STATUS(logon("dave", "CORP", "x", &server), SEC_E_LOGON_DENIED);
    /* The server reads the file as it is when each logon arrives. */
    write_user_file("CORP:dave:x\n");
    CHECK_STATUS(logon("dave", "CORP", "x", &server), SEC_E_OK);
    T->FreeCredentialsHandle(&client);
    T->FreeCredentialsHandle(&server);
    /* Without the file, outbound default credentials do not exist. */
    unlink(user_file);
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_OUTBOUND, &client), SEC_E_NO_CREDENTIALS);
    unsetenv("NTLM_USER_FILE");
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_OUTBOUND, &client), SEC_E_NO_CREDENTIALS);
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    T->FreeCredentialsHandle(&server);
    /* An identity whose fields are all NULL is accepted, as on Windows;
     * without an account the first InitializeSecurityContext fails. */
    {
        SEC_WINNT_AUTH_IDENTITY_W id;
        CtxtHandle x = {5, 5};
        struct wire out;
        ULONG attrs;
        memset(&id, 0, sizeof id);
        id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
        CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &client, NULL), SEC_E_OK);
        CHECK_STATUS(isc(&client, NULL, &x, 0, NULL, &out, &attrs), SEC_E_NO_CREDENTIALS);
        CHECK(x.dwLower == 5 && x.dwUpper == 5);
        T->FreeCredentialsHandle(&client);
    }
}

/* Appends a UTF-16LE AV pair. */
static size_t av(unsigned char *p, unsigned id, const char *s) {
    size_t n = strlen(s), i;
    p[0] = (unsigned char)id;
    p[1] = 0;
    p[2] = (unsigned char)(2 * n);
    p[3] = 0;
    for (i = 0; i < n; i++) {
        p[4 + 2 * i] = (unsigned char)s[i];
        p[5 + 2 * i] = 0;
    }
    return 4 + 2 * n;
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* A CHALLENGE like the one Wine's test plays back from a Windows server:
 * flags 0xa0828205 (no extended session security, no signing), target
 * CASINO01, no timestamp. */
static ULONG canned_challenge(unsigned char *m, uint32_t flags) {
    static const unsigned char challenge[8] = {0xb5, 0x60, 0x8e, 0x95, 0xb5, 0x3c, 0xee, 0x03};
    size_t info = 0;
    memset(m, 0, 48);
    memcpy(m, "NTLMSSP\0", 8);
    put32(m + 8, 2);
    m[12] = 16; m[14] = 16; put32(m + 16, 48); /* TargetName */
    put32(m + 20, flags);
    memcpy(m + 24, challenge, 8);
    av(m + 48 - 4, 0, "CASINO01"); /* writes the UTF-16 name at 48 */
    info += av(m + 64 + info, 2, "CASINO01");
    info += av(m + 64 + info, 1, "CASINO01");
    info += av(m + 64 + info, 4, "casino01");
    info += av(m + 64 + info, 3, "casino01");
    memset(m + 64 + info, 0, 4);
    info += 4;
    m[40] = (unsigned char)info; m[42] = (unsigned char)info; put32(m + 44, 64); /* TargetInfo */
    return (ULONG)(64 + info);
}

static void server_without_extended_session_security(void) {
    CredHandle cred;
    CtxtHandle c;
    struct wire a, b;
    ULONG attrs;
    unsigned char sig[16], data[13] = "Hello, world!";
    static const unsigned char dummy[16] = {1};
    SecBuffer bufs[2] = {{16, SECBUFFER_TOKEN, sig}, {13, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, bufs};
    SecPkgContext_KeyInfoW key;
    ULONG qop = 0xdeadbeef;
    CHECK_STATUS(acquire("testuser", "WORKGROUP", "testpass", SECPKG_CRED_OUTBOUND, &cred), SEC_E_OK);
    CHECK_STATUS(isc(&cred, NULL, &c, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK((a.data[12] & 0x30) == 0);
    b.len = canned_challenge(b.data, 0xa0828205);
    /* NTLMv2 responses all the same; no session security to speak of. */
    CHECK_STATUS(isc(&cred, &c, &c, 0, &b, &a, &attrs), SEC_E_OK);
    CHECK(a.data[8] == 3 && (a.data[60] & 0x10) == 0);
    CHECK_STATUS(T->MakeSignature(&c, 0, &d, 0), SEC_E_OK);
    CHECK(memcmp(sig, dummy, 16) == 0);
    CHECK_STATUS(T->VerifySignature(&c, &d, 0, &qop), SEC_E_OK);
    sig[4] = 0xe8;
    qop = 0xdeadbeef;
    CHECK_STATUS(T->VerifySignature(&c, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    CHECK(qop == 0xdeadbeef);
    CHECK_STATUS(T->EncryptMessage(&c, 0, &d, 0), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_KEY_INFO, &key), SEC_E_OK);
    CHECK(weq(key.sSignatureAlgorithmName, "RSADSI RC4-CRC32") && key.SignatureAlgorithm == 0xffffff7c);
    CHECK(weq(key.sEncryptAlgorithmName, "RSADSI RC4") && key.EncryptAlgorithm == CALG_RC4);
    T->FreeContextBuffer(key.sSignatureAlgorithmName);
    T->FreeContextBuffer(key.sEncryptAlgorithmName);
    T->DeleteSecurityContext(&c);
    /* Signing asked for and offered without extended session security:
     * NTLMv1 session security is never used. */
    CHECK_STATUS(isc(&cred, NULL, &c, ISC_REQ_INTEGRITY, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    b.len = canned_challenge(b.data, 0xa0828205 | 0x10);
    CHECK_STATUS(isc(&cred, &c, &c, ISC_REQ_INTEGRITY, &b, &a, &attrs), SEC_E_UNSUPPORTED_FUNCTION);
    T->DeleteSecurityContext(&c);
    T->FreeCredentialsHandle(&cred);
}

#define THREADS 4
#define PER_THREAD 500

static CredHandle shared_client, shared_server;

/* Each thread keeps PER_THREAD established pairs alive at once, then
 * exchanges sealed messages on every one of them. */
static void *worker(void *arg) {
    CtxtHandle *c = calloc(PER_THREAD, sizeof *c), *s = calloc(PER_THREAD, sizeof *s);
    long failures = 0;
    int i;
    (void)arg;
    for (i = 0; i < PER_THREAD; i++) {
        struct outcome o = handshake(&shared_client, &shared_server, ALL_PROTECTION, 0, &c[i], &s[i]);
        if (o.asc2 != SEC_E_OK) failures++;
    }
    for (i = 0; i < PER_THREAD; i++) {
        unsigned char sig[16], data[32];
        SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {32, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        memset(data, i & 0xff, sizeof data);
        if (T->EncryptMessage(&c[i], 0, &d, 0) != SEC_E_OK) failures++;
        if (T->DecryptMessage(&s[i], &d, 0, NULL) != SEC_E_OK) failures++;
        if (data[31] != (i & 0xff)) failures++;
        if (T->DeleteSecurityContext(&c[i]) != SEC_E_OK) failures++;
        if (T->DeleteSecurityContext(&s[i]) != SEC_E_OK) failures++;
    }
    free(c);
    free(s);
    return (void *)failures;
}

static void many_contexts_across_threads(void) {
    pthread_t t[THREADS];
    int i;
    CHECK_STATUS(acquire("CORP\\alice", NULL, "Passw0rd!", SECPKG_CRED_OUTBOUND, &shared_client), SEC_E_OK);
    CHECK_STATUS(acquire("CORP\\alice", NULL, "Passw0rd!", SECPKG_CRED_INBOUND, &shared_server), SEC_E_OK);
    for (i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
    for (i = 0; i < THREADS; i++) {
        void *failures;
        pthread_join(t[i], &failures);
        CHECK(failures == NULL);
    }
    T->FreeCredentialsHandle(&shared_client);
    T->FreeCredentialsHandle(&shared_server);
}

int main(void) {
    tables();
    RUN(user_file_both_sides);
    RUN(server_without_extended_session_security);
    RUN(many_contexts_across_threads);
    return check_summary();
}

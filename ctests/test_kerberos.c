/* Kerberos through the function tables against a real MIT KDC: ctest runs
 * this inside scripts/krb5-realm.sh, which makes the throwaway realm
 * OPENSSPI.TEST and sets KRB5_CONFIG, KRB5_KTNAME, OPENSSPI_REALM_DIR and
 * OPENSSPI_KDC_PID. Outside a realm the test fails (it never skips). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sspi.h>
#include "check.h"

static PSecurityFunctionTableW T;

#define TOKEN_MAX 48000

struct wire {
    unsigned char data[TOKEN_MAX];
    ULONG len;
};

/* Credentials of `package` for an identity (NULL user: the defaults),
 * with a PackageList when `list` is given. */
static SECURITY_STATUS acquire_in(const char *package, const char *user, const char *domain,
                                  const char *password, const char *list, ULONG use, CredHandle *h) {
    static SEC_WCHAR u[128], d[128], p[128], l[128];
    SEC_WINNT_AUTH_IDENTITY_EXW id;
    memset(&id, 0, sizeof id);
    id.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    id.Length = sizeof id;
    if (user) {
        memcpy(u, wstr(user), sizeof u);
        memcpy(d, wstr(domain ? domain : ""), sizeof d);
        memcpy(p, wstr(password ? password : ""), sizeof p);
        id.User = u;
        id.UserLength = (ULONG)wlen(u);
        id.Domain = domain ? d : NULL;
        id.DomainLength = domain ? (ULONG)wlen(d) : 0;
        id.Password = p;
        id.PasswordLength = (ULONG)wlen(p);
        id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    }
    if (list) {
        memcpy(l, wstr(list), sizeof l);
        id.PackageList = l;
        id.PackageListLength = (ULONG)wlen(l);
    }
    return T->AcquireCredentialsHandleW(NULL, wstr(package), use, NULL, user || list ? &id : NULL, NULL,
                                        NULL, h, NULL);
}

static SECURITY_STATUS acquire(const char *user, const char *domain, const char *password, ULONG use,
                               CredHandle *h) {
    return acquire_in("Kerberos", user, domain, password, NULL, use, h);
}

static SECURITY_STATUS isc(CredHandle *cred, CtxtHandle *ctx, CtxtHandle *out_ctx, const char *target,
                           ULONG req, const struct wire *in, struct wire *out, ULONG *attrs) {
    SecBuffer inb = {in ? in->len : 0, SECBUFFER_TOKEN, in ? (void *)in->data : NULL};
    SecBufferDesc ind = {SECBUFFER_VERSION, 1, &inb};
    SecBuffer outb = {TOKEN_MAX, SECBUFFER_TOKEN, out->data};
    SecBufferDesc outd = {SECBUFFER_VERSION, 1, &outb};
    TimeStamp expiry;
    SECURITY_STATUS s = T->InitializeSecurityContextW(cred, ctx, wstr(target), req, 0,
                                                      SECURITY_NATIVE_DREP, in ? &ind : NULL, 0,
                                                      out_ctx, &outd, attrs, &expiry);
    out->len = outb.cbBuffer;
    return s;
}

static SECURITY_STATUS asc(CredHandle *cred, CtxtHandle *out_ctx, ULONG req, const struct wire *in,
                           struct wire *out, ULONG *attrs) {
    SecBuffer inb = {in->len, SECBUFFER_TOKEN, (void *)in->data};
    SecBufferDesc ind = {SECBUFFER_VERSION, 1, &inb};
    SecBuffer outb = {TOKEN_MAX, SECBUFFER_TOKEN, out->data};
    SecBufferDesc outd = {SECBUFFER_VERSION, 1, &outb};
    TimeStamp expiry;
    SECURITY_STATUS s = T->AcceptSecurityContext(cred, NULL, &ind, req, SECURITY_NATIVE_DREP, out_ctx,
                                                 &outd, attrs, &expiry);
    out->len = outb.cbBuffer;
    return s;
}

#define REQ (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT)

/* A full mutual handshake; both contexts exist after it. */
static void handshake(CredHandle *client, CredHandle *server, const char *target, CtxtHandle *c,
                      CtxtHandle *s) {
    struct wire a, b, none;
    ULONG ca = 0, sa = 0;
    CHECK_STATUS(isc(client, NULL, c, target, REQ, NULL, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK(a.len > 100 && a.data[0] == 0x60);
    CHECK_STATUS(asc(server, s, ASC_REQ_MUTUAL_AUTH, &a, &b, &sa), SEC_E_OK);
    CHECK(b.len > 0 && (sa & ASC_RET_MUTUAL_AUTH));
    CHECK_STATUS(isc(client, c, c, target, REQ, &b, &none, &ca), SEC_E_OK);
    CHECK(none.len == 0);
    CHECK((ca & REQ) == REQ);
}

/* Seals in the three-buffer layout at one side, unseals at the other. */
/* With replay detection negotiated (`replay`), the same message twice is
 * refused the second time; without it, taken. */
static void seal_both_ways(CtxtHandle *from, CtxtHandle *to, ULONG qop, int replay) {
    SecPkgContext_Sizes sizes;
    CHECK_STATUS(T->QueryContextAttributesW(from, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK(sizes.cbMaxToken == 48000 && sizes.cbSecurityTrailer >= 64 && sizes.cbMaxSignature == 64);
    unsigned char trailer[128], data[32], pad[16];
    memcpy(data, "the quick brown fox jumps over!", 32);
    SecBuffer b[3] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer},
                      {32, SECBUFFER_DATA, data},
                      {sizeof pad, SECBUFFER_PADDING, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
    CHECK_STATUS(T->EncryptMessage(from, qop, &d, 0), SEC_E_OK);
    CHECK(b[0].cbBuffer <= sizes.cbSecurityTrailer && b[2].cbBuffer == 0);
    CHECK((memcmp(data, "the quick brown fox jumps over!", 32) != 0) == (qop == 0));
    SecBuffer r[2] = {{b[0].cbBuffer, SECBUFFER_TOKEN, trailer}, {32, SECBUFFER_DATA, data}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
    ULONG got_qop = 77;
    CHECK_STATUS(T->DecryptMessage(to, &rd, 0, &got_qop), SEC_E_OK);
    CHECK(r[1].cbBuffer == 32 && memcmp(data, "the quick brown fox jumps over!", 32) == 0);
    CHECK(got_qop == qop);
    CHECK_STATUS(T->EncryptMessage(from, qop, &d, 0), SEC_E_OK);
    unsigned char copy_t[128], copy_d[32];
    memcpy(copy_t, trailer, sizeof copy_t);
    memcpy(copy_d, data, sizeof copy_d);
    SecBuffer r2[2] = {{b[0].cbBuffer, SECBUFFER_TOKEN, trailer}, {32, SECBUFFER_DATA, data}};
    SecBufferDesc rd2 = {SECBUFFER_VERSION, 2, r2};
    CHECK_STATUS(T->DecryptMessage(to, &rd2, 0, NULL), SEC_E_OK);
    SecBuffer r3[2] = {{b[0].cbBuffer, SECBUFFER_TOKEN, copy_t}, {32, SECBUFFER_DATA, copy_d}};
    SecBufferDesc rd3 = {SECBUFFER_VERSION, 2, r3};
    CHECK_STATUS(T->DecryptMessage(to, &rd3, 0, NULL), replay ? SEC_E_OUT_OF_SEQUENCE : SEC_E_OK);
}

static void sign_both_ways(CtxtHandle *from, CtxtHandle *to) {
    unsigned char sig[64], data[5];
    memcpy(data, "hello", 5);
    SecBuffer b[2] = {{5, SECBUFFER_DATA, data}, {sizeof sig, SECBUFFER_TOKEN, sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_STATUS(T->MakeSignature(from, 0, &d, 0), SEC_E_OK);
    CHECK(b[1].cbBuffer >= 28 && b[1].cbBuffer <= 64 && sig[0] == 0x04 && sig[1] == 0x04);
    CHECK_STATUS(T->VerifySignature(to, &d, 0, NULL), SEC_E_OK);
    CHECK_STATUS(T->MakeSignature(from, 0, &d, 0), SEC_E_OK);
    data[0] ^= 1;
    CHECK_STATUS(T->VerifySignature(to, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
}

static void password_client_and_keytab_server(void) {
    CredHandle client, server;
    CtxtHandle c, s;
    CHECK_STATUS(acquire("alice", "opensspi.test", "Passw0rd!alice", SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    handshake(&client, &server, "host/localhost", &c, &s);
    SecPkgContext_NamesW names;
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "alice@OPENSSPI.TEST"));
    CHECK_STATUS(T->FreeContextBuffer(names.sUserName), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "alice@OPENSSPI.TEST"));
    CHECK_STATUS(T->FreeContextBuffer(names.sUserName), SEC_E_OK);
    SecPkgContext_SessionKey ck, sk;
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_SESSION_KEY, &ck), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
    CHECK(ck.SessionKeyLength == 32 && sk.SessionKeyLength == 32 &&
          memcmp(ck.SessionKey, sk.SessionKey, 32) == 0);
    CHECK_STATUS(T->FreeContextBuffer(ck.SessionKey), SEC_E_OK);
    CHECK_STATUS(T->FreeContextBuffer(sk.SessionKey), SEC_E_OK);
    seal_both_ways(&c, &s, 0, 1);
    seal_both_ways(&s, &c, 0, 1);
    seal_both_ways(&c, &s, SECQOP_WRAP_NO_ENCRYPT, 1);

    /* Exported and imported, both contexts go on where they were (before
     * sign_both_ways' tampered MIC leaves a gap in the sequence). */
    SecBuffer pc, ps;
    CtxtHandle ic, is;
    CHECK_STATUS(T->ExportSecurityContext(&c, 0, &pc, NULL), SEC_E_OK);
    CHECK_STATUS(T->ExportSecurityContext(&s, 0, &ps, NULL), SEC_E_OK);
    CHECK(pc.BufferType == SECBUFFER_EMPTY && pc.cbBuffer > 32 && ps.cbBuffer > 32);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    CHECK_STATUS(T->ImportSecurityContextW(wstr("Kerberos"), &pc, NULL, &ic), SEC_E_OK);
    CHECK_STATUS(T->ImportSecurityContextW(wstr("Kerberos"), &ps, NULL, &is), SEC_E_OK);
    /* A truncated export is refused. */
    CtxtHandle bad;
    pc.cbBuffer -= 1;
    CHECK_STATUS(T->ImportSecurityContextW(wstr("Kerberos"), &pc, NULL, &bad), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(T->FreeContextBuffer(pc.pvBuffer), SEC_E_OK);
    CHECK_STATUS(T->FreeContextBuffer(ps.pvBuffer), SEC_E_OK);
    seal_both_ways(&ic, &is, 0, 1);
    seal_both_ways(&is, &ic, 0, 1);
    sign_both_ways(&ic, &is);
    sign_both_ways(&is, &ic);
    CHECK_STATUS(T->QueryContextAttributesW(&is, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "alice@OPENSSPI.TEST"));
    CHECK_STATUS(T->FreeContextBuffer(names.sUserName), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&ic), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&is), SEC_E_OK);

    /* A second context to the same service needs no KDC: stop it first. */
    CtxtHandle c2, s2;
    handshake(&client, &server, "host/localhost", &c2, &s2);
    CHECK_STATUS(T->DeleteSecurityContext(&c2), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s2), SEC_E_OK);

    /* Without mutual authentication the AP-REQ completes at once. */
    struct wire a, b;
    ULONG ca = 0, sa = 0;
    CHECK_STATUS(isc(&client, NULL, &c, "HTTP/localhost@OPENSSPI.TEST", ISC_REQ_CONFIDENTIALITY, NULL, &a, &ca), SEC_E_OK);
    CHECK_STATUS(asc(&server, &s, 0, &a, &b, &sa), SEC_E_OK);
    CHECK(b.len == 0 && !(sa & ASC_RET_MUTUAL_AUTH));
    seal_both_ways(&c, &s, 0, 0);
    seal_both_ways(&s, &c, 0, 0);
    /* The same AP-REQ again is a replay. */
    CtxtHandle s3;
    CHECK_STATUS(asc(&server, &s3, 0, &a, &b, &sa), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    CHECK_STATUS(T->FreeCredentialsHandle(&client), SEC_E_OK);
    CHECK_STATUS(T->FreeCredentialsHandle(&server), SEC_E_OK);
}

/* krb5.conf asking for rc4-hmac only: RFC 4757's tokens, whose Wrap token
 * ends with a padding byte in the PADDING buffer. */
static void rc4_session(void) {
    char path[4096], line[1024];
    const char *saved = getenv("KRB5_CONFIG");
    snprintf(path, sizeof path, "%s/rc4-only.conf", getenv("OPENSSPI_REALM_DIR"));
    FILE *in = fopen(saved, "r"), *out = fopen(path, "w");
    CHECK(in && out);
    if (!in || !out) return;
    while (fgets(line, sizeof line, in)) {
        fputs(line, out);
        if (strncmp(line, "[libdefaults]", 13) == 0)
            fputs(" default_tkt_enctypes = rc4-hmac\n default_tgs_enctypes = rc4-hmac\n", out);
    }
    fclose(in);
    fclose(out);
    char saved_copy[4096];
    snprintf(saved_copy, sizeof saved_copy, "%s", saved);
    setenv("KRB5_CONFIG", path, 1);

    CredHandle client, server;
    CtxtHandle c, s;
    CHECK_STATUS(acquire("alice", "OPENSSPI.TEST", "Passw0rd!alice", SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    handshake(&client, &server, "host/localhost", &c, &s);
    SecPkgContext_KeyInfoW ki;
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
    CHECK(ki.EncryptAlgorithm == 23 && ki.KeySize == 128);
    CHECK_STATUS(T->FreeContextBuffer(ki.sSignatureAlgorithmName), SEC_E_OK);
    CHECK_STATUS(T->FreeContextBuffer(ki.sEncryptAlgorithmName), SEC_E_OK);
    CtxtHandle *pairs[2][2] = {{&c, &s}, {&s, &c}};
    for (int k = 0; k < 2; k++) {
        CtxtHandle *from = pairs[k][0], *to = pairs[k][1];
        unsigned char token[64], data[32], pad[8];
        memcpy(data, "the quick brown fox jumps over!", 32);
        SecBuffer b[3] = {{sizeof token, SECBUFFER_TOKEN, token}, {32, SECBUFFER_DATA, data},
                          {sizeof pad, SECBUFFER_PADDING, pad}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        CHECK_STATUS(T->EncryptMessage(from, 0, &d, 0), SEC_E_OK);
        /* The framing (0x60, krb5 OID), TOK_ID 02 01, SGN_ALG 11 00, SEAL_ALG 10 00. */
        CHECK(b[0].cbBuffer == 45 && token[0] == 0x60 && token[1] == 43 + 32 + 1);
        CHECK(memcmp(token + 13, "\x02\x01\x11\x00\x10\x00\xff\xff", 8) == 0);
        CHECK(b[2].cbBuffer == 1 && memcmp(data, "the quick", 9) != 0);
        ULONG qop = 77;
        CHECK_STATUS(T->DecryptMessage(to, &d, 0, &qop), SEC_E_OK);
        CHECK(qop == 0 && b[1].cbBuffer == 32 && memcmp(data, "the quick brown fox jumps over!", 32) == 0);
        /* No PADDING buffer: no room for the padding byte. */
        SecBuffer two[2] = {{sizeof token, SECBUFFER_TOKEN, token}, {32, SECBUFFER_DATA, data}};
        SecBufferDesc d2 = {SECBUFFER_VERSION, 2, two};
        CHECK_STATUS(T->EncryptMessage(from, 0, &d2, 0), SEC_E_BUFFER_TOO_SMALL);
        unsigned char sig[64];
        memcpy(data, "hello", 5);
        SecBuffer m[2] = {{5, SECBUFFER_DATA, data}, {sizeof sig, SECBUFFER_TOKEN, sig}};
        SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
        CHECK_STATUS(T->MakeSignature(from, 0, &md, 0), SEC_E_OK);
        CHECK(m[1].cbBuffer == 37 && sig[0] == 0x60 && sig[13] == 0x01 && sig[14] == 0x01);
        CHECK_STATUS(T->VerifySignature(to, &md, 0, NULL), SEC_E_OK);
        CHECK_STATUS(T->VerifySignature(to, &md, 0, NULL), SEC_E_OUT_OF_SEQUENCE);
        /* A flipped bit is caught (last: the lost number ends the sequence). */
        b[0].cbBuffer = sizeof token, b[1].cbBuffer = 32, b[2].cbBuffer = sizeof pad;
        CHECK_STATUS(T->EncryptMessage(from, 0, &d, 0), SEC_E_OK);
        data[3] ^= 1;
        CHECK_STATUS(T->DecryptMessage(to, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
    }
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    CHECK_STATUS(T->FreeCredentialsHandle(&client), SEC_E_OK);
    CHECK_STATUS(T->FreeCredentialsHandle(&server), SEC_E_OK);
    setenv("KRB5_CONFIG", saved_copy, 1);
}

/* Negotiate tokens back and forth until neither side has more to send:
 * SEC_E_OK with both contexts, else the failing status (no context). */
static SECURITY_STATUS nego_handshake(CredHandle *client, CredHandle *server, const char *target, ULONG req,
                                      CtxtHandle *c, CtxtHandle *s, struct wire *first) {
    struct wire a, b;
    ULONG ca = 0, sa = 0;
    SECURITY_STATUS cs = isc(client, NULL, c, target, req, NULL, &a, &ca), ss = SEC_I_CONTINUE_NEEDED;
    int have_s = 0;
    if (first) *first = a;
    if (cs != SEC_I_CONTINUE_NEEDED) return cs;
    for (int round = 0; round < 4; round++) {
        SecBuffer inb = {a.len, SECBUFFER_TOKEN, a.data}, outb = {TOKEN_MAX, SECBUFFER_TOKEN, b.data};
        SecBufferDesc ind = {SECBUFFER_VERSION, 1, &inb}, outd = {SECBUFFER_VERSION, 1, &outb};
        ss = T->AcceptSecurityContext(server, have_s ? s : NULL, &ind, ASC_REQ_MUTUAL_AUTH, SECURITY_NATIVE_DREP, s,
                                      &outd, &sa, NULL);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) break;
        have_s = 1;
        b.len = outb.cbBuffer;
        if (cs == SEC_E_OK) break;
        if (b.len == 0) break;
        cs = isc(client, c, c, target, req, &b, &a, &ca);
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) break;
        if (a.len == 0) break;
    }
    if (cs == SEC_E_OK && ss == SEC_E_OK) return SEC_E_OK;
    T->DeleteSecurityContext(c);
    if (have_s) T->DeleteSecurityContext(s);
    return cs != SEC_E_OK ? cs : ss;
}

/* The package NEGOTIATION_INFO names, and whether it is complete. */
static int negotiated(CtxtHandle *h, const char *package) {
    SecPkgContext_NegotiationInfoW info;
    if (T->QueryContextAttributesW(h, SECPKG_ATTR_NEGOTIATION_INFO, &info) != SEC_E_OK) return 0;
    int ok = info.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && weq(info.PackageInfo->Name, package);
    T->FreeContextBuffer(info.PackageInfo);
    return ok;
}

/* Microsoft's Kerberos OID, the standard one, NTLM's: Windows' offer. */
static const unsigned char MS_KRB5[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const unsigned char KRB5[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

static const unsigned char *find(const struct wire *w, const unsigned char *what, size_t n) {
    for (ULONG i = 0; i + n <= w->len; i++)
        if (memcmp(w->data + i, what, n) == 0) return w->data + i;
    return NULL;
}

/* Negotiate chooses Kerberos when a ticket can be had, and falls back to
 * NTLM as Windows does, before its first token leaves. */
static void negotiate_over_kerberos(void) {
    CredHandle client, server, ntlm_server, list_client;
    CtxtHandle c, s;
    struct wire first;
    CHECK_STATUS(acquire_in("Negotiate", "alice", "opensspi.test", "Passw0rd!alice", NULL, SECPKG_CRED_OUTBOUND, &client),
                 SEC_E_OK);
    CHECK_STATUS(acquire_in("Negotiate", NULL, NULL, NULL, NULL, SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    CHECK_STATUS(acquire_in("Negotiate", "alice", "OPENSSPI.TEST", "Passw0rd!alice", NULL, SECPKG_CRED_INBOUND,
                            &ntlm_server),
                 SEC_E_OK);

    /* Kerberos: the offer lists Microsoft's OID, then the standard one,
     * then NTLM; the optimistic token is the AP-REQ. */
    CHECK_STATUS(nego_handshake(&client, &server, "host/localhost", REQ, &c, &s, &first), SEC_E_OK);
    const unsigned char *ms = find(&first, MS_KRB5, sizeof MS_KRB5), *std = find(&first, KRB5, sizeof KRB5);
    CHECK(ms && std && ms < std);
    CHECK(negotiated(&c, "Kerberos") && negotiated(&s, "Kerberos"));
    SecPkgContext_NamesW names;
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "alice@OPENSSPI.TEST"));
    CHECK_STATUS(T->FreeContextBuffer(names.sUserName), SEC_E_OK);
    seal_both_ways(&c, &s, 0, 1);
    seal_both_ways(&s, &c, 0, 1);
    /* Exported and imported as Negotiate contexts, Kerberos inside. */
    SecBuffer pc, ps;
    CtxtHandle ic, is;
    CHECK_STATUS(T->ExportSecurityContext(&c, 0, &pc, NULL), SEC_E_OK);
    CHECK_STATUS(T->ExportSecurityContext(&s, 0, &ps, NULL), SEC_E_OK);
    CHECK_STATUS(T->ImportSecurityContextW(wstr("Negotiate"), &pc, NULL, &ic), SEC_E_OK);
    CHECK_STATUS(T->ImportSecurityContextW(wstr("Negotiate"), &ps, NULL, &is), SEC_E_OK);
    T->FreeContextBuffer(pc.pvBuffer);
    T->FreeContextBuffer(ps.pvBuffer);
    CHECK(negotiated(&is, "Kerberos"));
    seal_both_ways(&ic, &is, 0, 1);
    sign_both_ways(&c, &s);
    T->DeleteSecurityContext(&ic);
    T->DeleteSecurityContext(&is);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);

    /* A raw Kerberos AP-REQ to a Negotiate acceptor: Kerberos, raw. */
    CredHandle krb;
    struct wire a, b, none;
    ULONG ca = 0, sa = 0;
    CHECK_STATUS(acquire("alice", "opensspi.test", "Passw0rd!alice", SECPKG_CRED_OUTBOUND, &krb), SEC_E_OK);
    CHECK_STATUS(isc(&krb, NULL, &c, "host/localhost", REQ, NULL, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(asc(&server, &s, ASC_REQ_MUTUAL_AUTH, &a, &b, &sa), SEC_E_OK);
    CHECK(b.len > 0 && b.data[0] == 0x60);
    CHECK_STATUS(isc(&krb, &c, &c, "host/localhost", REQ, &b, &none, &ca), SEC_E_OK);
    CHECK(negotiated(&s, "Kerberos"));
    seal_both_ways(&c, &s, 0, 1);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&krb);

    /* Fallback to NTLM: an SPN the KDC does not know, an IP address. */
    const char *ntlm_targets[] = {"nosuch/localhost", "host/127.0.0.1"};
    for (size_t i = 0; i < 2; i++) {
        CHECK_STATUS(nego_handshake(&client, &ntlm_server, ntlm_targets[i], REQ, &c, &s, &first), SEC_E_OK);
        CHECK(find(&first, MS_KRB5, sizeof MS_KRB5) == NULL);
        CHECK(negotiated(&c, "NTLM") && negotiated(&s, "NTLM"));
        T->DeleteSecurityContext(&c);
        T->DeleteSecurityContext(&s);
    }
    /* Kerberos offered first (its ticket in hand), the acceptor with NTLM
     * only: NTLM is chosen with request-mic, the initiator restarts it and
     * is complete only on the acceptor's mechListMIC. */
    CredHandle ntlm_only;
    CHECK_STATUS(acquire_in("Negotiate", "alice", "OPENSSPI.TEST", "Passw0rd!alice", "NTLM", SECPKG_CRED_INBOUND,
                            &ntlm_only),
                 SEC_E_OK);
    CHECK_STATUS(nego_handshake(&client, &ntlm_only, "host/localhost", REQ, &c, &s, &first), SEC_E_OK);
    CHECK(find(&first, MS_KRB5, sizeof MS_KRB5) != NULL);
    CHECK(negotiated(&c, "NTLM") && negotiated(&s, "NTLM"));
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&ntlm_only);
    /* PackageList: "!Kerberos" takes NTLM; "Kerberos" alone has no fallback. */
    CHECK_STATUS(acquire_in("Negotiate", "alice", "opensspi.test", "Passw0rd!alice", "!Kerberos", SECPKG_CRED_OUTBOUND,
                            &list_client),
                 SEC_E_OK);
    CHECK_STATUS(nego_handshake(&list_client, &ntlm_server, "host/localhost", REQ, &c, &s, NULL), SEC_E_OK);
    CHECK(negotiated(&c, "NTLM"));
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&list_client);
    CHECK_STATUS(acquire_in("Negotiate", "alice", "opensspi.test", "Passw0rd!alice", "Kerberos", SECPKG_CRED_OUTBOUND,
                            &list_client),
                 SEC_E_OK);
    CHECK_STATUS(nego_handshake(&list_client, &ntlm_server, "nosuch/localhost", REQ, &c, &s, NULL),
                 SEC_E_TARGET_UNKNOWN);
    CHECK_STATUS(nego_handshake(&list_client, &server, "host/localhost", REQ, &c, &s, NULL), SEC_E_OK);
    CHECK(negotiated(&s, "Kerberos"));
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&list_client);
    /* A wrong password is not a reason to fall back. */
    CHECK_STATUS(acquire_in("Negotiate", "alice", "opensspi.test", "wrong", NULL, SECPKG_CRED_OUTBOUND, &list_client),
                 SEC_E_OK);
    CHECK_STATUS(nego_handshake(&list_client, &ntlm_server, "host/localhost", REQ, &c, &s, NULL), SEC_E_LOGON_DENIED);
    T->FreeCredentialsHandle(&list_client);
    CHECK_STATUS(T->FreeCredentialsHandle(&client), SEC_E_OK);
    CHECK_STATUS(T->FreeCredentialsHandle(&server), SEC_E_OK);
    CHECK_STATUS(T->FreeCredentialsHandle(&ntlm_server), SEC_E_OK);
}

/* A SEC_WINNT_AUTH_IDENTITY_EX2 in `buf`, as Windows lays it out: the
 * header, the user (UTF-16LE), then packed credentials of `type` holding
 * `cred`. Returns its length. */
static size_t build_ex2(unsigned char *buf, size_t cap, const char *user, const GUID *type, const unsigned char *cred,
                        size_t cred_len) {
    SEC_WINNT_AUTH_IDENTITY_EX2 h;
    SEC_WINNT_AUTH_PACKED_CREDENTIALS p;
    size_t at = sizeof h, ulen = strlen(user);
    memset(&h, 0, sizeof h);
    memset(&p, 0, sizeof p);
    if (at + 2 * ulen + sizeof p + cred_len > cap) return 0;
    h.Version = SEC_WINNT_AUTH_IDENTITY_VERSION_2;
    h.cbHeaderLength = sizeof h;
    h.UserOffset = (ULONG)at;
    h.UserLength = (USHORT)(2 * ulen);
    for (size_t i = 0; i < ulen; i++) buf[at + 2 * i] = (unsigned char)user[i], buf[at + 2 * i + 1] = 0;
    at += 2 * ulen;
    h.PackedCredentialsOffset = (ULONG)at;
    h.PackedCredentialsLength = (USHORT)(sizeof p + cred_len);
    p.cbHeaderLength = sizeof p;
    p.cbStructureLength = (USHORT)(sizeof p + cred_len);
    p.AuthData.CredType = *type;
    p.AuthData.CredData.ByteArrayOffset = sizeof p;
    p.AuthData.CredData.ByteArrayLength = (USHORT)cred_len;
    memcpy(buf + at, &p, sizeof p);
    memcpy(buf + at + sizeof p, cred, cred_len);
    at += sizeof p + cred_len;
    h.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    h.cbStructureLength = (ULONG)at;
    memcpy(buf, &h, sizeof h);
    return at;
}

static size_t read_file(const char *name, unsigned char *buf, size_t cap) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", getenv("OPENSSPI_REALM_DIR"), name);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* Windows' packed credentials: a keytab for each side, a password; lies
 * and unknown types refused. */
static void packed_credentials(void) {
    static const GUID KEYTAB = SEC_WINNT_AUTH_DATA_TYPE_KEYTAB;
    static const GUID PASSWORD = SEC_WINNT_AUTH_DATA_TYPE_PASSWORD;
    static const GUID CERT = SEC_WINNT_AUTH_DATA_TYPE_CERT;
    /* 8-byte aligned, as AcquireCredentialsHandle wants a structure. */
    static uint64_t client_ex2[4096], server_ex2[4096], pw_ex2[256];
    unsigned char keytab[16384];
    const char *packages[] = {"Kerberos", "Negotiate"};
    size_t n = read_file("alice.keytab", keytab, sizeof keytab);
    CHECK(n > 0);
    size_t cl = build_ex2((unsigned char *)client_ex2, sizeof client_ex2, "alice@OPENSSPI.TEST", &KEYTAB, keytab, n);
    n = read_file("service.keytab", keytab, sizeof keytab);
    size_t sl = build_ex2((unsigned char *)server_ex2, sizeof server_ex2, "host/localhost@OPENSSPI.TEST", &KEYTAB, keytab, n);
    CHECK(cl > 0 && sl > 0);
    for (int k = 0; k < 2; k++) {
        CredHandle client, server;
        CtxtHandle c, s;
        CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr(packages[k]), SECPKG_CRED_OUTBOUND, NULL, client_ex2, NULL,
                                                  NULL, &client, NULL),
                     SEC_E_OK);
        CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr(packages[k]), SECPKG_CRED_INBOUND, NULL, server_ex2, NULL,
                                                  NULL, &server, NULL),
                     SEC_E_OK);
        CHECK_STATUS(nego_handshake(&client, &server, "host/localhost", REQ, &c, &s, NULL), SEC_E_OK);
        SecPkgContext_NamesW names;
        CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
        CHECK(weq(names.sUserName, "alice@OPENSSPI.TEST"));
        T->FreeContextBuffer(names.sUserName);
        seal_both_ways(&c, &s, 0, 1);
        T->DeleteSecurityContext(&c);
        T->DeleteSecurityContext(&s);
        T->FreeCredentialsHandle(&client);
        T->FreeCredentialsHandle(&server);
    }
    /* A packed password. */
    const unsigned char pw[] = {'P', 0, 'a', 0, 's', 0, 's', 0, 'w', 0, '0', 0, 'r', 0, 'd', 0, '!', 0,
                                'a', 0, 'l', 0, 'i', 0, 'c', 0, 'e', 0};
    build_ex2((unsigned char *)pw_ex2, sizeof pw_ex2, "alice@OPENSSPI.TEST", &PASSWORD, pw, sizeof pw);
    CredHandle client, server;
    CtxtHandle c, s;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, pw_ex2, NULL, NULL,
                                              &client, NULL),
                 SEC_E_OK);
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    handshake(&client, &server, "host/localhost", &c, &s);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&client);
    T->FreeCredentialsHandle(&server);
    /* SspiCopyAuthIdentity keeps the packed keytab; the copy works. */
    PSEC_WINNT_AUTH_IDENTITY_OPAQUE copy = NULL;
    CHECK_STATUS(SspiCopyAuthIdentity(client_ex2, &copy), SEC_E_OK);
    CHECK(copy && memcmp(copy, client_ex2, cl) == 0);
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, copy, NULL, NULL,
                                              &client, NULL),
                 SEC_E_OK);
    T->FreeCredentialsHandle(&client);
    SspiFreeAuthIdentity(copy);
    /* Another type of packed credentials; NTLM given a keytab. */
    build_ex2((unsigned char *)pw_ex2, sizeof pw_ex2, "alice@OPENSSPI.TEST", &CERT, pw, sizeof pw);
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, pw_ex2, NULL, NULL,
                                              &client, NULL),
                 SEC_E_UNKNOWN_CREDENTIALS);
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("NTLM"), SECPKG_CRED_OUTBOUND, NULL, client_ex2, NULL, NULL,
                                              &client, NULL),
                 SEC_E_UNKNOWN_CREDENTIALS);
    /* Lies: the user past the structure, the secret past the packed
     * credentials, a structure length beyond the limit. */
    SEC_WINNT_AUTH_IDENTITY_EX2 *h = (SEC_WINNT_AUTH_IDENTITY_EX2 *)client_ex2;
    ULONG saved = h->UserOffset;
    h->UserOffset = h->cbStructureLength - 2;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, client_ex2, NULL,
                                              NULL, &client, NULL),
                 SEC_E_INVALID_PARAMETER);
    h->UserOffset = saved;
    /* (The packed credentials need not be aligned: copied in and out.) */
    unsigned char *at = (unsigned char *)client_ex2 + h->PackedCredentialsOffset;
    SEC_WINNT_AUTH_PACKED_CREDENTIALS p;
    memcpy(&p, at, sizeof p);
    p.AuthData.CredData.ByteArrayLength += 1;
    memcpy(at, &p, sizeof p);
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, client_ex2, NULL,
                                              NULL, &client, NULL),
                 SEC_E_INVALID_PARAMETER);
    p.AuthData.CredData.ByteArrayLength -= 1;
    memcpy(at, &p, sizeof p);
    h->cbStructureLength = 0x7fffffff;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, client_ex2, NULL,
                                              NULL, &client, NULL),
                 SEC_E_INVALID_PARAMETER);
}

static void errors(void) {
    CredHandle client;
    CtxtHandle c;
    struct wire a;
    ULONG ca;
    CHECK_STATUS(acquire("alice", "OPENSSPI.TEST", "wrong password", SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    CHECK_STATUS(isc(&client, NULL, &c, "host/localhost", REQ, NULL, &a, &ca), SEC_E_LOGON_DENIED);
    CHECK_STATUS(T->FreeCredentialsHandle(&client), SEC_E_OK);
    CHECK_STATUS(acquire("alice@OPENSSPI.TEST", NULL, "Passw0rd!alice", SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    CHECK_STATUS(isc(&client, NULL, &c, "nosuch/localhost", REQ, NULL, &a, &ca), SEC_E_TARGET_UNKNOWN);
    CHECK_STATUS(T->FreeCredentialsHandle(&client), SEC_E_OK);
}

/* Last: stops the KDC, after which a credential without tickets cannot
 * reach one. */
static void stopped_kdc(void) {
    const char *pid = getenv("OPENSSPI_KDC_PID");
    CHECK(pid != NULL);
    if (!pid) return;
    CHECK(kill((pid_t)atoi(pid), SIGTERM) == 0);
    usleep(300 * 1000);
    CredHandle client;
    CtxtHandle c;
    struct wire a;
    ULONG ca;
    CHECK_STATUS(acquire("bob", "OPENSSPI.TEST", "Passw0rd!bob", SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    CHECK_STATUS(isc(&client, NULL, &c, "host/localhost", REQ, NULL, &a, &ca), SEC_E_NO_AUTHENTICATING_AUTHORITY);
    CHECK_STATUS(T->FreeCredentialsHandle(&client), SEC_E_OK);
    /* Negotiate falls back to NTLM. */
    CredHandle nc, ns;
    CtxtHandle s;
    CHECK_STATUS(acquire_in("Negotiate", "bob", "OPENSSPI.TEST", "Passw0rd!bob", NULL, SECPKG_CRED_OUTBOUND, &nc),
                 SEC_E_OK);
    CHECK_STATUS(acquire_in("Negotiate", "bob", "OPENSSPI.TEST", "Passw0rd!bob", NULL, SECPKG_CRED_INBOUND, &ns),
                 SEC_E_OK);
    CHECK_STATUS(nego_handshake(&nc, &ns, "host/localhost", REQ, &c, &s, NULL), SEC_E_OK);
    CHECK(negotiated(&c, "NTLM") && negotiated(&s, "NTLM"));
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&nc);
    T->FreeCredentialsHandle(&ns);
}

int main(void) {
    T = InitSecurityInterfaceW();
    if (!getenv("OPENSSPI_REALM_DIR")) {
        fprintf(stderr, "test_kerberos: run inside scripts/krb5-realm.sh\n");
        return 1;
    }
    password_client_and_keytab_server();
    rc4_session();
    negotiate_over_kerberos();
    packed_credentials();
    errors();
    stopped_kdc();
    return check_summary();
}

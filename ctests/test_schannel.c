/* Schannel through the function tables: a client and a server in one
 * process, written the way Windows programs drive Schannel (stream buffers,
 * SECBUFFER_EXTRA and SECBUFFER_MISSING, ALLOCATE_MEMORY), with the
 * throwaway certificates of tests/data/tls. SSL_CERT_FILE names the test
 * CA (set by CMakeLists.txt). */
#include <stdint.h>
#include <stdlib.h>
#include <wchar.h>

#include "pair.h"
#include "stream.h"

#define DATA OPENSSPI_TLS_DATA "/"

static PCCERT_CONTEXT server_cert;

/* A credential: SCH_CREDENTIALS with `disabled` protocols and `flags`,
 * holding `cert` (may be NULL). */
static SECURITY_STATUS tls_cred(ULONG use, PCCERT_CONTEXT cert, ULONG disabled, ULONG flags,
                                CredHandle *h) {
    TLS_PARAMETERS params;
    SCH_CREDENTIALS sc;
    PCCERT_CONTEXT certs[1] = {cert};
    memset(&params, 0, sizeof params);
    memset(&sc, 0, sizeof sc);
    params.grbitDisabledProtocols = disabled;
    sc.dwVersion = SCH_CREDENTIALS_VERSION;
    sc.cCreds = cert ? 1 : 0;
    sc.paCred = cert ? certs : NULL;
    sc.dwFlags = flags;
    sc.cTlsParameters = 1;
    sc.pTlsParameters = &params;
    return T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), use, NULL, &sc, NULL, NULL, h, NULL);
}

struct side {
    CredHandle cred;
    CtxtHandle ctx;
    int has_ctx, done;
    ULONG req, attrs;
    SECURITY_STATUS last;
    struct pipe in;
    const SEC_WCHAR *target;
    /* An ALPN list (SEC_APPLICATION_PROTOCOLS) for the first call. */
    const unsigned char *alpn;
    ULONG alpn_len;
    /* The last call's SECBUFFER_ALERT output: its length and first byte. */
    ULONG alert_len;
    unsigned char alert_type;
};

/* One handshake call on `s` with everything it has received, the way
 * Microsoft's samples do it: [TOKEN, EMPTY] in, [TOKEN, ALERT] out with
 * ALLOCATE_MEMORY; the output goes to `peer`, EXTRA stays in `s->in`. */
static SECURITY_STATUS turn(struct side *s, struct pipe *peer, int server) {
    SecBuffer ib[3], ob[2];
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, ib}, outd = {SECBUFFER_VERSION, 2, ob};
    SECURITY_STATUS st;
    ib[0] = (SecBuffer){s->in.len, SECBUFFER_TOKEN, s->in.data};
    ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    if (!s->has_ctx && s->alpn) {
        ib[2] = (SecBuffer){s->alpn_len, SECBUFFER_APPLICATION_PROTOCOLS, (void *)s->alpn};
        ind.cBuffers = 3;
    }
    ob[0] = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    ob[1] = (SecBuffer){0, SECBUFFER_ALERT, NULL};
    if (server)
        st = T->AcceptSecurityContext(&s->cred, s->has_ctx ? &s->ctx : NULL, &ind,
                                      s->req | ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM, 0, &s->ctx,
                                      &outd, &s->attrs, NULL);
    else
        st = T->InitializeSecurityContextW(&s->cred, s->has_ctx ? &s->ctx : NULL, (SEC_WCHAR *)s->target,
                                           s->req | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM, 0, 0,
                                           s->has_ctx || s->alpn ? &ind : NULL, 0, &s->ctx, &outd,
                                           &s->attrs, NULL);
    if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED || st == SEC_I_INCOMPLETE_CREDENTIALS)
        s->has_ctx = 1;
    if (ob[0].pvBuffer) {
        pipe_put(peer, ob[0].pvBuffer, ob[0].cbBuffer);
        T->FreeContextBuffer(ob[0].pvBuffer);
    }
    s->alert_len = ob[1].cbBuffer;
    s->alert_type = ob[1].pvBuffer && ob[1].cbBuffer ? *(unsigned char *)ob[1].pvBuffer : 0;
    if (ob[1].pvBuffer) T->FreeContextBuffer(ob[1].pvBuffer);
    if (st == SEC_E_INCOMPLETE_MESSAGE) return st;
    if (st == SEC_I_INCOMPLETE_CREDENTIALS) {
        s->req |= ISC_REQ_USE_SUPPLIED_CREDS;
        return st;
    }
    if (ib[1].BufferType == SECBUFFER_EXTRA)
        pipe_take(&s->in, s->in.len - ib[1].cbBuffer);
    else if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED)
        s->in.len = 0;
    if (st == SEC_E_OK) s->done = 1;
    s->last = st;
    return st;
}

/* Runs both sides to the end; the first failing status, or SEC_E_OK. */
static SECURITY_STATUS connect_pair(struct side *c, struct side *s) {
    int rounds;
    SECURITY_STATUS st = turn(c, &s->in, 0);
    if (((st) < 0)) return st;
    for (rounds = 0; rounds < 20 && !(c->done && s->done); rounds++) {
        if (s->in.len && !s->done) {
            st = turn(s, &c->in, 1);
            if (((st) < 0) && st != SEC_E_INCOMPLETE_MESSAGE) return st;
        }
        if (!c->done && (c->in.len || c->last == SEC_I_INCOMPLETE_CREDENTIALS)) {
            st = turn(c, &s->in, 0);
            if (st == SEC_I_INCOMPLETE_CREDENTIALS) st = turn(c, &s->in, 0);
            if (((st) < 0) && st != SEC_E_INCOMPLETE_MESSAGE) return st;
        }
    }
    return c->done && s->done ? SEC_E_OK : SEC_E_INTERNAL_ERROR;
}

static void side_init(struct side *x, const char *target) {
    memset(x, 0, sizeof *x);
    x->target = target ? wstr(target) : NULL;
}

static void side_free(struct side *x) {
    if (x->has_ctx) T->DeleteSecurityContext(&x->ctx);
    T->FreeCredentialsHandle(&x->cred);
}

/* A client and a server ready to talk: SEC_E_OK or the handshake's error. */
static SECURITY_STATUS pair_up(struct side *c, struct side *s, const char *target, ULONG disabled) {
    side_init(c, target);
    side_init(s, NULL);
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, disabled, 0, &c->cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, server_cert, 0, 0, &s->cred), SEC_E_OK);
    return connect_pair(c, s);
}

static void package_infos(void) {
    static const char *const names[] = {"Schannel", "Microsoft Unified Security Protocol Provider",
                                        "Default TLS SSP"};
    size_t i;
    for (i = 0; i < 3; i++) {
        PSecPkgInfoW w;
        PSecPkgInfoA a;
        CHECK_STATUS(T->QuerySecurityPackageInfoW(wstr(names[i]), &w), SEC_E_OK);
        CHECK(w->fCapabilities == 0x004107B3 && w->wVersion == 1 && w->wRPCID == 14 &&
              w->cbMaxToken == 24576 && weq(w->Comment, "Schannel Security Package") &&
              weq(w->Name, names[i]));
        T->FreeContextBuffer(w);
        CHECK_STATUS(TA->QuerySecurityPackageInfoA((SEC_CHAR *)names[i], &a), SEC_E_OK);
        CHECK(a->wRPCID == 14 && strcmp((char *)a->Name, names[i]) == 0);
        TA->FreeContextBuffer(a);
    }
}

static void credentials(void) {
    CredHandle h;
    SCHANNEL_CRED old;
    SecPkgCred_SupportedProtocols sp;
    PCCERT_CONTEXT two[2] = {server_cert, server_cert};
    CERT_CONTEXT bare;
    PCCERT_CONTEXT bare_list[1] = {&bare};
    /* Outbound with no auth data: the defaults. Inbound needs a certificate. */
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), SECPKG_CRED_OUTBOUND, NULL, NULL,
                                              NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK_STATUS(T->QueryCredentialsAttributesW(&h, SECPKG_ATTR_SUPPORTED_PROTOCOLS, &sp), SEC_E_OK);
    CHECK(sp.grbitProtocol == (SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT));
    T->FreeCredentialsHandle(&h);
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), SECPKG_CRED_INBOUND, NULL, NULL,
                                              NULL, NULL, &h, NULL), SEC_E_NO_CREDENTIALS);
    /* SCHANNEL_CRED: never TLS 1.3; old protocols only: no common algorithm. */
    memset(&old, 0, sizeof old);
    old.dwVersion = SCHANNEL_CRED_VERSION;
    old.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT;
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL,
                                               &old, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK_STATUS(TA->QueryCredentialsAttributesA(&h, SECPKG_ATTR_SUPPORTED_PROTOCOLS, &sp), SEC_E_OK);
    CHECK(sp.grbitProtocol == SP_PROT_TLS1_2_CLIENT);
    T->FreeCredentialsHandle(&h);
    old.grbitEnabledProtocols = SP_PROT_TLS1_0_CLIENT | SP_PROT_TLS1_1_CLIENT | SP_PROT_SSL3_CLIENT;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), SECPKG_CRED_OUTBOUND, NULL, &old,
                                              NULL, NULL, &h, NULL), SEC_E_ALGORITHM_MISMATCH);
    old.grbitEnabledProtocols = SP_PROT_TLS1_2_SERVER;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), SECPKG_CRED_OUTBOUND, NULL, &old,
                                              NULL, NULL, &h, NULL), SEC_E_ALGORITHM_MISMATCH);
    old.dwVersion = 2;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), SECPKG_CRED_OUTBOUND, NULL, &old,
                                              NULL, NULL, &h, NULL), SEC_E_UNKNOWN_CREDENTIALS);
    /* Two certificates, or one with no key attached. */
    old.dwVersion = SCHANNEL_CRED_VERSION;
    old.grbitEnabledProtocols = 0;
    old.cCreds = 2;
    old.paCred = two;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), SECPKG_CRED_INBOUND, NULL, &old,
                                              NULL, NULL, &h, NULL), SEC_E_UNKNOWN_CREDENTIALS);
    bare = *server_cert;
    old.cCreds = 1;
    old.paCred = bare_list;
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Schannel"), SECPKG_CRED_INBOUND, NULL, &old,
                                              NULL, NULL, &h, NULL), SEC_E_NO_CREDENTIALS);
    /* Everything disabled through TLS_PARAMETERS. */
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, SP_PROT_TLS1_2 | SP_PROT_TLS1_3, 0, &h),
                 SEC_E_ALGORITHM_MISMATCH);
    /* The loaders' errors. */
    {
        PCCERT_CONTEXT p = NULL;
        CHECK_STATUS(OpenSspiCertificateFromFilesA(DATA "missing.pem", NULL, &p), SEC_E_NO_CREDENTIALS);
        CHECK_STATUS(OpenSspiCertificateFromFilesA(DATA "server.pem", NULL, &p), SEC_E_UNKNOWN_CREDENTIALS);
        CHECK_STATUS(OpenSspiCertificateFromFilesA(DATA "server.pem", DATA "client.key", &p),
                     SEC_E_UNKNOWN_CREDENTIALS);
        CHECK(p == NULL);
        CHECK_STATUS(OpenSspiCertificateFromFilesW(wstr(DATA "client.pem"), wstr(DATA "client.key"), &p),
                     SEC_E_OK);
        CHECK(p && p->cbCertEncoded > 100 && p->pbCertEncoded[0] == 0x30);
        CHECK(CertDuplicateCertificateContext(p) == p);
        CHECK(CertFreeCertificateContext(p));
        CHECK(CertFreeCertificateContext(p));
        CHECK_STATUS(OpenSspiCertificateFromPkcs12FileA(DATA "server.p12", "wrong", &p), SEC_E_LOGON_DENIED);
        CHECK_STATUS(OpenSspiCertificateFromPkcs12FileW(wstr(DATA "client-legacy.p12"), wstr("opensspi"), &p),
                     SEC_E_OK);
        CHECK(p && p->cbCertEncoded > 100);
        CHECK(CertFreeCertificateContext(p));
        CHECK(CertDuplicateCertificateContext(&bare) == NULL);
        CHECK(CertFreeCertificateContext(&bare));
    }
}

static void handshake_and_records(ULONG disabled, ULONG protocol, ULONG header, ULONG trailer) {
    struct side c, s;
    SecPkgContext_StreamSizes sz;
    SecPkgContext_ConnectionInfo ci;
    SecPkgContext_CipherInfo cipher;
    static unsigned char big[16384], back[16384];
    ULONG n, i;
    CHECK_STATUS(pair_up(&c, &s, "localhost", disabled), SEC_E_OK);
    CHECK(c.alert_len == 0 && s.alert_len == 0);
    CHECK(c.attrs & ISC_RET_CONFIDENTIALITY && c.attrs & ISC_RET_STREAM && c.attrs & ISC_RET_REPLAY_DETECT);
    CHECK(s.attrs & ASC_RET_CONFIDENTIALITY && s.attrs & ASC_RET_STREAM);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_OK);
    CHECK(sz.cbHeader == header && sz.cbTrailer == trailer && sz.cbMaximumMessage == 16384 &&
          sz.cBuffers == 4 && sz.cbBlockSize == 16);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_CONNECTION_INFO, &ci), SEC_E_OK);
    CHECK(ci.dwProtocol == protocol && ci.aiCipher == CALG_AES_256 && ci.dwCipherStrength == 256 &&
          ci.aiExch == CALG_ECDH_EPHEM);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_CONNECTION_INFO, &ci), SEC_E_OK);
    CHECK(ci.dwProtocol == (protocol >> 1));
    memset(&cipher, 0, sizeof cipher);
    cipher.dwVersion = SECPKGCONTEXT_CIPHERINFO_V1;
    CHECK_STATUS(TA->QueryContextAttributesA(&c.ctx, SECPKG_ATTR_CIPHER_INFO, &cipher), SEC_E_OK);
    if (protocol == SP_PROT_TLS1_3_CLIENT)
        CHECK(cipher.dwProtocol == 0x304 && cipher.dwCipherSuite == 0x1302 &&
              weq(cipher.szCipherSuite, "TLS_AES_256_GCM_SHA384"));
    else
        CHECK(cipher.dwProtocol == 0x303 && cipher.dwCipherSuite == 0xC02C &&
              weq(cipher.szCipherSuite, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
    CHECK(weq(cipher.szCipher, "AES") && cipher.dwCipherLen == 256 && weq(cipher.szCertificate, "ECDSA"));
    /* Records both ways, the largest one too; two records in one read. */
    for (i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7);
    CHECK_STATUS(seal_into(&c.ctx, big, sizeof big, &s.in), SEC_E_OK);
    CHECK_STATUS(seal_into(&c.ctx, "tail", 4, &s.in), SEC_E_OK);
    CHECK_STATUS(open_from(&s.ctx, &s.in, back, &n), SEC_E_OK);
    CHECK(n == sizeof big && memcmp(back, big, n) == 0 && s.in.len > 0);
    CHECK_STATUS(open_from(&s.ctx, &s.in, back, &n), SEC_E_OK);
    CHECK(n == 4 && memcmp(back, "tail", 4) == 0 && s.in.len == 0);
    CHECK_STATUS(seal_into(&s.ctx, "pong", 4, &c.in), SEC_E_OK);
    CHECK_STATUS(open_from(&c.ctx, &c.in, back, &n), SEC_E_OK);
    CHECK(n == 4 && memcmp(back, "pong", 4) == 0);
    /* More than cbMaximumMessage. */
    {
        static unsigned char too_big[16385 + 64];
        SecBuffer b[4];
        SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
        b[0] = (SecBuffer){header, SECBUFFER_STREAM_HEADER, too_big};
        b[1] = (SecBuffer){16385, SECBUFFER_DATA, too_big + 16};
        b[2] = (SecBuffer){trailer, SECBUFFER_STREAM_TRAILER, too_big + 16 + 16385};
        b[3] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        CHECK_STATUS(T->EncryptMessage(&c.ctx, 0, &d, 0), SEC_E_ENCRYPT_FAILURE);
    }
    side_free(&c);
    side_free(&s);
}

static void tls13(void) { handshake_and_records(0, SP_PROT_TLS1_3_CLIENT, 5, 17); }
static void tls12(void) { handshake_and_records(SP_PROT_TLS1_3, SP_PROT_TLS1_2_CLIENT, 13, 16); }

/* A record fed a few bytes at a time: SEC_E_INCOMPLETE_MESSAGE with the
 * count in SECBUFFER_MISSING until it is whole; a flipped bit fails. */
static void split_and_tampered_records(void) {
    struct side c, s;
    struct pipe wire;
    unsigned char back[64];
    ULONG n, have;
    CHECK_STATUS(pair_up(&c, &s, "localhost", 0), SEC_E_OK);
    memset(&wire, 0, sizeof wire);
    CHECK_STATUS(seal_into(&c.ctx, "split across reads", 18, &wire), SEC_E_OK);
    for (have = 0; have < wire.len; have += 3) {
        SecBuffer b[4];
        SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
        unsigned char part[64];
        int i;
        memcpy(part, wire.data, have);
        b[0] = (SecBuffer){have, SECBUFFER_DATA, part};
        for (i = 1; i < 4; i++) b[i] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        CHECK_STATUS(T->DecryptMessage(&s.ctx, &d, 0, NULL), SEC_E_INCOMPLETE_MESSAGE);
        CHECK(b[0].BufferType == SECBUFFER_MISSING &&
              b[0].cbBuffer == (have < 5 ? 5 - have : wire.len - have));
    }
    CHECK_STATUS(open_from(&s.ctx, &wire, back, &n), SEC_E_OK);
    CHECK(n == 18 && memcmp(back, "split across reads", 18) == 0);
    CHECK_STATUS(seal_into(&c.ctx, "tampered", 8, &wire), SEC_E_OK);
    wire.data[wire.len - 3] ^= 1;
    CHECK_STATUS(open_from(&s.ctx, &wire, back, &n), SEC_E_DECRYPT_FAILURE);
    /* A record that does not authenticate ends the connection. */
    wire.len = 0;
    CHECK_STATUS(seal_into(&c.ctx, "after", 5, &wire), SEC_E_OK);
    CHECK_STATUS(open_from(&s.ctx, &wire, back, &n), SEC_E_CONTEXT_EXPIRED);
    side_free(&c);
    side_free(&s);
}

/* The handshake's records fed one byte at a time to each side. */
static void handshake_in_pieces(void) {
    struct side c, s;
    struct pipe to_server, to_client;
    int rounds;
    SECURITY_STATUS st;
    side_init(&c, "localhost");
    side_init(&s, NULL);
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, 0, 0, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, server_cert, 0, 0, &s.cred), SEC_E_OK);
    memset(&to_server, 0, sizeof to_server);
    memset(&to_client, 0, sizeof to_client);
    CHECK_STATUS(turn(&c, &to_server, 0), SEC_I_CONTINUE_NEEDED);
    for (rounds = 0; rounds < 4000 && !(c.done && s.done); rounds++) {
        if (to_server.len) {
            pipe_put(&s.in, to_server.data, 1);
            pipe_take(&to_server, 1);
            st = turn(&s, &to_client, 1);
            CHECK(st == SEC_E_INCOMPLETE_MESSAGE || st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK);
        } else if (to_client.len) {
            pipe_put(&c.in, to_client.data, 1);
            pipe_take(&to_client, 1);
            st = turn(&c, &to_server, 0);
            CHECK(st == SEC_E_INCOMPLETE_MESSAGE || st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK);
        } else {
            break;
        }
    }
    CHECK(c.done && s.done);
    side_free(&c);
    side_free(&s);
}

static void first_flight_incomplete(void) {
    struct side c, s;
    SecBuffer ib[2], ob[1];
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, ib}, outd = {SECBUFFER_VERSION, 1, ob};
    unsigned char out[4096];
    CtxtHandle h;
    ULONG attrs;
    side_init(&c, "localhost");
    side_init(&s, NULL);
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, 0, 0, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, server_cert, 0, 0, &s.cred), SEC_E_OK);
    CHECK_STATUS(turn(&c, &s.in, 0), SEC_I_CONTINUE_NEEDED);
    /* The server given 4 of the ClientHello's bytes: 1 missing from the header. */
    ib[0] = (SecBuffer){4, SECBUFFER_TOKEN, s.in.data};
    ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    ob[0] = (SecBuffer){sizeof out, SECBUFFER_TOKEN, out};
    CHECK_STATUS(T->AcceptSecurityContext(&s.cred, NULL, &ind, ASC_REQ_STREAM, 0, &h, &outd, &attrs, NULL),
                 SEC_E_INCOMPLETE_MESSAGE);
    CHECK(ib[1].BufferType == SECBUFFER_MISSING && ib[1].cbBuffer == 1);
    /* Garbage is not a TLS record. */
    memset(out, 0, 16);
    ib[0] = (SecBuffer){16, SECBUFFER_TOKEN, out};
    ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    ob[0] = (SecBuffer){sizeof out - 16, SECBUFFER_TOKEN, out + 16};
    CHECK_STATUS(T->AcceptSecurityContext(&s.cred, NULL, &ind, ASC_REQ_STREAM, 0, &h, &outd, &attrs, NULL),
                 SEC_E_INVALID_TOKEN);
    side_free(&c);
    side_free(&s);
}

static void shutdown_both_ways(void) {
    struct side c, s;
    ULONG kind = SCHANNEL_SHUTDOWN;
    SecBuffer b[1];
    SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
    unsigned char back[16];
    ULONG n;
    CHECK_STATUS(pair_up(&c, &s, "localhost", 0), SEC_E_OK);
    b[0] = (SecBuffer){sizeof kind, SECBUFFER_TOKEN, &kind};
    CHECK_STATUS(T->ApplyControlToken(&c.ctx, &d), SEC_E_OK);
    CHECK_STATUS(turn(&c, &s.in, 0), SEC_E_OK);
    CHECK(s.in.len > 0);
    CHECK_STATUS(open_from(&s.ctx, &s.in, back, &n), SEC_I_CONTEXT_EXPIRED);
    CHECK(n == 0);
    CHECK_STATUS(T->ApplyControlToken(&s.ctx, &d), SEC_E_OK);
    CHECK_STATUS(turn(&s, &c.in, 1), SEC_E_OK);
    CHECK_STATUS(open_from(&c.ctx, &c.in, back, &n), SEC_I_CONTEXT_EXPIRED);
    /* Windows' answers to malformed control tokens. */
    b[0].cbBuffer = 2;
    CHECK_STATUS(T->ApplyControlToken(&c.ctx, &d), SEC_E_UNSUPPORTED_FUNCTION);
    b[0].cbBuffer = sizeof kind;
    b[0].BufferType = SECBUFFER_DATA;
    CHECK_STATUS(T->ApplyControlToken(&c.ctx, &d), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(T->ApplyControlToken(&c.ctx, NULL), SEC_E_INTERNAL_ERROR);
    side_free(&c);
    side_free(&s);
}

static void certificate_errors(void) {
    struct side c, s;
    PCCERT_CONTEXT expired = NULL;
    const char *ca = getenv("SSL_CERT_FILE");
    CHECK_STATUS(pair_up(&c, &s, "wrong.example", 0), SEC_E_WRONG_PRINCIPAL);
    /* The fatal alert for the server, in the SECBUFFER_ALERT output too. */
    CHECK(c.alert_len >= 7 && c.alert_type >= 20 && c.alert_type <= 23); /* TLS 1.3: after a CCS */
    side_free(&c);
    side_free(&s);
    /* Manual validation: the program checks; the handshake goes through. */
    side_init(&c, "wrong.example");
    side_init(&s, NULL);
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, 0, SCH_CRED_MANUAL_CRED_VALIDATION, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, server_cert, 0, 0, &s.cred), SEC_E_OK);
    CHECK_STATUS(connect_pair(&c, &s), SEC_E_OK);
    {
        PCCERT_CONTEXT peer = NULL;
        CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &peer), SEC_E_OK);
        CHECK(peer && peer->cbCertEncoded == server_cert->cbCertEncoded &&
              memcmp(peer->pbCertEncoded, server_cert->pbCertEncoded, peer->cbCertEncoded) == 0);
        CHECK(CertFreeCertificateContext(peer));
    }
    side_free(&c);
    side_free(&s);
    /* An unknown issuer: the client trusts another CA. */
    setenv("SSL_CERT_FILE", OPENSSPI_TLS_DATA "/other-ca.pem", 1);
    CHECK_STATUS(pair_up(&c, &s, "localhost", 0), SEC_E_UNTRUSTED_ROOT);
    side_free(&c);
    side_free(&s);
    setenv("SSL_CERT_FILE", ca, 1);
    /* An expired certificate. */
    CHECK_STATUS(OpenSspiCertificateFromFilesA(DATA "expired.pem", DATA "expired.key", &expired), SEC_E_OK);
    side_init(&c, "localhost");
    side_init(&s, NULL);
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, 0, 0, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, expired, 0, 0, &s.cred), SEC_E_OK);
    CertFreeCertificateContext(expired);
    CHECK_STATUS(connect_pair(&c, &s), SEC_E_CERT_EXPIRED);
    side_free(&c);
    side_free(&s);
}

static void mutual_tls(void) {
    struct side c, s;
    PCCERT_CONTEXT client_cert = NULL, peer = NULL;
    CHECK_STATUS(OpenSspiCertificateFromFilesA(DATA "client.pem", DATA "client.key", &client_cert), SEC_E_OK);
    /* No client certificate: SEC_I_INCOMPLETE_CREDENTIALS, then on without. */
    side_init(&c, "localhost");
    side_init(&s, NULL);
    s.req = ASC_REQ_MUTUAL_AUTH;
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, 0, 0, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, server_cert, 0, 0, &s.cred), SEC_E_OK);
    CHECK_STATUS(connect_pair(&c, &s), SEC_E_OK);
    CHECK(c.req & ISC_REQ_USE_SUPPLIED_CREDS);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &peer), SEC_E_NO_CREDENTIALS);
    side_free(&c);
    side_free(&s);
    /* With one, the server sees it. */
    side_init(&c, "localhost");
    side_init(&s, NULL);
    s.req = ASC_REQ_MUTUAL_AUTH;
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, client_cert, 0, 0, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, server_cert, 0, 0, &s.cred), SEC_E_OK);
    CHECK_STATUS(connect_pair(&c, &s), SEC_E_OK);
    CHECK(s.attrs & ASC_RET_MUTUAL_AUTH);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &peer), SEC_E_OK);
    CHECK(peer && peer->cbCertEncoded == client_cert->cbCertEncoded);
    CertFreeCertificateContext(peer);
    CertFreeCertificateContext(client_cert);
    side_free(&c);
    side_free(&s);
}

static void alpn(void) {
    /* SEC_APPLICATION_PROTOCOLS: size, then one ALPN list. */
    static const unsigned char client_list[] = {
        18, 0, 0, 0, 2, 0, 0, 0, 12, 0, 8, 'h', 't', 't', 'p', '/', '1', '.', '1', 2, 'h', '2'};
    static const unsigned char server_list[] = {9, 0, 0, 0, 2, 0, 0, 0, 3, 0, 2, 'h', '2'};
    struct side c, s;
    SecPkgContext_ApplicationProtocol ap;
    side_init(&c, "localhost");
    side_init(&s, NULL);
    c.alpn = client_list;
    c.alpn_len = sizeof client_list;
    s.alpn = server_list;
    s.alpn_len = sizeof server_list;
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, 0, 0, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, server_cert, 0, 0, &s.cred), SEC_E_OK);
    CHECK_STATUS(connect_pair(&c, &s), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_APPLICATION_PROTOCOL, &ap), SEC_E_OK);
    CHECK(ap.ProtoNegoStatus == SecApplicationProtocolNegotiationStatus_Success &&
          ap.ProtoNegoExt == SecApplicationProtocolNegotiationExt_ALPN && ap.ProtocolIdSize == 2 &&
          memcmp(ap.ProtocolId, "h2", 2) == 0);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_APPLICATION_PROTOCOL, &ap), SEC_E_OK);
    CHECK(ap.ProtocolIdSize == 2 && memcmp(ap.ProtocolId, "h2", 2) == 0);
    side_free(&c);
    side_free(&s);
    /* Without ALPN: no protocol. */
    CHECK_STATUS(pair_up(&c, &s, "localhost", 0), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_APPLICATION_PROTOCOL, &ap), SEC_E_OK);
    CHECK(ap.ProtoNegoStatus == SecApplicationProtocolNegotiationStatus_None && ap.ProtocolIdSize == 0);
    side_free(&c);
    side_free(&s);
}

/* Extended Protection: Schannel's tls-server-end-point bindings on both
 * sides, then NTLM over that channel with them. */
static SECURITY_STATUS ntlm_with(SecPkgContext_Bindings *cb, SecPkgContext_Bindings *sb) {
    CredHandle client, server;
    CtxtHandle c, s;
    struct wire a, b;
    SecBuffer ib[2], ob;
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, ib}, outd;
    ULONG attrs;
    SECURITY_STATUS st;
    CHECK_STATUS(acquire("CORP\\alice", NULL, "Passw0rd!", SECPKG_CRED_OUTBOUND, &client), SEC_E_OK);
    CHECK_STATUS(acquire("alice", "CORP", "Passw0rd!", SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    isc(&client, NULL, &c, 0, NULL, &a, &attrs);
    ib[0] = (SecBuffer){a.len, SECBUFFER_TOKEN, a.data};
    ib[1] = (SecBuffer){sb->BindingsLength, SECBUFFER_CHANNEL_BINDINGS, sb->Bindings};
    desc1(&outd, &ob, SECBUFFER_TOKEN, b.data, TOKEN_MAX);
    T->AcceptSecurityContext(&server, NULL, &ind, 0, 0, &s, &outd, &attrs, NULL);
    b.len = ob.cbBuffer;
    ib[0] = (SecBuffer){b.len, SECBUFFER_TOKEN, b.data};
    ib[1] = (SecBuffer){cb->BindingsLength, SECBUFFER_CHANNEL_BINDINGS, cb->Bindings};
    desc1(&outd, &ob, SECBUFFER_TOKEN, a.data, TOKEN_MAX);
    CHECK_STATUS(T->InitializeSecurityContextW(&client, &c, NULL, 0, 0, 0, &ind, 0, &c, &outd, &attrs, NULL),
                 SEC_E_OK);
    a.len = ob.cbBuffer;
    ib[0] = (SecBuffer){a.len, SECBUFFER_TOKEN, a.data};
    ib[1] = (SecBuffer){sb->BindingsLength, SECBUFFER_CHANNEL_BINDINGS, sb->Bindings};
    desc1(&outd, &ob, SECBUFFER_TOKEN, b.data, TOKEN_MAX);
    st = T->AcceptSecurityContext(&server, &s, &ind, 0, 0, &s, &outd, &attrs, NULL);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&client);
    T->FreeCredentialsHandle(&server);
    return st;
}

static void endpoint_bindings_then_ntlm(void) {
    struct side c, s;
    SecPkgContext_Bindings cb, sb;
    SEC_CHANNEL_BINDINGS *h;
    const char *saved = PACKAGE;
    CHECK_STATUS(pair_up(&c, &s, "localhost", 0), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_ENDPOINT_BINDINGS, &cb), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_ENDPOINT_BINDINGS, &sb), SEC_E_OK);
    h = cb.Bindings;
    CHECK(cb.BindingsLength == 32 + 21 + 32 && h->dwApplicationDataOffset == 32 &&
          h->cbApplicationDataLength == 53 && h->cbInitiatorLength == 0 && h->dwInitiatorAddrType == 0 &&
          memcmp((unsigned char *)h + 32, "tls-server-end-point:", 21) == 0);
    CHECK(sb.BindingsLength == cb.BindingsLength && memcmp(sb.Bindings, cb.Bindings, cb.BindingsLength) == 0);
    PACKAGE = "NTLM";
    CHECK_STATUS(ntlm_with(&cb, &sb), SEC_E_OK);
    ((unsigned char *)sb.Bindings)[sb.BindingsLength - 1] ^= 1;
    CHECK_STATUS(ntlm_with(&cb, &sb), SEC_E_BAD_BINDINGS);
    PACKAGE = saved;
    T->FreeContextBuffer(cb.Bindings);
    T->FreeContextBuffer(sb.Bindings);
    side_free(&c);
    side_free(&s);
}

static void pkcs12_server(void) {
    struct side c, s;
    PCCERT_CONTEXT p12 = NULL;
    CHECK_STATUS(OpenSspiCertificateFromPkcs12FileA(DATA "server.p12", "opensspi", &p12), SEC_E_OK);
    side_init(&c, "localhost");
    side_init(&s, NULL);
    CHECK_STATUS(tls_cred(SECPKG_CRED_OUTBOUND, NULL, 0, 0, &c.cred), SEC_E_OK);
    CHECK_STATUS(tls_cred(SECPKG_CRED_INBOUND, p12, 0, 0, &s.cred), SEC_E_OK);
    CertFreeCertificateContext(p12);
    CHECK_STATUS(connect_pair(&c, &s), SEC_E_OK);
    side_free(&c);
    side_free(&s);
}

/* tls-unique for TLS 1.2 (the same on both sides), none under TLS 1.3;
 * SESSION_INFO without resumption. */
static void unique_bindings_and_session_info(void) {
    struct side c, s;
    SecPkgContext_Bindings cb, sb;
    SecPkgContext_SessionInfo si;
    CHECK_STATUS(pair_up(&c, &s, "localhost", SP_PROT_TLS1_3), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &cb), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &sb), SEC_E_OK);
    CHECK(cb.BindingsLength == 32 + 11 + 12 && cb.Bindings->dwApplicationDataOffset == 32 &&
          memcmp((unsigned char *)cb.Bindings + 32, "tls-unique:", 11) == 0);
    CHECK(sb.BindingsLength == cb.BindingsLength && memcmp(sb.Bindings, cb.Bindings, cb.BindingsLength) == 0);
    T->FreeContextBuffer(cb.Bindings);
    T->FreeContextBuffer(sb.Bindings);
    memset(&si, 0xff, sizeof si);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_SESSION_INFO, &si), SEC_E_OK);
    CHECK(si.dwFlags == 0 && si.cbSessionId == 0);
    side_free(&c);
    side_free(&s);
    CHECK_STATUS(pair_up(&c, &s, "localhost", 0), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &cb), SEC_E_UNSUPPORTED_FUNCTION);
    side_free(&c);
    side_free(&s);
}

static void deleted_contexts(void) {
    struct side c, s;
    SecPkgContext_StreamSizes sz;
    CHECK_STATUS(pair_up(&c, &s, "localhost", 0), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&c.ctx), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&c.ctx), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_INVALID_HANDLE);
    c.has_ctx = 0;
    side_free(&c);
    side_free(&s);
}

int main(void) {
    tables();
    if (OpenSspiCertificateFromFilesA(DATA "server.pem", DATA "server.key", &server_cert) != SEC_E_OK) {
        fprintf(stderr, "cannot load %s\n", DATA "server.pem");
        return 1;
    }
    RUN(package_infos);
    RUN(credentials);
    RUN(tls13);
    RUN(tls12);
    RUN(split_and_tampered_records);
    RUN(handshake_in_pieces);
    RUN(first_flight_incomplete);
    RUN(shutdown_both_ways);
    RUN(certificate_errors);
    RUN(mutual_tls);
    RUN(alpn);
    RUN(endpoint_bindings_then_ntlm);
    RUN(pkcs12_server);
    RUN(unique_bindings_and_session_info);
    RUN(deleted_contexts);
    CertFreeCertificateContext(server_cert);
    return check_summary();
}

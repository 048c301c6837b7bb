/* Helpers for the NTLM and Negotiate tests: credentials from an explicit
 * identity, a client/server handshake in one process, and one protected
 * message, all through the W function table (or the A table where a test
 * says so). */
#ifndef OPENSSPI_PAIR_H
#define OPENSSPI_PAIR_H

#include <sspi.h>
#include "check.h"

#define TOKEN_MAX 2888

static PSecurityFunctionTableW T;
static PSecurityFunctionTableA TA;
/* The package `acquire` asks for. */
static const char *PACKAGE = "NTLM";

static inline void tables(void) {
    T = InitSecurityInterfaceW();
    TA = InitSecurityInterfaceA();
}

/* Credentials for PACKAGE with a UTF-16 identity; NULL user means NULL
 * auth data (the default credentials). */
static inline SECURITY_STATUS acquire(const char *user, const char *domain, const char *password,
                               ULONG use, CredHandle *h) {
    SEC_WINNT_AUTH_IDENTITY_W id;
    memset(&id, 0, sizeof id);
    if (user) {
        static SEC_WCHAR u[128], d[128], p[128];
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
    return T->AcquireCredentialsHandleW(NULL, wstr(PACKAGE), use, NULL, user ? &id : NULL, NULL,
                                        NULL, h, NULL);
}

/* One token in flight between the two sides. */
struct wire {
    unsigned char data[TOKEN_MAX + 64];
    ULONG len;
};

static inline void desc1(SecBufferDesc *d, SecBuffer *b, ULONG type, void *p, ULONG len) {
    b->BufferType = type;
    b->pvBuffer = p;
    b->cbBuffer = len;
    d->ulVersion = SECBUFFER_VERSION;
    d->cBuffers = 1;
    d->pBuffers = b;
}

/* An ISC step: `in` (may be NULL) to `out`. `ctx` is NULL on the first call. */
static inline SECURITY_STATUS isc(CredHandle *cred, CtxtHandle *ctx, CtxtHandle *new_ctx, ULONG req,
                           const struct wire *in, struct wire *out, ULONG *attrs) {
    SecBufferDesc ind, outd;
    SecBuffer inb, outb;
    TimeStamp expiry;
    SECURITY_STATUS s;
    desc1(&ind, &inb, SECBUFFER_TOKEN, in ? (void *)in->data : NULL, in ? in->len : 0);
    desc1(&outd, &outb, SECBUFFER_TOKEN, out->data, TOKEN_MAX);
    s = T->InitializeSecurityContextW(cred, ctx, wstr("HTTP/server.example"), req, 0,
                                      SECURITY_NATIVE_DREP, in ? &ind : NULL, 0, new_ctx, &outd,
                                      attrs, &expiry);
    out->len = outb.cbBuffer;
    return s;
}

/* An ASC step. */
static inline SECURITY_STATUS asc(CredHandle *cred, CtxtHandle *ctx, CtxtHandle *new_ctx, ULONG req,
                           const struct wire *in, struct wire *out, ULONG *attrs) {
    SecBufferDesc ind, outd;
    SecBuffer inb, outb;
    TimeStamp expiry;
    SECURITY_STATUS s;
    desc1(&ind, &inb, SECBUFFER_TOKEN, (void *)in->data, in->len);
    desc1(&outd, &outb, SECBUFFER_TOKEN, out->data, TOKEN_MAX);
    s = T->AcceptSecurityContext(cred, ctx, &ind, req, SECURITY_NATIVE_DREP, new_ctx, &outd, attrs,
                                 &expiry);
    out->len = outb.cbBuffer;
    return s;
}

/* Statuses of a whole handshake. */
struct outcome {
    SECURITY_STATUS isc1, asc1, isc2, asc2, isc3;
    ULONG client_attrs, server_attrs;
};

/* Runs the two round trips (NTLM: NEGOTIATE, CHALLENGE, AUTHENTICATE;
 * Negotiate: the same inside SPNEGO), then hands the acceptor's last token,
 * if any, to the client (Negotiate's accept-completed, which a client that
 * sent its mechListMIC waits for); stops at the first failure. Both
 * contexts exist afterwards when the first calls succeeded. */
static inline struct outcome handshake(CredHandle *client, CredHandle *server, ULONG isc_req, ULONG asc_req,
                                CtxtHandle *cctx, CtxtHandle *sctx) {
    struct outcome o = {-1, -1, -1, -1, -1, 0, 0};
    struct wire a, b;
    o.isc1 = isc(client, NULL, cctx, isc_req, NULL, &a, &o.client_attrs);
    if (o.isc1 != SEC_I_CONTINUE_NEEDED) return o;
    o.asc1 = asc(server, NULL, sctx, asc_req, &a, &b, &o.server_attrs);
    if (o.asc1 != SEC_I_CONTINUE_NEEDED) return o;
    o.isc2 = isc(client, cctx, cctx, isc_req, &b, &a, &o.client_attrs);
    if (o.isc2 != SEC_E_OK && o.isc2 != SEC_I_CONTINUE_NEEDED) return o;
    o.asc2 = asc(server, sctx, sctx, asc_req, &a, &b, &o.server_attrs);
    if (o.asc2 == SEC_E_OK && b.len > 0) o.isc3 = isc(client, cctx, cctx, isc_req, &b, &a, &o.client_attrs);
    return o;
}

#define ALL_PROTECTION \
    (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define ALL_PROTECTION_ASC \
    (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION)

/* Signs or seals `data` at `from`; verifies or unseals at `to`. */
struct msg {
    unsigned char sig[16];
    unsigned char data[64];
    ULONG len;
};

static inline SECURITY_STATUS sign(CtxtHandle *h, struct msg *m, int seal) {
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, m->sig}, {m->len, SECBUFFER_DATA, m->data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    return seal ? T->EncryptMessage(h, 0, &d, 0) : T->MakeSignature(h, 0, &d, 0);
}

static inline SECURITY_STATUS check(CtxtHandle *h, struct msg *m, int seal, ULONG *qop) {
    SecBuffer b[2] = {{m->len, SECBUFFER_DATA, m->data}, {16, SECBUFFER_TOKEN, m->sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    /* MessageSeqNo is ignored by connection-oriented NTLM. */
    return seal ? T->DecryptMessage(h, &d, 12345, qop) : T->VerifySignature(h, &d, 999, qop);
}

static inline struct msg text(const char *s) {
    struct msg m;
    memset(&m, 0, sizeof m);
    m.len = (ULONG)strlen(s);
    memcpy(m.data, s, m.len);
    return m;
}

#endif

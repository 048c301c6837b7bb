/* A TLS stream over a socket through Schannel, in the flow of Microsoft's
 * Schannel samples ("Creating a Secure Connection Using Schannel",
 * WebClient.c): the handshake loop with [TOKEN, EMPTY] input buffers and
 * SECBUFFER_EXTRA / SEC_E_INCOMPLETE_MESSAGE, EncryptMessage with
 * [STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY], DecryptMessage with
 * [DATA, EMPTY, EMPTY, EMPTY], SEC_I_RENEGOTIATE handed back to the
 * handshake call, and ApplyControlToken(SCHANNEL_SHUTDOWN).
 *
 * Shared by the examples https_client.c and tls_server.c. */
#ifndef EXAMPLE_TLS_STREAM_H
#define EXAMPLE_TLS_STREAM_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sspi.h>

#define IO_BUFFER_SIZE (16384 + 2048 + 64)

static PSecurityFunctionTableA T;

struct tls {
    CredHandle *cred;
    CtxtHandle ctx;
    int have_ctx, server, fd;
    ULONG req;
    const char *target;
    /* Received bytes not yet used (SECBUFFER_EXTRA is kept here). */
    unsigned char in[IO_BUFFER_SIZE];
    ULONG in_len;
    /* How many bytes one recv() asks for (to exercise split records). */
    size_t read_size;
    SecPkgContext_StreamSizes sizes;
    /* A SEC_APPLICATION_PROTOCOLS buffer for the first call, or NULL. */
    unsigned char *alpn;
    ULONG alpn_len;
};

static int tls_fail(const char *what, SECURITY_STATUS s) {
    fprintf(stderr, "%s failed: 0x%08x\n", what, (unsigned)s);
    return -1;
}

static int send_all(int fd, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Appends what the socket has to t->in; 0 at end of stream. */
static long read_more(struct tls *t) {
    size_t room = sizeof t->in - t->in_len;
    ssize_t k;
    if (t->read_size && room > t->read_size) room = t->read_size;
    if (room == 0) return -1;
    k = recv(t->fd, t->in + t->in_len, room, 0);
    if (k > 0) t->in_len += (ULONG)k;
    return (long)k;
}

/* Keeps the unused tail the call reported as SECBUFFER_EXTRA. */
static void keep_extra(struct tls *t, const SecBuffer *b) {
    if (b->BufferType == SECBUFFER_EXTRA && b->cbBuffer > 0) {
        memmove(t->in, t->in + (t->in_len - b->cbBuffer), b->cbBuffer);
        t->in_len = b->cbBuffer;
    } else {
        t->in_len = 0;
    }
}

/* One InitializeSecurityContext or AcceptSecurityContext call on what has
 * been received; the token for the peer is sent. */
static SECURITY_STATUS handshake_call(struct tls *t, int with_input) {
    SecBuffer ib[3], ob[1];
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, ib}, outd = {SECBUFFER_VERSION, 1, ob};
    ULONG attrs;
    SECURITY_STATUS s;
    ib[0] = (SecBuffer){t->in_len, SECBUFFER_TOKEN, t->in};
    ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    if (!t->have_ctx && t->alpn) {
        ib[2] = (SecBuffer){t->alpn_len, SECBUFFER_APPLICATION_PROTOCOLS, t->alpn};
        ind.cBuffers = 3;
    }
    ob[0] = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    if (t->server)
        s = T->AcceptSecurityContext(t->cred, t->have_ctx ? &t->ctx : NULL, &ind,
                                     t->req | ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM, 0, &t->ctx, &outd,
                                     &attrs, NULL);
    else
        s = T->InitializeSecurityContextA(t->cred, t->have_ctx ? &t->ctx : NULL, (SEC_CHAR *)t->target,
                                          t->req | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM, 0, 0,
                                          with_input || t->alpn ? &ind : NULL, 0, &t->ctx, &outd, &attrs,
                                          NULL);
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED || s == SEC_I_INCOMPLETE_CREDENTIALS) t->have_ctx = 1;
    if (ob[0].pvBuffer && ob[0].cbBuffer > 0) {
        /* On failure this is the alert for the peer. */
        if (send_all(t->fd, ob[0].pvBuffer, ob[0].cbBuffer)) s = SEC_E_INTERNAL_ERROR;
    }
    if (ob[0].pvBuffer) T->FreeContextBuffer(ob[0].pvBuffer);
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) keep_extra(t, &ib[1]);
    return s;
}

/* The whole handshake: 0, or -1 after printing why. */
static int tls_handshake(struct tls *t) {
    SECURITY_STATUS s = SEC_E_OK;
    if (!t->server) {
        s = handshake_call(t, 0);
        if (s != SEC_I_CONTINUE_NEEDED) return tls_fail("InitializeSecurityContext", s);
    }
    for (;;) {
        if (t->in_len == 0 || s == SEC_E_INCOMPLETE_MESSAGE) {
            if (read_more(t) <= 0) return tls_fail("recv during the handshake", 0);
        }
        s = handshake_call(t, 1);
        if (s == SEC_I_INCOMPLETE_CREDENTIALS) {
            /* The server asked for a certificate this client has not got:
             * go on without one, with the same input. */
            t->req |= ISC_REQ_USE_SUPPLIED_CREDS;
            s = handshake_call(t, 1);
        }
        if (s == SEC_E_OK) break;
        if (s != SEC_I_CONTINUE_NEEDED && s != SEC_E_INCOMPLETE_MESSAGE)
            return tls_fail(t->server ? "AcceptSecurityContext" : "InitializeSecurityContext", s);
    }
    s = T->QueryContextAttributesA(&t->ctx, SECPKG_ATTR_STREAM_SIZES, &t->sizes);
    return s == SEC_E_OK ? 0 : tls_fail("QueryContextAttributes(STREAM_SIZES)", s);
}

/* Sends `n` bytes, one record per cbMaximumMessage. */
static int tls_send(struct tls *t, const void *data, size_t n) {
    const unsigned char *p = data;
    unsigned char *io = malloc(t->sizes.cbHeader + t->sizes.cbMaximumMessage + t->sizes.cbTrailer);
    int rc = 0;
    while (n > 0 && rc == 0) {
        ULONG chunk = n > t->sizes.cbMaximumMessage ? t->sizes.cbMaximumMessage : (ULONG)n;
        SecBuffer b[4];
        SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
        SECURITY_STATUS s;
        memcpy(io + t->sizes.cbHeader, p, chunk);
        b[0] = (SecBuffer){t->sizes.cbHeader, SECBUFFER_STREAM_HEADER, io};
        b[1] = (SecBuffer){chunk, SECBUFFER_DATA, io + t->sizes.cbHeader};
        b[2] = (SecBuffer){t->sizes.cbTrailer, SECBUFFER_STREAM_TRAILER, io + t->sizes.cbHeader + chunk};
        b[3] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        s = T->EncryptMessage(&t->ctx, 0, &d, 0);
        if (s != SEC_E_OK) {
            rc = tls_fail("EncryptMessage", s);
            break;
        }
        if (send_all(t->fd, io, b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer)) rc = -1;
        p += chunk;
        n -= chunk;
    }
    free(io);
    return rc;
}

/* Receives some plaintext into `out`: its length, 0 when the peer closed
 * (close_notify, or the socket ended), -1 on failure. */
static long tls_recv(struct tls *t, unsigned char *out, size_t cap) {
    for (;;) {
        SecBuffer b[4];
        SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
        SECURITY_STATUS s;
        int i;
        if (t->in_len == 0) {
            long k = read_more(t);
            if (k <= 0) return k == 0 ? 0 : -1;
        }
        b[0] = (SecBuffer){t->in_len, SECBUFFER_DATA, t->in};
        for (i = 1; i < 4; i++) b[i] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        s = T->DecryptMessage(&t->ctx, &d, 0, NULL);
        if (s == SEC_E_INCOMPLETE_MESSAGE) {
            long k = read_more(t);
            if (k <= 0) return tls_fail("recv (a record was cut short)", s);
            continue;
        }
        if (s != SEC_E_OK && s != SEC_I_CONTEXT_EXPIRED && s != SEC_I_RENEGOTIATE)
            return tls_fail("DecryptMessage", s);
        {
            SecBuffer *data = NULL, *extra = NULL;
            size_t n = 0;
            for (i = 0; i < 4; i++) {
                if (b[i].BufferType == SECBUFFER_DATA) data = &b[i];
                if (b[i].BufferType == SECBUFFER_EXTRA) extra = &b[i];
            }
            if (data && data->cbBuffer > cap) return tls_fail("DecryptMessage (a record over the buffer)", s);
            if (data && data->cbBuffer > 0) {
                n = data->cbBuffer;
                memcpy(out, data->pvBuffer, n);
            }
            if (extra) keep_extra(t, extra);
            else t->in_len = 0;
            if (s == SEC_I_CONTEXT_EXPIRED) return 0;
            if (s == SEC_I_RENEGOTIATE) {
                /* A post-handshake message (a TLS 1.3 ticket or key
                 * update): the rest goes back through the handshake call. */
                SECURITY_STATUS r = handshake_call(t, 1);
                if (r != SEC_E_OK) return tls_fail("the handshake call after SEC_I_RENEGOTIATE", r);
            }
            if (n > 0) return (long)n;
        }
    }
}

/* Sends a close_notify: ApplyControlToken(SCHANNEL_SHUTDOWN), then one
 * handshake call produces it. */
static int tls_shutdown(struct tls *t) {
    ULONG kind = SCHANNEL_SHUTDOWN;
    SecBuffer b = {sizeof kind, SECBUFFER_TOKEN, &kind};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
    SECURITY_STATUS s = T->ApplyControlToken(&t->ctx, &d);
    if (s != SEC_E_OK) return tls_fail("ApplyControlToken", s);
    t->in_len = 0;
    s = handshake_call(t, 0);
    return s == SEC_E_OK || s == SEC_I_CONTEXT_EXPIRED ? 0 : tls_fail("the close_notify", s);
}

/* SEC_APPLICATION_PROTOCOLS for a comma-separated ALPN list. */
static unsigned char *alpn_buffer(const char *list, ULONG *len) {
    size_t n = strlen(list), i = 0, at = 10;
    unsigned char *b = calloc(1, 10 + n + 1);
    while (i <= n) {
        size_t j = i;
        while (j < n && list[j] != ',') j++;
        b[at++] = (unsigned char)(j - i);
        memcpy(b + at, list + i, j - i);
        at += j - i;
        i = j + 1;
    }
    {
        ULONG lists = (ULONG)(at - 4), ext = 2;
        uint16_t ids = (uint16_t)(at - 10);
        memcpy(b, &lists, 4);
        memcpy(b + 4, &ext, 4);
        memcpy(b + 8, &ids, 2);
    }
    *len = (ULONG)at;
    return b;
}

/* Prints the protocol, cipher suite and ALPN protocol to stderr. */
static void print_connection(struct tls *t, const char *who) {
    SecPkgContext_ConnectionInfo ci;
    SecPkgContext_CipherInfo cipher;
    SecPkgContext_ApplicationProtocol ap;
    char suite[64];
    int i;
    memset(&cipher, 0, sizeof cipher);
    cipher.dwVersion = SECPKGCONTEXT_CIPHERINFO_V1;
    if (T->QueryContextAttributesA(&t->ctx, SECPKG_ATTR_CONNECTION_INFO, &ci) != SEC_E_OK ||
        T->QueryContextAttributesA(&t->ctx, SECPKG_ATTR_CIPHER_INFO, &cipher) != SEC_E_OK ||
        T->QueryContextAttributesA(&t->ctx, SECPKG_ATTR_APPLICATION_PROTOCOL, &ap) != SEC_E_OK)
        return;
    for (i = 0; i < 63 && cipher.szCipherSuite[i]; i++) suite[i] = (char)cipher.szCipherSuite[i];
    suite[i] = 0;
    {
        /* tls-unique (TLS 1.2): the channel binding a program would pass
         * to an authentication package running over this channel. */
        SecPkgContext_Bindings ub;
        if (T->QueryContextAttributesA(&t->ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &ub) == SEC_E_OK) {
            const unsigned char *v = (const unsigned char *)ub.Bindings + 32 + 11;
            ULONG k;
            fprintf(stderr, "%s: tls-unique=", who);
            for (k = 0; k < ub.BindingsLength - 32 - 11; k++) fprintf(stderr, "%02x", v[k]);
            fprintf(stderr, "\n");
            T->FreeContextBuffer(ub.Bindings);
        }
    }
    fprintf(stderr, "%s: protocol=%s suite=%s alpn=%.*s\n", who,
            ci.dwProtocol & SP_PROT_TLS1_3 ? "TLSv1.3" : "TLSv1.2", suite,
            ap.ProtoNegoStatus == SecApplicationProtocolNegotiationStatus_Success ? ap.ProtocolIdSize : 4,
            ap.ProtoNegoStatus == SecApplicationProtocolNegotiationStatus_Success ? (char *)ap.ProtocolId
                                                                                    : "none");
}

/* A SCH_CREDENTIALS credential: TLS 1.2 only with `tls12_only`, the
 * certificate `cert` (may be NULL), manual validation with `manual`. */
static SECURITY_STATUS tls_credentials(ULONG use, PCCERT_CONTEXT cert, int tls12_only, int manual,
                                       CredHandle *h) {
    TLS_PARAMETERS params;
    SCH_CREDENTIALS sc;
    PCCERT_CONTEXT certs[1] = {cert};
    memset(&params, 0, sizeof params);
    memset(&sc, 0, sizeof sc);
    if (tls12_only) params.grbitDisabledProtocols = SP_PROT_TLS1_3;
    sc.dwVersion = SCH_CREDENTIALS_VERSION;
    sc.cCreds = cert ? 1 : 0;
    sc.paCred = cert ? certs : NULL;
    sc.dwFlags = SCH_USE_STRONG_CRYPTO | (manual ? SCH_CRED_MANUAL_CRED_VALIDATION : SCH_CRED_AUTO_CRED_VALIDATION);
    sc.cTlsParameters = 1;
    sc.pTlsParameters = &params;
    return T->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, use, NULL, &sc, NULL, NULL, h, NULL);
}

#endif

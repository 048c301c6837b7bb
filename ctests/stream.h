/* Stream helpers for the TLS-channel tests (Schannel, CredSSP): bytes in
 * flight one way, and one record sealed into / opened from them with
 * Schannel's stream buffers. Include after pair.h. */
#ifndef OPENSSPI_STREAM_H
#define OPENSSPI_STREAM_H

#include <stdlib.h>

#define IO_MAX 65536

/* Bytes in flight one way, as a socket would deliver them. */
struct pipe {
    unsigned char data[IO_MAX];
    ULONG len;
};

static inline void pipe_put(struct pipe *p, const void *data, ULONG len) {
    CHECK(p->len + len <= IO_MAX);
    if (p->len + len > IO_MAX) return;
    memcpy(p->data + p->len, data, len);
    p->len += len;
}

static inline void pipe_take(struct pipe *p, ULONG n) {
    memmove(p->data, p->data + n, p->len - n);
    p->len -= n;
}

/* EncryptMessage of `len` bytes into `out` (header, data, trailer). */
static inline SECURITY_STATUS seal_into(CtxtHandle *h, const void *data, ULONG len, struct pipe *out) {
    SecPkgContext_StreamSizes sz;
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    unsigned char *io;
    SECURITY_STATUS st;
    CHECK_STATUS(T->QueryContextAttributesW(h, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_OK);
    io = malloc(sz.cbHeader + len + sz.cbTrailer);
    memcpy(io + sz.cbHeader, data, len);
    b[0] = (SecBuffer){sz.cbHeader, SECBUFFER_STREAM_HEADER, io};
    b[1] = (SecBuffer){len, SECBUFFER_DATA, io + sz.cbHeader};
    b[2] = (SecBuffer){sz.cbTrailer, SECBUFFER_STREAM_TRAILER, io + sz.cbHeader + len};
    b[3] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    st = T->EncryptMessage(h, 0, &d, 0);
    if (st == SEC_E_OK) {
        CHECK(b[1].cbBuffer == len);
        pipe_put(out, io, b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);
    }
    free(io);
    return st;
}

/* DecryptMessage of the first record in `in`: the plaintext goes to
 * `plain` (its length in *plain_len), the record leaves `in`. */
static inline SECURITY_STATUS open_from(CtxtHandle *h, struct pipe *in, void *plain, ULONG *plain_len) {
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    SECURITY_STATUS st;
    int i;
    b[0] = (SecBuffer){in->len, SECBUFFER_DATA, in->data};
    for (i = 1; i < 4; i++) b[i] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    st = T->DecryptMessage(h, &d, 0, NULL);
    *plain_len = 0;
    if (st != SEC_E_OK && st != SEC_I_CONTEXT_EXPIRED && st != SEC_I_RENEGOTIATE) return st;
    CHECK(b[0].BufferType == SECBUFFER_STREAM_HEADER && b[1].BufferType == SECBUFFER_DATA &&
          b[2].BufferType == SECBUFFER_STREAM_TRAILER);
    memcpy(plain, b[1].pvBuffer, b[1].cbBuffer);
    *plain_len = b[1].cbBuffer;
    if (b[3].BufferType == SECBUFFER_EXTRA)
        pipe_take(in, in->len - b[3].cbBuffer);
    else
        in->len = 0;
    return st;
}

#endif

/* Schannel's speed beside OpenSSL's, in one process on one core: full TLS
 * 1.3 handshakes per second (client and server both in this process, the
 * ECDSA P-256 certificate of tests/data/tls, X25519, each side's default
 * suite: TLS_AES_256_GCM_SHA384), and EncryptMessage + DecryptMessage
 * throughput of 1 KiB and 16 KiB records beside OpenSSL's SSL_write and
 * SSL_read over memory BIOs. The throughput ceiling is AES-256-GCM itself
 * (`openssl speed`, passed in bytes/s): one seal and one open per byte.
 *
 *   tls_bench DATA_DIR AES256GCM_1K AES256GCM_16K [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench_common.h"

static PSecurityFunctionTableW T;
static double seconds = 1.0;

/* ---- opensspi ---- */

struct side {
    CredHandle cred;
    CtxtHandle ctx;
    int have, done;
};

/* Bytes one side sent that the other has not read. */
struct wire {
    unsigned char data[65536];
    ULONG len;
};

static SECURITY_STATUS step(struct side *s, int server, struct wire *in, struct wire *out) {
    SecBuffer ib[2], ob[1];
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, ib}, outd = {SECBUFFER_VERSION, 1, ob};
    ULONG attrs;
    SECURITY_STATUS st;
    ib[0] = (SecBuffer){in->len, SECBUFFER_TOKEN, in->data};
    ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    ob[0] = (SecBuffer){sizeof out->data - out->len, SECBUFFER_TOKEN, out->data + out->len};
    if (server)
        st = T->AcceptSecurityContext(&s->cred, s->have ? &s->ctx : NULL, &ind, ASC_REQ_STREAM, 0, &s->ctx,
                                      &outd, &attrs, NULL);
    else
        st = T->InitializeSecurityContextW(&s->cred, s->have ? &s->ctx : NULL, w("localhost"), ISC_REQ_STREAM,
                                           0, 0, s->have ? &ind : NULL, 0, &s->ctx, &outd, &attrs, NULL);
    if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) {
        s->have = 1;
        out->len += ob[0].cbBuffer;
        if (ib[1].BufferType == SECBUFFER_EXTRA) {
            memmove(in->data, in->data + in->len - ib[1].cbBuffer, ib[1].cbBuffer);
            in->len = ib[1].cbBuffer;
        } else {
            in->len = 0;
        }
    }
    if (st == SEC_E_OK) s->done = 1;
    return st;
}

/* One full handshake; 0 on success. */
static int sspi_handshake(struct side *c, struct side *s, struct wire *a, struct wire *b) {
    int rounds;
    c->have = c->done = s->have = s->done = 0;
    a->len = b->len = 0;
    if (step(c, 0, b, a) != SEC_I_CONTINUE_NEEDED) return -1;
    for (rounds = 0; rounds < 8 && !(c->done && s->done); rounds++) {
        if (a->len && !s->done && step(s, 1, a, b) < 0) return -1;
        if (b->len && !c->done && step(c, 0, b, a) < 0) return -1;
    }
    return c->done && s->done ? 0 : -1;
}

static SECURITY_STATUS seal(CtxtHandle *h, unsigned char *buf, ULONG len, SecPkgContext_StreamSizes *sz,
                            ULONG *out) {
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    SECURITY_STATUS st;
    b[0] = (SecBuffer){sz->cbHeader, SECBUFFER_STREAM_HEADER, buf};
    b[1] = (SecBuffer){len, SECBUFFER_DATA, buf + sz->cbHeader};
    b[2] = (SecBuffer){sz->cbTrailer, SECBUFFER_STREAM_TRAILER, buf + sz->cbHeader + len};
    b[3] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    st = T->EncryptMessage(h, 0, &d, 0);
    *out = b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer;
    return st;
}

static SECURITY_STATUS unseal(CtxtHandle *h, unsigned char *buf, ULONG len) {
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    b[0] = (SecBuffer){len, SECBUFFER_DATA, buf};
    b[1] = b[2] = b[3] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    return T->DecryptMessage(h, &d, 0, NULL);
}

/* ---- OpenSSL ---- */

static SSL_CTX *ossl_client_ctx, *ossl_server_ctx;

static int ossl_handshake(SSL **pc, SSL **ps) {
    SSL *c = SSL_new(ossl_client_ctx), *s = SSL_new(ossl_server_ctx);
    BIO *c2s = BIO_new(BIO_s_mem()), *s2c = BIO_new(BIO_s_mem());
    int rounds, cd = 0, sd = 0;
    BIO_up_ref(c2s);
    BIO_up_ref(s2c);
    SSL_set_bio(c, s2c, c2s);
    SSL_set_bio(s, c2s, s2c);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set_tlsext_host_name(c, "localhost");
    for (rounds = 0; rounds < 16 && !(cd && sd); rounds++) {
        if (!cd) cd = SSL_do_handshake(c) == 1;
        if (!sd) sd = SSL_do_handshake(s) == 1;
    }
    *pc = c;
    *ps = s;
    return cd && sd ? 0 : -1;
}

static double ossl_handshakes(void) {
    long n = 0;
    double start = now();
    while (now() - start < seconds) {
        SSL *c, *s;
        if (ossl_handshake(&c, &s)) {
            fprintf(stderr, "OpenSSL handshake failed\n");
            ERR_print_errors_fp(stderr);
            exit(1);
        }
        SSL_free(c);
        SSL_free(s);
        n++;
    }
    return n / (now() - start);
}

/* SSL_write on one side, the bytes through the memory BIOs, SSL_read on
 * the other: bytes per second of plaintext. */
static double ossl_throughput(int size) {
    SSL *c, *s;
    static unsigned char msg[16384], back[16384];
    long long bytes = 0;
    double start;
    if (ossl_handshake(&c, &s)) exit(1);
    /* Let the client read the server's tickets first. */
    SSL_read(c, back, 1);
    start = now();
    while (now() - start < seconds) {
        int i;
        for (i = 0; i < 64; i++) {
            if (SSL_write(c, msg, size) != size || SSL_read(s, back, size) != size) {
                fprintf(stderr, "OpenSSL record failed\n");
                exit(1);
            }
            bytes += size;
        }
    }
    SSL_free(c);
    SSL_free(s);
    return bytes / (now() - start);
}

static void ossl_setup(const char *dir) {
    char cert[1024], key[1024];
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    ossl_server_ctx = SSL_CTX_new(TLS_server_method());
    ossl_client_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ossl_server_ctx, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(ossl_client_ctx, TLS1_3_VERSION);
    /* No tickets, no resumption: every handshake is a full one, as ours. */
    SSL_CTX_set_num_tickets(ossl_server_ctx, 0);
    SSL_CTX_set_session_cache_mode(ossl_server_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_cache_mode(ossl_client_ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_use_certificate_file(ossl_server_ctx, cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ossl_server_ctx, key, SSL_FILETYPE_PEM) != 1) {
        fprintf(stderr, "OpenSSL cannot load %s\n", cert);
        exit(1);
    }
    snprintf(cert, sizeof cert, "%s/ca.pem", dir);
    SSL_CTX_load_verify_locations(ossl_client_ctx, cert, NULL);
    SSL_CTX_set_verify(ossl_client_ctx, SSL_VERIFY_PEER, NULL);
}

int main(int argc, char **argv) {
    static struct side c, s;
    static struct wire a, b;
    static unsigned char buf[16384 + 256];
    char cert[1024], key[1024];
    PCCERT_CONTEXT server_cert;
    SCH_CREDENTIALS sc;
    double ceiling_1k, ceiling_16k, start, hs_ours, hs_ossl;
    long n = 0;
    int sizes[2] = {1024, 16384}, i;
    if (argc < 4) {
        fprintf(stderr, "usage: %s DATA_DIR AES256GCM_1K AES256GCM_16K [SECONDS]\n", argv[0]);
        return 2;
    }
    ceiling_1k = atof(argv[2]) / 2;
    ceiling_16k = atof(argv[3]) / 2;
    if (argc > 4) seconds = atof(argv[4]);
    T = InitSecurityInterfaceW();
    snprintf(cert, sizeof cert, "%s/server.pem", argv[1]);
    snprintf(key, sizeof key, "%s/server.key", argv[1]);
    if (OpenSspiCertificateFromFilesA(cert, key, &server_cert) != SEC_E_OK) return 1;
    memset(&sc, 0, sizeof sc);
    sc.dwVersion = SCH_CREDENTIALS_VERSION;
    sc.cCreds = 1;
    sc.paCred = &server_cert;
    if (T->AcquireCredentialsHandleW(NULL, w("Schannel"), SECPKG_CRED_INBOUND, NULL, &sc, NULL, NULL, &s.cred,
                                     NULL) != SEC_E_OK)
        return 1;
    sc.cCreds = 0;
    sc.paCred = NULL;
    if (T->AcquireCredentialsHandleW(NULL, w("Schannel"), SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, &c.cred,
                                     NULL) != SEC_E_OK)
        return 1;
    ossl_setup(argv[1]);

    start = now();
    while (now() - start < seconds) {
        if (sspi_handshake(&c, &s, &a, &b)) {
            fprintf(stderr, "opensspi handshake failed\n");
            return 1;
        }
        T->DeleteSecurityContext(&c.ctx);
        T->DeleteSecurityContext(&s.ctx);
        n++;
    }
    hs_ours = n / (now() - start);
    hs_ossl = ossl_handshakes();
    printf("\nSchannel (TLS 1.3, X25519, ECDSA P-256, TLS_AES_256_GCM_SHA384), one core\n");
    printf("%-44s %12s %12s %8s %10s\n", "measure", "opensspi", "OpenSSL", "ratio", "ceiling");
    printf("%-44s %12.0f %12.0f %7.2fx %10s\n", "full handshakes/s (client + server)", hs_ours, hs_ossl,
           hs_ours / hs_ossl, "-");

    if (sspi_handshake(&c, &s, &a, &b)) return 1;
    for (i = 0; i < 2; i++) {
        SecPkgContext_StreamSizes sz;
        long long bytes = 0;
        double ours, theirs, ceiling = i ? ceiling_16k : ceiling_1k;
        ULONG len;
        char label[64];
        T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_STREAM_SIZES, &sz);
        start = now();
        while (now() - start < seconds) {
            int k;
            for (k = 0; k < 64; k++) {
                if (seal(&c.ctx, buf, (ULONG)sizes[i], &sz, &len) != SEC_E_OK || unseal(&s.ctx, buf, len) != SEC_E_OK) {
                    fprintf(stderr, "opensspi record failed\n");
                    return 1;
                }
                bytes += sizes[i];
            }
        }
        ours = bytes / (now() - start);
        theirs = ossl_throughput(sizes[i]);
        snprintf(label, sizeof label, "Encrypt+DecryptMessage %2d KiB, MB/s", sizes[i] / 1024);
        printf("%-44s %12.0f %12.0f %7.2fx %10.0f (%.2f of it)\n", label, ours / 1e6, theirs / 1e6, ours / theirs,
               ceiling / 1e6, ours / ceiling);
    }
    T->DeleteSecurityContext(&c.ctx);
    T->DeleteSecurityContext(&s.ctx);
    T->FreeCredentialsHandle(&c.cred);
    T->FreeCredentialsHandle(&s.cred);
    CertFreeCertificateContext(server_cert);
    return 0;
}

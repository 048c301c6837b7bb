/* An HTTPS client through Schannel, in the flow of Microsoft's Schannel
 * sample (WebClient.c): acquire Schannel credentials, connect, run the
 * handshake with InitializeSecurityContext, send an HTTP GET with
 * EncryptMessage, print the response as DecryptMessage yields it, then
 * close with ApplyControlToken(SCHANNEL_SHUTDOWN).
 *
 *   https_client [options] HOST PORT [PATH]
 *
 *   --tls12         TLS 1.2 only (SCH_CREDENTIALS' grbitDisabledProtocols)
 *   --alpn LIST     offer these ALPN ids (comma-separated)
 *   --cert F --key K  a client certificate (OpenSspiCertificateFromFilesA)
 *   --manual        SCH_CRED_MANUAL_CRED_VALIDATION (no certificate checks)
 *   --read-size N   read the socket N bytes at a time
 *
 * The server's certificate is checked against the system's trust store
 * (SSL_CERT_FILE / SSL_CERT_DIR) and HOST. The response goes to stdout;
 * the connection's protocol and suite, and failures, to stderr. */
#include <netdb.h>

#include "tls_stream.h"

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints, *res, *a;
    int fd = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res)) return -1;
    for (a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen)) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int main(int argc, char **argv) {
    static struct tls t;
    static unsigned char page[16384];
    const char *cert_file = NULL, *key_file = NULL, *alpn = NULL, *path = "/";
    const char *host, *port;
    int tls12 = 0, manual = 0, i, rc = 0;
    char request[1024];
    PCCERT_CONTEXT cert = NULL;
    CredHandle cred;
    SECURITY_STATUS s;
    long n;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (!strcmp(argv[i], "--tls12")) tls12 = 1;
        else if (!strcmp(argv[i], "--manual")) manual = 1;
        else if (!strcmp(argv[i], "--alpn") && i + 1 < argc) alpn = argv[++i];
        else if (!strcmp(argv[i], "--cert") && i + 1 < argc) cert_file = argv[++i];
        else if (!strcmp(argv[i], "--key") && i + 1 < argc) key_file = argv[++i];
        else if (!strcmp(argv[i], "--read-size") && i + 1 < argc) t.read_size = (size_t)atol(argv[++i]);
        else break;
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: %s [options] HOST PORT [PATH]\n", argv[0]);
        return 2;
    }
    host = argv[i];
    port = argv[i + 1];
    if (argc - i > 2) path = argv[i + 2];
    T = InitSecurityInterfaceA();

    if (cert_file) {
        s = OpenSspiCertificateFromFilesA(cert_file, key_file, &cert);
        if (s != SEC_E_OK) return tls_fail("OpenSspiCertificateFromFilesA", s), 1;
    }
    s = tls_credentials(SECPKG_CRED_OUTBOUND, cert, tls12, manual, &cred);
    if (cert) CertFreeCertificateContext(cert);
    if (s != SEC_E_OK) return tls_fail("AcquireCredentialsHandle", s), 1;

    t.fd = connect_to(host, port);
    if (t.fd < 0) return fprintf(stderr, "cannot connect to %s:%s\n", host, port), 1;
    t.cred = &cred;
    t.target = host;
    t.req = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
            ISC_REQ_EXTENDED_ERROR;
    if (alpn) t.alpn = alpn_buffer(alpn, &t.alpn_len);
    if (tls_handshake(&t)) {
        rc = 1;
        goto done;
    }
    print_connection(&t, "client");

    snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
    if (tls_send(&t, request, strlen(request))) {
        rc = 1;
        goto done;
    }
    while ((n = tls_recv(&t, page, sizeof page)) > 0) fwrite(page, 1, (size_t)n, stdout);
    if (n < 0) rc = 1;
    else fprintf(stderr, "client: the server closed the connection\n");
    if (tls_shutdown(&t)) rc = 1;
done:
    if (t.have_ctx) T->DeleteSecurityContext(&t.ctx);
    T->FreeCredentialsHandle(&cred);
    free(t.alpn);
    close(t.fd);
    return rc;
}

/* A TLS echo server through Schannel: AcceptSecurityContext's handshake on
 * one connection, then every record's plaintext is sent back, until the
 * client sends close_notify (answered with one) or --expect bytes came.
 *
 *   tls_server [options] PORT_FILE CERT KEY
 *
 *   --tls12        TLS 1.2 only      --mutual     ASC_REQ_MUTUAL_AUTH
 *   --alpn LIST    ALPN ids the server takes, preferred first
 *   --expect N     close after echoing N bytes
 *   --read-size N  read the socket N bytes at a time
 *
 * Listens on a free loopback port, written to PORT_FILE. */
#include "tls_stream.h"

int main(int argc, char **argv) {
    static struct tls t;
    static unsigned char data[16384];
    const char *alpn = NULL;
    int tls12 = 0, mutual = 0, i, listener, rc = 0;
    long long expect = -1, echoed = 0;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    PCCERT_CONTEXT cert = NULL, peer = NULL;
    CredHandle cred;
    SECURITY_STATUS s;
    FILE *f;
    long n;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (!strcmp(argv[i], "--tls12")) tls12 = 1;
        else if (!strcmp(argv[i], "--mutual")) mutual = 1;
        else if (!strcmp(argv[i], "--alpn") && i + 1 < argc) alpn = argv[++i];
        else if (!strcmp(argv[i], "--expect") && i + 1 < argc) expect = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--read-size") && i + 1 < argc) t.read_size = (size_t)atol(argv[++i]);
        else break;
    }
    if (argc - i != 3) {
        fprintf(stderr, "usage: %s [options] PORT_FILE CERT KEY\n", argv[0]);
        return 2;
    }
    T = InitSecurityInterfaceA();
    s = OpenSspiCertificateFromFilesA(argv[i + 1], argv[i + 2], &cert);
    if (s != SEC_E_OK) return tls_fail("OpenSspiCertificateFromFilesA", s), 1;
    s = tls_credentials(SECPKG_CRED_INBOUND, cert, tls12, 0, &cred);
    CertFreeCertificateContext(cert);
    if (s != SEC_E_OK) return tls_fail("AcquireCredentialsHandle", s), 1;

    listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) || listen(listener, 1) ||
        getsockname(listener, (struct sockaddr *)&a, &alen))
        return fprintf(stderr, "cannot listen\n"), 1;
    f = fopen(argv[i], "w");
    if (!f) return 1;
    fprintf(f, "%d\n", ntohs(a.sin_port));
    fclose(f);
    t.fd = accept(listener, NULL, NULL);
    close(listener);
    if (t.fd < 0) return 1;

    t.server = 1;
    t.cred = &cred;
    t.req = ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT | ASC_REQ_CONFIDENTIALITY |
            ASC_REQ_EXTENDED_ERROR | (mutual ? ASC_REQ_MUTUAL_AUTH : 0);
    if (alpn) t.alpn = alpn_buffer(alpn, &t.alpn_len);
    if (tls_handshake(&t)) {
        rc = 1;
        goto done;
    }
    print_connection(&t, "server");
    if (T->QueryContextAttributesA(&t.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &peer) == SEC_E_OK) {
        fprintf(stderr, "server: client certificate, %u bytes\n", (unsigned)peer->cbCertEncoded);
        CertFreeCertificateContext(peer);
    } else {
        fprintf(stderr, "server: no client certificate\n");
    }
    while ((expect < 0 || echoed < expect) && (n = tls_recv(&t, data, sizeof data)) > 0) {
        if (tls_send(&t, data, (size_t)n)) {
            rc = 1;
            break;
        }
        echoed += n;
    }
    if (expect < 0 || echoed < expect) fprintf(stderr, "server: the client closed the connection\n");
    fprintf(stderr, "server: echoed %lld bytes\n", echoed);
    if (tls_shutdown(&t)) rc = 1;
done:
    if (t.have_ctx) T->DeleteSecurityContext(&t.ctx);
    T->FreeCredentialsHandle(&cred);
    free(t.alpn);
    close(t.fd);
    return rc;
}

/* An SSPI server, in the flow of Microsoft's SSPI client/server sample:
 * accept one TCP connection on 127.0.0.1, authenticate the client with
 * AcceptSecurityContext, then exchange sealed messages.
 *
 *   sspi_server PORT_FILE [PACKAGE]
 *
 * Listens on a free port and writes its number to PORT_FILE. The accounts
 * it accepts are those of NTLM_USER_FILE (NULL auth data). PACKAGE is
 * Negotiate (the default, as on Windows) or NTLM. Every client token gets
 * one frame back, empty when AcceptSecurityContext has no token. */
#include <netinet/in.h>
#include <stdlib.h>
#include <sspi.h>
#include "wire.h"

static PSecurityFunctionTableA T;

static int fail(const char *what, SECURITY_STATUS s) {
    fprintf(stderr, "server: %s failed: 0x%08x\n", what, (unsigned)s);
    return 1;
}

static int listen_once(const char *port_file) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), c;
    FILE *f;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1) ||
        getsockname(s, (struct sockaddr *)&a, &len))
        return -1;
    f = fopen(port_file, "w");
    if (!f) return -1;
    fprintf(f, "%d\n", ntohs(a.sin_port));
    fclose(f);
    c = accept(s, NULL, NULL);
    close(s);
    return c;
}

int main(int argc, char **argv) {
    const char *package = argc > 2 ? argv[2] : "Negotiate";
    unsigned char in[MAX_MESSAGE], out[MAX_MESSAGE];
    CredHandle cred;
    CtxtHandle ctx;
    int have_ctx = 0, fd;
    SECURITY_STATUS s;
    ULONG attrs;
    SecPkgContext_NamesA names;
    SecPkgContext_Sizes sizes;
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT_FILE [PACKAGE]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    T = InitSecurityInterfaceA();
    s = T->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &cred, NULL);
    if (s != SEC_E_OK) return fail("AcquireCredentialsHandle", s);
    fd = listen_once(argv[1]);
    if (fd < 0) return fail("listen", 0);

    /* The handshake: each client token gets an AcceptSecurityContext call. */
    do {
        long n = recv_msg(fd, in);
        SecBuffer ib = {0, SECBUFFER_TOKEN, in}, ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        if (n < 0) return fail("receive", 0);
        ib.cbBuffer = (ULONG)n;
        s = T->AcceptSecurityContext(&cred, have_ctx ? &ctx : NULL, &id,
                                     ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_CONNECTION,
                                     SECURITY_NATIVE_DREP, &ctx, &od, &attrs, NULL);
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) {
            /* Negotiate's refusal carries a reject token for the client. */
            send_msg(fd, out, ob.cbBuffer);
            return fail("AcceptSecurityContext", s);
        }
        have_ctx = 1;
        printf("server: AcceptSecurityContext -> %s, %u-byte token\n",
               s == SEC_E_OK ? "SEC_E_OK" : "SEC_I_CONTINUE_NEEDED", (unsigned)ob.cbBuffer);
        if (send_msg(fd, out, ob.cbBuffer)) return fail("send", 0);
    } while (s == SEC_I_CONTINUE_NEEDED);

    if ((s = T->QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names)) != SEC_E_OK)
        return fail("QueryContextAttributes(NAMES)", s);
    printf("server: authenticated %s (flags 0x%08x)\n", names.sUserName, (unsigned)attrs);
    T->FreeContextBuffer(names.sUserName);
    if ((s = T->QueryContextAttributesA(&ctx, SECPKG_ATTR_SIZES, &sizes)) != SEC_E_OK)
        return fail("QueryContextAttributes(SIZES)", s);

    /* Seal a greeting for the client. */
    {
        char text[] = "Hello from the server";
        unsigned char trailer[64];
        SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer}, {sizeof text - 1, SECBUFFER_DATA, text}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        if ((s = T->EncryptMessage(&ctx, 0, &d, 0)) != SEC_E_OK) return fail("EncryptMessage", s);
        if (send_sealed(fd, &b[0], &b[1])) return fail("send", 0);
        printf("server: sent a sealed message of %u bytes\n", (unsigned)b[1].cbBuffer);
    }
    /* Unseal the client's reply. */
    {
        SecBuffer b[2];
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        if (recv_sealed(fd, in, b)) return fail("receive", 0);
        if ((s = T->DecryptMessage(&ctx, &d, 0, NULL)) != SEC_E_OK) return fail("DecryptMessage", s);
        printf("server: client says \"%.*s\"\n", (int)b[1].cbBuffer, (char *)b[1].pvBuffer);
    }
    T->DeleteSecurityContext(&ctx);
    T->FreeCredentialsHandle(&cred);
    close(fd);
    return 0;
}

/* An SSPI client, in the flow of Microsoft's SSPI client/server sample:
 * connect to 127.0.0.1:PORT, authenticate with InitializeSecurityContext,
 * then exchange sealed messages.
 *
 *   sspi_client PORT USER DOMAIN PASSWORD [PACKAGE]
 *
 * PACKAGE is Negotiate (the default, as on Windows) or NTLM. The server
 * answers every token with one frame, empty when it has nothing to say. */
#include <netinet/in.h>
#include <stdlib.h>
#include <sspi.h>
#include "wire.h"

static PSecurityFunctionTableA T;

static int fail(const char *what, SECURITY_STATUS s) {
    fprintf(stderr, "client: %s failed: 0x%08x\n", what, (unsigned)s);
    return 1;
}

static int connect_to(int port) {
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a)) return -1;
    return s;
}

int main(int argc, char **argv) {
    const char *package = argc > 5 ? argv[5] : "Negotiate";
    unsigned char in[MAX_MESSAGE], out[MAX_MESSAGE];
    SEC_WINNT_AUTH_IDENTITY_A id;
    CredHandle cred;
    CtxtHandle ctx;
    int have_ctx = 0, fd;
    long n = 0;
    SECURITY_STATUS s;
    ULONG attrs;
    const ULONG req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
                      ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION;
    if (argc < 5) {
        fprintf(stderr, "usage: %s PORT USER DOMAIN PASSWORD [PACKAGE]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    T = InitSecurityInterfaceA();
    memset(&id, 0, sizeof id);
    id.User = (unsigned char *)argv[2];
    id.UserLength = (ULONG)strlen(argv[2]);
    id.Domain = (unsigned char *)argv[3];
    id.DomainLength = (ULONG)strlen(argv[3]);
    id.Password = (unsigned char *)argv[4];
    id.PasswordLength = (ULONG)strlen(argv[4]);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    s = T->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred, NULL);
    if (s != SEC_E_OK) return fail("AcquireCredentialsHandle", s);
    fd = connect_to(atoi(argv[1]));
    if (fd < 0) return fail("connect", 0);

    /* The handshake: call InitializeSecurityContext, send its token, feed
     * back the server's answer, until SEC_E_OK with nothing left to send and
     * nothing coming back. With Negotiate, the call that sends the last
     * token already returns SEC_E_OK; the server's answer (its
     * accept-completed) then goes through one more call, which checks it. */
    for (;;) {
        SecBuffer ib = {(ULONG)n, SECBUFFER_TOKEN, in}, ob = {sizeof out, SECBUFFER_TOKEN, out};
        SecBufferDesc id_ = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        s = T->InitializeSecurityContextA(&cred, have_ctx ? &ctx : NULL, (SEC_CHAR *)"host/localhost", req, 0,
                                          SECURITY_NATIVE_DREP, have_ctx ? &id_ : NULL, 0, &ctx, &od, &attrs, NULL);
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) return fail("InitializeSecurityContext", s);
        have_ctx = 1;
        printf("client: InitializeSecurityContext -> %s, %u-byte token\n",
               s == SEC_E_OK ? "SEC_E_OK" : "SEC_I_CONTINUE_NEEDED", (unsigned)ob.cbBuffer);
        if (ob.cbBuffer == 0) {
            if (s == SEC_E_OK) break;
            return fail("InitializeSecurityContext (no token to send)", s);
        }
        if (send_msg(fd, out, ob.cbBuffer)) return fail("send", 0);
        n = recv_msg(fd, in);
        if (n < 0) return fail("receive", 0);
        if (n == 0) {
            if (s == SEC_E_OK) break;
            return fail("receive (the server refused us)", 0);
        }
    }
    printf("client: authenticated (flags 0x%08x)\n", (unsigned)attrs);

    /* Unseal the server's greeting, then seal a reply. */
    {
        SecBuffer b[2];
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        if (recv_sealed(fd, in, b)) return fail("receive", 0);
        if ((s = T->DecryptMessage(&ctx, &d, 0, NULL)) != SEC_E_OK) return fail("DecryptMessage", s);
        printf("client: server says \"%.*s\"\n", (int)b[1].cbBuffer, (char *)b[1].pvBuffer);
    }
    {
        char text[] = "Thanks, and hello from the client";
        unsigned char trailer[64];
        SecBuffer b[2] = {{sizeof trailer, SECBUFFER_TOKEN, trailer}, {sizeof text - 1, SECBUFFER_DATA, text}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        if ((s = T->EncryptMessage(&ctx, 0, &d, 0)) != SEC_E_OK) return fail("EncryptMessage", s);
        if (send_sealed(fd, &b[0], &b[1])) return fail("send", 0);
    }
    T->DeleteSecurityContext(&ctx);
    T->FreeCredentialsHandle(&cred);
    close(fd);
    return 0;
}

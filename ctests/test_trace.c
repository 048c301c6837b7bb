/* OPENSSPI_TRACE=stderr, set before the first call: a failed NTLM logon
 * through the W table writes its lines on stderr, named and explained, and
 * nothing at all on stdout. The two descriptors are redirected to files
 * here and read back. */
#include <fcntl.h>
#include <unistd.h>
#include "pair.h"

static char *slurp(const char *path) {
    static char buf[65536];
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = 0;
    return buf;
}

int main(void) {
    char out_path[] = "/tmp/opensspi-trace-out-XXXXXX", err_path[] = "/tmp/opensspi-trace-err-XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    int saved_out = dup(1), saved_err = dup(2);
    CredHandle client, server, bad;
    CtxtHandle c, s;
    struct outcome o;
    char *text;
    CHECK(out_fd >= 0 && err_fd >= 0 && saved_out >= 0 && saved_err >= 0);
    setenv("OPENSSPI_TRACE", "stderr:level=tokens", 1);
    fflush(stdout);
    dup2(out_fd, 1);
    dup2(err_fd, 2);

    tables();
    acquire("CORP\\alice", NULL, "Passw0rd!", SECPKG_CRED_OUTBOUND, &client);
    acquire("alice", "CORP", "Passw0rd!", SECPKG_CRED_INBOUND, &server);
    acquire("CORP\\alice", NULL, "not-the-password", SECPKG_CRED_OUTBOUND, &bad);
    o = handshake(&bad, &server, ISC_REQ_CONFIDENTIALITY, 0, &c, &s);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->DeleteSecurityContext(&s); /* a stale handle */
    T->FreeCredentialsHandle(&client);
    T->FreeCredentialsHandle(&server);
    T->FreeCredentialsHandle(&bad);

    fflush(stdout);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    CHECK_STATUS(o.asc2, SEC_E_LOGON_DENIED);
    CHECK(strlen(slurp(out_path)) == 0);
    text = slurp(err_path);
    CHECK(strstr(text, "NTLM AcquireCredentialsHandleW use=SECPKG_CRED_OUTBOUND identity=given -> cred=#") != NULL);
    CHECK(strstr(text, "NTLM received AUTHENTICATE (") != NULL);
    CHECK(strstr(text, " user=\"alice\"") != NULL);
    CHECK(strstr(text, "NTLM failure: AUTHENTICATE refused: NTProofStr mismatch (wrong password or wrong user) [CORP\\alice]") != NULL);
    CHECK(strstr(text, "NTLM AcceptSecurityContext req=0 ctx=#") != NULL);
    CHECK(strstr(text, "-> SEC_E_LOGON_DENIED") != NULL);
    CHECK(strstr(text, "DeleteSecurityContext ctx=invalid -> SEC_E_INVALID_HANDLE") != NULL ||
          strstr(text, "failure: the handle names no live credential or context") != NULL);
    CHECK(strstr(text, "not-the-password") == NULL && strstr(text, "Passw0rd!") == NULL);
    if (check_failures) fputs(text, stderr);
    unlink(out_path);
    unlink(err_path);
    return check_summary();
}

/* CredSSP through the function tables: a client and a server in one
 * process, driven the way Windows programs drive the CREDSSP package
 * (Microsoft's test suite's flags, [TOKEN, EMPTY] inputs, SECBUFFER_EXTRA,
 * ALLOCATE_MEMORY), NTLM inside (explicit identities), the throwaway
 * certificates of tests/data/tls; the delegated credentials read back
 * through SECPKG_ATTR_CREDS_2, and application data through the TLS
 * channel. */
#include <stdint.h>
#include <stdlib.h>
#include <wchar.h>

#include "pair.h"
#include "stream.h"

#define DATA OPENSSPI_TLS_DATA "/"
#define C_REQ 0x0000C11D /* DELEGATE|REPLAY|SEQUENCE|CONFIDENTIALITY|ALLOCATE_MEMORY|EXTENDED_ERROR|STREAM */
#define S_REQ 0x0001811D

static PCCERT_CONTEXT server_cert;

struct side {
    CredHandle cred;
    CtxtHandle ctx;
    int has_ctx, done;
    ULONG req, attrs;
    struct pipe in;
    /* With `chunk`, how many received bytes have "arrived" so far. */
    ULONG avail;
};

/* Bytes arriving per round at each side (0: everything at once). */
static ULONG chunk;

/* AcquireCredentialsHandleW("CREDSSP") with a CREDSSP_CRED of `type`
 * (or a CREDSSP_CRED_EX of `version` when ex): SCH_CREDENTIALS with
 * `cert` and `disabled` protocols, and an identity when `user`. */
static SECURITY_STATUS credssp_cred(ULONG use, PCCERT_CONTEXT cert, ULONG disabled, const char *user,
                                    const char *password, ULONG type, int ex, ULONG version,
                                    CredHandle *h) {
    TLS_PARAMETERS params;
    SCH_CREDENTIALS sc;
    SEC_WINNT_AUTH_IDENTITY_W id;
    CREDSSP_CRED cred;
    CREDSSP_CRED_EX cred_ex;
    PCCERT_CONTEXT certs[1] = {cert};
    memset(&params, 0, sizeof params);
    memset(&sc, 0, sizeof sc);
    params.grbitDisabledProtocols = disabled;
    sc.dwVersion = SCH_CREDENTIALS_VERSION;
    sc.cCreds = cert ? 1 : 0;
    sc.paCred = cert ? certs : NULL;
    sc.cTlsParameters = 1;
    sc.pTlsParameters = &params;
    memset(&id, 0, sizeof id);
    if (user) {
        id.User = (unsigned short *)wstr(user);
        id.UserLength = (ULONG)strlen(user);
        id.Domain = (unsigned short *)wstr("CORP");
        id.DomainLength = 4;
        id.Password = (unsigned short *)wstr(password);
        id.PasswordLength = (ULONG)strlen(password);
        id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    }
    cred.Type = type;
    cred.pSchannelCred = &sc;
    cred.pSpnegoCred = user ? &id : NULL;
    memset(&cred_ex, 0, sizeof cred_ex);
    cred_ex.Type = CredsspCredEx;
    cred_ex.Version = version;
    cred_ex.Cred = cred;
    return T->AcquireCredentialsHandleW(NULL, wstr("CREDSSP"), use, NULL, ex ? (void *)&cred_ex : (void *)&cred,
                                        NULL, NULL, h, NULL);
}

/* One call with what `s` has received (what has arrived, with `chunk`):
 * [TOKEN, EMPTY] in, one allocated TOKEN out to `peer`; EXTRA bytes stay
 * for the next call, and all of them after SEC_E_INCOMPLETE_MESSAGE. */
static SECURITY_STATUS turn(struct side *s, struct pipe *peer, int server) {
    SecBuffer ib[2], ob[1];
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, ib}, outd = {SECBUFFER_VERSION, 1, ob};
    SECURITY_STATUS st;
    ULONG give = chunk && s->avail < s->in.len ? s->avail : s->in.len, used = 0;
    ib[0] = (SecBuffer){give, SECBUFFER_TOKEN, s->in.data};
    ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    ob[0] = (SecBuffer){0, SECBUFFER_TOKEN, NULL};
    if (server)
        st = T->AcceptSecurityContext(&s->cred, s->has_ctx ? &s->ctx : NULL, &ind, s->req, 0, &s->ctx, &outd,
                                      &s->attrs, NULL);
    else
        st = T->InitializeSecurityContextW(&s->cred, s->has_ctx ? &s->ctx : NULL, wstr("TERMSRV/localhost"),
                                           s->req, 0, 0, s->has_ctx ? &ind : NULL, 0, &s->ctx, &outd,
                                           &s->attrs, NULL);
    if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) s->has_ctx = 1;
    if (ob[0].pvBuffer) {
        pipe_put(peer, ob[0].pvBuffer, ob[0].cbBuffer);
        T->FreeContextBuffer(ob[0].pvBuffer);
    }
    if (st == SEC_E_INCOMPLETE_MESSAGE) {
        /* Nothing used, and the count still needed (when known). */
        CHECK(ib[1].BufferType == SECBUFFER_MISSING);
        return st;
    }
    if (ib[1].BufferType == SECBUFFER_EXTRA)
        used = give - ib[1].cbBuffer;
    else if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED)
        used = give;
    pipe_take(&s->in, used);
    s->avail = s->avail > used ? s->avail - used : 0;
    if (st == SEC_E_OK) s->done = 1;
    return st;
}

/* Both sides to the end: SEC_E_OK, or the first failure. */
static SECURITY_STATUS connect_pair(struct side *c, struct side *s) {
    int rounds;
    SECURITY_STATUS st = turn(c, &s->in, 0);
    if (st < 0) return st;
    for (rounds = 0; rounds < 100000 && !(c->done && s->done); rounds++) {
        c->avail += chunk;
        s->avail += chunk;
        if (s->in.len && !s->done) {
            st = turn(s, &c->in, 1);
            if (st < 0 && st != SEC_E_INCOMPLETE_MESSAGE) return st;
        }
        if (c->in.len && !c->done) {
            st = turn(c, &s->in, 0);
            if (st < 0 && st != SEC_E_INCOMPLETE_MESSAGE) return st;
        }
    }
    return c->done && s->done ? SEC_E_OK : SEC_E_INTERNAL_ERROR;
}

static SECURITY_STATUS pair_up(struct side *c, struct side *s, const char *password, ULONG c_req,
                               ULONG disabled) {
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    c->req = c_req;
    s->req = S_REQ;
    CHECK_STATUS(credssp_cred(SECPKG_CRED_OUTBOUND, NULL, disabled, "alice", password,
                              CredsspSubmitBufferBoth, 0, 0, &c->cred),
                 SEC_E_OK);
    CHECK_STATUS(credssp_cred(SECPKG_CRED_INBOUND, server_cert, 0, "alice", "Passw0rd!", CredsspSubmitBufferBoth,
                              0, 0, &s->cred),
                 SEC_E_OK);
    return connect_pair(c, s);
}

static void side_free(struct side *x) {
    if (x->has_ctx) T->DeleteSecurityContext(&x->ctx);
    T->FreeCredentialsHandle(&x->cred);
}

/* The delegated credentials (SECPKG_ATTR_CREDS_2) match these strings. */
static int delegated_is(CtxtHandle *h, ULONG attribute, const char *domain, const char *user,
                        const char *password) {
    SecPkgContext_ClientCreds cc;
    const KERB_INTERACTIVE_LOGON *logon;
    const UNICODE_STRING *f[3];
    const char *want[3] = {domain, user, password};
    int i, ok = 1;
    if (T->QueryContextAttributesW(h, attribute, &cc) != SEC_E_OK) return 0;
    logon = (const KERB_INTERACTIVE_LOGON *)cc.AuthBuffer;
    ok = cc.AuthBufferLen >= sizeof *logon && logon->MessageType == 2;
    f[0] = &logon->LogonDomainName;
    f[1] = &logon->UserName;
    f[2] = &logon->Password;
    for (i = 0; ok && i < 3; i++) {
        uintptr_t offset = (uintptr_t)f[i]->Buffer;
        size_t j, n = strlen(want[i]);
        ok = f[i]->Length == 2 * n && f[i]->MaximumLength == f[i]->Length &&
             offset + f[i]->Length <= cc.AuthBufferLen;
        for (j = 0; ok && j < n; j++)
            ok = cc.AuthBuffer[offset + 2 * j] == (unsigned char)want[i][j] && cc.AuthBuffer[offset + 2 * j + 1] == 0;
    }
    T->FreeContextBuffer(cc.AuthBuffer);
    return ok;
}

/* Opens every record in `wire` at `to` into `back` (*got bytes so far). */
static int drain(CtxtHandle *to, struct pipe *wire, unsigned char *back, ULONG *got) {
    ULONG n;
    while (wire->len) {
        if (open_from(to, wire, back + *got, &n) != SEC_E_OK) return 0;
        *got += n;
    }
    return 1;
}

/* `len` bytes sealed by `from` open at `to`: as many records as fit go
 * into one input, so that DecryptMessage hands the rest back as EXTRA. */
static int message(CtxtHandle *from, CtxtHandle *to, ULONG len) {
    SecPkgContext_StreamSizes sz;
    static struct pipe wire;
    unsigned char *data = malloc(len), *back = malloc(len);
    ULONG i, got = 0;
    int ok = 1;
    CHECK_STATUS(T->QueryContextAttributesW(from, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_OK);
    for (i = 0; i < len; i++) data[i] = (unsigned char)(i * 7);
    wire.len = 0;
    for (i = 0; ok && i < len; i += sz.cbMaximumMessage) {
        ULONG chunk = len - i < sz.cbMaximumMessage ? len - i : sz.cbMaximumMessage;
        if (wire.len + sz.cbHeader + chunk + sz.cbTrailer > IO_MAX) ok = drain(to, &wire, back, &got);
        ok = ok && seal_into(from, data + i, chunk, &wire) == SEC_E_OK;
    }
    ok = ok && drain(to, &wire, back, &got) && got == len && memcmp(back, data, len) == 0;
    free(data);
    free(back);
    return ok;
}

static void package_info(void) {
    PSecPkgInfoW w;
    PSecPkgInfoA a;
    CHECK_STATUS(T->QuerySecurityPackageInfoW(wstr("CREDSSP"), &w), SEC_E_OK);
    CHECK(w->fCapabilities == 0x00810733 && w->wVersion == 1 && w->wRPCID == 0xFFFF &&
          w->cbMaxToken == 73032 && weq(w->Comment, "Microsoft CredSSP Security Provider") &&
          weq(w->Name, "CREDSSP"));
    T->FreeContextBuffer(w);
    CHECK_STATUS(TA->QuerySecurityPackageInfoA((SEC_CHAR *)"CredSSP", &a), SEC_E_OK);
    CHECK(a->wRPCID == 0xFFFF && strcmp((char *)a->Name, "CREDSSP") == 0);
    TA->FreeContextBuffer(a);
}

static void credentials(void) {
    CredHandle h;
    CHECK_STATUS(credssp_cred(SECPKG_CRED_OUTBOUND, NULL, 0, "alice", "x", CredsspSubmitBufferBoth, 1, 0, &h),
                 SEC_E_OK);
    T->FreeCredentialsHandle(&h);
    CHECK_STATUS(credssp_cred(SECPKG_CRED_OUTBOUND, NULL, 0, "alice", "x", CredsspSubmitBufferBoth, 1, 1, &h),
                 SEC_E_UNKNOWN_CREDENTIALS);
    /* Smart-card credentials are not supported; nor an unknown type. */
    CHECK_STATUS(credssp_cred(SECPKG_CRED_OUTBOUND, NULL, 0, "alice", "x", CredsspCertificateCreds, 0, 0, &h),
                 SEC_E_UNKNOWN_CREDENTIALS);
    CHECK_STATUS(credssp_cred(SECPKG_CRED_OUTBOUND, NULL, 0, "alice", "x", 7, 0, 0, &h),
                 SEC_E_UNKNOWN_CREDENTIALS);
    /* NULL auth data: Negotiate's default credentials decide (none here). */
    {
        SECURITY_STATUS nego = T->AcquireCredentialsHandleW(NULL, wstr("Negotiate"), SECPKG_CRED_OUTBOUND, NULL,
                                                            NULL, NULL, NULL, &h, NULL);
        if (nego == SEC_E_OK) T->FreeCredentialsHandle(&h);
        CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("CREDSSP"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                                  NULL, &h, NULL),
                     nego);
        if (nego == SEC_E_OK) T->FreeCredentialsHandle(&h);
    }
}

static void exchange(ULONG disabled) {
    struct side c, s;
    SecPkgContext_ClientCreds cc;
    SecPkgContext_NamesW names;
    SecPkgContext_PackageInfoW pkg;
    CHECK_STATUS(pair_up(&c, &s, "Passw0rd!", C_REQ, disabled), SEC_E_OK);
    CHECK((c.attrs & ISC_RET_DELEGATE) && (c.attrs & ISC_RET_STREAM) && (c.attrs & ISC_RET_ALLOCATED_MEMORY));
    CHECK(delegated_is(&s.ctx, SECPKG_ATTR_CREDS_2, "CORP", "alice", "Passw0rd!"));
    CHECK(delegated_is(&s.ctx, SECPKG_ATTR_CREDS, "CORP", "alice", "Passw0rd!"));
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_CREDS_2, &cc), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "CORP\\alice"));
    T->FreeContextBuffer(names.sUserName);
    /* The package Negotiate chose inside, on both sides. */
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_NEGOTIATION_PACKAGE, &pkg), SEC_E_OK);
    CHECK(weq(pkg.PackageInfo->Name, "NTLM"));
    T->FreeContextBuffer(pkg.PackageInfo);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_NEGOTIATION_PACKAGE, &pkg), SEC_E_OK);
    CHECK(weq(pkg.PackageInfo->Name, "NTLM") && pkg.PackageInfo->wRPCID == 10);
    T->FreeContextBuffer(pkg.PackageInfo);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg), SEC_E_OK);
    CHECK(weq(pkg.PackageInfo->Name, "CREDSSP"));
    T->FreeContextBuffer(pkg.PackageInfo);
    CHECK(message(&c.ctx, &s.ctx, 1) && message(&s.ctx, &c.ctx, 1));
    CHECK(message(&c.ctx, &s.ctx, 50000) && message(&s.ctx, &c.ctx, 70000));
    side_free(&c);
    side_free(&s);
}

/* Mid-exchange, only PACKAGE_INFO answers; message calls are refused. */
static void incomplete_context(void) {
    struct side c, s;
    SecPkgContext_StreamSizes sz;
    SecPkgContext_PackageInfoW pkg;
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    unsigned char io[64];
    int i;
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    c.req = C_REQ;
    CHECK_STATUS(credssp_cred(SECPKG_CRED_OUTBOUND, NULL, 0, "alice", "Passw0rd!", CredsspSubmitBufferBoth, 0, 0,
                              &c.cred),
                 SEC_E_OK);
    CHECK_STATUS(turn(&c, &s.in, 0), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(T->QueryContextAttributesW(&c.ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg), SEC_E_OK);
    CHECK(weq(pkg.PackageInfo->Name, "CREDSSP"));
    T->FreeContextBuffer(pkg.PackageInfo);
    for (i = 0; i < 4; i++) b[i] = (SecBuffer){16, i == 1 ? SECBUFFER_DATA : SECBUFFER_EMPTY, io + 16 * i};
    CHECK_STATUS(T->EncryptMessage(&c.ctx, 0, &d, 0), SEC_E_INVALID_HANDLE);
    side_free(&c);
}

static void tls13(void) { exchange(0); }
static void tls12(void) { exchange(SP_PROT_TLS1_3_CLIENT); }

/* Every record cut: bytes arrive one, then seven, at a time. */
static void in_pieces(void) {
    static const ULONG sizes[] = {1, 7};
    size_t i;
    for (i = 0; i < 2; i++) {
        chunk = sizes[i];
        exchange(0);
        exchange(SP_PROT_TLS1_3_CLIENT);
    }
    chunk = 0;
}

static void no_delegation_flag(void) {
    struct side c, s;
    CHECK_STATUS(pair_up(&c, &s, "Passw0rd!", C_REQ & ~ISC_REQ_DELEGATE, 0), SEC_E_OK);
    CHECK(!(c.attrs & ISC_RET_DELEGATE));
    CHECK(delegated_is(&s.ctx, SECPKG_ATTR_CREDS_2, "", "", ""));
    side_free(&c);
    side_free(&s);
}

/* ISC_REQ_MUTUAL_AUTH with NTLM inside: the server was never
 * authenticated (the certificate is not checked), so nothing is delegated. */
static void mutual_auth_needs_kerberos(void) {
    struct side c, s;
    CHECK_STATUS(pair_up(&c, &s, "Passw0rd!", C_REQ | ISC_REQ_MUTUAL_AUTH, 0), SEC_E_MUTUAL_AUTH_FAILED);
    CHECK(!c.done && !s.done);
    side_free(&c);
    side_free(&s);
}

static void wrong_password(void) {
    struct side c, s;
    SecPkgContext_ClientCreds cc;
    CHECK_STATUS(pair_up(&c, &s, "wrong", C_REQ, 0), SEC_E_LOGON_DENIED);
    CHECK(!s.done && !c.done);
    /* The server's errorCode (STATUS_LOGON_FAILURE) reaches the client. */
    CHECK(c.in.len > 0);
    CHECK_STATUS(turn(&c, &s.in, 0), SEC_E_LOGON_DENIED);
    if (s.has_ctx) CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_CREDS_2, &cc), SEC_E_INVALID_HANDLE);
    side_free(&c);
    side_free(&s);
}

/* SCHANNEL_SHUTDOWN on a CredSSP context closes its TLS channel, as on
 * Schannel: the next call makes the close_notify, which the peer's
 * DecryptMessage reports as SEC_I_CONTEXT_EXPIRED. */
static void shutdown(void) {
    struct side c, s;
    ULONG kind = SCHANNEL_SHUTDOWN;
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
    int i;
    CHECK_STATUS(pair_up(&c, &s, "Passw0rd!", C_REQ, 0), SEC_E_OK);
    b[0] = (SecBuffer){sizeof kind, SECBUFFER_TOKEN, &kind};
    CHECK_STATUS(T->ApplyControlToken(&c.ctx, &d), SEC_E_OK);
    CHECK_STATUS(turn(&c, &s.in, 0), SEC_E_OK);
    CHECK(s.in.len > 0);
    b[0] = (SecBuffer){s.in.len, SECBUFFER_DATA, s.in.data};
    for (i = 1; i < 4; i++) b[i] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    d.cBuffers = 4;
    CHECK_STATUS(T->DecryptMessage(&s.ctx, &d, 0, NULL), SEC_I_CONTEXT_EXPIRED);
    side_free(&c);
    side_free(&s);
}

static void deleted_contexts(void) {
    struct side c, s;
    SecPkgContext_StreamSizes sz;
    CHECK_STATUS(pair_up(&c, &s, "Passw0rd!", C_REQ, 0), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s.ctx), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s.ctx), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(T->QueryContextAttributesW(&s.ctx, SECPKG_ATTR_STREAM_SIZES, &sz), SEC_E_INVALID_HANDLE);
    s.has_ctx = 0;
    side_free(&c);
    side_free(&s);
}

int main(void) {
    tables();
    if (OpenSspiCertificateFromFilesA(DATA "rsa-server.pem", DATA "rsa-server.key", &server_cert) != SEC_E_OK) {
        fprintf(stderr, "cannot load %s\n", DATA "rsa-server.pem");
        return 1;
    }
    RUN(package_info);
    RUN(credentials);
    RUN(incomplete_context);
    RUN(tls13);
    RUN(tls12);
    RUN(in_pieces);
    RUN(no_delegation_flag);
    RUN(mutual_auth_needs_kerberos);
    RUN(wrong_password);
    RUN(shutdown);
    RUN(deleted_contexts);
    CertFreeCertificateContext(server_cert);
    return check_summary();
}

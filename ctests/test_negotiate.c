/* Negotiate (SPNEGO over NTLM) through the function tables: Windows' return
 * codes, the acceptor's last token, message protection, attributes naming
 * NTLM, the A table with Wine's conformance-test flow, rejection tokens,
 * malformed tokens, raw NTLM to a Negotiate acceptor, PackageList, export
 * and import. */
#include <stdlib.h>
#include <unistd.h>
#include "pair.h"

static CredHandle client_cred, server_cred;

/* The acceptor's reject token: NegTokenResp { negState reject }. */
static const unsigned char REJECT[] = {0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x02};
/* The start of an initiator's first token: [APPLICATION 0], SPNEGO's OID. */
static const unsigned char SPNEGO_HEAD[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};

static void setup(void) {
    tables();
    PACKAGE = "Negotiate";
    CHECK_STATUS(acquire("CORP\\alice", NULL, "Passw0rd!", SECPKG_CRED_OUTBOUND, &client_cred), SEC_E_OK);
    CHECK_STATUS(acquire("alice", "CORP", "Passw0rd!", SECPKG_CRED_INBOUND, &server_cred), SEC_E_OK);
}

/* Whether `w` holds a NegTokenResp with this negState (the byte after
 * "a0 03 0a 01" in its first field). */
static int neg_state_is(const struct wire *w, int state) {
    ULONG i;
    for (i = 0; i + 4 < w->len && i < 12; i++)
        if (w->data[i] == 0xa0 && w->data[i + 1] == 3 && w->data[i + 2] == 0x0a && w->data[i + 3] == 1)
            return w->data[i + 4] == state;
    return 0;
}

static void pair(CtxtHandle *c, CtxtHandle *s) {
    struct outcome o = handshake(&client_cred, &server_cred, ALL_PROTECTION, ALL_PROTECTION_ASC, c, s);
    CHECK_STATUS(o.isc2, SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK_STATUS(o.isc3, SEC_E_OK);
}

static void codes_tokens_and_flags(void) {
    CtxtHandle c, s;
    struct wire a, b;
    ULONG ca = 0xdeadbeef, sa = 0xdeadbeef;
    CHECK_STATUS(isc(&client_cred, NULL, &c, ALL_PROTECTION, NULL, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK(a.len > 40 && a.data[0] == 0x60 && memcmp(a.data + 2, SPNEGO_HEAD, sizeof SPNEGO_HEAD) == 0);
    CHECK_STATUS(asc(&server_cred, NULL, &s, ALL_PROTECTION_ASC, &a, &b, &sa), SEC_I_CONTINUE_NEEDED);
    CHECK(b.len > 40 && b.data[0] == 0xa1 && neg_state_is(&b, 1));
    /* AUTHENTICATE carries a MIC and integrity was negotiated: the client
     * sends its mechListMIC and waits for the server's. */
    CHECK_STATUS(isc(&client_cred, &c, &c, ALL_PROTECTION, &b, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK(a.len > 100 && a.data[0] == 0xa1);
    CHECK(ca == ALL_PROTECTION);
    /* The server answers accept-completed with its own mechListMIC. */
    CHECK_STATUS(asc(&server_cred, &s, &s, ALL_PROTECTION_ASC, &a, &b, &sa), SEC_E_OK);
    CHECK(b.len > 20 && neg_state_is(&b, 0));
    CHECK(sa == ALL_PROTECTION_ASC);
    /* That last token checks out on the client, which is then done and
     * sends nothing. */
    CHECK_STATUS(isc(&client_cred, &c, &c, ALL_PROTECTION, &b, &a, &ca), SEC_E_OK);
    CHECK(a.len == 0);
    CHECK_STATUS(isc(&client_cred, &c, &c, ALL_PROTECTION, &b, &a, &ca), SEC_E_OUT_OF_SEQUENCE);
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &a, &b, &sa), SEC_E_OUT_OF_SEQUENCE);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
}

static void protection_both_ways(void) {
    CtxtHandle c, s;
    int seal;
    pair(&c, &s);
    for (seal = 0; seal < 2; seal++) {
        struct msg m = text("Hello, Negotiate"), m2 = text("reply"), replay;
        ULONG qop = 0xdeadbeef;
        CHECK_STATUS(sign(&c, &m, seal), SEC_E_OK);
        /* The mechListMIC used sequence number 0. */
        CHECK(m.sig[0] == 1 && m.sig[12] == (seal ? 2 : 1));
        replay = m;
        CHECK_STATUS(check(&s, &m, seal, &qop), SEC_E_OK);
        CHECK(qop == 0xdeadbeef && memcmp(m.data, "Hello, Negotiate", 16) == 0);
        CHECK_STATUS(check(&s, &replay, seal, &qop), SEC_E_OUT_OF_SEQUENCE);
        CHECK_STATUS(sign(&s, &m2, seal), SEC_E_OK);
        CHECK_STATUS(check(&c, &m2, seal, NULL), SEC_E_OK);
        CHECK(memcmp(m2.data, "reply", 5) == 0);
    }
    {
        /* A tampered message fails and leaves the direction in step. */
        struct msg m = text("tamper");
        CHECK_STATUS(sign(&s, &m, 1), SEC_E_OK);
        m.data[0] ^= 1;
        CHECK_STATUS(check(&c, &m, 1, NULL), SEC_E_MESSAGE_ALTERED);
        m.data[0] ^= 1;
        CHECK_STATUS(check(&c, &m, 1, NULL), SEC_E_OK);
        CHECK(memcmp(m.data, "tamper", 6) == 0);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void attributes_name_ntlm(void) {
    CtxtHandle c, s, pending;
    SecPkgContext_Sizes sizes = {0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef};
    SecPkgContext_NegotiationInfoW nego;
    SecPkgContext_NegotiationInfoA nego_a;
    SecPkgContext_PackageInfoW pkg;
    SecPkgContext_NamesW names;
    SecPkgContext_Flags flags;
    SecPkgContext_StreamSizes stream;
    struct wire a;
    ULONG attrs;
    pair(&c, &s);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK(sizes.cbMaxToken == 2888 && sizes.cbMaxSignature == 16 && sizes.cbBlockSize == 0 && sizes.cbSecurityTrailer == 16);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_STREAM_SIZES, &stream), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_NEGOTIATION_INFO, &nego), SEC_E_OK);
    CHECK(nego.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && weq(nego.PackageInfo->Name, "NTLM"));
    CHECK((nego.PackageInfo->fCapabilities & 0x2B37) == 0x2B37);
    CHECK(nego.PackageInfo->wVersion == 1 && nego.PackageInfo->wRPCID == 10);
    CHECK_STATUS(T->FreeContextBuffer(nego.PackageInfo), SEC_E_OK);
    CHECK_STATUS(TA->QueryContextAttributesA(&s, SECPKG_ATTR_NEGOTIATION_INFO, &nego_a), SEC_E_OK);
    CHECK(nego_a.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && strcmp(nego_a.PackageInfo->Name, "NTLM") == 0);
    CHECK(strcmp(nego_a.PackageInfo->Comment, "NTLM Security Package") == 0);
    CHECK_STATUS(TA->FreeContextBuffer(nego_a.PackageInfo), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_PACKAGE_INFO, &pkg), SEC_E_OK);
    CHECK(weq(pkg.PackageInfo->Name, "NTLM") && pkg.PackageInfo->cbMaxToken == 2888);
    CHECK_STATUS(T->FreeContextBuffer(pkg.PackageInfo), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "CORP\\alice"));
    T->FreeContextBuffer(names.sUserName);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK(flags.Flags == ALL_PROTECTION);
    /* Before the acceptor answers: NTLM is the optimistic choice. */
    CHECK_STATUS(isc(&client_cred, NULL, &pending, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(T->QueryContextAttributesW(&pending, SECPKG_ATTR_NEGOTIATION_INFO, &nego), SEC_E_OK);
    CHECK(nego.NegotiationState == SECPKG_NEGOTIATION_OPTIMISTIC && weq(nego.PackageInfo->Name, "NTLM"));
    T->FreeContextBuffer(nego.PackageInfo);
    CHECK_STATUS(T->QueryContextAttributesW(&pending, SECPKG_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
    {
        struct msg m = text("too early");
        CHECK_STATUS(sign(&pending, &m, 0), SEC_E_INVALID_HANDLE);
    }
    T->DeleteSecurityContext(&pending);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

/* Wine's negotiate.c flow through the A table: an ANSI identity, loop
 * while both sides continue, then the client must be SEC_E_OK and the
 * context's sizes and negotiation info NTLM's. */
static void wine_flow_a_table(void) {
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    CredHandle cc, sc;
    CtxtHandle c, s;
    static unsigned char cbuf[48256], sbuf[48256], in_c[48256], in_s[48256];
    ULONG in_c_len = 0, in_s_len = 0, attr;
    SECURITY_STATUS sc_c = SEC_I_CONTINUE_NEEDED, sc_s = SEC_I_CONTINUE_NEEDED;
    int first = 1, rounds = 0;
    PSecPkgInfoA info;
    SecPkgContext_Sizes sizes;
    SecPkgContext_NegotiationInfoA nego;
    TimeStamp ttl;
    id.User = (unsigned char *)"user";
    id.UserLength = 4;
    id.Domain = (unsigned char *)"domain";
    id.DomainLength = 6;
    id.Password = (unsigned char *)"password";
    id.PasswordLength = 8;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(TA->QuerySecurityPackageInfoA((SEC_CHAR *)"Negotiate", &info), SEC_E_OK);
    CHECK(info->cbMaxToken == sizeof cbuf);
    TA->FreeContextBuffer(info);
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, &ttl), SEC_E_OK);
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &sc, &ttl), SEC_E_OK);
    while (sc_c == SEC_I_CONTINUE_NEEDED && sc_s == SEC_I_CONTINUE_NEEDED && rounds++ < 4) {
        SecBuffer ib = {in_c_len, SECBUFFER_TOKEN, in_c}, ob = {sizeof cbuf, SECBUFFER_TOKEN, cbuf};
        SecBufferDesc id_ = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        SecBuffer ib2, ob2 = {sizeof sbuf, SECBUFFER_TOKEN, sbuf};
        SecBufferDesc id2 = {SECBUFFER_VERSION, 1, &ib2}, od2 = {SECBUFFER_VERSION, 1, &ob2};
        sc_c = TA->InitializeSecurityContextA(first ? &cc : NULL, first ? NULL : &c, NULL, 0, 0, SECURITY_NETWORK_DREP,
                                              first ? NULL : &id_, 0, &c, &od, &attr, &ttl);
        CHECK(sc_c == SEC_E_OK || sc_c == SEC_I_CONTINUE_NEEDED);
        CHECK(ob.BufferType == SECBUFFER_TOKEN && ob.cbBuffer < sizeof cbuf);
        memcpy(in_s, cbuf, ob.cbBuffer);
        in_s_len = ob.cbBuffer;
        ib2.BufferType = SECBUFFER_TOKEN;
        ib2.pvBuffer = in_s;
        ib2.cbBuffer = in_s_len;
        sc_s = TA->AcceptSecurityContext(&sc, first ? NULL : &s, &id2, 0, SECURITY_NETWORK_DREP, &s, &od2, &attr, &ttl);
        CHECK(sc_s == SEC_E_OK || sc_s == SEC_I_CONTINUE_NEEDED);
        memcpy(in_c, sbuf, ob2.cbBuffer);
        in_c_len = ob2.cbBuffer;
        first = 0;
    }
    CHECK_STATUS(sc_c, SEC_E_OK);
    CHECK_STATUS(sc_s, SEC_E_OK);
    CHECK(rounds == 2);
    sizes.cbMaxToken = sizes.cbMaxSignature = sizes.cbSecurityTrailer = sizes.cbBlockSize = 0xdeadbeef;
    CHECK_STATUS(TA->QueryContextAttributesA(&c, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK(sizes.cbMaxToken == 2888 && sizes.cbMaxSignature == 16 && sizes.cbSecurityTrailer == 16 && sizes.cbBlockSize == 0);
    memset(&nego, 0, sizeof nego);
    CHECK_STATUS(TA->QueryContextAttributesA(&c, SECPKG_ATTR_NEGOTIATION_INFO, &nego), SEC_E_OK);
    CHECK(nego.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && nego.PackageInfo != NULL);
    if (nego.PackageInfo) {
        CHECK((nego.PackageInfo->fCapabilities & 0x2B37) == 0x2B37);
        CHECK(nego.PackageInfo->wVersion == 1 && nego.PackageInfo->wRPCID == 10);
        CHECK(strcmp(nego.PackageInfo->Name, "NTLM") == 0);
        TA->FreeContextBuffer(nego.PackageInfo);
    }
    CHECK_STATUS(TA->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(TA->DeleteSecurityContext(&s), SEC_E_OK);
    CHECK_STATUS(TA->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_STATUS(TA->FreeCredentialsHandle(&sc), SEC_E_OK);
}

static void wrong_password_gets_a_reject(void) {
    CredHandle bad;
    CtxtHandle c, s;
    struct wire a, b;
    ULONG attrs;
    CHECK_STATUS(acquire("CORP\\alice", NULL, "wrong", SECPKG_CRED_OUTBOUND, &bad), SEC_E_OK);
    CHECK_STATUS(isc(&bad, NULL, &c, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(isc(&bad, &c, &c, 0, &b, &a, &attrs), SEC_E_OK);
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &a, &b, &attrs), SEC_E_LOGON_DENIED);
    CHECK(b.len == sizeof REJECT && memcmp(b.data, REJECT, sizeof REJECT) == 0);
    /* The server context is dead; the client, given the reject, fails. */
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &a, &b, &attrs), SEC_E_INVALID_HANDLE);
    b.len = sizeof REJECT;
    memcpy(b.data, REJECT, sizeof REJECT);
    CHECK_STATUS(isc(&bad, &c, &c, 0, &b, &a, &attrs), SEC_E_LOGON_DENIED);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    T->FreeCredentialsHandle(&bad);
}

static void malformed_tokens(void) {
    CtxtHandle c, s, untouched = {0x1111, 0x2222};
    struct wire a, b, cut;
    ULONG attrs, n;
    /* A NegTokenInit offering only an unknown mechanism (1.2.3.4). */
    static const unsigned char foreign[] = {0x60, 0x15, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02,
                                            0xa0, 0x0b, 0x30, 0x09, 0xa0, 0x07, 0x30, 0x05,
                                            0x06, 0x03, 0x2a, 0x03, 0x04};
    memcpy(cut.data, foreign, sizeof foreign);
    cut.len = sizeof foreign;
    s = untouched;
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &cut, &b, &attrs), SEC_E_INVALID_TOKEN);
    CHECK(b.len == sizeof REJECT && memcmp(b.data, REJECT, sizeof REJECT) == 0);
    CHECK(s.dwLower == untouched.dwLower && s.dwUpper == untouched.dwUpper);
    /* Every truncation of a good first token; a lying length; garbage. */
    CHECK_STATUS(isc(&client_cred, NULL, &c, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    for (n = 1; n < a.len; n++) {
        memcpy(cut.data, a.data, n);
        cut.len = n;
        s = untouched;
        CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &cut, &b, &attrs), SEC_E_INVALID_TOKEN);
        CHECK(s.dwLower == untouched.dwLower);
    }
    memcpy(cut.data, a.data, a.len);
    cut.len = a.len;
    cut.data[1] = 0x84; /* a four-byte length follows: 4 GiB */
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &cut, &b, &attrs), SEC_E_INVALID_TOKEN);
    memset(cut.data, 0xa1, 64);
    cut.len = 64;
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &cut, &b, &attrs), SEC_E_INVALID_TOKEN);
    /* The acceptor's answer, truncated, on the client: each fails it. */
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &attrs), SEC_I_CONTINUE_NEEDED);
    T->DeleteSecurityContext(&c);
    for (n = 1; n < b.len; n += 7) {
        CtxtHandle x;
        CHECK_STATUS(isc(&client_cred, NULL, &x, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
        memcpy(cut.data, b.data, n);
        cut.len = n;
        CHECK_STATUS(isc(&client_cred, &x, &x, 0, &cut, &a, &attrs), SEC_E_INVALID_TOKEN);
        CHECK_STATUS(isc(&client_cred, &x, &x, 0, &b, &a, &attrs), SEC_E_INVALID_HANDLE);
        CHECK_STATUS(T->DeleteSecurityContext(&x), SEC_E_OK);
    }
    T->DeleteSecurityContext(&s);
}

static void output_buffers(void) {
    CtxtHandle c, s;
    struct wire a, b;
    SecBufferDesc outd, ind;
    SecBuffer outb, inb;
    ULONG attrs;
    unsigned char small[16];
    /* A first token does not fit 16 bytes. */
    desc1(&outd, &outb, SECBUFFER_TOKEN, small, sizeof small);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, &outd, &attrs, NULL),
                 SEC_E_BUFFER_TOO_SMALL);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, NULL, &attrs, NULL),
                 SEC_E_BUFFER_TOO_SMALL);
    /* ALLOCATE_MEMORY all the way, tokens freed with FreeContextBuffer. */
    desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, ISC_REQ_ALLOCATE_MEMORY, 0, SECURITY_NATIVE_DREP, NULL, 0, &c, &outd,
                                               &attrs, NULL),
                 SEC_I_CONTINUE_NEEDED);
    CHECK(outb.pvBuffer != NULL && outb.cbBuffer > 40 && (attrs & ISC_RET_ALLOCATED_MEMORY));
    memcpy(a.data, outb.pvBuffer, outb.cbBuffer);
    a.len = outb.cbBuffer;
    CHECK_STATUS(T->FreeContextBuffer(outb.pvBuffer), SEC_E_OK);
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &attrs), SEC_I_CONTINUE_NEEDED);
    /* Too small for AUTHENTICATE: nothing changes, and a retry works. */
    desc1(&ind, &inb, SECBUFFER_TOKEN, b.data, b.len);
    desc1(&outd, &outb, SECBUFFER_TOKEN, small, sizeof small);
    CHECK_STATUS(T->InitializeSecurityContextW(NULL, &c, NULL, 0, 0, SECURITY_NATIVE_DREP, &ind, 0, &c, &outd, &attrs, NULL),
                 SEC_E_BUFFER_TOO_SMALL);
    desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
    CHECK_STATUS(T->InitializeSecurityContextW(NULL, &c, NULL, ISC_REQ_ALLOCATE_MEMORY, 0, SECURITY_NATIVE_DREP, &ind, 0, &c, &outd,
                                               &attrs, NULL),
                 SEC_E_OK);
    CHECK(outb.pvBuffer != NULL && (attrs & ISC_RET_ALLOCATED_MEMORY));
    memcpy(a.data, outb.pvBuffer, outb.cbBuffer);
    a.len = outb.cbBuffer;
    CHECK_STATUS(T->FreeContextBuffer(outb.pvBuffer), SEC_E_OK);
    /* The acceptor's last token, allocated. */
    desc1(&ind, &inb, SECBUFFER_TOKEN, a.data, a.len);
    desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
    CHECK_STATUS(T->AcceptSecurityContext(&server_cred, &s, &ind, ASC_REQ_ALLOCATE_MEMORY, SECURITY_NATIVE_DREP, &s, &outd, &attrs, NULL),
                 SEC_E_OK);
    /* No integrity was asked for: no MICs, a bare accept-completed. */
    CHECK(outb.pvBuffer != NULL && outb.cbBuffer == 9 && (attrs & ASC_RET_ALLOCATED_MEMORY));
    CHECK(outb.pvBuffer != NULL && memcmp(outb.pvBuffer, "\xa1\x07\x30\x05\xa0\x03\x0a\x01\x00", 9) == 0);
    CHECK_STATUS(T->FreeContextBuffer(outb.pvBuffer), SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    /* A reject is allocated too, and freed by the caller. */
    {
        static const unsigned char foreign[] = {0x60, 0x15, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02,
                                                0xa0, 0x0b, 0x30, 0x09, 0xa0, 0x07, 0x30, 0x05,
                                                0x06, 0x03, 0x2a, 0x03, 0x04};
        CtxtHandle x = {7, 7};
        desc1(&ind, &inb, SECBUFFER_TOKEN, (void *)foreign, sizeof foreign);
        desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
        CHECK_STATUS(T->AcceptSecurityContext(&server_cred, NULL, &ind, ASC_REQ_ALLOCATE_MEMORY, SECURITY_NATIVE_DREP, &x, &outd, &attrs,
                                              NULL),
                     SEC_E_INVALID_TOKEN);
        CHECK(outb.pvBuffer != NULL && outb.cbBuffer == sizeof REJECT && memcmp(outb.pvBuffer, REJECT, sizeof REJECT) == 0);
        CHECK(x.dwLower == 7 && x.dwUpper == 7);
        CHECK_STATUS(T->FreeContextBuffer(outb.pvBuffer), SEC_E_OK);
        /* No room for it: the error alone. */
        desc1(&outd, &outb, SECBUFFER_TOKEN, small, 4);
        CHECK_STATUS(T->AcceptSecurityContext(&server_cred, NULL, &ind, 0, SECURITY_NATIVE_DREP, &x, &outd, &attrs, NULL),
                     SEC_E_INVALID_TOKEN);
        CHECK(outb.cbBuffer == 0);
    }
}

/* A client of the NTLM package (raw NTLMSSP) against a Negotiate server. */
static void raw_ntlm_client(void) {
    CredHandle ntlm_client;
    CtxtHandle c, s;
    struct outcome o;
    SecPkgContext_NegotiationInfoW nego;
    struct msg m = text("raw");
    PACKAGE = "NTLM";
    CHECK_STATUS(acquire("CORP\\alice", NULL, "Passw0rd!", SECPKG_CRED_OUTBOUND, &ntlm_client), SEC_E_OK);
    PACKAGE = "Negotiate";
    o = handshake(&ntlm_client, &server_cred, ALL_PROTECTION, ALL_PROTECTION_ASC, &c, &s);
    CHECK_STATUS(o.asc1, SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NEGOTIATION_INFO, &nego), SEC_E_OK);
    CHECK(nego.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && weq(nego.PackageInfo->Name, "NTLM"));
    T->FreeContextBuffer(nego.PackageInfo);
    CHECK_STATUS(sign(&c, &m, 1), SEC_E_OK);
    CHECK_STATUS(check(&s, &m, 1, NULL), SEC_E_OK);
    CHECK(memcmp(m.data, "raw", 3) == 0);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&ntlm_client);
}

static SECURITY_STATUS acquire_with_list(const char *list, ULONG use, CredHandle *h) {
    SEC_WINNT_AUTH_IDENTITY_EXW ex;
    memset(&ex, 0, sizeof ex);
    ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    ex.Length = sizeof ex;
    ex.User = wstr("alice");
    ex.UserLength = 5;
    ex.Domain = wstr("CORP");
    ex.DomainLength = 4;
    ex.Password = wstr("Passw0rd!");
    ex.PasswordLength = 9;
    ex.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    ex.PackageList = wstr(list);
    ex.PackageListLength = (ULONG)strlen(list);
    return T->AcquireCredentialsHandleW(NULL, wstr("Negotiate"), use, NULL, &ex, NULL, NULL, h, NULL);
}

static void package_list(void) {
    static const char *const none_left[] = {"NegoExtender", "NTLM:Kerberos", "NTLM;Kerberos"};
    static const char *const kerberos_only[] = {"!NTLM", "Kerberos", "Kerberos,!NTLM"};
    CredHandle h;
    CtxtHandle c, s, untouched = {0x1111, 0x2222};
    struct outcome o;
    struct wire a, b;
    SecBufferDesc outd;
    SecBuffer outb;
    ULONG attrs;
    size_t i;
    CHECK_STATUS(acquire_with_list("!Kerberos", SECPKG_CRED_OUTBOUND, &h), SEC_E_OK);
    o = handshake(&h, &server_cred, 0, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&h);
    CHECK_STATUS(acquire_with_list("kerberos,ntlm", SECPKG_CRED_OUTBOUND, &h), SEC_E_OK);
    CHECK_STATUS(isc(&h, NULL, &c, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    T->DeleteSecurityContext(&c);
    T->FreeCredentialsHandle(&h);
    /* A list that leaves Negotiate nothing: as on Windows, the credential
     * is acquired and the first ISC fails with SEC_E_NO_CREDENTIALS (so
     * does the first ASC on an inbound one). Only a comma separates. */
    for (i = 0; i < sizeof none_left / sizeof *none_left; i++) {
        CHECK_STATUS(acquire_with_list(none_left[i], SECPKG_CRED_OUTBOUND, &h), SEC_E_OK);
        desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
        c = untouched;
        CHECK_STATUS(T->InitializeSecurityContextW(&h, NULL, wstr("HTTP/server.example"), ISC_REQ_ALLOCATE_MEMORY, 0, SECURITY_NATIVE_DREP,
                                                   NULL, 0, &c, &outd, &attrs, NULL),
                     SEC_E_NO_CREDENTIALS);
        CHECK(c.dwLower == untouched.dwLower && c.dwUpper == untouched.dwUpper && outb.pvBuffer == NULL);
        T->FreeCredentialsHandle(&h);
        CHECK_STATUS(acquire_with_list(none_left[i], SECPKG_CRED_INBOUND, &h), SEC_E_OK);
        CHECK_STATUS(isc(&client_cred, NULL, &c, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
        s = untouched;
        CHECK_STATUS(asc(&h, NULL, &s, 0, &a, &b, &attrs), SEC_E_NO_CREDENTIALS);
        CHECK(s.dwLower == untouched.dwLower && s.dwUpper == untouched.dwUpper);
        T->DeleteSecurityContext(&c);
        T->FreeCredentialsHandle(&h);
    }
    /* Lists that leave Kerberos alone, with no krb5.conf (ctest's
     * environment) and no keytab: the client's realm CORP has no KDC, and
     * there is nothing to fall back to; the server has no keys. */
    for (i = 0; i < sizeof kerberos_only / sizeof *kerberos_only; i++) {
        CHECK_STATUS(acquire_with_list(kerberos_only[i], SECPKG_CRED_OUTBOUND, &h), SEC_E_OK);
        CHECK_STATUS(isc(&h, NULL, &c, 0, NULL, &a, &attrs), SEC_E_NO_AUTHENTICATING_AUTHORITY);
        T->FreeCredentialsHandle(&h);
        CHECK_STATUS(acquire_with_list(kerberos_only[i], SECPKG_CRED_INBOUND, &h), SEC_E_NO_CREDENTIALS);
    }
}

/* The return codes recorded on Windows, client and server both called with
 * context requirements 0: with only NTLM offered, no mechListMIC is due,
 * the client is done at its second call and the server's second call,
 * given no output buffer descriptor at all, succeeds. */
static void windows_sequence_ntlm_alone(void) {
    CredHandle h;
    CtxtHandle c, s;
    struct wire a, b;
    SecBufferDesc ind;
    SecBuffer inb;
    ULONG ca, sa;
    CHECK_STATUS(acquire_with_list("NTLM", SECPKG_CRED_OUTBOUND, &h), SEC_E_OK);
    CHECK_STATUS(isc(&h, NULL, &c, 0, NULL, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &sa), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(isc(&h, &c, &c, 0, &b, &a, &ca), SEC_E_OK);
    desc1(&ind, &inb, SECBUFFER_TOKEN, a.data, a.len);
    CHECK_STATUS(T->AcceptSecurityContext(&server_cred, &s, &ind, 0, SECURITY_NATIVE_DREP, &s, NULL, &sa, NULL), SEC_E_OK);
    {
        /* No integrity: the dummy signature; no sealing. */
        static const unsigned char dummy[16] = {1};
        struct msg m = text("plain");
        CHECK_STATUS(sign(&c, &m, 0), SEC_E_OK);
        CHECK(memcmp(m.sig, dummy, 16) == 0);
        CHECK_STATUS(check(&s, &m, 0, NULL), SEC_E_OK);
        CHECK_STATUS(sign(&c, &m, 1), SEC_E_UNSUPPORTED_FUNCTION);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&h);
}

/* When a mechListMIC is due the server has a token to send: without room
 * for it, SEC_E_BUFFER_TOO_SMALL, and the same call with room hands it out
 * (the AUTHENTICATE it already took is not lost). */
static void server_answer_kept_until_there_is_room(void) {
    CtxtHandle c, s;
    struct wire a, b;
    SecBufferDesc ind, outd;
    SecBuffer inb, outb;
    ULONG ca, sa;
    CHECK_STATUS(isc(&client_cred, NULL, &c, ALL_PROTECTION, NULL, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(asc(&server_cred, NULL, &s, ALL_PROTECTION_ASC, &a, &b, &sa), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(isc(&client_cred, &c, &c, ALL_PROTECTION, &b, &a, &ca), SEC_I_CONTINUE_NEEDED);
    desc1(&ind, &inb, SECBUFFER_TOKEN, a.data, a.len);
    CHECK_STATUS(T->AcceptSecurityContext(&server_cred, &s, &ind, ALL_PROTECTION_ASC, SECURITY_NATIVE_DREP, &s, NULL, &sa, NULL),
                 SEC_E_BUFFER_TOO_SMALL);
    desc1(&outd, &outb, SECBUFFER_TOKEN, b.data, 28);
    CHECK_STATUS(T->AcceptSecurityContext(&server_cred, &s, &ind, ALL_PROTECTION_ASC, SECURITY_NATIVE_DREP, &s, &outd, &sa, NULL),
                 SEC_E_BUFFER_TOO_SMALL);
    desc1(&outd, &outb, SECBUFFER_TOKEN, b.data, 29);
    CHECK_STATUS(T->AcceptSecurityContext(&server_cred, &s, &ind, ALL_PROTECTION_ASC, SECURITY_NATIVE_DREP, &s, &outd, &sa, NULL),
                 SEC_E_OK);
    b.len = outb.cbBuffer;
    CHECK(b.len == 29 && neg_state_is(&b, 0));
    CHECK_STATUS(isc(&client_cred, &c, &c, ALL_PROTECTION, &b, &a, &ca), SEC_E_OK);
    CHECK(a.len == 0);
    {
        struct msg m = text("after the wait");
        CHECK_STATUS(sign(&c, &m, 1), SEC_E_OK);
        CHECK_STATUS(check(&s, &m, 1, NULL), SEC_E_OK);
        CHECK(memcmp(m.data, "after the wait", 14) == 0);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void export_import(void) {
    CtxtHandle c, s, c2, s2;
    SecBuffer pc, ps;
    struct msg m = text("after import"), m2 = text("back");
    pair(&c, &s);
    CHECK_STATUS(T->ExportSecurityContext(&c, 0, &pc, NULL), SEC_E_OK);
    CHECK_STATUS(T->ExportSecurityContext(&s, 0, &ps, NULL), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    CHECK_STATUS(T->ImportSecurityContextW(wstr("Negotiate"), &pc, NULL, &c2), SEC_E_OK);
    CHECK_STATUS(TA->ImportSecurityContextA((SEC_CHAR *)"Negotiate", &ps, NULL, &s2), SEC_E_OK);
    T->FreeContextBuffer(pc.pvBuffer);
    T->FreeContextBuffer(ps.pvBuffer);
    CHECK_STATUS(sign(&c2, &m, 1), SEC_E_OK);
    CHECK_STATUS(check(&s2, &m, 1, NULL), SEC_E_OK);
    CHECK(memcmp(m.data, "after import", 12) == 0);
    CHECK_STATUS(sign(&s2, &m2, 0), SEC_E_OK);
    CHECK_STATUS(check(&c2, &m2, 0, NULL), SEC_E_OK);
    {
        SecPkgContext_NegotiationInfoW nego;
        CHECK_STATUS(T->QueryContextAttributesW(&s2, SECPKG_ATTR_NEGOTIATION_INFO, &nego), SEC_E_OK);
        CHECK(nego.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && weq(nego.PackageInfo->Name, "NTLM"));
        T->FreeContextBuffer(nego.PackageInfo);
    }
    T->DeleteSecurityContext(&c2);
    T->DeleteSecurityContext(&s2);
}

/* AcceptSecurityContext without input: MS-SPNG's NegTokenInit2 hint (what
 * SMB servers send first), which the client takes as its first input. */
static void server_speaks_first(void) {
    CtxtHandle c, s;
    struct wire a, b;
    ULONG ca, sa;
    SecBufferDesc outd;
    SecBuffer outb;
    static const char hint[] = "not_defined_in_RFC4178@please_ignore";
    desc1(&outd, &outb, SECBUFFER_TOKEN, b.data, TOKEN_MAX);
    CHECK_STATUS(T->AcceptSecurityContext(&server_cred, NULL, NULL, 0, SECURITY_NATIVE_DREP, &s, &outd, &sa, NULL),
                 SEC_I_CONTINUE_NEEDED);
    b.len = outb.cbBuffer;
    CHECK(b.len > 40 && b.data[0] == 0x60 && memcmp(b.data + 2, SPNEGO_HEAD, sizeof SPNEGO_HEAD) == 0);
    CHECK(b.len > sizeof hint && memcmp(b.data + b.len - (sizeof hint - 1), hint, sizeof hint - 1) == 0);
    CHECK_STATUS(isc(&client_cred, NULL, &c, 0, &b, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &a, &b, &sa), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(isc(&client_cred, &c, &c, 0, &b, &a, &ca), SEC_E_OK);
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &a, &b, &sa), SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

/* ISC_REQ_NULL_SESSION: an anonymous NTLM logon inside SPNEGO (no session
 * key, so no mechListMIC). */
static void anonymous(void) {
    CtxtHandle c, s;
    SecPkgContext_NamesW names;
    struct wire a, b;
    ULONG ca, sa;
    CHECK_STATUS(isc(&client_cred, NULL, &c, ISC_REQ_NULL_SESSION, NULL, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &sa), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(isc(&client_cred, &c, &c, ISC_REQ_NULL_SESSION, &b, &a, &ca), SEC_E_OK);
    CHECK(ca & ISC_RET_NULL_SESSION);
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &a, &b, &sa), SEC_E_OK);
    CHECK(sa & ASC_RET_NULL_SESSION);
    /* accept-completed without a mechListMIC. */
    CHECK(b.len == 9 && neg_state_is(&b, 0));
    CHECK_STATUS(isc(&client_cred, &c, &c, ISC_REQ_NULL_SESSION, &b, &a, &ca), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "NT AUTHORITY\\ANONYMOUS LOGON"));
    T->FreeContextBuffer(names.sUserName);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

/* NULL auth data on the server: the accounts of NTLM_USER_FILE. */
static void server_with_user_file(void) {
    char path[] = "/tmp/opensspi-negotiate-XXXXXX";
    int fd = mkstemp(path);
    CredHandle server;
    CtxtHandle c, s;
    struct outcome o;
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(write(fd, "CORP:alice:Passw0rd!\n", 21) == 21);
    close(fd);
    setenv("NTLM_USER_FILE", path, 1);
    CHECK_STATUS(acquire(NULL, NULL, NULL, SECPKG_CRED_INBOUND, &server), SEC_E_OK);
    o = handshake(&client_cred, &server, 0, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&server);
    setenv("NTLM_USER_FILE", "", 1);
    unlink(path);
}

int main(void) {
    setup();
    RUN(codes_tokens_and_flags);
    RUN(protection_both_ways);
    RUN(attributes_name_ntlm);
    RUN(wine_flow_a_table);
    RUN(wrong_password_gets_a_reject);
    RUN(malformed_tokens);
    RUN(output_buffers);
    RUN(raw_ntlm_client);
    RUN(package_list);
    RUN(windows_sequence_ntlm_alone);
    RUN(server_answer_kept_until_there_is_room);
    RUN(export_import);
    RUN(anonymous);
    RUN(server_speaks_first);
    RUN(server_with_user_file);
    T->FreeCredentialsHandle(&client_cred);
    T->FreeCredentialsHandle(&server_cred);
    return check_summary();
}

/* NTLM through the function tables: the handshake with Windows' return
 * codes and flags, every error path, message protection both ways, context
 * attributes, export/import. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pair.h"

static CredHandle client_cred, server_cred;

static void setup(void) {
    tables();
    CHECK_STATUS(acquire("CORP\\alice", NULL, "Passw0rd!", SECPKG_CRED_OUTBOUND, &client_cred), SEC_E_OK);
    CHECK_STATUS(acquire("alice", "CORP", "Passw0rd!", SECPKG_CRED_INBOUND, &server_cred), SEC_E_OK);
}

/* An established pair with every protection requested. */
static void pair(CtxtHandle *c, CtxtHandle *s) {
    struct outcome o = handshake(&client_cred, &server_cred, ALL_PROTECTION, ALL_PROTECTION_ASC, c, s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
}

static void handshake_codes_and_flags(void) {
    CtxtHandle c, s, c2;
    struct wire a, b;
    ULONG ca = 0xdeadbeef, sa = 0xdeadbeef;
    TimeStamp expiry = {0, 0};
    SecBufferDesc outd;
    SecBuffer outb;
    CHECK_STATUS(isc(&client_cred, NULL, &c, ALL_PROTECTION, NULL, &a, &ca), SEC_I_CONTINUE_NEEDED);
    CHECK(a.len >= 32 && memcmp(a.data, "NTLMSSP\0\1\0\0\0", 12) == 0);
    /* NEGOTIATE asks for signing and sealing (flags byte 12: 0x10 | 0x20). */
    CHECK((a.data[12] & 0x30) == 0x30);
    CHECK_STATUS(asc(&server_cred, NULL, &s, ALL_PROTECTION_ASC, &a, &b, &sa), SEC_I_CONTINUE_NEEDED);
    CHECK(b.len > 48 && b.data[8] == 2);
    /* The continuation returns the same handle. */
    c2 = c;
    desc1(&outd, &outb, SECBUFFER_TOKEN, a.data, TOKEN_MAX);
    {
        SecBufferDesc ind;
        SecBuffer inb;
        desc1(&ind, &inb, SECBUFFER_TOKEN, b.data, b.len);
        /* A NULL credential is fine on a continuation (Wine's test does it). */
        CHECK_STATUS(T->InitializeSecurityContextW(NULL, &c, wstr("HTTP/server.example"), ALL_PROTECTION, 0,
                                                   SECURITY_NATIVE_DREP, &ind, 0, &c2, &outd, &ca, &expiry),
                     SEC_E_OK);
    }
    a.len = outb.cbBuffer;
    CHECK(c2.dwLower == c.dwLower && c2.dwUpper == c.dwUpper);
    CHECK(outb.BufferType == SECBUFFER_TOKEN && a.len > 0 && a.len < TOKEN_MAX && a.data[8] == 3);
    CHECK(ca == ALL_PROTECTION);
    CHECK(expiry.HighPart == 0x7fffffff && expiry.LowPart == 0xffffffff);
    CHECK_STATUS(asc(&server_cred, &s, &s, ALL_PROTECTION_ASC, &a, &b, &sa), SEC_E_OK);
    CHECK(b.len == 0);
    CHECK(sa == ALL_PROTECTION_ASC);
    CHECK_STATUS(T->CompleteAuthToken(&c, &outd), SEC_E_OK);
    /* A handshake message after completion is out of sequence. */
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &a, &b, &sa), SEC_E_OUT_OF_SEQUENCE);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_INVALID_HANDLE);
}

static void flags_are_what_was_negotiated(void) {
    CtxtHandle c, s;
    struct outcome o = handshake(&client_cred, &server_cred, ISC_REQ_CONNECTION | ISC_REQ_MUTUAL_AUTH | ISC_REQ_DELEGATE, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    /* NTLM has no mutual authentication or delegation; no signing asked. */
    CHECK(o.client_attrs == ISC_RET_CONNECTION);
    CHECK(o.server_attrs == 0);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    o = handshake(&client_cred, &server_cred, ISC_REQ_INTEGRITY, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK(o.client_attrs == ISC_RET_INTEGRITY);
    CHECK(o.server_attrs == (ASC_RET_INTEGRITY | ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT));
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void a_table_handshake(void) {
    CredHandle cc, sc;
    CtxtHandle c, s;
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    SecBufferDesc ind, outd;
    SecBuffer inb, outb;
    unsigned char t1[TOKEN_MAX], t2[TOKEN_MAX];
    ULONG attrs;
    SecPkgContext_NamesA names;
    id.User = (unsigned char *)"bob";
    id.UserLength = 3;
    id.Domain = (unsigned char *)"EXAMPLE";
    id.DomainLength = 7;
    id.Password = (unsigned char *)"s3cr\xc3\xa9t";
    id.PasswordLength = 7;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, NULL), SEC_E_OK);
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"ntlm", SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &sc, NULL), SEC_E_OK);
    desc1(&outd, &outb, SECBUFFER_TOKEN, t1, sizeof t1);
    CHECK_STATUS(TA->InitializeSecurityContextA(&cc, NULL, (SEC_CHAR *)"cifs/fs", ISC_REQ_CONFIDENTIALITY, 0, SECURITY_NETWORK_DREP, NULL, 0, &c, &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
    desc1(&ind, &inb, SECBUFFER_TOKEN, t1, outb.cbBuffer);
    desc1(&outd, &outb, SECBUFFER_TOKEN, t2, sizeof t2);
    CHECK_STATUS(TA->AcceptSecurityContext(&sc, NULL, &ind, 0, SECURITY_NETWORK_DREP, &s, &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
    desc1(&ind, &inb, SECBUFFER_TOKEN, t2, outb.cbBuffer);
    desc1(&outd, &outb, SECBUFFER_TOKEN, t1, sizeof t1);
    CHECK_STATUS(TA->InitializeSecurityContextA(&cc, &c, (SEC_CHAR *)"cifs/fs", ISC_REQ_CONFIDENTIALITY, 0, SECURITY_NETWORK_DREP, &ind, 0, &c, &outd, &attrs, NULL), SEC_E_OK);
    CHECK(attrs == ISC_RET_CONFIDENTIALITY);
    desc1(&ind, &inb, SECBUFFER_TOKEN, t1, outb.cbBuffer);
    desc1(&outd, &outb, SECBUFFER_TOKEN, t2, sizeof t2);
    CHECK_STATUS(TA->AcceptSecurityContext(&sc, &s, &ind, 0, SECURITY_NETWORK_DREP, &s, &outd, &attrs, NULL), SEC_E_OK);
    CHECK(attrs & ASC_RET_CONFIDENTIALITY);
    CHECK_STATUS(TA->QueryContextAttributesA(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(strcmp(names.sUserName, "EXAMPLE\\bob") == 0);
    CHECK_STATUS(TA->FreeContextBuffer(names.sUserName), SEC_E_OK);
    TA->DeleteSecurityContext(&c);
    TA->DeleteSecurityContext(&s);
    TA->FreeCredentialsHandle(&cc);
    TA->FreeCredentialsHandle(&sc);
}

static void allocate_memory(void) {
    CtxtHandle c, s;
    SecBufferDesc ind, outd;
    SecBuffer inb, outb;
    ULONG attrs;
    void *neg;
    struct wire b;
    desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_CONNECTION, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
    CHECK(outb.pvBuffer != NULL && outb.cbBuffer > 0);
    CHECK(attrs == (ISC_RET_ALLOCATED_MEMORY | ISC_RET_CONNECTION));
    neg = outb.pvBuffer;
    desc1(&ind, &inb, SECBUFFER_TOKEN, neg, outb.cbBuffer);
    desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
    CHECK_STATUS(T->AcceptSecurityContext(&server_cred, NULL, &ind, ASC_REQ_ALLOCATE_MEMORY, 0, &s, &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
    CHECK(outb.pvBuffer != NULL && outb.cbBuffer > 0 && (attrs & ASC_RET_ALLOCATED_MEMORY));
    CHECK_STATUS(T->FreeContextBuffer(neg), SEC_E_OK);
    memcpy(b.data, outb.pvBuffer, outb.cbBuffer);
    b.len = outb.cbBuffer;
    CHECK_STATUS(T->FreeContextBuffer(outb.pvBuffer), SEC_E_OK);
    CHECK_STATUS(T->FreeContextBuffer(outb.pvBuffer), SEC_E_INVALID_HANDLE);
    desc1(&ind, &inb, SECBUFFER_TOKEN, b.data, b.len);
    desc1(&outd, &outb, SECBUFFER_TOKEN, NULL, 0);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, &c, NULL, ISC_REQ_ALLOCATE_MEMORY, 0, 0, &ind, 0, &c, &outd, &attrs, NULL), SEC_E_OK);
    desc1(&ind, &inb, SECBUFFER_TOKEN, outb.pvBuffer, outb.cbBuffer);
    {
        SecBufferDesc o2;
        SecBuffer ob2;
        desc1(&o2, &ob2, SECBUFFER_TOKEN, NULL, 0);
        CHECK_STATUS(T->AcceptSecurityContext(&server_cred, &s, &ind, ASC_REQ_ALLOCATE_MEMORY, 0, &s, &o2, &attrs, NULL), SEC_E_OK);
        /* No final token: nothing allocated. */
        CHECK(ob2.pvBuffer == NULL && ob2.cbBuffer == 0);
    }
    CHECK_STATUS(T->FreeContextBuffer(outb.pvBuffer), SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void output_buffer_errors(void) {
    CtxtHandle c = {7, 7}, s;
    SecBufferDesc outd;
    SecBuffer outb[2];
    unsigned char space[64];
    ULONG attrs = 0;
    struct wire a, b, auth;
    /* No output descriptor, a zero-size token, a DATA buffer: too small,
     * and no context is made. */
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, 0, NULL, 0, &c, NULL, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
    CHECK(c.dwLower == 7 && c.dwUpper == 7);
    desc1(&outd, outb, SECBUFFER_TOKEN, space, 0);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
    CHECK(outb[0].cbBuffer == 0);
    desc1(&outd, outb, SECBUFFER_DATA, space, sizeof space);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
    /* A NULL pointer with a size: an internal error, as on Windows. */
    desc1(&outd, outb, SECBUFFER_TOKEN, NULL, TOKEN_MAX);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_E_INTERNAL_ERROR);
    /* Too small by a few bytes: nothing written past cbBuffer. */
    memset(space, 0xAA, sizeof space);
    desc1(&outd, outb, SECBUFFER_TOKEN, space, 8);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
    CHECK(space[8] == 0xAA && space[0] == 0xAA);
    /* The token goes into the TOKEN buffer wherever it is. */
    outb[0].BufferType = SECBUFFER_EMPTY;
    outb[0].cbBuffer = 0;
    outb[0].pvBuffer = NULL;
    outb[1].BufferType = SECBUFFER_TOKEN;
    outb[1].cbBuffer = sizeof a.data;
    outb[1].pvBuffer = a.data;
    outd.cBuffers = 2;
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, 0, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
    a.len = outb[1].cbBuffer;
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &attrs), SEC_I_CONTINUE_NEEDED);
    /* AUTHENTICATE into a small buffer: too small, the context unchanged,
     * and the retry with room succeeds. */
    {
        SecBufferDesc ind;
        SecBuffer inb;
        desc1(&ind, &inb, SECBUFFER_TOKEN, b.data, b.len);
        memset(space, 0xAA, sizeof space);
        desc1(&outd, outb, SECBUFFER_TOKEN, space, 32);
        CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, &c, NULL, 0, 0, 0, &ind, 0, &c, &outd, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
        CHECK(space[32] == 0xAA);
    }
    CHECK_STATUS(isc(&client_cred, &c, &c, 0, &b, &auth, &attrs), SEC_E_OK);
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &auth, &b, &attrs), SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void aliasing_and_allocation_without_a_slot(void) {
    CtxtHandle c, s;
    struct wire a, b, auth;
    SecBuffer one = {0, SECBUFFER_TOKEN, NULL}, data = {4, SECBUFFER_DATA, a.data};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &one}, nodata = {SECBUFFER_VERSION, 1, &data};
    ULONG attrs;
    CHECK_STATUS(isc(&client_cred, NULL, &c, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &attrs), SEC_I_CONTINUE_NEEDED);
    /* One descriptor as both input and output. */
    one.pvBuffer = b.data;
    one.cbBuffer = b.len;
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, &c, NULL, 0, 0, 0, &d, 0, &c, &d, &attrs, NULL), SEC_E_INVALID_TOKEN);
    /* An input buffer over its own SecBuffer array (which a call may
     * rewrite as SECBUFFER_EXTRA) is refused; nothing changes. */
    {
        SecBuffer self[2] = {{0, SECBUFFER_TOKEN, NULL}, {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc sd = {SECBUFFER_VERSION, 2, self};
        self[0].pvBuffer = self;
        self[0].cbBuffer = sizeof self;
        CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, &c, NULL, 0, 0, 0, &sd, 0, &c, &nodata, &attrs, NULL), SEC_E_INVALID_TOKEN);
        CHECK(self[0].BufferType == SECBUFFER_TOKEN && self[1].BufferType == SECBUFFER_EMPTY);
    }
    /* ALLOCATE_MEMORY with no TOKEN output buffer: too small, and the
     * context can still finish. */
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, &c, NULL, ISC_REQ_ALLOCATE_MEMORY, 0, 0, &d, 0, &c, &nodata, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
    CHECK_STATUS(isc(&client_cred, &c, &c, 0, &b, &auth, &attrs), SEC_E_OK);
    CHECK_STATUS(asc(&server_cred, &s, &s, 0, &auth, &b, &attrs), SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

/* Runs a handshake where `mutate` may alter the AUTHENTICATE message, and
 * returns the server's final status. */
static SECURITY_STATUS tampered(CredHandle *cc, CredHandle *sc, void (*mutate)(struct wire *)) {
    CtxtHandle c, s;
    struct wire a, b;
    ULONG attrs;
    SECURITY_STATUS st, after;
    isc(cc, NULL, &c, ALL_PROTECTION, NULL, &a, &attrs);
    asc(sc, NULL, &s, 0, &a, &b, &attrs);
    isc(cc, &c, &c, ALL_PROTECTION, &b, &a, &attrs);
    if (mutate) mutate(&a);
    st = asc(sc, &s, &s, 0, &a, &b, &attrs);
    if (st != SEC_E_OK) {
        /* The failed context is unusable, but still deletable. */
        SecPkgContext_Sizes sizes;
        after = T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &sizes);
        CHECK_STATUS(after, SEC_E_INVALID_HANDLE);
    }
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    return st;
}

static ULONG u32at(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (ULONG)p[3] << 24; }

/* AUTHENTICATE fields (MS-NLMP 2.2.1.3): NtChallengeResponse at 20, user at 36, MIC at 72. */
static void flip_nt_proof(struct wire *w) { w->data[u32at(w->data + 24)] ^= 1; }
static void flip_blob_end(struct wire *w) { w->data[u32at(w->data + 24) + (w->data[20] | w->data[21] << 8) - 1] ^= 1; }
static void flip_mic(struct wire *w) { w->data[72] ^= 0x80; }
static void flip_user(struct wire *w) { w->data[u32at(w->data + 40)] ^= 0x20; w->data[u32at(w->data + 40) + 2] ^= 1; }
static void flip_flags(struct wire *w) { w->data[60 + 2] ^= 0x02; /* drop TARGET_INFO bit? any flag */ }
static void add_trailing(struct wire *w) { memset(w->data + w->len, 0x5A, 16); w->len += 16; }
static void truncate_half(struct wire *w) { w->len /= 2; }

static void wrong_password_and_tampering(void) {
    CredHandle bad, stranger;
    CHECK_STATUS(tampered(&client_cred, &server_cred, NULL), SEC_E_OK);
    CHECK_STATUS(acquire("CORP\\alice", NULL, "wrong", SECPKG_CRED_OUTBOUND, &bad), SEC_E_OK);
    CHECK_STATUS(tampered(&bad, &server_cred, NULL), SEC_E_LOGON_DENIED);
    CHECK_STATUS(acquire("CORP\\mallory", NULL, "Passw0rd!", SECPKG_CRED_OUTBOUND, &stranger), SEC_E_OK);
    CHECK_STATUS(tampered(&stranger, &server_cred, NULL), SEC_E_LOGON_DENIED);
    CHECK_STATUS(tampered(&client_cred, &server_cred, flip_nt_proof), SEC_E_LOGON_DENIED);
    CHECK_STATUS(tampered(&client_cred, &server_cred, flip_blob_end), SEC_E_LOGON_DENIED);
    CHECK_STATUS(tampered(&client_cred, &server_cred, flip_mic), SEC_E_LOGON_DENIED);
    CHECK_STATUS(tampered(&client_cred, &server_cred, flip_user), SEC_E_LOGON_DENIED);
    CHECK_STATUS(tampered(&client_cred, &server_cred, flip_flags), SEC_E_LOGON_DENIED);
    CHECK_STATUS(tampered(&client_cred, &server_cred, truncate_half), SEC_E_INVALID_TOKEN);
    /* Bytes after the message are not part of it. */
    CHECK_STATUS(tampered(&client_cred, &server_cred, add_trailing), SEC_E_OK);
    FreeCredentialsHandle(&bad);
    FreeCredentialsHandle(&stranger);
}

/* An output buffer flagged SECBUFFER_READONLY (or READONLY_WITH_CHECKSUM)
 * is never written, not even when it is the only TOKEN buffer: its memory
 * here is mapped read-only, so a write would crash the test. */
static void readonly_output_buffers_are_never_written(void) {
    const ULONG flags[2] = {SECBUFFER_READONLY, SECBUFFER_READONLY_WITH_CHECKSUM};
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *ro = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char writable[256];
    CtxtHandle c, s, untouched = {0x1234, 0x5678};
    struct wire a, b, auth;
    SecBuffer outb[2], inb, msgb[2];
    SecBufferDesc outd = {SECBUFFER_VERSION, 1, outb}, ind, msgd = {SECBUFFER_VERSION, 2, msgb};
    ULONG attrs, i;
    CHECK(ro != MAP_FAILED);
    memset(ro, 0xAA, page);
    CHECK(mprotect(ro, page, PROT_READ) == 0);
    for (i = 0; i < 2; i++) {
        ULONG type = SECBUFFER_TOKEN | flags[i];
        /* The first ISC: no slot for NEGOTIATE, so too small, no context. */
        outb[0] = (SecBuffer){(ULONG)page, type, ro};
        outd.cBuffers = 1;
        c = untouched;
        CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, ALL_PROTECTION, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
        CHECK(outb[0].BufferType == type && outb[0].cbBuffer == page && outb[0].pvBuffer == ro);
        CHECK(c.dwLower == untouched.dwLower && c.dwUpper == untouched.dwUpper);
        /* A writable TOKEN buffer after it takes the token. */
        outb[1] = (SecBuffer){sizeof writable, SECBUFFER_TOKEN, writable};
        outd.cBuffers = 2;
        CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, NULL, NULL, ALL_PROTECTION, 0, 0, NULL, 0, &c, &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
        CHECK(outb[0].cbBuffer == page && outb[1].cbBuffer > 0 && memcmp(writable, "NTLMSSP", 8) == 0);
        memcpy(a.data, writable, outb[1].cbBuffer);
        a.len = outb[1].cbBuffer;
        /* ASC with only a read-only slot for CHALLENGE: too small. */
        desc1(&ind, &inb, SECBUFFER_TOKEN, a.data, a.len);
        outd.cBuffers = 1;
        s = untouched;
        CHECK_STATUS(T->AcceptSecurityContext(&server_cred, NULL, &ind, 0, 0, &s, &outd, &attrs, NULL), SEC_E_BUFFER_TOO_SMALL);
        CHECK(outb[0].cbBuffer == page && s.dwLower == untouched.dwLower);
        CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &attrs), SEC_I_CONTINUE_NEEDED);
        CHECK_STATUS(isc(&client_cred, &c, &c, ALL_PROTECTION, &b, &auth, &attrs), SEC_E_OK);
        CHECK_STATUS(asc(&server_cred, &s, &s, 0, &auth, &b, &attrs), SEC_E_OK);
        /* MakeSignature and EncryptMessage into a read-only token: refused,
         * and no sequence number spent (the next signature verifies). */
        msgb[0] = (SecBuffer){16, type, ro};
        msgb[1] = (SecBuffer){5, SECBUFFER_DATA, (void *)"hello"};
        msgb[1].BufferType |= SECBUFFER_READONLY;
        CHECK_STATUS(T->MakeSignature(&c, 0, &msgd, 0), SEC_E_INVALID_TOKEN);
        CHECK_STATUS(T->EncryptMessage(&c, 0, &msgd, 0), SEC_E_INVALID_TOKEN);
        msgb[0] = (SecBuffer){16, SECBUFFER_TOKEN, writable};
        CHECK_STATUS(T->MakeSignature(&c, 0, &msgd, 0), SEC_E_OK);
        CHECK_STATUS(T->VerifySignature(&s, &msgd, 0, NULL), SEC_E_OK);
        T->DeleteSecurityContext(&c);
        T->DeleteSecurityContext(&s);
    }
    for (i = 0; i < page; i++) {
        if (ro[i] != 0xAA) break;
    }
    CHECK(i == page);
    munmap(ro, page);
}

/* A man in the middle edits the CHALLENGE (`mutate`) so that the client
 * leaves out its MIC or weakens the session; returns the server's status. */
static SECURITY_STATUS mitm_challenge(void (*mutate)(struct wire *)) {
    CtxtHandle c, s;
    struct wire a, b;
    ULONG attrs;
    SECURITY_STATUS st;
    isc(&client_cred, NULL, &c, ALL_PROTECTION, NULL, &a, &attrs);
    asc(&server_cred, NULL, &s, 0, &a, &b, &attrs);
    mutate(&b);
    isc(&client_cred, &c, &c, ALL_PROTECTION, &b, &a, &attrs);
    st = asc(&server_cred, &s, &s, 0, &a, &b, &attrs);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    return st;
}

/* CHALLENGE fields (MS-NLMP 2.2.1.2): NegotiateFlags at 20, TargetInfo's
 * length at 40 and offset at 44. Returns the TargetInfo offset of the
 * MsvAvTimestamp (7) pair. */
static unsigned timestamp_pair(const struct wire *w) {
    unsigned start = u32at(w->data + 44), len = w->data[40] | w->data[41] << 8, at = 0;
    while (at + 4 <= len) {
        unsigned id = w->data[start + at] | w->data[start + at + 1] << 8;
        if (id == 7) return start + at;
        at += 4 + (w->data[start + at + 2] | w->data[start + at + 3] << 8);
    }
    CHECK(!"no timestamp in the CHALLENGE");
    return start;
}
static void rename_timestamp(struct wire *w) { w->data[timestamp_pair(w) + 1] = 1; }
static void cut_before_timestamp(struct wire *w) {
    unsigned at = timestamp_pair(w), len = at - u32at(w->data + 44) + 4;
    memset(w->data + at, 0, 4); /* MsvAvEOL */
    w->data[40] = w->data[42] = len & 0xff;
    w->data[41] = w->data[43] = len >> 8;
}
static void clear_flag(struct wire *w, ULONG flag) {
    ULONG f = u32at(w->data + 20) & ~flag;
    w->data[20] = f & 0xff;
    w->data[21] = f >> 8 & 0xff;
    w->data[22] = f >> 16 & 0xff;
    w->data[23] = f >> 24 & 0xff;
}
static void clear_target_info(struct wire *w) { clear_flag(w, 0x00800000); }
static void clear_seal(struct wire *w) { clear_flag(w, 0x20); }
static void clear_key_exch(struct wire *w) { clear_flag(w, 0x40000000); }

static void man_in_the_middle_edits_the_challenge(void) {
    CHECK_STATUS(mitm_challenge(rename_timestamp), SEC_E_LOGON_DENIED);
    CHECK_STATUS(mitm_challenge(cut_before_timestamp), SEC_E_LOGON_DENIED);
    CHECK_STATUS(mitm_challenge(clear_target_info), SEC_E_LOGON_DENIED);
    CHECK_STATUS(mitm_challenge(clear_seal), SEC_E_LOGON_DENIED);
    CHECK_STATUS(mitm_challenge(clear_key_exch), SEC_E_LOGON_DENIED);
}

static void truncated_and_garbage_tokens(void) {
    CtxtHandle c, s;
    struct wire a, b, cut;
    ULONG attrs, n;
    CHECK_STATUS(isc(&client_cred, NULL, &c, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    for (n = 0; n < a.len; n++) {
        CtxtHandle x = {0, 0};
        memcpy(cut.data, a.data, n);
        cut.len = n;
        if (n == 32) {
            /* The fixed part alone is a NEGOTIATE without VERSION, which
             * older clients send. */
            CHECK_STATUS(asc(&server_cred, NULL, &x, 0, &cut, &b, &attrs), SEC_I_CONTINUE_NEEDED);
            CHECK_STATUS(T->DeleteSecurityContext(&x), SEC_E_OK);
            continue;
        }
        CHECK_STATUS(asc(&server_cred, NULL, &x, 0, &cut, &b, &attrs), SEC_E_INVALID_TOKEN);
        CHECK(x.dwLower == 0 && x.dwUpper == 0);
    }
    memset(cut.data, 0x4e, 200);
    cut.len = 200;
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &cut, &b, &attrs), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(asc(&server_cred, NULL, &s, 0, &a, &b, &attrs), SEC_I_CONTINUE_NEEDED);
    T->DeleteSecurityContext(&c);
    for (n = 0; n < b.len; n++) {
        CtxtHandle x;
        CHECK_STATUS(isc(&client_cred, NULL, &x, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
        memcpy(cut.data, b.data, n);
        cut.len = n;
        CHECK_STATUS(isc(&client_cred, &x, &x, 0, &cut, &a, &attrs), SEC_E_INVALID_TOKEN);
        CHECK_STATUS(T->DeleteSecurityContext(&x), SEC_E_OK);
    }
    T->DeleteSecurityContext(&s);
}

static void protection_both_ways(void) {
    CtxtHandle c, s;
    int seal;
    pair(&c, &s);
    for (seal = 0; seal < 2; seal++) {
        struct msg m = text("Hello, world!"), m2 = text("second"), replay;
        ULONG qop = 0xdeadbeef;
        CHECK_STATUS(sign(&c, &m, seal), SEC_E_OK);
        CHECK(m.sig[0] == 1 && m.sig[1] == 0 && m.sig[12] == (seal ? 1 : 0));
        CHECK(seal ? memcmp(m.data, "Hello, world!", 13) != 0 : memcmp(m.data, "Hello, world!", 13) == 0);
        replay = m;
        CHECK_STATUS(check(&s, &m, seal, &qop), SEC_E_OK);
        /* Windows' NTLM reports no quality of protection: pfQOP is left as it was. */
        CHECK(qop == 0xdeadbeef && memcmp(m.data, "Hello, world!", 13) == 0);
        /* Replayed: valid signature, old sequence number. */
        qop = 0xdeadbeef;
        CHECK_STATUS(check(&s, &replay, seal, &qop), SEC_E_OUT_OF_SEQUENCE);
        CHECK(qop == 0xdeadbeef);
        /* Server to client. */
        CHECK_STATUS(sign(&s, &m2, seal), SEC_E_OK);
        CHECK_STATUS(check(&c, &m2, seal, NULL), SEC_E_OK);
        CHECK(memcmp(m2.data, "second", 6) == 0);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void tamper_and_reorder(void) {
    CtxtHandle c, s;
    struct msg m1 = text("one"), m2 = text("two"), m3 = text("three");
    pair(&c, &s);
    CHECK_STATUS(sign(&c, &m1, 0), SEC_E_OK);
    CHECK_STATUS(sign(&c, &m2, 0), SEC_E_OK);
    /* Reordered: m2 first. */
    CHECK_STATUS(check(&s, &m2, 0, NULL), SEC_E_OUT_OF_SEQUENCE);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    pair(&c, &s);
    m1 = text("one");
    CHECK_STATUS(sign(&c, &m1, 0), SEC_E_OK);
    m1.data[0] ^= 1;
    CHECK_STATUS(check(&s, &m1, 0, NULL), SEC_E_MESSAGE_ALTERED);
    /* A message that fails leaves the direction in step: the genuine one still verifies. */
    m1.data[0] ^= 1;
    CHECK_STATUS(check(&s, &m1, 0, NULL), SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    pair(&c, &s);
    CHECK_STATUS(sign(&c, &m3, 1), SEC_E_OK);
    m3.data[2] ^= 4;
    CHECK_STATUS(check(&s, &m3, 1, NULL), SEC_E_MESSAGE_ALTERED);
    /* The failed DecryptMessage left the ciphertext as it was, and the stream in step. */
    m3.data[2] ^= 4;
    CHECK_STATUS(check(&s, &m3, 1, NULL), SEC_E_OK);
    CHECK(memcmp(m3.data, "three", 5) == 0);
    m3 = text("three");
    CHECK_STATUS(sign(&c, &m3, 1), SEC_E_OK);
    m3.sig[8] ^= 1;
    CHECK_STATUS(check(&s, &m3, 1, NULL), SEC_E_MESSAGE_ALTERED);
    m3.sig[8] ^= 1;
    CHECK_STATUS(check(&s, &m3, 1, NULL), SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void token_buffer_rules(void) {
    CtxtHandle c, s;
    unsigned char data[8] = "abcdefg", small[15], big[40];
    SecBuffer b[2];
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 7;
    pair(&c, &s);
    /* No TOKEN buffer. */
    b[0] = (SecBuffer){8, SECBUFFER_DATA, data};
    b[1] = (SecBuffer){8, SECBUFFER_DATA, data + 0};
    d.cBuffers = 1;
    CHECK_STATUS(T->MakeSignature(&c, 0, &d, 0), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(T->VerifySignature(&c, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(T->EncryptMessage(&c, 0, &d, 0), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(T->DecryptMessage(&c, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    CHECK(qop == 7);
    /* A token under 16 bytes. */
    d.cBuffers = 2;
    memset(small, 0xAA, sizeof small);
    b[1] = (SecBuffer){sizeof small, SECBUFFER_TOKEN, small};
    CHECK_STATUS(T->MakeSignature(&c, 0, &d, 0), SEC_E_BUFFER_TOO_SMALL);
    CHECK_STATUS(T->EncryptMessage(&c, 0, &d, 0), SEC_E_BUFFER_TOO_SMALL);
    CHECK(small[14] == 0xAA && memcmp(data, "abcdefg", 8) == 0);
    CHECK_STATUS(T->VerifySignature(&s, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(T->DecryptMessage(&s, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    /* A larger token: the signature is 16 bytes and cbBuffer says so. */
    b[1] = (SecBuffer){sizeof big, SECBUFFER_TOKEN, big};
    CHECK_STATUS(T->MakeSignature(&c, 0, &d, 0), SEC_E_OK);
    CHECK(b[1].cbBuffer == 16);
    CHECK_STATUS(T->VerifySignature(&s, &d, 0, &qop), SEC_E_OK);
    /* Unknown quality of protection. */
    CHECK_STATUS(T->MakeSignature(&c, 5, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
    CHECK_STATUS(T->EncryptMessage(&c, 5, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

/* DecryptMessage over a SECBUFFER_STREAM holding signature and ciphertext
 * (what sspilib's unwrap passes): the DATA buffer ends up pointing at the
 * plaintext inside the stream. EncryptMessage takes an empty PADDING
 * buffer alongside. */
static void stream_buffers(void) {
    CtxtHandle c, s;
    unsigned char stream[64], sig[16], pad[1];
    char body[] = "streamed message";
    ULONG qop = 7;
    pair(&c, &s);
    {
        SecBuffer b[3] = {{16, SECBUFFER_TOKEN, sig}, {sizeof body - 1, SECBUFFER_DATA, body}, {0, SECBUFFER_PADDING, pad}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        CHECK_STATUS(T->EncryptMessage(&c, 0, &d, 0), SEC_E_OK);
        CHECK(b[0].cbBuffer == 16 && b[1].cbBuffer == sizeof body - 1 && b[2].cbBuffer == 0);
        memcpy(stream, sig, 16);
        memcpy(stream + 16, body, sizeof body - 1);
    }
    {
        SecBuffer b[2] = {{16 + sizeof body - 1, SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_STATUS(T->DecryptMessage(&s, &d, 0, &qop), SEC_E_OK);
        CHECK(qop == 7);
        CHECK(b[1].pvBuffer == stream + 16 && b[1].cbBuffer == sizeof body - 1);
        CHECK(memcmp(stream + 16, "streamed message", sizeof body - 1) == 0);
    }
    {
        /* Tampered, too short, or without a DATA buffer. */
        struct msg m = text("second");
        SecBuffer b[2] = {{0, SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_STATUS(sign(&c, &m, 1), SEC_E_OK);
        memcpy(stream, m.sig, 16);
        memcpy(stream + 16, m.data, m.len);
        b[0].cbBuffer = 15;
        CHECK_STATUS(T->DecryptMessage(&s, &d, 0, NULL), SEC_E_INVALID_TOKEN);
        b[0].cbBuffer = 16 + m.len;
        b[1].BufferType = SECBUFFER_EMPTY;
        CHECK_STATUS(T->DecryptMessage(&s, &d, 0, NULL), SEC_E_INVALID_TOKEN);
        b[1].BufferType = SECBUFFER_DATA;
        stream[20] ^= 1;
        CHECK_STATUS(T->DecryptMessage(&s, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
        CHECK(b[1].pvBuffer == NULL && b[1].cbBuffer == 0);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

/* A buffer over the SecBuffer array itself, READONLY or not: the array is
 * where the lengths are written back, so it is refused before anything is
 * read or written. */
static void buffer_over_its_own_array(void) {
    CtxtHandle c, s;
    SecBuffer b[2];
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    unsigned char sig[16];
    SecBuffer saved[2];
    ULONG types[3] = {SECBUFFER_DATA | SECBUFFER_READONLY, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, SECBUFFER_DATA};
    int i;
    pair(&c, &s);
    for (i = 0; i < 3; i++) {
        b[0].BufferType = SECBUFFER_TOKEN, b[0].cbBuffer = sizeof sig, b[0].pvBuffer = sig;
        b[1].BufferType = types[i], b[1].cbBuffer = sizeof b, b[1].pvBuffer = b;
        memcpy(saved, b, sizeof b);
        CHECK_STATUS(T->MakeSignature(&c, 0, &d, 0), SEC_E_INVALID_TOKEN);
        CHECK(memcmp(saved, b, sizeof b) == 0);
        CHECK_STATUS(T->EncryptMessage(&c, 0, &d, 0), SEC_E_INVALID_TOKEN);
        CHECK(memcmp(saved, b, sizeof b) == 0);
        CHECK_STATUS(T->VerifySignature(&s, &d, 0, NULL), SEC_E_INVALID_TOKEN);
        CHECK_STATUS(T->DecryptMessage(&s, &d, 0, NULL), SEC_E_INVALID_TOKEN);
        CHECK(memcmp(saved, b, sizeof b) == 0);
    }
    {
        /* Still in step: nothing was signed or sealed. */
        struct msg m = text("after");
        CHECK_STATUS(sign(&c, &m, 1), SEC_E_OK);
        CHECK_STATUS(check(&s, &m, 1, NULL), SEC_E_OK);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void readonly_buffers_signed_not_encrypted(void) {
    CtxtHandle c, s;
    unsigned char hdr[12] = "Header Test", body[14] = "Hello, World!", trl[12] = "Header Test", sig[16];
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    pair(&c, &s);
    b[0] = (SecBuffer){12, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, hdr};
    b[1] = (SecBuffer){13, SECBUFFER_DATA, body};
    b[2] = (SecBuffer){12, SECBUFFER_DATA | SECBUFFER_READONLY, trl};
    b[3] = (SecBuffer){16, SECBUFFER_TOKEN, sig};
    CHECK_STATUS(T->EncryptMessage(&c, 0, &d, 0), SEC_E_OK);
    CHECK(memcmp(hdr, "Header Test", 12) == 0 && memcmp(trl, "Header Test", 12) == 0);
    CHECK(memcmp(body, "Hello, World!", 13) != 0);
    /* The read-only buffers are covered by the signature. */
    hdr[0] = 'h';
    CHECK_STATUS(T->DecryptMessage(&s, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    pair(&c, &s);
    hdr[0] = 'H';
    memcpy(body, "Hello, World!", 14);
    CHECK_STATUS(T->EncryptMessage(&c, 0, &d, 0), SEC_E_OK);
    CHECK_STATUS(T->DecryptMessage(&s, &d, 0, NULL), SEC_E_OK);
    CHECK(memcmp(body, "Hello, World!", 13) == 0);
    /* SECQOP_WRAP_NO_ENCRYPT still seals (NTLM cannot say otherwise on the
     * wire, and Windows seals); the peer decrypts and leaves pfQOP alone. */
    {
        ULONG qop = 0xdeadbeef;
        CHECK_STATUS(T->EncryptMessage(&c, SECQOP_WRAP_NO_ENCRYPT, &d, 0), SEC_E_OK);
        CHECK(memcmp(body, "Hello, World!", 13) != 0);
        CHECK_STATUS(T->DecryptMessage(&s, &d, 0, &qop), SEC_E_OK);
        CHECK(memcmp(body, "Hello, World!", 13) == 0);
        CHECK(qop == 0xdeadbeef);
        CHECK_STATUS(T->EncryptMessage(&c, 2, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void without_integrity(void) {
    CtxtHandle c, s;
    struct msg m = text("Hello, world!");
    static const unsigned char dummy[16] = {1};
    struct outcome o = handshake(&client_cred, &server_cred, 0, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK_STATUS(sign(&c, &m, 0), SEC_E_OK);
    CHECK(memcmp(m.sig, dummy, 16) == 0);
    CHECK_STATUS(check(&s, &m, 0, NULL), SEC_E_OK);
    m.sig[4] = 9;
    CHECK_STATUS(check(&s, &m, 0, NULL), SEC_E_MESSAGE_ALTERED);
    CHECK_STATUS(sign(&c, &m, 1), SEC_E_UNSUPPORTED_FUNCTION);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

/* Integrity without confidentiality (what MIT's GSS-API with gss-ntlmssp
 * negotiates before it seals with gss_wrap): EncryptMessage and
 * DecryptMessage work both ways, as on Windows. */
static void sealing_with_integrity_only(void) {
    CtxtHandle c, s;
    int i;
    struct outcome o = handshake(&client_cred, &server_cred, ISC_REQ_INTEGRITY, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK(o.client_attrs == ISC_RET_INTEGRITY && (o.server_attrs & ASC_RET_CONFIDENTIALITY) == 0);
    for (i = 0; i < 2; i++) {
        struct msg m = text("sealed, not asked"), r = text("sealed reply");
        CHECK_STATUS(sign(&c, &m, 1), SEC_E_OK);
        CHECK(memcmp(m.data, "sealed, not asked", 17) != 0);
        CHECK_STATUS(check(&s, &m, 1, NULL), SEC_E_OK);
        CHECK(memcmp(m.data, "sealed, not asked", 17) == 0);
        CHECK_STATUS(sign(&s, &r, 1), SEC_E_OK);
        CHECK_STATUS(check(&c, &r, 1, NULL), SEC_E_OK);
        CHECK(memcmp(r.data, "sealed reply", 12) == 0);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void attributes(void) {
    CtxtHandle c, s, pending;
    SecPkgContext_Sizes sizes = {0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef};
    SecPkgContext_StreamSizes stream;
    SecPkgContext_NamesW names;
    SecPkgContext_NativeNamesW native;
    SecPkgContext_SessionKey ck, sk;
    SecPkgContext_Flags flags;
    SecPkgContext_PackageInfoW pkg;
    SecPkgContext_NegotiationInfoW nego;
    SecPkgContext_Lifespan life;
    SecPkgContext_KeyInfoW key;
    SecPkgContext_AuthorityW auth;
    struct wire a;
    ULONG attrs;
    pair(&c, &s);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK(sizes.cbMaxToken == 2888 && sizes.cbMaxSignature == 16 && sizes.cbBlockSize == 0 && sizes.cbSecurityTrailer == 16);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_STREAM_SIZES, &stream), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "CORP\\alice"));
    T->FreeContextBuffer(names.sUserName);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "CORP\\alice"));
    T->FreeContextBuffer(names.sUserName);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_NATIVE_NAMES, &native), SEC_E_OK);
    CHECK(weq(native.sClientName, "CORP\\alice") && weq(native.sServerName, "HTTP/server.example"));
    T->FreeContextBuffer(native.sClientName);
    T->FreeContextBuffer(native.sServerName);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NATIVE_NAMES, &native), SEC_E_OK);
    CHECK(weq(native.sClientName, "CORP\\alice") && weq(native.sServerName, "HTTP/server.example"));
    T->FreeContextBuffer(native.sClientName);
    T->FreeContextBuffer(native.sServerName);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_SESSION_KEY, &ck), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
    CHECK(ck.SessionKeyLength == 16 && sk.SessionKeyLength == 16 && memcmp(ck.SessionKey, sk.SessionKey, 16) == 0);
    T->FreeContextBuffer(ck.SessionKey);
    T->FreeContextBuffer(sk.SessionKey);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK(flags.Flags == ALL_PROTECTION);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK(flags.Flags == ALL_PROTECTION_ASC);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_PACKAGE_INFO, &pkg), SEC_E_OK);
    CHECK(weq(pkg.PackageInfo->Name, "NTLM") && pkg.PackageInfo->wRPCID == 10 && pkg.PackageInfo->cbMaxToken == 2888);
    CHECK_STATUS(T->FreeContextBuffer(pkg.PackageInfo), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NEGOTIATION_INFO, &nego), SEC_E_OK);
    CHECK(nego.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && weq(nego.PackageInfo->Name, "NTLM"));
    CHECK((nego.PackageInfo->fCapabilities & 0x2B37) == 0x2B37 && nego.PackageInfo->wVersion == 1);
    CHECK_STATUS(T->FreeContextBuffer(nego.PackageInfo), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
    CHECK(life.tsExpiry.HighPart == 0x7fffffff && life.tsStart.HighPart > 0x01d00000);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_KEY_INFO, &key), SEC_E_OK);
    CHECK(weq(key.sSignatureAlgorithmName, "HMAC-MD5") && weq(key.sEncryptAlgorithmName, "RSADSI RC4"));
    CHECK(key.KeySize == 128 && key.SignatureAlgorithm == 0xffffff76 && key.EncryptAlgorithm == CALG_RC4);
    T->FreeContextBuffer(key.sSignatureAlgorithmName);
    T->FreeContextBuffer(key.sEncryptAlgorithmName);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_AUTHORITY, &auth), SEC_E_OK);
    CHECK(weq(auth.sAuthorityName, "CORP"));
    T->FreeContextBuffer(auth.sAuthorityName);
    /* Before completion: sizes and negotiation state, but no names. */
    CHECK_STATUS(isc(&client_cred, NULL, &pending, 0, NULL, &a, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(T->QueryContextAttributesW(&pending, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&pending, SECPKG_ATTR_NEGOTIATION_INFO, &nego), SEC_E_OK);
    CHECK(nego.NegotiationState == SECPKG_NEGOTIATION_IN_PROGRESS);
    T->FreeContextBuffer(nego.PackageInfo);
    CHECK_STATUS(T->QueryContextAttributesW(&pending, SECPKG_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(T->QueryContextAttributesW(&pending, SECPKG_ATTR_SESSION_KEY, &ck), SEC_E_INVALID_HANDLE);
    {
        struct msg m = text("x");
        CHECK_STATUS(sign(&pending, &m, 0), SEC_E_INVALID_HANDLE);
    }
    T->DeleteSecurityContext(&pending);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
}

static void export_import(void) {
    CtxtHandle c, s, c2, s2;
    SecBuffer pc, ps;
    struct msg m = text("after import"), m2 = text("and back");
    SecBuffer junk = {5, SECBUFFER_EMPTY, (void *)"junk!"};
    pair(&c, &s);
    {
        struct msg warm = text("warm-up");
        CHECK_STATUS(sign(&c, &warm, 1), SEC_E_OK);
        CHECK_STATUS(check(&s, &warm, 1, NULL), SEC_E_OK);
    }
    CHECK_STATUS(T->ExportSecurityContext(&c, 0, &pc, NULL), SEC_E_OK);
    CHECK_STATUS(T->ExportSecurityContext(&s, 0, &ps, NULL), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&s), SEC_E_OK);
    CHECK_STATUS(T->ImportSecurityContextW(wstr("NTLM"), &pc, NULL, &c2), SEC_E_OK);
    CHECK_STATUS(T->ImportSecurityContextW(wstr("NTLM"), &ps, NULL, &s2), SEC_E_OK);
    T->FreeContextBuffer(pc.pvBuffer);
    T->FreeContextBuffer(ps.pvBuffer);
    CHECK_STATUS(sign(&c2, &m, 1), SEC_E_OK);
    CHECK_STATUS(check(&s2, &m, 1, NULL), SEC_E_OK);
    CHECK(memcmp(m.data, "after import", 12) == 0);
    CHECK_STATUS(sign(&s2, &m2, 0), SEC_E_OK);
    CHECK_STATUS(check(&c2, &m2, 0, NULL), SEC_E_OK);
    {
        SecPkgContext_NamesW names;
        CHECK_STATUS(T->QueryContextAttributesW(&s2, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
        CHECK(weq(names.sUserName, "CORP\\alice"));
        T->FreeContextBuffer(names.sUserName);
    }
    CHECK(T->ImportSecurityContextW(wstr("NTLM"), &junk, NULL, &c) != SEC_E_OK);
    T->DeleteSecurityContext(&c2);
    T->DeleteSecurityContext(&s2);
}

/* SEC_CHANNEL_BINDINGS with `app` as application data. */
struct bindings {
    SEC_CHANNEL_BINDINGS h;
    char app[32];
};

static SECURITY_STATUS with_bindings(const char *client_app, const char *server_app) {
    CtxtHandle c, s;
    struct wire a, b;
    struct bindings cb, sb;
    SecBuffer ib[2], ob;
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, ib}, outd;
    ULONG attrs;
    SECURITY_STATUS st;
    memset(&cb, 0, sizeof cb);
    memset(&sb, 0, sizeof sb);
    cb.h.cbApplicationDataLength = client_app ? (ULONG)strlen(client_app) : 0;
    cb.h.dwApplicationDataOffset = sizeof cb.h;
    if (client_app) memcpy(cb.app, client_app, strlen(client_app));
    sb.h.cbApplicationDataLength = server_app ? (ULONG)strlen(server_app) : 0;
    sb.h.dwApplicationDataOffset = sizeof sb.h;
    if (server_app) memcpy(sb.app, server_app, strlen(server_app));
    isc(&client_cred, NULL, &c, 0, NULL, &a, &attrs);
    ib[0] = (SecBuffer){a.len, SECBUFFER_TOKEN, a.data};
    ib[1] = (SecBuffer){(ULONG)(sizeof sb.h + sb.h.cbApplicationDataLength), SECBUFFER_CHANNEL_BINDINGS, &sb};
    ind.cBuffers = server_app ? 2 : 1;
    desc1(&outd, &ob, SECBUFFER_TOKEN, b.data, TOKEN_MAX);
    T->AcceptSecurityContext(&server_cred, NULL, &ind, 0, 0, &s, &outd, &attrs, NULL);
    b.len = ob.cbBuffer;
    ib[0] = (SecBuffer){b.len, SECBUFFER_TOKEN, b.data};
    ib[1] = (SecBuffer){(ULONG)(sizeof cb.h + cb.h.cbApplicationDataLength), SECBUFFER_CHANNEL_BINDINGS, &cb};
    ind.cBuffers = client_app ? 2 : 1;
    desc1(&outd, &ob, SECBUFFER_TOKEN, a.data, TOKEN_MAX);
    CHECK_STATUS(T->InitializeSecurityContextW(&client_cred, &c, NULL, 0, 0, 0, &ind, 0, &c, &outd, &attrs, NULL), SEC_E_OK);
    a.len = ob.cbBuffer;
    st = asc(&server_cred, &s, &s, 0, &a, &b, &attrs);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    return st;
}

static void channel_bindings(void) {
    CHECK_STATUS(with_bindings("tls-server-end-point:abc", "tls-server-end-point:abc"), SEC_E_OK);
    CHECK_STATUS(with_bindings("tls-server-end-point:abd", "tls-server-end-point:abc"), SEC_E_BAD_BINDINGS);
    CHECK_STATUS(with_bindings(NULL, "tls-server-end-point:abc"), SEC_E_BAD_BINDINGS);
    /* Bindings the server does not check are accepted. */
    CHECK_STATUS(with_bindings("tls-server-end-point:abc", NULL), SEC_E_OK);
}

static void anonymous(void) {
    CtxtHandle c, s;
    CredHandle anon;
    SecPkgContext_NamesW names;
    struct outcome o = handshake(&client_cred, &server_cred, ISC_REQ_NULL_SESSION, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK(o.client_attrs & ISC_RET_NULL_SESSION);
    CHECK(o.server_attrs & ASC_RET_NULL_SESSION);
    CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "NT AUTHORITY\\ANONYMOUS LOGON"));
    T->FreeContextBuffer(names.sUserName);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    /* Empty user, domain and password: anonymous too. */
    CHECK_STATUS(acquire("", "", "", SECPKG_CRED_OUTBOUND, &anon), SEC_E_OK);
    o = handshake(&anon, &server_cred, 0, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    CHECK(o.server_attrs & ASC_RET_NULL_SESSION);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&anon);
}

static void nt_hash_instead_of_password(void) {
    /* NT hash of "Passw0rd!" as 32 hex digits; PasswordLength = 32 + 512. */
    static const char *hash = "fc525c9683e8fe067095ba2ddc971889";
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    CredHandle h;
    CtxtHandle c, s;
    struct outcome o;
    id.User = (unsigned char *)"alice";
    id.UserLength = 5;
    id.Domain = (unsigned char *)"CORP";
    id.DomainLength = 4;
    id.Password = (unsigned char *)hash;
    id.PasswordLength = 32 + SSPI_CREDENTIALS_HASH_LENGTH_OFFSET;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    o = handshake(&h, &server_cred, 0, 0, &c, &s);
    CHECK_STATUS(o.asc2, SEC_E_OK);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&h);
    id.PasswordLength = 31 + SSPI_CREDENTIALS_HASH_LENGTH_OFFSET;
    CHECK_STATUS(TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_INVALID_PARAMETER);
}

int main(void) {
    setup();
    RUN(handshake_codes_and_flags);
    RUN(flags_are_what_was_negotiated);
    RUN(a_table_handshake);
    RUN(allocate_memory);
    RUN(output_buffer_errors);
    RUN(aliasing_and_allocation_without_a_slot);
    RUN(wrong_password_and_tampering);
    RUN(man_in_the_middle_edits_the_challenge);
    RUN(readonly_output_buffers_are_never_written);
    RUN(truncated_and_garbage_tokens);
    RUN(protection_both_ways);
    RUN(tamper_and_reorder);
    RUN(token_buffer_rules);
    RUN(readonly_buffers_signed_not_encrypted);
    RUN(buffer_over_its_own_array);
    RUN(stream_buffers);
    RUN(without_integrity);
    RUN(sealing_with_integrity_only);
    RUN(attributes);
    RUN(export_import);
    RUN(channel_bindings);
    RUN(anonymous);
    RUN(nt_hash_instead_of_password);
    T->FreeCredentialsHandle(&client_cred);
    T->FreeCredentialsHandle(&server_cred);
    return check_summary();
}

/* The Kerberos benchmark: opensspi's "Kerberos" package (loaded with
 * dlopen, through InitSecurityInterfaceW's table) beside MIT Kerberos'
 * GSS-API (linked: libgssapi_krb5), on the same realm, tickets and keytab,
 * on one core:
 *
 *   - handshakes per second with a cached service ticket: a mutual
 *     AP-REQ/AP-REP exchange, initiator and acceptor in one process (the
 *     initiator's credentials from the ccache after kinit, the acceptor's
 *     from the keytab); then the same inside SPNEGO ("Negotiate" choosing
 *     Kerberos, MIT's SPNEGO mechanism);
 *   - wrap+unwrap throughput at 64 B, 1 KiB and 16 KiB: EncryptMessage on
 *     the initiator and DecryptMessage on the acceptor ([TOKEN, DATA]), or
 *     gss_wrap (conf_req 1) and gss_unwrap.
 *
 *   kerberos_bench CEILING_MB_PER_S LIBRARY
 *
 * Run it inside scripts/krb5-realm.sh after kinit, with a krb5.conf that
 * forces one enctype (scripts/bench.sh does all of it). The first line
 * names the enctype each side got; the run fails if they differ.
 * CEILING_MB_PER_S is what this machine's AES-CBC and HMAC can do for a
 * wrap+unwrap pair of 16 KiB (from `openssl speed`; 0 for none).
 * BENCH_SECONDS sets the time per figure (default 1). MB = 1e6 bytes of
 * plaintext per wrap+unwrap pair. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sspi.h>
#include "bench_common.h"

#define SIZES 3
static const size_t sizes[SIZES] = {64, 1024, 16384};
static double seconds = 1.0;


static void fail(const char *what, long code) {
    fprintf(stderr, "kerberos_bench: %s failed: %#lx\n", what, (unsigned long)code);
    exit(1);
}

/* ---- opensspi, through the SSPI table ---- */

static PSecurityFunctionTableW T;


#define REQ (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT)

/* One mutual handshake: ISC, ASC, ISC. */
static void sspi_handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *c, CtxtHandle *s) {
    static unsigned char t1[48000], t2[48000];
    SecBuffer ib, ob;
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS st;
    ob = (SecBuffer){sizeof t1, SECBUFFER_TOKEN, t1};
    st = T->InitializeSecurityContextW(cc, NULL, w("host/localhost"), REQ, 0, SECURITY_NATIVE_DREP, NULL, 0, c, &od,
                                       &attrs, NULL);
    if (st != SEC_I_CONTINUE_NEEDED) fail("InitializeSecurityContextW", st);
    ib = (SecBuffer){ob.cbBuffer, SECBUFFER_TOKEN, t1};
    ob = (SecBuffer){sizeof t2, SECBUFFER_TOKEN, t2};
    st = T->AcceptSecurityContext(sc, NULL, &id, ASC_REQ_MUTUAL_AUTH, SECURITY_NATIVE_DREP, s, &od, &attrs, NULL);
    if (st != SEC_E_OK) fail("AcceptSecurityContext", st);
    ib = (SecBuffer){ob.cbBuffer, SECBUFFER_TOKEN, t2};
    ob = (SecBuffer){sizeof t1, SECBUFFER_TOKEN, t1};
    st = T->InitializeSecurityContextW(cc, c, w("host/localhost"), REQ, 0, SECURITY_NATIVE_DREP, &id, 0, c, &od, &attrs,
                                       NULL);
    if (st != SEC_E_OK) fail("InitializeSecurityContextW (AP-REP)", st);
}

/* One Negotiate handshake: tokens back and forth until both are done. */
static void nego_handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *c, CtxtHandle *s) {
    static unsigned char t1[48256], t2[48256];
    SecBuffer ib, ob;
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS cs, ss = SEC_I_CONTINUE_NEEDED;
    int round;
    ob = (SecBuffer){sizeof t1, SECBUFFER_TOKEN, t1};
    cs = T->InitializeSecurityContextW(cc, NULL, w("host/localhost"), REQ, 0, SECURITY_NATIVE_DREP, NULL, 0, c, &od,
                                       &attrs, NULL);
    for (round = 0; round < 4 && ob.cbBuffer > 0; round++) {
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) fail("InitializeSecurityContextW (Negotiate)", cs);
        ib = (SecBuffer){ob.cbBuffer, SECBUFFER_TOKEN, t1};
        ob = (SecBuffer){sizeof t2, SECBUFFER_TOKEN, t2};
        ss = T->AcceptSecurityContext(sc, round ? s : NULL, &id, ASC_REQ_MUTUAL_AUTH, SECURITY_NATIVE_DREP, s, &od,
                                      &attrs, NULL);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) fail("AcceptSecurityContext (Negotiate)", ss);
        if (cs == SEC_E_OK || ob.cbBuffer == 0) break;
        ib = (SecBuffer){ob.cbBuffer, SECBUFFER_TOKEN, t2};
        ob = (SecBuffer){sizeof t1, SECBUFFER_TOKEN, t1};
        cs = T->InitializeSecurityContextW(cc, c, w("host/localhost"), REQ, 0, SECURITY_NATIVE_DREP, &id, 0, c, &od,
                                           &attrs, NULL);
    }
    if (cs != SEC_E_OK || ss != SEC_E_OK) fail("Negotiate handshake", cs != SEC_E_OK ? cs : ss);
}

static double sspi_handshakes(CredHandle *cc, CredHandle *sc, int negotiate) {
    long n = 0;
    double start = now(), t;
    do {
        int i;
        for (i = 0; i < 16; i++) {
            CtxtHandle c, s;
            if (negotiate)
                nego_handshake(cc, sc, &c, &s);
            else
                sspi_handshake(cc, sc, &c, &s);
            T->DeleteSecurityContext(&c);
            T->DeleteSecurityContext(&s);
        }
        n += 16;
        t = now() - start;
    } while (t < seconds);
    return (double)n / t;
}

static double sspi_wrap(CtxtHandle *c, CtxtHandle *s, size_t size) {
    SecPkgContext_Sizes sz;
    unsigned char *data = malloc(size), token[256];
    SecBuffer b[2];
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    long n = 0, batch = size >= 16384 ? 64 : 1024;
    double start, t;
    SECURITY_STATUS st;
    ULONG qop;
    if (!data) fail("malloc", 0);
    if ((st = T->QueryContextAttributesW(c, SECPKG_ATTR_SIZES, &sz)) != SEC_E_OK) fail("SIZES", st);
    if (sz.cbSecurityTrailer > sizeof token) fail("cbSecurityTrailer", sz.cbSecurityTrailer);
    memset(data, 0x5a, size);
    start = now();
    do {
        long i;
        for (i = 0; i < batch; i++) {
            b[0] = (SecBuffer){sz.cbSecurityTrailer, SECBUFFER_TOKEN, token};
            b[1] = (SecBuffer){(ULONG)size, SECBUFFER_DATA, data};
            if ((st = T->EncryptMessage(c, 0, &d, 0)) != SEC_E_OK) fail("EncryptMessage", st);
            if ((st = T->DecryptMessage(s, &d, 0, &qop)) != SEC_E_OK) fail("DecryptMessage", st);
        }
        if (n == 0 && (b[1].cbBuffer != size || data[0] != 0x5a || data[size - 1] != 0x5a)) fail("round trip", 0);
        n += batch;
        t = now() - start;
    } while (t < seconds);
    free(data);
    return (double)n * (double)size / t / 1e6;
}

/* The context's enctype (KEY_INFO's EncryptAlgorithm). */
static long sspi_enctype(CtxtHandle *c) {
    SecPkgContext_KeyInfoW ki;
    SECURITY_STATUS st = T->QueryContextAttributesW(c, SECPKG_ATTR_KEY_INFO, &ki);
    if (st != SEC_E_OK) fail("KEY_INFO", st);
    T->FreeContextBuffer(ki.sSignatureAlgorithmName);
    T->FreeContextBuffer(ki.sEncryptAlgorithmName);
    return (long)ki.EncryptAlgorithm;
}

/* ---- MIT, through GSS-API ---- */

static void gss_check(const char *what, OM_uint32 major) {
    if (GSS_ERROR(major)) fail(what, (long)major);
}

static gss_name_t target;
static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

/* One handshake of `mech` (krb5 or SPNEGO): tokens back and forth until
 * both sides are complete. */
static void gss_handshake_mech(gss_OID mech, gss_ctx_id_t *ictx, gss_ctx_id_t *actx) {
    OM_uint32 minor, imajor = GSS_S_CONTINUE_NEEDED, amajor = GSS_S_CONTINUE_NEEDED;
    OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    int round;
    for (round = 0; round < 6; round++) {
        imajor = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, ictx, target, mech, flags, 0,
                                      GSS_C_NO_CHANNEL_BINDINGS, round ? &in : GSS_C_NO_BUFFER, NULL, &out, NULL,
                                      NULL);
        gss_release_buffer(&minor, &in);
        gss_check("gss_init_sec_context", imajor);
        if (out.length == 0) break;
        amajor = gss_accept_sec_context(&minor, actx, GSS_C_NO_CREDENTIAL, &out, GSS_C_NO_CHANNEL_BINDINGS, NULL,
                                        NULL, &in, NULL, NULL, NULL);
        gss_release_buffer(&minor, &out);
        gss_check("gss_accept_sec_context", amajor);
        if (in.length == 0) break;
    }
    gss_release_buffer(&minor, &in);
    if (imajor != GSS_S_COMPLETE || amajor != GSS_S_COMPLETE) fail("gss handshake", (long)imajor);
}

static void gss_handshake(gss_ctx_id_t *ictx, gss_ctx_id_t *actx) {
    gss_handshake_mech((gss_OID)gss_mech_krb5, ictx, actx);
}

static double gss_handshakes(gss_OID mech) {
    long n = 0;
    double start = now(), t;
    OM_uint32 minor;
    do {
        int i;
        for (i = 0; i < 16; i++) {
            gss_ctx_id_t c = GSS_C_NO_CONTEXT, s = GSS_C_NO_CONTEXT;
            gss_handshake_mech(mech, &c, &s);
            gss_delete_sec_context(&minor, &c, GSS_C_NO_BUFFER);
            gss_delete_sec_context(&minor, &s, GSS_C_NO_BUFFER);
        }
        n += 16;
        t = now() - start;
    } while (t < seconds);
    return (double)n / t;
}

static double gss_wrap_unwrap(gss_ctx_id_t c, gss_ctx_id_t s, size_t size) {
    OM_uint32 minor;
    unsigned char *data = malloc(size);
    gss_buffer_desc in = {size, data}, wrapped, out;
    long n = 0, batch = size >= 16384 ? 64 : 1024;
    double start, t;
    int conf;
    if (!data) fail("malloc", 0);
    memset(data, 0x5a, size);
    start = now();
    do {
        long i;
        for (i = 0; i < batch; i++) {
            gss_check("gss_wrap", gss_wrap(&minor, c, 1, GSS_C_QOP_DEFAULT, &in, &conf, &wrapped));
            gss_check("gss_unwrap", gss_unwrap(&minor, s, &wrapped, &out, &conf, NULL));
            if (n == 0 && i == 0 && (!conf || out.length != size || memcmp(out.value, data, size) != 0))
                fail("gss round trip", 0);
            gss_release_buffer(&minor, &wrapped);
            gss_release_buffer(&minor, &out);
        }
        n += batch;
        t = now() - start;
    } while (t < seconds);
    free(data);
    return (double)n * (double)size / t / 1e6;
}

/* The session key's enctype: GSS_C_INQ_SSPI_SESSION_KEY answers the key and
 * an OID, 1.2.840.113554.1.2.2.4 plus the enctype as one more arc. */
static long gss_enctype(gss_ctx_id_t ctx) {
    static const unsigned char prefix[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04};
    OM_uint32 minor;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    long enctype = -1;
    size_t i;
    if (!GSS_ERROR(gss_inquire_sec_context_by_oid(&minor, ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set)) && set &&
        set->count >= 2 && set->elements[1].length > sizeof prefix &&
        memcmp(set->elements[1].value, prefix, sizeof prefix) == 0) {
        const unsigned char *p = set->elements[1].value;
        enctype = 0;
        for (i = sizeof prefix; i < set->elements[1].length; i++) enctype = (enctype << 7) | (p[i] & 0x7f);
    }
    gss_release_buffer_set(&minor, &set);
    return enctype;
}

static void row(const char *label, const char *unit, double ours, double mit, double ceiling) {
    char c[32] = "", r[16] = "";
    if (ceiling > 0) {
        snprintf(c, sizeof c, "%.1f %s", ceiling, unit);
        snprintf(r, sizeof r, "%.2f", ours / ceiling);
    }
    printf("%-28s %12.1f %-4s %12.1f %-4s %7.2fx %14s %6s\n", label, ours, unit, mit, unit, ours / mit, c, r);
}

int main(int argc, char **argv) {
    INIT_SECURITY_INTERFACE_W init;
    CredHandle cc, sc, nc, ns;
    CtxtHandle c, s;
    gss_ctx_id_t gc = GSS_C_NO_CONTEXT, gs = GSS_C_NO_CONTEXT;
    gss_buffer_desc name = {14, (void *)"host@localhost"};
    double ceiling, hs[2], nego[2], wrap[2][SIZES];
    long enctype[2];
    OM_uint32 minor;
    cpu_set_t one;
    void *lib;
    int i;
    SECURITY_STATUS st;
    if (argc != 3) {
        fprintf(stderr, "usage: %s CEILING_MB_PER_S LIBRARY\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    ceiling = atof(argv[1]);
    if (getenv("BENCH_SECONDS")) seconds = atof(getenv("BENCH_SECONDS"));
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one)) perror("sched_setaffinity");

    if (!(lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "kerberos_bench: %s\n", dlerror());
        return 1;
    }
    *(void **)&init = dlsym(lib, "InitSecurityInterfaceW");
    if (!init || !(T = init())) fail("InitSecurityInterfaceW", 0);
    if ((st = T->AcquireCredentialsHandleW(NULL, w("Kerberos"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cc,
                                           NULL)) != SEC_E_OK)
        fail("AcquireCredentialsHandleW (ccache)", st);
    if ((st = T->AcquireCredentialsHandleW(NULL, w("Kerberos"), SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &sc,
                                           NULL)) != SEC_E_OK)
        fail("AcquireCredentialsHandleW (keytab)", st);
    if ((st = T->AcquireCredentialsHandleW(NULL, w("Negotiate"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &nc,
                                           NULL)) != SEC_E_OK)
        fail("AcquireCredentialsHandleW (Negotiate, ccache)", st);
    if ((st = T->AcquireCredentialsHandleW(NULL, w("Negotiate"), SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &ns,
                                           NULL)) != SEC_E_OK)
        fail("AcquireCredentialsHandleW (Negotiate, keytab)", st);
    gss_check("gss_import_name", gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &target));

    /* The first handshakes fetch and cache the service tickets. */
    sspi_handshake(&cc, &sc, &c, &s);
    gss_handshake(&gc, &gs);
    enctype[0] = sspi_enctype(&c);
    enctype[1] = gss_enctype(gc);
    printf("enctype: opensspi %ld, MIT %ld; one core, %.1f s per figure\n", enctype[0], enctype[1], seconds);
    if (enctype[0] != enctype[1]) fail("same enctype", enctype[0]);

    {
        /* The Negotiate credential caches its own service ticket. */
        CtxtHandle c1, s1;
        SecPkgContext_NegotiationInfoW info;
        nego_handshake(&nc, &ns, &c1, &s1);
        if ((st = T->QueryContextAttributesW(&s1, SECPKG_ATTR_NEGOTIATION_INFO, &info)) != SEC_E_OK)
            fail("NEGOTIATION_INFO", st);
        if (info.PackageInfo->Name[0] != 'K') fail("Negotiate chose Kerberos", 0);
        T->FreeContextBuffer(info.PackageInfo);
        T->DeleteSecurityContext(&c1);
        T->DeleteSecurityContext(&s1);
    }
    hs[0] = sspi_handshakes(&cc, &sc, 0);
    hs[1] = gss_handshakes((gss_OID)gss_mech_krb5);
    nego[0] = sspi_handshakes(&nc, &ns, 1);
    nego[1] = gss_handshakes(&spnego_oid);
    for (i = 0; i < SIZES; i++) {
        wrap[0][i] = sspi_wrap(&c, &s, sizes[i]);
        wrap[1][i] = gss_wrap_unwrap(gc, gs, sizes[i]);
    }
    printf("%-28s %17s %17s %8s %14s %6s\n", "measure", "opensspi", "MIT", "vs MIT", "ceiling", "/ceil");
    row("handshakes, cached ticket", "/s", hs[0], hs[1], 0);
    row("  the same in SPNEGO", "/s", nego[0], nego[1], 0);
    for (i = 0; i < SIZES; i++) {
        char label[64];
        snprintf(label, sizeof label, "wrap+unwrap %zu B", sizes[i]);
        row(label, "MB/s", wrap[0][i], wrap[1][i], sizes[i] == 16384 ? ceiling : 0);
    }
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&cc);
    T->FreeCredentialsHandle(&sc);
    T->FreeCredentialsHandle(&nc);
    T->FreeCredentialsHandle(&ns);
    gss_delete_sec_context(&minor, &gc, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &gs, GSS_C_NO_BUFFER);
    gss_release_name(&minor, &target);
    return 0;
}

/* The benchmark: loads an SSPI library with dlopen (by path, through
 * InitSecurityInterfaceW's table only, so that any provider of the ABI can
 * be measured the same way) and measures, on one core:
 *
 *   - full NTLM and Negotiate handshakes per second, client and server in
 *     one process;
 *   - MakeSignature+VerifySignature and EncryptMessage+DecryptMessage
 *     throughput at 64 B, 1 KiB and 16 KiB.
 *
 *   sspi_bench LIBRARY [MD5_BYTES_PER_S RC4_BYTES_PER_S]
 *
 * BENCH_SECONDS sets the time per figure (default 1); BENCH_ONLY=handshakes
 * stops after the handshake figure (for profiling).
 * With the MD5 and RC4 rates of this machine (scripts/bench.sh takes them
 * from `openssl speed`), each throughput is printed beside its ceiling:
 * sign+verify costs two HMAC-MD5 passes over the message, seal+unseal two
 * HMAC-MD5 and two RC4 passes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sspi.h>

static PSecurityFunctionTableW T;
static CredHandle client_cred, server_cred, nego_client, nego_server;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static SEC_WCHAR *w(const char *s) {
    static SEC_WCHAR bufs[4][64];
    static int next;
    SEC_WCHAR *o = bufs[next++ % 4];
    size_t i;
    for (i = 0; s[i] && i < 63; i++) o[i] = (SEC_WCHAR)s[i];
    o[i] = 0;
    return o;
}

static void die(const char *what, SECURITY_STATUS s) {
    fprintf(stderr, "bench: %s failed: 0x%08x\n", what, (unsigned)s);
    exit(1);
}

static void acquire(const char *package, ULONG use, CredHandle *h) {
    SEC_WINNT_AUTH_IDENTITY_W id;
    SECURITY_STATUS s;
    memset(&id, 0, sizeof id);
    id.User = w("alice");
    id.UserLength = 5;
    id.Domain = w("BENCH");
    id.DomainLength = 5;
    id.Password = w("Passw0rd!");
    id.PasswordLength = 9;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    s = T->AcquireCredentialsHandleW(NULL, w(package), use, NULL, &id, NULL, NULL, h, NULL);
    if (s != SEC_E_OK) die("AcquireCredentialsHandleW", s);
}

#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define AREQ (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION)

/* One full handshake; both contexts established on return. Tokens go back
 * and forth until the client has nothing more to send and the server has
 * nothing more to answer (NTLM: four calls; Negotiate: five, the client
 * checking the server's last token). */
static void handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *c, CtxtHandle *s) {
    static unsigned char t1[8192], t2[8192];
    SecBuffer ib = {0, SECBUFFER_TOKEN, t2}, ob;
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS cs, ss = SEC_I_CONTINUE_NEEDED;
    int first = 1;
    for (;;) {
        ib.pvBuffer = t2;
        ob.BufferType = SECBUFFER_TOKEN, ob.pvBuffer = t1, ob.cbBuffer = sizeof t1;
        cs = T->InitializeSecurityContextW(cc, first ? NULL : c, w("HTTP/bench"), REQ, 0, SECURITY_NATIVE_DREP,
                                           first ? NULL : &id, 0, c, &od, &attrs, NULL);
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) die("InitializeSecurityContextW", cs);
        if (ob.cbBuffer == 0) break;
        ib.pvBuffer = t1, ib.cbBuffer = ob.cbBuffer;
        ob.pvBuffer = t2, ob.cbBuffer = sizeof t2;
        ss = T->AcceptSecurityContext(sc, first ? NULL : s, &id, AREQ, SECURITY_NATIVE_DREP, s, &od, &attrs, NULL);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) die("AcceptSecurityContext", ss);
        first = 0;
        if (ob.cbBuffer == 0) break;
        ib.cbBuffer = ob.cbBuffer;
    }
    if (cs != SEC_E_OK) die("InitializeSecurityContextW (not complete)", cs);
    if (ss != SEC_E_OK) die("AcceptSecurityContext (not complete)", ss);
}

/* Handshakes per second over about `seconds`. */
static double handshakes(CredHandle *cc, CredHandle *sc, double seconds) {
    long n = 0;
    double start = now(), t;
    do {
        int i;
        for (i = 0; i < 256; i++) {
            CtxtHandle c, s;
            handshake(cc, sc, &c, &s);
            T->DeleteSecurityContext(&c);
            T->DeleteSecurityContext(&s);
        }
        n += 256;
        t = now() - start;
    } while (t < seconds);
    return (double)n / t;
}

/* Message bytes per second protected and checked (each message counted
 * once), with `seal` choosing Encrypt/Decrypt over Make/VerifySignature. */
static double throughput(CtxtHandle *c, CtxtHandle *s, size_t size, int seal, double seconds) {
    unsigned char *data = malloc(size), sig[16];
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {(ULONG)size, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    long n = 0;
    long batch = size >= 16384 ? 64 : size >= 1024 ? 1024 : 16384;
    double start = now(), t;
    memset(data, 0x5a, size);
    do {
        long i;
        for (i = 0; i < batch; i++) {
            SECURITY_STATUS st;
            b[0].cbBuffer = 16;
            if (seal) {
                if ((st = T->EncryptMessage(c, 0, &d, 0)) != SEC_E_OK) die("EncryptMessage", st);
                if ((st = T->DecryptMessage(s, &d, 0, NULL)) != SEC_E_OK) die("DecryptMessage", st);
            } else {
                if ((st = T->MakeSignature(c, 0, &d, 0)) != SEC_E_OK) die("MakeSignature", st);
                if ((st = T->VerifySignature(s, &d, 0, NULL)) != SEC_E_OK) die("VerifySignature", st);
            }
        }
        n += batch;
        t = now() - start;
    } while (t < seconds);
    free(data);
    return (double)n * (double)size / t;
}

int main(int argc, char **argv) {
    static const size_t sizes[] = {64, 1024, 16384};
    void *lib;
    INIT_SECURITY_INTERFACE_W init;
    double md5 = argc > 3 ? atof(argv[2]) : 0, rc4 = argc > 3 ? atof(argv[3]) : 0;
    double seconds = getenv("BENCH_SECONDS") ? atof(getenv("BENCH_SECONDS")) : 1.0;
    CtxtHandle c, s;
    cpu_set_t one;
    int seal;
    size_t i;
    if (argc < 2) {
        fprintf(stderr, "usage: %s LIBRARY [MD5_BYTES_PER_S RC4_BYTES_PER_S]\n", argv[0]);
        return 2;
    }
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one)) perror("sched_setaffinity");
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "bench: %s\n", dlerror());
        return 1;
    }
    *(void **)&init = dlsym(lib, "InitSecurityInterfaceW");
    if (!init || !(T = init())) {
        fprintf(stderr, "bench: no InitSecurityInterfaceW in %s\n", argv[1]);
        return 1;
    }
    acquire("NTLM", SECPKG_CRED_OUTBOUND, &client_cred);
    acquire("NTLM", SECPKG_CRED_INBOUND, &server_cred);
    acquire("Negotiate", SECPKG_CRED_OUTBOUND, &nego_client);
    acquire("Negotiate", SECPKG_CRED_INBOUND, &nego_server);

    printf("library: %s (one core, %.1f s per figure)\n\n", argv[1], seconds);
    printf("%-34s %14s %14s %7s\n", "measure", "result", "ceiling", "ratio");
    {
        double h = handshakes(&client_cred, &server_cred, seconds), n;
        printf("%-34s %12.0f/s %12.0f/s %6.2fx\n", "NTLM handshakes (client+server)", h, 100000.0, h / 100000.0);
        n = handshakes(&nego_client, &nego_server, seconds);
        printf("%-34s %12.0f/s %12.0f/s %6.2fx\n", "Negotiate handshakes (over NTLM)", n, h, n / h);
    }
    if (getenv("BENCH_ONLY") && strcmp(getenv("BENCH_ONLY"), "handshakes") == 0) return 0;
    handshake(&client_cred, &server_cred, &c, &s);
    for (seal = 0; seal < 2; seal++) {
        for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            char label[64];
            double r = throughput(&c, &s, sizes[i], seal, seconds) / 1e6;
            double ceiling = 0;
            if (md5 > 0 && rc4 > 0) ceiling = (seal ? 1.0 / (2.0 / md5 + 2.0 / rc4) : md5 / 2.0) / 1e6;
            snprintf(label, sizeof label, "%s %zu B", seal ? "seal+unseal" : "sign+verify", sizes[i]);
            if (ceiling > 0)
                printf("%-34s %10.1f MB/s %10.1f MB/s %6.2f\n", label, r, ceiling, r / ceiling);
            else
                printf("%-34s %10.1f MB/s %14s %7s\n", label, r, "-", "-");
        }
    }
    printf("\nceilings: NTLM handshakes: the 100,000/s target; Negotiate handshakes: the\n"
           "NTLM rate (SPNEGO adds to it); throughput: this machine's\n"
           "MD5 (%.0f MB/s) and RC4 (%.0f MB/s) from `openssl speed`, one core.\n", md5 / 1e6, rc4 / 1e6);
    T->DeleteSecurityContext(&c);
    T->DeleteSecurityContext(&s);
    T->FreeCredentialsHandle(&client_cred);
    T->FreeCredentialsHandle(&server_cred);
    T->FreeCredentialsHandle(&nego_client);
    T->FreeCredentialsHandle(&nego_server);
    return 0;
}

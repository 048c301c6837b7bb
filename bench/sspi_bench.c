/* The benchmark: loads SSPI libraries with dlopen (by path, through
 * InitSecurityInterfaceW's table only, so that any provider of the ABI is
 * measured the same way) and measures each, on one core, in its own child
 * process:
 *
 *   - full NTLM and Negotiate handshakes per second, client and server in
 *     one process, each side with an explicit identity;
 *   - MakeSignature+VerifySignature and EncryptMessage+DecryptMessage
 *     throughput at 64 B, 1 KiB and 16 KiB (NTLM);
 *   - resident memory after creating 10,000 established contexts (5,000
 *     NTLM client/server pairs), and the growth from before the first;
 *   - the library's size on disk, stripped (`strip`).
 *
 *   sspi_bench MD5_BYTES_PER_S RC4_BYTES_PER_S LIBRARY [OTHER_LIBRARY]
 *
 * With a second library, every figure is printed for both with the ratio
 * (how many times better the first is). The MD5 and RC4 rates of this
 * machine (scripts/bench.sh takes them from `openssl speed`; 0 for none)
 * give the throughput ceilings: sign+verify costs two HMAC-MD5 passes over
 * the message, seal+unseal two HMAC-MD5 and two RC4 passes. A figure a
 * library cannot produce (a call it refuses) is printed as n/a with the
 * status. BENCH_SECONDS sets the time per figure (default 1). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sspi.h>
#include "bench_common.h"

#define SIZES 3
static const size_t sizes[SIZES] = {64, 1024, 16384};
#define CONTEXTS 10000

/* What one library achieved; NAN (with the failing status) for n/a. */
struct results {
    double ntlm_hs, nego_hs, sign[SIZES], seal[SIZES];
    double rss_kib, rss_growth_kib;
    SECURITY_STATUS ntlm_err, nego_err, sign_err, seal_err, rss_err;
};

static PSecurityFunctionTableW T;
static double seconds = 1.0;



static SECURITY_STATUS acquire(const char *package, ULONG use, CredHandle *h) {
    SEC_WINNT_AUTH_IDENTITY_W id;
    memset(&id, 0, sizeof id);
    id.User = w("alice");
    id.UserLength = 5;
    id.Domain = w("BENCH");
    id.DomainLength = 5;
    id.Password = w("Passw0rd!");
    id.PasswordLength = 9;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    return T->AcquireCredentialsHandleW(NULL, w(package), use, NULL, &id, NULL, NULL, h, NULL);
}

#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define AREQ (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION)

/* A status after CompleteAuthToken where the package asks for it (Windows'
 * packages never do; others may): SEC_E_OK or SEC_I_CONTINUE_NEEDED. */
static SECURITY_STATUS completed(CtxtHandle *h, SecBufferDesc *out, SECURITY_STATUS s) {
    if (s == SEC_I_COMPLETE_NEEDED || s == SEC_I_COMPLETE_AND_CONTINUE) {
        SECURITY_STATUS c = T->CompleteAuthToken(h, out);
        if (c != SEC_E_OK) return c;
        return s == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
    }
    return s;
}

/* One full handshake: tokens go back and forth until the client has
 * nothing more to send and the server nothing more to answer (NTLM: four
 * calls; Negotiate: five, the client checking the server's last token).
 * SEC_E_OK with both contexts established, else the failing status (and no
 * context left behind). */
static SECURITY_STATUS handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *c, CtxtHandle *s) {
    static unsigned char t1[16384], t2[16384];
    SecBuffer ib = {0, SECBUFFER_TOKEN, t2}, ob;
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS cs, ss = SEC_I_CONTINUE_NEEDED;
    int have_c = 0, have_s = 0;
    for (;;) {
        ib.pvBuffer = t2;
        ob.BufferType = SECBUFFER_TOKEN, ob.pvBuffer = t1, ob.cbBuffer = sizeof t1;
        cs = T->InitializeSecurityContextW(cc, have_c ? c : NULL, w("HTTP/bench"), REQ, 0, SECURITY_NATIVE_DREP,
                                           have_c ? &id : NULL, 0, c, &od, &attrs, NULL);
        if (cs == SEC_E_OK || cs == SEC_I_CONTINUE_NEEDED || cs == SEC_I_COMPLETE_NEEDED ||
            cs == SEC_I_COMPLETE_AND_CONTINUE)
            have_c = 1;
        cs = completed(c, &od, cs);
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) break;
        if (ob.cbBuffer == 0) break;
        ib.pvBuffer = t1, ib.cbBuffer = ob.cbBuffer;
        ob.pvBuffer = t2, ob.cbBuffer = sizeof t2;
        ss = T->AcceptSecurityContext(sc, have_s ? s : NULL, &id, AREQ, SECURITY_NATIVE_DREP, s, &od, &attrs, NULL);
        if (ss == SEC_E_OK || ss == SEC_I_CONTINUE_NEEDED || ss == SEC_I_COMPLETE_NEEDED ||
            ss == SEC_I_COMPLETE_AND_CONTINUE)
            have_s = 1;
        ss = completed(s, &od, ss);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) break;
        if (ob.cbBuffer == 0) break;
        ib.cbBuffer = ob.cbBuffer;
    }
    if (cs == SEC_E_OK && ss == SEC_E_OK) return SEC_E_OK;
    if (have_c) T->DeleteSecurityContext(c);
    if (have_s) T->DeleteSecurityContext(s);
    return cs != SEC_E_OK ? cs : ss;
}

/* Handshakes per second over about `seconds`, or NAN with *err set. */
static double handshakes(const char *package, SECURITY_STATUS *err) {
    CredHandle cc, sc;
    long n = 0;
    double start, t;
    if ((*err = acquire(package, SECPKG_CRED_OUTBOUND, &cc)) != SEC_E_OK) return NAN;
    if ((*err = acquire(package, SECPKG_CRED_INBOUND, &sc)) != SEC_E_OK) return NAN;
    start = now();
    do {
        int i;
        for (i = 0; i < 64; i++) {
            CtxtHandle c, s;
            if ((*err = handshake(&cc, &sc, &c, &s)) != SEC_E_OK) return NAN;
            T->DeleteSecurityContext(&c);
            T->DeleteSecurityContext(&s);
        }
        n += 64;
        t = now() - start;
    } while (t < seconds);
    T->FreeCredentialsHandle(&cc);
    T->FreeCredentialsHandle(&sc);
    return (double)n / t;
}

/* Message bytes per second protected and checked (each message counted
 * once), with `seal` choosing Encrypt/Decrypt over Make/VerifySignature;
 * NAN with *err set when a call fails. */
static double throughput(CtxtHandle *c, CtxtHandle *s, size_t size, int seal, SECURITY_STATUS *err) {
    unsigned char *data = malloc(size), sig[64];
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {(ULONG)size, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    long n = 0;
    long batch = size >= 16384 ? 64 : size >= 1024 ? 1024 : 16384;
    double start = now(), t;
    ULONG seq = 0;
    memset(data, 0x5a, size);
    do {
        long i;
        for (i = 0; i < batch; i++, seq++) {
            b[0].cbBuffer = 16, b[1].cbBuffer = (ULONG)size, b[1].pvBuffer = data;
            *err = seal ? T->EncryptMessage(c, 0, &d, seq) : T->MakeSignature(c, 0, &d, seq);
            if (*err == SEC_E_OK) *err = seal ? T->DecryptMessage(s, &d, seq, NULL) : T->VerifySignature(s, &d, seq, NULL);
            if (*err != SEC_E_OK) {
                free(data);
                return NAN;
            }
        }
        n += batch;
        t = now() - start;
    } while (t < seconds);
    free(data);
    return (double)n * (double)size / t;
}

/* VmRSS of this process, in KiB. */
static double rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = NAN;
    if (!f) return NAN;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lf kB", &kib) == 1) break;
    fclose(f);
    return kib;
}

/* Every figure for the library at `path`. */
static void measure(const char *path, struct results *r) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    INIT_SECURITY_INTERFACE_W init;
    CredHandle cc, sc;
    CtxtHandle c, s;
    SECURITY_STATUS st;
    int i, seal;
    for (i = 0; i < SIZES; i++) r->sign[i] = r->seal[i] = NAN;
    r->ntlm_hs = r->nego_hs = r->rss_kib = r->rss_growth_kib = NAN;
    if (!lib) {
        fprintf(stderr, "bench: %s\n", dlerror());
        return;
    }
    *(void **)&init = dlsym(lib, "InitSecurityInterfaceW");
    if (!init || !(T = init())) {
        fprintf(stderr, "bench: no InitSecurityInterfaceW in %s\n", path);
        return;
    }
    r->ntlm_hs = handshakes("NTLM", &r->ntlm_err);
    r->nego_hs = handshakes("Negotiate", &r->nego_err);
    st = acquire("NTLM", SECPKG_CRED_OUTBOUND, &cc);
    if (st == SEC_E_OK) st = acquire("NTLM", SECPKG_CRED_INBOUND, &sc);
    if (st == SEC_E_OK) st = handshake(&cc, &sc, &c, &s);
    r->sign_err = r->seal_err = st;
    if (st == SEC_E_OK) {
        for (seal = 0; seal < 2; seal++)
            for (i = 0; i < SIZES; i++) {
                double v = throughput(&c, &s, sizes[i], seal, seal ? &r->seal_err : &r->sign_err);
                (seal ? r->seal : r->sign)[i] = v;
                if (isnan(v)) break;
            }
        T->DeleteSecurityContext(&c);
        T->DeleteSecurityContext(&s);
    }
    /* Resident memory with 10,000 established contexts alive. */
    if (st == SEC_E_OK) {
        static CtxtHandle held[CONTEXTS];
        double before = rss_kib();
        int k;
        r->rss_err = SEC_E_OK;
        for (k = 0; k < CONTEXTS; k += 2)
            if ((r->rss_err = handshake(&cc, &sc, &held[k], &held[k + 1])) != SEC_E_OK) break;
        if (r->rss_err == SEC_E_OK) {
            r->rss_kib = rss_kib();
            r->rss_growth_kib = r->rss_kib - before;
        }
    } else {
        r->rss_err = st;
    }
}

/* The stripped size of the library at `path`, in KiB (`strip -o`). */
static double stripped_kib(const char *path) {
    char tmp[] = "/tmp/sspi-bench-XXXXXX", cmd[4096];
    struct stat sb;
    int fd = mkstemp(tmp);
    double kib = NAN;
    if (fd < 0) return NAN;
    close(fd);
    snprintf(cmd, sizeof cmd, "strip -o '%s' '%s' 2>/dev/null", tmp, path);
    if (system(cmd) == 0 && stat(tmp, &sb) == 0) kib = (double)sb.st_size / 1024.0;
    unlink(tmp);
    return kib;
}

/* Runs `measure` in a child pinned to CPU 0; its results come back through a pipe. */
static int run_child(const char *path, struct results *r) {
    int fds[2];
    pid_t pid;
    if (pipe(fds)) return -1;
    fflush(stdout);
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        cpu_set_t one;
        struct results mine;
        memset(&mine, 0, sizeof mine);
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        if (sched_setaffinity(0, sizeof one, &one)) perror("sched_setaffinity");
        close(fds[0]);
        measure(path, &mine);
        if (write(fds[1], &mine, sizeof mine) != (ssize_t)sizeof mine) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    {
        ssize_t got = read(fds[0], r, sizeof *r);
        int status = 0;
        close(fds[0]);
        waitpid(pid, &status, 0);
        return got == (ssize_t)sizeof *r ? 0 : -1;
    }
}

/* One line: the figure for each library, the ratio (first over second, or
 * second over first when smaller is better), and the first's ceiling. */
static void row(const char *label, const char *unit, double a, SECURITY_STATUS ea, const double *b, SECURITY_STATUS eb,
                int smaller_is_better, double ceiling) {
    char va[32], vb[32], ratio[16] = "", ceil_s[32] = "", ceil_r[16] = "";
    if (isnan(a)) snprintf(va, sizeof va, "n/a %08x", (unsigned)ea);
    else snprintf(va, sizeof va, "%.1f %s", a, unit);
    if (b) {
        if (isnan(*b)) snprintf(vb, sizeof vb, "n/a %08x", (unsigned)eb);
        else snprintf(vb, sizeof vb, "%.1f %s", *b, unit);
        if (!isnan(a) && !isnan(*b) && a > 0 && *b > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", smaller_is_better ? *b / a : a / *b);
    }
    if (ceiling > 0 && !isnan(a)) {
        snprintf(ceil_s, sizeof ceil_s, "%.1f %s", ceiling, unit);
        snprintf(ceil_r, sizeof ceil_r, "%.2f", a / ceiling);
    }
    if (b)
        printf("%-28s %16s %16s %8s %16s %6s\n", label, va, vb, ratio, ceil_s, ceil_r);
    else
        printf("%-28s %16s %16s %6s\n", label, va, ceil_s, ceil_r);
}

int main(int argc, char **argv) {
    double md5, rc4;
    struct results r[2];
    double size[2];
    int n = argc > 4 ? 2 : 1, i, k;
    memset(r, 0, sizeof r);
    if (argc < 4) {
        fprintf(stderr, "usage: %s MD5_BYTES_PER_S RC4_BYTES_PER_S LIBRARY [OTHER_LIBRARY]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    md5 = atof(argv[1]);
    rc4 = atof(argv[2]);
    if (getenv("BENCH_SECONDS")) seconds = atof(getenv("BENCH_SECONDS"));
    for (i = 0; i < n; i++) {
        if (run_child(argv[3 + i], &r[i])) {
            fprintf(stderr, "bench: measuring %s failed\n", argv[3 + i]);
            return 1;
        }
        size[i] = stripped_kib(argv[3 + i]);
    }
    printf("one core, %.1f s per figure\n", seconds);
    printf("A: %s\n", argv[3]);
    if (n > 1) printf("B: %s\n", argv[4]);
    printf("\n");
    if (n > 1)
        printf("%-28s %16s %16s %8s %16s %6s\n", "measure", "A", "B", "A vs B", "ceiling (A)", "A/ceil");
    else
        printf("%-28s %16s %16s %6s\n", "measure", "A", "ceiling", "A/ceil");
#define B(field) (n > 1 ? &r[1].field : NULL)
    row("NTLM handshakes", "/s", r[0].ntlm_hs, r[0].ntlm_err, B(ntlm_hs), r[1].ntlm_err, 0, 100000.0);
    row("Negotiate handshakes", "/s", r[0].nego_hs, r[0].nego_err, B(nego_hs), r[1].nego_err, 0, r[0].ntlm_hs);
    for (k = 0; k < 2; k++)
        for (i = 0; i < SIZES; i++) {
            char label[64];
            double ceiling = 0;
            if (md5 > 0 && rc4 > 0) ceiling = (k ? 1.0 / (2.0 / md5 + 2.0 / rc4) : md5 / 2.0) / 1e6;
            snprintf(label, sizeof label, "%s %zu B", k ? "seal+unseal" : "sign+verify", sizes[i]);
            row(label, "MB/s", (k ? r[0].seal : r[0].sign)[i] / 1e6, k ? r[0].seal_err : r[0].sign_err,
                n > 1 ? &(double){(k ? r[1].seal : r[1].sign)[i] / 1e6} : NULL, k ? r[1].seal_err : r[1].sign_err, 0,
                ceiling);
        }
    row("library size, stripped", "KiB", size[0], 0, n > 1 ? &size[1] : NULL, 0, 1, 0);
    row("RSS, 10,000 contexts", "KiB", r[0].rss_kib, r[0].rss_err, B(rss_kib), r[1].rss_err, 1, 0);
    row("RSS growth for them", "KiB", r[0].rss_growth_kib, r[0].rss_err, B(rss_growth_kib), r[1].rss_err, 1, 0);
#undef B
    printf("\nA vs B: how many times A is better (faster, or smaller). Ceilings: NTLM\n"
           "handshakes: the 100,000/s target; Negotiate handshakes: A's NTLM rate;\n"
           "throughput: this machine's MD5 (%.0f MB/s) and RC4 (%.0f MB/s) from\n"
           "`openssl speed`, one core.\n",
           md5 / 1e6, rc4 / 1e6);
    return 0;
}

/* Stress, bounded: worker threads run full handshakes (NTLM and Negotiate,
 * alternately) and protect messages both ways, over and over, while another
 * thread keeps deleting the handles the workers have already deleted
 * (stale handles, whose arena slots the workers' new contexts reuse). No
 * call may fail; a stale handle is SEC_E_INVALID_HANDLE every time and never
 * reaches the live context in its slot. Run in rounds: resident memory must
 * be flat from the second round on (outside AddressSanitizer, whose
 * quarantine keeps freed memory), and LeakSanitizer sees no leak in the
 * sanitized runs. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sspi.h>
#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define WORKERS 4
#define ROUNDS 5
#define PER_ROUND 400
#define RING 256
#define ROOM 8192

static PSecurityFunctionTableA TA;
static CredHandle client_cred[2], server_cred[2];
static const char *const PACKAGES[2] = {"NTLM", "Negotiate"};

static atomic_int failures;
static atomic_int stale_deleted;
static atomic_int running;

/* Handles already deleted by their owner, for the deleter to try again. */
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static CtxtHandle ring[RING];
static unsigned ring_next, ring_count;

#define EXPECT(expr, want)                                                                   \
    do {                                                                                     \
        SECURITY_STATUS s_ = (expr);                                                         \
        if (s_ != (SECURITY_STATUS)(want)) {                                                 \
            atomic_fetch_add(&failures, 1);                                                  \
            fprintf(stderr, "%s:%d: %s returned 0x%08x\n", __FILE__, __LINE__, #expr, (unsigned)s_); \
        }                                                                                    \
    } while (0)

static void publish_stale(CtxtHandle h) {
    pthread_mutex_lock(&ring_lock);
    ring[ring_next++ % RING] = h;
    if (ring_count < RING) ring_count++;
    pthread_mutex_unlock(&ring_lock);
}

static SECURITY_STATUS step(int initiator, CredHandle *cred, CtxtHandle *ctx, int started,
                            unsigned char *in, ULONG in_len, unsigned char *out, ULONG *out_len) {
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, in}, ob = {ROOM, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS st;
    ULONG req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT;
    if (initiator)
        st = TA->InitializeSecurityContextA(cred, started ? ctx : NULL, (SEC_CHAR *)"HTTP/stress.example", req, 0,
                                            SECURITY_NATIVE_DREP, in ? &id : NULL, 0, ctx, &od, &attrs, NULL);
    else
        st = TA->AcceptSecurityContext(cred, started ? ctx : NULL, &id, req, SECURITY_NATIVE_DREP, ctx, &od,
                                       &attrs, NULL);
    *out_len = ob.cbBuffer;
    return st;
}

/* One handshake and a message each way; both contexts deleted and
 * published as stale. */
static void one_exchange(int which) {
    unsigned char a[ROOM], b[ROOM], sig[64], data[32];
    ULONG alen = 0, blen = 0;
    CtxtHandle c = {0, 0}, s = {0, 0};
    SECURITY_STATUS cs, ss = SEC_I_CONTINUE_NEEDED;
    int c_started = 0, s_started = 0, legs = 0;
    cs = step(1, &client_cred[which], &c, 0, NULL, 0, a, &alen);
    c_started = cs == SEC_I_CONTINUE_NEEDED || cs == SEC_E_OK;
    while (alen > 0 && legs++ < 8) {
        ss = step(0, &server_cred[which], &s, s_started, a, alen, b, &blen);
        s_started = 1;
        alen = 0;
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) break;
        if (blen == 0) break;
        cs = step(1, &client_cred[which], &c, 1, b, blen, a, &alen);
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) break;
    }
    EXPECT(cs, SEC_E_OK);
    EXPECT(ss, SEC_E_OK);
    if (cs == SEC_E_OK && ss == SEC_E_OK) {
        CtxtHandle pair[2][2] = {{c, s}, {s, c}};
        int dir;
        for (dir = 0; dir < 2; dir++) {
            SecBuffer mb[2] = {{64, SECBUFFER_TOKEN, sig}, {sizeof data, SECBUFFER_DATA, data}};
            SecBufferDesc md = {SECBUFFER_VERSION, 2, mb};
            memset(data, 'x' + dir, sizeof data);
            EXPECT(TA->EncryptMessage(&pair[dir][0], 0, &md, 0), SEC_E_OK);
            EXPECT(TA->DecryptMessage(&pair[dir][1], &md, 0, NULL), SEC_E_OK);
            if (data[0] != 'x' + dir || data[31] != 'x' + dir) atomic_fetch_add(&failures, 1);
            mb[0].cbBuffer = 64;
            EXPECT(TA->MakeSignature(&pair[dir][0], 0, &md, 0), SEC_E_OK);
            EXPECT(TA->VerifySignature(&pair[dir][1], &md, 0, NULL), SEC_E_OK);
        }
    }
    if (c_started) {
        EXPECT(TA->DeleteSecurityContext(&c), SEC_E_OK);
        publish_stale(c);
    }
    if (s_started) {
        EXPECT(TA->DeleteSecurityContext(&s), SEC_E_OK);
        publish_stale(s);
    }
}

static void *worker(void *arg) {
    int id = (int)(size_t)arg, i;
    for (i = 0; i < PER_ROUND; i++) one_exchange((id + i) % 2);
    return NULL;
}

/* Deletes stale handles until the workers are done: always
 * SEC_E_INVALID_HANDLE. */
static void *deleter(void *arg) {
    unsigned i = 0;
    (void)arg;
    while (atomic_load(&running)) {
        CtxtHandle h;
        int have;
        pthread_mutex_lock(&ring_lock);
        have = ring_count > 0;
        if (have) h = ring[i++ % ring_count];
        pthread_mutex_unlock(&ring_lock);
        if (!have) {
            sched_yield();
            continue;
        }
        EXPECT(TA->DeleteSecurityContext(&h), SEC_E_INVALID_HANDLE);
        atomic_fetch_add(&stale_deleted, 1);
    }
    return NULL;
}

/* Resident memory in KiB (Linux), or -1 where /proc is missing. */
static long rss_kib(void) {
    long pages = -1, resident = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static SECURITY_STATUS acquire(const char *package, ULONG use, CredHandle *h) {
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice", 5, (unsigned char *)"CORP", 4,
                                    (unsigned char *)"Passw0rd!", 9, SEC_WINNT_AUTH_IDENTITY_ANSI};
    return TA->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, use, NULL, &id, NULL, NULL, h, NULL);
}

int main(void) {
    long rss[ROUNDS];
    int round, k;
    TA = InitSecurityInterfaceA();
    for (k = 0; k < 2; k++) {
        CHECK_STATUS(acquire(PACKAGES[k], SECPKG_CRED_OUTBOUND, &client_cred[k]), SEC_E_OK);
        CHECK_STATUS(acquire(PACKAGES[k], SECPKG_CRED_INBOUND, &server_cred[k]), SEC_E_OK);
    }
    for (round = 0; round < ROUNDS; round++) {
        pthread_t w[WORKERS], d;
        atomic_store(&running, 1);
        CHECK(pthread_create(&d, NULL, deleter, NULL) == 0);
        for (k = 0; k < WORKERS; k++) CHECK(pthread_create(&w[k], NULL, worker, (void *)(size_t)k) == 0);
        for (k = 0; k < WORKERS; k++) pthread_join(w[k], NULL);
        atomic_store(&running, 0);
        pthread_join(d, NULL);
        rss[round] = rss_kib();
        printf("round %d: %d exchanges, RSS %ld KiB\n", round + 1, WORKERS * PER_ROUND, rss[round]);
    }
    CHECK(atomic_load(&failures) == 0);
    CHECK(atomic_load(&stale_deleted) > 0);
    printf("%d stale handles deleted, all refused\n", atomic_load(&stale_deleted));
#ifdef UNDER_ASAN
    printf("RSS flatness not checked under AddressSanitizer (its quarantine keeps freed memory); "
           "LeakSanitizer checks leaks at exit\n");
#else
    if (rss[0] < 0) {
        printf("RSS flatness not checked: no /proc/self/statm here\n");
    } else {
        /* Flat after warm-up: at most 1 MiB more from round 2 to the last. */
        CHECK(rss[ROUNDS - 1] - rss[1] <= 1024);
    }
#endif
    for (k = 0; k < 2; k++) {
        CHECK_STATUS(TA->FreeCredentialsHandle(&client_cred[k]), SEC_E_OK);
        CHECK_STATUS(TA->FreeCredentialsHandle(&server_cred[k]), SEC_E_OK);
    }
    return check_summary();
}

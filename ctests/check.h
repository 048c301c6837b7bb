/* A minimal test harness: every CHECK states an expected value; a test
 * program exits non-zero when any check failed, so ctest reports it. */
#ifndef OPENSSPI_CHECK_H
#define OPENSSPI_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                              \
    do {                                                                         \
        check_count++;                                                           \
        if (!(cond)) {                                                           \
            check_failures++;                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_STATUS(expr, want)                                                 \
    do {                                                                         \
        SECURITY_STATUS got_ = (expr);                                           \
        check_count++;                                                           \
        if (got_ != (SECURITY_STATUS)(want)) {                                   \
            check_failures++;                                                    \
            fprintf(stderr, "%s:%d: %s returned 0x%08x, want 0x%08x (%s)\n", __FILE__, \
                    __LINE__, #expr, (unsigned)got_, (unsigned)(want), #want);   \
        }                                                                        \
    } while (0)

#define RUN(test)                                                                \
    do {                                                                         \
        int before_ = check_failures;                                            \
        test();                                                                  \
        printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #test);   \
    } while (0)

static inline int check_summary(void) {
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures == 0 && check_count > 0 ? 0 : 1;
}

/* A UTF-16 copy of an ASCII string (SEC_WCHAR is 16-bit, not wchar_t). */
static inline SEC_WCHAR *wstr(const char *s) {
    static SEC_WCHAR bufs[8][256];
    static int next;
    SEC_WCHAR *w = bufs[next++ % 8];
    size_t i;
    for (i = 0; s[i] && i < 255; i++) w[i] = (SEC_WCHAR)(unsigned char)s[i];
    w[i] = 0;
    return w;
}

static inline size_t wlen(const SEC_WCHAR *w) {
    size_t n = 0;
    while (w[n]) n++;
    return n;
}

/* Compares a UTF-16 string with an ASCII one. */
static inline int weq(const SEC_WCHAR *w, const char *s) {
    size_t i;
    if (!w) return 0;
    for (i = 0; s[i]; i++)
        if (w[i] != (SEC_WCHAR)(unsigned char)s[i]) return 0;
    return w[i] == 0;
}

#endif

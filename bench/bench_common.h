/* What the benchmark programs share: a monotonic clock and short UTF-16
 * literals for the W table. */
#ifndef OPENSSPI_BENCH_COMMON_H
#define OPENSSPI_BENCH_COMMON_H

#include <time.h>
#include <sspi.h>

/* Seconds on the monotonic clock. */
static inline double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `s` (ASCII, under 64 characters) as UTF-16, in one of four rotating
 * static buffers. */
static inline SEC_WCHAR *w(const char *s) {
    static SEC_WCHAR bufs[4][64];
    static int next;
    SEC_WCHAR *o = bufs[next++ % 4];
    size_t i;
    for (i = 0; s[i] && i < 63; i++) o[i] = (SEC_WCHAR)s[i];
    o[i] = 0;
    return o;
}

#endif

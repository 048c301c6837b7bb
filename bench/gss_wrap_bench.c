/*
 * MIT Kerberos' GSS-API wrap/unwrap throughput, the baseline for opensspi's
 * EncryptMessage/DecryptMessage: an initiator and an acceptor context in
 * one process (krb5 mechanism, mutual authentication, confidentiality and
 * integrity), then gss_wrap (conf_req 1) on the initiator and gss_unwrap on
 * the acceptor, for about a second per message size.
 *
 * Run it inside the throwaway realm after kinit (bench/run-mit-bench.sh
 * does both): the initiator uses the default ccache (KRB5CCNAME) for
 * host@localhost, the acceptor the default keytab (KRB5_KTNAME). The
 * enctype is whatever the krb5.conf in KRB5_CONFIG yields; the first line
 * printed names it (the context's session key: the acceptor subkey).
 *
 * Output, MB = 1e6 bytes of plaintext per wrap+unwrap pair:
 *   mit gss context: enctype 18
 *   mit gss_wrap+unwrap 64 B: 12.3 MB/s
 *
 * Build: cc -O2 -Wall -Wextra -Werror gss_wrap_bench.c \
 *          $(pkg-config --cflags --libs krb5-gssapi)
 */
#define _POSIX_C_SOURCE 200809L

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
print_status(OM_uint32 code, int type)
{
    OM_uint32 min, more = 0;
    gss_buffer_desc msg;

    do {
        gss_display_status(&min, code, type, GSS_C_NO_OID, &more, &msg);
        fprintf(stderr, "  %.*s\n", (int)msg.length, (char *)msg.value);
        gss_release_buffer(&min, &msg);
    } while (more != 0);
}

static void
check(const char *what, OM_uint32 major, OM_uint32 minor)
{
    if (!GSS_ERROR(major))
        return;
    fprintf(stderr, "gss_wrap_bench: %s failed:\n", what);
    print_status(major, GSS_C_GSS_CODE);
    print_status(minor, GSS_C_MECH_CODE);
    exit(1);
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The context's session key enctype: GSS_C_INQ_SSPI_SESSION_KEY answers
 * the key and an OID, 1.2.840.113554.1.2.2.4 plus the enctype as one more
 * arc. -1 if that cannot be read. */
static long
session_enctype(gss_ctx_id_t ctx)
{
    static const unsigned char prefix[] = {
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04
    };
    OM_uint32 major, minor;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    long enctype = -1;
    const unsigned char *p;
    size_t i;

    major = gss_inquire_sec_context_by_oid(&minor, ctx,
                                           GSS_C_INQ_SSPI_SESSION_KEY, &set);
    if (GSS_ERROR(major) || set == GSS_C_NO_BUFFER_SET || set->count < 2)
        goto done;
    p = set->elements[1].value;
    if (set->elements[1].length <= sizeof(prefix) ||
        memcmp(p, prefix, sizeof(prefix)) != 0)
        goto done;
    enctype = 0;
    for (i = sizeof(prefix); i < set->elements[1].length; i++)
        enctype = (enctype << 7) | (p[i] & 0x7f);
done:
    gss_release_buffer_set(&minor, &set);
    return enctype;
}

/* Establishes the two contexts, token by token. */
static void
establish(gss_ctx_id_t *ictx, gss_ctx_id_t *actx)
{
    OM_uint32 major, minor, imajor = GSS_S_CONTINUE_NEEDED;
    OM_uint32 amajor = GSS_S_CONTINUE_NEEDED, ret_flags = 0;
    OM_uint32 req_flags = GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG |
        GSS_C_INTEG_FLAG;
    gss_buffer_desc name_buf, itoken = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc atoken = GSS_C_EMPTY_BUFFER;
    gss_name_t target;
    int rounds;

    name_buf.value = (void *)"host@localhost";
    name_buf.length = strlen("host@localhost");
    major = gss_import_name(&minor, &name_buf, GSS_C_NT_HOSTBASED_SERVICE,
                            &target);
    check("gss_import_name", major, minor);

    for (rounds = 0; imajor == GSS_S_CONTINUE_NEEDED; rounds++) {
        if (rounds > 4) {
            fprintf(stderr, "gss_wrap_bench: too many context rounds\n");
            exit(1);
        }
        imajor = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, ictx,
                                      target, (gss_OID)gss_mech_krb5,
                                      req_flags, 0,
                                      GSS_C_NO_CHANNEL_BINDINGS, &atoken,
                                      NULL, &itoken, &ret_flags, NULL);
        gss_release_buffer(&minor, &atoken);
        check("gss_init_sec_context", imajor, minor);
        if (itoken.length == 0)
            break;
        amajor = gss_accept_sec_context(&minor, actx, GSS_C_NO_CREDENTIAL,
                                        &itoken, GSS_C_NO_CHANNEL_BINDINGS,
                                        NULL, NULL, &atoken, NULL, NULL,
                                        NULL);
        gss_release_buffer(&minor, &itoken);
        check("gss_accept_sec_context", amajor, minor);
    }
    gss_release_name(&minor, &target);
    if (imajor != GSS_S_COMPLETE || amajor != GSS_S_COMPLETE) {
        fprintf(stderr, "gss_wrap_bench: context not complete\n");
        exit(1);
    }
    if ((ret_flags & req_flags) != req_flags) {
        fprintf(stderr, "gss_wrap_bench: flags %#x lack some of %#x\n",
                (unsigned)ret_flags, (unsigned)req_flags);
        exit(1);
    }
}

static void
bench(gss_ctx_id_t ictx, gss_ctx_id_t actx, size_t size)
{
    OM_uint32 major, minor;
    gss_buffer_desc in, wrapped, out;
    unsigned char *data = malloc(size);
    unsigned long count = 0;
    double start, elapsed;
    int conf = 0;
    size_t i;

    if (data == NULL) {
        fprintf(stderr, "gss_wrap_bench: out of memory\n");
        exit(1);
    }
    for (i = 0; i < size; i++)
        data[i] = (unsigned char)(i * 7 + 1);
    in.value = data;
    in.length = size;

    start = now();
    do {
        major = gss_wrap(&minor, ictx, 1, GSS_C_QOP_DEFAULT, &in, &conf,
                         &wrapped);
        check("gss_wrap", major, minor);
        major = gss_unwrap(&minor, actx, &wrapped, &out, &conf, NULL);
        check("gss_unwrap", major, minor);
        if (count == 0 && (conf != 1 || out.length != size ||
                           memcmp(out.value, data, size) != 0)) {
            fprintf(stderr, "gss_wrap_bench: round trip mismatch\n");
            exit(1);
        }
        gss_release_buffer(&minor, &wrapped);
        gss_release_buffer(&minor, &out);
        count++;
        elapsed = now() - start;
    } while (elapsed < 1.0);

    printf("mit gss_wrap+unwrap %zu B: %.1f MB/s\n", size,
           (double)count * (double)size / elapsed / 1e6);
    fflush(stdout);
    free(data);
}

int
main(void)
{
    static const size_t sizes[] = { 64, 1024, 16384 };
    gss_ctx_id_t ictx = GSS_C_NO_CONTEXT, actx = GSS_C_NO_CONTEXT;
    OM_uint32 minor;
    size_t i;

    establish(&ictx, &actx);
    printf("mit gss context: enctype %ld\n", session_enctype(ictx));
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        bench(ictx, actx, sizes[i]);
    gss_delete_sec_context(&minor, &ictx, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
    return 0;
}

/* The panic boundary, against a build with the `fault-injection` feature,
 * whose mock package ("Mock") panics on demand after changing its state: a
 * step given the token "panic", and MakeSignature over the data "panic".
 * The call returns SEC_E_INTERNAL_ERROR, the process goes on, and the
 * context the panic interrupted is unusable from then on (its state may be
 * half-updated): every later call on it is SEC_E_INVALID_HANDLE, and
 * DeleteSecurityContext frees it. Other contexts are unaffected. */
#include <dlfcn.h>
#include <sspi.h>
#include "check.h"

#ifndef OPENSSPI_FAULT_LIBRARY
#error "OPENSSPI_FAULT_LIBRARY must name the fault-injection build to dlopen"
#endif

static PSecurityFunctionTableW T;
static CredHandle cred;

static SECURITY_STATUS step(CtxtHandle *ctx, const char *token, CtxtHandle *out_ctx) {
    unsigned char out[64];
    SecBuffer ib = {(ULONG)(token ? strlen(token) : 0), SECBUFFER_TOKEN, (void *)token}, ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    return T->InitializeSecurityContextW(&cred, ctx, NULL, 0, 0, SECURITY_NATIVE_DREP, token ? &id : NULL, 0, out_ctx, &od, &attrs, NULL);
}

static SECURITY_STATUS sign_text(CtxtHandle *c, const char *text) {
    unsigned char sig[16], data[16];
    SecBuffer b[2] = {{sizeof sig, SECBUFFER_TOKEN, sig}, {(ULONG)strlen(text), SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    memcpy(data, text, strlen(text));
    return T->MakeSignature(c, 0, &d, 0);
}

static void panic_in_a_step(void) {
    CtxtHandle c, other;
    SecPkgContext_NamesW names;
    CHECK_STATUS(step(NULL, NULL, &c), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(step(NULL, NULL, &other), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(step(&c, "panic", &c), SEC_E_INTERNAL_ERROR);
    /* The interrupted context: every call refused, its state never read. */
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(step(&c, "done", &c), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(sign_text(&c, "hello"), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_INVALID_HANDLE);
    /* Another context goes on. */
    CHECK_STATUS(step(&other, "done", &other), SEC_E_OK);
    CHECK_STATUS(T->QueryContextAttributesW(&other, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "default"));
    T->FreeContextBuffer(names.sUserName);
    CHECK_STATUS(T->DeleteSecurityContext(&other), SEC_E_OK);
}

static void panic_in_make_signature(void) {
    CtxtHandle c;
    SecPkgContext_NamesW names;
    CHECK_STATUS(step(NULL, NULL, &c), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(step(&c, "done", &c), SEC_E_OK);
    CHECK_STATUS(sign_text(&c, "hello"), SEC_E_OK);
    CHECK_STATUS(sign_text(&c, "panic"), SEC_E_INTERNAL_ERROR);
    CHECK_STATUS(sign_text(&c, "hello"), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(T->QueryContextAttributesW(&c, SECPKG_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(T->DeleteSecurityContext(&c), SEC_E_OK);
}

int main(void) {
    void *lib = dlopen(OPENSSPI_FAULT_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    INIT_SECURITY_INTERFACE_W init;
    CHECK(lib != NULL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return check_summary();
    }
    *(void **)&init = dlsym(lib, "InitSecurityInterfaceW");
    CHECK(init != NULL);
    if (!init) return check_summary();
    T = init();
    CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr("Mock"), SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cred, NULL), SEC_E_OK);
    RUN(panic_in_a_step);
    RUN(panic_in_make_signature);
    T->FreeCredentialsHandle(&cred);
    return check_summary();
}

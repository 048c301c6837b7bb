/* InitSecurityInterfaceA/W return static tables in Windows' layout, whose
 * slots are the exported functions (Wine's conformance test, which passes on
 * Windows: dwVersion 1, Reserved2 NULL, Reserved3/4 = Encrypt/DecryptMessage). */
#include <sspi.h>
#include "check.h"

static void table_w(void) {
    PSecurityFunctionTableW t = InitSecurityInterfaceW();
    CHECK(t != NULL);
    CHECK(t == InitSecurityInterfaceW());
    CHECK(t->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION);
    CHECK(t->Reserved2 == NULL && t->Reserved8 == NULL);
    CHECK(t->Reserved3 == (void *)EncryptMessage && t->Reserved4 == (void *)DecryptMessage);
    CHECK(t->EnumerateSecurityPackagesW == EnumerateSecurityPackagesW);
    CHECK(t->QueryCredentialsAttributesW == QueryCredentialsAttributesW);
    CHECK(t->AcquireCredentialsHandleW == AcquireCredentialsHandleW);
    CHECK(t->FreeCredentialsHandle == FreeCredentialsHandle);
    CHECK(t->InitializeSecurityContextW == InitializeSecurityContextW);
    CHECK(t->AcceptSecurityContext == AcceptSecurityContext);
    CHECK(t->CompleteAuthToken == CompleteAuthToken);
    CHECK(t->DeleteSecurityContext == DeleteSecurityContext);
    CHECK(t->ApplyControlToken == ApplyControlToken);
    CHECK(t->QueryContextAttributesW == QueryContextAttributesW);
    CHECK(t->ImpersonateSecurityContext == ImpersonateSecurityContext);
    CHECK(t->RevertSecurityContext == RevertSecurityContext);
    CHECK(t->MakeSignature == MakeSignature);
    CHECK(t->VerifySignature == VerifySignature);
    CHECK(t->FreeContextBuffer == FreeContextBuffer);
    CHECK(t->QuerySecurityPackageInfoW == QuerySecurityPackageInfoW);
    CHECK(t->ExportSecurityContext == ExportSecurityContext);
    CHECK(t->ImportSecurityContextW == ImportSecurityContextW);
    CHECK(t->AddCredentialsW == AddCredentialsW);
    CHECK(t->QuerySecurityContextToken == QuerySecurityContextToken);
    CHECK(t->EncryptMessage == EncryptMessage);
    CHECK(t->DecryptMessage == DecryptMessage);
    CHECK(t->SetContextAttributesW == SetContextAttributesW);
    CHECK(t->SetCredentialsAttributesW == SetCredentialsAttributesW);
    CHECK(t->ChangeAccountPasswordW == ChangeAccountPasswordW);
    CHECK(t->QueryContextAttributesExW == QueryContextAttributesExW);
    CHECK(t->QueryCredentialsAttributesExW == QueryCredentialsAttributesExW);
}

static void table_a(void) {
    PSecurityFunctionTableA t = InitSecurityInterfaceA();
    CHECK(t != NULL);
    CHECK(t == InitSecurityInterfaceA());
    CHECK((void *)t != (void *)InitSecurityInterfaceW());
    CHECK(t->dwVersion == 1);
    CHECK(t->Reserved2 == NULL && t->Reserved8 == NULL);
    CHECK(t->Reserved3 == (void *)EncryptMessage && t->Reserved4 == (void *)DecryptMessage);
    CHECK(t->EnumerateSecurityPackagesA == EnumerateSecurityPackagesA);
    CHECK(t->QueryCredentialsAttributesA == QueryCredentialsAttributesA);
    CHECK(t->AcquireCredentialsHandleA == AcquireCredentialsHandleA);
    CHECK(t->InitializeSecurityContextA == InitializeSecurityContextA);
    CHECK(t->QueryContextAttributesA == QueryContextAttributesA);
    CHECK(t->QuerySecurityPackageInfoA == QuerySecurityPackageInfoA);
    CHECK(t->ImportSecurityContextA == ImportSecurityContextA);
    CHECK(t->AddCredentialsA == AddCredentialsA);
    CHECK(t->SetContextAttributesA == SetContextAttributesA);
    CHECK(t->SetCredentialsAttributesA == SetCredentialsAttributesA);
    CHECK(t->ChangeAccountPasswordA == ChangeAccountPasswordA);
    CHECK(t->QueryContextAttributesExA == QueryContextAttributesExA);
    CHECK(t->QueryCredentialsAttributesExA == QueryCredentialsAttributesExA);
    CHECK(t->FreeContextBuffer == FreeContextBuffer);
}

/* The unsuffixed names follow UNICODE, as in Windows' headers. */
static void unsuffixed_names(void) {
#ifdef UNICODE
    CHECK(InitSecurityInterface == InitSecurityInterfaceW);
#else
    INIT_SECURITY_INTERFACE init = InitSecurityInterface;
    SecPkgInfo *info = NULL;
    CHECK(init == InitSecurityInterfaceA);
    CHECK(sizeof(*info) == sizeof(SecPkgInfoA));
    CHECK(sizeof(SEC_WINNT_AUTH_IDENTITY) == sizeof(SEC_WINNT_AUTH_IDENTITY_A));
#endif
}

int main(void) {
    RUN(table_w);
    RUN(table_a);
    RUN(unsuffixed_names);
    return check_summary();
}

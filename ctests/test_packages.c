/* EnumerateSecurityPackages, QuerySecurityPackageInfo and FreeContextBuffer,
 * with Windows' values for each package. */
#include <sspi.h>
#include "check.h"

static void enumerate_w(void) {
    ULONG n = 0;
    PSecPkgInfoW pkgs = NULL;
    int found = 0, negotiate = 0;
    CHECK_STATUS(EnumerateSecurityPackagesW(&n, &pkgs), SEC_E_OK);
    CHECK(n >= 2 && pkgs != NULL);
    for (ULONG i = 0; i < n; i++) {
        if (weq(pkgs[i].Name, "NTLM")) {
            found = 1;
            CHECK(pkgs[i].fCapabilities == 0x82B37);
            CHECK(pkgs[i].wVersion == 1 && pkgs[i].wRPCID == 10 && pkgs[i].cbMaxToken == 2888);
            CHECK(weq(pkgs[i].Comment, "NTLM Security Package"));
        }
        if (weq(pkgs[i].Name, "Negotiate")) {
            negotiate = 1;
            CHECK(pkgs[i].fCapabilities == 0x83BB3);
            CHECK(pkgs[i].wVersion == 1 && pkgs[i].wRPCID == 9 && pkgs[i].cbMaxToken == 48256);
            CHECK(weq(pkgs[i].Comment, "Microsoft Package Negotiator"));
        }
    }
    CHECK(found && negotiate);
    /* Windows lists Negotiate first. */
    CHECK(weq(pkgs[0].Name, "Negotiate"));
    CHECK_STATUS(FreeContextBuffer(pkgs), SEC_E_OK);
}

static void enumerate_a(void) {
    ULONG n = 0;
    PSecPkgInfoA pkgs = NULL;
    CHECK_STATUS(EnumerateSecurityPackagesA(&n, &pkgs), SEC_E_OK);
    CHECK(n >= 1 && pkgs != NULL);
    CHECK(strcmp(pkgs[0].Name, "Negotiate") == 0 &&
          strcmp(pkgs[0].Comment, "Microsoft Package Negotiator") == 0);
    /* Then Kerberos and NTLM, as Windows lists them. */
    CHECK(strcmp(pkgs[1].Name, "Kerberos") == 0 && strcmp(pkgs[1].Comment, "Microsoft Kerberos V1.0") == 0);
    CHECK(pkgs[1].fCapabilities == 0xF3BBF && pkgs[1].wRPCID == 16 && pkgs[1].cbMaxToken == 48000);
    CHECK(strcmp(pkgs[2].Name, "NTLM") == 0 && strcmp(pkgs[2].Comment, "NTLM Security Package") == 0);
    CHECK_STATUS(FreeContextBuffer(pkgs), SEC_E_OK);
    CHECK_STATUS(EnumerateSecurityPackagesA(NULL, &pkgs), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(EnumerateSecurityPackagesA(&n, NULL), SEC_E_INVALID_PARAMETER);
}

static void query_package_info(void) {
    PSecPkgInfoW w = NULL;
    PSecPkgInfoA a = NULL;
    CHECK_STATUS(QuerySecurityPackageInfoW(wstr("NTLM"), &w), SEC_E_OK);
    CHECK(w && weq(w->Name, "NTLM") && w->fCapabilities == 0x82B37 && w->wRPCID == 10);
    CHECK_STATUS(FreeContextBuffer(w), SEC_E_OK);
    /* Names match case-insensitively. */
    CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"ntlm", &a), SEC_E_OK);
    CHECK(a && strcmp(a->Name, "NTLM") == 0 && a->cbMaxToken == 2888 && a->wVersion == 1);
    CHECK_STATUS(FreeContextBuffer(a), SEC_E_OK);
    CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"negotiate", &a), SEC_E_OK);
    CHECK(a && strcmp(a->Name, "Negotiate") == 0 && a->fCapabilities == 0x83BB3);
    CHECK(a && a->wVersion == 1 && a->wRPCID == 9 && a->cbMaxToken == 48256);
    CHECK(a && strcmp(a->Comment, "Microsoft Package Negotiator") == 0);
    CHECK_STATUS(FreeContextBuffer(a), SEC_E_OK);
}

static void unknown_package_leaves_output_alone(void) {
    PSecPkgInfoA a = (PSecPkgInfoA)(ULONG_PTR)0xdeadbeef;
    PSecPkgInfoW w = (PSecPkgInfoW)(ULONG_PTR)0xdeadbeef;
    CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"Winetest", &a), SEC_E_SECPKG_NOT_FOUND);
    CHECK(a == (PSecPkgInfoA)(ULONG_PTR)0xdeadbeef);
    CHECK_STATUS(QuerySecurityPackageInfoW(wstr("Winetest"), &w), SEC_E_SECPKG_NOT_FOUND);
    CHECK(w == (PSecPkgInfoW)(ULONG_PTR)0xdeadbeef);
    CHECK_STATUS(QuerySecurityPackageInfoA(NULL, &a), SEC_E_SECPKG_NOT_FOUND);
    CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"", &a), SEC_E_SECPKG_NOT_FOUND);
    CHECK(a == (PSecPkgInfoA)(ULONG_PTR)0xdeadbeef);
}

static void free_context_buffer(void) {
    char local[16];
    PSecPkgInfoA a = NULL;
    CHECK_STATUS(FreeContextBuffer(NULL), SEC_E_OK);
    /* Pointers the library did not hand out are refused, not freed. */
    CHECK_STATUS(FreeContextBuffer(local), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"NTLM", &a), SEC_E_OK);
    CHECK_STATUS(FreeContextBuffer((char *)a + 1), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(FreeContextBuffer(a), SEC_E_OK);
    CHECK_STATUS(FreeContextBuffer(a), SEC_E_INVALID_HANDLE);
}

static void through_the_table(void) {
    PSecurityFunctionTableW t = InitSecurityInterfaceW();
    ULONG n = 0;
    PSecPkgInfoW pkgs = NULL;
    CHECK_STATUS(t->EnumerateSecurityPackagesW(&n, &pkgs), SEC_E_OK);
    CHECK(n >= 1);
    CHECK_STATUS(t->FreeContextBuffer(pkgs), SEC_E_OK);
}

int main(void) {
    RUN(enumerate_w);
    RUN(enumerate_a);
    RUN(query_package_info);
    RUN(unknown_package_leaves_output_alone);
    RUN(free_context_buffer);
    RUN(through_the_table);
    return check_summary();
}

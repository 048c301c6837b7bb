/* AcquireCredentialsHandle with every identity structure, A and W, and
 * QueryCredentialsAttributes(SECPKG_CRED_ATTR_NAMES). */
#include <stdlib.h>
#include <sspi.h>
#include "check.h"

/* Reads back the credential's user name through the A table and frees it. */
static int cred_name_is(CredHandle *h, const char *want) {
    SecPkgCredentials_NamesA names = {0};
    int ok;
    if (QueryCredentialsAttributesA(h, SECPKG_CRED_ATTR_NAMES, &names) != SEC_E_OK) return 0;
    ok = names.sUserName && strcmp(names.sUserName, want) == 0;
    if (!ok) fprintf(stderr, "name: %s, want %s\n", names.sUserName ? names.sUserName : "(null)", want);
    FreeContextBuffer(names.sUserName);
    return ok;
}

static void identity_w(void) {
    CredHandle h;
    TimeStamp expiry = {0, 0};
    SEC_WINNT_AUTH_IDENTITY_W id = {0};
    SecPkgCredentials_NamesW names = {0};
    id.User = wstr("alice");
    id.UserLength = 5;
    id.Domain = wstr("CONTOSO");
    id.DomainLength = 7;
    id.Password = wstr("Passw0rd!");
    id.PasswordLength = 9;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    CHECK_STATUS(AcquireCredentialsHandleW(NULL, wstr("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, &expiry), SEC_E_OK);
    CHECK(expiry.HighPart == 0x7fffffff && expiry.LowPart == 0xffffffff);
    CHECK_STATUS(QueryCredentialsAttributesW(&h, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "CONTOSO\\alice"));
    CHECK_STATUS(FreeContextBuffer(names.sUserName), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

static void identity_a_lengths_without_nul(void) {
    CredHandle h;
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    /* Lengths count characters; the strings need no terminator. */
    id.User = (unsigned char *)"bobXXX";
    id.UserLength = 3;
    id.Domain = (unsigned char *)"DOMYYY";
    id.DomainLength = 3;
    id.Password = (unsigned char *)"pw";
    id.PasswordLength = 2;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "DOM\\bob"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

static void flags_decide_encoding_not_entry_point(void) {
    CredHandle h;
    SEC_WINNT_AUTH_IDENTITY_A ansi = {0};
    SEC_WINNT_AUTH_IDENTITY_W wide = {0};
    ansi.User = (unsigned char *)"carol";
    ansi.UserLength = 5;
    ansi.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    /* The W entry point accepts an identity flagged ANSI (as Windows). */
    CHECK_STATUS(AcquireCredentialsHandleW(NULL, wstr("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &ansi, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "carol"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
    wide.User = wstr("dave");
    wide.UserLength = 4;
    wide.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &wide, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "dave"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

static void identity_ex_both_forms(void) {
    CredHandle h;
    SEC_WINNT_AUTH_IDENTITY_EXW w = {0};
    SEC_WINNT_AUTH_IDENTITY_EXA a = {0};
    w.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    w.Length = sizeof(w);
    w.User = wstr("erin");
    w.UserLength = 4;
    w.Domain = wstr("EXW");
    w.DomainLength = 3;
    w.Password = wstr("secret");
    w.PasswordLength = 6;
    w.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    w.PackageList = wstr("NTLM");
    w.PackageListLength = 4;
    CHECK_STATUS(AcquireCredentialsHandleW(NULL, wstr("NTLM"), SECPKG_CRED_BOTH, NULL, &w, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "EXW\\erin"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);

    a.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    a.Length = sizeof(a);
    a.User = (unsigned char *)"frank";
    a.UserLength = 5;
    a.Password = (unsigned char *)"pw";
    a.PasswordLength = 2;
    a.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &a, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "frank"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

/* A larger structure that starts with the EX fields (WinPR's V2 identity)
 * is read by its EX prefix. */
static void identity_ex_prefix_of_a_larger_structure(void) {
    struct {
        SEC_WINNT_AUTH_IDENTITY_EXW ex;
        ULONG extra[8];
    } v2;
    CredHandle h;
    memset(&v2, 0x5A, sizeof(v2));
    memset(&v2.ex, 0, sizeof(v2.ex));
    v2.ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    v2.ex.Length = sizeof(v2);
    v2.ex.User = wstr("gina");
    v2.ex.UserLength = 4;
    v2.ex.Domain = wstr("RDP");
    v2.ex.DomainLength = 3;
    v2.ex.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &v2, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "RDP\\gina"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

static void domain_in_user_name(void) {
    CredHandle h;
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    id.User = (unsigned char *)"CORP\\henry";
    id.UserLength = 10;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "CORP\\henry"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
    id.User = (unsigned char *)"ivy@corp.example";
    id.UserLength = 16;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK(cred_name_is(&h, "ivy@corp.example"));
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

static void null_fields_and_null_auth_data(void) {
    CredHandle h;
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    /* NULL user, domain and password with zero lengths are accepted (Windows). */
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
    /* A NULL string with a length is malformed. */
    id.UserLength = 4;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_INVALID_PARAMETER);
    /* Inbound with NULL auth data: accounts come from NTLM_USER_FILE at accept time. */
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
    /* Outbound default credentials need NTLM_USER_FILE. */
    unsetenv("NTLM_USER_FILE");
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &h, NULL), SEC_E_NO_CREDENTIALS);
}

static void bad_arguments(void) {
    CredHandle h = {0x1234, 0x5678};
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Winetest", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_SECPKG_NOT_FOUND);
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, NULL, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_SECPKG_NOT_FOUND);
    CHECK(h.dwLower == 0x1234 && h.dwUpper == 0x5678);
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", 0, NULL, &id, NULL, NULL, &h, NULL), SEC_E_UNKNOWN_CREDENTIALS);
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, NULL, NULL), SEC_E_INVALID_HANDLE);
    CHECK(h.dwLower == 0x1234 && h.dwUpper == 0x5678);
    /* fCredentialUse with bits beyond the documented ones. */
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", 0xFFFFFFFFu, NULL, &id, NULL, NULL, &h, NULL), SEC_E_UNKNOWN_CREDENTIALS);
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_RESERVED | SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_UNKNOWN_CREDENTIALS);
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", 0x100 | SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_UNKNOWN_CREDENTIALS);
    CHECK(h.dwLower == 0x1234 && h.dwUpper == 0x5678);
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND | SECPKG_CRED_AUTOLOGON_RESTRICTED, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

/* Identity Flags must name exactly one encoding (Microsoft: "must be one of"
 * ANSI or UNICODE): neither or both is SEC_E_INVALID_PARAMETER. */
static void identity_flags_name_one_encoding(void) {
    static const unsigned long bad[] = {0, SEC_WINNT_AUTH_IDENTITY_ANSI | SEC_WINNT_AUTH_IDENTITY_UNICODE};
    CredHandle h = {0x1234, 0x5678};
    SEC_WINNT_AUTH_IDENTITY_A a = {0};
    SEC_WINNT_AUTH_IDENTITY_W w = {0};
    size_t i;
    a.User = (unsigned char *)"erin";
    a.UserLength = 4;
    w.User = wstr("erin");
    w.UserLength = 4;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a.Flags = w.Flags = bad[i];
        CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &a, NULL, NULL, &h, NULL), SEC_E_INVALID_PARAMETER);
        CHECK_STATUS(AcquireCredentialsHandleW(NULL, wstr("NTLM"), SECPKG_CRED_OUTBOUND, NULL, &w, NULL, NULL, &h, NULL), SEC_E_INVALID_PARAMETER);
        CHECK_STATUS(AcquireCredentialsHandleW(NULL, wstr("Negotiate"), SECPKG_CRED_OUTBOUND, NULL, &w, NULL, NULL, &h, NULL), SEC_E_INVALID_PARAMETER);
        CHECK(h.dwLower == 0x1234 && h.dwUpper == 0x5678);
    }
}

static void query_attributes_errors(void) {
    CredHandle h;
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    SecPkgCredentials_NamesA names = {0};
    id.User = (unsigned char *)"jim";
    id.UserLength = 3;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK_STATUS(QueryCredentialsAttributesA(&h, SECPKG_CRED_ATTR_NAMES, NULL), SEC_E_INTERNAL_ERROR);
    CHECK_STATUS(QueryCredentialsAttributesA(&h, 0x7777, &names), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(QueryCredentialsAttributesExA(&h, SECPKG_CRED_ATTR_NAMES, &names, 4), SEC_E_BUFFER_TOO_SMALL);
    CHECK(names.sUserName == NULL);
    CHECK_STATUS(QueryCredentialsAttributesExA(&h, SECPKG_CRED_ATTR_NAMES, &names, sizeof(names)), SEC_E_OK);
    CHECK(names.sUserName && strcmp(names.sUserName, "jim") == 0);
    CHECK_STATUS(FreeContextBuffer(names.sUserName), SEC_E_OK);
    CHECK_STATUS(SetCredentialsAttributesA(&h, 0x7777, &names, sizeof(names)), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(AddCredentialsA(&h, NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(AddCredentialsA(&h, NULL, (SEC_CHAR *)"Nope", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL), SEC_E_SECPKG_NOT_FOUND);
    CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
}

static void through_the_tables(void) {
    PSecurityFunctionTableA ta = InitSecurityInterfaceA();
    PSecurityFunctionTableW tw = InitSecurityInterfaceW();
    CredHandle h;
    SEC_WINNT_AUTH_IDENTITY_W id = {0};
    SecPkgCredentials_NamesW names = {0};
    id.User = wstr("kim");
    id.UserLength = 3;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    CHECK_STATUS(tw->AcquireCredentialsHandleW(NULL, wstr("ntlm"), SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h, NULL), SEC_E_OK);
    CHECK_STATUS(tw->QueryCredentialsAttributesW(&h, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(weq(names.sUserName, "kim") && wlen(names.sUserName) == 3);
    CHECK_STATUS(ta->FreeContextBuffer(names.sUserName), SEC_E_OK);
    CHECK_STATUS(ta->FreeCredentialsHandle(&h), SEC_E_OK);
    CHECK_STATUS(ta->FreeCredentialsHandle(&h), SEC_E_INVALID_HANDLE);
}

int main(void) {
    RUN(identity_w);
    RUN(identity_a_lengths_without_nul);
    RUN(flags_decide_encoding_not_entry_point);
    RUN(identity_ex_both_forms);
    RUN(identity_ex_prefix_of_a_larger_structure);
    RUN(domain_in_user_name);
    RUN(null_fields_and_null_auth_data);
    RUN(bad_arguments);
    RUN(identity_flags_name_one_encoding);
    RUN(query_attributes_errors);
    RUN(through_the_tables);
    return check_summary();
}

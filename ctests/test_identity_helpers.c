/* The Sspi* identity helpers: encoding strings as an identity and back,
 * copying, zeroing and freeing, and using such an identity with
 * AcquireCredentialsHandle for a whole NTLM and Negotiate logon. */
#include "pair.h"

/* An EXW identity's fields, for inspecting what the helpers build. */
static int exw_is(PSEC_WINNT_AUTH_IDENTITY_OPAQUE p, const char *user, const char *domain, const char *password) {
    SEC_WINNT_AUTH_IDENTITY_EXW *ex = (SEC_WINNT_AUTH_IDENTITY_EXW *)p;
    return ex->Version == SEC_WINNT_AUTH_IDENTITY_VERSION && ex->Length == sizeof *ex &&
           (ex->Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE) && weq(ex->User, user) && ex->UserLength == strlen(user) &&
           (domain ? weq(ex->Domain, domain) && ex->DomainLength == strlen(domain) : ex->Domain == NULL) &&
           weq(ex->Password, password) && ex->PasswordLength == strlen(password);
}

static void encode_and_decode(void) {
    PSEC_WINNT_AUTH_IDENTITY_OPAQUE id = NULL, copy = NULL;
    const SEC_WCHAR *user = NULL, *domain = NULL, *packed = NULL;
    CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(wstr("alice"), wstr("CORP"), wstr("Passw0rd!"), &id), SEC_E_OK);
    CHECK(id != NULL && exw_is(id, "alice", "CORP", "Passw0rd!"));
    CHECK(!SspiIsAuthIdentityEncrypted(id));
    CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(id, &user, &domain, &packed), SEC_E_OK);
    CHECK(weq(user, "alice") && weq(domain, "CORP") && weq(packed, "Passw0rd!"));
    SspiFreeAuthIdentity((void *)user);
    SspiFreeAuthIdentity((void *)domain);
    SspiFreeAuthIdentity((void *)packed);
    CHECK_STATUS(SspiCopyAuthIdentity(id, &copy), SEC_E_OK);
    CHECK(copy != NULL && copy != id && exw_is(copy, "alice", "CORP", "Passw0rd!"));
    /* Zeroing one of ours clears it all; it stays allocated until freed. */
    SspiZeroAuthIdentity(copy);
    CHECK(((SEC_WINNT_AUTH_IDENTITY_EXW *)copy)->Version == 0 && ((SEC_WINNT_AUTH_IDENTITY_EXW *)copy)->User == NULL);
    SspiFreeAuthIdentity(copy);
    SspiFreeAuthIdentity(id);
    /* Absent fields stay absent. */
    CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(wstr("bob@corp.example"), NULL, wstr("pw"), &id), SEC_E_OK);
    CHECK(exw_is(id, "bob@corp.example", NULL, "pw"));
    user = domain = (const SEC_WCHAR *)1;
    CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(id, &user, &domain, NULL), SEC_E_OK);
    CHECK(weq(user, "bob@corp.example") && domain == NULL);
    SspiFreeAuthIdentity((void *)user);
    SspiFreeAuthIdentity(id);
    /* Bad arguments. */
    CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(wstr("x"), NULL, NULL, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(NULL, &user, &domain, &packed), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiCopyAuthIdentity(NULL, &copy), SEC_E_INVALID_PARAMETER);
    SspiFreeAuthIdentity(NULL);
    SspiZeroAuthIdentity(NULL);
    SspiLocalFree(NULL);
}

static void copies_of_other_forms(void) {
    SEC_WINNT_AUTH_IDENTITY_A a = {0};
    PSEC_WINNT_AUTH_IDENTITY_OPAQUE copy = NULL;
    char password[] = "s3cret";
    a.User = (unsigned char *)"carol";
    a.UserLength = 5;
    a.Domain = (unsigned char *)"EXAMPLE";
    a.DomainLength = 7;
    a.Password = (unsigned char *)password;
    a.PasswordLength = 6;
    a.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(SspiCopyAuthIdentity(&a, &copy), SEC_E_OK);
    CHECK(exw_is(copy, "carol", "EXAMPLE", "s3cret"));
    SspiFreeAuthIdentity(copy);
    /* Zeroing a caller's structure clears its password in place. */
    SspiZeroAuthIdentity(&a);
    CHECK(memcmp(password, "\0\0\0\0\0\0", 6) == 0 && a.User != NULL);
    /* The packed EX2 form: one whose cbStructureLength is below its header
     * is refused; a well-formed one (no secret) is copied as it is. */
    {
        ULONG ex2[16] = {SEC_WINNT_AUTH_IDENTITY_VERSION_2, sizeof(SEC_WINNT_AUTH_IDENTITY_EX2)};
        CHECK_STATUS(SspiCopyAuthIdentity(ex2, &copy), SEC_E_INVALID_PARAMETER);
        ex2[2] = sizeof(SEC_WINNT_AUTH_IDENTITY_EX2);
        ex2[9] = SEC_WINNT_AUTH_IDENTITY_UNICODE;
        CHECK_STATUS(SspiCopyAuthIdentity(ex2, &copy), SEC_E_OK);
        CHECK(copy != NULL && memcmp(copy, ex2, sizeof(SEC_WINNT_AUTH_IDENTITY_EX2)) == 0);
        SspiFreeAuthIdentity(copy);
    }
}

static void logon_with_an_encoded_identity(void) {
    static const char *packages[] = {"NTLM", "Negotiate"};
    size_t i;
    for (i = 0; i < 2; i++) {
        PSEC_WINNT_AUTH_IDENTITY_OPAQUE id = NULL;
        CredHandle client, server;
        CtxtHandle c, s;
        struct outcome o;
        SecPkgContext_NamesW names;
        CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(wstr("dave"), wstr("CORP"), wstr("Passw0rd!"), &id), SEC_E_OK);
        CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr(packages[i]), SECPKG_CRED_OUTBOUND, NULL, id, NULL, NULL, &client, NULL),
                     SEC_E_OK);
        CHECK_STATUS(T->AcquireCredentialsHandleW(NULL, wstr(packages[i]), SECPKG_CRED_INBOUND, NULL, id, NULL, NULL, &server, NULL),
                     SEC_E_OK);
        /* The credential keeps its own copy. */
        SspiZeroAuthIdentity(id);
        SspiFreeAuthIdentity(id);
        o = handshake(&client, &server, 0, 0, &c, &s);
        CHECK_STATUS(o.asc2, SEC_E_OK);
        CHECK_STATUS(T->QueryContextAttributesW(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
        CHECK(weq(names.sUserName, "CORP\\dave"));
        T->FreeContextBuffer(names.sUserName);
        T->DeleteSecurityContext(&c);
        T->DeleteSecurityContext(&s);
        T->FreeCredentialsHandle(&client);
        T->FreeCredentialsHandle(&server);
    }
}

static void credential_manager_is_unsupported(void) {
    PSEC_WINNT_AUTH_IDENTITY_OPAQUE id = NULL;
    ULONG type = 0;
    const SEC_WCHAR *target = NULL, *user = NULL;
    unsigned char *blob = NULL;
    ULONG size = 0;
    CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(wstr("erin"), NULL, wstr("pw"), &id), SEC_E_OK);
    CHECK_STATUS(SspiPrepareForCredRead(id, wstr("host"), &type, &target), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(SspiPrepareForCredWrite(id, wstr("host"), &type, &target, &user, &blob, &size), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK(target == NULL && blob == NULL);
    SspiFreeAuthIdentity(id);
}

int main(void) {
    tables();
    RUN(encode_and_decode);
    RUN(copies_of_other_forms);
    RUN(logon_with_an_encoded_identity);
    RUN(credential_manager_is_unsupported);
    return check_summary();
}

/* Lists opensspi's security packages and acquires NTLM credentials for an
 * explicit identity, through the function table a program gets from
 * InitSecurityInterfaceW, as Windows programs do. */
#include <stdio.h>
#include <sspi.h>

static void print_w(const SEC_WCHAR *s) {
    while (*s) putchar(*s < 128 ? (char)*s : '?'), s++;
}

int main(void) {
    PSecurityFunctionTableW sspi = InitSecurityInterfaceW();
    ULONG count = 0;
    PSecPkgInfoW pkgs = NULL;
    SECURITY_STATUS s = sspi->EnumerateSecurityPackagesW(&count, &pkgs);
    if (s != SEC_E_OK) {
        printf("EnumerateSecurityPackagesW: 0x%08x\n", (unsigned)s);
        return 1;
    }
    printf("%u package(s):\n", (unsigned)count);
    for (ULONG i = 0; i < count; i++) {
        printf("  ");
        print_w(pkgs[i].Name);
        printf(" (");
        print_w(pkgs[i].Comment);
        printf("): capabilities 0x%x, RPC id %u, max token %u\n", (unsigned)pkgs[i].fCapabilities,
               (unsigned)pkgs[i].wRPCID, (unsigned)pkgs[i].cbMaxToken);
    }
    sspi->FreeContextBuffer(pkgs);

    SEC_WCHAR user[] = {'a', 'l', 'i', 'c', 'e'}, domain[] = {'C', 'O', 'N', 'T', 'O', 'S', 'O'};
    SEC_WCHAR password[] = {'p', 'w'}, ntlm[] = {'N', 'T', 'L', 'M', 0};
    SEC_WINNT_AUTH_IDENTITY_W id = {user, 5, domain, 7, password, 2, SEC_WINNT_AUTH_IDENTITY_UNICODE};
    CredHandle cred;
    TimeStamp expiry;
    s = sspi->AcquireCredentialsHandleW(NULL, ntlm, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred, &expiry);
    printf("AcquireCredentialsHandleW(NTLM): 0x%08x\n", (unsigned)s);
    if (s != SEC_E_OK) return 1;
    SecPkgCredentials_NamesW names;
    s = sspi->QueryCredentialsAttributesW(&cred, SECPKG_CRED_ATTR_NAMES, &names);
    if (s == SEC_E_OK) {
        printf("credential user: ");
        print_w(names.sUserName);
        printf("\n");
        sspi->FreeContextBuffer(names.sUserName);
    }
    SECURITY_STATUS first = sspi->FreeCredentialsHandle(&cred);
    SECURITY_STATUS again = sspi->FreeCredentialsHandle(&cred);
    printf("FreeCredentialsHandle: 0x%08x; again: 0x%08x (SEC_E_INVALID_HANDLE)\n", (unsigned)first, (unsigned)again);
    return s == SEC_E_OK ? 0 : 1;
}

/* Lists the installed library's packages; exits 0 when NTLM is among them. */
#include <stdio.h>
#include <string.h>
#include <sspi.h>

int main(void) {
    ULONG n = 0;
    PSecPkgInfoA pkgs = NULL;
    int found = 0;
    if (EnumerateSecurityPackagesA(&n, &pkgs) != SEC_E_OK) return 1;
    for (ULONG i = 0; i < n; i++) {
        printf("%s: %s\n", pkgs[i].Name, pkgs[i].Comment);
        found |= strcmp(pkgs[i].Name, "NTLM") == 0;
    }
    FreeContextBuffer(pkgs);
    return found ? 0 : 1;
}

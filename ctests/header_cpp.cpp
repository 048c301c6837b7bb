// sspi.h compiles as C++ and links with C linkage.
#include <sspi.h>

int main() {
    PSecurityFunctionTableA t = InitSecurityInterfaceA();
    ULONG n = 0;
    PSecPkgInfoA pkgs = nullptr;
    if (t->EnumerateSecurityPackagesA(&n, &pkgs) != SEC_E_OK || n == 0) return 1;
    return t->FreeContextBuffer(pkgs) == SEC_E_OK ? 0 : 1;
}

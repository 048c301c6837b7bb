/* sspi.h compiles as strict C99 with -pedantic and needs nothing else. */
#include <sspi.h>

int main(void) {
    SecHandle h;
    SecInvalidateHandle(&h);
    return SecIsValidHandle(&h) || InitSecurityInterfaceW()->dwVersion != 1;
}

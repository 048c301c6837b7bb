#!/usr/bin/env bash
# The main example: builds and installs the library, then builds a C program
# against the installed tree and runs it. It lists the security packages and
# acquires NTLM credentials through the W function table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build-install.sh >/dev/null
cc -Wall -Wextra -Werror -std=c11 -Ibuild/stage/include/opensspi examples/packages.c \
   -Lbuild/stage/lib -lopensspi -Wl,-rpath,"$PWD/build/stage/lib" -o build/packages
build/packages

#!/usr/bin/env bash
# Interop with independent implementations, against the installed library
# in build/stage: pyspnego's pure-Python NTLM and SPNEGO as server and as
# client.
# Creates the virtualenv build/venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import spnego" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r interop/requirements.txt
fi
export OPENSSPI_LIB="$PWD/build/stage/lib/libopensspi.so"
cd interop
"../$venv/bin/python" -m unittest -v test_pyspnego_ntlm test_pyspnego_negotiate 2>&1

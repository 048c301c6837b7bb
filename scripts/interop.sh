#!/usr/bin/env bash
# Interop with independent implementations, against the installed library
# in build/stage: pyspnego's pure-Python NTLM, SPNEGO and CredSSP as server
# and as client (CredSSP with Kerberos inside through python-gssapi, in a
# virtualenv of its own); MIT Kerberos' GSS-API with gss-ntlmssp through MIT's gss-client and
# gss-server (raw NTLM and SPNEGO, both roles); Kerberos against MIT's
# gss-client and gss-server with tickets from a throwaway MIT KDC
# (scripts/krb5-realm.sh); Schannel (the TLS examples) against OpenSSL's
# s_server and s_client; then sspilib (Python
# bindings to the SSPI ABI, whose wheel bundles another provider) running on
# opensspi, loaded two ways: LD_PRELOAD, and the bundled library file
# replaced by opensspi in a copy of the package.
# Creates the virtualenv build/venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
if ! "$venv/bin/python" -c "import spnego" 2>/dev/null; then
  "${pip[@]}" -r interop/requirements.txt
fi
export OPENSSPI_LIB="$PWD/build/stage/lib/libopensspi.so"
python="$PWD/$venv/bin/python"
# The NTLM suites run without the machine's Kerberos configuration, cache
# or keytabs: Negotiate then falls back from Kerberos to NTLM at once,
# asking no KDC the machine's krb5.conf might name.
no_krb5=(env KRB5_CONFIG=/nonexistent/krb5.conf KRB5CCNAME=FILE:/nonexistent/ccache
  KRB5_KTNAME=/nonexistent/keytab KRB5_CLIENT_KTNAME=/nonexistent/keytab)
(cd interop && "${no_krb5[@]}" "$python" -m unittest -v test_pyspnego_ntlm test_pyspnego_negotiate 2>&1)

echo "-- CredSSP against pyspnego's CredSSP (both roles), and a man in the middle"
(cd interop && "${no_krb5[@]}" "$python" -m unittest -v test_pyspnego_credssp 2>&1)

echo "-- Schannel against OpenSSL's s_server and s_client (the TLS examples, built against build/stage)"
examples=build/examples/stage
mkdir -p "$examples"
tls_flags=(-Wall -Wextra -Werror -std=c11 -D_POSIX_C_SOURCE=200809L -Ibuild/stage/include/opensspi
  -Lbuild/stage/lib -Wl,-rpath,"$PWD/build/stage/lib")
cc "${tls_flags[@]}" examples/https_client.c -lopensspi -o "$examples/https_client"
cc "${tls_flags[@]}" examples/tls_server.c -lopensspi -o "$examples/tls_server"
(cd interop && OPENSSPI_EXAMPLES="$PWD/../$examples" "${no_krb5[@]}" "$python" -m unittest -v test_openssl_tls 2>&1)

echo "-- MIT Kerberos' gss-client and gss-server with gss-ntlmssp"
(cd interop && "${no_krb5[@]}" "$python" -m unittest -v test_mit_gss 2>&1)

echo "-- Kerberos: MIT's gss-client and gss-server in a throwaway MIT realm"
(cd interop && ../scripts/krb5-realm.sh "$python" -m unittest -v test_mit_krb5 2>&1)

echo "-- CredSSP with Kerberos inside against pyspnego over python-gssapi, in the throwaway MIT realm"
# A virtualenv of its own: the suites above require pyspnego without GSSAPI.
gss_venv=build/venv-gssapi
[ -x "$gss_venv/bin/python" ] || python3 -m venv "$gss_venv"
if ! "$gss_venv/bin/python" -c "import spnego, gssapi, krb5" 2>/dev/null; then
  "$gss_venv/bin/pip" install --quiet --disable-pip-version-check -r interop/requirements-gssapi.txt
fi
(cd interop && ../scripts/krb5-realm.sh "$PWD/../$gss_venv/bin/python" -m unittest -v test_pyspnego_credssp_krb5 2>&1)

echo "-- Kerberos through a KDC proxy (kdcproxy under gunicorn, TLS) in front of the realm"
(cd interop && ../scripts/krb5-realm.sh ../scripts/kdc-proxy.sh "$python" -m unittest -v test_kdc_proxy 2>&1)

# sspilib: skipped, loudly, only when pip cannot fetch it.
if ! "$python" -c "import sspilib" 2>/dev/null; then
  if ! "${pip[@]}" -r interop/requirements-sspilib.txt; then
    echo "SKIPPED: the sspilib tests: pip could not install sspilib (is PyPI reachable?)"
    exit 0
  fi
fi
echo "-- sspilib with LD_PRELOAD=$OPENSSPI_LIB"
(cd interop && "${no_krb5[@]}" LD_PRELOAD="$OPENSSPI_LIB" OPENSSPI_SSPILIB_MODE=preload "$python" -m unittest -v test_sspilib 2>&1)

echo "-- sspilib's KeytabCredential (EX2 packed keytabs) and the KDC proxy setting, LD_PRELOAD, in a throwaway MIT realm"
(cd interop && ../scripts/krb5-realm.sh ../scripts/kdc-proxy.sh \
  env LD_PRELOAD="$OPENSSPI_LIB" "$python" -m unittest -v test_sspilib_krb5 2>&1)

echo "-- sspilib with its bundled provider replaced by opensspi"
site=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
copy="$PWD/build/sspilib-replaced"
rm -rf "$copy"
mkdir -p "$copy"
cp -r "$site/sspilib" "$site/sspilib.libs" "$copy/"
bundled=("$copy"/sspilib.libs/libsspi-*.so)
[ -f "${bundled[0]}" ] || { echo "no bundled libsspi-*.so in sspilib.libs"; exit 1; }
cp "$OPENSSPI_LIB" "${bundled[0]}"
(cd interop && "${no_krb5[@]}" PYTHONPATH="$copy" OPENSSPI_SSPILIB_MODE=replaced "$python" -m unittest -v test_sspilib 2>&1)

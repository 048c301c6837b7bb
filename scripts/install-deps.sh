#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian/Ubuntu
# machine, and nothing that is already there.
set -euo pipefail
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cc >/dev/null || need+=(gcc)
command -v c++ >/dev/null || need+=(g++)
command -v nm >/dev/null || need+=(binutils)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
# python-gssapi and python-krb5 (CredSSP's Kerberos interop) build from source.
[ -e "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] || need+=(python3-dev)
# Interop peers: MIT Kerberos' sample programs and the NTLM mechanism for
# MIT's GSS-API.
command -v gss-server >/dev/null && command -v gss-client >/dev/null || need+=(krb5-gss-samples)
[ -e /etc/gss/mech.d/mech.ntlmssp.conf ] || need+=(gss-ntlmssp)
# Kerberos: a throwaway MIT realm (scripts/krb5-realm.sh) and its clients.
command -v krb5kdc >/dev/null || need+=(krb5-kdc)
command -v kadmin.local >/dev/null || need+=(krb5-admin-server)
command -v kinit >/dev/null && command -v klist >/dev/null || need+=(krb5-user)
[ -e /usr/include/gssapi/gssapi_krb5.h ] || need+=(libkrb5-dev)
# The KDC proxy's throwaway CA (scripts/kdc-proxy.sh), and the benchmark's
# ceilings (openssl speed).
command -v openssl >/dev/null || need+=(openssl)
# Schannel's peers (s_server, s_client) and the TLS benchmark's reference
# (libssl over memory BIOs).
[ -e /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt >/dev/null 2>&1 || true

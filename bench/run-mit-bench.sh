#!/usr/bin/env bash
# MIT Kerberos' gss_wrap+gss_unwrap throughput (bench/gss_wrap_bench.c), the
# baseline for opensspi's Kerberos EncryptMessage/DecryptMessage: builds the
# program into a temp dir and runs it in a throwaway realm
# (scripts/krb5-realm.sh) after kinit, once per enctype:
# aes256-cts-hmac-sha1-96 and aes256-cts-hmac-sha384-192.
#
# The enctype is forced by a copy of the realm's krb5.conf with
# default_tkt_enctypes and default_tgs_enctypes set to it (so the TGT and
# host/localhost session keys have it; MIT's acceptor then makes its
# subkey of the same enctype) and, as a precaution, permitted_enctypes
# starting with it. The ticket itself stays under the service's
# aes256-cts-hmac-sha1-96 key (the KDC's choice), which must therefore stay
# permitted. The program prints the enctype of the context it got, and
# this script checks it.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -Wall -Wextra -Werror -std=c11 bench/gss_wrap_bench.c \
  $(pkg-config --cflags --libs krb5-gssapi) -o "$tmp/gss_wrap_bench"

# On one core, like scripts/bench.sh, when taskset is there.
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

# Runs inside the realm: sh -c "$inner" sh ENCTYPE NUMBER COMMAND...
inner='
set -eu
name=$1 number=$2
shift 2
conf=$OPENSSPI_REALM_DIR/bench-$name.conf
sed "s/^ permitted_enctypes = .*/ permitted_enctypes = $name aes256-cts-hmac-sha1-96/" "$KRB5_CONFIG" |
  sed "s/^\[libdefaults\]/&\n default_tkt_enctypes = $name\n default_tgs_enctypes = $name/" >"$conf"
export KRB5_CONFIG="$conf"
echo "Passw0rd!alice" | kinit alice >/dev/null
out=$("$@")
echo "$out"
echo "$out" | grep -q "^mit gss context: enctype $number\$" || {
  echo "run-mit-bench: expected enctype $number" >&2; exit 1; }
'
for e in aes256-cts-hmac-sha1-96:18 aes256-cts-hmac-sha384-192:20; do
  echo "== ${e%:*}"
  scripts/krb5-realm.sh sh -c "$inner" sh "${e%:*}" "${e#*:}" \
    ${pin[@]+"${pin[@]}"} "$tmp/gss_wrap_bench"
done

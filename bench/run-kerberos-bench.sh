#!/usr/bin/env bash
# The Kerberos part of scripts/bench.sh: builds bench/kerberos_bench.c and
# runs it in a throwaway realm (scripts/krb5-realm.sh) after kinit, once per
# enctype (aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha384-192), against
# the library given as $1 and MIT's GSS-API.
#
# The enctype is forced by a copy of the realm's krb5.conf with
# default_tkt_enctypes and default_tgs_enctypes set to it, so that the TGT
# and the host/localhost session keys have it (both acceptors then make
# their subkeys of the same enctype); the service key stays
# aes256-cts-hmac-sha1-96, which permitted_enctypes keeps. The program
# checks that both sides got the enctype.
#
# The ceiling of a 16 KiB wrap+unwrap pair, from `openssl speed` on one
# core: one AES-256-CBC encryption, one decryption and two HMACs (SHA-1 or
# SHA-384) over the message: 1 / (1/enc + 1/dec + 2/hash).
set -euo pipefail
cd "$(dirname "$0")/.."
lib=$1
out=build
cc -O2 -Wall -Wextra -Werror -std=c11 -I"$out/stage/include/opensspi" bench/kerberos_bench.c \
  $(pkg-config --cflags --libs krb5-gssapi) -ldl -lm -o "$out/kerberos_bench"

# Bytes per second from `openssl speed` (it prints 1000s of bytes per second).
rate() {
  taskset -c 0 openssl speed -seconds 1 -bytes 16384 "$@" 2>/dev/null |
    awk 'END { sub(/k$/, "", $NF); printf "%.0f", $NF * 1000 }'
}
enc=$(rate -evp aes-256-cbc)
dec=$(rate -evp aes-256-cbc -decrypt)
sha1=$(rate -evp sha1)
sha384=$(rate -evp sha384)
ceiling() { awk -v e="$enc" -v d="$dec" -v h="$1" 'BEGIN { printf "%.1f", (e > 0 && d > 0 && h > 0) ? 1e-6 / (1/e + 1/d + 2/h) : 0 }'; }
echo "ceilings from openssl speed, 16 KiB, one core: AES-256-CBC $((enc / 1000000)) MB/s encrypt," \
  "$((dec / 1000000)) MB/s decrypt; SHA-1 $((sha1 / 1000000)) MB/s; SHA-384 $((sha384 / 1000000)) MB/s"

# Runs inside the realm: sh -c "$inner" sh ENCTYPE CEILING LIBRARY BENCH
inner='
set -eu
name=$1
conf=$OPENSSPI_REALM_DIR/bench-$name.conf
sed "s/^ permitted_enctypes = .*/ permitted_enctypes = $name aes256-cts-hmac-sha1-96/" "$KRB5_CONFIG" |
  sed "s/^\[libdefaults\]/&\n default_tkt_enctypes = $name\n default_tgs_enctypes = $name/" >"$conf"
export KRB5_CONFIG="$conf"
echo "Passw0rd!alice" | kinit alice >/dev/null
"$4" "$2" "$3"
'
for e in aes256-cts-hmac-sha1-96:$sha1 aes256-cts-hmac-sha384-192:$sha384; do
  echo
  echo "== Kerberos, ${e%:*}"
  scripts/krb5-realm.sh sh -c "$inner" sh "${e%:*}" "$(ceiling "${e#*:}")" "$lib" "$PWD/$out/kerberos_bench"
done

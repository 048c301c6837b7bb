#!/usr/bin/env bash
# The main example: builds and installs the library, builds the C example
# client and server against the installed tree, and runs them as two
# processes talking over a loopback TCP socket (the flow of Microsoft's SSPI
# client/server sample): they authenticate with Negotiate (the default, as
# on Windows), then exchange sealed messages; then the same with NTLM. The
# server's accounts come from a temporary NTLM_USER_FILE. Then the Schannel
# example (examples/https_client.c, in the flow of Microsoft's Schannel
# sample) fetches a page over TLS from `openssl s_server -www`.
#
# OPENSSPI_STAGE=<installed tree> runs the example against that tree
# instead (nothing is built), and OPENSSPI_EXAMPLE_CFLAGS adds compiler
# flags: scripts/asan.sh runs it against the AddressSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
stage=${OPENSSPI_STAGE:-}
if [ -z "$stage" ]; then
  scripts/install-deps.sh
  scripts/build-install.sh >build/build.log 2>&1 || { cat build/build.log; exit 1; }
  stage=build/stage
fi
bin="build/examples/$(basename "$stage")"
mkdir -p "$bin"
# shellcheck disable=SC2206 # word splitting of the extra flags is intended
flags=(-Wall -Wextra -Werror -std=c11 -D_POSIX_C_SOURCE=200809L -I"$stage/include/opensspi"
       -L"$stage/lib" -Wl,-rpath,"$PWD/$stage/lib" ${OPENSSPI_EXAMPLE_CFLAGS:-})
cc "${flags[@]}" examples/sspi_server.c -lopensspi -o "$bin/sspi_server"
cc "${flags[@]}" examples/sspi_client.c -lopensspi -o "$bin/sspi_client"
cc "${flags[@]}" examples/https_client.c -lopensspi -o "$bin/https_client"

work=$(mktemp -d)
tls_server=
trap 'rm -rf "$work"; [ -z "$tls_server" ] || kill "$tls_server" 2>/dev/null || true' EXIT
echo "EXAMPLE:alice:Passw0rd!" > "$work/users"
# run PACKAGE...: one client/server pair; the package arguments, if any,
# go to both programs.
run() {
  rm -f "$work/port"
  NTLM_USER_FILE="$work/users" "$bin/sspi_server" "$work/port" "$@" &
  local server=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  "$bin/sspi_client" "$(cat "$work/port")" alice EXAMPLE 'Passw0rd!' "$@"
  wait "$server"
}
echo "-- Negotiate (the default)"
run
echo "-- NTLM"
run NTLM

echo "-- Schannel: the HTTPS client fetches a page from openssl s_server -www"
# The throwaway certificates of tests/data/tls: the client trusts their CA
# through SSL_CERT_FILE.
tls=tests/data/tls
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -www -accept "127.0.0.1:$port" -naccept 1 -cert "$tls/server.pem" -key "$tls/server.key" \
  >"$work/s_server.log" 2>&1 </dev/null &
tls_server=$!
for _ in $(seq 100); do grep -q ":$(printf '%04X' "$port") " /proc/net/tcp 2>/dev/null && break; sleep 0.05; done
SSL_CERT_FILE="$tls/ca.pem" "$bin/https_client" localhost "$port" / >"$work/page"
wait "$tls_server" || true
tls_server=
head -n 8 "$work/page"
grep -q "Ciphers supported in s_server binary" "$work/page"
echo "https_client: the page arrived"

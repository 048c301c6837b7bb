#!/usr/bin/env bash
# The benchmark command: builds and installs the library (release), builds
# bench/sspi_bench.c, reads this machine's one-core MD5 and RC4 rates from
# `openssl speed` (the throughput ceilings), and measures opensspi beside
# another provider of the SSPI ABI: the library given as $1, by default the
# provider bundled in the sspilib wheel (downloaded with pip into
# build/reference; nothing is built). Then Kerberos beside MIT Kerberos'
# GSS-API in a throwaway realm (bench/run-kerberos-bench.sh), and Schannel
# beside OpenSSL's libssl (bench/tls_bench.c). BENCH_SECONDS
# sets the time spent on each figure (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
mkdir -p build
scripts/build-install.sh >build/build.log 2>&1 || { cat build/build.log; exit 1; }
cc -O2 -Wall -Wextra -Werror -std=c11 -Ibuild/stage/include/opensspi bench/sspi_bench.c -ldl -lm -o build/sspi_bench
ours=$PWD/build/stage/lib/libopensspi.so

other=${1:-}
if [ -z "$other" ]; then
  ref=build/reference
  other=$(ls "$ref"/whl/sspilib.libs/libsspi-*.so 2>/dev/null | head -n1 || true)
  if [ -z "$other" ]; then
    [ -x build/venv/bin/pip ] || python3 -m venv build/venv
    rm -rf "$ref" && mkdir -p "$ref"
    if build/venv/bin/pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
         -r interop/requirements-sspilib.txt -d "$ref" \
       && python3 -m zipfile -e "$ref"/sspilib-*.whl "$ref/whl"; then
      other=$(ls "$ref"/whl/sspilib.libs/libsspi-*.so | head -n1)
    else
      echo "bench: could not download the sspilib wheel; measuring opensspi alone" >&2
    fi
  fi
fi

# openssl speed prints "md5  ...  896585.44k" in 1000s of bytes per second.
rate() {
  taskset -c 0 openssl speed -seconds 1 -bytes 16384 "$@" 2>/dev/null \
    | awk '/^(md5|RC4) / { sub(/k$/, "", $2); printf "%.0f", $2 * 1000 }'
}
md5=$(rate -evp md5)
rc4=$(rate -provider legacy -provider default -evp rc4)
echo "machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
build/sspi_bench "${md5:-0}" "${rc4:-0}" "$ours" ${other:+"$other"}

# Kerberos, beside MIT's GSS-API, in a throwaway realm.
bench/run-kerberos-bench.sh "$ours"

# Schannel beside OpenSSL's libssl over memory BIOs; the ceiling is
# AES-256-GCM's one-core rate from `openssl speed` (1 KiB and 16 KiB).
cc -O2 -Wall -Wextra -Werror -std=c11 -D_POSIX_C_SOURCE=200809L -Ibuild/stage/include/opensspi \
  bench/tls_bench.c -Lbuild/stage/lib -Wl,-rpath,"$PWD/build/stage/lib" -lopensspi -lssl -lcrypto \
  -o build/tls_bench
gcm() {
  taskset -c 0 openssl speed -seconds 1 -bytes "$1" -evp aes-256-gcm 2>/dev/null \
    | awk '/^AES-256-GCM / { sub(/k$/, "", $2); printf "%.0f", $2 * 1000 }'
}
SSL_CERT_FILE="$PWD/tests/data/tls/ca.pem" SSL_CERT_DIR=/nonexistent taskset -c 0 \
  build/tls_bench tests/data/tls "$(gcm 1024)" "$(gcm 16384)" "${BENCH_SECONDS:-1}"

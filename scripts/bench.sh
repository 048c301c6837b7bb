#!/usr/bin/env bash
# The benchmark command: builds and installs the library (release), builds
# bench/sspi_bench.c, reads this machine's one-core MD5 and RC4 rates from
# `openssl speed` (the ceilings), and measures the library given as $1
# (default: opensspi as installed in build/stage). BENCH_SECONDS sets the
# time spent on each figure (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
mkdir -p build
scripts/build-install.sh >build/build.log 2>&1 || { cat build/build.log; exit 1; }
cc -O2 -Wall -Wextra -Werror -std=c11 -Ibuild/stage/include/opensspi bench/sspi_bench.c -ldl -o build/sspi_bench
lib=${1:-$PWD/build/stage/lib/libopensspi.so}

# openssl speed prints "md5  ...  896585.44k" in 1000s of bytes per second.
rate() {
  taskset -c 0 openssl speed -seconds 1 -bytes 16384 "$@" 2>/dev/null \
    | awk '/^(md5|RC4) / { sub(/k$/, "", $2); printf "%.0f", $2 * 1000 }'
}
md5=$(rate -evp md5)
rc4=$(rate -provider legacy -provider default -evp rc4)
build/sspi_bench "$lib" "${md5:-0}" "${rc4:-0}"

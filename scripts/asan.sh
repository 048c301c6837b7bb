#!/usr/bin/env bash
# The library itself under AddressSanitizer (with LeakSanitizer): the Rust
# code is built with -Zsanitizer=address (RUSTC_BOOTSTRAP=1 on the stable
# toolchain, its own target directory, target/asan), installed into
# build/stage-asan, and the whole C suite (ASan and UBSan on the C side too,
# the stress test and the dlopen/dlclose cycles included) and the main
# example run against it with the leak checker on. The executables provide
# the sanitizer runtime (GCC's or Clang's libasan), as a shared library
# cannot. Run by scripts/test.sh after the C suite (it needs build/stage).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
[ -f build/stage/lib/libopensspi.so ] || scripts/build-install.sh >/dev/null
triple=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="-Zsanitizer=address" cargo build --quiet --target "$triple" --target-dir target/asan
built="target/asan/$triple/debug"
stage=build/stage-asan
rm -rf "$stage"
cp -r build/stage "$stage"
cp "$built/libopensspi.so" "$stage/lib/libopensspi.so.1"
cp "$built/libopensspi.a" "$stage/lib/libopensspi.a"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "-- the C suite against the ASan-instrumented library"
fault_flags=()
[ -n "${OPENSSPI_FAULT_LIBRARY:-}" ] && fault_flags=(-DOPENSSPI_FAULT_LIBRARY="$OPENSSPI_FAULT_LIBRARY")
cmake -S ctests -B build/ctests-rust-asan -DCMAKE_PREFIX_PATH="$PWD/$stage" -DOPENSSPI_SANITIZE=ON \
  "${fault_flags[@]}" >/dev/null
cmake --build build/ctests-rust-asan >/dev/null
ctest --test-dir build/ctests-rust-asan --output-on-failure
echo "-- the main example against the ASan-instrumented library"
OPENSSPI_STAGE="$stage" OPENSSPI_EXAMPLE_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
  scripts/run-example.sh

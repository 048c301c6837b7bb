#!/usr/bin/env bash
# The whole test suite: formatting and lints, Rust unit tests (known
# answers, header freshness and constants), the C suite through ctest (with
# the stress test and dlopen/dlclose cycles), the C suite again under
# AddressSanitizer and UndefinedBehaviorSanitizer, then again against the
# library itself built with AddressSanitizer (and the main example), a
# short run of every fuzz target, and interop against independent
# implementations (pyspnego, MIT Kerberos' GSS-API with gss-ntlmssp,
# sspilib).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== cargo fmt / clippy"
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --all-targets --quiet --features fuzzing -- -D warnings
(cd fuzz && cargo fmt --check)

echo "== Rust tests"
cargo test --quiet
# The fuzz harnesses' own checks (a CredSSP exchange completes untouched).
cargo test --quiet --features fuzzing --lib packages::credssp::fuzz

echo "== build and install into build/stage"
scripts/build-install.sh
# The fault-injection build (a mock package that panics on demand) for the
# panic-boundary C test.
cargo build --quiet --features fault-injection
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
fault_lib="$target_dir/debug/libopensspi.so"

echo "== C tests (ctest)"
cmake -S ctests -B build/ctests -DCMAKE_PREFIX_PATH="$PWD/build/stage" -DOPENSSPI_FAULT_LIBRARY="$fault_lib" >/dev/null
cmake --build build/ctests
ctest --test-dir build/ctests --output-on-failure

echo "== C tests under ASan/UBSan (ctest)"
cmake -S ctests -B build/ctests-asan -DCMAKE_PREFIX_PATH="$PWD/build/stage" -DOPENSSPI_FAULT_LIBRARY="$fault_lib" -DOPENSSPI_SANITIZE=ON >/dev/null
cmake --build build/ctests-asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build/ctests-asan --output-on-failure
echo "== main example (client and server over loopback TCP)"
scripts/run-example.sh

echo "== the library built with AddressSanitizer: C suite and example, leak checker on"
OPENSSPI_FAULT_LIBRARY="$fault_lib" scripts/asan.sh

echo "== fuzz smoke runs (every target, ${OPENSSPI_FUZZ_SECONDS:-10} s each)"
scripts/fuzz.sh smoke "${OPENSSPI_FUZZ_SECONDS:-10}"

echo "== interop (pyspnego, MIT gss-client/gss-server with gss-ntlmssp, sspilib)"
scripts/interop.sh
echo "== all tests passed"

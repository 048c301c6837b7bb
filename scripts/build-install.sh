#!/usr/bin/env bash
# Builds the library (release) and installs it into build/stage, the tree
# the C tests and examples use.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release
cmake --install build/release --prefix "$PWD/build/stage" >/dev/null

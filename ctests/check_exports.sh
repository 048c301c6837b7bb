#!/bin/sh
# The shared library exports exactly the SSPI functions in exports.txt.
set -eu
lib=$(find "$1" -name 'libopensspi.so.1' -o -name 'libopensspi.1.dylib' | head -n1)
if [ "$(uname)" = Darwin ]; then
  nm -gU "$lib" | awk '{print $3}' | sed 's/^_//' | sort > exports.actual
else
  nm -D --defined-only "$lib" | awk '$2 ~ /^[TtDdBbRr]$/ {print $3}' | sort > exports.actual
fi
sort "$2" > exports.expected
if ! diff -u exports.expected exports.actual; then
  echo "exported symbols differ from ctests/exports.txt" >&2
  exit 1
fi
echo "$(wc -l < exports.actual) symbols, as listed"

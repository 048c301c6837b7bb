#!/bin/sh
# Builds and runs the consumer against prefix $1 with pkg-config.
set -eu
prefix=$1 src=$2 work=$3
mkdir -p "$work"
export PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name opensspi.pc | head -n1)")"
cc -Wall -Wextra -Werror $(pkg-config --cflags opensspi) "$src/main.c" -o "$work/consumer" $(pkg-config --libs opensspi)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir opensspi)" DYLD_LIBRARY_PATH="$(pkg-config --variable=libdir opensspi)" "$work/consumer"

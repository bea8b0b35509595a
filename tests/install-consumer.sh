#!/usr/bin/env bash
# Installs a build tree into a scratch prefix under /tmp and builds tests/consumer/main.c
# against it two ways: (a) CMake find_package(driverkit 1) + driverkit::driverkit, and
# (b) `cc main.c $(pkg-config --cflags --libs driverkit)` (the shared library, run with
# LD_LIBRARY_PATH). Runs both programs; each must exit 0.
#
# Usage: tests/install-consumer.sh <build-dir>
#   env CC, CMAKE (defaults cc, cmake); DK_CONSUMER_FLAGS: extra compile+link flags
#   (the sanitizer flags when the library was built with DK_SANITIZE).
set -euo pipefail

build=$(cd "${1:?usage: install-consumer.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
CMAKE=${CMAKE:-cmake}
flags=${DK_CONSUMER_FLAGS:-}

tmp=$(mktemp -d /tmp/dk-install-consumer.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

"$CMAKE" --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
    { cat "$tmp/install.log"; exit 1; }
echo "installed $(grep -c . "$build/install_manifest.txt") files into $prefix"

echo "== (a) CMake: find_package(driverkit 1 REQUIRED), driverkit::driverkit"
"$CMAKE" -S "$here/consumer" -B "$tmp/build-cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
    >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
"$CMAKE" --build "$tmp/build-cmake" >>"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
"$tmp/build-cmake/consumer"

echo "== (b) pkg-config: cc main.c \$(pkg-config --cflags --libs driverkit)"
pc=$(find "$prefix" -name driverkit.pc -print -quit)
[ -n "$pc" ] || { echo "FAIL: no driverkit.pc installed under $prefix"; exit 1; }
pcdir=$(dirname "$pc")
pcflags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs driverkit)
echo "pkg-config: $pcflags"
# shellcheck disable=SC2086  # flag lists are meant to split
"$CC" $flags "$here/consumer/main.c" -o "$tmp/consumer-pc" $pcflags
LD_LIBRARY_PATH="$(dirname "$pcdir")" "$tmp/consumer-pc"
echo "install_consumer: ok (CMake package and pkg-config)"

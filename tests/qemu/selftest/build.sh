#!/usr/bin/env bash
# Builds the U-mode selftest image (tests/qemu/ABI.md) against a riscv64 libdriverkit.a.
#
# Usage: tests/qemu/selftest/build.sh <libdriverkit.a> <out-dir>
#   env CROSS (default riscv64-unknown-elf-): the bare-metal toolchain prefix.
# Writes <out-dir>/selftest.elf. Flags as ../shared/qemu-virt-notes.md gives them: compile
# rv64imac_zicsr/lp64/medany freestanding; link with plain rv64imac (a _zicsr -march picks a
# libgcc multilib that does not exist) and our own linker script, mem* and start code. The
# image is refused unless every loadable segment lies in 0x8020_0000..0x8040_0000 (ABI.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=${1:?usage: build.sh <libdriverkit.a> <out-dir>}
out=${2:?usage: build.sh <libdriverkit.a> <out-dir>}
cross=${CROSS:-riscv64-unknown-elf-}
cc=${cross}gcc

[ -f "$lib" ] || { echo "selftest/build.sh: $lib does not exist (build the nexus-rv64 preset)" >&2; exit 1; }
mkdir -p "$out"

cflags=(-std=c11 -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -ffreestanding -nostdlib
        -fno-builtin -fno-stack-protector -fno-tree-loop-distribute-patterns -O2 -g
        -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
        -I"$repo/include" -I"$repo/src/backend/nexus" -I"$here")
objs=()
for src in "$here"/start.S "$here"/selftest.c "$here"/scenarios.c "$here"/scn_support.c \
           "$here"/mem.c; do
    obj="$out/$(basename "${src%.*}").o"
    "$cc" "${cflags[@]}" -c "$src" -o "$obj"
    objs+=("$obj")
done
"$cc" -march=rv64imac -mabi=lp64 -mcmodel=medany -nostdlib -nostartfiles -static \
    -T "$here/selftest.ld" -o "$out/selftest.elf" \
    "${objs[@]}" "$lib" -lgcc
# BOUND: a section the linker script missed would land wherever ld puts orphans.
nload=0
while read -r kind _ vaddr _ _ memsz _; do
    [ "$kind" = LOAD ] || continue
    nload=$((nload + 1))
    if (( vaddr < 0x80200000 || vaddr + memsz > 0x80400000 )); then
        echo "selftest/build.sh: segment at $vaddr (+$memsz) is outside U-mode memory (ABI.md)" >&2
        exit 1
    fi
done < <("${cross}readelf" -lW "$out/selftest.elf")
[ "$nload" -gt 0 ] || { echo "selftest/build.sh: no loadable segment" >&2; exit 1; }
echo "selftest/build.sh: $out/selftest.elf"

#!/bin/sh
# Build the QEMU test supervisor (an ABI-compatible stand-in for the Nexus kernel).
# Usage: build.sh OUTDIR  -> OUTDIR/supervisor.elf
# Environment: CROSS (default riscv64-unknown-elf-) names the toolchain prefix.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
cross=${CROSS:-riscv64-unknown-elf-}
cc=${cross}gcc

mkdir -p "$out/supervisor-obj"
obj="$out/supervisor-obj"

# qemu-virt-notes.md: compile with _zicsr; link without it (else a double-float
# libgcc multilib is picked and the link fails).
cflags="-march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -ffreestanding -nostdlib \
-fno-tree-loop-distribute-patterns -O2 -Wall -Wextra -Werror -std=c11"
ldflags="-march=rv64imac -mabi=lp64 -nostdlib -nostartfiles -static"

objs=
for src in start.S main.c trap.c syscall.c cap.c vmo.c irq.c fence.c pmp.c uart.c lib.c; do
    o="$obj/${src%.*}.o"
    # shellcheck disable=SC2086 # word splitting of the flag lists is intended
    $cc $cflags -c "$here/$src" -o "$o"
    objs="$objs $o"
done
# shellcheck disable=SC2086
$cc $ldflags -T "$here/supervisor.ld" $objs -lgcc -o "$out/supervisor.elf"
echo "built $out/supervisor.elf"

#!/usr/bin/env bash
# The QEMU proof of the nexus backend (tests/qemu/ABI.md): builds libdriverkit.a for riscv64
# (preset nexus-rv64), the stand-in supervisor (supervisor/build.sh) and the U-mode selftest
# (selftest/build.sh), then boots QEMU `virt` twice, in the legacy and in the modern
# virtio-mmio layout, each under `timeout 30`, with a fresh 1 MiB disk image.
#
# Usage: tests/qemu/run.sh          (ctest runs it: label qemu)
#   env DK_QEMU_OUT   scratch directory (default build/qemu)
#       CI            when set (and not "false"/"0"), a missing tool is a FAILURE, not a SKIP
#
# A mode PASSes when all of these hold:
#   - QEMU's exit status is 0 (the selftest's exit(0) through the SiFive test device);
#   - the lines starting "SELFTEST: " or "driverkit: " equal tests/qemu/expected-markers.txt,
#     exactly and in order (other lines, e.g. "supervisor: ..." and "info: ...", are not
#     compared there);
#   - "info: blk virtio-mmio version N" names the layout the mode asked for (1 legacy,
#     2 modern), so the two runs really exercise both register layouts;
#   - the supervisor reported exactly one trapped access, a load at 0x10006000;
#   - sector 8 of the disk image holds the pattern the submit scenario wrote (the write
#     reached QEMU's disk, not only the guest's buffers).
# Prints "qemu: PASS <mode>" or "qemu: FAIL <mode>: <why>" per mode, then a summary line.
# Exit 0 only if both modes pass. Missing qemu-system-riscv64 or riscv64-unknown-elf-gcc
# without CI: "qemu: SKIP ..." and exit 0.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${DK_QEMU_OUT:-$repo/build/qemu}
expected=$here/expected-markers.txt
qemu="qemu-system-riscv64"
cross=${CROSS:-riscv64-unknown-elf-}

in_ci() {
    case ${CI:-} in "" | false | 0) return 1 ;; *) return 0 ;; esac
}

missing=()
command -v "$qemu" >/dev/null 2>&1 || missing+=("$qemu (Debian: qemu-system-misc)")
command -v "${cross}gcc" >/dev/null 2>&1 ||
    missing+=("${cross}gcc (Debian: gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf)")
if [ ${#missing[@]} -ne 0 ]; then
    if in_ci; then
        echo "qemu: FAIL: missing ${missing[*]}; CI=$CI requires them (bash tests/deps.sh full)"
        exit 1
    fi
    echo "qemu: SKIP: missing ${missing[*]}; install with: bash tests/deps.sh full"
    exit 0
fi
if [ ! -x "$here/supervisor/build.sh" ] && [ ! -f "$here/supervisor/build.sh" ]; then
    echo "qemu: FAIL: tests/qemu/supervisor/build.sh does not exist"
    exit 1
fi

mkdir -p "$out"
step() { # step <log> <what> <command...>: run quietly, show the log on failure
    local log=$1 what=$2
    shift 2
    if ! "$@" >"$log" 2>&1; then
        cat "$log"
        echo "qemu: FAIL: $what (log above: $log)"
        exit 1
    fi
}
cd "$repo" || exit 1
step "$out/build-lib.log" "building the nexus-rv64 preset" \
    sh -c 'cmake --preset nexus-rv64 && cmake --build --preset nexus-rv64'
step "$out/build-supervisor.log" "building the supervisor" \
    sh "$here/supervisor/build.sh" "$out"
step "$out/build-selftest.log" "building the selftest" \
    bash "$here/selftest/build.sh" "$repo/build/nexus-rv64/libdriverkit.a" "$out"

# Sector 8 as the submit scenario writes it (scenarios.h: DK_SCN_PATTERN, 16 times).
printf 'DK-SUBMIT-PATTERN-0123456789abc\n%.0s' $(seq 16) >"$out/pattern.bin"

run_mode() { # run_mode legacy|modern
    local mode=$1 disk=$out/disk-$1.img log=$out/qemu-$1.log got=$out/markers-$1.txt
    local extra=() version status why=() start end
    case $mode in
        legacy) version=1 ;;
        modern) version=2; extra=(-global virtio-mmio.force-legacy=false) ;;
    esac
    # A fresh disk: 2048 sectors of zeros, "DKDISK01" at the start of sector 0.
    head -c 1048576 /dev/zero >"$disk"
    printf 'DKDISK01' | dd of="$disk" conv=notrunc status=none
    start=$(date +%s%N)
    timeout 30 "$qemu" -machine virt -bios none -nographic -m 128M \
        -kernel "$out/supervisor.elf" -device loader,file="$out/selftest.elf" \
        "${extra[@]}" \
        -drive file="$disk",if=none,format=raw,id=hd0 \
        -device virtio-blk-device,drive=hd0,serial=dk-selftest-blk \
        -device virtio-rng-device -seed 42 </dev/null >"$log" 2>&1
    status=$?
    end=$(date +%s%N)
    tr -d '\r' <"$log" | grep -E '^(SELFTEST: |driverkit: )' >"$got"
    if [ "$status" -eq 124 ]; then
        why+=("QEMU killed by timeout 30")
    elif [ "$status" -ne 0 ]; then
        why+=("QEMU exit status $status")
    fi
    diff -u "$expected" "$got" >"$out/markers-$mode.diff" || why+=("marker lines differ")
    tr -d '\r' <"$log" | grep -qx "info: blk virtio-mmio version $version ($mode)" ||
        why+=("no 'info: blk virtio-mmio version $version ($mode)' line")
    [ "$(tr -d '\r' <"$log" | grep -c '^supervisor: trapped U-mode')" = 1 ] &&
        tr -d '\r' <"$log" | grep -qx 'supervisor: trapped U-mode load access fault at 0x10006000' ||
        why+=("not exactly one trapped load at 0x10006000")
    dd if="$disk" bs=512 skip=8 count=1 status=none | cmp -s - "$out/pattern.bin" ||
        why+=("disk sector 8 does not hold the submitted pattern")
    if [ ${#why[@]} -eq 0 ]; then
        echo "qemu: PASS $mode: $(wc -l <"$got") marker lines as expected, exit 0," \
             "$(( (end - start) / 1000000 )) ms"
        return 0
    fi
    local joined
    joined=$(IFS=';'; echo "${why[*]}")
    echo "qemu: FAIL $mode: ${joined//;/; }"
    echo "---- $log"
    tr -d '\r' <"$log"
    echo "---- marker diff (expected vs got)"
    cat "$out/markers-$mode.diff"
    return 1
}

failed=0
for mode in legacy modern; do
    run_mode "$mode" || failed=$((failed + 1))
done
if [ "$failed" -ne 0 ]; then
    echo "qemu: FAIL ($failed of 2 modes)"
    exit 1
fi
echo "qemu: PASS (legacy and modern virtio-mmio)"

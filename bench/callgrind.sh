#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Instructions per operation of each bench_core kernel, counted by callgrind.
#
#   bench/callgrind.sh [BENCH_BINARY [ITER1 ITER2]]
#
# BENCH_BINARY defaults to build/release/bench/bench_core (this script builds
# nothing). Each kernel runs twice under callgrind, ITER1 (default 100000) and
# ITER2 (default 200000) operations; instructions per operation is
#   (Ir(ITER2) - Ir(ITER1)) / (ITER2 - ITER1)
# which cancels start-up, set-up and exit. The `empty` kernel's figure (the
# loop's own increment, compare and branch) is then subtracted from the others.
# Prints figures; never fails on one. Exits nonzero only if a run fails.
set -euo pipefail

bin=${1:-build/release/bench/bench_core}
iter1=${2:-100000}
iter2=${3:-200000}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind not found; nothing measured" >&2
    exit 1
fi
if [[ ! -x $bin ]]; then
    echo "callgrind.sh: no bench binary at '$bin'" >&2
    echo "  build it: cmake --preset release && cmake --build --preset release" >&2
    exit 1
fi
if ! [[ $iter1 =~ ^[0-9]+$ && $iter2 =~ ^[0-9]+$ ]] || ((iter2 <= iter1)); then
    echo "callgrind.sh: ITER1 and ITER2 must be integers with ITER1 < ITER2" >&2
    exit 1
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/dk-callgrind.XXXXXX")
trap 'rm -rf "$out"' EXIT

# Total Ir of a callgrind out file: its "summary:" line (older files: "totals:").
total_ir() {
    awk '/^summary:/ { print $2; found = 1; exit }
         /^totals:/ { t = $2 }
         END { if (!found && t != "") print t }' "$1"
}

mapfile -t kernels < <("$bin" --list-kernels)
if [[ " ${kernels[*]} " != *" empty "* ]]; then
    echo "callgrind.sh: '$bin --list-kernels' has no 'empty' kernel" >&2
    exit 1
fi

echo "valgrind:  $(valgrind --version)"
echo "binary:    $bin"
echo "method:    (Ir at $iter2 ops - Ir at $iter1 ops) / $((iter2 - iter1)), minus the empty loop"
echo

declare -A per_op
for k in "${kernels[@]}"; do
    ir=()
    for it in "$iter1" "$iter2"; do
        file="$out/$k.$it.out"
        cmd=(valgrind --tool=callgrind --callgrind-out-file="$file" "$bin"
             --callgrind-kernel="$k" "$it")
        echo "+ ${cmd[*]}"
        if ! "${cmd[@]}" >"$out/$k.$it.log" 2>&1; then
            echo "callgrind.sh: run failed; its output:" >&2
            cat "$out/$k.$it.log" >&2
            exit 1
        fi
        t=$(total_ir "$file")
        if [[ -z $t ]]; then
            echo "callgrind.sh: no summary/totals line in $file" >&2
            exit 1
        fi
        ir+=("$t")
    done
    per_op[$k]=$(awk -v a="${ir[0]}" -v b="${ir[1]}" -v n="$((iter2 - iter1))" \
        'BEGIN { printf "%.2f", (b - a) / n }')
done
echo

base=${per_op[empty]}
printf '%-28s %14s %14s\n' "kernel" "Ir/iteration" "Ir/op (net)"
for k in "${kernels[@]}"; do
    net=$(awk -v a="${per_op[$k]}" -v b="$base" 'BEGIN { printf "%.2f", a - b }')
    if [[ $k == empty ]]; then
        net="-"
    fi
    printf '%-28s %14s %14s\n' "$k" "${per_op[$k]}" "$net"
done
echo

rr=$(awk -v a="${per_op[reserve_resolve]:-}" -v b="$base" 'BEGIN { printf "%.2f", a - b }')
verdict=$(awk -v x="$rr" 'BEGIN { print (x <= 35) ? "yes" : "NO" }')
echo "reserve_resolve: $rr instructions per reserve+resolve pair; <= 35: $verdict"
if [[ -n ${per_op[ck_pair]:-} ]]; then
    for k in reserve_resolve reserve_resolve_ledger; do
        awk -v a="${per_op[$k]}" -v c="${per_op[ck_pair]}" -v b="$base" -v k="$k" \
            'BEGIN { printf "%s / ck_pair (net instructions): %.2f\n", k, (a - b) / (c - b) }'
    done
else
    echo "ck_pair: skipped: the bench was built without Concurrency Kit"
fi

# Wire frames: instructions to parse and validate the typical 992-byte frame
# (bench_wire), next to a memcpy of the same bytes, by the same difference
# method. The wire bench sits beside bench_core.
wire=${bin%/*}/bench_wire
if [[ -x $wire ]]; then
    declare -A wire_ir
    for mode in parse copy; do
        ir=()
        for n in "$iter1" "$iter2"; do
            cg="$out/wire_$mode.$n.out"
            flag=()
            [[ $mode == copy ]] && flag=(--copy)
            (set -x; valgrind --tool=callgrind --callgrind-out-file="$cg" "$wire" \
                --callgrind="$n" "${flag[@]}") >/dev/null 2>>"$out/wire.log" || {
                echo "callgrind.sh: bench_wire ($mode) failed" >&2; exit 1; }
            ir+=("$(total_ir "$cg")")
        done
        wire_ir[$mode]=$(awk -v a="${ir[0]}" -v b="${ir[1]}" -v n="$((iter2 - iter1))" \
            'BEGIN { printf "%.1f", (b - a) / n }')
    done
    echo "wire: dk_wire_parse ${wire_ir[parse]} instructions per 992-byte frame;" \
         "memcpy of the same bytes ${wire_ir[copy]}"
else
    echo "wire: skipped: $wire not built"
fi

# End to end: instructions per 4 KiB read (frame, service, virtio-blk,
# simulated disk, fence, poll) at 1, 8 and 32 reads per frame, and per 4 KiB
# memcpy (the floor), by the same difference method over 12800 and 25600
# reads (multiples of every batch; the e2e runs are slower than the kernels).
e2e=${bin%/*}/bench_e2e
if [[ -x $e2e ]]; then
    line="e2e instructions per read:"
    for mode in 1 8 32 copy; do
        ir=()
        for n in 12800 25600; do
            cg="$out/e2e_$mode.$n.out"
            flag=(--batch="$mode")
            [[ $mode == copy ]] && flag=(--copy)
            (set -x; valgrind --tool=callgrind --callgrind-out-file="$cg" "$e2e" \
                --callgrind="$n" "${flag[@]}") >/dev/null 2>>"$out/e2e.log" || {
                echo "callgrind.sh: bench_e2e ($mode) failed" >&2; exit 1; }
            ir+=("$(total_ir "$cg")")
        done
        v=$(awk -v a="${ir[0]}" -v b="${ir[1]}" 'BEGIN { printf "%.1f", (b - a) / 12800 }')
        if [[ $mode == copy ]]; then
            line+=" memcpy of 4 KiB $v"
        else
            line+=" $mode/frame $v;"
        fi
    done
    echo "$line"
else
    echo "e2e: skipped: $e2e not built"
fi

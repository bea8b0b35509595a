#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench_e2e at one batch size, RUNS separate times, and the median of the
# runs' ratios: one run's rounds take well under a second, and on a shared
# machine whole runs land in slower or faster periods, so one run's ratio is
# not the figure to quote.
#
#   bench/e2e-runs.sh [RUNS [BATCH [BINARY]]]   defaults: 10, 32,
#                                               build/release/bench/bench_e2e
#
# Prints each run's row and then the median, lowest and highest ratio (the
# memcpy median over the end-to-end median of that run; target >= 50%).
# Builds nothing; exits nonzero only if a run fails.
set -euo pipefail

runs=${1:-10}
batch=${2:-32}
bin=${3:-build/release/bench/bench_e2e}

if [[ ! -x $bin ]]; then
    echo "e2e-runs.sh: no bench binary at '$bin'" >&2
    echo "  build it: cmake --preset release && cmake --build --preset release" >&2
    exit 1
fi
if ! [[ $runs =~ ^[1-9][0-9]*$ && $batch =~ ^[1-9][0-9]*$ ]]; then
    echo "e2e-runs.sh: RUNS and BATCH must be positive integers" >&2
    exit 1
fi

rows=()
for ((i = 0; i < runs; i++)); do
    out=$("$bin" --batch="$batch")
    row=$(awk -v b="$batch" '$1 == b && NF == 7' <<<"$out")
    if [[ -z $row ]]; then
        echo "e2e-runs.sh: run $((i + 1)) printed no row for batch $batch:" >&2
        echo "$out" >&2
        exit 1
    fi
    [[ $i -eq 0 ]] && head -2 <<<"$out"
    echo "$row"
    rows+=("$row")
done
printf '%s\n' "${rows[@]}" | awk '{ r = $7; sub("%", "", r); print r }' | sort -g |
    awk -v n="$runs" '{ a[NR] = $1 }
        END {
            m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            printf "runs %d: median rate/cpy %.1f%%, lowest %.1f%%, highest %.1f%% (target >= 50%%)\n",
                   n, m, a[1], a[n]
        }'

#!/usr/bin/env bash
# One bounded libFuzzer run, as ctest's fuzz smoke tests call it:
#   smoke.sh FUZZER SEED_DIR FUZZ_SRC_DIR RUNS SECONDS
# Replays every file in fuzz/regressions/<target>/ first (each a crash that
# was found and fixed), then fuzzes a fresh copy of the seed corpus with a
# fixed seed. Any crash, leak, sanitizer report or timeout fails the test.
set -euo pipefail
fuzzer=$1 seed=$2 src=$3 runs=$4 secs=$5
name=$(basename "$fuzzer")
work=$(mktemp -d "${TMPDIR:-/tmp}/dk-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT

regress="$src/regressions/$name"
if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
    echo "$name: replaying $(ls "$regress" | wc -l) regression input(s)"
    "$fuzzer" "$regress"/*
fi
cp -R "$seed"/. "$work"/
"$fuzzer" -seed=1 -runs="$runs" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -dict="$src/dk.dict" -print_final_stats=1 "$work"

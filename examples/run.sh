#!/usr/bin/env bash
# The main job: build the release preset and run the demo.
#   bash examples/run.sh [dk_demo arguments...]
# Build output goes to stderr, so stdout is the demo's alone.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/deps.sh minimal >&2
cmake --preset release >&2
cmake --build --preset release --target dk_demo >&2
exec build/release/examples/dk_demo "$@"

#!/usr/bin/env bash
# Installs the Debian packages a profile needs, and only those that are missing.
#
# Usage: tests/deps.sh [minimal|host|full]     (default: full)
#   minimal  build the library and examples (examples/run.sh)
#   host     + Criterion, clang/llvm, valgrind, Concurrency Kit: every host test
#   full     + QEMU and the riscv64 bare-metal toolchain (tests/run-all.sh, CI)
# Nothing is installed when everything is present. Otherwise: as root it runs apt-get;
# as a user with password-less sudo it uses sudo; else it names the command and fails.
set -euo pipefail

profile=${1:-full}
minimal=(cmake gcc libc6-dev make pkg-config)
host=("${minimal[@]}" libcriterion-dev clang llvm valgrind libck-dev)
full=("${host[@]}" qemu-system-misc gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf)
case $profile in
    minimal) wanted=("${minimal[@]}") ;;
    host) wanted=("${host[@]}") ;;
    full) wanted=("${full[@]}") ;;
    *) echo "deps.sh: unknown profile '$profile' (minimal, host or full)" >&2; exit 2 ;;
esac

if ! command -v dpkg >/dev/null 2>&1; then
    echo "deps.sh: not a Debian system (no dpkg); make sure these are installed:" \
         "${wanted[*]}" >&2
    exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
    # No pipe into `grep -q`: with pipefail, dpkg dying of SIGPIPE would read as missing.
    if [[ $(dpkg -s "$pkg" 2>/dev/null) != *$'\nStatus: install ok installed'* ]]; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps.sh: $profile profile: all ${#wanted[@]} packages present"
    exit 0
fi

echo "deps.sh: $profile profile: missing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "deps.sh: not root and no password-less sudo; to install them, run as root:" >&2
    echo "     apt-get update &&" \
         "apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"

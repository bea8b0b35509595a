#!/usr/bin/env bash
# Proves that src/core is freestanding C11: no OS or libc headers, and an object that needs
# nothing from outside but memcpy/memset/memmove/memcmp.
#
# Usage: tests/freestanding-check.sh [repo-root] [scratch-dir]
#   env CC (default cc) and NM (default nm): the host toolchain.
# Checks, in order:
#   1. every #include in src/core/*.[ch], and in each project header they reach, names a
#      freestanding standard header or a project header;
#   2. src/core/*.c compiled with -ffreestanding -fno-builtin -O2 -Iinclude and merged with
#      `-r -nostdlib` into one object has no undefined symbol but mem{cpy,set,move,cmp};
#   3. the same for riscv64 (rv64imac, lp64, medany) if riscv64-unknown-elf-gcc is
#      installed; otherwise it says SKIP.
set -euo pipefail

repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=${2:-$(mktemp -d /tmp/dk-freestanding.XXXXXX)}
CC=${CC:-cc}
NM=${NM:-nm}

allowed_headers=" stdint.h stddef.h stdbool.h stdatomic.h limits.h stdalign.h stdnoreturn.h float.h iso646.h stdarg.h "
allowed_undefined=" memcpy memset memmove memcmp "

shopt -s nullglob
sources=("$repo"/src/core/*.c)
if [ ${#sources[@]} -eq 0 ]; then
    echo "FAIL: no sources in $repo/src/core"
    exit 1
fi
rm -rf "$work"
mkdir -p "$work"
failures=0

# 1. Includes. -MM lists the non-system headers a file reaches: the project's own.
mapfile -t reached < <("$CC" -std=c11 -ffreestanding -I"$repo/include" -MM "${sources[@]}" |
                       sed 's/\\$//' | tr -s ' ' '\n' | grep '\.h$')
mapfile -t files < <(printf '%s\n' "${sources[@]}" "$repo"/src/core/*.h "${reached[@]}" | sort -u)
for f in "${files[@]}"; do
    while IFS= read -r hit; do
        line=${hit%%:*}
        inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//' <<<"${hit#*:}")
        case $inc in
            \"*) continue ;;                                   # quoted project header
            \<driverkit/*) continue ;;                         # public project header
            \<*\>*)
                name=${inc#<}; name=${name%%>*}
                case $allowed_headers in *" $name "*) continue ;; esac ;;
        esac
        echo "FAIL include: ${f#"$repo"/}:$line: $inc is not a freestanding header"
        failures=$((failures + 1))
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" || true)
done
echo "includes: ${#files[@]} files (src/core and the project headers they reach) checked"

# 2./3. Compile, merge, list undefined symbols.
check_objects() {
    local label=$1 cc=$2 nm=$3
    shift 3
    local dir="$work/$label" objs=() src obj sym bad=0
    mkdir -p "$dir"
    for src in "${sources[@]}"; do
        obj="$dir/$(basename "${src%.c}").o"
        if ! "$cc" -std=c11 -ffreestanding -fno-builtin -fno-stack-protector -O2 "$@" \
                -I"$repo/include" -c "$src" -o "$obj"; then
            echo "FAIL $label: ${src#"$repo"/} does not compile freestanding"
            failures=$((failures + 1))
            return
        fi
        objs+=("$obj")
    done
    "$cc" "$@" -r -nostdlib -o "$dir/core.o" "${objs[@]}"
    local undefined
    mapfile -t undefined < <("$nm" -u "$dir/core.o" | awk '{print $NF}' | sort -u)
    for sym in "${undefined[@]}"; do
        case $allowed_undefined in
            *" $sym "*) ;;
            *) echo "FAIL $label: core needs '$sym' from outside the core"; bad=1 ;;
        esac
    done
    failures=$((failures + bad))
    echo "$label: ${#objs[@]} objects from src/core, merged; undefined: ${undefined[*]:-none}" \
         "($([ $bad -eq 0 ] && echo ok || echo NOT ok); allowed:$allowed_undefined)"
}

check_objects host "$CC" "$NM"

if command -v riscv64-unknown-elf-gcc >/dev/null 2>&1; then
    check_objects riscv64 riscv64-unknown-elf-gcc riscv64-unknown-elf-nm \
        -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -fno-tree-loop-distribute-patterns
else
    echo "SKIP riscv64: riscv64-unknown-elf-gcc missing"
fi

if [ "$failures" -ne 0 ]; then
    echo "core_freestanding: $failures failure(s)"
    exit 1
fi
echo "core_freestanding: ok"

# CMake toolchain file: bare-metal riscv64 with Debian's riscv64-unknown-elf-gcc, for the
# nexus backend (preset nexus-rv64). Flags as ../shared/qemu-virt-notes.md gives them:
# rv64imac + Zicsr, lp64 (soft float: the kernel saves no FP state for drivers), medany code
# model (the image may sit anywhere), freestanding. Only static libraries are built.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

set(DK_RV64_PREFIX riscv64-unknown-elf- CACHE STRING "Cross toolchain prefix")
set(CMAKE_C_COMPILER ${DK_RV64_PREFIX}gcc)
set(CMAKE_ASM_COMPILER ${DK_RV64_PREFIX}gcc)
set(CMAKE_AR ${DK_RV64_PREFIX}ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${DK_RV64_PREFIX}ranlib CACHE FILEPATH "")
set(CMAKE_NM ${DK_RV64_PREFIX}nm CACHE FILEPATH "")

# No C library: CMake's compiler checks must not try to link an executable.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# -fno-tree-loop-distribute-patterns: GCC would otherwise turn zeroing loops into calls to
# memset, which the image may implement with that very loop.
set(CMAKE_C_FLAGS_INIT
    "-march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -ffreestanding -fno-builtin -fno-stack-protector -fno-tree-loop-distribute-patterns")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

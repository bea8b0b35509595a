/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one architecture header of libdriverkit: riscv64 `ecall` wrappers and
 * the RISC-V fence instructions, as small inline functions. Everything else
 * in the nexus backend is plain C11; nothing of the OS is included.
 *
 * Calling convention (../shared/nexus-abi.md): a7 = number, a0..a5 =
 * arguments, a0 = result, read as a signed machine word (negative = -errno).
 * Every wrapper clobbers "memory": the kernel may read or write what a
 * pointer argument names (cap_query writes the caller's struct), so the
 * compiler must not keep such memory in registers across the call.
 */
#ifndef DRIVERKIT_NEXUS_RV64_H
#define DRIVERKIT_NEXUS_RV64_H

#if !defined(__riscv) || !defined(__riscv_xlen) || __riscv_xlen != 64
#error "the nexus backend binds to the Nexus kernel's riscv64 ABI: build it for riscv64 only"
#endif

static inline long dk_nexus_ecall0(unsigned long nr)
{
    register unsigned long a7 __asm__("a7") = nr;
    register long a0 __asm__("a0");

    __asm__ __volatile__("ecall" : "=r"(a0) : "r"(a7) : "memory");
    return a0;
}

static inline long dk_nexus_ecall1(unsigned long nr, unsigned long x0)
{
    register unsigned long a7 __asm__("a7") = nr;
    register long a0 __asm__("a0") = (long)x0;

    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7) : "memory");
    return a0;
}

static inline long dk_nexus_ecall2(unsigned long nr, unsigned long x0, unsigned long x1)
{
    register unsigned long a7 __asm__("a7") = nr;
    register long a0 __asm__("a0") = (long)x0;
    register unsigned long a1 __asm__("a1") = x1;

    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1) : "memory");
    return a0;
}

static inline long dk_nexus_ecall3(unsigned long nr, unsigned long x0, unsigned long x1,
                                   unsigned long x2)
{
    register unsigned long a7 __asm__("a7") = nr;
    register long a0 __asm__("a0") = (long)x0;
    register unsigned long a1 __asm__("a1") = x1;
    register unsigned long a2 __asm__("a2") = x2;

    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
    return a0;
}

static inline long dk_nexus_ecall4(unsigned long nr, unsigned long x0, unsigned long x1,
                                   unsigned long x2, unsigned long x3)
{
    register unsigned long a7 __asm__("a7") = nr;
    register long a0 __asm__("a0") = (long)x0;
    register unsigned long a1 __asm__("a1") = x1;
    register unsigned long a2 __asm__("a2") = x2;
    register unsigned long a3 __asm__("a3") = x3;

    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2), "r"(a3) : "memory");
    return a0;
}

/*
 * Fences (RISC-V unprivileged spec, RVWMO; predecessor set, successor set:
 * r/w = memory loads/stores, i/o = device input/output). Each is also a
 * compiler barrier. The callers say which accesses each one orders.
 */
static inline void dk_nexus_fence_all(void)
{
    __asm__ __volatile__("fence iorw, iorw" ::: "memory");
}

static inline void dk_nexus_fence_w_w(void)
{
    __asm__ __volatile__("fence w, w" ::: "memory");
}

static inline void dk_nexus_fence_r_r(void)
{
    __asm__ __volatile__("fence r, r" ::: "memory");
}

static inline void dk_nexus_fence_w_o(void)
{
    __asm__ __volatile__("fence w, o" ::: "memory");
}

static inline void dk_nexus_fence_i_r(void)
{
    __asm__ __volatile__("fence i, r" ::: "memory");
}

#endif /* DRIVERKIT_NEXUS_RV64_H */

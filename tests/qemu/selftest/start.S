/* SPDX-License-Identifier: Apache-2.0 */
/*
 * U-mode entry of the selftest image (tests/qemu/ABI.md): the stand-in
 * supervisor drops to U-mode at 0x8020_0000 with nothing set up. Set the
 * stack, zero .bss, run main, and hand its result to the stand-in's exit
 * call (0x7d1), which ends QEMU with that status. exit does not return;
 * should it, spin (the run is under `timeout`).
 */
    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, __stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    main
    li      a7, 0x7d1
    ecall
3:  j       3b

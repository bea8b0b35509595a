/*
 * Entry, trap entry and the drop to U-mode. `-bios none` starts hart 0 at 0x80000000
 * whatever the ELF entry says, so _start is linked first (.text.start).
 *
 * Trap stack discipline: while U-mode runs, mscratch holds sv_frame_base (a struct
 * sv_frame at the top of the M-mode stack); while M-mode runs, mscratch is 0. A trap
 * that finds mscratch == 0 came from M-mode: a supervisor bug, reported and fatal.
 */
    .section .text.start, "ax"
    .globl _start
_start:
    csrw    mie, zero
    csrw    mscratch, zero
    csrr    t0, mhartid
    bnez    t0, park
    la      sp, sv_frame_base       /* C stack grows down below the frame */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  la      t0, sv_trap_entry
    csrw    mtvec, t0
    call    sv_main
park:
    wfi
    j       park

    .text
    .balign 4
    .globl sv_trap_entry
sv_trap_entry:
    csrrw   sp, mscratch, sp
    beqz    sp, from_m
    sd      x1, 1*8(sp)
    sd      x3, 3*8(sp)
    sd      x4, 4*8(sp)
    sd      x5, 5*8(sp)
    sd      x6, 6*8(sp)
    sd      x7, 7*8(sp)
    sd      x8, 8*8(sp)
    sd      x9, 9*8(sp)
    sd      x10, 10*8(sp)
    sd      x11, 11*8(sp)
    sd      x12, 12*8(sp)
    sd      x13, 13*8(sp)
    sd      x14, 14*8(sp)
    sd      x15, 15*8(sp)
    sd      x16, 16*8(sp)
    sd      x17, 17*8(sp)
    sd      x18, 18*8(sp)
    sd      x19, 19*8(sp)
    sd      x20, 20*8(sp)
    sd      x21, 21*8(sp)
    sd      x22, 22*8(sp)
    sd      x23, 23*8(sp)
    sd      x24, 24*8(sp)
    sd      x25, 25*8(sp)
    sd      x26, 26*8(sp)
    sd      x27, 27*8(sp)
    sd      x28, 28*8(sp)
    sd      x29, 29*8(sp)
    sd      x30, 30*8(sp)
    sd      x31, 31*8(sp)
    csrrw   t0, mscratch, zero      /* U sp; mscratch = 0 while in M-mode */
    sd      t0, 2*8(sp)
    mv      a0, sp
    call    sv_trap                 /* sp is callee-saved: still the frame after */
    csrw    mscratch, sp
    ld      x1, 1*8(sp)
    ld      x3, 3*8(sp)
    ld      x4, 4*8(sp)
    ld      x5, 5*8(sp)
    ld      x6, 6*8(sp)
    ld      x7, 7*8(sp)
    ld      x8, 8*8(sp)
    ld      x9, 9*8(sp)
    ld      x10, 10*8(sp)
    ld      x11, 11*8(sp)
    ld      x12, 12*8(sp)
    ld      x13, 13*8(sp)
    ld      x14, 14*8(sp)
    ld      x15, 15*8(sp)
    ld      x16, 16*8(sp)
    ld      x17, 17*8(sp)
    ld      x18, 18*8(sp)
    ld      x19, 19*8(sp)
    ld      x20, 20*8(sp)
    ld      x21, 21*8(sp)
    ld      x22, 22*8(sp)
    ld      x23, 23*8(sp)
    ld      x24, 24*8(sp)
    ld      x25, 25*8(sp)
    ld      x26, 26*8(sp)
    ld      x27, 27*8(sp)
    ld      x28, 28*8(sp)
    ld      x29, 29*8(sp)
    ld      x30, 30*8(sp)
    ld      x31, 31*8(sp)
    ld      sp, 2*8(sp)
    mret

from_m:
    csrrw   sp, mscratch, sp        /* back to the M stack, mscratch = 0 again */
    j       sv_trap_m

/* sv_enter_user(pc, sp): first entry to U-mode; every register but sp is zeroed. */
    .globl sv_enter_user
sv_enter_user:
    csrw    mepc, a0
    la      t0, sv_frame_base
    csrw    mscratch, t0
    li      t0, 0x1888              /* MPP = U (0), MPIE = 0, MIE = 0 */
    csrc    mstatus, t0
    mv      sp, a1
    li      x1, 0
    li      x3, 0
    li      x4, 0
    li      x5, 0
    li      x6, 0
    li      x7, 0
    li      x8, 0
    li      x9, 0
    li      x10, 0
    li      x11, 0
    li      x12, 0
    li      x13, 0
    li      x14, 0
    li      x15, 0
    li      x16, 0
    li      x17, 0
    li      x18, 0
    li      x19, 0
    li      x20, 0
    li      x21, 0
    li      x22, 0
    li      x23, 0
    li      x24, 0
    li      x25, 0
    li      x26, 0
    li      x27, 0
    li      x28, 0
    li      x29, 0
    li      x30, 0
    li      x31, 0
    mret

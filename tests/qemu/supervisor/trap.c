/*
 * Every trap goes to M-mode (nothing is delegated, no interrupt is enabled). From U-mode:
 * ecall -> syscall; load/store access fault -> report, count, skip; anything else is fatal.
 */
#include "sv.h"

#define MCAUSE_INTR (1ul << 63)
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_U 8

uint64_t sv_faults;

static uint64_t rd_mcause(void)
{
    uint64_t v;
    __asm__ volatile("csrr %0, mcause" : "=r"(v));
    return v;
}

static uint64_t rd_mepc(void)
{
    uint64_t v;
    __asm__ volatile("csrr %0, mepc" : "=r"(v));
    return v;
}

static uint64_t rd_mtval(void)
{
    uint64_t v;
    __asm__ volatile("csrr %0, mtval" : "=r"(v));
    return v;
}

static void wr_mepc(uint64_t v)
{
    __asm__ volatile("csrw mepc, %0" ::"r"(v));
}

static void report(const char *what, uint64_t cause, uint64_t epc, uint64_t tval)
{
    sv_puts("supervisor: ");
    sv_puts(what);
    sv_puts(" mcause=");
    sv_put_hex(cause);
    sv_puts(" mepc=");
    sv_put_hex(epc);
    sv_puts(" mtval=");
    sv_put_hex(tval);
    sv_putc('\n');
}

/*
 * Length of the U instruction at epc: 4 if its low two bits are 0b11, else 2 (C extension).
 * epc may be 2-aligned, so only the first halfword is read. It must lie in U text: an access
 * fault is raised by an instruction that was fetched, so anything else is a supervisor bug.
 */
static uint64_t insn_len(uint64_t epc)
{
    if (epc < SV_U_TEXT || epc >= SV_U_DATA - 2 || (epc & 1))
        return 0;
    return ((*(volatile uint16_t *)epc) & 3) == 3 ? 4 : 2;
}

void sv_trap(struct sv_frame *f)
{
    uint64_t cause = rd_mcause();
    uint64_t epc = rd_mepc();

    if (cause == CAUSE_ECALL_U) {
        f->x[10] = (uint64_t)sv_syscall(f->x[17], &f->x[10]);
        wr_mepc(epc + 4);
        return;
    }
    if (cause == CAUSE_LOAD_ACCESS || cause == CAUSE_STORE_ACCESS) {
        uint64_t tval = rd_mtval();
        uint64_t len = insn_len(epc);

        if (len == 0) {
            report("access fault at a pc outside U text", cause, epc, tval);
            sv_exit(3);
        }
        sv_puts("supervisor: trapped U-mode ");
        sv_puts(cause == CAUSE_LOAD_ACCESS ? "load" : "store");
        sv_puts(" access fault at ");
        sv_put_hex(tval);
        sv_putc('\n');
        sv_faults++;
        wr_mepc(epc + len);
        return;
    }
    report(cause & MCAUSE_INTR ? "unexpected interrupt" : "U-mode exception", cause, epc,
           rd_mtval());
    sv_exit(3);
}

/* A trap taken in M-mode is a supervisor bug (start.S jumps here with the M stack). */
void sv_trap_m(void) __attribute__((noreturn));
void sv_trap_m(void)
{
    report("M-mode trap (supervisor bug)", rd_mcause(), rd_mepc(), rd_mtval());
    sv_exit(3);
}

/* Boot: console, PMP, PLIC, capability table; then drop to the selftest in U-mode. */
#include "sv.h"

void sv_main(void) __attribute__((noreturn));

void sv_main(void)
{
    sv_uart_init();
    sv_pmp_init();
    sv_plic_init();
    sv_cap_init();

    /* Delegate nothing: every trap and interrupt stays with M-mode; take no interrupts. */
    __asm__ volatile("csrw medeleg, zero\n\t"
                     "csrw mideleg, zero\n\t"
                     "csrw mie, zero\n\t"
                     "csrw satp, zero");
    /* U-mode rdtime: mcounteren.TM (and scounteren.TM, harmless without S-mode code). */
    __asm__ volatile("csrw mcounteren, %0\n\t"
                     "csrw scounteren, %0" ::"r"(2ul));

    sv_puts("supervisor: Nexus ABI stand-in (not the kernel); entering U-mode at ");
    sv_put_hex(SV_U_TEXT);
    sv_putc('\n');
    sv_enter_user(SV_U_TEXT, SV_U_END);
}

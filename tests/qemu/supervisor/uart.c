/* NS16550 console and the SiFive test device (QEMU exit). */
#include "sv.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5
#define UART_LSR_THRE 0x20

static inline void uart_w(unsigned reg, uint8_t v)
{
    *(volatile uint8_t *)(SV_UART + reg) = v;
}

static inline uint8_t uart_r(unsigned reg)
{
    return *(volatile uint8_t *)(SV_UART + reg);
}

void sv_uart_init(void)
{
    uart_w(UART_IER, 0);    /* no interrupts: the supervisor never takes any */
    uart_w(UART_LCR, 0x03); /* 8N1 */
    uart_w(UART_FCR, 0x07); /* FIFO on, cleared */
}

void sv_putc(char c)
{
    /* BOUND: QEMU's THR is always empty; the loop only matters on real hardware. */
    while (!(uart_r(UART_LSR) & UART_LSR_THRE))
        ;
    uart_w(UART_THR, (uint8_t)c);
}

void sv_puts(const char *s)
{
    while (*s)
        sv_putc(*s++);
}

void sv_put_hex(uint64_t v)
{
    char buf[16];
    int n = 0;

    sv_puts("0x");
    do {
        unsigned d = v & 0xf;
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v >>= 4;
    } while (v);
    while (n)
        sv_putc(buf[--n]);
}

void sv_put_dec(uint64_t v)
{
    char buf[20];
    int n = 0;

    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        sv_putc(buf[--n]);
}

/*
 * The test device exits QEMU with 0 for 0x5555 and with `code` for (code << 16) | 0x3333.
 * QEMU's status is taken modulo 256, so a non-zero code whose low byte is 0 would read
 * as a pass: fail closed and report 255 instead.
 */
void sv_exit(uint64_t code)
{
    uint32_t status = (uint32_t)(code & 0xff);

    if (code != 0 && status == 0)
        status = 255;
    sv_puts("supervisor: exit ");
    sv_put_dec(status);
    sv_putc('\n');
    if (status == 0)
        sv_mmio_w32(SV_TESTDEV, 0x5555);
    else
        sv_mmio_w32(SV_TESTDEV, (status << 16) | 0x3333);
    for (;;)
        __asm__ volatile("wfi");
}

void sv_fatal(const char *why)
{
    sv_puts("supervisor: fatal: ");
    sv_puts(why);
    sv_putc('\n');
    sv_exit(3);
}

/*
 * Internal header of the QEMU test supervisor: an ABI-compatible stand-in for the
 * Nexus kernel (not the kernel). Memory map, syscall numbers and errno values follow
 * tests/qemu/ABI.md and ../shared/nexus-abi.md. Single hart, single U-mode task, no MMU:
 * a virtual address equals the physical address.
 */
#ifndef SV_H
#define SV_H

#include <stdint.h>
#include <stddef.h>

/* Memory map (ABI.md). */
#define SV_U_TEXT 0x80200000ul /* selftest text + rodata: U R-X */
#define SV_U_DATA 0x80300000ul /* selftest data, bss, stack: U RW- */
#define SV_U_END 0x80400000ul  /* initial U-mode sp */
#define SV_POOL_BASE 0x81000000ul
#define SV_POOL_SIZE 0x00800000ul /* 8 MiB, NAPOT-aligned */
#define SV_PAGE 4096ul

#define SV_UART 0x10000000ul
#define SV_TESTDEV 0x00100000ul
#define SV_PLIC 0x0c000000ul
#define SV_VIRTIO_BASE 0x10001000ul /* slot i at base + 0x1000 * i, IRQ i + 1 */
#define SV_VIRTIO_SLOTS 8

/* errno values of the Nexus ABI; syscalls return -errno. */
#define SV_EPERM 1
#define SV_ENOENT 2
#define SV_ENOMEM 12
#define SV_EFAULT 14
#define SV_EBUSY 16
#define SV_EEXIST 17
#define SV_EINVAL 22
#define SV_ENOSPC 28
#define SV_ENOSYS 38
#define SV_ETIMEDOUT 110

/* Capability kinds: 1 and 2 are the cap_query wire values; the rest are internal. */
enum sv_kind {
    SV_CAP_EMPTY = 0,
    SV_CAP_VMO = 1,
    SV_CAP_DEVICE = 2,
    SV_CAP_ENDPOINT = 3,
    SV_CAP_WAITSET = 4,
    SV_CAP_FENCE = 5,
};

#define SV_RIGHT_MAP 1u
#define SV_RIGHT_RECV 2u
#define SV_RIGHT_SEND 4u

#define SV_NCAPS 256 /* slot 0 is reserved and never valid */

/* Saved U-mode registers, x[i] = register xi; written by the trap entry in start.S. */
struct sv_frame {
    uint64_t x[32];
};

/* start.S */
void sv_enter_user(uint64_t pc, uint64_t sp) __attribute__((noreturn));
extern char sv_frame_base[];

/* uart.c: console and exit */
void sv_uart_init(void);
void sv_putc(char c);
void sv_puts(const char *s);
void sv_put_hex(uint64_t v);
void sv_put_dec(uint64_t v);
void sv_exit(uint64_t code) __attribute__((noreturn));
void sv_fatal(const char *why) __attribute__((noreturn));

/* pmp.c */
void sv_pmp_init(void);
void sv_pmp_pool(int open);
void sv_pmp_mmio(unsigned slot, int open);

/* trap.c */
extern uint64_t sv_faults;

/* syscall.c */
int64_t sv_syscall(uint64_t nr, const uint64_t a[6]);
int sv_user_range(uint64_t p, uint64_t n, int write);
uint64_t sv_now_ns(void);

/* cap.c: capability table and device-MMIO windows */
void sv_cap_init(void);
struct sv_cap {
    uint8_t kind;
    uint8_t rights;
    uint16_t obj;
};
int64_t sv_cap_pick(uint64_t hint);
void sv_cap_set(uint64_t slot, uint8_t kind, uint8_t rights, uint16_t obj);
struct sv_cap *sv_cap_get(uint64_t slot, uint8_t kind);
int64_t sv_sys_cap_query(uint64_t cap, uint64_t ptr);
int64_t sv_sys_cap_close(uint64_t cap);
int64_t sv_sys_mmio_map_auto(uint64_t cap, uint64_t off, uint64_t len);
int sv_mmio_unmap_range(uint64_t va, uint64_t end);

/* vmo.c */
int64_t sv_sys_vmo_create(uint64_t hint, uint64_t len, uint64_t zero);
int64_t sv_sys_vmo_destroy(uint64_t cap);
int64_t sv_sys_vm_map(uint64_t cap, uint64_t off, uint64_t len, uint64_t flags);
int64_t sv_sys_vm_unmap(uint64_t va, uint64_t len);
void sv_vmo_cap_closed(uint16_t obj);
void sv_vmo_query(uint16_t obj, uint64_t *base, uint64_t *len);
int sv_vmo_range_mapped(uint64_t p, uint64_t n);

/* irq.c: PLIC, endpoints, waitsets */
void sv_plic_init(void);
int64_t sv_sys_endpoint_create(uint64_t depth);
int64_t sv_sys_irq_bind(uint64_t irq, uint64_t ep);
int64_t sv_sys_irq_complete(uint64_t irq);
int64_t sv_sys_waitset_create(void);
int64_t sv_sys_waitset_add(uint64_t ws, uint64_t ep);
int64_t sv_sys_waitset_wait(uint64_t ws, uint64_t deadline);
void sv_endpoint_cap_closed(uint16_t obj);
void sv_waitset_cap_closed(uint16_t obj);

/* fence.c */
int64_t sv_sys_fence_create(void);
int64_t sv_sys_fence_signal(uint64_t f, uint64_t value);
int64_t sv_sys_fence_wait(uint64_t f, uint64_t target, uint64_t deadline);
void sv_fence_cap_closed(uint16_t obj);

static inline void sv_mmio_w32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

static inline uint32_t sv_mmio_r32(uint64_t addr)
{
    return *(volatile uint32_t *)addr;
}

#endif

/*
 * PMP layout (RV64: pmpcfg0 holds entries 0-7, pmpcfg2 entries 8-15). No entry is
 * locked, so M-mode stays unrestricted; U-mode is denied whatever no entry grants.
 *
 *   0      address only: bottom of the TOR pair (SV_U_TEXT)
 *   1      TOR  [SV_U_TEXT, SV_U_DATA)  R-X   selftest text + rodata
 *   2      TOR  [SV_U_DATA, SV_U_END)   RW-   selftest data, bss, stack
 *   3      NAPOT VMO pool (8 MiB)       RW-   open while at least one VMO is mapped
 *   4+i    NAPOT 4 KiB virtio slot i    RW-   OFF until mmio_map_auto opens it
 */
#include "sv.h"

#define PMP_R 0x01u
#define PMP_W 0x02u
#define PMP_X 0x04u
#define PMP_TOR 0x08u
#define PMP_NAPOT 0x18u

#define E_TEXT_LO 0
#define E_TEXT 1
#define E_DATA 2
#define E_POOL 3
#define E_MMIO0 4

#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(v)))
#define csr_read(csr)                                                                              \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("csrr %0, " #csr : "=r"(v_));                                             \
        v_;                                                                                        \
    })

static uint64_t cfg0, cfg2; /* shadows of pmpcfg0 / pmpcfg2 */

static uint64_t napot(uint64_t base, uint64_t size)
{
    return (base >> 2) | ((size >> 3) - 1);
}

static uint64_t cfg_byte(unsigned entry, uint8_t cfg)
{
    return (uint64_t)cfg << ((entry % 8) * 8);
}

static void cfg_commit(void)
{
    csr_write(pmpcfg0, cfg0);
    csr_write(pmpcfg2, cfg2);
    /* ORDERING: later U-mode accesses must see the new permissions (qemu-virt-notes). */
    __asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

static void cfg_set(unsigned entry, uint8_t cfg)
{
    uint64_t *reg = entry < 8 ? &cfg0 : &cfg2;

    *reg = (*reg & ~cfg_byte(entry, 0xff)) | cfg_byte(entry, cfg);
    cfg_commit();
}

void sv_pmp_init(void)
{
    csr_write(pmpaddr0, SV_U_TEXT >> 2);
    csr_write(pmpaddr1, SV_U_DATA >> 2);
    csr_write(pmpaddr2, SV_U_END >> 2);
    csr_write(pmpaddr3, napot(SV_POOL_BASE, SV_POOL_SIZE));
    csr_write(pmpaddr4, napot(SV_VIRTIO_BASE + 0x0000, SV_PAGE));
    csr_write(pmpaddr5, napot(SV_VIRTIO_BASE + 0x1000, SV_PAGE));
    csr_write(pmpaddr6, napot(SV_VIRTIO_BASE + 0x2000, SV_PAGE));
    csr_write(pmpaddr7, napot(SV_VIRTIO_BASE + 0x3000, SV_PAGE));
    csr_write(pmpaddr8, napot(SV_VIRTIO_BASE + 0x4000, SV_PAGE));
    csr_write(pmpaddr9, napot(SV_VIRTIO_BASE + 0x5000, SV_PAGE));
    csr_write(pmpaddr10, napot(SV_VIRTIO_BASE + 0x6000, SV_PAGE));
    csr_write(pmpaddr11, napot(SV_VIRTIO_BASE + 0x7000, SV_PAGE));

    cfg0 = cfg_byte(E_TEXT, PMP_TOR | PMP_R | PMP_X) | cfg_byte(E_DATA, PMP_TOR | PMP_R | PMP_W);
    cfg2 = 0;
    cfg_commit();

    /* SECURITY: fail closed if the hart has no (or fewer) PMP entries than this layout. */
    if (csr_read(pmpaddr11) != napot(SV_VIRTIO_BASE + 0x7000, SV_PAGE) ||
        csr_read(pmpaddr1) != (SV_U_DATA >> 2) || csr_read(pmpcfg0) != cfg0)
        sv_fatal("PMP entries 0-11 not writable: cannot confine U-mode");
}

void sv_pmp_pool(int open)
{
    cfg_set(E_POOL, open ? (uint8_t)(PMP_NAPOT | PMP_R | PMP_W) : 0);
}

void sv_pmp_mmio(unsigned slot, int open)
{
    if (slot >= SV_VIRTIO_SLOTS)
        return;
    cfg_set(E_MMIO0 + slot, open ? (uint8_t)(PMP_NAPOT | PMP_R | PMP_W) : 0);
}

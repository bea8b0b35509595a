/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nexus backend: each op is one or a few Nexus system calls, with the
 * numbers and argument orders of ../shared/nexus-abi.md, and every negative
 * result translated by the one errno table (dk_status_from_nx). The only
 * architecture code is nexus_rv64.h; no OS header is used.
 */
#include <driverkit/errmap.h>
#include <driverkit/nexus.h>

#include "nexus_rv64.h"

/* System call numbers (Nexus ABI). */
enum dk_nx_sys {
    DK_NX_SYS_NSEC = 1,
    DK_NX_SYS_VMO_CREATE = 5,
    DK_NX_SYS_IPC_ENDPOINT_CREATE = 19,
    DK_NX_SYS_CAP_CLOSE = 20,
    DK_NX_SYS_CAP_QUERY = 28,
    DK_NX_SYS_IRQ_BIND = 36,
    DK_NX_SYS_IRQ_COMPLETE = 37,
    DK_NX_SYS_WAITSET_CREATE = 38,
    DK_NX_SYS_WAITSET_ADD = 39,
    DK_NX_SYS_WAITSET_WAIT = 40,
    DK_NX_SYS_FENCE_CREATE = 41,
    DK_NX_SYS_FENCE_SIGNAL = 42,
    DK_NX_SYS_FENCE_WAIT = 43,
    DK_NX_SYS_VMO_DESTROY = 46,
    DK_NX_SYS_VM_MAP = 53,
    DK_NX_SYS_VM_UNMAP = 54,
    DK_NX_SYS_MMIO_MAP_AUTO = 55,
};

/* vm_map flags. */
#define DK_NX_MAP_VALID 1ul
#define DK_NX_MAP_READ 2ul
#define DK_NX_MAP_WRITE 4ul
#define DK_NX_MAP_USER 16ul

/* cap_query kinds and the struct the kernel fills (ABI layout). */
#define DK_NX_CAP_VMO 1u
#define DK_NX_CAP_DEVICE_MMIO 2u
struct dk_nx_cap_info {
    uint32_t kind;
    uint32_t reserved;
    uint64_t base;
    uint64_t len;
};

/* vmo_create's slot hint: usize::MAX lets the kernel choose. */
#define DK_NX_SLOT_ANY (~0ul)

static struct dk_nexus *dk_nx_of(void *ctx)
{
    return (struct dk_nexus *)ctx;
}

static int dk_nx_rc(long ret)
{
    return dk_status_from_nx(ret);
}

static uint64_t dk_nx_op_now(void *ctx)
{
    struct dk_nexus *nx = dk_nx_of(ctx);
    long r = dk_nexus_ecall0(DK_NX_SYS_NSEC);

    /* nsec does not fail on Nexus. Should a kernel answer with an error
     * anyway, it must not read as a time: the clock then stands still at the
     * last value (waiters are bounded by DK_WAIT_IDLE_WAKEUPS_MAX). */
    if (r >= 0 && (uint64_t)r > nx->last_ns)
        nx->last_ns = (uint64_t)r;
    return nx->last_ns;
}

/* Sleep until the deadline on the private fence nobody signals. */
static int dk_nx_sleep(struct dk_nexus *nx, uint64_t deadline_ns)
{
    long r = dk_nexus_ecall3(DK_NX_SYS_FENCE_WAIT, nx->sleeper, 1, deadline_ns);

    /* ETIMEDOUT is the expected answer; a 0 would be a spurious wake-up,
     * which callers tolerate (they re-check and re-wait). */
    return r < 0 ? dk_nx_rc(r) : DK_OK;
}

static int dk_nx_op_wait(void *ctx, uint64_t deadline_ns, uint32_t *events)
{
    struct dk_nexus *nx = dk_nx_of(ctx);
    uint32_t bit;
    long r;

    /* The kernel reads deadline 0 as "forever": never pass it on. */
    if (events == NULL || deadline_ns == 0)
        return DK_E_INVAL;
    *events = 0;
    if (nx->nirqs == 0)
        return dk_nx_sleep(nx, deadline_ns);
    r = dk_nexus_ecall2(DK_NX_SYS_WAITSET_WAIT, nx->waitset, deadline_ns);
    if (r < 0)
        return dk_nx_rc(r);
    /* SECURITY: fail closed on an index naming no member we added. */
    if ((unsigned long)r >= nx->nirqs)
        return DK_E_BACKEND;
    bit = 1u << r;
    if ((nx->reported & bit) == 0) {
        nx->reported |= bit;
        *events = DK_EVENT_IRQ;
        return DK_OK;
    }
    /* The first ready member is an interrupt already reported and not yet
     * acknowledged: the kernel would answer at once again. Sleep to the
     * deadline rather than spin (nexus.h). */
    return dk_nx_sleep(nx, deadline_ns);
}

static int dk_nx_op_vmo_create(void *ctx, uint64_t len, uint64_t *vmo)
{
    long r;

    (void)ctx;
    if (vmo == NULL || len == 0)
        return DK_E_INVAL;
    r = dk_nexus_ecall3(DK_NX_SYS_VMO_CREATE, DK_NX_SLOT_ANY, len, 0);
    if (r < 0)
        return dk_nx_rc(r);
    *vmo = (uint64_t)r;
    return DK_OK;
}

static int dk_nx_op_vmo_destroy(void *ctx, uint64_t vmo)
{
    (void)ctx;
    return dk_nx_rc(dk_nexus_ecall1(DK_NX_SYS_VMO_DESTROY, vmo));
}

static int dk_nx_op_vmo_map(void *ctx, uint64_t vmo, uint64_t off, uint64_t len, uint32_t prot,
                            void **va)
{
    unsigned long flags = DK_NX_MAP_VALID | DK_NX_MAP_USER | DK_NX_MAP_READ;
    long r;

    (void)ctx;
    if (va == NULL || len == 0 || prot == 0 ||
        (prot & ~(uint32_t)(DK_MAP_READ | DK_MAP_WRITE)) != 0)
        return DK_E_INVAL;
    /* RISC-V page tables cannot express write-only (W without R is a
     * reserved encoding): a writable mapping is also readable. Never
     * executable. */
    if (prot & DK_MAP_WRITE)
        flags |= DK_NX_MAP_WRITE;
    r = dk_nexus_ecall4(DK_NX_SYS_VM_MAP, vmo, off, len, flags);
    if (r < 0)
        return dk_nx_rc(r);
    *va = (void *)(uintptr_t)r;
    return DK_OK;
}

static int dk_nx_op_vmo_unmap(void *ctx, void *va, uint64_t len)
{
    (void)ctx;
    return dk_nx_rc(dk_nexus_ecall2(DK_NX_SYS_VM_UNMAP, (uintptr_t)va, len));
}

/* cap_query, and the kind the caller needs. */
static int dk_nx_cap_query(uint64_t cap, uint32_t kind, struct dk_vmo_info *info)
{
    struct dk_nx_cap_info ci = {0, 0, 0, 0};
    long r;

    if (info == NULL)
        return DK_E_INVAL;
    r = dk_nexus_ecall2(DK_NX_SYS_CAP_QUERY, cap, (uintptr_t)&ci);
    if (r < 0)
        return dk_nx_rc(r);
    /* SECURITY: a capability of another kind answers as the kernel answers
     * a wrong kind (EPERM): a device window's base must never become a DMA
     * address, nor a VMO's base a register window. */
    if (ci.kind != kind)
        return DK_E_PERM;
    info->dma_addr = ci.base;
    info->len = ci.len;
    return DK_OK;
}

static int dk_nx_op_vmo_query(void *ctx, uint64_t vmo, struct dk_vmo_info *info)
{
    (void)ctx;
    return dk_nx_cap_query(vmo, DK_NX_CAP_VMO, info);
}

static int dk_nx_op_mmio_map(void *ctx, uint64_t cap, uint64_t off, uint64_t len, uintptr_t *addr)
{
    long r;

    (void)ctx;
    if (addr == NULL)
        return DK_E_INVAL;
    r = dk_nexus_ecall3(DK_NX_SYS_MMIO_MAP_AUTO, cap, off, len);
    if (r < 0)
        return dk_nx_rc(r);
    *addr = (uintptr_t)r;
    return DK_OK;
}

static int dk_nx_op_mmio_query(void *ctx, uint64_t cap, struct dk_vmo_info *info)
{
    (void)ctx;
    return dk_nx_cap_query(cap, DK_NX_CAP_DEVICE_MMIO, info);
}

/* MMIO: only naturally aligned 1-, 2- and 4-byte accesses reach the bus. A
 * misaligned one would raise a misaligned-access exception rather than the
 * access fault the kernel contains, so it is answered here as the host
 * answers a fault (reads all ones, writes dropped) without touching memory. */
static int dk_nx_width_ok(uintptr_t addr, unsigned width)
{
    return (width == 1 || width == 2 || width == 4) && (addr & (width - 1u)) == 0;
}

/*
 * ORDERING (both accessors): no fence inside. Register accesses to one
 * device stay in program order on its I/O channel (the assumption Linux's
 * readl_relaxed/writel_relaxed make on RISC-V); ordering against ring memory
 * is the caller's barrier(): DK_BARRIER_WRITE_MMIO before the QueueNotify
 * store, DK_BARRIER_MMIO_READ after the InterruptStatus load.
 */
static uint32_t dk_nx_op_mmio_read(void *ctx, uintptr_t addr, unsigned width)
{
    (void)ctx;
    if (!dk_nx_width_ok(addr, width))
        return 0xffffffffu;
    if (width == 1)
        return *(const volatile uint8_t *)addr;
    if (width == 2)
        return *(const volatile uint16_t *)addr;
    return *(const volatile uint32_t *)addr;
}

static void dk_nx_op_mmio_write(void *ctx, uintptr_t addr, unsigned width, uint32_t value)
{
    (void)ctx;
    if (!dk_nx_width_ok(addr, width))
        return;
    if (width == 1)
        *(volatile uint8_t *)addr = (uint8_t)value;
    else if (width == 2)
        *(volatile uint16_t *)addr = (uint16_t)value;
    else
        *(volatile uint32_t *)addr = value;
}

static void dk_nx_op_barrier(void *ctx, enum dk_barrier kind)
{
    (void)ctx;
    switch (kind) {
    case DK_BARRIER_WRITE:
        /* ORDERING: descriptor and avail-slot stores before the avail->idx
         * store (pairs with the device's load of avail->idx, then the slot). */
        dk_nexus_fence_w_w();
        break;
    case DK_BARRIER_READ:
        /* ORDERING: the used->idx load before the used-element loads (pairs
         * with the device's element stores before its used->idx store). */
        dk_nexus_fence_r_r();
        break;
    case DK_BARRIER_WRITE_MMIO:
        /* ORDERING: ring stores in memory before the QueueNotify store to
         * the device (pairs with the device reading the rings once it sees
         * the notify). */
        dk_nexus_fence_w_o();
        break;
    case DK_BARRIER_MMIO_READ:
        /* ORDERING: the InterruptStatus load from the device before the
         * used-ring loads after it (pairs with the device's used->idx store
         * before it raised the interrupt). */
        dk_nexus_fence_i_r();
        break;
    case DK_BARRIER_FULL:
    default:
        /* ORDERING: every access before every later one: the avail->idx
         * store before the loads of used->flags / avail_event, and the
         * used_event store before later ring reads (pairs with the device's
         * stores of those before it re-reads avail->idx / used_event).
         * `fence rw,rw` would do for these memory pairs; iorw also covers
         * MMIO, as backend.h defines FULL. An unknown kind gets the
         * strongest fence. */
        dk_nexus_fence_all();
        break;
    }
}

/* Member index of a bound interrupt line, or -1. */
static int dk_nx_irq_index(const struct dk_nexus *nx, uint32_t irq)
{
    uint32_t i;

    for (i = 0; i < nx->nirqs; i++)
        if (nx->irq_num[i] == irq)
            return (int)i;
    return -1;
}

static int dk_nx_op_irq_bind(void *ctx, uint32_t irq)
{
    struct dk_nexus *nx = dk_nx_of(ctx);
    long ep, r;

    /* Binding a bound line again changes nothing, as on the host backend. */
    if (dk_nx_irq_index(nx, irq) >= 0)
        return DK_OK;
    if (nx->nirqs >= DK_NEXUS_IRQS_MAX)
        return DK_E_NO_SPACE;
    ep = dk_nexus_ecall1(DK_NX_SYS_IPC_ENDPOINT_CREATE, DK_NEXUS_IRQ_EP_DEPTH);
    if (ep < 0)
        return dk_nx_rc(ep);
    r = dk_nexus_ecall2(DK_NX_SYS_IRQ_BIND, irq, (unsigned long)ep);
    if (r >= 0)
        r = dk_nexus_ecall2(DK_NX_SYS_WAITSET_ADD, nx->waitset, (unsigned long)ep);
    if (r < 0) {
        /* No irq_unbind exists: a line bound before waitset_add failed
         * stays bound to the closed endpoint and is never reported. */
        (void)dk_nexus_ecall1(DK_NX_SYS_CAP_CLOSE, (unsigned long)ep);
        return dk_nx_rc(r);
    }
    /* The waitset reports members in the order added: member i is here. */
    nx->irq_ep[nx->nirqs] = (uint64_t)ep;
    nx->irq_num[nx->nirqs] = irq;
    nx->nirqs++;
    return DK_OK;
}

static int dk_nx_op_irq_ack(void *ctx, uint32_t irq)
{
    struct dk_nexus *nx = dk_nx_of(ctx);
    int i = dk_nx_irq_index(nx, irq);
    long r;

    if (i < 0)
        return DK_E_NOT_FOUND;
    r = dk_nexus_ecall1(DK_NX_SYS_IRQ_COMPLETE, irq);
    if (r < 0)
        return dk_nx_rc(r);
    nx->reported &= ~(1u << i);
    return DK_OK;
}

static int dk_nx_op_kfence_create(void *ctx, uint64_t *kfence)
{
    long r;

    (void)ctx;
    if (kfence == NULL)
        return DK_E_INVAL;
    r = dk_nexus_ecall0(DK_NX_SYS_FENCE_CREATE);
    if (r < 0)
        return dk_nx_rc(r);
    *kfence = (uint64_t)r;
    return DK_OK;
}

static int dk_nx_op_kfence_signal(void *ctx, uint64_t kfence, uint64_t value)
{
    (void)ctx;
    return dk_nx_rc(dk_nexus_ecall2(DK_NX_SYS_FENCE_SIGNAL, kfence, value));
}

static int dk_nx_op_kfence_wait(void *ctx, uint64_t kfence, uint64_t target, uint64_t deadline_ns)
{
    (void)ctx;
    /* The kernel reads deadline 0 as "forever": never pass it on. */
    if (deadline_ns == 0)
        return DK_E_INVAL;
    return dk_nx_rc(dk_nexus_ecall3(DK_NX_SYS_FENCE_WAIT, kfence, target, deadline_ns));
}

static int dk_nx_op_kfence_destroy(void *ctx, uint64_t kfence)
{
    (void)ctx;
    return dk_nx_rc(dk_nexus_ecall1(DK_NX_SYS_CAP_CLOSE, kfence));
}

static const struct dk_backend_ops dk_nx_ops = {
    .abi_version = DK_BACKEND_ABI_VERSION,
    .size = sizeof(struct dk_backend_ops),
    .name = "nexus",
    .now_ns = dk_nx_op_now,
    .wait = dk_nx_op_wait,
    .vmo_create = dk_nx_op_vmo_create,
    .vmo_destroy = dk_nx_op_vmo_destroy,
    .vmo_map = dk_nx_op_vmo_map,
    .vmo_unmap = dk_nx_op_vmo_unmap,
    .vmo_query = dk_nx_op_vmo_query,
    .mmio_map = dk_nx_op_mmio_map,
    .mmio_query = dk_nx_op_mmio_query,
    .mmio_read = dk_nx_op_mmio_read,
    .mmio_write = dk_nx_op_mmio_write,
    .barrier = dk_nx_op_barrier,
    .irq_bind = dk_nx_op_irq_bind,
    .irq_ack = dk_nx_op_irq_ack,
    .kfence_create = dk_nx_op_kfence_create,
    .kfence_signal = dk_nx_op_kfence_signal,
    .kfence_wait = dk_nx_op_kfence_wait,
    .kfence_destroy = dk_nx_op_kfence_destroy,
};

/* The core is freestanding and so is this file: no memset. */
static void dk_nx_zero(struct dk_nexus *nx)
{
    volatile unsigned char *p = (volatile unsigned char *)nx;
    size_t n = sizeof(*nx);

    while (n--)
        *p++ = 0;
}

static void dk_nx_close(uint64_t cap)
{
    (void)dk_nexus_ecall1(DK_NX_SYS_CAP_CLOSE, cap);
}

int dk_nexus_init(struct dk_nexus *nx, enum dk_reason *why)
{
    long r;
    int rc;

    if (nx == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    dk_nx_zero(nx);
    r = dk_nexus_ecall0(DK_NX_SYS_WAITSET_CREATE);
    if (r < 0)
        return dk_reject(why, DK_R_OS_ERROR, dk_nx_rc(r));
    nx->waitset = (uint64_t)r;
    r = dk_nexus_ecall0(DK_NX_SYS_FENCE_CREATE);
    if (r < 0) {
        dk_nx_close(nx->waitset);
        dk_nx_zero(nx);
        return dk_reject(why, DK_R_OS_ERROR, dk_nx_rc(r));
    }
    nx->sleeper = (uint64_t)r;
    rc = dk_backend_init(&nx->base, &dk_nx_ops, nx, why);
    if (rc != DK_OK) {
        dk_nx_close(nx->sleeper);
        dk_nx_close(nx->waitset);
        dk_nx_zero(nx);
        return rc;
    }
    nx->magic = DK_NEXUS_MAGIC;
    return DK_OK;
}

int dk_nexus_fini(struct dk_nexus *nx)
{
    uint32_t i;

    if (nx == NULL || nx->magic != DK_NEXUS_MAGIC)
        return DK_OK;
    dk_nx_close(nx->waitset);
    for (i = 0; i < nx->nirqs; i++)
        dk_nx_close(nx->irq_ep[i]);
    dk_nx_close(nx->sleeper);
    dk_nx_zero(nx);
    return DK_OK;
}

const struct dk_backend *dk_nexus_backend(const struct dk_nexus *nx)
{
    return nx != NULL && nx->magic == DK_NEXUS_MAGIC ? &nx->base : NULL;
}

struct dk_nexus *dk_nexus_from_backend(const struct dk_backend *be)
{
    if (be == NULL || be->ops != &dk_nx_ops)
        return NULL;
    return DK_CONTAINER_OF(be, struct dk_nexus, base);
}

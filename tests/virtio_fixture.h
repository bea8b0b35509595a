/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared fixture of the test_virtio_*.c suites: the virtio DRIVER
 * (include/driverkit/virtio.h) against simulated devices
 * (include/driverkit/host_sim.h) on the deterministic host backend.
 *
 *  - VT_BOTH(suite, name) defines one test per register layout
 *    (name_legacy: version 1, name_modern: version 2); the body sees `ver`.
 *  - A data VMO whose bytes are all "canary" except what a test writes:
 *    vt_buf() carves guarded buffers; vt_posted() marks a buffer the device
 *    may write; vt_accept() takes what the device wrote as expected;
 *    vt_check() asserts that no other byte of the VMO changed.
 *  - A spy backend: a copy of the host vtable whose mmio_map/read/write and
 *    barrier slots log every call (register offsets relative to the mapped
 *    window) and can rewrite register values, to play a hostile device the
 *    simulation cannot (a never-settling config, a refused FEATURES_OK).
 *  - vt_fake: a bare register window of the test's own (empty slot, bad
 *    magic, bad version).
 */
#ifndef DK_TEST_VIRTIO_FIXTURE_H
#define DK_TEST_VIRTIO_FIXTURE_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/host_sim.h>
#include <driverkit/virtio.h>

#define VT_T0 1000u
#define VT_ARENA (2u << 20)
#define VT_CAP 0x7e01u
#define VT_PHYS 0x0a000000u
#define VT_IRQ 7u
#define VT_LAT 2000u
#define VT_SECTORS 128u
#define VT_QSIZE 16u
#define VT_MEM (128u * 1024u)
#define VT_GUARD 48u
#define VT_STORAGE (DK_VIRTQ_SIZE_MAX * (sizeof(struct dk_virtq_head) + sizeof(uint16_t)))

static struct dk_host vt_host;
static _Alignas(4096) uint8_t vt_arena[VT_ARENA];
static struct dk_sim_dev vt_sim;
static uint8_t vt_disk[VT_SECTORS * 512u];
static const struct dk_backend *vt_be;
static _Alignas(8) uint8_t vt_storage[VT_STORAGE];

/* One layout-parameterised test body, two Criterion tests. */
#define VT_BOTH(suite, name)                                                                       \
    static void suite##_##name##_body(uint32_t ver);                                               \
    Test(suite, name##_legacy)                                                                     \
    {                                                                                              \
        suite##_##name##_body(1);                                                                  \
    }                                                                                              \
    Test(suite, name##_modern)                                                                     \
    {                                                                                              \
        suite##_##name##_body(2);                                                                  \
    }                                                                                              \
    static void suite##_##name##_body(uint32_t ver)

static inline void vt_mem_init(void);

/* A host with the guarded data VMO; no device yet. */
static inline void vt_setup(void)
{
    cr_assert_eq(dk_host_init(&vt_host, vt_arena, sizeof vt_arena, VT_T0), DK_OK);
    vt_be = dk_host_backend(&vt_host);
    cr_assert_not_null(vt_be);
    memset(&vt_sim, 0, sizeof vt_sim);
    memset(vt_storage, 0, sizeof vt_storage);
    vt_mem_init();
}

static inline void vt_teardown(void)
{
    dk_sim_fini(&vt_sim);
    dk_host_fini(&vt_host);
}

/* ---- simulated devices ---- */

static inline struct dk_sim_cfg vt_cfg(unsigned kind, uint32_t ver)
{
    struct dk_sim_cfg c;

    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.version = ver;
    c.cap = VT_CAP;
    c.phys = VT_PHYS;
    c.irq = VT_IRQ;
    c.seed = 0x5eed;
    c.latency_ns = VT_LAT;
    if (kind == DK_SIM_BLK) {
        c.disk = vt_disk;
        c.disk_bytes = sizeof vt_disk;
    }
    return c;
}

/* Register the device and grant its capability to the driver. */
static inline void vt_sim_start(const struct dk_sim_cfg *c)
{
    cr_assert_eq(dk_sim_init(&vt_sim, &vt_host, c), DK_OK);
    cr_assert_eq(dk_host_grant(&vt_host, c->cap), DK_OK);
}

static inline struct dk_sim_stats vt_sim_stats(void)
{
    struct dk_sim_stats s;

    cr_assert_eq(dk_sim_stats(&vt_sim, &s), DK_OK);
    return s;
}

/* The driver broke no register rule the device checks, and the host saw
 * no access outside a mapped window. */
static inline void vt_protocol_clean(void)
{
    struct dk_host_stats hs;

    cr_assert_eq(vt_sim_stats().protocol_violations, 0, "driver broke a register rule");
    cr_assert_eq(vt_sim_stats().driver_faults, 0, "device saw a malformed ring (%u)",
                 vt_sim.last_driver_fault);
    cr_assert_eq(dk_host_stats(&vt_host, &hs), DK_OK);
    cr_assert_eq(hs.mmio_faults, 0);
}

static inline uint32_t vt_expected_status(uint32_t ver)
{
    return DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER | DK_VIRTIO_S_DRIVER_OK |
           (ver == 2 ? DK_VIRTIO_S_FEATURES_OK : 0u);
}

/* ---- time and interrupts ---- */

static inline void vt_advance(uint64_t ns)
{
    cr_assert_eq(dk_host_advance(&vt_host, ns), DK_OK);
}

/* Wait on the backend (the clock jumps to the next event) until the
 * device's line is reported, then read and acknowledge InterruptStatus the
 * way a driver must. A report whose InterruptStatus is 0 (raised before a
 * reset cleared it) is spurious: handled, and waited past. Returns the
 * InterruptStatus bits handled. */
static inline uint32_t vt_wait_irq(struct dk_virtio_dev *d)
{
    const struct dk_backend_ops *ops = vt_be->ops;
    uint32_t ev, bits = 0;
    unsigned spins;

    cr_assert_eq(ops->irq_bind(vt_be->ctx, VT_IRQ), DK_OK);
    for (spins = 0; spins < 64 && bits == 0; spins++) {
        ev = 0;
        cr_assert_eq(ops->wait(vt_be->ctx, dk_host_now(&vt_host) + 1000000u, &ev), DK_OK,
                     "no interrupt came");
        if (!(ev & DK_EVENT_IRQ))
            continue;
        cr_assert_eq(dk_virtio_irq(d, &bits), DK_OK);
        cr_assert_eq(ops->irq_ack(vt_be->ctx, VT_IRQ), DK_OK);
    }
    cr_assert_neq(bits, 0, "only spurious interrupts");
    return bits;
}

/* Harvest until @p want completions arrived (or the queue answers
 * something other than DK_OK). Returns how many were taken. */
static inline unsigned vt_harvest(struct dk_virtq *q, struct dk_vdone *out, unsigned want, int *rc,
                                  enum dk_reason *why)
{
    unsigned got = 0, n;

    *rc = DK_OK;
    while (got < want) {
        *rc = dk_virtq_harvest(q, out + got, want - got, &n, why);
        got += n;
        if (*rc != DK_OK || n == 0)
            break;
    }
    return got;
}

/* ---- guarded data memory ---- */

struct vt_buf {
    uint8_t *p;
    uint64_t dma;
    uint32_t off, len;
};

static uint64_t vt_mem_vmo;
static uint8_t *vt_mem;
static uint64_t vt_mem_dma;
static uint32_t vt_mem_next;
static uint8_t vt_shadow[VT_MEM];
static uint8_t vt_mask[VT_MEM]; /* 1: posted device-writable, not checked */

static inline uint8_t vt_canary(uint32_t off)
{
    return (uint8_t)(0xc5u ^ (off * 29u));
}

static inline void vt_mem_init(void)
{
    struct dk_vmo_info info;
    void *va;
    uint32_t i;

    cr_assert_eq(vt_be->ops->vmo_create(vt_be->ctx, VT_MEM, &vt_mem_vmo), DK_OK);
    cr_assert_eq(vt_be->ops->vmo_query(vt_be->ctx, vt_mem_vmo, &info), DK_OK);
    cr_assert_eq(
        vt_be->ops->vmo_map(vt_be->ctx, vt_mem_vmo, 0, VT_MEM, DK_MAP_READ | DK_MAP_WRITE, &va),
        DK_OK);
    vt_mem = va;
    vt_mem_dma = info.dma_addr;
    for (i = 0; i < VT_MEM; i++)
        vt_mem[i] = vt_shadow[i] = vt_canary(i);
    memset(vt_mask, 0, sizeof vt_mask);
    vt_mem_next = VT_GUARD;
}

/* A buffer with VT_GUARD canary bytes on both sides. */
static inline struct vt_buf vt_buf(uint32_t len)
{
    struct vt_buf b;

    cr_assert_leq(vt_mem_next + len + VT_GUARD, VT_MEM, "fixture memory exhausted");
    b.off = vt_mem_next;
    b.len = len;
    b.p = vt_mem + b.off;
    b.dma = vt_mem_dma + b.off;
    vt_mem_next += len + VT_GUARD;
    return b;
}

static inline struct dk_vseg vt_seg(const struct vt_buf *b)
{
    struct dk_vseg s = {b->dma, b->len, 0};
    return s;
}

/* The test writes a pattern into @p b (device-readable data). */
static inline void vt_fill(const struct vt_buf *b, uint32_t seed)
{
    uint32_t i;

    for (i = 0; i < b->len; i++)
        b->p[i] = vt_shadow[b->off + i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8));
}

static inline void vt_posted(const struct vt_buf *b)
{
    memset(vt_mask + b->off, 1, b->len);
}

/* Bytes [from, from+n) of @p b are now what the device legitimately wrote. */
static inline void vt_accept(const struct vt_buf *b, uint32_t from, uint32_t n)
{
    memcpy(vt_shadow + b->off + from, b->p + from, n);
}

static inline void vt_unpost(const struct vt_buf *b)
{
    memset(vt_mask + b->off, 0, b->len);
}

/* Nothing outside posted writable buffers changed. */
static inline void vt_check(void)
{
    uint32_t i;

    for (i = 0; i < VT_MEM; i++)
        if (!vt_mask[i] && vt_mem[i] != vt_shadow[i])
            cr_assert_fail("byte %u of the data VMO changed: %#x, expected %#x", i, vt_mem[i],
                           vt_shadow[i]);
}

/* ---- the spy backend ---- */

struct vt_ev {
    char kind; /* 'r' read, 'w' write, 'b' barrier */
    uint8_t width;
    uint16_t pad;
    uint32_t off; /* register offset in the window; barrier: its kind */
    uint32_t val;
};

#define VT_EV_MAX 8192u

static struct {
    struct dk_backend be;
    struct dk_backend_ops ops;
    const struct dk_backend_ops *real;
    uintptr_t base;
    uint64_t barriers[5];
    struct vt_ev ev[VT_EV_MAX];
    unsigned nev;
    uint32_t (*on_read)(uint32_t off, unsigned width, uint32_t v);
    uint32_t (*on_write)(uint32_t off, unsigned width, uint32_t v);
    void (*on_barrier)(enum dk_barrier kind);
} vt_spy;

static inline void vt_spy_log(char kind, uint32_t off, unsigned width, uint32_t val)
{
    if (vt_spy.nev < VT_EV_MAX)
        vt_spy.ev[vt_spy.nev++] = (struct vt_ev){kind, (uint8_t)width, 0, off, val};
}

static inline int vt_spy_map(void *ctx, uint64_t cap, uint64_t off, uint64_t len, uintptr_t *addr)
{
    int rc = vt_spy.real->mmio_map(ctx, cap, off, len, addr);

    if (rc == DK_OK)
        vt_spy.base = *addr - (uintptr_t)off;
    return rc;
}

static inline uint32_t vt_spy_read(void *ctx, uintptr_t addr, unsigned width)
{
    uint32_t off = (uint32_t)(addr - vt_spy.base);
    uint32_t v = vt_spy.real->mmio_read(ctx, addr, width);

    if (vt_spy.on_read != NULL)
        v = vt_spy.on_read(off, width, v);
    vt_spy_log('r', off, width, v);
    return v;
}

static inline void vt_spy_write(void *ctx, uintptr_t addr, unsigned width, uint32_t v)
{
    uint32_t off = (uint32_t)(addr - vt_spy.base);

    vt_spy_log('w', off, width, v);
    if (vt_spy.on_write != NULL)
        v = vt_spy.on_write(off, width, v);
    vt_spy.real->mmio_write(ctx, addr, width, v);
}

static inline void vt_spy_barrier(void *ctx, enum dk_barrier kind)
{
    cr_assert_lt((unsigned)kind, 5u);
    vt_spy.barriers[kind]++;
    vt_spy_log('b', (uint32_t)kind, 0, 0);
    if (vt_spy.on_barrier != NULL)
        vt_spy.on_barrier(kind);
    vt_spy.real->barrier(ctx, kind);
}

/* A backend the driver can use instead of vt_be: same host, same devices. */
static inline const struct dk_backend *vt_spy_install(void)
{
    vt_spy.real = vt_be->ops;
    vt_spy.ops = *vt_be->ops;
    vt_spy.ops.mmio_map = vt_spy_map;
    vt_spy.ops.mmio_read = vt_spy_read;
    vt_spy.ops.mmio_write = vt_spy_write;
    vt_spy.ops.barrier = vt_spy_barrier;
    cr_assert_eq(dk_backend_init(&vt_spy.be, &vt_spy.ops, vt_be->ctx, NULL), DK_OK);
    return &vt_spy.be;
}

static inline void vt_spy_clear(void)
{
    memset(vt_spy.barriers, 0, sizeof vt_spy.barriers);
    vt_spy.nev = 0;
}

/* A read-only blk device, which the simulation cannot be: the spy adds RO
 * to the features the driver reads (selector 0) and strips it from what
 * the device is told. vt_spy_read_only() sets both hooks; install the spy
 * after it. */
static uint32_t vt_ro_sel;

static inline uint32_t vt_ro_offer(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    if (off == DK_VMMIO_DEVICE_FEATURES && vt_ro_sel == 0)
        v |= 1u << DK_VBLK_F_RO;
    return v;
}

static inline uint32_t vt_ro_hide(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    if (off == DK_VMMIO_DEVICE_FEATURES_SEL)
        vt_ro_sel = v;
    if (off == DK_VMMIO_DRIVER_FEATURES)
        v &= ~(1u << DK_VBLK_F_RO);
    return v;
}

static inline void vt_spy_read_only(void)
{
    vt_spy.on_read = vt_ro_offer;
    vt_spy.on_write = vt_ro_hide;
}

static inline unsigned vt_spy_count(char kind, uint32_t off)
{
    unsigned i, n = 0;

    for (i = 0; i < vt_spy.nev; i++)
        n += vt_spy.ev[i].kind == kind && vt_spy.ev[i].off == off;
    return n;
}

/* ---- a bare register window of the test's own ---- */

static struct {
    uint32_t magic, version, device_id;
    unsigned reads, writes;
    uint32_t last_off;
} vt_fake;

static inline uint32_t vt_fake_read(void *dev, uint64_t off, unsigned width)
{
    (void)dev;
    (void)width;
    vt_fake.reads++;
    vt_fake.last_off = (uint32_t)off;
    switch (off) {
    case DK_VMMIO_MAGIC:
        return vt_fake.magic;
    case DK_VMMIO_VERSION:
        return vt_fake.version;
    case DK_VMMIO_DEVICE_ID:
        return vt_fake.device_id;
    default:
        return 0;
    }
}

static inline void vt_fake_write(void *dev, uint64_t off, unsigned width, uint32_t v)
{
    (void)dev;
    (void)off;
    (void)width;
    (void)v;
    vt_fake.writes++;
}

static const struct dk_host_mmio_ops vt_fake_ops = {.read = vt_fake_read, .write = vt_fake_write};

#define VT_FAKE_CAP 0x7e02u

static inline void vt_fake_start(uint32_t magic, uint32_t version, uint32_t device_id)
{
    memset(&vt_fake, 0, sizeof vt_fake);
    vt_fake.magic = magic;
    vt_fake.version = version;
    vt_fake.device_id = device_id;
    cr_assert_eq(dk_host_window_add(&vt_host, VT_FAKE_CAP, VT_PHYS + 0x1000u, DK_VMMIO_WINDOW,
                                    VT_IRQ + 1u, &vt_fake_ops, NULL),
                 DK_OK);
    cr_assert_eq(dk_host_grant(&vt_host, VT_FAKE_CAP), DK_OK);
}

#endif /* DK_TEST_VIRTIO_FIXTURE_H */

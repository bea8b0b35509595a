/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared fixture of test_sim.c and test_sim_fault.c: a host backend with one
 * simulated virtio-mmio device, and the smallest raw driver that can talk to
 * it through the backend ops only (mmio_read/mmio_write on a granted window,
 * rings and buffers in VMOs from vmo_create/vmo_map/vmo_query). It knows the
 * virtio spec, not the simulation's internals.
 *
 * Ring layout: the legacy one (descriptors, available ring, used ring at
 * the next 4096 boundary) in a page-aligned stretch of one VMO; a modern
 * device is given the same three addresses.
 */
#ifndef DK_TEST_SIM_FIXTURE_H
#define DK_TEST_SIM_FIXTURE_H

#include <criterion/criterion.h>

#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/host_sim.h>
#include <driverkit/virtio.h>

#define SF_T0 1000u
#define SF_PAGE 4096u
#define SF_ARENA (1u << 20)
#define SF_CAP 0x5151u
#define SF_PHYS 0x0a000000u
#define SF_IRQ 5u
#define SF_NUM 16u
#define SF_SECTORS 64u
#define SF_LAT 1000u
#define SF_BUF_LEN (64u * 1024u)
#define SF_RING_LEN (4u * SF_PAGE)

static struct dk_host SH;
static _Alignas(4096) uint8_t sf_arena[SF_ARENA];
static struct dk_sim_dev SD;
static uint8_t sf_disk[SF_SECTORS * 512u];
static const struct dk_backend_ops *sf_ops;
static void *sf_ctx;
static uintptr_t sf_mmio;

/* Driver view of the ring. */
static uint8_t *sf_desc_va, *sf_avail_va, *sf_used_va;
static uint64_t sf_ring_dma; /* page aligned */
static uint16_t sf_avail_idx;

/* One VMO for headers, data and status bytes. */
static uint8_t *sf_buf;
static uint64_t sf_buf_dma;

struct sf_seg {
    uint64_t dma;
    uint32_t len;
    int write;
};

static inline void sf_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void sf_st32(uint8_t *p, uint32_t v)
{
    sf_st16(p, (uint16_t)v);
    sf_st16(p + 2, (uint16_t)(v >> 16));
}

static inline void sf_st64(uint8_t *p, uint64_t v)
{
    sf_st32(p, (uint32_t)v);
    sf_st32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t sf_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t sf_ld32(const uint8_t *p)
{
    return (uint32_t)sf_ld16(p) | (uint32_t)sf_ld16(p + 2) << 16;
}

static inline uint32_t sf_rd(uint64_t off)
{
    return sf_ops->mmio_read(sf_ctx, sf_mmio + (uintptr_t)off, 4);
}

static inline uint32_t sf_rdw(uint64_t off, unsigned width)
{
    return sf_ops->mmio_read(sf_ctx, sf_mmio + (uintptr_t)off, width);
}

static inline void sf_wr(uint64_t off, uint32_t v)
{
    sf_ops->mmio_write(sf_ctx, sf_mmio + (uintptr_t)off, 4, v);
}

static inline struct dk_sim_cfg sf_cfg(unsigned kind, uint32_t version)
{
    struct dk_sim_cfg c;

    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.version = version;
    c.cap = SF_CAP;
    c.phys = SF_PHYS;
    c.irq = SF_IRQ;
    c.queue_num_max = SF_NUM;
    c.seed = 42;
    c.latency_ns = SF_LAT;
    if (kind == DK_SIM_BLK) {
        c.disk = sf_disk;
        c.disk_bytes = sizeof sf_disk;
    }
    return c;
}

/* A mapped VMO of @len bytes besides the fixture's own; returns its id. */
static inline uint64_t sf_vmo(uint64_t len, uint8_t **va, uint64_t *dma)
{
    uint64_t vmo;
    struct dk_vmo_info info;
    void *p;

    cr_assert_eq(sf_ops->vmo_create(sf_ctx, len, &vmo), DK_OK);
    cr_assert_eq(sf_ops->vmo_map(sf_ctx, vmo, 0, len, DK_MAP_READ | DK_MAP_WRITE, &p), DK_OK);
    cr_assert_eq(sf_ops->vmo_query(sf_ctx, vmo, &info), DK_OK);
    *va = (uint8_t *)p;
    *dma = info.dma_addr;
    return vmo;
}

/* A fresh host and device; the driver is granted and maps the window. */
static inline void sf_up(const struct dk_sim_cfg *cfg)
{
    const struct dk_backend *be;
    uint8_t *ring;
    uint64_t ring_dma, skip;

    memset(sf_disk, 0, sizeof sf_disk);
    cr_assert_eq(dk_host_init(&SH, sf_arena, sizeof sf_arena, SF_T0), DK_OK);
    cr_assert_eq(dk_sim_init(&SD, &SH, cfg), DK_OK);
    be = dk_host_backend(&SH);
    sf_ops = be->ops;
    sf_ctx = be->ctx;
    cr_assert_eq(sf_ops->mmio_map(sf_ctx, SF_CAP, 0, DK_VMMIO_WINDOW, &sf_mmio), DK_E_PERM,
                 "an ungranted window must not map");
    cr_assert_eq(dk_host_grant(&SH, SF_CAP), DK_OK);
    cr_assert_eq(sf_ops->mmio_map(sf_ctx, SF_CAP, 0, DK_VMMIO_WINDOW, &sf_mmio), DK_OK);
    cr_assert_eq(sf_ops->irq_bind(sf_ctx, SF_IRQ), DK_OK);
    sf_vmo(SF_RING_LEN + SF_PAGE, &ring, &ring_dma);
    skip = (SF_PAGE - ring_dma % SF_PAGE) % SF_PAGE;
    sf_ring_dma = ring_dma + skip;
    sf_desc_va = ring + skip;
    sf_avail_va = sf_desc_va + 16u * SF_NUM;
    sf_used_va = sf_desc_va + ((16u * SF_NUM + 6u + 2u * SF_NUM + SF_PAGE - 1u) & ~(SF_PAGE - 1u));
    sf_avail_idx = 0;
    sf_vmo(SF_BUF_LEN, &sf_buf, &sf_buf_dma);
}

static inline void sf_down(void)
{
    cr_assert_eq(dk_sim_fini(&SD), DK_OK);
    cr_assert_eq(dk_sim_fini(&SD), DK_OK, "fini is safe twice");
    cr_assert_eq(dk_host_fini(&SH), DK_OK);
}

static inline uint64_t sf_used_dma(void)
{
    return sf_ring_dma + (uint64_t)(sf_used_va - sf_desc_va);
}

/* virtio 3.1.1 up to FEATURES_OK; returns Status read back. */
static inline uint32_t sf_negotiate(uint64_t accept)
{
    sf_wr(DK_VMMIO_STATUS, 0);
    cr_assert_eq(sf_rd(DK_VMMIO_STATUS), 0u);
    sf_wr(DK_VMMIO_STATUS, DK_VIRTIO_S_ACKNOWLEDGE);
    sf_wr(DK_VMMIO_STATUS, DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER);
    sf_wr(DK_VMMIO_DRIVER_FEATURES_SEL, 0);
    sf_wr(DK_VMMIO_DRIVER_FEATURES, (uint32_t)accept);
    sf_wr(DK_VMMIO_DRIVER_FEATURES_SEL, 1);
    sf_wr(DK_VMMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    if (SD.version == 2)
        sf_wr(DK_VMMIO_STATUS,
              DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER | DK_VIRTIO_S_FEATURES_OK);
    return sf_rd(DK_VMMIO_STATUS);
}

static inline uint64_t sf_offered(void)
{
    uint64_t f;

    sf_wr(DK_VMMIO_DEVICE_FEATURES_SEL, 0);
    f = sf_rd(DK_VMMIO_DEVICE_FEATURES);
    sf_wr(DK_VMMIO_DEVICE_FEATURES_SEL, 1);
    return f | (uint64_t)sf_rd(DK_VMMIO_DEVICE_FEATURES) << 32;
}

static inline void sf_queue_setup(void)
{
    memset(sf_desc_va, 0, SF_RING_LEN);
    sf_avail_idx = 0;
    sf_wr(DK_VMMIO_QUEUE_SEL, 0);
    cr_assert_geq(sf_rd(DK_VMMIO_QUEUE_NUM_MAX), SF_NUM);
    if (SD.version == 2) {
        uint64_t used = sf_used_dma(), avail = sf_ring_dma + 16u * SF_NUM;

        cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_READY), 0u);
        sf_wr(DK_VMMIO_QUEUE_NUM, SF_NUM);
        sf_wr(DK_VMMIO_QUEUE_DESC_LOW, (uint32_t)sf_ring_dma);
        sf_wr(DK_VMMIO_QUEUE_DESC_HIGH, (uint32_t)(sf_ring_dma >> 32));
        sf_wr(DK_VMMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
        sf_wr(DK_VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
        sf_wr(DK_VMMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
        sf_wr(DK_VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
        sf_wr(DK_VMMIO_QUEUE_READY, 1);
        cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_READY), 1u);
    } else {
        sf_wr(DK_VMMIO_GUEST_PAGE_SIZE, SF_PAGE);
        cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_PFN), 0u);
        sf_wr(DK_VMMIO_QUEUE_NUM, SF_NUM);
        sf_wr(DK_VMMIO_QUEUE_ALIGN, SF_PAGE);
        sf_wr(DK_VMMIO_QUEUE_PFN, (uint32_t)(sf_ring_dma / SF_PAGE));
        cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_PFN), (uint32_t)(sf_ring_dma / SF_PAGE));
    }
}

static inline void sf_driver_ok(void)
{
    uint32_t s = sf_rd(DK_VMMIO_STATUS);

    sf_wr(DK_VMMIO_STATUS, s | DK_VIRTIO_S_DRIVER_OK);
    cr_assert(sf_rd(DK_VMMIO_STATUS) & DK_VIRTIO_S_DRIVER_OK);
}

/* The whole init sequence, accepting @extra plus VERSION_1 on modern. */
static inline void sf_start(uint64_t extra)
{
    uint64_t accept = extra | (SD.version == 2 ? 1ull << DK_VIRTIO_F_VERSION_1 : 0u);
    uint32_t s = sf_negotiate(accept);

    if (SD.version == 2)
        cr_assert(s & DK_VIRTIO_S_FEATURES_OK, "FEATURES_OK refused: status %#x", s);
    sf_queue_setup();
    sf_driver_ok();
}

static inline void sf_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = sf_desc_va + 16u * i;

    sf_st64(p, addr);
    sf_st32(p + 8, len);
    sf_st16(p + 12, flags);
    sf_st16(p + 14, next);
}

/* Descriptors first..first+n-1 as one chain. */
static inline uint16_t sf_chain(uint16_t first, const struct sf_seg *s, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++)
        sf_desc((uint16_t)(first + i), s[i].dma, s[i].len,
                (uint16_t)((s[i].write ? DK_VRING_DESC_F_WRITE : 0u) |
                           (i + 1u < n ? DK_VRING_DESC_F_NEXT : 0u)),
                (uint16_t)(first + i + 1u));
    return first;
}

static inline void sf_push(uint16_t head)
{
    sf_st16(sf_avail_va + 4 + 2u * (sf_avail_idx % SF_NUM), head);
    sf_ops->barrier(sf_ctx, DK_BARRIER_WRITE);
    sf_st16(sf_avail_va + 2, ++sf_avail_idx);
}

static inline void sf_kick(void)
{
    sf_ops->barrier(sf_ctx, DK_BARRIER_WRITE_MMIO);
    sf_wr(DK_VMMIO_QUEUE_NOTIFY, 0);
}

static inline uint16_t sf_used_idx(void)
{
    return sf_ld16(sf_used_va + 2);
}

static inline uint32_t sf_used_id(uint16_t k)
{
    return sf_ld32(sf_used_va + 4 + 8u * (k % SF_NUM));
}

static inline uint32_t sf_used_len(uint16_t k)
{
    return sf_ld32(sf_used_va + 8 + 8u * (k % SF_NUM));
}

static inline void sf_advance(uint64_t ns)
{
    cr_assert_eq(dk_host_advance(&SH, ns), DK_OK);
}

static inline uint8_t *sf_va(uint64_t off)
{
    return sf_buf + off;
}

static inline uint64_t sf_dma(uint64_t off)
{
    return sf_buf_dma + off;
}

/*
 * A blk request in descriptors 3k..3k+2: header at buffer 64k, status at
 * 64k + 32 (preset to 0xff), data at 4096 (k + 1). With @bytes 0 the chain
 * is header + status only.
 */
static inline uint16_t sf_blk(unsigned k, uint32_t type, uint64_t sector, uint32_t bytes)
{
    struct sf_seg s[3];
    unsigned n = 0;
    uint8_t *hdr = sf_va(64u * k);

    sf_st32(hdr, type);
    sf_st32(hdr + 4, 0);
    sf_st64(hdr + 8, sector);
    hdr[32] = 0xff;
    s[n++] = (struct sf_seg){sf_dma(64u * k), 16, 0};
    if (bytes != 0)
        s[n++] = (struct sf_seg){sf_dma(SF_PAGE * (k + 1u)), bytes, type != DK_SIM_BLK_T_OUT};
    s[n++] = (struct sf_seg){sf_dma(64u * k + 32u), 1, 1};
    return sf_chain((uint16_t)(3u * k), s, n);
}

static inline uint8_t sf_blk_status(unsigned k)
{
    return sf_va(64u * k)[32];
}

static inline uint8_t *sf_blk_data(unsigned k)
{
    return sf_va(SF_PAGE * (k + 1u));
}

/* One blk IN of 512 bytes as chain k, its data preset to 0x5a. */
static inline uint16_t sf_post_in(unsigned k)
{
    uint16_t head = sf_blk(k, DK_SIM_BLK_T_IN, k, 512);

    memset(sf_blk_data(k), 0x5a, 512);
    sf_push(head);
    return head;
}

static inline struct dk_sim_stats sf_stats(void)
{
    struct dk_sim_stats s;

    cr_assert_eq(dk_sim_stats(&SD, &s), DK_OK);
    return s;
}

#endif /* DK_TEST_SIM_FIXTURE_H */

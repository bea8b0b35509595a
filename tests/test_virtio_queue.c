/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The split virtqueue through the raw transport API (dk_virtio_open /
 * negotiate / dk_virtq_setup / driver_ok / add / kick / harvest), in both
 * layouts, against the simulated rng and blk devices: queue setup checks,
 * backpressure (a full ring refuses with nothing changed, completions make
 * room, posting resumes), descriptor layout with and without indirect
 * tables, and EVENT_IDX notification suppression in both directions.
 */
#include "virtio_fixture.h"

TestSuite(virtio_queue, .init = vt_setup, .fini = vt_teardown);
TestSuite(virtio_backpressure, .init = vt_setup, .fini = vt_teardown);

#define F_IND (1ull << DK_VIRTIO_F_INDIRECT_DESC)
#define F_EVT (1ull << DK_VIRTIO_F_EVENT_IDX)

static struct dk_virtio_dev dev;
static struct dk_virtq q;
static struct dk_vblk blk;

struct vdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* An rng device brought up by hand, queue of @p size, completions spread
 * over [latency, latency + @p jitter] (so they may overtake each other). */
static void raw_up_jitter(uint32_t ver, uint64_t extra, uint16_t size, uint64_t jitter)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    enum dk_reason why;
    uint64_t got = 0;

    c.extra_features = extra;
    c.jitter_ns = jitter;
    vt_sim_start(&c);
    cr_assert_eq(dk_virtio_open(&dev, vt_be, VT_CAP, &why), DK_OK);
    cr_assert_eq(dk_virtio_negotiate(&dev, extra, &got, &why), DK_OK);
    cr_assert_eq(got, extra | (ver == 2 ? 1ull << DK_VIRTIO_F_VERSION_1 : 0));
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, size, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(dk_virtio_driver_ok(&dev), DK_OK);
    cr_assert_eq(dk_virtio_status(&dev), vt_expected_status(ver));
}

/* An rng device brought up by hand, queue of @p size. */
static void raw_up(uint32_t ver, uint64_t extra, uint16_t size)
{
    raw_up_jitter(ver, extra, size, 0);
}

VT_BOTH(virtio_queue, setup_checks_size_storage_and_device_limits)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    enum dk_reason why;

    c.queue_num_max = 8;
    vt_sim_start(&c);
    cr_assert_eq(dk_virtio_open(&dev, vt_be, VT_CAP, &why), DK_OK);
    cr_assert_eq(dk_virtio_negotiate(&dev, 0, NULL, &why), DK_OK);
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, 6, vt_storage, sizeof vt_storage, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NOT_POW2);
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, 0, vt_storage, sizeof vt_storage, &why), DK_E_INVAL);
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, 512, vt_storage, sizeof vt_storage, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_OVER_CAP);
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, 16, vt_storage, sizeof vt_storage, &why), DK_E_INVAL,
                 "over QueueNumMax");
    cr_assert_eq(why, DK_R_OVER_CAP);
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, 8, vt_storage, dk_virtq_storage_size(8) - 1, &why),
                 DK_E_INVAL);
    cr_assert_eq(why, DK_R_STORAGE_SMALL);
    cr_assert_eq(dk_virtq_setup(&q, &dev, 1, 8, vt_storage, sizeof vt_storage, &why), DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_NO_QUEUE);
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    /* A live queue is never reprogrammed. */
    cr_assert_eq(dk_virtq_setup(&q, &dev, 0, 8, vt_storage, sizeof vt_storage, &why), DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_NO_QUEUE);
    cr_assert_eq(dk_virtq_storage_size(3), 0);
    vt_protocol_clean();
}

VT_BOTH(virtio_queue, add_checks_shape_with_nothing_posted)
{
    struct vt_buf b = vt_buf(64);
    struct dk_vseg s[DK_VIRTQ_CHAIN_MAX + 1];
    struct dk_virtq before;
    enum dk_reason why;
    uint16_t head = 0xbeef;
    unsigned i;

    raw_up(ver, 0, 32);
    for (i = 0; i <= DK_VIRTQ_CHAIN_MAX; i++)
        s[i] = (struct dk_vseg){b.dma, 4, 0};
    before = q;
    cr_assert_eq(dk_virtq_add(&q, s, 0, 0, 1, &head, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_ZERO_LEN);
    cr_assert_eq(dk_virtq_add(&q, s, 0, DK_VIRTQ_CHAIN_MAX + 1, 1, &head, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_OVER_CAP);
    cr_assert_eq(dk_virtq_add(&q, s, 9, 8, 1, &head, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_OVER_CAP);
    cr_assert_eq(dk_virtq_add(&q, s, 1u << 31, 1u << 31, 1, &head, &why), DK_E_INVAL,
                 "segment counts that wrap");
    s[0].len = 0x80000000u;
    s[1].len = 0x80000000u;
    cr_assert_eq(dk_virtq_add(&q, s, 0, 2, 1, &head, &why), DK_E_INVAL, "a chain over 4 GiB");
    cr_assert_eq(why, DK_R_OVER_CAP);
    s[0].len = 0;
    cr_assert_eq(dk_virtq_add(&q, s, 0, 1, 1, &head, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_ZERO_LEN);
    cr_assert_eq(dk_virtq_add(&q, NULL, 0, 1, 1, &head, &why), DK_E_INVAL);
    cr_assert_eq(head, 0xbeef);
    cr_assert(memcmp(&before, &q, sizeof q) == 0);
}

/* Fill, refuse, drain some, refill: the refusal changes nothing at all. */
static void fill_refuse_refill(uint32_t ver, uint64_t extra)
{
    enum { SIZE = 4 };
    struct vt_buf b[2 * SIZE];
    struct dk_vdone d[SIZE];
    struct dk_virtq before;
    static uint8_t store_before[VT_STORAGE], ring_before[8192];
    enum dk_reason why;
    uint16_t head;
    unsigned i, n, next = 0;
    int rc;

    raw_up(ver, extra, SIZE);
    for (i = 0; i < 2 * SIZE; i++)
        b[i] = vt_buf(32);
    for (; next < SIZE; next++) {
        struct dk_vseg s = vt_seg(&b[next]);
        vt_posted(&b[next]);
        cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, next, &head, &why), DK_OK);
    }
    before = q;
    memcpy(store_before, vt_storage, sizeof vt_storage);
    memcpy(ring_before, q.ring, q.used_off);
    {
        struct dk_vseg s = vt_seg(&b[next]);
        cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, next, &head, &why), DK_E_QUEUE_FULL);
        cr_assert_eq(why, DK_R_VIRTIO_RING_FULL);
    }
    cr_assert(memcmp(&before, &q, sizeof q) == 0, "queue changed");
    cr_assert(memcmp(store_before, vt_storage, sizeof vt_storage) == 0, "records changed");
    cr_assert(memcmp(ring_before, q.ring, q.used_off) == 0, "ring changed");
    cr_assert_eq(dk_virtq_kick(&q, NULL), DK_OK);
    cr_assert(vt_wait_irq(&dev) & DK_VIRTIO_INT_VRING);
    cr_assert_eq(vt_sim_stats().requests, SIZE, "the refused request reached the device");

    /* Take two, post two more. */
    cr_assert_eq(dk_virtq_harvest(&q, d, 2, &n, &why), DK_OK);
    cr_assert_eq(n, 2);
    for (i = 0; i < 2; i++) {
        vt_accept(&b[d[i].cookie], 0, d[i].len);
        vt_unpost(&b[d[i].cookie]);
    }
    for (i = 0; i < 2; i++, next++) {
        struct dk_vseg s = vt_seg(&b[next]);
        vt_posted(&b[next]);
        cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, next, &head, &why), DK_OK);
    }
    {
        struct dk_vseg s = vt_seg(&b[next]);
        cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, next, &head, &why), DK_E_QUEUE_FULL);
    }
    cr_assert_eq(dk_virtq_kick(&q, NULL), DK_OK);
    vt_advance(VT_LAT);
    n = vt_harvest(&q, d, SIZE, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(n, SIZE);
    for (i = 0; i < n; i++) {
        cr_assert_geq(d[i].cookie, 2);
        vt_accept(&b[d[i].cookie], 0, d[i].len);
        vt_unpost(&b[d[i].cookie]);
    }
    cr_assert_eq(dk_virtq_inflight(&q), 0);
    cr_assert_eq(q.num_free, SIZE);
    vt_check();
    vt_protocol_clean();
}

VT_BOTH(virtio_backpressure, full_ring_refuses_then_drains)
{
    fill_refuse_refill(ver, 0);
    vt_teardown();
    vt_setup();
    fill_refuse_refill(ver, F_IND | F_EVT);
}

/* blk requests take three descriptors each without indirect tables, one
 * with them: the ring is full after 2 or after 8 requests of a size-8 queue. */
static unsigned blk_capacity_in_requests(uint32_t ver, uint64_t extra)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    struct vt_buf b = vt_buf(512);
    struct dk_vseg s = vt_seg(&b);
    enum dk_reason why;
    unsigned n = 0;
    int rc;

    c.extra_features = extra;
    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    vt_fill(&b, 1);
    while ((rc = dk_vblk_submit(&blk, DK_VBLK_T_OUT, n, &s, 1, n, &why)) == DK_OK)
        n++;
    cr_assert_eq(rc, DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_VIRTIO_RING_FULL);
    cr_assert_eq(dk_virtq_inflight(&blk.q), n);
    return n;
}

VT_BOTH(virtio_backpressure, blk_ring_holds_chains_or_indirect_tables)
{
    cr_assert_eq(blk_capacity_in_requests(ver, 0), 2);
    vt_teardown();
    vt_setup();
    cr_assert_eq(blk_capacity_in_requests(ver, F_IND), 8);
}

/* The descriptors a blk read leaves for the device: header readable, data
 * and status writable, chained, or one INDIRECT entry naming a table. */
static void blk_layout(uint32_t ver, uint64_t extra)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    struct vt_buf b = vt_buf(1024);
    struct dk_vseg s[2] = {{b.dma, 512, 0}, {b.dma + 512, 512, 0}};
    const struct vdesc *t;
    enum dk_reason why;
    uint16_t head, avail_idx;
    unsigned i, n = 4;

    c.extra_features = extra;
    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, s, 2, 1, &why), DK_OK);
    avail_idx = *(const uint16_t *)(blk.q.ring + blk.q.avail_off + 2);
    cr_assert_eq(avail_idx, 1);
    head = *(const uint16_t *)(blk.q.ring + blk.q.avail_off + 4);
    t = (const struct vdesc *)blk.q.ring + head;
    if (extra & F_IND) {
        cr_assert_eq(t->flags, DK_VRING_DESC_F_INDIRECT);
        cr_assert_eq(t->len, n * 16u);
        t = (const struct vdesc *)(blk.q.ring + (t->addr - blk.q.ring_dma));
        for (i = 0; i < n; i++)
            cr_assert_eq(t[i].next, i + 1 < n ? i + 1 : 0);
    } else {
        const struct vdesc *base = (const struct vdesc *)blk.q.ring;
        static struct vdesc chain[4];
        for (i = 0; i < n; i++) {
            chain[i] = *t;
            t = base + t->next;
        }
        t = chain;
    }
    cr_assert_eq(t[0].flags, DK_VRING_DESC_F_NEXT);
    cr_assert_eq(t[0].len, 16);
    cr_assert_eq(t[1].flags, DK_VRING_DESC_F_NEXT | DK_VRING_DESC_F_WRITE);
    cr_assert_eq(t[1].addr, b.dma);
    cr_assert_eq(t[2].flags, DK_VRING_DESC_F_NEXT | DK_VRING_DESC_F_WRITE);
    cr_assert_eq(t[3].flags, DK_VRING_DESC_F_WRITE);
    cr_assert_eq(t[3].len, 1);
    /* And the device agrees. */
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
    vt_advance(VT_LAT);
    cr_assert_eq(vt_sim_stats().completions, 1);
    vt_protocol_clean();
}

VT_BOTH(virtio_queue, descriptor_chains_and_indirect_tables)
{
    blk_layout(ver, 0);
    vt_teardown();
    vt_setup();
    blk_layout(ver, F_IND);
}

/* Driver side of EVENT_IDX: a device that took nothing since the last
 * notification is not notified again; without EVENT_IDX it is. */
static void notify_suppression(uint32_t ver, uint64_t extra)
{
    struct vt_buf b = vt_buf(64);
    struct dk_vseg s = vt_seg(&b);
    enum dk_reason why;
    uint16_t head;
    int notified;

    raw_up(ver, extra, 8);
    vt_posted(&b);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_STALL, 0), DK_OK);
    cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, 1, &head, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&q, &notified), DK_OK);
    cr_assert_eq(notified, 1);
    vt_advance(VT_LAT); /* the device stalls instead of completing */
    cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, 2, &head, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&q, &notified), DK_OK);
    cr_assert_eq(notified, 1);
    cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, 3, &head, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&q, &notified), DK_OK);
    cr_assert_eq(notified, (extra & F_EVT) ? 0 : 1, "avail_event did not move: no notify");
    cr_assert_eq(dk_virtq_kick(&q, &notified), DK_OK);
    cr_assert_eq(notified, 0, "nothing new to publish");
    cr_assert_eq(vt_sim_stats().notifies, (extra & F_EVT) ? 2u : 3u);
}

VT_BOTH(virtio_queue, event_idx_suppresses_needless_notifications)
{
    notify_suppression(ver, 0);
    vt_teardown();
    vt_setup();
    notify_suppression(ver, F_EVT);
}

/* Device side of EVENT_IDX: harvest publishes used_event = what it
 * consumed, so the device interrupts for the next completion. */
VT_BOTH(virtio_queue, harvest_publishes_used_event)
{
    struct vt_buf b = vt_buf(64);
    struct dk_vseg s = vt_seg(&b);
    struct dk_vdone d;
    enum dk_reason why;
    uint16_t head;
    unsigned i, n;

    raw_up(ver, F_EVT, 8);
    vt_posted(&b);
    for (i = 0; i < 5; i++) {
        cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, i, &head, &why), DK_OK);
        cr_assert_eq(dk_virtq_kick(&q, NULL), DK_OK);
        cr_assert(vt_wait_irq(&dev) & DK_VIRTIO_INT_VRING, "no interrupt for completion %u", i);
        cr_assert_eq(dk_virtq_harvest(&q, &d, 1, &n, &why), DK_OK);
        cr_assert_eq(n, 1);
        cr_assert_eq(d.cookie, i);
        cr_assert_eq(*(const uint16_t *)(q.ring + q.avail_off + 4 + 2u * q.size), i + 1);
    }
    cr_assert_eq(vt_sim_stats().irqs, 5);
}

/* 66,000 requests through a 4-entry ring, three at a time: avail->idx,
 * used->idx, avail_event and used_event all wrap past 65535 (a multiple of
 * neither 3 nor 4 apart), and every request completes once, in order,
 * with one notification and one interrupt per batch. */
static void wrap(uint32_t ver, uint64_t extra)
{
    struct vt_buf b = vt_buf(16);
    struct dk_vseg s = vt_seg(&b);
    struct dk_vdone d[4];
    enum dk_reason why;
    uint64_t next = 0, expect = 0;
    unsigned batch, i, n;
    uint16_t head;
    int notified, rc;

    raw_up(ver, extra, 4);
    vt_posted(&b);
    for (batch = 0; batch < 22000; batch++) {
        for (i = 0; i < 3; i++)
            cr_assert_eq(dk_virtq_add(&q, &s, 0, 1, next++, &head, &why), DK_OK);
        cr_assert_eq(dk_virtq_kick(&q, &notified), DK_OK);
        cr_assert_eq(notified, 1, "batch %u not notified", batch);
        vt_advance(VT_LAT);
        n = vt_harvest(&q, d, 3, &rc, &why);
        cr_assert_eq(rc, DK_OK, "batch %u: reason %d", batch, why);
        cr_assert_eq(n, 3, "batch %u", batch);
        for (i = 0; i < n; i++)
            cr_assert_eq(d[i].cookie, expect++);
    }
    cr_assert_eq(q.avail_idx, (uint16_t)66000u);
    cr_assert_eq(q.last_used, (uint16_t)66000u);
    cr_assert_eq(vt_sim_stats().completions, 66000u);
    cr_assert_eq(vt_sim_stats().notifies, 22000u);
    cr_assert_eq(vt_sim_stats().irqs, 22000u);
    vt_protocol_clean();
}

VT_BOTH(virtio_queue, indices_wrap_past_65535)
{
    wrap(ver, 0);
    vt_teardown();
    vt_setup();
    wrap(ver, F_EVT | F_IND);
}

/* ---- chains of mixed lengths, freed out of order ---- */

enum { CH_ROUNDS = 2500, CH_JITTER = 4 * VT_LAT };

/* What the test posted, by head: the driver's records are not trusted here. */
static struct {
    uint64_t cookie;
    unsigned ndesc;
    int live;
} ch[DK_VIRTQ_SIZE_MAX];

static uint64_t ch_rng;

static unsigned ch_rnd(unsigned n)
{
    ch_rng = ch_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(ch_rng >> 33) % n;
}

/* Segment @i of the chain with cookie @c: 1..16 bytes somewhere in @b. */
static struct dk_vseg ch_seg(const struct vt_buf *b, uint64_t c, unsigned i)
{
    struct dk_vseg s = {b->dma + 16u * i, 1u + (uint32_t)((c + i) % 16u), 0};
    return s;
}

static int ch_add(const struct vt_buf *b, unsigned n, uint64_t cookie, uint16_t *head,
                  enum dk_reason *why)
{
    struct dk_vseg s[DK_VIRTQ_CHAIN_MAX];
    unsigned i;

    for (i = 0; i < n; i++)
        s[i] = ch_seg(b, cookie, i);
    return dk_virtq_add(&q, s, 0, n, cookie, head, why);
}

static void ch_post(const struct vt_buf *b, unsigned n, uint64_t cookie)
{
    enum dk_reason why = DK_R_BAD_ENUM;
    uint16_t head = 0xffff;

    cr_assert_eq(ch_add(b, n, cookie, &head, &why), DK_OK, "chain of %u, %u free: %s", n,
                 q.num_free, dk_reason_str(why));
    cr_assert_lt(head, q.size);
    cr_assert(!ch[head].live, "head %u handed out while in flight", head);
    ch[head].cookie = cookie;
    ch[head].ndesc = n;
    ch[head].live = 1;
}

/* A chain of @n is refused as QUEUE_FULL, and queue, records, free list
 * and ring are as they were. */
static void ch_refused(const struct vt_buf *b, unsigned n)
{
    static uint8_t store_before[VT_STORAGE], ring_before[8192];
    struct dk_virtq before = q;
    enum dk_reason why = DK_R_NONE;
    uint16_t head = 0xbeef;

    cr_assert_leq(q.used_off, sizeof ring_before);
    memcpy(store_before, vt_storage, sizeof vt_storage);
    memcpy(ring_before, q.ring, q.used_off);
    cr_assert_eq(ch_add(b, n, 0, &head, &why), DK_E_QUEUE_FULL, "chain of %u, %u free", n,
                 q.num_free);
    cr_assert_eq(why, DK_R_VIRTIO_RING_FULL);
    cr_assert_eq(head, 0xbeef);
    cr_assert(memcmp(&before, &q, sizeof q) == 0, "queue changed");
    cr_assert(memcmp(store_before, vt_storage, sizeof vt_storage) == 0, "records changed");
    cr_assert(memcmp(ring_before, q.ring, q.used_off) == 0, "ring changed");
}

/* Every descriptor is in exactly one place: one chain in flight (walked in
 * the table the device reads, as long as posted, each entry as posted) or
 * the free list (walked num_free links from free_head). */
static void ch_walk(const struct vt_buf *b)
{
    const struct vdesc *t = (const struct vdesc *)q.ring;
    uint8_t seen[DK_VIRTQ_SIZE_MAX] = {0};
    unsigned h, i, k, n, used = 0;

    for (h = 0; h < q.size; h++) {
        if (!ch[h].live)
            continue;
        for (i = h, n = 0;; i = t[i].next) {
            struct dk_vseg s = ch_seg(b, ch[h].cookie, n);

            cr_assert_lt(i, q.size, "head %u: link out of the table", h);
            cr_assert_eq(seen[i], 0, "descriptor %u is in two chains (head %u)", i, h);
            seen[i] = 1;
            cr_assert_eq(t[i].addr, s.addr, "head %u entry %u", h, n);
            cr_assert_eq(t[i].len, s.len, "head %u entry %u", h, n);
            cr_assert(t[i].flags & DK_VRING_DESC_F_WRITE);
            n++;
            if (!(t[i].flags & DK_VRING_DESC_F_NEXT))
                break;
            cr_assert_lt(n, ch[h].ndesc, "head %u: chain longer than posted", h);
        }
        cr_assert_eq(n, ch[h].ndesc, "head %u: chain of %u, posted %u", h, n, ch[h].ndesc);
        used += n;
    }
    cr_assert_eq(used + q.num_free, q.size);
    for (k = 0, i = q.free_head; k < q.num_free; k++, i = q.free_next[i]) {
        cr_assert_lt(i, q.size, "free entry %u: link out of the table", k);
        cr_assert_eq(seen[i], 0, "descriptor %u is free and in use, or free twice", i);
        seen[i] = 1;
    }
}

/* Take what the device completed (up to @want); returns how many. Each is
 * the chain posted at its head; @last is the newest cookie taken so far,
 * and @overtaken counts completions of a chain posted before it. */
static unsigned ch_harvest(unsigned want, uint64_t *last, unsigned *overtaken)
{
    struct dk_vdone d[DK_VIRTQ_SIZE_MAX];
    enum dk_reason why = DK_R_BAD_ENUM;
    unsigned i, n;
    int rc;

    n = vt_harvest(&q, d, want, &rc, &why);
    cr_assert_eq(rc, DK_OK, "%s", dk_reason_str(why));
    for (i = 0; i < n; i++) {
        cr_assert_lt(d[i].head, q.size);
        cr_assert(ch[d[i].head].live, "head %u completed twice", d[i].head);
        cr_assert_eq(d[i].cookie, ch[d[i].head].cookie);
        ch[d[i].head].live = 0;
        if (*last != UINT64_MAX && d[i].cookie < *last)
            (*overtaken)++;
        else
            *last = d[i].cookie;
    }
    return n;
}

/* Chains of 1..16 direct descriptors: fill, prove the free count is exact
 * (a chain of num_free + 1 is refused with nothing changed, one of
 * num_free is accepted), let part complete out of order, refill the holes
 * while the rest is in flight, drain. Freeing puts a chain back as a block
 * in completion order, so the free list ends up in no particular order; it
 * must still hand out each descriptor once. */
static void mixed_chains(uint32_t ver, uint64_t extra)
{
    struct vt_buf b = vt_buf(16u * DK_VIRTQ_CHAIN_MAX);
    uint64_t cookie = 0, last = UINT64_MAX;
    unsigned round, n, overtaken = 0, interleaved = 0;

    cr_assert_eq(extra & F_IND, 0, "direct descriptors only");
    raw_up_jitter(ver, extra, VT_QSIZE, CH_JITTER);
    memset(ch, 0, sizeof ch);
    ch_rng = 0x2545f4914f6cdd1dull + ver;
    vt_posted(&b);
    for (round = 0; round < CH_ROUNDS; round++) {
        cr_assert_eq(q.num_free, q.size, "round %u", round);
        cr_assert_eq(dk_virtq_inflight(&q), 0);
        /* Random lengths until one does not fit. */
        while ((n = 1u + ch_rnd(DK_VIRTQ_CHAIN_MAX)) <= q.num_free)
            ch_post(&b, n, cookie++);
        ch_refused(&b, n);
        ch_refused(&b, q.num_free + 1u);
        if (q.num_free != 0)
            ch_post(&b, q.num_free, cookie++);
        cr_assert_eq(q.num_free, 0);
        ch_refused(&b, 1);
        ch_walk(&b);
        cr_assert_eq(dk_virtq_kick(&q, NULL), DK_OK);
        /* About half completes, in the device's order. */
        vt_advance(VT_LAT + CH_JITTER / 2);
        ch_harvest(q.size, &last, &overtaken);
        ch_walk(&b);
        interleaved += dk_virtq_inflight(&q) != 0 && q.num_free != 0;
        while ((n = 1u + ch_rnd(DK_VIRTQ_CHAIN_MAX)) <= q.num_free)
            ch_post(&b, n, cookie++);
        ch_refused(&b, q.num_free + 1u);
        ch_walk(&b);
        cr_assert_eq(dk_virtq_kick(&q, NULL), DK_OK);
        vt_advance(VT_LAT + CH_JITTER);
        n = dk_virtq_inflight(&q);
        cr_assert_eq(ch_harvest(n, &last, &overtaken), n, "round %u: not all completed", round);
        ch_walk(&b);
    }
    cr_assert_eq(q.num_free, q.size);
    cr_assert_eq(vt_sim_stats().completions, cookie);
    cr_assert_gt(overtaken, cookie / 8, "completions came (nearly) in posting order");
    cr_assert_gt(interleaved, CH_ROUNDS / 4, "few refills while other chains were in flight");
    vt_check();
    vt_protocol_clean();
}

VT_BOTH(virtio_queue, mixed_chains_freed_out_of_order)
{
    mixed_chains(ver, 0);
    vt_teardown();
    vt_setup();
    mixed_chains(ver, F_EVT);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-blk fast paths, in both register layouts:
 *  - a one-segment IN/OUT request on a queue without indirect descriptors
 *    is written as a direct 3-descriptor chain; it refuses exactly what the
 *    general path refuses, with the same status and reason, first reason
 *    first (held to one reference of the documented rule order, on queues
 *    with and without INDIRECT_DESC, with size_max, read-only), leaves
 *    nothing changed when it refuses, and writes the chain, records and
 *    avail slot the device expects;
 *  - dk_vblk_stage() posts the same request without publishing it: no
 *    barrier, no register access, avail->idx unmoved, until dk_virtq_kick()
 *    publishes the whole batch behind one write barrier (or dk_vblk_submit()
 *    publishes everything posted before it);
 *  - dk_vblk_harvest() reads each status as the completion is validated,
 *    including the completions returned before an invalid element.
 */
#include "virtio_fixture.h"

TestSuite(virtio_fast, .init = vt_setup, .fini = vt_teardown);

#define F_IND (1ull << DK_VIRTIO_F_INDIRECT_DESC)
#define F_SIZE (1ull << DK_SIM_BLK_F_SIZE_MAX)
#define F_RO 1u /* this test's flag: the spy makes the device read-only */

struct vdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static struct dk_vblk blk;

/* Bring the disk up; @spy: through the spy backend (its hooks as set). */
static void blk_up(uint32_t ver, uint64_t extra, int spy, uint16_t qsize)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    const struct dk_backend *be = vt_be;
    enum dk_reason why;
    unsigned i;

    for (i = 0; i < sizeof vt_disk; i++)
        vt_disk[i] = (uint8_t)(i * 13u + 1u);
    c.extra_features = extra;
    if (extra & F_SIZE)
        c.size_max = 1024;
    vt_sim_start(&c);
    if (spy)
        be = vt_spy_install();
    cr_assert_eq(dk_vblk_init(&blk, be, VT_CAP, qsize, vt_storage, sizeof vt_storage, &why), DK_OK,
                 "init: %d", why);
}

static uint16_t avail_idx(void)
{
    return *(const volatile uint16_t *)(blk.q.ring + blk.q.avail_off + 2);
}

/* What dk_vblk_submit() answers for one IN/OUT data segment of @len bytes
 * at @sector: the documented checks in their documented order. */
static int expect_one(unsigned type, uint64_t sector, uint32_t len, enum dk_reason *why)
{
    if (type == DK_VBLK_T_OUT && blk.read_only)
        return dk_reject(why, DK_R_VIRTIO_READ_ONLY, DK_E_DENIED);
    if (len == 0 || (blk.size_max != 0 && len > blk.size_max))
        return dk_reject(why, DK_R_VIRTIO_BLK_SEGS, DK_E_INVAL);
    if (len % DK_VBLK_SECTOR != 0)
        return dk_reject(why, DK_R_VIRTIO_BLK_ALIGN, DK_E_INVAL);
    if (sector > blk.capacity || len / DK_VBLK_SECTOR > blk.capacity - sector)
        return dk_reject(why, DK_R_VIRTIO_BLK_RANGE, DK_E_RANGE);
    if (blk.q.fault != 0)
        return dk_reject(why, DK_R_VIRTIO_FAULTED, DK_E_FAULTED);
    /* A direct chain needs three free descriptors, an indirect one one. */
    if (blk.q.num_free < (blk.q.use_indirect ? 1u : 3u))
        return dk_reject(why, DK_R_VIRTIO_RING_FULL, DK_E_QUEUE_FULL);
    return dk_reject(why, DK_R_NONE, DK_OK);
}

/* Everything a refused request must leave alone. */
static struct dk_virtq q_before;
static uint8_t store_before[VT_STORAGE];
static uint8_t ring_before[8192];

static void snap(void)
{
    q_before = blk.q;
    memcpy(store_before, vt_storage, sizeof vt_storage);
    cr_assert_leq(blk.q.used_off, sizeof ring_before);
    memcpy(ring_before, blk.q.ring, blk.q.used_off);
}

static int unchanged(void)
{
    return memcmp(&q_before, &blk.q, sizeof q_before) == 0 &&
           memcmp(store_before, vt_storage, sizeof vt_storage) == 0 &&
           memcmp(ring_before, blk.q.ring, blk.q.used_off) == 0;
}

/* Every (type, sector, length) of the table through dk_vblk_submit and
 * dk_vblk_stage, against expect_one; accepted requests stay in flight, so
 * the ring fills and the full-ring answer is checked too. */
static void rule_order(uint32_t ver, uint64_t extra, unsigned flags)
{
    static const uint32_t lens[] = {0, 1, 511, 512, 1024, 1536, 4096, 0xfffffe00u};
    const uint64_t cap = VT_SECTORS;
    const uint64_t sectors[] = {0, cap - 8, cap - 3, cap - 2, cap - 1, cap, cap + 1, UINT64_MAX};
    struct vt_buf b = vt_buf(4096);
    unsigned t, s, l, fn, accepted = 0;

    if (flags & F_RO)
        vt_spy_read_only();
    blk_up(ver, extra, (flags & F_RO) != 0, VT_QSIZE);
    cr_assert_eq(blk.read_only, (flags & F_RO) != 0);
    cr_assert_eq(blk.capacity, cap);
    for (t = 0; t < 2; t++)
        for (s = 0; s < sizeof sectors / sizeof sectors[0]; s++)
            for (l = 0; l < sizeof lens / sizeof lens[0]; l++)
                for (fn = 0; fn < 3; fn++) {
                    static const char *const name[] = {"submit", "stage", "stage_n"};
                    struct dk_vseg seg = {b.dma, lens[l], 0};
                    struct dk_vblk_io io = {sectors[s], 7, seg, t, 1};
                    enum dk_reason want_why, why = DK_R_NONE;
                    int want = expect_one(t, sectors[s], lens[l], &want_why);
                    unsigned staged = 99;
                    int rc;

                    snap();
                    if (fn == 0)
                        rc = dk_vblk_submit(&blk, t, sectors[s], &seg, 1, 7, &why);
                    else if (fn == 1)
                        rc = dk_vblk_stage(&blk, t, sectors[s], &seg, 1, 7, &why);
                    else {
                        rc = dk_vblk_stage_n(&blk, &io, 1, &staged, &why);
                        cr_assert_eq(staged, rc == DK_OK ? 1u : 0u);
                    }
                    cr_assert_eq(rc, want, "%s type %u sector %llu len %u: %d, expected %d",
                                 name[fn], t, (unsigned long long)sectors[s], lens[l], rc, want);
                    cr_assert_eq(why, want_why, "type %u sector %llu len %u: reason %d, not %d", t,
                                 (unsigned long long)sectors[s], lens[l], why, want_why);
                    if (rc != DK_OK)
                        cr_assert(unchanged(), "a refused request changed the queue");
                    else
                        accepted++;
                }
    cr_assert_gt(accepted, 0);
    cr_assert_eq(blk.q.num_free, 0u + (blk.q.use_indirect ? 0u : VT_QSIZE % 3u),
                 "the table fills the ring");
    /* A faulted queue (as harvest leaves it) refuses before the ring is
     * looked at. */
    blk.q.fault = DK_R_VIRTIO_USED_ID;
    {
        struct dk_vseg seg = {b.dma, 512, 0};
        enum dk_reason why, want_why;
        int want = expect_one(DK_VBLK_T_IN, 0, 512, &want_why);

        cr_assert_eq(want, DK_E_FAULTED);
        snap();
        cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, &seg, 1, 7, &why), want);
        cr_assert_eq(why, want_why);
        cr_assert_eq(dk_vblk_stage(&blk, DK_VBLK_T_IN, 0, &seg, 1, 7, &why), want);
        cr_assert_eq(why, want_why);
        {
            struct dk_vblk_io io = {0, 7, seg, DK_VBLK_T_IN, 1};
            unsigned staged = 99;

            cr_assert_eq(dk_vblk_stage_n(&blk, &io, 1, &staged, &why), want);
            cr_assert_eq(why, want_why);
            cr_assert_eq(staged, 0);
        }
        cr_assert(unchanged());
    }
}

VT_BOTH(virtio_fast, one_segment_refusals_follow_the_rule_order)
{
    rule_order(ver, 0, 0);
}

VT_BOTH(virtio_fast, one_segment_refusals_match_the_indirect_path)
{
    rule_order(ver, F_IND, 0);
}

VT_BOTH(virtio_fast, one_segment_refusals_with_size_max)
{
    rule_order(ver, F_SIZE, 0);
}

VT_BOTH(virtio_fast, one_segment_refusals_on_a_read_only_device)
{
    rule_order(ver, 0, F_RO);
}

/* The full-ring answer at 0, 1, 2 free descriptors, nothing changed. */
static void ring_full_at(uint32_t ver, uint16_t qsize, unsigned nseg_first, uint16_t want_free)
{
    struct vt_buf b = vt_buf(1024);
    struct dk_vseg one = {b.dma, 512, 0}, two[2] = {{b.dma, 512, 0}, {b.dma + 512, 512, 0}};
    enum dk_reason why;

    blk_up(ver, 0, 0, qsize);
    /* Take descriptors: a one-segment chain (3), or a two-segment one (4,
     * the general path), then one-segment chains while 3 are free. */
    cr_assert_eq(
        dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, nseg_first == 1 ? &one : two, nseg_first, 1, &why),
        DK_OK);
    while (blk.q.num_free >= 3)
        cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, &one, 1, 2, &why), DK_OK);
    cr_assert_eq(blk.q.num_free, want_free);
    snap();
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, &one, 1, 3, &why), DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_VIRTIO_RING_FULL);
    cr_assert_eq(dk_vblk_stage(&blk, DK_VBLK_T_OUT, 0, &one, 1, 3, &why), DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_VIRTIO_RING_FULL);
    cr_assert(unchanged());
}

VT_BOTH(virtio_fast, direct_chain_refused_with_two_free)
{
    ring_full_at(ver, 8, 1, 2);
}

VT_BOTH(virtio_fast, direct_chain_refused_with_one_free)
{
    ring_full_at(ver, 4, 1, 1);
}

VT_BOTH(virtio_fast, direct_chain_refused_with_none_free)
{
    ring_full_at(ver, 4, 2, 0);
}

/* The chain, header, status preset, head record and avail slot of an IN
 * and an OUT request. */
VT_BOTH(virtio_fast, direct_chain_layout)
{
    struct vt_buf b = vt_buf(1024);
    struct dk_vseg seg = {b.dma, 1024, 0};
    enum dk_reason why;
    unsigned k;

    blk_up(ver, 0, 0, VT_QSIZE);
    for (k = 0; k < 2; k++) {
        unsigned type = k == 0 ? DK_VBLK_T_IN : DK_VBLK_T_OUT;
        uint64_t sector = 0x12 + k;
        uint16_t head = blk.q.free_head, before = avail_idx();
        uint16_t d1 = blk.q.free_next[head], d2 = blk.q.free_next[d1];
        const struct vdesc *t = (const struct vdesc *)blk.q.ring;
        const struct dk_virtq_head *h = &blk.q.heads[head];
        const uint8_t *r = blk.hdrs + head * DK_VBLK_HDR_BYTES;
        uint64_t hdr = blk.reqs_dma + head * DK_VBLK_HDR_BYTES;
        uint64_t st = blk.reqs_dma + blk.q.size * DK_VBLK_HDR_BYTES + head;
        uint32_t v;

        cr_assert_eq(dk_vblk_submit(&blk, type, sector, &seg, 1, 0xabc0 + k, &why), DK_OK);
        cr_assert_eq(why, DK_R_NONE);
        cr_assert_eq(avail_idx(), (uint16_t)(before + 1));
        cr_assert_eq(blk.q.published, blk.q.avail_idx);
        cr_assert_eq(*(const uint16_t *)(blk.q.ring + blk.q.avail_off + 4 +
                                         2u * (before & (blk.q.size - 1u))),
                     head);
        cr_assert(t[head].addr == hdr && t[head].len == 16);
        cr_assert(t[head].flags == DK_VRING_DESC_F_NEXT && t[head].next == d1);
        cr_assert(t[d1].addr == b.dma && t[d1].len == 1024 && t[d1].next == d2);
        cr_assert_eq(t[d1].flags, DK_VRING_DESC_F_NEXT | (k == 0 ? DK_VRING_DESC_F_WRITE : 0));
        cr_assert(t[d2].addr == st && t[d2].len == 1);
        cr_assert(t[d2].flags == DK_VRING_DESC_F_WRITE && t[d2].next == 0);
        memcpy(&v, r, 4);
        cr_assert_eq(v, type);
        memcpy(&v, r + 4, 4);
        cr_assert_eq(v, 0);
        memcpy(&v, r + 8, 4);
        cr_assert_eq(v, (uint32_t)sector);
        memcpy(&v, r + 12, 4);
        cr_assert_eq(v, 0);
        cr_assert_eq(blk.status[head], 0xff);
        cr_assert(h->inflight == 1 && h->ndesc == 3 && h->last == d2);
        cr_assert_eq(blk.q.free_next[head], d1, "the chain stays linked for the free");
        cr_assert_eq(blk.q.free_next[d1], d2);
        cr_assert_eq(h->cookie, 0xabc0 + k);
        cr_assert_eq(h->writable, k == 0 ? 1025u : 1u);
    }
    cr_assert_eq(dk_virtq_inflight(&blk.q), 2);
    cr_assert_eq(blk.q.num_free, VT_QSIZE - 6);
}

/* What the spy saw at the write barrier of a kick that publishes. */
static struct {
    uint16_t avail_before;
    unsigned writes;
} at;

static void at_barrier(enum dk_barrier kind)
{
    if (kind == DK_BARRIER_WRITE) {
        cr_assert_eq(avail_idx(), at.avail_before, "avail->idx moved before the barrier");
        at.writes++;
    }
}

VT_BOTH(virtio_fast, stage_publishes_at_kick_behind_one_write_barrier)
{
    struct vt_buf bufs[3];
    struct dk_vdone d[4];
    enum dk_reason why;
    unsigned i, n;
    int notified;

    blk_up(ver, 0, 1, VT_QSIZE);
    for (i = 0; i < 3; i++) {
        struct dk_vseg s;

        bufs[i] = vt_buf(512);
        s = vt_seg(&bufs[i]);
        vt_posted(&bufs[i]);
        vt_spy_clear();
        cr_assert_eq(dk_vblk_stage(&blk, DK_VBLK_T_IN, i, &s, 1, 100 + i, &why), DK_OK);
        cr_assert_eq(why, DK_R_NONE);
        cr_assert_eq(vt_spy.nev, 0, "stage issued a barrier or touched a register");
        cr_assert_eq(avail_idx(), 0, "stage published");
    }
    cr_assert_eq(blk.q.avail_idx, 3);
    cr_assert_eq(blk.q.published, 0);
    cr_assert_eq(dk_virtq_inflight(&blk.q), 3);
    vt_advance(10 * VT_LAT);
    cr_assert_eq(vt_sim_stats().requests, 0, "the device saw a staged request");

    vt_spy_clear();
    at.avail_before = 0;
    at.writes = 0;
    vt_spy.on_barrier = at_barrier;
    cr_assert_eq(dk_virtq_kick(&blk.q, &notified), DK_OK);
    vt_spy.on_barrier = NULL;
    cr_assert_eq(at.writes, 1);
    cr_assert_eq(notified, 1);
    cr_assert_eq(vt_spy.nev, 4);
    cr_assert(vt_spy.ev[0].kind == 'b' && vt_spy.ev[0].off == DK_BARRIER_WRITE);
    cr_assert(vt_spy.ev[1].kind == 'b' && vt_spy.ev[1].off == DK_BARRIER_FULL);
    cr_assert(vt_spy.ev[2].kind == 'b' && vt_spy.ev[2].off == DK_BARRIER_WRITE_MMIO);
    cr_assert(vt_spy.ev[3].kind == 'w' && vt_spy.ev[3].off == DK_VMMIO_QUEUE_NOTIFY);
    cr_assert_eq(avail_idx(), 3);
    cr_assert_eq(blk.q.published, 3);

    /* A second kick has nothing to publish: only its full barrier. */
    vt_spy_clear();
    cr_assert_eq(dk_virtq_kick(&blk.q, &notified), DK_OK);
    cr_assert_eq(notified, 0);
    cr_assert_eq(vt_spy.nev, 1);
    cr_assert_eq(vt_spy.ev[0].off, DK_BARRIER_FULL);

    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    cr_assert_eq(dk_vblk_harvest(&blk, d, 4, &n, &why), DK_OK);
    cr_assert_eq(n, 3);
    for (i = 0; i < 3; i++) {
        cr_assert_eq(d[i].cookie, 100 + i);
        cr_assert_eq(d[i].len, 513);
        cr_assert_eq(d[i].status, DK_OK);
        cr_assert_arr_eq(bufs[i].p, vt_disk + 512u * i, 512);
        vt_accept(&bufs[i], 0, 512);
    }
    cr_assert_eq(blk.q.num_free, VT_QSIZE);
    vt_check();
    vt_protocol_clean();
}

VT_BOTH(virtio_fast, submit_publishes_what_was_staged_before_it)
{
    struct vt_buf b = vt_buf(512);
    struct dk_vseg s = vt_seg(&b);
    enum dk_reason why;
    int notified;

    blk_up(ver, F_IND, 1, VT_QSIZE);
    /* The general path (indirect) stages as well. */
    cr_assert_eq(dk_vblk_stage(&blk, DK_VBLK_T_IN, 0, &s, 1, 1, &why), DK_OK);
    cr_assert_eq(avail_idx(), 0);
    vt_spy_clear();
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, 1, &s, 1, 2, &why), DK_OK);
    cr_assert_eq(vt_spy.nev, 1);
    cr_assert_eq(vt_spy.ev[0].off, DK_BARRIER_WRITE);
    cr_assert_eq(avail_idx(), 2);
    cr_assert_eq(blk.q.published, 2);
    vt_spy_clear();
    cr_assert_eq(dk_virtq_kick(&blk.q, &notified), DK_OK);
    cr_assert_eq(vt_spy.ev[0].off, DK_BARRIER_FULL, "nothing left to publish");
    cr_assert_eq(notified, 1);
}

VT_BOTH(virtio_fast, faulted_queue_publishes_nothing_staged)
{
    struct vt_buf b = vt_buf(512);
    struct dk_vseg s = vt_seg(&b);
    enum dk_reason why;
    int notified;

    blk_up(ver, 0, 0, VT_QSIZE);
    cr_assert_eq(dk_vblk_stage(&blk, DK_VBLK_T_IN, 0, &s, 1, 1, &why), DK_OK);
    blk.q.fault = DK_R_VIRTIO_USED_LEN; /* as harvest leaves it */
    cr_assert_eq(dk_virtq_kick(&blk.q, &notified), DK_E_FAULTED);
    cr_assert_eq(notified, 0);
    cr_assert_eq(avail_idx(), 0);
    cr_assert_eq(blk.q.published, 0);
}

/* Statuses come with the completions: IOERR as a device error, and the
 * completions before an invalid element carry theirs. */
VT_BOTH(virtio_fast, harvest_reads_each_status_once_validated)
{
    struct vt_buf bufs[3];
    struct dk_vdone d[3];
    enum dk_reason why;
    unsigned i, n;

    blk_up(ver, 0, 0, VT_QSIZE);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_ERROR_STATUS, 1), DK_OK);
    for (i = 0; i < 3; i++) {
        struct dk_vseg s;

        bufs[i] = vt_buf(512);
        s = vt_seg(&bufs[i]);
        vt_posted(&bufs[i]);
        cr_assert_eq(dk_vblk_stage(&blk, DK_VBLK_T_IN, i, &s, 1, 10 + i, &why), DK_OK);
    }
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
    vt_advance(10 * VT_LAT);
    cr_assert_eq(dk_vblk_harvest(&blk, d, 3, &n, &why), DK_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(d[0].status, DK_OK);
    cr_assert_eq(d[1].status, DK_E_DEVICE, "IOERR");
    cr_assert_eq(d[1].len, 1);
    cr_assert_eq(d[2].status, DK_OK);
    for (i = 0; i < 3; i++)
        cr_assert_eq(d[i].status, dk_vblk_complete(&blk, &d[i]), "the same answer as complete");

    /* One good completion, then an id out of range. */
    vt_teardown();
    vt_setup();
    blk_up(ver, 0, 0, VT_QSIZE);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_USED_ID_RANGE, 1), DK_OK);
    for (i = 0; i < 2; i++) {
        struct dk_vseg s;

        bufs[i] = vt_buf(512);
        s = vt_seg(&bufs[i]);
        cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, i, &s, 1, 20 + i, &why), DK_OK);
    }
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
    vt_advance(10 * VT_LAT);
    d[0].status = -1;
    cr_assert_eq(dk_vblk_harvest(&blk, d, 3, &n, &why), DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_USED_ID);
    cr_assert_eq(n, 1);
    cr_assert_eq(d[0].cookie, 20);
    cr_assert_eq(d[0].status, DK_OK, "the good completion's status was read");
    cr_assert_eq(blk.q.fault, DK_R_VIRTIO_USED_ID);
}

/* Many rounds through a small ring: staged batches, harvested in full,
 * data right, and the free list whole after every round. */
VT_BOTH(virtio_fast, chains_recycle_through_the_free_list)
{
    struct vt_buf bufs[5];
    struct dk_vdone d[5];
    enum dk_reason why;
    unsigned round, i, n;

    blk_up(ver, 0, 0, 16);
    for (i = 0; i < 5; i++)
        bufs[i] = vt_buf(512);
    for (round = 0; round < 40; round++) {
        uint8_t seen[16] = {0};
        uint16_t k, j;

        for (i = 0; i < 5; i++) {
            struct dk_vseg s = vt_seg(&bufs[i]);
            vt_posted(&bufs[i]);
            cr_assert_eq(dk_vblk_stage(&blk, DK_VBLK_T_IN, (round * 5 + i) % VT_SECTORS, &s, 1,
                                       round * 8 + i, &why),
                         DK_OK);
        }
        cr_assert_eq(blk.q.num_free, 1);
        cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
        vt_advance(10 * VT_LAT);
        cr_assert_eq(dk_vblk_harvest(&blk, d, 5, &n, &why), DK_OK);
        cr_assert_eq(n, 5);
        for (i = 0; i < 5; i++) {
            unsigned want = (unsigned)(d[i].cookie - round * 8u);

            cr_assert_lt(want, 5);
            cr_assert_eq(d[i].status, DK_OK);
            cr_assert_arr_eq(bufs[want].p, vt_disk + 512u * ((round * 5 + want) % VT_SECTORS), 512);
            vt_accept(&bufs[want], 0, 512);
        }
        cr_assert_eq(blk.q.num_free, 16);
        for (k = 0, j = blk.q.free_head; k < blk.q.num_free; k++, j = blk.q.free_next[j]) {
            cr_assert_lt(j, 16);
            cr_assert_eq(seen[j], 0, "descriptor %u twice in the free list", j);
            seen[j] = 1;
        }
    }
    cr_assert_eq(blk.q.avail_idx, 200);
    cr_assert_eq(avail_idx(), 200);
    vt_check();
    vt_protocol_clean();
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory ordering cannot be observed on the host, but every ORDERING point
 * of the driver is a call to the backend's barrier op. Through the spy
 * backend (a copy of the host vtable with a counting barrier that forwards)
 * this proves, in both layouts, with and without EVENT_IDX, that each one
 * happens, and happens between the right accesses:
 *  - add: one WRITE barrier, after the descriptors and the avail slot are
 *    written and before avail->idx moves;
 *  - kick: one FULL barrier before the suppression fields are read; a
 *    WRITE_MMIO barrier right before every QueueNotify store;
 *  - harvest: one READ barrier after used->idx is loaded (entries hidden
 *    at the barrier are still seen) and before any element is consumed; with EVENT_IDX a FULL
 * barrier after used_event is published;
 *  - irq: InterruptStatus load, MMIO_READ barrier, then the ack.
 */
#include "virtio_fixture.h"

TestSuite(virtio_order, .init = vt_setup, .fini = vt_teardown);

static struct dk_vrng rng;

/* What the ring looks like at each barrier, checked as it happens. */
static struct {
    struct dk_virtq *q;
    uint16_t avail_before; /* avail->idx before the add */
    uint16_t last_before;  /* q->last_used before the harvest */
    uint64_t seg_addr;     /* the segment being added */
    uint16_t used_real;    /* used->idx the device wrote, hidden at the barrier */
    unsigned in_add, in_harvest, writes_seen, reads_seen, fulls_seen;
} w;

static uint16_t avail_idx(void)
{
    return *(const volatile uint16_t *)(w.q->ring + w.q->avail_off + 2);
}

static uint16_t used_event(void)
{
    return *(const volatile uint16_t *)(w.q->ring + w.q->avail_off + 4 + 2u * w.q->size);
}

static void at_barrier(enum dk_barrier kind)
{
    if (w.in_add && kind == DK_BARRIER_WRITE) {
        uint16_t slot = *(const uint16_t *)(w.q->ring + w.q->avail_off + 4 +
                                            2u * (w.avail_before & (w.q->size - 1u)));
        const uint64_t *desc = (const uint64_t *)(w.q->ring + 16u * slot);

        /* Descriptor and avail slot are written; avail->idx is not yet. */
        cr_assert_eq(avail_idx(), w.avail_before, "avail->idx moved before the barrier");
        cr_assert_eq(*desc, w.seg_addr, "descriptor not written before the barrier");
        w.writes_seen++;
    }
    if (w.in_harvest && kind == DK_BARRIER_READ) {
        volatile uint16_t *used_idx = (volatile uint16_t *)(w.q->ring + w.q->used_off + 2);

        cr_assert_eq(w.q->last_used, w.last_before, "an element was consumed before the barrier");
        /* used->idx must already have been loaded: hide the new entries now
         * and the harvest must still see them (restored after the call). */
        w.used_real = *used_idx;
        *used_idx = w.last_before;
        w.reads_seen++;
    }
    if (w.in_harvest && kind == DK_BARRIER_FULL) {
        cr_assert_eq(used_event(), w.q->last_used, "used_event not published before the barrier");
        w.fulls_seen++;
    }
}

static void ordering(uint32_t ver, uint64_t extra)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    const struct dk_backend *spy;
    struct vt_buf b = vt_buf(64);
    struct dk_vseg s = vt_seg(&b);
    struct dk_vdone d[4];
    enum dk_reason why;
    uint32_t bits;
    unsigned i, n, notifies = 0;
    int notified;
    uint16_t head;

    c.extra_features = extra;
    vt_sim_start(&c);
    vt_posted(&b);
    spy = vt_spy_install();
    cr_assert_eq(dk_vrng_init(&rng, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    memset(&w, 0, sizeof w);
    w.q = &rng.q;
    vt_spy.on_barrier = at_barrier;

    for (i = 0; i < 4; i++) {
        vt_spy_clear();
        w.avail_before = avail_idx();
        w.seg_addr = s.addr;
        w.in_add = 1;
        cr_assert_eq(dk_virtq_add(&rng.q, &s, 0, 1, i, &head, &why), DK_OK);
        w.in_add = 0;
        cr_assert_eq(avail_idx(), (uint16_t)(w.avail_before + 1));
        cr_assert_eq(vt_spy.barriers[DK_BARRIER_WRITE], 1);
        cr_assert_eq(vt_spy.nev, 1, "add touched registers or issued other barriers");

        vt_spy_clear();
        cr_assert_eq(dk_virtq_kick(&rng.q, &notified), DK_OK);
        cr_assert_eq(vt_spy.barriers[DK_BARRIER_FULL], 1);
        cr_assert_eq(vt_spy.ev[0].kind, 'b');
        cr_assert_eq(vt_spy.ev[0].off, DK_BARRIER_FULL, "kick read before its full barrier");
        if (notified) {
            notifies++;
            cr_assert_eq(vt_spy.nev, 3);
            cr_assert_eq(vt_spy.ev[1].kind, 'b');
            cr_assert_eq(vt_spy.ev[1].off, DK_BARRIER_WRITE_MMIO);
            cr_assert_eq(vt_spy.ev[2].kind, 'w');
            cr_assert_eq(vt_spy.ev[2].off, DK_VMMIO_QUEUE_NOTIFY);
            cr_assert_eq(vt_spy.ev[2].val, 0);
        } else {
            cr_assert_eq(vt_spy.nev, 1);
        }

        vt_advance(VT_LAT);
        vt_spy_clear();
        cr_assert_eq(dk_virtio_irq(&rng.dev, &bits), DK_OK);
        cr_assert(bits & DK_VIRTIO_INT_VRING);
        cr_assert_eq(vt_spy.nev, 3);
        cr_assert(vt_spy.ev[0].kind == 'r' && vt_spy.ev[0].off == DK_VMMIO_INTERRUPT_STATUS);
        cr_assert(vt_spy.ev[1].kind == 'b' && vt_spy.ev[1].off == DK_BARRIER_MMIO_READ);
        cr_assert(vt_spy.ev[2].kind == 'w' && vt_spy.ev[2].off == DK_VMMIO_INTERRUPT_ACK);
        cr_assert_eq(vt_spy.ev[2].val, bits);

        vt_spy_clear();
        w.last_before = rng.q.last_used;
        w.in_harvest = 1;
        cr_assert_eq(dk_virtq_harvest(&rng.q, d, 4, &n, &why), DK_OK);
        w.in_harvest = 0;
        *(volatile uint16_t *)(rng.q.ring + rng.q.used_off + 2) = w.used_real;
        cr_assert_eq(n, 1, "used->idx was loaded after the read barrier");
        cr_assert_eq(vt_spy.barriers[DK_BARRIER_READ], 1);
        cr_assert_eq(vt_spy.barriers[DK_BARRIER_FULL],
                     (extra & (1ull << DK_VIRTIO_F_EVENT_IDX)) ? 1u : 0u);
        cr_assert_eq(vt_spy_count('r', DK_VMMIO_INTERRUPT_STATUS) +
                         vt_spy_count('w', DK_VMMIO_QUEUE_NOTIFY),
                     0);
    }
    cr_assert_eq(w.writes_seen, 4);
    cr_assert_eq(w.reads_seen, 4);
    cr_assert_eq(w.fulls_seen, (extra & (1ull << DK_VIRTIO_F_EVENT_IDX)) ? 4u : 0u);
    cr_assert_eq(notifies, 4, "every kick after new work notifies this device");
    /* An empty harvest still orders its used->idx read. */
    vt_spy_clear();
    cr_assert_eq(dk_virtq_harvest(&rng.q, d, 4, &n, &why), DK_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(vt_spy.barriers[DK_BARRIER_READ], 1);
    vt_protocol_clean();
}

VT_BOTH(virtio_order, add_kick_harvest_irq_issue_their_barriers)
{
    ordering(ver, 0);
    vt_teardown();
    vt_setup();
    ordering(ver, 1ull << DK_VIRTIO_F_EVENT_IDX | 1ull << DK_VIRTIO_F_INDIRECT_DESC);
}

/* The same through the blk shim, whose chains are three descriptors (or
 * one indirect table): one WRITE barrier per request, not per descriptor. */
VT_BOTH(virtio_order, blk_submit_orders_once_per_request)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    static struct dk_vblk blk;
    const struct dk_backend *spy;
    struct vt_buf b = vt_buf(1024);
    struct dk_vseg s[2] = {{b.dma, 512, 0}, {b.dma + 512, 512, 0}};
    enum dk_reason why;

    vt_sim_start(&c);
    spy = vt_spy_install();
    cr_assert_eq(dk_vblk_init(&blk, spy, VT_CAP, 16, vt_storage, sizeof vt_storage, &why), DK_OK);
    vt_spy_clear();
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 0, s, 2, 1, &why), DK_OK);
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 2, s, 2, 2, &why), DK_OK);
    cr_assert_eq(vt_spy.barriers[DK_BARRIER_WRITE], 2);
    cr_assert_eq(vt_spy.nev, 2, "submit touched a register");
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
    cr_assert_eq(vt_spy.barriers[DK_BARRIER_WRITE_MMIO], 1);
    cr_assert_eq(vt_spy_count('w', DK_VMMIO_QUEUE_NOTIFY), 1, "one notify for the batch");
}

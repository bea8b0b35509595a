/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio driver against a hostile device (the simulation's fault
 * injection), in both layouts and with and without INDIRECT_DESC and
 * EVENT_IDX. For every bad used element: the completions validated before
 * it are returned, none is produced for it, the queue faults with the
 * documented reason and refuses everything after, nothing outside the
 * posted buffers changes, reclaim refuses until the device is reset and
 * then returns each in-flight cookie exactly once, and the device comes up
 * again and works. Also: error status, DEVICE_NEEDS_RESET, a stalled
 * device, and config that changes mid-read.
 */
#include "virtio_fixture.h"

TestSuite(virtio_hostile, .init = vt_setup, .fini = vt_teardown);
TestSuite(virtio_reset, .init = vt_setup, .fini = vt_teardown);
TestSuite(virtio_config, .init = vt_setup, .fini = vt_teardown);

#define F_BOTH (1ull << DK_VIRTIO_F_INDIRECT_DESC | 1ull << DK_VIRTIO_F_EVENT_IDX)
#define NREQ 4u
#define COOKIE(i) (0xc000u + (i))

static struct dk_vblk blk;
static struct vt_buf bufs[NREQ];

static void blk_up(uint32_t ver, uint64_t extra)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    enum dk_reason why;
    unsigned i;

    for (i = 0; i < sizeof vt_disk; i++)
        vt_disk[i] = (uint8_t)(i * 13u + 1u);
    c.extra_features = extra;
    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, VT_QSIZE, vt_storage, sizeof vt_storage, &why),
                 DK_OK);
    for (i = 0; i < NREQ; i++)
        bufs[i] = vt_buf(512);
}

/* Post reads of sectors first..first+n-1 into bufs[first..], and kick. */
static void post_reads(unsigned first, unsigned n)
{
    enum dk_reason why;
    unsigned i;

    for (i = first; i < first + n; i++) {
        struct dk_vseg s = vt_seg(&bufs[i]);
        vt_posted(&bufs[i]);
        cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, i, &s, 1, COOKIE(i), &why), DK_OK);
    }
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
}

/* A returned completion is a good read of its sector. */
static void good_read(const struct dk_vdone *d, unsigned i)
{
    cr_assert_eq(d->cookie, COOKIE(i), "completion %u is cookie %#llx", i,
                 (unsigned long long)d->cookie);
    cr_assert_eq(d->len, 513);
    cr_assert_eq(dk_vblk_complete(&blk, d), DK_OK);
    cr_assert_arr_eq(bufs[i].p, vt_disk + 512 * i, 512);
    vt_accept(&bufs[i], 0, 512);
    vt_unpost(&bufs[i]);
}

static void expect_faulted(void)
{
    struct dk_vdone d[2];
    struct dk_vseg s = vt_seg(&bufs[0]);
    enum dk_reason why = DK_R_NONE;
    uint16_t head = 0xbeef;
    unsigned n = 9;
    int notified = 9;

    cr_assert_eq(dk_virtq_harvest(&blk.q, d, 2, &n, &why), DK_E_FAULTED);
    cr_assert_eq(why, DK_R_VIRTIO_FAULTED);
    cr_assert_eq(n, 0);
    cr_assert_eq(dk_virtq_add(&blk.q, &s, 0, 1, 1, &head, &why), DK_E_FAULTED);
    cr_assert_eq(head, 0xbeef);
    cr_assert_eq(dk_virtq_kick(&blk.q, &notified), DK_E_FAULTED);
    cr_assert_eq(notified, 0);
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, &s, 1, 1, &why), DK_E_FAULTED);
}

static uint64_t reclaimed[DK_VIRTQ_SIZE_MAX];
static unsigned nreclaimed;

static void on_reclaim(void *arg, uint64_t cookie)
{
    cr_assert_eq(arg, (void *)reclaimed);
    cr_assert_lt(nreclaimed, DK_VIRTQ_SIZE_MAX);
    reclaimed[nreclaimed++] = cookie;
}

/* Reclaim refuses while the device may still use the buffers; after a
 * reset it returns exactly the cookies [first, first+n), once each. Then
 * the device comes up again and serves a read. */
static void reset_reclaim_reinit(unsigned first, unsigned n)
{
    struct dk_vdone d;
    enum dk_reason why;
    uint32_t count = 77, inflight = dk_virtq_inflight(&blk.q);
    unsigned i, j, got;
    int rc;

    nreclaimed = 0;
    cr_assert_eq(inflight, n);
    cr_assert_neq(dk_virtio_status(&blk.dev), 0);
    cr_assert_eq(dk_virtq_reclaim(&blk.q, on_reclaim, reclaimed, &count), DK_E_STATE);
    cr_assert_eq(count, 77);
    cr_assert_eq(nreclaimed, 0);
    cr_assert_eq(dk_virtq_inflight(&blk.q), inflight);

    cr_assert_eq(dk_virtio_reset(&blk.dev, &why), DK_OK);
    cr_assert_eq(dk_virtio_status(&blk.dev), 0);
    cr_assert_eq(dk_virtq_reclaim(&blk.q, on_reclaim, reclaimed, &count), DK_OK);
    cr_assert_eq(count, n);
    cr_assert_eq(nreclaimed, n);
    for (i = first; i < first + n; i++) {
        unsigned seen = 0;
        for (j = 0; j < nreclaimed; j++)
            seen += reclaimed[j] == COOKIE(i);
        cr_assert_eq(seen, 1, "cookie %#x reclaimed %u times", COOKIE(i), seen);
        vt_unpost(&bufs[i]);
        vt_accept(&bufs[i], 0, 512); /* the device may have written it */
    }
    cr_assert_eq(dk_virtq_inflight(&blk.q), 0);
    vt_check();

    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, VT_QSIZE, vt_storage, sizeof vt_storage, &why),
                 DK_OK);
    memset(bufs[0].p, 0, 512);
    vt_accept(&bufs[0], 0, 512);
    post_reads(0, 1);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    got = vt_harvest(&blk.q, &d, 1, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(got, 1);
    good_read(&d, 0);
    vt_check();
}

/* Completion 3 of 4 is bad. The first harvest takes one, the second takes
 * the other good one and stops at the bad element. */
static void bad_element(uint32_t ver, uint64_t extra, enum dk_sim_fault f, enum dk_reason want)
{
    struct dk_vdone d[NREQ];
    enum dk_reason why;
    unsigned n;

    blk_up(ver, extra);
    cr_assert_eq(dk_sim_inject(&vt_sim, f, 2), DK_OK);
    post_reads(0, NREQ);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    cr_assert_eq(vt_sim_stats().faults_injected, 1);

    cr_assert_eq(dk_virtq_harvest(&blk.q, d, 1, &n, &why), DK_OK);
    cr_assert_eq(n, 1);
    good_read(&d[0], 0);
    cr_assert_eq(dk_virtq_harvest(&blk.q, d, NREQ, &n, &why), DK_E_DEVICE);
    cr_assert_eq(why, want, "reason %d, expected %d", why, want);
    cr_assert_eq(n, 1, "%u completions before the bad element", n);
    good_read(&d[0], 1);
    cr_assert_eq(blk.q.fault, want);
    expect_faulted();
    vt_check();
    reset_reclaim_reinit(2, 2);
    vt_protocol_clean();
}

static void bad_element_all(uint32_t ver, enum dk_sim_fault f, enum dk_reason want)
{
    bad_element(ver, 0, f, want);
    vt_teardown();
    vt_setup();
    bad_element(ver, F_BOTH, f, want);
}

VT_BOTH(virtio_hostile, used_id_out_of_range)
{
    bad_element_all(ver, DK_SIM_FAULT_USED_ID_RANGE, DK_R_VIRTIO_USED_ID);
}

VT_BOTH(virtio_hostile, used_id_not_in_flight)
{
    bad_element_all(ver, DK_SIM_FAULT_USED_ID_NOT_INFLIGHT, DK_R_VIRTIO_USED_STALE);
}

VT_BOTH(virtio_hostile, used_len_too_large)
{
    bad_element_all(ver, DK_SIM_FAULT_USED_LEN_TOO_BIG, DK_R_VIRTIO_USED_LEN);
}

/* used->idx jumps after completion 3 of 4, but completions 1 and 2 were
 * harvested before the device went bad: they are returned, and the two
 * that were in flight when it jumped come back through reclaim. */
static void idx_jump(uint32_t ver, uint64_t extra)
{
    struct dk_vdone d[NREQ];
    enum dk_reason why;
    unsigned n;
    int rc;

    blk_up(ver, extra);
    post_reads(0, 2);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    n = vt_harvest(&blk.q, d, 2, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(n, 2);
    good_read(&d[0], 0);
    good_read(&d[1], 1);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_USED_IDX_JUMP, 0), DK_OK);
    post_reads(2, 2);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    cr_assert_eq(dk_virtq_harvest(&blk.q, d, NREQ, &n, &why), DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_USED_IDX);
    cr_assert_eq(n, 0);
    expect_faulted();
    vt_check();
    reset_reclaim_reinit(2, 2);
    vt_protocol_clean();
}

VT_BOTH(virtio_hostile, used_idx_jump)
{
    idx_jump(ver, 0);
    vt_teardown();
    vt_setup();
    idx_jump(ver, F_BOTH);
}

/* A jump in the same batch as good elements: the index is checked before
 * any element, so none of the batch is believed; reclaim returns all. */
VT_BOTH(virtio_hostile, used_idx_jump_discards_the_whole_batch)
{
    struct dk_vdone d[NREQ];
    enum dk_reason why;
    unsigned n;

    blk_up(ver, 0);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_USED_IDX_JUMP, 2), DK_OK);
    post_reads(0, NREQ);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    cr_assert_eq(dk_virtq_harvest(&blk.q, d, NREQ, &n, &why), DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_USED_IDX);
    cr_assert_eq(n, 0);
    expect_faulted();
    reset_reclaim_reinit(0, NREQ);
}

/* The test plays the device: used->idx claims one more completion than
 * there are requests in flight (still within the queue size). The index
 * is refused before any element is believed. */
VT_BOTH(virtio_hostile, used_idx_beyond_in_flight)
{
    struct dk_vdone d[NREQ];
    enum dk_reason why;
    uint8_t *used;
    unsigned n;

    blk_up(ver, 0);
    post_reads(0, 2);
    vt_advance(VT_LAT);
    used = blk.q.ring + blk.q.used_off;
    cr_assert_eq(*(uint16_t *)(used + 2), 2);
    memcpy(used + 4 + 8 * 2, used + 4, 8); /* a copy of element 0 */
    *(uint16_t *)(used + 2) = 3;
    cr_assert_eq(dk_virtq_harvest(&blk.q, d, NREQ, &n, &why), DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_USED_IDX);
    cr_assert_eq(n, 0);
    expect_faulted();
    reset_reclaim_reinit(0, 2);
}

/* InterruptStatus with undefined bits set: only VRING/CONFIG are reported
 * and acknowledged; with none of them, nothing is acknowledged at all. */
static uint32_t junk_isr(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    return off == DK_VMMIO_INTERRUPT_STATUS ? v | 0xfffffffcu : v;
}

VT_BOTH(virtio_hostile, undefined_interrupt_bits_are_neither_reported_nor_acked)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    static struct dk_vrng rng;
    const struct dk_backend *spy;
    struct dk_vseg s;
    enum dk_reason why;
    uint32_t bits = 99;

    vt_sim_start(&c);
    bufs[0] = vt_buf(64);
    s = vt_seg(&bufs[0]);
    spy = vt_spy_install();
    cr_assert_eq(dk_vrng_init(&rng, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    vt_spy.on_read = junk_isr;
    vt_spy_clear();
    cr_assert_eq(dk_virtio_irq(&rng.dev, &bits), DK_OK);
    cr_assert_eq(bits, 0, "a spurious interrupt reported bits");
    cr_assert_eq(vt_spy_count('w', DK_VMMIO_INTERRUPT_ACK), 0);
    cr_assert_eq(dk_vrng_request(&rng, &s, 1, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&rng.q, NULL), DK_OK);
    vt_advance(VT_LAT);
    vt_spy_clear();
    cr_assert_eq(dk_virtio_irq(&rng.dev, &bits), DK_OK);
    cr_assert_eq(bits, DK_VIRTIO_INT_VRING);
    cr_assert_eq(vt_spy_count('w', DK_VMMIO_INTERRUPT_ACK), 1);
    cr_assert_eq(vt_spy.ev[vt_spy.nev - 1].val, DK_VIRTIO_INT_VRING);
    cr_assert_eq(vt_sim.isr, 0);
    vt_protocol_clean();
}

VT_BOTH(virtio_hostile, error_status_is_a_device_error_not_a_fault)
{
    struct dk_vdone d[3];
    enum dk_reason why;
    unsigned n;
    int rc;

    blk_up(ver, 0);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_ERROR_STATUS, 1), DK_OK);
    post_reads(0, 3);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    n = vt_harvest(&blk.q, d, 3, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(n, 3);
    good_read(&d[0], 0);
    cr_assert_eq(d[1].cookie, COOKIE(1));
    cr_assert_eq(d[1].len, 1, "an IOERR carries only the status byte");
    cr_assert_eq(dk_vblk_complete(&blk, &d[1]), DK_E_DEVICE);
    vt_unpost(&bufs[1]); /* the device wrote no data */
    good_read(&d[2], 2);
    vt_check();
    /* The queue is not faulted: the next request works. */
    post_reads(3, 1);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    n = vt_harvest(&blk.q, d, 1, &rc, &why);
    cr_assert_eq(n, 1);
    good_read(&d[0], 3);
    vt_protocol_clean();
}

VT_BOTH(virtio_reset, needs_reset_is_visible_and_recovers)
{
    struct dk_vdone d[NREQ];
    enum dk_reason why;
    uint32_t bits;
    unsigned n;
    int rc;

    blk_up(ver, F_BOTH);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_NEEDS_RESET, 1), DK_OK);
    post_reads(0, 3);
    bits = vt_wait_irq(&blk.dev);
    cr_assert_eq(bits, DK_VIRTIO_INT_VRING | DK_VIRTIO_INT_CONFIG);
    cr_assert(dk_virtio_status(&blk.dev) & DK_VIRTIO_S_NEEDS_RESET);
    n = vt_harvest(&blk.q, d, NREQ, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(n, 1);
    good_read(&d[0], 0);
    /* Nothing more comes, however long we wait. */
    vt_advance(100 * VT_LAT);
    cr_assert_eq(dk_virtq_harvest(&blk.q, d, NREQ, &n, &why), DK_OK);
    cr_assert_eq(n, 0);
    vt_check();
    reset_reclaim_reinit(1, 2);
    cr_assert_eq(dk_virtio_status(&blk.dev) & DK_VIRTIO_S_NEEDS_RESET, 0);
}

VT_BOTH(virtio_reset, stalled_device_keeps_requests_in_flight)
{
    const struct dk_backend_ops *ops;
    struct dk_vdone d[NREQ];
    enum dk_reason why;
    uint32_t ev = 0;
    unsigned n;
    int rc;

    blk_up(ver, 0);
    ops = vt_be->ops;
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_STALL, 1), DK_OK);
    post_reads(0, 3);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    n = vt_harvest(&blk.q, d, NREQ, &rc, &why);
    cr_assert_eq(n, 1);
    good_read(&d[0], 0);
    /* A wait finds nothing to do and times out on the virtual clock. */
    cr_assert_eq(ops->wait(vt_be->ctx, dk_host_now(&vt_host) + 1000000u, &ev), DK_E_TIMED_OUT);
    cr_assert_eq(ev, 0);
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
    vt_advance(1000000);
    cr_assert_eq(dk_virtq_harvest(&blk.q, d, NREQ, &n, &why), DK_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(dk_virtq_inflight(&blk.q), 2);
    cr_assert_eq(dk_sim_pending(&vt_sim), 2);
    vt_check();
    reset_reclaim_reinit(1, 2);
}

/* Regression: every bring-up after a reset releases what the previous one
 * held. dk_vblk_init used to map a new request-header VMO each time, with
 * no dk_vblk_fini, so each recovery leaked one VMO and the 255th re-init
 * failed with DK_E_NO_MEMORY. */
VT_BOTH(virtio_reset, reinit_after_reset_does_not_leak_vmos)
{
    enum dk_reason why;
    unsigned cycle, i, live0 = 0, rc_fail = 0;

    blk_up(ver, 0);
    for (i = 0; i < DK_HOST_VMOS_MAX; i++)
        live0 += vt_host.vmos[i].live;
    for (cycle = 0; cycle < 300 && rc_fail == 0; cycle++) {
        unsigned live = 0;
        uint32_t count;
        cr_assert_eq(dk_virtio_reset(&blk.dev, &why), DK_OK);
        cr_assert_eq(dk_virtq_reclaim(&blk.q, NULL, NULL, &count), DK_OK);
        if (dk_vblk_init(&blk, vt_be, VT_CAP, VT_QSIZE, vt_storage, sizeof vt_storage, &why) !=
            DK_OK)
            rc_fail = cycle + 1;
        for (i = 0; i < DK_HOST_VMOS_MAX; i++)
            live += vt_host.vmos[i].live;
        cr_assert_eq(live, live0, "cycle %u: %u live VMOs, %u after the first bring-up", cycle,
                     live, live0);
    }
    cr_assert_eq(rc_fail, 0, "bring-up failed at cycle %u", rc_fail);
    /* Teardown: reset, reclaim, fini leave only the fixture's own VMO. */
    {
        unsigned live = 0;
        uint32_t count;
        cr_assert_eq(dk_virtio_reset(&blk.dev, &why), DK_OK);
        cr_assert_eq(dk_virtq_reclaim(&blk.q, NULL, NULL, &count), DK_OK);
        cr_assert_eq(dk_vblk_fini(&blk), DK_OK);
        cr_assert_eq(dk_vblk_fini(&blk), DK_OK, "fini is safe twice");
        for (i = 0; i < DK_HOST_VMOS_MAX; i++)
            live += vt_host.vmos[i].live;
        cr_assert_eq(live, 1);
    }
}

/* ---- config changing mid-read ---- */

VT_BOTH(virtio_config, tear_during_bring_up_reads_one_consistent_capacity)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    enum dk_reason why;

    vt_sim_start(&c);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_CONFIG_TEAR, 0), DK_OK);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(vt_sim_stats().faults_injected, 1);
    /* The first read tore; the retry saw the new value whole. */
    cr_assert_eq(vt_sim.capacity, VT_SECTORS - 1);
    cr_assert_eq(blk.capacity, VT_SECTORS - 1);
    /* Modern: two generation-bracketed passes of two reads; legacy: two
     * passes that each read both halves twice. */
    cr_assert_eq(vt_sim_stats().config_reads, ver == 2 ? 4u : 8u);
    /* The change was announced with a config interrupt. */
    cr_assert_eq(vt_wait_irq(&blk.dev), DK_VIRTIO_INT_CONFIG);
    vt_protocol_clean();
}

VT_BOTH(virtio_config, tear_between_halves_retries_to_a_consistent_value)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    enum dk_reason why;
    uint64_t cap = 0;
    uint32_t v = 0;
    uint64_t reads;

    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    reads = vt_sim_stats().config_reads;
    /* Tear right after the high half is read. */
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_CONFIG_TEAR, 1), DK_OK);
    cr_assert_eq(dk_virtio_config_read64(&blk.dev, DK_SIM_BLK_CFG_CAPACITY, &cap, &why), DK_OK);
    cr_assert_eq(cap, vt_sim.capacity);
    cr_assert_eq(cap, VT_SECTORS - 1);
    cr_assert_gt(vt_sim_stats().config_reads - reads, ver == 2 ? 2u : 4u, "no retry");
    /* And a 32-bit field torn on its only read. */
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_CONFIG_TEAR, 0), DK_OK);
    cr_assert_eq(dk_virtio_config_read(&blk.dev, DK_SIM_BLK_CFG_CAPACITY, 4, &v, &why), DK_OK);
    cr_assert_eq(v, (uint32_t)vt_sim.capacity);
    cr_assert_eq(v, VT_SECTORS);
    vt_protocol_clean();
}

/* The driver keeps the capacity it read at bring-up (no re-read on a config
 * interrupt); a shrunk disk still cannot be written past its end, because
 * the device refuses: the request fails, nothing is written. */
VT_BOTH(virtio_config, shrink_after_bring_up_is_refused_by_the_device)
{
    struct dk_vdone d;
    enum dk_reason why;
    struct dk_vseg s;
    unsigned n;
    int rc;

    blk_up(ver, 0);
    cr_assert_eq(dk_sim_set_capacity(&vt_sim, 32), DK_OK);
    cr_assert_eq(vt_wait_irq(&blk.dev), DK_VIRTIO_INT_CONFIG);
    vt_fill(&bufs[0], 77);
    s = vt_seg(&bufs[0]);
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 100, &s, 1, 9, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
    vt_advance(VT_LAT);
    n = vt_harvest(&blk.q, &d, 1, &rc, &why);
    cr_assert_eq(n, 1);
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_E_DEVICE);
    for (n = 100 * 512; n < 101 * 512; n++)
        cr_assert_eq(vt_disk[n], (uint8_t)(n * 13u + 1u), "disk byte %u written", n);
}

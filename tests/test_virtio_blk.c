/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk end to end through the driver (dk_vblk_*, dk_virtq_*) against
 * the simulated RAM disk, in both register layouts and with and without
 * INDIRECT_DESC / EVENT_IDX: write, read back and compare; GET_ID; every
 * request check refuses with nothing posted; completions are harvested
 * after the device's interrupt, acknowledged through dk_virtio_irq.
 * Every data buffer sits between canary bytes in one VMO (vt_check).
 */
#include "virtio_fixture.h"

TestSuite(virtio_blk, .init = vt_setup, .fini = vt_teardown);

static struct dk_vblk blk;

#define F_IND (1ull << DK_VIRTIO_F_INDIRECT_DESC)
#define F_EVT (1ull << DK_VIRTIO_F_EVENT_IDX)
static const uint64_t feature_sets[4] = {0, F_IND, F_EVT, F_IND | F_EVT};

static void blk_up(uint32_t ver, uint64_t extra, uint16_t qsize)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    enum dk_reason why;

    c.extra_features = extra;
    if (extra & (1ull << DK_SIM_BLK_F_SEG_MAX))
        c.seg_max = 2;
    if (extra & (1ull << DK_SIM_BLK_F_SIZE_MAX))
        c.size_max = 1024;
    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, qsize, vt_storage, sizeof vt_storage, &why),
                 DK_OK, "init: %d", why);
}

/* Post, kick, take the interrupt, harvest the one completion. */
static struct dk_vdone blk_roundtrip(unsigned type, uint64_t sector, const struct dk_vseg *segs,
                                     unsigned n, uint64_t cookie)
{
    struct dk_vdone done;
    enum dk_reason why;
    unsigned got;
    int notified, rc;

    cr_assert_eq(dk_vblk_submit(&blk, type, sector, segs, n, cookie, &why), DK_OK, "submit: %d",
                 why);
    cr_assert_eq(dk_virtq_inflight(&blk.q), 1);
    cr_assert_eq(dk_virtq_kick(&blk.q, &notified), DK_OK);
    cr_assert_eq(notified, 1);
    cr_assert(vt_wait_irq(&blk.dev) & DK_VIRTIO_INT_VRING);
    got = vt_harvest(&blk.q, &done, 1, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(got, 1);
    cr_assert_eq(done.cookie, cookie);
    cr_assert_eq(dk_virtq_inflight(&blk.q), 0);
    return done;
}

static void write_read_compare(uint32_t ver, uint64_t extra)
{
    struct vt_buf s0 = vt_buf(2048), s1 = vt_buf(2048);
    struct vt_buf d0 = vt_buf(1024), d1 = vt_buf(2048), d2 = vt_buf(1024);
    struct dk_vseg src[2] = {vt_seg(&s0), vt_seg(&s1)};
    struct dk_vseg dst[3] = {vt_seg(&d0), vt_seg(&d1), vt_seg(&d2)};
    uint8_t expect[4096];
    struct dk_vdone done;

    blk_up(ver, extra, VT_QSIZE);
    vt_fill(&s0, 1);
    vt_fill(&s1, 2);
    memcpy(expect, s0.p, 2048);
    memcpy(expect + 2048, s1.p, 2048);

    done = blk_roundtrip(DK_VBLK_T_OUT, 5, src, 2, 101);
    cr_assert_eq(done.len, 1, "a write returns only its status byte");
    cr_assert_eq(dk_vblk_complete(&blk, &done), DK_OK);
    cr_assert_arr_eq(vt_disk + 5 * 512, expect, sizeof expect, "disk does not hold the data");
    vt_check();

    vt_posted(&d0);
    vt_posted(&d1);
    vt_posted(&d2);
    done = blk_roundtrip(DK_VBLK_T_IN, 5, dst, 3, 102);
    cr_assert_eq(done.len, 4096 + 1);
    cr_assert_eq(dk_vblk_complete(&blk, &done), DK_OK);
    cr_assert_arr_eq(d0.p, expect, 1024);
    cr_assert_arr_eq(d1.p, expect + 1024, 2048);
    cr_assert_arr_eq(d2.p, expect + 3072, 1024);
    vt_accept(&d0, 0, d0.len);
    vt_accept(&d1, 0, d1.len);
    vt_accept(&d2, 0, d2.len);
    vt_check();
    /* The sectors around the written range are untouched. */
    cr_assert_eq(vt_disk[5 * 512 - 1], 0);
    cr_assert_eq(vt_disk[13 * 512], 0);
    cr_assert_eq(blk.q.use_indirect, (extra & F_IND) != 0);
    cr_assert_eq(blk.q.event_idx, (extra & F_EVT) != 0);
    vt_protocol_clean();
}

VT_BOTH(virtio_blk, write_read_back_compare_all_feature_sets)
{
    unsigned i;

    for (i = 0; i < 4; i++) {
        if (i > 0) {
            vt_teardown();
            vt_setup();
            memset(vt_disk, 0, sizeof vt_disk);
        }
        write_read_compare(ver, feature_sets[i]);
    }
}

VT_BOTH(virtio_blk, many_requests_in_flight_complete_once_each)
{
    enum { N = 12 };
    struct vt_buf b[N];
    struct dk_vdone done[N];
    uint8_t seen[N] = {0};
    enum dk_reason why;
    unsigned i, got;
    int rc;

    blk_up(ver, F_IND, VT_QSIZE);
    for (i = 0; i < N; i++) {
        struct dk_vseg s;
        b[i] = vt_buf(512);
        vt_fill(&b[i], 40 + i);
        s = vt_seg(&b[i]);
        cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_OUT, i, &s, 1, 1000 + i, &why), DK_OK);
    }
    cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
    cr_assert_eq(dk_virtq_inflight(&blk.q), N);
    vt_advance(VT_LAT);
    got = vt_harvest(&blk.q, done, N, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(got, N);
    for (i = 0; i < N; i++) {
        uint64_t k = done[i].cookie - 1000;
        cr_assert_lt(k, N);
        cr_assert_eq(seen[k]++, 0, "cookie %llu twice", (unsigned long long)done[i].cookie);
        cr_assert_eq(dk_vblk_complete(&blk, &done[i]), DK_OK);
        cr_assert_arr_eq(vt_disk + 512 * k, b[k].p, 512);
    }
    cr_assert_eq(dk_virtq_harvest(&blk.q, done, N, &got, &why), DK_OK);
    cr_assert_eq(got, 0, "a completion came twice");
    vt_check();
    vt_protocol_clean();
}

VT_BOTH(virtio_blk, get_id_returns_the_device_id)
{
    struct vt_buf id = vt_buf(DK_VBLK_ID_BYTES);
    struct dk_vseg s;
    struct dk_vdone done;
    char expect[32];

    blk_up(ver, 0, VT_QSIZE);
    s = vt_seg(&id);
    vt_posted(&id);
    done = blk_roundtrip(DK_VBLK_T_GET_ID, 0, &s, 1, 7);
    cr_assert_eq(done.len, DK_VBLK_ID_BYTES + 1);
    cr_assert_eq(dk_vblk_complete(&blk, &done), DK_OK);
    memset(expect, 0, sizeof expect);
    snprintf(expect, sizeof expect, "dk-sim-blk-%08x", VT_CAP);
    cr_assert_arr_eq(id.p, expect, DK_VBLK_ID_BYTES);
    vt_accept(&id, 0, id.len);
    vt_check();
}

/* Snapshot of everything a refused submit must leave alone: the queue
 * struct, its private records and the shared ring (descriptors, avail). */
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

static void refused(int rc, int want_rc, const enum dk_reason *whyp, enum dk_reason want_why)
{
    enum dk_reason why = *whyp; /* read after the call that set it */

    cr_assert_eq(rc, want_rc, "status %d, expected %d", rc, want_rc);
    cr_assert_eq(why, want_why, "reason %d, expected %d", why, want_why);
    cr_assert(memcmp(&q_before, &blk.q, sizeof q_before) == 0, "queue changed");
    cr_assert(memcmp(store_before, vt_storage, sizeof vt_storage) == 0, "records changed");
    cr_assert(memcmp(ring_before, blk.q.ring, blk.q.used_off) == 0, "ring changed");
}

VT_BOTH(virtio_blk, request_checks_refuse_with_nothing_posted)
{
    struct vt_buf big = vt_buf(16 * 512);
    struct dk_vseg one = {big.dma, 512, 0}, two = {big.dma, 1024, 0}, odd = {big.dma, 513, 0};
    struct dk_vseg zero = {big.dma, 0, 0}, id19 = {big.dma, 19, 0}, id20 = {big.dma, 20, 0};
    struct dk_vseg many[15];
    enum dk_reason why;
    int notified;
    unsigned i;

    blk_up(ver, 0, VT_QSIZE);
    for (i = 0; i < 15; i++)
        many[i] = (struct dk_vseg){big.dma + 512u * i, 512, 0};
    snap();
    refused(dk_vblk_submit(&blk, DK_VBLK_T_IN, VT_SECTORS, &one, 1, 1, &why), DK_E_RANGE, &why,
            DK_R_VIRTIO_BLK_RANGE);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_OUT, VT_SECTORS - 1, &two, 1, 1, &why), DK_E_RANGE, &why,
            DK_R_VIRTIO_BLK_RANGE);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_IN, UINT64_MAX, &one, 1, 1, &why), DK_E_RANGE, &why,
            DK_R_VIRTIO_BLK_RANGE);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_IN, UINT64_MAX - 1, &two, 1, 1, &why), DK_E_RANGE, &why,
            DK_R_VIRTIO_BLK_RANGE);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, &odd, 1, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_ALIGN);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 0, NULL, 0, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_ALIGN);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, many, 15, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_SEGS);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, &zero, 1, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_SEGS);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_FLUSH, 0, &one, 1, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_ALIGN);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_FLUSH, 1, NULL, 0, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_ALIGN);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_GET_ID, 0, &id19, 1, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_ALIGN);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_GET_ID, 1, &id20, 1, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_ALIGN);
    refused(dk_vblk_submit(&blk, 2, 0, &one, 1, 1, &why), DK_E_INVAL, &why, DK_R_BAD_ENUM);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_IN, 0, NULL, 1, 1, &why), DK_E_INVAL, &why,
            DK_R_NULL_ARG);
    /* Nothing to notify, nothing reaches the device. */
    cr_assert_eq(dk_virtq_kick(&blk.q, &notified), DK_OK);
    cr_assert_eq(notified, 0);
    vt_advance(10 * VT_LAT);
    cr_assert_eq(vt_sim_stats().requests, 0);
    cr_assert_eq(vt_sim_stats().notifies, 0);
    vt_check();

    /* The last sector, and 14 data segments (16 descriptors), are fine. */
    vt_fill(&big, 9);
    cr_assert_eq(dk_vblk_complete(&blk, &(struct dk_vdone){0}), DK_E_DEVICE,
                 "an unanswered request counted as done");
    {
        struct dk_vdone d = blk_roundtrip(DK_VBLK_T_OUT, VT_SECTORS - 1, &one, 1, 2);
        cr_assert_eq(dk_vblk_complete(&blk, &d), DK_OK);
        d = blk_roundtrip(DK_VBLK_T_OUT, 0, many, 14, 3);
        cr_assert_eq(dk_vblk_complete(&blk, &d), DK_OK);
    }
    cr_assert_arr_eq(vt_disk + (VT_SECTORS - 1) * 512, big.p, 512);
    cr_assert_arr_eq(vt_disk, big.p, 14 * 512);
    vt_check();
    vt_protocol_clean();
}

VT_BOTH(virtio_blk, seg_max_and_size_max_are_enforced)
{
    struct vt_buf b = vt_buf(4096);
    struct dk_vseg three[3] = {{b.dma, 512, 0}, {b.dma + 512, 512, 0}, {b.dma + 1024, 512, 0}};
    struct dk_vseg wide = {b.dma, 1536, 0};
    struct dk_vdone d;
    enum dk_reason why;

    blk_up(ver, 1ull << DK_SIM_BLK_F_SEG_MAX | 1ull << DK_SIM_BLK_F_SIZE_MAX, VT_QSIZE);
    cr_assert_eq(blk.seg_max, 2);
    cr_assert_eq(blk.size_max, 1024);
    snap();
    refused(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 0, three, 3, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_SEGS);
    refused(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 0, &wide, 1, 1, &why), DK_E_INVAL, &why,
            DK_R_VIRTIO_BLK_SEGS);
    vt_fill(&b, 3);
    d = blk_roundtrip(DK_VBLK_T_OUT, 0, three, 2, 2);
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_OK);
    cr_assert_arr_eq(vt_disk, b.p, 1024);
    vt_protocol_clean();
}

VT_BOTH(virtio_blk, flush_is_sent_only_when_negotiated)
{
    struct dk_vdone d;

    /* Offered: the shim accepts FLUSH and the device flushes. */
    blk_up(ver, 1ull << DK_SIM_BLK_F_FLUSH, VT_QSIZE);
    cr_assert_eq(blk.dev.features >> DK_VBLK_F_FLUSH & 1u, 1);
    d = blk_roundtrip(DK_VBLK_T_FLUSH, 0, NULL, 0, 5);
    cr_assert_eq(d.len, 1);
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_OK);
}

VT_BOTH(virtio_blk, flush_not_offered_is_refused_before_posting)
{
    enum dk_reason why;

    /* Not offered: the request is refused here, nothing is posted. */
    blk_up(ver, 0, VT_QSIZE);
    cr_assert_eq(blk.dev.features >> DK_VBLK_F_FLUSH & 1u, 0);
    cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_FLUSH, 0, NULL, 0, 6, &why), DK_E_UNSUPPORTED);
    cr_assert_eq(why, DK_R_OPTIONAL_OP);
    cr_assert_eq(dk_virtq_inflight(&blk.q), 0);
}

/* The status byte is device-writable memory: only a value the device set
 * counts, and only OK is success (the test rewrites it as a device could). */
VT_BOTH(virtio_blk, status_byte_is_believed_only_when_set)
{
    struct vt_buf b = vt_buf(512);
    struct dk_vseg s = vt_seg(&b);
    struct dk_vdone d, none;
    volatile uint8_t *st;

    blk_up(ver, 0, VT_QSIZE);
    vt_posted(&b);
    d = blk_roundtrip(DK_VBLK_T_IN, 0, &s, 1, 1);
    st = &blk.status[d.head];
    cr_assert_eq(*st, 0);
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_OK);
    *st = 0xff; /* the preset: the device never answered */
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_E_DEVICE);
    *st = 1;
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_E_DEVICE);
    *st = 2;
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_E_UNSUPPORTED);
    *st = 7;
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_E_DEVICE);
    *st = 0;
    none = d;
    none.len = 0; /* nothing written, not even the status */
    cr_assert_eq(dk_vblk_complete(&blk, &none), DK_E_DEVICE);
    none.head = VT_QSIZE;
    cr_assert_eq(dk_vblk_complete(&blk, &none), DK_E_INVAL);
    cr_assert_eq(dk_vblk_complete(NULL, &d), DK_E_INVAL);
}

/*
 * Regression: a harvested completion whose head is handed out again before
 * the caller asks about it (the free list is LIFO, so the next submit takes
 * the same head and presets its status to 0xff) read as failed. virtio.h
 * now says to ask before the next submit, and dk_vblk_harvest reads the
 * status at harvest time: the first write still reads DK_OK.
 */
VT_BOTH(virtio_blk, complete_after_a_later_submit_reports_the_device_status)
{
    struct vt_buf a = vt_buf(512), b = vt_buf(512);
    struct dk_vseg sa = vt_seg(&a), sb = vt_seg(&b);
    struct dk_vdone first;
    enum dk_reason why;

    blk_up(ver, 0, VT_QSIZE);
    vt_fill(&a, 1);
    vt_fill(&b, 2);
    first = blk_roundtrip(DK_VBLK_T_OUT, 0, &sa, 1, 1);
    cr_assert_eq(dk_vblk_complete(&blk, &first), DK_OK);
    first.status = DK_E_INVAL;
    {
        struct dk_vdone d[2];
        unsigned n = 0;
        cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 1, &sb, 1, 2, &why), DK_OK);
        cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
        vt_advance(1000000);
        cr_assert_eq(dk_vblk_harvest(&blk, d, 2, &n, &why), DK_OK);
        cr_assert_eq(n, 1);
        /* the status was read at harvest: a submit reusing the head now
         * cannot change what this completion says */
        cr_assert_eq(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 2, &sb, 1, 3, &why), DK_OK);
        cr_assert_eq(d[0].status, DK_OK, "a successful write reads as failed after reuse");
    }
}

VT_BOTH(virtio_blk, read_only_device_refuses_writes)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    const struct dk_backend *spy;
    struct vt_buf b;
    struct dk_vseg s;
    struct dk_vdone d;
    enum dk_reason why;

    vt_sim_start(&c);
    b = vt_buf(512);
    s = vt_seg(&b);
    spy = vt_spy_install();
    vt_spy_read_only();
    cr_assert_eq(dk_vblk_init(&blk, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(blk.read_only, 1);
    snap();
    refused(dk_vblk_submit(&blk, DK_VBLK_T_OUT, 0, &s, 1, 1, &why), DK_E_DENIED, &why,
            DK_R_VIRTIO_READ_ONLY);
    vt_posted(&b);
    d = blk_roundtrip(DK_VBLK_T_IN, 0, &s, 1, 2);
    cr_assert_eq(dk_vblk_complete(&blk, &d), DK_OK);
}

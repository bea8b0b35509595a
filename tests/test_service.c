/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device service end to end, in both register layouts: wire frames in
 * through dk_svc_submit, simulated virtio devices underneath, fences out.
 * blk data round trips and retire-ordered fences; a waitset over two
 * clients' fences; what a wait on a younger frame's value does; the
 * accelerator's COPY/FILL/CSUM checked against the bytes and an FNV-1a
 * computed here; backpressure at every link of the chain (ticket queue,
 * client quota, virtqueue) with nothing lost; the BARRIER flag.
 * Faults are in test_service_fault.c, kill and reset in
 * test_service_life.c, the seeded campaign in test_campaign.c.
 */
#include "service_fixture.h"

static const uint32_t versions[2] = {2, 1};

/* ---- blk ---------------------------------------------------------------- */

/* Eight 4 KiB writes with completion jitter, then eight reads. Each frame
 * signals fence FA to its own ticket number, so after every pump the fence
 * must equal the retire watermark, whatever order the device completed in. */
static void blk_round_trip(uint32_t version)
{
    struct sv_opts o = {.version = version, .jitter = 6000, .seed = 7};
    uint8_t *src, *dst, *idva;
    uint32_t bsrc, bdst, bid, fa;
    uint16_t a;
    uint64_t t, v;
    unsigned i, out_of_order = 0;

    sv_setup(&o);
    a = sv_client(101, 64);
    bsrc = sv_buf(a, 8 * 4096, &src);
    bdst = sv_buf(a, 8 * 4096, &dst);
    bid = sv_buf(a, DK_VBLK_ID_BYTES, &idva);
    fa = sv_fence(a);
    for (i = 0; i < 8 * 4096; i++)
        src[i] = (uint8_t)(i * 131u + version);
    for (i = 0; i < 8; i++) {
        sv_frame();
        cr_assert_eq(dk_frame_add_buf(&F, bsrc, DK_BUF_READ, i * 4096u, 4096), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 40 + 8u * i, 0);
        cr_assert_eq(dk_frame_add_signal(&F, fa, i + 1u), DK_OK);
        t = sv_send_ok(101);
        cr_assert_eq(t, i + 1u);
    }
    while (dk_svc_inflight(&S) != 0) {
        sv_step(SV_DEADLINE / 4);
        cr_assert_eq(dk_fence_value(&FT, a, fa, &v, NULL), DK_OK);
        cr_assert_eq(v, dk_queue_watermark(&S.queue), "fence %llu, watermark %llu",
                     (unsigned long long)v, (unsigned long long)dk_queue_watermark(&S.queue));
    }
    for (i = 1; i < sv_norder; i++)
        out_of_order += sv_order[i] < sv_order[i - 1];
    cr_assert_gt(out_of_order, 0, "jitter should reorder completions (the proof needs it)");
    cr_assert_eq(memcmp(sv_disk + 40 * 512, src, 8 * 4096), 0, "RAM disk holds the pattern");

    /* Read back, each read waiting for the previous one's fence value. */
    for (i = 0; i < 8; i++) {
        sv_frame();
        cr_assert_eq(dk_frame_add_buf(&F, bdst, DK_BUF_WRITE, i * 4096u, 4096), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_READ, 40 + 8u * i, 0);
        cr_assert_eq(dk_frame_add_wait(&F, fa, 8u + i), DK_OK);
        cr_assert_eq(dk_frame_add_signal(&F, fa, 9u + i), DK_OK);
        (void)sv_send_ok(101);
    }
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, bid, DK_BUF_WRITE, 0, DK_VBLK_ID_BYTES), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_GET_ID, 0, 0);
    cr_assert_eq(dk_frame_add_signal(&F, fa, 17), DK_OK);
    (void)sv_send_ok(101);
    cr_assert_eq(sv_wait(a, fa, 17, 100u * SV_DEADLINE), DK_OK);
    cr_assert_eq(memcmp(src, dst, 8 * 4096), 0, "read back what was written");
    cr_assert_eq(memcmp(idva, "dk-sim-blk-", 11), 0);
    cr_assert(sv_drain(SV_DEADLINE));
    for (t = 1; t < S.queue.head; t++)
        cr_assert_eq(sv_t[t].outcome, DK_OUTCOME_OK);
    sv_check_exactly_once();
    sv_check_released();
    cr_assert_eq(S.stats.fences_signalled, 17);
    cr_assert_eq(S.stats.resets, 0);
}

Test(service_blk, write_read_compare_fences_in_retire_order)
{
    blk_round_trip(versions[0]);
    blk_round_trip(versions[1]);
}

/* A waitset (client A's view) over A's fence and B's fence, with the
 * service as the pump: ANY wakes on A's work while B's still waits on a
 * fence value nobody produced yet; ALL times out until that value comes,
 * then succeeds. */
static void waitset_two_clients(uint32_t version)
{
    struct sv_opts o = {.version = version};
    struct dk_waitset ws;
    uint8_t *va, *vb;
    uint32_t ba, bb, fa, fb, idx = 99;
    uint16_t a, b;

    sv_setup(&o);
    a = sv_client(101, 16);
    b = sv_client(102, 16);
    ba = sv_buf(a, 4096, &va);
    bb = sv_buf(b, 4096, &vb);
    fa = sv_fence(a);
    fb = sv_fence(b);
    cr_assert_eq(dk_fence_grant(&FT, b, fb, a, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&FT, a, fa, b, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    memset(va, 0x11, 4096);
    memset(vb, 0x22, 4096);

    sv_frame(); /* A: write, signal FA = 1 */
    cr_assert_eq(dk_frame_add_buf(&F, ba, DK_BUF_READ, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 0, 0);
    cr_assert_eq(dk_frame_add_signal(&F, fa, 1), DK_OK);
    (void)sv_send_ok(101);
    sv_frame(); /* B: wait FA >= 2, write, signal FB = 1 */
    cr_assert_eq(dk_frame_add_buf(&F, bb, DK_BUF_READ, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 8, 0);
    cr_assert_eq(dk_frame_add_wait(&F, fa, 2), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&F, fb, 1), DK_OK);
    (void)sv_send_ok(102);

    cr_assert_eq(dk_waitset_init(&ws, &FT), DK_OK);
    cr_assert_eq(dk_waitset_add(&ws, fa, 1, NULL), DK_OK);
    cr_assert_eq(dk_waitset_add(&ws, fb, 1, NULL), DK_OK);
    cr_assert_eq(dk_waitset_wait(&ws, a, DK_WAIT_ANY, dk_host_now(&H) + SV_DEADLINE / 2, sv_pump(),
                                 &idx, NULL),
                 DK_OK);
    cr_assert_eq(idx, 0);
    cr_assert_eq(dk_svc_inflight(&S), 1, "B's frame still waits for FA >= 2");
    cr_assert_eq(dk_waitset_wait(&ws, a, DK_WAIT_ALL, dk_host_now(&H) + SV_DEADLINE / 4, sv_pump(),
                                 &idx, NULL),
                 DK_E_TIMED_OUT);

    /* A's CPU side signals FA = 2 (a host event B's work waits for). */
    cr_assert_eq(dk_fence_signal(&FT, a, fa, 2, NULL), DK_OK);
    /* A CPU-side signal is no backend event, and a wait pumps only after
     * the backend's wait returns: the caller pumps once after signalling,
     * or B's frame would start only at the next device event. */
    cr_assert_eq(dk_svc_pump(&S, 0), DK_OK);
    cr_assert_eq(dk_waitset_wait(&ws, a, DK_WAIT_ALL, dk_host_now(&H) + SV_DEADLINE / 2, sv_pump(),
                                 &idx, NULL),
                 DK_OK);
    cr_assert_eq(memcmp(sv_disk, va, 4096), 0);
    cr_assert_eq(memcmp(sv_disk + 4096, vb, 4096), 0);
    cr_assert(sv_drain(SV_DEADLINE));
    sv_check_exactly_once();
    sv_check_released();
    cr_assert_eq(sv_t[2].outcome, DK_OUTCOME_OK);
}

Test(service_blk, waitset_any_all_over_two_clients)
{
    waitset_two_clients(versions[0]);
    waitset_two_clients(versions[1]);
}

/* Fences move with the retire watermark, so a frame that waits for a value
 * only a YOUNGER frame will signal cannot start before its deadline: the
 * younger frame resolves but cannot retire past it. The deadline resolves
 * the waiting frame TIMED_OUT (no reset, nobody named guilty: it never
 * reached the device); then the younger one retires and signals. */
Test(service_blk, wait_on_younger_frame_times_out_without_reset)
{
    struct sv_opts o = {0};
    uint32_t fa, fb;
    uint16_t a, b;
    uint64_t t1, t2;

    sv_setup(&o);
    a = sv_client(101, 16);
    b = sv_client(102, 16);
    fa = sv_fence(a);
    fb = sv_fence(b);
    cr_assert_eq(dk_fence_grant(&FT, a, fa, b, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    sv_frame(); /* B: wait FA >= 1, signal FB = 1 */
    cr_assert_eq(dk_frame_add_cmd(&F, DK_OP_NOP, NULL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_wait(&F, fa, 1), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&F, fb, 1), DK_OK);
    t1 = sv_send_ok(102);
    sv_frame(); /* A, later: signal FA = 1 */
    cr_assert_eq(dk_frame_add_cmd(&F, DK_OP_NOP, NULL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&F, fa, 1), DK_OK);
    t2 = sv_send_ok(101);
    cr_assert_eq(sv_t[t2].resolves, 1, "A's NOP resolved at once");
    cr_assert_eq(dk_queue_watermark(&S.queue), 0, "but cannot retire past B's frame");
    cr_assert_eq(sv_wait(b, fb, 1, 4u * SV_DEADLINE), DK_E_TIMED_OUT);
    cr_assert_eq(sv_t[t1].outcome, DK_OUTCOME_TIMED_OUT);
    cr_assert_eq(sv_wait(a, fa, 1, SV_DEADLINE), DK_OK, "A's signal landed once B retired");
    cr_assert_eq(S.stats.resets, 0);
    cr_assert_eq(dk_svc_guilty(&S), 0);
    cr_assert_eq(sv_audit_count(DK_AUDIT_TICKET_TIMEOUT), 1);
    cr_assert_eq(sv_audit_count(DK_AUDIT_GUILTY_CLIENT), 0);
    sv_check_exactly_once();
    sv_check_released();
}

/* ---- accelerator ------------------------------------------------------------ */

static void accel_ops(uint32_t version)
{
    struct sv_opts o = {.kind = DK_SVC_ACCEL, .version = version, .jitter = 500, .seed = 3};
    uint8_t *src, *dst, *fill;
    uint32_t bsrc, bdst, bfill, fa, len = 12288, i;
    uint64_t tc, tf, ts, ts2;
    uint16_t a;

    sv_setup(&o);
    a = sv_client(101, 16);
    bsrc = sv_buf(a, 16384, &src);
    bdst = sv_buf(a, 16384, &dst);
    bfill = sv_buf(a, 8192, &fill);
    fa = sv_fence(a);
    for (i = 0; i < 16384; i++)
        src[i] = (uint8_t)(i * 7u + 1u + version);
    memset(dst, 0, 16384);
    memset(fill, 0x5a, 8192);

    sv_frame(); /* COPY src[100, 100+len) -> dst[0, len) */
    cr_assert_eq(dk_frame_add_buf(&F, bsrc, DK_BUF_READ, 100, len), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, bdst, DK_BUF_WRITE, 0, len), DK_OK);
    sv_cmd_accel(DK_SVC_OP_COPY, 0, 1);
    cr_assert_eq(dk_frame_add_signal(&F, fa, 1), DK_OK);
    tc = sv_send_ok(101);
    sv_frame(); /* FILL fill[1000, 5000) with 0xc3 (value's low byte only) */
    cr_assert_eq(dk_frame_add_buf(&F, bfill, DK_BUF_WRITE, 1000, 4000), DK_OK);
    sv_cmd_accel(DK_SVC_OP_FILL, 0, 0x7700c3u);
    cr_assert_eq(dk_frame_add_signal(&F, fa, 2), DK_OK);
    tf = sv_send_ok(101);
    sv_frame(); /* CSUM src[5, 5+9000) */
    cr_assert_eq(dk_frame_add_buf(&F, bsrc, DK_BUF_READ, 5, 9000), DK_OK);
    sv_cmd_accel(DK_SVC_OP_CSUM, 0, 0);
    cr_assert_eq(dk_frame_add_signal(&F, fa, 3), DK_OK);
    ts = sv_send_ok(101);
    cr_assert_eq(sv_wait(a, fa, 3, 10u * SV_DEADLINE), DK_OK);
    cr_assert_eq(sv_t[tc].outcome, DK_OUTCOME_OK);
    cr_assert_eq(sv_t[tf].outcome, DK_OUTCOME_OK);
    cr_assert_eq(sv_t[ts].outcome, DK_OUTCOME_OK);
    cr_assert_eq(memcmp(dst, src + 100, len), 0, "COPY moved the bytes");
    for (i = len; i < 16384; i++)
        cr_assert_eq(dst[i], 0, "COPY wrote past its slice at %u", i);
    for (i = 0; i < 8192; i++)
        cr_assert_eq(fill[i], i >= 1000 && i < 5000 ? 0xc3 : 0x5a, "FILL byte %u", i);
    cr_assert_eq(sv_req(ts)->result, sv_fnv(src + 5, 9000), "CSUM is FNV-1a of the slice");

    /* CSUM after a COPY of the same destination, ordered by a wait. */
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, bdst, DK_BUF_READ, 0, len), DK_OK);
    sv_cmd_accel(DK_SVC_OP_CSUM, 0, 0);
    cr_assert_eq(dk_frame_add_wait(&F, fa, 3), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&F, fa, 4), DK_OK);
    ts2 = sv_send_ok(101);
    cr_assert_eq(sv_wait(a, fa, 4, 10u * SV_DEADLINE), DK_OK);
    cr_assert_eq(sv_req(ts2)->result, sv_fnv(src + 100, len));
    cr_assert(sv_drain(SV_DEADLINE));
    sv_check_exactly_once();
    sv_check_released();
}

Test(service_accel, copy_fill_csum)
{
    accel_ops(versions[0]);
    accel_ops(versions[1]);
}

/* Commands the device class does not run, and bad references, are refused
 * at submit and change nothing. */
Test(service_accel, refusals_change_nothing)
{
    struct sv_opts o = {.kind = DK_SVC_ACCEL};
    enum dk_reason why;
    uint8_t *va;
    uint32_t b;
    uint16_t a;

    sv_setup(&o);
    a = sv_client(101, 16);
    b = sv_buf(a, 4096, &va);
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, b, DK_BUF_WRITE, 0, 512), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_READ, 0, 0);
    cr_assert_eq(sv_send(101, NULL, &why), DK_E_UNSUPPORTED);
    cr_assert_eq(why, DK_R_SVC_OPCODE);
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, b, DK_BUF_READ, 0, 512), DK_OK);
    sv_cmd_accel(DK_SVC_OP_FILL, 0, 1); /* FILL needs a device-writable buffer */
    cr_assert_eq(sv_send(101, NULL, &why), DK_E_DENIED);
    cr_assert_eq(why, DK_R_SVC_ACCESS);
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, b, DK_BUF_WRITE, 0, 512), DK_OK);
    sv_cmd_accel(DK_SVC_OP_FILL, 1, 1); /* ref 1 does not exist */
    cr_assert_eq(sv_send(101, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_SVC_BUF_REF);
    cr_assert_eq(sv_send(999, NULL, &why), DK_E_NOT_FOUND, "unknown sender");
    cr_assert_eq(S.queue.head, 1, "no ticket issued");
    cr_assert_eq(S.stats.submitted, 0);
    cr_assert_eq(sv_rejects, 4);
    sv_check_released();
}

/* ---- backpressure ------------------------------------------------------------- */

/* Ticket queue full, then the client quota: refused with the expected
 * answer, nothing else changes, and every accepted ticket resolves once. */
static void queue_and_quota(uint32_t version)
{
    struct sv_opts o = {.version = version, .qcap = 8, .latency = 50000};
    enum dk_reason why;
    uint8_t *va, *vb;
    uint32_t ba, bb, i;
    uint16_t a, b;

    sv_setup(&o);
    a = sv_client(101, 3);
    b = sv_client(102, 64);
    ba = sv_buf(a, 4096, &va);
    bb = sv_buf(b, 4096, &vb);

    /* Client quota: A may have 3 unresolved tickets. */
    for (i = 0; i < 4; i++) {
        sv_frame();
        cr_assert_eq(dk_frame_add_buf(&F, ba, DK_BUF_READ, 0, 512), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, i, 0);
        if (i < 3)
            (void)sv_send_ok(101);
        else
            cr_assert_eq(sv_send(101, NULL, &why), DK_E_QUOTA);
    }
    cr_assert_eq(why, DK_R_CLIENT_INFLIGHT_Q);
    /* Ticket queue: 8 slots, 3 taken by A; B gets 5, the 6th is refused. */
    for (i = 0; i < 6; i++) {
        sv_frame();
        cr_assert_eq(dk_frame_add_buf(&F, bb, DK_BUF_READ, 0, 512), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 16 + i, 0);
        if (i < 5)
            (void)sv_send_ok(102);
        else
            cr_assert_eq(sv_send(102, NULL, &why), DK_E_QUEUE_FULL);
    }
    cr_assert_eq(S.queue.head - 1, 8);
    cr_assert_eq(S.stats.rejected[DK_E_QUOTA], 1);
    cr_assert_eq(S.stats.rejected[DK_E_QUEUE_FULL], 1);
    cr_assert_eq(sv_rejects, 2);
    cr_assert_eq(dk_sim_pending(&SIM), 8, "all eight went to the device");
    cr_assert(sv_drain(10u * SV_DEADLINE));
    sv_check_exactly_once();
    sv_check_released();
    /* Room again for both. */
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, ba, DK_BUF_READ, 0, 512), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 0, 0);
    (void)sv_send_ok(101);
    cr_assert(sv_drain(10u * SV_DEADLINE));
    sv_check_exactly_once();
    for (i = 1; i < S.queue.head; i++)
        cr_assert_eq(sv_t[i].outcome, DK_OUTCOME_OK);
}

Test(service_backpressure, ticket_queue_and_client_quota)
{
    queue_and_quota(versions[0]);
    queue_and_quota(versions[1]);
}

/* A virtqueue of 8 descriptors (two 3-descriptor blk requests, or with
 * indirect descriptors eight) under a ticket queue of 32: commands wait for
 * ring room and go out on later pumps; all data arrives, nothing is lost. */
static void small_ring(uint32_t version, uint64_t features, uint32_t per_ring)
{
    struct sv_opts o = {.version = version, .vq_size = 8, .features = features, .jitter = 900};
    uint8_t *va;
    uint32_t ba, i, j, max_ring = 0;
    uint64_t last_requests;
    unsigned grew = 0;
    uint16_t a;

    sv_setup(&o);
    a = sv_client(101, 64);
    ba = sv_buf(a, 64 * 512, &va);
    for (i = 0; i < 64 * 512; i++)
        va[i] = (uint8_t)(i ^ (i >> 9) ^ version);
    /* 28 one-command frames and one frame of 4 commands: 32 commands. */
    for (i = 0; i < 28; i++) {
        sv_frame();
        cr_assert_eq(dk_frame_add_buf(&F, ba, DK_BUF_READ, i * 512u, 512), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 100 + i, 0);
        (void)sv_send_ok(101);
    }
    sv_frame();
    for (j = 0; j < 4; j++) {
        cr_assert_eq(dk_frame_add_buf(&F, ba, DK_BUF_READ, (28 + j) * 512u, 512), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 128 + j, j);
    }
    (void)sv_send_ok(101);
    cr_assert_eq(S.stats.device_requests, per_ring, "only what fits went out");
    last_requests = S.stats.device_requests;
    while (dk_svc_inflight(&S) != 0) {
        uint32_t inring = dk_virtq_inflight(&S.dev.blk.q);
        if (inring > max_ring)
            max_ring = inring;
        sv_step(SV_DEADLINE / 4);
        grew += S.stats.device_requests > last_requests;
        last_requests = S.stats.device_requests;
        cr_assert_lt(dk_host_now(&H), SV_T0 + 20ull * SV_DEADLINE);
    }
    cr_assert_leq(max_ring, per_ring);
    cr_assert_geq(grew, 32 / per_ring - 1, "later pumps posted the rest");
    cr_assert_eq(S.stats.device_requests, 32);
    cr_assert_eq(S.stats.device_completions, 32);
    cr_assert_eq(memcmp(sv_disk + 100 * 512, va, 32 * 512), 0);
    sv_check_exactly_once();
    sv_check_released();
    for (i = 1; i < S.queue.head; i++)
        cr_assert_eq(sv_t[i].outcome, DK_OUTCOME_OK);
    cr_assert_eq(S.stats.resets, 0);
}

Test(service_backpressure, virtqueue_smaller_than_ticket_queue)
{
    small_ring(versions[0], 0, 2);
    small_ring(versions[1], 0, 2);
    small_ring(versions[0], 1ull << DK_VIRTIO_F_INDIRECT_DESC, 8);
    small_ring(versions[1], 1ull << DK_VIRTIO_F_INDIRECT_DESC | 1ull << DK_VIRTIO_F_EVENT_IDX, 8);
}

/* ---- frame flags ---------------------------------------------------------------- */

/* Regression: DK_WIRE_F_BARRIER ("start only after the client's earlier
 * work retired", wire.h) was accepted and ignored: a barrier READ went to
 * the device next to the WRITE it had to follow. Only the same client's
 * earlier work holds a barrier frame back. */
static void barrier(uint32_t version)
{
    struct sv_opts o = {.version = version, .latency = 20000, .jitter = 20000, .seed = 11};
    uint8_t *va, *vb, *vc;
    uint32_t ba, bb, bc, i;
    uint64_t tb, tr;
    uint16_t a, b;

    sv_setup(&o);
    a = sv_client(101, 16);
    b = sv_client(102, 16);
    ba = sv_buf(a, 4096, &va);
    bb = sv_buf(a, 4096, &vb);
    bc = sv_buf(b, 4096, &vc);
    for (i = 0; i < 4096; i++)
        va[i] = (uint8_t)(i * 5u + version);
    sv_frame(); /* B: unrelated slow work, older than A's */
    cr_assert_eq(dk_frame_add_buf(&F, bc, DK_BUF_READ, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 128, 0);
    tb = sv_send_ok(102);
    sv_frame(); /* A: write */
    cr_assert_eq(dk_frame_add_buf(&F, ba, DK_BUF_READ, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 16, 0);
    (void)sv_send_ok(101);
    cr_assert_eq(dk_frame_init(&F, DK_QOS_NORMAL, DK_WIRE_F_BARRIER), DK_OK); /* A: read it */
    cr_assert_eq(dk_frame_add_buf(&F, bb, DK_BUF_WRITE, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_READ, 16, 0);
    tr = sv_send_ok(101);
    cr_assert_eq(S.stats.device_requests, 2, "the barrier frame is held back");
    cr_assert_eq(sv_req(tr)->state, DK_SVC_WAITING);
    cr_assert(sv_drain(10u * SV_DEADLINE));
    cr_assert_eq(sv_t[tr].outcome, DK_OUTCOME_OK);
    cr_assert_eq(memcmp(vb, va, 4096), 0, "the read saw the write");
    cr_assert_eq(sv_t[tb].outcome, DK_OUTCOME_OK);
    sv_check_exactly_once();
    sv_check_released();

    /* B's older work does not hold A's barrier frame. */
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, bc, DK_BUF_READ, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 128, 0);
    (void)sv_send_ok(102);
    cr_assert_eq(dk_frame_init(&F, DK_QOS_NORMAL, DK_WIRE_F_BARRIER), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, bb, DK_BUF_WRITE, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_READ, 16, 0);
    tr = sv_send_ok(101);
    cr_assert_eq(sv_req(tr)->state, DK_SVC_RUNNING);
    cr_assert(sv_drain(10u * SV_DEADLINE));
    sv_check_exactly_once();
}

Test(service_blk, barrier_frame_starts_after_the_clients_earlier_work)
{
    barrier(versions[0]);
    barrier(versions[1]);
}

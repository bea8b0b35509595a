/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dk_submit_frame() is all or nothing (include/driverkit/submit.h): for every
 * way it can refuse, the whole state (queue and its slots, fence table and
 * slots, buffer table and slots, ledger and client slots, device, host backend
 * and its VMO arena) is byte-identical after the refusal, and the status and
 * reason are the documented ones. Identity comes only from the client
 * parameter. The accepted path and a submission's life are in
 * test_submit_life.c.
 */
#include "submit_fixture.h"

/* The context a case submits with (a case may swap in a partial one). */
static struct dk_submit_ctx CTX2;
static const struct dk_submit_ctx *use_ctx;
static uint16_t sub_client;

/* ---- setup hooks: each builds one reason to refuse on top of the fixture ---- */

static void dev_resetting(void)
{
    cr_assert_eq(dk_device_reset_begin(&D, NULL), DK_OK);
}
static void dev_faulted(void)
{
    cr_assert_eq(dk_device_fault(&D, DK_R_OS_ERROR, NULL), DK_OK);
}
static void dev_offline(void)
{
    cr_assert_eq(dk_device_init(&D, 7, NULL), DK_OK);
}

static void buf_not_owned(void)
{
    F.bufs[1].handle = BB;
}
static void buf_never_issued(void)
{
    F.bufs[1].handle = DK_HANDLE_MAKE(SF_NBUFS - 1, 0);
}

static void buf_stale(void)
{
    uint32_t x;

    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ, &x, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&BT, A, x, NULL), DK_OK);
    F.bufs[1].handle = x;
}

static void buf_slice_past_end(void)
{
    F.bufs[1].offset = SF_BUFSIZE - 63;
}
static void buf_slice_offset_at_end(void)
{
    F.bufs[1].offset = SF_BUFSIZE;
    F.bufs[1].length = 1;
}
static void buf_sealed(void)
{
    cr_assert_eq(dk_buf_seal(&BT, A, BA_RW, NULL), DK_OK);
}
static void buf_no_write_right(void)
{
    F.bufs[1].access = DK_BUF_READ | DK_BUF_WRITE;
}

static void buf_no_read_right(void)
{
    uint32_t w;

    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_WRITE, &w, NULL), DK_OK);
    F.bufs[1].handle = w;
}

/* One pin of room left, and the frame names the buffer twice. */
static void buf_pin_overflow(void)
{
    for (uint32_t i = 0; i < DK_BUF_PINS_MAX - 1; i++)
        cr_assert_eq(dk_buf_pin(&BT, A, BA_R, NULL), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, BA_R, DK_BUF_READ, 0, 1), DK_OK);
}

/* Ref 1 names the same buffer as ref 0, which passes: the repeat is
 * checked without a second lookup (dk_buf_slice_again) and must still be
 * refused for its own slice and access. */
static void repeat_slice_past_end(void)
{
    F.bufs[1] = F.bufs[0];
    F.bufs[1].offset = SF_BUFSIZE - 63;
}
static void repeat_sealed(void)
{
    F.bufs[0].access = DK_BUF_READ;
    F.bufs[1] = F.bufs[0];
    F.bufs[1].access = DK_BUF_WRITE;
    cr_assert_eq(dk_buf_seal(&BT, A, BA_RW, NULL), DK_OK);
}
static void repeat_no_write_right(void)
{
    F.bufs[0] = F.bufs[1];
    F.bufs[1].access = DK_BUF_READ | DK_BUF_WRITE;
}

static void wait_no_right(void)
{
    cr_assert_eq(dk_fence_grant(&FT, C, FC, A, DK_FENCE_RIGHT_SIGNAL, NULL), DK_OK);
    F.waits[0].fence = FC;
}
static void wait_not_holder(void)
{
    F.waits[0].fence = FC;
}
static void wait_too_far(void)
{
    F.waits[0].value = SF_MAX_JUMP + 1;
}

static void wait_too_far_of_current(void)
{
    cr_assert_eq(dk_fence_signal(&FT, B, FB, 40, NULL), DK_OK);
    F.waits[0].value = 40 + SF_MAX_JUMP + 1;
}

/* Signal 0 (A's FA) passes; signal 1 on B's fence, where A may only wait. */
static void signal_no_right(void)
{
    cr_assert_eq(dk_frame_add_signal(&F, FB, 5), DK_OK);
}
static void signal_failed(void)
{
    cr_assert_eq(dk_fence_fail(&FT, A, FA, 1, DK_E_DEVICE, NULL), DK_OK);
}

static void signal_equal_current(void)
{
    cr_assert_eq(dk_fence_signal(&FT, A, FA, 5, NULL), DK_OK);
    F.signals[0].value = 5;
}
static void signal_below_current(void)
{
    cr_assert_eq(dk_fence_signal(&FT, A, FA, 5, NULL), DK_OK);
    F.signals[0].value = 3;
}

/* An accepted frame already promised FA -> 10. */
static void promise_10(void)
{
    static struct dk_frame p;

    cr_assert_eq(dk_frame_init(&p, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&p, FA, 10), DK_OK);
    cr_assert_eq(sf_submit(A, &p, NULL), DK_OK);
}
static void signal_equal_promised(void)
{
    promise_10();
    F.signals[0].value = 10;
}
static void signal_below_promised(void)
{
    promise_10();
    F.signals[0].value = 7;
}

static void signal_jump(void)
{
    F.signals[0].value = SF_MAX_JUMP + 1;
}
static void signal_jump_of_current(void)
{
    cr_assert_eq(dk_fence_signal(&FT, A, FA, 50, NULL), DK_OK);
    F.signals[0].value = 50 + SF_MAX_JUMP + 1;
}

/* Ticket 1 stays open; tickets 2..8 resolve but cannot retire past it. */
static void queue_ring_full(void)
{
    sf_submit_empty(B, DK_QOS_NORMAL);
    for (unsigned i = 1; i < SF_QCAP; i++) {
        sf_submit_empty(B, DK_QOS_NORMAL);
        cr_assert_eq(dk_queue_resolve(&Q, recs[nrecs - 1].ticket, DK_OUTCOME_OK, NULL), DK_OK);
    }
    cr_assert_eq(dk_queue_inflight(&Q), 1);
}

static void queue_inflight_cap(void)
{
    sf_queue(2, 0);
    sf_submit_empty(B, DK_QOS_IDLE);
    sf_submit_empty(C, DK_QOS_IDLE);
}

static void queue_qos_depth(void)
{
    sf_queue(0, 1);
    sf_submit_empty(B, DK_QOS_NORMAL);
    sf_submit_empty(B, DK_QOS_IDLE); /* other classes still flow */
}

static void client_quota(void)
{
    for (unsigned i = 0; i < SF_A_INFLIGHT; i++)
        sf_submit_empty(A, DK_QOS_IDLE);
}

static void global_budget(void)
{
    for (unsigned i = 0; i < SF_GLOBAL_INFLIGHT / 2; i++) {
        sf_submit_empty(A, DK_QOS_IDLE);
        sf_submit_empty(B, DK_QOS_IDLE);
    }
    cr_assert_lt(sf_used(A, DK_RES_INFLIGHT), SF_A_INFLIGHT);
}

static void frame_not_valid(void)
{
    F.magic = 0;
}

static void client_unregistered(void)
{
    cr_assert_eq(dk_frame_init(&F, DK_QOS_NORMAL, 0), DK_OK);
    sub_client = UNREG;
}

static void ctx_without_bufs(void)
{
    CTX2 = CTX;
    CTX2.bufs = NULL;
    use_ctx = &CTX2;
}

/* The documented order of the checks: device, buffers, waits, signals, queue. */
static void order_device_first(void)
{
    dev_resetting();
    buf_not_owned();
}
static void order_bufs_before_waits(void)
{
    buf_sealed();
    wait_too_far();
}
static void order_waits_before_signals(void)
{
    wait_not_holder();
    signal_jump();
}
static void order_signals_before_queue(void)
{
    client_quota();
    signal_failed();
}

struct refusal {
    const char *what;
    void (*setup)(void);
    int status;
    enum dk_reason reason;
};

static const struct refusal refusals[] = {
    {"device resetting", dev_resetting, DK_E_RESETTING, DK_R_DEV_RESETTING},
    {"device faulted", dev_faulted, DK_E_FAULTED, DK_R_DEV_FAULTED},
    {"device offline", dev_offline, DK_E_STATE, DK_R_DEV_OFFLINE},
    {"buffer of another client", buf_not_owned, DK_E_NOT_FOUND, DK_R_NOT_OWNER},
    {"buffer handle never issued", buf_never_issued, DK_E_NOT_FOUND, DK_R_BAD_HANDLE},
    {"stale buffer handle", buf_stale, DK_E_STALE, DK_R_STALE_HANDLE},
    {"slice past the buffer's end", buf_slice_past_end, DK_E_RANGE, DK_R_SLICE_OOB},
    {"slice offset at the end", buf_slice_offset_at_end, DK_E_RANGE, DK_R_SLICE_OOB},
    {"write access to a sealed buffer", buf_sealed, DK_E_SEALED, DK_R_BUF_SEALED},
    {"write access without the WRITE right", buf_no_write_right, DK_E_DENIED, DK_R_NO_WRITE_RIGHT},
    {"read access without the READ right", buf_no_read_right, DK_E_DENIED, DK_R_NO_READ_RIGHT},
    {"pins: one left, frame names the buffer twice", buf_pin_overflow, DK_E_NO_SPACE,
     DK_R_PIN_OVERFLOW},
    {"repeated ref: slice past the end", repeat_slice_past_end, DK_E_RANGE, DK_R_SLICE_OOB},
    {"repeated ref: write access to a sealed buffer", repeat_sealed, DK_E_SEALED, DK_R_BUF_SEALED},
    {"repeated ref: write access without the WRITE right", repeat_no_write_right, DK_E_DENIED,
     DK_R_NO_WRITE_RIGHT},
    {"wait with SIGNAL but no WAIT right", wait_no_right, DK_E_DENIED, DK_R_NO_WAIT_RIGHT},
    {"wait on a fence A holds no right on", wait_not_holder, DK_E_NOT_FOUND, DK_R_NOT_OWNER},
    {"wait max_jump + 1 ahead of 0", wait_too_far, DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR},
    {"wait max_jump + 1 ahead of 40", wait_too_far_of_current, DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR},
    {"signal with WAIT but no SIGNAL right", signal_no_right, DK_E_DENIED, DK_R_NO_SIGNAL_RIGHT},
    {"signal a failed fence", signal_failed, DK_E_STATE, DK_R_FENCE_FAILED},
    {"signal == current value", signal_equal_current, DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK},
    {"signal < current value", signal_below_current, DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK},
    {"signal == a promised value", signal_equal_promised, DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK},
    {"signal < a promised value", signal_below_promised, DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK},
    {"signal max_jump + 1 ahead of 0", signal_jump, DK_E_MALFORMED, DK_R_WIRE_SIGNAL_JUMP},
    {"signal max_jump + 1 ahead of 50", signal_jump_of_current, DK_E_MALFORMED,
     DK_R_WIRE_SIGNAL_JUMP},
    {"queue ticket window full", queue_ring_full, DK_E_QUEUE_FULL, DK_R_RING_FULL},
    {"queue in-flight cap", queue_inflight_cap, DK_E_QUEUE_FULL, DK_R_INFLIGHT_CAP},
    {"QoS class depth", queue_qos_depth, DK_E_QUEUE_FULL, DK_R_QOS_DEPTH},
    {"client in-flight quota", client_quota, DK_E_QUOTA, DK_R_CLIENT_INFLIGHT_Q},
    {"global in-flight budget", global_budget, DK_E_NO_SPACE, DK_R_GLOBAL_INFLIGHT},
    {"frame not validated", frame_not_valid, DK_E_INVAL, DK_R_NOT_INIT},
    {"client slot not registered", client_unregistered, DK_E_NOT_FOUND, DK_R_BAD_CLIENT},
    {"buffer refs without a buffer table", ctx_without_bufs, DK_E_INVAL, DK_R_NULL_ARG},
    {"order: device before buffers", order_device_first, DK_E_RESETTING, DK_R_DEV_RESETTING},
    {"order: buffers before waits", order_bufs_before_waits, DK_E_SEALED, DK_R_BUF_SEALED},
    {"order: waits before signals", order_waits_before_signals, DK_E_NOT_FOUND, DK_R_NOT_OWNER},
    {"order: signals before the queue", order_signals_before_queue, DK_E_STATE, DK_R_FENCE_FAILED},
};

/* Every case of the table, submitted through dk_submit_frame() or, given
 * @slices, through dk_submit_frame_slices() with that scratch. */
static void refuse_every_case(struct dk_slice *slices)
{
    for (size_t k = 0; k < DK_ARRAY_LEN(refusals); k++) {
        const struct refusal *c = &refusals[k];
        struct dk_submission rec;
        enum dk_reason why = DK_R_NONE;
        int rc;

        sf_setup();
        use_ctx = &CTX;
        sub_client = A;
        c->setup();
        if (F.magic == DK_FRAME_VALID)
            cr_assert_neq(dk_wire_size(&F), 0, "[%s] the frame itself breaks a wire rule", c->what);
        cr_assert_eq(dk_ledger_check(&L), DK_OK, "[%s]", c->what);
        sf_take(&sf_before);
        memset(&rec, 0, sizeof(rec));
        if (slices != NULL)
            rc = dk_submit_frame_slices(use_ctx, sub_client, &F, 99, &rec, slices, &why);
        else
            rc = dk_submit_frame(use_ctx, sub_client, &F, 99, &rec, &why);
        cr_expect_eq(rc, c->status, "[%s] status %s, expected %s", c->what, dk_status_str(rc),
                     dk_status_str(c->status));
        cr_expect_eq(why, c->reason, "[%s] reason %s, expected %s", c->what, dk_reason_str(why),
                     dk_reason_str(c->reason));
        sf_expect_unchanged(c->what);
        cr_expect_eq(dk_ledger_check(&L), DK_OK, "[%s]", c->what);
    }
}

Test(submit, every_refusal_changes_nothing)
{
    refuse_every_case(NULL);
}

/* The same refusals through dk_submit_frame_slices(): the scratch may be
 * scribbled on, nothing else may change. */
Test(submit, every_refusal_with_slices_changes_nothing)
{
    static struct dk_slice slices[DK_WIRE_BUFS_MAX];

    refuse_every_case(slices);
}

/* Each reason dk_submit_frame's documentation names has a case above. */
Test(submit, table_covers_every_documented_refusal)
{
    static const enum dk_reason documented[] = {
        DK_R_DEV_RESETTING,     DK_R_DEV_FAULTED,     DK_R_DEV_OFFLINE,  DK_R_NOT_OWNER,
        DK_R_BAD_HANDLE,        DK_R_STALE_HANDLE,    DK_R_SLICE_OOB,    DK_R_BUF_SEALED,
        DK_R_NO_WRITE_RIGHT,    DK_R_NO_READ_RIGHT,   DK_R_PIN_OVERFLOW, DK_R_NO_WAIT_RIGHT,
        DK_R_WAIT_TOO_FAR,      DK_R_NO_SIGNAL_RIGHT, DK_R_FENCE_FAILED, DK_R_VALUE_ROLLBACK,
        DK_R_WIRE_SIGNAL_JUMP,  DK_R_RING_FULL,       DK_R_INFLIGHT_CAP, DK_R_QOS_DEPTH,
        DK_R_CLIENT_INFLIGHT_Q, DK_R_GLOBAL_INFLIGHT, DK_R_NOT_INIT,     DK_R_BAD_CLIENT,
        DK_R_NULL_ARG,
    };

    for (size_t i = 0; i < DK_ARRAY_LEN(documented); i++) {
        unsigned n = 0;
        for (size_t k = 0; k < DK_ARRAY_LEN(refusals); k++)
            n += refusals[k].reason == documented[i];
        cr_expect_gt(n, 0, "no refusal case for %s", dk_reason_str(documented[i]));
    }
}

/* The pin check counts exactly: the last pin of room is usable. */
Test(submit, last_pin_of_room_is_accepted, .init = sf_setup)
{
    for (uint32_t i = 0; i < DK_BUF_PINS_MAX - 1; i++)
        cr_assert_eq(dk_buf_pin(&BT, A, BA_R, NULL), DK_OK);
    cr_assert_eq(sf_submit(A, &F, NULL), DK_OK);
    cr_assert_eq(sf_pins(A, BA_R), DK_BUF_PINS_MAX);
}

/* SECURITY: nothing in a frame names a client. The same bytes submitted for
 * B's transport id are judged against B's objects; for A's, against A's. */
Test(submit, identity_comes_only_from_the_parameter, .init = sf_setup)
{
    static uint8_t bytes[DK_WIRE_FRAME_MAX];
    static struct dk_frame parsed;
    enum dk_reason why = DK_R_NONE;
    uint16_t slot_a = 0xffff, slot_b = 0xffff;
    size_t len = 0;

    cr_assert_eq(dk_wire_encode(&F, bytes, sizeof(bytes), &len, NULL), DK_OK);
    cr_assert_eq(dk_wire_parse(&parsed, bytes, len, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_find(&L, 502, &slot_b), DK_OK);
    cr_assert_eq(dk_ledger_client_find(&L, 501, &slot_a), DK_OK);
    cr_assert_eq(slot_b, B);

    sf_take(&sf_before);
    cr_assert_eq(dk_submit_frame(&CTX, slot_b, &parsed, 0, &recs[0], &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_NOT_OWNER); /* A's buffer handles mean nothing for B */
    sf_expect_unchanged("frame for B");
    /* B's own buffer in the same position is B's to use, and A's is not. */
    parsed.bufs[0].handle = BB;
    parsed.n_bufs = 1;
    cr_assert_eq(dk_submit_frame(&CTX, slot_b, &parsed, 0, &recs[0], &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_NOT_OWNER, "B may not signal A's fence: %s", dk_reason_str(why));

    cr_assert_eq(dk_wire_parse(&parsed, bytes, len, NULL), DK_OK);
    cr_assert_eq(dk_submit_frame(&CTX, slot_a, &parsed, 0, &recs[0], &why), DK_OK);
    nrecs = 1;
    cr_assert_eq(recs[0].client, A);
    cr_assert_eq(sf_used(A, DK_RES_INFLIGHT), 1);
    cr_assert_eq(sf_used(B, DK_RES_INFLIGHT), 0);
}

/* ---- dk_submit_frame_slices() and the pin room ---- */

static struct dk_frame F2;

/* Pin @buf of A's directly until it holds @pins pins. */
static void pin_to(uint32_t buf, uint32_t pins)
{
    for (uint32_t n = sf_pins(A, buf); n < pins; n++)
        cr_assert_eq(dk_buf_pin(&BT, A, buf, NULL), DK_OK);
    cr_assert_eq(sf_pins(A, buf), pins);
}

/* Resolve @r's ticket OK; the retire hook settles (and unpins) it. */
static void settle(struct dk_submission *r)
{
    sf_auto_retire = 1;
    cr_assert_eq(dk_queue_resolve(&Q, r->ticket, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(r->state, DK_SUB_RETIRED);
}

/* Several refs, three handles, repeats, different offsets and access: each
 * slice is what dk_buf_slice() gives for its ref, nothing past the frame's
 * refs is written, and each buffer holds one pin per ref that names it. */
Test(submit, slices_are_what_dk_buf_slice_gives, .init = sf_setup)
{
    static struct dk_slice slices[DK_WIRE_BUFS_MAX];
    static const uint8_t untouched[sizeof(slices)] = {0};
    enum dk_reason why = DK_R_BAD_ENUM;
    struct dk_submission *r = &recs[0];
    uint32_t bx;

    cr_assert_eq(dk_buf_create(&BT, A, 2 * SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &bx, NULL),
                 DK_OK);
    /* F holds BA_RW WRITE [0, 256) and BA_R READ [128, 192) already. */
    cr_assert_eq(dk_frame_add_buf(&F, bx, DK_BUF_READ | DK_BUF_WRITE, SF_BUFSIZE, SF_BUFSIZE),
                 DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, BA_RW, DK_BUF_READ, SF_BUFSIZE - 1, 1), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, BA_R, DK_BUF_READ, 128, 64), DK_OK); /* an exact repeat */
    cr_assert_eq(dk_frame_add_buf(&F, bx, DK_BUF_READ, 0, 1), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, BA_RW, DK_BUF_READ | DK_BUF_WRITE, 1000, 24), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, BA_R, DK_BUF_READ, 0, SF_BUFSIZE), DK_OK);
    memset(slices, 0, sizeof(slices));

    cr_assert_eq(dk_submit_frame_slices(&CTX, A, &F, 0, r, slices, &why), DK_OK, "%s",
                 dk_reason_str(why));
    nrecs = 1;
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_eq(r->n_bufs, F.n_bufs);
    for (uint32_t i = 0; i < F.n_bufs; i++) {
        const struct dk_wire_buf *b = &F.bufs[i];
        struct dk_slice want;
        struct dk_buf info;

        cr_assert_eq(dk_buf_slice(&BT, A, b->handle, b->offset, b->length, b->access, &want, NULL),
                     DK_OK, "ref %u", i);
        cr_assert_eq(dk_buf_info(&BT, A, b->handle, &info), DK_OK);
        cr_assert_eq(slices[i].offset, want.offset, "ref %u offset", i);
        cr_assert_eq(slices[i].length, want.length, "ref %u length", i);
        cr_assert_eq(slices[i].dma_addr, want.dma_addr, "ref %u dma_addr", i);
        cr_assert_eq(slices[i].dma_addr, info.dma_addr + b->offset, "ref %u dma_addr", i);
        cr_assert_eq(slices[i].buf, b->handle, "ref %u handle", i);
        cr_assert_eq(slices[i].access, b->access, "ref %u access", i);
        cr_assert_eq(r->bufs[i], b->handle, "ref %u in the record", i);
    }
    cr_assert_eq(
        memcmp(&slices[F.n_bufs], untouched, sizeof(slices) - F.n_bufs * sizeof(slices[0])), 0,
        "a slice past the frame's refs was written");
    cr_assert_eq(sf_pins(A, BA_RW), 3);
    cr_assert_eq(sf_pins(A, BA_R), 3);
    cr_assert_eq(sf_pins(A, bx), 2);
    cr_assert_eq(dk_submit_release(&CTX, r), DK_OK);
    cr_assert_eq(sf_pins(A, BA_RW), 0);
    cr_assert_eq(sf_pins(A, BA_R), 0);
    cr_assert_eq(sf_pins(A, bx), 0);
}

/* Runs of one handle next to each other: every ref of a run gets its own
 * slice and pin, the release takes each run's pins in one go, and a buffer
 * destroyed while pinned is reclaimed by that release. */
Test(submit, adjacent_repeats_pin_and_release_per_ref, .init = sf_setup)
{
    static struct dk_slice slices[DK_WIRE_BUFS_MAX];
    static const struct {
        int which; /* 0 BA_RW, 1 BA_R, 2 bx */
        unsigned access;
        uint64_t offset, length;
    } refs[] = {
        {2, DK_BUF_READ, 0, 8},   {2, DK_BUF_WRITE, 8, 8}, {2, DK_BUF_READ, 16, 16},
        {1, DK_BUF_READ, 0, 4},   {1, DK_BUF_READ, 0, 4},  {0, DK_BUF_WRITE, 512, 512},
        {2, DK_BUF_WRITE, 64, 1},
    };
    enum dk_reason why = DK_R_BAD_ENUM;
    struct dk_submission *r = &recs[0];
    struct dk_buf info;
    uint32_t bx, h[3], live = BT.live;

    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &bx, NULL), DK_OK);
    h[0] = BA_RW;
    h[1] = BA_R;
    h[2] = bx;
    F.n_bufs = 0;
    for (size_t i = 0; i < DK_ARRAY_LEN(refs); i++)
        cr_assert_eq(
            dk_frame_add_buf(&F, h[refs[i].which], refs[i].access, refs[i].offset, refs[i].length),
            DK_OK);
    cr_assert_eq(dk_submit_frame_slices(&CTX, A, &F, 0, r, slices, &why), DK_OK, "%s",
                 dk_reason_str(why));
    nrecs = 1;
    for (uint32_t i = 0; i < F.n_bufs; i++) {
        struct dk_slice want;

        cr_assert_eq(dk_buf_slice(&BT, A, F.bufs[i].handle, F.bufs[i].offset, F.bufs[i].length,
                                  F.bufs[i].access, &want, NULL),
                     DK_OK);
        cr_assert_eq(memcmp(&slices[i], &want, sizeof(want)), 0, "ref %u", i);
    }
    cr_assert_eq(sf_pins(A, bx), 4);
    cr_assert_eq(sf_pins(A, BA_R), 2);
    cr_assert_eq(sf_pins(A, BA_RW), 1);
    /* Destroyed while the submission pins it: BUSY, doomed until the last unpin. */
    cr_assert_eq(dk_buf_destroy(&BT, A, bx, NULL), DK_E_BUSY);
    cr_assert_eq(dk_submit_release(&CTX, r), DK_OK);
    cr_assert_eq(sf_pins(A, BA_R), 0);
    cr_assert_eq(sf_pins(A, BA_RW), 0);
    cr_assert_neq(dk_buf_info(&BT, A, bx, &info), DK_OK);
    cr_assert_eq(BT.live, live, "the doomed buffer was not reclaimed");
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

/* NULL slices: the same state, byte for byte, and the same record as
 * dk_submit_frame() leaves. */
Test(submit, null_slices_is_dk_submit_frame)
{
    static struct dk_submission by_frame;
    enum dk_reason why = DK_R_BAD_ENUM;

    sf_setup();
    cr_assert_eq(dk_frame_add_buf(&F, BA_R, DK_BUF_READ, 0, 8), DK_OK);
    cr_assert_eq(dk_submit_frame(&CTX, A, &F, 5, &by_frame, &why), DK_OK);
    sf_take(&sf_before);

    sf_setup();
    cr_assert_eq(dk_frame_add_buf(&F, BA_R, DK_BUF_READ, 0, 8), DK_OK);
    why = DK_R_BAD_ENUM;
    cr_assert_eq(dk_submit_frame_slices(&CTX, A, &F, 5, &recs[0], NULL, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    sf_expect_unchanged("slices NULL against dk_submit_frame");
    cr_assert_eq(memcmp(&recs[0], &by_frame, sizeof(by_frame)), 0, "records differ");
    cr_assert_eq(sf_pins(A, BA_R), 2);
}

/*
 * Pin room at its edge. Before the frame BA_R and BA_RW have room_r and
 * room_rw pins left; the frame holds n_r, n_rw and n_x refs to BA_R, BA_RW
 * and a fresh buffer. A frame with more refs than a handle's room must have
 * that handle's repeats counted exactly, not be refused by its size alone.
 */
struct pin_case {
    uint32_t room_r, room_rw;
    unsigned n_r, n_rw, n_x;
    int status;
};

#define ALL DK_BUF_PINS_MAX

static const struct pin_case pin_cases[] = {
    {1, ALL, 1, 0, 0, DK_OK},
    {1, ALL, 2, 0, 0, DK_E_NO_SPACE},
    {64, ALL, 64, 0, 0, DK_OK},         /* repeats fill the room exactly */
    {63, ALL, 64, 0, 0, DK_E_NO_SPACE}, /* one more than the room */
    {63, ALL, 63, 0, 1, DK_OK},         /* more refs than room, repeats fit */
    {17, ALL, 17, 40, 7, DK_OK},
    {17, ALL, 18, 40, 6, DK_E_NO_SPACE},
    {1, ALL, 1, 0, 63, DK_OK}, /* one ref to a full-but-one handle among others */
    {1, ALL, 1, 63, 0, DK_OK},
    {0, ALL, 1, 0, 63, DK_E_NO_SPACE}, /* no room at all */
    {2, ALL, 2, 0, 62, DK_OK},
    {2, ALL, 3, 0, 61, DK_E_NO_SPACE},
    {1, 2, 1, 2, 61, DK_OK}, /* two handles near the cap */
    {1, 2, 1, 3, 60, DK_E_NO_SPACE},
    {1, 2, 2, 2, 60, DK_E_NO_SPACE},
};

/* The handles of a frame's refs in one of three placements: BA_R's refs
 * first, last, or dealt out in turn with the others. */
static void pin_case_order(const struct pin_case *c, unsigned placement, uint32_t bx, uint32_t *h)
{
    unsigned left[3] = {c->n_r, c->n_rw, c->n_x}, n = c->n_r + c->n_rw + c->n_x, i, k;
    const uint32_t handle[3] = {BA_R, BA_RW, bx};

    for (i = 0, k = placement == 1 ? 2 : 0; i < n; i++) {
        while (left[k] == 0)
            k = placement == 1 ? (k + 2) % 3 : (k + 1) % 3;
        h[i] = handle[k];
        left[k]--;
        if (placement == 2)
            k = (k + 1) % 3;
    }
}

Test(submit, pin_room_counts_repeats_exactly)
{
    static struct dk_slice slices[DK_WIRE_BUFS_MAX];

    for (size_t k = 0; k < DK_ARRAY_LEN(pin_cases); k++) {
        for (unsigned placement = 0; placement < 3; placement++) {
            const struct pin_case *c = &pin_cases[k];
            struct dk_submission *r = &recs[0];
            enum dk_reason why = DK_R_BAD_ENUM;
            uint32_t bx, h[DK_WIRE_BUFS_MAX];
            unsigned n = c->n_r + c->n_rw + c->n_x;
            int rc;

            sf_setup();
            cr_assert_leq(n, DK_WIRE_BUFS_MAX);
            cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &bx, NULL),
                         DK_OK);
            pin_to(BA_R, DK_BUF_PINS_MAX - c->room_r);
            pin_to(BA_RW, DK_BUF_PINS_MAX - c->room_rw);
            pin_case_order(c, placement, bx, h);
            cr_assert_eq(dk_frame_init(&F2, DK_QOS_NORMAL, 0), DK_OK);
            for (unsigned i = 0; i < n; i++) {
                unsigned access = h[i] == BA_R ? DK_BUF_READ : 1u + i % 3u;
                cr_assert_eq(dk_frame_add_buf(&F2, h[i], access, 64u * i, 64), DK_OK);
            }
            sf_take(&sf_before);
            rc = dk_submit_frame_slices(&CTX, A, &F2, 0, r, slices, &why);
            cr_assert_eq(rc, c->status, "case %zu placement %u: %s/%s", k, placement,
                         dk_status_str(rc), dk_reason_str(why));
            if (rc != DK_OK) {
                cr_assert_eq(why, DK_R_PIN_OVERFLOW, "case %zu: %s", k, dk_reason_str(why));
                sf_expect_unchanged("pin overflow");
                continue;
            }
            nrecs = 1;
            for (unsigned i = 0; i < n; i++)
                cr_assert_eq(slices[i].buf, h[i], "case %zu: slice %u", k, i);
            cr_assert_eq(sf_pins(A, BA_R), DK_BUF_PINS_MAX - c->room_r + c->n_r, "case %zu", k);
            cr_assert_eq(sf_pins(A, BA_RW), DK_BUF_PINS_MAX - c->room_rw + c->n_rw, "case %zu", k);
            cr_assert_eq(sf_pins(A, bx), c->n_x, "case %zu", k);
            settle(r);
            cr_assert_eq(sf_pins(A, BA_R), DK_BUF_PINS_MAX - c->room_r, "case %zu", k);
            cr_assert_eq(sf_pins(A, BA_RW), DK_BUF_PINS_MAX - c->room_rw, "case %zu", k);
            cr_assert_eq(sf_pins(A, bx), 0, "case %zu", k);
        }
    }
}

#undef ALL

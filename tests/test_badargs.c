/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every public function called with bad arguments: NULL for each pointer,
 * zeroed (never initialised) objects, out-of-range ids and client slots, zero
 * and huge lengths, offset + length overflow, undefined enum values, stale
 * handles and handle 0. Each call must give the status (and, where it takes
 * `why`, the reason) its header documents, must not crash, and a refusal must
 * leave the objects unchanged.
 *
 * Coverage: every function declared in the include/driverkit headers, by the Test that calls it.
 *   status/strings_of_undefined_numbers     dk_status_str dk_reason_str dk_outcome_str
 *   status/classes_of_undefined_numbers     dk_reason_status dk_outcome_status
 *   status/reject_writes_only_when_asked    dk_reject (inline)
 *   status/version_is_the_headers_version   dk_version
 *   status/errmap_fails_closed              dk_status_from_nx
 *   ledger/init_refusals                    dk_ledger_init
 *   ledger/fini_is_safe                     dk_ledger_fini
 *   ledger/client_add_refusals              dk_ledger_client_add
 *   ledger/find_remove_usage_refusals       dk_ledger_client_find _client_remove _usage
 *   ledger/check_refusals                   dk_ledger_check
 *   ledger/inline_refusals                  dk_ledger_client_ok _charge _release (inline)
 *   queue/init_refusals                     dk_queue_storage_size dk_queue_init
 *   queue/fini_is_safe                      dk_queue_fini
 *   queue/reserve_refusals                  dk_queue_reserve (inline)
 *   queue/ticket_refusals                   dk_queue_resolve (inline) dk_queue_start _cancel
 *   queue/query_refusals                    dk_queue_query
 *   queue/bulk_refusals                     dk_queue_resolve_all dk_queue_resolve_client
 *   queue/watermark_of_null_and_zeroed_queue  dk_queue_watermark dk_queue_inflight (inline)
 *   fence/timeline_reached_edges            dk_timeline_reached (inline)
 *   fence/init_refusals                     dk_fence_table_storage_size dk_fence_table_init
 *   fence/fini_is_safe                      dk_fence_table_fini
 *   fence/create_destroy_refusals           dk_fence_create dk_fence_destroy
 *   fence/signal_fail_refusals              dk_fence_signal dk_fence_fail
 *   fence/grant_rights_refusals             dk_fence_grant dk_fence_rights
 *   fence/poll_value_refusals               dk_fence_poll dk_fence_value
 *   fence/deadline_wait_refusals            dk_fence_check_deadline dk_fence_wait
 *   fence/waiter_refusals                   dk_fence_waiter_add dk_fence_waiter_remove
 *   fence/reclaim_refusals                  dk_fence_reclaim_client
 *   fence/promise_refusals                  dk_fence_check_wait _check_promise _promise
 *   waitset/init_clear_add_refusals         dk_waitset_init dk_waitset_clear dk_waitset_add
 *   waitset/poll_wait_refusals              dk_waitset_poll dk_waitset_wait
 *   buf/init_refusals                       dk_buf_table_storage_size dk_buf_table_init
 *   buf/fini_is_safe                        dk_buf_table_fini
 *   buf/create_refusals                     dk_buf_create
 *   buf/handle_refusals                     dk_buf_destroy _seal _pin _unpin _map _unmap
 *                                           _slice _info (handle, table and owner checks)
 *   buf/slice_refusals                      dk_buf_slice (lengths, overflow, access)
 *   buf/map_pin_state_refusals              dk_buf_map _unmap _unpin _info (other checks)
 *   buf/destroyed_pinned_handle_is_stale    dk_buf_destroy then every call on its handle
 *   buf/reclaim_refusals                    dk_buf_reclaim_client
 *   backend/init_refuses_bad_vtables        dk_backend_init
 *   backend/now_of_null_and_unbound         dk_backend_now
 *   backend/host_vmo_ops_refusals           ops: wait vmo_create vmo_destroy vmo_map
 *                                           vmo_unmap vmo_query (host backend)
 *   backend/host_mmio_irq_ops_refusals      ops: mmio_map mmio_query mmio_read mmio_write
 *                                           barrier irq_bind irq_ack; kfence_* are NULL
 *   host/init_fini_refusals                 dk_host_init dk_host_fini
 *   host/accessor_refusals                  dk_host_backend _from_backend _now _stats
 *   host/clock_event_refusals               dk_host_advance _schedule _cancel
 *   host/window_irq_refusals                dk_host_window_add _grant _revoke _raise_irq
 *   host/dma_ptr_refusals                   dk_host_dma_ptr
 *   device/refusals                         dk_device_init _online _fault _reset_begin
 *                                           _reset_end _admit _check_epoch
 *   wire/parse_encode_size_refusals         dk_wire_parse dk_wire_encode dk_wire_size
 *   wire/frame_builder_refusals             dk_frame_init _add_wait _add_signal _add_buf
 *                                           _add_cmd dk_frame_cmd_payload
 *   submit/frame_refusals                   dk_submit_frame
 *   submit/ready_release_retire_refusals    dk_submit_ready _release _retire
 * Not called: dk_queue_signal_watermark, dk_queue_slot_of, dk_queue_finish (@internal: they
 * trust their caller and check nothing); the host's kfence_* slots (NULL, not callable).
 */
#include <criterion/criterion.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#include <limits.h>
#include <string.h>

#define NCL 6 /* ledger slots: five registered, one spare */
#define NF 8
#define NB 8
#define QCAP 8u
#define WHY0 ((enum dk_reason)7777) /* "not written" */

/* A call that takes `&why`: status and reason. */
#define EXPECT_WR(st, rs, call)                                                                    \
    do {                                                                                           \
        enum dk_reason why = WHY0;                                                                 \
        int rc_ = (call);                                                                          \
        cr_expect(rc_ == (int)(st) && (int)why == (int)(rs), "%s\n    gave %s/%s, want %s/%s",     \
                  #call, dk_status_str(rc_), dk_reason_str((int)why), dk_status_str(st),           \
                  dk_reason_str(rs));                                                              \
    } while (0)
/* A call without a reason. */
#define EXPECT_ST(st, call)                                                                        \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        cr_expect(rc_ == (int)(st), "%s\n    gave %s, want %s", #call, dk_status_str(rc_),         \
                  dk_status_str(st));                                                              \
    } while (0)

/* Objects a refusal must not change (compared byte for byte). */
static struct world {
    struct dk_ledger ledger;
    struct dk_client clients[NCL];
    struct dk_fence_table ft;
    struct dk_fence fslots[NF];
    struct dk_buf_table bt;
    struct dk_buf bslots[NB];
    struct dk_queue q;
    struct dk_queue_slot qslots[QCAP];
} w, snap;
static struct dk_host host;
static unsigned char arena[1u << 16];
static uint16_t cl[NCL - 1], spare; /* registered slots; the never-registered slot */
static uint32_t cfence;             /* the queue's completion fence, owned by cl[0] */
static const struct dk_limits lim = {{1u << 20, 16, 16, 16, 16}};

#define SNAP() memcpy(&snap, &w, sizeof w)
#define UNCHANGED() cr_expect(memcmp(&snap, &w, sizeof w) == 0, "a refusal changed the objects")

static struct dk_fence_cfg fence_cfg(void)
{
    struct dk_fence_cfg c;
    memset(&c, 0, sizeof c);
    c.nslots = NF;
    c.max_jump = 100;
    c.max_wait_ns = 1000000;
    c.waiters_per_fence = 4;
    c.ledger = &w.ledger;
    c.backend = dk_host_backend(&host);
    return c;
}
static struct dk_buf_cfg buf_cfg(void)
{
    struct dk_buf_cfg c;
    memset(&c, 0, sizeof c);
    c.nslots = NB;
    c.max_size = 4096;
    c.ledger = &w.ledger;
    c.backend = dk_host_backend(&host);
    return c;
}
static struct dk_queue_cfg queue_cfg(void)
{
    struct dk_queue_cfg c;
    memset(&c, 0, sizeof c);
    c.capacity = QCAP;
    c.ledger = &w.ledger;
    c.fences = &w.ft;
    c.completion_fence = cfence;
    c.fence_owner = cl[0];
    return c;
}

static void up(void)
{
    const struct dk_limits g = {{1u << 22, 64, 64, 64, 64}};
    struct dk_fence_cfg fc;
    struct dk_buf_cfg bc;
    struct dk_queue_cfg qc;
    unsigned i;

    memset(&w, 0, sizeof w);
    cr_assert_eq(dk_host_init(&host, arena, sizeof arena, 1000), DK_OK);
    cr_assert_eq(dk_ledger_init(&w.ledger, w.clients, NCL, &g, NULL, NULL), DK_OK);
    for (i = 0; i < NCL - 1; i++)
        cr_assert_eq(dk_ledger_client_add(&w.ledger, 10 + i, &lim, &cl[i], NULL), DK_OK);
    for (spare = 0; spare < NCL && w.clients[spare].live; spare++)
        ;
    cr_assert_lt(spare, NCL);
    cr_assert_eq(dk_fence_table_storage_size(NF), sizeof w.fslots);
    cr_assert_eq(dk_buf_table_storage_size(NB), sizeof w.bslots);
    cr_assert_eq(dk_queue_storage_size(QCAP), sizeof w.qslots);
    fc = fence_cfg();
    cr_assert_eq(dk_fence_table_init(&w.ft, &fc, w.fslots, sizeof w.fslots, NULL), DK_OK);
    bc = buf_cfg();
    cr_assert_eq(dk_buf_table_init(&w.bt, &bc, w.bslots, sizeof w.bslots, NULL), DK_OK);
    cr_assert_eq(dk_fence_create(&w.ft, cl[0], &cfence, NULL), DK_OK);
    qc = queue_cfg();
    cr_assert_eq(dk_queue_init(&w.q, &qc, w.qslots, sizeof w.qslots, NULL), DK_OK);
}
static void down(void)
{
    dk_host_fini(&host);
}

/* A fence owned by cl[1] and a handle to a destroyed one. */
static uint32_t new_fence(uint16_t c)
{
    uint32_t h = 0;
    cr_assert_eq(dk_fence_create(&w.ft, c, &h, NULL), DK_OK);
    return h;
}
static uint32_t stale_fence(void)
{
    uint32_t h = new_fence(cl[1]);
    cr_assert_eq(dk_fence_destroy(&w.ft, cl[1], h, NULL), DK_OK);
    return h;
}
static uint32_t new_buf(uint16_t c, uint64_t size, unsigned rights)
{
    uint32_t h = 0;
    cr_assert_eq(dk_buf_create(&w.bt, c, size, rights, &h, NULL), DK_OK);
    return h;
}

/* Handles that name no slot: 0, an index past the table, index "-1" (low half 0). */
static const uint32_t bad_handles[] = {DK_HANDLE_INVALID, DK_HANDLE_MAKE(NF, 0),
                                       DK_HANDLE_MAKE(0xfffe, 3), 0xffff0000u};

/* ---- status, version, errmap ---------------------------------------------------------- */

Test(status, strings_of_undefined_numbers)
{
    static const int bad_status[] = {-1, DK_STATUS_COUNT, 99, INT_MAX, INT_MIN};
    static const int bad_reason[] = {-1,  1,   99,  112, 199,  206,     313,    412,
                                     513, 604, 707, 999, 1023, INT_MAX, INT_MIN};
    static const int bad_outcome[] = {-1, DK_OUTCOME_COUNT, 255, INT_MAX, INT_MIN};
    unsigned i;

    for (i = 0; i < DK_ARRAY_LEN(bad_status); i++)
        cr_expect_str_eq(dk_status_str(bad_status[i]), "DK_E_?", "status %d", bad_status[i]);
    for (i = 0; i < DK_ARRAY_LEN(bad_reason); i++)
        cr_expect_str_eq(dk_reason_str(bad_reason[i]), "DK_R_?", "reason %d", bad_reason[i]);
    for (i = 0; i < DK_ARRAY_LEN(bad_outcome); i++)
        cr_expect_str_eq(dk_outcome_str(bad_outcome[i]), "?", "outcome %d", bad_outcome[i]);
}

Test(status, classes_of_undefined_numbers)
{
    static const int bad_reason[] = {-1, 1, 99, 112, 313, 412, 513, 1023, INT_MAX, INT_MIN};
    static const int bad_outcome[] = {-1, DK_OUTCOME_COUNT, 255, INT_MAX, INT_MIN};
    unsigned i;

    for (i = 0; i < DK_ARRAY_LEN(bad_reason); i++)
        EXPECT_ST(DK_E_INVAL, dk_reason_status(bad_reason[i]));
    EXPECT_ST(DK_OK, dk_reason_status(DK_R_NONE));
    for (i = 0; i < DK_ARRAY_LEN(bad_outcome); i++)
        EXPECT_ST(DK_E_INVAL, dk_outcome_status(bad_outcome[i]));
}

Test(status, reject_writes_only_when_asked)
{
    enum dk_reason why = WHY0;

    cr_expect_eq(dk_reject(NULL, DK_R_RING_FULL, DK_E_QUEUE_FULL), DK_E_QUEUE_FULL);
    cr_expect_eq(dk_reject(&why, DK_R_RING_FULL, DK_E_QUEUE_FULL), DK_E_QUEUE_FULL);
    cr_expect_eq(why, DK_R_RING_FULL);
}

Test(status, version_is_the_headers_version)
{
    cr_expect_eq(dk_version(), DK_VERSION);
    cr_expect_eq(dk_version() >> 16, DK_VERSION_MAJOR);
}

Test(status, errmap_fails_closed)
{
    /* Negative values outside the table, including LONG_MIN, are never success. */
    static const long unknown[] = {LONG_MIN, LONG_MIN + 1, -4097, -4096, -9999, -5, -4, -100};
    unsigned i;

    for (i = 0; i < DK_ARRAY_LEN(unknown); i++)
        EXPECT_ST(DK_E_BACKEND, dk_status_from_nx(unknown[i]));
    EXPECT_ST(DK_OK, dk_status_from_nx(0));
    EXPECT_ST(DK_OK, dk_status_from_nx(LONG_MAX));
    EXPECT_ST(DK_E_PERM, dk_status_from_nx(-DK_NX_EPERM));
}

/* ---- ledger ---------------------------------------------------------------------------- */

TestSuite(ledger, .init = up, .fini = down);

Test(ledger, init_refusals)
{
    static const struct dk_limits g = {{1, 1, 1, 1, 1}};
    struct dk_ledger l, before;
    struct dk_client slots[2];

    memset(&l, 0xa5, sizeof l);
    before = l;
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_ledger_init(NULL, slots, 2, &g, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_ledger_init(&l, NULL, 2, &g, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_ledger_init(&l, slots, 2, NULL, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_ZERO_LEN, dk_ledger_init(&l, slots, 0, &g, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_OVER_CAP,
              dk_ledger_init(&l, slots, DK_LEDGER_CLIENTS_MAX + 1, &g, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_OVER_CAP, dk_ledger_init(&l, slots, UINT32_MAX, &g, NULL, &why));
    cr_expect(memcmp(&l, &before, sizeof l) == 0, "a refused init wrote the ledger");
}

Test(ledger, fini_is_safe)
{
    struct dk_ledger zero;

    memset(&zero, 0, sizeof zero);
    EXPECT_ST(DK_OK, dk_ledger_fini(&zero));
    EXPECT_ST(DK_OK, dk_ledger_fini(&zero));
    EXPECT_ST(DK_OK, dk_ledger_fini(&w.ledger));
    EXPECT_ST(DK_OK, dk_ledger_fini(&w.ledger));
    EXPECT_ST(DK_OK, dk_ledger_fini(NULL));
    /* A finalised ledger is uninitialised again. */
    EXPECT_ST(DK_E_INVAL, dk_ledger_check(&w.ledger));
}

Test(ledger, client_add_refusals)
{
    struct dk_ledger zero;
    uint16_t slot = 0xbeef;

    memset(&zero, 0, sizeof zero);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_ledger_client_add(NULL, 99, &lim, &slot, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_ledger_client_add(&w.ledger, 99, NULL, &slot, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_ledger_client_add(&w.ledger, 99, &lim, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_ledger_client_add(&zero, 99, &lim, &slot, &why));
    EXPECT_WR(DK_E_EXISTS, DK_R_CLIENT_EXISTS,
              dk_ledger_client_add(&w.ledger, 10, &lim, &slot, &why));
    UNCHANGED();
    cr_expect_eq(slot, 0xbeef, "a refusal wrote slot_out");
    cr_assert_eq(dk_ledger_client_add(&w.ledger, 99, &lim, &slot, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_NO_SPACE, DK_R_CLIENTS_FULL,
              dk_ledger_client_add(&w.ledger, 98, &lim, &slot, &why));
    UNCHANGED();
}

Test(ledger, find_remove_usage_refusals)
{
    static const uint16_t bad_slots[] = {NCL, 0xfffe, 0x7fff};
    struct dk_ledger zero;
    uint64_t used[DK_RES_COUNT];
    uint16_t slot;
    unsigned i;

    memset(&zero, 0, sizeof zero);
    SNAP();
    EXPECT_ST(DK_E_INVAL, dk_ledger_client_find(NULL, 10, &slot));
    EXPECT_ST(DK_E_INVAL, dk_ledger_client_find(&w.ledger, 10, NULL));
    EXPECT_ST(DK_E_NOT_FOUND, dk_ledger_client_find(&w.ledger, 12345, &slot));
    cr_expect_neq(dk_ledger_client_find(&zero, 10, &slot), DK_OK);
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_ledger_client_remove(NULL, cl[1], &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_ledger_client_remove(&zero, 0, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_ledger_client_remove(&w.ledger, spare, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_slots); i++)
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT,
                  dk_ledger_client_remove(&w.ledger, bad_slots[i], &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT,
              dk_ledger_client_remove(&w.ledger, DK_LEDGER_GLOBAL, &why));
    /* cl[0] holds the completion fence. */
    EXPECT_WR(DK_E_BUSY, DK_R_CLIENT_IN_USE, dk_ledger_client_remove(&w.ledger, cl[0], &why));
    EXPECT_ST(DK_E_INVAL, dk_ledger_usage(NULL, cl[0], used));
    EXPECT_ST(DK_E_INVAL, dk_ledger_usage(&w.ledger, cl[0], NULL));
    EXPECT_ST(DK_E_INVAL, dk_ledger_usage(&zero, 0, used));
    EXPECT_ST(DK_E_NOT_FOUND, dk_ledger_usage(&w.ledger, spare, used));
    for (i = 0; i < DK_ARRAY_LEN(bad_slots); i++)
        EXPECT_ST(DK_E_NOT_FOUND, dk_ledger_usage(&w.ledger, bad_slots[i], used));
    UNCHANGED();
}

Test(ledger, check_refusals)
{
    struct dk_ledger zero;

    memset(&zero, 0, sizeof zero);
    EXPECT_ST(DK_E_INVAL, dk_ledger_check(NULL));
    EXPECT_ST(DK_E_INVAL, dk_ledger_check(&zero));
    EXPECT_ST(DK_OK, dk_ledger_check(&w.ledger));
    w.ledger.used[DK_RES_BYTES]++; /* totals no longer the sum over clients */
    EXPECT_ST(DK_E_CORRUPT, dk_ledger_check(&w.ledger));
    w.ledger.used[DK_RES_BYTES]--;
    w.clients[cl[2]].used[DK_RES_FENCES] = lim.max[DK_RES_FENCES] + 1; /* over its limit */
    w.ledger.used[DK_RES_FENCES] += lim.max[DK_RES_FENCES] + 1;
    EXPECT_ST(DK_E_CORRUPT, dk_ledger_check(&w.ledger));
}

Test(ledger, inline_refusals)
{
    struct dk_ledger zero;

    memset(&zero, 0, sizeof zero);
    cr_expect_eq(dk_ledger_client_ok(NULL, 0), 0);
    cr_expect_eq(dk_ledger_client_ok(&zero, 0), 0);
    cr_expect_eq(dk_ledger_client_ok(&w.ledger, NCL), 0);
    cr_expect_eq(dk_ledger_client_ok(&w.ledger, 0xffff), 0);
    cr_expect_eq(dk_ledger_client_ok(&w.ledger, spare), 0);
    SNAP();
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_ledger_charge(NULL, 0, DK_RES_BYTES, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_ledger_charge(&zero, 0, DK_RES_BYTES, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_ledger_charge(&w.ledger, 0xffff, 0, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_ledger_charge(&w.ledger, spare, 0, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT,
              dk_ledger_charge(&w.ledger, cl[1], DK_RES_COUNT, 1, &why));
    /* A huge charge must not wrap used + n. */
    EXPECT_WR(DK_E_QUOTA, DK_R_CLIENT_BYTES,
              dk_ledger_charge(&w.ledger, cl[1], DK_RES_BYTES, UINT64_MAX, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_ledger_release(NULL, 0, DK_RES_BYTES, 1));
    EXPECT_ST(DK_E_NOT_FOUND, dk_ledger_release(&w.ledger, 0xffff, DK_RES_BYTES, 1));
    EXPECT_ST(DK_E_NOT_FOUND, dk_ledger_release(&w.ledger, cl[1], DK_RES_COUNT, 1));
    EXPECT_ST(DK_E_CORRUPT, dk_ledger_release(&w.ledger, cl[1], DK_RES_BYTES, 1));
    EXPECT_ST(DK_E_CORRUPT, dk_ledger_release(&w.ledger, cl[0], DK_RES_FENCES, 2));
    UNCHANGED();
}

/* ---- queue ----------------------------------------------------------------------------- */

TestSuite(queue, .init = up, .fini = down);

Test(queue, init_refusals)
{
    static struct dk_queue_slot big[256];
    static const uint32_t bad_caps[] = {0,           1,         3, 6, DK_QUEUE_CAPACITY_MAX * 2,
                                        0x80000000u, UINT32_MAX};
    static const struct {
        uint32_t cap;
        int reason;
    } caps[] = {{0, DK_R_ZERO_LEN},    {1, DK_R_NOT_POW2}, /* queue.h: "1 is NOT_POW2" */
                {3, DK_R_NOT_POW2},    {12, DK_R_NOT_POW2},
                {8192, DK_R_OVER_CAP}, {0x80000000u, DK_R_OVER_CAP}};
    struct dk_queue q, before;
    struct dk_queue_cfg c;
    unsigned i;

    for (i = 0; i < DK_ARRAY_LEN(bad_caps); i++)
        cr_expect_eq(dk_queue_storage_size(bad_caps[i]), 0, "capacity %u", bad_caps[i]);
    cr_expect_eq(dk_queue_storage_size(DK_QUEUE_CAPACITY_MAX),
                 DK_QUEUE_CAPACITY_MAX * sizeof(struct dk_queue_slot));
    memset(&q, 0xa5, sizeof q);
    before = q;
    c = queue_cfg();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_init(NULL, &c, w.qslots, sizeof w.qslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_init(&q, NULL, w.qslots, sizeof w.qslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_init(&q, &c, NULL, sizeof w.qslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_STORAGE_SMALL,
              dk_queue_init(&q, &c, w.qslots, sizeof w.qslots - 1, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_STORAGE_SMALL, dk_queue_init(&q, &c, w.qslots, 0, &why));
    for (i = 0; i < DK_ARRAY_LEN(caps); i++) {
        c.capacity = caps[i].cap;
        EXPECT_WR(DK_E_INVAL, caps[i].reason, dk_queue_init(&q, &c, big, sizeof big, &why));
    }
    c = queue_cfg();
    c.inflight_cap = QCAP + 1;
    EXPECT_WR(DK_E_INVAL, DK_R_OVER_CAP, dk_queue_init(&q, &c, w.qslots, sizeof w.qslots, &why));
    c = queue_cfg();
    c.qos_depth[DK_QOS_PERFBURST] = QCAP + 1;
    EXPECT_WR(DK_E_INVAL, DK_R_OVER_CAP, dk_queue_init(&q, &c, w.qslots, sizeof w.qslots, &why));
    c = queue_cfg();
    c.completion_fence = DK_HANDLE_INVALID;
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE,
              dk_queue_init(&q, &c, w.qslots, sizeof w.qslots, &why));
    c = queue_cfg();
    c.capacity = 256; /* above the fence table's max_jump of 100 */
    EXPECT_WR(DK_E_INVAL, DK_R_OVER_CAP, dk_queue_init(&q, &c, big, sizeof big, &why));
    cr_expect(memcmp(&q, &before, sizeof q) == 0, "a refused init wrote the queue");
}

Test(queue, fini_is_safe)
{
    struct dk_queue zero;
    uint64_t t;

    memset(&zero, 0, sizeof zero);
    EXPECT_ST(DK_OK, dk_queue_fini(&zero));
    EXPECT_ST(DK_OK, dk_queue_fini(&zero));
    EXPECT_ST(DK_OK, dk_queue_fini(NULL));
    cr_assert_eq(dk_queue_reserve(&w.q, cl[1], DK_QOS_NORMAL, 0, &t, NULL), DK_OK);
    SNAP();
    EXPECT_ST(DK_E_BUSY, dk_queue_fini(&w.q));
    UNCHANGED();
    cr_assert_eq(dk_queue_resolve(&w.q, t, DK_OUTCOME_OK, NULL), DK_OK);
    EXPECT_ST(DK_OK, dk_queue_fini(&w.q));
    EXPECT_ST(DK_OK, dk_queue_fini(&w.q));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_queue_reserve(&w.q, cl[1], 0, 0, &t, &why));
}

Test(queue, reserve_refusals)
{
    static const unsigned bad_qos[] = {DK_QOS_COUNT, 255, UINT_MAX};
    static const uint16_t bad_clients[] = {NCL, 0xffff, 0x8000};
    struct dk_queue zero;
    uint64_t t = 0xdead;
    unsigned i;

    memset(&zero, 0, sizeof zero);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_reserve(NULL, cl[1], 0, 0, &t, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_reserve(&w.q, cl[1], 0, 0, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_queue_reserve(&zero, cl[1], 0, 0, &t, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_qos); i++)
        EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM,
                  dk_queue_reserve(&w.q, cl[1], bad_qos[i], 0, &t, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_clients); i++)
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT,
                  dk_queue_reserve(&w.q, bad_clients[i], 0, 0, &t, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_queue_reserve(&w.q, spare, 0, 0, &t, &why));
    UNCHANGED();
    cr_expect_eq(t, 0xdead, "a refusal wrote *ticket");
}

Test(queue, ticket_refusals)
{
    struct dk_queue zero;
    uint64_t t1, t2, unknown[4];
    unsigned i;

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_queue_reserve(&w.q, cl[1], 0, 0, &t1, NULL), DK_OK);
    cr_assert_eq(dk_queue_resolve(&w.q, t1, DK_OUTCOME_OK, NULL), DK_OK); /* t1 retired */
    cr_assert_eq(dk_queue_reserve(&w.q, cl[1], 0, 0, &t2, NULL), DK_OK);
    unknown[0] = 0, unknown[1] = t1, unknown[2] = t2 + 1, unknown[3] = UINT64_MAX;
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_resolve(NULL, t2, 0, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_queue_resolve(&zero, 1, 0, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_queue_resolve(&w.q, t2, DK_OUTCOME_COUNT, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_queue_resolve(&w.q, t2, UINT_MAX, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_start(NULL, t2, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_queue_start(&zero, 1, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_queue_cancel(NULL, t2, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_queue_cancel(&zero, 1, &why));
    for (i = 0; i < DK_ARRAY_LEN(unknown); i++) {
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_TICKET_UNKNOWN, dk_queue_resolve(&w.q, unknown[i], 0, &why));
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_TICKET_UNKNOWN, dk_queue_start(&w.q, unknown[i], &why));
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_TICKET_UNKNOWN, dk_queue_cancel(&w.q, unknown[i], &why));
    }
    UNCHANGED();
}

Test(queue, query_refusals)
{
    struct dk_queue zero;
    unsigned st = 99, oc = 99;
    uint64_t t;

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_queue_reserve(&w.q, cl[1], 0, 0, &t, NULL), DK_OK);
    EXPECT_ST(DK_E_INVAL, dk_queue_query(NULL, t, &st, &oc));
    EXPECT_ST(DK_E_INVAL, dk_queue_query(&w.q, t, NULL, &oc));
    EXPECT_ST(DK_E_INVAL, dk_queue_query(&zero, 1, &st, &oc));
    EXPECT_ST(DK_E_NOT_FOUND, dk_queue_query(&w.q, 0, &st, &oc)); /* tickets start at 1 */
    EXPECT_ST(DK_E_NOT_FOUND, dk_queue_query(&w.q, t + 1, &st, &oc));
    EXPECT_ST(DK_E_NOT_FOUND, dk_queue_query(&w.q, UINT64_MAX, &st, &oc));
    EXPECT_ST(DK_OK, dk_queue_query(&w.q, t, &st, NULL)); /* outcome is optional */
    cr_expect_eq(st, DK_TICKET_PENDING);
}

Test(queue, bulk_refusals)
{
    struct dk_queue zero;
    uint32_t n = 0xdead;
    uint64_t t;

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_queue_reserve(&w.q, cl[1], 0, 0, &t, NULL), DK_OK);
    SNAP();
    EXPECT_ST(DK_E_INVAL, dk_queue_resolve_all(NULL, 0, NULL, NULL, &n));
    EXPECT_ST(DK_E_INVAL, dk_queue_resolve_all(&zero, 0, NULL, NULL, &n));
    EXPECT_ST(DK_E_INVAL, dk_queue_resolve_all(&w.q, DK_OUTCOME_COUNT, NULL, NULL, &n));
    EXPECT_ST(DK_E_INVAL, dk_queue_resolve_client(NULL, cl[1], 0, NULL, NULL, &n));
    EXPECT_ST(DK_E_INVAL, dk_queue_resolve_client(&zero, cl[1], 0, NULL, NULL, &n));
    EXPECT_ST(DK_E_INVAL, dk_queue_resolve_client(&w.q, cl[1], UINT_MAX, NULL, NULL, &n));
    UNCHANGED();
    /* An unknown client owns nothing: nothing to do, not an error. */
    EXPECT_ST(DK_OK, dk_queue_resolve_client(&w.q, 0xffff, 0, NULL, NULL, &n));
    cr_expect_eq(n, 0);
    EXPECT_ST(DK_OK, dk_queue_resolve_client(&w.q, spare, 0, NULL, NULL, NULL));
    UNCHANGED();
}

Test(queue, watermark_of_null_and_zeroed_queue)
{
    struct dk_queue zero;

    memset(&zero, 0, sizeof zero);
    cr_expect_eq(dk_queue_watermark(NULL), 0);
    cr_expect_eq(dk_queue_inflight(NULL), 0);
    cr_expect_eq(dk_queue_inflight(&zero), 0);
    /* queue.h: "0 before any ticket retired". A zeroed or finalised queue has
     * retired nothing; answering UINT64_MAX would read as "everything done". */
    cr_expect_eq(dk_queue_watermark(&zero), 0, "watermark of a zeroed queue: %llu",
                 (unsigned long long)dk_queue_watermark(&zero));
    cr_assert_eq(dk_queue_fini(&w.q), DK_OK);
    cr_expect_eq(dk_queue_watermark(&w.q), 0, "watermark of a finalised queue: %llu",
                 (unsigned long long)dk_queue_watermark(&w.q));
}

/* ---- fence ----------------------------------------------------------------------------- */

TestSuite(fence, .init = up, .fini = down);

Test(fence, timeline_reached_edges)
{
    cr_expect(dk_timeline_reached(0, 0));
    cr_expect(dk_timeline_reached(UINT64_MAX, UINT64_MAX));
    cr_expect(!dk_timeline_reached(0, UINT64_MAX));
    cr_expect(dk_timeline_reached(UINT64_MAX, 0));
}

Test(fence, init_refusals)
{
    static const struct {
        int field; /* 0 nslots, 1 max_jump, 2 max_wait_ns, 3 waiters_per_fence */
        uint64_t value;
        int reason;
    } bad[] = {{0, 0, DK_R_ZERO_LEN},
               {1, 0, DK_R_ZERO_LEN},
               {2, 0, DK_R_ZERO_LEN},
               {3, 0, DK_R_ZERO_LEN},
               {0, DK_FENCE_TABLE_MAX + 1, DK_R_OVER_CAP},
               {0, UINT32_MAX, DK_R_OVER_CAP},
               {3, DK_FENCE_WAITERS_MAX + 1, DK_R_OVER_CAP}};
    struct dk_fence_table t, before;
    struct dk_fence_cfg c;
    unsigned i;

    cr_expect_eq(dk_fence_table_storage_size(0), 0);
    cr_expect_eq(dk_fence_table_storage_size(DK_FENCE_TABLE_MAX + 1), 0);
    cr_expect_eq(dk_fence_table_storage_size(UINT32_MAX), 0);
    memset(&t, 0xa5, sizeof t);
    before = t;
    c = fence_cfg();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_fence_table_init(NULL, &c, w.fslots, sizeof w.fslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_fence_table_init(&t, NULL, w.fslots, sizeof w.fslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_table_init(&t, &c, NULL, sizeof w.fslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_STORAGE_SMALL,
              dk_fence_table_init(&t, &c, w.fslots, sizeof w.fslots - 1, &why));
    c.ledger = NULL; /* mandatory */
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_fence_table_init(&t, &c, w.fslots, sizeof w.fslots, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad); i++) {
        c = fence_cfg();
        if (bad[i].field == 0)
            c.nslots = (uint32_t)bad[i].value;
        else if (bad[i].field == 1)
            c.max_jump = bad[i].value;
        else if (bad[i].field == 2)
            c.max_wait_ns = bad[i].value;
        else
            c.waiters_per_fence = (uint32_t)bad[i].value;
        EXPECT_WR(DK_E_INVAL, bad[i].reason,
                  dk_fence_table_init(&t, &c, w.fslots, sizeof w.fslots, &why));
    }
    cr_expect(memcmp(&t, &before, sizeof t) == 0, "a refused init wrote the table");
}

Test(fence, fini_is_safe)
{
    struct dk_fence_table zero;

    memset(&zero, 0, sizeof zero);
    EXPECT_ST(DK_OK, dk_fence_table_fini(&zero));
    EXPECT_ST(DK_OK, dk_fence_table_fini(&zero));
    SNAP();
    EXPECT_ST(DK_E_BUSY, dk_fence_table_fini(&w.ft)); /* the completion fence is live */
    UNCHANGED();
    cr_assert_eq(dk_queue_fini(&w.q), DK_OK);
    cr_assert_eq(dk_fence_destroy(&w.ft, cl[0], cfence, NULL), DK_OK);
    EXPECT_ST(DK_OK, dk_fence_table_fini(&w.ft));
    EXPECT_ST(DK_OK, dk_fence_table_fini(&w.ft));
}

Test(fence, create_destroy_refusals)
{
    static const uint16_t bad_clients[] = {NCL, 0xffff, 0x8000};
    struct dk_fence_table zero;
    uint32_t h = 0xdead, mine = new_fence(cl[1]), gone = stale_fence();
    unsigned i;

    memset(&zero, 0, sizeof zero);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_create(NULL, cl[1], &h, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_create(&w.ft, cl[1], NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_create(&zero, cl[1], &h, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_clients); i++)
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT,
                  dk_fence_create(&w.ft, bad_clients[i], &h, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_fence_create(&w.ft, spare, &h, &why));
    cr_expect_eq(h, 0xdead, "a refusal wrote *handle");
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_destroy(NULL, cl[1], mine, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_destroy(&zero, cl[1], mine, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_handles); i++)
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE,
                  dk_fence_destroy(&w.ft, cl[1], bad_handles[i], &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_destroy(&w.ft, cl[1], gone, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_destroy(&w.ft, cl[2], mine, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_destroy(&w.ft, 0xffff, mine, &why));
    UNCHANGED();
}

Test(fence, signal_fail_refusals)
{
    static const int bad_status[] = {DK_OK, DK_E_WOULD_BLOCK, DK_STATUS_COUNT, -1, INT_MAX};
    struct dk_fence_table zero;
    uint32_t f = new_fence(cl[1]), gone = stale_fence();
    unsigned i;

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_fence_grant(&w.ft, cl[1], f, cl[2], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_signal(NULL, cl[1], f, 1, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_signal(&zero, cl[1], f, 1, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_handles); i++)
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE,
                  dk_fence_signal(&w.ft, cl[1], bad_handles[i], 1, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_signal(&w.ft, cl[1], gone, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_signal(&w.ft, cl[3], f, 1, &why));
    EXPECT_WR(DK_E_DENIED, DK_R_NO_SIGNAL_RIGHT, dk_fence_signal(&w.ft, cl[2], f, 1, &why));
    EXPECT_WR(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_signal(&w.ft, cl[1], f, 0, &why));
    EXPECT_WR(DK_E_TOO_FAR, DK_R_SIGNAL_TOO_FAR, dk_fence_signal(&w.ft, cl[1], f, 101, &why));
    EXPECT_WR(DK_E_TOO_FAR, DK_R_SIGNAL_TOO_FAR,
              dk_fence_signal(&w.ft, cl[1], f, UINT64_MAX, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_status); i++)
        EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM,
                  dk_fence_fail(&w.ft, cl[1], f, 1, bad_status[i], &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_fail(NULL, cl[1], f, 1, DK_E_DEVICE, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE,
              dk_fence_fail(&w.ft, cl[1], 0, 1, DK_E_DEVICE, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE,
              dk_fence_fail(&w.ft, cl[1], gone, 1, DK_E_DEVICE, &why));
    EXPECT_WR(DK_E_DENIED, DK_R_NO_SIGNAL_RIGHT,
              dk_fence_fail(&w.ft, cl[2], f, 1, DK_E_DEVICE, &why));
    EXPECT_WR(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK,
              dk_fence_fail(&w.ft, cl[1], f, 0, DK_E_DEVICE, &why));
    EXPECT_WR(DK_E_TOO_FAR, DK_R_SIGNAL_TOO_FAR,
              dk_fence_fail(&w.ft, cl[1], f, UINT64_MAX, DK_E_DEVICE, &why));
    UNCHANGED();
}

Test(fence, grant_rights_refusals)
{
    static const unsigned bad_rights[] = {0, 4, 0x80, UINT_MAX};
    uint32_t f = new_fence(cl[1]), gone = stale_fence();
    unsigned i;

    cr_assert_eq(dk_fence_grant(&w.ft, cl[1], f, cl[2], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    SNAP();
    for (i = 0; i < DK_ARRAY_LEN(bad_rights); i++)
        EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM,
                  dk_fence_grant(&w.ft, cl[1], f, cl[3], bad_rights[i], &why));
    cr_expect_eq(dk_fence_grant(NULL, cl[1], f, cl[3], DK_FENCE_RIGHT_WAIT, NULL), DK_E_INVAL);
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_fence_grant(&w.ft, cl[1], 0, cl[3], 1, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_grant(&w.ft, cl[1], gone, cl[3], 1, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_grant(&w.ft, cl[3], f, cl[4], DK_FENCE_RIGHT_WAIT, NULL));
    EXPECT_WR(DK_E_DENIED, DK_R_RIGHTS_ESCALATION,
              dk_fence_grant(&w.ft, cl[2], f, cl[3], DK_FENCE_RIGHT_SIGNAL, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_grant(&w.ft, cl[1], f, 0xffff, DK_FENCE_RIGHT_WAIT, NULL));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_grant(&w.ft, cl[1], f, spare, DK_FENCE_RIGHT_WAIT, NULL));
    UNCHANGED();
    cr_assert_eq(dk_fence_grant(&w.ft, cl[1], f, cl[3], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&w.ft, cl[1], f, cl[4], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_NO_SPACE, DK_R_GRANTS_FULL, dk_fence_grant(&w.ft, cl[1], f, cl[0], 1, &why));
    UNCHANGED();
    cr_expect_eq(dk_fence_rights(NULL, cl[1], f), 0);
    cr_expect_eq(dk_fence_rights(&w.ft, cl[1], 0), 0);
    cr_expect_eq(dk_fence_rights(&w.ft, cl[1], DK_HANDLE_MAKE(NF, 0)), 0);
    cr_expect_eq(dk_fence_rights(&w.ft, cl[1], gone), 0);
    cr_expect_eq(dk_fence_rights(&w.ft, cl[0], f), 0);
    cr_expect_eq(dk_fence_rights(&w.ft, 0xffff, f), 0);
}

Test(fence, poll_value_refusals)
{
    struct dk_fence_table zero;
    uint32_t f = new_fence(cl[1]), gone = stale_fence();
    uint64_t v = 0xdead;
    unsigned i;

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_fence_grant(&w.ft, cl[1], f, cl[2], DK_FENCE_RIGHT_SIGNAL, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_poll(NULL, cl[1], f, 1, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_poll(&zero, cl[1], f, 1, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_handles); i++)
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE,
                  dk_fence_poll(&w.ft, cl[1], bad_handles[i], 1, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_poll(&w.ft, cl[1], gone, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_poll(&w.ft, cl[3], f, 1, &why));
    EXPECT_WR(DK_E_DENIED, DK_R_NO_WAIT_RIGHT, dk_fence_poll(&w.ft, cl[2], f, 1, &why));
    EXPECT_WR(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_poll(&w.ft, cl[1], f, 101, &why));
    EXPECT_WR(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_poll(&w.ft, cl[1], f, UINT64_MAX, &why));
    EXPECT_ST(DK_E_INVAL, dk_fence_value(NULL, cl[1], f, &v, NULL));
    EXPECT_ST(DK_E_INVAL, dk_fence_value(&w.ft, cl[1], f, NULL, NULL));
    EXPECT_ST(DK_E_INVAL, dk_fence_value(&zero, cl[1], f, &v, NULL));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_value(&w.ft, cl[1], 0, &v, NULL));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_value(&w.ft, cl[3], f, &v, NULL));
    EXPECT_ST(DK_E_STALE, dk_fence_value(&w.ft, cl[1], gone, &v, NULL));
    cr_expect_eq(v, 0xdead, "a refusal wrote *value");
    EXPECT_ST(DK_OK, dk_fence_value(&w.ft, cl[1], f, &v, NULL)); /* fail_status is optional */
    UNCHANGED();
}

Test(fence, deadline_wait_refusals)
{
    struct dk_fence_table zero, nobackend;
    struct dk_fence_cfg c = fence_cfg();
    static struct dk_fence slots[NF];
    uint32_t f = new_fence(cl[1]);
    uint64_t now = dk_host_now(&host);

    memset(&zero, 0, sizeof zero);
    c.backend = NULL;
    cr_assert_eq(dk_fence_table_init(&nobackend, &c, slots, sizeof slots, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_check_deadline(NULL, now + 1, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_check_deadline(&nobackend, now + 1, &why));
    EXPECT_ST(DK_E_INVAL, dk_fence_check_deadline(&zero, now + 1, NULL));
    EXPECT_WR(DK_E_INVAL, DK_R_NO_DEADLINE, dk_fence_check_deadline(&w.ft, 0, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR,
              dk_fence_check_deadline(&w.ft, now + 1000001, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR, dk_fence_check_deadline(&w.ft, UINT64_MAX, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NO_DEADLINE, dk_fence_wait(&w.ft, cl[1], f, 1, 0, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR,
              dk_fence_wait(&w.ft, cl[1], f, 1, UINT64_MAX, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_wait(NULL, cl[1], f, 1, now + 10, NULL, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE,
              dk_fence_wait(&w.ft, cl[1], 0, 1, now + 10, NULL, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER,
              dk_fence_wait(&w.ft, cl[3], f, 1, now + 10, NULL, &why));
    EXPECT_WR(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR,
              dk_fence_wait(&w.ft, cl[1], f, UINT64_MAX, now + 10, NULL, &why));
    UNCHANGED(); /* no waiter charge left behind */
    cr_expect_eq(dk_host_now(&host), now, "a refused wait moved the clock");
}

Test(fence, waiter_refusals)
{
    struct dk_fence_table zero;
    struct dk_waiter wt;
    uint32_t f = new_fence(cl[1]), gone = stale_fence();

    memset(&zero, 0, sizeof zero);
    memset(&wt, 0, sizeof wt);
    wt.target = 1;
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_waiter_add(&w.ft, cl[1], f, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_waiter_add(NULL, cl[1], f, &wt, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_fence_waiter_add(&w.ft, cl[1], 0, &wt, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_waiter_add(&w.ft, cl[1], gone, &wt, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_waiter_add(&w.ft, cl[3], f, &wt, &why));
    wt.target = UINT64_MAX;
    EXPECT_WR(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_waiter_add(&w.ft, cl[1], f, &wt, &why));
    UNCHANGED();
    /* Removing a waiter that was never registered returns nothing and is DK_OK. */
    memset(&wt, 0, sizeof wt);
    EXPECT_ST(DK_OK, dk_fence_waiter_remove(&w.ft, f, &wt));
    UNCHANGED();
    EXPECT_ST(DK_E_INVAL, dk_fence_waiter_remove(NULL, f, &wt));
    EXPECT_ST(DK_E_INVAL, dk_fence_waiter_remove(&w.ft, f, NULL));
    EXPECT_ST(DK_E_INVAL, dk_fence_waiter_remove(&zero, f, &wt));
    /* A registered waiter: any handle but its own fence's is refused and it stays. */
    wt.target = 1;
    cr_assert_eq(dk_fence_waiter_add(&w.ft, cl[1], f, &wt, NULL), DK_OK);
    cr_assert_eq(wt.status, DK_E_WOULD_BLOCK);
    SNAP();
    EXPECT_ST(DK_E_INVAL, dk_fence_waiter_remove(&w.ft, cfence, &wt));
    EXPECT_ST(DK_E_INVAL, dk_fence_waiter_remove(&w.ft, 0, &wt));
    EXPECT_ST(DK_E_INVAL, dk_fence_waiter_remove(&w.ft, gone, &wt));
    UNCHANGED();
    EXPECT_ST(DK_OK, dk_fence_waiter_remove(&w.ft, f, &wt));
    cr_expect_eq(w.fslots[DK_HANDLE_INDEX(f)].nwaiters, 0);
    cr_expect_eq(w.clients[cl[1]].used[DK_RES_WAITERS], 0);
}

Test(fence, reclaim_refusals)
{
    struct dk_fence_table zero;
    uint32_t n = 0xdead;

    memset(&zero, 0, sizeof zero);
    (void)new_fence(cl[1]);
    SNAP();
    EXPECT_ST(DK_E_INVAL, dk_fence_reclaim_client(NULL, cl[1], DK_E_KILLED, &n));
    EXPECT_ST(DK_E_INVAL, dk_fence_reclaim_client(&zero, cl[1], DK_E_KILLED, &n));
    EXPECT_ST(DK_E_INVAL, dk_fence_reclaim_client(&w.ft, cl[1], DK_OK, &n));
    EXPECT_ST(DK_E_INVAL, dk_fence_reclaim_client(&w.ft, cl[1], DK_E_WOULD_BLOCK, &n));
    EXPECT_ST(DK_E_INVAL, dk_fence_reclaim_client(&w.ft, cl[1], -1, &n));
    UNCHANGED();
    EXPECT_ST(DK_OK, dk_fence_reclaim_client(&w.ft, 0xffff, DK_E_KILLED, &n));
    cr_expect_eq(n, 0);
    EXPECT_ST(DK_OK, dk_fence_reclaim_client(&w.ft, spare, DK_E_KILLED, NULL));
    UNCHANGED();
}

Test(fence, promise_refusals)
{
    struct dk_fence_table zero;
    uint32_t f = new_fence(cl[1]), gone = stale_fence(), failed = new_fence(cl[1]);

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_fence_grant(&w.ft, cl[1], f, cl[2], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&w.ft, cl[1], f, cl[3], DK_FENCE_RIGHT_SIGNAL, NULL), DK_OK);
    cr_assert_eq(dk_fence_fail(&w.ft, cl[1], failed, 1, DK_E_DEVICE, NULL), DK_OK);
    cr_assert_eq(dk_fence_promise(&w.ft, cl[1], f, 5), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_check_wait(NULL, cl[1], f, 1, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_check_wait(&zero, cl[1], f, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_fence_check_wait(&w.ft, cl[1], 0, 1, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_check_wait(&w.ft, cl[1], gone, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_check_wait(&w.ft, cl[4], f, 1, &why));
    EXPECT_WR(DK_E_DENIED, DK_R_NO_WAIT_RIGHT, dk_fence_check_wait(&w.ft, cl[3], f, 1, &why));
    EXPECT_WR(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_check_wait(&w.ft, cl[1], f, 101, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_check_promise(NULL, cl[1], f, 6, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_check_promise(&zero, cl[1], f, 6, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_fence_check_promise(&w.ft, cl[1], 0, 6, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_check_promise(&w.ft, cl[1], gone, 6, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_check_promise(&w.ft, cl[4], f, 6, &why));
    EXPECT_WR(DK_E_DENIED, DK_R_NO_SIGNAL_RIGHT, dk_fence_check_promise(&w.ft, cl[2], f, 6, &why));
    EXPECT_WR(DK_E_STATE, DK_R_FENCE_FAILED, dk_fence_check_promise(&w.ft, cl[1], failed, 2, &why));
    EXPECT_WR(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_check_promise(&w.ft, cl[1], f, 0, &why));
    EXPECT_WR(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_check_promise(&w.ft, cl[1], f, 5, &why));
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_SIGNAL_JUMP,
              dk_fence_check_promise(&w.ft, cl[1], f, 101, &why));
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_SIGNAL_JUMP,
              dk_fence_check_promise(&w.ft, cl[1], f, UINT64_MAX, &why));
    EXPECT_ST(DK_E_INVAL, dk_fence_promise(NULL, cl[1], f, 6));
    EXPECT_ST(DK_E_INVAL, dk_fence_promise(&zero, cl[1], f, 6));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_promise(&w.ft, cl[1], 0, 6));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_promise(&w.ft, cl[1], DK_HANDLE_MAKE(NF, 0), 6));
    EXPECT_ST(DK_E_STALE, dk_fence_promise(&w.ft, cl[1], gone, 6));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_promise(&w.ft, cl[4], f, 6));
    EXPECT_ST(DK_E_DENIED, dk_fence_promise(&w.ft, cl[2], f, 6));
    EXPECT_ST(DK_E_ROLLBACK, dk_fence_promise(&w.ft, cl[1], f, 3));
    EXPECT_ST(DK_E_MALFORMED, dk_fence_promise(&w.ft, cl[1], f, UINT64_MAX));
    EXPECT_ST(DK_E_STATE, dk_fence_promise(&w.ft, cl[1], failed, 2));
    UNCHANGED();
}

/* ---- waitset --------------------------------------------------------------------------- */

TestSuite(waitset, .init = up, .fini = down);

Test(waitset, init_clear_add_refusals)
{
    struct dk_waitset ws, zero;
    unsigned i;

    memset(&zero, 0, sizeof zero);
    EXPECT_ST(DK_E_INVAL, dk_waitset_init(NULL, &w.ft));
    EXPECT_ST(DK_E_INVAL, dk_waitset_init(&ws, NULL));
    EXPECT_ST(DK_E_INVAL, dk_waitset_clear(NULL));
    EXPECT_ST(DK_E_INVAL, dk_waitset_clear(&zero));
    cr_assert_eq(dk_waitset_init(&ws, &w.ft), DK_OK);
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_waitset_add(NULL, cfence, 1, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_waitset_add(&zero, cfence, 1, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_waitset_add(&ws, DK_HANDLE_INVALID, 1, &why));
    cr_expect_eq(ws.count, 0);
    for (i = 0; i < DK_WAITSET_MAX; i++)
        cr_assert_eq(dk_waitset_add(&ws, cfence, i, NULL), DK_OK);
    EXPECT_WR(DK_E_NO_SPACE, DK_R_WAITSET_FULL, dk_waitset_add(&ws, cfence, 1, &why));
    cr_expect_eq(ws.count, DK_WAITSET_MAX);
}

Test(waitset, poll_wait_refusals)
{
    struct dk_waitset ws, empty, zero;
    uint32_t f = new_fence(cl[1]), gone = stale_fence(), idx = 0xdead;
    uint64_t now = dk_host_now(&host);

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_waitset_init(&ws, &w.ft), DK_OK);
    cr_assert_eq(dk_waitset_init(&empty, &w.ft), DK_OK);
    cr_assert_eq(dk_waitset_add(&ws, f, 1, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_waitset_poll(NULL, cl[1], DK_WAIT_ANY, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_waitset_poll(&zero, cl[1], DK_WAIT_ANY, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_waitset_poll(&ws, cl[1], 2, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_waitset_poll(&ws, cl[1], UINT_MAX, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_ZERO_LEN, dk_waitset_poll(&empty, cl[1], DK_WAIT_ALL, &idx, &why));
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_waitset_poll(&ws, cl[1], DK_WAIT_ANY, NULL, NULL));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_waitset_poll(&ws, cl[3], DK_WAIT_ALL, &idx, &why));
    cr_expect_eq(idx, 0);
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_waitset_wait(NULL, cl[1], 0, now + 10, NULL, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM,
              dk_waitset_wait(&ws, cl[1], 2, now + 10, NULL, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_ZERO_LEN,
              dk_waitset_wait(&empty, cl[1], 0, now + 10, NULL, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NO_DEADLINE, dk_waitset_wait(&ws, cl[1], 0, 0, NULL, &idx, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR,
              dk_waitset_wait(&ws, cl[1], 0, UINT64_MAX, NULL, &idx, &why));
    UNCHANGED();
    cr_expect_eq(dk_host_now(&host), now, "a refused wait moved the clock");
    /* A member with a stale handle: its refusal, and *index names it. */
    cr_assert_eq(dk_waitset_add(&ws, gone, 1, NULL), DK_OK);
    idx = 0xdead;
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_waitset_poll(&ws, cl[1], DK_WAIT_ALL, &idx, &why));
    cr_expect_eq(idx, 1);
}

/* ---- buf ------------------------------------------------------------------------------- */

TestSuite(buf, .init = up, .fini = down);

Test(buf, init_refusals)
{
    static const struct dk_backend unbound = {NULL, NULL};
    struct dk_buf_table t, before;
    struct dk_buf_cfg c;

    cr_expect_eq(dk_buf_table_storage_size(0), 0);
    cr_expect_eq(dk_buf_table_storage_size(DK_BUF_TABLE_MAX + 1), 0);
    memset(&t, 0xa5, sizeof t);
    before = t;
    c = buf_cfg();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_buf_table_init(NULL, &c, w.bslots, sizeof w.bslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_buf_table_init(&t, NULL, w.bslots, sizeof w.bslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_buf_table_init(&t, &c, NULL, sizeof w.bslots, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_STORAGE_SMALL,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots - 1, &why));
    c.ledger = NULL;
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots, &why));
    c = buf_cfg();
    c.backend = NULL;
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots, &why));
    c.backend = &unbound;
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots, &why));
    c = buf_cfg();
    c.nslots = 0;
    EXPECT_WR(DK_E_INVAL, DK_R_ZERO_LEN,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots, &why));
    c.nslots = DK_BUF_TABLE_MAX + 1;
    EXPECT_WR(DK_E_INVAL, DK_R_OVER_CAP,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots, &why));
    c = buf_cfg();
    c.max_size = 0;
    EXPECT_WR(DK_E_INVAL, DK_R_ZERO_LEN,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots, &why));
    c.max_size = DK_BUF_SIZE_LIMIT + 1;
    EXPECT_WR(DK_E_INVAL, DK_R_OVER_CAP,
              dk_buf_table_init(&t, &c, w.bslots, sizeof w.bslots, &why));
    cr_expect(memcmp(&t, &before, sizeof t) == 0, "a refused init wrote the table");
}

Test(buf, fini_is_safe)
{
    struct dk_buf_table zero;
    uint32_t b = new_buf(cl[1], 64, DK_BUF_RIGHTS_ALL);

    memset(&zero, 0, sizeof zero);
    EXPECT_ST(DK_OK, dk_buf_table_fini(&zero));
    EXPECT_ST(DK_OK, dk_buf_table_fini(&zero));
    SNAP();
    EXPECT_ST(DK_E_BUSY, dk_buf_table_fini(&w.bt));
    UNCHANGED();
    cr_assert_eq(dk_buf_destroy(&w.bt, cl[1], b, NULL), DK_OK);
    EXPECT_ST(DK_OK, dk_buf_table_fini(&w.bt));
    EXPECT_ST(DK_OK, dk_buf_table_fini(&w.bt));
}

Test(buf, create_refusals)
{
    static const unsigned bad_rights[] = {0, 8, 0x80, UINT_MAX};
    static const uint16_t bad_clients[] = {NCL, 0xffff, 0x8000};
    static struct dk_buf slots[NB];
    struct dk_buf_table zero, roomy;
    struct dk_buf_cfg c = buf_cfg();
    uint32_t h = 0xdead;
    unsigned i;

    memset(&zero, 0, sizeof zero);
    c.max_size = 1u << 20; /* more than the host arena holds */
    cr_assert_eq(dk_buf_table_init(&roomy, &c, slots, sizeof slots, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_buf_create(NULL, cl[1], 64, 1, &h, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_buf_create(&w.bt, cl[1], 64, 1, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_buf_create(&zero, cl[1], 64, 1, &h, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_ZERO_LEN, dk_buf_create(&w.bt, cl[1], 0, 1, &h, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_rights); i++)
        EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM,
                  dk_buf_create(&w.bt, cl[1], 64, bad_rights[i], &h, &why));
    EXPECT_WR(DK_E_TOO_BIG, DK_R_BUF_TOO_BIG, dk_buf_create(&w.bt, cl[1], 4097, 1, &h, &why));
    EXPECT_WR(DK_E_TOO_BIG, DK_R_BUF_TOO_BIG, dk_buf_create(&w.bt, cl[1], UINT64_MAX, 1, &h, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad_clients); i++)
        EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT,
                  dk_buf_create(&w.bt, bad_clients[i], 64, 1, &h, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_buf_create(&w.bt, spare, 64, 1, &h, &why));
    /* The backend cannot place 512 KiB in a 64 KiB arena: its status, nothing charged. */
    EXPECT_WR(DK_E_NO_MEMORY, DK_R_OS_ERROR, dk_buf_create(&roomy, cl[1], 1u << 19, 1, &h, &why));
    UNCHANGED();
    cr_expect_eq(h, 0xdead, "a refusal wrote *handle");
    cr_expect_eq(roomy.live, 0);
}

/* Every handle-taking buffer call, for one table of bad handles. */
static void *va_out;
static struct dk_slice slice_out;
static struct dk_buf info_out;
static int b_destroy(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    return dk_buf_destroy(t, c, h, why);
}
static int b_seal(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    return dk_buf_seal(t, c, h, why);
}
static int b_pin(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    return dk_buf_pin(t, c, h, why);
}
static int b_unpin(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    (void)c;
    return dk_buf_unpin(t, h, why);
}
static int b_map(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    return dk_buf_map(t, c, h, DK_MAP_READ, &va_out, why);
}
static int b_unmap(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    return dk_buf_unmap(t, c, h, why);
}
static int b_slice(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    return dk_buf_slice(t, c, h, 0, 1, DK_BUF_READ, &slice_out, why);
}
static int b_info(struct dk_buf_table *t, uint16_t c, uint32_t h, enum dk_reason *why)
{
    *why = DK_R_NONE;
    return dk_buf_info(t, c, h, &info_out);
}

static const struct {
    const char *name;
    int (*fn)(struct dk_buf_table *, uint16_t, uint32_t, enum dk_reason *);
    int has_why, owner_only;
} buf_calls[] = {{"destroy", b_destroy, 1, 1}, {"seal", b_seal, 1, 1}, {"pin", b_pin, 1, 1},
                 {"unpin", b_unpin, 1, 0},     {"map", b_map, 1, 1},   {"unmap", b_unmap, 1, 1},
                 {"slice", b_slice, 1, 1},     {"info", b_info, 0, 1}};

static void expect_buf_call(unsigned k, struct dk_buf_table *t, uint16_t c, uint32_t h, int st,
                            int rs)
{
    enum dk_reason why = WHY0;
    int rc = buf_calls[k].fn(t, c, h, &why);

    cr_expect(rc == st && (!buf_calls[k].has_why || (int)why == rs),
              "dk_buf_%s(client %u, handle %#x) gave %s/%s, want %s/%s", buf_calls[k].name, c, h,
              dk_status_str(rc), dk_reason_str((int)why), dk_status_str(st), dk_reason_str(rs));
}

Test(buf, handle_refusals)
{
    struct dk_buf_table zero;
    uint32_t b = new_buf(cl[1], 64, DK_BUF_RIGHTS_ALL), gone = new_buf(cl[1], 64, 1);
    unsigned k, i;

    memset(&zero, 0, sizeof zero);
    cr_assert_eq(dk_buf_destroy(&w.bt, cl[1], gone, NULL), DK_OK);
    SNAP();
    for (k = 0; k < DK_ARRAY_LEN(buf_calls); k++) {
        expect_buf_call(k, NULL, cl[1], b, DK_E_INVAL, DK_R_NULL_ARG);
        expect_buf_call(k, &zero, cl[1], b, DK_E_INVAL, DK_R_NOT_INIT);
        for (i = 0; i < DK_ARRAY_LEN(bad_handles); i++)
            expect_buf_call(k, &w.bt, cl[1], bad_handles[i], DK_E_NOT_FOUND, DK_R_BAD_HANDLE);
        expect_buf_call(k, &w.bt, cl[1], gone, DK_E_STALE, DK_R_STALE_HANDLE);
        if (buf_calls[k].owner_only) {
            expect_buf_call(k, &w.bt, cl[2], b, DK_E_NOT_FOUND, DK_R_NOT_OWNER);
            expect_buf_call(k, &w.bt, 0xffff, b, DK_E_NOT_FOUND, DK_R_NOT_OWNER);
        }
    }
    UNCHANGED();
}

Test(buf, slice_refusals)
{
    uint32_t b = new_buf(cl[1], 64, DK_BUF_READ | DK_BUF_WRITE),
             ro = new_buf(cl[1], 64, DK_BUF_READ);
    uint32_t sealed = new_buf(cl[1], 64, DK_BUF_READ | DK_BUF_WRITE);
    struct dk_slice s;

    cr_assert_eq(dk_buf_seal(&w.bt, cl[1], sealed, NULL), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
              dk_buf_slice(&w.bt, cl[1], b, 0, 1, DK_BUF_READ, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_ZERO_LEN,
              dk_buf_slice(&w.bt, cl[1], b, 0, 0, DK_BUF_READ, &s, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_slice(&w.bt, cl[1], b, 0, 1, 0, &s, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_slice(&w.bt, cl[1], b, 0, 1, DK_BUF_MAP, &s, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_slice(&w.bt, cl[1], b, 0, 1, 0x80, &s, &why));
    EXPECT_WR(DK_E_RANGE, DK_R_SLICE_OOB,
              dk_buf_slice(&w.bt, cl[1], b, 64, 1, DK_BUF_READ, &s, &why));
    EXPECT_WR(DK_E_RANGE, DK_R_SLICE_OOB,
              dk_buf_slice(&w.bt, cl[1], b, 0, 65, DK_BUF_READ, &s, &why));
    EXPECT_WR(DK_E_RANGE, DK_R_SLICE_OOB,
              dk_buf_slice(&w.bt, cl[1], b, 65, 0x7fffffff, DK_BUF_READ, &s, &why));
    /* offset + length wraps to a small number: still out of range. */
    EXPECT_WR(DK_E_RANGE, DK_R_SLICE_OOB,
              dk_buf_slice(&w.bt, cl[1], b, UINT64_MAX, 2, DK_BUF_READ, &s, &why));
    EXPECT_WR(DK_E_RANGE, DK_R_SLICE_OOB,
              dk_buf_slice(&w.bt, cl[1], b, 1, UINT64_MAX, DK_BUF_READ, &s, &why));
    EXPECT_WR(DK_E_RANGE, DK_R_SLICE_OOB,
              dk_buf_slice(&w.bt, cl[1], b, 32, UINT64_MAX - 31, DK_BUF_READ, &s, &why));
    EXPECT_WR(DK_E_DENIED, DK_R_NO_WRITE_RIGHT,
              dk_buf_slice(&w.bt, cl[1], ro, 0, 1, DK_BUF_WRITE, &s, &why));
    EXPECT_WR(DK_E_SEALED, DK_R_BUF_SEALED,
              dk_buf_slice(&w.bt, cl[1], sealed, 0, 1, DK_BUF_WRITE, &s, &why));
    UNCHANGED();
    EXPECT_WR(DK_OK, DK_R_NONE, dk_buf_slice(&w.bt, cl[1], b, 63, 1, DK_BUF_READ, &s, &why));
}

Test(buf, map_pin_state_refusals)
{
    uint32_t b = new_buf(cl[1], 64, DK_BUF_RIGHTS_ALL), nomap = new_buf(cl[1], 64, DK_BUF_READ);
    void *va = NULL;

    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_buf_map(&w.bt, cl[1], b, DK_MAP_READ, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_map(&w.bt, cl[1], b, 0, &va, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_map(&w.bt, cl[1], b, 4, &va, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_map(&w.bt, cl[1], b, UINT_MAX, &va, &why));
    EXPECT_WR(DK_E_DENIED, DK_R_NO_MAP_RIGHT,
              dk_buf_map(&w.bt, cl[1], nomap, DK_MAP_READ, &va, &why));
    EXPECT_WR(DK_E_STATE, DK_R_NOT_MAPPED, dk_buf_unmap(&w.bt, cl[1], b, &why));
    EXPECT_WR(DK_E_STATE, DK_R_NOT_PINNED, dk_buf_unpin(&w.bt, b, &why));
    EXPECT_ST(DK_E_INVAL, dk_buf_info(&w.bt, cl[1], b, NULL));
    UNCHANGED();
    cr_expect_null(va, "a refusal wrote *va");
}

Test(buf, destroyed_pinned_handle_is_stale)
{
    /* buf.h: destroying a pinned buffer retires its handle at once; "a handle to a
     * destroyed buffer is rejected with DK_E_STALE". Only the pin holder's unpin
     * still reaches it, and the last unpin reclaims it. */
    uint32_t b = new_buf(cl[1], 64, DK_BUF_RIGHTS_ALL);
    uint64_t used[DK_RES_COUNT];
    struct dk_buf info;

    cr_assert_eq(dk_buf_pin(&w.bt, cl[1], b, NULL), DK_OK);
    EXPECT_WR(DK_E_BUSY, DK_R_BUF_PINNED, dk_buf_destroy(&w.bt, cl[1], b, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_destroy(&w.bt, cl[1], b, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_destroy(&w.bt, cl[2], b, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_pin(&w.bt, cl[1], b, &why));
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_seal(&w.bt, cl[1], b, &why));
    EXPECT_ST(DK_E_STALE, dk_buf_info(&w.bt, cl[1], b, &info));
    cr_assert_eq(dk_ledger_usage(&w.ledger, cl[1], used), DK_OK);
    cr_expect_eq(used[DK_RES_BUFFERS], 1, "charge kept until the last unpin");
    EXPECT_WR(DK_OK, DK_R_NONE, dk_buf_unpin(&w.bt, b, &why));
    cr_assert_eq(dk_ledger_usage(&w.ledger, cl[1], used), DK_OK);
    cr_expect_eq(used[DK_RES_BUFFERS], 0);
    cr_expect_eq(used[DK_RES_BYTES], 0);
    EXPECT_WR(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_unpin(&w.bt, b, &why));
}

Test(buf, reclaim_refusals)
{
    struct dk_buf_table zero;
    uint32_t n = 0xdead;

    memset(&zero, 0, sizeof zero);
    (void)new_buf(cl[1], 64, 1);
    SNAP();
    EXPECT_ST(DK_E_INVAL, dk_buf_reclaim_client(NULL, cl[1], &n));
    EXPECT_ST(DK_E_INVAL, dk_buf_reclaim_client(&zero, cl[1], &n));
    UNCHANGED();
    EXPECT_ST(DK_OK, dk_buf_reclaim_client(&w.bt, 0xffff, &n));
    cr_expect_eq(n, 0);
    EXPECT_ST(DK_OK, dk_buf_reclaim_client(&w.bt, spare, NULL));
    UNCHANGED();
}

/* ---- backend --------------------------------------------------------------------------- */

TestSuite(backend, .init = up, .fini = down);

Test(backend, init_refuses_bad_vtables)
{
    const struct dk_backend_ops *host_ops = dk_host_backend(&host)->ops;
    struct dk_backend_ops ops;
    struct dk_backend be, before;

    memset(&be, 0xa5, sizeof be);
    before = be;
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_backend_init(NULL, host_ops, &host, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_backend_init(&be, NULL, &host, &why));
#define BAD_OPS(field, value, st, rs)                                                              \
    do {                                                                                           \
        ops = *host_ops;                                                                           \
        ops.field = value;                                                                         \
        EXPECT_WR(st, rs, dk_backend_init(&be, &ops, &host, &why));                                \
    } while (0)
    BAD_OPS(abi_version, 0, DK_E_VERSION, DK_R_OPS_VERSION);
    BAD_OPS(abi_version, DK_BACKEND_ABI_VERSION + 1, DK_E_VERSION, DK_R_OPS_VERSION);
    BAD_OPS(size, 0, DK_E_VERSION, DK_R_OPS_SIZE);
    BAD_OPS(size, sizeof(struct dk_backend_ops) - 1, DK_E_VERSION, DK_R_OPS_SIZE);
    BAD_OPS(now_ns, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(wait, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(vmo_create, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(vmo_destroy, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(vmo_map, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(vmo_query, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    /* mmio_query, mmio_read, mmio_write and barrier are mandatory with mmio_map. */
    BAD_OPS(mmio_query, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(mmio_read, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(mmio_write, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
    BAD_OPS(barrier, NULL, DK_E_INVAL, DK_R_OPS_MISSING);
#undef BAD_OPS
    cr_expect(memcmp(&be, &before, sizeof be) == 0, "a refused init wrote the backend");
    /* Optional slots may be NULL; ctx may be NULL. */
    ops = *host_ops;
    ops.vmo_unmap = NULL;
    ops.mmio_map = NULL;
    ops.mmio_query = NULL;
    ops.irq_bind = NULL;
    EXPECT_WR(DK_OK, DK_R_NONE, dk_backend_init(&be, &ops, NULL, &why));
}

Test(backend, now_of_null_and_unbound)
{
    struct dk_backend zero;

    memset(&zero, 0, sizeof zero);
    cr_expect_eq(dk_backend_now(NULL), 0);
    cr_expect_eq(dk_backend_now(&zero), 0);
    cr_expect_eq(dk_backend_now(dk_host_backend(&host)), 1000);
}

Test(backend, host_vmo_ops_refusals)
{
    const struct dk_backend *be = dk_host_backend(&host);
    const struct dk_backend_ops *o = be->ops;
    uint64_t vmo = 0, none = 0xdead;
    uint32_t ev = 0xdead;
    struct dk_vmo_info info;
    void *va = NULL;

    cr_assert_eq(o->vmo_create(be->ctx, 128, &vmo), DK_OK);
    EXPECT_ST(DK_E_INVAL, o->wait(be->ctx, 0, &ev)); /* no unbounded waits */
    cr_expect_eq(dk_host_now(&host), 1000);
    EXPECT_ST(DK_E_INVAL, o->vmo_create(be->ctx, 0, &none));
    EXPECT_ST(DK_E_NO_MEMORY, o->vmo_create(be->ctx, sizeof arena + 1, &none));
    EXPECT_ST(DK_E_NO_MEMORY, o->vmo_create(be->ctx, UINT64_MAX, &none));
    cr_expect_eq(none, 0xdead, "a refused vmo_create wrote *vmo");
    /* backend.h: answers as the Nexus kernel gives them. Not a VMO capability is
     * DK_E_PERM; a range outside the VMO, overflow included, is DK_E_INVAL. */
    EXPECT_ST(DK_E_PERM, o->vmo_destroy(be->ctx, 0));
    EXPECT_ST(DK_E_PERM, o->vmo_destroy(be->ctx, UINT64_MAX));
    EXPECT_ST(DK_E_PERM, o->vmo_query(be->ctx, 0, &info));
    EXPECT_ST(DK_E_PERM, o->vmo_query(be->ctx, vmo + 1, &info));
    EXPECT_ST(DK_E_PERM, o->vmo_map(be->ctx, 0, 0, 1, DK_MAP_READ, &va));
    EXPECT_ST(DK_E_PERM, o->vmo_map(be->ctx, vmo + 1, 0, 1, DK_MAP_READ, &va));
    EXPECT_ST(DK_E_INVAL, o->vmo_map(be->ctx, vmo, 0, 129, DK_MAP_READ, &va));
    EXPECT_ST(DK_E_INVAL, o->vmo_map(be->ctx, vmo, 129, 1, DK_MAP_READ, &va));
    EXPECT_ST(DK_E_INVAL, o->vmo_map(be->ctx, vmo, UINT64_MAX, 2, DK_MAP_READ, &va));
    EXPECT_ST(DK_E_INVAL, o->vmo_map(be->ctx, vmo, 1, UINT64_MAX, DK_MAP_READ, &va));
    cr_expect_null(va, "a refused vmo_map wrote *va");
    /* vmo_unmap where nothing is mapped: DK_E_NOT_FOUND (kernel ENOENT). */
    EXPECT_ST(DK_E_NOT_FOUND, o->vmo_unmap(be->ctx, arena, 1));
    {
        int rc = o->vmo_unmap(be->ctx, NULL, 1);
        cr_expect(rc == DK_E_NOT_FOUND || rc == DK_E_INVAL, "vmo_unmap(NULL): %s",
                  dk_status_str(rc));
    }
    EXPECT_ST(DK_OK, o->vmo_destroy(be->ctx, vmo));
    EXPECT_ST(DK_E_PERM, o->vmo_destroy(be->ctx, vmo)); /* twice */
}

static uint32_t dev_read(void *dev, uint64_t off, unsigned width)
{
    (void)dev, (void)off, (void)width;
    return 0x12345678u;
}
static void dev_write(void *dev, uint64_t off, unsigned width, uint32_t value)
{
    (void)dev, (void)off, (void)width, (void)value;
}
static const struct dk_host_mmio_ops dev_ops = {dev_read, dev_write};

Test(backend, host_mmio_irq_ops_refusals)
{
    const struct dk_backend *be = dk_host_backend(&host);
    const struct dk_backend_ops *o = be->ops;
    struct dk_host_stats st;
    struct dk_vmo_info info;
    uintptr_t reg = 0;

    cr_assert_eq(dk_host_window_add(&host, 7, 0x10000000, 0x100, 3, &dev_ops, NULL), DK_OK);
    EXPECT_ST(DK_E_PERM, o->mmio_map(be->ctx, 7, 0, 4, &reg));  /* not granted */
    EXPECT_ST(DK_E_PERM, o->mmio_map(be->ctx, 99, 0, 4, &reg)); /* no such cap */
    EXPECT_ST(DK_E_PERM, o->mmio_query(be->ctx, 7, &info));
    cr_assert_eq(dk_host_grant(&host, 7), DK_OK);
    EXPECT_ST(DK_E_INVAL, o->mmio_map(be->ctx, 7, 0, 0x101, &reg));
    EXPECT_ST(DK_E_INVAL, o->mmio_map(be->ctx, 7, 0x100, 4, &reg));
    EXPECT_ST(DK_E_INVAL, o->mmio_map(be->ctx, 7, UINT64_MAX, 2, &reg));
    EXPECT_ST(DK_E_INVAL, o->mmio_map(be->ctx, 7, 0, 0, &reg));
    cr_assert_eq(dk_host_stats(&host, &st), DK_OK);
    cr_expect_eq(st.maps_denied, 2);
    cr_assert_eq(o->mmio_map(be->ctx, 7, 0, 0x100, &reg), DK_OK);
    /* Register accesses outside the window, unaligned or of a bad width fault
     * (reads answer all ones) and are counted. */
    cr_expect_eq(o->mmio_read(be->ctx, reg + 0x100, 4), 0xffffffffu);
    cr_expect_eq(o->mmio_read(be->ctx, reg + 2, 4), 0xffffffffu);
    cr_expect_eq(o->mmio_read(be->ctx, reg, 3), 0xffffffffu);
    cr_expect_eq(o->mmio_read(be->ctx, reg, 8), 0xffffffffu);
    cr_expect_eq(o->mmio_read(be->ctx, 0, 4), 0xffffffffu);
    cr_expect_eq(o->mmio_read(be->ctx, UINTPTR_MAX, 1), 0xffffffffu);
    o->mmio_write(be->ctx, reg + 0xfe, 4, 1);
    o->mmio_write(be->ctx, 0, 4, 1);
    cr_assert_eq(dk_host_stats(&host, &st), DK_OK);
    cr_expect_eq(st.mmio_faults, 8);
    cr_expect_eq(o->mmio_read(be->ctx, reg + 0xfc, 4), 0x12345678u);
    o->barrier(be->ctx, DK_BARRIER_FULL);
    o->barrier(be->ctx, (enum dk_barrier)99); /* an undefined kind must not crash */
    /* irq_bind answers DK_E_INVAL for a line that does not exist (backend.h). */
    EXPECT_ST(DK_E_INVAL, o->irq_bind(be->ctx, DK_HOST_IRQS));
    EXPECT_ST(DK_E_INVAL, o->irq_bind(be->ctx, UINT32_MAX));
    EXPECT_ST(DK_E_NOT_FOUND, o->irq_ack(be->ctx, DK_HOST_IRQS));
    EXPECT_ST(DK_E_NOT_FOUND, o->irq_ack(be->ctx, 5)); /* never bound */
    /* The host backend has no kernel fences: the optional slots are NULL. */
    cr_expect_null(o->kfence_create);
    cr_expect_null(o->kfence_signal);
    cr_expect_null(o->kfence_wait);
    cr_expect_null(o->kfence_destroy);
}

/* ---- host ------------------------------------------------------------------------------ */

TestSuite(host, .init = up, .fini = down);

Test(host, init_fini_refusals)
{
    static struct dk_host h, zero;

    EXPECT_ST(DK_E_INVAL, dk_host_init(NULL, arena, sizeof arena, 0));
    EXPECT_ST(DK_E_INVAL, dk_host_init(&h, NULL, sizeof arena, 0));
    EXPECT_ST(DK_E_INVAL, dk_host_init(&h, arena, 0, 0));
    cr_expect_null(dk_host_backend(&h), "a refused init left a usable host");
    EXPECT_ST(DK_OK, dk_host_fini(&zero));
    EXPECT_ST(DK_OK, dk_host_fini(&zero));
    EXPECT_ST(DK_OK, dk_host_fini(NULL));
    EXPECT_ST(DK_OK, dk_host_fini(&host));
    EXPECT_ST(DK_OK, dk_host_fini(&host));
    EXPECT_ST(DK_E_INVAL, dk_host_advance(&host, 1));
}

Test(host, accessor_refusals)
{
    static struct dk_host zero;
    struct dk_backend other = *dk_host_backend(&host);
    struct dk_backend_ops ops = *other.ops;
    struct dk_host_stats st;

    other.ops = &ops; /* a copy of the vtable: not the host's backend */
    cr_expect_null(dk_host_backend(NULL));
    cr_expect_null(dk_host_backend(&zero));
    cr_expect_null(dk_host_from_backend(NULL));
    cr_expect_null(dk_host_from_backend(&other));
    cr_expect_eq(dk_host_from_backend(dk_host_backend(&host)), &host);
    cr_expect_eq(dk_host_now(NULL), 0);
    cr_expect_eq(dk_host_now(&zero), 0);
    EXPECT_ST(DK_E_INVAL, dk_host_stats(NULL, &st));
    EXPECT_ST(DK_E_INVAL, dk_host_stats(&zero, &st));
    EXPECT_ST(DK_E_INVAL, dk_host_stats(&host, NULL));
}

static void on_event(void *arg, struct dk_host *h)
{
    (void)h;
    ++*(int *)arg;
}

Test(host, clock_event_refusals)
{
    static struct dk_host zero;
    uint32_t id = 0xdead, first;
    int fired = 0, rc;
    unsigned i;

    EXPECT_ST(DK_E_INVAL, dk_host_advance(NULL, 1));
    EXPECT_ST(DK_E_INVAL, dk_host_advance(&zero, 1));
    EXPECT_ST(DK_E_RANGE, dk_host_advance(&host, UINT64_MAX));
    EXPECT_ST(DK_E_RANGE, dk_host_advance(&host, UINT64_MAX - 999));
    cr_expect_eq(dk_host_now(&host), 1000, "a refused advance moved the clock");
    EXPECT_ST(DK_E_INVAL, dk_host_schedule(NULL, 2000, on_event, &fired, &id));
    EXPECT_ST(DK_E_INVAL, dk_host_schedule(&zero, 2000, on_event, &fired, &id));
    EXPECT_ST(DK_E_INVAL, dk_host_schedule(&host, 2000, NULL, &fired, &id));
    EXPECT_ST(DK_E_INVAL, dk_host_schedule(&host, 999, on_event, &fired, &id));
    EXPECT_ST(DK_E_INVAL, dk_host_schedule(&host, 0, on_event, &fired, &id));
    cr_expect_eq(id, 0xdead, "a refused schedule wrote *id");
    cr_assert_eq(dk_host_schedule(&host, 2000, on_event, &fired, &first), DK_OK);
    for (i = 1; i < DK_HOST_EVENTS_MAX; i++)
        cr_assert_eq(dk_host_schedule(&host, 2000 + i, on_event, &fired, NULL), DK_OK);
    EXPECT_ST(DK_E_NO_SPACE, dk_host_schedule(&host, 5000, on_event, &fired, &id));
    EXPECT_ST(DK_E_INVAL, dk_host_cancel(NULL, first));
    EXPECT_ST(DK_E_INVAL, dk_host_cancel(&zero, first));
    rc = dk_host_cancel(&host, 0); /* ids are never 0 */
    cr_expect(rc == DK_E_NOT_FOUND || rc == DK_E_INVAL, "cancel(0): %s", dk_status_str(rc));
    EXPECT_ST(DK_E_NOT_FOUND, dk_host_cancel(&host, DK_HOST_EVENTS_MAX + 1));
    EXPECT_ST(DK_E_NOT_FOUND, dk_host_cancel(&host, UINT32_MAX));
    EXPECT_ST(DK_OK, dk_host_cancel(&host, first));
    EXPECT_ST(DK_E_NOT_FOUND, dk_host_cancel(&host, first)); /* twice */
    cr_expect_eq(fired, 0);
}

Test(host, window_irq_refusals)
{
    static struct dk_host zero;
    unsigned i;

    EXPECT_ST(DK_E_INVAL, dk_host_window_add(NULL, 1, 0, 16, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_INVAL, dk_host_window_add(&zero, 1, 0, 16, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_INVAL, dk_host_window_add(&host, 1, 0, 16, 0, NULL, NULL));
    EXPECT_ST(DK_E_INVAL, dk_host_window_add(&host, 1, 0, 0, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_INVAL, dk_host_window_add(&host, 1, 0, 3, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_INVAL,
              dk_host_window_add(&host, 1, 0, DK_HOST_WINDOW_LEN_MAX + 1, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_INVAL, dk_host_window_add(&host, 1, 0, UINT64_MAX, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_INVAL, dk_host_window_add(&host, 1, 0, 16, DK_HOST_IRQS, &dev_ops, NULL));
    for (i = 0; i < DK_HOST_WINDOWS_MAX; i++)
        cr_assert_eq(dk_host_window_add(&host, 100 + i, 0, 16, 0, &dev_ops, NULL), DK_OK);
    EXPECT_ST(DK_E_EXISTS, dk_host_window_add(&host, 100, 0, 16, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_NO_SPACE, dk_host_window_add(&host, 1, 0, 16, 0, &dev_ops, NULL));
    EXPECT_ST(DK_E_INVAL, dk_host_grant(NULL, 100));
    EXPECT_ST(DK_E_INVAL, dk_host_grant(&zero, 100));
    EXPECT_ST(DK_E_NOT_FOUND, dk_host_grant(&host, 1));
    EXPECT_ST(DK_E_INVAL, dk_host_revoke(NULL, 100));
    EXPECT_ST(DK_E_INVAL, dk_host_revoke(&zero, 100));
    EXPECT_ST(DK_E_NOT_FOUND, dk_host_revoke(&host, 1));
    EXPECT_ST(DK_E_INVAL, dk_host_raise_irq(NULL, 0));
    EXPECT_ST(DK_E_INVAL, dk_host_raise_irq(&zero, 0));
    EXPECT_ST(DK_E_INVAL, dk_host_raise_irq(&host, DK_HOST_IRQS));
    EXPECT_ST(DK_E_INVAL, dk_host_raise_irq(&host, UINT32_MAX));
}

Test(host, dma_ptr_refusals)
{
    const struct dk_backend *be = dk_host_backend(&host);
    struct dk_vmo_info a, b;
    uint64_t va, vb;
    static struct dk_host zero;

    cr_assert_eq(be->ops->vmo_create(be->ctx, 64, &va), DK_OK);
    cr_assert_eq(be->ops->vmo_create(be->ctx, 64, &vb), DK_OK);
    cr_assert_eq(be->ops->vmo_query(be->ctx, va, &a), DK_OK);
    cr_assert_eq(be->ops->vmo_query(be->ctx, vb, &b), DK_OK);
    cr_expect_not_null(dk_host_dma_ptr(&host, a.dma_addr, a.len));
    cr_expect_null(dk_host_dma_ptr(NULL, a.dma_addr, 1));
    cr_expect_null(dk_host_dma_ptr(&zero, a.dma_addr, 1));
    cr_expect_null(dk_host_dma_ptr(&host, DK_HOST_DMA_BASE - 1, 1));
    cr_expect_null(dk_host_dma_ptr(&host, 0, 1));
    cr_expect_null(dk_host_dma_ptr(&host, a.dma_addr, a.len + 1));
    cr_expect_null(dk_host_dma_ptr(&host, a.dma_addr + 1, UINT64_MAX)); /* wraps */
    cr_expect_null(dk_host_dma_ptr(&host, UINT64_MAX, 2));
    if (b.dma_addr == a.dma_addr + a.len) /* adjacent VMOs: a range across both */
        cr_expect_null(dk_host_dma_ptr(&host, a.dma_addr + a.len - 1, 2));
    cr_assert_eq(be->ops->vmo_destroy(be->ctx, vb), DK_OK);
    cr_expect_null(dk_host_dma_ptr(&host, b.dma_addr, 1), "a destroyed VMO is still reachable");
}

/* ---- device ---------------------------------------------------------------------------- */

Test(device, refusals)
{
    struct dk_device d, zero;

    memset(&zero, 0, sizeof zero);
    EXPECT_ST(DK_E_INVAL, dk_device_init(NULL, 1, NULL));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_device_online(NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_device_online(&zero, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_device_fault(NULL, DK_R_DEV_FAULTED, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_device_fault(&zero, DK_R_DEV_FAULTED, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_device_reset_begin(NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_device_reset_begin(&zero, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_device_reset_end(NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_device_reset_end(&zero, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_device_admit(NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_device_admit(&zero, &why));
    EXPECT_ST(DK_E_INVAL, dk_device_check_epoch(NULL, 1));
    EXPECT_ST(DK_E_INVAL, dk_device_check_epoch(&zero, 0));
    cr_assert_eq(dk_device_init(&d, 1, NULL), DK_OK);
    /* Transitions that the state machine does not have, from OFFLINE. */
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_fault(&d, DK_R_DEV_FAULTED, &why));
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_reset_begin(&d, &why));
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_reset_end(&d, &why));
    EXPECT_WR(DK_E_STATE, DK_R_DEV_OFFLINE, dk_device_admit(&d, &why));
    cr_assert_eq(dk_device_online(&d, NULL), DK_OK);
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_online(&d, &why));
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_reset_end(&d, &why));
    cr_assert_eq(dk_device_reset_begin(&d, NULL), DK_OK);
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_fault(&d, DK_R_DEV_FAULTED, &why));
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_online(&d, &why));
    EXPECT_WR(DK_E_STATE, DK_R_BAD_TRANSITION, dk_device_reset_begin(&d, &why));
    /* Epochs other than the current one (1) are stale, 0 and the far future included. */
    EXPECT_ST(DK_E_STALE, dk_device_check_epoch(&d, 0));
    EXPECT_ST(DK_E_STALE, dk_device_check_epoch(&d, 2));
    EXPECT_ST(DK_E_STALE, dk_device_check_epoch(&d, UINT64_MAX));
    EXPECT_ST(DK_OK, dk_device_check_epoch(&d, 1));
    cr_expect_eq(d.epoch, 1);
    cr_expect_eq(d.state, DK_DEV_RESETTING);
}

/* ---- wire ------------------------------------------------------------------------------ */

static struct dk_frame frame, zframe; /* about 68 KiB each */
static uint8_t wbuf[DK_WIRE_FRAME_MAX + 16];

Test(wire, parse_encode_size_refusals)
{
    size_t len = 0xdead, size;

    memset(&zframe, 0, sizeof zframe);
    cr_assert_eq(dk_frame_init(&frame, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_wait(&frame, 1, 1), DK_OK);
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_wire_parse(NULL, wbuf, 64, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_wire_parse(&frame, NULL, 64, &why));
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_TRUNCATED, dk_wire_parse(&frame, NULL, 0, &why));
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_TRUNCATED, dk_wire_parse(&frame, wbuf, 0, &why));
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_TRUNCATED,
              dk_wire_parse(&frame, wbuf, DK_WIRE_HEADER_SIZE - 1, &why));
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_FRAME_CAP,
              dk_wire_parse(&frame, wbuf, DK_WIRE_FRAME_MAX + 1, &why));
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_FRAME_CAP, dk_wire_parse(&frame, wbuf, SIZE_MAX, &why));
    /* A refused parse leaves the frame marked invalid. */
    cr_expect_neq(frame.magic, DK_FRAME_VALID);
    cr_expect_eq(dk_wire_size(&frame), 0);
    cr_expect_eq(dk_wire_size(NULL), 0);
    cr_expect_eq(dk_wire_size(&zframe), 0);
    cr_assert_eq(dk_frame_init(&frame, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_wait(&frame, 1, 1), DK_OK);
    size = dk_wire_size(&frame);
    cr_assert_eq(size, DK_WIRE_HEADER_SIZE + DK_WIRE_FENCE_ENTRY);
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_wire_encode(NULL, wbuf, sizeof wbuf, &len, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_wire_encode(&frame, NULL, sizeof wbuf, &len, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_wire_encode(&frame, wbuf, sizeof wbuf, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_wire_encode(&zframe, wbuf, sizeof wbuf, &len, &why));
    memset(wbuf, 0xee, sizeof wbuf);
    EXPECT_WR(DK_E_NO_SPACE, DK_R_OUT_SMALL, dk_wire_encode(&frame, wbuf, 0, &len, &why));
    EXPECT_WR(DK_E_NO_SPACE, DK_R_OUT_SMALL, dk_wire_encode(&frame, wbuf, size - 1, &len, &why));
    cr_expect_eq(wbuf[0], 0xee, "a refused encode wrote the buffer");
    cr_expect_eq(wbuf[size - 1], 0xee, "a refused encode wrote past cap");
    cr_expect_eq(len, 0xdead, "a refused encode wrote *len");
}

Test(wire, frame_builder_refusals)
{
    static uint8_t payload[DK_WIRE_CMD_PAYLOAD_MAX + 1];
    unsigned i;

    memset(&zframe, 0, sizeof zframe);
    EXPECT_ST(DK_E_INVAL, dk_frame_init(NULL, DK_QOS_NORMAL, 0));
    EXPECT_ST(DK_E_INVAL, dk_frame_init(&frame, DK_QOS_COUNT, 0));
    EXPECT_ST(DK_E_INVAL, dk_frame_init(&frame, UINT_MAX, 0));
    EXPECT_ST(DK_E_INVAL, dk_frame_init(&frame, DK_QOS_NORMAL, 2));
    EXPECT_ST(DK_E_INVAL, dk_frame_init(&frame, DK_QOS_NORMAL, 0x80000000u));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_wait(NULL, 1, 1));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_wait(&zframe, 1, 1));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_signal(NULL, 1, 1));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_signal(&zframe, 1, 1));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_buf(NULL, 1, DK_BUF_READ, 0, 1));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_buf(&zframe, 1, DK_BUF_READ, 0, 1));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_cmd(NULL, DK_OP_NOP, NULL, 0));
    EXPECT_ST(DK_E_INVAL, dk_frame_add_cmd(&zframe, DK_OP_NOP, NULL, 0));
    cr_assert_eq(dk_frame_init(&frame, DK_QOS_NORMAL, 0), DK_OK);
    EXPECT_ST(DK_E_INVAL, dk_frame_add_cmd(&frame, DK_OP_NOP, NULL, 1));
    EXPECT_ST(DK_OK, dk_frame_add_cmd(&frame, DK_OP_NOP, NULL, 0));
    EXPECT_ST(DK_E_MALFORMED, dk_frame_add_cmd(&frame, DK_OP_NOP, payload, sizeof payload));
    EXPECT_ST(DK_E_MALFORMED, dk_frame_add_cmd(&frame, DK_OP_NOP, payload, UINT32_MAX));
    for (i = 0; i < DK_WIRE_WAITS_MAX; i++)
        cr_assert_eq(dk_frame_add_wait(&frame, 1, i + 1), DK_OK);
    EXPECT_ST(DK_E_MALFORMED, dk_frame_add_wait(&frame, 1, 99));
    for (i = 0; i < DK_WIRE_SIGNALS_MAX; i++)
        cr_assert_eq(dk_frame_add_signal(&frame, 2, i + 1), DK_OK);
    EXPECT_ST(DK_E_MALFORMED, dk_frame_add_signal(&frame, 2, 99));
    for (i = 0; i < DK_WIRE_BUFS_MAX; i++)
        cr_assert_eq(dk_frame_add_buf(&frame, 1, DK_BUF_READ, 0, 1), DK_OK);
    EXPECT_ST(DK_E_MALFORMED, dk_frame_add_buf(&frame, 1, DK_BUF_READ, 0, 1));
    for (i = 1; i < DK_WIRE_CMDS_MAX; i++)
        cr_assert_eq(dk_frame_add_cmd(&frame, DK_OP_NOP, NULL, 0), DK_OK);
    EXPECT_ST(DK_E_MALFORMED, dk_frame_add_cmd(&frame, DK_OP_NOP, NULL, 0));
    cr_expect_null(dk_frame_cmd_payload(NULL, 0));
    cr_expect_null(dk_frame_cmd_payload(&zframe, 0));
    cr_expect_null(dk_frame_cmd_payload(&frame, DK_WIRE_CMDS_MAX));
    cr_expect_null(dk_frame_cmd_payload(&frame, UINT32_MAX));
    cr_expect_not_null(dk_frame_cmd_payload(&frame, 0));
}

/* ---- submit ---------------------------------------------------------------------------- */

TestSuite(submit, .init = up, .fini = down);

static struct dk_submission rec;

Test(submit, frame_refusals)
{
    struct dk_submit_ctx c = {&w.q, &w.ft, &w.bt, NULL}, nobufs = c, noq = c;
    struct dk_device dev;
    uint32_t b = new_buf(cl[1], 64, DK_BUF_READ), other = new_buf(cl[2], 64, DK_BUF_READ);
    uint32_t f = new_fence(cl[1]), gone = stale_fence();
    unsigned i;
    static const struct {
        int kind;            /* 0 buf ref, 1 wait, 2 signal */
        uint32_t handle_sel; /* 0: handle 0, 1: own, 2: other's, 3: stale */
        unsigned access;
        uint64_t a, b; /* offset/length, or value */
        int st, rs;
    } bad[] = {
        /* Frame-level faults come first (dk_frame_check), then state checks. */
        {0, 0, DK_BUF_READ, 0, 1, DK_E_MALFORMED, DK_R_WIRE_HANDLE},
        {0, 2, DK_BUF_READ, 0, 1, DK_E_NOT_FOUND, DK_R_NOT_OWNER},
        {0, 1, 0, 0, 1, DK_E_MALFORMED, DK_R_WIRE_ACCESS},
        {0, 1, 0x80, 0, 1, DK_E_MALFORMED, DK_R_WIRE_ACCESS},
        {0, 1, DK_BUF_READ, 0, 0, DK_E_MALFORMED, DK_R_WIRE_BUF_EMPTY},
        {0, 1, DK_BUF_READ, UINT64_MAX, 2, DK_E_MALFORMED, DK_R_WIRE_BUF_OVERFLOW},
        {0, 1, DK_BUF_READ, 1, UINT64_MAX, DK_E_MALFORMED, DK_R_WIRE_BUF_OVERFLOW},
        {0, 1, DK_BUF_READ, 1, UINT64_MAX - 1, DK_E_RANGE, DK_R_SLICE_OOB},
        {0, 1, DK_BUF_WRITE, 0, 1, DK_E_DENIED, DK_R_NO_WRITE_RIGHT},
        {1, 0, 0, 1, 0, DK_E_MALFORMED, DK_R_WIRE_HANDLE},
        {1, 3, 0, 1, 0, DK_E_STALE, DK_R_STALE_HANDLE},
        {1, 2, 0, 1, 0, DK_E_NOT_FOUND, DK_R_NOT_OWNER},
        {1, 1, 0, UINT64_MAX, 0, DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR},
        {2, 0, 0, 1, 0, DK_E_MALFORMED, DK_R_WIRE_HANDLE},
        {2, 3, 0, 1, 0, DK_E_STALE, DK_R_STALE_HANDLE},
        {2, 1, 0, 0, 0, DK_E_MALFORMED, DK_R_WIRE_SIGNAL_ZERO}, /* the frame check comes first */
        {2, 1, 0, 101, 0, DK_E_MALFORMED, DK_R_WIRE_SIGNAL_JUMP},
    };

    nobufs.bufs = NULL;
    noq.queue = NULL;
    memset(&zframe, 0, sizeof zframe);
    cr_assert_eq(dk_frame_init(&frame, DK_QOS_NORMAL, 0), DK_OK);
    SNAP();
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_submit_frame(NULL, cl[1], &frame, 0, &rec, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_submit_frame(&noq, cl[1], &frame, 0, &rec, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_submit_frame(&c, cl[1], NULL, 0, &rec, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG, dk_submit_frame(&c, cl[1], &frame, 0, NULL, &why));
    EXPECT_WR(DK_E_INVAL, DK_R_NOT_INIT, dk_submit_frame(&c, cl[1], &zframe, 0, &rec, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_submit_frame(&c, 0xffff, &frame, 0, &rec, &why));
    EXPECT_WR(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_submit_frame(&c, spare, &frame, 0, &rec, &why));
    frame.qos = DK_QOS_COUNT; /* only a frame built by hand can carry this */
    EXPECT_WR(DK_E_MALFORMED, DK_R_WIRE_QOS, dk_submit_frame(&c, cl[1], &frame, 0, &rec, &why));
    for (i = 0; i < DK_ARRAY_LEN(bad); i++) {
        uint32_t hs[] = {0, bad[i].kind == 0 ? b : f, bad[i].kind == 0 ? other : cfence, gone};
        cr_assert_eq(dk_frame_init(&frame, DK_QOS_NORMAL, 0), DK_OK);
        if (bad[i].kind == 0)
            frame.bufs[frame.n_bufs++] =
                (struct dk_wire_buf){hs[bad[i].handle_sel], bad[i].access, bad[i].a, bad[i].b};
        else if (bad[i].kind == 1)
            cr_assert_eq(dk_frame_add_wait(&frame, hs[bad[i].handle_sel], bad[i].a), DK_OK);
        else
            cr_assert_eq(dk_frame_add_signal(&frame, hs[bad[i].handle_sel], bad[i].a), DK_OK);
        EXPECT_WR(bad[i].st, bad[i].rs, dk_submit_frame(&c, cl[1], &frame, i, &rec, &why));
        /* a frame with buffer refs needs a buffer table (once the frame
         * itself has passed its own check) */
        if (bad[i].kind == 0 && bad[i].st != DK_E_MALFORMED)
            EXPECT_WR(DK_E_INVAL, DK_R_NULL_ARG,
                      dk_submit_frame(&nobufs, cl[1], &frame, i, &rec, &why));
    }
    /* Device admission comes first: an offline device takes no work. */
    cr_assert_eq(dk_device_init(&dev, 1, NULL), DK_OK);
    c.device = &dev;
    cr_assert_eq(dk_frame_init(&frame, DK_QOS_NORMAL, 0), DK_OK);
    EXPECT_WR(DK_E_STATE, DK_R_DEV_OFFLINE, dk_submit_frame(&c, cl[1], &frame, 0, &rec, &why));
    UNCHANGED();
}

Test(submit, ready_release_retire_refusals)
{
    struct dk_submit_ctx c = {&w.q, &w.ft, &w.bt, NULL};
    struct dk_submission zrec;
    uint32_t idx = 0xdead;
    int rc;

    memset(&zrec, 0, sizeof zrec);
    EXPECT_ST(DK_E_INVAL, dk_submit_ready(NULL, &zrec, &idx));
    EXPECT_ST(DK_E_INVAL, dk_submit_ready(&c, NULL, &idx));
    EXPECT_ST(DK_E_INVAL, dk_submit_ready(&c, &zrec, &idx)); /* never submitted */
    EXPECT_ST(DK_E_INVAL, dk_submit_release(NULL, &zrec));
    EXPECT_ST(DK_E_INVAL, dk_submit_release(&c, NULL));
    EXPECT_ST(DK_E_INVAL, dk_submit_retire(NULL, &zrec, DK_OUTCOME_OK));
    EXPECT_ST(DK_E_INVAL, dk_submit_retire(&c, NULL, DK_OUTCOME_OK));
    SNAP();
    /* A record that was never submitted has nothing to release or retire. */
    rc = dk_submit_release(&c, &zrec);
    cr_expect(rc == DK_E_INVAL || rc == DK_E_STATE, "release(zeroed): %s", dk_status_str(rc));
    rc = dk_submit_retire(&c, &zrec, DK_OUTCOME_OK);
    cr_expect(rc == DK_E_INVAL || rc == DK_E_STATE, "retire(zeroed): %s", dk_status_str(rc));
    UNCHANGED();
    cr_assert_eq(dk_frame_init(&frame, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_submit_frame(&c, cl[1], &frame, 0, &rec, NULL), DK_OK);
    EXPECT_ST(DK_E_INVAL, dk_submit_retire(&c, &rec, DK_OUTCOME_COUNT));
    EXPECT_ST(DK_E_INVAL, dk_submit_retire(&c, &rec, UINT_MAX));
    EXPECT_ST(DK_OK, dk_submit_release(&c, &rec));
    EXPECT_ST(DK_E_STATE, dk_submit_release(&c, &rec));
    EXPECT_ST(DK_OK, dk_submit_retire(&c, &rec, DK_OUTCOME_OK));
    EXPECT_ST(DK_E_STATE, dk_submit_retire(&c, &rec, DK_OUTCOME_OK));
    EXPECT_ST(DK_E_STATE, dk_submit_release(&c, &rec));
}

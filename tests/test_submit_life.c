/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The life of an accepted submission (include/driverkit/submit.h): what
 * dk_submit_frame() takes, dk_submit_ready() over the wait fences,
 * dk_submit_release() and dk_submit_retire() exactly once each, fences
 * signalled in retire order when tickets complete out of order, and the kill
 * path of one client while another's work completes. Refusals are in
 * test_submit.c.
 */
#include "submit_fixture.h"

static struct dk_frame F2;

/* A frame of A's: the base frame's buffers, signalling @fence to @value, no waits. */
static void frame_signalling(struct dk_frame *f, uint32_t fence, uint64_t value)
{
    cr_assert_eq(dk_frame_init(f, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, BA_RW, DK_BUF_WRITE, 0, 256), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, BA_R, DK_BUF_READ, 128, 64), DK_OK);
    cr_assert_eq(dk_frame_add_signal(f, fence, value), DK_OK);
}

Test(submit_life, accepted_frame_takes_slot_pins_promises_and_quota, .init = sf_setup)
{
    enum dk_reason why = DK_R_BAD_ENUM;
    const struct dk_submission *r = &recs[0];
    unsigned state = 99;

    cr_assert_eq(sf_submit(A, &F, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_eq(r->ticket, 1);
    cr_assert_eq(r->state, DK_SUB_ACTIVE);
    cr_assert_eq(r->client, A);
    cr_assert_eq(r->qos, DK_QOS_NORMAL);
    cr_assert_eq(r->epoch, D.epoch);
    cr_assert_eq(r->n_bufs, 2);
    cr_assert_eq(r->bufs[0], BA_RW);
    cr_assert_eq(r->bufs[1], BA_R);
    cr_assert_eq(r->n_waits, 1);
    cr_assert_eq(r->waits[0].fence, FB);
    cr_assert_eq(r->waits[0].value, 1);
    cr_assert_eq(r->n_signals, 1);
    cr_assert_eq(r->signals[0].fence, FA);
    cr_assert_eq(r->signals[0].value, 1);
    cr_assert_eq(dk_queue_query(&Q, r->ticket, &state, NULL), DK_OK);
    cr_assert_eq(state, DK_TICKET_PENDING);
    cr_assert_eq(sf_pins(A, BA_RW), 1);
    cr_assert_eq(sf_pins(A, BA_R), 1);
    cr_assert_eq(sf_pins(B, BB), 0);
    cr_assert_eq(sf_used(A, DK_RES_INFLIGHT), 1);
    cr_assert_eq(sf_used(DK_LEDGER_GLOBAL, DK_RES_INFLIGHT), 1);
    cr_assert_eq(sf_fence_value(FA, A, NULL), 0, "a promise is not a signal");
    /* the promise is recorded: the same value again is a rollback, the next is fine */
    frame_signalling(&F2, FA, 1);
    cr_assert_eq(sf_submit(A, &F2, &why), DK_E_ROLLBACK);
    cr_assert_eq(why, DK_R_VALUE_ROLLBACK);
    frame_signalling(&F2, FA, 2);
    cr_assert_eq(sf_submit(A, &F2, &why), DK_OK);
    cr_assert_eq(recs[1].ticket, 2);
    cr_assert_eq(sf_pins(A, BA_R), 2);
    cr_assert_eq(sf_used(A, DK_RES_INFLIGHT), 2);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

Test(submit_life, ready_waits_for_the_wait_fence, .init = sf_setup)
{
    uint32_t index = 77;

    F.waits[0].value = 2;
    cr_assert_eq(sf_submit(A, &F, NULL), DK_OK);
    cr_assert_eq(dk_submit_ready(&CTX, &recs[0], &index), DK_E_WOULD_BLOCK);
    cr_assert_eq(dk_fence_signal(&FT, B, FB, 1, NULL), DK_OK);
    cr_assert_eq(dk_submit_ready(&CTX, &recs[0], &index), DK_E_WOULD_BLOCK);
    cr_assert_eq(dk_fence_signal(&FT, B, FB, 2, NULL), DK_OK);
    cr_assert_eq(dk_submit_ready(&CTX, &recs[0], &index), DK_OK);
    cr_assert_eq(dk_submit_ready(&CTX, &recs[0], NULL), DK_OK);
}

Test(submit_life, ready_reports_a_failed_wait_fence_and_its_index, .init = sf_setup)
{
    uint32_t fb2, index = 77;

    cr_assert_eq(dk_fence_create(&FT, B, &fb2, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&FT, B, fb2, A, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    cr_assert_eq(dk_frame_add_wait(&F, fb2, 3), DK_OK);
    cr_assert_eq(sf_submit(A, &F, NULL), DK_OK);
    cr_assert_eq(dk_fence_signal(&FT, B, FB, 1, NULL), DK_OK);
    cr_assert_eq(dk_fence_fail(&FT, B, fb2, 2, DK_E_DEVICE, NULL), DK_OK);
    cr_assert_eq(dk_submit_ready(&CTX, &recs[0], &index), DK_E_DEVICE);
    cr_assert_eq(index, 1);
}

Test(submit_life, release_unpins_exactly_once, .init = sf_setup)
{
    cr_assert_eq(sf_submit(A, &F, NULL), DK_OK);
    frame_signalling(&F2, FA, 2);
    cr_assert_eq(sf_submit(A, &F2, NULL), DK_OK);
    cr_assert_eq(sf_pins(A, BA_R), 2);
    cr_assert_eq(dk_submit_release(&CTX, &recs[0]), DK_OK);
    cr_assert_eq(recs[0].state, DK_SUB_RELEASED);
    cr_assert_eq(sf_pins(A, BA_R), 1);
    cr_assert_eq(sf_pins(A, BA_RW), 1);
    cr_assert_eq(dk_submit_release(&CTX, &recs[0]), DK_E_STATE);
    cr_assert_eq(sf_pins(A, BA_R), 1, "a second release unpinned again");
    /* retiring a released record does not unpin a second time */
    cr_assert_eq(dk_submit_retire(&CTX, &recs[0], DK_OUTCOME_OK), DK_OK);
    cr_assert_eq(sf_pins(A, BA_R), 1);
    cr_assert_eq(dk_submit_release(&CTX, &recs[0]), DK_E_STATE);
    cr_assert_eq(dk_submit_release(&CTX, &recs[1]), DK_OK);
    cr_assert_eq(sf_pins(A, BA_R), 0);
    cr_assert_eq(sf_pins(A, BA_RW), 0);
}

Test(submit_life, retire_ok_signals_the_frames_fences, .init = sf_setup)
{
    struct dk_waiter w = {.target = 1};
    uint32_t fa2;

    cr_assert_eq(dk_fence_create(&FT, A, &fa2, NULL), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&F, fa2, 3), DK_OK);
    cr_assert_eq(sf_submit(A, &F, NULL), DK_OK);
    cr_assert_eq(dk_fence_waiter_add(&FT, A, FA, &w, NULL), DK_OK);
    cr_assert_eq(w.status, DK_E_WOULD_BLOCK);
    cr_assert_eq(dk_submit_retire(&CTX, &recs[0], DK_OUTCOME_OK), DK_OK);
    cr_assert_eq(recs[0].state, DK_SUB_RETIRED);
    cr_assert_eq(sf_fence_value(FA, A, NULL), 1);
    cr_assert_eq(sf_fence_value(fa2, A, NULL), 3);
    cr_assert_eq(w.status, DK_OK);
    cr_assert_eq(sf_pins(A, BA_RW), 0, "retire without release unpins");
    cr_assert_eq(sf_pins(A, BA_R), 0);
    cr_assert_eq(dk_submit_retire(&CTX, &recs[0], DK_OUTCOME_OK), DK_E_STATE);
    cr_assert_eq(dk_fence_waiter_remove(&FT, FA, &w), DK_OK);
    cr_assert_eq(sf_used(A, DK_RES_WAITERS), 0);
}

/* Every failing outcome fails the frame's fences with the outcome's status. */
Test(submit_life, retire_with_an_error_fails_the_fences, .init = sf_setup)
{
    for (unsigned o = DK_OUTCOME_DEVICE_ERROR; o < DK_OUTCOME_COUNT; o++) {
        struct dk_waiter w = {.target = 1};
        int want = dk_outcome_status((int)o), fail = DK_OK;
        struct dk_submission *r = &recs[nrecs];
        uint32_t fx;

        cr_assert_eq(dk_fence_create(&FT, A, &fx, NULL), DK_OK);
        cr_assert_eq(dk_fence_grant(&FT, A, fx, B, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
        frame_signalling(&F2, fx, 1);
        cr_assert_eq(sf_submit(A, &F2, NULL), DK_OK);
        cr_assert_eq(dk_fence_waiter_add(&FT, B, fx, &w, NULL), DK_OK);
        cr_assert_eq(dk_queue_resolve(&Q, r->ticket, o, NULL), DK_OK); /* frees A's quota */
        cr_assert_eq(dk_submit_retire(&CTX, r, o), DK_OK, "%s", dk_outcome_str((int)o));
        cr_assert_eq(w.status, want, "%s: waiter woke with %s", dk_outcome_str((int)o),
                     dk_status_str(w.status));
        cr_assert_eq(dk_fence_poll(&FT, B, fx, 1, NULL), want);
        cr_assert_eq(sf_fence_value(fx, A, &fail), 0);
        cr_assert_eq(fail, want);
        cr_assert_eq(dk_fence_signal(&FT, A, fx, 1, NULL), DK_E_STATE,
                     "a failed fence took a signal");
        cr_assert_eq(sf_pins(A, BA_R), 0);
        cr_assert_eq(dk_fence_waiter_remove(&FT, fx, &w), DK_OK);
    }
    cr_assert_eq(sf_used(B, DK_RES_WAITERS), 0);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

Test(submit_life, retire_refuses_an_unknown_outcome, .init = sf_setup)
{
    cr_assert_eq(sf_submit(A, &F, NULL), DK_OK);
    cr_assert_eq(dk_submit_retire(&CTX, &recs[0], DK_OUTCOME_COUNT), DK_E_INVAL);
    cr_assert_eq(recs[0].state, DK_SUB_ACTIVE);
    cr_assert_eq(sf_pins(A, BA_R), 1);
}

Test(submit_life, buffer_destroyed_while_pinned_is_reclaimed_after_release, .init = sf_setup)
{
    enum dk_reason why = DK_R_NONE;
    struct dk_buf info;
    uint64_t bytes = sf_used(A, DK_RES_BYTES), nbufs = sf_used(A, DK_RES_BUFFERS);

    cr_assert_eq(sf_submit(A, &F, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&BT, A, BA_RW, &why), DK_E_BUSY);
    cr_assert_eq(why, DK_R_BUF_PINNED);
    cr_assert_eq(sf_used(A, DK_RES_BYTES), bytes, "memory returned while the device may use it");
    cr_assert_eq(dk_buf_info(&BT, A, BA_RW, &info), DK_E_STALE);
    frame_signalling(&F2, FA, 2);
    cr_assert_eq(sf_submit(A, &F2, &why), DK_E_STALE, "a retired handle took a new pin");
    cr_assert_eq(dk_submit_release(&CTX, &recs[0]), DK_OK);
    cr_assert_eq(sf_used(A, DK_RES_BYTES), bytes - SF_BUFSIZE);
    cr_assert_eq(sf_used(A, DK_RES_BUFFERS), nbufs - 1);
    cr_assert_eq(dk_buf_info(&BT, A, BA_RW, &info), DK_E_STALE);
    cr_assert_eq(dk_submit_retire(&CTX, &recs[0], DK_OUTCOME_OK), DK_OK);
    cr_assert_eq(sf_used(A, DK_RES_BYTES), bytes - SF_BUFSIZE);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

/* ---- out-of-order completion: fences move only in retire order ---- */

static uint64_t ooo_retired; /* last ticket retired */

static void ooo_hook(uint64_t ticket, uint64_t cookie, unsigned outcome)
{
    (void)cookie;
    cr_assert_eq(outcome, DK_OUTCOME_OK);
    cr_assert_eq(ticket, ooo_retired + 1);
    /* Before ticket t retires, FA shows exactly what ticket t-1 signalled. */
    cr_assert_eq(sf_fence_value(FA, A, NULL), ticket - 1, "FA ran ahead of retirement");
    ooo_retired = ticket;
}

Test(submit_life, out_of_order_completion_signals_in_retire_order, .init = sf_setup)
{
    static const uint64_t order[3] = {3, 1, 2};
    static const uint64_t fa_after[3] = {0, 1, 3};

    sf_auto_retire = 1;
    sf_on_retire = ooo_hook;
    ooo_retired = 0;
    for (uint64_t v = 1; v <= 3; v++) {
        frame_signalling(&F2, FA, v);
        cr_assert_eq(sf_submit(A, &F2, NULL), DK_OK);
        cr_assert_eq(recs[v - 1].ticket, v);
    }
    for (unsigned k = 0; k < 3; k++) {
        cr_assert_eq(dk_queue_resolve(&Q, order[k], DK_OUTCOME_OK, NULL), DK_OK);
        cr_assert_eq(sf_fence_value(FA, A, NULL), fa_after[k], "after ticket %llu resolved",
                     (unsigned long long)order[k]);
        cr_assert_eq(sf_fence_value(FA, A, NULL), dk_queue_watermark(&Q),
                     "FA differs from the retire watermark");
    }
    cr_assert_eq(ooo_retired, 3);
    for (unsigned i = 0; i < 3; i++)
        cr_assert_eq(recs[i].state, DK_SUB_RETIRED);
    cr_assert_eq(sf_pins(A, BA_R), 0);
    cr_assert_eq(sf_used(A, DK_RES_INFLIGHT), 0);
}

/* ---- kill one client while another's work completes ---- */

static void kill_release(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client,
                         unsigned outcome)
{
    struct dk_submission *r = &recs[cookie];

    (void)arg;
    cr_assert_eq(client, A);
    cr_assert_eq(outcome, DK_OUTCOME_KILLED);
    cr_assert_eq(r->ticket, ticket);
    /* A ticket at the tail retires (and unpins) inside the resolution. */
    cr_assert_eq(dk_submit_release(&CTX, r), r->state == DK_SUB_RETIRED ? DK_E_STATE : DK_OK);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

static void b_frame(uint64_t value)
{
    cr_assert_eq(dk_frame_init(&F2, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F2, BB, DK_BUF_READ | DK_BUF_WRITE, 0, 512), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&F2, FB, value), DK_OK);
    cr_assert_eq(sf_submit(B, &F2, NULL), DK_OK);
}

static void a_frame(uint64_t value)
{
    frame_signalling(&F2, FA, value);
    cr_assert_eq(dk_frame_add_wait(&F2, FB, 1), DK_OK);
    cr_assert_eq(sf_submit(A, &F2, NULL), DK_OK);
}

static void kill_scenario(int a_oldest)
{
    uint32_t n = 0, nb = 0, nf = 0;
    uint64_t used[DK_RES_COUNT];

    sf_auto_retire = 1;
    if (a_oldest) { /* A1 A2 B1 A3 B2: A's first tickets retire during the kill */
        a_frame(1), a_frame(2), b_frame(1), a_frame(3), b_frame(2);
    } else { /* B1 A1 A2 B2 A3: B1 holds every A ticket back */
        b_frame(1), a_frame(1), a_frame(2), b_frame(2), a_frame(3);
    }
    cr_assert_eq(sf_used(A, DK_RES_INFLIGHT), 3);
    cr_assert_eq(sf_used(B, DK_RES_INFLIGHT), 2);
    cr_assert_eq(dk_queue_resolve_client(&Q, A, DK_OUTCOME_KILLED, kill_release, NULL, &n), DK_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(sf_pins(A, BA_RW), 0);
    cr_assert_eq(sf_pins(A, BA_R), 0);
    cr_assert_eq(sf_pins(B, BB), 2, "the kill touched B's pins");
    cr_assert_eq(dk_buf_reclaim_client(&BT, A, &nb), DK_OK);
    cr_assert_eq(nb, 2);
    cr_assert_eq(dk_fence_reclaim_client(&FT, A, DK_E_KILLED, &nf), DK_OK);
    cr_assert_eq(nf, 1);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
    /* B's work completes normally and B's fence moves. */
    for (unsigned i = 0; i < nrecs; i++) {
        if (recs[i].client != B)
            continue;
        cr_assert_eq(dk_submit_ready(&CTX, &recs[i], NULL), DK_OK);
        cr_assert_eq(dk_queue_resolve(&Q, recs[i].ticket, DK_OUTCOME_OK, NULL), DK_OK);
        cr_assert_eq(dk_ledger_check(&L), DK_OK);
    }
    cr_assert_eq(dk_queue_watermark(&Q), 5);
    for (unsigned i = 0; i < nrecs; i++)
        cr_assert_eq(recs[i].state, DK_SUB_RETIRED, "record %u", i);
    cr_assert_eq(sf_fence_value(FB, B, NULL), 2);
    cr_assert_eq(sf_pins(B, BB), 0);
    cr_assert_eq(dk_ledger_usage(&L, A, used), DK_OK);
    for (unsigned r = 0; r < DK_RES_COUNT; r++)
        cr_assert_eq(used[r], 0, "A still holds resource %u", r);
    cr_assert_eq(dk_ledger_client_remove(&L, A, NULL), DK_OK);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

Test(submit_life, kill_one_client_while_another_completes, .init = sf_setup)
{
    kill_scenario(0);
}

Test(submit_life, kill_when_the_killed_clients_tickets_are_oldest, .init = sf_setup)
{
    kill_scenario(1);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's completion loop: it publishes used->idx once per
 * batch, and a buffer that vanishes mid-batch still leaves the earlier
 * completions published; a log changes nothing the driver sees; jittered
 * completions come out by (due, request number) from the pending list.
 */
#include "sim_fast_fixture.h"

TestSuite(sim_fast_exec, .fini = sf_teardown);

/* Two reads due together; the second's data VMO goes before they are due:
 * the first is completed and published, then the queue stops. */
Test(sim_fast_exec, buffer_gone_mid_batch_leaves_earlier_completions_published)
{
    uint8_t *c_va;
    uint64_t c_dma, c;

    fast_up(2, 0);
    c = sf_vmo(SF_PAGE, &c_va, &c_dma);
    sf_post_in(0);
    sf_blk(1, DK_SIM_BLK_T_IN, 1, 512);
    sf_desc(4, c_dma, 512, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, 5);
    sf_push(3);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 2u);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, c_va, SF_PAGE), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, c), DK_OK);
    sf_advance(SF_LAT);
    cr_assert_eq(SD.last_driver_fault, DK_SIM_DF_BUF_GONE);
    cr_assert_eq(sf_used_idx(), 1u, "the first completion was not published");
    cr_assert_eq(SD.q[0].used_idx, 1u);
    cr_assert_eq(sf_used_id(0), 0u);
    cr_assert_eq(sf_used_len(0), 513u);
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_OK);
    cr_assert_arr_eq(sf_blk_data(0), sf_disk, 512);
    cr_assert_eq(sf_blk_status(1), 0xffu);
    cr_assert_eq(sf_stats().completions, 1u);
    sf_down();
}

static struct dk_sim_log_entry ent[512];

/* Five reads per kick, twice, with @jitter and @seed; returns the used
 * ring, data, counters and each request's due time (by request number) as
 * the device drew them at the take. */
static void batch_run(uint64_t jitter, uint64_t seed, struct dk_sim_log *log, uint8_t *ring_out,
                      uint8_t *data_out, struct dk_sim_stats *st, uint64_t due[10])
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);

    c.jitter_ns = jitter;
    c.seed = seed;
    c.log = log;
    sf_up(&c);
    sf_start(0);
    for (unsigned i = 0; i < sizeof sf_disk; i++)
        sf_disk[i] = (uint8_t)(i * 29u + 3u);
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned k = 0; k < 5; k++) {
            sf_blk(k, DK_SIM_BLK_T_IN, 5u * round + k, 512);
            memset(sf_blk_data(k), 0x5a, 512);
            sf_push((uint16_t)(3u * k));
        }
        sf_kick();
        for (unsigned k = 0; k < 5; k++) {
            const struct dk_sim_req *r = &SD.q[0].req[3u * k];

            cr_assert_eq(r->req, 5u * round + k);
            due[r->req] = r->due;
        }
        sf_advance(SF_LAT + jitter);
        cr_assert_eq(sf_used_idx(), (uint16_t)(5u * (round + 1u)));
        for (unsigned k = 0; k < 5; k++)
            memcpy(data_out + 512u * (5u * round + k), sf_blk_data(k), 512);
    }
    memcpy(ring_out, sf_used_va, 4 + 8u * SF_NUM);
    *st = sf_stats();
    sf_down();
}

/* Each request of @log completed at its due time, in the order of (due,
 * request number); returns how many came after a later-taken one. */
static uint32_t check_order(const struct dk_sim_log *log, const uint64_t due[10])
{
    uint32_t n = 0, reordered = 0;

    for (uint32_t i = 0, prev = UINT32_MAX; i < log->count; i++) {
        const struct dk_sim_log_entry *e = &log->entries[i];

        if (e->kind != DK_SIM_LOG_COMPLETE)
            continue;
        cr_assert_lt(e->req, 10u);
        cr_assert_eq(e->time, due[e->req], "request %u completed at %llu, due %llu", e->req,
                     (unsigned long long)e->time, (unsigned long long)due[e->req]);
        if (prev != UINT32_MAX) {
            const struct dk_sim_log_entry *p = &log->entries[prev];

            cr_assert(p->time < e->time || (p->time == e->time && p->req < e->req),
                      "entry %u out of order", i);
            reordered += p->req > e->req;
        }
        prev = i;
        n++;
    }
    cr_assert_eq(n, 10u);
    return reordered;
}

Test(sim_fast_exec, a_log_changes_nothing_the_driver_sees)
{
    static uint8_t ring_a[4 + 8u * SF_NUM], ring_b[4 + 8u * SF_NUM];
    static uint8_t data_a[10u * 512u], data_b[10u * 512u];
    uint64_t due_a[10], due_b[10];
    struct dk_sim_stats st_a, st_b;
    struct dk_sim_log log;

    batch_run(5000, 42, NULL, ring_a, data_a, &st_a, due_a);
    cr_assert_eq(dk_sim_log_init(&log, ent, 512), DK_OK);
    batch_run(5000, 42, &log, ring_b, data_b, &st_b, due_b);
    cr_assert_arr_eq(ring_a, ring_b, sizeof ring_a);
    cr_assert_arr_eq(data_a, data_b, sizeof data_a);
    cr_assert(memcmp(&st_a, &st_b, sizeof st_a) == 0);
    cr_assert_arr_eq(due_a, due_b, sizeof due_a);
    cr_assert_gt(check_order(&log, due_b), 0u, "the jitter should reorder some completions");
}

/* With jitter of a few ns many requests fall due together: among equals,
 * the one taken first completes first, also when it was placed before a
 * request due later. */
Test(sim_fast_exec, completions_at_equal_times_keep_request_order)
{
    static uint8_t ring[4 + 8u * SF_NUM], data[10u * 512u];
    uint64_t due[10];
    struct dk_sim_stats st;
    struct dk_sim_log log;
    unsigned ties = 0, reordered = 0;

    for (uint64_t seed = 1; seed <= 32; seed++) {
        cr_assert_eq(dk_sim_log_init(&log, ent, 512), DK_OK);
        batch_run(2, seed, &log, ring, data, &st, due);
        for (unsigned i = 0; i < 10; i++)
            for (unsigned j = i + 1; j < 10; j++)
                ties += due[i] == due[j];
        reordered += check_order(&log, due);
    }
    cr_assert_gt(ties, 0u, "the test needs requests due together");
    cr_assert_gt(reordered, 0u, "and some out of request order");
}

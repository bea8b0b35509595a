/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When the simulated device draws from its generator (src/backend/host/
 * sim_vq.c, dk_sim_draws), and that not drawing changes nothing anyone can
 * see. A device draws a latency jitter and an rng seed per request only
 * where something reads them (jitter_ns, an rng device, a log, a replay);
 * otherwise its requests of one take are due together and join the
 * pending list as one run. Held here:
 *  - a blk device without jitter, log or replay draws nothing, and gives
 *    the driver exactly what the same device recording a log (which draws)
 *    gives it: used ring, data, status bytes, counters;
 *  - an rng device and a jittered device draw whether or not they log,
 *    and give the same bytes and times either way;
 *  - a recorded blk run replays exactly under another seed, and the same
 *    run without log or replay matches both; a replaying device without
 *    jitter or log still draws and takes the recorded times;
 *  - due times that wrap past 2^64 order completions as inserting each
 *    request on its own does (the run's one-by-one fallback).
 */
#include "sim_fixture.h"

#define F(bit) (1ull << (bit))

static void sf_teardown(void)
{
    dk_sim_fini(&SD);
    dk_host_fini(&SH);
}

TestSuite(sim_draws, .fini = sf_teardown);

/* What the driver can see of a run. */
struct view {
    uint8_t used[4 + 8 * SF_NUM];
    uint8_t mem[8 * SF_PAGE];
    struct dk_sim_stats st;
    uint64_t prng; /* the generator's state afterwards: did the device draw? */
};

static struct dk_sim_log_entry ent_a[512], ent_b[512];

/* Three rounds of blk reads (2, 5 and 3 per kick, in descriptors of chains
 * 0..4), under @jitter and @seed, recording into @log / replaying @replay;
 * each round waits SF_LAT + @wait. */
static void blk_run(uint64_t jitter, uint64_t seed, struct dk_sim_log *log,
                    const struct dk_sim_log *replay, uint64_t wait, struct view *v)
{
    static const unsigned per_kick[3] = {2, 5, 3};
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    uint32_t sector = 0;

    c.jitter_ns = jitter;
    c.seed = seed;
    c.extra_features = F(DK_VIRTIO_F_EVENT_IDX);
    c.log = log;
    c.replay = replay;
    sf_up(&c);
    sf_start(F(DK_VIRTIO_F_EVENT_IDX));
    for (unsigned i = 0; i < sizeof sf_disk; i++)
        sf_disk[i] = (uint8_t)(i * 13u + 5u);
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned k = 0; k < per_kick[round]; k++) {
            sf_blk(k, DK_SIM_BLK_T_IN, sector++ % SF_SECTORS, 512);
            memset(sf_blk_data(k), 0x5a, 512);
            sf_push((uint16_t)(3u * k));
        }
        sf_kick();
        sf_advance(SF_LAT + wait);
    }
    cr_assert_eq(sf_used_idx(), 10u);
    memcpy(v->used, sf_used_va, sizeof v->used);
    memcpy(v->mem, sf_va(0), sizeof v->mem);
    v->st = sf_stats();
    v->prng = SD.prng;
    sf_down();
}

static void view_eq(const struct view *a, const struct view *b)
{
    cr_assert_arr_eq(a->used, b->used, sizeof a->used, "used rings differ");
    cr_assert_arr_eq(a->mem, b->mem, sizeof a->mem, "data or status bytes differ");
    cr_assert(memcmp(&a->st, &b->st, sizeof a->st) == 0, "counters differ");
}

Test(sim_draws, blk_without_jitter_log_or_replay_draws_nothing_and_nobody_can_tell)
{
    static struct view quiet, logged;
    struct dk_sim_log log;

    blk_run(0, 77, NULL, NULL, 0, &quiet);
    cr_assert_eq(quiet.prng, 77u, "nothing reads the draws: none are made");
    cr_assert_eq(dk_sim_log_init(&log, ent_a, 512), DK_OK);
    blk_run(0, 77, &log, NULL, 0, &logged);
    cr_assert_neq(logged.prng, 77u, "a log records the seeds: they are drawn");
    view_eq(&quiet, &logged);
}

Test(sim_draws, jittered_blk_draws_with_or_without_a_log)
{
    static struct view plain, logged;
    struct dk_sim_log log;

    blk_run(3000, 5, NULL, NULL, 3000, &plain);
    cr_assert_neq(plain.prng, 5u);
    cr_assert_eq(dk_sim_log_init(&log, ent_a, 512), DK_OK);
    blk_run(3000, 5, &log, NULL, 3000, &logged);
    cr_assert_eq(plain.prng, logged.prng, "the same draws");
    view_eq(&plain, &logged);
}

Test(sim_draws, recorded_blk_run_replays_and_matches_the_quiet_run)
{
    static struct view rec, rep, quiet;
    struct dk_sim_log la, lb;
    uint32_t diff;

    cr_assert_eq(dk_sim_log_init(&la, ent_a, 512), DK_OK);
    cr_assert_eq(dk_sim_log_init(&lb, ent_b, 512), DK_OK);
    blk_run(0, 11, &la, NULL, 0, &rec);
    blk_run(0, 12345, &lb, &la, 0, &rep);
    cr_assert_eq(dk_sim_log_compare(&la, &lb, &diff), DK_OK);
    cr_assert_eq(diff, DK_SIM_LOG_SAME, "first difference at entry %u", diff);
    cr_assert_eq(rep.st.replay_hits, 10u);
    cr_assert_eq(rep.st.replay_misses, 0u);
    blk_run(0, 99, NULL, NULL, 0, &quiet);
    cr_assert_eq(quiet.prng, 99u);
    view_eq(&rec, &quiet);
    rep.st.replay_hits = 0; /* the only counter a replay adds */
    view_eq(&rep, &quiet);
}

/* A replaying device draws (to stay in step with the recording) and takes
 * its latencies from the log, also without jitter or a log of its own:
 * a jittered run replays on a device without jitter. */
Test(sim_draws, replay_without_jitter_or_log_takes_the_recorded_times)
{
    static struct view rec, rep, own;
    struct dk_sim_log la;

    cr_assert_eq(dk_sim_log_init(&la, ent_a, 512), DK_OK);
    blk_run(3000, 8, &la, NULL, 3000, &rec);
    blk_run(0, 8, NULL, &la, 3000, &rep);
    cr_assert_eq(rep.st.replay_hits, 10u);
    cr_assert_eq(rep.prng, rec.prng, "in step with the recording");
    rep.st.replay_hits = 0;
    view_eq(&rec, &rep);
    blk_run(0, 8, NULL, NULL, 3000, &own);
    cr_assert(memcmp(own.used, rec.used, sizeof own.used) != 0,
              "without the replay the completion order is the device's own");
}

/* rng answers (lengths and bytes) come from the per-request seed: an rng
 * device draws even without jitter or a log. */
static void rng_run(struct dk_sim_log *log, struct view *v)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_RNG, 2);

    c.seed = 2024;
    c.log = log;
    sf_up(&c);
    sf_start(0);
    for (uint16_t i = 0; i < 8u; i++) {
        sf_desc(i, sf_dma(64u * i), 64, DK_VRING_DESC_F_WRITE, 0);
        sf_push(i);
    }
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 8u);
    memcpy(v->used, sf_used_va, sizeof v->used);
    memcpy(v->mem, sf_va(0), sizeof v->mem);
    v->st = sf_stats();
    v->prng = SD.prng;
    sf_down();
}

Test(sim_draws, rng_draws_without_jitter_or_log)
{
    static struct view plain, logged;
    struct dk_sim_log log;

    rng_run(NULL, &plain);
    cr_assert_neq(plain.prng, 2024u);
    cr_assert_eq(dk_sim_log_init(&log, ent_a, 512), DK_OK);
    rng_run(&log, &logged);
    cr_assert_eq(plain.prng, logged.prng);
    view_eq(&plain, &logged);
}

/* Two takes: three reads due just below 2^64, then, while they are still
 * pending, two more whose due time wraps to a small number. Ordered by due
 * time, the wrapped ones go first; they are due at once (the clock is past
 * them) and the first three complete when the clock reaches theirs. */
static void wrap_run(struct dk_sim_log *log, struct view *v)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);

    c.log = log;
    sf_up(&c);
    sf_start(0);
    for (unsigned i = 0; i < sizeof sf_disk; i++)
        sf_disk[i] = (uint8_t)(i * 7u + 1u);
    sf_advance(UINT64_MAX - SF_T0 - 3u * SF_LAT / 2u);
    for (unsigned k = 0; k < 3; k++)
        sf_post_in(k);
    sf_kick();
    sf_advance(SF_LAT * 3u / 5u); /* 600 ns: 900 left to 2^64, 500 to their due */
    cr_assert_eq(sf_used_idx(), 0u);
    for (unsigned k = 3; k < 5; k++)
        sf_post_in(k);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 5u);
    sf_advance(0);
    cr_assert_eq(sf_used_idx(), 2u, "the wrapped requests are due first");
    cr_assert_eq(sf_used_id(0), 9u);
    cr_assert_eq(sf_used_id(1), 12u);
    sf_advance(SF_LAT * 2u / 5u);
    cr_assert_eq(sf_used_idx(), 5u);
    for (uint16_t k = 2; k < 5; k++)
        cr_assert_eq(sf_used_id(k), 3u * (k - 2u));
    memcpy(v->used, sf_used_va, sizeof v->used);
    memcpy(v->mem, sf_va(0), sizeof v->mem);
    v->st = sf_stats();
    v->prng = SD.prng;
    sf_down();
}

Test(sim_draws, due_times_wrapping_past_2_64_order_as_one_by_one_inserts)
{
    static struct view quiet, logged;
    struct dk_sim_log log;

    wrap_run(NULL, &quiet);
    cr_assert_eq(quiet.prng, 42u, "sf_cfg's seed, never drawn");
    cr_assert_eq(dk_sim_log_init(&log, ent_a, 512), DK_OK);
    wrap_run(&log, &logged);
    view_eq(&quiet, &logged);
}

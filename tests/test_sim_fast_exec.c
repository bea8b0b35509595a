/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's blk read fast path and completion loop against
 * the general code, from identical memory and counters:
 *  - dk_sim_blk_read_fast gives the same answer, used length, status,
 *    bytes and counters as dk_sim_blk_exec for every read it takes, and
 *    writes nothing for any request it leaves (other types, errors, odd
 *    shapes, read-only data, SIZE_MAX, a moved DMA generation);
 *  - the completion loop publishes used->idx once per batch: a buffer that
 *    vanishes mid-batch still leaves the earlier completions published, a
 *    log changes nothing the driver sees, and jittered completions come out
 *    by (due, request number).
 */
#include "sim_fast_fixture.h"

TestSuite(sim_fast_exec, .fini = sf_teardown);

static uint8_t a_mem[SF_BUF_LEN], a_b[B_LEN], a_disk[sizeof sf_disk];
static uint8_t s_mem[SF_BUF_LEN], s_b[B_LEN], s_disk[sizeof sf_disk];

static void mem_save(uint8_t *m, uint8_t *b, uint8_t *disk)
{
    memcpy(m, sf_buf, SF_BUF_LEN);
    memcpy(b, b_va, B_LEN);
    memcpy(disk, sf_disk, sizeof sf_disk);
}

static void mem_load(const uint8_t *m, const uint8_t *b, const uint8_t *disk)
{
    memcpy(sf_buf, m, SF_BUF_LEN);
    memcpy(b_va, b, B_LEN);
    memcpy(sf_disk, disk, sizeof sf_disk);
}

static int mem_is(const uint8_t *m, const uint8_t *b, const uint8_t *disk)
{
    return memcmp(sf_buf, m, SF_BUF_LEN) == 0 && memcmp(b_va, b, B_LEN) == 0 &&
           memcmp(sf_disk, disk, sizeof sf_disk) == 0;
}

/* The request of tbl's chain at @head, as a take fills it. */
static struct dk_sim_req *req_of(uint16_t head)
{
    static struct dk_sim_req r;

    dk_sim_tlb_sync(&SD, dk_host_dma_gen(&SH));
    cr_assert_eq(dk_sim_walk(&SD, &fq, tbl, head, &r), DK_SIM_DF_NONE);
    cr_assert_eq(dk_sim_dev_shape(&SD, &r), DK_SIM_DF_NONE);
    return &r;
}

/*
 * Execute @r through dk_sim_dev_exec (the fast path first) and through
 * dk_sim_blk_exec alone, from the same memory and counters: same answer,
 * used length, status, bytes and counters. A declining fast path must
 * have written nothing. Returns whether the fast path took it.
 */
static int exec_both(const struct dk_sim_req *r, int fail, uint8_t want_status)
{
    struct dk_sim_stats st0 = SD.stats, st1;
    uint32_t len_f = 0xdead, len1 = 0xbeef, len2 = 0xcafe;
    uint8_t s_f = 0xee, s1 = 0xdd, s2 = 0xcc;
    int rc_f = DK_SIM_EXEC_GENERAL, rc1, rc2;

    mem_save(s_mem, s_b, s_disk);
    if (!fail) {
        rc_f = dk_sim_blk_read_fast(&SD, r, &len_f, &s_f);
        if (rc_f == DK_SIM_EXEC_GENERAL) {
            cr_assert(mem_is(s_mem, s_b, s_disk), "a declining fast path wrote memory");
            cr_assert(memcmp(&st0, &SD.stats, sizeof st0) == 0);
            cr_assert_eq(len_f, 0xdead);
            cr_assert_eq(s_f, 0xee);
        }
        mem_load(s_mem, s_b, s_disk);
    }
    rc1 = dk_sim_dev_exec(&SD, r, fail, &len1, &s1);
    mem_save(a_mem, a_b, a_disk);
    st1 = SD.stats;
    mem_load(s_mem, s_b, s_disk);
    SD.stats = st0;
    rc2 = dk_sim_blk_exec(&SD, r, fail, &len2, &s2);
    cr_assert_eq(rc1, rc2);
    cr_assert(mem_is(a_mem, a_b, a_disk), "the bytes differ");
    cr_assert(memcmp(&st1, &SD.stats, sizeof st1) == 0, "the counters differ");
    if (rc2 == 0) {
        cr_assert_eq(len1, len2);
        cr_assert_eq(s1, s2);
        cr_assert_eq(s2, want_status, "status %u, wanted %u", s2, want_status);
    }
    if (rc_f != DK_SIM_EXEC_GENERAL) {
        cr_assert_eq(rc_f, rc2);
        cr_assert_eq(len_f, len2);
        cr_assert_eq(s_f, s2);
    }
    return rc_f != DK_SIM_EXEC_GENERAL;
}

/* A blk header at sf_buf + @off. */
static void hdr(uint32_t off, uint32_t type, uint64_t sector)
{
    sf_st32(sf_va(off), type);
    sf_st32(sf_va(off) + 4, 0);
    sf_st64(sf_va(off) + 8, sector);
}

/* Header at 64k, data of @bytes at b + 4096k (@flags), status at 64k + 32:
 * the driver's usual read, as descriptors 3k..3k+2. */
static uint16_t blk3(unsigned k, uint32_t type, uint64_t sector, uint32_t bytes, uint16_t dflags)
{
    uint16_t d0 = (uint16_t)(3u * k);

    hdr(64u * k, type, sector);
    sf_va(64u * k)[32] = 0x77;
    tdesc(d0, sf_dma(64u * k), 16, NX, (uint16_t)(d0 + 1u));
    tdesc((uint16_t)(d0 + 1u), b_dma + SF_PAGE * k, bytes, (uint16_t)(dflags | NX),
          (uint16_t)(d0 + 2u));
    tdesc((uint16_t)(d0 + 2u), sf_dma(64u * k + 32u), 1, WR, 0);
    return d0;
}

Test(sim_fast_exec, blk_read_fast_matches_the_general_exec)
{
    const uint64_t cap = SF_SECTORS;

    fast_up(2, 0);
    cr_assert(exec_both(req_of(blk3(0, DK_SIM_BLK_T_IN, 0, 512, WR)), 0, DK_SIM_S_OK));
    cr_assert(exec_both(req_of(blk3(1, DK_SIM_BLK_T_IN, 3, 4096, WR)), 0, DK_SIM_S_OK));
    cr_assert(exec_both(req_of(blk3(2, DK_SIM_BLK_T_IN, cap - 8u, 4096, WR)), 0, DK_SIM_S_OK));
    cr_assert(exec_both(req_of(blk3(3, DK_SIM_BLK_T_IN, cap - 1u, 512, WR)), 0, DK_SIM_S_OK));
    /* What it leaves: past the capacity, sectors that wrap, a length
     * that is no whole sector, the injected error, other types. */
    cr_assert(!exec_both(req_of(blk3(4, DK_SIM_BLK_T_IN, cap - 1u, 1024, WR)), 0, DK_SIM_S_IOERR));
    cr_assert(!exec_both(req_of(blk3(5, DK_SIM_BLK_T_IN, cap, 512, WR)), 0, DK_SIM_S_IOERR));
    cr_assert(!exec_both(req_of(blk3(6, DK_SIM_BLK_T_IN, UINT64_MAX / 256u, 512, WR)), 0,
                         DK_SIM_S_IOERR));
    cr_assert(!exec_both(req_of(blk3(7, DK_SIM_BLK_T_IN, UINT64_MAX, 512, WR)), 0, DK_SIM_S_IOERR));
    cr_assert(!exec_both(req_of(blk3(8, DK_SIM_BLK_T_IN, 0, 511, WR)), 0, DK_SIM_S_IOERR));
    cr_assert(!exec_both(req_of(blk3(9, DK_SIM_BLK_T_IN, 0, 513, WR)), 0, DK_SIM_S_IOERR));
    cr_assert(!exec_both(req_of(blk3(10, DK_SIM_BLK_T_IN, 0, 512, WR)), 1, DK_SIM_S_IOERR));
    cr_assert(!exec_both(req_of(blk3(11, DK_SIM_BLK_T_GET_ID, 0, 64, WR)), 0, DK_SIM_S_OK));
    cr_assert(!exec_both(req_of(blk3(12, DK_SIM_BLK_T_FLUSH, 0, 512, WR)), 0, DK_SIM_S_UNSUPP));
    cr_assert(!exec_both(req_of(blk3(13, 0x1234u, 0, 512, WR)), 0, DK_SIM_S_UNSUPP));
    /* A read into a device-readable (driver: read-only) buffer: an IN
     * with data to read, refused, and the buffer is not written. */
    cr_assert(!exec_both(req_of(blk3(14, DK_SIM_BLK_T_IN, 0, 512, 0)), 0, DK_SIM_S_IOERR));
    /* A write, which moves bytes the other way. */
    cr_assert(!exec_both(req_of(blk3(15, DK_SIM_BLK_T_OUT, 9, 1024, 0)), 0, DK_SIM_S_OK));
    sf_down();
}

Test(sim_fast_exec, blk_read_fast_leaves_other_shapes_to_the_general_exec)
{
    fast_up(1, 0);
    /* Header over two buffers. */
    hdr(0, DK_SIM_BLK_T_IN, 2);
    tdesc(0, sf_dma(0), 8, NX, 1);
    tdesc(1, sf_dma(8), 8, NX, 2);
    tdesc(2, b_dma, 512, WR | NX, 3);
    tdesc(3, sf_dma(32), 1, WR, 0);
    cr_assert(!exec_both(req_of(0), 0, DK_SIM_S_OK));
    /* Header in a larger buffer (its tail is data to write: refused). */
    hdr(64, DK_SIM_BLK_T_IN, 2);
    tdesc(4, sf_dma(64), 32, NX, 5);
    tdesc(5, b_dma, 512, WR | NX, 6);
    tdesc(6, sf_dma(96), 1, WR, 0);
    cr_assert(!exec_both(req_of(4), 0, DK_SIM_S_IOERR));
    /* Data over two buffers in two VMOs, and data sharing the status's. */
    hdr(128, DK_SIM_BLK_T_IN, 4);
    tdesc(7, sf_dma(128), 16, NX, 8);
    tdesc(8, b_dma + 100, 1024, WR | NX, 9);
    tdesc(9, sf_dma(4096), 512, WR | NX, 10);
    tdesc(10, sf_dma(160), 1, WR, 0);
    cr_assert(!exec_both(req_of(7), 0, DK_SIM_S_OK));
    hdr(192, DK_SIM_BLK_T_IN, 6);
    tdesc(11, sf_dma(192), 16, NX, 12);
    tdesc(12, b_dma + 7, 513, WR, 0);
    cr_assert(!exec_both(req_of(11), 0, DK_SIM_S_OK));
    /* Status in a buffer of two bytes: the last one is the status, the
     * first ends the sector. */
    hdr(256, DK_SIM_BLK_T_IN, 1);
    tdesc(13, sf_dma(256), 16, NX, 14);
    tdesc(14, b_dma, 511, WR | NX, 15);
    tdesc(15, sf_dma(288), 2, WR, 0);
    cr_assert(!exec_both(req_of(13), 0, DK_SIM_S_OK));
    /* Header and status only. */
    hdr(320, DK_SIM_BLK_T_IN, 1);
    tdesc(16, sf_dma(320), 16, NX, 17);
    tdesc(17, sf_dma(352), 1, WR, 0);
    cr_assert(!exec_both(req_of(16), 0, DK_SIM_S_OK));
    sf_down();
}

Test(sim_fast_exec, blk_read_fast_holds_to_size_max_seg_max_and_capacity)
{
    fast_up(2, F(DK_SIM_BLK_F_SIZE_MAX) | F(DK_SIM_BLK_F_SEG_MAX));
    cr_assert(exec_both(req_of(blk3(0, DK_SIM_BLK_T_IN, 0, 2048, WR)), 0, DK_SIM_S_OK));
    cr_assert(!exec_both(req_of(blk3(1, DK_SIM_BLK_T_IN, 0, 2560, WR)), 0, DK_SIM_S_IOERR));
    cr_assert_eq(SD.stats.protocol_violations, 1u, "one violation, counted once");
    /* A resize moves the end the fast path checks against. */
    cr_assert_eq(dk_sim_set_capacity(&SD, 4), DK_OK);
    cr_assert(exec_both(req_of(blk3(2, DK_SIM_BLK_T_IN, 3, 512, WR)), 0, DK_SIM_S_OK));
    cr_assert(!exec_both(req_of(blk3(3, DK_SIM_BLK_T_IN, 4, 512, WR)), 0, DK_SIM_S_IOERR));
    sf_down();
}

Test(sim_fast_exec, blk_read_fast_leaves_a_moved_dma_generation_to_the_general_exec)
{
    uint8_t *c_va;
    uint64_t c_dma, c;
    struct dk_sim_req *r;

    fast_up(2, 0);
    c = sf_vmo(SF_PAGE, &c_va, &c_dma);
    r = req_of(blk3(0, DK_SIM_BLK_T_IN, 1, 1024, WR));
    /* An unrelated VMO goes: the request's pointers are not used, its
     * buffers are translated again, and it completes all the same. */
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, c_va, SF_PAGE), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, c), DK_OK);
    cr_assert(!exec_both(r, 0, DK_SIM_S_OK));
    cr_assert_arr_eq(b_va, sf_disk + 512, 1024);
    sf_down();
}

/* ---- the completion loop ---- */

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

/* Two batches of mixed blk requests through the rings: reads (the fast
 * completion loop's), a write, GET_ID, a read past the capacity, FLUSH,
 * the same heads again in the second batch. @mode 0: as is; 1: with a log
 * (the general loop); 2: with a fault armed that never fires (the general
 * loop, no log). Leaves the used ring, memory, disk and counters in *v. */
struct mixed_view {
    uint8_t used[4 + 8 * SF_NUM];
    uint8_t mem[6 * SF_PAGE];
    uint8_t disk[sizeof sf_disk];
    struct dk_sim_stats st;
};

static void mixed_run(int mode, struct mixed_view *v)
{
    static const uint32_t types[2][5] = {
        {DK_SIM_BLK_T_IN, DK_SIM_BLK_T_OUT, DK_SIM_BLK_T_IN, DK_SIM_BLK_T_GET_ID, DK_SIM_BLK_T_IN},
        {DK_SIM_BLK_T_IN, DK_SIM_BLK_T_IN, DK_SIM_BLK_T_FLUSH, DK_SIM_BLK_T_IN, DK_SIM_BLK_T_IN},
    };
    static const uint64_t sectors[2][5] = {{1, 5, 5, 0, SF_SECTORS}, {7, 5, 0, 2, 3}};
    static const uint32_t bytes[2][5] = {{512, 512, 1024, 64, 512}, {1024, 512, 0, 512, 2048}};
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    struct dk_sim_log log;

    c.extra_features = F(DK_SIM_BLK_F_FLUSH);
    if (mode == 1) {
        cr_assert_eq(dk_sim_log_init(&log, ent, 512), DK_OK);
        c.log = &log;
    }
    sf_up(&c);
    sf_start(F(DK_SIM_BLK_F_FLUSH));
    if (mode == 2)
        cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_ERROR_STATUS, 1000), DK_OK);
    for (unsigned i = 0; i < sizeof sf_disk; i++)
        sf_disk[i] = (uint8_t)(i * 11u + 9u);
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned k = 0; k < 5; k++) {
            sf_blk(k, types[round][k], sectors[round][k], bytes[round][k]);
            memset(sf_blk_data(k), (int)(0x30u + 5u * round + k), SF_PAGE);
            sf_push((uint16_t)(3u * k));
        }
        sf_kick();
        sf_advance(SF_LAT);
        cr_assert_eq(sf_used_idx(), (uint16_t)(5u * (round + 1u)));
    }
    cr_assert_eq(SD.stats.driver_faults, 0u);
    memcpy(v->used, sf_used_va, sizeof v->used);
    memcpy(v->mem, sf_va(0), sizeof v->mem);
    memcpy(v->disk, sf_disk, sizeof v->disk);
    v->st = sf_stats();
    sf_down();
}

Test(sim_fast_exec, the_fast_completion_loop_matches_the_general_one)
{
    static struct mixed_view fast, logged, armed;

    mixed_run(0, &fast);
    mixed_run(1, &logged);
    mixed_run(2, &armed);
    cr_assert_arr_eq(fast.used, logged.used, sizeof fast.used);
    cr_assert_arr_eq(fast.used, armed.used, sizeof fast.used);
    cr_assert_arr_eq(fast.mem, logged.mem, sizeof fast.mem);
    cr_assert_arr_eq(fast.mem, armed.mem, sizeof fast.mem);
    cr_assert_arr_eq(fast.disk, armed.disk, sizeof fast.disk);
    cr_assert(memcmp(&fast.st, &logged.st, sizeof fast.st) == 0);
    cr_assert(memcmp(&fast.st, &armed.st, sizeof fast.st) == 0);
    /* The statuses the mix should give: OK but for the read past the end. */
    cr_assert_eq(fast.mem[64u * 4u + 32u], DK_SIM_S_OK, "the second batch's last read");
    cr_assert_eq(sf_ld32(fast.used + 4 + 8u * 4u), 12u, "head of the first batch's fifth");
}

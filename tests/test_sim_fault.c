/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated devices' injected faults, each seen the way a driver sees
 * it (raw used ring, Status, InterruptStatus, config reads); the device's
 * answer to driver errors (DEVICE_NEEDS_RESET, nothing written); and reset.
 * Fixture: tests/sim_fixture.h.
 */
#include "sim_fixture.h"

static void sf_teardown(void)
{
    dk_sim_fini(&SD);
    dk_host_fini(&SH);
}

TestSuite(sim_fault, .fini = sf_teardown);

static void blk_up(uint32_t version)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, version);

    sf_up(&c);
    sf_start(0);
}

static int all_5a(const uint8_t *p, unsigned n)
{
    while (n-- > 0)
        if (*p++ != 0x5a)
            return 0;
    return 1;
}

Test(sim_fault, stall_stops_completing_until_reset)
{
    blk_up(2);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_STALL, 1), DK_OK);
    sf_post_in(0);
    sf_post_in(1);
    sf_post_in(2);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u, "one completion, then the stall");
    cr_assert_eq(dk_sim_pending(&SD), 2u);
    sf_advance(1000 * SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_eq(sf_blk_status(1), 0xffu);
    cr_assert_eq(sf_blk_status(2), 0xffu);
    sf_post_in(3);
    sf_kick();
    cr_assert_eq(sf_stats().notifies_ignored, 1u);
    cr_assert_eq(sf_stats().faults_injected, 1u);
    cr_assert_eq(sf_rd(DK_VMMIO_STATUS) & DK_VIRTIO_S_NEEDS_RESET, 0u, "a stall is silent");

    sf_start(0); /* reset and set up again */
    cr_assert_eq(dk_sim_pending(&SD), 0u);
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u, "a reset ends the stall");
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_OK);
}

Test(sim_fault, error_status)
{
    blk_up(1);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_ERROR_STATUS, 0), DK_OK);
    sf_disk[0] = 0x77;
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_eq(sf_used_len(0), 1u);
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_IOERR);
    cr_assert(all_5a(sf_blk_data(0), 512), "no data on an error");
    /* One shot: the next request is fine. */
    sf_post_in(1);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_blk_status(1), DK_SIM_S_OK);
}

Test(sim_fault, used_id_out_of_range)
{
    blk_up(2);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_USED_ID_RANGE, 0), DK_OK);
    sf_post_in(1);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_geq(sf_used_id(0), SF_NUM);
}

Test(sim_fault, used_id_not_in_flight)
{
    blk_up(2);
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_id(0), 0u);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_USED_ID_NOT_INFLIGHT, 0), DK_OK);
    sf_post_in(1);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 2u);
    cr_assert_eq(sf_used_id(1), 0u, "a duplicate of the head already completed");
    cr_assert_lt(sf_used_id(1), SF_NUM, "in range: only the in-flight check catches it");

    /* Head 0 posted again is in flight: the device picks another stray id,
     * descriptor 1 (inside chain 0, never a head). */
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_USED_ID_NOT_INFLIGHT, 0), DK_OK);
    sf_post_in(1);
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 4u);
    cr_assert_eq(sf_used_id(2), 1u);
    cr_assert_eq(sf_used_id(3), 0u, "the real head 0 completes normally after");
}

Test(sim_fault, armed_fault_survives_the_init_reset)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);

    sf_up(&c);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_ERROR_STATUS, 1), DK_OK);
    sf_start(0); /* begins with a reset */
    sf_post_in(0);
    sf_post_in(1);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_OK);
    cr_assert_eq(sf_blk_status(1), DK_SIM_S_IOERR);
}

Test(sim_fault, used_len_too_big)
{
    blk_up(2);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_USED_LEN_TOO_BIG, 0), DK_OK);
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_len(0), 512u + 1u + 1u, "one more than the writable bytes");
}

Test(sim_fault, used_idx_jumps)
{
    blk_up(1);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_USED_IDX_JUMP, 0), DK_OK);
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_gt((uint16_t)(sf_used_idx() - 0u), SF_NUM);
}

Test(sim_fault, needs_reset)
{
    struct dk_sim_log l;
    static struct dk_sim_log_entry e[64];
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    uint32_t ev = 0;

    cr_assert_eq(dk_sim_log_init(&l, e, 64), DK_OK);
    c.log = &l;
    sf_up(&c);
    sf_start(0);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_NEEDS_RESET, 0), DK_OK);
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert(sf_rd(DK_VMMIO_STATUS) & DK_VIRTIO_S_NEEDS_RESET);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), DK_VIRTIO_INT_CONFIG);
    cr_assert_eq(sf_ops->wait(sf_ctx, dk_host_now(&SH) + 1u, &ev), DK_OK);
    cr_assert_eq(ev, DK_EVENT_IRQ);
    cr_assert_eq(sf_used_idx(), 0u);
    cr_assert_eq(sf_blk_status(0), 0xffu);
    cr_assert_eq(e[l.count - 2].kind, DK_SIM_LOG_FAULT);
    cr_assert_eq(e[l.count - 2].extra, DK_SIM_FAULT_NEEDS_RESET);
    cr_assert_eq(e[l.count - 1].kind, DK_SIM_LOG_IRQ);
    sf_post_in(1);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 0u, "nothing more until reset");
    sf_wr(DK_VMMIO_STATUS, 0);
    cr_assert_eq(sf_rd(DK_VMMIO_STATUS), 0u);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), 0u);
}

/* A modern driver's generation loop around the 64-bit capacity. */
static uint64_t capacity_modern(unsigned *tries)
{
    uint32_t g0, g1, lo, hi;

    *tries = 0;
    do {
        cr_assert_lt(*tries, DK_VIRTIO_CONFIG_RETRIES);
        ++*tries;
        g0 = sf_rd(DK_VMMIO_CONFIG_GENERATION);
        lo = sf_rd(DK_VMMIO_CONFIG);
        hi = sf_rd(DK_VMMIO_CONFIG + 4);
        g1 = sf_rd(DK_VMMIO_CONFIG_GENERATION);
    } while (g0 != g1);
    return (uint64_t)hi << 32 | lo;
}

Test(sim_fault, config_tear_modern)
{
    unsigned tries;

    blk_up(2);
    cr_assert_eq(capacity_modern(&tries), SF_SECTORS);
    cr_assert_eq(tries, 1u);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_CONFIG_TEAR, 0), DK_OK);
    cr_assert_eq(capacity_modern(&tries), SF_SECTORS - 1u, "the new capacity, read whole");
    cr_assert_eq(tries, 2u, "the generation moved mid-read: one retry");
    cr_assert(sf_rd(DK_VMMIO_INTERRUPT_STATUS) & DK_VIRTIO_INT_CONFIG);
    cr_assert_eq(sf_stats().faults_injected, 1u);
}

Test(sim_fault, config_tear_legacy)
{
    uint64_t a, b, c;

    blk_up(1);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_CONFIG_TEAR, 1), DK_OK);
    a = sf_rd(DK_VMMIO_CONFIG) | (uint64_t)sf_rd(DK_VMMIO_CONFIG + 4) << 32;
    b = sf_rd(DK_VMMIO_CONFIG) | (uint64_t)sf_rd(DK_VMMIO_CONFIG + 4) << 32;
    c = sf_rd(DK_VMMIO_CONFIG) | (uint64_t)sf_rd(DK_VMMIO_CONFIG + 4) << 32;
    cr_assert_eq(a, SF_SECTORS);
    cr_assert_neq(a, b, "capacity changed between two reads");
    cr_assert_eq(b, c, "then stays: reading until two agree terminates");
    cr_assert_eq(b, SF_SECTORS - 1u);
    /* The smaller capacity is enforced. */
    cr_assert_eq(sf_blk(0, DK_SIM_BLK_T_IN, SF_SECTORS - 1u, 512), 0u);
    sf_push(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_IOERR);
}

Test(sim_fault, accel_config_tear)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_ACCEL, 2);
    uint32_t g0;

    sf_up(&c);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_CONFIG_TEAR, 0), DK_OK);
    g0 = sf_rd(DK_VMMIO_CONFIG_GENERATION);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_ACCEL_CFG_MAX_LEN), 65536u);
    cr_assert_neq(sf_rd(DK_VMMIO_CONFIG_GENERATION), g0);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_ACCEL_CFG_MAX_LEN), 32768u);
}

Test(sim_fault, reset_clears_queue_state)
{
    blk_up(2);
    sf_post_in(0);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 1u);
    sf_wr(DK_VMMIO_STATUS, 0);
    cr_assert_eq(sf_rd(DK_VMMIO_STATUS), 0u);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_READY), 0u);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), 0u);
    cr_assert_eq(dk_sim_pending(&SD), 0u);
    cr_assert_eq(SD.driver_features, 0u);
    cr_assert_eq(SD.q[0].last_avail, 0u);
    cr_assert_eq(sf_stats().resets, 2u, "sf_start's and this one");
    sf_advance(10 * SF_LAT);
    cr_assert_eq(sf_used_idx(), 0u, "a reset request is never completed");
    cr_assert_eq(sf_blk_status(0), 0xffu);
    cr_assert(all_5a(sf_blk_data(0), 512));
    /* Features must be negotiated again. */
    sf_wr(DK_VMMIO_STATUS, DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER);
    sf_wr(DK_VMMIO_STATUS, DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER | DK_VIRTIO_S_FEATURES_OK);
    cr_assert_eq(sf_rd(DK_VMMIO_STATUS) & DK_VIRTIO_S_FEATURES_OK, 0u);
}

Test(sim_fault, reset_clears_legacy_pfn)
{
    blk_up(1);
    cr_assert_neq(sf_rd(DK_VMMIO_QUEUE_PFN), 0u);
    sf_wr(DK_VMMIO_STATUS, 0);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_PFN), 0u);
    cr_assert_eq(SD.page_size, SF_PAGE, "GuestPageSize is a transport setting");
}

/* The driver-fault checks: each leaves NEEDS_RESET, a config interrupt, an
 * untouched used ring and untouched buffers. */
/* The queue stopped with driver fault @why after @done completions. */
static void expect_driver_fault_after(uint32_t why, uint16_t done)
{
    cr_assert_eq(SD.last_driver_fault, why, "fault %u, wanted %u", SD.last_driver_fault, why);
    cr_assert(sf_rd(DK_VMMIO_STATUS) & DK_VIRTIO_S_NEEDS_RESET);
    cr_assert(sf_rd(DK_VMMIO_INTERRUPT_STATUS) & DK_VIRTIO_INT_CONFIG);
    cr_assert_eq(sf_stats().driver_faults, 1u);
    sf_advance(10 * SF_LAT);
    cr_assert_eq(sf_used_idx(), done);
    cr_assert_eq(dk_sim_pending(&SD), 0u);
}

static void expect_driver_fault(uint32_t why)
{
    expect_driver_fault_after(why, 0);
}

Test(sim_fault, descriptor_outside_any_vmo)
{
    static uint8_t ring_copy[SF_RING_LEN];
    uint8_t disk_copy[sizeof sf_disk];

    blk_up(2);
    sf_blk(0, DK_SIM_BLK_T_OUT, 0, 512);
    sf_desc(1, 0x1000, 512, DK_VRING_DESC_F_NEXT, 2); /* not DMA memory */
    sf_push(0);
    memcpy(ring_copy, sf_desc_va, sizeof ring_copy);
    memcpy(disk_copy, sf_disk, sizeof disk_copy);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_DESC_DMA);
    cr_assert_eq(sf_blk_status(0), 0xffu);
    cr_assert_arr_eq(ring_copy, sf_desc_va, sizeof ring_copy, "the rings were written");
    cr_assert_arr_eq(disk_copy, sf_disk, sizeof disk_copy);
    sf_post_in(1);
    sf_kick();
    cr_assert_eq(sf_stats().notifies_ignored, 1u);
}

Test(sim_fault, descriptor_straddles_vmo_end)
{
    blk_up(2);
    sf_blk(0, DK_SIM_BLK_T_IN, 0, 512);
    sf_desc(1, sf_dma(SF_BUF_LEN - 256u), 512, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, 2);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_DESC_DMA);
}

Test(sim_fault, avail_index_jump)
{
    blk_up(2);
    sf_st16(sf_avail_va + 2, SF_NUM + 1u);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_AVAIL_JUMP);
}

Test(sim_fault, head_out_of_range)
{
    blk_up(2);
    sf_push(SF_NUM);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_HEAD_RANGE);
}

Test(sim_fault, head_posted_twice)
{
    blk_up(2);
    sf_post_in(0);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_HEAD_BUSY);
}

Test(sim_fault, chain_loop)
{
    blk_up(2);
    sf_blk(0, DK_SIM_BLK_T_IN, 0, 512);
    sf_desc(2, sf_dma(32), 1, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, 1);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_LOOP);
}

Test(sim_fault, next_out_of_range)
{
    blk_up(2);
    sf_blk(0, DK_SIM_BLK_T_IN, 0, 512);
    sf_desc(2, sf_dma(32), 1, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, SF_NUM);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_DESC_RANGE);
}

Test(sim_fault, readable_after_writable)
{
    struct sf_seg s[3] = {
        {0, 16, 0},
        {0, 1, 1},
        {0, 512, 0},
    };

    blk_up(2);
    s[0].dma = sf_dma(0);
    s[1].dma = sf_dma(32);
    s[2].dma = sf_dma(SF_PAGE);
    sf_push(sf_chain(0, s, 3));
    sf_kick();
    expect_driver_fault(DK_SIM_DF_ORDER);
}

Test(sim_fault, zero_length_buffer)
{
    blk_up(2);
    sf_blk(0, DK_SIM_BLK_T_IN, 0, 512);
    sf_desc(1, sf_dma(SF_PAGE), 0, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, 2);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_ZERO_LEN);
}

Test(sim_fault, request_without_status)
{
    blk_up(2);
    sf_desc(0, sf_dma(0), 16, 0, 0);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_SHAPE);
}

Test(sim_fault, indirect_not_negotiated)
{
    blk_up(2);
    sf_desc(0, sf_dma(1024), 48, DK_VRING_DESC_F_INDIRECT, 0);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_INDIRECT);
}

static void indirect_up(void)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);

    c.extra_features = 1ull << DK_VIRTIO_F_INDIRECT_DESC;
    sf_up(&c);
    sf_start(1ull << DK_VIRTIO_F_INDIRECT_DESC);
}

Test(sim_fault, indirect_nested)
{
    uint8_t *tbl;

    indirect_up();
    tbl = sf_va(1024);
    sf_st64(tbl, sf_dma(2048));
    sf_st32(tbl + 8, 16);
    sf_st16(tbl + 12, DK_VRING_DESC_F_INDIRECT);
    sf_desc(0, sf_dma(1024), 16, DK_VRING_DESC_F_INDIRECT, 0);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_INDIRECT);
}

Test(sim_fault, indirect_with_next)
{
    indirect_up();
    sf_desc(0, sf_dma(1024), 16, DK_VRING_DESC_F_INDIRECT | DK_VRING_DESC_F_NEXT, 1);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_INDIRECT);
}

Test(sim_fault, indirect_table_too_long)
{
    uint8_t *tbl;
    unsigned i, n = DK_VIRTQ_CHAIN_MAX + 1u;

    indirect_up();
    tbl = sf_va(1024);
    for (i = 0; i < n; i++) {
        sf_st64(tbl + 16u * i, sf_dma(SF_PAGE + 16u * i));
        sf_st32(tbl + 16u * i + 8, 16);
        sf_st16(tbl + 16u * i + 12, (uint16_t)(i + 1u < n ? DK_VRING_DESC_F_NEXT : 0u));
        sf_st16(tbl + 16u * i + 14, (uint16_t)(i + 1u));
    }
    sf_desc(0, sf_dma(1024), 16u * n, DK_VRING_DESC_F_INDIRECT, 0);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_CHAIN_LONG);
}

Test(sim_fault, buffer_vmo_destroyed_before_completion)
{
    uint64_t vmo;
    struct dk_vmo_info info;
    void *va;

    blk_up(2);
    cr_assert_eq(sf_ops->vmo_create(sf_ctx, 512, &vmo), DK_OK);
    cr_assert_eq(sf_ops->vmo_map(sf_ctx, vmo, 0, 512, DK_MAP_READ | DK_MAP_WRITE, &va), DK_OK);
    cr_assert_eq(sf_ops->vmo_query(sf_ctx, vmo, &info), DK_OK);
    sf_blk(0, DK_SIM_BLK_T_IN, 0, 512);
    sf_desc(1, info.dma_addr, 512, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, 2);
    sf_push(0);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 1u);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, va, 512), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, vmo), DK_OK);
    sf_advance(SF_LAT);
    expect_driver_fault(DK_SIM_DF_BUF_GONE);
    cr_assert_eq(sf_blk_status(0), 0xffu);
}

Test(sim_fault, rng_with_readable_buffer_is_a_driver_fault)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_RNG, 1);

    sf_up(&c);
    sf_start(0);
    sf_desc(0, sf_dma(0), 64, 0, 0);
    sf_push(0);
    sf_kick();
    expect_driver_fault(DK_SIM_DF_SHAPE);
}

Test(sim_fault, error_status_on_rng_and_accel)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_RNG, 2);
    struct sf_seg s[3];

    sf_up(&c);
    sf_start(0);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_ERROR_STATUS, 0), DK_OK);
    sf_desc(0, sf_dma(0), 64, DK_VRING_DESC_F_WRITE, 0);
    sf_push(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_eq(sf_used_len(0), 0u, "an rng error is an empty answer");
    sf_down();

    c = sf_cfg(DK_SIM_ACCEL, 2);
    sf_up(&c);
    sf_start(0);
    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_ERROR_STATUS, 0), DK_OK);
    sf_st32(sf_va(0), DK_SIM_ACCEL_OP_FILL);
    sf_st32(sf_va(4), 64);
    memset(sf_va(4096), 0x33, 64);
    s[0] = (struct sf_seg){sf_dma(0), 16, 0};
    s[1] = (struct sf_seg){sf_dma(4096), 64, 1};
    s[2] = (struct sf_seg){sf_dma(16), 8, 1};
    sf_push(sf_chain(0, s, 3));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_ld32(sf_va(16)), DK_SIM_S_IOERR);
    cr_assert_eq(sf_used_len(0), 8u);
    cr_assert_eq(sf_va(4096)[0], 0x33u);
}

static void fill_disk(void)
{
    for (unsigned i = 0; i < sizeof sf_disk; i++)
        sf_disk[i] = (uint8_t)(i * 13u + 7u);
}

/* No driver fault so far: the queue runs. */
static void expect_no_driver_fault(void)
{
    cr_assert_eq(sf_stats().driver_faults, 0u, "driver fault %u", SD.last_driver_fault);
    cr_assert_eq(sf_rd(DK_VMMIO_STATUS) & DK_VIRTIO_S_NEEDS_RESET, 0u);
}

/* Destroying a VMO the requests do not use moves the DMA generation while
 * they are in flight: their buffers are translated again at completion,
 * and they complete as if nothing happened. */
Test(sim_fault, unrelated_vmo_destroyed_before_completion)
{
    uint8_t *in_va, *out_va, *other_va;
    uint64_t in_dma, out_dma, other_dma, other, gen;

    blk_up(2);
    fill_disk();
    (void)sf_vmo(512, &in_va, &in_dma);
    (void)sf_vmo(512, &out_va, &out_dma);
    other = sf_vmo(SF_PAGE, &other_va, &other_dma);
    memset(in_va, 0x5a, 512);
    memset(out_va, 0xc3, 512);
    memset(sf_blk_data(0), 0x5a, 512);
    /* Chain 0 reads sector 0 into in_va; chain 1 writes out_va to sector 5. */
    sf_blk(0, DK_SIM_BLK_T_IN, 0, 512);
    sf_desc(1, in_dma, 512, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, 2);
    sf_blk(1, DK_SIM_BLK_T_OUT, 5, 512);
    sf_desc(4, out_dma, 512, DK_VRING_DESC_F_NEXT, 5);
    sf_push(0);
    sf_push(3);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 2u);
    gen = dk_host_dma_gen(&SH);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, other_va, SF_PAGE), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, other), DK_OK);
    cr_assert_eq(dk_host_dma_gen(&SH), gen + 1u);
    sf_advance(SF_LAT);
    expect_no_driver_fault();
    cr_assert_eq(sf_used_idx(), 2u);
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_OK);
    cr_assert_eq(sf_blk_status(1), DK_SIM_S_OK);
    cr_assert_eq(sf_used_len(0), 513u);
    cr_assert_arr_eq(in_va, sf_disk, 512, "sector 0 did not reach the buffer's VMO");
    cr_assert(all_5a(sf_blk_data(0), 512), "data went where the buffer is not");
    for (unsigned i = 0; i < 512; i++)
        cr_assert_eq(sf_disk[5u * 512u + i], 0xc3, "sector 5 byte %u", i);
}

/* On a device that is up, one read completes, so the device has its ring
 * pointers cached; returns the DMA generation they were cached under. */
static uint64_t first_read_caches_rings(void)
{
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_OK);
    cr_assert_eq(SD.q[0].rings.gen, dk_host_dma_gen(&SH), "the test needs the rings cached");
    return dk_host_dma_gen(&SH);
}

/* The rings are cached under the DMA generation: VMOs destroyed and
 * created elsewhere move it, and the next requests (one into a VMO that
 * took a destroyed one's place) still complete. */
Test(sim_fault, vmos_replaced_after_rings_cached)
{
    uint8_t *x_va, *y_va, *z_va;
    uint64_t x, y, x_dma, y_dma, z_dma, gen;

    blk_up(2);
    fill_disk();
    gen = first_read_caches_rings();

    x = sf_vmo(SF_PAGE, &x_va, &x_dma);
    y = sf_vmo(SF_PAGE, &y_va, &y_dma);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, x_va, SF_PAGE), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, x), DK_OK);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, y_va, SF_PAGE), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, y), DK_OK);
    (void)sf_vmo(512, &z_va, &z_dma);
    cr_assert_eq(z_dma, x_dma, "first fit puts z where x was");
    cr_assert_eq(dk_host_dma_gen(&SH), gen + 2u);

    memset(z_va, 0x5a, 512);
    sf_blk(1, DK_SIM_BLK_T_IN, 1, 512);
    sf_desc(4, z_dma, 512, DK_VRING_DESC_F_WRITE | DK_VRING_DESC_F_NEXT, 5);
    sf_push(3);
    sf_post_in(2);
    sf_kick();
    sf_advance(SF_LAT);
    expect_no_driver_fault();
    cr_assert_eq(sf_used_idx(), 3u);
    cr_assert_eq(sf_blk_status(1), DK_SIM_S_OK);
    cr_assert_eq(sf_blk_status(2), DK_SIM_S_OK);
    cr_assert_arr_eq(z_va, sf_disk + 512, 512);
    cr_assert_arr_eq(sf_blk_data(2), sf_disk + 2u * 512u, 512);
    cr_assert_eq(SD.q[0].rings.gen, dk_host_dma_gen(&SH), "the ring cache was not re-keyed");
}

/* A blk IN of sector @sector as chain 3k..3k+2, all in one VMO at @va /
 * @dma: header at 0, status at 32 (preset to 0xff), data at 512. */
static void blk_in_at(unsigned k, uint8_t *va, uint64_t dma, uint64_t sector)
{
    const struct sf_seg s[3] = {
        {dma, 16, 0},
        {dma + 512u, 512, 1},
        {dma + 32u, 1, 1},
    };

    sf_st32(va, DK_SIM_BLK_T_IN);
    sf_st32(va + 4, 0);
    sf_st64(va + 8, sector);
    va[32] = 0xff;
    sf_push(sf_chain((uint16_t)(3u * k), s, 3));
}

/* The device's IOTLB keeps a whole VMO a request used. Once that VMO is
 * destroyed, a chain into its old range is outside every VMO, though the
 * entry still covers it and no miss came first to flush it. */
Test(sim_fault, chain_into_vmo_destroyed_after_use)
{
    static uint8_t gone[1024];
    uint8_t *x_va;
    uint64_t x, x_dma;
    int cached = 0;

    blk_up(2);
    fill_disk();
    x = sf_vmo(sizeof gone, &x_va, &x_dma);
    blk_in_at(0, x_va, x_dma, 3);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(x_va[32], DK_SIM_S_OK);
    cr_assert_arr_eq(x_va + 512, sf_disk + 3u * 512u, 512);
    for (unsigned k = 0; k < sizeof SD.tlb / sizeof SD.tlb[0]; k++)
        cached |= SD.tlb[k].dma == x_dma && SD.tlb[k].len != 0;
    cr_assert(cached, "the test needs x in the device's IOTLB");

    memset(x_va + 512, 0x5a, 512);
    blk_in_at(1, x_va, x_dma, 4);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, x_va, sizeof gone), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, x), DK_OK);
    memcpy(gone, x_va, sizeof gone);
    sf_kick();
    expect_driver_fault_after(DK_SIM_DF_DESC_DMA, 1);
    cr_assert_arr_eq(x_va, gone, sizeof gone, "the device wrote into a destroyed VMO");
}

/* The VMO of a queue's rings, found by its DMA address. */
static uint64_t ring_vmo(void)
{
    struct dk_vmo_info info;

    for (uint64_t vmo = 1; vmo <= DK_HOST_VMOS_MAX; vmo++)
        if (sf_ops->vmo_query(sf_ctx, vmo, &info) == DK_OK && sf_ring_dma >= info.dma_addr &&
            sf_ring_dma - info.dma_addr < info.len)
            return vmo;
    cr_assert_fail("no VMO holds the rings");
    return 0;
}

/* The rings' VMO destroyed after the device cached them: the next kick
 * finds them in no VMO (RING_DMA) and writes nothing there. */
Test(sim_fault, ring_vmo_destroyed_after_rings_cached)
{
    static uint8_t ring_copy[SF_RING_LEN];

    blk_up(2);
    (void)first_read_caches_rings();

    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, sf_desc_va, SF_RING_LEN), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, ring_vmo()), DK_OK);
    cr_assert_null(dk_host_dma_ptr(&SH, sf_ring_dma, 16));
    memcpy(ring_copy, sf_desc_va, sizeof ring_copy);
    sf_kick();
    expect_driver_fault_after(DK_SIM_DF_RING_DMA, 1);
    cr_assert_arr_eq(ring_copy, sf_desc_va, sizeof ring_copy, "the device wrote freed rings");
}

/* The same with a request in flight: its completion finds no rings, and
 * neither the used ring nor the request's buffers are written. */
Test(sim_fault, ring_vmo_destroyed_before_completion)
{
    static uint8_t ring_copy[SF_RING_LEN];

    blk_up(2);
    fill_disk();
    sf_post_in(0);
    sf_kick();
    sf_advance(SF_LAT);
    sf_post_in(1);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 1u);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, sf_desc_va, SF_RING_LEN), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, ring_vmo()), DK_OK);
    memcpy(ring_copy, sf_desc_va, sizeof ring_copy);
    sf_advance(SF_LAT);
    expect_driver_fault_after(DK_SIM_DF_RING_DMA, 1);
    cr_assert_arr_eq(ring_copy, sf_desc_va, sizeof ring_copy, "the device wrote freed rings");
    cr_assert_eq(sf_blk_status(1), 0xffu);
    cr_assert(all_5a(sf_blk_data(1), 512));
}

/* A request's header alone in a VMO destroyed before completion: the
 * header is gathered again, finds no VMO, and nothing is written. */
Test(sim_fault, header_vmo_destroyed_before_completion)
{
    uint8_t *h_va;
    uint64_t h, h_dma;

    blk_up(2);
    fill_disk();
    h = sf_vmo(64, &h_va, &h_dma);
    sf_post_in(0);
    sf_st32(h_va, DK_SIM_BLK_T_IN);
    sf_st64(h_va + 8, 0);
    sf_desc(0, h_dma, 16, DK_VRING_DESC_F_NEXT, 1);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 1u);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, h_va, 64), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, h), DK_OK);
    sf_advance(SF_LAT);
    expect_driver_fault(DK_SIM_DF_BUF_GONE);
    cr_assert(all_5a(sf_blk_data(0), 512), "data read under a destroyed header");
    cr_assert_eq(sf_blk_status(0), 0xffu);
}

/* A request's status byte alone in a VMO destroyed before completion: the
 * status is not written through the pointer the walk translated. */
Test(sim_fault, status_vmo_destroyed_before_completion)
{
    static uint8_t gone[64];
    uint8_t *s_va;
    uint64_t s, s_dma;

    blk_up(2);
    s = sf_vmo(sizeof gone, &s_va, &s_dma);
    s_va[0] = 0xff;
    sf_post_in(0);
    sf_desc(2, s_dma, 1, DK_VRING_DESC_F_WRITE, 0);
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 1u);
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, s_va, sizeof gone), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, s), DK_OK);
    memcpy(gone, s_va, sizeof gone);
    sf_advance(SF_LAT);
    expect_driver_fault(DK_SIM_DF_BUF_GONE);
    cr_assert_arr_eq(s_va, gone, sizeof gone, "status written into a destroyed VMO");
}

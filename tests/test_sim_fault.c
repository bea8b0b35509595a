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
static void expect_driver_fault(uint32_t why)
{
    cr_assert_eq(SD.last_driver_fault, why, "fault %u, wanted %u", SD.last_driver_fault, why);
    cr_assert(sf_rd(DK_VMMIO_STATUS) & DK_VIRTIO_S_NEEDS_RESET);
    cr_assert(sf_rd(DK_VMMIO_INTERRUPT_STATUS) & DK_VIRTIO_INT_CONFIG);
    cr_assert_eq(sf_stats().driver_faults, 1u);
    sf_advance(10 * SF_LAT);
    cr_assert_eq(sf_used_idx(), 0u);
    cr_assert_eq(dk_sim_pending(&SD), 0u);
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

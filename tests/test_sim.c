/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated virtio-mmio devices (include/driverkit/host_sim.h), driven
 * the way a minimal driver would: raw register accesses through the host
 * backend's ops and rings in VMOs (tests/sim_fixture.h). Register file of
 * both layouts, the handshake, queue set-up checks, blk requests, indirect
 * chains, notification suppression, jitter and the argument checks. rng,
 * accelerator and record/replay are in test_sim_run.c, faults in
 * test_sim_fault.c.
 */
#include "sim_fixture.h"

static void sf_teardown(void)
{
    dk_sim_fini(&SD);
    dk_host_fini(&SH);
}

TestSuite(sim, .fini = sf_teardown);

#define F(bit) (1ull << (bit))

Test(sim, register_file_modern)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    uint64_t v0;

    c.extra_features = F(DK_SIM_BLK_F_SEG_MAX) | F(DK_SIM_BLK_F_BLK_SIZE);
    c.seg_max = 14;
    sf_up(&c);
    cr_assert_eq(sf_rd(DK_VMMIO_MAGIC), DK_VIRTIO_MAGIC_VALUE);
    cr_assert_eq(sf_rd(DK_VMMIO_VERSION), 2u);
    cr_assert_eq(sf_rd(DK_VMMIO_DEVICE_ID), DK_VIRTIO_ID_BLOCK);
    cr_assert_eq(sf_rd(DK_VMMIO_VENDOR_ID), 0x554d4551u);
    cr_assert_eq(sf_offered(), F(DK_VIRTIO_F_VERSION_1) | c.extra_features);
    sf_wr(DK_VMMIO_DEVICE_FEATURES_SEL, 2);
    cr_assert_eq(sf_rd(DK_VMMIO_DEVICE_FEATURES), 0u, "feature words past 1 are zero");
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG_GENERATION), 0u);
    cr_assert_eq(sf_rd(DK_VMMIO_STATUS), 0u);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), 0u);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_NUM_MAX), SF_NUM);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_READY), 0u);
    sf_wr(DK_VMMIO_QUEUE_SEL, 1);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_NUM_MAX), 0u, "blk has one queue");
    sf_wr(DK_VMMIO_QUEUE_SEL, 0);

    /* Config space at 0x100, field widths, little-endian. */
    v0 = sf_stats().protocol_violations;
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_BLK_CFG_CAPACITY), SF_SECTORS);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_BLK_CFG_CAPACITY + 4), 0u);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_BLK_CFG_SEG_MAX), 14u);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_BLK_CFG_BLK_SIZE), 512u);
    cr_assert_eq(sf_stats().protocol_violations, v0);
    cr_assert_eq(sf_stats().config_reads, 4u);

    /* Misuse is answered 0 / ignored, and counted. */
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_NOTIFY), 0u, "write-only");
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_DESC_LOW), 0u, "write-only");
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_PFN), 0u, "legacy only");
    cr_assert_eq(sf_rd(0x0ac), 0u, "undefined here");
    cr_assert_eq(sf_rdw(DK_VMMIO_STATUS, 2), 0u, "control registers are 32-bit");
    sf_wr(DK_VMMIO_MAGIC, 0);
    sf_wr(DK_VMMIO_DEVICE_ID, 7);
    sf_wr(DK_VMMIO_INTERRUPT_STATUS, 3);
    sf_wr(DK_VMMIO_CONFIG, 1);
    cr_assert_eq(sf_rd(DK_VMMIO_MAGIC), DK_VIRTIO_MAGIC_VALUE);
    cr_assert_eq(sf_rd(DK_VMMIO_DEVICE_ID), DK_VIRTIO_ID_BLOCK);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG), SF_SECTORS);
    cr_assert_eq(sf_rdw(DK_VMMIO_CONFIG + 2, 2), 0u, "high half of capacity");
    cr_assert_eq(sf_stats().protocol_violations, v0 + 10u);
    sf_wr(DK_VMMIO_QUEUE_NUM, 12);         /* not a power of two */
    sf_wr(DK_VMMIO_QUEUE_NUM, 2 * SF_NUM); /* over QueueNumMax */
    cr_assert_eq(SD.q[0].num, SF_NUM);
    cr_assert_eq(sf_stats().protocol_violations, v0 + 12u);
    sf_down();
}

Test(sim, register_file_legacy)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 1);
    uint64_t v0;

    c.extra_features = F(DK_VIRTIO_F_INDIRECT_DESC);
    sf_up(&c);
    cr_assert_eq(sf_rd(DK_VMMIO_MAGIC), DK_VIRTIO_MAGIC_VALUE);
    cr_assert_eq(sf_rd(DK_VMMIO_VERSION), 1u);
    cr_assert_eq(sf_offered(), F(DK_VIRTIO_F_INDIRECT_DESC), "legacy offers no VERSION_1");
    v0 = sf_stats().protocol_violations;
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG_GENERATION), 0u, "no generation in legacy");
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_READY), 0u, "no QueueReady in legacy");
    sf_wr(DK_VMMIO_QUEUE_DESC_LOW, 0x1000);
    cr_assert_eq(sf_stats().protocol_violations, v0 + 3u);
    /* Legacy drivers may read config a byte at a time. */
    cr_assert_eq(sf_rdw(DK_VMMIO_CONFIG, 1), SF_SECTORS);
    cr_assert_eq(sf_rdw(DK_VMMIO_CONFIG + 1, 1), 0u);
    cr_assert_eq(sf_stats().protocol_violations, v0 + 3u);
    /* QueuePFN: 0 until set, reads back the PFN, QueueNumMax stays readable. */
    sf_start(0);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_PFN), (uint32_t)(sf_ring_dma / SF_PAGE));
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_NUM_MAX), SF_NUM);
    cr_assert_eq(SD.q[0].device, sf_used_dma(), "used ring at the QueueAlign boundary");
    sf_wr(DK_VMMIO_QUEUE_PFN, 1);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_PFN), (uint32_t)(sf_ring_dma / SF_PAGE),
                 "a live queue's PFN cannot be replaced");
    sf_wr(DK_VMMIO_QUEUE_PFN, 0);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_PFN), 0u, "PFN 0 releases the queue");
    sf_down();
}

Test(sim, features_ok_refused_for_unoffered_feature)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    uint64_t v0;

    sf_up(&c);
    cr_assert_eq(sf_negotiate(F(DK_VIRTIO_F_VERSION_1) | F(DK_VIRTIO_F_EVENT_IDX)) &
                     DK_VIRTIO_S_FEATURES_OK,
                 0u, "EVENT_IDX was not offered");
    cr_assert_eq(sf_negotiate(0) & DK_VIRTIO_S_FEATURES_OK, 0u, "modern needs VERSION_1");
    cr_assert_eq(sf_negotiate(F(DK_VIRTIO_F_VERSION_1)),
                 DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER | DK_VIRTIO_S_FEATURES_OK);
    /* No new features after FEATURES_OK. */
    v0 = sf_stats().protocol_violations;
    sf_wr(DK_VMMIO_DRIVER_FEATURES_SEL, 0);
    sf_wr(DK_VMMIO_DRIVER_FEATURES, 1u << DK_VIRTIO_F_INDIRECT_DESC);
    cr_assert_eq(SD.driver_features, F(DK_VIRTIO_F_VERSION_1));
    cr_assert_eq(sf_stats().protocol_violations, v0 + 1u);

    /* DRIVER_OK without FEATURES_OK: the device takes nothing. */
    cr_assert_eq(sf_negotiate(F(DK_VIRTIO_F_VERSION_1) | F(5)) & DK_VIRTIO_S_FEATURES_OK, 0u);
    sf_queue_setup();
    sf_wr(DK_VMMIO_STATUS, sf_rd(DK_VMMIO_STATUS) | DK_VIRTIO_S_DRIVER_OK);
    sf_push(sf_blk(0, DK_SIM_BLK_T_IN, 0, 512));
    sf_kick();
    sf_advance(10 * SF_LAT);
    cr_assert_eq(sf_used_idx(), 0u);
    cr_assert_eq(sf_stats().notifies_ignored, 1u);
    sf_down();
}

Test(sim, legacy_masks_unoffered_features)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_RNG, 1);
    uint64_t v0;

    sf_up(&c);
    v0 = sf_stats().protocol_violations;
    cr_assert_eq(sf_negotiate(F(DK_VIRTIO_F_INDIRECT_DESC) | F(DK_VIRTIO_F_VERSION_1)),
                 DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER);
    cr_assert_eq(SD.driver_features, 0u, "legacy keeps only offered bits");
    cr_assert_eq(sf_stats().protocol_violations, v0 + 2u);
    sf_down();
}

static void blk_roundtrip(uint32_t version)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, version);
    uint32_t ev = 0;
    unsigned i;

    sf_up(&c);
    sf_start(0);
    for (i = 0; i < 1024u; i++)
        sf_blk_data(0)[i] = (uint8_t)(i * 7u + 1u);
    sf_push(sf_blk(0, DK_SIM_BLK_T_OUT, 3, 1024));
    sf_kick();
    cr_assert_eq(dk_sim_pending(&SD), 1u);
    sf_advance(SF_LAT - 1u);
    cr_assert_eq(sf_used_idx(), 0u, "completes at now + latency, not before");
    sf_advance(1);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_eq(sf_used_id(0), 0u);
    cr_assert_eq(sf_used_len(0), 1u, "an OUT writes only its status byte");
    cr_assert_eq(sf_blk_status(0), DK_SIM_S_OK);
    cr_assert_arr_eq(sf_disk + 3 * 512, sf_blk_data(0), 1024);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), DK_VIRTIO_INT_VRING);
    cr_assert_eq(sf_ops->wait(sf_ctx, dk_host_now(&SH) + 1u, &ev), DK_OK);
    cr_assert_eq(ev, DK_EVENT_IRQ);
    sf_wr(DK_VMMIO_INTERRUPT_ACK, DK_VIRTIO_INT_VRING);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), 0u);
    cr_assert_eq(sf_ops->irq_ack(sf_ctx, SF_IRQ), DK_OK);

    memset(sf_blk_data(1), 0, 1024);
    sf_push(sf_blk(1, DK_SIM_BLK_T_IN, 3, 1024));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 2u);
    cr_assert_eq(sf_used_id(1), 3u);
    cr_assert_eq(sf_used_len(1), 1025u, "an IN writes its data and the status byte");
    cr_assert_eq(sf_blk_status(1), DK_SIM_S_OK);
    cr_assert_arr_eq(sf_blk_data(1), sf_blk_data(0), 1024);
    cr_assert_eq(dk_sim_pending(&SD), 0u);
    cr_assert_eq(sf_stats().requests, 2u);
    cr_assert_eq(sf_stats().completions, 2u);
    cr_assert_eq(sf_stats().protocol_violations, 0u, "the raw driver follows the spec");
    sf_down();
}

Test(sim, blk_write_read_back_modern)
{
    blk_roundtrip(2);
}

Test(sim, blk_write_read_back_legacy)
{
    blk_roundtrip(1);
}

/* Post a blk request as chain k, complete it; return the status byte. */
static uint8_t blk_one(unsigned k, uint32_t type, uint64_t sector, uint32_t bytes)
{
    uint16_t before = sf_used_idx();

    sf_push(sf_blk(k, type, sector, bytes));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), (uint16_t)(before + 1u));
    return sf_blk_status(k);
}

Test(sim, blk_range_type_and_id_checks)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);

    c.extra_features = F(DK_SIM_BLK_F_FLUSH);
    sf_up(&c);
    sf_start(0); /* FLUSH offered, not accepted */
    cr_assert_eq(blk_one(0, DK_SIM_BLK_T_IN, SF_SECTORS - 1u, 1024), DK_SIM_S_IOERR,
                 "past capacity");
    cr_assert_eq(blk_one(0, DK_SIM_BLK_T_IN, SF_SECTORS - 2u, 1024), DK_SIM_S_OK);
    cr_assert_eq(blk_one(0, DK_SIM_BLK_T_IN, UINT64_MAX, 512), DK_SIM_S_IOERR, "wraps");
    cr_assert_eq(blk_one(0, DK_SIM_BLK_T_OUT, 0, 100), DK_SIM_S_IOERR, "not whole sectors");
    cr_assert_eq(blk_one(0, 99, 0, 0), DK_SIM_S_UNSUPP);
    cr_assert_eq(blk_one(0, DK_SIM_BLK_T_FLUSH, 0, 0), DK_SIM_S_UNSUPP, "not negotiated");
    cr_assert_eq(blk_one(0, DK_SIM_BLK_T_GET_ID, 0, DK_SIM_BLK_ID_BYTES), DK_SIM_S_OK);
    cr_assert_eq(sf_used_len(6), DK_SIM_BLK_ID_BYTES + 1u);
    cr_assert_arr_eq(sf_blk_data(0), "dk-sim-blk-00005151", 20);
    cr_assert_eq(sf_used_len(0), 1u, "a failed IN writes only the status");

    sf_start(F(DK_SIM_BLK_F_FLUSH));
    cr_assert_eq(blk_one(1, DK_SIM_BLK_T_FLUSH, 0, 0), DK_SIM_S_OK);
    sf_down();
}

Test(sim, blk_seg_max_is_enforced_when_negotiated)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    struct sf_seg s[4];
    uint8_t *hdr;

    c.extra_features = F(DK_SIM_BLK_F_SEG_MAX);
    c.seg_max = 1;
    sf_up(&c);
    sf_start(F(DK_SIM_BLK_F_SEG_MAX));
    hdr = sf_va(0);
    sf_st32(hdr, DK_SIM_BLK_T_IN);
    sf_st64(hdr + 8, 0);
    hdr[32] = 0xff;
    s[0] = (struct sf_seg){sf_dma(0), 16, 0};
    s[1] = (struct sf_seg){sf_dma(SF_PAGE), 512, 1};
    s[2] = (struct sf_seg){sf_dma(2 * SF_PAGE), 512, 1};
    s[3] = (struct sf_seg){sf_dma(32), 1, 1};
    sf_push(sf_chain(0, s, 4));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(hdr[32], DK_SIM_S_IOERR, "two data segments over seg_max 1");
    sf_down();
}

Test(sim, blk_indirect_chain)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 1);
    uint8_t *hdr, *tbl;
    unsigned i;

    c.extra_features = F(DK_VIRTIO_F_INDIRECT_DESC);
    sf_up(&c);
    sf_start(F(DK_VIRTIO_F_INDIRECT_DESC));
    hdr = sf_va(0);
    tbl = sf_va(1024);
    sf_st32(hdr, DK_SIM_BLK_T_OUT);
    sf_st64(hdr + 8, 5);
    hdr[32] = 0xff;
    for (i = 0; i < 512u; i++)
        sf_va(SF_PAGE)[i] = (uint8_t)(0xa0 ^ i);
    /* Table: header -> data -> status, linked by `next` inside the table. */
    sf_st64(tbl, sf_dma(0));
    sf_st32(tbl + 8, 16);
    sf_st16(tbl + 12, DK_VRING_DESC_F_NEXT);
    sf_st16(tbl + 14, 2);
    sf_st64(tbl + 32, sf_dma(SF_PAGE));
    sf_st32(tbl + 40, 512);
    sf_st16(tbl + 44, DK_VRING_DESC_F_NEXT);
    sf_st16(tbl + 46, 1);
    sf_st64(tbl + 16, sf_dma(32));
    sf_st32(tbl + 24, 1);
    sf_st16(tbl + 28, DK_VRING_DESC_F_WRITE);
    sf_desc(4, sf_dma(1024), 48, DK_VRING_DESC_F_INDIRECT, 0);
    sf_push(4);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_eq(sf_used_id(0), 4u);
    cr_assert_eq(hdr[32], DK_SIM_S_OK);
    cr_assert_arr_eq(sf_disk + 5 * 512, sf_va(SF_PAGE), 512);
    sf_down();
}

Test(sim, event_idx_and_no_interrupt_suppress_notifications)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);

    c.extra_features = F(DK_VIRTIO_F_EVENT_IDX);
    sf_up(&c);
    sf_start(F(DK_VIRTIO_F_EVENT_IDX));
    /* used_event = 1: interrupt only once the entry at index 1 is used. */
    sf_st16(sf_avail_va + 4 + 2u * SF_NUM, 1);
    sf_push(sf_blk(0, DK_SIM_BLK_T_IN, 0, 512));
    sf_kick();
    cr_assert_eq(sf_ld16(sf_used_va + 4 + 8u * SF_NUM), 1u, "avail_event = next avail index");
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), 0u, "suppressed by used_event");
    sf_push(sf_blk(1, DK_SIM_BLK_T_IN, 0, 512));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 2u);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), DK_VIRTIO_INT_VRING);
    sf_wr(DK_VMMIO_INTERRUPT_ACK, DK_VIRTIO_INT_VRING);

    /* Without EVENT_IDX, avail->flags NO_INTERRUPT suppresses. */
    sf_start(0);
    sf_st16(sf_avail_va, DK_VRING_AVAIL_F_NO_INTERRUPT);
    sf_push(sf_blk(0, DK_SIM_BLK_T_IN, 0, 512));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), 0u);
    sf_st16(sf_avail_va, 0);
    sf_push(sf_blk(1, DK_SIM_BLK_T_IN, 0, 512));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), DK_VIRTIO_INT_VRING);
    sf_down();
}

Test(sim, jitter_reorders_completions)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    unsigned k, in_order = 1;
    uint32_t seen = 0;

    c.jitter_ns = 10000;
    sf_up(&c);
    sf_start(0);
    for (k = 0; k < 5u; k++)
        sf_push(sf_blk(k, DK_SIM_BLK_T_IN, k, 512));
    sf_kick();
    sf_advance(SF_LAT + 10000u);
    cr_assert_eq(sf_used_idx(), 5u);
    for (k = 0; k < 5u; k++) {
        uint32_t id = sf_used_id((uint16_t)k);

        cr_assert_eq(id % 3u, 0u);
        seen |= 1u << (id / 3u);
        in_order &= id == 3u * k;
    }
    cr_assert_eq(seen, 0x1fu, "each request completed once");
    cr_assert_not(in_order, "jitter should reorder completions under this seed");
    sf_down();
}

Test(sim, notify_before_driver_ok_is_ignored)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);
    uint64_t v0;

    sf_up(&c);
    cr_assert(sf_negotiate(1ull << DK_VIRTIO_F_VERSION_1) & DK_VIRTIO_S_FEATURES_OK);
    sf_queue_setup();
    v0 = sf_stats().protocol_violations;
    sf_post_in(0);
    sf_kick();
    sf_advance(10 * SF_LAT);
    cr_assert_eq(sf_used_idx(), 0u);
    cr_assert_eq(sf_stats().protocol_violations, v0 + 1u);
    cr_assert_eq(sf_stats().notifies_ignored, 1u);
    /* After DRIVER_OK the same entry is taken. */
    sf_driver_ok();
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), 1u);
}

Test(sim, queue_ready_refused_for_rings_outside_vmos)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2);

    sf_up(&c);
    cr_assert(sf_negotiate(1ull << DK_VIRTIO_F_VERSION_1) & DK_VIRTIO_S_FEATURES_OK);
    sf_wr(DK_VMMIO_QUEUE_SEL, 0);
    sf_wr(DK_VMMIO_QUEUE_NUM, SF_NUM);
    sf_wr(DK_VMMIO_QUEUE_DESC_LOW, 0x1000);
    sf_wr(DK_VMMIO_QUEUE_DRIVER_LOW, 0x2000);
    sf_wr(DK_VMMIO_QUEUE_DEVICE_LOW, 0x3000);
    sf_wr(DK_VMMIO_QUEUE_READY, 1);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_READY), 0u);
    /* Misaligned (descriptor table not 16-aligned) is refused too. */
    sf_wr(DK_VMMIO_QUEUE_DESC_LOW, (uint32_t)sf_ring_dma + 8u);
    sf_wr(DK_VMMIO_QUEUE_DRIVER_LOW, (uint32_t)sf_ring_dma + 1024u);
    sf_wr(DK_VMMIO_QUEUE_DEVICE_LOW, (uint32_t)sf_used_dma());
    sf_wr(DK_VMMIO_QUEUE_READY, 1);
    cr_assert_eq(sf_rd(DK_VMMIO_QUEUE_READY), 0u);
    cr_assert_eq(sf_stats().protocol_violations, 2u);
}

Test(sim, init_and_inject_arguments)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, 2), bad;
    static struct dk_sim_dev other;
    struct dk_sim_log unused;

    sf_up(&c);
    memset(&unused, 0, sizeof unused);
    cr_assert_eq(dk_sim_init(NULL, &SH, &c), DK_E_INVAL);
    cr_assert_eq(dk_sim_init(&other, NULL, &c), DK_E_INVAL);
    cr_assert_eq(dk_sim_init(&other, &SH, NULL), DK_E_INVAL);
    bad = c, bad.kind = 4;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.version = 3;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.queue_num_max = 24;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.queue_num_max = 512;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.disk = NULL;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.disk_bytes = 1000;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.extra_features = 1ull << 5; /* blk RO: not simulated */
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.extra_features = 1ull << DK_SIM_BLK_F_SEG_MAX; /* seg_max 0 */
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = sf_cfg(DK_SIM_RNG, 2), bad.extra_features = 1ull << DK_SIM_BLK_F_FLUSH;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL, "blk bits on rng");
    bad = c, bad.jitter_ns = UINT64_MAX;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    bad = c, bad.log = &unused;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL, "uninitialised log");
    bad = c, bad.irq = DK_HOST_IRQS;
    bad.cap = c.cap + 1u;
    cr_assert_eq(dk_sim_init(&other, &SH, &bad), DK_E_INVAL);
    cr_assert_eq(dk_sim_init(&other, &SH, &c), DK_E_EXISTS, "capability in use");
    cr_assert_eq(dk_sim_fini(&other), DK_OK, "fini on a failed init");

    cr_assert_eq(dk_sim_inject(&SD, DK_SIM_FAULT_COUNT, 0), DK_E_INVAL);
    cr_assert_eq(dk_sim_inject(NULL, DK_SIM_FAULT_STALL, 0), DK_E_INVAL);
    cr_assert_eq(dk_sim_set_capacity(&SD, SF_SECTORS + 1u), DK_E_RANGE);
    cr_assert_eq(dk_sim_stats(&SD, NULL), DK_E_INVAL);
    cr_assert_eq(dk_sim_pending(NULL), 0u);

    /* A resize is a config change: generation, config interrupt, new value. */
    cr_assert_eq(dk_sim_set_capacity(&SD, 8), DK_OK);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG_GENERATION), 1u);
    cr_assert_eq(sf_rd(DK_VMMIO_INTERRUPT_STATUS), DK_VIRTIO_INT_CONFIG);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG), 8u);

    /* After fini the window answers like a removed device. */
    cr_assert_eq(dk_sim_fini(&SD), DK_OK);
    cr_assert_eq(sf_rd(DK_VMMIO_MAGIC), 0xffffffffu);
    cr_assert_eq(dk_sim_set_capacity(&SD, 8), DK_E_INVAL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by test_sim_fast.c and test_sim_fast_exec.c: the simulated blk
 * device of sim_fixture.h with a second data VMO, and a descriptor table
 * of the test's own that the device's internal walks (sim_internal.h) are
 * pointed at directly, so any table size and content can be tried.
 */
#ifndef DK_TEST_SIM_FAST_FIXTURE_H
#define DK_TEST_SIM_FAST_FIXTURE_H

#include "sim_fixture.h"
#include "sim_internal.h"

#define F(bit) (1ull << (bit))
#define NX DK_VRING_DESC_F_NEXT
#define WR DK_VRING_DESC_F_WRITE
#define IND DK_VRING_DESC_F_INDIRECT
#define B_LEN (16u * SF_PAGE)
#define TBL_MAX DK_VIRTQ_SIZE_MAX

/* A second VMO, so chains span two IOTLB entries as the driver's do. */
static uint8_t *b_va;
static uint64_t b_dma;

/* A queue of the test's own (only num is read by a walk) over a
 * descriptor table in plain memory: the walks read the table through the
 * pointer they are given. */
static struct dk_sim_queue fq;
static uint8_t tbl[16u * TBL_MAX];

static inline void sf_teardown(void)
{
    dk_sim_fini(&SD);
    dk_host_fini(&SH);
}

static inline void fast_up(uint32_t version, uint64_t extra)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_BLK, version);

    c.extra_features = extra;
    c.seg_max = 4;
    c.size_max = 2048;
    sf_up(&c);
    sf_start(extra);
    (void)sf_vmo(B_LEN, &b_va, &b_dma);
    for (unsigned i = 0; i < sizeof sf_disk; i++)
        sf_disk[i] = (uint8_t)(i * 29u + 3u);
    memset(tbl, 0, sizeof tbl);
    memset(&fq, 0, sizeof fq);
    fq.num = 64;
}

static inline void tdesc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = tbl + 16u * i;

    sf_st64(p, addr);
    sf_st32(p + 8, len);
    sf_st16(p + 12, flags);
    sf_st16(p + 14, next);
}

#endif /* DK_TEST_SIM_FAST_FIXTURE_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a hostile driver's descriptor tables and available
 * rings against the simulated virtio device (src/backend/host/sim_*.c),
 * the device's fast paths held to its general ones.
 *
 * The input brings up a simulated device (blk, rng or accel; either
 * layout; INDIRECT_DESC, EVENT_IDX, SEG_MAX/SIZE_MAX as it says; queue
 * size 1..256) and fills its descriptor table from recipes: buffers inside
 * one of four VMOs (headers, data, an indirect-table VMO, the ring VMO
 * itself), across a VMO's end, in a destroyed VMO, near 2^64; any length,
 * flags and next; indirect tables likewise. The IOTLB starts warm or cold,
 * synced or stale. Then:
 *  1. every head (up to 64) is walked both ways from identical state, in
 *     a copy of the table with a few descriptors past its end: the fast
 *     walk (dk_sim_walk_first, with the input's IOTLB hint), falling back
 *     to dk_sim_walk, against dk_sim_walk alone. Same answer; for a chain
 *     taken, the same request; the same device and host state after; a
 *     fast walk that declines changes nothing, its hint included;
 *  2. up to three rounds of available-ring entries are notified through
 *     MMIO, so the take runs its fast loop (dk_sim_take_fast) and general
 *     step, and is held to a model built from the general walk alone on a
 *     copy of the device: the same requests taken, each one's record as
 *     dk_sim_walk fills it, the same driver fault (reason) where the take
 *     stops; between rounds the clock runs, so taken chains complete
 *     through the blk read fast path or the general exec.
 * Zeros in the input make a table of blk reads in threes and post them,
 * so the fuzzer starts from requests the device takes.
 * No crash or UB (ASan + UBSan) anywhere.
 */
#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/host_sim.h>

#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#define CAP 0x5eu
#define IRQ 4u
#define PAGE 4096u
#define A_LEN (16u * 1024u) /* headers and status bytes */
#define B_LEN (64u * 1024u) /* data */
#define C_LEN PAGE          /* indirect tables */
#define RING_LEN (5u * PAGE)
#define LAT 1000u
#define WALK_HEADS 64u
#define ROUNDS 3u

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

#include "fuzz_input.h"

static struct dk_host H, h_snap, h_after;
static struct dk_sim_dev D, model;
static struct dk_sim_req ra, rb;
/* Part 1's descriptor table: the queue's num entries and a few after
 * them, so a walk that reads past num finds descriptors there. */
#define TBL_PAST 8u
static uint8_t tbl[16u * (DK_VIRTQ_SIZE_MAX + TBL_PAST)];
static _Alignas(4096) uint8_t arena[512u * 1024u];
static uint8_t disk[64u * 512u];
static const struct dk_backend_ops *ops;
static void *ctx;
static uintptr_t mmio;

static uint8_t *a_va, *b_va, *c_va, *ring_va, *desc_va, *avail_va;
static uint64_t a_dma, b_dma, c_dma, ring_dma, dead_dma, desc_dma;

/* The IOTLB part of the device: all a walk may change of it. */
struct tlb_state {
    struct dk_sim_tlb tlb[DK_SIM_TLB];
    uint32_t next;
    uint64_t gen;
};

static void tlb_save(struct tlb_state *t)
{
    memcpy(t->tlb, D.tlb, sizeof t->tlb);
    t->next = D.tlb_next;
    t->gen = D.tlb_gen;
}

static void tlb_load(const struct tlb_state *t)
{
    memcpy(D.tlb, t->tlb, sizeof t->tlb);
    D.tlb_next = t->next;
    D.tlb_gen = t->gen;
}

static int tlb_is(const struct tlb_state *t)
{
    return memcmp(D.tlb, t->tlb, sizeof t->tlb) == 0 && D.tlb_next == t->next &&
           D.tlb_gen == t->gen;
}

static void wr(uint64_t off, uint32_t v)
{
    ops->mmio_write(ctx, mmio + (uintptr_t)off, 4, v);
}

static uint32_t rd(uint64_t off)
{
    return ops->mmio_read(ctx, mmio + (uintptr_t)off, 4);
}

static void vmo(uint64_t len, uint8_t **va, uint64_t *dma, uint64_t *id)
{
    struct dk_vmo_info info;
    void *p;

    CHECK(ops->vmo_create(ctx, len, id) == DK_OK);
    CHECK(ops->vmo_map(ctx, *id, 0, len, DK_MAP_READ | DK_MAP_WRITE, &p) == DK_OK);
    CHECK(ops->vmo_query(ctx, *id, &info) == DK_OK);
    memset(p, 0, len);
    *va = (uint8_t *)p;
    *dma = info.dma_addr;
}

static void vmo_gone(uint8_t *va, uint64_t len, uint64_t id)
{
    CHECK(ops->vmo_unmap(ctx, va, len) == DK_OK);
    CHECK(ops->vmo_destroy(ctx, id) == DK_OK);
}

/* A buffer address from a recipe: mostly inside a VMO, sometimes not. */
static uint64_t addr_of(unsigned mode, uint32_t off)
{
    switch (mode & 7u) {
    case 0:
        return a_dma + off % A_LEN;
    case 1:
        return b_dma + off % B_LEN;
    case 2:
        return c_dma + off % C_LEN;
    case 3:
        return b_dma + B_LEN - off % 64u; /* at the end: a long buffer straddles it */
    case 4:
        return UINT64_MAX - off % 128u;
    case 5:
        return ring_dma + off % RING_LEN;
    case 6:
        return dead_dma + off % PAGE; /* a VMO destroyed before the walk */
    default:
        return a_dma + off; /* may run past A */
    }
}

static uint32_t len_of(uint32_t sel)
{
    static const uint32_t common[8] = {16, 1, 0, 512, 4096, UINT32_MAX, 8, 24};

    return sel < 8u ? common[sel] : sel;
}

/* One 16-byte descriptor at @p from the input: mode+flags byte, offset,
 * length selector, next, each XORed onto a template, so that zeros make
 * descriptor @i part of a blk read: header (A, 16 bytes), data (B, 512
 * bytes, writable), status (A, 1 byte, writable), chained in threes. */
static void desc_of(struct src *s, uint8_t *p, uint32_t i)
{
    static const uint32_t tm[3] = {0x08u, 0x19u, 0x10u}, tl[3] = {0, 3, 1};
    uint32_t k = i / 3u, t = i % 3u;
    uint32_t m = take(s, 1) ^ tm[t];
    uint32_t off = take(s, 2) ^ (t == 1u ? 512u * k : 64u * k + (t == 2u ? 32u : 0u));
    uint32_t len = len_of(take(s, 2) ^ tl[t]), next = take(s, 1) ^ (t < 2u ? i + 1u : 0u);
    uint16_t flags = (uint16_t)((m & 0x08u ? DK_VRING_DESC_F_NEXT : 0u) |
                                (m & 0x10u ? DK_VRING_DESC_F_WRITE : 0u) |
                                (m & 0x20u ? DK_VRING_DESC_F_INDIRECT : 0u) |
                                (m & 0x40u ? 0x80u : 0u)); /* an undefined bit */
    uint64_t addr = addr_of(m, off);

    /* An indirect descriptor mostly points at C, with a length of whole
     * descriptors. */
    if ((m & 0x20u) && !(m & 0x80u)) {
        addr = c_dma + (off % 16u) * 16u;
        len = 16u * (1u + len % 20u);
    }
    dk_sim_st32(p, (uint32_t)addr);
    dk_sim_st32(p + 4, (uint32_t)(addr >> 32));
    dk_sim_st32(p + 8, len);
    dk_sim_st16(p + 12, flags);
    dk_sim_st16(p + 14, (uint16_t)((next & 0xffu) | (m & 0x80u ? take(s, 1) << 8 : 0u)));
}

/* The device, brought up by a minimal driver over MMIO; returns num. */
static uint32_t bring_up(struct src *s)
{
    const struct dk_backend *be;
    struct dk_sim_cfg c;
    uint32_t cfgb = take(s, 1), num = 1u << (take(s, 1) % 9u), version = (cfgb & 1u) + 1u;
    uint64_t feat = 0, id, skip;
    uint8_t *va;

    memset(&c, 0, sizeof c);
    c.kind = (cfgb >> 3) % 4u == 2u   ? DK_SIM_RNG
             : (cfgb >> 3) % 4u == 3u ? DK_SIM_ACCEL
                                      : DK_SIM_BLK;
    c.version = version;
    c.cap = CAP;
    c.phys = 0x0a000000u;
    c.irq = IRQ;
    c.seed = take(s, 1);
    c.latency_ns = LAT;
    c.jitter_ns = cfgb & 0x40u ? 700u : 0u;
    if (cfgb & 2u)
        feat |= 1ull << DK_VIRTIO_F_INDIRECT_DESC;
    if (cfgb & 4u)
        feat |= 1ull << DK_VIRTIO_F_EVENT_IDX;
    if (c.kind == DK_SIM_BLK) {
        c.disk = disk;
        c.disk_bytes = sizeof disk;
        if (cfgb & 0x20u) {
            feat |= 1ull << DK_SIM_BLK_F_SEG_MAX | 1ull << DK_SIM_BLK_F_SIZE_MAX;
            c.seg_max = 1u + take(s, 1) % 4u;
            c.size_max = 512u * (1u + take(s, 1) % 8u);
        }
    }
    c.extra_features = feat;
    CHECK(dk_host_init(&H, arena, sizeof arena, 1000) == DK_OK);
    CHECK(dk_sim_init(&D, &H, &c) == DK_OK);
    CHECK(dk_host_grant(&H, CAP) == DK_OK);
    be = dk_host_backend(&H);
    ops = be->ops;
    ctx = be->ctx;
    CHECK(ops->mmio_map(ctx, CAP, 0, DK_VMMIO_WINDOW, &mmio) == DK_OK);

    vmo(RING_LEN + PAGE, &va, &ring_dma, &id);
    skip = (PAGE - ring_dma % PAGE) % PAGE;
    ring_va = va;
    desc_va = va + skip;
    desc_dma = ring_dma + skip;
    avail_va = desc_va + 16u * num;
    vmo(A_LEN, &a_va, &a_dma, &id);
    vmo(B_LEN, &b_va, &b_dma, &id);
    vmo(C_LEN, &c_va, &c_dma, &id);
    vmo(PAGE, &va, &dead_dma, &id);
    vmo_gone(va, PAGE, id);

    /* virtio 3.1.1, as a driver that accepts what it asked for. */
    if (version == 2)
        feat |= 1ull << DK_VIRTIO_F_VERSION_1;
    wr(DK_VMMIO_STATUS, 0);
    wr(DK_VMMIO_STATUS, DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER);
    wr(DK_VMMIO_DRIVER_FEATURES_SEL, 0);
    wr(DK_VMMIO_DRIVER_FEATURES, (uint32_t)feat);
    wr(DK_VMMIO_DRIVER_FEATURES_SEL, 1);
    wr(DK_VMMIO_DRIVER_FEATURES, (uint32_t)(feat >> 32));
    wr(DK_VMMIO_QUEUE_SEL, 0);
    if (version == 2) {
        uint64_t avail = desc_dma + 16u * num;
        uint64_t used = desc_dma + ((16u * num + 6u + 2u * num + PAGE - 1u) & ~(PAGE - 1u));

        wr(DK_VMMIO_STATUS, DK_VIRTIO_S_ACKNOWLEDGE | DK_VIRTIO_S_DRIVER | DK_VIRTIO_S_FEATURES_OK);
        wr(DK_VMMIO_QUEUE_NUM, num);
        wr(DK_VMMIO_QUEUE_DESC_LOW, (uint32_t)desc_dma);
        wr(DK_VMMIO_QUEUE_DESC_HIGH, (uint32_t)(desc_dma >> 32));
        wr(DK_VMMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
        wr(DK_VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
        wr(DK_VMMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
        wr(DK_VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
        wr(DK_VMMIO_QUEUE_READY, 1);
    } else {
        wr(DK_VMMIO_GUEST_PAGE_SIZE, PAGE);
        wr(DK_VMMIO_QUEUE_NUM, num);
        wr(DK_VMMIO_QUEUE_ALIGN, PAGE);
        wr(DK_VMMIO_QUEUE_PFN, (uint32_t)(desc_dma / PAGE));
    }
    wr(DK_VMMIO_STATUS, rd(DK_VMMIO_STATUS) | DK_VIRTIO_S_DRIVER_OK);
    CHECK(dk_sim_live(&D) && D.q[0].ready && D.q[0].num == num);
    return num;
}

static void req_eq(const struct dk_sim_req *a, const struct dk_sim_req *b)
{
    CHECK(a->gen == b->gen && a->nseg == b->nseg && a->nread == b->nread &&
          a->readable == b->readable && a->writable == b->writable);
    for (unsigned i = 0; i < a->nseg; i++)
        CHECK(a->seg[i].addr == b->seg[i].addr && a->seg[i].len == b->seg[i].len &&
              a->seg[i].ptr == b->seg[i].ptr);
}

/* Part 1: the chain at @head walked both ways from the same state. */
static void walk_both(uint16_t head, unsigned hint0)
{
    struct tlb_state t0, t1;
    uint64_t gen = dk_host_dma_gen(&H);
    unsigned hint = hint0;
    uint32_t wa, wb, wf;

    tlb_save(&t0);
    memcpy(&h_snap, &H, sizeof H);
    memset(&rb, 0x5a, sizeof rb);
    wb = dk_sim_walk(&D, &D.q[0], tbl, head, &rb);
    tlb_save(&t1);
    memcpy(&h_after, &H, sizeof H);

    tlb_load(&t0);
    memcpy(&H, &h_snap, sizeof H);
    memset(&ra, 0xa5, sizeof ra);
    wf = dk_sim_walk_first(&D, &D.q[0], tbl, head, gen, &hint, &ra);
    CHECK(tlb_is(&t0) && memcmp(&H, &h_snap, sizeof H) == 0); /* the fast walk writes only ra */
    if (wf == DK_SIM_WALK_GENERAL) {
        CHECK(hint == hint0);
        wa = dk_sim_walk(&D, &D.q[0], tbl, head, &ra);
    } else {
        CHECK(wf == DK_SIM_DF_NONE && hint < DK_SIM_TLB);
        wa = wf;
    }
    CHECK(wa == wb);
    if (wa == DK_SIM_DF_NONE)
        req_eq(&ra, &rb);
    /* A taken chain hit the IOTLB everywhere: the general walk on it
     * changed nothing either. */
    CHECK(tlb_is(&t1) && memcmp(&H, &h_after, sizeof H) == 0);
}

/* Part 2: notify once and hold the take to a model of it. */
static void round_of(struct src *s, uint32_t num, uint32_t round)
{
    static uint8_t taken[DK_VIRTQ_SIZE_MAX];
    struct dk_sim_queue *mq = &model.q[0];
    uint16_t aidx = dk_sim_ld16(avail_va + 2), last, n = (uint16_t)(take(s, 1) ^ 3u);
    uint32_t why = DK_SIM_DF_NONE, count = 0, chains = num / 3u ? num / 3u : 1u;
    int ignored;

    if (n > num + 1u)
        n = (uint16_t)(n % (num + 2u));
    /* Zeros post the template's chains, three a round, round robin. */
    for (uint16_t i = 0; i < n; i++) {
        uint32_t h = take(s, 1) ^ (3u * ((3u * round + i) % chains) & 0x7fu);

        h = h & 0x80u ? (h & 0x7fu) * 3u : h % num; /* mostly in range */
        dk_sim_st16(avail_va + 4 + 2u * ((aidx + i) & (num - 1u)), (uint16_t)h);
    }
    aidx = (uint16_t)(aidx + n);
    dk_sim_st16(avail_va + 2, aidx);
    memcpy(&model, &D, sizeof D);
    ignored = !dk_sim_live(&model) || mq->broken || model.stalled;
    wr(DK_VMMIO_QUEUE_NOTIFY, 0);
    if (ignored) {
        CHECK(D.stats.notifies_ignored == model.stats.notifies_ignored + 1u);
        CHECK(D.q[0].last_avail == mq->last_avail);
        return;
    }
    /* The model: dk_sim_take with the general walk alone. */
    memset(taken, 0, sizeof taken);
    last = mq->last_avail;
    if ((uint16_t)(aidx - last) > num)
        why = DK_SIM_DF_AVAIL_JUMP;
    for (; why == DK_SIM_DF_NONE && last != aidx; last++) {
        uint16_t head = dk_sim_ld16(avail_va + 4 + 2u * (last & (num - 1u)));
        struct dk_sim_req *got;

        if (head >= num) {
            why = DK_SIM_DF_HEAD_RANGE;
            break;
        }
        if (mq->req[head].live || taken[head]) {
            why = DK_SIM_DF_HEAD_BUSY;
            break;
        }
        why = dk_sim_walk(&model, mq, desc_va, head, &rb);
        if (why == DK_SIM_DF_NONE)
            why = dk_sim_dev_shape(&model, &rb);
        if (why != DK_SIM_DF_NONE)
            break;
        got = &D.q[0].req[head];
        req_eq(got, &rb);
        taken[head] = 1;
        count++;
    }
    CHECK(D.stats.requests == model.stats.requests + count);
    if (why != DK_SIM_DF_NONE) {
        /* The driver fault stopped the queue: every request dropped. */
        CHECK(D.stats.driver_faults == model.stats.driver_faults + 1u);
        CHECK(D.last_driver_fault == why && D.q[0].broken);
        CHECK(D.q[0].pending == 0);
    } else {
        CHECK(D.stats.driver_faults == model.stats.driver_faults);
        CHECK(D.q[0].last_avail == aidx);
        CHECK(D.q[0].pending == mq->pending + count);
        for (uint32_t h = 0; h < num; h++)
            CHECK(D.q[0].req[h].live == (mq->req[h].live | taken[h]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct src s = {data, size};
    uint32_t num, tlbb, i, heads;
    unsigned hint;

    num = bring_up(&s);
    for (i = 0; i < num + TBL_PAST; i++)
        desc_of(&s, tbl + 16u * i, i);
    memcpy(desc_va, tbl, 16u * num);
    for (i = 0; i < 16u; i++)
        desc_of(&s, c_va + 16u * i, i);
    /* Request headers: mostly reads (type 0) of sector 0 unless the input
     * says otherwise. */
    for (i = 0; i < 64u; i++)
        a_va[i] = (uint8_t)take(&s, 1);

    /* IOTLB: warm entries for some VMOs; then maybe a VMO destroyed, so
     * the generation moves and the IOTLB is stale until synced. */
    tlbb = take(&s, 1);
    hint = take(&s, 1);
    dk_sim_tlb_sync(&D, dk_host_dma_gen(&H));
    if (tlbb & 1u)
        (void)dk_sim_dma(&D, a_dma, 1);
    if (tlbb & 2u)
        (void)dk_sim_dma(&D, b_dma, 1);
    if (tlbb & 4u)
        (void)dk_sim_dma(&D, c_dma, 1);
    if (tlbb & 8u) {
        uint8_t *va;
        uint64_t dma, id;

        vmo(PAGE, &va, &dma, &id);
        vmo_gone(va, PAGE, id);
        if (tlbb & 16u)
            dk_sim_tlb_sync(&D, dk_host_dma_gen(&H));
    }

    heads = num < WALK_HEADS ? num : WALK_HEADS;
    for (i = 0; i < heads; i++)
        walk_both((uint16_t)i, hint + i);
    /* Heads the walks accept only as out of range. */
    walk_both((uint16_t)num, hint);
    walk_both(0xffffu, hint);

    for (i = 0; i < ROUNDS && (i == 0 || !(take(&s, 1) & 1u)); i++) {
        round_of(&s, num, i);
        /* Zeros: long enough for every request to complete. */
        CHECK(dk_host_advance(&H, (take(&s, 1) ^ 0x80u) * 16u) == DK_OK);
    }
    CHECK(dk_host_advance(&H, 4u * LAT) == DK_OK);
    CHECK(dk_sim_fini(&D) == DK_OK);
    CHECK(dk_host_fini(&H) == DK_OK);
    return 0;
}

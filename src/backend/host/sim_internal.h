/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the simulated virtio devices (sim_*.c), device role only:
 * sim_mmio.c owns the register file, sim_vq.c the split virtqueues,
 * sim_walk.c their descriptor chains, sim_dev.c the device classes,
 * sim_log.c the event log.
 */
#ifndef DK_SIM_INTERNAL_H
#define DK_SIM_INTERNAL_H

#include <driverkit/host_sim.h>

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct dk_sim_req) == 512, "request slots are 512 bytes (host_sim.h)");
_Static_assert(offsetof(struct dk_sim_req, seg) + 3u * sizeof(struct dk_sim_seg) <= 128u,
               "a three-buffer request fits the slot's first two cache lines (host_sim.h)");
_Static_assert(offsetof(struct dk_sim_queue, req) % 64u == 0 && _Alignof(struct dk_sim_dev) >= 64u,
               "request slots start cache lines (host_sim.h)");

/* Driver memory may be unaligned (a buggy driver's), so rings and headers
 * are read and written through memcpy, which any alignment allows; all of
 * them are little-endian. Each call reads or writes its bytes once. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint16_t dk_sim_ld16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t dk_sim_ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t dk_sim_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void dk_sim_st16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, sizeof v);
}

static inline void dk_sim_st32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}
#else
static inline uint16_t dk_sim_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t dk_sim_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t dk_sim_ld64(const uint8_t *p)
{
    return (uint64_t)dk_sim_ld32(p) | (uint64_t)dk_sim_ld32(p + 4) << 32;
}

static inline void dk_sim_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void dk_sim_st32(uint8_t *p, uint32_t v)
{
    dk_sim_st16(p, (uint16_t)v);
    dk_sim_st16(p + 2, (uint16_t)(v >> 16));
}
#endif

/* splitmix64: one 64-bit state, full period, no library. */
static inline uint64_t dk_sim_mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline int dk_sim_has(const struct dk_sim_dev *d, unsigned bit)
{
    return (int)((d->driver_features >> bit) & 1u);
}

static inline void dk_sim_violation(struct dk_sim_dev *d)
{
    d->stats.protocol_violations++;
}

/* The device takes and completes requests only while this holds. */
static inline int dk_sim_live(const struct dk_sim_dev *d)
{
    uint32_t s = d->status;

    if ((s & DK_VIRTIO_S_DRIVER_OK) == 0 || (s & (DK_VIRTIO_S_NEEDS_RESET | DK_VIRTIO_S_FAILED)))
        return 0;
    return d->version == 1 || (s & DK_VIRTIO_S_FEATURES_OK) != 0;
}

/* Byte sizes of the three split-ring areas (virtio 2.7), event fields included. */
static inline uint64_t dk_sim_desc_bytes(uint32_t num)
{
    return 16ull * num;
}

static inline uint64_t dk_sim_avail_bytes(uint32_t num)
{
    return 6ull + 2ull * num;
}

static inline uint64_t dk_sim_used_bytes(uint32_t num)
{
    return 6ull + 8ull * num;
}

/* sim_mmio.c */
extern const struct dk_host_mmio_ops dk_sim_mmio_ops;
void dk_sim_reset(struct dk_sim_dev *d);
void dk_sim_interrupt(struct dk_sim_dev *d, uint32_t bits);

/* sim_vq.c */
void dk_sim_vq_notify(struct dk_sim_dev *d, uint32_t queue);
void dk_sim_vq_stop(struct dk_sim_dev *d, struct dk_sim_queue *q);
void dk_sim_vq_cancel(struct dk_sim_dev *d);
void dk_sim_driver_fault(struct dk_sim_dev *d, struct dk_sim_queue *q, uint32_t why, uint32_t id);
uint8_t *dk_sim_dma_miss(struct dk_sim_dev *d, uint64_t addr, uint64_t len);

/* sim_walk.c: fill @r from the chain at @head of @q's descriptor table
 * @desc; DK_SIM_DF_NONE or the driver fault that stops the queue. */
uint32_t dk_sim_walk(struct dk_sim_dev *d, const struct dk_sim_queue *q, const uint8_t *desc,
                     uint16_t head, struct dk_sim_req *r);

#define DK_SIM_TLB (sizeof(((struct dk_sim_dev *)0)->tlb) / sizeof(((struct dk_sim_dev *)0)->tlb[0]))

/* SECURITY: once a VMO went away (the host's DMA generation @gen moved),
 * every IOTLB entry may be stale: drop them all. */
static inline void dk_sim_tlb_sync(struct dk_sim_dev *d, uint64_t gen)
{
    unsigned k;

    if (d->tlb_gen == gen)
        return;
    for (k = 0; k < DK_SIM_TLB; k++)
        d->tlb[k].len = 0;
    d->tlb_gen = gen;
}

/* The IOTLB alone: where [addr, addr + len) lives if one entry holds all
 * of it, else NULL; changes nothing. Only for a caller that has checked
 * tlb_gen against the host's DMA generation. SECURITY: an entry answers
 * only inside the VMO it was made for. */
static inline uint8_t *dk_sim_tlb_hit(const struct dk_sim_dev *d, uint64_t addr, uint64_t len)
{
    unsigned k;

    for (k = 0; k < DK_SIM_TLB; k++) {
        uint64_t off = addr - d->tlb[k].dma;

        if (off < d->tlb[k].len && len <= d->tlb[k].len - off)
            return d->tlb[k].ptr + off;
    }
    return NULL;
}

/* Device-side DMA translation of [addr, addr + len), or NULL: through the
 * device's IOTLB, else dk_host_dma_vmo(). SECURITY: an entry answers only
 * while no VMO was destroyed since it was made (the host's DMA generation). */
static inline uint8_t *dk_sim_dma(struct dk_sim_dev *d, uint64_t addr, uint64_t len)
{
    if (d->tlb_gen == dk_host_dma_gen(d->host) && len != 0) {
        uint8_t *p = dk_sim_tlb_hit(d, addr, len);

        if (p != NULL)
            return p;
    }
    return dk_sim_dma_miss(d, addr, len);
}

/* dk_sim_walk_first's answer for a chain it leaves to dk_sim_walk. */
#define DK_SIM_WALK_GENERAL 0xffffffffu

_Static_assert((DK_SIM_TLB & (DK_SIM_TLB - 1u)) == 0, "IOTLB entries: a power of two");

/* The IOTLB entry that holds all of [addr, addr + len), trying @k first
 * and the ones after it next; DK_SIM_TLB if none does, and for @len 0.
 * The order changes only the work: no two live entries hold one address
 * (an entry is made only on a miss, for the whole VMO), and an address
 * maps to the same host byte through any entry made in one DMA generation.
 *
 * BOUND: one test per entry, on the buffer's last byte: off + (len - 1)
 * must not wrap and must fall below the entry's length. For len >= 1
 * that is dk_sim_tlb_hit's off < tlb.len && len <= tlb.len - off; for
 * len 0, len - 1 is 2^64 - 1 and the sum wraps or reaches 2^64 - 1,
 * which no entry's length exceeds, so a zero length is never found. */
static inline unsigned dk_sim_tlb_find(const struct dk_sim_tlb *tlb, unsigned k, uint64_t addr,
                                       uint64_t len)
{
    uint64_t last = len - 1u;
    unsigned j;

    for (j = 0; j < DK_SIM_TLB; j++, k = (k + 1u) & (DK_SIM_TLB - 1u)) {
        uint64_t off = addr - tlb[k].dma, end;

        if (!__builtin_add_overflow(off, last, &end) && end < tlb[k].len)
            return k;
    }
    return DK_SIM_TLB;
}

/*
 * The chain nearly every request is, cheaply, inline in the take's loops
 * (dk_sim_take_fast and the take's general step): direct descriptors,
 * every buffer in an IOTLB entry. It holds the chain
 * to dk_sim_walk's rules but answers DK_SIM_WALK_GENERAL, rather than a
 * reason, at anything else (a `next` out of range, INDIRECT, a zero
 * length, readable after writable, more than DK_VIRTQ_CHAIN_MAX buffers,
 * an IOTLB miss), so the general walk decides every hostile or unusual
 * chain and the reason is its own; for a chain it takes, DK_SIM_DF_NONE
 * with @r filled exactly as dk_sim_walk fills it. It writes nothing but @r
 * and *@hint: an IOTLB miss is left to dk_sim_dma_miss. BOUND: at most
 * DK_VIRTQ_CHAIN_MAX descriptors, so a loop ends here too.
 *
 * The caller has checked @head < @num and synced the IOTLB @tlb to the
 * host's DMA generation @gen (a take does both first); dk_sim_walk_first
 * is this with those checks.
 *
 * @hint: the IOTLB entry the chain's first buffer tries first; each next
 * buffer tries the entry after the one its predecessor hit first (a blk
 * chain goes header memory, data, header memory: two VMOs, alternating),
 * and a chain taken leaves *@hint at the entry its last buffer hit, where
 * the next chain's header most likely is. It orders the search only.
 */
static inline uint32_t dk_sim_walk_fast(const struct dk_sim_tlb *tlb, const uint8_t *desc,
                                        uint32_t num, uint16_t head, uint64_t gen, unsigned *hint,
                                        struct dk_sim_req *r)
{
    struct dk_sim_seg *s = r->seg;
    uint32_t i = head, n = 0;
    unsigned k = *hint & (DK_SIM_TLB - 1u);

    /* The sums are kept in @r itself: a declined chain leaves them to the
     * general walk, which starts them again. */
    r->readable = 0;
    r->writable = 0;
    r->nread = 0;

    for (;;) {
        const uint8_t *p = desc + 16u * i;
        uint64_t addr = dk_sim_ld64(p);
        /* len, flags and next in one load. */
        uint64_t lfn = dk_sim_ld64(p + 8);
        uint32_t len = (uint32_t)lfn, flags = (uint16_t)(lfn >> 32);

        if (flags & DK_VRING_DESC_F_INDIRECT)
            return DK_SIM_WALK_GENERAL;
        /* A zero length is never found in the IOTLB: declined there. */
        k = dk_sim_tlb_find(tlb, k, addr, len);
        if (k == DK_SIM_TLB)
            return DK_SIM_WALK_GENERAL;
        s->addr = addr;
        s->len = len;
        s->ptr = tlb[k].ptr + (addr - tlb[k].dma);
        if (flags & DK_VRING_DESC_F_WRITE) {
            r->writable += len;
        } else {
            /* Readable after writable: every buffer is non-empty, so
             * writable bytes mean a writable buffer came before. */
            if (r->writable != 0)
                return DK_SIM_WALK_GENERAL;
            r->nread++;
            r->readable += len;
        }
        s++;
        n++;
        if (!(flags & DK_VRING_DESC_F_NEXT))
            break;
        if (n == DK_VIRTQ_CHAIN_MAX)
            return DK_SIM_WALK_GENERAL;
        i = (uint32_t)(lfn >> 48);
        if (i >= num)
            return DK_SIM_WALK_GENERAL;
        k = (k + 1u) & (DK_SIM_TLB - 1u);
    }
    *hint = k;
    r->gen = gen;
    r->nseg = (uint8_t)n;
    return DK_SIM_DF_NONE;
}

/* dk_sim_walk_fast for any caller: DK_SIM_WALK_GENERAL also for a head out
 * of range or an IOTLB not synced to @gen. */
static inline uint32_t dk_sim_walk_first(const struct dk_sim_dev *d, const struct dk_sim_queue *q,
                                         const uint8_t *desc, uint16_t head, uint64_t gen,
                                         unsigned *hint, struct dk_sim_req *r)
{
    if (d->tlb_gen != gen || head >= q->num)
        return DK_SIM_WALK_GENERAL;
    return dk_sim_walk_fast(d->tlb, desc, q->num, head, gen, hint, r);
}

/*
 * A take's requests without draws (sim_vq.c, dk_sim_draws): all due at
 * @due, numbered from @seq, linked through next in request order from
 * @first to @last (DK_SIM_NIL: none yet), to join the pending list as one
 * run at the end of the take. @gen: the host's DMA generation, to which
 * the take synced the IOTLB; @hint: the fast walk's IOTLB hint.
 */
struct dk_sim_run {
    uint64_t now, due, gen;
    uint32_t seq;
    unsigned hint;
    uint16_t first, last;
};

/* Link request @head to the end of @run. */
static inline void dk_sim_run_add(struct dk_sim_queue *q, struct dk_sim_run *run, uint16_t head)
{
    if (run->last == DK_SIM_NIL)
        run->first = head;
    else
        q->req[run->last].next = head;
    run->last = head;
}

/* sim_walk.c: take the available entries @from..@to of @q as far as each
 * is the common chain (a head in range and not busy, dk_sim_walk_fast
 * takes it, dk_sim_dev_shape accepts it): live, numbered, started, due
 * and in @run. Returns the entry it stopped at (@to: all taken); that
 * entry is for the general rules, and nothing of it was written but the
 * walk in its request slot (segments and sums), if its head was in range.
 * Only for a take without draws. */
uint16_t dk_sim_take_fast(const struct dk_sim_dev *d, struct dk_sim_queue *q, const uint8_t *desc,
                          const uint8_t *avail, uint16_t from, uint16_t to, struct dk_sim_run *run);

/* Where byte @off of the request's readable (@write 0) or writable (1)
 * buffers lives, and how many bytes follow it in the same buffer (@rem).
 * The pointer translated at take time serves while the host's DMA
 * generation has not moved; after that the buffer is translated again
 * (NULL if its VMO is gone). */
static inline uint8_t *dk_sim_locate(struct dk_sim_dev *d, const struct dk_sim_req *r, int write,
                                     uint64_t off, uint64_t *rem)
{
    unsigned i = write ? r->nread : 0u, end = write ? r->nseg : r->nread;

    for (; i < end; i++) {
        const struct dk_sim_seg *s = &r->seg[i];

        if (off < s->len) {
            *rem = s->len - off;
            if (r->gen == dk_host_dma_gen(d->host))
                return s->ptr + off;
            return dk_sim_dma(d, s->addr + off, *rem);
        }
        off -= s->len;
    }
    return NULL;
}

/* Copy @n bytes between @buf and the request's readable (@write 0: into
 * @buf) or writable (1: from @buf) buffers at @off; -1 if they run out or
 * a buffer is gone. */
static inline int dk_sim_copy(struct dk_sim_dev *d, const struct dk_sim_req *r, int write,
                              uint64_t off, uint8_t *buf, uint64_t n)
{
    while (n > 0) {
        uint64_t rem = 0;
        uint8_t *p = dk_sim_locate(d, r, write, off, &rem);

        if (p == NULL)
            return -1;
        if (rem > n)
            rem = n;
        if (write)
            memcpy(p, buf, (size_t)rem);
        else
            memcpy(buf, p, (size_t)rem);
        buf += rem;
        off += rem;
        n -= rem;
    }
    return 0;
}

static inline int dk_sim_read(struct dk_sim_dev *d, const struct dk_sim_req *r, uint64_t off,
                              void *dst, uint64_t n)
{
    return dk_sim_copy(d, r, 0, off, (uint8_t *)dst, n);
}

/* The bytes are only read: the cast drops const for the shared copier. */
static inline int dk_sim_write(struct dk_sim_dev *d, const struct dk_sim_req *r, uint64_t off,
                               const void *src, uint64_t n)
{
    return dk_sim_copy(d, r, 1, off, (uint8_t *)(uintptr_t)src, n);
}

/* Is a walked chain a request of the device's class? DK_SIM_DF_NONE or
 * DK_SIM_DF_SHAPE. Inline: every request is checked at take time. */
static inline uint32_t dk_sim_dev_shape(const struct dk_sim_dev *d, const struct dk_sim_req *r)
{
    switch (d->kind) {
    case DK_SIM_BLK:
        /* A 16-byte header to read and a status byte to write. */
        return r->readable >= 16u && r->writable >= 1u ? DK_SIM_DF_NONE : DK_SIM_DF_SHAPE;
    case DK_SIM_RNG:
        /* virtio 5.4.6.1: device-writable buffers only. */
        return r->nread == 0 ? DK_SIM_DF_NONE : DK_SIM_DF_SHAPE;
    default:
        return r->readable >= DK_SIM_ACCEL_HDR_BYTES && r->writable >= DK_SIM_ACCEL_STATUS_BYTES
                   ? DK_SIM_DF_NONE
                   : DK_SIM_DF_SHAPE;
    }
}

/* sim_dev.c: per-class request handling and config space. The general
 * request handling of every class, and blk's alone, which the fast path
 * below answers for (test_sim_fast_exec.c holds them to each other). */
int dk_sim_dev_exec_general(struct dk_sim_dev *d, const struct dk_sim_req *r, int fail,
                            uint32_t *used_len, uint8_t *status);
int dk_sim_blk_exec(struct dk_sim_dev *d, const struct dk_sim_req *r, int fail, uint32_t *used_len,
                    uint8_t *status);
uint32_t dk_sim_config_read(struct dk_sim_dev *d, uint64_t off, unsigned width);

/* Is [sector, sector + bytes/512) inside the current capacity? */
static inline int dk_sim_blk_range(const struct dk_sim_dev *d, uint64_t sector, uint64_t bytes)
{
    return bytes % DK_SIM_SECTOR == 0 && sector <= d->capacity &&
           bytes / DK_SIM_SECTOR <= d->capacity - sector;
}

/* dk_sim_blk_read_fast's answer for a request it leaves to the general path. */
#define DK_SIM_EXEC_GENERAL 1

/* The read nearly every blk request is: header, one data buffer and the
 * status byte, three buffers translated at take time in the current DMA
 * generation, an IN inside the capacity that SEG_MAX / SIZE_MAX (if
 * negotiated) allow. dk_sim_blk_exec would read the header in place, copy
 * the sectors into the data buffer and write the status byte; this does
 * the same with one memcpy and no gathering, inline in the completion
 * loop. Anything else, errors included, is DK_SIM_EXEC_GENERAL, with
 * nothing written. */
static inline int dk_sim_blk_read_fast(struct dk_sim_dev *d, const struct dk_sim_req *r,
                                       uint32_t *used_len, uint8_t *status)
{
    const struct dk_sim_seg *s = r->seg;
    uint64_t sector, n = s[1].len;

    if (r->nseg != 3 || r->nread != 1 || s[0].len != 16u || s[2].len != 1u ||
        r->gen != dk_host_dma_gen(d->host))
        return DK_SIM_EXEC_GENERAL;
    if (dk_sim_ld32(s[0].ptr) != DK_SIM_BLK_T_IN)
        return DK_SIM_EXEC_GENERAL;
    /* No readable data follows the header (this shape), and a range of
     * whole sectors keeps n + 1 below 2^32, as dk_sim_blk_exec requires. */
    sector = dk_sim_ld64(s[0].ptr + 8);
    if (!dk_sim_blk_range(d, sector, n))
        return DK_SIM_EXEC_GENERAL;
    /* dk_sim_blk_segs_ok for one data buffer. */
    if ((d->driver_features & (1ull << DK_SIM_BLK_F_SEG_MAX | 1ull << DK_SIM_BLK_F_SIZE_MAX)) &&
        ((dk_sim_has(d, DK_SIM_BLK_F_SEG_MAX) && d->seg_max < 1u) ||
         (dk_sim_has(d, DK_SIM_BLK_F_SIZE_MAX) && n > d->size_max)))
        return DK_SIM_EXEC_GENERAL;
    memcpy(s[1].ptr, d->disk + sector * DK_SIM_SECTOR, (size_t)n);
    s[2].ptr[0] = DK_SIM_S_OK;
    *status = DK_SIM_S_OK;
    *used_len = (uint32_t)n + 1u;
    return 0;
}

/* Carry out a request at completion time: 0 with the used length and
 * status, or -1 if one of its buffers is gone (BUF_GONE). @fail: the
 * injected ERROR_STATUS. The blk read fast path is tried first. */
static inline int dk_sim_dev_exec(struct dk_sim_dev *d, const struct dk_sim_req *r, int fail,
                                  uint32_t *used_len, uint8_t *status)
{
    if (d->kind == DK_SIM_BLK && !fail) {
        int rc = dk_sim_blk_read_fast(d, r, used_len, status);

        if (rc != DK_SIM_EXEC_GENERAL)
            return rc;
    }
    return dk_sim_dev_exec_general(d, r, fail, used_len, status);
}

/* sim_log.c */
void dk_sim_log_put(struct dk_sim_dev *d, unsigned kind, uint32_t queue, uint32_t id, uint32_t len,
                    uint32_t status, uint64_t extra);
void dk_sim_log_complete(struct dk_sim_dev *d, uint32_t queue, const struct dk_sim_req *r,
                         uint32_t id, uint32_t len, uint32_t status);
int dk_sim_replay_find(struct dk_sim_dev *d, uint32_t req, uint64_t *lat, uint64_t *seed);

#endif /* DK_SIM_INTERNAL_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a hostile virtio device against the virtio-blk driver.
 *
 * The device is a minimal virtio-mmio register file of this file's own,
 * registered with dk_host_window_add(), in either layout, with or without
 * INDIRECT_DESC / EVENT_IDX / FLUSH, queue size 1..16 (the input's first
 * byte). The driver brings it up with dk_vblk_init() and posts requests
 * with data buffers in one guarded VMO that neither side may write (this
 * device never does), so the whole VMO is compared with a shadow copy.
 * Then the input plays the device between driver calls: it writes used
 * elements (garbage or well-formed completions), used->idx, used->flags,
 * avail_event, any descriptor or avail-ring byte, config bytes,
 * InterruptStatus and Status (NEEDS_RESET, a reset that never completes),
 * and makes config reads tear (on a schedule, or never settling).
 *
 * A model of the driver's documented checks (virtio.h) predicts every
 * harvest: how many completions, which cookies, and which DK_R_VIRTIO_*
 * reason faults the queue. Invariants, after every step:
 *  - no crash or UB (ASan + UBSan);
 *  - each completion names a cookie that was posted and not returned
 *    before, its head, and a len within the posted writable bytes; through
 *    dk_vblk_harvest it carries the status dk_vblk_complete documents;
 *  - a violation faults the queue with the reason the model predicts, and
 *    add/kick/harvest then answer DK_E_FAULTED;
 *  - the data VMO, guards and buffers, is unchanged;
 *  - kick notifies exactly when avail_event / used->flags ask for it, and
 *    harvest publishes used_event; dk_virtio_irq reports and acks only the
 *    defined InterruptStatus bits;
 *  - a modern config read that succeeds returns one consistent snapshot;
 *  - reclaim refuses before the reset (or while a reset never completes)
 *    and, after it, returns every in-flight cookie exactly once; the device
 *    then comes up again with no VMO leaked.
 */
#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/virtio.h>

#include <stdlib.h>
#include <string.h>

#define CAP 0x77u
#define IRQ 3u
#define NBUF 16u
#define BUFSZ 1024u
#define GUARD 64u
#define MEMSZ (GUARD + NBUF * (BUFSZ + GUARD))
#define MAXREQ 64u /* posts per input */
#define MAXINIT 8u /* bring-ups per input */
#define CFGSZ 64u

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

#include "fuzz_input.h"

/* ---- the fake device: register file only; the input does the rest ---- */

struct fdev {
    uint32_t version;
    uint64_t offered;
    uint32_t status;
    uint32_t stuck; /* a reset leaves Status at this (0: resets work) */
    uint32_t dev_sel, drv_sel;
    uint64_t driver_features;
    uint32_t queue_sel, num, ready, pfn, align, page;
    uint64_t desc, driver, device;
    uint32_t isr, acked; /* last InterruptACK value */
    uint32_t notifies, notify_val;
    uint32_t gen;
    uint8_t cfg[2][CFGSZ]; /* two config images; reads come from cfg[cur] */
    uint32_t cur;
    uint32_t tear_all; /* every config read switches image (never settles) */
    uint64_t tear;     /* bit i: after config read i, switch image */
    uint64_t gen_only; /* bit i: after config read i, bump generation only */
    uint32_t cfg_reads;
};

static struct fdev D;
static struct dk_host H;
static _Alignas(4096) uint8_t arena[1u << 20];

static uint32_t fdev_cfg(uint64_t off, unsigned width)
{
    uint32_t v = 0;
    unsigned i;

    if (off + width > CFGSZ)
        return 0;
    for (i = 0; i < width; i++)
        v |= (uint32_t)D.cfg[D.cur][off + i] << (8 * i);
    if (D.tear_all) {
        D.cur ^= 1u;
        D.gen++;
    } else if (D.cfg_reads < 64) {
        if ((D.tear >> D.cfg_reads) & 1u) {
            D.cur ^= 1u;
            D.gen++;
        } else if ((D.gen_only >> D.cfg_reads) & 1u) {
            D.gen++;
        }
    }
    D.cfg_reads++;
    return v;
}

static uint32_t fdev_read(void *dev, uint64_t off, unsigned width)
{
    (void)dev;
    if (off >= DK_VMMIO_CONFIG)
        return fdev_cfg(off - DK_VMMIO_CONFIG, width);
    switch (off) {
    case DK_VMMIO_MAGIC:
        return DK_VIRTIO_MAGIC_VALUE;
    case DK_VMMIO_VERSION:
        return D.version;
    case DK_VMMIO_DEVICE_ID:
        return DK_VIRTIO_ID_BLOCK;
    case DK_VMMIO_VENDOR_ID:
        return 0x554d4551u;
    case DK_VMMIO_DEVICE_FEATURES:
        return D.dev_sel < 2 ? (uint32_t)(D.offered >> (32 * D.dev_sel)) : 0;
    case DK_VMMIO_QUEUE_NUM_MAX:
        return D.queue_sel == 0 ? DK_VIRTQ_SIZE_MAX : 0;
    case DK_VMMIO_QUEUE_READY:
        return D.ready;
    case DK_VMMIO_QUEUE_PFN:
        return D.pfn;
    case DK_VMMIO_INTERRUPT_STATUS:
        return D.isr;
    case DK_VMMIO_STATUS:
        return D.status;
    case DK_VMMIO_CONFIG_GENERATION:
        return D.gen;
    default:
        return 0;
    }
}

/* A 64-bit address register written as two 32-bit halves (+4: high). */
static void set_half(uint64_t *reg, uint64_t off, uint32_t v)
{
    unsigned shift = (off & 4u) ? 32u : 0u;

    *reg = (*reg & ~(0xffffffffull << shift)) | (uint64_t)v << shift;
}

static void fdev_write(void *dev, uint64_t off, unsigned width, uint32_t v)
{
    (void)dev;
    (void)width;
    switch (off) {
    case DK_VMMIO_DEVICE_FEATURES_SEL:
        D.dev_sel = v;
        break;
    case DK_VMMIO_DRIVER_FEATURES_SEL:
        D.drv_sel = v;
        break;
    case DK_VMMIO_DRIVER_FEATURES:
        if (D.drv_sel < 2) {
            D.driver_features &= ~(0xffffffffull << (32 * D.drv_sel));
            D.driver_features |= (uint64_t)v << (32 * D.drv_sel);
        }
        break;
    case DK_VMMIO_GUEST_PAGE_SIZE:
        D.page = v;
        break;
    case DK_VMMIO_QUEUE_SEL:
        D.queue_sel = v;
        break;
    case DK_VMMIO_QUEUE_NUM:
        D.num = v;
        break;
    case DK_VMMIO_QUEUE_ALIGN:
        D.align = v;
        break;
    case DK_VMMIO_QUEUE_PFN:
        D.pfn = v;
        break;
    case DK_VMMIO_QUEUE_READY:
        D.ready = v;
        break;
    case DK_VMMIO_QUEUE_NOTIFY:
        D.notifies++;
        D.notify_val = v;
        break;
    case DK_VMMIO_INTERRUPT_ACK:
        D.acked = v;
        D.isr &= ~v;
        break;
    case DK_VMMIO_STATUS:
        if (v == 0) {
            D.status = D.stuck;
            D.ready = D.pfn = 0;
            D.isr = 0;
            D.driver_features = 0;
        } else {
            D.status = v;
        }
        break;
    case DK_VMMIO_QUEUE_DESC_LOW:
    case DK_VMMIO_QUEUE_DESC_HIGH:
        set_half(&D.desc, off, v);
        break;
    case DK_VMMIO_QUEUE_DRIVER_LOW:
    case DK_VMMIO_QUEUE_DRIVER_HIGH:
        set_half(&D.driver, off, v);
        break;
    case DK_VMMIO_QUEUE_DEVICE_LOW:
    case DK_VMMIO_QUEUE_DEVICE_HIGH:
        set_half(&D.device, off, v);
        break;
    default:
        break;
    }
}

static const struct dk_host_mmio_ops fdev_ops = {.read = fdev_read, .write = fdev_write};

/* ---- driver-side world and the model ---- */

struct req {
    uint64_t cookie;
    uint32_t writable;
    uint16_t head;
    uint8_t state;    /* 0 unused, 1 in flight, 2 returned, 3 reclaimed */
    uint8_t dev_done; /* op_complete_good already answered it */
};

static struct dk_vblk B;
static uint8_t storage[DK_VIRTQ_SIZE_MAX * (sizeof(struct dk_virtq_head) + sizeof(uint16_t))];
static const struct dk_backend *be;
static uint8_t *mem; /* the data VMO, mapped */
static uint64_t mem_dma;
static uint8_t shadow[MEMSZ]; /* expected bytes of mem */
static struct req reqs[MAXREQ];
static unsigned nreq, inits, live0;
static uint16_t qsize, last_used, kicked;
static int faulted, up;
static struct dk_vdone last_done[8];
static unsigned nlast;

static uint64_t used_dma(void)
{
    uint64_t base, avail;

    if (D.version == 2)
        return D.device;
    base = (uint64_t)D.pfn * (D.page ? D.page : 4096u);
    avail = base + 16u * (uint64_t)D.num;
    return (avail + 6u + 2u * D.num + (D.align - 1u)) & ~(uint64_t)(D.align - 1u);
}

static uint64_t avail_dma(void)
{
    if (D.version == 2)
        return D.driver;
    return (uint64_t)D.pfn * (D.page ? D.page : 4096u) + 16u * (uint64_t)D.num;
}

/* The device's view of the rings (NULL if the driver did not set them up
 * inside a live VMO: that would itself be a driver bug). */
static uint8_t *used_ring(void)
{
    uint8_t *p = dk_host_dma_ptr(&H, used_dma(), 6u + 8u * (uint64_t)qsize);
    CHECK(p != NULL);
    return p;
}

static uint8_t *avail_ring(void)
{
    uint8_t *p = dk_host_dma_ptr(&H, avail_dma(), 6u + 2u * (uint64_t)qsize);
    CHECK(p != NULL);
    return p;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)v);
    wr16(p + 2, (uint16_t)(v >> 16));
}

/* Neither this device nor the driver ever writes a data buffer here, so
 * the whole VMO (guards and buffers) must still match its shadow. */
static void check_memory(void)
{
    CHECK(memcmp(mem, shadow, MEMSZ) == 0);
}

static unsigned live_vmos(void)
{
    unsigned i, n = 0;

    for (i = 0; i < DK_HOST_VMOS_MAX; i++)
        n += H.vmos[i].live;
    return n;
}

static unsigned inflight(void)
{
    unsigned i, c = 0;

    for (i = 0; i < nreq; i++)
        c += reqs[i].state == 1;
    return c;
}

static int bring_up(void)
{
    enum dk_reason why;
    int rc;

    if (inits == MAXINIT)
        return 0;
    inits++;
    /* B still holds the previous bring-up: dk_vblk_init releases it. */
    rc = dk_vblk_init(&B, be, CAP, qsize, storage, sizeof(storage), &why);
    if (rc != DK_OK)
        return 0;
    if (!D.tear_all && D.tear == 0 && D.gen_only == 0)
        CHECK(B.capacity == (rd32(D.cfg[D.cur]) | (uint64_t)rd32(D.cfg[D.cur] + 4) << 32));
    last_used = kicked = 0;
    faulted = 0;
    nlast = 0;
    up = 1;
    return 1;
}

static void expect_faulted(void)
{
    struct dk_vdone out[2];
    struct dk_vseg seg = {mem_dma + GUARD, DK_VBLK_ID_BYTES, 0};
    enum dk_reason why;
    unsigned n = 7;
    int notified = 7;

    CHECK(dk_virtq_harvest(&B.q, out, 2, &n, &why) == DK_E_FAULTED && n == 0 &&
          why == DK_R_VIRTIO_FAULTED);
    CHECK(dk_virtq_kick(&B.q, &notified) == DK_E_FAULTED && notified == 0);
    /* GET_ID: no capacity check comes before the fault check. */
    CHECK(dk_vblk_submit(&B, DK_VBLK_T_GET_ID, 0, &seg, 1, 1, &why) == DK_E_FAULTED);
}

static void op_post(struct src *s)
{
    uint32_t sel = take(s, 2);
    unsigned type = sel & 3u, nseg = 1u + ((sel >> 2) & 3u), i, b0 = (sel >> 4) % NBUF;
    struct dk_vseg segs[4];
    uint16_t avail_before = B.q.avail_idx;
    uint32_t writable = 1;
    enum dk_reason why;
    struct req *r;
    int rc;

    if (nreq == MAXREQ)
        return;
    if (type == 2)
        type = DK_VBLK_T_FLUSH;
    else if (type == 3)
        type = DK_VBLK_T_GET_ID;
    for (i = 0; i < nseg; i++) {
        segs[i].addr = mem_dma + GUARD + (uint64_t)((b0 + i) % NBUF) * (BUFSZ + GUARD);
        segs[i].len = type == DK_VBLK_T_GET_ID ? DK_VBLK_ID_BYTES : 512u * (1u + (sel >> 8) % 2u);
        segs[i].pad = 0;
    }
    if (type == DK_VBLK_T_GET_ID)
        nseg = 1;
    if (type == DK_VBLK_T_FLUSH)
        nseg = 0;
    r = &reqs[nreq];
    r->cookie = 0x1000u + nreq;
    rc = dk_vblk_submit(&B, type, type >= DK_VBLK_T_FLUSH ? 0u : (sel >> 9) % 80u, segs, nseg,
                        r->cookie, &why);
    /* FLUSH exists only when negotiated; it is refused before anything
     * else about the queue is looked at. */
    if (type == DK_VBLK_T_FLUSH && !(B.dev.features >> DK_VBLK_F_FLUSH & 1u)) {
        CHECK(rc == DK_E_UNSUPPORTED && B.q.avail_idx == avail_before);
        return;
    }
    if (faulted) {
        CHECK(rc == DK_E_FAULTED || rc == DK_E_RANGE);
        return;
    }
    if (rc != DK_OK) {
        /* Refused: nothing posted. */
        CHECK(B.q.avail_idx == avail_before);
        CHECK(rc == DK_E_QUEUE_FULL || rc == DK_E_RANGE);
        return;
    }
    CHECK(B.q.avail_idx == (uint16_t)(avail_before + 1u));
    r->head = rd16(avail_ring() + 4 + 2u * (avail_before & (qsize - 1u)));
    CHECK(r->head < qsize);
    if (type != DK_VBLK_T_OUT)
        for (i = 0; i < nseg; i++)
            writable += segs[i].len;
    r->writable = writable;
    r->state = 1;
    nreq++;
}

/* What dk_vblk_complete documents for a used length and a status byte. */
static int blk_status(uint32_t len, uint8_t st)
{
    if (len == 0 || st == 0xff)
        return DK_E_DEVICE;
    return st == 0 ? DK_OK : st == 2 ? DK_E_UNSUPPORTED : DK_E_DEVICE;
}

/* The driver's documented harvest checks, applied to the ring as it is. */
static void op_harvest(struct src *s)
{
    uint32_t sel = take(s, 1);
    unsigned max = 1u + sel % 8u, n = 99, k = 0, i;
    int cls = (sel & 8u) != 0; /* dk_vblk_harvest: status read at harvest */
    int exp_st[8];
    uint8_t *u = used_ring();
    uint16_t idx = rd16(u + 2), delta = (uint16_t)(idx - last_used), pos = last_used;
    int exp_rc = DK_OK, rc;
    enum dk_reason exp_why = DK_R_NONE, why;
    struct dk_vdone out[8];
    struct req *hit[8];

    if (delta > qsize || delta > inflight()) {
        exp_rc = DK_E_DEVICE;
        exp_why = DK_R_VIRTIO_USED_IDX;
    } else {
        /* Walk as the driver does; a model entry is "in flight" until the
         * element that completes it is consumed. */
        uint8_t taken[MAXREQ] = {0};
        while (k < max && pos != idx) {
            const uint8_t *e = u + 4 + 8u * (pos & (qsize - 1u));
            uint32_t id = rd32(e), len = rd32(e + 4);
            struct req *r = NULL;
            for (i = 0; i < nreq; i++)
                if (reqs[i].state == 1 && !taken[i] && reqs[i].head == id)
                    r = &reqs[i];
            if (id >= qsize) {
                exp_why = DK_R_VIRTIO_USED_ID;
            } else if (r == NULL) {
                exp_why = DK_R_VIRTIO_USED_STALE;
            } else if (len > r->writable) {
                exp_why = DK_R_VIRTIO_USED_LEN;
            }
            if (exp_why != DK_R_NONE) {
                exp_rc = DK_E_DEVICE;
                break;
            }
            taken[r - reqs] = 1;
            exp_st[k] = blk_status(len, B.status[id]);
            hit[k++] = r;
            pos++;
        }
    }
    rc = cls ? dk_vblk_harvest(&B, out, max, &n, &why) : dk_virtq_harvest(&B.q, out, max, &n, &why);
    CHECK(rc == exp_rc && why == exp_why && n == k);
    for (i = 0; i < n; i++) {
        CHECK(out[i].cookie == hit[i]->cookie && out[i].head == hit[i]->head);
        CHECK(out[i].status == (cls ? exp_st[i] : DK_OK));
        CHECK(out[i].len == rd32(u + 4 + 8u * ((last_used + i) & (qsize - 1u)) + 4));
        CHECK(out[i].len <= hit[i]->writable);
        hit[i]->state = 2;
    }
    last_used = (uint16_t)(last_used + n);
    if (n > 0) {
        memcpy(last_done, out, n * sizeof(out[0]));
        nlast = n;
    }
    if (rc == DK_OK && B.q.event_idx)
        CHECK(rd16(avail_ring() + 4 + 2u * qsize) == last_used); /* used_event */
    if (rc != DK_OK) {
        faulted = 1;
        expect_faulted();
    }
}

static void op_kick(void)
{
    uint8_t *u = used_ring();
    uint16_t now = B.q.avail_idx, ev = rd16(u + 4 + 8u * qsize);
    uint32_t before = D.notifies;
    int notified = 7, expect;

    if (now == kicked)
        expect = 0;
    else if (B.q.event_idx)
        expect = (uint16_t)(now - ev - 1u) < (uint16_t)(now - kicked);
    else
        expect = (rd16(u) & DK_VRING_USED_F_NO_NOTIFY) == 0;
    CHECK(dk_virtq_kick(&B.q, &notified) == DK_OK);
    CHECK(notified == expect && D.notifies == before + (uint32_t)expect);
    if (expect)
        CHECK(D.notify_val == 0);
    kicked = now;
}

/* A well-behaved completion of the oldest request the device still holds,
 * so the input can reach deep, valid states as easily as broken ones. */
static void op_complete_good(struct src *s)
{
    uint32_t v = take(s, 1);
    uint8_t *u = used_ring();
    uint16_t idx = rd16(u + 2);
    unsigned i;

    for (i = 0; i < nreq; i++) {
        struct req *r = &reqs[i];
        if (r->state != 1 || r->dev_done)
            continue;
        r->dev_done = 1;
        wr32(u + 4 + 8u * (idx & (qsize - 1u)), r->head);
        wr32(u + 4 + 8u * (idx & (qsize - 1u)) + 4,
             (v & 0x80u) ? r->writable : v % (r->writable + 1u));
        B.status[r->head] = (uint8_t)(v & 3u); /* device-writable status byte */
        wr16(u + 2, (uint16_t)(idx + 1u));
        return;
    }
}

static void op_config_read(struct src *s)
{
    uint32_t sel = take(s, 1), off = (sel >> 2) & 0x3fu, val = 0;
    static const unsigned widths[4] = {1, 2, 4, 8};
    unsigned width = widths[sel & 3u];
    uint32_t tries_before = D.cfg_reads;
    enum dk_reason why;
    uint64_t v64 = 0;
    int rc;

    if (width == 8)
        rc = dk_virtio_config_read64(&B.dev, off, &v64, &why);
    else
        rc = dk_virtio_config_read(&B.dev, off, width, &val, &why);
    if ((off & (width < 8 ? width - 1u : 3u)) != 0) {
        CHECK(rc == DK_E_INVAL && D.cfg_reads == tries_before);
        return;
    }
    CHECK(rc == DK_OK || (rc == DK_E_DEVICE && why == DK_R_VIRTIO_CONFIG_UNSTABLE));
    /* BOUND: the retry loop is bounded (legacy reads each field twice). */
    CHECK(D.cfg_reads - tries_before <= 2u * DK_VIRTIO_CONFIG_RETRIES * (width == 8 ? 2u : 1u));
    if (rc == DK_OK && D.version == 2 && off + width <= CFGSZ) {
        /* The generation moved whenever the image did: one snapshot. */
        int ok = 0;
        unsigned img, i;
        for (img = 0; img < 2; img++) {
            uint64_t want = 0;
            for (i = 0; i < width; i++)
                want |= (uint64_t)D.cfg[img][off + i] << (8 * i);
            ok |= want == (width == 8 ? v64 : val);
        }
        CHECK(ok);
    }
}

static void op_irq(struct src *s)
{
    uint32_t bits = 99, isr = take(s, 1);

    D.isr = isr;
    D.acked = 0xdead;
    CHECK(dk_virtio_irq(&B.dev, &bits) == DK_OK);
    /* Only the defined bits are reported and acknowledged, and only once. */
    CHECK(bits == (isr & (DK_VIRTIO_INT_VRING | DK_VIRTIO_INT_CONFIG)));
    CHECK(D.acked == (bits != 0 ? bits : 0xdeadu));
}

static void op_complete(struct src *s)
{
    const struct dk_vdone *d;
    uint8_t st;
    int rc, exp;

    if (nlast == 0)
        return;
    d = &last_done[take(s, 1) % nlast];
    st = B.status[d->head];
    exp = blk_status(d->len, st);
    rc = dk_vblk_complete(&B, d);
    CHECK(rc == exp);
}

/* Status: NEEDS_RESET shows through dk_virtio_status; reclaim refuses until
 * Status reads 0, then returns every in-flight cookie exactly once. */
static uint32_t reclaim_seen[MAXREQ];

static void on_reclaim(void *arg, uint64_t cookie)
{
    unsigned i;

    (void)arg;
    for (i = 0; i < nreq; i++)
        if (reqs[i].cookie == cookie) {
            CHECK(reqs[i].state == 1 && reclaim_seen[i] == 0);
            reclaim_seen[i] = 1;
            reqs[i].state = 3;
            return;
        }
    abort();
}

static void op_reset(struct src *s)
{
    uint32_t sel = take(s, 1), count = 99;
    unsigned want = inflight(), i;
    enum dk_reason why;
    int rc;

    if (sel & 1u) {
        D.status |= DK_VIRTIO_S_NEEDS_RESET;
        CHECK(dk_virtio_status(&B.dev) & DK_VIRTIO_S_NEEDS_RESET);
    }
    CHECK(dk_virtq_reclaim(&B.q, on_reclaim, NULL, &count) == DK_E_STATE);
    CHECK(count == 99);
    D.stuck = (sel & 6u) == 6u ? DK_VIRTIO_S_NEEDS_RESET : 0u;
    rc = dk_virtio_reset(&B.dev, &why);
    if (D.stuck) {
        CHECK(rc == DK_E_DEVICE && why == DK_R_VIRTIO_RESET_TIMEOUT);
        CHECK(dk_virtq_reclaim(&B.q, on_reclaim, NULL, &count) == DK_E_STATE);
        D.stuck = 0;
        CHECK(dk_virtio_reset(&B.dev, &why) == DK_OK);
    } else {
        CHECK(rc == DK_OK);
    }
    memset(reclaim_seen, 0, sizeof(reclaim_seen));
    CHECK(dk_virtq_reclaim(&B.q, on_reclaim, NULL, &count) == DK_OK);
    CHECK(count == want);
    for (i = 0; i < nreq; i++)
        CHECK(reqs[i].state != 1);
    up = 0;
    if (bring_up()) {
        /* A recovery releases everything the previous bring-up held. */
        CHECK(dk_virtq_inflight(&B.q) == 0 && live_vmos() == live0);
    }
}

static void op_scribble(struct src *s)
{
    uint32_t which = take(s, 1), off = take(s, 2), v = take(s, 4);
    uint8_t *u = used_ring();

    switch (which % 7u) {
    case 0: /* one used element */
        wr32(u + 4 + 8u * (off & (qsize - 1u)), v);
        wr32(u + 8 + 8u * (off & (qsize - 1u)), take(s, 4));
        break;
    case 1: /* used->idx, near the driver's position or anywhere */
        wr16(u + 2, (v & 0x10000u) ? (uint16_t)v : (uint16_t)(last_used + (int8_t)v));
        break;
    case 2: /* used->flags */
        wr16(u, (uint16_t)v);
        break;
    case 3: /* avail_event */
        wr16(u + 4 + 8u * qsize, (v & 0x10000u) ? (uint16_t)v : (uint16_t)(kicked + (int8_t)v));
        break;
    case 4: { /* any byte of the descriptor table */
        uint64_t dsz = 16u * (uint64_t)qsize;
        uint8_t *d = dk_host_dma_ptr(&H, D.version == 2 ? D.desc : (uint64_t)D.pfn * 4096u, dsz);
        CHECK(d != NULL);
        d[off % dsz] = (uint8_t)v;
        break;
    }
    case 5: /* any byte of the avail ring, used_event included */
        avail_ring()[off % (6u + 2u * qsize)] = (uint8_t)v;
        break;
    default: /* config bytes, either image */
        D.cfg[(v >> 8) & 1u][off % CFGSZ] = (uint8_t)v;
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t sizes[4] = {1, 2, 8, 16};
    struct src s = {data, size};
    uint32_t head = take(&s, 1);
    struct dk_vmo_info info;
    uint64_t vmo;
    void *va;
    unsigned steps = 0;

    memset(&D, 0, sizeof(D));
    memset(&B, 0, sizeof(B));
    memset(reqs, 0, sizeof(reqs));
    nreq = inits = 0;
    up = 0;
    D.version = (head & 1u) ? 2u : 1u;
    D.offered = (D.version == 2 ? 1ull << DK_VIRTIO_F_VERSION_1 : 0) |
                ((head & 2u) ? 1ull << DK_VIRTIO_F_INDIRECT_DESC : 0) |
                ((head & 4u) ? 1ull << DK_VIRTIO_F_EVENT_IDX : 0) |
                ((head & 0x20u) ? 1ull << DK_VBLK_F_FLUSH : 0);
    qsize = sizes[(head >> 3) & 3u];
    /* Both images: capacity 64 sectors (the other 65), everything else 0. */
    D.cfg[0][0] = 64;
    D.cfg[1][0] = 65;
    CHECK(dk_host_init(&H, arena, sizeof(arena), 1000) == DK_OK);
    be = dk_host_backend(&H);
    CHECK(dk_host_window_add(&H, CAP, 0x10001000u, DK_VMMIO_WINDOW, IRQ, &fdev_ops, &D) == DK_OK);
    CHECK(dk_host_grant(&H, CAP) == DK_OK);
    CHECK(be->ops->vmo_create(be->ctx, MEMSZ, &vmo) == DK_OK);
    CHECK(be->ops->vmo_query(be->ctx, vmo, &info) == DK_OK);
    CHECK(be->ops->vmo_map(be->ctx, vmo, 0, MEMSZ, DK_MAP_READ | DK_MAP_WRITE, &va) == DK_OK);
    mem = va;
    mem_dma = info.dma_addr;
    for (size_t i = 0; i < MEMSZ; i++)
        mem[i] = shadow[i] = (uint8_t)(i * 131u + 7u);
    if (!bring_up())
        abort(); /* the initial bring-up has no hostile input yet */
    CHECK(B.dev.version == D.version && B.q.size == qsize);
    live0 = live_vmos();
    while (s.n > 0 && up && steps++ < 256) {
        uint32_t op = take(&s, 1);
        switch (op % 12u) {
        case 0:
        case 1:
            op_post(&s);
            break;
        case 2:
            if (!faulted)
                op_kick();
            break;
        case 3:
            if (!faulted)
                op_harvest(&s);
            break;
        case 4:
            op_complete_good(&s);
            break;
        case 5:
            op_config_read(&s);
            break;
        case 6: { /* config tearing from the next config read on */
            uint32_t mode = take(&s, 1);
            D.tear_all = (mode & 0x0fu) == 0x0fu;
            D.tear = (uint64_t)take(&s, 4) | (uint64_t)take(&s, 4) << 32;
            D.gen_only = (mode & 0x10u) ? (uint64_t)take(&s, 4) : 0u;
            D.cfg_reads = 0;
            break;
        }
        case 7:
            op_irq(&s);
            break;
        case 8:
            op_complete(&s);
            break;
        case 9:
            op_reset(&s);
            break;
        default:
            op_scribble(&s);
            break;
        }
        /* Corruption persists, so a check every few steps still catches it
         * (and every step would dominate the run time). */
        if ((steps & 7u) == 0 || op % 12u == 9)
            check_memory();
        if (up && !faulted)
            CHECK(dk_virtq_inflight(&B.q) == inflight());
        if (faulted && up)
            expect_faulted();
    }
    check_memory();
    dk_host_fini(&H);
    return 0;
}

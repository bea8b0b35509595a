/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the whole submit path over the host backend, with client
 * state drawn from the input. The input's first part sets up clients, quotas,
 * buffers (sizes, rights, seals, pins), fences (values, failures, grants),
 * queue fill and device state; the rest is a frame, either raw bytes for
 * the parser or a recipe that references real handles (so the fuzzer gets
 * past handle checks). Invariants:
 *  - a refused submit leaves every object byte-identical (all or nothing);
 *  - an accepted one, once resolved, released and retired, returns the
 *    ledger and every pin to where they were, and the ledger stays balanced.
 */
#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#include <stdlib.h>
#include <string.h>

#define NCLI 4
#define NBUF 16
#define NFEN 16
#define QCAP 8

#include "fuzz_input.h"

/* Every object the submit path can touch, in one block so one memcmp
 * compares all of it. */
static struct world {
    struct dk_host host;
    struct dk_ledger ledger;
    struct dk_client clients[NCLI];
    struct dk_queue queue;
    struct dk_queue_slot qslots[QCAP];
    struct dk_fence_table fences;
    struct dk_fence fslots[NFEN];
    struct dk_buf_table bufs;
    struct dk_buf bslots[NBUF];
    struct dk_device device;
} W, before;

static uint8_t arena[256u << 10];
static uint8_t arena_before[sizeof(arena)];
static uint16_t slot[NCLI];
static uint32_t bufh[NBUF], fenh[NFEN];
static unsigned nbuf, nfen;
static struct dk_frame frame;
static struct dk_submission rec;

static void setup(struct src *s)
{
    struct dk_limits global = {{200u << 10, NBUF, QCAP, NFEN, 64}};
    struct dk_limits each;
    struct dk_fence_cfg fc;
    struct dk_buf_cfg bc;
    struct dk_queue_cfg qc;
    unsigned i, n;
    uint64_t t;

    memset(&W, 0, sizeof(W));
    nbuf = nfen = 0;
    if (dk_host_init(&W.host, arena, sizeof(arena), 1000) != DK_OK ||
        dk_ledger_init(&W.ledger, W.clients, NCLI, &global, NULL, NULL) != DK_OK)
        abort();
    for (i = 0; i < NCLI; i++) {
        each.max[DK_RES_BYTES] = (take(s, 1) + 1u) << 10;
        each.max[DK_RES_BUFFERS] = 1u + take(s, 1) % NBUF;
        each.max[DK_RES_INFLIGHT] = take(s, 1) % (QCAP + 1);
        each.max[DK_RES_FENCES] = 1u + take(s, 1) % NFEN;
        each.max[DK_RES_WAITERS] = 4;
        if (dk_ledger_client_add(&W.ledger, 100u + i, &each, &slot[i], NULL) != DK_OK)
            abort();
    }
    memset(&fc, 0, sizeof(fc));
    fc.nslots = NFEN;
    fc.max_jump = 8u + take(s, 1);
    fc.max_wait_ns = 1000000;
    fc.waiters_per_fence = 4;
    fc.ledger = &W.ledger;
    fc.backend = dk_host_backend(&W.host);
    memset(&bc, 0, sizeof(bc));
    bc.nslots = NBUF;
    bc.max_size = 64u << 10;
    bc.ledger = &W.ledger;
    bc.backend = dk_host_backend(&W.host);
    memset(&qc, 0, sizeof(qc));
    qc.capacity = QCAP;
    qc.inflight_cap = 1u + take(s, 1) % QCAP;
    for (i = 0; i < DK_QOS_COUNT; i++)
        qc.qos_depth[i] = take(s, 1) % (qc.inflight_cap + 1u);
    qc.ledger = &W.ledger;
    if (dk_fence_table_init(&W.fences, &fc, W.fslots, sizeof(W.fslots), NULL) != DK_OK ||
        dk_buf_table_init(&W.bufs, &bc, W.bslots, sizeof(W.bslots), NULL) != DK_OK ||
        dk_queue_init(&W.queue, &qc, W.qslots, sizeof(W.qslots), NULL) != DK_OK ||
        dk_device_init(&W.device, 1, NULL) != DK_OK)
        abort();
    (void)dk_device_online(&W.device, NULL);
    n = take(s, 1);
    if (n & 1u)
        (void)dk_device_fault(&W.device, DK_R_NONE, NULL);
    if (n & 2u)
        (void)dk_device_reset_begin(&W.device, NULL);
    /* Buffers: some refusals here are expected (quotas); only successes count. */
    n = take(s, 1) % NBUF;
    for (i = 0; i < n; i++) {
        uint16_t c = slot[take(s, 1) % NCLI];
        uint32_t h;
        if (dk_buf_create(&W.bufs, c, 1u + take(s, 2) % (8u << 10), 1u + take(s, 1) % 7u, &h,
                          NULL) != DK_OK)
            continue;
        bufh[nbuf++] = h;
        if (take(s, 1) & 1u)
            (void)dk_buf_seal(&W.bufs, c, h, NULL);
        if (take(s, 1) & 1u)
            (void)dk_buf_pin(&W.bufs, c, h, NULL);
        if (take(s, 1) % 8u == 0)
            (void)dk_buf_destroy(&W.bufs, c, h, NULL);
    }
    n = take(s, 1) % NFEN;
    for (i = 0; i < n; i++) {
        uint16_t c = slot[take(s, 1) % NCLI];
        uint32_t h;
        unsigned op;
        if (dk_fence_create(&W.fences, c, &h, NULL) != DK_OK)
            continue;
        fenh[nfen++] = h;
        op = take(s, 1);
        if (op & 1u)
            (void)dk_fence_signal(&W.fences, c, h, 1u + take(s, 1), NULL);
        if (op & 2u)
            (void)dk_fence_grant(&W.fences, c, h, slot[take(s, 1) % NCLI], 1u + op % 3u, NULL);
        if ((op & 0x1cu) == 0x1cu)
            (void)dk_fence_fail(&W.fences, c, h, 300, DK_E_DEVICE, NULL);
    }
    n = take(s, 1) % QCAP;
    for (i = 0; i < n; i++)
        (void)dk_queue_reserve(&W.queue, slot[take(s, 1) % NCLI], take(s, 1) % 4u, 0, &t, NULL);
}

static uint32_t pick(struct src *s, const uint32_t *h, unsigned n)
{
    unsigned v = take(s, 1);
    /* Mostly real handles; sometimes a forged one. */
    if (n == 0 || v >= 240u)
        return take(s, 4);
    return h[v % n];
}

static int make_frame(struct src *s)
{
    enum dk_reason why;
    unsigned i, nw, ns, nb, nc;

    if (take(s, 1) < 64u) /* raw bytes through the parser */
        return dk_wire_parse(&frame, s->p, s->n, &why);
    (void)dk_frame_init(&frame, take(s, 1) % 4u, 0);
    nw = take(s, 1) % 4u;
    ns = take(s, 1) % 4u;
    nb = take(s, 1) % 6u;
    nc = take(s, 1) % 3u;
    for (i = 0; i < nw; i++)
        (void)dk_frame_add_wait(&frame, pick(s, fenh, nfen), take(s, 2));
    for (i = 0; i < ns; i++)
        (void)dk_frame_add_signal(&frame, pick(s, fenh, nfen), take(s, 2));
    for (i = 0; i < nb; i++)
        (void)dk_frame_add_buf(&frame, pick(s, bufh, nbuf), 1u + take(s, 1) % 3u, take(s, 2),
                               1u + take(s, 2));
    for (i = 0; i < nc; i++)
        (void)dk_frame_add_cmd(&frame, 0x2000, s->p, s->n < 16 ? 0 : 16);
    /* Run the built frame through the wire, as a client's would. */
    {
        static uint8_t bytes[DK_WIRE_FRAME_MAX];
        size_t len;
        if (dk_wire_encode(&frame, bytes, sizeof(bytes), &len, &why) != DK_OK)
            return DK_E_MALFORMED; /* e.g. a duplicate signal: the parser would refuse it too */
        return dk_wire_parse(&frame, bytes, len, &why);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct src s = {data, size};
    struct dk_submit_ctx ctx;
    uint64_t used_before[DK_RES_COUNT], used_after[DK_RES_COUNT];
    enum dk_reason why;
    uint16_t client;
    unsigned i;
    int rc;

    setup(&s);
    client = slot[take(&s, 1) % NCLI];
    if (make_frame(&s) != DK_OK)
        return 0;
    ctx.queue = &W.queue;
    ctx.fences = &W.fences;
    ctx.bufs = &W.bufs;
    ctx.device = &W.device;
    before = W;
    memcpy(arena_before, arena, sizeof(arena));
    (void)dk_ledger_usage(&W.ledger, DK_LEDGER_GLOBAL, used_before);

    rc = dk_submit_frame(&ctx, client, &frame, 7, &rec, &why);
    if (rc != DK_OK) {
        if (why == DK_R_NONE || dk_reason_status(why) != rc)
            abort();
        if (memcmp(&before, &W, sizeof(W)) != 0 || memcmp(arena_before, arena, sizeof(arena)) != 0)
            abort(); /* a refusal changed something */
        return 0;
    }
    if (dk_ledger_check(&W.ledger) != DK_OK)
        abort();
    rc = dk_submit_ready(&ctx, &rec, NULL);
    if (rc == DK_E_INVAL || rc < 0 || rc >= DK_STATUS_COUNT)
        abort();
    if (dk_queue_resolve(&W.queue, rec.ticket, take(&s, 1) % DK_OUTCOME_COUNT, NULL) != DK_OK ||
        dk_submit_release(&ctx, &rec) != DK_OK ||
        dk_submit_retire(&ctx, &rec, DK_OUTCOME_DEVICE_ERROR) != DK_OK)
        abort();
    (void)dk_ledger_usage(&W.ledger, DK_LEDGER_GLOBAL, used_after);
    /* Pins are back where they were; a buffer destroyed while pinned may have
     * been reclaimed, which only lowers bytes and buffers. */
    for (i = 0; i < NBUF; i++)
        if (W.bslots[i].state == DK_BUF_LIVE && W.bslots[i].pins != before.bslots[i].pins)
            abort();
    if (used_after[DK_RES_INFLIGHT] != used_before[DK_RES_INFLIGHT] ||
        used_after[DK_RES_BYTES] > used_before[DK_RES_BYTES] ||
        dk_ledger_check(&W.ledger) != DK_OK)
        abort();
    return 0;
}

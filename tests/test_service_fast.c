/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device service's submit fast paths against the code they replaced
 * (svc_old.h keeps svc_decode.c as it was):
 *
 *   - dk_svc_decode's blk READ / WRITE loop, which resolves as it decodes,
 *     on seeded frames of every command the decode knows and of hostile
 *     ones (payload shapes, refs out of range, access bits, lengths,
 *     sectors at and past capacity, several faults in one frame so the
 *     first failing command counts), for blk devices of several limits and
 *     for the accelerator: same status, reason and count as the old decode,
 *     and the same commands as the old decode and resolve;
 *   - dk_svc_submit, which runs the submit's checks before the decode and
 *     decodes straight into the ticket's record: what an accepted frame
 *     leaves in the record is the old decode resolved with the submit's
 *     slices, a refused frame gets the old code's answer (the decode's
 *     refusal first, else the submit's) and, with the ticket window full,
 *     leaves the live record at the head untouched;
 *   - dk_svc_done_n, completions taken in runs of one ticket, against the
 *     old per-completion handler; dk_svc_blk_io against the old loop.
 */
#include "service_fixture.h"

#define DK_TEST_SEED 0xfa57dec0de5eed01ull
#include "seeded_fixture.h"

#include "svc_old.h"

static void put64(uint8_t *p, uint64_t v)
{
    sv_put32(p, (uint32_t)v);
    sv_put32(p + 4, (uint32_t)(v >> 32));
}

/* A buffer length: mostly whole sectors, else one way to be wrong. */
static uint64_t buf_len(uint32_t size_max)
{
    static const uint64_t odd[] = {0,
                                   1,
                                   20,
                                   511,
                                   513,
                                   1000,
                                   65536 + 512,
                                   1ull << 32,
                                   (1ull << 32) + 512,
                                   (1ull << 32) - 512,
                                   UINT64_MAX - 511};

    switch (pick(8)) {
    case 0:
        return odd[pick(DK_ARRAY_LEN(odd))];
    case 1:
        return size_max != 0 ? size_max + 512u * pick(2) : 4096;
    default:
        return 512u * (1u + pick(16));
    }
}

/* A frame of commands for a device of @cap sectors: mostly good READs and
 * WRITEs, with @bad in 8 of each command or buffer a fault of some kind. */
static void decode_frame(struct dk_frame *f, uint64_t cap, uint32_t size_max, unsigned bad)
{
    static const uint16_t ops[] = {DK_SVC_OP_BLK_READ,
                                   DK_SVC_OP_BLK_WRITE,
                                   DK_SVC_OP_BLK_GET_ID,
                                   DK_OP_NOP,
                                   DK_SVC_OP_COPY,
                                   DK_SVC_OP_FILL,
                                   DK_SVC_OP_CSUM,
                                   0x3003,
                                   0x2004,
                                   0x4001,
                                   0xf000};
    uint32_t nb = pick(6) == 0 ? DK_WIRE_BUFS_MAX - pick(4) : 1u + pick(8);
    uint32_t nc = pick(6) == 0 ? DK_WIRE_CMDS_MAX - pick(4) : pick(10);
    uint32_t i;

    cr_assert_eq(dk_frame_init(f, DK_QOS_NORMAL, 0), DK_OK);
    for (i = 0; i < nb; i++) {
        uint64_t len = pick(8) < bad ? buf_len(size_max) : 512u * (1u + pick(8));
        uint32_t access = pick(8) < bad ? pick(4) : DK_BUF_READ | DK_BUF_WRITE;

        cr_assert_eq(dk_frame_add_buf(f, 1, access, 512u * pick(8), len), DK_OK);
    }
    for (i = 0; i < nc; i++) {
        uint8_t p[24] = {0};
        uint16_t op = pick(2) ? DK_SVC_OP_BLK_READ : DK_SVC_OP_BLK_WRITE;
        uint32_t plen = 16, ref = pick(nb);
        uint64_t sector = cap > 64 ? pick(64) : 0;

        if (pick(8) < bad) {
            switch (pick(8)) {
            case 0:
                op = ops[pick(DK_ARRAY_LEN(ops))];
                plen = op == DK_SVC_OP_BLK_READ || op == DK_SVC_OP_BLK_WRITE ? 16 : 8;
                break;
            case 1:
                plen = (uint32_t[]){0, 8, 12, 20, 24}[pick(5)];
                break;
            case 2:
                ref = pick(3) ? nb + pick(3) : UINT32_MAX;
                break;
            case 3:
                sv_put32(p + 12, 1u << pick(32)); /* reserved word */
                break;
            case 4:
                sector =
                    (uint64_t[]){cap, cap - 1, cap + 1, cap - 8, UINT64_MAX, 1ull << 63}[pick(6)];
                break;
            default:
                op = ops[pick(DK_ARRAY_LEN(ops))];
                break;
            }
        }
        if (op == DK_SVC_OP_BLK_READ || op == DK_SVC_OP_BLK_WRITE) {
            put64(p, sector);
            if (pick(64) != 0)
                sv_put32(p + 8, ref);
        } else {
            sv_put32(p, ref);
            sv_put32(p + 4, pick(2) ? 0 : (uint32_t)rnd());
        }
        cr_assert_eq(dk_frame_add_cmd(f, op, p, plen), DK_OK);
    }
}

/* A service of the kind and limits the decode reads, nothing else set up. */
static struct dk_svc DS;
static struct dk_svc_cmd out_old[DK_WIRE_CMDS_MAX], out_new[DK_WIRE_CMDS_MAX];

/* The decode with slices to resolve with (random addresses, one per ref)
 * against the old decode followed by the old resolve, and without against
 * the old decode alone. */
static struct dk_slice sl_rand[DK_WIRE_BUFS_MAX];

static void decode_both(const struct dk_frame *f, int resolve, unsigned iter)
{
    enum dk_reason w_old = DK_R_OVER_CAP, w_new = DK_R_OVER_CAP;
    uint16_t n_old = 0xeeee, n_new = 0xeeee;
    const struct dk_slice *sl = resolve ? sl_rand : NULL;
    int rc_old, rc_new;

    memset(out_old, 0xcc, sizeof(out_old));
    memset(out_new, 0xcc, sizeof(out_new));
    rc_old = old_svc_decode(&DS, f, out_old, &n_old, &w_old);
    if (rc_old == DK_OK && resolve)
        old_svc_resolve(out_old, n_old, sl);
    rc_new = dk_svc_decode(&DS, f, out_new, &n_new, sl, &w_new);
    cr_assert_eq(rc_new, rc_old, "decode %u: status %d, old code %d", iter, rc_new, rc_old);
    cr_assert_eq(w_new, w_old, "decode %u: reason %s, old code %s", iter, dk_reason_str(w_new),
                 dk_reason_str(w_old));
    cr_assert_eq(n_new, n_old, "decode %u: %u commands, old code %u", iter, n_new, n_old);
    if (rc_new == DK_OK)
        cr_assert_eq(memcmp(out_new, out_old, sizeof(out_old)), 0, "decode %u: output differs",
                     iter);
    else if (!resolve)
        cr_assert_eq(memcmp(out_new, out_old, sizeof(out_old)), 0,
                     "decode %u: refused, but wrote other bytes", iter);
    saw(rc_new == DK_OK ? DK_R_NONE : w_new);
}

Test(service_fast, decode_matches_the_old_code)
{
    static const uint64_t caps[] = {0, 8, 256, 1ull << 40, UINT64_MAX};
    static const uint32_t size_maxes[] = {0, 512, 4096, 65536};
    static const enum dk_reason want[] = {
        DK_R_NONE,        DK_R_SVC_BUF_REF, DK_R_SVC_ACCESS,       DK_R_SVC_LENGTH,
        DK_R_SVC_PAYLOAD, DK_R_SVC_OPCODE,  DK_R_VIRTIO_BLK_RANGE,
    };
    unsigned iter, i;

    for (iter = 0; iter < 20000; iter++) {
        memset(&DS, 0, sizeof(DS));
        DS.cfg.kind = pick(8) == 0 ? DK_SVC_ACCEL : DK_SVC_BLK;
        DS.dev.blk.capacity = caps[pick(DK_ARRAY_LEN(caps))];
        DS.dev.blk.size_max = size_maxes[pick(DK_ARRAY_LEN(size_maxes))];
        if (DS.cfg.kind == DK_SVC_ACCEL)
            DS.dev.accel.max_len = pick(2) ? 4096 : 1u << 20;
        decode_frame(&F, DS.cfg.kind == DK_SVC_BLK ? DS.dev.blk.capacity : 0, DS.dev.blk.size_max,
                     iter % 4);
        for (i = 0; i < DK_WIRE_BUFS_MAX; i++)
            sl_rand[i].dma_addr = rnd();
        decode_both(&F, 1, iter);
        decode_both(&F, 0, iter);
    }
    saw_all(want, DK_ARRAY_LEN(want), "decode");
}

/* ---- the service: decode into the record ----------------------------------- */

#define CL 11u

static uint16_t cl_slot;
static uint32_t bufs[3], fence;

static void svc_setup(void)
{
    struct sv_opts o = {.qcap = 8};
    uint8_t *va;

    sv_setup(&o);
    cl_slot = sv_client(CL, 64);
    bufs[0] = sv_buf(cl_slot, 64u * 1024u, &va);
    bufs[1] = sv_buf(cl_slot, 4096, &va);
    cr_assert_eq(dk_buf_create(&BT, cl_slot, 8192, DK_BUF_READ, &bufs[2], NULL), DK_OK);
    fence = sv_fence(cl_slot);
}

/* A blk frame over the client's buffers: READs and WRITEs of one buffer
 * in a run, now and then a GET_ID, a NOP, a bad ref or a slice past the
 * buffer's end, a buffer the device may not write. */
static void svc_frame(unsigned bad, uint64_t wait_value)
{
    uint32_t n = pick(4) == 0 ? 24u + pick(9) : 1u + pick(6), i;

    sv_frame();
    for (i = 0; i < n; i++) {
        uint32_t b = pick(8) < bad ? pick(3) : 0;
        uint64_t off = 512u * pick(120), len = 512u * (1u + pick(8));
        unsigned access = pick(8) < bad ? 1u + pick(3) : DK_BUF_READ | DK_BUF_WRITE;

        if (pick(16) < bad)
            off = 64u * 1024u - 512u * pick(2);
        cr_assert_eq(dk_frame_add_buf(&F, bufs[b], access, off, len), DK_OK);
    }
    for (i = 0; i < n; i++) {
        uint16_t op = pick(2) ? DK_SVC_OP_BLK_READ : DK_SVC_OP_BLK_WRITE;
        uint32_t ref = i;

        if (pick(16) < bad)
            op = (uint16_t[]){DK_SVC_OP_BLK_GET_ID, DK_OP_NOP, DK_SVC_OP_COPY}[pick(3)];
        if (pick(16) < bad)
            ref = n + pick(2);
        if (op == DK_OP_NOP)
            cr_assert_eq(dk_frame_add_cmd(&F, op, NULL, 0), DK_OK);
        else
            sv_cmd_blk(op, pick(200) + (pick(16) < bad ? 60u : 0u), ref);
    }
    if (wait_value != 0)
        cr_assert_eq(dk_frame_add_wait(&F, fence, wait_value), DK_OK);
}

/* What the old code makes of S.frame: its decode, and for an accepted
 * frame the commands resolved with the frame's slices. */
static void expect_old(int rc, enum dk_reason why, uint64_t ticket, unsigned iter)
{
    static struct dk_svc_cmd want[DK_WIRE_CMDS_MAX];
    static struct dk_slice sl_want[DK_WIRE_BUFS_MAX];
    uint32_t i;
    enum dk_reason w_old = DK_R_NONE;
    uint16_t n_old = 0;
    int rc_old = old_svc_decode(&S, &S.frame, want, &n_old, &w_old);

    if (rc_old != DK_OK) {
        cr_assert_eq(rc, rc_old, "submit %u: status %d, the old decode refused %d", iter, rc,
                     rc_old);
        cr_assert_eq(why, w_old, "submit %u: reason %s, the old decode's %s", iter,
                     dk_reason_str(why), dk_reason_str(w_old));
        saw(why);
        return;
    }
    if (rc != DK_OK) {
        /* The decode passes, so the refusal is the submit's: it refuses
         * again from the same state, with the same answer. */
        static struct dk_slice sl[DK_WIRE_BUFS_MAX];
        struct dk_submission rec;
        enum dk_reason w_sub = DK_R_NONE;

        cr_assert_eq(dk_submit_parsed(&S.ctx, cl_slot, &S.frame, 0, &rec, sl, &w_sub), rc,
                     "submit %u: refused %d, the submit alone does not", iter, rc);
        cr_assert_eq(why, w_sub, "submit %u: reason %s, the submit's %s", iter, dk_reason_str(why),
                     dk_reason_str(w_sub));
        saw(why);
        return;
    }
    /* The slices as dk_buf_slice gives them, not as the submit left them. */
    for (i = 0; i < S.frame.n_bufs; i++) {
        const struct dk_wire_buf *b = &S.frame.bufs[i];

        cr_assert_eq(dk_buf_slice(&BT, cl_slot, b->handle, b->offset, b->length, b->access,
                                  &sl_want[i], NULL),
                     DK_OK);
    }
    old_svc_resolve(want, n_old, sl_want);
    cr_assert_eq(sv_req(ticket)->ncmds, n_old, "submit %u: %u commands, old code %u", iter,
                 sv_req(ticket)->ncmds, n_old);
    cr_assert_eq(memcmp(sv_req(ticket)->cmds, want, sizeof(want[0]) * n_old), 0,
                 "submit %u: the record's commands differ from the old code's", iter);
    saw(why);
}

/* Signal the fence up to @waiting and run everything in flight out. */
static void release_waits(uint64_t *signalled, uint64_t waiting)
{
    if (waiting > *signalled) {
        cr_assert_eq(dk_fence_signal(&FT, cl_slot, fence, waiting, NULL), DK_OK);
        *signalled = waiting;
    }
    cr_assert(sv_drain(100u * SV_DEADLINE));
}

Test(service_fast, submit_decodes_into_the_record_as_the_old_code, .init = svc_setup)
{
    static const enum dk_reason want[] = {
        DK_R_NONE,       DK_R_SVC_BUF_REF,      DK_R_SVC_ACCESS, DK_R_SVC_OPCODE,
        DK_R_SVC_LENGTH, DK_R_VIRTIO_BLK_RANGE, DK_R_SLICE_OOB,  DK_R_RING_FULL,
    };
    static struct dk_svc_req live;
    uint64_t signalled = 0, waiting = 0;
    unsigned iter;

    for (iter = 0; iter < 2000 && S.queue.head < SV_TICKETS - 8u; iter++) {
        uint64_t head = S.queue.head, t = 0;
        int full = S.queue.head - S.queue.tail > S.queue.mask;
        enum dk_reason why = DK_R_OVER_CAP;
        int rc;

        /* Some frames wait on a fence value not yet signalled: they hold
         * their tickets, and now and then the window fills up. */
        svc_frame(iter % 4, pick(3) == 0 ? ++waiting : 0);
        memcpy(&live, sv_req(head), sizeof(live));
        rc = sv_send(CL, &t, &why);
        expect_old(rc, why, t, iter);
        if (rc != DK_OK) {
            cr_assert_eq(S.queue.head, head);
            if (full)
                cr_assert_eq(memcmp(&live, sv_req(head), sizeof(live)), 0,
                             "submit %u: a refusal wrote into the live record", iter);
        }
        if (pick(12) == 0 || full)
            release_waits(&signalled, waiting);
    }
    release_waits(&signalled, waiting);
    saw_all(want, DK_ARRAY_LEN(want), "submit");
    sv_check_exactly_once();
    sv_check_released();
}

/* ---- completions: runs of one ticket -------------------------------------- */

/* Everything a completion can touch (the service, the tables its finish
 * releases into, the ledger, the device, the test's recorders), saved and
 * put back byte for byte, so the old code and the new start alike. */
struct world {
    struct dk_svc s;
    struct dk_buf_table bt;
    struct dk_buf bufs[SV_NBUFS];
    struct dk_fence_table ft;
    struct dk_fence fences[SV_NFENCES];
    struct dk_ledger l;
    struct dk_client clients[SV_NCLIENTS];
    struct dk_device dev;
    struct sv_ticket_rec t[SV_TICKETS];
    uint64_t order[SV_TICKETS];
    struct dk_audit_event audit[SV_AUDIT_MAX];
    uint32_t norder, naudit;
};

static struct world w_before, w_old, w_new;

static void world_take(struct world *w)
{
    memcpy(&w->s, &S, sizeof(S));
    memcpy(&w->bt, &BT, sizeof(BT));
    memcpy(w->bufs, sv_bufs, sizeof(sv_bufs));
    memcpy(&w->ft, &FT, sizeof(FT));
    memcpy(w->fences, sv_fences, sizeof(sv_fences));
    memcpy(&w->l, &L, sizeof(L));
    memcpy(w->clients, sv_clients, sizeof(sv_clients));
    memcpy(&w->dev, &DEV, sizeof(DEV));
    memcpy(w->t, sv_t, sizeof(sv_t));
    memcpy(w->order, sv_order, sizeof(sv_order));
    memcpy(w->audit, sv_audit_log, sizeof(sv_audit_log));
    w->norder = sv_norder;
    w->naudit = sv_naudit;
}

static void world_put(const struct world *w)
{
    memcpy(&S, &w->s, sizeof(S));
    memcpy(&BT, &w->bt, sizeof(BT));
    memcpy(sv_bufs, w->bufs, sizeof(sv_bufs));
    memcpy(&FT, &w->ft, sizeof(FT));
    memcpy(sv_fences, w->fences, sizeof(sv_fences));
    memcpy(&L, &w->l, sizeof(L));
    memcpy(sv_clients, w->clients, sizeof(sv_clients));
    memcpy(&DEV, &w->dev, sizeof(DEV));
    memcpy(sv_t, w->t, sizeof(sv_t));
    memcpy(sv_order, w->order, sizeof(sv_order));
    memcpy(sv_audit_log, w->audit, sizeof(sv_audit_log));
    sv_norder = w->norder;
    sv_naudit = w->naudit;
}

static void world_same(const struct world *a, const struct world *b, unsigned iter)
{
#define SAME(m, name)                                                                              \
    cr_assert_eq(memcmp(&a->m, &b->m, sizeof(a->m)), 0, "completions %u: %s differs", iter, name)
    SAME(s.stats, "service statistics");
    SAME(s.reqs, "service records");
    SAME(s.queue, "ticket queue");
    SAME(s.qslots, "ticket slots");
    SAME(s, "service");
    SAME(bt, "buffer table");
    SAME(bufs, "buffer slots");
    SAME(ft, "fence table");
    SAME(fences, "fence slots");
    SAME(l, "ledger");
    SAME(clients, "ledger clients");
    SAME(dev, "device");
    SAME(t, "trace of tickets");
    SAME(order, "resolution order");
    SAME(audit, "audit log");
    SAME(norder, "resolutions traced");
    SAME(naudit, "audit events");
#undef SAME
}

/* A frame of 1..20 READs and WRITEs of the client's first buffer, now and
 * then signalling the fence (refused once the fence failed: then not). */
static void done_submit(uint64_t *value)
{
    uint32_t n = 1u + pick(20), i;
    int sig = pick(2);

    for (;;) {
        sv_frame();
        for (i = 0; i < n; i++) {
            cr_assert_eq(dk_frame_add_buf(&F, bufs[0], DK_BUF_READ | DK_BUF_WRITE, 512u * i, 512),
                         DK_OK);
            sv_cmd_blk(pick(2) ? DK_SVC_OP_BLK_READ : DK_SVC_OP_BLK_WRITE, pick(200), i);
        }
        if (sig)
            cr_assert_eq(dk_frame_add_signal(&F, fence, *value + 1), DK_OK);
        if (sv_send(CL, NULL, NULL) == DK_OK)
            break;
        cr_assert(sig, "a plain frame was refused");
        sig = 0;
    }
    *value += sig;
}

/* The first command of ticket @t's record the device has not answered
 * (any for a ticket not in flight). */
static uint32_t next_undone(uint64_t t)
{
    const struct dk_svc_req *r = sv_req(t);
    uint32_t i = 0;

    if (r->sub.ticket != t || r->state != DK_SVC_RUNNING)
        return pick(4);
    while (i < r->posted && (r->done >> i & 1u))
        i++;
    return i;
}

/* Harvested completions as a device could hand them over: mostly each
 * ticket's commands in order, status OK; else out of order, twice, past
 * what was posted, for a ticket long gone or never issued, failed. */
static unsigned done_batch(struct dk_vdone *d, unsigned max)
{
    uint64_t tail = S.queue.tail, span = S.queue.head - tail;
    unsigned n = 1u + pick(max), k;
    uint64_t t = tail + pick((uint32_t)span);
    uint32_t i = next_undone(t);

    for (k = 0; k < n; k++) {
        if (pick(8) == 0) {
            /* another ticket: mostly one in flight, else any */
            t = pick(4) ? tail + pick((uint32_t)span) : tail - 3u + pick((uint32_t)span + 6u);
            i = next_undone(t);
        }
        d[k] = (struct dk_vdone){.cookie = t << 6 | (pick(24) == 0 ? pick(64) : i),
                                 .len = 512,
                                 .result = (uint32_t)rnd(),
                                 .status = pick(12) == 0 ? DK_E_DEVICE : DK_OK};
        if (pick(16) != 0)
            i++;
    }
    return n;
}

Test(service_fast, completions_match_the_old_code, .init = svc_setup)
{
    static struct dk_vdone d[48];
    uint64_t value = 0;
    unsigned iter, k, n;

    for (iter = 0; iter < 400 && S.queue.head < SV_TICKETS - 16u; iter++) {
        while (dk_svc_inflight(&S) < 1u + pick(6))
            done_submit(&value);
        n = done_batch(d, DK_ARRAY_LEN(d));
        world_take(&w_before);
        for (k = 0; k < n; k++)
            old_svc_done(&S, &d[k]);
        world_take(&w_old);
        world_put(&w_before);
        dk_svc_done_n(&S, d, n);
        world_take(&w_new);
        world_same(&w_old, &w_new, iter);
        if (pick(16) == 0)
            cr_assert(sv_drain(100u * SV_DEADLINE));
    }
    cr_assert(sv_drain(100u * SV_DEADLINE));
    cr_expect_gt(S.stats.stale, 0, "no stale completion was tried");
    cr_expect_gt(S.stats.fences_failed, 0, "no failed completion reached a fence");
    sv_check_exactly_once();
    sv_check_released();
}

/* ---- the virtio-blk requests of a record ----------------------------------- */

Test(service_fast, blk_requests_match_the_old_code)
{
    static struct dk_svc_req r;
    static struct dk_vblk_io io_old[DK_WIRE_CMDS_MAX], io_new[DK_WIRE_CMDS_MAX];
    static const uint16_t ops[] = {DK_SVC_OP_BLK_READ, DK_SVC_OP_BLK_WRITE, DK_SVC_OP_BLK_GET_ID,
                                   DK_SVC_OP_COPY, 0};
    unsigned iter, i;

    for (iter = 0; iter < 5000; iter++) {
        memset(&r, 0, sizeof(r));
        r.sub.ticket = rnd() >> pick(64);
        r.ncmds = (uint16_t)pick(DK_WIRE_CMDS_MAX + 1u);
        r.posted = (uint16_t)pick(r.ncmds + 1u);
        for (i = 0; i < DK_WIRE_CMDS_MAX; i++) {
            struct dk_svc_cmd *c = &r.cmds[i];

            c->op = pick(4) ? ops[pick(2)] : ops[pick(DK_ARRAY_LEN(ops))];
            c->src = rnd();
            c->dst = rnd();
            c->sector = rnd();
            c->src_len = (uint32_t)rnd();
            c->dst_len = (uint32_t)rnd();
        }
        memset(io_old, 0xa5, sizeof(io_old));
        memset(io_new, 0xa5, sizeof(io_new));
        old_svc_blk_io(&r, io_old);
        dk_svc_blk_io(&r, io_new);
        cr_assert_eq(memcmp(io_new, io_old, sizeof(io_old)), 0, "requests %u differ", iter);
    }
}

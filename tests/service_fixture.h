/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by test_service.c, test_service_fault.c and test_campaign.c: a
 * device service over one simulated virtio device (blk or the accelerator,
 * either register layout) on the host backend, with its ledger, fence table,
 * buffer table and device state machine, and recorders that let a test prove
 * what the service did from the outside:
 *
 *   - the trace hook records every accepted ticket (SUBMIT) and every
 *     resolution (RESOLVE) with its outcome, so "every accepted submission
 *     resolves exactly once" is a count per ticket, not a belief;
 *   - the audit hook (service, queue and device) records events in order,
 *     so the escalation ladder's steps can be checked in sequence;
 *   - sv_wait_* pump the service from the backend's wait, as a real caller
 *     blocked on a fence would.
 *
 * Everything runs on the host's virtual clock; nothing reads the wall clock.
 */
#ifndef DK_TEST_SERVICE_FIXTURE_H
#define DK_TEST_SERVICE_FIXTURE_H

#include <criterion/criterion.h>

#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/host_sim.h>
#include <driverkit/service.h>
#include <driverkit/waitset.h>

#define SV_T0 1000u
#define SV_ARENA (4u << 20)
#define SV_DISK (128u * 1024u) /* 256 sectors */
#define SV_CAP 0x5356u
#define SV_PHYS 0x0a000000u
#define SV_IRQ 5u
#define SV_NCLIENTS 8u
#define SV_NFENCES 32u
#define SV_NBUFS 32u
#define SV_TICKETS 1024u /* highest ticket a test may reach */
#define SV_AUDIT_MAX 512u
#define SV_DEADLINE 1000000u /* per-submission deadline: 1 ms */
#define SV_LAT 2000u         /* default device latency: 2 us */

/* What sv_setup builds. Zeroed fields take the defaults noted. */
struct sv_opts {
    unsigned kind;            /* DK_SVC_BLK (default) or DK_SVC_ACCEL */
    uint32_t version;         /* 2 (default) or 1 */
    uint16_t vq_size;         /* default 64 */
    uint16_t num_max;         /* device QueueNumMax; default 256 */
    uint32_t qcap;            /* ticket queue capacity; default 32 */
    uint32_t inflight_cap;    /* default: qcap */
    uint64_t latency, jitter; /* device timing; latency default SV_LAT */
    uint64_t features;        /* sim extra_features */
    uint64_t deadline;        /* default SV_DEADLINE */
    uint64_t seed;
};

static struct dk_host H;
static _Alignas(4096) uint8_t sv_arena[SV_ARENA];
static uint8_t sv_disk[SV_DISK];
static struct dk_sim_dev SIM;
static struct dk_svc S;
static struct dk_ledger L;
static struct dk_client sv_clients[SV_NCLIENTS];
static struct dk_fence_table FT;
static struct dk_fence sv_fences[SV_NFENCES];
static struct dk_buf_table BT;
static struct dk_buf sv_bufs[SV_NBUFS];
static struct dk_device DEV;
static struct dk_frame F;
static uint8_t sv_wire[DK_WIRE_FRAME_MAX];
static struct sv_opts sv_o;
/* Prefix of invariant failure messages; the campaign writes the scenario's
 * seed here so any failure can be replayed. */
static char sv_ctx[96];

/* ---- recorders ------------------------------------------------------------ */

struct sv_ticket_rec {
    uint32_t client;  /* transport id, from SUBMIT */
    uint8_t accepted; /* SUBMIT seen */
    uint8_t resolves; /* RESOLVE events seen */
    uint8_t outcome;  /* outcome of the first RESOLVE */
    uint8_t pad;
};

static struct sv_ticket_rec sv_t[SV_TICKETS];
static uint64_t sv_order[SV_TICKETS]; /* tickets in resolution order */
static uint32_t sv_norder;
static uint32_t sv_rejects, sv_kills_traced, sv_resets_traced;
static struct dk_audit_event sv_audit_log[SV_AUDIT_MAX];
static uint32_t sv_naudit;
/* Optional hook run from inside the audit callback (after recording). */
static void (*sv_on_audit)(const struct dk_audit_event *ev);

static inline void sv_trace_fn(void *arg, unsigned kind, uint64_t now, uint64_t a, uint64_t b,
                               uint64_t c)
{
    (void)arg;
    (void)now;
    switch (kind) {
    case DK_TRACE_SUBMIT:
        cr_assert(a < SV_TICKETS, "%sticket %llu past the recorder", sv_ctx, (unsigned long long)a);
        cr_assert(!sv_t[a].accepted, "%sticket %llu issued twice", sv_ctx, (unsigned long long)a);
        sv_t[a].accepted = 1;
        sv_t[a].client = (uint32_t)b;
        break;
    case DK_TRACE_RESOLVE:
        cr_assert(a < SV_TICKETS, "%sticket %llu past the recorder", sv_ctx, (unsigned long long)a);
        cr_assert(sv_t[a].accepted, "%sticket %llu resolved but never accepted", sv_ctx,
                  (unsigned long long)a);
        cr_assert(sv_t[a].client == (uint32_t)b, "%sticket %llu resolved for client %u, not %u",
                  sv_ctx, (unsigned long long)a, (unsigned)b, sv_t[a].client);
        if (sv_t[a].resolves++ == 0)
            sv_t[a].outcome = (uint8_t)c;
        sv_order[sv_norder++ % SV_TICKETS] = a;
        break;
    case DK_TRACE_REJECT:
        sv_rejects++;
        break;
    case DK_TRACE_KILL:
        sv_kills_traced++;
        break;
    case DK_TRACE_RESET:
        sv_resets_traced++;
        break;
    default:
        break;
    }
}

static inline void sv_audit_fn(void *arg, const struct dk_audit_event *ev)
{
    (void)arg;
    if (sv_naudit < SV_AUDIT_MAX)
        sv_audit_log[sv_naudit++] = *ev;
    if (sv_on_audit != NULL)
        sv_on_audit(ev);
}

/* Index of the first audit event of @kind at or after @from (optionally for
 * @object, ~0 for any), or -1. */
static inline int sv_audit_find(uint32_t from, uint32_t kind, uint64_t object)
{
    uint32_t i;

    for (i = from; i < sv_naudit; i++)
        if (sv_audit_log[i].kind == kind && (object == ~0ull || sv_audit_log[i].object == object))
            return (int)i;
    return -1;
}

static inline uint32_t sv_audit_count(uint32_t kind)
{
    uint32_t i, n = 0;

    for (i = 0; i < sv_naudit; i++)
        n += sv_audit_log[i].kind == kind;
    return n;
}

static inline void sv_watch_reset(void);

/* ---- setup ------------------------------------------------------------------ */

static inline int sv_try_setup(const struct sv_opts *o)
{
    struct dk_limits g = {{64u << 20, 256, 4096, 256, 1024}};
    struct dk_audit au = {sv_audit_fn, NULL};
    struct dk_sim_cfg sc;
    struct dk_fence_cfg fc;
    struct dk_buf_cfg bc;
    struct dk_svc_cfg cfg;
    int rc;

    sv_o = *o;
    if (sv_o.kind == 0)
        sv_o.kind = DK_SVC_BLK;
    if (sv_o.version == 0)
        sv_o.version = 2;
    if (sv_o.vq_size == 0)
        sv_o.vq_size = 64;
    if (sv_o.qcap == 0)
        sv_o.qcap = 32;
    if (sv_o.latency == 0)
        sv_o.latency = SV_LAT;
    if (sv_o.deadline == 0)
        sv_o.deadline = SV_DEADLINE;
    memset(sv_t, 0, sizeof(sv_t));
    sv_norder = sv_rejects = sv_kills_traced = sv_resets_traced = 0;
    sv_naudit = 0;
    sv_on_audit = NULL;
    sv_watch_reset();

    cr_assert_eq(dk_host_init(&H, sv_arena, sizeof(sv_arena), SV_T0), DK_OK);
    memset(&sc, 0, sizeof(sc));
    sc.kind = sv_o.kind == DK_SVC_BLK ? DK_SIM_BLK : DK_SIM_ACCEL;
    sc.version = sv_o.version;
    sc.cap = SV_CAP;
    sc.phys = SV_PHYS;
    sc.irq = SV_IRQ;
    sc.queue_num_max = sv_o.num_max;
    sc.extra_features = sv_o.features;
    sc.seed = sv_o.seed;
    sc.latency_ns = sv_o.latency;
    sc.jitter_ns = sv_o.jitter;
    sc.disk = sv_disk;
    sc.disk_bytes = sizeof(sv_disk);
    cr_assert_eq(dk_sim_init(&SIM, &H, &sc), DK_OK);
    cr_assert_eq(dk_host_grant(&H, SV_CAP), DK_OK);
    cr_assert_eq(dk_ledger_init(&L, sv_clients, SV_NCLIENTS, &g, NULL, NULL), DK_OK);

    memset(&fc, 0, sizeof(fc));
    fc.nslots = SV_NFENCES;
    fc.max_jump = 1u << 20;
    fc.max_wait_ns = 1000000000u;
    fc.waiters_per_fence = 16;
    fc.ledger = &L;
    fc.backend = dk_host_backend(&H);
    cr_assert_eq(dk_fence_table_init(&FT, &fc, sv_fences, sizeof(sv_fences), NULL), DK_OK);
    memset(&bc, 0, sizeof(bc));
    bc.nslots = SV_NBUFS;
    bc.max_size = 1u << 20;
    bc.ledger = &L;
    bc.backend = dk_host_backend(&H);
    cr_assert_eq(dk_buf_table_init(&BT, &bc, sv_bufs, sizeof(sv_bufs), NULL), DK_OK);
    cr_assert_eq(dk_device_init(&DEV, 1, &au), DK_OK);

    memset(&cfg, 0, sizeof(cfg));
    cfg.kind = sv_o.kind;
    cfg.be = dk_host_backend(&H);
    cfg.cap = SV_CAP;
    cfg.irq = SV_IRQ;
    cfg.vq_size = sv_o.vq_size;
    cfg.ledger = &L;
    cfg.fences = &FT;
    cfg.bufs = &BT;
    cfg.device = &DEV;
    cfg.queue_capacity = sv_o.qcap;
    cfg.inflight_cap = sv_o.inflight_cap;
    cfg.deadline_ns = sv_o.deadline;
    cfg.audit = au;
    cfg.trace.fn = sv_trace_fn;
    rc = dk_svc_init(&S, &cfg, NULL);
    return rc;
}

static inline void sv_setup(const struct sv_opts *o)
{
    int rc = sv_try_setup(o);

    cr_assert(rc == DK_OK, "%sdk_svc_init: %s", sv_ctx, dk_status_str(rc));
    cr_assert_eq(DEV.state, DK_DEV_READY);
}

static inline uint16_t sv_client(uint32_t id, uint64_t inflight)
{
    struct dk_limits lim = {{16u << 20, 16, inflight, 8, 32}};
    uint16_t slot;

    cr_assert_eq(dk_ledger_client_add(&L, id, &lim, &slot, NULL), DK_OK);
    return slot;
}

/* A read/write/map buffer, mapped read-write at *va. */
static inline uint32_t sv_buf(uint16_t client, uint64_t size, uint8_t **va)
{
    uint32_t h;
    void *p;

    cr_assert_eq(dk_buf_create(&BT, client, size, DK_BUF_RIGHTS_ALL, &h, NULL), DK_OK);
    cr_assert_eq(dk_buf_map(&BT, client, h, DK_MAP_READ | DK_MAP_WRITE, &p, NULL), DK_OK);
    *va = (uint8_t *)p;
    return h;
}

static inline uint32_t sv_fence(uint16_t client)
{
    uint32_t h;

    cr_assert_eq(dk_fence_create(&FT, client, &h, NULL), DK_OK);
    return h;
}

/* ---- frames ----------------------------------------------------------------- */

static inline void sv_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void sv_frame(void)
{
    cr_assert_eq(dk_frame_init(&F, DK_QOS_NORMAL, 0), DK_OK);
}

/* READ/WRITE {le64 sector, le32 buf_ref, le32 0}; GET_ID {le32 buf_ref, le32 0}. */
static inline void sv_cmd_blk(uint16_t op, uint64_t sector, uint32_t ref)
{
    uint8_t p[16];

    memset(p, 0, sizeof(p));
    if (op == DK_SVC_OP_BLK_GET_ID) {
        sv_put32(p, ref);
        cr_assert_eq(dk_frame_add_cmd(&F, op, p, 8), DK_OK);
        return;
    }
    sv_put32(p, (uint32_t)sector);
    sv_put32(p + 4, (uint32_t)(sector >> 32));
    sv_put32(p + 8, ref);
    cr_assert_eq(dk_frame_add_cmd(&F, op, p, 16), DK_OK);
}

/* COPY {src_ref, dst_ref}; FILL {dst_ref, value}; CSUM {src_ref, 0}. */
static inline void sv_cmd_accel(uint16_t op, uint32_t a, uint32_t b)
{
    uint8_t p[8];

    sv_put32(p, a);
    sv_put32(p + 4, b);
    cr_assert_eq(dk_frame_add_cmd(&F, op, p, 8), DK_OK);
}

/* Encode F and submit it as transport sender @sender. */
static inline int sv_send(uint32_t sender, uint64_t *ticket, enum dk_reason *why)
{
    size_t len;

    cr_assert_eq(dk_wire_encode(&F, sv_wire, sizeof(sv_wire), &len, NULL), DK_OK);
    return dk_svc_submit(&S, sender, sv_wire, len, ticket, why);
}

static inline uint64_t sv_send_ok(uint32_t sender)
{
    enum dk_reason why = DK_R_NONE;
    uint64_t t = 0;
    int rc = sv_send(sender, &t, &why);

    cr_assert(rc == DK_OK, "%ssubmit from %u: %s (%s)", sv_ctx, sender, dk_status_str(rc),
              dk_reason_str(why));
    return t;
}

/* ---- progress ----------------------------------------------------------------- */

static inline const struct dk_pump *sv_pump(void)
{
    static struct dk_pump p = {dk_svc_pump, &S, dk_svc_next_wake};

    p.arg = &S;
    return &p;
}

/* One backend wait (at most @slice ns) and one pump with its events. */
static inline void sv_step(uint64_t slice)
{
    const struct dk_backend *be = dk_host_backend(&H);
    uint32_t ev = 0;

    (void)be->ops->wait(be->ctx, dk_host_now(&H) + slice, &ev);
    (void)dk_svc_pump(&S, ev);
}

/* Pump until nothing is in flight or @limit ns of virtual time passed.
 * Slices of a quarter deadline: the ladder runs at most that late. */
static inline int sv_drain(uint64_t limit)
{
    uint64_t end = dk_host_now(&H) + limit;

    while (dk_svc_inflight(&S) != 0 && dk_host_now(&H) < end)
        sv_step(sv_o.deadline / 4u);
    return dk_svc_inflight(&S) == 0;
}

static inline int sv_wait(uint16_t client, uint32_t fence, uint64_t value, uint64_t ns)
{
    return dk_fence_wait(&FT, client, fence, value, dk_host_now(&H) + ns, sv_pump(), NULL);
}

/* ---- invariants --------------------------------------------------------------- */

/* Every ticket the queue issued was accepted and resolved exactly once; the
 * watermark passed all of them. */
static inline void sv_check_exactly_once(void)
{
    uint64_t t;

    cr_assert(dk_svc_inflight(&S) == 0, "%s%u tickets unresolved", sv_ctx, dk_svc_inflight(&S));
    cr_assert(dk_queue_watermark(&S.queue) == S.queue.head - 1, "%swatermark %llu, head %llu",
              sv_ctx, (unsigned long long)dk_queue_watermark(&S.queue),
              (unsigned long long)S.queue.head);
    for (t = 1; t < S.queue.head; t++) {
        cr_assert(sv_t[t].accepted, "%sticket %llu never accepted", sv_ctx, (unsigned long long)t);
        cr_assert(sv_t[t].resolves == 1, "%sticket %llu resolved %u times", sv_ctx,
                  (unsigned long long)t, sv_t[t].resolves);
    }
    cr_assert(S.stats.submitted == S.queue.head - 1 && S.stats.resolved == S.queue.head - 1,
              "%sstats: submitted %llu resolved %llu", sv_ctx,
              (unsigned long long)S.stats.submitted, (unsigned long long)S.stats.resolved);
}

/* No pin held, no ticket charged, the ledger consistent. */
static inline void sv_check_released(void)
{
    uint64_t used[DK_RES_COUNT];
    uint32_t i;

    cr_assert_eq(dk_ledger_usage(&L, DK_LEDGER_GLOBAL, used), DK_OK);
    cr_assert(used[DK_RES_INFLIGHT] == 0, "%s%llu in-flight charges left", sv_ctx,
              (unsigned long long)used[DK_RES_INFLIGHT]);
    cr_assert(dk_ledger_check(&L) == DK_OK, "%sledger invariant broken", sv_ctx);
    for (i = 0; i < SV_NBUFS; i++)
        if (sv_bufs[i].state != DK_BUF_FREE)
            cr_assert(sv_bufs[i].pins == 0, "%sbuffer slot %u still pinned (%u)", sv_ctx, i,
                      sv_bufs[i].pins);
}

/* ---- fence waiters --------------------------------------------------------------- */

/* A registered waiter and the ticket that promised the value it waits for. */
struct sv_watch {
    struct dk_waiter w;
    uint64_t producer;
    uint32_t fence;
    uint16_t client;
    uint16_t added; /* registered (1) or answered at once (2) */
};

#define SV_WATCH_MAX 64u
static struct sv_watch sv_w[SV_WATCH_MAX];
static uint32_t sv_nw;

/* Every promise of an accepted frame: fence, value, ticket. */
struct sv_promise {
    uint64_t value, ticket;
    uint32_t fence;
};

#define SV_PROMISE_MAX 256u
static struct sv_promise sv_p[SV_PROMISE_MAX];
static uint32_t sv_np;

static inline void sv_watch_reset(void)
{
    memset(sv_w, 0, sizeof(sv_w));
    sv_nw = 0;
    sv_np = 0;
}

static inline void sv_promise(uint32_t fence, uint64_t value, uint64_t ticket)
{
    cr_assert_lt(sv_np, SV_PROMISE_MAX);
    sv_p[sv_np].fence = fence;
    sv_p[sv_np].value = value;
    sv_p[sv_np].ticket = ticket;
    sv_np++;
}

static inline void sv_watch(uint16_t client, uint32_t fence, uint64_t value, uint64_t producer)
{
    struct sv_watch *x;

    cr_assert_lt(sv_nw, SV_WATCH_MAX);
    x = &sv_w[sv_nw++];
    x->w.target = value;
    x->producer = producer;
    x->fence = fence;
    x->client = client;
    cr_assert_eq(dk_fence_waiter_add(&FT, client, fence, &x->w, NULL), DK_OK);
    x->added = 1;
}

/* A waiter on a value the owner's frame @ticket promised. */
static inline void sv_watch_promise(uint16_t client, uint32_t fence, uint64_t value,
                                    uint64_t ticket)
{
    sv_promise(fence, value, ticket);
    sv_watch(client, fence, value, ticket);
}

/* What a waiter for @x must have been told: OK if every promise up to its
 * value succeeded, else the status of the first that failed (a failed fence
 * is terminal). */
static inline int sv_watch_expect(const struct sv_watch *x)
{
    uint64_t best = 0;
    int st = DK_OK;
    uint32_t i;

    for (i = 0; i < sv_np; i++) {
        const struct sv_promise *y = &sv_p[i];
        if (y->fence != x->fence || y->value > x->w.target)
            continue;
        if (sv_t[y->ticket].outcome != DK_OUTCOME_OK && (st == DK_OK || y->value < best)) {
            st = dk_outcome_status(sv_t[y->ticket].outcome);
            best = y->value;
        }
    }
    return st;
}

/* Every waiter was woken, with the answer its producers' outcomes imply;
 * then unregistered (returning its ledger charge). */
static inline void sv_check_waiters(void)
{
    uint32_t i;

    for (i = 0; i < sv_nw; i++) {
        struct sv_watch *x = &sv_w[i];
        cr_assert(x->w.status != DK_E_WOULD_BLOCK, "%swaiter %u (fence %#x >= %llu) left blocked",
                  sv_ctx, i, x->fence, (unsigned long long)x->w.target);
        cr_assert(x->w.status == sv_watch_expect(x), "%swaiter %u: %s, expected %s", sv_ctx, i,
                  dk_status_str(x->w.status), dk_status_str(sv_watch_expect(x)));
        cr_assert_eq(dk_fence_waiter_remove(&FT, x->fence, &x->w), DK_OK);
    }
    sv_nw = 0;
}

static inline uint32_t sv_fnv(const uint8_t *p, size_t n)
{
    uint32_t h = DK_SIM_FNV_BASIS;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * DK_SIM_FNV_PRIME;
    return h;
}

static inline struct dk_svc_req *sv_req(uint64_t ticket)
{
    return &S.reqs[ticket & S.queue.mask];
}

#endif /* DK_TEST_SERVICE_FIXTURE_H */

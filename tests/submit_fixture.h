/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by test_submit.c and test_submit_life.c: the whole state a
 * submission touches (host backend, ledger with clients A, B and C, queue,
 * fence table, buffer table, device READY), a valid base frame for A, and a
 * snapshot of every byte of that state to prove a refusal changed nothing.
 *
 * Base frame (client A): buf 0 = A's RW buffer, WRITE [0, 256); buf 1 = A's
 * read-only buffer, READ [128, 192); wait FB >= 1 (B's fence, WAIT granted to
 * A); signal FA -> 1 (A's own fence); one 0x2001 command; qos NORMAL.
 */
#ifndef DK_TEST_SUBMIT_FIXTURE_H
#define DK_TEST_SUBMIT_FIXTURE_H

#include <criterion/criterion.h>

#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/submit.h>

#define SF_QCAP 8u /* queue capacity */
#define SF_NFENCES 16u
#define SF_NBUFS 16u
#define SF_NCLIENTS 4u
#define SF_ARENA (256u * 1024u)
#define SF_MAX_JUMP 100u      /* fence table max_jump */
#define SF_A_INFLIGHT 4u      /* A's in-flight quota */
#define SF_GLOBAL_INFLIGHT 6u /* global in-flight budget (below A + B + C) */
#define SF_BUFSIZE 4096u
#define SF_NRECS 64u

static struct dk_host H;
static uint8_t sf_arena[SF_ARENA];
static struct dk_ledger L;
static struct dk_client sf_clients[SF_NCLIENTS];
static struct dk_fence_table FT;
static struct dk_fence sf_fences[SF_NFENCES];
static struct dk_buf_table BT;
static struct dk_buf sf_bufs[SF_NBUFS];
static struct dk_queue Q;
static struct dk_queue_slot sf_qslots[SF_QCAP];
static struct dk_device D;
static struct dk_submit_ctx CTX;

static uint16_t A, B, C, UNREG;  /* ledger slots; UNREG is not registered */
static uint32_t BA_RW, BA_R, BB; /* A's read-write and read-only buffers; B's buffer */
static uint32_t FA, FB, FC;      /* fences of A, B (WAIT granted to A) and C (no grant) */

static struct dk_frame F;                   /* the frame under test */
static struct dk_submission recs[SF_NRECS]; /* cookie = index */
static unsigned nrecs;

/* Retire hook: when armed, settles the record named by the cookie with the
 * ticket's outcome, as a service would. */
static int sf_auto_retire;
static void (*sf_on_retire)(uint64_t ticket, uint64_t cookie, unsigned outcome);

static inline void sf_retire_fn(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client,
                                unsigned outcome)
{
    cr_assert_eq(arg, (void *)&CTX);
    cr_assert_lt(cookie, nrecs);
    cr_assert_eq(recs[cookie].ticket, ticket);
    cr_assert_eq(recs[cookie].client, client);
    if (sf_on_retire != NULL)
        sf_on_retire(ticket, cookie, outcome);
    if (sf_auto_retire)
        cr_assert_eq(dk_submit_retire(&CTX, &recs[cookie], outcome), DK_OK);
}

/* (Re)initialise the queue; qos_normal_depth 0 means no per-class limit. */
static inline void sf_queue(uint32_t inflight_cap, uint32_t qos_normal_depth)
{
    struct dk_queue_cfg qc = {.capacity = SF_QCAP,
                              .inflight_cap = inflight_cap,
                              .ledger = &L,
                              .retire_fn = sf_retire_fn,
                              .retire_arg = &CTX};
    qc.qos_depth[DK_QOS_NORMAL] = qos_normal_depth;
    cr_assert_eq(dk_queue_fini(&Q), DK_OK);
    cr_assert_eq(dk_queue_init(&Q, &qc, sf_qslots, sizeof(sf_qslots), NULL), DK_OK);
}

static inline void sf_base_frame(struct dk_frame *f)
{
    static const uint8_t pay[16] = "copy 256 bytes";

    cr_assert_eq(dk_frame_init(f, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, BA_RW, DK_BUF_WRITE, 0, 256), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, BA_R, DK_BUF_READ, 128, 64), DK_OK);
    cr_assert_eq(dk_frame_add_wait(f, FB, 1), DK_OK);
    cr_assert_eq(dk_frame_add_signal(f, FA, 1), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(f, 0x2001, pay, sizeof(pay)), DK_OK);
    cr_assert_neq(dk_wire_size(f), 0);
}

static inline void sf_setup(void)
{
    struct dk_limits g = {{4u << 20, 64, SF_GLOBAL_INFLIGHT, 32, 32}};
    struct dk_limits la = {{1u << 20, 16, SF_A_INFLIGHT, 8, 8}};
    struct dk_limits lo = {{1u << 20, 16, 20, 8, 8}};
    struct dk_fence_cfg fc = {.nslots = SF_NFENCES,
                              .max_jump = SF_MAX_JUMP,
                              .max_wait_ns = 1000000000u,
                              .waiters_per_fence = 4,
                              .ledger = &L};
    struct dk_buf_cfg bc = {.nslots = SF_NBUFS, .max_size = 1u << 20, .ledger = &L};

    memset(&Q, 0, sizeof(Q));
    memset(recs, 0, sizeof(recs));
    nrecs = 0;
    sf_auto_retire = 0;
    sf_on_retire = NULL;
    cr_assert_eq(dk_host_init(&H, sf_arena, sizeof(sf_arena), 1000), DK_OK);
    cr_assert_eq(dk_ledger_init(&L, sf_clients, SF_NCLIENTS, &g, NULL, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 501, &la, &A, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 502, &lo, &B, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 503, &lo, &C, NULL), DK_OK);
    for (UNREG = 0; UNREG == A || UNREG == B || UNREG == C; UNREG++)
        ;
    fc.backend = bc.backend = dk_host_backend(&H);
    cr_assert_eq(dk_fence_table_init(&FT, &fc, sf_fences, sizeof(sf_fences), NULL), DK_OK);
    cr_assert_eq(dk_buf_table_init(&BT, &bc, sf_bufs, sizeof(sf_bufs), NULL), DK_OK);
    sf_queue(0, 0);
    cr_assert_eq(dk_device_init(&D, 7, NULL), DK_OK);
    cr_assert_eq(dk_device_online(&D, NULL), DK_OK);
    CTX = (struct dk_submit_ctx){.queue = &Q, .fences = &FT, .bufs = &BT, .device = &D};

    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &BA_RW, NULL),
                 DK_OK);
    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ, &BA_R, NULL), DK_OK);
    cr_assert_eq(dk_buf_create(&BT, B, SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &BB, NULL), DK_OK);
    cr_assert_eq(dk_fence_create(&FT, A, &FA, NULL), DK_OK);
    cr_assert_eq(dk_fence_create(&FT, B, &FB, NULL), DK_OK);
    cr_assert_eq(dk_fence_create(&FT, C, &FC, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&FT, B, FB, A, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    sf_base_frame(&F);
}

/* Submit @f for @client into the next record; returns the status. */
static inline int sf_submit(uint16_t client, const struct dk_frame *f, enum dk_reason *why)
{
    int rc;

    cr_assert_lt(nrecs, SF_NRECS);
    rc = dk_submit_frame(&CTX, client, f, nrecs, &recs[nrecs], why);
    if (rc == DK_OK)
        nrecs++;
    return rc;
}

/* An empty frame (no buffers, fences or commands) of class @qos: takes only a queue slot. */
static inline void sf_submit_empty(uint16_t client, unsigned qos)
{
    static struct dk_frame e;
    enum dk_reason why = DK_R_NONE;

    cr_assert_eq(dk_frame_init(&e, qos, 0), DK_OK);
    cr_assert_eq(sf_submit(client, &e, &why), DK_OK, "filler refused: %s", dk_reason_str(why));
}

static inline uint64_t sf_fence_value(uint32_t fence, uint16_t holder, int *fail)
{
    uint64_t v = ~0ull;

    cr_assert_eq(dk_fence_value(&FT, holder, fence, &v, fail), DK_OK);
    return v;
}

static inline uint32_t sf_pins(uint16_t owner, uint32_t buf)
{
    struct dk_buf info;

    cr_assert_eq(dk_buf_info(&BT, owner, buf, &info), DK_OK);
    return info.pins;
}

static inline uint64_t sf_used(uint16_t client, unsigned res)
{
    uint64_t used[DK_RES_COUNT];

    cr_assert_eq(dk_ledger_usage(&L, client, used), DK_OK);
    return used[res];
}

/* Every byte of the state: structs, their slot storage, and the VMO arena. */
struct sf_snap {
    struct dk_queue q;
    struct dk_queue_slot qs[SF_QCAP];
    struct dk_fence_table ft;
    struct dk_fence fs[SF_NFENCES];
    struct dk_buf_table bt;
    struct dk_buf bs[SF_NBUFS];
    struct dk_ledger l;
    struct dk_client cs[SF_NCLIENTS];
    struct dk_device d;
    struct dk_host h;
    uint8_t arena[SF_ARENA];
};

static struct sf_snap sf_before, sf_after;

static inline void sf_take(struct sf_snap *s)
{
    memcpy(&s->q, &Q, sizeof(Q));
    memcpy(s->qs, sf_qslots, sizeof(sf_qslots));
    memcpy(&s->ft, &FT, sizeof(FT));
    memcpy(s->fs, sf_fences, sizeof(sf_fences));
    memcpy(&s->bt, &BT, sizeof(BT));
    memcpy(s->bs, sf_bufs, sizeof(sf_bufs));
    memcpy(&s->l, &L, sizeof(L));
    memcpy(s->cs, sf_clients, sizeof(sf_clients));
    memcpy(&s->d, &D, sizeof(D));
    memcpy(&s->h, &H, sizeof(H));
    memcpy(s->arena, sf_arena, sizeof(sf_arena));
}

/* Compare the state with sf_before part by part; names the part that moved. */
static inline void sf_expect_unchanged(const char *what)
{
    sf_take(&sf_after);
#define SF_SAME(m, name)                                                                           \
    cr_expect_eq(memcmp(&sf_before.m, &sf_after.m, sizeof(sf_before.m)), 0, "[%s] %s changed",     \
                 what, name)
    SF_SAME(q, "queue struct");
    SF_SAME(qs, "queue slots");
    SF_SAME(ft, "fence table struct");
    SF_SAME(fs, "fence slots");
    SF_SAME(bt, "buffer table struct");
    SF_SAME(bs, "buffer slots");
    SF_SAME(l, "ledger struct");
    SF_SAME(cs, "ledger client slots");
    SF_SAME(d, "device");
    SF_SAME(h, "host backend");
    SF_SAME(arena, "VMO arena");
#undef SF_SAME
}

#endif /* DK_TEST_SUBMIT_FIXTURE_H */

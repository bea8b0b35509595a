/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The submit fast paths (src/core/submit.c: a run of refs to one buffer
 * checked without the rights check and without a lookup, pins committed
 * once a run, release unpinning runs) against the code they replaced, kept
 * verbatim in submit_old.h. Seeded random frames over a world of buffers
 * that refuse in every way a slice can (another client's, stale, never
 * issued, sealed, no read right, no write right, near the pin cap, out of
 * bounds, empty, bad access bits), with refs in runs, broken runs and
 * interleaved repeats, go through the old code and the new from the same
 * state (saved and put back byte for byte): same status, same reason, same
 * record, same slices, and the same state after, every byte of it; the same
 * for dk_submit_parsed's two steps (dk_submit_parsed_check, then
 * dk_submit_parsed_commit) against the old dk_submit_parsed, but for the
 * slices, of which the two steps promise only the DMA addresses. Releases and
 * retirements of what was accepted are compared the same way.
 */
#include "submit_fixture.h"

#define DK_TEST_SEED 0x0ddba11c0ffee5edull
#include "seeded_fixture.h"

#include "submit_old.h"

/* The world: buffers of client A that each fail a slice one way, and the
 * pool frames draw handles from. */
static uint32_t BA_SEALED, BA_WO, BA_NEAR, BA_DOOMED, BA_FREED;
static uint32_t pool[10];

static void fast_setup(void)
{
    struct dk_queue_cfg qc = {.capacity = SF_QCAP, .ledger = &L};

    sf_setup();
    /* No retire hook: the records are retired by compare_finish, through
     * the old code and the new. */
    cr_assert_eq(dk_queue_fini(&Q), DK_OK);
    cr_assert_eq(dk_queue_init(&Q, &qc, sf_qslots, sizeof(sf_qslots), NULL), DK_OK);
    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &BA_SEALED, NULL),
                 DK_OK);
    cr_assert_eq(dk_buf_seal(&BT, A, BA_SEALED, NULL), DK_OK);
    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_WRITE, &BA_WO, NULL), DK_OK);
    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &BA_NEAR, NULL),
                 DK_OK);
    /* Destroyed while pinned: doomed, its handle refused as stale. */
    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ | DK_BUF_WRITE, &BA_DOOMED, NULL),
                 DK_OK);
    cr_assert_eq(dk_buf_pin(&BT, A, BA_DOOMED, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&BT, A, BA_DOOMED, NULL), DK_E_BUSY);
    cr_assert_eq(dk_buf_create(&BT, A, SF_BUFSIZE, DK_BUF_READ, &BA_FREED, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&BT, A, BA_FREED, NULL), DK_OK);
    pool[0] = BA_RW;
    pool[1] = BA_R;
    pool[2] = BA_SEALED;
    pool[3] = BA_WO;
    pool[4] = BA_NEAR;
    pool[5] = BB;
    pool[6] = BA_DOOMED;
    pool[7] = BA_FREED;
    pool[8] = DK_HANDLE_MAKE(SF_NBUFS - 1, 0); /* never issued */
    pool[9] = DK_HANDLE_INVALID;
}

static void restore(const struct sf_snap *s)
{
    memcpy(&Q, &s->q, sizeof(Q));
    memcpy(sf_qslots, s->qs, sizeof(sf_qslots));
    memcpy(&FT, &s->ft, sizeof(FT));
    memcpy(sf_fences, s->fs, sizeof(sf_fences));
    memcpy(&BT, &s->bt, sizeof(BT));
    memcpy(sf_bufs, s->bs, sizeof(sf_bufs));
    memcpy(&L, &s->l, sizeof(L));
    memcpy(sf_clients, s->cs, sizeof(sf_clients));
    memcpy(&D, &s->d, sizeof(D));
    memcpy(&H, &s->h, sizeof(H));
    memcpy(sf_arena, s->arena, sizeof(sf_arena));
}

static struct sf_snap s_old;

/* sf_before holds the state both sides started from, s_old what the old
 * code left: the new code must leave the same. */
static void same_state(const char *what, unsigned iter)
{
    sf_take(&sf_after);
#define SAME(m, name)                                                                              \
    cr_assert_eq(memcmp(&s_old.m, &sf_after.m, sizeof(s_old.m)), 0, "%s %u: %s differs", what,     \
                 iter, name)
    SAME(q, "queue struct");
    SAME(qs, "queue slots");
    SAME(ft, "fence table struct");
    SAME(fs, "fence slots");
    SAME(bt, "buffer table struct");
    SAME(bs, "buffer slots");
    SAME(l, "ledger struct");
    SAME(cs, "ledger client slots");
    SAME(d, "device");
    SAME(h, "host backend");
    SAME(arena, "VMO arena");
#undef SAME
}

/* One buffer ref: mostly a slice that fits, else one way to fail. */
static void add_ref(struct dk_frame *f, uint32_t handle, uint32_t access)
{
    uint64_t off = (uint64_t)pick(SF_BUFSIZE / 64u) * 64u, len = 64u * (1u + pick(4));
    struct dk_wire_buf *b = &f->bufs[f->n_bufs++];

    switch (pick(24)) {
    case 0:
        len = SF_BUFSIZE - off + 1u; /* one byte past the end */
        break;
    case 1:
        off = SF_BUFSIZE + 64u; /* starts past the end */
        break;
    case 2:
        len = 0; /* empty (only the parsed path sees it) */
        break;
    case 3:
        off = UINT64_MAX - 8u; /* offset + length overflows */
        break;
    case 4:
        access = pick(2) ? 0u : 4u; /* bad access bits (parsed path only) */
        break;
    case 5:
        off = 0;
        len = SF_BUFSIZE; /* the whole buffer */
        break;
    default:
        break;
    }
    *b = (struct dk_wire_buf){handle, access, off, len};
}

/* A frame of client A's refs: runs of one handle, a run broken by another
 * handle and taken up again, access bits changing inside a run. */
static void random_frame(struct dk_frame *f, unsigned bad)
{
    static const uint8_t pay[16] = "fast submit";
    uint32_t n = pick(8) == 0 ? 40u + pick(DK_WIRE_BUFS_MAX - 39u) : pick(12);
    uint32_t handle = BA_RW, access = DK_BUF_WRITE;

    cr_assert_eq(dk_frame_init(f, DK_QOS_NORMAL, 0), DK_OK);
    while (f->n_bufs < n) {
        uint32_t r = pick(16);

        if (f->n_bufs == 0 || r < 3) {
            /* a new run: mostly A's good buffers, sometimes any of the pool */
            handle = pick(4) < bad ? pool[pick(DK_ARRAY_LEN(pool))] : pool[pick(2)];
            if (pick(6) == 0)
                handle = BA_NEAR;
            access = 1u + pick(3);
        } else if (r == 3) {
            access = 1u + pick(3);
        }
        add_ref(f, handle, pick(32) < bad ? 1u + pick(3) : access);
        if (pick(32) < bad && f->n_bufs > 1)
            f->bufs[f->n_bufs - 1u] = f->bufs[pick(f->n_bufs - 1u)]; /* an earlier ref again */
    }
    if (pick(4) == 0)
        (void)dk_frame_add_wait(f, FB, 1);
    if (pick(4) == 0)
        (void)dk_frame_add_signal(f, FA, 1 + pick(3));
    (void)dk_frame_add_cmd(f, 0x2001, pay, sizeof(pay));
}

/* Open records: accepted, not yet retired. */
static struct dk_submission open_rec[SF_NRECS];
static unsigned n_open;

static int call(int old, unsigned api, const struct dk_frame *f, struct dk_submission *rec,
                struct dk_slice *sl, enum dk_reason *why)
{
    switch (api) {
    case 0:
        return old ? old_submit_frame_slices(&CTX, A, f, 7, rec, sl, why)
                   : dk_submit_frame_slices(&CTX, A, f, 7, rec, sl, why);
    case 1:
        return old ? old_submit_parsed(&CTX, A, f, 7, rec, sl, why)
                   : dk_submit_parsed(&CTX, A, f, 7, rec, sl, why);
    case 3: {
        /* dk_submit_parsed in its two steps */
        struct dk_buf *slots[DK_WIRE_BUFS_MAX];
        int rc;

        if (old)
            return old_submit_parsed(&CTX, A, f, 7, rec, sl, why);
        rc = dk_submit_parsed_check(&CTX, A, f, rec, sl, slots, why);
        return rc != DK_OK ? rc : dk_submit_parsed_commit(&CTX, A, f, 7, rec, slots, why);
    }
    default:
        return old ? old_submit_frame(&CTX, A, f, 7, rec, why)
                   : dk_submit_frame(&CTX, A, f, 7, rec, why);
    }
}

/* Submit @f through the old code and the new from the same state. */
static void compare_submit(const struct dk_frame *f, unsigned api, unsigned iter)
{
    static struct dk_slice sl_old[DK_WIRE_BUFS_MAX], sl_new[DK_WIRE_BUFS_MAX];
    struct dk_submission r_old, r_new;
    enum dk_reason w_old = DK_R_OVER_CAP, w_new = DK_R_OVER_CAP;
    int rc_old, rc_new;

    memset(&r_old, 0xa5, sizeof(r_old));
    memset(&r_new, 0xa5, sizeof(r_new));
    memset(sl_old, 0x5a, sizeof(sl_old));
    memset(sl_new, 0x5a, sizeof(sl_new));
    sf_take(&sf_before);
    rc_old = call(1, api, f, &r_old, sl_old, &w_old);
    sf_take(&s_old);
    restore(&sf_before);
    rc_new = call(0, api, f, &r_new, sl_new, &w_new);
    cr_assert_eq(rc_new, rc_old, "submit %u (api %u): status %d, old code %d", iter, api, rc_new,
                 rc_old);
    cr_assert_eq(w_new, w_old, "submit %u (api %u): reason %s, old code %s", iter, api,
                 dk_reason_str(w_new), dk_reason_str(w_old));
    cr_assert_eq(memcmp(&r_new, &r_old, sizeof(r_old)), 0, "submit %u: record differs", iter);
    if (api != 3) {
        cr_assert_eq(memcmp(sl_new, sl_old, sizeof(sl_old)), 0, "submit %u: slices differ", iter);
    } else {
        /* The two steps write of a slice only its DMA address for sure:
         * that of every slice the old code wrote, and no other slice. */
        static const struct dk_slice untouched = {0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull,
                                                  0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5au, 0x5a5a5a5au};
        unsigned i;

        for (i = 0; i < DK_WIRE_BUFS_MAX; i++) {
            if (memcmp(&sl_old[i], &untouched, sizeof(untouched)) == 0)
                cr_assert_eq(memcmp(&sl_new[i], &untouched, sizeof(untouched)), 0,
                             "submit %u: slice %u written, not by the old code", iter, i);
            else
                cr_assert_eq(sl_new[i].dma_addr, sl_old[i].dma_addr,
                             "submit %u: slice %u has another DMA address", iter, i);
        }
    }
    same_state("submit", iter);
    saw(w_new);
    if (rc_new == DK_OK) {
        cr_assert_lt(n_open, SF_NRECS);
        open_rec[n_open++] = r_new;
    }
}

/* Release or retire open record @k through the old code and the new. */
static void compare_finish(unsigned k, unsigned iter)
{
    struct dk_submission r_old = open_rec[k], r_new = open_rec[k];
    int release = pick(2), rc_old, rc_new;
    unsigned outcome = pick(2) ? DK_OUTCOME_OK : DK_OUTCOME_DEVICE_ERROR;

    sf_take(&sf_before);
    rc_old = release ? old_submit_release(&CTX, &r_old) : old_submit_retire(&CTX, &r_old, outcome);
    sf_take(&s_old);
    restore(&sf_before);
    rc_new = release ? dk_submit_release(&CTX, &r_new) : dk_submit_retire(&CTX, &r_new, outcome);
    cr_assert_eq(rc_new, rc_old, "%s %u: status differs", release ? "release" : "retire", iter);
    cr_assert_eq(memcmp(&r_new, &r_old, sizeof(r_old)), 0, "finish %u: record differs", iter);
    same_state(release ? "release" : "retire", iter);
    open_rec[k] = r_new;
    if (r_new.state == DK_SUB_RETIRED)
        open_rec[k] = open_rec[--n_open];
}

/* The queue's tickets are resolved as they go (the records are retired by
 * compare_finish, in any order), so the window never stays full. */
static void resolve_all(void)
{
    uint64_t t;

    for (t = Q.tail; t != Q.head; t = Q.tail)
        cr_assert_eq(dk_queue_resolve(&Q, t, DK_OUTCOME_OK, NULL), DK_OK);
}

Test(submit_fast, runs_of_refs_match_the_old_code, .init = fast_setup)
{
    unsigned iter, k;

    for (iter = 0; iter < 4000; iter++) {
        struct dk_buf *near = &sf_bufs[DK_HANDLE_INDEX(BA_NEAR)];

        /* Near the cap, so a long frame's repeats are counted exactly. */
        near->pins = DK_BUF_PINS_MAX - pick(80);
        random_frame(&F, iter % 5);
        compare_submit(&F, pick(4), iter);
        if (pick(10) == 0)
            resolve_all();
        while (n_open > 0 && (n_open > 6 || pick(2) == 0))
            compare_finish(pick(n_open), iter);
    }
    resolve_all();
    for (k = 0; n_open > 0; k++)
        compare_finish(pick(n_open), k);
    {
        static const enum dk_reason want[] = {
            DK_R_NONE,        DK_R_BAD_HANDLE,     DK_R_STALE_HANDLE,      DK_R_NOT_OWNER,
            DK_R_BUF_SEALED,  DK_R_NO_READ_RIGHT,  DK_R_NO_WRITE_RIGHT,    DK_R_SLICE_OOB,
            DK_R_ZERO_LEN,    DK_R_BAD_ENUM,       DK_R_PIN_OVERFLOW,      DK_R_WIRE_HANDLE,
            DK_R_WIRE_ACCESS, DK_R_WIRE_BUF_EMPTY, DK_R_CLIENT_INFLIGHT_Q,
        };
        for (k = 0; k < DK_ARRAY_LEN(want); k++)
            cr_expect_gt(seen[want[k]], 0, "no submit was answered %s", dk_reason_str(want[k]));
    }
}

/* The pin bound at its edge: a run that fills the room exactly, and one
 * ref more, with the repeats of the buffer split over several runs. */
Test(submit_fast, pin_room_edge_matches_the_old_code, .init = fast_setup)
{
    unsigned room, split, iter = 0;

    for (room = 1; room < 12; room++) {
        for (split = 0; split < 4; split++, iter++) {
            uint32_t i, n = room + (split & 1u);

            sf_bufs[DK_HANDLE_INDEX(BA_NEAR)].pins = DK_BUF_PINS_MAX - room;
            cr_assert_eq(dk_frame_init(&F, DK_QOS_NORMAL, 0), DK_OK);
            for (i = 0; i < n; i++) {
                uint32_t h = (split & 2u) != 0 && i % 3u == 1u ? BA_RW : BA_NEAR;
                cr_assert_eq(dk_frame_add_buf(&F, h, DK_BUF_READ, 64u * i, 64), DK_OK);
            }
            compare_submit(&F, (split & 1u) != 0 ? 3u : 0u, iter);
            resolve_all();
            while (n_open > 0)
                compare_finish(0, iter);
        }
    }
    cr_expect_gt(seen[DK_R_PIN_OVERFLOW], 0);
    cr_expect_gt(seen[DK_R_NONE], 0);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_core: cost of libdriverkit's hot paths, measured in one run.
 *
 *   bench_core [--iters=N] [--reps=R]    timed table (default N = 2^20, R = 15)
 *   bench_core --count-allocs [--iters=N] run every kernel once, count allocations
 *   bench_core --callgrind-kernel=NAME ITER   run one kernel ITER times, no timing
 *   bench_core --list-kernels             kernel names, one a line
 *
 * A kernel is one loop of N operations. A measurement times one kernel call
 * with CLOCK_MONOTONIC and divides by N. Every kernel is measured R times,
 * round robin with all the others (serpentine order, after one discarded
 * warm-up round), so machine noise lands on dk and ck alike. The table gives
 * median, min and max ns/op; ratios are taken between medians (and, for
 * dk/ck, between minimums too).
 *
 * This is not a test: it prints figures and never fails on one. It exits
 * nonzero only when a kernel's postcondition shows an operation failed (the
 * figure would be meaningless), on a usage error, or when --count-allocs saw
 * an allocation.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, clock_getres */

#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(DK_HAVE_CK) && DK_HAVE_CK
#include <ck_ring.h>
#define BENCH_CK 1
#else
#define BENCH_CK 0
#endif

/*
 * Compiler barrier after every operation: zero instructions, but the
 * compiler must store everything the operation wrote and reload everything
 * the next one reads, as it would across the driver code that separates two
 * operations in real use. Without it the compiler may use what an inline
 * reserve just stored to skip checks of the resolve that follows, or keep
 * queue fields in registers across iterations; no real caller gets that.
 */
#define BENCH_BARRIER() atomic_signal_fence(memory_order_seq_cst)

/* Keep a value "used" without an instruction (a volatile store otherwise). */
#if defined(__GNUC__)
#define BENCH_KEEP(v) __asm__ __volatile__("" : : "r"(v))
#define BENCH_NOINLINE __attribute__((noinline))
#else
static volatile uintptr_t bench_sink;
#define BENCH_KEEP(v) (bench_sink = (uintptr_t)(v))
#define BENCH_NOINLINE
#endif

/* ---- allocation counting ------------------------------------------------
 *
 * The core never allocates by design (tests/freestanding-check.sh proves it
 * links against nothing but mem*). Here we count the calls we time: on glibc
 * the bench defines malloc, calloc and realloc, which count and forward to
 * glibc's own allocator (__libc_*), so free() stays glibc's and matches.
 * Definitions in the executable take precedence over libc.so for every
 * caller, libc's own internal calls included. Sanitizer builds keep their
 * allocator: there the count is reported as not measured, never as 0.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define BENCH_SANITIZED 1
#endif
#endif
#ifndef BENCH_SANITIZED
#define BENCH_SANITIZED 0
#endif

#if defined(__GLIBC__) && !BENCH_SANITIZED && !defined(DK_BENCH_NO_ALLOC_COUNT)
#define BENCH_COUNT_ALLOCS 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);

/* volatile: these run inside whatever calls them; never cached by the loop. */
static volatile unsigned long bench_alloc_calls;

void *malloc(size_t size)
{
    bench_alloc_calls++;
    return __libc_malloc(size);
}

void *calloc(size_t nmemb, size_t size)
{
    bench_alloc_calls++;
    return __libc_calloc(nmemb, size);
}

void *realloc(void *ptr, size_t size)
{
    bench_alloc_calls++;
    return __libc_realloc(ptr, size);
}

static unsigned long bench_allocs(void)
{
    return bench_alloc_calls;
}
#else
#define BENCH_COUNT_ALLOCS 0
static unsigned long bench_allocs(void)
{
    return 0;
}
#endif

/* glibc >= 2.33: heap statistics, for a second, independent look. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define BENCH_MALLINFO 1
#else
#define BENCH_MALLINFO 0
#endif

/* ---- the objects under test ---------------------------------------------- */

#define BENCH_QCAP 256u /* main queue capacity (and ck ring size) */
#define BENCH_FULL DK_FENCE_TABLE_MAX
#define BENCH_WS_SIZES 3

static const uint32_t bench_ws_members[BENCH_WS_SIZES] = {1, 4, 16};

struct bench {
    struct dk_host host;
    unsigned char arena[1u << 16];
    struct dk_ledger ledger;
    struct dk_client clients[2];
    uint16_t client;

    struct dk_queue q;        /* capacity 256, no ledger */
    struct dk_queue q_ledger; /* capacity 256, ledger attached */
    struct dk_queue q_big;    /* capacity DK_QUEUE_CAPACITY_MAX, no ledger */
    struct dk_queue_slot q_slots[BENCH_QCAP];
    struct dk_queue_slot q_ledger_slots[BENCH_QCAP];
    struct dk_queue_slot q_big_slots[DK_QUEUE_CAPACITY_MAX];

    struct dk_fence_table one; /* a table holding one live fence */
    struct dk_fence one_slots[1];
    uint32_t one_fence;
    struct dk_fence_table full; /* every one of DK_FENCE_TABLE_MAX slots live */
    struct dk_fence full_slots[BENCH_FULL];
    uint32_t full_fences[BENCH_FULL];
    struct dk_waitset ws[BENCH_WS_SIZES]; /* members: full_fences[0..m-1], all reached */

#if BENCH_CK
    ck_ring_t ring;
    ck_ring_buffer_t ring_buf[BENCH_QCAP];
#endif
};

static struct bench bench_state;

/* What a kernel needs set up (callgrind mode builds only that). */
enum {
    NEED_QUEUES = 1u,
    NEED_ONE = 2u,
    NEED_FULL = 4u,
    NEED_CK = 8u,
};

static void bench_fail(const char *what, int rc, enum dk_reason why)
{
    fprintf(stderr, "bench_core: %s: %s (%s)\n", what, dk_status_str(rc), dk_reason_str(why));
    exit(1);
}

static void bench_setup_base(struct bench *b)
{
    struct dk_limits lim;
    enum dk_reason why = DK_R_NONE;
    int rc;
    unsigned r;

    for (r = 0; r < DK_RES_COUNT; r++)
        lim.max[r] = UINT64_MAX;
    rc = dk_host_init(&b->host, b->arena, sizeof(b->arena), 0);
    if (rc != DK_OK)
        bench_fail("dk_host_init", rc, why);
    rc = dk_ledger_init(&b->ledger, b->clients, DK_ARRAY_LEN(b->clients), &lim, NULL, &why);
    if (rc != DK_OK)
        bench_fail("dk_ledger_init", rc, why);
    rc = dk_ledger_client_add(&b->ledger, 1, &lim, &b->client, &why);
    if (rc != DK_OK)
        bench_fail("dk_ledger_client_add", rc, why);
}

static void bench_queue_init(struct dk_queue *q, struct dk_queue_slot *slots, uint32_t cap,
                             struct dk_ledger *ledger)
{
    struct dk_queue_cfg cfg;
    enum dk_reason why = DK_R_NONE;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    cfg.capacity = cap;
    cfg.ledger = ledger;
    rc = dk_queue_init(q, &cfg, slots, cap * sizeof(*slots), &why);
    if (rc != DK_OK)
        bench_fail("dk_queue_init", rc, why);
}

static void bench_table_init(struct bench *b, struct dk_fence_table *t, struct dk_fence *slots,
                             uint32_t nslots)
{
    struct dk_fence_cfg cfg;
    enum dk_reason why = DK_R_NONE;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    cfg.nslots = nslots;
    /* max_jump 1: a refused signal makes every later one refuse too, so the
     * final value proves that all of them succeeded. */
    cfg.max_jump = 1;
    cfg.max_wait_ns = 1000000000u;
    cfg.waiters_per_fence = 1;
    cfg.ledger = &b->ledger;
    cfg.backend = dk_host_backend(&b->host);
    rc = dk_fence_table_init(t, &cfg, slots, (size_t)nslots * sizeof(*slots), &why);
    if (rc != DK_OK)
        bench_fail("dk_fence_table_init", rc, why);
}

/* A fence at value 1, so that target 1 is reached. */
static uint32_t bench_fence_new(struct bench *b, struct dk_fence_table *t)
{
    enum dk_reason why = DK_R_NONE;
    uint32_t h = 0;
    int rc;

    rc = dk_fence_create(t, b->client, &h, &why);
    if (rc != DK_OK)
        bench_fail("dk_fence_create", rc, why);
    rc = dk_fence_signal(t, b->client, h, 1, &why);
    if (rc != DK_OK)
        bench_fail("dk_fence_signal", rc, why);
    return h;
}

static void bench_setup(struct bench *b, unsigned need)
{
    enum dk_reason why = DK_R_NONE;
    uint32_t i, s;
    int rc;

    bench_setup_base(b);
    if (need & NEED_QUEUES) {
        bench_queue_init(&b->q, b->q_slots, BENCH_QCAP, NULL);
        bench_queue_init(&b->q_ledger, b->q_ledger_slots, BENCH_QCAP, &b->ledger);
        bench_queue_init(&b->q_big, b->q_big_slots, DK_QUEUE_CAPACITY_MAX, NULL);
    }
    if (need & NEED_ONE) {
        bench_table_init(b, &b->one, b->one_slots, 1);
        b->one_fence = bench_fence_new(b, &b->one);
    }
    if (need & NEED_FULL) {
        bench_table_init(b, &b->full, b->full_slots, BENCH_FULL);
        for (i = 0; i < BENCH_FULL; i++)
            b->full_fences[i] = bench_fence_new(b, &b->full);
        for (s = 0; s < BENCH_WS_SIZES; s++) {
            rc = dk_waitset_init(&b->ws[s], &b->full);
            if (rc != DK_OK)
                bench_fail("dk_waitset_init", rc, why);
            for (i = 0; i < bench_ws_members[s]; i++) {
                rc = dk_waitset_add(&b->ws[s], b->full_fences[i], 1, &why);
                if (rc != DK_OK)
                    bench_fail("dk_waitset_add", rc, why);
            }
        }
    }
#if BENCH_CK
    if (need & NEED_CK)
        ck_ring_init(&b->ring, BENCH_QCAP);
#endif
}

/* ---- kernels ------------------------------------------------------------
 *
 * Each loop does the operation and nothing else: results are kept with
 * BENCH_KEEP (no instruction) and checked once after the loop, from the state
 * the loop left behind. A kernel returns 0 when that check passes.
 */

static BENCH_NOINLINE int k_empty(struct bench *b, unsigned arg, uint64_t n)
{
    uint64_t i;

    (void)b;
    (void)arg;
    for (i = 0; i < n; i++)
        BENCH_BARRIER();
    return 0;
}

/* Reserve the next ticket, resolve it OK: the watermark advances every time. */
static BENCH_NOINLINE int k_queue_pair(struct dk_queue *q, uint16_t client, uint64_t n)
{
    uint64_t before = dk_queue_watermark(q);
    uint64_t t = 0;
    uint64_t i;

    for (i = 0; i < n; i++) {
        (void)dk_queue_reserve(q, client, DK_QOS_NORMAL, i, &t, NULL);
        BENCH_BARRIER();
        (void)dk_queue_resolve(q, t, DK_OUTCOME_OK, NULL);
        BENCH_BARRIER();
    }
    /* Every reserve issued the next ticket and every resolve retired it. */
    if (dk_queue_watermark(q) != before + n || dk_queue_inflight(q) != 0)
        return -1;
    return n == 0 || t == before + n ? 0 : -1;
}

/* arg: 0 capacity 256, 1 capacity 256 with the ledger, 2 capacity 4096 */
static int k_queue(struct bench *b, unsigned arg, uint64_t n)
{
    struct dk_queue *q[] = {&b->q, &b->q_ledger, &b->q_big};
    uint64_t used[DK_RES_COUNT];

    if (k_queue_pair(q[arg], b->client, n) != 0)
        return -1;
    /* Every ledger charge was released. */
    if (dk_ledger_usage(&b->ledger, b->client, used) != DK_OK || used[DK_RES_INFLIGHT] != 0)
        return -1;
    return 0;
}

static BENCH_NOINLINE int k_signal(struct dk_fence_table *t, uint16_t client, uint32_t h,
                                   uint64_t n)
{
    uint64_t v0 = 0, v = 0;
    uint64_t i;
    int rc;

    if (dk_fence_value(t, client, h, &v0, NULL) != DK_OK)
        return -1;
    for (i = 1; i <= n; i++) {
        rc = dk_fence_signal(t, client, h, v0 + i, NULL);
        BENCH_KEEP(rc);
        BENCH_BARRIER();
    }
    /* With max_jump 1, reaching v0 + n needs every signal to have succeeded. */
    if (dk_fence_value(t, client, h, &v, NULL) != DK_OK)
        return -1;
    return v == v0 + n ? 0 : -1;
}

static BENCH_NOINLINE int k_poll(const struct dk_fence_table *t, uint16_t client, uint32_t h,
                                 uint64_t n)
{
    int rc = -1;
    uint64_t i;

    for (i = 0; i < n; i++) {
        rc = dk_fence_poll(t, client, h, 1, NULL);
        BENCH_KEEP(rc);
        BENCH_BARRIER();
    }
    /* Nothing changes between polls: the last answer is every answer. */
    return n == 0 || rc == DK_OK ? 0 : -1;
}

/* arg: 0 the table of one fence, 1 the last fence of the full table */
static int k_fence_signal(struct bench *b, unsigned arg, uint64_t n)
{
    if (arg == 0)
        return k_signal(&b->one, b->client, b->one_fence, n);
    return k_signal(&b->full, b->client, b->full_fences[BENCH_FULL - 1], n);
}

static int k_fence_poll(struct bench *b, unsigned arg, uint64_t n)
{
    if (arg == 0)
        return k_poll(&b->one, b->client, b->one_fence, n);
    return k_poll(&b->full, b->client, b->full_fences[BENCH_FULL - 1], n);
}

/* DK_WAIT_ALL with every member reached: the poll must look at all of them. */
static BENCH_NOINLINE int k_waitset(const struct dk_waitset *ws, uint16_t client, uint64_t n)
{
    int rc = -1;
    uint64_t i;

    for (i = 0; i < n; i++) {
        rc = dk_waitset_poll(ws, client, DK_WAIT_ALL, NULL, NULL);
        BENCH_KEEP(rc);
        BENCH_BARRIER();
    }
    return n == 0 || rc == DK_OK ? 0 : -1;
}

/* arg: index into bench_ws_members */
static int k_waitset_n(struct bench *b, unsigned arg, uint64_t n)
{
    return k_waitset(&b->ws[arg], b->client, n);
}

#if BENCH_CK
/* The same shape as k_queue_pair: enqueue a cookie, dequeue it. */
static BENCH_NOINLINE int k_ck(ck_ring_t *r, ck_ring_buffer_t *buf, uint64_t n)
{
    unsigned int c0 = r->c_head;
    void *out = NULL;
    uint64_t i;

    for (i = 0; i < n; i++) {
        (void)ck_ring_enqueue_spsc(r, buf, (const void *)(uintptr_t)i);
        BENCH_BARRIER();
        (void)ck_ring_dequeue_spsc(r, buf, &out);
        BENCH_KEEP(out);
        BENCH_BARRIER();
    }
    /* Every dequeue took what the enqueue before it put in. */
    if (ck_ring_size(r) != 0 || r->c_head - c0 != (unsigned int)n)
        return -1;
    return n == 0 || out == (void *)(uintptr_t)(n - 1) ? 0 : -1;
}

static int k_ck_pair(struct bench *b, unsigned arg, uint64_t n)
{
    (void)arg;
    return k_ck(&b->ring, b->ring_buf, n);
}
#endif

struct kernel {
    const char *name;  /* for --callgrind-kernel */
    const char *label; /* for the table */
    unsigned need;     /* NEED_* */
    int (*run)(struct bench *b, unsigned arg, uint64_t n);
    unsigned arg;
};

static const struct kernel bench_kernels[] = {
    {"empty", "empty loop (baseline)", 0, k_empty, 0},
    {"reserve_resolve", "queue reserve+resolve, no ledger", NEED_QUEUES, k_queue, 0},
    {"reserve_resolve_ledger", "queue reserve+resolve, ledger", NEED_QUEUES, k_queue, 1},
    {"reserve_resolve_cap4096", "queue reserve+resolve, cap 4096", NEED_QUEUES, k_queue, 2},
    {"fence_signal", "fence signal (1 live fence)", NEED_ONE, k_fence_signal, 0},
    {"fence_poll", "fence poll (1 live fence)", NEED_ONE, k_fence_poll, 0},
    {"fence_signal_full", "fence signal (4096 live fences)", NEED_FULL, k_fence_signal, 1},
    {"fence_poll_full", "fence poll (4096 live fences)", NEED_FULL, k_fence_poll, 1},
    {"waitset_poll_1", "waitset poll ALL, 1 member", NEED_FULL, k_waitset_n, 0},
    {"waitset_poll_4", "waitset poll ALL, 4 members", NEED_FULL, k_waitset_n, 1},
    {"waitset_poll_16", "waitset poll ALL, 16 members", NEED_FULL, k_waitset_n, 2},
#if BENCH_CK
    {"ck_pair", "ck_ring enqueue+dequeue spsc", NEED_CK, k_ck_pair, 0},
#endif
};

#define BENCH_NKERNELS DK_ARRAY_LEN(bench_kernels)

static const struct kernel *bench_kernel_find(const char *name)
{
    size_t i;

    for (i = 0; i < BENCH_NKERNELS; i++)
        if (strcmp(bench_kernels[i].name, name) == 0)
            return &bench_kernels[i];
    return NULL;
}

static unsigned bench_need_all(void)
{
    unsigned need = 0;
    size_t i;

    for (i = 0; i < BENCH_NKERNELS; i++)
        need |= bench_kernels[i].need;
    return need;
}

/* ---- timing and statistics ----------------------------------------------- */

static uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

struct stats {
    double median, min, max;
};

/* Sorts @p v in place. */
static struct stats bench_stats(double *v, size_t n)
{
    struct stats s;

    qsort(v, n, sizeof(*v), bench_cmp_double);
    s.min = v[0];
    s.max = v[n - 1];
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    return s;
}

static int bench_index(const char *name)
{
    const struct kernel *k = bench_kernel_find(name);

    return k != NULL ? (int)(k - bench_kernels) : -1;
}

static void bench_print_cpu(void)
{
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");

    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p != NULL)
                printf("cpu:        %s", p + 2);
            break;
        }
    }
    fclose(f);
}

static void bench_print_header(uint64_t iters, unsigned reps)
{
    struct timespec res;

    printf("libdriverkit bench_core\n");
#if defined(__VERSION__)
    printf("compiler:   %s\n", __VERSION__);
#endif
#if defined(__OPTIMIZE__)
    printf("build:      optimised");
#else
    printf("build:      NOT optimised (use the release preset; these figures mean little)");
#endif
    printf(", Concurrency Kit %s\n", BENCH_CK ? "linked (DK_HAVE_CK=1)" : "not linked");
    bench_print_cpu();
    if (clock_getres(CLOCK_MONOTONIC, &res) == 0)
        printf("clock:      CLOCK_MONOTONIC, resolution %ld ns\n", (long)res.tv_nsec);
    printf("method:     %llu ops per measurement, %u measurements per kernel, round robin\n"
           "            over all kernels after 1 warm-up round; ns/op = elapsed / ops\n\n",
           (unsigned long long)iters, reps);
}

/* One "name  a/b" line; "-" when b is not positive. */
static void bench_ratio_line(const char *what, double a, double b)
{
    if (b > 0.0)
        printf("  %-46s %7.2f\n", what, a / b);
    else
        printf("  %-46s %7s\n", what, "-");
}

static void bench_report(const struct stats *st)
{
    int e = bench_index("empty"), q = bench_index("reserve_resolve");
    int ql = bench_index("reserve_resolve_ledger"), w[BENCH_WS_SIZES];
    double sx = 0, sy = 0, sxx = 0, sxy = 0, ss_tot = 0, ss_res = 0, slope, icpt;
    size_t k;

    printf("%-36s %10s %10s %10s %10s\n", "operation", "median", "min", "max", "net");
    printf("%-36s %10s %10s %10s %10s\n", "", "ns/op", "ns/op", "ns/op", "ns/op");
    for (k = 0; k < BENCH_NKERNELS; k++)
        printf("%-36s %10.2f %10.2f %10.2f %10.2f\n", bench_kernels[k].label, st[k].median,
               st[k].min, st[k].max, st[k].median - st[e].median);
    printf("(net = median minus the empty loop's median)\n\nratios (of medians unless "
           "marked)\n");
#if BENCH_CK
    {
        int c = bench_index("ck_pair");

        bench_ratio_line("dk/ck  reserve+resolve, no ledger / ck pair", st[q].median, st[c].median);
        bench_ratio_line("dk/ck  reserve+resolve, ledger / ck pair", st[ql].median, st[c].median);
        bench_ratio_line("dk/ck  (net of loop) no ledger / ck pair", st[q].median - st[e].median,
                         st[c].median - st[e].median);
        bench_ratio_line("dk/ck  (net of loop) ledger / ck pair", st[ql].median - st[e].median,
                         st[c].median - st[e].median);
        bench_ratio_line("dk/ck  (of minimums) no ledger / ck pair", st[q].min, st[c].min);
        bench_ratio_line("dk/ck  (of minimums) ledger / ck pair", st[ql].min, st[c].min);
        printf("  target dk/ck <= 2.00: no ledger %s, ledger %s\n",
               st[q].median <= 2.0 * st[c].median ? "within" : "NOT within",
               st[ql].median <= 2.0 * st[c].median ? "within" : "NOT within");
    }
#else
    printf("  dk/ck: comparison skipped: built without Concurrency Kit (DK_HAVE_CK unset)\n");
#endif
    bench_ratio_line("queue  ledger / no ledger", st[ql].median, st[q].median);
    bench_ratio_line("O(1)   queue cap 4096 / cap 256",
                     st[bench_index("reserve_resolve_cap4096")].median, st[q].median);
    bench_ratio_line("O(1)   fence signal, 4096 live / 1 live",
                     st[bench_index("fence_signal_full")].median,
                     st[bench_index("fence_signal")].median);
    bench_ratio_line("O(1)   fence poll, 4096 live / 1 live",
                     st[bench_index("fence_poll_full")].median,
                     st[bench_index("fence_poll")].median);

    /* Least-squares line net = icpt + slope * members through the medians. */
    w[0] = bench_index("waitset_poll_1");
    w[1] = bench_index("waitset_poll_4");
    w[2] = bench_index("waitset_poll_16");
    for (k = 0; k < BENCH_WS_SIZES; k++) {
        double x = bench_ws_members[k], y = st[w[k]].median - st[e].median;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    slope = (BENCH_WS_SIZES * sxy - sx * sy) / (BENCH_WS_SIZES * sxx - sx * sx);
    icpt = (sy - slope * sx) / BENCH_WS_SIZES;
    for (k = 0; k < BENCH_WS_SIZES; k++) {
        double y = st[w[k]].median - st[e].median;
        double f = icpt + slope * bench_ws_members[k];
        ss_tot += (y - sy / BENCH_WS_SIZES) * (y - sy / BENCH_WS_SIZES);
        ss_res += (y - f) * (y - f);
    }
    bench_ratio_line("O(m)   waitset poll, 4 / 1 members", st[w[1]].median, st[w[0]].median);
    bench_ratio_line("O(m)   waitset poll, 16 / 1 members", st[w[2]].median, st[w[0]].median);
    printf("  O(m)   waitset poll net ns = %.2f + %.2f * members (least squares, R^2 %.4f)\n\n",
           icpt, slope, ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0);
}

static int bench_timed(struct bench *b, uint64_t iters, unsigned reps)
{
    static double samples[BENCH_NKERNELS][256];
    struct stats st[BENCH_NKERNELS];
    unsigned long allocs = 0;
    int r, failed = 0;
    size_t i, k;
#if BENCH_MALLINFO
    struct mallinfo2 mi0, mi1;
#endif

    bench_print_header(iters, reps);
    fflush(stdout); /* stdio allocates its buffer now, not in a measured loop */
    bench_setup(b, bench_need_all());
#if BENCH_MALLINFO
    mi0 = mallinfo2();
#endif
    /* r == -1 is the warm-up round; odd rounds run the kernels backwards. */
    for (r = -1; r < (int)reps; r++) {
        for (i = 0; i < BENCH_NKERNELS; i++) {
            const struct kernel *kn;
            unsigned long a0;
            uint64_t t0, t1;
            int rc;

            k = (r & 1) ? BENCH_NKERNELS - 1 - i : i;
            kn = &bench_kernels[k];
            a0 = bench_allocs();
            t0 = bench_now_ns();
            rc = kn->run(b, kn->arg, iters);
            t1 = bench_now_ns();
            allocs += bench_allocs() - a0;
            if (rc != 0 && !failed) {
                fprintf(stderr, "bench_core: kernel %s: an operation failed\n", kn->name);
                failed = 1;
            }
            if (r >= 0)
                samples[k][r] = (double)(t1 - t0) / (double)iters;
        }
    }
#if BENCH_MALLINFO
    mi1 = mallinfo2();
#endif
    if (failed)
        return 1;
    for (k = 0; k < BENCH_NKERNELS; k++)
        st[k] = bench_stats(samples[k], reps);
    bench_report(st);

#if BENCH_MALLINFO
    printf("heap (mallinfo2) across the measured phase: arena %+lld bytes, in use %+lld bytes\n",
           (long long)mi1.arena - (long long)mi0.arena,
           (long long)mi1.uordblks - (long long)mi0.uordblks);
#endif
    if (!BENCH_COUNT_ALLOCS)
        printf("allocations during measured loops: not counted (%s)\n",
               BENCH_SANITIZED ? "sanitizer build" : "needs glibc");
    else if (allocs == 0)
        printf("allocations during measured loops: 0\n");
    else
        printf("allocations during measured loops: %lu (malloc/calloc/realloc calls)\n", allocs);
    return 0;
}

/* Every kernel once, untimed; count allocations per kernel. */
static int bench_count_allocs(struct bench *b, uint64_t iters)
{
    unsigned long total = 0;
    size_t k;
    int failed = 0;

    if (!BENCH_COUNT_ALLOCS) {
        printf("allocations: not counted (%s)\n",
               BENCH_SANITIZED ? "sanitizer build" : "needs glibc");
        return 1;
    }
    printf("allocation calls (malloc, calloc, realloc) per kernel, %llu ops each:\n",
           (unsigned long long)iters);
    fflush(stdout);
    bench_setup(b, bench_need_all());
    for (k = 0; k < BENCH_NKERNELS; k++) {
        unsigned long before = bench_allocs(), n;
        int rc = bench_kernels[k].run(b, bench_kernels[k].arg, iters);

        n = bench_allocs() - before;
        total += n;
        if (rc != 0)
            failed = 1;
        printf("  %-26s %lu%s\n", bench_kernels[k].name, n, rc != 0 ? "  (operation failed)" : "");
    }
    if (total == 0)
        printf("allocations during measured loops: 0\n");
    else
        printf("allocations during measured loops: %lu\n", total);
    return total != 0 || failed;
}

static int bench_callgrind(struct bench *b, const char *name, const char *iter_s)
{
    const struct kernel *k = bench_kernel_find(name);
    char *end;
    unsigned long long iters;

    if (k == NULL) {
        fprintf(stderr, "bench_core: unknown kernel '%s' (see --list-kernels)\n", name);
        return 2;
    }
    iters = strtoull(iter_s, &end, 10);
    if (*iter_s == '\0' || *end != '\0') {
        fprintf(stderr, "bench_core: bad ITER '%s'\n", iter_s);
        return 2;
    }
    bench_setup(b, k->need);
    if (k->run(b, k->arg, iters) != 0) {
        fprintf(stderr, "bench_core: kernel %s: an operation failed\n", name);
        return 1;
    }
    return 0;
}

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: bench_core [--iters=N] [--reps=R]\n"
               "       bench_core --count-allocs [--iters=N]\n"
               "       bench_core --callgrind-kernel=NAME ITER\n"
               "       bench_core --list-kernels\n");
}

static int bench_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct bench *b = &bench_state;
    uint64_t iters = 1u << 20, reps = 15;
    int count_allocs = 0;
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strncmp(a, "--callgrind-kernel=", 19) == 0) {
            if (i + 1 >= argc) {
                bench_usage(stderr);
                return 2;
            }
            return bench_callgrind(b, a + 19, argv[i + 1]);
        } else if (strcmp(a, "--list-kernels") == 0) {
            size_t k;
            for (k = 0; k < BENCH_NKERNELS; k++)
                printf("%s\n", bench_kernels[k].name);
            return 0;
        } else if (strcmp(a, "--count-allocs") == 0) {
            count_allocs = 1;
        } else if (strncmp(a, "--iters=", 8) == 0) {
            if (bench_parse_u64(a + 8, 1, UINT64_MAX / 2, &iters) != 0) {
                bench_usage(stderr);
                return 2;
            }
        } else if (strncmp(a, "--reps=", 7) == 0) {
            if (bench_parse_u64(a + 7, 1, 255, &reps) != 0) {
                bench_usage(stderr);
                return 2;
            }
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            bench_usage(stdout);
            return 0;
        } else {
            bench_usage(stderr);
            return 2;
        }
    }
    if (count_allocs)
        return bench_count_allocs(b, iters);
    return bench_timed(b, iters, (unsigned)reps);
}

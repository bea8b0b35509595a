/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_e2e: end-to-end 4 KiB block reads through the whole chain, single
 * thread, queue depth 32: a client's wire frame -> dk_svc_submit (parse,
 * checks, ticket, pins) -> virtio-blk requests on the split ring -> the host
 * backend's simulated disk (legacy layout, zero latency) copies 4 KiB per
 * request -> used ring -> harvest and validation -> ticket resolved -> fence
 * signalled from the retire watermark -> the client polls its fence.
 *
 * A frame carries K reads (K READ commands, K buffer refs, one fence
 * signal); K = 1 is one frame per read. Every read is its own virtio-blk
 * request (header, 4 KiB, status) whatever K is, and 32 reads are in
 * flight (32 / K frames). The floor is a plain 4 KiB memcpy over the same
 * working set (the simulated disk into the client's buffer, 1 MiB each),
 * timed in the same rounds.
 *
 *   bench_e2e [--reads=N] [--reps=R] [--batch=K]   timed; without --batch a
 *                                                  table for K = 1 4 8 16 32
 *   bench_e2e --callgrind=N [--batch=K]            N reads, untimed
 *   bench_e2e --copy --callgrind=N                 N memcpy of 4 KiB (the floor)
 *
 * Not a test: prints what it measured; exits nonzero only if a read failed,
 * data did not match, or an allocation happened after setup.
 */
#define _GNU_SOURCE /* __libc_malloc for the allocation counter */

#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/host_sim.h>
#include <driverkit/service.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QD 32u /* reads in flight */
#define BLOCK 4096u
#define WORKSET (1u << 20)
#define CLIENT 7u

/* ---- allocation counter: the measured phase must allocate nothing ------ */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static atomic_ulong allocs;
void *malloc(size_t n)
{
    atomic_fetch_add(&allocs, 1);
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    atomic_fetch_add(&allocs, 1);
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    atomic_fetch_add(&allocs, 1);
    return __libc_realloc(p, n);
}
#define ALLOCS() atomic_load(&allocs)
#define ALLOCS_COUNTED 1
#else
#define ALLOCS() 0ul
#define ALLOCS_COUNTED 0
#endif

static struct {
    struct dk_host host;
    struct dk_sim_dev sim;
    struct dk_ledger ledger;
    struct dk_client clients[1];
    struct dk_fence_table fences;
    struct dk_fence fslots[4];
    struct dk_buf_table bufs;
    struct dk_buf bslots[4];
    struct dk_device dev;
    struct dk_svc svc;
    struct dk_frame frame;
    uint8_t wire[4096];
    size_t wire_len;
    uint16_t slot;
    uint32_t buf, fence;
    uint8_t *va;
    uint64_t signalled;
} B;

static uint8_t arena[8u << 20];
static uint8_t disk[WORKSET];
static unsigned batch = 1; /* reads per frame: 1..QD, a divisor of QD */

static int setup(void)
{
    struct dk_limits lim = {{16u << 20, 4, 64, 4, 8}};
    struct dk_sim_cfg sc;
    struct dk_fence_cfg fc;
    struct dk_buf_cfg bc;
    struct dk_svc_cfg cfg;
    void *va;
    int rc = 0;
    uint32_t i;

    for (i = 0; i < WORKSET; i++)
        disk[i] = (uint8_t)(i * 31u + 7u);
    rc |= dk_host_init(&B.host, arena, sizeof(arena), 1000);
    memset(&sc, 0, sizeof(sc));
    sc.kind = DK_SIM_BLK;
    sc.version = 1;
    sc.cap = 1;
    sc.phys = 0x10008000;
    sc.irq = 8;
    sc.seed = 1;
    sc.disk = disk;
    sc.disk_bytes = sizeof(disk);
    rc |= dk_sim_init(&B.sim, &B.host, &sc);
    rc |= dk_host_grant(&B.host, 1);
    rc |= dk_ledger_init(&B.ledger, B.clients, 1, &lim, NULL, NULL);
    rc |= dk_ledger_client_add(&B.ledger, CLIENT, &lim, &B.slot, NULL);
    memset(&fc, 0, sizeof(fc));
    fc.nslots = 4;
    fc.max_jump = 1u << 20;
    fc.max_wait_ns = 1000000000;
    fc.waiters_per_fence = 4;
    fc.ledger = &B.ledger;
    fc.backend = dk_host_backend(&B.host);
    rc |= dk_fence_table_init(&B.fences, &fc, B.fslots, sizeof(B.fslots), NULL);
    memset(&bc, 0, sizeof(bc));
    bc.nslots = 4;
    bc.max_size = WORKSET;
    bc.ledger = &B.ledger;
    bc.backend = dk_host_backend(&B.host);
    rc |= dk_buf_table_init(&B.bufs, &bc, B.bslots, sizeof(B.bslots), NULL);
    rc |= dk_device_init(&B.dev, 1, NULL);
    memset(&cfg, 0, sizeof(cfg));
    cfg.kind = DK_SVC_BLK;
    cfg.be = dk_host_backend(&B.host);
    cfg.cap = 1;
    cfg.irq = 8;
    cfg.vq_size = 128; /* room for 32 chains of 3 descriptors */
    cfg.ledger = &B.ledger;
    cfg.fences = &B.fences;
    cfg.bufs = &B.bufs;
    cfg.device = &B.dev;
    cfg.queue_capacity = 64;
    cfg.deadline_ns = 1000000000;
    if (rc != DK_OK || dk_svc_init(&B.svc, &cfg, NULL) != DK_OK)
        return -1;
    /* One 1 MiB destination buffer: read i lands at (i % 256) * 4 KiB. */
    rc |= dk_buf_create(&B.bufs, B.slot, WORKSET, DK_BUF_RIGHTS_ALL, &B.buf, NULL);
    rc |= dk_fence_create(&B.fences, B.slot, &B.fence, NULL);
    rc |= dk_buf_map(&B.bufs, B.slot, B.buf, DK_MAP_READ | DK_MAP_WRITE, &va, NULL);
    B.va = va;
    return rc == DK_OK ? 0 : -1;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The client side: a frame of @batch READs, read j of it fetching block
 * (first + j) % 256 into that block's 4 KiB of the buffer, signalling the
 * fence to @value. Building and encoding are the client's cost, kept in. */
static int submit_frame(uint64_t first, uint64_t value)
{
    unsigned j;

    (void)dk_frame_init(&B.frame, DK_QOS_NORMAL, 0);
    for (j = 0; j < batch; j++) {
        uint32_t blk = (uint32_t)((first + j) % (WORKSET / BLOCK));
        uint8_t p[16] = {0};

        (void)dk_frame_add_buf(&B.frame, B.buf, DK_BUF_WRITE, (uint64_t)blk * BLOCK, BLOCK);
        put32(p, blk * (BLOCK / 512u));
        put32(p + 8, j); /* buffer ref j */
        (void)dk_frame_add_cmd(&B.frame, DK_SVC_OP_BLK_READ, p, sizeof(p));
    }
    (void)dk_frame_add_signal(&B.frame, B.fence, value);
    if (dk_wire_encode(&B.frame, B.wire, sizeof(B.wire), &B.wire_len, NULL) != DK_OK)
        return -1;
    return dk_svc_submit(&B.svc, CLIENT, B.wire, B.wire_len, NULL, NULL) == DK_OK ? 0 : -1;
}

/* @n reads (a multiple of batch) with QD reads in flight; 0 if every frame
 * resolved OK. */
static int run_reads(uint64_t n)
{
    uint64_t frames = n / batch, submitted = 0, base = B.signalled;

    while (B.signalled < base + frames) {
        while (submitted < frames && (submitted - (B.signalled - base)) * batch < QD) {
            if (submit_frame(submitted * batch, base + submitted + 1) != 0)
                return -1;
            submitted++;
        }
        /* The simulated disk completes at "now": fire it, then pump. */
        (void)dk_host_advance(&B.host, 0);
        (void)dk_svc_pump(&B.svc, DK_EVENT_IRQ);
        /* The client polls its fence: values follow the retire watermark. */
        while (dk_fence_poll(&B.fences, B.slot, B.fence, B.signalled + 1, NULL) == DK_OK)
            B.signalled++;
    }
    return B.svc.stats.outcomes[DK_OUTCOME_OK] == B.svc.stats.resolved ? 0 : -1;
}

/* The floor: the same 4 KiB copies over the same bytes, disk to buffer. */
static void run_copy(uint64_t n)
{
    uint64_t i;
    for (i = 0; i < n; i++) {
        uint32_t off = (uint32_t)(i % (WORKSET / BLOCK)) * BLOCK;
        memcpy(B.va + off, disk + off, BLOCK);
        atomic_signal_fence(memory_order_seq_cst);
    }
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct row {
    unsigned batch;
    double e2e[3], cp; /* median, min, max ns per read; memcpy median */
};

/* Timed rounds for the current batch: one warm-up (checked), then @reps
 * rounds of @reads reads followed by @reads copies. */
static int measure(uint64_t reads, unsigned reps, struct row *out)
{
    double e2e[32], cp[32];
    unsigned r;

    memset(B.va, 0, WORKSET);
    if (run_reads(QD * (WORKSET / BLOCK / QD) * 4u) != 0 || memcmp(B.va, disk, WORKSET) != 0) {
        fprintf(stderr, "bench_e2e: reads failed or data differs (batch %u)\n", batch);
        return -1;
    }
    run_copy(1024);
    for (r = 0; r < reps; r++) {
        double t0 = now_ns();
        if (run_reads(reads) != 0)
            return -1;
        e2e[r] = (now_ns() - t0) / (double)reads;
        t0 = now_ns();
        run_copy(reads);
        cp[r] = (now_ns() - t0) / (double)reads;
    }
    qsort(e2e, reps, sizeof(double), cmp_double);
    qsort(cp, reps, sizeof(double), cmp_double);
    out->batch = batch;
    out->e2e[0] = e2e[reps / 2];
    out->e2e[1] = e2e[0];
    out->e2e[2] = e2e[reps - 1];
    out->cp = cp[reps / 2];
    return 0;
}

int main(int argc, char **argv)
{
    static const unsigned batches[] = {1, 4, 8, 16, 32};
    uint64_t reads = 1u << 16, cg = 0;
    unsigned reps = 9, nb = 0, b, only = 0;
    int copy = 0, i;
    struct row rows[5];
    unsigned long a0, a1;

    for (i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--reads=", 8) == 0)
            reads = strtoull(argv[i] + 8, NULL, 0);
        else if (strncmp(argv[i], "--reps=", 7) == 0)
            reps = (unsigned)strtoul(argv[i] + 7, NULL, 0);
        else if (strncmp(argv[i], "--batch=", 8) == 0)
            only = (unsigned)strtoul(argv[i] + 8, NULL, 0);
        else if (strncmp(argv[i], "--callgrind=", 12) == 0)
            cg = strtoull(argv[i] + 12, NULL, 0);
        else if (strcmp(argv[i], "--copy") == 0)
            copy = 1;
        else {
            fprintf(stderr, "usage: bench_e2e [--reads=N] [--reps=R] [--batch=K] "
                            "[--callgrind=N [--copy]]\n");
            return 2;
        }
    }
    if (only != 0 && (only > QD || QD % only != 0)) {
        fprintf(stderr, "bench_e2e: --batch must divide %u\n", QD);
        return 2;
    }
    batch = only != 0 ? only : 1;
    if (reads == 0 || reads % QD != 0 || reps == 0 || reps > 32) {
        fprintf(stderr, "bench_e2e: reads a positive multiple of %u, reps 1..32\n", QD);
        return 2;
    }
    if (setup() != 0) {
        fprintf(stderr, "bench_e2e: setup failed\n");
        return 1;
    }
    if (cg != 0) {
        if (copy)
            run_copy(cg);
        else if (cg % batch != 0 || run_reads(cg) != 0)
            return 1;
        return 0;
    }
    a0 = ALLOCS();
    for (b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        if (only != 0 && batches[b] != only)
            continue;
        batch = batches[b];
        if (measure(reads, reps, &rows[nb]) != 0)
            return 1;
        nb++;
    }
    if (only != 0 && nb == 0) {
        batch = only;
        if (measure(reads, reps, &rows[nb]) != 0)
            return 1;
        nb++;
    }
    a1 = ALLOCS();
    printf("end-to-end 4 KiB blk reads, %u in flight, 1 MiB working set, %llu reads x %u reps "
           "per row\n",
           QD, (unsigned long long)reads, reps);
    printf("%-15s %10s %8s %8s %7s %12s %9s\n", "reads/frame", "median ns", "min", "max", "GB/s",
           "memcpy ns", "rate/cpy");
    for (b = 0; b < nb; b++)
        printf("%-15u %10.1f %8.1f %8.1f %7.2f %12.1f %8.1f%%\n", rows[b].batch, rows[b].e2e[0],
               rows[b].e2e[1], rows[b].e2e[2], BLOCK / rows[b].e2e[0], rows[b].cp,
               100.0 * rows[b].cp / rows[b].e2e[0]);
    printf("rate/cpy: the memcpy median over the end-to-end median, same rounds "
           "(target >= 50%%)\n");
    printf("device requests %llu, resets %llu, rejected %llu\n",
           (unsigned long long)B.svc.stats.device_requests, (unsigned long long)B.svc.stats.resets,
           (unsigned long long)(B.svc.stats.submitted - B.svc.stats.resolved));
    if (ALLOCS_COUNTED)
        printf("heap allocations during the measured phase: %lu\n", a1 - a0);
    else
        printf("heap allocations: not counted in this build (sanitizer or non-glibc)\n");
    return a1 != a0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dk_demo: the main job. Two DriverKit device services run on the
 * deterministic host backend: one drives a simulated virtio-blk disk (legacy
 * register layout, as QEMU defaults to), the other the simulated copy/fill/
 * checksum accelerator (modern layout). Three clients, identified only by
 * their transport ids, submit wire frames with fences and wait on them and
 * on waitsets; one client floods the accelerator to show backpressure; the
 * disk then returns a hostile used-ring entry, the service faults and resets
 * it, and work goes on. Every line printed reports what the library answered.
 *
 *   dk_demo [--seed N] [--trace FILE] [--help]
 */
#include <driverkit/driverkit.h>
#include <driverkit/host.h>
#include <driverkit/host_sim.h>
#include <driverkit/service.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCLIENTS 3
#define BUF_BYTES (16u << 10)
#define DEADLINE_NS 2000000ull

static const uint32_t client_ids[NCLIENTS] = {101, 102, 103};

static struct {
    struct dk_host host;
    struct dk_sim_dev sim_blk, sim_acc;
    struct dk_ledger ledger;
    struct dk_client clients[NCLIENTS];
    struct dk_fence_table fences;
    struct dk_fence fslots[32];
    struct dk_buf_table bufs;
    struct dk_buf bslots[32];
    struct dk_device dev_blk, dev_acc;
    struct dk_svc blk, acc;
    struct dk_frame frame;
    uint8_t wire[DK_WIRE_FRAME_MAX];
    uint16_t slot[NCLIENTS];
    uint32_t src[NCLIENTS], dst[NCLIENTS], fence[NCLIENTS];
    uint8_t *src_va[NCLIENTS], *dst_va[NCLIENTS];
    uint64_t next_value[NCLIENTS];
    uint64_t seed;
    uint32_t waits_ok, waits_timed_out, waits_failed, audits;
    FILE *trace;
    int trace_first;
} W;

static uint8_t arena[8u << 20];
static uint8_t disk[1u << 20];

static uint64_t rnd(void)
{
    /* splitmix64: every choice of the demo comes from --seed. */
    uint64_t z = (W.seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- Chrome/Perfetto trace (JSON array format) ----------------------------- */

static void trace_event(const char *fmt, ...)
{
    va_list ap;

    if (W.trace == NULL)
        return;
    fputs(W.trace_first ? "\n" : ",\n", W.trace);
    W.trace_first = 0;
    va_start(ap, fmt);
    vfprintf(W.trace, fmt, ap);
    va_end(ap);
}

static void on_trace(void *arg, unsigned kind, uint64_t now, uint64_t a, uint64_t b, uint64_t c)
{
    const char *dev = arg;
    double us = (double)now / 1000.0;

    switch (kind) {
    case DK_TRACE_SUBMIT:
        trace_event("{\"name\":\"%s ticket %" PRIu64 "\",\"cat\":\"%s\",\"ph\":\"b\",\"id\":\"%s%" PRIu64
                    "\",\"ts\":%.3f,\"pid\":1,\"tid\":%" PRIu64 ",\"args\":{\"client\":%" PRIu64
                    ",\"qos\":%" PRIu64 "}}",
                    dev, a, dev, dev, a, us, b, b, c);
        break;
    case DK_TRACE_RESOLVE:
        trace_event("{\"name\":\"%s ticket %" PRIu64 "\",\"cat\":\"%s\",\"ph\":\"e\",\"id\":\"%s%" PRIu64
                    "\",\"ts\":%.3f,\"pid\":1,\"tid\":%" PRIu64 ",\"args\":{\"outcome\":\"%s\"}}",
                    dev, a, dev, dev, a, us, b, dk_outcome_str((int)c));
        break;
    case DK_TRACE_DEPTH:
        trace_event("{\"name\":\"%s queue depth\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":1,"
                    "\"args\":{\"tickets\":%" PRIu64 "}}",
                    dev, us, a);
        break;
    case DK_TRACE_REJECT:
        trace_event("{\"name\":\"%s reject %s\",\"ph\":\"i\",\"s\":\"p\",\"ts\":%.3f,\"pid\":1,"
                    "\"tid\":%" PRIu64 "}",
                    dev, dk_status_str((int)c), us, b);
        break;
    case DK_TRACE_RESET:
        trace_event("{\"name\":\"%s reset, epoch %" PRIu64 "\",\"ph\":\"i\",\"s\":\"g\","
                    "\"ts\":%.3f,\"pid\":1}",
                    dev, a, us);
        break;
    case DK_TRACE_KILL:
        trace_event("{\"name\":\"%s kill client %" PRIu64 "\",\"ph\":\"i\",\"s\":\"g\","
                    "\"ts\":%.3f,\"pid\":1}",
                    dev, b, us);
        break;
    default: /* START: the ticket's span already shows it */
        break;
    }
}

static void on_audit(void *arg, const struct dk_audit_event *ev)
{
    static const char *const names[] = {
        "?", "client added", "client removed", "device fault", "reset begins", "reset ends",
        "tickets resolved in bulk", "fence failed", "buffer reclaimed", "client killed",
        "stale epoch ignored", "ticket timeout", "progress probe", "guilty client", "device online"};
    const char *n = ev->kind < DK_ARRAY_LEN(names) ? names[ev->kind] : "?";

    (void)arg;
    W.audits++;
    /* Audit events carry ids and codes only: print them as such. */
    printf("    audit: %s (client %" PRIu32 ", %s, %s, object %" PRIu64 ", count %" PRIu64
           ", epoch %" PRIu64 ")\n",
           n, ev->client, dk_status_str(ev->status), dk_reason_str((int)ev->reason), ev->object,
           ev->count, ev->epoch);
}

/* ---- building and submitting frames ------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int send(struct dk_svc *svc, int c, const char *what)
{
    enum dk_reason why = DK_R_NONE;
    uint64_t ticket = 0;
    size_t len = 0;
    int rc = dk_wire_encode(&W.frame, W.wire, sizeof(W.wire), &len, &why);

    if (rc == DK_OK)
        rc = dk_svc_submit(svc, client_ids[c], W.wire, len, &ticket, &why);
    if (rc == DK_OK)
        printf("  client %" PRIu32 " %-34s -> ticket %" PRIu64 "\n", client_ids[c], what, ticket);
    else
        printf("  client %" PRIu32 " %-34s -> %s (%s)\n", client_ids[c], what, dk_status_str(rc),
               dk_reason_str(why));
    return rc;
}

/* A block write or read of @sectors sectors at @sector, signalling the
 * client's fence to its next value, after waiting for @wait_value. */
static int blk_io(int c, uint16_t op, uint64_t sector, uint32_t bytes, uint64_t wait_value)
{
    uint8_t p[16] = {0};
    char what[64];

    (void)dk_frame_init(&W.frame, DK_QOS_NORMAL, 0);
    (void)dk_frame_add_buf(&W.frame, op == DK_SVC_OP_BLK_WRITE ? W.src[c] : W.dst[c],
                           op == DK_SVC_OP_BLK_WRITE ? DK_BUF_READ : DK_BUF_WRITE, 0, bytes);
    put32(p, (uint32_t)sector);
    put32(p + 4, (uint32_t)(sector >> 32));
    (void)dk_frame_add_cmd(&W.frame, op, p, sizeof(p));
    if (wait_value != 0)
        (void)dk_frame_add_wait(&W.frame, W.fence[c], wait_value);
    (void)dk_frame_add_signal(&W.frame, W.fence[c], W.next_value[c] + 1);
    snprintf(what, sizeof(what), "blk %s %u B at sector %" PRIu64,
             op == DK_SVC_OP_BLK_WRITE ? "write" : "read", bytes, sector);
    if (send(&W.blk, c, what) != DK_OK)
        return -1;
    W.next_value[c]++;
    return 0;
}

static int accel_op(int c, uint16_t op, uint32_t bytes, uint32_t value, unsigned qos, int sig)
{
    uint8_t p[8] = {0};
    char what[64];

    (void)dk_frame_init(&W.frame, qos, 0);
    (void)dk_frame_add_buf(&W.frame, W.src[c], DK_BUF_READ, 0, bytes);
    (void)dk_frame_add_buf(&W.frame, W.dst[c], DK_BUF_WRITE, 0, bytes);
    if (op == DK_SVC_OP_COPY) {
        put32(p, 0);
        put32(p + 4, 1);
    } else if (op == DK_SVC_OP_FILL) {
        put32(p, 1);
        put32(p + 4, value);
    } else {
        put32(p, 0);
    }
    (void)dk_frame_add_cmd(&W.frame, op, p, sizeof(p));
    if (sig)
        (void)dk_frame_add_signal(&W.frame, W.fence[c], W.next_value[c] + 1);
    snprintf(what, sizeof(what), "accel %s %u B (qos %u)",
             op == DK_SVC_OP_COPY ? "copy" : op == DK_SVC_OP_FILL ? "fill" : "csum", bytes, qos);
    if (send(&W.acc, c, what) != DK_OK)
        return -1;
    if (sig)
        W.next_value[c]++;
    return 0;
}

/* Waiting on the client side: both services make progress while it blocks. */
static int pump_both(void *arg, uint32_t events)
{
    (void)arg;
    (void)dk_svc_pump(&W.blk, events);
    (void)dk_svc_pump(&W.acc, events);
    return DK_OK;
}

/* ... and each service's deadlines keep its escalation ladder moving. */
static uint64_t wake_both(void *arg)
{
    uint64_t a = dk_svc_next_wake(&W.blk), b = dk_svc_next_wake(&W.acc);

    (void)arg;
    return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

static const struct dk_pump pump = {pump_both, NULL, wake_both};

static void wait_fence(int c, uint64_t target, uint64_t budget_ns)
{
    enum dk_reason why;
    uint64_t now = dk_host_now(&W.host);
    int rc = dk_fence_wait(&W.fences, W.slot[c], W.fence[c], target, now + budget_ns, &pump, &why);

    if (rc == DK_OK)
        W.waits_ok++;
    else if (rc == DK_E_TIMED_OUT)
        W.waits_timed_out++;
    else
        W.waits_failed++;
    printf("  client %" PRIu32 " waits for its fence >= %" PRIu64 " (budget %" PRIu64
           " ns) -> %s at t=%" PRIu64 " ns\n",
           client_ids[c], target, budget_ns, dk_status_str(rc), dk_host_now(&W.host));
}

/* ---- setup ---------------------------------------------------------------- */

static int setup(void)
{
    struct dk_limits global = {{1u << 22, 32, 64, 32, 32}};
    struct dk_limits each = {{1u << 20, 4, 12, 4, 8}};
    struct dk_audit audit = {on_audit, NULL};
    struct dk_sim_cfg sc;
    struct dk_fence_cfg fc;
    struct dk_buf_cfg bc;
    struct dk_svc_cfg cfg;
    enum dk_reason why = DK_R_NONE;
    int c, rc = 0;

    rc |= dk_host_init(&W.host, arena, sizeof(arena), 1000);
    memset(&sc, 0, sizeof(sc));
    sc.kind = DK_SIM_BLK;
    sc.version = 1; /* legacy layout, as QEMU starts virtio-mmio */
    sc.cap = 1;
    sc.phys = 0x10008000;
    sc.irq = 8;
    sc.seed = W.seed;
    sc.latency_ns = 20000;
    sc.jitter_ns = 15000;
    sc.disk = disk;
    sc.disk_bytes = sizeof(disk);
    rc |= dk_sim_init(&W.sim_blk, &W.host, &sc);
    sc.kind = DK_SIM_ACCEL;
    sc.version = 2;
    sc.cap = 2;
    sc.phys = 0x10007000;
    sc.irq = 7;
    sc.seed = W.seed ^ 0x5a5a;
    sc.disk = NULL;
    sc.disk_bytes = 0;
    rc |= dk_sim_init(&W.sim_acc, &W.host, &sc);
    /* SECURITY: the services may map only the windows granted to them. */
    rc |= dk_host_grant(&W.host, 1);
    rc |= dk_host_grant(&W.host, 2);
    rc |= dk_ledger_init(&W.ledger, W.clients, NCLIENTS, &global, &audit, NULL);
    for (c = 0; c < NCLIENTS; c++)
        rc |= dk_ledger_client_add(&W.ledger, client_ids[c], &each, &W.slot[c], NULL);
    memset(&fc, 0, sizeof(fc));
    fc.nslots = 32;
    fc.max_jump = 1u << 16;
    fc.max_wait_ns = 100000000;
    fc.waiters_per_fence = 8;
    fc.ledger = &W.ledger;
    fc.backend = dk_host_backend(&W.host);
    fc.audit = audit;
    rc |= dk_fence_table_init(&W.fences, &fc, W.fslots, sizeof(W.fslots), NULL);
    memset(&bc, 0, sizeof(bc));
    bc.nslots = 32;
    bc.max_size = 1u << 20;
    bc.ledger = &W.ledger;
    bc.backend = dk_host_backend(&W.host);
    rc |= dk_buf_table_init(&W.bufs, &bc, W.bslots, sizeof(W.bslots), NULL);
    rc |= dk_device_init(&W.dev_blk, 1, &audit);
    rc |= dk_device_init(&W.dev_acc, 2, &audit);
    if (rc != DK_OK)
        return -1;

    memset(&cfg, 0, sizeof(cfg));
    cfg.kind = DK_SVC_BLK;
    cfg.be = dk_host_backend(&W.host);
    cfg.cap = 1;
    cfg.irq = 8;
    cfg.vq_size = 32;
    cfg.ledger = &W.ledger;
    cfg.fences = &W.fences;
    cfg.bufs = &W.bufs;
    cfg.device = &W.dev_blk;
    cfg.queue_capacity = 16;
    cfg.deadline_ns = DEADLINE_NS;
    cfg.audit = audit;
    cfg.trace.fn = on_trace;
    cfg.trace.arg = (void *)"blk";
    rc = dk_svc_init(&W.blk, &cfg, &why);
    if (rc != DK_OK) {
        fprintf(stderr, "dk_demo: blk service: %s (%s)\n", dk_status_str(rc), dk_reason_str(why));
        return -1;
    }
    cfg.kind = DK_SVC_ACCEL;
    cfg.cap = 2;
    cfg.irq = 7;
    cfg.vq_size = 4; /* a small ring: commands wait for room (backpressure) */
    cfg.device = &W.dev_acc;
    cfg.queue_capacity = 8;
    cfg.inflight_cap = 6;
    cfg.qos_depth[DK_QOS_IDLE] = 2;
    cfg.trace.arg = (void *)"accel";
    rc = dk_svc_init(&W.acc, &cfg, &why);
    if (rc != DK_OK) {
        fprintf(stderr, "dk_demo: accel service: %s (%s)\n", dk_status_str(rc), dk_reason_str(why));
        return -1;
    }
    for (c = 0; c < NCLIENTS; c++) {
        void *va;
        rc |= dk_buf_create(&W.bufs, W.slot[c], BUF_BYTES, DK_BUF_RIGHTS_ALL, &W.src[c], NULL);
        rc |= dk_buf_create(&W.bufs, W.slot[c], BUF_BYTES, DK_BUF_RIGHTS_ALL, &W.dst[c], NULL);
        rc |= dk_fence_create(&W.fences, W.slot[c], &W.fence[c], NULL);
        rc |= dk_buf_map(&W.bufs, W.slot[c], W.src[c], DK_MAP_READ | DK_MAP_WRITE, &va, NULL);
        W.src_va[c] = va;
        rc |= dk_buf_map(&W.bufs, W.slot[c], W.dst[c], DK_MAP_READ | DK_MAP_WRITE, &va, NULL);
        W.dst_va[c] = va;
    }
    return rc == DK_OK ? 0 : -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: dk_demo [--seed N] [--trace FILE] [--help]\n"
               "  --seed N      seed of every choice: device latencies, data, which client\n"
               "                floods (default 1); the same seed gives the same run\n"
               "  --trace FILE  write a Chrome/Perfetto trace (JSON) of tickets, queue depth,\n"
               "                rejections, resets; open it in ui.perfetto.dev or chrome://tracing\n"
               "  --help        print this text\n");
}

int main(int argc, char **argv)
{
    const char *trace_path = NULL;
    uint64_t used[DK_RES_COUNT];
    struct dk_waitset ws;
    uint32_t idx = 0;
    int i, c, rc, fails = 0;

    W.seed = 1;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            W.seed = strtoull(argv[++i], &end, 0);
            if (errno != 0 || *end != '\0' || argv[i][0] == '\0') {
                fprintf(stderr, "dk_demo: --seed needs a number, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc) {
            trace_path = argv[++i];
        } else {
            fprintf(stderr, "dk_demo: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (trace_path != NULL) {
        W.trace = fopen(trace_path, "w");
        if (W.trace == NULL) {
            fprintf(stderr, "dk_demo: cannot write '%s': %s\n", trace_path, strerror(errno));
            return 2;
        }
        fputs("[", W.trace);
        W.trace_first = 1;
    }
    printf("libdriverkit %" PRIu32 ".%" PRIu32 ".%" PRIu32 " device-service demo, seed %" PRIu64
           "\n",
           dk_version() >> 16, (dk_version() >> 8) & 0xffu, dk_version() & 0xffu, W.seed);
    if (setup() != 0) {
        fprintf(stderr, "dk_demo: setup failed\n");
        return 1;
    }
    for (c = 0; c < NCLIENTS; c++)
        for (i = 0; i < (int)BUF_BYTES; i++)
            W.src_va[c][i] = (uint8_t)rnd();

    printf("\n[1] each client writes its data to the disk and reads it back (read waits on write)\n");
    for (c = 0; c < NCLIENTS; c++) {
        uint64_t sector = (uint64_t)c * (BUF_BYTES / 512u);
        fails += blk_io(c, DK_SVC_OP_BLK_WRITE, sector, BUF_BYTES, 0) != 0;
        fails += blk_io(c, DK_SVC_OP_BLK_READ, sector, BUF_BYTES, W.next_value[c]) != 0;
    }
    for (c = 0; c < NCLIENTS; c++) {
        wait_fence(c, W.next_value[c], DEADLINE_NS);
        rc = memcmp(W.src_va[c], W.dst_va[c], BUF_BYTES) == 0;
        printf("  client %" PRIu32 " read back %u bytes: %s\n", client_ids[c], BUF_BYTES,
               rc ? "identical to what it wrote" : "DIFFERENT");
        fails += !rc;
    }

    printf("\n[2] accelerator work, then a waitset: any client's fence, then all of them\n");
    for (c = 0; c < NCLIENTS; c++)
        fails += accel_op(c, c == 1 ? DK_SVC_OP_FILL : DK_SVC_OP_COPY, 4096, 0xa5, DK_QOS_NORMAL,
                          1) != 0;
    /* Fences are private to their owner until granted: 102 and 103 let 101
     * wait on theirs (a fence of another client is otherwise NOT_FOUND). */
    for (c = 1; c < NCLIENTS; c++) {
        rc = dk_fence_grant(&W.fences, W.slot[c], W.fence[c], W.slot[0], DK_FENCE_RIGHT_WAIT,
                            NULL);
        printf("  client %" PRIu32 " grants client %" PRIu32 " WAIT on its fence -> %s\n",
               client_ids[c], client_ids[0], dk_status_str(rc));
    }
    (void)dk_waitset_init(&ws, &W.fences);
    for (c = 0; c < NCLIENTS; c++)
        (void)dk_waitset_add(&ws, W.fence[c], W.next_value[c], NULL);
    rc = dk_waitset_wait(&ws, W.slot[0], DK_WAIT_ANY, dk_host_now(&W.host) + DEADLINE_NS, &pump,
                         &idx, NULL);
    printf("  client %" PRIu32 " wait-any over 3 fences -> %s (member %" PRIu32 ") at t=%" PRIu64
           " ns\n",
           client_ids[0], dk_status_str(rc), idx, dk_host_now(&W.host));
    fails += rc != DK_OK;
    rc = dk_waitset_wait(&ws, W.slot[0], DK_WAIT_ALL, dk_host_now(&W.host) + DEADLINE_NS, &pump,
                         &idx, NULL);
    printf("  client %" PRIu32 " wait-all -> %s at t=%" PRIu64 " ns\n", client_ids[0],
           dk_status_str(rc), dk_host_now(&W.host));
    fails += rc != DK_OK;
    rc = memcmp(W.src_va[0], W.dst_va[0], 4096) == 0;
    printf("  client 101's copy on the accelerator: %s\n", rc ? "destination matches" : "DIFFERENT");
    fails += !rc;

    printf("\n[3] backpressure: client %" PRIu32 " floods the accelerator with idle work\n",
           client_ids[2]);
    for (i = 0; i < 8; i++)
        if (accel_op(2, DK_SVC_OP_CSUM, 1024u << (rnd() % 3), 0, DK_QOS_IDLE, 0) != 0 && i >= 3)
            break;
    printf("  the others still get in:\n");
    fails += accel_op(0, DK_SVC_OP_COPY, 2048, 0, DK_QOS_INTERACTIVE, 1) != 0;
    wait_fence(0, W.next_value[0], DEADLINE_NS);

    printf("\n[4] the disk turns hostile: its next used-ring entry names a descriptor "
           "out of range\n");
    (void)dk_sim_inject(&W.sim_blk, DK_SIM_FAULT_USED_ID_RANGE, 0);
    fails += blk_io(1, DK_SVC_OP_BLK_WRITE, 64, 4096, 0) != 0;
    wait_fence(1, W.next_value[1], DEADLINE_NS);
    printf("  blk resets so far: %" PRIu64 ", device epoch %" PRIu64 "\n", W.blk.stats.resets,
           W.dev_blk.epoch);
    /* A failed fence is terminal (its waiters were told, nothing hangs);
     * the client starts a new timeline, then writes again. */
    rc = dk_fence_destroy(&W.fences, W.slot[1], W.fence[1], NULL);
    if (rc == DK_OK)
        rc = dk_fence_create(&W.fences, W.slot[1], &W.fence[1], NULL);
    W.next_value[1] = 0;
    printf("  recovery: client %" PRIu32 " replaces its failed fence (%s) and writes again\n",
           client_ids[1], dk_status_str(rc));
    fails += rc != DK_OK;
    fails += blk_io(1, DK_SVC_OP_BLK_WRITE, 64, 4096, 0) != 0;
    wait_fence(1, W.next_value[1], DEADLINE_NS);

    printf("\n[5] a wait that cannot be met ends at its deadline on the virtual clock\n");
    wait_fence(2, W.next_value[2] + 5, 300000);

    printf("\n[6] drain\n");
    for (i = 0; i < 64 && (dk_svc_inflight(&W.blk) || dk_svc_inflight(&W.acc)); i++) {
        (void)dk_host_advance(&W.host, 50000);
        (void)pump_both(NULL, DK_EVENT_IRQ);
    }
    printf("  in flight: blk %" PRIu32 ", accel %" PRIu32 "\n", dk_svc_inflight(&W.blk),
           dk_svc_inflight(&W.acc));
    fails += dk_svc_inflight(&W.blk) != 0 || dk_svc_inflight(&W.acc) != 0;

    printf("\nsummary\n");
    {
        const struct dk_svc *svcs[2] = {&W.blk, &W.acc};
        const char *names[2] = {"blk", "accel"};
        int k;
        for (k = 0; k < 2; k++) {
            const struct dk_svc_stats *st = &svcs[k]->stats;
            printf("  %-5s submitted %" PRIu64 ", resolved %" PRIu64 " (ok %" PRIu64
                   ", device error %" PRIu64 ", reset %" PRIu64 ", timed out %" PRIu64
                   "), device requests %" PRIu64 ", resets %" PRIu64 "\n",
                   names[k], st->submitted, st->resolved, st->outcomes[DK_OUTCOME_OK],
                   st->outcomes[DK_OUTCOME_DEVICE_ERROR], st->outcomes[DK_OUTCOME_RESET],
                   st->outcomes[DK_OUTCOME_TIMED_OUT], st->device_requests, st->resets);
            for (i = 0; i < DK_STATUS_COUNT; i++)
                if (st->rejected[i] != 0)
                    printf("        rejected %s: %" PRIu64 "\n", dk_status_str(i), st->rejected[i]);
            fails += st->submitted != st->resolved;
        }
    }
    for (c = 0; c < NCLIENTS; c++) {
        uint64_t v = 0;
        int fst = DK_OK;
        (void)dk_fence_value(&W.fences, W.slot[c], W.fence[c], &v, &fst);
        (void)dk_ledger_usage(&W.ledger, W.slot[c], used);
        printf("  client %" PRIu32 ": fence at %" PRIu64 "%s%s, buffers %" PRIu64 " (%" PRIu64
               " bytes), in flight %" PRIu64 "\n",
               client_ids[c], v, fst != DK_OK ? ", failed with " : "",
               fst != DK_OK ? dk_status_str(fst) : "", used[DK_RES_BUFFERS], used[DK_RES_BYTES],
               used[DK_RES_INFLIGHT]);
    }
    printf("  fence waits: %" PRIu32 " ok, %" PRIu32 " timed out, %" PRIu32 " failed\n",
           W.waits_ok, W.waits_timed_out, W.waits_failed);
    rc = dk_ledger_check(&W.ledger);
    printf("  ledger invariant: %s; audit events: %" PRIu32 "; virtual time %" PRIu64 " ns\n",
           dk_status_str(rc), W.audits, dk_host_now(&W.host));
    fails += rc != DK_OK || W.blk.stats.resets != 1;
    if (W.trace != NULL) {
        fputs("\n]\n", W.trace);
        fails += fclose(W.trace) != 0;
        printf("  trace written to %s\n", trace_path);
    }
    printf("%s\n", fails == 0 ? "dk_demo: all checks passed" : "dk_demo: CHECKS FAILED");
    return fails == 0 ? 0 : 1;
}

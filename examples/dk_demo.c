/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dk_demo: the main job for now. Three clients submit work to one queue on
 * the deterministic host backend; a simulated device completes it out of
 * order at virtual times; completions resolve tickets and signal each
 * client's timeline fence; clients wait on fences and a waitset with
 * deadlines. Every line it prints reports a status the library returned.
 */
#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCLIENTS 3
#define QCAP 16

struct demo {
    struct dk_host host;
    struct dk_ledger ledger;
    struct dk_client clients[NCLIENTS];
    struct dk_queue queue;
    struct dk_queue_slot qslots[QCAP];
    struct dk_fence_table fences;
    struct dk_fence fslots[8];
    struct dk_buf_table bufs;
    struct dk_buf bslots[8];
    uint16_t slot[NCLIENTS];
    uint32_t fence[NCLIENTS];
    uint32_t buf[NCLIENTS];
    uint64_t fence_next[NCLIENTS]; /* next value each client's fence will reach */
    uint64_t seed;
    uint32_t submitted, completed, rejected[DK_STATUS_COUNT];
    uint32_t per_client_done[NCLIENTS];
    uint32_t audit_events;
};

static uint8_t arena[1u << 20];
static struct demo D;

struct job {
    uint64_t ticket;
    int client;
    uint64_t fence_value;
};
static struct job jobs[64];

static uint64_t demo_rand(void)
{
    /* splitmix64: the only source of "randomness", seeded by --seed. */
    uint64_t z = (D.seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void on_audit(void *arg, const struct dk_audit_event *ev)
{
    (void)arg;
    D.audit_events++;
    printf("  audit: kind=%" PRIu32 " client=%" PRIu32 " status=%s count=%" PRIu64 "\n", ev->kind,
           ev->client, dk_status_str(ev->status), ev->count);
}

static void device_complete(void *arg, struct dk_host *h)
{
    struct job *j = arg;
    enum dk_reason why;
    int rc = dk_queue_resolve(&D.queue, j->ticket, DK_OUTCOME_OK, &why);

    (void)h;
    if (rc != DK_OK) {
        printf("  device: resolve ticket %" PRIu64 " -> %s (%s)\n", j->ticket, dk_status_str(rc),
               dk_reason_str(why));
        return;
    }
    D.completed++;
    D.per_client_done[j->client]++;
    printf("  t=%" PRIu64 "ns device completed ticket %" PRIu64 " (client %d), watermark %" PRIu64
           "\n",
           dk_host_now(&D.host), j->ticket, j->client, dk_queue_watermark(&D.queue));
}

/* Fences follow the retire watermark, never raw completions: a ticket's
 * fence value is signalled only once it and every older ticket resolved, so
 * an out-of-order completion cannot make unfinished work look done. A
 * failed outcome fails the fence, so no waiter hangs on lost work. */
static void on_retire(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client, unsigned outcome)
{
    struct job *j = &jobs[ticket % 64];
    enum dk_reason why;
    int rc;

    (void)arg;
    (void)cookie;
    if (outcome == DK_OUTCOME_OK)
        rc = dk_fence_signal(&D.fences, client, D.fence[j->client], j->fence_value, &why);
    else
        rc = dk_fence_fail(&D.fences, client, D.fence[j->client], j->fence_value,
                           dk_outcome_status((int)outcome), &why);
    printf("    retired ticket %" PRIu64 ": client %d fence -> %" PRIu64 " (%s)\n", ticket,
           j->client, j->fence_value, dk_status_str(rc));
}

static int submit(int c, unsigned qos, uint64_t at)
{
    enum dk_reason why;
    uint64_t t;
    int rc = dk_queue_reserve(&D.queue, D.slot[c], qos, (uint64_t)c, &t, &why);

    if (rc != DK_OK) {
        D.rejected[rc]++;
        printf("  client %d submit -> %s (%s)\n", c, dk_status_str(rc), dk_reason_str(why));
        return rc;
    }
    D.submitted++;
    (void)dk_queue_start(&D.queue, t, NULL);
    jobs[t % 64].ticket = t;
    jobs[t % 64].client = c;
    jobs[t % 64].fence_value = ++D.fence_next[c];
    rc = dk_host_schedule(&D.host, at, device_complete, &jobs[t % 64], NULL);
    printf("  client %d submitted ticket %" PRIu64 " (qos %u), device completes at t=%" PRIu64
           "ns\n",
           c, t, qos, at);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: dk_demo [--seed N] [--help]\n"
               "  --seed N  seed for the simulated device's completion times (default 1)\n"
               "  --help    print this text\n");
}

int main(int argc, char **argv)
{
    struct dk_limits global = {{1u << 20, 16, QCAP, 8, 16}};
    struct dk_limits each = {{256u << 10, 4, 6, 2, 4}};
    struct dk_audit audit = {on_audit, NULL};
    struct dk_queue_cfg qc;
    struct dk_fence_cfg fc;
    struct dk_buf_cfg bc;
    struct dk_waitset ws;
    enum dk_reason why;
    uint64_t now, used[DK_RES_COUNT];
    uint32_t idx = 0;
    int i, c, rc, fails = 0;

    D.seed = 1;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            D.seed = strtoull(argv[++i], &end, 0);
            if (errno != 0 || *end != '\0') {
                fprintf(stderr, "dk_demo: --seed needs a number, got '%s'\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "dk_demo: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    printf("libdriverkit %" PRIu32 ".%" PRIu32 ".%" PRIu32 " demo on the host backend, seed %" PRIu64
           "\n",
           dk_version() >> 16, (dk_version() >> 8) & 0xff, dk_version() & 0xff, D.seed);

    rc = dk_host_init(&D.host, arena, sizeof(arena), 1000);
    rc |= dk_ledger_init(&D.ledger, D.clients, NCLIENTS, &global, &audit, NULL);
    for (c = 0; c < NCLIENTS; c++)
        rc |= dk_ledger_client_add(&D.ledger, 100u + (uint32_t)c, &each, &D.slot[c], NULL);
    memset(&fc, 0, sizeof(fc));
    fc.nslots = 8;
    fc.max_jump = 1u << 16;
    fc.max_wait_ns = 10000000;
    fc.waiters_per_fence = 4;
    fc.ledger = &D.ledger;
    fc.backend = dk_host_backend(&D.host);
    fc.audit = audit;
    rc |= dk_fence_table_init(&D.fences, &fc, D.fslots, sizeof(D.fslots), NULL);
    memset(&bc, 0, sizeof(bc));
    bc.nslots = 8;
    bc.max_size = 128u << 10;
    bc.ledger = &D.ledger;
    bc.backend = dk_host_backend(&D.host);
    rc |= dk_buf_table_init(&D.bufs, &bc, D.bslots, sizeof(D.bslots), NULL);
    memset(&qc, 0, sizeof(qc));
    qc.capacity = QCAP;
    qc.inflight_cap = 10;
    qc.ledger = &D.ledger;
    qc.retire_fn = on_retire;
    qc.audit = audit;
    rc |= dk_queue_init(&D.queue, &qc, D.qslots, sizeof(D.qslots), NULL);
    for (c = 0; c < NCLIENTS; c++) {
        rc |= dk_fence_create(&D.fences, D.slot[c], &D.fence[c], NULL);
        rc |= dk_buf_create(&D.bufs, D.slot[c], 64u << 10, DK_BUF_READ | DK_BUF_WRITE, &D.buf[c],
                            NULL);
    }
    if (rc != DK_OK) {
        fprintf(stderr, "dk_demo: setup failed\n");
        return 1;
    }

    printf("\n[1] submit: 3 clients, completion times drawn from the seed\n");
    now = dk_host_now(&D.host);
    for (i = 0; i < 9; i++)
        (void)submit(i % NCLIENTS, DK_QOS_NORMAL, now + 100 + demo_rand() % 900);

    printf("\n[2] backpressure: client 2 keeps submitting\n");
    for (i = 0; i < 5; i++)
        if (submit(2, DK_QOS_INTERACTIVE, now + 2000 + (uint64_t)i) != DK_OK && i > 2)
            break;

    printf("\n[3] fence waits with deadlines on the virtual clock\n");
    now = dk_host_now(&D.host);
    rc = dk_fence_wait(&D.fences, D.slot[0], D.fence[0], 3, now + 5000, NULL, &why);
    printf("  client 0 waited for its fence >= 3 (deadline +5000ns) -> %s at t=%" PRIu64 "ns\n",
           dk_status_str(rc), dk_host_now(&D.host));
    fails += rc != DK_OK;
    now = dk_host_now(&D.host);
    rc = dk_fence_wait(&D.fences, D.slot[1], D.fence[1], 99, now + 700, NULL, &why);
    printf("  client 1 waits for its fence >= 99 (deadline +700ns, never reached) -> %s at "
           "t=%" PRIu64 "ns (deadline %" PRIu64 ")\n",
           dk_status_str(rc), dk_host_now(&D.host), now + 700);
    fails += rc != DK_E_TIMED_OUT || dk_host_now(&D.host) != now + 700;

    printf("\n[4] waitset: client 2 waits for any, then all, of its own fence targets\n");
    (void)dk_waitset_init(&ws, &D.fences);
    (void)dk_waitset_add(&ws, D.fence[2], D.fence_next[2], NULL);
    (void)dk_waitset_add(&ws, D.fence[2], 1, NULL);
    now = dk_host_now(&D.host);
    rc = dk_waitset_wait(&ws, D.slot[2], DK_WAIT_ANY, now + 5000, NULL, &idx, &why);
    printf("  wait-any -> %s, ready member %" PRIu32 "\n", dk_status_str(rc), idx);
    fails += rc != DK_OK;
    rc = dk_waitset_wait(&ws, D.slot[2], DK_WAIT_ALL, now + 5000, NULL, &idx, &why);
    printf("  wait-all -> %s at t=%" PRIu64 "ns\n", dk_status_str(rc), dk_host_now(&D.host));
    fails += rc != DK_OK;

    printf("\n[5] drain: run the device until every ticket retired\n");
    (void)dk_host_advance(&D.host, 10000);
    printf("  watermark %" PRIu64 ", in flight %" PRIu32 "\n", dk_queue_watermark(&D.queue),
           dk_queue_inflight(&D.queue));
    fails += dk_queue_inflight(&D.queue) != 0;

    printf("\nsummary\n");
    printf("  submitted %" PRIu32 ", completed %" PRIu32 "\n", D.submitted, D.completed);
    for (i = 0; i < DK_STATUS_COUNT; i++)
        if (D.rejected[i])
            printf("  rejected %s: %" PRIu32 "\n", dk_status_str(i), D.rejected[i]);
    for (c = 0; c < NCLIENTS; c++) {
        uint64_t v = 0;
        (void)dk_fence_value(&D.fences, D.slot[c], D.fence[c], &v, NULL);
        printf("  client %d (id %d): completed %" PRIu32 ", fence value %" PRIu64 "\n", c, 100 + c,
               D.per_client_done[c], v);
    }
    (void)dk_ledger_usage(&D.ledger, DK_LEDGER_GLOBAL, used);
    printf("  ledger: bytes %" PRIu64 ", buffers %" PRIu64 ", in flight %" PRIu64
           ", fences %" PRIu64 ", waiters %" PRIu64 "; invariant %s\n",
           used[0], used[1], used[2], used[3], used[4], dk_status_str(dk_ledger_check(&D.ledger)));
    fails += dk_ledger_check(&D.ledger) != DK_OK || D.submitted != D.completed;
    printf("  virtual time %" PRIu64 "ns; audit events %" PRIu32 "\n", dk_host_now(&D.host),
           D.audit_events);
    printf("%s\n", fails == 0 ? "dk_demo: all checks passed" : "dk_demo: CHECKS FAILED");
    return fails == 0 ? 0 : 1;
}
